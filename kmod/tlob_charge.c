// SPDX-License-Identifier: GPL-2.0
/*
 * What self-instrumentation may take.  /dev/rv is open to every user, and
 * the windows of bindings (the services tlob-manager watches) come from
 * the same pool, so:
 *
 * - self-instrumented windows, all users together, hold at most
 *   max_self_windows windows of the pool: bindings always have the rest;
 * - a user without CAP_PERFMON or CAP_SYS_ADMIN holds at most
 *   max_user_windows of them;
 * - the records of each user's windows reach TLOB_SUB_ALL subscribers at
 *   most self_event_rate times a second (a token bucket, one second deep).
 *
 * The charge is per owner in the initial user namespace: the user itself
 * there, and for a task in a user namespace the user who created its
 * outermost namespace.  Mapping many uids in a namespace does not
 * multiply the limit; all namespaces root creates share root's entry.
 * An owner's entry is made the first time it opens a window and kept
 * until unload: there is one per user of the initial namespace that
 * self-instruments, whatever namespaces they create.  A window opened
 * with CAP_PERFMON is not subject to self_event_rate.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>

#include "tlob_internal.h"

struct tlob_charge {
	struct hlist_node node;		/* under tlob_charge_mutex */
	kuid_t owner;			/* in the initial user namespace */
	atomic_t windows;		/* open self-instrumented windows */
	raw_spinlock_t rate_lock;
	/* Protected by @rate_lock. */
	u64 credit_ns;			/* time credit, at most one second */
	u64 last_ns;
};

static DEFINE_MUTEX(tlob_charge_mutex);
static DEFINE_HASHTABLE(tlob_charges, 6);	/* under tlob_charge_mutex */
static atomic_t tlob_self_windows;		/* all owners together */

/* Who pays for current's self-instrumented windows. */
static kuid_t tlob_charge_owner(void)
{
	const struct cred *cred = current_cred();
	const struct user_namespace *ns = cred->user_ns;

	if (ns == &init_user_ns)
		return cred->uid;
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	return ns->owner;
}

static struct tlob_charge *tlob_charge_get(kuid_t owner)
{
	struct tlob_charge *c;

	mutex_lock(&tlob_charge_mutex);
	hash_for_each_possible(tlob_charges, c, node, __kuid_val(owner)) {
		if (uid_eq(c->owner, owner))
			goto out_unlock;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (c) {
		c->owner = owner;
		raw_spin_lock_init(&c->rate_lock);
		c->credit_ns = NSEC_PER_SEC;
		c->last_ns = ktime_get_ns();
		hash_add(tlob_charges, &c->node, __kuid_val(owner));
	}
out_unlock:
	mutex_unlock(&tlob_charge_mutex);
	return c;
}

/* Increment @v if it is below @max. */
static bool tlob_inc_below(atomic_t *v, unsigned int max)
{
	int old = atomic_read(v);

	do {
		if ((unsigned int)old >= max)
			return false;
	} while (!atomic_try_cmpxchg(v, &old, old + 1));
	return true;
}

/*
 * The charge entry of current's owner: @cached if it is that owner's (a
 * /dev/rv fd keeps the last one it used), else looked up or made.  NULL
 * if out of memory.  Sleeps.
 */
struct tlob_charge *tlob_charge_lookup(struct tlob_charge *cached)
{
	kuid_t owner = tlob_charge_owner();

	if (cached && uid_eq(cached->owner, owner))
		return cached;
	return tlob_charge_get(owner);
}

/*
 * Charge one self-instrumented window of current to @c, before it is
 * opened: -ENOSPC beyond max_self_windows or, without CAP_PERFMON,
 * max_user_windows.  The window's slot hands the charge back through
 * tlob_uncharge_self_window() when it is free again (tlob_pool.c).
 */
int tlob_charge_take(struct tlob_charge *c)
{
	unsigned int user_max = UINT_MAX;

	if (!perfmon_capable())
		user_max = READ_ONCE(tlob_max_user_windows);
	if (!tlob_inc_below(&tlob_self_windows,
			    READ_ONCE(tlob_max_self_windows)))
		return -ENOSPC;
	if (!tlob_inc_below(&c->windows, user_max)) {
		atomic_dec(&tlob_self_windows);
		return -ENOSPC;
	}
	return 0;
}

/* Any context. */
void tlob_uncharge_self_window(struct tlob_charge *c)
{
	atomic_dec(&c->windows);
	atomic_dec(&tlob_self_windows);
}

unsigned int tlob_self_windows_in_use(void)
{
	return atomic_read(&tlob_self_windows);
}

/*
 * May a record of @c's windows go to the subscribers now?  One token per
 * 1/self_event_rate second, at most one second's worth saved up; 0 lets
 * none through.  Any context.
 */
bool tlob_charge_may_forward(struct tlob_charge *c)
{
	unsigned int rate = READ_ONCE(tlob_self_event_rate);
	unsigned long flags;
	u64 now, cost;
	bool ok;

	if (!rate)
		return false;
	cost = NSEC_PER_SEC / min_t(u64, rate, NSEC_PER_SEC);
	now = ktime_get_ns();
	raw_spin_lock_irqsave(&c->rate_lock, flags);
	if (now > c->last_ns)
		c->credit_ns = min_t(u64, c->credit_ns + (now - c->last_ns),
				     NSEC_PER_SEC);
	c->last_ns = now;
	ok = c->credit_ns >= cost;
	if (ok)
		c->credit_ns -= cost;
	raw_spin_unlock_irqrestore(&c->rate_lock, flags);
	return ok;
}

/* Unload, once every window is closed. */
void tlob_charges_free(void)
{
	struct tlob_charge *c;
	struct hlist_node *tmp;
	int bkt;

	hash_for_each_safe(tlob_charges, bkt, tmp, c, node) {
		hash_del(&c->node);
		kfree(c);
	}
}
