/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live dashboard in headless Chromium: the page loads from the
 * metrics server, its numbers change while events flow, names are shown
 * as text (never markup), and a screenshot is saved in the build directory
 * (dashboard-<impl>.png) as a test artifact. */

#include "es-obs-util.h"

typedef struct {
  EsPublisher *pub;
  gint         stop;        /* atomic */
  gint         started;     /* atomic */
} Flow;

static gpointer
flow_thread (gpointer data)
{
  Flow *flow = data;
  guint64 i = 0;

  /* A steady trickle: ~20k events/s in small bursts, so that counters move
   * between two page loads without saturating the queues. */
  while (!g_atomic_int_get (&flow->stop))
    {
      for (guint j = 0; j < 200; j++)
        es_test_publish_packet (flow->pub, 0, i++);
      g_atomic_int_set (&flow->started, 1);
      g_usleep (10 * 1000);
    }
  return NULL;
}

static gpointer
drain_thread (gpointer data)
{
  EsSubscriber *sub = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EsEvent) ev = es_subscriber_receive (sub, NULL, &error);

      if (ev == NULL)
        break;   /* closed */
    }
  return NULL;
}

static char *
chromium_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("es-chromium-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                                                   NULL, NULL);
  GFileInfo *info;

  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_rmdir (path);
}

/* Loads @uri in headless Chromium, lets the page run for @budget_ms of
 * virtual time (polling included), and returns the DOM; or, with
 * @screenshot, saves a PNG there instead. */
static char *
chromium_load (EsFixture  *f,
               const char *uri,
               guint       budget_ms,
               const char *screenshot)
{
  g_autofree char *profile = chromium_dir ();
  g_autofree char *user_data = g_strconcat ("--user-data-dir=", profile, NULL);
  g_autofree char *budget = g_strdup_printf ("--virtual-time-budget=%u", budget_ms);
  g_autofree char *shot = screenshot != NULL ? g_strconcat ("--screenshot=", screenshot, NULL) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  const char *argv[] = {
    "chromium", "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-dev-shm-usage", user_data, budget, "--window-size=1280,1100",
    screenshot != NULL ? shot : "--dump-dom", uri, NULL
  };
  int status;

  status = es_obs_run (f, argv, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (status != 0)
    g_error ("chromium failed (exit %d): %s", status, err);

  remove_tree (profile);
  return out;
}

/* The integer in data-<name>="..." on <body>. */
static guint64
body_data (const char *dom,
           const char *name)
{
  g_autofree char *needle = g_strdup_printf ("data-%s=\"", name);
  const char *p = strstr (dom, needle);

  if (p == NULL)
    g_error ("no %s in the dumped DOM:\n%s", needle, dom);
  return g_ascii_strtoull (p + strlen (needle), NULL, 10);
}

static void
test_dashboard_live (EsFixture     *f,
                     gconstpointer  data)
{
  EsMetrics *metrics;
  EsMetricsServer *server;
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *dom1 = NULL;
  g_autofree char *dom2 = NULL;
  g_autofree char *png_name = NULL;
  g_autofree char *png = NULL;
  g_autofree char *png_data = NULL;
  gsize png_len = 0;
  Flow flow = { 0, };
  GThread *producer, *consumer;
  guint64 first, second;

  g_test_summary ("Headless Chromium shows the dashboard; the published count on the page "
                  "grows between two loads while events flow; subscriber names are text; "
                  "a screenshot is saved");

  if (!es_obs_require_program ("chromium"))
    return;

  metrics = es_obs_replace_system (f, 4096, ES_BACKPRESSURE_DROP_OLDEST, 500 * G_TIME_SPAN_MILLISECOND);
  es_metrics_set_latency_sampling (metrics, 4);
  server = es_metrics_start_dashboard (metrics, 0, &error);
  g_assert_no_error (error);
  uri = es_metrics_server_dup_uri (server);

  flow.pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  es_subscriber_set_name (sub, "<img src=x onerror=alert(1)>");
  producer = g_thread_new ("producer", flow_thread, &flow);
  consumer = g_thread_new ("consumer", drain_thread, sub);

  /* Wait for some traffic, then load twice, a while apart. */
  while (!g_atomic_int_get (&flow.started))
    es_test_iterate_for (f->ctx, 0.01);

  dom1 = chromium_load (f, uri, 2500, NULL);
  es_test_iterate_for (f->ctx, 0.5);
  dom2 = chromium_load (f, uri, 2500, NULL);

  g_assert_cmpuint (body_data (dom1, "polls"), >=, 1);
  g_assert_cmpuint (body_data (dom2, "polls"), >=, 1);
  first = body_data (dom1, "published");
  second = body_data (dom2, "published");
  g_assert_cmpuint (first, >, 0);
  g_assert_cmpuint (second, >, first);

  /* Filled in by the page's script from /metrics.json. */
  g_assert_nonnull (strstr (dom2, "id=\"state\">running<"));
  g_assert_nonnull (strstr (dom2, "<td class=\"name\">EsTestPacket</td>"));
  g_assert_null (strstr (dom2, "id=\"status\" class=\"bad\""));
  /* The hostile name is text, not an element. */
  g_assert_nonnull (strstr (dom2, "&lt;img src=x onerror=alert(1)&gt;"));
  g_assert_null (strstr (dom2, "<img src=\"x\""));
  g_assert_null (strstr (dom2, "<img src=x"));

  png_name = g_strdup_printf ("dashboard-%s.png", es_test_impl_name (f->impl));
  png = g_test_build_filename (G_TEST_BUILT, png_name, NULL);
  g_unlink (png);
  g_free (chromium_load (f, uri, 4000, png));
  g_assert_true (g_file_get_contents (png, &png_data, &png_len, NULL));
  g_assert_cmpuint (png_len, >, 1000);
  g_assert_cmpmem (png_data, 8, "\x89PNG\r\n\x1a\n", 8);
  g_test_message ("dashboard screenshot: %s", png);

  g_atomic_int_set (&flow.stop, 1);
  g_thread_join (producer);
  es_subscriber_unsubscribe (sub);
  g_thread_join (consumer);
  g_clear_object (&flow.pub);
  es_metrics_stop_dashboard (metrics);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Dashboard/live", test_dashboard_live);

  return g_test_run ();
}
