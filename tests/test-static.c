/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Static fast path specifics: no allocation on the steady-state
 * publish_data → receive_data path, ring sizing, and BLOCK while a
 * subscriber is a full ring behind (that one runs on both implementations). */
#include "es-test-util.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

/* --- allocation counting -----------------------------------------------------
 *
 * g_mem_set_vtable() is a no-op nowadays, so the test binary interposes the
 * malloc family itself and forwards to glibc's __libc_* entry points. Only
 * allocations made by the counting thread while counting is on are counted.
 * Sanitizers bring their own allocator, which this would bypass, so the
 * interposition is compiled out under them (the test then skips). */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
# define ES_TEST_INTERPOSE_MALLOC 0
#elif defined(__has_feature)
# if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#  define ES_TEST_INTERPOSE_MALLOC 0
# endif
#endif
#if !defined(ES_TEST_INTERPOSE_MALLOC) && defined(__GLIBC__)
# define ES_TEST_INTERPOSE_MALLOC 1
#endif
#ifndef ES_TEST_INTERPOSE_MALLOC
# define ES_TEST_INTERPOSE_MALLOC 0
#endif

static __thread gboolean counting_allocs;
static __thread guint64 n_allocs;

#if ES_TEST_INTERPOSE_MALLOC
extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *ptr, size_t size);
extern void *__libc_memalign (size_t alignment, size_t size);

#define COUNT_ALLOC() G_STMT_START { if (G_UNLIKELY (counting_allocs)) n_allocs++; } G_STMT_END

void *
malloc (size_t size)
{
  COUNT_ALLOC ();
  return __libc_malloc (size);
}

void *
calloc (size_t n,
        size_t size)
{
  COUNT_ALLOC ();
  return __libc_calloc (n, size);
}

void *
realloc (void   *ptr,
         size_t  size)
{
  COUNT_ALLOC ();
  return __libc_realloc (ptr, size);
}

void *
memalign (size_t alignment,
          size_t size)
{
  COUNT_ALLOC ();
  return __libc_memalign (alignment, size);
}

void *
aligned_alloc (size_t alignment,
               size_t size)
{
  COUNT_ALLOC ();
  return __libc_memalign (alignment, size);
}

int
posix_memalign (void   **out,
                size_t   alignment,
                size_t   size)
{
  void *p;

  COUNT_ALLOC ();
  if (alignment < sizeof (void *) || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  p = __libc_memalign (alignment, size);
  if (p == NULL)
    return ENOMEM;
  *out = p;
  return 0;
}
#endif

static gboolean
alloc_counting_works (void)
{
  gpointer p;
  guint64 before = n_allocs;

  counting_allocs = TRUE;
  p = g_malloc (64);
  counting_allocs = FALSE;
  g_free (p);
  return n_allocs > before;
}

static void
publish_receive_rounds (EsPublisher  *pub,
                        EsSubscriber *sub,
                        guint         rounds,
                        guint         per_round,
                        gboolean      batch)
{
  static guint64 counter;
  EsTestPacket packet;
  EsTestPacket packets[50];

  for (guint r = 0; r < rounds; r++)
    {
      for (guint i = 0; i < per_round; i++)
        {
          es_test_packet_init (&packet, 0, counter + i);
          if (!es_publisher_publish_data (pub, &packet, sizeof packet, NULL, NULL))
            g_error ("publish_data failed");
        }

      if (!batch)
        {
          for (guint i = 0; i < per_round; i++)
            {
              if (!es_subscriber_receive_data (sub, &packet, sizeof packet, G_TIME_SPAN_SECOND, NULL, NULL))
                g_error ("receive_data failed");
              if (packet.counter != counter + i || !es_test_packet_check (&packet))
                g_error ("wrong packet");
            }
        }
      else
        {
          guint got = 0;

          while (got < per_round)
            {
              guint n = es_subscriber_receive_data_batch (sub, packets, sizeof packets[0],
                                                          MIN (G_N_ELEMENTS (packets), per_round - got),
                                                          G_TIME_SPAN_SECOND, NULL, NULL);
              if (n == 0)
                g_error ("receive_data_batch failed");
              for (guint i = 0; i < n; i++)
                if (packets[i].counter != counter + got + i)
                  g_error ("wrong packet");
              got += n;
            }
        }
      counter += per_round;
    }
}

static void
test_static_no_allocation (EsFixture     *f,
                           gconstpointer  data)
{
  EsEventSystemBuilder *b;
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  guint64 allocs;

  g_test_summary ("100,000 publish_data/receive_data pairs on the static fast path allocate nothing");

  if (!ES_TEST_INTERPOSE_MALLOC)
    {
      g_test_skip ("malloc interposition is disabled under sanitizers");
      return;
    }
  if (!alloc_counting_works ())
    {
      g_test_skip ("malloc interposition is not effective in this binary");
      return;
    }

  b = es_test_builder_new (f->impl);
  es_event_system_builder_set_channel_capacity (b, 1024);
  es_fixture_replace (f, b, TRUE);
  pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);

  /* Warm up: lazy initialisation is allowed to allocate once. */
  publish_receive_rounds (pub, sub, 2, 500, FALSE);
  publish_receive_rounds (pub, sub, 2, 500, TRUE);

  n_allocs = 0;
  counting_allocs = TRUE;
  publish_receive_rounds (pub, sub, 200, 500, FALSE);
  counting_allocs = FALSE;
  allocs = n_allocs;
  g_assert_cmpuint (allocs, ==, 0);

  n_allocs = 0;
  counting_allocs = TRUE;
  publish_receive_rounds (pub, sub, 200, 500, TRUE);
  counting_allocs = FALSE;
  allocs = n_allocs;
  g_assert_cmpuint (allocs, ==, 0);

  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, 2 * 200 * 500 + 2 * 2 * 500);
  es_test_assert_accounting (sub);
}

static void
test_static_ring_capacity (EsFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  guint accepted = 0;

  g_test_summary ("a subscriber holds at least channel-capacity events (the static ring rounds up "
                  "to a power of two; zero-copy holds exactly channel-capacity)");

  es_test_replace_for_packets (f, 5, ES_BACKPRESSURE_DROP_NEWEST, &pub, &sub);

  for (guint i = 0; i < 100; i++)
    {
      EsTestPacket packet;

      es_test_packet_init (&packet, 0, i);
      if (!es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error))
        {
          g_assert_true (es_error_is_backpressure (error));
          g_clear_error (&error);
          break;
        }
      accepted++;
    }

  g_assert_cmpuint (accepted, >=, 5);
  if (f->impl == ES_IMPLEMENTATION_STATIC_FAST_PATH)
    g_assert_cmpuint (accepted, <=, 8);
  else
    g_assert_cmpuint (accepted, ==, 5);
  g_assert_cmpuint (es_subscriber_get_queue_depth (sub), ==, accepted);
  g_assert_cmpuint (es_test_drain (sub), ==, accepted);
  es_test_assert_accounting (sub);
}

typedef struct {
  EsPublisher *pub;
  guint        n;
  gint         published;   /* atomic */
  gint         done;        /* atomic */
  GError      *error;
} BlockPublisher;

static gpointer
block_publisher_thread (gpointer user_data)
{
  BlockPublisher *bp = user_data;

  for (guint i = 0; i < bp->n; i++)
    {
      EsTestPacket packet;

      es_test_packet_init (&packet, 0, i);
      if (!es_publisher_publish_data (bp->pub, &packet, sizeof packet, NULL, &bp->error))
        break;
      g_atomic_int_inc (&bp->published);
    }
  g_atomic_int_set (&bp->done, 1);
  return NULL;
}

static void
test_static_block_behind (EsFixture     *f,
                          gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  BlockPublisher bp = { NULL, 64, 0, 0, NULL };
  GThread *thread;
  gint stuck_at;

  g_test_summary ("with BLOCK, publish_data waits while a subscriber is a full ring behind, and "
                  "continues as soon as it receives");

  es_event_system_builder_set_channel_capacity (b, 8);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_BLOCK);
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);
  sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  bp.pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);

  thread = g_thread_new ("block-publisher", block_publisher_thread, &bp);

  ES_TEST_WAIT_UNTIL (es_publisher_get_backpressure_state (bp.pub) == ES_BACKPRESSURE_STATE_BLOCKED,
                      ES_TEST_HANG_SECONDS);
  stuck_at = g_atomic_int_get (&bp.published);
  g_assert_cmpint (stuck_at, >=, 8);
  g_assert_cmpint (stuck_at, <=, 16);
  g_assert_cmpint (g_atomic_int_get (&bp.done), ==, 0);

  /* Nothing moves while nobody receives. */
  g_usleep (20 * 1000);
  g_assert_cmpint (g_atomic_int_get (&bp.published), ==, stuck_at);
  g_assert_cmpuint (es_subscriber_get_queue_depth (sub), ==, (gsize) stuck_at);

  /* Receiving makes room; everything arrives in order. */
  for (guint i = 0; i < bp.n; i++)
    {
      EsTestPacket packet;

      g_assert_true (es_subscriber_receive_data (sub, &packet, sizeof packet,
                                                 ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (packet.counter, ==, i);
      g_assert_true (es_test_packet_check (&packet));
    }

  ES_TEST_WAIT_UNTIL (g_atomic_int_get (&bp.done), ES_TEST_HANG_SECONDS);
  g_thread_join (thread);
  g_assert_no_error (bp.error);
  g_assert_cmpint (bp.published, ==, 64);
  g_assert_cmpint (es_publisher_get_backpressure_state (bp.pub), !=, ES_BACKPRESSURE_STATE_BLOCKED);
  g_clear_object (&bp.pub);
  es_test_assert_accounting (sub);
}

static void
test_static_slowest_gates (EsFixture     *f,
                           gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSubscriber) fast = NULL;
  g_autoptr(EsSubscriber) slow = NULL;
  BlockPublisher bp = { NULL, 64, 0, 0, NULL };
  GThread *thread;
  guint64 next_fast = 0;

  g_test_summary ("with BLOCK the slowest subscriber gates the publisher; a fast one is never ahead "
                  "of what was published and loses nothing");

  es_event_system_builder_set_channel_capacity (b, 8);
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);
  fast = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  slow = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  bp.pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);

  thread = g_thread_new ("block-publisher", block_publisher_thread, &bp);

  /* The fast subscriber reads whatever it can while the slow one sleeps. */
  ES_TEST_WAIT_UNTIL (es_publisher_get_backpressure_state (bp.pub) == ES_BACKPRESSURE_STATE_BLOCKED,
                      ES_TEST_HANG_SECONDS);
  for (;;)
    {
      EsTestPacket packet;

      if (!es_subscriber_receive_data (fast, &packet, sizeof packet, 0, NULL, &error))
        {
          g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
          g_clear_error (&error);
          break;
        }
      g_assert_cmpuint (packet.counter, ==, next_fast);
      next_fast++;
    }
  g_assert_cmpuint (next_fast, >=, 8);
  g_assert_cmpuint (next_fast, <, 64);

  /* Now both drain. */
  for (guint64 i = 0; i < 64; i++)
    {
      EsTestPacket packet;

      g_assert_true (es_subscriber_receive_data (slow, &packet, sizeof packet,
                                                 ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (packet.counter, ==, i);
      /* Keep the fast one moving too, or it becomes the slow one. */
      while (next_fast < 64 && es_subscriber_receive_data (fast, &packet, sizeof packet, 0, NULL, NULL))
        {
          g_assert_cmpuint (packet.counter, ==, next_fast);
          next_fast++;
        }
    }
  while (next_fast < 64)
    {
      EsTestPacket packet;

      g_assert_true (es_subscriber_receive_data (fast, &packet, sizeof packet,
                                                 ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (packet.counter, ==, next_fast);
      next_fast++;
    }

  ES_TEST_WAIT_UNTIL (g_atomic_int_get (&bp.done), ES_TEST_HANG_SECONDS);
  g_thread_join (thread);
  g_assert_no_error (bp.error);
  g_clear_object (&bp.pub);
  es_test_assert_accounting (fast);
  es_test_assert_accounting (slow);
}

/* --- producer handover --------------------------------------------------- */

typedef struct {
  EsPublisher *pub;        /* shared by every thread, or one per thread */
  guint32      id;
  guint64      n;
  gint        *go;         /* the later threads start when this turns 1 */
  GError      *error;
} HandoverThread;

static gpointer
handover_thread (gpointer data)
{
  HandoverThread *t = data;

  if (t->go != NULL)
    while (!g_atomic_int_get (t->go))
      g_usleep (100);
  for (guint64 i = 0; i < t->n; i++)
    {
      EsTestPacket packet;

      es_test_packet_init (&packet, t->id, i);
      if (!es_publisher_publish_data (t->pub, &packet, sizeof packet, NULL, &t->error))
        break;
      /* The first thread lets the others in half way through its run. */
      if (t->go == NULL && i == t->n / 2)
        g_atomic_int_set ((gint *) t[1].go, 1);
    }
  return NULL;
}

static void
test_static_producer_handover (EsFixture     *f,
                               gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsPublisher) shared_pub = NULL;
  HandoverThread threads[4];
  GThread *handles[4];
  guint64 next[4] = { 0, 0, 0, 0 };
  guint64 total = 0;
  const guint64 n = es_test_scaled (40000, 500);
  gint go = 0;

  g_test_summary ("the first publishing thread publishes without a CAS (single-producer claim); when "
                  "three more threads join mid-stream, through one shared publisher and their own, "
                  "the ownership is revoked without losing, duplicating or reordering an event");

  es_event_system_builder_set_channel_capacity (b, 64);
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  shared_pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);

  for (guint i = 0; i < 4; i++)
    {
      threads[i].id = i;
      threads[i].n = n;
      threads[i].go = i == 0 ? NULL : &go;
      threads[i].error = NULL;
      /* Threads 0 and 1 share a publisher: ownership is per thread, not
       * per publisher object. */
      threads[i].pub = i < 2 ? g_object_ref (shared_pub)
                             : es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < 4; i++)
    handles[i] = g_thread_new ("handover", handover_thread, &threads[i]);

  while (total < 4 * n)
    {
      EsTestPacket packet;

      g_assert_true (es_subscriber_receive_data (sub, &packet, sizeof packet,
                                                 ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (es_test_packet_check (&packet));
      g_assert_cmpuint (packet.publisher, <, 4);
      g_assert_cmpuint (packet.counter, ==, next[packet.publisher]);
      next[packet.publisher]++;
      total++;
    }
  for (guint i = 0; i < 4; i++)
    {
      g_thread_join (handles[i]);
      g_assert_no_error (threads[i].error);
      g_assert_cmpuint (next[i], ==, n);
      g_clear_object (&threads[i].pub);
    }
  g_assert_cmpuint (es_publisher_get_published_count (shared_pub), ==, 2 * n);
  g_assert_false (es_subscriber_try_receive (sub, NULL) != NULL);
  es_test_assert_accounting (sub);
}

/* --- publish times ------------------------------------------------------- */

static void
test_static_timestamps (EsFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSubscriber) data_sub = NULL;
  g_autoptr(EsSubscriber) env_sub = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  EsTestPacket packet;
  gint64 before, after;

  g_test_summary ("every envelope carries a publish time between the publish and the receive, whether "
                  "or not the static path stamped it (it stamps only while some subscriber of the "
                  "type may read envelopes)");

  data_sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);

  /* A plain-data reader only: on the static path nothing needs a stamp. */
  es_test_packet_init (&packet, 0, 0);
  g_assert_true (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error));
  g_assert_true (es_subscriber_receive_data (data_sub, &packet, sizeof packet, 0, NULL, &error));
  g_assert_no_error (error);

  /* Published while nobody reads envelopes; taken as an envelope after. */
  before = g_get_monotonic_time ();
  es_test_packet_init (&packet, 0, 1);
  g_assert_true (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error));
  {
    g_autoptr(EsEvent) ev = es_subscriber_receive_timeout (data_sub, 0, NULL, &error);

    after = g_get_monotonic_time ();
    g_assert_no_error (error);
    g_assert_nonnull (ev);
    g_assert_cmpint (es_event_get_timestamp (ev), >=, before);
    g_assert_cmpint (es_event_get_timestamp (ev), <=, after);
  }

  /* Now an envelope reader exists from the start: the publish time is the
   * publisher's, so it is not later than the publish call's return. */
  env_sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  for (guint i = 2; i < 5; i++)
    {
      gint64 returned;
      g_autoptr(EsEvent) ev = NULL;

      before = g_get_monotonic_time ();
      es_test_packet_init (&packet, 0, i);
      g_assert_true (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error));
      returned = g_get_monotonic_time ();
      g_usleep (2000);
      ev = es_subscriber_receive_timeout (env_sub, 0, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (es_event_get_timestamp (ev), >=, before);
      g_assert_cmpint (es_event_get_timestamp (ev), <=, returned);
      g_assert_true (es_subscriber_receive_data (data_sub, &packet, sizeof packet, 0, NULL, &error));
      g_assert_cmpuint (packet.counter, ==, i);
    }
}

static void
test_static_latency_sampling (EsFixture     *f,
                              gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsMetricsSnapshot) snap = NULL;
  EsEventTypeMetrics *tm;
  EsMetrics *metrics;

  g_test_summary ("with metrics on, a plain-data reader still gets latency samples: one event in "
                  "latency-sampling carries its publish time");

  es_event_system_builder_set_enable_metrics (b, TRUE);
  es_fixture_replace (f, b, TRUE);
  metrics = es_event_system_get_metrics (f->sys);
  es_metrics_set_latency_sampling (metrics, 16);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);

  for (guint64 i = 0; i < 640; i++)
    {
      EsTestPacket packet;

      es_test_packet_init (&packet, 0, i);
      g_assert_true (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error));
      g_assert_true (es_subscriber_receive_data (sub, &packet, sizeof packet, 0, NULL, &error));
      g_assert_no_error (error);
    }

  snap = es_metrics_dup_snapshot (metrics);
  tm = es_metrics_snapshot_lookup_event_type (snap, g_type_name (ES_TEST_TYPE_PACKET));
  g_assert_nonnull (tm);
  g_assert_cmpuint (es_event_type_metrics_get_delivered (tm), ==, 640);
  /* 640 / 16 = 40 samples (a few more on the zero-copy path, which stamps
   * everything and samples by countdown from each thread's first). */
  g_assert_cmpuint (es_event_type_metrics_get_latency_count (tm), >=, 40);
  g_assert_cmpuint (es_event_type_metrics_get_latency_count (tm), <=, 41);
}

/* --- receiver handover ---------------------------------------------------- */

typedef struct {
  EsSubscriber *sub;
  gint         *seen;       /* one flag per counter, shared: each set once */
  guint64       n;          /* events in all */
  gint         *total;      /* received by all readers */
  gint         *go;         /* the second reader starts when this turns 1 */
  gint         *first_of_second;  /* set once the second reader got an event */
  guint64       got;
  gboolean      failed;
} ReaderThread;

static gpointer
reader_thread (gpointer data)
{
  ReaderThread *r = data;
  guint64 last = 0;
  gboolean first = TRUE;

  if (r->go != NULL)
    while (!g_atomic_int_get (r->go))
      g_usleep (100);
  while ((guint64) g_atomic_int_get (r->total) < r->n)
    {
      EsTestPacket packet;
      g_autoptr(GError) error = NULL;

      if (!es_subscriber_receive_data (r->sub, &packet, sizeof packet, 10 * G_TIME_SPAN_MILLISECOND, NULL, &error))
        {
          if (!g_error_matches (error, ES_ERROR, ES_ERROR_TIMEOUT))
            r->failed = TRUE;
          continue;
        }
      /* Each reader sees increasing counters; no counter twice overall. */
      if (!es_test_packet_check (&packet) || packet.counter >= r->n ||
          (!first && packet.counter <= last) ||
          g_atomic_int_add (&r->seen[packet.counter], 1) != 0)
        r->failed = TRUE;
      first = FALSE;
      last = packet.counter;
      r->got++;
      g_atomic_int_inc (r->total);
      if (r->go != NULL && r->got == 1)
        g_atomic_int_set (r->first_of_second, 1);
      /* The first reader lets the second in after a while, and waits for
       * it to receive before both go on concurrently. */
      if (r->go == NULL && r->got == r->n / 4)
        {
          g_atomic_int_set (r[1].go, 1);
          while (!g_atomic_int_get (r->first_of_second))
            g_usleep (100);
        }
    }
  return NULL;
}

static void
test_static_reader_handover (EsFixture     *f,
                             gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  const guint64 n = es_test_scaled (40000, 400);
  g_autofree gint *seen = g_new0 (gint, n);
  ReaderThread readers[2];
  GThread *handles[2];
  gint total = 0, go = 0, first_of_second = 0;

  g_test_summary ("the first receiving thread moves the cursor without locked instructions; when a "
                  "second thread receives from the same subscriber the ownership is revoked and "
                  "every event is received exactly once, in order per thread");

  es_event_system_builder_set_channel_capacity (b, 64);
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);

  for (guint i = 0; i < 2; i++)
    readers[i] = (ReaderThread) { sub, seen, n, &total, i == 0 ? NULL : &go, &first_of_second, 0, FALSE };
  for (guint i = 0; i < 2; i++)
    handles[i] = g_thread_new ("reader", reader_thread, &readers[i]);

  for (guint64 i = 0; i < n; i++)
    {
      EsTestPacket packet;

      es_test_packet_init (&packet, 0, i);
      g_assert_true (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error));
      g_assert_no_error (error);
    }

  for (guint i = 0; i < 2; i++)
    {
      g_thread_join (handles[i]);
      g_assert_false (readers[i].failed);
    }
  g_assert_cmpuint (readers[0].got + readers[1].got, ==, n);
  g_assert_cmpuint (readers[1].got, >, 0);
  for (guint64 i = 0; i < n; i++)
    g_assert_cmpint (seen[i], ==, 1);
  g_assert_cmpuint (es_subscriber_get_received_count (sub), ==, n);
  es_test_assert_accounting (sub);
}

/* --- publishing from a finalizer --------------------------------------------- */

#define TEST_TYPE_REENTRANT (test_reentrant_get_type ())
G_DECLARE_FINAL_TYPE (TestReentrant, test_reentrant, TEST, REENTRANT, GObject)

struct _TestReentrant
{
  GObject      parent_instance;
  gint         value;
  EsPublisher *publish_on_dispose;   /* unowned */
};

G_DEFINE_FINAL_TYPE (TestReentrant, test_reentrant, G_TYPE_OBJECT)

static void
test_reentrant_dispose (GObject *object)
{
  TestReentrant *self = TEST_REENTRANT (object);
  EsPublisher *pub = g_steal_pointer (&self->publish_on_dispose);

  if (pub != NULL)
    {
      g_autoptr(TestReentrant) nested = g_object_new (TEST_TYPE_REENTRANT, NULL);
      g_autoptr(GError) error = NULL;

      nested->value = 1000;
      g_assert_true (es_publisher_publish_object (pub, nested, NULL, &error));
      g_assert_no_error (error);
    }
  G_OBJECT_CLASS (test_reentrant_parent_class)->dispose (object);
}

static void
test_reentrant_class_init (TestReentrantClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = test_reentrant_dispose;
}

static void
test_reentrant_init (TestReentrant *self)
{
}

static void
test_static_publish_from_finalizer (EsFixture     *f,
                                    gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  gboolean seen[9] = { FALSE };
  guint received = 0;

  g_test_summary ("an object event whose last reference is dropped while a slot is reused (the static "
                  "ring unrefs the slot's previous object) may publish from its dispose: no event is "
                  "lost or overwritten");

  es_event_system_builder_set_channel_capacity (b, 4);
  es_fixture_replace (f, b, TRUE);
  sub = es_test_new_subscriber (f, TEST_TYPE_REENTRANT);
  pub = es_test_new_publisher (f, TEST_TYPE_REENTRANT);

  for (gint i = 0; i < 8; i++)
    {
      g_autoptr(TestReentrant) object = g_object_new (TEST_TYPE_REENTRANT, NULL);
      EsEvent *ev;

      object->value = i;
      object->publish_on_dispose = i == 1 ? pub : NULL;
      g_assert_true (es_publisher_publish_object (pub, object, NULL, &error));
      g_assert_no_error (error);
      g_clear_object (&object);
      while ((ev = es_subscriber_try_receive (sub, NULL)) != NULL)
        {
          gint value = TEST_REENTRANT (es_event_get_object (ev))->value;
          guint index = value == 1000 ? 8 : (guint) value;

          g_assert_cmpuint (index, <, G_N_ELEMENTS (seen));
          g_assert_false (seen[index]);
          seen[index] = TRUE;
          received++;
          es_event_unref (ev);
        }
    }
  /* The nested event is published when object 1's last reference goes,
   * which on the static path is when its slot is reused (or at teardown). */
  if (received < 9)
    {
      EsEvent *ev;

      while ((ev = es_subscriber_try_receive (sub, NULL)) != NULL)
        {
          gint value = TEST_REENTRANT (es_event_get_object (ev))->value;

          seen[value == 1000 ? 8 : value] = TRUE;
          received++;
          es_event_unref (ev);
        }
    }
  for (guint i = 0; i < 8; i++)
    g_assert_true (seen[i]);
  if (seen[8])
    g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 9);
  g_assert_cmpuint (received, ==, es_publisher_get_published_count (pub));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add_one (ES_IMPLEMENTATION_STATIC_FAST_PATH, "Static/no-allocation", test_static_no_allocation);
  es_test_add ("Static/ring-capacity", test_static_ring_capacity);
  es_test_add ("Static/block-behind", test_static_block_behind);
  es_test_add ("Static/slowest-gates", test_static_slowest_gates);
  es_test_add ("Static/producer-handover", test_static_producer_handover);
  es_test_add ("Static/timestamps", test_static_timestamps);
  es_test_add ("Static/reader-handover", test_static_reader_handover);
  es_test_add ("Static/publish-from-finalizer", test_static_publish_from_finalizer);
  es_test_add ("Static/latency-sampling", test_static_latency_sampling);

  return g_test_run ();
}
