/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Journal entries of violations, rate-limited (see journal.c).
 */
#ifndef TLOB_JOURNAL_H
#define TLOB_JOURNAL_H

#include <linux/tlob.h>

#include "budget.h"

/* Log the violation @ev of @b (NULL: self-instrumented) in @unit. */
void journal_log_violation(Manager *m, Budget *b, const char *unit,
			   const struct tlob_event *ev);

#endif /* TLOB_JOURNAL_H */
