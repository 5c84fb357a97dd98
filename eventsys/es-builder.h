/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <glib-object.h>

#include "es-types.h"

/**
 * SECTION:es-builder
 * @title: EsEventSystemBuilder
 * @short_description: Configures and validates a new event system
 * @include: eventsys/eventsys.h
 *
 * Configures and validates a new event system.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_EVENT_SYSTEM_BUILDER:
 *
 * The #GType of #EsEventSystemBuilder.
 *
 * Since: 1.0
 */
#define ES_TYPE_EVENT_SYSTEM_BUILDER (es_event_system_builder_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsEventSystemBuilder, es_event_system_builder, ES, EVENT_SYSTEM_BUILDER, GObject)

ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_new                            (void) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_implementation             (EsEventSystemBuilder   *self,
                                                                              EsImplementationType    implementation);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_name                       (EsEventSystemBuilder   *self,
                                                                              const char             *name);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_channel_capacity           (EsEventSystemBuilder   *self,
                                                                              guint                   capacity);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_max_concurrent_dispatches  (EsEventSystemBuilder   *self,
                                                                              guint                   max);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_enable_priority            (EsEventSystemBuilder   *self,
                                                                              gboolean                enabled);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_default_timeout            (EsEventSystemBuilder   *self,
                                                                              GTimeSpan               timeout);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_batch_size                 (EsEventSystemBuilder   *self,
                                                                              guint                   size);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_shard_count                (EsEventSystemBuilder   *self,
                                                                              guint                   count);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_global_buffer_size         (EsEventSystemBuilder   *self,
                                                                              guint64                 size);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_backpressure_strategy      (EsEventSystemBuilder   *self,
                                                                              EsBackpressureStrategy  strategy);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_backpressure_func          (EsEventSystemBuilder   *self,
                                                                              EsBackpressureFunc      func,
                                                                              gpointer                user_data,
                                                                              GDestroyNotify          destroy);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_adaptive_backpressure      (EsEventSystemBuilder   *self,
                                                                              gboolean                enabled);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_watermarks                 (EsEventSystemBuilder   *self,
                                                                              gdouble                 low,
                                                                              gdouble                 high);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_max_throttle_delay         (EsEventSystemBuilder   *self,
                                                                              GTimeSpan               delay);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_enable_metrics             (EsEventSystemBuilder   *self,
                                                                              gboolean                enabled);
ES_AVAILABLE_IN_ALL
EsEventSystemBuilder *es_event_system_builder_set_metrics_reporting_interval (EsEventSystemBuilder   *self,
                                                                              GTimeSpan               interval);
ES_AVAILABLE_IN_ALL
EsEventSystem        *es_event_system_builder_build                          (EsEventSystemBuilder   *self,
                                                                              GError                **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
