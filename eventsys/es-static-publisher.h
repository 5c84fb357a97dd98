/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include "es-publisher.h"

/**
 * SECTION:es-static-publisher
 * @title: EsStaticPublisher
 * @short_description: The static fast path publisher
 * @include: eventsys/eventsys.h
 *
 * The static fast path publisher.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_STATIC_PUBLISHER:
 *
 * The #GType of #EsStaticPublisher.
 *
 * Since: 1.0
 */
#define ES_TYPE_STATIC_PUBLISHER (es_static_publisher_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsStaticPublisher, es_static_publisher, ES, STATIC_PUBLISHER, EsPublisher)

G_END_DECLS
