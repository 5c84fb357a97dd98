/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "es-static-ring-private.h"
#include "es-subscriber-private.h"

G_BEGIN_DECLS

/* Fields the ring reads and writes; defined here so the ring code can reach
 * them without function calls. */
struct _EsStaticSubscriber
{
  EsSubscriber           parent_instance;
  EsStaticRing          *ring;          /* unowned: the system owns rings and outlives us */
  EsSubscriberShared    *shared;        /* the base class's hot state */
  guint64                start_seq;     /* first sequence published to us */
  atomic_uint_least64_t  end_seq;       /* claim at close, G_MAXUINT64 while open */
  ES_CACHELINE_PAD (_pad0);
  atomic_uint_least64_t  cursor;        /* next sequence to read, | ES_RING_READ_BIT while reading */
  ES_CACHELINE_PAD (_pad1);
};

EsSubscriber *_es_static_subscriber_new   (EsEventSystem *system,
                                           GType          event_type,
                                           EsStaticRing  *ring);
/* DROP_OLDEST: moves @self's cursor to at least @target, counting the drops. */
void          _es_static_subscriber_evict (EsStaticSubscriber *self,
                                           guint64             target);

static inline guint64
_es_static_subscriber_cursor (EsStaticSubscriber *self)
{
  return atomic_load_explicit (&self->cursor, memory_order_acquire) & ~ES_RING_READ_BIT;
}

G_END_DECLS
