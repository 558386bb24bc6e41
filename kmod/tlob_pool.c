// SPDX-License-Identifier: GPL-2.0
/*
 * The window pool and the task hash.
 *
 * All windows are allocated at load (max_windows of them) so that nothing
 * is allocated on the scheduler, uprobe or hrtimer paths.  Free windows sit
 * on a list; a closed window goes back to it only after an RCU grace period,
 * because the scheduler hooks may still be looking at it.
 *
 * The hash maps a task to its open windows: one bucket per task pointer,
 * RCU readers in the hooks, writers under tlob_hash_lock.
 */
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "tlob_internal.h"

static struct tlob_window *tlob_windows;
static LIST_HEAD(tlob_free_list);		/* under tlob_pool_lock */
static DEFINE_RAW_SPINLOCK(tlob_pool_lock);
static atomic_t tlob_pool_pending;		/* waiting for a grace period */

static struct hlist_head *tlob_hash;		/* under tlob_hash_lock, RCU */
static unsigned int tlob_hash_bits;
static DEFINE_RAW_SPINLOCK(tlob_hash_lock);

/* Written under tlob_hash_lock, so no window is hashed once it is false. */
bool tlob_enabled = true;

int tlob_pool_init(void)
{
	unsigned int i, buckets;

	/* At least two buckets: hash_ptr() needs at least one bit. */
	buckets = roundup_pow_of_two(max(tlob_max_windows / 2, 2U));
	tlob_hash_bits = ilog2(buckets);
	tlob_hash = kvcalloc(buckets, sizeof(*tlob_hash), GFP_KERNEL);
	if (!tlob_hash)
		return -ENOMEM;
	for (i = 0; i < buckets; i++)
		INIT_HLIST_HEAD(&tlob_hash[i]);

	tlob_windows = kvcalloc(tlob_max_windows, sizeof(*tlob_windows),
				GFP_KERNEL);
	if (!tlob_windows) {
		kvfree(tlob_hash);
		return -ENOMEM;
	}
	for (i = 0; i < tlob_max_windows; i++) {
		struct tlob_window *w = &tlob_windows[i];

		raw_spin_lock_init(&w->lock);
		INIT_HLIST_NODE(&w->hnode);
		tlob_monitor_init_window(w);
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
	kvfree(tlob_hash);
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

struct hlist_head *tlob_hash_bucket(const struct task_struct *task)
{
	return &tlob_hash[hash_ptr(task, tlob_hash_bits)];
}

/* Hash a fully initialised window; fails if the monitor is disabled. */
bool tlob_hash_add(struct tlob_window *w)
{
	unsigned long flags;
	bool enabled;

	raw_spin_lock_irqsave(&tlob_hash_lock, flags);
	enabled = tlob_enabled;
	if (enabled)
		hlist_add_head_rcu(&w->hnode, tlob_hash_bucket(w->task));
	raw_spin_unlock_irqrestore(&tlob_hash_lock, flags);
	return enabled;
}

void tlob_hash_del(struct tlob_window *w)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&tlob_hash_lock, flags);
	hlist_del_init_rcu(&w->hnode);
	raw_spin_unlock_irqrestore(&tlob_hash_lock, flags);
}

/*
 * Set the enable switch; returns its previous value.  Once it is false no
 * window can be hashed, so a scan of the pool after it finds every window.
 */
bool tlob_set_enabled(bool on)
{
	unsigned long flags;
	bool old;

	raw_spin_lock_irqsave(&tlob_hash_lock, flags);
	old = tlob_enabled;
	WRITE_ONCE(tlob_enabled, on);
	raw_spin_unlock_irqrestore(&tlob_hash_lock, flags);
	return old;
}
