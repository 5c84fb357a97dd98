/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The "eventsys" GStreamer plugin: eventsyssink publishes buffers as
 * zero-copy eventsys events, eventsyssrc pushes the events of a subscription
 * downstream as buffers. Within one process, pipelines (and any other code)
 * meet on an #EsEventSystem found by name.
 */

#include "config.h"

#include "gsteventsys.h"
#include "gsteventsyssink.h"
#include "gsteventsyssrc.h"

/**
 * gst_eventsys_resolve_system:
 * @name: (nullable): a system name; %NULL or "default" for
 *   es_event_system_get_default()
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the system, or %NULL with @error set when no
 *   live system has that name
 */
EsEventSystem *
gst_eventsys_resolve_system (const char  *name,
                             GError     **error)
{
  EsEventSystem *system;

  if (name == NULL || *name == '\0' || g_str_equal (name, GST_EVENTSYS_DEFAULT_SYSTEM_NAME))
    return g_object_ref (es_event_system_get_default ());

  system = es_event_system_lookup (name);
  if (system == NULL)
    g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                 "No event system named “%s” exists in this process "
                 "(create it with es_event_system_builder_set_name())", name);
  return system;
}

/**
 * gst_eventsys_resolve_event_type:
 * @name: (nullable): a #GType name; %NULL for #GstBuffer
 * @error: return location for a #GError
 *
 * Returns: the event type, or %G_TYPE_INVALID with @error set when @name is
 *   not a registered type that can carry buffer data (plain data,
 *   #GBytes, #GstBuffer or another boxed type; not a #GObject)
 */
GType
gst_eventsys_resolve_event_type (const char  *name,
                                 GError     **error)
{
  GType type;

  if (name == NULL || *name == '\0')
    name = GST_EVENTSYS_DEFAULT_EVENT_TYPE;

  type = g_type_from_name (name);
  if (type == G_TYPE_INVALID)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_UNSUPPORTED_TYPE,
                   "Unknown event type “%s”", name);
      return G_TYPE_INVALID;
    }
  if (g_type_is_a (type, G_TYPE_OBJECT) || !es_event_type_is_supported (type))
    {
      g_set_error (error, ES_ERROR, ES_ERROR_UNSUPPORTED_TYPE,
                   "Event type “%s” cannot carry buffer data", name);
      return G_TYPE_INVALID;
    }
  return type;
}

#ifndef GST_EVENTSYS_ORIGIN
# define GST_EVENTSYS_ORIGIN "eventsys (examples/gst)"
#endif

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = TRUE;

  ok &= GST_ELEMENT_REGISTER (eventsyssink, plugin);
  ok &= GST_ELEMENT_REGISTER (eventsyssrc, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
                   GST_VERSION_MINOR,
                   eventsys,
                   "Publish buffers on, and receive them from, an eventsys event system",
                   plugin_init,
                   PACKAGE_VERSION,
                   "LGPL",
                   PACKAGE_NAME,
                   GST_EVENTSYS_ORIGIN)
