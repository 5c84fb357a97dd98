/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* W3C trace context carried by every event. Stored as integers so that the
 * static fast path can keep it in a ring slot without formatting.
 *
 * Publishing must stay cheap, so new ids are not drawn at publish time: a
 * context is stored *lazily* as a seed (system salt, type index, sequence)
 * and resolved into ids — a bijective 64-bit mix of the seed — only when
 * someone reads it (traceparent, inheritance). Ids are therefore unique per
 * system, type and sequence, and stable for every subscriber. */
typedef enum {
  ES_TRACE_RESOLVED,      /* trace_hi/lo and span_id are the ids */
  ES_TRACE_DERIVE_ALL,    /* trace_hi = salt, trace_lo = seed: derive all three */
  ES_TRACE_DERIVE_SPAN,   /* trace-id inherited, span_id = seed: derive the span */
} EsTraceMode;

typedef struct {
  guint64 trace_hi;
  guint64 trace_lo;
  guint64 span_id;
  guint8  flags;
  guint8  mode;           /* EsTraceMode */
} EsTraceContext;

/* Fills @ctx for an event that starts a trace: the ids follow from the
 * seed alone, so a ring slot need not store them. */
static inline void
_es_trace_context_init_root (EsTraceContext *ctx,
                             guint64         salt,
                             guint32         type_index,
                             guint64         sequence)
{
  ctx->trace_hi = salt;
  ctx->trace_lo = ((guint64) type_index << 48) ^ sequence;
  ctx->span_id = 0;
  ctx->flags = 0x01;  /* sampled */
  ctx->mode = ES_TRACE_DERIVE_ALL;
}

/* Fills @ctx for a new event published with sequence @sequence of the type
 * with registry index @type_index: inherits the trace-id of @parent, else of
 * the event being handled on this thread (_es_trace_push_current()), else
 * starts a trace. A few stores; nothing is computed. */
void                  _es_trace_context_init_lazy  (EsTraceContext       *ctx,
                                                    const EsTraceContext *parent,
                                                    guint64               salt,
                                                    guint32               type_index,
                                                    guint64               sequence);
/* Turns @ctx, which holds a parent's ids, into its child's context in
 * place: writes only the span-id and the mode (see EsEvent.trace). */
void                  _es_trace_context_init_child (EsTraceContext       *ctx,
                                                    guint64               salt,
                                                    guint32               type_index,
                                                    guint64               sequence);
/* The ids of @ctx. */
void                  _es_trace_context_resolve    (const EsTraceContext *ctx,
                                                    EsTraceContext       *out);
/* A random salt for a new system. */
guint64               _es_trace_new_salt           (void);
gboolean              _es_trace_context_parse      (const char           *traceparent,
                                                    EsTraceContext       *ctx,
                                                    GError              **error);
char                 *_es_trace_context_format     (const EsTraceContext *ctx);
char                 *_es_trace_context_format_id  (const EsTraceContext *ctx);

/* The context of the event being handled on this thread, so that events
 * published from a handler inherit its trace-id. Push/pop nest; the pushed
 * context must be resolved and outlive the push. */
const EsTraceContext *_es_trace_get_current        (void);
extern __thread const EsTraceContext *_es_trace_current_ctx __attribute__ ((tls_model ("initial-exec")));

/* Whether this thread is handling an event (so a new one inherits its trace). */
static inline gboolean
_es_trace_has_current (void)
{
  return _es_trace_current_ctx != NULL;
}
const EsTraceContext *_es_trace_push_current       (const EsTraceContext *ctx);
void                  _es_trace_pop_current        (const EsTraceContext *previous);

G_END_DECLS
