/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "es-event-private.h"
#include "es-zero-copy-private.h"
#include "es-metrics-private.h"

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
_es_zero_copy_settle_event (EsEvent          *event,
                            EsBufferCounters *buffer)
{
  /* The last queue holding the event (always, with one subscriber) needs
   * no RMW: no other receiver will settle it. */
  if ((atomic_load_explicit (&event->queued_in, memory_order_acquire) == 1 ||
       atomic_fetch_sub_explicit (&event->queued_in, 1, memory_order_acq_rel) == 1) &&
      event->charged)
    _es_buffer_counters_release (buffer, _es_event_get_charge (event), 1);
}

void
_es_zero_copy_release_event (EsEvent  *event,
                             gpointer  buffer)
{
  _es_zero_copy_settle_event (event, buffer);
  es_event_unref (event);
}

/* Drops an event taken from the queue of an unsubscribed endpoint. */
static void
discard_event (EsZcEndpoint *ep,
               EsEvent      *event)
{
  atomic_fetch_add_explicit (&ep->base.dropped, 1, memory_order_relaxed);
  if (ep->base.core->metrics != NULL)
    _es_metrics_record_drop (ep->base.core->metrics, event->event_type, event->type_index,
                             ES_DROP_REASON_SHUTDOWN, 1);
  _es_zero_copy_release_event (event, ep->buffer);
}

/* A publisher that took its target list before the unsubscribe may still
 * push an event after close() drained the queue. The two sides form a
 * Dekker pair — the closer stores `discarded` and issues a heavy barrier
 * before draining, the publisher pushes, issues its light barrier and checks
 * `discarded` — so one of them always drains it. Until the publisher has,
 * receives drop what they find (see try_receive_events()). */
void
_es_zero_copy_drain_if_discarded (EsZcEndpoint *ep)
{
  EsEvent *event;

  /* seq_cst pairs with the fence a publisher issues after its push, and
   * with the store in _es_subscriber_mark_closed(): either side drains. */
  atomic_thread_fence (memory_order_seq_cst);
  if (G_LIKELY (!atomic_load_explicit (&ep->base.discarded, memory_order_relaxed)))
    return;
  while ((event = _es_zc_queue_pop (ep->queue)) != NULL)
    discard_event (ep, event);
}

static guint
es_zero_copy_subscriber_try_receive_events (EsSubscriber  *subscriber,
                                            EsEvent      **events,
                                            guint          max_events)
{
  EsZcEndpoint *ep = ((EsZeroCopySubscriber *) subscriber)->ep;
  guint n = 0;

  /* The one receiving thread counts what it receives with plain stores
   * (_es_sub_endpoint_count_received()); a second one ends that for good. */
  if (G_UNLIKELY (!es_owner_is_mine (&ep->base.reader)))
    es_owner_claim (&ep->base.reader);

  while (n < max_events)
    {
      EsEvent *event = _es_zc_queue_pop (ep->queue);

      if (event == NULL)
        break;
      /* Unsubscribed: an event pushed by a publisher that has not seen it
       * yet (and will drain it in a moment) must not reach a receive
       * either. The unsubscribe's process-wide barrier makes the flag
       * visible to any receive that starts after it returned. */
      if (G_UNLIKELY (atomic_load_explicit (&ep->base.discarded, memory_order_relaxed)))
        {
          discard_event (ep, event);
          continue;
        }
      /* The queue's reference becomes the caller's. */
      _es_zero_copy_settle_event (event, ep->buffer);
      events[n++] = event;
    }
  return n;
}

static gsize
es_zero_copy_subscriber_get_queue_depth (EsSubscriber *subscriber)
{
  return _es_zc_queue_depth (((EsZeroCopySubscriber *) subscriber)->ep->queue);
}

static guint64
es_zero_copy_subscriber_get_published_count (EsSubscriber *subscriber)
{
  EsZcEndpoint *ep = ((EsZeroCopySubscriber *) subscriber)->ep;

  /* Reservations not given back: every event pushed (or, for a moment,
   * being pushed) to us, without a counter of its own on the hot path. */
  return _es_zc_queue_pushed (ep->queue);
}

static void
es_zero_copy_subscriber_close (EsSubscriber *subscriber)
{
  EsZcEndpoint *ep = ((EsZeroCopySubscriber *) subscriber)->ep;
  EsEventSystem *system = es_subscriber_get_system (subscriber);

  _es_zero_copy_event_system_unregister (ES_ZERO_COPY_EVENT_SYSTEM (system), ep);
  _es_zero_copy_drain_if_discarded (ep);
}

static void
endpoint_finalize (EsSubEndpoint *base)
{
  EsZcEndpoint *ep = (EsZcEndpoint *) base;

  _es_zc_queue_free (ep->queue, _es_zero_copy_release_event, ep->buffer);
  es_wait_queue_clear (&ep->data_wq);
  es_wait_queue_clear (&ep->space_wq);
  if (ep->handler != NULL)
    _es_zero_copy_handler_free (ep->handler);
}

static void
es_zero_copy_subscriber_class_init (EsZeroCopySubscriberClass *klass)
{
  EsSubscriberClass *subscriber_class = ES_SUBSCRIBER_CLASS (klass);

  _es_subscriber_builtin_classes[1] = klass;

  subscriber_class->try_receive_events = es_zero_copy_subscriber_try_receive_events;
  subscriber_class->get_queue_depth = es_zero_copy_subscriber_get_queue_depth;
  subscriber_class->get_published_count = es_zero_copy_subscriber_get_published_count;
  subscriber_class->close = es_zero_copy_subscriber_close;
}

static void
es_zero_copy_subscriber_init (EsZeroCopySubscriber *self)
{
}

EsSubscriber *
_es_zero_copy_subscriber_new (EsEventSystem *system,
                              GType          event_type)
{
  EsZeroCopySubscriber *subscriber = g_object_new (ES_TYPE_ZERO_COPY_SUBSCRIBER, NULL);
  EsSystemCore *core = _es_event_system_get_core (system);
  EsZcEndpoint *ep = _es_sub_endpoint_alloc (sizeof (EsZcEndpoint), endpoint_finalize);

  es_wait_queue_init (&ep->data_wq);
  es_wait_queue_init (&ep->space_wq);
  ep->base.data_wq = &ep->data_wq;
  ep->base.space_wq = &ep->space_wq;
  ep->queue = _es_zc_queue_new (core->config.channel_capacity, core->config.enable_priority);
  ep->buffer = _es_buffer_manager_get_counters (core->buffer_manager);
  ep->event_type = event_type;
  subscriber->ep = ep;
  _es_subscriber_setup (ES_SUBSCRIBER (subscriber), system, event_type, &ep->base);
  return ES_SUBSCRIBER (subscriber);
}
