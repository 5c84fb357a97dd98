/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * es-bench: shared declarations of the harness, the peers and the eventsys
 * contenders.
 *
 * Every contender moves BenchEvent records (or, for W5, buffers that start
 * with a BenchEvent header) from publisher threads to consumers, and every
 * consumer feeds what it receives to a BenchChecker, which verifies the
 * per-publisher sequence (in order, no gap, no duplicate) and the total. A
 * run that fails a check is reported as FAILED and never as a rate.
 */
#pragma once

#include <glib.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

G_BEGIN_DECLS

#define BENCH_MAX_PUB       8
#define BENCH_MAX_SUB       8
#define BENCH_CACHELINE     64
#define BENCH_DEFAULT_CAPACITY 4096

/* The 64-byte plain-data event of W1–W4, W6 and W8. For W5 the same layout is
 * the header of a larger buffer, whose last 8 bytes repeat the sequence. */
typedef struct {
  guint64 seq;        /* per-publisher sequence number, from 0 */
  guint32 publisher;  /* publisher index */
  guint32 size;       /* whole payload size in bytes (64 for plain events) */
  gint64  stamp_ns;   /* CLOCK_MONOTONIC at publish (W6 only, else 0) */
  guint8  fill[40];
} BenchEvent;

G_STATIC_ASSERT (sizeof (BenchEvent) == 64);

typedef enum {
  BENCH_W1 = 1, BENCH_W2, BENCH_W3, BENCH_W4, BENCH_W5, BENCH_W6, BENCH_W7, BENCH_W8,
} BenchWorkload;

/* Everything a contender needs to know about one run. */
typedef struct {
  BenchWorkload workload;
  guint    n_pub;
  guint    n_sub;
  guint64  events_per_pub;  /* events each publisher sends */
  gsize    payload_size;    /* W5: buffer size; 64 otherwise */
  guint    capacity;        /* queue capacity / pool size per publisher */

  /* W6 */
  gboolean latency;         /* stamp events, record latencies and CPU use */
  guint    rate;            /* events/s to publish at (0: as fast as possible) */
  guint    idle_ms;         /* pause before the last event (idle CPU probe) */

  /* W8 / variants */
  gboolean metrics;         /* eventsys: enable-metrics */
  gboolean direct;          /* eventsys: call the backend vfunc directly */
  gboolean count_allocs;    /* count malloc-family calls during the run */

  gint64   timeout_us;      /* watchdog: a run taking longer fails */
} BenchParams;

typedef struct {
  gboolean ok;
  gboolean skipped;
  char    *error;           /* why it failed / was skipped (owned) */
  guint64  published;       /* events published, all publishers */
  guint64  delivered;       /* events delivered, summed over subscribers */
  gdouble  seconds;         /* first publish to last delivery */
  gdouble  rate;            /* published events per second */

  /* W6 */
  gdouble  p50_us, p99_us, p999_us, max_us;
  gdouble  load_cpu;        /* consumer thread CPU / wall time under load */
  gdouble  idle_cpu;        /* consumer thread CPU / wall time while idle */

  /* W8 */
  gdouble  allocs_pub;      /* malloc calls per event on publisher threads */
  gdouble  allocs_sub;      /* ... on consumer threads (per delivery) */
  gdouble  allocs_other;    /* ... on any other thread (per event) */
  gdouble  ns_per_event;    /* W8 single thread: publish ns per event */
  gdouble  ns_total;        /* W8 single thread: publish + receive ns per event */
} BenchResult;

/* ---------------------------------------------------------------------- */
/* Sequence checker: one per consumer.                                     */

typedef struct {
  guint    n_pub;
  guint64  per_pub;                 /* events expected from each publisher */
  guint64  expected;                /* n_pub * per_pub */
  guint64  received;
  guint64  next[BENCH_MAX_PUB];
  guint64  errors;
  char    *first_error;             /* owned */
  gint64   finish_ns;               /* CLOCK_MONOTONIC at the last event */

  /* progress for flow control of unbounded peers (relaxed) */
  _Alignas (BENCH_CACHELINE) atomic_uint_fast64_t progress;

  /* latency mode */
  gboolean latency;
  guint32 *lat_ns;
  gint64   cpu_first, wall_first;   /* at the first event */
  gint64   cpu_busy, wall_busy;     /* at the last event before the idle gap */
  gint64   cpu_idle, wall_idle;     /* at the event after the idle gap */
} BenchChecker;

static inline gint64
bench_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static inline gint64
bench_thread_cpu_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

void bench_checker_init     (BenchChecker *c, const BenchParams *p);
void bench_checker_clear    (BenchChecker *c);
void bench_checker_fail     (BenchChecker *c, const char *format, ...) G_GNUC_PRINTF (2, 3);
void bench_checker_mismatch (BenchChecker *c, guint32 pub, guint64 seq, const guint64 *trailer);
void bench_checker_latency  (BenchChecker *c, const BenchEvent *ev);
gboolean bench_checker_verify (BenchChecker *c, GString *why);

/* Checks one received event.
 * For W5 @trailer is the last 8 bytes of the buffer (the sequence again), or
 * NULL when not applicable. */
static inline void
bench_check (BenchChecker *c, const BenchEvent *ev, const guint64 *trailer)
{
  guint32 pub = ev->publisher;
  guint64 seq = ev->seq;

  if (G_LIKELY (pub < c->n_pub && seq == c->next[pub] &&
                (trailer == NULL || *trailer == seq)))
    c->next[pub] = seq + 1;
  else
    bench_checker_mismatch (c, pub, seq, trailer);

  if (G_UNLIKELY (c->latency))
    bench_checker_latency (c, ev);

  c->received++;
  if ((c->received & 63) == 0)
    atomic_store_explicit (&c->progress, c->received, memory_order_relaxed);
}

static inline gboolean
bench_checker_done (const BenchChecker *c)
{
  return c->received >= c->expected;
}

/* ---------------------------------------------------------------------- */
/* Generic threaded run: n_sub consumer threads, n_pub publisher threads.  */

typedef struct _BenchRun BenchRun;
typedef void (*BenchThreadFunc) (BenchRun *run, guint index);

struct _BenchRun {
  const BenchParams *p;
  gpointer           data;       /* contender state */
  BenchThreadFunc    publisher;
  BenchThreadFunc    consumer;   /* NULL: the contender consumes on the main loop */
  void             (*abort)      (BenchRun *run);  /* watchdog; any thread */

  BenchChecker       checkers[BENCH_MAX_SUB];

  GMutex             lock;
  GCond              cond;
  guint              ready;
  gboolean           go;
  guint              finished;   /* threads finished (protected by lock) */
  gint64             t_start_ns;
  atomic_bool        aborted;
  char              *error;      /* first publisher/setup error (protected by lock) */

  /* main-loop mode (W4) */
  GMainLoop         *loop;
  guint              consumers_done;
};

void     bench_run_init        (BenchRun *run, const BenchParams *p);
void     bench_run_clear       (BenchRun *run);
/* Each thread calls this once before its first event; returns the start
 * time. */
gint64   bench_run_wait_start  (BenchRun *run);
void     bench_run_fail        (BenchRun *run, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* Spawns the threads, runs the watchdog, joins, checks and fills @r. */
void     bench_run_threads     (BenchRun *run, BenchResult *r);
/* W4: publishers on threads, the consumer in a GMainLoop on the calling
 * thread; the contender sets up its source before and calls
 * bench_run_mainloop_consumer_done() from it when its checker is done. */
void     bench_run_mainloop    (BenchRun *run, BenchResult *r);
void     bench_run_mainloop_consumer_done (BenchRun *run);

static inline gboolean
bench_run_aborted (BenchRun *run)
{
  return atomic_load_explicit (&run->aborted, memory_order_relaxed);
}

/* Fills the header of event @i of publisher @pub; in latency mode this paces
 * the publisher (sleeping until the event is due) and stamps it. */
typedef struct {
  gint64  t0;
  gint64  period_ns;
  guint64 n;
  guint   idle_ms;
} BenchPacer;

void bench_pacer_init  (BenchPacer *pacer, BenchRun *run);
gint64 bench_pacer_wait (BenchPacer *pacer, guint64 i);

static inline void
bench_event_fill (BenchEvent *ev, BenchPacer *pacer, guint32 pub, guint64 i,
                  gsize size)
{
  ev->seq = i;
  ev->publisher = pub;
  ev->size = (guint32) size;
  ev->stamp_ns = G_UNLIKELY (pacer->period_ns) ? bench_pacer_wait (pacer, i) : 0;
}

/* Flow control for the unbounded peers (GAsyncQueue allocating per event,
 * GstBus): every 256 events the publisher waits while any consumer is more
 * than @capacity events behind, so that memory stays bounded like the
 * bounded contenders. */
void bench_flow_control (BenchRun *run, guint64 published);

static inline void
bench_maybe_flow_control (BenchRun *run, guint64 published)
{
  if (G_UNLIKELY ((published & 255) == 0))
    bench_flow_control (run, published);
}

/* ---------------------------------------------------------------------- */
/* W5 payload buffers                                                      */

/* A recycling pool of payload buffers, like a GstBufferPool: the publisher
 * takes a buffer, writes header and trailer, hands it over; whoever drops the
 * last reference returns it. Used by the contenders that allocate per event
 * (gaq-alloc, es-zerocopy), so that W5 measures the transport and not
 * malloc() of 64 KiB blocks freed on another thread. */
typedef struct _BenchBufPool BenchBufPool;

BenchBufPool *bench_buf_pool_new     (gsize buf_size, guint n_bufs);
void          bench_buf_pool_free    (BenchBufPool *pool);
/* NULL only when @run was aborted while waiting for a free buffer. */
guint8       *bench_buf_pool_get     (BenchBufPool *pool, BenchRun *run);
/* Returns a buffer from any pool (GDestroyNotify-compatible). */
void          bench_buf_pool_release (gpointer buf);

/* ---------------------------------------------------------------------- */
/* Contenders                                                              */

typedef void (*BenchRunFunc) (const BenchParams *p, BenchResult *r);

typedef struct {
  const char  *name;         /* short id, used in tables, JSON and ratios */
  const char  *description;
  guint        workloads;    /* bit (1 << BenchWorkload) for each it supports */
  BenchRunFunc run;
} BenchContender;

#define BENCH_WL(w) (1u << (w))

/* es-bench-peers.c */
extern const BenchContender bench_peer_contenders[];
extern const guint bench_n_peer_contenders;
gboolean bench_have_gstreamer (void);
void     bench_peers_init     (int *argc, char ***argv);

/* es-bench-eventsys.c */
extern const BenchContender bench_es_contenders[];
extern const guint bench_n_es_contenders;
void     bench_es_init        (void);
/* W8: single-thread publish cost; @variant: "unified", "direct", "metrics" */
void     bench_es_single_thread (gboolean zero_copy, const char *variant,
                                 guint64 n_events, BenchResult *r);

/* es-bench-alloc.c: malloc-family calls counted while enabled, per role. */
typedef enum {
  BENCH_ROLE_OTHER,
  BENCH_ROLE_PUBLISHER,
  BENCH_ROLE_CONSUMER,
  BENCH_N_ROLES
} BenchRole;

gboolean bench_alloc_available (void);
void     bench_alloc_set_role  (BenchRole role);
void     bench_alloc_start     (void);
void     bench_alloc_stop      (guint64 counts[BENCH_N_ROLES]);

/* W5 payloads: a header at the start, the sequence again in the last 8 bytes. */
static inline void
bench_payload_stamp (guint8 *buf, gsize size, const BenchEvent *header)
{
  memcpy (buf, header, sizeof (BenchEvent));
  memcpy (buf + size - sizeof (guint64), &header->seq, sizeof (guint64));
}

static inline void
bench_payload_check (BenchChecker *c, const guint8 *buf, gsize size, gsize expected_size)
{
  guint64 trailer;

  if (G_UNLIKELY (size != expected_size || buf == NULL))
    {
      bench_checker_fail (c, "payload of %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
                          size, expected_size);
      c->received++;
      return;
    }
  memcpy (&trailer, buf + size - sizeof (guint64), sizeof trailer);
  bench_check (c, (const BenchEvent *) buf, &trailer);
}

G_END_DECLS
