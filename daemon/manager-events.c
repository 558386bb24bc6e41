// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's records.
 *
 * They are read in batches straight into the state's inbox (state.h), so
 * a restart, even after SIGKILL, handles a batch exactly once; a batch is
 * committed once its signals are flushed to the bus.
 *
 * A record of a binding is its budget's if the binding id is the budget's
 * current binding's and the cookie agrees; a record of a binding we
 * removed since (the binary was replaced, the budget changed) is
 * attributed by its cookie to the budget that has it, or dropped with a
 * debug message if none has: never to another budget. Records of bindings
 * that are not ours (made through sysfs or by another program) and of
 * self-instrumented windows are reported with an empty budget id and the
 * unit of the process.
 *
 * Self-instrumented windows of a user (read from /proc/PID while the
 * process lives) are signalled and logged at most --log-burst times per
 * --log-interval, then counted only, with a summary entry: nobody can
 * flood the bus and the journal with them (the kernel already limits
 * their records to self_event_rate per user and to a quarter of our ring,
 * and tells the rest in SUPPRESSED records, which are counted). Root's
 * are logged within that limit too but always signalled. Within a batch
 * the records of bindings are handled first: a flood of self-instrumented
 * windows never delays a service's Violation.
 *
 * A VIOLATION of a window that captures its cause is followed by a CAUSE
 * record (the kernel queues both at once, or the CAUSE is counted lost);
 * read_batch() makes sure both are in the same batch, and the violation
 * is reported with its cause: the journal entry gets the cause's fields,
 * the Violation signal is followed by ViolationCause, and the budget
 * keeps both among its LastViolations. No CAUSE after it: reported
 * without, at once.
 *
 * What the records of a batch share is looked up once per batch (Batch):
 * the clocks (for the signals' timestamps and the rate limits), and the
 * owner and unit of each process that has self-instrumented windows or
 * bindings that are not ours in it; the counters' PropertiesChanged is
 * queued once per batch, and sent once per event loop iteration.
 */
#include <assert.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "actions.h"
#include "cause.h"
#include "journal.h"
#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager-bus.h"
#include "manager-events.h"
#include "manager.h"
#include "rv-dev.h"
#include "state.h"
#include "strv.h"
#include "symbolize.h"
#include "unit-tracker.h"
#include "utf8.h"

/* Users whose self-instrumented windows are limited at a time. */
#define USER_LIMITS_MAX 64
/* Processes whose owner and unit a batch keeps. */
#define BATCH_PROCS 8

/* A process met in a batch: what uid_of() and its unit said. */
typedef struct BatchProc {
	uint32_t pid;
	uint64_t cgroup_id;
	bool has_uid, has_unit;
	uid_t uid;
	char *unit;			/* NULL: none found */
} BatchProc;

/* What the records of one batch share. */
typedef struct Batch {
	uint64_t now;			/* CLOCK_MONOTONIC µs */
	uint64_t mono_ns, real_ns;	/* read together */
	BatchProc procs[BATCH_PROCS];
	unsigned n_procs, next;		/* next: the one to replace */
} Batch;

struct UserLimit {
	Manager *manager;
	uid_t uid;
	RateLimit rl;
	sd_event_source *timer;		/* logs the summary */
	uint64_t used;			/* when it last limited, for eviction */
};

/* Announced at the end of the batch (handle_batch()). */
static void counters_changed(Manager *m, unsigned which)
{
	m->counters_changed |= which;
}

/* --- per-user limits of self-instrumented windows ------------------------ */

static void user_limit_flush(UserLimit *u, uint64_t now, bool force)
{
	uint64_t n = force ? u->rl.suppressed : ratelimit_flush(&u->rl, now);

	if (n > 0)
		journal_log_self_summary(u->manager, u->uid, n);
	if (force)
		u->rl.suppressed = 0;
}

static UserLimit *user_limit_free(UserLimit *u)
{
	if (!u)
		return NULL;
	sd_event_source_disable_unref(u->timer);
	return mfree(u);
}

void manager_events_free(Manager *m)
{
	for (size_t i = 0; i < m->n_users; i++) {
		user_limit_flush(m->users[i], 0, true);
		user_limit_free(m->users[i]);
	}
	m->users = mfree(m->users);
	m->n_users = 0;
}

static int on_user_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	user_limit_flush(userdata, usec, false);
	return 0;
}

/* The limit of @uid; the least recently used one makes room. */
static UserLimit *user_limit_get(Manager *m, uid_t uid, uint64_t now)
{
	UserLimit *u = NULL, **l;

	for (size_t i = 0; i < m->n_users; i++) {
		if (m->users[i]->uid == uid) {
			u = m->users[i];
			break;
		}
		if (!u || m->users[i]->used < u->used)
			u = m->users[i];
	}
	if (u && u->uid == uid)
		goto out;
	if (m->n_users >= USER_LIMITS_MAX) {
		/* Its summary now, then it is @uid's. */
		user_limit_flush(u, now, true);
		u->uid = uid;
		u->rl = RATELIMIT_INIT(m->ratelimit_interval_usec, m->ratelimit_burst);
		goto out;
	}
	u = calloc(1, sizeof(*u));
	l = u ? reallocarray(m->users, m->n_users + 1, sizeof(*l)) : NULL;
	if (!l) {
		free(u);
		return NULL;
	}
	m->users = l;
	*u = (UserLimit) {
		.manager = m,
		.uid = uid,
		.rl = RATELIMIT_INIT(m->ratelimit_interval_usec, m->ratelimit_burst),
	};
	m->users[m->n_users++] = u;
out:
	u->used = now;
	return u;
}

/* May a violation of @uid's self-instrumented window be reported at @now? */
static bool user_limit_below(Manager *m, uid_t uid, uint64_t now)
{
	uint64_t suppressed;
	UserLimit *u = user_limit_get(m, uid, now);
	int r;

	if (!u)
		return true;	/* OOM: not worth losing a report over */
	if (ratelimit_below(&u->rl, now, &suppressed)) {
		if (suppressed > 0)
			journal_log_self_summary(m, uid, suppressed);
		return true;
	}
	/* A summary follows at the end of the interval. */
	if (!u->timer) {
		r = sd_event_add_time(m->event, &u->timer, CLOCK_MONOTONIC,
				      ratelimit_end(&u->rl), 0, on_user_timer, u);
		if (r < 0) {
			log_debug_errno(r, "Failed to arm the rate limit timer, ignoring: %m");
			return false;
		}
		(void)sd_event_source_set_description(u->timer, "self-ratelimit");
		return false;
	}
	(void)sd_event_source_set_time(u->timer, ratelimit_end(&u->rl));
	(void)sd_event_source_set_enabled(u->timer, SD_EVENT_ONESHOT);
	return false;
}

/* The owner of process @pid, or (uid_t)-1 once it is gone. */
static uid_t uid_of(uint32_t pid)
{
	char p[32];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%" PRIu32, pid);
	return pid > 0 && stat(p, &st) == 0 ? st.st_uid : (uid_t)-1;
}

/* --- what a batch shares ----------------------------------------------- */

static void batch_init(Batch *batch)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	*batch = (Batch) {
		.mono_ns = (uint64_t)mono.tv_sec * NSEC_PER_SEC + (uint64_t)mono.tv_nsec,
		.real_ns = (uint64_t)real.tv_sec * NSEC_PER_SEC + (uint64_t)real.tv_nsec,
	};
	batch->now = batch->mono_ns / NSEC_PER_USEC;
}

static void batch_done(Batch *batch)
{
	for (unsigned i = 0; i < batch->n_procs; i++)
		free(batch->procs[i].unit);
}

/* CLOCK_MONOTONIC ns of an event -> CLOCK_REALTIME µs. */
static uint64_t batch_realtime_usec(const Batch *batch, uint64_t mono_ns)
{
	uint64_t age = batch->mono_ns > mono_ns ? batch->mono_ns - mono_ns : 0;

	return (batch->real_ns > age ? batch->real_ns - age : 0) / NSEC_PER_USEC;
}

/* The entry of the process of @ev; the oldest one makes room. */
static BatchProc *batch_proc(Batch *batch, const struct tlob_event *ev)
{
	BatchProc *p;

	for (unsigned i = 0; i < batch->n_procs; i++)
		if (batch->procs[i].pid == ev->tgid &&
		    batch->procs[i].cgroup_id == ev->cgroup_id)
			return &batch->procs[i];
	if (batch->n_procs < BATCH_PROCS)
		p = &batch->procs[batch->n_procs++];
	else {
		p = &batch->procs[batch->next];
		batch->next = (batch->next + 1) % BATCH_PROCS;
		free(p->unit);
	}
	*p = (BatchProc) { .pid = ev->tgid, .cgroup_id = ev->cgroup_id };
	return p;
}

static uid_t batch_uid_of(Batch *batch, const struct tlob_event *ev)
{
	BatchProc *p = batch_proc(batch, ev);

	if (!p->has_uid) {
		p->uid = uid_of(ev->tgid);
		p->has_uid = true;
	}
	return p->uid;
}

/* The unit of the process of @ev, "" when none is found. */
static const char *batch_unit_of(Manager *m, Batch *batch,
				 const struct tlob_event *ev)
{
	BatchProc *p = batch_proc(batch, ev);

	if (!p->has_unit) {
		p->unit = unit_tracker_unit_of_pid(m, ev->tgid, ev->cgroup_id);
		p->has_unit = true;
	}
	return strempty(p->unit);
}

/* --- records ----------------------------------------------------------- */

void manager_binding_retired(Manager *m, uint32_t id, uint64_t cookie)
{
	if (m->state)
		state_note_retired(m->state, id, cookie);
}

static Budget *find_budget_by_binding(Manager *m, uint32_t id)
{
	if (id == 0)
		return NULL;
	for (size_t i = 0; i < m->n_budgets; i++)
		if (m->budgets[i]->binding_id == id)
			return m->budgets[i];
	return NULL;
}

/*
 * The budget record @ev of a binding belongs to. NULL with *@ours false
 * for a binding that is not ours, with *@ours true for one of ours whose
 * budget is gone.
 */
static Budget *budget_of(Manager *m, const struct tlob_event *ev, bool *ours)
{
	Budget *b = find_budget_by_binding(m, ev->binding_id);
	uint64_t retired;

	*ours = true;
	if (b && b->cookie == ev->cookie)
		return b;
	retired = m->state ? state_retired_cookie(m->state, ev->binding_id) : 0;
	if (!b && retired != ev->cookie) {
		*ours = false;
		return NULL;
	}
	/* Ours, queued before the binding was replaced: by cookie. */
	b = manager_find_budget_by_cookie(m, ev->cookie);
	if (!b)
		log_debug("Record of removed binding %u (cookie %016llx) has no budget any more, dropped.",
			  ev->binding_id, (unsigned long long)ev->cookie);
	return b;
}

/* --- causes ------------------------------------------------------------ */

static int task_resolve(Manager *m, CauseTask *t,
			const struct tlob_task_ref *ref)
{
	t->pid = ref->pid;
	tlob_utf8_sanitize(t->comm, sizeof(t->comm), ref->comm, sizeof(ref->comm));
	/* A kernel thread (pid 0: the idle task) has no unit. */
	if (ref->tgid > 0)
		t->unit = unit_tracker_unit_of_pid(m, ref->tgid, 0);
	return 0;
}

static Symbolizer *symbolizer_of(Manager *m)
{
	if (!m->symbolizer) {
		m->symbolizer = symbolizer_new(NULL, NULL);
		if (m->symbolizer && symbolizer_kernel_restricted(m->symbolizer))
			log_notice("Kernel addresses in /proc/kallsyms are hidden (no CAP_SYSLOG): kernel stacks of causes stay hexadecimal.");
	}
	return m->symbolizer;
}

/*
 * The cause of @ce; user-space addresses are named only for the windows
 * of our budgets (@ours): others' are any user's, whose files
 * tlob-manager does not parse for them.
 */
static int cause_new(Manager *m, const struct tlob_cause_event *ce, bool ours,
		     Cause **ret)
{
	_cleanup_(cause_freep) Cause *c = NULL;
	const struct tlob_cause *k = &ce->cause;
	Symbolizer *s = symbolizer_of(m);
	int r;

	if (!s)
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (Cause) {
		.valid = k->valid,
		.state = ce->ev.state,
		.cpu = k->cpu,
		.signal = k->signal,
		.nvcsw = k->nvcsw,
		.nivcsw = k->nivcsw,
		.migrations = k->migrations,
		.user_ip = k->user_ip,
	};
	if (k->valid & TLOB_CAUSE_KSTACK) {
		size_t n = MIN((size_t)k->nr_kstack, (size_t)TLOB_CAUSE_KSTACK_MAX);

		for (size_t i = 0; i < n; i++) {
			char *f;

			r = symbolizer_kernel(s, k->kstack[i], &f);
			if (r >= 0)
				r = tlob_strv_consume(&c->kstack, f);
			if (r < 0)
				return r;
		}
		r = symbolizer_wchan(s, (const uint64_t *)k->kstack, n, &c->wchan);
		if (r < 0)
			return r;
	}
	if (ours && (k->valid & (TLOB_CAUSE_USER_IP | TLOB_CAUSE_USER_ENTRY))) {
		r = symbolizer_user(s, (pid_t)ce->ev.tgid, k->user_ip,
				    &c->user_location);
		if (r < 0)
			return r;
	}
	if (k->valid & TLOB_CAUSE_CURR)
		task_resolve(m, &c->curr, &k->curr);
	if (k->valid & TLOB_CAUSE_PREEMPTOR)
		task_resolve(m, &c->preemptor, &k->preemptor);
	if (k->valid & TLOB_CAUSE_WAKER)
		task_resolve(m, &c->waker, &k->waker);
	*ret = TAKE_PTR(c);
	return 0;
}

/*
 * Report violation @ev: its journal entry (if @log), Violation signal (if
 * @signal) and, with a cause @ce, ViolationCause; remembered by @b.
 * Returns whether the journal entry was written.
 */
static bool report(Manager *m, const Batch *batch, Budget *b,
		   const char *unit, const struct tlob_event *ev,
		   const struct tlob_cause_event *ce, bool signal, bool log)
{
	_cleanup_(cause_freep) Cause *cause = NULL;
	uint64_t realtime = batch_realtime_usec(batch, ev->timestamp_ns);
	bool logged = false;
	int r;

	if (ce) {
		r = cause_new(m, ce, b != NULL, &cause);
		if (r < 0)
			log_debug_errno(r, "Failed to resolve the cause of a violation, reporting it without: %m");
	}
	if (log)
		logged = journal_log_violation(m, b, unit, ev, cause, batch->now);
	if (signal) {
		r = manager_emit_violation(m, b, unit, ev, realtime);
		if (r >= 0 && cause)
			r = manager_emit_violation_cause(m, b, unit, ev, realtime,
							 cause);
		if (r < 0)
			log_debug_errno(r, "Failed to send Violation signal, ignoring: %m");
	}
	if (b && budget_note_violation(b, ev, realtime, TAKE_PTR(cause)) < 0)
		log_debug("Out of memory for the last violations of %s, ignoring.",
			  b->id);
	return logged;
}

static void handle_violation(Manager *m, Batch *batch,
			     const struct tlob_event *ev,
			     const struct tlob_cause_event *ce)
{
	_cleanup_free_ char *unit = NULL;
	Budget *b = NULL;
	bool ours = false, below, logged;
	uid_t uid;

	if (ev->binding_id) {
		b = budget_of(m, ev, &ours);
		if (!b && ours)
			return;
	}
	m->counters.violations++;
	counters_changed(m, COUNTER_VIOLATIONS);
	if (b) {
		/* A template's record names the instance it comes from. */
		if (b->unit && b->unit->template)
			unit = unit_tracker_instance_of(b->unit, ev->tgid,
							ev->cgroup_id);
		logged = report(m, batch, b, unit ?: b->unit_name, ev, ce, true,
				true);
		actions_on_violation(m, b, unit ?: b->unit_name, ev, ce,
				     batch->now, logged);
		return;
	}
	if (ev->binding_id) {
		/* Someone else's binding: as it always was, unlimited. */
		report(m, batch, NULL, batch_unit_of(m, batch, ev), ev, ce, true,
		       true);
		return;
	}
	m->counters.self_violations++;
	counters_changed(m, COUNTER_SELF);
	uid = batch_uid_of(batch, ev);
	below = user_limit_below(m, uid, batch->now);
	/* Over the limit, a record costs a counter, no more (and a stat()
	 * per process and batch). */
	if (!below && uid != 0)
		return;
	report(m, batch, NULL, batch_unit_of(m, batch, ev), ev, ce, true, below);
}

/*
 * The CAUSE record at *@off of @buf if it explains VIOLATION @ev (the
 * kernel queues it right after), copied to @ret; *@off moves past it.
 */
static const struct tlob_cause_event *cause_of(const void *buf, size_t len,
					       size_t *off,
					       const struct tlob_event *ev,
					       struct tlob_cause_event *ret)
{
	struct tlob_event next;
	size_t o = *off;

	if (rv_next_event(buf, len, &o, &next) <= 0 ||
	    next.type != TLOB_EV_CAUSE || o - *off < sizeof(*ret) ||
	    next.tid != ev->tid || next.binding_id != ev->binding_id ||
	    next.cookie != ev->cookie || next.timestamp_ns != ev->timestamp_ns)
		return NULL;
	memcpy(ret, (const uint8_t *)buf + *off, sizeof(*ret));
	*off = o;
	return ret;
}

static void handle_record(Manager *m, Batch *batch,
			  const struct tlob_event *ev,
			  const struct tlob_cause_event *ce)
{
	switch (ev->type) {
	case TLOB_EV_VIOLATION:
		handle_violation(m, batch, ev, ce);
		break;
	case TLOB_EV_CAUSE:
		/* Not after its VIOLATION: that one was reported without. */
		log_debug("Cause of a violation of binding %u (tid %u) without its violation, ignoring.",
			  ev->binding_id, ev->tid);
		break;
	case TLOB_EV_WINDOW_END:
		log_debug("Violated window of binding %u (tid %u) ended after %llu ns.",
			  ev->binding_id, ev->tid,
			  (unsigned long long)ev->elapsed_ns);
		break;
	case TLOB_EV_LOST:
		m->counters.dropped += ev->lost;
		counters_changed(m, COUNTER_DROPPED);
		journal_log_lost(m, ev->lost);
		break;
	case TLOB_EV_SUPPRESSED:
		/* Self-instrumented violations the kernel did not send us. */
		m->counters.violations += ev->lost;
		m->counters.self_violations += ev->lost;
		m->counters.suppressed += ev->lost;
		counters_changed(m, COUNTER_VIOLATIONS | COUNTER_SELF |
				 COUNTER_SUPPRESSED);
		log_debug("The kernel withheld %llu violation(s) of self-instrumented windows.",
			  (unsigned long long)ev->lost);
		break;
	default:
		log_debug("Unknown kernel record type %u, ignoring.", ev->type);
	}
}

static bool is_self(const struct tlob_event *ev)
{
	return ev->binding_id == 0 && ev->type != TLOB_EV_LOST;
}

/*
 * Handle the @len bytes of records in @buf; commit them. Returns the time
 * (CLOCK_MONOTONIC µs) it began.
 */
static uint64_t handle_batch(Manager *m, const void *buf, size_t len)
{
	struct tlob_cause_event cause;
	struct tlob_event ev;
	Batch batch;
	size_t off;
	int r = 0;

	batch_init(&batch);
	/* Bindings' records first, then those of self-instrumented windows. */
	for (unsigned pass = 0; pass < 2; pass++) {
		off = 0;
		while ((r = rv_next_event(buf, len, &off, &ev)) > 0) {
			const struct tlob_cause_event *ce = NULL;

			if (ev.type == TLOB_EV_VIOLATION)
				ce = cause_of(buf, len, &off, &ev, &cause);
			if (is_self(&ev) == (pass == 1))
				handle_record(m, &batch, &ev, ce);
		}
		if (r < 0)
			log_warning_errno(r, "Malformed record from %s, ignoring the rest of the batch: %m",
					  manager_kernel_name(m));
	}
	batch_done(&batch);
	/* One PropertiesChanged for the batch (and for the iteration). */
	if (m->counters_changed)
		manager_counters_changed(m);
	/* The signals are out before the batch counts as handled. */
	if (m->bus) {
		r = sd_bus_flush(m->bus);
		if (r < 0)
			log_debug_errno(r, "Failed to flush the bus, ignoring: %m");
	}
	state_commit(m->state, &m->counters);
	return batch.now;
}

/* Is the last record of the @len bytes at @buf a VIOLATION? */
static bool ends_in_violation(const void *buf, size_t len)
{
	struct tlob_event ev = {};
	size_t off = 0;

	while (rv_next_event(buf, len, &off, &ev) > 0)
		;
	return off == len && ev.type == TLOB_EV_VIOLATION;
}

/*
 * Read one batch into the inbox. A VIOLATION's CAUSE comes right after
 * it, but a read(2) may end between them: room for one more record is
 * kept, and read into when the batch ends in a VIOLATION, so that a
 * violation and its cause are handled (and committed) together. If the
 * kernel had no room for the CAUSE there is none to read: the violation
 * is reported without.
 */
static ssize_t read_batch(Manager *m, void **ret_buf)
{
	size_t size;
	uint8_t *buf = state_inbox_begin(m->state, &size);
	ssize_t n, more;

	assert(size > 2 * sizeof(struct tlob_cause_event));
	*ret_buf = buf;
	n = kernel_link_read(m->kernel, buf, size - sizeof(struct tlob_cause_event));
	if (n <= 0 || !ends_in_violation(buf, (size_t)n))
		return n;
	/*
	 * Its CAUSE only: a second batch could end in a VIOLATION of its
	 * own, and what the first read took must not be lost to an error
	 * of this one (reported at the next read).
	 */
	more = kernel_link_read(m->kernel, buf + n,
				sizeof(struct tlob_cause_event));
	if (more < 0)
		log_debug_errno((int)more, "Failed to read the cause of the last violation of a batch: %m");
	return more < 0 ? n : n + more;
}

/*
 * Read and handle up to @rounds batches, and no more once one began
 * @usec_max after the first. Returns 1 when the kernel has no more, 0
 * when it may have, or a negative errno when the link broke.
 */
static int read_batches(Manager *m, unsigned rounds, uint64_t usec_max)
{
	uint64_t first = 0;

	if (!m->kernel || !m->events_started)
		return 1;
	for (unsigned i = 0; i < rounds; i++) {
		void *buf;
		ssize_t n = read_batch(m, &buf);
		uint64_t began;

		if (n == 0)
			return 1;
		if (n < 0) {
			manager_kernel_failed(m, (int)n);
			return (int)n;
		}
		began = handle_batch(m, buf, (size_t)n);
		if (i == 0)
			first = began;
		else if (began - first >= usec_max)
			break;
	}
	return 0;
}

void manager_kernel_readable(Manager *m)
{
	/*
	 * A bounded number per wakeup, and for a bounded time (a batch takes
	 * 0.2 ms on a PC, 170 ms in the emulated test VMs), so that the bus
	 * is served under a flood.
	 */
	(void)read_batches(m, 64, USEC_PER_SEC / 20);
}

int manager_drain(Manager *m)
{
	/* The ring holds ring_size (4096) records at most by default. */
	int r = read_batches(m, 4096 / STATE_INBOX_RECORDS + 1, UINT64_MAX);

	return r < 0 ? r : 0;
}

int manager_events_start(Manager *m)
{
	const void *buf;
	size_t n;

	if (m->events_started || !m->kernel)
		return 0;
	m->events_started = true;
	n = state_inbox_pending(m->state, &buf);
	if (n > 0) {
		log_info("Handling the %zu byte(s) of records a previous instance was killed in the middle of.",
			 n);
		(void)handle_batch(m, buf, n);
	}
	return kernel_link_start(m->kernel);
}

void manager_kernel_failed(Manager *m, int r)
{
	log_error_errno(r, "Failed to read events from %s, exiting to be restarted: %m",
			manager_kernel_name(m));
	/* A fresh /dev/rv next time, not this broken one again. */
	(void)sd_notify(false, "FDSTOREREMOVE=1\nFDNAME=rv");
	(void)sd_event_exit(m->event, r);
}
