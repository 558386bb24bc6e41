// SPDX-License-Identifier: GPL-2.0-or-later
/* The cause of a violation, resolved (cause.h); made in manager-events.c. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cause.h"
#include "journal-format.h"
#include "macro.h"
#include "strv.h"

const char *cause_signal_name(uint32_t sig, char buf[static CAUSE_SIGNAL_MAX])
{
	const char *n;

	if (sig == 0)
		return NULL;
	n = sigabbrev_np((int)sig);
	if (n)
		snprintf(buf, CAUSE_SIGNAL_MAX, "SIG%s", n);
	else
		snprintf(buf, CAUSE_SIGNAL_MAX, "%u", (unsigned)sig);
	return buf;
}

Cause *cause_free(Cause *c)
{
	if (!c)
		return NULL;
	tlob_strv_free(c->kstack);
	free(c->wchan);
	free(c->user_location);
	free(c->curr.unit);
	free(c->preemptor.unit);
	free(c->waker.unit);
	return mfree(c);
}

static int append_task(sd_bus_message *msg, const char *who,
		       const CauseTask *t)
{
	char pid[32], comm[32], unit[32];
	int r;

	snprintf(pid, sizeof(pid), "%sPID", who);
	snprintf(comm, sizeof(comm), "%sComm", who);
	snprintf(unit, sizeof(unit), "%sUnit", who);
	r = sd_bus_message_append(msg, "{sv}{sv}", pid, "u", t->pid,
				  comm, "s", t->comm);
	if (r >= 0 && t->unit)
		r = sd_bus_message_append(msg, "{sv}", unit, "s", t->unit);
	return r;
}

int cause_append_bus(sd_bus_message *msg, const Cause *c)
{
	char sig[CAUSE_SIGNAL_MAX];
	int r;

	r = sd_bus_message_append(msg, "{sv}{sv}{sv}{sv}{sv}",
				  "State", "s", tlob_state_to_string(c->state),
				  "CPU", "u", c->cpu,
				  "VoluntarySwitches", "t", c->nvcsw,
				  "InvoluntarySwitches", "t", c->nivcsw,
				  "Migrations", "t", c->migrations);
	if (r < 0)
		return r;
	if (c->kstack) {
		r = sd_bus_message_open_container(msg, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append(msg, "s", "KernelStack");
		if (r >= 0)
			r = sd_bus_message_open_container(msg, 'v', "as");
		if (r >= 0)
			r = sd_bus_message_append_strv(msg, c->kstack);
		if (r >= 0)
			r = sd_bus_message_close_container(msg);
		if (r >= 0)
			r = sd_bus_message_close_container(msg);
		if (r < 0)
			return r;
	}
	if (c->wchan) {
		r = sd_bus_message_append(msg, "{sv}", "WaitChannel", "s", c->wchan);
		if (r < 0)
			return r;
	}
	/*
	 * Named, never the address: the bus is every user's, and a
	 * service's addresses would undo its ASLR.
	 */
	if (c->user_location) {
		r = sd_bus_message_append(msg, "{sv}{sv}",
					  "UserLocation", "s", c->user_location,
					  "UserIPExact", "b",
					  (int)!!(c->valid & TLOB_CAUSE_USER_IP));
		if (r < 0)
			return r;
	}
	if ((c->valid & TLOB_CAUSE_CURR) &&
	    (r = append_task(msg, "Current", &c->curr)) < 0)
		return r;
	if ((c->valid & TLOB_CAUSE_PREEMPTOR) &&
	    (r = append_task(msg, "Preemptor", &c->preemptor)) < 0)
		return r;
	if (c->valid & TLOB_CAUSE_WAKER) {
		r = append_task(msg, "Waker", &c->waker);
		if (r >= 0)
			r = sd_bus_message_append(msg, "{sv}", "WakerFromIRQ", "b",
						  (int)!!(c->valid & TLOB_CAUSE_WAKER_IRQ));
		if (r < 0)
			return r;
	}
	if (c->signal)
		return sd_bus_message_append(msg, "{sv}", "Signal", "s",
					     cause_signal_name(c->signal, sig));
	return 0;
}
