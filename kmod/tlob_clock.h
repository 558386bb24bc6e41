/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clock of a window: its automaton state (tlob_model.h, generated from
 * tlob.dot) and the time spent in each state.
 *
 * A window is a hybrid automaton with one clock, clk_elapsed, reset by
 * "start".  The invariant clk_elapsed < budget holds in the states the
 * model marks (running, waiting, sleeping); the budget timer and the
 * deadline rule of tlob_window.c enforce it.
 *
 * Plain C without kernel dependencies (beyond the u64 type), so that the
 * step function and the accounting are unit-tested in userspace.
 */
#ifndef _TLOB_CLOCK_H
#define _TLOB_CLOCK_H

#include "tlob_model.h"

/*
 * The sum of ns[] equals t_last - t_start, because every charge adds the
 * interval since the previous one to the state being left.
 */
struct tlob_clock {
	unsigned int state;
	u64 t_start;
	u64 t_last;
	u64 ns[state_max_tlob];
};

/* Charge the time up to @now to the current state (never backwards). */
static inline void tlob_clock_charge(struct tlob_clock *clk, u64 now)
{
	if (now > clk->t_last) {
		clk->ns[clk->state] += now - clk->t_last;
		clk->t_last = now;
	}
}

/* Event "start": stopped -> running, clk_elapsed reset. */
static inline void tlob_clock_start(struct tlob_clock *clk, u64 now)
{
	unsigned int i;

	for (i = 0; i < state_max_tlob; i++)
		clk->ns[i] = 0;
	clk->t_start = now;
	clk->t_last = now;
	clk->state = tlob_next_state(automaton_tlob.initial_state, start_tlob);
}

/*
 * Apply @event at time @now.  Returns the new state, or INVALID_STATE_TLOB
 * (state and clock unchanged) if the model does not allow the event.
 */
static inline unsigned int tlob_clock_step(struct tlob_clock *clk,
					   unsigned int event, u64 now)
{
	unsigned int next = tlob_next_state(clk->state, event);

	if (next == INVALID_STATE_TLOB)
		return next;
	tlob_clock_charge(clk, now);
	clk->state = next;
	return next;
}

static inline u64 tlob_clock_elapsed(const struct tlob_clock *clk)
{
	return clk->t_last - clk->t_start;
}

/* Bucket of the log2 histogram: [2^i, 2^(i+1)) ns; 0-1 ns in 0. */
static inline unsigned int tlob_hist_bucket(u64 ns, unsigned int nr_buckets)
{
	unsigned int i = 0;

	while (ns > 1 && i + 1 < nr_buckets) {
		ns >>= 1;
		i++;
	}
	return i;
}

#endif /* _TLOB_CLOCK_H */
