#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# es-bench W7: events/s through GObject-Introspection, from a Python publisher
# thread to a Python callback in a GLib.MainLoop on the main thread.
#
# Run by es-bench (which sets GI_TYPELIB_PATH / LD_LIBRARY_PATH to the build
# tree); can be run by hand the same way:
#
#   GI_TYPELIB_PATH=_build/introspection LD_LIBRARY_PATH=_build/eventsys \
#     /usr/bin/python3 bench/es-bench-python.py --events 30000 --rounds 3
#
# Output, one tab-separated record per line (parsed by es-bench):
#   DESC    name  description
#   RESULT  name  round  ok(0|1)  events  seconds  message
#   SKIP    name  reason
#
# Every callback checks that sequence numbers arrive in order without gaps;
# a contender that loses or reorders an event reports ok=0.

import argparse
import collections
import struct
import sys
import threading
import time

import gi

gi.require_version("GLib", "2.0")
gi.require_version("GObject", "2.0")
from gi.repository import GLib, GObject  # noqa: E402

EventSys = None
EVENTSYS_IMPORT_ERROR = None
try:
    gi.require_version("EventSys", "1.0")
    from gi.repository import EventSys  # noqa: E402
except (ValueError, ImportError) as e:  # typelib not found
    EVENTSYS_IMPORT_ERROR = str(e)


def emit(*fields):
    print("\t".join(str(f).replace("\t", " ").replace("\n", " ") for f in fields), flush=True)


class Run:
    """One round: a publisher thread, a checking callback on the main loop."""

    def __init__(self, n, timeout):
        self.n = n
        self.timeout = timeout
        self.next = 0
        self.received = 0
        self.error = None
        self.loop = GLib.MainLoop()
        self.t_start = 0.0
        self.t_end = 0.0
        self.timed_out = False
        self.publish_error = None

    def check(self, seq):
        """Returns True when the run is complete."""
        if seq != self.next and self.error is None:
            self.error = "got sequence %d, expected %d (%s)" % (
                seq, self.next, "gap" if seq > self.next else "duplicate/reordered")
        self.next = seq + 1
        self.received += 1
        if self.received >= self.n:
            self.t_end = time.perf_counter()
            self.loop.quit()
            return True
        return False

    def run(self, publish_all):
        def on_timeout():
            self.timed_out = True
            self.loop.quit()
            return GLib.SOURCE_REMOVE

        def publisher():
            try:
                publish_all(self)
            except Exception as e:  # reported, and the loop stopped
                self.publish_error = "%s: %s" % (type(e).__name__, e)
                GLib.idle_add(self.loop.quit)

        watchdog = GLib.timeout_add_seconds(self.timeout, on_timeout)
        thread = threading.Thread(target=publisher, daemon=True)
        self.t_start = time.perf_counter()
        thread.start()
        self.loop.run()
        GLib.source_remove(watchdog) if not self.timed_out else None
        thread.join(timeout=10)
        ok = (self.error is None and self.publish_error is None and not self.timed_out
              and self.received == self.n)
        msg = self.error or self.publish_error or (
            "timed out after %d s (%d of %d received)" % (self.timeout, self.received, self.n)
            if self.timed_out else "")
        if not ok and not msg:
            msg = "received %d of %d" % (self.received, self.n)
        seconds = (self.t_end or time.perf_counter()) - self.t_start
        return ok, seconds, msg


# --- peers: plain PyGObject ------------------------------------------------

def run_idle_add(n, timeout):
    """GLib.idle_add per event from the publisher thread."""
    r = Run(n, timeout)

    def cb(seq):
        r.check(seq)
        return GLib.SOURCE_REMOVE

    def publish_all(run):
        for i in range(n):
            GLib.idle_add(cb, i)

    return r.run(publish_all)


def run_queue_gsource(n, timeout):
    """A deque drained in batches by an idle callback that the publisher
    schedules only when it pushed into an empty queue (the Python analogue of
    the C GAsyncQueue + batching GSource peer)."""
    r = Run(n, timeout)
    lock = threading.Lock()
    items = collections.deque()
    state = {"scheduled": False}

    def drain():
        with lock:
            batch = list(items)
            items.clear()
            state["scheduled"] = False
        for seq in batch:
            if r.check(seq):
                break
        return GLib.SOURCE_REMOVE

    def publish_all(run):
        for i in range(n):
            with lock:
                items.append(i)
                schedule = not state["scheduled"]
                state["scheduled"] = True
            if schedule:
                GLib.idle_add(drain)

    return r.run(publish_all)


# --- eventsys -----------------------------------------------------------------

def make_system(impl, batch=256):
    b = EventSys.EventSystemBuilder.new()
    b.set_implementation(impl)
    b.set_channel_capacity(4096)
    b.set_backpressure_strategy(EventSys.BackpressureStrategy.BLOCK)
    b.set_default_timeout(60 * 1000000)
    b.set_batch_size(batch)
    return b.build()


def run_es(n, timeout, impl, make_event, event_type, payload_seq, publish):
    sys_ = make_system(impl)
    sub = sys_.subscribe(event_type)
    pub = sys_.create_publisher(event_type)
    sys_.start()
    r = Run(n, timeout)

    def on_event(subscriber, event, *data):
        r.check(payload_seq(event))
        return GLib.SOURCE_CONTINUE

    sub.attach(GLib.MainContext.default(), on_event)

    def publish_all(run):
        for i in range(n):
            publish(pub, make_event(i))

    try:
        return r.run(publish_all)
    finally:
        sub.detach()
        sys_.shutdown()


def variant_type():
    ev = EventSys.Event.new_variant(GLib.Variant("t", 0))
    return ev.get_event_type()


def run_es_zerocopy_variant(n, timeout):
    return run_es(
        n, timeout, EventSys.ImplementationType.ZERO_COPY,
        lambda i: EventSys.Event.new_variant(GLib.Variant("t", i)),
        variant_type(),
        lambda ev: ev.get_variant().get_uint64(),
        lambda pub, ev: pub.publish(ev, None))


PLAIN = struct.Struct("<QQ")
_plain_type = None


def plain_type():
    global _plain_type
    if _plain_type is None:
        _plain_type = EventSys.event_type_register_plain_named("EsBenchPyEvent", PLAIN.size)
    return _plain_type


def plain_seq(ev):
    data = ev.get_data()
    if isinstance(data, tuple):      # (data, size) depending on annotations
        data = data[0]
    return PLAIN.unpack(bytes(data))[0]


def run_es_plain(n, timeout, impl):
    t = plain_type()
    return run_es(
        n, timeout, impl,
        lambda i: PLAIN.pack(i, 0),
        t, plain_seq,
        lambda pub, data: pub.publish_data(data, None))


CONTENDERS = [
    ("py-idle-add", "GLib.idle_add per event from the publisher thread", run_idle_add),
    ("py-queue-gsource", "deque + idle drain scheduled only on empty->non-empty", run_queue_gsource),
    ("py-es-static", "eventsys static: publish_data(bytes) -> attach() callback",
     lambda n, t: run_es_plain(n, t, EventSys.ImplementationType.STATIC_FAST_PATH)),
    ("py-es-zerocopy", "eventsys zero-copy: publish_data(bytes) -> attach() callback",
     lambda n, t: run_es_plain(n, t, EventSys.ImplementationType.ZERO_COPY)),
    ("py-es-zerocopy-variant", "eventsys zero-copy: Event.new_variant + publish -> attach() callback",
     run_es_zerocopy_variant),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=30000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--only", default=None, help="comma-separated contender names")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None

    selected = [c for c in CONTENDERS if only is None or c[0] in only]
    for name, desc, _ in selected:
        emit("DESC", name, desc)
    skipped = set()
    for rnd in range(1, args.rounds + 1):
        for name, desc, fn in selected:
            if name in skipped:
                continue
            if name.startswith("py-es") and EventSys is None:
                emit("SKIP", name, "EventSys typelib not importable: %s" % EVENTSYS_IMPORT_ERROR)
                skipped.add(name)
                continue
            try:
                ok, seconds, msg = fn(args.events, args.timeout)
            except Exception as e:
                ok, seconds, msg = False, 0.0, "%s: %s" % (type(e).__name__, e)
            emit("RESULT", name, rnd, 1 if ok else 0, args.events, "%.6f" % seconds, msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
