/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Property dictionaries (a{sv}) of org.tlob.Manager: the reply of
 * GetBudget and the manager's properties (Properties.GetAll), read into
 * a list of typed values and turned into table columns named in
 * snake_case, so that "status --json" has exactly the keys the manager
 * sends. Values of the types the API uses are kept (s, o, t, u, b,
 * a(tt)); others are skipped.
 */
#ifndef TLOBCTL_PROPS_H
#define TLOBCTL_PROPS_H

#include <stdint.h>

#include <systemd/sd-bus.h>

#include "table.h"
#include "tlob-hist.h"

typedef struct Prop {
	char *name;
	char type;		/* 's', 't' (also for 'u'), 'b', 'h' (a(tt)) */
	char *str;
	uint64_t u64;
	TlobHistPair *pairs;
	size_t n_pairs;
} Prop;

typedef struct PropList {
	Prop *props;
	size_t n;
} PropList;

/* Reads an a{sv} at the current position of @m. -EBADMSG, -ENOMEM, ... */
int bus_read_props(sd_bus_message *m, PropList *ret);
void prop_list_done(PropList *l);

/* NULL if there is no such property. */
const Prop *prop_find(const PropList *l, const char *name);
/* The number @name holds, 0 if none or not a number. */
uint64_t prop_u64(const PropList *l, const char *name);

/* "BudgetNSec" -> "budget_nsec", "StopOnReturn" -> "stop_on_return"; NULL on OOM. */
char *prop_snake_case(const char *s);
/* Label for humans: "MaxNSec" -> "Max"; unknown names as they are. */
const char *prop_label(const char *name);
/* Human form: *NSec durations, *Offset hex, BudgetNSec as a time span. */
TableType prop_table_type(const Prop *p);

/* One column per property (histograms JSON only), then one row of cells. */
int table_add_prop_columns(Table *t, const PropList *l);
int table_add_prop_cells(Table *t, const PropList *l);

#endif /* TLOBCTL_PROPS_H */
