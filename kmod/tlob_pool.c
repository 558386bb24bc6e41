// SPDX-License-Identifier: GPL-2.0
/*
 * The window pool.
 *
 * All windows are allocated at load (max_windows of them) so that nothing
 * is allocated on the scheduler, uprobe or hrtimer paths.  Free windows sit
 * on a list; a closed window goes back to it only after an RCU grace
 * period, because the scheduler probes and a running timer callback may
 * still be looking at it (both run with interrupts or preemption
 * disabled, which the grace period waits for).
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "tlob_internal.h"

static struct tlob_window *tlob_windows;
static LIST_HEAD(tlob_free_list);		/* under tlob_pool_lock */
static DEFINE_RAW_SPINLOCK(tlob_pool_lock);
static atomic_t tlob_pool_pending;		/* waiting for a grace period */

int tlob_pool_init(void)
{
	unsigned int i;

	tlob_windows = kvcalloc(tlob_max_windows, sizeof(*tlob_windows),
				GFP_KERNEL);
	if (!tlob_windows)
		return -ENOMEM;
	for (i = 0; i < tlob_max_windows; i++) {
		struct tlob_window *w = &tlob_windows[i];

		raw_spin_lock_init(&w->lock);
		INIT_HLIST_NODE(&w->hnode);
		tlob_timer_init(w);
		list_add_tail(&w->free_node, &tlob_free_list);
	}
	return 0;
}

/* Called once nothing can reach a window any more. */
void tlob_pool_exit(void)
{
	/* Wait for tlob_pool_free_rcu() of the last closed windows. */
	rcu_barrier();
	kvfree(tlob_windows);
}

static struct tlob_window *tlob_pool_take(void)
{
	struct tlob_window *w;
	unsigned long flags;

	raw_spin_lock_irqsave(&tlob_pool_lock, flags);
	w = list_first_entry_or_null(&tlob_free_list, struct tlob_window,
				     free_node);
	if (w)
		list_del_init(&w->free_node);
	raw_spin_unlock_irqrestore(&tlob_pool_lock, flags);
	return w;
}

/*
 * Take a free window, or NULL if the pool is exhausted.  With @may_sleep,
 * windows closed but still waiting for their grace period are waited for,
 * so that closing a window and opening one right after always succeeds.
 */
struct tlob_window *tlob_pool_get(bool may_sleep)
{
	struct tlob_window *w = tlob_pool_take();

	if (!w && may_sleep && atomic_read(&tlob_pool_pending)) {
		rcu_barrier();
		w = tlob_pool_take();
	}
	return w;
}

static void tlob_pool_free_rcu(struct rcu_head *head)
{
	struct tlob_window *w = container_of(head, struct tlob_window, rcu);
	unsigned long flags;

	raw_spin_lock_irqsave(&tlob_pool_lock, flags);
	list_add(&w->free_node, &tlob_free_list);
	raw_spin_unlock_irqrestore(&tlob_pool_lock, flags);
	atomic_dec(&tlob_pool_pending);
}

/* Give a closed, unhashed window back; any context. */
void tlob_pool_put(struct tlob_window *w)
{
	atomic_inc(&tlob_pool_pending);
	call_rcu(&w->rcu, tlob_pool_free_rcu);
}

/* Slot @i of the pool, for scans in sleepable context (disable, unbind). */
struct tlob_window *tlob_pool_slot(unsigned int i)
{
	return &tlob_windows[i];
}
