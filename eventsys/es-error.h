/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__EVENTSYS_INSIDE__) && !defined(EVENTSYS_COMPILATION)
# error "Only <eventsys/eventsys.h> can be included directly."
#endif

#include <glib.h>

#include "es-version-macros.h"

/**
 * SECTION:es-error
 * @title: Errors
 * @short_description: The ES_ERROR domain and its codes
 * @include: eventsys/eventsys.h
 *
 * The ES_ERROR domain and its codes.
 */

G_BEGIN_DECLS

/**
 * ES_ERROR:
 *
 * Error domain for eventsys. Errors in this domain are from the #EsError
 * enumeration. Cancellation is reported as %G_IO_ERROR_CANCELLED, as
 * everywhere in GIO.
 *
 * Since: 1.0
 */
#define ES_ERROR (es_error_quark ())

/**
 * EsError:
 * @ES_ERROR_FAILED: generic failure.
 * @ES_ERROR_INVALID_ARGUMENT: a configuration value or argument is out of range
 *   (for example a zero channel capacity, or a payload of the wrong size).
 * @ES_ERROR_NOT_STARTED: publish before es_event_system_start().
 * @ES_ERROR_SHUT_DOWN: publish (or subscribe) after shutdown, or a blocked
 *   publisher woken by shutdown.
 * @ES_ERROR_CLOSED: end of stream: the subscriber was unsubscribed, or the
 *   system was shut down and everything queued has been received.
 * @ES_ERROR_TIMEOUT: a receive timed out, or a blocked publish waited longer
 *   than #EsEventSystem:default-timeout.
 * @ES_ERROR_BACKPRESSURE: the event was rejected because a queue or the global
 *   buffer is full (%ES_BACKPRESSURE_DROP_NEWEST or a custom decision).
 * @ES_ERROR_TYPE_MISMATCH: the event's type does not match the publisher's.
 * @ES_ERROR_UNSUPPORTED_TYPE: the implementation cannot carry this event type
 *   (for example a #GBytes payload type on the static fast path).
 * @ES_ERROR_INVALID_STATE: the call is not valid in the current lifecycle state
 *   (for example starting a system twice).
 * @ES_ERROR_INVALID_TRACEPARENT: a W3C traceparent string is malformed.
 *
 * Error codes of the %ES_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum {
  ES_ERROR_FAILED,
  ES_ERROR_INVALID_ARGUMENT,
  ES_ERROR_NOT_STARTED,
  ES_ERROR_SHUT_DOWN,
  ES_ERROR_CLOSED,
  ES_ERROR_TIMEOUT,
  ES_ERROR_BACKPRESSURE,
  ES_ERROR_TYPE_MISMATCH,
  ES_ERROR_UNSUPPORTED_TYPE,
  ES_ERROR_INVALID_STATE,
  ES_ERROR_INVALID_TRACEPARENT,
} EsError;

ES_AVAILABLE_IN_ALL
GQuark   es_error_quark           (void);
ES_AVAILABLE_IN_ALL
gboolean es_error_is_backpressure (const GError *error);

G_END_DECLS
