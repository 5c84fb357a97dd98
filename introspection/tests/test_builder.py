#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# EsEventSystemBuilder from Python: options as constructor properties and
# as chained setters, defaults, and validation errors.

import unittest

import estest
from estest import EventSys, GLib

STRATEGY = EventSys.BackpressureStrategy


class BuilderDefaultsTests(unittest.TestCase):

    def test_defaults(self):
        b = EventSys.EventSystemBuilder.new()
        # The seed's defaults.
        self.assertEqual(b.props.implementation, EventSys.ImplementationType.ZERO_COPY)
        self.assertEqual(b.props.channel_capacity, 10000)
        self.assertEqual(b.props.max_concurrent_dispatches, 1000)
        self.assertTrue(b.props.enable_priority)
        self.assertEqual(b.props.default_timeout, GLib.TIME_SPAN_SECOND)
        self.assertEqual(b.props.batch_size, 100)
        self.assertEqual(b.props.shard_count, 8)
        self.assertEqual(b.props.global_buffer_size, 0)
        self.assertEqual(b.props.backpressure_strategy, STRATEGY.BLOCK)
        self.assertFalse(b.props.enable_metrics)
        self.assertEqual(b.props.metrics_reporting_interval, 5 * GLib.TIME_SPAN_SECOND)

    def test_unknown_implementation(self):
        b = EventSys.EventSystemBuilder.new()
        with self.assertRaises((GLib.Error, TypeError, ValueError)):
            b.set_implementation(99)
            b.build()


class BuilderTests:

    def check_system(self, system, capacity, batch):
        self.systems.append(system)
        self.assertIsInstance(system, EventSys.EventSystem)
        self.assertEqual(system.get_implementation(), self.IMPL)
        self.assertEqual(system.get_channel_capacity(), capacity)
        self.assertEqual(system.get_batch_size(), batch)
        self.assertEqual(system.props.channel_capacity, capacity)
        self.assertEqual(system.get_state(), EventSys.EventSystemState.CREATED)

    def test_constructor_properties(self):
        b = EventSys.EventSystemBuilder(implementation=self.IMPL,
                                        channel_capacity=128,
                                        batch_size=16,
                                        max_concurrent_dispatches=4,
                                        enable_priority=False,
                                        default_timeout=250000,
                                        shard_count=2,
                                        global_buffer_size=1 << 20,
                                        backpressure_strategy=STRATEGY.DROP_OLDEST,
                                        enable_metrics=True,
                                        metrics_reporting_interval=GLib.TIME_SPAN_SECOND)
        self.assertEqual(b.props.channel_capacity, 128)
        system = b.build()
        self.check_system(system, 128, 16)
        self.assertEqual(system.get_default_timeout(), 250000)
        self.assertEqual(system.get_backpressure_strategy(), STRATEGY.DROP_OLDEST)
        self.assertEqual(system.props.max_concurrent_dispatches, 4)
        self.assertEqual(system.props.shard_count, 2)
        self.assertFalse(system.props.enable_priority)
        self.assertEqual(system.props.global_buffer_size, 1 << 20)

    def test_chained_setters(self):
        b = EventSys.EventSystemBuilder.new()
        same = (b.set_implementation(self.IMPL)
                 .set_channel_capacity(32)
                 .set_batch_size(8)
                 .set_max_concurrent_dispatches(2)
                 .set_enable_priority(True)
                 .set_default_timeout(100000)
                 .set_shard_count(4)
                 .set_global_buffer_size(4096)
                 .set_backpressure_strategy(STRATEGY.DROP_NEWEST)
                 .set_enable_metrics(False)
                 .set_metrics_reporting_interval(5 * GLib.TIME_SPAN_SECOND)
                 .set_name(None))
        self.assertIs(same, b)
        # Setters and properties are the same thing.
        self.assertEqual(b.props.channel_capacity, 32)
        self.assertEqual(b.props.backpressure_strategy, STRATEGY.DROP_NEWEST)
        system = b.build()
        self.check_system(system, 32, 8)
        self.assertEqual(system.get_backpressure_strategy(), STRATEGY.DROP_NEWEST)
        self.assertEqual(system.get_default_timeout(), 100000)

    def test_setter_notifies_property(self):
        b = EventSys.EventSystemBuilder(implementation=self.IMPL)
        notified = []
        b.connect('notify::channel-capacity', lambda o, p: notified.append(o.props.channel_capacity))
        b.set_channel_capacity(7)
        self.assertEqual(notified, [7])

    def test_builder_reusable(self):
        b = EventSys.EventSystemBuilder(implementation=self.IMPL, channel_capacity=16)
        s1 = b.build()
        s2 = b.set_channel_capacity(8).build()
        self.assertIsNot(s1, s2)
        self.check_system(s1, 16, 100)
        self.check_system(s2, 8, 100)

    def test_named_system_lookup(self):
        name = 'py-builder-%s' % self.IMPL.value_nick
        system = EventSys.EventSystemBuilder(implementation=self.IMPL).set_name(name).build()
        self.systems.append(system)
        self.assertEqual(system.get_name(), name)
        found = EventSys.EventSystem.lookup(name)
        self.assertIs(found, system)

    def check_invalid(self, **props):
        props.setdefault('implementation', self.IMPL)
        with self.assertRaises(GLib.Error) as cm:
            EventSys.EventSystemBuilder(**props).build()
        self.assertEsError(cm.exception, EventSys.Error.INVALID_ARGUMENT)
        self.assertTrue(cm.exception.message)

    def test_invalid_zero_capacity(self):
        self.check_invalid(channel_capacity=0)
        b = EventSys.EventSystemBuilder(implementation=self.IMPL).set_channel_capacity(0)
        with self.assertRaises(GLib.Error) as cm:
            b.build()
        self.assertEsError(cm.exception, EventSys.Error.INVALID_ARGUMENT)
        self.assertIn('capacity', cm.exception.message)

    def test_invalid_values(self):
        self.check_invalid(shard_count=0)
        self.check_invalid(batch_size=0)
        self.check_invalid(max_concurrent_dispatches=0)
        self.check_invalid(default_timeout=-5)
        self.check_invalid(metrics_reporting_interval=0)
        # CUSTOM without a function.
        self.check_invalid(backpressure_strategy=STRATEGY.CUSTOM)

    def test_custom_with_python_func(self):
        b = EventSys.EventSystemBuilder(implementation=self.IMPL,
                                        backpressure_strategy=STRATEGY.CUSTOM)
        b.set_backpressure_func(lambda *a: EventSys.BackpressureAction.DROP_NEWEST)
        system = b.build()
        self.systems.append(system)
        self.assertEqual(system.get_backpressure_strategy(), STRATEGY.CUSTOM)


estest.implementation_tests(BuilderTests)


if __name__ == '__main__':
    estest.main()
