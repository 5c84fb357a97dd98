/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal helpers shared by every eventsys source file. */

#include <stdatomic.h>
#include <glib.h>

G_BEGIN_DECLS

#define ES_CACHELINE 64
#define ES_CACHELINE_ALIGNED _Alignas (ES_CACHELINE)
/* Separates fields written by different threads inside structs that GLib
 * allocates (GObject instances and private data are only 16-byte aligned,
 * so _Alignas there would be a lie that UBSan reports). */
#define ES_CACHELINE_PAD(name) char name[ES_CACHELINE]

static inline void
es_cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ __volatile__ ("yield" ::: "memory");
#endif
}

static inline guint64
es_next_pow2 (guint64 v)
{
  guint64 p = 1;
  while (p < v)
    p <<= 1;
  return p;
}

/* Deadline helpers: deadlines are g_get_monotonic_time() microseconds, -1 = never. */
static inline gint64
es_deadline_from_timeout (GTimeSpan timeout)
{
  if (timeout < 0)
    return -1;
  return g_get_monotonic_time () + timeout;
}

G_END_DECLS
