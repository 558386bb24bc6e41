// SPDX-License-Identifier: GPL-2.0
/*
 * The task hash, and the enable switch that gates it.
 *
 * The hash maps a task to its open windows: one bucket per task pointer,
 * RCU readers (the scheduler probes, the uprobe handlers), writers under
 * tlob_hash_lock.  Windows are reused without a grace period (see struct
 * tlob_window), so a node a reader stands on may move to another bucket:
 * the buckets are hlist_nulls lists whose end marker is the bucket's
 * index, and a walk that ends on another bucket's marker starts again.
 * /sys/kernel/tlob/enable is written under the same lock, so once it
 * reads 0 no window can be hashed any more and a scan of the pool finds
 * every open window.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/rculist_nulls.h>
#include <linux/slab.h>

#include "tlob_internal.h"

struct hlist_nulls_head *tlob_hash;		/* under tlob_hash_lock, RCU */
unsigned int tlob_hash_bits;
static DEFINE_RAW_SPINLOCK(tlob_hash_lock);

/* Written under tlob_hash_lock, read lock-free. */
bool tlob_enabled = true;

int tlob_hash_init(void)
{
	unsigned int i, buckets;

	/* At least two buckets: hash_ptr() needs at least one bit. */
	buckets = roundup_pow_of_two(max(tlob_max_windows / 2, 2U));
	tlob_hash_bits = ilog2(buckets);
	tlob_hash = kvcalloc(buckets, sizeof(*tlob_hash), GFP_KERNEL);
	if (!tlob_hash)
		return -ENOMEM;
	for (i = 0; i < buckets; i++)
		INIT_HLIST_NULLS_HEAD(&tlob_hash[i], i);
	return 0;
}

/* Called once every window is closed and no probe runs. */
void tlob_hash_exit(void)
{
	kvfree(tlob_hash);
}

/* Hash a fully initialised window; fails if the monitor is disabled. */
bool tlob_hash_add(struct tlob_window *w)
{
	unsigned long flags;
	bool enabled;

	raw_spin_lock_irqsave(&tlob_hash_lock, flags);
	enabled = tlob_enabled;
	if (enabled)
		hlist_nulls_add_head_rcu(&w->hnode,
					 &tlob_hash[tlob_hash_index(w->task)]);
	raw_spin_unlock_irqrestore(&tlob_hash_lock, flags);
	return enabled;
}

void tlob_hash_del(struct tlob_window *w)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&tlob_hash_lock, flags);
	hlist_nulls_del_init_rcu(&w->hnode);
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
