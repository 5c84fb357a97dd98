/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "es-event-private.h"
#include "es-static-publisher-private.h"

/**
 * EsStaticPublisher:
 *
 * The static fast path's publisher: es_publisher_publish_data() claims a
 * slot in its type's preallocated ring and copies the payload into it — no
 * allocation, no lock. es_publisher_publish_data_batch() claims a run of
 * slots at once and makes them visible a chunk at a time. While a single thread publishes events of the type it
 * claims slots with plain loads and stores; once a second thread publishes,
 * every thread claims with one CAS. See #EsPublisher for the API.
 *
 * Since: 1.0
 */

G_DEFINE_FINAL_TYPE (EsStaticPublisher, es_static_publisher, ES_TYPE_PUBLISHER)

static gboolean
es_static_publisher_publish (EsPublisher   *publisher,
                             EsEvent       *event,
                             GCancellable  *cancellable,
                             GError       **error)
{
  EsStaticPublisher *self = (EsStaticPublisher *) publisher;
  GError *local_error = NULL;
  gconstpointer data;
  gboolean ok;

  if (G_UNLIKELY (!_es_publisher_check_type (self->shared, event->event_type, error)))
    return FALSE;

  if (self->ring->kind == ES_EVENT_KIND_OBJECT)
    {
      if (event->payload_kind != ES_PAYLOAD_OBJECT)
        {
          g_set_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH, "Event has no object payload");
          return FALSE;
        }
      data = &event->payload;
    }
  else
    {
      gsize size = 0;

      data = es_event_get_data (event, &size);
      if (size != self->ring->payload_size)
        {
          g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                       "%s events are %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
                       g_type_name (self->ring->event_type), self->ring->payload_size, size);
          return FALSE;
        }
    }

  ok = _es_static_ring_publish (self->ring, publisher, self->shared, data, event, cancellable, &local_error);
  return _es_publisher_finish (self->shared, ok, local_error, error, event->size);
}

static gboolean
es_static_publisher_publish_object (EsPublisher   *publisher,
                                    GObject       *object,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  EsStaticPublisher *self = (EsStaticPublisher *) publisher;
  GError *local_error = NULL;
  gboolean ok;

  if (G_UNLIKELY (!_es_publisher_check_type (self->shared, G_OBJECT_TYPE (object), error)))
    return FALSE;
  ok = _es_static_ring_publish (self->ring, publisher, self->shared, &object, NULL, cancellable, &local_error);
  return _es_publisher_finish (self->shared, ok, local_error, error, 0);
}

static gboolean
es_static_publisher_publish_data_batch (EsPublisher   *publisher,
                                        gconstpointer  data,
                                        gsize          element_size,
                                        guint          n_elements,
                                        guint         *n_published,
                                        GCancellable  *cancellable,
                                        GError       **error)
{
  EsStaticPublisher *self = (EsStaticPublisher *) publisher;
  const guint8 *payloads = data;
  guint done = 0;

  while (done < n_elements)
    {
      const guint8 *next = payloads + (gsize) done * element_size;
      guint k;

      if (G_UNLIKELY (!_es_publisher_check_data (self->shared, element_size, error)))
        break;
      k = _es_static_ring_publish_run (self->ring, publisher, self->shared, next, element_size, n_elements - done);
      if (k == 0)
        k = _es_static_ring_publish_run_shared (self->ring, publisher, self->shared, next, element_size,
                                                n_elements - done);
      if (k > 0)
        {
          _es_publisher_count_published (self->shared, k, (gsize) k * element_size);
          done += k;
          continue;
        }
      /* One payload through the whole protocol: it refreshes the gate,
       * applies backpressure or claims among several producers. Runs may
       * follow it again. */
      if (!_es_static_publisher_publish_data (publisher, next, element_size, cancellable, error))
        break;
      done++;
    }

  *n_published = done;
  return done == n_elements;
}

static void
es_static_publisher_class_init (EsStaticPublisherClass *klass)
{
  EsPublisherClass *publisher_class = ES_PUBLISHER_CLASS (klass);

  _es_publisher_builtin_classes[0] = klass;

  publisher_class->publish = es_static_publisher_publish;
  publisher_class->publish_data = _es_static_publisher_publish_data;
  publisher_class->publish_object = es_static_publisher_publish_object;
  publisher_class->publish_data_batch = es_static_publisher_publish_data_batch;
}

static void
es_static_publisher_init (EsStaticPublisher *self)
{
}

static EsSubList *
collect_targets (EsPublisher *publisher)
{
  EsStaticRing *ring = ((EsStaticPublisher *) publisher)->ring;
  EsSubList *list;

  pthread_mutex_lock (&ring->lock);
  list = _es_sub_list_new ((EsSubEndpoint * const *) ring->subs->pdata, ring->subs->len);
  pthread_mutex_unlock (&ring->lock);
  return list;
}

EsPublisher *
_es_static_publisher_new (EsEventSystem *system,
                          GType          event_type,
                          EsStaticRing  *ring)
{
  EsStaticPublisher *self = g_object_new (ES_TYPE_STATIC_PUBLISHER, NULL);

  _es_publisher_setup (ES_PUBLISHER (self), system, event_type, collect_targets);
  self->shared = _es_publisher_get_shared (ES_PUBLISHER (self));
  self->ring = ring;
  return ES_PUBLISHER (self);
}
