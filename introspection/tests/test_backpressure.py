#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Backpressure as Python sees it: DROP_NEWEST rejects with a GLib.Error
# for which EventSys.error_is_backpressure() is True; BLOCK times out with
# TIMEOUT (not a backpressure error); DROP_OLDEST reports a lag; CUSTOM
# calls a Python function.

import estest
from estest import EventSys, GLib, Tick

STRATEGY = EventSys.BackpressureStrategy


class BackpressureTests:

    def fill(self, strategy, n=3, **props):
        system = self.make_system(channel_capacity=2, backpressure_strategy=strategy, **props)
        self.sub = system.subscribe(Tick)
        self.pub = system.create_publisher(Tick)
        results = []
        for i in range(n):
            try:
                self.pub.publish_object(Tick(n=i), None)
                results.append(None)
            except GLib.Error as e:
                results.append(e)
        return results

    def drain(self):
        got = []
        while True:
            ev = self.sub.try_receive()
            if ev is None:
                return got
            got.append(ev.get_object().props.n)

    def test_drop_newest(self):
        results = self.fill(STRATEGY.DROP_NEWEST)
        self.assertEqual(results[:2], [None, None])
        e = results[2]
        self.assertEsError(e, EventSys.Error.BACKPRESSURE)
        self.assertTrue(EventSys.error_is_backpressure(e))
        self.assertEqual(self.pub.get_rejected_count(), 1)
        self.assertEqual(self.pub.get_backpressure_state(), EventSys.BackpressureState.DROPPING)
        self.assertEqual(self.drain(), [0, 1])
        # Room again.
        self.pub.publish_object(Tick(n=5), None)
        self.assertEqual(self.drain(), [5])

    def test_drop_newest_publish_data(self):
        packet_type = EventSys.event_type_register_plain_named('PyPacket', 16)
        system = self.make_system(channel_capacity=2, backpressure_strategy=STRATEGY.DROP_NEWEST)
        sub = system.subscribe(packet_type)
        pub = system.create_publisher(packet_type)
        pub.publish_data(bytes(16), None)
        pub.publish_data(bytes(16), None)
        with self.assertRaises(GLib.Error) as cm:
            pub.publish_data(bytes(16), None)
        self.assertTrue(EventSys.error_is_backpressure(cm.exception))
        self.assertIsNotNone(sub.try_receive())

    def test_block_times_out(self):
        results = self.fill(STRATEGY.BLOCK, default_timeout=30000)
        self.assertEqual(results[:2], [None, None])
        self.assertEsError(results[2], EventSys.Error.TIMEOUT)
        self.assertFalse(EventSys.error_is_backpressure(results[2]))
        self.assertEqual(self.drain(), [0, 1])

    def test_error_is_backpressure_other_errors(self):
        # (PyGObject 3.42 cannot pass None for a nullable GError argument.)
        self.assertFalse(EventSys.error_is_backpressure(
            GLib.Error.new_literal(EventSys.error_quark(), 'closed', int(EventSys.Error.CLOSED))))
        self.assertTrue(EventSys.error_is_backpressure(
            GLib.Error.new_literal(EventSys.error_quark(), 'full', int(EventSys.Error.BACKPRESSURE))))

    def test_drop_oldest_lagged(self):
        results = self.fill(STRATEGY.DROP_OLDEST, n=5)
        self.assertEqual(results, [None] * 5)
        lagged = []
        self.sub.connect('lagged', lambda s, n: lagged.append(n))
        self.assertEqual(self.drain(), [3, 4])
        self.assertEqual(lagged, [3])
        self.assertEqual(self.sub.get_dropped_count(), 3)

    def test_drop_oldest_lagged_main_loop(self):
        self.fill(STRATEGY.DROP_OLDEST, n=5)
        loop = GLib.MainLoop()
        events = []
        self.sub.connect('lagged', lambda s, n: events.append(('lagged', n, estest.on_main_thread())))

        def cb(s, ev):
            events.append(('event', ev.get_object().props.n))
            if ev.get_object().props.n == 4:
                loop.quit()
            return True

        self.sub.attach(None, cb)
        self.run_loop(loop)
        self.assertEqual(events, [('lagged', 3, True), ('event', 3), ('event', 4)])

    def test_custom_python_func(self):
        calls = []

        def decide(publisher, subscriber, event, utilization):
            calls.append((publisher is self.pub, subscriber is self.sub,
                          event.get_object().props.n if event else None))
            return EventSys.BackpressureAction.DROP_NEWEST

        b = EventSys.EventSystemBuilder(implementation=self.IMPL, channel_capacity=2,
                                        backpressure_strategy=STRATEGY.CUSTOM)
        b.set_backpressure_func(decide)
        system = b.build()
        self.systems.append(system)
        system.start()
        self.sub = system.subscribe(Tick)
        self.pub = system.create_publisher(Tick)
        self.pub.publish_object(Tick(n=0), None)
        self.pub.publish_object(Tick(n=1), None)
        with self.assertRaises(GLib.Error) as cm:
            self.pub.publish_object(Tick(n=2), None)
        self.assertTrue(EventSys.error_is_backpressure(cm.exception))
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0][:2], (True, True))
        self.assertIn(calls[0][2], (2, None))
        self.assertEqual(self.drain(), [0, 1])


estest.implementation_tests(BackpressureTests)


if __name__ == '__main__':
    estest.main()
