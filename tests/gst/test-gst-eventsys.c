/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tests of the "eventsys" GStreamer plugin (examples/gst): eventsyssink and
 * eventsyssrc in real pipelines of this process, meeting on named event
 * systems. The plugin is found through GST_PLUGIN_PATH (set by meson).
 */

#include <gst/gst.h>
#include <eventsys/eventsys.h>
#include <string.h>

#define WAIT_TIMEOUT (10 * GST_SECOND)

/* --- Helpers ---------------------------------------------------------------- */

static EsEventSystem *
new_system (const char             *name,
            guint                   capacity,
            EsBackpressureStrategy  strategy)
{
  g_autoptr(EsEventSystemBuilder) builder = es_event_system_builder_new ();
  g_autoptr(GError) error = NULL;
  EsEventSystem *system;

  es_event_system_builder_set_implementation (builder, ES_IMPLEMENTATION_ZERO_COPY);
  es_event_system_builder_set_name (builder, name);
  es_event_system_builder_set_channel_capacity (builder, capacity);
  es_event_system_builder_set_backpressure_strategy (builder, strategy);
  system = es_event_system_builder_build (builder, &error);
  g_assert_no_error (error);
  es_event_system_start (system, &error);
  g_assert_no_error (error);
  return system;
}

static GstElement *
launch (const char *description)
{
  g_autoptr(GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);

  g_assert_no_error (error);
  g_assert_nonnull (pipeline);
  return pipeline;
}

/* Waits for EOS (or fails on an error message). */
static void
wait_for_eos (GstElement *pipeline)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr(GstMessage) msg =
    gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  g_assert_nonnull (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *debug = NULL;

      gst_message_parse_error (msg, &error, &debug);
      g_error ("%s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error->message, debug);
    }
}

static void
set_state_sync (GstElement *pipeline,
                GstState    state)
{
  GstStateChangeReturn ret = gst_element_set_state (pipeline, state);

  g_assert_cmpint (ret, !=, GST_STATE_CHANGE_FAILURE);
  ret = gst_element_get_state (pipeline, NULL, NULL, WAIT_TIMEOUT);
  g_assert_cmpint (ret, !=, GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (ret, !=, GST_STATE_CHANGE_ASYNC);
}

/* A pipeline with a live source reaches PLAYING only with its first buffer:
 * do not wait for it. */
static void
play_live (GstElement *pipeline)
{
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
}

static guint64
get_uint64 (GstElement *bin,
            const char *element,
            const char *property)
{
  g_autoptr(GstElement) e = gst_bin_get_by_name (GST_BIN (bin), element);
  guint64 value = 0;

  g_assert_nonnull (e);
  g_object_get (e, property, &value, NULL);
  return value;
}

/* What a pad probe or a fakesink handoff saw of each buffer. */
typedef struct {
  gconstpointer data;
  gsize         size;
  guint32       checksum;
  gboolean      discont;
} Seen;

typedef struct {
  GMutex  lock;
  GCond   cond;
  GArray *seen;   /* of Seen */
} Recorder;

static void
recorder_init (Recorder *r)
{
  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  r->seen = g_array_new (FALSE, TRUE, sizeof (Seen));
}

static void
recorder_clear (Recorder *r)
{
  g_array_unref (r->seen);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
}

static guint32
checksum (const guint8 *data,
          gsize         size)
{
  guint32 h = 2166136261u;   /* FNV-1a */

  for (gsize i = 0; i < size; i++)
    h = (h ^ data[i]) * 16777619u;
  return h;
}

static void
recorder_add (Recorder  *r,
              GstBuffer *buffer)
{
  GstMapInfo map;
  Seen seen = { 0 };

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  seen.data = map.data;
  seen.size = map.size;
  seen.checksum = checksum (map.data, map.size);
  seen.discont = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  gst_buffer_unmap (buffer, &map);

  g_mutex_lock (&r->lock);
  g_array_append_val (r->seen, seen);
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
}

static gboolean
recorder_wait (Recorder *r,
               guint     n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT / GST_USECOND;
  gboolean ok = TRUE;

  g_mutex_lock (&r->lock);
  while (r->seen->len < n && ok)
    ok = g_cond_wait_until (&r->cond, &r->lock, deadline);
  ok = r->seen->len >= n;
  g_mutex_unlock (&r->lock);
  return ok;
}

static GstPadProbeReturn
record_probe (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  recorder_add (user_data, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static void
record_handoff (GstElement *fakesink,
                GstBuffer  *buffer,
                GstPad     *pad,
                gpointer    user_data)
{
  recorder_add (user_data, buffer);
}

static void
record_sink_input (GstElement *pipeline,
                   const char *name,
                   Recorder   *r)
{
  g_autoptr(GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
  g_autoptr(GstPad) pad = gst_element_get_static_pad (sink, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, record_probe, r, NULL);
}

static void
record_fakesink (GstElement *pipeline,
                 const char *name,
                 Recorder   *r)
{
  g_autoptr(GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline), name);

  g_object_set (sink, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (record_handoff), r);
}

/* --- Tests -------------------------------------------------------------------- */

static void
test_elements_registered (void)
{
  g_autoptr(GstElementFactory) sink = gst_element_factory_find ("eventsyssink");
  g_autoptr(GstElementFactory) src = gst_element_factory_find ("eventsyssrc");
  g_autoptr(GstPlugin) plugin = gst_registry_find_plugin (gst_registry_get (), "eventsys");

  g_test_summary ("the eventsys plugin and both elements are found through GST_PLUGIN_PATH");
  g_assert_nonnull (plugin);
  g_assert_nonnull (sink);
  g_assert_nonnull (src);
}

static void
test_roundtrip_zero_copy (void)
{
  g_autoptr(EsEventSystem) system = new_system ("gst-test-roundtrip", 1000, ES_BACKPRESSURE_BLOCK);
  g_autoptr(GstElement) receiver = launch ("eventsyssrc name=src system-name=gst-test-roundtrip "
                                           "! fakesink name=out sync=false");
  g_autoptr(GstElement) sender = launch ("videotestsrc num-buffers=50 "
                                         "! eventsyssink name=sink system-name=gst-test-roundtrip");
  g_autoptr(GError) error = NULL;
  Recorder sent, received;

  g_test_summary ("videotestsrc num-buffers=50 ! eventsyssink and eventsyssrc ! fakesink in the "
                  "same process: all 50 buffers arrive, in order, with the same data pointers "
                  "and contents (no copy); EOS once the system is shut down");

  recorder_init (&sent);
  recorder_init (&received);
  record_sink_input (sender, "sink", &sent);
  record_fakesink (receiver, "out", &received);

  /* The receiver subscribes when it starts, before anything is published. */
  play_live (receiver);
  g_assert_cmpuint (es_event_system_get_subscriber_count (system), ==, 1);

  set_state_sync (sender, GST_STATE_PLAYING);
  wait_for_eos (sender);
  g_assert_cmpuint (get_uint64 (sender, "sink", "published"), ==, 50);
  g_assert_cmpuint (sent.seen->len, ==, 50);

  g_assert_true (recorder_wait (&received, 50));

  /* Shutting the system down closes the subscription: eventsyssrc sends EOS. */
  es_event_system_shutdown (system, &error);
  g_assert_no_error (error);
  wait_for_eos (receiver);
  g_assert_cmpuint (get_uint64 (receiver, "src", "received"), ==, 50);
  g_assert_cmpuint (received.seen->len, ==, 50);

  for (guint i = 0; i < 50; i++)
    {
      const Seen *a = &g_array_index (sent.seen, Seen, i);
      const Seen *b = &g_array_index (received.seen, Seen, i);

      g_assert_true (a->data == b->data);
      g_assert_cmpuint (a->size, ==, b->size);
      g_assert_cmpuint (a->size, >, 0);
      g_assert_cmpuint (a->checksum, ==, b->checksum);
      /* GstBaseSrc flags the first buffer after start; no other. */
      g_assert_cmpint (b->discont, ==, i == 0);
    }

  set_state_sync (sender, GST_STATE_NULL);
  set_state_sync (receiver, GST_STATE_NULL);
  recorder_clear (&sent);
  recorder_clear (&received);
}

static void
test_default_system (void)
{
  g_autoptr(GstElement) receiver = launch ("eventsyssrc name=src event-type=GBytes ! fakesink name=out sync=false");
  g_autoptr(GstElement) sender = launch ("fakesrc num-buffers=20 sizetype=fixed sizemax=100 filltype=pattern-span "
                                         "! eventsyssink name=sink event-type=GBytes sync=false");
  Recorder received;

  g_test_summary ("without system-name both elements use es_event_system_get_default(); "
                  "event-type selects the type (GBytes here)");

  recorder_init (&received);
  record_fakesink (receiver, "out", &received);
  play_live (receiver);
  set_state_sync (sender, GST_STATE_PLAYING);
  wait_for_eos (sender);
  g_assert_true (recorder_wait (&received, 20));
  for (guint i = 0; i < 20; i++)
    g_assert_cmpuint (g_array_index (received.seen, Seen, i).size, ==, 100);

  /* The default system is never shut down: stopping the receiver unlocks it. */
  set_state_sync (receiver, GST_STATE_NULL);
  set_state_sync (sender, GST_STATE_NULL);
  g_assert_cmpuint (get_uint64 (receiver, "src", "received"), ==, 20);
  recorder_clear (&received);
}

static void
test_src_unlock (void)
{
  g_autoptr(EsEventSystem) system = new_system ("gst-test-src-unlock", 16, ES_BACKPRESSURE_BLOCK);
  g_autoptr(GstElement) receiver = launch ("eventsyssrc system-name=gst-test-src-unlock ! fakesink");
  gint64 start;

  g_test_summary ("eventsyssrc waiting for an event is unlocked at once by a state change");

  play_live (receiver);
  g_usleep (100 * 1000);   /* let it block in receive */

  start = g_get_monotonic_time ();
  set_state_sync (receiver, GST_STATE_NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);

  /* Stopping unsubscribed it. */
  g_assert_cmpint (es_event_system_shutdown (system, NULL), ==, TRUE);
}

static void
test_sink_unlock_blocked_publish (void)
{
  g_autoptr(EsEventSystem) system = new_system ("gst-test-sink-unlock", 2, ES_BACKPRESSURE_BLOCK);
  g_autoptr(EsSubscriber) stalled = es_event_system_subscribe (system, GST_TYPE_BUFFER, NULL);
  g_autoptr(GstElement) sender = launch ("videotestsrc ! video/x-raw,width=32,height=32 "
                                         "! eventsyssink name=sink system-name=gst-test-sink-unlock sync=false");
  gint64 start, deadline;

  g_test_summary ("eventsyssink blocked by BLOCK backpressure (a stalled subscriber) is unlocked "
                  "at once by flushing and by a state change; nothing is published twice");

  g_assert_nonnull (stalled);
  gst_element_set_state (sender, GST_STATE_PLAYING);

  /* Two buffers fill the stalled subscriber's channel; the third blocks. */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (get_uint64 (sender, "sink", "published") < 2 && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_assert_cmpuint (get_uint64 (sender, "sink", "published"), ==, 2);
  g_usleep (100 * 1000);
  g_assert_cmpuint (get_uint64 (sender, "sink", "published"), ==, 2);

  /* A flushing seek unlocks the blocked publish; it blocks again after. */
  start = g_get_monotonic_time ();
  g_assert_true (gst_element_seek_simple (sender, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (es_subscriber_get_queue_depth (stalled), ==, 2);

  /* Going to NULL unlocks it too. */
  start = g_get_monotonic_time ();
  set_state_sync (sender, GST_STATE_NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (es_subscriber_get_queue_depth (stalled), ==, 2);
  g_assert_cmpuint (es_subscriber_get_published_count (stalled), ==, 2);

  es_event_system_shutdown (system, NULL);
}

static void
test_sink_drop_newest (void)
{
  g_autoptr(EsEventSystem) system = new_system ("gst-test-drop-newest", 5, ES_BACKPRESSURE_DROP_NEWEST);
  g_autoptr(EsSubscriber) stalled = es_event_system_subscribe (system, GST_TYPE_BUFFER, NULL);
  g_autoptr(GstElement) sender = launch ("videotestsrc num-buffers=20 ! video/x-raw,width=32,height=32 "
                                         "! eventsyssink name=sink system-name=gst-test-drop-newest sync=false");

  g_test_summary ("with DROP_NEWEST a rejected buffer is counted in eventsyssink:dropped and "
                  "streaming goes on to EOS");

  set_state_sync (sender, GST_STATE_PLAYING);
  wait_for_eos (sender);
  g_assert_cmpuint (get_uint64 (sender, "sink", "published"), ==, 5);
  g_assert_cmpuint (get_uint64 (sender, "sink", "dropped"), ==, 15);
  g_assert_cmpuint (es_subscriber_get_queue_depth (stalled), ==, 5);
  set_state_sync (sender, GST_STATE_NULL);
  es_event_system_shutdown (system, NULL);
}

static void
publish_static (EsPublisher *publisher,
                guint8      *payload,
                gsize        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (payload, size);
  g_autoptr(EsEvent) event = es_event_new_bytes (GST_TYPE_BUFFER, bytes);
  g_autoptr(GError) error = NULL;

  es_publisher_publish (publisher, event, NULL, &error);
  g_assert_no_error (error);
}

static void
test_src_discont_and_eos (void)
{
  g_autoptr(EsEventSystem) system = new_system ("gst-test-discont", 4, ES_BACKPRESSURE_DROP_OLDEST);
  g_autoptr(GstElement) receiver = launch ("eventsyssrc name=src system-name=gst-test-discont "
                                           "! fakesink name=out sync=false");
  g_autoptr(EsPublisher) publisher = NULL;
  g_autoptr(GError) error = NULL;
  Recorder received;
  guint8 payload[12][16];
  const guint8 *expected[7];
  guint n, gap;

  g_test_summary ("events published by plain eventsys code reach eventsyssrc without a copy; "
                  "events the subscription missed (DROP_OLDEST) make the next buffer DISCONT; "
                  "EOS on shutdown");

  for (guint i = 0; i < G_N_ELEMENTS (payload); i++)
    memset (payload[i], i, sizeof payload[i]);

  recorder_init (&received);
  record_fakesink (receiver, "out", &received);

  /* PAUSED: subscribed, but a live source does not produce yet. */
  gst_element_set_state (receiver, GST_STATE_PAUSED);
  g_assert_cmpuint (es_event_system_get_subscriber_count (system), ==, 1);
  publisher = es_event_system_create_publisher (system, GST_TYPE_BUFFER, &error);
  g_assert_no_error (error);

  /* Two events, received in PLAYING. */
  publish_static (publisher, payload[0], sizeof payload[0]);
  publish_static (publisher, payload[1], sizeof payload[1]);
  play_live (receiver);
  g_assert_true (recorder_wait (&received, 2));

  /* Back to PAUSED: ten events overflow the channel of four. A live
   * GstBaseSrc does not unlock create() when pausing, so the receive
   * already waiting may take the first of them (payload 2); of the others
   * the newest four stay queued, the rest is dropped. */
  set_state_sync (receiver, GST_STATE_PAUSED);
  for (guint i = 2; i < 12; i++)
    publish_static (publisher, payload[i], sizeof payload[i]);
  play_live (receiver);
  g_assert_true (recorder_wait (&received, 6));

  es_event_system_shutdown (system, NULL);
  wait_for_eos (receiver);

  n = 0;
  expected[n++] = payload[0];
  expected[n++] = payload[1];
  if (received.seen->len == 7)
    expected[n++] = payload[2];
  gap = n;
  for (guint i = 8; i < 12; i++)
    expected[n++] = payload[i];

  g_assert_cmpuint (received.seen->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      const Seen *seen = &g_array_index (received.seen, Seen, i);

      g_assert_true (seen->data == expected[i]);
      g_assert_cmpuint (seen->size, ==, 16);
      /* First buffer after start (GstBaseSrc), first after the gap (us). */
      g_assert_cmpint (seen->discont, ==, i == 0 || i == gap);
    }
  g_assert_cmpuint (get_uint64 (receiver, "src", "dropped"), ==, 12 - n);
  g_assert_cmpuint (get_uint64 (receiver, "src", "received"), ==, n);

  set_state_sync (receiver, GST_STATE_NULL);
  recorder_clear (&received);
}

static void
test_errors (void)
{
  g_autoptr(GstElement) sender = launch ("fakesrc ! eventsyssink system-name=gst-test-no-such-system");
  g_autoptr(GstElement) wrong_type = launch ("fakesrc ! eventsyssink event-type=GstElement");
  g_autoptr(GstBus) bus = gst_element_get_bus (sender);
  g_autoptr(GstMessage) msg = NULL;

  g_test_summary ("an unknown system name or an unusable event type fails the state change "
                  "with an error message");

  g_assert_cmpint (gst_element_set_state (sender, GST_STATE_PAUSED), ==, GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_element_set_state (sender, GST_STATE_NULL);

  g_assert_cmpint (gst_element_set_state (wrong_type, GST_STATE_PAUSED), ==, GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (wrong_type, GST_STATE_NULL);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/gst/elements-registered", test_elements_registered);
  g_test_add_func ("/gst/roundtrip-zero-copy", test_roundtrip_zero_copy);
  g_test_add_func ("/gst/default-system", test_default_system);
  g_test_add_func ("/gst/src-unlock", test_src_unlock);
  g_test_add_func ("/gst/sink-unlock-blocked-publish", test_sink_unlock_blocked_publish);
  g_test_add_func ("/gst/sink-drop-newest", test_sink_drop_newest);
  g_test_add_func ("/gst/src-discont-and-eos", test_src_discont_and_eos);
  g_test_add_func ("/gst/errors", test_errors);

  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
