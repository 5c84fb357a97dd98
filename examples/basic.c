/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * basic.c — the seed's "Basic Example - Media Packet Processing".
 *
 * A static fast path event system, one publisher of MediaPacketEvent and one
 * subscriber processing the packets in its own thread. 1000 packets are
 * published, one per millisecond; then the system is shut down gracefully:
 * the subscriber drains what is still queued and its receive loop ends with
 * ES_ERROR_CLOSED.
 *
 *   es-basic [--implementation static|zero-copy] [--count N]
 */

#include <eventsys/eventsys.h>
#include <stdlib.h>

/* A fixed-size plain-data event: no pointers, copied with memcpy(). The
 * seed's `stream_id: String` becomes a fixed char array. */
typedef struct {
  char     stream_id[16];
  guint32  sequence_number;
  guint64  timestamp;        /* ms since the epoch */
  guint8   payload_type;
  gboolean marker;
  guint32  payload_size;
} MediaPacketEvent;

ES_DECLARE_EVENT_TYPE (MediaPacketEvent, media_packet_event)
ES_DEFINE_EVENT_TYPE (MediaPacketEvent, media_packet_event)
#define TYPE_MEDIA_PACKET_EVENT (media_packet_event_get_type ())

static char *opt_implementation = NULL;
static gint opt_count = 1000;

static GOptionEntry option_entries[] = {
  { "implementation", 'i', 0, G_OPTION_ARG_STRING, &opt_implementation,
    "static (default) or zero-copy", "IMPL" },
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_count,
    "Packets to publish (default 1000)", "N" },
  { NULL }
};

typedef struct {
  EsSubscriber *subscriber;
  guint         packets_processed;
  guint32       next_sequence;
  gboolean      in_order;
  GError       *error;   /* why the receive loop ended */
} Processing;

static void
process_media_packet (const MediaPacketEvent *packet)
{
  /* Simulate processing time. */
  g_usleep (50);
}

static gpointer
processing_thread (gpointer data)
{
  Processing *p = data;
  EsEvent *event;

  /* es_subscriber_receive() blocks until an event arrives; after shutdown it
   * returns what was still queued, then fails with ES_ERROR_CLOSED. */
  while ((event = es_subscriber_receive (p->subscriber, NULL, &p->error)) != NULL)
    {
      const MediaPacketEvent *packet = es_event_get_data (event, NULL);

      if (packet->sequence_number != p->next_sequence++)
        p->in_order = FALSE;
      process_media_packet (packet);
      p->packets_processed++;

      if (p->packets_processed % 1000 == 0)
        g_print ("Processed %u packets\n", p->packets_processed);
      es_event_unref (event);
    }
  return NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— the eventsys basic example");
  g_autoptr(EsEventSystemBuilder) builder = NULL;
  g_autoptr(EsEventSystem) event_system = NULL;
  g_autoptr(EsPublisher) publisher = NULL;
  g_autoptr(GError) error = NULL;
  Processing processing = { .in_order = TRUE };
  EsImplementationType implementation = ES_IMPLEMENTATION_STATIC_FAST_PATH;
  GThread *thread;
  int status = EXIT_SUCCESS;

  g_option_context_add_main_entries (context, option_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (g_strcmp0 (opt_implementation, "zero-copy") == 0)
    implementation = ES_IMPLEMENTATION_ZERO_COPY;
  else if (opt_implementation != NULL && g_strcmp0 (opt_implementation, "static") != 0)
    {
      g_printerr ("Unknown implementation “%s”\n", opt_implementation);
      return 2;
    }
  g_clear_pointer (&opt_implementation, g_free);
  if (opt_count < 0)
    opt_count = 0;

  /* Create an event system using the static fast path implementation. */
  builder = es_event_system_builder_new ();
  es_event_system_builder_set_implementation (builder, implementation);
  es_event_system_builder_set_channel_capacity (builder, 10000);
  event_system = es_event_system_builder_build (builder, &error);
  if (event_system == NULL)
    goto fail;

  /* Start the event system: publishing is refused before this. */
  if (!es_event_system_start (event_system, &error))
    goto fail;

  /* Create a publisher for our media packet events. */
  publisher = es_event_system_create_publisher (event_system, TYPE_MEDIA_PACKET_EVENT, &error);
  if (publisher == NULL)
    goto fail;

  /* Subscribe to media packet events. */
  processing.subscriber = es_event_system_subscribe (event_system, TYPE_MEDIA_PACKET_EVENT, &error);
  if (processing.subscriber == NULL)
    goto fail;

  /* A thread to process received events. */
  thread = g_thread_new ("processing", processing_thread, &processing);

  /* Generate and publish media packets. */
  for (gint i = 0; i < opt_count; i++)
    {
      MediaPacketEvent packet = {
        .sequence_number = (guint32) i,
        .timestamp = (guint64) (g_get_real_time () / 1000),
        .payload_type = 96,
        .marker = i % 30 == 0,
        .payload_size = 1400,
      };

      g_snprintf (packet.stream_id, sizeof packet.stream_id, "stream-%d", i % 4);

      /* Plain data is copied once (into a ring slot on the static path). */
      if (!es_publisher_publish_data (publisher, &packet, sizeof packet, NULL, &error))
        break;

      /* Small delay to not overwhelm the system in this example. */
      g_usleep (1000);
    }

  /* Gracefully shut down the event system. */
  if (error == NULL)
    es_event_system_shutdown (event_system, &error);
  else
    es_event_system_shutdown (event_system, NULL);

  /* Wait for processing to complete: the thread drains the queue, then its
   * receive fails with ES_ERROR_CLOSED. */
  g_thread_join (thread);

  if (error != NULL)
    goto fail;
  if (!g_error_matches (processing.error, ES_ERROR, ES_ERROR_CLOSED))
    {
      g_printerr ("Receive loop ended unexpectedly: %s\n", processing.error->message);
      status = EXIT_FAILURE;
    }
  else if (processing.packets_processed != (guint) opt_count || !processing.in_order)
    {
      g_printerr ("Processed %u of %d packets%s\n", processing.packets_processed, opt_count,
                  processing.in_order ? "" : ", out of order");
      status = EXIT_FAILURE;
    }
  else
    g_print ("Processed %u packets in total (%s)\n", processing.packets_processed,
             G_OBJECT_TYPE_NAME (event_system));

  g_clear_error (&processing.error);
  g_clear_object (&processing.subscriber);

  if (status == EXIT_SUCCESS)
    g_print ("Example completed successfully\n");
  return status;

fail:
  g_printerr ("Error: %s\n", error->message);
  g_clear_error (&processing.error);
  g_clear_object (&processing.subscriber);
  return EXIT_FAILURE;
}
