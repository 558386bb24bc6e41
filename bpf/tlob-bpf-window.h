/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clock of a window in the BPF monitor: its automaton state (the
 * model's table, tlob-bpf-model.h), the time spent in each state, the
 * deadline rule, and the log2 histogram bucket of a completed window.
 *
 * The same rules as the module's tlob_clock.h and tlob_window.c:
 * - every step charges the time since the previous one to the state left
 *   (never backwards), so the breakdown always sums to t_last - t_start;
 * - violated if and only if elapsed >= budget: before any event applied at
 *   or after the deadline, and when the budget timer fires, the window
 *   expires at its deadline, with the state and breakdown at the deadline.
 *   An event whose time was read before another CPU expired the window
 *   charges nothing (its time is before t_last), so a window that expired
 *   ends with elapsed >= budget whoever noticed the deadline first.
 *
 * Plain C on __u32/__u64, always inlined: the BPF object calls these with
 * a bpf_spin_lock held, where no call is allowed, and the host unit test
 * (tests/bpf/test-bpf-window.c) runs the very same code.
 */
#ifndef TLOB_BPF_WINDOW_H
#define TLOB_BPF_WINDOW_H

#include "tlob-bpf-model.h"

/* __always_inline: from <bpf/bpf_helpers.h>, or glibc's <sys/cdefs.h>. */

/* Buckets of struct tlob_binding_stats.hist (TLOB_HIST_BUCKETS). */
#define TLOB_BPF_HIST_BUCKETS	40

struct tlob_bpf_clock {
	__u32 state;			/* TLOB_BPF_<STATE> */
	__u32 violated;
	__u32 expiry_state;		/* state at the deadline, once violated */
	__u32 pad;
	__u64 t_start;
	__u64 t_last;			/* time charged up to */
	__u64 deadline;			/* t_start + budget */
	__u64 ns[TLOB_BPF_NR_STATES];	/* time spent in each state */
	__u64 exp_ns[TLOB_BPF_NR_STATES]; /* ... up to the deadline */
};

/* Next state of @state on @event, TLOB_BPF_INVALID if not allowed. */
static __always_inline __u32 tlob_bpf_next_state(__u32 state, __u32 event)
{
	__u32 i = state * TLOB_BPF_NR_EVENTS + event;

	if (state >= TLOB_BPF_NR_STATES || event >= TLOB_BPF_NR_EVENTS ||
	    i >= sizeof(tlob_bpf_next))
		return TLOB_BPF_INVALID;
	return tlob_bpf_next[i];
}

/* Per-state arrays are indexed through the mask, which the verifier sees. */
static __always_inline int tlob_bpf_invariant_holds(__u32 state)
{
	return tlob_bpf_invariant[state & TLOB_BPF_STATE_MASK];
}

/* Charge the time up to @now to the current state (never backwards). */
static __always_inline void tlob_bpf_clock_charge(struct tlob_bpf_clock *c, __u64 now)
{
	if (now > c->t_last) {
		c->ns[c->state & TLOB_BPF_STATE_MASK] += now - c->t_last;
		c->t_last = now;
	}
}

/* Event "start" at @now with a budget of @budget: the clock is reset. */
static __always_inline void tlob_bpf_clock_start(struct tlob_bpf_clock *c,
						 __u64 now, __u64 budget)
{
	__u32 i;

	for (i = 0; i < TLOB_BPF_NR_STATES; i++) {
		c->ns[i] = 0;
		c->exp_ns[i] = 0;
	}
	c->state = tlob_bpf_next_state(TLOB_BPF_INITIAL, TLOB_BPF_EV_START);
	c->violated = 0;
	c->expiry_state = c->state;
	c->t_start = now;
	c->t_last = now;
	c->deadline = now + budget;
}

/*
 * The budget expired: charge up to the deadline in the current state and
 * keep the figures at the deadline.  Not violated yet, at or past the
 * deadline.
 */
static __always_inline void tlob_bpf_clock_expire(struct tlob_bpf_clock *c)
{
	__u32 i;

	tlob_bpf_clock_charge(c, c->deadline);
	c->violated = 1;
	c->expiry_state = c->state;
	for (i = 0; i < TLOB_BPF_NR_STATES; i++)
		c->exp_ns[i] = c->ns[i];
}

/* The deadline rule at @now; 1 if the window expired just now. */
static __always_inline int
tlob_bpf_clock_check_deadline(struct tlob_bpf_clock *c, __u64 now)
{
	if (c->violated || now < c->deadline ||
	    !tlob_bpf_invariant_holds(c->state))
		return 0;
	tlob_bpf_clock_expire(c);
	return 1;
}

/*
 * Apply @event at @now, after the deadline rule.  Returns 1 if the window
 * expired on the way (its VIOLATION is to be reported), else 0.  An event
 * the model does not allow in the current state changes nothing else.
 */
static __always_inline int tlob_bpf_clock_step(struct tlob_bpf_clock *c,
					       __u32 event, __u64 now)
{
	int expired = tlob_bpf_clock_check_deadline(c, now);
	__u32 next = tlob_bpf_next_state(c->state, event);

	if (next == TLOB_BPF_INVALID)
		return expired;
	tlob_bpf_clock_charge(c, now);
	c->state = next;
	return expired;
}

static __always_inline __u64 tlob_bpf_clock_elapsed(const struct tlob_bpf_clock *c)
{
	return c->t_last - c->t_start;
}

/* Bucket of the log2 histogram: [2^i, 2^(i+1)) ns; 0-1 ns in 0. */
static __always_inline __u32 tlob_bpf_hist_bucket(__u64 ns)
{
	__u32 i;

	for (i = 0; i < TLOB_BPF_HIST_BUCKETS - 1; i++) {
		if (ns < 2)
			break;
		ns >>= 1;
	}
	return i;
}

#endif /* TLOB_BPF_WINDOW_H */
