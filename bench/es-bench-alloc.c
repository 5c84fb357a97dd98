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
 * GLib 2.74 still serves g_slice_*() (GList nodes of GAsyncQueue, GBytes
 * structs, ...) from its magazine allocator, which only calls malloc when a
 * magazine is refilled: run with G_SLICE=always-malloc to count those too.
 */
#include "es-bench.h"

#ifndef BENCH_NO_ALLOC_COUNT

#include <stddef.h>
#include <errno.h>

extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *ptr, size_t size);
extern void  __libc_free (void *ptr);
extern void *__libc_memalign (size_t alignment, size_t size);

static atomic_bool counting;
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
