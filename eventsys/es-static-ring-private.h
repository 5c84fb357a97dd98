/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdatomic.h>

#include "eventsys.h"
#include "es-buffer-manager-private.h"
#include "es-event-system-private.h"
#include "es-event-type-private.h"
#include "es-private.h"
#include "es-trace-private.h"
#include "es-wait-private.h"

G_BEGIN_DECLS

/*
 * EsStaticRing: one preallocated multi-producer ring per event type, shared
 * by every subscriber of the type (Disruptor-style).
 *
 * Producers claim a sequence with a CAS on `claim`, copy the payload into
 * the slot and publish it by storing `seq + 1` into the slot header with
 * release order. A slot may be reused only once every live subscriber's
 * cursor has passed its previous sequence; `gate` caches a lower bound of
 * the slowest cursor so that producers read the cursors only when the ring
 * looks full.
 *
 * Each subscriber owns a cursor (next sequence to read). A receiver takes a
 * batch by setting READ_BIT on its cursor with a CAS, copying the slots out
 * and storing the advanced cursor with release order: one CAS and one store
 * per batch. Evicting producers (DROP_OLDEST) move a cursor forward with a
 * CAS that fails while READ_BIT is set, so a slot is never overwritten while
 * it is being read.
 */

#define ES_RING_READ_BIT (G_GUINT64_CONSTANT (1) << 63)

typedef struct {
  atomic_uint_least64_t published;   /* seq + 1 once the payload is in */
  gint64                timestamp;
  EsTraceContext        trace;
  guint8                priority;
} EsRingSlotHeader;

#define ES_RING_HEADER_SIZE ((sizeof (EsRingSlotHeader) + 15) & ~(gsize) 15)

typedef struct _EsStaticRing EsStaticRing;

struct _EsStaticRing
{
  ES_CACHELINE_ALIGNED atomic_uint_least64_t claim;  /* next sequence to claim */
  ES_CACHELINE_ALIGNED atomic_uint_least64_t gate;   /* lower bound of the slowest live cursor */
  ES_CACHELINE_ALIGNED guint64 capacity;             /* immutable from here on */
  guint64           mask;
  gsize             slot_stride;
  gsize             payload_size;
  EsEventKind       kind;
  GType             event_type;
  guint32           type_index;
  guint8           *slots;                           /* owned, cache-line aligned */
  EsBufferManager  *buffer_manager;                  /* the system's, unowned */
  EsBufferCounters *buffer;                          /* its counters */
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
                                    guint64                trace_salt);
/* Releases the buffer charges of the slots every open cursor has passed
 * (with a global limit), and returns how many events are still held. */
guint64       _es_static_ring_reclaim (EsStaticRing       *ring);
void          _es_static_ring_free (EsStaticRing          *ring);

static inline EsRingSlotHeader *
_es_static_ring_slot (EsStaticRing *ring,
                      guint64       seq)
{
  return (EsRingSlotHeader *) (ring->slots + (seq & ring->mask) * ring->slot_stride);
}

static inline guint8 *
_es_static_ring_payload (EsRingSlotHeader *slot)
{
  return (guint8 *) slot + ES_RING_HEADER_SIZE;
}

/* Publish: @data is the payload (plain) or a pointer to the GObject *
 * (object kinds). @event (nullable) supplies priority and trace parent. */
gboolean _es_static_ring_publish (EsStaticRing  *ring,
                                  EsPublisher   *publisher,
                                  gconstpointer  data,
                                  EsEvent       *event,
                                  GCancellable  *cancellable,
                                  GError       **error);

G_END_DECLS
