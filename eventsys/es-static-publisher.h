/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include "es-publisher.h"

G_BEGIN_DECLS

#define ES_TYPE_STATIC_PUBLISHER (es_static_publisher_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsStaticPublisher, es_static_publisher, ES, STATIC_PUBLISHER, EsPublisher)

G_END_DECLS
