#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Publish a Python-defined GObject event type and receive it through
# main-loop delivery (callback and 'event' signal), receive_async and the
# synchronous receives, on both implementations.

import gc

import estest
from estest import EventSys, GLib, Tick, SpecialTick, on_main_thread


class PubSubTests:

    def setUp(self):
        super().setUp()
        self.system = self.make_system()
        self.sub = self.system.subscribe(Tick.__gtype__)
        self.pub = self.system.create_publisher(Tick.__gtype__)

    def test_python_type_is_event_type(self):
        self.assertTrue(EventSys.event_type_is_supported(Tick.__gtype__))
        self.assertFalse(EventSys.event_type_is_plain(Tick.__gtype__))
        self.assertEqual(self.sub.get_event_type(), Tick.__gtype__)
        self.assertEqual(self.pub.get_event_type(), Tick.__gtype__)
        self.assertEqual(self.system.get_implementation(), self.IMPL)

    def test_publish_object_try_receive(self):
        tick = Tick(n=7, label='seven')
        self.assertTrue(self.pub.publish_object(tick, None))
        ev = self.sub.try_receive()
        self.assertIsNotNone(ev)
        self.assertIs(ev.get_object(), tick)
        self.assertEqual(ev.get_event_type(), Tick.__gtype__)
        self.assertTrue(ev.is_sealed())
        self.assertGreater(ev.get_timestamp(), 0)
        self.assertIsNone(ev.get_bytes())
        self.assertIsNone(self.sub.try_receive())

    def test_publish_event_new_object(self):
        tick = Tick(n=3)
        ev = EventSys.Event.new_object(tick)
        self.assertFalse(ev.is_sealed())
        self.assertEqual(ev.get_event_type(), Tick.__gtype__)
        self.assertTrue(self.pub.publish(ev, None))
        self.assertTrue(ev.is_sealed())
        got = self.sub.receive(None)
        self.assertIs(got.get_object(), tick)
        self.assertEqual(got.get_object().props.n, 3)

    def test_publish_take(self):
        # (transfer full): the binding passes its own reference; the Python
        # wrapper stays usable.
        tick = Tick(n=4)
        ev = EventSys.Event.new_object(tick)
        self.assertTrue(self.pub.publish_take(ev, None))
        self.assertTrue(ev.is_sealed())
        got = self.sub.receive(None)
        self.assertIs(got.get_object(), tick)
        self.assertEqual(ev.get_object().props.n, 4)

    def test_receive_timeout(self):
        for i in range(3):
            self.pub.publish_object(Tick(n=i), None)
        events = [self.sub.receive_timeout(100000, None) for _ in range(3)]
        self.assertEqual([e.get_object().props.n for e in events], [0, 1, 2])
        seqs = [e.get_sequence() for e in events]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(set(seqs)), 3)
        with self.assertRaises(GLib.Error) as cm:
            self.sub.receive_timeout(20000, None)
        self.assertEsError(cm.exception, EventSys.Error.TIMEOUT)

    def test_receive_batch(self):
        # Run in a child process: the bug is a use-after-free that may crash.
        out = estest.run_isolated('''
import gc
sys_ = EventSys.EventSystemBuilder(implementation=IMPL).build()
sys_.start()
sub = sys_.subscribe(Tick.__gtype__)
pub = sys_.create_publisher(Tick.__gtype__)
ticks = [Tick(n=i) for i in range(5)]
for t in ticks:
    pub.publish_object(t, None)
batch = sub.receive_batch(10, 100000, None)
print('n', [e.get_object().props.n for e in batch])
held = [t.ref_count for t in ticks]
del batch
gc.collect()
released = [t.ref_count for t in ticks]
# Each event held a reference on its object until the batch went away.
print('refs', all(h > r for h, r in zip(held, released)), held, released)
for i in range(5):
    pub.publish_object(Tick(n=i), None)
for _ in range(3):
    batch = sub.receive_batch(2, 100000, None)
    print('again', [e.get_sequence() > 0 for e in batch])
    del batch
    gc.collect()
sys_.shutdown()
''', self.IMPL)
        self.assertIn('n [0, 1, 2, 3, 4]', out)
        self.assertIn('refs True', out)

    def test_attach_callback(self):
        loop = GLib.MainLoop()
        got = []
        threads_ok = []

        def cb(sub, ev):
            threads_ok.append(on_main_thread())
            self.assertIs(sub, self.sub)
            got.append(ev.get_object().props.n)
            if len(got) == 10:
                loop.quit()
            return GLib.SOURCE_CONTINUE

        source_id = self.sub.attach(None, cb)
        self.assertGreater(source_id, 0)
        for i in range(10):
            self.pub.publish_object(Tick(n=i), None)
        self.run_loop(loop)
        self.assertEqual(got, list(range(10)))
        self.assertTrue(all(threads_ok))
        self.assertEqual(self.sub.get_received_count(), 10)
        self.sub.detach()

    def test_attach_callback_publish_from_idle(self):
        # Publish from inside the loop (an idle), receive in the same loop.
        loop = GLib.MainLoop()
        got = []

        def cb(sub, ev):
            got.append(ev.get_object().props.n)
            if len(got) == 3:
                loop.quit()
            return True

        def publish():
            for i in range(3):
                self.pub.publish_object(Tick(n=i), None)
            return GLib.SOURCE_REMOVE

        self.sub.attach(None, cb)
        GLib.idle_add(publish)
        self.run_loop(loop)
        self.assertEqual(got, [0, 1, 2])

    def test_attach_callback_remove(self):
        # Returning SOURCE_REMOVE detaches; later events stay queued.
        loop = GLib.MainLoop()
        got = []

        def cb(sub, ev):
            got.append(ev.get_object().props.n)
            GLib.idle_add(loop.quit)
            return GLib.SOURCE_REMOVE

        self.sub.attach(None, cb)
        for i in range(3):
            self.pub.publish_object(Tick(n=i), None)
        self.run_loop(loop)
        self.assertEqual(got, [0])
        self.assertEqual(self.sub.get_queue_depth(), 2)
        self.assertEqual(self.sub.try_receive().get_object().props.n, 1)

    def test_event_signal(self):
        loop = GLib.MainLoop()
        got = []
        threads_ok = []

        def on_event(sub, ev):
            threads_ok.append(on_main_thread())
            got.append(ev.get_object().props.n)
            if len(got) == 5:
                loop.quit()

        handler = self.sub.connect('event', on_event)
        self.sub.attach(None, None)
        for i in range(5):
            self.pub.publish(EventSys.Event.new_object(Tick(n=i)), None)
        self.run_loop(loop)
        self.sub.disconnect(handler)
        self.assertEqual(got, list(range(5)))
        self.assertTrue(all(threads_ok))

    def test_signal_then_callback_order(self):
        loop = GLib.MainLoop()
        order = []
        self.sub.connect('event', lambda s, ev: order.append(('signal', ev.get_object().props.n)))

        def cb(s, ev):
            order.append(('func', ev.get_object().props.n))
            if len(order) == 4:
                loop.quit()
            return True

        self.sub.attach(None, cb)
        self.pub.publish_object(Tick(n=1), None)
        self.pub.publish_object(Tick(n=2), None)
        self.run_loop(loop)
        self.assertEqual(order, [('signal', 1), ('func', 1), ('signal', 2), ('func', 2)])

    def test_events_outlive_callbacks(self):
        # Bindings may keep the event after the callback returned; it must
        # stay valid (the binding holds its own reference).
        loop = GLib.MainLoop()
        kept = []
        self.sub.connect('event', lambda s, ev: kept.append(ev))

        def cb(s, ev):
            kept.append(ev)
            if len(kept) == 40:
                loop.quit()
            return True

        self.sub.attach(None, cb)
        for i in range(20):
            self.pub.publish_object(Tick(n=i, label='tick %d' % i), None)
        self.run_loop(loop)
        self.sub.detach()
        gc.collect()
        # Each event came twice (signal, callback) in order.
        self.assertEqual([e.get_object().props.n for e in kept],
                         [i // 2 for i in range(40)])
        self.assertEqual([e.get_object().props.label for e in kept[::2]],
                         ['tick %d' % i for i in range(20)])
        self.assertTrue(all(e.is_sealed() for e in kept))

    def test_receive_async(self):
        loop = GLib.MainLoop()
        got = []
        threads_ok = []

        def done(sub, res):
            threads_ok.append(on_main_thread())
            got.append(sub.receive_finish(res).get_object().props.n)
            loop.quit()

        self.sub.receive_async(None, done)
        self.pub.publish_object(Tick(n=42), None)
        self.run_loop(loop)
        self.assertEqual(got, [42])
        self.assertTrue(all(threads_ok))

    def test_receive_async_already_queued(self):
        # An event already queued completes asynchronously too (GTask rule:
        # never call back before receive_async returns).
        loop = GLib.MainLoop()
        got = []
        self.pub.publish_object(Tick(n=5), None)

        def done(sub, res):
            got.append(sub.receive_finish(res).get_object().props.n)
            loop.quit()

        self.sub.receive_async(None, done)
        self.assertEqual(got, [])
        self.run_loop(loop)
        self.assertEqual(got, [5])

    def test_receive_async_chain(self):
        loop = GLib.MainLoop()
        got = []

        def done(sub, res):
            got.append(sub.receive_finish(res).get_object().props.n)
            if len(got) < 10:
                sub.receive_async(None, done)
            else:
                loop.quit()

        self.sub.receive_async(None, done)
        for i in range(10):
            self.pub.publish_object(Tick(n=i), None)
        self.run_loop(loop)
        self.assertEqual(got, list(range(10)))

    def test_receive_async_cancelled(self):
        loop = GLib.MainLoop()
        errors = []
        cancellable = estest.Gio.Cancellable()

        def done(sub, res):
            try:
                sub.receive_finish(res)
            except GLib.Error as e:
                errors.append(e)
            loop.quit()

        self.sub.receive_async(cancellable, done)
        GLib.timeout_add(20, lambda: cancellable.cancel() or False)
        self.run_loop(loop)
        self.assertEqual(len(errors), 1)
        self.assertTrue(errors[0].matches(estest.Gio.io_error_quark(), estest.Gio.IOErrorEnum.CANCELLED))
        # Nothing was consumed by the cancelled receive.
        self.pub.publish_object(Tick(n=1), None)
        self.assertEqual(self.sub.try_receive().get_object().props.n, 1)

    def test_two_subscribers_get_every_event(self):
        sub2 = self.system.subscribe(Tick.__gtype__)
        loop = GLib.MainLoop()
        got1, got2 = [], []

        def check():
            if len(got1) == 5 and len(got2) == 5:
                loop.quit()

        def cb1(s, ev):
            got1.append(ev.get_object())
            check()
            return True

        def cb2(s, ev):
            got2.append(ev.get_object())
            check()
            return True

        self.sub.attach(None, cb1)
        sub2.attach(None, cb2)
        ticks = [Tick(n=i) for i in range(5)]
        for t in ticks:
            self.pub.publish_object(t, None)
        self.run_loop(loop)
        self.assertEqual(got1, ticks)
        self.assertEqual(got2, ticks)
        for a, b in zip(got1, got2):
            self.assertIs(a, b)

    def test_subscribe_after_publish_misses_event(self):
        self.pub.publish_object(Tick(n=1), None)
        late = self.system.subscribe(Tick.__gtype__)
        self.pub.publish_object(Tick(n=2), None)
        self.assertEqual(late.try_receive().get_object().props.n, 2)
        self.assertIsNone(late.try_receive())

    def test_create_source(self):
        loop = GLib.MainLoop()
        got = []
        source = self.sub.create_source()
        self.sub.connect('event', lambda s, ev: (got.append(ev.get_object().props.n), loop.quit()))
        source.attach(None)
        self.pub.publish_object(Tick(n=9), None)
        self.run_loop(loop)
        source.destroy()
        self.assertEqual(got, [9])

    def test_reentrant_publish_from_callback(self):
        # Publishing from inside a main-loop callback must not deadlock, and
        # the new event inherits the trace of the event being handled.
        loop = GLib.MainLoop()
        got = []

        def cb(s, ev):
            n = ev.get_object().props.n
            got.append((n, ev.dup_trace_id()))
            if n < 4:
                self.pub.publish_object(Tick(n=n + 1), None)
            else:
                loop.quit()
            return True

        self.sub.attach(None, cb)
        first = EventSys.Event.new_object(Tick(n=0))
        self.assertTrue(first.set_traceparent(
            '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'))
        self.pub.publish(first, None)
        self.run_loop(loop)
        self.assertEqual([n for n, _ in got], [0, 1, 2, 3, 4])
        self.assertEqual({t for _, t in got}, {'4bf92f3577b34da6a3ce929d0e0e4736'})

    def test_filter_python_func(self):
        filter_threads = []

        def even_only(ev):
            filter_threads.append(estest.threading.current_thread())
            return ev.get_object().props.n % 2 == 0

        sub = self.system.subscribe_filtered(Tick.__gtype__, even_only)
        loop = GLib.MainLoop()
        got = []

        def cb(s, ev):
            got.append(ev.get_object().props.n)
            if ev.get_object().props.n == 8:
                loop.quit()
            return True

        sub.attach(None, cb)
        for i in range(10):
            self.pub.publish_object(Tick(n=i), None)
        self.run_loop(loop)
        self.assertEqual(got, [0, 2, 4, 6, 8])
        # Filters run on the receiving side: here, the main loop's thread.
        self.assertTrue(all(t is estest.threading.main_thread() for t in filter_threads))
        self.assertGreaterEqual(sub.get_filtered_count(), 4)

    def test_unsubscribe_closes(self):
        self.pub.publish_object(Tick(n=1), None)
        self.sub.unsubscribe()
        self.assertTrue(self.sub.is_closed())
        # Unsubscribe closes; whatever it left queued, the end is CLOSED.
        with self.assertRaises(GLib.Error) as cm:
            for _ in range(3):
                self.sub.receive(None)
        self.assertEsError(cm.exception, EventSys.Error.CLOSED)


estest.implementation_tests(PubSubTests)


class ZeroCopySubtypeTests(estest.EsTestCase):
    IMPL = EventSys.ImplementationType.ZERO_COPY

    def test_parent_subscription_gets_subclass(self):
        system = self.make_system()
        sub = system.subscribe(Tick.__gtype__)
        pub = system.create_publisher(SpecialTick.__gtype__)
        pub.publish_object(SpecialTick(n=4), None)
        ev = sub.try_receive()
        self.assertIsNotNone(ev)
        self.assertIsInstance(ev.get_object(), SpecialTick)
        self.assertEqual(ev.get_object().props.n, 4)


if __name__ == '__main__':
    estest.main()
