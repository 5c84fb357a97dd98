/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <gio/gio.h>

#include "es-types.h"

/**
 * SECTION:es-subscriber
 * @title: EsSubscriber
 * @short_description: Receives the events of one type: blocking, async or in a main loop
 * @include: eventsys/eventsys.h
 *
 * Receives the events of one type: blocking, async or in a main loop.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_SUBSCRIBER:
 *
 * The #GType of #EsSubscriber.
 *
 * Since: 1.0
 */
#define ES_TYPE_SUBSCRIBER (es_subscriber_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (EsSubscriber, es_subscriber, ES, SUBSCRIBER, GObject)

/**
 * EsSubscriberClass:
 * @parent_class: the parent class
 * @try_receive_events: take up to @max_events queued events without waiting;
 *   returns how many were stored in @events (owned by the caller)
 * @try_receive_data: copy up to @max_elements queued plain-data payloads of
 *   @element_size bytes into @data without waiting; returns how many.
 *   Unless @samples is %NULL (metrics are off), it has room for
 *   @max_elements entries and receives, packed from its start, the publish
 *   times (g_get_monotonic_time()) of the payloads the implementation
 *   picked as latency samples (one in #EsMetrics:latency-sampling), whose
 *   number goes to @n_samples
 * @get_queue_depth: events queued for this subscriber now
 * @get_published_count: events published to this subscriber since it
 *   subscribed (delivered + dropped + filtered + still queued)
 * @close: detach from the implementation's registry; called once, by
 *   es_subscriber_unsubscribe() or by shutdown
 * @event: class closure of #EsSubscriber::event
 * @lagged: class closure of #EsSubscriber::lagged
 *
 * Implementations fill the non-blocking primitives; the base class builds
 * blocking, timed, cancellable, asynchronous and main-loop delivery on them,
 * and applies filters and counters identically for every implementation.
 *
 * Since: 1.0
 */
struct _EsSubscriberClass
{
  GObjectClass parent_class;

  guint    (*try_receive_events)  (EsSubscriber  *self,
                                   EsEvent      **events,
                                   guint          max_events);
  guint    (*try_receive_data)    (EsSubscriber  *self,
                                   guint8        *data,
                                   gsize          element_size,
                                   guint          max_elements,
                                   gint64        *samples,
                                   guint         *n_samples);
  gsize    (*get_queue_depth)     (EsSubscriber  *self);
  guint64  (*get_published_count) (EsSubscriber  *self);
  void     (*close)               (EsSubscriber  *self);

  void     (*event)               (EsSubscriber  *self,
                                   EsEvent       *event);
  void     (*lagged)              (EsSubscriber  *self,
                                   guint64        n_missed);

  /*< private >*/
  gpointer _reserved[12];
};

ES_AVAILABLE_IN_ALL
EsEventSystem *es_subscriber_get_system           (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
GType          es_subscriber_get_event_type       (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
guint64        es_subscriber_get_id               (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
const char    *es_subscriber_get_name             (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
void           es_subscriber_set_name             (EsSubscriber         *self,
                                                   const char           *name);

ES_AVAILABLE_IN_ALL
EsEvent       *es_subscriber_receive              (EsSubscriber         *self,
                                                   GCancellable         *cancellable,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsEvent       *es_subscriber_receive_timeout      (EsSubscriber         *self,
                                                   GTimeSpan             timeout,
                                                   GCancellable         *cancellable,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
EsEvent       *es_subscriber_try_receive          (EsSubscriber         *self,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
gboolean       es_subscriber_receive_data         (EsSubscriber         *self,
                                                   gpointer              data,
                                                   gsize                 size,
                                                   GTimeSpan             timeout,
                                                   GCancellable         *cancellable,
                                                   GError              **error);
ES_AVAILABLE_IN_ALL
guint          es_subscriber_receive_data_batch   (EsSubscriber         *self,
                                                   gpointer              data,
                                                   gsize                 element_size,
                                                   guint                 max_elements,
                                                   GTimeSpan             timeout,
                                                   GCancellable         *cancellable,
                                                   GError              **error);
ES_AVAILABLE_IN_ALL
GPtrArray     *es_subscriber_receive_batch        (EsSubscriber         *self,
                                                   guint                 max_events,
                                                   GTimeSpan             timeout,
                                                   GCancellable         *cancellable,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
void           es_subscriber_receive_async        (EsSubscriber         *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
ES_AVAILABLE_IN_ALL
EsEvent       *es_subscriber_receive_finish       (EsSubscriber         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;

ES_AVAILABLE_IN_ALL
GSource       *es_subscriber_create_source        (EsSubscriber         *self) G_GNUC_WARN_UNUSED_RESULT;
ES_AVAILABLE_IN_ALL
guint          es_subscriber_attach               (EsSubscriber         *self,
                                                   GMainContext         *context,
                                                   EsSubscriberFunc      func,
                                                   gpointer              user_data,
                                                   GDestroyNotify        destroy);
ES_AVAILABLE_IN_ALL
void           es_subscriber_detach               (EsSubscriber         *self);

ES_AVAILABLE_IN_ALL
void           es_subscriber_unsubscribe          (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
gboolean       es_subscriber_is_closed            (EsSubscriber         *self);

ES_AVAILABLE_IN_ALL
guint64        es_subscriber_get_published_count  (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
guint64        es_subscriber_get_received_count   (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
guint64        es_subscriber_get_dropped_count    (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
guint64        es_subscriber_get_filtered_count   (EsSubscriber         *self);
ES_AVAILABLE_IN_ALL
gsize          es_subscriber_get_queue_depth      (EsSubscriber         *self);

G_END_DECLS
