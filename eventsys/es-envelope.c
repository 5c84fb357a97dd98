/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <pthread.h>

#include <stdatomic.h>
#include <stdint.h>

#include "es-envelope-private.h"
#include "es-event-private.h"

#if defined(__SANITIZE_ADDRESS__)
# define ES_ENVELOPE_RECYCLE 0
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define ES_ENVELOPE_RECYCLE 0
# endif
#endif
/* The return stack packs a 48-bit address with its depth: x86-64 user
 * addresses fit (without 5-level paging, which must be asked for). Other
 * targets (32-bit, tagged pointers) use GSlice. */
#if !defined(ES_ENVELOPE_RECYCLE) && !(defined(__x86_64__) && GLIB_SIZEOF_VOID_P == 8)
# define ES_ENVELOPE_RECYCLE 0
#endif
#ifndef ES_ENVELOPE_RECYCLE
# define ES_ENVELOPE_RECYCLE 1
#endif

#define SMALL_SIZE   (sizeof (EsEvent) + ES_ENVELOPE_SMALL)
/* Recycled envelopes are whole, aligned cache lines: a 64-byte event then
 * spans three lines, never four, on its way to the receivers and back. */
#define SMALL_ALLOC  ((SMALL_SIZE + ES_CACHELINE - 1) & ~(gsize) (ES_CACHELINE - 1))

static inline gpointer
small_alloc (void)
{
  return g_aligned_alloc (1, SMALL_ALLOC, ES_CACHELINE);
}

static inline void
small_free (gpointer mem)
{
  g_aligned_free (mem);
}
#define MAX_LOCAL    4096u
#define MAX_REMOTE   4096u
/* The remote stack's head: the top envelope's address in the low 48 bits,
 * the stack's depth in the high 16. */
#define PTR_BITS     48
#define PTR_MASK     ((G_GUINT64_CONSTANT (1) << PTR_BITS) - 1)
#define CLOSED       ((uintptr_t) 1)

struct _EsEnvelopeCache
{
  /* Pushed by freeing threads, taken whole by the owner. */
  ES_CACHELINE_ALIGNED atomic_uintptr_t remote;
  /* The owner's. */
  ES_CACHELINE_ALIGNED gpointer local;      /* linked through each envelope's first word */
  guint            n_local;
  EsEnvelopeCache *next_idle;               /* in `idle` while no thread owns it */
};

static __thread EsEnvelopeCache *my_cache __attribute__ ((tls_model ("initial-exec")));
/* Set once this thread's cache was released (thread exit): allocations
 * made later, by other thread-exit destructors, use GSlice. */
static __thread gboolean my_cache_gone __attribute__ ((tls_model ("initial-exec")));

/* Caches of exited threads, for the next threads; every cache ever made
 * stays reachable here or from its thread (envelopes still point at it). */
/* pthread, not GMutex: ThreadSanitizer sees its ordering (GLib 2.74's
 * GMutex is a bare futex). */
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static EsEnvelopeCache *idle;

static inline gpointer
link_get (gpointer mem)
{
  return *(gpointer *) mem;
}

static inline void
link_set (gpointer mem,
          gpointer next)
{
  *(gpointer *) mem = next;
}

static void
free_chain (gpointer mem)
{
  while (mem != NULL)
    {
      gpointer next = link_get (mem);

      small_free (mem);
      mem = next;
    }
}

static void
cache_release (gpointer data)
{
  EsEnvelopeCache *cache = data;
  uintptr_t remote;

  /* Close first: from here late frees free, never push onto a stack
   * nobody drains. */
  remote = atomic_exchange_explicit (&cache->remote, CLOSED, memory_order_acquire);
  free_chain ((gpointer) (uintptr_t) (remote & PTR_MASK));
  free_chain (cache->local);
  cache->local = NULL;
  cache->n_local = 0;
  my_cache = NULL;
  my_cache_gone = TRUE;

  pthread_mutex_lock (&idle_lock);
  cache->next_idle = idle;
  idle = cache;
  pthread_mutex_unlock (&idle_lock);
}

static GPrivate cache_key = G_PRIVATE_INIT (cache_release);

static EsEnvelopeCache *
cache_acquire (void)
{
  EsEnvelopeCache *cache;

  pthread_mutex_lock (&idle_lock);
  cache = idle;
  if (cache != NULL)
    idle = cache->next_idle;
  pthread_mutex_unlock (&idle_lock);

  if (cache == NULL)
    cache = g_aligned_alloc0 (1, sizeof (EsEnvelopeCache), ES_CACHELINE);
  /* Reopen (or open): envelopes of the previous owner still in flight may
   * come back here, which is fine: they are the same size. */
  atomic_store_explicit (&cache->remote, 0, memory_order_release);
  cache->next_idle = NULL;
  g_private_set (&cache_key, cache);
  my_cache = cache;
  return cache;
}

gpointer
_es_envelope_alloc (gsize             inline_size,
                    EsEnvelopeCache **origin)
{
  EsEnvelopeCache *cache;
  gpointer mem;

  if (!ES_ENVELOPE_RECYCLE || inline_size > ES_ENVELOPE_SMALL || G_UNLIKELY (my_cache_gone))
    {
      *origin = NULL;
      return g_slice_alloc (sizeof (EsEvent) + inline_size);
    }

  cache = G_LIKELY (my_cache != NULL) ? my_cache : cache_acquire ();
  *origin = cache;
  mem = cache->local;
  if (G_UNLIKELY (mem == NULL) && atomic_load_explicit (&cache->remote, memory_order_relaxed) != 0)
    {
      /* Take everything the receivers gave back, with one RMW. */
      uintptr_t remote = atomic_exchange_explicit (&cache->remote, 0, memory_order_acquire);

      mem = (gpointer) (uintptr_t) (remote & PTR_MASK);
      cache->n_local = (guint) (remote >> PTR_BITS);
    }
  if (G_LIKELY (mem != NULL))
    {
      gpointer next = link_get (mem);

      cache->local = next;
      cache->n_local--;
      /* The next envelope's lines were last written by the thread that
       * freed it: ask for them (for writing) now, so that they are here by
       * the next publish rather than stalling its first locked instruction
       * behind their transfer. */
      if (next != NULL)
        for (gsize off = 0; off < SMALL_ALLOC; off += ES_CACHELINE)
          es_prefetch_write ((const char *) next + off);
      return mem;
    }
  return small_alloc ();
}

void
_es_envelope_free (gpointer          mem,
                   gsize             inline_size,
                   EsEnvelopeCache  *origin)
{
  uintptr_t head;

  if (origin == NULL)
    {
      g_slice_free1 (sizeof (EsEvent) + inline_size, mem);
      return;
    }

  if (origin == my_cache)
    {
      if (origin->n_local < MAX_LOCAL)
        {
          link_set (mem, origin->local);
          origin->local = mem;
          origin->n_local++;
          return;
        }
      small_free (mem);
      return;
    }

  head = atomic_load_explicit (&origin->remote, memory_order_relaxed);
  for (;;)
    {
      guint depth = (guint) (head >> PTR_BITS);

      if (head == CLOSED || depth >= MAX_REMOTE)
        {
          small_free (mem);
          return;
        }
      link_set (mem, (gpointer) (uintptr_t) (head & PTR_MASK));
      /* Release: the owner that takes the stack sees the link we wrote. */
      if (atomic_compare_exchange_weak_explicit (&origin->remote, &head,
                                                 (uintptr_t) mem | ((uintptr_t) (depth + 1) << PTR_BITS),
                                                 memory_order_release, memory_order_relaxed))
        return;
    }
}
