#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lifecycle errors come out of PyGObject as GLib.Error in the ES_ERROR
# domain, on both implementations.

import estest
from estest import EventSys, Gio, GLib, Tick


class ErrorTests:

    def test_error_domain(self):
        self.assertEqual(estest.ES_ERROR_DOMAIN, 'es-error-quark')
        self.assertEqual(GLib.quark_from_string(estest.ES_ERROR_DOMAIN), EventSys.error_quark())

    def test_publish_before_start(self):
        system = self.make_system(start=False)
        self.assertEqual(system.get_state(), EventSys.EventSystemState.CREATED)
        pub = system.create_publisher(Tick.__gtype__)
        with self.assertRaises(GLib.Error) as cm:
            pub.publish_object(Tick(), None)
        self.assertEsError(cm.exception, EventSys.Error.NOT_STARTED)
        with self.assertRaises(GLib.Error) as cm:
            pub.publish(EventSys.Event.new_object(Tick()), None)
        self.assertEsError(cm.exception, EventSys.Error.NOT_STARTED)

    def test_publish_after_shutdown(self):
        system = self.make_system()
        pub = system.create_publisher(Tick.__gtype__)
        self.assertTrue(system.shutdown())
        self.assertEqual(system.get_state(), EventSys.EventSystemState.STOPPED)
        with self.assertRaises(GLib.Error) as cm:
            pub.publish_object(Tick(), None)
        self.assertEsError(cm.exception, EventSys.Error.SHUT_DOWN)

    def test_start_twice(self):
        system = self.make_system()
        with self.assertRaises(GLib.Error) as cm:
            system.start()
        self.assertEsError(cm.exception, EventSys.Error.INVALID_STATE)

    def test_receive_after_shutdown_drains_then_closed(self):
        system = self.make_system()
        sub = system.subscribe(Tick.__gtype__)
        pub = system.create_publisher(Tick.__gtype__)
        pub.publish_object(Tick(n=1), None)
        pub.publish_object(Tick(n=2), None)
        system.shutdown()
        self.assertTrue(sub.is_closed())
        # What was queued before shutdown can still be drained ...
        self.assertEqual(sub.receive(None).get_object().props.n, 1)
        self.assertEqual(sub.try_receive().get_object().props.n, 2)
        # ... then every receive reports end of stream.
        for receive in (lambda: sub.receive(None),
                        lambda: sub.receive_timeout(1000, None),
                        lambda: sub.try_receive()):
            with self.assertRaises(GLib.Error) as cm:
                receive()
            self.assertEsError(cm.exception, EventSys.Error.CLOSED)

    def test_receive_async_after_shutdown_closed(self):
        system = self.make_system()
        sub = system.subscribe(Tick.__gtype__)
        loop = GLib.MainLoop()
        errors = []

        def done(s, res):
            try:
                s.receive_finish(res)
            except GLib.Error as e:
                errors.append(e)
            loop.quit()

        system.shutdown()
        sub.receive_async(None, done)
        self.run_loop(loop)
        self.assertEqual(len(errors), 1)
        self.assertEsError(errors[0], EventSys.Error.CLOSED)

    def test_shutdown_wakes_pending_receive_async(self):
        system = self.make_system()
        sub = system.subscribe(Tick.__gtype__)
        pub = system.create_publisher(Tick.__gtype__)
        loop = GLib.MainLoop()
        results = []

        def done(s, res):
            try:
                results.append(s.receive_finish(res).get_object().props.n)
                s.receive_async(None, done)
            except GLib.Error as e:
                results.append(e)
                loop.quit()

        sub.receive_async(None, done)

        def later():
            pub.publish_object(Tick(n=1), None)
            system.shutdown()
            return GLib.SOURCE_REMOVE

        GLib.timeout_add(20, later)
        self.run_loop(loop)
        self.assertEqual(results[0], 1)
        self.assertEqual(len(results), 2)
        self.assertEsError(results[1], EventSys.Error.CLOSED)

    def test_attached_source_ends_on_shutdown(self):
        system = self.make_system()
        sub = system.subscribe(Tick.__gtype__)
        pub = system.create_publisher(Tick.__gtype__)
        got = []
        loop = GLib.MainLoop()
        ctx = GLib.MainContext.default()

        def cb(s, ev):
            got.append(ev.get_object().props.n)
            return True

        source_id = sub.attach(None, cb)
        for i in range(3):
            pub.publish_object(Tick(n=i), None)
        system.shutdown()

        def poll():
            if ctx.find_source_by_id(source_id) is None:
                loop.quit()
                return GLib.SOURCE_REMOVE
            return GLib.SOURCE_CONTINUE

        GLib.timeout_add(5, poll)
        self.run_loop(loop)
        # Queued events were delivered, then the source removed itself.
        self.assertEqual(got, [0, 1, 2])

    def test_try_receive_empty_is_none(self):
        system = self.make_system()
        sub = system.subscribe(Tick.__gtype__)
        self.assertIsNone(sub.try_receive())
        self.assertEqual(sub.get_queue_depth(), 0)

    def test_receive_cancelled(self):
        system = self.make_system()
        sub = system.subscribe(Tick.__gtype__)
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(GLib.Error) as cm:
            sub.receive(cancellable)
        self.assertTrue(cm.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))

    def test_type_mismatch(self):
        system = self.make_system()
        pub = system.create_publisher(Tick.__gtype__)
        other = EventSys.event_type_register_plain_named('EsPyTestOther', 8)
        ev = EventSys.Event.new(other, bytes(8))
        with self.assertRaises(GLib.Error) as cm:
            pub.publish(ev, None)
        self.assertEsError(cm.exception, EventSys.Error.TYPE_MISMATCH)

    def test_republish_sealed_event(self):
        # An event is immutable once published; publishing it again must
        # not be possible to mutate it (either an error or a no-op copy).
        system = self.make_system()
        pub = system.create_publisher(Tick.__gtype__)
        sub = system.subscribe(Tick.__gtype__)
        ev = EventSys.Event.new_object(Tick(n=1))
        pub.publish(ev, None)
        seq = ev.get_sequence()
        try:
            pub.publish(ev, None)
        except GLib.Error as e:
            self.assertEqual(e.domain, estest.ES_ERROR_DOMAIN)
        self.assertEqual(ev.get_sequence(), seq)
        self.assertEqual(sub.try_receive().get_sequence(), seq)

    def test_shutdown_async(self):
        system = self.make_system()
        loop = GLib.MainLoop()
        result = []

        def done(s, res):
            result.append(s.shutdown_finish(res))
            loop.quit()

        system.shutdown_async(None, done)
        self.run_loop(loop)
        self.assertEqual(result, [True])
        self.assertEqual(system.get_state(), EventSys.EventSystemState.STOPPED)


estest.implementation_tests(ErrorTests)


if __name__ == '__main__':
    estest.main()
