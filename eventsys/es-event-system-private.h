/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>

#include "eventsys.h"
#include "es-private.h"
#include "es-wait-private.h"

G_BEGIN_DECLS

/* Immutable after construction. */
typedef struct {
  char                   *name;
  guint                   channel_capacity;
  guint                   max_concurrent_dispatches;
  gboolean                enable_priority;
  GTimeSpan               default_timeout;      /* -1: wait forever */
  guint                   batch_size;
  guint                   shard_count;
  guint64                 global_buffer_size;   /* 0: unlimited */
  EsBackpressureStrategy  backpressure_strategy;
  EsBackpressureFunc      backpressure_func;
  gpointer                backpressure_data;
  GDestroyNotify          backpressure_destroy;
  gboolean                enable_metrics;
  GTimeSpan               metrics_reporting_interval;
  gboolean                adaptive;             /* adaptive backpressure */
  gdouble                 low_watermark;        /* 0..1 */
  gdouble                 high_watermark;       /* 0..1, > low */
  GTimeSpan               max_throttle_delay;   /* µs */
} EsConfig;

/* What publishers and subscribers read on their hot paths, reached through
 * one pointer they cache at construction. */
typedef struct {
  atomic_int   state;                      /* EsEventSystemState */
  atomic_uint  generation;                 /* odd while a subscription changes, see below */
  EsConfig     config;
  EsBufferManager *buffer_manager;         /* owned by the system */
  guint64      trace_salt;                 /* seeds this system's lazy trace ids */
  EsMetrics   *metrics;                    /* owned, NULL when off */
} EsSystemCore;

typedef struct _EsSubEndpoint EsSubEndpoint;

/* An immutable, refcounted list of subscriber endpoints: what a publisher
 * delivers to. */
typedef struct {
  atomic_int     ref_count;
  guint          n;
  EsSubEndpoint *subs[];
} EsSubList;

/* References each endpoint. */
EsSubList     *_es_sub_list_new             (EsSubEndpoint * const *subs,
                                             guint                  n);
EsSubList     *_es_sub_list_ref             (EsSubList            *list);
void           _es_sub_list_unref           (EsSubList            *list);

EsSystemCore  *_es_event_system_get_core    (EsEventSystem        *self);
/* Subscription changes are bracketed like a seqlock: the generation is odd
 * while a change is in progress, so a publisher that read cursors across a
 * change sees two different (or an odd) generation and reads again. */
void           _es_event_system_begin_change (EsEventSystem       *self);
void           _es_event_system_end_change   (EsEventSystem       *self);
void           _es_event_system_add_subscriber    (EsEventSystem  *self,
                                                   EsSubscriber   *subscriber);
void           _es_event_system_remove_subscriber (EsEventSystem  *self,
                                                   EsSubscriber   *subscriber);
GPtrArray     *_es_event_system_dup_subscribers   (EsEventSystem  *self);

static inline gboolean
_es_system_core_is_running (EsSystemCore *core)
{
  return atomic_load_explicit (&core->state, memory_order_acquire) == ES_EVENT_SYSTEM_STATE_RUNNING;
}

/* Sets @error for a publish attempted while not running. */
gboolean       _es_system_core_check_publish_slow (EsSystemCore   *core,
                                                   GError        **error);

static inline gboolean
_es_system_core_check_publish (EsSystemCore  *core,
                               GError       **error)
{
  if (G_LIKELY (_es_system_core_is_running (core)))
    return TRUE;
  return _es_system_core_check_publish_slow (core, error);
}

G_END_DECLS
