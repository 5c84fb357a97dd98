/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EsSubscriber: every way of receiving (blocking, timed, non-blocking,
 * copy-out, batches, async, main-loop sources, the ::event signal), filters,
 * counters, GObject events and subtype matching, priority lanes and handler
 * subscriptions. */
#include "es-test-util.h"

#include <string.h>

#define HANG (ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND)

static gint32
tick_value (EsEvent *event)
{
  gsize size = 0;
  const EsTestTick *tick = es_event_get_data (event, &size);

  g_assert_nonnull (tick);
  g_assert_cmpuint (size, ==, sizeof (EsTestTick));
  return tick->value;
}

/* --- fan-out and order ---------------------------------------------------- */

static void
test_subscriber_fanout (EsFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) other_pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  EsSubscriber *subs[3];
  g_autoptr(EsSubscriber) late = NULL;

  g_test_summary ("every subscriber of a type receives every event published after it subscribed, in order");

  for (guint s = 0; s < G_N_ELEMENTS (subs); s++)
    subs[s] = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);

  for (int i = 0; i < 50; i++)
    {
      es_test_publish_tick (pub, i);
      /* Events of another type go elsewhere. */
      es_test_publish_packet (other_pub, 0, (guint64) i);
    }
  late = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  for (int i = 50; i < 100; i++)
    es_test_publish_tick (pub, i);

  for (guint s = 0; s < G_N_ELEMENTS (subs); s++)
    {
      for (int i = 0; i < 100; i++)
        {
          g_autoptr(EsEvent) event = es_test_receive (subs[s]);

          g_assert_cmpint (tick_value (event), ==, i);
        }
      g_assert_cmpuint (es_subscriber_get_received_count (subs[s]), ==, 100);
      g_assert_cmpuint (es_test_drain (subs[s]), ==, 0);
      es_test_assert_accounting (subs[s]);
      g_object_unref (subs[s]);
    }

  for (int i = 50; i < 100; i++)
    {
      g_autoptr(EsEvent) event = es_test_receive (late);

      g_assert_cmpint (tick_value (event), ==, i);
    }
  g_assert_cmpuint (es_test_drain (late), ==, 0);
  g_assert_cmpuint (es_subscriber_get_published_count (late), ==, 50);
}

/* --- empty queues, timeouts, cancellation ---------------------------------- */

static void
test_subscriber_try_receive_empty (EsFixture     *f,
                                   gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsEvent) event = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  EsTestTick ticks[4];

  g_test_summary ("try_receive on an empty queue returns NULL without error");

  event = es_subscriber_try_receive (sub, &error);
  g_assert_no_error (error);
  g_assert_null (event);
  /* The error argument is optional. */
  g_assert_null (es_subscriber_try_receive (sub, NULL));
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 0);
  g_assert_cmpuint (es_subscriber_get_queue_depth (sub), ==, 0);
  g_assert_false (es_subscriber_is_closed (sub));

  /* Timed batch receives on an empty queue time out. */
  g_assert_cmpuint (es_subscriber_receive_data_batch (sub, ticks, sizeof ticks[0], G_N_ELEMENTS (ticks),
                                                      10 * G_TIME_SPAN_MILLISECOND, NULL, &error), ==, 0);
  g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
  g_clear_error (&error);

  batch = es_subscriber_receive_batch (sub, 4, 10 * G_TIME_SPAN_MILLISECOND, NULL, &error);
  g_assert_null (batch);
  g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
}

static void
test_subscriber_receive_timeout (EsFixture     *f,
                                 gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsEvent) event = NULL;
  EsTestTick tick;
  gint64 start;

  g_test_summary ("receive_timeout and receive_data on an empty queue fail with ES_ERROR_TIMEOUT");

  start = g_get_monotonic_time ();
  event = es_subscriber_receive_timeout (sub, 20 * G_TIME_SPAN_MILLISECOND, NULL, &error);
  g_assert_null (event);
  g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
  g_clear_error (&error);
  /* A lower bound only: it waited, it did not return at once. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 15 * G_TIME_SPAN_MILLISECOND);

  g_assert_false (es_subscriber_receive_data (sub, &tick, sizeof tick, 10 * G_TIME_SPAN_MILLISECOND, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
  g_clear_error (&error);

  /* Zero timeout polls. */
  event = es_subscriber_receive_timeout (sub, 0, NULL, &error);
  g_assert_null (event);
  g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
  g_clear_error (&error);

  /* With something queued it returns it at once. */
  es_test_publish_tick (pub, 5);
  event = es_subscriber_receive_timeout (sub, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (event);
  g_assert_cmpint (tick_value (event), ==, 5);
}

typedef struct {
  GCancellable *cancellable;
  gint          delay_ms;
} CancelLater;

static gpointer
cancel_later_thread (gpointer user_data)
{
  CancelLater *c = user_data;

  g_usleep (c->delay_ms * 1000);
  g_cancellable_cancel (c->cancellable);
  return NULL;
}

static void
test_subscriber_receive_cancel (EsFixture     *f,
                                gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsEvent) event = NULL;
  EsTestTick tick;

  g_test_summary ("receive with a cancelled, or later cancelled, GCancellable fails with G_IO_ERROR_CANCELLED");

  /* Already cancelled. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    g_cancellable_cancel (cancellable);
    event = es_subscriber_receive (sub, cancellable, &error);
    g_assert_null (event);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);

    event = es_subscriber_receive_timeout (sub, HANG, cancellable, &error);
    g_assert_null (event);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);

    g_assert_false (es_subscriber_receive_data (sub, &tick, sizeof tick, HANG, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
  }

  /* Cancelled from another thread while blocked. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    CancelLater c = { cancellable, 30 };
    GThread *thread = g_thread_new ("cancel-later", cancel_later_thread, &c);

    event = es_subscriber_receive (sub, cancellable, &error);
    g_assert_null (event);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_thread_join (thread);
  }
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    CancelLater c = { cancellable, 30 };
    GThread *thread = g_thread_new ("cancel-later", cancel_later_thread, &c);

    event = es_subscriber_receive_timeout (sub, HANG, cancellable, &error);
    g_assert_null (event);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_thread_join (thread);
  }

  /* The subscriber is still fine afterwards. */
  g_assert_false (es_subscriber_is_closed (sub));
  {
    g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);

    es_test_publish_tick (pub, 8);
    event = es_test_receive (sub);
    g_assert_cmpint (tick_value (event), ==, 8);
  }
}

/* --- copy-out and batches -------------------------------------------------- */

static void
test_subscriber_receive_data (EsFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  g_autoptr(GError) error = NULL;
  EsTestPacket packet;
  guint8 wrong[10];

  g_test_summary ("receive_data copies the payload out; a wrong size is ES_ERROR_INVALID_ARGUMENT, "
                  "an object that is not a subscriber a programmer error; neither consumes anything");

  for (guint64 i = 0; i < 3; i++)
    es_test_publish_packet (pub, 1, i);

  g_assert_false (es_subscriber_receive_data (sub, wrong, sizeof wrong, HANG, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* The built-in classes are checked first; any other object must still
   * fail the check. */
  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*ES_IS_SUBSCRIBER*");
  g_assert_false (es_subscriber_receive_data ((EsSubscriber *) pub, &packet, sizeof packet, HANG, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 0);

  for (guint64 i = 0; i < 3; i++)
    {
      memset (&packet, 0xff, sizeof packet);
      g_assert_true (es_subscriber_receive_data (sub, &packet, sizeof packet, HANG, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (packet.publisher, ==, 1);
      g_assert_cmpuint (packet.counter, ==, i);
      g_assert_true (es_test_packet_check (&packet));
    }
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 3);
  es_test_assert_accounting (sub);
}

static void
test_subscriber_receive_data_batch (EsFixture     *f,
                                    gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  g_autoptr(GError) error = NULL;
  EsTestPacket packets[4];
  guint64 next = 0;
  guint calls = 0;

  g_test_summary ("receive_data_batch returns between 1 and max elements, in order");

  for (guint64 i = 0; i < 10; i++)
    es_test_publish_packet (pub, 2, i);

  while (next < 10)
    {
      guint n = es_subscriber_receive_data_batch (sub, packets, sizeof packets[0], G_N_ELEMENTS (packets),
                                                  HANG, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (n, >=, 1);
      g_assert_cmpuint (n, <=, G_N_ELEMENTS (packets));
      for (guint i = 0; i < n; i++)
        {
          g_assert_cmpuint (packets[i].counter, ==, next);
          g_assert_true (es_test_packet_check (&packets[i]));
          next++;
        }
      calls++;
    }
  g_assert_cmpuint (next, ==, 10);
  g_assert_cmpuint (calls, >=, 3);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 10);

  /* A wrong element size is refused. */
  es_test_publish_packet (pub, 2, 10);
  g_assert_cmpuint (es_subscriber_receive_data_batch (sub, packets, 8, 4, HANG, NULL, &error), ==, 0);
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
}

static void
test_subscriber_receive_batch (EsFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  gint32 next = 0;

  g_test_summary ("receive_batch returns a GPtrArray of between 1 and max events, in order");

  for (int i = 0; i < 10; i++)
    es_test_publish_tick (pub, i);

  while (next < 10)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) batch = es_subscriber_receive_batch (sub, 3, HANG, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (batch);
      g_assert_cmpuint (batch->len, >=, 1);
      g_assert_cmpuint (batch->len, <=, 3);
      for (guint i = 0; i < batch->len; i++)
        g_assert_cmpint (tick_value (g_ptr_array_index (batch, i)), ==, next++);
    }
  g_assert_cmpint (next, ==, 10);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 10);
  es_test_assert_accounting (sub);
}

/* --- async ------------------------------------------------------------------ */

typedef struct {
  GMainContext *ctx;
  gint          done;
  EsEvent      *event;
  GError       *error;
} AsyncData;

static void
receive_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncData *d = user_data;

  g_assert_true (g_main_context_is_owner (d->ctx));
  d->event = es_subscriber_receive_finish (ES_SUBSCRIBER (source), result, &d->error);
  g_atomic_int_set (&d->done, 1);
}

typedef struct {
  EsPublisher *pub;
  gint         value;
} PublishLater;

static gpointer
publish_later_thread (gpointer user_data)
{
  PublishLater *p = user_data;

  g_usleep (20 * 1000);
  es_test_publish_tick (p->pub, p->value);
  return NULL;
}

static void
test_subscriber_receive_async (EsFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);

  g_test_summary ("receive_async/finish complete in the caller's main context, also when cancelled");

  /* Something already queued. */
  {
    AsyncData d = { f->ctx, 0, NULL, NULL };

    es_test_publish_tick (pub, 1);
    es_subscriber_receive_async (sub, NULL, receive_cb, &d);
    g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
    g_assert_no_error (d.error);
    g_assert_cmpint (tick_value (d.event), ==, 1);
    es_event_unref (d.event);
  }

  /* Nothing queued yet: published later from another thread. */
  {
    AsyncData d = { f->ctx, 0, NULL, NULL };
    PublishLater p = { pub, 2 };
    GThread *thread;

    es_subscriber_receive_async (sub, NULL, receive_cb, &d);
    thread = g_thread_new ("publish-later", publish_later_thread, &p);
    g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
    g_thread_join (thread);
    g_assert_no_error (d.error);
    g_assert_cmpint (tick_value (d.event), ==, 2);
    es_event_unref (d.event);
  }

  /* Cancelled. */
  {
    AsyncData d = { f->ctx, 0, NULL, NULL };
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    es_subscriber_receive_async (sub, cancellable, receive_cb, &d);
    es_test_iterate_for (f->ctx, 0.01);
    g_assert_cmpint (d.done, ==, 0);
    g_cancellable_cancel (cancellable);
    g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
    g_assert_null (d.event);
    g_assert_error (d.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&d.error);
  }

  /* The cancelled receive consumed nothing. */
  es_test_publish_tick (pub, 3);
  {
    g_autoptr(EsEvent) event = es_test_receive (sub);

    g_assert_cmpint (tick_value (event), ==, 3);
  }

  /* Shutdown completes a pending receive with ES_ERROR_CLOSED. */
  {
    AsyncData d = { f->ctx, 0, NULL, NULL };

    es_subscriber_receive_async (sub, NULL, receive_cb, &d);
    es_test_iterate_for (f->ctx, 0.01);
    g_assert_true (es_event_system_shutdown (f->sys, NULL));
    g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
    g_assert_null (d.event);
    g_assert_error (d.error, ES_ERROR, ES_ERROR_CLOSED);
    g_clear_error (&d.error);
  }
}

/* --- counters and filters ---------------------------------------------------- */

static void
test_subscriber_counters (EsFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);

  g_test_summary ("published, received, dropped, filtered counts and the queue depth");

  g_assert_cmpuint (es_subscriber_get_published_count (sub), ==, 0);
  for (int i = 0; i < 10; i++)
    es_test_publish_tick (pub, i);
  g_assert_cmpuint (es_subscriber_get_published_count (sub), ==, 10);
  g_assert_cmpuint (es_subscriber_get_queue_depth (sub), ==, 10);

  for (int i = 0; i < 4; i++)
    {
      g_autoptr(EsEvent) event = es_test_receive (sub);
    }
  g_assert_cmpuint (es_subscriber_get_published_count (sub), ==, 10);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 4);
  g_assert_cmpuint (es_subscriber_get_queue_depth (sub), ==, 6);
  g_assert_cmpuint (es_subscriber_get_dropped_count (sub), ==, 0);
  g_assert_cmpuint (es_subscriber_get_filtered_count (sub), ==, 0);
  es_test_assert_accounting (sub);

  g_assert_cmpuint (es_test_drain (sub), ==, 6);
  g_assert_cmpuint (es_subscriber_get_queue_depth (sub), ==, 0);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 10);
  es_test_assert_accounting (sub);
}

typedef struct {
  GThread *thread;
  GType    type;
  gint     calls;
  gint     destroyed;
} FilterData;

static gboolean
even_filter (EsEvent  *event,
             gpointer  user_data)
{
  FilterData *fd = user_data;

  /* Filters run on the receiving side, and only see this subscriber's type. */
  g_assert_true (g_thread_self () == fd->thread);
  g_assert_true (es_event_get_event_type (event) == fd->type);
  g_atomic_int_inc (&fd->calls);
  return tick_value (event) % 2 == 0;
}

static void
filter_destroy (gpointer user_data)
{
  FilterData *fd = user_data;

  g_atomic_int_inc (&fd->destroyed);
}

static void
test_subscriber_filtered (EsFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) other_pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  g_autoptr(EsSubscriber) all = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(GError) error = NULL;
  FilterData fd = { g_thread_self (), ES_TEST_TYPE_TICK, 0, 0 };
  EsSubscriber *sub;
  int expected = 0;

  g_test_summary ("subscribe_filtered: the filter sees this subscriber's events on the receiving "
                  "thread; rejected ones are counted as filtered");

  sub = es_event_system_subscribe_filtered (f->sys, ES_TEST_TYPE_TICK, even_filter, &fd, filter_destroy, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sub);

  for (int i = 0; i < 10; i++)
    {
      es_test_publish_tick (pub, i);
      es_test_publish_packet (other_pub, 0, (guint64) i);
    }

  for (;;)
    {
      g_autoptr(EsEvent) event = es_subscriber_try_receive (sub, &error);

      g_assert_no_error (error);
      if (event == NULL)
        break;
      g_assert_cmpint (tick_value (event), ==, expected);
      expected += 2;
    }
  g_assert_cmpint (expected, ==, 10);
  g_assert_cmpint (g_atomic_int_get (&fd.calls), ==, 10);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 5);
  g_assert_cmpuint (es_subscriber_get_filtered_count (sub), ==, 5);
  g_assert_cmpuint (es_subscriber_get_published_count (sub), ==, 10);
  es_test_assert_accounting (sub);

  /* Blocking receives skip filtered events too. */
  es_test_publish_tick (pub, 11);
  es_test_publish_tick (pub, 12);
  {
    g_autoptr(EsEvent) event = es_test_receive (sub);

    g_assert_cmpint (tick_value (event), ==, 12);
  }
  g_assert_cmpuint (es_subscriber_get_filtered_count (sub), ==, 6);
  es_test_assert_accounting (sub);

  /* The unfiltered subscriber of the same type got everything. */
  g_assert_cmpuint (es_test_drain (all), ==, 12);
  g_assert_cmpuint (es_subscriber_get_filtered_count (all), ==, 0);

  g_object_unref (sub);
  ES_TEST_WAIT_UNTIL (g_atomic_int_get (&fd.destroyed) == 1, ES_TEST_HANG_SECONDS);
}

/* --- main-loop delivery ------------------------------------------------------ */

typedef struct {
  GMainContext *ctx;
  guint         count;
  guint         signal_count;
  gint32        values[64];
  guint         remove_after;    /* 0: never */
  gint          destroyed;
  gint          done;
  guint         done_at;
} AttachData;

static gboolean
attach_func (EsSubscriber *sub,
             EsEvent      *event,
             gpointer      user_data)
{
  AttachData *d = user_data;

  g_assert_true (g_main_context_is_owner (d->ctx));
  g_assert_true (ES_IS_SUBSCRIBER (sub));
  g_assert_cmpuint (d->count, <, G_N_ELEMENTS (d->values));
  d->values[d->count++] = tick_value (event);
  if (d->done_at != 0 && d->count >= d->done_at)
    g_atomic_int_set (&d->done, 1);
  if (d->remove_after != 0 && d->count >= d->remove_after)
    return G_SOURCE_REMOVE;
  return G_SOURCE_CONTINUE;
}

static void
attach_destroy (gpointer user_data)
{
  AttachData *d = user_data;

  g_atomic_int_inc (&d->destroyed);
}

static void
on_event_signal (EsSubscriber *sub,
                 EsEvent      *event,
                 gpointer      user_data)
{
  AttachData *d = user_data;

  g_assert_true (g_main_context_is_owner (d->ctx));
  g_assert_cmpint (tick_value (event), ==, (gint32) d->signal_count);
  d->signal_count++;
}

static void
test_subscriber_attach (EsFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  AttachData d = { .ctx = f->ctx, .done_at = 10 };
  guint id;

  g_test_summary ("es_subscriber_attach delivers in order on the attached context and emits ::event there");

  g_signal_connect (sub, "event", G_CALLBACK (on_event_signal), &d);
  id = es_subscriber_attach (sub, f->ctx, attach_func, &d, attach_destroy);
  g_assert_cmpuint (id, >, 0);
  g_assert_nonnull (g_main_context_find_source_by_id (f->ctx, id));

  for (int i = 0; i < 10; i++)
    es_test_publish_tick (pub, i);

  g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
  es_test_iterate_for (f->ctx, 0.01);
  g_assert_cmpuint (d.count, ==, 10);
  g_assert_cmpuint (d.signal_count, ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (d.values[i], ==, (gint32) i);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 10);

  /* Published from another thread, still delivered here. */
  {
    PublishLater p = { pub, 10 };
    GThread *thread = g_thread_new ("publish-later", publish_later_thread, &p);

    d.done = 0;
    d.done_at = 11;
    g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
    g_thread_join (thread);
    g_assert_cmpint (d.values[10], ==, 10);
  }

  es_subscriber_detach (sub);
  g_assert_cmpint (g_atomic_int_get (&d.destroyed), ==, 1);
  es_test_publish_tick (pub, 11);
  es_test_iterate_for (f->ctx, 0.02);
  g_assert_cmpuint (d.count, ==, 11);
  /* Still queued for a plain receive. */
  {
    g_autoptr(EsEvent) event = es_test_receive (sub);

    g_assert_cmpint (tick_value (event), ==, 11);
  }
}

static void
on_event_count (EsSubscriber *sub,
                EsEvent      *event,
                gpointer      user_data)
{
  AttachData *d = user_data;

  g_assert_true (g_main_context_is_owner (d->ctx));
  d->values[d->signal_count++] = tick_value (event);
  if (d->done_at != 0 && d->signal_count >= d->done_at)
    g_atomic_int_set (&d->done, 1);
}

static void
test_subscriber_attach_signal_only (EsFixture     *f,
                                    gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  AttachData d = { .ctx = f->ctx, .done_at = 5 };
  guint id;

  g_test_summary ("attach with a NULL context and no callback delivers through ::event in the "
                  "thread-default context");

  g_signal_connect (sub, "event", G_CALLBACK (on_event_count), &d);
  /* The fixture pushed f->ctx as this thread's thread-default context. */
  id = es_subscriber_attach (sub, NULL, NULL, NULL, NULL);
  g_assert_cmpuint (id, >, 0);
  g_assert_nonnull (g_main_context_find_source_by_id (f->ctx, id));

  for (int i = 0; i < 5; i++)
    es_test_publish_tick (pub, i);
  g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (d.values[i], ==, (gint32) i);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 5);
  es_subscriber_detach (sub);
}

typedef struct {
  GMainContext *ctx;
  EsPublisher  *pub_b;
  char         *trace_a;
  gint          done;
} TraceData;

static gboolean
trace_a_func (EsSubscriber *sub,
              EsEvent      *event,
              gpointer      user_data)
{
  TraceData *d = user_data;

  g_assert_true (g_main_context_is_owner (d->ctx));
  d->trace_a = es_event_dup_trace_id (event);
  es_test_publish_packet (d->pub_b, 0, 0);
  g_atomic_int_set (&d->done, 1);
  return G_SOURCE_CONTINUE;
}

static void
test_subscriber_trace_inherit (EsFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub_a = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsSubscriber) sub_b = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  g_autoptr(EsPublisher) pub_a = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub_b = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  TraceData d = { f->ctx, pub_b, NULL, 0 };
  g_autoptr(EsEvent) b = NULL;
  g_autofree char *trace_b = NULL;
  g_autofree char *tp_b = NULL;

  g_test_summary ("an event published from a delivery callback inherits the trace-id of the "
                  "event being handled, with a span of its own");

  es_subscriber_attach (sub_a, f->ctx, trace_a_func, &d, NULL);
  es_test_publish_tick (pub_a, 1);
  g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
  es_subscriber_detach (sub_a);

  b = es_test_receive (sub_b);
  trace_b = es_event_dup_trace_id (b);
  g_assert_nonnull (d.trace_a);
  g_assert_cmpstr (trace_b, ==, d.trace_a);
  tp_b = es_event_dup_traceparent (b);
  g_assert_nonnull (tp_b);

  /* Outside a callback, a new publish starts a new trace. */
  es_test_publish_packet (pub_b, 0, 1);
  {
    g_autoptr(EsEvent) c = es_test_receive (sub_b);
    g_autofree char *trace_c = es_event_dup_trace_id (c);

    g_assert_cmpstr (trace_c, !=, d.trace_a);
  }
  g_free (d.trace_a);
}

typedef struct {
  GMainContext *ctx;
  GMainLoop    *loop;
  gint          ready;
  gint          count;
  GThread      *thread;
} LoopThread;

static gpointer
loop_thread_func (gpointer user_data)
{
  LoopThread *lt = user_data;

  g_main_context_push_thread_default (lt->ctx);
  g_atomic_int_set (&lt->ready, 1);
  g_main_loop_run (lt->loop);
  g_main_context_pop_thread_default (lt->ctx);
  return NULL;
}

static gboolean
loop_thread_func_cb (EsSubscriber *sub,
                     EsEvent      *event,
                     gpointer      user_data)
{
  LoopThread *lt = user_data;

  g_assert_true (g_main_context_is_owner (lt->ctx));
  g_assert_true (g_thread_self () == lt->thread);
  g_assert_cmpint (tick_value (event), ==, g_atomic_int_get (&lt->count));
  g_atomic_int_inc (&lt->count);
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_loop_idle (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_subscriber_attach_other_thread (EsFixture     *f,
                                     gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  LoopThread lt = { 0 };
  guint n = es_test_scaled (200, 20);

  g_test_summary ("callbacks run only on the thread that owns the attached context (the GJS rule)");

  lt.ctx = g_main_context_new ();
  lt.loop = g_main_loop_new (lt.ctx, FALSE);
  es_subscriber_attach (sub, lt.ctx, loop_thread_func_cb, &lt, NULL);
  lt.thread = g_thread_new ("loop", loop_thread_func, &lt);
  ES_TEST_WAIT_UNTIL (g_atomic_int_get (&lt.ready), ES_TEST_HANG_SECONDS);

  for (guint i = 0; i < n; i++)
    es_test_publish_tick (pub, (gint32) i);
  ES_TEST_WAIT_UNTIL ((guint) g_atomic_int_get (&lt.count) == n, ES_TEST_HANG_SECONDS);

  /* Detach from the loop's own thread, then stop it. */
  {
    GSource *idle = g_idle_source_new ();

    g_source_set_callback (idle, quit_loop_idle, lt.loop, NULL);
    g_source_attach (idle, lt.ctx);
    g_source_unref (idle);
  }
  g_thread_join (lt.thread);
  es_subscriber_detach (sub);
  g_main_loop_unref (lt.loop);
  g_main_context_unref (lt.ctx);
}

static void
test_subscriber_attach_batch_size (EsFixture     *f,
                                   gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  AttachData d = { 0 };
  guint max_per_dispatch = 0;
  guint dispatches = 0;
  gint64 deadline;

  g_test_summary ("one main-loop dispatch delivers at most batch-size events");

  es_event_system_builder_set_batch_size (b, 3);
  es_fixture_replace (f, b, TRUE);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  d.ctx = f->ctx;

  for (int i = 0; i < 10; i++)
    es_test_publish_tick (pub, i);
  es_subscriber_attach (sub, f->ctx, attach_func, &d, NULL);

  /* Our source is the only one in this context, so one iteration is at most
   * one dispatch of it: count deliveries per iteration. */
  deadline = g_get_monotonic_time () + HANG;
  while (d.count < 10 && g_get_monotonic_time () < deadline)
    {
      guint before = d.count;

      if (g_main_context_iteration (f->ctx, FALSE))
        {
          guint delivered = d.count - before;

          g_assert_cmpuint (delivered, <=, 3);
          max_per_dispatch = MAX (max_per_dispatch, delivered);
          if (delivered > 0)
            dispatches++;
        }
      else
        g_usleep (500);
    }
  g_assert_cmpuint (d.count, ==, 10);
  /* Everything was queued up front, so batches were full. */
  g_assert_cmpuint (max_per_dispatch, ==, 3);
  g_assert_cmpuint (dispatches, >=, 4);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (d.values[i], ==, (gint32) i);
  es_subscriber_detach (sub);
}

static void
test_subscriber_attach_remove (EsFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  AttachData d = { .ctx = f->ctx, .remove_after = 3, .done_at = 3 };

  g_test_summary ("returning G_SOURCE_REMOVE from the callback detaches the subscriber's source");

  es_subscriber_attach (sub, f->ctx, attach_func, &d, attach_destroy);
  for (int i = 0; i < 10; i++)
    es_test_publish_tick (pub, i);

  g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
  es_test_iterate_for (f->ctx, 0.02);
  es_test_publish_tick (pub, 10);
  es_test_iterate_for (f->ctx, 0.02);

  g_assert_cmpuint (d.count, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (d.values[i], ==, (gint32) i);
  g_assert_cmpint (g_atomic_int_get (&d.destroyed), ==, 1);

  /* It can be attached again. */
  {
    AttachData d2 = { .ctx = f->ctx, .done_at = 1 };

    es_subscriber_attach (sub, f->ctx, attach_func, &d2, NULL);
    es_test_publish_tick (pub, 11);
    g_assert_true (es_test_iterate_until (f->ctx, &d2.done, ES_TEST_HANG_SECONDS));
    g_assert_cmpuint (d2.count, >=, 1);
    es_subscriber_detach (sub);
  }
  es_test_assert_accounting (sub);
}

static void
test_subscriber_create_source (EsFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  AttachData d = { .ctx = f->ctx, .done_at = 5 };
  GSource *source;

  g_test_summary ("es_subscriber_create_source: a GSource whose callback is an EsSubscriberFunc");

  source = es_subscriber_create_source (sub);
  g_assert_nonnull (source);
  g_source_set_callback (source, (GSourceFunc) (void (*)(void)) attach_func, &d, attach_destroy);
  g_source_attach (source, f->ctx);

  for (int i = 0; i < 5; i++)
    es_test_publish_tick (pub, i);
  g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (d.values[i], ==, (gint32) i);

  g_source_destroy (source);
  g_source_unref (source);
  g_assert_cmpint (g_atomic_int_get (&d.destroyed), ==, 1);
}

typedef struct {
  GMainContext *ctx;
  EsPublisher  *pub_a;
  EsPublisher  *pub_b;
  guint         a_count;
  guint         b_count;
  gint          done;
} ReentrantData;

static gboolean
reentrant_a (EsSubscriber *sub,
             EsEvent      *event,
             gpointer      user_data)
{
  ReentrantData *d = user_data;
  gint32 v = tick_value (event);

  g_assert_true (g_main_context_is_owner (d->ctx));
  d->a_count++;
  /* Another type, and the same type, from inside the dispatch. */
  es_test_publish_packet (d->pub_b, 0, (guint64) v);
  if (v < 3)
    es_test_publish_tick (d->pub_a, v + 10);
  return G_SOURCE_CONTINUE;
}

static gboolean
reentrant_b (EsSubscriber *sub,
             EsEvent      *event,
             gpointer      user_data)
{
  ReentrantData *d = user_data;

  g_assert_true (g_main_context_is_owner (d->ctx));
  d->b_count++;
  if (d->a_count == 6 && d->b_count == 6)
    g_atomic_int_set (&d->done, 1);
  return G_SOURCE_CONTINUE;
}

static void
test_subscriber_reentrant (EsFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub_a = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsSubscriber) sub_b = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  g_autoptr(EsPublisher) pub_a = es_test_new_publisher (f, ES_TEST_TYPE_TICK);
  g_autoptr(EsPublisher) pub_b = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  ReentrantData d = { f->ctx, pub_a, pub_b, 0, 0, 0 };

  g_test_summary ("publishing from inside a delivery callback (same and other type) does not deadlock");

  es_subscriber_attach (sub_a, f->ctx, reentrant_a, &d, NULL);
  es_subscriber_attach (sub_b, f->ctx, reentrant_b, &d, NULL);
  for (int i = 0; i < 3; i++)
    es_test_publish_tick (pub_a, i);

  g_assert_true (es_test_iterate_until (f->ctx, &d.done, ES_TEST_HANG_SECONDS));
  es_test_iterate_for (f->ctx, 0.02);
  g_assert_cmpuint (d.a_count, ==, 6);
  g_assert_cmpuint (d.b_count, ==, 6);
  es_subscriber_detach (sub_a);
  es_subscriber_detach (sub_b);
}

/* --- GObject events and subtypes ---------------------------------------------- */

static void
test_subscriber_objects (EsFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_THING);
  g_autoptr(EsSubscriber) sub2 = es_test_new_subscriber (f, ES_TEST_TYPE_THING);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_THING);
  g_autoptr(GError) error = NULL;
  EsTestThing *things[5];

  g_test_summary ("GObject events reach every subscriber as the same object, in order");

  for (guint i = 0; i < G_N_ELEMENTS (things); i++)
    {
      things[i] = es_test_thing_new ((int) i);
      g_assert_true (es_publisher_publish_object (pub, things[i], NULL, &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (things); i++)
    {
      g_autoptr(EsEvent) a = es_test_receive (sub);
      g_autoptr(EsEvent) b = es_test_receive (sub2);

      g_assert_true (es_event_get_object (a) == (gpointer) things[i]);
      g_assert_true (es_event_get_object (b) == (gpointer) things[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (things); i++)
    g_object_unref (things[i]);
}

static void
test_subscriber_subtypes (EsFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(EsSubscriber) parent_sub = es_test_new_subscriber (f, ES_TEST_TYPE_THING);
  g_autoptr(EsSubscriber) child_sub = es_test_new_subscriber (f, ES_TEST_TYPE_CHILD_THING);
  g_autoptr(EsPublisher) child_pub = es_test_new_publisher (f, ES_TEST_TYPE_CHILD_THING);
  g_autoptr(EsPublisher) parent_pub = es_test_new_publisher (f, ES_TEST_TYPE_THING);
  g_autoptr(EsTestThing) child = es_test_child_thing_new (7);
  g_autoptr(EsTestThing) parent = es_test_thing_new (8);
  g_autoptr(GError) error = NULL;

  g_test_summary ("zero-copy matches subtypes (a parent-type subscriber gets child events); "
                  "static matches exact types only");

  g_assert_true (es_publisher_publish_object (child_pub, child, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (es_publisher_publish_object (parent_pub, parent, NULL, &error));
  g_assert_no_error (error);

  /* The child subscriber gets the child only, in both implementations. */
  {
    g_autoptr(EsEvent) event = es_test_receive (child_sub);

    g_assert_true (es_event_get_object (event) == (gpointer) child);
    g_assert_true (es_event_get_event_type (event) == ES_TEST_TYPE_CHILD_THING);
    g_assert_cmpuint (es_test_drain (child_sub), ==, 0);
  }

  if (f->impl == ES_IMPLEMENTATION_ZERO_COPY)
    {
      g_autoptr(EsEvent) first = es_test_receive (parent_sub);
      g_autoptr(EsEvent) second = es_test_receive (parent_sub);

      g_assert_true (es_event_get_object (first) == (gpointer) child);
      g_assert_true (es_event_get_event_type (first) == ES_TEST_TYPE_CHILD_THING);
      g_assert_true (es_event_get_object (second) == (gpointer) parent);
    }
  else
    {
      g_autoptr(EsEvent) only = es_test_receive (parent_sub);

      g_assert_true (es_event_get_object (only) == (gpointer) parent);
    }
  g_assert_cmpuint (es_test_drain (parent_sub), ==, 0);
  es_test_assert_accounting (parent_sub);
  es_test_assert_accounting (child_sub);
}

/* --- priorities ---------------------------------------------------------------- */

static void
publish_priorities (EsFixture   *f,
                    EsPublisher *pub)
{
  static const EsEventPriority order[] = {
    ES_EVENT_PRIORITY_LOW, ES_EVENT_PRIORITY_NORMAL, ES_EVENT_PRIORITY_HIGH, ES_EVENT_PRIORITY_CRITICAL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autoptr(GError) error = NULL;
      EsTestTick tick = { (gint32) order[i], i };
      g_autoptr(EsEvent) event = es_event_new (ES_TEST_TYPE_TICK, &tick, sizeof tick);

      es_event_set_priority (event, order[i]);
      g_assert_true (es_publisher_publish (pub, event, NULL, &error));
      g_assert_no_error (error);
    }
}

static void
test_subscriber_priority (EsFixture     *f,
                          gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsPublisher) pub = NULL;

  g_test_summary ("zero-copy with enable-priority delivers CRITICAL, HIGH, NORMAL, LOW; "
                  "static keeps publish order and carries the priority as metadata");

  es_event_system_builder_set_enable_priority (b, TRUE);
  es_fixture_replace (f, b, TRUE);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);

  publish_priorities (f, pub);

  if (f->impl == ES_IMPLEMENTATION_ZERO_COPY)
    {
      static const EsEventPriority expected[] = {
        ES_EVENT_PRIORITY_CRITICAL, ES_EVENT_PRIORITY_HIGH, ES_EVENT_PRIORITY_NORMAL, ES_EVENT_PRIORITY_LOW,
      };

      for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
        {
          g_autoptr(EsEvent) event = es_test_receive (sub);

          g_assert_cmpint (es_event_get_priority (event), ==, expected[i]);
          g_assert_cmpint (tick_value (event), ==, (gint32) expected[i]);
        }
    }
  else
    {
      for (guint i = 0; i < 4; i++)
        {
          g_autoptr(EsEvent) event = es_test_receive (sub);

          g_assert_cmpint (tick_value (event), ==, (gint32) i);
          g_assert_cmpint (es_event_get_priority (event), ==, (EsEventPriority) i);
        }
    }
  es_test_assert_accounting (sub);
}

static void
test_subscriber_priority_disabled (EsFixture     *f,
                                   gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsPublisher) pub = NULL;

  g_test_summary ("without enable-priority events arrive in publish order with their priority as metadata");

  es_event_system_builder_set_enable_priority (b, FALSE);
  es_fixture_replace (f, b, TRUE);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_TICK);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);

  publish_priorities (f, pub);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(EsEvent) event = es_test_receive (sub);

      g_assert_cmpint (tick_value (event), ==, (gint32) i);
      g_assert_cmpint (es_event_get_priority (event), ==, (EsEventPriority) i);
    }
}

/* --- handler subscriptions (zero-copy) --------------------------------------- */

typedef struct {
  gint active;       /* atomic */
  gint max_active;   /* atomic */
} HandlerShared;

typedef struct {
  HandlerShared *shared;
  guint          index;
  gint           fail_from;   /* -1: never */
  gint32         next;        /* only touched by the handler: calls are serialised */
  gint           received;    /* atomic */
  gint           out_of_order;/* atomic */
  gint           destroyed;   /* atomic */
} HandlerState;

static void
counting_handler (EsEvent  *event,
                  gpointer  user_data)
{
  HandlerState *st = user_data;
  gint32 v = tick_value (event);
  gint active = g_atomic_int_add (&st->shared->active, 1) + 1;
  gint max;

  while (active > (max = g_atomic_int_get (&st->shared->max_active)) &&
         !g_atomic_int_compare_and_exchange (&st->shared->max_active, max, active))
    ;

  /* A handler that "fails": it gives up on its events from some point on
   * without telling anyone. The others must not notice. */
  if (st->fail_from < 0 || v < st->fail_from)
    {
      if (v != st->next)
        g_atomic_int_inc (&st->out_of_order);
      st->next = v + 1;
      g_usleep (300);
      g_atomic_int_inc (&st->received);
    }

  g_atomic_int_add (&st->shared->active, -1);
}

static void
handler_destroy (gpointer user_data)
{
  HandlerState *st = user_data;

  g_atomic_int_inc (&st->destroyed);
}

static void
test_subscriber_handlers (EsFixture     *f,
                          gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsPublisher) pub = NULL;
  HandlerShared shared = { 0, 0 };
  HandlerState states[8];
  guint ids[8];
  EsZeroCopyEventSystem *zc;
  guint n = es_test_scaled (60, 10);

  g_test_summary ("handler subscriptions: at most max-concurrent-dispatches run at once, each in "
                  "order, and a failing handler does not affect the others");

  es_event_system_builder_set_max_concurrent_dispatches (b, 2);
  es_fixture_replace (f, b, TRUE);
  zc = ES_ZERO_COPY_EVENT_SYSTEM (f->sys);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_TICK);

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autoptr(GError) error = NULL;

      states[i] = (HandlerState) { &shared, i, i == 3 ? 5 : -1, 0, 0, 0, 0 };
      ids[i] = es_zero_copy_event_system_add_handler (zc, ES_TEST_TYPE_TICK, counting_handler,
                                                      &states[i], handler_destroy, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ids[i], >, 0);
    }

  for (guint i = 0; i < n; i++)
    es_test_publish_tick (pub, (gint32) i);

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      guint expected = states[i].fail_from < 0 ? n : (guint) states[i].fail_from;

      ES_TEST_WAIT_UNTIL ((guint) g_atomic_int_get (&states[i].received) >= expected, ES_TEST_HANG_SECONDS);
    }
  /* Let the failing handler finish the rest of its calls too. */
  ES_TEST_WAIT_UNTIL (es_zero_copy_event_system_get_active_dispatches (zc) == 0, ES_TEST_HANG_SECONDS);

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      guint expected = states[i].fail_from < 0 ? n : (guint) states[i].fail_from;

      g_assert_cmpuint (g_atomic_int_get (&states[i].received), ==, expected);
      g_assert_cmpint (g_atomic_int_get (&states[i].out_of_order), ==, 0);
    }
  g_assert_cmpint (g_atomic_int_get (&shared.max_active), <=, 2);
  g_assert_cmpint (g_atomic_int_get (&shared.max_active), >=, 1);
  g_assert_cmpuint (es_zero_copy_event_system_get_peak_dispatches (zc), <=, 2);
  g_assert_cmpuint (es_zero_copy_event_system_get_peak_dispatches (zc), >=, 1);

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    es_zero_copy_event_system_remove_handler (zc, ids[i]);
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    ES_TEST_WAIT_UNTIL (g_atomic_int_get (&states[i].destroyed) == 1, ES_TEST_HANG_SECONDS);

  /* Removed handlers get nothing more. */
  es_test_publish_tick (pub, (gint32) n);
  g_usleep (20 * 1000);
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    g_assert_cmpint (g_atomic_int_get (&states[i].out_of_order), ==, 0);
  g_assert_cmpuint (g_atomic_int_get (&states[0].received), ==, n);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Subscriber/fanout", test_subscriber_fanout);
  es_test_add ("Subscriber/try-receive-empty", test_subscriber_try_receive_empty);
  es_test_add ("Subscriber/receive-timeout", test_subscriber_receive_timeout);
  es_test_add ("Subscriber/receive-cancel", test_subscriber_receive_cancel);
  es_test_add ("Subscriber/receive-data", test_subscriber_receive_data);
  es_test_add ("Subscriber/receive-data-batch", test_subscriber_receive_data_batch);
  es_test_add ("Subscriber/receive-batch", test_subscriber_receive_batch);
  es_test_add ("Subscriber/receive-async", test_subscriber_receive_async);
  es_test_add ("Subscriber/counters", test_subscriber_counters);
  es_test_add ("Subscriber/filtered", test_subscriber_filtered);
  es_test_add ("Subscriber/attach", test_subscriber_attach);
  es_test_add ("Subscriber/attach-signal-only", test_subscriber_attach_signal_only);
  es_test_add ("Subscriber/attach-other-thread", test_subscriber_attach_other_thread);
  es_test_add ("Subscriber/attach-batch-size", test_subscriber_attach_batch_size);
  es_test_add ("Subscriber/attach-remove", test_subscriber_attach_remove);
  es_test_add ("Subscriber/create-source", test_subscriber_create_source);
  es_test_add ("Subscriber/reentrant", test_subscriber_reentrant);
  es_test_add ("Subscriber/trace-inherit", test_subscriber_trace_inherit);
  es_test_add ("Subscriber/objects", test_subscriber_objects);
  es_test_add ("Subscriber/subtypes", test_subscriber_subtypes);
  es_test_add ("Subscriber/priority", test_subscriber_priority);
  es_test_add ("Subscriber/priority-disabled", test_subscriber_priority_disabled);
  es_test_add_one (ES_IMPLEMENTATION_ZERO_COPY, "Subscriber/handlers", test_subscriber_handlers);

  return g_test_run ();
}
