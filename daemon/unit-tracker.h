/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The unit tracker: what systemd says about the units that have budgets
 * (see unit-tracker.c).
 */
#ifndef TLOB_UNIT_TRACKER_H
#define TLOB_UNIT_TRACKER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct Manager Manager;
typedef struct Unit Unit;

struct Unit {
	Manager *manager;
	char *name;
	char *object_path;
	bool active;			/* ActiveState active/reloading */
	char *control_group;		/* from systemd, "" when none */
	char *exec_path;		/* main executable (first ExecStart=), rcstr */
	uint64_t cgroup_id;		/* st_ino of the cgroup directory, 0 */
	bool loaded;			/* systemd knows the unit */
	sd_bus_slot *refresh_slot;	/* pending state query */
	bool refreshing;		/* a query chain runs */
	bool refresh_queued;		/* waits for a free query slot */
	unsigned n_budgets;
};

int unit_tracker_start(Manager *m);
Unit *unit_tracker_get(Manager *m, const char *name);
Unit *unit_tracker_find(Manager *m, const char *name);
void unit_tracker_unref(Manager *m, Unit *u);
/* Query systemd for @u's state now; on reply manager_unit_changed(). */
int unit_tracker_refresh(Unit *u);
/* Synchronously: does @name exist, and its main executable. */
int unit_tracker_load_sync(Manager *m, Unit *u, sd_bus_error *error);
/*
 * Ask systemd to reload, as "systemctl edit" does, so that it knows the
 * drop-ins we wrote or removed ("systemctl cat" shows them).
 */
int unit_tracker_daemon_reload(Manager *m);
/* Loaded units (per systemd) that @patterns apply to; NULL-ended. */
int unit_tracker_list_matching(Manager *m, char **patterns, char ***ret);
/* The unit a process runs in, or NULL. */
char *unit_tracker_unit_of_pid(Manager *m, uint32_t pid, uint64_t cgroup_id);
void unit_tracker_free_all(Manager *m);

#endif /* TLOB_UNIT_TRACKER_H */
