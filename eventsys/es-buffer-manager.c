/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "es-buffer-manager-private.h"

/**
 * EsBufferManager:
 *
 * Tracks how many events and bytes are buffered across a whole
 * #EsEventSystem, against #EsEventSystem:global-buffer-size. A zero-copy
 * event counts once, however many subscribers hold it (its payload plus its
 * envelope); a static fast path event counts its slot size until the slowest
 * subscriber has passed it.
 *
 * Reach it with es_event_system_get_buffer_manager(). All getters are
 * thread-safe and lock-free.
 *
 * Since: 1.0
 */

struct _EsBufferManager
{
  GObject               parent_instance;
  EsBufferCounters      counters;     /* atomic */
  EsBufferReconcileFunc reconcile;    /* immutable once the system is constructed */
  gpointer              reconcile_data;
  GMainContext         *context;      /* owned; where signals are emitted; set by start() */
};

enum {
  SIGNAL_WATERMARK_CROSSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_BUFFERED_BYTES,
  PROP_BUFFERED_EVENTS,
  PROP_LIMIT_BYTES,
  PROP_UTILIZATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EsBufferManager, es_buffer_manager, G_TYPE_OBJECT)

static void
es_buffer_manager_finalize (GObject *object)
{
  EsBufferManager *self = ES_BUFFER_MANAGER (object);

  es_wait_queue_clear (&self->counters.space);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (es_buffer_manager_parent_class)->finalize (object);
}

static void
es_buffer_manager_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EsBufferManager *self = ES_BUFFER_MANAGER (object);

  switch (prop_id)
    {
    case PROP_BUFFERED_BYTES:
      g_value_set_uint64 (value, es_buffer_manager_get_buffered_bytes (self));
      break;
    case PROP_BUFFERED_EVENTS:
      g_value_set_uint64 (value, es_buffer_manager_get_buffered_events (self));
      break;
    case PROP_LIMIT_BYTES:
      g_value_set_uint64 (value, es_buffer_manager_get_limit_bytes (self));
      break;
    case PROP_UTILIZATION:
      g_value_set_double (value, es_buffer_manager_get_utilization (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_buffer_manager_class_init (EsBufferManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_buffer_manager_finalize;
  object_class->get_property = es_buffer_manager_get_property;

  /**
   * EsBufferManager:buffered-bytes:
   *
   * Bytes buffered now (not notified: read it when needed).
   *
   * Since: 1.0
   */
  properties[PROP_BUFFERED_BYTES] =
    g_param_spec_uint64 ("buffered-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EsBufferManager:buffered-events:
   *
   * Events buffered now (not notified).
   *
   * Since: 1.0
   */
  properties[PROP_BUFFERED_EVENTS] =
    g_param_spec_uint64 ("buffered-events", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EsBufferManager:limit-bytes:
   *
   * The global limit in bytes, 0 for unlimited.
   *
   * Since: 1.0
   */
  properties[PROP_LIMIT_BYTES] =
    g_param_spec_uint64 ("limit-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EsBufferManager:utilization:
   *
   * Buffered bytes over the limit, 0 to 1; always 0 without a limit.
   *
   * Since: 1.0
   */
  properties[PROP_UTILIZATION] =
    g_param_spec_double ("utilization", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EsBufferManager::watermark-crossed:
   * @self: the buffer manager
   * @above: %TRUE when utilization rose to the high watermark, %FALSE when
   *   it fell back to the low watermark
   *
   * Emitted when the global buffer (#EsEventSystem:global-buffer-size)
   * crosses its watermarks (#EsEventSystem:high-watermark,
   * #EsEventSystem:low-watermark), once per crossing: between the two the
   * state holds (hysteresis). Emitted in the #GMainContext that was
   * thread-default when es_event_system_start() was called. Never emitted
   * without a global limit.
   *
   * Since: 1.0
   */
  signals[SIGNAL_WATERMARK_CROSSED] =
    g_signal_new ("watermark-crossed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

__thread guint8 _es_buffer_stripe __attribute__ ((tls_model ("initial-exec")));

/* Bit i set: stripe i is some thread's (bit 0, the shared stripe, never). */
static atomic_uint stripes_taken;

static void
stripe_give_back (gpointer data)
{
  guint index = GPOINTER_TO_UINT (data);

  /* Anything this thread still counts (a later thread-exit destructor) goes
   * to the shared stripe. Release: the next owner's plain adds start from
   * this thread's last ones. */
  _es_buffer_stripe = 1;
  atomic_fetch_and_explicit (&stripes_taken, ~(1u << index), memory_order_release);
}

static GPrivate stripe_key = G_PRIVATE_INIT (stripe_give_back);

guint
_es_buffer_stripe_assign (void)
{
  guint taken = atomic_load_explicit (&stripes_taken, memory_order_relaxed);

  for (guint i = 1; i < ES_BUFFER_STRIPES; i++)
    {
      if (taken & (1u << i))
        continue;
      /* Acquire pairs with the previous owner's give-back. */
      if (atomic_compare_exchange_strong_explicit (&stripes_taken, &taken, taken | (1u << i),
                                                   memory_order_acquire, memory_order_relaxed))
        {
          _es_buffer_stripe = (guint8) (i + 1);
          g_private_set (&stripe_key, GUINT_TO_POINTER (i));
          return i;
        }
      i = 0;   /* lost a race: look again from the start */
    }
  _es_buffer_stripe = 1;
  return 0;
}

gint64
_es_buffer_counters_striped (EsBufferCounters *c,
                             gboolean          bytes)
{
  gint64 released = 0, charged = 0;

  /* Every release first, then every charge: an event is charged before it
   * is released, so a concurrent publish or release can only make the
   * result larger than the truth at the first load, never negative. */
  for (guint i = 0; i < ES_BUFFER_STRIPES; i++)
    released += atomic_load_explicit (bytes ? &c->stripes[i].released_bytes : &c->stripes[i].released_events,
                                      memory_order_acquire);
  for (guint i = 0; i < ES_BUFFER_STRIPES; i++)
    charged += atomic_load_explicit (bytes ? &c->stripes[i].charged_bytes : &c->stripes[i].charged_events,
                                     memory_order_acquire);
  return charged - released;
}

static void
es_buffer_manager_init (EsBufferManager *self)
{
  for (guint i = 0; i < ES_BUFFER_STRIPES; i++)
    {
      atomic_init (&self->counters.stripes[i].charged_bytes, 0);
      atomic_init (&self->counters.stripes[i].charged_events, 0);
      atomic_init (&self->counters.stripes[i].released_bytes, 0);
      atomic_init (&self->counters.stripes[i].released_events, 0);
    }
  atomic_init (&self->counters.charged_bytes, 0);
  atomic_init (&self->counters.charged_events, 0);
  atomic_init (&self->counters.released_bytes, 0);
  atomic_init (&self->counters.released_events, 0);
  atomic_init (&self->counters.above, 0);
  es_wait_queue_init (&self->counters.space);
}

EsBufferManager *
_es_buffer_manager_new (guint64 limit,
                        gdouble low_watermark,
                        gdouble high_watermark)
{
  EsBufferManager *self = g_object_new (ES_TYPE_BUFFER_MANAGER, NULL);

  self->counters.limit = limit;
  self->counters.low_bytes = (guint64) (low_watermark * (gdouble) limit);
  self->counters.high_bytes = MAX ((guint64) (high_watermark * (gdouble) limit), 1);
  return self;
}

void
_es_buffer_manager_set_context (EsBufferManager *self,
                                GMainContext    *context)
{
  GMainContext *old = self->context;

  /* Set once, by start(), before any publish can cross a watermark. */
  self->context = g_main_context_ref (context);
  g_clear_pointer (&old, g_main_context_unref);
}

typedef struct {
  EsBufferManager *self;   /* owned */
  gboolean         above;
} Crossing;

static gboolean
emit_crossed (gpointer data)
{
  Crossing *crossing = data;

  g_signal_emit (crossing->self, signals[SIGNAL_WATERMARK_CROSSED], 0, crossing->above);
  return G_SOURCE_REMOVE;
}

static void
crossing_free (gpointer data)
{
  Crossing *crossing = data;

  g_object_unref (crossing->self);
  g_free (crossing);
}

void
_es_buffer_counters_crossed (EsBufferCounters *c,
                             gboolean          above)
{
  EsBufferManager *self = (EsBufferManager *) ((char *) c - G_STRUCT_OFFSET (EsBufferManager, counters));
  Crossing *crossing;
  GSource *source;

  /* Exactly one thread reports each crossing. */
  if (atomic_exchange_explicit (&c->above, above ? 1 : 0, memory_order_acq_rel) == (above ? 1 : 0))
    return;

  g_debug ("Global buffer %s its %s watermark", above ? "rose above" : "fell below", above ? "high" : "low");
  if (self->context == NULL)
    return;

  crossing = g_new0 (Crossing, 1);
  crossing->self = g_object_ref (self);
  crossing->above = above;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, emit_crossed, crossing, crossing_free);
  g_source_set_static_name (source, "[eventsys] watermark-crossed");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/**
 * es_buffer_manager_is_above_watermark:
 * @self: an #EsBufferManager
 *
 * Whether the global buffer rose to the high watermark and has not yet
 * fallen back to the low one (see #EsBufferManager::watermark-crossed).
 *
 * Returns: %TRUE while above the watermark
 *
 * Since: 1.0
 */
gboolean
es_buffer_manager_is_above_watermark (EsBufferManager *self)
{
  g_return_val_if_fail (ES_IS_BUFFER_MANAGER (self), FALSE);

  if (self->counters.limit == 0)
    return FALSE;
  _es_buffer_manager_reconcile (self);
  return atomic_load_explicit (&self->counters.above, memory_order_acquire) != 0;
}

EsBufferCounters *
_es_buffer_manager_get_counters (EsBufferManager *self)
{
  return &self->counters;
}

void
_es_buffer_manager_set_reconcile (EsBufferManager       *self,
                                  EsBufferReconcileFunc  func,
                                  gpointer               data)
{
  self->reconcile = func;
  self->reconcile_data = data;
}

void
_es_buffer_manager_reconcile (EsBufferManager *self)
{
  gint64 bytes, events;

  if (self->reconcile != NULL)
    self->reconcile (self->reconcile_data, &bytes, &events);
}

static void
read_totals (EsBufferManager *self,
             gint64          *bytes,
             gint64          *events)
{
  gint64 extra_bytes = 0, extra_events = 0;

  if (self->reconcile != NULL)
    self->reconcile (self->reconcile_data, &extra_bytes, &extra_events);
  *bytes = _es_buffer_counters_bytes (&self->counters) + extra_bytes;
  *events = _es_buffer_counters_events (&self->counters) + extra_events;
}

/**
 * es_buffer_manager_get_buffered_bytes:
 * @self: an #EsBufferManager
 *
 * Gets the bytes buffered across the system now.
 *
 * Returns: the bytes buffered across the system now
 *
 * Since: 1.0
 */
guint64
es_buffer_manager_get_buffered_bytes (EsBufferManager *self)
{
  gint64 bytes, events;

  g_return_val_if_fail (ES_IS_BUFFER_MANAGER (self), 0);

  read_totals (self, &bytes, &events);
  return bytes > 0 ? (guint64) bytes : 0;
}

/**
 * es_buffer_manager_get_buffered_events:
 * @self: an #EsBufferManager
 *
 * Gets the events buffered across the system now.
 *
 * Returns: the events buffered across the system now
 *
 * Since: 1.0
 */
guint64
es_buffer_manager_get_buffered_events (EsBufferManager *self)
{
  gint64 bytes, events;

  g_return_val_if_fail (ES_IS_BUFFER_MANAGER (self), 0);

  read_totals (self, &bytes, &events);
  return events > 0 ? (guint64) events : 0;
}

/**
 * es_buffer_manager_get_limit_bytes:
 * @self: an #EsBufferManager
 *
 * Gets #EsEventSystem:global-buffer-size, 0 for unlimited.
 *
 * Returns: #EsEventSystem:global-buffer-size, 0 for unlimited
 *
 * Since: 1.0
 */
guint64
es_buffer_manager_get_limit_bytes (EsBufferManager *self)
{
  g_return_val_if_fail (ES_IS_BUFFER_MANAGER (self), 0);
  return self->counters.limit;
}

/**
 * es_buffer_manager_get_utilization:
 * @self: an #EsBufferManager
 *
 * Gets buffered bytes over the limit, clamped to 0..1; 0 without a limit.
 *
 * Returns: buffered bytes over the limit, clamped to 0..1; 0 without a limit
 *
 * Since: 1.0
 */
gdouble
es_buffer_manager_get_utilization (EsBufferManager *self)
{
  g_return_val_if_fail (ES_IS_BUFFER_MANAGER (self), 0);

  if (self->counters.limit == 0)
    return 0;
  return CLAMP ((gdouble) es_buffer_manager_get_buffered_bytes (self) / (gdouble) self->counters.limit, 0.0, 1.0);
}
