/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
# include <linux/futex.h>
# include <linux/membarrier.h>
# include <sys/syscall.h>
#endif

#include "es-wait-private.h"

atomic_int es_membarrier_registered = 0;
void (*es_wait_fence_hook) (EsWaitQueue *q) = NULL;

static gpointer
register_membarrier (gpointer data)
{
#ifdef __linux__
  /* Registration lets MEMBARRIER_CMD_PRIVATE_EXPEDITED IPI only the CPUs
   * running our threads. Valgrind and old kernels refuse: then fences. */
  if (syscall (SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
    atomic_store (&es_membarrier_registered, 1);
#endif
  g_debug ("membarrier %s", atomic_load (&es_membarrier_registered) ? "registered" : "unavailable: using fences");
  return NULL;
}

void
es_heavy_barrier (void)
{
#ifdef __linux__
  if (atomic_load_explicit (&es_membarrier_registered, memory_order_relaxed))
    {
      /* Registered: the light side relies on it, a fence would not pair.
       * The kernel fails this only for an unregistered process. */
      while (syscall (SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
        {
          if (errno != EINTR && errno != EAGAIN)
            g_error ("membarrier(PRIVATE_EXPEDITED) failed after registration: %s", g_strerror (errno));
        }
      return;
    }
#endif
  atomic_thread_fence (memory_order_seq_cst);
}

void
es_wait_queue_init (EsWaitQueue *q)
{
  static GOnce once = G_ONCE_INIT;

  /* Before any queue exists: no notifier can run before registration. */
  g_once (&once, register_membarrier, NULL);

  atomic_init (&q->seq, 0);
  atomic_init (&q->sleepers, 0);
  atomic_init (&q->armed_sources, 0);
  atomic_init (&q->sleeps, 0);
  atomic_init (&q->last_sleep_us, 0);
  atomic_init (&q->fenced_notifies, 0);
  atomic_init (&q->sleeps_seen, 0);
  pthread_mutex_init (&q->lock, NULL);
  q->sources = g_ptr_array_new ();
}

void
es_wait_queue_clear (EsWaitQueue *q)
{
  /* Sources still registered hold a reference on the object that owns the
   * queue, so none can be left when the queue is cleared. */
  g_warn_if_fail (q->sources->len == 0);
  g_clear_pointer (&q->sources, g_ptr_array_unref);
  pthread_mutex_destroy (&q->lock);
}

/* Sleeps closer together than this switch a queue to fenced mode: a
 * process-wide barrier costs microseconds (IPIs, in a VM exits), a fence
 * per notify tens of nanoseconds. */
#define FENCED_SLEEP_GAP_USEC 1000

guint
es_wait_queue_prepare (EsWaitQueue *q)
{
  guint key, old;

  if (atomic_load_explicit (&es_membarrier_registered, memory_order_relaxed))
    {
      gint64 now = g_get_monotonic_time ();
      gint64 last = atomic_exchange_explicit (&q->last_sleep_us, now, memory_order_relaxed);

      atomic_fetch_add_explicit (&q->sleeps, 1, memory_order_relaxed);
      /* FENCE first; once the barrier has made it visible to every
       * notifier (each fences from its next notify on), TRUST. Only the
       * thread that set FENCE sets TRUST: the switch back needs both bits,
       * so FENCE cannot be cleared while that thread is in its barrier,
       * and TRUST is never left without FENCE. */
      if (now - last < FENCED_SLEEP_GAP_USEC &&
          !(atomic_load_explicit (&q->sleepers, memory_order_relaxed) & ES_WAIT_FENCE) &&
          !(atomic_fetch_or_explicit (&q->sleepers, ES_WAIT_FENCE, memory_order_seq_cst) & ES_WAIT_FENCE))
        {
          if (G_UNLIKELY (es_wait_fence_hook != NULL))
            es_wait_fence_hook (q);
          es_heavy_barrier ();
          atomic_fetch_or_explicit (&q->sleepers, ES_WAIT_TRUST, memory_order_seq_cst);
        }
    }

  /* The seq_cst RMW orders the registration before the caller's re-check of
   * its condition; the heavy barrier (or, in fenced mode, the notifiers'
   * fence) makes every notifier's earlier store visible to that re-check
   * (see the protocol in the header). TRUST can only be cleared while no
   * thread sleeps, so it holds until this sleeper is done. */
  old = atomic_fetch_add_explicit (&q->sleepers, 1, memory_order_seq_cst);
  key = atomic_load_explicit (&q->seq, memory_order_seq_cst);
  if (!(old & ES_WAIT_TRUST))
    es_heavy_barrier ();
  else
    atomic_thread_fence (memory_order_seq_cst);   /* C11 orders the re-check only after a fence */
  return key;
}

void
es_wait_queue_cancel (EsWaitQueue *q)
{
  atomic_fetch_sub_explicit (&q->sleepers, 1, memory_order_relaxed);
}

#ifdef __linux__
static void
futex_wait (atomic_uint *word, guint expected, const struct timespec *rel)
{
  syscall (SYS_futex, (unsigned int *) word, FUTEX_WAIT_PRIVATE, expected, rel, NULL, 0);
}

static void
futex_wake_all (atomic_uint *word)
{
  syscall (SYS_futex, (unsigned int *) word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}
#else
# error "eventsys needs a futex-like primitive; only Linux is supported for now"
#endif

gboolean
es_wait_queue_wait (EsWaitQueue *q,
                    guint        key,
                    gint64       deadline)
{
  gboolean in_time = TRUE;

  if (atomic_load_explicit (&q->seq, memory_order_acquire) == key)
    {
      if (deadline < 0)
        futex_wait (&q->seq, key, NULL);
      else
        {
          gint64 now = g_get_monotonic_time ();

          if (now >= deadline)
            in_time = FALSE;
          else
            {
              struct timespec rel;
              gint64 left = deadline - now;

              rel.tv_sec = left / G_USEC_PER_SEC;
              rel.tv_nsec = (left % G_USEC_PER_SEC) * 1000;
              futex_wait (&q->seq, key, &rel);
              in_time = g_get_monotonic_time () < deadline;
            }
        }
    }

  atomic_fetch_sub_explicit (&q->sleepers, 1, memory_order_relaxed);
  return in_time;
}

static void
wake_sources_locked (EsWaitQueue *q,
                     gboolean     all)
{
  for (guint i = 0; i < q->sources->len; i++)
    {
      EsWaitSource *ws = g_ptr_array_index (q->sources, i);

      if (atomic_exchange_explicit (&ws->armed, 0, memory_order_acq_rel) == 1)
        atomic_fetch_sub_explicit (&q->armed_sources, 1, memory_order_relaxed);
      else if (!all)
        continue;
      /* Thread-safe; wakes the source's context once however many events
       * arrive before it runs. */
      g_source_set_ready_time ((GSource *) ws, 0);
    }
}

/* Fenced mode, every ES_WAIT_FENCED_LOOK_EVERY notifies: back to the barrier
 * protocol if fewer than ES_WAIT_FENCED_MIN_SLEEPS sleeps came since the last
 * look. */
static void
fenced_look (EsWaitQueue *q)
{
  guint n = atomic_load_explicit (&q->fenced_notifies, memory_order_relaxed) + 1;
  guint sleeps;

  atomic_store_explicit (&q->fenced_notifies, n, memory_order_relaxed);
  if (n % ES_WAIT_FENCED_LOOK_EVERY != 0)
    return;

  sleeps = atomic_load_explicit (&q->sleeps, memory_order_relaxed);
  if (sleeps - atomic_exchange_explicit (&q->sleeps_seen, sleeps, memory_order_relaxed) < ES_WAIT_FENCED_MIN_SLEEPS)
    {
      guint expected = ES_WAIT_FENCE | ES_WAIT_TRUST;

      /* Only with no sleeper registered: each trusts the mode until it is
       * done. A sleeper that registers afterwards sees no TRUST and uses
       * the barrier; a notifier that still sees FENCE just fences. */
      atomic_compare_exchange_strong_explicit (&q->sleepers, &expected, 0,
                                               memory_order_seq_cst, memory_order_relaxed);
    }
}

atomic_int es_cpus_crowded;

/* How often es_cpus_sample() reads /proc/loadavg at most. */
#define CPUS_SAMPLE_USEC 10000

void
es_cpus_sample (void)
{
  static atomic_int_least64_t sampled_at;
  gint64 now = g_get_monotonic_time ();
  gint64 last = atomic_load_explicit (&sampled_at, memory_order_relaxed);
  char buf[128];
  const char *p;
  ssize_t n;
  int fd;

  if (now - last < CPUS_SAMPLE_USEC ||
      !atomic_compare_exchange_strong_explicit (&sampled_at, &last, now,
                                                memory_order_relaxed, memory_order_relaxed))
    return;

  /* Opened each time: a descriptor kept open could be closed under us by
   * a program that closes all of its descriptors, and then reused. */
  fd = open ("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return;
  buf[n] = '\0';

  /* "0.52 0.58 0.59 3/217 12345": runnable / all threads, machine-wide
   * (this one included). */
  p = strchr (buf, '/');
  if (p == NULL)
    return;
  while (p > buf && p[-1] != ' ')
    p--;
  atomic_store_explicit (&es_cpus_crowded,
                         g_ascii_strtoull (p, NULL, 10) > (guint64) g_get_num_processors (),
                         memory_order_relaxed);
}

static gint64
monotonic_nsec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

guint
es_cpu_relax_count (guint nsec)
{
  /* Picoseconds per es_cpu_relax(), + 1 once measured. */
  static gsize pause_psec;

  if (g_once_init_enter (&pause_psec))
    {
      gint64 best = G_MAXINT64;

      /* The fastest of three runs: a run the thread was preempted in (or
       * that took a clock read's miss) only reads longer. */
      for (guint run = 0; run < 3; run++)
        {
          gint64 start = monotonic_nsec (), took;

          for (guint i = 0; i < 256; i++)
            es_cpu_relax ();
          took = monotonic_nsec () - start;
          best = MIN (best, took);
        }
      g_once_init_leave (&pause_psec, (gsize) MAX (best, 0) * 1000 / 256 + 1);
    }

  return (guint) CLAMP ((guint64) nsec * 1000 / pause_psec, 1, 4096);
}

void
es_wait_queue_notify_slow (EsWaitQueue *q)
{
  guint sleepers = atomic_load_explicit (&q->sleepers, memory_order_relaxed);

  if (sleepers & ES_WAIT_FENCE)
    {
      /* Fenced mode: the sleepers that trust it did not issue the barrier;
       * order this notifier's store before reading their count. */
      atomic_thread_fence (memory_order_seq_cst);
      sleepers = atomic_load_explicit (&q->sleepers, memory_order_relaxed);
      fenced_look (q);
    }

  if ((sleepers & ES_WAIT_SLEEPER_MASK) > 0)
    {
      atomic_fetch_add_explicit (&q->seq, 1, memory_order_release);
      futex_wake_all (&q->seq);
    }

  if (atomic_load_explicit (&q->armed_sources, memory_order_relaxed) > 0)
    {
      pthread_mutex_lock (&q->lock);
      wake_sources_locked (q, FALSE);
      pthread_mutex_unlock (&q->lock);
    }
}

void
es_wait_queue_wake_all (EsWaitQueue *q)
{
  atomic_fetch_add_explicit (&q->seq, 1, memory_order_seq_cst);
  futex_wake_all (&q->seq);

  pthread_mutex_lock (&q->lock);
  wake_sources_locked (q, TRUE);
  pthread_mutex_unlock (&q->lock);
}

static void
es_wait_source_disarm (EsWaitSource *ws)
{
  if (atomic_exchange_explicit (&ws->armed, 0, memory_order_acq_rel) == 1)
    atomic_fetch_sub_explicit (&ws->queue->armed_sources, 1, memory_order_relaxed);
}

gboolean
es_wait_source_poll_ready (GSource *source)
{
  EsWaitSource *ws = (EsWaitSource *) source;

  if (ws->ready_func (ws->ready_data))
    {
      es_wait_source_disarm (ws);
      return TRUE;
    }

  if (atomic_exchange_explicit (&ws->armed, 1, memory_order_seq_cst) == 0)
    atomic_fetch_add_explicit (&ws->queue->armed_sources, 1, memory_order_seq_cst);

  /* Dekker with es_wait_queue_notify(): arm first, then look again. */
  es_heavy_barrier ();
  if (ws->ready_func (ws->ready_data))
    {
      es_wait_source_disarm (ws);
      return TRUE;
    }

  return FALSE;
}

static void
es_wait_source_dispose (GSource *source)
{
  es_wait_source_unregister (source);
}

GSource *
es_wait_source_new (EsWaitQueue           *q,
                    EsWaitSourceReadyFunc  ready_func,
                    gpointer               ready_data,
                    gsize                  struct_size,
                    GSourceFuncs          *funcs)
{
  GSource *source;
  EsWaitSource *ws;

  g_assert (struct_size >= sizeof (EsWaitSource));

  source = g_source_new (funcs, struct_size);
  ws = (EsWaitSource *) source;
  ws->queue = q;
  ws->ready_func = ready_func;
  ws->ready_data = ready_data;
  atomic_init (&ws->armed, 0);
  g_source_set_dispose_function (source, es_wait_source_dispose);
  es_wait_source_register (source, q);

  return source;
}

void
es_wait_source_register (GSource     *source,
                         EsWaitQueue *q)
{
  EsWaitSource *ws = (EsWaitSource *) source;

  pthread_mutex_lock (&q->lock);
  if (!ws->registered)
    {
      g_ptr_array_add (q->sources, ws);
      ws->registered = TRUE;
    }
  pthread_mutex_unlock (&q->lock);
}

void
es_wait_source_unregister (GSource *source)
{
  EsWaitSource *ws = (EsWaitSource *) source;
  EsWaitQueue *q = ws->queue;

  pthread_mutex_lock (&q->lock);
  if (ws->registered)
    {
      g_ptr_array_remove_fast (q->sources, ws);
      ws->registered = FALSE;
    }
  pthread_mutex_unlock (&q->lock);
  es_wait_source_disarm (ws);
}

static void
cancel_hook_cb (GCancellable *cancellable,
                gpointer      user_data)
{
  es_wait_queue_wake_all (user_data);
}

void
es_cancel_hook_connect (EsCancelHook *hook,
                        GCancellable *cancellable,
                        EsWaitQueue  *q)
{
  hook->cancellable = cancellable;
  hook->handler = 0;
  if (cancellable != NULL)
    hook->handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_hook_cb), q, NULL);
}

void
es_cancel_hook_disconnect (EsCancelHook *hook)
{
  if (hook->cancellable != NULL && hook->handler != 0)
    g_cancellable_disconnect (hook->cancellable, hook->handler);
  hook->handler = 0;
  hook->cancellable = NULL;
}
