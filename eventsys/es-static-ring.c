/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <sched.h>
#include <string.h>

#include "es-event-private.h"
#include "es-buffer-manager-private.h"
#include "es-static-publisher-private.h"
#include "es-static-ring-private.h"
#include "es-static-subscriber-private.h"

_Static_assert (offsetof (EsStaticRing, sp) - offsetof (EsStaticRing, claim) >= ES_CACHELINE,
                "claim and the producer-only fields must not share a cache line");
_Static_assert (offsetof (EsStaticRing, capacity) - offsetof (EsStaticRing, sp) >= ES_CACHELINE,
                "the producer-only and the read-mostly fields must not share a cache line");

EsStaticRing *
_es_static_ring_new (const EsEventTypeInfo *info,
                     guint                  channel_capacity,
                     EsBufferManager       *buffer_manager,
                     EsMetrics             *metrics,
                     guint64                trace_salt)
{
  EsStaticRing *ring = g_aligned_alloc0 (1, sizeof (EsStaticRing), ES_CACHELINE);

  ring->trace_salt = trace_salt;
  ring->metrics = metrics;
  es_owner_init (&ring->sp);
  atomic_init (&ring->stamp_readers, 0);
  ring->buffer_manager = buffer_manager;
  ring->buffer = _es_buffer_manager_get_counters (buffer_manager);
  atomic_init (&ring->released, 0);

  atomic_init (&ring->claim, 0);
  atomic_init (&ring->committed, 0);
  atomic_init (&ring->gate, 0);
  ring->capacity = es_next_pow2 (MAX (channel_capacity, 2));
  ring->mask = ring->capacity - 1;
  ring->payload_size = info->size;
  ring->payload_stride = info->size >= ES_CACHELINE ? (info->size + ES_CACHELINE - 1) & ~(gsize) (ES_CACHELINE - 1)
                                                  : (MAX (info->size, 1) + 15) & ~(gsize) 15;
  /* What a slot costs, as charged against global-buffer-size. */
  ring->slot_stride = sizeof (EsRingSlotHeader) + ring->payload_stride;
  ring->kind = info->kind;
  ring->event_type = info->gtype;
  ring->type_index = info->index;
  /* Zeroed: `published` == 0 means never written. */
  ring->slots = g_aligned_alloc0 (ring->capacity, sizeof (EsRingSlotHeader), ES_CACHELINE);
  ring->payloads = g_aligned_alloc0 (ring->capacity, ring->payload_stride, ES_CACHELINE);
  ring->traces = g_new0 (EsTraceContext, ring->capacity);
  es_wait_queue_init (&ring->data_wq);
  es_wait_queue_init (&ring->space_wq);
  pthread_mutex_init (&ring->lock, NULL);
  ring->subs = g_ptr_array_new ();
  return ring;
}

void
_es_static_ring_free (EsStaticRing *ring)
{
  if (ring->kind == ES_EVENT_KIND_OBJECT)
    {
      /* Each written slot owns a reference to the last object stored in it. */
      for (guint64 i = 0; i < ring->capacity; i++)
        {
          EsRingSlotHeader *slot = _es_static_ring_slot (ring, i);
          GObject *object;

          if (atomic_load_explicit (&slot->published, memory_order_acquire) == 0)
            continue;
          memcpy (&object, _es_static_ring_payload (ring, i), sizeof object);
          g_clear_object (&object);
        }
    }
  g_aligned_free (ring->slots);
  g_aligned_free (ring->payloads);
  g_free (ring->traces);
  es_wait_queue_clear (&ring->data_wq);
  es_wait_queue_clear (&ring->space_wq);
  pthread_mutex_destroy (&ring->lock);
  g_ptr_array_unref (ring->subs);
  g_aligned_free (ring);
}

guint64
_es_static_ring_reclaim (EsStaticRing *ring)
{
  guint64 claim, gate, released;

  pthread_mutex_lock (&ring->lock);
  claim = atomic_load_explicit (&ring->claim, memory_order_acquire);
  gate = claim;
  for (guint i = 0; i < ring->subs->len; i++)
    {
      EsStaticEndpoint *ep = g_ptr_array_index (ring->subs, i);
      guint64 cursor = _es_static_endpoint_cursor (ep);

      gate = MIN (gate, cursor);
    }
  released = atomic_load_explicit (&ring->released, memory_order_relaxed);
  if (ring->buffer->limit != 0 && gate > released)
    {
      /* Only here, under the ring lock, does `released` move. */
      atomic_store_explicit (&ring->released, gate, memory_order_relaxed);
      _es_buffer_counters_release (ring->buffer, (gint64) ((gate - released) * ring->slot_stride),
                                   (gint64) (gate - released));
    }
  pthread_mutex_unlock (&ring->lock);

  return claim - gate;
}

/* Recomputes the lower bound of the live cursors. The generation brackets
 * the read like a seqlock, so a subscriber joining meanwhile is never missed
 * (it starts at the claim value, which is >= any sequence we can gate on). */
static guint64
compute_gate (EsStaticRing      *ring,
              EsPublisher       *publisher,
              EsPublisherShared *shared,
              guint64           *slowest_out,
              EsSubscriber     **slowest_sub)
{
  for (;;)
    {
      guint gen = atomic_load_explicit (&shared->core->generation, memory_order_seq_cst);
      EsTargetsHold owned;
      EsSubList *list;
      guint64 gate = atomic_load_explicit (&ring->claim, memory_order_acquire);
      EsStaticEndpoint *slowest = NULL;

      if (gen & 1)
        {
          sched_yield ();
          continue;
        }

      list = _es_publisher_acquire_targets (shared, publisher, &owned);
      for (guint i = 0; i < list->n; i++)
        {
          EsStaticEndpoint *sub = (EsStaticEndpoint *) list->subs[i];
          guint64 cursor;

          if (atomic_load_explicit (&sub->end_seq, memory_order_acquire) != G_MAXUINT64)
            continue;  /* unsubscribed: no longer gates anything */
          cursor = _es_static_endpoint_cursor (sub);
          if (cursor < gate)
            {
              gate = cursor;
              slowest = sub;
            }
        }
      if (slowest_sub != NULL)
        *slowest_sub = slowest ? _es_sub_endpoint_dup_owner (&slowest->base) : NULL;
      _es_publisher_release_targets (shared, list, owned);

      atomic_thread_fence (memory_order_seq_cst);
      if (atomic_load_explicit (&shared->core->generation, memory_order_relaxed) == gen)
        {
          /* The gate only moves forward. */
          guint64 old = atomic_load_explicit (&ring->gate, memory_order_relaxed);
          while (old < gate &&
                 !atomic_compare_exchange_weak_explicit (&ring->gate, &old, gate,
                                                         memory_order_release, memory_order_relaxed))
            ;
          if (slowest_out != NULL)
            *slowest_out = gate;
          return gate;
        }
      if (slowest_sub != NULL)
        g_clear_object (slowest_sub);
    }
}

static void
evict_laggards (EsStaticRing      *ring,
                EsPublisher       *publisher,
                EsPublisherShared *shared,
                guint64            target)
{
  EsTargetsHold owned;
  EsSubList *list = _es_publisher_acquire_targets (shared, publisher, &owned);
  EsDropReason reason = shared->core->config.backpressure_strategy == ES_BACKPRESSURE_CUSTOM
                        ? ES_DROP_REASON_CUSTOM : ES_DROP_REASON_DROP_OLDEST;

  for (guint i = 0; i < list->n; i++)
    _es_static_endpoint_evict ((EsStaticEndpoint *) list->subs[i], target, reason);
  _es_publisher_release_targets (shared, list, owned);
}

/* The spin before blocking: up to @rounds (ES_RING_SPIN_ROUNDS) gate computations
 * ES_RING_SPIN_PAUSES pauses apart (a few µs: each computation reads the
 * receivers' cursor lines, which slows them down), until the slowest cursor
 * is ES_RING_SPIN_BATCH slots (an eighth of the ring at most) past @wrap.
 * Returns TRUE when there is room for at least one event. */
#define ES_RING_SPIN_ROUNDS 64
#define ES_RING_SPIN_PAUSES 64
#define ES_RING_SPIN_BATCH  256

static guint64
spin_batch (EsStaticRing *ring)
{
  return MAX (1, MIN (ES_RING_SPIN_BATCH, ring->capacity / 8));
}

static gboolean
spin_for_room (EsStaticRing      *ring,
               EsPublisher       *publisher,
               EsPublisherShared *shared,
               guint64            wrap,
               guint              rounds)
{
  guint64 want = wrap + spin_batch (ring);
  guint64 gate = 0;

  for (guint i = 0; i < rounds; i++)
    {
      for (guint j = 0; j < ES_RING_SPIN_PAUSES; j++)
        es_cpu_relax ();
      gate = compute_gate (ring, publisher, shared, NULL, NULL);
      if (gate >= want || !_es_system_core_is_running (shared->core))
        break;
    }
  return gate > wrap;
}

typedef struct {
  EsStaticRing      *ring;
  EsPublisher       *publisher;
  EsPublisherShared *shared;
  guint64            wrap;
} RoomCheck;

/* Room when the slowest cursor passed `wrap`, or when another producer took
 * the sequence we were waiting for (then we retry with the next one). */
static gboolean
ring_has_room (gpointer data)
{
  RoomCheck *check = data;

  return atomic_load_explicit (&check->ring->claim, memory_order_relaxed) - check->ring->capacity != check->wrap ||
         compute_gate (check->ring, check->publisher, check->shared, NULL, NULL) > check->wrap;
}

typedef struct {
  EsStaticRing *ring;
} BufferCheck;

static gboolean
buffer_has_room (gpointer data)
{
  EsStaticRing *ring = ((BufferCheck *) data)->ring;

  _es_buffer_manager_reconcile (ring->buffer_manager);
  return (guint64) (_es_buffer_counters_bytes (ring->buffer) + (gint64) ring->slot_stride) <= ring->buffer->limit;
}

/* With a global limit, a slot is charged before it is claimed. */
static gboolean
charge_buffer (EsStaticRing  *ring,
               EsPublisher   *publisher,
               EsEvent       *event,
               gint64        *deadline,
               gboolean      *dropped,
               GCancellable  *cancellable,
               GError       **error)
{
  EsPublisherShared *shared = ((EsStaticPublisher *) publisher)->shared;

  if ((guint64) ring->slot_stride > ring->buffer->limit)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_BACKPRESSURE,
                   "A %s slot (%" G_GSIZE_FORMAT " bytes) is larger than global-buffer-size",
                   g_type_name (ring->event_type), ring->slot_stride);
      return FALSE;
    }

  while (!_es_buffer_counters_try_charge (ring->buffer, (gint64) ring->slot_stride))
    {
      /* Consumers release lazily: settle first, then decide. */
      _es_buffer_manager_reconcile (ring->buffer_manager);
      if (_es_buffer_counters_try_charge (ring->buffer, (gint64) ring->slot_stride))
        break;

      switch (_es_publisher_decide (publisher, NULL, event))
        {
        case ES_BACKPRESSURE_ACTION_DROP_OLDEST:
          {
            guint64 held = _es_static_ring_reclaim (ring);

            _es_publisher_set_backpressure_state (publisher, shared, ES_BACKPRESSURE_STATE_DROPPING);
            if (held > 0)
              {
                /* Move the slowest cursors past this ring's oldest event. */
                guint64 oldest = atomic_load_explicit (&ring->claim, memory_order_acquire) - held;

                evict_laggards (ring, publisher, shared, oldest + 1);
                *dropped = TRUE;
                _es_static_ring_reclaim (ring);
              }
            else
              sched_yield ();   /* the buffer is held by other types' rings */
            break;
          }
        case ES_BACKPRESSURE_ACTION_DROP_NEWEST:
          _es_publisher_set_backpressure_state (publisher, shared, ES_BACKPRESSURE_STATE_DROPPING);
          g_set_error_literal (error, ES_ERROR, ES_ERROR_BACKPRESSURE,
                               "The global buffer is full: event rejected");
          return FALSE;
        case ES_BACKPRESSURE_ACTION_RETRY:
          sched_yield ();
          break;
        case ES_BACKPRESSURE_ACTION_BLOCK:
        default:
          {
            BufferCheck check = { ring };

            if (!_es_publisher_wait_for_room (publisher, &ring->buffer->space, buffer_has_room, &check,
                                              deadline, cancellable, error))
              return FALSE;
          }
        }
    }
  return TRUE;
}

gboolean
_es_static_ring_publish_slow (EsStaticRing  *ring,
              EsPublisher   *publisher,
              gconstpointer  data,
              EsEvent       *event,
              GCancellable  *cancellable,
              GError       **error)
{
  EsPublisherShared *shared = ((EsStaticPublisher *) publisher)->shared;
  const EsConfig *config = &shared->core->config;
  gint64 deadline = -2;
  gboolean dropped = FALSE;
  gboolean charged = FALSE;
  gboolean waited = FALSE;
  guint64 seq;

  if (G_UNLIKELY (config->adaptive))
    {
      /* The ring's fill: the cached gate is a lower bound of the slowest
       * cursor, so refine it before throttling on it. */
      guint64 claim = atomic_load_explicit (&ring->claim, memory_order_relaxed);
      gdouble u = (gdouble) (claim - atomic_load_explicit (&ring->gate, memory_order_acquire)) / (gdouble) ring->capacity;
      EsWaitQueue *wq = &ring->space_wq;

      if (u >= config->low_watermark)
        u = (gdouble) (claim - MIN (claim, compute_gate (ring, publisher, shared, NULL, NULL))) / (gdouble) ring->capacity;
      if (ring->buffer->limit != 0)
        {
          gdouble global;

          _es_buffer_manager_reconcile (ring->buffer_manager);
          global = (gdouble) _es_buffer_counters_bytes (ring->buffer) / (gdouble) ring->buffer->limit;
          if (global > u)
            {
              u = global;
              wq = &ring->buffer->space;
            }
        }
      _es_publisher_adapt (publisher, shared, u, wq);
    }

  es_owner_claim (&ring->sp);

  if (ring->buffer->limit != 0)
    {
      if (!charge_buffer (ring, publisher, event, &deadline, &dropped, cancellable, error))
        return FALSE;
      charged = TRUE;
    }

  for (;;)
    {
      guint64 wrap;
      EsBackpressureAction action;
      EsSubscriber *slowest = NULL;

      seq = atomic_load_explicit (&ring->claim, memory_order_relaxed);
      wrap = seq - ring->capacity;   /* the sequence this slot held last */

      if (seq >= ring->capacity &&
          atomic_load_explicit (&ring->gate, memory_order_acquire) <= wrap &&
          compute_gate (ring, publisher, shared, NULL,
                        config->backpressure_strategy == ES_BACKPRESSURE_CUSTOM ? &slowest : NULL) <= wrap)
        {
          /* Full: the slowest live subscriber still needs sequence `wrap`. */
          action = _es_publisher_decide (publisher, slowest, event);
          g_clear_object (&slowest);

          switch (action)
            {
            case ES_BACKPRESSURE_ACTION_DROP_OLDEST:
              _es_publisher_set_backpressure_state (publisher, shared, ES_BACKPRESSURE_STATE_DROPPING);
              evict_laggards (ring, publisher, shared, wrap + 1);
              dropped = TRUE;
              continue;
            case ES_BACKPRESSURE_ACTION_DROP_NEWEST:
              _es_publisher_set_backpressure_state (publisher, shared, ES_BACKPRESSURE_STATE_DROPPING);
              g_set_error (error, ES_ERROR, ES_ERROR_BACKPRESSURE,
                           "A %s subscriber is %" G_GUINT64_FORMAT " events behind: event rejected",
                           g_type_name (ring->event_type), ring->capacity);
              goto failed;
            case ES_BACKPRESSURE_ACTION_RETRY:
              sched_yield ();
              continue;
            case ES_BACKPRESSURE_ACTION_BLOCK:
            default:
              {
                RoomCheck check = { ring, publisher, shared, wrap };

                /* A running consumer frees slots within nanoseconds, one
                 * receive at a time. Wait for a batch of them first, without
                 * a syscall or a state change; only a consumer that stays
                 * away makes this publish BLOCKED. */
                if (spin_for_room (ring, publisher, shared, wrap, ES_RING_SPIN_ROUNDS))
                  continue;
                if (!_es_publisher_wait_for_room (publisher, &ring->space_wq, ring_has_room, &check,
                                                  &deadline, cancellable, error))
                  goto failed;
                continue;
              }
            }
        }

      /* Room after all: the gate computation may have named a subscriber. */
      g_clear_object (&slowest);

      /* Room for only a few: the receiver is right behind a full ring, and
       * taking them one gate computation at a time pulls its cursor's line
       * away from it every few events, which slows it down further. Under
       * BLOCK, let it free a batch first (once per publish, and briefly: a
       * receiver that cannot free one in a few µs is slow, and the publish
       * goes on into the slots there are). Only the single producer:
       * several spinning producers would take the receiver's CPU on a small
       * machine. */
      if (G_UNLIKELY (seq >= ring->capacity) && !waited &&
          config->backpressure_strategy == ES_BACKPRESSURE_BLOCK && es_owner_is_mine (&ring->sp) &&
          atomic_load_explicit (&ring->gate, memory_order_relaxed) - wrap < spin_batch (ring) / 4)
        {
          waited = TRUE;
          spin_for_room (ring, publisher, shared, wrap, ES_RING_SPIN_ROUNDS / 4);
          continue;
        }

      if (G_UNLIKELY (!_es_system_core_is_running (shared->core)))
        {
          _es_system_core_check_publish (shared->core, error);
          goto failed;
        }

      if (atomic_compare_exchange_weak_explicit (&ring->claim, &seq, seq + 1,
                                                 memory_order_acq_rel, memory_order_relaxed))
        {
          /* The owner's own claims keep its copy exact. */
          if (es_owner_is_mine (&ring->sp))
            ring->sp_claim = seq + 1;
          break;
        }
    }

  _es_static_ring_fill_slot (ring, seq, data, event, FALSE);
  es_wait_queue_notify (&ring->data_wq);
  /* DROPPING stays until a publish goes through without dropping. */
  _es_publisher_settle_state (publisher, shared, dropped);
  return TRUE;

failed:
  if (charged)
    _es_buffer_counters_release (ring->buffer, (gint64) ring->slot_stride, 1);
  return FALSE;
}

