/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <gio/gio.h>

#include "es-types.h"

/**
 * SECTION:es-publisher
 * @title: EsPublisher
 * @short_description: Publishes the events of one type
 * @include: eventsys/eventsys.h
 *
 * Publishes the events of one type.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_PUBLISHER:
 *
 * The #GType of #EsPublisher.
 *
 * Since: 1.0
 */
#define ES_TYPE_PUBLISHER (es_publisher_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (EsPublisher, es_publisher, ES, PUBLISHER, GObject)

/**
 * EsPublisherClass:
 * @parent_class: the parent class
 * @publish: publish an envelope (es_publisher_publish())
 * @publish_data: publish plain data (es_publisher_publish_data())
 * @publish_object: publish a #GObject (es_publisher_publish_object())
 * @backpressure_changed: class closure of #EsPublisher::backpressure-changed
 * @publish_data_batch: publish consecutive plain-data payloads
 *   (es_publisher_publish_data_batch(), which passes a non-%NULL
 *   @n_published); optional, %NULL publishes them one by one with
 *   @publish_data
 * @publish_take: publish an envelope, taking the caller's reference
 *   (es_publisher_publish_take()); the default calls @publish and drops
 *   the reference
 *
 * Implementations fill @publish, @publish_data and @publish_object. The
 * public functions check only their arguments' validity
 * (g_return_val_if_fail()) and dispatch, so that the unified API costs no
 * more than the implementation: the vfuncs check the event type, the size
 * and the lifecycle state themselves, and count their results.
 *
 * Since: 1.0
 */
struct _EsPublisherClass
{
  GObjectClass parent_class;

  gboolean (*publish)              (EsPublisher    *self,
                                    EsEvent        *event,
                                    GCancellable   *cancellable,
                                    GError        **error);
  gboolean (*publish_data)         (EsPublisher    *self,
                                    gconstpointer   data,
                                    gsize           size,
                                    GCancellable   *cancellable,
                                    GError        **error);
  gboolean (*publish_object)       (EsPublisher    *self,
                                    GObject        *object,
                                    GCancellable   *cancellable,
                                    GError        **error);

  void     (*backpressure_changed) (EsPublisher        *self,
                                    EsBackpressureState state);

  gboolean (*publish_data_batch)   (EsPublisher    *self,
                                    gconstpointer   data,
                                    gsize           element_size,
                                    guint           n_elements,
                                    guint          *n_published,
                                    GCancellable   *cancellable,
                                    GError        **error);
  gboolean (*publish_take)         (EsPublisher    *self,
                                    EsEvent        *event,
                                    GCancellable   *cancellable,
                                    GError        **error);

  /*< private >*/
  gpointer _reserved[10];
};

ES_AVAILABLE_IN_ALL
EsEventSystem       *es_publisher_get_system             (EsPublisher    *self);
ES_AVAILABLE_IN_ALL
GType                es_publisher_get_event_type         (EsPublisher    *self);
ES_AVAILABLE_IN_ALL
gboolean             es_publisher_publish                (EsPublisher    *self,
                                                          EsEvent        *event,
                                                          GCancellable   *cancellable,
                                                          GError        **error);
ES_AVAILABLE_IN_ALL
gboolean             es_publisher_publish_take           (EsPublisher    *self,
                                                          EsEvent        *event,
                                                          GCancellable   *cancellable,
                                                          GError        **error);
ES_AVAILABLE_IN_ALL
gboolean             es_publisher_publish_data           (EsPublisher    *self,
                                                          gconstpointer   data,
                                                          gsize           size,
                                                          GCancellable   *cancellable,
                                                          GError        **error);
ES_AVAILABLE_IN_ALL
gboolean             es_publisher_publish_object         (EsPublisher    *self,
                                                          gpointer        object,
                                                          GCancellable   *cancellable,
                                                          GError        **error);
ES_AVAILABLE_IN_ALL
gboolean             es_publisher_publish_batch          (EsPublisher    *self,
                                                          EsEvent       **events,
                                                          guint           n_events,
                                                          guint          *n_published,
                                                          GCancellable   *cancellable,
                                                          GError        **error);
ES_AVAILABLE_IN_ALL
gboolean             es_publisher_publish_data_batch     (EsPublisher    *self,
                                                          gconstpointer   data,
                                                          gsize           element_size,
                                                          guint           n_elements,
                                                          guint          *n_published,
                                                          GCancellable   *cancellable,
                                                          GError        **error);
ES_AVAILABLE_IN_ALL
EsBackpressureState  es_publisher_get_backpressure_state (EsPublisher    *self);
ES_AVAILABLE_IN_ALL
guint64              es_publisher_get_published_count    (EsPublisher    *self);
ES_AVAILABLE_IN_ALL
guint64              es_publisher_get_rejected_count     (EsPublisher    *self);

G_END_DECLS
