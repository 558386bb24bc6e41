// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One journal entry per violation, with MESSAGE_ID and TLOB_* fields,
 * OBJECT_PID= (journald adds the violator's OBJECT_ fields) and
 * OBJECT_SYSTEMD_UNIT= so that "journalctl -u UNIT" shows it, also when
 * the violator has exited by the time the entry is written; for a
 * template's budget UNIT is the instance, and TLOB_BUDGET_UNIT= the
 * template. Rate-limited per budget: past the burst, entries are counted
 * and one summary entry gives their number, either before the next entry
 * once the interval is over, or from a timer at the end of the interval.
 * Counters and D-Bus signals are not limited. Self-instrumented windows
 * are limited per user by the caller (manager-events.c).
 */
#include <sys/uio.h>
/* Plain sd_journal_sendv(): no CODE_FILE= etc. of this file. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#include <time.h>

#include "journal-format.h"
#include "log.h"
#include "macro.h"
#include "journal.h"
#include "manager.h"
#include "strv.h"
#include "tlob-parse.h"

void journal_send_fields(int r, char **l)
{
	struct iovec iov[64];
	size_t n = 0;

	if (r >= 0) {
		for (; l[n] && n < ELEMENTSOF(iov); n++)
			iov[n] = (struct iovec) { .iov_base = l[n],
						  .iov_len = strlen(l[n]) };
		r = sd_journal_sendv(iov, (int)n);
	}
	if (r < 0)
		log_debug_errno(r, "Failed to log to the journal, ignoring: %m");
	tlob_strv_free(l);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC +
	       (uint64_t)ts.tv_nsec / NSEC_PER_USEC;
}

static const char *probe_label(const Budget *b)
{
	return journal_probe_label(b->probe_text, b->probe_path);
}

static void log_summary(const char *unit, const char *what, const char *id,
			uint32_t pid, uint64_t suppressed)
{
	char **l = NULL;
	int r;

	r = journal_format_summary(unit, what, id, pid, suppressed, &l);
	journal_send_fields(r, l);
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

void journal_log_self_summary(Manager *m, uid_t uid, uint64_t suppressed)
{
	char what[64];

	if (uid == (uid_t)-1)
		snprintf(what, sizeof(what), "self-instrumented windows of exited processes");
	else
		snprintf(what, sizeof(what), "self-instrumented windows of uid %u",
			 (unsigned)uid);
	log_summary("", what, "", 0, suppressed);
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

static void log_lost_summary(Manager *m)
{
	char span[TLOB_TIMESPAN_MAX];

	log_warning("The kernel dropped %llu more event(s) in the last %s: reading too slowly.",
		    (unsigned long long)m->lost_unlogged,
		    tlob_format_timespan(span, sizeof(span),
					 m->lost_ratelimit.interval_usec * NSEC_PER_USEC,
					 TLOB_TIMESPAN_EXACT));
	m->lost_unlogged = 0;
}

static int on_lost_ratelimit(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	if (ratelimit_flush(&m->lost_ratelimit, usec) > 0)
		log_lost_summary(m);
	return 0;
}

void journal_log_lost(Manager *m, uint64_t lost)
{
	uint64_t suppressed;

	if (!ratelimit_below(&m->lost_ratelimit, now_usec(), &suppressed)) {
		m->lost_unlogged += lost;
		arm_summary(m, &m->lost_ratelimit_source, &m->lost_ratelimit,
			    on_lost_ratelimit, m);
		return;
	}
	if (suppressed > 0)
		log_lost_summary(m);
	log_warning("The kernel dropped %llu event(s): reading too slowly.",
		    (unsigned long long)lost);
}

bool journal_log_violation(Manager *m, Budget *b, const char *unit,
			   const struct tlob_event *ev, const Cause *cause,
			   uint64_t now)
{
	char what[64], **l = NULL;
	uint64_t suppressed;
	int r;

	if (!b) {
		snprintf(what, sizeof(what), "self-instrumented window (tag 0x%llx)",
			 (unsigned long long)ev->cookie);
		r = journal_format_violation(unit, what, "", "", ev, cause, &l);
		journal_send_fields(r, l);
		return true;
	}

	b->last_pid = ev->tgid;
	if (!ratelimit_below(&b->ratelimit, now, &suppressed)) {
		arm_summary(m, &b->ratelimit_source, &b->ratelimit,
			    on_budget_ratelimit, b);
		return false;
	}
	if (suppressed > 0)
		log_summary(b->unit_name, probe_label(b), b->id, b->last_pid,
			    suppressed);

	r = journal_format_violation(unit, probe_label(b), b->id, b->probe_text,
				     ev, cause, &l);
	/* An instance of a template's budget: which budget it is. */
	if (r >= 0 && !streq(unit, b->unit_name)) {
		_cleanup_free_ char *f = NULL;

		r = asprintf(&f, "TLOB_BUDGET_UNIT=%s", b->unit_name) < 0 ? -ENOMEM :
		    tlob_strv_consume(&l, TAKE_PTR(f));
	}
	journal_send_fields(r, l);
	return true;
}
