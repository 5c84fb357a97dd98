/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * es-bench: the run harness shared by every contender — sequence checking,
 * start barrier, watchdog, pacing (W6), flow control for unbounded peers and
 * turning what the threads recorded into a BenchResult.
 */
#include "es-bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Checker                                                                 */

void
bench_checker_init (BenchChecker *c, const BenchParams *p)
{
  memset (c, 0, sizeof *c);
  c->n_pub = p->n_pub;
  c->per_pub = p->events_per_pub;
  c->expected = (guint64) p->n_pub * p->events_per_pub;
  c->latency = p->latency;
  if (c->latency)
    c->lat_ns = g_new0 (guint32, c->expected);
}

void
bench_checker_clear (BenchChecker *c)
{
  g_clear_pointer (&c->first_error, g_free);
  g_clear_pointer (&c->lat_ns, g_free);
}

void
bench_checker_fail (BenchChecker *c, const char *format, ...)
{
  va_list args;

  c->errors++;
  if (c->first_error != NULL)
    return;
  va_start (args, format);
  c->first_error = g_strdup_vprintf (format, args);
  va_end (args);
}

void
bench_checker_mismatch (BenchChecker *c, guint32 pub, guint64 seq, const guint64 *trailer)
{
  if (pub >= c->n_pub)
    {
      bench_checker_fail (c, "event %" G_GUINT64_FORMAT " from unknown publisher %u "
                          "(after %" G_GUINT64_FORMAT " good events)", seq, pub, c->received);
      return;
    }
  if (seq != c->next[pub])
    {
      bench_checker_fail (c, "publisher %u: got sequence %" G_GUINT64_FORMAT ", expected %"
                          G_GUINT64_FORMAT " (%s)", pub, seq, c->next[pub],
                          seq > c->next[pub] ? "gap: events lost" :
                          "duplicate or reordered");
      /* Resynchronise so one loss is reported once, not for every later event. */
      if (seq > c->next[pub])
        c->next[pub] = seq + 1;
      return;
    }
  bench_checker_fail (c, "publisher %u sequence %" G_GUINT64_FORMAT ": payload trailer holds %"
                      G_GUINT64_FORMAT " (corrupt or truncated payload)", pub, seq,
                      trailer ? *trailer : 0);
  c->next[pub] = seq + 1;
}

void
bench_checker_latency (BenchChecker *c, const BenchEvent *ev)
{
  gint64 now = bench_now_ns ();
  gint64 lat = now - ev->stamp_ns;

  if (c->received < c->expected)
    c->lat_ns[c->received] = (guint32) CLAMP (lat, 0, G_MAXUINT32);

  if (c->received == 0)
    {
      c->cpu_first = bench_thread_cpu_ns ();
      c->wall_first = now;
    }
  if (c->per_pub >= 3 && ev->seq == c->per_pub - 2)
    {
      c->cpu_busy = bench_thread_cpu_ns ();
      c->wall_busy = now;
    }
  else if (c->per_pub >= 3 && ev->seq == c->per_pub - 1)
    {
      c->cpu_idle = bench_thread_cpu_ns ();
      c->wall_idle = now;
    }
}

gboolean
bench_checker_verify (BenchChecker *c, GString *why)
{
  gboolean ok = TRUE;

  if (c->errors > 0)
    {
      g_string_append_printf (why, "%s%s (%" G_GUINT64_FORMAT " bad event(s))",
                              why->len ? "; " : "", c->first_error, c->errors);
      ok = FALSE;
    }
  if (c->received != c->expected)
    {
      g_string_append_printf (why, "%sreceived %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " events",
                              why->len ? "; " : "", c->received, c->expected);
      ok = FALSE;
    }
  else if (c->errors == 0)
    {
      for (guint i = 0; i < c->n_pub; i++)
        if (c->next[i] != c->per_pub)
          {
            g_string_append_printf (why, "%spublisher %u: last sequence %" G_GUINT64_FORMAT
                                    ", expected %" G_GUINT64_FORMAT, why->len ? "; " : "",
                                    i, c->next[i], c->per_pub);
            ok = FALSE;
            break;
          }
    }
  return ok;
}

/* ---------------------------------------------------------------------- */
/* Run                                                                     */

void
bench_run_init (BenchRun *run, const BenchParams *p)
{
  memset (run, 0, sizeof *run);
  run->p = p;
  g_mutex_init (&run->lock);
  g_cond_init (&run->cond);
  atomic_init (&run->aborted, FALSE);
  for (guint s = 0; s < MAX (p->n_sub, 1); s++)
    bench_checker_init (&run->checkers[s], p);
}

void
bench_run_clear (BenchRun *run)
{
  for (guint s = 0; s < BENCH_MAX_SUB; s++)
    bench_checker_clear (&run->checkers[s]);
  g_clear_pointer (&run->error, g_free);
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_mutex_clear (&run->lock);
  g_cond_clear (&run->cond);
}

static void
bench_run_abort (BenchRun *run)
{
  if (atomic_exchange (&run->aborted, TRUE))
    return;
  if (run->abort)
    run->abort (run);
}

void
bench_run_fail (BenchRun *run, const char *format, ...)
{
  va_list args;
  char *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);

  g_mutex_lock (&run->lock);
  if (run->error == NULL)
    run->error = g_steal_pointer (&msg);
  g_mutex_unlock (&run->lock);
  g_free (msg);

  bench_run_abort (run);
}

gint64
bench_run_wait_start (BenchRun *run)
{
  gint64 t;

  g_mutex_lock (&run->lock);
  run->ready++;
  g_cond_broadcast (&run->cond);
  while (!run->go)
    g_cond_wait (&run->cond, &run->lock);
  t = run->t_start_ns;
  g_mutex_unlock (&run->lock);
  return t;
}

typedef struct {
  BenchRun *run;
  guint     index;
  gboolean  is_publisher;
} ThreadArgs;

static gpointer
bench_thread (gpointer data)
{
  ThreadArgs *a = data;
  BenchRun *run = a->run;

  bench_alloc_set_role (a->is_publisher ? BENCH_ROLE_PUBLISHER : BENCH_ROLE_CONSUMER);
  if (run->p->latency)
    prctl (PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  /* 1 µs: pace at 10 µs intervals */

  bench_run_wait_start (run);

  if (a->is_publisher)
    run->publisher (run, a->index);
  else
    {
      run->consumer (run, a->index);
      run->checkers[a->index].finish_ns = bench_now_ns ();
    }

  g_mutex_lock (&run->lock);
  run->finished++;
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);

  bench_alloc_set_role (BENCH_ROLE_OTHER);
  return NULL;
}

static void
bench_run_release (BenchRun *run, guint n_threads)
{
  g_mutex_lock (&run->lock);
  while (run->ready < n_threads)
    g_cond_wait (&run->cond, &run->lock);
  if (run->p->count_allocs)
    bench_alloc_start ();
  run->t_start_ns = bench_now_ns ();
  run->go = TRUE;
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
}

static int
cmp_u32 (const void *a, const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return (x > y) - (x < y);
}

static void
bench_run_collect (BenchRun *run, BenchResult *r, guint64 alloc_counts[BENCH_N_ROLES])
{
  const BenchParams *p = run->p;
  GString *why = g_string_new (NULL);
  gint64 t_end = run->t_start_ns;
  gboolean ok = TRUE;
  guint n_sub = MAX (p->n_sub, 1);

  if (run->error != NULL)
    {
      g_string_append (why, run->error);
      ok = FALSE;
    }
  if (bench_run_aborted (run) && run->error == NULL)
    {
      g_string_append_printf (why, "timed out after %.1f s",
                              p->timeout_us / (double) G_USEC_PER_SEC);
      ok = FALSE;
    }

  r->published = (guint64) p->n_pub * p->events_per_pub;
  r->delivered = 0;
  for (guint s = 0; s < n_sub; s++)
    {
      BenchChecker *c = &run->checkers[s];
      GString *w = g_string_new (NULL);

      if (!bench_checker_verify (c, w))
        {
          g_string_append_printf (why, "%ssubscriber %u: %s", why->len ? "; " : "", s, w->str);
          ok = FALSE;
        }
      g_string_free (w, TRUE);
      r->delivered += c->received;
      t_end = MAX (t_end, c->finish_ns);
    }

  r->ok = ok;
  r->seconds = (t_end - run->t_start_ns) / 1e9;
  r->rate = r->seconds > 0 ? r->published / r->seconds : 0;
  if (!ok)
    r->error = g_string_free (why, FALSE);
  else
    g_string_free (why, TRUE);

  if (p->latency && ok)
    {
      BenchChecker *c = &run->checkers[0];
      guint64 n = c->received;

      /* W6 has one subscriber; the last event (after the idle gap) is excluded. */
      if (n > 1)
        {
          n--;
          qsort (c->lat_ns, n, sizeof (guint32), cmp_u32);
          r->p50_us = c->lat_ns[(guint64) (n * 0.50)] / 1000.0;
          r->p99_us = c->lat_ns[MIN ((guint64) (n * 0.99), n - 1)] / 1000.0;
          r->p999_us = c->lat_ns[MIN ((guint64) (n * 0.999), n - 1)] / 1000.0;
          r->max_us = c->lat_ns[n - 1] / 1000.0;
        }
      if (c->wall_busy > c->wall_first)
        r->load_cpu = (c->cpu_busy - c->cpu_first) / (double) (c->wall_busy - c->wall_first);
      if (c->wall_idle > c->wall_busy)
        r->idle_cpu = (c->cpu_idle - c->cpu_busy) / (double) (c->wall_idle - c->wall_busy);
    }

  if (p->count_allocs && alloc_counts != NULL && r->published > 0)
    {
      r->allocs_pub = alloc_counts[BENCH_ROLE_PUBLISHER] / (double) r->published;
      r->allocs_sub = r->delivered ? alloc_counts[BENCH_ROLE_CONSUMER] / (double) r->delivered : 0;
      r->allocs_other = alloc_counts[BENCH_ROLE_OTHER] / (double) r->published;
    }
}

/* Waits for @n_threads to finish; on timeout aborts the run and waits a grace
 * period. A contender that ignores its abort hook hangs the benchmark: that is
 * reported and the process exits rather than waiting forever. */
static void
bench_run_watch (BenchRun *run, guint n_threads)
{
  gint64 deadline = g_get_monotonic_time () + run->p->timeout_us;
  gboolean aborted = FALSE;

  g_mutex_lock (&run->lock);
  while (run->finished < n_threads)
    {
      if (!g_cond_wait_until (&run->cond, &run->lock, deadline) && run->finished < n_threads)
        {
          if (aborted)
            {
              g_mutex_unlock (&run->lock);
              fprintf (stderr, "es-bench: FATAL: a contender did not stop 10 s after its "
                       "run was aborted (%u of %u threads finished); giving up\n",
                       run->finished, n_threads);
              fflush (stdout);
              _exit (3);
            }
          g_mutex_unlock (&run->lock);
          bench_run_abort (run);
          g_mutex_lock (&run->lock);
          aborted = TRUE;
          deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
        }
    }
  g_mutex_unlock (&run->lock);
}

void
bench_run_threads (BenchRun *run, BenchResult *r)
{
  const BenchParams *p = run->p;
  guint n_threads = p->n_pub + p->n_sub;
  GThread *threads[BENCH_MAX_PUB + BENCH_MAX_SUB];
  ThreadArgs args[BENCH_MAX_PUB + BENCH_MAX_SUB];
  guint64 counts[BENCH_N_ROLES] = { 0 };
  guint t = 0;

  g_assert (p->n_pub <= BENCH_MAX_PUB && p->n_sub <= BENCH_MAX_SUB);

  for (guint s = 0; s < p->n_sub; s++, t++)
    {
      args[t] = (ThreadArgs) { run, s, FALSE };
      threads[t] = g_thread_new ("bench-sub", bench_thread, &args[t]);
    }
  for (guint i = 0; i < p->n_pub; i++, t++)
    {
      args[t] = (ThreadArgs) { run, i, TRUE };
      threads[t] = g_thread_new ("bench-pub", bench_thread, &args[t]);
    }

  bench_run_release (run, n_threads);
  bench_run_watch (run, n_threads);

  for (t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);

  if (p->count_allocs)
    bench_alloc_stop (counts);

  bench_run_collect (run, r, counts);
}

/* ---------------------------------------------------------------------- */
/* Main-loop mode (W4)                                                     */

static gboolean
bench_mainloop_watchdog (gpointer data)
{
  BenchRun *run = data;

  bench_run_abort (run);
  if (run->loop)
    g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

void
bench_run_mainloop_consumer_done (BenchRun *run)
{
  run->checkers[run->consumers_done].finish_ns = bench_now_ns ();
  run->consumers_done++;
  if (run->consumers_done >= MAX (run->p->n_sub, 1))
    g_main_loop_quit (run->loop);
}

void
bench_run_mainloop (BenchRun *run, BenchResult *r)
{
  const BenchParams *p = run->p;
  GThread *threads[BENCH_MAX_PUB];
  ThreadArgs args[BENCH_MAX_PUB];
  guint64 counts[BENCH_N_ROLES] = { 0 };
  GSource *watchdog;

  g_assert (run->loop != NULL);
  g_assert (p->n_pub <= BENCH_MAX_PUB);

  for (guint i = 0; i < p->n_pub; i++)
    {
      args[i] = (ThreadArgs) { run, i, TRUE };
      threads[i] = g_thread_new ("bench-pub", bench_thread, &args[i]);
    }

  watchdog = g_timeout_source_new (p->timeout_us / 1000);
  g_source_set_callback (watchdog, bench_mainloop_watchdog, run, NULL);
  g_source_attach (watchdog, g_main_loop_get_context (run->loop));

  bench_alloc_set_role (BENCH_ROLE_CONSUMER);
  bench_run_release (run, p->n_pub);
  if (run->error == NULL)
    g_main_loop_run (run->loop);
  bench_alloc_set_role (BENCH_ROLE_OTHER);

  g_source_destroy (watchdog);
  g_source_unref (watchdog);

  /* If the consumer stopped early (watchdog or error) the publishers may be
   * blocked on a full queue: the abort hook must wake them. */
  if (run->consumers_done < MAX (p->n_sub, 1))
    bench_run_abort (run);
  bench_run_watch (run, p->n_pub);
  for (guint i = 0; i < p->n_pub; i++)
    g_thread_join (threads[i]);

  if (p->count_allocs)
    bench_alloc_stop (counts);

  bench_run_collect (run, r, counts);
}

/* ---------------------------------------------------------------------- */
/* Pacing and flow control                                                 */

void
bench_pacer_init (BenchPacer *pacer, BenchRun *run)
{
  const BenchParams *p = run->p;

  memset (pacer, 0, sizeof *pacer);
  if (p->rate > 0)
    {
      pacer->period_ns = G_GINT64_CONSTANT (1000000000) / p->rate;
      pacer->n = p->events_per_pub;
      pacer->idle_ms = p->idle_ms;
    }
}

gint64
bench_pacer_wait (BenchPacer *pacer, guint64 i)
{
  gint64 now = bench_now_ns ();
  gint64 due;

  if (pacer->t0 == 0)
    pacer->t0 = now;

  due = pacer->t0 + (gint64) i * pacer->period_ns;
  /* The last event follows an idle gap: the consumer's CPU use across the gap
   * shows whether it sleeps or spins while nothing arrives. */
  if (pacer->idle_ms > 0 && pacer->n >= 3 && i == pacer->n - 1)
    due = pacer->t0 + (gint64) (i - 1) * pacer->period_ns + (gint64) pacer->idle_ms * 1000000;

  if (now < due)
    {
      struct timespec ts = { due / 1000000000, due % 1000000000 };

      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
      now = bench_now_ns ();
    }
  return now;
}

void
bench_flow_control (BenchRun *run, guint64 published)
{
  const BenchParams *p = run->p;
  guint n_sub = MAX (p->n_sub, 1);
  /* Each publisher only knows its own count; with n_pub publishers running at
   * similar speeds the total is about published * n_pub. */
  guint64 total = published * p->n_pub;
  guint64 limit = (guint64) p->capacity * p->n_pub;

  while (!bench_run_aborted (run))
    {
      guint64 slowest = G_MAXUINT64;

      for (guint s = 0; s < n_sub; s++)
        slowest = MIN (slowest, atomic_load_explicit (&run->checkers[s].progress,
                                                      memory_order_relaxed));
      if (total <= slowest + limit)
        break;
      g_usleep (20);
    }
}

/* ---------------------------------------------------------------------- */
/* W5 buffer pool                                                          */

/* Each buffer is preceded by a header naming its pool, so a GDestroyNotify
 * with only the buffer pointer can return it. */
#define POOL_PREFIX BENCH_CACHELINE

struct _BenchBufPool {
  GMutex   lock;
  GCond    cond;
  guint8 **free_bufs;   /* protected by lock */
  guint    n_free;      /* protected by lock */
  guint    n_bufs;
  gsize    stride;
  guint8  *mem;
};

BenchBufPool *
bench_buf_pool_new (gsize buf_size, guint n_bufs)
{
  BenchBufPool *pool = g_new0 (BenchBufPool, 1);

  g_mutex_init (&pool->lock);
  g_cond_init (&pool->cond);
  pool->n_bufs = n_bufs;
  pool->stride = POOL_PREFIX + ((buf_size + BENCH_CACHELINE - 1) & ~(gsize) (BENCH_CACHELINE - 1));
  pool->mem = aligned_alloc (BENCH_CACHELINE, pool->stride * n_bufs);
  memset (pool->mem, 0, pool->stride * n_bufs);
  pool->free_bufs = g_new (guint8 *, n_bufs);
  for (guint i = 0; i < n_bufs; i++)
    {
      guint8 *b = pool->mem + i * pool->stride;

      *(BenchBufPool **) b = pool;
      pool->free_bufs[pool->n_free++] = b + POOL_PREFIX;
    }
  return pool;
}

void
bench_buf_pool_free (BenchBufPool *pool)
{
  if (pool->n_free != pool->n_bufs)
    g_printerr ("es-bench: %u payload buffer(s) not returned to the pool\n",
                pool->n_bufs - pool->n_free);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->cond);
  free (pool->mem);
  g_free (pool->free_bufs);
  g_free (pool);
}

guint8 *
bench_buf_pool_get (BenchBufPool *pool, BenchRun *run)
{
  guint8 *b = NULL;

  g_mutex_lock (&pool->lock);
  while (pool->n_free == 0)
    {
      if (bench_run_aborted (run))
        {
          g_mutex_unlock (&pool->lock);
          return NULL;
        }
      g_cond_wait_until (&pool->cond, &pool->lock, g_get_monotonic_time () + 10 * G_TIME_SPAN_MILLISECOND);
    }
  b = pool->free_bufs[--pool->n_free];
  g_mutex_unlock (&pool->lock);
  return b;
}

void
bench_buf_pool_release (gpointer buf)
{
  BenchBufPool *pool = *(BenchBufPool **) ((guint8 *) buf - POOL_PREFIX);

  g_mutex_lock (&pool->lock);
  pool->free_bufs[pool->n_free++] = buf;
  if (pool->n_free == 1)
    g_cond_signal (&pool->cond);
  g_mutex_unlock (&pool->lock);
}
