/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One printer for tlobctl's output: a table of typed cells shown either
 * as a human table (columns sized to their content, like systemctl's),
 * as "Label: value" lines for a single record, or as JSON (an array of
 * objects, or one object) with the columns' JSON keys.
 *
 * Cells are appended row by row, left to right. Columns without a header
 * only appear in JSON; columns with TABLE_HIDE_JSON only in the human
 * forms.
 */
#ifndef TLOBCTL_TABLE_H
#define TLOBCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

typedef enum TableType {
	TABLE_STRING,
	TABLE_U64,
	TABLE_HEX,		/* u64, human form 0x… */
	TABLE_BOOL,		/* human form yes/no */
	TABLE_TIMESPAN,		/* u64 ns, human form "1s 20ms" (exact) */
	TABLE_DURATION,		/* u64 ns, human form "20.1ms" (3 digits) */
	TABLE_PAIRS,		/* array of (u64, u64), JSON [[a,b],...] */
} TableType;

enum {
	TABLE_ALIGN_RIGHT = 1 << 0,
	TABLE_HIDE_JSON = 1 << 1,
};

typedef struct TablePair {
	uint64_t a, b;
} TablePair;

typedef struct Table Table;

Table *table_new(void);
Table *table_free(Table *t);
static inline void table_freep(Table **t)
{
	if (*t)
		table_free(*t);
}

/*
 * Adds a column; @header is the human header or label (NULL: JSON only),
 * @json_key the JSON key (NULL: human only). Returns 0 or -ENOMEM;
 * all columns must be added before the first cell.
 */
int table_add_column(Table *t, const char *header, const char *json_key,
		     TableType type, unsigned flags);

int table_add_string(Table *t, const char *s);
int table_add_u64(Table *t, uint64_t v);
int table_add_bool(Table *t, bool b);
/* Copies @n pairs. */
int table_add_pairs(Table *t, const TablePair *pairs, size_t n);

size_t table_rows(const Table *t);
size_t table_columns(const Table *t);

/* Sorts the rows by the string or number in @column, ties by @column2. */
void table_sort(Table *t, size_t column, size_t column2);

/* Whether table_print() prints the header line (default: yes). */
void table_set_header(Table *t, bool show);

/*
 * Human table: headers (underlined when @color), then one line per row;
 * the last column is not padded. Prints nothing when the table is empty.
 */
int table_print(const Table *t, FILE *f, bool color);
/* "Label: value" lines of row @row, labels right-aligned; empty strings are left out. */
int table_print_record(const Table *t, size_t row, FILE *f);

/* JSON: an array with one object per row; or row @row as one object. */
void table_json_array(const Table *t, JsonWriter *w);
void table_json_object(const Table *t, size_t row, JsonWriter *w);

#endif /* TLOBCTL_TABLE_H */
