/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <gio/gio.h>

#include "es-types.h"

/**
 * SECTION:es-event-system
 * @title: EsEventSystem
 * @short_description: The abstract event system: lifecycle, publishers, subscribers
 * @include: eventsys/eventsys.h
 *
 * The abstract event system: lifecycle, publishers, subscribers.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_EVENT_SYSTEM:
 *
 * The #GType of #EsEventSystem.
 *
 * Since: 1.0
 */
#define ES_TYPE_EVENT_SYSTEM (es_event_system_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (EsEventSystem, es_event_system, ES, EVENT_SYSTEM, GObject)

/**
 * EsEventSystemClass:
 * @parent_class: the parent class
 * @create_publisher: create the implementation's publisher for a type the
 *   base class already validated
 * @subscribe: create the implementation's subscriber for a validated type
 * @start: optional; start implementation resources (threads, pools)
 * @shutdown: stop the implementation: the base class has already refused new
 *   publishes; close every subscriber so that receivers drain and then see
 *   %ES_ERROR_CLOSED, and wake every blocked publisher and receiver
 * @supports_type: whether the implementation can carry the event type
 *
 * The virtual functions an implementation fills. A third implementation (for
 * example a network bridge) subclasses #EsEventSystem, #EsPublisher and
 * #EsSubscriber without touching the others.
 *
 * Since: 1.0
 */
struct _EsEventSystemClass
{
  GObjectClass parent_class;

  EsPublisher  *(*create_publisher) (EsEventSystem  *self,
                                     GType           event_type,
                                     GError        **error);
  EsSubscriber *(*subscribe)        (EsEventSystem  *self,
                                     GType           event_type,
                                     GError        **error);
  gboolean      (*start)            (EsEventSystem  *self,
                                     GError        **error);
  void          (*shutdown)         (EsEventSystem  *self);
  gboolean      (*supports_type)    (EsEventSystem  *self,
                                     GType           event_type);

  /*< private >*/
  gpointer _reserved[16];
};

ES_AVAILABLE_IN_ALL
EsEventSystem         *es_event_system_get_default               (void);
ES_AVAILABLE_IN_ALL
EsEventSystem         *es_event_system_lookup                    (const char           *name) G_GNUC_WARN_UNUSED_RESULT;

ES_AVAILABLE_IN_ALL
gboolean               es_event_system_start                     (EsEventSystem        *self,
                                                                  GError              **error);
ES_AVAILABLE_IN_ALL
gboolean               es_event_system_shutdown                  (EsEventSystem        *self,
                                                                  GError              **error);
ES_AVAILABLE_IN_ALL
void                   es_event_system_shutdown_async            (EsEventSystem        *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
ES_AVAILABLE_IN_ALL
gboolean               es_event_system_shutdown_finish           (EsEventSystem        *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);

ES_AVAILABLE_IN_ALL
EsPublisher           *es_event_system_create_publisher          (EsEventSystem        *self,
                                                                  GType                 event_type,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsSubscriber          *es_event_system_subscribe                 (EsEventSystem        *self,
                                                                  GType                 event_type,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsSubscriber          *es_event_system_subscribe_filtered        (EsEventSystem        *self,
                                                                  GType                 event_type,
                                                                  EsEventFilterFunc     filter,
                                                                  gpointer              user_data,
                                                                  GDestroyNotify        destroy,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;

ES_AVAILABLE_IN_ALL
EsImplementationType   es_event_system_get_implementation        (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
EsEventSystemState     es_event_system_get_state                 (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
const char            *es_event_system_get_name                  (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
EsBufferManager       *es_event_system_get_buffer_manager        (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
EsMetrics             *es_event_system_get_metrics               (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
guint                  es_event_system_get_channel_capacity      (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
guint                  es_event_system_get_batch_size            (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
GTimeSpan              es_event_system_get_default_timeout       (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
EsBackpressureStrategy es_event_system_get_backpressure_strategy (EsEventSystem        *self);
ES_AVAILABLE_IN_ALL
guint                  es_event_system_get_subscriber_count      (EsEventSystem        *self);

G_END_DECLS
