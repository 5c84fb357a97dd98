/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <pthread.h>

#include <sched.h>

#include "es-owner-private.h"

/* Revocations are rare (once per state at most): one lock for all, so that
 * one revoker waits for the owner and any other thread waits for it. */
/* pthread, not GMutex: ThreadSanitizer sees its ordering (GLib 2.74's
 * GMutex is a bare futex). */
static pthread_mutex_t revoke_lock = PTHREAD_MUTEX_INITIALIZER;

static void
revoke_locked (EsOwner  *o,
               uintptr_t owner)
{
  guint spins = 0;

  /* REVOKING, not MULTI yet: a thread that saw MULTI would use the atomic
   * path at once, while the owner may still be inside a plain update. */
  atomic_store_explicit (&o->owner, ES_OWNER_REVOKING, memory_order_relaxed);
  /* Pairs with the owner's es_light_barrier() between its store of busy and
   * its second load of owner: either it sees REVOKING, or we see it busy and
   * wait for its update to land. */
  es_heavy_barrier ();
  while (atomic_load_explicit (&o->busy, memory_order_acquire))
    {
      if (++spins > 64)
        sched_yield ();
      else
        es_cpu_relax ();
    }
  atomic_store_explicit (&o->owner, ES_OWNER_MULTI, memory_order_release);
}

void
es_owner_claim_slow (EsOwner *o)
{
  uintptr_t me = es_thread_id ();

  for (;;)
    {
      uintptr_t owner = atomic_load_explicit (&o->owner, memory_order_acquire);

      if (owner == me || owner == ES_OWNER_MULTI)
        return;
      if (owner == 0)
        {
          if (atomic_compare_exchange_strong_explicit (&o->owner, &owner, me,
                                                       memory_order_acq_rel, memory_order_acquire))
            return;
          continue;
        }

      /* Owned by another thread, or being revoked. */
      pthread_mutex_lock (&revoke_lock);
      owner = atomic_load_explicit (&o->owner, memory_order_acquire);
      if (owner != ES_OWNER_MULTI && owner != me && owner != 0)
        revoke_locked (o, owner);
      pthread_mutex_unlock (&revoke_lock);
      if (owner != 0)
        return;
    }
}

void
es_owner_revoke (EsOwner *o)
{
  uintptr_t owner;

  pthread_mutex_lock (&revoke_lock);
  owner = atomic_load_explicit (&o->owner, memory_order_acquire);
  if (owner != ES_OWNER_MULTI)
    revoke_locked (o, owner);
  pthread_mutex_unlock (&revoke_lock);
}
