// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One journal entry per violation, with MESSAGE_ID and TLOB_* fields, and
 * OBJECT_PID= so journald attaches OBJECT_SYSTEMD_UNIT= and
 * "journalctl -u UNIT" shows it. Rate-limited per budget (and once for all
 * self-instrumented windows): past the burst, entries are counted and one
 * summary entry gives their number, either before the next entry once the
 * interval is over, or from a timer at the end of the interval. Counters
 * and D-Bus signals are not limited.
 */
#include <stdarg.h>
#include <sys/uio.h>
/* Plain sd_journal_sendv(): no CODE_FILE= etc. of this file. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "manager.h"

#define TLOB_MESSAGE_ID "b80203fec96a437b96bd4ceb44fba08e"


static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC +
	       (uint64_t)ts.tv_nsec / NSEC_PER_USEC;
}

/* What a budget's entries say it measures: the probe without its PATH. */
static const char *probe_label(const Budget *b)
{
	const char *c;

	if (!b->probe_path)
		return b->probe_text;
	c = b->probe_text + strlen(b->probe_path);
	return *c == ':' ? c + 1 : b->probe_text;
}

#define N_FIELDS 16

static int field(struct iovec *iov, size_t *n, char **bufs, const char *fmt,
		 ...) _printf_(4, 5);
static int field(struct iovec *iov, size_t *n, char **bufs, const char *fmt,
		 ...)
{
	va_list ap;
	char *s;
	int l;

	va_start(ap, fmt);
	l = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (l < 0)
		return -ENOMEM;
	bufs[*n] = s;
	iov[*n] = (struct iovec) { .iov_base = s, .iov_len = (size_t)l };
	(*n)++;
	return 0;
}

static void free_fields(char **bufs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
}

static void log_summary(const char *unit, const char *what, const char *id,
			uint32_t pid, uint64_t suppressed)
{
	struct iovec iov[N_FIELDS];
	char *bufs[N_FIELDS];
	size_t n = 0;
	int r = 0;

	r |= field(iov, &n, bufs, "PRIORITY=4");
	r |= field(iov, &n, bufs,
		   "MESSAGE=%s%s%s: %llu more violation(s) not logged (rate limit).",
		   unit, *unit ? ": " : "", what,
		   (unsigned long long)suppressed);
	/* The last violator, so "journalctl -u UNIT" shows this too. */
	if (pid > 0)
		r |= field(iov, &n, bufs, "OBJECT_PID=%u", pid);
	r |= field(iov, &n, bufs, "TLOB_BUDGET_ID=%s", id);
	r |= field(iov, &n, bufs, "TLOB_UNIT=%s", unit);
	r |= field(iov, &n, bufs, "TLOB_SUPPRESSED=%llu",
		   (unsigned long long)suppressed);
	r = r != 0 ? -ENOMEM : sd_journal_sendv(iov, (int)n);
	if (r < 0)
		log_debug_errno(r, "Failed to log to the journal, ignoring: %m");
	free_fields(bufs, n);
}

static int on_budget_ratelimit(sd_event_source *s, uint64_t usec,
			       void *userdata)
{
	Budget *b = userdata;
	uint64_t n = ratelimit_flush(&b->ratelimit, usec);

	if (n > 0)
		log_summary(b->unit_name, probe_label(b), b->id, b->last_pid, n);
	return 0;
}

static int on_self_ratelimit(sd_event_source *s, uint64_t usec,
			     void *userdata)
{
	Manager *m = userdata;
	uint64_t n = ratelimit_flush(&m->self_ratelimit, usec);

	if (n > 0)
		log_summary("", "self-instrumented windows", "", 0, n);
	return 0;
}

/* Make sure a summary follows at the end of the current interval. */
static void arm_summary(Manager *m, sd_event_source **source, RateLimit *rl,
			sd_event_time_handler_t handler, void *userdata)
{
	int r;

	if (!*source) {
		r = sd_event_add_time(m->event, source, CLOCK_MONOTONIC,
				      ratelimit_end(rl), 0, handler, userdata);
		if (r < 0) {
			log_debug_errno(r, "Failed to arm the rate limit timer, ignoring: %m");
			return;
		}
		(void)sd_event_source_set_description(*source, "journal-ratelimit");
		return;
	}
	(void)sd_event_source_set_time(*source, ratelimit_end(rl));
	(void)sd_event_source_set_enabled(*source, SD_EVENT_ONESHOT);
}

void journal_log_violation(Manager *m, Budget *b, const char *unit,
			   const struct tlob_event *ev)
{
	struct iovec iov[N_FIELDS];
	char *bufs[N_FIELDS];
	char budget[TLOB_TIMESPAN_MAX], run[32], wait[32], sleep[32];
	char comm[sizeof(ev->comm) + 1], what[64];
	const char *label, *probe, *id;
	RateLimit *rl = b ? &b->ratelimit : &m->self_ratelimit;
	uint64_t suppressed, now = now_usec();
	size_t n = 0;
	int r = 0;

	memcpy(comm, ev->comm, sizeof(ev->comm));
	comm[sizeof(ev->comm)] = 0;
	if (b) {
		label = probe_label(b);
		probe = b->probe_text;
		id = b->id;
	} else {
		snprintf(what, sizeof(what), "self-instrumented window (tag 0x%llx)",
			 (unsigned long long)ev->cookie);
		label = what;
		probe = "";
		id = "";
	}

	if (b)
		b->last_pid = ev->tgid;
	if (!ratelimit_below(rl, now, &suppressed)) {
		if (b)
			arm_summary(m, &b->ratelimit_source, rl,
				    on_budget_ratelimit, b);
		else
			arm_summary(m, &m->self_ratelimit_source, rl,
				    on_self_ratelimit, m);
		return;
	}
	if (suppressed > 0)
		log_summary(unit, b ? label : "self-instrumented windows", id,
			    b ? b->last_pid : 0,
			    suppressed);

	r |= field(iov, &n, bufs, "MESSAGE_ID=" TLOB_MESSAGE_ID);
	r |= field(iov, &n, bufs, "PRIORITY=4");
	r |= field(iov, &n, bufs,
		   "MESSAGE=%s%s%s exceeded its %s budget (running %s, waiting %s, sleeping %s; pid %u %s)",
		   unit, *unit ? ": " : "", label,
		   tlob_format_timespan(budget, sizeof(budget), ev->threshold_ns),
		   tlob_format_msec(run, sizeof(run), ev->running_ns),
		   tlob_format_msec(wait, sizeof(wait), ev->waiting_ns),
		   tlob_format_msec(sleep, sizeof(sleep), ev->sleeping_ns),
		   ev->tgid, comm);
	r |= field(iov, &n, bufs, "OBJECT_PID=%u", ev->tgid);
	r |= field(iov, &n, bufs, "TLOB_BUDGET_ID=%s", id);
	r |= field(iov, &n, bufs, "TLOB_UNIT=%s", unit);
	r |= field(iov, &n, bufs, "TLOB_PROBE=%s", probe);
	r |= field(iov, &n, bufs, "TLOB_BUDGET_NSEC=%llu",
		   (unsigned long long)ev->threshold_ns);
	r |= field(iov, &n, bufs, "TLOB_ELAPSED_NSEC=%llu",
		   (unsigned long long)ev->elapsed_ns);
	r |= field(iov, &n, bufs, "TLOB_RUNNING_NSEC=%llu",
		   (unsigned long long)ev->running_ns);
	r |= field(iov, &n, bufs, "TLOB_WAITING_NSEC=%llu",
		   (unsigned long long)ev->waiting_ns);
	r |= field(iov, &n, bufs, "TLOB_SLEEPING_NSEC=%llu",
		   (unsigned long long)ev->sleeping_ns);
	r |= field(iov, &n, bufs, "TLOB_STATE=%s",
		   tlob_state_to_string(ev->state));
	r |= field(iov, &n, bufs, "TLOB_TID=%u", ev->tid);
	r |= field(iov, &n, bufs, "TLOB_COMM=%s", comm);
	r = r != 0 ? -ENOMEM : sd_journal_sendv(iov, (int)n);
	if (r < 0)
		log_debug_errno(r, "Failed to log to the journal, ignoring: %m");
	free_fields(bufs, n);
}
