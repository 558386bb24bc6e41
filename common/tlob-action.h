/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-budget actions: the list of TlobAction= (drop-ins), of AddBudget's
 * "action" option and of "tlobctl add --action=", shared by tlob-manager
 * and tlobctl. Pure functions: no I/O, no logging.
 *
 * A list is space-separated items:
 *   log              the journal entry of each violation (always done)
 *   signal=SIG       the kernel sends SIG to the violating thread when the
 *                    budget expires, at most once per window. SIG is a
 *                    name of signal(7) with or without "SIG", any case
 *                    ("SIGABRT", "quit"), or a number 1-64. SIGKILL and
 *                    SIGSTOP are refused: they act on the whole process,
 *                    cannot be handled by it, and are what stop (or
 *                    systemd's own watchdog) is for.
 *   restart[=N/TIME] systemd restarts the budget's unit once N violations
 *   stop[=N/TIME]    (1-100) fell within TIME (a systemd time span, at
 *                    most 1 day; 0: no time limit, N violations since
 *                    the last action); "restart" is "restart=1/0",
 *                    "restart=N" is "restart=N/0"
 *   snapshot         the scheduler events around the violation are saved
 * Lists add up (one TlobAction= line after the other); an item given
 * again replaces the earlier one, and restart and stop replace each
 * other. The empty list clears what was built so far.
 */
#ifndef TLOB_ACTION_H
#define TLOB_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TLOB_ACTION_SIGNAL = 1 << 0,
	TLOB_ACTION_RESTART = 1 << 1,
	TLOB_ACTION_STOP = 1 << 2,
	TLOB_ACTION_SNAPSHOT = 1 << 3,
};

/* Limits of restart=N/TIME and stop=N/TIME. */
#define TLOB_ACTION_COUNT_MAX 100U
#define TLOB_ACTION_WINDOW_MAX_USEC (24ULL * 3600 * 1000000)

/* The actions of a budget; all zero: "log" only. */
typedef struct TlobActions {
	unsigned mask;			/* TLOB_ACTION_* ("log" is implied) */
	uint32_t signal;		/* 1-64, with TLOB_ACTION_SIGNAL */
	uint32_t unit_count;		/* N of restart/stop, >= 1 */
	uint64_t unit_window_usec;	/* TIME of restart/stop, 0: none */
} TlobActions;

/* Longest item named in a TlobActionError (bytes, with the NUL). */
#define TLOB_ACTION_ITEM_MAX 64

/* What was wrong with a list: the item (cut) and why. */
typedef struct TlobActionError {
	char item[TLOB_ACTION_ITEM_MAX];
	const char *why;		/* static English text */
} TlobActionError;

/*
 * Add the list @s to @a (an empty or blank @s resets @a to "log" only).
 * -EINVAL with @err (may be NULL) filled for a bad item; @a is then
 * untouched.
 */
int tlob_actions_parse(const char *s, TlobActions *a, TlobActionError *err);

/*
 * Canonical text of @a: "log", then "signal=SIGNAME", "restart=N/TIME"
 * (plain "restart" for 1/0) or "stop...", "snapshot", in this order,
 * separated by a space; parses back to @a. -ENOMEM.
 */
int tlob_actions_format(const TlobActions *a, char **ret);

static inline bool tlob_actions_is_default(const TlobActions *a)
{
	return a->mask == 0;
}

bool tlob_actions_equal(const TlobActions *a, const TlobActions *b);

/* Name of an action bit ("signal", "restart", "stop", "snapshot"). */
const char *tlob_action_name(unsigned bit);

/*
 * Signals as action lists write them: "SIGABRT" for 1-31, the number
 * for real-time ones. @buf holds at least 16 bytes.
 */
const char *tlob_signal_to_string(uint32_t sig, char *buf, size_t size);
/* A name (with or without "SIG", any case) or number 1-64; -EINVAL. */
int tlob_signal_from_string(const char *s, uint32_t *ret);

#endif /* TLOB_ACTION_H */
