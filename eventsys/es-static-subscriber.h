/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include "es-subscriber.h"

/**
 * SECTION:es-static-subscriber
 * @title: EsStaticSubscriber
 * @short_description: The static fast path subscriber
 * @include: eventsys/eventsys.h
 *
 * The static fast path subscriber.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_STATIC_SUBSCRIBER:
 *
 * The #GType of #EsStaticSubscriber.
 *
 * Since: 1.0
 */
#define ES_TYPE_STATIC_SUBSCRIBER (es_static_subscriber_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsStaticSubscriber, es_static_subscriber, ES, STATIC_SUBSCRIBER, EsSubscriber)

G_END_DECLS
