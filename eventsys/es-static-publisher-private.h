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

G_END_DECLS
