/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <glib-object.h>

#include "es-types.h"

/**
 * SECTION:es-event
 * @title: EsEvent
 * @short_description: The sealed, refcounted envelope subscribers receive
 * @include: eventsys/eventsys.h
 *
 * The sealed, refcounted envelope subscribers receive.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_EVENT:
 *
 * The #GType of #EsEvent.
 *
 * Since: 1.0
 */
#define ES_TYPE_EVENT (es_event_get_type ())

ES_AVAILABLE_IN_ALL
GType            es_event_get_type          (void) G_GNUC_CONST;

ES_AVAILABLE_IN_ALL
EsEvent         *es_event_new               (GType            event_type,
                                             gconstpointer    data,
                                             gsize            size) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsEvent         *es_event_new_object        (gpointer         object) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsEvent         *es_event_new_bytes         (GType            event_type,
                                             GBytes          *bytes) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsEvent         *es_event_new_variant       (GVariant        *value) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsEvent         *es_event_ref               (EsEvent         *event);
ES_AVAILABLE_IN_ALL
void             es_event_unref             (EsEvent         *event);

ES_AVAILABLE_IN_ALL
GType            es_event_get_event_type    (const EsEvent   *event);
ES_AVAILABLE_IN_ALL
guint64          es_event_get_sequence      (const EsEvent   *event);
ES_AVAILABLE_IN_ALL
gint64           es_event_get_timestamp     (const EsEvent   *event);
ES_AVAILABLE_IN_ALL
EsEventPriority  es_event_get_priority      (const EsEvent   *event);
ES_AVAILABLE_IN_ALL
void             es_event_set_priority      (EsEvent         *event,
                                             EsEventPriority  priority);
ES_AVAILABLE_IN_ALL
gboolean         es_event_is_sealed         (const EsEvent   *event);

ES_AVAILABLE_IN_ALL
gconstpointer    es_event_get_data          (const EsEvent   *event,
                                             gsize           *size);
ES_AVAILABLE_IN_ALL
gpointer         es_event_get_object        (const EsEvent   *event);
ES_AVAILABLE_IN_ALL
GBytes          *es_event_get_bytes         (const EsEvent   *event);
ES_AVAILABLE_IN_ALL
GVariant        *es_event_get_variant       (const EsEvent   *event);

ES_AVAILABLE_IN_ALL
char            *es_event_dup_traceparent   (const EsEvent   *event) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
char            *es_event_dup_trace_id      (const EsEvent   *event) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
gboolean         es_event_set_traceparent   (EsEvent         *event,
                                             const char      *traceparent,
                                             GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsEvent, es_event_unref)

G_END_DECLS
