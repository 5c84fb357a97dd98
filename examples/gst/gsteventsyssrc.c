/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * SECTION:element-eventsyssrc
 * @title: eventsyssrc
 * @see_also: eventsyssink, #EsSubscriber
 *
 * Subscribes to events of #GstEventsysSrc:event-type (#GstBuffer by
 * default) on an eventsys #EsEventSystem of this process and pushes each
 * event's payload downstream as a #GstBuffer — without copying: the buffer
 * wraps the event's data read-only and holds a reference on the event, so a
 * buffer published by eventsyssink arrives with the very same data pointer.
 *
 * The subscription is made when the element starts (READY to PAUSED) and
 * sees the events published from then on. It is a live source: buffers are
 * timestamped with the running time at which they arrive
 * (#GstBaseSrc:do-timestamp is %TRUE by default); the publisher's buffer
 * metadata is not carried. When the subscriber missed events (backpressure
 * with %ES_BACKPRESSURE_DROP_OLDEST), the next buffer is flagged
 * %GST_BUFFER_FLAG_DISCONT and #GstEventsysSrc:dropped counts them.
 *
 * When the subscriber is closed — the event system was shut down and every
 * queued event pushed, or the subscription was ended with
 * es_subscriber_unsubscribe() — the element sends EOS. Flushing and stopping
 * (PAUSED to READY) unblock a waiting receive at once. (Pausing does not: a
 * live #GstBaseSrc leaves create() waiting, so the first event published
 * while paused is pushed on resume.)
 *
 * The events carry no caps: set #GstEventsysSrc:caps to what the publisher
 * produces (without it the output has ANY caps, enough for elements that do
 * not look at the data).
 *
 * ## Example (C, in the process that runs eventsyssink)
 * |[<!-- language="C" -->
 * GstElement *pipeline = gst_parse_launch (
 *     "eventsyssrc system-name=media caps=video/x-raw,format=I420,width=320,height=240,framerate=30/1 "
 *     "! videoconvert ! autovideosink", &error);
 * ]|
 */

#include "config.h"

#include <stdatomic.h>

#include "gsteventsys.h"
#include "gsteventsyssrc.h"

GST_DEBUG_CATEGORY_STATIC (gst_eventsys_src_debug);
#define GST_CAT_DEFAULT gst_eventsys_src_debug

struct _GstEventsysSrc
{
  GstPushSrc           parent_instance;

  /* Properties, under the object lock. */
  char                *system_name;
  char                *event_type_name;
  GstCaps             *caps;

  /* Between start() and stop(). */
  EsEventSystem       *system;
  EsSubscriber        *subscriber;
  GCancellable        *cancellable;   /* cancelled by unlock() */
  guint64              last_sequence;   /* of the last event pushed */
  guint64              last_dropped;    /* dropped count at the last DISCONT */

  atomic_uint_fast64_t received;
};

enum {
  PROP_0,
  PROP_SYSTEM_NAME,
  PROP_EVENT_TYPE,
  PROP_CAPS,
  PROP_RECEIVED,
  PROP_DROPPED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_FINAL_TYPE (GstEventsysSrc, gst_eventsys_src, GST_TYPE_PUSH_SRC)
GST_ELEMENT_REGISTER_DEFINE (eventsyssrc, "eventsyssrc", GST_RANK_NONE, GST_TYPE_EVENTSYS_SRC);

static gboolean
gst_eventsys_src_start (GstBaseSrc *bsrc)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (bsrc);
  g_autofree char *system_name = NULL;
  g_autofree char *type_name = NULL;
  g_autofree char *subscriber_name = NULL;
  g_autoptr(GError) error = NULL;
  EsSubscriber *subscriber;
  GType event_type;

  GST_OBJECT_LOCK (self);
  system_name = g_strdup (self->system_name);
  type_name = g_strdup (self->event_type_name);
  GST_OBJECT_UNLOCK (self);

  event_type = gst_eventsys_resolve_event_type (type_name, &error);
  if (event_type == G_TYPE_INVALID)
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

  subscriber = es_event_system_subscribe (self->system, event_type, &error);
  if (subscriber == NULL)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Cannot subscribe on event system “%s”",
                         es_event_system_get_name (self->system)), ("%s", error->message));
      g_clear_object (&self->system);
      return FALSE;
    }
  subscriber_name = gst_object_get_name (GST_OBJECT (self));
  es_subscriber_set_name (subscriber, subscriber_name);

  /* Under the object lock: the "dropped" property reads it. */
  GST_OBJECT_LOCK (self);
  self->subscriber = subscriber;
  GST_OBJECT_UNLOCK (self);

  self->cancellable = g_cancellable_new ();
  self->last_sequence = 0;
  self->last_dropped = 0;
  atomic_store (&self->received, 0);

  GST_INFO_OBJECT (self, "subscribed to %s events on %s “%s”", g_type_name (event_type),
                   G_OBJECT_TYPE_NAME (self->system), es_event_system_get_name (self->system));
  return TRUE;
}

static gboolean
gst_eventsys_src_stop (GstBaseSrc *bsrc)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (bsrc);
  EsSubscriber *subscriber;

  GST_OBJECT_LOCK (self);
  subscriber = g_steal_pointer (&self->subscriber);
  GST_OBJECT_UNLOCK (self);
  if (subscriber != NULL)
    {
      es_subscriber_unsubscribe (subscriber);
      g_object_unref (subscriber);
    }
  g_clear_object (&self->system);
  g_clear_object (&self->cancellable);
  return TRUE;
}

static gboolean
gst_eventsys_src_unlock (GstBaseSrc *bsrc)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (bsrc);

  GST_DEBUG_OBJECT (self, "unlock");
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  return TRUE;
}

static gboolean
gst_eventsys_src_unlock_stop (GstBaseSrc *bsrc)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (bsrc);

  GST_DEBUG_OBJECT (self, "unlock stop");
  if (self->cancellable != NULL)
    g_cancellable_reset (self->cancellable);
  return TRUE;
}

static GstCaps *
gst_eventsys_src_get_caps (GstBaseSrc *bsrc,
                           GstCaps    *filter)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (bsrc);
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = self->caps != NULL ? gst_caps_ref (self->caps) : gst_caps_new_any ();
  GST_OBJECT_UNLOCK (self);

  if (filter != NULL)
    {
      GstCaps *intersection = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);

      gst_caps_unref (caps);
      caps = intersection;
    }
  return caps;
}

static GstFlowReturn
gst_eventsys_src_create (GstPushSrc  *psrc,
                         GstBuffer  **outbuf)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (psrc);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      EsEvent *event;
      gconstpointer data;
      gsize size;
      guint64 sequence, dropped;
      GstBuffer *buffer;

      event = es_subscriber_receive (self->subscriber, self->cancellable, &error);
      if (event == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              GST_DEBUG_OBJECT (self, "receive cancelled by unlock");
              return GST_FLOW_FLUSHING;
            }
          if (g_error_matches (error, ES_ERROR, ES_ERROR_CLOSED))
            {
              GST_INFO_OBJECT (self, "subscriber closed: end of stream");
              return GST_FLOW_EOS;
            }
          GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not receive an event"),
                             ("%s", error->message));
          return GST_FLOW_ERROR;
        }

      data = es_event_get_data (event, &size);
      if (data == NULL && size == 0 && es_event_get_object (event) != NULL)
        {
          GST_WARNING_OBJECT (self, "skipping %s event: an object, not data",
                              g_type_name (es_event_get_event_type (event)));
          es_event_unref (event);
          continue;
        }

      if (size > 0)
        {
          /* The buffer owns our event reference: the data stays valid (an
           * event is immutable) until the buffer's memory is freed. */
          buffer = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY, (gpointer) data, size,
                                                0, size, event, (GDestroyNotify) es_event_unref);
        }
      else
        {
          buffer = gst_buffer_new ();
          es_event_unref (event);
        }

      /* A gap in the sequence numbers is where events were missed; the
       * dropped counter tells it from priority lanes reordering events (and
       * may already count drops behind this event, hence not used alone). */
      sequence = es_event_get_sequence (event);
      dropped = es_subscriber_get_dropped_count (self->subscriber);
      if (self->last_sequence != 0 && sequence > self->last_sequence + 1 && dropped > self->last_dropped)
        {
          GST_DEBUG_OBJECT (self, "missed %" G_GUINT64_FORMAT " events before #%" G_GUINT64_FORMAT,
                            sequence - self->last_sequence - 1, sequence);
          GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
          self->last_dropped = dropped;
        }
      self->last_sequence = MAX (self->last_sequence, sequence);

      atomic_fetch_add (&self->received, 1);
      *outbuf = buffer;
      return GST_FLOW_OK;
    }
}

static void
gst_eventsys_src_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (object);

  switch (prop_id)
    {
    case PROP_SYSTEM_NAME:
      GST_OBJECT_LOCK (self);
      g_free (self->system_name);
      self->system_name = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_EVENT_TYPE:
      GST_OBJECT_LOCK (self);
      g_free (self->event_type_name);
      self->event_type_name = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_CAPS:
      {
        const GstCaps *caps = gst_value_get_caps (value);

        GST_OBJECT_LOCK (self);
        gst_caps_replace (&self->caps, (GstCaps *) caps);
        GST_OBJECT_UNLOCK (self);
        gst_pad_mark_reconfigure (GST_BASE_SRC_PAD (self));
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gst_eventsys_src_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (object);

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
    case PROP_CAPS:
      GST_OBJECT_LOCK (self);
      gst_value_set_caps (value, self->caps);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RECEIVED:
      g_value_set_uint64 (value, atomic_load (&self->received));
      break;
    case PROP_DROPPED:
      {
        EsSubscriber *subscriber = NULL;

        GST_OBJECT_LOCK (self);
        if (self->subscriber != NULL)
          subscriber = g_object_ref (self->subscriber);
        GST_OBJECT_UNLOCK (self);
        g_value_set_uint64 (value, subscriber ? es_subscriber_get_dropped_count (subscriber) : 0);
        g_clear_object (&subscriber);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gst_eventsys_src_finalize (GObject *object)
{
  GstEventsysSrc *self = GST_EVENTSYS_SRC (object);

  g_free (self->system_name);
  g_free (self->event_type_name);
  gst_clear_caps (&self->caps);
  g_clear_object (&self->subscriber);
  g_clear_object (&self->system);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (gst_eventsys_src_parent_class)->finalize (object);
}

static void
gst_eventsys_src_class_init (GstEventsysSrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_src_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_src_class = GST_PUSH_SRC_CLASS (klass);

  object_class->set_property = gst_eventsys_src_set_property;
  object_class->get_property = gst_eventsys_src_get_property;
  object_class->finalize = gst_eventsys_src_finalize;

  /**
   * GstEventsysSrc:system-name:
   *
   * The #EsEventSystem to subscribe on: "default" for
   * es_event_system_get_default(), otherwise the name of a live system (see
   * es_event_system_lookup()). Resolved when the element starts.
   */
  properties[PROP_SYSTEM_NAME] =
    g_param_spec_string ("system-name", "System name",
                         "Name of the event system to subscribe on (\"default\": the process-wide default)",
                         GST_EVENTSYS_DEFAULT_SYSTEM_NAME,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstEventsysSrc:event-type:
   *
   * The #GType name of the events to receive: "GstBuffer" (the default, what
   * eventsyssink publishes), "GBytes", or a plain-data event type.
   */
  properties[PROP_EVENT_TYPE] =
    g_param_spec_string ("event-type", "Event type",
                         "GType name of the events to receive",
                         GST_EVENTSYS_DEFAULT_EVENT_TYPE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstEventsysSrc:caps:
   *
   * The caps of the output; %NULL (the default) for ANY.
   */
  properties[PROP_CAPS] =
    g_param_spec_boxed ("caps", "Caps", "Caps of the output (default: ANY)",
                        GST_TYPE_CAPS,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstEventsysSrc:received:
   *
   * Events pushed downstream since the element started.
   */
  properties[PROP_RECEIVED] =
    g_param_spec_uint64 ("received", "Received", "Events pushed downstream since the element started",
                         0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstEventsysSrc:dropped:
   *
   * Events the subscription missed because of backpressure
   * (%ES_BACKPRESSURE_DROP_OLDEST) since the element started.
   */
  properties[PROP_DROPPED] =
    g_param_spec_uint64 ("dropped", "Dropped", "Events missed because of backpressure",
                         0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gst_element_class_set_static_metadata (element_class,
      "eventsys source", "Source/Generic",
      "Pushes the events of an eventsys subscription downstream as zero-copy buffers",
      "eventsys");
  gst_element_class_add_static_pad_template (element_class, &src_template);

  base_src_class->start = GST_DEBUG_FUNCPTR (gst_eventsys_src_start);
  base_src_class->stop = GST_DEBUG_FUNCPTR (gst_eventsys_src_stop);
  base_src_class->unlock = GST_DEBUG_FUNCPTR (gst_eventsys_src_unlock);
  base_src_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_eventsys_src_unlock_stop);
  base_src_class->get_caps = GST_DEBUG_FUNCPTR (gst_eventsys_src_get_caps);
  push_src_class->create = GST_DEBUG_FUNCPTR (gst_eventsys_src_create);

  GST_DEBUG_CATEGORY_INIT (gst_eventsys_src_debug, "eventsyssrc", 0, "eventsys source");
}

static void
gst_eventsys_src_init (GstEventsysSrc *self)
{
  self->system_name = g_strdup (GST_EVENTSYS_DEFAULT_SYSTEM_NAME);
  self->event_type_name = g_strdup (GST_EVENTSYS_DEFAULT_EVENT_TYPE);
  atomic_init (&self->received, 0);

  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp (GST_BASE_SRC (self), TRUE);
}
