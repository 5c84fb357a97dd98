/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the observability suites: a metrics-enabled system,
 * running external tools (promtool, python3, chromium, the Pushgateway)
 * and HTTP requests while the fixture's main context keeps iterating, so
 * that a dashboard served from that context answers them. */
#pragma once

#include <glib/gstdio.h>

#include "es-test-util.h"

G_BEGIN_DECLS

/* Replaces f->sys by a started system of f->impl with metrics enabled,
 * reporting every @interval, latency sampled for every event, the given
 * capacity and strategy, and a default timeout of ES_TEST_HANG_SECONDS.
 * Returns its metrics (borrowed). */
EsMetrics *es_obs_replace_system    (EsFixture              *f,
                                     guint                   capacity,
                                     EsBackpressureStrategy  strategy,
                                     GTimeSpan               interval);

/* Runs @argv to completion with @stdin_text (nullable) on its standard
 * input, iterating f->ctx meanwhile. Returns the exit status (-1 when it
 * could not be started: *error set); stdout and stderr in the out
 * parameters (nullable). */
int        es_obs_run               (EsFixture              *f,
                                     const char * const     *argv,
                                     const char             *stdin_text,
                                     char                  **stdout_text,
                                     char                  **stderr_text,
                                     GError                **error);

/* Like es_obs_run() without a main context: g_spawn_sync() with the
 * input in a temporary file, so that no GLib worker thread is involved
 * (for tests that also run under ThreadSanitizer). */
int        es_obs_run_sync          (const char * const     *argv,
                                     const char             *stdin_text,
                                     char                  **stdout_text,
                                     char                  **stderr_text,
                                     GError                **error);

/* An HTTP request to @uri with libsoup, iterating f->ctx until it is
 * answered. Returns the status (0 on a transport error: *error set) and
 * the body and response headers (nullable). */
guint      es_obs_http              (EsFixture              *f,
                                     const char             *method,
                                     const char             *uri,
                                     const char             *extra_header_name,
                                     const char             *extra_header_value,
                                     char                  **body,
                                     char                  **content_type,
                                     GError                **error);

/* Closes the connections es_obs_http() keeps open; call it after the
 * server under test has stopped. */
void       es_obs_http_reset        (void);

/* Whether @program is installed; otherwise marks the test skipped. */
gboolean   es_obs_require_program   (const char             *program);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
guint      es_obs_free_port         (void);

/* Publishes @n packets, asserting success. */
void       es_obs_publish_packets   (EsPublisher            *pub,
                                     guint                   n);

G_END_DECLS
