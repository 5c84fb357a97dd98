/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>

#include <json-glib/json-glib.h>

#include "es-metrics.h"
#include "es-exporter.h"
#include "es-http.h"
#include "es-histogram-private.h"

G_BEGIN_DECLS

/* Number of #EsDropReason values (kept out of the public enum so that it
 * never becomes a registered enum value). */
#define ES_DROP_REASON_N (ES_DROP_REASON_SHUTDOWN + 1)


/* --- Called by the core ---------------------------------------------------
 *
 * _es_metrics_new(): the system owns the returned reference; @system is kept
 * as a weak reference.
 * _es_metrics_start(): start the reporting timer on @context (NULL: the
 * thread-default context of the caller). #EsMetrics::metrics-reported is
 * emitted there.
 * _es_metrics_stop(): stop the timer (and the dashboard, if any). Idempotent.
 *
 * The record functions are lock-free, callable from any thread, only
 * called when metrics are enabled. @type_index is the event type's dense
 * registry index. */

EsMetrics *_es_metrics_new            (EsEventSystem *system);
void       _es_metrics_start          (EsMetrics     *metrics,
                                       GMainContext  *context);
void       _es_metrics_stop           (EsMetrics     *metrics);

/* The start of struct _EsMetrics, read inline by the publish path. */
typedef struct {
  GObject         parent_instance;
  _Atomic guint64 sample_mask;
} EsMetricsHead;

/* For publishers that stamp only latency samples: the events whose sequence
 * has these bits clear are the samples (one in latency-sampling, rounded
 * down to a power of two). */
static inline guint64
_es_metrics_sample_mask (EsMetrics *metrics)
{
  return atomic_load_explicit (&((EsMetricsHead *) metrics)->sample_mask, memory_order_relaxed);
}

/* Published and delivered counts are not recorded per event: every
 * publisher and subscriber counts its own events anyway (its
 * get_published_count() / get_received_count()), so each registers those
 * counters as a source for its lifetime and the metrics sum them when read.
 * What a removed source counted stays in the type's totals. A count is the
 * sum of two counters (an owning thread's plain one and the shared atomic
 * one), the same for bytes. */
typedef struct {
  GType                         event_type;
  guint                         type_index;
  gboolean                      delivers;       /* a subscriber's: counts deliveries */
  const atomic_uint_least64_t  *count[2];
  const atomic_uint_least64_t  *bytes[2];
} EsMetricsSource;

/* @source must stay valid and keep its address until removed; remove it
 * once it counts no more (finalization). */
void       _es_metrics_add_source     (EsMetrics       *metrics,
                                       EsMetricsSource *source);
void       _es_metrics_remove_source  (EsMetrics       *metrics,
                                       EsMetricsSource *source);

/* Latency of a delivered envelope, one in the sampling countdown of the
 * receiving thread. @publish_time_us: its publish time; 0 when it was not
 * taken (nothing recorded). */
void       _es_metrics_record_latency (EsMetrics     *metrics,
                                       GType          event_type,
                                       guint          type_index,
                                       gint64         publish_time_us);
/* Records the latency of a sample (picked by the publisher, or by
 * _es_metrics_record_latency()), received at @now_us (one clock read serves
 * every sample of a batch taken at once). */
void       _es_metrics_record_picked  (EsMetrics     *metrics,
                                       GType          event_type,
                                       guint          type_index,
                                       gint64         publish_time_us,
                                       gint64         now_us);
void       _es_metrics_record_drop    (EsMetrics     *metrics,
                                       GType          event_type,
                                       guint          type_index,
                                       EsDropReason   reason,
                                       guint64        n);
void       _es_metrics_record_reject  (EsMetrics     *metrics,
                                       GType          event_type,
                                       guint          type_index);
void       _es_metrics_record_blocked (EsMetrics     *metrics,
                                       GType          event_type,
                                       guint          type_index,
                                       gint64         blocked_us);

/* --- Shared between es-metrics.c, es-exporter.c and es-http.c ------------ */

struct _EsEventTypeMetrics
{
  gatomicrefcount ref_count;

  char           *name;                         /* owned */
  GType           event_type;

  guint64         published;
  guint64         published_bytes;
  guint64         delivered;
  guint64         delivered_bytes;
  guint64         dropped[ES_DROP_REASON_N];
  guint64         rejected;
  guint64         blocked_count;
  guint64         blocked_us;

  guint           subscriber_count;
  guint64         queue_depth;
  gdouble         max_queue_utilization;

  gdouble         events_per_second;
  gdouble         bytes_per_second;
  gdouble         events_per_second_avg;
  gdouble         bytes_per_second_avg;

  EsHistogramData latency;                      /* cumulative, µs */
  EsHistogramData window_latency;               /* over the snapshot's interval */
};

struct _EsSubscriberMetrics
{
  gatomicrefcount ref_count;

  guint64         id;
  char           *name;                         /* owned, nullable */
  char           *event_type_name;              /* owned */
  GType           event_type;
  guint64         published;
  guint64         received;
  guint64         dropped;
  guint64         filtered;
  guint64         queue_depth;
  gdouble         queue_utilization;
};

struct _EsMetricsSnapshot
{
  gatomicrefcount      ref_count;

  gint64               timestamp;               /* g_get_real_time() */
  gint64               monotonic_time;          /* g_get_monotonic_time() */
  GTimeSpan            interval;

  char                *system_name;             /* owned */
  EsImplementationType implementation;
  EsEventSystemState   state;

  guint                subscriber_count;
  guint64              buffered_bytes;
  guint64              buffered_events;
  guint64              buffer_limit_bytes;
  gdouble              buffer_utilization;
  guint                channel_capacity;

  /* Sums over event_types (computed once at construction). */
  EsEventTypeMetrics  *totals;                  /* owned; name "" */

  GPtrArray           *event_types;             /* owned, element-type EsEventTypeMetrics, sorted by name */
  GPtrArray           *subscribers;             /* owned, element-type EsSubscriberMetrics, sorted by id */
};

EsMetricsSnapshot  *_es_metrics_snapshot_new_empty (void);
void                _es_metrics_snapshot_compute_totals (EsMetricsSnapshot *self);
const char         *_es_drop_reason_to_string   (EsDropReason reason);
const char         *_es_implementation_to_string (EsImplementationType implementation);
const char         *_es_state_to_string          (EsEventSystemState   state);

/* es-exporter.c */
EsMetricsReporter  *_es_metrics_reporter_new    (EsMetrics         *metrics);
void                _es_metrics_reporter_report (EsMetricsReporter *reporter,
                                                 EsMetricsSnapshot *snapshot);
JsonNode           *_es_metrics_snapshot_to_json_node (EsMetricsSnapshot    *snapshot,
                                                       EsMetricsExportFlags  flags);
char               *_es_metrics_push_url        (const char        *gateway_url,
                                                 const char        *job,
                                                 const char        *instance);

/* es-metrics.c: the dashboard server kept by es_metrics_start_dashboard(). */
EsEventSystem      *_es_metrics_dup_system      (EsMetrics         *metrics);

G_END_DECLS
