/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <string.h>

#include "es-envelope-private.h"
#include "es-event-private.h"

/* The receivers' fields fill the first line exactly (see struct _EsEvent). */
G_STATIC_ASSERT (GLIB_SIZEOF_VOID_P != 8 || offsetof (EsEvent, sealed) == ES_CACHELINE);
G_STATIC_ASSERT (GLIB_SIZEOF_VOID_P != 8 || offsetof (EsEvent, inline_data) == 2 * ES_CACHELINE);

/**
 * EsEvent:
 *
 * The envelope subscribers receive: a payload plus metadata — the event
 * type, a sequence number, the monotonic publish timestamp, a priority and
 * the W3C trace context.
 *
 * An #EsEvent is reference counted (atomically) and *sealed* when it is
 * published: from then on it is shared between every subscriber and never
 * changes, so it can be read from any thread without locking. Before it is
 * published, es_event_set_priority() and es_event_set_traceparent() may
 * adjust it. Publishing an already published event publishes a copy that
 * shares the payload.
 *
 * |[<!-- language="C" -->
 * g_autoptr(GBytes) frame = g_bytes_new_take (data, len);
 * g_autoptr(EsEvent) event = es_event_new_bytes (G_TYPE_BYTES, frame);
 *
 * es_event_set_priority (event, ES_EVENT_PRIORITY_HIGH);
 * if (!es_publisher_publish (publisher, event, NULL, &error))
 *   g_warning ("publish failed: %s", error->message);
 * ]|
 *
 * Payloads are never copied once the event exists: a #GBytes or #GObject
 * payload is referenced, and plain data passed to es_event_new() is copied
 * once into the envelope itself.
 *
 * Since: 1.0
 */

G_DEFINE_BOXED_TYPE (EsEvent, es_event, es_event_ref, es_event_unref)

/* Envelope memory: see es-envelope-private.h. */
static inline gsize
inline_size_of (const EsEvent *event)
{
  return event->payload_kind == ES_PAYLOAD_INLINE ? event->size : 0;
}

static inline EsEvent *
envelope_alloc (gsize inline_size)
{
  EsEnvelopeCache *origin;
  EsEvent *event = _es_envelope_alloc (inline_size, &origin);

  event->origin = origin;
  return event;
}

static EsEvent *
es_event_alloc (const EsEventTypeInfo *info,
                gsize                  inline_size)
{
  EsEvent *event = envelope_alloc (inline_size);

  atomic_init (&event->ref_count, 1);
  atomic_init (&event->sealed, 0);
  event->event_type = info->gtype;
  event->type_index = info->index;
  event->priority = ES_EVENT_PRIORITY_NORMAL;
  event->payload_kind = ES_PAYLOAD_INLINE;
  event->has_parent = FALSE;
  event->sequence = 0;
  event->timestamp = 0;
  memset (&event->trace, 0, sizeof event->trace);
  event->size = inline_size;
  event->payload = event->inline_data;
  atomic_init (&event->queued_in, 0);
  event->charged = FALSE;
  return event;
}

static gboolean
check_plain_size (const EsEventTypeInfo *info,
                  gsize                  size)
{
  if (info->kind == ES_EVENT_KIND_PLAIN && info->size != 0 && info->size != size)
    {
      g_critical ("Event type %s carries %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
                  g_type_name (info->gtype), info->size, size);
      return FALSE;
    }
  return TRUE;
}

/**
 * es_event_new:
 * @event_type: a plain-data event type (see ES_DEFINE_EVENT_TYPE() and
 *   es_event_type_register_plain_named()) or another non-object event type
 * @data: (array length=size) (element-type guint8) (nullable): the payload
 * @size: the payload size in bytes; must equal the registered size of a
 *   fixed-size plain type
 *
 * Creates an unpublished event holding a copy of @data.
 *
 * Returns: (transfer full): a new #EsEvent
 *
 * Since: 1.0
 */
EsEvent *
es_event_new (GType         event_type,
              gconstpointer data,
              gsize         size)
{
  const EsEventTypeInfo *info;
  EsEvent *event;

  g_return_val_if_fail (data != NULL || size == 0, NULL);

  info = _es_event_type_lookup (event_type);
  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (info->kind != ES_EVENT_KIND_OBJECT, NULL);
  if (!check_plain_size (info, size))
    return NULL;

  event = es_event_alloc (info, size);
  if (size > 0)
    memcpy (event->inline_data, data, size);
  return event;
}

/**
 * es_event_new_object:
 * @object: (type GObject.Object): the payload; its type is the event type
 *
 * Creates an unpublished event holding a reference to @object. Treat the
 * object as immutable once published: every subscriber sees the same one.
 *
 * Returns: (transfer full): a new #EsEvent
 *
 * Since: 1.0
 */
EsEvent *
es_event_new_object (gpointer object)
{
  const EsEventTypeInfo *info;
  EsEvent *event;

  g_return_val_if_fail (G_IS_OBJECT (object), NULL);

  info = _es_event_type_lookup (G_OBJECT_TYPE (object));
  g_return_val_if_fail (info != NULL, NULL);

  event = es_event_alloc (info, 0);
  event->payload_kind = ES_PAYLOAD_OBJECT;
  event->payload = g_object_ref (object);
  event->size = 0;
  return event;
}

/**
 * es_event_new_bytes:
 * @event_type: %G_TYPE_BYTES, or a plain-data or boxed event type whose
 *   payload @bytes carries
 * @bytes: the payload; referenced, never copied
 *
 * Creates an unpublished event sharing @bytes. This is the way to move large
 * payloads (media buffers) through the zero-copy implementation.
 *
 * Returns: (transfer full): a new #EsEvent
 *
 * Since: 1.0
 */
EsEvent *
es_event_new_bytes (GType   event_type,
                    GBytes *bytes)
{
  const EsEventTypeInfo *info;
  EsEvent *event;

  g_return_val_if_fail (bytes != NULL, NULL);

  info = _es_event_type_lookup (event_type);
  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (info->kind != ES_EVENT_KIND_OBJECT, NULL);
  if (!check_plain_size (info, g_bytes_get_size (bytes)))
    return NULL;

  event = es_event_alloc (info, 0);
  event->payload_kind = ES_PAYLOAD_BYTES;
  event->payload = g_bytes_ref (bytes);
  event->size = g_bytes_get_size (bytes);
  return event;
}

/**
 * es_event_new_variant:
 * @value: the payload; a floating reference is sunk
 *
 * Creates an unpublished event of type %G_TYPE_VARIANT sharing @value.
 *
 * Returns: (transfer full): a new #EsEvent
 *
 * Since: 1.0
 */
EsEvent *
es_event_new_variant (GVariant *value)
{
  const EsEventTypeInfo *info;
  EsEvent *event;

  g_return_val_if_fail (value != NULL, NULL);

  info = _es_event_type_lookup (G_TYPE_VARIANT);
  event = es_event_alloc (info, 0);
  event->payload_kind = ES_PAYLOAD_VARIANT;
  event->payload = g_variant_ref_sink (value);
  event->size = g_variant_get_size (value);
  return event;
}

/**
 * es_event_ref:
 * @event: an #EsEvent
 *
 * Takes a reference. Thread-safe.
 *
 * Returns: (transfer full): @event
 *
 * Since: 1.0
 */
EsEvent *
es_event_ref (EsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  atomic_fetch_add_explicit (&event->ref_count, 1, memory_order_relaxed);
  return event;
}

/**
 * es_event_unref:
 * @event: (transfer full): an #EsEvent
 *
 * Drops a reference; the last one frees the event and releases its payload.
 * Thread-safe.
 *
 * Since: 1.0
 */
void
es_event_unref (EsEvent *event)
{
  g_return_if_fail (event != NULL);

  /* The last reference needs no RMW: nobody else can take another (the
   * acquire load pairs with the other holders' releasing decrements). Else
   * acq_rel: the freeing thread must see every write made by other holders. */
  if (atomic_load_explicit (&event->ref_count, memory_order_acquire) != 1 &&
      atomic_fetch_sub_explicit (&event->ref_count, 1, memory_order_acq_rel) != 1)
    return;

  switch ((EsPayloadKind) event->payload_kind)
    {
    case ES_PAYLOAD_OBJECT:
      g_object_unref (event->payload);
      break;
    case ES_PAYLOAD_BYTES:
      g_bytes_unref (event->payload);
      break;
    case ES_PAYLOAD_VARIANT:
      g_variant_unref (event->payload);
      break;
    case ES_PAYLOAD_INLINE:
    default:
      break;
    }
  _es_envelope_free (event, inline_size_of (event), event->origin);
}

/**
 * es_event_get_event_type:
 * @event: an #EsEvent
 *
 * Gets the event type (for object payloads, the object's own type).
 *
 * Returns: the event type (for object payloads, the object's own type)
 *
 * Since: 1.0
 */
GType
es_event_get_event_type (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, G_TYPE_INVALID);
  return event->event_type;
}

/**
 * es_event_get_sequence:
 * @event: an #EsEvent
 *
 * The sequence number given at publish time. Sequence numbers count the
 * events published of one type in one system, and each is given once. A
 * subscriber sees the events that one thread published in increasing
 * sequence order. Events that several threads publish at the same moment
 * may arrive in either order on the zero-copy implementation (the number
 * is taken before the event is queued); the static implementation queues
 * them in sequence order. With that exception, a gap means events the
 * subscriber did not receive (dropped, or published before it subscribed).
 *
 * Returns: the sequence number, 0 before the event is published
 *
 * Since: 1.0
 */
guint64
es_event_get_sequence (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, 0);
  return event->sequence;
}

/**
 * es_event_get_timestamp:
 * @event: an #EsEvent
 *
 * Gets the publish time in g_get_monotonic_time() microseconds, 0 before the
 * event is published.
 *
 * One exception keeps the static fast path's publish at a few nanoseconds
 * (a clock read would cost a third of it): a payload published with
 * es_publisher_publish_data() while every subscriber of its type had so far
 * read only with es_subscriber_receive_data() is not stamped. Should such an
 * event later be taken as an envelope, its timestamp is the time it was
 * taken. Subscribers that read envelopes from the start, and the latency
 * samples of #EsMetrics, always see the publisher's time.
 *
 * Returns: the publish time in g_get_monotonic_time() microseconds, 0 before
 *   the event is published
 *
 * Since: 1.0
 */
gint64
es_event_get_timestamp (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, 0);
  return event->timestamp;
}

/**
 * es_event_get_priority:
 * @event: an #EsEvent
 *
 * Gets the event priority.
 *
 * Returns: the event priority
 *
 * Since: 1.0
 */
EsEventPriority
es_event_get_priority (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, ES_EVENT_PRIORITY_NORMAL);
  return (EsEventPriority) event->priority;
}

/**
 * es_event_set_priority:
 * @event: an unpublished #EsEvent
 * @priority: the priority
 *
 * Sets the priority. Only valid before the event is published.
 *
 * Since: 1.0
 */
void
es_event_set_priority (EsEvent         *event,
                       EsEventPriority  priority)
{
  g_return_if_fail (event != NULL);
  g_return_if_fail (priority <= ES_EVENT_PRIORITY_CRITICAL);
  g_return_if_fail (!es_event_is_sealed (event));

  event->priority = (guint8) priority;
}

/**
 * es_event_is_sealed:
 * @event: an #EsEvent
 *
 * Checks whether @event has been published and is therefore immutable.
 *
 * Returns: whether @event has been published and is therefore immutable
 *
 * Since: 1.0
 */
gboolean
es_event_is_sealed (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, FALSE);
  return atomic_load_explicit (&((EsEvent *) event)->sealed, memory_order_acquire) != 0;
}

/**
 * es_event_get_data:
 * @event: an #EsEvent
 * @size: (out) (optional): the payload size
 *
 * The payload bytes of a plain-data, #GBytes or #GVariant event.
 *
 * Returns: (transfer none) (array length=size) (element-type guint8) (nullable):
 *   the payload, or %NULL for an object event
 *
 * Since: 1.0
 */
gconstpointer
es_event_get_data (const EsEvent *event,
                   gsize         *size)
{
  gconstpointer data = NULL;
  gsize len = 0;

  g_return_val_if_fail (event != NULL, NULL);

  switch ((EsPayloadKind) event->payload_kind)
    {
    case ES_PAYLOAD_INLINE:
      data = event->inline_data;
      len = event->size;
      break;
    case ES_PAYLOAD_BYTES:
      data = g_bytes_get_data (event->payload, &len);
      break;
    case ES_PAYLOAD_VARIANT:
      data = g_variant_get_data (event->payload);
      len = g_variant_get_size (event->payload);
      break;
    case ES_PAYLOAD_OBJECT:
    default:
      break;
    }

  if (size != NULL)
    *size = len;
  return data;
}

/**
 * es_event_get_object:
 * @event: an #EsEvent
 *
 * Gets the object payload, or %NULL if the event does not carry one.
 *
 * Returns: (transfer none) (type GObject.Object) (nullable): the object
 *   payload, or %NULL if the event does not carry one
 *
 * Since: 1.0
 */
gpointer
es_event_get_object (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);
  return event->payload_kind == ES_PAYLOAD_OBJECT ? event->payload : NULL;
}

/**
 * es_event_get_bytes:
 * @event: an #EsEvent
 *
 * Gets the #GBytes payload given to es_event_new_bytes(), or %NULL for
 * other payloads.
 *
 * Returns: (transfer none) (nullable): the #GBytes payload given to
 *   es_event_new_bytes(), or %NULL for other payloads
 *
 * Since: 1.0
 */
GBytes *
es_event_get_bytes (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);
  return event->payload_kind == ES_PAYLOAD_BYTES ? event->payload : NULL;
}

/**
 * es_event_get_variant:
 * @event: an #EsEvent
 *
 * Gets the #GVariant payload, or %NULL.
 *
 * Returns: (transfer none) (nullable): the #GVariant payload, or %NULL
 *
 * Since: 1.0
 */
GVariant *
es_event_get_variant (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);
  return event->payload_kind == ES_PAYLOAD_VARIANT ? event->payload : NULL;
}

/**
 * es_event_dup_traceparent:
 * @event: a published #EsEvent
 *
 * The W3C `traceparent` of the event: its trace-id (inherited from the
 * event being handled when it was published, or from
 * es_event_set_traceparent()) and its own span-id.
 *
 * Returns: (transfer full) (nullable): `00-<trace-id>-<span-id>-<flags>`,
 *   or %NULL before the event is published
 *
 * Since: 1.0
 */
char *
es_event_dup_traceparent (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  if (!es_event_is_sealed (event))
    return NULL;
  return _es_trace_context_format (&event->trace);
}

/**
 * es_event_dup_trace_id:
 * @event: a published #EsEvent
 *
 * Gets the 32 hex digit trace-id, or %NULL before the event is published.
 *
 * Returns: (transfer full) (nullable): the 32 hex digit trace-id, or %NULL
 *   before the event is published
 *
 * Since: 1.0
 */
char *
es_event_dup_trace_id (const EsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  if (!es_event_is_sealed (event))
    return NULL;
  return _es_trace_context_format_id (&event->trace);
}

/**
 * es_event_set_traceparent:
 * @event: an unpublished #EsEvent
 * @traceparent: a W3C traceparent, e.g. from an incoming HTTP request
 * @error: return location for a #GError
 *
 * Makes @event part of the trace @traceparent names: once published it has
 * that trace-id and a new span-id. Malformed values (wrong lengths, uppercase
 * hex, version `ff`, all-zero ids) fail with %ES_ERROR_INVALID_TRACEPARENT.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
es_event_set_traceparent (EsEvent     *event,
                          const char  *traceparent,
                          GError     **error)
{
  EsTraceContext ctx;

  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (traceparent != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (!es_event_is_sealed (event), FALSE);

  if (!_es_trace_context_parse (traceparent, &ctx, error))
    return FALSE;
  event->trace = ctx;
  event->has_parent = TRUE;
  return TRUE;
}

static void
stamp (EsEvent *event,
       guint32  type_index,
       guint64  sequence,
       guint64  trace_salt)
{
  event->type_index = type_index;
  event->sequence = sequence;
  event->timestamp = g_get_monotonic_time ();
  if (event->has_parent)
    _es_trace_context_init_child (&event->trace, trace_salt, type_index, sequence);
  else
    _es_trace_context_init_lazy (&event->trace, NULL, trace_salt, type_index, sequence);
}

EsEvent *
_es_event_seal (EsEvent *event,
                guint32  type_index,
                guint64  sequence,
                guint64  trace_salt,
                gboolean take)
{
  int expected = 0;
  EsEvent *copy;

  /* Handed over as the only reference: no other thread can reach the event
   * any more (a borrowed pointer would be used after its owner let go), so
   * nobody can seal it concurrently, and a plain store does without the
   * locked instruction (which would wait for the envelope's fresh stores). */
  if (take && atomic_load_explicit (&event->ref_count, memory_order_acquire) == 1 &&
      atomic_load_explicit (&event->sealed, memory_order_relaxed) == 0)
    {
      atomic_store_explicit (&event->sealed, 1, memory_order_relaxed);
      stamp (event, type_index, sequence, trace_salt);
      return event;
    }

  /* Otherwise no shortcut for the caller's only reference: another thread
   * may hold a borrowed pointer and ref or publish the event at the same
   * time. */
  if (atomic_compare_exchange_strong_explicit (&event->sealed, &expected, 1,
                                               memory_order_acq_rel, memory_order_acquire))
    {
      stamp (event, type_index, sequence, trace_salt);
      /* Taken: the caller's reference is the result's, no RMW on a line
       * that a receiver may be reading by the time the caller lets go. */
      return take ? event : es_event_ref (event);
    }

  /* Published before: publish a copy sharing the payload. */
  copy = envelope_alloc (event->payload_kind == ES_PAYLOAD_INLINE ? event->size : 0);
  atomic_init (&copy->ref_count, 1);
  atomic_init (&copy->sealed, 1);
  copy->event_type = event->event_type;
  copy->priority = event->priority;
  copy->payload_kind = event->payload_kind;
  copy->has_parent = event->has_parent;
  memset (&copy->trace, 0, sizeof copy->trace);
  if (event->has_parent)
    {
      /* The ids only: the first publisher may be writing the rest. */
      copy->trace.trace_hi = event->trace.trace_hi;
      copy->trace.trace_lo = event->trace.trace_lo;
      copy->trace.flags = event->trace.flags;
    }
  copy->size = event->size;
  atomic_init (&copy->queued_in, 0);
  copy->charged = FALSE;
  switch ((EsPayloadKind) event->payload_kind)
    {
    case ES_PAYLOAD_INLINE:
      memcpy (copy->inline_data, event->inline_data, event->size);
      copy->payload = copy->inline_data;
      break;
    case ES_PAYLOAD_OBJECT:
      copy->payload = g_object_ref (event->payload);
      break;
    case ES_PAYLOAD_BYTES:
      copy->payload = g_bytes_ref (event->payload);
      break;
    case ES_PAYLOAD_VARIANT:
      copy->payload = g_variant_ref (event->payload);
      break;
    default:
      g_assert_not_reached ();
    }
  stamp (copy, type_index, sequence, trace_salt);
  if (take)
    es_event_unref (event);
  return copy;
}

EsEvent *
_es_event_new_from_slot (GType                 event_type,
                         guint32               type_index,
                         guint64               sequence,
                         gint64                timestamp,
                         guint8                priority,
                         const EsTraceContext *trace,
                         gconstpointer         data,
                         gsize                 size,
                         EsEventKind           kind)
{
  EsEvent *event;

  if (kind == ES_EVENT_KIND_OBJECT)
    {
      event = envelope_alloc (0);
      event->payload_kind = ES_PAYLOAD_OBJECT;
      event->payload = g_object_ref (*(GObject * const *) data);
      event->size = 0;
      /* The slot may hold a subclass instance of the ring's type. */
      event_type = G_OBJECT_TYPE (event->payload);
    }
  else
    {
      event = envelope_alloc (size);
      memcpy (event->inline_data, data, size);
      event->payload_kind = ES_PAYLOAD_INLINE;
      event->payload = event->inline_data;
      event->size = size;
    }
  atomic_init (&event->ref_count, 1);
  atomic_init (&event->sealed, 1);
  event->event_type = event_type;
  event->type_index = type_index;
  event->priority = priority;
  event->has_parent = FALSE;
  event->sequence = sequence;
  event->timestamp = timestamp;
  event->trace = *trace;
  atomic_init (&event->queued_in, 0);
  event->charged = FALSE;
  return event;
}

gsize
_es_event_get_charge (const EsEvent *event)
{
  /* What the global buffer counts for this event, once however many
   * subscribers hold it: the payload plus the envelope. */
  return sizeof (EsEvent) + event->size;
}
