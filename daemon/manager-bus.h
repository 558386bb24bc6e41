/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.tlob.Manager on the system bus (see manager-bus.c).
 */
#ifndef TLOB_MANAGER_BUS_H
#define TLOB_MANAGER_BUS_H

#include <linux/tlob.h>

#include "budget.h"

/* Connect to the system bus and serve the object. */
int manager_bus_setup(Manager *m);
/*
 * Take the bus name, once the budgets are loaded (callers see them all
 * from their first call); then send READY=1. Failing, it ends the loop.
 */
int manager_bus_request_name(Manager *m);
/*
 * The Violation signal of @ev (of @b, NULL for none) in @unit; its
 * timestamp_usec is @realtime_usec, the expiry in CLOCK_REALTIME µs.
 */
int manager_emit_violation(Manager *m, const Budget *b, const char *unit,
			   const struct tlob_event *ev, uint64_t realtime_usec);
/*
 * The ViolationCause signal of @ev, right after its Violation: @cause as
 * an a{sv} (cause_append_bus()).
 */
int manager_emit_violation_cause(Manager *m, const Budget *b,
				 const char *unit, const struct tlob_event *ev,
				 uint64_t realtime_usec, const Cause *cause);
/* BudgetCount or RefusedBudgets changed (also the unit's STATUS=). */
void manager_emit_budget_count_changed(Manager *m);
/*
 * ViolationCount or DroppedEvents (as flagged in @m) changed: one
 * PropertiesChanged follows once the events at hand are handled, however
 * many there are.
 */
void manager_counters_changed(Manager *m);

#endif /* TLOB_MANAGER_BUS_H */
