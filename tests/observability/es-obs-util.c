/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/wait.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "es-obs-util.h"

EsMetrics *
es_obs_replace_system (EsFixture              *f,
                       guint                   capacity,
                       EsBackpressureStrategy  strategy,
                       GTimeSpan               interval)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  EsMetrics *metrics;

  es_event_system_builder_set_channel_capacity (b, capacity);
  es_event_system_builder_set_backpressure_strategy (b, strategy);
  /* Generous: blocked publishers wait for slow (sanitized) receivers. */
  es_event_system_builder_set_default_timeout (b, ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND);
  es_event_system_builder_set_enable_metrics (b, TRUE);
  es_event_system_builder_set_metrics_reporting_interval (b, interval);
  es_fixture_replace (f, b, TRUE);

  metrics = es_event_system_get_metrics (f->sys);
  g_assert_true (ES_IS_METRICS (metrics));
  es_metrics_set_latency_sampling (metrics, 1);
  return metrics;
}

typedef struct {
  gboolean  done;
  char     *out;
  char     *err;
  GError   *error;
} RunState;

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  RunState *state = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                        &state->out, &state->err, &state->error);
  state->done = TRUE;
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

int
es_obs_run (EsFixture           *f,
            const char * const  *argv,
            const char          *stdin_text,
            char               **stdout_text,
            char               **stderr_text,
            GError             **error)
{
  g_autoptr(GSubprocess) proc = NULL;
  RunState state = { 0, };

  proc = g_subprocess_newv (argv,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE |
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            error);
  if (proc == NULL)
    return -1;

  g_subprocess_communicate_utf8_async (proc, stdin_text != NULL ? stdin_text : "", NULL,
                                       communicate_cb, &state);
  while (!state.done)
    g_main_context_iteration (f->ctx, TRUE);

  if (state.error != NULL)
    {
      g_propagate_error (error, state.error);
      g_free (state.out);
      g_free (state.err);
      return -1;
    }

  /* communicate() returns once both pipes hit EOF; wait for the exit too. */
  {
    gboolean waited = FALSE;

    g_subprocess_wait_async (proc, NULL, wait_cb, &waited);
    while (!waited)
      g_main_context_iteration (f->ctx, TRUE);
  }

  if (stdout_text != NULL)
    *stdout_text = g_steal_pointer (&state.out);
  if (stderr_text != NULL)
    *stderr_text = g_steal_pointer (&state.err);
  g_free (state.out);
  g_free (state.err);

  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : 128;
}

int
es_obs_run_sync (const char * const  *argv,
                 const char          *stdin_text,
                 char               **stdout_text,
                 char               **stderr_text,
                 GError             **error)
{
  g_autofree char *input = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  int fd, wait_status = 0;
  gboolean ok;

  fd = g_file_open_tmp ("es-obs-input-XXXXXX", &input, error);
  if (fd < 0)
    return -1;
  close (fd);
  if (!g_file_set_contents (input, stdin_text != NULL ? stdin_text : "", -1, error))
    return -1;

  /* sh -c 'f=$1; shift; exec "$@" < "$f"' sh INPUT ARGV... */
  g_ptr_array_add (args, (char *) "/bin/sh");
  g_ptr_array_add (args, (char *) "-c");
  g_ptr_array_add (args, (char *) "f=$1; shift; exec \"$@\" < \"$f\"");
  g_ptr_array_add (args, (char *) "sh");
  g_ptr_array_add (args, input);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (char *) argv[i]);
  g_ptr_array_add (args, NULL);

  ok = g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     stdout_text, stderr_text, &wait_status, error);
  g_unlink (input);
  if (!ok)
    return -1;

  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128;
}

typedef struct {
  gboolean  done;
  GBytes   *body;
  GError   *error;
} HttpState;

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  HttpState *state = user_data;

  state->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &state->error);
  state->done = TRUE;
}

/* One keep-alive client session for all requests, until
 * es_obs_http_reset(): fewer connections to the server under test (each
 * accepted connection leaks its GSocket in libsoup 3.2, see libsoup.supp). */
static SoupSession *session_singleton;

static SoupSession *
shared_session (void)
{
  /* No proxy lookup: every request here goes to loopback. */
  if (session_singleton == NULL)
    session_singleton = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  return session_singleton;
}

void
es_obs_http_reset (void)
{
  g_clear_object (&session_singleton);
}

guint
es_obs_http (EsFixture   *f,
             const char  *method,
             const char  *uri,
             const char  *extra_header_name,
             const char  *extra_header_value,
             char       **body,
             char       **content_type,
             GError     **error)
{
  SoupSession *session = shared_session ();
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  HttpState state = { 0, };
  guint status;

  g_assert_nonnull (msg);
  if (extra_header_name != NULL)
    soup_message_headers_append (soup_message_get_request_headers (msg),
                                 extra_header_name, extra_header_value);

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, send_cb, &state);
  while (!state.done)
    g_main_context_iteration (f->ctx, TRUE);

  if (state.error != NULL)
    {
      g_propagate_error (error, state.error);
      return 0;
    }

  status = soup_message_get_status (msg);
  if (body != NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (state.body, &len);

      *body = g_strndup (data != NULL ? data : "", len);
    }
  if (content_type != NULL)
    *content_type = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                            "Content-Type"));
  g_bytes_unref (state.body);
  return status;
}

gboolean
es_obs_require_program (const char *program)
{
  g_autofree char *path = g_find_program_in_path (program);

  if (path == NULL)
    {
      g_autofree char *message = g_strdup_printf ("%s is not installed", program);
      g_test_skip (message);
      return FALSE;
    }
  return TRUE;
}

guint
es_obs_free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

void
es_obs_publish_packets (EsPublisher *pub,
                        guint        n)
{
  for (guint i = 0; i < n; i++)
    es_test_publish_packet (pub, 0, i);
}
