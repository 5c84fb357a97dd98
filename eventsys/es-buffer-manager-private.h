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
/* Without a limit nobody needs the exact figure at once, only the gauges:
 * each thread then counts in a stripe of its own (charges and releases
 * alike), so that publishers on several threads do not take turns on one
 * cache line for every event. A thread owns its stripe until it exits, and
 * as the stripe's only writer it adds with a plain load and store: no
 * locked instruction, which would also wait for the event's own stores to
 * drain. Stripe 0 is shared, with atomic adds, by the threads that find
 * every other stripe taken. A stripe's counters fill a quarter of its 128
 * bytes, so two stripes never share a line whatever the alignment. */
#define ES_BUFFER_STRIPES 16

typedef struct {
  atomic_int_least64_t charged_bytes;
  atomic_int_least64_t charged_events;
  atomic_int_least64_t released_bytes;
  atomic_int_least64_t released_events;
  char                 _pad[128 - 4 * sizeof (atomic_int_least64_t)];
} EsBufferStripe;

/* This thread's stripe + 1 (0: none yet), taken at its first use. */
extern __thread guint8 _es_buffer_stripe __attribute__ ((tls_model ("initial-exec")));
guint _es_buffer_stripe_assign (void);

static inline guint
_es_buffer_stripe_index (void)
{
  guint s = _es_buffer_stripe;

  return G_LIKELY (s != 0) ? s - 1 : _es_buffer_stripe_assign ();
}

/* Adds to a counter of this thread's stripe @index. */
static inline void
_es_buffer_stripe_add (atomic_int_least64_t *counter,
                       guint                 index,
                       gint64                n)
{
  if (G_LIKELY (index != 0))
    atomic_store_explicit (counter, atomic_load_explicit (counter, memory_order_relaxed) + n,
                           memory_order_release);
  else
    atomic_fetch_add_explicit (counter, n, memory_order_release);
}

/* Buffered = charged - released. With a limit, publishers charge and
 * receivers release on one pair of cache lines, so that a charge sees the
 * total at once; without, in stripes. */
typedef struct {
  EsBufferStripe       stripes[ES_BUFFER_STRIPES];  /* used when limit == 0 */
  atomic_int_least64_t charged_bytes;
  atomic_int_least64_t charged_events;
  ES_CACHELINE_PAD (_pad0);
  atomic_int_least64_t released_bytes;
  atomic_int_least64_t released_events;
  ES_CACHELINE_PAD (_pad1);
  guint64      limit;              /* 0 = unlimited; immutable */
  guint64      low_bytes;          /* watermarks in bytes; immutable */
  guint64      high_bytes;
  atomic_int   above;              /* above the high watermark (until back to low) */
  EsWaitQueue  space;              /* publishers waiting for the global limit */
} EsBufferCounters;

/* Records a watermark crossing (once per crossing) and schedules
 * EsBufferManager::watermark-crossed on the system's main context. */
void _es_buffer_counters_crossed (EsBufferCounters *c,
                                  gboolean          above);

/* The striped totals (no limit); see _es_buffer_counters_bytes(). */
gint64 _es_buffer_counters_striped (EsBufferCounters *c,
                                    gboolean          bytes);

static inline gint64
_es_buffer_counters_bytes (EsBufferCounters *c)
{
  gint64 released;

  if (c->limit == 0)
    return _es_buffer_counters_striped (c, TRUE);
  /* Released first: a concurrent charge can only make the result larger. */
  released = atomic_load_explicit (&c->released_bytes, memory_order_acquire);
  return atomic_load_explicit (&c->charged_bytes, memory_order_acquire) - released;
}

static inline gint64
_es_buffer_counters_events (EsBufferCounters *c)
{
  gint64 released;

  if (c->limit == 0)
    return _es_buffer_counters_striped (c, FALSE);
  released = atomic_load_explicit (&c->released_events, memory_order_acquire);
  return atomic_load_explicit (&c->charged_events, memory_order_acquire) - released;
}

EsBufferManager  *_es_buffer_manager_new          (guint64          limit,
                                                   gdouble          low_watermark,
                                                   gdouble          high_watermark);
void              _es_buffer_manager_set_context  (EsBufferManager *self,
                                                   GMainContext    *context);
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
      guint index = _es_buffer_stripe_index ();
      EsBufferStripe *stripe = &c->stripes[index];

      _es_buffer_stripe_add (&stripe->charged_bytes, index, bytes);
      _es_buffer_stripe_add (&stripe->charged_events, index, 1);
      return TRUE;
    }
  if ((guint64) (atomic_fetch_add_explicit (&c->charged_bytes, bytes, memory_order_relaxed) + bytes
                 - atomic_load_explicit (&c->released_bytes, memory_order_acquire)) > c->limit)
    {
      atomic_fetch_sub_explicit (&c->charged_bytes, bytes, memory_order_relaxed);
      return FALSE;
    }
  atomic_fetch_add_explicit (&c->charged_events, 1, memory_order_relaxed);
  if (G_UNLIKELY (!atomic_load_explicit (&c->above, memory_order_relaxed) &&
                  (guint64) _es_buffer_counters_bytes (c) >= c->high_bytes))
    _es_buffer_counters_crossed (c, TRUE);
  return TRUE;
}

static inline void
_es_buffer_counters_release (EsBufferCounters *c,
                             gint64            bytes,
                             gint64            events)
{
  if (c->limit == 0)
    {
      guint index = _es_buffer_stripe_index ();
      EsBufferStripe *stripe = &c->stripes[index];

      _es_buffer_stripe_add (&stripe->released_bytes, index, bytes);
      _es_buffer_stripe_add (&stripe->released_events, index, events);
      return;
    }
  atomic_fetch_add_explicit (&c->released_bytes, bytes, memory_order_release);
  atomic_fetch_add_explicit (&c->released_events, events, memory_order_relaxed);
  if (c->limit != 0)
    {
      if (G_UNLIKELY (atomic_load_explicit (&c->above, memory_order_relaxed) &&
                      _es_buffer_counters_bytes (c) <= (gint64) c->low_bytes))
        _es_buffer_counters_crossed (c, FALSE);
      es_wait_queue_notify (&c->space);
    }
}

G_END_DECLS
