/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EsEvent: construction, refcounting, accessors, payload kinds, sealing,
 * priority and W3C trace context. */
#include "es-test-util.h"

#include <string.h>

static gboolean
is_lower_hex (const char *s,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
      return FALSE;
  return TRUE;
}

static gboolean
is_all_zero (const char *s,
             gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (s[i] != '0')
      return FALSE;
  return TRUE;
}

/* 00-<32 lowercase hex>-<16 lowercase hex>-<2 hex>, ids not all zero. */
static void
assert_valid_traceparent (const char *tp)
{
  g_assert_nonnull (tp);
  g_assert_cmpuint (strlen (tp), ==, 55);
  g_assert_true (g_str_has_prefix (tp, "00-"));
  g_assert_true (is_lower_hex (tp + 3, 32));
  g_assert_cmpint (tp[35], ==, '-');
  g_assert_true (is_lower_hex (tp + 36, 16));
  g_assert_cmpint (tp[52], ==, '-');
  g_assert_true (is_lower_hex (tp + 53, 2));
  g_assert_false (is_all_zero (tp + 3, 32));
  g_assert_false (is_all_zero (tp + 36, 16));
}

static void
test_event_plain (EsFixture     *f,
                  gconstpointer  data)
{
  EsTestTick tick = { 42, 7 };
  g_autoptr(EsEvent) event = NULL;
  const EsTestTick *copy;
  gsize size = 0;

  g_test_summary ("es_event_new() copies plain data once; accessors return it");

  event = es_event_new (ES_TEST_TYPE_TICK, &tick, sizeof tick);
  g_assert_nonnull (event);
  g_assert_true (es_event_get_event_type (event) == ES_TEST_TYPE_TICK);
  g_assert_cmpint (es_event_get_priority (event), ==, ES_EVENT_PRIORITY_NORMAL);
  g_assert_false (es_event_is_sealed (event));
  g_assert_null (es_event_get_object (event));
  g_assert_null (es_event_get_variant (event));

  copy = es_event_get_data (event, &size);
  g_assert_nonnull (copy);
  g_assert_cmpuint (size, ==, sizeof tick);
  g_assert_true ((gconstpointer) copy != (gconstpointer) &tick);
  g_assert_cmpmem (copy, size, &tick, sizeof tick);

  /* The event owns its copy: changing the source does not change it. */
  tick.value = -1;
  g_assert_cmpint (copy->value, ==, 42);
  g_assert_cmpuint (copy->seq, ==, 7);

  /* size is optional */
  g_assert_true (es_event_get_data (event, NULL) == (gconstpointer) copy);
}

static void
test_event_ref (EsFixture     *f,
                gconstpointer  data)
{
  g_autoptr(EsTestThing) thing = es_test_thing_new (5);
  EsEvent *event;
  gpointer weak = thing;

  g_test_summary ("es_event_ref() returns the same event; the last unref frees the payload reference");

  g_object_add_weak_pointer (G_OBJECT (thing), &weak);

  event = es_event_new_object (thing);
  g_assert_true (es_event_ref (event) == event);
  g_assert_true (es_event_ref (event) == event);
  es_event_unref (event);
  es_event_unref (event);
  g_assert_true (es_event_get_object (event) == (gpointer) thing);
  es_event_unref (event);

  /* Only our reference is left. */
  g_clear_object (&thing);
  g_assert_null (weak);
}

static void
test_event_boxed (EsFixture     *f,
                  gconstpointer  data)
{
  EsTestTick tick = { 1, 2 };
  g_autoptr(EsEvent) event = es_event_new (ES_TEST_TYPE_TICK, &tick, sizeof tick);
  EsEvent *copy;

  g_test_summary ("EsEvent is a boxed type whose copy is a reference");

  g_assert_true (G_TYPE_IS_BOXED (ES_TYPE_EVENT));
  copy = g_boxed_copy (ES_TYPE_EVENT, event);
  g_assert_true (copy == event);
  g_boxed_free (ES_TYPE_EVENT, copy);
}

static void
test_event_object (EsFixture     *f,
                   gconstpointer  data)
{
  g_autoptr(EsTestThing) thing = es_test_thing_new (17);
  g_autoptr(EsTestThing) child = es_test_child_thing_new (18);
  g_autoptr(EsEvent) event = NULL;
  g_autoptr(EsEvent) child_event = NULL;

  g_test_summary ("es_event_new_object() carries a reference to the object, typed by its class");

  event = es_event_new_object (thing);
  g_assert_true (es_event_get_event_type (event) == ES_TEST_TYPE_THING);
  g_assert_true (es_event_get_object (event) == (gpointer) thing);
  /* The event holds its own reference. */
  g_assert_cmpuint (G_OBJECT (thing)->ref_count, >=, 2);
  g_assert_null (es_event_get_bytes (event));
  g_assert_null (es_event_get_variant (event));

  child_event = es_event_new_object (child);
  g_assert_true (es_event_get_event_type (child_event) == ES_TEST_TYPE_CHILD_THING);
  g_assert_cmpint (es_test_thing_get_value (es_event_get_object (child_event)), ==, 18);
}

static void
test_event_bytes (EsFixture     *f,
                  gconstpointer  data)
{
  static const char payload[] = "zero-copy payload";
  g_autoptr(GBytes) bytes = g_bytes_new_static (payload, sizeof payload);
  g_autoptr(EsEvent) event = NULL;
  GBytes *got;

  g_test_summary ("es_event_new_bytes() never copies the GBytes data");

  event = es_event_new_bytes (G_TYPE_BYTES, bytes);
  g_assert_nonnull (event);
  g_assert_true (es_event_get_event_type (event) == G_TYPE_BYTES);
  got = es_event_get_bytes (event);
  g_assert_nonnull (got);
  g_assert_true (g_bytes_get_data (got, NULL) == (gconstpointer) payload);
  g_assert_cmpuint (g_bytes_get_size (got), ==, sizeof payload);
  g_assert_null (es_event_get_object (event));

  /* The event keeps the bytes alive on its own. */
  {
    g_autofree char *heap = g_strdup ("heap payload");
    GBytes *owned = g_bytes_new_take (g_steal_pointer (&heap), 13);
    gconstpointer where = g_bytes_get_data (owned, NULL);
    g_autoptr(EsEvent) ev2 = es_event_new_bytes (G_TYPE_BYTES, owned);

    g_bytes_unref (owned);
    g_assert_true (g_bytes_get_data (es_event_get_bytes (ev2), NULL) == where);
    g_assert_cmpstr (g_bytes_get_data (es_event_get_bytes (ev2), NULL), ==, "heap payload");
  }
}

static void
test_event_variant (EsFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new ("(su)", "hello", 99));
  g_autoptr(EsEvent) event = NULL;
  GVariant *got;

  g_test_summary ("es_event_new_variant() carries the GVariant");

  event = es_event_new_variant (value);
  g_assert_nonnull (event);
  g_assert_true (es_event_get_event_type (event) == G_TYPE_VARIANT);
  got = es_event_get_variant (event);
  g_assert_nonnull (got);
  g_assert_true (g_variant_equal (got, value));
  g_assert_null (es_event_get_object (event));
}

static void
test_event_priority_seal (EsFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsEvent) event = NULL;
  g_autoptr(EsEvent) received = NULL;
  EsTestTick tick = { 3, 3 };
  gint64 before;

  g_test_summary ("priority is settable before publish; publishing seals the event");

  pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_assert_no_error (error);
  sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  g_assert_no_error (error);

  event = es_event_new (ES_TEST_TYPE_TICK, &tick, sizeof tick);
  es_event_set_priority (event, ES_EVENT_PRIORITY_LOW);
  es_event_set_priority (event, ES_EVENT_PRIORITY_HIGH);
  g_assert_cmpint (es_event_get_priority (event), ==, ES_EVENT_PRIORITY_HIGH);
  g_assert_false (es_event_is_sealed (event));

  before = g_get_monotonic_time ();
  g_assert_true (es_publisher_publish (pub, event, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (es_event_is_sealed (event));

  /* Changing a sealed event is a programming error. */
  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*");
  es_event_set_priority (event, ES_EVENT_PRIORITY_LOW);
  g_test_assert_expected_messages ();
  g_assert_cmpint (es_event_get_priority (event), ==, ES_EVENT_PRIORITY_HIGH);

  received = es_test_receive (sub);
  g_assert_true (es_event_is_sealed (received));
  g_assert_true (es_event_get_event_type (received) == ES_TEST_TYPE_TICK);
  g_assert_cmpint (es_event_get_priority (received), ==, ES_EVENT_PRIORITY_HIGH);
  g_assert_cmpmem (es_event_get_data (received, NULL), sizeof tick, &tick, sizeof tick);
  g_assert_cmpint (es_event_get_timestamp (received), >=, before);
  g_assert_cmpint (es_event_get_timestamp (received), <=, g_get_monotonic_time ());

  if (f->impl == ES_IMPLEMENTATION_ZERO_COPY)
    g_assert_true (received == event);   /* one shared envelope */
}

static void
test_event_sealed_subprocess (EsFixture     *f,
                              gconstpointer  data)
{
  g_test_summary ("set_priority on a sealed event is a critical (checked in a subprocess)");

  if (g_test_subprocess ())
    {
      g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, NULL);
      EsTestTick tick = { 1, 1 };
      g_autoptr(EsEvent) event = es_event_new (ES_TEST_TYPE_TICK, &tick, sizeof tick);

      g_assert_true (es_publisher_publish (pub, event, NULL, NULL));
      es_event_set_priority (event, ES_EVENT_PRIORITY_CRITICAL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*");
}

static void
test_event_sequence (EsFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  guint64 last_seq = 0;
  gint64 last_ts = 0;

  g_test_summary ("sequence numbers increase and timestamps never go back within one type");

  g_assert_no_error (error);
  for (int i = 0; i < 20; i++)
    es_test_publish_tick (pub, i);

  for (int i = 0; i < 20; i++)
    {
      g_autoptr(EsEvent) event = es_test_receive (sub);
      const EsTestTick *tick = es_event_get_data (event, NULL);

      g_assert_cmpint (tick->value, ==, i);
      if (i > 0)
        {
          g_assert_cmpuint (es_event_get_sequence (event), >, last_seq);
          g_assert_cmpint (es_event_get_timestamp (event), >=, last_ts);
        }
      last_seq = es_event_get_sequence (event);
      last_ts = es_event_get_timestamp (event);
    }
}

static void
test_event_sequence_threads (EsFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  guint per_thread = es_test_scaled (20000, 500);
  GThread *threads[4];
  guint64 last_seq = 0, last_of[4] = { 0, };
  gint64 next_counter[4] = { 0, };
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  gboolean in_order = f->impl == ES_IMPLEMENTATION_STATIC_FAST_PATH;

  g_test_summary ("With four threads publishing one type at once, each sequence number is "
                  "given once and each thread's events arrive in sequence order; on the "
                  "static implementation all of them do");

  /* A publisher per thread: each thread owns its publisher's fast path,
   * and the type's sequence is shared. */
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);

      threads[i] = es_test_publish_packets_thread (pub, i, per_thread);
    }

  for (guint i = 0; i < G_N_ELEMENTS (threads) * per_thread; i++)
    {
      g_autoptr(EsEvent) event = es_test_receive (sub);
      const EsTestPacket *packet = es_event_get_data (event, NULL);
      gint64 *seq = g_new (gint64, 1);
      guint who = packet->publisher;

      *seq = (gint64) es_event_get_sequence (event);
      g_assert_cmpint (*seq, >, 0);
      g_assert_false (g_hash_table_contains (seen, seq));
      g_hash_table_add (seen, seq);
      if (in_order)
        g_assert_cmpuint ((guint64) *seq, >, last_seq);
      last_seq = (guint64) *seq;

      /* Each thread's own events: in order, and numbered in order. */
      g_assert_cmpuint (who, <, G_N_ELEMENTS (threads));
      g_assert_cmpint ((gint64) packet->counter, ==, next_counter[who]);
      g_assert_cmpuint ((guint64) *seq, >, last_of[who]);
      next_counter[who]++;
      last_of[who] = (guint64) *seq;
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

static void
test_event_traceparent (EsFixture     *f,
                        gconstpointer  data)
{
  static const char valid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  EsTestTick tick = { 9, 9 };

  g_test_summary ("published events carry a valid W3C traceparent; an explicit one is kept");

  g_assert_no_error (error);

  /* A fresh publish gets a generated context. */
  es_test_publish_tick (pub, 1);
  {
    g_autoptr(EsEvent) event = es_test_receive (sub);
    g_autofree char *tp = es_event_dup_traceparent (event);
    g_autofree char *trace_id = es_event_dup_trace_id (event);

    assert_valid_traceparent (tp);
    g_assert_nonnull (trace_id);
    g_assert_cmpuint (strlen (trace_id), ==, 32);
    g_assert_true (strncmp (tp + 3, trace_id, 32) == 0);
  }

  /* Two independent publishes get different trace ids. */
  es_test_publish_tick (pub, 2);
  es_test_publish_tick (pub, 3);
  {
    g_autoptr(EsEvent) a = es_test_receive (sub);
    g_autoptr(EsEvent) b = es_test_receive (sub);
    g_autofree char *ta = es_event_dup_trace_id (a);
    g_autofree char *tb = es_event_dup_trace_id (b);

    g_assert_cmpstr (ta, !=, tb);
  }

  /* An explicit context is kept before publish and survives publishing. */
  {
    g_autoptr(EsEvent) event = es_event_new (ES_TEST_TYPE_TICK, &tick, sizeof tick);
    g_autoptr(EsEvent) received = NULL;
    g_autofree char *tp = NULL;
    g_autofree char *trace_id = NULL;

    /* No context before publishing. */
    g_assert_null (es_event_dup_traceparent (event));
    g_assert_null (es_event_dup_trace_id (event));

    g_assert_true (es_event_set_traceparent (event, valid, &error));
    g_assert_no_error (error);

    g_assert_true (es_publisher_publish (pub, event, NULL, &error));
    g_assert_no_error (error);
    received = es_test_receive (sub);
    trace_id = es_event_dup_trace_id (received);
    g_assert_cmpstr (trace_id, ==, "4bf92f3577b34da6a3ce929d0e0e4736");

    /* Same trace, a new span of its own. */
    tp = es_event_dup_traceparent (received);
    assert_valid_traceparent (tp);
    g_assert_true (strncmp (tp, valid, 36) == 0);
    g_assert_true (strncmp (tp + 36, valid + 36, 16) != 0);
  }
}

static void
test_event_traceparent_invalid (EsFixture     *f,
                                gconstpointer  data)
{
  static const char valid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  static const char * const invalid[] = {
    "",
    "00",
    /* all-zero trace id / span id */
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
    /* uppercase */
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
    /* version ff */
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    /* wrong lengths */
    "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b77-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
    "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
    /* not hex, wrong separators */
    "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba9z2b7-01",
    "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
    "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  };
  g_autoptr(EsEvent) event = NULL;
  g_autoptr(EsEvent) received = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autofree char *trace_id = NULL;
  EsTestTick tick = { 0, 0 };

  g_test_summary ("malformed traceparent strings fail with ES_ERROR_INVALID_TRACEPARENT and change nothing");

  g_assert_no_error (error);
  event = es_event_new (ES_TEST_TYPE_TICK, &tick, sizeof tick);
  g_assert_true (es_event_set_traceparent (event, valid, NULL));

  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) local_error = NULL;

      g_test_message ("traceparent \"%s\"", invalid[i]);
      g_assert_false (es_event_set_traceparent (event, invalid[i], &local_error));
      g_assert_error (local_error, ES_ERROR, ES_ERROR_INVALID_TRACEPARENT);
    }

  /* The valid context set first is still the one the event carries. */
  g_assert_true (es_publisher_publish (pub, event, NULL, &error));
  g_assert_no_error (error);
  received = es_test_receive (sub);
  trace_id = es_event_dup_trace_id (received);
  g_assert_cmpstr (trace_id, ==, "4bf92f3577b34da6a3ce929d0e0e4736");
}

static void
test_event_null_args (EsFixture     *f,
                      gconstpointer  data)
{
  g_test_summary ("NULL events and payloads are programming errors");

  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_null (es_event_new_object (NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_null (es_event_new_bytes (G_TYPE_BYTES, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_true (es_event_get_event_type (NULL) == G_TYPE_INVALID);
  g_test_assert_expected_messages ();

  /* Plain data of the wrong size for its type. */
  {
    guint8 three[3] = { 1, 2, 3 };

    g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*");
    g_assert_null (es_event_new (ES_TEST_TYPE_TICK, three, sizeof three));
    g_test_assert_expected_messages ();
  }
}

/* --- envelopes outliving the thread that made them -------------------------- */

static void
test_event_envelopes_across_threads (EsFixture     *f,
                                     gconstpointer  data)
{
  g_autoptr(EsSubscriber) sub = es_test_new_subscriber (f, ES_TEST_TYPE_PACKET);
  g_autoptr(EsPublisher) pub = es_test_new_publisher (f, ES_TEST_TYPE_PACKET);
  const guint n = 600;
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func ((GDestroyNotify) es_event_unref);

  g_test_summary ("envelopes made on a thread that has exited (their memory returns to that thread's "
                  "cache, now closed) are still valid and freed safely; later threads reuse caches");

  /* Three publishing threads one after another, each gone before its
   * envelopes are released: receive them all first, free them after. */
  for (guint round = 0; round < 3; round++)
    {
      GThread *thread = es_test_publish_packets_thread (pub, 7, n);

      for (guint i = 0; i < n; i++)
        {
          EsEvent *ev = es_test_receive (sub);
          const EsTestPacket *packet = es_event_get_data (ev, NULL);

          g_assert_cmpuint (packet->counter, ==, i);
          g_assert_true (es_test_packet_check (packet));
          g_ptr_array_add (held, ev);
        }
      g_thread_join (thread);
      if (round % 2 == 1)
        g_ptr_array_set_size (held, 0);   /* freed after the thread exited */
    }

  /* Still intact after all that. */
  for (guint i = 0; i < held->len; i++)
    g_assert_true (es_test_packet_check (es_event_get_data (g_ptr_array_index (held, i), NULL)));
  es_test_assert_accounting (sub);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Event/plain", test_event_plain);
  es_test_add ("Event/ref", test_event_ref);
  es_test_add ("Event/boxed", test_event_boxed);
  es_test_add ("Event/object", test_event_object);
  es_test_add ("Event/bytes", test_event_bytes);
  es_test_add ("Event/variant", test_event_variant);
  es_test_add ("Event/priority-seal", test_event_priority_seal);
  es_test_add ("Event/sealed-subprocess", test_event_sealed_subprocess);
  es_test_add ("Event/sequence", test_event_sequence);
  es_test_add ("Event/sequence-threads", test_event_sequence_threads);
  es_test_add ("Event/traceparent", test_event_traceparent);
  es_test_add ("Event/traceparent-invalid", test_event_traceparent_invalid);
  es_test_add ("Event/null-args", test_event_null_args);
  es_test_add ("Event/envelopes-across-threads", test_event_envelopes_across_threads);

  return g_test_run ();
}
