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

#include "budget.h"
#include "kernel-link.h"
#include "manager-polkit.h"
#include "ratelimit.h"
#include "state.h"
#include "symbolize.h"
#include "unit-tracker.h"

typedef struct Manager Manager;
typedef struct AddRequest AddRequest;
typedef struct UserLimit UserLimit;

/* The counters whose PropertiesChanged is due (Manager.counters_changed). */
enum {
	COUNTER_VIOLATIONS = 1 << 0,	/* ViolationCount */
	COUNTER_DROPPED = 1 << 1,	/* DroppedEvents */
	COUNTER_SELF = 1 << 2,		/* SelfViolationCount */
	COUNTER_SUPPRESSED = 1 << 3,	/* SuppressedViolations */
};

/* Method calls waiting for their reply. */
typedef struct MessageList {
	sd_bus_message **msgs;
	size_t n;
} MessageList;

struct Manager {
	sd_event *event;
	sd_bus *bus;
	KernelLink *kernel;
	/*
	 * The backend asked for (--backend=, AUTO by default) and the one
	 * in use, or awaited while there is no kernel link (the module):
	 * chosen once at start, see manager_choose_backend().
	 */
	KernelBackend backend_wanted;
	KernelBackend backend;
	int kernel_error;		/* why there is no kernel link */
	bool start_error_logged;	/* manager_start() said why it failed */
	bool kernel_adopted;		/* from the fd store, with bindings */
	bool events_started;		/* records are read (manager-events.c) */
	bool serving;			/* the bus name is ours */

	/*
	 * What survives a restart besides /dev/rv (state.h), and the
	 * counters as of the records handled so far, committed to it after
	 * each batch.
	 */
	State *state;
	StateCounters counters;

	/*
	 * The snapshot action (snapshot.h): tracefs (writable), where
	 * snapshots are kept, and whether the scheduler events are on.
	 */
	char *tracefs;
	char *snapshot_dir;
	bool snapshot_events;

	char *root;			/* prefix of the drop-in dirs ("" = /) */
	char *cgroup_root;		/* cgroup2 mount, /sys/fs/cgroup */
	const char *rv_path;		/* /dev/rv */
	bool systemd_tracking;		/* subscribed to systemd */

	/* Resolved probe points of unchanged files; emptied on reload. */
	TlobElfCache *elf_cache;
	/* Names for the causes' addresses, made at the first (cause.c). */
	Symbolizer *symbolizer;

	Budget **budgets;		/* in the order they were loaded */
	size_t n_budgets;
	size_t n_budgets_allocated;
	unsigned budgets_max;		/* the limit, drop-ins and API alike */
	unsigned n_refused;		/* drop-in budgets over it (RefusedBudgets) */
	Unit **units;
	size_t n_units;
	unsigned n_refreshing;		/* units with a query chain running */
	unsigned refresh_window;	/* ... at most, now (unit-tracker.c) */

	/* Self-instrumented windows, per user (manager-events.c). */
	UserLimit **users;
	size_t n_users;
	uint64_t ratelimit_interval_usec;
	unsigned ratelimit_burst;

	/*
	 * The LOST warning: one per interval, then one summary with the
	 * number of events dropped meanwhile (journal.c).
	 */
	RateLimit lost_ratelimit;
	sd_event_source *lost_ratelimit_source;
	uint64_t lost_unlogged;

	/*
	 * Counters whose change is announced once the events at hand are
	 * handled: one PropertiesChanged for a batch (manager-bus.c).
	 */
	sd_event_source *props_source;
	unsigned counters_changed;	/* COUNTER_* */

	sd_bus_slot *daemon_reload_slot;	/* our systemd Reload() call */
	bool daemon_reload_again;		/* another one is needed */

	/*
	 * Reloads (manager_reload()): the ListUnitsByPatterns call of the
	 * one running, the Reload() calls waiting for its end, and whether
	 * (and for whom) another one follows it.
	 */
	sd_bus_slot *reload_slot;
	MessageList reload_waiters;
	MessageList reload_next;
	bool reload_again;
	bool units_stale;		/* systemd reloaded: ask about all units */
	bool loaded;			/* the first load is done */
	sd_bus_slot *name_slot;		/* RequestName, then READY=1 */

	AddRequest *add_requests;	/* AddBudget() calls in progress */

	/* Drop-in directories of templates, prefixes, types (dropin.h). */
	char **patterns;

	PolkitQuery *polkit_queries;
	sd_bus_slot *match_slots[5];
};

/*
 * Default limit on the budgets the daemon manages (the kernel's default
 * max_bindings), whether they come from drop-ins or AddBudget().
 */
#define MANAGER_BUDGETS_MAX 1024
/* Refused budgets named in a warning each, per reload; then a count. */
#define MANAGER_REFUSED_LOGGED 10
/* Resolved probe points kept: one or two per budget. */
#define MANAGER_ELF_CACHE_MAX 1024

/* "auto", "kmod", "bpf": --backend= and the Backend property. */
const char *kernel_backend_to_string(KernelBackend b);
KernelBackend kernel_backend_from_string(const char *s);

/* The kernel's side in messages: /dev/rv, or "the BPF monitor". */
const char *manager_kernel_name(const Manager *m);

int manager_new(Manager **ret);
/* At most @burst journal entries per budget and @interval_usec. */
void manager_set_log_ratelimit(Manager *m, uint64_t interval_usec,
			       unsigned burst);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m)
{
	manager_free(*m);
}

/*
 * Connect the bus, choose the backend and open the kernel link, load
 * budgets, follow systemd. Fails (with the cause logged) when the BPF
 * backend was asked for and cannot be loaded.
 */
int manager_start(Manager *m);
/*
 * The bus name is ours: start handling the kernel's records, so that the
 * first Violation signals already come from org.tlob.Manager (watchers
 * match on that name).
 */
void manager_serving(Manager *m);

/*
 * Re-read drop-ins and reconcile the budget list; rebinding as needed.
 * Asynchronous (systemd is asked which units template drop-ins apply
 * to): when @call is not NULL, that Reload() call is answered once done.
 * A reload asked for while one runs is made once that ended; any number
 * of them make one. Returns 0, or a negative errno when it could not
 * start (then @call is not answered).
 */
int manager_reload(Manager *m, sd_bus_message *call);

Budget *manager_find_budget(Manager *m, const char *id);
Budget *manager_find_budget_by_cookie(Manager *m, uint64_t cookie);
Budget *manager_find_budget_by_probe(Manager *m, const char *unit,
				     const char *probe);

/*
 * AddBudget(), input validated: once systemd said whether the unit exists
 * and what its executable is, resolves the probe, writes the drop-in,
 * adds and binds the budget, and answers @call with its id or an
 * org.tlob.Error. Returns 0 when that is under way, or a negative errno
 * with @error set when @call can be failed at once.
 */
int manager_add_budget(Manager *m, sd_bus_message *call, const char *unit,
		       const char *probe, uint64_t budget_ns, bool runtime,
		       const char *description, bool cause,
		       const TlobActions *actions, sd_bus_error *error);
int manager_remove_budget(Manager *m, Budget *b, sd_bus_error *error);

/* Bind/unbind every budget of @u after its state changed. */
void manager_unit_changed(Manager *m, Unit *u);

/* Does a drop-in of a prefix or type apply to @unit? */
bool manager_unit_wanted(Manager *m, const char *unit);

/* systemd finished reloading: re-read the drop-ins. */
void manager_systemd_reloaded(Manager *m);

#endif /* TLOB_MANAGER_H */
