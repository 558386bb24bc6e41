// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Property dictionaries of org.tlob.Manager, see props.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "bus-dict.h"
#include "macro.h"
#include "props.h"

void prop_list_done(PropList *l)
{
	for (size_t i = 0; i < l->n; i++) {
		Prop *p = &l->props[i];

		free(p->name);
		free(p->str);
		free(p->pairs);
		for (char **s = p->strv; s && *s; s++)
			free(*s);
		free(p->strv);
		for (size_t j = 0; j < p->n_items; j++)
			prop_list_done(&p->items[j]);
		free(p->items);
	}
	l->props = mfree(l->props);
	l->n = 0;
}

const Prop *prop_find(const PropList *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->props[i].name, name))
			return &l->props[i];
	return NULL;
}

uint64_t prop_u64(const PropList *l, const char *name)
{
	const Prop *p = prop_find(l, name);

	return p && p->type == 't' ? p->u64 : 0;
}

static int read_hist_pairs(sd_bus_message *m, Prop *p)
{
	uint64_t upper, count;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "(tt)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(m, "(tt)", &upper, &count)) > 0) {
		TlobHistPair *n;

		if (p->n_pairs >= TLOB_HIST_BUCKETS)
			return -EBADMSG;
		n = reallocarray(p->pairs, p->n_pairs + 1, sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->pairs = n;
		p->pairs[p->n_pairs++] = (TlobHistPair) { upper, count };
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* aa{sv}: a list of dictionaries. */
static int read_items(sd_bus_message *m, Prop *p)
{
	int r;

	r = sd_bus_message_enter_container(m, 'a', "a{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_peek_type(m, NULL, NULL)) > 0) {
		PropList *n = reallocarray(p->items, p->n_items + 1, sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->items = n;
		r = bus_read_props(m, &p->items[p->n_items]);
		if (r < 0)
			return r;
		p->n_items++;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* Reads the variant of the current dict entry into @p. */
/* a{st} (ActionsTaken...) as the text "NAME=COUNT NAME=COUNT". */
static int read_counts(sd_bus_message *m, Prop *p)
{
	char *s = NULL;
	size_t size = 0;
	FILE *f;
	const char *k;
	uint64_t v;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{st}");
	if (r < 0)
		return r;
	f = open_memstream(&s, &size);
	if (!f)
		return -ENOMEM;
	while ((r = sd_bus_message_read(m, "{st}", &k, &v)) > 0)
		fprintf(f, "%s%s=%" PRIu64, ftell(f) > 0 ? " " : "", k, v);
	if (fclose(f) != 0)
		r = -ENOMEM;
	p->type = 's';
	p->str = s;
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int read_variant(sd_bus_message *m, Prop *p)
{
	const char *contents, *s;
	uint32_t u32;
	int b, r;

	r = sd_bus_message_peek_type(m, NULL, &contents);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(m, 'v', contents);
	if (r < 0)
		return r;

	if (streq(contents, "s") || streq(contents, "o")) {
		r = sd_bus_message_read_basic(m, contents[0], &s);
		if (r >= 0) {
			p->type = 's';
			p->str = strdup(s);
			if (!p->str)
				r = -ENOMEM;
		}
	} else if (streq(contents, "t")) {
		r = sd_bus_message_read_basic(m, 't', &p->u64);
		p->type = 't';
	} else if (streq(contents, "u")) {
		r = sd_bus_message_read_basic(m, 'u', &u32);
		p->type = 't';
		p->u64 = u32;
	} else if (streq(contents, "b")) {
		r = sd_bus_message_read_basic(m, 'b', &b);
		p->type = 'b';
		p->u64 = !!b;
	} else if (streq(contents, "a(tt)")) {
		r = read_hist_pairs(m, p);
		p->type = 'h';
	} else if (streq(contents, "as")) {
		r = sd_bus_message_read_strv(m, &p->strv);
		p->type = 'S';
	} else if (streq(contents, "aa{sv}")) {
		r = read_items(m, p);
		p->type = 'L';
	} else if (streq(contents, "a{st}")) {
		r = read_counts(m, p);
	} else {
		r = sd_bus_message_skip(m, contents);
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int add_prop(sd_bus_message *m, const char *name, void *userdata)
{
	PropList *l = userdata;
	Prop *n;
	int r;

	n = reallocarray(l->props, l->n + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->props = n;
	n = &l->props[l->n++];
	*n = (Prop) { .name = strdup(name) };
	if (!n->name)
		return -ENOMEM;
	r = read_variant(m, n);
	return r < 0 ? r : 1;
}

int bus_read_props(sd_bus_message *m, PropList *ret)
{
	_cleanup_(prop_list_done) PropList l = {};
	int r;

	r = bus_read_dict(m, add_prop, &l);
	if (r < 0)
		return r;
	*ret = l;
	l = (PropList) {};
	return 0;
}

/* "BudgetNSec" -> "budget_nsec", "StopOnReturn" -> "stop_on_return". */
char *prop_snake_case(const char *s)
{
	char *ret = malloc(strlen(s) * 2 + 1), *p = ret;

	if (!ret)
		return NULL;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z') {
			/* Also "UserIPExact" -> "user_ip_exact", but
			 * "BudgetNSec" -> "budget_nsec". */
			if (i > 0 && ((s[i - 1] >= 'a' && s[i - 1] <= 'z') ||
				      (s[i - 1] >= '0' && s[i - 1] <= '9') ||
				      (i > 1 && isupper((unsigned char)s[i - 1]) &&
				       isupper((unsigned char)s[i - 2]) &&
				       islower((unsigned char)s[i + 1]))))
				*p++ = '_';
			c = c - 'A' + 'a';
		}
		*p++ = c;
	}
	*p = 0;
	return ret;
}

const char *prop_label(const char *name)
{
	static const struct {
		const char *name, *label;
	} labels[] = {
		{ "Id", "ID" },
		{ "BudgetNSec", "Budget" },
		{ "SumNSec", "Total time" },
		{ "MaxNSec", "Max" },
		{ "StartOffset", "Start offset" },
		{ "StopOffset", "Stop offset" },
		{ "StopOnReturn", "Stop on return" },
		{ "BudgetCount", "Budgets" },
		{ "RefusedBudgets", "Refused budgets" },
		{ "ViolationCount", "Violations" },
		{ "DroppedEvents", "Dropped events" },
		{ "SelfViolationCount", "Self-instrumented" },
		{ "SuppressedViolations", "Withheld by kernel" },
		{ "BindingId", "Binding" },
		{ "ControlGroup", "Control group" },
		{ "ActionsTaken", "Actions taken" },
		{ "ActionsSuppressed", "Suppressed" },
	};

	for (size_t i = 0; i < ELEMENTSOF(labels); i++)
		if (streq(labels[i].name, name))
			return labels[i].label;
	return name;
}

/* How a property is shown to humans; JSON always has the raw value. */
TableType prop_table_type(const Prop *p)
{
	switch (p->type) {
	case 's':
		return TABLE_STRING;
	case 'b':
		return TABLE_BOOL;
	case 'h':
		return TABLE_PAIRS;
	default:
		if (streq(p->name, "BudgetNSec"))
			return TABLE_TIMESPAN;
		if (endswith(p->name, "NSec"))
			return TABLE_DURATION;
		if (endswith(p->name, "Offset") || streq(p->name, "Cookie"))
			return TABLE_HEX;
		return TABLE_U64;
	}
}

static bool prop_in_table(const Prop *p)
{
	return !IN_SET(p->type, 'S', 'L');
}

/* Columns for @l, named in snake_case for JSON; histograms JSON only. */
int table_add_prop_columns(Table *t, const PropList *l)
{
	int r;

	for (size_t i = 0; i < l->n; i++) {
		const Prop *p = &l->props[i];
		_cleanup_free_ char *key = NULL;

		if (!prop_in_table(p))
			continue;
		key = prop_snake_case(p->name);
		if (!key)
			return -ENOMEM;
		r = table_add_column(t, p->type == 'h' ? NULL : prop_label(p->name),
				     key, prop_table_type(p), 0);
		if (r < 0)
			return r;
	}
	return 0;
}

int table_add_prop_cells(Table *t, const PropList *l)
{
	int r;

	for (size_t i = 0; i < l->n; i++) {
		const Prop *p = &l->props[i];

		if (!prop_in_table(p))
			continue;
		switch (p->type) {
		case 's':
			r = table_add_string(t, p->str);
			break;
		case 'b':
			r = table_add_bool(t, p->u64);
			break;
		case 'h': {
			_cleanup_free_ TablePair *pairs = NULL;

			if (p->n_pairs > 0) {
				pairs = calloc(p->n_pairs, sizeof(*pairs));
				if (!pairs)
					return -ENOMEM;
			}
			for (size_t j = 0; j < p->n_pairs; j++)
				pairs[j] = (TablePair) { p->pairs[j].upper_ns,
							 p->pairs[j].count };
			r = table_add_pairs(t, pairs, p->n_pairs);
			break;
		}
		default:
			r = table_add_u64(t, p->u64);
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

void json_write_prop_value(JsonWriter *w, const Prop *p)
{
	switch (p->type) {
	case 's':
		json_string(w, p->str);
		break;
	case 'b':
		json_bool(w, p->u64);
		break;
	case 't':
		json_u64(w, p->u64);
		break;
	case 'h':
		json_begin_array(w);
		for (size_t i = 0; i < p->n_pairs; i++) {
			json_begin_array(w);
			json_u64(w, p->pairs[i].upper_ns);
			json_u64(w, p->pairs[i].count);
			json_end_array(w);
		}
		json_end_array(w);
		break;
	case 'S':
		json_begin_array(w);
		for (char **s = p->strv; s && *s; s++)
			json_string(w, *s);
		json_end_array(w);
		break;
	case 'L':
		json_begin_array(w);
		for (size_t i = 0; i < p->n_items; i++)
			json_write_props(w, &p->items[i]);
		json_end_array(w);
		break;
	default:
		json_null(w);
		break;
	}
}

void json_write_props(JsonWriter *w, const PropList *l)
{
	json_begin_object(w);
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *key = prop_snake_case(l->props[i].name);

		json_key(w, key ?: l->props[i].name);
		json_write_prop_value(w, &l->props[i]);
	}
	json_end_object(w);
}
