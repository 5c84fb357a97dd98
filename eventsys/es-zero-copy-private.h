/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>

#include "es-buffer-manager-private.h"
#include "es-publisher-private.h"
#include "es-subscriber-private.h"
#include "es-zero-copy-queue-private.h"

G_BEGIN_DECLS

typedef struct _EsZcHandler EsZcHandler;

struct _EsZeroCopySubscriber
{
  EsSubscriber           parent_instance;
  EsSubscriberShared    *shared;
  EsZcQueue             *queue;          /* owned */
  EsWaitQueue            data_wq;        /* receivers sleep here */
  EsWaitQueue            space_wq;       /* BLOCKed publishers sleep here */
  EsBufferCounters      *buffer;         /* the system's, unowned */
  EsZcHandler           *handler;        /* set for handler subscriptions; immutable */
  ES_CACHELINE_PAD (_pad0);
  atomic_uint_least64_t  published;      /* written by publishers */
  ES_CACHELINE_PAD (_pad1);
};

struct _EsZeroCopyPublisher
{
  EsPublisher            parent_instance;
  EsPublisherShared     *shared;
  atomic_uint_least64_t *sequence;       /* the type's counter, owned by the system */
};

EsSubscriber *_es_zero_copy_subscriber_new      (EsEventSystem        *system,
                                                 GType                 event_type);
/* Drops the queue's hold on @event: the last holder releases the buffer
 * manager's charge. */
void          _es_zero_copy_release_event       (EsEvent              *event,
                                                 gpointer              buffer_counters);
/* Wakes the handler's dispatch if the subscriber belongs to one. */
void          _es_zero_copy_handler_kick        (EsZcHandler          *handler);

EsPublisher  *_es_zero_copy_publisher_new       (EsEventSystem        *system,
                                                 GType                 event_type,
                                                 atomic_uint_least64_t *sequence);
EsSubList    *_es_zero_copy_event_system_collect (EsZeroCopyEventSystem *self,
                                                  GType                  event_type);
void          _es_zero_copy_event_system_unregister (EsZeroCopyEventSystem *self,
                                                     EsZeroCopySubscriber  *subscriber);

G_END_DECLS
