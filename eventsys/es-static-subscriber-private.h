/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "es-static-ring-private.h"
#include "es-subscriber-private.h"
#include "es-metrics-private.h"

G_BEGIN_DECLS

/* How a static subscriber has read so far. Until it is known to read plain
 * data only, its events need publish times (ring->stamp_readers). */
typedef enum {
  ES_STATIC_READS_UNKNOWN,     /* counted */
  ES_STATIC_READS_DATA,        /* not counted: es_subscriber_receive_data() only */
  ES_STATIC_READS_ENVELOPES,   /* counted */
  ES_STATIC_READS_CLOSED,      /* not counted */
} EsStaticReads;

/* A static subscriber's endpoint: its cursor into the type's ring. */
typedef struct {
  EsSubEndpoint          base;
  EsStaticRing          *ring;          /* unowned: the system owns rings and outlives every holder */
  guint64                start_seq;     /* first sequence published to us */
  atomic_uint_least64_t  end_seq;       /* claim at close, G_MAXUINT64 while open */
  atomic_int             reads;         /* EsStaticReads: counted in the ring's stamp_readers? */
  gboolean               owner_takes;   /* plain data, and the strategy never moves cursors (BLOCK, DROP_NEWEST) */
  guint                  pace_pauses;   /* es_cpu_relax() calls in ES_PACE_NSEC (es-static-subscriber.c) */
  ES_CACHELINE_PAD (_pad0);
  atomic_uint_least64_t  cursor;        /* next sequence to read, | ES_RING_READ_BIT while reading */
  atomic_uint_least64_t  seen_committed;  /* receivers' cache of ring->committed (a lower bound) */
  atomic_uint_least64_t  seen_claim;      /* and of ring->claim */
  atomic_int             keeping_pace;    /* the last loads of them that found a few events, up to 2 (a hint) */
  ES_CACHELINE_PAD (_pad1);
} EsStaticEndpoint;

struct _EsStaticSubscriber
{
  EsSubscriber      parent_instance;
  EsStaticEndpoint *ep;                 /* the base class owns the reference */
};

EsSubscriber *_es_static_subscriber_new (EsEventSystem    *system,
                                         GType             event_type,
                                         EsStaticRing     *ring);
/* DROP_OLDEST: moves the cursor to at least @target, counting the drops. */
void          _es_static_endpoint_evict (EsStaticEndpoint *ep,
                                         guint64           target,
                                         EsDropReason      reason);

static inline guint64
_es_static_endpoint_cursor (EsStaticEndpoint *ep)
{
  return atomic_load_explicit (&ep->cursor, memory_order_acquire) & ~ES_RING_READ_BIT;
}

G_END_DECLS
