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
 * A record takes DIV_ROUND_UP(size, sizeof(struct tlob_event)) slots in a
 * row: one, except TLOB_EV_CAUSE (tlob_cause.c), which takes four and is
 * queued with the VIOLATION it follows, under one lock, so that no other
 * record comes between them.  The ring's size, its share for
 * self-instrumented records and its LOST accounting count slots.
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
				   ev->type == TLOB_EV_WINDOW_END ||
				   ev->type == TLOB_EV_CAUSE);
}

/* The slots of a record of @size bytes. */
static u32 tlob_slots(u32 size)
{
	return DIV_ROUND_UP(size, sizeof(struct tlob_event));
}

static_assert(sizeof(struct tlob_cause_event) <= 4 * sizeof(struct tlob_event));

/* Whether @n more slots fit; @r->lock held. */
static bool tlob_ring_room(const struct tlob_ring *r, u32 n)
{
	return r->tail - r->head + n <= r->size;
}

/* Count a record lost; @r->lock held. */
static void tlob_ring_drop(struct tlob_ring *r, bool *wake)
{
	lockdep_assert_held(&r->lock);
	if (!r->lost++) {
		r->lost_seq = r->tail;
		*wake = true;
	}
	atomic64_inc(&tlob_counters.events_dropped);
}

/* Queue @ev if there is room, else count it lost; @r->lock held. */
static bool tlob_ring_queue(struct tlob_ring *r, const struct tlob_event *ev,
			    bool *wake)
{
	u32 i, n = tlob_slots(ev->size);
	const char *p = (const char *)ev;
	size_t len;

	lockdep_assert_held(&r->lock);
	if (tlob_ring_room(r, n)) {
		for (i = 0; i < n; i++) {
			len = min_t(size_t, ev->size - i * sizeof(*ev),
				    sizeof(*ev));
			memcpy(&r->rec[r->tail++ % r->size],
			       p + i * sizeof(*ev), len);
		}
		if (tlob_event_is_self(ev))
			r->self_count += n;
		*wake = true;
		return true;
	}
	tlob_ring_drop(r, wake);
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
 * Queue a VIOLATION and, with @ce, its CAUSE right after it; a CAUSE that
 * finds no room after its VIOLATION is counted lost.  Returns whether
 * readers need a wakeup.
 */
bool tlob_ring_push_violation(struct tlob_ring *r, const struct tlob_event *ev,
			      const struct tlob_cause_event *ce)
{
	unsigned long flags;
	bool wake = false;

	raw_spin_lock_irqsave(&r->lock, flags);
	if (tlob_ring_queue(r, ev, &wake) && ce)
		tlob_ring_queue(r, &ce->ev, &wake);
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return wake;
}

/*
 * Queue a self-instrumented VIOLATION (and its CAUSE, @ce) for a
 * subscriber if its share of the ring allows it and its WINDOW_END, which
 * this promises a place; else count it withheld.  A CAUSE beyond the share
 * is counted lost.  Returns whether the VIOLATION was queued; @wake
 * whether readers need a wakeup.
 */
bool tlob_ring_push_self_violation(struct tlob_ring *r,
				   const struct tlob_event *ev,
				   const struct tlob_cause_event *ce,
				   bool *wake)
{
	u32 share = max(r->size / 4, 2U);
	unsigned long flags;
	bool queued = false;

	*wake = false;
	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->self_count + r->self_reserved + 2 <= share && tlob_ring_room(r, 1))
		queued = tlob_ring_queue(r, ev, wake);
	if (queued) {
		r->self_reserved++;
		if (ce && r->self_count + r->self_reserved +
		    tlob_slots(ce->ev.size) <= share)
			tlob_ring_queue(r, &ce->ev, wake);
		else if (ce)
			tlob_ring_drop(r, wake);
	} else {
		tlob_ring_withhold(r, wake);
	}
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

/*
 * Take the next record into @ev, which has @room bytes (at least one
 * struct tlob_event).  Returns its size, 0 if there is none, -EMSGSIZE if
 * it does not fit (it stays queued).
 */
int tlob_ring_pop(struct tlob_ring *r, struct tlob_event *ev, size_t room)
{
	const struct tlob_event *first;
	unsigned long flags;
	u32 i, n, size;
	char *p = (char *)ev;
	int ret;

	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->lost && r->lost_seq <= r->head) {
		tlob_ring_count_record(ev, TLOB_EV_LOST, &r->lost);
		ret = sizeof(*ev);
	} else if (r->suppressed && r->supp_seq <= r->head) {
		tlob_ring_count_record(ev, TLOB_EV_SUPPRESSED, &r->suppressed);
		ret = sizeof(*ev);
	} else if (r->head != r->tail) {
		first = &r->rec[r->head % r->size];
		size = first->size;
		n = tlob_slots(size);
		if (size > room) {
			ret = -EMSGSIZE;
			goto out_unlock;
		}
		for (i = 0; i < n; i++)
			memcpy(p + i * sizeof(*ev), &r->rec[r->head++ % r->size],
			       min_t(size_t, size - i * sizeof(*ev),
				     sizeof(*ev)));
		if (tlob_event_is_self(ev))
			r->self_count -= n;
		ret = size;
	} else {
		ret = 0;
	}
out_unlock:
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return ret;
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
