/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "es-publisher-private.h"
#include "es-static-ring-private.h"

G_BEGIN_DECLS

struct _EsStaticPublisher
{
  EsPublisher        parent_instance;
  EsStaticRing      *ring;       /* unowned: the system owns rings and outlives us */
  EsPublisherShared *shared;
};

EsPublisher *_es_static_publisher_new (EsEventSystem *system,
                                       GType          event_type,
                                       EsStaticRing  *ring);

/* es_publisher_publish_data() on the static path: the vfunc, and the
 * unified API's devirtualized call, so that both compile to the same code.
 * The vfunc's copy starts on a cache line, as es_publisher_publish_data()
 * does (ES_HOT_ENTRY): how the two compare must not depend on where the
 * linker happens to put them (es-bench W8 read the unified call 2-4%
 * faster or slower by that alone). */
static inline ES_HOT_ENTRY gboolean
_es_static_publisher_publish_data (EsPublisher    *publisher,
                                   gconstpointer   data,
                                   gsize           size,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  EsStaticPublisher *self = (EsStaticPublisher *) publisher;
  GError *local_error = NULL;
  gboolean ok;

  if (G_UNLIKELY (!_es_publisher_check_data (self->shared, size, error)))
    return FALSE;
  ok = _es_static_ring_publish (self->ring, publisher, self->shared, data, NULL, cancellable, &local_error);
  return _es_publisher_finish (self->shared, ok, local_error, error, size);
}

G_END_DECLS
