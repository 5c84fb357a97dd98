/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "es-buffer-manager-private.h"
#include "es-static-publisher-private.h"
#include "es-static-subscriber-private.h"

/**
 * EsStaticEventSystem:
 *
 * The static fast path: one preallocated ring per event type, with slots
 * sized to the type. A publish copies the payload once into a slot; every
 * subscriber reads it by sequence number. Nothing is allocated per event on
 * the es_publisher_publish_data() → es_subscriber_receive_data() path.
 *
 * It carries fixed-size plain-data types (ES_DEFINE_EVENT_TYPE()) and
 * #GObject types (the slot holds a reference, released when the slot is
 * reused). A subscription matches its exact type. Choose it for small,
 * fixed events at the highest rate; choose #EsZeroCopyEventSystem for large
 * payloads, priorities and subtype matching.
 *
 * With %ES_BACKPRESSURE_DROP_OLDEST a publisher that finds a subscriber a
 * whole ring behind moves that subscriber's cursor forward; the subscriber
 * counts the skipped events as dropped.
 *
 * Since: 1.0
 */

struct _EsStaticEventSystem
{
  EsEventSystem   parent_instance;
  pthread_mutex_t lock;                                   /* serializes ring creation */
  _Atomic (EsStaticRing *) rings[ES_EVENT_TYPE_MAX];      /* owned, by type index */
};

G_DEFINE_FINAL_TYPE (EsStaticEventSystem, es_static_event_system, ES_TYPE_EVENT_SYSTEM)

static EsStaticRing *
get_ring (EsStaticEventSystem *self,
          GType                event_type)
{
  const EsEventTypeInfo *info = _es_event_type_lookup (event_type);
  EsStaticRing *ring = atomic_load_explicit (&self->rings[info->index], memory_order_acquire);

  if (ring != NULL)
    return ring;

  pthread_mutex_lock (&self->lock);
  ring = atomic_load_explicit (&self->rings[info->index], memory_order_relaxed);
  if (ring == NULL)
    {
      guint capacity = _es_event_system_get_core (ES_EVENT_SYSTEM (self))->config.channel_capacity;

      EsSystemCore *core = _es_event_system_get_core (ES_EVENT_SYSTEM (self));

      ring = _es_static_ring_new (info, capacity, core->buffer_manager, core->metrics, core->trace_salt);
      atomic_store_explicit (&self->rings[info->index], ring, memory_order_release);
      g_debug ("Static ring for %s: %" G_GUINT64_FORMAT " slots of %" G_GSIZE_FORMAT " bytes",
               g_type_name (event_type), ring->capacity, ring->slot_stride);
    }
  pthread_mutex_unlock (&self->lock);
  return ring;
}

/* The buffer manager's view of the rings: with a limit, release what the
 * cursors passed; without one, nothing is charged on the hot path, so report
 * what the rings hold. */
static void
reconcile_rings (gpointer  data,
                 gint64   *extra_bytes,
                 gint64   *extra_events)
{
  EsStaticEventSystem *self = data;

  *extra_bytes = 0;
  *extra_events = 0;
  for (guint i = 0; i < ES_EVENT_TYPE_MAX; i++)
    {
      EsStaticRing *ring = atomic_load_explicit (&self->rings[i], memory_order_acquire);
      guint64 held;

      if (ring == NULL)
        continue;
      held = _es_static_ring_reclaim (ring);
      if (ring->buffer->limit == 0)
        {
          *extra_bytes += (gint64) (held * ring->slot_stride);
          *extra_events += (gint64) held;
        }
    }
}

static void
es_static_event_system_constructed (GObject *object)
{
  EsStaticEventSystem *self = ES_STATIC_EVENT_SYSTEM (object);

  G_OBJECT_CLASS (es_static_event_system_parent_class)->constructed (object);

  _es_buffer_manager_set_reconcile (_es_event_system_get_core (ES_EVENT_SYSTEM (self))->buffer_manager,
                                    reconcile_rings, self);
}

static gboolean
es_static_event_system_supports_type (EsEventSystem *system,
                                      GType          event_type)
{
  const EsEventTypeInfo *info = _es_event_type_lookup (event_type);

  return info != NULL &&
         ((info->kind == ES_EVENT_KIND_PLAIN && info->size > 0) ||
          info->kind == ES_EVENT_KIND_OBJECT);
}

static EsPublisher *
es_static_event_system_create_publisher (EsEventSystem  *system,
                                         GType           event_type,
                                         GError        **error)
{
  EsStaticEventSystem *self = ES_STATIC_EVENT_SYSTEM (system);

  return _es_static_publisher_new (system, event_type, get_ring (self, event_type));
}

static EsSubscriber *
es_static_event_system_subscribe (EsEventSystem  *system,
                                  GType           event_type,
                                  GError        **error)
{
  EsStaticEventSystem *self = ES_STATIC_EVENT_SYSTEM (system);

  return _es_static_subscriber_new (system, event_type, get_ring (self, event_type));
}

static void
es_static_event_system_shutdown (EsEventSystem *system)
{
  EsStaticEventSystem *self = ES_STATIC_EVENT_SYSTEM (system);

  for (guint i = 0; i < ES_EVENT_TYPE_MAX; i++)
    {
      EsStaticRing *ring = atomic_load_explicit (&self->rings[i], memory_order_acquire);

      if (ring == NULL)
        continue;
      es_wait_queue_wake_all (&ring->data_wq);
      es_wait_queue_wake_all (&ring->space_wq);
    }
}

static void
es_static_event_system_finalize (GObject *object)
{
  EsStaticEventSystem *self = ES_STATIC_EVENT_SYSTEM (object);

  /* Publishers and subscribers hold a reference on the system, so no ring
   * is in use any more. */
  for (guint i = 0; i < ES_EVENT_TYPE_MAX; i++)
    {
      EsStaticRing *ring = atomic_load_explicit (&self->rings[i], memory_order_acquire);

      if (ring != NULL)
        _es_static_ring_free (ring);
    }
  pthread_mutex_destroy (&self->lock);

  G_OBJECT_CLASS (es_static_event_system_parent_class)->finalize (object);
}

static void
es_static_event_system_class_init (EsStaticEventSystemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  EsEventSystemClass *system_class = ES_EVENT_SYSTEM_CLASS (klass);

  object_class->constructed = es_static_event_system_constructed;
  object_class->finalize = es_static_event_system_finalize;

  system_class->supports_type = es_static_event_system_supports_type;
  system_class->create_publisher = es_static_event_system_create_publisher;
  system_class->subscribe = es_static_event_system_subscribe;
  system_class->shutdown = es_static_event_system_shutdown;
}

static void
es_static_event_system_init (EsStaticEventSystem *self)
{
  pthread_mutex_init (&self->lock, NULL);
  for (guint i = 0; i < ES_EVENT_TYPE_MAX; i++)
    atomic_init (&self->rings[i], NULL);
}
