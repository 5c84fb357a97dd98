/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * EsWaitQueue: a lost-wakeup-free event count that lets threads sleep and
 * GSources be woken without any per-event syscall or lock.
 *
 * Protocol (waiter):  key = es_wait_queue_prepare (q);
 *                     if (condition) { es_wait_queue_cancel (q); done; }
 *                     es_wait_queue_wait (q, key, deadline);
 * Protocol (notifier): make the condition true (release store), then
 *                     es_wait_queue_notify (q).
 *
 * prepare() registers the sleeper with a seq_cst RMW before the waiter
 * re-checks its condition; notify() orders the notifier's store before its
 * read of the sleeper count. Either the waiter sees the new state, or the
 * notifier sees the sleeper and bumps the futex word, so the FUTEX_WAIT on
 * the old key returns at once.
 *
 * The ordering is asymmetric (as in liburcu): the rare side — a thread about
 * to sleep, a source arming itself — issues a process-wide barrier with
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), so that the hot side — every
 * publish and receive — needs only a compiler barrier before one relaxed
 * load. Where membarrier is unavailable both sides use seq_cst fences.
 *
 * When threads sleep on a queue often (a steady trickle: one sleep per
 * event), the barrier's IPIs cost more than a fence per notify would. The
 * queue then switches to fenced mode, kept in the sleeper word's top bits:
 * ES_WAIT_FENCE makes notifiers fence before reading the sleeper count, and
 * ES_WAIT_TRUST, set only after a process-wide barrier has made FENCE
 * visible to every notifier, lets sleepers skip that barrier. Notifiers
 * switch back (clear both bits, only while no thread sleeps) once sleeps
 * become rare among their notifies.
 *
 * Sleeping uses the futex syscall directly (pthread condvars elsewhere), never
 * GMutex/GCond: ThreadSanitizer sees every hand-off through the C11 atomics.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <gio/gio.h>

#include "es-private.h"

G_BEGIN_DECLS

typedef struct _EsWaitQueue EsWaitQueue;
typedef struct _EsWaitSource EsWaitSource;

/* Called from a wait source's prepare/check on the source's context:
 * returns TRUE when there is something to dispatch. */
typedef gboolean (*EsWaitSourceReadyFunc) (gpointer data);

#define ES_WAIT_FENCE        0x80000000u  /* fenced mode: notifiers fence */
#define ES_WAIT_TRUST        0x40000000u  /* fenced mode is visible: sleepers skip the barrier */
#define ES_WAIT_SLEEPER_MASK 0x3fffffffu
/* In fenced mode, notifiers look every ES_WAIT_FENCED_LOOK_EVERY notifies
 * how many sleeps came since the last look; fewer than
 * ES_WAIT_FENCED_MIN_SLEEPS (one per 256 notifies) switch the queue back.
 * A fence is cheap alone (6 ns on the AMD guest of FINDINGS' twelfth pass)
 * but waits for the publisher's outstanding stores, and at full rate those
 * are cache misses: es-bench W1 lost ~100 ns per event, 25 M/s fell to 7-8.
 * The process-wide barrier costs a sleeper ~20 µs there, so fenced mode pays
 * only while sleeps come more often than one per ~200 notifies. The look is
 * frequent because two sleeps within FENCED_SLEEP_GAP_USEC switch the queue
 * to fenced mode again: a receiver of a full-rate publisher that sleeps
 * every half millisecond (a preempted vCPU) brings each time a look's worth
 * of fenced notifies (W1 medians of 34 rounds: 24.6 M/s with looks every
 * 4096 notifies, the slowest rounds 13-17; 24.8 M/s every 512, the slowest
 * 18.6). */
#define ES_WAIT_FENCED_LOOK_EVERY 512u
#define ES_WAIT_FENCED_MIN_SLEEPS 2u

struct _EsWaitQueue
{
  atomic_uint seq;                        /* futex word, bumped by every wake */
  atomic_uint sleepers;                   /* threads between prepare and wake-up, and the mode bits */
  atomic_int  armed_sources;              /* sources waiting for a wake-up */
  /* Fenced-mode bookkeeping, touched only by sleepers and by notifiers in
   * fenced mode (away from the line every notify reads). Hints: races only
   * shift when the mode switches. */
  ES_CACHELINE_PAD (_pad0);
  atomic_uint     sleeps;                 /* sleeps so far */
  atomic_int_least64_t last_sleep_us;     /* monotonic time of the last sleep */
  atomic_uint     fenced_notifies;        /* notifies in fenced mode since the last look */
  atomic_uint     sleeps_seen;            /* sleeps at that look */
  /* Protects sources; taken only when a source is (un)registered or armed
   * sources must be woken, never on the steady-state path. A pthread mutex,
   * not a GMutex, so that ThreadSanitizer understands it. */
  pthread_mutex_t lock;
  GPtrArray   *sources;                   /* EsWaitSource *, unowned: a source
                                           * unregisters itself in its dispose
                                           * function; protected by lock */
};

void     es_wait_queue_init        (EsWaitQueue *q);
void     es_wait_queue_clear       (EsWaitQueue *q);
guint    es_wait_queue_prepare     (EsWaitQueue *q);
void     es_wait_queue_cancel      (EsWaitQueue *q);
/* Returns FALSE if the deadline passed. Spurious returns are allowed. */
gboolean es_wait_queue_wait        (EsWaitQueue *q,
                                    guint        key,
                                    gint64       deadline);
void     es_wait_queue_notify_slow (EsWaitQueue *q);

/* Tests only: called by a thread switching @q to fenced mode, after it set
 * ES_WAIT_FENCE and before its process-wide barrier. */
extern void (*es_wait_fence_hook) (EsWaitQueue *q);

/* 1 once membarrier is registered (before the first wait queue exists). */
extern atomic_int es_membarrier_registered;

/* Whether the machine had more runnable threads than this process may use
 * CPUs when es_cpus_sample() last looked (a relaxed load): then a waiting
 * thread that polls holds a CPU another thread needs, and keeps the
 * scheduler from moving one onto it. */
extern atomic_int es_cpus_crowded;
/* Reads the runnable-thread count of /proc/loadavg into es_cpus_crowded,
 * unless another thread did less than 10 ms ago. Where it cannot be read,
 * es_cpus_crowded stays FALSE. */
void     es_cpus_sample            (void);

/* How many es_cpu_relax() calls take about @nsec nanoseconds on this CPU,
 * from 1 to 4096. A pause takes 3 ns on some CPUs and 40 on others, so a
 * wait that must last about so long counts its pauses with this. Measured
 * on the first call (about 15 µs), then cached. Thread-safe. */
guint    es_cpu_relax_count        (guint nsec);

/* The rare side of an asymmetric Dekker pair. */
void     es_heavy_barrier          (void);

/* The hot side: pairs with es_heavy_barrier(). */
static inline void
es_light_barrier (void)
{
  if (G_LIKELY (atomic_load_explicit (&es_membarrier_registered, memory_order_relaxed)))
    atomic_signal_fence (memory_order_seq_cst);
  else
    atomic_thread_fence (memory_order_seq_cst);
}
/* Wake every sleeper and every registered source unconditionally
 * (shutdown, cancellation, close). */
void     es_wait_queue_wake_all    (EsWaitQueue *q);

static inline void
es_wait_queue_notify (EsWaitQueue *q)
{
  es_light_barrier ();
  /* Sleepers or the fenced mode's bits: the slow path sorts them out. */
  if (G_UNLIKELY (atomic_load_explicit (&q->sleepers, memory_order_relaxed) != 0 ||
                  atomic_load_explicit (&q->armed_sources, memory_order_relaxed) > 0))
    es_wait_queue_notify_slow (q);
}

struct _EsWaitSource
{
  GSource                parent;
  EsWaitQueue           *queue;       /* unowned; the source's owner keeps it alive */
  EsWaitSourceReadyFunc  ready_func;
  gpointer               ready_data;
  atomic_int             armed;       /* 1 while counted in queue->armed_sources */
  gboolean               registered;  /* protected by queue->lock */
};

/* A GSource that sleeps on an EsWaitQueue: it is ready when ready_func says
 * so, and otherwise arms itself so that the next notify() wakes its context
 * with g_source_set_ready_time() (thread-safe, no pipe write per event). */
GSource *es_wait_source_new        (EsWaitQueue           *q,
                                    EsWaitSourceReadyFunc  ready_func,
                                    gpointer               ready_data,
                                    gsize                  struct_size,
                                    GSourceFuncs          *funcs);
void     es_wait_source_register   (GSource     *source,
                                    EsWaitQueue *q);
void     es_wait_source_unregister (GSource     *source);
/* For subclasses' prepare/check: TRUE if ready, otherwise arms the source. */
gboolean es_wait_source_poll_ready (GSource *source);

/* Wait with a GCancellable: the cancellable wakes the queue. Returns FALSE on
 * timeout; the caller re-checks its condition and the cancellable. */
typedef struct {
  gulong        handler;
  GCancellable *cancellable;
} EsCancelHook;

void es_cancel_hook_connect    (EsCancelHook *hook,
                                GCancellable *cancellable,
                                EsWaitQueue  *q);
void es_cancel_hook_disconnect (EsCancelHook *hook);

G_END_DECLS
