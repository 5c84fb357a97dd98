/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_EVENTSYS_SINK (gst_eventsys_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstEventsysSink, gst_eventsys_sink, GST, EVENTSYS_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (eventsyssink);

G_END_DECLS
