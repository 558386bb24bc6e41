/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tlob-manager: the Manager object owns every resource of the daemon (the
 * event loop, the bus, the kernel link, units and budgets); manager_free()
 * releases them all.
 */
#ifndef TLOB_MANAGER_H
#define TLOB_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <linux/tlob.h>

#include "journal-format.h"
#include "ratelimit.h"
#include "rcstr.h"
#include "tlob-parse.h"

typedef struct Manager Manager;
typedef struct Budget Budget;
typedef struct Unit Unit;
typedef struct KernelLink KernelLink;
typedef struct PolkitQuery PolkitQuery;

typedef enum BudgetSource {
	BUDGET_SOURCE_DROPIN,	/* written by the administrator */
	BUDGET_SOURCE_API,	/* AddBudget(), /etc/systemd/system.control */
	BUDGET_SOURCE_RUNTIME,	/* AddBudget(runtime), /run/systemd/system.control */
} BudgetSource;

const char *budget_source_to_string(BudgetSource s);

/* Statistics of completed windows, as the kernel keeps them per binding. */
typedef struct BudgetStats {
	uint64_t windows;
	uint64_t violations;
	uint64_t max_ns;
	uint64_t sum_ns;
	uint64_t hist[TLOB_HIST_BUCKETS];
} BudgetStats;

/*
 * A budget. Kept small, as a daemon may hold a thousand: the strings its
 * unit's other budgets have too are shared (rcstr.h), its own ones (id,
 * probe) live in the same allocation, the parsed probe is not kept (it is
 * parsed again to bind), and statistics are allocated when needed.
 */
struct Budget {
	Manager *manager;
	Unit *unit;			/* the unit it measures */

	char *unit_name;		/* rcstr */
	char *file;			/* drop-in it comes from, rcstr */
	char *description;		/* NULL when none */
	const char *id;			/* in text[] */
	const char *probe_text;		/* canonical probe specification, in text[] */
	const char *probe_path;		/* its PATH, in text[]; NULL: the unit's
					 * main executable */
	uint64_t budget_ns;
	BudgetSource source;
	bool has_stop;			/* false: the window ends on return */

	/* Where it is bound, while it is (binding_id != 0). */
	bool stop_on_return;
	uint32_t binding_id;
	char *binary;			/* resolved ELF path, rcstr */
	uint64_t start_offset;
	uint64_t stop_offset;
	uint64_t cgroup_id;
	int bind_error;			/* last failure to bind, for logs */
	uint32_t last_pid;		/* of the last violation */

	/* Counters: violations from events, window statistics from the
	 * kernel; "retired" holds those of earlier bindings (the unit was
	 * restarted), so they survive rebinding. Allocated on the first
	 * unbinding: most budgets never need it. */
	uint64_t n_violations;
	BudgetStats *retired;

	RateLimit ratelimit;
	sd_event_source *ratelimit_source;	/* logs the summary */

	char text[];			/* "ID\0PROBE\0[PATH\0]" */
};

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

struct Manager {
	sd_event *event;
	sd_bus *bus;
	KernelLink *kernel;
	int kernel_error;		/* why there is no kernel link */

	char *root;			/* prefix of the drop-in dirs ("" = /) */
	char *cgroup_root;		/* cgroup2 mount, /sys/fs/cgroup */
	const char *rv_path;		/* /dev/rv */
	bool systemd_tracking;		/* subscribed to systemd */

	Budget **budgets;		/* in the order they were loaded */
	size_t n_budgets;
	size_t n_budgets_allocated;
	Unit **units;
	size_t n_units;
	unsigned n_refreshing;		/* units with a query chain running */

	uint64_t n_violations;		/* ViolationCount */
	uint64_t n_dropped;		/* DroppedEvents */

	RateLimit self_ratelimit;	/* self-instrumented windows */
	sd_event_source *self_ratelimit_source;
	uint64_t ratelimit_interval_usec;
	unsigned ratelimit_burst;

	sd_bus_slot *daemon_reload_slot;	/* our systemd Reload() call */
	bool daemon_reload_again;		/* another one is needed */

	/* Drop-in directories of templates, prefixes, types (dropin.h). */
	char **patterns;

	PolkitQuery *polkit_queries;
	sd_bus_slot *match_slots[5];
};

/* Limit on budgets the daemon manages (the kernel's default max_bindings). */
#define MANAGER_BUDGETS_MAX 1024

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m)
{
	manager_free(*m);
}

/* Connect the bus, open /dev/rv, load budgets, follow systemd. */
int manager_start(Manager *m);

/* Re-read drop-ins and reconcile the budget list; rebinding as needed. */
int manager_reload(Manager *m);

Budget *manager_find_budget(Manager *m, const char *id);
Budget *manager_find_budget_by_probe(Manager *m, const char *unit,
				     const char *probe);

/*
 * AddBudget(): validated input; writes the drop-in, adds and binds the
 * budget. Returns 0 with *ret_id, or a negative errno with @error set to
 * the org.tlob.Error the caller should see.
 */
int manager_add_budget(Manager *m, const char *unit, const char *probe,
		       uint64_t budget_ns, bool runtime,
		       const char *description, char **ret_id,
		       sd_bus_error *error);
int manager_remove_budget(Manager *m, Budget *b, sd_bus_error *error);

/* Statistics of @b: retired plus those of the current binding. */
void budget_get_stats(Budget *b, BudgetStats *ret);
bool budget_is_active(const Budget *b);
/* Resolve the offsets of an unbound budget, for display; errors ignored. */
void budget_refresh_offsets(Budget *b);

/* A kernel event (called by the kernel link). */
void manager_handle_event(Manager *m, const struct tlob_event *ev);

/* Bind/unbind every budget of @u after its state changed. */
void manager_unit_changed(Manager *m, Unit *u);

/* Does a drop-in of a template, prefix or type apply to @unit? */
bool manager_unit_wanted(Manager *m, const char *unit);

/* systemd finished reloading: re-read the drop-ins. */
void manager_systemd_reloaded(Manager *m);

/* manager-bus.c */
int manager_bus_setup(Manager *m);
int manager_emit_violation(Manager *m, const Budget *b, const char *unit,
			   const struct tlob_event *ev);
void manager_emit_budget_count_changed(Manager *m);

/* journal.c */
void journal_log_violation(Manager *m, Budget *b, const char *unit,
			   const struct tlob_event *ev);

/* unit-tracker.c */
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

/* budget-store.c */
int budget_store_load(Manager *m, char **extra_units, Budget ***ret,
		      size_t *ret_n);
/*
 * Write the drop-in of budget @id as AddBudget() does, under @root ("" or
 * NULL: /): ROOT/etc/systemd/system.control/UNIT.d/50-TlobBudget-ID.conf,
 * or under ROOT/run/systemd/system.control when @runtime; directories are
 * made as needed, the file replaced atomically. Returns its path.
 */
int budget_store_write(const char *root, const char *unit, const char *id,
		       const char *probe, uint64_t budget_ns, bool runtime,
		       const char *description, char **ret_file);
/* Delete the drop-in of an "api" or "runtime" budget (-EPERM for others),
 * and its UNIT.d directory when that is left empty. */
int budget_store_remove(const Budget *b);
/* A random id that none of the @n budgets of @l has. */
int budget_store_new_id(Budget **l, size_t n, char **ret);
/*
 * A budget of @unit_name (an rcstr, referenced) with @id and the canonical
 * probe @probe; the rest is the caller's to fill in. -EINVAL for a bad
 * probe, -ENOMEM.
 */
int budget_new(Manager *m, char *unit_name, const char *id, const char *probe,
	       Budget **ret);
Budget *budget_free(Budget *b);

/* manager-polkit.c */
/*
 * Is the sender of @call allowed @action? 1 yes, 0 the answer is pending
 * (the method returns 1 without reply and is called again when polkit
 * answered), negative errno with @error set when refused.
 */
int manager_polkit_check(Manager *m, sd_bus_message *call, const char *action,
			 sd_bus_error *error);
void manager_polkit_free_all(Manager *m);

#define TLOB_ERROR_INVALID_PROBE	"org.tlob.Error.InvalidProbe"
#define TLOB_ERROR_NO_SUCH_SYMBOL	"org.tlob.Error.NoSuchSymbol"
#define TLOB_ERROR_NO_SUCH_FILE		"org.tlob.Error.NoSuchFile"
#define TLOB_ERROR_INVALID_BUDGET	"org.tlob.Error.InvalidBudget"
#define TLOB_ERROR_NO_SUCH_UNIT		"org.tlob.Error.NoSuchUnit"
#define TLOB_ERROR_NO_SUCH_BUDGET	"org.tlob.Error.NoSuchBudget"
#define TLOB_ERROR_EXISTS		"org.tlob.Error.Exists"
#define TLOB_ERROR_TOO_MANY		"org.tlob.Error.TooMany"
#define TLOB_ERROR_KERNEL_UNAVAILABLE	"org.tlob.Error.KernelUnavailable"

#endif /* TLOB_MANAGER_H */
