/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * es-bench: the eventsys contenders.
 *
 *   es-static          static fast path: es_publisher_publish_data() of a
 *                      64-byte ES_DEFINE_EVENT_TYPE struct, es_subscriber_receive_data()
 *   es-static-batch    the same in batches of 256: es_publisher_publish_data_batch(),
 *                      es_subscriber_receive_data_batch()
 *   es-zerocopy        zero-copy: es_event_new() + es_publisher_publish_take() (the
 *                      envelope is handed over, as to a GAsyncQueue), one shared
 *                      envelope per event, es_subscriber_receive()
 *   es-zerocopy-batch  the same, received with es_subscriber_receive_batch()
 *
 * W4 attaches the subscriber to the main context (es_subscriber_attach());
 * W5 publishes GBytes payloads with es_event_new_bytes() on the zero-copy
 * path and copies plain-data payloads on the static path. Every system uses
 * BLOCK backpressure (nothing may be dropped) and the capacity of the run.
 */
#include "config.h"

#include "es-bench.h"

#include <eventsys/eventsys.h>

ES_DECLARE_EVENT_TYPE (BenchEvent, bench_event)
ES_DEFINE_EVENT_TYPE (BenchEvent, bench_event)

#define ES_BATCH 256

typedef struct {
  EsEventSystem *sys;
  EsPublisher   *pubs[BENCH_MAX_PUB];
  EsSubscriber  *subs[BENCH_MAX_SUB];
  GType          type;
  BenchBufPool  *pool;       /* W5 zero-copy payloads */
  gboolean       zero_copy;
  gboolean       batch;
  guint          attach_id;
} EsRun;

/* Plain-data types of the W5 sizes for the static path. */
static GType
payload_type (gsize size)
{
  static GType types[3];
  static const gsize sizes[3] = { 64, 1400, 65536 };
  static GMutex lock;
  GType t = G_TYPE_INVALID;

  g_mutex_lock (&lock);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (sizes[i] == size)
      {
        if (types[i] == 0)
          {
            char name[64];
            g_snprintf (name, sizeof name, "EsBenchPayload%" G_GSIZE_FORMAT, size);
            types[i] = es_event_type_register_plain_named (name, size);
          }
        t = types[i];
      }
  g_mutex_unlock (&lock);
  return t;
}

/* The event type of W5 GBytes payloads on the zero-copy path. */
static GType
bytes_type (void)
{
  return G_TYPE_BYTES;
}

static EsEventSystem *
make_system (EsImplementationType impl, guint capacity, gboolean metrics, GError **error)
{
  EsEventSystemBuilder *b = es_event_system_builder_new ();
  EsEventSystem *sys;

  es_event_system_builder_set_implementation (b, impl);
  es_event_system_builder_set_channel_capacity (b, capacity);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_BLOCK);
  /* BLOCK waits at most default-timeout: a descheduled consumer on a loaded
   * 2-core machine must not turn into a failed publish. */
  es_event_system_builder_set_default_timeout (b, 60 * G_USEC_PER_SEC);
  es_event_system_builder_set_batch_size (b, ES_BATCH);
  es_event_system_builder_set_enable_metrics (b, metrics);
  sys = es_event_system_builder_build (b, error);
  g_object_unref (b);
  return sys;
}

static gboolean
es_setup (EsRun *e, const BenchParams *p, gboolean zero_copy, GError **error)
{
  memset (e, 0, sizeof *e);
  e->zero_copy = zero_copy;

  if (p->workload == BENCH_W5)
    e->type = zero_copy ? bytes_type () : payload_type (p->payload_size);
  else
    e->type = bench_event_get_type ();
  if (p->workload == BENCH_W5 && zero_copy)
    e->pool = bench_buf_pool_new (p->payload_size, 2 * p->capacity + 16);
  if (e->type == G_TYPE_INVALID)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_FAILED, "no event type for %" G_GSIZE_FORMAT " bytes",
                   p->payload_size);
      return FALSE;
    }

  e->sys = make_system (zero_copy ? ES_IMPLEMENTATION_ZERO_COPY : ES_IMPLEMENTATION_STATIC_FAST_PATH,
                        p->capacity, p->metrics, error);
  if (e->sys == NULL)
    return FALSE;
  for (guint s = 0; s < MAX (p->n_sub, 1); s++)
    if ((e->subs[s] = es_event_system_subscribe (e->sys, e->type, error)) == NULL)
      return FALSE;
  for (guint i = 0; i < p->n_pub; i++)
    if ((e->pubs[i] = es_event_system_create_publisher (e->sys, e->type, error)) == NULL)
      return FALSE;
  return es_event_system_start (e->sys, error);
}

/* After a good run nothing may be left queued: a contender that delivered
 * more events than were published fails here. */
static void
es_check_leftovers (EsRun *e, const BenchParams *p, BenchResult *r)
{
  for (guint s = 0; s < MAX (p->n_sub, 1) && e->subs[s]; s++)
    {
      g_autoptr (GError) error = NULL;
      EsEvent *ev = es_subscriber_try_receive (e->subs[s], &error);

      if (ev != NULL)
        {
          if (r->ok)
            {
              r->ok = FALSE;
              g_free (r->error);
              r->error = g_strdup_printf ("subscriber %u: an extra event (sequence %" G_GUINT64_FORMAT
                                          ") was queued after all %" G_GUINT64_FORMAT " were received",
                                          s, es_event_get_sequence (ev),
                                          (guint64) p->n_pub * p->events_per_pub);
            }
          es_event_unref (ev);
        }
    }
}

static void
es_teardown (EsRun *e)
{
  if (e->attach_id && e->subs[0])
    es_subscriber_detach (e->subs[0]);
  if (e->sys && es_event_system_get_state (e->sys) == ES_EVENT_SYSTEM_STATE_RUNNING)
    {
      g_autoptr (GError) error = NULL;
      if (!es_event_system_shutdown (e->sys, &error))
        g_printerr ("es-bench: shutdown: %s\n", error->message);
    }
  for (guint i = 0; i < BENCH_MAX_PUB; i++)
    g_clear_object (&e->pubs[i]);
  for (guint s = 0; s < BENCH_MAX_SUB; s++)
    g_clear_object (&e->subs[s]);
  g_clear_object (&e->sys);
  g_clear_pointer (&e->pool, bench_buf_pool_free);
}

static void
es_abort (BenchRun *run)
{
  EsRun *e = run->data;

  /* Wakes blocked publishers (SHUT_DOWN) and receivers (CLOSED once drained). */
  es_event_system_shutdown (e->sys, NULL);
  if (run->loop)
    g_main_loop_quit (run->loop);
}

/* ---------------------------------------------------------------------- */
/* Publishers                                                              */

/* es-static-batch: ES_BATCH events at a time with es_publisher_publish_data_batch(). */
static void
es_static_publish_batches (BenchRun *run, guint index, EsPublisher *pub, BenchPacer *pacer)
{
  const BenchParams *p = run->p;
  BenchEvent *batch = g_aligned_alloc0 (ES_BATCH, sizeof (BenchEvent), BENCH_CACHELINE);
  GError *error = NULL;

  for (guint64 i = 0; i < p->events_per_pub;)
    {
      guint k = (guint) MIN ((guint64) ES_BATCH, p->events_per_pub - i);
      guint done = 0;

      for (guint j = 0; j < k; j++)
        bench_event_fill (&batch[j], pacer, index, i + j, sizeof (BenchEvent));
      if (G_UNLIKELY (!es_publisher_publish_data_batch (pub, batch, sizeof (BenchEvent), k, &done, NULL, &error)))
        {
          if (!bench_run_aborted (run))
            bench_run_fail (run, "publisher %u: es_publisher_publish_data_batch at #%" G_GUINT64_FORMAT ": %s",
                            index, i + done, error->message);
          g_clear_error (&error);
          break;
        }
      if (G_UNLIKELY (done != k))
        {
          bench_run_fail (run, "publisher %u: es_publisher_publish_data_batch published %u of %u", index, done, k);
          break;
        }
      i += k;
    }
  g_aligned_free (batch);
}

static void
es_static_publisher (BenchRun *run, guint index)
{
  EsRun *e = run->data;
  const BenchParams *p = run->p;
  EsPublisher *pub = e->pubs[index];
  EsPublisherClass *klass = ES_PUBLISHER_GET_CLASS (pub);
  const gsize size = p->workload == BENCH_W5 ? p->payload_size : sizeof (BenchEvent);
  /* Cache-line aligned and padded: a malloc'd 64-byte buffer may share a
   * line with another thread's data, which would bill false sharing to the
   * contender. */
  const gsize buf_size = (MAX (size, sizeof (BenchEvent)) + 2 * BENCH_CACHELINE - 1) & ~(gsize) (BENCH_CACHELINE - 1);
  guint8 *buf = g_aligned_alloc0 (1, buf_size, BENCH_CACHELINE);
  BenchPacer pacer;
  GError *error = NULL;

  bench_pacer_init (&pacer, run);
  if (e->batch && p->workload != BENCH_W5)
    {
      es_static_publish_batches (run, index, pub, &pacer);
      g_aligned_free (buf);
      return;
    }
  for (guint64 i = 0; i < p->events_per_pub; i++)
    {
      gboolean ok;

      if (p->workload != BENCH_W5)
        bench_event_fill ((BenchEvent *) buf, &pacer, index, i, size);
      else
        {
          BenchEvent h = { 0 };

          bench_event_fill (&h, &pacer, index, i, size);
          bench_payload_stamp (buf, size, &h);
        }

      if (p->direct)
        ok = klass->publish_data (pub, buf, size, NULL, &error);
      else
        ok = es_publisher_publish_data (pub, buf, size, NULL, &error);
      if (G_UNLIKELY (!ok))
        {
          if (!bench_run_aborted (run))
            bench_run_fail (run, "publisher %u: es_publisher_publish_data #%" G_GUINT64_FORMAT ": %s",
                            index, i, error->message);
          g_clear_error (&error);
          break;
        }
    }
  g_aligned_free (buf);
}

static void
es_zerocopy_publisher (BenchRun *run, guint index)
{
  EsRun *e = run->data;
  const BenchParams *p = run->p;
  EsPublisher *pub = e->pubs[index];
  EsPublisherClass *klass = ES_PUBLISHER_GET_CLASS (pub);
  const gboolean big = p->workload == BENCH_W5;
  BenchEvent ev = { 0 };
  BenchPacer pacer;
  GError *error = NULL;

  bench_pacer_init (&pacer, run);
  for (guint64 i = 0; i < p->events_per_pub; i++)
    {
      EsEvent *event;
      gboolean ok;

      bench_event_fill (&ev, &pacer, index, i, big ? p->payload_size : sizeof ev);
      if (big)
        {
          /* A pooled buffer per event, as a media producer hands over
           * GstBufferPool buffers; only header and trailer are written. The
           * GBytes returns it to the pool when the last subscriber drops it. */
          guint8 *data = bench_buf_pool_get (e->pool, run);
          GBytes *bytes;

          if (data == NULL)
            return;
          bench_payload_stamp (data, p->payload_size, &ev);
          bytes = g_bytes_new_with_free_func (data, p->payload_size, bench_buf_pool_release, data);
          event = es_event_new_bytes (e->type, bytes);
          g_bytes_unref (bytes);
        }
      else
        event = es_event_new (e->type, &ev, sizeof ev);

      /* The event is handed over, as a GAsyncQueue push or gst_pad_push()
       * hands over theirs. */
      if (p->direct)
        ok = klass->publish_take (pub, event, NULL, &error);
      else
        ok = es_publisher_publish_take (pub, event, NULL, &error);
      if (G_UNLIKELY (!ok))
        {
          if (!bench_run_aborted (run))
            bench_run_fail (run, "publisher %u: es_publisher_publish_take #%" G_GUINT64_FORMAT ": %s",
                            index, i, error->message);
          g_clear_error (&error);
          return;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Consumers                                                               */

static void
es_receive_failed (BenchRun *run, guint index, const char *what, GError *error)
{
  BenchChecker *c = &run->checkers[index];

  if (!bench_run_aborted (run))
    bench_run_fail (run, "subscriber %u: %s after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                    " events: %s", index, what, c->received, c->expected,
                    error ? error->message : "no error set");
}

static inline void
check_event (BenchChecker *c, const BenchParams *p, EsEvent *ev)
{
  gsize size = 0;
  gconstpointer data;

  if (p->workload == BENCH_W5)
    {
      GBytes *b = es_event_get_bytes (ev);

      data = b ? g_bytes_get_data (b, &size) : NULL;
      bench_payload_check (c, data, size, p->payload_size);
      return;
    }
  data = es_event_get_data (ev, &size);
  if (G_UNLIKELY (data == NULL || size != sizeof (BenchEvent)))
    {
      bench_checker_fail (c, "event carries %" G_GSIZE_FORMAT " bytes, expected 64", size);
      c->received++;
      return;
    }
  bench_check (c, data, NULL);
}

static void
es_static_consumer (BenchRun *run, guint index)
{
  EsRun *e = run->data;
  const BenchParams *p = run->p;
  EsSubscriber *sub = e->subs[index];
  BenchChecker *c = &run->checkers[index];
  const gboolean big = p->workload == BENCH_W5;
  GError *error = NULL;

  if (e->batch)
    {
      BenchEvent buf[ES_BATCH];

      while (!bench_checker_done (c))
        {
          guint want = (guint) MIN ((guint64) ES_BATCH, c->expected - c->received);
          guint n = es_subscriber_receive_data_batch (sub, buf, sizeof (BenchEvent), want, -1,
                                                      NULL, &error);

          if (G_UNLIKELY (n == 0 || n > want))
            {
              if (n > want)
                bench_checker_fail (c, "receive_data_batch returned %u > max %u", n, want);
              es_receive_failed (run, index, "es_subscriber_receive_data_batch", error);
              g_clear_error (&error);
              return;
            }
          for (guint k = 0; k < n; k++)
            bench_check (c, &buf[k], NULL);
        }
    }
  else if (big)
    {
      g_autofree guint8 *buf = g_malloc (p->payload_size);

      while (!bench_checker_done (c))
        {
          if (G_UNLIKELY (!es_subscriber_receive_data (sub, buf, p->payload_size, -1, NULL, &error)))
            {
              es_receive_failed (run, index, "es_subscriber_receive_data", error);
              g_clear_error (&error);
              return;
            }
          bench_payload_check (c, buf, p->payload_size, p->payload_size);
        }
    }
  else
    {
      BenchEvent ev;

      while (!bench_checker_done (c))
        {
          if (G_UNLIKELY (!es_subscriber_receive_data (sub, &ev, sizeof ev, -1, NULL, &error)))
            {
              es_receive_failed (run, index, "es_subscriber_receive_data", error);
              g_clear_error (&error);
              return;
            }
          bench_check (c, &ev, NULL);
        }
    }
}

static void
es_zerocopy_consumer (BenchRun *run, guint index)
{
  EsRun *e = run->data;
  const BenchParams *p = run->p;
  EsSubscriber *sub = e->subs[index];
  BenchChecker *c = &run->checkers[index];
  GError *error = NULL;

  if (e->batch)
    {
      while (!bench_checker_done (c))
        {
          guint want = (guint) MIN ((guint64) ES_BATCH, c->expected - c->received);
          GPtrArray *events = es_subscriber_receive_batch (sub, want, -1, NULL, &error);

          if (G_UNLIKELY (events == NULL || events->len == 0 || events->len > want))
            {
              if (events && events->len > want)
                bench_checker_fail (c, "receive_batch returned %u > max %u", events->len, want);
              es_receive_failed (run, index, "es_subscriber_receive_batch", error);
              g_clear_error (&error);
              g_clear_pointer (&events, g_ptr_array_unref);
              return;
            }
          for (guint k = 0; k < events->len; k++)
            check_event (c, p, g_ptr_array_index (events, k));
          g_ptr_array_unref (events);   /* its free func unrefs the events */
        }
      return;
    }

  while (!bench_checker_done (c))
    {
      EsEvent *ev = es_subscriber_receive (sub, NULL, &error);

      if (G_UNLIKELY (ev == NULL))
        {
          es_receive_failed (run, index, "es_subscriber_receive", error);
          g_clear_error (&error);
          return;
        }
      check_event (c, p, ev);
      es_event_unref (ev);
    }
}

/* W4: delivery into the main loop of the main thread. */
static gboolean
es_attach_cb (EsSubscriber *sub, EsEvent *ev, gpointer data)
{
  BenchRun *run = data;
  BenchChecker *c = &run->checkers[0];

  if (bench_checker_done (c))
    {
      /* More than was published: counted, so the run fails. */
      bench_checker_fail (c, "extra event delivered after the last one");
      return G_SOURCE_CONTINUE;
    }
  check_event (c, run->p, ev);
  if (bench_checker_done (c))
    bench_run_mainloop_consumer_done (run);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Runs                                                                    */

static void
es_run (const BenchParams *p, BenchResult *res, gboolean zero_copy, gboolean batch)
{
  EsRun e;
  BenchRun run;
  g_autoptr (GError) error = NULL;

  if (!es_setup (&e, p, zero_copy, &error))
    {
      res->ok = FALSE;
      res->error = g_strdup_printf ("setup: %s", error ? error->message : "failed");
      es_teardown (&e);
      return;
    }
  e.batch = batch;

  bench_run_init (&run, p);
  run.data = &e;
  run.publisher = zero_copy ? es_zerocopy_publisher : es_static_publisher;
  run.abort = es_abort;

  if (p->workload == BENCH_W4)
    {
      run.loop = g_main_loop_new (g_main_context_default (), FALSE);
      e.attach_id = es_subscriber_attach (e.subs[0], g_main_context_default (),
                                          es_attach_cb, &run, NULL);
      bench_run_mainloop (&run, res);
    }
  else
    {
      run.consumer = zero_copy ? es_zerocopy_consumer : es_static_consumer;
      bench_run_threads (&run, res);
    }

  if (res->ok)
    es_check_leftovers (&e, p, res);
  es_teardown (&e);
  bench_run_clear (&run);
}

static void run_static (const BenchParams *p, BenchResult *r)         { es_run (p, r, FALSE, FALSE); }
static void run_static_batch (const BenchParams *p, BenchResult *r)   { es_run (p, r, FALSE, TRUE); }
static void run_zerocopy (const BenchParams *p, BenchResult *r)       { es_run (p, r, TRUE, FALSE); }
static void run_zerocopy_batch (const BenchParams *p, BenchResult *r) { es_run (p, r, TRUE, TRUE); }

/* ---------------------------------------------------------------------- */
/* W8: single-thread publish cost                                          */

/* The three variants of W8a run in one call, alternating batch by batch
 * (the order rotates), so that the machine's drift over a round, which on
 * this kind of VM is larger than the 1% being measured, hits them alike.
 * "unified" and "direct" swap their two systems batch by batch, so that
 * neither gains from where its system's memory happens to lie; "metrics"
 * publishes into a third, with metrics on. Which of the three systems that
 * is moves from round to round (@round), so that it does not keep one
 * placement for a whole run either: a process's placement of the three
 * systems, the same in every round, could shift the metrics overhead by
 * several points for a whole run. */
enum { W8_UNIFIED, W8_DIRECT, W8_METRICS, W8_N_VARIANTS };

typedef struct {
  EsRun        e;
  BenchParams  p;
  BenchChecker c;
  guint64      next_seq;
  gboolean     ready;
} W8System;

/* Publishes @k events through variant @v of @sys (timed into @pub_ns), then
 * drains and checks them (into @total_ns). */
static gboolean
w8_batch (W8System *sys, gboolean zero_copy, gboolean direct, guint k,
          gint64 *pub_ns, gint64 *total_ns, GError **error)
{
  EsPublisher *pub = sys->e.pubs[0];
  EsPublisherClass *klass = ES_PUBLISHER_GET_CLASS (pub);
  BenchEvent ev = { 0 };
  BenchEvent buf[ES_BATCH];
  guint got = 0;
  gint64 t0, t1, t2;

  t0 = bench_now_ns ();
  for (guint j = 0; j < k; j++)
    {
      gboolean ok;

      ev.seq = sys->next_seq + j;
      if (!zero_copy)
        ok = direct ? klass->publish_data (pub, &ev, sizeof ev, NULL, error)
                    : es_publisher_publish_data (pub, &ev, sizeof ev, NULL, error);
      else
        {
          EsEvent *event = es_event_new (sys->e.type, &ev, sizeof ev);

          ok = direct ? klass->publish_take (pub, event, NULL, error)
                      : es_publisher_publish_take (pub, event, NULL, error);
        }
      if (G_UNLIKELY (!ok))
        return FALSE;
    }
  t1 = bench_now_ns ();
  sys->next_seq += k;
  while (got < k)
    {
      if (!zero_copy)
        {
          guint m = es_subscriber_receive_data_batch (sys->e.subs[0], buf, sizeof (BenchEvent),
                                                      k - got, -1, NULL, error);
          if (m == 0)
            return FALSE;
          for (guint j = 0; j < m; j++)
            bench_check (&sys->c, &buf[j], NULL);
          got += m;
        }
      else
        {
          EsEvent *event = es_subscriber_try_receive (sys->e.subs[0], error);

          if (event == NULL)
            {
              if (error != NULL && *error == NULL)
                g_set_error (error, ES_ERROR, ES_ERROR_FAILED,
                             "try_receive found the queue empty although %u events were published", k - got);
              return FALSE;
            }
          check_event (&sys->c, &sys->p, event);
          es_event_unref (event);
          got++;
        }
    }
  t2 = bench_now_ns ();
  *pub_ns += t1 - t0;
  *total_ns += t2 - t0;
  return TRUE;
}

static void
w8_run_all (gboolean zero_copy, guint64 n, guint round, BenchResult res[W8_N_VARIANTS])
{
  W8System systems[W8_N_VARIANTS];
  /* Variant v publishes into systems[place[v]] (the unified/direct pair
   * also swaps batch by batch). */
  guint place[W8_N_VARIANTS];
  gint64 pub_ns[W8_N_VARIANTS] = { 0 }, total_ns[W8_N_VARIANTS] = { 0 };
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;
  guint batch = 0;

  place[W8_METRICS] = round % W8_N_VARIANTS;
  place[W8_UNIFIED] = (place[W8_METRICS] + 1) % W8_N_VARIANTS;
  place[W8_DIRECT] = (place[W8_METRICS] + 2) % W8_N_VARIANTS;
  memset (systems, 0, sizeof systems);
  memset (res, 0, W8_N_VARIANTS * sizeof *res);
  for (guint s = 0; s < W8_N_VARIANTS && ok; s++)
    {
      W8System *sys = &systems[s];

      sys->p.workload = BENCH_W8;
      sys->p.n_pub = 1;
      sys->p.n_sub = 1;
      sys->p.events_per_pub = n;
      sys->p.capacity = BENCH_DEFAULT_CAPACITY;
      sys->p.metrics = s == place[W8_METRICS];
      ok = es_setup (&sys->e, &sys->p, zero_copy, &error);
      sys->ready = TRUE;
      bench_checker_init (&sys->c, &sys->p);
    }

  for (guint64 i = 0; i < n && ok; i += ES_BATCH, batch++)
    {
      guint k = (guint) MIN ((guint64) ES_BATCH, n - i);

      for (guint step = 0; step < W8_N_VARIANTS && ok; step++)
        {
          guint v = (batch + step) % W8_N_VARIANTS;

          guint s = v == W8_METRICS ? place[W8_METRICS] : place[(v + batch) % 2];

          ok = w8_batch (&systems[s], zero_copy, v == W8_DIRECT, k,
                         &pub_ns[v], &total_ns[v], &error);
        }
    }

  for (guint v = 0; v < W8_N_VARIANTS; v++)
    {
      W8System *sys = &systems[place[v]];
      BenchResult *r = &res[v];
      g_autoptr (GString) why = g_string_new (NULL);

      if (!ok)
        {
          r->error = g_strdup_printf ("%s: %s", zero_copy ? "publish_take/receive" : "publish_data/receive_data_batch",
                                      error ? error->message : "no error set");
          continue;
        }
      r->ok = bench_checker_verify (&sys->c, why);
      if (!r->ok)
        r->error = g_strdup (why->str);
      r->published = r->delivered = n;
      r->seconds = total_ns[v] / 1e9;
      r->rate = total_ns[v] ? n / (total_ns[v] / 1e9) : 0;
      r->ns_per_event = pub_ns[v] / (double) n;
      r->ns_total = total_ns[v] / (double) n;
      if (r->ok)
        es_check_leftovers (&sys->e, &sys->p, r);
    }
  for (guint s = 0; s < W8_N_VARIANTS; s++)
    if (systems[s].ready)
      {
        bench_checker_clear (&systems[s].c);
        es_teardown (&systems[s].e);
      }
}

void
bench_es_single_thread (gboolean zero_copy, const char *variant, guint64 n, BenchResult *r)
{
  /* The other variants' results of the last joint run, for their rows of
   * the same round (rows run in turn within a round). */
  static BenchResult stash[2][W8_N_VARIANTS];
  static gboolean stashed[2][W8_N_VARIANTS];
  static guint rounds[2];
  guint v = g_str_equal (variant, "direct") ? W8_DIRECT
          : g_str_equal (variant, "metrics") ? W8_METRICS : W8_UNIFIED;

  if (!stashed[zero_copy][v])
    {
      BenchResult all[W8_N_VARIANTS];

      w8_run_all (zero_copy, n, rounds[zero_copy]++, all);
      for (guint k = 0; k < W8_N_VARIANTS; k++)
        {
          if (stashed[zero_copy][k])
            g_free (stash[zero_copy][k].error);
          stash[zero_copy][k] = all[k];
          stashed[zero_copy][k] = TRUE;
        }
    }
  *r = stash[zero_copy][v];
  stashed[zero_copy][v] = FALSE;
}

void
bench_es_init (void)
{
  /* Register the event type (and its dense index) before any run. */
  g_type_ensure (bench_event_get_type ());
}

const BenchContender bench_es_contenders[] = {
  { "es-static", "eventsys static fast path: publish_data / receive_data (W4: attach)",
    BENCH_WL (BENCH_W1) | BENCH_WL (BENCH_W2) | BENCH_WL (BENCH_W3) | BENCH_WL (BENCH_W4) |
    BENCH_WL (BENCH_W5) | BENCH_WL (BENCH_W6) | BENCH_WL (BENCH_W8), run_static },
  { "es-static-batch", "eventsys static fast path: publish_data_batch / receive_data_batch (256)",
    BENCH_WL (BENCH_W1) | BENCH_WL (BENCH_W2) | BENCH_WL (BENCH_W3) | BENCH_WL (BENCH_W8),
    run_static_batch },
  { "es-zerocopy", "eventsys zero-copy: es_event_new + publish_take / receive, shared envelopes (W4: attach)",
    BENCH_WL (BENCH_W1) | BENCH_WL (BENCH_W2) | BENCH_WL (BENCH_W3) | BENCH_WL (BENCH_W4) |
    BENCH_WL (BENCH_W5) | BENCH_WL (BENCH_W6) | BENCH_WL (BENCH_W8), run_zerocopy },
  { "es-zerocopy-batch", "eventsys zero-copy: publish / receive_batch (256)",
    BENCH_WL (BENCH_W1) | BENCH_WL (BENCH_W2) | BENCH_WL (BENCH_W3) | BENCH_WL (BENCH_W8),
    run_zerocopy_batch },
};
const guint bench_n_es_contenders = G_N_ELEMENTS (bench_es_contenders);
