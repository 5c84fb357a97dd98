/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include "es-event-system.h"

/**
 * SECTION:es-zero-copy-event-system
 * @title: EsZeroCopyEventSystem
 * @short_description: The zero-copy implementation: shared envelopes, priorities, handlers
 * @include: eventsys/eventsys.h
 *
 * The zero-copy implementation: shared envelopes, priorities, handlers.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_ZERO_COPY_EVENT_SYSTEM:
 *
 * The #GType of #EsZeroCopyEventSystem.
 *
 * Since: 1.0
 */
#define ES_TYPE_ZERO_COPY_EVENT_SYSTEM (es_zero_copy_event_system_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsZeroCopyEventSystem, es_zero_copy_event_system, ES, ZERO_COPY_EVENT_SYSTEM, EsEventSystem)

/**
 * EsEventHandler:
 * @event: the delivered event (borrowed; take a reference to keep it)
 * @user_data: the data passed to es_zero_copy_event_system_add_handler()
 *
 * A handler subscription's callback. It runs on the system's dispatch pool,
 * not on a main context: at most #EsEventSystem:max-concurrent-dispatches
 * handlers run at once, and one handler sees its events one at a time, in
 * order. A handler is therefore not usable from GJS (use
 * es_subscriber_attach() there).
 *
 * Since: 1.0
 */
typedef void (*EsEventHandler) (EsEvent  *event,
                                gpointer  user_data);

ES_AVAILABLE_IN_ALL
guint es_zero_copy_event_system_add_handler           (EsZeroCopyEventSystem  *self,
                                                       GType                   event_type,
                                                       EsEventHandler          handler,
                                                       gpointer                user_data,
                                                       GDestroyNotify          destroy,
                                                       GError                **error);
ES_AVAILABLE_IN_ALL
void  es_zero_copy_event_system_remove_handler        (EsZeroCopyEventSystem  *self,
                                                       guint                   handler_id);
ES_AVAILABLE_IN_ALL
guint es_zero_copy_event_system_get_shard_count       (EsZeroCopyEventSystem  *self);
ES_AVAILABLE_IN_ALL
guint es_zero_copy_event_system_get_active_dispatches (EsZeroCopyEventSystem  *self);
ES_AVAILABLE_IN_ALL
guint es_zero_copy_event_system_get_peak_dispatches   (EsZeroCopyEventSystem  *self);

G_END_DECLS
