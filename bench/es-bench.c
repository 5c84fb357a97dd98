/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * es-bench: eventsys against GLib's own primitives, in the same run.
 *
 *   es-bench [--quick] [--smoke] [--rounds N] [--workload W1,W4] [--json FILE]
 *
 * Each workload runs each contender in turn, for several rounds (rounds are
 * interleaved, so slow drift of the machine hits every contender alike), and
 * reports the median, the min..max spread and the ratio to every peer. Every
 * consumer checks the sequence numbers it receives; a contender that loses,
 * duplicates or reorders an event is FAILED, never ranked. The "targets"
 * block at the end evaluates the ratio targets of issue 5.
 */
#include "config.h"

#include "es-bench.h"

#include <eventsys/eventsys.h>

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef BENCH_HAVE_GST
#include <gst/gst.h>
#endif

/* ---------------------------------------------------------------------- */
/* Options                                                                 */

static gboolean opt_quick;
static gboolean opt_smoke;
static gint opt_rounds = -1;
static char *opt_json;
static char *opt_workloads;
static char *opt_contenders;
static gint64 opt_events = -1;
static gboolean opt_list;

static GOptionEntry entries[] = {
  { "quick", 'q', 0, G_OPTION_ARG_NONE, &opt_quick, "Smaller counts (200k events per round), 3 rounds", NULL },
  { "smoke", 0, 0, G_OPTION_ARG_NONE, &opt_smoke, "Tiny counts, 1 round: a quick correctness check (the meson test)", NULL },
  { "rounds", 'r', 0, G_OPTION_ARG_INT, &opt_rounds, "Rounds per contender (default 5, quick 3, smoke 1)", "N" },
  { "workload", 'w', 0, G_OPTION_ARG_STRING, &opt_workloads, "Workloads to run, e.g. W1,W4 (default all)", "LIST" },
  { "contenders", 'c', 0, G_OPTION_ARG_STRING, &opt_contenders, "Only these contenders, e.g. es-static,gaq-prealloc", "LIST" },
  { "events", 'n', 0, G_OPTION_ARG_INT64, &opt_events, "Events per round for W1-W5 and W8 (overrides the mode's counts)", "N" },
  { "json", 'j', 0, G_OPTION_ARG_FILENAME, &opt_json, "Also write machine-readable results to FILE", "FILE" },
  { "list", 'l', 0, G_OPTION_ARG_NONE, &opt_list, "List workloads and contenders and exit", NULL },
  { NULL }
};

typedef struct {
  const char *name;
  guint   rounds;
  guint64 events;          /* W1, W3, W8 threaded */
  guint64 events_w2;       /* W2: GAsyncQueue fan-out runs at ~100k/s on 2 cores */
  guint64 events_w4;       /* W4: GstBus runs at ~300k/s */
  guint64 events_w5;       /* W5, every size: see workload_w5() */
  gdouble w6_seconds;
  guint   w6_rounds;       /* 5 in full mode: the median then outlasts two rounds
                            * that the VM's wake-up tails hit (~1 in 6 here) */
  guint   w6_idle_ms;
  guint64 w7_events;
  guint64 w8_single;       /* W8 single-thread events */
  guint   w8_rounds;
  guint64 w8_allocs;       /* W8 allocation count run */
  gint64  timeout_us;
} Mode;

static const Mode mode_full  = { "full",  5, 4000000, 1000000, 2000000, 500000, 2.0, 5, 200, 200000, 4000000, 11, 200000, 300 * G_USEC_PER_SEC };
static const Mode mode_quick = { "quick", 3,  200000,  200000,  200000, 200000, 1.0, 3, 200,  30000, 1000000, 5, 100000,  60 * G_USEC_PER_SEC };
static const Mode mode_smoke = { "smoke", 1,   20000,   20000,   20000,  10000, 0.2, 1,  50,   2000,   50000, 1,  20000,  15 * G_USEC_PER_SEC };

static Mode mode;

/* ---------------------------------------------------------------------- */
/* Results                                                                 */

typedef enum {
  KIND_RATE,      /* events/s, higher is better */
  KIND_LATENCY,   /* µs percentiles, lower is better */
  KIND_NS,        /* ns per event, lower is better */
  KIND_ALLOCS,    /* allocations per event */
} TableKind;

typedef struct {
  char        *name;
  char        *description;
  BenchRunFunc run;
  BenchParams  params;
  GArray      *results;    /* BenchResult, one per round */

  gboolean     failed;
  gboolean     skipped;
  char        *error;
  guint        n_ok;
  /* medians over good rounds */
  gdouble      value;      /* rate (RATE), p99 (LATENCY), ns (NS) */
  gdouble      min, max;
  gdouble      p50, p99, p999, pmax, load_cpu, idle_cpu;
  gdouble      ns_total;
  gdouble      allocs_pub, allocs_sub, allocs_other;
} Row;

typedef struct {
  char       *id;
  char       *title;
  char       *detail;
  TableKind   kind;
  GPtrArray  *rows;        /* Row */
  const char *peers[4];    /* ratio columns */
  char       *note;
  gdouble     foreign_cpu; /* share of the machine's CPU used by other processes */
  gdouble     steal_cpu;   /* share stolen by the hypervisor */
  gboolean    have_cpu;
} Table;

/* Machine noise: CPU used by anything but this process (and its children)
 * while a workload ran, from /proc/stat and getrusage(). */
typedef struct {
  guint64 total, idle, steal;   /* jiffies, all CPUs */
  gint64  self_us;
  gboolean ok;
} CpuSample;

static void
cpu_sample (CpuSample *s)
{
  g_autofree char *stat = NULL;
  guint64 v[10] = { 0 };
  struct rusage self, children;

  memset (s, 0, sizeof *s);
  if (!g_file_get_contents ("/proc/stat", &stat, NULL, NULL) ||
      sscanf (stat, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
              " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
              " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
              &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
    return;
  for (guint i = 0; i < 8; i++)
    s->total += v[i];
  s->idle = v[3] + v[4];
  s->steal = v[7];
  getrusage (RUSAGE_SELF, &self);
  getrusage (RUSAGE_CHILDREN, &children);
  s->self_us = (gint64) (self.ru_utime.tv_sec + self.ru_stime.tv_sec +
                         children.ru_utime.tv_sec + children.ru_stime.tv_sec) * G_USEC_PER_SEC +
               self.ru_utime.tv_usec + self.ru_stime.tv_usec +
               children.ru_utime.tv_usec + children.ru_stime.tv_usec;
  s->ok = TRUE;
}

static void
cpu_noise (Table *t, const CpuSample *a, const CpuSample *b)
{
  double hz = sysconf (_SC_CLK_TCK);
  double total, busy, self;

  /* /proc/stat counts in clock ticks: below ~1 s per CPU the figure is noise. */
  if (!a->ok || !b->ok || b->total < a->total + 2 * (guint64) hz)
    return;
  total = (b->total - a->total) / hz;
  busy = (b->total - a->total - (b->idle - a->idle) - (b->steal - a->steal)) / hz;
  self = (b->self_us - a->self_us) / 1e6;
  t->foreign_cpu = MAX (busy - self, 0) / total;
  t->steal_cpu = (b->steal - a->steal) / hz / total;
  t->have_cpu = TRUE;
}

static GPtrArray *tables;
static gboolean any_failed;

static void
row_free (Row *row)
{
  for (guint i = 0; row->results && i < row->results->len; i++)
    g_free (g_array_index (row->results, BenchResult, i).error);
  g_clear_pointer (&row->results, g_array_unref);
  g_free (row->name);
  g_free (row->description);
  g_free (row->error);
  g_free (row);
}

static void
table_free (Table *t)
{
  g_ptr_array_unref (t->rows);
  g_free (t->id);
  g_free (t->title);
  g_free (t->detail);
  g_free (t->note);
  g_free (t);
}

static Table *
table_new (const char *id, TableKind kind, const char *title)
{
  Table *t = g_new0 (Table, 1);

  t->id = g_strdup (id);
  t->kind = kind;
  t->title = g_strdup (title);
  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  g_ptr_array_add (tables, t);
  return t;
}

static Row *
table_add_row (Table *t, const char *name, const char *description, BenchRunFunc run,
               const BenchParams *params)
{
  Row *row = g_new0 (Row, 1);

  row->name = g_strdup (name);
  row->description = g_strdup (description);
  row->run = run;
  if (params)
    row->params = *params;
  row->results = g_array_new (FALSE, TRUE, sizeof (BenchResult));
  g_ptr_array_add (t->rows, row);
  return row;
}

static Table *
find_table (const char *id)
{
  for (guint i = 0; i < tables->len; i++)
    {
      Table *t = g_ptr_array_index (tables, i);

      if (g_str_equal (t->id, id))
        return t;
    }
  return NULL;
}

static Row *
find_row (const char *table_id, const char *name)
{
  Table *t = find_table (table_id);

  if (t == NULL)
    return NULL;
  for (guint i = 0; i < t->rows->len; i++)
    {
      Row *row = g_ptr_array_index (t->rows, i);

      if (g_str_equal (row->name, name))
        return row;
    }
  return NULL;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median_of (double *v, guint n)
{
  if (n == 0)
    return NAN;
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MEDIAN_FIELD(row, field) ({                                          \
    double _v[64]; guint _n = 0;                                             \
    for (guint _i = 0; _i < (row)->results->len && _n < 64; _i++) {         \
      BenchResult *_r = &g_array_index ((row)->results, BenchResult, _i);   \
      if (_r->ok) _v[_n++] = _r->field;                                      \
    }                                                                        \
    median_of (_v, _n); })

static void
row_summarize (Row *row, TableKind kind)
{
  double lo = INFINITY, hi = -INFINITY;

  row->n_ok = 0;
  for (guint i = 0; i < row->results->len; i++)
    {
      BenchResult *r = &g_array_index (row->results, BenchResult, i);
      double v;

      if (r->skipped)
        {
          row->skipped = TRUE;
          if (row->error == NULL && r->error)
            row->error = g_strdup (r->error);
          continue;
        }
      if (!r->ok)
        {
          row->failed = TRUE;
          if (row->error == NULL)
            row->error = g_strdup_printf ("round %u: %s", i + 1, r->error ? r->error : "failed");
          continue;
        }
      row->n_ok++;
      v = kind == KIND_LATENCY ? r->p99_us : kind == KIND_NS ? r->ns_per_event : r->rate;
      lo = MIN (lo, v);
      hi = MAX (hi, v);
    }
  if (row->failed)
    any_failed = TRUE;
  if (row->n_ok == 0)
    {
      row->value = row->min = row->max = NAN;
      return;
    }
  row->min = lo;
  row->max = hi;
  switch (kind)
    {
    case KIND_LATENCY:
      row->value = MEDIAN_FIELD (row, p99_us);
      break;
    case KIND_NS:
      row->value = MEDIAN_FIELD (row, ns_per_event);
      break;
    default:
      row->value = MEDIAN_FIELD (row, rate);
      break;
    }
  row->p50 = MEDIAN_FIELD (row, p50_us);
  row->p99 = MEDIAN_FIELD (row, p99_us);
  row->p999 = MEDIAN_FIELD (row, p999_us);
  row->pmax = MEDIAN_FIELD (row, max_us);
  row->load_cpu = MEDIAN_FIELD (row, load_cpu);
  row->idle_cpu = MEDIAN_FIELD (row, idle_cpu);
  row->ns_total = MEDIAN_FIELD (row, ns_total);
  row->allocs_pub = MEDIAN_FIELD (row, allocs_pub);
  row->allocs_sub = MEDIAN_FIELD (row, allocs_sub);
  row->allocs_other = MEDIAN_FIELD (row, allocs_other);
}

/* ---------------------------------------------------------------------- */
/* Formatting                                                              */

static char *
fmt_rate (double v)
{
  if (isnan (v))
    return g_strdup ("-");
  if (v >= 1e6)
    return g_strdup_printf ("%.2f M/s", v / 1e6);
  if (v >= 1e3)
    return g_strdup_printf ("%.1f k/s", v / 1e3);
  return g_strdup_printf ("%.0f /s", v);
}

static char *
fmt_short_rate (double v)
{
  if (isnan (v))
    return g_strdup ("-");
  if (v >= 1e6)
    return g_strdup_printf ("%.2fM", v / 1e6);
  if (v >= 1e3)
    return g_strdup_printf ("%.0fk", v / 1e3);
  return g_strdup_printf ("%.0f", v);
}

static char *
fmt_ratio (double v)
{
  if (isnan (v) || isinf (v))
    return g_strdup ("-");
  if (v >= 100)
    return g_strdup_printf ("%.0fx", v);
  if (v >= 10)
    return g_strdup_printf ("%.1fx", v);
  return g_strdup_printf ("%.2fx", v);
}

static double
row_ratio (Row *row, Row *peer)
{
  if (row == NULL || peer == NULL || row->n_ok == 0 || peer->n_ok == 0 ||
      row->failed || peer->failed || peer->value == 0)
    return NAN;
  return row->value / peer->value;
}

static void
print_table (Table *t)
{
  Row *peers[4] = { NULL };
  guint n_peers = 0;

  printf ("\n%s  %s\n", t->id, t->title);
  if (t->detail)
    printf ("    %s\n", t->detail);
  if (t->note)
    printf ("    note: %s\n", t->note);
  if (t->have_cpu)
    printf ("    machine noise: other processes used %.0f%% of the CPU capacity, steal %.0f%%%s\n",
            t->foreign_cpu * 100, t->steal_cpu * 100,
            t->foreign_cpu + t->steal_cpu > 0.10 ? "  (busy machine: figures are unreliable)" : "");
  if (t->rows->len == 0)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (t->peers) && t->peers[i]; i++)
    {
      Row *pr = NULL;

      for (guint k = 0; k < t->rows->len; k++)
        if (g_str_equal (((Row *) g_ptr_array_index (t->rows, k))->name, t->peers[i]))
          pr = g_ptr_array_index (t->rows, k);
      if (pr)
        peers[n_peers++] = pr;
    }

  switch (t->kind)
    {
    case KIND_RATE:
      printf ("    %-20s %12s  %-19s", "contender", "median", "min .. max");
      break;
    case KIND_LATENCY:
      printf ("    %-20s %8s %8s %8s %9s %6s %6s", "contender", "p50 µs", "p99 µs", "p99.9 µs",
              "max µs", "cpu", "idle");
      break;
    case KIND_NS:
      printf ("    %-30s %10s %12s %12s", "variant", "publish", "pub+recv", "min .. max");
      break;
    case KIND_ALLOCS:
      printf ("    %-22s %10s %14s %12s", "contender", "publisher", "consumer/dlv", "other");
      break;
    }
  for (guint i = 0; i < n_peers; i++)
    {
      g_autofree char *h = g_strdup_printf ("vs %s", peers[i]->name);
      printf (" %*s", (int) MAX (strlen (peers[i]->name) + 3, 7), h);
    }
  printf ("  check\n");

  for (guint k = 0; k < t->rows->len; k++)
    {
      Row *row = g_ptr_array_index (t->rows, k);
      const char *status = row->skipped ? "skipped" : row->failed ? "FAILED" : "ok";

      switch (t->kind)
        {
        case KIND_RATE:
          {
            g_autofree char *med = fmt_rate (row->value);
            g_autofree char *lo = fmt_short_rate (row->min);
            g_autofree char *hi = fmt_short_rate (row->max);
            g_autofree char *spread = g_strdup_printf ("%s .. %s", lo, hi);

            printf ("    %-20s %12s  %-19s", row->name, row->n_ok ? med : "-",
                    row->n_ok ? spread : "");
          }
          break;
        case KIND_LATENCY:
          if (row->n_ok)
            printf ("    %-20s %8.1f %8.1f %8.1f %9.1f %5.0f%% %5.1f%%", row->name, row->p50,
                    row->p99, row->p999, row->pmax, row->load_cpu * 100, row->idle_cpu * 100);
          else
            printf ("    %-20s %8s %8s %8s %9s %6s %6s", row->name, "-", "-", "-", "-", "-", "-");
          break;
        case KIND_NS:
          if (row->n_ok)
            printf ("    %-30s %7.1f ns %9.1f ns  %4.1f .. %-5.1f", row->name, row->value,
                    row->ns_total, row->min, row->max);
          else
            printf ("    %-30s %10s %12s %12s", row->name, "-", "-", "");
          break;
        case KIND_ALLOCS:
          if (row->n_ok)
            printf ("    %-22s %10.3f %14.3f %12.4f", row->name, row->allocs_pub,
                    row->allocs_sub, row->allocs_other);
          else
            printf ("    %-22s %10s %14s %12s", row->name, "-", "-", "-");
          break;
        }
      for (guint i = 0; i < n_peers; i++)
        {
          g_autofree char *r = fmt_ratio (row_ratio (row, peers[i]));
          printf (" %*s", (int) MAX (strlen (peers[i]->name) + 3, 7), r);
        }
      printf ("  %s\n", status);
      if (row->error)
        printf ("        %s: %s\n", row->skipped ? "skipped" : "FAILED", row->error);
    }
  fflush (stdout);
}

/* ---------------------------------------------------------------------- */
/* Contenders and rounds                                                   */

static gchar **contender_filter;

static gboolean
contender_selected (const char *name)
{
  if (contender_filter == NULL)
    return TRUE;
  for (guint i = 0; contender_filter[i]; i++)
    if (g_str_equal (g_strstrip (contender_filter[i]), name))
      return TRUE;
  return FALSE;
}

static const BenchContender *
find_contender (const char *name)
{
  for (guint i = 0; i < bench_n_peer_contenders; i++)
    if (g_str_equal (bench_peer_contenders[i].name, name))
      return &bench_peer_contenders[i];
  for (guint i = 0; i < bench_n_es_contenders; i++)
    if (g_str_equal (bench_es_contenders[i].name, name))
      return &bench_es_contenders[i];
  return NULL;
}

/* Display order: references and peers first, then eventsys. */
static const char *contender_order[] = {
  "ring", "gstbus", "gaq-gsource", "gaq-prealloc", "gaq-alloc",
  "es-static", "es-static-batch", "es-zerocopy", "es-zerocopy-batch",
};

static void
add_contenders (Table *t, BenchWorkload w, const BenchParams *p)
{
  for (guint i = 0; i < G_N_ELEMENTS (contender_order); i++)
    {
      const BenchContender *c = find_contender (contender_order[i]);

      if (c && (c->workloads & BENCH_WL (w)) && contender_selected (c->name))
        table_add_row (t, c->name, c->description, c->run, p);
    }
}

static void
print_progress (Table *t, Row *row, guint round, guint rounds, BenchResult *r)
{
  g_autofree char *v = NULL;

  if (r->skipped)
    v = g_strdup ("skipped");
  else if (!r->ok)
    v = g_strdup_printf ("FAILED: %s", r->error ? r->error : "?");
  else if (t->kind == KIND_LATENCY)
    v = g_strdup_printf ("p50 %.1f µs p99 %.1f µs", r->p50_us, r->p99_us);
  else if (t->kind == KIND_NS)
    v = g_strdup_printf ("%.1f ns/event", r->ns_per_event);
  else
    v = fmt_rate (r->rate);
  fprintf (stderr, "  [%s %u/%u] %-24s %s\n", t->id, round + 1, rounds, row->name, v);
}

/* Interleaved rounds: round 1 of every contender, then round 2, ... */
static void
run_rounds_tables (Table **tables, guint n_tables, guint rounds)
{
  CpuSample before, after;

  cpu_sample (&before);
  for (guint r = 0; r < rounds; r++)
    for (guint i = 0; i < n_tables; i++)
      for (guint k = 0; k < tables[i]->rows->len; k++)
        {
          Table *t = tables[i];
          Row *row = g_ptr_array_index (t->rows, k);
          BenchResult res = { 0 };

          if (r > 0 && row->results->len > 0 &&
              g_array_index (row->results, BenchResult, 0).skipped)
            continue;
          row->run (&row->params, &res);
          g_array_append_val (row->results, res);
          print_progress (t, row, r, rounds, &res);
        }
  cpu_sample (&after);
  for (guint i = 0; i < n_tables; i++)
    {
      cpu_noise (tables[i], &before, &after);
      for (guint k = 0; k < tables[i]->rows->len; k++)
        row_summarize (g_ptr_array_index (tables[i]->rows, k), tables[i]->kind);
    }
}

/* Runs @t's rows round by round, interleaved. */
static void
run_rounds (Table *t, guint rounds)
{
  run_rounds_tables (&t, 1, rounds);
}

static void
base_params (BenchParams *p, BenchWorkload w)
{
  memset (p, 0, sizeof *p);
  p->workload = w;
  p->n_pub = 1;
  p->n_sub = 1;
  p->events_per_pub = opt_events > 0 ? (guint64) opt_events : mode.events;
  p->payload_size = sizeof (BenchEvent);
  p->capacity = BENCH_DEFAULT_CAPACITY;
  p->timeout_us = mode.timeout_us;
}

static char *
detail_line (const BenchParams *p, guint rounds)
{
  g_autofree char *per_pub = p->n_pub > 1 ?
    g_strdup_printf (" (%" G_GUINT64_FORMAT " per publisher)", p->events_per_pub) : g_strdup ("");

  return g_strdup_printf ("%" G_GUINT64_FORMAT " events/round%s, %u round%s (interleaved), "
                          "capacity %u, ratios are median/median",
                          p->events_per_pub * p->n_pub, per_pub,
                          rounds, rounds == 1 ? "" : "s", p->capacity);
}

/* ---------------------------------------------------------------------- */
/* Workloads                                                               */

static void
workload_throughput (BenchWorkload w)
{
  BenchParams p;
  Table *t;

  base_params (&p, w);
  switch (w)
    {
    case BENCH_W1:
      t = table_new ("W1", KIND_RATE, "SPSC: 1 publisher thread -> 1 subscriber thread, 64-byte events");
      t->peers[0] = "ring";
      t->peers[1] = "gaq-prealloc";
      t->peers[2] = "gaq-alloc";
      break;
    case BENCH_W2:
      t = table_new ("W2", KIND_RATE, "fan-out: 1 publisher -> 4 subscribers (each receives every event)");
      p.n_sub = 4;
      if (opt_events <= 0)
        p.events_per_pub = mode.events_w2;
      t->peers[0] = "gaq-prealloc";
      t->peers[1] = "gaq-alloc";
      break;
    case BENCH_W3:
      t = table_new ("W3", KIND_RATE, "MPSC: 4 publishers -> 1 subscriber");
      p.n_pub = 4;
      p.events_per_pub = MAX (p.events_per_pub / 4, 1);
      t->peers[0] = "gaq-prealloc";
      t->peers[1] = "gaq-alloc";
      break;
    case BENCH_W4:
      t = table_new ("W4", KIND_RATE, "main-loop delivery: publisher thread -> callback in a GMainLoop on the main thread");
      t->peers[0] = "gstbus";
      t->peers[1] = "gaq-gsource";
      if (opt_events <= 0)
        p.events_per_pub = mode.events_w4;
      if (!bench_have_gstreamer ())
        t->note = g_strdup ("GStreamer not available: no GstBus peer in this build");
      break;
    default:
      g_assert_not_reached ();
    }
  t->detail = detail_line (&p, mode.rounds);
  if (w == BENCH_W2)
    {
      char *d = t->detail;
      t->detail = g_strconcat (d, "; rate = published events/s (deliveries/s = 4x)", NULL);
      g_free (d);
    }
  add_contenders (t, w, &p);
  run_rounds (t, mode.rounds);
  print_table (t);
}

static void
workload_w5 (void)
{
  static const gsize sizes[] = { 64, 1400, 65536 };
  Table *sized[G_N_ELEMENTS (sizes)];

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      BenchParams p;
      Table *t;
      char id[32], title[160];

      base_params (&p, BENCH_W5);
      p.n_sub = 4;
      p.payload_size = sizes[i];
      /* And one round length: each round starts new threads and a new
       * system, whose first 50-100 ms run slower; that weighed 2.5 times
       * more on the 64 KiB rate when its rounds were shorter (200,000
       * against 500,000 events). */
      p.events_per_pub = opt_events > 0 ? (guint64) opt_events : mode.events_w5;
      /* One queue depth for every size and contender, so that only the
       * size differs: 256, where pools, rings and queues hold 16 MiB of
       * 64 KiB payloads per publisher. (At its own 4096 the 64-byte run
       * batches more per wake-up: ~20% more deliveries/s.) */
      p.capacity = (16u << 20) / sizes[G_N_ELEMENTS (sizes) - 1];

      g_snprintf (id, sizeof id, "W5/%" G_GSIZE_FORMAT, sizes[i]);
      g_snprintf (title, sizeof title,
                  "large payloads: %" G_GSIZE_FORMAT "-byte buffers, 1 publisher -> 4 subscribers", sizes[i]);
      t = table_new (id, KIND_RATE, title);
      t->peers[0] = "gaq-prealloc";
      t->peers[1] = "gaq-alloc";
      t->detail = detail_line (&p, mode.rounds);
      {
        char *d = t->detail;
        t->detail = g_strconcat (d, "; payloads come from a recycling buffer pool (as a "
                                 "GstBufferPool): es-zerocopy wraps one in a GBytes (es_event_new_bytes), "
                                 "gaq-alloc in a g_malloc'd refcounted event, gaq-prealloc pools whole "
                                 "events; es-static copies into its ring and out to each subscriber", NULL);
        g_free (d);
      }
      add_contenders (t, BENCH_W5, &p);
      sized[i] = t;
    }
  /* The sizes' rounds are interleaved too: the target compares one
   * contender across sizes, round by round (see evaluate_targets()). */
  run_rounds_tables (sized, G_N_ELEMENTS (sized), mode.rounds);
  for (guint i = 0; i < G_N_ELEMENTS (sized); i++)
    print_table (sized[i]);
}

static void
workload_w6 (void)
{
  BenchParams p;
  Table *t;

  base_params (&p, BENCH_W6);
  p.latency = TRUE;
  p.rate = 100000;
  p.idle_ms = mode.w6_idle_ms;
  p.events_per_pub = (guint64) (p.rate * mode.w6_seconds) + 1;

  t = table_new ("W6", KIND_LATENCY, "latency: 1 -> 1 at a fixed 100,000 events/s");
  t->peers[0] = "gaq-prealloc";
  t->peers[1] = "gaq-alloc";
  t->detail = g_strdup_printf ("%.1f s per round (%" G_GUINT64_FORMAT " events), %u round%s; "
                               "publish->receive via CLOCK_MONOTONIC stamped in the event; "
                               "values are medians over rounds; cpu = consumer thread CPU under "
                               "load, idle = during a %u ms pause; ratios compare p99 (lower is better)",
                               mode.w6_seconds, p.events_per_pub, mode.w6_rounds,
                               mode.w6_rounds == 1 ? "" : "s", p.idle_ms);
  add_contenders (t, BENCH_W6, &p);
  run_rounds (t, mode.w6_rounds);
  print_table (t);
}

/* --- W7: Python through GI --------------------------------------------- */

static char *
find_typelib_dir (char **why)
{
  const char *env = g_getenv ("GI_TYPELIB_PATH");
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr (GPtrArray) tried = g_ptr_array_new_with_free_func (g_free);

  if (env && *env)
    {
      g_auto (GStrv) dirs = g_strsplit (env, ":", -1);

      for (guint i = 0; dirs[i]; i++)
        {
          g_autofree char *f = g_build_filename (dirs[i], "EventSys-1.0.typelib", NULL);

          if (g_file_test (f, G_FILE_TEST_EXISTS))
            return g_strdup (dirs[i]);
          g_ptr_array_add (tried, g_strdup (dirs[i]));
        }
    }
  /* Not in GI_TYPELIB_PATH: the build tree this binary belongs to. */
  {
    const char *candidates[2] = { ES_BENCH_BUILD_ROOT "/introspection", NULL };
    g_autofree char *rel = NULL;

    if (exe)
      {
        g_autofree char *d = g_path_get_dirname (exe);
        g_autofree char *up = g_build_filename (d, "..", "introspection", NULL);
        rel = g_canonicalize_filename (up, NULL);
        if (!g_str_equal (rel, candidates[0]))
          candidates[1] = rel;
      }
    for (guint i = 0; i < G_N_ELEMENTS (candidates) && candidates[i]; i++)
      {
        g_autofree char *f = g_build_filename (candidates[i], "EventSys-1.0.typelib", NULL);

        if (g_file_test (f, G_FILE_TEST_EXISTS))
          return g_canonicalize_filename (candidates[i], NULL);
        g_ptr_array_add (tried, g_strdup (candidates[i]));
      }
  }
  g_ptr_array_add (tried, NULL);
  {
    g_autofree char *list = g_strjoinv (", ", (char **) tried->pdata);
    *why = g_strdup_printf ("EventSys-1.0.typelib not found (looked in GI_TYPELIB_PATH and %s); "
                            "build with -Dintrospection=enabled or set GI_TYPELIB_PATH", list);
  }
  return NULL;
}

static char *
find_python_script (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *src = ES_BENCH_SOURCE_DIR "/es-bench-python.py";

  if (g_file_test (src, G_FILE_TEST_EXISTS))
    return g_strdup (src);
  if (exe)
    {
      g_autofree char *d = g_path_get_dirname (exe);
      char *f = g_build_filename (d, "es-bench-python.py", NULL);

      if (g_file_test (f, G_FILE_TEST_EXISTS))
        return f;
      g_free (f);
    }
  return NULL;
}

static void
workload_w7 (void)
{
  Table *t = table_new ("W7", KIND_RATE, "Python through GI: Python publisher thread -> Python main-loop callback");
  g_autofree char *why = NULL;
  g_autofree char *typelib_dir = find_typelib_dir (&why);
  g_autofree char *script = find_python_script ();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) envp = NULL;
  g_auto (GStrv) lines = NULL;
  char events_s[32], rounds_s[32], timeout_s[32];
  int status = 0;

  t->peers[0] = "py-idle-add";
  t->peers[1] = "py-queue-gsource";

  if (typelib_dir == NULL || script == NULL)
    {
      t->note = g_strdup_printf ("W7 skipped: %s", typelib_dir == NULL ? why :
                                 "es-bench-python.py not found");
      fprintf (stderr, "  [W7] %s\n", t->note);
      print_table (t);
      return;
    }

  g_snprintf (events_s, sizeof events_s, "%" G_GUINT64_FORMAT,
              opt_events > 0 ? MIN ((guint64) opt_events, mode.w7_events) : mode.w7_events);
  g_snprintf (rounds_s, sizeof rounds_s, "%u", mode.rounds);
  g_snprintf (timeout_s, sizeof timeout_s, "%" G_GINT64_FORMAT, mode.timeout_us / G_USEC_PER_SEC);

  envp = g_get_environ ();
  {
    const char *old = g_environ_getenv (envp, "GI_TYPELIB_PATH");
    g_autofree char *v = old && *old ? g_strconcat (typelib_dir, ":", old, NULL) : g_strdup (typelib_dir);
    envp = g_environ_setenv (envp, "GI_TYPELIB_PATH", v, TRUE);
  }
  {
    /* The typelib names libeventsys-1.0.so.0; in a build tree it lives next to
     * the introspection dir. */
    const char *old = g_environ_getenv (envp, "LD_LIBRARY_PATH");
    g_autofree char *libdir = g_build_filename (typelib_dir, "..", "eventsys", NULL);
    g_autofree char *canon = g_canonicalize_filename (libdir, NULL);
    g_autofree char *v = old && *old ? g_strconcat (canon, ":", old, NULL) : g_strdup (canon);
    envp = g_environ_setenv (envp, "LD_LIBRARY_PATH", v, TRUE);
  }

  {
    const char *argv[] = { "/usr/bin/python3", script, "--events", events_s, "--rounds", rounds_s,
                           "--timeout", timeout_s, NULL };

    t->detail = g_strdup_printf ("%s events/round, %s round%s; /usr/bin/python3 %s (typelib from %s)",
                                 events_s, rounds_s, mode.rounds == 1 ? "" : "s", script, typelib_dir);
    CpuSample before, after;
    gboolean spawned;

    fprintf (stderr, "  [W7] running /usr/bin/python3 %s ...\n", script);
    cpu_sample (&before);
    spawned = g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                            &status, &error);
    cpu_sample (&after);
    cpu_noise (t, &before, &after);
    if (!spawned)
      {
        t->note = g_strdup_printf ("W7 skipped: cannot run /usr/bin/python3: %s", error->message);
        print_table (t);
        return;
      }
  }

  /* Protocol, one record per line, tab-separated:
   *   DESC   name  description
   *   RESULT name  round  ok(0|1)  events  seconds  message
   *   SKIP   name  reason                                  */
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);
      guint nf = g_strv_length (f);
      Row *row;

      if (nf < 3)
        continue;
      row = find_row ("W7", f[1]);
      if (row == NULL)
        row = table_add_row (t, f[1], g_str_equal (f[0], "DESC") ? f[2] : "", NULL, NULL);
      if (g_str_equal (f[0], "SKIP"))
        {
          BenchResult r = { .skipped = TRUE, .error = g_strdup (f[2]) };
          g_array_append_val (row->results, r);
        }
      else if (g_str_equal (f[0], "RESULT") && nf >= 7)
        {
          BenchResult r = { 0 };
          r.ok = atoi (f[3]) == 1;
          r.published = g_ascii_strtoull (f[4], NULL, 10);
          r.delivered = r.published;
          r.seconds = g_ascii_strtod (f[5], NULL);
          r.rate = r.seconds > 0 ? r.published / r.seconds : 0;
          if (!r.ok)
            r.error = g_strdup (f[6][0] ? f[6] : "failed");
          g_array_append_val (row->results, r);
          print_progress (t, row, atoi (f[2]) - 1, mode.rounds, &r);
        }
    }
  if (!g_spawn_check_wait_status (status, &error) || t->rows->len == 0)
    {
      g_autofree char *tail = err && strlen (err) > 600 ? g_strdup (err + strlen (err) - 600) : g_strdup (err ? err : "");
      Row *row = table_add_row (t, "python", "the Python benchmark script", NULL, NULL);
      BenchResult r = { 0 };

      r.error = g_strdup_printf ("script failed (%s): %s", error ? error->message : "no results",
                                 g_strstrip (tail));
      g_array_append_val (row->results, r);
    }
  for (guint k = 0; k < t->rows->len; k++)
    row_summarize (g_ptr_array_index (t->rows, k), t->kind);
  print_table (t);
}

/* --- W8: overheads ------------------------------------------------------ */

static void
w8_single (BenchResult *res, gboolean zero_copy, const char *variant)
{
  bench_es_single_thread (zero_copy, variant, opt_events > 0 ? (guint64) opt_events : mode.w8_single, res);
}

static void run_w8_single_static_unified (const BenchParams *p, BenchResult *r) { w8_single (r, FALSE, "unified"); }
static void run_w8_single_static_direct  (const BenchParams *p, BenchResult *r) { w8_single (r, FALSE, "direct"); }
static void run_w8_single_static_metrics (const BenchParams *p, BenchResult *r) { w8_single (r, FALSE, "metrics"); }
static void run_w8_single_zc_unified     (const BenchParams *p, BenchResult *r) { w8_single (r, TRUE, "unified"); }
static void run_w8_single_zc_direct      (const BenchParams *p, BenchResult *r) { w8_single (r, TRUE, "direct"); }
static void run_w8_single_zc_metrics     (const BenchParams *p, BenchResult *r) { w8_single (r, TRUE, "metrics"); }

/* W8 rows are variants "es-static direct" etc.: --contenders selects them by
 * full name or by implementation ("es-static"). */
static void
w8_row (Table *t, const char *name, const char *description, BenchRunFunc run,
        const BenchParams *p)
{
  g_autofree char *base = g_strdup (name);
  char *space = strchr (base, ' ');

  if (space)
    *space = '\0';
  if (contender_selected (name) || contender_selected (base))
    table_add_row (t, name, description, run, p);
}

static void
workload_w8 (void)
{
  Table *t;
  BenchParams p;
  const BenchContender *st = find_contender ("es-static");
  const BenchContender *zc = find_contender ("es-zerocopy");

  /* W8a: API cost on one thread — no cross-thread noise, so a 1% difference
   * is measurable. */
  t = table_new ("W8a", KIND_NS, "overheads, single thread: publish 256 events, then drain them; ns per event");
  t->detail = g_strdup_printf ("%" G_GUINT64_FORMAT " events/round, %u rounds; 'direct' calls "
                               "ES_PUBLISHER_GET_CLASS (pub)->publish_data / ->publish_take; 'metrics' "
                               "enables metrics (default sampling); the three variants of an "
                               "implementation alternate batch by batch within a round; ratios "
                               "compare publish ns (targets: median of per-round paired ratios)",
                               opt_events > 0 ? (guint64) opt_events : mode.w8_single, mode.w8_rounds);
  t->peers[0] = "es-static direct";
  t->peers[1] = "es-zerocopy direct";
  w8_row (t, "es-static unified", "es_publisher_publish_data", run_w8_single_static_unified, NULL);
  w8_row (t, "es-static direct", "class->publish_data", run_w8_single_static_direct, NULL);
  w8_row (t, "es-static metrics", "publish_data, metrics on", run_w8_single_static_metrics, NULL);
  w8_row (t, "es-zerocopy unified", "es_publisher_publish_take", run_w8_single_zc_unified, NULL);
  w8_row (t, "es-zerocopy direct", "class->publish_take", run_w8_single_zc_direct, NULL);
  w8_row (t, "es-zerocopy metrics", "es_publisher_publish_take, metrics on", run_w8_single_zc_metrics, NULL);
  run_rounds (t, mode.w8_rounds);
  print_table (t);

  if (st != NULL && zc != NULL)
    {
      /* W8b: the same, threaded (W1 setting). */
      base_params (&p, BENCH_W8);
      t = table_new ("W8b", KIND_RATE, "overheads, threaded SPSC (W1 setting): unified vs direct, metrics off vs on");
      {
        g_autofree char *line = detail_line (&p, mode.w8_rounds);

        t->detail = g_strdup_printf ("%s; the overhead targets use W8a (single thread, variants "
                                     "alternating batch by batch); these figures, medians of "
                                     "per-round paired ratios, are printed beside them", line);
      }
      t->peers[0] = "es-static";
      t->peers[1] = "es-zerocopy";
      w8_row (t, "es-static", st->description, st->run, &p);
      p.direct = TRUE;
      w8_row (t, "es-static direct", st->description, st->run, &p);
      p.direct = FALSE;
      p.metrics = TRUE;
      w8_row (t, "es-static metrics", st->description, st->run, &p);
      p.metrics = FALSE;
      w8_row (t, "es-zerocopy", zc->description, zc->run, &p);
      p.direct = TRUE;
      w8_row (t, "es-zerocopy direct", zc->description, zc->run, &p);
      p.direct = FALSE;
      p.metrics = TRUE;
      w8_row (t, "es-zerocopy metrics", zc->description, zc->run, &p);
      run_rounds (t, mode.w8_rounds);
      print_table (t);
    }

  /* W8c: allocations per event. */
  base_params (&p, BENCH_W8);
  p.events_per_pub = mode.w8_allocs;
  p.count_allocs = TRUE;
  t = table_new ("W8c", KIND_ALLOCS, "allocations per event (malloc and g_slice calls), SPSC");
  if (!bench_alloc_available ())
    {
      t->note = g_strdup ("not measured: malloc interposition is disabled in sanitizer builds");
      print_table (t);
      return;
    }
  t->detail = g_strdup_printf ("%" G_GUINT64_FORMAT " events, 1 round; malloc-family and "
                               "g_slice_alloc calls between the start barrier and the last delivery, "
                               "by thread; %s",
                               p.events_per_pub,
                               g_strcmp0 (g_getenv ("G_SLICE"), "always-malloc") == 0 ?
                               "G_SLICE=always-malloc: GLib-internal slices counted too" :
                               "GLib-internal g_slice use (the GList node per GAsyncQueue push) is "
                               "not visible: run with G_SLICE=always-malloc to count it");
  {
    static const char *names[] = { "ring", "gaq-prealloc", "gaq-alloc", "es-static",
                                   "es-static-batch", "es-zerocopy", "es-zerocopy-batch" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        const BenchContender *c = find_contender (names[i]);
        if (c && contender_selected (c->name))
          table_add_row (t, c->name, c->description, c->run, &p);
      }
    p.metrics = TRUE;
    if (st)
      w8_row (t, "es-static metrics", st->description, st->run, &p);
    if (zc)
      w8_row (t, "es-zerocopy metrics", zc->description, zc->run, &p);
  }
  run_rounds (t, 1);
  print_table (t);
}

/* ---------------------------------------------------------------------- */
/* Targets                                                                 */

typedef struct {
  char    *what;
  char    *measured;
  gboolean evaluated;
  gboolean met;
} Target;

static GPtrArray *targets;
static GPtrArray *scratch_strings;

/* Keeps a formatted fragment alive until exit, for use inside printf args. */
static const char *
scratch (char *str)
{
  if (scratch_strings == NULL)
    scratch_strings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (scratch_strings, str);
  return str;
}

/* What a paired overhead compares: events/s, or single-thread ns per event
 * of the publish alone or of publish and receive. */
typedef enum {
  PAIRED_RATE,
  PAIRED_PUBLISH_NS,
  PAIRED_TOTAL_NS,
} PairedMeasure;

/* The median over rounds of a[i] / b[i] - 1, with its range in *lo, *hi:
 * rows of one table run their rounds interleaved, so round i of both ran
 * within seconds of each other, and pairing them cancels the machine's
 * drift that a ratio of medians keeps. For overheads of a few percent on a
 * VM whose rates swing by tens of percent between runs. */
static double
paired_overhead (Row *a, Row *b, PairedMeasure measure, double *lo, double *hi)
{
  double v[64];
  guint n = 0;

  for (guint i = 0; i < MIN (a->results->len, b->results->len) && n < G_N_ELEMENTS (v); i++)
    {
      BenchResult *ra = &g_array_index (a->results, BenchResult, i);
      BenchResult *rb = &g_array_index (b->results, BenchResult, i);

      if (!ra->ok || !rb->ok || ra->skipped || rb->skipped)
        continue;
      /* Rates: b (the baseline) faster means a costs more. */
      switch (measure)
        {
        case PAIRED_RATE:
          v[n++] = rb->rate / ra->rate - 1;
          break;
        case PAIRED_PUBLISH_NS:
          v[n++] = ra->ns_per_event / rb->ns_per_event - 1;
          break;
        case PAIRED_TOTAL_NS:
          v[n++] = ra->ns_total / rb->ns_total - 1;
          break;
        }
    }
  *lo = INFINITY;
  *hi = -INFINITY;
  for (guint i = 0; i < n; i++)
    {
      *lo = MIN (*lo, v[i]);
      *hi = MAX (*hi, v[i]);
    }
  return n > 0 ? median_of (v, n) : NAN;
}

static void
target_add (const char *what, gboolean evaluated, gboolean met, const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
target_add (const char *what, gboolean evaluated, gboolean met, const char *format, ...)
{
  Target *t = g_new0 (Target, 1);
  va_list args;

  t->what = g_strdup (what);
  va_start (args, format);
  t->measured = g_strdup_vprintf (format, args);
  va_end (args);
  t->evaluated = evaluated;
  t->met = evaluated && met;
  g_ptr_array_add (targets, t);
}

static const char *
row_state (Row *r)
{
  if (r == NULL)
    return "not run";
  if (r->skipped)
    return "skipped";
  if (r->failed)
    return "FAILED";
  if (r->n_ok == 0)
    return "no result";
  return NULL;
}

/* Appends to the text of the target added last. */
static void
target_append (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
target_append (const char *format, ...)
{
  Target *t = g_ptr_array_index (targets, targets->len - 1);
  g_autofree char *more = NULL;
  char *measured;
  va_list args;

  va_start (args, format);
  more = g_strdup_vprintf (format, args);
  va_end (args);
  measured = g_strconcat (t->measured, more, NULL);
  g_free (t->measured);
  t->measured = measured;
}

/* ratio target: table.row / table.peer >= min. Returns whether it was
 * evaluated (both rows have results). */
static gboolean
target_ratio (const char *what, const char *table, const char *row, const char *peer, double min)
{
  Row *a = find_row (table, row);
  Row *b = find_row (table, peer);
  const char *sa = row_state (a), *sb = row_state (b);

  if (find_table (table) == NULL)
    return FALSE;   /* workload not selected */

  if (sa || sb)
    {
      target_add (what, FALSE, FALSE, "%s %s, %s %s", row, sa ? sa : "ok", peer, sb ? sb : "ok");
      return FALSE;
    }
  target_add (what, TRUE, row_ratio (a, b) >= min, "%.2fx (%s vs %s)",
              row_ratio (a, b), row, peer);
  return TRUE;
}

/* ratio against the faster of the two GAsyncQueue variants */
static void
target_ratio_best_gaq (const char *what, const char *table, const char *row, double min)
{
  Row *pre = find_row (table, "gaq-prealloc"), *alloc = find_row (table, "gaq-alloc");
  Row *a = find_row (table, row);
  Row *best = NULL;

  if (find_table (table) == NULL)
    return;
  if (!row_state (pre))
    best = pre;
  if (!row_state (alloc) && (best == NULL || alloc->value > best->value))
    best = alloc;
  if (row_state (a) || best == NULL)
    {
      target_add (what, FALSE, FALSE, "%s %s, GAsyncQueue peers %s", row,
                  row_state (a) ? row_state (a) : "ok", best ? "ok" : "missing");
      return;
    }
  target_add (what, TRUE, row_ratio (a, best) >= min, "%.2fx vs %s (the faster GAsyncQueue; %.2fx vs %s)",
              row_ratio (a, best), best->name,
              row_ratio (a, best == pre ? alloc : pre), best == pre ? "gaq-alloc" : "gaq-prealloc");
}

static void
evaluate_targets (void)
{
  targets = g_ptr_array_new ();

  /* The ring is the reference: a queue with nothing around it. How
   * far it is ahead of GAsyncQueue varies from run to run with the cost of
   * moving cache lines between the two cores (7.8x and 43x in two runs on
   * one machine): shown beside the 10x, since where the ring is below it,
   * meeting it means beating the ring. */
  {
    Row *single = find_row ("W1", "es-static"), *ring = find_row ("W1", "ring");
    Row *gaq = find_row ("W1", "gaq-prealloc");

    if (target_ratio ("W1 static >= 10x GAsyncQueue (preallocated)", "W1", "es-static", "gaq-prealloc", 10) &&
        !row_state (ring))
      target_append ("; the reference ring: %.2fx", row_ratio (ring, gaq));

    /* eventsys reaches half of the ring with its batch API (one check,
     * claim and commit per run of slots). The per-event figure is shown
     * beside it. */
    if (target_ratio ("W1 static >= 50% of the reference ring (publish_data_batch)", "W1", "es-static-batch", "ring", 0.5) &&
        !row_state (single))
      target_append ("; per event (es-static): %.2fx", row_ratio (single, ring));
  }
  target_ratio ("W1 zero-copy >= 3x GAsyncQueue (allocating)", "W1", "es-zerocopy", "gaq-alloc", 3);
  target_ratio_best_gaq ("W2 static >= 5x 4-queue GAsyncQueue fan-out", "W2", "es-static", 5);
  target_ratio_best_gaq ("W2 zero-copy >= 3x 4-queue GAsyncQueue fan-out", "W2", "es-zerocopy", 3);
  target_ratio_best_gaq ("W3 static >= 3x GAsyncQueue", "W3", "es-static", 3);
  target_ratio_best_gaq ("W3 zero-copy >= 3x GAsyncQueue", "W3", "es-zerocopy", 3);
  target_ratio ("W4 static >= 10x GstBus", "W4", "es-static", "gstbus", 10);
  target_ratio ("W4 zero-copy >= 10x GstBus", "W4", "es-zerocopy", "gstbus", 10);
  target_ratio ("W4 static >= 2x GAsyncQueue + batching GSource", "W4", "es-static", "gaq-gsource", 2);
  target_ratio ("W4 zero-copy >= 2x GAsyncQueue + batching GSource", "W4", "es-zerocopy", "gaq-gsource", 2);

  /* W5: 64 KiB zero-copy deliveries/s within 20% of its 64-byte figure:
   * the same workload and the same GBytes path, only the size differs (W2's
   * plain 64-byte events, which need no GBytes, are shown for reference). */
  {
    Row *big = find_row ("W5/65536", "es-zerocopy");
    Row *small = find_row ("W5/64", "es-zerocopy");
    Row *w2 = find_row ("W2", "es-zerocopy");
    const char *what = "W5 zero-copy at 64 KiB within 20% of its 64-byte rate";

    if (find_table ("W5/65536") == NULL)
      ;
    else if (row_state (big) || row_state (small))
      target_add (what, FALSE, FALSE, "64 KiB %s, 64-byte %s",
                  row_state (big) ? row_state (big) : "ok", row_state (small) ? row_state (small) : "ok");
    else
      {
        /* The sizes' rounds ran interleaved: pair them, as W8 does. */
        double lo, hi, ratio = 1 + paired_overhead (small, big, PAIRED_RATE, &lo, &hi);

        target_add (what, TRUE, ratio >= 0.8,
                    "%.2fx (median of paired rounds, %.2fx .. %.2fx; medians 64 KiB %.2f M/s vs 64 B "
                    "%.2f M/s, W5 GBytes path)%s",
                    ratio, 1 + lo, 1 + hi, big->value / 1e6, small->value / 1e6,
                    !row_state (w2) ?
                      scratch (g_strdup_printf ("; %.2fx of W2's plain 64-byte events", row_ratio (big, w2))) : "");
      }
  }

  /* W6: p99 no worse than GAsyncQueue's, without spinning when idle. */
  for (guint i = 0; i < 2 && find_table ("W6"); i++)
    {
      const char *name = i == 0 ? "es-static" : "es-zerocopy";
      Row *a = find_row ("W6", name);
      Row *pre = find_row ("W6", "gaq-prealloc"), *alloc = find_row ("W6", "gaq-alloc");
      Row *best = NULL;
      g_autofree char *what = g_strdup_printf ("W6 %s p99 <= GAsyncQueue p99, no spinning (CPU < 50%% "
                                               "at 100k/s, < 5%% idle)", i == 0 ? "static" : "zero-copy");

      if (!row_state (pre))
        best = pre;
      if (!row_state (alloc) && (best == NULL || alloc->p99 < best->p99))
        best = alloc;
      if (row_state (a) || best == NULL)
        target_add (what, FALSE, FALSE, "%s %s", name, row_state (a) ? row_state (a) : "ok (no GAsyncQueue peer)");
      else
        target_add (what, TRUE, a->p99 <= best->p99 && a->idle_cpu < 0.05 && a->load_cpu < 0.5,
                    "p99 %.1f µs vs %.1f µs (%s), idle CPU %.1f%%, CPU under load %.0f%%",
                    a->p99, best->p99, best->name, a->idle_cpu * 100, a->load_cpu * 100);
    }

  /* W8 */
  if (find_table ("W8a") == NULL)
    return;
  for (guint i = 0; i < 2; i++)
    {
      const char *impl = i == 0 ? "es-static" : "es-zerocopy";
      g_autofree char *u = g_strdup_printf ("%s unified", impl);
      g_autofree char *d = g_strdup_printf ("%s direct", impl);
      g_autofree char *m = g_strdup_printf ("%s metrics", impl);
      g_autofree char *what = g_strdup_printf ("W8 %s: unified API overhead <= 1%% (single thread, publish ns)", impl);
      g_autofree char *what2 = g_strdup_printf ("W8 %s: metrics overhead <= 5%% (single thread, publish + receive ns)", impl);
      Row *ru = find_row ("W8a", u), *rd = find_row ("W8a", d), *sm = find_row ("W8a", m);
      Row *tb = find_row ("W8b", impl), *tm = find_row ("W8b", m);
      Row *td = find_row ("W8b", d);

      /* Overheads: medians of per-round paired ratios (paired_overhead()),
       * the ratio of the medians beside them. The targets use W8a, whose
       * variants alternate batch by batch within a round and so resolve a
       * 1% difference; the threaded W8b figures, beside them, scatter by
       * tens of percent from round to round on a 2-core VM. */
      if (row_state (ru) || row_state (rd))
        target_add (what, FALSE, FALSE, "not measured");
      else
        {
          /* Separate bounds for the aside: argument evaluation order is unspecified. */
          double lo, hi, lo2, hi2, ovh = paired_overhead (ru, rd, PAIRED_PUBLISH_NS, &lo, &hi);
          target_add (what, TRUE, ovh <= 0.01,
                      "%+.2f%% (median of paired rounds, %+.1f%% .. %+.1f%%; medians %.1f vs %.1f ns/event)%s",
                      ovh * 100, lo * 100, hi * 100, ru->value, rd->value,
                      !row_state (tb) && !row_state (td) ?
                        scratch (g_strdup_printf ("; threaded: %+.2f%%",
                                                  paired_overhead (tb, td, PAIRED_RATE, &lo2, &hi2) * 100)) : "");
        }
      if (row_state (sm) || row_state (ru))
        target_add (what2, FALSE, FALSE, "not measured");
      else
        {
          double lo, hi, lo2, hi2, ovh = paired_overhead (sm, ru, PAIRED_TOTAL_NS, &lo, &hi);
          target_add (what2, TRUE, ovh <= 0.05,
                      "%+.2f%% (median of paired rounds, %+.1f%% .. %+.1f%%; publish alone %+.2f%%)%s",
                      ovh * 100, lo * 100, hi * 100,
                      paired_overhead (sm, ru, PAIRED_PUBLISH_NS, &lo2, &hi2) * 100,
                      !row_state (tb) && !row_state (tm) ?
                        scratch (g_strdup_printf ("; threaded SPSC: %+.2f%% (%+.1f%% .. %+.1f%%)",
                                                  paired_overhead (tm, tb, PAIRED_RATE, &lo2, &hi2) * 100,
                                                  lo2 * 100, hi2 * 100)) : "");
        }
    }
  {
    Row *s = find_row ("W8c", "es-static"), *z = find_row ("W8c", "es-zerocopy");

    if (row_state (s))
      target_add ("W8 static: zero allocations per event", FALSE, FALSE, "es-static %s", row_state (s));
    else
      target_add ("W8 static: zero allocations per event",
                  TRUE, s->allocs_pub + s->allocs_sub + s->allocs_other < 0.01,
                  "%.3f publisher + %.3f consumer + %.4f other per event",
                  s->allocs_pub, s->allocs_sub, s->allocs_other);
    if (row_state (z))
      target_add ("W8 zero-copy: one allocation per publish", FALSE, FALSE, "es-zerocopy %s", row_state (z));
    else
      target_add ("W8 zero-copy: one allocation per publish", TRUE, z->allocs_pub <= 1.01,
                  "%.3f per publish (consumer %.3f per delivery, other threads %.4f)",
                  z->allocs_pub, z->allocs_sub, z->allocs_other);
  }
}

static void
print_targets (void)
{
  guint met = 0, evaluated = 0;

  printf ("\nTargets (issue 5), evaluated on this run:\n");
  for (guint i = 0; i < targets->len; i++)
    {
      Target *t = g_ptr_array_index (targets, i);

      evaluated += t->evaluated;
      met += t->met;
      printf ("  [%-7s] %s\n            %s\n", !t->evaluated ? "n/a" : t->met ? "met" : "NOT MET",
              t->what, t->measured);
    }
  if (targets->len == 0)
    printf ("  none of the selected workloads has a target\n");
  else
    printf ("  %u of %u evaluated targets met%s\n", met, evaluated,
            targets->len > evaluated ? " (n/a: a contender was not run, skipped or failed)" : "");
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

static void
json_str (GString *s, const char *v)
{
  if (v == NULL)
    {
      g_string_append (s, "null");
      return;
    }
  g_string_append_c (s, '"');
  for (const char *p = v; *p; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (s, "\\\""); break;
        case '\\': g_string_append (s, "\\\\"); break;
        case '\n': g_string_append (s, "\\n"); break;
        case '\t': g_string_append (s, "\\t"); break;
        default:
          if ((guchar) *p < 0x20)
            g_string_append_printf (s, "\\u%04x", *p);
          else
            g_string_append_c (s, *p);
        }
    }
  g_string_append_c (s, '"');
}

static void
json_num (GString *s, double v)
{
  if (isnan (v) || isinf (v))
    g_string_append (s, "null");
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
    }
}

static char *machine_info;
static char *command_line;

static gboolean
write_json (const char *path, GError **error)
{
  GString *s = g_string_new ("{\n");

  g_string_append (s, "  \"benchmark\": \"es-bench\",\n  \"mode\": ");
  json_str (s, mode.name);
  g_string_append_printf (s, ",\n  \"rounds\": %u,\n  \"machine\": ", mode.rounds);
  json_str (s, machine_info);
  g_string_append (s, ",\n  \"command\": ");
  json_str (s, command_line);
  g_string_append (s, ",\n  \"eventsys_version\": ");
  json_str (s, ES_VERSION_S);
  g_string_append (s, ",\n  \"workloads\": [");
  for (guint i = 0; i < tables->len; i++)
    {
      Table *t = g_ptr_array_index (tables, i);

      g_string_append (s, i ? ",\n    {" : "\n    {");
      g_string_append (s, "\"id\": ");
      json_str (s, t->id);
      g_string_append (s, ", \"title\": ");
      json_str (s, t->title);
      g_string_append (s, ", \"detail\": ");
      json_str (s, t->detail);
      g_string_append (s, ", \"note\": ");
      json_str (s, t->note);
      g_string_append (s, ", \"foreign_cpu\": ");
      json_num (s, t->have_cpu ? t->foreign_cpu : NAN);
      g_string_append (s, ", \"steal_cpu\": ");
      json_num (s, t->have_cpu ? t->steal_cpu : NAN);
      g_string_append_printf (s, ", \"unit\": \"%s\", \"rows\": [",
                              t->kind == KIND_RATE ? "events/s" : t->kind == KIND_LATENCY ? "us (p99)" :
                              t->kind == KIND_NS ? "ns/event (publish)" : "allocations/event");
      for (guint k = 0; k < t->rows->len; k++)
        {
          Row *row = g_ptr_array_index (t->rows, k);

          g_string_append (s, k ? ",\n      {" : "\n      {");
          g_string_append (s, "\"contender\": ");
          json_str (s, row->name);
          g_string_append (s, ", \"description\": ");
          json_str (s, row->description);
          g_string_append_printf (s, ", \"status\": \"%s\", \"error\": ",
                                  row->skipped ? "skipped" : row->failed ? "failed" : "ok");
          json_str (s, row->error);
          g_string_append (s, ", \"median\": ");
          json_num (s, row->value);
          g_string_append (s, ", \"min\": ");
          json_num (s, row->min);
          g_string_append (s, ", \"max\": ");
          json_num (s, row->max);
          if (t->kind == KIND_LATENCY)
            {
              g_string_append (s, ", \"p50_us\": ");
              json_num (s, row->p50);
              g_string_append (s, ", \"p99_us\": ");
              json_num (s, row->p99);
              g_string_append (s, ", \"p999_us\": ");
              json_num (s, row->p999);
              g_string_append (s, ", \"max_us\": ");
              json_num (s, row->pmax);
              g_string_append (s, ", \"consumer_cpu_load\": ");
              json_num (s, row->load_cpu);
              g_string_append (s, ", \"consumer_cpu_idle\": ");
              json_num (s, row->idle_cpu);
            }
          if (t->kind == KIND_ALLOCS)
            {
              g_string_append (s, ", \"allocs_per_event_publisher\": ");
              json_num (s, row->allocs_pub);
              g_string_append (s, ", \"allocs_per_delivery_consumer\": ");
              json_num (s, row->allocs_sub);
              g_string_append (s, ", \"allocs_per_event_other\": ");
              json_num (s, row->allocs_other);
            }
          g_string_append (s, ", \"ratios\": {");
          {
            gboolean first = TRUE;
            for (guint j = 0; j < G_N_ELEMENTS (t->peers) && t->peers[j]; j++)
              {
                Row *peer = NULL;
                for (guint m = 0; m < t->rows->len; m++)
                  if (g_str_equal (((Row *) g_ptr_array_index (t->rows, m))->name, t->peers[j]))
                    peer = g_ptr_array_index (t->rows, m);
                if (!peer)
                  continue;
                g_string_append (s, first ? "" : ", ");
                json_str (s, peer->name);
                g_string_append (s, ": ");
                json_num (s, row_ratio (row, peer));
                first = FALSE;
              }
          }
          g_string_append (s, "}, \"rounds\": [");
          for (guint r = 0; r < row->results->len; r++)
            {
              BenchResult *br = &g_array_index (row->results, BenchResult, r);

              g_string_append (s, r ? ", {" : "{");
              g_string_append_printf (s, "\"ok\": %s, \"events\": %" G_GUINT64_FORMAT
                                      ", \"deliveries\": %" G_GUINT64_FORMAT ", \"seconds\": ",
                                      br->ok ? "true" : "false", br->published, br->delivered);
              json_num (s, br->seconds);
              g_string_append (s, ", \"rate\": ");
              json_num (s, br->rate);
              if (t->kind == KIND_LATENCY)
                {
                  g_string_append (s, ", \"p99_us\": ");
                  json_num (s, br->p99_us);
                }
              if (t->kind == KIND_NS)
                {
                  g_string_append (s, ", \"ns_per_event\": ");
                  json_num (s, br->ns_per_event);
                }
              g_string_append (s, ", \"error\": ");
              json_str (s, br->error);
              g_string_append (s, "}");
            }
          g_string_append (s, "]}");
        }
      g_string_append (s, "]}");
    }
  g_string_append (s, "\n  ],\n  \"targets\": [");
  for (guint i = 0; i < targets->len; i++)
    {
      Target *t = g_ptr_array_index (targets, i);

      g_string_append (s, i ? ",\n    {" : "\n    {");
      g_string_append (s, "\"target\": ");
      json_str (s, t->what);
      g_string_append_printf (s, ", \"status\": \"%s\", \"measured\": ",
                              !t->evaluated ? "n/a" : t->met ? "met" : "not met");
      json_str (s, t->measured);
      g_string_append (s, "}");
    }
  g_string_append_printf (s, "\n  ],\n  \"all_delivery_checks_passed\": %s\n}\n",
                          any_failed ? "false" : "true");

  {
    gboolean ok = g_file_set_contents (path, s->str, s->len, error);
    g_string_free (s, TRUE);
    return ok;
  }
}

/* ---------------------------------------------------------------------- */
/* main                                                                    */

static char *
describe_machine (void)
{
  g_autofree char *cpuinfo = NULL;
  g_autofree char *model = NULL;
  g_autofree char *gst = NULL;
  struct utsname u;

  if (g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    {
      char *p = strstr (cpuinfo, "model name");
      if (p && (p = strchr (p, ':')))
        {
          char *e = strchr (p, '\n');
          model = g_strstrip (g_strndup (p + 1, e ? (gsize) (e - p - 1) : strlen (p + 1)));
        }
    }
  uname (&u);
#ifdef BENCH_HAVE_GST
  if (bench_have_gstreamer ())
    gst = gst_version_string ();
#endif
  return g_strdup_printf ("%s, %ld online CPUs, Linux %s, GLib %u.%u.%u%s%s, eventsys %s",
                          model ? model : u.machine, sysconf (_SC_NPROCESSORS_ONLN), u.release,
                          glib_major_version, glib_minor_version, glib_micro_version,
                          gst ? ", " : "", gst ? gst : "",
                          ES_VERSION_S);
}

static gboolean
running_under_valgrind (void)
{
  const char *preload = g_getenv ("LD_PRELOAD");

  return preload != NULL && strstr (preload, "vgpreload") != NULL;
}

static gboolean
workload_selected (gchar **list, const char *id)
{
  if (list == NULL)
    return TRUE;
  for (guint i = 0; list[i]; i++)
    if (g_ascii_strcasecmp (g_strstrip (list[i]), id) == 0)
      return TRUE;
  return FALSE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) wl = NULL;
  static const char *all[] = { "W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8" };

  setlocale (LC_ALL, "");
  /* W5 moves 64 KiB buffers malloc'd by the publisher and freed by the last
   * consumer: keep glibc from trimming the heap or mmap()ing them, so that
   * every contender measures its transport, not the kernel. */
  mallopt (M_MMAP_THRESHOLD, 4 << 20);
  mallopt (M_TRIM_THRESHOLD, 256 << 20);

  command_line = g_strjoinv (" ", argv);
  ctx = g_option_context_new ("- eventsys benchmark against GLib primitives");
  g_option_context_set_summary (ctx,
    "Workloads: W1 SPSC, W2 fan-out 1->4, W3 MPSC 4->1, W4 main-loop delivery,\n"
    "W5 large payloads, W6 latency at 100k events/s, W7 Python through GI, W8 overheads.\n"
    "Every consumer checks sequence numbers; a contender that loses or reorders\n"
    "events is FAILED and es-bench exits 1.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("es-bench: %s\n", error->message);
      return 2;
    }

  bench_peers_init (&argc, &argv);
  bench_es_init ();

  if (opt_list)
    {
      printf ("workloads: W1 W2 W3 W4 W5 W6 W7 W8\ncontenders:\n");
      for (guint i = 0; i < G_N_ELEMENTS (contender_order); i++)
        {
          const BenchContender *c = find_contender (contender_order[i]);
          if (c)
            printf ("  %-18s %s\n", c->name, c->description);
        }
      return 0;
    }

  mode = opt_smoke ? mode_smoke : opt_quick ? mode_quick : mode_full;
  if (opt_smoke)
    {
      /* Under valgrind or a sanitizer (the test setups set ES_TEST_SCALE) the
       * smoke test is a correctness run: shrink it. */
      const char *scale_env = g_getenv ("ES_TEST_SCALE");
      double scale = scale_env ? g_ascii_strtod (scale_env, NULL) : 1.0;

      if (running_under_valgrind ())
        scale = MIN (scale, 0.1);
      if (scale > 0 && scale < 1)
        {
          mode.events = MAX (mode.events * scale, 1000);
          mode.events_w2 = MAX (mode.events_w2 * scale, 1000);
          mode.events_w4 = MAX (mode.events_w4 * scale, 1000);
          mode.events_w5 = MAX (mode.events_w5 * scale, 1000);
          mode.w6_seconds = MAX (mode.w6_seconds * scale, 0.05);
          mode.w7_events = MAX (mode.w7_events * scale, 500);
          mode.w8_single = MAX (mode.w8_single * scale, 5000);
          mode.w8_allocs = MAX (mode.w8_allocs * scale, 5000);
          mode.timeout_us *= 20;
        }
    }
  if (opt_rounds > 0)
    {
      mode.rounds = opt_rounds;
      mode.w6_rounds = opt_rounds;
      mode.w8_rounds = MAX (opt_rounds, 1);
    }
  if (opt_workloads)
    wl = g_strsplit (opt_workloads, ",", -1);
  if (opt_contenders)
    contender_filter = g_strsplit (opt_contenders, ",", -1);

  tables = g_ptr_array_new_with_free_func ((GDestroyNotify) table_free);
  machine_info = describe_machine ();

  printf ("es-bench (%s mode, %u rounds): %s\n", mode.name, mode.rounds, machine_info);
  printf ("eventsys contenders use capacity 4096 (W5: 256 for every size), BLOCK backpressure, "
          "metrics off unless stated\n");
  fflush (stdout);

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      if (!workload_selected (wl, all[i]))
        continue;
      switch (i + 1)
        {
        case BENCH_W1: case BENCH_W2: case BENCH_W3: case BENCH_W4:
          workload_throughput (i + 1);
          break;
        case BENCH_W5:
          workload_w5 ();
          break;
        case BENCH_W6:
          workload_w6 ();
          break;
        case BENCH_W7:
          workload_w7 ();
          break;
        case BENCH_W8:
          workload_w8 ();
          break;
        }
    }

  evaluate_targets ();
  print_targets ();

  if (opt_json)
    {
      if (!write_json (opt_json, &error))
        {
          g_printerr ("es-bench: cannot write %s: %s\n", opt_json, error->message);
          return 2;
        }
      printf ("\nJSON results written to %s\n", opt_json);
    }

  if (any_failed)
    printf ("\nAt least one contender FAILED its delivery checks (see above).\n");
  fflush (stdout);

  return any_failed ? 1 : 0;
}
