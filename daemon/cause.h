/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cause of a violation (a TLOB_EV_CAUSE record) as people read it:
 * frames and user addresses symbolized (symbolize.h), the tasks it names
 * with their units. Made once per record (manager-events.c), then given to the journal entry
 * (journal_format_violation()), the ViolationCause signal and the budget's
 * LastViolations (cause_append_bus()).
 */
#ifndef TLOB_CAUSE_H
#define TLOB_CAUSE_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include <linux/tlob.h>

/* A task a cause names. */
typedef struct CauseTask {
	uint32_t pid;			/* thread id */
	char comm[sizeof(((struct tlob_task_ref *)0)->comm) + 1];	/* UTF-8 */
	char *unit;			/* NULL: none found */
} CauseTask;

typedef struct Cause {
	uint32_t valid;			/* TLOB_CAUSE_* */
	uint16_t state;			/* TLOB_STATE_* at expiry */
	uint32_t cpu;
	uint32_t signal;		/* sent at expiry, 0: none */
	uint64_t nvcsw, nivcsw, migrations;
	char **kstack;			/* innermost first, NULL-ended */
	char *wchan;			/* NULL: not known */
	uint64_t user_ip;
	char *user_location;
	CauseTask curr, preemptor, waker;
} Cause;

Cause *cause_free(Cause *c);
static inline void cause_freep(Cause **c)
{
	cause_free(*c);
}

/* "SIGABRT" for 6 (in @buf), NULL for 0. */
#define CAUSE_SIGNAL_MAX 16
const char *cause_signal_name(uint32_t sig, char buf[static CAUSE_SIGNAL_MAX]);

/*
 * Append the {sv} entries of @c (the ViolationCause keys, each only when
 * captured) to the open a{sv} container of @msg.
 */
int cause_append_bus(sd_bus_message *msg, const Cause *c);

#endif /* TLOB_CAUSE_H */
