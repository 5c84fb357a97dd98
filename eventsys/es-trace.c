/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <string.h>

#include "eventsys.h"
#include "es-trace-private.h"

static __thread guint64 rng_state[2];
static __thread const EsTraceContext *current_ctx;

static inline guint64
rng_next (void)
{
  guint64 s1 = rng_state[0];
  const guint64 s0 = rng_state[1];

  if (G_UNLIKELY ((s0 | s1) == 0))
    {
      /* Seed once per thread from GLib's (locked) generator. */
      rng_state[0] = ((guint64) g_random_int () << 32) | g_random_int () | 1;
      rng_state[1] = ((guint64) g_random_int () << 32) | g_random_int ();
      s1 = rng_state[0];
      return rng_next ();
    }
  rng_state[0] = s0;
  s1 ^= s1 << 23;
  rng_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
  return rng_state[1] + s0;
}

static inline guint64
rng_nonzero (void)
{
  guint64 v;

  do
    v = rng_next ();
  while (v == 0);
  return v;
}

void
_es_trace_context_init_child (EsTraceContext       *ctx,
                              const EsTraceContext *parent)
{
  if (parent == NULL)
    parent = current_ctx;

  if (parent != NULL)
    {
      ctx->trace_hi = parent->trace_hi;
      ctx->trace_lo = parent->trace_lo;
      ctx->flags = parent->flags;
    }
  else
    {
      ctx->trace_hi = rng_next ();
      ctx->trace_lo = rng_nonzero ();
      ctx->flags = 0x01;  /* sampled */
    }
  ctx->span_id = rng_nonzero ();
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
  return TRUE;
}

char *
_es_trace_context_format (const EsTraceContext *ctx)
{
  return g_strdup_printf ("00-%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x-%016" G_GINT64_MODIFIER "x-%02x",
                          ctx->trace_hi, ctx->trace_lo, ctx->span_id, ctx->flags);
}

char *
_es_trace_context_format_id (const EsTraceContext *ctx)
{
  return g_strdup_printf ("%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x",
                          ctx->trace_hi, ctx->trace_lo);
}

const EsTraceContext *
_es_trace_get_current (void)
{
  return current_ctx;
}

const EsTraceContext *
_es_trace_push_current (const EsTraceContext *ctx)
{
  const EsTraceContext *previous = current_ctx;

  current_ctx = ctx;
  return previous;
}

void
_es_trace_pop_current (const EsTraceContext *previous)
{
  current_ctx = previous;
}
