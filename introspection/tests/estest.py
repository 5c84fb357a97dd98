# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Shared helpers for the Python binding tests and a tiny unittest runner
# that prints TAP (one "ok N - name" line per test case), so that
# `meson test` counts every case.
#
# Run a test file directly with Debian's interpreter (python3-gi):
#
#   GI_TYPELIB_PATH=_build/introspection LD_LIBRARY_PATH=_build/eventsys \
#     /usr/bin/python3 introspection/tests/test_pubsub.py

import ctypes
import faulthandler
import os
import re
import sys
import threading
import traceback
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('EventSys', '1.0')

from gi.repository import EventSys, Gio, GLib, GObject  # noqa: E402

IMPLEMENTATIONS = {
    'Static': EventSys.ImplementationType.STATIC_FAST_PATH,
    'ZeroCopy': EventSys.ImplementationType.ZERO_COPY,
}

ES_ERROR_DOMAIN = GLib.quark_to_string(EventSys.error_quark())

# Longest a single main-loop wait may take before the test fails.
LOOP_TIMEOUT_MS = 3000


class Tick(GObject.Object):
    """A Python-defined event type: a GObject subclass."""
    __gtype_name__ = 'EsPyTestTick'

    n = GObject.Property(type=int, default=0)
    label = GObject.Property(type=str, default='')


class SpecialTick(Tick):
    """A subclass of Tick (subtype matching on the zero-copy path)."""
    __gtype_name__ = 'EsPyTestSpecialTick'


_glib = ctypes.CDLL('libglib-2.0.so.0')
_glib.g_bytes_get_data.restype = ctypes.c_void_p
_glib.g_bytes_get_data.argtypes = [ctypes.c_void_p, ctypes.c_void_p]


def boxed_address(boxed):
    """The C address of a boxed wrapper (PyGObject prints it in repr())."""
    m = re.search(r'\(\w+ at (0x[0-9a-fA-F]+)\)', repr(boxed))
    if m is None:
        raise AssertionError('no address in %r' % (boxed,))
    return int(m.group(1), 16)


def bytes_data_address(gbytes):
    """g_bytes_get_data() of a GLib.Bytes, as an integer."""
    return _glib.g_bytes_get_data(boxed_address(gbytes), None)


def run_isolated(code, impl, timeout=20):
    """Runs @code in a child interpreter (for cases that may crash the
    process) with EventSys, GLib, GObject, Tick and IMPL in scope. Returns
    its stdout; fails if the child did not exit cleanly."""
    import subprocess
    import textwrap
    prologue = textwrap.dedent('''
        import sys
        sys.path.insert(0, %r)
        from estest import EventSys, GLib, GObject, Gio, Tick
        IMPL = EventSys.ImplementationType(%d)
    ''') % (os.path.dirname(os.path.abspath(__file__)), int(impl))
    env = dict(os.environ, MALLOC_CHECK_='3', MALLOC_PERTURB_='165',
               G_SLICE='always-malloc', PYTHONDONTWRITEBYTECODE='1')
    proc = subprocess.run([sys.executable, '-X', 'faulthandler', '-c',
                           prologue + textwrap.dedent(code)],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, text=True)
    if proc.returncode != 0:
        raise AssertionError('child exited with %d:\n%s' % (proc.returncode, proc.stdout[-3000:]))
    return proc.stdout


def on_main_thread():
    return (threading.current_thread() is threading.main_thread() and
            GLib.MainContext.default().is_owner())


class EsTestCase(unittest.TestCase):
    """Base class; subclasses set IMPL (see implementation_tests())."""

    IMPL = EventSys.ImplementationType.STATIC_FAST_PATH

    def setUp(self):
        self.systems = []

    def tearDown(self):
        for system in self.systems:
            if system.get_state() == EventSys.EventSystemState.RUNNING:
                system.shutdown()
        self.systems = []
        # Drain whatever the test left in the default context.
        ctx = GLib.MainContext.default()
        while ctx.pending():
            ctx.iteration(False)

    def make_system(self, start=True, **props):
        props.setdefault('implementation', self.IMPL)
        props.setdefault('channel_capacity', 64)
        system = EventSys.EventSystemBuilder(**props).build()
        self.systems.append(system)
        if start:
            self.assertTrue(system.start())
        return system

    def assertEsError(self, error, code):
        self.assertIsInstance(error, GLib.Error)
        self.assertEqual(error.domain, ES_ERROR_DOMAIN, error.message)
        self.assertTrue(error.matches(EventSys.error_quark(), int(code)),
                        '%s (code %d), expected %s' % (error.message, error.code, code))

    def run_loop(self, loop, timeout_ms=LOOP_TIMEOUT_MS):
        """Runs @loop until something quits it; fails after @timeout_ms."""
        timed_out = []

        def on_timeout():
            timed_out.append(True)
            loop.quit()
            return GLib.SOURCE_REMOVE

        tid = GLib.timeout_add(timeout_ms, on_timeout)
        loop.run()
        if not timed_out:
            GLib.source_remove(tid)
        self.assertFalse(timed_out, 'main loop timed out after %d ms' % timeout_ms)


def implementation_tests(mixin):
    """Class decorator helper: makes one TestCase per implementation from
    @mixin and puts them in the caller's module namespace."""
    module = sys.modules[mixin.__module__]
    for name, impl in IMPLEMENTATIONS.items():
        cls_name = '%s%s' % (name, mixin.__name__.replace('Tests', ''))
        cls = type(cls_name, (mixin, EsTestCase), {'IMPL': impl})
        cls.__module__ = mixin.__module__
        cls.__qualname__ = cls_name
        setattr(module, cls_name, cls)
    return mixin


class TapResult(unittest.TestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.n = 0
        self.bad = 0

    def _name(self, test):
        return '%s.%s' % (type(test).__name__, test._testMethodName)

    def _line(self, ok, test, directive=''):
        self.n += 1
        print('%s %d - %s%s' % ('ok' if ok else 'not ok', self.n, self._name(test), directive),
              flush=True)

    def _diag(self, text):
        for line in text.rstrip().splitlines():
            print('# ' + line)
        sys.stdout.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.bad += 1
        self._line(False, test)
        self._diag(self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self.bad += 1
        self._line(False, test)
        self._diag(self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(True, test, ' # SKIP %s' % reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        reason = getattr(getattr(test, test._testMethodName), '__known_bug__', 'known bug')
        self._line(False, test, ' # TODO %s' % reason)
        self._diag(self._exc_info_to_string(err, test))

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.bad += 1
        self._line(True, test, ' # TODO known bug seems fixed: drop expectedFailure')


def known_bug(reason):
    """unittest.expectedFailure with a reason shown in the TAP output."""
    def decorate(func):
        func.__known_bug__ = reason
        return unittest.expectedFailure(func)
    return decorate


def main():
    faulthandler.enable()
    # A hung test must not hang the whole run past meson's timeout silently.
    faulthandler.dump_traceback_later(int(os.environ.get('ES_PY_TEST_WATCHDOG', '25')), exit=True)
    module = sys.modules['__main__']
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    if len(sys.argv) > 1:
        wanted = sys.argv[1:]
        flat = []

        def walk(s):
            for t in s:
                if isinstance(t, unittest.TestSuite):
                    walk(t)
                else:
                    flat.append(t)
        walk(suite)
        suite = unittest.TestSuite(t for t in flat
                                   if any(w in '%s.%s' % (type(t).__name__, t._testMethodName)
                                          for w in wanted))
    result = TapResult()
    try:
        suite.run(result)
    except Exception:
        traceback.print_exc()
        result.bad += 1
    print('1..%d' % result.n, flush=True)
    faulthandler.cancel_dump_traceback_later()
    sys.exit(1 if result.bad or result.n == 0 else 0)
