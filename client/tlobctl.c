// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlobctl: control tlob-manager over D-Bus (org.tlob.Manager), in the
 * manner of systemctl. See tlobctl(1).
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-errors.h"
#include "hist.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "pager.h"
#include "polkit-agent.h"
#include "props.h"
#include "table.h"
#include "tlob-action.h"
#include "tlob-parse.h"

#define TLOB_BUS_NAME	"org.tlob.Manager"
#define TLOB_BUS_PATH	"/org/tlob/Manager"
#define TLOB_BUS_IFACE	"org.tlob.Manager"

static JsonFormat arg_json = JSON_OFF;
/* Decided before the pager takes stdout, which the pager shows raw (-R). */
static bool arg_color;
static bool arg_pager = true;
static bool arg_legend = true;
static bool arg_quiet;
static bool arg_ask_password = true;
static const char *arg_host;
static bool arg_runtime;
static const char *arg_description;
static int arg_cause = -1;		/* -1: the manager's default (yes) */
static char *arg_action;		/* the --action= lists, joined */
static bool arg_list;

#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)
#define _cleanup_table_	    _cleanup_(table_freep)

/* The text naming the cause of a failed call: the D-Bus error's message. */
static const char *bus_error_message(const sd_bus_error *e, int r)
{
	if (e && e->message && e->message[0])
		return e->message;
	if (e && e->name)
		return e->name;
	return strerror(r < 0 ? -r : r);
}

static int log_bus_error(const char *what, const sd_bus_error *e, int r)
{
	if (e && e->name)
		log_debug("D-Bus error %s: %s", e->name, strempty(e->message));
	return log_error_errno(r, "Failed to %s: %s", what, bus_error_message(e, r));
}

static int bus_parse_error(int r)
{
	return log_error_errno(r, "Failed to parse the reply of tlob-manager: %m");
}

static int table_error(int r)
{
	return log_error_errno(r, "Failed to build the output table: %m");
}

static int bus_connect(bool changes, sd_bus **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (arg_host)
		r = sd_bus_open_system_remote(&bus, arg_host);
	else
		r = sd_bus_open_system(&bus);
	if (r < 0)
		return log_error_errno(r, "Failed to connect to the system bus%s%s: %m",
				       arg_host ? " of " : "", strempty(arg_host));

	/* Let polkit ask for a password when someone can type one, as
	 * systemctl does, unless --no-ask-password. */
	if (changes && arg_ask_password && !arg_host && isatty(STDIN_FILENO)) {
		r = sd_bus_set_allow_interactive_authorization(bus, true);
		if (r < 0)
			return log_error_errno(r, "Failed to allow interactive authorization: %m");
		polkit_agent_open();
	}
	*ret = TAKE_PTR(bus);
	return 0;
}

static int bus_call(sd_bus *bus, const char *member, sd_bus_error *error,
		    sd_bus_message **reply, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, TLOB_BUS_NAME, TLOB_BUS_PATH,
					   TLOB_BUS_IFACE, member);
	if (r < 0)
		return r;
	va_start(ap, types);
	r = sd_bus_message_appendv(m, types, ap);
	va_end(ap);
	if (r < 0)
		return r;
	return sd_bus_call(bus, m, 0, error, reply);
}

static void json_print_table(const Table *t, bool object)
{
	JsonWriter w;

	json_writer_init(&w, stdout, arg_json);
	if (object)
		table_json_object(t, 0, &w);
	else
		table_json_array(t, &w);
	json_finish(&w);
}

static int verb_add(int argc, char *argv[])
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *unit = argv[1], *probe = argv[2], *id;
	uint64_t budget;
	int r;

	r = tlob_parse_timespan_ns(argv[3], &budget);
	if (r == -ERANGE)
		return log_error_errno(r, "Budget '%s' is too large.", argv[3]);
	if (r < 0)
		return log_error_errno(r, "Budget '%s' is not a time span (like 500us, 20ms, 1s 20ms).",
				       argv[3]);

	r = bus_connect(true, &bus);
	if (r < 0)
		return r;

	r = sd_bus_message_new_method_call(bus, &m, TLOB_BUS_NAME, TLOB_BUS_PATH,
					   TLOB_BUS_IFACE, "AddBudget");
	if (r >= 0)
		r = sd_bus_message_append(m, "sst", unit, probe, budget);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0 && arg_runtime)
		r = sd_bus_message_append(m, "{sv}", "runtime", "b", 1);
	if (r >= 0 && arg_description)
		r = sd_bus_message_append(m, "{sv}", "description", "s", arg_description);
	if (r >= 0 && arg_cause >= 0)
		r = sd_bus_message_append(m, "{sv}", "cause", "b", arg_cause);
	if (r >= 0 && arg_action)
		r = sd_bus_message_append(m, "{sv}", "action", "s", arg_action);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		return log_error_errno(r, "Failed to build the AddBudget call: %m");

	r = sd_bus_call(bus, m, 0, &error, &reply);
	if (r < 0)
		return log_bus_error("add budget", &error, r);
	r = sd_bus_message_read(reply, "s", &id);
	if (r < 0)
		return bus_parse_error(r);

	if (arg_quiet)
		return 0;
	if (arg_json != JSON_OFF) {
		JsonWriter w;

		json_writer_init(&w, stdout, arg_json);
		json_begin_object(&w);
		json_key(&w, "id");
		json_string(&w, id);
		json_end_object(&w);
		json_finish(&w);
	} else {
		printf("%s\n", id);
	}
	return 0;
}

static int verb_remove(int argc, char *argv[])
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = bus_connect(true, &bus);
	if (r < 0)
		return r;
	r = bus_call(bus, "RemoveBudget", &error, NULL, "s", argv[1]);
	if (r < 0)
		return log_bus_error("remove budget", &error, r);
	return 0;
}

static int verb_reload(int argc, char *argv[])
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = bus_connect(true, &bus);
	if (r < 0)
		return r;
	r = bus_call(bus, "Reload", &error, NULL, "");
	if (r < 0)
		return log_bus_error("reload tlob-manager", &error, r);
	return 0;
}

/* "snapshot ID --list": the snapshots of budget ID. */
static int snapshot_print_list(sd_bus *bus, const char *id)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_table_ Table *t = NULL;
	uint64_t index, ts, size;
	int r;

	r = bus_call(bus, "ListSnapshots", &error, &reply, "s", id);
	if (r < 0)
		return log_bus_error("list snapshots", &error, r);
	t = table_new();
	if (!t)
		return log_oom();
	r = table_add_column(t, "INDEX", "index", TABLE_U64, TABLE_ALIGN_RIGHT);
	if (r >= 0)
		r = table_add_column(t, "TIME", NULL, TABLE_STRING, 0);
	if (r >= 0)
		r = table_add_column(t, NULL, "timestamp_usec", TABLE_U64, 0);
	if (r >= 0)
		r = table_add_column(t, "SIZE", "size", TABLE_U64, TABLE_ALIGN_RIGHT);
	if (r < 0)
		return table_error(r);
	r = sd_bus_message_enter_container(reply, 'a', "(ttt)");
	if (r < 0)
		return bus_parse_error(r);
	while ((r = sd_bus_message_read(reply, "(ttt)", &index, &ts, &size)) > 0) {
		time_t sec = (time_t)(ts / USEC_PER_SEC);
		char when[64] = "-";
		struct tm tm;

		if (localtime_r(&sec, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		if ((r = table_add_u64(t, index)) < 0 ||
		    (r = table_add_string(t, when)) < 0 ||
		    (r = table_add_u64(t, ts)) < 0 ||
		    (r = table_add_u64(t, size)) < 0)
			return table_error(r);
	}
	if (r < 0)
		return bus_parse_error(r);
	if (arg_json != JSON_OFF) {
		json_print_table(t, false);
		return 0;
	}
	table_set_header(t, arg_legend);
	return table_print(t, stdout, arg_color);
}

/* The newest snapshot of @id, for "snapshot ID". */
static int snapshot_newest(sd_bus *bus, const char *id, uint64_t *ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	uint64_t index, ts, size;
	bool any = false;
	int r;

	r = bus_call(bus, "ListSnapshots", &error, &reply, "s", id);
	if (r < 0)
		return log_bus_error("list snapshots", &error, r);
	r = sd_bus_message_enter_container(reply, 'a', "(ttt)");
	if (r < 0)
		return bus_parse_error(r);
	while ((r = sd_bus_message_read(reply, "(ttt)", &index, &ts, &size)) > 0) {
		*ret = any ? MAX(*ret, index) : index;
		any = true;
	}
	if (r < 0)
		return bus_parse_error(r);
	if (!any)
		return log_error_errno(-ENOENT, "Budget %s has no snapshots.", id);
	return 0;
}

static int verb_snapshot(int argc, char *argv[])
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *id = argv[1];
	uint64_t index = 0;
	char buf[65536];
	ssize_t n;
	int fd, r;

	if (argc > 2) {
		char *end;

		errno = 0;
		index = strtoull(argv[2], &end, 10);
		if (errno || *end || !isdigit((unsigned char)argv[2][0]))
			return log_error_errno(-EINVAL, "Invalid snapshot index '%s'.",
					       argv[2]);
	}
	if (arg_list && argc > 2)
		return log_error_errno(-EINVAL, "--list takes no INDEX.");
	/* Trace data shows every task: authorized as changes are. */
	r = bus_connect(true, &bus);
	if (r < 0)
		return r;
	if (arg_list) {
		if (arg_pager)
			pager_open();
		return snapshot_print_list(bus, id);
	}
	if (argc <= 2) {
		r = snapshot_newest(bus, id, &index);
		if (r < 0)
			return r;
	}
	r = bus_call(bus, "OpenSnapshot", &error, &reply, "st", id, index);
	if (r < 0)
		return log_bus_error("open the snapshot", &error, r);
	r = sd_bus_message_read(reply, "h", &fd);
	if (r < 0)
		return bus_parse_error(r);
	if (arg_pager)
		pager_open();
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	if (n < 0)
		return log_error_errno(-errno, "Failed to read the snapshot: %m");
	return 0;
}

/* Columns of "list" and the first columns of the "status" summary. */
static int table_add_list_columns(Table *t)
{
	int r = 0;

	if (r >= 0)
		r = table_add_column(t, "ID", "id", TABLE_STRING, 0);
	if (r >= 0)
		r = table_add_column(t, "UNIT", "unit", TABLE_STRING, 0);
	if (r >= 0)
		r = table_add_column(t, "PROBE", "probe", TABLE_STRING, 0);
	if (r >= 0)
		r = table_add_column(t, "BUDGET", "budget_ns", TABLE_TIMESPAN,
				     TABLE_ALIGN_RIGHT);
	if (r >= 0)
		r = table_add_column(t, "SOURCE", "source", TABLE_STRING, 0);
	if (r >= 0)
		r = table_add_column(t, "ACTIVE", "active", TABLE_BOOL, 0);
	return r;
}

typedef int (*budget_row_fn)(Table *t, sd_bus *bus, const char *id);

/* Calls ListBudgets and adds one row per budget, extended by @more. */
static int list_budgets(sd_bus *bus, Table *t, budget_row_fn more)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *id, *unit, *probe, *source;
	uint64_t budget;
	int active, r;

	r = bus_call(bus, "ListBudgets", &error, &reply, "");
	if (r < 0)
		return log_bus_error("list budgets", &error, r);

	r = sd_bus_message_enter_container(reply, 'a', "(ssstsb)");
	if (r < 0)
		return bus_parse_error(r);
	while ((r = sd_bus_message_read(reply, "(ssstsb)", &id, &unit, &probe,
					&budget, &source, &active)) > 0) {
		if ((r = table_add_string(t, id)) < 0 ||
		    (r = table_add_string(t, unit)) < 0 ||
		    (r = table_add_string(t, probe)) < 0 ||
		    (r = table_add_u64(t, budget)) < 0 ||
		    (r = table_add_string(t, source)) < 0 ||
		    (r = table_add_bool(t, active)) < 0)
			return table_error(r);
		if (more) {
			r = more(t, bus, id);
			if (r < 0)
				return r;
		}
	}
	if (r < 0)
		return bus_parse_error(r);
	r = sd_bus_message_exit_container(reply);
	if (r < 0)
		return bus_parse_error(r);

	table_sort(t, 1, 0);	/* by unit, then id */
	return 0;
}

static int verb_list(int argc, char *argv[])
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_table_ Table *t = table_new();
	size_t n;
	int r;

	if (!t)
		return log_oom();
	r = table_add_list_columns(t);
	if (r < 0)
		return table_error(r);

	r = bus_connect(false, &bus);
	if (r < 0)
		return r;
	r = list_budgets(bus, t, NULL);
	if (r < 0)
		return r;

	if (arg_json != JSON_OFF) {
		json_print_table(t, false);
		return 0;
	}
	table_set_header(t, arg_legend);
	r = table_print(t, stdout, arg_color);
	if (r < 0)
		return table_error(r);
	n = table_rows(t);
	if (arg_legend)
		printf("%s%zu budget%s listed.\n", n > 0 ? "\n" : "", n, n == 1 ? "" : "s");
	return 0;
}

/* GetBudget; a failed call is not logged, its error is in @error. */
static int get_budget(sd_bus *bus, const char *id, sd_bus_error *error,
		      PropList *ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = bus_call(bus, "GetBudget", error, &reply, "s", id);
	if (r < 0)
		return r;
	r = bus_read_props(reply, ret);
	if (r < 0)
		return bus_parse_error(r);
	return 1;
}

/* "<= 4.19ms" for the @pct percentile of @l's histogram, "-" if empty. */
static void format_percentile(const PropList *l, double pct, char *buf, size_t size)
{
	const Prop *h = prop_find(l, "Histogram");
	char d[64];
	uint64_t v;

	if (!h || h->type != 'h' ||
	    tlob_hist_percentile(h->pairs, h->n_pairs, pct, prop_u64(l, "MaxNSec"), &v) < 0) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "<=%s",
		 tlob_format_timespan(d, sizeof(d), v, TLOB_TIMESPAN_SHORT));
}

/* "hog (pid 123, unit x.service)" for the task @who ("Preemptor"...) of @c. */
static void format_task(const PropList *c, const char *who, char *buf, size_t size)
{
	char k[32];
	const Prop *comm, *unit;

	snprintf(k, sizeof(k), "%sComm", who);
	comm = prop_find(c, k);
	snprintf(k, sizeof(k), "%sUnit", who);
	unit = prop_find(c, k);
	snprintf(k, sizeof(k), "%sPID", who);
	snprintf(buf, size, "%s (pid %" PRIu64 "%s%s)",
		 comm && comm->type == 's' ? comm->str : "?", prop_u64(c, k),
		 unit && unit->type == 's' ? ", unit " : "",
		 unit && unit->type == 's' ? unit->str : "");
}

static bool prop_true(const PropList *l, const char *name)
{
	const Prop *p = prop_find(l, name);

	return p && p->type == 'b' && p->u64;
}

static const char *prop_str(const PropList *l, const char *name)
{
	const Prop *p = prop_find(l, name);

	return p && p->type == 's' ? p->str : NULL;
}

/* Frames of @stack from the wait channel on, without their sizes. */
static void print_stack(const Prop *stack, const char *wchan)
{
	size_t start = 0, n = 0;

	for (size_t i = 0; wchan && stack->strv[i]; i++)
		if (startswith(stack->strv[i], wchan) &&
		    stack->strv[i][strlen(wchan)] == '+') {
			start = i;
			break;
		}
	for (size_t i = start; stack->strv[i] && n < 6; i++, n++) {
		const char *f = stack->strv[i], *size = strchr(f, '/'),
			   *mod = strchr(f, ' ');

		printf("%s%.*s%s", n > 0 ? " <- " : "",
		       (int)(size ? (size_t)(size - f) : strlen(f)), f,
		       size && mod ? mod : "");
	}
	putchar('\n');
}

/* The lines under a violation that say why (ViolationCause's keys). */
static void print_cause_human(const PropList *c, const char *indent)
{
	const char *state = prop_str(c, "State") ?: "", *wchan = prop_str(c, "WaitChannel"),
		   *loc = prop_str(c, "UserLocation");
	const Prop *stack = prop_find(c, "KernelStack");
	char a[512], b[512];

	if (stack && stack->type == 'S' && stack->strv && stack->strv[0]) {
		if (wchan)
			printf("%s%s in %s; stack: ", indent, state, wchan);
		else
			printf("%s%s; stack: ", indent, state);
		print_stack(stack, wchan);
	}
	/* Who had its CPU: the point of a waiting task's cause. */
	if (prop_find(c, "PreemptorComm") || (prop_find(c, "CurrentComm") &&
					       !streq(state, "running"))) {
		printf("%s%s", indent, streq(state, "waiting") ? "waiting:" : "last");
		if (prop_find(c, "PreemptorComm")) {
			format_task(c, "Preemptor", a, sizeof(a));
			printf(" preempted by %s%s", a,
			       prop_find(c, "CurrentComm") ? "," : "");
		}
		if (prop_find(c, "CurrentComm")) {
			format_task(c, "Current", b, sizeof(b));
			printf(" cpu %" PRIu64 " ran %s", prop_u64(c, "CPU"), b);
		}
		putchar('\n');
	}
	/* Exact: where the timer interrupted it; else its last entry. */
	if (loc)
		printf("%s%s %s\n", indent,
		       prop_true(c, "UserIPExact") ? "running at" :
		       streq(state, "running") ? "running, last seen in user space at" :
		       "entered the kernel from", loc);
	printf("%s", indent);
	if (prop_find(c, "WakerComm")) {
		format_task(c, "Waker", a, sizeof(a));
		printf("woken last by %s%s, ", a,
		       prop_true(c, "WakerFromIRQ") ? " from an interrupt" : "");
	}
	printf("%" PRIu64 " voluntary / %" PRIu64 " involuntary switches, %" PRIu64 " migrations\n",
	       prop_u64(c, "VoluntarySwitches"), prop_u64(c, "InvoluntarySwitches"),
	       prop_u64(c, "Migrations"));
	if (prop_str(c, "Signal"))
		printf("%ssent %s\n", indent, prop_str(c, "Signal"));
}

/* "Dec 02 10:11:12.123456" of a CLOCK_REALTIME µs timestamp. */
static void format_when(uint64_t ts, char *buf, size_t size)
{
	char when[64] = "";
	time_t sec = ts / USEC_PER_SEC;
	struct tm tm;

	if (localtime_r(&sec, &tm))
		strftime(when, sizeof(when), "%b %d %H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06u", when, (unsigned)(ts % USEC_PER_SEC));
}

/* LastViolations of GetBudget: each with its cause, if it has one. */
static void print_last_violations(const Prop *last)
{
	if (!last || last->type != 'L' || last->n_items == 0)
		return;
	printf("\nLast violations:\n");
	for (size_t i = 0; i < last->n_items; i++) {
		const PropList *v = &last->items[i];
		char when[96], d[4][64];
		const char *keys[4] = { "ElapsedNSec", "RunningNSec", "WaitingNSec",
					"SleepingNSec" };

		format_when(prop_u64(v, "TimestampUSec"), when, sizeof(when));
		for (size_t j = 0; j < ELEMENTSOF(d); j++)
			tlob_format_timespan(d[j], sizeof(d[j]), prop_u64(v, keys[j]),
					     TLOB_TIMESPAN_SHORT);
		printf("  %s %s[%" PRIu64 "/%" PRIu64 "], %s after %s (running %s, waiting %s, sleeping %s)\n",
		       when, prop_str(v, "Comm") ?: "?", prop_u64(v, "PID"),
		       prop_u64(v, "TID"), prop_str(v, "State") ?: "?", d[0], d[1],
		       d[2], d[3]);
		/* A cause has more than the violation's 9 keys. */
		if (prop_find(v, "VoluntarySwitches"))
			print_cause_human(v, "    ");
	}
}

static int status_one(sd_bus *bus, const char *id)
{
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(prop_list_done) PropList l = {};
	_cleanup_table_ Table *t = table_new();
	char p50[80], p99[80];
	const Prop *h;
	int r;

	if (!t)
		return log_oom();
	r = get_budget(bus, id, &error, &l);
	if (r < 0 && sd_bus_error_is_set(&error))
		return log_bus_error("get budget", &error, r);
	if (r < 0)
		return r;

	format_percentile(&l, 50, p50, sizeof(p50));
	format_percentile(&l, 99, p99, sizeof(p99));

	r = table_add_prop_columns(t, &l);
	if (r >= 0)
		r = table_add_column(t, "p50", NULL, TABLE_STRING, 0);
	if (r >= 0)
		r = table_add_column(t, "p99", NULL, TABLE_STRING, 0);
	if (r >= 0)
		r = table_add_prop_cells(t, &l);
	if (r >= 0)
		r = table_add_string(t, p50);
	if (r >= 0)
		r = table_add_string(t, p99);
	if (r < 0)
		return table_error(r);

	if (arg_json != JSON_OFF) {
		JsonWriter w;

		/* The table's, with the lists it has no columns for. */
		json_writer_init(&w, stdout, arg_json);
		json_write_props(&w, &l);
		json_finish(&w);
		return 0;
	}

	printf("Budget %s\n", id);
	r = table_print_record(t, 0, stdout);
	if (r < 0)
		return table_error(r);

	h = prop_find(&l, "Histogram");
	if (h && h->type == 'h' && h->n_pairs > 0) {
		Log2Hist hist;

		r = log2_hist_from_pairs(h->pairs, h->n_pairs, &hist);
		if (r < 0)
			return bus_parse_error(r);
		putchar('\n');
		log2_hist_print(&hist, stdout);
	}
	print_last_violations(prop_find(&l, "LastViolations"));
	return 0;
}

/* Adds the counters of budget @id to the status summary row. */
static int status_summary_row(Table *t, sd_bus *bus, const char *id)
{
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(prop_list_done) PropList l = {};
	char p99[80];
	int r;

	/* A budget removed since ListBudgets shows no counters. */
	r = get_budget(bus, id, &error, &l);
	if (r < 0 && !sd_bus_error_has_name(&error, TLOB_ERROR_NO_SUCH_BUDGET))
		return sd_bus_error_is_set(&error) ? log_bus_error("get budget", &error, r) : r;
	format_percentile(&l, 99, p99, sizeof(p99));

	if ((r = table_add_u64(t, prop_u64(&l, "Windows"))) < 0 ||
	    (r = table_add_u64(t, prop_u64(&l, "Violations"))) < 0 ||
	    (r = table_add_u64(t, prop_u64(&l, "MaxNSec"))) < 0 ||
	    (r = table_add_string(t, p99)) < 0)
		return table_error(r);
	return 0;
}

static int get_manager_props(sd_bus *bus, PropList *ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(bus, TLOB_BUS_NAME, TLOB_BUS_PATH,
			       "org.freedesktop.DBus.Properties", "GetAll",
			       &error, &reply, "s", TLOB_BUS_IFACE);
	if (r < 0)
		return log_bus_error("get the properties of tlob-manager", &error, r);
	r = bus_read_props(reply, ret);
	if (r < 0)
		return bus_parse_error(r);
	return 0;
}

static int status_all(sd_bus *bus)
{
	_cleanup_table_ Table *manager = table_new(), *budgets = table_new();
	_cleanup_(prop_list_done) PropList l = {};
	int r;

	if (!manager || !budgets)
		return log_oom();

	r = get_manager_props(bus, &l);
	if (r < 0)
		return r;
	r = table_add_prop_columns(manager, &l);
	if (r >= 0)
		r = table_add_prop_cells(manager, &l);
	if (r >= 0)
		r = table_add_list_columns(budgets);
	if (r >= 0)
		r = table_add_column(budgets, "WINDOWS", "windows", TABLE_U64,
				     TABLE_ALIGN_RIGHT);
	if (r >= 0)
		r = table_add_column(budgets, "VIOLATIONS", "violations", TABLE_U64,
				     TABLE_ALIGN_RIGHT);
	if (r >= 0)
		r = table_add_column(budgets, "MAX", "max_nsec", TABLE_DURATION,
				     TABLE_ALIGN_RIGHT);
	if (r >= 0)
		r = table_add_column(budgets, "P99", NULL, TABLE_STRING,
				     TABLE_ALIGN_RIGHT);
	if (r < 0)
		return table_error(r);

	r = list_budgets(bus, budgets, status_summary_row);
	if (r < 0)
		return r;

	if (arg_json != JSON_OFF) {
		JsonWriter w;

		/* the manager's properties, plus "budgets": [...] */
		json_writer_init(&w, stdout, arg_json);
		json_begin_object(&w);
		for (size_t i = 0; i < l.n; i++) {
			_cleanup_free_ char *key = prop_snake_case(l.props[i].name);

			if (!key)
				return log_oom();
			json_key(&w, key);
			json_write_prop_value(&w, &l.props[i]);
		}
		json_key(&w, "budgets");
		table_json_array(budgets, &w);
		json_end_object(&w);
		json_finish(&w);
		return 0;
	}

	r = table_print_record(manager, 0, stdout);
	if (r >= 0 && table_rows(budgets) > 0) {
		putchar('\n');
		table_set_header(budgets, arg_legend);
		r = table_print(budgets, stdout, arg_color);
	}
	if (r < 0)
		return table_error(r);
	return 0;
}

static int verb_status(int argc, char *argv[])
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	r = bus_connect(false, &bus);
	if (r < 0)
		return r;
	return argc > 1 ? status_one(bus, argv[1]) : status_all(bus);
}

/* The object of a signal of watch --json, opened, with what all have. */
static void json_begin_signal(JsonWriter *w, const char *id, const char *unit,
			      uint32_t pid, uint32_t tid)
{
	json_writer_init(w, stdout, arg_json);
	json_begin_object(w);
	json_key(w, "id");
	json_string(w, id);
	json_key(w, "unit");
	json_string(w, unit);
	json_key(w, "pid");
	json_u64(w, pid);
	json_key(w, "tid");
	json_u64(w, tid);
}

static void print_violation_json(const char *id, const char *unit, uint32_t pid,
				 uint32_t tid, const char *comm, const uint64_t ns[5],
				 const char *state, uint64_t ts)
{
	static const char *const ns_keys[5] = {
		"budget_ns", "elapsed_ns", "running_ns", "waiting_ns", "sleeping_ns",
	};
	JsonWriter w;

	json_begin_signal(&w, id, unit, pid, tid);
	json_key(&w, "comm");
	json_string(&w, comm);
	for (size_t i = 0; i < ELEMENTSOF(ns_keys); i++) {
		json_key(&w, ns_keys[i]);
		json_u64(&w, ns[i]);
	}
	json_key(&w, "state");
	json_string(&w, state);
	json_key(&w, "timestamp_usec");
	json_u64(&w, ts);
	json_end_object(&w);
	json_finish(&w);
}

static void print_violation_human(const char *id, const char *unit, uint32_t pid,
				  uint32_t tid, const char *comm, const uint64_t ns[5],
				  const char *state, uint64_t ts)
{
	char when[96], budget[TLOB_TIMESPAN_MAX], d[4][64];

	format_when(ts, when, sizeof(when));
	tlob_format_timespan(budget, sizeof(budget), ns[0], TLOB_TIMESPAN_EXACT);
	for (size_t i = 0; i < ELEMENTSOF(d); i++)
		tlob_format_timespan(d[i], sizeof(d[i]), ns[i + 1],
				     TLOB_TIMESPAN_SHORT);
	printf("%s %s: budget %s exceeded %s by %s[%" PRIu32 "/%" PRIu32
	       "], %s after %s (running %s, waiting %s, sleeping %s)\n",
	       when, isempty(unit) ? "-" : unit,
	       isempty(id) ? "-" : id, budget, comm, pid, tid, state,
	       d[0], d[1], d[2], d[3]);
}

/* Nobody reads our output any more: stop. */
static int watch_flush(sd_bus_message *m)
{
	if (fflush(stdout) != EOF)
		return 0;
	log_debug_errno(negative_errno(), "Failed to write to stdout: %m");
	return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)),
			     EXIT_FAILURE);
}

/* ViolationCause, right after its Violation: indented lines under it. */
static int on_violation_cause(sd_bus_message *m, void *userdata,
			      sd_bus_error *ret_error)
{
	_cleanup_(prop_list_done) PropList c = {};
	const char *id, *unit;
	uint32_t pid, tid;
	uint64_t ts;
	int r;

	r = sd_bus_message_read(m, "ssuut", &id, &unit, &pid, &tid, &ts);
	if (r >= 0)
		r = bus_read_props(m, &c);
	if (r < 0) {
		log_warning_errno(r, "Failed to parse a ViolationCause signal, ignoring: %m");
		return 0;
	}
	if (arg_json != JSON_OFF) {
		JsonWriter w;

		json_begin_signal(&w, id, unit, pid, tid);
		json_key(&w, "timestamp_usec");
		json_u64(&w, ts);
		json_key(&w, "cause");
		json_write_props(&w, &c);
		json_end_object(&w);
		json_finish(&w);
	} else
		print_cause_human(&c, "  ");
	return watch_flush(m);
}

static int on_violation(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *id, *unit, *comm, *state;
	uint32_t pid, tid;
	uint64_t ns[5], ts;
	int r;

	r = sd_bus_message_read(m, "ssuustttttst", &id, &unit, &pid, &tid, &comm,
				&ns[0], &ns[1], &ns[2], &ns[3], &ns[4], &state, &ts);
	if (r < 0) {
		log_warning_errno(r, "Failed to parse a Violation signal, ignoring: %m");
		return 0;
	}

	if (arg_json != JSON_OFF)
		print_violation_json(id, unit, pid, tid, comm, ns, state, ts);
	else
		print_violation_human(id, unit, pid, tid, comm, ns, state, ts);
	return watch_flush(m);
}

static int verb_watch(int argc, char *argv[])
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL, *cause_slot = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	_cleanup_free_ char *version = NULL;
	sigset_t mask;
	int r;

	r = bus_connect(false, &bus);
	if (r < 0)
		return r;

	r = sd_bus_match_signal(bus, &slot, TLOB_BUS_NAME, TLOB_BUS_PATH,
				TLOB_BUS_IFACE, "Violation", on_violation, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to subscribe to Violation signals: %m");
	r = sd_bus_match_signal(bus, &cause_slot, TLOB_BUS_NAME, TLOB_BUS_PATH,
				TLOB_BUS_IFACE, "ViolationCause", on_violation_cause,
				NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to subscribe to ViolationCause signals: %m");

	/* Start tlob-manager if needed, and fail now if it cannot run. */
	r = sd_bus_get_property_string(bus, TLOB_BUS_NAME, TLOB_BUS_PATH,
				       TLOB_BUS_IFACE, "Version", &error, &version);
	if (r < 0)
		return log_bus_error("reach tlob-manager", &error, r);

	r = sd_event_default(&event);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate the event loop: %m");
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* no handler: the signal ends the loop with exit code 0 */
	r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to watch SIGINT and SIGTERM: %m");

	r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
	/* a lost bus connection ends the loop with EXIT_FAILURE */
	r = sd_bus_set_exit_on_disconnect(bus, true);
	if (r < 0)
		return log_error_errno(r, "Failed to set exit on disconnect: %m");

	r = sd_event_loop(event);
	if (r < 0)
		return log_error_errno(r, "Failed to run the event loop: %m");
	if (r != 0)
		return log_error_errno(-ECONNRESET, "Stopped watching: %s.",
				       sd_bus_is_open(bus) > 0 ? "cannot write the output"
							       : "the bus connection was lost");
	return 0;
}

static int help(void)
{
	printf("%s [OPTIONS...] COMMAND ...\n\n"
	       "Manage latency budgets of system services (tlob-manager).\n\n"
	       "Commands:\n"
	       "  add UNIT PROBE BUDGET   Give UNIT's PROBE ([PATH:]START[..STOP]) a budget\n"
	       "                          (a time span: 500us, 20ms, \"1s 20ms\"); prints its ID\n"
	       "  remove ID               Remove a budget added with 'add'\n"
	       "  list                    List all budgets (default command)\n"
	       "  status [ID]             Show counters, max, p50/p99 and the latency\n"
	       "                          histogram of a budget, or a summary of all\n"
	       "  watch                   Print budget violations as they happen, with\n"
	       "                          their causes\n"
	       "  reload                  Re-read the TlobBudget= drop-ins of all units\n"
	       "  snapshot ID [INDEX]     Show a snapshot of budget ID (default: the\n"
	       "                          newest); with --list, list them\n\n"
	       "Options:\n"
	       "  -h --help               Show this help\n"
	       "     --version            Show the version\n"
	       "     --json=MODE          Print JSON: short or pretty (off: human output)\n"
	       "     --no-pager           Do not pipe the output into a pager\n"
	       "     --no-legend          Do not print column headers and the footer\n"
	       "  -q --quiet              Do not print add's ID; implies --no-legend\n"
	       "     --no-ask-password    Do not ask for a password for privileged calls\n"
	       "  -H --host=[USER@]HOST   Operate on a remote host (over ssh)\n"
	       "     --runtime            add: only until the next reboot\n"
	       "     --description=TEXT   add: a description of the budget\n"
	       "     --cause=BOOL         add: capture the cause of violations (default yes)\n"
	       "     --action=LIST        add: what to do on a violation (log,\n"
	       "                          signal=SIGNAME, restart[=N/TIME],\n"
	       "                          stop[=N/TIME], snapshot)\n"
	       "     --list               snapshot: list the snapshots of ID\n\n"
	       "See the tlobctl(1) man page for details.\n",
	       program_invocation_short_name);
	return 0;
}

/* > 0: run a verb; 0: done (help, version); < 0: error, logged. */
static int parse_argv(int argc, char *argv[])
{
	enum {
		ARG_VERSION = 0x100,
		ARG_JSON,
		ARG_NO_PAGER,
		ARG_NO_LEGEND,
		ARG_NO_ASK_PASSWORD,
		ARG_RUNTIME,
		ARG_DESCRIPTION,
		ARG_CAUSE,
		ARG_ACTION,
		ARG_LIST,
	};
	static const struct option options[] = {
		{ "help",	 no_argument,	    NULL, 'h' },
		{ "version",	 no_argument,	    NULL, ARG_VERSION },
		{ "json",	 required_argument, NULL, ARG_JSON },
		{ "no-pager",	 no_argument,	    NULL, ARG_NO_PAGER },
		{ "no-legend",	 no_argument,	    NULL, ARG_NO_LEGEND },
		{ "quiet",	 no_argument,	    NULL, 'q' },
		{ "no-ask-password", no_argument,   NULL, ARG_NO_ASK_PASSWORD },
		{ "host",	 required_argument, NULL, 'H' },
		{ "runtime",	 no_argument,	    NULL, ARG_RUNTIME },
		{ "description", required_argument, NULL, ARG_DESCRIPTION },
		{ "cause",	 required_argument, NULL, ARG_CAUSE },
		{ "action",	 required_argument, NULL, ARG_ACTION },
		{ "list",	 no_argument,	    NULL, ARG_LIST },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "hqH:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			return help();
		case ARG_VERSION:
			printf("tlobctl %s\n", TLOB_VERSION);
			return 0;
		case ARG_JSON:
			if (streq(optarg, "help")) {
				printf("short\npretty\noff\n");
				return 0;
			}
			if (json_format_from_string(optarg, &arg_json) < 0)
				return log_error_errno(-EINVAL, "Unknown --json= mode '%s': use short, pretty or off.",
						       optarg);
			break;
		case ARG_NO_PAGER:
			arg_pager = false;
			break;
		case ARG_NO_LEGEND:
			arg_legend = false;
			break;
		case 'q':
			arg_quiet = true;
			arg_legend = false;
			break;
		case ARG_NO_ASK_PASSWORD:
			arg_ask_password = false;
			break;
		case 'H':
			if (isempty(optarg))
				return log_error_errno(-EINVAL, "--host= needs [USER@]HOST.");
			arg_host = optarg;
			break;
		case ARG_RUNTIME:
			arg_runtime = true;
			break;
		case ARG_DESCRIPTION:
			arg_description = optarg;
			break;
		case ARG_CAUSE:
			arg_cause = tlob_parse_boolean(optarg);
			if (arg_cause < 0)
				return log_error_errno(-EINVAL, "--cause= takes yes or no, not '%s'.",
						       optarg);
			break;
		case ARG_ACTION: {
			TlobActions a = {};
			TlobActionError e;
			char *j;

			/* Checked here for a message at once; the manager checks again. */
			if (tlob_actions_parse(optarg, &a, &e) < 0)
				return log_error_errno(-EINVAL, "Invalid action \"%s\" in --action=: %s.",
						       e.item, e.why);
			/* Several --action= add up, as TlobAction= lines do. */
			if (asprintf(&j, "%s%s%s", strempty(arg_action),
				     arg_action ? " " : "", optarg) < 0)
				return log_oom();
			free(arg_action);
			arg_action = j;
			break;
		}
		case ARG_LIST:
			arg_list = true;
			break;
		case '?':
			/* getopt_long() printed what was wrong */
			return -EINVAL;
		default:
			return log_error_errno(-EINVAL, "Unhandled option %c.", c);
		}
	}
	return 1;
}

typedef struct Verb {
	const char *name;
	unsigned min_args, max_args;	/* counting the verb itself */
	const char *usage;
	bool pager;
	int (*dispatch)(int argc, char *argv[]);
} Verb;

static const Verb verbs[] = {
	{ "add",    4, 4, "UNIT PROBE BUDGET", false, verb_add },
	{ "remove", 2, 2, "ID",                false, verb_remove },
	{ "list",   1, 1, "",                  true,  verb_list },
	{ "status", 1, 2, "[ID]",              true,  verb_status },
	{ "watch",  1, 1, "",                  false, verb_watch },
	{ "reload", 1, 1, "",                  false, verb_reload },
	/* Its own pager: not before polkit may have asked for a password. */
	{ "snapshot", 2, 3, "ID [INDEX]",      false, verb_snapshot },
};

static int dispatch_verb(int argc, char *argv[])
{
	static char *default_argv[] = { (char *)"list", NULL };
	const Verb *v = NULL;

	if (argc == 0) {
		argc = 1;
		argv = default_argv;
	}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (streq(verbs[i].name, argv[0]))
			v = &verbs[i];
	if (!v)
		return log_error_errno(-EINVAL, "Unknown command '%s'; see %s --help.",
				       argv[0], program_invocation_short_name);
	if ((unsigned)argc < v->min_args || (unsigned)argc > v->max_args)
		return log_error_errno(-EINVAL, "Usage: %s %s%s%s",
				       program_invocation_short_name, v->name,
				       isempty(v->usage) ? "" : " ", v->usage);
	if ((arg_runtime || arg_description || arg_action) && !streq(v->name, "add"))
		return log_error_errno(-EINVAL, "--runtime, --description= and --action= only apply to 'add'.");
	if (arg_list && !streq(v->name, "snapshot"))
		return log_error_errno(-EINVAL, "--list only applies to 'snapshot'.");

	if (v->pager && arg_pager)
		pager_open();
	return v->dispatch(argc, argv);
}

int main(int argc, char *argv[])
{
	int r;

	log_setup();
	/* org.tlob.Error.* as errno values, not EIO for every one. */
	r = tlob_bus_errors_register();
	if (r < 0) {
		log_error_errno(r, "Failed to register the D-Bus error map: %m");
		return EXIT_FAILURE;
	}
	arg_color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
		    !streq_ptr(getenv("TERM"), "dumb") &&
		    !streq_ptr(getenv("SYSTEMD_COLORS"), "0");

	r = parse_argv(argc, argv);
	if (r > 0)
		r = dispatch_verb(argc - optind, argv + optind);

	if (fflush(stdout) == EOF && errno != EPIPE && r >= 0)
		r = log_error_errno(negative_errno(), "Failed to write the output: %m");
	polkit_agent_close();
	pager_close();
	free(arg_action);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
