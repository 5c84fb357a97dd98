/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <glib-object.h>

#include "es-version-macros.h"

/**
 * SECTION:es-types
 * @title: Common types
 * @short_description: Enumerations and callback types shared by the whole API
 * @include: eventsys/eventsys.h
 *
 * Enumerations and callback types shared by the whole API.
 */

G_BEGIN_DECLS

typedef struct _EsEvent             EsEvent;
typedef struct _EsEventSystem       EsEventSystem;
typedef struct _EsPublisher         EsPublisher;
typedef struct _EsSubscriber        EsSubscriber;
typedef struct _EsBufferManager     EsBufferManager;
typedef struct _EsMetrics           EsMetrics;

/**
 * EsImplementationType:
 * @ES_IMPLEMENTATION_STATIC_FAST_PATH: preallocated per-type rings of plain-data
 *   slots; no allocation per event; best for small fixed events at the highest rate.
 * @ES_IMPLEMENTATION_ZERO_COPY: one shared, refcounted #EsEvent per publish queued
 *   to every subscriber; priorities, subtype matching and handler dispatch; best
 *   for large payloads, many subscribers and dynamic types.
 *
 * Which implementation an #EsEventSystem uses. Both implement the whole common
 * API with the same semantics.
 *
 * Since: 1.0
 */
typedef enum {
  ES_IMPLEMENTATION_STATIC_FAST_PATH,
  ES_IMPLEMENTATION_ZERO_COPY,
} EsImplementationType;

/**
 * EsBackpressureStrategy:
 * @ES_BACKPRESSURE_BLOCK: the publisher waits for room (cancellable, bounded by
 *   #EsEventSystem:default-timeout); nothing is lost.
 * @ES_BACKPRESSURE_DROP_OLDEST: the oldest queued event of the full subscriber is
 *   dropped to make room; the subscriber counts what it missed (and is told
 *   through #EsSubscriber::lagged). At the global buffer limit the zero-copy
 *   implementation evicts from the subscriber with the deepest queue (the one
 *   holding the oldest events) until the new event fits; the static fast path
 *   moves the slowest cursors of the publishing type's ring past its oldest
 *   slot.
 * @ES_BACKPRESSURE_DROP_NEWEST: the new event is rejected (all or nothing) and
 *   the publish fails with %ES_ERROR_BACKPRESSURE.
 * @ES_BACKPRESSURE_CUSTOM: an #EsBackpressureFunc decides per occurrence.
 *
 * What happens when a subscriber queue (#EsEventSystem:channel-capacity) or the
 * global buffer (#EsEventSystem:global-buffer-size) is full.
 *
 * Since: 1.0
 */
typedef enum {
  ES_BACKPRESSURE_BLOCK,
  ES_BACKPRESSURE_DROP_OLDEST,
  ES_BACKPRESSURE_DROP_NEWEST,
  ES_BACKPRESSURE_CUSTOM,
} EsBackpressureStrategy;

/**
 * EsBackpressureAction:
 * @ES_BACKPRESSURE_ACTION_BLOCK: wait for room, as %ES_BACKPRESSURE_BLOCK.
 * @ES_BACKPRESSURE_ACTION_DROP_OLDEST: evict the oldest queued event.
 * @ES_BACKPRESSURE_ACTION_DROP_NEWEST: reject the new event.
 * @ES_BACKPRESSURE_ACTION_RETRY: yield briefly and ask again.
 *
 * The answer of an #EsBackpressureFunc.
 *
 * Since: 1.0
 */
typedef enum {
  ES_BACKPRESSURE_ACTION_BLOCK,
  ES_BACKPRESSURE_ACTION_DROP_OLDEST,
  ES_BACKPRESSURE_ACTION_DROP_NEWEST,
  ES_BACKPRESSURE_ACTION_RETRY,
} EsBackpressureAction;

/**
 * EsBackpressureState:
 * @ES_BACKPRESSURE_STATE_NORMAL: publishing proceeds freely.
 * @ES_BACKPRESSURE_STATE_THROTTLED: the adaptive mode is slowing the publisher.
 * @ES_BACKPRESSURE_STATE_BLOCKED: the publisher is waiting for room.
 * @ES_BACKPRESSURE_STATE_DROPPING: the last publish dropped or rejected events.
 *
 * The backpressure state of an #EsPublisher.
 *
 * Since: 1.0
 */
typedef enum {
  ES_BACKPRESSURE_STATE_NORMAL,
  ES_BACKPRESSURE_STATE_THROTTLED,
  ES_BACKPRESSURE_STATE_BLOCKED,
  ES_BACKPRESSURE_STATE_DROPPING,
} EsBackpressureState;

/**
 * EsEventPriority:
 * @ES_EVENT_PRIORITY_LOW: background events.
 * @ES_EVENT_PRIORITY_NORMAL: the default.
 * @ES_EVENT_PRIORITY_HIGH: overtakes queued normal and low events.
 * @ES_EVENT_PRIORITY_CRITICAL: overtakes everything else.
 *
 * Event priority. The zero-copy implementation with
 * #EsEventSystem:enable-priority queues each priority in its own lane, so a
 * higher-priority event overtakes queued lower ones; otherwise events are
 * delivered in publish order and the priority is only carried as metadata.
 *
 * Since: 1.0
 */
typedef enum {
  ES_EVENT_PRIORITY_LOW,
  ES_EVENT_PRIORITY_NORMAL,
  ES_EVENT_PRIORITY_HIGH,
  ES_EVENT_PRIORITY_CRITICAL,
} EsEventPriority;

/**
 * EsEventSystemState:
 * @ES_EVENT_SYSTEM_STATE_CREATED: built, not started; subscribing is allowed,
 *   publishing fails with %ES_ERROR_NOT_STARTED.
 * @ES_EVENT_SYSTEM_STATE_RUNNING: started.
 * @ES_EVENT_SYSTEM_STATE_STOPPED: shut down; publishing fails with
 *   %ES_ERROR_SHUT_DOWN, subscribers drain what was queued and then get
 *   %ES_ERROR_CLOSED.
 *
 * Lifecycle of an #EsEventSystem.
 *
 * Since: 1.0
 */
typedef enum {
  ES_EVENT_SYSTEM_STATE_CREATED,
  ES_EVENT_SYSTEM_STATE_RUNNING,
  ES_EVENT_SYSTEM_STATE_STOPPED,
} EsEventSystemState;

/**
 * EsHealthStatus:
 * @ES_HEALTH_STATUS_NOT_STARTED: the system has not been started.
 * @ES_HEALTH_STATUS_HEALTHY: no issue found.
 * @ES_HEALTH_STATUS_DEGRADED: issues that lose no data yet (lagging subscribers,
 *   blocked publishers).
 * @ES_HEALTH_STATUS_UNHEALTHY: events are being dropped or subscribers stalled,
 *   or the system is shut down.
 *
 * Overall health of an #EsEventSystem.
 *
 * Since: 1.0
 */
typedef enum {
  ES_HEALTH_STATUS_NOT_STARTED,
  ES_HEALTH_STATUS_HEALTHY,
  ES_HEALTH_STATUS_DEGRADED,
  ES_HEALTH_STATUS_UNHEALTHY,
} EsHealthStatus;

/**
 * EsEventFilterFunc:
 * @event: the candidate event
 * @user_data: the data passed with the function
 *
 * Decides whether a subscriber receives @event. Filters run on the receiving
 * side (the thread calling a receive function, or the #GMainContext a
 * subscriber is attached to), never on a publisher's thread, so they are safe
 * for GJS and need no locking of their own.
 *
 * Returns: %TRUE to deliver @event, %FALSE to skip it
 *
 * Since: 1.0
 */
typedef gboolean (*EsEventFilterFunc) (EsEvent  *event,
                                       gpointer  user_data);

/**
 * EsSubscriberFunc:
 * @subscriber: the subscriber
 * @event: the event being delivered
 * @user_data: the data passed to es_subscriber_attach()
 *
 * Called in the attached #GMainContext for each delivered event.
 *
 * Returns: %G_SOURCE_CONTINUE to keep receiving, %G_SOURCE_REMOVE to detach
 *
 * Since: 1.0
 */
typedef gboolean (*EsSubscriberFunc) (EsSubscriber *subscriber,
                                      EsEvent      *event,
                                      gpointer      user_data);

/**
 * EsBackpressureFunc:
 * @publisher: the publisher that hit the limit
 * @subscriber: (nullable): the full subscriber, or %NULL when the global
 *   buffer limit was hit
 * @event: (nullable): the event being published, or %NULL for a plain-data
 *   publish on the static fast path (which has no envelope)
 * @utilization: global buffer utilization, 0 to 1
 * @user_data: the data passed with the function
 *
 * Decides what a publish does when a limit is hit with
 * %ES_BACKPRESSURE_CUSTOM. Called on the publishing thread with no internal
 * lock held.
 *
 * Returns: the action to take
 *
 * Since: 1.0
 */
typedef EsBackpressureAction (*EsBackpressureFunc) (EsPublisher  *publisher,
                                                    EsSubscriber *subscriber,
                                                    EsEvent      *event,
                                                    gdouble       utilization,
                                                    gpointer      user_data);

G_END_DECLS
