/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The unit tracker: what systemd says about the units that have budgets,
 * asked without ever waiting for PID 1 (see unit-tracker.c).
 */
#ifndef TLOB_UNIT_TRACKER_H
#define TLOB_UNIT_TRACKER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct Manager Manager;
typedef struct Unit Unit;
typedef struct UnitQuery UnitQuery;

/*
 * A unit with budgets. A template ("foo@.service") stands for all its
 * instances: systemd is asked about it through an instance it loads for
 * us (TEMPLATE_QUERY_INSTANCE), and its processes are those of the slice
 * its instances run in.
 */
struct Unit {
	Manager *manager;
	char *name;
	char *query_name;		/* what systemd is asked about */
	char *object_path;		/* of query_name */
	bool template;
	bool active;			/* ActiveState active/reloading */
	bool found;			/* LoadState is not "not-found" */
	char *control_group;		/* from systemd, "" when none */
	char *slice;			/* Slice=, NULL while not known */
	char *exec_path;		/* main executable (first ExecStart=), rcstr */
	char *cgroup_path;		/* where its processes are, relative, rcstr */
	uint64_t cgroup_id;		/* st_ino of that directory while active, 0 */
	UnitQuery *refresh;		/* pending state query */
	bool refresh_queued;		/* waits for a free query slot */
	bool refresh_load;		/* ... with LoadUnit */
	bool known;			/* systemd answered about it (unit_tracker_update()) */
	unsigned refresh_timeouts;	/* queries in a row that timed out */
	struct InstanceCache *instances;	/* of a template, see .c */
	unsigned n_budgets;
};

/* The instance a template is loaded as, to learn ExecStart= and Slice=. */
#define TEMPLATE_QUERY_INSTANCE "tlob-manager"

/* Is @unit such an instance (never a unit of its own for us)? */
bool unit_is_query_instance(const char *unit);

/* What systemd says about a unit: the answer of a UnitQuery. */
typedef struct UnitState {
	bool found;			/* LoadState is not "not-found" */
	bool active;			/* active, reloading, (de)activating */
	char *object_path;
	char *control_group;		/* NULL or "" when none */
	char *slice;			/* Slice=, NULL when none */
	char *exec_path;		/* first ExecStart= path, NULL when none */
} UnitState;

/*
 * A query ended: @r is 0 with @state filled, -ENOENT if systemd does not
 * have the unit loaded (NoSuchUnit), or another negative errno, with @e
 * the failed call's error when there was one. The handler owns @q (free
 * it with unit_query_free(), which frees @state too; the strings of
 * @state may be taken, TAKE_PTR).
 */
typedef void (*unit_query_handler_t)(UnitQuery *q, int r, UnitState *state,
				     const sd_bus_error *e, void *userdata);

/*
 * Ask systemd about unit @name, asynchronously: GetUnit (or with @load,
 * LoadUnit: systemd loads it to answer), then its Unit and type
 * properties. @handler is called once, unless @q is freed before.
 */
int unit_query_new(Manager *m, const char *name, bool load,
		   unit_query_handler_t handler, void *userdata,
		   UnitQuery **ret);
UnitQuery *unit_query_free(UnitQuery *q);

/* Did the call fail because systemd is not on the bus (a test bus)? */
bool bus_error_systemd_absent(const sd_bus_error *e);

/* Subscribe to systemd and follow its signals. */
int unit_tracker_start(Manager *m);
Unit *unit_tracker_get(Manager *m, const char *name);
Unit *unit_tracker_find(Manager *m, const char *name);
void unit_tracker_unref(Manager *m, Unit *u);
/*
 * Query systemd for @u's state now; on reply manager_unit_changed().
 * With @load (a reload) through LoadUnit: systemd loads it to answer, so
 * that a unit that does not run yet is known (executable, slice) and its
 * budgets bound before it starts. Without, GetUnit: following signals of
 * loaded units must not load others.
 */
int unit_tracker_refresh(Unit *u, bool load);
/* Take what a query said about @u (its strings are taken from @state). */
int unit_tracker_update(Unit *u, UnitState *state);
/*
 * Ask systemd to reload, as "systemctl edit" does, so that it knows the
 * drop-ins we wrote or removed ("systemctl cat" shows them).
 */
int unit_tracker_daemon_reload(Manager *m);
/*
 * The loaded units (per systemd) that @patterns apply to, asynchronously:
 * @handler gets them (NULL-ended, NULL when none, valid during the call
 * only) with 0, or a negative errno; without systemd on the bus, none.
 * Freeing *@ret_slot cancels the call.
 */
typedef void (*unit_list_handler_t)(Manager *m, int r, char **units);
int unit_tracker_list_matching(Manager *m, char **patterns,
			       unit_list_handler_t handler,
			       sd_bus_slot **ret_slot);
/* The unit a process runs in, or NULL. */
char *unit_tracker_unit_of_pid(Manager *m, uint32_t pid, uint64_t cgroup_id);
/* Does @u run (a template: does one of its instances)? */
bool unit_tracker_runs(Unit *u);
/*
 * The instance of template @u that task @pid of cgroup @cgroup_id (a
 * record's) runs in: from /proc/PID/cgroup while it lives, else by the
 * cgroup directories below the template's slice; NULL if neither tells.
 */
char *unit_tracker_instance_of(Unit *u, uint32_t pid, uint64_t cgroup_id);
void unit_tracker_free_all(Manager *m);

#endif /* TLOB_UNIT_TRACKER_H */
