/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <glib-object.h>

#include "es-version-macros.h"

/**
 * SECTION:es-event-type
 * @title: Event types
 * @short_description: Registering plain-data structs as event types
 * @include: eventsys/eventsys.h
 *
 * Registering plain-data structs as event types.
 */

G_BEGIN_DECLS

/**
 * ES_DECLARE_EVENT_TYPE:
 * @TypeName: the struct type, e.g. `MediaPacket`
 * @type_name: the lower-case prefix, e.g. `media_packet`
 *
 * Declares the #GType getter of a fixed-size plain-data event struct, named
 * after @type_name (`media_packet_get_type` in the example below).
 * Put it in a header after the struct definition; pair it with
 * ES_DEFINE_EVENT_TYPE() in one C file.
 *
 * |[<!-- language="C" -->
 * typedef struct {
 *   guint32 stream_id;
 *   guint32 sequence_number;
 *   guint64 timestamp;
 *   guint32 payload_size;
 * } MediaPacket;
 *
 * ES_DECLARE_EVENT_TYPE (MediaPacket, media_packet)
 * #define TYPE_MEDIA_PACKET (media_packet_get_type ())
 * ]|
 *
 * The struct must be plain data: it is copied with memcpy() and must not own
 * pointers. Use a #GObject subclass for anything else.
 *
 * Since: 1.0
 */
#define ES_DECLARE_EVENT_TYPE(TypeName, type_name) \
  GType type_name##_get_type (void) G_GNUC_CONST;

/**
 * ES_DEFINE_EVENT_TYPE:
 * @TypeName: the struct type
 * @type_name: the lower-case prefix
 *
 * Defines the #GType getter that ES_DECLARE_EVENT_TYPE() declares: it
 * registers @TypeName as a boxed #GType and records its size, alignment and
 * a dense index in the event-type registry, so that publishers dispatch by
 * array index.
 *
 * Since: 1.0
 */
#define ES_DEFINE_EVENT_TYPE(TypeName, type_name) \
  static TypeName * \
  type_name##_es_copy (TypeName *src) \
  { \
    return (TypeName *) g_memdup2 (src, sizeof (TypeName)); \
  } \
  G_DEFINE_BOXED_TYPE_WITH_CODE (TypeName, type_name, type_name##_es_copy, g_free, \
    es_event_type_register_plain (g_define_type_id, sizeof (TypeName), G_ALIGNOF (TypeName)))

ES_AVAILABLE_IN_ALL
guint    es_event_type_register_plain       (GType        event_type,
                                             gsize        size,
                                             gsize        alignment);
ES_AVAILABLE_IN_ALL
GType    es_event_type_register_plain_named (const char  *name,
                                             gsize        size);
ES_AVAILABLE_IN_ALL
gboolean es_event_type_is_plain             (GType        event_type);
ES_AVAILABLE_IN_ALL
gsize    es_event_type_get_size             (GType        event_type);
ES_AVAILABLE_IN_ALL
gboolean es_event_type_is_supported         (GType        event_type);

G_END_DECLS
