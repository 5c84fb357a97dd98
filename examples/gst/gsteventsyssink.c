/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * SECTION:element-eventsyssink
 * @title: eventsyssink
 * @see_also: eventsyssrc, #EsEventSystem
 *
 * Publishes every buffer it receives as an event on an eventsys
 * #EsEventSystem of this process, without copying: the buffer is mapped
 * once and the event's payload is a #GBytes over that mapping which keeps a
 * reference on the buffer (so a buffer pool gets the buffer back only when
 * every subscriber has released the event). A buffer made of several
 * memories is merged by gst_buffer_map(), which copies; buffers of one
 * memory, as most sources and decoders produce, are never copied.
 *
 * The system is found by #GstEventsysSink:system-name: "default" is
 * es_event_system_get_default() (a zero-copy system created on first use),
 * any other name must be a live system created by the application with
 * es_event_system_builder_set_name() and started. The events are of type
 * #GstEventsysSink:event-type, #GstBuffer by default; the system must be able
 * to carry it (the zero-copy implementation carries any type; the static
 * fast path only fixed-size plain-data types, for which each buffer must have
 * exactly the type's size).
 *
 * Backpressure is the system's: with %ES_BACKPRESSURE_BLOCK the streaming
 * thread waits for room (flushing or a state change to READY unblocks it at
 * once: the element cancels the publish), with %ES_BACKPRESSURE_DROP_NEWEST a
 * rejected buffer is counted in #GstEventsysSink:dropped and streaming goes
 * on. Buffer metadata (timestamps, flags, #GstMeta) is not carried, only the
 * data. Caps are not published either: agree on them out of band, for
 * example with the #GstEventsysSrc:caps property of the receiving side.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! video/x-raw,format=I420 ! eventsyssink
 * ]|
 * publishes 100 raw video frames on the default system (nobody receives them
 * in gst-launch-1.0; use eventsyssrc in the same process).
 */

#include "config.h"

#include <stdatomic.h>

#include "gsteventsys.h"
#include "gsteventsyssink.h"

GST_DEBUG_CATEGORY_STATIC (gst_eventsys_sink_debug);
#define GST_CAT_DEFAULT gst_eventsys_sink_debug

#define DEFAULT_PRIORITY ES_EVENT_PRIORITY_NORMAL

struct _GstEventsysSink
{
  GstBaseSink          parent_instance;

  /* Properties, under the object lock. */
  char                *system_name;
  char                *event_type_name;
  EsEventPriority      priority;

  /* Between start() and stop(). */
  EsEventSystem       *system;
  EsPublisher         *publisher;
  GType                event_type;
  gsize                fixed_size;    /* 0 unless a fixed-size plain type */
  GCancellable        *cancellable;   /* cancelled by unlock() */

  atomic_uint_fast64_t published;
  atomic_uint_fast64_t dropped;
};

enum {
  PROP_0,
  PROP_SYSTEM_NAME,
  PROP_EVENT_TYPE,
  PROP_PRIORITY,
  PROP_PUBLISHED,
  PROP_DROPPED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_FINAL_TYPE (GstEventsysSink, gst_eventsys_sink, GST_TYPE_BASE_SINK)
GST_ELEMENT_REGISTER_DEFINE (eventsyssink, "eventsyssink", GST_RANK_NONE, GST_TYPE_EVENTSYS_SINK);

/* The payload of one event: a read mapping of a buffer we hold a reference
 * on. Freed by the GBytes when the last subscriber drops the event. */
typedef struct {
  GstBuffer  *buffer;
  GstMapInfo  map;
} MappedBuffer;

static void
mapped_buffer_free (gpointer data)
{
  MappedBuffer *mapped = data;

  gst_buffer_unmap (mapped->buffer, &mapped->map);
  gst_buffer_unref (mapped->buffer);
  g_free (mapped);
}

static GBytes *
wrap_buffer (GstBuffer *buffer)
{
  MappedBuffer *mapped = g_new0 (MappedBuffer, 1);

  mapped->buffer = gst_buffer_ref (buffer);
  if (!gst_buffer_map (mapped->buffer, &mapped->map, GST_MAP_READ))
    {
      gst_buffer_unref (mapped->buffer);
      g_free (mapped);
      return NULL;
    }
  return g_bytes_new_with_free_func (mapped->map.data, mapped->map.size, mapped_buffer_free, mapped);
}

static gboolean
gst_eventsys_sink_start (GstBaseSink *bsink)
{
  GstEventsysSink *self = GST_EVENTSYS_SINK (bsink);
  g_autofree char *system_name = NULL;
  g_autofree char *type_name = NULL;
  g_autoptr(GError) error = NULL;

  GST_OBJECT_LOCK (self);
  system_name = g_strdup (self->system_name);
  type_name = g_strdup (self->event_type_name);
  GST_OBJECT_UNLOCK (self);

  self->event_type = gst_eventsys_resolve_event_type (type_name, &error);
  if (self->event_type == G_TYPE_INVALID)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Invalid event type"), ("%s", error->message));
      return FALSE;
    }

  self->system = gst_eventsys_resolve_system (system_name, &error);
  if (self->system == NULL)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("Event system not found"), ("%s", error->message));
      return FALSE;
    }

  self->publisher = es_event_system_create_publisher (self->system, self->event_type, &error);
  if (self->publisher == NULL)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Cannot publish on event system “%s”",
                         es_event_system_get_name (self->system)), ("%s", error->message));
      g_clear_object (&self->system);
      return FALSE;
    }

  self->fixed_size = es_event_type_is_plain (self->event_type) ? es_event_type_get_size (self->event_type) : 0;
  self->cancellable = g_cancellable_new ();
  atomic_store (&self->published, 0);
  atomic_store (&self->dropped, 0);

  GST_INFO_OBJECT (self, "publishing %s events on %s “%s”", g_type_name (self->event_type),
                   G_OBJECT_TYPE_NAME (self->system), es_event_system_get_name (self->system));
  return TRUE;
}

static gboolean
gst_eventsys_sink_stop (GstBaseSink *bsink)
{
  GstEventsysSink *self = GST_EVENTSYS_SINK (bsink);

  g_clear_object (&self->publisher);
  g_clear_object (&self->system);
  g_clear_object (&self->cancellable);
  return TRUE;
}

/* Called from another thread to get render() out of a blocked publish. */
static gboolean
gst_eventsys_sink_unlock (GstBaseSink *bsink)
{
  GstEventsysSink *self = GST_EVENTSYS_SINK (bsink);

  GST_DEBUG_OBJECT (self, "unlock");
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  return TRUE;
}

static gboolean
gst_eventsys_sink_unlock_stop (GstBaseSink *bsink)
{
  GstEventsysSink *self = GST_EVENTSYS_SINK (bsink);

  GST_DEBUG_OBJECT (self, "unlock stop");
  if (self->cancellable != NULL)
    g_cancellable_reset (self->cancellable);
  return TRUE;
}

static GstFlowReturn
gst_eventsys_sink_render (GstBaseSink *bsink,
                          GstBuffer   *buffer)
{
  GstEventsysSink *self = GST_EVENTSYS_SINK (bsink);
  g_autoptr(GBytes) bytes = NULL;
  EsEventPriority priority;

  bytes = wrap_buffer (buffer);
  if (bytes == NULL)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not map the buffer"), (NULL));
      return GST_FLOW_ERROR;
    }
  if (self->fixed_size != 0 && g_bytes_get_size (bytes) != self->fixed_size)
    {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Buffer size does not match the event type"),
                         ("%s events carry %" G_GSIZE_FORMAT " bytes, the buffer has %" G_GSIZE_FORMAT,
                          g_type_name (self->event_type), self->fixed_size, g_bytes_get_size (bytes)));
      return GST_FLOW_ERROR;
    }

  GST_OBJECT_LOCK (self);
  priority = self->priority;
  GST_OBJECT_UNLOCK (self);

  for (;;)
    {
      g_autoptr(EsEvent) event = es_event_new_bytes (self->event_type, bytes);
      g_autoptr(GError) error = NULL;
      GstFlowReturn ret;

      es_event_set_priority (event, priority);
      if (es_publisher_publish (self->publisher, event, self->cancellable, &error))
        {
          atomic_fetch_add (&self->published, 1);
          GST_LOG_OBJECT (self, "published %" GST_PTR_FORMAT " as event #%" G_GUINT64_FORMAT,
                          buffer, es_event_get_sequence (event));
          return GST_FLOW_OK;
        }

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* unlock(): flushing, or going to PAUSED/READY. Wait until we may
           * go on (FLUSHING when not), then publish the buffer again. */
          GST_DEBUG_OBJECT (self, "publish cancelled by unlock");
          ret = gst_base_sink_wait_preroll (bsink);
          if (ret != GST_FLOW_OK)
            return ret;
          continue;
        }

      if (es_error_is_backpressure (error))
        {
          /* DROP_NEWEST (or a custom decision) rejected it: a dropped
           * buffer, not a stream error. */
          atomic_fetch_add (&self->dropped, 1);
          GST_DEBUG_OBJECT (self, "buffer dropped by backpressure: %s", error->message);
          return GST_FLOW_OK;
        }

      GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Could not publish the buffer"),
                         ("%s", error->message));
      return GST_FLOW_ERROR;
    }
}

static void
gst_eventsys_sink_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  GstEventsysSink *self = GST_EVENTSYS_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_SYSTEM_NAME:
      g_free (self->system_name);
      self->system_name = g_value_dup_string (value);
      break;
    case PROP_EVENT_TYPE:
      g_free (self->event_type_name);
      self->event_type_name = g_value_dup_string (value);
      break;
    case PROP_PRIORITY:
      self->priority = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_eventsys_sink_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  GstEventsysSink *self = GST_EVENTSYS_SINK (object);

  switch (prop_id)
    {
    case PROP_SYSTEM_NAME:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->system_name);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_EVENT_TYPE:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->event_type_name);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PRIORITY:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->priority);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PUBLISHED:
      g_value_set_uint64 (value, atomic_load (&self->published));
      break;
    case PROP_DROPPED:
      g_value_set_uint64 (value, atomic_load (&self->dropped));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gst_eventsys_sink_finalize (GObject *object)
{
  GstEventsysSink *self = GST_EVENTSYS_SINK (object);

  g_free (self->system_name);
  g_free (self->event_type_name);
  g_clear_object (&self->publisher);
  g_clear_object (&self->system);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (gst_eventsys_sink_parent_class)->finalize (object);
}

static void
gst_eventsys_sink_class_init (GstEventsysSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *base_sink_class = GST_BASE_SINK_CLASS (klass);

  object_class->set_property = gst_eventsys_sink_set_property;
  object_class->get_property = gst_eventsys_sink_get_property;
  object_class->finalize = gst_eventsys_sink_finalize;

  /**
   * GstEventsysSink:system-name:
   *
   * The #EsEventSystem to publish on: "default" for
   * es_event_system_get_default(), otherwise the name of a live system (see
   * es_event_system_lookup()). Resolved when the element starts.
   */
  properties[PROP_SYSTEM_NAME] =
    g_param_spec_string ("system-name", "System name",
                         "Name of the event system to publish on (\"default\": the process-wide default)",
                         GST_EVENTSYS_DEFAULT_SYSTEM_NAME,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstEventsysSink:event-type:
   *
   * The #GType name of the events published: "GstBuffer" (the default),
   * "GBytes", or a plain-data event type (e.g. one registered with
   * es_event_type_register_plain_named()). Subscribers subscribe to this type.
   */
  properties[PROP_EVENT_TYPE] =
    g_param_spec_string ("event-type", "Event type",
                         "GType name of the published events",
                         GST_EVENTSYS_DEFAULT_EVENT_TYPE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstEventsysSink:priority:
   *
   * The #EsEventPriority of the published events (with
   * #EsEventSystem:enable-priority a higher priority overtakes queued events).
   */
  properties[PROP_PRIORITY] =
    g_param_spec_enum ("priority", "Priority", "Priority of the published events",
                       ES_TYPE_EVENT_PRIORITY, DEFAULT_PRIORITY,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstEventsysSink:published:
   *
   * Buffers published since the element started.
   */
  properties[PROP_PUBLISHED] =
    g_param_spec_uint64 ("published", "Published", "Buffers published since the element started",
                         0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstEventsysSink:dropped:
   *
   * Buffers the event system rejected because of backpressure
   * (%ES_BACKPRESSURE_DROP_NEWEST) since the element started.
   */
  properties[PROP_DROPPED] =
    g_param_spec_uint64 ("dropped", "Dropped", "Buffers rejected by backpressure since the element started",
                         0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gst_element_class_set_static_metadata (element_class,
      "eventsys sink", "Sink/Generic",
      "Publishes buffers as zero-copy events on an eventsys event system",
      "eventsys");
  gst_element_class_add_static_pad_template (element_class, &sink_template);

  base_sink_class->start = GST_DEBUG_FUNCPTR (gst_eventsys_sink_start);
  base_sink_class->stop = GST_DEBUG_FUNCPTR (gst_eventsys_sink_stop);
  base_sink_class->unlock = GST_DEBUG_FUNCPTR (gst_eventsys_sink_unlock);
  base_sink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_eventsys_sink_unlock_stop);
  base_sink_class->render = GST_DEBUG_FUNCPTR (gst_eventsys_sink_render);

  GST_DEBUG_CATEGORY_INIT (gst_eventsys_sink_debug, "eventsyssink", 0, "eventsys sink");
}

static void
gst_eventsys_sink_init (GstEventsysSink *self)
{
  self->system_name = g_strdup (GST_EVENTSYS_DEFAULT_SYSTEM_NAME);
  self->event_type_name = g_strdup (GST_EVENTSYS_DEFAULT_EVENT_TYPE);
  self->priority = DEFAULT_PRIORITY;
  atomic_init (&self->published, 0);
  atomic_init (&self->dropped, 0);
}
