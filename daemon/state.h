/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What tlob-manager keeps across its restarts besides /dev/rv: its
 * counters, the statistics of its budgets' earlier bindings ("retired"),
 * and the batch of kernel records it is handling. They live in a memfd
 * that systemd keeps in the unit's file descriptor store (FDNAME=state),
 * so that a restart, even after SIGKILL, continues where the killed
 * process stopped.
 *
 * Exactness: a record is read(2) from /dev/rv straight into the memfd
 * (the "inbox"), so it is at every moment either in the kernel's ring or
 * in the memfd, never only in the process. The counters, with the number
 * of the last batch they include, have two copies; a batch is committed
 * by writing the other copy and switching to it with one aligned store.
 * A SIGKILL therefore leaves either the old counters with the batch still
 * in the inbox (it is applied again at start) or the new ones with the
 * batch marked done: every record is counted exactly once. The signals
 * and journal entries of a batch are sent (and the bus flushed) before its
 * commit, so a SIGKILL may send those of the interrupted batch twice,
 * never lose them. Retiring a binding (its statistics added to its
 * budget's) goes the same way: the statistics are written as "pending"
 * before the binding is removed, and folded into two-copy slots after.
 *
 * Without a memfd (none could be made, tests) the same structure lives in
 * plain memory.
 */
#ifndef TLOB_STATE_H
#define TLOB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/tlob.h>

#include "budget.h"

typedef struct State State;

/* The manager's counters (D-Bus properties of the same names). */
typedef struct StateCounters {
	uint64_t batch;			/* the last batch they include */
	uint64_t violations;		/* ViolationCount */
	uint64_t dropped;		/* DroppedEvents */
	uint64_t self_violations;	/* SelfViolationCount */
	uint64_t suppressed;		/* SuppressedViolations */
} StateCounters;

/* Records of one batch: as many as one read(2) of the kernel link takes. */
#define STATE_INBOX_RECORDS 64

/*
 * Open the state in memfd @fd (from the fd store; -1: make a new memfd),
 * with room for the retired statistics of @n_slots budgets (one taken
 * over keeps the room it has). A memfd whose content is not ours is
 * started afresh.
 * With @anonymous, plain memory instead of a memfd.
 */
int state_new(int fd, unsigned n_slots, bool anonymous, State **ret);
State *state_free(State *s);
static inline void state_freep(State **s)
{
	state_free(*s);
}
/* The memfd, for the fd store; -EBADF without one. */
int state_fd(const State *s);
/* Was it adopted with content (rather than made anew)? */
bool state_adopted(const State *s);

const StateCounters *state_counters(const State *s);

/*
 * The inbox: room for one batch of records, zeroed; the batch it will
 * hold is the one after the last committed. Read records into it, handle
 * them, then state_commit() the counters they led to.
 */
void *state_inbox_begin(State *s, size_t *ret_size);
/*
 * The records of a batch read but not committed (a SIGKILL came in
 * between): their bytes, 0 if none. Handle them and commit as usual.
 */
size_t state_inbox_pending(State *s, const void **ret_buf);
void state_commit(State *s, const StateCounters *c);

/* The retired statistics of the budget with @cookie (NULL: none). */
const BudgetStats *state_retired(const State *s, uint64_t cookie);
/*
 * Retire binding @id of the budget with @cookie: state_retire_begin()
 * with its last statistics before it is removed, state_retire_end() once
 * it is. -ENOSPC if there is no free slot (every one is a budget's).
 */
int state_retire_begin(State *s, uint64_t cookie, uint32_t id,
		       const struct tlob_binding_stats *st);
void state_retire_end(State *s);
/*
 * Binding @id, being removed, had @cookie: the last few such are kept, so
 * that records still queued for it are known as ours, also after a
 * restart (binding ids are not reused soon).
 */
void state_note_retired(State *s, uint32_t id, uint64_t cookie);
/* The cookie of retired binding @id, 0 if not known. */
uint64_t state_retired_cookie(const State *s, uint32_t id);
/* Forget the retired statistics of @cookie (its budget is gone). */
void state_retired_drop(State *s, uint64_t cookie);

/*
 * At start, finish what a killed predecessor left: a retirement whose
 * binding @binding_alive() says is gone is completed, else forgotten (the
 * binding is still there). Then the slots whose cookie @cookie_used()
 * denies are freed.
 */
void state_recover(State *s, bool (*binding_alive)(uint32_t id, void *userdata),
		   bool (*cookie_used)(uint64_t cookie, void *userdata),
		   void *userdata);

#endif /* TLOB_STATE_H */
