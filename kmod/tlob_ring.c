// SPDX-License-Identifier: GPL-2.0
/*
 * Event rings: the records an open /dev/rv file has to read.
 *
 * A ring is filled from the budget timer (hard interrupt), the scheduler
 * probes and the uprobe handlers, and emptied by read(), under a raw
 * spinlock.  Records are numbered (@head, @tail); the slot of record n is
 * n modulo the size.  Records that find the ring full are counted, and so
 * are self-instrumented violations withheld from a subscriber
 * (tlob_report.c): the counts take no slot, read() reports them as one
 * TLOB_EV_LOST or TLOB_EV_SUPPRESSED record at the place of the first
 * record they stand for.
 *
 * Self-instrumented records (binding 0) are counted while queued.  A
 * subscriber takes a self-instrumented VIOLATION only while the queued
 * ones, plus the WINDOW_ENDs promised to violations it took, stay below a
 * quarter of the ring; the WINDOW_END then always finds its place unless
 * the ring is full.  Records of bindings keep the rest.
 *
 * A file that only self-instruments keeps the few records of its embedded
 * small ring; BIND and SUBSCRIBE, which need CAP_PERFMON, give it
 * ring_size records, so an unprivileged user cannot make the module hold
 * more than a small, fixed amount of memory per open file.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "tlob_internal.h"

void tlob_ring_init(struct tlob_ring *r)
{
	raw_spin_lock_init(&r->lock);
	r->rec = r->small;
	r->size = ARRAY_SIZE(r->small);
}

/* Give @r @size records, keeping what is queued.  Sleeps; serialised. */
int tlob_ring_grow(struct tlob_ring *r, u32 size)
{
	struct tlob_event *rec, *old = NULL;
	unsigned long flags;
	u64 n;

	if (READ_ONCE(r->size) >= size)
		return 0;
	rec = kvcalloc(size, sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec)
		return -ENOMEM;
	raw_spin_lock_irqsave(&r->lock, flags);
	for (n = r->head; n != r->tail; n++)
		rec[n % size] = r->rec[n % r->size];
	if (r->rec != r->small)
		old = r->rec;
	r->rec = rec;
	r->size = size;
	raw_spin_unlock_irqrestore(&r->lock, flags);
	kvfree(old);
	return 0;
}

/* Release: nothing pushes to @r any more. */
void tlob_ring_free(struct tlob_ring *r)
{
	if (r->rec != r->small)
		kvfree(r->rec);
}

static bool tlob_event_is_self(const struct tlob_event *ev)
{
	return !ev->binding_id && (ev->type == TLOB_EV_VIOLATION ||
				   ev->type == TLOB_EV_WINDOW_END);
}

/* Queue @ev if there is room, else count it lost; @r->lock held. */
static bool tlob_ring_queue(struct tlob_ring *r, const struct tlob_event *ev,
			    bool *wake)
{
	lockdep_assert_held(&r->lock);
	if (r->tail - r->head < r->size) {
		r->rec[r->tail++ % r->size] = *ev;
		if (tlob_event_is_self(ev))
			r->self_count++;
		*wake = true;
		return true;
	}
	if (!r->lost++) {
		r->lost_seq = r->tail;
		*wake = true;
	}
	atomic64_inc(&tlob_counters.events_dropped);
	return false;
}

/* Count a self-instrumented violation withheld; @r->lock held. */
static void tlob_ring_withhold(struct tlob_ring *r, bool *wake)
{
	lockdep_assert_held(&r->lock);
	if (!r->suppressed++) {
		r->supp_seq = r->tail;
		*wake = true;
	}
	atomic64_inc(&tlob_counters.events_suppressed);
}

/* Queue @ev, or count it lost.  Returns whether readers need a wakeup. */
bool tlob_ring_push(struct tlob_ring *r, const struct tlob_event *ev)
{
	unsigned long flags;
	bool wake = false;

	raw_spin_lock_irqsave(&r->lock, flags);
	tlob_ring_queue(r, ev, &wake);
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return wake;
}

/*
 * Queue a self-instrumented VIOLATION for a subscriber if its share of the
 * ring allows it and its WINDOW_END, which this promises a place; else
 * count it withheld.  Returns whether it was queued; @wake whether readers
 * need a wakeup.
 */
bool tlob_ring_push_self_violation(struct tlob_ring *r,
				   const struct tlob_event *ev, bool *wake)
{
	unsigned long flags;
	bool queued = false;

	*wake = false;
	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->self_count + r->self_reserved + 2 <= max(r->size / 4, 2U) &&
	    r->tail - r->head < r->size)
		queued = tlob_ring_queue(r, ev, wake);
	if (queued)
		r->self_reserved++;
	else
		tlob_ring_withhold(r, wake);
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return queued;
}

/* The WINDOW_END promised by tlob_ring_push_self_violation(). */
bool tlob_ring_push_self_end(struct tlob_ring *r, const struct tlob_event *ev)
{
	unsigned long flags;
	bool wake = false;

	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->self_reserved)
		r->self_reserved--;
	tlob_ring_queue(r, ev, &wake);
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return wake;
}

/* A promised WINDOW_END will not come (the window was discarded). */
void tlob_ring_unreserve(struct tlob_ring *r)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->self_reserved)
		r->self_reserved--;
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

/* A new subscription: no window has promises on @r. */
void tlob_ring_reset_reservations(struct tlob_ring *r)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&r->lock, flags);
	r->self_reserved = 0;
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

/* Count a self-instrumented violation withheld from @r. */
bool tlob_ring_suppress(struct tlob_ring *r)
{
	unsigned long flags;
	bool wake = false;

	raw_spin_lock_irqsave(&r->lock, flags);
	tlob_ring_withhold(r, &wake);
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return wake;
}

/* A LOST or SUPPRESSED record of @count, now reported. */
static void tlob_ring_count_record(struct tlob_event *ev, u16 type,
				   u64 *count)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = type;
	ev->lost = *count;
	ev->timestamp_ns = ktime_get_ns();
	*count = 0;
}

bool tlob_ring_pop(struct tlob_ring *r, struct tlob_event *ev)
{
	unsigned long flags;
	bool found = true;

	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->lost && r->lost_seq <= r->head) {
		tlob_ring_count_record(ev, TLOB_EV_LOST, &r->lost);
	} else if (r->suppressed && r->supp_seq <= r->head) {
		tlob_ring_count_record(ev, TLOB_EV_SUPPRESSED, &r->suppressed);
	} else if (r->head != r->tail) {
		*ev = r->rec[r->head++ % r->size];
		if (tlob_event_is_self(ev))
			r->self_count--;
	} else {
		found = false;
	}
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return found;
}

bool tlob_ring_pending(struct tlob_ring *r)
{
	unsigned long flags;
	bool pending;

	raw_spin_lock_irqsave(&r->lock, flags);
	pending = r->head != r->tail || r->lost || r->suppressed;
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return pending;
}
