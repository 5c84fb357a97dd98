/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pushing metrics to a real prometheus-pushgateway started on a free
 * loopback port, then reading them back from its /metrics; errors (nobody
 * listening, an HTTP error status) surface as GErrors or output-error. */

#ifdef __linux__
# include <signal.h>
# include <sys/prctl.h>
#endif

#include "es-obs-util.h"

/* The gateway must not outlive a test that aborts half-way. */
static void
die_with_parent (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

typedef struct {
  GSubprocess *proc;      /* owned */
  char        *base;      /* owned: http://127.0.0.1:port */
  char        *dir;       /* owned: scratch directory */
} Gateway;

static gboolean
gateway_start (EsFixture *f,
               Gateway   *gw)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *persistence = NULL;
  g_autofree char *ready = NULL;
  gint64 deadline;
  guint port;

  if (!es_obs_require_program ("prometheus-pushgateway"))
    return FALSE;

  port = es_obs_free_port ();
  gw->dir = g_dir_make_tmp ("es-pushgateway-XXXXXX", &error);
  g_assert_no_error (error);
  listen = g_strdup_printf ("--web.listen-address=127.0.0.1:%u", port);
  persistence = g_strdup_printf ("--persistence.file=%s/data", gw->dir);
  {
    g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);

    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
    gw->proc = g_subprocess_launcher_spawn (launcher, &error, "prometheus-pushgateway", listen, persistence,
                                            "--log.level=error", NULL);
  }
  g_assert_no_error (error);
  gw->base = g_strdup_printf ("http://127.0.0.1:%u", port);
  ready = g_strconcat (gw->base, "/-/ready", NULL);

  deadline = g_get_monotonic_time () + ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND;
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;

      if (es_obs_http (f, "GET", ready, NULL, NULL, NULL, NULL, &local_error) == 200)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("prometheus-pushgateway did not become ready on %s", gw->base);
      g_usleep (50 * 1000);
    }

  return TRUE;
}

static void
gateway_stop (Gateway *gw)
{
  es_obs_http_reset ();
  if (gw->proc != NULL)
    {
      g_subprocess_force_exit (gw->proc);
      g_subprocess_wait (gw->proc, NULL, NULL);
      g_clear_object (&gw->proc);
    }
  if (gw->dir != NULL)
    {
      g_autofree char *data = g_build_filename (gw->dir, "data", NULL);

      g_unlink (data);
      g_rmdir (gw->dir);
      g_clear_pointer (&gw->dir, g_free);
    }
  g_clear_pointer (&gw->base, g_free);
}

static char *
gateway_metrics (EsFixture *f,
                 Gateway   *gw)
{
  g_autofree char *u = g_strconcat (gw->base, "/metrics", NULL);
  g_autoptr(GError) error = NULL;
  char *body = NULL;

  g_assert_cmpuint (es_obs_http (f, "GET", u, NULL, NULL, &body, NULL, &error), ==, 200);
  g_assert_no_error (error);
  return body;
}

static void
test_push_sync (EsFixture     *f,
                gconstpointer  data)
{
  Gateway gw = { 0, };
  EsMetrics *metrics;
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  g_autofree char *body = NULL;
  g_autofree char *bad_url = NULL;

  g_test_summary ("A snapshot pushed with PUT /metrics/job/<job>/instance/<instance> is "
                  "read back from the Pushgateway with the same values; labels needing "
                  "escapes use the @base64 form; HTTP errors are GErrors");

  if (!gateway_start (f, &gw))
    return;

  metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_DROP_OLDEST, G_TIME_SPAN_SECOND);
  pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  es_obs_publish_packets (pub, 77);
  es_test_drain (sub);

  snap = es_metrics_dup_snapshot (metrics);
  g_assert_true (es_metrics_snapshot_push (snap, gw.base, "eventsys-test", "node/1 a", ES_METRICS_EXPORT_ALL,
                                           NULL, &error));
  g_assert_no_error (error);

  body = gateway_metrics (f, &gw);
  g_assert_nonnull (strstr (body, "es_events_published_total{event_type=\"EsTestPacket\",instance=\"node/1 a\",job=\"eventsys-test\"} 77\n"));
  g_assert_nonnull (strstr (body, "es_event_latency_seconds_count{event_type=\"EsTestPacket\",instance=\"node/1 a\",job=\"eventsys-test\"} 77\n"));
  g_assert_nonnull (strstr (body, "push_failure_time_seconds{instance=\"node/1 a\",job=\"eventsys-test\"} 0\n"));

  /* A path the gateway does not serve: an HTTP error, reported. */
  bad_url = g_strconcat (gw.base, "/no/such/prefix", NULL);
  g_assert_false (es_metrics_snapshot_push (snap, bad_url, "eventsys-test", NULL, ES_METRICS_EXPORT_NONE,
                                            NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "HTTP 404"));
  g_clear_error (&error);

  gateway_stop (&gw);

  /* Nobody listening any more: a transport error. */
  {
    g_autofree char *dead = g_strdup_printf ("http://127.0.0.1:%u", es_obs_free_port ());

    g_assert_false (es_metrics_snapshot_push (snap, dead, "eventsys-test", NULL, ES_METRICS_EXPORT_NONE,
                                              NULL, &error));
    g_assert_nonnull (error);
    g_assert_true (error->domain == G_IO_ERROR);
  }

  es_test_assert_accounting (sub);
}

typedef struct {
  gint    errors;
  gint    reports;
  char   *destination;
} ReporterLog;

static void
on_output_error (EsMetricsReporter *reporter,
                 const char        *destination,
                 const GError      *error,
                 gpointer           user_data)
{
  ReporterLog *log = user_data;

  g_assert_nonnull (error);
  g_free (log->destination);
  log->destination = g_strdup (destination);
  log->errors++;
}

static void
on_reported (EsMetrics         *metrics,
             EsMetricsSnapshot *snapshot,
             gpointer           user_data)
{
  ((ReporterLog *) user_data)->reports++;
}

static void
test_push_reporter (EsFixture     *f,
                    gconstpointer  data)
{
  Gateway gw = { 0, };
  EsMetrics *metrics;
  EsMetricsReporter *reporter;
  ReporterLog log = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autofree char *dead = NULL;
  gint64 deadline;

  g_test_summary ("The reporter pushes every interval without blocking the main context; "
                  "a failing push emits output-error");

  if (!gateway_start (f, &gw))
    return;

  metrics = es_obs_replace_system (f, 64, ES_BACKPRESSURE_DROP_OLDEST, 100 * G_TIME_SPAN_MILLISECOND);
  reporter = es_metrics_get_reporter (metrics);
  pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);

  es_metrics_reporter_set_push_job (reporter, "periodic");
  es_metrics_reporter_set_push_instance (reporter, "test");
  g_assert_true (es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_PROMETHEUS, gw.base, &error));
  dead = g_strdup_printf ("http://127.0.0.1:%u/", es_obs_free_port ());
  g_assert_true (es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_PROMETHEUS, dead, &error));
  g_assert_no_error (error);
  g_signal_connect (reporter, "output-error", G_CALLBACK (on_output_error), &log);
  g_signal_connect (metrics, "metrics-reported", G_CALLBACK (on_reported), &log);

  es_obs_publish_packets (pub, 5);

  deadline = g_get_monotonic_time () + ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND;
  for (;;)
    {
      g_autofree char *body = NULL;

      while (log.reports < 1 || log.errors < 1)
        {
          g_main_context_iteration (f->ctx, TRUE);
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        }

      body = gateway_metrics (f, &gw);
      if (strstr (body, "es_events_published_total{event_type=\"EsTestPacket\",instance=\"test\",job=\"periodic\"} 5\n"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      es_test_iterate_for (f->ctx, 0.05);
    }

  g_assert_cmpstr (log.destination, ==, dead);

  g_signal_handlers_disconnect_by_data (reporter, &log);
  g_signal_handlers_disconnect_by_data (metrics, &log);
  es_metrics_reporter_clear_outputs (reporter);
  g_free (log.destination);
  gateway_stop (&gw);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Pushgateway/push", test_push_sync);
  es_test_add ("Pushgateway/reporter", test_push_reporter);

  return g_test_run ();
}
