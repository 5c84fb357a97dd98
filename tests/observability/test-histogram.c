/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "es-histogram-private.h"

/* Sorted-array percentile with the same rank rule as the histogram:
 * the sample of rank ceil(q * n), 1-based. */
static guint64
true_percentile (const guint64 *sorted,
                 guint          n,
                 gdouble        q)
{
  guint64 rank = (guint64) ceil (q * n);

  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return sorted[rank - 1];
}

static int
compare_u64 (const void *a,
             const void *b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y;
}

static void
test_bucket_layout (void)
{
  guint64 prev_upper = 0;

  g_test_summary ("Buckets tile the value range without gaps, powers of two are "
                  "boundaries and no bucket is wider than 1/16 of its lower bound");

  for (guint i = 0; i < ES_HISTOGRAM_N_BUCKETS; i++)
    {
      guint64 lower = _es_histogram_bucket_lower (i);
      guint64 upper = _es_histogram_bucket_upper (i);

      g_assert_cmpuint (lower, ==, prev_upper);
      g_assert_cmpuint (upper, >, lower);
      g_assert_cmpuint (_es_histogram_bucket_index (lower), ==, i);
      g_assert_cmpuint (_es_histogram_bucket_index (upper - 1), ==, i);
      if (lower >= ES_HISTOGRAM_SUB_BUCKETS)
        g_assert_cmpuint ((upper - lower) * ES_HISTOGRAM_SUB_BUCKETS, <=, lower);
      prev_upper = upper;
    }
  g_assert_cmpuint (prev_upper - 1, ==, ES_HISTOGRAM_MAX_VALUE);

  for (guint k = 0; k < ES_HISTOGRAM_MAX_BITS; k++)
    {
      guint64 v = G_GUINT64_CONSTANT (1) << k;
      g_assert_cmpuint (_es_histogram_bucket_lower (_es_histogram_bucket_index (v)), ==, v);
    }

  /* Clamped, not overflowing. */
  g_assert_cmpuint (_es_histogram_bucket_index (G_MAXUINT64), ==, ES_HISTOGRAM_N_BUCKETS - 1);
  for (guint v = 0; v < 16; v++)
    g_assert_cmpuint (_es_histogram_bucket_index (v), ==, v);
}

static void
check_distribution (guint64 *values,
                    guint    n)
{
  EsHistogram *h = _es_histogram_new ();
  EsHistogramData *data = g_new0 (EsHistogramData, 1);
  const gdouble quantiles[] = { 0.0, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0 };
  guint64 sum = 0;

  for (guint i = 0; i < n; i++)
    {
      _es_histogram_record (h, values[i]);
      sum += values[i];
    }
  _es_histogram_read (h, data);
  g_assert_cmpuint (data->count, ==, n);
  g_assert_cmpuint (data->sum, ==, sum);

  qsort (values, n, sizeof (guint64), compare_u64);
  for (guint q = 0; q < G_N_ELEMENTS (quantiles); q++)
    {
      guint64 truth = true_percentile (values, n, quantiles[q]);
      gdouble estimate = _es_histogram_data_percentile (data, quantiles[q]);
      guint index = _es_histogram_bucket_index (truth);

      /* "Within one bucket of the truth": the estimate lies in the bucket
       * holding the true sample. */
      g_assert_cmpfloat (estimate, >=, (gdouble) _es_histogram_bucket_lower (index));
      g_assert_cmpfloat (estimate, <, (gdouble) _es_histogram_bucket_upper (index));
      /* ... which means a relative error of at most 1/32 above 16 µs. */
      if (truth >= 16)
        g_assert_cmpfloat (fabs (estimate - truth) / truth, <=, 1.0 / 16);
      else
        g_assert_cmpfloat (estimate, ==, (gdouble) truth);
    }

  g_free (data);
  _es_histogram_free (h);
}

static void
test_percentiles_uniform (void)
{
  guint n = 100000;
  g_autofree guint64 *values = g_new (guint64, n);
  GRand *rand = g_rand_new_with_seed (42);

  g_test_summary ("Percentiles of a uniform 0..10 ms distribution are within one bucket");

  for (guint i = 0; i < n; i++)
    values[i] = g_rand_int_range (rand, 0, 10000);
  check_distribution (values, n);
  g_rand_free (rand);
}

static void
test_percentiles_lognormal (void)
{
  guint n = 200000;
  g_autofree guint64 *values = g_new (guint64, n);
  GRand *rand = g_rand_new_with_seed (7);

  g_test_summary ("Percentiles of a heavy-tailed (log-normal) latency distribution are within one bucket");

  for (guint i = 0; i < n; i++)
    {
      /* Box-Muller: median ~ 150 µs, long tail to seconds. */
      gdouble u1 = g_rand_double_range (rand, 1e-12, 1.0), u2 = g_rand_double (rand);
      gdouble z = sqrt (-2.0 * log (u1)) * cos (2 * G_PI * u2);
      values[i] = (guint64) exp (5.0 + 1.5 * z);
    }
  check_distribution (values, n);
  g_rand_free (rand);
}

static void
test_percentiles_known (void)
{
  EsHistogram *h = _es_histogram_new ();
  EsHistogramData *data = g_new0 (EsHistogramData, 1);

  g_test_summary ("1..1000 us: p50 = 500, p90 = 900, p99 = 990, p99.9 = 999 within a bucket; "
                  "an empty histogram answers 0");

  _es_histogram_read (h, data);
  g_assert_cmpfloat (_es_histogram_data_percentile (data, 0.5), ==, 0.0);

  for (guint64 v = 1; v <= 1000; v++)
    _es_histogram_record (h, v);
  _es_histogram_read (h, data);

  g_assert_cmpfloat (fabs (_es_histogram_data_percentile (data, 0.5) - 500) / 500, <=, 1.0 / 16);
  g_assert_cmpfloat (fabs (_es_histogram_data_percentile (data, 0.9) - 900) / 900, <=, 1.0 / 16);
  g_assert_cmpfloat (fabs (_es_histogram_data_percentile (data, 0.99) - 990) / 990, <=, 1.0 / 16);
  g_assert_cmpfloat (fabs (_es_histogram_data_percentile (data, 0.999) - 999) / 999, <=, 1.0 / 16);

  /* Cumulative counts at powers of two are exact. */
  for (guint k = 1; k <= 11; k++)
    g_assert_cmpuint (_es_histogram_data_count_le (data, (G_GUINT64_CONSTANT (1) << k) - 1), ==,
                      MIN ((G_GUINT64_CONSTANT (1) << k) - 1, 1000));
  g_assert_cmpuint (_es_histogram_data_count_le (data, ES_HISTOGRAM_MAX_VALUE), ==, 1000);

  g_free (data);
  _es_histogram_free (h);
}

static void
test_subtract (void)
{
  EsHistogram *h = _es_histogram_new ();
  EsHistogramData *a = g_new0 (EsHistogramData, 1);
  EsHistogramData *b = g_new0 (EsHistogramData, 1);
  EsHistogramData *d = g_new0 (EsHistogramData, 1);

  g_test_summary ("The difference of two reads holds exactly the samples in between (the window)");

  for (guint i = 0; i < 1000; i++)
    _es_histogram_record (h, 10);
  _es_histogram_read (h, a);
  for (guint i = 0; i < 500; i++)
    _es_histogram_record (h, 5000);
  _es_histogram_read (h, b);
  _es_histogram_data_subtract (d, b, a);

  g_assert_cmpuint (d->count, ==, 500);
  g_assert_cmpuint (d->sum, ==, 500 * 5000);
  g_assert_cmpuint (_es_histogram_bucket_index ((guint64) _es_histogram_data_percentile (d, 0.01)), ==,
                    _es_histogram_bucket_index (5000));

  g_free (a);
  g_free (b);
  g_free (d);
  _es_histogram_free (h);
}

#define N_THREADS 4
#define PER_THREAD 200000

static gpointer
hammer_thread (gpointer data)
{
  EsHistogram *h = data;

  for (guint i = 0; i < PER_THREAD; i++)
    _es_histogram_record (h, i % 4096);
  return NULL;
}

static void
test_concurrent (void)
{
  EsHistogram *h = _es_histogram_new ();
  EsHistogramData *data = g_new0 (EsHistogramData, 1);
  GThread *threads[N_THREADS];
  guint64 expected_sum = 0;

  g_test_summary ("Concurrent recording loses no sample");

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("hammer", hammer_thread, h);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < PER_THREAD; i++)
    expected_sum += i % 4096;
  _es_histogram_read (h, data);
  g_assert_cmpuint (data->count, ==, (guint64) N_THREADS * PER_THREAD);
  g_assert_cmpuint (data->sum, ==, expected_sum * N_THREADS);

  g_free (data);
  _es_histogram_free (h);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Es/Histogram/bucket-layout", test_bucket_layout);
  g_test_add_func ("/Es/Histogram/percentiles-known", test_percentiles_known);
  g_test_add_func ("/Es/Histogram/percentiles-uniform", test_percentiles_uniform);
  g_test_add_func ("/Es/Histogram/percentiles-lognormal", test_percentiles_lognormal);
  g_test_add_func ("/Es/Histogram/subtract", test_subtract);
  g_test_add_func ("/Es/Histogram/concurrent", test_concurrent);

  return g_test_run ();
}
