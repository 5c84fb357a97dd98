/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics HTTP endpoint (libsoup 3): /metrics checked by promtool and
 * parsed by prometheus_client while live, /metrics.json, /health, the
 * dashboard page, 127.0.0.1 by default, and bad requests (unknown path,
 * POST, a 64 KiB header) answered without harm. */

#include <json-glib/json-glib.h>

#include "es-obs-util.h"

typedef struct {
  EsMetrics       *metrics;   /* borrowed from f->sys */
  EsMetricsServer *server;    /* borrowed from metrics */
  char            *base;      /* owned: http://127.0.0.1:port/ */
  EsPublisher     *pub;       /* owned */
  EsSubscriber    *sub;       /* owned */
} Dashboard;

static void
dashboard_start (EsFixture *f,
                 Dashboard *d)
{
  g_autoptr(GError) error = NULL;

  d->metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_DROP_OLDEST, G_TIME_SPAN_SECOND);
  d->server = es_metrics_start_dashboard (d->metrics, 0, &error);
  g_assert_no_error (error);
  g_assert_true (ES_IS_METRICS_SERVER (d->server));
  g_assert_true (es_metrics_server_is_listening (d->server));
  g_assert_cmpuint (es_metrics_server_get_port (d->server), >, 0);
  /* Calling again gives the running server. */
  g_assert_true (es_metrics_start_dashboard (d->metrics, 0, &error) == d->server);

  d->base = es_metrics_server_dup_uri (d->server);
  g_assert_true (g_str_has_prefix (d->base, "http://127.0.0.1:"));

  d->pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  d->sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  es_subscriber_set_name (d->sub, "<script>alert(\"x\")</script>");
}

static void
dashboard_stop (Dashboard *d)
{
  es_metrics_stop_dashboard (d->metrics);
  es_obs_http_reset ();
  g_clear_object (&d->pub);
  g_clear_object (&d->sub);
  g_clear_pointer (&d->base, g_free);
}

static char *
url (Dashboard  *d,
     const char *path)
{
  return g_strconcat (d->base, path, NULL);
}

static void
test_http_metrics (EsFixture     *f,
                   gconstpointer  data)
{
  Dashboard d = { 0, };
  g_autofree char *u = NULL;
  g_autofree char *body = NULL;
  g_autofree char *type = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *promtool[] = { "promtool", "check", "metrics", NULL };
  const char *python[] = {
    "/usr/bin/python3", "-c",
    "import sys\n"
    "from prometheus_client.parser import text_string_to_metric_families\n"
    "fams = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}\n"
    "pub = [s.value for s in fams['es_events_published'].samples if s.name == 'es_events_published_total']\n"
    "print(fams['es_event_latency_seconds'].type, fams['es_buffer_utilization_ratio'].type, int(sum(pub)))\n",
    NULL
  };
  int status;

  g_test_summary ("GET /metrics serves text/plain version 0.0.4 that promtool accepts "
                  "without warnings and prometheus_client parses, from a live system");

  dashboard_start (f, &d);
  es_obs_publish_packets (d.pub, 100);
  es_test_drain (d.sub);

  u = url (&d, "metrics");
  g_assert_cmpuint (es_obs_http (f, "GET", u, NULL, NULL, &body, &type, &error), ==, 200);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (type, "text/plain"));
  g_assert_nonnull (strstr (type, "version=0.0.4"));
  g_assert_nonnull (strstr (body, "es_events_published_total{event_type=\"EsTestPacket\"} 100\n"));
  g_assert_nonnull (strstr (body, "es_event_latency_seconds_bucket{event_type=\"EsTestPacket\",le=\"+Inf\"} 100\n"));
  g_assert_nonnull (strstr (body, "subscriber=\"<script>alert(\\\"x\\\")</script>\""));

  if (es_obs_require_program ("promtool"))
    {
      status = es_obs_run (f, promtool, body, &out, &err, &error);
      g_assert_no_error (error);
      if (status != 0 || *out || *err)
        g_error ("promtool check metrics (exit %d):\n%s%s\n--- input ---\n%s", status, out, err, body);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
    }

  status = es_obs_run (f, python, body, &out, &err, &error);
  g_assert_no_error (error);
  if (status != 0)
    g_error ("prometheus_client failed (exit %d): %s", status, err);
  g_assert_cmpstr (out, ==, "histogram gauge 100\n");

  dashboard_stop (&d);
}

static void
test_http_json_health (EsFixture     *f,
                       gconstpointer  data)
{
  Dashboard d = { 0, };
  g_autofree char *u = NULL;
  g_autofree char *body = NULL;
  g_autofree char *type = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *sub;

  g_test_summary ("/metrics.json is the JSON export with subscribers (names escaped by "
                  "the JSON encoder), /health reports the lifecycle state, / is the dashboard");

  dashboard_start (f, &d);
  es_obs_publish_packets (d.pub, 10);

  u = url (&d, "metrics.json");
  g_assert_cmpuint (es_obs_http (f, "GET", u, NULL, NULL, &body, &type, &error), ==, 200);
  g_assert_cmpstr (type, ==, "application/json");
  g_assert_true (json_parser_load_from_data (parser, body, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "totals"), "published"), ==, 10);
  sub = json_array_get_object_element (json_object_get_array_member (root, "subscribers"), 0);
  g_assert_cmpstr (json_object_get_string_member (sub, "name"), ==, "<script>alert(\"x\")</script>");
  g_assert_cmpint (json_object_get_int_member (sub, "queue_depth"), ==, 10);
  /* The raw text has the quotes escaped. */
  g_assert_nonnull (strstr (body, "<script>alert(\\\"x\\\")</script>"));
  g_clear_pointer (&body, g_free);
  g_clear_pointer (&type, g_free);
  g_clear_pointer (&u, g_free);

  u = url (&d, "health");
  g_assert_cmpuint (es_obs_http (f, "GET", u, NULL, NULL, &body, &type, &error), ==, 200);
  g_assert_cmpstr (type, ==, "application/json");
  g_assert_cmpstr (body, ==, "{\"status\":\"healthy\"}\n");
  g_clear_pointer (&body, g_free);
  g_clear_pointer (&type, g_free);
  g_clear_pointer (&u, g_free);

  u = url (&d, "");
  g_assert_cmpuint (es_obs_http (f, "GET", u, NULL, NULL, &body, &type, &error), ==, 200);
  g_assert_cmpstr (type, ==, "text/html; charset=utf-8");
  g_assert_nonnull (strstr (body, "<title>eventsys dashboard</title>"));
  g_assert_null (strstr (body, "src=\"http"));
  g_assert_null (strstr (body, "href=\"http"));
  g_clear_pointer (&body, g_free);
  g_clear_pointer (&type, g_free);

  g_assert_cmpuint (es_obs_http (f, "HEAD", u, NULL, NULL, &body, &type, &error), ==, 200);
  g_assert_cmpstr (body, ==, "");
  g_clear_pointer (&body, g_free);
  g_clear_pointer (&type, g_free);
  g_clear_pointer (&u, g_free);

  /* After shutdown the dashboard still answers, and health says so. */
  g_assert_true (es_event_system_shutdown (f->sys, &error));
  u = url (&d, "health");
  g_assert_cmpuint (es_obs_http (f, "GET", u, NULL, NULL, &body, NULL, &error), ==, 503);
  g_assert_cmpstr (body, ==, "{\"status\":\"stopped\"}\n");

  dashboard_stop (&d);
}

static void
test_http_not_started (EsFixture     *f,
                       gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsMetricsServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *u = NULL;
  g_autofree char *body = NULL;

  g_test_summary ("An explicitly created server on an explicit address works before the "
                  "system starts; /health says not-started with 503");

  es_event_system_builder_set_enable_metrics (b, TRUE);
  es_fixture_replace (f, b, FALSE);

  server = es_metrics_server_new (es_event_system_get_metrics (f->sys));
  g_assert_false (es_metrics_server_is_listening (server));
  g_assert_null (es_metrics_server_dup_uri (server));
  g_assert_false (es_metrics_server_listen (server, "not-an-address", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (es_metrics_server_listen (server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  g_assert_false (es_metrics_server_listen (server, "127.0.0.1", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  base = es_metrics_server_dup_uri (server);
  u = g_strconcat (base, "health", NULL);
  g_assert_cmpuint (es_obs_http (f, "GET", u, NULL, NULL, &body, NULL, &error), ==, 503);
  g_assert_cmpstr (body, ==, "{\"status\":\"not-started\"}\n");

  es_metrics_server_stop (server);
  es_obs_http_reset ();
  g_assert_false (es_metrics_server_is_listening (server));
}

static void
test_http_port_in_use (EsFixture     *f,
                       gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 64, ES_BACKPRESSURE_BLOCK, G_TIME_SPAN_SECOND);
  g_autoptr(EsMetricsServer) other = es_metrics_server_new (metrics);
  g_autoptr(GError) error = NULL;
  guint port;

  g_test_summary ("A taken port is reported as an error, not ignored");

  g_assert_true (es_metrics_server_listen (other, NULL, 0, &error));
  port = es_metrics_server_get_port (other);
  g_assert_null (es_metrics_start_dashboard (metrics, port, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
}

static void
test_http_bad_requests (EsFixture     *f,
                        gconstpointer  data)
{
  Dashboard d = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *u = NULL;
  g_autofree char *body = NULL;
  g_autofree char *big = g_strnfill (64 * 1024, 'a');
  const char *paths[] = { "nope", "metrics/", "metrics.json.bak", "METRICS", "../etc/passwd",
                          "health/extra", "health?x=%3Cy%3E" };
  guint status;

  g_test_summary ("Unknown paths get 404, other methods 405, a 64 KiB header is refused by "
                  "libsoup; the server keeps answering afterwards");

  dashboard_start (f, &d);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *p = url (&d, paths[i]);
      guint expected = g_str_has_prefix (paths[i], "health?") ? 200 : 404;

      status = es_obs_http (f, "GET", p, NULL, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (status, ==, expected);
    }

  u = url (&d, "metrics");
  g_assert_cmpuint (es_obs_http (f, "POST", u, NULL, NULL, &body, NULL, &error), ==, 405);
  g_assert_cmpuint (es_obs_http (f, "DELETE", u, NULL, NULL, NULL, NULL, &error), ==, 405);
  g_assert_cmpuint (es_obs_http (f, "PUT", u, NULL, NULL, NULL, NULL, &error), ==, 405);
  g_assert_no_error (error);

  /* libsoup refuses the oversized request (an error status or a closed
   * connection); either way nothing reaches eventsys and the server lives. */
  status = es_obs_http (f, "GET", u, "X-Huge", big, NULL, NULL, &error);
  if (status == 0)
    {
      g_assert_nonnull (error);
      g_clear_error (&error);
    }
  else
    g_assert_cmpuint (status, >=, 400);

  g_assert_cmpuint (es_obs_http (f, "GET", u, NULL, NULL, NULL, NULL, &error), ==, 200);
  g_assert_no_error (error);

  dashboard_stop (&d);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Http/metrics", test_http_metrics);
  es_test_add ("Http/json-health", test_http_json_health);
  es_test_add ("Http/not-started", test_http_not_started);
  es_test_add ("Http/port-in-use", test_http_port_in_use);
  es_test_add ("Http/bad-requests", test_http_bad_requests);

  return g_test_run ();
}
