// SPDX-License-Identifier: GPL-2.0
/*
 * The window pool.
 *
 * All windows are allocated at load (max_windows of them) so that nothing
 * is allocated on the scheduler, uprobe or hrtimer paths.  A closed window
 * may still be looked at by the scheduler probes and a running timer
 * callback (both run with interrupts or preemption disabled), so it waits
 * on the pending list, oldest first, stamped with a polled RCU grace
 * period, until that grace period has passed; then it is free again.
 * Whoever needs a window reaps the pending list first: a slot is reusable
 * as soon as its grace period ends, with no callback batching in between.
 *
 * A self-instrumented window keeps its charge (tlob_charge.c) until its
 * slot is free again, so that the share of the pool self-instrumentation
 * may hold counts the slots it keeps waiting too, and a user closing and
 * opening windows in a loop cannot take more of the pool than its share.
 */
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "tlob_internal.h"

static struct tlob_window *tlob_windows;
static DEFINE_RAW_SPINLOCK(tlob_pool_lock);
static LIST_HEAD(tlob_free_list);	/* under tlob_pool_lock */
static LIST_HEAD(tlob_pending_list);	/* under tlob_pool_lock, oldest first */

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

/*
 * Move the windows whose grace period has passed to the free list and
 * hand back their charges.  Grace periods complete in the order they were
 * asked for, so the first one still running ends the scan.
 */
static void tlob_pool_reap(void)
{
	struct tlob_window *w;

	lockdep_assert_held(&tlob_pool_lock);
	while ((w = list_first_entry_or_null(&tlob_pending_list,
					     struct tlob_window, free_node))) {
		if (!poll_state_synchronize_rcu(w->rcu_state))
			break;
		list_move_tail(&w->free_node, &tlob_free_list);
		if (w->charge) {
			tlob_uncharge_self_window(w->charge);
			w->charge = NULL;
		}
	}
}

/* Called once every window is closed and nothing can reach one. */
void tlob_pool_exit(void)
{
	unsigned int i;

	synchronize_rcu();
	raw_spin_lock_irq(&tlob_pool_lock);
	tlob_pool_reap();
	WARN_ON_ONCE(!list_empty(&tlob_pending_list));
	raw_spin_unlock_irq(&tlob_pool_lock);
	for (i = 0; i < tlob_max_windows; i++)
		hrtimer_cancel(&tlob_windows[i].timer);
	kvfree(tlob_windows);
}

/*
 * Wait until the windows pending now are free again, and reap them.
 * Returns false if none was pending.  Sleeps.
 */
bool tlob_pool_wait_pending(void)
{
	unsigned long state = 0;
	struct tlob_window *w;
	bool pending;

	raw_spin_lock_irq(&tlob_pool_lock);
	pending = !list_empty(&tlob_pending_list);
	if (pending) {
		w = list_last_entry(&tlob_pending_list, struct tlob_window,
				    free_node);
		state = w->rcu_state;
	}
	raw_spin_unlock_irq(&tlob_pool_lock);
	if (!pending)
		return false;
	cond_synchronize_rcu(state);
	raw_spin_lock_irq(&tlob_pool_lock);
	tlob_pool_reap();
	raw_spin_unlock_irq(&tlob_pool_lock);
	return true;
}

static struct tlob_window *tlob_pool_take(void)
{
	struct tlob_window *w;
	unsigned long flags;

	raw_spin_lock_irqsave(&tlob_pool_lock, flags);
	tlob_pool_reap();
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

	if (!w && may_sleep && tlob_pool_wait_pending())
		w = tlob_pool_take();
	return w;
}

/*
 * Give a closed, unhashed window back: it is free again after a grace
 * period, which this asks for.  Interrupts enabled (the grace-period
 * kthread may be woken); may run with preemption disabled.
 */
void tlob_pool_put(struct tlob_window *w)
{
	unsigned long flags;

	w->rcu_state = start_poll_synchronize_rcu();
	raw_spin_lock_irqsave(&tlob_pool_lock, flags);
	list_add_tail(&w->free_node, &tlob_pending_list);
	raw_spin_unlock_irqrestore(&tlob_pool_lock, flags);
}

/* Slot @i of the pool, for scans in sleepable context (disable, unbind). */
struct tlob_window *tlob_pool_slot(unsigned int i)
{
	return &tlob_windows[i];
}
