/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "es-zero-copy-queue-private.h"

_Static_assert (offsetof (EsZcQueue, heads) + sizeof (((EsZcQueue *) 0)->heads) - offsetof (EsZcQueue, reserved)
                <= ES_CACHELINE,
                "the producers' counters must share one cache line");

static EsZcCell *
lane_cells_new (guint64 size)
{
  EsZcCell *cells = g_aligned_alloc (size, sizeof (EsZcCell), ES_CACHELINE);

  for (guint64 i = 0; i < size; i++)
    {
      atomic_init (&cells[i].seq, i);
      cells[i].event = NULL;
    }
  return cells;
}

EsZcQueue *
_es_zc_queue_new (guint64  capacity,
                  gboolean priority_lanes)
{
  EsZcQueue *queue = g_aligned_alloc0 (1, sizeof (EsZcQueue), ES_CACHELINE);
  guint64 size = es_next_pow2 (MAX (capacity, 2));

  atomic_init (&queue->reserved, 0);
  atomic_init (&queue->released_cache, 0);
  atomic_init (&queue->released, 0);
  atomic_init (&queue->holes, 0);
  es_owner_init (&queue->prod);
  es_owner_init (&queue->cons);
  queue->capacity = capacity;
  queue->mask = size - 1;
  queue->n_lanes = priority_lanes ? ES_ZC_LANES : 1;
  for (guint i = 0; i < ES_ZC_LANES; i++)
    {
      atomic_init (&queue->heads[i], 0);
      atomic_init (&queue->lanes[i].tail, 0);
      atomic_init (&queue->lanes[i].cells, NULL);
    }
  /* The lane every event uses without priorities, or the NORMAL lane. */
  atomic_store (&queue->lanes[priority_lanes ? ES_EVENT_PRIORITY_NORMAL : 0].cells, lane_cells_new (size));
  return queue;
}

static EsZcCell *
lane_cells (EsZcQueue *queue,
            EsZcLane  *lane)
{
  EsZcCell *cells = atomic_load_explicit (&lane->cells, memory_order_acquire);
  EsZcCell *expected = NULL;

  if (G_LIKELY (cells != NULL))
    return cells;

  cells = lane_cells_new (queue->mask + 1);
  if (!atomic_compare_exchange_strong_explicit (&lane->cells, &expected, cells,
                                                memory_order_acq_rel, memory_order_acquire))
    {
      g_aligned_free (cells);
      cells = expected;
    }
  return cells;
}

/* A reservation given back: receivers skip it. */
#define HOLE ((EsEvent *) (uintptr_t) 1)

/* Whether the place at position @r is within the capacity. Signed: with
 * several producers, consumers may already have released places reserved
 * after @r. Compares with the cached count of released places first and
 * reads the consumers' line only when the queue looks full; acquire pairs
 * with their release, so the cells they freed are free for us. */
static inline gboolean
has_room (EsZcQueue *queue,
          guint64    r)
{
  guint64 released;

  if (G_LIKELY ((gint64) (r - atomic_load_explicit (&queue->released_cache, memory_order_relaxed)) <
                (gint64) queue->capacity))
    return TRUE;
  released = atomic_load_explicit (&queue->released, memory_order_acquire);
  atomic_store_explicit (&queue->released_cache, released, memory_order_relaxed);
  return (gint64) (r - released) < (gint64) queue->capacity;
}

/* Moves a position counter from @pos to @pos + 1: a plain store for its
 * single writer, else a CAS that fails (updating @pos) if another thread
 * moved it first. */
static inline gboolean
advance (atomic_uint_least64_t *counter,
         guint64               *pos,
         gboolean               single)
{
  if (single)
    {
      atomic_store_explicit (counter, *pos + 1, memory_order_relaxed);
      return TRUE;
    }
  return atomic_compare_exchange_weak_explicit (counter, pos, *pos + 1,
                                                memory_order_relaxed, memory_order_relaxed);
}

/* Single lane: claims the next cell itself, if the queue has room. */
static gboolean
reserve_cell (EsZcQueue *queue,
              gboolean   single,
              guint64   *ticket)
{
  EsZcCell *cells = atomic_load_explicit (&queue->lanes[0].cells, memory_order_relaxed);
  guint64 pos = atomic_load_explicit (&queue->reserved, memory_order_relaxed);

  for (;;)
    {
      EsZcCell *cell;
      gint64 dif;

      if (G_UNLIKELY (!has_room (queue, pos)))
        return FALSE;

      /* Acquire: the receiver that freed the cell is done with it. */
      cell = &cells[pos & queue->mask];
      dif = (gint64) atomic_load_explicit (&cell->seq, memory_order_acquire) - (gint64) pos;
      if (dif == 0)
        {
          if (advance (&queue->reserved, &pos, single))
            break;
          continue;   /* another producer took it: pos is the new head */
        }
      if (dif < 0)
        es_cpu_relax ();   /* not full: a receiver is still releasing the cell */
      pos = atomic_load_explicit (&queue->reserved, memory_order_relaxed);
    }
  *ticket = pos;
  return TRUE;
}

gboolean
_es_zc_queue_reserve (EsZcQueue *queue,
                      guint      lane_index,
                      guint64   *ticket)
{
  gboolean single = es_owner_enter (&queue->prod);
  gboolean ok;
  guint64 r;

  if (!single)
    es_owner_claim (&queue->prod);

  if (queue->n_lanes == 1)
    {
      ok = reserve_cell (queue, single, ticket);
      if (single)
        es_owner_leave (&queue->prod);
      return ok;
    }

  /* Load only for the plain update: a load before the RMW would fetch the
   * contended line twice (shared, then exclusive). */
  if (single)
    r = atomic_load_explicit (&queue->reserved, memory_order_relaxed);
  else
    r = atomic_fetch_add_explicit (&queue->reserved, 1, memory_order_relaxed);

  if (G_UNLIKELY (!has_room (queue, r)))
    {
      if (single)
        es_owner_leave (&queue->prod);
      else
        atomic_fetch_sub_explicit (&queue->reserved, 1, memory_order_relaxed);
      return FALSE;
    }

  /* Reserved: claim the lane's next cell at once, while the line holding
   * both counters is still ours. The reservation guarantees the lane a
   * free cell for every claim, so one RMW that cannot fail does (no CAS
   * retries while producers contend). */
  if (single)
    {
      atomic_store_explicit (&queue->reserved, r + 1, memory_order_relaxed);
      *ticket = atomic_load_explicit (&queue->heads[lane_index], memory_order_relaxed);
      atomic_store_explicit (&queue->heads[lane_index], *ticket + 1, memory_order_relaxed);
      es_owner_leave (&queue->prod);
    }
  else
    *ticket = atomic_fetch_add_explicit (&queue->heads[lane_index], 1, memory_order_relaxed);
  return TRUE;
}

/* Publishes the claimed cell @ticket of lane @lane_index holding @event. */
static void
fill_cell (EsZcQueue *queue,
           guint      lane_index,
           guint64    ticket,
           EsEvent   *event)
{
  EsZcCell *cells = lane_cells (queue, &queue->lanes[queue->n_lanes == 1 ? 0 : lane_index]);
  EsZcCell *cell = &cells[ticket & queue->mask];

  /* Nobody else claims the cell, and it is free once its sequence says
   * so: at once, or (dif < 0) after a consumer that already released its
   * reservation finishes with it, a few instructions later. */
  while ((gint64) atomic_load_explicit (&cell->seq, memory_order_acquire) - (gint64) ticket < 0)
    es_cpu_relax ();
  cell->event = event;
  atomic_store_explicit (&cell->seq, ticket + 1, memory_order_release);
}

void
_es_zc_queue_unreserve (EsZcQueue *queue,
                        guint      lane_index,
                        guint64    ticket)
{
  /* Later cells may be claimed already: leave a hole. Counted first, so
   * that the pushed count never includes it. */
  atomic_fetch_add_explicit (&queue->holes, 1, memory_order_release);
  fill_cell (queue, lane_index, ticket, HOLE);
}

void
_es_zc_queue_push (EsZcQueue *queue,
                   guint      lane_index,
                   EsEvent   *event,
                   guint64    ticket)
{
  fill_cell (queue, lane_index, ticket, event);
}

static EsEvent *
lane_pop (EsZcQueue *queue,
          EsZcLane  *lane,
          gboolean   single)
{
  EsZcCell *cells = atomic_load_explicit (&lane->cells, memory_order_acquire);
  guint64 pos;
  EsZcCell *cell;
  EsEvent *event;

  if (cells == NULL)
    return NULL;

  pos = atomic_load_explicit (&lane->tail, memory_order_relaxed);
  for (;;)
    {
      gint64 dif;

      cell = &cells[pos & queue->mask];
      dif = (gint64) atomic_load_explicit (&cell->seq, memory_order_acquire) - (gint64) (pos + 1);
      if (dif == 0)
        {
          if (advance (&lane->tail, &pos, single))
            break;
        }
      else if (dif < 0)
        return NULL;   /* empty (or the next producer has not finished) */
      else
        pos = atomic_load_explicit (&lane->tail, memory_order_relaxed);
    }

  event = cell->event;
  cell->event = NULL;
  /* Release the cell for the producer one lap ahead, then the reservation:
   * in this order a reserved push always finds its cell free. */
  atomic_store_explicit (&cell->seq, pos + queue->mask + 1, memory_order_release);
  es_counter_add (&queue->released, 1, single);
  return event;
}

/* Pops from the lanes in @order (+1 lowest first, -1 highest first). */
static EsEvent *
queue_pop (EsZcQueue *queue,
           gint       order)
{
  gboolean single = es_owner_enter (&queue->cons);
  EsEvent *event = NULL;

  if (!single)
    es_owner_claim (&queue->cons);
  for (guint k = 0; k < queue->n_lanes && event == NULL; k++)
    {
      EsZcLane *lane = &queue->lanes[order > 0 ? k : queue->n_lanes - 1 - k];

      /* A hole's place is released like an event's; take the next. */
      while ((event = lane_pop (queue, lane, single)) == HOLE)
        ;
    }
  if (single)
    es_owner_leave (&queue->cons);
  return event;
}

EsEvent *
_es_zc_queue_pop (EsZcQueue *queue)
{
  return queue_pop (queue, -1);
}

EsEvent *
_es_zc_queue_pop_oldest (EsZcQueue *queue)
{
  return queue_pop (queue, +1);
}

void
_es_zc_queue_free (EsZcQueue *queue,
                   void     (*release) (EsEvent *event, gpointer data),
                   gpointer   data)
{
  EsEvent *event;

  while ((event = _es_zc_queue_pop (queue)) != NULL)
    release (event, data);
  for (guint i = 0; i < ES_ZC_LANES; i++)
    {
      EsZcCell *cells = atomic_load (&queue->lanes[i].cells);

      if (cells != NULL)
        g_aligned_free (cells);
    }
  g_aligned_free (queue);
}
