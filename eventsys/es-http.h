/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <gio/gio.h>

#include "es-types.h"
#include "es-metrics.h"

/**
 * SECTION:es-http
 * @title: HTTP endpoint
 * @short_description: The metrics HTTP server and live dashboard
 * @include: eventsys/eventsys.h
 *
 * The metrics HTTP server and live dashboard.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_METRICS_SERVER:
 *
 * The #GType of #EsMetricsServer.
 *
 * Since: 1.0
 */
#define ES_TYPE_METRICS_SERVER (es_metrics_server_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsMetricsServer, es_metrics_server, ES, METRICS_SERVER, GObject)

ES_AVAILABLE_IN_ALL
EsMetricsServer *es_metrics_server_new       (EsMetrics        *metrics) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
gboolean         es_metrics_server_listen    (EsMetricsServer  *self,
                                              const char       *address,
                                              guint             port,
                                              GError          **error);
ES_AVAILABLE_IN_ALL
void             es_metrics_server_stop      (EsMetricsServer  *self);
ES_AVAILABLE_IN_ALL
gboolean         es_metrics_server_is_listening (EsMetricsServer *self);
ES_AVAILABLE_IN_ALL
guint            es_metrics_server_get_port  (EsMetricsServer  *self);
ES_AVAILABLE_IN_ALL
char            *es_metrics_server_dup_uri   (EsMetricsServer  *self) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsMetrics       *es_metrics_server_dup_metrics (EsMetricsServer *self) G_GNUC_WARN_UNUSED_RESULT;

ES_AVAILABLE_IN_ALL
EsMetricsServer *es_metrics_start_dashboard  (EsMetrics        *self,
                                              guint             port,
                                              GError          **error);
ES_AVAILABLE_IN_ALL
void             es_metrics_stop_dashboard   (EsMetrics        *self);

G_END_DECLS
