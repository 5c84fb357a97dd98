/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <stdatomic.h>

#include "eventsys.h"
#include "es-event-type-private.h"

/*
 * The event-type registry: every event type gets a dense index, so that
 * per-type state (rings, counters, histograms) is an array slot. Publishers
 * resolve their type once, when they are created; nothing on the publish
 * path hashes or compares strings.
 *
 * Entries are published with a release store into a fixed table and never
 * freed, so readers need no lock.
 */

static GMutex registry_lock;
static _Atomic (EsEventTypeInfo *) registry[ES_EVENT_TYPE_MAX];
static atomic_uint registry_count;

/* A scan rather than g_type_get_qdata(): it only runs when publishers and
 * subscribers are created, and it keeps every hand-off on C11 atomics, which
 * ThreadSanitizer can see (GLib's type lock is invisible to it). */
static const EsEventTypeInfo *
lookup_registered (GType type)
{
  guint n = atomic_load_explicit (&registry_count, memory_order_acquire);

  for (guint i = 0; i < n; i++)
    {
      const EsEventTypeInfo *info = atomic_load_explicit (&registry[i], memory_order_acquire);

      if (info != NULL && info->gtype == type)
        return info;
    }
  return NULL;
}

static const EsEventTypeInfo *
register_type (GType       type,
               EsEventKind kind,
               gsize       size,
               gsize       alignment)
{
  EsEventTypeInfo *info;
  guint index;

  g_mutex_lock (&registry_lock);
  info = (EsEventTypeInfo *) lookup_registered (type);
  if (info != NULL)
    {
      g_mutex_unlock (&registry_lock);
      if (info->kind == ES_EVENT_KIND_PLAIN && kind == ES_EVENT_KIND_PLAIN && info->size != size)
        g_critical ("Event type %s registered again with size %" G_GSIZE_FORMAT " (was %" G_GSIZE_FORMAT ")",
                    g_type_name (type), size, info->size);
      return info;
    }

  index = atomic_load_explicit (&registry_count, memory_order_relaxed);
  if (index >= ES_EVENT_TYPE_MAX)
    {
      g_mutex_unlock (&registry_lock);
      g_critical ("Too many event types (at most %d)", ES_EVENT_TYPE_MAX);
      return NULL;
    }

  info = g_new0 (EsEventTypeInfo, 1);
  info->gtype = type;
  info->index = index;
  info->size = size;
  info->alignment = alignment ? alignment : sizeof (gpointer);
  info->kind = kind;
  atomic_store_explicit (&registry[index], info, memory_order_release);
  atomic_store_explicit (&registry_count, index + 1, memory_order_release);
  g_mutex_unlock (&registry_lock);

  g_debug ("Registered event type %s as #%u (%" G_GSIZE_FORMAT " bytes)",
           g_type_name (type), index, size);
  return info;
}

const EsEventTypeInfo *
_es_event_type_lookup (GType type)
{
  const EsEventTypeInfo *info;

  if (type == G_TYPE_INVALID)
    return NULL;

  info = lookup_registered (type);
  if (info != NULL)
    return info;

  if (g_type_is_a (type, G_TYPE_OBJECT))
    return register_type (type, ES_EVENT_KIND_OBJECT, sizeof (gpointer), sizeof (gpointer));
  if (type == G_TYPE_BYTES)
    return register_type (type, ES_EVENT_KIND_BYTES, 0, 0);
  if (type == G_TYPE_VARIANT)
    return register_type (type, ES_EVENT_KIND_VARIANT, 0, 0);
  if (G_TYPE_IS_BOXED (type) && type != ES_TYPE_EVENT)
    return register_type (type, ES_EVENT_KIND_BOXED, 0, 0);

  return NULL;
}

const EsEventTypeInfo *
_es_event_type_find (GType type)
{
  return lookup_registered (type);
}

const EsEventTypeInfo *
_es_event_type_get (guint index)
{
  if (index >= ES_EVENT_TYPE_MAX)
    return NULL;
  return atomic_load_explicit (&registry[index], memory_order_acquire);
}

guint
_es_event_type_count (void)
{
  return atomic_load_explicit (&registry_count, memory_order_acquire);
}

/**
 * es_event_type_register_plain:
 * @event_type: a boxed #GType for a plain-data struct
 * @size: the struct size in bytes, greater than 0
 * @alignment: the struct alignment, or 0 for pointer alignment
 *
 * Records @event_type as a fixed-size plain-data event type and gives it a
 * dense registry index. ES_DEFINE_EVENT_TYPE() calls this; call it directly
 * only for types registered by other means. Registering a type twice with the
 * same size is harmless. Thread-safe.
 *
 * Returns: the type's registry index
 *
 * Since: 1.0
 */
guint
es_event_type_register_plain (GType event_type,
                              gsize size,
                              gsize alignment)
{
  const EsEventTypeInfo *info;

  g_return_val_if_fail (event_type != G_TYPE_INVALID, G_MAXUINT);
  g_return_val_if_fail (size > 0, G_MAXUINT);
  g_return_val_if_fail (!g_type_is_a (event_type, G_TYPE_OBJECT), G_MAXUINT);

  info = register_type (event_type, ES_EVENT_KIND_PLAIN, size, alignment);
  return info ? info->index : G_MAXUINT;
}

/**
 * es_event_type_register_plain_named:
 * @name: a new, unique type name, e.g. "PyTelemetry"
 * @size: the payload size in bytes; 0 for a variable-size payload (which only
 *   the zero-copy implementation carries)
 *
 * Registers a plain-data event type from a language binding, where
 * ES_DEFINE_EVENT_TYPE() is not available. Events of this type carry @size
 * bytes created with es_event_new() or es_publisher_publish_data().
 * If @name is already an event type registered with the same size, that type
 * is returned.
 *
 * Returns: the new #GType, or %G_TYPE_INVALID if @name is taken by another type
 *
 * Since: 1.0
 */
GType
es_event_type_register_plain_named (const char *name,
                                    gsize       size)
{
  GType type;
  const EsEventTypeInfo *info;

  g_return_val_if_fail (name != NULL && *name != '\0', G_TYPE_INVALID);

  type = g_type_from_name (name);
  if (type != G_TYPE_INVALID)
    {
      info = lookup_registered (type);
      if (info != NULL && info->kind == ES_EVENT_KIND_PLAIN && info->size == size)
        return type;
      g_critical ("Type name “%s” is already taken", name);
      return G_TYPE_INVALID;
    }

  type = g_pointer_type_register_static (g_intern_string (name));
  info = register_type (type, ES_EVENT_KIND_PLAIN, size, 8);
  return info ? type : G_TYPE_INVALID;
}

/**
 * es_event_type_is_plain:
 * @event_type: a #GType
 *
 * Checks whether @event_type is registered as a plain-data event type.
 *
 * Returns: whether @event_type is registered as a plain-data event type
 *
 * Since: 1.0
 */
gboolean
es_event_type_is_plain (GType event_type)
{
  const EsEventTypeInfo *info = lookup_registered (event_type);

  return info != NULL && info->kind == ES_EVENT_KIND_PLAIN;
}

/**
 * es_event_type_get_size:
 * @event_type: a #GType
 *
 * Gets the payload size of a plain-data event type, or 0 for other types and
 * for variable-size plain types.
 *
 * Returns: the payload size of a plain-data event type, or 0 for other types
 *   and for variable-size plain types
 *
 * Since: 1.0
 */
gsize
es_event_type_get_size (GType event_type)
{
  const EsEventTypeInfo *info = lookup_registered (event_type);

  return info != NULL && info->kind == ES_EVENT_KIND_PLAIN ? info->size : 0;
}

/**
 * es_event_type_is_supported:
 * @event_type: a #GType
 *
 * Whether @event_type can be an event type at all: a registered plain-data
 * type, a #GObject subclass, %G_TYPE_BYTES, %G_TYPE_VARIANT or another boxed
 * type. Whether a given implementation carries it is decided by
 * es_event_system_create_publisher().
 *
 * Returns: %TRUE if supported
 *
 * Since: 1.0
 */
gboolean
es_event_type_is_supported (GType event_type)
{
  return _es_event_type_lookup (event_type) != NULL;
}
