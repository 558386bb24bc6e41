/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixed-window rate limiter for log entries: at most @burst entries per
 * @interval_usec; the number suppressed in an interval is handed back once,
 * so the caller can log one summary entry. Time is passed in by the caller
 * (CLOCK_MONOTONIC µs), which keeps this testable.
 */
#ifndef TLOB_RATELIMIT_H
#define TLOB_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct RateLimit {
	uint64_t interval_usec;
	unsigned burst;
	uint64_t begin;		/* start of the current interval */
	unsigned num;		/* entries let through in it */
	uint64_t suppressed;	/* entries refused in it */
	bool active;		/* an interval has begun */
} RateLimit;

#define RATELIMIT_INIT(interval, b) \
	((RateLimit) { .interval_usec = (interval), .burst = (b) })

/*
 * May an entry be logged at @now? If @now starts a new interval and the
 * previous one suppressed entries, *@ret_suppressed gets their number (log
 * the summary first), else 0. Counts the refused entry when returning false.
 */
bool ratelimit_below(RateLimit *rl, uint64_t now, uint64_t *ret_suppressed);

/*
 * If the interval that suppressed entries has ended at @now, return their
 * number and start afresh; else 0. For a timer that logs the summary when
 * no further entry comes.
 */
uint64_t ratelimit_flush(RateLimit *rl, uint64_t now);

/* When the current interval ends (the time to call ratelimit_flush()). */
uint64_t ratelimit_end(const RateLimit *rl);

#endif /* TLOB_RATELIMIT_H */
