/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a budget does about its violations besides the journal entry
 * (TlobAction=, tlob-action.h): the kernel's signal is part of its
 * binding (budget.c); restart and stop go to PID 1, snapshot saves the
 * trace buffer (snapshot.h). Each action taken is counted and has a
 * journal entry of its own (TLOB_ACTION_MESSAGE_ID); one over its rate
 * limit is counted as suppressed.
 */
#ifndef TLOB_ACTIONS_H
#define TLOB_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include <linux/tlob.h>

#include "tlob-action.h"

typedef struct Manager Manager;
typedef struct Budget Budget;

#define TLOB_ACTION_MESSAGE_ID "73a969b5e0a9432eac52ed24d4daa4a1"

/* Actions counted, in the order of their bits (tlob-action.h). */
#define ACTIONS_COUNTED 4

/* Least time between two restart/stop actions of a budget. */
#define ACTIONS_UNIT_INTERVAL_MIN_USEC (10ULL * 1000000)

/* What a budget with actions keeps (Budget.act, NULL without). */
typedef struct ActionState {
	uint64_t taken[ACTIONS_COUNTED];
	uint64_t suppressed[ACTIONS_COUNTED];
	/* restart/stop: the times (CLOCK_MONOTONIC µs) of the last
	 * violations, at most unit_count, oldest at @head. */
	uint64_t *times;
	unsigned n_times, head;
	uint64_t unit_last;		/* last restart/stop, 0: none */
	uint64_t snapshot_last;		/* last snapshot, 0: none */
} ActionState;


/*
 * The violation @ev of @b, in @unit (a template's instance), was read at
 * @now (CLOCK_MONOTONIC µs); @logged: its journal entry was written (not
 * rate-limited); @ce its CAUSE record, or NULL. Counts the signal the
 * kernel sent (as the CAUSE tells, when there is one: none for a task
 * already exiting), and carries out the other actions that are due.
 */
void actions_on_violation(Manager *m, Budget *b, const char *unit,
			  const struct tlob_event *ev,
			  const struct tlob_cause_event *ce, uint64_t now,
			  bool logged);

/* GetBudget's "Actions", "ActionsTaken" and "ActionsSuppressed". */
int actions_append_properties(sd_bus_message *reply, const Budget *b);

/* Log action @action of @b on @unit (pid @pid, 0: none) with @result. */
void actions_log(const Budget *b, const char *unit, uint32_t pid,
		 const char *action, bool ok, const char *result);

#endif /* TLOB_ACTIONS_H */
