/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>

#include "eventsys.h"
#include "es-private.h"

G_BEGIN_DECLS

/*
 * EsZcQueue: a zero-copy subscriber's queue of shared envelopes.
 *
 * One bounded lock-free MPMC ring (Vyukov's per-cell sequence design) per
 * priority lane. Any thread may push (publishers) or pop (receivers, and
 * evicting publishers for DROP_OLDEST). Occupancy across lanes is
 * `reserved - released`: a push first reserves a place, so each lane, sized
 * to the whole capacity, always has a free cell and a push never fails.
 * The two counters live on different cache lines and producers compare
 * against a cached `released`, reading the consumers' line only when the
 * queue looks full. Lanes other than NORMAL are allocated on first use.
 */

#define ES_ZC_LANES 4

typedef struct {
  atomic_uint_least64_t seq;
  EsEvent              *event;    /* ordered by seq */
} EsZcCell;

typedef struct {
  ES_CACHELINE_ALIGNED atomic_uint_least64_t head;   /* producers */
  ES_CACHELINE_ALIGNED atomic_uint_least64_t tail;   /* consumers */
  ES_CACHELINE_ALIGNED _Atomic (EsZcCell *) cells;   /* NULL until first use */
} EsZcLane;

typedef struct {
  ES_CACHELINE_ALIGNED atomic_uint_least64_t reserved;         /* producers */
  atomic_uint_least64_t released_cache;                        /* producers' view of released */
  ES_CACHELINE_ALIGNED atomic_uint_least64_t released;         /* consumers */
  ES_CACHELINE_ALIGNED guint64 capacity;             /* immutable from here on */
  guint64   mask;
  guint     n_lanes;
  EsZcLane  lanes[ES_ZC_LANES];
} EsZcQueue;

EsZcQueue *_es_zc_queue_new        (guint64    capacity,
                                    gboolean   priority_lanes);
/* Frees the queue, returning each still-queued event to @release. */
void       _es_zc_queue_free       (EsZcQueue *queue,
                                    void     (*release) (EsEvent *event, gpointer data),
                                    gpointer   data);

static inline gboolean
_es_zc_queue_reserve (EsZcQueue *queue)
{
  guint64 r = atomic_fetch_add_explicit (&queue->reserved, 1, memory_order_relaxed);

  if (G_UNLIKELY (r - atomic_load_explicit (&queue->released_cache, memory_order_relaxed) >= queue->capacity))
    {
      /* Looks full: look at the consumers' real count. Acquire pairs with
       * their release, so the cells they freed are free for us. */
      guint64 released = atomic_load_explicit (&queue->released, memory_order_acquire);

      atomic_store_explicit (&queue->released_cache, released, memory_order_relaxed);
      if (r - released >= queue->capacity)
        {
          atomic_fetch_sub_explicit (&queue->reserved, 1, memory_order_relaxed);
          return FALSE;
        }
    }
  return TRUE;
}

/* Gives a place back: a publisher's reservation it did not use, or a
 * consumer's after taking an event out. */
static inline void
_es_zc_queue_unreserve (EsZcQueue *queue)
{
  atomic_fetch_add_explicit (&queue->released, 1, memory_order_release);
}

static inline gint64
_es_zc_queue_depth (EsZcQueue *queue)
{
  guint64 released = atomic_load_explicit (&queue->released, memory_order_acquire);
  guint64 reserved = atomic_load_explicit (&queue->reserved, memory_order_acquire);

  return reserved > released ? (gint64) (reserved - released) : 0;
}

/* After a successful reserve. */
void       _es_zc_queue_push       (EsZcQueue *queue,
                                    guint      lane,
                                    EsEvent   *event);
/* Highest lane first; NULL when empty. Releases the reservation. */
EsEvent   *_es_zc_queue_pop        (EsZcQueue *queue);
/* Lowest lane first (the oldest of the least important): for eviction. */
EsEvent   *_es_zc_queue_pop_oldest (EsZcQueue *queue);

G_END_DECLS
