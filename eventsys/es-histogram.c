/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include "es-histogram-private.h"

/* See es-histogram-private.h for the bucket layout. */

struct _EsHistogram
{
  _Atomic guint64 sum;                              /* atomic */
  _Atomic guint64 buckets[ES_HISTOGRAM_N_BUCKETS];  /* atomic */
};

G_STATIC_ASSERT (ES_HISTOGRAM_N_BUCKETS == 592);

EsHistogram *
_es_histogram_new (void)
{
  EsHistogram *self = g_new (EsHistogram, 1);

  atomic_init (&self->sum, 0);
  for (guint i = 0; i < ES_HISTOGRAM_N_BUCKETS; i++)
    atomic_init (&self->buckets[i], 0);

  return self;
}

void
_es_histogram_free (EsHistogram *self)
{
  g_free (self);
}

guint
_es_histogram_bucket_index (guint64 value)
{
  guint msb;
  guint shift;

  if (value < ES_HISTOGRAM_SUB_BUCKETS)
    return (guint) value;

  if (value > ES_HISTOGRAM_MAX_VALUE)
    value = ES_HISTOGRAM_MAX_VALUE;

  msb = 63 - (guint) __builtin_clzll (value);
  shift = msb - ES_HISTOGRAM_SUB_BUCKET_BITS;

  /* value >> shift is in [SUB_BUCKETS, 2 * SUB_BUCKETS): its low bits select
   * the sub-bucket inside octave number shift + 1. */
  return (shift + 1) * ES_HISTOGRAM_SUB_BUCKETS
         + (guint) ((value >> shift) - ES_HISTOGRAM_SUB_BUCKETS);
}

guint64
_es_histogram_bucket_lower (guint index)
{
  guint shift;
  guint64 mantissa;

  g_return_val_if_fail (index < ES_HISTOGRAM_N_BUCKETS, 0);

  if (index < ES_HISTOGRAM_SUB_BUCKETS)
    return index;

  shift = index / ES_HISTOGRAM_SUB_BUCKETS - 1;
  mantissa = index % ES_HISTOGRAM_SUB_BUCKETS + ES_HISTOGRAM_SUB_BUCKETS;
  return mantissa << shift;
}

/* Exclusive upper bound of bucket @index. */
guint64
_es_histogram_bucket_upper (guint index)
{
  guint shift;
  guint64 mantissa;

  g_return_val_if_fail (index < ES_HISTOGRAM_N_BUCKETS, 0);

  if (index < ES_HISTOGRAM_SUB_BUCKETS)
    return index + 1;

  shift = index / ES_HISTOGRAM_SUB_BUCKETS - 1;
  mantissa = index % ES_HISTOGRAM_SUB_BUCKETS + ES_HISTOGRAM_SUB_BUCKETS;
  return (mantissa + 1) << shift;
}

void
_es_histogram_record_n (EsHistogram *self,
                        guint64      value,
                        guint64      n)
{
  guint index = _es_histogram_bucket_index (value);

  /* Relaxed: these are statistics, no other memory is published through
   * them (see the header). */
  atomic_fetch_add_explicit (&self->buckets[index], n, memory_order_relaxed);
  atomic_fetch_add_explicit (&self->sum, value * n, memory_order_relaxed);
}

void
_es_histogram_record (EsHistogram *self,
                      guint64      value)
{
  _es_histogram_record_n (self, value, 1);
}

/* Reads the buckets first and derives count from them, so that the copy is
 * self-consistent (sum of buckets == count) even while writers run. */
void
_es_histogram_read (EsHistogram     *self,
                    EsHistogramData *out)
{
  guint64 total = 0;

  for (guint i = 0; i < ES_HISTOGRAM_N_BUCKETS; i++)
    {
      out->buckets[i] = atomic_load_explicit (&self->buckets[i], memory_order_relaxed);
      total += out->buckets[i];
    }
  out->count = total;
  out->sum = atomic_load_explicit (&self->sum, memory_order_relaxed);
}

/* result = a - b, where b is an older read of the same histogram (counters
 * only grow, so every difference is >= 0; clamp anyway for safety). */
void
_es_histogram_data_subtract (EsHistogramData       *result,
                             const EsHistogramData *a,
                             const EsHistogramData *b)
{
  guint64 total = 0;

  for (guint i = 0; i < ES_HISTOGRAM_N_BUCKETS; i++)
    {
      result->buckets[i] = a->buckets[i] >= b->buckets[i] ? a->buckets[i] - b->buckets[i] : 0;
      total += result->buckets[i];
    }
  result->count = total;
  result->sum = a->sum >= b->sum ? a->sum - b->sum : 0;
}

/* The value at @quantile (0..1), as the midpoint of the bucket holding the
 * sample of rank ceil(quantile * count); exact for values below 16. Returns
 * 0 for an empty histogram. */
gdouble
_es_histogram_data_percentile (const EsHistogramData *data,
                               gdouble                quantile)
{
  guint64 rank;
  guint64 seen = 0;

  if (data->count == 0)
    return 0.0;

  quantile = CLAMP (quantile, 0.0, 1.0);
  rank = (guint64) ((gdouble) data->count * quantile + 0.999999999);
  if (rank < 1)
    rank = 1;
  if (rank > data->count)
    rank = data->count;

  for (guint i = 0; i < ES_HISTOGRAM_N_BUCKETS; i++)
    {
      seen += data->buckets[i];
      if (seen >= rank)
        {
          guint64 lower = _es_histogram_bucket_lower (i);
          guint64 upper = _es_histogram_bucket_upper (i);

          return (gdouble) lower + (gdouble) (upper - 1 - lower) / 2.0;
        }
    }

  return (gdouble) ES_HISTOGRAM_MAX_VALUE;
}

/* Number of samples <= @upper_inclusive. Exact when @upper_inclusive + 1 is
 * a bucket boundary (any power of two, for instance); otherwise it counts
 * the whole bucket holding @upper_inclusive. */
guint64
_es_histogram_data_count_le (const EsHistogramData *data,
                             guint64                upper_inclusive)
{
  guint last = _es_histogram_bucket_index (upper_inclusive);
  guint64 total = 0;

  for (guint i = 0; i <= last; i++)
    total += data->buckets[i];

  return total;
}
