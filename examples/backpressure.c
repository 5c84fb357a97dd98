/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * backpressure.c — the seed's "Backpressure Example".
 *
 * A zero-copy event system with a channel capacity of 1000 events per
 * subscriber and a global buffer limit of 10 MB, carrying 10 KB media
 * events whose payload is a GBytes shared (never copied) by every
 * subscriber. Two subscribers: a fast one and a slow one (200 µs of
 * "processing" per event, at most 5000 events/s). The publisher publishes
 * 50 000 events/s (--rate), so the slow subscriber's queue — and with it the
 * global buffer — fills up, while the fast one keeps up.
 *
 * 1. DROP_OLDEST: publishing never fails; the slow subscriber loses its
 *    oldest queued events and learns how many through its dropped counter
 *    and the #EsSubscriber::lagged signal.
 * 2. DROP_NEWEST: a publish that does not fit is rejected (for every
 *    subscriber: all or nothing) with an error for which
 *    es_error_is_backpressure() is TRUE; the publisher slows down and
 *    retries, so in the end nothing is lost.
 *
 * Both runs print what was published, delivered and dropped, the buffer
 * manager's view (buffered bytes, limit, utilization) — and, when the library
 * has metrics (ES_HAVE_METRICS, set by examples/meson.build), the seed's
 * numbers from es_event_system_get_metrics() — and check the exact
 * accounting: for each subscriber, published to it = received + dropped +
 * still queued.
 *
 *   es-backpressure [--count N] [--rate EVENTS_PER_SECOND]
 */

#include <eventsys/eventsys.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A 10 KB event: a fixed-size plain-data type. On the zero-copy path it is
 * carried as a GBytes (es_event_new_bytes()), so publishing it to any number
 * of subscribers copies nothing. */
typedef struct {
  guint32 id;
  guint8  data[10000];
} LargeMediaEvent;

ES_DECLARE_EVENT_TYPE (LargeMediaEvent, large_media_event)
ES_DEFINE_EVENT_TYPE (LargeMediaEvent, large_media_event)
#define TYPE_LARGE_MEDIA_EVENT (large_media_event_get_type ())

#define CHANNEL_CAPACITY     1000
#define GLOBAL_BUFFER_SIZE   10000000     /* 10 MB */
#define SLOW_PROCESSING_US   200
#define BACKOFF_US           (10 * 1000)  /* the seed sleeps 100 ms */
#define MAX_MESSAGES         5            /* of each kind, to keep the output short */

static gint opt_count = 3000;
static gint opt_rate = 50000;

static GOptionEntry option_entries[] = {
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_count,
    "Events to publish in each run (default 3000)", "N" },
  { "rate", 'r', 0, G_OPTION_ARG_INT, &opt_rate,
    "Events per second the publisher aims at; 0 = as fast as possible (default 50000)", "N" },
  { NULL }
};

typedef struct {
  const char   *name;
  EsSubscriber *subscriber;
  guint         processing_us;
  guint64       received;       /* written by the consumer thread, read after join */
  guint32       last_id;
  gboolean      in_order;
  atomic_uint_fast64_t lagged;  /* sum of ::lagged emissions */
  GThread      *thread;
} Consumer;

static void
on_lagged (EsSubscriber *subscriber,
           guint64       n_missed,
           gpointer      user_data)
{
  Consumer *consumer = user_data;

  /* Emitted in the receiving thread by the receive after the drop. */
  if (atomic_fetch_add (&consumer->lagged, n_missed) == 0)
    g_print ("  [%s] lagged: missed %" G_GUINT64_FORMAT " events\n", consumer->name, n_missed);
}

static gpointer
consumer_thread (gpointer data)
{
  Consumer *consumer = data;
  EsEvent *event;
  gboolean first = TRUE;

  while ((event = es_subscriber_receive (consumer->subscriber, NULL, NULL)) != NULL)
    {
      const LargeMediaEvent *media = es_event_get_data (event, NULL);

      /* Dropping loses events but never reorders them. */
      if (!first && media->id <= consumer->last_id)
        consumer->in_order = FALSE;
      consumer->last_id = media->id;
      first = FALSE;
      consumer->received++;
      if (consumer->processing_us > 0)
        g_usleep (consumer->processing_us);
      es_event_unref (event);
    }
  return NULL;
}

static void
consumer_start (Consumer      *consumer,
                EsEventSystem *system,
                const char    *name,
                guint          processing_us)
{
  *consumer = (Consumer) { .name = name, .processing_us = processing_us, .in_order = TRUE };
  consumer->subscriber = es_event_system_subscribe (system, TYPE_LARGE_MEDIA_EVENT, NULL);
  g_assert (consumer->subscriber != NULL);
  es_subscriber_set_name (consumer->subscriber, name);
  g_signal_connect (consumer->subscriber, "lagged", G_CALLBACK (on_lagged), consumer);
  consumer->thread = g_thread_new (name, consumer_thread, consumer);
}

static gboolean
consumer_finish (Consumer *consumer)
{
  guint64 published, dropped, queued;
  gboolean ok;

  g_thread_join (consumer->thread);
  published = es_subscriber_get_published_count (consumer->subscriber);
  dropped = es_subscriber_get_dropped_count (consumer->subscriber);
  queued = es_subscriber_get_queue_depth (consumer->subscriber);

  ok = published == consumer->received + dropped + queued && consumer->in_order &&
       atomic_load (&consumer->lagged) <= dropped;
  g_print ("  %-5s subscriber: %5" G_GUINT64_FORMAT " published to it = %5" G_GUINT64_FORMAT " received"
           " + %5" G_GUINT64_FORMAT " dropped + %" G_GUINT64_FORMAT " queued %s\n",
           consumer->name, published, consumer->received, dropped, queued,
           ok ? "(exact)" : "MISMATCH: accounting or order broken");

  g_clear_object (&consumer->subscriber);
  return ok;
}

static void
on_backpressure_changed (EsPublisher         *publisher,
                         EsBackpressureState  state,
                         gpointer             user_data)
{
  guint *n_changes = user_data;
  g_autoptr(GEnumClass) klass = g_type_class_ref (ES_TYPE_BACKPRESSURE_STATE);

  if ((*n_changes)++ < MAX_MESSAGES)
    g_print ("  publisher backpressure state: %s\n", g_enum_get_value (klass, state)->value_nick);
}

static GBytes *
new_large_media_event (guint32 id)
{
  LargeMediaEvent *media = g_new (LargeMediaEvent, 1);

  media->id = id;
  memset (media->data, 0, sizeof media->data);   /* the seed's vec![0u8; 10000] */
  return g_bytes_new_take (media, sizeof *media);
}

static gboolean
run (EsBackpressureStrategy strategy)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  g_autoptr(EsEventSystem) event_system = NULL;
  g_autoptr(EsPublisher) publisher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GEnumClass) strategies = g_type_class_ref (ES_TYPE_BACKPRESSURE_STRATEGY);
  EsBufferManager *buffers;
  Consumer fast, slow;
  guint64 rejected = 0, backoffs = 0;
  gdouble peak_utilization = 0;
  guint n_state_changes = 0;
  gboolean ok = TRUE;
  gint64 start;

  g_print ("%s, zero-copy, channel capacity %d, global buffer %d bytes, %d events of %"
           G_GSIZE_FORMAT " bytes\n",
           g_enum_get_value (strategies, strategy)->value_name,
           CHANNEL_CAPACITY, GLOBAL_BUFFER_SIZE, opt_count, sizeof (LargeMediaEvent));

  /* Create an event system with custom backpressure configuration. */
  es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_ZERO_COPY);
  es_event_system_builder_set_channel_capacity (builder, CHANNEL_CAPACITY);
  es_event_system_builder_set_global_buffer_size (builder, GLOBAL_BUFFER_SIZE);
  es_event_system_builder_set_backpressure_strategy (builder, strategy);
#ifdef ES_HAVE_METRICS
  es_event_system_builder_set_enable_metrics (builder, TRUE);
#endif
  event_system = es_event_system_builder_build (builder, &error);
  if (event_system == NULL || !es_event_system_start (event_system, &error))
    goto fail;

  buffers = es_event_system_get_buffer_manager (event_system);
  publisher = es_event_system_create_publisher (event_system, TYPE_LARGE_MEDIA_EVENT, &error);
  if (publisher == NULL)
    goto fail;
  g_signal_connect (publisher, "backpressure-changed", G_CALLBACK (on_backpressure_changed),
                    &n_state_changes);

  consumer_start (&fast, event_system, "fast", 0);
  consumer_start (&slow, event_system, "slow", SLOW_PROCESSING_US);

  /* Custom publishing with backpressure handling. */
  start = g_get_monotonic_time ();
  for (gint i = 0; i < opt_count; i++)
    {
      g_autoptr(GBytes) payload = new_large_media_event ((guint32) i);
      g_autoptr(EsEvent) event = es_event_new_bytes (TYPE_LARGE_MEDIA_EVENT, payload);

      for (;;)
        {
          g_autoptr(GError) publish_error = NULL;

          if (es_publisher_publish (publisher, event, NULL, &publish_error))
            {
              if (i % 500 == 0 || i == opt_count - 1)
                g_print ("  Published event %d\n", i);
              break;
            }
          if (es_error_is_backpressure (publish_error))
            {
              /* Handle the backpressure condition: slow down and retry. */
              if (backoffs++ < MAX_MESSAGES)
                g_print ("  Backpressure detected at event %d (%s), slowing down\n",
                         i, publish_error->message);
              rejected++;
              g_usleep (BACKOFF_US);
              continue;
            }
          g_propagate_error (&error, g_steal_pointer (&publish_error));
          break;
        }
      if (error != NULL)
        break;
      peak_utilization = MAX (peak_utilization, es_buffer_manager_get_utilization (buffers));

      if (opt_rate > 0)
        {
          gint64 ahead = start + (gint64) ((i + 1.0) * G_USEC_PER_SEC / opt_rate) - g_get_monotonic_time ();

          if (ahead > 500)
            g_usleep (ahead);
        }
    }

  /* The buffer manager's view, with the slow subscriber still behind. */
  g_print ("  Events published: %" G_GUINT64_FORMAT " (rejected publishes: %" G_GUINT64_FORMAT ")\n",
           es_publisher_get_published_count (publisher), es_publisher_get_rejected_count (publisher));
  g_print ("  Events dropped: %" G_GUINT64_FORMAT " (slow subscriber)\n",
           es_subscriber_get_dropped_count (slow.subscriber));
  g_print ("  Buffered now: %" G_GUINT64_FORMAT " events, %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes\n",
           es_buffer_manager_get_buffered_events (buffers),
           es_buffer_manager_get_buffered_bytes (buffers),
           es_buffer_manager_get_limit_bytes (buffers));
  g_print ("  Current buffer utilization: %.1f%% (peak %.1f%%)\n",
           es_buffer_manager_get_utilization (buffers) * 100.0, peak_utilization * 100.0);
  if (backoffs > MAX_MESSAGES)
    g_print ("  (%" G_GUINT64_FORMAT " more backpressure messages not shown)\n", backoffs - MAX_MESSAGES);

#ifdef ES_HAVE_METRICS
  /* Access metrics: the seed's three numbers from the metrics subsystem
   * (NULL unless enable-metrics is set). */
  {
    EsMetrics *metrics = es_event_system_get_metrics (event_system);

    if (metrics != NULL)
      g_print ("  Metrics: %" G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT " dropped,"
               " buffer utilization %.1f%%\n",
               es_metrics_get_total_published (metrics),
               es_metrics_get_total_dropped (metrics),
               es_metrics_get_buffer_utilization (metrics) * 100.0);
  }
#endif

  /* Shutdown: the consumers drain their queues, then their receive loops end. */
  es_event_system_shutdown (event_system, NULL);
  ok &= consumer_finish (&fast);
  ok &= consumer_finish (&slow);

  if (es_buffer_manager_get_buffered_bytes (buffers) != 0)
    {
      g_print ("  buffer manager still accounts %" G_GUINT64_FORMAT " bytes after draining\n",
               es_buffer_manager_get_buffered_bytes (buffers));
      ok = FALSE;
    }
  if (peak_utilization > 1.0)
    ok = FALSE;
  /* DROP_NEWEST with retries loses nothing; the seed's DROP_OLDEST keeps
   * the publisher going and drops for the slow subscriber instead. */
  if (strategy == ES_BACKPRESSURE_DROP_NEWEST &&
      (fast.received != (guint64) opt_count || slow.received != (guint64) opt_count))
    ok = FALSE;
  if (strategy == ES_BACKPRESSURE_DROP_OLDEST && rejected != 0)
    ok = FALSE;

  if (error != NULL)
    goto fail;
  return ok;

fail:
  g_printerr ("Error: %s\n", error->message);
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— the eventsys backpressure example");
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_option_context_add_main_entries (context, option_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_count < 1)
    opt_count = 1;
  if (opt_rate < 0)
    opt_rate = 0;

  ok = run (ES_BACKPRESSURE_DROP_OLDEST);
  g_print ("\n");
  ok &= run (ES_BACKPRESSURE_DROP_NEWEST);

  if (!ok)
    return EXIT_FAILURE;
  g_print ("Example completed successfully\n");
  return EXIT_SUCCESS;
}
