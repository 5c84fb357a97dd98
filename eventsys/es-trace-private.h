/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* W3C trace context carried by every event. Stored as integers so that the
 * static fast path can keep it in a ring slot without formatting. */
typedef struct {
  guint64 trace_hi;
  guint64 trace_lo;
  guint64 span_id;
  guint8  flags;
} EsTraceContext;

/* Fills @ctx for a new event: the trace-id of the event being handled on this
 * thread (see _es_trace_push_current()) or of @parent, else a fresh one, and
 * always a fresh span-id. Cheap: a thread-local xorshift generator. */
void                  _es_trace_context_init_child (EsTraceContext       *ctx,
                                                    const EsTraceContext *parent);
gboolean              _es_trace_context_parse      (const char           *traceparent,
                                                    EsTraceContext       *ctx,
                                                    GError              **error);
char                 *_es_trace_context_format     (const EsTraceContext *ctx);
char                 *_es_trace_context_format_id  (const EsTraceContext *ctx);

/* The context of the event being handled on this thread, so that events
 * published from a handler inherit its trace-id. Push/pop nest. */
const EsTraceContext *_es_trace_get_current        (void);
const EsTraceContext *_es_trace_push_current       (const EsTraceContext *ctx);
void                  _es_trace_pop_current        (const EsTraceContext *previous);

G_END_DECLS
