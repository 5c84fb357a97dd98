/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "es-event-private.h"
#include "es-trace-private.h"
#include "es-zero-copy-private.h"

/**
 * EsZeroCopyEventSystem:
 *
 * The zero-copy implementation: each publish creates (or reuses) one
 * refcounted #EsEvent and queues a reference to it for every matching
 * subscriber, so payloads of any size — plain data, #GObject, #GBytes (for
 * example the memory of a GstBuffer), #GVariant — are never copied.
 *
 * Extras over the common API:
 * - priority lanes (#EsEventSystem:enable-priority): a higher
 *   #EsEventPriority overtakes queued lower ones;
 * - subtype matching: a subscription to a #GObject type receives the events
 *   of its subclasses;
 * - handler subscriptions (es_zero_copy_event_system_add_handler()) run on a
 *   dispatch pool with at most #EsEventSystem:max-concurrent-dispatches
 *   handlers at once, each handler seeing its events in order;
 * - a subscription registry in #EsEventSystem:shard-count independently
 *   locked shards.
 *
 * Handler subscriptions keep the system alive until they are removed or the
 * system is shut down.
 *
 * Since: 1.0
 */

typedef struct {
  pthread_mutex_t lock;
  GHashTable     *subs_by_type;     /* GType → GPtrArray of EsZcEndpoint *, unowned (removed on close) */
} EsZcShard;

/* A handler subscription. Owned by its endpoint (freed with it), so a
 * publisher holding the endpoint in a stale target list can always read it. */
struct _EsZcHandler
{
  EsZeroCopyEventSystem  *system;      /* unowned; each dispatch task holds a reference */
  EsZcEndpoint           *ep;          /* unowned: the endpoint owns us */
  EsEventHandler          func;
  gpointer                data;
  GDestroyNotify          destroy;
  guint                   id;
  atomic_int              scheduled;   /* 1 while queued on or running in the pool */
  atomic_int              removed;
  atomic_int              data_destroyed;
};

struct _EsZeroCopyEventSystem
{
  EsEventSystem    parent_instance;
  EsZcShard       *shards;             /* owned, n_shards */
  guint            n_shards;
  pthread_mutex_t  lock;               /* protects sequences' creation, handlers, pool creation */
  _Atomic (EsZcSequence *) sequences[ES_EVENT_TYPE_MAX];  /* owned, per type */
  GHashTable      *handlers;           /* id → EsSubscriber *, owned */
  guint            next_handler_id;
  _Atomic (GThreadPool *) pool;        /* owned */
  atomic_uint      active;
  atomic_uint      peak;
};

G_DEFINE_FINAL_TYPE (EsZeroCopyEventSystem, es_zero_copy_event_system, ES_TYPE_EVENT_SYSTEM)

static EsZcShard *
shard_for (EsZeroCopyEventSystem *self,
           const EsEventTypeInfo *info)
{
  return &self->shards[info->index % self->n_shards];
}

EsSubList *
_es_zero_copy_event_system_collect (EsZeroCopyEventSystem *self,
                                    GType                  event_type)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) _es_sub_endpoint_unref);

  /* The type and its ancestors: a subscription to a parent type receives
   * its subclasses' events. Only registered types can have subscribers. */
  for (GType t = event_type; t != G_TYPE_INVALID; t = g_type_parent (t))
    {
      const EsEventTypeInfo *info = _es_event_type_find (t);
      EsZcShard *shard;
      GPtrArray *subs;

      if (info == NULL)
        continue;
      shard = shard_for (self, info);
      pthread_mutex_lock (&shard->lock);
      subs = g_hash_table_lookup (shard->subs_by_type, GSIZE_TO_POINTER (t));
      /* Referenced under the lock: subscribers leave the shards in
       * dispose, before their last reference goes. */
      for (guint i = 0; subs != NULL && i < subs->len; i++)
        g_ptr_array_add (found, _es_sub_endpoint_ref (g_ptr_array_index (subs, i)));
      pthread_mutex_unlock (&shard->lock);
    }

  return _es_sub_list_new ((EsSubEndpoint * const *) found->pdata, found->len);
}

void
_es_zero_copy_event_system_unregister (EsZeroCopyEventSystem *self,
                                       EsZcEndpoint          *subscriber)
{
  GType type = subscriber->event_type;
  EsZcShard *shard = shard_for (self, _es_event_type_find (type));
  GPtrArray *subs;

  pthread_mutex_lock (&shard->lock);
  _es_event_system_begin_change (ES_EVENT_SYSTEM (self));
  subs = g_hash_table_lookup (shard->subs_by_type, GSIZE_TO_POINTER (type));
  if (subs != NULL)
    g_ptr_array_remove_fast (subs, subscriber);
  _es_event_system_end_change (ES_EVENT_SYSTEM (self));
  pthread_mutex_unlock (&shard->lock);
}

static EsZcSequence *
get_sequence (EsZeroCopyEventSystem *self,
              const EsEventTypeInfo *info)
{
  EsZcSequence *seq = atomic_load_explicit (&self->sequences[info->index], memory_order_acquire);

  if (seq != NULL)
    return seq;

  pthread_mutex_lock (&self->lock);
  seq = atomic_load_explicit (&self->sequences[info->index], memory_order_relaxed);
  if (seq == NULL)
    {
      /* Own cache line: every publisher of the type bumps it. */
      seq = g_aligned_alloc0 (1, MAX (sizeof (EsZcSequence), ES_CACHELINE), ES_CACHELINE);
      atomic_init (&seq->next, 0);
      es_owner_init (&seq->owner);
      atomic_store_explicit (&self->sequences[info->index], seq, memory_order_release);
    }
  pthread_mutex_unlock (&self->lock);
  return seq;
}

static gboolean
es_zero_copy_event_system_supports_type (EsEventSystem *system,
                                         GType          event_type)
{
  return _es_event_type_lookup (event_type) != NULL;
}

static EsPublisher *
es_zero_copy_event_system_create_publisher (EsEventSystem  *system,
                                            GType           event_type,
                                            GError        **error)
{
  EsZeroCopyEventSystem *self = ES_ZERO_COPY_EVENT_SYSTEM (system);

  return _es_zero_copy_publisher_new (system, event_type,
                                      get_sequence (self, _es_event_type_lookup (event_type)));
}

static gboolean
_es_zero_copy_event_system_register (EsZeroCopyEventSystem  *self,
                                     EsSubscriber           *subscriber,
                                     GError                **error)
{
  EsEventSystem *system = ES_EVENT_SYSTEM (self);
  GType event_type = es_subscriber_get_event_type (subscriber);
  const EsEventTypeInfo *info = _es_event_type_lookup (event_type);
  EsZcShard *shard = shard_for (self, info);
  GPtrArray *subs;

  if (es_event_system_get_state (system) == ES_EVENT_SYSTEM_STATE_STOPPED)
    {
      g_set_error_literal (error, ES_ERROR, ES_ERROR_SHUT_DOWN, "The event system has been shut down");
      return FALSE;
    }

  pthread_mutex_lock (&shard->lock);
  _es_event_system_begin_change (system);
  subs = g_hash_table_lookup (shard->subs_by_type, GSIZE_TO_POINTER (event_type));
  if (subs == NULL)
    {
      subs = g_ptr_array_new ();
      g_hash_table_insert (shard->subs_by_type, GSIZE_TO_POINTER (event_type), subs);
    }
  g_ptr_array_add (subs, ((EsZeroCopySubscriber *) subscriber)->ep);
  _es_event_system_end_change (system);
  pthread_mutex_unlock (&shard->lock);

  return TRUE;
}

static EsSubscriber *
es_zero_copy_event_system_subscribe (EsEventSystem  *system,
                                     GType           event_type,
                                     GError        **error)
{
  EsSubscriber *subscriber = _es_zero_copy_subscriber_new (system, event_type);

  if (!_es_zero_copy_event_system_register (ES_ZERO_COPY_EVENT_SYSTEM (system), subscriber, error))
    g_clear_object (&subscriber);
  return subscriber;
}

static gboolean _es_zero_copy_event_system_register (EsZeroCopyEventSystem  *self,
                                                     EsSubscriber           *subscriber,
                                                     GError                **error);

/* Handler subscriptions */

/* Frees the user data once nothing can run the handler any more: at
 * removal when it is idle, else when its running dispatch ends. */
static void
handler_destroy_data (EsZcHandler *handler)
{
  if (atomic_exchange (&handler->data_destroyed, 1) == 0 && handler->destroy != NULL)
    handler->destroy (handler->data);
}

void
_es_zero_copy_handler_free (EsZcHandler *handler)
{
  handler_destroy_data (handler);
  g_free (handler);
}

/* One run of a handler on the pool. The task is the handler; it owns a
 * reference on the handler's endpoint and on the system. */
static void
handler_dispatch (gpointer data,
                  gpointer user_data)
{
  EsZcHandler *handler = data;
  EsZcEndpoint *ep;
  EsZeroCopyEventSystem *self;
  guint batch;
  guint active, peak;

  /* First, acquire what the kick released: GThreadPool hands `handler`
   * over through GLib locks ThreadSanitizer cannot see. */
  (void) atomic_load_explicit (&handler->scheduled, memory_order_acquire);
  ep = handler->ep;
  self = handler->system;
  batch = ep->base.core->config.batch_size;

  for (;;)
    {
      guint n = 0;

      active = atomic_fetch_add_explicit (&self->active, 1, memory_order_relaxed) + 1;
      peak = atomic_load_explicit (&self->peak, memory_order_relaxed);
      while (active > peak &&
             !atomic_compare_exchange_weak_explicit (&self->peak, &peak, active,
                                                     memory_order_relaxed, memory_order_relaxed))
        ;

      while (n < batch && !atomic_load_explicit (&handler->removed, memory_order_acquire))
        {
          EsEvent *event = _es_zc_queue_pop (ep->queue);
          const EsTraceContext *previous;
          EsTraceContext trace;

          if (event == NULL)
            break;
          _es_zero_copy_settle_event (event, ep->buffer);
          atomic_fetch_add_explicit (&ep->base.received, 1, memory_order_relaxed);
          es_wait_queue_notify (&ep->space_wq);

          /* No lock is held here: a slow handler only delays itself. */
          _es_trace_context_resolve (&event->trace, &trace);
          previous = _es_trace_push_current (&trace);
          handler->func (event, handler->data);
          _es_trace_pop_current (previous);
          es_event_unref (event);
          n++;
        }

      if (n == batch && !atomic_load (&handler->removed))
        {
          /* Let other handlers run: requeue, passing our references on. */
          atomic_fetch_sub_explicit (&self->active, 1, memory_order_relaxed);
          /* Release again for the next run's acquire. */
          atomic_store_explicit (&handler->scheduled, 1, memory_order_release);
          g_thread_pool_push (atomic_load (&self->pool), handler, NULL);
          return;
        }

      /* Not running from here on: a kick may start the next run. */
      atomic_fetch_sub_explicit (&self->active, 1, memory_order_relaxed);
      if (atomic_load (&handler->removed))
        {
          /* Removed while we ran: `scheduled` stays set, nothing runs again. */
          handler_destroy_data (handler);
          break;
        }
      atomic_store_explicit (&handler->scheduled, 0, memory_order_seq_cst);
      if (_es_zc_queue_depth (ep->queue) == 0 ||
          atomic_exchange_explicit (&handler->scheduled, 1, memory_order_acq_rel) != 0)
        break;
    }

  _es_sub_endpoint_unref (&ep->base);
  /* May finalize the system: its pool is freed without waiting for us. */
  g_object_unref (self);
}

void
_es_zero_copy_handler_kick (EsZcEndpoint *ep)
{
  EsZcHandler *handler = ep->handler;

  if (atomic_load_explicit (&handler->removed, memory_order_relaxed))
    return;
  if (atomic_exchange_explicit (&handler->scheduled, 1, memory_order_acq_rel) == 0)
    {
      g_object_ref (handler->system);
      _es_sub_endpoint_ref (&ep->base);
      g_thread_pool_push (atomic_load (&handler->system->pool), handler, NULL);
    }
}

/**
 * es_zero_copy_event_system_add_handler:
 * @self: an #EsZeroCopyEventSystem
 * @event_type: the event type to handle (subclasses included)
 * @handler: (scope notified) (closure user_data) (destroy destroy): called
 *   for each event on the dispatch pool
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data once the handler is removed and no
 *   longer referenced
 * @error: return location for a #GError
 *
 * Subscribes @handler to @event_type. Handlers run on a pool of threads, at
 * most #EsEventSystem:max-concurrent-dispatches at once; one handler sees its
 * events one at a time and in order, and a slow handler never holds up the
 * others. See #EsEventHandler for what this means for bindings.
 *
 * Returns: a handler id for es_zero_copy_event_system_remove_handler(), or
 *   0 on error
 *
 * Since: 1.0
 */
guint
es_zero_copy_event_system_add_handler (EsZeroCopyEventSystem  *self,
                                       GType                   event_type,
                                       EsEventHandler          handler,
                                       gpointer                user_data,
                                       GDestroyNotify          destroy,
                                       GError                **error)
{
  EsEventSystem *system = (EsEventSystem *) self;
  EsSubscriber *subscriber;
  EsZcHandler *h;
  guint id;

  g_return_val_if_fail (ES_IS_ZERO_COPY_EVENT_SYSTEM (self), 0);
  g_return_val_if_fail (handler != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  pthread_mutex_lock (&self->lock);
  if (atomic_load (&self->pool) == NULL)
    {
      guint max = _es_event_system_get_core (system)->config.max_concurrent_dispatches;

      atomic_store (&self->pool, g_thread_pool_new (handler_dispatch, NULL, (gint) max, FALSE, NULL));
    }
  id = ++self->next_handler_id;
  pthread_mutex_unlock (&self->lock);

  h = g_new0 (EsZcHandler, 1);
  h->system = self;
  h->func = handler;
  h->data = user_data;
  h->destroy = destroy;
  h->id = id;
  atomic_init (&h->scheduled, 0);
  atomic_init (&h->removed, 0);
  atomic_init (&h->data_destroyed, 0);

  /* Created and attached before it is registered: no publisher ever sees
   * the endpoint without its handler. */
  subscriber = _es_zero_copy_subscriber_new (system, event_type);
  ((EsZeroCopySubscriber *) subscriber)->ep->handler = h;
  h->ep = ((EsZeroCopySubscriber *) subscriber)->ep;
  {
    g_autofree char *name = g_strdup_printf ("%s#handler-%u", g_type_name (event_type), id);

    es_subscriber_set_name (subscriber, name);
  }
  if (!_es_zero_copy_event_system_register (self, subscriber, error))
    {
      g_object_unref (subscriber);
      return 0;
    }

  _es_event_system_add_subscriber (system, subscriber);

  pthread_mutex_lock (&self->lock);
  g_hash_table_insert (self->handlers, GUINT_TO_POINTER (id), subscriber);
  pthread_mutex_unlock (&self->lock);

  return id;
}

static void
remove_handler (EsSubscriber *subscriber)
{
  EsZcHandler *h = ((EsZeroCopySubscriber *) subscriber)->ep->handler;

  atomic_store (&h->removed, 1);
  /* Idle: claim `scheduled` for good and free the data now; otherwise the
   * queued or running dispatch does it when it sees `removed`. */
  if (atomic_exchange (&h->scheduled, 1) == 0)
    handler_destroy_data (h);
  es_subscriber_unsubscribe (subscriber);
  g_object_unref (subscriber);
}

/**
 * es_zero_copy_event_system_remove_handler:
 * @self: an #EsZeroCopyEventSystem
 * @handler_id: an id from es_zero_copy_event_system_add_handler()
 *
 * Removes a handler subscription: events still queued for it are dropped; a
 * call already running finishes, no new one starts.
 *
 * Since: 1.0
 */
void
es_zero_copy_event_system_remove_handler (EsZeroCopyEventSystem *self,
                                          guint                  handler_id)
{
  EsSubscriber *subscriber;

  g_return_if_fail (ES_IS_ZERO_COPY_EVENT_SYSTEM (self));

  pthread_mutex_lock (&self->lock);
  subscriber = g_hash_table_lookup (self->handlers, GUINT_TO_POINTER (handler_id));
  if (subscriber != NULL)
    g_hash_table_steal (self->handlers, GUINT_TO_POINTER (handler_id));
  pthread_mutex_unlock (&self->lock);

  if (subscriber == NULL)
    {
      /* Shutdown already ended every handler: removing one then is harmless. */
      if (es_event_system_get_state (ES_EVENT_SYSTEM (self)) != ES_EVENT_SYSTEM_STATE_STOPPED)
        g_critical ("No handler with id %u", handler_id);
      return;
    }
  remove_handler (subscriber);
}

/**
 * es_zero_copy_event_system_get_shard_count:
 * @self: an #EsZeroCopyEventSystem
 *
 * Gets how many shards the subscription registry has.
 *
 * Returns: how many shards the subscription registry has
 *
 * Since: 1.0
 */
guint
es_zero_copy_event_system_get_shard_count (EsZeroCopyEventSystem *self)
{
  g_return_val_if_fail (ES_IS_ZERO_COPY_EVENT_SYSTEM (self), 0);
  return self->n_shards;
}

/**
 * es_zero_copy_event_system_get_active_dispatches:
 * @self: an #EsZeroCopyEventSystem
 *
 * Gets how many handlers are running now.
 *
 * Returns: how many handlers are running now
 *
 * Since: 1.0
 */
guint
es_zero_copy_event_system_get_active_dispatches (EsZeroCopyEventSystem *self)
{
  g_return_val_if_fail (ES_IS_ZERO_COPY_EVENT_SYSTEM (self), 0);
  return atomic_load (&self->active);
}

/**
 * es_zero_copy_event_system_get_peak_dispatches:
 * @self: an #EsZeroCopyEventSystem
 *
 * Gets the most handlers that ran at once so far.
 *
 * Returns: the most handlers that ran at once so far
 *
 * Since: 1.0
 */
guint
es_zero_copy_event_system_get_peak_dispatches (EsZeroCopyEventSystem *self)
{
  g_return_val_if_fail (ES_IS_ZERO_COPY_EVENT_SYSTEM (self), 0);
  return atomic_load (&self->peak);
}

static void
es_zero_copy_event_system_shutdown (EsEventSystem *system)
{
  EsZeroCopyEventSystem *self = ES_ZERO_COPY_EVENT_SYSTEM (system);
  GHashTable *handlers;
  GHashTableIter iter;
  gpointer value;

  /* Handler subscriptions hold the system: end them so it can go. */
  pthread_mutex_lock (&self->lock);
  handlers = self->handlers;
  self->handlers = g_hash_table_new (NULL, NULL);
  pthread_mutex_unlock (&self->lock);

  g_hash_table_iter_init (&iter, handlers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    remove_handler (value);
  g_hash_table_unref (handlers);
}

static void
es_zero_copy_event_system_constructed (GObject *object)
{
  EsZeroCopyEventSystem *self = ES_ZERO_COPY_EVENT_SYSTEM (object);

  G_OBJECT_CLASS (es_zero_copy_event_system_parent_class)->constructed (object);

  self->n_shards = _es_event_system_get_core (ES_EVENT_SYSTEM (self))->config.shard_count;
  self->shards = g_new0 (EsZcShard, self->n_shards);
  for (guint i = 0; i < self->n_shards; i++)
    {
      pthread_mutex_init (&self->shards[i].lock, NULL);
      self->shards[i].subs_by_type = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
    }
}

static void
es_zero_copy_event_system_finalize (GObject *object)
{
  EsZeroCopyEventSystem *self = ES_ZERO_COPY_EVENT_SYSTEM (object);

  /* Pool tasks hold handlers, which hold subscribers, which hold us: by now
   * the pool is idle. */
  /* Not waiting: the last dispatch task may be what finalizes us. */
  if (atomic_load (&self->pool) != NULL)
    g_thread_pool_free (atomic_load (&self->pool), FALSE, FALSE);
  g_hash_table_unref (self->handlers);
  for (guint i = 0; i < self->n_shards; i++)
    {
      pthread_mutex_destroy (&self->shards[i].lock);
      g_hash_table_unref (self->shards[i].subs_by_type);
    }
  g_free (self->shards);
  for (guint i = 0; i < ES_EVENT_TYPE_MAX; i++)
    {
      EsZcSequence *seq = atomic_load (&self->sequences[i]);

      if (seq != NULL)
        g_aligned_free (seq);
    }
  pthread_mutex_destroy (&self->lock);

  G_OBJECT_CLASS (es_zero_copy_event_system_parent_class)->finalize (object);
}

static void
es_zero_copy_event_system_class_init (EsZeroCopyEventSystemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  EsEventSystemClass *system_class = ES_EVENT_SYSTEM_CLASS (klass);

  object_class->constructed = es_zero_copy_event_system_constructed;
  object_class->finalize = es_zero_copy_event_system_finalize;

  system_class->supports_type = es_zero_copy_event_system_supports_type;
  system_class->create_publisher = es_zero_copy_event_system_create_publisher;
  system_class->subscribe = es_zero_copy_event_system_subscribe;
  system_class->shutdown = es_zero_copy_event_system_shutdown;
}

static void
es_zero_copy_event_system_init (EsZeroCopyEventSystem *self)
{
  pthread_mutex_init (&self->lock, NULL);
  for (guint i = 0; i < ES_EVENT_TYPE_MAX; i++)
    atomic_init (&self->sequences[i], NULL);
  self->handlers = g_hash_table_new (NULL, NULL);
  atomic_init (&self->pool, NULL);
  atomic_init (&self->active, 0);
  atomic_init (&self->peak, 0);
}
