/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Journal entries of violations, and the warning about events the kernel
 * dropped; both rate-limited (see journal.c).
 */
#ifndef TLOB_JOURNAL_H
#define TLOB_JOURNAL_H

#include <linux/tlob.h>

#include "budget.h"

/* Log the violation @ev of @b (NULL: self-instrumented) in @unit. */
void journal_log_violation(Manager *m, Budget *b, const char *unit,
			   const struct tlob_event *ev);

/*
 * The kernel dropped @lost events (a LOST record): warn, at most once per
 * interval; the events dropped meanwhile are summed in one summary at
 * its end. DroppedEvents, the counter, is not limited.
 */
void journal_log_lost(Manager *m, uint64_t lost);

#endif /* TLOB_JOURNAL_H */
