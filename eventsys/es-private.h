/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal helpers shared by every eventsys source file. */

#include <stdatomic.h>
#include <stdint.h>
#include <glib-object.h>

G_BEGIN_DECLS

#define ES_CACHELINE 64
#define ES_CACHELINE_ALIGNED _Alignas (ES_CACHELINE)
/* Separates fields written by different threads inside structs that GLib
 * allocates (GObject instances and private data are only 16-byte aligned,
 * so _Alignas there would be a lie that UBSan reports). */
#define ES_CACHELINE_PAD(name) char name[ES_CACHELINE]

/* For the hot public entry points, which inline a whole publish: starting
 * on a cache line keeps the code's placement in the CPU's fetch blocks, and
 * so its speed, from moving with unrelated edits to the code before it in
 * the file (shrinking es_publisher_publish_take() cost the static publish
 * with metrics 2% more). */
#if defined(__GNUC__)
#define ES_HOT_ENTRY __attribute__ ((aligned (ES_CACHELINE)))
#else
#define ES_HOT_ENTRY
#endif

static inline void
es_cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ __volatile__ ("yield" ::: "memory");
#endif
}

/* Asks for the cache line at @p for writing, without waiting for it: for
 * lines another core wrote last, so that a later store does not stall. */
static inline void
es_prefetch_write (const void *p)
{
#if defined(__x86_64__)
  /* PREFETCHW: a no-op on CPUs without it. */
  __asm__ volatile ("prefetchw %0" : : "m" (*(const char *) p));
#else
  __builtin_prefetch (p, 1, 3);
#endif
}

/* A per-thread address: identifies the calling thread without a call.
 * Initial-exec, so reading it is one instruction in the shared library. */
extern __thread char _es_thread_marker __attribute__ ((tls_model ("initial-exec")));

static inline uintptr_t
es_thread_id (void)
{
  return (uintptr_t) &_es_thread_marker;
}

static inline guint64
es_next_pow2 (guint64 v)
{
  guint64 p = 1;
  while (p < v)
    p <<= 1;
  return p;
}

/* A type check for the hot entry points: the instance's class compared with
 * the two built-in implementations' (@builtin: a load and two compares),
 * where G_TYPE_CHECK_INSTANCE_TYPE() walks the type tree. Other classes,
 * subclasses of the built-in ones among them, take the walk to the base
 * type. Until their class_init runs, @builtin holds a sentinel that no class
 * pointer (nor NULL) equals. */
static inline gboolean
es_instance_is_fast (gconstpointer       instance,
                     const gconstpointer builtin[2],
                     GType             (*base_get_type) (void))
{
  const GTypeInstance *i = instance;

  return i != NULL &&
         (i->g_class == builtin[0] || i->g_class == builtin[1] ||
          (i->g_class != NULL && g_type_is_a (G_TYPE_FROM_CLASS (i->g_class), base_get_type ())));
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
