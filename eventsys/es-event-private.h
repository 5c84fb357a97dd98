/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>

#include "eventsys.h"
#include "es-private.h"
#include "es-event-type-private.h"
#include "es-trace-private.h"

G_BEGIN_DECLS

typedef enum {
  ES_PAYLOAD_INLINE,   /* bytes stored right after the envelope */
  ES_PAYLOAD_OBJECT,
  ES_PAYLOAD_BYTES,
  ES_PAYLOAD_VARIANT,
} EsPayloadKind;

/* Sealing: an event is mutable (priority, traceparent) until a publisher
 * stamps it; after that it is shared and never written again, whatever its
 * reference count says (bindings hold references of their own). */
struct _EsEvent
{
  /* First line: what a receiver reads or writes for every event (refcount,
   * accounting, type, metadata, payload, the way back to the allocator).
   * Second line: what only the publisher writes (the seal, the trace seed)
   * and receivers read on demand, so that it never has to come back from a
   * receiving core. A recycled envelope is line-aligned (es-envelope.c): a
   * 64-byte payload is then alone on the third line. */
  atomic_int      ref_count;
  /* Zero-copy accounting: the buffer manager charge is released when the
   * last subscriber queue lets go of the event. */
  atomic_int      queued_in;
  GType           event_type;
  guint32         type_index;
  guint8          priority;       /* EsEventPriority */
  guint8          payload_kind;   /* EsPayloadKind */
  guint8          has_parent;     /* parent was set by es_event_set_traceparent() */
  guint8          charged;        /* charged to its system's buffer counters */
  guint64         sequence;
  gint64          timestamp;
  gsize           size;
  gpointer        payload;        /* owned unless inline */
  struct _EsEnvelopeCache *origin;  /* where the memory returns (es-envelope-private.h) */

  atomic_int      sealed;
  /* Before sealing: the parent's ids from es_event_set_traceparent() (when
   * has_parent). Sealing then writes only the span-id and mode, so a
   * thread copying the event to publish it again may read the ids at
   * any time. */
  EsTraceContext  trace;
  /* To the third line (whole-line alignment would require it of every
   * allocation; only recycled envelopes are line-aligned). */
  guint8          _pad[24];
  _Alignas (16) guint8 inline_data[];
};

/* Returns @event itself when it was not published yet (now sealed and
 * stamped), or a new shallow copy sharing the payload when it was; a new
 * reference either way. With @take the caller's reference to @event is
 * consumed: it becomes the result's, or is dropped for the copy. */
EsEvent *_es_event_seal          (EsEvent              *event,
                                  guint32               type_index,
                                  guint64               sequence,
                                  guint64               trace_salt,
                                  gboolean              take) G_GNUC_WARN_UNUSED_RESULT;
/* A sealed event built from a static ring slot. */
EsEvent *_es_event_new_from_slot (GType                 event_type,
                                  guint32               type_index,
                                  guint64               sequence,
                                  gint64                timestamp,
                                  guint8                priority,
                                  const EsTraceContext *trace,
                                  gconstpointer         data,
                                  gsize                 size,
                                  EsEventKind           kind);
gsize    _es_event_get_charge    (const EsEvent        *event);

G_END_DECLS
