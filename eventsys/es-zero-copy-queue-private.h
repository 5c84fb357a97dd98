/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>

#include "eventsys.h"
#include "es-owner-private.h"
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
 *
 * A reservation claims its cell in the lane at once. Without priority
 * lanes it *is* the claim: the reserve compares and swaps `reserved`, which
 * is then the lane's head; with them, the lane heads share the line of
 * `reserved`, so either way a publish takes one contended cache line. A
 * reservation given back fills its cell with a hole that receivers skip
 * (and count as released), since later cells may already be claimed.
 *
 * While one thread pushes (`prod`) or one thread pops (`cons`), that side
 * updates its counter and lane indexes with plain stores instead of RMWs
 * (EsOwner); the per-cell sequence protocol is the same either way.
 */

#define ES_ZC_LANES 4

typedef struct {
  atomic_uint_least64_t seq;
  EsEvent              *event;    /* ordered by seq */
} EsZcCell;

typedef struct {
  ES_CACHELINE_ALIGNED atomic_uint_least64_t tail;   /* consumers */
  ES_CACHELINE_ALIGNED _Atomic (EsZcCell *) cells;   /* NULL until first use */
} EsZcLane;

typedef struct {
  /* The producers' line: a publish's two RMWs with priority lanes (the
   * reservation, then the lane's head) take it once. */
  ES_CACHELINE_ALIGNED atomic_uint_least64_t reserved;
  atomic_uint_least64_t released_cache;                        /* producers' view of released */
  atomic_uint_least64_t heads[ES_ZC_LANES];                    /* with priority lanes */
  /* Read before every push; apart from `reserved`, whose line several
   * producers take exclusive, it stays shared in every cache. */
  ES_CACHELINE_ALIGNED EsOwner prod;                           /* the single pushing thread */
  ES_CACHELINE_ALIGNED atomic_uint_least64_t released;         /* consumers */
  EsOwner   cons;                                              /* the single popping thread */
  atomic_uint_least64_t holes;                                 /* reservations given back */
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

/* Reserves a place for a push in @lane (the event's priority), claiming
 * the cell @ticket; FALSE when the queue is full (@ticket untouched). */
gboolean   _es_zc_queue_reserve    (EsZcQueue *queue,
                                    guint      lane,
                                    guint64   *ticket);
/* Gives back a publisher's reservation it did not use (a hole). */
void       _es_zc_queue_unreserve  (EsZcQueue *queue,
                                    guint      lane,
                                    guint64    ticket);

static inline gint64
_es_zc_queue_depth (EsZcQueue *queue)
{
  guint64 released = atomic_load_explicit (&queue->released, memory_order_acquire);
  guint64 reserved = atomic_load_explicit (&queue->reserved, memory_order_acquire);

  return reserved > released ? (gint64) (reserved - released) : 0;
}

/* Events pushed (or being pushed): reservations not given back. */
static inline guint64
_es_zc_queue_pushed (EsZcQueue *queue)
{
  guint64 holes = atomic_load_explicit (&queue->holes, memory_order_acquire);

  return atomic_load_explicit (&queue->reserved, memory_order_acquire) - holes;
}

/* After a successful reserve, with its @lane and @ticket. */
void       _es_zc_queue_push       (EsZcQueue *queue,
                                    guint      lane,
                                    EsEvent   *event,
                                    guint64    ticket);
/* Highest lane first; NULL when empty. Releases the reservation. */
EsEvent   *_es_zc_queue_pop        (EsZcQueue *queue);
/* Lowest lane first (the oldest of the least important): for eviction. */
EsEvent   *_es_zc_queue_pop_oldest (EsZcQueue *queue);

G_END_DECLS
