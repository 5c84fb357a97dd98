/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "es-event-private.h"
#include "es-metrics-private.h"
#include "es-subscriber-private.h"
#include "es-trace-private.h"

/**
 * EsSubscriber:
 *
 * Receives the events of one type from an #EsEventSystem, in per-publisher
 * order, from the moment it was created by es_event_system_subscribe().
 *
 * Events can be pulled — es_subscriber_receive() blocks (cancellable),
 * es_subscriber_receive_timeout() waits up to a bound,
 * es_subscriber_try_receive() never waits, es_subscriber_receive_data()
 * copies a plain-data payload out without any allocation — or pushed into a
 * #GMainContext with es_subscriber_attach() (or es_subscriber_create_source()),
 * which delivers up to #EsEventSystem:batch-size events per main-loop
 * dispatch, calling the callback and emitting #EsSubscriber::event.
 *
 * |[<!-- language="C" -->
 * static gboolean
 * on_packet (EsSubscriber *subscriber, EsEvent *event, gpointer user_data)
 * {
 *   const MediaPacket *packet = es_event_get_data (event, NULL);
 *   g_print ("packet %u\n", packet->sequence_number);
 *   return G_SOURCE_CONTINUE;
 * }
 *
 * es_subscriber_attach (subscriber, NULL, on_packet, NULL, NULL);
 * ]|
 *
 * Counters: es_subscriber_get_published_count() counts the events published
 * to this subscriber; each of them is received, dropped (backpressure), filtered or
 * still queued, so at any quiescent point
 * `published == received + dropped + filtered + queue depth`.
 *
 * Missed events: with %ES_BACKPRESSURE_DROP_OLDEST the subscriber counts what
 * it lost in es_subscriber_get_dropped_count(), and the next receive emits
 * #EsSubscriber::lagged with the number missed since the last report (in the
 * receiving thread, or in the attached main context).
 *
 * Unsubscribing (es_subscriber_unsubscribe() or dropping the last reference)
 * discards what is still queued (counted as dropped); after a system
 * shutdown, by contrast, the queue can still be drained. Either way receives
 * then fail with %ES_ERROR_CLOSED.
 *
 * Threading: all functions may be called from any thread; several threads
 * may receive from one subscriber at once (each event goes to one of them).
 *
 * Since: 1.0
 */

typedef struct
{
  EsSubEndpoint      *ep;            /* owned; hot state, see es-subscriber-private.h */
  EsEventSystem      *system;        /* owned */
  GType               event_type;
  guint64             id;
  EsEventFilterFunc   filter;        /* immutable once subscribe() returns */
  gpointer            filter_data;
  GDestroyNotify      filter_destroy;
  pthread_mutex_t     lock;          /* protects name and attached */
  char               *name;          /* owned */
  GSList             *attached;      /* GSource *, owned: sources made by attach() */
  EsMetricsSource     metrics_source;  /* the endpoint's received counters, registered while metrics are on */
} EsSubscriberPrivate;

enum {
  PROP_0,
  PROP_SYSTEM,
  PROP_EVENT_TYPE,
  PROP_NAME,
  PROP_ID,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  SIGNAL_LAGGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static atomic_uint_least64_t next_id = 1;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (EsSubscriber, es_subscriber, G_TYPE_OBJECT)

/* Not NULL before class_init sets them: an instance without a class must
 * not match a built-in class that does not exist yet. */
gconstpointer _es_subscriber_builtin_classes[2] = { &_es_subscriber_builtin_classes, &_es_subscriber_builtin_classes };

#define PRIV(self) ((EsSubscriberPrivate *) es_subscriber_get_instance_private (self))

/* Receivers poll a while before sleeping: a cross-thread wake-up costs the
 * publisher a syscall and the receiver microseconds, while at full rate the
 * next event arrives within nanoseconds. The budget adapts, as glibc's
 * adaptive mutexes do: it grows (up to SPIN_MAX_USEC) while polling pays off
 * and shrinks to nothing while the receiver ends up sleeping anyway, so a
 * steady trickle of events does not keep a core busy.
 *
 * Polling pays only while the publishers have CPUs of their own. When the
 * machine has more runnable threads than CPUs (four publishers and a
 * receiver on two), a polling receiver keeps a CPU busy that a publisher is
 * waiting for, and the scheduler never finds that CPU idle to move one
 * there: es-bench W3 zero-copy ran 12-36% faster (medians of alternating
 * runs) with receivers that sleep instead. So a receiver does not poll
 * while es_cpus_crowded says so, sampled every CROWD_SAMPLE_EVERY waits
 * that could poll, and leaves its budget as it is for when the machine has
 * room again. */
#define SPIN_MAX_USEC 50
#define CROWD_SAMPLE_EVERY 256
/* A budget that shrank to nothing would never learn that the events came
 * in bursts again: every SPIN_PROBE_EVERY-th wait then polls for
 * SPIN_PROBE_USEC, and an event that comes within it grows the budget as
 * any quick one does. Probes must stay rare and short: in es-bench W6 (a
 * steady 100,000 events/s, where the paced publisher now and then sends
 * two at once) probing 4 µs every 64th wait let the budget climb again and
 * again, and the receiver's CPU rose from ~31% to 40-57%. At 1 µs the W6
 * differences were within its noise, but a probe that succeeds makes the
 * next few waits poll too, and 4 in 256 would be more than the 1% of events
 * that p99 looks at: every 1024th wait keeps that below 0.4%. */
#define SPIN_PROBE_EVERY 1024
#define SPIN_PROBE_USEC 1
#define YIELDS_BEFORE_SLEEP 2
/* A yield that returns within this many microseconds ran nobody else: the
 * receiver has a core of its own and yielding only delays the sleep. It
 * then skips the yields for the next YIELD_BACKOFF sleeps. */
#define YIELD_FUTILE_USEC 2
#define YIELD_BACKOFF 64

static void
es_subscriber_dispose (GObject *object)
{
  EsSubscriber *self = ES_SUBSCRIBER (object);
  EsSubscriberPrivate *priv = PRIV (self);

  es_subscriber_detach (self);
  if (priv->system != NULL)
    {
      _es_subscriber_mark_closed (self, TRUE);
      _es_event_system_remove_subscriber (priv->system, self);
    }
  if (priv->ep != NULL)
    {
      pthread_mutex_lock (&priv->ep->owner_lock);
      priv->ep->owner = NULL;
      pthread_mutex_unlock (&priv->ep->owner_lock);
    }

  G_OBJECT_CLASS (es_subscriber_parent_class)->dispose (object);
}

static void
es_subscriber_finalize (GObject *object)
{
  EsSubscriber *self = ES_SUBSCRIBER (object);
  EsSubscriberPrivate *priv = PRIV (self);

  if (priv->filter_destroy != NULL)
    priv->filter_destroy (priv->filter_data);
  /* Publishers may still hold the endpoint in a cached target list; it is
   * closed and they skip it. */
  if (priv->ep != NULL && priv->ep->core != NULL && priv->ep->core->metrics != NULL)
    _es_metrics_remove_source (priv->ep->core->metrics, &priv->metrics_source);
  g_clear_pointer (&priv->ep, _es_sub_endpoint_unref);
  g_clear_object (&priv->system);
  g_clear_pointer (&priv->name, g_free);
  pthread_mutex_destroy (&priv->lock);

  G_OBJECT_CLASS (es_subscriber_parent_class)->finalize (object);
}

static void
es_subscriber_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EsSubscriber *self = ES_SUBSCRIBER (object);
  EsSubscriberPrivate *priv = PRIV (self);

  switch (prop_id)
    {
    case PROP_SYSTEM:
      g_value_set_object (value, priv->system);
      break;
    case PROP_EVENT_TYPE:
      g_value_set_gtype (value, priv->event_type);
      break;
    case PROP_NAME:
      pthread_mutex_lock (&priv->lock);
      g_value_set_string (value, priv->name);
      pthread_mutex_unlock (&priv->lock);
      break;
    case PROP_ID:
      g_value_set_uint64 (value, priv->id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_subscriber_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  EsSubscriber *self = ES_SUBSCRIBER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      es_subscriber_set_name (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
es_subscriber_class_init (EsSubscriberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = es_subscriber_dispose;
  object_class->finalize = es_subscriber_finalize;
  object_class->get_property = es_subscriber_get_property;
  object_class->set_property = es_subscriber_set_property;

  /**
   * EsSubscriber:system:
   *
   * The system this subscriber belongs to.
   *
   * Since: 1.0
   */
  properties[PROP_SYSTEM] =
    g_param_spec_object ("system", NULL, NULL, ES_TYPE_EVENT_SYSTEM,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EsSubscriber:event-type:
   *
   * The subscribed event type.
   *
   * Since: 1.0
   */
  properties[PROP_EVENT_TYPE] =
    g_param_spec_gtype ("event-type", NULL, NULL, G_TYPE_NONE,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EsSubscriber:name:
   *
   * A name for metrics and diagnostics; defaults to `TypeName#id`.
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * EsSubscriber:id:
   *
   * A process-unique id.
   *
   * Since: 1.0
   */
  properties[PROP_ID] =
    g_param_spec_uint64 ("id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EsSubscriber::event:
   * @self: the subscriber
   * @event: the delivered event
   *
   * Emitted for each event delivered by a source from es_subscriber_attach()
   * or es_subscriber_create_source(), in that source's #GMainContext and
   * before its callback. Costs nothing when no handler is connected.
   *
   * Since: 1.0
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (EsSubscriberClass, event), NULL, NULL, NULL,
                  G_TYPE_NONE, 1, ES_TYPE_EVENT);

  /**
   * EsSubscriber::lagged:
   * @self: the subscriber
   * @n_missed: events dropped for this subscriber since the last emission
   *
   * Emitted by the next receive after backpressure dropped events queued
   * for this subscriber, in the receiving thread (or the attached
   * #GMainContext).
   *
   * Since: 1.0
   */
  signals[SIGNAL_LAGGED] =
    g_signal_new ("lagged", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (EsSubscriberClass, lagged), NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static void
es_subscriber_init (EsSubscriber *self)
{
  EsSubscriberPrivate *priv = PRIV (self);

  pthread_mutex_init (&priv->lock, NULL);
  priv->id = atomic_fetch_add (&next_id, 1);
}

/* Private API */

gpointer
_es_sub_endpoint_alloc (gsize   size,
                        void  (*finalize) (EsSubEndpoint *self))
{
  EsSubEndpoint *ep = g_aligned_alloc0 (1, size, ES_CACHELINE);

  atomic_init (&ep->ref_count, 1);
  es_owner_init (&ep->reader);
  ep->finalize = finalize;
  pthread_mutex_init (&ep->owner_lock, NULL);
  return ep;
}

EsSubEndpoint *
_es_sub_endpoint_ref (EsSubEndpoint *self)
{
  atomic_fetch_add_explicit (&self->ref_count, 1, memory_order_relaxed);
  return self;
}

void
_es_sub_endpoint_unref (EsSubEndpoint *self)
{
  if (atomic_fetch_sub_explicit (&self->ref_count, 1, memory_order_acq_rel) != 1)
    return;
  if (self->finalize != NULL)
    self->finalize (self);
  pthread_mutex_destroy (&self->owner_lock);
  g_aligned_free (self);
}

EsSubscriber *
_es_sub_endpoint_dup_owner (EsSubEndpoint *self)
{
  EsSubscriber *owner;

  pthread_mutex_lock (&self->owner_lock);
  owner = self->owner ? g_object_ref (self->owner) : NULL;
  pthread_mutex_unlock (&self->owner_lock);
  return owner;
}

EsSubEndpoint *
_es_subscriber_get_endpoint (EsSubscriber *self)
{
  return PRIV (self)->ep;
}

void
_es_subscriber_setup (EsSubscriber  *self,
                      EsEventSystem *system,
                      GType          event_type,
                      EsSubEndpoint *endpoint)
{
  EsSubscriberPrivate *priv = PRIV (self);

  priv->system = g_object_ref (system);
  priv->event_type = event_type;
  priv->ep = endpoint;
  endpoint->core = _es_event_system_get_core (system);
  endpoint->type_info = _es_event_type_lookup (event_type);
  endpoint->owner = self;
  priv->name = g_strdup_printf ("%s#%" G_GUINT64_FORMAT, g_type_name (event_type), priv->id);

  if (endpoint->core->metrics != NULL)
    {
      EsMetricsSource *source = &priv->metrics_source;

      source->event_type = event_type;
      source->type_index = endpoint->type_info->index;
      source->delivers = TRUE;
      source->count[0] = &endpoint->owner_received;
      source->count[1] = &endpoint->received;
      source->bytes[0] = &endpoint->owner_received_bytes;
      source->bytes[1] = &endpoint->received_bytes;
      _es_metrics_add_source (endpoint->core->metrics, source);
    }
}

void
_es_subscriber_set_filter (EsSubscriber      *self,
                           EsEventFilterFunc  filter,
                           gpointer           user_data,
                           GDestroyNotify     destroy)
{
  EsSubscriberPrivate *priv = PRIV (self);

  priv->filter = filter;
  priv->filter_data = user_data;
  priv->filter_destroy = destroy;
}

void
_es_subscriber_mark_closed (EsSubscriber *self,
                            gboolean      discard)
{
  EsSubscriberPrivate *priv = PRIV (self);

  /* The first discarding close detaches from the implementation; the
   * exchange makes that happen once. */
  if (discard && atomic_exchange_explicit (&priv->ep->discarded, 1, memory_order_seq_cst) == 0)
    {
      /* Pairs with the publishers' light barrier after a push (see
       * _es_zero_copy_drain_if_discarded()). */
      es_heavy_barrier ();
      atomic_store_explicit (&priv->ep->closed, 1, memory_order_seq_cst);
      ES_SUBSCRIBER_GET_CLASS (self)->close (self);
      /* An unsubscribed subscriber no longer counts as one of the system's. */
      _es_event_system_remove_subscriber (priv->system, self);
    }
  else
    atomic_store_explicit (&priv->ep->closed, 1, memory_order_seq_cst);

  if (priv->ep->data_wq != NULL)
    es_wait_queue_wake_all (priv->ep->data_wq);
  if (priv->ep->space_wq != NULL)
    es_wait_queue_wake_all (priv->ep->space_wq);
}

/* Receiving */

/* The vfuncs, without a checked cast: every caller checked the instance. */
#define SUBSCRIBER_CLASS(self) ((EsSubscriberClass *) ((GTypeInstance *) (self))->g_class)

static void
check_lag (EsSubscriber        *self,
           EsSubscriberPrivate *priv)
{
  guint64 dropped = atomic_load_explicit (&priv->ep->dropped, memory_order_relaxed);
  guint64 seen;

  if (G_LIKELY (dropped == atomic_load_explicit (&priv->ep->lag_seen, memory_order_relaxed)))
    return;

  seen = atomic_exchange_explicit (&priv->ep->lag_seen, dropped, memory_order_relaxed);
  if (dropped > seen && g_signal_has_handler_pending (self, signals[SIGNAL_LAGGED], 0, TRUE))
    g_signal_emit (self, signals[SIGNAL_LAGGED], 0, (guint64) (dropped - seen));
}

/* Takes up to @max events, applying the filter and the counters. Returns 0
 * only when nothing is queued. */
static guint
pull_events (EsSubscriber        *self,
             EsSubscriberPrivate *priv,
             EsEvent            **events,
             guint                max)
{
  EsSubscriberClass *klass = SUBSCRIBER_CLASS (self);

  for (;;)
    {
      guint n = klass->try_receive_events (self, events, max);
      guint kept = n;

      if (n == 0)
        {
          /* Never leave a filtered-out (freed) event behind for the caller. */
          events[0] = NULL;
          return 0;
        }

      if (priv->filter != NULL)
        {
          kept = 0;
          for (guint i = 0; i < n; i++)
            {
              if (priv->filter (events[i], priv->filter_data))
                events[kept++] = events[i];
              else
                es_event_unref (events[i]);
            }
          if (n != kept)
            atomic_fetch_add_explicit (&priv->ep->filtered, n - kept, memory_order_relaxed);
        }

      if (kept > 0)
        {
          EsMetrics *metrics = priv->ep->core->metrics;
          guint64 bytes = 0;

          for (guint i = 0; i < kept; i++)
            bytes += events[i]->size;
          _es_sub_endpoint_count_received (priv->ep, kept, bytes);
          if (G_UNLIKELY (metrics != NULL))
            for (guint i = 0; i < kept; i++)
              _es_metrics_record_latency (metrics, events[i]->event_type, events[i]->type_index,
                                          events[i]->timestamp);
        }
      if (priv->ep->space_wq != NULL)
        es_wait_queue_notify (priv->ep->space_wq);
      check_lag (self, priv);

      if (kept > 0)
        return kept;
    }
}

static guint
pull_data (EsSubscriber        *self,
           EsSubscriberPrivate *priv,
           guint8              *data,
           gsize                element_size,
           guint                max)
{
  EsSubscriberClass *klass = SUBSCRIBER_CLASS (self);
  guint n;

  if (priv->filter != NULL || klass->try_receive_data == NULL)
    {
      /* Filters see envelopes; so does an implementation that keeps no raw
       * data. Take events one by one and copy them out. */
      guint got = 0;

      while (got < max)
        {
          EsEvent *event;
          gsize size = 0;
          gconstpointer src;

          if (pull_events (self, priv, &event, 1) == 0)
            break;
          src = es_event_get_data (event, &size);
          memcpy (data + (gsize) got * element_size, src, MIN (size, element_size));
          es_event_unref (event);
          got++;
        }
      return got;
    }

  if (G_UNLIKELY (priv->ep->core->metrics != NULL))
    {
      /* Latency needs the publish times of the samples the implementation
       * picked: take payloads in chunks, with room for a time each. They
       * were all received now, so one clock read serves them all. */
      gint64 samples[256];
      const EsEventTypeInfo *info = priv->ep->type_info;
      guint n_samples = 0;
      gint64 now;

      n = klass->try_receive_data (self, data, element_size, MIN (max, G_N_ELEMENTS (samples)),
                                   samples, &n_samples);
      now = n_samples > 0 ? g_get_monotonic_time () : 0;
      for (guint i = 0; i < n_samples; i++)
        _es_metrics_record_picked (priv->ep->core->metrics, info->gtype, info->index, samples[i], now);
    }
  else
    n = klass->try_receive_data (self, data, element_size, max, NULL, NULL);
  if (n > 0)
    {
      _es_sub_endpoint_count_received (priv->ep, n, (guint64) n * element_size);
      if (priv->ep->space_wq != NULL)
        es_wait_queue_notify (priv->ep->space_wq);
      check_lag (self, priv);
    }
  return n;
}

typedef struct {
  EsEvent **events;
  guint8   *data;
  gsize     element_size;
  guint     max;
} PullRequest;

static guint
pull (EsSubscriber        *self,
      EsSubscriberPrivate *priv,
      const PullRequest   *req)
{
  if (req->events != NULL)
    return pull_events (self, priv, req->events, req->max);
  return pull_data (self, priv, req->data, req->element_size, req->max);
}

/* The one waiting loop behind every blocking receive. @deadline: -1 never,
 * 0 do not wait. */
static guint
pull_wait (EsSubscriber        *self,
           const PullRequest   *req,
           gint64               deadline,
           GCancellable        *cancellable,
           GError             **error)
{
  EsSubscriberPrivate *priv = PRIV (self);
  EsWaitQueue *wq = priv->ep->data_wq;
  EsCancelHook hook = { 0, NULL };
  guint spins = 0;
  guint yields = 0;
  gint64 spin_until = 0;
  gboolean slept = FALSE;
  /* Stored as budget + 1 so that a fresh endpoint (0) starts at the max. */
  gint stored = atomic_load_explicit (&priv->ep->spin_usec, memory_order_relaxed);
  gint budget = stored == 0 ? SPIN_MAX_USEC : stored - 1;
  gboolean crowded = FALSE;
  guint n = 0;

  for (;;)
    {
      guint key;

      n = pull (self, priv, req);
      if (n > 0)
        {
          /* Polling paid off only if the event came soon (a burst): then
           * allow more next time. An event that needed most of the budget,
           * or a sleep, means a steady trickle: poll less, sleep sooner. */
          if (spins > 0)
            {
              gboolean quick = !slept && (spin_until <= 0 ||
                                          g_get_monotonic_time () < spin_until - budget / 2);

              atomic_store_explicit (&priv->ep->spin_usec,
                                     1 + (quick ? MIN (MAX (budget * 2, 1), SPIN_MAX_USEC) : budget / 2),
                                     memory_order_relaxed);
            }
          break;
        }

      if (_es_sub_endpoint_is_closed (priv->ep))
        {
          /* Closed: whatever was queued before the close is still ours. */
          n = pull (self, priv, req);
          if (n == 0)
            g_set_error_literal (error, ES_ERROR, ES_ERROR_CLOSED,
                                 "The subscriber is closed and drained");
          break;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        break;
      if (deadline == 0)
        {
          g_set_error_literal (error, ES_ERROR, ES_ERROR_TIMEOUT, "No event is queued");
          break;
        }

      /* About to poll: not on a crowded machine (see SPIN_MAX_USEC), and
       * with no budget only to probe (SPIN_PROBE_EVERY). */
      if (spin_until >= 0 && spins == 0)
        {
          guint waits = atomic_load_explicit (&priv->ep->waits, memory_order_relaxed) + 1;

          atomic_store_explicit (&priv->ep->waits, waits, memory_order_relaxed);
          if (waits % CROWD_SAMPLE_EVERY == 0)
            es_cpus_sample ();
          if (atomic_load_explicit (&es_cpus_crowded, memory_order_relaxed))
            {
              crowded = TRUE;
              spin_until = -1;
            }
          else if (budget == 0)
            {
              if (waits % SPIN_PROBE_EVERY == 0)
                budget = SPIN_PROBE_USEC;
              else
                spin_until = -1;
            }
        }

      if (spin_until >= 0)
        {
          /* Pause first (the publisher is likely running on another core),
           * then yield (it may need ours); check the clock rarely. */
          if ((++spins & 15) == 0)
            {
              gint64 now = g_get_monotonic_time ();

              if (spin_until == 0)
                spin_until = now + budget;
              else if (now >= spin_until)
                spin_until = -1;
            }
          if (spins < 1024)
            es_cpu_relax ();
          else
            sched_yield ();
          continue;
        }

      /* Before sleeping, give the CPU away a couple of times: with more
       * threads than cores (fan-out) the publisher is often just waiting
       * for one, and a yield costs far less than the sleep's process-wide
       * barrier, the futex round trip and a wake per event. */
      if (yields < YIELDS_BEFORE_SLEEP)
        {
          gint skip = atomic_load_explicit (&priv->ep->skip_yields, memory_order_relaxed);

          if (skip > 0)
            {
              atomic_store_explicit (&priv->ep->skip_yields, skip - 1, memory_order_relaxed);
              yields = YIELDS_BEFORE_SLEEP;
            }
          else
            {
              gint64 before = g_get_monotonic_time ();

              yields++;
              sched_yield ();
              if (g_get_monotonic_time () - before < YIELD_FUTILE_USEC)
                {
                  atomic_store_explicit (&priv->ep->skip_yields, YIELD_BACKOFF, memory_order_relaxed);
                  yields = YIELDS_BEFORE_SLEEP;
                }
            }
          continue;
        }

      if (cancellable != NULL && hook.cancellable == NULL)
        es_cancel_hook_connect (&hook, cancellable, wq);

      slept = TRUE;
      key = es_wait_queue_prepare (wq);
      n = pull (self, priv, req);
      if (n > 0)
        {
          es_wait_queue_cancel (wq);
          /* Not polling on a crowded machine says nothing of the budget. */
          if (!crowded)
            atomic_store_explicit (&priv->ep->spin_usec, 1 + budget / 2, memory_order_relaxed);
          break;
        }
      if (_es_sub_endpoint_is_closed (priv->ep) || g_cancellable_is_cancelled (cancellable))
        {
          es_wait_queue_cancel (wq);
          continue;
        }
      if (!es_wait_queue_wait (wq, key, deadline))
        {
          n = pull (self, priv, req);
          if (n == 0)
            g_set_error_literal (error, ES_ERROR, ES_ERROR_TIMEOUT, "Timed out waiting for an event");
          break;
        }
    }

  es_cancel_hook_disconnect (&hook);
  return n;
}

static gboolean
check_data_size (EsSubscriber  *self,
                 gsize          size,
                 GError       **error)
{
  const EsEventTypeInfo *info = PRIV (self)->ep->type_info;

  if (info->kind != ES_EVENT_KIND_PLAIN || info->size == 0)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_TYPE_MISMATCH,
                   "%s is not a fixed-size plain-data event type; use es_subscriber_receive()",
                   g_type_name (info->gtype));
      return FALSE;
    }
  if (size != info->size)
    {
      g_set_error (error, ES_ERROR, ES_ERROR_INVALID_ARGUMENT,
                   "%s events are %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
                   g_type_name (info->gtype), info->size, size);
      return FALSE;
    }
  return TRUE;
}

/**
 * es_subscriber_receive:
 * @self: an #EsSubscriber
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Waits for the next event. Fails with %G_IO_ERROR_CANCELLED when
 * @cancellable is cancelled and with %ES_ERROR_CLOSED once the subscriber is
 * closed and drained. Never call this in a main-loop callback; use
 * es_subscriber_receive_async() or es_subscriber_attach() there.
 *
 * Returns: (transfer full): the event, or %NULL on error
 *
 * Since: 1.0
 */
EsEvent *
es_subscriber_receive (EsSubscriber  *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return es_subscriber_receive_timeout (self, -1, cancellable, error);
}

/**
 * es_subscriber_receive_timeout:
 * @self: an #EsSubscriber
 * @timeout: the longest wait in microseconds; -1 waits forever, 0 not at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * As es_subscriber_receive(), failing with %ES_ERROR_TIMEOUT when no event
 * arrives within @timeout.
 *
 * Returns: (transfer full): the event, or %NULL on error
 *
 * Since: 1.0
 */
EsEvent *
es_subscriber_receive_timeout (EsSubscriber  *self,
                               GTimeSpan      timeout,
                               GCancellable  *cancellable,
                               GError       **error)
{
  EsEvent *event = NULL;
  PullRequest req = { &event, NULL, 0, 1 };

  g_return_val_if_fail (ES_IS_SUBSCRIBER_FAST (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (pull_wait (self, &req, timeout == 0 ? 0 : es_deadline_from_timeout (timeout), cancellable, error) == 0)
    return NULL;
  return event;
}

/**
 * es_subscriber_try_receive:
 * @self: an #EsSubscriber
 * @error: return location for a #GError
 *
 * Takes the next event if one is queued, without waiting. An empty queue is
 * not an error: the result is %NULL and @error stays unset. Only a closed and
 * drained subscriber sets %ES_ERROR_CLOSED.
 *
 * Returns: (transfer full) (nullable): the event, or %NULL
 *
 * Since: 1.0
 */
EsEvent *
es_subscriber_try_receive (EsSubscriber  *self,
                           GError       **error)
{
  EsSubscriberPrivate *priv;
  EsEvent *event = NULL;

  g_return_val_if_fail (ES_IS_SUBSCRIBER_FAST (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  priv = PRIV (self);
  if (pull_events (self, priv, &event, 1) > 0)
    return event;

  if (_es_sub_endpoint_is_closed (priv->ep) &&
      pull_events (self, priv, &event, 1) == 0)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_CLOSED, "The subscriber is closed and drained");
      return NULL;
    }
  return event;
}

/**
 * es_subscriber_receive_data: (skip)
 * @self: an #EsSubscriber of a fixed-size plain-data type
 * @data: (out caller-allocates) (array length=size) (element-type guint8):
 *   where to copy the payload
 * @size: the size of @data; must equal the event type's size
 * @timeout: the longest wait in microseconds; -1 waits forever, 0 not at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the next payload into @data. On the static fast path this is the
 * allocation-free receive: no envelope is created. A wrong @size or a type
 * that is not plain data fails before anything is consumed.
 *
 * This is a C fast path; language bindings use es_subscriber_receive() and
 * es_event_get_data().
 *
 * Returns: %TRUE if @data was filled
 *
 * Since: 1.0
 */
gboolean
es_subscriber_receive_data (EsSubscriber  *self,
                            gpointer       data,
                            gsize          size,
                            GTimeSpan      timeout,
                            GCancellable  *cancellable,
                            GError       **error)
{
  return es_subscriber_receive_data_batch (self, data, size, 1, timeout, cancellable, error) == 1;
}

/**
 * es_subscriber_receive_data_batch: (skip)
 * @self: an #EsSubscriber of a fixed-size plain-data type
 * @data: room for @max_elements payloads of @element_size bytes
 * @element_size: the event type's size
 * @max_elements: the most payloads to copy, at least 1
 * @timeout: the longest wait for the first payload in microseconds; -1
 *   waits forever, 0 not at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Waits for at least one payload, then copies out as many as are queued, up
 * to @max_elements, with one cursor update for the whole batch.
 *
 * Returns: how many payloads were copied; 0 on error
 *
 * Since: 1.0
 */
guint
es_subscriber_receive_data_batch (EsSubscriber  *self,
                                  gpointer       data,
                                  gsize          element_size,
                                  guint          max_elements,
                                  GTimeSpan      timeout,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  PullRequest req = { NULL, data, element_size, max_elements };
  guint n;

  g_return_val_if_fail (ES_IS_SUBSCRIBER_FAST (self), 0);
  g_return_val_if_fail (data != NULL, 0);
  g_return_val_if_fail (max_elements > 0, 0);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!check_data_size (self, element_size, error))
    return 0;
  /* Queued already: no waiting loop to set up. */
  n = pull_data (self, PRIV (self), data, element_size, max_elements);
  if (G_LIKELY (n > 0))
    return n;
  return pull_wait (self, &req, timeout == 0 ? 0 : es_deadline_from_timeout (timeout), cancellable, error);
}

/**
 * es_subscriber_receive_batch:
 * @self: an #EsSubscriber
 * @max_events: the most events to return, at least 1
 * @timeout: the longest wait for the first event in microseconds; -1 waits
 *   forever, 0 not at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Waits for at least one event, then takes as many as are queued, up to
 * @max_events.
 *
 * Returns: (transfer container) (element-type EsEvent): the events, or %NULL
 *   on error. The array owns one reference to each event and drops it when
 *   freed, so C code just unrefs the array.
 *
 * Since: 1.0
 */
GPtrArray *
es_subscriber_receive_batch (EsSubscriber  *self,
                             guint          max_events,
                             GTimeSpan      timeout,
                             GCancellable  *cancellable,
                             GError       **error)
{
  GPtrArray *result;
  PullRequest req;
  guint n;

  g_return_val_if_fail (ES_IS_SUBSCRIBER_FAST (self), NULL);
  g_return_val_if_fail (max_events > 0, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Sized, not set_size(): that would zero max_events slots per call. */
  result = g_ptr_array_new_full (max_events, (GDestroyNotify) es_event_unref);
  req = (PullRequest) { (EsEvent **) result->pdata, NULL, 0, max_events };
  n = pull_wait (self, &req, timeout == 0 ? 0 : es_deadline_from_timeout (timeout), cancellable, error);
  if (n == 0)
    {
      g_ptr_array_set_free_func (result, NULL);
      g_ptr_array_unref (result);
      return NULL;
    }
  /* Shrink without running the free func on the taken events. */
  result->len = n;
  return result;
}

/* Main-loop delivery */

typedef struct
{
  EsWaitSource  ws;
  EsSubscriber *subscriber;   /* owned */
  guint         batch_size;
  GTask        *task;         /* owned; set for receive_async() */
} EsSubscriberSource;

static gboolean
subscriber_source_ready (gpointer data)
{
  EsSubscriber *self = data;

  return es_subscriber_get_queue_depth (self) > 0 ||
         _es_sub_endpoint_is_closed (PRIV (self)->ep);
}

static gboolean
subscriber_source_prepare (GSource *source,
                           gint    *timeout)
{
  *timeout = -1;
  return es_wait_source_poll_ready (source);
}

static gboolean
subscriber_source_check (GSource *source)
{
  EsWaitSource *ws = (EsWaitSource *) source;

  return ws->ready_func (ws->ready_data);
}

static void complete_async (GTask *task, EsEvent *event, GError *error);

static gboolean
subscriber_source_dispatch (GSource     *source,
                            GSourceFunc  callback,
                            gpointer     user_data)
{
  EsSubscriberSource *ss = (EsSubscriberSource *) source;
  EsSubscriber *self = ss->subscriber;
  EsSubscriberPrivate *priv = PRIV (self);
  EsSubscriberFunc func = (EsSubscriberFunc) callback;
  gboolean has_handlers;

  /* The notifier set ready-time 0 to wake us; re-arm for the next wake-up. */
  g_source_set_ready_time (source, -1);

  if (ss->task != NULL)
    {
      EsEvent *event = NULL;

      if (pull_events (self, priv, &event, 1) > 0)
        complete_async (ss->task, event, NULL);
      else if (_es_sub_endpoint_is_closed (priv->ep))
        complete_async (ss->task, NULL,
                        g_error_new_literal (ES_ERROR, ES_ERROR_CLOSED, "The subscriber is closed and drained"));
      else
        return G_SOURCE_CONTINUE;
      return G_SOURCE_REMOVE;
    }

  has_handlers = g_signal_has_handler_pending (self, signals[SIGNAL_EVENT], 0, TRUE);

  /* One event at a time, so that returning G_SOURCE_REMOVE never strands
   * events already taken from the queue. */
  for (guint i = 0; i < ss->batch_size; i++)
    {
      EsEvent *event = NULL;
      const EsTraceContext *previous;
      EsTraceContext trace;
      gboolean keep = TRUE;

      if (pull_events (self, priv, &event, 1) == 0)
        break;

      /* Events published from the handler inherit this event's trace-id. */
      _es_trace_context_resolve (&event->trace, &trace);
      previous = _es_trace_push_current (&trace);
      if (has_handlers)
        g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
      if (func != NULL)
        keep = func (self, event, user_data);
      _es_trace_pop_current (previous);
      es_event_unref (event);

      if (!keep)
        return G_SOURCE_REMOVE;
    }

  if (_es_sub_endpoint_is_closed (priv->ep) && es_subscriber_get_queue_depth (self) == 0)
    return G_SOURCE_REMOVE;
  return G_SOURCE_CONTINUE;
}

static void
subscriber_source_finalize (GSource *source)
{
  EsSubscriberSource *ss = (EsSubscriberSource *) source;

  g_clear_object (&ss->task);
  g_clear_object (&ss->subscriber);
}

static GSourceFuncs subscriber_source_funcs = {
  subscriber_source_prepare,
  subscriber_source_check,
  subscriber_source_dispatch,
  subscriber_source_finalize,
  NULL, NULL
};

static GSource *
subscriber_source_new (EsSubscriber *self)
{
  EsSubscriberPrivate *priv = PRIV (self);
  GSource *source;
  EsSubscriberSource *ss;
  char *name;

  source = es_wait_source_new (priv->ep->data_wq, subscriber_source_ready, self,
                               sizeof (EsSubscriberSource), &subscriber_source_funcs);
  ss = (EsSubscriberSource *) source;
  ss->subscriber = g_object_ref (self);
  ss->batch_size = priv->ep->core->config.batch_size;
  name = g_strdup_printf ("[eventsys] subscriber %s", es_subscriber_get_name (self));
  g_source_set_name (source, name);
  g_free (name);
  return source;
}

/**
 * es_subscriber_create_source:
 * @self: an #EsSubscriber
 *
 * Creates a #GSource that delivers this subscriber's events in the
 * #GMainContext it is attached to: each dispatch delivers up to
 * #EsEventSystem:batch-size events, emitting #EsSubscriber::event and calling
 * the callback (an #EsSubscriberFunc cast to #GSourceFunc with
 * g_source_set_callback()) for each. Publishers wake the context only when
 * the source is idle, once per batch rather than once per event. The source
 * removes itself once the subscriber is closed and drained.
 *
 * Returns: (transfer full): a new #GSource
 *
 * Since: 1.0
 */
GSource *
es_subscriber_create_source (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), NULL);

  return subscriber_source_new (self);
}

/**
 * es_subscriber_attach:
 * @self: an #EsSubscriber
 * @context: (nullable): the #GMainContext to deliver in; %NULL for the
 *   thread-default context of the calling thread
 * @func: (scope notified) (closure user_data) (destroy destroy) (nullable):
 *   called for each event; %NULL to deliver through #EsSubscriber::event only
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the source goes away
 *
 * Delivers this subscriber's events in @context (see
 * es_subscriber_create_source()). The context is captured now, so callbacks
 * and signal handlers only ever run on the thread iterating it — the rule
 * GJS and Python need. Events published from the callback inherit the trace
 * of the event being handled.
 *
 * Returns: the source id in @context
 *
 * Since: 1.0
 */
guint
es_subscriber_attach (EsSubscriber     *self,
                      GMainContext     *context,
                      EsSubscriberFunc  func,
                      gpointer          user_data,
                      GDestroyNotify    destroy)
{
  EsSubscriberPrivate *priv;
  g_autoptr(GMainContext) ctx = NULL;
  GSource *source;
  guint id;

  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), 0);

  priv = PRIV (self);
  ctx = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  source = subscriber_source_new (self);
  g_source_set_callback (source, (GSourceFunc) func, user_data, destroy);
  id = g_source_attach (source, ctx);

  pthread_mutex_lock (&priv->lock);
  priv->attached = g_slist_prepend (priv->attached, source);
  pthread_mutex_unlock (&priv->lock);

  return id;
}

/**
 * es_subscriber_detach:
 * @self: an #EsSubscriber
 *
 * Destroys every source es_subscriber_attach() created for @self. Events
 * stay queued for later receives.
 *
 * Since: 1.0
 */
void
es_subscriber_detach (EsSubscriber *self)
{
  EsSubscriberPrivate *priv;
  GSList *attached;

  g_return_if_fail (ES_IS_SUBSCRIBER (self));

  priv = PRIV (self);
  pthread_mutex_lock (&priv->lock);
  attached = g_steal_pointer (&priv->attached);
  pthread_mutex_unlock (&priv->lock);

  for (GSList *l = attached; l != NULL; l = l->next)
    g_source_destroy (l->data);
  g_slist_free_full (attached, (GDestroyNotify) g_source_unref);
}

/* Asynchronous receive */

typedef struct {
  GSource *wait_source;     /* owned */
  GSource *cancel_source;   /* owned */
  gboolean done;
} AsyncData;

static void
async_data_free (AsyncData *data)
{
  if (data->wait_source != NULL)
    {
      g_source_destroy (data->wait_source);
      g_source_unref (data->wait_source);
    }
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_free (data);
}

/* Runs in the task's context; exactly one completion wins. */
static void
complete_async (GTask   *task,
                EsEvent *event,
                GError  *error)
{
  AsyncData *data = g_task_get_task_data (task);

  if (data->done)
    {
      if (event != NULL)
        es_event_unref (event);
      g_clear_error (&error);
      return;
    }
  data->done = TRUE;

  g_object_ref (task);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, event, (GDestroyNotify) es_event_unref);
  /* The wait source holds a reference on the task: drop both sources now to
   * break that cycle (GLib keeps a dispatching source alive on its own). */
  if (data->wait_source != NULL)
    {
      g_source_destroy (data->wait_source);
      g_clear_pointer (&data->wait_source, g_source_unref);
    }
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_clear_pointer (&data->cancel_source, g_source_unref);
    }
  g_object_unref (task);
}

static gboolean
async_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  complete_async (task, NULL, error);
  return G_SOURCE_REMOVE;
}

/**
 * es_subscriber_receive_async:
 * @self: an #EsSubscriber
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when an event arrives, the subscriber is
 *   closed and drained, or @cancellable is cancelled
 * @user_data: data for @callback
 *
 * Waits for the next event without blocking the main loop. The callback
 * runs in the thread-default main context of the caller; complete with
 * es_subscriber_receive_finish(). Works with `Gio._promisify()` in GJS and
 * with callbacks in PyGObject.
 *
 * Since: 1.0
 */
void
es_subscriber_receive_async (EsSubscriber        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  EsSubscriberPrivate *priv;
  g_autoptr(GTask) task = NULL;
  AsyncData *data;
  EsEvent *event = NULL;
  EsSubscriberSource *ss;

  g_return_if_fail (ES_IS_SUBSCRIBER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = PRIV (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, es_subscriber_receive_async);
  g_task_set_name (task, "[eventsys] receive");
  data = g_new0 (AsyncData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) async_data_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (pull_events (self, priv, &event, 1) > 0)
    {
      complete_async (task, event, NULL);
      return;
    }
  if (_es_sub_endpoint_is_closed (priv->ep) && pull_events (self, priv, &event, 1) == 0)
    {
      complete_async (task, NULL,
                      g_error_new_literal (ES_ERROR, ES_ERROR_CLOSED, "The subscriber is closed and drained"));
      return;
    }
  if (event != NULL)
    {
      complete_async (task, event, NULL);
      return;
    }

  data->wait_source = subscriber_source_new (self);
  ss = (EsSubscriberSource *) data->wait_source;
  ss->task = g_object_ref (task);
  g_task_attach_source (task, data->wait_source, (GSourceFunc) G_SOURCE_FUNC (NULL));

  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_task_attach_source (task, data->cancel_source, (GSourceFunc) G_SOURCE_FUNC (async_cancelled_cb));
    }
}

/**
 * es_subscriber_receive_finish:
 * @self: an #EsSubscriber
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Completes es_subscriber_receive_async().
 *
 * Returns: (transfer full): the event, or %NULL on error
 *
 * Since: 1.0
 */
EsEvent *
es_subscriber_receive_finish (EsSubscriber  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == es_subscriber_receive_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Lifecycle and counters */

/**
 * es_subscriber_unsubscribe:
 * @self: an #EsSubscriber
 *
 * Stops the subscription: publishers no longer deliver to it, blocked
 * publishers waiting on it are released, what is still queued is discarded
 * (counted as dropped) and receives fail with %ES_ERROR_CLOSED. Attached
 * sources remove themselves. Harmless to call twice.
 *
 * Since: 1.0
 */
void
es_subscriber_unsubscribe (EsSubscriber *self)
{
  g_return_if_fail (ES_IS_SUBSCRIBER (self));

  _es_subscriber_mark_closed (self, TRUE);
}

/**
 * es_subscriber_is_closed:
 * @self: an #EsSubscriber
 *
 * Checks whether the subscriber was unsubscribed or its system shut down.
 *
 * Returns: whether the subscriber was unsubscribed or its system shut down
 *
 * Since: 1.0
 */
gboolean
es_subscriber_is_closed (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), TRUE);

  return _es_sub_endpoint_is_closed (PRIV (self)->ep);
}

/**
 * es_subscriber_get_system:
 * @self: an #EsSubscriber
 *
 * Gets the system.
 *
 * Returns: (transfer none): the system
 *
 * Since: 1.0
 */
EsEventSystem *
es_subscriber_get_system (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), NULL);
  return PRIV (self)->system;
}

/**
 * es_subscriber_get_event_type:
 * @self: an #EsSubscriber
 *
 * Gets the subscribed event type.
 *
 * Returns: the subscribed event type
 *
 * Since: 1.0
 */
GType
es_subscriber_get_event_type (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), G_TYPE_INVALID);
  return PRIV (self)->event_type;
}

/**
 * es_subscriber_get_id:
 * @self: an #EsSubscriber
 *
 * Gets a process-unique id.
 *
 * Returns: a process-unique id
 *
 * Since: 1.0
 */
guint64
es_subscriber_get_id (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), 0);
  return PRIV (self)->id;
}

/**
 * es_subscriber_get_name:
 * @self: an #EsSubscriber
 *
 * Gets the name used in metrics and diagnostics. Valid until the next
 * es_subscriber_set_name(); set names before sharing the subscriber.
 *
 * Returns: the name used in metrics and diagnostics. Valid until the next
 *   es_subscriber_set_name(); set names before sharing the subscriber.
 *
 * Since: 1.0
 */
const char *
es_subscriber_get_name (EsSubscriber *self)
{
  EsSubscriberPrivate *priv;
  const char *name;

  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), NULL);

  priv = PRIV (self);
  pthread_mutex_lock (&priv->lock);
  name = priv->name;
  pthread_mutex_unlock (&priv->lock);
  return name;
}

/**
 * es_subscriber_set_name:
 * @self: an #EsSubscriber
 * @name: a name for metrics and diagnostics
 *
 * Names the subscriber. Set it right after subscribing, before other threads
 * read it.
 *
 * Since: 1.0
 */
void
es_subscriber_set_name (EsSubscriber *self,
                        const char   *name)
{
  EsSubscriberPrivate *priv;
  gboolean changed;

  g_return_if_fail (ES_IS_SUBSCRIBER (self));
  g_return_if_fail (name != NULL);

  priv = PRIV (self);
  pthread_mutex_lock (&priv->lock);
  changed = g_strcmp0 (priv->name, name) != 0;
  if (changed)
    {
      g_free (priv->name);
      priv->name = g_strdup (name);
    }
  pthread_mutex_unlock (&priv->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

/**
 * es_subscriber_get_published_count:
 * @self: an #EsSubscriber
 *
 * Gets events published to this subscriber since it subscribed.
 *
 * While publishes are in flight the count includes the ones that have
 * claimed their place in this subscriber's queue but not yet filled it, and
 * on the zero-copy path it may step back by one when a publish that
 * reserved a place is then rejected (all or nothing) or finds the queue
 * full; the accounting identity in #EsSubscriber's description holds
 * whenever no publish is in flight.
 *
 * Returns: events published to this subscriber since it subscribed
 *
 * Since: 1.0
 */
guint64
es_subscriber_get_published_count (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), 0);
  return ES_SUBSCRIBER_GET_CLASS (self)->get_published_count (self);
}

/**
 * es_subscriber_get_received_count:
 * @self: an #EsSubscriber
 *
 * Gets events delivered by receives and main-loop dispatch.
 *
 * Returns: events delivered by receives and main-loop dispatch
 *
 * Since: 1.0
 */
guint64
es_subscriber_get_received_count (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), 0);
  return _es_sub_endpoint_get_received (PRIV (self)->ep);
}

/**
 * es_subscriber_get_dropped_count:
 * @self: an #EsSubscriber
 *
 * Gets events that backpressure dropped from this subscriber's queue, or
 * that unsubscribing discarded.
 *
 * Returns: events that backpressure dropped from this subscriber's queue, or
 *   that unsubscribing discarded
 *
 * Since: 1.0
 */
guint64
es_subscriber_get_dropped_count (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), 0);
  return atomic_load_explicit (&PRIV (self)->ep->dropped, memory_order_relaxed);
}

/**
 * es_subscriber_get_filtered_count:
 * @self: an #EsSubscriber
 *
 * Gets events the subscriber's filter rejected.
 *
 * Returns: events the subscriber's filter rejected
 *
 * Since: 1.0
 */
guint64
es_subscriber_get_filtered_count (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), 0);
  return atomic_load_explicit (&PRIV (self)->ep->filtered, memory_order_relaxed);
}

/**
 * es_subscriber_get_queue_depth:
 * @self: an #EsSubscriber
 *
 * Gets events queued for this subscriber now.
 *
 * Returns: events queued for this subscriber now
 *
 * Since: 1.0
 */
gsize
es_subscriber_get_queue_depth (EsSubscriber *self)
{
  g_return_val_if_fail (ES_IS_SUBSCRIBER (self), 0);
  return ES_SUBSCRIBER_GET_CLASS (self)->get_queue_depth (self);
}
