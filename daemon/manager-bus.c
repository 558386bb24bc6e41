// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * org.tlob.Manager on the system bus: the vtable and its handlers only.
 * Each method validates its arguments, then (for the ones that change
 * state) asks polkit, then acts.
 */
#include <ctype.h>
#include <fcntl.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "actions.h"
#include "bus-dict.h"
#include "bus-errors.h"
#include "journal-format.h"
#include "log.h"
#include "macro.h"
#include "manager-bus.h"
#include "manager.h"
#include "snapshot.h"
#include "tlob-hist.h"
#include "utf8.h"

#define OBJECT_PATH	"/org/tlob/Manager"
#define INTERFACE	"org.tlob.Manager"
#define BUS_NAME	"org.tlob.Manager"
#define POLKIT_ACTION	"org.tlob.manage-budgets"
#define DESCRIPTION_MAX	1024


static int property_get_version(sd_bus *bus, const char *path,
				const char *interface, const char *property,
				sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", TLOB_VERSION);
}

static int property_get_backend(sd_bus *bus, const char *path,
				const char *interface, const char *property,
				sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "s", kernel_backend_to_string(m->backend));
}

static int property_get_budget_count(sd_bus *bus, const char *path,
				     const char *interface,
				     const char *property,
				     sd_bus_message *reply, void *userdata,
				     sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "u", (uint32_t)m->n_budgets);
}

static int property_get_refused(sd_bus *bus, const char *path,
				const char *interface, const char *property,
				sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "u", m->n_refused);
}

static int property_get_u64(sd_bus *bus, const char *path,
			    const char *interface, const char *property,
			    sd_bus_message *reply, void *userdata,
			    sd_bus_error *error)
{
	return sd_bus_message_append(reply, "t", *(uint64_t *)userdata);
}

static bool description_is_valid(const char *s)
{
	if (strlen(s) > DESCRIPTION_MAX)
		return false;
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return false;
	return true;
}

typedef struct AddOptions {
	int runtime;
	int cause;
	const char *description;
	const char *action;
	sd_bus_error *error;
} AddOptions;

static int add_option(sd_bus_message *msg, const char *key, void *userdata)
{
	AddOptions *o = userdata;
	int r;

	if (streq(key, "runtime"))
		r = sd_bus_message_read(msg, "v", "b", &o->runtime);
	else if (streq(key, "description"))
		r = sd_bus_message_read(msg, "v", "s", &o->description);
	else if (streq(key, "cause"))
		r = sd_bus_message_read(msg, "v", "b", &o->cause);
	else if (streq(key, "action"))
		r = sd_bus_message_read(msg, "v", "s", &o->action);
	else
		return sd_bus_error_setf(o->error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unknown option \"%s\".", key);
	if (r < 0)
		return sd_bus_error_setf(o->error, SD_BUS_ERROR_INVALID_ARGS,
					 "Option \"%s\" has the wrong type.",
					 key);
	return 1;
}

static int method_add_budget(sd_bus_message *msg, void *userdata,
			     sd_bus_error *error)
{
	Manager *m = userdata;
	AddOptions o = { .error = error, .cause = true };
	const char *unit, *probe;
	TlobActions actions = {};
	TlobActionError ae;
	TlobProbe p = {};
	uint64_t budget_ns;
	int r;

	r = sd_bus_message_read(msg, "sst", &unit, &probe, &budget_ns);
	if (r < 0)
		return r;
	/* a{sv}: runtime (b), description (s), cause (b) */
	r = bus_read_dict(msg, add_option, &o);
	if (r < 0)
		return r;

	if (!tlob_unit_name_is_concrete(unit))
		return sd_bus_error_setf(error, TLOB_ERROR_NO_SUCH_UNIT,
					 "\"%s\" is not a valid unit name.", unit);
	r = tlob_probe_parse(probe, &p);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return sd_bus_error_setf(error, TLOB_ERROR_INVALID_PROBE,
					 "Invalid probe \"%s\": expected [PATH:]START[..STOP].",
					 probe);
	tlob_probe_done(&p);
	if (!tlob_budget_is_valid(budget_ns))
		return sd_bus_error_setf(error, TLOB_ERROR_INVALID_BUDGET,
					 "Budget %llu ns is out of range (1 ns to 1 h).",
					 (unsigned long long)budget_ns);
	if (o.description && !description_is_valid(o.description))
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
					"The description must be one line of at most 1024 bytes.");
	if (o.action && tlob_actions_parse(o.action, &actions, &ae) < 0)
		return sd_bus_error_setf(error, TLOB_ERROR_INVALID_ACTION,
					 "Invalid action \"%s\": %s.", ae.item,
					 ae.why);

	r = manager_polkit_check(m, msg, POLKIT_ACTION, error);
	if (r <= 0)
		return r < 0 ? r : 1;	/* 0: answered once polkit replied */

	r = manager_add_budget(m, msg, unit, probe, budget_ns, o.runtime,
			       o.description, o.cause, &actions, error);
	if (r < 0)
		return r;
	return 1;	/* answered once systemd told about the unit */
}

/* The budget @id, or NULL with org.tlob.Error.NoSuchBudget set. */
static Budget *find_budget_or_error(Manager *m, const char *id,
				    sd_bus_error *error)
{
	Budget *b = manager_find_budget(m, id);

	if (!b)
		sd_bus_error_setf(error, TLOB_ERROR_NO_SUCH_BUDGET,
				  "No budget with id \"%s\".", id);
	return b;
}

static int method_remove_budget(sd_bus_message *msg, void *userdata,
				sd_bus_error *error)
{
	Manager *m = userdata;
	const char *id;
	Budget *b;
	int r;

	r = sd_bus_message_read(msg, "s", &id);
	if (r < 0)
		return r;
	b = find_budget_or_error(m, id, error);
	if (!b)
		return -sd_bus_error_get_errno(error);
	if (b->source == BUDGET_SOURCE_DROPIN)
		return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
					 "Budget %s is set in %s; edit that file and reload.",
					 id, b->file);

	r = manager_polkit_check(m, msg, POLKIT_ACTION, error);
	if (r <= 0)
		return r < 0 ? r : 1;

	/* Polkit may have taken a while: look the budget up again. */
	b = find_budget_or_error(m, id, error);
	if (!b)
		return -sd_bus_error_get_errno(error);
	r = manager_remove_budget(m, b, error);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_list_budgets(sd_bus_message *msg, void *userdata,
			       sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	int r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ssstsb)");
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->n_budgets; i++) {
		Budget *b = m->budgets[i];

		r = sd_bus_message_append(reply, "(ssstsb)", b->id, b->unit_name,
					  b->probe_text, b->budget_ns,
					  budget_source_to_string(b->source),
					  (int)budget_is_active(b));
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int append_histogram(sd_bus_message *reply, const BudgetStats *st)
{
	TlobHistPair pairs[TLOB_HIST_BUCKETS];
	size_t n = tlob_hist_to_pairs(st->hist, pairs);
	int r;

	r = sd_bus_message_open_container(reply, 'e', "sv");
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "s", "Histogram");
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'v', "a(tt)");
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(tt)");
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = sd_bus_message_append(reply, "(tt)", pairs[i].upper_ns,
					  pairs[i].count);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

/* One violation of LastViolations: a{sv}. */
static int append_last_violation(sd_bus_message *reply,
				 const BudgetViolation *v)
{
	char comm[sizeof(v->ev.comm) + 1];
	int r;

	tlob_utf8_sanitize(comm, sizeof(comm), v->ev.comm, sizeof(v->ev.comm));
	r = sd_bus_message_open_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}",
				  "TimestampUSec", "t", v->realtime_usec,
				  "PID", "u", v->ev.tgid,
				  "TID", "u", v->ev.tid,
				  "Comm", "s", comm,
				  "ElapsedNSec", "t", v->ev.elapsed_ns,
				  "RunningNSec", "t", v->ev.running_ns,
				  "WaitingNSec", "t", v->ev.waiting_ns,
				  "SleepingNSec", "t", v->ev.sleeping_ns);
	if (r < 0)
		return r;
	/* The cause has State too. */
	if (v->cause)
		r = cause_append_bus(reply, v->cause);
	else
		r = sd_bus_message_append(reply, "{sv}", "State", "s",
					  tlob_state_to_string(v->ev.state));
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

static int append_last_violations(sd_bus_message *reply, const Budget *b)
{
	const BudgetViolation *v;
	int r;

	r = sd_bus_message_open_container(reply, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(reply, "s", "LastViolations");
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'v', "aa{sv}");
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "a{sv}");
	for (unsigned i = 0; r >= 0 && (v = budget_last_violation(b, i)); i++)
		r = append_last_violation(reply, v);
	for (unsigned i = 0; r >= 0 && i < 3; i++)
		r = sd_bus_message_close_container(reply);
	return r;
}

static int method_get_budget(sd_bus_message *msg, void *userdata,
			     sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	const char *id, *binary;
	BudgetStats st;
	Budget *b;
	int r;

	r = sd_bus_message_read(msg, "s", &id);
	if (r < 0)
		return r;
	b = find_budget_or_error(m, id, error);
	if (!b)
		return -sd_bus_error_get_errno(error);
	budget_get_stats(b, &st);
	budget_refresh_offsets(b);
	binary = b->binary ?: b->probe_path ?: (b->unit ? b->unit->exec_path : NULL);

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply,
		"{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}",
		"Id", "s", b->id,
		"Unit", "s", b->unit_name,
		"Probe", "s", b->probe_text,
		"Binary", "s", strempty(binary),
		"StartOffset", "t", b->start_offset,
		"StopOffset", "t", b->stop_offset,
		"StopOnReturn", "b", (int)!b->has_stop,
		"BudgetNSec", "t", b->budget_ns,
		"Source", "s", budget_source_to_string(b->source),
		"Active", "b", (int)budget_is_active(b),
		"Windows", "t", st.windows,
		"Violations", "t", st.violations,
		"MaxNSec", "t", st.max_ns,
		"Description", "s", strempty(b->description),
		"File", "s", strempty(b->file));
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}",
				  "SumNSec", "t", st.sum_ns,
				  "BindingId", "u", b->binding_id,
				  "Cookie", "t", b->cookie,
				  "ControlGroup", "s", strempty(b->cgroup_path));
	if (r < 0)
		return r;
	r = append_histogram(reply, &st);
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "{sv}", "Cause", "b", (int)b->cause);
	if (r < 0)
		return r;
	r = append_last_violations(reply, b);
	if (r < 0)
		return r;
	r = actions_append_properties(reply, b);
	if (r < 0)
		return r;
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/*
 * The id argument of the snapshot methods: a budget's, or one whose
 * snapshots are still kept. The budget's snapshot list in *@ret.
 */
static int read_snapshot_list(Manager *m, sd_bus_message *msg,
			      const char **ret_id, SnapshotInfo **ret,
			      size_t *ret_n, sd_bus_error *error)
{
	const char *id;
	int r;

	r = sd_bus_message_read(msg, "s", &id);
	if (r < 0)
		return r;
	if (!tlob_budget_id_is_valid(id))
		return sd_bus_error_setf(error, TLOB_ERROR_NO_SUCH_BUDGET,
					 "No budget with id \"%s\".", id);
	/* Trace data shows every task of the system. */
	r = manager_polkit_check(m, msg, POLKIT_ACTION, error);
	if (r <= 0)
		return r;
	r = snapshot_list(m, id, ret, ret_n);
	if (r == -ENOENT && manager_find_budget(m, id)) {
		*ret = NULL;
		*ret_n = 0;
		r = 0;
	}
	if (r == -ENOENT)
		return sd_bus_error_setf(error, TLOB_ERROR_NO_SUCH_BUDGET,
					 "No budget with id \"%s\", and no snapshots of one.",
					 id);
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r,
					       "Failed to list the snapshots of %s: %m",
					       id);
	*ret_id = id;
	return 1;
}

static int method_list_snapshots(sd_bus_message *msg, void *userdata,
				 sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ SnapshotInfo *l = NULL;
	Manager *m = userdata;
	const char *id;
	size_t n = 0;
	int r;

	r = read_snapshot_list(m, msg, &id, &l, &n, error);
	if (r <= 0)
		return r < 0 ? r : 1;	/* 0: answered once polkit replied */
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ttt)");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(reply, "(ttt)", l[i].index,
					  l[i].timestamp_usec, l[i].size);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_open_snapshot(sd_bus_message *msg, void *userdata,
				sd_bus_error *error)
{
	_cleanup_free_ SnapshotInfo *l = NULL;
	_cleanup_close_ int fd = -EBADF;
	Manager *m = userdata;
	const char *id;
	uint64_t index;
	size_t n = 0;
	int r;

	r = read_snapshot_list(m, msg, &id, &l, &n, error);
	if (r <= 0)
		return r < 0 ? r : 1;
	r = sd_bus_message_read(msg, "t", &index);
	if (r < 0)
		return r;
	fd = snapshot_open(m, id, index);
	if (fd == -ENOENT)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Budget %s has no snapshot %llu.", id,
					 (unsigned long long)index);
	if (fd < 0)
		return sd_bus_error_set_errnof(error, -fd,
					       "Failed to open snapshot %llu of %s: %m",
					       (unsigned long long)index, id);
	return sd_bus_reply_method_return(msg, "h", fd);
}

static int method_reload(sd_bus_message *msg, void *userdata,
			 sd_bus_error *error)
{
	Manager *m = userdata;
	int r;

	r = manager_polkit_check(m, msg, POLKIT_ACTION, error);
	if (r <= 0)
		return r < 0 ? r : 1;
	r = manager_reload(m, msg);
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r,
					       "Failed to reload budgets: %m");
	return 1;	/* answered once done */
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", property_get_version, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Backend", "s", property_get_backend, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("BudgetCount", "u", property_get_budget_count, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("RefusedBudgets", "u", property_get_refused, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ViolationCount", "t", property_get_u64,
			offsetof(Manager, counters.violations),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DroppedEvents", "t", property_get_u64,
			offsetof(Manager, counters.dropped),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("SelfViolationCount", "t", property_get_u64,
			offsetof(Manager, counters.self_violations),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("SuppressedViolations", "t", property_get_u64,
			offsetof(Manager, counters.suppressed),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_ARGS("AddBudget",
		SD_BUS_ARGS("s", unit, "s", probe, "t", budget_ns,
			    "a{sv}", options),
		SD_BUS_RESULT("s", id),
		method_add_budget, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("RemoveBudget",
		SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT,
		method_remove_budget, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ListBudgets",
		SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssstsb)", budgets),
		method_list_budgets, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetBudget",
		SD_BUS_ARGS("s", id), SD_BUS_RESULT("a{sv}", properties),
		method_get_budget, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reload",
		SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
		method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ListSnapshots",
		SD_BUS_ARGS("s", id), SD_BUS_RESULT("a(ttt)", snapshots),
		method_list_snapshots, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("OpenSnapshot",
		SD_BUS_ARGS("s", id, "t", index), SD_BUS_RESULT("h", fd),
		method_open_snapshot, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_ARGS("Violation",
		SD_BUS_ARGS("s", id, "s", unit, "u", pid, "u", tid,
			    "s", comm, "t", budget_ns, "t", elapsed_ns,
			    "t", running_ns, "t", waiting_ns,
			    "t", sleeping_ns, "s", state,
			    "t", timestamp_usec),
		0),
	SD_BUS_SIGNAL_WITH_ARGS("ViolationCause",
		SD_BUS_ARGS("s", id, "s", unit, "u", pid, "u", tid,
			    "t", timestamp_usec, "a{sv}", cause),
		0),
	SD_BUS_VTABLE_END,
};

int manager_emit_violation(Manager *m, const Budget *b, const char *unit,
			   const struct tlob_event *ev, uint64_t realtime_usec)
{
	char comm[sizeof(ev->comm) + 1];

	/* D-Bus strings are UTF-8; the kernel's comm need not be. */
	tlob_utf8_sanitize(comm, sizeof(comm), ev->comm, sizeof(ev->comm));

	return sd_bus_emit_signal(m->bus, OBJECT_PATH, INTERFACE, "Violation",
				  "ssuustttttst", b ? b->id : "", unit,
				  ev->tgid, ev->tid, comm, ev->threshold_ns,
				  ev->elapsed_ns, ev->running_ns,
				  ev->waiting_ns, ev->sleeping_ns,
				  tlob_state_to_string(ev->state), realtime_usec);
}

int manager_emit_violation_cause(Manager *m, const Budget *b,
				 const char *unit, const struct tlob_event *ev,
				 uint64_t realtime_usec, const Cause *cause)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	int r;

	r = sd_bus_message_new_signal(m->bus, &msg, OBJECT_PATH, INTERFACE,
				      "ViolationCause");
	if (r < 0)
		return r;
	r = sd_bus_message_append(msg, "ssuut", b ? b->id : "", unit, ev->tgid,
				  ev->tid, realtime_usec);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(msg, 'a', "{sv}");
	if (r < 0)
		return r;
	r = cause_append_bus(msg, cause);
	if (r < 0)
		return r;
	r = sd_bus_message_close_container(msg);
	if (r < 0)
		return r;
	return sd_bus_send(m->bus, msg, NULL);
}

void manager_emit_budget_count_changed(Manager *m)
{
	int r;

	/* For "systemctl status tlob-manager". */
	if (m->n_refused > 0)
		(void)sd_notifyf(false, "STATUS=Watching %zu budget(s), %u refused over the limit.",
				 m->n_budgets, m->n_refused);
	else
		(void)sd_notifyf(false, "STATUS=Watching %zu budget(s).", m->n_budgets);
	if (!m->bus)
		return;
	r = sd_bus_emit_properties_changed(m->bus, OBJECT_PATH, INTERFACE,
					   "BudgetCount", "RefusedBudgets", NULL);
	if (r < 0)
		log_debug_errno(r, "Failed to emit PropertiesChanged, ignoring: %m");
}

static int on_counters_changed(sd_event_source *s, void *userdata)
{
	static const struct {
		unsigned flag;
		const char *name;
	} props[] = {
		{ COUNTER_VIOLATIONS, "ViolationCount" },
		{ COUNTER_DROPPED, "DroppedEvents" },
		{ COUNTER_SELF, "SelfViolationCount" },
		{ COUNTER_SUPPRESSED, "SuppressedViolations" },
	};
	Manager *m = userdata;
	char *names[ELEMENTSOF(props) + 1] = {};
	size_t n = 0;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(props); i++)
		if (m->counters_changed & props[i].flag)
			names[n++] = (char *)props[i].name;
	m->counters_changed = 0;
	if (n == 0 || !m->bus)
		return 0;
	r = sd_bus_emit_properties_changed_strv(m->bus, OBJECT_PATH, INTERFACE,
						 names);
	if (r < 0)
		log_debug_errno(r, "Failed to emit PropertiesChanged, ignoring: %m");
	return 0;
}

void manager_counters_changed(Manager *m)
{
	int r;

	if (!m->props_source) {
		r = sd_event_add_defer(m->event, &m->props_source,
				       on_counters_changed, m);
		if (r < 0) {
			log_debug_errno(r, "Failed to queue PropertiesChanged, ignoring: %m");
			return;
		}
		(void)sd_event_source_set_description(m->props_source,
						      "counters-changed");
	}
	(void)sd_event_source_set_enabled(m->props_source, SD_EVENT_ONESHOT);
}

int manager_bus_setup(Manager *m)
{
	int r;

	r = sd_bus_open_system(&m->bus);
	if (r < 0)
		return log_error_errno(r, "Failed to connect to the system bus: %m");
	r = sd_bus_add_object_vtable(m->bus, NULL, OBJECT_PATH, INTERFACE,
				     manager_vtable, m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the object vtable: %m");
	/* Without the bus there is nothing to serve: exit, be restarted. */
	r = sd_bus_set_exit_on_disconnect(m->bus, true);
	if (r < 0)
		return log_error_errno(r, "Failed to set exit on disconnect: %m");
	r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
	return 0;
}

static int on_name_acquired(sd_bus_message *reply, void *userdata,
			    sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	Manager *m = userdata;
	uint32_t ret = 0;
	int r;

	m->name_slot = sd_bus_slot_unref(m->name_slot);
	if (e)
		r = log_error_errno(-(sd_bus_error_get_errno(e) ?: EIO),
				    "Failed to acquire bus name %s: %s", BUS_NAME,
				    e->message);
	else if (sd_bus_message_read(reply, "u", &ret) < 0 ||
		 !IN_SET(ret, 1U, 4U))	/* primary owner, already owner */
		r = log_error_errno(-EEXIST, "Failed to acquire bus name %s: "
				    "it is owned by another process (%u).",
				    BUS_NAME, ret);
	else
		r = 0;
	if (r < 0)
		return sd_event_exit(m->event, r);
	(void)sd_notifyf(false, "READY=1\nSTATUS=Watching %zu budget(s).",
			 m->n_budgets);
	log_debug("Serving %s.", BUS_NAME);
	manager_serving(m);
	return 0;
}

int manager_bus_request_name(Manager *m)
{
	return sd_bus_request_name_async(m->bus, &m->name_slot, BUS_NAME, 0,
					 on_name_acquired, m);
}
