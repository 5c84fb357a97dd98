/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_EVENTSYS_SRC (gst_eventsys_src_get_type ())
G_DECLARE_FINAL_TYPE (GstEventsysSrc, gst_eventsys_src, GST, EVENTSYS_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (eventsyssrc);

G_END_DECLS
