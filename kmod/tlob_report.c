// SPDX-License-Identifier: GPL-2.0
/*
 * Where records go: to the /dev/rv file that owns the window (the fd of
 * its binding or the self-instrumenting fd) and to every TLOB_SUB_ALL
 * subscriber, with the isolation rules that keep self-instrumentation,
 * open to every user, from hiding the records of bindings:
 *
 * - A self-instrumented window's records go to subscribers only if its
 *   owner (tlob_charge.c) is within self_event_rate; the decision is taken
 *   once, at the VIOLATION, and its WINDOW_END follows it.
 * - In a subscriber's ring, a self-instrumented VIOLATION is queued only
 *   while the ring holds fewer than 1/8 of its size, its WINDOW_END while
 *   it holds fewer than 1/4: records of self-instrumented windows never
 *   hold more than a quarter of a subscriber's ring, the rest is always
 *   left to bindings.
 * - A subscriber learns how many violations it was not told about from a
 *   TLOB_EV_SUPPRESSED record; the owner's own fd always gets them.
 *
 * Subscribers sit in a small array of RCU pointers, so that a window can
 * remember in a bitmask which of them got its VIOLATION.
 */
#include <linux/bits.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "tlob_internal.h"

/* Shares of a subscriber's ring that self-instrumented records may use. */
#define TLOB_SHARE_SELF_VIOLATION	3	/* 1/8 */
#define TLOB_SHARE_SELF_END		2	/* 1/4 */
#define TLOB_SHARE_ALL			0

static DEFINE_MUTEX(tlob_sub_mutex);
/* Written under tlob_sub_mutex, read under RCU. */
static struct tlob_fd __rcu *tlob_subscribers[TLOB_MAX_SUBSCRIBERS];

void tlob_fill_event(struct tlob_event *ev, const struct tlob_window *w,
		     const struct tlob_window_result *res, u16 type)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = type;
	ev->state = res->expiry_state;
	ev->tgid = w->tgid;
	ev->tid = w->tid;
	ev->binding_id = w->binding ? w->binding->id : 0;
	ev->cookie = w->cookie;
	ev->cgroup_id = w->cgroup_id;
	ev->threshold_ns = w->threshold_ns;
	ev->elapsed_ns = res->elapsed_ns;
	ev->running_ns = res->ns[running_tlob];
	ev->waiting_ns = res->ns[waiting_tlob];
	ev->sleeping_ns = res->ns[sleeping_tlob];
	ev->timestamp_ns = res->timestamp_ns;
	memcpy(ev->comm, w->comm, sizeof(ev->comm));
}

static bool tlob_queue(struct tlob_fd *ctx, const struct tlob_event *ev,
		       unsigned int share, enum tlob_drop drop)
{
	bool queued = tlob_ring_push(&ctx->ring, ev, share, drop);

	tlob_fd_wake(ctx);
	return queued;
}

/*
 * A window's budget expired: @w->lock held, which keeps its owner fd
 * alive (closing the fd closes the window under that lock first).
 */
void tlob_report_violation(struct tlob_window *w,
			   const struct tlob_window_result *res)
{
	struct tlob_event ev;
	struct tlob_fd *ctx;
	bool forward = true;
	unsigned int i;

	lockdep_assert_held(&w->lock);
	tlob_fill_event(&ev, w, res, TLOB_EV_VIOLATION);
	if (w->owner)
		tlob_queue(w->owner, &ev, TLOB_SHARE_ALL, TLOB_DROP_LOST);
	if (!w->binding)
		forward = tlob_charge_may_forward(w->charge);

	rcu_read_lock();
	for (i = 0; i < TLOB_MAX_SUBSCRIBERS; i++) {
		ctx = rcu_dereference(tlob_subscribers[i]);
		if (!ctx || ctx == w->owner)
			continue;
		if (w->binding) {
			tlob_queue(ctx, &ev, TLOB_SHARE_ALL, TLOB_DROP_LOST);
		} else if (!forward) {
			tlob_ring_suppressed(&ctx->ring);
			tlob_fd_wake(ctx);
		} else if (tlob_queue(ctx, &ev, TLOB_SHARE_SELF_VIOLATION,
				      TLOB_DROP_SUPPRESSED)) {
			w->forwarded |= BIT_ULL(i);
		}
	}
	rcu_read_unlock();
}

/*
 * A violated window completed: called by its closer, which owns @w; the
 * owner fd is alive (the closer is its ioctl or a uprobe handler of its
 * binding, which its release waits for).
 */
void tlob_report_end(struct tlob_window *w,
		     const struct tlob_window_result *res)
{
	struct tlob_event ev;
	struct tlob_fd *ctx;
	unsigned int i;

	tlob_fill_event(&ev, w, res, TLOB_EV_WINDOW_END);
	if (w->owner)
		tlob_queue(w->owner, &ev, TLOB_SHARE_ALL, TLOB_DROP_LOST);

	rcu_read_lock();
	for (i = 0; i < TLOB_MAX_SUBSCRIBERS; i++) {
		ctx = rcu_dereference(tlob_subscribers[i]);
		if (!ctx || ctx == w->owner)
			continue;
		if (w->binding)
			tlob_queue(ctx, &ev, TLOB_SHARE_ALL, TLOB_DROP_LOST);
		else if (w->forwarded & BIT_ULL(i))
			tlob_queue(ctx, &ev, TLOB_SHARE_SELF_END,
				   TLOB_DROP_LOST);
	}
	rcu_read_unlock();
}

/* TLOB_SUB_ALL: -ENOSPC if TLOB_MAX_SUBSCRIBERS fds already have it. */
int tlob_subscribe(struct tlob_fd *ctx)
{
	unsigned int i;
	int ret = 0;

	mutex_lock(&tlob_sub_mutex);
	if (ctx->sub_slot >= 0)
		goto out_unlock;
	for (i = 0; i < TLOB_MAX_SUBSCRIBERS; i++) {
		if (!rcu_access_pointer(tlob_subscribers[i]))
			break;
	}
	if (i == TLOB_MAX_SUBSCRIBERS) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	ctx->sub_slot = i;
	rcu_assign_pointer(tlob_subscribers[i], ctx);
out_unlock:
	mutex_unlock(&tlob_sub_mutex);
	return ret;
}

void tlob_unsubscribe(struct tlob_fd *ctx)
{
	int slot;

	mutex_lock(&tlob_sub_mutex);
	slot = ctx->sub_slot;
	if (slot >= 0) {
		RCU_INIT_POINTER(tlob_subscribers[slot], NULL);
		ctx->sub_slot = -1;
	}
	mutex_unlock(&tlob_sub_mutex);
	/*
	 * Pairs with rcu_read_lock() in the reports: no reporter still
	 * uses @ctx once this returns, so it may subscribe again or be freed.
	 */
	if (slot >= 0)
		synchronize_rcu();
}
