/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EsMetrics on both implementations: exact counters against known traffic
 * (including drops from every strategy), snapshots, the metrics-reported
 * signal and its main context, the reporter's file outputs, the JSON
 * export (json-glib round trip) and the Prometheus export (promtool and
 * prometheus_client). */

#include <json-glib/json-glib.h>

#include "es-obs-util.h"

#define PACKET_TYPE_NAME "EsTestPacket"
#define PACKET_SIZE      sizeof (EsTestPacket)

static EsPublisher *
packet_publisher (EsFixture *f)
{
  g_autoptr(GError) error = NULL;
  EsPublisher *pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);

  g_assert_no_error (error);
  return pub;
}

static EsSubscriber *
packet_subscriber (EsFixture  *f,
                   const char *name)
{
  g_autoptr(GError) error = NULL;
  EsSubscriber *sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);

  g_assert_no_error (error);
  if (name != NULL)
    es_subscriber_set_name (sub, name);
  return sub;
}

static EsEventTypeMetrics *
lookup_type (EsMetricsSnapshot *snapshot,
             const char        *name)
{
  EsEventTypeMetrics *m = es_metrics_snapshot_lookup_event_type (snapshot, name);

  g_assert_nonnull (m);
  g_assert_cmpstr (es_event_type_metrics_get_name (m), ==, name);
  return m;
}

static EsSubscriberMetrics *
lookup_subscriber (EsMetricsSnapshot *snapshot,
                   EsSubscriber      *sub)
{
  GPtrArray *subs = es_metrics_snapshot_get_subscribers (snapshot);

  for (guint i = 0; i < subs->len; i++)
    {
      EsSubscriberMetrics *m = g_ptr_array_index (subs, i);

      if (es_subscriber_metrics_get_id (m) == es_subscriber_get_id (sub))
        return m;
    }

  g_assert_not_reached ();
}

/* --- Batches --------------------------------------------------------------- */

static void
test_metrics_data_batch (EsFixture     *f,
                         gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_BLOCK, G_TIME_SPAN_SECOND);
  g_autoptr(EsPublisher) pub = packet_publisher (f);
  g_autoptr(EsSubscriber) sub = packet_subscriber (f, "batch");
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  g_autoptr(GError) error = NULL;
  const guint n = 600;
  g_autofree EsTestPacket *packets = g_new (EsTestPacket, n);
  EsEventTypeMetrics *tm;
  guint received = 0;

  g_test_summary ("Batches of plain data count as many published and delivered events, bytes and "
                  "latency samples as single publishes");

  /* One packet first, received as data: from then on the subscriber reads
   * no publish times, and the static batch takes its fastest path. */
  es_obs_publish_packets (pub, 1);
  g_assert_true (es_subscriber_receive_data (sub, &packets[0], sizeof (EsTestPacket),
                                             ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND, NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < n; i++)
    es_test_packet_init (&packets[i], 0, i + 1);
  g_assert_true (es_publisher_publish_data_batch (pub, packets, sizeof (EsTestPacket), n, NULL, NULL, &error));
  g_assert_no_error (error);
  while (received < n)
    {
      guint k = es_subscriber_receive_data_batch (sub, packets, sizeof (EsTestPacket), n - received,
                                                  ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (k, >, 0);
      for (guint i = 0; i < k; i++)
        g_assert_cmpuint (packets[i].counter, ==, received + i + 1);
      received += k;
    }

  g_assert_cmpuint (es_metrics_get_total_published (metrics), ==, n + 1);
  g_assert_cmpuint (es_metrics_get_total_delivered (metrics), ==, n + 1);
  snap = es_metrics_dup_snapshot (metrics);
  tm = lookup_type (snap, PACKET_TYPE_NAME);
  g_assert_cmpuint (es_event_type_metrics_get_published_bytes (tm), ==, (n + 1) * PACKET_SIZE);
  g_assert_cmpuint (es_event_type_metrics_get_delivered_bytes (tm), ==, (n + 1) * PACKET_SIZE);
  /* Sampling 1: every delivery has a latency sample. */
  g_assert_cmpuint (es_event_type_metrics_get_latency_count (tm), ==, n + 1);
  g_assert_cmpfloat (es_event_type_metrics_get_latency_percentile (tm, 0.999), <, 30.0);
}

/* --- Off ------------------------------------------------------------------ */

static void
test_metrics_disabled (EsFixture     *f,
                       gconstpointer  data)
{
  g_test_summary ("Without enable-metrics there is no EsMetrics");

  g_assert_null (es_event_system_get_metrics (f->sys));
}

/* --- Counters ------------------------------------------------------------- */

static void
test_metrics_counters (EsFixture     *f,
                       gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_BLOCK, G_TIME_SPAN_SECOND);
  g_autoptr(EsPublisher) pub = packet_publisher (f);
  g_autoptr(EsSubscriber) a = packet_subscriber (f, "first");
  g_autoptr(EsSubscriber) b = packet_subscriber (f, "second");
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  EsEventTypeMetrics *tm;
  guint n = 500, received_b = 200;

  g_test_summary ("Published, delivered, bytes, queue depths and latency samples are "
                  "exact against known traffic, per type, per subscriber and in total");

  es_obs_publish_packets (pub, n);
  g_assert_cmpuint (es_test_drain (a), ==, n);
  for (guint i = 0; i < received_b; i++)
    {
      g_autoptr(EsEvent) ev = es_test_receive (b);
    }

  g_assert_cmpuint (es_metrics_get_total_published (metrics), ==, n);
  g_assert_cmpuint (es_metrics_get_total_delivered (metrics), ==, n + received_b);
  g_assert_cmpuint (es_metrics_get_total_dropped (metrics), ==, 0);
  g_assert_cmpuint (es_metrics_get_total_rejected (metrics), ==, 0);

  snap = es_metrics_dup_snapshot (metrics);
  g_assert_cmpint (es_metrics_snapshot_get_state (snap), ==, ES_EVENT_SYSTEM_STATE_RUNNING);
  g_assert_cmpint (es_metrics_snapshot_get_implementation (snap), ==, f->impl);
  g_assert_cmpuint (es_metrics_snapshot_get_total_published (snap), ==, n);
  g_assert_cmpuint (es_metrics_snapshot_get_total_delivered (snap), ==, n + received_b);
  g_assert_cmpuint (es_metrics_snapshot_get_subscriber_count (snap), ==, 2);
  g_assert_cmpfloat (es_metrics_snapshot_get_events_per_second (snap), >, 0);

  tm = lookup_type (snap, PACKET_TYPE_NAME);
  g_assert_true (es_event_type_metrics_get_event_type (tm) == ES_TEST_TYPE_PACKET);
  g_assert_cmpuint (es_event_type_metrics_get_published (tm), ==, n);
  g_assert_cmpuint (es_event_type_metrics_get_published_bytes (tm), ==, n * PACKET_SIZE);
  g_assert_cmpuint (es_event_type_metrics_get_delivered (tm), ==, n + received_b);
  g_assert_cmpuint (es_event_type_metrics_get_delivered_bytes (tm), ==, (n + received_b) * PACKET_SIZE);
  g_assert_cmpuint (es_event_type_metrics_get_dropped_total (tm), ==, 0);
  g_assert_cmpuint (es_event_type_metrics_get_subscriber_count (tm), ==, 2);
  g_assert_cmpuint (es_event_type_metrics_get_queue_depth (tm), ==, n - received_b);

  /* Sampling 1: every delivery has a latency sample; all are recent. */
  g_assert_cmpuint (es_event_type_metrics_get_latency_count (tm), ==, n + received_b);
  g_assert_cmpuint (es_event_type_metrics_get_window_latency_count (tm), ==, n + received_b);
  g_assert_cmpuint (es_event_type_metrics_get_latency_count_le (tm, 1e9), ==, n + received_b);
  g_assert_cmpfloat (es_event_type_metrics_get_latency_percentile (tm, 0.5), <=,
                     es_event_type_metrics_get_latency_percentile (tm, 0.999));
  g_assert_cmpfloat (es_event_type_metrics_get_latency_percentile (tm, 0.999), <, 30.0);
  g_assert_cmpfloat (es_metrics_snapshot_get_latency_percentile (snap, 0.99), ==,
                     es_event_type_metrics_get_latency_percentile (tm, 0.99));

  {
    EsSubscriberMetrics *sa = lookup_subscriber (snap, a);
    EsSubscriberMetrics *sb = lookup_subscriber (snap, b);

    g_assert_cmpstr (es_subscriber_metrics_get_name (sa), ==, "first");
    g_assert_cmpstr (es_subscriber_metrics_get_event_type_name (sa), ==, PACKET_TYPE_NAME);
    g_assert_cmpuint (es_subscriber_metrics_get_published (sa), ==, n);
    g_assert_cmpuint (es_subscriber_metrics_get_received (sa), ==, n);
    g_assert_cmpuint (es_subscriber_metrics_get_queue_depth (sa), ==, 0);
    g_assert_cmpuint (es_subscriber_metrics_get_received (sb), ==, received_b);
    g_assert_cmpuint (es_subscriber_metrics_get_queue_depth (sb), ==, n - received_b);
    g_assert_cmpfloat_with_epsilon (es_subscriber_metrics_get_queue_utilization (sb),
                                    (gdouble) (n - received_b) / 1024, 1e-9);
  }

  es_test_assert_accounting (a);
  es_test_assert_accounting (b);
}

static void
test_metrics_two_types (EsFixture     *f,
                        gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_BLOCK, G_TIME_SPAN_SECOND);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) packets = packet_publisher (f);
  g_autoptr(EsPublisher) ticks = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsSubscriber) tick_sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  g_autoptr(EsMetricsSnapshot) filtered = NULL;
  const char *only_ticks[] = { "EsTestTick", NULL };

  g_test_summary ("Counters are kept per event type; filtering a snapshot keeps the "
                  "named types and recomputes the totals");
  g_assert_no_error (error);

  es_obs_publish_packets (packets, 30);
  for (guint i = 0; i < 7; i++)
    es_test_publish_tick (ticks, i);

  snap = es_metrics_dup_snapshot (metrics);
  g_assert_cmpuint (es_metrics_snapshot_get_event_types (snap)->len, ==, 2);
  g_assert_cmpuint (es_event_type_metrics_get_published (lookup_type (snap, PACKET_TYPE_NAME)), ==, 30);
  g_assert_cmpuint (es_event_type_metrics_get_published (lookup_type (snap, "EsTestTick")), ==, 7);
  g_assert_cmpuint (es_event_type_metrics_get_queue_depth (lookup_type (snap, "EsTestTick")), ==, 7);
  g_assert_cmpuint (es_metrics_snapshot_get_total_published (snap), ==, 37);

  filtered = es_metrics_snapshot_filter (snap, only_ticks);
  g_assert_cmpuint (es_metrics_snapshot_get_event_types (filtered)->len, ==, 1);
  g_assert_null (es_metrics_snapshot_lookup_event_type (filtered, PACKET_TYPE_NAME));
  g_assert_cmpuint (es_metrics_snapshot_get_total_published (filtered), ==, 7);
  g_assert_cmpuint (es_metrics_snapshot_get_subscribers (filtered)->len, ==, 1);
}

/* --- Drops by strategy ---------------------------------------------------- */

static void
test_metrics_drop_oldest (EsFixture     *f,
                          gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 8, ES_BACKPRESSURE_DROP_OLDEST, G_TIME_SPAN_SECOND);
  g_autoptr(EsPublisher) pub = packet_publisher (f);
  g_autoptr(EsSubscriber) slow = packet_subscriber (f, "slow");
  g_autoptr(EsSubscriber) fast = packet_subscriber (f, "fast");
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  EsEventTypeMetrics *tm;
  guint received = 0;

  g_test_summary ("DROP_OLDEST: every evicted event is counted once, with reason drop_oldest, "
                  "and matches the subscriber's own dropped count");

  for (guint i = 0; i < 20; i++)
    {
      es_test_publish_packet (pub, 0, i);
      received += es_test_drain (fast);
    }
  g_assert_cmpuint (received, ==, 20);

  snap = es_metrics_dup_snapshot (metrics);
  tm = lookup_type (snap, PACKET_TYPE_NAME);
  g_assert_cmpuint (es_subscriber_get_dropped_count (slow), ==, 12);
  g_assert_cmpuint (es_event_type_metrics_get_dropped (tm, ES_DROP_REASON_DROP_OLDEST), ==, 12);
  g_assert_cmpuint (es_event_type_metrics_get_dropped_total (tm), ==, 12);
  g_assert_cmpuint (es_metrics_get_total_dropped (metrics), ==, 12);
  g_assert_cmpuint (es_metrics_snapshot_get_dropped (snap, ES_DROP_REASON_DROP_OLDEST), ==, 12);
  g_assert_cmpuint (es_event_type_metrics_get_published (tm), ==, 20);
  g_assert_cmpuint (es_event_type_metrics_get_rejected (tm), ==, 0);
  g_assert_cmpuint (es_subscriber_metrics_get_dropped (lookup_subscriber (snap, slow)), ==, 12);
  g_assert_cmpuint (es_subscriber_metrics_get_queue_depth (lookup_subscriber (snap, slow)), ==, 8);
  g_assert_cmpfloat (es_subscriber_metrics_get_queue_utilization (lookup_subscriber (snap, slow)), ==, 1.0);

  g_assert_cmpuint (es_test_drain (slow), ==, 8);
  es_test_assert_accounting (slow);
  es_test_assert_accounting (fast);
}

static void
test_metrics_drop_newest (EsFixture     *f,
                          gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 8, ES_BACKPRESSURE_DROP_NEWEST, G_TIME_SPAN_SECOND);
  g_autoptr(EsPublisher) pub = packet_publisher (f);
  g_autoptr(EsSubscriber) sub = packet_subscriber (f, NULL);
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  EsEventTypeMetrics *tm;
  guint ok = 0, rejected = 0;

  g_test_summary ("DROP_NEWEST: rejected publishes are counted as rejected (and as the "
                  "subscriber's drops when it counts them), consistently with the publisher");

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;
      EsTestPacket packet;

      es_test_packet_init (&packet, 0, i);
      if (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error))
        ok++;
      else
        {
          g_assert_true (es_error_is_backpressure (error));
          rejected++;
        }
    }
  g_assert_cmpuint (ok, ==, 8);
  g_assert_cmpuint (rejected, ==, 12);

  snap = es_metrics_dup_snapshot (metrics);
  tm = lookup_type (snap, PACKET_TYPE_NAME);
  g_assert_cmpuint (es_event_type_metrics_get_rejected (tm), ==, es_publisher_get_rejected_count (pub));
  g_assert_cmpuint (es_event_type_metrics_get_rejected (tm), ==, 12);
  g_assert_cmpuint (es_metrics_get_total_rejected (metrics), ==, 12);
  g_assert_cmpuint (es_event_type_metrics_get_dropped_total (tm), ==, es_subscriber_get_dropped_count (sub));
  g_assert_cmpuint (es_event_type_metrics_get_dropped (tm, ES_DROP_REASON_DROP_NEWEST), ==,
                    es_event_type_metrics_get_dropped_total (tm));
  /* Published counts what entered the system. */
  g_assert_cmpuint (es_event_type_metrics_get_published (tm), ==, es_publisher_get_published_count (pub));

  g_assert_cmpuint (es_test_drain (sub), ==, 8);
  es_test_assert_accounting (sub);
}

static EsBackpressureAction
drop_oldest_func (EsPublisher  *publisher,
                  EsSubscriber *subscriber,
                  EsEvent      *event,
                  gdouble       utilization,
                  gpointer      user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return ES_BACKPRESSURE_ACTION_DROP_OLDEST;
}

static void
test_metrics_custom (EsFixture     *f,
                     gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  gint calls = 0;
  EsMetrics *metrics;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  EsEventTypeMetrics *tm;

  g_test_summary ("CUSTOM: events dropped on the callback's decision count with reason custom");

  es_event_system_builder_set_channel_capacity (b, 4);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_CUSTOM);
  es_event_system_builder_set_backpressure_func (b, drop_oldest_func, &calls, NULL);
  es_event_system_builder_set_enable_metrics (b, TRUE);
  es_fixture_replace (f, b, TRUE);
  metrics = es_event_system_get_metrics (f->sys);
  g_assert_nonnull (metrics);

  pub = packet_publisher (f);
  sub = packet_subscriber (f, NULL);
  es_obs_publish_packets (pub, 10);
  g_assert_cmpint (g_atomic_int_get (&calls), >=, 6);

  snap = es_metrics_dup_snapshot (metrics);
  tm = lookup_type (snap, PACKET_TYPE_NAME);
  g_assert_cmpuint (es_subscriber_get_dropped_count (sub), ==, 6);
  g_assert_cmpuint (es_event_type_metrics_get_dropped (tm, ES_DROP_REASON_CUSTOM), ==, 6);
  g_assert_cmpuint (es_event_type_metrics_get_dropped_total (tm), ==, 6);

  g_assert_cmpuint (es_test_drain (sub), ==, 4);
  es_test_assert_accounting (sub);
}

static void
test_metrics_blocked (EsFixture     *f,
                      gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  EsMetrics *metrics;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  EsEventTypeMetrics *tm;
  EsTestPacket packet;

  g_test_summary ("BLOCK: a publish that waited (here until the 50 ms timeout) counts as "
                  "blocked, with the time it waited");

  es_event_system_builder_set_channel_capacity (b, 4);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_BLOCK);
  es_event_system_builder_set_default_timeout (b, 50 * G_TIME_SPAN_MILLISECOND);
  es_event_system_builder_set_enable_metrics (b, TRUE);
  es_fixture_replace (f, b, TRUE);
  metrics = es_event_system_get_metrics (f->sys);
  pub = packet_publisher (f);
  sub = packet_subscriber (f, NULL);

  es_obs_publish_packets (pub, 4);
  es_test_packet_init (&packet, 0, 99);
  g_assert_false (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);

  snap = es_metrics_dup_snapshot (metrics);
  tm = lookup_type (snap, PACKET_TYPE_NAME);
  g_assert_cmpuint (es_event_type_metrics_get_blocked_count (tm), ==, 1);
  g_assert_cmpfloat (es_event_type_metrics_get_blocked_seconds (tm), >=, 0.045);
  g_assert_cmpfloat (es_event_type_metrics_get_blocked_seconds (tm), <, 10.0);
  g_assert_cmpfloat (es_metrics_snapshot_get_blocked_seconds (snap), ==,
                     es_event_type_metrics_get_blocked_seconds (tm));

  g_assert_cmpuint (es_test_drain (sub), ==, 4);
  es_test_assert_accounting (sub);
}

/* --- Concurrency ---------------------------------------------------------- */

#define N_PUBLISHERS 4


typedef struct {
  EsSubscriber *sub;
  guint         expected;
  guint         received;
} SubThread;

static gpointer
subscriber_thread (gpointer data)
{
  SubThread *t = data;

  while (t->received < t->expected)
    {
      g_autoptr(EsEvent) ev = es_test_receive (t->sub);
      t->received++;
    }
  return NULL;
}

static void
test_metrics_concurrent (EsFixture     *f,
                         gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_BLOCK, G_TIME_SPAN_SECOND);
  g_autoptr(EsPublisher) pub = packet_publisher (f);
  g_autoptr(EsSubscriber) s1 = packet_subscriber (f, NULL);
  g_autoptr(EsSubscriber) s2 = packet_subscriber (f, NULL);
  guint per_thread = es_test_scaled (20000, 500);
  guint total = per_thread * N_PUBLISHERS;
  GThread *threads[N_PUBLISHERS + 2];
  SubThread subs[2] = { { s1, total, 0 }, { s2, total, 0 } };
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  EsEventTypeMetrics *tm;

  g_test_summary ("Several publisher and receiver threads at once give exact totals, "
                  "and the latency samples the default sampling promises");

  /* Default sampling here: the hot path as users run it. */
  es_metrics_set_latency_sampling (metrics, ES_METRICS_DEFAULT_LATENCY_SAMPLING);

  threads[N_PUBLISHERS] = g_thread_new ("sub1", subscriber_thread, &subs[0]);
  threads[N_PUBLISHERS + 1] = g_thread_new ("sub2", subscriber_thread, &subs[1]);
  for (guint i = 0; i < N_PUBLISHERS; i++)
    threads[i] = es_test_publish_packets_thread (pub, i, per_thread);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  snap = es_metrics_dup_snapshot (metrics);
  tm = lookup_type (snap, PACKET_TYPE_NAME);
  g_assert_cmpuint (es_event_type_metrics_get_published (tm), ==, total);
  g_assert_cmpuint (es_event_type_metrics_get_delivered (tm), ==, 2 * total);
  g_assert_cmpuint (es_event_type_metrics_get_dropped_total (tm), ==, 0);
  /* One in the default per receiving thread, the first one included; the
   * static implementation's publisher picks the samples instead (one in
   * the sequence numbers with the low bits clear). */
  g_assert_cmpuint (es_event_type_metrics_get_latency_count (tm), >=, 2 * (total / ES_METRICS_DEFAULT_LATENCY_SAMPLING));
  g_assert_cmpuint (es_event_type_metrics_get_latency_count (tm), <=, 2 * (total / ES_METRICS_DEFAULT_LATENCY_SAMPLING + 1));
}

#define N_MANY_THREADS 80

typedef struct {
  EsPublisher *pub;
  guint        n;
  gint        *ready;   /* atomic */
} ManyThread;

static gpointer
many_thread (gpointer data)
{
  ManyThread *t = data;

  /* Wait until every thread is alive, so that they all count at once
   * (each revokes the publisher's single-owner counting in turn). */
  g_atomic_int_inc (t->ready);
  while (g_atomic_int_get (t->ready) < N_MANY_THREADS)
    g_thread_yield ();
  for (guint i = 0; i < t->n; i++)
    es_test_publish_packet (t->pub, 0, i);
  return NULL;
}

static void
test_metrics_many_threads (EsFixture     *f,
                           gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 16, ES_BACKPRESSURE_DROP_OLDEST, G_TIME_SPAN_SECOND);
  g_autoptr(EsPublisher) pub = packet_publisher (f);
  guint per_thread = es_test_scaled (500, 20);

  g_test_summary ("80 threads publish through one publisher at once, twice over: no count "
                  "is lost");

  for (guint round = 0; round < 2; round++)
    {
      GThread *threads[N_MANY_THREADS];
      ManyThread t;
      gint ready = 0;

      t = (ManyThread) { pub, per_thread, &ready };
      for (guint i = 0; i < N_MANY_THREADS; i++)
        threads[i] = g_thread_new ("many", many_thread, &t);
      for (guint i = 0; i < N_MANY_THREADS; i++)
        g_thread_join (threads[i]);

      g_assert_cmpuint (es_metrics_get_total_published (metrics), ==,
                        (guint64) (round + 1) * N_MANY_THREADS * per_thread);
    }
}

/* --- Counts outlive their publishers and subscribers ---------------------- */

static void
test_metrics_sources_gone (EsFixture     *f,
                           gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_BLOCK, G_TIME_SPAN_SECOND);
  g_autoptr(EsSubscriber) kept = packet_subscriber (f, NULL);
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  EsEventTypeMetrics *tm;
  guint n = 300, m = 120;

  g_test_summary ("Published and delivered counts come from the publishers' and "
                  "subscribers' own counters; what a publisher or subscriber counted "
                  "stays in the totals after it is gone");

  {
    g_autoptr(EsPublisher) idle = packet_publisher (f);
    g_autoptr(EsMetricsSnapshot) empty = es_metrics_dup_snapshot (metrics);

    /* A publisher that published nothing adds nothing. */
    g_assert_cmpuint (es_metrics_snapshot_get_total_published (empty), ==, 0);
    g_assert_cmpuint (es_event_type_metrics_get_published (lookup_type (empty, PACKET_TYPE_NAME)), ==, 0);
  }

  {
    g_autoptr(EsPublisher) pub = packet_publisher (f);
    g_autoptr(EsSubscriber) gone = packet_subscriber (f, NULL);

    es_obs_publish_packets (pub, n);
    for (guint i = 0; i < m; i++)
      {
        g_autoptr(EsEvent) ev = es_test_receive (gone);
      }
    g_assert_cmpuint (es_metrics_get_total_published (metrics), ==, n);
    g_assert_cmpuint (es_metrics_get_total_delivered (metrics), ==, m);
  }

  g_assert_cmpuint (es_metrics_get_total_published (metrics), ==, n);
  g_assert_cmpuint (es_metrics_get_total_delivered (metrics), ==, m);

  {
    g_autoptr(EsPublisher) pub = packet_publisher (f);

    es_obs_publish_packets (pub, n);
  }
  g_assert_cmpuint (es_test_drain (kept), ==, 2 * n);

  snap = es_metrics_dup_snapshot (metrics);
  tm = lookup_type (snap, PACKET_TYPE_NAME);
  g_assert_cmpuint (es_event_type_metrics_get_published (tm), ==, 2 * n);
  g_assert_cmpuint (es_event_type_metrics_get_published_bytes (tm), ==, 2 * n * PACKET_SIZE);
  g_assert_cmpuint (es_event_type_metrics_get_delivered (tm), ==, m + 2 * n);
  g_assert_cmpuint (es_event_type_metrics_get_delivered_bytes (tm), ==, (m + 2 * n) * PACKET_SIZE);
  g_assert_cmpuint (es_metrics_snapshot_get_total_published (snap), ==, 2 * n);
  g_assert_cmpuint (es_metrics_snapshot_get_total_delivered (snap), ==, m + 2 * n);
}

typedef struct {
  EsFixture *f;
  guint      rounds;
  guint      per_round;
  gint       done;      /* atomic */
} ChurnThread;

static gpointer
churn_thread (gpointer data)
{
  ChurnThread *t = data;

  for (guint r = 0; r < t->rounds; r++)
    {
      g_autoptr(EsPublisher) pub = packet_publisher (t->f);
      g_autoptr(EsSubscriber) sub = packet_subscriber (t->f, NULL);

      es_obs_publish_packets (pub, t->per_round);
      g_assert_cmpuint (es_test_drain (sub), ==, t->per_round);
    }
  g_atomic_int_set (&t->done, 1);
  return NULL;
}

static void
test_metrics_sources_churn (EsFixture     *f,
                            gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_BLOCK, G_TIME_SPAN_SECOND);
  ChurnThread t = { f, es_test_scaled (200, 20), 50, 0 };
  GThread *thread;
  guint64 last_published = 0, last_delivered = 0;
  guint reads = 0;

  g_test_summary ("Snapshots and totals read while publishers and subscribers come and go "
                  "never go back and never count an event twice");

  thread = g_thread_new ("churn", churn_thread, &t);
  while (!g_atomic_int_get (&t.done) || reads == 0)
    {
      g_autoptr(EsMetricsSnapshot) snap = es_metrics_dup_snapshot (metrics);
      guint64 published = es_metrics_snapshot_get_total_published (snap);
      guint64 delivered = es_metrics_snapshot_get_total_delivered (snap);
      guint64 total_published = es_metrics_get_total_published (metrics);

      g_assert_cmpuint (published, >=, last_published);
      g_assert_cmpuint (delivered, >=, last_delivered);
      g_assert_cmpuint (total_published, >=, published);
      g_assert_cmpuint (published, <=, (guint64) t.rounds * t.per_round);
      /* Each subscriber lives inside one round and drains what it got. */
      g_assert_cmpuint (delivered, <=, published);
      last_published = published;
      last_delivered = delivered;
      reads++;
    }
  g_thread_join (thread);

  g_assert_cmpuint (es_metrics_get_total_published (metrics), ==, (guint64) t.rounds * t.per_round);
  g_assert_cmpuint (es_metrics_get_total_delivered (metrics), ==, (guint64) t.rounds * t.per_round);
}

typedef struct {
  EsPublisher  *pub;
  EsSubscriber *sub;
  gint          stop;      /* atomic */
  gint          pairs;     /* atomic */
} PairThread;

static gpointer
pair_thread (gpointer data)
{
  PairThread *t = data;

  /* One thread publishes each event before it receives it: its publish is
   * counted before its delivery. */
  while (!g_atomic_int_get (&t->stop))
    {
      es_obs_publish_packets (t->pub, 1);
      g_autoptr(EsEvent) ev = es_test_receive (t->sub);
      g_atomic_int_inc (&t->pairs);
    }
  return NULL;
}

static void
test_metrics_snapshot_order (EsFixture     *f,
                             gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_BLOCK, G_TIME_SPAN_SECOND);
  g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func (g_object_unref);
  PairThread t = { NULL, NULL, 0, 0 };
  GThread *thread;
  guint behind = 0;
  const guint snapshots = es_test_scaled (300, 50);

  g_test_summary ("A snapshot never shows a type delivered more often than it was published: "
                  "it reads the subscribers' counters before the publishers', so events "
                  "published and received while it reads count as neither or as published");

  /* The counting publisher's source first, its subscriber's last, and many
   * idle sources in between: a snapshot reading them in that order would
   * take a while between the two, while the thread goes on. */
  t.pub = packet_publisher (f);
  for (guint i = 0; i < 2000; i++)
    g_ptr_array_add (idle, packet_publisher (f));
  t.sub = packet_subscriber (f, NULL);

  thread = g_thread_new ("pairs", pair_thread, &t);
  while (g_atomic_int_get (&t.pairs) == 0)
    g_thread_yield ();
  for (guint i = 0; i < snapshots; i++)
    {
      g_autoptr(EsMetricsSnapshot) snap = es_metrics_dup_snapshot (metrics);
      guint64 published = es_metrics_snapshot_get_total_published (snap);
      guint64 delivered = es_metrics_snapshot_get_total_delivered (snap);

      g_assert_cmpuint (delivered, <=, published);
      behind += delivered < published;
    }
  g_atomic_int_set (&t.stop, 1);
  g_thread_join (thread);
  g_test_message ("%u of %u snapshots caught an event published but not yet received; "
                  "%d events", behind, snapshots, t.pairs);

  g_assert_cmpuint (es_metrics_get_total_published (metrics), ==, (guint64) t.pairs);
  g_assert_cmpuint (es_metrics_get_total_delivered (metrics), ==, (guint64) t.pairs);
  g_clear_object (&t.pub);
  g_clear_object (&t.sub);
}

/* --- Reporting ------------------------------------------------------------ */

typedef struct {
  EsFixture *f;
  gint       reports;
  guint64    last_published;
  GTimeSpan  last_interval;
} ReportLog;

static void
on_metrics_reported (EsMetrics         *metrics,
                     EsMetricsSnapshot *snapshot,
                     gpointer           user_data)
{
  ReportLog *log = user_data;

  /* Emitted in the context the system was started in. */
  g_assert_true (g_main_context_is_owner (log->f->ctx));
  g_assert_true (es_metrics_get_snapshot (metrics) == snapshot);
  log->last_published = es_metrics_snapshot_get_total_published (snapshot);
  log->last_interval = es_metrics_snapshot_get_interval (snapshot);
  log->reports++;
}

static void
test_metrics_reported (EsFixture     *f,
                       gconstpointer  data)
{
  EsMetrics *metrics = es_obs_replace_system (f, 1024, ES_BACKPRESSURE_BLOCK, 50 * G_TIME_SPAN_MILLISECOND);
  g_autoptr(EsPublisher) pub = packet_publisher (f);
  g_autoptr(EsSubscriber) sub = packet_subscriber (f, NULL);
  ReportLog log = { f, 0, 0, 0 };
  gint target;

  g_test_summary ("metrics-reported is emitted every reporting interval in the system's "
                  "main context, with a snapshot of that interval");

  g_assert_cmpint (es_metrics_get_reporting_interval (metrics), ==, 50 * G_TIME_SPAN_MILLISECOND);
  g_signal_connect (metrics, "metrics-reported", G_CALLBACK (on_metrics_reported), &log);

  es_obs_publish_packets (pub, 42);
  target = 1;
  while (log.reports < target)
    g_main_context_iteration (f->ctx, TRUE);
  target = log.reports + 2;
  while (log.reports < target)
    g_main_context_iteration (f->ctx, TRUE);

  g_assert_cmpuint (log.last_published, ==, 42);
  g_assert_cmpint (log.last_interval, >=, 40 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (log.last_interval, <, 5 * G_TIME_SPAN_SECOND);
  /* Nothing published in the last interval. */
  g_assert_cmpfloat (es_metrics_snapshot_get_events_per_second (es_metrics_get_snapshot (metrics)), ==, 0.0);
  g_assert_cmpfloat (es_metrics_snapshot_get_events_per_second_avg (es_metrics_get_snapshot (metrics)), >, 0.0);

  g_signal_handlers_disconnect_by_func (metrics, on_metrics_reported, &log);
  es_test_drain (sub);
}

/* --- Exports -------------------------------------------------------------- */

/* Known traffic: 40 packets, capacity 16 with DROP_OLDEST, then one
 * subscriber drains its queue (16 received, 24 dropped) and the other (with
 * a name full of special characters) receives 5 (24 dropped, 11 queued):
 * delivered 21, dropped 48. The
 * subscribers are added to @keep (freed by the caller before teardown). */
static EsMetricsSnapshot *
traffic_snapshot (EsFixture  *f,
                  GPtrArray  *keep,
                  EsMetrics **out_metrics)
{
  EsMetrics *metrics = es_obs_replace_system (f, 16, ES_BACKPRESSURE_DROP_OLDEST, G_TIME_SPAN_SECOND);
  g_autoptr(EsPublisher) pub = packet_publisher (f);
  g_autoptr(EsSubscriber) odd = packet_subscriber (f, "<b>odd</b> \"name\" \\ & \n line");
  g_autoptr(EsSubscriber) plain = packet_subscriber (f, "plain");

  es_obs_publish_packets (pub, 40);
  es_test_drain (plain);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(EsEvent) ev = es_test_receive (odd);
    }

  if (out_metrics != NULL)
    *out_metrics = metrics;
  g_ptr_array_add (keep, g_object_ref (odd));
  g_ptr_array_add (keep, g_object_ref (plain));
  return es_metrics_dup_snapshot (metrics);
}

static void
test_metrics_json (EsFixture     *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EsMetricsSnapshot) snap = traffic_snapshot (f, keep, NULL);
  g_autofree char *text = es_metrics_snapshot_to_json (snap, ES_METRICS_EXPORT_ALL, TRUE);
  g_autofree char *again = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *types0, *latency;
  JsonArray *types, *subs, *buckets;
  gboolean found_odd = FALSE;

  g_test_summary ("The JSON export parses with json-glib, survives a round trip unchanged "
                  "and holds the documented fields with exact counts and escaped names");

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);

  json_generator_set_root (generator, json_parser_get_root (parser));
  json_generator_set_pretty (generator, TRUE);
  again = json_generator_to_data (generator, NULL);
  g_assert_true (json_parser_load_from_data (parser2, again, -1, &error));
  g_assert_no_error (error);
  g_assert_true (json_node_equal (json_parser_get_root (parser), json_parser_get_root (parser2)));
  g_assert_cmpstr (text, ==, again);

  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "system"), "state"), ==, "running");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "totals"), "published"), ==, 40);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "gauges"), "subscribers"), ==, 2);

  types = json_object_get_array_member (root, "event_types");
  g_assert_cmpuint (json_array_get_length (types), ==, 1);
  types0 = json_array_get_object_element (types, 0);
  g_assert_cmpstr (json_object_get_string_member (types0, "name"), ==, PACKET_TYPE_NAME);
  g_assert_cmpint (json_object_get_int_member (types0, "published"), ==, 40);
  g_assert_cmpint (json_object_get_int_member (types0, "delivered"), ==, 21);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (types0, "dropped"), "drop_oldest"), ==, 48);
  g_assert_cmpint (json_object_get_int_member (types0, "queue_depth"), ==, 11);
  latency = json_object_get_object_member (types0, "latency");
  g_assert_cmpint (json_object_get_int_member (latency, "samples"), ==, 21);
  buckets = json_object_get_array_member (latency, "buckets");
  g_assert_cmpuint (json_array_get_length (buckets), ==, 26);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (buckets, 25), "count"), <=, 21);
  for (guint i = 1; i < json_array_get_length (buckets); i++)
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (buckets, i - 1), "count"), <=,
                     json_object_get_int_member (json_array_get_object_element (buckets, i), "count"));

  subs = json_object_get_array_member (root, "subscribers");
  g_assert_cmpuint (json_array_get_length (subs), ==, 2);
  for (guint i = 0; i < json_array_get_length (subs); i++)
    {
      JsonObject *s = json_array_get_object_element (subs, i);

      if (g_strcmp0 (json_object_get_string_member (s, "name"), "<b>odd</b> \"name\" \\ & \n line") == 0)
        {
          found_odd = TRUE;
          g_assert_cmpint (json_object_get_int_member (s, "received"), ==, 5);
          g_assert_cmpint (json_object_get_int_member (s, "queue_depth"), ==, 11);
          g_assert_cmpint (json_object_get_int_member (s, "dropped"), ==, 24);
        }
    }
  g_assert_true (found_odd);

  /* Without flags: no subscribers, no buckets. */
  {
    g_autofree char *lean = es_metrics_snapshot_to_json (snap, ES_METRICS_EXPORT_NONE, FALSE);
    g_autoptr(JsonParser) p = json_parser_new ();
    JsonObject *o;

    g_assert_true (json_parser_load_from_data (p, lean, -1, &error));
    o = json_node_get_object (json_parser_get_root (p));
    g_assert_false (json_object_has_member (o, "subscribers"));
    g_assert_false (json_object_has_member (json_object_get_object_member (
        json_array_get_object_element (json_object_get_array_member (o, "event_types"), 0), "latency"), "buckets"));
  }
}

static void
test_metrics_prometheus (EsFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EsMetricsSnapshot) snap = traffic_snapshot (f, keep, NULL);
  g_autofree char *text = es_metrics_snapshot_to_prometheus (snap, ES_METRICS_EXPORT_ALL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *promtool[] = { "promtool", "check", "metrics", NULL };
  const char *python[] = {
    "/usr/bin/python3", "-c",
    "import sys\n"
    "from prometheus_client.parser import text_string_to_metric_families\n"
    "values = {}\n"
    "for fam in text_string_to_metric_families(sys.stdin.read()):\n"
    "    for s in fam.samples:\n"
    "        values[(s.name, tuple(sorted(s.labels.items())))] = s.value\n"
    "t = (('event_type', 'EsTestPacket'),)\n"
    "print(int(values[('es_events_published_total', t)]),\n"
    "      int(values[('es_events_dropped_total', (('event_type', 'EsTestPacket'), ('reason', 'drop_oldest')))]),\n"
    "      int(values[('es_event_latency_seconds_count', t)]),\n"
    "      int(values[('es_event_latency_seconds_bucket', (('event_type', 'EsTestPacket'), ('le', '+Inf')))]),\n"
    "      sorted(l['subscriber'] for (n, ls) in values for l in [dict(ls)] if n == 'es_subscriber_events_received_total'))\n",
    NULL
  };
  int status;

  g_test_summary ("The Prometheus export passes promtool check metrics without any warning "
                  "and prometheus_client parses the same numbers and label values");

  g_assert_true (g_str_has_prefix (text, "# HELP es_"));
  g_assert_nonnull (strstr (text, "es_events_published_total{event_type=\"EsTestPacket\"} 40\n"));
  g_assert_nonnull (strstr (text, "subscriber=\"<b>odd</b> \\\"name\\\" \\\\ & \\n line\""));

  if (es_obs_require_program ("promtool"))
    {
      status = es_obs_run_sync (promtool, text, &out, &err, &error);
      g_assert_no_error (error);
      if (status != 0 || *out || *err)
        g_error ("promtool check metrics (exit %d):\n%s%s\n--- input ---\n%s", status, out, err, text);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
    }

  status = es_obs_run_sync (python, text, &out, &err, &error);
  g_assert_no_error (error);
  if (status != 0)
    g_error ("prometheus_client failed (exit %d): %s", status, err);
  g_assert_cmpstr (out, ==, "40 48 21 21 ['<b>odd</b> \"name\" \\\\ & \\n line', 'plain']\n");
}

static void
test_metrics_reporter_files (EsFixture     *f,
                             gconstpointer  data)
{
  EsMetrics *metrics = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EsMetricsSnapshot) snap = traffic_snapshot (f, keep, &metrics);
  EsMetricsReporter *reporter = es_metrics_get_reporter (metrics);
  g_autofree char *dir = g_dir_make_tmp ("es-metrics-XXXXXX", NULL);
  g_autofree char *json_path = g_build_filename (dir, "metrics.json", NULL);
  g_autofree char *prom_path = g_build_filename (dir, "metrics.prom", NULL);
  g_autofree char *json = NULL;
  g_autofree char *prom = NULL;
  g_autoptr(GError) error = NULL;
  const char *tracked[] = { PACKET_TYPE_NAME, NULL };
  const char *none[] = { "NoSuchType", NULL };

  g_test_summary ("The reporter writes its JSON and Prometheus file outputs with the "
                  "configured detail, histograms and tracked types, and refuses bad outputs");

  g_assert_true (reporter == es_metrics_get_reporter (metrics));
  g_assert_true (es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_JSON, json_path, &error));
  g_assert_true (es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_PROMETHEUS, prom_path, &error));
  g_assert_no_error (error);
  g_assert_false (es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_JSON, "http://localhost:1/", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_JSON, "", &error));
  g_clear_error (&error);
  g_assert_cmpuint (es_metrics_reporter_get_n_outputs (reporter), ==, 2);

  es_metrics_reporter_set_detailed_view (reporter, TRUE);
  es_metrics_reporter_set_histograms (reporter, TRUE);
  es_metrics_reporter_set_tracked_event_types (reporter, tracked);
  g_assert_true (es_metrics_reporter_report_now (reporter, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  g_assert_true (g_file_get_contents (prom_path, &prom, NULL, NULL));
  g_assert_nonnull (strstr (json, "\"subscribers\" : ["));
  g_assert_nonnull (strstr (json, "\"buckets\""));
  g_assert_nonnull (strstr (prom, "es_event_latency_seconds_bucket{event_type=\"EsTestPacket\",le=\"+Inf\"} 21\n"));
  g_assert_nonnull (strstr (prom, "es_subscriber_events_received_total{"));
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&prom, g_free);

  es_metrics_reporter_set_detailed_view (reporter, FALSE);
  es_metrics_reporter_set_histograms (reporter, FALSE);
  es_metrics_reporter_set_tracked_event_types (reporter, none);
  g_assert_true (es_metrics_reporter_report_now (reporter, NULL, &error));
  g_assert_true (g_file_get_contents (prom_path, &prom, NULL, NULL));
  g_assert_null (strstr (prom, "EsTestPacket"));
  g_assert_null (strstr (prom, "es_subscriber_"));
  g_assert_null (strstr (prom, "_bucket"));

  es_metrics_reporter_clear_outputs (reporter);
  g_assert_cmpuint (es_metrics_reporter_get_n_outputs (reporter), ==, 0);

  /* A file in a missing directory is an error, not silence. */
  {
    g_autofree char *bad = g_build_filename (dir, "missing", "metrics.json", NULL);

    g_assert_true (es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_JSON, bad, &error));
    g_assert_false (es_metrics_reporter_report_now (reporter, NULL, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    es_metrics_reporter_clear_outputs (reporter);
  }

  g_unlink (json_path);
  g_unlink (prom_path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Metrics/disabled", test_metrics_disabled);
  es_test_add ("Metrics/counters", test_metrics_counters);
  es_test_add ("Metrics/two-types", test_metrics_two_types);
  es_test_add ("Metrics/data-batch", test_metrics_data_batch);
  es_test_add ("Metrics/drop-oldest", test_metrics_drop_oldest);
  es_test_add ("Metrics/drop-newest", test_metrics_drop_newest);
  es_test_add ("Metrics/custom", test_metrics_custom);
  es_test_add ("Metrics/blocked", test_metrics_blocked);
  es_test_add ("Metrics/concurrent", test_metrics_concurrent);
  es_test_add ("Metrics/many-threads", test_metrics_many_threads);
  es_test_add ("Metrics/sources-gone", test_metrics_sources_gone);
  es_test_add ("Metrics/sources-churn", test_metrics_sources_churn);
  es_test_add ("Metrics/snapshot-order", test_metrics_snapshot_order);
  es_test_add ("Metrics/reported", test_metrics_reported);
  es_test_add ("Metrics/json", test_metrics_json);
  es_test_add ("Metrics/prometheus", test_metrics_prometheus);
  es_test_add ("Metrics/reporter-files", test_metrics_reporter_files);

  return g_test_run ();
}
