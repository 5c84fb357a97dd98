#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# basic.py — the seed's "Basic Example - Media Packet Processing" in Python,
# through GObject-Introspection (Debian's python3-gi; run it with
# /usr/bin/python3).
#
# The event type is a GObject subclass defined here; the event carries a
# reference to the (immutable once published) object. A thread publishes
# 1000 packets, one per millisecond; the packets are processed in the GLib
# main loop of the main thread, where es_subscriber_attach() delivers them.
# Then the system is shut down gracefully and the subscriber drains.
#
#   GI_TYPELIB_PATH=_build/introspection LD_LIBRARY_PATH=_build/eventsys \
#     /usr/bin/python3 examples/basic.py [--implementation static|zero-copy] [--count N]

import argparse
import sys
import threading
import time

import gi

gi.require_version('EventSys', '1.0')
from gi.repository import EventSys, GLib, GObject  # noqa: E402


class MediaPacketEvent(GObject.Object):
    """A media packet; a GObject subclass is an event type as it is."""

    __gtype_name__ = 'PyBasicMediaPacketEvent'

    stream_id = GObject.Property(type=str)
    sequence_number = GObject.Property(type=GObject.TYPE_UINT)
    timestamp = GObject.Property(type=GObject.TYPE_UINT64)
    payload_type = GObject.Property(type=GObject.TYPE_UINT)
    marker = GObject.Property(type=bool, default=False)
    payload_size = GObject.Property(type=GObject.TYPE_UINT)


def main():
    parser = argparse.ArgumentParser(description='The eventsys basic example')
    parser.add_argument('--implementation', choices=['static', 'zero-copy'], default='static')
    parser.add_argument('--count', type=int, default=1000)
    args = parser.parse_args()

    implementation = (EventSys.ImplementationType.STATIC_FAST_PATH
                      if args.implementation == 'static'
                      else EventSys.ImplementationType.ZERO_COPY)

    # Create an event system using the static fast path implementation.
    builder = EventSys.EventSystemBuilder.new()
    builder.set_implementation(implementation)
    builder.set_channel_capacity(10_000)
    event_system = builder.build()

    # Start the event system.
    event_system.start()

    # Create a publisher for our media packet events.
    publisher = event_system.create_publisher(MediaPacketEvent.__gtype__)

    # Subscribe to media packet events.
    subscriber = event_system.subscribe(MediaPacketEvent.__gtype__)

    loop = GLib.MainLoop()
    state = {'processed': 0, 'next': 0, 'in_order': True, 'publish_error': None}

    # Process received events in the main loop (the thread iterating the
    # default main context, where the subscriber is attached).
    def on_packet(sub, event):
        packet = event.get_object()
        if packet.props.sequence_number != state['next']:
            state['in_order'] = False
        state['next'] = packet.props.sequence_number + 1
        time.sleep(50e-6)  # simulate processing time
        state['processed'] += 1
        if state['processed'] % 1000 == 0:
            print(f"Processed {state['processed']} packets")
        return GLib.SOURCE_CONTINUE

    subscriber.attach(None, on_packet)

    def publish_packets():
        # Generate and publish media packets.
        try:
            for i in range(args.count):
                packet = MediaPacketEvent(stream_id=f'stream-{i % 4}',
                                          sequence_number=i,
                                          timestamp=int(time.time() * 1000),
                                          payload_type=96,
                                          marker=(i % 30 == 0),
                                          payload_size=1400)
                publisher.publish_object(packet, None)
                # Small delay to not overwhelm the system in this example.
                time.sleep(0.001)
        except GLib.Error as e:
            state['publish_error'] = e
        GLib.idle_add(shut_down)

    def shut_down():
        # Gracefully shut down the event system; the subscriber still
        # delivers what is queued. Wait for processing to complete (the seed
        # waits at most a second; a loaded test machine may need longer).
        event_system.shutdown()
        deadline = time.monotonic() + 10.0

        def wait_for_drain():
            if state['processed'] >= args.count or time.monotonic() > deadline:
                loop.quit()
                return GLib.SOURCE_REMOVE
            return GLib.SOURCE_CONTINUE

        GLib.timeout_add(10, wait_for_drain)
        return GLib.SOURCE_REMOVE

    thread = threading.Thread(target=publish_packets, name='publisher')
    thread.start()
    loop.run()
    thread.join()
    subscriber.detach()

    if state['publish_error'] is not None:
        print(f"Publishing failed: {state['publish_error'].message}", file=sys.stderr)
        return 1
    if state['processed'] != args.count or not state['in_order']:
        print(f"Processed {state['processed']} of {args.count} packets"
              f"{'' if state['in_order'] else ', out of order'}", file=sys.stderr)
        return 1

    # After shutdown, receives fail with ES_ERROR_CLOSED once drained.
    try:
        subscriber.try_receive()
        print('try_receive() after the drain should fail', file=sys.stderr)
        return 1
    except GLib.Error as e:
        if not e.matches(EventSys.error_quark(), EventSys.Error.CLOSED):
            raise

    print(f"Processed {state['processed']} packets in total ({type(event_system).__name__})")
    print('Example completed successfully')
    return 0


if __name__ == '__main__':
    sys.exit(main())
