/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Backpressure strategies on a full subscriber queue: DROP_NEWEST,
 * DROP_OLDEST (+ ::lagged), BLOCK with timeout and cancellation, CUSTOM,
 * unsubscribe releasing blocked publishers, the global buffer limit, and
 * exact accounting for every subscriber. */
#include "es-test-util.h"

#define HANG (ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND)

static void
replace_system (EsFixture              *f,
                guint                   capacity,
                EsBackpressureStrategy  strategy,
                GTimeSpan               timeout)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);

  es_event_system_builder_set_channel_capacity (b, capacity);
  es_event_system_builder_set_backpressure_strategy (b, strategy);
  es_event_system_builder_set_default_timeout (b, timeout);
  es_fixture_replace (f, b, TRUE);
}

static gboolean
try_publish (EsPublisher   *pub,
             guint64        counter,
             GCancellable  *cancellable,
             GError       **error)
{
  EsTestPacket packet;

  es_test_packet_init (&packet, 0, counter);
  return es_publisher_publish_data (pub, &packet, sizeof packet, cancellable, error);
}

typedef struct {
  GThread             *thread;
  guint                changes;
  EsBackpressureState  last;
  gboolean             saw[4];
} StateLog;

static void
on_backpressure_changed (EsPublisher         *pub,
                         EsBackpressureState  state,
                         gpointer             user_data)
{
  StateLog *log = user_data;

  /* Emitted on the publishing thread. */
  g_assert_true (g_thread_self () == log->thread);
  g_assert_cmpint (state, !=, log->last);
  g_assert_cmpint (state, ==, es_publisher_get_backpressure_state (pub));
  log->last = state;
  log->saw[state] = TRUE;
  log->changes++;
}

static void
test_bp_drop_newest (EsFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) full = NULL;
  g_autoptr(EsSubscriber) keeps_up = NULL;
  StateLog log = { g_thread_self (), 0, ES_BACKPRESSURE_STATE_NORMAL, { FALSE } };
  guint accepted = 0, rejected = 0;

  g_test_summary ("DROP_NEWEST: a full queue rejects the publish (es_error_is_backpressure), for "
                  "every subscriber at once");

  replace_system (f, 4, ES_BACKPRESSURE_DROP_NEWEST, G_TIME_SPAN_SECOND);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  full = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  keeps_up = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  g_signal_connect (pub, "backpressure-changed", G_CALLBACK (on_backpressure_changed), &log);

  for (guint64 i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;

      if (try_publish (pub, i, NULL, &error))
        {
          g_assert_no_error (error);
          g_assert_cmpuint (rejected, ==, 0);   /* no acceptance after the first rejection */
          accepted++;
        }
      else
        {
          g_assert_error (error, ES_ERROR, ES_ERROR_BACKPRESSURE);
          g_assert_true (es_error_is_backpressure (error));
          rejected++;
          g_assert_cmpint (es_publisher_get_backpressure_state (pub), ==, ES_BACKPRESSURE_STATE_DROPPING);
        }
      /* This one always has room. */
      es_test_drain (keeps_up);
    }

  g_assert_cmpuint (accepted, ==, 4);
  g_assert_cmpuint (rejected, ==, 16);
  g_assert_true (log.saw[ES_BACKPRESSURE_STATE_DROPPING]);
  g_assert_cmpuint (es_publisher_get_rejected_count (pub), ==, rejected);

  /* All or nothing: the subscriber with room did not get the rejected ones either. */
  g_assert_cmpuint (es_subscriber_get_received_count (keeps_up), ==, accepted);
  es_test_assert_accounting (keeps_up);

  for (guint64 i = 0; i < accepted; i++)
    {
      EsTestPacket packet;
      g_autoptr(GError) error = NULL;

      g_assert_true (es_subscriber_receive_data (full, &packet, sizeof packet, HANG, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (packet.counter, ==, i);
    }
  es_test_assert_accounting (full);
  g_assert_cmpuint (es_subscriber_get_queue_depth (full), ==, 0);

  /* Room again: publishing works and the state goes back to normal. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (try_publish (pub, 100, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (es_publisher_get_backpressure_state (pub), ==, ES_BACKPRESSURE_STATE_NORMAL);
    g_assert_true (log.saw[ES_BACKPRESSURE_STATE_NORMAL]);
  }
  es_test_drain (full);
  es_test_drain (keeps_up);
  es_test_assert_accounting (full);
  es_test_assert_accounting (keeps_up);
}

typedef struct {
  GThread *thread;
  guint64  total;
  guint    emissions;
} LagLog;

static void
on_lagged (EsSubscriber *sub,
           guint64       n_missed,
           gpointer      user_data)
{
  LagLog *log = user_data;

  g_assert_true (g_thread_self () == log->thread);
  g_assert_cmpuint (n_missed, >, 0);
  log->total += n_missed;
  log->emissions++;
}

static void
test_bp_drop_oldest (EsFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  LagLog lag = { g_thread_self (), 0, 0 };
  guint64 first = G_MAXUINT64, last = 0, received = 0;

  g_test_summary ("DROP_OLDEST: publishing never fails, the subscriber keeps the newest events, "
                  "counts what it missed and is told through ::lagged");

  replace_system (f, 4, ES_BACKPRESSURE_DROP_OLDEST, G_TIME_SPAN_SECOND);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  g_signal_connect (sub, "lagged", G_CALLBACK (on_lagged), &lag);

  for (guint64 i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (try_publish (pub, i, NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpint (es_publisher_get_backpressure_state (pub), ==, ES_BACKPRESSURE_STATE_DROPPING);
  g_assert_cmpuint (es_subscriber_get_dropped_count (sub), >, 0);
  es_test_assert_accounting (sub);

  for (;;)
    {
      EsTestPacket packet;
      g_autoptr(GError) error = NULL;

      if (!es_subscriber_receive_data (sub, &packet, sizeof packet, 0, NULL, &error))
        {
          g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
          break;
        }
      if (received > 0)
        g_assert_cmpuint (packet.counter, ==, last + 1);   /* the kept ones are contiguous */
      else
        first = packet.counter;
      last = packet.counter;
      received++;
    }

  /* The newest events survived. */
  g_assert_cmpuint (last, ==, 19);
  g_assert_cmpuint (received, >=, 4);
  g_assert_cmpuint (first, ==, 20 - received);
  g_assert_cmpuint (es_subscriber_get_dropped_count (sub), ==, 20 - received);
  g_assert_cmpuint (es_subscriber_get_published_count (sub), ==, 20);
  es_test_assert_accounting (sub);

  /* ::lagged reported every missed event, on this (the receiving) thread. */
  g_assert_cmpuint (lag.emissions, >=, 1);
  g_assert_cmpuint (lag.total, ==, 20 - received);
}

static void
test_bp_block_timeout (EsFixture     *f,
                       gconstpointer  data)
{
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start, elapsed;

  g_test_summary ("BLOCK: a publish that cannot get room within default-timeout fails with "
                  "ES_ERROR_TIMEOUT (not a backpressure rejection)");

  replace_system (f, 4, ES_BACKPRESSURE_BLOCK, 50 * G_TIME_SPAN_MILLISECOND);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);

  for (guint64 i = 0; i < 4; i++)
    {
      g_assert_true (try_publish (pub, i, NULL, &error));
      g_assert_no_error (error);
    }

  start = g_get_monotonic_time ();
  g_assert_false (try_publish (pub, 4, NULL, &error));
  elapsed = g_get_monotonic_time () - start;
  g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
  g_assert_false (es_error_is_backpressure (error));
  g_clear_error (&error);
  /* Lower bound only: it did wait. */
  g_assert_cmpint (elapsed, >=, 40 * G_TIME_SPAN_MILLISECOND);

  g_assert_cmpuint (es_test_drain (sub), ==, 4);
  es_test_assert_accounting (sub);

  /* With room it publishes at once. */
  g_assert_true (try_publish (pub, 5, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (es_test_drain (sub), ==, 1);
  es_test_assert_accounting (sub);
}

typedef struct {
  EsPublisher  *pub;
  GCancellable *cancellable;
} CancelWhenBlocked;

static gpointer
cancel_when_blocked_thread (gpointer user_data)
{
  CancelWhenBlocked *c = user_data;

  ES_TEST_WAIT_UNTIL (es_publisher_get_backpressure_state (c->pub) == ES_BACKPRESSURE_STATE_BLOCKED,
                      ES_TEST_HANG_SECONDS);
  g_cancellable_cancel (c->cancellable);
  return NULL;
}

static void
test_bp_block_cancel (EsFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(GError) error = NULL;
  StateLog log = { g_thread_self (), 0, ES_BACKPRESSURE_STATE_NORMAL, { FALSE } };

  g_test_summary ("BLOCK: a blocked publish is cancelled through its GCancellable with G_IO_ERROR_CANCELLED");

  replace_system (f, 4, ES_BACKPRESSURE_BLOCK, -1);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  g_signal_connect (pub, "backpressure-changed", G_CALLBACK (on_backpressure_changed), &log);

  for (guint64 i = 0; i < 4; i++)
    {
      g_assert_true (try_publish (pub, i, NULL, &error));
      g_assert_no_error (error);
    }

  /* Already cancelled. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    g_cancellable_cancel (cancellable);
    g_assert_false (try_publish (pub, 4, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
  }

  /* Cancelled while blocked. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    CancelWhenBlocked c = { pub, cancellable };
    GThread *thread = g_thread_new ("cancel-when-blocked", cancel_when_blocked_thread, &c);

    g_assert_false (try_publish (pub, 4, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_thread_join (thread);
  }
  g_assert_true (log.saw[ES_BACKPRESSURE_STATE_BLOCKED]);
  g_assert_cmpint (es_publisher_get_backpressure_state (pub), !=, ES_BACKPRESSURE_STATE_BLOCKED);

  /* Nothing extra was queued. */
  for (guint64 i = 0; i < 4; i++)
    {
      EsTestPacket packet;

      g_assert_true (es_subscriber_receive_data (sub, &packet, sizeof packet, HANG, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (packet.counter, ==, i);
    }
  g_assert_cmpuint (es_test_drain (sub), ==, 0);
  es_test_assert_accounting (sub);
}

typedef struct {
  EsPublisher *pub;
  guint        n;
  gint         published;   /* atomic */
  gint         done;        /* atomic */
  GError      *error;
} PublishThread;

static gpointer
publish_thread (gpointer user_data)
{
  PublishThread *pt = user_data;

  for (guint64 i = 0; i < pt->n; i++)
    {
      if (!try_publish (pt->pub, i, NULL, &pt->error))
        break;
      g_atomic_int_inc (&pt->published);
    }
  g_atomic_int_set (&pt->done, 1);
  return NULL;
}

static void
test_bp_unsubscribe_releases (EsFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(EsSubscriber) stalled = NULL;
  g_autoptr(EsSubscriber) active = NULL;
  PublishThread pt = { NULL, 20, 0, 0, NULL };
  GThread *thread;

  g_test_summary ("unsubscribing the subscriber a publisher is blocked on releases the publisher");

  replace_system (f, 4, ES_BACKPRESSURE_BLOCK, -1);
  stalled = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  active = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  pt.pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);

  thread = g_thread_new ("publisher", publish_thread, &pt);
  ES_TEST_WAIT_UNTIL (es_publisher_get_backpressure_state (pt.pub) == ES_BACKPRESSURE_STATE_BLOCKED,
                      ES_TEST_HANG_SECONDS);
  g_assert_cmpint (g_atomic_int_get (&pt.done), ==, 0);

  es_subscriber_unsubscribe (stalled);

  /* The active subscriber gets all 20, in order. */
  for (guint64 i = 0; i < 20; i++)
    {
      EsTestPacket packet;
      g_autoptr(GError) error = NULL;

      g_assert_true (es_subscriber_receive_data (active, &packet, sizeof packet, HANG, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (packet.counter, ==, i);
    }
  ES_TEST_WAIT_UNTIL (g_atomic_int_get (&pt.done), ES_TEST_HANG_SECONDS);
  g_thread_join (thread);
  g_assert_no_error (pt.error);
  g_assert_cmpint (pt.published, ==, 20);

  /* The stalled one is closed; its books balance. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(EsEvent) event = es_subscriber_try_receive (stalled, &error);

    g_assert_null (event);
    g_assert_error (error, ES_ERROR, ES_ERROR_CLOSED);
  }
  g_assert_cmpuint (es_subscriber_get_published_count (stalled), <, 20);
  es_test_assert_accounting (stalled);
  es_test_assert_accounting (active);
  g_clear_object (&pt.pub);
}

typedef struct {
  GThread              *thread;
  EsPublisher          *pub;
  EsBackpressureAction  action;    /* atomic (int) */
  gint                  calls;     /* atomic */
  gint                  destroyed; /* atomic */
} CustomData;

static EsBackpressureAction
custom_func (EsPublisher  *publisher,
             EsSubscriber *subscriber,
             EsEvent      *event,
             gdouble       utilization,
             gpointer      user_data)
{
  CustomData *cd = user_data;

  g_atomic_int_inc (&cd->calls);
  g_assert_true (g_thread_self () == cd->thread);
  g_assert_true (publisher == cd->pub);
  /* The per-subscriber queue is what is full here. */
  g_assert_true (ES_IS_SUBSCRIBER (subscriber));
  g_assert_cmpfloat (utilization, >=, 0.0);
  g_assert_cmpfloat (utilization, <=, 1.0);
  return (EsBackpressureAction) g_atomic_int_get ((gint *) &cd->action);
}

static void
custom_destroy (gpointer user_data)
{
  CustomData *cd = user_data;

  g_atomic_int_inc (&cd->destroyed);
}

static void
test_bp_custom (EsFixture     *f,
                gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(GError) error = NULL;
  CustomData cd = { g_thread_self (), NULL, ES_BACKPRESSURE_ACTION_DROP_NEWEST, 0, 0 };
  guint64 accepted = 0;

  g_test_summary ("CUSTOM: the backpressure function decides, on the publishing thread");

  es_event_system_builder_set_channel_capacity (b, 4);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_CUSTOM);
  es_event_system_builder_set_backpressure_func (b, custom_func, &cd, custom_destroy);
  es_event_system_builder_set_default_timeout (b, 20 * G_TIME_SPAN_MILLISECOND);
  es_fixture_replace (f, b, TRUE);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  cd.pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);

  /* Not called while there is room. */
  for (guint64 i = 0; i < 4; i++)
    {
      g_assert_true (try_publish (cd.pub, i, NULL, &error));
      g_assert_no_error (error);
      accepted++;
    }
  g_assert_cmpint (g_atomic_int_get (&cd.calls), ==, 0);

  /* DROP_NEWEST: rejected. */
  g_assert_false (try_publish (cd.pub, 4, NULL, &error));
  g_assert_true (es_error_is_backpressure (error));
  g_clear_error (&error);
  g_assert_cmpint (g_atomic_int_get (&cd.calls), >=, 1);

  /* DROP_OLDEST: accepted, the oldest goes. */
  g_atomic_int_set ((gint *) &cd.action, ES_BACKPRESSURE_ACTION_DROP_OLDEST);
  g_assert_true (try_publish (cd.pub, 5, NULL, &error));
  g_assert_no_error (error);
  accepted++;
  g_assert_cmpuint (es_subscriber_get_dropped_count (sub), ==, 1);

  /* BLOCK: waits up to default-timeout. */
  g_atomic_int_set ((gint *) &cd.action, ES_BACKPRESSURE_ACTION_BLOCK);
  g_assert_false (try_publish (cd.pub, 6, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
  g_clear_error (&error);

  /* What is queued: 1, 2, 3, 5. */
  {
    static const guint64 expected[] = { 1, 2, 3, 5 };

    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        EsTestPacket packet;

        g_assert_true (es_subscriber_receive_data (sub, &packet, sizeof packet, HANG, NULL, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (packet.counter, ==, expected[i]);
      }
  }
  es_test_assert_accounting (sub);

  g_clear_object (&cd.pub);
  g_clear_object (&sub);
  g_assert_true (es_event_system_shutdown (f->sys, NULL));
  g_clear_object (&f->sys);
  ES_TEST_WAIT_UNTIL (g_atomic_int_get (&cd.destroyed) == 1, ES_TEST_HANG_SECONDS);
}

static void
test_bp_global_buffer (EsFixture     *f,
                       gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  EsBufferManager *bm;
  const guint64 limit = 16 * 1024;
  guint accepted = 0;
  gboolean rejected = FALSE;

  g_test_summary ("the global buffer limit rejects with DROP_NEWEST even when queues have room; "
                  "the buffer manager's accounting returns to zero when drained");

  es_event_system_builder_set_channel_capacity (b, 4096);
  es_event_system_builder_set_global_buffer_size (b, limit);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_DROP_NEWEST);
  es_fixture_replace (f, b, TRUE);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  bm = es_event_system_get_buffer_manager (f->sys);
  g_assert_nonnull (bm);
  g_assert_cmpuint (es_buffer_manager_get_limit_bytes (bm), ==, limit);
  g_assert_cmpuint (es_buffer_manager_get_buffered_bytes (bm), ==, 0);

  for (guint64 i = 0; i < 4096; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!try_publish (pub, i, NULL, &error))
        {
          g_assert_true (es_error_is_backpressure (error));
          rejected = TRUE;
          break;
        }
      accepted++;
    }

  g_assert_true (rejected);
  g_assert_cmpuint (accepted, >, 0);
  /* At least the payloads count; never more than the limit. */
  g_assert_cmpuint (accepted * sizeof (EsTestPacket), <=, limit);
  g_assert_cmpuint (es_buffer_manager_get_buffered_events (bm), ==, accepted);
  g_assert_cmpuint (es_buffer_manager_get_buffered_bytes (bm), <=, limit);
  g_assert_cmpuint (es_buffer_manager_get_buffered_bytes (bm), >=, accepted * sizeof (EsTestPacket));
  g_assert_cmpfloat (es_buffer_manager_get_utilization (bm), >, 0.5);
  g_assert_cmpfloat (es_buffer_manager_get_utilization (bm), <=, 1.0);

  g_assert_cmpuint (es_test_drain (sub), ==, accepted);
  g_assert_cmpuint (es_buffer_manager_get_buffered_events (bm), ==, 0);
  g_assert_cmpuint (es_buffer_manager_get_buffered_bytes (bm), ==, 0);
  g_assert_cmpfloat (es_buffer_manager_get_utilization (bm), ==, 0.0);
  es_test_assert_accounting (sub);

  /* And there is room again. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (try_publish (pub, 9999, NULL, &error));
    g_assert_no_error (error);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Backpressure/drop-newest", test_bp_drop_newest);
  es_test_add ("Backpressure/drop-oldest", test_bp_drop_oldest);
  es_test_add ("Backpressure/block-timeout", test_bp_block_timeout);
  es_test_add ("Backpressure/block-cancel", test_bp_block_cancel);
  es_test_add ("Backpressure/unsubscribe-releases", test_bp_unsubscribe_releases);
  es_test_add ("Backpressure/custom", test_bp_custom);
  es_test_add ("Backpressure/global-buffer", test_bp_global_buffer);

  return g_test_run ();
}
