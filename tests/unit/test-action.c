// SPDX-License-Identifier: GPL-2.0-or-later
/* Action lists (TlobAction=, AddBudget's "action"): parsing, errors, text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>

#include "macro.h"
#include "tlob-action.h"

/* Parse @s from the default into the canonical text. */
static char *canonical(const char *s)
{
	TlobActions a = {};
	char *t;

	assert_int_equal(tlob_actions_parse(s, &a, NULL), 0);
	assert_int_equal(tlob_actions_format(&a, &t), 0);
	return t;
}

static void check(const char *in, const char *want)
{
	_cleanup_free_ char *t = canonical(in), *again = NULL;

	assert_string_equal(t, want);
	/* The canonical text parses to itself. */
	again = canonical(t);
	assert_string_equal(again, want);
}

static void test_canonical(void **state)
{
	check("", "log");
	check("log", "log");
	check("  log\tsnapshot ", "log snapshot");
	check("signal=SIGABRT", "log signal=SIGABRT");
	check("signal=quit", "log signal=SIGQUIT");
	check("signal=SigUsr1", "log signal=SIGUSR1");
	check("signal=6", "log signal=SIGABRT");
	check("signal=40", "log signal=40");
	check("restart", "log restart");
	check("restart=1/0", "log restart");
	check("restart=3", "log restart=3/0");
	check("restart=2/1min", "log restart=2/1min");
	check("stop=5/90s", "log stop=5/1min30s");
	check("snapshot stop restart=2/10s signal=TERM log",
	      "log signal=SIGTERM restart=2/10s snapshot");
}

static void test_add_up(void **state)
{
	TlobActions a = {};
	_cleanup_free_ char *t = NULL;

	assert_int_equal(tlob_actions_parse("signal=ABRT", &a, NULL), 0);
	assert_int_equal(tlob_actions_parse("restart=2/1min", &a, NULL), 0);
	assert_int_equal(tlob_actions_parse("signal=QUIT snapshot", &a, NULL), 0);
	assert_int_equal(a.mask, TLOB_ACTION_SIGNAL | TLOB_ACTION_RESTART |
				 TLOB_ACTION_SNAPSHOT);
	assert_int_equal(a.signal, SIGQUIT);
	assert_int_equal(a.unit_count, 2);
	assert_int_equal(a.unit_window_usec, 60000000);
	/* stop replaces restart. */
	assert_int_equal(tlob_actions_parse("stop", &a, NULL), 0);
	assert_int_equal(tlob_actions_format(&a, &t), 0);
	assert_string_equal(t, "log signal=SIGQUIT stop snapshot");
	/* Empty clears. */
	assert_int_equal(tlob_actions_parse(" ", &a, NULL), 0);
	assert_true(tlob_actions_is_default(&a));
}

static void check_bad(const char *in, const char *item, const char *why_part)
{
	TlobActions a = { .mask = TLOB_ACTION_SNAPSHOT };
	TlobActionError e = {};

	assert_int_equal(tlob_actions_parse(in, &a, &e), -EINVAL);
	assert_string_equal(e.item, item);
	assert_non_null(strstr(e.why, why_part));
	/* Untouched on failure. */
	assert_int_equal(a.mask, TLOB_ACTION_SNAPSHOT);
}

static void test_errors(void **state)
{
	check_bad("reboot", "reboot", "unknown action");
	check_bad("log bogus=1", "bogus=1", "unknown action");
	check_bad("log=1", "log=1", "unknown action");
	check_bad("snapshot=1", "snapshot=1", "unknown action");
	check_bad("signal", "signal", "expected signal=");
	check_bad("signal=", "signal=", "expected signal=");
	check_bad("signal=SIGFOO", "signal=SIGFOO", "unknown signal");
	check_bad("signal=0", "signal=0", "unknown signal");
	check_bad("signal=65", "signal=65", "unknown signal");
	check_bad("signal=KILL", "signal=KILL", "refused");
	check_bad("signal=SIGSTOP", "signal=SIGSTOP", "refused");
	check_bad("signal=9", "signal=9", "refused");
	check_bad("restart=", "restart=", "N/TIME");
	check_bad("restart=0/1s", "restart=0/1s", "N/TIME");
	check_bad("restart=101", "restart=101", "N/TIME");
	check_bad("restart=2/", "restart=2/", "N/TIME");
	check_bad("restart=2/1parsec", "restart=2/1parsec", "N/TIME");
	check_bad("stop=-1/1s", "stop=-1/1s", "N/TIME");
	check_bad("stop=1/2d", "stop=1/2d", "over 1 day");
	check_bad("log snapshot restart=x", "restart=x", "N/TIME");
}

static void test_signal_names(void **state)
{
	char buf[16];
	uint32_t s;

	assert_string_equal(tlob_signal_to_string(SIGABRT, buf, sizeof(buf)), "SIGABRT");
	assert_string_equal(tlob_signal_to_string(SIGUSR2, buf, sizeof(buf)), "SIGUSR2");
	assert_string_equal(tlob_signal_to_string(64, buf, sizeof(buf)), "64");
	assert_int_equal(tlob_signal_from_string("sigsegv", &s), 0);
	assert_int_equal(s, SIGSEGV);
	assert_int_equal(tlob_signal_from_string("64", &s), 0);
	assert_int_equal(s, 64);
	assert_int_equal(tlob_signal_from_string("SIG", &s), -EINVAL);
	assert_int_equal(tlob_signal_from_string("1x", &s), -EINVAL);
	assert_string_equal(tlob_action_name(TLOB_ACTION_SNAPSHOT), "snapshot");
	assert_null(tlob_action_name(1U << 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_add_up),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_signal_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
