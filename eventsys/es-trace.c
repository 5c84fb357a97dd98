/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <string.h>

#include "eventsys.h"
#include "es-trace-private.h"

/* initial-exec: a plain %fs-relative load, not a __tls_get_addr call. */
__thread const EsTraceContext *_es_trace_current_ctx __attribute__ ((tls_model ("initial-exec")));

/* splitmix64's finalizer: a bijection, so distinct seeds give distinct ids. */
static inline guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
nonzero (guint64 v)
{
  return v != 0 ? v : G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
}

guint64
_es_trace_new_salt (void)
{
  return ((guint64) g_random_int () << 32) | g_random_int ();
}

void
_es_trace_context_init_lazy (EsTraceContext       *ctx,
                             const EsTraceContext *parent,
                             guint64               salt,
                             guint32               type_index,
                             guint64               sequence)
{
  if (parent == NULL)
    parent = _es_trace_current_ctx;

  if (parent != NULL)
    {
      ctx->trace_hi = parent->trace_hi;
      ctx->trace_lo = parent->trace_lo;
      ctx->flags = parent->flags;
      _es_trace_context_init_child (ctx, salt, type_index, sequence);
    }
  else
    _es_trace_context_init_root (ctx, salt, type_index, sequence);
}

void
_es_trace_context_init_child (EsTraceContext *ctx,
                              guint64         salt,
                              guint32         type_index,
                              guint64         sequence)
{
  guint64 seed = ((guint64) type_index << 48) ^ sequence;

  ctx->span_id = seed ^ mix64 (salt);
  ctx->mode = ES_TRACE_DERIVE_SPAN;
}

void
_es_trace_context_resolve (const EsTraceContext *ctx,
                           EsTraceContext       *out)
{
  *out = *ctx;
  switch (ctx->mode)
    {
    case ES_TRACE_DERIVE_ALL:
      out->trace_hi = mix64 (ctx->trace_hi ^ G_GUINT64_CONSTANT (0x6a09e667f3bcc908));
      out->trace_lo = nonzero (mix64 (ctx->trace_lo + ctx->trace_hi));
      out->span_id = nonzero (mix64 (ctx->trace_lo ^ mix64 (ctx->trace_hi)));
      break;
    case ES_TRACE_DERIVE_SPAN:
      out->span_id = nonzero (mix64 (ctx->span_id ^ ctx->trace_lo));
      break;
    case ES_TRACE_RESOLVED:
    default:
      break;
    }
  out->mode = ES_TRACE_RESOLVED;
}

static gboolean
parse_hex (const char *s,
           gsize       n,
           guint64    *out)
{
  guint64 v = 0;

  for (gsize i = 0; i < n; i++)
    {
      char c = s[i];
      int d;

      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else
        return FALSE;  /* W3C: lowercase only */
      v = (v << 4) | (guint64) d;
    }
  *out = v;
  return TRUE;
}

gboolean
_es_trace_context_parse (const char      *traceparent,
                         EsTraceContext  *ctx,
                         GError         **error)
{
  guint64 version, hi, lo, span, flags;

  /* 00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags> */
  if (traceparent == NULL || strlen (traceparent) != 55 ||
      traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-' ||
      !parse_hex (traceparent, 2, &version) ||
      !parse_hex (traceparent + 3, 16, &hi) ||
      !parse_hex (traceparent + 19, 16, &lo) ||
      !parse_hex (traceparent + 36, 16, &span) ||
      !parse_hex (traceparent + 53, 2, &flags))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_TRACEPARENT,
                   "Malformed traceparent “%s”: expected 00-<32 lowercase hex>-<16 lowercase hex>-<2 hex>",
                   traceparent ? traceparent : "(null)");
      return FALSE;
    }
  if (version != 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_TRACEPARENT,
                   "Unsupported traceparent version %02x in “%s”", (guint) version, traceparent);
      return FALSE;
    }
  if ((hi | lo) == 0 || span == 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_TRACEPARENT,
                   "Invalid all-zero trace-id or parent-id in “%s”", traceparent);
      return FALSE;
    }

  ctx->trace_hi = hi;
  ctx->trace_lo = lo;
  ctx->span_id = span;
  ctx->flags = (guint8) flags;
  ctx->mode = ES_TRACE_RESOLVED;
  return TRUE;
}

char *
_es_trace_context_format (const EsTraceContext *lazy)
{
  EsTraceContext resolved, *ctx = &resolved;

  _es_trace_context_resolve (lazy, &resolved);
  return g_strdup_printf ("00-%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x-%016" G_GINT64_MODIFIER "x-%02x",
                          ctx->trace_hi, ctx->trace_lo, ctx->span_id, ctx->flags);
}

char *
_es_trace_context_format_id (const EsTraceContext *lazy)
{
  EsTraceContext resolved, *ctx = &resolved;

  _es_trace_context_resolve (lazy, &resolved);
  return g_strdup_printf ("%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x",
                          ctx->trace_hi, ctx->trace_lo);
}

const EsTraceContext *
_es_trace_get_current (void)
{
  return _es_trace_current_ctx;
}

const EsTraceContext *
_es_trace_push_current (const EsTraceContext *ctx)
{
  const EsTraceContext *previous = _es_trace_current_ctx;

  _es_trace_current_ctx = ctx;
  return previous;
}

void
_es_trace_pop_current (const EsTraceContext *previous)
{
  _es_trace_current_ctx = previous;
}
