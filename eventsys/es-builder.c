/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "es-event-system-private.h"

/**
 * EsEventSystemBuilder:
 *
 * Configures and builds an #EsEventSystem. Every option has the default of
 * the original design and can be set with a chained setter or as a GObject
 * property of the same name; es_event_system_builder_build() validates the
 * whole configuration and fails with %ES_ERROR_INVALID_ARGUMENT on nonsense.
 *
 * |[<!-- language="C" -->
 * g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
 * g_autoptr(EsEventSystem) system =
 *   es_event_system_builder_build (
 *     es_event_system_builder_set_backpressure_strategy (
 *       es_event_system_builder_set_global_buffer_size (
 *         es_event_system_builder_set_channel_capacity (
 *           es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_ZERO_COPY),
 *           1000),
 *         10 * 1000 * 1000),
 *       ES_BACKPRESSURE_DROP_OLDEST),
 *     &error);
 * ]|
 *
 * In Python: `EventSys.EventSystemBuilder(channel_capacity=1000).build()`.
 *
 * | option | default |
 * | --- | --- |
 * | implementation | %ES_IMPLEMENTATION_ZERO_COPY |
 * | channel-capacity | 10000 |
 * | max-concurrent-dispatches | 1000 |
 * | enable-priority | %TRUE |
 * | default-timeout | 1 s |
 * | batch-size | 100 |
 * | shard-count | 8 |
 * | global-buffer-size | 0 (unlimited) |
 * | backpressure-strategy | %ES_BACKPRESSURE_BLOCK |
 * | enable-metrics | %FALSE |
 * | metrics-reporting-interval | 5 s |
 * | adaptive-backpressure | %FALSE |
 * | low-watermark, high-watermark | 0.5, 0.8 |
 * | max-throttle-delay | 2 ms |
 *
 * A builder is not thread-safe; the system it builds is.
 *
 * Since: 1.0
 */

struct _EsEventSystemBuilder
{
  GObject               parent_instance;
  EsImplementationType  implementation;
  EsConfig              config;        /* name, backpressure func owned */
};

enum {
  PROP_0,
  PROP_IMPLEMENTATION,
  PROP_NAME,
  PROP_CHANNEL_CAPACITY,
  PROP_MAX_CONCURRENT_DISPATCHES,
  PROP_ENABLE_PRIORITY,
  PROP_DEFAULT_TIMEOUT,
  PROP_BATCH_SIZE,
  PROP_SHARD_COUNT,
  PROP_GLOBAL_BUFFER_SIZE,
  PROP_BACKPRESSURE_STRATEGY,
  PROP_ENABLE_METRICS,
  PROP_METRICS_REPORTING_INTERVAL,
  PROP_ADAPTIVE_BACKPRESSURE,
  PROP_LOW_WATERMARK,
  PROP_HIGH_WATERMARK,
  PROP_MAX_THROTTLE_DELAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EsEventSystemBuilder, es_event_system_builder, G_TYPE_OBJECT)

static void
clear_backpressure_func (EsEventSystemBuilder *self)
{
  if (self->config.backpressure_destroy != NULL)
    self->config.backpressure_destroy (self->config.backpressure_data);
  self->config.backpressure_func = NULL;
  self->config.backpressure_data = NULL;
  self->config.backpressure_destroy = NULL;
}

static void
es_event_system_builder_finalize (GObject *object)
{
  EsEventSystemBuilder *self = ES_EVENT_SYSTEM_BUILDER (object);

  clear_backpressure_func (self);
  g_clear_pointer (&self->config.name, g_free);

  G_OBJECT_CLASS (es_event_system_builder_parent_class)->finalize (object);
}

static void
es_event_system_builder_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  EsEventSystemBuilder *self = ES_EVENT_SYSTEM_BUILDER (object);

  switch (prop_id)
    {
    case PROP_IMPLEMENTATION:
      g_value_set_enum (value, self->implementation);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->config.name);
      break;
    case PROP_CHANNEL_CAPACITY:
      g_value_set_uint (value, self->config.channel_capacity);
      break;
    case PROP_MAX_CONCURRENT_DISPATCHES:
      g_value_set_uint (value, self->config.max_concurrent_dispatches);
      break;
    case PROP_ENABLE_PRIORITY:
      g_value_set_boolean (value, self->config.enable_priority);
      break;
    case PROP_DEFAULT_TIMEOUT:
      g_value_set_int64 (value, self->config.default_timeout);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->config.batch_size);
      break;
    case PROP_SHARD_COUNT:
      g_value_set_uint (value, self->config.shard_count);
      break;
    case PROP_GLOBAL_BUFFER_SIZE:
      g_value_set_uint64 (value, self->config.global_buffer_size);
      break;
    case PROP_BACKPRESSURE_STRATEGY:
      g_value_set_enum (value, self->config.backpressure_strategy);
      break;
    case PROP_ENABLE_METRICS:
      g_value_set_boolean (value, self->config.enable_metrics);
      break;
    case PROP_METRICS_REPORTING_INTERVAL:
      g_value_set_int64 (value, self->config.metrics_reporting_interval);
      break;
    case PROP_ADAPTIVE_BACKPRESSURE:
      g_value_set_boolean (value, self->config.adaptive);
      break;
    case PROP_LOW_WATERMARK:
      g_value_set_double (value, self->config.low_watermark);
      break;
    case PROP_HIGH_WATERMARK:
      g_value_set_double (value, self->config.high_watermark);
      break;
    case PROP_MAX_THROTTLE_DELAY:
      g_value_set_int64 (value, self->config.max_throttle_delay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_event_system_builder_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  EsEventSystemBuilder *self = ES_EVENT_SYSTEM_BUILDER (object);

  switch (prop_id)
    {
    case PROP_IMPLEMENTATION:
      es_event_system_builder_set_implementation (self, g_value_get_enum (value));
      break;
    case PROP_NAME:
      es_event_system_builder_set_name (self, g_value_get_string (value));
      break;
    case PROP_CHANNEL_CAPACITY:
      es_event_system_builder_set_channel_capacity (self, g_value_get_uint (value));
      break;
    case PROP_MAX_CONCURRENT_DISPATCHES:
      es_event_system_builder_set_max_concurrent_dispatches (self, g_value_get_uint (value));
      break;
    case PROP_ENABLE_PRIORITY:
      es_event_system_builder_set_enable_priority (self, g_value_get_boolean (value));
      break;
    case PROP_DEFAULT_TIMEOUT:
      es_event_system_builder_set_default_timeout (self, g_value_get_int64 (value));
      break;
    case PROP_BATCH_SIZE:
      es_event_system_builder_set_batch_size (self, g_value_get_uint (value));
      break;
    case PROP_SHARD_COUNT:
      es_event_system_builder_set_shard_count (self, g_value_get_uint (value));
      break;
    case PROP_GLOBAL_BUFFER_SIZE:
      es_event_system_builder_set_global_buffer_size (self, g_value_get_uint64 (value));
      break;
    case PROP_BACKPRESSURE_STRATEGY:
      es_event_system_builder_set_backpressure_strategy (self, g_value_get_enum (value));
      break;
    case PROP_ENABLE_METRICS:
      es_event_system_builder_set_enable_metrics (self, g_value_get_boolean (value));
      break;
    case PROP_METRICS_REPORTING_INTERVAL:
      es_event_system_builder_set_metrics_reporting_interval (self, g_value_get_int64 (value));
      break;
    case PROP_ADAPTIVE_BACKPRESSURE:
      es_event_system_builder_set_adaptive_backpressure (self, g_value_get_boolean (value));
      break;
    case PROP_LOW_WATERMARK:
      es_event_system_builder_set_watermarks (self, g_value_get_double (value), self->config.high_watermark);
      break;
    case PROP_HIGH_WATERMARK:
      es_event_system_builder_set_watermarks (self, self->config.low_watermark, g_value_get_double (value));
      break;
    case PROP_MAX_THROTTLE_DELAY:
      es_event_system_builder_set_max_throttle_delay (self, g_value_get_int64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_event_system_builder_class_init (EsEventSystemBuilderClass *klass)
{
  /* Validation messages are translated; bind before the first one. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  /* Ranges are wide on purpose: build() reports nonsense as a GError
   * instead of g_object_set() warning about it. */
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = es_event_system_builder_finalize;
  object_class->get_property = es_event_system_builder_get_property;
  object_class->set_property = es_event_system_builder_set_property;

  /**
   * EsEventSystemBuilder:implementation:
   *
   * See es_event_system_builder_set_implementation().
   *
   * Since: 1.0
   */
  properties[PROP_IMPLEMENTATION] =
    g_param_spec_enum ("implementation", NULL, NULL, ES_TYPE_IMPLEMENTATION_TYPE,
                       ES_IMPLEMENTATION_ZERO_COPY, rw);
  /**
   * EsEventSystemBuilder:name:
   *
   * See es_event_system_builder_set_name().
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, rw);
  /**
   * EsEventSystemBuilder:channel-capacity:
   *
   * See es_event_system_builder_set_channel_capacity().
   *
   * Since: 1.0
   */
  properties[PROP_CHANNEL_CAPACITY] =
    g_param_spec_uint ("channel-capacity", NULL, NULL, 0, G_MAXUINT, 10000, rw);
  /**
   * EsEventSystemBuilder:max-concurrent-dispatches:
   *
   * See es_event_system_builder_set_max_concurrent_dispatches().
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONCURRENT_DISPATCHES] =
    g_param_spec_uint ("max-concurrent-dispatches", NULL, NULL, 0, G_MAXUINT, 1000, rw);
  /**
   * EsEventSystemBuilder:enable-priority:
   *
   * See es_event_system_builder_set_enable_priority().
   *
   * Since: 1.0
   */
  properties[PROP_ENABLE_PRIORITY] =
    g_param_spec_boolean ("enable-priority", NULL, NULL, TRUE, rw);
  /**
   * EsEventSystemBuilder:default-timeout:
   *
   * See es_event_system_builder_set_default_timeout().
   *
   * Since: 1.0
   */
  properties[PROP_DEFAULT_TIMEOUT] =
    g_param_spec_int64 ("default-timeout", NULL, NULL, G_MININT64, G_MAXINT64, G_TIME_SPAN_SECOND, rw);
  /**
   * EsEventSystemBuilder:batch-size:
   *
   * See es_event_system_builder_set_batch_size().
   *
   * Since: 1.0
   */
  properties[PROP_BATCH_SIZE] =
    g_param_spec_uint ("batch-size", NULL, NULL, 0, G_MAXUINT, 100, rw);
  /**
   * EsEventSystemBuilder:shard-count:
   *
   * See es_event_system_builder_set_shard_count().
   *
   * Since: 1.0
   */
  properties[PROP_SHARD_COUNT] =
    g_param_spec_uint ("shard-count", NULL, NULL, 0, G_MAXUINT, 8, rw);
  /**
   * EsEventSystemBuilder:global-buffer-size:
   *
   * See es_event_system_builder_set_global_buffer_size().
   *
   * Since: 1.0
   */
  properties[PROP_GLOBAL_BUFFER_SIZE] =
    g_param_spec_uint64 ("global-buffer-size", NULL, NULL, 0, G_MAXUINT64, 0, rw);
  /**
   * EsEventSystemBuilder:backpressure-strategy:
   *
   * See es_event_system_builder_set_backpressure_strategy().
   *
   * Since: 1.0
   */
  properties[PROP_BACKPRESSURE_STRATEGY] =
    g_param_spec_enum ("backpressure-strategy", NULL, NULL, ES_TYPE_BACKPRESSURE_STRATEGY,
                       ES_BACKPRESSURE_BLOCK, rw);
  /**
   * EsEventSystemBuilder:enable-metrics:
   *
   * See es_event_system_builder_set_enable_metrics().
   *
   * Since: 1.0
   */
  properties[PROP_ENABLE_METRICS] =
    g_param_spec_boolean ("enable-metrics", NULL, NULL, FALSE, rw);
  /**
   * EsEventSystemBuilder:metrics-reporting-interval:
   *
   * See es_event_system_builder_set_metrics_reporting_interval().
   *
   * Since: 1.0
   */
  properties[PROP_METRICS_REPORTING_INTERVAL] =
    g_param_spec_int64 ("metrics-reporting-interval", NULL, NULL, G_MININT64, G_MAXINT64,
                        5 * G_TIME_SPAN_SECOND, rw);

  /**
   * EsEventSystemBuilder:adaptive-backpressure:
   *
   * See es_event_system_builder_set_adaptive_backpressure().
   *
   * Since: 1.0
   */
  properties[PROP_ADAPTIVE_BACKPRESSURE] =
    g_param_spec_boolean ("adaptive-backpressure", NULL, NULL, FALSE, rw);
  /**
   * EsEventSystemBuilder:low-watermark:
   *
   * See es_event_system_builder_set_watermarks().
   *
   * Since: 1.0
   */
  properties[PROP_LOW_WATERMARK] =
    g_param_spec_double ("low-watermark", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.5, rw);
  /**
   * EsEventSystemBuilder:high-watermark:
   *
   * See es_event_system_builder_set_watermarks().
   *
   * Since: 1.0
   */
  properties[PROP_HIGH_WATERMARK] =
    g_param_spec_double ("high-watermark", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.8, rw);
  /**
   * EsEventSystemBuilder:max-throttle-delay:
   *
   * See es_event_system_builder_set_max_throttle_delay().
   *
   * Since: 1.0
   */
  properties[PROP_MAX_THROTTLE_DELAY] =
    g_param_spec_int64 ("max-throttle-delay", NULL, NULL, G_MININT64, G_MAXINT64, 2000, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
es_event_system_builder_init (EsEventSystemBuilder *self)
{
  self->implementation = ES_IMPLEMENTATION_ZERO_COPY;
  self->config.channel_capacity = 10000;
  self->config.max_concurrent_dispatches = 1000;
  self->config.enable_priority = TRUE;
  self->config.default_timeout = G_TIME_SPAN_SECOND;
  self->config.batch_size = 100;
  self->config.shard_count = 8;
  self->config.global_buffer_size = 0;
  self->config.backpressure_strategy = ES_BACKPRESSURE_BLOCK;
  self->config.enable_metrics = FALSE;
  self->config.metrics_reporting_interval = 5 * G_TIME_SPAN_SECOND;
  self->config.adaptive = FALSE;
  self->config.low_watermark = 0.5;
  self->config.high_watermark = 0.8;
  self->config.max_throttle_delay = 2000;
}

/**
 * es_event_system_builder_new:
 *
 * Creates a builder with the default options (see #EsEventSystemBuilder).
 *
 * Returns: (transfer full): a new #EsEventSystemBuilder
 *
 * Since: 1.0
 */
EsEventSystemBuilder *
es_event_system_builder_new (void)
{
  return g_object_new (ES_TYPE_EVENT_SYSTEM_BUILDER, NULL);
}

#define SETTER(type, name, field, prop) \
  EsEventSystemBuilder * \
  es_event_system_builder_set_##name (EsEventSystemBuilder *self, \
                                      type                  value) \
  { \
    g_return_val_if_fail (ES_IS_EVENT_SYSTEM_BUILDER (self), NULL); \
    if (self->field != value) \
      { \
        self->field = value; \
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop]); \
      } \
    return self; \
  }

/**
 * es_event_system_builder_set_implementation:
 * @self: an #EsEventSystemBuilder
 * @implementation: the implementation to build
 *
 * Chooses the static fast path or the zero-copy implementation.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (EsImplementationType, implementation, implementation, PROP_IMPLEMENTATION)

/**
 * es_event_system_builder_set_channel_capacity:
 * @self: an #EsEventSystemBuilder
 * @capacity: events each subscriber may have queued; at least 1
 *
 * Sets #EsEventSystemBuilder:channel-capacity.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (guint, channel_capacity, config.channel_capacity, PROP_CHANNEL_CAPACITY)

/**
 * es_event_system_builder_set_max_concurrent_dispatches:
 * @self: an #EsEventSystemBuilder
 * @max: handler subscriptions (zero-copy) that may run at once; at least 1
 *
 * Sets #EsEventSystemBuilder:max-concurrent-dispatches.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (guint, max_concurrent_dispatches, config.max_concurrent_dispatches, PROP_MAX_CONCURRENT_DISPATCHES)

/**
 * es_event_system_builder_set_enable_priority:
 * @self: an #EsEventSystemBuilder
 * @enabled: whether the zero-copy implementation uses priority lanes
 *
 * Sets #EsEventSystemBuilder:enable-priority.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (gboolean, enable_priority, config.enable_priority, PROP_ENABLE_PRIORITY)

/**
 * es_event_system_builder_set_default_timeout:
 * @self: an #EsEventSystemBuilder
 * @timeout: how long a blocked publish waits, in microseconds; -1 for no bound
 *
 * Sets #EsEventSystemBuilder:default-timeout.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (GTimeSpan, default_timeout, config.default_timeout, PROP_DEFAULT_TIMEOUT)

/**
 * es_event_system_builder_set_batch_size:
 * @self: an #EsEventSystemBuilder
 * @size: the most events one main-loop dispatch delivers; at least 1
 *
 * Sets #EsEventSystemBuilder:batch-size.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (guint, batch_size, config.batch_size, PROP_BATCH_SIZE)

/**
 * es_event_system_builder_set_shard_count:
 * @self: an #EsEventSystemBuilder
 * @count: shards of the zero-copy subscription registry; at least 1
 *
 * Sets #EsEventSystemBuilder:shard-count.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (guint, shard_count, config.shard_count, PROP_SHARD_COUNT)

/**
 * es_event_system_builder_set_global_buffer_size:
 * @self: an #EsEventSystemBuilder
 * @size: the most bytes buffered across the system; 0 for unlimited
 *
 * Sets #EsEventSystemBuilder:global-buffer-size.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (guint64, global_buffer_size, config.global_buffer_size, PROP_GLOBAL_BUFFER_SIZE)

/**
 * es_event_system_builder_set_backpressure_strategy:
 * @self: an #EsEventSystemBuilder
 * @strategy: what a publish does when a limit is hit
 *
 * %ES_BACKPRESSURE_CUSTOM also needs
 * es_event_system_builder_set_backpressure_func().
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (EsBackpressureStrategy, backpressure_strategy, config.backpressure_strategy, PROP_BACKPRESSURE_STRATEGY)

/**
 * es_event_system_builder_set_enable_metrics:
 * @self: an #EsEventSystemBuilder
 * @enabled: whether to collect metrics
 *
 * Sets #EsEventSystemBuilder:enable-metrics.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (gboolean, enable_metrics, config.enable_metrics, PROP_ENABLE_METRICS)

/**
 * es_event_system_builder_set_metrics_reporting_interval:
 * @self: an #EsEventSystemBuilder
 * @interval: how often metrics are reported, in microseconds; positive
 *
 * Sets #EsEventSystemBuilder:metrics-reporting-interval.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (GTimeSpan, metrics_reporting_interval, config.metrics_reporting_interval, PROP_METRICS_REPORTING_INTERVAL)

/**
 * es_event_system_builder_set_adaptive_backpressure:
 * @self: an #EsEventSystemBuilder
 * @enabled: whether publishers are slowed before the hard limit
 *
 * Turns on adaptive backpressure: a publisher whose targets fill up is slowed
 * smoothly instead of hitting the wall of the strategy. The utilization u of
 * a publish is the highest of its target queues' depth / channel-capacity
 * (for the static fast path, the ring's fill) and the global buffer's
 * utilization. When u reaches the high watermark the publisher becomes
 * %ES_BACKPRESSURE_STATE_THROTTLED and each publish first waits up to
 * `max-throttle-delay × (u − low) / (1 − low)` — woken early whenever a
 * subscriber makes room — and it stays throttled until u falls to the low
 * watermark (hysteresis, so the state does not flap). A short burst is thus
 * spread out and absorbed; the configured strategy still applies if a queue
 * fills anyway.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (gboolean, adaptive_backpressure, config.adaptive, PROP_ADAPTIVE_BACKPRESSURE)

/**
 * es_event_system_builder_set_max_throttle_delay:
 * @self: an #EsEventSystemBuilder
 * @delay: the longest wait per publish of a throttled publisher, in
 *   microseconds; at least 0
 *
 * Sets the adaptive mode's longest slowdown per publish (default 2 ms).
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
SETTER (GTimeSpan, max_throttle_delay, config.max_throttle_delay, PROP_MAX_THROTTLE_DELAY)

/**
 * es_event_system_builder_set_watermarks:
 * @self: an #EsEventSystemBuilder
 * @low: the utilization (0 to 1) at which throttling ends and
 *   #EsBufferManager::watermark-crossed reports falling; default 0.5
 * @high: the utilization at which throttling starts and
 *   #EsBufferManager::watermark-crossed reports rising; default 0.8;
 *   greater than @low
 *
 * Sets the watermarks of the adaptive mode and of the global buffer.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
EsEventSystemBuilder *
es_event_system_builder_set_watermarks (EsEventSystemBuilder *self,
                                        gdouble               low,
                                        gdouble               high)
{
  g_return_val_if_fail (ES_IS_EVENT_SYSTEM_BUILDER (self), NULL);

  if (self->config.low_watermark != low)
    {
      self->config.low_watermark = low;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOW_WATERMARK]);
    }
  if (self->config.high_watermark != high)
    {
      self->config.high_watermark = high;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGH_WATERMARK]);
    }
  return self;
}

/**
 * es_event_system_builder_set_name:
 * @self: an #EsEventSystemBuilder
 * @name: (nullable): the name es_event_system_lookup() will find the system by
 *
 * Sets #EsEventSystemBuilder:name.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
EsEventSystemBuilder *
es_event_system_builder_set_name (EsEventSystemBuilder *self,
                                  const char           *name)
{
  g_return_val_if_fail (ES_IS_EVENT_SYSTEM_BUILDER (self), NULL);

  if (g_strcmp0 (self->config.name, name) != 0)
    {
      g_free (self->config.name);
      self->config.name = g_strdup (name);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
    }
  return self;
}

/**
 * es_event_system_builder_set_backpressure_func:
 * @self: an #EsEventSystemBuilder
 * @func: (scope notified) (closure user_data) (destroy destroy) (nullable):
 *   decides what a publish does when a limit is hit
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the system is finalized
 *
 * Sets the function %ES_BACKPRESSURE_CUSTOM asks. It runs on the publishing
 * thread with no internal lock held.
 *
 * Returns: (transfer none): @self, for chaining
 *
 * Since: 1.0
 */
EsEventSystemBuilder *
es_event_system_builder_set_backpressure_func (EsEventSystemBuilder *self,
                                               EsBackpressureFunc    func,
                                               gpointer              user_data,
                                               GDestroyNotify        destroy)
{
  g_return_val_if_fail (ES_IS_EVENT_SYSTEM_BUILDER (self), NULL);

  clear_backpressure_func (self);
  self->config.backpressure_func = func;
  self->config.backpressure_data = user_data;
  self->config.backpressure_destroy = destroy;
  return self;
}

static gboolean
invalid (GError     **error,
         const char  *message)
{
  g_set_error_literal (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

static gboolean
validate (EsEventSystemBuilder  *self,
          GError               **error)
{
  const EsConfig *c = &self->config;

  if (self->implementation != ES_IMPLEMENTATION_STATIC_FAST_PATH &&
      self->implementation != ES_IMPLEMENTATION_ZERO_COPY)
    return invalid (error, _("Unknown implementation type"));
  if (c->channel_capacity == 0)
    return invalid (error, _("channel-capacity must be at least 1"));
  if (c->channel_capacity > (1u << 30))
    return invalid (error, _("channel-capacity must be at most 2^30"));
  if (c->max_concurrent_dispatches == 0)
    return invalid (error, _("max-concurrent-dispatches must be at least 1"));
  if (c->max_concurrent_dispatches > 65536)
    return invalid (error, _("max-concurrent-dispatches must be at most 65536"));
  if (c->batch_size == 0)
    return invalid (error, _("batch-size must be at least 1"));
  if (c->batch_size > G_MAXINT32)
    return invalid (error, _("batch-size is too large"));
  if (c->shard_count == 0)
    return invalid (error, _("shard-count must be at least 1"));
  if (c->shard_count > 4096)
    return invalid (error, _("shard-count must be at most 4096"));
  if (c->default_timeout < -1)
    return invalid (error, _("default-timeout must be -1 (none) or a duration in microseconds"));
  if (c->metrics_reporting_interval <= 0)
    return invalid (error, _("metrics-reporting-interval must be positive"));
  if ((guint) c->backpressure_strategy > ES_BACKPRESSURE_CUSTOM)
    return invalid (error, _("Unknown backpressure strategy"));
  if (c->backpressure_strategy == ES_BACKPRESSURE_CUSTOM && c->backpressure_func == NULL)
    return invalid (error, _("The CUSTOM backpressure strategy needs a backpressure function"));
  if (!(c->low_watermark >= 0 && c->low_watermark < c->high_watermark && c->high_watermark <= 1))
    return invalid (error, _("Watermarks must satisfy 0 <= low < high <= 1"));
  if (c->max_throttle_delay < 0)
    return invalid (error, _("max-throttle-delay must not be negative"));
  return TRUE;
}

/**
 * es_event_system_builder_build:
 * @self: an #EsEventSystemBuilder
 * @error: return location for a #GError
 *
 * Validates the configuration and builds the system: an
 * #EsStaticEventSystem or an #EsZeroCopyEventSystem. The backpressure
 * function, if any, moves to the new system. The builder can build again.
 *
 * Returns: (transfer full): a new, not yet started #EsEventSystem, or %NULL
 *   with %ES_ERROR_INVALID_ARGUMENT
 *
 * Since: 1.0
 */
EsEventSystem *
es_event_system_builder_build (EsEventSystemBuilder  *self,
                               GError               **error)
{
  EsEventSystem *system;
  EsConfig *target;
  GType type;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM_BUILDER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!validate (self, error))
    return NULL;

  type = self->implementation == ES_IMPLEMENTATION_STATIC_FAST_PATH
         ? ES_TYPE_STATIC_EVENT_SYSTEM : ES_TYPE_ZERO_COPY_EVENT_SYSTEM;
  system = g_object_new (type,
                         "name", self->config.name,
                         "channel-capacity", self->config.channel_capacity,
                         "max-concurrent-dispatches", self->config.max_concurrent_dispatches,
                         "enable-priority", self->config.enable_priority,
                         "default-timeout", self->config.default_timeout,
                         "batch-size", self->config.batch_size,
                         "shard-count", self->config.shard_count,
                         "global-buffer-size", self->config.global_buffer_size,
                         "backpressure-strategy", self->config.backpressure_strategy,
                         "enable-metrics", self->config.enable_metrics,
                         "metrics-reporting-interval", self->config.metrics_reporting_interval,
                         "adaptive-backpressure", self->config.adaptive,
                         "low-watermark", self->config.low_watermark,
                         "high-watermark", self->config.high_watermark,
                         "max-throttle-delay", self->config.max_throttle_delay,
                         NULL);

  /* Hand the custom function over: the system frees its data. */
  target = &_es_event_system_get_core (system)->config;
  target->backpressure_func = self->config.backpressure_func;
  target->backpressure_data = self->config.backpressure_data;
  target->backpressure_destroy = self->config.backpressure_destroy;
  self->config.backpressure_func = NULL;
  self->config.backpressure_data = NULL;
  self->config.backpressure_destroy = NULL;

  return system;
}
