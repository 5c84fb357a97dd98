/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EsPublisher: publish, publish_data, publish_object, publish_batch,
 * publish_data_batch, type checks, argument checks and counters. */
#include "es-test-util.h"

static EsEvent *
new_tick_event (gint32 value)
{
  EsTestTick tick = { value, (guint32) value };

  return es_event_new (ES_TEST_TYPE_TICK, &tick, sizeof tick);
}

static gint32
tick_value (EsEvent *event)
{
  gsize size = 0;
  const EsTestTick *tick = es_event_get_data (event, &size);

  g_assert_nonnull (tick);
  g_assert_cmpuint (size, ==, sizeof (EsTestTick));
  return tick->value;
}

static void
test_publisher_publish (EsFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsEvent) event = new_tick_event (11);
  g_autoptr(EsEvent) got = NULL;

  g_test_summary ("es_publisher_publish() delivers the event to a subscriber");

  g_assert_no_error (error);
  g_assert_true (es_publisher_get_system (pub) == f->sys);
  g_assert_true (es_publisher_get_event_type (pub) == ES_TEST_TYPE_TICK);
  g_assert_cmpint (es_publisher_get_backpressure_state (pub), ==, ES_BACKPRESSURE_STATE_NORMAL);

  g_assert_true (es_publisher_publish (pub, event, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 1);

  got = es_test_receive (sub);
  g_assert_cmpint (tick_value (got), ==, 11);
  g_assert_true (es_event_get_event_type (got) == ES_TEST_TYPE_TICK);
  if (f->impl == ES_IMPLEMENTATION_ZERO_COPY)
    g_assert_true (got == event);

  /* Publishing the same (now sealed) event again publishes it again. */
  g_assert_true (es_publisher_publish (pub, event, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&got, es_event_unref);
  got = es_test_receive (sub);
  g_assert_cmpint (tick_value (got), ==, 11);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 2);
}

static void
test_publisher_publish_take (EsFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_THING, &error);
  g_autoptr(EsPublisher) tick_pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_THING, &error);
  g_autoptr(EsSubscriber) tick_sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  EsTestThing *thing = es_test_thing_new (77);
  EsTestThing *other = es_test_thing_new (78);
  gpointer weak = thing;
  gpointer weak_other = other;
  g_autoptr(EsEvent) tick = new_tick_event (5);

  g_test_summary ("es_publisher_publish_take() publishes like es_publisher_publish() and consumes "
                  "the caller's reference on success and on every failure");

  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (thing), &weak);
  g_object_add_weak_pointer (G_OBJECT (other), &weak_other);

  /* Success: the envelope (and with it the object) lives on in the queue only. */
  g_assert_true (es_publisher_publish_take (pub, es_event_new_object (thing), NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&thing);
  g_assert_nonnull (weak);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 1);
  {
    g_autoptr(EsEvent) got = es_test_receive (sub);

    g_assert_cmpint (es_test_thing_get_value (es_event_get_object (got)), ==, 77);
    g_assert_true (es_event_is_sealed (got));
  }

  /* An event published before: the caller's other reference stays valid,
   * and the subscriber gets the same payload. */
  g_assert_true (es_publisher_publish (tick_pub, tick, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (es_publisher_publish_take (tick_pub, es_event_ref (tick), NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(EsEvent) got = es_test_receive (tick_sub);

      g_assert_cmpint (tick_value (got), ==, 5);
      g_assert_cmpuint (es_event_get_sequence (got), ==, (guint64) i + 1);
    }
  g_assert_cmpint (tick_value (tick), ==, 5);

  /* Failures consume the reference too: a type mismatch... */
  g_assert_false (es_publisher_publish_take (tick_pub, es_event_new_object (other), NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  /* ...a publish after shutdown... */
  g_assert_true (es_event_system_shutdown (f->sys, &error));
  g_assert_no_error (error);
  g_assert_false (es_publisher_publish_take (pub, es_event_new_object (other), NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_SHUT_DOWN);
  g_clear_error (&error);
  /* ...and a programmer error. */
  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*ES_IS_PUBLISHER*");
  g_assert_false (es_publisher_publish_take ((EsPublisher *) sub, es_event_new_object (other), NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*event != NULL*");
  g_assert_false (es_publisher_publish_take (pub, NULL, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 1);

  g_clear_object (&other);
  g_assert_null (weak_other);

  if (f->impl == ES_IMPLEMENTATION_STATIC_FAST_PATH)
    {
      /* Documented: a static ring slot keeps its object until the slot is
       * reused or the system goes away. */
      g_clear_object (&pub);
      g_clear_object (&sub);
      g_clear_object (&tick_pub);
      g_clear_object (&tick_sub);
      es_fixture_replace (f, es_test_builder_new (f->impl), TRUE);
    }
  g_assert_null (weak);

  /* Rejected by backpressure: freed too. */
  {
    g_autoptr(EsEventSystemBuilder) builder = es_test_builder_new (f->impl);
    g_autoptr(EsTestThing) last = es_test_thing_new (5);
    gpointer weak_last = last;

    g_clear_object (&pub);
    g_clear_object (&sub);
    g_clear_object (&tick_pub);
    g_clear_object (&tick_sub);
    es_event_system_builder_set_channel_capacity (builder, 4);
    es_event_system_builder_set_backpressure_strategy (builder, ES_BACKPRESSURE_DROP_NEWEST);
    es_fixture_replace (f, g_steal_pointer (&builder), TRUE);
    pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_THING, &error);
    sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_THING, &error);
    g_assert_no_error (error);
    for (int i = 0; i < 4; i++)
      {
        g_autoptr(EsTestThing) t = es_test_thing_new (i);

        g_assert_true (es_publisher_publish_take (pub, es_event_new_object (t), NULL, &error));
        g_assert_no_error (error);
      }
    g_object_add_weak_pointer (G_OBJECT (last), &weak_last);
    g_assert_false (es_publisher_publish_take (pub, es_event_new_object (last), NULL, &error));
    g_assert_error (error, ES_ERROR, ES_ERROR_BACKPRESSURE);
    g_clear_error (&error);
    g_assert_cmpuint (es_publisher_get_rejected_count (pub), ==, 1);
    g_clear_object (&last);
    g_assert_null (weak_last);
  }
}

static void
test_publisher_no_subscribers (EsFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);

  g_test_summary ("publishing without subscribers succeeds, whatever the amount");

  g_assert_no_error (error);
  for (int i = 0; i < 5000; i++)
    es_test_publish_tick (pub, i);
  g_assert_cmpint (es_publisher_get_backpressure_state (pub), ==, ES_BACKPRESSURE_STATE_NORMAL);
}

static void
test_publisher_publish_data (EsFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  EsTestPacket packet;
  guint8 too_small[8] = { 0 };
  guint8 too_big[65] = { 0 };

  g_test_summary ("publish_data() copies plain data; a wrong size is ES_ERROR_INVALID_ARGUMENT");

  g_assert_no_error (error);
  es_test_packet_init (&packet, 3, 77);
  g_assert_true (es_publisher_publish_data (pub, &packet, sizeof packet, NULL, &error));
  g_assert_no_error (error);
  /* The publisher's buffer is free for reuse immediately. */
  es_test_packet_init (&packet, 0, 0);

  g_assert_false (es_publisher_publish_data (pub, too_small, sizeof too_small, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (es_publisher_publish_data (pub, too_big, sizeof too_big, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  {
    g_autoptr(EsEvent) got = es_test_receive (sub);
    gsize size = 0;
    const EsTestPacket *p = es_event_get_data (got, &size);

    g_assert_cmpuint (size, ==, sizeof (EsTestPacket));
    g_assert_cmpuint (p->publisher, ==, 3);
    g_assert_cmpuint (p->counter, ==, 77);
    g_assert_true (es_test_packet_check (p));
  }

  /* The rejected ones were never queued. */
  {
    g_autoptr(EsEvent) none = es_subscriber_try_receive (sub, &error);

    g_assert_no_error (error);
    g_assert_null (none);
  }
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 1);
}

static void
test_publisher_publish_object (EsFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_THING, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_THING, &error);
  g_autoptr(EsTestThing) thing = es_test_thing_new (1234);
  gpointer weak = thing;

  g_test_summary ("publish_object() delivers a reference to the same object; nothing keeps it afterwards");

  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (thing), &weak);

  g_assert_true (es_publisher_publish_object (pub, thing, NULL, &error));
  g_assert_no_error (error);

  {
    g_autoptr(EsEvent) got = es_test_receive (sub);

    g_assert_true (es_event_get_event_type (got) == ES_TEST_TYPE_THING);
    g_assert_true (es_event_get_object (got) == (gpointer) thing);
    g_assert_cmpint (es_test_thing_get_value (es_event_get_object (got)), ==, 1234);
    g_assert_null (es_event_get_data (got, NULL));
  }

  /* Also as an envelope. */
  {
    g_autoptr(EsEvent) event = es_event_new_object (thing);
    g_autoptr(EsEvent) got = NULL;

    g_assert_true (es_publisher_publish (pub, event, NULL, &error));
    g_assert_no_error (error);
    got = es_test_receive (sub);
    g_assert_true (es_event_get_object (got) == (gpointer) thing);
  }

  g_clear_object (&thing);
  if (f->impl == ES_IMPLEMENTATION_STATIC_FAST_PATH)
    {
      /* Documented: a static ring slot keeps its object until the slot is
       * reused or the system goes away. */
      g_clear_object (&pub);
      g_clear_object (&sub);
      es_fixture_replace (f, es_test_builder_new (f->impl), TRUE);
    }
  g_assert_null (weak);
}

static void
test_publisher_batch (EsFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  EsEvent *events[10];
  guint n_published = G_MAXUINT;

  g_test_summary ("publish_batch() publishes every event in order and reports how many");

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    events[i] = new_tick_event ((gint32) i);

  g_assert_true (es_publisher_publish_batch (pub, events, G_N_ELEMENTS (events), &n_published, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_published, ==, G_N_ELEMENTS (events));
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, G_N_ELEMENTS (events));

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autoptr(EsEvent) got = es_test_receive (sub);

      g_assert_cmpint (tick_value (got), ==, (gint32) i);
      g_assert_true (es_event_is_sealed (events[i]));
    }

  /* n_published is optional; an empty batch is fine. */
  g_assert_true (es_publisher_publish_batch (pub, events, 0, NULL, NULL, &error));
  g_assert_no_error (error);
  n_published = G_MAXUINT;
  g_assert_true (es_publisher_publish_batch (pub, events, 0, &n_published, NULL, &error));
  g_assert_cmpuint (n_published, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    es_event_unref (events[i]);
}

static void
test_publisher_batch_mismatch (EsFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  EsEvent *events[5];
  EsTestPacket packet;
  guint n_published = G_MAXUINT;
  guint received = 0;

  g_test_summary ("a batch with a wrong-typed event fails with ES_ERROR_TYPE_MISMATCH; "
                  "n_published says how many of the first ones were delivered");

  g_assert_no_error (error);
  es_test_packet_init (&packet, 0, 0);
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    events[i] = i == 3 ? es_event_new (ES_TEST_TYPE_PACKET, &packet, sizeof packet)
                       : new_tick_event ((gint32) i);

  g_assert_false (es_publisher_publish_batch (pub, events, G_N_ELEMENTS (events), &n_published, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH);
  g_assert_cmpuint (n_published, <=, 3);

  /* Exactly the reported prefix arrived. */
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(EsEvent) got = es_subscriber_try_receive (sub, &local_error);

      g_assert_no_error (local_error);
      if (got == NULL)
        break;
      g_assert_cmpint (tick_value (got), ==, (gint32) received);
      received++;
    }
  g_assert_cmpuint (received, ==, n_published);

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    es_event_unref (events[i]);
}

static void
test_publisher_batch_backpressure (EsFixture     *f,
                                   gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  EsEvent *events[40];
  guint n_published = G_MAXUINT;
  guint received = 0;

  g_test_summary ("a batch hitting DROP_NEWEST backpressure stops with n_published = what was queued");

  es_event_system_builder_set_channel_capacity (b, 4);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_DROP_NEWEST);
  es_fixture_replace (f, b, TRUE);
  pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_assert_no_error (error);
  sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    events[i] = new_tick_event ((gint32) i);

  g_assert_false (es_publisher_publish_batch (pub, events, G_N_ELEMENTS (events), &n_published, NULL, &error));
  g_assert_true (es_error_is_backpressure (error));
  g_assert_cmpuint (n_published, >=, 4);
  g_assert_cmpuint (n_published, <, G_N_ELEMENTS (events));

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(EsEvent) got = es_subscriber_try_receive (sub, &local_error);

      g_assert_no_error (local_error);
      if (got == NULL)
        break;
      g_assert_cmpint (tick_value (got), ==, (gint32) received);
      received++;
    }
  g_assert_cmpuint (received, ==, n_published);
  es_test_assert_accounting (sub);

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    es_event_unref (events[i]);
}

/* Fills @packets with packets @first .. @first + @n - 1 of @publisher. */
static void
fill_packets (EsTestPacket *packets,
              guint32       publisher,
              guint64       first,
              guint         n)
{
  for (guint i = 0; i < n; i++)
    es_test_packet_init (&packets[i], publisher, first + i);
}

static void
test_publisher_data_batch (EsFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_autoptr(EsSubscriber) envelopes = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  /* More than one commit chunk, less than the fixture's capacity (1024). */
  const guint n = 1000;
  g_autofree EsTestPacket *packets = g_new (EsTestPacket, n);
  g_autofree EsTestPacket *got = g_new0 (EsTestPacket, n);
  guint n_published = G_MAXUINT;
  guint received = 0;
  guint64 first_seq = 0;

  g_test_summary ("publish_data_batch() publishes every payload in order, as that many publish_data() "
                  "calls would: data and envelope subscribers see consecutive sequence numbers");

  g_assert_no_error (error);
  /* One single publish first: the batch continues its sequence. */
  es_test_publish_packet (pub, 9, 0);
  fill_packets (packets, 9, 1, n);
  g_assert_true (es_publisher_publish_data_batch (pub, packets, sizeof (EsTestPacket), n, &n_published,
                                                  NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_published, ==, n);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, n + 1);
  /* The caller's buffer is free for reuse at once. */
  memset (packets, 0, n * sizeof (EsTestPacket));

  while (received < n + 1)
    {
      EsTestPacket one[1];
      EsTestPacket *into = received == 0 ? one : &got[received - 1];
      guint k = es_subscriber_receive_data_batch (sub, into, sizeof (EsTestPacket),
                                                  received == 0 ? 1 : n + 1 - received,
                                                  ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (k, >, 0);
      if (received == 0)
        g_assert_cmpuint (one[0].counter, ==, 0);
      received += k;
    }
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (es_test_packet_check (&got[i]));
      g_assert_cmpuint (got[i].publisher, ==, 9);
      g_assert_cmpuint (got[i].counter, ==, i + 1);
    }

  for (guint i = 0; i < n + 1; i++)
    {
      g_autoptr(EsEvent) event = es_test_receive (envelopes);
      gsize size = 0;
      const EsTestPacket *p = es_event_get_data (event, &size);

      g_assert_cmpuint (size, ==, sizeof (EsTestPacket));
      g_assert_cmpuint (p->counter, ==, i);
      if (i == 0)
        first_seq = es_event_get_sequence (event);
      g_assert_cmpuint (es_event_get_sequence (event), ==, first_seq + i);
      g_assert_cmpint (es_event_get_priority (event), ==, ES_EVENT_PRIORITY_NORMAL);
      g_assert_cmpint (es_event_get_timestamp (event), >, 0);
    }
  es_test_assert_accounting (sub);
  es_test_assert_accounting (envelopes);

  /* n_published is optional; an empty batch is fine, even without data. */
  fill_packets (packets, 9, n + 1, 2);
  g_assert_true (es_publisher_publish_data_batch (pub, packets, sizeof (EsTestPacket), 2, NULL, NULL, &error));
  g_assert_no_error (error);
  n_published = G_MAXUINT;
  g_assert_true (es_publisher_publish_data_batch (pub, NULL, sizeof (EsTestPacket), 0, &n_published, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_published, ==, 0);
  g_assert_cmpuint (es_test_drain (sub), ==, 2);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, n + 3);
}

static void
test_publisher_data_batch_invalid (EsFixture     *f,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_autoptr(EsPublisher) opub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_THING, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  EsTestPacket packets[4];
  guint n_published = G_MAXUINT;

  g_test_summary ("publish_data_batch() with a wrong element size fails with ES_ERROR_INVALID_ARGUMENT, "
                  "with a non-plain type with ES_ERROR_TYPE_MISMATCH, after shutdown with "
                  "ES_ERROR_SHUT_DOWN, and publishes nothing; NULL arguments are criticals");

  g_assert_no_error (error);
  fill_packets (packets, 1, 0, G_N_ELEMENTS (packets));

  g_assert_false (es_publisher_publish_data_batch (pub, packets, sizeof (EsTestPacket) - 8, 4, &n_published,
                                                   NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (n_published, ==, 0);
  g_clear_error (&error);

  n_published = G_MAXUINT;
  g_assert_false (es_publisher_publish_data_batch (opub, packets, sizeof (EsTestPacket), 4, &n_published,
                                                   NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH);
  g_assert_cmpuint (n_published, ==, 0);
  g_clear_error (&error);

  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_false (es_publisher_publish_data_batch (NULL, packets, sizeof (EsTestPacket), 4, NULL, NULL, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_false (es_publisher_publish_data_batch (pub, NULL, sizeof (EsTestPacket), 4, NULL, NULL, NULL));
  g_test_assert_expected_messages ();

  {
    g_autoptr(EsEvent) none = es_subscriber_try_receive (sub, &error);

    g_assert_no_error (error);
    g_assert_null (none);
  }
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 0);

  g_assert_true (es_event_system_shutdown (f->sys, &error));
  g_assert_no_error (error);
  n_published = G_MAXUINT;
  g_assert_false (es_publisher_publish_data_batch (pub, packets, sizeof (EsTestPacket), 4, &n_published,
                                                   NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_SHUT_DOWN);
  g_assert_cmpuint (n_published, ==, 0);
}

static void
test_publisher_data_batch_backpressure (EsFixture     *f,
                                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  EsTestPacket packets[40];
  guint n_published = G_MAXUINT;
  guint received = 0;

  g_test_summary ("a data batch hitting DROP_NEWEST backpressure stops with n_published = what was "
                  "queued; the rejection is counted once");

  es_test_replace_for_packets (f, 4, ES_BACKPRESSURE_DROP_NEWEST, &pub, &sub);

  fill_packets (packets, 2, 0, G_N_ELEMENTS (packets));
  g_assert_false (es_publisher_publish_data_batch (pub, packets, sizeof (EsTestPacket), G_N_ELEMENTS (packets),
                                                   &n_published, NULL, &error));
  g_assert_true (es_error_is_backpressure (error));
  g_assert_cmpuint (n_published, >=, 4);
  g_assert_cmpuint (n_published, <, G_N_ELEMENTS (packets));
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, n_published);
  g_assert_cmpuint (es_publisher_get_rejected_count (pub), ==, 1);

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      EsTestPacket p;

      if (!es_subscriber_receive_data (sub, &p, sizeof p, 0, NULL, &local_error))
        {
          g_assert_error (local_error, ES_ERROR, ES_ERROR_TIMEOUT);
          break;
        }
      g_assert_true (es_test_packet_check (&p));
      g_assert_cmpuint (p.counter, ==, received);
      received++;
    }
  g_assert_cmpuint (received, ==, n_published);
  es_test_assert_accounting (sub);
}

typedef struct {
  EsSubscriber *sub;
  guint64       total;      /* stop after this many */
  guint64       received;
  gboolean      in_order;
} BatchReader;

static gpointer
batch_reader_thread (gpointer data)
{
  BatchReader *r = data;
  guint64 next[4] = { 0, 0, 0, 0 };
  EsTestPacket got[100];

  r->in_order = TRUE;
  while (r->received < r->total)
    {
      g_autoptr(GError) error = NULL;
      guint k = es_subscriber_receive_data_batch (r->sub, got, sizeof (EsTestPacket), G_N_ELEMENTS (got),
                                                  ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND, NULL, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < k; i++)
        {
          /* Per publisher: every packet, in order (no loss under BLOCK). */
          if (!es_test_packet_check (&got[i]) || got[i].publisher >= G_N_ELEMENTS (next) ||
              got[i].counter != next[got[i].publisher])
            r->in_order = FALSE;
          else
            next[got[i].publisher]++;
        }
      r->received += k;
    }
  return NULL;
}

static void
test_publisher_data_batch_threads (EsFixture     *f,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  const guint64 n = es_test_scaled (40000, 2000);
  const guint64 n_other = es_test_scaled (4000, 200);
  g_autofree EsTestPacket *packets = g_new (EsTestPacket, 300);
  BatchReader reader = { 0 };
  GThread *reader_thread, *other = NULL;

  g_test_summary ("batches of 300 into a queue of 64 under BLOCK, read by a receiver thread: each batch "
                  "waits for room and resumes; a second thread publishing single packets meanwhile "
                  "(several producers from then on) loses and reorders nothing");

  es_test_replace_for_packets (f, 64, ES_BACKPRESSURE_BLOCK, &pub, &sub);
  reader = (BatchReader) { sub, n + n_other, 0, FALSE };
  reader_thread = g_thread_new ("reader", batch_reader_thread, &reader);

  for (guint64 i = 0; i < n;)
    {
      guint k = (guint) MIN ((guint64) 300, n - i);
      guint done = 0;

      fill_packets (packets, 0, i, k);
      g_assert_true (es_publisher_publish_data_batch (pub, packets, sizeof (EsTestPacket), k, &done, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (done, ==, k);
      i += k;
      if (other == NULL && i >= n / 2)
        other = es_test_publish_packets_thread (pub, 1, n_other);
    }
  g_thread_join (other);
  g_thread_join (reader_thread);
  g_assert_true (reader.in_order);
  g_assert_cmpuint (reader.received, ==, n + n_other);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, n + n_other);
}

typedef struct {
  EsPublisher *pub;
  guint32      publisher;
  guint64      n;
  gboolean     ok;
} BatchWriter;

static gpointer
batch_writer_thread (gpointer data)
{
  BatchWriter *w = data;
  EsTestPacket packets[100];

  w->ok = TRUE;
  for (guint64 i = 0; i < w->n && w->ok;)
    {
      g_autoptr(GError) error = NULL;
      guint k = (guint) MIN ((guint64) G_N_ELEMENTS (packets), w->n - i);
      guint done = 0;

      fill_packets (packets, w->publisher, i, k);
      w->ok = es_publisher_publish_data_batch (w->pub, packets, sizeof (EsTestPacket), k, &done, NULL, &error) &&
              done == k;
      i += k;
    }
  return NULL;
}

static void
test_publisher_data_batch_producers (EsFixture     *f,
                                     gconstpointer  data)
{
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  const guint64 n = es_test_scaled (20000, 1000);
  BatchWriter writers[3];
  GThread *threads[G_N_ELEMENTS (writers)];
  BatchReader reader;
  GThread *reader_thread;

  g_test_summary ("three threads publishing batches of 100 into a queue of 64 (several producers: "
                  "a run is claimed at once) lose and reorder nothing");

  es_test_replace_for_packets (f, 64, ES_BACKPRESSURE_BLOCK, &pub, &sub);
  reader = (BatchReader) { sub, G_N_ELEMENTS (writers) * n, 0, FALSE };
  reader_thread = g_thread_new ("reader", batch_reader_thread, &reader);
  for (guint i = 0; i < G_N_ELEMENTS (writers); i++)
    {
      writers[i] = (BatchWriter) { pub, i, n, FALSE };
      threads[i] = g_thread_new ("writer", batch_writer_thread, &writers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (writers); i++)
    {
      g_thread_join (threads[i]);
      g_assert_true (writers[i].ok);
    }
  g_thread_join (reader_thread);
  g_assert_true (reader.in_order);
  g_assert_cmpuint (reader.received, ==, G_N_ELEMENTS (writers) * n);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, G_N_ELEMENTS (writers) * n);
}

typedef struct {
  EsSubscriber *sub;
  gint          waiting;   /* atomic: the reader is in its receive */
  guint         received;
  gint64        returned;  /* monotonic time the receive returned */
  GError       *error;
} SleepyReader;

static gpointer
sleepy_reader_thread (gpointer data)
{
  SleepyReader *r = data;
  EsTestPacket got[16];

  /* The first packet, published on its own, makes the publishing thread
   * the ring's single producer: the batch then takes the fast path. */
  if (es_subscriber_receive_data_batch (r->sub, got, sizeof (EsTestPacket), 1, ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND,
                                        NULL, &r->error) != 1)
    return NULL;
  g_atomic_int_set (&r->waiting, 1);
  /* Long enough to fall asleep, short enough to fail the test rather than
   * hang it if no publish wakes us. */
  r->received = es_subscriber_receive_data_batch (r->sub, got, sizeof (EsTestPacket), G_N_ELEMENTS (got),
                                                  10 * G_TIME_SPAN_SECOND, NULL, &r->error);
  r->returned = g_get_monotonic_time ();
  return NULL;
}

static void
test_publisher_data_batch_wakes (EsFixture     *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_PACKET, &error);
  SleepyReader reader = { sub, 0, 0, 0, NULL };
  gint64 published;
  EsTestPacket packets[16];
  GThread *thread;
  guint done = 0;

  g_test_summary ("a batch wakes a receiver that went to sleep on an empty queue");

  g_assert_no_error (error);
  thread = g_thread_new ("sleepy", sleepy_reader_thread, &reader);
  es_test_publish_packet (pub, 3, 0);
  ES_TEST_WAIT_UNTIL (g_atomic_int_get (&reader.waiting), ES_TEST_HANG_SECONDS);
  /* Past any polling: the receiver sleeps on the wait queue now. */
  g_usleep (200 * 1000);

  fill_packets (packets, 3, 1, G_N_ELEMENTS (packets));
  g_assert_true (es_publisher_publish_data_batch (pub, packets, sizeof (EsTestPacket), G_N_ELEMENTS (packets),
                                                  &done, NULL, &error));
  g_assert_no_error (error);
  published = g_get_monotonic_time ();
  g_thread_join (thread);
  g_assert_no_error (reader.error);
  /* Woken by the batch, not by its 10 s timeout (after which it would
   * still find the packets). */
  g_assert_cmpint (reader.returned - published, <, 5 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (reader.received, >, 0);
  g_assert_cmpuint (reader.received + es_test_drain (sub), ==, G_N_ELEMENTS (packets));
}

static void
test_publisher_type_mismatch (EsFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsPublisher) opub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_CHILD_THING, &error);
  g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsTestThing) thing = es_test_thing_new (1);
  EsTestPacket packet;
  g_autoptr(EsEvent) wrong = NULL;
  g_autoptr(EsEvent) wrong_obj = NULL;

  g_test_summary ("publishing an event of another type fails with ES_ERROR_TYPE_MISMATCH");

  g_assert_no_error (error);
  es_test_packet_init (&packet, 0, 0);
  wrong = es_event_new (ES_TEST_TYPE_PACKET, &packet, sizeof packet);

  g_assert_false (es_publisher_publish (pub, wrong, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_false (es_event_is_sealed (wrong));

  /* An object event on a plain-data publisher. */
  wrong_obj = es_event_new_object (thing);
  g_assert_false (es_publisher_publish (pub, wrong_obj, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);

  /* A parent-class object on a child-class publisher is not a child. */
  g_assert_false (es_publisher_publish_object (opub, thing, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);

  /* Nothing was queued, nothing was counted. */
  {
    g_autoptr(EsEvent) none = es_subscriber_try_receive (sub, &error);

    g_assert_no_error (error);
    g_assert_null (none);
  }
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 0);
  g_assert_cmpuint (es_subscriber_get_published_count (sub), ==, 0);
}

static void
test_publisher_null_args (EsFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_autoptr(EsPublisher) opub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_THING, &error);
  g_autoptr(EsEvent) event = new_tick_event (1);
  EsTestTick tick = { 1, 1 };

  g_test_summary ("NULL publishers, events, data and batches are programming errors (criticals)");

  g_assert_no_error (error);

#define EXPECT_CRITICAL(call) \
  G_STMT_START { \
    g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*assertion*"); \
    g_assert_false (call); \
    g_test_assert_expected_messages (); \
  } G_STMT_END

  EXPECT_CRITICAL (es_publisher_publish (NULL, event, NULL, NULL));
  EXPECT_CRITICAL (es_publisher_publish (pub, NULL, NULL, NULL));
  EXPECT_CRITICAL (es_publisher_publish_data (NULL, &tick, sizeof tick, NULL, NULL));
  EXPECT_CRITICAL (es_publisher_publish_data (pub, NULL, sizeof tick, NULL, NULL));
  EXPECT_CRITICAL (es_publisher_publish_object (NULL, event, NULL, NULL));
  EXPECT_CRITICAL (es_publisher_publish_object (opub, NULL, NULL, NULL));
  EXPECT_CRITICAL (es_publisher_publish_batch (NULL, &event, 1, NULL, NULL, NULL));
  EXPECT_CRITICAL (es_publisher_publish_batch (pub, NULL, 1, NULL, NULL, NULL));

  /* A set error location is a programming error too. */
  error = g_error_new_literal (ES_ERROR, ES_ERROR_FAILED, "already set");
  EXPECT_CRITICAL (es_publisher_publish (pub, event, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_FAILED);
  g_clear_error (&error);

  g_test_expect_message ("eventsys", G_LOG_LEVEL_CRITICAL, "*assertion*");
  g_assert_null (es_event_system_create_publisher (NULL, ES_TEST_TYPE_TICK, NULL));
  g_test_assert_expected_messages ();

#undef EXPECT_CRITICAL

  g_assert_false (es_event_is_sealed (event));
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, 0);
}

static void
test_publisher_counters (EsFixture     *f,
                         gconstpointer  data)
{
  EsEventSystemBuilder *b = es_test_builder_new (f->impl);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  guint accepted = 0, rejected = 0;

  g_test_summary ("published and rejected counts of a publisher");

  es_event_system_builder_set_channel_capacity (b, 4);
  es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_DROP_NEWEST);
  es_fixture_replace (f, b, TRUE);
  pub = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_TICK, &error);
  g_assert_no_error (error);
  sub = es_event_system_subscribe (f->sys, ES_TEST_TYPE_TICK, &error);
  g_assert_no_error (error);

  for (int i = 0; i < 20; i++)
    {
      EsTestTick tick = { i, (guint32) i };
      g_autoptr(GError) local_error = NULL;

      if (es_publisher_publish_data (pub, &tick, sizeof tick, NULL, &local_error))
        accepted++;
      else
        {
          g_assert_true (es_error_is_backpressure (local_error));
          rejected++;
        }
    }
  g_assert_cmpuint (accepted, >=, 4);
  g_assert_cmpuint (rejected, >, 0);
  g_assert_cmpuint (accepted + rejected, ==, 20);
  g_assert_cmpuint (es_publisher_get_published_count (pub), ==, accepted);
  g_assert_cmpuint (es_publisher_get_rejected_count (pub), ==, rejected);
  g_assert_cmpint (es_publisher_get_backpressure_state (pub), ==, ES_BACKPRESSURE_STATE_DROPPING);

  /* Once there is room again the state returns to normal. */
  g_assert_cmpuint (es_test_drain (sub), ==, accepted);
  es_test_publish_tick (pub, 100);
  g_assert_cmpint (es_publisher_get_backpressure_state (pub), ==, ES_BACKPRESSURE_STATE_NORMAL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("Publisher/publish", test_publisher_publish);
  es_test_add ("Publisher/publish-take", test_publisher_publish_take);
  es_test_add ("Publisher/no-subscribers", test_publisher_no_subscribers);
  es_test_add ("Publisher/publish-data", test_publisher_publish_data);
  es_test_add ("Publisher/publish-object", test_publisher_publish_object);
  es_test_add ("Publisher/batch", test_publisher_batch);
  es_test_add ("Publisher/batch-mismatch", test_publisher_batch_mismatch);
  es_test_add ("Publisher/batch-backpressure", test_publisher_batch_backpressure);
  es_test_add ("Publisher/data-batch", test_publisher_data_batch);
  es_test_add ("Publisher/data-batch-invalid", test_publisher_data_batch_invalid);
  es_test_add ("Publisher/data-batch-backpressure", test_publisher_data_batch_backpressure);
  es_test_add ("Publisher/data-batch-threads", test_publisher_data_batch_threads);
  es_test_add ("Publisher/data-batch-producers", test_publisher_data_batch_producers);
  es_test_add ("Publisher/data-batch-wakes", test_publisher_data_batch_wakes);
  es_test_add ("Publisher/type-mismatch", test_publisher_type_mismatch);
  es_test_add ("Publisher/null-args", test_publisher_null_args);
  es_test_add ("Publisher/counters", test_publisher_counters);

  return g_test_run ();
}
