/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EsWaitQueue, the sleeping and waking under every blocking receive and
 * publish (private API, linked from the internal library): the switch
 * between the barrier protocol and fenced mode, and no lost wake-up in
 * either mode. The public suites run the same code under the subscribers
 * and publishers of both implementations. */

#include "config.h"

#include <glib.h>

#include "eventsys.h"
#include "es-subscriber-private.h"
#include "es-wait-private.h"

static guint
scaled (guint n)
{
  const char *scale = g_getenv ("ES_TEST_SCALE");

  return scale != NULL ? MAX (1, (guint) (n * g_ascii_strtod (scale, NULL))) : n;
}

static guint
mode_bits (EsWaitQueue *q)
{
  return atomic_load (&q->sleepers) & (ES_WAIT_FENCE | ES_WAIT_TRUST);
}

/* Initializes @q for a test of the mode switch, which needs membarrier
 * (registered by the first queue's init): without it, clears @q, skips the
 * test and returns FALSE. */
static gboolean
init_mode_queue (EsWaitQueue *q)
{
  es_wait_queue_init (q);
  if (!atomic_load (&es_membarrier_registered))
    {
      es_wait_queue_clear (q);
      g_test_skip ("membarrier is unavailable here: the queue always uses fences");
      return FALSE;
    }
  return TRUE;
}

static void
sleep_once (EsWaitQueue *q)
{
  es_wait_queue_prepare (q);
  es_wait_queue_cancel (q);
}

static void
test_wait_mode_switch (void)
{
  EsWaitQueue q;

  g_test_summary ("Sleeps less than a millisecond apart switch a queue to fenced mode; "
                  "notifies without a sleep in between switch it back, but never while a "
                  "sleeper that trusts the mode is registered");

  if (!init_mode_queue (&q))
    return;

  /* The first sleep has no predecessor: barrier mode. */
  sleep_once (&q);
  g_assert_cmpuint (mode_bits (&q), ==, 0);

  /* The second, right after it: fenced. */
  sleep_once (&q);
  g_assert_cmpuint (mode_bits (&q), ==, ES_WAIT_FENCE | ES_WAIT_TRUST);
  g_assert_cmpuint (atomic_load (&q.sleepers) & ES_WAIT_SLEEPER_MASK, ==, 0);

  /* A registered sleeper trusts the mode: no amount of notifies clears it. */
  es_wait_queue_prepare (&q);
  for (guint i = 0; i < 3 * ES_WAIT_FENCED_LOOK_EVERY; i++)
    es_wait_queue_notify (&q);
  g_assert_cmpuint (mode_bits (&q), ==, ES_WAIT_FENCE | ES_WAIT_TRUST);
  es_wait_queue_cancel (&q);

  /* Without sleepers, two looks without a sleep in between switch back. */
  for (guint i = 0; i < 3 * ES_WAIT_FENCED_LOOK_EVERY; i++)
    es_wait_queue_notify (&q);
  g_assert_cmpuint (mode_bits (&q), ==, 0);
  g_assert_cmpuint (atomic_load (&q.sleepers), ==, 0);

  /* Barrier mode again: a notify without sleepers stays on the fast path. */
  for (guint i = 0; i < 3 * ES_WAIT_FENCED_LOOK_EVERY; i++)
    es_wait_queue_notify (&q);
  g_assert_cmpuint (mode_bits (&q), ==, 0);

  es_wait_queue_clear (&q);
}

static void
test_wait_mode_rate (void)
{
  EsWaitQueue q;

  g_test_summary ("A queue stays in fenced mode while sleeps come at least once per 256 "
                  "notifies, and switches back when they come more rarely, though they "
                  "never stop");

  if (!init_mode_queue (&q))
    return;

  /* Two sleeps within a millisecond (a preempted test may need more). */
  for (guint i = 0; i < 10 && mode_bits (&q) == 0; i++)
    sleep_once (&q);
  g_assert_cmpuint (mode_bits (&q), ==, ES_WAIT_FENCE | ES_WAIT_TRUST);

  /* Enough sleeps between looks: fenced. */
  for (guint look = 0; look < 3; look++)
    {
      for (guint i = 0; i < ES_WAIT_FENCED_MIN_SLEEPS; i++)
        sleep_once (&q);
      for (guint i = 0; i < ES_WAIT_FENCED_LOOK_EVERY; i++)
        es_wait_queue_notify (&q);
      g_assert_cmpuint (mode_bits (&q), ==, ES_WAIT_FENCE | ES_WAIT_TRUST);
    }

  /* One sleep fewer: back to the barrier protocol at the next look. */
  for (guint i = 0; i + 1 < ES_WAIT_FENCED_MIN_SLEEPS; i++)
    sleep_once (&q);
  for (guint i = 0; i < ES_WAIT_FENCED_LOOK_EVERY; i++)
    es_wait_queue_notify (&q);
  g_assert_cmpuint (mode_bits (&q), ==, 0);
  g_assert_cmpuint (atomic_load (&q.sleepers), ==, 0);

  es_wait_queue_clear (&q);
}

/* Two threads switch a queue to fenced mode at once; the first is held
 * between setting FENCE and its barrier while the second goes through and
 * notifiers try to switch back. The queue must never trust sleepers
 * without fencing notifiers. */
typedef struct {
  EsWaitQueue q;
  GThread    *held;        /* the thread the hook holds; set by itself */
  atomic_int  in_window;
  atomic_int  release;
  atomic_int  done;
} Race;

static Race *race;

static void
race_hook (EsWaitQueue *q)
{
  if (g_thread_self () != race->held)
    return;
  atomic_store (&race->in_window, 1);
  while (!atomic_load (&race->release))
    g_usleep (100);
}

static gpointer
race_enabler (gpointer data)
{
  Race *r = data;

  r->held = g_thread_self ();
  /* Two sleeps in a row: the second switches the mode. */
  for (guint i = 0; i < 2; i++)
    sleep_once (&r->q);
  atomic_store (&r->done, 1);
  return NULL;
}

static void
test_wait_mode_race (void)
{
  Race r = { 0, };
  GThread *enabler;
  guint bits;

  g_test_summary ("A thread switching a queue to fenced mode while another one does, and "
                  "notifiers switch it back, never leaves sleepers trusting the mode "
                  "without notifiers fencing");

  if (!init_mode_queue (&r.q))
    return;
  atomic_init (&r.in_window, 0);
  atomic_init (&r.release, 0);
  atomic_init (&r.done, 0);
  race = &r;
  es_wait_fence_hook = race_hook;

  enabler = g_thread_new ("enabler", race_enabler, &r);
  while (!atomic_load (&r.in_window) && !atomic_load (&r.done))
    g_usleep (100);
  if (!atomic_load (&r.in_window))
    {
      /* Its sleep came more than a millisecond after the first (a slow
       * machine, a sanitizer): no switch to hold. */
      g_thread_join (enabler);
      es_wait_fence_hook = NULL;
      es_wait_queue_clear (&r.q);
      g_test_skip ("the second sleep came too late to switch the mode");
      return;
    }

  /* While it is held: another sleep, then many notifies with nobody
   * sleeping. */
  sleep_once (&r.q);
  for (guint i = 0; i < 3 * ES_WAIT_FENCED_LOOK_EVERY; i++)
    es_wait_queue_notify (&r.q);
  bits = atomic_load (&r.q.sleepers);
  g_assert_false ((bits & ES_WAIT_TRUST) && !(bits & ES_WAIT_FENCE));

  atomic_store (&r.release, 1);
  g_thread_join (enabler);
  es_wait_fence_hook = NULL;

  bits = atomic_load (&r.q.sleepers);
  g_assert_cmpuint (bits & ES_WAIT_SLEEPER_MASK, ==, 0);
  g_assert_false ((bits & ES_WAIT_TRUST) && !(bits & ES_WAIT_FENCE));
  es_wait_queue_clear (&r.q);
}

/* Threads that sleep (prepare + cancel) close together enable fenced mode
 * at once while a notifier keeps disabling it: the mode bits must never
 * say "trust" without "fence" (sleepers and notifiers would both skip
 * their barrier). */
typedef struct {
  EsWaitQueue q;
  atomic_int  stop;
  atomic_int  bad;
} Storm;

static gpointer
storm_sleeper (gpointer data)
{
  Storm *st = data;

  GRand *rand = g_rand_new ();

  /* Bursts of sleeps close enough to enable the mode, then quiet gaps long
   * enough for the notifier to disable it; more threads than cores, so an
   * enabler is often preempted between its steps. */
  while (!atomic_load (&st->stop))
    {
      for (guint i = 0; i < 3; i++)
        sleep_once (&st->q);
      g_usleep (g_rand_int_range (rand, 0, 300));
    }
  g_rand_free (rand);
  return NULL;
}

static gpointer
storm_notifier (gpointer data)
{
  Storm *st = data;

  while (!atomic_load (&st->stop))
    {
      guint bits;

      es_wait_queue_notify (&st->q);
      bits = atomic_load (&st->q.sleepers);
      if ((bits & ES_WAIT_TRUST) && !(bits & ES_WAIT_FENCE))
        atomic_store (&st->bad, 1);
    }
  return NULL;
}

static void
test_wait_mode_storm (void)
{
  Storm st;
  GThread *threads[5];
  guint bits;

  g_test_summary ("Several threads enabling fenced mode while a notifier disables it never "
                  "leave the queue trusting sleepers without fencing notifiers");

  if (!init_mode_queue (&st.q))
    return;
  atomic_init (&st.stop, 0);
  atomic_init (&st.bad, 0);

  for (guint i = 0; i < 4; i++)
    threads[i] = g_thread_new ("storm-sleeper", storm_sleeper, &st);
  threads[4] = g_thread_new ("storm-notifier", storm_notifier, &st);
  g_usleep (scaled (500) * 1000);
  atomic_store (&st.stop, 1);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  bits = atomic_load (&st.q.sleepers);
  g_assert_cmpuint (bits & ES_WAIT_SLEEPER_MASK, ==, 0);
  g_assert_false ((bits & ES_WAIT_TRUST) && !(bits & ES_WAIT_FENCE));
  g_assert_cmpint (atomic_load (&st.bad), ==, 0);
  es_wait_queue_clear (&st.q);
}

/* Ping-pong: each side makes the other's flag true and notifies its queue,
 * then sleeps on its own queue until its flag is set. A lost wake-up shows
 * as a wait that runs into its deadline. */
typedef struct {
  EsWaitQueue queues[2];
  atomic_int  flags[2];
  guint       rounds;
  guint       trickle_usec;     /* pause every 64 pings */
  atomic_int  timeouts;
} PingPong;

static void
wait_for_flag (PingPong *p,
               guint     me,
               gboolean  spin)
{
  EsWaitQueue *q = &p->queues[me];

  /* Polling only: the notifies to this queue see no sleeper. */
  while (spin && !atomic_exchange (&p->flags[me], 0))
    g_thread_yield ();
  if (spin)
    return;

  while (!atomic_exchange (&p->flags[me], 0))
    {
      guint key = es_wait_queue_prepare (q);

      if (atomic_load (&p->flags[me]))
        {
          es_wait_queue_cancel (q);
          continue;
        }
      if (!es_wait_queue_wait (q, key, g_get_monotonic_time () + 2 * G_USEC_PER_SEC))
        atomic_fetch_add (&p->timeouts, 1);
    }
}

#define PHASE 3000

static void
set_flag (PingPong *p,
          guint     other)
{
  atomic_store_explicit (&p->flags[other], 1, memory_order_release);
  es_wait_queue_notify (&p->queues[other]);
}

static gpointer
pong_thread (gpointer data)
{
  PingPong *p = data;

  for (guint i = 0; i < p->rounds; i++)
    {
      /* Alternate blocks of sleeping (fenced mode) and polling (enough
       * notifies without a sleep to switch back). */
      wait_for_flag (p, 1, (i / PHASE) % 2 == 1);
      set_flag (p, 0);
    }
  return NULL;
}

static void
run_ping_pong (guint rounds,
               guint trickle_usec)
{
  PingPong p = { .rounds = rounds, .trickle_usec = trickle_usec };
  GThread *thread;

  for (guint i = 0; i < 2; i++)
    {
      es_wait_queue_init (&p.queues[i]);
      atomic_init (&p.flags[i], 0);
    }
  atomic_init (&p.timeouts, 0);

  thread = g_thread_new ("pong", pong_thread, &p);
  for (guint i = 0; i < rounds; i++)
    {
      if (trickle_usec > 0 && i % 64 == 0)
        g_usleep (trickle_usec);
      set_flag (&p, 1);
      if ((i / PHASE) % 2 == 1)
        {
          /* The other side polls: enough notifies without a sleep (spurious
           * ones are allowed) to switch its queue back. */
          for (guint k = 0; k < 2 * ES_WAIT_FENCED_LOOK_EVERY / PHASE + 1; k++)
            es_wait_queue_notify (&p.queues[1]);
        }
      wait_for_flag (&p, 0, FALSE);
    }
  g_thread_join (thread);

  g_assert_cmpint (atomic_load (&p.timeouts), ==, 0);
  for (guint i = 0; i < 2; i++)
    es_wait_queue_clear (&p.queues[i]);
}

static void
test_wait_ping_pong (void)
{
  g_test_summary ("Two threads wake each other 20,000 times through a pair of queues, "
                  "one of them switching between the barrier protocol and fenced mode "
                  "every 3,000: no wake-up "
                  "is lost (no wait runs into its deadline)");

  run_ping_pong (scaled (20000), 200);
}

static gpointer
busy_thread (gpointer data)
{
  atomic_int *stop = data;

  while (!atomic_load_explicit (stop, memory_order_relaxed))
    ;
  return NULL;
}

static void
test_wait_cpus_crowded (void)
{
  guint n = (guint) g_get_num_processors () + 2;
  GThread **threads = g_new (GThread *, n);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gint64 before;
  atomic_int stop;

  g_test_summary ("With more running threads than CPUs, es_cpus_sample() sets es_cpus_crowded; "
                  "a sample less than 10 ms after the last one reads nothing");

  if (!g_file_test ("/proc/loadavg", G_FILE_TEST_EXISTS))
    {
      g_free (threads);
      g_test_skip ("no /proc/loadavg here: receivers always poll as before");
      return;
    }

  atomic_init (&stop, 0);
  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new ("busy", busy_thread, &stop);

  /* Samples are 10 ms apart at least; the threads may take a moment to run. */
  do
    {
      g_usleep (11000);
      before = g_get_monotonic_time ();
      es_cpus_sample ();
    }
  while (!atomic_load (&es_cpus_crowded) && g_get_monotonic_time () < deadline);
  g_assert_cmpint (atomic_load (&es_cpus_crowded), ==, 1);

  /* Right after that sample (when this thread was not held up for 10 ms
   * in between, which the busy threads make possible), another one must
   * not read: what we store stays. */
  atomic_store (&es_cpus_crowded, 0);
  es_cpus_sample ();
  if (g_get_monotonic_time () - before < 9000)
    g_assert_cmpint (atomic_load (&es_cpus_crowded), ==, 0);

  atomic_store (&stop, 1);
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);
  g_free (threads);
  atomic_store (&es_cpus_crowded, 0);
}

static void
test_wait_relax_count (void)
{
  guint few = es_cpu_relax_count (1250), timed = es_cpu_relax_count (10000);
  gint64 start, took;

  g_test_summary ("es_cpu_relax_count() counts pauses that last at least about the time asked "
                  "(the receivers' pacing uses it), within 1 .. 4096");

  g_assert_cmpuint (es_cpu_relax_count (0), ==, 1);
  g_assert_cmpuint (few, >=, 1);
  g_assert_cmpuint (few, <=, timed);
  g_assert_cmpuint (timed, <=, 4096);
  g_assert_cmpuint (es_cpu_relax_count (G_MAXUINT), ==, 4096);
  g_assert_cmpuint (es_cpu_relax_count (1250), ==, few);   /* measured once */

  /* The pauses for 10 µs take at least half of it: load only makes them
   * longer, so this fails only on a count that is too small (a
   * measurement too slow in all three of its runs, or wrong units). 10 µs
   * stays under the clamp down to 2.5 ns per pause. */
  if (timed == 4096)
    {
      g_test_message ("4096 pauses last less than 10 us here: the count is clamped");
      return;
    }
  start = g_get_monotonic_time ();
  for (guint i = 0; i < timed; i++)
    es_cpu_relax ();
  took = g_get_monotonic_time () - start;
  g_test_message ("%u pauses for 1.25 us, %u for 10 us, which took %" G_GINT64_FORMAT " us",
                  few, timed, took);
  g_assert_cmpint (took, >=, 5);
}

/* A started system of @impl with one publisher and one subscriber of the
 * plain guint64 type @type_name. */
static EsEventSystem *
start_pair (EsImplementationType   impl,
            const char            *type_name,
            EsPublisher          **pub,
            EsSubscriber         **sub)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  GType type = es_event_type_register_plain_named (type_name, sizeof (guint64));
  EsEventSystem *system;
  g_autoptr(GError) error = NULL;

  es_event_system_builder_set_implementation (builder, impl);
  system = es_event_system_builder_build (builder, &error);
  g_assert_no_error (error);
  *pub = es_event_system_create_publisher (system, type, &error);
  g_assert_no_error (error);
  *sub = es_event_system_subscribe (system, type, &error);
  g_assert_no_error (error);
  g_assert_true (es_event_system_start (system, &error));
  g_assert_no_error (error);
  return system;
}

static void
publish_u64 (EsPublisher *pub,
             guint64      value)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = es_publisher_publish_data (pub, &value, sizeof value, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

/* Fewer than the waits after which a receiver samples the machine itself
 * (CROWD_SAMPLE_EVERY in es-subscriber.c), so the forced value holds. */
#define CROWDED_EVENTS 200

static gpointer
crowded_publisher (gpointer data)
{
  EsPublisher *pub = data;

  for (guint64 i = 1; i <= CROWDED_EVENTS; i++)
    {
      /* Now and then let the receiver find the queue empty and sleep. */
      if (i % 8 == 0)
        g_usleep (200);
      publish_u64 (pub, i);
    }
  return NULL;
}

static void
test_wait_crowded_receive (gconstpointer data)
{
  EsImplementationType impl = GPOINTER_TO_INT (data);
  g_autoptr(EsEventSystem) system = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(GError) error = NULL;
  EsSubEndpoint *ep;
  GThread *thread;

  g_test_summary ("On a crowded machine a blocking receive sleeps instead of polling: every "
                  "event arrives in order, and the subscriber's polling budget is left as it was");

  system = start_pair (impl, "EsTestWaitCrowded", &pub, &sub);
  ep = _es_subscriber_get_endpoint (sub);
  /* 0: a fresh subscriber, which polls for the longest budget. */
  g_assert_cmpint (atomic_load (&ep->spin_usec), ==, 0);

  atomic_store (&es_cpus_crowded, 1);
  thread = g_thread_new ("crowded-publisher", crowded_publisher, pub);
  for (guint64 i = 1; i <= CROWDED_EVENTS; i++)
    {
      guint64 value = 0;

      g_assert_true (es_subscriber_receive_data (sub, &value, sizeof value, -1, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (value, ==, i);
    }
  g_thread_join (thread);
  atomic_store (&es_cpus_crowded, 0);

  /* Sleeping because the machine was crowded taught the budget nothing. */
  g_assert_cmpint (atomic_load (&ep->spin_usec), ==, 0);
  g_assert_cmpuint (atomic_load (&ep->waits), >, 0);
  g_assert_true (es_event_system_shutdown (system, &error));
  g_assert_no_error (error);
}

/* Bursts at full rate, with pauses in which the receiver finds the queue
 * empty and sleeps, until told to stop; then says how many it published. */
#define BURST_EVENTS 512
/* A receiver with no polling budget probes on every this-many-th wait
 * (SPIN_PROBE_EVERY in es-subscriber.c). */
#define PROBE_EVERY 1024

typedef struct {
  EsPublisher  *pub;
  atomic_int    stop;
  _Atomic guint64 total; /* G_MAXUINT64 until the publisher is done */
} BurstData;

static gpointer
burst_publisher (gpointer data)
{
  BurstData *d = data;
  guint64 i = 0;

  while (!atomic_load (&d->stop))
    {
      for (guint k = 0; k < BURST_EVENTS; k++)
        publish_u64 (d->pub, ++i);
      g_usleep (100);
    }
  atomic_store (&d->total, i);
  return NULL;
}

static void
test_wait_spin_recovers (gconstpointer data)
{
  EsImplementationType impl = GPOINTER_TO_INT (data);
  g_autoptr(EsEventSystem) system = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  BurstData d;
  EsSubEndpoint *ep;
  GThread *thread;
  guint64 expected = 1;
  gboolean recovered = FALSE;

  g_test_summary ("A receiver whose polling budget shrank to nothing (a trickle) probes now and "
                  "then, and polls again once events come in bursts; every event arrives in order");

  system = start_pair (impl, "EsTestWaitSpinRecovers", &pub, &sub);
  ep = _es_subscriber_get_endpoint (sub);
  /* Stored as budget + 1: a budget of nothing, as a long trickle leaves it. */
  atomic_store (&ep->spin_usec, 1);

  d.pub = pub;
  atomic_init (&d.stop, 0);
  atomic_init (&d.total, G_MAXUINT64);
  thread = g_thread_new ("burst-publisher", burst_publisher, &d);
  while (expected <= atomic_load (&d.total))
    {
      guint64 value = 0;

      /* The test itself may crowd a loaded machine; a receiver does not
       * poll while es_cpus_crowded is set, which is not what this checks. */
      atomic_store (&es_cpus_crowded, 0);
      /* Make the next wait a probe rather than wait for PROBE_EVERY of
       * them, most of which fall into the publisher's pauses. */
      atomic_store (&ep->waits, PROBE_EVERY - 1);
      if (!es_subscriber_receive_data (sub, &value, sizeof value, 10 * 1000, NULL, &error))
        {
          g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
          g_clear_error (&error);
          continue;
        }
      g_assert_cmpuint (value, ==, expected);
      expected++;
      if (!recovered && atomic_load (&ep->spin_usec) > 1)
        {
          recovered = TRUE;
          atomic_store (&d.stop, 1);
        }
      if (g_get_monotonic_time () > deadline)
        atomic_store (&d.stop, 1);
    }
  g_thread_join (thread);
  atomic_store (&es_cpus_crowded, 0);

  g_assert_true (recovered);
  g_assert_cmpuint (expected - 1, ==, atomic_load (&d.total));
  g_assert_true (es_event_system_shutdown (system, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Es/Wait/mode-switch", test_wait_mode_switch);
  g_test_add_func ("/Es/Wait/mode-rate", test_wait_mode_rate);
  g_test_add_func ("/Es/Wait/mode-race", test_wait_mode_race);
  g_test_add_func ("/Es/Wait/mode-storm", test_wait_mode_storm);
  g_test_add_func ("/Es/Wait/ping-pong", test_wait_ping_pong);
  g_test_add_func ("/Es/Wait/cpus-crowded", test_wait_cpus_crowded);
  g_test_add_func ("/Es/Wait/relax-count", test_wait_relax_count);
  g_test_add_data_func ("/Es/Wait/crowded-receive/static", GINT_TO_POINTER (ES_IMPLEMENTATION_STATIC_FAST_PATH),
                        test_wait_crowded_receive);
  g_test_add_data_func ("/Es/Wait/crowded-receive/zero-copy", GINT_TO_POINTER (ES_IMPLEMENTATION_ZERO_COPY),
                        test_wait_crowded_receive);
  g_test_add_data_func ("/Es/Wait/spin-recovers/static", GINT_TO_POINTER (ES_IMPLEMENTATION_STATIC_FAST_PATH),
                        test_wait_spin_recovers);
  g_test_add_data_func ("/Es/Wait/spin-recovers/zero-copy", GINT_TO_POINTER (ES_IMPLEMENTATION_ZERO_COPY),
                        test_wait_spin_recovers);

  return g_test_run ();
}
