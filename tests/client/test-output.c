// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlobctl's output code: the JSON writer, the table printer (human table,
 * records, JSON) and the log2 histogram.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hist.h"
#include "json.h"
#include "macro.h"
#include "props.h"
#include "table.h"

/* An in-memory FILE; the text is in ->buf after capture_end(). */
typedef struct Capture {
	char *buf;
	size_t size;
	FILE *f;
} Capture;

static void capture_begin(Capture *c)
{
	*c = (Capture) {};
	c->f = open_memstream(&c->buf, &c->size);
	assert_non_null(c->f);
}

static const char *capture_end(Capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	return c->buf;
}

static void capture_done(Capture *c)
{
	if (c->f)
		fclose(c->f);
	free(c->buf);
}

static void test_json_format_from_string(void **state)
{
	JsonFormat f;

	assert_int_equal(json_format_from_string("short", &f), 0);
	assert_int_equal(f, JSON_SHORT);
	assert_int_equal(json_format_from_string("pretty", &f), 0);
	assert_int_equal(f, JSON_PRETTY);
	assert_int_equal(json_format_from_string("off", &f), 0);
	assert_int_equal(f, JSON_OFF);
	assert_int_equal(json_format_from_string("", &f), -EINVAL);
	assert_int_equal(json_format_from_string("Short", &f), -EINVAL);
	assert_int_equal(json_format_from_string("shortx", &f), -EINVAL);
}

static const char *escaped(Capture *c, const char *s)
{
	capture_begin(c);
	json_write_escaped(c->f, s);
	return capture_end(c);
}

static void test_json_escape(void **state)
{
	_cleanup_(capture_done) Capture c = {};

	assert_string_equal(escaped(&c, ""), "\"\"");
	capture_done(&c);
	assert_string_equal(escaped(&c, "a\"b\\c/"), "\"a\\\"b\\\\c/\"");
	capture_done(&c);
	assert_string_equal(escaped(&c, "\b\f\n\r\t\x01\x1f\x7f"),
			    "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"");
	capture_done(&c);
	/* valid UTF-8 passes through: é, €, U+1F600 */
	assert_string_equal(escaped(&c, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
			    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	capture_done(&c);
	/* stray continuation, truncated sequence, overlong, surrogate, > U+10FFFF */
	assert_string_equal(escaped(&c, "a\x80z"), "\"a\\ufffdz\"");
	capture_done(&c);
	assert_string_equal(escaped(&c, "\xe2\x82"), "\"\\ufffd\\ufffd\"");
	capture_done(&c);
	assert_string_equal(escaped(&c, "\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	capture_done(&c);
	assert_string_equal(escaped(&c, "\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");
	capture_done(&c);
	assert_string_equal(escaped(&c, "\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	capture_done(&c);
	assert_string_equal(escaped(&c, "\xf4\x90\x80\x80"),
			    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void write_sample(JsonWriter *w)
{
	json_begin_object(w);
	json_key(w, "a");
	json_u64(w, UINT64_MAX);
	json_key(w, "b");
	json_begin_array(w);
	json_bool(w, true);
	json_bool(w, false);
	json_null(w);
	json_begin_object(w);
	json_end_object(w);
	json_begin_array(w);
	json_end_array(w);
	json_end_array(w);
	json_key(w, "c");
	json_string(w, "x");
	json_end_object(w);
	json_finish(w);
}

static void test_json_short(void **state)
{
	_cleanup_(capture_done) Capture c = {};
	JsonWriter w;

	capture_begin(&c);
	json_writer_init(&w, c.f, JSON_SHORT);
	write_sample(&w);
	/* a second top-level value starts afresh, without a comma */
	json_string(&w, "next");
	json_finish(&w);
	assert_string_equal(capture_end(&c),
			    "{\"a\":18446744073709551615,\"b\":[true,false,null,{},[]],\"c\":\"x\"}\n"
			    "\"next\"\n");
}

static void test_json_pretty(void **state)
{
	_cleanup_(capture_done) Capture c = {};
	JsonWriter w;

	capture_begin(&c);
	json_writer_init(&w, c.f, JSON_PRETTY);
	write_sample(&w);
	assert_string_equal(capture_end(&c),
			    "{\n"
			    "  \"a\": 18446744073709551615,\n"
			    "  \"b\": [\n"
			    "    true,\n"
			    "    false,\n"
			    "    null,\n"
			    "    {},\n"
			    "    []\n"
			    "  ],\n"
			    "  \"c\": \"x\"\n"
			    "}\n");
}

/* A table like "tlobctl list" makes. */
static Table *sample_table(void)
{
	Table *t = table_new();

	assert_non_null(t);
	assert_int_equal(table_add_column(t, "ID", "id", TABLE_STRING, 0), 0);
	assert_int_equal(table_add_column(t, "UNIT", "unit", TABLE_STRING, 0), 0);
	assert_int_equal(table_add_column(t, "BUDGET", "budget_ns", TABLE_TIMESPAN,
					  TABLE_ALIGN_RIGHT), 0);
	assert_int_equal(table_add_column(t, "ACTIVE", "active", TABLE_BOOL, 0), 0);
	assert_int_equal(table_add_column(t, NULL, "hist", TABLE_PAIRS, 0), 0);
	assert_int_equal(table_add_column(t, "OFF", NULL, TABLE_HEX, 0), 0);

	assert_int_equal(table_add_string(t, "b2"), 0);
	assert_int_equal(table_add_string(t, "nginx.service"), 0);
	assert_int_equal(table_add_u64(t, 20 * NSEC_PER_MSEC), 0);
	assert_int_equal(table_add_bool(t, true), 0);
	assert_int_equal(table_add_pairs(t, (TablePair[]) { { 2, 1 }, { 4, 3 } }, 2), 0);
	assert_int_equal(table_add_u64(t, 0x12a0), 0);

	assert_int_equal(table_add_string(t, "a1"), 0);
	assert_int_equal(table_add_string(t, "app.service"), 0);
	assert_int_equal(table_add_u64(t, NSEC_PER_SEC + 20 * NSEC_PER_MSEC), 0);
	assert_int_equal(table_add_bool(t, false), 0);
	assert_int_equal(table_add_pairs(t, NULL, 0), 0);
	assert_int_equal(table_add_u64(t, 0), 0);
	return t;
}

static void test_table_types(void **state)
{
	_cleanup_(table_freep) Table *t = table_new();

	assert_non_null(t);
	/* no columns: nothing can be added */
	assert_int_equal(table_add_string(t, "x"), -EINVAL);
	assert_int_equal(table_add_column(t, "S", "s", TABLE_STRING, 0), 0);
	assert_int_equal(table_add_column(t, "N", "n", TABLE_DURATION, 0), 0);
	/* a cell of the wrong type for its column is refused */
	assert_int_equal(table_add_u64(t, 1), -EINVAL);
	assert_int_equal(table_add_bool(t, true), -EINVAL);
	assert_int_equal(table_add_string(t, NULL), 0);	/* NULL is "" */
	assert_int_equal(table_add_string(t, "x"), -EINVAL);
	assert_int_equal(table_add_u64(t, 1), 0);
	assert_int_equal(table_rows(t), 1);
	assert_int_equal(table_columns(t), 2);
	/* columns cannot be added once there are cells */
	assert_int_equal(table_add_column(t, "X", "x", TABLE_U64, 0), -EBUSY);
}

static void test_table_print(void **state)
{
	_cleanup_(table_freep) Table *t = sample_table();
	_cleanup_(capture_done) Capture c = {};

	capture_begin(&c);
	assert_int_equal(table_print(t, c.f, false), 0);
	assert_string_equal(capture_end(&c),
			    "ID UNIT           BUDGET ACTIVE OFF\n"
			    "b2 nginx.service    20ms yes    0x12a0\n"
			    "a1 app.service   1s 20ms no     0x0\n");
	capture_done(&c);

	table_sort(t, 1, 0);
	capture_begin(&c);
	assert_int_equal(table_print(t, c.f, true), 0);
	assert_string_equal(capture_end(&c),
			    "\x1b[4mID UNIT           BUDGET ACTIVE OFF   \x1b[0m\n"
			    "a1 app.service   1s 20ms no     0x0\n"
			    "b2 nginx.service    20ms yes    0x12a0\n");
}

/* Without the header (--no-legend): columns as wide as their cells only. */
static void test_table_print_no_header(void **state)
{
	_cleanup_(table_freep) Table *t = sample_table();
	_cleanup_(capture_done) Capture c = {};

	table_set_header(t, false);
	capture_begin(&c);
	assert_int_equal(table_print(t, c.f, true), 0);
	assert_string_equal(capture_end(&c),
			    "b2 nginx.service    20ms yes 0x12a0\n"
			    "a1 app.service   1s 20ms no  0x0\n");
	capture_done(&c);

	table_set_header(t, true);
	capture_begin(&c);
	assert_int_equal(table_print(t, c.f, false), 0);
	assert_string_equal(capture_end(&c),
			    "ID UNIT           BUDGET ACTIVE OFF\n"
			    "b2 nginx.service    20ms yes    0x12a0\n"
			    "a1 app.service   1s 20ms no     0x0\n");
}

static void test_table_print_empty(void **state)
{
	_cleanup_(table_freep) Table *t = table_new();
	_cleanup_(capture_done) Capture c = {};

	assert_int_equal(table_add_column(t, "ID", "id", TABLE_STRING, 0), 0);
	capture_begin(&c);
	assert_int_equal(table_print(t, c.f, true), 0);
	assert_string_equal(capture_end(&c), "");
	capture_done(&c);

	capture_begin(&c);
	assert_int_equal(table_print_record(t, 0, c.f), -ERANGE);
	capture_end(&c);
	capture_done(&c);

	capture_begin(&c);
	{
		JsonWriter w;

		json_writer_init(&w, c.f, JSON_SHORT);
		table_json_array(t, &w);
		json_finish(&w);
	}
	assert_string_equal(capture_end(&c), "[]\n");
}

static void test_table_record(void **state)
{
	_cleanup_(table_freep) Table *t = sample_table();
	_cleanup_(capture_done) Capture c = {};

	capture_begin(&c);
	assert_int_equal(table_print_record(t, 1, c.f), 0);
	assert_string_equal(capture_end(&c),
			    "    ID: a1\n"
			    "  UNIT: app.service\n"
			    "BUDGET: 1s 20ms\n"
			    "ACTIVE: no\n"
			    "   OFF: 0x0\n");
}

static void test_table_json(void **state)
{
	_cleanup_(table_freep) Table *t = sample_table();
	_cleanup_(capture_done) Capture c = {};
	JsonWriter w;

	capture_begin(&c);
	json_writer_init(&w, c.f, JSON_SHORT);
	table_json_array(t, &w);
	json_finish(&w);
	table_json_object(t, 0, &w);
	json_finish(&w);
	assert_string_equal(capture_end(&c),
			    "[{\"id\":\"b2\",\"unit\":\"nginx.service\",\"budget_ns\":20000000,"
			    "\"active\":true,\"hist\":[[2,1],[4,3]]},"
			    "{\"id\":\"a1\",\"unit\":\"app.service\",\"budget_ns\":1020000000,"
			    "\"active\":false,\"hist\":[]}]\n"
			    "{\"id\":\"b2\",\"unit\":\"nginx.service\",\"budget_ns\":20000000,"
			    "\"active\":true,\"hist\":[[2,1],[4,3]]}\n");
}

static void test_hist_bucket_of_bound(void **state)
{
	/* exclusive bounds as tlob-manager sends them, and inclusive ones */
	assert_int_equal(log2_hist_bucket_of_bound(0), 0);
	assert_int_equal(log2_hist_bucket_of_bound(1), 0);
	assert_int_equal(log2_hist_bucket_of_bound(2), 0);
	assert_int_equal(log2_hist_bucket_of_bound(3), 1);
	assert_int_equal(log2_hist_bucket_of_bound(4), 1);
	assert_int_equal(log2_hist_bucket_of_bound(1ULL << 21), 20);
	assert_int_equal(log2_hist_bucket_of_bound((1ULL << 21) - 1), 20);
	assert_int_equal(log2_hist_bucket_of_bound(1ULL << 39), 38);
	assert_int_equal(log2_hist_bucket_of_bound(1ULL << 40), 39);
	assert_int_equal(log2_hist_bucket_of_bound(UINT64_MAX), 39);
	/* every bound common/ produces maps back to its bucket */
	for (unsigned i = 0; i < TLOB_HIST_BUCKETS; i++)
		assert_int_equal(log2_hist_bucket_of_bound(tlob_hist_bucket_upper(i)), i);
}

static void test_hist_from_pairs(void **state)
{
	Log2Hist h = { .count = { 99 } };
	TlobHistPair pairs[] = {
		{ 2, 1 }, { 1ULL << 21, 7 }, { UINT64_MAX, 2 }, { 1ULL << 21, 1 },
	};

	assert_int_equal(log2_hist_from_pairs(pairs, ELEMENTSOF(pairs), &h), 0);
	assert_int_equal(h.count[0], 1);
	assert_int_equal(h.count[20], 8);
	assert_int_equal(h.count[39], 2);
	assert_int_equal(log2_hist_total(&h), 11);

	assert_int_equal(log2_hist_from_pairs(NULL, 0, &h), 0);
	assert_int_equal(log2_hist_total(&h), 0);

	pairs[3].count = UINT64_MAX;
	assert_int_equal(log2_hist_from_pairs(pairs, ELEMENTSOF(pairs), &h),
			 -EOVERFLOW);
}

static void test_hist_print(void **state)
{
	_cleanup_(capture_done) Capture c = {};
	Log2Hist h = {};

	capture_begin(&c);
	log2_hist_print(&h, c.f);
	assert_string_equal(capture_end(&c), "");
	capture_done(&c);

	h.count[10] = 4;
	h.count[12] = 1;
	capture_begin(&c);
	log2_hist_print(&h, c.f);
	assert_string_equal(capture_end(&c),
		"        nsecs                   : count    distribution\n"
		"         1024 -> 2047          : 4        |****************************************|\n"
		"         2048 -> 4095          : 0        |                                        |\n"
		"         4096 -> 8191          : 1        |**********                              |\n");
	capture_done(&c);

	memset(&h, 0, sizeof(h));
	h.count[0] = 1;
	h.count[39] = 2;
	capture_begin(&c);
	log2_hist_print(&h, c.f);
	capture_end(&c);
	assert_non_null(strstr(c.buf, "\n            0 -> 1             : 1        |********************                    |\n"));
	assert_non_null(strstr(c.buf, "\n 549755813888 -> inf           : 2        |****************************************|\n"));
	/* header + 40 buckets */
	{
		size_t lines = 0;

		for (const char *p = c.buf; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 41);
	}
}

static void check_snake(const char *in, const char *out)
{
	_cleanup_free_ char *s = prop_snake_case(in);

	assert_non_null(s);
	assert_string_equal(s, out);
}

static void test_prop_names(void **state)
{
	check_snake("BudgetNSec", "budget_nsec");
	check_snake("MaxNSec", "max_nsec");
	check_snake("StopOnReturn", "stop_on_return");
	check_snake("StartOffset", "start_offset");
	check_snake("Id", "id");
	check_snake("Histogram", "histogram");
	check_snake("ViolationCount", "violation_count");
	check_snake("Sha256Sum", "sha256_sum");
	/* The cause's keys: an abbreviation before a word, or at the end. */
	check_snake("UserIPExact", "user_ip_exact");
	check_snake("CPU", "cpu");
	check_snake("CurrentPID", "current_pid");
	check_snake("WakerFromIRQ", "waker_from_irq");
	check_snake("TimestampUSec", "timestamp_usec");
	check_snake("already_snake", "already_snake");
	check_snake("", "");

	assert_string_equal(prop_label("MaxNSec"), "Max");
	assert_string_equal(prop_label("DroppedEvents"), "Dropped events");
	assert_string_equal(prop_label("Unit"), "Unit");
}

static void test_prop_types(void **state)
{
	assert_int_equal(prop_table_type(&(Prop) { .name = (char *)"BudgetNSec", .type = 't' }),
			 TABLE_TIMESPAN);
	assert_int_equal(prop_table_type(&(Prop) { .name = (char *)"MaxNSec", .type = 't' }),
			 TABLE_DURATION);
	assert_int_equal(prop_table_type(&(Prop) { .name = (char *)"StopOffset", .type = 't' }),
			 TABLE_HEX);
	assert_int_equal(prop_table_type(&(Prop) { .name = (char *)"Windows", .type = 't' }),
			 TABLE_U64);
	assert_int_equal(prop_table_type(&(Prop) { .name = (char *)"Active", .type = 'b' }),
			 TABLE_BOOL);
	assert_int_equal(prop_table_type(&(Prop) { .name = (char *)"Unit", .type = 's' }),
			 TABLE_STRING);
	assert_int_equal(prop_table_type(&(Prop) { .name = (char *)"Histogram", .type = 'h' }),
			 TABLE_PAIRS);
}

static void test_prop_table(void **state)
{
	_cleanup_(table_freep) Table *t = table_new();
	_cleanup_(capture_done) Capture c = {};
	TlobHistPair pairs[] = { { 4, 2 } };
	Prop props[] = {
		{ .name = (char *)"Unit", .type = 's', .str = (char *)"a.service" },
		{ .name = (char *)"BudgetNSec", .type = 't', .u64 = 20 * NSEC_PER_MSEC },
		{ .name = (char *)"Active", .type = 'b', .u64 = 1 },
		{ .name = (char *)"Histogram", .type = 'h', .pairs = pairs, .n_pairs = 1 },
		{ .name = (char *)"Description", .type = 's', .str = (char *)"" },
	};
	PropList l = { .props = props, .n = ELEMENTSOF(props) };
	JsonWriter w;

	assert_int_equal(prop_u64(&l, "BudgetNSec"), 20 * NSEC_PER_MSEC);
	assert_int_equal(prop_u64(&l, "Unit"), 0);
	assert_int_equal(prop_u64(&l, "Nope"), 0);
	assert_null(prop_find(&l, "Nope"));

	assert_int_equal(table_add_prop_columns(t, &l), 0);
	assert_int_equal(table_add_prop_cells(t, &l), 0);
	capture_begin(&c);
	assert_int_equal(table_print_record(t, 0, c.f), 0);
	json_writer_init(&w, c.f, JSON_SHORT);
	table_json_object(t, 0, &w);
	json_finish(&w);
	assert_string_equal(capture_end(&c),
			    "  Unit: a.service\n"
			    "Budget: 20ms\n"
			    "Active: yes\n"
			    "{\"unit\":\"a.service\",\"budget_nsec\":20000000,\"active\":true,"
			    "\"histogram\":[[4,2]],\"description\":\"\"}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_format_from_string),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_short),
		cmocka_unit_test(test_json_pretty),
		cmocka_unit_test(test_table_types),
		cmocka_unit_test(test_table_print),
		cmocka_unit_test(test_table_print_no_header),
		cmocka_unit_test(test_table_print_empty),
		cmocka_unit_test(test_table_record),
		cmocka_unit_test(test_table_json),
		cmocka_unit_test(test_hist_bucket_of_bound),
		cmocka_unit_test(test_hist_from_pairs),
		cmocka_unit_test(test_hist_print),
		cmocka_unit_test(test_prop_names),
		cmocka_unit_test(test_prop_types),
		cmocka_unit_test(test_prop_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
