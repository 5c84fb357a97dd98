/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * es-bench: counts malloc-family calls (W8 "allocations per event").
 *
 * The executable defines malloc, calloc, realloc and the aligned variants;
 * the dynamic linker binds every library's calls to them (the executable
 * comes first in symbol lookup), and they forward to glibc's __libc_*
 * entry points. Counting is off except between bench_alloc_start() and
 * bench_alloc_stop(); each thread has a role (publisher, consumer, other)
 * so the report can tell publish-side from receive-side allocations.
 *
 * Not built under sanitizers (they interpose malloc themselves); then
 * bench_alloc_available() is FALSE and W8 says so.
 *
 * GLib 2.74 still serves g_slice_*() from its magazine allocator, which
 * calls malloc only to refill a magazine. So g_slice_alloc() and friends are
 * interposed and counted too. That catches every caller outside libglib
 * (eventsys envelopes, GObject instances, GBytes made by libgobject/gio...),
 * but not GLib's internal use: libglib binds its own calls directly
 * (-Bsymbolic-functions), so e.g. the GList node GAsyncQueue allocates per
 * push stays invisible unless G_SLICE=always-malloc turns it into malloc.
 */
#include "es-bench.h"

#ifndef BENCH_NO_ALLOC_COUNT

#include <dlfcn.h>
#include <stddef.h>
#include <errno.h>

extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *ptr, size_t size);
extern void  __libc_free (void *ptr);
extern void *__libc_memalign (size_t alignment, size_t size);

static atomic_bool counting;
/* G_SLICE=always-malloc: every slice is a malloc, counted there, not twice. */
static atomic_bool slice_is_malloc;
static _Alignas (BENCH_CACHELINE) atomic_uint_fast64_t counts[BENCH_N_ROLES][BENCH_CACHELINE / 8];
static __thread int thread_role;

static inline void
count_one (void)
{
  /* relaxed: a statistic read after the threads were joined */
  if (G_UNLIKELY (atomic_load_explicit (&counting, memory_order_relaxed)))
    atomic_fetch_add_explicit (&counts[thread_role][0], 1, memory_order_relaxed);
}

void *malloc (size_t size);
void *calloc (size_t n, size_t size);
void *realloc (void *ptr, size_t size);
void  free (void *ptr);
void *memalign (size_t alignment, size_t size);
void *aligned_alloc (size_t alignment, size_t size);
int   posix_memalign (void **out, size_t alignment, size_t size);
void *valloc (size_t size);
void *pvalloc (size_t size);

void *
malloc (size_t size)
{
  count_one ();
  return __libc_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  count_one ();
  return __libc_calloc (n, size);
}

void *
realloc (void *ptr, size_t size)
{
  count_one ();
  return __libc_realloc (ptr, size);
}

void
free (void *ptr)
{
  __libc_free (ptr);
}

void *
memalign (size_t alignment, size_t size)
{
  count_one ();
  return __libc_memalign (alignment, size);
}

void *
aligned_alloc (size_t alignment, size_t size)
{
  count_one ();
  return __libc_memalign (alignment, size);
}

int
posix_memalign (void **out, size_t alignment, size_t size)
{
  void *p;

  if (alignment % sizeof (void *) != 0 || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  count_one ();
  p = __libc_memalign (alignment, size);
  if (p == NULL && size != 0)
    return ENOMEM;
  *out = p;
  return 0;
}

void *
valloc (size_t size)
{
  count_one ();
  return __libc_memalign (4096, size);
}

void *
pvalloc (size_t size)
{
  count_one ();
  return __libc_memalign (4096, (size + 4095) & ~(size_t) 4095);
}

/* g_slice_*: forward to libglib's through RTLD_NEXT (looked up on first use;
 * a racing second lookup stores the same pointer). */
typedef gpointer (*SliceAllocFunc) (gsize);
typedef gpointer (*SliceCopyFunc) (gsize, gconstpointer);
typedef void     (*SliceFreeFunc) (gsize, gpointer);
typedef void     (*SliceFreeChainFunc) (gsize, gpointer, gsize);

static gpointer
next_symbol (const char *name)
{
  gpointer sym = dlsym (RTLD_NEXT, name);

  if (sym == NULL)
    g_error ("es-bench: cannot find %s in the libraries after the executable", name);
  return sym;
}

#define NEXT(type, name) \
  static _Atomic (type) real; \
  type fn = atomic_load_explicit (&real, memory_order_relaxed); \
  if (G_UNLIKELY (fn == NULL)) \
    atomic_store_explicit (&real, fn = (type) next_symbol (name), memory_order_relaxed)

gpointer
g_slice_alloc (gsize block_size)
{
  NEXT (SliceAllocFunc, "g_slice_alloc");
  if (!atomic_load_explicit (&slice_is_malloc, memory_order_relaxed))
    count_one ();
  return fn (block_size);
}

gpointer
g_slice_alloc0 (gsize block_size)
{
  NEXT (SliceAllocFunc, "g_slice_alloc0");
  if (!atomic_load_explicit (&slice_is_malloc, memory_order_relaxed))
    count_one ();
  return fn (block_size);
}

gpointer
g_slice_copy (gsize block_size, gconstpointer mem_block)
{
  NEXT (SliceCopyFunc, "g_slice_copy");
  if (!atomic_load_explicit (&slice_is_malloc, memory_order_relaxed))
    count_one ();
  return fn (block_size, mem_block);
}

void
g_slice_free1 (gsize block_size, gpointer mem_block)
{
  NEXT (SliceFreeFunc, "g_slice_free1");
  fn (block_size, mem_block);
}

void
g_slice_free_chain_with_offset (gsize block_size, gpointer mem_chain, gsize next_offset)
{
  NEXT (SliceFreeChainFunc, "g_slice_free_chain_with_offset");
  fn (block_size, mem_chain, next_offset);
}

gboolean
bench_alloc_available (void)
{
  return TRUE;
}

void
bench_alloc_set_role (BenchRole role)
{
  thread_role = role;
}

void
bench_alloc_start (void)
{
  const char *slice = g_getenv ("G_SLICE");

  atomic_store (&slice_is_malloc, slice != NULL && strstr (slice, "always-malloc") != NULL);
  for (guint r = 0; r < BENCH_N_ROLES; r++)
    atomic_store (&counts[r][0], 0);
  atomic_store (&counting, TRUE);
}

void
bench_alloc_stop (guint64 out[BENCH_N_ROLES])
{
  atomic_store (&counting, FALSE);
  for (guint r = 0; r < BENCH_N_ROLES; r++)
    out[r] = atomic_load (&counts[r][0]);
}

#else /* BENCH_NO_ALLOC_COUNT */

gboolean bench_alloc_available (void) { return FALSE; }
void bench_alloc_set_role (BenchRole role) { }
void bench_alloc_start (void) { }
void bench_alloc_stop (guint64 out[BENCH_N_ROLES])
{
  for (guint r = 0; r < BENCH_N_ROLES; r++)
    out[r] = 0;
}

#endif
