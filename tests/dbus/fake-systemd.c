// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake-systemd: the part of systemd's D-Bus API tlob-manager uses, on a
 * private bus, for the D-Bus tests.
 *
 *   fake-systemd FIFO CGROUP_ROOT [POLKIT_ANSWER_FILE]
 *
 * Owns org.freedesktop.systemd1; Manager methods Subscribe, LoadUnit,
 * GetUnit, ListUnitsByPatterns and Reload (logged as "call Reload", then
 * Reloading), RestartUnit and StopUnit (logged as "call RestartUnit NAME
 * MODE", then done as the FIFO's restart and stop, answered with a job
 * path; a unit that is not there fails with NoSuchUnit); signals
 * JobRemoved, UnitNew, UnitRemoved, Reloading; per unit the properties
 * Id, ActiveState, SubState, LoadState (org.freedesktop.systemd1.Unit)
 * and ControlGroup, Slice, ExecStart (...Service). Units are made and
 * driven by lines written to FIFO:
 *   unit NAME EXEC [SLICE]
 *                      a loaded, inactive service whose ExecStart= is EXEC,
 *                      in SLICE (default: system.slice, for an instance
 *                      system-PREFIX.slice); NAME may be a template
 *                      ("web@.service"): its instances are made as they
 *                      are loaded or started, and a template cannot be
 *                      loaded itself (as in systemd)
 *   start NAME         active, in control group /SLICE-PATH/NAME, made
 *                      as a directory under CGROUP_ROOT (a fresh inode on
 *                      every start, as a real cgroup; the slice's directory
 *                      too, removed with its last unit); UnitNew if it was
 *                      not loaded
 *   stop NAME          inactive, no control group
 *   restart NAME       stop + start
 *   crash NAME         failed, with PropertiesChanged but no job
 *   reload             Reloading(true), then Reloading(false)
 *   reload-delay MS    answer Reload() calls MS milliseconds late
 *   call-delay MS      answer LoadUnit, GetUnit and ListUnitsByPatterns
 *                      MS milliseconds late (a PID 1 busy reloading)
 * Every state change emits PropertiesChanged on the unit; start, stop and
 * restart also emit JobRemoved. As in systemd, a unit that does not run is
 * unloaded ("garbage-collected"): GetUnit fails with NoSuchUnit, and
 * LoadUnit loads it, emitting UnitNew, and unloads it again (UnitRemoved).
 * Each GetUnit and LoadUnit call is logged to stderr as "call METHOD NAME",
 * so tests can see a storm of queries.
 *
 * With POLKIT_ANSWER_FILE it also owns org.freedesktop.PolicyKit1 and
 * answers CheckAuthorization from the first word of that file: "yes",
 * "no", "challenge", or anything else (or no file) for an error, as if
 * polkit failed. Each request is appended to POLKIT_ANSWER_FILE.log as
 * "ACTION FLAGS SUBJECT_KIND SUBJECT_NAME".
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "bus-dict.h"
#include "macro.h"

#define UNIT_PREFIX "/org/freedesktop/systemd1/unit"

typedef struct FakeUnit {
	char *name;
	char *exec;		/* NULL: LoadState=not-found */
	char *slice;
	const char *active_state;
	char *cgroup;		/* "" when stopped */
} FakeUnit;

static FakeUnit units[512];
static size_t n_units;
static const char *cgroup_root;
static sd_bus *bus;
static uint32_t job_id = 100;
static char fifo_buf[4096];
static size_t fifo_len;

static FakeUnit *find_unit(const char *name)
{
	for (size_t i = 0; i < n_units; i++)
		if (streq(units[i].name, name))
			return &units[i];
	return NULL;
}

static bool is_template(const char *name)
{
	const char *at = strchr(name, '@');

	return at && at[1] == '.';
}

static FakeUnit *add_unit(const char *name, const char *exec, const char *slice)
{
	FakeUnit *u = find_unit(name);
	const char *at = strchr(name, '@');

	if (!u) {
		if (n_units >= ELEMENTSOF(units))
			return NULL;
		u = &units[n_units++];
		u->name = strdup(name);
		u->cgroup = strdup("");
		u->active_state = "inactive";
	}
	free(u->exec);
	u->exec = exec ? strdup(exec) : NULL;
	free(u->slice);
	if (slice)
		u->slice = strdup(slice);
	else if (at && asprintf(&u->slice, "system-%.*s.slice",
				(int)(at - name), name) < 0)
		u->slice = NULL;
	else if (!at)
		u->slice = strdup("system.slice");
	return u;
}

/* @name, or an instance made from its template; NULL if neither exists. */
static FakeUnit *find_or_instantiate(const char *name)
{
	FakeUnit *u = find_unit(name), *t;
	const char *at = strchr(name, '@'), *dot = strrchr(name, '.');
	char tname[256];

	if (u || !at || !dot || at + 1 == dot)
		return u;
	snprintf(tname, sizeof(tname), "%.*s@%s", (int)(at - name), name, dot);
	t = find_unit(tname);
	if (!t)
		return NULL;
	return add_unit(name, t->exec, t->slice);
}

static char *unit_path(const FakeUnit *u)
{
	char *p = NULL;

	(void)sd_bus_path_encode(UNIT_PREFIX, u->name, &p);
	return p;
}

static int find_object(sd_bus *b, const char *path, const char *interface,
		       void *userdata, void **found, sd_bus_error *error)
{
	_cleanup_free_ char *name = NULL;
	FakeUnit *u;

	if (sd_bus_path_decode(path, UNIT_PREFIX, &name) <= 0)
		return 0;
	u = find_unit(name);
	if (!u)
		return 0;
	*found = u;
	return 1;
}

static int prop_id(sd_bus *b, const char *path, const char *interface,
		   const char *property, sd_bus_message *reply,
		   void *userdata, sd_bus_error *error)
{
	FakeUnit *u = userdata;

	if (streq(property, "Id"))
		return sd_bus_message_append(reply, "s", u->name);
	if (streq(property, "ActiveState"))
		return sd_bus_message_append(reply, "s", u->active_state);
	if (streq(property, "SubState"))
		return sd_bus_message_append(reply, "s",
					     streq(u->active_state, "active") ?
					     "running" : "dead");
	if (streq(property, "LoadState"))
		return sd_bus_message_append(reply, "s",
					     u->exec ? "loaded" : "not-found");
	if (streq(property, "Slice"))
		return sd_bus_message_append(reply, "s", strempty(u->slice));
	return sd_bus_message_append(reply, "s", u->cgroup);
}

static int prop_exec_start(sd_bus *b, const char *path, const char *interface,
			   const char *property, sd_bus_message *reply,
			   void *userdata, sd_bus_error *error)
{
	FakeUnit *u = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(sasbttttuii)");
	if (r < 0)
		return r;
	if (u->exec) {
		r = sd_bus_message_append(reply, "(sasbttttuii)", u->exec, 1,
					  u->exec, 0, 0ULL, 0ULL, 0ULL, 0ULL,
					  0U, 0, 0);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable unit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "s", prop_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("ActiveState", "s", prop_id, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("SubState", "s", prop_id, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LoadState", "s", prop_id, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable service_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("ControlGroup", "s", prop_id, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Slice", "s", prop_id, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("ExecStart", "a(sasbttttuii)", prop_exec_start, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
	SD_BUS_VTABLE_END,
};

static int reply_unit_path(sd_bus_message *msg, FakeUnit *u)
{
	_cleanup_free_ char *p = unit_path(u);

	if (!p)
		return -ENOMEM;
	return sd_bus_reply_method_return(msg, "o", p);
}

static bool unit_runs(const FakeUnit *u)
{
	return streq(u->active_state, "active");
}

/* "call-delay": methods answered late, by a timer. */
static uint64_t call_delay_usec;
static bool answering_late;

typedef int (*method_fn)(sd_bus_message *msg, void *userdata,
			 sd_bus_error *error);

typedef struct LateCall {
	sd_bus_message *msg;
	method_fn fn;
} LateCall;

static int on_late_call(sd_event_source *s, uint64_t usec, void *userdata)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	LateCall *c = userdata;
	int r;

	answering_late = true;
	r = c->fn(c->msg, NULL, &e);
	answering_late = false;
	if (r < 0 && sd_bus_error_is_set(&e))
		(void)sd_bus_reply_method_error(c->msg, &e);
	else if (r < 0)
		(void)sd_bus_reply_method_errno(c->msg, r, NULL);
	sd_bus_error_free(&e);
	sd_bus_message_unref(c->msg);
	free(c);
	sd_event_source_unref(s);
	return 0;
}

/* With a call delay: have @fn answer @msg later; 1 if so. */
static int answer_late(sd_bus_message *msg, method_fn fn)
{
	sd_event *event = sd_bus_get_event(bus);
	LateCall *c;
	uint64_t now;
	int r;

	if (call_delay_usec == 0 || answering_late)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->msg = sd_bus_message_ref(msg);
	c->fn = fn;
	r = sd_event_now(event, CLOCK_MONOTONIC, &now);
	if (r >= 0)
		r = sd_event_add_time(event, NULL, CLOCK_MONOTONIC,
				      now + call_delay_usec, 0, on_late_call, c);
	if (r < 0) {
		sd_bus_message_unref(c->msg);
		free(c);
		return r;
	}
	return 1;
}

static int method_load_unit(sd_bus_message *msg, void *userdata,
			    sd_bus_error *error)
{
	_cleanup_free_ char *p = NULL;
	const char *name;
	FakeUnit *u;
	int r;

	r = answer_late(msg, method_load_unit);
	if (r != 0)
		return r;
	r = sd_bus_message_read(msg, "s", &name);
	if (r < 0)
		return r;
	fprintf(stderr, "call LoadUnit %s\n", name);
	if (is_template(name))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unit name %s is missing the instance name.",
					 name);
	u = find_or_instantiate(name);
	if (!u)
		u = add_unit(name, NULL, NULL);	/* systemd: LoadState=not-found */
	if (!u)
		return -ENOMEM;
	r = reply_unit_path(msg, u);
	if (r < 0 || unit_runs(u))
		return r;
	/* Loaded for the caller, then garbage-collected. */
	p = unit_path(u);
	if (p) {
		(void)sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
					 "org.freedesktop.systemd1.Manager",
					 "UnitNew", "so", name, p);
		(void)sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
					 "org.freedesktop.systemd1.Manager",
					 "UnitRemoved", "so", name, p);
	}
	return r;
}

static int method_get_unit(sd_bus_message *msg, void *userdata,
			   sd_bus_error *error)
{
	const char *name;
	FakeUnit *u;
	int r;

	r = answer_late(msg, method_get_unit);
	if (r != 0)
		return r;
	r = sd_bus_message_read(msg, "s", &name);
	if (r < 0)
		return r;
	fprintf(stderr, "call GetUnit %s\n", name);
	u = find_unit(name);
	/* Only running units stay loaded. */
	if (!u || !unit_runs(u))
		return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit",
					 "Unit %s not loaded.", name);
	return reply_unit_path(msg, u);
}

static int method_subscribe(sd_bus_message *msg, void *userdata,
			    sd_bus_error *error)
{
	return sd_bus_reply_method_return(msg, NULL);
}

static void emit_reloading(void)
{
	(void)sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
				 "org.freedesktop.systemd1.Manager",
				 "Reloading", "b", 1);
	(void)sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
				 "org.freedesktop.systemd1.Manager",
				 "Reloading", "b", 0);
}

static uint64_t reload_delay_usec;

static int on_reload_done(sd_event_source *s, uint64_t usec, void *userdata)
{
	sd_bus_message *msg = userdata;

	emit_reloading();
	(void)sd_bus_reply_method_return(msg, NULL);
	sd_bus_message_unref(msg);
	return 0;
}

static int method_reload(sd_bus_message *msg, void *userdata,
			 sd_bus_error *error)
{
	uint64_t now;
	int r;

	fprintf(stderr, "call Reload\n");
	if (reload_delay_usec == 0) {
		emit_reloading();
		return sd_bus_reply_method_return(msg, NULL);
	}
	/* A slow reload: answer later, as systemd does once it is done. */
	r = sd_event_now(sd_bus_get_event(bus), CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_add_time(sd_bus_get_event(bus), NULL, CLOCK_MONOTONIC,
			      now + reload_delay_usec, 0, on_reload_done,
			      sd_bus_message_ref(msg));
	return r < 0 ? r : 1;
}


static void emit_unit_new(FakeUnit *u)
{
	_cleanup_free_ char *p = unit_path(u);

	if (p)
		(void)sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
					 "org.freedesktop.systemd1.Manager",
					 "UnitNew", "so", u->name, p);
}

static int method_list_units_by_patterns(sd_bus_message *msg, void *userdata,
					 sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	char **states = NULL, **patterns = NULL;
	int r;

	r = answer_late(msg, method_list_units_by_patterns);
	if (r != 0)
		return r;
	r = sd_bus_message_read_strv(msg, &states);
	if (r >= 0)
		r = sd_bus_message_read_strv(msg, &patterns);
	if (r >= 0)
		r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
	fprintf(stderr, "call ListUnitsByPatterns\n");
	/* Loaded units, that is running ones here. */
	for (size_t i = 0; r >= 0 && i < n_units; i++) {
		_cleanup_free_ char *p = NULL;
		bool match = false;

		for (char **g = patterns; g && *g && !match; g++)
			match = fnmatch(*g, units[i].name, 0) == 0;
		if (!match || !unit_runs(&units[i]))
			continue;
		p = unit_path(&units[i]);
		r = sd_bus_message_append(reply, "(ssssssouso)", units[i].name,
					  "", "loaded", units[i].active_state,
					  "running", "", p ?: "/", 0U, "", "/");
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	for (char **g = states; g && *g; g++)
		free(*g);
	for (char **g = patterns; g && *g; g++)
		free(*g);
	free(states);
	free(patterns);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_restart_stop_unit(sd_bus_message *msg, void *userdata,
				    sd_bus_error *error);

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Subscribe", "", "", method_subscribe,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("LoadUnit", "s", "o", method_load_unit,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("GetUnit", "s", "o", method_get_unit,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Reload", "", "", method_reload,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("ListUnitsByPatterns", "asas", "a(ssssssouso)",
		      method_list_units_by_patterns, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("RestartUnit", "ss", "o", method_restart_stop_unit,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("StopUnit", "ss", "o", method_restart_stop_unit,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
	SD_BUS_SIGNAL("UnitNew", "so", 0),
	SD_BUS_SIGNAL("UnitRemoved", "so", 0),
	SD_BUS_SIGNAL("Reloading", "b", 0),
	SD_BUS_VTABLE_END,
};

static void changed(FakeUnit *u, bool job)
{
	_cleanup_free_ char *p = unit_path(u);
	char jobpath[64];

	if (!p)
		return;
	(void)sd_bus_emit_properties_changed(bus, p, "org.freedesktop.systemd1.Unit",
					     "ActiveState", "SubState", NULL);
	(void)sd_bus_emit_properties_changed(bus, p, "org.freedesktop.systemd1.Service",
					     "ControlGroup", NULL);
	if (!job)
		return;
	snprintf(jobpath, sizeof(jobpath), "/org/freedesktop/systemd1/job/%u",
		 ++job_id);
	(void)sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
				 "org.freedesktop.systemd1.Manager",
				 "JobRemoved", "uoss", job_id, jobpath,
				 u->name, "done");
}

/* "/system.slice" or "/system.slice/system-web.slice": enough here. */
static char *slice_path(const char *slice)
{
	char *p;

	if (streq(slice, "system.slice") || !startswith(slice, "system-"))
		return asprintf(&p, "/%s", slice) < 0 ? NULL : p;
	return asprintf(&p, "/system.slice/%s", slice) < 0 ? NULL : p;
}

static void unit_stop(FakeUnit *u)
{
	_cleanup_free_ char *dir = NULL, *sdir = NULL, *sp = slice_path(u->slice);

	if (*u->cgroup && asprintf(&dir, "%s%s", cgroup_root, u->cgroup) > 0)
		(void)rmdir(dir);
	/* A slice other than system.slice goes with its last unit. */
	if (sp && !streq(u->slice, "system.slice") &&
	    asprintf(&sdir, "%s%s", cgroup_root, sp) > 0)
		(void)rmdir(sdir);
	free(u->cgroup);
	u->cgroup = strdup("");
	u->active_state = "inactive";
}

static void unit_start(FakeUnit *u)
{
	_cleanup_free_ char *sp = slice_path(u->slice), *dir = NULL, *tmp = NULL;
	_cleanup_free_ char *top = NULL, *slice = NULL;

	if (!sp || asprintf(&top, "%s/system.slice", cgroup_root) < 0 ||
	    asprintf(&slice, "%s%s", cgroup_root, sp) < 0 ||
	    asprintf(&dir, "%s/%s", slice, u->name) < 0 ||
	    asprintf(&tmp, "%s.new", dir) < 0)
		return;
	(void)mkdir(top, 0755);
	(void)mkdir(slice, 0755);
	/* Make the new directory before the old one goes: a new inode. */
	(void)mkdir(tmp, 0755);
	(void)rmdir(dir);
	if (rename(tmp, dir) < 0)
		fprintf(stderr, "fake-systemd: rename %s: %m\n", tmp);
	free(u->cgroup);
	if (asprintf(&u->cgroup, "%s/%s", sp, u->name) < 0)
		u->cgroup = NULL;
	u->active_state = "active";
}

static void handle_line(char *line)
{
	char *cmd = strtok(line, " "), *name = strtok(NULL, " ");
	char *arg = strtok(NULL, " ");
	FakeUnit *u;

	if (!cmd)
		return;
	if (streq(cmd, "reload")) {
		emit_reloading();
		return;
	}
	if (streq(cmd, "reload-delay") && name) {
		reload_delay_usec = strtoull(name, NULL, 10) * 1000;
		return;
	}
	if (streq(cmd, "call-delay") && name) {
		call_delay_usec = strtoull(name, NULL, 10) * 1000;
		return;
	}
	if (!name) {
		fprintf(stderr, "fake-systemd: bad line\n");
		return;
	}
	if (streq(cmd, "unit") && arg) {
		_cleanup_free_ char *p = NULL;

		u = add_unit(name, arg, strtok(NULL, " "));
		p = u && !is_template(name) ? unit_path(u) : NULL;
		if (p)
			(void)sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
						 "org.freedesktop.systemd1.Manager",
						 "UnitNew", "so", name, p);
		return;
	}
	u = find_or_instantiate(name);
	if (!u || is_template(name)) {
		fprintf(stderr, "fake-systemd: no unit %s\n", name);
		return;
	}
	if (streq(cmd, "start")) {
		bool was_loaded = unit_runs(u);

		unit_start(u);
		/* systemd loads a unit to start it: UnitNew. */
		if (!was_loaded)
			emit_unit_new(u);
		changed(u, true);
	} else if (streq(cmd, "stop")) {
		unit_stop(u);
		changed(u, true);
	} else if (streq(cmd, "restart")) {
		/* unit_start() replaces the directory: a new inode. */
		unit_start(u);
		changed(u, true);
	} else if (streq(cmd, "crash")) {
		unit_stop(u);
		u->active_state = "failed";
		changed(u, false);
	} else
		fprintf(stderr, "fake-systemd: bad command %s\n", cmd);
}

/* RestartUnit and StopUnit: at once, whatever the mode. */
static int method_restart_stop_unit(sd_bus_message *msg, void *userdata,
				    sd_bus_error *error)
{
	bool restart = streq(sd_bus_message_get_member(msg), "RestartUnit");
	const char *name, *mode;
	char job[64];
	FakeUnit *u;
	int r;

	r = sd_bus_message_read(msg, "ss", &name, &mode);
	if (r < 0)
		return r;
	fprintf(stderr, "call %s %s %s\n", sd_bus_message_get_member(msg),
		name, mode);
	u = is_template(name) ? NULL : find_or_instantiate(name);
	if (!u || !u->exec)
		return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit",
					 "Unit %s not found.", name);
	if (restart)
		unit_start(u);
	else
		unit_stop(u);
	changed(u, true);
	snprintf(job, sizeof(job), "/org/freedesktop/systemd1/job/%u", job_id);
	return sd_bus_reply_method_return(msg, "o", job);
}

static int on_fifo(sd_event_source *s, int fd, uint32_t revents,
		   void *userdata)
{
	ssize_t n;
	char *nl;

	n = read(fd, fifo_buf + fifo_len, sizeof(fifo_buf) - fifo_len - 1);
	if (n <= 0)
		return 0;
	fifo_len += (size_t)n;
	fifo_buf[fifo_len] = 0;
	while ((nl = strchr(fifo_buf, '\n'))) {
		*nl = 0;
		handle_line(fifo_buf);
		fifo_len -= (size_t)(nl + 1 - fifo_buf);
		memmove(fifo_buf, nl + 1, fifo_len + 1);
	}
	if (fifo_len == sizeof(fifo_buf) - 1)
		fifo_len = 0;
	return 0;
}

static const char *polkit_answer_file;

static int subject_detail(sd_bus_message *msg, const char *key, void *userdata)
{
	if (!streq(key, "name"))
		return 0;
	return sd_bus_message_read(msg, "v", "s", (const char **)userdata);
}

static int method_check_authorization(sd_bus_message *msg, void *userdata,
				      sd_bus_error *error)
{
	_cleanup_free_ char *log_path = NULL;
	const char *kind, *name = "", *action;
	char answer[32] = "";
	uint32_t flags;
	FILE *f;
	int r;

	r = sd_bus_message_enter_container(msg, 'r', "sa{sv}");
	if (r < 0)
		return r;
	r = sd_bus_message_read(msg, "s", &kind);
	if (r < 0)
		return r;
	r = bus_read_dict(msg, subject_detail, &name);
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(msg);
	if (r < 0)
		return r;
	r = sd_bus_message_read(msg, "s", &action);
	if (r < 0)
		return r;
	r = sd_bus_message_skip(msg, "a{ss}");
	if (r < 0)
		return r;
	r = sd_bus_message_read(msg, "u", &flags);
	if (r < 0)
		return r;

	if (asprintf(&log_path, "%s.log", polkit_answer_file) > 0) {
		f = fopen(log_path, "ae");
		if (f) {
			fprintf(f, "%s %u %s %s\n", action, flags, kind, name);
			fclose(f);
		}
	}
	f = fopen(polkit_answer_file, "re");
	if (f) {
		if (fscanf(f, "%31s", answer) != 1)
			answer[0] = 0;
		fclose(f);
	}
	if (streq(answer, "yes") || streq(answer, "no") ||
	    streq(answer, "challenge"))
		return sd_bus_reply_method_return(msg, "(bba{ss})",
						  (int)streq(answer, "yes"),
						  (int)streq(answer, "challenge"),
						  0);
	return sd_bus_error_set(error, "org.freedesktop.PolicyKit1.Error.Failed",
				"fake polkit told to fail");
}

static const sd_bus_vtable polkit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})",
		      method_check_authorization, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

int main(int argc, char *argv[])
{
	sd_event *event = NULL;
	int fd, r;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "Usage: %s FIFO CGROUP_ROOT [POLKIT_ANSWER_FILE]\n",
			argv[0]);
		return EXIT_FAILURE;
	}
	cgroup_root = argv[2];
	polkit_answer_file = argc == 4 ? argv[3] : NULL;
	fd = open(argv[1], O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fake-systemd: %s: %m\n", argv[1]);
		return EXIT_FAILURE;
	}
	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
					     "org.freedesktop.systemd1.Manager",
					     manager_vtable, NULL);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(bus, NULL, UNIT_PREFIX,
					       "org.freedesktop.systemd1.Unit",
					       unit_vtable, find_object, NULL);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(bus, NULL, UNIT_PREFIX,
					       "org.freedesktop.systemd1.Service",
					       service_vtable, find_object, NULL);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, 0);
	if (r >= 0)
		r = sd_event_add_io(event, NULL, fd, EPOLLIN, on_fifo, NULL);
	if (r >= 0 && polkit_answer_file)
		r = sd_bus_add_object_vtable(bus, NULL,
					     "/org/freedesktop/PolicyKit1/Authority",
					     "org.freedesktop.PolicyKit1.Authority",
					     polkit_vtable, NULL);
	if (r >= 0 && polkit_answer_file)
		r = sd_bus_request_name(bus, "org.freedesktop.PolicyKit1", 0);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
	if (r < 0) {
		fprintf(stderr, "fake-systemd: setup failed: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	r = sd_event_loop(event);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
