/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hammer tests: many publishers x many subscribers with exact counts and
 * per-publisher order, and subscribe/unsubscribe churn while publishing.
 * Sizes scale with ES_TEST_SCALE. */
#include "es-test-util.h"

#define N_PUBLISHERS 4
#define N_SUBSCRIBERS 3
#define BATCH 256

/* Publishers are created on the main thread and handed to their threads:
 * GLib's class initialisation synchronises through its own futex-based
 * locks, which ThreadSanitizer cannot see, so the first instance of each
 * class is made before any thread starts. */
typedef struct {
  EsPublisher *pub;   /* owned */
  guint32      id;
  guint64      n;
  GError      *error;
} PublisherThread;

static void
publisher_thread_init (PublisherThread *pt,
                       EsEventSystem   *sys,
                       guint32          id,
                       guint64          n)
{
  g_autoptr(GError) error = NULL;

  pt->pub = es_event_system_create_publisher (sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  pt->id = id;
  pt->n = n;
  pt->error = NULL;
}

static gpointer
publisher_thread (gpointer user_data)
{
  PublisherThread *pt = user_data;

  for (guint64 i = 0; i < pt->n; i++)
    {
      EsTestPacket packet;

      es_test_packet_init (&packet, pt->id, i);
      if (!es_publisher_publish_data (pt->pub, &packet, sizeof packet, NULL, &pt->error))
        return NULL;
    }
  return NULL;
}

typedef enum {
  RECEIVE_DATA_BATCH,
  RECEIVE_EVENT_BATCH,
  RECEIVE_ONE,
} ReceiveMode;

typedef struct {
  EsSubscriber *sub;
  ReceiveMode   mode;
  guint         n_publishers;
  guint64       expected;          /* total to receive */
  guint64       next[N_PUBLISHERS];
  guint64       received;
  guint64       bad_order;
  guint64       bad_payload;
  GError       *error;
} SubscriberThread;

static void
check_packet (SubscriberThread   *st,
              const EsTestPacket *packet)
{
  if (packet->publisher >= st->n_publishers || packet->counter != st->next[packet->publisher])
    st->bad_order++;
  else
    st->next[packet->publisher]++;
  if (!es_test_packet_check (packet))
    st->bad_payload++;
  st->received++;
}

static gpointer
subscriber_thread (gpointer user_data)
{
  SubscriberThread *st = user_data;
  const GTimeSpan timeout = ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND;
  EsTestPacket *packets = g_new (EsTestPacket, BATCH);

  while (st->received < st->expected)
    {
      guint64 want = MIN (st->expected - st->received, BATCH);

      switch (st->mode)
        {
        case RECEIVE_DATA_BATCH:
          {
            guint n = es_subscriber_receive_data_batch (st->sub, packets, sizeof packets[0], (guint) want,
                                                        timeout, NULL, &st->error);
            if (n == 0)
              goto out;
            for (guint i = 0; i < n; i++)
              check_packet (st, &packets[i]);
          }
          break;

        case RECEIVE_EVENT_BATCH:
          {
            g_autoptr(GPtrArray) events = es_subscriber_receive_batch (st->sub, (guint) want, timeout,
                                                                       NULL, &st->error);
            if (events == NULL)
              goto out;
            for (guint i = 0; i < events->len; i++)
              {
                gsize size = 0;
                const EsTestPacket *p = es_event_get_data (g_ptr_array_index (events, i), &size);

                if (size != sizeof *p)
                  st->bad_payload++;
                else
                  check_packet (st, p);
              }
          }
          break;

        case RECEIVE_ONE:
          if (!es_subscriber_receive_data (st->sub, &packets[0], sizeof packets[0], timeout, NULL, &st->error))
            goto out;
          check_packet (st, &packets[0]);
          break;

        default:
          g_assert_not_reached ();
        }
    }

out:
  g_free (packets);
  return NULL;
}

static void
test_stress_fanout (EsFixture     *f,
                    gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  PublisherThread pubs[N_PUBLISHERS];
  SubscriberThread subs[N_SUBSCRIBERS];
  GThread *pub_threads[N_PUBLISHERS];
  GThread *sub_threads[N_SUBSCRIBERS];
  guint64 n = es_test_scaled (1000000, 200);
  gint64 start;

  g_test_summary ("4 publishers x 3 subscribers of 64-byte events: every subscriber gets every event "
                  "exactly once, in per-publisher order");

  es_event_system_builder_set_channel_capacity (b, 4096);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_BLOCK);
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);

  for (guint s = 0; s < N_SUBSCRIBERS; s++)
    {
      g_autoptr(GError) error = NULL;

      subs[s] = (SubscriberThread) { 0 };
      subs[s].sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
      g_assert_no_error (error);
      subs[s].mode = (ReceiveMode) (s % 3);
      subs[s].n_publishers = N_PUBLISHERS;
      subs[s].expected = n * N_PUBLISHERS;
    }

  start = g_get_monotonic_time ();
  for (guint s = 0; s < N_SUBSCRIBERS; s++)
    sub_threads[s] = g_thread_new ("stress-sub", subscriber_thread, &subs[s]);
  for (guint p = 0; p < N_PUBLISHERS; p++)
    publisher_thread_init (&pubs[p], f->sys, p, n);
  for (guint p = 0; p < N_PUBLISHERS; p++)
    pub_threads[p] = g_thread_new ("stress-pub", publisher_thread, &pubs[p]);

  for (guint p = 0; p < N_PUBLISHERS; p++)
    {
      g_thread_join (pub_threads[p]);
      g_assert_no_error (pubs[p].error);
      g_clear_object (&pubs[p].pub);
    }
  for (guint s = 0; s < N_SUBSCRIBERS; s++)
    g_thread_join (sub_threads[s]);

  g_test_message ("%s: %" G_GUINT64_FORMAT " events x %d subscribers in %.2f s",
                  es_test_impl_name (f->impl), n * N_PUBLISHERS, N_SUBSCRIBERS,
                  (g_get_monotonic_time () - start) / (double) G_TIME_SPAN_SECOND);

  for (guint s = 0; s < N_SUBSCRIBERS; s++)
    {
      g_assert_no_error (subs[s].error);
      g_assert_cmpuint (subs[s].bad_order, ==, 0);
      g_assert_cmpuint (subs[s].bad_payload, ==, 0);
      g_assert_cmpuint (subs[s].received, ==, n * N_PUBLISHERS);
      for (guint p = 0; p < N_PUBLISHERS; p++)
        g_assert_cmpuint (subs[s].next[p], ==, n);
      g_assert_cmpuint (es_subscriber_get_received_count (subs[s].sub), ==, n * N_PUBLISHERS);
      g_assert_cmpuint (es_subscriber_get_published_count (subs[s].sub), ==, n * N_PUBLISHERS);
      g_assert_cmpuint (es_subscriber_get_dropped_count (subs[s].sub), ==, 0);
      g_assert_cmpuint (es_subscriber_get_queue_depth (subs[s].sub), ==, 0);
      es_test_assert_accounting (subs[s].sub);
      g_clear_object (&subs[s].sub);
    }
}

/* --- churn ---------------------------------------------------------------------- */

#define CHURN_PUBLISHERS 2

typedef struct {
  EsEventSystem *sys;
  gint          *publishers_done;   /* atomic */
  guint          max_iterations;
  GPtrArray     *closed;            /* EsSubscriber*, checked at the end */
  guint          iterations;
  guint64        bad_order;
  guint64        seen;
} ChurnThread;

static gboolean
odd_counter_filter (EsEvent  *event,
                    gpointer  user_data)
{
  const EsTestPacket *p = es_event_get_data (event, NULL);

  return p->counter % 2 == 1;
}

static gpointer
churn_thread (gpointer user_data)
{
  ChurnThread *ct = user_data;
  GRand *rand = g_rand_new_with_seed (1234);

  while (g_atomic_int_get (ct->publishers_done) < CHURN_PUBLISHERS && ct->iterations < ct->max_iterations)
    {
      g_autoptr(GError) error = NULL;
      EsSubscriber *sub;
      gboolean filtered = g_rand_int_range (rand, 0, 4) == 0;
      guint64 next[CHURN_PUBLISHERS] = { 0 };
      gboolean seen[CHURN_PUBLISHERS] = { FALSE };
      guint want = g_rand_int_range (rand, 0, 200);

      if (filtered)
        sub = es_event_system_subscribe_filtered (ct->sys, ES_TEST_TYPE_PACKET, odd_counter_filter,
                                                  NULL, NULL, &error);
      else
        sub = es_event_system_subscribe (ct->sys, ES_TEST_TYPE_PACKET, &error);
      if (sub == NULL)
        g_error ("churn subscribe failed: %s", error->message);

      for (guint i = 0; i < want; i++)
        {
          EsTestPacket packet;

          if (!es_subscriber_receive_data (sub, &packet, sizeof packet, G_TIME_SPAN_MILLISECOND, NULL, NULL))
            continue;
          ct->seen++;
          if (packet.publisher >= CHURN_PUBLISHERS)
            {
              ct->bad_order++;
              continue;
            }
          /* Once a publisher's event was seen, the following ones are
           * consecutive (or, when filtered, increasing odd counters). */
          if (filtered ? (packet.counter % 2 != 1 || (seen[packet.publisher] && packet.counter < next[packet.publisher]))
                       : (seen[packet.publisher] && packet.counter != next[packet.publisher]))
            ct->bad_order++;
          seen[packet.publisher] = TRUE;
          next[packet.publisher] = packet.counter + 1;
        }

      if (g_rand_boolean (rand))
        {
          /* Unsubscribe and keep it for the end-of-test accounting check. */
          es_subscriber_unsubscribe (sub);
          g_ptr_array_add (ct->closed, sub);
        }
      else
        {
          /* Just drop it: the last unref unsubscribes. */
          g_object_unref (sub);
        }
      ct->iterations++;
    }

  g_rand_free (rand);
  return NULL;
}

typedef struct {
  PublisherThread  pt;
  gint            *done;
} ChurnPublisher;

static gpointer
churn_publisher_thread (gpointer user_data)
{
  ChurnPublisher *cp = user_data;

  publisher_thread (&cp->pt);
  g_atomic_int_inc (cp->done);
  return NULL;
}

static void
test_stress_churn (EsFixture     *f,
                   gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  ChurnPublisher pubs[CHURN_PUBLISHERS];
  SubscriberThread subs[2];
  GThread *pub_threads[CHURN_PUBLISHERS];
  GThread *sub_threads[G_N_ELEMENTS (subs)];
  GThread *churn;
  gint publishers_done = 0;
  ChurnThread ct = { 0 };
  guint64 n = es_test_scaled (200000, 500);

  g_test_summary ("subscribe/unsubscribe churn while publishing: no crash, steady subscribers get "
                  "everything in order, every subscriber's accounting adds up");

  es_event_system_builder_set_channel_capacity (b, 1024);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_BLOCK);
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);

  for (guint s = 0; s < G_N_ELEMENTS (subs); s++)
    {
      g_autoptr(GError) error = NULL;

      subs[s] = (SubscriberThread) { 0 };
      subs[s].sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
      g_assert_no_error (error);
      subs[s].mode = s == 0 ? RECEIVE_DATA_BATCH : RECEIVE_EVENT_BATCH;
      subs[s].n_publishers = CHURN_PUBLISHERS;
      subs[s].expected = n * CHURN_PUBLISHERS;
      sub_threads[s] = g_thread_new ("churn-steady-sub", subscriber_thread, &subs[s]);
    }

  ct.sys = f->sys;
  ct.publishers_done = &publishers_done;
  ct.max_iterations = es_test_scaled (3000, 50);
  ct.closed = g_ptr_array_new_with_free_func (g_object_unref);
  churn = g_thread_new ("churn", churn_thread, &ct);

  for (guint p = 0; p < CHURN_PUBLISHERS; p++)
    {
      publisher_thread_init (&pubs[p].pt, f->sys, p, n);
      pubs[p].done = &publishers_done;
    }
  for (guint p = 0; p < CHURN_PUBLISHERS; p++)
    pub_threads[p] = g_thread_new ("churn-pub", churn_publisher_thread, &pubs[p]);

  for (guint p = 0; p < CHURN_PUBLISHERS; p++)
    {
      g_thread_join (pub_threads[p]);
      g_assert_no_error (pubs[p].pt.error);
      g_clear_object (&pubs[p].pt.pub);
    }
  g_thread_join (churn);
  for (guint s = 0; s < G_N_ELEMENTS (subs); s++)
    g_thread_join (sub_threads[s]);

  g_test_message ("%s: %u churn iterations, %" G_GUINT64_FORMAT " events seen by churned subscribers",
                  es_test_impl_name (f->impl), ct.iterations, ct.seen);
  g_assert_cmpuint (ct.iterations, >, 0);
  g_assert_cmpuint (ct.bad_order, ==, 0);

  for (guint s = 0; s < G_N_ELEMENTS (subs); s++)
    {
      g_assert_no_error (subs[s].error);
      g_assert_cmpuint (subs[s].bad_order, ==, 0);
      g_assert_cmpuint (subs[s].bad_payload, ==, 0);
      g_assert_cmpuint (subs[s].received, ==, n * CHURN_PUBLISHERS);
      es_test_assert_accounting (subs[s].sub);
      g_clear_object (&subs[s].sub);
    }

  /* Quiescent now: every churned subscriber's books balance, and it is
   * closed for good. */
  {
    guint leaking = 0;
    guint64 leaked_events = 0;

    for (guint i = 0; i < ct.closed->len; i++)
      {
        EsSubscriber *sub = g_ptr_array_index (ct.closed, i);
        guint64 queued;

        g_assert_true (es_subscriber_is_closed (sub));
        es_test_assert_accounting (sub);

        /* Unsubscribing discarded the queue, and nothing may arrive after. */
        queued = es_test_drain (sub);
        if (queued > 0)
          {
            leaking++;
            leaked_events += queued;
          }
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(EsEvent) event = es_subscriber_try_receive (sub, &error);

          g_assert_null (event);
          g_assert_error (error, ES_ERROR, ES_ERROR_CLOSED);
        }
      }
    if (leaking > 0)
      g_error ("%s: %u of %u unsubscribed subscribers still received %" G_GUINT64_FORMAT
               " events queued after es_subscriber_unsubscribe() returned (see LIBRARY-BUGS.md)",
               es_test_impl_name (f->impl), leaking, ct.closed->len, leaked_events);
  }
  g_ptr_array_unref (ct.closed);
}

/* --- unsubscribe while publishing ------------------------------------------------- */

typedef struct {
  EsPublisher *pub;
  gint         stop;   /* atomic */
} EndlessPublisher;

static gpointer
endless_publisher_thread (gpointer user_data)
{
  EndlessPublisher *ep = user_data;

  for (guint64 i = 0; !g_atomic_int_get (&ep->stop); i++)
    {
      EsTestPacket packet;

      es_test_packet_init (&packet, 0, i);
      if (!es_publisher_publish_data (ep->pub, &packet, sizeof packet, NULL, NULL))
        g_error ("publish failed");
    }
  return NULL;
}

static void
test_stress_unsubscribe_race (EsFixture     *f,
                              gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  EndlessPublisher ep = { NULL, 0 };
  GThread *thread;
  guint n = es_test_scaled (5000, 100);
  guint late = 0;
  g_autoptr(GPtrArray) closed = g_ptr_array_new_with_free_func (g_object_unref);

  g_test_summary ("once es_subscriber_unsubscribe() returned, nothing more reaches the subscriber, "
                  "even with a publisher running flat out");

  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_DROP_OLDEST);
  es_fixture_replace (f, b, TRUE);
  ep.pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  {
    /* Create the first subscriber here, before the thread starts. */
    g_autoptr(EsSubscriber) warm = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
    g_assert_no_error (error);
  }
  thread = g_thread_new ("endless-publisher", endless_publisher_thread, &ep);

  for (guint i = 0; i < n; i++)
    {
      EsSubscriber *sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
      g_autoptr(EsEvent) event = NULL;
      g_autoptr(GError) local_error = NULL;

      g_assert_no_error (error);
      g_ptr_array_add (closed, sub);
      es_subscriber_unsubscribe (sub);
      /* Give an in-flight publish the time to (wrongly) land. */
      g_usleep (10);
      event = es_subscriber_try_receive (sub, &local_error);
      if (event != NULL)
        late++;
      else
        g_assert_error (local_error, ES_ERROR, ES_ERROR_CLOSED);
    }

  g_atomic_int_set (&ep.stop, 1);
  g_thread_join (thread);
  g_clear_object (&ep.pub);

  /* Quiescent now: the books of every closed subscriber balance, and
   * nothing arrived late. */
  for (guint i = 0; i < closed->len; i++)
    {
      EsSubscriber *sub = g_ptr_array_index (closed, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(EsEvent) event = NULL;

      es_test_assert_accounting (sub);
      g_assert_cmpuint (es_subscriber_get_queue_depth (sub), ==, 0);
      event = es_subscriber_try_receive (sub, &local_error);
      if (event != NULL)
        late++;
      else
        g_assert_error (local_error, ES_ERROR, ES_ERROR_CLOSED);
    }

  if (late > 0)
    g_error ("%s: %u of %u subscribers received an event after es_subscriber_unsubscribe() "
             "returned (see LIBRARY-BUGS.md)", es_test_impl_name (f->impl), late, n);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Stress/fanout", test_stress_fanout);
  es_test_add ("Stress/churn", test_stress_churn);
  es_test_add ("Stress/unsubscribe-race", test_stress_unsubscribe_race);

  return g_test_run ();
}
