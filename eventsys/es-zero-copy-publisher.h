/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include "es-publisher.h"

/**
 * SECTION:es-zero-copy-publisher
 * @title: EsZeroCopyPublisher
 * @short_description: The zero-copy publisher
 * @include: eventsys/eventsys.h
 *
 * The zero-copy publisher.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_ZERO_COPY_PUBLISHER:
 *
 * The #GType of #EsZeroCopyPublisher.
 *
 * Since: 1.0
 */
#define ES_TYPE_ZERO_COPY_PUBLISHER (es_zero_copy_publisher_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsZeroCopyPublisher, es_zero_copy_publisher, ES, ZERO_COPY_PUBLISHER, EsPublisher)

G_END_DECLS
