/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include "eventsys.h"

#include "es-metrics.h"
#include "es-metrics-private.h"
#include "es-exporter.h"
#include "es-http.h"
#include "es-event-system-private.h"

/**
 * EsMetrics:
 *
 * The metrics of one #EsEventSystem: counters per event type (published,
 * delivered, dropped by #EsDropReason, rejected, time spent blocked), gauges
 * (subscribers, per-subscriber queue depth, buffered bytes and events,
 * global buffer utilization), throughput and sampled publish-to-receive
 * latency histograms.
 *
 * An event system built with #EsEventSystem:enable-metrics set has one
 * #EsMetrics, returned by es_event_system_get_metrics(); with metrics off
 * that function returns %NULL and the hot path pays nothing.
 *
 * |[<!-- language="C" -->
 * g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
 * es_event_system_builder_set_enable_metrics (builder, TRUE);
 * es_event_system_builder_set_metrics_reporting_interval (builder, 5 * G_TIME_SPAN_SECOND);
 * g_autoptr(EsEventSystem) system = es_event_system_builder_build (builder, &error);
 * es_event_system_start (system, &error);
 *
 * EsMetrics *metrics = es_event_system_get_metrics (system);
 * g_signal_connect (metrics, "metrics-reported", G_CALLBACK (on_report), NULL);
 * es_metrics_start_dashboard (metrics, 8080, &error);   // http://127.0.0.1:8080/
 * ...
 * g_print ("published %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT
 *          ", buffer %.0f %%\n",
 *          es_metrics_get_total_published (metrics),
 *          es_metrics_get_total_dropped (metrics),
 *          es_metrics_get_buffer_utilization (metrics) * 100);
 * ]|
 *
 * # Cost
 *
 * Published and delivered counts cost the hot path nothing extra: every
 * #EsPublisher and #EsSubscriber counts its own events anyway
 * (es_publisher_get_published_count(), es_subscriber_get_received_count()),
 * and the metrics add those counters up when they are read; what a
 * publisher or subscriber counted stays in the totals after it is gone.
 * Drops, rejects and blocking are rare and use shared atomics. Latency
 * is sampled: one delivered event in #EsMetrics:latency-sampling reads the
 * clock and updates a log-linear histogram (16 buckets per power of two,
 * so percentiles are within 6.25 % of the true value). With the default
 * (%ES_METRICS_DEFAULT_LATENCY_SAMPLING) that is a few percent of the
 * static implementation's per-event cost at tens of millions of events
 * per second, and still hundreds of samples per second at 100,000.
 *
 * # Rates and windows
 *
 * Every #EsMetrics:reporting-interval (the system's
 * #EsEventSystem:metrics-reporting-interval) the metrics take a snapshot
 * and emit #EsMetrics::metrics-reported. Throughput (events/s, bytes/s) and
 * latency percentiles in a snapshot cover its window: for a reported
 * snapshot the last interval; for es_metrics_dup_snapshot() the time since
 * the last report, or since the report before if that is less than half an
 * interval ago (so a window is never shorter than half an interval once the
 * first report has happened). The moving averages are exponentially weighted
 * with a 60 second time constant, updated at each report.
 *
 * # Threads
 *
 * Every function may be called from any thread. #EsMetrics::metrics-reported
 * is emitted in the #GMainContext the system was started in: the
 * thread-default main context of the thread that called
 * es_event_system_start(). Nothing is reported while that context is not
 * iterated.
 *
 * Since: 1.0
 */

/**
 * EsMetricsSnapshot:
 *
 * An immutable, reference-counted copy of an #EsMetrics at one moment:
 * totals, gauges, throughput, latency percentiles, one #EsEventTypeMetrics
 * per event type that saw traffic or has subscribers, and one
 * #EsSubscriberMetrics per live subscriber. Snapshots can be shared between
 * threads freely.
 *
 * Counters are cumulative since the system was created; rates and
 * percentiles cover the snapshot's window, es_metrics_snapshot_get_interval().
 *
 * Since: 1.0
 */

/**
 * EsEventTypeMetrics:
 *
 * The metrics of one event type inside an #EsMetricsSnapshot. Immutable.
 *
 * Since: 1.0
 */

/**
 * EsSubscriberMetrics:
 *
 * The metrics of one subscriber inside an #EsMetricsSnapshot, read from its
 * counters (es_subscriber_get_received_count() and friends). Immutable.
 *
 * Since: 1.0
 */

#define CACHELINE        64
#define L1_SIZE          256
#define L2_SIZE          256
#define MAX_TYPE_INDEX   (L1_SIZE * L2_SIZE)
#define EWMA_TIME_CONSTANT_S 60.0
#define DEFAULT_INTERVAL (5 * G_TIME_SPAN_SECOND)

/* Counters of rare events (drops, rejects, blocking): shared atomics. */
typedef struct {
  _Atomic guint64 rejected;
  _Atomic guint64 blocked_count;
  _Atomic guint64 blocked_us;
  _Atomic guint64 dropped[ES_DROP_REASON_N];
} ColdCounters;

/* What removed sources (EsMetricsSource) counted, so that a type's counts
 * never go back when a publisher or subscriber goes away. Protected by
 * EsMetrics.sources_lock. */
typedef struct {
  guint64 published;
  guint64 published_bytes;
  guint64 delivered;
  guint64 delivered_bytes;
} LeftCounters;

typedef struct {
  alignas (CACHELINE) ColdCounters cold;           /* atomic */
  LeftCounters left;                               /* protected by sources_lock */
  GType        event_type;                         /* immutable */
  guint        index;                              /* immutable */
  EsHistogram *latency;                            /* owned, atomic inside */
} TypeEntry;

typedef struct {
  _Atomic (TypeEntry *) entries[L2_SIZE];
} TypeChunk;

/* Per-thread latency sampling countdown: no shared cache line is written
 * to decide whether an event is a sample. */
static _Thread_local guint32 tls_countdown __attribute__ ((tls_model ("initial-exec")));

struct _EsMetrics
{
  EsMetricsHead      head;                       /* parent instance and the inline-read sample mask */

  GWeakRef           system;                     /* weak ref to the owning EsEventSystem */
  _Atomic (TypeChunk *) chunks[L1_SIZE];         /* atomic, owned; set once by CAS */
  _Atomic guint      sampling;                   /* atomic */
  GTimeSpan          interval;                   /* immutable after construction */

  pthread_mutex_t    sources_lock;               /* protects sources and every entry's left counters */
  GPtrArray         *sources;                    /* element-type EsMetricsSource (unowned), protected by sources_lock */

  pthread_mutex_t    lock;                       /* pthread, not GMutex: visible to TSan */
  GMainContext      *context;                    /* owned, protected by lock */
  GSource           *timer;                      /* owned, protected by lock */
  EsMetricsSnapshot *baseline;                   /* owned, immutable: zeros at creation */
  EsMetricsSnapshot *reported_last;              /* owned, protected by lock */
  EsMetricsSnapshot *reported_prev;              /* owned, protected by lock */
  EsMetricsSnapshot *latest;                     /* owned, protected by lock */
  EsMetricsSnapshot *latest_prev;                /* owned, protected by lock; keeps get_snapshot()'s result alive one more interval */
  EsMetricsReporter *reporter;                   /* owned, protected by lock */
  EsMetricsServer   *server;                     /* owned, protected by lock */
};

enum {
  PROP_0,
  PROP_REPORTING_INTERVAL,
  PROP_LATENCY_SAMPLING,
  N_PROPS
};

enum {
  METRICS_REPORTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EsMetrics, es_metrics, G_TYPE_OBJECT)

/* --- Boxed types --------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (EsMetricsSnapshot, es_metrics_snapshot,
                     es_metrics_snapshot_ref, es_metrics_snapshot_unref)
G_DEFINE_BOXED_TYPE (EsEventTypeMetrics, es_event_type_metrics,
                     es_event_type_metrics_ref, es_event_type_metrics_unref)
G_DEFINE_BOXED_TYPE (EsSubscriberMetrics, es_subscriber_metrics,
                     es_subscriber_metrics_ref, es_subscriber_metrics_unref)

static EsEventTypeMetrics *
type_metrics_new (GType       event_type,
                  const char *name)
{
  EsEventTypeMetrics *self = g_new0 (EsEventTypeMetrics, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->event_type = event_type;
  self->name = g_strdup (name != NULL ? name : (event_type ? g_type_name (event_type) : ""));
  return self;
}

const char *
_es_drop_reason_to_string (EsDropReason reason)
{
  switch (reason)
    {
    case ES_DROP_REASON_DROP_OLDEST: return "drop_oldest";
    case ES_DROP_REASON_DROP_NEWEST: return "drop_newest";
    case ES_DROP_REASON_CUSTOM:      return "custom";
    case ES_DROP_REASON_SHUTDOWN:    return "shutdown";
    default:                         return "unknown";
    }
}

const char *
_es_implementation_to_string (EsImplementationType implementation)
{
  switch (implementation)
    {
    case ES_IMPLEMENTATION_STATIC_FAST_PATH: return "static_fast_path";
    case ES_IMPLEMENTATION_ZERO_COPY:        return "zero_copy";
    default:                                 return "unknown";
    }
}

const char *
_es_state_to_string (EsEventSystemState state)
{
  switch (state)
    {
    case ES_EVENT_SYSTEM_STATE_CREATED: return "created";
    case ES_EVENT_SYSTEM_STATE_RUNNING: return "running";
    case ES_EVENT_SYSTEM_STATE_STOPPED: return "stopped";
    default:                            return "unknown";
    }
}

EsMetricsSnapshot *
_es_metrics_snapshot_new_empty (void)
{
  EsMetricsSnapshot *self = g_new0 (EsMetricsSnapshot, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->timestamp = g_get_real_time ();
  self->monotonic_time = g_get_monotonic_time ();
  self->system_name = g_strdup ("");
  self->state = ES_EVENT_SYSTEM_STATE_CREATED;
  self->totals = type_metrics_new (G_TYPE_INVALID, "");
  self->event_types = g_ptr_array_new_with_free_func ((GDestroyNotify) es_event_type_metrics_unref);
  self->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) es_subscriber_metrics_unref);
  return self;
}

/* Fills self->totals from self->event_types. Latency windows are merged
 * bucket by bucket, so total percentiles are exact percentiles of all
 * samples, not averages of per-type percentiles. */
void
_es_metrics_snapshot_compute_totals (EsMetricsSnapshot *self)
{
  EsEventTypeMetrics *t = self->totals;
  char *name = t->name;
  gatomicrefcount rc = t->ref_count;

  memset (t, 0, sizeof *t);
  t->name = name;
  t->ref_count = rc;

  for (guint i = 0; i < self->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (self->event_types, i);

      t->published += m->published;
      t->published_bytes += m->published_bytes;
      t->delivered += m->delivered;
      t->delivered_bytes += m->delivered_bytes;
      for (guint r = 0; r < ES_DROP_REASON_N; r++)
        t->dropped[r] += m->dropped[r];
      t->rejected += m->rejected;
      t->blocked_count += m->blocked_count;
      t->blocked_us += m->blocked_us;
      t->subscriber_count += m->subscriber_count;
      t->queue_depth += m->queue_depth;
      t->max_queue_utilization = MAX (t->max_queue_utilization, m->max_queue_utilization);
      t->events_per_second += m->events_per_second;
      t->bytes_per_second += m->bytes_per_second;
      t->events_per_second_avg += m->events_per_second_avg;
      t->bytes_per_second_avg += m->bytes_per_second_avg;

      t->latency.count += m->latency.count;
      t->latency.sum += m->latency.sum;
      t->window_latency.count += m->window_latency.count;
      t->window_latency.sum += m->window_latency.sum;
      for (guint b = 0; b < ES_HISTOGRAM_N_BUCKETS; b++)
        {
          t->latency.buckets[b] += m->latency.buckets[b];
          t->window_latency.buckets[b] += m->window_latency.buckets[b];
        }
    }
}

static gint
compare_type_metrics (gconstpointer a,
                      gconstpointer b)
{
  const EsEventTypeMetrics *ma = *(EsEventTypeMetrics * const *) a;
  const EsEventTypeMetrics *mb = *(EsEventTypeMetrics * const *) b;

  return g_strcmp0 (ma->name, mb->name);
}

static gint
compare_subscriber_metrics (gconstpointer a,
                            gconstpointer b)
{
  const EsSubscriberMetrics *ma = *(EsSubscriberMetrics * const *) a;
  const EsSubscriberMetrics *mb = *(EsSubscriberMetrics * const *) b;

  return ma->id < mb->id ? -1 : ma->id > mb->id;
}

/* --- Hot path ------------------------------------------------------------ */

static TypeEntry *
entry_create (EsMetrics *self,
              TypeChunk *chunk,
              guint      type_index,
              GType      event_type)
{
  TypeEntry *entry = g_aligned_alloc0 (1, sizeof (TypeEntry), CACHELINE);
  TypeEntry *expected = NULL;

  entry->event_type = event_type;
  entry->index = type_index;
  entry->latency = _es_histogram_new ();

  /* Release on success publishes the initialised entry to the acquire loads
   * in entry_get() and in the snapshot reader. */
  if (!atomic_compare_exchange_strong_explicit (&chunk->entries[type_index % L2_SIZE],
                                                &expected, entry,
                                                memory_order_acq_rel,
                                                memory_order_acquire))
    {
      _es_histogram_free (entry->latency);
      g_aligned_free (entry);
      return expected;
    }

  return entry;
}

static TypeChunk *
chunk_create (EsMetrics *self,
              guint      l1)
{
  TypeChunk *chunk = g_new0 (TypeChunk, 1);
  TypeChunk *expected = NULL;

  if (!atomic_compare_exchange_strong_explicit (&self->chunks[l1], &expected, chunk,
                                                memory_order_acq_rel,
                                                memory_order_acquire))
    {
      g_free (chunk);
      return expected;
    }

  return chunk;
}

static inline TypeEntry *
entry_get (EsMetrics *self,
           GType      event_type,
           guint      type_index)
{
  TypeChunk *chunk;
  TypeEntry *entry;

  if (G_UNLIKELY (type_index >= MAX_TYPE_INDEX))
    {
      static gsize warned = 0;

      if (g_once_init_enter (&warned))
        {
          g_critical ("eventsys metrics: event type index %u out of range; not counted", type_index);
          g_once_init_leave (&warned, 1);
        }
      return NULL;
    }

  /* Acquire pairs with the release in chunk_create()/entry_create(). */
  chunk = atomic_load_explicit (&self->chunks[type_index / L2_SIZE], memory_order_acquire);
  if (G_UNLIKELY (chunk == NULL))
    chunk = chunk_create (self, type_index / L2_SIZE);

  entry = atomic_load_explicit (&chunk->entries[type_index % L2_SIZE], memory_order_acquire);
  if (G_UNLIKELY (entry == NULL))
    entry = entry_create (self, chunk, type_index, event_type);

  return entry;
}

/* The counters are shared atomics, relaxed: each is an independent
 * statistic and readers need no ordering with anything else. Published and
 * delivered counts are not recorded here at all: they come from the
 * sources (see EsMetricsSource). */

void
_es_metrics_record_latency (EsMetrics *metrics,
                            GType      event_type,
                            guint      type_index,
                            gint64     publish_time_us)
{
  guint sampling;
  guint32 countdown;

  if (G_UNLIKELY (publish_time_us <= 0))
    return;

  /* Per-thread countdown, so no shared cache line is written: the first
   * delivery on each thread is sampled, then one in `sampling`. The
   * sampling value itself is read-mostly (shared, never contended); the
   * `>=` restarts the countdown at once when it was lowered. */
  sampling = atomic_load_explicit (&metrics->sampling, memory_order_relaxed);
  countdown = tls_countdown;
  if (G_LIKELY (countdown != 0 && countdown < sampling))
    {
      tls_countdown = countdown - 1;
      return;
    }
  tls_countdown = sampling > 0 ? sampling - 1 : 0;
  _es_metrics_record_picked (metrics, event_type, type_index, publish_time_us, g_get_monotonic_time ());
}

void
_es_metrics_record_picked (EsMetrics *metrics,
                           GType      event_type,
                           guint      type_index,
                           gint64     publish_time_us,
                           gint64     now_us)
{
  gint64 latency = now_us - publish_time_us;
  TypeEntry *entry = entry_get (metrics, event_type, type_index);

  if (G_LIKELY (entry != NULL))
    _es_histogram_record (entry->latency, latency > 0 ? (guint64) latency : 0);
}

static guint64
sample_mask_for (guint sampling)
{
  /* The highest power of two <= sampling, minus one. */
  return sampling <= 1 ? 0 : (G_GUINT64_CONSTANT (1) << (31 - __builtin_clz (sampling))) - 1;
}

/* Sums @source's counters into @counters (what it counted so far). */
static void
source_read (const EsMetricsSource *source,
             LeftCounters          *counters)
{
  guint64 count = atomic_load_explicit (source->count[0], memory_order_relaxed) +
                  atomic_load_explicit (source->count[1], memory_order_relaxed);
  guint64 bytes = atomic_load_explicit (source->bytes[0], memory_order_relaxed) +
                  atomic_load_explicit (source->bytes[1], memory_order_relaxed);

  if (source->delivers)
    {
      counters->delivered += count;
      counters->delivered_bytes += bytes;
    }
  else
    {
      counters->published += count;
      counters->published_bytes += bytes;
    }
}

void
_es_metrics_add_source (EsMetrics       *metrics,
                        EsMetricsSource *source)
{
  pthread_mutex_lock (&metrics->sources_lock);
  g_ptr_array_add (metrics->sources, source);
  pthread_mutex_unlock (&metrics->sources_lock);
}

void
_es_metrics_remove_source (EsMetrics       *metrics,
                           EsMetricsSource *source)
{
  /* Final: nothing counts into a source being removed. */
  LeftCounters counts = { 0, };
  TypeEntry *entry = NULL;

  source_read (source, &counts);
  /* Created outside the lock (entry_get() may allocate), and only for a
   * source that counted something: a type appears once it has traffic. */
  if (counts.published != 0 || counts.delivered != 0)
    entry = entry_get (metrics, source->event_type, source->type_index);

  pthread_mutex_lock (&metrics->sources_lock);
  /* Fold and remove under one lock, so a reader sees the counts either in
   * the source or in the entry, never in both or neither. */
  if (g_ptr_array_remove_fast (metrics->sources, source) && entry != NULL)
    {
      entry->left.published += counts.published;
      entry->left.published_bytes += counts.published_bytes;
      entry->left.delivered += counts.delivered;
      entry->left.delivered_bytes += counts.delivered_bytes;
    }
  pthread_mutex_unlock (&metrics->sources_lock);
}

void
_es_metrics_record_drop (EsMetrics    *metrics,
                         GType         event_type,
                         guint         type_index,
                         EsDropReason  reason,
                         guint64       n)
{
  TypeEntry *entry;

  g_return_if_fail ((guint) reason < ES_DROP_REASON_N);

  entry = entry_get (metrics, event_type, type_index);
  if (G_UNLIKELY (entry == NULL))
    return;

  atomic_fetch_add_explicit (&entry->cold.dropped[reason], n, memory_order_relaxed);
}

void
_es_metrics_record_reject (EsMetrics *metrics,
                           GType      event_type,
                           guint      type_index)
{
  TypeEntry *entry = entry_get (metrics, event_type, type_index);

  if (G_UNLIKELY (entry == NULL))
    return;

  atomic_fetch_add_explicit (&entry->cold.rejected, 1, memory_order_relaxed);
}

void
_es_metrics_record_blocked (EsMetrics *metrics,
                            GType      event_type,
                            guint      type_index,
                            gint64     blocked_us)
{
  TypeEntry *entry = entry_get (metrics, event_type, type_index);

  if (G_UNLIKELY (entry == NULL))
    return;

  atomic_fetch_add_explicit (&entry->cold.blocked_count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&entry->cold.blocked_us, blocked_us > 0 ? (guint64) blocked_us : 0,
                             memory_order_relaxed);
}

/* --- Reading ------------------------------------------------------------- */

typedef void (*EntryFunc) (TypeEntry *entry,
                           gpointer   user_data);

static void
foreach_entry (EsMetrics *self,
               EntryFunc  func,
               gpointer   user_data)
{
  for (guint i = 0; i < L1_SIZE; i++)
    {
      TypeChunk *chunk = atomic_load_explicit (&self->chunks[i], memory_order_acquire);

      if (chunk == NULL)
        continue;

      for (guint j = 0; j < L2_SIZE; j++)
        {
          TypeEntry *entry = atomic_load_explicit (&chunk->entries[j], memory_order_acquire);

          if (entry != NULL)
            func (entry, user_data);
        }
    }
}

static void
entry_read (TypeEntry          *entry,
            EsEventTypeMetrics *m)
{
  m->published += entry->left.published;
  m->published_bytes += entry->left.published_bytes;
  m->delivered += entry->left.delivered;
  m->delivered_bytes += entry->left.delivered_bytes;

  m->rejected += atomic_load_explicit (&entry->cold.rejected, memory_order_relaxed);
  m->blocked_count += atomic_load_explicit (&entry->cold.blocked_count, memory_order_relaxed);
  m->blocked_us += atomic_load_explicit (&entry->cold.blocked_us, memory_order_relaxed);
  for (guint r = 0; r < ES_DROP_REASON_N; r++)
    m->dropped[r] += atomic_load_explicit (&entry->cold.dropped[r], memory_order_relaxed);

  _es_histogram_read (entry->latency, &m->latency);
}

typedef struct {
  guint64 published;
  guint64 delivered;
  guint64 dropped;
  guint64 rejected;
} Totals;

static void
entry_add_totals (TypeEntry *entry,
                  gpointer   user_data)
{
  Totals *totals = user_data;

  totals->published += entry->left.published;
  totals->delivered += entry->left.delivered;
  totals->rejected += atomic_load_explicit (&entry->cold.rejected, memory_order_relaxed);
  for (guint r = 0; r < ES_DROP_REASON_N; r++)
    totals->dropped += atomic_load_explicit (&entry->cold.dropped[r], memory_order_relaxed);
}

static void
read_totals (EsMetrics *self,
             Totals    *totals)
{
  LeftCounters live = { 0, };

  memset (totals, 0, sizeof *totals);
  pthread_mutex_lock (&self->sources_lock);
  foreach_entry (self, (EntryFunc) entry_add_totals, totals);
  for (guint i = 0; i < self->sources->len; i++)
    source_read (g_ptr_array_index (self->sources, i), &live);
  pthread_mutex_unlock (&self->sources_lock);
  totals->published += live.published;
  totals->delivered += live.delivered;
}

typedef struct {
  GPtrArray  *types;
  GHashTable *by_gtype;   /* GType → EsEventTypeMetrics (borrowed) */
} ReadState;

static void
entry_collect (TypeEntry *entry,
               gpointer   user_data)
{
  ReadState *state = user_data;
  EsEventTypeMetrics *m = g_hash_table_lookup (state->by_gtype, GSIZE_TO_POINTER (entry->event_type));

  if (m == NULL)
    {
      m = type_metrics_new (entry->event_type, NULL);
      g_ptr_array_add (state->types, m);
      g_hash_table_insert (state->by_gtype, GSIZE_TO_POINTER (entry->event_type), m);
      entry_read (entry, m);
    }
  else
    {
      /* Two registry indices for one GType should not happen; merge. */
      EsEventTypeMetrics tmp = { 0, };

      entry_read (entry, &tmp);
      m->published += tmp.published;
      m->published_bytes += tmp.published_bytes;
      m->delivered += tmp.delivered;
      m->delivered_bytes += tmp.delivered_bytes;
      m->rejected += tmp.rejected;
      m->blocked_count += tmp.blocked_count;
      m->blocked_us += tmp.blocked_us;
      for (guint r = 0; r < ES_DROP_REASON_N; r++)
        m->dropped[r] += tmp.dropped[r];
      m->latency.count += tmp.latency.count;
      m->latency.sum += tmp.latency.sum;
      for (guint b = 0; b < ES_HISTOGRAM_N_BUCKETS; b++)
        m->latency.buckets[b] += tmp.latency.buckets[b];
    }
}

EsEventSystem *
_es_metrics_dup_system (EsMetrics *metrics)
{
  return g_weak_ref_get (&metrics->system);
}

static EsEventTypeMetrics *
find_type (EsMetricsSnapshot *snapshot,
           GType              event_type)
{
  if (snapshot == NULL)
    return NULL;

  for (guint i = 0; i < snapshot->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (snapshot->event_types, i);

      if (m->event_type == event_type)
        return m;
    }

  return NULL;
}

/* Builds a snapshot of now. Rates and latency windows are relative to
 * @base; moving averages: updated from @avg_from when @update_avg, copied
 * from it otherwise (or set to the rate when absent). */
static EsMetricsSnapshot *
build_snapshot (EsMetrics         *self,
                EsMetricsSnapshot *base,
                EsMetricsSnapshot *avg_from,
                gboolean           update_avg)
{
  EsMetricsSnapshot *snap = _es_metrics_snapshot_new_empty ();
  g_autoptr(EsEventSystem) system = g_weak_ref_get (&self->system);
  g_autoptr(GHashTable) by_gtype = g_hash_table_new (NULL, NULL);
  ReadState state = { snap->event_types, by_gtype };
  gdouble dt;

  /* Gauges and subscriber counters first, type counters last: a subscriber
   * counter can then never be ahead of the type's delivered counter. */
  if (system != NULL)
    {
      g_autoptr(GPtrArray) subscribers = _es_event_system_dup_subscribers (system);
      EsBufferManager *buffers = es_event_system_get_buffer_manager (system);

      g_free (snap->system_name);
      snap->system_name = g_strdup (es_event_system_get_name (system));
      if (snap->system_name == NULL)
        snap->system_name = g_strdup ("");
      snap->implementation = es_event_system_get_implementation (system);
      snap->state = es_event_system_get_state (system);
      snap->channel_capacity = es_event_system_get_channel_capacity (system);

      if (buffers != NULL)
        {
          snap->buffered_bytes = es_buffer_manager_get_buffered_bytes (buffers);
          snap->buffered_events = es_buffer_manager_get_buffered_events (buffers);
          snap->buffer_limit_bytes = es_buffer_manager_get_limit_bytes (buffers);
          snap->buffer_utilization = es_buffer_manager_get_utilization (buffers);
        }

      for (guint i = 0; subscribers != NULL && i < subscribers->len; i++)
        {
          EsSubscriber *sub = g_ptr_array_index (subscribers, i);
          EsSubscriberMetrics *sm = g_new0 (EsSubscriberMetrics, 1);
          const char *name = es_subscriber_get_name (sub);

          g_atomic_ref_count_init (&sm->ref_count);
          sm->id = es_subscriber_get_id (sub);
          sm->name = g_strdup (name);
          sm->event_type = es_subscriber_get_event_type (sub);
          sm->event_type_name = g_strdup (sm->event_type ? g_type_name (sm->event_type) : "");
          sm->published = es_subscriber_get_published_count (sub);
          sm->received = es_subscriber_get_received_count (sub);
          sm->dropped = es_subscriber_get_dropped_count (sub);
          sm->filtered = es_subscriber_get_filtered_count (sub);
          sm->queue_depth = es_subscriber_get_queue_depth (sub);
          sm->queue_utilization = snap->channel_capacity > 0
            ? MIN (1.0, (gdouble) sm->queue_depth / snap->channel_capacity) : 0.0;
          g_ptr_array_add (snap->subscribers, sm);
        }
      snap->subscriber_count = snap->subscribers->len;
    }

  /* Entries (with what removed sources left) and live sources under one
   * lock: see _es_metrics_remove_source(). The live counters keep moving
   * while we read them, so the subscribers' go first: read in the array's
   * order, a publisher read before a burst and its subscriber read after
   * it would show the burst delivered but not published. A publish counts
   * itself when it returns, after its receivers may have; so delivered can
   * still run ahead by what publishes in progress during the read deliver. */
  pthread_mutex_lock (&self->sources_lock);
  foreach_entry (self, entry_collect, &state);
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < self->sources->len; i++)
      {
        const EsMetricsSource *source = g_ptr_array_index (self->sources, i);
        EsEventTypeMetrics *m;
        LeftCounters counts = { 0, };

        if (source->delivers != (pass == 0))
          continue;
        source_read (source, &counts);
        m = g_hash_table_lookup (by_gtype, GSIZE_TO_POINTER (source->event_type));
        if (m == NULL)
          {
            /* A type appears once it has traffic (or, below, subscribers). */
            if (counts.published == 0 && counts.delivered == 0)
              continue;
            m = type_metrics_new (source->event_type, NULL);
            g_ptr_array_add (snap->event_types, m);
            g_hash_table_insert (by_gtype, GSIZE_TO_POINTER (source->event_type), m);
          }
        m->published += counts.published;
        m->published_bytes += counts.published_bytes;
        m->delivered += counts.delivered;
        m->delivered_bytes += counts.delivered_bytes;
      }
  pthread_mutex_unlock (&self->sources_lock);

  snap->timestamp = g_get_real_time ();
  snap->monotonic_time = g_get_monotonic_time ();

  /* Subscribed types without traffic still get an entry. */
  for (guint i = 0; i < snap->subscribers->len; i++)
    {
      EsSubscriberMetrics *sm = g_ptr_array_index (snap->subscribers, i);
      EsEventTypeMetrics *m = g_hash_table_lookup (by_gtype, GSIZE_TO_POINTER (sm->event_type));

      if (m == NULL)
        {
          m = type_metrics_new (sm->event_type, NULL);
          g_ptr_array_add (snap->event_types, m);
          g_hash_table_insert (by_gtype, GSIZE_TO_POINTER (sm->event_type), m);
        }
      m->subscriber_count++;
      m->queue_depth += sm->queue_depth;
      m->max_queue_utilization = MAX (m->max_queue_utilization, sm->queue_utilization);
    }

  if (base == NULL)
    base = self->baseline;
  snap->interval = snap->monotonic_time - base->monotonic_time;
  dt = MAX (snap->interval, 1) / (gdouble) G_TIME_SPAN_SECOND;

  for (guint i = 0; i < snap->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (snap->event_types, i);
      EsEventTypeMetrics *b = find_type (base, m->event_type);
      EsEventTypeMetrics *a = find_type (avg_from, m->event_type);
      guint64 b_pub = b ? b->published : 0;
      guint64 b_bytes = b ? b->published_bytes : 0;

      m->events_per_second = (m->published >= b_pub ? m->published - b_pub : 0) / dt;
      m->bytes_per_second = (m->published_bytes >= b_bytes ? m->published_bytes - b_bytes : 0) / dt;

      if (b != NULL)
        _es_histogram_data_subtract (&m->window_latency, &m->latency, &b->latency);
      else
        m->window_latency = m->latency;

      if (a == NULL)
        {
          m->events_per_second_avg = m->events_per_second;
          m->bytes_per_second_avg = m->bytes_per_second;
        }
      else if (update_avg)
        {
          gdouble alpha = 1.0 - exp (-dt / EWMA_TIME_CONSTANT_S);

          m->events_per_second_avg = a->events_per_second_avg + alpha * (m->events_per_second - a->events_per_second_avg);
          m->bytes_per_second_avg = a->bytes_per_second_avg + alpha * (m->bytes_per_second - a->bytes_per_second_avg);
        }
      else
        {
          m->events_per_second_avg = a->events_per_second_avg;
          m->bytes_per_second_avg = a->bytes_per_second_avg;
        }
    }

  g_ptr_array_sort (snap->event_types, compare_type_metrics);
  g_ptr_array_sort (snap->subscribers, compare_subscriber_metrics);
  _es_metrics_snapshot_compute_totals (snap);

  return snap;
}

/* --- Reporting ----------------------------------------------------------- */

static void
report (EsMetrics *self)
{
  g_autoptr(EsMetricsSnapshot) base = NULL;
  g_autoptr(EsMetricsSnapshot) snapshot = NULL;
  g_autoptr(EsMetricsSnapshot) old_prev = NULL;
  g_autoptr(EsMetricsSnapshot) old_latest_prev = NULL;
  EsMetricsReporter *reporter = NULL;

  pthread_mutex_lock (&self->lock);
  if (self->reported_last != NULL)
    base = es_metrics_snapshot_ref (self->reported_last);
  pthread_mutex_unlock (&self->lock);

  snapshot = build_snapshot (self, base, base, TRUE);

  pthread_mutex_lock (&self->lock);
  old_prev = g_steal_pointer (&self->reported_prev);
  self->reported_prev = g_steal_pointer (&self->reported_last);
  self->reported_last = es_metrics_snapshot_ref (snapshot);
  old_latest_prev = g_steal_pointer (&self->latest_prev);
  self->latest_prev = g_steal_pointer (&self->latest);
  self->latest = es_metrics_snapshot_ref (snapshot);
  if (self->reporter != NULL)
    reporter = g_object_ref (self->reporter);
  pthread_mutex_unlock (&self->lock);

  /* User code (signal handlers, file writes) runs without the lock held. */
  g_signal_emit (self, signals[METRICS_REPORTED], 0, snapshot);

  if (reporter != NULL)
    {
      _es_metrics_reporter_report (reporter, snapshot);
      g_object_unref (reporter);
    }
}

static gboolean
report_timeout_cb (gpointer user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(EsMetrics) self = g_weak_ref_get (weak);

  if (self == NULL)
    return G_SOURCE_REMOVE;

  report (self);
  return G_SOURCE_CONTINUE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

EsMetrics *
_es_metrics_new (EsEventSystem *system)
{
  EsMetrics *self;
  GTimeSpan interval = DEFAULT_INTERVAL;
  GParamSpec *pspec;

  g_return_val_if_fail (system == NULL || G_IS_OBJECT (system), NULL);

  if (system != NULL &&
      (pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (system), "metrics-reporting-interval")) != NULL)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      g_auto(GValue) as_int64 = G_VALUE_INIT;

      g_value_init (&value, pspec->value_type);
      g_object_get_property (G_OBJECT (system), "metrics-reporting-interval", &value);
      g_value_init (&as_int64, G_TYPE_INT64);
      if (g_value_transform (&value, &as_int64) && g_value_get_int64 (&as_int64) > 0)
        interval = g_value_get_int64 (&as_int64);
    }

  self = g_object_new (ES_TYPE_METRICS, NULL);
  self->interval = interval;
  g_weak_ref_set (&self->system, system);

  return self;
}

void
_es_metrics_start (EsMetrics    *metrics,
                   GMainContext *context)
{
  GWeakRef *weak;
  GSource *source;
  guint ms;

  g_return_if_fail (ES_IS_METRICS (metrics));

  pthread_mutex_lock (&metrics->lock);
  if (metrics->timer != NULL)
    {
      pthread_mutex_unlock (&metrics->lock);
      return;
    }

  g_clear_pointer (&metrics->context, g_main_context_unref);
  metrics->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();

  ms = (guint) CLAMP (metrics->interval / 1000, 1, G_MAXUINT);
  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, metrics);
  source = g_timeout_source_new (ms);
  g_source_set_static_name (source, "[eventsys] metrics report");
  g_source_set_callback (source, report_timeout_cb, weak, weak_ref_free);
  g_source_attach (source, metrics->context);
  metrics->timer = source;
  pthread_mutex_unlock (&metrics->lock);
}

void
_es_metrics_stop (EsMetrics *metrics)
{
  GSource *timer;

  g_return_if_fail (ES_IS_METRICS (metrics));

  pthread_mutex_lock (&metrics->lock);
  timer = g_steal_pointer (&metrics->timer);
  pthread_mutex_unlock (&metrics->lock);

  /* The dashboard keeps running (it shows the final state and /health
   * reports "stopped") until es_metrics_stop_dashboard() or disposal. */
  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }
}

/* --- GObject ------------------------------------------------------------- */

static void
es_metrics_dispose (GObject *object)
{
  EsMetrics *self = ES_METRICS (object);

  _es_metrics_stop (self);
  es_metrics_stop_dashboard (self);
  g_clear_object (&self->reporter);

  G_OBJECT_CLASS (es_metrics_parent_class)->dispose (object);
}

static void
es_metrics_finalize (GObject *object)
{
  EsMetrics *self = ES_METRICS (object);

  for (guint i = 0; i < L1_SIZE; i++)
    {
      TypeChunk *chunk = atomic_load_explicit (&self->chunks[i], memory_order_acquire);

      if (chunk == NULL)
        continue;
      for (guint j = 0; j < L2_SIZE; j++)
        {
          TypeEntry *entry = atomic_load_explicit (&chunk->entries[j], memory_order_acquire);

          if (entry != NULL)
            {
              _es_histogram_free (entry->latency);
              g_aligned_free (entry);
            }
        }
      g_free (chunk);
    }

  g_weak_ref_clear (&self->system);
  /* Every source holds the system, which holds these metrics. */
  g_warn_if_fail (self->sources->len == 0);
  g_clear_pointer (&self->sources, g_ptr_array_unref);
  pthread_mutex_destroy (&self->sources_lock);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->baseline, es_metrics_snapshot_unref);
  g_clear_pointer (&self->reported_last, es_metrics_snapshot_unref);
  g_clear_pointer (&self->reported_prev, es_metrics_snapshot_unref);
  g_clear_pointer (&self->latest, es_metrics_snapshot_unref);
  g_clear_pointer (&self->latest_prev, es_metrics_snapshot_unref);
  pthread_mutex_destroy (&self->lock);

  G_OBJECT_CLASS (es_metrics_parent_class)->finalize (object);
}

static void
es_metrics_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  EsMetrics *self = ES_METRICS (object);

  switch (prop_id)
    {
    case PROP_REPORTING_INTERVAL:
      g_value_set_int64 (value, es_metrics_get_reporting_interval (self));
      break;

    case PROP_LATENCY_SAMPLING:
      g_value_set_uint (value, es_metrics_get_latency_sampling (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_metrics_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  EsMetrics *self = ES_METRICS (object);

  switch (prop_id)
    {
    case PROP_LATENCY_SAMPLING:
      es_metrics_set_latency_sampling (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_metrics_class_init (EsMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_metrics_dispose;
  object_class->finalize = es_metrics_finalize;
  object_class->get_property = es_metrics_get_property;
  object_class->set_property = es_metrics_set_property;

  /**
   * EsMetrics:reporting-interval:
   *
   * Microseconds between two emissions of #EsMetrics::metrics-reported,
   * taken from the system's #EsEventSystem:metrics-reporting-interval.
   *
   * Since: 1.0
   */
  properties[PROP_REPORTING_INTERVAL] =
    g_param_spec_int64 ("reporting-interval", NULL, NULL,
                        1, G_MAXINT64, DEFAULT_INTERVAL,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * EsMetrics:latency-sampling:
   *
   * Record the publish-to-receive latency of one delivered event in this
   * many; 1 records every event. Counters are never sampled.
   *
   * Envelopes (es_subscriber_receive() and the zero-copy implementation)
   * are counted down per receiving thread. Plain data received from the
   * static implementation (es_subscriber_receive_data()) carries no publish
   * time except on the samples, which the publisher picks by sequence
   * number: one in the highest power of two not above this value.
   *
   * Since: 1.0
   */
  properties[PROP_LATENCY_SAMPLING] =
    g_param_spec_uint ("latency-sampling", NULL, NULL,
                       1, G_MAXUINT32, ES_METRICS_DEFAULT_LATENCY_SAMPLING,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EsMetrics::metrics-reported:
   * @self: the metrics
   * @snapshot: the snapshot of this interval
   *
   * Emitted every #EsMetrics:reporting-interval with a fresh snapshot whose
   * rates cover the interval since the previous emission.
   *
   * Emitted in the #GMainContext the system was started in (the
   * thread-default main context of the thread that called
   * es_event_system_start()), on the thread iterating it, with no internal
   * lock held. After the handlers run, the #EsMetricsReporter (if any)
   * writes its outputs.
   *
   * Since: 1.0
   */
  signals[METRICS_REPORTED] =
    g_signal_new ("metrics-reported",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  ES_TYPE_METRICS_SNAPSHOT);
}

static void
es_metrics_init (EsMetrics *self)
{
  pthread_mutex_init (&self->lock, NULL);
  pthread_mutex_init (&self->sources_lock, NULL);
  self->sources = g_ptr_array_new ();
  g_weak_ref_init (&self->system, NULL);
  atomic_init (&self->sampling, ES_METRICS_DEFAULT_LATENCY_SAMPLING);
  atomic_init (&self->head.sample_mask, sample_mask_for (ES_METRICS_DEFAULT_LATENCY_SAMPLING));
  for (guint i = 0; i < L1_SIZE; i++)
    atomic_init (&self->chunks[i], NULL);
  self->interval = DEFAULT_INTERVAL;
  self->baseline = _es_metrics_snapshot_new_empty ();
}

/* --- Public API: EsMetrics ----------------------------------------------- */

/**
 * es_metrics_get_reporting_interval:
 * @self: an #EsMetrics
 *
 * Gets #EsMetrics:reporting-interval.
 *
 * Returns: the reporting interval in microseconds
 *
 * Since: 1.0
 */
GTimeSpan
es_metrics_get_reporting_interval (EsMetrics *self)
{
  g_return_val_if_fail (ES_IS_METRICS (self), 0);

  return self->interval;
}

/**
 * es_metrics_get_latency_sampling:
 * @self: an #EsMetrics
 *
 * Gets #EsMetrics:latency-sampling.
 *
 * Returns: one delivered event in this many has its latency recorded
 *
 * Since: 1.0
 */
guint
es_metrics_get_latency_sampling (EsMetrics *self)
{
  g_return_val_if_fail (ES_IS_METRICS (self), 0);

  return atomic_load_explicit (&self->sampling, memory_order_relaxed);
}

/**
 * es_metrics_set_latency_sampling:
 * @self: an #EsMetrics
 * @sampling: record one delivered event in this many, at least 1
 *
 * Sets #EsMetrics:latency-sampling. Takes effect on each receiving thread
 * after its current countdown.
 *
 * Since: 1.0
 */
void
es_metrics_set_latency_sampling (EsMetrics *self,
                                 guint      sampling)
{
  guint old;

  g_return_if_fail (ES_IS_METRICS (self));
  g_return_if_fail (sampling >= 1);

  atomic_store_explicit (&self->head.sample_mask, sample_mask_for (sampling), memory_order_relaxed);
  old = atomic_exchange_explicit (&self->sampling, sampling, memory_order_relaxed);
  if (old != sampling)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LATENCY_SAMPLING]);
}

/**
 * es_metrics_get_total_published:
 * @self: an #EsMetrics
 *
 * Events published, all event types together, since the system was
 * created. A batch of n events counts n.
 *
 * Returns: the number of published events
 *
 * Since: 1.0
 */
guint64
es_metrics_get_total_published (EsMetrics *self)
{
  Totals totals;

  g_return_val_if_fail (ES_IS_METRICS (self), 0);

  read_totals (self, &totals);
  return totals.published;
}

/**
 * es_metrics_get_total_delivered:
 * @self: an #EsMetrics
 *
 * Events handed to receivers (one per subscriber that received it), all
 * event types together.
 *
 * Returns: the number of delivered events
 *
 * Since: 1.0
 */
guint64
es_metrics_get_total_delivered (EsMetrics *self)
{
  Totals totals;

  g_return_val_if_fail (ES_IS_METRICS (self), 0);

  read_totals (self, &totals);
  return totals.delivered;
}

/**
 * es_metrics_get_total_dropped:
 * @self: an #EsMetrics
 *
 * Events dropped for any #EsDropReason, all event types together (one per
 * subscriber that lost it).
 *
 * Returns: the number of dropped events
 *
 * Since: 1.0
 */
guint64
es_metrics_get_total_dropped (EsMetrics *self)
{
  Totals totals;

  g_return_val_if_fail (ES_IS_METRICS (self), 0);

  read_totals (self, &totals);
  return totals.dropped;
}

/**
 * es_metrics_get_total_rejected:
 * @self: an #EsMetrics
 *
 * Publishes that failed with %ES_ERROR_BACKPRESSURE, all event types
 * together.
 *
 * Returns: the number of rejected publishes
 *
 * Since: 1.0
 */
guint64
es_metrics_get_total_rejected (EsMetrics *self)
{
  Totals totals;

  g_return_val_if_fail (ES_IS_METRICS (self), 0);

  read_totals (self, &totals);
  return totals.rejected;
}

/**
 * es_metrics_get_buffer_utilization:
 * @self: an #EsMetrics
 *
 * The current global buffer utilization (see
 * es_buffer_manager_get_utilization()).
 *
 * Returns: the utilization, 0 to 1 (0 when the system is gone)
 *
 * Since: 1.0
 */
gdouble
es_metrics_get_buffer_utilization (EsMetrics *self)
{
  g_autoptr(EsEventSystem) system = NULL;
  EsBufferManager *buffers;

  g_return_val_if_fail (ES_IS_METRICS (self), 0.0);

  system = g_weak_ref_get (&self->system);
  if (system == NULL)
    return 0.0;

  buffers = es_event_system_get_buffer_manager (system);
  return buffers != NULL ? es_buffer_manager_get_utilization (buffers) : 0.0;
}

/**
 * es_metrics_get_snapshot:
 * @self: an #EsMetrics
 *
 * Gets the snapshot most recently reported by #EsMetrics::metrics-reported,
 * or, before the first report, one taken now.
 *
 * The snapshot stays owned by @self and remains valid for at least one
 * more reporting interval after it is replaced; take a reference with
 * es_metrics_snapshot_ref() to keep it longer, or use
 * es_metrics_dup_snapshot() for one of this instant.
 *
 * Returns: (transfer none): the latest snapshot
 *
 * Since: 1.0
 */
EsMetricsSnapshot *
es_metrics_get_snapshot (EsMetrics *self)
{
  EsMetricsSnapshot *snapshot;

  g_return_val_if_fail (ES_IS_METRICS (self), NULL);

  pthread_mutex_lock (&self->lock);
  snapshot = self->latest;
  pthread_mutex_unlock (&self->lock);

  if (snapshot == NULL)
    {
      EsMetricsSnapshot *fresh = es_metrics_dup_snapshot (self);

      pthread_mutex_lock (&self->lock);
      if (self->latest == NULL)
        self->latest = g_steal_pointer (&fresh);
      snapshot = self->latest;
      pthread_mutex_unlock (&self->lock);

      g_clear_pointer (&fresh, es_metrics_snapshot_unref);
    }

  return snapshot;
}

/**
 * es_metrics_dup_snapshot:
 * @self: an #EsMetrics
 *
 * Takes a snapshot now. Counters and gauges are current; rates and latency
 * percentiles cover the window since the last report (see the class
 * description).
 *
 * Safe to call from any thread while events flow. The counters are read one
 * publisher or subscriber at a time, subscribers first, so a delivery is
 * counted only with its publish, except for a publish still returning on
 * another thread when the snapshot is taken.
 *
 * Returns: (transfer full): a new snapshot
 *
 * Since: 1.0
 */
EsMetricsSnapshot *
es_metrics_dup_snapshot (EsMetrics *self)
{
  g_autoptr(EsMetricsSnapshot) base = NULL;
  g_autoptr(EsMetricsSnapshot) avg_from = NULL;
  gint64 now;

  g_return_val_if_fail (ES_IS_METRICS (self), NULL);

  now = g_get_monotonic_time ();

  pthread_mutex_lock (&self->lock);
  if (self->reported_last != NULL)
    {
      avg_from = es_metrics_snapshot_ref (self->reported_last);
      if (now - self->reported_last->monotonic_time >= self->interval / 2 || self->reported_prev == NULL)
        base = es_metrics_snapshot_ref (self->reported_last);
      else
        base = es_metrics_snapshot_ref (self->reported_prev);
    }
  pthread_mutex_unlock (&self->lock);

  return build_snapshot (self, base, avg_from, FALSE);
}

/* --- Public API: EsMetricsSnapshot --------------------------------------- */

/**
 * es_metrics_snapshot_ref:
 * @self: a snapshot
 *
 * Increases the reference count of @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
EsMetricsSnapshot *
es_metrics_snapshot_ref (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * es_metrics_snapshot_unref:
 * @self: (transfer full): a snapshot
 *
 * Decreases the reference count of @self, freeing it when it drops to 0.
 *
 * Since: 1.0
 */
void
es_metrics_snapshot_unref (EsMetricsSnapshot *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->system_name);
      es_event_type_metrics_unref (self->totals);
      g_ptr_array_unref (self->event_types);
      g_ptr_array_unref (self->subscribers);
      g_free (self);
    }
}

/**
 * es_metrics_snapshot_get_timestamp:
 * @self: a snapshot
 *
 * When the snapshot was taken, as g_get_real_time().
 *
 * Returns: microseconds since the Unix epoch
 *
 * Since: 1.0
 */
gint64
es_metrics_snapshot_get_timestamp (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->timestamp;
}

/**
 * es_metrics_snapshot_get_interval:
 * @self: a snapshot
 *
 * The length of the window that the rates and latency percentiles of
 * @self cover.
 *
 * Returns: the window in microseconds
 *
 * Since: 1.0
 */
GTimeSpan
es_metrics_snapshot_get_interval (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->interval;
}

/**
 * es_metrics_snapshot_get_system_name:
 * @self: a snapshot
 *
 * The name of the event system (es_event_system_get_name()).
 *
 * Returns: (transfer none): the name, possibly empty
 *
 * Since: 1.0
 */
const char *
es_metrics_snapshot_get_system_name (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->system_name;
}

/**
 * es_metrics_snapshot_get_implementation:
 * @self: a snapshot
 *
 * The implementation of the event system.
 *
 * Returns: the implementation
 *
 * Since: 1.0
 */
EsImplementationType
es_metrics_snapshot_get_implementation (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->implementation;
}

/**
 * es_metrics_snapshot_get_state:
 * @self: a snapshot
 *
 * The lifecycle state of the event system when the snapshot was taken.
 *
 * Returns: the state
 *
 * Since: 1.0
 */
EsEventSystemState
es_metrics_snapshot_get_state (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->state;
}

#define SNAPSHOT_TOTAL_GETTER(field) \
  guint64 \
  es_metrics_snapshot_get_total_##field (EsMetricsSnapshot *self) \
  { \
    g_return_val_if_fail (self != NULL, 0); \
    return self->totals->field; \
  }

/**
 * es_metrics_snapshot_get_total_published:
 * @self: a snapshot
 *
 * Events published, all types together.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
SNAPSHOT_TOTAL_GETTER (published)

/**
 * es_metrics_snapshot_get_total_published_bytes:
 * @self: a snapshot
 *
 * Payload bytes published, all types together.
 *
 * Returns: the byte count
 *
 * Since: 1.0
 */
SNAPSHOT_TOTAL_GETTER (published_bytes)

/**
 * es_metrics_snapshot_get_total_delivered:
 * @self: a snapshot
 *
 * Events delivered to receivers, all types together.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
SNAPSHOT_TOTAL_GETTER (delivered)

/**
 * es_metrics_snapshot_get_total_delivered_bytes:
 * @self: a snapshot
 *
 * Payload bytes delivered to receivers, all types together.
 *
 * Returns: the byte count
 *
 * Since: 1.0
 */
SNAPSHOT_TOTAL_GETTER (delivered_bytes)

/**
 * es_metrics_snapshot_get_total_rejected:
 * @self: a snapshot
 *
 * Publishes rejected with %ES_ERROR_BACKPRESSURE, all types together.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
SNAPSHOT_TOTAL_GETTER (rejected)

/**
 * es_metrics_snapshot_get_total_dropped:
 * @self: a snapshot
 *
 * Events dropped for any reason, all types together.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint64
es_metrics_snapshot_get_total_dropped (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return es_event_type_metrics_get_dropped_total (self->totals);
}

/**
 * es_metrics_snapshot_get_dropped:
 * @self: a snapshot
 * @reason: the drop reason
 *
 * Events dropped for @reason, all types together.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint64
es_metrics_snapshot_get_dropped (EsMetricsSnapshot *self,
                                 EsDropReason       reason)
{
  g_return_val_if_fail (self != NULL, 0);
  return es_event_type_metrics_get_dropped (self->totals, reason);
}

/**
 * es_metrics_snapshot_get_blocked_seconds:
 * @self: a snapshot
 *
 * Time publishers spent blocked by %ES_BACKPRESSURE_BLOCK, all types
 * together.
 *
 * Returns: seconds
 *
 * Since: 1.0
 */
gdouble
es_metrics_snapshot_get_blocked_seconds (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->totals->blocked_us / (gdouble) G_TIME_SPAN_SECOND;
}

/**
 * es_metrics_snapshot_get_subscriber_count:
 * @self: a snapshot
 *
 * Live subscribers when the snapshot was taken.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint
es_metrics_snapshot_get_subscriber_count (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->subscriber_count;
}

/**
 * es_metrics_snapshot_get_buffered_bytes:
 * @self: a snapshot
 *
 * Bytes buffered across the system (es_buffer_manager_get_buffered_bytes()).
 *
 * Returns: bytes
 *
 * Since: 1.0
 */
guint64
es_metrics_snapshot_get_buffered_bytes (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->buffered_bytes;
}

/**
 * es_metrics_snapshot_get_buffered_events:
 * @self: a snapshot
 *
 * Events buffered across the system.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint64
es_metrics_snapshot_get_buffered_events (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->buffered_events;
}

/**
 * es_metrics_snapshot_get_buffer_limit_bytes:
 * @self: a snapshot
 *
 * The global buffer limit (#EsEventSystem:global-buffer-size), 0 when
 * unlimited.
 *
 * Returns: bytes
 *
 * Since: 1.0
 */
guint64
es_metrics_snapshot_get_buffer_limit_bytes (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->buffer_limit_bytes;
}

/**
 * es_metrics_snapshot_get_buffer_utilization:
 * @self: a snapshot
 *
 * Global buffer utilization.
 *
 * Returns: 0 to 1
 *
 * Since: 1.0
 */
gdouble
es_metrics_snapshot_get_buffer_utilization (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->buffer_utilization;
}

/**
 * es_metrics_snapshot_get_events_per_second:
 * @self: a snapshot
 *
 * Publish rate over the snapshot's window, all types together.
 *
 * Returns: events per second
 *
 * Since: 1.0
 */
gdouble
es_metrics_snapshot_get_events_per_second (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->totals->events_per_second;
}

/**
 * es_metrics_snapshot_get_bytes_per_second:
 * @self: a snapshot
 *
 * Published payload bytes per second over the snapshot's window.
 *
 * Returns: bytes per second
 *
 * Since: 1.0
 */
gdouble
es_metrics_snapshot_get_bytes_per_second (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->totals->bytes_per_second;
}

/**
 * es_metrics_snapshot_get_events_per_second_avg:
 * @self: a snapshot
 *
 * Moving average (exponentially weighted, 60 s time constant) of the
 * publish rate.
 *
 * Returns: events per second
 *
 * Since: 1.0
 */
gdouble
es_metrics_snapshot_get_events_per_second_avg (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->totals->events_per_second_avg;
}

/**
 * es_metrics_snapshot_get_bytes_per_second_avg:
 * @self: a snapshot
 *
 * Moving average (exponentially weighted, 60 s time constant) of the
 * published bytes per second.
 *
 * Returns: bytes per second
 *
 * Since: 1.0
 */
gdouble
es_metrics_snapshot_get_bytes_per_second_avg (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->totals->bytes_per_second_avg;
}

/**
 * es_metrics_snapshot_get_latency_percentile:
 * @self: a snapshot
 * @quantile: 0 to 1, e.g. 0.5, 0.9, 0.99 or 0.999
 *
 * A publish-to-receive latency percentile over all event types, computed
 * from the samples of the snapshot's window.
 *
 * Returns: the latency in seconds, 0 when no sample was taken in the window
 *
 * Since: 1.0
 */
gdouble
es_metrics_snapshot_get_latency_percentile (EsMetricsSnapshot *self,
                                            gdouble            quantile)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return es_event_type_metrics_get_latency_percentile (self->totals, quantile);
}

/**
 * es_metrics_snapshot_get_event_types:
 * @self: a snapshot
 *
 * The per-event-type metrics, sorted by type name.
 *
 * Returns: (transfer none) (element-type EsEventTypeMetrics): the event
 *   types
 *
 * Since: 1.0
 */
GPtrArray *
es_metrics_snapshot_get_event_types (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->event_types;
}

/**
 * es_metrics_snapshot_lookup_event_type:
 * @self: a snapshot
 * @name: an event type name (g_type_name())
 *
 * Finds the metrics of one event type.
 *
 * Returns: (transfer none) (nullable): the metrics of @name, or %NULL when
 *   that type had neither traffic nor subscribers
 *
 * Since: 1.0
 */
EsEventTypeMetrics *
es_metrics_snapshot_lookup_event_type (EsMetricsSnapshot *self,
                                       const char        *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (self->event_types, i);

      if (g_str_equal (m->name, name))
        return m;
    }

  return NULL;
}

/**
 * es_metrics_snapshot_get_subscribers:
 * @self: a snapshot
 *
 * The per-subscriber metrics, sorted by subscriber id.
 *
 * Returns: (transfer none) (element-type EsSubscriberMetrics): the
 *   subscribers
 *
 * Since: 1.0
 */
GPtrArray *
es_metrics_snapshot_get_subscribers (EsMetricsSnapshot *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->subscribers;
}

/**
 * es_metrics_snapshot_filter:
 * @self: a snapshot
 * @event_types: (array zero-terminated=1) (nullable): event type names to
 *   keep, or %NULL for all
 *
 * Makes a snapshot holding only the event types named in @event_types and
 * the subscribers of those types; the totals are recomputed from what is
 * kept, the gauges of the whole system (buffer, subscriber count) are
 * unchanged. This is how #EsMetricsReporter:tracked-event-types works.
 *
 * Returns: (transfer full): the filtered snapshot (@self with a new
 *   reference when @event_types is %NULL)
 *
 * Since: 1.0
 */
EsMetricsSnapshot *
es_metrics_snapshot_filter (EsMetricsSnapshot  *self,
                            const char * const *event_types)
{
  EsMetricsSnapshot *copy;

  g_return_val_if_fail (self != NULL, NULL);

  if (event_types == NULL)
    return es_metrics_snapshot_ref (self);

  copy = _es_metrics_snapshot_new_empty ();
  g_free (copy->system_name);
  copy->system_name = g_strdup (self->system_name);
  copy->timestamp = self->timestamp;
  copy->monotonic_time = self->monotonic_time;
  copy->interval = self->interval;
  copy->implementation = self->implementation;
  copy->state = self->state;
  copy->subscriber_count = self->subscriber_count;
  copy->buffered_bytes = self->buffered_bytes;
  copy->buffered_events = self->buffered_events;
  copy->buffer_limit_bytes = self->buffer_limit_bytes;
  copy->buffer_utilization = self->buffer_utilization;
  copy->channel_capacity = self->channel_capacity;

  for (guint i = 0; i < self->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (self->event_types, i);

      if (g_strv_contains (event_types, m->name))
        g_ptr_array_add (copy->event_types, es_event_type_metrics_ref (m));
    }

  for (guint i = 0; i < self->subscribers->len; i++)
    {
      EsSubscriberMetrics *s = g_ptr_array_index (self->subscribers, i);

      if (g_strv_contains (event_types, s->event_type_name))
        g_ptr_array_add (copy->subscribers, es_subscriber_metrics_ref (s));
    }

  _es_metrics_snapshot_compute_totals (copy);
  return copy;
}

/* --- Public API: EsEventTypeMetrics -------------------------------------- */

/**
 * es_event_type_metrics_ref:
 * @self: event type metrics
 *
 * Increases the reference count of @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
EsEventTypeMetrics *
es_event_type_metrics_ref (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * es_event_type_metrics_unref:
 * @self: (transfer full): event type metrics
 *
 * Decreases the reference count of @self, freeing it when it drops to 0.
 *
 * Since: 1.0
 */
void
es_event_type_metrics_unref (EsEventTypeMetrics *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->name);
      g_free (self);
    }
}

/**
 * es_event_type_metrics_get_name:
 * @self: event type metrics
 *
 * The event type's name, g_type_name() of its #GType.
 *
 * Returns: (transfer none): the name
 *
 * Since: 1.0
 */
const char *
es_event_type_metrics_get_name (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

/**
 * es_event_type_metrics_get_event_type:
 * @self: event type metrics
 *
 * The event type.
 *
 * Returns: the #GType
 *
 * Since: 1.0
 */
GType
es_event_type_metrics_get_event_type (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, G_TYPE_INVALID);
  return self->event_type;
}

#define TYPE_GETTER(field) \
  guint64 \
  es_event_type_metrics_get_##field (EsEventTypeMetrics *self) \
  { \
    g_return_val_if_fail (self != NULL, 0); \
    return self->field; \
  }

/**
 * es_event_type_metrics_get_published:
 * @self: event type metrics
 *
 * Events of this type published (a batch of n counts n).
 *
 * Returns: the count
 *
 * Since: 1.0
 */
TYPE_GETTER (published)

/**
 * es_event_type_metrics_get_published_bytes:
 * @self: event type metrics
 *
 * Payload bytes of this type published.
 *
 * Returns: bytes
 *
 * Since: 1.0
 */
TYPE_GETTER (published_bytes)

/**
 * es_event_type_metrics_get_delivered:
 * @self: event type metrics
 *
 * Events of this type handed to receivers (one per receiving subscriber).
 *
 * Returns: the count
 *
 * Since: 1.0
 */
TYPE_GETTER (delivered)

/**
 * es_event_type_metrics_get_delivered_bytes:
 * @self: event type metrics
 *
 * Payload bytes of this type handed to receivers.
 *
 * Returns: bytes
 *
 * Since: 1.0
 */
TYPE_GETTER (delivered_bytes)

/**
 * es_event_type_metrics_get_rejected:
 * @self: event type metrics
 *
 * Publishes of this type rejected with %ES_ERROR_BACKPRESSURE.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
TYPE_GETTER (rejected)

/**
 * es_event_type_metrics_get_blocked_count:
 * @self: event type metrics
 *
 * Publishes of this type that had to wait for room.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
TYPE_GETTER (blocked_count)

/**
 * es_event_type_metrics_get_queue_depth:
 * @self: event type metrics
 *
 * Events of this type queued, summed over its subscribers.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
TYPE_GETTER (queue_depth)

/**
 * es_event_type_metrics_get_dropped:
 * @self: event type metrics
 * @reason: the drop reason
 *
 * Events of this type dropped for @reason (one per subscriber that lost
 * one).
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint64
es_event_type_metrics_get_dropped (EsEventTypeMetrics *self,
                                   EsDropReason        reason)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail ((guint) reason < ES_DROP_REASON_N, 0);
  return self->dropped[reason];
}

/**
 * es_event_type_metrics_get_dropped_total:
 * @self: event type metrics
 *
 * Events of this type dropped for any reason.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint64
es_event_type_metrics_get_dropped_total (EsEventTypeMetrics *self)
{
  guint64 total = 0;

  g_return_val_if_fail (self != NULL, 0);

  for (guint r = 0; r < ES_DROP_REASON_N; r++)
    total += self->dropped[r];
  return total;
}

/**
 * es_event_type_metrics_get_blocked_seconds:
 * @self: event type metrics
 *
 * Time publishers of this type spent blocked.
 *
 * Returns: seconds
 *
 * Since: 1.0
 */
gdouble
es_event_type_metrics_get_blocked_seconds (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->blocked_us / (gdouble) G_TIME_SPAN_SECOND;
}

/**
 * es_event_type_metrics_get_subscriber_count:
 * @self: event type metrics
 *
 * Live subscribers of this type.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint
es_event_type_metrics_get_subscriber_count (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->subscriber_count;
}

/**
 * es_event_type_metrics_get_events_per_second:
 * @self: event type metrics
 *
 * Publish rate of this type over the snapshot's window.
 *
 * Returns: events per second
 *
 * Since: 1.0
 */
gdouble
es_event_type_metrics_get_events_per_second (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->events_per_second;
}

/**
 * es_event_type_metrics_get_bytes_per_second:
 * @self: event type metrics
 *
 * Published bytes per second of this type over the snapshot's window.
 *
 * Returns: bytes per second
 *
 * Since: 1.0
 */
gdouble
es_event_type_metrics_get_bytes_per_second (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->bytes_per_second;
}

/**
 * es_event_type_metrics_get_events_per_second_avg:
 * @self: event type metrics
 *
 * Moving average of the publish rate of this type.
 *
 * Returns: events per second
 *
 * Since: 1.0
 */
gdouble
es_event_type_metrics_get_events_per_second_avg (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->events_per_second_avg;
}

/**
 * es_event_type_metrics_get_bytes_per_second_avg:
 * @self: event type metrics
 *
 * Moving average of the published bytes per second of this type.
 *
 * Returns: bytes per second
 *
 * Since: 1.0
 */
gdouble
es_event_type_metrics_get_bytes_per_second_avg (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->bytes_per_second_avg;
}

/**
 * es_event_type_metrics_get_latency_count:
 * @self: event type metrics
 *
 * Latency samples of this type since the system was created.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint64
es_event_type_metrics_get_latency_count (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->latency.count;
}

/**
 * es_event_type_metrics_get_latency_sum:
 * @self: event type metrics
 *
 * Sum of all latency samples of this type.
 *
 * Returns: seconds
 *
 * Since: 1.0
 */
gdouble
es_event_type_metrics_get_latency_sum (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->latency.sum / (gdouble) G_TIME_SPAN_SECOND;
}

/**
 * es_event_type_metrics_get_latency_count_le:
 * @self: event type metrics
 * @seconds: an upper bound
 *
 * Latency samples of this type (since creation) that are not greater
 * than @seconds, that is a cumulative histogram bucket. Exact when @seconds
 * is a power of two number of microseconds; otherwise the whole bucket
 * holding it (at most 6.25 % wide) is counted.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint64
es_event_type_metrics_get_latency_count_le (EsEventTypeMetrics *self,
                                            gdouble             seconds)
{
  gdouble us;

  g_return_val_if_fail (self != NULL, 0);

  if (seconds < 0)
    return 0;
  us = seconds * G_TIME_SPAN_SECOND;
  if (us >= (gdouble) ES_HISTOGRAM_MAX_VALUE)
    return self->latency.count;

  /* A sample v stands for a latency in [v, v + 1) µs (the clock is read
   * in whole microseconds), so it is <= us when v + 1 <= us. */
  if (us < 1.0)
    return 0;
  return _es_histogram_data_count_le (&self->latency, (guint64) ceil (us - 1e-9) - 1);
}

/**
 * es_event_type_metrics_get_window_latency_count:
 * @self: event type metrics
 *
 * Latency samples of this type in the snapshot's window, which
 * es_event_type_metrics_get_latency_percentile() is computed from.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
guint64
es_event_type_metrics_get_window_latency_count (EsEventTypeMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->window_latency.count;
}

/**
 * es_event_type_metrics_get_latency_percentile:
 * @self: event type metrics
 * @quantile: 0 to 1, e.g. 0.5, 0.9, 0.99 or 0.999
 *
 * A publish-to-receive latency percentile of this type over the samples
 * of the snapshot's window, as the midpoint of the histogram bucket that
 * holds it (within 3.2 % of the true sample; exact below 16 µs).
 *
 * Returns: the latency in seconds, 0 when the window has no sample
 *
 * Since: 1.0
 */
gdouble
es_event_type_metrics_get_latency_percentile (EsEventTypeMetrics *self,
                                              gdouble             quantile)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return _es_histogram_data_percentile (&self->window_latency, quantile) / G_TIME_SPAN_SECOND;
}

/* --- Public API: EsSubscriberMetrics ------------------------------------- */

/**
 * es_subscriber_metrics_ref:
 * @self: subscriber metrics
 *
 * Increases the reference count of @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
EsSubscriberMetrics *
es_subscriber_metrics_ref (EsSubscriberMetrics *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * es_subscriber_metrics_unref:
 * @self: (transfer full): subscriber metrics
 *
 * Decreases the reference count of @self, freeing it when it drops to 0.
 *
 * Since: 1.0
 */
void
es_subscriber_metrics_unref (EsSubscriberMetrics *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->name);
      g_free (self->event_type_name);
      g_free (self);
    }
}

/**
 * es_subscriber_metrics_get_id:
 * @self: subscriber metrics
 *
 * The subscriber's id (es_subscriber_get_id()).
 *
 * Returns: the id
 *
 * Since: 1.0
 */
guint64
es_subscriber_metrics_get_id (EsSubscriberMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->id;
}

/**
 * es_subscriber_metrics_get_name:
 * @self: subscriber metrics
 *
 * The subscriber's name (es_subscriber_get_name()).
 *
 * Returns: (transfer none) (nullable): the name
 *
 * Since: 1.0
 */
const char *
es_subscriber_metrics_get_name (EsSubscriberMetrics *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

/**
 * es_subscriber_metrics_get_event_type_name:
 * @self: subscriber metrics
 *
 * The name of the event type the subscriber receives.
 *
 * Returns: (transfer none): the type name
 *
 * Since: 1.0
 */
const char *
es_subscriber_metrics_get_event_type_name (EsSubscriberMetrics *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->event_type_name;
}

/**
 * es_subscriber_metrics_get_event_type:
 * @self: subscriber metrics
 *
 * The event type the subscriber receives.
 *
 * Returns: the #GType
 *
 * Since: 1.0
 */
GType
es_subscriber_metrics_get_event_type (EsSubscriberMetrics *self)
{
  g_return_val_if_fail (self != NULL, G_TYPE_INVALID);
  return self->event_type;
}

#define SUB_GETTER(field) \
  guint64 \
  es_subscriber_metrics_get_##field (EsSubscriberMetrics *self) \
  { \
    g_return_val_if_fail (self != NULL, 0); \
    return self->field; \
  }

/**
 * es_subscriber_metrics_get_published:
 * @self: subscriber metrics
 *
 * Events published to the subscriber since it subscribed.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
SUB_GETTER (published)

/**
 * es_subscriber_metrics_get_received:
 * @self: subscriber metrics
 *
 * Events the subscriber received.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
SUB_GETTER (received)

/**
 * es_subscriber_metrics_get_dropped:
 * @self: subscriber metrics
 *
 * Events the subscriber lost to backpressure or shutdown.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
SUB_GETTER (dropped)

/**
 * es_subscriber_metrics_get_filtered:
 * @self: subscriber metrics
 *
 * Events the subscriber's filter skipped.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
SUB_GETTER (filtered)

/**
 * es_subscriber_metrics_get_queue_depth:
 * @self: subscriber metrics
 *
 * Events queued for the subscriber when the snapshot was taken.
 *
 * Returns: the count
 *
 * Since: 1.0
 */
SUB_GETTER (queue_depth)

/**
 * es_subscriber_metrics_get_queue_utilization:
 * @self: subscriber metrics
 *
 * Queue depth relative to #EsEventSystem:channel-capacity.
 *
 * Returns: 0 to 1
 *
 * Since: 1.0
 */
gdouble
es_subscriber_metrics_get_queue_utilization (EsSubscriberMetrics *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->queue_utilization;
}

/* --- Reporter and dashboard (declared in es-exporter.h and es-http.h) ---- */

/**
 * es_metrics_get_reporter:
 * @self: an #EsMetrics
 *
 * Gets the reporter of @self, creating it on first use. The reporter's
 * outputs are written after each #EsMetrics::metrics-reported emission.
 *
 * Returns: (transfer none): the reporter
 *
 * Since: 1.0
 */
EsMetricsReporter *
es_metrics_get_reporter (EsMetrics *self)
{
  EsMetricsReporter *reporter;
  EsMetricsReporter *fresh = NULL;

  g_return_val_if_fail (ES_IS_METRICS (self), NULL);

  pthread_mutex_lock (&self->lock);
  reporter = self->reporter;
  pthread_mutex_unlock (&self->lock);

  if (reporter != NULL)
    return reporter;

  fresh = _es_metrics_reporter_new (self);

  pthread_mutex_lock (&self->lock);
  if (self->reporter == NULL)
    self->reporter = g_steal_pointer (&fresh);
  reporter = self->reporter;
  pthread_mutex_unlock (&self->lock);

  g_clear_object (&fresh);
  return reporter;
}

/**
 * es_metrics_start_dashboard:
 * @self: an #EsMetrics
 * @port: the TCP port, or 0 to pick a free one
 * @error: return location for a #GError
 *
 * Starts the HTTP endpoint of @self on 127.0.0.1:@port: `/` the live
 * dashboard, `/metrics` Prometheus text, `/metrics.json` JSON and
 * `/health`. See #EsMetricsServer; use es_metrics_server_new() and
 * es_metrics_server_listen() to bind another address.
 *
 * The server runs in the thread-default #GMainContext of the caller, which
 * must be iterated for requests to be answered. Calling this again while a
 * dashboard runs returns the running one.
 *
 * Returns: (transfer none): the running server (es_metrics_server_get_port()
 *   tells the port), or %NULL with @error set (for example when the port is
 *   taken)
 *
 * Since: 1.0
 */
EsMetricsServer *
es_metrics_start_dashboard (EsMetrics  *self,
                            guint       port,
                            GError    **error)
{
  g_autoptr(EsMetricsServer) server = NULL;
  EsMetricsServer *result;

  g_return_val_if_fail (ES_IS_METRICS (self), NULL);
  g_return_val_if_fail (port <= G_MAXUINT16, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pthread_mutex_lock (&self->lock);
  result = self->server;
  pthread_mutex_unlock (&self->lock);
  if (result != NULL)
    return result;

  server = es_metrics_server_new (self);
  if (!es_metrics_server_listen (server, NULL, port, error))
    return NULL;

  pthread_mutex_lock (&self->lock);
  if (self->server == NULL)
    self->server = g_steal_pointer (&server);
  result = self->server;
  pthread_mutex_unlock (&self->lock);

  if (server != NULL)
    es_metrics_server_stop (server);

  return result;
}

/**
 * es_metrics_stop_dashboard:
 * @self: an #EsMetrics
 *
 * Stops the server started by es_metrics_start_dashboard(), if any. Also
 * done when the system shuts down.
 *
 * Since: 1.0
 */
void
es_metrics_stop_dashboard (EsMetrics *self)
{
  EsMetricsServer *server;

  g_return_if_fail (ES_IS_METRICS (self));

  pthread_mutex_lock (&self->lock);
  server = g_steal_pointer (&self->server);
  pthread_mutex_unlock (&self->lock);

  if (server != NULL)
    {
      es_metrics_server_stop (server);
      g_object_unref (server);
    }
}
