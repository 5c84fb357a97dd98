/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared fixture and helpers for the eventsys gtest suites.
 *
 * Every test body is registered twice, once per implementation:
 *
 *   es_test_add ("Publisher/batch", test_publisher_batch);
 *
 * registers /Es/Static/Publisher/batch and /Es/ZeroCopy/Publisher/batch with
 * GUINT_TO_POINTER (impl) as test data, es_fixture_setup() (a started system
 * with channel-capacity 1024) and es_fixture_teardown() (shut down, unref, and
 * check the system was finalized).
 *
 * Tests needing another configuration build their own system with
 * es_fixture_replace (f, es_test_builder_new (f->impl) + setters, start).
 *
 * Threads in the tests synchronise only with atomics, thread joins and
 * polling (ES_TEST_WAIT_UNTIL), never GMutex/GCond, so that ThreadSanitizer
 * sees every happens-before edge the tests rely on.
 */
#pragma once

#include "es-test-types.h"

G_BEGIN_DECLS

typedef struct {
  EsImplementationType  impl;
  EsEventSystem        *sys;   /* owned; NULL in bare fixtures */
  GMainContext         *ctx;   /* owned; pushed as thread-default */
} EsFixture;

typedef void (*EsTestFunc) (EsFixture *f, gconstpointer data);

/* Fixture setups. */
void                  es_fixture_setup          (EsFixture            *f,
                                                 gconstpointer         data);
void                  es_fixture_setup_unstarted(EsFixture            *f,
                                                 gconstpointer         data);
void                  es_fixture_setup_bare     (EsFixture            *f,
                                                 gconstpointer         data);
void                  es_fixture_teardown       (EsFixture            *f,
                                                 gconstpointer         data);
void                  es_fixture_replace        (EsFixture            *f,
                                                 EsEventSystemBuilder *builder,
                                                 gboolean              start);

/* Registration: /Es/<Static|ZeroCopy>/<suffix>. */
void                  es_test_add_full          (EsImplementationType  impl,
                                                 const char           *suffix,
                                                 EsTestFunc            setup,
                                                 EsTestFunc            test,
                                                 EsTestFunc            teardown);
void                  es_test_add               (const char           *suffix,
                                                 EsTestFunc            test);
void                  es_test_add_unstarted     (const char           *suffix,
                                                 EsTestFunc            test);
void                  es_test_add_bare          (const char           *suffix,
                                                 EsTestFunc            test);
void                  es_test_add_one           (EsImplementationType  impl,
                                                 const char           *suffix,
                                                 EsTestFunc            test);

const char           *es_test_impl_name         (EsImplementationType  impl);

/* Replaces the fixture's system with a started one of @capacity and
 * @strategy, and creates a publisher and a subscriber of ES_TEST_TYPE_PACKET
 * on it. */
void                  es_test_replace_for_packets (EsFixture              *f,
                                                   guint                   capacity,
                                                   EsBackpressureStrategy  strategy,
                                                   EsPublisher           **pub,
                                                   EsSubscriber          **sub);

/* A builder for @impl with channel-capacity 1024 (everything else default). */
EsEventSystemBuilder *es_test_builder_new       (EsImplementationType  impl) G_GNUC_WARN_UNUSED_RESULT;

/* ES_TEST_SCALE (float, default 1.0) scales big loops; sanitizer runs set it
 * to e.g. 0.05. The result is at least @min. */
double                es_test_scale             (void);
guint                 es_test_scaled            (guint                 n,
                                                 guint                 min);

/* Publish/receive helpers that assert success. */
/* Create a publisher / subscriber of @type on the fixture's system,
 * asserting success. */
EsPublisher          *es_test_new_publisher     (EsFixture            *f,
                                                 GType                 type) G_GNUC_WARN_UNUSED_RESULT;
EsSubscriber         *es_test_new_subscriber    (EsFixture            *f,
                                                 GType                 type) G_GNUC_WARN_UNUSED_RESULT;
void                  es_test_publish_packet    (EsPublisher          *pub,
                                                 guint32               publisher,
                                                 guint64               counter);
void                  es_test_publish_tick      (EsPublisher          *pub,
                                                 gint32                value);
/* A thread that publishes packets 0 .. @n - 1 of @publisher through @pub
 * (es_test_publish_packet()); join it with g_thread_join(). */
GThread              *es_test_publish_packets_thread (EsPublisher     *pub,
                                                      guint32          publisher,
                                                      guint64          n);
EsEvent              *es_test_receive           (EsSubscriber         *sub) G_GNUC_WARN_UNUSED_RESULT;
guint                 es_test_drain             (EsSubscriber         *sub);

/* published == received + dropped + filtered + queue depth */
void                  es_test_assert_accounting (EsSubscriber         *sub);

/* Iterate @ctx (non-blocking, with short sleeps) until *flag != 0 or the
 * deadline passes. Returns whether *flag became non-zero. */
gboolean              es_test_iterate_until     (GMainContext         *ctx,
                                                 const gint           *flag,
                                                 double                seconds);
/* Iterate @ctx without blocking for about @seconds. */
void                  es_test_iterate_for       (GMainContext         *ctx,
                                                 double                seconds);

/* The "doesn't hang" bound used by polling loops, in seconds. Generous: the
 * suites must pass on a loaded two-core machine and under sanitizers. */
#define ES_TEST_HANG_SECONDS 30

/* Poll @cond every millisecond for at most @seconds, then assert it. */
#define ES_TEST_WAIT_UNTIL(cond, seconds) \
  G_STMT_START { \
    gint64 _es_deadline = g_get_monotonic_time () + (gint64) ((seconds) * G_TIME_SPAN_SECOND); \
    while (!(cond) && g_get_monotonic_time () < _es_deadline) \
      g_usleep (1000); \
    if (!(cond)) \
      g_error ("%s:%d: timed out after %g s waiting for: %s", \
               __FILE__, __LINE__, (double) (seconds), #cond); \
  } G_STMT_END

G_END_DECLS
