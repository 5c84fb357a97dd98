#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# backpressure.py — the seed's "Backpressure Example" in Python, through
# GObject-Introspection (Debian's python3-gi; run it with /usr/bin/python3).
#
# A zero-copy event system with a channel capacity of 1000, a 10 MB global
# buffer limit and 10 KB events whose payload is a GLib.Bytes shared — never
# copied — by every subscriber. A fast and a slow subscriber (threads; the
# blocking receive releases the GIL). Two runs:
#
#   1. DROP_OLDEST: publishing never fails; the slow subscriber loses its
#      oldest queued events and counts them.
#   2. DROP_NEWEST: a publish that does not fit raises a GLib.Error for which
#      EventSys.error_is_backpressure() is true; the publisher backs off and
#      retries, so nothing is lost.
#
# Each run prints what was published, delivered and dropped, the buffer
# manager's view and the metrics subsystem's totals, and checks: published to
# a subscriber = received + dropped + still queued.
#
#   GI_TYPELIB_PATH=_build/introspection LD_LIBRARY_PATH=_build/eventsys \
#     /usr/bin/python3 examples/backpressure.py [--count N]

import argparse
import struct
import sys
import threading
import time

import gi

gi.require_version('EventSys', '1.0')
from gi.repository import EventSys, GLib  # noqa: E402

CHANNEL_CAPACITY = 1000
GLOBAL_BUFFER_SIZE = 10_000_000   # 10 MB
PAYLOAD_SIZE = 10_000             # the seed's vec![0u8; 10000]
SLOW_PROCESSING = 200e-6          # seconds per event
BACKOFF = 0.01                    # the seed sleeps 100 ms
MAX_MESSAGES = 5

# A plain-data event type registered from Python: a 4-byte id followed by the
# payload, carried as GLib.Bytes.
LARGE_MEDIA_EVENT = EventSys.Event.type_register_plain_named(
    'PyLargeMediaEvent', 4 + PAYLOAD_SIZE)


def new_large_media_event(event_id):
    payload = GLib.Bytes.new(struct.pack('<I', event_id) + bytes(PAYLOAD_SIZE))
    return EventSys.Event.new_bytes(LARGE_MEDIA_EVENT, payload)


class Consumer:
    def __init__(self, event_system, name, processing):
        self.name = name
        self.processing = processing
        self.received = 0
        self.in_order = True
        self.last_id = -1
        self.subscriber = event_system.subscribe(LARGE_MEDIA_EVENT)
        self.subscriber.set_name(name)
        self.thread = threading.Thread(target=self.run, name=name)
        self.thread.start()

    def run(self):
        while True:
            try:
                event = self.subscriber.receive(None)
            except GLib.Error as e:
                if not e.matches(EventSys.error_quark(), EventSys.Error.CLOSED):
                    raise
                return   # shut down and drained
            # The GLib.Bytes is the publisher's: no copy was made on the way.
            (event_id,) = struct.unpack_from('<I', event.get_bytes().get_data())
            if event_id <= self.last_id:
                self.in_order = False
            self.last_id = event_id
            self.received += 1
            if self.processing:
                time.sleep(self.processing)

    def finish(self):
        self.thread.join()
        sub = self.subscriber
        published = sub.get_published_count()
        dropped = sub.get_dropped_count()
        queued = sub.get_queue_depth()
        ok = published == self.received + dropped + queued and self.in_order
        print(f'  {self.name:5} subscriber: {published:5} published to it = '
              f'{self.received:5} received + {dropped:5} dropped + {queued} queued '
              f"{'(exact)' if ok else 'MISMATCH: accounting or order broken'}")
        return ok


def run(strategy, count):
    print(f'{strategy.value_name}, zero-copy, channel capacity {CHANNEL_CAPACITY}, '
          f'global buffer {GLOBAL_BUFFER_SIZE} bytes, {count} events of {4 + PAYLOAD_SIZE} bytes')

    # Create an event system with custom backpressure configuration.
    builder = (EventSys.EventSystemBuilder.new()
               .set_implementation(EventSys.ImplementationType.ZERO_COPY)
               .set_channel_capacity(CHANNEL_CAPACITY)
               .set_global_buffer_size(GLOBAL_BUFFER_SIZE)
               .set_backpressure_strategy(strategy)
               .set_enable_metrics(True))
    event_system = builder.build()
    event_system.start()

    buffers = event_system.get_buffer_manager()
    publisher = event_system.create_publisher(LARGE_MEDIA_EVENT)
    fast = Consumer(event_system, 'fast', 0)
    slow = Consumer(event_system, 'slow', SLOW_PROCESSING)

    # Custom publishing with backpressure handling.
    backoffs = 0
    peak_utilization = 0.0
    start = time.monotonic()
    for i in range(count):
        event = new_large_media_event(i)
        while True:
            try:
                publisher.publish(event, None)
                if i % 500 == 0 or i == count - 1:
                    print(f'  Published event {i}')
                break
            except GLib.Error as e:
                if not EventSys.error_is_backpressure(e):
                    raise
                # Handle the backpressure condition: slow down, then retry.
                if backoffs < MAX_MESSAGES:
                    print(f'  Backpressure detected at event {i} ({e.message}), slowing down')
                backoffs += 1
                time.sleep(BACKOFF)
        peak_utilization = max(peak_utilization, buffers.get_utilization())
        # Aim at 20 000 events/s, like a media source rather than a loop.
        ahead = start + (i + 1) / 20_000 - time.monotonic()
        if ahead > 0.0005:
            time.sleep(ahead)

    print(f'  Events published: {publisher.get_published_count()} '
          f'(rejected publishes: {publisher.get_rejected_count()})')
    print(f'  Events dropped: {slow.subscriber.get_dropped_count()} (slow subscriber)')
    print(f'  Buffered now: {buffers.get_buffered_events()} events, '
          f'{buffers.get_buffered_bytes()} of {buffers.get_limit_bytes()} bytes')
    print(f'  Current buffer utilization: {buffers.get_utilization() * 100:.1f}% '
          f'(peak {peak_utilization * 100:.1f}%)')
    if backoffs > MAX_MESSAGES:
        print(f'  ({backoffs - MAX_MESSAGES} more backpressure messages not shown)')

    # Access metrics: the seed's numbers from the metrics subsystem, when
    # this version of the library has it.
    metrics = event_system.get_metrics() if hasattr(event_system, 'get_metrics') else None
    if metrics is not None:
        print(f'  Metrics: {metrics.get_total_published()} published, '
              f'{metrics.get_total_dropped()} dropped, '
              f'buffer utilization {metrics.get_buffer_utilization() * 100:.1f}%')

    # Shutdown: the consumers drain their queues, then their receive loops end.
    event_system.shutdown()
    ok = fast.finish()
    ok = slow.finish() and ok
    ok = ok and buffers.get_buffered_bytes() == 0 and peak_utilization <= 1.0
    if strategy == EventSys.BackpressureStrategy.DROP_NEWEST:
        ok = ok and fast.received == count and slow.received == count
    else:
        ok = ok and backoffs == 0
    return ok


def main():
    parser = argparse.ArgumentParser(description='The eventsys backpressure example')
    parser.add_argument('--count', type=int, default=3000)
    args = parser.parse_args()

    ok = run(EventSys.BackpressureStrategy.DROP_OLDEST, max(args.count, 1))
    print()
    ok = run(EventSys.BackpressureStrategy.DROP_NEWEST, max(args.count, 1)) and ok
    if not ok:
        return 1
    print('Example completed successfully')
    return 0


if __name__ == '__main__':
    sys.exit(main())
