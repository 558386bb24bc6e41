// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table printer of tlobctl, see table.h.
 */
#include <inttypes.h>

#include "macro.h"
#include "table.h"
#include "tlob-parse.h"

typedef struct TableColumn {
	char *header;
	char *json_key;
	TableType type;
	unsigned flags;
} TableColumn;

typedef struct TableCell {
	char *str;		/* TABLE_STRING */
	uint64_t u64;		/* numbers, TABLE_BOOL */
	TablePair *pairs;	/* TABLE_PAIRS */
	size_t n_pairs;
} TableCell;

struct Table {
	TableColumn *columns;
	size_t n_columns;
	TableCell *cells;	/* row-major */
	size_t n_cells;
	bool no_header;		/* table_set_header(t, false) */
};

/* Longest human form of one cell that is not a string. */
#define CELL_TEXT_MAX MAX(TLOB_TIMESPAN_MAX, 32)

Table *table_new(void)
{
	return calloc(1, sizeof(Table));
}

Table *table_free(Table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_cells; i++) {
		free(t->cells[i].str);
		free(t->cells[i].pairs);
	}
	free(t->cells);
	for (size_t i = 0; i < t->n_columns; i++) {
		free(t->columns[i].header);
		free(t->columns[i].json_key);
	}
	free(t->columns);
	return mfree(t);
}

int table_add_column(Table *t, const char *header, const char *json_key,
		     TableType type, unsigned flags)
{
	_cleanup_free_ char *h = NULL, *k = NULL;
	TableColumn *c;

	if (t->n_cells > 0)
		return -EBUSY;
	if (header) {
		h = strdup(header);
		if (!h)
			return -ENOMEM;
	}
	if (json_key) {
		k = strdup(json_key);
		if (!k)
			return -ENOMEM;
	}
	c = reallocarray(t->columns, t->n_columns + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->columns = c;
	t->columns[t->n_columns++] = (TableColumn) {
		.header = TAKE_PTR(h),
		.json_key = TAKE_PTR(k),
		.type = type,
		.flags = flags,
	};
	return 0;
}

/*
 * Room for the next cell, zeroed; -EINVAL if the column it falls in
 * does not hold values accepted by @ok (a programming error, refused
 * rather than printed as garbage), -ENOMEM.
 */
static int table_next_cell(Table *t, bool (*ok)(TableType), TableCell **ret)
{
	TableCell *c;

	if (t->n_columns == 0 || !ok(t->columns[t->n_cells % t->n_columns].type))
		return -EINVAL;
	c = reallocarray(t->cells, t->n_cells + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->cells = c;
	c = &t->cells[t->n_cells];
	*c = (TableCell) {};
	*ret = c;
	return 0;
}

static bool type_is_string(TableType type)
{
	return type == TABLE_STRING;
}

static bool type_is_number(TableType type)
{
	return type == TABLE_U64 || type == TABLE_HEX ||
	       type == TABLE_TIMESPAN || type == TABLE_DURATION;
}

static bool type_is_bool(TableType type)
{
	return type == TABLE_BOOL;
}

static bool type_is_pairs(TableType type)
{
	return type == TABLE_PAIRS;
}

int table_add_string(Table *t, const char *s)
{
	TableCell *c;
	char *copy;
	int r;

	r = table_next_cell(t, type_is_string, &c);
	if (r < 0)
		return r;
	copy = strdup(s ?: "");
	if (!copy)
		return -ENOMEM;
	c->str = copy;
	t->n_cells++;
	return 0;
}

int table_add_u64(Table *t, uint64_t v)
{
	TableCell *c;
	int r;

	r = table_next_cell(t, type_is_number, &c);
	if (r < 0)
		return r;
	c->u64 = v;
	t->n_cells++;
	return 0;
}

int table_add_bool(Table *t, bool b)
{
	TableCell *c;
	int r;

	r = table_next_cell(t, type_is_bool, &c);
	if (r < 0)
		return r;
	c->u64 = b;
	t->n_cells++;
	return 0;
}

int table_add_pairs(Table *t, const TablePair *pairs, size_t n)
{
	TableCell *c;
	int r;

	r = table_next_cell(t, type_is_pairs, &c);
	if (r < 0)
		return r;
	if (n > 0) {
		c->pairs = reallocarray(NULL, n, sizeof(*pairs));
		if (!c->pairs)
			return -ENOMEM;
		memcpy(c->pairs, pairs, n * sizeof(*pairs));
	}
	c->n_pairs = n;
	t->n_cells++;
	return 0;
}

size_t table_rows(const Table *t)
{
	return t->n_columns ? t->n_cells / t->n_columns : 0;
}

size_t table_columns(const Table *t)
{
	return t->n_columns;
}

static const TableCell *table_cell(const Table *t, size_t row, size_t col)
{
	return &t->cells[row * t->n_columns + col];
}

/* Human text of a cell: either a pointer to the cell's string or @buf. */
static const char *cell_text(const TableColumn *col, const TableCell *c,
			     char *buf, size_t size)
{
	switch (col->type) {
	case TABLE_STRING:
		return c->str;
	case TABLE_U64:
		snprintf(buf, size, "%" PRIu64, c->u64);
		return buf;
	case TABLE_HEX:
		snprintf(buf, size, "0x%" PRIx64, c->u64);
		return buf;
	case TABLE_BOOL:
		return c->u64 ? "yes" : "no";
	case TABLE_TIMESPAN:
		return tlob_format_timespan(buf, size, c->u64, TLOB_TIMESPAN_EXACT);
	case TABLE_DURATION:
		return tlob_format_timespan(buf, size, c->u64, TLOB_TIMESPAN_SHORT);
	case TABLE_PAIRS:
		snprintf(buf, size, "%zu entries", c->n_pairs);
		return buf;
	}
	return "";
}

/* Display width: UTF-8 code points (tlobctl prints no wide characters). */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool column_is_human(const TableColumn *col)
{
	return col->header != NULL;
}

void table_set_header(Table *t, bool show)
{
	t->no_header = !show;
}

int table_print(const Table *t, FILE *f, bool color)
{
	_cleanup_free_ size_t *width = NULL;
	size_t rows = table_rows(t), last = 0;
	char buf[CELL_TEXT_MAX];

	if (rows == 0)
		return 0;

	width = calloc(t->n_columns, sizeof(*width));
	if (!width)
		return -ENOMEM;
	for (size_t j = 0; j < t->n_columns; j++) {
		if (!column_is_human(&t->columns[j]))
			continue;
		last = j;
		width[j] = t->no_header ? 0 : text_width(t->columns[j].header);
		for (size_t i = 0; i < rows; i++) {
			const char *s = cell_text(&t->columns[j], table_cell(t, i, j),
						  buf, sizeof(buf));

			width[j] = MAX(width[j], text_width(s));
		}
	}

	for (ssize_t i = t->no_header ? 0 : -1; i < (ssize_t)rows; i++) {
		bool first = true;

		if (i < 0 && color)
			fputs("\x1b[4m", f);	/* underline the header line */
		for (size_t j = 0; j <= last; j++) {
			const TableColumn *col = &t->columns[j];
			const char *s;
			size_t pad;

			if (!column_is_human(col))
				continue;
			s = i < 0 ? col->header : cell_text(col, table_cell(t, i, j),
							    buf, sizeof(buf));
			pad = width[j] - text_width(s);
			if (!first)
				fputc(' ', f);
			first = false;
			if (col->flags & TABLE_ALIGN_RIGHT)
				fprintf(f, "%*s%s", (int)pad, "", s);
			else if (j == last && !(i < 0 && color))
				fputs(s, f);
			else
				fprintf(f, "%s%*s", s, (int)pad, "");
		}
		if (i < 0 && color)
			fputs("\x1b[0m", f);
		fputc('\n', f);
	}
	return 0;
}

/* Whether column @j of @row shows in the record form. */
static bool record_shows(const Table *t, size_t row, size_t j)
{
	const TableColumn *col = &t->columns[j];

	if (!column_is_human(col))
		return false;
	/* a field without a value says nothing */
	return col->type != TABLE_STRING || !isempty(table_cell(t, row, j)->str);
}

int table_print_record(const Table *t, size_t row, FILE *f)
{
	char buf[CELL_TEXT_MAX];
	size_t label = 0;

	if (row >= table_rows(t))
		return -ERANGE;
	for (size_t j = 0; j < t->n_columns; j++)
		if (record_shows(t, row, j))
			label = MAX(label, text_width(t->columns[j].header));

	for (size_t j = 0; j < t->n_columns; j++) {
		const TableColumn *col = &t->columns[j];

		if (!record_shows(t, row, j))
			continue;
		fprintf(f, "%*s%s: %s\n", (int)(label - text_width(col->header)), "",
			col->header,
			cell_text(col, table_cell(t, row, j), buf, sizeof(buf)));
	}
	return 0;
}

static void cell_json(const TableColumn *col, const TableCell *c, JsonWriter *w)
{
	switch (col->type) {
	case TABLE_STRING:
		json_string(w, c->str);
		break;
	case TABLE_U64:
	case TABLE_HEX:
	case TABLE_TIMESPAN:
	case TABLE_DURATION:
		json_u64(w, c->u64);
		break;
	case TABLE_BOOL:
		json_bool(w, c->u64);
		break;
	case TABLE_PAIRS:
		json_begin_array(w);
		for (size_t i = 0; i < c->n_pairs; i++) {
			json_begin_array(w);
			json_u64(w, c->pairs[i].a);
			json_u64(w, c->pairs[i].b);
			json_end_array(w);
		}
		json_end_array(w);
		break;
	}
}

void table_json_object(const Table *t, size_t row, JsonWriter *w)
{
	json_begin_object(w);
	for (size_t j = 0; j < t->n_columns; j++) {
		const TableColumn *col = &t->columns[j];

		if (!col->json_key || (col->flags & TABLE_HIDE_JSON))
			continue;
		json_key(w, col->json_key);
		cell_json(col, table_cell(t, row, j), w);
	}
	json_end_object(w);
}

void table_json_array(const Table *t, JsonWriter *w)
{
	json_begin_array(w);
	for (size_t i = 0; i < table_rows(t); i++)
		table_json_object(t, i, w);
	json_end_array(w);
}

static int cell_compare(const TableColumn *col, const TableCell *a,
			const TableCell *b)
{
	if (col->type == TABLE_STRING)
		return strcmp(a->str, b->str);
	if (col->type == TABLE_PAIRS)
		return (a->n_pairs > b->n_pairs) - (a->n_pairs < b->n_pairs);
	return (a->u64 > b->u64) - (a->u64 < b->u64);
}

void table_sort(Table *t, size_t column, size_t column2)
{
	size_t rows = table_rows(t), n = t->n_columns;

	if (column >= n || column2 >= n)
		return;
	/* insertion sort of whole rows: tables are short, and it is stable */
	for (size_t i = 1; i < rows; i++) {
		for (size_t k = i; k > 0; k--) {
			TableCell *a = &t->cells[(k - 1) * n], *b = &t->cells[k * n];
			int r = cell_compare(&t->columns[column], &a[column], &b[column]);

			if (r == 0)
				r = cell_compare(&t->columns[column2], &a[column2],
						 &b[column2]);
			if (r <= 0)
				break;
			for (size_t j = 0; j < n; j++) {
				TableCell tmp = a[j];

				a[j] = b[j];
				b[j] = tmp;
			}
		}
	}
}
