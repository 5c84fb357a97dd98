/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include "es-event-system.h"

/**
 * SECTION:es-static-event-system
 * @title: EsStaticEventSystem
 * @short_description: The static fast path: preallocated per-type rings
 * @include: eventsys/eventsys.h
 *
 * The static fast path: preallocated per-type rings.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_STATIC_EVENT_SYSTEM:
 *
 * The #GType of #EsStaticEventSystem.
 *
 * Since: 1.0
 */
#define ES_TYPE_STATIC_EVENT_SYSTEM (es_static_event_system_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsStaticEventSystem, es_static_event_system, ES, STATIC_EVENT_SYSTEM, EsEventSystem)

G_END_DECLS
