/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

#include "eventsys.h"
#include "es-event-system-private.h"
#include "es-event-type-private.h"
#include "es-metrics-private.h"
#include "es-owner-private.h"
#include "es-wait-private.h"

G_BEGIN_DECLS

/* Builds the current target list for a publisher (called rarely: when the
 * subscription generation changed). */
typedef EsSubList *(*EsCollectTargetsFunc) (EsPublisher *publisher);

typedef struct {
  EsSystemCore          *core;
  const EsEventTypeInfo *type_info;
  EsCollectTargetsFunc   collect;
  /* Target caches. The owning thread (the first to publish) has its own,
   * used without any atomic; another thread that wins `busy` may use and
   * refresh `cached`; a concurrent third takes a private snapshot. */
  EsSubList             *owner_cached;  /* owned; the owning thread's only */
  guint                  owner_gen;
  gboolean               owner_in_use;  /* held by the owner (a re-entrant publish from a callback snapshots) */
  atomic_int             busy;
  EsSubList             *cached;        /* owned; protected by busy */
  guint                  cached_gen;    /* protected by busy */
  ES_CACHELINE_PAD (_pad0);
  /* Published count = owner_published + published. The first thread to
   * publish owns owner_published and bumps it with a plain load and store
   * (no locked instruction on the hot path); other threads use the atomic
   * RMW on published. */
  atomic_uintptr_t       owner;         /* the owning thread's id, 0 until the first publish */
  atomic_uint_least64_t  owner_published;
  atomic_uint_least64_t  owner_published_bytes;
  atomic_uint_least64_t  published;
  atomic_uint_least64_t  published_bytes;
  atomic_uint_least64_t  rejected;
  atomic_int             bp_state;      /* EsBackpressureState */
  atomic_int             throttled;     /* adaptive mode: between the watermarks' hysteresis */
  EsMetricsSource        metrics_source;  /* the counters above, registered while metrics are on */
} EsPublisherShared;

EsPublisherShared *_es_publisher_get_shared (EsPublisher          *self);
void               _es_publisher_setup      (EsPublisher          *self,
                                             EsEventSystem        *system,
                                             GType                 event_type,
                                             EsCollectTargetsFunc  collect);

/* Whether the calling thread owns @shared's owner-only state; the first
 * thread to ask becomes the owner. */
static inline gboolean
_es_publisher_is_owner (EsPublisherShared *shared)
{
  uintptr_t me = es_thread_id ();
  uintptr_t owner = atomic_load_explicit (&shared->owner, memory_order_relaxed);

  if (G_UNLIKELY (owner == 0))
    {
      uintptr_t expected = 0;

      if (atomic_compare_exchange_strong_explicit (&shared->owner, &expected, me,
                                                   memory_order_relaxed, memory_order_relaxed))
        return TRUE;
      owner = expected;
    }
  return owner == me;
}

typedef enum {
  ES_TARGETS_OWNER,      /* the owner's cache: nothing to release */
  ES_TARGETS_SHARED,     /* the shared cache: release `busy` */
  ES_TARGETS_SNAPSHOT,   /* a private snapshot: unref it */
} EsTargetsHold;

static inline EsSubList *
_es_publisher_acquire_targets (EsPublisherShared *shared,
                               EsPublisher       *self,
                               EsTargetsHold     *hold)
{
  /* Load the generation before collecting, so a concurrent (un)subscribe
   * always forces another refresh rather than being missed. */
  guint gen = atomic_load_explicit (&shared->core->generation, memory_order_seq_cst);
  int expected = 0;

  if (G_LIKELY (_es_publisher_is_owner (shared) && !shared->owner_in_use))
    {
      shared->owner_in_use = TRUE;
      if (G_UNLIKELY (shared->owner_cached == NULL || shared->owner_gen != gen))
        {
          EsSubList *fresh = shared->collect (self);

          g_clear_pointer (&shared->owner_cached, _es_sub_list_unref);
          shared->owner_cached = fresh;
          shared->owner_gen = gen;
        }
      *hold = ES_TARGETS_OWNER;
      return shared->owner_cached;
    }

  if (atomic_compare_exchange_strong_explicit (&shared->busy, &expected, 1,
                                               memory_order_acquire, memory_order_relaxed))
    {
      if (G_UNLIKELY (shared->cached == NULL || shared->cached_gen != gen))
        {
          EsSubList *fresh = shared->collect (self);

          g_clear_pointer (&shared->cached, _es_sub_list_unref);
          shared->cached = fresh;
          shared->cached_gen = gen;
        }
      *hold = ES_TARGETS_SHARED;
      return shared->cached;
    }

  *hold = ES_TARGETS_SNAPSHOT;
  return shared->collect (self);
}

static inline void
_es_publisher_release_targets (EsPublisherShared *shared,
                               EsSubList         *list,
                               EsTargetsHold      hold)
{
  if (hold == ES_TARGETS_OWNER)
    shared->owner_in_use = FALSE;
  else if (hold == ES_TARGETS_SNAPSHOT)
    _es_sub_list_unref (list);
  else
    atomic_store_explicit (&shared->busy, 0, memory_order_release);
}

/* Emits ::backpressure-changed and notify on the publishing thread when the
 * state really changes. */
void _es_publisher_set_backpressure_state_slow (EsPublisher        *self,
                                                EsBackpressureState state);

static inline void
_es_publisher_set_backpressure_state (EsPublisher        *self,
                                      EsPublisherShared  *shared,
                                      EsBackpressureState state)
{
  if (G_UNLIKELY (atomic_load_explicit (&shared->bp_state, memory_order_relaxed) != (int) state))
    _es_publisher_set_backpressure_state_slow (self, state);
}

/* The adaptive mode (see es_event_system_builder_set_adaptive_backpressure()):
 * given the utilization @u of this publish's targets, updates the throttled
 * state with hysteresis and, while throttled, waits on @wq up to the
 * proportional delay. */
void _es_publisher_adapt (EsPublisher       *self,
                          EsPublisherShared *shared,
                          gdouble            u,
                          EsWaitQueue       *wq);

/* The state after a publish went through: DROPPING if it dropped, else
 * THROTTLED while the adaptive mode holds, else NORMAL. */
static inline void
_es_publisher_settle_state (EsPublisher       *self,
                            EsPublisherShared *shared,
                            gboolean           dropped)
{
  if (dropped)
    return;
  _es_publisher_set_backpressure_state (self, shared,
                                        atomic_load_explicit (&shared->throttled, memory_order_relaxed)
                                        ? ES_BACKPRESSURE_STATE_THROTTLED : ES_BACKPRESSURE_STATE_NORMAL);
}

/* Room checks for blocking: TRUE when a retry may succeed. */
typedef gboolean (*EsRoomFunc) (gpointer data);

/* The BLOCK strategy's wait, shared by every implementation: waits on @wq
 * until @room says so, bounded by *@deadline (computed from
 * default-timeout on first use; -2 = not computed yet), @cancellable and
 * shutdown. Returns FALSE with @error set when the publish must fail. */
gboolean _es_publisher_wait_for_room (EsPublisher   *self,
                                      EsWaitQueue   *wq,
                                      EsRoomFunc     room,
                                      gpointer       room_data,
                                      gint64        *deadline,
                                      GCancellable  *cancellable,
                                      GError       **error);

/* What the configured strategy does at a full queue (@subscriber, nullable)
 * or at the global limit (@subscriber NULL): the strategy's fixed action, or
 * the CUSTOM function's answer, asked outside any lock. */
EsBackpressureAction _es_publisher_decide (EsPublisher  *self,
                                           EsSubscriber *subscriber,
                                           EsEvent      *event);

/* The entry points' checks and accounting. The unified API only checks its
 * arguments and dispatches; each backend's vfunc checks what the publish
 * needs (type, size, state) and counts its result with these, so calling
 * the vfunc directly costs the same as the unified API. */

/* Sets @error: the event type does not match or the system is not running. */
gboolean _es_publisher_check_slow (EsPublisherShared *shared,
                                   GType              type,
                                   gsize              size,
                                   gboolean           plain,
                                   GError           **error);

/* A plain-data publish of @size bytes. */
static inline gboolean
_es_publisher_check_data (EsPublisherShared *shared,
                          gsize              size,
                          GError           **error)
{
  const EsEventTypeInfo *info = shared->type_info;

  if (G_LIKELY (info->kind == ES_EVENT_KIND_PLAIN && size == info->size && size != 0 &&
                _es_system_core_is_running (shared->core)))
    return TRUE;
  return _es_publisher_check_slow (shared, info->gtype, size, TRUE, error);
}

/* An envelope or object publish of @type (the publisher's type or, for
 * objects, a subtype). */
static inline gboolean
_es_publisher_check_type (EsPublisherShared *shared,
                          GType              type,
                          GError           **error)
{
  if (G_LIKELY (type == shared->type_info->gtype && _es_system_core_is_running (shared->core)))
    return TRUE;
  return _es_publisher_check_slow (shared, type, 0, FALSE, error);
}

/* Counts @n published events of @bytes in all. */
static inline void
_es_publisher_count_published (EsPublisherShared *shared,
                               guint              n,
                               gsize              bytes)
{
  if (G_LIKELY (_es_publisher_is_owner (shared)))
    {
      es_counter_add (&shared->owner_published, n, TRUE);
      es_counter_add (&shared->owner_published_bytes, bytes, TRUE);
    }
  else
    {
      es_counter_add (&shared->published, n, FALSE);
      es_counter_add (&shared->published_bytes, bytes, FALSE);
    }
}

/* Counts a failed publish (rejections) and hands @local_error to @error. */
void _es_publisher_count_failure (EsPublisherShared *shared,
                                  GError            *local_error,
                                  GError           **error);

/* Ends every backend entry point: counts the result of a publish of @bytes
 * whose errors went to @local_error. Returns @ok. */
static inline gboolean
_es_publisher_finish (EsPublisherShared *shared,
                      gboolean           ok,
                      GError            *local_error,
                      GError           **error,
                      gsize              bytes)
{
  if (G_LIKELY (ok))
    {
      /* Also the metrics' published count: see EsMetricsSource. */
      _es_publisher_count_published (shared, 1, bytes);
      return TRUE;
    }
  _es_publisher_count_failure (shared, local_error, error);
  return FALSE;
}

/* The built-in implementations' classes (static, then zero-copy), recorded
 * by their class_init, so the hot entry points compare an instance's class
 * against two plain loads. They start as a sentinel that no class pointer
 * (nor NULL) equals. */
extern gconstpointer _es_publisher_builtin_classes[2];

/* ES_IS_PUBLISHER() with the built-in classes first. */
#define ES_IS_PUBLISHER_FAST(obj) es_instance_is_fast ((obj), _es_publisher_builtin_classes, es_publisher_get_type)

G_END_DECLS
