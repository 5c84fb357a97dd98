/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "eventsys.h"

#include "es-http.h"
#include "es-exporter.h"
#include "es-metrics-private.h"

/* Generated from es-dashboard.html at build time:
 * static const char es_dashboard_html[] = { ..., 0 }; */
#include "es-dashboard-html.h"

/**
 * EsMetricsServer:
 *
 * A small HTTP server (libsoup 3) publishing the metrics of an
 * #EsEventSystem:
 *
 * - `/` and `/index.html`: a live dashboard (one self-contained HTML page,
 *   no external assets) that polls `/metrics.json` every second and draws
 *   throughput, latency percentiles, queue depths, drops and buffer
 *   utilization per event type and subscriber;
 * - `/metrics`: Prometheus text exposition (see
 *   es_metrics_snapshot_to_prometheus()), content type
 *   `text/plain; version=0.0.4`;
 * - `/metrics.json`: the JSON document of es_metrics_snapshot_to_json()
 *   with subscribers and histograms;
 * - `/health`: `{"status": "healthy" | "not-started" | "stopped"}`, HTTP 200
 *   when healthy and 503 otherwise.
 *
 * Only `GET` and `HEAD` are allowed (other methods get 405 with an `Allow`
 * header); other paths get 404. Oversized or malformed requests are
 * rejected by libsoup before they reach eventsys.
 *
 * The server binds to 127.0.0.1 unless another address is given explicitly
 * to es_metrics_server_listen(): the metrics name event types and
 * subscribers, which may be more than you want to show the network.
 *
 * |[<!-- language="C" -->
 * // the one-call form, on 127.0.0.1
 * EsMetricsServer *server = es_metrics_start_dashboard (metrics, 8080, &error);
 *
 * // or any address
 * g_autoptr(EsMetricsServer) server = es_metrics_server_new (metrics);
 * es_metrics_server_listen (server, "0.0.0.0", 9464, &error);
 * ]|
 *
 * Requests are answered in the thread-default #GMainContext of the thread
 * that called es_metrics_server_listen(), which must be iterated. The server
 * keeps only a weak reference to the metrics; once they are gone it answers
 * 503.
 *
 * Since: 1.0
 */

struct _EsMetricsServer
{
  GObject     parent_instance;

  GWeakRef    metrics;       /* weak */
  SoupServer *server;        /* owned; NULL when not listening */
  guint       port;
  char       *host;          /* owned: the address as used in URIs */
};

G_DEFINE_FINAL_TYPE (EsMetricsServer, es_metrics_server, G_TYPE_OBJECT)

static void
es_metrics_server_dispose (GObject *object)
{
  EsMetricsServer *self = ES_METRICS_SERVER (object);

  es_metrics_server_stop (self);

  G_OBJECT_CLASS (es_metrics_server_parent_class)->dispose (object);
}

static void
es_metrics_server_finalize (GObject *object)
{
  EsMetricsServer *self = ES_METRICS_SERVER (object);

  g_weak_ref_clear (&self->metrics);
  g_free (self->host);

  G_OBJECT_CLASS (es_metrics_server_parent_class)->finalize (object);
}

static void
es_metrics_server_class_init (EsMetricsServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_metrics_server_dispose;
  object_class->finalize = es_metrics_server_finalize;
}

static void
es_metrics_server_init (EsMetricsServer *self)
{
  g_weak_ref_init (&self->metrics, NULL);
}

/* --- Request handling ---------------------------------------------------- */

static void
set_common_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
}

static void
respond_text (SoupServerMessage *msg,
              guint              status,
              const char        *content_type,
              char              *body)   /* (transfer full) */
{
  set_common_headers (msg);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
respond_error (SoupServerMessage *msg,
               guint              status)
{
  respond_text (msg, status, "text/plain; charset=utf-8",
                g_strdup_printf ("%u %s\n", status, soup_status_get_phrase (status)));
}

/* Placeholder until the health checks answer this: the lifecycle state. */
static void
handle_health (SoupServerMessage *msg,
               EsMetrics         *metrics)
{
  g_autoptr(EsEventSystem) system = _es_metrics_dup_system (metrics);
  EsEventSystemState state = system != NULL ? es_event_system_get_state (system) : ES_EVENT_SYSTEM_STATE_STOPPED;
  const char *status;

  switch (state)
    {
    case ES_EVENT_SYSTEM_STATE_CREATED: status = "not-started"; break;
    case ES_EVENT_SYSTEM_STATE_RUNNING: status = "healthy"; break;
    case ES_EVENT_SYSTEM_STATE_STOPPED:
    default:                            status = "stopped"; break;
    }

  respond_text (msg,
                state == ES_EVENT_SYSTEM_STATE_RUNNING ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE,
                "application/json",
                g_strdup_printf ("{\"status\":\"%s\"}\n", status));
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  EsMetricsServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(EsMetrics) metrics = NULL;
  gboolean is_dashboard = g_strcmp0 (path, "/") == 0 || g_strcmp0 (path, "/index.html") == 0;
  gboolean is_metrics = g_strcmp0 (path, "/metrics") == 0;
  gboolean is_json = g_strcmp0 (path, "/metrics.json") == 0;
  gboolean is_health = g_strcmp0 (path, "/health") == 0;

  if (!is_dashboard && !is_metrics && !is_json && !is_health)
    {
      respond_error (msg, SOUP_STATUS_NOT_FOUND);
      return;
    }

  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
      return;
    }

  if (is_dashboard)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

      /* Everything the page needs is inline; it only talks to this server. */
      soup_message_headers_replace (headers, "Content-Security-Policy",
                                    "default-src 'none'; script-src 'unsafe-inline'; "
                                    "style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
      set_common_headers (msg);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                        es_dashboard_html, strlen (es_dashboard_html));
      return;
    }

  metrics = g_weak_ref_get (&self->metrics);
  if (metrics == NULL)
    {
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
      return;
    }

  if (is_health)
    {
      handle_health (msg, metrics);
      return;
    }

  {
    g_autoptr(EsMetricsSnapshot) snapshot = es_metrics_dup_snapshot (metrics);

    if (is_metrics)
      respond_text (msg, SOUP_STATUS_OK, ES_METRICS_PROMETHEUS_CONTENT_TYPE,
                    es_metrics_snapshot_to_prometheus (snapshot, ES_METRICS_EXPORT_ALL));
    else
      respond_text (msg, SOUP_STATUS_OK, "application/json",
                    es_metrics_snapshot_to_json (snapshot, ES_METRICS_EXPORT_ALL, FALSE));
  }
}

/* --- Public API ---------------------------------------------------------- */

/**
 * es_metrics_server_new:
 * @metrics: the metrics to serve
 *
 * Creates a server for @metrics; it does not listen yet. The server keeps
 * a weak reference to @metrics.
 *
 * Returns: (transfer full): a new server
 *
 * Since: 1.0
 */
EsMetricsServer *
es_metrics_server_new (EsMetrics *metrics)
{
  EsMetricsServer *self;

  g_return_val_if_fail (ES_IS_METRICS (metrics), NULL);

  self = g_object_new (ES_TYPE_METRICS_SERVER, NULL);
  g_weak_ref_set (&self->metrics, metrics);
  return self;
}

/**
 * es_metrics_server_listen:
 * @self: a server
 * @address: (nullable): an IPv4 or IPv6 address to bind, or %NULL for
 *   127.0.0.1 (`localhost` also means 127.0.0.1; host names are not
 *   resolved)
 * @port: the TCP port, or 0 to pick a free one (see
 *   es_metrics_server_get_port())
 * @error: return location for a #GError
 *
 * Starts listening. Requests are answered in the thread-default
 * #GMainContext of the calling thread.
 *
 * Returns: %TRUE on success; %FALSE with @error set when the address is
 *   invalid (%G_IO_ERROR_INVALID_ARGUMENT), the port is taken
 *   (%G_IO_ERROR_ADDRESS_IN_USE) or the server already listens
 *   (%G_IO_ERROR_EXISTS)
 *
 * Since: 1.0
 */
gboolean
es_metrics_server_listen (EsMetricsServer  *self,
                          const char       *address,
                          guint             port,
                          GError          **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(SoupServer) server = NULL;
  GSList *listeners;

  g_return_val_if_fail (ES_IS_METRICS_SERVER (self), FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->server != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "The metrics server already listens on port %u", self->port);
      return FALSE;
    }

  if (address == NULL || g_ascii_strcasecmp (address, "localhost") == 0)
    address = "127.0.0.1";

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Invalid listen address “%s”: expected an IPv4 or IPv6 address", address);
      return FALSE;
    }

  server = soup_server_new ("server-header", "eventsys/" PACKAGE_VERSION " ", NULL);
  soup_server_add_handler (server, NULL, handle_request, self, NULL);

  sockaddr = g_inet_socket_address_new (inet, (guint16) port);
  if (!soup_server_listen (server, sockaddr, 0, error))
    {
      g_prefix_error (error, "Cannot listen on %s port %u: ", address, port);
      return FALSE;
    }

  /* The bound port (when 0 was asked) from the listening socket itself;
   * soup_server_get_uris() leaks a GSocketAddress in libsoup 3.2. */
  self->port = port;
  listeners = soup_server_get_listeners (server);
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);

  g_free (self->host);
  self->host = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
               ? g_strdup_printf ("[%s]", address) : g_strdup (address);
  self->server = g_steal_pointer (&server);

  g_debug ("metrics dashboard listening on http://%s:%u/", self->host, self->port);
  return TRUE;
}

/**
 * es_metrics_server_stop:
 * @self: a server
 *
 * Stops listening and closes the connections. Idempotent. Call it from
 * the thread of the context the server runs in.
 *
 * Since: 1.0
 */
void
es_metrics_server_stop (EsMetricsServer *self)
{
  g_return_if_fail (ES_IS_METRICS_SERVER (self));

  if (self->server != NULL)
    {
      soup_server_remove_handler (self->server, NULL);
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
}

/**
 * es_metrics_server_is_listening:
 * @self: a server
 *
 * Whether the server is listening.
 *
 * Returns: %TRUE between a successful es_metrics_server_listen() and
 *   es_metrics_server_stop()
 *
 * Since: 1.0
 */
gboolean
es_metrics_server_is_listening (EsMetricsServer *self)
{
  g_return_val_if_fail (ES_IS_METRICS_SERVER (self), FALSE);
  return self->server != NULL;
}

/**
 * es_metrics_server_get_port:
 * @self: a server
 *
 * The port the server listens on; useful after listening on port 0.
 *
 * Returns: the port, or 0 when not listening
 *
 * Since: 1.0
 */
guint
es_metrics_server_get_port (EsMetricsServer *self)
{
  g_return_val_if_fail (ES_IS_METRICS_SERVER (self), 0);
  return self->server != NULL ? self->port : 0;
}

/**
 * es_metrics_server_dup_uri:
 * @self: a server
 *
 * The dashboard URI, e.g. `http://127.0.0.1:8080/`.
 *
 * Returns: (transfer full) (nullable): the URI, or %NULL when not listening
 *
 * Since: 1.0
 */
char *
es_metrics_server_dup_uri (EsMetricsServer *self)
{
  g_return_val_if_fail (ES_IS_METRICS_SERVER (self), NULL);

  if (self->server == NULL)
    return NULL;

  return g_strdup_printf ("http://%s:%u/", self->host, self->port);
}

/**
 * es_metrics_server_dup_metrics:
 * @self: a server
 *
 * The metrics the server publishes.
 *
 * Returns: (transfer full) (nullable): the metrics, or %NULL once they are
 *   gone
 *
 * Since: 1.0
 */
EsMetrics *
es_metrics_server_dup_metrics (EsMetricsServer *self)
{
  g_return_val_if_fail (ES_IS_METRICS_SERVER (self), NULL);
  return g_weak_ref_get (&self->metrics);
}
