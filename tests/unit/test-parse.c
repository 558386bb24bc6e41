// SPDX-License-Identifier: GPL-2.0-or-later
/* Time spans, probe specifications, TlobBudget= values, unit names, ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "tlob-parse.h"

static uint64_t span(const char *s)
{
	uint64_t v = 0;

	assert_int_equal(tlob_parse_timespan_ns(s, &v), 0);
	return v;
}

static void test_timespan_good(void **state)
{
	assert_int_equal(span("20ms"), 20 * NSEC_PER_MSEC);
	assert_int_equal(span("1s 20ms"), NSEC_PER_SEC + 20 * NSEC_PER_MSEC);
	assert_int_equal(span("1s20ms"), NSEC_PER_SEC + 20 * NSEC_PER_MSEC);
	assert_int_equal(span("1.5s"), 1500 * NSEC_PER_MSEC);
	assert_int_equal(span("500us"), 500 * NSEC_PER_USEC);
	assert_int_equal(span("500usec"), 500 * NSEC_PER_USEC);
	assert_int_equal(span("7\xc2\xb5s"), 7 * NSEC_PER_USEC);
	assert_int_equal(span("3ns"), 3);
	assert_int_equal(span("3 nsec"), 3);
	assert_int_equal(span("2"), 2 * NSEC_PER_SEC);
	assert_int_equal(span("  2min  "), 120 * NSEC_PER_SEC);
	assert_int_equal(span("1m"), 60 * NSEC_PER_SEC);
	assert_int_equal(span("1h 1m 1s 1ms 1us 1ns"),
			 3661 * NSEC_PER_SEC + NSEC_PER_MSEC + NSEC_PER_USEC + 1);
	assert_int_equal(span("0.000000001s"), 1);
	assert_int_equal(span("0.0000000019s"), 1);	/* truncated */
	assert_int_equal(span(".5ms"), 500 * NSEC_PER_USEC);
	assert_int_equal(span("1.ms"), NSEC_PER_MSEC);
	assert_int_equal(span("0"), 0);
	assert_int_equal(span("1d"), 86400 * NSEC_PER_SEC);
	assert_int_equal(span("1w"), 7 * 86400 * NSEC_PER_SEC);
	assert_int_equal(span("0.25ms 0.25ms"), 500 * NSEC_PER_USEC);
}

static void test_timespan_bad(void **state)
{
	static const char *const bad[] = {
		"", " ", "ms", "-1s", "+1s", "1x", "1 s s", "1..5s", ".s",
		"1.5.5s", "1s.5ms", "1ms,", "1e3ms", "0x10ms", "1mss", "1 m s", "abc",
		"1s\x01", "1S",
	};
	uint64_t v = 42;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		int r = tlob_parse_timespan_ns(bad[i], &v);

		if (r != -EINVAL)
			fail_msg("\"%s\" gave %d, expected -EINVAL", bad[i], r);
		assert_int_equal(v, 42);
	}
	assert_int_equal(tlob_parse_timespan_ns(NULL, &v), -EINVAL);
	assert_int_equal(tlob_parse_timespan_ns("18446744073709551616ns", &v),
			 -ERANGE);
	assert_int_equal(tlob_parse_timespan_ns("18446744073709551615ns", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(tlob_parse_timespan_ns("18446744073709551615ns 1ns", &v),
			 -ERANGE);
	assert_int_equal(tlob_parse_timespan_ns("100000000000y", &v), -ERANGE);
	assert_int_equal(tlob_parse_timespan_ns("584.6y", &v), -ERANGE);
}

static void test_timespan_format(void **state)
{
	static const struct {
		uint64_t ns;
		const char *s;
	} t[] = {
		{ 0, "0" },
		{ 20 * NSEC_PER_MSEC, "20ms" },
		{ NSEC_PER_SEC + 20 * NSEC_PER_MSEC, "1s 20ms" },
		{ 1500 * NSEC_PER_MSEC, "1s 500ms" },
		{ 500 * NSEC_PER_USEC, "500us" },
		{ 1, "1ns" },
		{ 3600 * NSEC_PER_SEC, "1h" },
		{ 90061 * NSEC_PER_SEC + 1, "1d 1h 1min 1s 1ns" },
	};
	char buf[TLOB_TIMESPAN_MAX];

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		uint64_t back;

		assert_string_equal(tlob_format_timespan(buf, sizeof(buf), t[i].ns,
							 TLOB_TIMESPAN_EXACT), t[i].s);
		assert_int_equal(tlob_parse_timespan_ns(buf, &back), 0);
		assert_int_equal(back, t[i].ns);
	}
	/* The longest value fits, and round-trips too. */
	tlob_format_timespan(buf, sizeof(buf), UINT64_MAX, TLOB_TIMESPAN_EXACT);
	assert_true(strlen(buf) < sizeof(buf) - 1);

	/* A short buffer truncates at a component, never overflows. */
	assert_string_equal(tlob_format_timespan(buf, 6, 1500 * NSEC_PER_MSEC,
						 TLOB_TIMESPAN_EXACT), "1s");
}

static void test_format_msec(void **state)
{
	static const struct {
		uint64_t ns;
		const char *s;
	} t[] = {
		{ 400000, "0.4ms" }, { 99500000, "99.5ms" }, { 49999, "0.0ms" },
		{ 50000, "0.1ms" }, { 1500 * NSEC_PER_MSEC, "1500.0ms" },
		{ 0, "0.0ms" },
	};
	char buf[32];

	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		assert_string_equal(tlob_format_timespan(buf, sizeof(buf), t[i].ns,
							 TLOB_TIMESPAN_MSEC), t[i].s);
}

static void test_format_short(void **state)
{
	static const struct {
		uint64_t ns;
		const char *s;
	} t[] = {
		{ 0, "0ns" }, { 999, "999ns" }, { 1000, "1.00us" },
		{ 1234, "1.23us" }, { 20123456, "20.1ms" },
		{ 999999999, "999ms" }, { 1500000000, "1.50s" },
		{ 3600 * NSEC_PER_SEC, "3600s" }, { UINT64_MAX, "18446744073s" },
	};
	char buf[64];

	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		assert_string_equal(tlob_format_timespan(buf, sizeof(buf), t[i].ns,
							 TLOB_TIMESPAN_SHORT), t[i].s);
	/* A short buffer is cut, never overrun. */
	assert_string_equal(tlob_format_timespan(buf, 3, 1234, TLOB_TIMESPAN_SHORT),
			    "1.");
}

static void test_budget_range(void **state)
{
	assert_false(tlob_budget_is_valid(0));
	assert_true(tlob_budget_is_valid(1));
	assert_true(tlob_budget_is_valid(3600 * NSEC_PER_SEC));
	assert_false(tlob_budget_is_valid(3600 * NSEC_PER_SEC + 1));
}

static void check_probe(const char *in, const char *path, const char *ssym,
			uint64_t soff, bool has_stop, const char *esym,
			uint64_t eoff, const char *canonical)
{
	TlobProbe p = {};
	char *out = NULL;

	if (tlob_probe_parse(in, &p) != 0)
		fail_msg("\"%s\" did not parse", in);
	assert_true(streq_ptr(p.path, path));
	assert_true(streq_ptr(p.start.symbol, ssym));
	assert_int_equal(p.start.offset, soff);
	assert_int_equal(p.has_stop, has_stop);
	assert_true(streq_ptr(p.stop.symbol, esym));
	assert_int_equal(p.stop.offset, eoff);
	assert_int_equal(tlob_probe_format(&p, &out), 0);
	assert_string_equal(out, canonical);
	tlob_probe_done(&p);
	/* The canonical form parses to the same canonical form. */
	assert_int_equal(tlob_probe_parse(out, &p), 0);
	free(out);
	assert_int_equal(tlob_probe_format(&p, &out), 0);
	assert_string_equal(out, canonical);
	free(out);
	tlob_probe_done(&p);
	assert_null(p.path);
}

static void test_probe_good(void **state)
{
	check_probe("main", NULL, "main", 0, false, NULL, 0, "main");
	check_probe("ngx_http_process_request_line", NULL,
		    "ngx_http_process_request_line", 0, false, NULL, 0,
		    "ngx_http_process_request_line");
	check_probe("/usr/lib/x86_64-linux-gnu/libc.so.6:getaddrinfo",
		    "/usr/lib/x86_64-linux-gnu/libc.so.6", "getaddrinfo", 0,
		    false, NULL, 0,
		    "/usr/lib/x86_64-linux-gnu/libc.so.6:getaddrinfo");
	check_probe("start..stop", NULL, "start", 0, true, "stop", 0,
		    "start..stop");
	check_probe("f+0x10..f+32", NULL, "f", 0x10, true, "f", 32,
		    "f+0x10..f+0x20");
	check_probe("0x1A2b", NULL, NULL, 0x1a2b, false, NULL, 0, "0x1a2b");
	check_probe("/bin/a:b:0x10..0x20", "/bin/a:b", NULL, 0x10, true, NULL,
		    0x20, "/bin/a:b:0x10..0x20");
	check_probe("/opt/x..y/app:run", "/opt/x..y/app", "run", 0, false,
		    NULL, 0, "/opt/x..y/app:run");
	check_probe("foo.cold..$x", NULL, "foo.cold", 0, true, "$x", 0,
		    "foo.cold..$x");
	check_probe("_ZN3app7handlerEv+0", NULL, "_ZN3app7handlerEv", 0, false,
		    NULL, 0, "_ZN3app7handlerEv");
	check_probe("a+0xffffffffffffffff", NULL, "a", UINT64_MAX, false, NULL,
		    0, "a+0xffffffffffffffff");
}

static void test_probe_bad(void **state)
{
	static const char *const bad[] = {
		"", " ", "main ", " main", "ma in", "1main", "main..",
		"..stop", "a..b..c", "a...b", ".start", "end.", "a.+0x1..b", "rel/path:main", "bin:main",
		"/:main", "/bin/:main", "/bin/app:", "/bin/app", "/bin/app:..x",
		"main+", "main+x", "main+0x", "main+-1", "main+0x10+1",
		"0x", "0xg", "0x10000000000000000", "main+18446744073709551616",
		"ma;in", "ma-in", "main\n", "ma\tin", "+0x10", "main@GLIBC",
		"\xc3\xa9t\xc3\xa9",
	};
	TlobProbe p = {};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		int r = tlob_probe_parse(bad[i], &p);

		if (r != -EINVAL)
			fail_msg("\"%s\" gave %d, expected -EINVAL", bad[i], r);
		assert_null(p.path);
		assert_null(p.start.symbol);
	}
	assert_int_equal(tlob_probe_parse(NULL, &p), -EINVAL);
}

static void test_probe_long(void **state)
{
	char *s = malloc(TLOB_PROBE_MAX + 16);
	TlobProbe p = {};

	assert_non_null(s);
	/* A path longer than PATH_MAX. */
	s[0] = '/';
	memset(s + 1, 'a', TLOB_PROBE_MAX - 10);
	strcpy(s + TLOB_PROBE_MAX - 9, ":main");
	assert_int_equal(tlob_probe_parse(s, &p), -EINVAL);
	/* Over the total limit. */
	memset(s, 'a', TLOB_PROBE_MAX + 4);
	s[TLOB_PROBE_MAX + 4] = 0;
	assert_int_equal(tlob_probe_parse(s, &p), -EINVAL);
	free(s);
}

static void test_budget_value(void **state)
{
	char *probe = NULL;
	uint64_t ns = 0;

	assert_int_equal(tlob_parse_budget_value("ngx_http_process_request_line 20ms",
						 &probe, &ns), 0);
	assert_string_equal(probe, "ngx_http_process_request_line");
	assert_int_equal(ns, 20 * NSEC_PER_MSEC);
	free(probe);

	assert_int_equal(tlob_parse_budget_value("  /lib/x.so:f+16..g   1s 20ms ",
						 &probe, &ns), 0);
	assert_string_equal(probe, "/lib/x.so:f+0x10..g");
	assert_int_equal(ns, NSEC_PER_SEC + 20 * NSEC_PER_MSEC);
	free(probe);

	probe = NULL;
	assert_int_equal(tlob_parse_budget_value("main", &probe, &ns), -EBADMSG);
	assert_int_equal(tlob_parse_budget_value("main   ", &probe, &ns), -EBADMSG);
	assert_int_equal(tlob_parse_budget_value("", &probe, &ns), -EBADMSG);
	assert_int_equal(tlob_parse_budget_value("1main 20ms", &probe, &ns),
			 -EBADMSG);
	assert_int_equal(tlob_parse_budget_value("main 20 parsecs", &probe, &ns),
			 -EINVAL);
	assert_int_equal(tlob_parse_budget_value("main 0", &probe, &ns), -ERANGE);
	assert_int_equal(tlob_parse_budget_value("main 1h 1ns", &probe, &ns),
			 -ERANGE);
	assert_int_equal(tlob_parse_budget_value("main 99999999999999999999y",
						 &probe, &ns), -ERANGE);
	assert_null(probe);
}

static void test_unit_names(void **state)
{
	static const char *const good[] = {
		"nginx.service", "a-b-c.service", "foo@bar.service",
		"foo@.service", "x.socket", "-.mount", "sys-kernel.mount",
		"a\\x2db.service", "user@1000.service", "a:b.timer",
	};
	static const char *const bad[] = {
		"", "nginx", "nginx.", ".service", "nginx.srvice", "a b.service",
		"a/b.service", "@.service", "a@b@c.service", "a\nb.service",
		"nginx.service.d",
	};
	char big[300];

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		if (!tlob_unit_name_is_valid(good[i]))
			fail_msg("\"%s\" rejected", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (tlob_unit_name_is_valid(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_false(tlob_unit_name_is_valid(NULL));
	assert_false(tlob_unit_name_is_concrete("foo@.service"));
	assert_true(tlob_unit_name_is_concrete("foo@x.service"));

	memset(big, 'a', sizeof(big));
	strcpy(big + 247, ".service");
	assert_true(tlob_unit_name_is_valid(big));	/* 255 characters */
	memset(big, 'a', sizeof(big));
	strcpy(big + 248, ".service");
	assert_false(tlob_unit_name_is_valid(big));
}

static void test_budget_ids(void **state)
{
	assert_true(tlob_budget_id_is_valid("a1b2c3d4"));
	assert_true(tlob_budget_id_is_valid("my-budget_1"));
	assert_false(tlob_budget_id_is_valid(""));
	assert_false(tlob_budget_id_is_valid(NULL));
	assert_false(tlob_budget_id_is_valid("A1"));
	assert_false(tlob_budget_id_is_valid("../etc"));
	assert_false(tlob_budget_id_is_valid("a b"));
	assert_false(tlob_budget_id_is_valid(
		"0123456789012345678901234567890123456789012345678901234567890123x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timespan_good),
		cmocka_unit_test(test_timespan_bad),
		cmocka_unit_test(test_timespan_format),
		cmocka_unit_test(test_format_msec),
		cmocka_unit_test(test_format_short),
		cmocka_unit_test(test_budget_range),
		cmocka_unit_test(test_probe_good),
		cmocka_unit_test(test_probe_bad),
		cmocka_unit_test(test_probe_long),
		cmocka_unit_test(test_budget_value),
		cmocka_unit_test(test_unit_names),
		cmocka_unit_test(test_budget_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
