/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlob automaton: states, events and transition function.
 *
 * This table is the C form of tlob.dot; tests/kmod-unit/test-model.c parses
 * the DOT file and fails on any difference.  The header is plain C without
 * kernel dependencies (beyond the u64 type) so that the step function and
 * the time accounting are unit-tested in userspace.
 *
 * A window is a hybrid automaton with one clock, clk_elapsed, reset by
 * "start".  The invariant clk_elapsed < budget holds in running, waiting and
 * sleeping; it is enforced by the window's hrtimer, not by this table.
 */
#ifndef _TLOB_MODEL_H
#define _TLOB_MODEL_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

/* Values of running/waiting/sleeping equal TLOB_STATE_* of the UAPI. */
enum tlob_states {
	stopped_tlob = 0,
	running_tlob,
	waiting_tlob,
	sleeping_tlob,
	state_max_tlob,
};

#define INVALID_STATE_TLOB	state_max_tlob

enum tlob_events {
	start_tlob = 0,
	stop_tlob,
	preempt_tlob,
	sleep_tlob,
	wakeup_tlob,
	switch_in_tlob,
	event_max_tlob,
};

struct tlob_automaton {
	const char *state_names[state_max_tlob];
	const char *event_names[event_max_tlob];
	unsigned char function[state_max_tlob][event_max_tlob];
	unsigned char initial_state;
	bool final_states[state_max_tlob];
};

static const struct tlob_automaton automaton_tlob = {
	.state_names = {
		"stopped",
		"running",
		"waiting",
		"sleeping",
	},
	.event_names = {
		"start",
		"stop",
		"preempt",
		"sleep",
		"wakeup",
		"switch_in",
	},
	.function = {
		/* start, stop, preempt, sleep, wakeup, switch_in */
		[stopped_tlob] = {
			running_tlob, INVALID_STATE_TLOB, INVALID_STATE_TLOB,
			INVALID_STATE_TLOB, INVALID_STATE_TLOB, INVALID_STATE_TLOB,
		},
		[running_tlob] = {
			INVALID_STATE_TLOB, stopped_tlob, waiting_tlob,
			sleeping_tlob, running_tlob, INVALID_STATE_TLOB,
		},
		[waiting_tlob] = {
			INVALID_STATE_TLOB, INVALID_STATE_TLOB, INVALID_STATE_TLOB,
			INVALID_STATE_TLOB, waiting_tlob, running_tlob,
		},
		[sleeping_tlob] = {
			INVALID_STATE_TLOB, INVALID_STATE_TLOB, INVALID_STATE_TLOB,
			INVALID_STATE_TLOB, waiting_tlob, INVALID_STATE_TLOB,
		},
	},
	.initial_state = stopped_tlob,
	.final_states = { 1, 0, 0, 0 },
};

static inline const char *tlob_state_name(unsigned int state)
{
	if (state >= state_max_tlob)
		return "invalid";
	return automaton_tlob.state_names[state];
}

static inline const char *tlob_event_name(unsigned int event)
{
	if (event >= event_max_tlob)
		return "invalid";
	return automaton_tlob.event_names[event];
}

/* Next state of @state on @event, INVALID_STATE_TLOB if not allowed. */
static inline unsigned int tlob_next_state(unsigned int state,
					   unsigned int event)
{
	if (state >= state_max_tlob || event >= event_max_tlob)
		return INVALID_STATE_TLOB;
	return automaton_tlob.function[state][event];
}

/*
 * Per-window clock: the current state and the time spent in each state.
 * The sum of ns[] equals the time since tlob_clock_start(), because every
 * step charges the interval since the previous step to the state left.
 */
struct tlob_clock {
	unsigned int state;
	u64 t_start;
	u64 t_last;
	u64 ns[state_max_tlob];
};

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
	clk->state = tlob_next_state(stopped_tlob, start_tlob);
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

#endif /* _TLOB_MODEL_H */
