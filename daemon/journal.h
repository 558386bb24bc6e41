/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Journal entries of violations, and the warning about events the kernel
 * dropped; both rate-limited (see journal.c).
 */
#ifndef TLOB_JOURNAL_H
#define TLOB_JOURNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include <linux/tlob.h>

#include "budget.h"
#include "cause.h"

/*
 * Send the "FIELD=value" list @l (NULL-ended, freed) unless @r is a
 * negative errno (from building it); failures are not worth more than
 * a debug message.
 */
void journal_send_fields(int r, char **l);

/*
 * Log the violation @ev of @b in @unit (for a template's budget, the
 * instance), rate-limited per budget at @now (CLOCK_MONOTONIC µs); with
 * @b NULL a self-instrumented window's (or another program's binding's),
 * not limited here. @cause: its cause (journal_format_violation()), or
 * NULL. Returns whether the entry was written (false when over the rate
 * limit).
 */
bool journal_log_violation(Manager *m, Budget *b, const char *unit,
			   const struct tlob_event *ev, const Cause *cause,
			   uint64_t now);

/* @suppressed violations of @uid's self-instrumented windows not logged. */
void journal_log_self_summary(Manager *m, uid_t uid, uint64_t suppressed);

/*
 * The kernel dropped @lost events (a LOST record): warn, at most once per
 * interval; the events dropped meanwhile are summed in one summary at
 * its end. DroppedEvents, the counter, is not limited.
 */
void journal_log_lost(Manager *m, uint64_t lost);

#endif /* TLOB_JOURNAL_H */
