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
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <linux/tlob.h>

#include "cause.h"
#include "elf-resolve.h"
#include "ratelimit.h"
#include "tlob-action.h"
#include "tlob-parse.h"

typedef struct Manager Manager;
typedef struct ActionState ActionState;
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

/* A violation of a budget, for GetBudget's LastViolations. */
typedef struct BudgetViolation {
	struct tlob_event ev;
	uint64_t realtime_usec;
	Cause *cause;			/* NULL: none captured */
} BudgetViolation;

#define BUDGET_HISTORY_MAX 4
typedef struct BudgetHistory {
	BudgetViolation v[BUDGET_HISTORY_MAX];
	unsigned n, next;		/* next: the slot to write */
} BudgetHistory;

/*
 * A budget. Kept small, as a daemon may hold a thousand: the strings its
 * unit's other budgets have too are shared (rcstr.h), its own ones (id,
 * probe) live in the same allocation, the parsed probe is not kept (it is
 * parsed again to bind).
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
	bool cause;			/* TlobCause=, capture causes */
	/*
	 * Its bindings' cookie: a function of id, unit, probe and budget
	 * only, so that a restarted manager knows the bindings it finds,
	 * and records of an earlier binding still tell whose they are.
	 */
	uint64_t cookie;

	/* Where it is bound, while it is (binding_id != 0). */
	bool stop_on_return;
	bool bound_cause;		/* made with TLOB_BIND_CAUSE */
	uint32_t binding_id;
	char *binary;			/* resolved ELF path, rcstr; NULL for a
					 * binding adopted and not checked yet */
	uint64_t start_offset;
	uint64_t stop_offset;
	char *cgroup_path;		/* the binding's cgroup path, rcstr */
	uint64_t dev, ino;		/* the probed file */
	int bind_error;			/* last failure to bind, for logs */
	uint32_t last_pid;		/* of the last violation */
	BudgetHistory *history;		/* NULL until it has violations */
	uint32_t bound_signal;		/* the binding's signal, 0: none */

	/* TlobAction= (actions.h); @act only with other actions than log. */
	TlobActions actions;
	ActionState *act;

	RateLimit ratelimit;
	sd_event_source *ratelimit_source;	/* logs the summary */

	char text[];			/* "ID\0PROBE\0[PATH\0]" */
};

/*
 * A budget of @unit_name (an rcstr, referenced) with @id, the canonical
 * probe @probe and @budget_ns; the rest is the caller's to fill in.
 * -EINVAL for a bad probe, -ENOMEM.
 */
int budget_new(Manager *m, char *unit_name, const char *id, const char *probe,
	       uint64_t budget_ns, Budget **ret);
Budget *budget_free(Budget *b);
static inline void budget_freep(Budget **b)
{
	budget_free(*b);
}

/*
 * Give @b the actions @a. Returns 1 when the kernel's part (the signal)
 * changed, so that its binding must be made again, 0 if not, -ENOMEM.
 */
int budget_set_actions(Budget *b, const TlobActions *a);
void budget_actions_free(Budget *b);

/* The cookie of a budget (never 0); @salt tells apart clashing ones. */
uint64_t budget_cookie(const char *id, const char *unit, const char *probe,
		       uint64_t budget_ns, unsigned salt);

/* Statistics of @b: of its earlier bindings plus its current one's. */
void budget_get_stats(Budget *b, BudgetStats *ret);
/*
 * Remember violation @ev of @b (at @realtime_usec) with @cause (taken,
 * may be NULL) among its last BUDGET_HISTORY_MAX; -ENOMEM (@cause is
 * freed).
 */
int budget_note_violation(Budget *b, const struct tlob_event *ev,
			  uint64_t realtime_usec, Cause *cause);
/* The @i-th last violation of @b (0: the newest), NULL past the last. */
const BudgetViolation *budget_last_violation(const Budget *b, unsigned i);

/* Bound, and its unit (a template: an instance) is running. */
bool budget_is_active(const Budget *b);
/* Resolve the offsets of an unbound budget, for display; errors ignored. */
void budget_refresh_offsets(Budget *b);

/*
 * Resolve @probe in @binary to file offsets, through @cache (may be
 * NULL). Never blocks: anything but a regular file is refused
 * (InvalidProbe) before it is opened. Returns the open fd (with @ret_st
 * its stat, if not NULL), or a negative errno with @error (if any) set to
 * the org.tlob.Error for it.
 */
int budget_resolve_probe(TlobElfCache *cache, const TlobProbe *probe,
			 const char *binary, uint64_t *ret_start,
			 uint64_t *ret_stop, struct stat *ret_st,
			 sd_bus_error *error);

/*
 * Bind @b as its unit says: to the cgroup path of the unit, whether it
 * runs or not, in its ELF file as it is now. A binding that measures
 * exactly that is kept; one that does not (a new inode of the file, other
 * offsets, another cgroup path) is replaced, the new one made before the
 * old one is removed. Returns 0 or a negative errno (with @error set when
 * it is the caller's fault).
 */
int budget_bind(Budget *b, sd_bus_error *error);
/* Remove the binding of @b, keeping what it measured in the state. */
void budget_unbind(Budget *b);
/*
 * Remove binding @id with @b's cookie that is not @b's current one (a
 * second one found at adoption), keeping what it measured.
 */
void budget_retire(Budget *b, uint32_t id);
/* Forget @b: remove its binding and what its bindings measured. */
void budget_forget(Budget *b);
/* Make the binding of @b match its unit; failures are logged once. */
void budget_sync(Budget *b);
/* @error for a failed budget_bind(), if it did not set one; returns @r. */
int budget_bind_error(int r, sd_bus_error *error);

/*
 * Take over binding @id (found on the fd a predecessor kept in the fd
 * store), which @info says has @b's cookie: kept if it measures what @b
 * would (its threshold, flags and cgroup path), checked against the file
 * (and its signal against @b's actions) at the next budget_sync(). Returns 0, or -ESTALE if it does not match.
 */
int budget_adopt(Budget *b, uint32_t id, const struct tlob_binding_info *info,
		 const char *cgroup_path);

#endif /* TLOB_BUDGET_H */
