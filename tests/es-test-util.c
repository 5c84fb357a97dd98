/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "es-test-util.h"

#include <math.h>

const char *
es_test_impl_name (EsImplementationType impl)
{
  switch (impl)
    {
    case ES_IMPLEMENTATION_STATIC_FAST_PATH:
      return "Static";
    case ES_IMPLEMENTATION_ZERO_COPY:
      return "ZeroCopy";
    default:
      g_assert_not_reached ();
    }
}

EsEventSystemBuilder *
es_test_builder_new (EsImplementationType impl)
{
  EsEventSystemBuilder *builder = es_event_system_builder_new ();

  es_event_system_builder_set_implementation (builder, impl);
  es_event_system_builder_set_channel_capacity (builder, 1024);
  return builder;
}

static void
fixture_init (EsFixture     *f,
              gconstpointer  data)
{
  f->impl = GPOINTER_TO_UINT (data);
  f->sys = NULL;
  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
}

void
es_fixture_replace (EsFixture            *f,
                    EsEventSystemBuilder *builder,
                    gboolean              start)
{
  g_autoptr(EsEventSystemBuilder) owned = builder;
  g_autoptr(GError) error = NULL;

  if (f->sys != NULL)
    {
      g_assert_true (es_event_system_shutdown (f->sys, NULL));
      g_clear_object (&f->sys);
    }

  f->sys = es_event_system_builder_build (builder, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->sys);
  g_assert_cmpint (es_event_system_get_implementation (f->sys), ==, f->impl);

  if (start)
    {
      g_assert_true (es_event_system_start (f->sys, &error));
      g_assert_no_error (error);
    }
}

void
es_fixture_setup (EsFixture     *f,
                  gconstpointer  data)
{
  fixture_init (f, data);
  es_fixture_replace (f, es_test_builder_new (f->impl), TRUE);
}

void
es_fixture_setup_unstarted (EsFixture     *f,
                            gconstpointer  data)
{
  fixture_init (f, data);
  es_fixture_replace (f, es_test_builder_new (f->impl), FALSE);
}

void
es_fixture_setup_bare (EsFixture     *f,
                       gconstpointer  data)
{
  fixture_init (f, data);
}

static void
set_flag_weak_notify (gpointer  data,
                      GObject  *where_the_object_was)
{
  g_atomic_int_set ((gint *) data, 1);
}

void
es_fixture_teardown (EsFixture     *f,
                     gconstpointer  data)
{
  if (f->sys != NULL)
    {
      gint finalized = 0;

      g_object_weak_ref (G_OBJECT (f->sys), set_flag_weak_notify, &finalized);
      g_assert_true (es_event_system_shutdown (f->sys, NULL));

      /* Let pending GTask completions and sources drop their references. */
      es_test_iterate_for (f->ctx, 0.01);

      g_clear_object (&f->sys);

      /* Worker threads may still be letting go of their references; the
       * weak notify then runs on their thread, hence the atomic flag. */
      {
        gint64 deadline = g_get_monotonic_time () + ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND;

        while (!g_atomic_int_get (&finalized) && g_get_monotonic_time () < deadline)
          es_test_iterate_for (f->ctx, 0.001);
      }
      if (!g_atomic_int_get (&finalized))
        g_error ("the %s event system was not finalized: a reference leaked",
                 es_test_impl_name (f->impl));
    }

  while (g_main_context_iteration (f->ctx, FALSE))
    ;
  g_main_context_pop_thread_default (f->ctx);
  g_main_context_unref (f->ctx);
}

void
es_test_add_full (EsImplementationType  impl,
                  const char           *suffix,
                  EsTestFunc            setup,
                  EsTestFunc            test,
                  EsTestFunc            teardown)
{
  g_autofree char *path = g_strdup_printf ("/Es/%s/%s", es_test_impl_name (impl), suffix);

  g_test_add (path, EsFixture, GUINT_TO_POINTER (impl), setup, test, teardown);
}

void
es_test_add_one (EsImplementationType  impl,
                 const char           *suffix,
                 EsTestFunc            test)
{
  es_test_add_full (impl, suffix, es_fixture_setup, test, es_fixture_teardown);
}

void
es_test_add (const char *suffix,
             EsTestFunc  test)
{
  es_test_add_one (ES_IMPLEMENTATION_STATIC_FAST_PATH, suffix, test);
  es_test_add_one (ES_IMPLEMENTATION_ZERO_COPY, suffix, test);
}

void
es_test_add_unstarted (const char *suffix,
                       EsTestFunc  test)
{
  es_test_add_full (ES_IMPLEMENTATION_STATIC_FAST_PATH, suffix,
                    es_fixture_setup_unstarted, test, es_fixture_teardown);
  es_test_add_full (ES_IMPLEMENTATION_ZERO_COPY, suffix,
                    es_fixture_setup_unstarted, test, es_fixture_teardown);
}

void
es_test_add_bare (const char *suffix,
                  EsTestFunc  test)
{
  es_test_add_full (ES_IMPLEMENTATION_STATIC_FAST_PATH, suffix,
                    es_fixture_setup_bare, test, es_fixture_teardown);
  es_test_add_full (ES_IMPLEMENTATION_ZERO_COPY, suffix,
                    es_fixture_setup_bare, test, es_fixture_teardown);
}

double
es_test_scale (void)
{
  const char *env = g_getenv ("ES_TEST_SCALE");
  double scale;

  if (env == NULL || *env == '\0')
    return 1.0;
  scale = g_ascii_strtod (env, NULL);
  if (!(scale > 0.0) || !isfinite (scale))
    return 1.0;
  return scale;
}

guint
es_test_scaled (guint n,
                guint min)
{
  double v = ceil ((double) n * es_test_scale ());

  if (v < (double) min)
    return min;
  if (v > (double) G_MAXUINT)
    return G_MAXUINT;
  return (guint) v;
}

void
es_test_publish_packet (EsPublisher *pub,
                        guint32      publisher,
                        guint64      counter)
{
  g_autoptr(GError) error = NULL;
  EsTestPacket packet;

  es_test_packet_init (&packet, publisher, counter);
  g_assert_true (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error));
  g_assert_no_error (error);
}

typedef struct {
  EsPublisher *pub;       /* owned */
  guint32      publisher;
  guint64      n;
} PacketsThread;

static gpointer
publish_packets_thread (gpointer data)
{
  PacketsThread *t = data;

  for (guint64 i = 0; i < t->n; i++)
    es_test_publish_packet (t->pub, t->publisher, i);
  g_object_unref (t->pub);
  g_free (t);
  return NULL;
}

GThread *
es_test_publish_packets_thread (EsPublisher *pub,
                                guint32      publisher,
                                guint64      n)
{
  PacketsThread *t = g_new (PacketsThread, 1);

  *t = (PacketsThread) { g_object_ref (pub), publisher, n };
  return g_thread_new ("packets", publish_packets_thread, t);
}

void
es_test_replace_for_packets (EsFixture              *f,
                             guint                   capacity,
                             EsBackpressureStrategy  strategy,
                             EsPublisher           **pub,
                             EsSubscriber          **sub)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;

  es_event_system_builder_set_channel_capacity (b, capacity);
  es_event_system_builder_set_backpressure_strategy (b, strategy);
  es_fixture_replace (f, b, TRUE);
  *pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  *sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
}

void
es_test_publish_tick (EsPublisher *pub,
                      gint32       value)
{
  g_autoptr(GError) error = NULL;
  EsTestTick tick = { value, (guint32) value };

  g_assert_true (es_publisher_publish_data (pub, &tick, sizeof tick, NULL, &error));
  g_assert_no_error (error);
}

EsEvent *
es_test_receive (EsSubscriber *sub)
{
  g_autoptr(GError) error = NULL;
  EsEvent *event;

  event = es_subscriber_receive_timeout (sub, ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND,
                                         NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (event);
  return event;
}

guint
es_test_drain (EsSubscriber *sub)
{
  guint n = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EsEvent) event = es_subscriber_try_receive (sub, &error);

      if (event == NULL)
        {
          if (error != NULL)
            g_assert_error (error, ES_ERROR, ES_ERROR_CLOSED);
          return n;
        }
      n++;
    }
}

void
es_test_assert_accounting (EsSubscriber *sub)
{
  guint64 published = es_subscriber_get_published_count (sub);
  guint64 received = es_subscriber_get_received_count (sub);
  guint64 dropped = es_subscriber_get_dropped_count (sub);
  guint64 filtered = es_subscriber_get_filtered_count (sub);
  guint64 depth = es_subscriber_get_queue_depth (sub);

  if (published != received + dropped + filtered + depth)
    g_error ("accounting broken: published %" G_GUINT64_FORMAT " != received %" G_GUINT64_FORMAT
             " + dropped %" G_GUINT64_FORMAT " + filtered %" G_GUINT64_FORMAT
             " + queued %" G_GUINT64_FORMAT,
             published, received, dropped, filtered, depth);
}

gboolean
es_test_iterate_until (GMainContext *ctx,
                       const gint   *flag,
                       double        seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_TIME_SPAN_SECOND);

  while (g_atomic_int_get (flag) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (500);
    }
  return TRUE;
}

void
es_test_iterate_for (GMainContext *ctx,
                     double        seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_TIME_SPAN_SECOND);

  do
    {
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (500);
    }
  while (g_get_monotonic_time () < deadline);
}

EsPublisher *
es_test_new_publisher (EsFixture *f,
                       GType      type)
{
  g_autoptr(GError) error = NULL;
  EsPublisher *pub = es_event_system_create_publisher (f->sys, type, &error);

  g_assert_no_error (error);
  g_assert_nonnull (pub);
  return pub;
}

EsSubscriber *
es_test_new_subscriber (EsFixture *f,
                        GType      type)
{
  g_autoptr(GError) error = NULL;
  EsSubscriber *sub = es_event_system_subscribe (f->sys, type, &error);

  g_assert_no_error (error);
  g_assert_nonnull (sub);
  return sub;
}
