/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * switching.c — the seed's "Advanced Example - Dynamic Implementation
 * Switching".
 *
 * A component, MediaProcessor, that works with either implementation: it
 * picks the static fast path for maximum performance or zero-copy for more
 * features when it is created, and from then on uses only the common API —
 * except where it checks for the zero-copy "advanced" features with
 * ES_IS_ZERO_COPY_EVENT_SYSTEM(), the GObject form of the seed's
 * `advanced()`. Both processors then run the same workload.
 *
 *   es-switching [--count N]
 */

#include <eventsys/eventsys.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct {
  char     stream_id[16];
  guint32  sequence_number;
  guint64  timestamp;
  guint8   payload_type;
  gboolean marker;
  guint32  payload_size;
} MediaPacketEvent;

ES_DECLARE_EVENT_TYPE (MediaPacketEvent, media_packet_event)
ES_DEFINE_EVENT_TYPE (MediaPacketEvent, media_packet_event)
#define TYPE_MEDIA_PACKET_EVENT (media_packet_event_get_type ())

static gint opt_count = 100000;

static GOptionEntry option_entries[] = {
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_count,
    "Packets each processor publishes (default 100000)", "N" },
  { NULL }
};

/* --- MediaProcessor ---------------------------------------------------------- */

#define MEDIA_TYPE_PROCESSOR (media_processor_get_type ())
G_DECLARE_FINAL_TYPE (MediaProcessor, media_processor, MEDIA, PROCESSOR, GObject)

/**
 * MediaProcessor:
 *
 * Owns an #EsEventSystem chosen by #MediaProcessor:high-performance; the
 * rest of its code is the same for both implementations.
 */
struct _MediaProcessor
{
  GObject        parent_instance;

  gboolean       high_performance;
  EsEventSystem *event_system;
  EsPublisher   *publisher;
  EsSubscriber  *subscriber;

  /* Advanced features (zero-copy only). */
  guint          handler_id;
  atomic_uint    handled_markers;
};

enum { PROP_0, PROP_HIGH_PERFORMANCE, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MediaProcessor, media_processor, G_TYPE_OBJECT)

static void
media_processor_constructed (GObject *object)
{
  MediaProcessor *self = MEDIA_PROCESSOR (object);
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();

  G_OBJECT_CLASS (media_processor_parent_class)->constructed (object);

  es_event_system_builder_set_channel_capacity (builder, 10000);
  if (self->high_performance)
    {
      /* Use the static fast path for max performance. */
      es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_STATIC_FAST_PATH);
    }
  else
    {
      /* Use zero-copy for more features. */
      es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_ZERO_COPY);
      es_event_system_builder_set_max_concurrent_dispatches (builder, 500);
      es_event_system_builder_set_enable_priority (builder, TRUE);
      es_event_system_builder_set_default_timeout (builder, 100 * G_TIME_SPAN_MILLISECOND);
    }

  /* Only a nonsensical configuration fails; these options are valid. */
  self->event_system = es_event_system_builder_build (builder, NULL);
  g_assert (self->event_system != NULL);
}

static void
media_processor_dispose (GObject *object)
{
  MediaProcessor *self = MEDIA_PROCESSOR (object);

  if (self->handler_id != 0 &&
      es_event_system_get_state (self->event_system) != ES_EVENT_SYSTEM_STATE_STOPPED)
    es_zero_copy_event_system_remove_handler (ES_ZERO_COPY_EVENT_SYSTEM (self->event_system),
                                              self->handler_id);
  self->handler_id = 0;
  if (self->event_system != NULL &&
      es_event_system_get_state (self->event_system) != ES_EVENT_SYSTEM_STATE_STOPPED)
    es_event_system_shutdown (self->event_system, NULL);
  g_clear_object (&self->publisher);
  g_clear_object (&self->subscriber);
  g_clear_object (&self->event_system);

  G_OBJECT_CLASS (media_processor_parent_class)->dispose (object);
}

static void
media_processor_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MediaProcessor *self = MEDIA_PROCESSOR (object);

  switch (prop_id)
    {
    case PROP_HIGH_PERFORMANCE:
      g_value_set_boolean (value, self->high_performance);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
media_processor_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MediaProcessor *self = MEDIA_PROCESSOR (object);

  switch (prop_id)
    {
    case PROP_HIGH_PERFORMANCE:
      self->high_performance = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
media_processor_class_init (MediaProcessorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = media_processor_constructed;
  object_class->dispose = media_processor_dispose;
  object_class->get_property = media_processor_get_property;
  object_class->set_property = media_processor_set_property;

  /**
   * MediaProcessor:high-performance:
   *
   * %TRUE for the static fast path, %FALSE for zero-copy with priorities,
   * a handler pool and a default timeout.
   */
  properties[PROP_HIGH_PERFORMANCE] =
    g_param_spec_boolean ("high-performance", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
media_processor_init (MediaProcessor *self)
{
}

static MediaProcessor *
media_processor_new (gboolean high_performance)
{
  return g_object_new (MEDIA_TYPE_PROCESSOR, "high-performance", high_performance, NULL);
}

/* A handler subscription (zero-copy only): runs on the system's dispatch
 * pool, at most max-concurrent-dispatches at once. */
static void
count_marker_packets (EsEvent  *event,
                      gpointer  user_data)
{
  MediaProcessor *self = user_data;
  const MediaPacketEvent *packet = es_event_get_data (event, NULL);

  if (packet->marker)
    atomic_fetch_add_explicit (&self->handled_markers, 1, memory_order_relaxed);
}

static gboolean
media_processor_start (MediaProcessor  *self,
                       GError         **error)
{
  /* Works with either implementation. */
  if (!es_event_system_start (self->event_system, error))
    return FALSE;

  /* Create a publisher. */
  self->publisher = es_event_system_create_publisher (self->event_system, TYPE_MEDIA_PACKET_EVENT, error);
  if (self->publisher == NULL)
    return FALSE;

  /* Subscribe. */
  self->subscriber = es_event_system_subscribe (self->event_system, TYPE_MEDIA_PACKET_EVENT, error);
  if (self->subscriber == NULL)
    return FALSE;

  /* Use access to advanced features when available. */
  if (ES_IS_ZERO_COPY_EVENT_SYSTEM (self->event_system))
    {
      EsZeroCopyEventSystem *advanced = ES_ZERO_COPY_EVENT_SYSTEM (self->event_system);

      g_print ("Using advanced event bus features (%u registry shards)\n",
               es_zero_copy_event_system_get_shard_count (advanced));
      self->handler_id = es_zero_copy_event_system_add_handler (advanced, TYPE_MEDIA_PACKET_EVENT,
                                                                count_marker_packets,
                                                                g_object_ref (self), g_object_unref,
                                                                error);
      if (self->handler_id == 0)
        return FALSE;
    }
  else
    {
      g_print ("Using high-performance static event path\n");
    }

  return TRUE;
}

static gpointer
receive_thread (gpointer data)
{
  MediaProcessor *self = data;
  guint64 received = 0;
  MediaPacketEvent packet;

  /* The allocation-free receive; the same call on both implementations. */
  while (es_subscriber_receive_data (self->subscriber, &packet, sizeof packet, -1, NULL, NULL))
    received++;
  return GSIZE_TO_POINTER ((gsize) received);
}

/* The part of the component that does not care which implementation it has. */
static gboolean
media_processor_run (MediaProcessor  *self,
                     guint            count,
                     GError         **error)
{
  GThread *thread = g_thread_new ("receiver", receive_thread, self);
  gint64 start = g_get_monotonic_time ();
  MediaPacketEvent packet = { .stream_id = "main", .payload_type = 96, .payload_size = 1400 };
  gboolean ok = TRUE;
  guint64 received;
  guint timeouts = 0;
  gdouble seconds;

  for (guint i = 0; i < count && ok; i++)
    {
      packet.sequence_number = i;
      packet.timestamp = (guint64) (g_get_real_time () / 1000);
      packet.marker = i % 30 == 0;
      for (;;)
        {
          g_autoptr(GError) local_error = NULL;

          ok = es_publisher_publish_data (self->publisher, &packet, sizeof packet, NULL, &local_error);
          if (ok || !g_error_matches (local_error, ES_ERROR, ES_ERROR_TIMEOUT))
            {
              if (!ok)
                g_propagate_error (error, g_steal_pointer (&local_error));
              break;
            }
          /* The zero-copy configuration has a 100 ms default-timeout: a
           * publish that waited that long for a consumer fails with
           * ES_ERROR_TIMEOUT instead of blocking forever. Here we just try
           * again; a real component might skip the packet or raise an alarm. */
          timeouts++;
        }
    }

  if (ES_IS_ZERO_COPY_EVENT_SYSTEM (self->event_system))
    {
      /* The handler runs on the dispatch pool, concurrently: give it a
       * moment to catch up before shutting down. */
      guint expected = (count + 29) / 30;
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      while (atomic_load (&self->handled_markers) < expected && g_get_monotonic_time () < deadline)
        g_usleep (1000);
      es_zero_copy_event_system_remove_handler (ES_ZERO_COPY_EVENT_SYSTEM (self->event_system),
                                                self->handler_id);
      self->handler_id = 0;
    }

  /* Shutdown lets the receiver drain, then ends its loop. */
  es_event_system_shutdown (self->event_system, NULL);
  received = GPOINTER_TO_SIZE (g_thread_join (thread));
  seconds = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;

  g_print ("  %s: %" G_GUINT64_FORMAT " packets received in %.3f s (%.0f packets/s)\n",
           G_OBJECT_TYPE_NAME (self->event_system), received, seconds,
           seconds > 0 ? received / seconds : 0.0);

  if (timeouts > 0)
    g_print ("  %u publishes timed out (default-timeout) waiting for a slow consumer and were retried\n",
             timeouts);
  if (ES_IS_ZERO_COPY_EVENT_SYSTEM (self->event_system))
    {
      g_print ("  handler saw %u marker packets; peak concurrent dispatches: %u\n",
               atomic_load (&self->handled_markers),
               es_zero_copy_event_system_get_peak_dispatches (ES_ZERO_COPY_EVENT_SYSTEM (self->event_system)));
    }

  if (ok && received != count)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "%u packets published, %" G_GUINT64_FORMAT " received",
                   count, received);
      ok = FALSE;
    }
  return ok;
}

/* Priorities (zero-copy with enable-priority): a HIGH event overtakes
 * queued NORMAL ones. */
static gboolean
demonstrate_priorities (GError **error)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  g_autoptr(EsEventSystem) system = NULL;
  g_autoptr(EsPublisher) publisher = NULL;
  g_autoptr(EsSubscriber) subscriber = NULL;
  MediaPacketEvent packet = { .stream_id = "main", .payload_type = 96 };
  g_autoptr(EsEvent) urgent = NULL;
  g_autoptr(EsEvent) first = NULL;

  es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_ZERO_COPY);
  es_event_system_builder_set_enable_priority (builder, TRUE);
  system = es_event_system_builder_build (builder, error);
  if (system == NULL || !es_event_system_start (system, error))
    return FALSE;
  subscriber = es_event_system_subscribe (system, TYPE_MEDIA_PACKET_EVENT, error);
  publisher = es_event_system_create_publisher (system, TYPE_MEDIA_PACKET_EVENT, error);
  if (subscriber == NULL || publisher == NULL)
    return FALSE;

  for (guint i = 0; i < 10; i++)
    {
      packet.sequence_number = i;
      if (!es_publisher_publish_data (publisher, &packet, sizeof packet, NULL, error))
        return FALSE;
    }
  packet.sequence_number = 999;
  packet.marker = TRUE;
  urgent = es_event_new (TYPE_MEDIA_PACKET_EVENT, &packet, sizeof packet);
  es_event_set_priority (urgent, ES_EVENT_PRIORITY_HIGH);
  if (!es_publisher_publish (publisher, urgent, NULL, error))
    return FALSE;

  first = es_subscriber_try_receive (subscriber, error);
  if (first == NULL)
    return FALSE;
  g_print ("  priorities: 10 normal packets queued, then a high-priority one; "
           "the first received is #%u (priority %d)\n",
           ((const MediaPacketEvent *) es_event_get_data (first, NULL))->sequence_number,
           es_event_get_priority (first));
  return es_event_system_shutdown (system, error);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— dynamic implementation switching");
  g_autoptr(GError) error = NULL;
  const gboolean modes[] = { TRUE, FALSE };

  g_option_context_add_main_entries (context, option_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_count < 0)
    opt_count = 0;

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr(MediaProcessor) processor = media_processor_new (modes[i]);

      g_print ("MediaProcessor (high-performance = %s):\n", modes[i] ? "TRUE" : "FALSE");
      if (!media_processor_start (processor, &error) ||
          !media_processor_run (processor, (guint) opt_count, &error))
        {
          g_printerr ("Error: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }

  if (!demonstrate_priorities (&error))
    {
      g_printerr ("Error: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_print ("Example completed successfully\n");
  return EXIT_SUCCESS;
}
