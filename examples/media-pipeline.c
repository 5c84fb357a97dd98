/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * media-pipeline.c — the seed's "Integration Example - Media Pipeline",
 * the program behind `make demo`.
 *
 *   source thread ──MediaPacketEvent──▶ processor thread
 *                 ──ProcessedMediaEvent──▶ metrics collector (main loop)
 *                 ──MetricsEvent──▶ reporter (main loop)
 *
 * The same code runs on both implementations in turn (the unified API): the
 * static fast path first, then zero-copy, a few seconds each. The source
 * publishes plain-data structs from its own thread (as fast as the pipeline
 * allows, or paced with --rate); the processor receives them with the
 * allocation-free es_subscriber_receive_data() in another thread and
 * publishes a ProcessedMediaEvent for each; the metrics collector and the
 * reporter are attached to the main loop with es_subscriber_attach().
 *
 * At the deadline the source publishes an in-band end-of-stream packet which
 * flows through the whole pipeline, so everything published is processed
 * before es_event_system_shutdown(): the run checks that no packet was lost.
 *
 * Once a second a progress line shows the packets published and processed,
 * the processing rate over the last second, the totals of the latest
 * MetricsEvent and the queue depths of the processor and of the metrics
 * collector ("queued P/M"): with the default BLOCK backpressure a full queue
 * makes the upstream stage wait instead of losing packets.
 *
 *   es-media-pipeline [--duration SECONDS] [--implementation static|zero-copy|both]
 *                     [--rate EVENTS_PER_SECOND] [--capacity N] [--dashboard PORT]
 *
 * Exit status 0 when every run processed exactly what was published.
 */

#include <eventsys/eventsys.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* --- Event types ------------------------------------------------------------
 *
 * Plain-data (fixed-size, pointer-free) structs: the static fast path copies
 * them once into preallocated ring slots, zero-copy wraps each in one shared
 * envelope. The seed's `stream_id: String` becomes a fixed char array. */

#define STREAM_ID_LEN 16

typedef struct {
  char     stream_id[STREAM_ID_LEN];
  guint32  sequence_number;
  guint32  payload_size;
  guint64  timestamp;         /* wall clock, ms since the epoch */
  guint8   payload_type;
  gboolean marker;
  gboolean end_of_stream;     /* demo addition: in-band end of stream */
} MediaPacketEvent;

typedef struct {
  char     stream_id[STREAM_ID_LEN];
  guint32  sequence_number;
  guint64  timestamp;
  guint64  processed_data_size;
  gboolean end_of_stream;
} ProcessedMediaEvent;

typedef struct {
  guint64 timestamp;
  guint64 packets_processed;
  guint64 bytes_processed;
} MetricsEvent;

ES_DECLARE_EVENT_TYPE (MediaPacketEvent, media_packet_event)
ES_DECLARE_EVENT_TYPE (ProcessedMediaEvent, processed_media_event)
ES_DECLARE_EVENT_TYPE (MetricsEvent, metrics_event)

ES_DEFINE_EVENT_TYPE (MediaPacketEvent, media_packet_event)
ES_DEFINE_EVENT_TYPE (ProcessedMediaEvent, processed_media_event)
ES_DEFINE_EVENT_TYPE (MetricsEvent, metrics_event)

#define TYPE_MEDIA_PACKET_EVENT    (media_packet_event_get_type ())
#define TYPE_PROCESSED_MEDIA_EVENT (processed_media_event_get_type ())
#define TYPE_METRICS_EVENT         (metrics_event_get_type ())

/* The seed publishes a MetricsEvent every 100 processed packets. */
#define METRICS_EVERY 100

/* How long the pipeline may take to drain after the deadline. */
#define DRAIN_TIMEOUT_MS 10000

/* --- Options ---------------------------------------------------------------- */

static gdouble opt_duration = 3.0;
static char *opt_implementation = NULL;
static guint opt_rate = 0;
static guint opt_capacity = 16384;
static gint opt_dashboard = -1;

static GOptionEntry option_entries[] = {
  { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &opt_duration,
    "Seconds to run each implementation (default 3)", "SECONDS" },
  { "implementation", 'i', 0, G_OPTION_ARG_STRING, &opt_implementation,
    "static, zero-copy or both (default both)", "IMPL" },
  { "rate", 'r', 0, G_OPTION_ARG_INT, &opt_rate,
    "Packets per second the source publishes; 0 = as fast as possible (default)", "N" },
  { "capacity", 'c', 0, G_OPTION_ARG_INT, &opt_capacity,
    "Channel capacity (default 16384, as in the seed)", "N" },
  { "dashboard", 0, 0, G_OPTION_ARG_INT, &opt_dashboard,
    "Serve the live metrics dashboard on 127.0.0.1:PORT (0 = any free port)", "PORT" },
  { NULL }
};

/* --- One run of the pipeline ------------------------------------------------- */

typedef struct {
  const char          *label;
  EsEventSystem       *system;
  GMainLoop           *loop;

  EsPublisher         *packet_pub;      /* source thread */
  EsPublisher         *processed_pub;   /* processor thread */
  EsPublisher         *metrics_pub;     /* main loop */
  EsSubscriber        *packet_sub;      /* processor thread */
  EsSubscriber        *processed_sub;   /* main loop: metrics collector */
  EsSubscriber        *metrics_sub;     /* main loop: reporter */

  guint                rate;
  atomic_bool          stop;            /* main loop → source */
  atomic_uint_fast64_t published;       /* source: packets published */
  atomic_uint_fast64_t forwarded;       /* processor: processed events published */
  GError              *source_error;    /* read after the source thread is joined */
  GError              *processor_error; /* read after the processor is joined */

  /* Main-loop state: only touched on the main thread. */
  gint64               start_time;
  gint64               end_time;
  guint64              packets;
  guint64              bytes;
  guint64              metrics_published;
  guint64              metrics_received;
  MetricsEvent         last_metrics;
  guint64              last_progress_packets;
  gint64               last_progress_time;
  gboolean             eos;
  gboolean             timed_out;
  guint                deadline_id;
  guint                watchdog_id;
} PipelineRun;

static guint64
now_ms (void)
{
  return (guint64) (g_get_real_time () / 1000);
}

/* The media source: publishes MediaPacketEvents until told to stop, then one
 * end-of-stream packet. */
static gpointer
source_thread (gpointer data)
{
  PipelineRun *run = data;
  gint64 start = g_get_monotonic_time ();
  guint32 sequence = 0;
  MediaPacketEvent packet = { 0 };

  g_strlcpy (packet.stream_id, "main", sizeof packet.stream_id);
  packet.payload_type = 96;
  packet.payload_size = 1400;

  while (!atomic_load_explicit (&run->stop, memory_order_relaxed))
    {
      packet.sequence_number = sequence;
      packet.timestamp = now_ms ();
      packet.marker = sequence % 30 == 0;

      /* BLOCK backpressure (the default): waits while the processor is a
       * full channel behind. Shutdown would wake it with ES_ERROR_SHUT_DOWN. */
      if (!es_publisher_publish_data (run->packet_pub, &packet, sizeof packet,
                                      NULL, &run->source_error))
        return NULL;

      sequence++;
      atomic_store_explicit (&run->published, sequence, memory_order_relaxed);

      if (run->rate > 0)
        {
          /* Pace to the rate: sleep when more than 1 ms ahead of schedule. */
          gint64 due = start + (gint64) ((gdouble) sequence * G_USEC_PER_SEC / run->rate);
          gint64 ahead = due - g_get_monotonic_time ();

          if (ahead > 1000)
            g_usleep (MIN (ahead, 100000));
        }
    }

  packet.sequence_number = sequence;
  packet.timestamp = now_ms ();
  packet.marker = FALSE;
  packet.end_of_stream = TRUE;
  es_publisher_publish_data (run->packet_pub, &packet, sizeof packet, NULL, &run->source_error);
  return NULL;
}

/* The media processor: receives packets with the allocation-free
 * es_subscriber_receive_data() and publishes a ProcessedMediaEvent each. */
static gpointer
processor_thread (gpointer data)
{
  PipelineRun *run = data;

  for (;;)
    {
      MediaPacketEvent packet;
      ProcessedMediaEvent processed = { 0 };

      if (!es_subscriber_receive_data (run->packet_sub, &packet, sizeof packet,
                                       -1, NULL, &run->processor_error))
        break;   /* ES_ERROR_CLOSED only if the run was shut down early */

      memcpy (processed.stream_id, packet.stream_id, sizeof processed.stream_id);
      processed.sequence_number = packet.sequence_number;
      processed.timestamp = packet.timestamp;
      processed.processed_data_size = (guint64) packet.payload_size * 2;
      processed.end_of_stream = packet.end_of_stream;

      if (!es_publisher_publish_data (run->processed_pub, &processed, sizeof processed,
                                      NULL, &run->processor_error))
        break;

      if (packet.end_of_stream)
        break;
      atomic_fetch_add_explicit (&run->forwarded, 1, memory_order_relaxed);
    }
  return NULL;
}

static void
publish_metrics (PipelineRun *run)
{
  MetricsEvent metrics = {
    .timestamp = now_ms (),
    .packets_processed = run->packets,
    .bytes_processed = run->bytes,
  };
  g_autoptr(GError) error = NULL;

  /* Published from a main-loop callback: never block the loop for long. The
   * reporter drains in the same loop, and one metrics event per hundred
   * packets cannot fill its channel. */
  if (es_publisher_publish_data (run->metrics_pub, &metrics, sizeof metrics, NULL, &error))
    run->metrics_published++;
  else
    g_warning ("%s: publishing metrics: %s", run->label, error->message);
}

/* The metrics collector, in the main loop. */
static gboolean
on_processed (EsSubscriber *subscriber,
              EsEvent      *event,
              gpointer      user_data)
{
  PipelineRun *run = user_data;
  const ProcessedMediaEvent *processed = es_event_get_data (event, NULL);

  if (processed->end_of_stream)
    {
      run->end_time = g_get_monotonic_time ();
      run->eos = TRUE;
      publish_metrics (run);   /* the final totals */
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }

  run->packets++;
  run->bytes += processed->processed_data_size;
  if (run->packets % METRICS_EVERY == 0)
    publish_metrics (run);
  return G_SOURCE_CONTINUE;
}

/* The reporter: keeps the latest MetricsEvent for the progress line. */
static gboolean
on_metrics (EsSubscriber *subscriber,
            EsEvent      *event,
            gpointer      user_data)
{
  PipelineRun *run = user_data;

  memcpy (&run->last_metrics, es_event_get_data (event, NULL), sizeof run->last_metrics);
  run->metrics_received++;
  return G_SOURCE_CONTINUE;
}

static gboolean
on_progress (gpointer user_data)
{
  PipelineRun *run = user_data;
  gint64 now = g_get_monotonic_time ();
  gdouble interval = (now - run->last_progress_time) / (gdouble) G_USEC_PER_SEC;
  guint64 published = atomic_load_explicit (&run->published, memory_order_relaxed);
  guint64 reported = run->last_metrics.packets_processed;

  g_print ("  [%s] %4.1f s: %" G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT " processed,"
           " %.0f packets/s; last MetricsEvent %" G_GUINT64_FORMAT " packets, %.1f MB;"
           " queued %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "\n",
           run->label, (now - run->start_time) / (gdouble) G_USEC_PER_SEC,
           published, run->packets,
           interval > 0 ? (run->packets - run->last_progress_packets) / interval : 0.0,
           reported, run->last_metrics.bytes_processed / 1e6,
           es_subscriber_get_queue_depth (run->packet_sub),
           es_subscriber_get_queue_depth (run->processed_sub));

  run->last_progress_time = now;
  run->last_progress_packets = run->packets;
  return G_SOURCE_CONTINUE;
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  PipelineRun *run = user_data;

  g_printerr ("%s: the pipeline did not drain within %d ms; shutting down\n",
              run->label, DRAIN_TIMEOUT_MS);
  run->watchdog_id = 0;
  run->timed_out = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

/* Deadline (or Ctrl-C): stop the source; its end-of-stream packet drains
 * the pipeline and on_processed() quits the loop. */
static void
stop_source (PipelineRun *run)
{
  if (atomic_exchange (&run->stop, TRUE))
    return;
  g_clear_handle_id (&run->deadline_id, g_source_remove);
  run->watchdog_id = g_timeout_add (DRAIN_TIMEOUT_MS, on_drain_timeout, run);
}

static gboolean
on_deadline (gpointer user_data)
{
  PipelineRun *run = user_data;

  run->deadline_id = 0;
  stop_source (run);
  return G_SOURCE_REMOVE;
}

static PipelineRun *current_run;   /* for SIGINT */
static gboolean interrupted;

static gboolean
on_sigint (gpointer user_data)
{
  g_printerr ("\nInterrupted: draining and shutting down\n");
  interrupted = TRUE;
  if (current_run != NULL)
    stop_source (current_run);
  return G_SOURCE_CONTINUE;
}

/* --- Dashboard (observability work) ----------------------------------------
 *
 * With ES_HAVE_DASHBOARD (defined by examples/meson.build when the library
 * provides es_metrics_start_dashboard()), --dashboard PORT enables metrics and
 * serves the live metrics dashboard of the running system, e.g.
 *
 *   make demo DEMO_ARGS="--dashboard 8080 --duration 30"
 *
 * and open http://127.0.0.1:8080/. Each implementation's run has its own
 * system, so the dashboard is restarted for each; the URL is printed. */

static void
start_dashboard_if_available (EsEventSystem *system)
{
  if (opt_dashboard < 0)
    return;

#ifdef ES_HAVE_DASHBOARD
  {
    EsMetrics *metrics = es_event_system_get_metrics (system);
    EsMetricsServer *server;
    g_autoptr(GError) error = NULL;
    g_autofree char *uri = NULL;

    if (metrics == NULL)
      {
        g_printerr ("Dashboard: metrics are disabled\n");
        return;
      }
    server = es_metrics_start_dashboard (metrics, (guint) opt_dashboard, &error);
    if (server == NULL)
      {
        g_printerr ("Dashboard: %s\n", error->message);
        return;
      }
    uri = es_metrics_server_dup_uri (server);
    g_print ("Dashboard: %s\n", uri);
  }
#else
  {
    static gboolean warned;

    if (!warned)
      g_printerr ("Dashboard: not available in this build of eventsys\n");
    warned = TRUE;
  }
#endif
}

static void
stop_dashboard_if_available (EsEventSystem *system)
{
#ifdef ES_HAVE_DASHBOARD
  if (opt_dashboard >= 0 && es_event_system_get_metrics (system) != NULL)
    es_metrics_stop_dashboard (es_event_system_get_metrics (system));
#endif
}

/* --- Running one implementation ---------------------------------------------- */

static gboolean
run_pipeline (EsImplementationType  implementation,
              const char           *label,
              GError              **error)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  PipelineRun run = { .label = label, .rate = opt_rate };
  GThread *source = NULL, *processor = NULL;
  gboolean ok = FALSE;
  gdouble seconds;
  guint64 published;
  guint progress_id;
  char *rate_text = NULL;

  es_event_system_builder_set_implementation (builder, implementation);
  es_event_system_builder_set_channel_capacity (builder, opt_capacity);
  es_event_system_builder_set_name (builder, implementation == ES_IMPLEMENTATION_STATIC_FAST_PATH
                                             ? "media-pipeline-static" : "media-pipeline-zero-copy");
  if (opt_dashboard >= 0)
    es_event_system_builder_set_enable_metrics (builder, TRUE);

  run.system = es_event_system_builder_build (builder, error);
  if (run.system == NULL)
    return FALSE;
  if (!es_event_system_start (run.system, error))
    goto out;

  /* Subscribe before publishing starts: subscribers receive what is
   * published after they subscribed. */
  if (!(run.packet_sub = es_event_system_subscribe (run.system, TYPE_MEDIA_PACKET_EVENT, error)) ||
      !(run.processed_sub = es_event_system_subscribe (run.system, TYPE_PROCESSED_MEDIA_EVENT, error)) ||
      !(run.metrics_sub = es_event_system_subscribe (run.system, TYPE_METRICS_EVENT, error)) ||
      !(run.packet_pub = es_event_system_create_publisher (run.system, TYPE_MEDIA_PACKET_EVENT, error)) ||
      !(run.processed_pub = es_event_system_create_publisher (run.system, TYPE_PROCESSED_MEDIA_EVENT, error)) ||
      !(run.metrics_pub = es_event_system_create_publisher (run.system, TYPE_METRICS_EVENT, error)))
    goto out;
  es_subscriber_set_name (run.packet_sub, "processor");
  es_subscriber_set_name (run.processed_sub, "metrics-collector");
  es_subscriber_set_name (run.metrics_sub, "reporter");

  start_dashboard_if_available (run.system);

  g_print ("%s: %s, channel capacity %u, source %s%s for %.1f s\n",
           label, G_OBJECT_TYPE_NAME (run.system), es_event_system_get_channel_capacity (run.system),
           opt_rate > 0 ? "paced at " : "as fast as possible",
           opt_rate > 0 ? (rate_text = g_strdup_printf ("%u packets/s", opt_rate)) : "",
           opt_duration);
  g_clear_pointer (&rate_text, g_free);

  run.loop = g_main_loop_new (NULL, FALSE);
  es_subscriber_attach (run.processed_sub, NULL, on_processed, &run, NULL);
  es_subscriber_attach (run.metrics_sub, NULL, on_metrics, &run, NULL);

  run.start_time = run.last_progress_time = g_get_monotonic_time ();
  processor = g_thread_new ("processor", processor_thread, &run);
  source = g_thread_new ("source", source_thread, &run);

  progress_id = g_timeout_add (1000, on_progress, &run);
  run.deadline_id = g_timeout_add ((guint) (opt_duration * 1000), on_deadline, &run);
  current_run = &run;
  if (interrupted)
    stop_source (&run);

  g_main_loop_run (run.loop);

  current_run = NULL;
  g_source_remove (progress_id);
  g_clear_handle_id (&run.deadline_id, g_source_remove);
  g_clear_handle_id (&run.watchdog_id, g_source_remove);
  if (!run.eos)
    run.end_time = g_get_monotonic_time ();

  /* Everything published has been processed (unless the watchdog fired):
   * shut down. This wakes anything still blocked, so the joins below cannot
   * hang even after a timeout. */
  if (!es_event_system_shutdown (run.system, error))
    goto out;
  g_thread_join (source);
  source = NULL;
  g_thread_join (processor);
  processor = NULL;

  /* Drain what the reporter has not seen yet (the final MetricsEvent): after
   * shutdown receives return what was queued, then ES_ERROR_CLOSED. */
  es_subscriber_detach (run.processed_sub);
  es_subscriber_detach (run.metrics_sub);
  for (;;)
    {
      MetricsEvent metrics;

      if (!es_subscriber_receive_data (run.metrics_sub, &metrics, sizeof metrics, 0, NULL, NULL))
        break;
      run.last_metrics = metrics;
      run.metrics_received++;
    }

  if (run.source_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&run.source_error), "%s: source: ", label);
      goto out;
    }
  if (run.processor_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&run.processor_error), "%s: processor: ", label);
      goto out;
    }

  seconds = (run.end_time - run.start_time) / (gdouble) G_USEC_PER_SEC;
  published = atomic_load (&run.published);

  g_print ("%s: final metrics after %.2f s\n", label, seconds);
  g_print ("  Packets published:   %" G_GUINT64_FORMAT "\n", published);
  g_print ("  Packets processed:   %" G_GUINT64_FORMAT "\n", run.packets);
  g_print ("  Bytes processed:     %" G_GUINT64_FORMAT " (%.1f MB)\n", run.bytes, run.bytes / 1e6);
  g_print ("  MetricsEvents:       %" G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT " received"
           " (last: %" G_GUINT64_FORMAT " packets)\n",
           run.metrics_published, run.metrics_received, run.last_metrics.packets_processed);
  g_print ("  Packets per second:  %.0f\n", seconds > 0 ? run.packets / seconds : 0.0);
  g_print ("  Events per second:   %.0f (all three event types)\n",
           seconds > 0 ? (published + atomic_load (&run.forwarded) + run.metrics_published) / seconds : 0.0);

  if (run.timed_out)
    g_set_error (error, ES_ERROR, ES_ERROR_TIMEOUT, "%s: the pipeline did not drain", label);
  else if (run.packets != published || atomic_load (&run.forwarded) != published)
    g_set_error (error, ES_ERROR, ES_ERROR_FAILED,
                 "%s: %" G_GUINT64_FORMAT " packets published but %" G_GUINT64_FORMAT " processed",
                 label, published, run.packets);
  else if (run.metrics_received != run.metrics_published ||
           run.last_metrics.packets_processed != run.packets)
    g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "%s: metrics events went missing", label);
  else
    ok = TRUE;

out:
  if (run.system != NULL && es_event_system_get_state (run.system) != ES_EVENT_SYSTEM_STATE_STOPPED)
    es_event_system_shutdown (run.system, NULL);
  if (source != NULL)
    g_thread_join (source);
  if (processor != NULL)
    g_thread_join (processor);
  if (run.system != NULL)
    stop_dashboard_if_available (run.system);
  g_clear_error (&run.source_error);
  g_clear_error (&run.processor_error);
  g_clear_object (&run.packet_pub);
  g_clear_object (&run.processed_pub);
  g_clear_object (&run.metrics_pub);
  g_clear_object (&run.packet_sub);
  g_clear_object (&run.processed_sub);
  g_clear_object (&run.metrics_sub);
  g_clear_object (&run.system);
  g_clear_pointer (&run.loop, g_main_loop_unref);
  return ok;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean run_static, run_zero_copy;
  int status = EXIT_SUCCESS;
  guint sigint_id;

  setlocale (LC_ALL, "");

  context = g_option_context_new ("— the eventsys media-pipeline demo");
  g_option_context_set_summary (context,
    "A media source, a processor and a metrics collector connected by eventsys,\n"
    "run on the static fast path and on the zero-copy implementation in turn.");
  g_option_context_add_main_entries (context, option_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (opt_implementation == NULL || g_str_equal (opt_implementation, "both"))
    run_static = run_zero_copy = TRUE;
  else if (g_str_equal (opt_implementation, "static"))
    run_static = TRUE, run_zero_copy = FALSE;
  else if (g_str_equal (opt_implementation, "zero-copy") || g_str_equal (opt_implementation, "zerocopy"))
    run_static = FALSE, run_zero_copy = TRUE;
  else
    {
      g_printerr ("Unknown implementation “%s” (static, zero-copy or both)\n", opt_implementation);
      return 2;
    }
  if (opt_duration <= 0 || opt_duration > 24 * 3600)
    {
      g_printerr ("--duration must be between 0 and 86400 seconds\n");
      return 2;
    }
  if (opt_capacity == 0)
    {
      g_printerr ("--capacity must be positive\n");
      return 2;
    }

  sigint_id = g_unix_signal_add (SIGINT, on_sigint, NULL);

  if (run_static && !interrupted &&
      !run_pipeline (ES_IMPLEMENTATION_STATIC_FAST_PATH, "static", &error))
    {
      g_printerr ("static fast path: %s\n", error->message);
      g_clear_error (&error);
      status = EXIT_FAILURE;
    }
  if (run_zero_copy && !interrupted &&
      !run_pipeline (ES_IMPLEMENTATION_ZERO_COPY, "zero-copy", &error))
    {
      g_printerr ("zero-copy: %s\n", error->message);
      g_clear_error (&error);
      status = EXIT_FAILURE;
    }

  g_source_remove (sigint_id);
  g_free (opt_implementation);

  if (status == EXIT_SUCCESS)
    g_print ("Example completed successfully\n");
  return status;
}
