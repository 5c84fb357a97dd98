/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>

#include "es-buffer-manager-private.h"
#include "es-publisher-private.h"
#include "es-subscriber-private.h"
#include "es-owner-private.h"
#include "es-zero-copy-queue-private.h"

G_BEGIN_DECLS

typedef struct _EsZcHandler EsZcHandler;

/* A type's sequence counter, on its own cache line: a single publishing
 * thread bumps it with a plain store (EsOwner), several with an RMW. The
 * owner word has a line of its own: once several threads publish it is
 * only read, and a read of the counter's line before the RMW would fetch
 * that line twice (shared, then exclusive). */
typedef struct {
  ES_CACHELINE_ALIGNED atomic_uint_least64_t next;
  ES_CACHELINE_ALIGNED EsOwner               owner;
} EsZcSequence;

static inline guint64
_es_zc_sequence_next (EsZcSequence *seq)
{
  guint64 v;

  if (G_LIKELY (es_owner_enter (&seq->owner)))
    {
      v = atomic_load_explicit (&seq->next, memory_order_relaxed) + 1;
      atomic_store_explicit (&seq->next, v, memory_order_relaxed);
      es_owner_leave (&seq->owner);
      return v;
    }
  es_owner_claim (&seq->owner);
  return atomic_fetch_add_explicit (&seq->next, 1, memory_order_relaxed) + 1;
}

/* A zero-copy subscriber's endpoint: its queue of shared envelopes. */
typedef struct {
  EsSubEndpoint          base;
  EsZcQueue             *queue;          /* owned */
  EsWaitQueue            data_wq;        /* receivers sleep here */
  EsWaitQueue            space_wq;       /* BLOCKed publishers sleep here */
  EsBufferCounters      *buffer;         /* the system's; every holder keeps the system alive */
  GType                  event_type;
  EsZcHandler           *handler;        /* owned; set once for handler subscriptions */
} EsZcEndpoint;

struct _EsZeroCopySubscriber
{
  EsSubscriber  parent_instance;
  EsZcEndpoint *ep;                      /* the base class owns the reference */
};

struct _EsZeroCopyPublisher
{
  EsPublisher            parent_instance;
  EsPublisherShared     *shared;
  EsBufferCounters      *buffer;         /* the system's; the publisher keeps the system alive */
  EsZcSequence          *sequence;       /* the type's counter, owned by the system */
};

/* The publish_take vfunc, which es_publisher_publish_take() tail-calls
 * once its argument checks pass: the unified API adds those checks and a
 * jump, no frame of its own. */
gboolean      _es_zero_copy_publisher_publish_take (EsPublisher   *publisher,
                                                    EsEvent       *event,
                                                    GCancellable  *cancellable,
                                                    GError       **error);
EsSubscriber *_es_zero_copy_subscriber_new      (EsEventSystem        *system,
                                                 GType                 event_type);
/* Drops a queue's hold on @event: the last holder releases the charge to
 * @buffer (the EsBufferCounters of the queue's system); then drops the
 * reference. */
void          _es_zero_copy_release_event       (EsEvent              *event,
                                                 gpointer              buffer);
/* Settles the buffer charge of an event taken from a queue of the system
 * whose counters are @buffer, keeping the reference. */
void          _es_zero_copy_settle_event        (EsEvent              *event,
                                                 EsBufferCounters     *buffer);
/* Drops what an unsubscribed endpoint still holds; a publisher calls it
 * after pushing, so a push racing with the unsubscribe is dropped too. */
void          _es_zero_copy_drain_if_discarded  (EsZcEndpoint         *ep);
/* Schedules the handler subscription owning @ep on the dispatch pool. */
void          _es_zero_copy_handler_kick        (EsZcEndpoint         *ep);
void          _es_zero_copy_handler_free        (EsZcHandler          *handler);

EsPublisher  *_es_zero_copy_publisher_new       (EsEventSystem        *system,
                                                 GType                 event_type,
                                                 EsZcSequence         *sequence);
EsSubList    *_es_zero_copy_event_system_collect (EsZeroCopyEventSystem *self,
                                                  GType                  event_type);
void          _es_zero_copy_event_system_unregister (EsZeroCopyEventSystem *self,
                                                     EsZcEndpoint          *ep);

G_END_DECLS
