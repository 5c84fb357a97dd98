/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EsPublisher: publish, publish_data, publish_object, publish_batch, type
 * checks, argument checks and counters. */
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
  es_test_add ("Publisher/no-subscribers", test_publisher_no_subscribers);
  es_test_add ("Publisher/publish-data", test_publisher_publish_data);
  es_test_add ("Publisher/publish-object", test_publisher_publish_object);
  es_test_add ("Publisher/batch", test_publisher_batch);
  es_test_add ("Publisher/batch-mismatch", test_publisher_batch_mismatch);
  es_test_add ("Publisher/batch-backpressure", test_publisher_batch_backpressure);
  es_test_add ("Publisher/type-mismatch", test_publisher_type_mismatch);
  es_test_add ("Publisher/null-args", test_publisher_null_args);
  es_test_add ("Publisher/counters", test_publisher_counters);

  return g_test_run ();
}
