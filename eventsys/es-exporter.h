/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <gio/gio.h>

#include "es-types.h"
#include "es-metrics.h"

/**
 * SECTION:es-exporter
 * @title: Exporters
 * @short_description: JSON, Prometheus text and Pushgateway export of metrics
 * @include: eventsys/eventsys.h
 *
 * JSON, Prometheus text and Pushgateway export of metrics.
 */

G_BEGIN_DECLS

/**
 * EsMetricsFormat:
 * @ES_METRICS_FORMAT_JSON: the JSON document described in
 *   es_metrics_snapshot_to_json().
 * @ES_METRICS_FORMAT_PROMETHEUS: Prometheus text exposition format 0.0.4,
 *   described in es_metrics_snapshot_to_prometheus().
 *
 * Output formats of an #EsMetricsReporter.
 *
 * Since: 1.0
 */
typedef enum {
  ES_METRICS_FORMAT_JSON,
  ES_METRICS_FORMAT_PROMETHEUS,
} EsMetricsFormat;

/**
 * EsMetricsExportFlags:
 * @ES_METRICS_EXPORT_NONE: totals, gauges and per-event-type counters only.
 * @ES_METRICS_EXPORT_SUBSCRIBERS: also one entry per subscriber (the
 *   reporter's "detailed view").
 * @ES_METRICS_EXPORT_HISTOGRAMS: also the latency histograms (bucket counts);
 *   percentiles are always in the JSON.
 *
 * What an export contains.
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/ {
  ES_METRICS_EXPORT_NONE        = 0,
  ES_METRICS_EXPORT_SUBSCRIBERS = 1 << 0,
  ES_METRICS_EXPORT_HISTOGRAMS  = 1 << 1,
} EsMetricsExportFlags;

/**
 * ES_METRICS_EXPORT_ALL:
 *
 * Every #EsMetricsExportFlags flag: what the HTTP endpoint serves.
 *
 * Since: 1.0
 */
#define ES_METRICS_EXPORT_ALL (ES_METRICS_EXPORT_SUBSCRIBERS | ES_METRICS_EXPORT_HISTOGRAMS)

/**
 * ES_METRICS_PROMETHEUS_CONTENT_TYPE:
 *
 * The HTTP content type of es_metrics_snapshot_to_prometheus() output.
 *
 * Since: 1.0
 */
#define ES_METRICS_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/**
 * ES_TYPE_METRICS_REPORTER:
 *
 * The #GType of #EsMetricsReporter.
 *
 * Since: 1.0
 */
#define ES_TYPE_METRICS_REPORTER (es_metrics_reporter_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsMetricsReporter, es_metrics_reporter, ES, METRICS_REPORTER, GObject)

/* Export of one snapshot */

ES_AVAILABLE_IN_ALL
char              *es_metrics_snapshot_to_prometheus            (EsMetricsSnapshot     *snapshot,
                                                                 EsMetricsExportFlags   flags) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
char              *es_metrics_snapshot_to_json                  (EsMetricsSnapshot     *snapshot,
                                                                 EsMetricsExportFlags   flags,
                                                                 gboolean               pretty) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
gboolean           es_metrics_snapshot_write_file               (EsMetricsSnapshot     *snapshot,
                                                                 EsMetricsFormat        format,
                                                                 EsMetricsExportFlags   flags,
                                                                 const char            *path,
                                                                 GError               **error);
ES_AVAILABLE_IN_ALL
gboolean           es_metrics_snapshot_push                     (EsMetricsSnapshot     *snapshot,
                                                                 const char            *gateway_url,
                                                                 const char            *job,
                                                                 const char            *instance,
                                                                 EsMetricsExportFlags   flags,
                                                                 GCancellable          *cancellable,
                                                                 GError               **error);
ES_AVAILABLE_IN_ALL
void               es_metrics_snapshot_push_async               (EsMetricsSnapshot     *snapshot,
                                                                 const char            *gateway_url,
                                                                 const char            *job,
                                                                 const char            *instance,
                                                                 EsMetricsExportFlags   flags,
                                                                 GCancellable          *cancellable,
                                                                 GAsyncReadyCallback    callback,
                                                                 gpointer               user_data);
ES_AVAILABLE_IN_ALL
gboolean           es_metrics_snapshot_push_finish              (GAsyncResult          *result,
                                                                 GError               **error);

/* EsMetricsReporter */

ES_AVAILABLE_IN_ALL
EsMetricsReporter *es_metrics_get_reporter                      (EsMetrics             *self);

ES_AVAILABLE_IN_ALL
EsMetrics         *es_metrics_reporter_dup_metrics              (EsMetricsReporter     *self) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
gboolean           es_metrics_reporter_add_output               (EsMetricsReporter     *self,
                                                                 EsMetricsFormat        format,
                                                                 const char            *destination,
                                                                 GError               **error);
ES_AVAILABLE_IN_ALL
void               es_metrics_reporter_clear_outputs            (EsMetricsReporter     *self);
ES_AVAILABLE_IN_ALL
guint              es_metrics_reporter_get_n_outputs            (EsMetricsReporter     *self);
ES_AVAILABLE_IN_ALL
gboolean           es_metrics_reporter_get_detailed_view        (EsMetricsReporter     *self);
ES_AVAILABLE_IN_ALL
void               es_metrics_reporter_set_detailed_view        (EsMetricsReporter     *self,
                                                                 gboolean               detailed);
ES_AVAILABLE_IN_ALL
gboolean           es_metrics_reporter_get_histograms           (EsMetricsReporter     *self);
ES_AVAILABLE_IN_ALL
void               es_metrics_reporter_set_histograms           (EsMetricsReporter     *self,
                                                                 gboolean               enabled);
ES_AVAILABLE_IN_ALL
char             **es_metrics_reporter_dup_tracked_event_types  (EsMetricsReporter     *self) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
void               es_metrics_reporter_set_tracked_event_types  (EsMetricsReporter     *self,
                                                                 const char * const    *event_types);
ES_AVAILABLE_IN_ALL
const char        *es_metrics_reporter_get_push_job             (EsMetricsReporter     *self);
ES_AVAILABLE_IN_ALL
void               es_metrics_reporter_set_push_job             (EsMetricsReporter     *self,
                                                                 const char            *job);
ES_AVAILABLE_IN_ALL
const char        *es_metrics_reporter_get_push_instance        (EsMetricsReporter     *self);
ES_AVAILABLE_IN_ALL
void               es_metrics_reporter_set_push_instance        (EsMetricsReporter     *self,
                                                                 const char            *instance);
ES_AVAILABLE_IN_ALL
gboolean           es_metrics_reporter_report_now               (EsMetricsReporter     *self,
                                                                 GCancellable          *cancellable,
                                                                 GError               **error);

G_END_DECLS
