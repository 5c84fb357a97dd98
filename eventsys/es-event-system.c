/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <pthread.h>

#include <glib/gi18n-lib.h>

#include "es-buffer-manager-private.h"
#include "es-event-system-private.h"
#include "es-event-type-private.h"
#include "es-metrics-private.h"
#include "es-trace-private.h"
#include "es-subscriber-private.h"

/**
 * EsEventSystem:
 *
 * A typed, in-process publish/subscribe bus between threads and into GLib
 * main loops.
 *
 * #EsEventSystem is abstract: build one with #EsEventSystemBuilder, which
 * returns an #EsStaticEventSystem or an #EsZeroCopyEventSystem. Both carry
 * the whole API below with the same semantics; implementation-specific
 * extras are reached with a type check, e.g.
 * `ES_IS_ZERO_COPY_EVENT_SYSTEM (system)`.
 *
 * |[<!-- language="C" -->
 * g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
 * g_autoptr(EsEventSystem) system = NULL;
 * g_autoptr(EsPublisher) publisher = NULL;
 * g_autoptr(EsSubscriber) subscriber = NULL;
 * g_autoptr(GError) error = NULL;
 * MediaPacket packet = { .stream_id = 1, .payload_size = 1400 };
 * MediaPacket received;
 *
 * es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_STATIC_FAST_PATH);
 * es_event_system_builder_set_channel_capacity (builder, 16384);
 * system = es_event_system_builder_build (builder, &error);
 * es_event_system_start (system, &error);
 *
 * subscriber = es_event_system_subscribe (system, TYPE_MEDIA_PACKET, &error);
 * publisher = es_event_system_create_publisher (system, TYPE_MEDIA_PACKET, &error);
 * es_publisher_publish_data (publisher, &packet, sizeof packet, NULL, &error);
 * es_subscriber_receive_data (subscriber, &received, sizeof received, -1, NULL, &error);
 *
 * es_event_system_shutdown (system, NULL);
 * ]|
 *
 * Lifecycle: subscribing is allowed before es_event_system_start();
 * publishing is not (%ES_ERROR_NOT_STARTED). es_event_system_shutdown()
 * refuses further publishes (%ES_ERROR_SHUT_DOWN), wakes every blocked
 * publisher and receiver, lets subscribers drain what was already queued and
 * then makes their receives fail with %ES_ERROR_CLOSED.
 *
 * Threading: every function of #EsEventSystem, #EsPublisher and
 * #EsSubscriber may be called from any thread, and an #EsPublisher may be
 * used by several threads at once. See the threading chapter of the manual
 * for where callbacks and signals run.
 *
 * Since: 1.0
 */

typedef struct
{
  EsSystemCore    core;            /* hot state, read by publishers and subscribers */
  pthread_mutex_t lock;            /* protects subscribers */
  GPtrArray      *subscribers;     /* EsSubscriber *, unowned: removed in their dispose */
  GMainContext   *main_context;    /* owned; captured by start() for periodic signals */
} EsEventSystemPrivate;

enum {
  PROP_0,
  PROP_IMPLEMENTATION,
  PROP_NAME,
  PROP_STATE,
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

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (EsEventSystem, es_event_system, G_TYPE_OBJECT)

static pthread_mutex_t named_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *named_systems;   /* name → GWeakRef *, protected by named_lock */

static void
named_register (EsEventSystem *self,
                const char    *name)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  pthread_mutex_lock (&named_lock);
  if (named_systems == NULL)
    named_systems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  {
    /* A newer system takes the name over; lookups find the newest. */
    GWeakRef *old = g_hash_table_lookup (named_systems, name);

    if (old != NULL)
      {
        g_debug ("Event system name “%s” registered again", name);
        g_weak_ref_clear (old);
        g_free (old);
      }
  }
  g_hash_table_insert (named_systems, g_strdup (name), ref);
  pthread_mutex_unlock (&named_lock);
}

static void
named_unregister (EsEventSystem *self,
                  const char    *name)
{
  GWeakRef *ref;

  pthread_mutex_lock (&named_lock);
  ref = named_systems ? g_hash_table_lookup (named_systems, name) : NULL;
  if (ref != NULL)
    {
      EsEventSystem *current = g_weak_ref_get (ref);

      /* Only remove our own entry; a newer system may own the name now. */
      if (current == NULL || current == self)
        {
          g_hash_table_remove (named_systems, name);
          g_weak_ref_clear (ref);
          g_free (ref);
        }
      /* Dropping this reference must not re-enter finalize of self: current
       * is NULL when self is being finalized. */
      if (current != NULL && current != self)
        g_object_unref (current);
    }
  pthread_mutex_unlock (&named_lock);
}

static void
es_event_system_dispose (GObject *object)
{
  EsEventSystem *self = ES_EVENT_SYSTEM (object);
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);

  if (priv->core.config.name != NULL)
    named_unregister (self, priv->core.config.name);

  G_OBJECT_CLASS (es_event_system_parent_class)->dispose (object);
}

static void
es_event_system_finalize (GObject *object)
{
  EsEventSystem *self = ES_EVENT_SYSTEM (object);
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);
  EsConfig *config = &priv->core.config;

  if (config->backpressure_destroy != NULL)
    config->backpressure_destroy (config->backpressure_data);
  g_clear_pointer (&config->name, g_free);
  g_clear_object (&priv->core.buffer_manager);
  g_clear_object (&priv->core.metrics);
  g_clear_pointer (&priv->main_context, g_main_context_unref);
  g_clear_pointer (&priv->subscribers, g_ptr_array_unref);
  pthread_mutex_destroy (&priv->lock);

  G_OBJECT_CLASS (es_event_system_parent_class)->finalize (object);
}

static void
es_event_system_constructed (GObject *object)
{
  EsEventSystem *self = ES_EVENT_SYSTEM (object);
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);

  G_OBJECT_CLASS (es_event_system_parent_class)->constructed (object);

  priv->core.buffer_manager = _es_buffer_manager_new (priv->core.config.global_buffer_size,
                                                      priv->core.config.low_watermark,
                                                      priv->core.config.high_watermark);
  if (priv->core.config.enable_metrics)
    priv->core.metrics = _es_metrics_new (self);
  if (priv->core.config.name != NULL)
    named_register (self, priv->core.config.name);
}

static void
es_event_system_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EsEventSystem *self = ES_EVENT_SYSTEM (object);
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);
  EsConfig *config = &priv->core.config;

  switch (prop_id)
    {
    case PROP_IMPLEMENTATION:
      g_value_set_enum (value, es_event_system_get_implementation (self));
      break;
    case PROP_NAME:
      g_value_set_string (value, config->name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, es_event_system_get_state (self));
      break;
    case PROP_CHANNEL_CAPACITY:
      g_value_set_uint (value, config->channel_capacity);
      break;
    case PROP_MAX_CONCURRENT_DISPATCHES:
      g_value_set_uint (value, config->max_concurrent_dispatches);
      break;
    case PROP_ENABLE_PRIORITY:
      g_value_set_boolean (value, config->enable_priority);
      break;
    case PROP_DEFAULT_TIMEOUT:
      g_value_set_int64 (value, config->default_timeout);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, config->batch_size);
      break;
    case PROP_SHARD_COUNT:
      g_value_set_uint (value, config->shard_count);
      break;
    case PROP_GLOBAL_BUFFER_SIZE:
      g_value_set_uint64 (value, config->global_buffer_size);
      break;
    case PROP_BACKPRESSURE_STRATEGY:
      g_value_set_enum (value, config->backpressure_strategy);
      break;
    case PROP_ENABLE_METRICS:
      g_value_set_boolean (value, config->enable_metrics);
      break;
    case PROP_METRICS_REPORTING_INTERVAL:
      g_value_set_int64 (value, config->metrics_reporting_interval);
      break;
    case PROP_ADAPTIVE_BACKPRESSURE:
      g_value_set_boolean (value, config->adaptive);
      break;
    case PROP_LOW_WATERMARK:
      g_value_set_double (value, config->low_watermark);
      break;
    case PROP_HIGH_WATERMARK:
      g_value_set_double (value, config->high_watermark);
      break;
    case PROP_MAX_THROTTLE_DELAY:
      g_value_set_int64 (value, config->max_throttle_delay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_event_system_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EsEventSystem *self = ES_EVENT_SYSTEM (object);
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);
  EsConfig *config = &priv->core.config;

  switch (prop_id)
    {
    case PROP_NAME:
      config->name = g_value_dup_string (value);
      break;
    case PROP_CHANNEL_CAPACITY:
      config->channel_capacity = g_value_get_uint (value);
      break;
    case PROP_MAX_CONCURRENT_DISPATCHES:
      config->max_concurrent_dispatches = g_value_get_uint (value);
      break;
    case PROP_ENABLE_PRIORITY:
      config->enable_priority = g_value_get_boolean (value);
      break;
    case PROP_DEFAULT_TIMEOUT:
      config->default_timeout = g_value_get_int64 (value);
      break;
    case PROP_BATCH_SIZE:
      config->batch_size = g_value_get_uint (value);
      break;
    case PROP_SHARD_COUNT:
      config->shard_count = g_value_get_uint (value);
      break;
    case PROP_GLOBAL_BUFFER_SIZE:
      config->global_buffer_size = g_value_get_uint64 (value);
      break;
    case PROP_BACKPRESSURE_STRATEGY:
      config->backpressure_strategy = g_value_get_enum (value);
      break;
    case PROP_ENABLE_METRICS:
      config->enable_metrics = g_value_get_boolean (value);
      break;
    case PROP_METRICS_REPORTING_INTERVAL:
      config->metrics_reporting_interval = g_value_get_int64 (value);
      break;
    case PROP_ADAPTIVE_BACKPRESSURE:
      config->adaptive = g_value_get_boolean (value);
      break;
    case PROP_LOW_WATERMARK:
      config->low_watermark = g_value_get_double (value);
      break;
    case PROP_HIGH_WATERMARK:
      config->high_watermark = g_value_get_double (value);
      break;
    case PROP_MAX_THROTTLE_DELAY:
      config->max_throttle_delay = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_event_system_class_init (EsEventSystemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  /* Register the error quark once, before any thread can race for it. */
  (void) es_error_quark ();
  /* User-visible messages (builder validation) are translated. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  object_class->dispose = es_event_system_dispose;
  object_class->finalize = es_event_system_finalize;
  object_class->constructed = es_event_system_constructed;
  object_class->get_property = es_event_system_get_property;
  object_class->set_property = es_event_system_set_property;

  /**
   * EsEventSystem:implementation:
   *
   * Which implementation this system is.
   *
   * Since: 1.0
   */
  properties[PROP_IMPLEMENTATION] =
    g_param_spec_enum ("implementation", NULL, NULL,
                       ES_TYPE_IMPLEMENTATION_TYPE, ES_IMPLEMENTATION_ZERO_COPY,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EsEventSystem:name:
   *
   * The name es_event_system_lookup() finds this system by, or %NULL.
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, co);
  /**
   * EsEventSystem:state:
   *
   * The lifecycle state. Notified in the thread that calls
   * es_event_system_start() or es_event_system_shutdown().
   *
   * Since: 1.0
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       ES_TYPE_EVENT_SYSTEM_STATE, ES_EVENT_SYSTEM_STATE_CREATED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * EsEventSystem:channel-capacity:
   *
   * How many events each subscriber may have queued (the static fast path
   * rounds its per-type ring up to a power of two).
   *
   * Since: 1.0
   */
  properties[PROP_CHANNEL_CAPACITY] =
    g_param_spec_uint ("channel-capacity", NULL, NULL, 1, G_MAXINT32, 10000, co);
  /**
   * EsEventSystem:max-concurrent-dispatches:
   *
   * How many handler subscriptions (zero-copy) may run at once.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONCURRENT_DISPATCHES] =
    g_param_spec_uint ("max-concurrent-dispatches", NULL, NULL, 1, 65536, 1000, co);
  /**
   * EsEventSystem:enable-priority:
   *
   * Whether the zero-copy implementation queues each #EsEventPriority in its
   * own lane so that higher priorities overtake.
   *
   * Since: 1.0
   */
  properties[PROP_ENABLE_PRIORITY] =
    g_param_spec_boolean ("enable-priority", NULL, NULL, TRUE, co);
  /**
   * EsEventSystem:default-timeout:
   *
   * How long a publish blocked by %ES_BACKPRESSURE_BLOCK waits for room, in
   * microseconds; -1 waits until cancelled or shut down.
   *
   * Since: 1.0
   */
  properties[PROP_DEFAULT_TIMEOUT] =
    g_param_spec_int64 ("default-timeout", NULL, NULL, -1, G_MAXINT64, G_TIME_SPAN_SECOND, co);
  /**
   * EsEventSystem:batch-size:
   *
   * The most events one main-loop dispatch delivers before yielding to other
   * sources.
   *
   * Since: 1.0
   */
  properties[PROP_BATCH_SIZE] =
    g_param_spec_uint ("batch-size", NULL, NULL, 1, G_MAXINT32, 100, co);
  /**
   * EsEventSystem:shard-count:
   *
   * How many independently locked shards the zero-copy subscription registry
   * has.
   *
   * Since: 1.0
   */
  properties[PROP_SHARD_COUNT] =
    g_param_spec_uint ("shard-count", NULL, NULL, 1, 4096, 8, co);
  /**
   * EsEventSystem:global-buffer-size:
   *
   * The most bytes buffered across the whole system; 0 for unlimited.
   *
   * Since: 1.0
   */
  properties[PROP_GLOBAL_BUFFER_SIZE] =
    g_param_spec_uint64 ("global-buffer-size", NULL, NULL, 0, G_MAXUINT64, 0, co);
  /**
   * EsEventSystem:backpressure-strategy:
   *
   * What a publish does when a queue or the global buffer is full.
   *
   * Since: 1.0
   */
  properties[PROP_BACKPRESSURE_STRATEGY] =
    g_param_spec_enum ("backpressure-strategy", NULL, NULL,
                       ES_TYPE_BACKPRESSURE_STRATEGY, ES_BACKPRESSURE_BLOCK, co);
  /**
   * EsEventSystem:enable-metrics:
   *
   * Whether metrics are collected. When off, the hot paths pay nothing.
   *
   * Since: 1.0
   */
  properties[PROP_ENABLE_METRICS] =
    g_param_spec_boolean ("enable-metrics", NULL, NULL, FALSE, co);
  /**
   * EsEventSystem:metrics-reporting-interval:
   *
   * How often metrics are reported, in microseconds.
   *
   * Since: 1.0
   */
  properties[PROP_METRICS_REPORTING_INTERVAL] =
    g_param_spec_int64 ("metrics-reporting-interval", NULL, NULL, 1, G_MAXINT64, 5 * G_TIME_SPAN_SECOND, co);

  /**
   * EsEventSystem:adaptive-backpressure:
   *
   * Whether publishers are slowed smoothly before the hard limit; see
   * es_event_system_builder_set_adaptive_backpressure().
   *
   * Since: 1.0
   */
  properties[PROP_ADAPTIVE_BACKPRESSURE] =
    g_param_spec_boolean ("adaptive-backpressure", NULL, NULL, FALSE, co);
  /**
   * EsEventSystem:low-watermark:
   *
   * Utilization (0 to 1) at which throttling ends and the global buffer
   * reports falling below its watermark.
   *
   * Since: 1.0
   */
  properties[PROP_LOW_WATERMARK] =
    g_param_spec_double ("low-watermark", NULL, NULL, 0, 1, 0.5, co);
  /**
   * EsEventSystem:high-watermark:
   *
   * Utilization (0 to 1) at which throttling starts and the global buffer
   * reports rising above its watermark.
   *
   * Since: 1.0
   */
  properties[PROP_HIGH_WATERMARK] =
    g_param_spec_double ("high-watermark", NULL, NULL, 0, 1, 0.8, co);
  /**
   * EsEventSystem:max-throttle-delay:
   *
   * The longest wait per publish of a throttled publisher, in microseconds.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_THROTTLE_DELAY] =
    g_param_spec_int64 ("max-throttle-delay", NULL, NULL, 0, G_MAXINT64, 2000, co);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
es_event_system_init (EsEventSystem *self)
{
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);

  atomic_init (&priv->core.state, ES_EVENT_SYSTEM_STATE_CREATED);
  atomic_init (&priv->core.generation, 2);
  priv->core.trace_salt = _es_trace_new_salt ();
  pthread_mutex_init (&priv->lock, NULL);
  priv->subscribers = g_ptr_array_new ();
}

/* Private API */

EsSubList *
_es_sub_list_new (EsSubEndpoint * const *subs,
                  guint                  n)
{
  EsSubList *list = g_malloc (sizeof (EsSubList) + n * sizeof (EsSubEndpoint *));

  atomic_init (&list->ref_count, 1);
  list->n = n;
  for (guint i = 0; i < n; i++)
    list->subs[i] = _es_sub_endpoint_ref (subs[i]);
  return list;
}

EsSubList *
_es_sub_list_ref (EsSubList *list)
{
  atomic_fetch_add_explicit (&list->ref_count, 1, memory_order_relaxed);
  return list;
}

void
_es_sub_list_unref (EsSubList *list)
{
  if (list == NULL || atomic_fetch_sub_explicit (&list->ref_count, 1, memory_order_acq_rel) != 1)
    return;
  for (guint i = 0; i < list->n; i++)
    _es_sub_endpoint_unref (list->subs[i]);
  g_free (list);
}

EsSystemCore *
_es_event_system_get_core (EsEventSystem *self)
{
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);

  return &priv->core;
}

void
_es_event_system_begin_change (EsEventSystem *self)
{
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);

  /* seq_cst: publishers load the generation before reading cursors, and
   * re-check it after (see es-static-ring.c). */
  atomic_fetch_add_explicit (&priv->core.generation, 1, memory_order_seq_cst);
}

void
_es_event_system_end_change (EsEventSystem *self)
{
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);

  atomic_fetch_add_explicit (&priv->core.generation, 1, memory_order_seq_cst);
}

void
_es_event_system_add_subscriber (EsEventSystem *self,
                                 EsSubscriber  *subscriber)
{
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);

  pthread_mutex_lock (&priv->lock);
  g_ptr_array_add (priv->subscribers, subscriber);
  pthread_mutex_unlock (&priv->lock);
}

void
_es_event_system_remove_subscriber (EsEventSystem *self,
                                    EsSubscriber  *subscriber)
{
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);

  pthread_mutex_lock (&priv->lock);
  g_ptr_array_remove_fast (priv->subscribers, subscriber);
  pthread_mutex_unlock (&priv->lock);
}

/* (element-type EsSubscriber) (transfer full): subscribers remove themselves
 * in dispose, before their last reference goes, so taking a reference under
 * the lock is safe. */
GPtrArray *
_es_event_system_dup_subscribers (EsEventSystem *self)
{
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);
  GPtrArray *result;

  pthread_mutex_lock (&priv->lock);
  result = g_ptr_array_new_full (priv->subscribers->len, g_object_unref);
  for (guint i = 0; i < priv->subscribers->len; i++)
    g_ptr_array_add (result, g_object_ref (g_ptr_array_index (priv->subscribers, i)));
  pthread_mutex_unlock (&priv->lock);

  return result;
}

gboolean
_es_system_core_check_publish_slow (EsSystemCore  *core,
                                    GError       **error)
{
  switch (atomic_load_explicit (&core->state, memory_order_acquire))
    {
    case ES_EVENT_SYSTEM_STATE_RUNNING:
      return TRUE;
    case ES_EVENT_SYSTEM_STATE_CREATED:
      g_set_error_literal (error, ES_ERROR, ES_ERROR_NOT_STARTED,
                           "The event system has not been started");
      return FALSE;
    case ES_EVENT_SYSTEM_STATE_STOPPED:
    default:
      g_set_error_literal (error, ES_ERROR, ES_ERROR_SHUT_DOWN,
                           "The event system has been shut down");
      return FALSE;
    }
}

/* Public API */

static gpointer
create_default_system (gpointer data)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  g_autoptr(GError) error = NULL;
  EsEventSystem *system;

  es_event_system_builder_set_name (builder, "default");
  system = es_event_system_builder_build (builder, &error);
  g_assert_no_error (error);
  if (!es_event_system_start (system, &error))
    g_critical ("Cannot start the default event system: %s", error->message);
  return system;
}

/**
 * es_event_system_get_default:
 *
 * The process-wide default event system: zero-copy, default options, named
 * "default", started on first use and never shut down. GStreamer elements
 * and independent components meet here unless told to use a named system.
 *
 * Returns: (transfer none): the default #EsEventSystem
 *
 * Since: 1.0
 */
EsEventSystem *
es_event_system_get_default (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, create_default_system, NULL);
}

/**
 * es_event_system_lookup:
 * @name: a system name (see es_event_system_builder_set_name())
 *
 * Finds a live system by name. "default" finds es_event_system_get_default()
 * once it has been created.
 *
 * Returns: (transfer full) (nullable): the system, or %NULL
 *
 * Since: 1.0
 */
EsEventSystem *
es_event_system_lookup (const char *name)
{
  EsEventSystem *system = NULL;
  GWeakRef *ref;

  g_return_val_if_fail (name != NULL, NULL);

  pthread_mutex_lock (&named_lock);
  ref = named_systems ? g_hash_table_lookup (named_systems, name) : NULL;
  if (ref != NULL)
    system = g_weak_ref_get (ref);
  pthread_mutex_unlock (&named_lock);

  return system;
}

/**
 * es_event_system_start:
 * @self: an #EsEventSystem
 * @error: return location for a #GError
 *
 * Starts the system: publishing is allowed from now on. Periodic signals
 * (#EsEventSystem metrics reporting) are emitted in the thread-default
 * #GMainContext of the calling thread. Starting twice, or after shutdown,
 * fails with %ES_ERROR_INVALID_STATE.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
es_event_system_start (EsEventSystem  *self,
                       GError        **error)
{
  EsEventSystemPrivate *priv;
  EsEventSystemClass *klass;
  int expected = ES_EVENT_SYSTEM_STATE_CREATED;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = es_event_system_get_instance_private (self);
  klass = ES_EVENT_SYSTEM_GET_CLASS (self);

  if (klass->start != NULL && atomic_load (&priv->core.state) == ES_EVENT_SYSTEM_STATE_CREATED &&
      !klass->start (self, error))
    return FALSE;

  if (!atomic_compare_exchange_strong (&priv->core.state, &expected, ES_EVENT_SYSTEM_STATE_RUNNING))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_STATE,
                   expected == ES_EVENT_SYSTEM_STATE_RUNNING
                   ? "The event system is already started"
                   : "The event system has been shut down and cannot be restarted");
      return FALSE;
    }

  g_clear_pointer (&priv->main_context, g_main_context_unref);
  priv->main_context = g_main_context_ref_thread_default ();
  _es_buffer_manager_set_context (priv->core.buffer_manager, priv->main_context);
  if (priv->core.metrics != NULL)
    _es_metrics_start (priv->core.metrics, priv->main_context);
  g_debug ("Event system %s started (%s)", priv->core.config.name ? priv->core.config.name : "(unnamed)",
           G_OBJECT_TYPE_NAME (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  return TRUE;
}

/**
 * es_event_system_shutdown:
 * @self: an #EsEventSystem
 * @error: return location for a #GError
 *
 * Shuts the system down: further publishes fail with %ES_ERROR_SHUT_DOWN,
 * publishers blocked by backpressure wake up with that error, and receivers
 * drain what was already queued and then get %ES_ERROR_CLOSED. Returns
 * without waiting for the drain (see es_event_system_shutdown_async()).
 * Shutting down twice is harmless.
 *
 * Returns: %TRUE (shutdown cannot fail; @error is for future use)
 *
 * Since: 1.0
 */
gboolean
es_event_system_shutdown (EsEventSystem  *self,
                          GError        **error)
{
  EsEventSystemPrivate *priv;
  g_autoptr(GPtrArray) subscribers = NULL;
  int previous;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = es_event_system_get_instance_private (self);
  previous = atomic_exchange (&priv->core.state, ES_EVENT_SYSTEM_STATE_STOPPED);
  if (previous == ES_EVENT_SYSTEM_STATE_STOPPED)
    return TRUE;

  /* Close subscribers first (receivers drain, then see CLOSED), then let the
   * implementation wake its blocked publishers. */
  subscribers = _es_event_system_dup_subscribers (self);
  for (guint i = 0; i < subscribers->len; i++)
    _es_subscriber_mark_closed (g_ptr_array_index (subscribers, i), FALSE);

  if (ES_EVENT_SYSTEM_GET_CLASS (self)->shutdown != NULL)
    ES_EVENT_SYSTEM_GET_CLASS (self)->shutdown (self);
  es_wait_queue_wake_all (&_es_buffer_manager_get_counters (priv->core.buffer_manager)->space);
  if (priv->core.metrics != NULL)
    _es_metrics_stop (priv->core.metrics);

  g_debug ("Event system %s shut down", priv->core.config.name ? priv->core.config.name : "(unnamed)");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  return TRUE;
}

typedef struct {
  gint64 deadline;   /* -1: none */
} DrainData;

/* Polls on the caller's context (no thread: every hand-off stays visible to
 * ThreadSanitizer) until every subscriber has drained, the default timeout
 * passes or the task is cancelled: a graceful drain with a bound. */
static gboolean
shutdown_drain_poll (gpointer user_data)
{
  GTask *task = user_data;
  EsEventSystem *self = g_task_get_source_object (task);
  DrainData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) subscribers = _es_event_system_dup_subscribers (self);
  GCancellable *cancellable = g_task_get_cancellable (task);
  gsize queued = 0;

  for (guint i = 0; i < subscribers->len; i++)
    queued += es_subscriber_get_queue_depth (g_ptr_array_index (subscribers, i));

  if (queued > 0 &&
      !g_cancellable_is_cancelled (cancellable) &&
      (data->deadline < 0 || g_get_monotonic_time () < data->deadline))
    return G_SOURCE_CONTINUE;

  if (queued > 0)
    g_debug ("Shutdown drain stopped with %" G_GSIZE_FORMAT " events still queued", queued);
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

/**
 * es_event_system_shutdown_async:
 * @self: an #EsEventSystem
 * @cancellable: (nullable): a #GCancellable to stop waiting for the drain
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Shuts the system down as es_event_system_shutdown() does, then completes
 * once every subscriber has drained its queue, or #EsEventSystem:default-timeout
 * has passed, or @cancellable is cancelled — whichever comes first. The
 * callback runs in the thread-default main context of the caller.
 *
 * Since: 1.0
 */
void
es_event_system_shutdown_async (EsEventSystem       *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ES_IS_EVENT_SYSTEM (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  GSource *source;
  DrainData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, es_event_system_shutdown_async);
  g_task_set_name (task, "[eventsys] shutdown");
  g_task_set_check_cancellable (task, FALSE);
  data = g_new0 (DrainData, 1);
  data->deadline = es_deadline_from_timeout (es_event_system_get_default_timeout (self));
  g_task_set_task_data (task, data, g_free);

  es_event_system_shutdown (self, NULL);

  source = g_timeout_source_new (1);
  g_task_attach_source (task, source, shutdown_drain_poll);
  g_source_unref (source);
}

/**
 * es_event_system_shutdown_finish:
 * @self: an #EsEventSystem
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Completes es_event_system_shutdown_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
es_event_system_shutdown_finish (EsEventSystem  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == es_event_system_shutdown_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
check_type (EsEventSystem  *self,
            GType           event_type,
            GError        **error)
{
  EsEventSystemPrivate *priv = es_event_system_get_instance_private (self);
  EsEventSystemClass *klass = ES_EVENT_SYSTEM_GET_CLASS (self);

  if (_es_event_type_lookup (event_type) == NULL)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_UNSUPPORTED_TYPE,
                   "%s is not an event type: register plain-data structs with "
                   "ES_DEFINE_EVENT_TYPE() or use a GObject subclass",
                   event_type ? g_type_name (event_type) : "(invalid type)");
      return FALSE;
    }
  if (klass->supports_type != NULL && !klass->supports_type (self, event_type))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_UNSUPPORTED_TYPE,
                   "The %s implementation cannot carry events of type %s",
                   G_OBJECT_TYPE_NAME (self), g_type_name (event_type));
      return FALSE;
    }
  if (atomic_load (&priv->core.state) == ES_EVENT_SYSTEM_STATE_STOPPED)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_SHUT_DOWN,
                           "The event system has been shut down");
      return FALSE;
    }
  return TRUE;
}

/**
 * es_event_system_create_publisher:
 * @self: an #EsEventSystem
 * @event_type: the event type to publish
 * @error: return location for a #GError
 *
 * Creates a publisher for @event_type. The type is resolved here, once, so
 * publishing never looks anything up. Fails with %ES_ERROR_UNSUPPORTED_TYPE
 * for a type that is not an event type or that this implementation cannot
 * carry, and with %ES_ERROR_SHUT_DOWN after shutdown.
 *
 * Returns: (transfer full): a new #EsPublisher, or %NULL on error
 *
 * Since: 1.0
 */
EsPublisher *
es_event_system_create_publisher (EsEventSystem  *self,
                                  GType           event_type,
                                  GError        **error)
{
  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_type (self, event_type, error))
    return NULL;

  return ES_EVENT_SYSTEM_GET_CLASS (self)->create_publisher (self, event_type, error);
}

/**
 * es_event_system_subscribe:
 * @self: an #EsEventSystem
 * @event_type: the event type to receive
 * @error: return location for a #GError
 *
 * Subscribes to @event_type: the subscriber receives every event of that type
 * published after this call returns, in per-publisher order. On the zero-copy
 * implementation a subscription to a #GObject type also receives events of
 * its subclasses. Subscribing before es_event_system_start() is allowed.
 *
 * Returns: (transfer full): a new #EsSubscriber, or %NULL on error
 *
 * Since: 1.0
 */
EsSubscriber *
es_event_system_subscribe (EsEventSystem  *self,
                           GType           event_type,
                           GError        **error)
{
  return es_event_system_subscribe_filtered (self, event_type, NULL, NULL, NULL, error);
}

/**
 * es_event_system_subscribe_filtered:
 * @self: an #EsEventSystem
 * @event_type: the event type to receive
 * @filter: (scope notified) (closure user_data) (destroy destroy) (nullable):
 *   decides per event whether it is delivered
 * @user_data: data for @filter
 * @destroy: (nullable): frees @user_data when the subscriber is finalized
 * @error: return location for a #GError
 *
 * As es_event_system_subscribe(), delivering only the events @filter
 * accepts. The filter runs on the receiving side (see #EsEventFilterFunc);
 * rejected events are counted by es_subscriber_get_filtered_count().
 *
 * Returns: (transfer full): a new #EsSubscriber, or %NULL on error
 *
 * Since: 1.0
 */
EsSubscriber *
es_event_system_subscribe_filtered (EsEventSystem      *self,
                                    GType               event_type,
                                    EsEventFilterFunc   filter,
                                    gpointer            user_data,
                                    GDestroyNotify      destroy,
                                    GError            **error)
{
  EsSubscriber *subscriber;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_type (self, event_type, error))
    {
      if (destroy != NULL)
        destroy (user_data);
      return NULL;
    }

  subscriber = ES_EVENT_SYSTEM_GET_CLASS (self)->subscribe (self, event_type, error);
  if (subscriber == NULL)
    {
      if (destroy != NULL)
        destroy (user_data);
      return NULL;
    }

  _es_subscriber_set_filter (subscriber, filter, user_data, destroy);
  _es_event_system_add_subscriber (self, subscriber);
  g_debug ("New subscriber %s", es_subscriber_get_name (subscriber));
  return subscriber;
}

/**
 * es_event_system_get_implementation:
 * @self: an #EsEventSystem
 *
 * Gets which implementation @self is.
 *
 * Returns: which implementation @self is
 *
 * Since: 1.0
 */
EsImplementationType
es_event_system_get_implementation (EsEventSystem *self)
{
  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), ES_IMPLEMENTATION_ZERO_COPY);

  return ES_IS_STATIC_EVENT_SYSTEM (self) ? ES_IMPLEMENTATION_STATIC_FAST_PATH : ES_IMPLEMENTATION_ZERO_COPY;
}

/**
 * es_event_system_get_state:
 * @self: an #EsEventSystem
 *
 * Gets the lifecycle state.
 *
 * Returns: the lifecycle state
 *
 * Since: 1.0
 */
EsEventSystemState
es_event_system_get_state (EsEventSystem *self)
{
  EsEventSystemPrivate *priv;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), ES_EVENT_SYSTEM_STATE_STOPPED);

  priv = es_event_system_get_instance_private (self);
  return atomic_load_explicit (&priv->core.state, memory_order_acquire);
}

/**
 * es_event_system_get_metrics:
 * @self: an #EsEventSystem
 *
 * The system's metrics, when it was built with
 * #EsEventSystem:enable-metrics. With metrics off this is %NULL and the hot
 * paths pay nothing for them.
 *
 * Returns: (transfer none) (nullable): the #EsMetrics, or %NULL
 *
 * Since: 1.0
 */
EsMetrics *
es_event_system_get_metrics (EsEventSystem *self)
{
  EsEventSystemPrivate *priv;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), NULL);

  priv = es_event_system_get_instance_private (self);
  return priv->core.metrics;
}

/**
 * es_event_system_get_name:
 * @self: an #EsEventSystem
 *
 * Gets the system's name.
 *
 * Returns: (nullable): the system's name
 *
 * Since: 1.0
 */
const char *
es_event_system_get_name (EsEventSystem *self)
{
  EsEventSystemPrivate *priv;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), NULL);

  priv = es_event_system_get_instance_private (self);
  return priv->core.config.name;
}

/**
 * es_event_system_get_buffer_manager:
 * @self: an #EsEventSystem
 *
 * Gets the system's #EsBufferManager.
 *
 * Returns: (transfer none): the system's #EsBufferManager
 *
 * Since: 1.0
 */
EsBufferManager *
es_event_system_get_buffer_manager (EsEventSystem *self)
{
  EsEventSystemPrivate *priv;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), NULL);

  priv = es_event_system_get_instance_private (self);
  return priv->core.buffer_manager;
}

#define CONFIG_GETTER(type, name, field, fallback) \
  type \
  es_event_system_get_##name (EsEventSystem *self) \
  { \
    EsEventSystemPrivate *priv; \
    g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), fallback); \
    priv = es_event_system_get_instance_private (self); \
    return priv->core.config.field; \
  }

/**
 * es_event_system_get_channel_capacity:
 * @self: an #EsEventSystem
 *
 * Gets #EsEventSystem:channel-capacity.
 *
 * Returns: #EsEventSystem:channel-capacity
 *
 * Since: 1.0
 */
CONFIG_GETTER (guint, channel_capacity, channel_capacity, 0)

/**
 * es_event_system_get_batch_size:
 * @self: an #EsEventSystem
 *
 * Gets #EsEventSystem:batch-size.
 *
 * Returns: #EsEventSystem:batch-size
 *
 * Since: 1.0
 */
CONFIG_GETTER (guint, batch_size, batch_size, 0)

/**
 * es_event_system_get_default_timeout:
 * @self: an #EsEventSystem
 *
 * Gets #EsEventSystem:default-timeout in microseconds, -1 for none.
 *
 * Returns: #EsEventSystem:default-timeout in microseconds, -1 for none
 *
 * Since: 1.0
 */
CONFIG_GETTER (GTimeSpan, default_timeout, default_timeout, 0)

/**
 * es_event_system_get_backpressure_strategy:
 * @self: an #EsEventSystem
 *
 * Gets #EsEventSystem:backpressure-strategy.
 *
 * Returns: #EsEventSystem:backpressure-strategy
 *
 * Since: 1.0
 */
CONFIG_GETTER (EsBackpressureStrategy, backpressure_strategy, backpressure_strategy, ES_BACKPRESSURE_BLOCK)

/**
 * es_event_system_get_subscriber_count:
 * @self: an #EsEventSystem
 *
 * Gets how many subscriptions are live: unsubscribed ones no longer count;
 * after shutdown they count until they are finalized.
 *
 * Returns: how many subscriptions are live: unsubscribed ones no longer
 *   count; after shutdown they count until they are finalized
 *
 * Since: 1.0
 */
guint
es_event_system_get_subscriber_count (EsEventSystem *self)
{
  EsEventSystemPrivate *priv;
  guint n;

  g_return_val_if_fail (ES_IS_EVENT_SYSTEM (self), 0);

  priv = es_event_system_get_instance_private (self);
  pthread_mutex_lock (&priv->lock);
  n = priv->subscribers->len;
  pthread_mutex_unlock (&priv->lock);
  return n;
}
