// SPDX-License-Identifier: GPL-2.0
/*
 * The window pool.
 *
 * All windows are allocated at load (max_windows of them) so that nothing
 * is allocated on the scheduler, uprobe or hrtimer paths.  A closed window
 * is free again as soon as its closer puts it back: slots are type-safe
 * (see struct tlob_window), so a scheduler probe or a timer callback that
 * still looks at a slot reused meanwhile finds a window that is not the
 * one it looked for, under its lock, and leaves it alone.  No grace period
 * stands between a close and the next open: a binding on a hot function
 * finds its slots again at once.
 *
 * A self-instrumented window hands its charge (tlob_charge.c) back with
 * its slot.
 */
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "tlob_internal.h"

static struct tlob_window *tlob_windows;
static DEFINE_RAW_SPINLOCK(tlob_pool_lock);
static LIST_HEAD(tlob_free_list);	/* under tlob_pool_lock */

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
		tlob_timer_init(w);
		tlob_signal_init(w);
		list_add_tail(&w->free_node, &tlob_free_list);
	}
	return 0;
}

/* Called once every window is closed and nothing can reach one. */
void tlob_pool_exit(void)
{
	unsigned int i;

	/* The last probe and timer callback have left the slots. */
	synchronize_rcu();
	for (i = 0; i < tlob_max_windows; i++) {
		hrtimer_cancel(&tlob_windows[i].timer);
		tlob_signal_sync(&tlob_windows[i]);
	}
	kvfree(tlob_windows);
}

/* Take a free window, or NULL if the pool is exhausted.  Any context. */
struct tlob_window *tlob_pool_get(void)
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
 * Give a closed, unhashed window back, free at once, with the charge of
 * a self-instrumented one.  Any context.
 */
void tlob_pool_put(struct tlob_window *w)
{
	unsigned long flags;

	if (w->charge) {
		tlob_uncharge_self_window(w->charge);
		w->charge = NULL;
	}
	raw_spin_lock_irqsave(&tlob_pool_lock, flags);
	list_add(&w->free_node, &tlob_free_list);
	raw_spin_unlock_irqrestore(&tlob_pool_lock, flags);
}

/* Slot @i of the pool, for scans in sleepable context (disable, unbind). */
struct tlob_window *tlob_pool_slot(unsigned int i)
{
	return &tlob_windows[i];
}
