#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Python publisher threads (threading.Thread) feeding a subscriber that
# receives in the main loop: callbacks, signal handlers and receive_async
# completions must all run on the main thread, never on a publisher's.

import threading

import estest
from estest import EventSys, GLib, Tick, on_main_thread

N_EVENTS = 2000


class ThreadTests:

    def start_publisher(self, pub, n, first=0, errors=None):
        def run():
            try:
                for i in range(first, first + n):
                    pub.publish_object(Tick(n=i), None)
            except Exception as e:  # reported by the test on the main thread
                (errors if errors is not None else []).append(e)

        t = threading.Thread(target=run, name='py-publisher-%d' % first, daemon=True)
        t.start()
        return t

    def test_thread_to_attached_callback(self):
        # A small queue with BLOCK: the publisher thread must wait for the
        # main loop, which needs PyGObject to release the GIL while blocked.
        system = self.make_system(channel_capacity=16, default_timeout=5 * GLib.TIME_SPAN_SECOND)
        sub = system.subscribe(Tick)
        pub = system.create_publisher(Tick)
        loop = GLib.MainLoop()
        got = []
        wrong_thread = []
        errors = []

        def cb(s, ev):
            if not on_main_thread():
                wrong_thread.append(threading.current_thread().name)
            got.append(ev.get_object().props.n)
            if len(got) == N_EVENTS:
                loop.quit()
            return True

        sub.attach(None, cb)
        t = self.start_publisher(pub, N_EVENTS, errors=errors)
        self.run_loop(loop, 8000)
        t.join(5)
        self.assertFalse(t.is_alive())
        self.assertEqual(errors, [])
        self.assertEqual(wrong_thread, [])
        self.assertEqual(got, list(range(N_EVENTS)))

    def test_thread_to_event_signal(self):
        system = self.make_system()
        sub = system.subscribe(Tick)
        pub = system.create_publisher(Tick)
        loop = GLib.MainLoop()
        got = []
        wrong_thread = []

        def on_event(s, ev):
            if not on_main_thread():
                wrong_thread.append(threading.current_thread().name)
            got.append(ev.get_object().props.n)
            if len(got) == 500:
                loop.quit()

        sub.connect('event', on_event)
        sub.attach(None, None)
        t = self.start_publisher(pub, 500)
        self.run_loop(loop, 8000)
        t.join(5)
        self.assertEqual(wrong_thread, [])
        self.assertEqual(got, list(range(500)))

    def test_thread_to_receive_async(self):
        system = self.make_system()
        sub = system.subscribe(Tick)
        pub = system.create_publisher(Tick)
        loop = GLib.MainLoop()
        got = []
        wrong_thread = []

        def done(s, res):
            if not on_main_thread():
                wrong_thread.append(threading.current_thread().name)
            got.append(s.receive_finish(res).get_object().props.n)
            if len(got) == 300:
                loop.quit()
            else:
                s.receive_async(None, done)

        sub.receive_async(None, done)
        t = self.start_publisher(pub, 300)
        self.run_loop(loop, 8000)
        t.join(5)
        self.assertEqual(wrong_thread, [])
        self.assertEqual(got, list(range(300)))

    def test_two_threads_per_publisher_order(self):
        system = self.make_system(channel_capacity=32, default_timeout=5 * GLib.TIME_SPAN_SECOND)
        sub = system.subscribe(Tick)
        pubs = [system.create_publisher(Tick) for _ in range(2)]
        loop = GLib.MainLoop()
        got = []

        def cb(s, ev):
            got.append(ev.get_object().props.n)
            if len(got) == 1000:
                loop.quit()
            return True

        sub.attach(None, cb)
        threads = [self.start_publisher(pubs[0], 500, 0),
                   self.start_publisher(pubs[1], 500, 10000)]
        self.run_loop(loop, 8000)
        for t in threads:
            t.join(5)
        self.assertEqual([n for n in got if n < 10000], list(range(500)))
        self.assertEqual([n for n in got if n >= 10000], list(range(10000, 10500)))

    def run_in_worker_context(self, body, n):
        """Runs a GLib.MainLoop on a worker thread with its own context
        pushed as thread-default; @body(ctx, loop, record) sets up delivery
        there. Returns (values, threads seen by callbacks)."""
        ready = threading.Event()
        done = threading.Event()
        values, threads = [], []
        box = {}

        def record(v):
            values.append(v)
            threads.append(threading.current_thread())
            if len(values) == n:
                box['loop'].quit()

        def worker():
            ctx = GLib.MainContext()
            ctx.push_thread_default()
            loop = GLib.MainLoop(ctx)
            box['loop'] = loop
            box['ctx'] = ctx
            body(ctx, loop, record)
            ready.set()
            source = GLib.timeout_source_new(5000)
            source.set_callback(lambda *a: loop.quit() or False)
            source.attach(ctx)
            loop.run()
            ctx.pop_thread_default()
            done.set()

        t = threading.Thread(target=worker, name='py-worker-loop', daemon=True)
        t.start()
        self.assertTrue(ready.wait(5))
        return t, done, values, threads

    def test_attach_in_worker_thread_default_context(self):
        # attach(None, ...) captures the calling thread's thread-default
        # context: callbacks run on the worker, not on the main thread.
        system = self.make_system()
        sub = system.subscribe(Tick)
        pub = system.create_publisher(Tick)

        def body(ctx, loop, record):
            sub.attach(None, lambda s, ev: record(ev.get_object().props.n) or True)

        t, done, values, threads = self.run_in_worker_context(body, 50)
        for i in range(50):
            pub.publish_object(Tick(n=i), None)
        self.assertTrue(done.wait(6))
        self.assertEqual(values, list(range(50)))
        self.assertTrue(all(th is t for th in threads))

    def test_attach_explicit_context(self):
        # attach(ctx, ...) from the main thread delivers on the thread that
        # iterates ctx.
        system = self.make_system()
        sub = system.subscribe(Tick)
        pub = system.create_publisher(Tick)
        contexts = []

        def body(ctx, loop, record):
            contexts.append((ctx, record))

        t, done, values, threads = self.run_in_worker_context(body, 20)
        ctx, record = contexts[0]

        def cb(s, ev):
            record(ev.get_object().props.n)
            return True

        sub.attach(ctx, cb)
        ctx.wakeup()
        for i in range(20):
            pub.publish_object(Tick(n=i), None)
        self.assertTrue(done.wait(6))
        self.assertEqual(values, list(range(20)))
        self.assertTrue(all(th is t for th in threads))

    def test_receive_async_in_worker_context(self):
        system = self.make_system()
        sub = system.subscribe(Tick)
        pub = system.create_publisher(Tick)

        def body(ctx, loop, record):
            def done(s, res):
                record(s.receive_finish(res).get_object().props.n)
                s.receive_async(None, done)
            sub.receive_async(None, done)

        t, done, values, threads = self.run_in_worker_context(body, 10)
        for i in range(10):
            pub.publish_object(Tick(n=i), None)
        self.assertTrue(done.wait(6))
        self.assertEqual(values, list(range(10)))
        self.assertTrue(all(th is t for th in threads))

    def test_blocking_receive_in_thread(self):
        # The reverse direction: a Python thread blocked in receive() while
        # the main thread publishes; shutdown wakes it with CLOSED.
        system = self.make_system()
        sub = system.subscribe(Tick)
        pub = system.create_publisher(Tick)
        got = []
        end = []

        def run():
            try:
                while True:
                    got.append(sub.receive(None).get_object().props.n)
            except GLib.Error as e:
                end.append(e)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        for i in range(100):
            pub.publish_object(Tick(n=i), None)
        system.shutdown()
        t.join(5)
        self.assertFalse(t.is_alive())
        self.assertEqual(got, list(range(100)))
        self.assertEqual(len(end), 1)
        self.assertEsError(end[0], EventSys.Error.CLOSED)


estest.implementation_tests(ThreadTests)


if __name__ == '__main__':
    estest.main()
