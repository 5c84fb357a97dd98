/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "es-event-private.h"
#include "es-zero-copy-private.h"

/**
 * EsZeroCopySubscriber:
 *
 * The zero-copy implementation's subscriber: a lock-free queue of shared
 * envelopes, with one lane per #EsEventPriority when
 * #EsEventSystem:enable-priority is on (higher lanes are served first;
 * order is kept per publisher within a priority). See #EsSubscriber for the
 * API.
 *
 * Since: 1.0
 */

G_DEFINE_FINAL_TYPE (EsZeroCopySubscriber, es_zero_copy_subscriber, ES_TYPE_SUBSCRIBER)

void
_es_zero_copy_release_event (EsEvent  *event,
                             gpointer  buffer_counters)
{
  if (atomic_fetch_sub_explicit (&event->queued_in, 1, memory_order_acq_rel) == 1 &&
      event->charged_to != NULL)
    _es_buffer_counters_release (event->charged_to, _es_event_get_charge (event), 1);
  es_event_unref (event);
}

static guint
es_zero_copy_subscriber_try_receive_events (EsSubscriber  *subscriber,
                                            EsEvent      **events,
                                            guint          max_events)
{
  EsZeroCopySubscriber *self = (EsZeroCopySubscriber *) subscriber;
  guint n = 0;

  while (n < max_events)
    {
      EsEvent *event = _es_zc_queue_pop (self->queue);

      if (event == NULL)
        break;
      /* The queue's reference becomes the caller's; only the buffer
       * charge is settled here. */
      if (atomic_fetch_sub_explicit (&event->queued_in, 1, memory_order_acq_rel) == 1 &&
          event->charged_to != NULL)
        _es_buffer_counters_release (event->charged_to, _es_event_get_charge (event), 1);
      events[n++] = event;
    }
  return n;
}

static gsize
es_zero_copy_subscriber_get_queue_depth (EsSubscriber *subscriber)
{
  return _es_zc_queue_depth (((EsZeroCopySubscriber *) subscriber)->queue);
}

static guint64
es_zero_copy_subscriber_get_published_count (EsSubscriber *subscriber)
{
  return atomic_load_explicit (&((EsZeroCopySubscriber *) subscriber)->published, memory_order_relaxed);
}

static void
es_zero_copy_subscriber_close (EsSubscriber *subscriber)
{
  EsZeroCopySubscriber *self = (EsZeroCopySubscriber *) subscriber;
  EsEventSystem *system = es_subscriber_get_system (subscriber);
  EsEvent *event;

  _es_zero_copy_event_system_unregister (ES_ZERO_COPY_EVENT_SYSTEM (system), self);

  /* Discard what is queued, counted as dropped. A publisher holding an old
   * target list may still push after this; the queue is drained again when
   * the subscriber is finalized. */
  while ((event = _es_zc_queue_pop (self->queue)) != NULL)
    {
      atomic_fetch_add_explicit (&self->shared->dropped, 1, memory_order_relaxed);
      _es_zero_copy_release_event (event, self->buffer);
    }
}

static void
es_zero_copy_subscriber_finalize (GObject *object)
{
  EsZeroCopySubscriber *self = ES_ZERO_COPY_SUBSCRIBER (object);

  if (self->queue != NULL)
    _es_zc_queue_free (self->queue, _es_zero_copy_release_event, self->buffer);
  es_wait_queue_clear (&self->data_wq);
  es_wait_queue_clear (&self->space_wq);

  G_OBJECT_CLASS (es_zero_copy_subscriber_parent_class)->finalize (object);
}

static void
es_zero_copy_subscriber_class_init (EsZeroCopySubscriberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  EsSubscriberClass *subscriber_class = ES_SUBSCRIBER_CLASS (klass);

  object_class->finalize = es_zero_copy_subscriber_finalize;

  subscriber_class->try_receive_events = es_zero_copy_subscriber_try_receive_events;
  subscriber_class->get_queue_depth = es_zero_copy_subscriber_get_queue_depth;
  subscriber_class->get_published_count = es_zero_copy_subscriber_get_published_count;
  subscriber_class->close = es_zero_copy_subscriber_close;
}

static void
es_zero_copy_subscriber_init (EsZeroCopySubscriber *self)
{
  es_wait_queue_init (&self->data_wq);
  es_wait_queue_init (&self->space_wq);
  atomic_init (&self->published, 0);
}

EsSubscriber *
_es_zero_copy_subscriber_new (EsEventSystem *system,
                              GType          event_type)
{
  EsZeroCopySubscriber *self = g_object_new (ES_TYPE_ZERO_COPY_SUBSCRIBER, NULL);
  EsSystemCore *core = _es_event_system_get_core (system);

  _es_subscriber_setup (ES_SUBSCRIBER (self), system, event_type, &self->data_wq, &self->space_wq);
  self->shared = _es_subscriber_get_shared (ES_SUBSCRIBER (self));
  self->queue = _es_zc_queue_new (core->config.channel_capacity, core->config.enable_priority);
  self->buffer = _es_buffer_manager_get_counters (core->buffer_manager);
  return ES_SUBSCRIBER (self);
}
