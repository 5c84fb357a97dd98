/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event-type registry: ES_DECLARE/DEFINE_EVENT_TYPE, named plain types,
 * GObject types, and which types each implementation accepts. */
#include "es-test-util.h"

#include <string.h>

/* A type defined only in this file, to check the macros on their own. */
typedef struct {
  guint16 a;
  guint64 b;
  char    c[5];
} LocalPoint;

ES_DECLARE_EVENT_TYPE (LocalPoint, local_point)
ES_DEFINE_EVENT_TYPE (LocalPoint, local_point)
#define TYPE_LOCAL_POINT (local_point_get_type ())

static void
test_type_declare_define (EsFixture     *f,
                          gconstpointer  data)
{
  LocalPoint p = { 1, G_MAXUINT64, "abcd" };
  LocalPoint *copy;

  g_test_summary ("ES_DEFINE_EVENT_TYPE registers a boxed plain-data type with its size");

  g_assert_true (G_TYPE_IS_BOXED (TYPE_LOCAL_POINT));
  g_assert_cmpstr (g_type_name (TYPE_LOCAL_POINT), ==, "LocalPoint");
  g_assert_true (local_point_get_type () == TYPE_LOCAL_POINT);
  g_assert_true (es_event_type_is_plain (TYPE_LOCAL_POINT));
  g_assert_true (es_event_type_is_supported (TYPE_LOCAL_POINT));
  g_assert_cmpuint (es_event_type_get_size (TYPE_LOCAL_POINT), ==, sizeof (LocalPoint));

  g_assert_true (es_event_type_is_plain (ES_TEST_TYPE_PACKET));
  g_assert_cmpuint (es_event_type_get_size (ES_TEST_TYPE_PACKET), ==, 64);
  g_assert_cmpuint (es_event_type_get_size (ES_TEST_TYPE_TICK), ==, sizeof (EsTestTick));

  /* The boxed copy is a plain memory copy. */
  copy = g_boxed_copy (TYPE_LOCAL_POINT, &p);
  g_assert_true (copy != &p);
  g_assert_cmpmem (copy, sizeof *copy, &p, sizeof p);
  g_boxed_free (TYPE_LOCAL_POINT, copy);
}

static void
test_type_register_plain (EsFixture     *f,
                          gconstpointer  data)
{
  GType t1, t2;
  guint i1, i2;

  g_test_summary ("es_event_type_register_plain() gives distinct types distinct dense indices");

  t1 = g_boxed_type_register_static (f->impl == ES_IMPLEMENTATION_ZERO_COPY ? "EsTestRawA_zc" : "EsTestRawA_st",
                                     (GBoxedCopyFunc) g_bytes_ref, (GBoxedFreeFunc) g_bytes_unref);
  t2 = g_boxed_type_register_static (f->impl == ES_IMPLEMENTATION_ZERO_COPY ? "EsTestRawB_zc" : "EsTestRawB_st",
                                     (GBoxedCopyFunc) g_bytes_ref, (GBoxedFreeFunc) g_bytes_unref);
  i1 = es_event_type_register_plain (t1, 16, 8);
  i2 = es_event_type_register_plain (t2, 32, 8);
  g_assert_cmpuint (i1, !=, i2);
  g_assert_true (es_event_type_is_plain (t1));
  g_assert_cmpuint (es_event_type_get_size (t1), ==, 16);
  g_assert_cmpuint (es_event_type_get_size (t2), ==, 32);
}

static void
test_type_register_plain_named (EsFixture     *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("EsTestNamed%s", es_test_impl_name (f->impl));
  g_autoptr(EsPublisher) pub = NULL;
  g_autoptr(EsSubscriber) sub = NULL;
  g_autoptr(EsEvent) event = NULL;
  guint8 raw[24];
  guint8 out[24];
  GType type;

  g_test_summary ("es_event_type_register_plain_named() creates a usable plain type (the GI path)");

  type = es_event_type_register_plain_named (name, sizeof raw);
  g_assert_true (type != G_TYPE_INVALID);
  g_assert_cmpstr (g_type_name (type), ==, name);
  g_assert_true (g_type_from_name (name) == type);
  g_assert_true (es_event_type_is_plain (type));
  g_assert_true (es_event_type_is_supported (type));
  g_assert_cmpuint (es_event_type_get_size (type), ==, sizeof raw);

  /* Registering the same name and size again (a module reloaded by a
   * binding) yields the same type. */
  g_assert_true (es_event_type_register_plain_named (name, sizeof raw) == type);

  /* And it carries data through the system. */
  pub = es_event_system_create_publisher (f->sys, type, &error);
  g_assert_no_error (error);
  sub = es_event_system_subscribe (f->sys, type, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < sizeof raw; i++)
    raw[i] = (guint8) (i * 3);
  g_assert_true (es_publisher_publish_data (pub, raw, sizeof raw, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (es_subscriber_receive_data (sub, out, sizeof out, ES_TEST_HANG_SECONDS * G_TIME_SPAN_SECOND,
                                             NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, sizeof out, raw, sizeof raw);
}

static void
test_type_gobject (EsFixture     *f,
                   gconstpointer  data)
{
  g_test_summary ("GObject subclasses are supported event types, but not plain");

  g_assert_true (es_event_type_is_supported (ES_TEST_TYPE_THING));
  g_assert_true (es_event_type_is_supported (ES_TEST_TYPE_CHILD_THING));
  g_assert_false (es_event_type_is_plain (ES_TEST_TYPE_THING));
  g_assert_false (es_event_type_is_plain (ES_TEST_TYPE_CHILD_THING));
}

static void
test_type_unsupported (EsFixture     *f,
                       gconstpointer  data)
{
  g_test_summary ("fundamental non-object types and G_TYPE_INVALID are not event types");

  g_assert_false (es_event_type_is_supported (G_TYPE_INT));
  g_assert_false (es_event_type_is_supported (G_TYPE_STRING));
  g_assert_false (es_event_type_is_supported (G_TYPE_INVALID));
  g_assert_false (es_event_type_is_plain (G_TYPE_INT));
  g_assert_false (es_event_type_is_plain (ES_TEST_TYPE_THING));
  g_assert_cmpuint (es_event_type_get_size (ES_TEST_TYPE_THING), ==, 0);
}

static void
test_type_system_rejects (EsFixture     *f,
                          gconstpointer  data)
{
  g_test_summary ("publishers and subscribers of unsupported types fail with ES_ERROR_UNSUPPORTED_TYPE");

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, G_TYPE_INT, &error);

    g_assert_error (error, ES_ERROR, ES_ERROR_UNSUPPORTED_TYPE);
    g_assert_null (pub);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, G_TYPE_INT, &error);

    g_assert_error (error, ES_ERROR, ES_ERROR_UNSUPPORTED_TYPE);
    g_assert_null (sub);
  }

  /* Every implementation carries plain types and GObjects. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(EsPublisher) p1 = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_PACKET, &error);
    g_autoptr(EsPublisher) p2 = es_event_system_create_publisher (f->sys, ES_TEST_TYPE_THING, &error);

    g_assert_no_error (error);
    g_assert_nonnull (p1);
    g_assert_nonnull (p2);
    g_assert_true (es_publisher_get_event_type (p1) == ES_TEST_TYPE_PACKET);
    g_assert_true (es_publisher_get_event_type (p2) == ES_TEST_TYPE_THING);
    g_assert_true (es_publisher_get_system (p1) == f->sys);
  }

  /* GBytes and GVariant payloads are zero-copy only. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(EsPublisher) pub = es_event_system_create_publisher (f->sys, G_TYPE_BYTES, &error);

    if (f->impl == ES_IMPLEMENTATION_ZERO_COPY)
      {
        g_assert_no_error (error);
        g_assert_nonnull (pub);
      }
    else
      {
        g_assert_error (error, ES_ERROR, ES_ERROR_UNSUPPORTED_TYPE);
        g_assert_null (pub);
      }
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(EsSubscriber) sub = es_event_system_subscribe (f->sys, G_TYPE_VARIANT, &error);

    if (f->impl == ES_IMPLEMENTATION_ZERO_COPY)
      {
        g_assert_no_error (error);
        g_assert_nonnull (sub);
      }
    else
      {
        g_assert_error (error, ES_ERROR, ES_ERROR_UNSUPPORTED_TYPE);
        g_assert_null (sub);
      }
  }
}

static void
test_type_bytes_variant_flow (EsFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPublisher) bpub = NULL;
  g_autoptr(EsSubscriber) bsub = NULL;
  g_autoptr(EsPublisher) vpub = NULL;
  g_autoptr(EsSubscriber) vsub = NULL;
  static const char payload[] = "media buffer bytes";
  g_autoptr(GBytes) bytes = g_bytes_new_static (payload, sizeof payload);
  g_autoptr(EsEvent) bev = es_event_new_bytes (G_TYPE_BYTES, bytes);
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_string ("v"));
  g_autoptr(EsEvent) vev = es_event_new_variant (value);

  g_test_summary ("zero-copy carries GBytes without copying and GVariant payloads");

  bpub = es_event_system_create_publisher (f->sys, G_TYPE_BYTES, &error);
  g_assert_no_error (error);
  bsub = es_event_system_subscribe (f->sys, G_TYPE_BYTES, &error);
  g_assert_no_error (error);
  vpub = es_event_system_create_publisher (f->sys, G_TYPE_VARIANT, &error);
  g_assert_no_error (error);
  vsub = es_event_system_subscribe (f->sys, G_TYPE_VARIANT, &error);
  g_assert_no_error (error);

  g_assert_true (es_publisher_publish (bpub, bev, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (es_publisher_publish (vpub, vev, NULL, &error));
  g_assert_no_error (error);

  {
    g_autoptr(EsEvent) got = es_test_receive (bsub);

    g_assert_true (g_bytes_get_data (es_event_get_bytes (got), NULL) == (gconstpointer) payload);
  }
  {
    g_autoptr(EsEvent) got = es_test_receive (vsub);

    g_assert_cmpstr (g_variant_get_string (es_event_get_variant (got), NULL), ==, "v");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  es_test_add ("EventType/declare-define", test_type_declare_define);
  es_test_add ("EventType/register-plain", test_type_register_plain);
  es_test_add ("EventType/register-plain-named", test_type_register_plain_named);
  es_test_add ("EventType/gobject", test_type_gobject);
  es_test_add ("EventType/unsupported", test_type_unsupported);
  es_test_add ("EventType/system-rejects", test_type_system_rejects);
  es_test_add_one (ES_IMPLEMENTATION_ZERO_COPY, "EventType/bytes-variant-flow",
                   test_type_bytes_variant_flow);

  return g_test_run ();
}
