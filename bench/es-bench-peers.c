/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * es-bench: the peers eventsys is measured against, built only on GLib (and
 * GStreamer for GstBus):
 *
 *   ring          minimal single-producer/single-consumer ring with C11
 *                 atomics: the "physical limit" reference (W1, W6)
 *   gaq-prealloc  GAsyncQueue per subscriber, events from a preallocated
 *                 pool recycled through a return queue per publisher
 *   gaq-alloc     GAsyncQueue per subscriber, one g_malloc'd (refcounted for
 *                 fan-out) event per publish, freed by the last consumer
 *   gaq-gsource   W4: GAsyncQueue + a GSource that drains it in batches with
 *                 g_async_queue_try_pop; the publisher wakes the context only
 *                 when it pushed into an empty queue
 *   gstbus        W4: gst_bus_post() of an application message carrying a
 *                 GstStructure, gst_bus_add_watch() on the main loop
 */
#include "es-bench.h"

#include <sched.h>
#include <stdlib.h>

#ifdef BENCH_HAVE_GST
#include <gst/gst.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause ()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__ ("yield" ::: "memory")
#else
#define cpu_relax() atomic_signal_fence (memory_order_seq_cst)
#endif

/* A pointer no allocator returns: pushed by the abort hooks to wake threads
 * blocked in g_async_queue_pop(). */
#define BENCH_POISON ((gpointer) (guintptr) 1)

static inline void
spin_then_yield (guint *spins)
{
  if (++(*spins) < 128)
    cpu_relax ();
  else
    sched_yield ();
}

/* ====================================================================== */
/* ring: SPSC reference                                                    */

typedef struct {
  /* Producer-written cursor, read by the consumer. */
  _Alignas (BENCH_CACHELINE) atomic_size_t head;
  /* Consumer-written cursor, read by the producer. */
  _Alignas (BENCH_CACHELINE) atomic_size_t tail;
  /* Producer-private: last tail it saw, so a non-full ring costs no load of
   * the consumer's line. */
  _Alignas (BENCH_CACHELINE) size_t cached_tail;
  /* Consumer-private: last head it saw. */
  _Alignas (BENCH_CACHELINE) size_t cached_head;
  _Alignas (BENCH_CACHELINE) size_t mask;
  BenchEvent *slots;
} Ring;

_Static_assert (offsetof (Ring, tail) - offsetof (Ring, head) >= BENCH_CACHELINE,
                "ring cursors must not share a cache line");

static void
ring_publisher (BenchRun *run, guint index)
{
  Ring *r = run->data;
  const guint64 n = run->p->events_per_pub;
  const size_t cap = r->mask + 1;
  size_t head = atomic_load_explicit (&r->head, memory_order_relaxed);
  BenchPacer pacer;

  bench_pacer_init (&pacer, run);
  for (guint64 i = 0; i < n; i++)
    {
      if (G_UNLIKELY (head - r->cached_tail >= cap))
        {
          guint spins = 0;

          /* acquire: the consumer has finished reading the slots it released */
          while (head - (r->cached_tail = atomic_load_explicit (&r->tail, memory_order_acquire)) >= cap)
            {
              if (bench_run_aborted (run))
                return;
              spin_then_yield (&spins);
            }
        }
      bench_event_fill (&r->slots[head & r->mask], &pacer, index, i, sizeof (BenchEvent));
      /* release: the slot contents are visible before the new head */
      atomic_store_explicit (&r->head, ++head, memory_order_release);
    }
}

static void
ring_consumer (BenchRun *run, guint index)
{
  Ring *r = run->data;
  BenchChecker *c = &run->checkers[index];
  size_t tail = atomic_load_explicit (&r->tail, memory_order_relaxed);

  while (!bench_checker_done (c))
    {
      if (tail == r->cached_head)
        {
          guint spins = 0;

          /* acquire: pairs with the producer's release of head */
          while ((r->cached_head = atomic_load_explicit (&r->head, memory_order_acquire)) == tail)
            {
              if (bench_run_aborted (run))
                return;
              spin_then_yield (&spins);
            }
        }
      while (tail != r->cached_head)
        {
          bench_check (c, &r->slots[tail & r->mask], NULL);
          tail++;
        }
      /* release: our reads of the slots happen before the producer reuses them;
       * one store per batch keeps the line from bouncing per event. */
      atomic_store_explicit (&r->tail, tail, memory_order_release);
    }
}

static void
ring_run (const BenchParams *p, BenchResult *res)
{
  BenchRun run;
  Ring *r;
  size_t cap = 1;

  while (cap < p->capacity)
    cap <<= 1;

  r = aligned_alloc (BENCH_CACHELINE, sizeof (Ring));
  memset (r, 0, sizeof *r);
  r->mask = cap - 1;
  r->slots = aligned_alloc (BENCH_CACHELINE, cap * sizeof (BenchEvent));
  memset (r->slots, 0, cap * sizeof (BenchEvent));

  bench_run_init (&run, p);
  run.data = r;
  run.publisher = ring_publisher;
  run.consumer = ring_consumer;
  run.abort = NULL;   /* both loops poll run->aborted while they wait */
  bench_run_threads (&run, res);
  bench_run_clear (&run);

  free (r->slots);
  free (r);
}

/* ====================================================================== */
/* GAsyncQueue, preallocated pool                                          */

typedef struct {
  _Alignas (BENCH_CACHELINE) BenchEvent ev;  /* the 64-byte event (W1–W3, W6) */
  atomic_int  refs;       /* consumers still to read it (fan-out) */
  guint32     owner;      /* publisher whose pool it belongs to */
  guint8     *payload;    /* W5: preallocated payload buffer */
} GaqItem;

typedef struct {
  GAsyncQueue *queues[BENCH_MAX_SUB];   /* one per subscriber */
  GAsyncQueue *free_q[BENCH_MAX_PUB];   /* return queue per publisher */
  GaqItem     *items;
  guint8      *payloads;
} GaqPool;

static void
gaq_pool_abort (BenchRun *run)
{
  GaqPool *g = run->data;

  for (guint s = 0; s < run->p->n_sub; s++)
    g_async_queue_push (g->queues[s], BENCH_POISON);
  for (guint i = 0; i < run->p->n_pub; i++)
    g_async_queue_push (g->free_q[i], BENCH_POISON);
}

static void
gaq_pool_publisher (BenchRun *run, guint index)
{
  GaqPool *g = run->data;
  const BenchParams *p = run->p;
  const guint n_sub = p->n_sub;
  const gboolean big = p->workload == BENCH_W5;
  BenchPacer pacer;

  bench_pacer_init (&pacer, run);
  for (guint64 i = 0; i < p->events_per_pub; i++)
    {
      GaqItem *it = g_async_queue_pop (g->free_q[index]);

      if (G_UNLIKELY (it == BENCH_POISON))
        return;
      if (big)
        {
          BenchEvent h = { 0 };

          bench_event_fill (&h, &pacer, index, i, p->payload_size);
          bench_payload_stamp (it->payload, p->payload_size, &h);
        }
      else
        bench_event_fill (&it->ev, &pacer, index, i, sizeof (BenchEvent));
      /* relaxed: the pushes below publish it under the queue mutex */
      atomic_store_explicit (&it->refs, (int) n_sub, memory_order_relaxed);
      for (guint s = 0; s < n_sub; s++)
        g_async_queue_push (g->queues[s], it);
    }
}

static void
gaq_pool_consumer (BenchRun *run, guint index)
{
  GaqPool *g = run->data;
  const BenchParams *p = run->p;
  BenchChecker *c = &run->checkers[index];
  GAsyncQueue *q = g->queues[index];
  const gboolean shared = p->n_sub > 1;
  const gboolean big = p->workload == BENCH_W5;

  while (!bench_checker_done (c))
    {
      GaqItem *it = g_async_queue_pop (q);

      if (G_UNLIKELY (it == BENCH_POISON))
        return;
      if (big)
        bench_payload_check (c, it->payload, p->payload_size, p->payload_size);
      else
        bench_check (c, &it->ev, NULL);
      /* acq_rel: the last reader recycles the item after everyone read it */
      if (!shared || atomic_fetch_sub_explicit (&it->refs, 1, memory_order_acq_rel) == 1)
        g_async_queue_push (g->free_q[it->owner], it);
    }
}

static void
gaq_prealloc_run (const BenchParams *p, BenchResult *res)
{
  BenchRun run;
  GaqPool g = { 0 };
  guint n_items = p->capacity * p->n_pub;
  gsize payload = p->workload == BENCH_W5 ? p->payload_size : 0;

  g.items = aligned_alloc (BENCH_CACHELINE, sizeof (GaqItem) * n_items);
  memset (g.items, 0, sizeof (GaqItem) * n_items);
  if (payload)
    {
      g.payloads = aligned_alloc (BENCH_CACHELINE, payload * n_items);
      memset (g.payloads, 0, payload * n_items);
    }
  for (guint s = 0; s < p->n_sub; s++)
    g.queues[s] = g_async_queue_new ();
  for (guint i = 0; i < p->n_pub; i++)
    {
      g.free_q[i] = g_async_queue_new ();
      for (guint k = 0; k < p->capacity; k++)
        {
          GaqItem *it = &g.items[i * p->capacity + k];

          it->owner = i;
          it->payload = payload ? g.payloads + (gsize) (i * p->capacity + k) * payload : NULL;
          g_async_queue_push (g.free_q[i], it);
        }
    }

  bench_run_init (&run, p);
  run.data = &g;
  run.publisher = gaq_pool_publisher;
  run.consumer = gaq_pool_consumer;
  run.abort = gaq_pool_abort;
  bench_run_threads (&run, res);
  bench_run_clear (&run);

  for (guint s = 0; s < p->n_sub; s++)
    g_async_queue_unref (g.queues[s]);
  for (guint i = 0; i < p->n_pub; i++)
    g_async_queue_unref (g.free_q[i]);
  free (g.payloads);
  free (g.items);
}

/* ====================================================================== */
/* GAsyncQueue, one allocation per event                                   */

typedef struct {
  atomic_int refs;
  guint32    size;
  guint8    *payload;     /* W5: a buffer from the run's pool */
  guint8     data[];      /* a BenchEvent (W1–W3, W6) */
} AllocEvent;

typedef struct {
  GAsyncQueue  *queues[BENCH_MAX_SUB];
  BenchBufPool *pool;     /* W5 */
} GaqAlloc;

static void
alloc_event_free (AllocEvent *e)
{
  if (e->payload)
    bench_buf_pool_release (e->payload);
  g_free (e);
}

static void
gaq_alloc_abort (BenchRun *run)
{
  GaqAlloc *g = run->data;

  for (guint s = 0; s < run->p->n_sub; s++)
    g_async_queue_push (g->queues[s], BENCH_POISON);
}

static void
gaq_alloc_publisher (BenchRun *run, guint index)
{
  GaqAlloc *g = run->data;
  const BenchParams *p = run->p;
  const guint n_sub = p->n_sub;
  const gboolean big = p->workload == BENCH_W5;
  const gsize size = big ? p->payload_size : sizeof (BenchEvent);
  BenchEvent h = { 0 };
  BenchPacer pacer;

  bench_pacer_init (&pacer, run);
  for (guint64 i = 0; i < p->events_per_pub; i++)
    {
      AllocEvent *e = g_malloc (sizeof (AllocEvent) + (big ? 0 : size));

      bench_event_fill (&h, &pacer, index, i, size);
      if (big)
        {
          e->payload = bench_buf_pool_get (g->pool, run);
          if (e->payload == NULL)
            {
              g_free (e);
              return;
            }
          bench_payload_stamp (e->payload, size, &h);
        }
      else
        {
          e->payload = NULL;
          memcpy (e->data, &h, sizeof h);
        }
      e->size = (guint32) size;
      atomic_store_explicit (&e->refs, (int) n_sub, memory_order_relaxed);
      for (guint s = 0; s < n_sub; s++)
        g_async_queue_push (g->queues[s], e);

      bench_maybe_flow_control (run, i + 1);
      if (G_UNLIKELY (bench_run_aborted (run)))
        return;
    }
}

static void
gaq_alloc_consumer (BenchRun *run, guint index)
{
  GaqAlloc *g = run->data;
  const BenchParams *p = run->p;
  BenchChecker *c = &run->checkers[index];
  GAsyncQueue *q = g->queues[index];
  const gboolean shared = p->n_sub > 1;
  const gboolean big = p->workload == BENCH_W5;

  while (!bench_checker_done (c))
    {
      AllocEvent *e = g_async_queue_pop (q);

      if (G_UNLIKELY (e == BENCH_POISON))
        return;
      if (big)
        bench_payload_check (c, e->payload, e->size, p->payload_size);
      else
        bench_check (c, (const BenchEvent *) e->data, NULL);
      if (!shared || atomic_fetch_sub_explicit (&e->refs, 1, memory_order_acq_rel) == 1)
        alloc_event_free (e);
    }
}

static void
gaq_alloc_drain (GAsyncQueue *q, guint n_sub)
{
  gpointer e;

  /* After a failed run: free what is left (shared events once, by refcount). */
  while ((e = g_async_queue_try_pop (q)) != NULL)
    if (e != BENCH_POISON &&
        (n_sub == 1 || atomic_fetch_sub (&((AllocEvent *) e)->refs, 1) == 1))
      alloc_event_free (e);
}

static void
gaq_alloc_run (const BenchParams *p, BenchResult *res)
{
  BenchRun run;
  GaqAlloc g = { 0 };

  for (guint s = 0; s < p->n_sub; s++)
    g.queues[s] = g_async_queue_new ();
  if (p->workload == BENCH_W5)
    g.pool = bench_buf_pool_new (p->payload_size, 2 * p->capacity + 16);

  bench_run_init (&run, p);
  run.data = &g;
  run.publisher = gaq_alloc_publisher;
  run.consumer = gaq_alloc_consumer;
  run.abort = gaq_alloc_abort;
  bench_run_threads (&run, res);
  bench_run_clear (&run);

  for (guint s = 0; s < p->n_sub; s++)
    {
      gaq_alloc_drain (g.queues[s], p->n_sub);
      g_async_queue_unref (g.queues[s]);
    }
  if (g.pool)
    bench_buf_pool_free (g.pool);
}

/* ====================================================================== */
/* W4: GAsyncQueue + batching GSource                                      */

#define GAQ_SOURCE_BATCH 256

typedef struct {
  GSource      source;
  GAsyncQueue *queue;
  BenchRun    *run;
} GaqSource;

typedef struct {
  GaqSource    *source;
  GMainContext *context;
  GAsyncQueue  *queue;
  GAsyncQueue  *free_q;
  GaqItem      *items;
} GaqMain;

static gboolean
gaq_source_prepare (GSource *source, gint *timeout)
{
  *timeout = -1;
  return g_async_queue_length (((GaqSource *) source)->queue) > 0;
}

static gboolean
gaq_source_check (GSource *source)
{
  return g_async_queue_length (((GaqSource *) source)->queue) > 0;
}

static gboolean
gaq_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  GaqSource *s = (GaqSource *) source;
  BenchRun *run = s->run;
  GaqMain *g = run->data;
  BenchChecker *c = &run->checkers[0];

  for (guint n = 0; n < GAQ_SOURCE_BATCH; n++)
    {
      GaqItem *it = g_async_queue_try_pop (s->queue);

      if (it == NULL)
        break;
      bench_check (c, &it->ev, NULL);
      g_async_queue_push (g->free_q, it);
      if (bench_checker_done (c))
        {
          bench_run_mainloop_consumer_done (run);
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs gaq_source_funcs = {
  gaq_source_prepare,
  gaq_source_check,
  gaq_source_dispatch,
  NULL, NULL, NULL,
};

static void
gaq_main_publisher (BenchRun *run, guint index)
{
  GaqMain *g = run->data;
  const BenchParams *p = run->p;
  BenchPacer pacer;

  bench_pacer_init (&pacer, run);
  for (guint64 i = 0; i < p->events_per_pub; i++)
    {
      GaqItem *it = g_async_queue_pop (g->free_q);
      gboolean was_empty;

      if (G_UNLIKELY (it == BENCH_POISON))
        return;
      bench_event_fill (&it->ev, &pacer, index, i, sizeof (BenchEvent));

      g_async_queue_lock (g->queue);
      was_empty = g_async_queue_length_unlocked (g->queue) <= 0;
      g_async_queue_push_unlocked (g->queue, it);
      g_async_queue_unlock (g->queue);
      /* Only a push into an empty queue can find the main loop asleep in
       * poll(): a non-empty queue makes prepare() return TRUE. */
      if (was_empty)
        g_main_context_wakeup (g->context);
    }
}

static void
gaq_main_abort (BenchRun *run)
{
  GaqMain *g = run->data;

  g_async_queue_push (g->free_q, BENCH_POISON);
  g_main_loop_quit (run->loop);
}

static void
gaq_gsource_run (const BenchParams *p, BenchResult *res)
{
  BenchRun run;
  GaqMain g = { 0 };

  g.context = g_main_context_default ();
  g.queue = g_async_queue_new ();
  g.free_q = g_async_queue_new ();
  g.items = aligned_alloc (BENCH_CACHELINE, sizeof (GaqItem) * p->capacity);
  memset (g.items, 0, sizeof (GaqItem) * p->capacity);
  for (guint k = 0; k < p->capacity; k++)
    g_async_queue_push (g.free_q, &g.items[k]);

  bench_run_init (&run, p);
  run.data = &g;
  run.publisher = gaq_main_publisher;
  run.abort = gaq_main_abort;
  run.loop = g_main_loop_new (g.context, FALSE);

  g.source = (GaqSource *) g_source_new (&gaq_source_funcs, sizeof (GaqSource));
  g.source->queue = g.queue;
  g.source->run = &run;
  g_source_set_name ((GSource *) g.source, "es-bench gaq-gsource");
  g_source_attach ((GSource *) g.source, g.context);

  bench_run_mainloop (&run, res);

  g_source_destroy ((GSource *) g.source);
  g_source_unref ((GSource *) g.source);
  bench_run_clear (&run);
  g_async_queue_unref (g.queue);
  g_async_queue_unref (g.free_q);
  free (g.items);
}

/* ====================================================================== */
/* W4: GstBus                                                              */

#ifdef BENCH_HAVE_GST
static gboolean have_gst;
static GQuark q_bench, q_seq, q_pub;

typedef struct {
  GstBus *bus;
  guint   watch;
} GstBusRun;

static gboolean
gstbus_watch (GstBus *bus, GstMessage *msg, gpointer data)
{
  BenchRun *run = data;
  BenchChecker *c = &run->checkers[0];
  const GstStructure *s;
  BenchEvent ev = { 0 };

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_APPLICATION || bench_checker_done (c))
    return G_SOURCE_CONTINUE;
  s = gst_message_get_structure (msg);
  if (s == NULL || !gst_structure_has_name (s, "es-bench"))
    {
      bench_checker_fail (c, "unexpected message on the bus");
      return G_SOURCE_CONTINUE;
    }
  ev.seq = g_value_get_uint64 (gst_structure_id_get_value (s, q_seq));
  ev.publisher = g_value_get_uint (gst_structure_id_get_value (s, q_pub));
  bench_check (c, &ev, NULL);
  if (bench_checker_done (c))
    bench_run_mainloop_consumer_done (run);
  return G_SOURCE_CONTINUE;
}

static void
gstbus_publisher (BenchRun *run, guint index)
{
  GstBusRun *g = run->data;
  const BenchParams *p = run->p;
  BenchPacer pacer;

  bench_pacer_init (&pacer, run);
  for (guint64 i = 0; i < p->events_per_pub; i++)
    {
      BenchEvent ev;
      GstStructure *s;

      bench_event_fill (&ev, &pacer, index, i, sizeof ev);
      s = gst_structure_new_id (q_bench,
                                q_seq, G_TYPE_UINT64, ev.seq,
                                q_pub, G_TYPE_UINT, ev.publisher,
                                NULL);
      gst_bus_post (g->bus, gst_message_new_application (NULL, s));

      bench_maybe_flow_control (run, i + 1);
      if (G_UNLIKELY (bench_run_aborted (run)))
        return;
    }
}

static void
gstbus_abort (BenchRun *run)
{
  g_main_loop_quit (run->loop);
}

static void
gstbus_run (const BenchParams *p, BenchResult *res)
{
  BenchRun run;
  GstBusRun g = { 0 };

  if (!have_gst)
    {
      res->skipped = TRUE;
      res->error = g_strdup ("GStreamer could not be initialised");
      return;
    }

  g.bus = gst_bus_new ();
  bench_run_init (&run, p);
  run.data = &g;
  run.publisher = gstbus_publisher;
  run.abort = gstbus_abort;
  run.loop = g_main_loop_new (NULL, FALSE);
  g.watch = gst_bus_add_watch (g.bus, gstbus_watch, &run);

  bench_run_mainloop (&run, res);

  g_source_remove (g.watch);
  gst_bus_set_flushing (g.bus, TRUE);   /* drops what a failed run left queued */
  gst_object_unref (g.bus);
  bench_run_clear (&run);
}
#endif /* BENCH_HAVE_GST */

gboolean
bench_have_gstreamer (void)
{
#ifdef BENCH_HAVE_GST
  return have_gst;
#else
  return FALSE;
#endif
}

void
bench_peers_init (int *argc, char ***argv)
{
#ifdef BENCH_HAVE_GST
  GError *error = NULL;

  have_gst = gst_init_check (NULL, NULL, &error);
  if (!have_gst)
    {
      g_printerr ("es-bench: GStreamer unavailable: %s\n", error->message);
      g_clear_error (&error);
    }
  q_bench = g_quark_from_static_string ("es-bench");
  q_seq = g_quark_from_static_string ("seq");
  q_pub = g_quark_from_static_string ("publisher");
#endif
}

const BenchContender bench_peer_contenders[] = {
  { "ring", "hand-written SPSC ring, C11 atomics, spin-then-yield (reference)",
    BENCH_WL (BENCH_W1) | BENCH_WL (BENCH_W6) | BENCH_WL (BENCH_W8), ring_run },
  { "gaq-prealloc", "GAsyncQueue per subscriber, preallocated pool + return queue",
    BENCH_WL (BENCH_W1) | BENCH_WL (BENCH_W2) | BENCH_WL (BENCH_W3) | BENCH_WL (BENCH_W5) |
    BENCH_WL (BENCH_W6) | BENCH_WL (BENCH_W8), gaq_prealloc_run },
  { "gaq-alloc", "GAsyncQueue per subscriber, g_malloc per event (refcounted for fan-out)",
    BENCH_WL (BENCH_W1) | BENCH_WL (BENCH_W2) | BENCH_WL (BENCH_W3) | BENCH_WL (BENCH_W5) |
    BENCH_WL (BENCH_W6) | BENCH_WL (BENCH_W8), gaq_alloc_run },
  { "gaq-gsource", "GAsyncQueue + batching GSource (wakeup only on empty->non-empty)",
    BENCH_WL (BENCH_W4), gaq_gsource_run },
#ifdef BENCH_HAVE_GST
  { "gstbus", "GstBus: gst_bus_post (application message) + gst_bus_add_watch",
    BENCH_WL (BENCH_W4), gstbus_run },
#endif
};
const guint bench_n_peer_contenders = G_N_ELEMENTS (bench_peer_contenders);
