#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Zero-copy from Python: GLib.Bytes payloads (Event.new_bytes) reach every
# subscriber without a copy — same GBytes data, same envelope.

import estest
from estest import EventSys, GLib, Tick, boxed_address, bytes_data_address

ZERO_COPY = EventSys.ImplementationType.ZERO_COPY
BYTES = GLib.Bytes.__gtype__
PACKET = EventSys.event_type_register_plain_named('PyPacket', 16)


class ZeroCopyBytesTests(estest.EsTestCase):
    IMPL = ZERO_COPY

    def setUp(self):
        super().setUp()
        self.system = self.make_system()

    def test_bytes_identity_two_subscribers(self):
        sub1 = self.system.subscribe(BYTES)
        sub2 = self.system.subscribe(BYTES)
        pub = self.system.create_publisher(BYTES)
        payload = GLib.Bytes.new(bytes(range(256)) * 4096)  # 1 MiB
        data_addr = bytes_data_address(payload)
        ev = EventSys.Event.new_bytes(BYTES, payload)
        self.assertEqual(ev.get_event_type(), BYTES)
        pub.publish(ev, None)
        r1 = sub1.try_receive()
        r2 = sub2.try_receive()
        # One envelope shared by every subscriber ...
        self.assertEqual(boxed_address(r1), boxed_address(ev))
        self.assertEqual(boxed_address(r2), boxed_address(ev))
        # ... holding the very same GBytes, never a copy of the data.
        for r in (r1, r2):
            got = r.get_bytes()
            self.assertEqual(got.get_size(), payload.get_size())
            self.assertEqual(boxed_address(got), boxed_address(payload))
            self.assertEqual(bytes_data_address(got), data_addr)
        self.assertEqual(r1.get_bytes().get_data()[:4], b'\x00\x01\x02\x03')

    def test_bytes_main_loop(self):
        sub = self.system.subscribe(BYTES)
        pub = self.system.create_publisher(BYTES)
        payloads = [GLib.Bytes.new(b'%d' % i * 10000) for i in range(5)]
        loop = GLib.MainLoop()
        got = []

        def cb(s, ev):
            got.append(bytes_data_address(ev.get_bytes()))
            if len(got) == len(payloads):
                loop.quit()
            return True

        sub.attach(None, cb)
        for p in payloads:
            pub.publish(EventSys.Event.new_bytes(BYTES, p), None)
        self.run_loop(loop)
        self.assertEqual(got, [bytes_data_address(p) for p in payloads])

    def test_bytes_receive_async(self):
        sub = self.system.subscribe(BYTES)
        pub = self.system.create_publisher(BYTES)
        payload = GLib.Bytes.new(b'x' * 65536)
        loop = GLib.MainLoop()
        got = []

        def done(s, res):
            got.append(s.receive_finish(res).get_bytes())
            loop.quit()

        sub.receive_async(None, done)
        pub.publish(EventSys.Event.new_bytes(BYTES, payload), None)
        self.run_loop(loop)
        self.assertEqual(bytes_data_address(got[0]), bytes_data_address(payload))

    def test_plain_type_carried_as_bytes(self):
        sub = self.system.subscribe(PACKET)
        pub = self.system.create_publisher(PACKET)
        payload = GLib.Bytes.new(bytes(range(16)))
        pub.publish(EventSys.Event.new_bytes(PACKET, payload), None)
        ev = sub.try_receive()
        self.assertEqual(bytes_data_address(ev.get_bytes()), bytes_data_address(payload))
        self.assertEqual(bytes(ev.get_data()), bytes(range(16)))

    def test_object_identity(self):
        sub1 = self.system.subscribe(Tick)
        sub2 = self.system.subscribe(Tick)
        pub = self.system.create_publisher(Tick)
        tick = Tick(n=1)
        pub.publish_object(tick, None)
        r1, r2 = sub1.try_receive(), sub2.try_receive()
        self.assertEqual(boxed_address(r1), boxed_address(r2))
        self.assertIs(r1.get_object(), tick)
        self.assertIs(r2.get_object(), tick)

    def test_priority_overtakes(self):
        system = self.make_system(enable_priority=True)
        sub = system.subscribe(Tick)
        pub = system.create_publisher(Tick)
        for i in range(3):
            pub.publish_object(Tick(n=i), None)
        urgent = EventSys.Event.new_object(Tick(n=99))
        urgent.set_priority(EventSys.EventPriority.CRITICAL)
        pub.publish(urgent, None)
        got = [sub.try_receive() for _ in range(4)]
        self.assertEqual(got[0].get_object().props.n, 99)
        self.assertEqual(got[0].get_priority(), EventSys.EventPriority.CRITICAL)
        self.assertEqual([e.get_object().props.n for e in got[1:]], [0, 1, 2])


class StaticBytesTests(estest.EsTestCase):
    IMPL = EventSys.ImplementationType.STATIC_FAST_PATH

    def test_bytes_type_unsupported(self):
        system = self.make_system()
        with self.assertRaises(GLib.Error) as cm:
            system.create_publisher(BYTES)
        self.assertEsError(cm.exception, EventSys.Error.UNSUPPORTED_TYPE)


if __name__ == '__main__':
    estest.main()
