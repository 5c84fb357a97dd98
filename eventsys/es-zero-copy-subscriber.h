/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include "es-subscriber.h"

G_BEGIN_DECLS

#define ES_TYPE_ZERO_COPY_SUBSCRIBER (es_zero_copy_subscriber_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsZeroCopySubscriber, es_zero_copy_subscriber, ES, ZERO_COPY_SUBSCRIBER, EsSubscriber)

G_END_DECLS
