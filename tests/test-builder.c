/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EsEventSystemBuilder: defaults, setters, properties, validation, and the
 * implementation class it builds. */
#include "es-test-util.h"

#include <string.h>

/* Reads an integer-like, enum or boolean property as gint64, checking that
 * it exists and is readable, whatever its exact integer type. */
static gint64
get_int_prop (gpointer    object,
              const char *name)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);
  g_auto(GValue) value = G_VALUE_INIT;
  g_auto(GValue) as_int = G_VALUE_INIT;

  if (pspec == NULL)
    g_error ("%s has no property \"%s\"", G_OBJECT_TYPE_NAME (object), name);
  g_assert_true (pspec->flags & G_PARAM_READABLE);

  g_value_init (&value, pspec->value_type);
  g_object_get_property (G_OBJECT (object), name, &value);

  if (G_VALUE_HOLDS_BOOLEAN (&value))
    return g_value_get_boolean (&value);
  if (G_VALUE_HOLDS_ENUM (&value))
    return g_value_get_enum (&value);

  g_value_init (&as_int, G_TYPE_INT64);
  if (!g_value_transform (&value, &as_int))
    g_error ("property \"%s\" of type %s is not an integer", name, g_type_name (pspec->value_type));
  return g_value_get_int64 (&as_int);
}

/* Sets an integer-like, enum or boolean property from a gint64. */
static void
set_int_prop (gpointer    object,
              const char *name,
              gint64      v)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);
  g_auto(GValue) value = G_VALUE_INIT;
  g_auto(GValue) from = G_VALUE_INIT;

  if (pspec == NULL)
    g_error ("%s has no property \"%s\"", G_OBJECT_TYPE_NAME (object), name);
  g_assert_true (pspec->flags & G_PARAM_WRITABLE);

  g_value_init (&value, pspec->value_type);
  if (G_VALUE_HOLDS_BOOLEAN (&value))
    g_value_set_boolean (&value, v != 0);
  else if (G_VALUE_HOLDS_ENUM (&value))
    g_value_set_enum (&value, (gint) v);
  else
    {
      g_value_init (&from, G_TYPE_INT64);
      g_value_set_int64 (&from, v);
      if (!g_value_transform (&from, &value))
        g_error ("property \"%s\" of type %s is not an integer", name, g_type_name (pspec->value_type));
    }
  g_object_set_property (G_OBJECT (object), name, &value);
}

typedef struct {
  const char *name;
  gint64      default_value;
  gint64      other_value;
} IntOption;

/* Every integer-like option: its default (from the design notes) and a
 * valid non-default value. "implementation" is handled separately. */
static const IntOption int_options[] = {
  { "channel-capacity",           10000,                      256 },
  { "max-concurrent-dispatches",  1000,                       3 },
  { "enable-priority",            TRUE,                       FALSE },
  { "default-timeout",            G_TIME_SPAN_SECOND,         250 * G_TIME_SPAN_MILLISECOND },
  { "batch-size",                 100,                        7 },
  { "shard-count",                8,                          4 },
  { "global-buffer-size",         0,                          1 << 20 },
  { "backpressure-strategy",      ES_BACKPRESSURE_BLOCK,      ES_BACKPRESSURE_DROP_OLDEST },
  { "enable-metrics",             FALSE,                      TRUE },
  { "metrics-reporting-interval", 5 * G_TIME_SPAN_SECOND,     2 * G_TIME_SPAN_SECOND },
};

static EsEventSystem *
build_ok (EsEventSystemBuilder *builder)
{
  g_autoptr(GError) error = NULL;
  EsEventSystem *sys = es_event_system_builder_build (builder, &error);

  g_assert_no_error (error);
  g_assert_nonnull (sys);
  return sys;
}

static void
assert_build_fails (EsEventSystemBuilder *builder,
                    const char           *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsEventSystem) sys = NULL;

  g_test_message ("invalid: %s", what);
  sys = es_event_system_builder_build (builder, &error);
  g_assert_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT);
  g_assert_null (sys);
  /* A clear message, not an empty one. */
  g_assert_cmpuint (strlen (error->message), >, 0);
}

static void
test_builder_defaults (EsFixture     *f,
                       gconstpointer  data)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  g_autoptr(EsEventSystem) sys = NULL;

  g_test_summary ("a new builder has the documented defaults, and so has what it builds");

  g_assert_cmpint (get_int_prop (builder, "implementation"), ==, ES_IMPLEMENTATION_ZERO_COPY);
  for (gsize i = 0; i < G_N_ELEMENTS (int_options); i++)
    {
      g_test_message ("default of %s", int_options[i].name);
      g_assert_cmpint (get_int_prop (builder, int_options[i].name), ==, int_options[i].default_value);
    }

  sys = build_ok (builder);
  g_assert_true (ES_IS_ZERO_COPY_EVENT_SYSTEM (sys));
  g_assert_cmpint (es_event_system_get_implementation (sys), ==, ES_IMPLEMENTATION_ZERO_COPY);
  g_assert_cmpint (es_event_system_get_state (sys), ==, ES_EVENT_SYSTEM_STATE_CREATED);
  g_assert_cmpuint (es_event_system_get_channel_capacity (sys), ==, 10000);
  g_assert_cmpuint (es_event_system_get_batch_size (sys), ==, 100);
  g_assert_cmpint (es_event_system_get_default_timeout (sys), ==, G_TIME_SPAN_SECOND);
  g_assert_cmpint (es_event_system_get_backpressure_strategy (sys), ==, ES_BACKPRESSURE_BLOCK);
  g_assert_cmpuint (es_event_system_get_subscriber_count (sys), ==, 0);
  g_assert_cmpuint (es_zero_copy_event_system_get_shard_count (ES_ZERO_COPY_EVENT_SYSTEM (sys)), ==, 8);
  g_assert_cmpuint (es_buffer_manager_get_limit_bytes (es_event_system_get_buffer_manager (sys)), ==, 0);

  g_assert_cmpint (get_int_prop (sys, "implementation"), ==, ES_IMPLEMENTATION_ZERO_COPY);
  for (gsize i = 0; i < G_N_ELEMENTS (int_options); i++)
    {
      g_test_message ("system default of %s", int_options[i].name);
      g_assert_cmpint (get_int_prop (sys, int_options[i].name), ==, int_options[i].default_value);
    }
}

static void
test_builder_setters (EsFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(EsEventSystemBuilder) b = es_event_system_builder_new ();
  g_autoptr(EsEventSystem) sys = NULL;
  g_autofree char *name = g_strdup_printf ("builder-setters-%s", es_test_impl_name (f->impl));
  g_autofree char *got_name = NULL;

  g_test_summary ("the C setters chain, and the built system reports the values via getters and properties");

  g_assert_true (es_event_system_builder_set_implementation (b, f->impl) == b);
  g_assert_true (es_event_system_builder_set_name (b, name) == b);
  g_assert_true (es_event_system_builder_set_channel_capacity (b, 256) == b);
  g_assert_true (es_event_system_builder_set_max_concurrent_dispatches (b, 3) == b);
  g_assert_true (es_event_system_builder_set_enable_priority (b, FALSE) == b);
  g_assert_true (es_event_system_builder_set_default_timeout (b, 250 * G_TIME_SPAN_MILLISECOND) == b);
  g_assert_true (es_event_system_builder_set_batch_size (b, 7) == b);
  g_assert_true (es_event_system_builder_set_shard_count (b, 4) == b);
  g_assert_true (es_event_system_builder_set_global_buffer_size (b, 1 << 20) == b);
  g_assert_true (es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_DROP_OLDEST) == b);
  g_assert_true (es_event_system_builder_set_enable_metrics (b, TRUE) == b);
  g_assert_true (es_event_system_builder_set_metrics_reporting_interval (b, 2 * G_TIME_SPAN_SECOND) == b);

  /* The setters are visible as properties on the builder. */
  g_assert_cmpint (get_int_prop (b, "implementation"), ==, f->impl);
  for (gsize i = 0; i < G_N_ELEMENTS (int_options); i++)
    g_assert_cmpint (get_int_prop (b, int_options[i].name), ==, int_options[i].other_value);
  g_object_get (b, "name", &got_name, NULL);
  g_assert_cmpstr (got_name, ==, name);
  g_clear_pointer (&got_name, g_free);

  /* Chained form, as in the class documentation. */
  {
    g_autoptr(EsEventSystemBuilder) chained = es_event_system_builder_new ();
    g_autoptr(EsEventSystem) other =
      es_event_system_builder_build (
        es_event_system_builder_set_batch_size (
          es_event_system_builder_set_channel_capacity (
            es_event_system_builder_set_implementation (chained, f->impl), 64), 5), NULL);

    g_assert_nonnull (other);
    g_assert_cmpuint (es_event_system_get_channel_capacity (other), ==, 64);
    g_assert_cmpuint (es_event_system_get_batch_size (other), ==, 5);
  }

  sys = build_ok (b);
  g_assert_cmpint (es_event_system_get_implementation (sys), ==, f->impl);
  g_assert_cmpstr (es_event_system_get_name (sys), ==, name);
  g_assert_cmpuint (es_event_system_get_channel_capacity (sys), ==, 256);
  g_assert_cmpuint (es_event_system_get_batch_size (sys), ==, 7);
  g_assert_cmpint (es_event_system_get_default_timeout (sys), ==, 250 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (es_event_system_get_backpressure_strategy (sys), ==, ES_BACKPRESSURE_DROP_OLDEST);
  g_assert_cmpuint (es_buffer_manager_get_limit_bytes (es_event_system_get_buffer_manager (sys)), ==, 1 << 20);
  if (ES_IS_ZERO_COPY_EVENT_SYSTEM (sys))
    g_assert_cmpuint (es_zero_copy_event_system_get_shard_count (ES_ZERO_COPY_EVENT_SYSTEM (sys)), ==, 4);

  g_assert_cmpint (get_int_prop (sys, "implementation"), ==, f->impl);
  for (gsize i = 0; i < G_N_ELEMENTS (int_options); i++)
    {
      g_test_message ("system property %s", int_options[i].name);
      g_assert_cmpint (get_int_prop (sys, int_options[i].name), ==, int_options[i].other_value);
    }
  g_object_get (sys, "name", &got_name, NULL);
  g_assert_cmpstr (got_name, ==, name);
}

static void
test_builder_properties (EsFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(EsEventSystemBuilder) b = es_event_system_builder_new ();
  g_autoptr(EsEventSystem) sys = NULL;

  g_test_summary ("every option is settable as a GObject property on the builder");

  set_int_prop (b, "implementation", f->impl);
  g_object_set (b, "name", NULL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (int_options); i++)
    set_int_prop (b, int_options[i].name, int_options[i].other_value);
  for (gsize i = 0; i < G_N_ELEMENTS (int_options); i++)
    g_assert_cmpint (get_int_prop (b, int_options[i].name), ==, int_options[i].other_value);

  /* The same through g_object_new(), as bindings do. */
  {
    g_autoptr(EsEventSystemBuilder) b2 =
      g_object_new (ES_TYPE_EVENT_SYSTEM_BUILDER,
                    "implementation", f->impl,
                    "enable-priority", FALSE,
                    NULL);
    g_autoptr(EsEventSystem) s2 = build_ok (b2);

    g_assert_cmpint (es_event_system_get_implementation (s2), ==, f->impl);
    g_assert_cmpint (get_int_prop (s2, "enable-priority"), ==, FALSE);
  }

  sys = build_ok (b);
  g_assert_cmpint (es_event_system_get_implementation (sys), ==, f->impl);
  for (gsize i = 0; i < G_N_ELEMENTS (int_options); i++)
    g_assert_cmpint (get_int_prop (sys, int_options[i].name), ==, int_options[i].other_value);
}

static void
test_builder_implementation (EsFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(EsEventSystemBuilder) b = es_test_builder_new (f->impl);
  g_autoptr(EsEventSystem) sys = build_ok (b);
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;

  g_test_summary ("build() returns the implementation's final subclass, and so do its factories");

  g_assert_true (ES_IS_EVENT_SYSTEM (sys));
  if (f->impl == ES_IMPLEMENTATION_STATIC_FAST_PATH)
    {
      g_assert_true (ES_IS_STATIC_EVENT_SYSTEM (sys));
      g_assert_false (ES_IS_ZERO_COPY_EVENT_SYSTEM (sys));
    }
  else
    {
      g_assert_true (ES_IS_ZERO_COPY_EVENT_SYSTEM (sys));
      g_assert_false (ES_IS_STATIC_EVENT_SYSTEM (sys));
    }
  g_assert_true (G_TYPE_IS_ABSTRACT (ES_TYPE_EVENT_SYSTEM));
  g_assert_true (G_TYPE_IS_ABSTRACT (ES_TYPE_PUBLISHER));
  g_assert_true (G_TYPE_IS_ABSTRACT (ES_TYPE_SUBSCRIBER));

  pub = es_event_system_create_publisher (sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  sub = es_event_system_subscribe (sys, ES_TEST_TYPE_PACKET, &error);
  g_assert_no_error (error);
  if (f->impl == ES_IMPLEMENTATION_STATIC_FAST_PATH)
    {
      g_assert_true (ES_IS_STATIC_PUBLISHER (pub));
      g_assert_true (ES_IS_STATIC_SUBSCRIBER (sub));
    }
  else
    {
      g_assert_true (ES_IS_ZERO_COPY_PUBLISHER (pub));
      g_assert_true (ES_IS_ZERO_COPY_SUBSCRIBER (sub));
    }
  g_assert_true (es_subscriber_get_system (sub) == sys);
  g_assert_true (es_subscriber_get_event_type (sub) == ES_TEST_TYPE_PACKET);
  g_assert_cmpuint (es_event_system_get_subscriber_count (sys), ==, 1);
}

static EsBackpressureAction
reject_all (EsPublisher  *publisher,
            EsSubscriber *subscriber,
            EsEvent      *event,
            gdouble       utilization,
            gpointer      user_data)
{
  return ES_BACKPRESSURE_ACTION_DROP_NEWEST;
}

static void
count_destroy (gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

static void
test_builder_validation (EsFixture     *f,
                         gconstpointer  data)
{
  g_test_summary ("build() rejects nonsense options with ES_ERROR_INVALID_ARGUMENT");

#define INVALID(setter_call, what) \
  G_STMT_START { \
    g_autoptr(EsEventSystemBuilder) b = es_test_builder_new (f->impl); \
    setter_call; \
    assert_build_fails (b, what); \
  } G_STMT_END

  INVALID (es_event_system_builder_set_channel_capacity (b, 0), "channel-capacity 0");
  INVALID (es_event_system_builder_set_batch_size (b, 0), "batch-size 0");
  INVALID (es_event_system_builder_set_shard_count (b, 0), "shard-count 0");
  INVALID (es_event_system_builder_set_max_concurrent_dispatches (b, 0), "max-concurrent-dispatches 0");
  INVALID (es_event_system_builder_set_metrics_reporting_interval (b, 0), "metrics-reporting-interval 0");
  INVALID (es_event_system_builder_set_metrics_reporting_interval (b, -G_TIME_SPAN_SECOND),
           "metrics-reporting-interval negative");
  INVALID (es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_CUSTOM),
           "CUSTOM strategy without a backpressure func");

#undef INVALID

  /* CUSTOM with a function is fine; the destroy notify runs when the
   * builder and the system are gone. */
  {
    g_autoptr(EsEventSystemBuilder) b = es_test_builder_new (f->impl);
    g_autoptr(EsEventSystem) sys = NULL;
    gint destroyed = 0;

    es_event_system_builder_set_backpressure_strategy (b, ES_BACKPRESSURE_CUSTOM);
    es_event_system_builder_set_backpressure_func (b, reject_all, &destroyed, count_destroy);
    sys = build_ok (b);
    g_assert_cmpint (es_event_system_get_backpressure_strategy (sys), ==, ES_BACKPRESSURE_CUSTOM);
    g_clear_object (&sys);
    g_clear_object (&b);
    g_assert_cmpint (g_atomic_int_get (&destroyed), ==, 1);
  }

  /* A failed build leaves the builder usable. */
  {
    g_autoptr(EsEventSystemBuilder) b = es_test_builder_new (f->impl);
    g_autoptr(EsEventSystem) sys = NULL;

    es_event_system_builder_set_channel_capacity (b, 0);
    assert_build_fails (b, "channel-capacity 0 (retry)");
    es_event_system_builder_set_channel_capacity (b, 8);
    sys = build_ok (b);
    g_assert_cmpuint (es_event_system_get_channel_capacity (sys), ==, 8);
  }
}

static void
test_builder_reuse (EsFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(EsEventSystemBuilder) b = es_test_builder_new (f->impl);
  g_autoptr(EsEventSystem) s1 = build_ok (b);
  g_autoptr(EsEventSystem) s2 = build_ok (b);

  g_test_summary ("one builder builds independent systems");

  g_assert_true (s1 != s2);
  g_assert_true (es_event_system_start (s1, NULL));
  g_assert_cmpint (es_event_system_get_state (s1), ==, ES_EVENT_SYSTEM_STATE_RUNNING);
  g_assert_cmpint (es_event_system_get_state (s2), ==, ES_EVENT_SYSTEM_STATE_CREATED);
  g_assert_true (es_event_system_shutdown (s1, NULL));
}

static void
test_builder_name_lookup (EsFixture     *f,
                          gconstpointer  data)
{
  g_autofree char *name = g_strdup_printf ("builder-lookup-%s", es_test_impl_name (f->impl));
  g_autoptr(EsEventSystemBuilder) b = es_test_builder_new (f->impl);
  EsEventSystem *sys;
  gpointer weak;

  g_test_summary ("a named system is found by es_event_system_lookup() while it is alive");

  es_event_system_builder_set_name (b, name);
  sys = build_ok (b);
  weak = sys;
  g_object_add_weak_pointer (G_OBJECT (sys), &weak);

  {
    g_autoptr(EsEventSystem) found = es_event_system_lookup (name);

    g_assert_true (found == sys);
  }
  {
    g_autoptr(EsEventSystem) missing = es_event_system_lookup ("no-such-eventsys-system");

    g_assert_null (missing);
  }

  /* The name registry does not keep the system alive. */
  g_object_unref (sys);
  g_assert_null (weak);
  {
    g_autoptr(EsEventSystem) gone = es_event_system_lookup (name);

    g_assert_null (gone);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add_bare ("Builder/defaults", test_builder_defaults);
  es_test_add_bare ("Builder/setters", test_builder_setters);
  es_test_add_bare ("Builder/properties", test_builder_properties);
  es_test_add_bare ("Builder/implementation", test_builder_implementation);
  es_test_add_bare ("Builder/validation", test_builder_validation);
  es_test_add_bare ("Builder/reuse", test_builder_reuse);
  es_test_add_bare ("Builder/name-lookup", test_builder_name_lookup);

  return g_test_run ();
}
