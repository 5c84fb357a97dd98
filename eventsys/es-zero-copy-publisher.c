/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <sched.h>
#include <string.h>

#include "es-event-private.h"
#include "es-zero-copy-private.h"
#include "es-metrics-private.h"

/**
 * EsZeroCopyPublisher:
 *
 * The zero-copy implementation's publisher: one envelope per event, sealed
 * and queued by reference to every matching subscriber, so a payload of any
 * size is never copied. Delivery is all or nothing: with
 * %ES_BACKPRESSURE_DROP_NEWEST a publish either reaches every subscriber or
 * none. See #EsPublisher for the API.
 *
 * Since: 1.0
 */

G_DEFINE_FINAL_TYPE (EsZeroCopyPublisher, es_zero_copy_publisher, ES_TYPE_PUBLISHER)

/* No cell reserved in a target queue (a ticket is a position, far below). */
#define NO_TICKET G_MAXUINT64

typedef struct {
  EsZcEndpoint *sub;
} RoomCheck;

static gboolean
queue_has_room (gpointer data)
{
  EsZcEndpoint *sub = ((RoomCheck *) data)->sub;

  return _es_zc_queue_depth (sub->queue) < (gint64) sub->queue->capacity ||
         _es_sub_endpoint_is_closed (&sub->base);
}

typedef struct {
  EsBufferCounters *buffer;
  gint64            charge;
} BufferCheck;

static gboolean
buffer_has_room (gpointer data)
{
  BufferCheck *check = data;

  return (guint64) (_es_buffer_counters_bytes (check->buffer) + check->charge) <= check->buffer->limit;
}

static EsBackpressureAction
decide (EsPublisher  *publisher,
        EsZcEndpoint *endpoint,
        EsEvent      *event)
{
  g_autoptr(EsSubscriber) owner = NULL;

  /* Only CUSTOM needs the subscriber object. */
  if (_es_publisher_get_shared (publisher)->core->config.backpressure_strategy == ES_BACKPRESSURE_CUSTOM &&
      endpoint != NULL)
    owner = _es_sub_endpoint_dup_owner (&endpoint->base);
  return _es_publisher_decide (publisher, owner, event);
}

static gboolean
evict_one (EsZcEndpoint *sub,
           gboolean     *dropped)
{
  EsEvent *victim = _es_zc_queue_pop_oldest (sub->queue);

  if (victim == NULL)
    return FALSE;
  atomic_fetch_add_explicit (&sub->base.dropped, 1, memory_order_relaxed);
  if (sub->base.core->metrics != NULL)
    _es_metrics_record_drop (sub->base.core->metrics, victim->event_type, victim->type_index,
                             sub->base.core->config.backpressure_strategy == ES_BACKPRESSURE_CUSTOM
                             ? ES_DROP_REASON_CUSTOM : ES_DROP_REASON_DROP_OLDEST, 1);
  _es_zero_copy_release_event (victim, sub->buffer);
  *dropped = TRUE;
  return TRUE;
}

/* Charges the global buffer for @event, applying the strategy at the limit. */
static gboolean
charge_buffer (EsPublisher  *publisher,
               EsSubList    *targets,
               EsEvent      *event,
               gint64       *deadline,
               gboolean     *dropped,
               GCancellable *cancellable,
               GError      **error)
{
  EsPublisherShared *shared = ((EsZeroCopyPublisher *) publisher)->shared;
  EsBufferCounters *buffer = ((EsZeroCopyPublisher *) publisher)->buffer;
  gint64 charge = _es_event_get_charge (event);

  if (buffer->limit == 0)
    {
      /* Unlimited: counted only, so utilization and metrics stay exact. */
      _es_buffer_counters_try_charge (buffer, charge);
      event->charged = TRUE;
      return TRUE;
    }

  if ((guint64) charge > buffer->limit)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_BACKPRESSURE,
                   "The event (%" G_GINT64_FORMAT " bytes) is larger than global-buffer-size",
                   charge);
      return FALSE;
    }

  while (!_es_buffer_counters_try_charge (buffer, charge))
    {
      switch (decide (publisher, NULL, event))
        {
        case ES_BACKPRESSURE_ACTION_DROP_OLDEST:
          {
            /* Evict from the deepest target queue: the subscriber furthest
             * behind holds the oldest events, and a fast subscriber keeps
             * what it is about to read. */
            EsZcEndpoint *deepest = NULL;
            gint64 depth = 0;

            _es_publisher_set_backpressure_state (publisher, shared, ES_BACKPRESSURE_STATE_DROPPING);
            for (guint i = 0; i < targets->n; i++)
              {
                EsZcEndpoint *ep = (EsZcEndpoint *) targets->subs[i];
                gint64 d = _es_zc_queue_depth (ep->queue);

                if (d > depth)
                  {
                    depth = d;
                    deepest = ep;
                  }
              }
            if (deepest == NULL || !evict_one (deepest, dropped))
              sched_yield ();   /* what fills the buffer is queued elsewhere */
            break;
          }
        case ES_BACKPRESSURE_ACTION_DROP_NEWEST:
          _es_publisher_set_backpressure_state (publisher, shared, ES_BACKPRESSURE_STATE_DROPPING);
          *dropped = TRUE;
          g_set_error_literal (error, ES_ERROR, ES_ERROR_BACKPRESSURE,
                               "The global buffer is full: event rejected");
          return FALSE;
        case ES_BACKPRESSURE_ACTION_RETRY:
          sched_yield ();
          break;
        case ES_BACKPRESSURE_ACTION_BLOCK:
        default:
          {
            BufferCheck check = { buffer, charge };

            if (!_es_publisher_wait_for_room (publisher, &buffer->space, buffer_has_room, &check,
                                              deadline, cancellable, error))
              return FALSE;
          }
        }
    }

  event->charged = TRUE;
  return TRUE;
}

/* Publishes @event to the publisher's targets. With @take, the caller's
 * reference to @event is consumed whatever the outcome: on success it
 * becomes the first queue's, so that the publisher does not touch the
 * envelope again once a receiver may have it. */
static gboolean
deliver (EsPublisher   *publisher,
         EsEvent       *event,
         gboolean       take,
         GCancellable  *cancellable,
         GError       **error)
{
  EsZeroCopyPublisher *self = (EsZeroCopyPublisher *) publisher;
  EsPublisherShared *shared = self->shared;
  const EsConfig *config = &shared->core->config;
  EsTargetsHold owned;
  EsSubList *targets = _es_publisher_acquire_targets (shared, publisher, &owned);
  /* Each target's reserved cell, NO_TICKET where none was reserved. */
  guint64 stack_tickets[64];
  guint64 *tickets = targets->n <= G_N_ELEMENTS (stack_tickets) ? stack_tickets : g_new (guint64, targets->n);
  gint64 deadline = -2;
  gboolean dropped = FALSE;
  EsEvent *sealed = NULL;
  guint n_reserved = 0;
  gboolean ok = TRUE;
  /* The lane; read now: with @take, @event may be gone after sealing. */
  const guint lane = event->priority;

  if (G_UNLIKELY (config->adaptive))
    {
      EsBufferCounters *buffer = self->buffer;
      EsWaitQueue *wq = NULL;
      gdouble u = 0;

      for (guint i = 0; i < targets->n; i++)
        {
          EsZcEndpoint *sub = (EsZcEndpoint *) targets->subs[i];
          gdouble fill = (gdouble) _es_zc_queue_depth (sub->queue) / (gdouble) sub->queue->capacity;

          if (fill >= u && !_es_sub_endpoint_is_closed (&sub->base))
            {
              u = fill;
              wq = &sub->space_wq;
            }
        }
      if (buffer->limit != 0)
        {
          gdouble global = (gdouble) _es_buffer_counters_bytes (buffer) / (gdouble) buffer->limit;

          if (global > u)
            {
              u = global;
              wq = &buffer->space;
            }
        }
      _es_publisher_adapt (publisher, shared, u, wq);
    }

  /* Reserve a place in every target queue first: all or nothing. Every
   * ticket is set before the loop can stop early: the rollback reads all. */
  for (guint i = 0; i < targets->n; i++)
    tickets[i] = NO_TICKET;
  for (guint i = 0; i < targets->n && ok; i++)
    {
      EsZcEndpoint *sub = (EsZcEndpoint *) targets->subs[i];

      while (!_es_sub_endpoint_is_closed (&sub->base))
        {
          if (_es_zc_queue_reserve (sub->queue, lane, &tickets[i]))
            {
              n_reserved++;
              break;
            }

          switch (decide (publisher, sub, event))
            {
            case ES_BACKPRESSURE_ACTION_DROP_OLDEST:
              _es_publisher_set_backpressure_state (publisher, shared, ES_BACKPRESSURE_STATE_DROPPING);
              evict_one (sub, &dropped);
              continue;
            case ES_BACKPRESSURE_ACTION_DROP_NEWEST:
              _es_publisher_set_backpressure_state (publisher, shared, ES_BACKPRESSURE_STATE_DROPPING);
              dropped = TRUE;
              g_set_error (error, ES_ERROR, ES_ERROR_BACKPRESSURE,
                           "A %s subscriber is full (%" G_GUINT64_FORMAT " events): event rejected",
                           g_type_name (sub->event_type), sub->queue->capacity);
              ok = FALSE;
              break;
            case ES_BACKPRESSURE_ACTION_RETRY:
              sched_yield ();
              continue;
            case ES_BACKPRESSURE_ACTION_BLOCK:
            default:
              {
                RoomCheck check = { sub };

                if (!_es_publisher_wait_for_room (publisher, &sub->space_wq, queue_has_room, &check,
                                                  &deadline, cancellable, error))
                  ok = FALSE;
                break;
              }
            }
          if (!ok)
            break;
        }
    }

  /* Shut down while we waited: fail like any publish after shutdown
   * rather than report success for an event nobody will get. */
  if (ok && !_es_system_core_is_running (shared->core))
    ok = _es_system_core_check_publish (shared->core, error);

  if (ok && n_reserved > 0)
    {
      sealed = _es_event_seal (event, shared->type_info->index,
                               _es_zc_sequence_next (self->sequence),
                               shared->core->trace_salt, take);
      take = FALSE;   /* consumed */
      ok = charge_buffer (publisher, targets, sealed, &deadline, &dropped, cancellable, error);
    }

  if (!ok)
    {
      for (guint i = 0; i < targets->n; i++)
        if (tickets[i] != NO_TICKET)
          {
            EsZcEndpoint *sub = (EsZcEndpoint *) targets->subs[i];

            _es_zc_queue_unreserve (sub->queue, lane, tickets[i]);
          }
      g_clear_pointer (&sealed, es_event_unref);
    }
  else if (sealed != NULL)
    {
      /* Set before the first push: a receiver may settle its share at once. */
      atomic_store_explicit (&sealed->queued_in, (int) n_reserved, memory_order_relaxed);
      /* Our reference from sealing goes to the first queue; one RMW adds
       * the others' (none with a single subscriber). */
      if (n_reserved > 1)
        atomic_fetch_add_explicit (&sealed->ref_count, (int) n_reserved - 1, memory_order_relaxed);
      for (guint i = 0; i < targets->n; i++)
        {
          EsZcEndpoint *sub = (EsZcEndpoint *) targets->subs[i];

          if (tickets[i] == NO_TICKET)
            continue;
          _es_zc_queue_push (sub->queue, lane, sealed, tickets[i]);
          es_wait_queue_notify (&sub->data_wq);
          /* Unsubscribed after we took the list: our event must go too. The
           * notify's seq_cst fence orders the push before this load. */
          if (G_UNLIKELY (atomic_load_explicit (&sub->base.discarded, memory_order_relaxed)))
            _es_zero_copy_drain_if_discarded (sub);
          if (sub->handler != NULL)
            _es_zero_copy_handler_kick (sub);
        }
    }
  else
    {
      /* Nobody subscribed: the event is published to no one. Seal it all
       * the same, so that it is immutable like any published event. */
      sealed = _es_event_seal (event, shared->type_info->index,
                               _es_zc_sequence_next (self->sequence),
                               shared->core->trace_salt, take);
      take = FALSE;
      es_event_unref (sealed);
    }
  if (take)
    es_event_unref (event);   /* failed before sealing */

  /* On every exit, or a BLOCKED state outlives the wait: DROPPING stays
   * until a publish goes through without dropping or rejecting. */
  _es_publisher_settle_state (publisher, shared, dropped);

  if (tickets != stack_tickets)
    g_free (tickets);
  _es_publisher_release_targets (shared, targets, owned);
  return ok;
}

static gboolean
es_zero_copy_publisher_publish (EsPublisher   *publisher,
                                EsEvent       *event,
                                GCancellable  *cancellable,
                                GError       **error)
{
  EsPublisherShared *shared = ((EsZeroCopyPublisher *) publisher)->shared;
  GError *local_error = NULL;
  gboolean ok;

  if (G_UNLIKELY (!_es_publisher_check_type (shared, event->event_type, error)))
    return FALSE;
  ok = deliver (publisher, event, FALSE, cancellable, &local_error);
  return _es_publisher_finish (shared, ok, local_error, error, event->size);
}

gboolean
_es_zero_copy_publisher_publish_take (EsPublisher   *publisher,
                                      EsEvent       *event,
                                      GCancellable  *cancellable,
                                      GError       **error)
{
  EsPublisherShared *shared = ((EsZeroCopyPublisher *) publisher)->shared;
  gsize size = event->size;   /* the event may be gone once delivered */
  GError *local_error = NULL;
  gboolean ok;

  if (G_UNLIKELY (!_es_publisher_check_type (shared, event->event_type, error)))
    {
      es_event_unref (event);
      return FALSE;
    }
  ok = deliver (publisher, event, TRUE, cancellable, &local_error);
  return _es_publisher_finish (shared, ok, local_error, error, size);
}

static gboolean
es_zero_copy_publisher_publish_data (EsPublisher    *publisher,
                                     gconstpointer   data,
                                     gsize           size,
                                     GCancellable   *cancellable,
                                     GError        **error)
{
  EsPublisherShared *shared = ((EsZeroCopyPublisher *) publisher)->shared;
  GError *local_error = NULL;
  gboolean ok;

  if (G_UNLIKELY (!_es_publisher_check_data (shared, size, error)))
    return FALSE;
  ok = deliver (publisher, es_event_new (shared->type_info->gtype, data, size), TRUE,
                cancellable, &local_error);
  return _es_publisher_finish (shared, ok, local_error, error, size);
}

static gboolean
es_zero_copy_publisher_publish_object (EsPublisher   *publisher,
                                       GObject       *object,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  EsPublisherShared *shared = ((EsZeroCopyPublisher *) publisher)->shared;
  GError *local_error = NULL;
  gboolean ok;

  if (G_UNLIKELY (!_es_publisher_check_type (shared, G_OBJECT_TYPE (object), error)))
    return FALSE;
  ok = deliver (publisher, es_event_new_object (object), TRUE, cancellable, &local_error);
  return _es_publisher_finish (shared, ok, local_error, error, 0);
}

static void
es_zero_copy_publisher_class_init (EsZeroCopyPublisherClass *klass)
{
  EsPublisherClass *publisher_class = ES_PUBLISHER_CLASS (klass);

  _es_publisher_builtin_classes[1] = klass;

  publisher_class->publish = es_zero_copy_publisher_publish;
  publisher_class->publish_take = _es_zero_copy_publisher_publish_take;
  publisher_class->publish_data = es_zero_copy_publisher_publish_data;
  publisher_class->publish_object = es_zero_copy_publisher_publish_object;
}

static void
es_zero_copy_publisher_init (EsZeroCopyPublisher *self)
{
}

static EsSubList *
collect_targets (EsPublisher *publisher)
{
  return _es_zero_copy_event_system_collect (ES_ZERO_COPY_EVENT_SYSTEM (es_publisher_get_system (publisher)),
                                             es_publisher_get_event_type (publisher));
}

EsPublisher *
_es_zero_copy_publisher_new (EsEventSystem         *system,
                             GType                  event_type,
                             EsZcSequence          *sequence)
{
  EsZeroCopyPublisher *self = g_object_new (ES_TYPE_ZERO_COPY_PUBLISHER, NULL);

  _es_publisher_setup (ES_PUBLISHER (self), system, event_type, collect_targets);
  self->shared = _es_publisher_get_shared (ES_PUBLISHER (self));
  self->buffer = _es_buffer_manager_get_counters (self->shared->core->buffer_manager);
  self->sequence = sequence;
  return ES_PUBLISHER (self);
}
