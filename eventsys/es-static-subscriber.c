/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <sched.h>
#include <string.h>

#include "es-event-private.h"
#include "es-static-subscriber-private.h"

/**
 * EsStaticSubscriber:
 *
 * The static fast path's subscriber: a cursor into its type's ring. Taking
 * a batch costs one store whatever its size while one thread receives (one
 * CAS and one store once several do, or when the backpressure strategy may
 * move cursors); es_subscriber_receive_data() copies the payload out of the
 * slot without creating an envelope. See #EsSubscriber for the API.
 *
 * Since: 1.0
 */

G_DEFINE_FINAL_TYPE (EsStaticSubscriber, es_static_subscriber, ES_TYPE_SUBSCRIBER)

_Static_assert (offsetof (EsStaticEndpoint, cursor) - offsetof (EsStaticEndpoint, end_seq) >= ES_CACHELINE,
                "the cursor must not share a cache line with producer-read fields");

static inline guint64
published_end (EsStaticEndpoint *self)
{
  guint64 end = atomic_load_explicit (&self->end_seq, memory_order_acquire);
  guint64 claim = atomic_load_explicit (&self->ring->claim, memory_order_acquire);

  return MIN (end, claim);
}

/* Moves @self to @reads (ENVELOPES or DATA) if it may, keeping the ring's
 * count of subscribers that need publish times. */
static void
set_reads (EsStaticEndpoint *self,
           EsStaticReads     reads)
{
  int old = atomic_load_explicit (&self->reads, memory_order_relaxed);

  for (;;)
    {
      /* DATA only from UNKNOWN; ENVELOPES from UNKNOWN or DATA; CLOSED is final. */
      if (old == (int) reads || old == ES_STATIC_READS_CLOSED || old == ES_STATIC_READS_ENVELOPES)
        return;
      if (atomic_compare_exchange_weak_explicit (&self->reads, &old, (int) reads,
                                                 memory_order_relaxed, memory_order_relaxed))
        break;
    }
  if (reads == ES_STATIC_READS_DATA)
    atomic_fetch_sub_explicit (&self->ring->stamp_readers, 1, memory_order_relaxed);
  else if (old == ES_STATIC_READS_DATA)
    atomic_fetch_add_explicit (&self->ring->stamp_readers, 1, memory_order_relaxed);
}

/* A receiver that keeps pace with its publisher takes a few events at a
 * time, and each load of the ring's counters pulls their line away from the
 * publisher, which must fetch it back for its next store: a transfer each
 * way every few events. When the last two loads each found fewer than
 * ES_PACE_FEW_EVENTS (a quarter of a smaller ring), the receiver first
 * pauses for ES_PACE_NSEC, so that it finds a batch and the line stays
 * with the publisher. The pauses are counted by es_cpu_relax_count(): one
 * takes 19 ns on the AMD guest of FINDINGS' twelfth pass (so 64 of them
 * there), and 3 to 40 ns on other CPUs. es-bench W1 there (es-static,
 * medians of 12 interleaved rounds, pausing after one such load): 13-14 M/s
 * without, 24 with 64 pauses, 25 with 128, the reference ring at 16; after two such
 * loads, 23.9 against 24.5 in 30 rounds. A load that found nothing starts
 * the count again: a receiver that polls or wakes up reads at once, and one
 * fed a trickle (every other load empty) never pauses; pausing after every
 * non-empty load had cost W6's receiver 3-7 points of CPU. An event that
 * arrives within the pause waits for it. No pause while the machine is
 * crowded (see es_cpus_crowded), where the CPU may be needed elsewhere. */
#define ES_PACE_FEW_EVENTS 64
#define ES_PACE_NSEC 1250

/* How many published slots from @cursor on may be taken, up to @max.
 *
 * The ring's claim and committed counters share a line that producers write
 * on every publish, so each load of them is a cache miss: they are loaded
 * only once the receivers have caught up with their cached values (and,
 * while they keep pace, after a pause: see ES_PACE_NSEC). */
static inline guint
available (EsStaticEndpoint *self,
           guint64           cursor,
           guint             max)
{
  EsStaticRing *ring = self->ring;
  guint64 end_seq = atomic_load_explicit (&self->end_seq, memory_order_acquire);
  /* Acquire/release on the caches: another receiver of this subscriber may
   * have filled them, and its acquire of the ring's counters must reach us. */
  guint64 committed = atomic_load_explicit (&self->seen_committed, memory_order_acquire);
  guint64 bound;
  guint n = 0;

  if (cursor >= committed)
    {
      bound = atomic_load_explicit (&self->seen_claim, memory_order_acquire);
      if (cursor >= bound)
        {
          gint pace = atomic_load_explicit (&self->keeping_pace, memory_order_relaxed);

          if (pace >= 2 &&
              !atomic_load_explicit (&es_cpus_crowded, memory_order_relaxed))
            {
              for (guint i = 0; i < self->pace_pauses; i++)
                es_cpu_relax ();
            }
          committed = atomic_load_explicit (&ring->committed, memory_order_acquire);
          bound = atomic_load_explicit (&ring->claim, memory_order_acquire);
          atomic_store_explicit (&self->seen_committed, committed, memory_order_release);
          atomic_store_explicit (&self->seen_claim, bound, memory_order_release);
          if (bound > cursor && bound - cursor < MIN (ES_PACE_FEW_EVENTS, ring->capacity / 4))
            atomic_store_explicit (&self->keeping_pace, MIN (pace + 1, 2), memory_order_relaxed);
          else if (pace != 0)
            atomic_store_explicit (&self->keeping_pace, 0, memory_order_relaxed);
        }
    }
  else
    bound = committed;

  /* Below the single producer's commits: written, no flag to read. */
  committed = MIN (committed, end_seq);
  if (cursor < committed)
    return (guint) MIN ((guint64) max, committed - cursor);

  /* Beyond them (several producers): each slot's flag says whether it is
   * written. */
  bound = MIN (bound, end_seq);
  while (n < max && cursor + n < bound &&
         atomic_load_explicit (&_es_static_ring_slot (ring, cursor + n)->published,
                               memory_order_acquire) == cursor + n + 1)
    n++;
  return n;
}

/* Stores into @samples the publish times of the latency samples the
 * publisher picked among slots [cursor, cursor + n) and returns how many.
 * Only sequences with the sample mask's bits clear can be one, so only
 * their headers are read: the copy loop stays the same with metrics on or
 * off. */
static guint
collect_samples (EsStaticRing *ring,
                 guint64       cursor,
                 guint         n,
                 gint64       *samples)
{
  guint64 mask;
  guint k = 0;

  if (ring->metrics == NULL)
    return 0;
  mask = _es_metrics_sample_mask (ring->metrics);
  for (guint64 seq = (cursor + mask) & ~mask; seq < cursor + n; seq += mask + 1)
    {
      guint64 meta = _es_static_ring_slot (ring, seq)->meta;

      if (meta & ES_RING_META_SAMPLE)
        samples[k++] = (gint64) (meta & ES_RING_META_TIME_MASK);
    }
  return k;
}

/* Copies slots [cursor, cursor + n) out, as take() describes. */
static inline void
copy_out (EsStaticEndpoint  *self,
          guint64            cursor,
          guint              n,
          guint8            *data,
          gsize              element_size,
          EsEvent          **events,
          gint64            *samples,
          guint             *n_samples)
{
  EsStaticRing *ring = self->ring;

  for (guint i = 0; i < n; i++)
    {
      const guint8 *payload = _es_static_ring_payload (ring, cursor + i);

      if (events != NULL)
        {
          EsRingSlotHeader *slot = _es_static_ring_slot (ring, cursor + i);
          EsTraceContext trace;
          gint64 timestamp;
          guint8 priority;

          _es_static_ring_slot_meta (ring, cursor + i, slot, &timestamp, &priority, &trace);
          /* Published before this subscriber asked for envelopes, the
           * event was not stamped: its envelope carries the time it was
           * taken (documented on es_event_get_timestamp()). */
          if (G_UNLIKELY (timestamp == 0))
            timestamp = g_get_monotonic_time ();
          events[i] = _es_event_new_from_slot (ring->event_type, ring->type_index, cursor + i + 1,
                                               timestamp, priority, &trace,
                                               payload, ring->payload_size, ring->kind);
        }
      else
        _es_static_ring_copy (data + (gsize) i * element_size, payload, ring->payload_size);
    }
  if (samples != NULL)
    *n_samples = collect_samples (ring, cursor, n, samples);
}

/* Takes up to @max published slots starting at the cursor; copies them into
 * @data (plain payloads) or @events (envelopes). Unless @samples is NULL,
 * it receives the publisher-picked latency samples among them and
 * @n_samples their number (see collect_samples()).
 *
 * While one thread receives plain data and no producer can evict (BLOCK,
 * DROP_NEWEST), that thread owns the cursor (EsOwner) and moves it with a
 * plain store; otherwise a receiver locks the cursor with READ_BIT (one CAS
 * per take). */
static guint
take (EsStaticEndpoint    *self,
      guint8              *data,
      gsize                element_size,
      EsEvent            **events,
      guint                max,
      gint64              *samples,
      guint               *n_samples)
{
  EsStaticRing *ring = self->ring;
  EsStaticReads reads = events != NULL ? ES_STATIC_READS_ENVELOPES : ES_STATIC_READS_DATA;
  guint spins = 0;

  if (n_samples != NULL)
    *n_samples = 0;

  if (G_UNLIKELY (atomic_load_explicit (&self->reads, memory_order_relaxed) != (int) reads))
    set_reads (self, reads);

  if (G_LIKELY (self->owner_takes) && G_LIKELY (es_owner_enter (&self->base.reader)))
    {
      guint64 cursor = atomic_load_explicit (&self->cursor, memory_order_relaxed);
      guint n = available (self, cursor, max);

      if (n > 0)
        {
          copy_out (self, cursor, n, data, element_size, events, samples, n_samples);
          /* Release: producers that acquire the cursor may reuse these slots. */
          atomic_store_explicit (&self->cursor, cursor + n, memory_order_release);
        }
      es_owner_leave (&self->base.reader);
      if (n > 0 && ring->buffer->limit != 0)
        es_wait_queue_notify (&ring->buffer->space);
      return n;
    }
  es_owner_claim (&self->base.reader);

  for (;;)
    {
      guint64 cursor = atomic_load_explicit (&self->cursor, memory_order_acquire);
      guint n;

      if (G_UNLIKELY (cursor & ES_RING_READ_BIT))
        {
          /* Another receiver of this subscriber is copying a batch. */
          if (++spins > 64)
            sched_yield ();
          else
            es_cpu_relax ();
          continue;
        }

      n = available (self, cursor, max);
      if (n == 0)
        return 0;

      /* Lock the cursor: from here no producer can evict or overwrite
       * [cursor, cursor + n). Fails if a producer evicted us meanwhile. */
      if (!atomic_compare_exchange_weak_explicit (&self->cursor, &cursor, cursor | ES_RING_READ_BIT,
                                                  memory_order_acquire, memory_order_relaxed))
        continue;

      copy_out (self, cursor, n, data, element_size, events, samples, n_samples);

      /* Release: producers that acquire the cursor may reuse these slots. */
      atomic_store_explicit (&self->cursor, cursor + n, memory_order_release);
      if (ring->buffer->limit != 0)
        es_wait_queue_notify (&ring->buffer->space);
      return n;
    }
}

static guint
es_static_subscriber_try_receive_events (EsSubscriber  *subscriber,
                                         EsEvent      **events,
                                         guint          max_events)
{
  return take (((EsStaticSubscriber *) subscriber)->ep, NULL, 0, events, max_events, NULL, NULL);
}

static guint
es_static_subscriber_try_receive_data (EsSubscriber *subscriber,
                                       guint8       *data,
                                       gsize         element_size,
                                       guint         max_elements,
                                       gint64       *samples,
                                       guint        *n_samples)
{
  return take (((EsStaticSubscriber *) subscriber)->ep, data, element_size, NULL, max_elements, samples, n_samples);
}

static gsize
es_static_subscriber_get_queue_depth (EsSubscriber *subscriber)
{
  EsStaticEndpoint *self = ((EsStaticSubscriber *) subscriber)->ep;
  guint64 end = published_end (self);
  guint64 cursor = _es_static_endpoint_cursor (self);

  return end > cursor ? end - cursor : 0;
}

static guint64
es_static_subscriber_get_published_count (EsSubscriber *subscriber)
{
  EsStaticEndpoint *self = ((EsStaticSubscriber *) subscriber)->ep;

  return published_end (self) - self->start_seq;
}

void
_es_static_endpoint_evict (EsStaticEndpoint *self,
                           guint64           target,
                           EsDropReason      reason)
{
  guint spins = 0;

  for (;;)
    {
      guint64 cursor = atomic_load_explicit (&self->cursor, memory_order_acquire);

      if (cursor & ES_RING_READ_BIT)
        {
          /* A receiver is copying; it holds the cursor for a few slots only. */
          if (++spins > 64)
            sched_yield ();
          else
            es_cpu_relax ();
          continue;
        }
      if (cursor >= target)
        return;
      if (atomic_compare_exchange_weak_explicit (&self->cursor, &cursor, target,
                                                 memory_order_acq_rel, memory_order_relaxed))
        {
          atomic_fetch_add_explicit (&self->base.dropped, target - cursor, memory_order_relaxed);
          if (self->base.core->metrics != NULL)
            _es_metrics_record_drop (self->base.core->metrics, self->ring->event_type, self->ring->type_index,
                                     reason, target - cursor);
          return;
        }
    }
}

static void
es_static_subscriber_close (EsSubscriber *subscriber)
{
  EsStaticEndpoint *self = ((EsStaticSubscriber *) subscriber)->ep;
  EsStaticRing *ring = self->ring;
  EsEventSystem *system = es_subscriber_get_system (subscriber);
  guint64 end;

  /* From here on nobody moves the cursor with plain stores: the eviction
   * below uses the atomic protocol. */
  es_owner_revoke (&self->base.reader);

  pthread_mutex_lock (&ring->lock);
  _es_event_system_begin_change (system);
  g_ptr_array_remove_fast (ring->subs, self);
  end = atomic_load_explicit (&ring->claim, memory_order_seq_cst);
  atomic_store_explicit (&self->end_seq, end, memory_order_release);
  _es_event_system_end_change (system);
  pthread_mutex_unlock (&ring->lock);

  /* No longer reads: no longer needs publish times. */
  switch (atomic_exchange_explicit (&self->reads, ES_STATIC_READS_CLOSED, memory_order_relaxed))
    {
    case ES_STATIC_READS_UNKNOWN:
    case ES_STATIC_READS_ENVELOPES:
      atomic_fetch_sub_explicit (&ring->stamp_readers, 1, memory_order_relaxed);
      break;
    default:
      break;
    }

  /* Discard what is still queued, counted as dropped. */
  _es_static_endpoint_evict (self, end, ES_DROP_REASON_SHUTDOWN);
}

static void
es_static_subscriber_class_init (EsStaticSubscriberClass *klass)
{
  EsSubscriberClass *subscriber_class = ES_SUBSCRIBER_CLASS (klass);

  _es_subscriber_builtin_classes[0] = klass;

  subscriber_class->try_receive_events = es_static_subscriber_try_receive_events;
  subscriber_class->try_receive_data = es_static_subscriber_try_receive_data;
  subscriber_class->get_queue_depth = es_static_subscriber_get_queue_depth;
  subscriber_class->get_published_count = es_static_subscriber_get_published_count;
  subscriber_class->close = es_static_subscriber_close;
}

static void
es_static_subscriber_init (EsStaticSubscriber *self)
{
}

EsSubscriber *
_es_static_subscriber_new (EsEventSystem *system,
                           GType          event_type,
                           EsStaticRing  *ring)
{
  EsStaticSubscriber *subscriber = g_object_new (ES_TYPE_STATIC_SUBSCRIBER, NULL);
  EsStaticEndpoint *self = _es_sub_endpoint_alloc (sizeof (EsStaticEndpoint), NULL);
  guint64 start;

  self->ring = ring;
  self->base.data_wq = &ring->data_wq;
  self->base.space_wq = &ring->space_wq;
  atomic_init (&self->cursor, 0);
  atomic_init (&self->end_seq, G_MAXUINT64);
  atomic_init (&self->seen_committed, 0);
  atomic_init (&self->seen_claim, 0);
  atomic_init (&self->keeping_pace, 0);
  self->pace_pauses = es_cpu_relax_count (ES_PACE_NSEC);
  {
    EsBackpressureStrategy strategy = _es_event_system_get_core (system)->config.backpressure_strategy;

    /* Object slots are taken with the CAS protocol: an envelope refs the
     * object, and no code that might call back may run inside the owner's
     * plain-store window. */
    self->owner_takes = (strategy == ES_BACKPRESSURE_BLOCK || strategy == ES_BACKPRESSURE_DROP_NEWEST) &&
                        ring->kind != ES_EVENT_KIND_OBJECT;
  }
  atomic_init (&self->reads, ES_STATIC_READS_UNKNOWN);
  subscriber->ep = self;
  _es_subscriber_setup (ES_SUBSCRIBER (subscriber), system, event_type, &self->base);

  /* Join inside a subscription change, so that no producer gates on a list
   * without us once we have a cursor (see compute_gate()). */
  pthread_mutex_lock (&ring->lock);
  _es_event_system_begin_change (system);
  /* Stamp from now on, until we turn out to read plain data only. */
  atomic_fetch_add_explicit (&ring->stamp_readers, 1, memory_order_relaxed);
  start = atomic_load_explicit (&ring->claim, memory_order_seq_cst);
  self->start_seq = start;
  atomic_store_explicit (&self->cursor, start, memory_order_release);
  g_ptr_array_add (ring->subs, self);
  _es_event_system_end_change (system);
  pthread_mutex_unlock (&ring->lock);

  return ES_SUBSCRIBER (subscriber);
}
