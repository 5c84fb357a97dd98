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
  atomic_int      ref_count;
  atomic_int      sealed;
  GType           event_type;
  guint32         type_index;
  guint8          priority;       /* EsEventPriority */
  guint8          payload_kind;   /* EsPayloadKind */
  guint8          has_parent;     /* parent was set by es_event_set_traceparent() */
  guint64         sequence;
  gint64          timestamp;
  /* Before sealing: the parent's ids from es_event_set_traceparent() (when
   * has_parent). Sealing then writes only the span-id and mode, so a
   * thread copying the event to publish it again may read the ids at
   * any time. */
  EsTraceContext  trace;
  gsize           size;
  gpointer        payload;        /* owned unless inline */
  /* Zero-copy accounting: the buffer manager charge is released when the
   * last subscriber queue lets go of the event. */
  atomic_int      queued_in;
  gpointer        charged_to;     /* EsBufferManager *, unowned, or NULL */
  struct _EsEnvelopeCache *origin;  /* where the memory returns (es-envelope-private.h) */
  _Alignas (16) guint8 inline_data[];
};

/* Returns @event itself when it was not published yet (now sealed and
 * stamped), or a new shallow copy sharing the payload when it was. */
EsEvent *_es_event_seal          (EsEvent              *event,
                                  guint32               type_index,
                                  guint64               sequence,
                                  guint64               trace_salt) G_GNUC_WARN_UNUSED_RESULT;
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
