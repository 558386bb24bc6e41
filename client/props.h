/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Property dictionaries (a{sv}) of org.tlob.Manager: the reply of
 * GetBudget and the manager's properties (Properties.GetAll), read into
 * a list of typed values and turned into table columns named in
 * snake_case, so that "status --json" has exactly the keys the manager
 * sends. Values of the types the API uses are kept (s, o, t, u, b,
 * a(tt), as, aa{sv}); others are skipped.
 */
#ifndef TLOBCTL_PROPS_H
#define TLOBCTL_PROPS_H

#include <stdint.h>

#include <systemd/sd-bus.h>

#include "json.h"
#include "table.h"
#include "tlob-hist.h"

typedef struct PropList PropList;

typedef struct Prop {
	char *name;
	char type;		/* 's', 't' (also for 'u'), 'b', 'h' (a(tt)),
				 * 'S' (as), 'L' (aa{sv}) */
	char *str;
	uint64_t u64;
	TlobHistPair *pairs;
	size_t n_pairs;
	char **strv;		/* 'S', NULL-ended */
	PropList *items;	/* 'L' */
	size_t n_items;
} Prop;

struct PropList {
	Prop *props;
	size_t n;
};

/* Reads an a{sv} at the current position of @m. -EBADMSG, -ENOMEM, ... */
int bus_read_props(sd_bus_message *m, PropList *ret);
void prop_list_done(PropList *l);

/*
 * @l as a JSON object, keys in snake_case, values raw (as the tables'
 * JSON): lists of strings and of dictionaries as arrays.
 */
void json_write_props(JsonWriter *w, const PropList *l);
void json_write_prop_value(JsonWriter *w, const Prop *p);

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

/*
 * One column per property (histograms JSON only; lists, 'S' and 'L',
 * left out: json_write_props() has them), then one row of cells.
 */
int table_add_prop_columns(Table *t, const PropList *l);
int table_add_prop_cells(Table *t, const PropList *l);

#endif /* TLOBCTL_PROPS_H */
