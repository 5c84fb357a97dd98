/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>

#include "eventsys.h"
#include "es-event-system-private.h"
#include "es-event-type-private.h"
#include "es-wait-private.h"

G_BEGIN_DECLS

/* The base-class state implementations touch on their hot paths. Producer-
 * written and consumer-written counters live on separate cache lines. */
typedef struct {
  EsSystemCore          *core;
  const EsEventTypeInfo *type_info;
  EsWaitQueue           *data_wq;       /* where receivers sleep; set by the implementation */
  EsWaitQueue           *space_wq;      /* notified after consuming; set by the implementation */

  ES_CACHELINE_PAD (_pad0);
  atomic_int             closed;
  atomic_uint_least64_t  dropped;       /* written by evicting producers and by close */

  ES_CACHELINE_PAD (_pad1);
  atomic_uint_least64_t  received;      /* consumer side */
  atomic_uint_least64_t  filtered;
  atomic_uint_least64_t  lag_seen;      /* dropped value last reported by ::lagged */
  ES_CACHELINE_PAD (_pad2);
} EsSubscriberShared;

EsSubscriberShared *_es_subscriber_get_shared (EsSubscriber        *self);
/* Called by implementations in their constructor/init. */
void                _es_subscriber_setup      (EsSubscriber        *self,
                                               EsEventSystem       *system,
                                               GType                event_type,
                                               EsWaitQueue         *data_wq,
                                               EsWaitQueue         *space_wq);
void                _es_subscriber_set_filter (EsSubscriber        *self,
                                               EsEventFilterFunc    filter,
                                               gpointer             user_data,
                                               GDestroyNotify       destroy);
/* Marks the subscriber closed and wakes its receivers and sources. With
 * @discard the implementation's close() drops what is queued (unsubscribe);
 * without, receivers drain first (shutdown). */
void                _es_subscriber_mark_closed (EsSubscriber       *self,
                                                gboolean            discard);

static inline gboolean
_es_subscriber_shared_is_closed (EsSubscriberShared *shared)
{
  return atomic_load_explicit (&shared->closed, memory_order_acquire) != 0;
}

G_END_DECLS
