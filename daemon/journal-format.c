// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>

#include "cause.h"
#include "journal-format.h"
#include "macro.h"
#include "strv.h"
#include "tlob-parse.h"
#include "utf8.h"

static const char *const state_names[] = {
	[TLOB_STATE_RUNNING] = "running",
	[TLOB_STATE_WAITING] = "waiting",
	[TLOB_STATE_SLEEPING] = "sleeping",
};

const char *tlob_state_to_string(uint16_t state)
{
	return state < ELEMENTSOF(state_names) && state_names[state] ?
	       state_names[state] : "unknown";
}

const char *journal_probe_label(const char *probe_text, const char *probe_path)
{
	const char *c;

	if (!probe_path || !startswith(probe_text, probe_path))
		return probe_text;
	c = probe_text + strlen(probe_path);
	return *c == ':' ? c + 1 : probe_text;
}

/* Append a formatted field to the list *@l of *@n; -ENOMEM. */
static int field(char ***l, size_t *n, const char *fmt, ...) _printf_(3, 4);
static int field(char ***l, size_t *n, const char *fmt, ...)
{
	char **nl, *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	nl = reallocarray(*l, *n + 2, sizeof(**l));
	if (!nl) {
		free(s);
		return -ENOMEM;
	}
	nl[(*n)++] = s;
	nl[*n] = NULL;
	*l = nl;
	return 0;
}

int journal_format_summary(const char *unit, const char *what, const char *id,
			   uint32_t pid, uint64_t suppressed, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	size_t n = 0;
	int r = 0;

	r |= field(&l, &n, "PRIORITY=4");
	r |= field(&l, &n,
		   "MESSAGE=%s%s%s: %llu more violation(s) not logged (rate limit).",
		   unit, *unit ? ": " : "", what,
		   (unsigned long long)suppressed);
	/* The last violator, so "journalctl -u UNIT" shows this too. */
	if (pid > 0)
		r |= field(&l, &n, "OBJECT_PID=%u", pid);
	if (*unit)
		r |= field(&l, &n, "OBJECT_SYSTEMD_UNIT=%s", unit);
	r |= field(&l, &n, "TLOB_BUDGET_ID=%s", id);
	r |= field(&l, &n, "TLOB_UNIT=%s", unit);
	r |= field(&l, &n, "TLOB_SUPPRESSED=%llu",
		   (unsigned long long)suppressed);
	if (r != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(l);
	return 0;
}

/* The TLOB_* fields of a task a cause names, with prefix @who. */
static int task_fields(char ***l, size_t *n, const char *who,
		       const CauseTask *t)
{
	int r = 0;

	r |= field(l, n, "TLOB_%s_PID=%u", who, t->pid);
	r |= field(l, n, "TLOB_%s_COMM=%s", who, t->comm);
	if (t->unit)
		r |= field(l, n, "TLOB_%s_UNIT=%s", who, t->unit);
	return r;
}

static int cause_fields(char ***l, size_t *n, const Cause *c)
{
	char sig[CAUSE_SIGNAL_MAX];
	int r = 0;

	if (c->kstack) {
		size_t len = 1;
		char *s, *p;

		for (char **f = c->kstack; *f; f++)
			len += strlen(*f) + 1;
		s = p = malloc(len);
		if (!s)
			return -ENOMEM;
		*s = 0;
		for (char **f = c->kstack; *f; f++)
			p += sprintf(p, "%s%s", f == c->kstack ? "" : "\n", *f);
		r |= field(l, n, "TLOB_KSTACK=%s", s);
		free(s);
	}
	if (c->wchan)
		r |= field(l, n, "TLOB_WCHAN=%s", c->wchan);
	if (c->valid & (TLOB_CAUSE_USER_IP | TLOB_CAUSE_USER_ENTRY)) {
		r |= field(l, n, "TLOB_USER_IP=0x%llx", (unsigned long long)c->user_ip);
		r |= field(l, n, "TLOB_USER_IP_EXACT=%d", !!(c->valid & TLOB_CAUSE_USER_IP));
		if (c->user_location)
			r |= field(l, n, "TLOB_USER_LOCATION=%s", c->user_location);
	}
	r |= field(l, n, "TLOB_CPU=%u", c->cpu);
	if (c->valid & TLOB_CAUSE_CURR)
		r |= task_fields(l, n, "CURR", &c->curr);
	if (c->valid & TLOB_CAUSE_PREEMPTOR)
		r |= task_fields(l, n, "PREEMPTOR", &c->preemptor);
	if (c->valid & TLOB_CAUSE_WAKER) {
		r |= task_fields(l, n, "WAKER", &c->waker);
		r |= field(l, n, "TLOB_WAKER_FROM_IRQ=%d", !!(c->valid & TLOB_CAUSE_WAKER_IRQ));
	}
	r |= field(l, n, "TLOB_NVCSW=%llu", (unsigned long long)c->nvcsw);
	r |= field(l, n, "TLOB_NIVCSW=%llu", (unsigned long long)c->nivcsw);
	r |= field(l, n, "TLOB_MIGRATIONS=%llu", (unsigned long long)c->migrations);
	if (c->signal)
		r |= field(l, n, "TLOB_SIGNAL=%s", cause_signal_name(c->signal, sig));
	return r;
}

int journal_format_violation(const char *unit, const char *label,
			     const char *id, const char *probe,
			     const struct tlob_event *ev, const Cause *cause,
			     char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	char budget[TLOB_TIMESPAN_MAX], run[32], wait[32], sleep[32];
	char comm[sizeof(ev->comm) + 1];
	size_t n = 0;
	int r = 0;

	/* Whatever a task named itself: no escape sequences in the journal. */
	tlob_utf8_sanitize(comm, sizeof(comm), ev->comm, sizeof(ev->comm));

	r |= field(&l, &n, "MESSAGE_ID=" TLOB_MESSAGE_ID);
	r |= field(&l, &n, "PRIORITY=4");
	r |= field(&l, &n,
		   "MESSAGE=%s%s%s exceeded its %s budget (running %s, waiting %s, sleeping %s; pid %u %s)",
		   unit, *unit ? ": " : "", label,
		   tlob_format_timespan(budget, sizeof(budget), ev->threshold_ns,
					TLOB_TIMESPAN_EXACT),
		   tlob_format_timespan(run, sizeof(run), ev->running_ns,
					TLOB_TIMESPAN_MSEC),
		   tlob_format_timespan(wait, sizeof(wait), ev->waiting_ns,
					TLOB_TIMESPAN_MSEC),
		   tlob_format_timespan(sleep, sizeof(sleep), ev->sleeping_ns,
					TLOB_TIMESPAN_MSEC),
		   ev->tgid, comm);
	r |= field(&l, &n, "OBJECT_PID=%u", ev->tgid);
	/*
	 * journald derives it from OBJECT_PID= only while that process
	 * lives: a violator that exited at once would escape "journalctl
	 * -u UNIT" (journald keeps one of equal values).
	 */
	if (*unit)
		r |= field(&l, &n, "OBJECT_SYSTEMD_UNIT=%s", unit);
	r |= field(&l, &n, "TLOB_BUDGET_ID=%s", id);
	r |= field(&l, &n, "TLOB_UNIT=%s", unit);
	r |= field(&l, &n, "TLOB_PROBE=%s", probe);
	r |= field(&l, &n, "TLOB_BUDGET_NSEC=%llu",
		   (unsigned long long)ev->threshold_ns);
	r |= field(&l, &n, "TLOB_ELAPSED_NSEC=%llu",
		   (unsigned long long)ev->elapsed_ns);
	r |= field(&l, &n, "TLOB_RUNNING_NSEC=%llu",
		   (unsigned long long)ev->running_ns);
	r |= field(&l, &n, "TLOB_WAITING_NSEC=%llu",
		   (unsigned long long)ev->waiting_ns);
	r |= field(&l, &n, "TLOB_SLEEPING_NSEC=%llu",
		   (unsigned long long)ev->sleeping_ns);
	r |= field(&l, &n, "TLOB_STATE=%s", tlob_state_to_string(ev->state));
	r |= field(&l, &n, "TLOB_TID=%u", ev->tid);
	r |= field(&l, &n, "TLOB_COMM=%s", comm);
	if (cause)
		r |= cause_fields(&l, &n, cause);
	if (r != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(l);
	return 0;
}
