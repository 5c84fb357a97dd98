/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <glib-object.h>

#include "es-types.h"

/**
 * SECTION:es-metrics
 * @title: EsMetrics
 * @short_description: Counters, gauges, throughput and latency histograms
 * @include: eventsys/eventsys.h
 *
 * Counters, gauges, throughput and latency histograms.
 */

G_BEGIN_DECLS

/**
 * EsDropReason:
 * @ES_DROP_REASON_DROP_OLDEST: a queued event was evicted to make room
 *   (%ES_BACKPRESSURE_DROP_OLDEST, or %ES_BACKPRESSURE_ACTION_DROP_OLDEST).
 * @ES_DROP_REASON_DROP_NEWEST: a new event did not reach a subscriber because
 *   its queue or the global buffer was full (%ES_BACKPRESSURE_DROP_NEWEST).
 * @ES_DROP_REASON_CUSTOM: a custom #EsBackpressureFunc decided to drop it.
 * @ES_DROP_REASON_SHUTDOWN: still queued when the system was shut down and
 *   never received.
 *
 * Why events were dropped; the `reason` label of `es_events_dropped_total`
 * and the keys of the `dropped` objects in the JSON export use the lower-case
 * nicks `drop_oldest`, `drop_newest`, `custom` and `shutdown`.
 *
 * Since: 1.0
 */
typedef enum {
  ES_DROP_REASON_DROP_OLDEST,
  ES_DROP_REASON_DROP_NEWEST,
  ES_DROP_REASON_CUSTOM,
  ES_DROP_REASON_SHUTDOWN,
} EsDropReason;

/**
 * ES_TYPE_METRICS:
 *
 * The #GType of #EsMetrics.
 *
 * Since: 1.0
 */
#define ES_TYPE_METRICS               (es_metrics_get_type ())
/**
 * ES_TYPE_METRICS_SNAPSHOT:
 *
 * The #GType of #EsMetricsSnapshot.
 *
 * Since: 1.0
 */
#define ES_TYPE_METRICS_SNAPSHOT      (es_metrics_snapshot_get_type ())
/**
 * ES_TYPE_EVENT_TYPE_METRICS:
 *
 * The #GType of #EsEventTypeMetrics.
 *
 * Since: 1.0
 */
#define ES_TYPE_EVENT_TYPE_METRICS    (es_event_type_metrics_get_type ())
/**
 * ES_TYPE_SUBSCRIBER_METRICS:
 *
 * The #GType of #EsSubscriberMetrics.
 *
 * Since: 1.0
 */
#define ES_TYPE_SUBSCRIBER_METRICS    (es_subscriber_metrics_get_type ())

/**
 * ES_METRICS_DEFAULT_LATENCY_SAMPLING:
 *
 * The default of #EsMetrics:latency-sampling: one delivered event in this
 * many has its publish-to-receive latency recorded. Each sample reads the
 * clock twice (at publish and at receive) and updates a histogram; with
 * the bookkeeping around them, metrics cost 3-6% of the static
 * implementation's publish and receive together at 256 (about 24 ns per
 * event on one thread; the receiving side's clock read and histogram
 * update are nearly half of that) and 1-2% of the zero-copy one's, and
 * still record hundreds of samples per second at 100,000 events/s.
 *
 * Since: 1.0
 */
#define ES_METRICS_DEFAULT_LATENCY_SAMPLING 256

typedef struct _EsMetricsSnapshot   EsMetricsSnapshot;
typedef struct _EsEventTypeMetrics  EsEventTypeMetrics;
typedef struct _EsSubscriberMetrics EsSubscriberMetrics;

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsMetrics, es_metrics, ES, METRICS, GObject)

ES_AVAILABLE_IN_ALL
GTimeSpan            es_metrics_get_reporting_interval (EsMetrics           *self);
ES_AVAILABLE_IN_ALL
guint                es_metrics_get_latency_sampling   (EsMetrics           *self);
ES_AVAILABLE_IN_ALL
void                 es_metrics_set_latency_sampling   (EsMetrics           *self,
                                                        guint                sampling);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_get_total_published    (EsMetrics           *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_get_total_delivered    (EsMetrics           *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_get_total_dropped      (EsMetrics           *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_get_total_rejected     (EsMetrics           *self);
ES_AVAILABLE_IN_ALL
gdouble              es_metrics_get_buffer_utilization (EsMetrics           *self);
ES_AVAILABLE_IN_ALL
EsMetricsSnapshot   *es_metrics_get_snapshot           (EsMetrics           *self);
ES_AVAILABLE_IN_ALL
EsMetricsSnapshot   *es_metrics_dup_snapshot           (EsMetrics           *self) G_GNUC_WARN_UNUSED_RESULT;

/* EsMetricsSnapshot */

ES_AVAILABLE_IN_ALL
GType                es_metrics_snapshot_get_type                   (void) G_GNUC_CONST;
ES_AVAILABLE_IN_ALL
EsMetricsSnapshot   *es_metrics_snapshot_ref                        (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
void                 es_metrics_snapshot_unref                      (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
gint64               es_metrics_snapshot_get_timestamp              (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
GTimeSpan            es_metrics_snapshot_get_interval               (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
const char          *es_metrics_snapshot_get_system_name            (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
EsImplementationType es_metrics_snapshot_get_implementation         (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
EsEventSystemState   es_metrics_snapshot_get_state                  (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_total_published        (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_total_published_bytes  (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_total_delivered        (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_total_delivered_bytes  (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_total_dropped          (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_dropped                (EsMetricsSnapshot   *self,
                                                                     EsDropReason         reason);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_total_rejected         (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
gdouble              es_metrics_snapshot_get_blocked_seconds        (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint                es_metrics_snapshot_get_subscriber_count       (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_buffered_bytes         (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_buffered_events        (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
guint64              es_metrics_snapshot_get_buffer_limit_bytes     (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
gdouble              es_metrics_snapshot_get_buffer_utilization     (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
gdouble              es_metrics_snapshot_get_events_per_second      (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
gdouble              es_metrics_snapshot_get_bytes_per_second       (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
gdouble              es_metrics_snapshot_get_events_per_second_avg  (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
gdouble              es_metrics_snapshot_get_bytes_per_second_avg   (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
gdouble              es_metrics_snapshot_get_latency_percentile     (EsMetricsSnapshot   *self,
                                                                     gdouble              quantile);
ES_AVAILABLE_IN_ALL
GPtrArray           *es_metrics_snapshot_get_event_types            (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
EsEventTypeMetrics  *es_metrics_snapshot_lookup_event_type          (EsMetricsSnapshot   *self,
                                                                     const char          *name);
ES_AVAILABLE_IN_ALL
GPtrArray           *es_metrics_snapshot_get_subscribers            (EsMetricsSnapshot   *self);
ES_AVAILABLE_IN_ALL
EsMetricsSnapshot   *es_metrics_snapshot_filter                     (EsMetricsSnapshot   *self,
                                                                     const char * const  *event_types) G_GNUC_WARN_UNUSED_RESULT;

/* EsEventTypeMetrics */

ES_AVAILABLE_IN_ALL
GType                es_event_type_metrics_get_type                 (void) G_GNUC_CONST;
ES_AVAILABLE_IN_ALL
EsEventTypeMetrics  *es_event_type_metrics_ref                      (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
void                 es_event_type_metrics_unref                    (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
const char          *es_event_type_metrics_get_name                 (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
GType                es_event_type_metrics_get_event_type           (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_published            (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_published_bytes      (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_delivered            (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_delivered_bytes      (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_dropped_total        (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_dropped              (EsEventTypeMetrics  *self,
                                                                     EsDropReason         reason);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_rejected             (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_blocked_count        (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
gdouble              es_event_type_metrics_get_blocked_seconds      (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint                es_event_type_metrics_get_subscriber_count     (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_queue_depth          (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
gdouble              es_event_type_metrics_get_events_per_second    (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
gdouble              es_event_type_metrics_get_bytes_per_second     (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
gdouble              es_event_type_metrics_get_events_per_second_avg (EsEventTypeMetrics *self);
ES_AVAILABLE_IN_ALL
gdouble              es_event_type_metrics_get_bytes_per_second_avg  (EsEventTypeMetrics *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_latency_count        (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
gdouble              es_event_type_metrics_get_latency_sum          (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_latency_count_le     (EsEventTypeMetrics  *self,
                                                                     gdouble              seconds);
ES_AVAILABLE_IN_ALL
guint64              es_event_type_metrics_get_window_latency_count (EsEventTypeMetrics  *self);
ES_AVAILABLE_IN_ALL
gdouble              es_event_type_metrics_get_latency_percentile   (EsEventTypeMetrics  *self,
                                                                     gdouble              quantile);

/* EsSubscriberMetrics */

ES_AVAILABLE_IN_ALL
GType                es_subscriber_metrics_get_type                 (void) G_GNUC_CONST;
ES_AVAILABLE_IN_ALL
EsSubscriberMetrics *es_subscriber_metrics_ref                      (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
void                 es_subscriber_metrics_unref                    (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
guint64              es_subscriber_metrics_get_id                   (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
const char          *es_subscriber_metrics_get_name                 (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
const char          *es_subscriber_metrics_get_event_type_name      (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
GType                es_subscriber_metrics_get_event_type           (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
guint64              es_subscriber_metrics_get_published            (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
guint64              es_subscriber_metrics_get_received             (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
guint64              es_subscriber_metrics_get_dropped              (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
guint64              es_subscriber_metrics_get_filtered             (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
guint64              es_subscriber_metrics_get_queue_depth          (EsSubscriberMetrics *self);
ES_AVAILABLE_IN_ALL
gdouble              es_subscriber_metrics_get_queue_utilization    (EsSubscriberMetrics *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsMetricsSnapshot, es_metrics_snapshot_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsEventTypeMetrics, es_event_type_metrics_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsSubscriberMetrics, es_subscriber_metrics_unref)

G_END_DECLS
