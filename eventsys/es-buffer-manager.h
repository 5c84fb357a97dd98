/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <glib-object.h>

#include "es-types.h"

/**
 * SECTION:es-buffer-manager
 * @title: EsBufferManager
 * @short_description: System-wide buffer accounting against global-buffer-size
 * @include: eventsys/eventsys.h
 *
 * System-wide buffer accounting against global-buffer-size.
 */

G_BEGIN_DECLS

/**
 * ES_TYPE_BUFFER_MANAGER:
 *
 * The #GType of #EsBufferManager.
 *
 * Since: 1.0
 */
#define ES_TYPE_BUFFER_MANAGER (es_buffer_manager_get_type ())

ES_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EsBufferManager, es_buffer_manager, ES, BUFFER_MANAGER, GObject)

ES_AVAILABLE_IN_ALL
guint64  es_buffer_manager_get_buffered_bytes  (EsBufferManager *self);
ES_AVAILABLE_IN_ALL
guint64  es_buffer_manager_get_buffered_events (EsBufferManager *self);
ES_AVAILABLE_IN_ALL
guint64  es_buffer_manager_get_limit_bytes     (EsBufferManager *self);
ES_AVAILABLE_IN_ALL
gdouble  es_buffer_manager_get_utilization     (EsBufferManager *self);
ES_AVAILABLE_IN_ALL
gboolean es_buffer_manager_is_above_watermark  (EsBufferManager *self);

G_END_DECLS
