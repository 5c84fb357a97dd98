/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>

#include "eventsys.h"
#include "es-private.h"
#include "es-wait-private.h"

G_BEGIN_DECLS

/* The counters the implementations charge and release. A zero-copy event is
 * charged once however many subscribers hold it; a static slot is charged
 * when published and released when the slowest subscriber passes it. */
typedef struct {
  atomic_int_least64_t bytes;
  atomic_int_least64_t events;
  guint64      limit;              /* 0 = unlimited; immutable */
  EsWaitQueue  space;              /* publishers waiting for the global limit */
} EsBufferCounters;

EsBufferManager  *_es_buffer_manager_new          (guint64          limit);
EsBufferCounters *_es_buffer_manager_get_counters (EsBufferManager *self);

/* Lets an implementation that releases lazily (the static rings) settle its
 * accounts before a read, and report what it holds without charging it
 * (when there is no limit to enforce). Called from any thread. */
typedef void (*EsBufferReconcileFunc) (gpointer  data,
                                       gint64   *extra_bytes,
                                       gint64   *extra_events);
void              _es_buffer_manager_set_reconcile (EsBufferManager       *self,
                                                    EsBufferReconcileFunc  func,
                                                    gpointer               data);
/* Settles lazy releases now (a publisher at the limit calls this). */
void              _es_buffer_manager_reconcile     (EsBufferManager       *self);

/* Charges @bytes unless that would exceed the limit; returns FALSE then
 * (nothing charged). Always succeeds without a limit. */
static inline gboolean
_es_buffer_counters_try_charge (EsBufferCounters *c,
                                gint64            bytes)
{
  if (c->limit == 0)
    {
      atomic_fetch_add_explicit (&c->bytes, bytes, memory_order_relaxed);
      atomic_fetch_add_explicit (&c->events, 1, memory_order_relaxed);
      return TRUE;
    }
  if ((guint64) (atomic_fetch_add_explicit (&c->bytes, bytes, memory_order_relaxed) + bytes) > c->limit)
    {
      atomic_fetch_sub_explicit (&c->bytes, bytes, memory_order_relaxed);
      return FALSE;
    }
  atomic_fetch_add_explicit (&c->events, 1, memory_order_relaxed);
  return TRUE;
}

static inline void
_es_buffer_counters_release (EsBufferCounters *c,
                             gint64            bytes,
                             gint64            events)
{
  atomic_fetch_sub_explicit (&c->bytes, bytes, memory_order_release);
  atomic_fetch_sub_explicit (&c->events, events, memory_order_relaxed);
  if (c->limit != 0)
    es_wait_queue_notify (&c->space);
}

G_END_DECLS
