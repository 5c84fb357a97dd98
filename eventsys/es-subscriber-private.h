/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdatomic.h>

#include "eventsys.h"
#include "es-event-system-private.h"
#include "es-event-type-private.h"
#include "es-owner-private.h"
#include "es-wait-private.h"

G_BEGIN_DECLS

/*
 * EsSubEndpoint: what publishers deliver to. Each implementation allocates
 * one per subscriber, with its own fields after this header; it is refcounted
 * apart from the #EsSubscriber GObject, so that publishers' cached target
 * lists never keep a subscriber object alive: dropping the last user
 * reference unsubscribes, and a stale list only ever touches a closed
 * endpoint. Producer-written and consumer-written counters live on separate
 * cache lines.
 */
typedef struct _EsSubEndpoint EsSubEndpoint;

struct _EsSubEndpoint
{
  atomic_int              ref_count;
  void                  (*finalize) (EsSubEndpoint *self);  /* implementation's cleanup */
  EsSystemCore           *core;
  const EsEventTypeInfo  *type_info;
  EsWaitQueue            *data_wq;       /* where receivers sleep */
  EsWaitQueue            *space_wq;      /* notified after consuming */
  pthread_mutex_t         owner_lock;    /* protects owner */
  EsSubscriber           *owner;         /* unowned; cleared when the subscriber is disposed */

  ES_CACHELINE_PAD (_pad0);
  atomic_int              closed;
  atomic_int              discarded;     /* unsubscribed: nothing queued is delivered any more */
  atomic_uint_least64_t   dropped;       /* written by evicting producers and by close */

  ES_CACHELINE_PAD (_pad1);
  EsOwner                 reader;        /* the receiving thread's ownership (see EsOwner) */
  atomic_uint_least64_t   owner_received;  /* received by the owning reader (plain updates) */
  atomic_uint_least64_t   owner_received_bytes;
  atomic_uint_least64_t   received;      /* received by other threads */
  atomic_uint_least64_t   received_bytes;
  atomic_uint_least64_t   filtered;
  atomic_uint_least64_t   lag_seen;      /* dropped value last reported by ::lagged */
  atomic_int              spin_usec;     /* adaptive polling budget before sleeping */
  atomic_int              skip_yields;   /* sleeps left that skip the yields (they gave nothing away) */
  atomic_uint             waits;         /* waits that could poll; every CROWD_SAMPLE_EVERY-th samples es_cpus_crowded */
  ES_CACHELINE_PAD (_pad2);
};

/* Allocates @size bytes (>= sizeof (EsSubEndpoint)), cache-line aligned and
 * zeroed, with one reference. */
gpointer        _es_sub_endpoint_alloc     (gsize          size,
                                            void         (*finalize) (EsSubEndpoint *self));
EsSubEndpoint  *_es_sub_endpoint_ref       (EsSubEndpoint *self);
void            _es_sub_endpoint_unref     (EsSubEndpoint *self);
/* The subscriber object, referenced, or NULL once it is gone. */
EsSubscriber   *_es_sub_endpoint_dup_owner (EsSubEndpoint *self);

static inline gboolean
_es_sub_endpoint_is_closed (EsSubEndpoint *self)
{
  return atomic_load_explicit (&self->closed, memory_order_acquire) != 0;
}

/* Counts @n received events of @bytes bytes together: the owning reader
 * with plain stores, any other thread with atomic adds. These are also the
 * metrics' delivered counts (EsMetricsSource). */
static inline void
_es_sub_endpoint_count_received (EsSubEndpoint *self,
                                 guint64        n,
                                 guint64        bytes)
{
  if (G_LIKELY (es_owner_is_mine (&self->reader)))
    {
      es_counter_add (&self->owner_received, n, TRUE);
      es_counter_add (&self->owner_received_bytes, bytes, TRUE);
    }
  else
    {
      es_counter_add (&self->received, n, FALSE);
      es_counter_add (&self->received_bytes, bytes, FALSE);
    }
}

static inline guint64
_es_sub_endpoint_get_received (EsSubEndpoint *self)
{
  return atomic_load_explicit (&self->owner_received, memory_order_relaxed) +
         atomic_load_explicit (&self->received, memory_order_relaxed);
}

EsSubEndpoint  *_es_subscriber_get_endpoint (EsSubscriber       *self);
/* Called by implementations right after g_object_new(); takes over the
 * endpoint's reference. The endpoint's wait queues must be set. */
void            _es_subscriber_setup        (EsSubscriber       *self,
                                             EsEventSystem      *system,
                                             GType               event_type,
                                             EsSubEndpoint      *endpoint);
void            _es_subscriber_set_filter   (EsSubscriber       *self,
                                             EsEventFilterFunc   filter,
                                             gpointer            user_data,
                                             GDestroyNotify      destroy);
/* Marks the subscriber closed and wakes its receivers and sources. With
 * @discard the implementation's close() drops what is queued (unsubscribe);
 * without, receivers drain first (shutdown). */
void            _es_subscriber_mark_closed  (EsSubscriber       *self,
                                             gboolean            discard);

/* The built-in implementations' classes (static, then zero-copy), recorded
 * by their class_init, as for publishers. */
extern gconstpointer _es_subscriber_builtin_classes[2];

/* ES_IS_SUBSCRIBER() with the built-in classes first. */
#define ES_IS_SUBSCRIBER_FAST(obj) \
  es_instance_is_fast ((obj), _es_subscriber_builtin_classes, es_subscriber_get_type)

G_END_DECLS
