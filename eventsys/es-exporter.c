/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "eventsys.h"

#include "es-exporter.h"
#include "es-metrics-private.h"

/**
 * EsMetricsReporter:
 *
 * Writes the metrics of an #EsEventSystem somewhere after every report:
 * JSON files, Prometheus text files (for node_exporter's textfile
 * collector) and pushes to a Prometheus Pushgateway. Get it with
 * es_metrics_get_reporter().
 *
 * |[<!-- language="C" -->
 * EsMetricsReporter *reporter = es_metrics_get_reporter (es_event_system_get_metrics (system));
 *
 * es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_JSON, "metrics.json", NULL);
 * es_metrics_reporter_add_output (reporter, ES_METRICS_FORMAT_PROMETHEUS, "http://localhost:9091", NULL);
 * es_metrics_reporter_set_detailed_view (reporter, TRUE);
 * es_metrics_reporter_set_histograms (reporter, TRUE);
 * es_metrics_reporter_set_tracked_event_types (reporter,
 *     (const char *[]) { "MediaPacket", "SignalingEvent", NULL });
 * g_signal_connect (reporter, "output-error", G_CALLBACK (on_output_error), NULL);
 * ]|
 *
 * Outputs are written after each #EsMetrics::metrics-reported emission, in
 * the same main context. Files are replaced atomically. Pushes are
 * asynchronous in that context and never block it; a failed output emits
 * #EsMetricsReporter::output-error (and logs a warning when nobody is
 * connected), so errors are never swallowed. es_metrics_reporter_report_now()
 * writes every output synchronously and returns the first error.
 *
 * Since: 1.0
 */

typedef struct {
  EsMetricsFormat format;
  char           *destination;   /* owned */
  gboolean        is_url;
} Output;

struct _EsMetricsReporter
{
  GObject parent_instance;

  GWeakRef      metrics;         /* weak: the metrics own the reporter */
  GCancellable *cancellable;     /* owned; cancels pushes in flight at dispose */

  pthread_mutex_t lock;           /* pthread, not GMutex: visible to TSan */
  GArray       *outputs;         /* owned, protected by lock, element-type Output */
  gboolean      detailed;        /* protected by lock */
  gboolean      histograms;      /* protected by lock */
  char        **tracked;         /* owned, protected by lock; NULL = all */
  char         *job;             /* owned, protected by lock */
  char         *instance;        /* owned, protected by lock; NULL = default */
};

enum {
  PROP_0,
  PROP_DETAILED_VIEW,
  PROP_HISTOGRAMS,
  PROP_TRACKED_EVENT_TYPES,
  PROP_PUSH_JOB,
  PROP_PUSH_INSTANCE,
  N_PROPS
};

enum {
  OUTPUT_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EsMetricsReporter, es_metrics_reporter, G_TYPE_OBJECT)

/* --- Number formatting --------------------------------------------------- */

/* Shortest of %.15g/%.17g that reads back as the same double, in the C
 * locale; Prometheus spellings for the non-finite values. */
static void
append_double (GString *out,
               gdouble  value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    {
      g_string_append (out, "NaN");
      return;
    }
  if (isinf (value))
    {
      g_string_append (out, value > 0 ? "+Inf" : "-Inf");
      return;
    }

  g_ascii_formatd (buf, sizeof buf, "%.15g", value);
  if (g_ascii_strtod (buf, NULL) != value)
    g_ascii_formatd (buf, sizeof buf, "%.17g", value);
  g_string_append (out, buf);
}

/* --- Prometheus ---------------------------------------------------------- */

/* Label values: backslash, double quote and line feed escaped, as the text
 * format requires; invalid UTF-8 replaced. */
static void
append_label_value (GString    *out,
                    const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value != NULL ? value : "", -1);

  for (const char *p = valid; *p; p++)
    {
      switch (*p)
        {
        case '\\': g_string_append (out, "\\\\"); break;
        case '"':  g_string_append (out, "\\\""); break;
        case '\n': g_string_append (out, "\\n"); break;
        default:   g_string_append_c (out, *p);
        }
    }
}

typedef struct {
  GString    *out;
  const char *name;
  const char *help;
  const char *type;
  gboolean    header_done;
} Family;

static void
family_init (Family     *family,
             GString    *out,
             const char *name,
             const char *type,
             const char *help)
{
  family->out = out;
  family->name = name;
  family->type = type;
  family->help = help;
  family->header_done = FALSE;
}

/* Starts a sample line "name{" (header lines first, once per family; a
 * family without samples prints nothing). */
static void
family_sample_begin (Family     *family,
                     const char *suffix)
{
  if (!family->header_done)
    {
      g_string_append_printf (family->out, "# HELP %s %s\n# TYPE %s %s\n",
                              family->name, family->help, family->name, family->type);
      family->header_done = TRUE;
    }
  g_string_append (family->out, family->name);
  if (suffix != NULL)
    g_string_append (family->out, suffix);
}

static void
append_labels (GString    *out,
               const char *const *pairs)
{
  gboolean first = TRUE;

  for (guint i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
    {
      g_string_append (out, first ? "{" : ",");
      g_string_append (out, pairs[i]);
      g_string_append (out, "=\"");
      append_label_value (out, pairs[i + 1]);
      g_string_append_c (out, '"');
      first = FALSE;
    }
  if (!first)
    g_string_append_c (out, '}');
}

static void
sample_u64 (Family            *family,
            const char *const *labels,
            guint64            value)
{
  family_sample_begin (family, NULL);
  append_labels (family->out, labels);
  g_string_append_printf (family->out, " %" G_GUINT64_FORMAT "\n", value);
}

static void
sample_double (Family            *family,
               const char *const *labels,
               gdouble            value)
{
  family_sample_begin (family, NULL);
  append_labels (family->out, labels);
  g_string_append_c (family->out, ' ');
  append_double (family->out, value);
  g_string_append_c (family->out, '\n');
}

typedef guint64 (*TypeU64Func) (EsEventTypeMetrics *m);

static void
type_family_u64 (GString           *out,
                 EsMetricsSnapshot *snapshot,
                 const char        *name,
                 const char        *type,
                 const char        *help,
                 TypeU64Func        func)
{
  Family family;

  family_init (&family, out, name, type, help);
  for (guint i = 0; i < snapshot->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (snapshot->event_types, i);
      const char *labels[] = { "event_type", m->name, NULL };

      sample_u64 (&family, labels, func (m));
    }
}

static guint64 get_published (EsEventTypeMetrics *m) { return m->published; }
static guint64 get_published_bytes (EsEventTypeMetrics *m) { return m->published_bytes; }
static guint64 get_delivered (EsEventTypeMetrics *m) { return m->delivered; }
static guint64 get_delivered_bytes (EsEventTypeMetrics *m) { return m->delivered_bytes; }
static guint64 get_rejected (EsEventTypeMetrics *m) { return m->rejected; }
static guint64 get_blocked_count (EsEventTypeMetrics *m) { return m->blocked_count; }
static guint64 get_type_subscribers (EsEventTypeMetrics *m) { return m->subscriber_count; }
static guint64 get_type_queue_depth (EsEventTypeMetrics *m) { return m->queue_depth; }

/* The `le` bounds of the exported latency histograms: every power of two
 * microseconds from 1 µs to 2^25 µs (33.5 s). Powers of two are boundaries
 * of the internal buckets, so the exported cumulative counts are exact. */
#define EXPORT_BUCKET_MIN_LOG2 0
#define EXPORT_BUCKET_MAX_LOG2 25

/* Samples are whole microseconds truncated from the measured latency, so a
 * sample v stands for a latency in [v, v + 1) µs: it is <= 2^k µs exactly
 * when v <= 2^k - 1 (ignoring the zero-measure v + 1 == 2^k case). */
static guint64
count_below_pow2 (const EsHistogramData *data,
                  guint                  log2_us)
{
  guint64 bound = G_GUINT64_CONSTANT (1) << log2_us;

  return _es_histogram_data_count_le (data, bound - 1);
}

static void
append_histogram (GString           *out,
                  EsMetricsSnapshot *snapshot)
{
  Family family;

  family_init (&family, out, "es_event_latency_seconds", "histogram",
               "Publish-to-receive latency of sampled deliveries, by event type.");

  for (guint i = 0; i < snapshot->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (snapshot->event_types, i);

      for (guint k = EXPORT_BUCKET_MIN_LOG2; k <= EXPORT_BUCKET_MAX_LOG2; k++)
        {
          char le[G_ASCII_DTOSTR_BUF_SIZE];
          const char *labels[] = { "event_type", m->name, "le", le, NULL };

          g_ascii_formatd (le, sizeof le, "%.9g", ldexp (1.0, (int) k) / G_TIME_SPAN_SECOND);
          family_sample_begin (&family, "_bucket");
          append_labels (out, labels);
          g_string_append_printf (out, " %" G_GUINT64_FORMAT "\n", count_below_pow2 (&m->latency, k));
        }

      {
        const char *labels[] = { "event_type", m->name, "le", "+Inf", NULL };

        family_sample_begin (&family, "_bucket");
        append_labels (out, labels);
        g_string_append_printf (out, " %" G_GUINT64_FORMAT "\n", m->latency.count);
      }
      {
        const char *labels[] = { "event_type", m->name, NULL };

        family_sample_begin (&family, "_sum");
        append_labels (out, labels);
        g_string_append_c (out, ' ');
        append_double (out, m->latency.sum / (gdouble) G_TIME_SPAN_SECOND);
        g_string_append_c (out, '\n');

        family_sample_begin (&family, "_count");
        append_labels (out, labels);
        g_string_append_printf (out, " %" G_GUINT64_FORMAT "\n", m->latency.count);
      }
    }
}

typedef enum {
  SUB_PUBLISHED,
  SUB_RECEIVED,
  SUB_DROPPED,
  SUB_FILTERED,
  SUB_QUEUE_DEPTH,
  SUB_QUEUE_UTILIZATION,
} SubField;

static void
subscriber_family (GString           *out,
                   EsMetricsSnapshot *snapshot,
                   const char        *name,
                   const char        *type,
                   const char        *help,
                   SubField           field)
{
  Family family;

  family_init (&family, out, name, type, help);
  for (guint i = 0; i < snapshot->subscribers->len; i++)
    {
      EsSubscriberMetrics *s = g_ptr_array_index (snapshot->subscribers, i);
      char id[32];
      const char *labels[] = {
        "event_type", s->event_type_name,
        "subscriber", s->name != NULL ? s->name : "",
        "subscriber_id", id,
        NULL
      };

      g_snprintf (id, sizeof id, "%" G_GUINT64_FORMAT, s->id);
      switch (field)
        {
        case SUB_PUBLISHED:         sample_u64 (&family, labels, s->published); break;
        case SUB_RECEIVED:          sample_u64 (&family, labels, s->received); break;
        case SUB_DROPPED:           sample_u64 (&family, labels, s->dropped); break;
        case SUB_FILTERED:          sample_u64 (&family, labels, s->filtered); break;
        case SUB_QUEUE_DEPTH:       sample_u64 (&family, labels, s->queue_depth); break;
        case SUB_QUEUE_UTILIZATION: sample_double (&family, labels, s->queue_utilization); break;
        default:                    g_assert_not_reached ();
        }
    }
}

/**
 * es_metrics_snapshot_to_prometheus:
 * @snapshot: a snapshot
 * @flags: what to include
 *
 * Formats @snapshot in the Prometheus text exposition format 0.0.4
 * (content type %ES_METRICS_PROMETHEUS_CONTENT_TYPE). The output passes
 * `promtool check metrics` without warnings.
 *
 * Every name starts with `es_` and uses base units (seconds, bytes, ratios
 * 0–1); counters end in `_total`. Labels are `event_type` (the #GType
 * name), `reason` (an #EsDropReason nick) and, with
 * %ES_METRICS_EXPORT_SUBSCRIBERS, `subscriber` (its name, may be empty) and
 * `subscriber_id`; never trace ids or other unbounded values.
 *
 * |[
 * es_system_info{system,implementation}           gauge, always 1
 * es_system_state{state}                           gauge, 1 for the current state
 * es_events_published_total{event_type}            counter
 * es_events_published_bytes_total{event_type}      counter
 * es_events_delivered_total{event_type}            counter
 * es_events_delivered_bytes_total{event_type}      counter
 * es_events_dropped_total{event_type,reason}       counter
 * es_events_rejected_total{event_type}             counter
 * es_publish_blocked_total{event_type}             counter
 * es_publish_blocked_seconds_total{event_type}     counter
 * es_event_type_subscribers{event_type}            gauge
 * es_event_type_queued_events{event_type}          gauge
 * es_subscribers                                   gauge
 * es_buffered_bytes, es_buffered_events            gauge
 * es_buffer_limit_bytes                            gauge, 0 = unlimited
 * es_buffer_utilization_ratio                      gauge
 * es_event_latency_seconds{event_type}             histogram (ES_METRICS_EXPORT_HISTOGRAMS):
 *     le = 2^k µs for k = 0..25, then +Inf (== _count)
 * es_subscriber_events_published_total{event_type,subscriber,subscriber_id}   (ES_METRICS_EXPORT_SUBSCRIBERS)
 * es_subscriber_events_received_total{...}, es_subscriber_events_dropped_total{...},
 * es_subscriber_events_filtered_total{...}         counters
 * es_subscriber_queued_events{...}, es_subscriber_queue_utilization_ratio{...} gauges
 * ]|
 *
 * Returns: (transfer full): the text
 *
 * Since: 1.0
 */
char *
es_metrics_snapshot_to_prometheus (EsMetricsSnapshot    *snapshot,
                                   EsMetricsExportFlags  flags)
{
  GString *out;
  Family family;

  g_return_val_if_fail (snapshot != NULL, NULL);

  out = g_string_sized_new (4096);

  family_init (&family, out, "es_system_info", "gauge",
               "Event system identity; the value is always 1.");
  {
    const char *labels[] = {
      "system", snapshot->system_name,
      "implementation", _es_implementation_to_string (snapshot->implementation),
      NULL
    };
    sample_u64 (&family, labels, 1);
  }

  family_init (&family, out, "es_system_state", "gauge",
               "Lifecycle state of the event system: 1 for the current state, 0 for the others.");
  for (EsEventSystemState s = ES_EVENT_SYSTEM_STATE_CREATED; s <= ES_EVENT_SYSTEM_STATE_STOPPED; s++)
    {
      const char *labels[] = { "state", _es_state_to_string (s), NULL };
      sample_u64 (&family, labels, snapshot->state == s);
    }

  type_family_u64 (out, snapshot, "es_events_published_total", "counter",
                   "Events published, by event type.", get_published);
  type_family_u64 (out, snapshot, "es_events_published_bytes_total", "counter",
                   "Payload bytes published, by event type.", get_published_bytes);
  type_family_u64 (out, snapshot, "es_events_delivered_total", "counter",
                   "Events delivered to subscribers (one per receiving subscriber), by event type.", get_delivered);
  type_family_u64 (out, snapshot, "es_events_delivered_bytes_total", "counter",
                   "Payload bytes delivered to subscribers, by event type.", get_delivered_bytes);

  family_init (&family, out, "es_events_dropped_total", "counter",
               "Events dropped (one per subscriber that lost one), by event type and reason.");
  for (guint i = 0; i < snapshot->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (snapshot->event_types, i);

      for (guint r = 0; r < ES_DROP_REASON_N; r++)
        {
          const char *labels[] = { "event_type", m->name, "reason", _es_drop_reason_to_string (r), NULL };
          sample_u64 (&family, labels, m->dropped[r]);
        }
    }

  type_family_u64 (out, snapshot, "es_events_rejected_total", "counter",
                   "Publishes rejected by backpressure, by event type.", get_rejected);
  type_family_u64 (out, snapshot, "es_publish_blocked_total", "counter",
                   "Publishes that waited for buffer room, by event type.", get_blocked_count);

  family_init (&family, out, "es_publish_blocked_seconds_total", "counter",
               "Time publishers spent waiting for buffer room, by event type.");
  for (guint i = 0; i < snapshot->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (snapshot->event_types, i);
      const char *labels[] = { "event_type", m->name, NULL };

      sample_double (&family, labels, m->blocked_us / (gdouble) G_TIME_SPAN_SECOND);
    }

  type_family_u64 (out, snapshot, "es_event_type_subscribers", "gauge",
                   "Live subscribers, by event type.", get_type_subscribers);
  type_family_u64 (out, snapshot, "es_event_type_queued_events", "gauge",
                   "Events queued for subscribers, by event type.", get_type_queue_depth);

  family_init (&family, out, "es_subscribers", "gauge", "Live subscribers.");
  sample_u64 (&family, NULL, snapshot->subscriber_count);
  family_init (&family, out, "es_buffered_bytes", "gauge", "Bytes buffered across the event system.");
  sample_u64 (&family, NULL, snapshot->buffered_bytes);
  family_init (&family, out, "es_buffered_events", "gauge", "Events buffered across the event system.");
  sample_u64 (&family, NULL, snapshot->buffered_events);
  family_init (&family, out, "es_buffer_limit_bytes", "gauge", "Global buffer limit in bytes, 0 when unlimited.");
  sample_u64 (&family, NULL, snapshot->buffer_limit_bytes);
  family_init (&family, out, "es_buffer_utilization_ratio", "gauge", "Global buffer utilization, 0 to 1.");
  sample_double (&family, NULL, snapshot->buffer_utilization);

  if (flags & ES_METRICS_EXPORT_HISTOGRAMS)
    append_histogram (out, snapshot);

  if (flags & ES_METRICS_EXPORT_SUBSCRIBERS)
    {
      subscriber_family (out, snapshot, "es_subscriber_events_published_total", "counter",
                         "Events published to the subscriber since it subscribed.", SUB_PUBLISHED);
      subscriber_family (out, snapshot, "es_subscriber_events_received_total", "counter",
                         "Events the subscriber received.", SUB_RECEIVED);
      subscriber_family (out, snapshot, "es_subscriber_events_dropped_total", "counter",
                         "Events the subscriber lost to backpressure or shutdown.", SUB_DROPPED);
      subscriber_family (out, snapshot, "es_subscriber_events_filtered_total", "counter",
                         "Events the subscriber's filter skipped.", SUB_FILTERED);
      subscriber_family (out, snapshot, "es_subscriber_queued_events", "gauge",
                         "Events queued for the subscriber.", SUB_QUEUE_DEPTH);
      subscriber_family (out, snapshot, "es_subscriber_queue_utilization_ratio", "gauge",
                         "Subscriber queue depth relative to the channel capacity, 0 to 1.", SUB_QUEUE_UTILIZATION);
    }

  return g_string_free (out, FALSE);
}

/* --- JSON ---------------------------------------------------------------- */

static void
add_u64 (JsonBuilder *b,
         const char  *name,
         guint64      value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, (gint64) MIN (value, (guint64) G_MAXINT64));
}

static void
add_double (JsonBuilder *b,
            const char  *name,
            gdouble      value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, isfinite (value) ? value : 0.0);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  g_autofree char *valid = g_utf8_make_valid (value != NULL ? value : "", -1);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, valid);
}

static void
add_dropped (JsonBuilder    *b,
             const guint64  *dropped)
{
  json_builder_set_member_name (b, "dropped");
  json_builder_begin_object (b);
  for (guint r = 0; r < ES_DROP_REASON_N; r++)
    add_u64 (b, _es_drop_reason_to_string (r), dropped[r]);
  json_builder_end_object (b);
}

static void
add_latency (JsonBuilder        *b,
             EsEventTypeMetrics *m,
             gboolean            histograms)
{
  json_builder_set_member_name (b, "latency");
  json_builder_begin_object (b);
  add_u64 (b, "samples", m->latency.count);
  add_double (b, "sum_seconds", m->latency.sum / (gdouble) G_TIME_SPAN_SECOND);
  add_u64 (b, "window_samples", m->window_latency.count);
  add_double (b, "p50", es_event_type_metrics_get_latency_percentile (m, 0.50));
  add_double (b, "p90", es_event_type_metrics_get_latency_percentile (m, 0.90));
  add_double (b, "p99", es_event_type_metrics_get_latency_percentile (m, 0.99));
  add_double (b, "p999", es_event_type_metrics_get_latency_percentile (m, 0.999));
  if (histograms)
    {
      json_builder_set_member_name (b, "buckets");
      json_builder_begin_array (b);
      for (guint k = EXPORT_BUCKET_MIN_LOG2; k <= EXPORT_BUCKET_MAX_LOG2; k++)
        {
          json_builder_begin_object (b);
          add_double (b, "le", ldexp (1.0, (int) k) / G_TIME_SPAN_SECOND);
          add_u64 (b, "count", count_below_pow2 (&m->latency, k));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

static void
add_type_counters (JsonBuilder        *b,
                   EsEventTypeMetrics *m)
{
  add_u64 (b, "published", m->published);
  add_u64 (b, "published_bytes", m->published_bytes);
  add_u64 (b, "delivered", m->delivered);
  add_u64 (b, "delivered_bytes", m->delivered_bytes);
  add_u64 (b, "dropped_total", es_event_type_metrics_get_dropped_total (m));
  add_dropped (b, m->dropped);
  add_u64 (b, "rejected", m->rejected);
  add_u64 (b, "blocked", m->blocked_count);
  add_double (b, "blocked_seconds", m->blocked_us / (gdouble) G_TIME_SPAN_SECOND);

  json_builder_set_member_name (b, "throughput");
  json_builder_begin_object (b);
  add_double (b, "events_per_second", m->events_per_second);
  add_double (b, "bytes_per_second", m->bytes_per_second);
  add_double (b, "events_per_second_avg", m->events_per_second_avg);
  add_double (b, "bytes_per_second_avg", m->bytes_per_second_avg);
  json_builder_end_object (b);
}

JsonNode *
_es_metrics_snapshot_to_json_node (EsMetricsSnapshot    *snapshot,
                                   EsMetricsExportFlags  flags)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (snapshot->timestamp / G_USEC_PER_SEC);
  g_autofree char *iso = NULL;

  if (dt != NULL)
    {
      g_autoptr(GDateTime) precise = g_date_time_add (dt, snapshot->timestamp % G_USEC_PER_SEC);
      iso = g_date_time_format_iso8601 (precise);
    }

  json_builder_begin_object (b);
  add_u64 (b, "version", 1);
  add_string (b, "timestamp", iso != NULL ? iso : "");
  add_u64 (b, "timestamp_us", snapshot->timestamp);
  add_double (b, "interval_seconds", snapshot->interval / (gdouble) G_TIME_SPAN_SECOND);

  json_builder_set_member_name (b, "system");
  json_builder_begin_object (b);
  add_string (b, "name", snapshot->system_name);
  add_string (b, "implementation", _es_implementation_to_string (snapshot->implementation));
  add_string (b, "state", _es_state_to_string (snapshot->state));
  add_u64 (b, "channel_capacity", snapshot->channel_capacity);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "totals");
  json_builder_begin_object (b);
  add_type_counters (b, snapshot->totals);
  add_latency (b, snapshot->totals, FALSE);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "gauges");
  json_builder_begin_object (b);
  add_u64 (b, "subscribers", snapshot->subscriber_count);
  add_u64 (b, "buffered_bytes", snapshot->buffered_bytes);
  add_u64 (b, "buffered_events", snapshot->buffered_events);
  add_u64 (b, "buffer_limit_bytes", snapshot->buffer_limit_bytes);
  add_double (b, "buffer_utilization", snapshot->buffer_utilization);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "event_types");
  json_builder_begin_array (b);
  for (guint i = 0; i < snapshot->event_types->len; i++)
    {
      EsEventTypeMetrics *m = g_ptr_array_index (snapshot->event_types, i);

      json_builder_begin_object (b);
      add_string (b, "name", m->name);
      add_type_counters (b, m);
      add_u64 (b, "subscribers", m->subscriber_count);
      add_u64 (b, "queue_depth", m->queue_depth);
      add_double (b, "max_queue_utilization", m->max_queue_utilization);
      add_latency (b, m, (flags & ES_METRICS_EXPORT_HISTOGRAMS) != 0);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  if (flags & ES_METRICS_EXPORT_SUBSCRIBERS)
    {
      json_builder_set_member_name (b, "subscribers");
      json_builder_begin_array (b);
      for (guint i = 0; i < snapshot->subscribers->len; i++)
        {
          EsSubscriberMetrics *s = g_ptr_array_index (snapshot->subscribers, i);

          json_builder_begin_object (b);
          add_u64 (b, "id", s->id);
          json_builder_set_member_name (b, "name");
          if (s->name != NULL)
            {
              g_autofree char *valid = g_utf8_make_valid (s->name, -1);
              json_builder_add_string_value (b, valid);
            }
          else
            json_builder_add_null_value (b);
          add_string (b, "event_type", s->event_type_name);
          add_u64 (b, "published", s->published);
          add_u64 (b, "received", s->received);
          add_u64 (b, "dropped", s->dropped);
          add_u64 (b, "filtered", s->filtered);
          add_u64 (b, "queue_depth", s->queue_depth);
          add_double (b, "queue_utilization", s->queue_utilization);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * es_metrics_snapshot_to_json:
 * @snapshot: a snapshot
 * @flags: what to include
 * @pretty: whether to indent the output
 *
 * Formats @snapshot as JSON (generated with json-glib, UTF-8, names
 * escaped). Times are in seconds, sizes in bytes, rates per second,
 * utilizations 0–1; counters are cumulative since the system was created;
 * throughput, `window_samples` and the percentiles cover the snapshot's
 * window (`interval_seconds`). The schema (version 1):
 *
 * |[<!-- language="JavaScript" -->
 * {
 *   "version": 1,
 *   "timestamp": "2024-05-01T12:00:00.123456Z",   // ISO 8601, UTC
 *   "timestamp_us": 1714564800123456,               // g_get_real_time()
 *   "interval_seconds": 5.0,
 *   "system": { "name": "media", "implementation": "zero_copy" | "static_fast_path",
 *               "state": "created" | "running" | "stopped", "channel_capacity": 10000 },
 *   "totals": COUNTERS + { "latency": LATENCY },     // all event types together
 *   "gauges": { "subscribers": 3, "buffered_bytes": 0, "buffered_events": 0,
 *               "buffer_limit_bytes": 0, "buffer_utilization": 0.0 },
 *   "event_types": [                                 // sorted by name
 *     { "name": "MediaPacket", COUNTERS..., "subscribers": 2, "queue_depth": 12,
 *       "max_queue_utilization": 0.01, "latency": LATENCY }
 *   ],
 *   "subscribers": [                                 // with ES_METRICS_EXPORT_SUBSCRIBERS
 *     { "id": 1, "name": "recorder" | null, "event_type": "MediaPacket",
 *       "published": 100, "received": 90, "dropped": 0, "filtered": 0,
 *       "queue_depth": 10, "queue_utilization": 0.001 }
 *   ]
 * }
 * COUNTERS = "published", "published_bytes", "delivered", "delivered_bytes",
 *   "dropped_total", "dropped": { "drop_oldest", "drop_newest", "custom", "shutdown" },
 *   "rejected", "blocked", "blocked_seconds",
 *   "throughput": { "events_per_second", "bytes_per_second",
 *                   "events_per_second_avg", "bytes_per_second_avg" }
 * LATENCY = { "samples", "sum_seconds", "window_samples", "p50", "p90", "p99", "p999",
 *   "buckets": [ { "le": 1e-06, "count": 0 }, ... ] }   // with ES_METRICS_EXPORT_HISTOGRAMS
 *   // buckets: cumulative, le = 2^k µs for k = 0..25; "samples" is the +Inf count
 * ]|
 *
 * Returns: (transfer full): the JSON text
 *
 * Since: 1.0
 */
char *
es_metrics_snapshot_to_json (EsMetricsSnapshot    *snapshot,
                             EsMetricsExportFlags  flags,
                             gboolean              pretty)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = NULL;

  g_return_val_if_fail (snapshot != NULL, NULL);

  root = _es_metrics_snapshot_to_json_node (snapshot, flags);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, pretty);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static char *
format_snapshot (EsMetricsSnapshot    *snapshot,
                 EsMetricsFormat       format,
                 EsMetricsExportFlags  flags)
{
  switch (format)
    {
    case ES_METRICS_FORMAT_JSON:
      return es_metrics_snapshot_to_json (snapshot, flags, TRUE);
    case ES_METRICS_FORMAT_PROMETHEUS:
      return es_metrics_snapshot_to_prometheus (snapshot, flags);
    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * es_metrics_snapshot_write_file:
 * @snapshot: a snapshot
 * @format: the output format
 * @flags: what to include
 * @path: (type filename): the file to write
 * @error: return location for a #GError
 *
 * Writes @snapshot to @path in @format, replacing the file atomically
 * (readers never see a half-written file).
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
es_metrics_snapshot_write_file (EsMetricsSnapshot     *snapshot,
                                EsMetricsFormat        format,
                                EsMetricsExportFlags   flags,
                                const char            *path,
                                GError               **error)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (snapshot != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  text = format_snapshot (snapshot, format, flags);
  if (text == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Unknown metrics format %d", format);
      return FALSE;
    }

  return g_file_set_contents_full (path, text, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                   0644, error);
}

/* --- Pushgateway --------------------------------------------------------- */

/* A label value as a Pushgateway URL path segment: as is when it only
 * holds unreserved characters, otherwise in the `@base64` form the
 * Pushgateway documents (also the only way to push an empty value). */
static void
append_push_segment (GString    *url,
                     const char *label,
                     const char *value)
{
  gboolean plain = value[0] != '\0';

  for (const char *p = value; *p && plain; p++)
    plain = g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.';

  if (plain)
    g_string_append_printf (url, "/%s/%s", label, value);
  else
    {
      g_autofree char *b64 = g_base64_encode ((const guchar *) value, strlen (value));

      g_strdelimit (b64, "+", '-');
      g_strdelimit (b64, "/", '_');
      g_string_append_printf (url, "/%s@base64/%s", label, value[0] != '\0' ? b64 : "=");
    }
}

char *
_es_metrics_push_url (const char *gateway_url,
                      const char *job,
                      const char *instance)
{
  GString *url = g_string_new (gateway_url);

  while (url->len > 0 && url->str[url->len - 1] == '/')
    g_string_truncate (url, url->len - 1);
  g_string_append (url, "/metrics");
  append_push_segment (url, "job", job);
  if (instance != NULL && instance[0] != '\0')
    append_push_segment (url, "instance", instance);

  return g_string_free (url, FALSE);
}

/* A PUT of @text (transfer full) to @url, or NULL with @error set when
 * @url is not an http(s) URL. */
static SoupMessage *
push_message_new (const char  *gateway_url,
                  const char  *url,
                  char        *text,
                  GError     **error)
{
  g_autofree char *owned_text = text;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GBytes) body = NULL;
  SoupMessage *msg;

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    {
      g_prefix_error (error, "Invalid Pushgateway URL “%s”: ", gateway_url);
      return NULL;
    }
  if (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Invalid Pushgateway URL “%s”: not http or https", gateway_url);
      return NULL;
    }

  msg = soup_message_new_from_uri ("PUT", uri);
  body = g_bytes_new_take (g_steal_pointer (&owned_text), strlen (text));
  soup_message_set_request_body_from_bytes (msg, ES_METRICS_PROMETHEUS_CONTENT_TYPE, body);
  return msg;
}

static gboolean
push_text (const char    *gateway_url,
           const char    *job,
           const char    *instance,
           char          *text,      /* transfer full */
           GCancellable  *cancellable,
           GError       **error)
{
  g_autofree char *url = _es_metrics_push_url (gateway_url, job, instance);
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) response = NULL;
  guint status;

  msg = push_message_new (gateway_url, url, text, error);
  if (msg == NULL)
    return FALSE;

  /* A session per push: pushes are rare (once per interval), and a
   * session of our own may be used from whatever thread calls this. */
  session = soup_session_new_with_options ("timeout", 30,
                                           "user-agent", "eventsys/" PACKAGE_VERSION " ",
                                           NULL);
  response = soup_session_send_and_read (session, msg, cancellable, error);
  if (response == NULL)
    {
      g_prefix_error (error, "Pushing metrics to %s failed: ", url);
      return FALSE;
    }

  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      gsize len = 0;
      const char *data = g_bytes_get_data (response, &len);
      g_autofree char *reply = g_utf8_make_valid (data != NULL ? data : "", MIN (len, 512));

      g_strstrip (reply);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Pushing metrics to %s failed: HTTP %u %s%s%s", url, status,
                   soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "",
                   reply[0] ? ": " : "", reply);
      return FALSE;
    }

  return TRUE;
}

/**
 * es_metrics_snapshot_push:
 * @snapshot: a snapshot
 * @gateway_url: the Pushgateway base URL, e.g. `http://localhost:9091`
 * @job: the `job` grouping label, not empty
 * @instance: (nullable): the `instance` grouping label, or %NULL/"" for none
 * @flags: what to include
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Pushes @snapshot in the Prometheus text format to a Prometheus
 * Pushgateway with `PUT <gateway_url>/metrics/job/<job>/instance/<instance>`,
 * replacing what that group held. Label values with characters other than
 * letters, digits, `-`, `_` and `.` are sent in the Pushgateway's `@base64`
 * form. Blocks until the gateway answered; see
 * es_metrics_snapshot_push_async().
 *
 * Returns: %TRUE on success; %FALSE with @error set when the gateway could
 *   not be reached (a #GIOError or #GResolverError) or did not answer 2xx
 *   (%G_IO_ERROR_FAILED, with the status and the gateway's message)
 *
 * Since: 1.0
 */
gboolean
es_metrics_snapshot_push (EsMetricsSnapshot     *snapshot,
                          const char            *gateway_url,
                          const char            *job,
                          const char            *instance,
                          EsMetricsExportFlags   flags,
                          GCancellable          *cancellable,
                          GError               **error)
{
  g_return_val_if_fail (snapshot != NULL, FALSE);
  g_return_val_if_fail (gateway_url != NULL, FALSE);
  g_return_val_if_fail (job != NULL && job[0] != '\0', FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return push_text (gateway_url, job, instance, es_metrics_snapshot_to_prometheus (snapshot, flags),
                    cancellable, error);
}

/* The asynchronous push runs libsoup's asynchronous API in the caller's
 * thread-default context: no worker thread of ours, so nothing of ours is
 * handed between threads. */
static void
push_async_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GBytes) response = NULL;
  GError *error = NULL;
  guint status;

  response = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (response == NULL)
    {
      g_prefix_error (&error, "Pushing metrics to %s failed: ", g_task_get_name (task));
      g_task_return_error (task, error);
      return;
    }

  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      gsize len = 0;
      const char *data = g_bytes_get_data (response, &len);
      g_autofree char *reply = g_utf8_make_valid (data != NULL ? data : "", MIN (len, 512));

      g_strstrip (reply);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "Pushing metrics to %s failed: HTTP %u %s%s%s", g_task_get_name (task), status,
                               soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "",
                               reply[0] ? ": " : "", reply);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * es_metrics_snapshot_push_async:
 * @snapshot: a snapshot
 * @gateway_url: the Pushgateway base URL
 * @job: the `job` grouping label, not empty
 * @instance: (nullable): the `instance` grouping label
 * @flags: what to include
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the push is done
 * @user_data: data for @callback
 *
 * Starts es_metrics_snapshot_push() with libsoup's asynchronous API in the
 * thread-default main context of the caller (no extra thread); @callback
 * runs there. Finish with es_metrics_snapshot_push_finish().
 *
 * Since: 1.0
 */
void
es_metrics_snapshot_push_async (EsMetricsSnapshot    *snapshot,
                                const char           *gateway_url,
                                const char           *job,
                                const char           *instance,
                                EsMetricsExportFlags  flags,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *url = NULL;
  SoupMessage *msg;

  g_return_if_fail (snapshot != NULL);
  g_return_if_fail (gateway_url != NULL);
  g_return_if_fail (job != NULL && job[0] != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, es_metrics_snapshot_push_async);

  url = _es_metrics_push_url (gateway_url, job, instance);
  g_task_set_name (task, url);
  msg = push_message_new (gateway_url, url, es_metrics_snapshot_to_prometheus (snapshot, flags), &error);
  if (msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_set_task_data (task, msg, g_object_unref);

  /* The session lives as long as the request: the operation keeps it. */
  session = soup_session_new_with_options ("timeout", 30,
                                           "user-agent", "eventsys/" PACKAGE_VERSION " ",
                                           NULL);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    push_async_cb, g_steal_pointer (&task));
}

/**
 * es_metrics_snapshot_push_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes es_metrics_snapshot_push_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
es_metrics_snapshot_push_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == es_metrics_snapshot_push_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- EsMetricsReporter --------------------------------------------------- */

static void
output_clear (gpointer data)
{
  Output *output = data;

  g_free (output->destination);
}

static void
es_metrics_reporter_dispose (GObject *object)
{
  EsMetricsReporter *self = ES_METRICS_REPORTER (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (es_metrics_reporter_parent_class)->dispose (object);
}

static void
es_metrics_reporter_finalize (GObject *object)
{
  EsMetricsReporter *self = ES_METRICS_REPORTER (object);

  g_weak_ref_clear (&self->metrics);
  g_clear_object (&self->cancellable);
  g_array_unref (self->outputs);
  g_strfreev (self->tracked);
  g_free (self->job);
  g_free (self->instance);
  pthread_mutex_destroy (&self->lock);

  G_OBJECT_CLASS (es_metrics_reporter_parent_class)->finalize (object);
}

static void
es_metrics_reporter_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EsMetricsReporter *self = ES_METRICS_REPORTER (object);

  switch (prop_id)
    {
    case PROP_DETAILED_VIEW:
      g_value_set_boolean (value, es_metrics_reporter_get_detailed_view (self));
      break;
    case PROP_HISTOGRAMS:
      g_value_set_boolean (value, es_metrics_reporter_get_histograms (self));
      break;
    case PROP_TRACKED_EVENT_TYPES:
      g_value_take_boxed (value, es_metrics_reporter_dup_tracked_event_types (self));
      break;
    case PROP_PUSH_JOB:
      pthread_mutex_lock (&self->lock);
      g_value_set_string (value, self->job);
      pthread_mutex_unlock (&self->lock);
      break;
    case PROP_PUSH_INSTANCE:
      pthread_mutex_lock (&self->lock);
      g_value_set_string (value, self->instance);
      pthread_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_metrics_reporter_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  EsMetricsReporter *self = ES_METRICS_REPORTER (object);

  switch (prop_id)
    {
    case PROP_DETAILED_VIEW:
      es_metrics_reporter_set_detailed_view (self, g_value_get_boolean (value));
      break;
    case PROP_HISTOGRAMS:
      es_metrics_reporter_set_histograms (self, g_value_get_boolean (value));
      break;
    case PROP_TRACKED_EVENT_TYPES:
      es_metrics_reporter_set_tracked_event_types (self, g_value_get_boxed (value));
      break;
    case PROP_PUSH_JOB:
      es_metrics_reporter_set_push_job (self, g_value_get_string (value));
      break;
    case PROP_PUSH_INSTANCE:
      es_metrics_reporter_set_push_instance (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_metrics_reporter_class_init (EsMetricsReporterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_metrics_reporter_dispose;
  object_class->finalize = es_metrics_reporter_finalize;
  object_class->get_property = es_metrics_reporter_get_property;
  object_class->set_property = es_metrics_reporter_set_property;

  /**
   * EsMetricsReporter:detailed-view:
   *
   * Whether outputs include one entry per subscriber
   * (%ES_METRICS_EXPORT_SUBSCRIBERS).
   *
   * Since: 1.0
   */
  properties[PROP_DETAILED_VIEW] =
    g_param_spec_boolean ("detailed-view", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EsMetricsReporter:histograms:
   *
   * Whether outputs include the latency histogram buckets
   * (%ES_METRICS_EXPORT_HISTOGRAMS). Percentiles are always in the JSON.
   *
   * Since: 1.0
   */
  properties[PROP_HISTOGRAMS] =
    g_param_spec_boolean ("histograms", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EsMetricsReporter:tracked-event-types:
   *
   * The event type names (g_type_name()) the outputs include, or %NULL for
   * all; see es_metrics_snapshot_filter().
   *
   * Since: 1.0
   */
  properties[PROP_TRACKED_EVENT_TYPES] =
    g_param_spec_boxed ("tracked-event-types", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EsMetricsReporter:push-job:
   *
   * The `job` grouping label of Pushgateway outputs.
   *
   * Since: 1.0
   */
  properties[PROP_PUSH_JOB] =
    g_param_spec_string ("push-job", NULL, NULL, "eventsys",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EsMetricsReporter:push-instance:
   *
   * The `instance` grouping label of Pushgateway outputs; %NULL (the
   * default) means the system name, or the host name when the system has
   * no name.
   *
   * Since: 1.0
   */
  properties[PROP_PUSH_INSTANCE] =
    g_param_spec_string ("push-instance", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EsMetricsReporter::output-error:
   * @self: the reporter
   * @destination: the output's file name or URL
   * @error: what went wrong
   *
   * Emitted when writing or pushing a periodic output failed, in the main
   * context the metrics report in (see #EsMetrics::metrics-reported).
   * When no handler is connected the error is logged with g_warning().
   *
   * Since: 1.0
   */
  signals[OUTPUT_ERROR] =
    g_signal_new ("output-error",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING,
                  G_TYPE_ERROR);
}

static void
es_metrics_reporter_init (EsMetricsReporter *self)
{
  pthread_mutex_init (&self->lock, NULL);
  g_weak_ref_init (&self->metrics, NULL);
  self->cancellable = g_cancellable_new ();
  self->outputs = g_array_new (FALSE, TRUE, sizeof (Output));
  g_array_set_clear_func (self->outputs, output_clear);
  self->job = g_strdup ("eventsys");
}

EsMetricsReporter *
_es_metrics_reporter_new (EsMetrics *metrics)
{
  EsMetricsReporter *self = g_object_new (ES_TYPE_METRICS_REPORTER, NULL);

  g_weak_ref_set (&self->metrics, metrics);
  return self;
}

static void
emit_output_error (EsMetricsReporter *self,
                   const char        *destination,
                   const GError      *error)
{
  if (g_signal_has_handler_pending (self, signals[OUTPUT_ERROR], 0, FALSE))
    g_signal_emit (self, signals[OUTPUT_ERROR], 0, destination, error);
  else
    g_warning ("eventsys metrics output %s: %s", destination, error->message);
}

typedef struct {
  EsMetricsReporter *reporter;   /* owned */
  char              *destination;
} PushCallbackData;

static void
reporter_push_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PushCallbackData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!es_metrics_snapshot_push_finish (result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    emit_output_error (data->reporter, data->destination, error);

  g_object_unref (data->reporter);
  g_free (data->destination);
  g_free (data);
}

typedef struct {
  GArray                *outputs;   /* copy */
  EsMetricsExportFlags   flags;
  char                 **tracked;
  char                  *job;
  char                  *instance;
} Config;

static void
config_read (EsMetricsReporter *self,
             EsMetricsSnapshot *snapshot,
             Config            *config)
{
  pthread_mutex_lock (&self->lock);
  config->outputs = g_array_new (FALSE, TRUE, sizeof (Output));
  g_array_set_clear_func (config->outputs, output_clear);
  for (guint i = 0; i < self->outputs->len; i++)
    {
      Output copy = g_array_index (self->outputs, Output, i);

      copy.destination = g_strdup (copy.destination);
      g_array_append_val (config->outputs, copy);
    }
  config->flags = (self->detailed ? ES_METRICS_EXPORT_SUBSCRIBERS : 0) |
                  (self->histograms ? ES_METRICS_EXPORT_HISTOGRAMS : 0);
  config->tracked = g_strdupv (self->tracked);
  config->job = g_strdup (self->job);
  config->instance = g_strdup (self->instance);
  pthread_mutex_unlock (&self->lock);

  if (config->instance == NULL)
    config->instance = g_strdup (snapshot->system_name[0] != '\0' ? snapshot->system_name : g_get_host_name ());
}

static void
config_clear (Config *config)
{
  g_array_unref (config->outputs);
  g_strfreev (config->tracked);
  g_free (config->job);
  g_free (config->instance);
}

void
_es_metrics_reporter_report (EsMetricsReporter *self,
                             EsMetricsSnapshot *snapshot)
{
  g_autoptr(EsMetricsSnapshot) filtered = NULL;
  GSource *current = g_main_current_source ();
  GMainContext *context = current != NULL ? g_source_get_context (current) : NULL;
  Config config;

  config_read (self, snapshot, &config);
  if (config.outputs->len == 0)
    {
      config_clear (&config);
      return;
    }

  filtered = es_metrics_snapshot_filter (snapshot, (const char * const *) config.tracked);

  /* Pushes complete in the context we report in, whether or not it is the
   * thread-default one of this thread. */
  if (context != NULL)
    g_main_context_push_thread_default (context);

  for (guint i = 0; i < config.outputs->len; i++)
    {
      Output *output = &g_array_index (config.outputs, Output, i);

      if (output->is_url)
        {
          PushCallbackData *data = g_new0 (PushCallbackData, 1);

          data->reporter = g_object_ref (self);
          data->destination = g_strdup (output->destination);
          es_metrics_snapshot_push_async (filtered, output->destination, config.job, config.instance,
                                          config.flags, self->cancellable, reporter_push_cb, data);
        }
      else
        {
          g_autoptr(GError) error = NULL;

          if (!es_metrics_snapshot_write_file (filtered, output->format, config.flags,
                                               output->destination, &error))
            emit_output_error (self, output->destination, error);
        }
    }

  if (context != NULL)
    g_main_context_pop_thread_default (context);

  config_clear (&config);
}

/**
 * es_metrics_reporter_dup_metrics:
 * @self: a reporter
 *
 * Gets the metrics @self reports.
 *
 * Returns: (transfer full) (nullable): the metrics, or %NULL once they are
 *   gone
 *
 * Since: 1.0
 */
EsMetrics *
es_metrics_reporter_dup_metrics (EsMetricsReporter *self)
{
  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), NULL);
  return g_weak_ref_get (&self->metrics);
}

/**
 * es_metrics_reporter_add_output:
 * @self: a reporter
 * @format: the output format
 * @destination: a file name, or for %ES_METRICS_FORMAT_PROMETHEUS an
 *   `http://` or `https://` Pushgateway base URL
 * @error: return location for a #GError
 *
 * Adds an output written after every report: a file (replaced atomically
 * each time) or, for Prometheus with a URL, a push to that Pushgateway (see
 * es_metrics_snapshot_push()) with #EsMetricsReporter:push-job and
 * #EsMetricsReporter:push-instance.
 *
 * Returns: %TRUE if the output was added; %FALSE with @error set
 *   (%G_IO_ERROR_INVALID_ARGUMENT) for an empty destination or an
 *   unsupported URL (JSON cannot be pushed)
 *
 * Since: 1.0
 */
gboolean
es_metrics_reporter_add_output (EsMetricsReporter  *self,
                                EsMetricsFormat     format,
                                const char         *destination,
                                GError            **error)
{
  Output output = { 0, };
  const char *scheme;

  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), FALSE);
  g_return_val_if_fail (destination != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (format != ES_METRICS_FORMAT_JSON && format != ES_METRICS_FORMAT_PROMETHEUS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Unknown metrics format %d", format);
      return FALSE;
    }
  if (destination[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Empty metrics output destination");
      return FALSE;
    }

  scheme = g_uri_peek_scheme (destination);
  output.is_url = scheme != NULL && (g_str_equal (scheme, "http") || g_str_equal (scheme, "https"));
  if (scheme != NULL && !output.is_url && !g_str_equal (scheme, "file"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unsupported metrics output URL “%s”", destination);
      return FALSE;
    }
  if (output.is_url && format != ES_METRICS_FORMAT_PROMETHEUS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Only Prometheus output can be pushed to a URL (“%s”)", destination);
      return FALSE;
    }

  output.format = format;
  if (scheme != NULL && g_str_equal (scheme, "file"))
    {
      output.destination = g_filename_from_uri (destination, NULL, error);
      if (output.destination == NULL)
        return FALSE;
    }
  else
    output.destination = g_strdup (destination);

  pthread_mutex_lock (&self->lock);
  g_array_append_val (self->outputs, output);
  pthread_mutex_unlock (&self->lock);

  return TRUE;
}

/**
 * es_metrics_reporter_clear_outputs:
 * @self: a reporter
 *
 * Removes every output.
 *
 * Since: 1.0
 */
void
es_metrics_reporter_clear_outputs (EsMetricsReporter *self)
{
  g_return_if_fail (ES_IS_METRICS_REPORTER (self));

  pthread_mutex_lock (&self->lock);
  g_array_set_size (self->outputs, 0);
  pthread_mutex_unlock (&self->lock);
}

/**
 * es_metrics_reporter_get_n_outputs:
 * @self: a reporter
 *
 * Gets the number of configured outputs.
 *
 * Returns: the number of outputs
 *
 * Since: 1.0
 */
guint
es_metrics_reporter_get_n_outputs (EsMetricsReporter *self)
{
  guint n;

  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), 0);

  pthread_mutex_lock (&self->lock);
  n = self->outputs->len;
  pthread_mutex_unlock (&self->lock);
  return n;
}

/**
 * es_metrics_reporter_get_detailed_view:
 * @self: a reporter
 *
 * Gets #EsMetricsReporter:detailed-view.
 *
 * Returns: whether per-subscriber entries are written
 *
 * Since: 1.0
 */
gboolean
es_metrics_reporter_get_detailed_view (EsMetricsReporter *self)
{
  gboolean value;

  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), FALSE);

  pthread_mutex_lock (&self->lock);
  value = self->detailed;
  pthread_mutex_unlock (&self->lock);
  return value;
}

/**
 * es_metrics_reporter_set_detailed_view:
 * @self: a reporter
 * @detailed: whether to write per-subscriber entries
 *
 * Sets #EsMetricsReporter:detailed-view.
 *
 * Since: 1.0
 */
void
es_metrics_reporter_set_detailed_view (EsMetricsReporter *self,
                                       gboolean           detailed)
{
  gboolean changed;

  g_return_if_fail (ES_IS_METRICS_REPORTER (self));

  detailed = !!detailed;
  pthread_mutex_lock (&self->lock);
  changed = self->detailed != detailed;
  self->detailed = detailed;
  pthread_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETAILED_VIEW]);
}

/**
 * es_metrics_reporter_get_histograms:
 * @self: a reporter
 *
 * Gets #EsMetricsReporter:histograms.
 *
 * Returns: whether histogram buckets are written
 *
 * Since: 1.0
 */
gboolean
es_metrics_reporter_get_histograms (EsMetricsReporter *self)
{
  gboolean value;

  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), FALSE);

  pthread_mutex_lock (&self->lock);
  value = self->histograms;
  pthread_mutex_unlock (&self->lock);
  return value;
}

/**
 * es_metrics_reporter_set_histograms:
 * @self: a reporter
 * @enabled: whether to write histogram buckets
 *
 * Sets #EsMetricsReporter:histograms.
 *
 * Since: 1.0
 */
void
es_metrics_reporter_set_histograms (EsMetricsReporter *self,
                                    gboolean           enabled)
{
  gboolean changed;

  g_return_if_fail (ES_IS_METRICS_REPORTER (self));

  enabled = !!enabled;
  pthread_mutex_lock (&self->lock);
  changed = self->histograms != enabled;
  self->histograms = enabled;
  pthread_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTOGRAMS]);
}

/**
 * es_metrics_reporter_dup_tracked_event_types:
 * @self: a reporter
 *
 * Gets #EsMetricsReporter:tracked-event-types.
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the tracked
 *   type names, or %NULL when all types are reported
 *
 * Since: 1.0
 */
char **
es_metrics_reporter_dup_tracked_event_types (EsMetricsReporter *self)
{
  char **value;

  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), NULL);

  pthread_mutex_lock (&self->lock);
  value = g_strdupv (self->tracked);
  pthread_mutex_unlock (&self->lock);
  return value;
}

/**
 * es_metrics_reporter_set_tracked_event_types:
 * @self: a reporter
 * @event_types: (array zero-terminated=1) (nullable): event type names
 *   (g_type_name()), or %NULL for all
 *
 * Sets #EsMetricsReporter:tracked-event-types.
 *
 * Since: 1.0
 */
void
es_metrics_reporter_set_tracked_event_types (EsMetricsReporter  *self,
                                             const char * const *event_types)
{
  gboolean changed;

  g_return_if_fail (ES_IS_METRICS_REPORTER (self));

  pthread_mutex_lock (&self->lock);
  changed = !((self->tracked == NULL && event_types == NULL) ||
              (self->tracked != NULL && event_types != NULL &&
               g_strv_equal ((const char * const *) self->tracked, event_types)));
  if (changed)
    {
      g_strfreev (self->tracked);
      self->tracked = g_strdupv ((char **) event_types);
    }
  pthread_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRACKED_EVENT_TYPES]);
}

/* Replaces a string field under the reporter lock and notifies @pspec on a
 * real change (outside the lock: handlers may call back in). */
static void
set_string_locked (EsMetricsReporter  *self,
                   char              **field,
                   const char         *value,
                   GParamSpec         *pspec)
{
  gboolean changed;

  pthread_mutex_lock (&self->lock);
  changed = g_strcmp0 (*field, value) != 0;
  if (changed)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
  pthread_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

/**
 * es_metrics_reporter_get_push_job:
 * @self: a reporter
 *
 * Gets #EsMetricsReporter:push-job.
 *
 * Returns: (transfer none): the job label
 *
 * Since: 1.0
 */
const char *
es_metrics_reporter_get_push_job (EsMetricsReporter *self)
{
  const char *value;

  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), NULL);

  /* The string is only replaced by the setter, which callers must not race
   * with this getter (as for any borrowed GObject string property). */
  pthread_mutex_lock (&self->lock);
  value = self->job;
  pthread_mutex_unlock (&self->lock);
  return value;
}

/**
 * es_metrics_reporter_set_push_job:
 * @self: a reporter
 * @job: the job label, not empty
 *
 * Sets #EsMetricsReporter:push-job.
 *
 * Since: 1.0
 */
void
es_metrics_reporter_set_push_job (EsMetricsReporter *self,
                                  const char        *job)
{
    g_return_if_fail (ES_IS_METRICS_REPORTER (self));
  g_return_if_fail (job != NULL && job[0] != '\0');

  set_string_locked (self, &self->job, job, properties[PROP_PUSH_JOB]);
}

/**
 * es_metrics_reporter_get_push_instance:
 * @self: a reporter
 *
 * Gets #EsMetricsReporter:push-instance.
 *
 * Returns: (transfer none) (nullable): the instance label, or %NULL for the
 *   default
 *
 * Since: 1.0
 */
const char *
es_metrics_reporter_get_push_instance (EsMetricsReporter *self)
{
  const char *value;

  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), NULL);

  pthread_mutex_lock (&self->lock);
  value = self->instance;
  pthread_mutex_unlock (&self->lock);
  return value;
}

/**
 * es_metrics_reporter_set_push_instance:
 * @self: a reporter
 * @instance: (nullable): the instance label, or %NULL for the default
 *
 * Sets #EsMetricsReporter:push-instance.
 *
 * Since: 1.0
 */
void
es_metrics_reporter_set_push_instance (EsMetricsReporter *self,
                                       const char        *instance)
{
    g_return_if_fail (ES_IS_METRICS_REPORTER (self));

  set_string_locked (self, &self->instance, instance, properties[PROP_PUSH_INSTANCE]);
}

/**
 * es_metrics_reporter_report_now:
 * @self: a reporter
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Takes a snapshot now and writes it to every output synchronously
 * (pushes included), from the calling thread. Useful at the end of a
 * program, or from tests.
 *
 * Returns: %TRUE when every output succeeded; otherwise %FALSE with @error
 *   set to the first failure (the other outputs are still written)
 *
 * Since: 1.0
 */
gboolean
es_metrics_reporter_report_now (EsMetricsReporter  *self,
                                GCancellable       *cancellable,
                                GError            **error)
{
  g_autoptr(EsMetrics) metrics = NULL;
  g_autoptr(EsMetricsSnapshot) snapshot = NULL;
  g_autoptr(EsMetricsSnapshot) filtered = NULL;
  GError *first_error = NULL;
  Config config;

  g_return_val_if_fail (ES_IS_METRICS_REPORTER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  metrics = g_weak_ref_get (&self->metrics);
  if (metrics == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The metrics are gone");
      return FALSE;
    }

  snapshot = es_metrics_dup_snapshot (metrics);
  config_read (self, snapshot, &config);
  filtered = es_metrics_snapshot_filter (snapshot, (const char * const *) config.tracked);

  for (guint i = 0; i < config.outputs->len; i++)
    {
      Output *output = &g_array_index (config.outputs, Output, i);
      GError *local_error = NULL;
      gboolean ok;

      if (output->is_url)
        ok = es_metrics_snapshot_push (filtered, output->destination, config.job, config.instance,
                                       config.flags, cancellable, &local_error);
      else
        ok = es_metrics_snapshot_write_file (filtered, output->format, config.flags,
                                             output->destination, &local_error);

      if (!ok)
        {
          if (first_error == NULL)
            first_error = local_error;
          else
            g_error_free (local_error);
        }
    }

  config_clear (&config);

  if (first_error != NULL)
    {
      g_propagate_error (error, first_error);
      return FALSE;
    }

  return TRUE;
}
