/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * EsHistogram: a fixed log-linear histogram of non-negative integer values
 * (eventsys records latencies in microseconds), in the style of
 * HdrHistogram with 16 sub-buckets per power of two:
 *
 *   - values 0..15 each have their own bucket (exact);
 *   - every octave [2^e, 2^(e+1)) with e >= 4 is split into 16 buckets of
 *     width 2^(e-4), so a bucket is never wider than 1/16 (6.25 %) of the
 *     values it holds;
 *   - values >= 2^40 (12.7 days in µs) are clamped into the last bucket.
 *
 * Every power of two is a bucket boundary, which is what the Prometheus
 * exporter uses for its (coarser) `le` bounds.
 *
 * Recording is lock-free: one relaxed atomic add on the bucket and one on
 * the sum; the count is the buckets' total, summed when read, so a copy is
 * self-consistent. Relaxed is enough because nobody orders other memory
 * against these counters; a concurrent reader may see a sum that is one
 * sample ahead of the buckets (or behind), which only ever shifts the mean
 * by one sample and is corrected at the next read.
 */

#define ES_HISTOGRAM_SUB_BUCKET_BITS 4
#define ES_HISTOGRAM_SUB_BUCKETS     (1u << ES_HISTOGRAM_SUB_BUCKET_BITS)
#define ES_HISTOGRAM_MAX_BITS        40
#define ES_HISTOGRAM_N_BUCKETS       ((ES_HISTOGRAM_MAX_BITS - ES_HISTOGRAM_SUB_BUCKET_BITS + 1) * ES_HISTOGRAM_SUB_BUCKETS)
#define ES_HISTOGRAM_MAX_VALUE       ((G_GUINT64_CONSTANT (1) << ES_HISTOGRAM_MAX_BITS) - 1)

typedef struct _EsHistogram EsHistogram;

/* A plain (non-atomic) copy of a histogram's state: what snapshots keep and
 * what percentiles are computed on. */
typedef struct {
  guint64 count;
  guint64 sum;
  guint64 buckets[ES_HISTOGRAM_N_BUCKETS];
} EsHistogramData;

EsHistogram *_es_histogram_new             (void);
void         _es_histogram_free            (EsHistogram           *self);
void         _es_histogram_record          (EsHistogram           *self,
                                            guint64                value);
void         _es_histogram_record_n        (EsHistogram           *self,
                                            guint64                value,
                                            guint64                n);
void         _es_histogram_read            (EsHistogram           *self,
                                            EsHistogramData       *out);

guint        _es_histogram_bucket_index    (guint64                value) G_GNUC_CONST;
guint64      _es_histogram_bucket_lower    (guint                  index) G_GNUC_CONST;
guint64      _es_histogram_bucket_upper    (guint                  index) G_GNUC_CONST;

void         _es_histogram_data_subtract   (EsHistogramData       *result,
                                            const EsHistogramData *a,
                                            const EsHistogramData *b);
gdouble      _es_histogram_data_percentile (const EsHistogramData *data,
                                            gdouble                quantile);
guint64      _es_histogram_data_count_le   (const EsHistogramData *data,
                                            guint64                upper_inclusive);

G_END_DECLS
