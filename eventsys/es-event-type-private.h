/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  ES_EVENT_KIND_PLAIN,    /* fixed-size plain data (size > 0), or a variable-size blob (size == 0) */
  ES_EVENT_KIND_OBJECT,   /* a GObject subclass; the event holds a reference */
  ES_EVENT_KIND_BYTES,    /* G_TYPE_BYTES */
  ES_EVENT_KIND_VARIANT,  /* G_TYPE_VARIANT */
  ES_EVENT_KIND_BOXED,    /* any other boxed type, carried as GBytes or data */
} EsEventKind;

typedef struct {
  GType       gtype;
  guint       index;      /* dense, stable for the process lifetime */
  gsize       size;       /* plain: struct size, 0 = variable size */
  gsize       alignment;
  EsEventKind kind;
} EsEventTypeInfo;

#define ES_EVENT_TYPE_MAX 4096

/* Registers object/bytes/variant/boxed types on first use. NULL when the type
 * can never be an event type. The result is immutable and never freed. */
const EsEventTypeInfo *_es_event_type_lookup (GType type);
const EsEventTypeInfo *_es_event_type_get    (guint index);
/* Like _es_event_type_lookup() but never registers anything. */
const EsEventTypeInfo *_es_event_type_find   (GType type);
guint                  _es_event_type_count  (void);

G_END_DECLS
