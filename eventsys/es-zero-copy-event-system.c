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
  GHashTable     *subs_by_type;     /* GType → GPtrArray of EsZeroCopySubscriber *, unowned */
} EsZcShard;

struct _EsZcHandler
{
  atomic_int              ref_count;
  EsZeroCopyEventSystem  *system;      /* unowned: the subscriber keeps it alive */
  EsSubscriber           *subscriber;  /* owned */
  EsEventHandler          func;
  gpointer                data;
  GDestroyNotify          destroy;
  guint                   id;
  atomic_int              scheduled;   /* 1 while queued on or running in the pool */
  atomic_int              removed;
};

struct _EsZeroCopyEventSystem
{
  EsEventSystem    parent_instance;
  EsZcShard       *shards;             /* owned, n_shards */
  guint            n_shards;
  pthread_mutex_t  lock;               /* protects sequences' creation, handlers, pool */
  _Atomic (atomic_uint_least64_t *) sequences[ES_EVENT_TYPE_MAX];  /* owned, per type */
  GHashTable      *handlers;           /* id → EsZcHandler *, owned */
  guint            next_handler_id;
  GThreadPool     *pool;               /* owned */
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
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_object_unref);

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
        g_ptr_array_add (found, g_object_ref (g_ptr_array_index (subs, i)));
      pthread_mutex_unlock (&shard->lock);
    }

  return _es_sub_list_new ((EsSubscriber * const *) found->pdata, found->len);
}

void
_es_zero_copy_event_system_unregister (EsZeroCopyEventSystem *self,
                                       EsZeroCopySubscriber  *subscriber)
{
  GType type = es_subscriber_get_event_type (ES_SUBSCRIBER (subscriber));
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

static atomic_uint_least64_t *
get_sequence (EsZeroCopyEventSystem *self,
              const EsEventTypeInfo *info)
{
  atomic_uint_least64_t *seq = atomic_load_explicit (&self->sequences[info->index], memory_order_acquire);

  if (seq != NULL)
    return seq;

  pthread_mutex_lock (&self->lock);
  seq = atomic_load_explicit (&self->sequences[info->index], memory_order_relaxed);
  if (seq == NULL)
    {
      /* Own cache line: every publisher of the type bumps it. */
      seq = g_aligned_alloc0 (1, ES_CACHELINE, ES_CACHELINE);
      atomic_init (seq, 0);
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

static EsSubscriber *
es_zero_copy_event_system_subscribe (EsEventSystem  *system,
                                     GType           event_type,
                                     GError        **error)
{
  EsZeroCopyEventSystem *self = ES_ZERO_COPY_EVENT_SYSTEM (system);
  const EsEventTypeInfo *info = _es_event_type_lookup (event_type);
  EsSubscriber *subscriber = _es_zero_copy_subscriber_new (system, event_type);
  EsZcShard *shard = shard_for (self, info);
  GPtrArray *subs;

  pthread_mutex_lock (&shard->lock);
  _es_event_system_begin_change (system);
  subs = g_hash_table_lookup (shard->subs_by_type, GSIZE_TO_POINTER (event_type));
  if (subs == NULL)
    {
      subs = g_ptr_array_new ();
      g_hash_table_insert (shard->subs_by_type, GSIZE_TO_POINTER (event_type), subs);
    }
  g_ptr_array_add (subs, subscriber);
  _es_event_system_end_change (system);
  pthread_mutex_unlock (&shard->lock);

  return subscriber;
}

/* Handler subscriptions */

static EsZcHandler *
handler_ref (EsZcHandler *handler)
{
  atomic_fetch_add_explicit (&handler->ref_count, 1, memory_order_relaxed);
  return handler;
}

static void
handler_unref (EsZcHandler *handler)
{
  if (atomic_fetch_sub_explicit (&handler->ref_count, 1, memory_order_acq_rel) != 1)
    return;
  if (handler->destroy != NULL)
    handler->destroy (handler->data);
  g_object_unref (handler->subscriber);
  g_free (handler);
}

static void
handler_dispatch (gpointer data,
                  gpointer user_data)
{
  EsZcHandler *handler = data;
  EsZeroCopyEventSystem *self = handler->system;
  guint batch = _es_event_system_get_core (ES_EVENT_SYSTEM (self))->config.batch_size;
  guint active, peak;

  /* Acquire pairs with the kick's exchange: everything the kicker saw,
   * this thread sees. */
  (void) atomic_load_explicit (&handler->scheduled, memory_order_acquire);

  active = atomic_fetch_add_explicit (&self->active, 1, memory_order_relaxed) + 1;
  peak = atomic_load_explicit (&self->peak, memory_order_relaxed);
  while (active > peak &&
         !atomic_compare_exchange_weak_explicit (&self->peak, &peak, active,
                                                 memory_order_relaxed, memory_order_relaxed))
    ;

  for (;;)
    {
      guint n = 0;

      while (n < batch && !atomic_load_explicit (&handler->removed, memory_order_acquire))
        {
          g_autoptr(EsEvent) event = es_subscriber_try_receive (handler->subscriber, NULL);
          const EsTraceContext *previous;

          if (event == NULL)
            break;
          /* No lock is held here: a slow or failing handler only delays
           * itself. */
          previous = _es_trace_push_current (&event->trace);
          handler->func (event, handler->data);
          _es_trace_pop_current (previous);
          n++;
        }

      if (n == batch && !atomic_load (&handler->removed))
        {
          /* Let other handlers run: requeue, passing our reference on. */
          atomic_fetch_sub_explicit (&self->active, 1, memory_order_relaxed);
          g_thread_pool_push (self->pool, handler, NULL);
          return;
        }

      atomic_store_explicit (&handler->scheduled, 0, memory_order_seq_cst);
      if (atomic_load (&handler->removed) ||
          es_subscriber_get_queue_depth (handler->subscriber) == 0 ||
          atomic_exchange_explicit (&handler->scheduled, 1, memory_order_acq_rel) != 0)
        break;
    }

  atomic_fetch_sub_explicit (&self->active, 1, memory_order_relaxed);
  handler_unref (handler);
}

void
_es_zero_copy_handler_kick (EsZcHandler *handler)
{
  if (atomic_exchange_explicit (&handler->scheduled, 1, memory_order_acq_rel) == 0)
    g_thread_pool_push (handler->system->pool, handler_ref (handler), NULL);
}

/**
 * es_zero_copy_event_system_add_handler:
 * @self: an #EsZeroCopyEventSystem
 * @event_type: the event type to handle (subclasses included)
 * @handler: (scope notified) (closure user_data) (destroy destroy): called
 *   for each event on the dispatch pool
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data when the handler is removed
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
  if (self->pool == NULL)
    {
      guint max = _es_event_system_get_core (system)->config.max_concurrent_dispatches;

      self->pool = g_thread_pool_new (handler_dispatch, NULL, (gint) max, FALSE, NULL);
    }
  pthread_mutex_unlock (&self->lock);

  subscriber = es_event_system_subscribe (system, event_type, error);
  if (subscriber == NULL)
    {
      if (destroy != NULL)
        destroy (user_data);
      return 0;
    }

  h = g_new0 (EsZcHandler, 1);
  atomic_init (&h->ref_count, 1);
  h->system = self;
  h->subscriber = subscriber;
  h->func = handler;
  h->data = user_data;
  h->destroy = destroy;
  atomic_init (&h->scheduled, 0);
  atomic_init (&h->removed, 0);

  pthread_mutex_lock (&self->lock);
  id = h->id = ++self->next_handler_id;
  g_hash_table_insert (self->handlers, GUINT_TO_POINTER (id), h);
  pthread_mutex_unlock (&self->lock);

  /* Publishers see the handler through the subscriber's immutable field;
   * the registry lock in the next publish's target refresh orders it. */
  ((EsZeroCopySubscriber *) subscriber)->handler = h;
  _es_event_system_begin_change (system);
  _es_event_system_end_change (system);
  {
    g_autofree char *name = g_strdup_printf ("%s#handler-%u", g_type_name (event_type), id);

    es_subscriber_set_name (subscriber, name);
  }

  return id;
}

static void
remove_handler (EsZcHandler *h)
{
  atomic_store (&h->removed, 1);
  es_subscriber_unsubscribe (h->subscriber);
  handler_unref (h);
}

/**
 * es_zero_copy_event_system_remove_handler:
 * @self: an #EsZeroCopyEventSystem
 * @handler_id: an id from es_zero_copy_event_system_add_handler()
 *
 * Removes a handler subscription. A call already running finishes; no new
 * one starts.
 *
 * Since: 1.0
 */
void
es_zero_copy_event_system_remove_handler (EsZeroCopyEventSystem *self,
                                          guint                  handler_id)
{
  EsZcHandler *h;

  g_return_if_fail (ES_IS_ZERO_COPY_EVENT_SYSTEM (self));

  pthread_mutex_lock (&self->lock);
  h = g_hash_table_lookup (self->handlers, GUINT_TO_POINTER (handler_id));
  if (h != NULL)
    g_hash_table_steal (self->handlers, GUINT_TO_POINTER (handler_id));
  pthread_mutex_unlock (&self->lock);

  if (h == NULL)
    {
      g_critical ("No handler with id %u", handler_id);
      return;
    }
  remove_handler (h);
}

/**
 * es_zero_copy_event_system_get_shard_count:
 * @self: an #EsZeroCopyEventSystem
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

  /* Handler subscriptions hold the system: drop them so it can go. Their
   * subscribers were closed by the base class and drain in the pool. */
  pthread_mutex_lock (&self->lock);
  handlers = self->handlers;
  self->handlers = g_hash_table_new (NULL, NULL);
  pthread_mutex_unlock (&self->lock);

  g_hash_table_iter_init (&iter, handlers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      EsZcHandler *h = value;

      /* Let queued events drain: only drop the registry's reference. */
      handler_unref (h);
    }
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
  if (self->pool != NULL)
    g_thread_pool_free (self->pool, FALSE, TRUE);
  g_hash_table_unref (self->handlers);
  for (guint i = 0; i < self->n_shards; i++)
    {
      pthread_mutex_destroy (&self->shards[i].lock);
      g_hash_table_unref (self->shards[i].subs_by_type);
    }
  g_free (self->shards);
  for (guint i = 0; i < ES_EVENT_TYPE_MAX; i++)
    {
      atomic_uint_least64_t *seq = atomic_load (&self->sequences[i]);

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
  atomic_init (&self->active, 0);
  atomic_init (&self->peak, 0);
}
