/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

#include "es-private.h"
#include "es-wait-private.h"

G_BEGIN_DECLS

/*
 * EsOwner: lets the one thread that uses a piece of shared state update it
 * with plain loads and stores instead of locked instructions, for as long
 * as it is the only one.
 *
 * The first thread to call es_owner_claim() owns the state. The owner
 * brackets each update with es_owner_enter() / es_owner_leave(): a relaxed
 * store of `busy`, a compiler barrier, a check that it still owns the
 * state. Any other thread that wants the state calls es_owner_claim(),
 * which revokes the ownership for good: it marks the state REVOKING, issues
 * the process-wide barrier that pairs with the owner's compiler barrier
 * (es_heavy_barrier()), waits until the owner is out of any update, and
 * marks it MULTI. From then on every thread uses the state's atomic
 * (locked) protocol. Revoking costs a membarrier system call, once.
 */

#define ES_OWNER_MULTI    ((uintptr_t) 1)
#define ES_OWNER_REVOKING ((uintptr_t) 2)

typedef struct {
  atomic_uintptr_t owner;   /* 0, the owner's es_thread_id(), REVOKING or MULTI */
  atomic_int       busy;    /* the owner is inside an update */
} EsOwner;

static inline void
es_owner_init (EsOwner *o)
{
  atomic_init (&o->owner, 0);
  atomic_init (&o->busy, 0);
}

/* Whether the calling thread may update with plain stores now; if so, it
 * must call es_owner_leave() when done. Otherwise it takes the atomic path
 * (after es_owner_claim(), which makes the fast path possible next time). */
static inline gboolean
es_owner_enter (EsOwner *o)
{
  uintptr_t me = es_thread_id ();

  if (G_LIKELY (atomic_load_explicit (&o->owner, memory_order_relaxed) == me))
    {
      atomic_store_explicit (&o->busy, 1, memory_order_relaxed);
      es_light_barrier ();
      if (G_LIKELY (atomic_load_explicit (&o->owner, memory_order_relaxed) == me))
        return TRUE;
      atomic_store_explicit (&o->busy, 0, memory_order_release);
    }
  return FALSE;
}

/* Release: the owner's plain stores inside the update happen before a
 * revoker's wait for `busy` ends. */
static inline void
es_owner_leave (EsOwner *o)
{
  atomic_store_explicit (&o->busy, 0, memory_order_release);
}

/* Whether the calling thread owns the state (no barrier: for the owner's
 * own bookkeeping outside an update). */
static inline gboolean
es_owner_is_mine (EsOwner *o)
{
  return atomic_load_explicit (&o->owner, memory_order_relaxed) == es_thread_id ();
}

/* Adds @n to a counter whose only writer is the calling thread
 * (@single_writer: a load and a store, no locked instruction) or that
 * several threads update (an atomic add). Release either way. */
static inline void
es_counter_add (atomic_uint_least64_t *counter,
                guint64                n,
                gboolean               single_writer)
{
  if (single_writer)
    atomic_store_explicit (counter, atomic_load_explicit (counter, memory_order_relaxed) + n,
                           memory_order_release);
  else
    atomic_fetch_add_explicit (counter, n, memory_order_release);
}

void es_owner_claim_slow (EsOwner *o);

/* Becomes the owner if nobody is, else revokes another thread's ownership
 * (waiting for its update in progress). Returns once the calling thread may
 * use either the fast path (it owns) or the atomic path safely. Inline for
 * the common case of a state several threads already share (MULTI). */
static inline void
es_owner_claim (EsOwner *o)
{
  uintptr_t owner = atomic_load_explicit (&o->owner, memory_order_acquire);

  if (G_LIKELY (owner == ES_OWNER_MULTI))
    return;
  es_owner_claim_slow (o);
}

/* Revokes any ownership for good, e.g. before a closing thread moves the
 * state with the atomic protocol. */
void es_owner_revoke (EsOwner *o);

G_END_DECLS
