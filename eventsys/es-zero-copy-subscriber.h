/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include "es-subscriber.h"

/**
 * SECTION:es-zero-copy-subscriber
 * @title: EsZeroCopySubscriber
 * @short_description: The zero-copy subscriber
 * @include: eventsys/eventsys.h
 *
 * The zero-copy subscriber.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_ZERO_COPY_SUBSCRIBER:
 *
 * The #GType of #EsZeroCopySubscriber.
 *
 * Since: 1.0
 */
#define ES_TYPE_ZERO_COPY_SUBSCRIBER (es_zero_copy_subscriber_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsZeroCopySubscriber, es_zero_copy_subscriber, ES, ZERO_COPY_SUBSCRIBER, EsSubscriber)

G_END_DECLS
