/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text of tlob-manager's journal entries (INTERFACES.md §3.3), apart
 * from sending them: journal.c sends what these build, tests/unit checks
 * it. Each builder returns a NULL-ended list of "FIELD=value" strings
 * (free with tlob_strv_free()), or -ENOMEM.
 */
#ifndef TLOB_JOURNAL_FORMAT_H
#define TLOB_JOURNAL_FORMAT_H

#include <stdint.h>

#include <linux/tlob.h>

#include "cause.h"

#define TLOB_MESSAGE_ID "b80203fec96a437b96bd4ceb44fba08e"

/* TLOB_STATE_* as in the Violation signal: "running", "waiting", ... */
const char *tlob_state_to_string(uint16_t state);

/*
 * What a budget's entries say it measures: @probe_text without its PATH
 * (@probe_path, NULL when none), e.g. "getaddrinfo" for
 * "/usr/lib/libc.so.6:getaddrinfo".
 */
const char *journal_probe_label(const char *probe_text, const char *probe_path);

/*
 * A violation of @ev: "UNIT: LABEL exceeded its BUDGET budget (running
 * R, waiting W, sleeping S; pid PID COMM)" with MESSAGE_ID, PRIORITY=4,
 * OBJECT_PID=, OBJECT_SYSTEMD_UNIT= (when @unit is known) and the TLOB_*
 * fields; COMM sanitized (tlob_utf8_sanitize()). With @cause (NULL: none
 * captured) the cause's TLOB_* fields too (TLOB_KSTACK, one frame per
 * line, TLOB_WCHAN, TLOB_USER_*, TLOB_CPU, TLOB_CURR_*, TLOB_PREEMPTOR_*,
 * TLOB_WAKER_*, TLOB_NVCSW, TLOB_NIVCSW, TLOB_MIGRATIONS, TLOB_SIGNAL). @unit may be "" (its
 * "UNIT: " and OBJECT_SYSTEMD_UNIT= are left out); @id and @probe are ""
 * for self-instrumented windows.
 */
int journal_format_violation(const char *unit, const char *label,
			     const char *id, const char *probe,
			     const struct tlob_event *ev, const Cause *cause,
			     char ***ret);

/*
 * The rate limit's summary: "UNIT: WHAT: N more violation(s) not logged
 * (rate limit)." with PRIORITY=4, no MESSAGE_ID, OBJECT_PID= of the last
 * violator (left out when @pid is 0), OBJECT_SYSTEMD_UNIT= (left out when
 * @unit is ""), TLOB_BUDGET_ID, TLOB_UNIT and TLOB_SUPPRESSED.
 */
int journal_format_summary(const char *unit, const char *what, const char *id,
			   uint32_t pid, uint64_t suppressed, char ***ret);

#endif /* TLOB_JOURNAL_FORMAT_H */
