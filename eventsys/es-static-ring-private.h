/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdatomic.h>

#include "eventsys.h"
#include "es-buffer-manager-private.h"
#include "es-event-system-private.h"
#include "es-event-private.h"
#include "es-event-type-private.h"
#include "es-metrics-private.h"
#include "es-publisher-private.h"
#include "es-private.h"
#include "es-trace-private.h"
#include "es-owner-private.h"
#include "es-wait-private.h"

G_BEGIN_DECLS

/*
 * EsStaticRing: one preallocated multi-producer ring per event type, shared
 * by every subscriber of the type (Disruptor-style).
 *
 * Producers claim a sequence, copy the payload into the slot and publish it
 * by storing `seq + 1` into the slot header with release order. A slot may
 * be reused only once every live subscriber's cursor has passed its previous
 * sequence; `gate` caches a lower bound of the slowest cursor so that
 * producers read the cursors only when the ring looks full.
 *
 * Claiming: while one thread publishes to the ring it owns `claim` (`sp`,
 * see EsOwner) and advances it with a plain store after writing the slot,
 * the Disruptor's single-producer sequencer: no locked instruction. A
 * second publishing thread revokes the ownership for good, and from then on
 * every producer claims with a CAS.
 *
 * Receivers take slots below `committed` without looking at their flags:
 * the single producer advances it (with `claim`) after writing each slot,
 * and it freezes once the ownership is revoked. Above it, with several
 * producers, the per-slot `published` is the truth.
 *
 * Each subscriber owns a cursor (next sequence to read). A receiver takes a
 * batch by setting READ_BIT on its cursor with a CAS, copying the slots out
 * and storing the advanced cursor with release order: one CAS and one store
 * per batch. Evicting producers (DROP_OLDEST) move a cursor forward with a
 * CAS that fails while READ_BIT is set, so a slot is never overwritten while
 * it is being read.
 *
 * Slots: 16-byte headers in one array, payloads in another, so that a
 * 64-byte event fills exactly one cache line (a payload that straddles two
 * lines costs split stores and two transfers). The publish time costs a third of a publish (a clock read), so it is
 * taken only when it can be read: while some subscriber of the type may take
 * envelopes (`stamp_readers`), and for the events sampled for latency
 * metrics. A trace context that cannot be derived from the sequence (an
 * envelope's, or one inherited from the event being handled) goes to the
 * out-of-line `traces` array.
 */

#define ES_RING_READ_BIT (G_GUINT64_CONSTANT (1) << 63)

/* `meta` of a slot: the publish time in µs (0 = not taken) and flags. */
#define ES_RING_META_TIME_MASK   ((G_GUINT64_CONSTANT (1) << 56) - 1)
#define ES_RING_META_PRIO_SHIFT  56                                  /* 3 bits */
#define ES_RING_META_HAS_TRACE   (G_GUINT64_CONSTANT (1) << 60)     /* traces[slot] is valid */
#define ES_RING_META_SAMPLE      (G_GUINT64_CONSTANT (1) << 61)     /* a latency sample */
#define ES_RING_META_DEFAULT     ((guint64) ES_EVENT_PRIORITY_NORMAL << ES_RING_META_PRIO_SHIFT)

typedef struct {
  atomic_uint_least64_t published;   /* seq + 1 once the payload is in */
  guint64               meta;
} EsRingSlotHeader;

G_STATIC_ASSERT (sizeof (EsRingSlotHeader) == 16);


typedef struct _EsStaticRing EsStaticRing;

struct _EsStaticRing
{
  /* Producer-written; receivers read them as the bound of what to take. */
  ES_CACHELINE_ALIGNED atomic_uint_least64_t claim;  /* next sequence to claim */
  atomic_uint_least64_t committed;                   /* every slot below is written (single-producer mode) */
  /* Producer-only, so the single producer's protocol never misses. */
  ES_CACHELINE_ALIGNED EsOwner sp;                   /* the single producer's ownership of claim */
  guint64           sp_claim;                        /* the owner's copy of claim: never loads the shared line */
  atomic_uint_least64_t gate;                        /* lower bound of the slowest live cursor */
  ES_CACHELINE_ALIGNED guint64 capacity;             /* immutable from here on */
  guint64           mask;
  gsize             slot_stride;
  gsize             payload_size;
  EsEventKind       kind;
  GType             event_type;
  guint32           type_index;
  atomic_int        stamp_readers;                   /* subscribers that may read publish times */
  gsize             payload_stride;                  /* 64-byte multiple from 64 bytes on, so a payload never splits a line it could fill */
  EsRingSlotHeader *slots;                           /* owned, cache-line aligned: the headers */
  guint8           *payloads;                        /* owned, cache-line aligned */
  EsTraceContext   *traces;                          /* owned, one per slot */
  EsBufferManager  *buffer_manager;                  /* the system's, unowned */
  EsBufferCounters *buffer;                          /* its counters */
  EsMetrics        *metrics;                         /* the system's, unowned, or NULL */
  atomic_uint_least64_t released;                    /* charges released below this sequence */
  guint64           trace_salt;                      /* the system's */
  EsWaitQueue       data_wq;                         /* receivers sleep here */
  EsWaitQueue       space_wq;                        /* BLOCKed publishers sleep here */
  pthread_mutex_t   lock;                            /* protects subs */
  GPtrArray        *subs;                            /* EsStaticEndpoint *, unowned; open ones */
};

EsStaticRing *_es_static_ring_new  (const EsEventTypeInfo *info,
                                    guint                  channel_capacity,
                                    EsBufferManager       *buffer_manager,
                                    EsMetrics             *metrics,
                                    guint64                trace_salt);
/* Releases the buffer charges of the slots every open cursor has passed
 * (with a global limit), and returns how many events are still held. */
guint64       _es_static_ring_reclaim (EsStaticRing       *ring);
void          _es_static_ring_free (EsStaticRing          *ring);

static inline EsRingSlotHeader *
_es_static_ring_slot (EsStaticRing *ring,
                      guint64       seq)
{
  return &ring->slots[seq & ring->mask];
}

static inline guint8 *
_es_static_ring_payload (EsStaticRing *ring,
                         guint64       seq)
{
  return ring->payloads + (seq & ring->mask) * ring->payload_stride;
}

/* What a reader of slot @seq needs besides the payload: the publish time
 * (0 if not taken), priority and trace context. */
static inline void
_es_static_ring_slot_meta (EsStaticRing     *ring,
                           guint64           seq,
                           EsRingSlotHeader *slot,
                           gint64           *timestamp,
                           guint8           *priority,
                           EsTraceContext   *trace)
{
  guint64 meta = slot->meta;

  *timestamp = (gint64) (meta & ES_RING_META_TIME_MASK);
  *priority = (guint8) ((meta >> ES_RING_META_PRIO_SHIFT) & 7);
  if (meta & ES_RING_META_HAS_TRACE)
    *trace = ring->traces[seq & ring->mask];
  else
    _es_trace_context_init_root (trace, ring->trace_salt, ring->type_index, seq + 1);
}

/* memcpy(), inlined for the sizes of small events (a call through the PLT
 * and libc's size dispatch cost as much as the copy itself). */
static inline void
_es_static_ring_copy (void       *dst,
                      const void *src,
                      gsize       size)
{
  switch (size)
    {
    case 8: memcpy (dst, src, 8); break;
    case 16: memcpy (dst, src, 16); break;
    case 32: memcpy (dst, src, 32); break;
    case 64: memcpy (dst, src, 64); break;
    case 128: memcpy (dst, src, 128); break;
    default: memcpy (dst, src, size); break;
    }
}

/* @meta made a latency sample for every subscriber, envelope or not: it
 * needs the publish time, taken now if it was not. */
static inline guint64
_es_static_ring_sample_meta (guint64 meta)
{
  if ((meta & ES_RING_META_TIME_MASK) == 0)
    meta |= (guint64) g_get_monotonic_time () & ES_RING_META_TIME_MASK;
  return meta | ES_RING_META_SAMPLE;
}

/* Writes slot @seq (claimed by the caller) and publishes it. @single: the
 * caller is the single producer, which wrote the slot's previous lap
 * itself. Inline, so that the fast paths below compile into one function. */
static inline void
_es_static_ring_write_slot (EsStaticRing  *ring,
                            guint64        seq,
                            gconstpointer  data,
                            EsEvent       *sealed,
                            gboolean       single)
{
  EsRingSlotHeader *slot = _es_static_ring_slot (ring, seq);
  guint8 *payload = _es_static_ring_payload (ring, seq);
  guint64 previous = seq >= ring->capacity ? seq - ring->capacity + 1 : 0;
  guint64 meta;
  guint spins = 0;

  /* With DROP_OLDEST, cursors can be moved past a slot whose writer (one
   * lap earlier) has claimed but not finished it; the gate then no longer
   * proves that writer done. Wait for it: it never blocks between claiming
   * and publishing, so this is a few instructions at most. Acquire pairs with
   * its release, so our writes come after its. The single producer wrote
   * the previous lap itself: it skips this load of a line the receivers
   * share. */
  while (!single && G_UNLIKELY (atomic_load_explicit (&slot->published, memory_order_acquire) != previous))
    {
      if (++spins > 64)
        sched_yield ();
      else
        es_cpu_relax ();
    }

  if (ring->kind == ES_EVENT_KIND_OBJECT)
    {
      GObject *old = NULL;
      GObject *object = *(GObject * const *) data;

      /* The slot's previous object was passed by every cursor: release the
       * slot's reference to it. */
      if (seq >= ring->capacity)
        memcpy (&old, payload, sizeof old);
      g_object_ref (object);
      memcpy (payload, &object, sizeof object);
      g_clear_object (&old);
    }
  else
    _es_static_ring_copy (payload, data, ring->payload_size);

  if (sealed != NULL)
    {
      /* Subscribers see exactly the metadata the publisher's envelope got. */
      meta = ((guint64) sealed->timestamp & ES_RING_META_TIME_MASK) |
             ((guint64) sealed->priority << ES_RING_META_PRIO_SHIFT) | ES_RING_META_HAS_TRACE;
      ring->traces[seq & ring->mask] = sealed->trace;
    }
  else
    {
      meta = ES_RING_META_DEFAULT;
      if (G_UNLIKELY (_es_trace_has_current ()))
        {
          /* Published from a handler: inherits its trace-id. */
          _es_trace_context_init_lazy (&ring->traces[seq & ring->mask], NULL, ring->trace_salt,
                                       ring->type_index, seq + 1);
          meta |= ES_RING_META_HAS_TRACE;
        }
      if (atomic_load_explicit (&ring->stamp_readers, memory_order_relaxed) != 0)
        meta |= (guint64) g_get_monotonic_time () & ES_RING_META_TIME_MASK;
    }
  if (G_UNLIKELY (ring->metrics != NULL) && (seq & _es_metrics_sample_mask (ring->metrics)) == 0)
    meta = _es_static_ring_sample_meta (meta);
  slot->meta = meta;

  /* Release: the payload and header above are visible to whoever acquires
   * the published sequence. */
  atomic_store_explicit (&slot->published, seq + 1, memory_order_release);
}

static inline void
_es_static_ring_fill_slot (EsStaticRing  *ring,
                           guint64        seq,
                           gconstpointer  data,
                           EsEvent       *event,
                           gboolean       single)
{
  if (event != NULL)
    {
      EsEvent *sealed = _es_event_seal (event, ring->type_index, seq + 1, ring->trace_salt, FALSE);

      _es_static_ring_write_slot (ring, seq, data, sealed, single);
      es_event_unref (sealed);
    }
  else
    _es_static_ring_write_slot (ring, seq, data, NULL, single);
}

/* Everything but the single producer's fast path: claiming with a CAS,
 * backpressure, throttling, the global limit. */
gboolean _es_static_ring_publish_slow (EsStaticRing  *ring,
                                       EsPublisher   *publisher,
                                       gconstpointer  data,
                                       EsEvent       *event,
                                       GCancellable  *cancellable,
                                       GError       **error);

/* Whether the single producer's fast path applies to the ring at all (see
 * _es_static_ring_publish()): the caller must still own it. */
static inline gboolean
_es_static_ring_fast_path (EsStaticRing      *ring,
                           EsPublisherShared *shared)
{
  return ring->kind != ES_EVENT_KIND_OBJECT && !shared->core->config.adaptive && ring->buffer->limit == 0;
}

/* Publish: @data is the payload (plain) or a pointer to the GObject *
 * (object kinds). @event (nullable) supplies priority and trace parent.
 * Always inline: es-static-publisher.c calls it from three places, and an
 * out-of-line copy would put a call and its spills on the fast path of
 * the implementation's vfuncs. */
G_ALWAYS_INLINE static inline gboolean
_es_static_ring_publish (EsStaticRing      *ring,
                         EsPublisher       *publisher,
                         EsPublisherShared *shared,
                         gconstpointer      data,
                         EsEvent           *event,
                         GCancellable      *cancellable,
                         GError           **error)
{
  /* The single-producer fast path: plain data (writing an object slot
   * unrefs the slot's previous object, which may run a finalizer that
   * publishes again), room by the cached gate, no throttling, no global
   * limit to charge. Everything else takes the slow path, which claims
   * before it writes and so never lets `committed` cover a slot in
   * progress. */
  if (G_LIKELY (_es_static_ring_fast_path (ring, shared)) && G_LIKELY (es_owner_enter (&ring->sp)))
    {
      guint64 seq = ring->sp_claim;

      /* The state was checked by every caller (_es_publisher_check_data()
       * or _es_publisher_check_type()) just before. */
      if (G_LIKELY (seq < ring->capacity ||
                    atomic_load_explicit (&ring->gate, memory_order_acquire) > seq - ring->capacity))
        {
          _es_static_ring_fill_slot (ring, seq, data, event, TRUE);
          ring->sp_claim = seq + 1;
          atomic_store_explicit (&ring->claim, seq + 1, memory_order_release);
          atomic_store_explicit (&ring->committed, seq + 1, memory_order_release);
          es_owner_leave (&ring->sp);
          es_wait_queue_notify (&ring->data_wq);
          _es_publisher_settle_state (publisher, shared, FALSE);
          return TRUE;
        }
      es_owner_leave (&ring->sp);
    }

  return _es_static_ring_publish_slow (ring, publisher, data, event, cancellable, error);
}

/* A run of a batch is made visible this many slots at a time: receivers
 * start on its beginning while the rest is copied, for one store (and at
 * most one wake-up) per chunk. */
#define ES_RING_COMMIT_CHUNK 32

/* How many of the @n slots from @seq on have room by the cached gate: slot
 * s is free once the slowest cursor passed s - capacity. */
static inline guint
_es_static_ring_room (EsStaticRing *ring,
                      guint64       seq,
                      guint         n)
{
  guint64 end = atomic_load_explicit (&ring->gate, memory_order_acquire) + ring->capacity;

  return end > seq ? (guint) MIN ((guint64) n, end - seq) : 0;
}

/* Writes the single producer's slots [@seq, @seq + @n) from consecutive
 * payloads, as _es_static_ring_write_slot() would one by one. What decides
 * a header is looked up once: while no subscriber reads publish times and
 * no handler's trace is current, a header is the default but for the
 * metrics' latency samples. */
static inline void
_es_static_ring_write_chunk (EsStaticRing *ring,
                            guint64       seq,
                            const guint8 *data,
                            gsize         element_size,
                            guint         n)
{
  guint64 sample_mask;

  if (G_UNLIKELY (_es_trace_has_current () || atomic_load_explicit (&ring->stamp_readers, memory_order_relaxed) != 0))
    {
      for (guint i = 0; i < n; i++)
        _es_static_ring_write_slot (ring, seq + i, data + (gsize) i * element_size, NULL, TRUE);
      return;
    }

  /* All ones without metrics: no sequence is a sample. */
  sample_mask = ring->metrics != NULL ? _es_metrics_sample_mask (ring->metrics) : G_MAXUINT64;
  for (guint i = 0; i < n; i++, seq++)
    {
      EsRingSlotHeader *slot = _es_static_ring_slot (ring, seq);
      guint64 meta = ES_RING_META_DEFAULT;

      _es_static_ring_copy (_es_static_ring_payload (ring, seq), data + (gsize) i * element_size,
                            ring->payload_size);
      if (G_UNLIKELY ((seq & sample_mask) == 0 && ring->metrics != NULL))
        meta = _es_static_ring_sample_meta (meta);
      slot->meta = meta;
      atomic_store_explicit (&slot->published, seq + 1, memory_order_release);
    }
}

/* The single producer's fast path for up to @n consecutive plain payloads
 * of @element_size bytes: as many as the cached gate has room for, with
 * the checks of _es_static_ring_publish() made once. Returns how many were
 * published; 0 when the next one needs _es_static_ring_publish() (no room
 * by the cached gate, another publishing thread, throttling, a global
 * limit). The caller checked the state (_es_publisher_check_data()). */
static inline guint
_es_static_ring_publish_run (EsStaticRing      *ring,
                             EsPublisher       *publisher,
                             EsPublisherShared *shared,
                             const guint8      *data,
                             gsize              element_size,
                             guint              n)
{
  guint64 seq;
  guint done = 0;

  if (!_es_static_ring_fast_path (ring, shared) || !es_owner_enter (&ring->sp))
    return 0;

  seq = ring->sp_claim;
  n = _es_static_ring_room (ring, seq, n);

  while (done < n)
    {
      guint chunk = MIN (n - done, ES_RING_COMMIT_CHUNK);

      _es_static_ring_write_chunk (ring, seq, data + (gsize) done * element_size, element_size, chunk);
      seq += chunk;
      done += chunk;
      ring->sp_claim = seq;
      atomic_store_explicit (&ring->claim, seq, memory_order_release);
      atomic_store_explicit (&ring->committed, seq, memory_order_release);
      es_wait_queue_notify (&ring->data_wq);
    }
  es_owner_leave (&ring->sp);
  if (done > 0)
    _es_publisher_settle_state (publisher, shared, FALSE);
  return done;
}

/* _es_static_ring_publish_run() once several threads publish the type: one
 * CAS claims the run, each slot is published by its own flag. Returns 0
 * when the next payload needs _es_static_ring_publish(), as above, and
 * while the single producer's ownership is not yet revoked for good. */
static inline guint
_es_static_ring_publish_run_shared (EsStaticRing      *ring,
                                    EsPublisher       *publisher,
                                    EsPublisherShared *shared,
                                    const guint8      *data,
                                    gsize              element_size,
                                    guint              n)
{
  guint64 seq;
  guint k;

  if (!_es_static_ring_fast_path (ring, shared) ||
      atomic_load_explicit (&ring->sp.owner, memory_order_acquire) != ES_OWNER_MULTI)
    return 0;

  seq = atomic_load_explicit (&ring->claim, memory_order_relaxed);
  do
    {
      if ((k = _es_static_ring_room (ring, seq, n)) == 0)
        return 0;
    }
  while (!atomic_compare_exchange_weak_explicit (&ring->claim, &seq, seq + k,
                                                 memory_order_acq_rel, memory_order_relaxed));

  for (guint i = 0; i < k; i++)
    _es_static_ring_fill_slot (ring, seq + i, data + (gsize) i * element_size, NULL, FALSE);
  es_wait_queue_notify (&ring->data_wq);
  _es_publisher_settle_state (publisher, shared, FALSE);
  return k;
}

G_END_DECLS
