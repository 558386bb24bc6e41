// SPDX-License-Identifier: GPL-2.0
/*
 * Event rings: the records an open /dev/rv file has to read.
 *
 * A ring is filled from the budget timer (hard interrupt), the scheduler
 * probes and the uprobe handlers, and emptied by read(), under a raw
 * spinlock.  Records that find no room are counted and reported by one
 * TLOB_EV_LOST record as soon as there is room; records withheld to keep
 * unprivileged users from crowding out bindings (tlob_report.c) likewise
 * by one TLOB_EV_SUPPRESSED record.
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
	u32 i;

	if (READ_ONCE(r->size) >= size)
		return 0;
	rec = kvcalloc(size, sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec)
		return -ENOMEM;
	raw_spin_lock_irqsave(&r->lock, flags);
	for (i = 0; i < r->count; i++)
		rec[i] = r->rec[(r->head + i) % r->size];
	if (r->rec != r->small)
		old = r->rec;
	r->rec = rec;
	r->size = size;
	r->head = 0;
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

/* Records [head, head + count) modulo size.  @r->lock held. */
static struct tlob_event *tlob_ring_tail(struct tlob_ring *r)
{
	return &r->rec[(r->head + r->count) % r->size];
}

/* Queue a LOST or SUPPRESSED record of @count; @r->lock held, room. */
static void tlob_ring_count_record(struct tlob_ring *r, u16 type, u64 *count)
{
	struct tlob_event *ev = tlob_ring_tail(r);

	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = type;
	ev->lost = *count;
	ev->timestamp_ns = ktime_get_ns();
	*count = 0;
	r->count++;
}

/* Report drops and withheld records as soon as there is room. */
static void tlob_ring_flush(struct tlob_ring *r)
{
	lockdep_assert_held(&r->lock);
	if (r->lost && r->count < r->size)
		tlob_ring_count_record(r, TLOB_EV_LOST, &r->lost);
	if (r->suppressed && r->count < r->size)
		tlob_ring_count_record(r, TLOB_EV_SUPPRESSED, &r->suppressed);
}

bool tlob_ring_push(struct tlob_ring *r, const struct tlob_event *ev,
		    unsigned int share, enum tlob_drop drop)
{
	unsigned long flags;
	bool queued;
	u32 limit;

	raw_spin_lock_irqsave(&r->lock, flags);
	tlob_ring_flush(r);
	limit = max(r->size >> share, 1U);
	queued = r->count < limit;
	if (queued) {
		*tlob_ring_tail(r) = *ev;
		r->count++;
	} else if (drop == TLOB_DROP_LOST) {
		r->lost++;
		atomic64_inc(&tlob_counters.events_dropped);
	} else {
		r->suppressed++;
		atomic64_inc(&tlob_counters.events_suppressed);
	}
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return queued;
}

/* Count a record withheld from @r without trying to queue it. */
void tlob_ring_suppressed(struct tlob_ring *r)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&r->lock, flags);
	r->suppressed++;
	atomic64_inc(&tlob_counters.events_suppressed);
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

bool tlob_ring_pop(struct tlob_ring *r, struct tlob_event *ev)
{
	unsigned long flags;
	bool found = false;

	raw_spin_lock_irqsave(&r->lock, flags);
	tlob_ring_flush(r);
	if (r->count) {
		*ev = r->rec[r->head];
		r->head = (r->head + 1) % r->size;
		r->count--;
		found = true;
	}
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return found;
}

bool tlob_ring_pending(struct tlob_ring *r)
{
	unsigned long flags;
	bool pending;

	raw_spin_lock_irqsave(&r->lock, flags);
	pending = r->count || r->lost || r->suppressed;
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return pending;
}
