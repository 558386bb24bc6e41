// SPDX-License-Identifier: GPL-2.0
/*
 * Where records go: to the /dev/rv file that owns the window (the fd of
 * its binding or the self-instrumenting fd) and to every TLOB_SUB_ALL
 * subscriber, with the isolation rules that keep self-instrumentation,
 * open to every user, from hiding the records of bindings:
 *
 * - A self-instrumented window's records go to subscribers only if its
 *   owner (tlob_charge.c) is within self_event_rate, or opened it with
 *   CAP_PERFMON; the decision is taken once, when it expires
 *   (tlob_window.c), and its WINDOW_END follows it.
 * - In a subscriber's ring, self-instrumented records never hold more than
 *   a quarter (tlob_ring.c).
 * - A subscriber learns how many violations it was not told about from a
 *   TLOB_EV_SUPPRESSED record; the owner's own fd always gets them.
 *
 * Subscribers sit in a small array of RCU pointers, so that a window can
 * remember in a bitmask which of them got its VIOLATION; a WINDOW_END goes
 * only to those, and only while they are the same subscription (a slot
 * taken again by a later subscriber, with a higher @sub_seq, is not).
 */
#include <linux/bits.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "tlob_internal.h"

static DEFINE_MUTEX(tlob_sub_mutex);
/* Written under tlob_sub_mutex, read under RCU. */
static struct tlob_fd __rcu *tlob_subscribers[TLOB_MAX_SUBSCRIBERS];
static u64 tlob_sub_seq;		/* under tlob_sub_mutex */

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

static void tlob_queue(struct tlob_fd *ctx, const struct tlob_event *ev)
{
	if (tlob_ring_push(&ctx->ring, ev))
		tlob_fd_wake(ctx);
}

/* The subscriber in @slot that got @w's VIOLATION, if it is still there. */
static struct tlob_fd *tlob_forwarded_to(const struct tlob_window *w,
					 unsigned int slot)
{
	struct tlob_fd *ctx;

	if (!(w->forwarded & BIT_ULL(slot)))
		return NULL;
	ctx = rcu_dereference(tlob_subscribers[slot]);
	if (!ctx || ctx->sub_seq > w->fwd_seq)
		return NULL;
	return ctx;
}

/*
 * A window's budget expired: @w->lock held, which keeps its owner fd
 * alive (closing the fd closes the window under that lock first).  @ce,
 * the cause, follows the VIOLATION on the owner fd (which asked for it
 * with the binding or TRACE_START) and on the subscribers that asked for
 * causes.
 */
void tlob_report_violation(struct tlob_window *w,
			   const struct tlob_window_result *res,
			   const struct tlob_cause_event *ce)
{
	const struct tlob_cause_event *sce;
	struct tlob_event ev;
	struct tlob_fd *ctx;
	unsigned int i;
	bool wake;

	lockdep_assert_held(&w->lock);
	tlob_fill_event(&ev, w, res, TLOB_EV_VIOLATION);
	if (w->owner && tlob_ring_push_violation(&w->owner->ring, &ev, ce))
		tlob_fd_wake(w->owner);

	rcu_read_lock();
	for (i = 0; i < TLOB_MAX_SUBSCRIBERS; i++) {
		ctx = rcu_dereference(tlob_subscribers[i]);
		if (!ctx || ctx == w->owner)
			continue;
		sce = READ_ONCE(ctx->sub_cause) ? ce : NULL;
		if (w->binding) {
			if (tlob_ring_push_violation(&ctx->ring, &ev, sce))
				tlob_fd_wake(ctx);
		} else if (w->quiet) {
			if (tlob_ring_suppress(&ctx->ring))
				tlob_fd_wake(ctx);
			continue;
		} else {
			if (!tlob_ring_push_self_violation(&ctx->ring, &ev,
							   sce, &wake)) {
				if (wake)
					tlob_fd_wake(ctx);
				continue;
			}
			tlob_fd_wake(ctx);
		}
		w->forwarded |= BIT_ULL(i);
		w->fwd_seq = max(w->fwd_seq, ctx->sub_seq);
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
		tlob_queue(w->owner, &ev);

	rcu_read_lock();
	for (i = 0; i < TLOB_MAX_SUBSCRIBERS; i++) {
		ctx = tlob_forwarded_to(w, i);
		if (!ctx)
			continue;
		if (w->binding)
			tlob_queue(ctx, &ev);
		else if (tlob_ring_push_self_end(&ctx->ring, &ev))
			tlob_fd_wake(ctx);
	}
	rcu_read_unlock();
}

/* A violated window ends without a WINDOW_END: release its promises. */
void tlob_report_discard(struct tlob_window *w)
{
	struct tlob_fd *ctx;
	unsigned int i;

	if (w->binding || !w->forwarded)
		return;
	rcu_read_lock();
	for (i = 0; i < TLOB_MAX_SUBSCRIBERS; i++) {
		ctx = tlob_forwarded_to(w, i);
		if (ctx)
			tlob_ring_unreserve(&ctx->ring);
	}
	rcu_read_unlock();
}

/*
 * TLOB_SUB_ALL, with causes if @cause: -ENOSPC if TLOB_MAX_SUBSCRIBERS fds
 * already have it.
 */
int tlob_subscribe(struct tlob_fd *ctx, bool cause)
{
	unsigned int i;
	int ret = 0;

	mutex_lock(&tlob_sub_mutex);
	WRITE_ONCE(ctx->sub_cause, cause);
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
	tlob_ring_reset_reservations(&ctx->ring);
	ctx->sub_seq = ++tlob_sub_seq;
	ctx->sub_slot = i;
	/* Publishes @sub_seq with the pointer. */
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
