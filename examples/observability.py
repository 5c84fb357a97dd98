#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The seed's observability and backpressure examples in Python (PyGObject).

    /usr/bin/python3 examples/observability.py [--port 8080] [--seconds 10]
        [--interval 1] [--json metrics.json] [--pushgateway http://127.0.0.1:9091]

From a build tree:

    GI_TYPELIB_PATH=_build/introspection LD_LIBRARY_PATH=_build/eventsys \
        /usr/bin/python3 examples/observability.py --port 0 --seconds 3

Part 1 publishes GObject events (a Python class is an event type) with
metrics on, writes a JSON file every report, serves the live dashboard on
127.0.0.1 and prints a line per report. Part 2 is the backpressure example:
1000 publishes of 10 KB GBytes events into a 10 MB global buffer with
DROP_OLDEST, then published, dropped and buffer utilization.
"""

import argparse
import sys

import gi

gi.require_version("EventSys", "1.0")
from gi.repository import EventSys, Gio, GLib, GObject  # noqa: E402


class MediaPacket(GObject.Object):
    """A media packet event: any GObject subclass is an event type."""

    stream_id = GObject.Property(type=int)
    sequence_number = GObject.Property(type=int)
    payload_size = GObject.Property(type=int)


def observability_example(args):
    # Create an event system with metrics enabled.
    builder = EventSys.EventSystemBuilder.new()
    builder.set_implementation(EventSys.ImplementationType.ZERO_COPY)
    builder.set_name("observability-python")
    builder.set_enable_metrics(True)
    builder.set_metrics_reporting_interval(max(args.interval, 1) * GLib.USEC_PER_SEC)
    system = builder.build()

    # Start the system; metrics are reported in this thread's main context.
    system.start()
    metrics = system.get_metrics()

    # Configure metrics output.
    reporter = metrics.get_reporter()
    reporter.add_output(EventSys.MetricsFormat.JSON, args.json)
    if args.pushgateway:
        reporter.add_output(EventSys.MetricsFormat.PROMETHEUS, args.pushgateway)
    reporter.set_detailed_view(True)
    reporter.set_histograms(True)
    reporter.set_tracked_event_types([MediaPacket.__gtype__.name])
    reporter.connect("output-error",
                     lambda _r, dest, err: print(f"metrics output {dest} failed: {err.message}",
                                                 file=sys.stderr))

    def on_report(_metrics, snapshot):
        print(f"{snapshot.get_events_per_second():8.0f} events/s  "
              f"published {snapshot.get_total_published():<8} "
              f"delivered {snapshot.get_total_delivered():<8} "
              f"p50 {snapshot.get_latency_percentile(0.5) * 1e6:7.1f} µs  "
              f"p99 {snapshot.get_latency_percentile(0.99) * 1e6:7.1f} µs")

    metrics.connect("metrics-reported", on_report)

    # Start a metrics dashboard on a local port.
    try:
        server = metrics.start_dashboard(args.port)
    except GLib.Error as error:
        if not error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.ADDRESS_IN_USE):
            raise
        print(f"{error.message}; using a free port instead", file=sys.stderr)
        server = metrics.start_dashboard(0)
    uri = server.dup_uri()
    print(f"Dashboard: {uri}  (Prometheus: {uri}metrics)")

    # Run the application: publish from a timeout, receive in the main loop.
    publisher = system.create_publisher(MediaPacket.__gtype__)
    subscriber = system.subscribe(MediaPacket.__gtype__)
    subscriber.set_name("python-recorder")
    received = [0]

    def on_event(_subscriber, _event):
        received[0] += 1
        return GLib.SOURCE_CONTINUE

    subscriber.attach(None, on_event)

    sequence = [0]

    def publish_burst():
        for _ in range(100):
            packet = MediaPacket(stream_id=sequence[0] % 4, sequence_number=sequence[0],
                                 payload_size=1200)
            publisher.publish_object(packet, None)
            sequence[0] += 1
        return GLib.SOURCE_CONTINUE

    loop = GLib.MainLoop()
    GLib.timeout_add(10, publish_burst)
    if args.seconds > 0:
        GLib.timeout_add_seconds(args.seconds, loop.quit)
    loop.run()

    # Manually report metrics at key points.
    snapshot = metrics.dup_snapshot()
    print("System metrics:",
          snapshot.to_json(EventSys.MetricsExportFlags.SUBSCRIBERS, True))
    reporter.report_now(None)
    print(f"Received in the main loop: {received[0]}")
    running = system.get_state() == EventSys.EventSystemState.RUNNING
    print("System state:", "RUNNING" if running else "NOT RUNNING")

    metrics.stop_dashboard()
    subscriber.detach()
    system.shutdown()


def backpressure_example():
    # Create an event system with custom backpressure configuration.
    builder = EventSys.EventSystemBuilder.new()
    builder.set_implementation(EventSys.ImplementationType.ZERO_COPY)
    builder.set_channel_capacity(1000)
    builder.set_global_buffer_size(10_000_000)  # 10 MB buffer limit
    builder.set_backpressure_strategy(EventSys.BackpressureStrategy.DROP_OLDEST)
    builder.set_enable_metrics(True)
    system = builder.build()
    system.start()

    publisher = system.create_publisher(GLib.Bytes.__gtype__)
    slow = system.subscribe(GLib.Bytes.__gtype__)
    slow.set_name("slow-consumer")

    for i in range(1000):
        payload = GLib.Bytes.new(i.to_bytes(4, "little") + bytes(10_000 - 4))  # 10 KB
        event = EventSys.Event.new_bytes(GLib.Bytes.__gtype__, payload)
        try:
            publisher.publish(event, None)
        except GLib.Error as error:
            if EventSys.error_is_backpressure(error):
                print("Backpressure detected, slowing down")
                GLib.usleep(100_000)
            else:
                raise

    # Access metrics.
    metrics = system.get_metrics()
    if metrics is not None:
        print("Events published:", metrics.get_total_published())
        print("Events dropped:", metrics.get_total_dropped())
        print(f"Current buffer utilization: {metrics.get_buffer_utilization() * 100:.1f}%")

    system.shutdown()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080,
                        help="dashboard port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--seconds", type=int, default=10,
                        help="how long to run part 1 (0: until interrupted)")
    parser.add_argument("--interval", type=int, default=1, help="reporting interval, seconds")
    parser.add_argument("--json", default="metrics.json", help="JSON metrics file")
    parser.add_argument("--pushgateway", help="also push to this Prometheus Pushgateway URL")
    args = parser.parse_args()

    print("== Observability ==")
    observability_example(args)
    print()
    print("== Backpressure ==")
    backpressure_example()
    return 0


if __name__ == "__main__":
    sys.exit(main())
