/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Event types shared by the gtest suites. */
#pragma once

#if __has_include(<eventsys/eventsys.h>)
# include <eventsys/eventsys.h>
#else
# include <eventsys.h>
#endif

G_BEGIN_DECLS

/* A 64-byte plain-data event: who published it, a per-publisher counter and
 * a payload pattern derived from both, so that a torn or misplaced copy is
 * detected by es_test_packet_check(). */
typedef struct {
  guint32 publisher;
  guint32 flags;
  guint64 counter;
  guint8  payload[48];
} EsTestPacket;

G_STATIC_ASSERT (sizeof (EsTestPacket) == 64);

ES_DECLARE_EVENT_TYPE (EsTestPacket, es_test_packet)
#define ES_TEST_TYPE_PACKET (es_test_packet_get_type ())

/* A small second plain-data type, for type-mismatch and multi-type tests. */
typedef struct {
  gint32  value;
  guint32 seq;
} EsTestTick;

ES_DECLARE_EVENT_TYPE (EsTestTick, es_test_tick)
#define ES_TEST_TYPE_TICK (es_test_tick_get_type ())

void     es_test_packet_init  (EsTestPacket       *packet,
                               guint32             publisher,
                               guint64             counter);
gboolean es_test_packet_check (const EsTestPacket *packet);

/* GObject event types: a derivable parent with an int "value" property and a
 * final child class, for object payloads and subtype matching. */
#define ES_TEST_TYPE_THING (es_test_thing_get_type ())
G_DECLARE_DERIVABLE_TYPE (EsTestThing, es_test_thing, ES_TEST, THING, GObject)

struct _EsTestThingClass
{
  GObjectClass parent_class;
};

#define ES_TEST_TYPE_CHILD_THING (es_test_child_thing_get_type ())
G_DECLARE_FINAL_TYPE (EsTestChildThing, es_test_child_thing, ES_TEST, CHILD_THING, EsTestThing)

EsTestThing *es_test_thing_new        (int          value);
EsTestThing *es_test_child_thing_new  (int          value);
int          es_test_thing_get_value  (EsTestThing *self);

G_END_DECLS
