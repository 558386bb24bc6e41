// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-budget actions (actions.h).
 *
 *   signal    the kernel sends it at expiry (the binding's signal); here it
 *             is counted, from the violation records: one per VIOLATION of
 *             a binding made with a signal (the kernel sends at most one
 *             per window, and a window has one VIOLATION)
 *   restart,  RestartUnit/StopUnit(UNIT, "replace") of PID 1, asynchronous,
 *   stop      once unit_count violations fell within unit_window_usec;
 *             then the window starts afresh; at most one per
 *             max(TIME, 10 s) per budget, the ones over it suppressed
 *   snapshot  snapshot.c, at most one per 10 s per budget
 *
 * Every action taken is a journal entry with TLOB_ACTION_MESSAGE_ID,
 * OBJECT_PID= and OBJECT_SYSTEMD_UNIT= (so "journalctl -u UNIT" shows it),
 * TLOB_BUDGET_ID=, TLOB_ACTION=, TLOB_ACTION_RESULT=; the signal's entry
 * follows the violation's rate limit (its journal entry).
 */
#include <syslog.h>

#include "actions.h"
#include "budget.h"
#include "journal.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "snapshot.h"
#include "strv.h"

/* A RestartUnit/StopUnit call on its way: what its journal entry says. */
typedef struct UnitCall {
	Manager *manager;
	char *budget_id;
	char *unit;
	const char *action;		/* static */
	uint32_t pid;
} UnitCall;

static unsigned bit_index(unsigned bit)
{
	return (unsigned)__builtin_ctz(bit);
}

/* Send one action entry; failures only cost a debug message. */
void actions_log(const Budget *b, const char *unit, uint32_t pid,
		 const char *action, bool ok, const char *result)
{
	char **l = NULL, *s;
	int r = 0;

#define FIELD(...) do {							\
		if (r >= 0 && (asprintf(&s, __VA_ARGS__) < 0 ||		\
			       tlob_strv_consume(&l, s) < 0))		\
			r = -ENOMEM;					\
	} while (0)
	FIELD("MESSAGE_ID=" TLOB_ACTION_MESSAGE_ID);
	FIELD("PRIORITY=%d", ok ? LOG_NOTICE : LOG_WARNING);
	FIELD("MESSAGE=%s: budget %s (%s): %s: %s", unit, b->id, b->probe_text,
	      action, result);
	if (pid > 0)
		FIELD("OBJECT_PID=%u", pid);
	FIELD("OBJECT_SYSTEMD_UNIT=%s", unit);
	FIELD("TLOB_BUDGET_ID=%s", b->id);
	FIELD("TLOB_UNIT=%s", unit);
	FIELD("TLOB_ACTION=%s", action);
	FIELD("TLOB_ACTION_RESULT=%s", result);
#undef FIELD
	journal_send_fields(r, l);
}

static UnitCall *unit_call_free(UnitCall *c)
{
	if (!c)
		return NULL;
	free(c->budget_id);
	free(c->unit);
	return mfree(c);
}

static void unit_call_destroy(void *userdata)
{
	unit_call_free(userdata);
}

static int on_unit_call_reply(sd_bus_message *reply, void *userdata,
			      sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	UnitCall *c = userdata;
	Manager *m = c->manager;
	_cleanup_free_ char *result = NULL;
	const char *job = NULL;
	Budget *b;

	if (e && asprintf(&result, "failed: %s", e->message ?: e->name) < 0)
		result = NULL;
	else if (!e && sd_bus_message_read(reply, "o", &job) >= 0 &&
		 asprintf(&result, "job %s", job) < 0)
		result = NULL;
	/* A budget removed meanwhile gets no entry: the log line below is all. */
	b = manager_find_budget(m, c->budget_id);
	if (b)
		actions_log(b, c->unit, c->pid, c->action, !e,
			    result ?: "done");
	if (e)
		log_warning("Budget %s: %s of %s failed: %s", c->budget_id,
			    c->action, c->unit, e->message ?: e->name);
	else
		log_info("Budget %s: %s of %s queued (%s).", c->budget_id,
			 c->action, c->unit, strempty(job));
	return 0;
}

/* RestartUnit/StopUnit of @unit, "replace", answered asynchronously. */
static int unit_call(Manager *m, Budget *b, const char *unit, uint32_t pid,
		     bool restart)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	UnitCall *c;
	int r;

	if (!m->bus)
		return -ENOTCONN;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (UnitCall) {
		.manager = m,
		.budget_id = strdup(b->id),
		.unit = strdup(unit),
		.action = restart ? "restart" : "stop",
		.pid = pid,
	};
	if (!c->budget_id || !c->unit) {
		unit_call_free(c);
		return -ENOMEM;
	}
	r = sd_bus_call_method_async(m->bus, &slot, "org.freedesktop.systemd1",
				     "/org/freedesktop/systemd1",
				     "org.freedesktop.systemd1.Manager",
				     restart ? "RestartUnit" : "StopUnit",
				     on_unit_call_reply, c, "ss", unit,
				     "replace");
	if (r < 0) {
		unit_call_free(c);
		return r;
	}
	/* The bus owns the call from now on; @c goes with it. */
	(void)sd_bus_slot_set_destroy_callback(slot, unit_call_destroy);
	(void)sd_bus_slot_set_floating(slot, 1);
	return 0;
}

/* Did the violations of @b at @now reach unit_count within the window? */
static bool unit_window_full(Budget *b, uint64_t now)
{
	ActionState *s = b->act;
	unsigned n = b->actions.unit_count;

	if (!s->times || n == 0)
		return false;
	if (s->n_times < n)
		s->times[(s->head + s->n_times++) % n] = now;
	else {
		s->times[s->head] = now;
		s->head = (s->head + 1) % n;
	}
	if (s->n_times < n)
		return false;
	/* The oldest of the last n. */
	return b->actions.unit_window_usec == 0 ||
	       now - s->times[s->head] <= b->actions.unit_window_usec;
}

static void do_unit_action(Manager *m, Budget *b, const char *unit,
			   uint32_t pid, uint64_t now)
{
	bool restart = b->actions.mask & TLOB_ACTION_RESTART;
	unsigned bit = restart ? TLOB_ACTION_RESTART : TLOB_ACTION_STOP;
	uint64_t interval = MAX(b->actions.unit_window_usec,
				ACTIONS_UNIT_INTERVAL_MIN_USEC);
	ActionState *s = b->act;
	int r;

	if (!unit_window_full(b, now))
		return;
	/* Acted: the window starts afresh, whether this one is done or not. */
	s->n_times = s->head = 0;
	if (s->unit_last && now - s->unit_last < interval) {
		s->suppressed[bit_index(bit)]++;
		log_debug("Budget %s: %s of %s suppressed (rate limit).", b->id,
			  tlob_action_name(bit), unit);
		return;
	}
	s->unit_last = now;
	s->taken[bit_index(bit)]++;
	r = unit_call(m, b, unit, pid, restart);
	if (r < 0) {
		char result[128];

		snprintf(result, sizeof(result), "failed: %s", strerror(-r));
		actions_log(b, unit, pid, tlob_action_name(bit), false, result);
	}
}

static void do_snapshot(Manager *m, Budget *b, const char *unit,
			uint32_t pid, uint64_t now)
{
	unsigned i = bit_index(TLOB_ACTION_SNAPSHOT);
	ActionState *s = b->act;
	char result[256];
	uint64_t index;
	int r;

	if (s->snapshot_last && now - s->snapshot_last < SNAPSHOT_INTERVAL_USEC) {
		s->suppressed[i]++;
		return;
	}
	s->snapshot_last = now;
	s->taken[i]++;
	r = snapshot_take(m, b->id, &index);
	if (r < 0)
		snprintf(result, sizeof(result), "failed: %s", strerror(-r));
	else
		snprintf(result, sizeof(result), "saved as %s/%s/%llu.trace%s",
			 m->snapshot_dir, b->id, (unsigned long long)index,
			 r > 0 ? " (cut at its size limit)" : "");
	actions_log(b, unit, pid, "snapshot", r >= 0, result);
}

void actions_on_violation(Manager *m, Budget *b, const char *unit,
			  const struct tlob_event *ev,
			  const struct tlob_cause_event *ce, uint64_t now,
			  bool logged)
{
	char sig[16], result[64];

	if (!b->act)
		return;
	/* The signal of the binding that measured it: sent at expiry. */
	if (b->bound_signal && (!ce || ce->cause.signal)) {
		b->act->taken[bit_index(TLOB_ACTION_SIGNAL)]++;
		if (logged) {
			snprintf(result, sizeof(result), "%s queued for thread %u by the kernel",
				 tlob_signal_to_string(b->bound_signal, sig, sizeof(sig)),
				 ev->tid);
			actions_log(b, unit, ev->tgid, "signal", true, result);
		}
	}
	if (b->actions.mask & (TLOB_ACTION_RESTART | TLOB_ACTION_STOP))
		do_unit_action(m, b, unit, ev->tgid, now);
	if (b->actions.mask & TLOB_ACTION_SNAPSHOT)
		do_snapshot(m, b, unit, ev->tgid, now);
}

/* "ActionsTaken" or "ActionsSuppressed": a{st} of the counted actions. */
static int append_counts(sd_bus_message *reply, const char *key,
			 const Budget *b, bool taken)
{
	int r;

	r = sd_bus_message_open_container(reply, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(reply, "s", key);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'v', "a{st}");
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "{st}");
	for (unsigned i = 0; r >= 0 && i < ACTIONS_COUNTED; i++) {
		unsigned bit = 1U << i;

		/* The budget's actions, and those it had and counted. */
		if (!(b->actions.mask & bit) &&
		    (!b->act || !(taken ? b->act->taken[i] : b->act->suppressed[i])))
			continue;
		r = sd_bus_message_append(reply, "{st}", tlob_action_name(bit),
					  b->act ? (taken ? b->act->taken[i] :
						    b->act->suppressed[i]) : 0);
	}
	for (unsigned i = 0; r >= 0 && i < 3; i++)
		r = sd_bus_message_close_container(reply);
	return r;
}

int actions_append_properties(sd_bus_message *reply, const Budget *b)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = tlob_actions_format(&b->actions, &text);
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "{sv}", "Actions", "s", text);
	if (r < 0)
		return r;
	r = append_counts(reply, "ActionsTaken", b, true);
	if (r < 0)
		return r;
	return append_counts(reply, "ActionsSuppressed", b, false);
}
