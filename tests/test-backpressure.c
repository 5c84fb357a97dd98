/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Backpressure under concurrency (issue 3, item 5), for both implementations:
 *
 * - hammer/<strategy>: 4 publisher threads x 3 subscriber threads, one of
 *   which stalls at random, on small queues, for BLOCK (lossless, ordered,
 *   no deadlock), DROP_OLDEST and DROP_NEWEST (order of what is received and
 *   the exact accounting identity) and CUSTOM (the callback's context, and
 *   both of its answers taking effect);
 * - adaptive-burst: the adaptive mode absorbs a burst that plain DROP_NEWEST
 *   rejects part of;
 * - watermark-signal: EsBufferManager::watermark-crossed, with hysteresis,
 *   in the main context the system was started in;
 * - memory-bound: DROP_OLDEST with a 10 MB global limit keeps the buffered
 *   bytes (and the process RSS, within a margin) bounded while 1 GB of 10 KB
 *   payloads goes through a subscriber that never receives;
 * - shutdown-blocked: shutting down wakes 4 blocked publishers with
 *   ES_ERROR_SHUT_DOWN and the subscribers still drain what was queued;
 * - unsubscribe-releases-blocked: unsubscribing the full subscribers
 *   releases 4 blocked publishers.
 *
 * The single-threaded cases (timeout, cancellation, unsubscribe releasing a
 * blocked publisher, ...) are in test-backpressure-basic.c.
 *
 * Threads synchronise only through atomics and joins (see es-test-util.h);
 * per-thread results are read after the join. Loop sizes scale with
 * ES_TEST_SCALE; there are no timing assertions beyond "doesn't hang"
 * bounds. */
#include "es-test-util.h"

#include <string.h>
#include <unistd.h>

#define HANG (ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND)

#define N_PUB 4
#define N_SUB 3
#define STALLED_SUB 0          /* the subscriber that stalls at random */
#define STALL_ONE_IN 128       /* it stalls before about one receive in this many */
#define STALL_MAX_US 5000      /* for 0 to this many microseconds */

static gboolean
publish_packet (EsPublisher  *pub,
                guint32       id,
                guint64       counter,
                GError      **error)
{
  EsTestPacket packet;

  es_test_packet_init (&packet, id, counter);
  return es_publisher_publish_data (pub, &packet, sizeof packet, NULL, error);
}

/* --- 1. hammer: 4 publishers x 3 subscribers per strategy ---------------- */

typedef struct _Hammer Hammer;

typedef struct {
  Hammer      *h;
  guint32      id;
  EsPublisher *pub;            /* owned; created on the main thread */
  GThread     *thread;
  /* Written by the publisher thread, read after the join. */
  guint64      accepted;
  guint64      rejected;
  guint64      accepted_sum;   /* sum of the accepted counters */
} HammerPub;

typedef struct {
  Hammer       *h;
  guint         index;
  EsSubscriber *sub;           /* owned; created on the main thread */
  GThread      *thread;
  GRand        *rand;          /* owned; used by the thread only */
  gboolean      stalls;
  /* Written by the subscriber thread, read after the join. */
  guint64       received[N_PUB];
  guint64       sum[N_PUB];
  gint64        last[N_PUB];   /* last counter received, -1 for none */
  guint64       stalls_done;
} HammerSub;

struct _Hammer {
  EsFixture              *f;
  EsBackpressureStrategy  strategy;
  guint                   capacity;
  guint                   n;             /* per publisher */
  HammerPub               pubs[N_PUB];
  HammerSub               subs[N_SUB];
  /* Atomic. */
  gint                    pubs_done;
  gint                    attempts;      /* publishes that returned */
  gint                    rejections;
  gint                    received;      /* over every subscriber */
  gint                    states[4];     /* backpressure-changed, per state */
  gint                    bad_signal_thread;
  /* CUSTOM, atomic. */
  gint                    calls;
  gint                    newest_answers;
  gint                    oldest_answers;
  gint                    bad_publisher;
  gint                    bad_subscriber;
  gint                    bad_event;
  gint                    bad_utilization;
};

/* The publisher a publisher thread drives: the CUSTOM function and
 * ::backpressure-changed run on the publishing thread, so this tells them
 * which publisher is the right one. */
static __thread HammerPub *current_pub;

static void
hammer_on_backpressure_changed (EsPublisher         *pub,
                                EsBackpressureState  state,
                                gpointer             user_data)
{
  Hammer *h = user_data;

  if (current_pub == NULL || current_pub->pub != pub)
    g_atomic_int_inc (&h->bad_signal_thread);
  g_assert_cmpint (state, >=, ES_BACKPRESSURE_STATE_NORMAL);
  g_assert_cmpint (state, <=, ES_BACKPRESSURE_STATE_DROPPING);
  g_atomic_int_inc (&h->states[state]);
}

static EsBackpressureAction
hammer_custom_func (EsPublisher  *publisher,
                    EsSubscriber *subscriber,
                    EsEvent      *event,
                    gdouble       utilization,
                    gpointer      user_data)
{
  Hammer *h = user_data;
  gboolean ours = FALSE;
  gint call;

  /* The right publisher: the one this thread publishes with. */
  if (current_pub == NULL || publisher != current_pub->pub)
    g_atomic_int_inc (&h->bad_publisher);

  /* A full subscriber queue (there is no global limit here): one of ours. */
  for (guint i = 0; i < N_SUB; i++)
    if (subscriber == h->subs[i].sub)
      ours = TRUE;
  if (!ours)
    g_atomic_int_inc (&h->bad_subscriber);

  /* The event being published; NULL for plain data on the static fast path. */
  if (h->f->impl == ES_IMPLEMENTATION_STATIC_FAST_PATH)
    {
      if (event != NULL)
        g_atomic_int_inc (&h->bad_event);
    }
  else
    {
      gsize size = 0;
      const EsTestPacket *packet;

      if (event == NULL || es_event_get_event_type (event) != ES_TEST_TYPE_PACKET)
        g_atomic_int_inc (&h->bad_event);
      else if ((packet = es_event_get_data (event, &size)) == NULL || size != sizeof *packet ||
               current_pub == NULL || packet->publisher != current_pub->id ||
               !es_test_packet_check (packet))
        g_atomic_int_inc (&h->bad_event);
    }

  if (!(utilization >= 0.0 && utilization <= 1.0))
    g_atomic_int_inc (&h->bad_utilization);

  /* Alternate, over all threads: reject on the even calls, evict on the odd. */
  call = g_atomic_int_add (&h->calls, 1);
  if (call % 2 == 0)
    {
      g_atomic_int_inc (&h->newest_answers);
      return ES_BACKPRESSURE_ACTION_DROP_NEWEST;
    }
  g_atomic_int_inc (&h->oldest_answers);
  return ES_BACKPRESSURE_ACTION_DROP_OLDEST;
}

static gboolean
hammer_may_reject (Hammer *h)
{
  return h->strategy == ES_BACKPRESSURE_DROP_NEWEST || h->strategy == ES_BACKPRESSURE_CUSTOM;
}

static gpointer
hammer_publisher_thread (gpointer user_data)
{
  HammerPub *hp = user_data;
  Hammer *h = hp->h;

  current_pub = hp;
  for (guint64 i = 0; i < h->n; i++)
    {
      g_autoptr(GError) error = NULL;

      if (publish_packet (hp->pub, hp->id, i, &error))
        {
          g_assert_no_error (error);
          hp->accepted++;
          hp->accepted_sum += i;
        }
      else
        {
          /* BLOCK without a timeout and DROP_OLDEST never fail here. */
          if (!hammer_may_reject (h))
            g_error ("publisher %u: publish %" G_GUINT64_FORMAT " failed: %s",
                     hp->id, i, error->message);
          g_assert_error (error, ES_ERROR, ES_ERROR_BACKPRESSURE);
          g_assert_true (es_error_is_backpressure (error));
          hp->rejected++;
          g_atomic_int_inc (&h->rejections);
        }
      g_atomic_int_inc (&h->attempts);
    }
  current_pub = NULL;
  g_atomic_int_inc (&h->pubs_done);
  return NULL;
}

static guint64
hammer_total_dropped (Hammer *h)
{
  guint64 dropped = 0;

  for (guint i = 0; i < N_SUB; i++)
    dropped += es_subscriber_get_dropped_count (h->subs[i].sub);
  return dropped;
}

/* Whether the strategy has certainly engaged; the stalled subscriber holds
 * back its first receive until then, so that every run exercises it. */
static gboolean
hammer_engaged (Hammer *h)
{
  switch (h->strategy)
    {
    case ES_BACKPRESSURE_BLOCK:
      return g_atomic_int_get (&h->states[ES_BACKPRESSURE_STATE_BLOCKED]) > 0;
    case ES_BACKPRESSURE_DROP_OLDEST:
      /* It has received nothing yet: it lost at least one queue's worth. */
      return (guint) g_atomic_int_get (&h->attempts) >= 2 * h->capacity;
    case ES_BACKPRESSURE_DROP_NEWEST:
      return g_atomic_int_get (&h->rejections) > 0;
    case ES_BACKPRESSURE_CUSTOM:
      return g_atomic_int_get (&h->rejections) > 0 && hammer_total_dropped (h) > 0;
    default:
      g_assert_not_reached ();
    }
}

static gpointer
hammer_subscriber_thread (gpointer user_data)
{
  HammerSub *hs = user_data;
  Hammer *h = hs->h;

  if (hs->stalls)
    ES_TEST_WAIT_UNTIL (hammer_engaged (h) || g_atomic_int_get (&h->pubs_done) == N_PUB,
                        ES_TEST_HANG_SECONDS);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      EsTestPacket packet;
      /* Read before the receive: if every publisher had finished and the
       * receive still finds nothing, nothing more will come. */
      gboolean all_published = g_atomic_int_get (&h->pubs_done) == N_PUB;

      if (hs->stalls && g_rand_int_range (hs->rand, 0, STALL_ONE_IN) == 0)
        {
          g_usleep (g_rand_int_range (hs->rand, 0, STALL_MAX_US + 1));
          hs->stalls_done++;
        }

      if (!es_subscriber_receive_data (hs->sub, &packet, sizeof packet,
                                       10 * G_TIME_SPAN_MILLISECOND, NULL, &error))
        {
          g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
          if (all_published)
            break;
          continue;
        }

      g_assert_true (es_test_packet_check (&packet));
      g_assert_cmpuint (packet.publisher, <, N_PUB);
      if (h->strategy == ES_BACKPRESSURE_BLOCK)
        /* Lossless: exactly the next one. */
        g_assert_cmpint ((gint64) packet.counter, ==, hs->last[packet.publisher] + 1);
      else
        /* Per-publisher order; gaps allowed. */
        g_assert_cmpint ((gint64) packet.counter, >, hs->last[packet.publisher]);
      hs->last[packet.publisher] = (gint64) packet.counter;
      hs->received[packet.publisher]++;
      hs->sum[packet.publisher] += packet.counter;
      g_atomic_int_inc (&h->received);
    }
  return NULL;
}

/* Waits for every publisher to finish, failing (instead of hanging until the
 * meson timeout) if nothing at all happens for ES_TEST_HANG_SECONDS. */
static void
hammer_wait_for_publishers (Hammer *h)
{
  gint64 last_change = g_get_monotonic_time ();
  gint last_progress = -1;

  while (g_atomic_int_get (&h->pubs_done) < N_PUB)
    {
      gint progress = g_atomic_int_get (&h->attempts) + g_atomic_int_get (&h->received);

      if (progress != last_progress)
        {
          last_progress = progress;
          last_change = g_get_monotonic_time ();
        }
      else if (g_get_monotonic_time () - last_change > HANG)
        {
          GString *s = g_string_new (NULL);

          for (guint p = 0; p < N_PUB; p++)
            g_string_append_printf (s, " pub%u state %d;", p,
                                    es_publisher_get_backpressure_state (h->pubs[p].pub));
          for (guint i = 0; i < N_SUB; i++)
            g_string_append_printf (s, " sub%u depth %" G_GSIZE_FORMAT ";", i,
                                    es_subscriber_get_queue_depth (h->subs[i].sub));
          g_error ("no progress for %d s (deadlock?): %d publishes returned, %d received;%s",
                   ES_TEST_HANG_SECONDS, g_atomic_int_get (&h->attempts),
                   g_atomic_int_get (&h->received), s->str);
        }
      g_usleep (1000);
    }
}

/* @priority: the default priority lanes, or one lane per queue (where a
 * zero-copy reservation is the claim of a cell, and a delivery rejected by
 * another subscriber leaves a hole behind). */
static void
run_hammer (EsFixture              *f,
            EsBackpressureStrategy  strategy,
            gboolean                priority)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autofree Hammer *h = g_new0 (Hammer, 1);
  guint64 total_accepted = 0, total_rejected = 0, total_sum = 0;

  h->f = f;
  h->strategy = strategy;
  h->capacity = 64;
  /* At least enough for every strategy to engage many times over. */
  h->n = es_test_scaled (20000, 16 * h->capacity);

  es_event_system_builder_set_channel_capacity (b, h->capacity);
  es_event_system_builder_set_backpressure_strategy (b, strategy);
  es_event_system_builder_set_enable_priority (b, priority);
  if (strategy == ES_BACKPRESSURE_CUSTOM)
    es_event_system_builder_set_backpressure_func (b, hammer_custom_func, h, NULL);
  /* BLOCK waits as long as it takes; the others never wait. */
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);

  /* Everything is created on this thread before any thread starts (see
   * test-stress.c), and every subscriber exists before the first publish. */
  for (guint i = 0; i < N_SUB; i++)
    {
      HammerSub *hs = &h->subs[i];

      hs->h = h;
      hs->index = i;
      hs->sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
      hs->stalls = (i == STALLED_SUB);
      hs->rand = g_rand_new_with_seed (g_test_rand_int ());
      for (guint p = 0; p < N_PUB; p++)
        hs->last[p] = -1;
    }
  for (guint p = 0; p < N_PUB; p++)
    {
      HammerPub *hp = &h->pubs[p];

      hp->h = h;
      hp->id = p;
      hp->pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
      g_signal_connect (hp->pub, "backpressure-changed",
                        G_CALLBACK (hammer_on_backpressure_changed), h);
    }

  for (guint i = 0; i < N_SUB; i++)
    h->subs[i].thread = g_thread_new ("hammer-sub", hammer_subscriber_thread, &h->subs[i]);
  for (guint p = 0; p < N_PUB; p++)
    h->pubs[p].thread = g_thread_new ("hammer-pub", hammer_publisher_thread, &h->pubs[p]);

  hammer_wait_for_publishers (h);
  for (guint p = 0; p < N_PUB; p++)
    g_thread_join (h->pubs[p].thread);
  for (guint i = 0; i < N_SUB; i++)
    g_thread_join (h->subs[i].thread);

  /* Publishers: every attempt is either published or rejected. */
  for (guint p = 0; p < N_PUB; p++)
    {
      HammerPub *hp = &h->pubs[p];

      g_assert_cmpuint (hp->accepted + hp->rejected, ==, h->n);
      g_assert_cmpuint (es_publisher_get_published_count (hp->pub), ==, hp->accepted);
      g_assert_cmpuint (es_publisher_get_rejected_count (hp->pub), ==, hp->rejected);
      if (!hammer_may_reject (h))
        g_assert_cmpuint (hp->rejected, ==, 0);
      total_accepted += hp->accepted;
      total_rejected += hp->rejected;
      total_sum += hp->accepted_sum;
    }
  g_assert_cmpint (g_atomic_int_get (&h->bad_signal_thread), ==, 0);

  /* Subscribers: drained, and the books balance exactly. Every subscriber
   * existed before the first publish, and delivery is all or nothing, so
   * each was published exactly the accepted events. */
  for (guint i = 0; i < N_SUB; i++)
    {
      HammerSub *hs = &h->subs[i];
      guint64 received = 0;

      for (guint p = 0; p < N_PUB; p++)
        received += hs->received[p];

      g_assert_cmpuint (es_subscriber_get_queue_depth (hs->sub), ==, 0);
      g_assert_cmpuint (es_subscriber_get_received_count (hs->sub), ==, received);
      g_assert_cmpuint (es_subscriber_get_filtered_count (hs->sub), ==, 0);
      g_assert_cmpuint (es_subscriber_get_published_count (hs->sub), ==, total_accepted);
      es_test_assert_accounting (hs->sub);

      g_test_message ("%s sub %u%s: received %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT
                      ", %" G_GUINT64_FORMAT " stalls",
                      es_test_impl_name (f->impl), i, hs->stalls ? " (stalling)" : "", received,
                      es_subscriber_get_dropped_count (hs->sub), hs->stalls_done);

      switch (strategy)
        {
        case ES_BACKPRESSURE_BLOCK:
          /* Nothing lost: everything, in order (checked while receiving). */
          g_assert_cmpuint (es_subscriber_get_dropped_count (hs->sub), ==, 0);
          for (guint p = 0; p < N_PUB; p++)
            {
              g_assert_cmpuint (hs->received[p], ==, h->n);
              g_assert_cmpuint (hs->sum[p], ==, (guint64) h->n * (h->n - 1) / 2);
            }
          break;
        case ES_BACKPRESSURE_DROP_NEWEST:
          /* A rejected event reached no subscriber, an accepted one every
           * subscriber: with increasing counters, equal counts and sums mean
           * exactly the accepted events. */
          g_assert_cmpuint (es_subscriber_get_dropped_count (hs->sub), ==, 0);
          for (guint p = 0; p < N_PUB; p++)
            {
              g_assert_cmpuint (hs->received[p], ==, h->pubs[p].accepted);
              g_assert_cmpuint (hs->sum[p], ==, h->pubs[p].accepted_sum);
            }
          break;
        case ES_BACKPRESSURE_DROP_OLDEST:
        case ES_BACKPRESSURE_CUSTOM:
          g_assert_cmpuint (received + es_subscriber_get_dropped_count (hs->sub), ==, total_accepted);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  g_test_message ("%s: %" G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT " rejected; states: "
                  "%d throttled, %d blocked, %d dropping",
                  es_test_impl_name (f->impl), total_accepted, total_rejected,
                  g_atomic_int_get (&h->states[ES_BACKPRESSURE_STATE_THROTTLED]),
                  g_atomic_int_get (&h->states[ES_BACKPRESSURE_STATE_BLOCKED]),
                  g_atomic_int_get (&h->states[ES_BACKPRESSURE_STATE_DROPPING]));

  /* The strategy did engage (the stalled subscriber saw to it). */
  switch (strategy)
    {
    case ES_BACKPRESSURE_BLOCK:
      g_assert_cmpint (g_atomic_int_get (&h->states[ES_BACKPRESSURE_STATE_BLOCKED]), >, 0);
      g_assert_cmpuint (total_accepted, ==, (guint64) N_PUB * h->n);
      break;
    case ES_BACKPRESSURE_DROP_OLDEST:
      g_assert_cmpuint (total_accepted, ==, (guint64) N_PUB * h->n);
      g_assert_cmpuint (es_subscriber_get_dropped_count (h->subs[STALLED_SUB].sub), >, 0);
      g_assert_cmpint (g_atomic_int_get (&h->states[ES_BACKPRESSURE_STATE_DROPPING]), >, 0);
      break;
    case ES_BACKPRESSURE_DROP_NEWEST:
      g_assert_cmpuint (total_rejected, >, 0);
      g_assert_cmpint (g_atomic_int_get (&h->states[ES_BACKPRESSURE_STATE_DROPPING]), >, 0);
      break;
    case ES_BACKPRESSURE_CUSTOM:
      g_test_message ("custom: %d calls, %d DROP_NEWEST, %d DROP_OLDEST answers",
                      g_atomic_int_get (&h->calls), g_atomic_int_get (&h->newest_answers),
                      g_atomic_int_get (&h->oldest_answers));
      g_assert_cmpint (g_atomic_int_get (&h->bad_publisher), ==, 0);
      g_assert_cmpint (g_atomic_int_get (&h->bad_subscriber), ==, 0);
      g_assert_cmpint (g_atomic_int_get (&h->bad_event), ==, 0);
      g_assert_cmpint (g_atomic_int_get (&h->bad_utilization), ==, 0);
      g_assert_cmpint (g_atomic_int_get (&h->calls), ==,
                       g_atomic_int_get (&h->newest_answers) + g_atomic_int_get (&h->oldest_answers));
      /* Both answers took effect: each DROP_NEWEST rejected its publish... */
      g_assert_cmpint (g_atomic_int_get (&h->newest_answers), >, 0);
      g_assert_cmpuint (total_rejected, ==, (guint64) g_atomic_int_get (&h->newest_answers));
      /* ...and DROP_OLDEST evicted queued events. */
      g_assert_cmpint (g_atomic_int_get (&h->oldest_answers), >, 0);
      g_assert_cmpuint (hammer_total_dropped (h), >, 0);
      break;
    default:
      g_assert_not_reached ();
    }

  for (guint p = 0; p < N_PUB; p++)
    g_clear_object (&h->pubs[p].pub);
  for (guint i = 0; i < N_SUB; i++)
    {
      g_clear_object (&h->subs[i].sub);
      g_rand_free (h->subs[i].rand);
    }
  /* The CUSTOM function points into h: stop the system before h goes. */
  g_assert_true (es_event_system_shutdown (f->sys, NULL));
}

static void
test_hammer_block (EsFixture     *f,
                   gconstpointer  data)
{
  g_test_summary ("BLOCK, 4 publisher x 3 subscriber threads, one stalling at random, capacity 64: "
                  "nothing is lost, every subscriber gets every event in per-publisher order, "
                  "and it finishes without deadlock");
  run_hammer (f, ES_BACKPRESSURE_BLOCK, TRUE);
}

static void
test_hammer_drop_oldest (EsFixture     *f,
                         gconstpointer  data)
{
  g_test_summary ("DROP_OLDEST, 4 publisher x 3 subscriber threads, one stalling at random: "
                  "publishing never fails, what is received keeps per-publisher order, and "
                  "published == received + dropped + filtered + queued exactly for every subscriber");
  run_hammer (f, ES_BACKPRESSURE_DROP_OLDEST, TRUE);
}

static void
test_hammer_drop_newest (EsFixture     *f,
                         gconstpointer  data)
{
  g_test_summary ("DROP_NEWEST, 4 publisher x 3 subscriber threads, one stalling at random: "
                  "published + rejected == attempts per publisher, a rejected event reaches no "
                  "subscriber and an accepted one all of them, in order; the identity holds");
  run_hammer (f, ES_BACKPRESSURE_DROP_NEWEST, TRUE);
}

static void
test_hammer_custom (EsFixture     *f,
                    gconstpointer  data)
{
  g_test_summary ("CUSTOM, 4 publisher x 3 subscriber threads: the function gets the publishing "
                  "publisher, one of the subscribers, the event and a utilization in [0,1]; its "
                  "DROP_NEWEST answers reject and its DROP_OLDEST answers evict; the identity holds");
  run_hammer (f, ES_BACKPRESSURE_CUSTOM, TRUE);
}

static void
test_hammer_one_lane (EsFixture     *f,
                      gconstpointer  data)
{
  g_test_summary ("Each strategy again without priority lanes (one lane per queue): the same "
                  "guarantees, with publishers claiming cells directly and rejected deliveries "
                  "leaving holes that subscribers skip");
  run_hammer (f, ES_BACKPRESSURE_BLOCK, FALSE);
  run_hammer (f, ES_BACKPRESSURE_DROP_OLDEST, FALSE);
  run_hammer (f, ES_BACKPRESSURE_DROP_NEWEST, FALSE);
}

/* --- 2. the adaptive mode absorbs a burst -------------------------------- */

#define BURST_CAPACITY 256
#define BURST_EVENTS (4 * BURST_CAPACITY)
#define BURST_PAUSE_EVERY 16
#define BURST_PAUSE (4 * G_TIME_SPAN_MILLISECOND)
/* At least the consumer's pause: a throttled publisher then publishes at
 * most about one event per pause unless the consumer makes room. */
#define BURST_THROTTLE (10 * G_TIME_SPAN_MILLISECOND)

typedef struct {
  EsSubscriber *sub;
  gint          publisher_done;   /* atomic */
  /* Thread-owned until joined. */
  guint64       received;
  gint64        last;
  gboolean      contiguous;       /* every counter is last + 1 */
} Consumer;

/* Receives at a limited rate: a pause after every BURST_PAUSE_EVERY events. */
static gpointer
consumer_thread (gpointer user_data)
{
  Consumer *c = user_data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      EsTestPacket packet;
      gboolean done = g_atomic_int_get (&c->publisher_done);

      if (!es_subscriber_receive_data (c->sub, &packet, sizeof packet,
                                       10 * G_TIME_SPAN_MILLISECOND, NULL, &error))
        {
          g_assert_error (error, ES_ERROR, ES_ERROR_TIMEOUT);
          if (done)
            break;
          continue;
        }
      g_assert_true (es_test_packet_check (&packet));
      g_assert_cmpint ((gint64) packet.counter, >, c->last);
      if ((gint64) packet.counter != c->last + 1)
        c->contiguous = FALSE;
      c->last = (gint64) packet.counter;
      c->received++;
      if (c->received % BURST_PAUSE_EVERY == 0)
        g_usleep (BURST_PAUSE);
    }
  return NULL;
}

typedef struct {
  GThread             *thread;
  EsBackpressureState  last;
  guint                changes;
  gboolean             saw_throttled;
  gboolean             saw_normal_after_throttled;
} BurstLog;

static void
burst_on_backpressure_changed (EsPublisher         *pub,
                               EsBackpressureState  state,
                               gpointer             user_data)
{
  BurstLog *log = user_data;

  /* The publisher runs on the test thread. */
  g_assert_true (g_thread_self () == log->thread);
  g_assert_cmpint (state, !=, log->last);
  g_assert_cmpint (state, ==, es_publisher_get_backpressure_state (pub));
  if (state == ES_BACKPRESSURE_STATE_THROTTLED)
    log->saw_throttled = TRUE;
  else if (state == ES_BACKPRESSURE_STATE_NORMAL && log->saw_throttled)
    log->saw_normal_after_throttled = TRUE;
  log->last = state;
  log->changes++;
}

static void
run_burst (EsFixture *f,
           gboolean   adaptive,
           guint64   *rejected_out,
           BurstLog  *log)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsPublisher) pub = NULL;
  Consumer c = { NULL, 0, 0, -1, TRUE };
  GThread *thread;
  guint64 accepted = 0, rejected = 0;
  gint64 start, elapsed;

  es_event_system_builder_set_channel_capacity (b, BURST_CAPACITY);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_DROP_NEWEST);
  es_event_system_builder_set_adaptive_backpressure (b, adaptive);
  es_event_system_builder_set_watermarks (b, 0.5, 0.8);
  es_event_system_builder_set_max_throttle_delay (b, BURST_THROTTLE);
  es_fixture_replace (f, b, TRUE);

  /* The configuration is visible on the system. */
  {
    gboolean a = !adaptive;
    gdouble low = 0, high = 0;
    gint64 delay = 0;

    g_object_get (f->sys, "adaptive-backpressure", &a, "low-watermark", &low,
                  "high-watermark", &high, "max-throttle-delay", &delay, NULL);
    g_assert_cmpint (a, ==, adaptive);
    g_assert_cmpfloat_with_epsilon (low, 0.5, 1e-9);
    g_assert_cmpfloat_with_epsilon (high, 0.8, 1e-9);
    g_assert_cmpint (delay, ==, BURST_THROTTLE);
  }

  c.sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  *log = (BurstLog) { g_thread_self (), ES_BACKPRESSURE_STATE_NORMAL, 0, FALSE, FALSE };
  g_signal_connect (pub, "backpressure-changed", G_CALLBACK (burst_on_backpressure_changed), log);

  thread = g_thread_new ("rate-limited-consumer", consumer_thread, &c);

  /* The burst, as fast as publishing goes. */
  start = g_get_monotonic_time ();
  for (guint64 i = 0; i < BURST_EVENTS; i++)
    {
      g_autoptr(GError) error = NULL;

      if (publish_packet (pub, 0, i, &error))
        accepted++;
      else
        {
          g_assert_error (error, ES_ERROR, ES_ERROR_BACKPRESSURE);
          rejected++;
        }
    }
  elapsed = g_get_monotonic_time () - start;

  g_atomic_int_set (&c.publisher_done, 1);
  g_thread_join (thread);

  g_test_message ("%s, adaptive %s: %" G_GUINT64_FORMAT " accepted, %" G_GUINT64_FORMAT
                  " rejected in %" G_GINT64_FORMAT " ms; %u state changes",
                  es_test_impl_name (f->impl), adaptive ? "on" : "off", accepted, rejected,
                  elapsed / 1000, log->changes);

  g_assert_cmpuint (accepted + rejected, ==, BURST_EVENTS);
  g_assert_cmpuint (es_publisher_get_rejected_count (pub), ==, rejected);
  g_assert_cmpuint (c.received, ==, accepted);
  g_assert_cmpuint (es_subscriber_get_queue_depth (c.sub), ==, 0);
  es_test_assert_accounting (c.sub);
  if (rejected == 0)
    g_assert_true (c.contiguous);

  if (!adaptive && rejected == 0)
    {
      /* The consumer takes BURST_PAUSE_EVERY events per BURST_PAUSE at most:
       * if the burst took so long that it could absorb it all, the machine
       * was too loaded for the burst to be one. Say so rather than fail. */
      guint64 absorbable = BURST_CAPACITY +
                           BURST_PAUSE_EVERY * (guint64) (elapsed / BURST_PAUSE + 1);

      if (absorbable >= BURST_EVENTS)
        {
          g_test_message ("the burst took %" G_GINT64_FORMAT " ms: not a burst on this machine "
                          "now; not checking that plain DROP_NEWEST rejects", elapsed / 1000);
          rejected = G_MAXUINT64;   /* inconclusive */
        }
    }

  if (adaptive)
    {
      /* With room again (below the low watermark), the next publish is not
       * throttled: the publisher is NORMAL again. */
      g_autoptr(GError) error = NULL;

      g_assert_true (publish_packet (pub, 0, BURST_EVENTS, &error));
      g_assert_no_error (error);
      g_assert_cmpint (es_publisher_get_backpressure_state (pub), ==, ES_BACKPRESSURE_STATE_NORMAL);
      g_assert_cmpuint (es_test_drain (c.sub), ==, 1);
      es_test_assert_accounting (c.sub);
    }

  g_signal_handlers_disconnect_by_data (pub, log);
  g_clear_object (&c.sub);
  *rejected_out = rejected;
}

static void
test_adaptive_burst (EsFixture     *f,
                     gconstpointer  data)
{
  BurstLog log;
  guint64 rejected;

  g_test_summary ("DROP_NEWEST, capacity 256, a rate-limited consumer and a burst of 4 x capacity: "
                  "without the adaptive mode part of it is rejected; with it (watermarks 0.5/0.8) "
                  "the publisher is THROTTLED, nothing is rejected, and it is NORMAL again after");

  run_burst (f, FALSE, &rejected, &log);
  if (rejected != G_MAXUINT64)
    g_assert_cmpuint (rejected, >, 0);
  g_assert_false (log.saw_throttled);   /* never throttled when the mode is off */

  run_burst (f, TRUE, &rejected, &log);
  g_assert_cmpuint (rejected, ==, 0);
  g_assert_true (log.saw_throttled);
  g_assert_true (log.saw_normal_after_throttled);
}

/* --- 3. EsBufferManager::watermark-crossed ------------------------------- */

typedef struct {
  GMainContext *context;   /* where the signal must arrive */
  guint         n;
  gboolean      crossings[16];
} WatermarkLog;

static void
on_watermark_crossed (EsBufferManager *bm,
                      gboolean         above,
                      gpointer         user_data)
{
  WatermarkLog *log = user_data;

  g_assert_true (g_main_context_is_owner (log->context));
  g_assert_cmpuint (log->n, <, G_N_ELEMENTS (log->crossings));
  log->crossings[log->n++] = above;
}

/* Iterates @ctx (non-blocking) until @log has @n crossings. */
static gboolean
iterate_until_crossings (GMainContext *ctx,
                         WatermarkLog *log,
                         guint         n)
{
  gint64 deadline = g_get_monotonic_time () + HANG;

  while (log->n < n)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (500);
    }
  return TRUE;
}

/* One event's share of the utilization, with room for rounding. */
#define WM_SLACK 0.02

/* Publishes until the utilization reaches @target. Unless @above (the
 * buffer already is above the watermark), it must not be above it while the
 * utilization is below @high (with slack); if @above it must stay above. */
static guint
fill_to (EsPublisher     *pub,
         EsBufferManager *bm,
         gdouble          target,
         gdouble          high,
         gboolean         above,
         guint64         *counter)
{
  guint n = 0;

  while (es_buffer_manager_get_utilization (bm) < target)
    {
      g_autoptr(GError) error = NULL;

      if (above)
        g_assert_true (es_buffer_manager_is_above_watermark (bm));
      else if (es_buffer_manager_get_utilization (bm) < high - WM_SLACK)
        g_assert_false (es_buffer_manager_is_above_watermark (bm));
      g_assert_true (publish_packet (pub, 0, (*counter)++, &error));
      g_assert_no_error (error);
      n++;
      g_assert_cmpuint (n, <, 100000);
    }
  return n;
}

/* Receives until the utilization is at most @target. While it is above
 * @low (with slack) the buffer stays above the watermark (hysteresis). */
static guint
drain_to (EsSubscriber    *sub,
          EsBufferManager *bm,
          gdouble          target,
          gdouble          low)
{
  guint n = 0;

  while (es_buffer_manager_get_utilization (bm) > target)
    {
      EsTestPacket packet;
      g_autoptr(GError) error = NULL;

      if (es_buffer_manager_get_utilization (bm) > low + WM_SLACK)
        g_assert_true (es_buffer_manager_is_above_watermark (bm));
      g_assert_true (es_subscriber_receive_data (sub, &packet, sizeof packet, HANG, NULL, &error));
      g_assert_no_error (error);
      n++;
    }
  return n;
}

static void
test_watermark_signal (EsFixture     *f,
                       gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(GMainContext) start_ctx = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  const gdouble low = 0.3, high = 0.7;
  WatermarkLog log = { start_ctx, 0, { FALSE } };
  EsBufferManager *bm;
  guint64 counter = 0;
  guint n;

  g_test_summary ("with a global-buffer-size, ::watermark-crossed reports TRUE when utilization "
                  "rises to the high watermark and FALSE when it falls to the low one, once per "
                  "crossing, in the main context the system was started in; "
                  "es_buffer_manager_is_above_watermark() follows, with hysteresis");

  es_event_system_builder_set_channel_capacity (b, 4096);
  es_event_system_builder_set_global_buffer_size (b, 64 * 1024);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_DROP_NEWEST);
  es_event_system_builder_set_watermarks (b, low, high);
  es_fixture_replace (f, b, FALSE);

  /* Started with start_ctx as the thread-default context (not f->ctx). */
  g_main_context_push_thread_default (start_ctx);
  g_assert_true (es_event_system_start (f->sys, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (start_ctx);

  bm = es_event_system_get_buffer_manager (f->sys);
  g_signal_connect (bm, "watermark-crossed", G_CALLBACK (on_watermark_crossed), &log);
  sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  g_assert_false (es_buffer_manager_is_above_watermark (bm));

  /* Up to the high watermark: TRUE. */
  n = fill_to (pub, bm, high, high, FALSE, &counter);
  g_test_message ("%s: %u events reach the high watermark of 64 KiB x %.2f",
                  es_test_impl_name (f->impl), n, high);
  g_assert_true (es_buffer_manager_is_above_watermark (bm));
  /* Not in the thread-default context of the test... */
  es_test_iterate_for (f->ctx, 0.02);
  g_assert_cmpuint (log.n, ==, 0);
  /* ...but in the one start() saw. */
  g_assert_true (iterate_until_crossings (start_ctx, &log, 1));
  g_assert_true (log.crossings[0]);

  /* Between the watermarks: still above, no new crossing. */
  drain_to (sub, bm, (low + high) / 2, low);
  g_assert_true (es_buffer_manager_is_above_watermark (bm));
  es_test_iterate_for (start_ctx, 0.02);
  g_assert_cmpuint (log.n, ==, 1);

  /* Rising again without having fallen to the low one: no crossing. */
  fill_to (pub, bm, high + WM_SLACK, high, TRUE, &counter);
  es_test_iterate_for (start_ctx, 0.02);
  g_assert_cmpuint (log.n, ==, 1);

  /* Down to the low watermark: FALSE. */
  drain_to (sub, bm, low, low);
  g_assert_true (iterate_until_crossings (start_ctx, &log, 2));
  g_assert_false (log.crossings[1]);
  g_assert_false (es_buffer_manager_is_above_watermark (bm));

  /* And a second round trip. */
  fill_to (pub, bm, high, high, FALSE, &counter);
  g_assert_true (iterate_until_crossings (start_ctx, &log, 3));
  g_assert_true (log.crossings[2]);
  g_assert_true (es_buffer_manager_is_above_watermark (bm));

  g_assert_cmpuint (es_test_drain (sub), >, 0);
  g_assert_cmpuint (es_buffer_manager_get_buffered_bytes (bm), ==, 0);
  g_assert_true (iterate_until_crossings (start_ctx, &log, 4));
  g_assert_false (log.crossings[3]);
  g_assert_false (es_buffer_manager_is_above_watermark (bm));

  /* Exactly one signal per crossing. */
  es_test_iterate_for (start_ctx, 0.02);
  g_assert_cmpuint (log.n, ==, 4);
  g_assert_cmpuint (es_publisher_get_rejected_count (pub), ==, 0);
  es_test_assert_accounting (sub);

  g_signal_handlers_disconnect_by_data (bm, &log);
  while (g_main_context_iteration (start_ctx, FALSE))
    ;
}

/* --- 4. memory stays bounded --------------------------------------------- */

#define BIG_SIZE 10240

typedef struct {
  guint64 counter;
  guint8  data[BIG_SIZE - sizeof (guint64)];
} EsTestBigPacket;

G_STATIC_ASSERT (sizeof (EsTestBigPacket) == BIG_SIZE);

ES_DECLARE_EVENT_TYPE (EsTestBigPacket, es_test_big_packet)
ES_DEFINE_EVENT_TYPE (EsTestBigPacket, es_test_big_packet)
#define ES_TEST_TYPE_BIG_PACKET (es_test_big_packet_get_type ())

/* Resident set size of this process, from /proc/self/statm; 0 if unknown. */
static guint64
read_rss_bytes (void)
{
  g_autofree char *contents = NULL;
  char *end = NULL;
  guint64 resident;
  long page = sysconf (_SC_PAGESIZE);

  if (page <= 0 || !g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL))
    return 0;
  g_ascii_strtoull (contents, &end, 10);          /* size */
  resident = g_ascii_strtoull (end, NULL, 10);    /* resident */
  return resident * (guint64) page;
}

/* Sanitizers and valgrind keep shadow memory and quarantines that make RSS
 * meaningless for this check. */
static gboolean
rss_is_meaningful (void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return FALSE;
#else
# if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
  return FALSE;
#  endif
# endif
  const char *preload = g_getenv ("LD_PRELOAD");

  if (es_test_scale () < 1.0)
    return FALSE;
  if (g_getenv ("ASAN_OPTIONS") != NULL || g_getenv ("TSAN_OPTIONS") != NULL)
    return FALSE;
  if (preload != NULL && strstr (preload, "vgpreload") != NULL)
    return FALSE;
  return TRUE;
#endif
}

/* What the RSS may grow by beyond global-buffer-size: the allocator's free
 * lists and fragmentation, GLib's and the test's own allocations. */
#define RSS_MARGIN (64 * 1024 * 1024)

static void
test_memory_bound (EsFixture     *f,
                   gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  const guint64 limit = 10 * 1024 * 1024;
  const guint capacity = 4096;
  const guint n = es_test_scaled (100000, 2000);   /* 100,000 x 10 KiB = 1 GB */
  gboolean zero_copy = f->impl == ES_IMPLEMENTATION_ZERO_COPY;
  GType type = zero_copy ? G_TYPE_BYTES : ES_TEST_TYPE_BIG_PACKET;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autofree EsTestBigPacket *packet = g_new0 (EsTestBigPacket, 1);
  EsBufferManager *bm;
  guint64 rss_start, rss_end, allowed, max_buffered = 0, depth;

  g_test_summary ("DROP_OLDEST with a 10 MB global-buffer-size: publishing 1 GB of 10 KB payloads "
                  "through a subscriber that never receives keeps the buffered bytes within the "
                  "limit throughout, and the process RSS within the limit plus a margin");

  es_event_system_builder_set_channel_capacity (b, capacity);
  es_event_system_builder_set_global_buffer_size (b, limit);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_DROP_OLDEST);
  es_fixture_replace (f, b, TRUE);
  bm = es_event_system_get_buffer_manager (f->sys);
  g_assert_cmpuint (es_buffer_manager_get_limit_bytes (bm), ==, limit);

  sub = es_test_new_subscriber (f, type);
  pub = es_test_new_publisher (f, type);
  for (gsize i = 0; i < sizeof packet->data; i++)
    packet->data[i] = (guint8) (i * 7);

  /* After the static ring (preallocated, capacity slots) exists. */
  rss_start = read_rss_bytes ();

  for (guint64 i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      packet->counter = i;
      if (zero_copy)
        {
          /* A fresh 10 KiB buffer each time, as a media pipeline would. */
          g_autoptr(GBytes) bytes = g_bytes_new (packet, sizeof *packet);
          g_autoptr(EsEvent) event = es_event_new_bytes (G_TYPE_BYTES, bytes);

          g_assert_true (es_publisher_publish (pub, event, NULL, &error));
        }
      else
        g_assert_true (es_publisher_publish_data (pub, packet, sizeof *packet, NULL, &error));
      g_assert_no_error (error);

      if ((i + 1) % 1000 == 0)
        {
          guint64 buffered = es_buffer_manager_get_buffered_bytes (bm);

          if (buffered > limit)
            g_error ("after %" G_GUINT64_FORMAT " publishes %" G_GUINT64_FORMAT
                     " bytes are buffered, over the %" G_GUINT64_FORMAT " limit",
                     i + 1, buffered, limit);
          max_buffered = MAX (max_buffered, buffered);
        }
    }

  rss_end = read_rss_bytes ();
  /* The static fast path's ring may be touched lazily: allow for it. */
  allowed = limit + RSS_MARGIN + (zero_copy ? 0 : (guint64) capacity * (BIG_SIZE + 128));
  g_test_message ("%s: %u x %d bytes published; at most %" G_GUINT64_FORMAT " bytes buffered; "
                  "RSS %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " KiB (growth allowed: %"
                  G_GUINT64_FORMAT " KiB)",
                  es_test_impl_name (f->impl), n, BIG_SIZE, max_buffered,
                  rss_start / 1024, rss_end / 1024, allowed / 1024);

  g_assert_cmpuint (es_buffer_manager_get_buffered_bytes (bm), <=, limit);
  g_assert_cmpfloat (es_buffer_manager_get_utilization (bm), <=, 1.0);
  /* The global limit, not the queue, is what held it back: fewer than
   * capacity events are queued, and the rest was dropped. */
  depth = es_subscriber_get_queue_depth (sub);
  g_assert_cmpuint (depth, >, 0);
  g_assert_cmpuint (depth, <, capacity);
  g_assert_cmpuint (depth * BIG_SIZE, <=, limit);
  g_assert_cmpuint (es_buffer_manager_get_buffered_events (bm), ==, depth);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, n);
  g_assert_cmpuint (es_subscriber_get_published_count (sub), ==, n);
  g_assert_cmpuint (es_subscriber_get_dropped_count (sub), ==, n - depth);
  es_test_assert_accounting (sub);

  if (rss_is_meaningful () && rss_start != 0 && rss_end != 0)
    {
      if (rss_end > rss_start + allowed)
        g_error ("RSS grew by %" G_GUINT64_FORMAT " KiB, more than the %" G_GUINT64_FORMAT
                 " KiB allowed", (rss_end - rss_start) / 1024, allowed / 1024);
    }
  else
    g_test_message ("RSS not checked (sanitizer, valgrind or scaled-down run)");

  /* What is left is the newest, in order, and receiving it frees it all. */
  {
    guint64 expected = n - depth;

    for (guint64 i = 0; i < depth; i++)
      {
        g_autoptr(GError) error = NULL;

        if (zero_copy)
          {
            g_autoptr(EsEvent) event = es_subscriber_receive_timeout (sub, HANG, NULL, &error);
            GBytes *bytes;
            const EsTestBigPacket *got;

            g_assert_no_error (error);
            bytes = es_event_get_bytes (event);
            g_assert_nonnull (bytes);
            g_assert_cmpuint (g_bytes_get_size (bytes), ==, BIG_SIZE);
            got = g_bytes_get_data (bytes, NULL);
            g_assert_cmpuint (got->counter, ==, expected);
          }
        else
          {
            g_assert_true (es_subscriber_receive_data (sub, packet, sizeof *packet, HANG, NULL, &error));
            g_assert_no_error (error);
            g_assert_cmpuint (packet->counter, ==, expected);
          }
        expected++;
      }
  }
  g_assert_cmpuint (es_buffer_manager_get_buffered_bytes (bm), ==, 0);
  g_assert_cmpuint (es_buffer_manager_get_buffered_events (bm), ==, 0);
  es_test_assert_accounting (sub);
}

/* --- 5. shutdown while publishers are blocked ---------------------------- */

typedef struct {
  EsPublisher *pub;            /* owned */
  guint32      id;
  guint64      n;              /* how many to publish at most */
  GThread     *thread;
  gint         done;           /* atomic */
  /* Thread-owned until joined. */
  guint64      published;
  GError      *error;
} BlockedPub;

static gpointer
blocked_publisher_thread (gpointer user_data)
{
  BlockedPub *bp = user_data;

  /* Until done or it fails; it blocks when the queues are full. */
  for (guint64 i = 0; i < bp->n; i++)
    {
      if (!publish_packet (bp->pub, bp->id, i, &bp->error))
        break;
      bp->published++;
    }
  g_atomic_int_set (&bp->done, 1);
  return NULL;
}

static gboolean
all_blocked (BlockedPub *pubs)
{
  for (guint p = 0; p < N_PUB; p++)
    if (es_publisher_get_backpressure_state (pubs[p].pub) != ES_BACKPRESSURE_STATE_BLOCKED)
      return FALSE;
  return TRUE;
}

static gboolean
all_done (BlockedPub *pubs)
{
  for (guint p = 0; p < N_PUB; p++)
    if (!g_atomic_int_get (&pubs[p].done))
      return FALSE;
  return TRUE;
}

static void
test_shutdown_blocked (EsFixture     *f,
                       gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  const guint capacity = 16;
  BlockedPub pubs[N_PUB];
  EsSubscriber *subs[N_SUB];
  guint64 total = 0;

  g_test_summary ("BLOCK without a timeout: shutting down while 4 publishers are blocked on 3 "
                  "subscribers that do not receive wakes every publisher with ES_ERROR_SHUT_DOWN; "
                  "the subscribers then drain everything queued, in order, and the books balance");

  es_event_system_builder_set_channel_capacity (b, capacity);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_BLOCK);
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);

  for (guint i = 0; i < N_SUB; i++)
    subs[i] = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  for (guint p = 0; p < N_PUB; p++)
    pubs[p] = (BlockedPub) { es_test_new_publisher (f, ES_TEST_TYPE_PACKET), p, G_MAXUINT32, NULL, 0, 0, NULL };
  for (guint p = 0; p < N_PUB; p++)
    pubs[p].thread = g_thread_new ("blocked-pub", blocked_publisher_thread, &pubs[p]);

  ES_TEST_WAIT_UNTIL (all_blocked (pubs), ES_TEST_HANG_SECONDS);
  /* Blocked is blocked: nobody gets through while nobody receives. */
  g_usleep (10 * 1000);
  g_assert_true (all_blocked (pubs));
  g_assert_false (all_done (pubs));

  g_assert_true (es_event_system_shutdown (f->sys, NULL));

  /* Promptly, i.e. without hanging. */
  ES_TEST_WAIT_UNTIL (all_done (pubs), ES_TEST_HANG_SECONDS);
  for (guint p = 0; p < N_PUB; p++)
    {
      g_thread_join (pubs[p].thread);
      g_assert_error (pubs[p].error, ES_ERROR, ES_ERROR_SHUT_DOWN);
      g_clear_error (&pubs[p].error);
      /* Its publish returned: it is not blocked any more (LIBRARY-BUGS.md #5, fixed). */
      g_assert_cmpint (es_publisher_get_backpressure_state (pubs[p].pub), !=, ES_BACKPRESSURE_STATE_BLOCKED);
      g_assert_cmpuint (es_publisher_get_published_count (pubs[p].pub), ==, pubs[p].published);
      g_assert_cmpuint (es_publisher_get_rejected_count (pubs[p].pub), ==, 0);
      total += pubs[p].published;
    }
  /* All or nothing and lossless: the queues were full, and no more. */
  g_assert_cmpuint (total, ==, capacity);

  /* And publishing now fails at once. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (publish_packet (pubs[0].pub, 0, G_MAXUINT32, &error));
    g_assert_error (error, ES_ERROR, ES_ERROR_SHUT_DOWN);
  }

  /* The subscribers drain what was queued, in per-publisher order, then
   * reach the end of the stream. */
  for (guint i = 0; i < N_SUB; i++)
    {
      guint64 next[N_PUB] = { 0 };
      guint64 received = 0;

      for (;;)
        {
          g_autoptr(GError) error = NULL;
          EsTestPacket packet;

          if (!es_subscriber_receive_data (subs[i], &packet, sizeof packet, HANG, NULL, &error))
            {
              g_assert_error (error, ES_ERROR, ES_ERROR_CLOSED);
              break;
            }
          g_assert_true (es_test_packet_check (&packet));
          g_assert_cmpuint (packet.publisher, <, N_PUB);
          g_assert_cmpuint (packet.counter, ==, next[packet.publisher]);
          next[packet.publisher]++;
          received++;
        }
      for (guint p = 0; p < N_PUB; p++)
        g_assert_cmpuint (next[p], ==, pubs[p].published);
      g_assert_cmpuint (received, ==, total);
      g_assert_true (es_subscriber_is_closed (subs[i]));
      g_assert_cmpuint (es_subscriber_get_published_count (subs[i]), ==, total);
      g_assert_cmpuint (es_subscriber_get_dropped_count (subs[i]), ==, 0);
      g_assert_cmpuint (es_subscriber_get_queue_depth (subs[i]), ==, 0);
      es_test_assert_accounting (subs[i]);
    }

  for (guint p = 0; p < N_PUB; p++)
    g_clear_object (&pubs[p].pub);
  for (guint i = 0; i < N_SUB; i++)
    g_clear_object (&subs[i]);
}

/* --- 6. unsubscribing releases blocked publishers ------------------------ */

typedef struct {
  EsSubscriber *sub;
  guint64       expected;
  /* Thread-owned until joined. */
  guint64       next[N_PUB];
  guint64       received;
} ActiveReceiver;

static gpointer
active_receiver_thread (gpointer user_data)
{
  ActiveReceiver *ar = user_data;

  while (ar->received < ar->expected)
    {
      g_autoptr(GError) error = NULL;
      EsTestPacket packet;

      g_assert_true (es_subscriber_receive_data (ar->sub, &packet, sizeof packet, HANG, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (es_test_packet_check (&packet));
      g_assert_cmpuint (packet.publisher, <, N_PUB);
      g_assert_cmpuint (packet.counter, ==, ar->next[packet.publisher]);
      ar->next[packet.publisher]++;
      ar->received++;
    }
  return NULL;
}

static void
test_unsubscribe_releases_blocked (EsFixture     *f,
                                   gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  const guint capacity = 16;
  const guint64 n = es_test_scaled (2000, 4 * capacity);
  BlockedPub pubs[N_PUB];
  EsSubscriber *stalled[2];
  ActiveReceiver ar = { NULL, (guint64) N_PUB * n, { 0 }, 0 };
  GThread *receiver;

  g_test_summary ("BLOCK without a timeout: 4 publishers blocked on two subscribers that never "
                  "receive are released only once both are unsubscribed; a third subscriber "
                  "receiving all along gets every event in per-publisher order");

  es_event_system_builder_set_channel_capacity (b, capacity);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_BLOCK);
  es_event_system_builder_set_default_timeout (b, -1);
  es_fixture_replace (f, b, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (stalled); i++)
    stalled[i] = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  ar.sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  for (guint p = 0; p < N_PUB; p++)
    pubs[p] = (BlockedPub) { es_test_new_publisher (f, ES_TEST_TYPE_PACKET), p, n, NULL, 0, 0, NULL };

  receiver = g_thread_new ("active-receiver", active_receiver_thread, &ar);
  for (guint p = 0; p < N_PUB; p++)
    pubs[p].thread = g_thread_new ("blocked-pub", blocked_publisher_thread, &pubs[p]);

  ES_TEST_WAIT_UNTIL (all_blocked (pubs), ES_TEST_HANG_SECONDS);

  /* One of the two unsubscribed: the other is still full, so nothing more
   * gets through. */
  es_subscriber_unsubscribe (stalled[0]);
  g_usleep (10 * 1000);
  g_assert_false (all_done (pubs));
  g_assert_cmpuint (es_subscriber_get_published_count (stalled[1]), ==, capacity);

  /* Both: the publishers run to the end. */
  es_subscriber_unsubscribe (stalled[1]);
  ES_TEST_WAIT_UNTIL (all_done (pubs), ES_TEST_HANG_SECONDS);
  for (guint p = 0; p < N_PUB; p++)
    {
      g_thread_join (pubs[p].thread);
      g_assert_no_error (pubs[p].error);
      g_assert_cmpuint (pubs[p].published, ==, n);
      g_assert_cmpuint (es_publisher_get_published_count (pubs[p].pub), ==, n);
      /* The last publish went through without waiting. */
      g_assert_cmpint (es_publisher_get_backpressure_state (pubs[p].pub), ==, ES_BACKPRESSURE_STATE_NORMAL);
    }
  g_thread_join (receiver);

  for (guint p = 0; p < N_PUB; p++)
    g_assert_cmpuint (ar.next[p], ==, n);
  g_assert_cmpuint (es_subscriber_get_published_count (ar.sub), ==, (guint64) N_PUB * n);
  g_assert_cmpuint (es_subscriber_get_dropped_count (ar.sub), ==, 0);
  es_test_assert_accounting (ar.sub);

  /* The unsubscribed ones got the first queue's worth, discarded it on
   * unsubscribing (counted as dropped), and are closed. */
  for (guint i = 0; i < G_N_ELEMENTS (stalled); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EsEvent) event = es_subscriber_try_receive (stalled[i], &error);

      g_assert_null (event);
      g_assert_error (error, ES_ERROR, ES_ERROR_CLOSED);
      g_assert_true (es_subscriber_is_closed (stalled[i]));
      g_assert_cmpuint (es_subscriber_get_published_count (stalled[i]), ==, capacity);
      g_assert_cmpuint (es_subscriber_get_dropped_count (stalled[i]), ==, capacity);
      es_test_assert_accounting (stalled[i]);
    }

  for (guint p = 0; p < N_PUB; p++)
    g_clear_object (&pubs[p].pub);
  for (guint i = 0; i < G_N_ELEMENTS (stalled); i++)
    g_clear_object (&stalled[i]);
  g_clear_object (&ar.sub);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Backpressure/hammer/block", test_hammer_block);
  es_test_add ("Backpressure/hammer/drop-oldest", test_hammer_drop_oldest);
  es_test_add ("Backpressure/hammer/drop-newest", test_hammer_drop_newest);
  es_test_add ("Backpressure/hammer/custom", test_hammer_custom);
  es_test_add ("Backpressure/hammer/one-lane", test_hammer_one_lane);
  es_test_add ("Backpressure/adaptive-burst", test_adaptive_burst);
  es_test_add ("Backpressure/watermark-signal", test_watermark_signal);
  es_test_add ("Backpressure/memory-bound", test_memory_bound);
  es_test_add ("Backpressure/shutdown-blocked", test_shutdown_blocked);
  es_test_add ("Backpressure/unsubscribe-releases-blocked", test_unsubscribe_releases_blocked);

  return g_test_run ();
}
