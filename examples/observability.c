/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seed's observability and backpressure examples in C.
 *
 *   observability [--port 8080] [--seconds 10] [--interval 1]
 *                 [--json metrics.json] [--pushgateway http://127.0.0.1:9091]
 *
 * Part 1 (observability): a static fast-path system with metrics, a reporter
 * writing a JSON file (and pushing to a Pushgateway when asked), the live
 * dashboard on http://127.0.0.1:<port>/, and media and signaling traffic
 * while a line per report is printed.
 *
 * Part 2 (backpressure): a zero-copy system with a 10 MB global buffer and
 * DROP_OLDEST, 1000 publishes of 10 KB to a slow subscriber, then the
 * seed's three numbers: published, dropped, buffer utilization.
 */

#include <eventsys/eventsys.h>

/* --- Event types ----------------------------------------------------------- */

typedef struct {
  guint32 stream_id;
  guint32 sequence_number;
  guint64 timestamp;
  guint32 payload_size;
} MediaPacket;

ES_DECLARE_EVENT_TYPE (MediaPacket, media_packet)
ES_DEFINE_EVENT_TYPE (MediaPacket, media_packet)
#define TYPE_MEDIA_PACKET (media_packet_get_type ())

typedef struct {
  guint32 session_id;
  guint32 kind;
} SignalingEvent;

ES_DECLARE_EVENT_TYPE (SignalingEvent, signaling_event)
ES_DEFINE_EVENT_TYPE (SignalingEvent, signaling_event)
#define TYPE_SIGNALING_EVENT (signaling_event_get_type ())

/* --- Options --------------------------------------------------------------- */

static gint opt_port = 8080;
static gint opt_seconds = 10;
static gint opt_interval = 1;
static char *opt_json = NULL;
static char *opt_pushgateway = NULL;

static const GOptionEntry entries[] = {
  { "port", 'p', 0, G_OPTION_ARG_INT, &opt_port, "Dashboard port on 127.0.0.1 (0: any free port)", "PORT" },
  { "seconds", 's', 0, G_OPTION_ARG_INT, &opt_seconds, "How long to run part 1 (0: until interrupted)", "S" },
  { "interval", 'i', 0, G_OPTION_ARG_INT, &opt_interval, "Metrics reporting interval", "S" },
  { "json", 'j', 0, G_OPTION_ARG_FILENAME, &opt_json, "JSON metrics file (default: metrics.json)", "FILE" },
  { "pushgateway", 'g', 0, G_OPTION_ARG_STRING, &opt_pushgateway, "Also push to this Prometheus Pushgateway", "URL" },
  { NULL }
};

/* --- Part 1: observability ------------------------------------------------- */

typedef struct {
  EsPublisher *media;
  EsPublisher *signaling;
  gint         stop;   /* atomic */
} Traffic;

static gpointer
publish_thread (gpointer data)
{
  Traffic *traffic = data;
  guint32 seq = 0;

  while (!g_atomic_int_get (&traffic->stop))
    {
      for (guint i = 0; i < 500; i++, seq++)
        {
          MediaPacket packet = { seq % 4, seq, g_get_monotonic_time (), 1200 };
          g_autoptr(GError) error = NULL;

          if (!es_publisher_publish_data (traffic->media, &packet, sizeof packet, NULL, &error) &&
              !es_error_is_backpressure (error))
            return NULL;   /* shut down */
        }
      if (seq % 5000 == 0)
        {
          SignalingEvent ev = { seq / 5000, 1 };
          es_publisher_publish_data (traffic->signaling, &ev, sizeof ev, NULL, NULL);
        }
      g_usleep (5 * 1000);
    }
  return NULL;
}

static gpointer
receive_thread (gpointer data)
{
  EsSubscriber *sub = data;
  MediaPacket packets[64];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      guint n = es_subscriber_receive_data_batch (sub, packets, sizeof packets[0], G_N_ELEMENTS (packets),
                                                  -1, NULL, &error);
      if (n == 0 && error != NULL)
        break;   /* closed */
    }
  return NULL;
}

static void
on_metrics_reported (EsMetrics         *metrics,
                     EsMetricsSnapshot *snapshot,
                     gpointer           user_data)
{
  g_print ("%8.0f events/s  published %-9" G_GUINT64_FORMAT " delivered %-9" G_GUINT64_FORMAT
           " dropped %-6" G_GUINT64_FORMAT " p50 %6.1f µs  p99 %7.1f µs  buffer %4.1f %%\n",
           es_metrics_snapshot_get_events_per_second (snapshot),
           es_metrics_snapshot_get_total_published (snapshot),
           es_metrics_snapshot_get_total_delivered (snapshot),
           es_metrics_snapshot_get_total_dropped (snapshot),
           es_metrics_snapshot_get_latency_percentile (snapshot, 0.50) * 1e6,
           es_metrics_snapshot_get_latency_percentile (snapshot, 0.99) * 1e6,
           es_metrics_snapshot_get_buffer_utilization (snapshot) * 100);
}

static void
on_output_error (EsMetricsReporter *reporter,
                 const char        *destination,
                 const GError      *error,
                 gpointer           user_data)
{
  g_printerr ("metrics output %s failed: %s\n", destination, error->message);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
observability_example (GError **error)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  g_autoptr(EsEventSystem) system = NULL;
  g_autoptr(EsSubscriber) media_sub = NULL;
  g_autoptr(EsSubscriber) signaling_sub = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(EsMetricsSnapshot) snapshot = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *json = NULL;
  const char *tracked[] = { "MediaPacket", "SignalingEvent", NULL };
  EsMetrics *metrics;
  EsMetricsReporter *reporter;
  EsMetricsServer *server;
  Traffic traffic = { 0, };
  GThread *publisher, *receiver;

  /* Create an event system with metrics enabled. */
  es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_STATIC_FAST_PATH);
  es_event_system_builder_set_name (builder, "observability-example");
  es_event_system_builder_set_enable_metrics (builder, TRUE);
  es_event_system_builder_set_metrics_reporting_interval (builder, MAX (opt_interval, 1) * G_TIME_SPAN_SECOND);
  system = es_event_system_builder_build (builder, error);
  if (system == NULL)
    return FALSE;

  /* Start the system with metrics reporting (reports arrive in this
   * thread's main context). */
  if (!es_event_system_start (system, error))
    return FALSE;

  /* Configure the metrics reporter. */
  metrics = es_event_system_get_metrics (system);
  reporter = es_metrics_get_reporter (metrics);
  if (!es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_JSON,
                                       opt_json != NULL ? opt_json : "metrics.json", error))
    return FALSE;
  if (opt_pushgateway != NULL &&
      !es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_PROMETHEUS, opt_pushgateway, error))
    return FALSE;
  es_metrics_reporter_set_detailed_view (reporter, TRUE);
  es_metrics_reporter_set_histograms (reporter, TRUE);
  es_metrics_reporter_set_tracked_event_types (reporter, tracked);
  g_signal_connect (reporter, "output-error", G_CALLBACK (on_output_error), NULL);
  g_signal_connect (metrics, "metrics-reported", G_CALLBACK (on_metrics_reported), NULL);

  /* Start a metrics dashboard on a local port (any free one if that is
   * taken, so that the example also runs next to `make demo`). */
  server = es_metrics_start_dashboard (metrics, opt_port, error);
  if (server == NULL && g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    {
      g_printerr ("%s; using a free port instead\n", (*error)->message);
      g_clear_error (error);
      server = es_metrics_start_dashboard (metrics, 0, error);
    }
  if (server == NULL)
    return FALSE;
  uri = es_metrics_server_dup_uri (server);
  g_print ("Dashboard: %s  (Prometheus: %smetrics)\n", uri, uri);

  /* Run the application. */
  traffic.media = es_event_system_create_publisher (system, TYPE_MEDIA_PACKET, error);
  traffic.signaling = es_event_system_create_publisher (system, TYPE_SIGNALING_EVENT, error);
  media_sub = es_event_system_subscribe (system, TYPE_MEDIA_PACKET, error);
  signaling_sub = es_event_system_subscribe (system, TYPE_SIGNALING_EVENT, error);
  if (traffic.media == NULL || traffic.signaling == NULL || media_sub == NULL || signaling_sub == NULL)
    return FALSE;
  es_subscriber_set_name (media_sub, "recorder");
  es_subscriber_set_name (signaling_sub, "signaling-log");

  publisher = g_thread_new ("publisher", publish_thread, &traffic);
  receiver = g_thread_new ("receiver", receive_thread, media_sub);

  if (opt_seconds > 0)
    g_timeout_add_seconds (opt_seconds, quit_cb, loop);
  g_main_loop_run (loop);

  /* Manually report metrics at key points. */
  snapshot = es_metrics_dup_snapshot (metrics);
  json = es_metrics_snapshot_to_json (snapshot, ES_METRICS_EXPORT_SUBSCRIBERS, TRUE);
  g_print ("System metrics: %s\n", json);
  {
    g_autoptr(GError) report_error = NULL;

    if (!es_metrics_reporter_report_now (reporter, NULL, &report_error))
      g_printerr ("final report: %s\n", report_error->message);
  }

  /* System state (the health issue extends this with a full health check). */
  g_print ("System state: %s\n",
           es_event_system_get_state (system) == ES_EVENT_SYSTEM_STATE_RUNNING ? "RUNNING" : "NOT RUNNING");

  g_atomic_int_set (&traffic.stop, 1);
  g_thread_join (publisher);
  es_event_system_shutdown (system, NULL);
  g_thread_join (receiver);
  g_clear_object (&traffic.media);
  g_clear_object (&traffic.signaling);
  es_metrics_stop_dashboard (metrics);

  return TRUE;
}

/* --- Part 2: backpressure -------------------------------------------------- */

#define LARGE_EVENT_SIZE 10000

static gboolean
backpressure_example (GError **error)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  g_autoptr(EsEventSystem) system = NULL;
  g_autoptr(EsPublisher) publisher = NULL;
  g_autoptr(EsSubscriber) slow = NULL;
  g_autofree guint8 *payload = g_malloc0 (LARGE_EVENT_SIZE);
  EsMetrics *metrics;

  /* Create an event system with custom backpressure configuration. */
  es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_ZERO_COPY);
  es_event_system_builder_set_channel_capacity (builder, 1000);
  es_event_system_builder_set_global_buffer_size (builder, 10 * 1000 * 1000);   /* 10 MB */
  es_event_system_builder_set_backpressure_strategy (builder, ES_BACKPRESSURE_DROP_OLDEST);
  es_event_system_builder_set_enable_metrics (builder, TRUE);
  system = es_event_system_builder_build (builder, error);
  if (system == NULL || !es_event_system_start (system, error))
    return FALSE;

  publisher = es_event_system_create_publisher (system, G_TYPE_BYTES, error);
  slow = es_event_system_subscribe (system, G_TYPE_BYTES, error);
  if (publisher == NULL || slow == NULL)
    return FALSE;
  es_subscriber_set_name (slow, "slow-consumer");

  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(EsEvent) event = NULL;
      g_autoptr(GError) local_error = NULL;

      memcpy (payload, &i, sizeof i);
      bytes = g_bytes_new (payload, LARGE_EVENT_SIZE);   /* 10 KB payload */
      event = es_event_new_bytes (G_TYPE_BYTES, bytes);

      if (es_publisher_publish (publisher, event, NULL, &local_error))
        continue;
      if (es_error_is_backpressure (local_error))
        {
          g_print ("Backpressure detected, slowing down\n");
          g_usleep (100 * 1000);
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* Access metrics. */
  metrics = es_event_system_get_metrics (system);
  if (metrics != NULL)
    {
      g_print ("Events published: %" G_GUINT64_FORMAT "\n", es_metrics_get_total_published (metrics));
      g_print ("Events dropped: %" G_GUINT64_FORMAT "\n", es_metrics_get_total_dropped (metrics));
      g_print ("Current buffer utilization: %.1f%%\n", es_metrics_get_buffer_utilization (metrics) * 100);
    }

  es_event_system_shutdown (system, NULL);
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- eventsys observability example");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  g_print ("== Observability ==\n");
  if (!observability_example (&error))
    {
      g_printerr ("observability example failed: %s\n", error->message);
      return 1;
    }

  g_print ("\n== Backpressure ==\n");
  if (!backpressure_example (&error))
    {
      g_printerr ("backpressure example failed: %s\n", error->message);
      return 1;
    }

  return 0;
}
