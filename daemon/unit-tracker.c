// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The unit tracker: follows systemd over D-Bus for every unit that has
 * budgets. For each it knows whether it runs, its control group or the
 * slice it goes to (and so the cgroup path its bindings carry) and its
 * main executable (the first ExecStart= command). It does not poll: after Subscribe(), systemd's
 * JobRemoved and PropertiesChanged signals trigger a refresh of the unit
 * concerned, and Reloading(false) a re-read of the drop-ins.
 *
 * Every call to systemd is asynchronous: PID 1 may take its time (up to
 * the bus timeout during a daemon-reload), and the event loop must go on
 * serving the bus and the kernel meanwhile. A query (UnitQuery) is a
 * chain of calls: GetUnit (or LoadUnit), then GetAll of
 * org.freedesktop.systemd1.Unit and of the unit type's interface. A
 * refresh of a unit is such a query, one per unit at a time: a refresh
 * asked for while one runs follows it (the answer under way may predate
 * what prompted the new one), so a burst of signals and reloads costs
 * PID 1 two queries of a unit, not one each (a call we stop waiting for
 * still runs in PID 1). At most REFRESH_MAX units are refreshed at a
 * time, the others wait their turn: dbus-daemon allows a connection only
 * 128 pending calls on the system bus, and a reload may query every unit
 * at once. Refreshes on signals use GetUnit, not LoadUnit: a unit that is
 * not loaded does not run, and loading a unit nobody uses only makes
 * systemd unload it again (UnitNew, UnitRemoved), which must not turn
 * into a loop of queries. LoadUnit is for AddBudget, which must know whether the unit exists at
 * all, and for reloads: a budget is bound before its unit starts, so the
 * executable and slice of a unit that does not run must be known; systemd
 * loads it to answer and unloads it later, and a reload is not repeated
 * for that. UnitNew is not followed for the same reason; a unit that gets
 * loaded to start sends JobRemoved and PropertiesChanged on its object
 * path, which is known in advance. The one exception: UnitNew of a unit
 * we do not track yet that a drop-in of a prefix or type applies to
 * (a-.service.d for a-b.service) makes us re-read the drop-ins, which
 * then tracks it. Instances of templates are not tracked at all: a
 * template's budget is bound once, to the slice all its instances run in
 * (unit-cgroup.h), and a record tells its instance by its cgroup.
 */
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <systemd/sd-login.h>

#include "bus-dict.h"
#include "dropin.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "rcstr.h"
#include "strv.h"
#include "unit-cgroup.h"
#include "unit-tracker.h"

#define SD_DEST		"org.freedesktop.systemd1"
#define SD_PATH		"/org/freedesktop/systemd1"
#define SD_MANAGER	"org.freedesktop.systemd1.Manager"
#define SD_UNIT		"org.freedesktop.systemd1.Unit"
#define DBUS_PROPS	"org.freedesktop.DBus.Properties"

/*
 * Units refreshed at the same time (see above), at most. A PID 1 that
 * answers slowly answers the last of them late: each query waits for all
 * those before it. So a timeout halves the number allowed (down to one),
 * and each answer in time adds one again, as TCP does with its window.
 */
#define REFRESH_MAX 32

static unsigned refresh_window(Manager *m)
{
	if (m->refresh_window == 0)
		m->refresh_window = REFRESH_MAX;
	return m->refresh_window;
}

/*
 * Queries of a unit that may time out in a row before it is taken as
 * inactive: PID 1 busy with a daemon-reload or with hundreds of queries
 * (slow under emulation) answers late but does answer, and a unit taken
 * as inactive on a timeout would stay so until its next job.
 */
#define REFRESH_TIMEOUTS_MAX 5

bool bus_error_systemd_absent(const sd_bus_error *e)
{
	return e && sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
					   SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

/* --- queries ------------------------------------------------------------- */

struct UnitQuery {
	Manager *manager;
	char *name;
	bool load;			/* LoadUnit, not GetUnit */
	uint64_t timeout_usec;		/* of each call, 0: sd-bus's */
	sd_bus_slot *slot;		/* the call in flight */
	UnitState state;
	unit_query_handler_t handler;
	void *userdata;
};

static void unit_state_done(UnitState *s)
{
	s->object_path = mfree(s->object_path);
	s->control_group = mfree(s->control_group);
	s->slice = mfree(s->slice);
	s->exec_path = mfree(s->exec_path);
}

UnitQuery *unit_query_free(UnitQuery *q)
{
	if (!q)
		return NULL;
	sd_bus_slot_unref(q->slot);
	unit_state_done(&q->state);
	free(q->name);
	return mfree(q);
}

/* The query is over: hand it to its owner (who frees it). */
static void query_done(UnitQuery *q, int r, const sd_bus_error *e)
{
	q->slot = sd_bus_slot_unref(q->slot);
	q->handler(q, r, &q->state, e, q->userdata);
}

/* A failed reply: NoSuchUnit is -ENOENT, the rest the error's errno. */
static bool query_failed(UnitQuery *q, sd_bus_message *reply)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);

	if (!e)
		return false;
	if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
		query_done(q, -ENOENT, e);
	else
		query_done(q, -(sd_bus_error_get_errno(e) ?: EIO), e);
	return true;
}

/* "org.freedesktop.systemd1.Service" for "foo.service". */
static char *type_interface(const char *unit)
{
	const char *dot = strrchr(unit, '.');
	char *s;

	if (!dot || asprintf(&s, "org.freedesktop.systemd1.%c%s",
			     toupper((unsigned char)dot[1]), dot + 2) < 0)
		return NULL;
	return s;
}

static bool active_state_runs(const char *s)
{
	return streq(s, "active") || streq(s, "reloading") ||
	       streq(s, "activating") || streq(s, "deactivating");
}

/* GetAll() of the Unit interface: ActiveState, LoadState. */
static int unit_prop(sd_bus_message *reply, const char *key, void *userdata)
{
	UnitState *st = userdata;
	const char *v;
	int r;

	if (!streq(key, "ActiveState") && !streq(key, "LoadState"))
		return 0;
	r = sd_bus_message_read(reply, "v", "s", &v);
	if (r < 0)
		return r;
	if (streq(key, "ActiveState"))
		st->active = active_state_runs(v);
	else
		st->found = !streq(v, "not-found");
	return 1;
}

/* First path of ExecStart=, a(sasbttttuii). */
static int read_exec_start(sd_bus_message *reply, char **ret)
{
	const char *path;
	int r;

	r = sd_bus_message_enter_container(reply, 'v', "a(sasbttttuii)");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(sasbttttuii)");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'r', "sasbttttuii");
	if (r < 0)
		return r;
	if (r > 0) {
		r = sd_bus_message_read(reply, "s", &path);
		if (r < 0)
			return r;
		free(*ret);
		*ret = strdup(path);
		if (!*ret)
			return -ENOMEM;
		r = sd_bus_message_skip(reply, "asbttttuii");
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	/* Leave the remaining commands unread. */
	r = sd_bus_message_exit_container(reply);
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

/* GetAll() of the type interface: ControlGroup, Slice, ExecStart. */
static int type_prop(sd_bus_message *reply, const char *key, void *userdata)
{
	UnitState *st = userdata;
	const char *v;
	char **to;
	int r;

	if (streq(key, "ExecStart"))
		return read_exec_start(reply, &st->exec_path) ?: 1;
	if (streq(key, "ControlGroup"))
		to = &st->control_group;
	else if (streq(key, "Slice"))
		to = &st->slice;
	else
		return 0;
	r = sd_bus_message_read(reply, "v", "s", &v);
	if (r < 0)
		return r;
	free(*to);
	*to = strdup(v);
	return *to ? 1 : -ENOMEM;
}

static int on_type_props(sd_bus_message *reply, void *userdata,
			 sd_bus_error *ret_error)
{
	UnitQuery *q = userdata;
	int r;

	if (query_failed(q, reply))
		return 0;
	r = bus_read_dict(reply, type_prop, &q->state);
	query_done(q, r < 0 ? r : 0, NULL);
	return 0;
}

/* @member(@arg) of @iface at @path, answered to @handler within q's timeout. */
static int query_call(UnitQuery *q, const char *path, const char *iface,
		      const char *member, const char *arg,
		      sd_bus_message_handler_t handler, sd_bus_slot **ret_slot)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	int r;

	r = sd_bus_message_new_method_call(q->manager->bus, &call, SD_DEST,
					   path, iface, member);
	if (r < 0)
		return r;
	r = sd_bus_message_append(call, "s", arg);
	if (r < 0)
		return r;
	return sd_bus_call_async(q->manager->bus, ret_slot, call, handler, q,
				 q->timeout_usec);
}

/*
 * The next call of the chain: GetAll(@iface) of the unit, answered to
 * @handler; unless @r says the previous step failed, then that is the end.
 */
static int query_next(UnitQuery *q, int r, const char *iface,
		      sd_bus_message_handler_t handler)
{
	sd_bus_slot *slot = NULL;

	if (r >= 0 && !iface)
		r = -ENOMEM;
	if (r >= 0)
		r = query_call(q, q->state.object_path, DBUS_PROPS, "GetAll",
			       iface, handler, &slot);
	if (r < 0) {
		query_done(q, r, NULL);
		return 0;
	}
	sd_bus_slot_unref(q->slot);
	q->slot = slot;
	return 0;
}

static int on_unit_props(sd_bus_message *reply, void *userdata,
			 sd_bus_error *ret_error)
{
	_cleanup_free_ char *iface = NULL;
	UnitQuery *q = userdata;
	int r;

	if (query_failed(q, reply))
		return 0;
	r = bus_read_dict(reply, unit_prop, &q->state);
	if (r >= 0)
		iface = type_interface(q->name);
	return query_next(q, r, iface, on_type_props);
}

static int on_unit_path(sd_bus_message *reply, void *userdata,
			sd_bus_error *ret_error)
{
	UnitQuery *q = userdata;
	const char *path;
	int r;

	if (query_failed(q, reply))
		return 0;
	r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0) {
		free(q->state.object_path);
		q->state.object_path = strdup(path);
		r = q->state.object_path ? 0 : -ENOMEM;
	}
	return query_next(q, r, SD_UNIT, on_unit_props);
}

static int unit_query_start(Manager *m, const char *name, bool load,
			    uint64_t timeout_usec, unit_query_handler_t handler,
			    void *userdata, UnitQuery **ret)
{
	UnitQuery *q;
	int r;

	if (!m->bus)
		return -ENOTCONN;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	*q = (UnitQuery) {
		.manager = m,
		.name = strdup(name),
		.load = load,
		.timeout_usec = timeout_usec,
		.state.found = true,
		.handler = handler,
		.userdata = userdata,
	};
	if (!q->name) {
		unit_query_free(q);
		return -ENOMEM;
	}
	r = query_call(q, SD_PATH, SD_MANAGER, load ? "LoadUnit" : "GetUnit",
		       name, on_unit_path, &q->slot);
	if (r < 0) {
		unit_query_free(q);
		return r;
	}
	*ret = q;
	return 0;
}

int unit_query_new(Manager *m, const char *name, bool load,
		   unit_query_handler_t handler, void *userdata,
		   UnitQuery **ret)
{
	return unit_query_start(m, name, load, 0, handler, userdata, ret);
}

bool unit_is_query_instance(const char *unit)
{
	const char *at = strchr(unit, '@');

	return at && startswith(at + 1, TEMPLATE_QUERY_INSTANCE ".");
}

/* --- units -------------------------------------------------------------- */

static int refresh_start(Unit *u);

/* Start waiting refreshes while there is room. */
static void refresh_kick(Manager *m)
{
	for (size_t i = 0; i < m->n_units && m->n_refreshing < refresh_window(m); i++) {
		Unit *w = m->units[i];

		if (!w->refresh_queued || w->refresh)
			continue;
		w->refresh_queued = false;
		if (refresh_start(w) < 0)
			log_debug("Failed to query unit %s, ignoring.", w->name);
	}
}

/* Drop the refresh of @u, if any, and its query slot. */
static void refresh_cancel(Unit *u)
{
	if (!u->refresh)
		return;
	u->refresh = unit_query_free(u->refresh);
	u->manager->n_refreshing--;
}

/* Cgroup ids of a template's instances, as last found (instance_of()). */
#define INSTANCES_CACHED 16

struct InstanceCache {
	uint64_t id[INSTANCES_CACHED];
	char *name[INSTANCES_CACHED];
	unsigned next;
};

typedef struct InstanceCache InstanceCache;

static void instance_cache_free(InstanceCache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < INSTANCES_CACHED; i++)
		free(c->name[i]);
	free(c);
}

static Unit *unit_free(Unit *u)
{
	if (!u)
		return NULL;
	refresh_cancel(u);
	free(u->name);
	free(u->query_name);
	free(u->object_path);
	free(u->control_group);
	free(u->slice);
	rcstr_unref(u->exec_path);
	rcstr_unref(u->cgroup_path);
	instance_cache_free(u->instances);
	return mfree(u);
}

Unit *unit_tracker_find(Manager *m, const char *name)
{
	for (size_t i = 0; i < m->n_units; i++)
		if (streq(m->units[i]->name, name))
			return m->units[i];
	return NULL;
}

static Unit *find_by_path(Manager *m, const char *path)
{
	for (size_t i = 0; i < m->n_units; i++)
		if (streq_ptr(m->units[i]->object_path, path))
			return m->units[i];
	return NULL;
}

static int unit_set_cgroup_path(Unit *u);

/* Find or create the Unit for @name; NULL on OOM. */
Unit *unit_tracker_get(Manager *m, const char *name)
{
	Unit *u = unit_tracker_find(m, name), **l;

	if (u)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->manager = m;
	u->name = strdup(name);
	u->found = true;
	u->template = !tlob_unit_name_is_concrete(name) && strstr(name, "@.");
	if (u->template) {
		const char *at = strchr(name, '@');

		if (asprintf(&u->query_name, "%.*s@" TEMPLATE_QUERY_INSTANCE "%s",
			     (int)(at - name), name, at + 1) < 0)
			u->query_name = NULL;
	} else
		u->query_name = strdup(name);
	if (u->query_name)
		(void)sd_bus_path_encode(SD_PATH "/unit", u->query_name,
					 &u->object_path);
	/* Until systemd tells: where systemd puts it by default. */
	(void)unit_set_cgroup_path(u);
	l = reallocarray(m->units, m->n_units + 1, sizeof(*l));
	if (!u->name || !u->object_path || !u->cgroup_path || !l) {
		if (l)
			m->units = l;
		unit_free(u);
		return NULL;
	}
	m->units = l;
	m->units[m->n_units++] = u;
	return u;
}

/* Forget @u once no budget refers to it any more. */
void unit_tracker_unref(Manager *m, Unit *u)
{
	if (!u || u->n_budgets > 0)
		return;
	for (size_t i = 0; i < m->n_units; i++)
		if (m->units[i] == u) {
			memmove(m->units + i, m->units + i + 1,
				(m->n_units - i - 1) * sizeof(*m->units));
			m->n_units--;
			break;
		}
	unit_free(u);
	/* It may have held one of the query slots. */
	refresh_kick(m);
}

void unit_tracker_free_all(Manager *m)
{
	for (size_t i = 0; i < m->n_units; i++)
		unit_free(m->units[i]);
	m->units = mfree(m->units);
	m->n_units = 0;
}

static uint64_t cgroup_id_of(Manager *m, const char *cg)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (isempty(cg) || asprintf(&p, "%s%s", m->cgroup_root, cg) < 0)
		return 0;
	if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return (uint64_t)st.st_ino;
}

/*
 * Where the processes of @u are: its ControlGroup while it has one, else
 * where its Slice= (or systemd's default) puts it. A template's is the
 * slice of its instances (the instance it was asked about has no
 * ControlGroup: it does not run).
 */
static int unit_set_cgroup_path(Unit *u)
{
	_cleanup_free_ char *path = NULL;
	char *s;
	int r;

	r = unit_cgroup_path(u->name, u->template ? NULL : u->control_group,
			     u->slice, &path);
	if (r == -EINVAL)
		/* A name or Slice= systemd would not take: the default. */
		r = unit_cgroup_path(u->name, NULL, NULL, &path);
	if (r < 0)
		return r;
	if (streq_ptr(u->cgroup_path, path))
		return 0;
	s = rcstr_new(path);
	if (!s)
		return -ENOMEM;
	rcstr_unref(u->cgroup_path);
	u->cgroup_path = s;
	return 0;
}

int unit_tracker_update(Unit *u, UnitState *state)
{
	char *exec = NULL;
	int r;

	if (state->exec_path) {
		/* Shared with the budgets bound to it (rcstr). */
		exec = rcstr_new(state->exec_path);
		if (!exec)
			return -ENOMEM;
	}
	rcstr_unref(u->exec_path);
	u->exec_path = exec;
	free(u->control_group);
	u->control_group = TAKE_PTR(state->control_group);
	free(u->slice);
	u->slice = TAKE_PTR(state->slice);
	if (state->object_path) {
		free(u->object_path);
		u->object_path = TAKE_PTR(state->object_path);
	}
	u->found = state->found;
	u->active = state->found && state->active;
	r = unit_set_cgroup_path(u);
	if (r < 0)
		return r;
	u->cgroup_id = u->active ? cgroup_id_of(u->manager, u->control_group) : 0;
	u->known = true;
	return 0;
}

static void unit_set_gone(Unit *u)
{
	u->active = false;
	u->cgroup_id = 0;
}

static void on_refreshed(UnitQuery *q, int r, UnitState *state,
			 const sd_bus_error *e, void *userdata)
{
	Unit *u = userdata;
	Manager *m = u->manager;
	bool q_load = q->load;	/* @q is freed below */

	if (r >= 0)
		r = unit_tracker_update(u, state);
	refresh_cancel(u);	/* frees @q and @state */
	if (r == -ETIMEDOUT && u->refresh_timeouts < REFRESH_TIMEOUTS_MAX) {
		/*
		 * Alive but slow: what we knew holds until it answers. (The
		 * timed-out call still runs in PID 1: the next one waits
		 * longer rather than piling up.)
		 */
		u->refresh_timeouts++;
		u->refresh_load = u->refresh_load || q_load;
		m->refresh_window = MAX(refresh_window(m) / 2, 1u);
		log_debug("Timed out querying the state of %s, asking again (%u of %u, %u at a time).",
			  u->name, u->refresh_timeouts, REFRESH_TIMEOUTS_MAX,
			  m->refresh_window);
		u->refresh_queued = true;
		refresh_kick(m);
		return;
	}
	u->refresh_timeouts = 0;
	if (r != -ETIMEDOUT && refresh_window(m) < REFRESH_MAX)
		m->refresh_window++;
	if (r == -ENOENT) {
		/*
		 * Not loaded (GetUnit), so not running; what it is (a reload
		 * loaded it) cannot have changed without a reload.
		 */
		unit_set_gone(u);
	} else if (r < 0) {
		/* Without systemd (or with a broken reply) it counts as down. */
		log_full_errno(bus_error_systemd_absent(e) ? LOG_DEBUG : LOG_WARNING, r,
			       "Failed to query state of %s, taking it as inactive: %s",
			       u->name, e && sd_bus_error_is_set(e) ? e->message :
			       strerror(-r));
		unit_set_gone(u);
	}
	refresh_kick(m);
	manager_unit_changed(m, u);
}

static int refresh_start(Unit *u)
{
	uint64_t timeout = 0;
	UnitQuery *q;
	int r;

	/* After a timeout: sd-bus's timeout times the number of tries. */
	if (u->refresh_timeouts > 0 &&
	    sd_bus_get_method_call_timeout(u->manager->bus, &timeout) >= 0)
		timeout *= u->refresh_timeouts + 1;
	/* A template's instance is only there if loaded. */
	r = unit_query_start(u->manager, u->query_name,
			     u->refresh_load || u->template, timeout,
			     on_refreshed, u, &q);
	if (r < 0)
		return r;
	/* One at a time (unit_tracker_refresh(), refresh_kick()). */
	assert(!u->refresh);
	u->refresh = q;
	u->manager->n_refreshing++;
	return 0;
}

int unit_tracker_refresh(Unit *u, bool load)
{
	Manager *m = u->manager;

	if (!m->bus)
		return -ENOTCONN;
	/* Refreshes that wait are one: it loads if any of them would. */
	u->refresh_load = load || (u->refresh_queued && u->refresh_load);
	if (u->refresh || m->n_refreshing >= refresh_window(m)) {
		/* After the one running, or once a query slot is free. */
		u->refresh_queued = true;
		return 0;
	}
	u->refresh_queued = false;
	return refresh_start(u);
}

/* --- signals ------------------------------------------------------------ */

static int on_job_removed(sd_bus_message *msg, void *userdata,
			  sd_bus_error *ret_error)
{
	Manager *m = userdata;
	const char *job, *unit, *result;
	uint32_t id;
	Unit *u;

	if (sd_bus_message_read(msg, "uoss", &id, &job, &unit, &result) < 0)
		return 0;
	u = unit_tracker_find(m, unit);
	if (u)
		(void)unit_tracker_refresh(u, false);
	return 0;
}

static int on_unit_new(sd_bus_message *msg, void *userdata,
		       sd_bus_error *ret_error)
{
	Manager *m = userdata;
	const char *unit, *path;
	int r;

	if (sd_bus_message_read(msg, "so", &unit, &path) < 0)
		return 0;
	/*
	 * Only a unit we do not track yet that a template (prefix, type)
	 * drop-in applies to: reloading tracks it, and a tracked unit is
	 * never reloaded for again, so this cannot loop. A burst of new
	 * instances costs two reloads, not one each (manager_reload()).
	 */
	if (unit_tracker_find(m, unit) || !manager_unit_wanted(m, unit))
		return 0;
	log_debug("%s appeared, re-reading drop-ins.", unit);
	r = manager_reload(m, NULL);
	if (r < 0)
		log_error_errno(r, "Failed to reload budgets: %m");
	return 0;
}

static int on_properties_changed(sd_bus_message *msg, void *userdata,
				 sd_bus_error *ret_error)
{
	Manager *m = userdata;
	Unit *u = find_by_path(m, sd_bus_message_get_path(msg));

	if (u)
		(void)unit_tracker_refresh(u, false);
	return 0;
}

static int on_reloading(sd_bus_message *msg, void *userdata,
			sd_bus_error *ret_error)
{
	Manager *m = userdata;
	int starting;

	if (sd_bus_message_read(msg, "b", &starting) < 0)
		return 0;
	/* Reloading(false) is sent once systemd has loaded its units again. */
	if (!starting)
		manager_systemd_reloaded(m);
	return 0;
}

static int on_subscribed(sd_bus_message *reply, void *userdata,
			 sd_bus_error *ret_error)
{
	Manager *m = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);

	if (e)
		log_full_errno(bus_error_systemd_absent(e) ? LOG_DEBUG : LOG_WARNING, 0,
			       "Failed to subscribe to systemd, unit changes will not be followed: %s",
			       e->message);
	else
		m->systemd_tracking = true;
	return 0;
}

int unit_tracker_start(Manager *m)
{
	int r;

	r = sd_bus_match_signal_async(m->bus, &m->match_slots[0], SD_DEST,
				      SD_PATH, SD_MANAGER, "JobRemoved",
				      on_job_removed, NULL, m);
	if (r < 0)
		return r;
	r = sd_bus_match_signal_async(m->bus, &m->match_slots[4], SD_DEST,
				      SD_PATH, SD_MANAGER, "UnitNew",
				      on_unit_new, NULL, m);
	if (r < 0)
		return r;
	r = sd_bus_match_signal_async(m->bus, &m->match_slots[1], SD_DEST,
				      SD_PATH, SD_MANAGER, "Reloading",
				      on_reloading, NULL, m);
	if (r < 0)
		return r;
	r = sd_bus_add_match_async(m->bus, &m->match_slots[2],
				   "type='signal',"
				   "sender='" SD_DEST "',"
				   "interface='" DBUS_PROPS "',"
				   "member='PropertiesChanged',"
				   "arg0='" SD_UNIT "',"
				   "path_namespace='" SD_PATH "/unit'",
				   on_properties_changed, NULL, m);
	if (r < 0)
		return r;
	/* Ask systemd to send unit signals at all. */
	return sd_bus_call_method_async(m->bus, &m->match_slots[3], SD_DEST,
					SD_PATH, SD_MANAGER, "Subscribe",
					on_subscribed, m, "");
}

/* --- the manager's calls ----------------------------------------------- */

static int on_daemon_reload_reply(sd_bus_message *reply, void *userdata,
				  sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	Manager *m = userdata;
	int r;

	m->daemon_reload_slot = sd_bus_slot_unref(m->daemon_reload_slot);
	if (e)
		log_full_errno(bus_error_systemd_absent(e) ? LOG_DEBUG : LOG_WARNING, 0,
			       "Failed to make systemd reload, \"systemctl cat\" shows the change after the next daemon-reload: %s",
			       e->message);
	if (m->daemon_reload_again) {
		m->daemon_reload_again = false;
		r = unit_tracker_daemon_reload(m);
		if (r < 0)
			log_warning_errno(r, "Failed to ask systemd to reload, ignoring: %m");
	}
	return 0;
}

int unit_tracker_daemon_reload(Manager *m)
{
	/*
	 * One reload at a time: changes made while one runs are covered by
	 * one more, so a burst of AddBudget calls costs two reloads, not one
	 * each. A lone change is seen at once: systemd handles our Reload
	 * before whatever the caller asks it after our reply.
	 */
	if (m->daemon_reload_slot) {
		m->daemon_reload_again = true;
		return 0;
	}
	return sd_bus_call_method_async(m->bus, &m->daemon_reload_slot, SD_DEST,
					SD_PATH, SD_MANAGER, "Reload",
					on_daemon_reload_reply, m, "");
}

typedef struct ListCall {
	Manager *manager;
	char **patterns;
	unit_list_handler_t handler;
} ListCall;

static void list_call_free(void *userdata)
{
	ListCall *c = userdata;

	tlob_strv_free(c->patterns);
	free(c);
}

static int on_listed(sd_bus_message *reply, void *userdata,
		     sd_bus_error *ret_error)
{
	_cleanup_strv_free_ char **l = NULL;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	ListCall *c = userdata;
	const char *name;
	int r;

	if (e) {
		/* Without systemd nothing is loaded. */
		r = bus_error_systemd_absent(e) ? 0 :
		    -(sd_bus_error_get_errno(e) ?: EIO);
		if (r < 0)
			log_debug("ListUnitsByPatterns failed: %s", e->message);
		c->handler(c->manager, r, NULL);
		return 0;
	}
	r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
	while (r >= 0 &&
	       (r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL,
					NULL, NULL, NULL, NULL, NULL, NULL,
					NULL, NULL)) > 0) {
		bool match = false;

		/* Not the instances we load to ask about templates. */
		for (char **p = c->patterns; *p && !match; p++)
			match = !unit_is_query_instance(name) &&
				tlob_dropin_pattern_matches(*p, name);
		if (match)
			r = tlob_strv_extend(&l, name);
	}
	c->handler(c->manager, r < 0 ? r : 0, r < 0 ? NULL : l);
	return 0;
}

int unit_tracker_list_matching(Manager *m, char **patterns,
			       unit_list_handler_t handler,
			       sd_bus_slot **ret_slot)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	ListCall *c;
	int r;

	r = sd_bus_message_new_method_call(m->bus, &call, SD_DEST, SD_PATH,
					   SD_MANAGER, "ListUnitsByPatterns");
	if (r < 0)
		return r;
	r = sd_bus_message_append_strv(call, NULL);	/* any state */
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(call, 'a', "s");
	if (r < 0)
		return r;
	for (char **p = patterns; *p; p++) {
		_cleanup_free_ char *glob = tlob_dropin_pattern_glob(*p);

		if (!glob)
			return -ENOMEM;
		r = sd_bus_message_append(call, "s", glob);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(call);
	if (r < 0)
		return r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->manager = m;
	c->handler = handler;
	for (char **p = patterns; *p && r >= 0; p++)
		r = tlob_strv_extend(&c->patterns, *p);
	if (r >= 0)
		r = sd_bus_call_async(m->bus, ret_slot, call, on_listed, c, 0);
	if (r >= 0)
		/* @c lives as long as the call's slot. */
		r = sd_bus_slot_set_destroy_callback(*ret_slot, list_call_free);
	if (r < 0) {
		*ret_slot = sd_bus_slot_unref(*ret_slot);
		list_call_free(c);
		return r;
	}
	return 0;
}

char *unit_tracker_unit_of_pid(Manager *m, uint32_t pid, uint64_t cgroup_id)
{
	char *unit = NULL;

	if (cgroup_id)
		for (size_t i = 0; i < m->n_units; i++)
			if (m->units[i]->cgroup_id == cgroup_id)
				return strdup(m->units[i]->name);
	if (pid > 0 && sd_pid_get_unit((pid_t)pid, &unit) >= 0)
		return unit;
	return NULL;
}

bool unit_tracker_runs(Unit *u)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (!u->template)
		return u->active;
	/* systemd removes an instances' slice once none of them runs. */
	if (!u->cgroup_path || asprintf(&p, "%s/%s", u->manager->cgroup_root,
					u->cgroup_path) < 0)
		return false;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The cgroup v2 path of @pid, from /proc/PID/cgroup ("0::/a/b"). */
static char *proc_cgroup(uint32_t pid)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	char p[64];
	size_t size = 0;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%" PRIu32 "/cgroup", pid);
	f = fopen(p, "re");
	if (!f)
		return NULL;
	while ((n = getline(&line, &size, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = 0;
		if (startswith(line, "0::"))
			return strdup(line + 3);
	}
	return NULL;
}

static uint64_t dir_id(Manager *m, const char *rel)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (asprintf(&p, "%s/%s", m->cgroup_root, rel) < 0 ||
	    stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return (uint64_t)st.st_ino;
}

/* The instance of @u by @pid's cgroup, if it is @cgroup_id's. */
static char *instance_by_pid(Unit *u, uint32_t pid, uint64_t cgroup_id)
{
	_cleanup_free_ char *cg = pid ? proc_cgroup(pid) : NULL;
	char *name = NULL;

	/* Still the task of the record (not a reused pid, not moved)? */
	if (!cg || dir_id(u->manager, cg) != cgroup_id ||
	    unit_cgroup_child(u->cgroup_path, cg, &name) < 0)
		return NULL;
	return name;
}

/* The instance whose directory below @u's slice is cgroup @cgroup_id. */
static char *instance_by_dir(Unit *u, uint64_t cgroup_id)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	char *name = NULL;

	if (asprintf(&p, "%s/%s", u->manager->cgroup_root, u->cgroup_path) < 0)
		return NULL;
	d = opendir(p);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || (uint64_t)st.st_ino != cgroup_id)
			continue;
		(void)unit_cgroup_child("", de->d_name, &name);
		break;
	}
	return name;
}

char *unit_tracker_instance_of(Unit *u, uint32_t pid, uint64_t cgroup_id)
{
	InstanceCache *c;
	char *name;

	if (!u->template || !u->cgroup_path || cgroup_id == 0)
		return NULL;
	if (!u->instances)
		u->instances = calloc(1, sizeof(*u->instances));
	c = u->instances;
	for (unsigned i = 0; c && i < INSTANCES_CACHED; i++)
		if (c->id[i] == cgroup_id && c->name[i])
			return strdup(c->name[i]);
	name = instance_by_pid(u, pid, cgroup_id) ?:
	       instance_by_dir(u, cgroup_id);
	if (!name || !c)
		return name;
	/* Instances come and go: the cache keeps the last few. */
	free(c->name[c->next]);
	c->name[c->next] = strdup(name);
	c->id[c->next] = cgroup_id;
	c->next = (c->next + 1) % INSTANCES_CACHED;
	return name;
}
