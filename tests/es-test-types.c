/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "es-test-types.h"

#include <string.h>

ES_DEFINE_EVENT_TYPE (EsTestPacket, es_test_packet)
ES_DEFINE_EVENT_TYPE (EsTestTick, es_test_tick)

void
es_test_packet_init (EsTestPacket *packet,
                     guint32       publisher,
                     guint64       counter)
{
  memset (packet, 0, sizeof *packet);
  packet->publisher = publisher;
  packet->counter = counter;
  for (guint i = 0; i < G_N_ELEMENTS (packet->payload); i++)
    packet->payload[i] = (guint8) (counter * 31 + publisher * 7 + i);
}

gboolean
es_test_packet_check (const EsTestPacket *packet)
{
  for (guint i = 0; i < G_N_ELEMENTS (packet->payload); i++)
    if (packet->payload[i] != (guint8) (packet->counter * 31 + packet->publisher * 7 + i))
      return FALSE;
  return TRUE;
}

/* --- EsTestThing --------------------------------------------------------- */

typedef struct
{
  int value;
} EsTestThingPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (EsTestThing, es_test_thing, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_VALUE,
  N_PROPS
};

static GParamSpec *thing_props[N_PROPS];

static void
es_test_thing_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EsTestThingPrivate *priv = es_test_thing_get_instance_private (ES_TEST_THING (object));

  switch (prop_id)
    {
    case PROP_VALUE:
      g_value_set_int (value, priv->value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_test_thing_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  EsTestThingPrivate *priv = es_test_thing_get_instance_private (ES_TEST_THING (object));

  switch (prop_id)
    {
    case PROP_VALUE:
      priv->value = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_test_thing_class_init (EsTestThingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = es_test_thing_get_property;
  object_class->set_property = es_test_thing_set_property;

  thing_props[PROP_VALUE] =
    g_param_spec_int ("value", NULL, NULL, G_MININT, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, thing_props);
}

static void
es_test_thing_init (EsTestThing *self)
{
}

EsTestThing *
es_test_thing_new (int value)
{
  return g_object_new (ES_TEST_TYPE_THING, "value", value, NULL);
}

int
es_test_thing_get_value (EsTestThing *self)
{
  EsTestThingPrivate *priv = es_test_thing_get_instance_private (self);
  return priv->value;
}

/* --- EsTestChildThing ---------------------------------------------------- */

struct _EsTestChildThing
{
  EsTestThing parent_instance;
};

G_DEFINE_FINAL_TYPE (EsTestChildThing, es_test_child_thing, ES_TEST_TYPE_THING)

static void
es_test_child_thing_class_init (EsTestChildThingClass *klass)
{
}

static void
es_test_child_thing_init (EsTestChildThing *self)
{
}

EsTestThing *
es_test_child_thing_new (int value)
{
  return g_object_new (ES_TEST_TYPE_CHILD_THING, "value", value, NULL);
}
