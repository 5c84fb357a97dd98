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
GQuark
es_error_quark (void)
{
  /* Not G_DEFINE_QUARK: its unguarded static is a data race when two
   * threads make the first call at once. */
  static gsize quark = 0;

  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark, g_quark_from_static_string ("es-error-quark"));
  return (GQuark) quark;
}

/**
 * es_error_is_backpressure:
 * @error: (nullable): a #GError
 *
 * Whether @error means that an event was rejected because a queue or the
 * global buffer was full. A publish that waited for room longer than
 * #EsEventSystem:default-timeout fails with %ES_ERROR_TIMEOUT instead, which
 * this function does not count.
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
