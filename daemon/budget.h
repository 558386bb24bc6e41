/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A budget: a unit, a probe and a time. Where it comes from is the
 * budget store's business (budget-store.h); this is the budget itself:
 * its life, how it is bound in the kernel and what it measured.
 *
 * All of "how a budget is bound" lives here (budget_bind()): what the
 * binding is limited to, with which cookie, and when it must be made
 * again (budget_sync()).
 */
#ifndef TLOB_BUDGET_H
#define TLOB_BUDGET_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <linux/tlob.h>

#include "elf-resolve.h"
#include "ratelimit.h"
#include "tlob-parse.h"

typedef struct Manager Manager;
typedef struct Unit Unit;
typedef struct Budget Budget;

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

/* Add the statistics of a binding @s (the kernel's) to @to. */
static inline void budget_stats_add(BudgetStats *to,
				    const struct tlob_binding_stats *s)
{
	to->windows += s->windows;
	to->violations += s->violations;
	to->sum_ns += s->sum_ns;
	to->max_ns = to->max_ns > s->max_ns ? to->max_ns : s->max_ns;
	for (unsigned i = 0; i < TLOB_HIST_BUCKETS; i++)
		to->hist[i] += s->hist[i];
}

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

/*
 * A budget of @unit_name (an rcstr, referenced) with @id and the canonical
 * probe @probe; the rest is the caller's to fill in. -EINVAL for a bad
 * probe, -ENOMEM.
 */
int budget_new(Manager *m, char *unit_name, const char *id, const char *probe,
	       Budget **ret);
Budget *budget_free(Budget *b);
static inline void budget_freep(Budget **b)
{
	budget_free(*b);
}

/* Statistics of @b: retired plus those of the current binding. */
void budget_get_stats(Budget *b, BudgetStats *ret);
bool budget_is_active(const Budget *b);
/* Resolve the offsets of an unbound budget, for display; errors ignored. */
void budget_refresh_offsets(Budget *b);

/*
 * Resolve @probe in @binary to file offsets, through @cache (may be
 * NULL). Never blocks: anything but a regular file is refused
 * (InvalidProbe) before it is opened. Returns the open fd, or a negative
 * errno with @error (if any) set to the org.tlob.Error for it.
 */
int budget_resolve_probe(TlobElfCache *cache, const TlobProbe *probe,
			 const char *binary, uint64_t *ret_start,
			 uint64_t *ret_stop, sd_bus_error *error);

/*
 * Bind @b for the tasks of cgroup @cgroup_id. Returns 0 or a negative
 * errno (with @error set when it is the caller's fault).
 */
int budget_bind(Budget *b, uint64_t cgroup_id, sd_bus_error *error);
/* Remove the binding of @b, keeping what it measured. */
void budget_unbind(Budget *b);
/* Make the binding of @b match the state of its unit. */
void budget_sync(Budget *b);
/* @error for a failed budget_bind(), if it did not set one; returns @r. */
int budget_bind_error(int r, sd_bus_error *error);

#endif /* TLOB_BUDGET_H */
