/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <sched.h>
#include <stdint.h>

#include "es-buffer-manager-private.h"
#include "es-event-private.h"
#include "es-publisher-private.h"
#include "es-static-publisher-private.h"
#include "es-zero-copy-private.h"
#include "es-metrics-private.h"

/**
 * EsPublisher:
 *
 * Publishes events of one type into an #EsEventSystem. Create it with
 * es_event_system_create_publisher(); the type is resolved then, so a
 * publish is an array index and a copy, never a lookup.
 *
 * |[<!-- language="C" -->
 * // plain data, no allocation on the static fast path
 * es_publisher_publish_data (publisher, &packet, sizeof packet, NULL, &error);
 *
 * // an envelope shared by every subscriber
 * g_autoptr(EsEvent) event = es_event_new_bytes (G_TYPE_BYTES, frame);
 * es_publisher_publish (publisher, event, cancellable, &error);
 * ]|
 *
 * Every subscriber of the type receives the events in the order one
 * publisher published them. When a subscriber queue or the global buffer is
 * full, #EsEventSystem:backpressure-strategy decides: wait (cancellable and
 * bounded by #EsEventSystem:default-timeout), drop the oldest queued event,
 * or reject the new one with %ES_ERROR_BACKPRESSURE (all or nothing: no
 * subscriber gets a rejected event). #EsPublisher:backpressure-state says
 * what the publisher is going through.
 *
 * Threading: an #EsPublisher may be used by several threads at once; its
 * order guarantee then holds per thread. #EsPublisher::backpressure-changed
 * is emitted on the publishing thread, so handlers must be thread-safe (and
 * cannot be JavaScript).
 *
 * Since: 1.0
 */

typedef struct
{
  EsPublisherShared  shared;     /* hot state, see es-publisher-private.h */
  EsEventSystem     *system;     /* owned */
  GType              event_type;
} EsPublisherPrivate;

enum {
  PROP_0,
  PROP_SYSTEM,
  PROP_EVENT_TYPE,
  PROP_BACKPRESSURE_STATE,
  N_PROPS
};

enum {
  SIGNAL_BACKPRESSURE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (EsPublisher, es_publisher, G_TYPE_OBJECT)

/* Not NULL before class_init sets them: an instance without a class must
 * not match a built-in class that does not exist yet. */
gconstpointer _es_publisher_builtin_classes[2] = { &_es_publisher_builtin_classes, &_es_publisher_builtin_classes };

#define PRIV(self) ((EsPublisherPrivate *) es_publisher_get_instance_private (self))

static void
es_publisher_finalize (GObject *object)
{
  EsPublisherPrivate *priv = PRIV (ES_PUBLISHER (object));

  g_clear_pointer (&priv->shared.cached, _es_sub_list_unref);
  g_clear_pointer (&priv->shared.owner_cached, _es_sub_list_unref);
  if (priv->shared.core != NULL && priv->shared.core->metrics != NULL)
    _es_metrics_remove_source (priv->shared.core->metrics, &priv->shared.metrics_source);
  g_clear_object (&priv->system);

  G_OBJECT_CLASS (es_publisher_parent_class)->finalize (object);
}

static void
es_publisher_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EsPublisher *self = ES_PUBLISHER (object);
  EsPublisherPrivate *priv = PRIV (self);

  switch (prop_id)
    {
    case PROP_SYSTEM:
      g_value_set_object (value, priv->system);
      break;
    case PROP_EVENT_TYPE:
      g_value_set_gtype (value, priv->event_type);
      break;
    case PROP_BACKPRESSURE_STATE:
      g_value_set_enum (value, es_publisher_get_backpressure_state (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
es_publisher_real_publish_take (EsPublisher   *self,
                                EsEvent       *event,
                                GCancellable  *cancellable,
                                GError       **error)
{
  gboolean ok = ES_PUBLISHER_GET_CLASS (self)->publish (self, event, cancellable, error);

  es_event_unref (event);
  return ok;
}

static void
es_publisher_class_init (EsPublisherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = es_publisher_finalize;
  object_class->get_property = es_publisher_get_property;
  klass->publish_take = es_publisher_real_publish_take;

  /**
   * EsPublisher:system:
   *
   * The system this publisher publishes into.
   *
   * Since: 1.0
   */
  properties[PROP_SYSTEM] =
    g_param_spec_object ("system", NULL, NULL, ES_TYPE_EVENT_SYSTEM,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EsPublisher:event-type:
   *
   * The published event type.
   *
   * Since: 1.0
   */
  properties[PROP_EVENT_TYPE] =
    g_param_spec_gtype ("event-type", NULL, NULL, G_TYPE_NONE,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EsPublisher:backpressure-state:
   *
   * The current backpressure state; notified on the publishing thread when
   * it changes.
   *
   * Since: 1.0
   */
  properties[PROP_BACKPRESSURE_STATE] =
    g_param_spec_enum ("backpressure-state", NULL, NULL,
                       ES_TYPE_BACKPRESSURE_STATE, ES_BACKPRESSURE_STATE_NORMAL,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EsPublisher::backpressure-changed:
   * @self: the publisher
   * @state: the new #EsBackpressureState
   *
   * Emitted on the publishing thread when the backpressure state changes,
   * with no internal lock held.
   *
   * Since: 1.0
   */
  signals[SIGNAL_BACKPRESSURE_CHANGED] =
    g_signal_new ("backpressure-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (EsPublisherClass, backpressure_changed), NULL, NULL, NULL,
                  G_TYPE_NONE, 1, ES_TYPE_BACKPRESSURE_STATE);
}

static void
es_publisher_init (EsPublisher *self)
{
  EsPublisherPrivate *priv = PRIV (self);

  atomic_init (&priv->shared.busy, 0);
  atomic_init (&priv->shared.owner, 0);
  atomic_init (&priv->shared.owner_published, 0);
  atomic_init (&priv->shared.owner_published_bytes, 0);
  atomic_init (&priv->shared.published, 0);
  atomic_init (&priv->shared.published_bytes, 0);
  atomic_init (&priv->shared.rejected, 0);
  atomic_init (&priv->shared.bp_state, ES_BACKPRESSURE_STATE_NORMAL);
  atomic_init (&priv->shared.throttled, 0);
}

/* Private API */

EsPublisherShared *
_es_publisher_get_shared (EsPublisher *self)
{
  return &PRIV (self)->shared;
}

void
_es_publisher_setup (EsPublisher          *self,
                     EsEventSystem        *system,
                     GType                 event_type,
                     EsCollectTargetsFunc  collect)
{
  EsPublisherPrivate *priv = PRIV (self);

  priv->system = g_object_ref (system);
  priv->event_type = event_type;
  priv->shared.core = _es_event_system_get_core (system);
  priv->shared.type_info = _es_event_type_lookup (event_type);
  priv->shared.collect = collect;

  if (priv->shared.core->metrics != NULL)
    {
      EsMetricsSource *source = &priv->shared.metrics_source;

      source->event_type = event_type;
      source->type_index = priv->shared.type_info->index;
      source->delivers = FALSE;
      source->count[0] = &priv->shared.owner_published;
      source->count[1] = &priv->shared.published;
      source->bytes[0] = &priv->shared.owner_published_bytes;
      source->bytes[1] = &priv->shared.published_bytes;
      _es_metrics_add_source (priv->shared.core->metrics, source);
    }
}

void
_es_publisher_set_backpressure_state_slow (EsPublisher        *self,
                                           EsBackpressureState state)
{
  EsPublisherPrivate *priv = PRIV (self);

  if (atomic_exchange (&priv->shared.bp_state, state) == (int) state)
    return;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKPRESSURE_STATE]);
  g_signal_emit (self, signals[SIGNAL_BACKPRESSURE_CHANGED], 0, state);
}

gboolean
_es_publisher_wait_for_room (EsPublisher   *self,
                             EsWaitQueue   *wq,
                             EsRoomFunc     room,
                             gpointer       room_data,
                             gint64        *deadline,
                             GCancellable  *cancellable,
                             GError       **error)
{
  EsPublisherShared *shared = &PRIV (self)->shared;
  EsCancelHook hook = { 0, NULL };
  gint64 started = g_get_monotonic_time ();
  gboolean ok = FALSE;

  if (*deadline == -2)
    *deadline = es_deadline_from_timeout (shared->core->config.default_timeout);

  _es_publisher_set_backpressure_state (self, shared, ES_BACKPRESSURE_STATE_BLOCKED);

  /* A consumer frees a slot within microseconds when it is running: yield a
   * few times before sleeping. */
  for (guint i = 0; i < 16 && !ok; i++)
    {
      ok = room (room_data);
      if (!ok)
        sched_yield ();
    }
  if (ok)
    goto out;

  for (;;)
    {
      guint key;

      if (!_es_system_core_check_publish (shared->core, error))
        break;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        break;

      if (cancellable != NULL && hook.cancellable == NULL)
        es_cancel_hook_connect (&hook, cancellable, wq);

      key = es_wait_queue_prepare (wq);
      if (room (room_data) || !_es_system_core_is_running (shared->core) ||
          g_cancellable_is_cancelled (cancellable))
        {
          es_wait_queue_cancel (wq);
          if (room (room_data))
            {
              ok = TRUE;
              break;
            }
          continue;
        }
      if (!es_wait_queue_wait (wq, key, *deadline))
        {
          if (room (room_data))
            {
              ok = TRUE;
              break;
            }
          g_set_error_literal (error, ES_ERROR, ES_ERROR_TIMEOUT,
                               "Timed out waiting for room in a full queue (default-timeout)");
          break;
        }
    }

  es_cancel_hook_disconnect (&hook);
  if (!ok)
    _es_publisher_set_backpressure_state (self, shared, ES_BACKPRESSURE_STATE_NORMAL);

out:
  if (shared->core->metrics != NULL)
    _es_metrics_record_blocked (shared->core->metrics, shared->type_info->gtype, shared->type_info->index,
                                g_get_monotonic_time () - started);
  return ok;
}

void
_es_publisher_adapt (EsPublisher       *self,
                     EsPublisherShared *shared,
                     gdouble            u,
                     EsWaitQueue       *wq)
{
  const EsConfig *config = &shared->core->config;
  gboolean throttled = atomic_load_explicit (&shared->throttled, memory_order_relaxed);
  gdouble fraction;
  GTimeSpan delay;

  /* Hysteresis: start at the high watermark, stop at the low one. */
  if (!throttled && u >= config->high_watermark)
    throttled = TRUE;
  else if (throttled && u <= config->low_watermark)
    throttled = FALSE;
  atomic_store_explicit (&shared->throttled, throttled, memory_order_relaxed);
  if (!throttled)
    return;

  _es_publisher_set_backpressure_state (self, shared, ES_BACKPRESSURE_STATE_THROTTLED);

  /* The slowdown grows linearly from 0 at the low watermark to
   * max-throttle-delay at a full queue; a consumer making room wakes us. */
  fraction = CLAMP ((u - config->low_watermark) / (1.0 - config->low_watermark), 0.0, 1.0);
  delay = (GTimeSpan) (fraction * (gdouble) config->max_throttle_delay);
  if (delay > 0 && wq != NULL && _es_system_core_is_running (shared->core))
    {
      guint key = es_wait_queue_prepare (wq);

      es_wait_queue_wait (wq, key, g_get_monotonic_time () + delay);
    }
}

EsBackpressureAction
_es_publisher_decide (EsPublisher  *self,
                      EsSubscriber *subscriber,
                      EsEvent      *event)
{
  EsSystemCore *core = PRIV (self)->shared.core;

  switch (core->config.backpressure_strategy)
    {
    case ES_BACKPRESSURE_DROP_OLDEST:
      return ES_BACKPRESSURE_ACTION_DROP_OLDEST;
    case ES_BACKPRESSURE_DROP_NEWEST:
      return ES_BACKPRESSURE_ACTION_DROP_NEWEST;
    case ES_BACKPRESSURE_CUSTOM:
      if (core->config.backpressure_func != NULL)
        return core->config.backpressure_func (self, subscriber, event,
                                               es_buffer_manager_get_utilization (core->buffer_manager),
                                               core->config.backpressure_data);
      return ES_BACKPRESSURE_ACTION_BLOCK;
    case ES_BACKPRESSURE_BLOCK:
    default:
      return ES_BACKPRESSURE_ACTION_BLOCK;
    }
}

/* Public API */

__thread char _es_thread_marker __attribute__ ((tls_model ("initial-exec")));

gboolean
_es_publisher_check_slow (EsPublisherShared *shared,
                          GType              type,
                          gsize              size,
                          gboolean           plain,
                          GError           **error)
{
  const EsEventTypeInfo *info = shared->type_info;

  if (plain)
    {
      if (info->kind != ES_EVENT_KIND_PLAIN)
        {
          g_set_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH,
                       "%s is not a plain-data event type; use es_publisher_publish()",
                       g_type_name (info->gtype));
          return FALSE;
        }
      if (info->size != 0 ? size != info->size : size == 0)
        {
          g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                       "%s events are %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
                       g_type_name (info->gtype), info->size, size);
          return FALSE;
        }
    }
  else if (type != info->gtype && !g_type_is_a (type, info->gtype))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH,
                   "Cannot publish a %s event with a %s publisher",
                   g_type_name (type), g_type_name (info->gtype));
      return FALSE;
    }
  return _es_system_core_check_publish (shared->core, error);
}

void
_es_publisher_count_failure (EsPublisherShared *shared,
                             GError            *local_error,
                             GError           **error)
{
  EsMetrics *metrics = shared->core->metrics;

  if (es_error_is_backpressure (local_error))
    {
      atomic_fetch_add_explicit (&shared->rejected, 1, memory_order_relaxed);
      if (G_UNLIKELY (metrics != NULL))
        _es_metrics_record_reject (metrics, shared->type_info->gtype, shared->type_info->index);
    }
  if (local_error != NULL)
    g_propagate_error (error, local_error);
}

/* The vfuncs of the built-in classes, without a checked cast. */
#define PUBLISHER_CLASS(self) ((EsPublisherClass *) ((GTypeInstance *) (self))->g_class)

/* The common case of the entry points' argument checks, inline and without
 * a call (so the fast path saves no registers): an instance, no
 * cancellable, a clear error location. Returns the instance's class, which
 * the caller compares with the built-in classes (the devirtualized one
 * first), or NULL when the full g_return_val_if_fail() checks in an
 * out-of-line function must decide. A class pointer rather than its GType:
 * one dependent load less, and no test for a missing class, since NULL
 * never equals a built-in class, not even before one exists (see
 * _es_publisher_builtin_classes). es-bench W8: the static unified publish
 * went from 2-3% slower than the vfunc to 7% faster, zero-copy's from
 * +0.95% to +0.8%. */
static inline gconstpointer
args_fast_class (EsPublisher  *self,
                 GCancellable *cancellable,
                 GError      **error)
{
  if (G_LIKELY (self != NULL && cancellable == NULL && (error == NULL || *error == NULL)))
    return ((const GTypeInstance *) self)->g_class;
  return NULL;
}

/* args_fast_class() for a built-in publisher. */
static inline gboolean
args_fast (EsPublisher  *self,
           GCancellable *cancellable,
           GError      **error)
{
  gconstpointer klass = args_fast_class (self, cancellable, error);

  return klass == _es_publisher_builtin_classes[0] || klass == _es_publisher_builtin_classes[1];
}

static G_GNUC_NO_INLINE gboolean
publish_checked (EsPublisher   *self,
                 EsEvent       *event,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_return_val_if_fail (ES_IS_PUBLISHER_FAST (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return PUBLISHER_CLASS (self)->publish (self, event, cancellable, error);
}

static G_GNUC_NO_INLINE gboolean
publish_data_checked (EsPublisher    *self,
                      gconstpointer   data,
                      gsize           size,
                      GCancellable   *cancellable,
                      GError        **error)
{
  g_return_val_if_fail (ES_IS_PUBLISHER_FAST (self), FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return PUBLISHER_CLASS (self)->publish_data (self, data, size, cancellable, error);
}

static G_GNUC_NO_INLINE gboolean
publish_object_checked (EsPublisher   *self,
                        gpointer       object,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_return_val_if_fail (ES_IS_PUBLISHER_FAST (self), FALSE);
  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return PUBLISHER_CLASS (self)->publish_object (self, object, cancellable, error);
}

/**
 * es_publisher_publish:
 * @self: an #EsPublisher
 * @event: the event; sealed by this call (a published event is published as
 *   a copy sharing its payload)
 * @cancellable: (nullable): cancels a publish blocked by backpressure
 * @error: return location for a #GError
 *
 * Publishes @event to every subscriber of the publisher's type. The event's
 * type must be the publisher's type or (for objects) a subtype of it.
 *
 * Errors: %ES_ERROR_NOT_STARTED, %ES_ERROR_SHUT_DOWN, %ES_ERROR_TYPE_MISMATCH,
 * %ES_ERROR_BACKPRESSURE (rejected; see es_error_is_backpressure()),
 * %ES_ERROR_TIMEOUT (blocked longer than #EsEventSystem:default-timeout) and
 * %G_IO_ERROR_CANCELLED.
 *
 * Returns: %TRUE if the event was published
 *
 * Since: 1.0
 */
gboolean
es_publisher_publish (EsPublisher   *self,
                      EsEvent       *event,
                      GCancellable  *cancellable,
                      GError       **error)
{
  if (G_LIKELY (args_fast (self, cancellable, error) && event != NULL))
    return PUBLISHER_CLASS (self)->publish (self, event, cancellable, error);
  return publish_checked (self, event, cancellable, error);
}

static G_GNUC_NO_INLINE gboolean
publish_take_checked (EsPublisher   *self,
                      EsEvent       *event,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (event != NULL, FALSE);
  if (!ES_IS_PUBLISHER_FAST (self) ||
      (cancellable != NULL && !G_IS_CANCELLABLE (cancellable)) ||
      (error != NULL && *error != NULL))
    {
      /* Ours whatever happens: not leaked on a programmer error either. */
      es_event_unref (event);
      g_return_val_if_fail (ES_IS_PUBLISHER_FAST (self), FALSE);
      g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
      g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
      return FALSE;
    }

  return PUBLISHER_CLASS (self)->publish_take (self, event, cancellable, error);
}

/**
 * es_publisher_publish_take:
 * @self: an #EsPublisher
 * @event: (transfer full): the event; sealed by this call
 * @cancellable: (nullable): cancels a publish blocked by backpressure
 * @error: return location for a #GError
 *
 * Like es_publisher_publish(), but takes over the caller's reference to
 * @event whatever the outcome, as gst_pad_push() takes its buffer: the
 * caller must not use @event afterwards unless it holds another reference.
 *
 * On the zero-copy implementation that reference becomes the first
 * subscriber queue's. The publisher then never touches the envelope again
 * once a receiver on another core may be reading it, which saves an atomic
 * operation per event and the trip of the envelope's cache line back to
 * the publishing core: the way to publish envelopes at the highest rate.
 *
 * Errors: as es_publisher_publish().
 *
 * Returns: %TRUE if the event was published
 *
 * Since: 1.0
 */
ES_HOT_ENTRY gboolean
es_publisher_publish_take (EsPublisher   *self,
                           EsEvent       *event,
                           GCancellable  *cancellable,
                           GError       **error)
{
  gconstpointer klass = args_fast_class (self, cancellable, error);

  /* Devirtualized for the zero-copy implementation, whose envelopes this
   * is for: a tail call with the same arguments, so this function needs
   * no frame and the unified API costs its checks and a jump. */
  if (G_LIKELY (klass == _es_publisher_builtin_classes[1] && event != NULL))
    return _es_zero_copy_publisher_publish_take (self, event, cancellable, error);
  if (klass == _es_publisher_builtin_classes[0] && event != NULL)
    return PUBLISHER_CLASS (self)->publish_take (self, event, cancellable, error);
  return publish_take_checked (self, event, cancellable, error);
}

/**
 * es_publisher_publish_data:
 * @self: an #EsPublisher of a plain-data type
 * @data: (array length=size) (element-type guint8): the payload
 * @size: the payload size; must equal the type's size
 * @cancellable: (nullable): cancels a publish blocked by backpressure
 * @error: return location for a #GError
 *
 * Publishes a plain-data payload. On the static fast path this copies @data
 * once into a preallocated ring slot: no allocation, no lock. A wrong @size
 * fails with %ES_ERROR_INVALID_ARGUMENT, a non-plain type with
 * %ES_ERROR_TYPE_MISMATCH; other errors as es_publisher_publish().
 *
 * Returns: %TRUE if the payload was published
 *
 * Since: 1.0
 */
ES_HOT_ENTRY gboolean
es_publisher_publish_data (EsPublisher    *self,
                           gconstpointer   data,
                           gsize           size,
                           GCancellable   *cancellable,
                           GError        **error)
{
  gconstpointer klass = args_fast_class (self, cancellable, error);

  /* Devirtualized for the static fast path: the unified API costs no more
   * than calling the implementation. */
  if (G_LIKELY (klass == _es_publisher_builtin_classes[0] && data != NULL))
    return _es_static_publisher_publish_data (self, data, size, cancellable, error);
  if (klass == _es_publisher_builtin_classes[1] && data != NULL)
    return PUBLISHER_CLASS (self)->publish_data (self, data, size, cancellable, error);
  return publish_data_checked (self, data, size, cancellable, error);
}

/**
 * es_publisher_publish_object:
 * @self: an #EsPublisher of a #GObject type
 * @object: (type GObject.Object): the object; its type must be the
 *   publisher's type or a subtype
 * @cancellable: (nullable): cancels a publish blocked by backpressure
 * @error: return location for a #GError
 *
 * Publishes @object: every subscriber receives a reference to the same
 * object, so treat it as immutable from now on.
 *
 * Returns: %TRUE if the object was published
 *
 * Since: 1.0
 */
gboolean
es_publisher_publish_object (EsPublisher   *self,
                             gpointer       object,
                             GCancellable  *cancellable,
                             GError       **error)
{
  if (G_LIKELY (args_fast (self, cancellable, error) && object != NULL &&
                ((GTypeInstance *) object)->g_class != NULL))
    return PUBLISHER_CLASS (self)->publish_object (self, object, cancellable, error);
  return publish_object_checked (self, object, cancellable, error);
}

/**
 * es_publisher_publish_batch:
 * @self: an #EsPublisher
 * @events: (array length=n_events): the events, in order
 * @n_events: how many
 * @n_published: (out) (optional): how many were published before an error
 * @cancellable: (nullable): cancels a publish blocked by backpressure
 * @error: return location for a #GError
 *
 * Publishes @events in order, stopping at the first failure; @n_published
 * then says how many went out.
 *
 * Returns: %TRUE if every event was published
 *
 * Since: 1.0
 */
gboolean
es_publisher_publish_batch (EsPublisher   *self,
                            EsEvent      **events,
                            guint          n_events,
                            guint         *n_published,
                            GCancellable  *cancellable,
                            GError       **error)
{
  guint i;

  g_return_val_if_fail (ES_IS_PUBLISHER (self), FALSE);
  g_return_val_if_fail (events != NULL || n_events == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (i = 0; i < n_events; i++)
    {
      g_return_val_if_fail (events[i] != NULL, FALSE);
      if (!es_publisher_publish (self, events[i], cancellable, error))
        break;
    }

  if (n_published != NULL)
    *n_published = i;
  return i == n_events;
}

/**
 * es_publisher_publish_data_batch: (skip)
 * @self: an #EsPublisher of a plain-data type
 * @data: @n_elements payloads of @element_size bytes each, one after the
 *   other
 * @element_size: the payload size; must equal the type's size
 * @n_elements: how many payloads
 * @n_published: (out) (optional): how many were published before an error
 * @cancellable: (nullable): cancels a publish blocked by backpressure
 * @error: return location for a #GError
 *
 * Publishes @n_elements plain-data payloads in order, stopping at the first
 * failure, with the same result as that many es_publisher_publish_data()
 * calls: the same events, sequence numbers, order, backpressure and errors.
 * The counterpart of es_subscriber_receive_data_batch().
 *
 * On the static fast path, while the ring has room, the checks are made
 * once per run of payloads and the payloads are copied into consecutive
 * slots. While one thread publishes the type, subscribers are shown a chunk
 * of them with one store and at most one wake-up; once several do, one CAS
 * claims the whole run. For small events this is several times the
 * throughput of single publishes. The zero-copy implementation publishes
 * one envelope per payload.
 *
 * Returns: %TRUE if every payload was published
 *
 * Since: 1.0
 */
gboolean
es_publisher_publish_data_batch (EsPublisher   *self,
                                 gconstpointer  data,
                                 gsize          element_size,
                                 guint          n_elements,
                                 guint         *n_published,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  EsPublisherClass *klass;
  guint done = 0;
  gboolean ok;

  g_return_val_if_fail (ES_IS_PUBLISHER_FAST (self), FALSE);
  g_return_val_if_fail (data != NULL || n_elements == 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  klass = PUBLISHER_CLASS (self);
  if (n_elements > 0 && klass->publish_data_batch != NULL)
    ok = klass->publish_data_batch (self, data, element_size, n_elements, &done, cancellable, error);
  else
    {
      for (; done < n_elements; done++)
        if (!klass->publish_data (self, (const guint8 *) data + (gsize) done * element_size, element_size,
                                  cancellable, error))
          break;
      ok = done == n_elements;
    }

  if (n_published != NULL)
    *n_published = done;
  return ok;
}

/**
 * es_publisher_get_system:
 * @self: an #EsPublisher
 *
 * Gets the system.
 *
 * Returns: (transfer none): the system
 *
 * Since: 1.0
 */
EsEventSystem *
es_publisher_get_system (EsPublisher *self)
{
  g_return_val_if_fail (ES_IS_PUBLISHER (self), NULL);
  return PRIV (self)->system;
}

/**
 * es_publisher_get_event_type:
 * @self: an #EsPublisher
 *
 * Gets the published event type.
 *
 * Returns: the published event type
 *
 * Since: 1.0
 */
GType
es_publisher_get_event_type (EsPublisher *self)
{
  g_return_val_if_fail (ES_IS_PUBLISHER (self), G_TYPE_INVALID);
  return PRIV (self)->event_type;
}

/**
 * es_publisher_get_backpressure_state:
 * @self: an #EsPublisher
 *
 * Gets the current backpressure state.
 *
 * Returns: the current backpressure state
 *
 * Since: 1.0
 */
EsBackpressureState
es_publisher_get_backpressure_state (EsPublisher *self)
{
  g_return_val_if_fail (ES_IS_PUBLISHER (self), ES_BACKPRESSURE_STATE_NORMAL);
  return atomic_load_explicit (&PRIV (self)->shared.bp_state, memory_order_relaxed);
}

/**
 * es_publisher_get_published_count:
 * @self: an #EsPublisher
 *
 * Gets events this publisher published successfully.
 *
 * Returns: events this publisher published successfully
 *
 * Since: 1.0
 */
guint64
es_publisher_get_published_count (EsPublisher *self)
{
  g_return_val_if_fail (ES_IS_PUBLISHER (self), 0);
  return atomic_load_explicit (&PRIV (self)->shared.owner_published, memory_order_relaxed) +
         atomic_load_explicit (&PRIV (self)->shared.published, memory_order_relaxed);
}

/**
 * es_publisher_get_rejected_count:
 * @self: an #EsPublisher
 *
 * Gets events rejected by backpressure (%ES_ERROR_BACKPRESSURE).
 *
 * Returns: events rejected by backpressure (%ES_ERROR_BACKPRESSURE)
 *
 * Since: 1.0
 */
guint64
es_publisher_get_rejected_count (EsPublisher *self)
{
  g_return_val_if_fail (ES_IS_PUBLISHER (self), 0);
  return atomic_load_explicit (&PRIV (self)->shared.rejected, memory_order_relaxed);
}
