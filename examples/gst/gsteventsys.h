/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by the elements of the "eventsys" GStreamer plugin.
 */
#pragma once

#include <gst/gst.h>
#include <eventsys/eventsys.h>

G_BEGIN_DECLS

/* The name meaning es_event_system_get_default(). */
#define GST_EVENTSYS_DEFAULT_SYSTEM_NAME "default"

/* The default event type: buffers travel as GstBuffer-typed events whose
 * payload is a GBytes over the mapped buffer. */
#define GST_EVENTSYS_DEFAULT_EVENT_TYPE  "GstBuffer"

EsEventSystem *gst_eventsys_resolve_system     (const char  *name,
                                                GError     **error);
GType          gst_eventsys_resolve_event_type (const char  *name,
                                                GError     **error);

G_END_DECLS
