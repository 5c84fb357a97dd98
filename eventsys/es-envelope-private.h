/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _EsEnvelopeCache EsEnvelopeCache;

/*
 * Envelope memory. Zero-copy envelopes are typically allocated on a
 * publishing thread and freed on a receiving one. Small ones (inline
 * payloads up to ES_ENVELOPE_SMALL bytes) go back to the thread that
 * allocated them: each allocating thread has a cache, a private free list
 * plus a lock-free stack that other threads push freed envelopes onto; the
 * owner takes that whole stack with one exchange when its list runs dry.
 * So a publish reuses an envelope its receivers returned, with no
 * allocator lock and one RMW per envelope on the freeing side.
 *
 * Cached envelopes are whole, line-aligned blocks, and handing one out
 * prefetches the next one's lines for writing (they were last written on
 * the freeing thread's core). Both lists are bounded (the stack's depth
 * travels in its head's top bits); beyond that an envelope is freed. Larger
 * envelopes come from GSlice. A cache whose thread exits is closed (its
 * stack refuses pushes; late frees free) and handed to the next thread
 * that needs one. Under AddressSanitizer every envelope comes from GSlice,
 * so that use-after-free stays visible.
 */

#define ES_ENVELOPE_SMALL 64

/* Memory for an envelope with @inline_size inline payload bytes; sets
 * *@origin to the cache it returns to (NULL: GSlice). */
gpointer _es_envelope_alloc (gsize             inline_size,
                             EsEnvelopeCache **origin);
/* Frees what _es_envelope_alloc() returned for @inline_size and @origin. */
void     _es_envelope_free  (gpointer          mem,
                             gsize             inline_size,
                             EsEnvelopeCache  *origin);

G_END_DECLS
