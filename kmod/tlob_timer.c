// SPDX-License-Identifier: GPL-2.0
/*
 * The budget timer: one hrtimer per window, armed at the window's deadline
 * in absolute hard-interrupt mode, so that it fires on PREEMPT_RT as well
 * and the violation is reported while the section still runs.
 */
#include <linux/hrtimer.h>
#include <linux/timekeeping.h>

#include "tlob_internal.h"

static enum hrtimer_restart tlob_timer_fn(struct hrtimer *timer)
{
	struct tlob_window *w = container_of(timer, struct tlob_window, timer);
	unsigned long flags;

	/*
	 * hrtimers do not fire early.  Were this ever before the deadline,
	 * the deadline rule would still expire the window at its next event
	 * or STOP; the timer is never re-armed from here, so that a closer
	 * that could only try to cancel it leaves it inactive.
	 */
	raw_spin_lock_irqsave(&w->lock, flags);
	tlob_window_timer_fired(w, ktime_get_ns());
	raw_spin_unlock_irqrestore(&w->lock, flags);
	return HRTIMER_NORESTART;
}

/* Timers are set up once, for the life of the pool. */
void tlob_timer_init(struct tlob_window *w)
{
	hrtimer_init(&w->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	w->timer.function = tlob_timer_fn;
}

/* Arm the timer of a window being opened; @w->lock held. */
void tlob_timer_arm(struct tlob_window *w)
{
	lockdep_assert_held(&w->lock);
	hrtimer_start(&w->timer, ns_to_ktime(w->deadline),
		      HRTIMER_MODE_ABS_HARD);
}

/*
 * Stop the timer of a closed window.  Where the caller cannot wait for a
 * running callback, that callback finds the window closed (or the slot
 * reused, not at its deadline yet) and does nothing; the next opener of
 * the slot waits for it before arming the timer again.
 */
void tlob_timer_cancel(struct tlob_window *w, bool may_sleep)
{
	if (may_sleep)
		hrtimer_cancel(&w->timer);
	else
		hrtimer_try_to_cancel(&w->timer);
}
