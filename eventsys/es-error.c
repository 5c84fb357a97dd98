/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "eventsys.h"

/**
 * es_error_quark:
 *
 * The error domain of eventsys, see %ES_ERROR.
 *
 * Returns: the quark
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (es-error-quark, es_error)

/**
 * es_error_is_backpressure:
 * @error: (nullable): a #GError
 *
 * Whether @error means that an event was rejected because a queue or the
 * global buffer was full (the seed's `is_backpressure()`). A publish that
 * waited for room longer than #EsEventSystem:default-timeout fails with
 * %ES_ERROR_TIMEOUT instead, which this function does not count.
 *
 * Returns: %TRUE for %ES_ERROR_BACKPRESSURE
 *
 * Since: 1.0
 */
gboolean
es_error_is_backpressure (const GError *error)
{
  return error != NULL && g_error_matches (error, ES_ERROR, ES_ERROR_BACKPRESSURE);
}
