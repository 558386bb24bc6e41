// SPDX-License-Identifier: GPL-2.0-or-later
/* The per-budget journal rate limit: 10 per 10 s, then a summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "ratelimit.h"

#define INTERVAL (10 * USEC_PER_SEC)

static void test_burst(void **state)
{
	RateLimit rl = RATELIMIT_INIT(INTERVAL, 10);
	uint64_t s = 99, now = 1000;

	for (unsigned i = 0; i < 10; i++) {
		assert_true(ratelimit_below(&rl, now + i, &s));
		assert_int_equal(s, 0);
	}
	for (unsigned i = 0; i < 990; i++)
		assert_false(ratelimit_below(&rl, now + 100 + i, &s));
	assert_int_equal(rl.suppressed, 990);
	/* Nothing to flush before the interval ends. */
	assert_int_equal(ratelimit_flush(&rl, now + INTERVAL - 1), 0);
	assert_int_equal(ratelimit_end(&rl), now + INTERVAL);

	/* Next interval: the first entry passes and hands the summary back. */
	assert_true(ratelimit_below(&rl, now + INTERVAL, &s));
	assert_int_equal(s, 990);
	assert_true(ratelimit_below(&rl, now + INTERVAL + 1, &s));
	assert_int_equal(s, 0);
}

static void test_flush(void **state)
{
	RateLimit rl = RATELIMIT_INIT(INTERVAL, 2);
	uint64_t s;

	assert_true(ratelimit_below(&rl, 5, &s));
	assert_true(ratelimit_below(&rl, 6, &s));
	assert_false(ratelimit_below(&rl, 7, &s));
	assert_false(ratelimit_below(&rl, 8, NULL));
	assert_int_equal(ratelimit_flush(&rl, 5 + INTERVAL), 2);
	/* Handed out once only. */
	assert_int_equal(ratelimit_flush(&rl, 5 + 2 * INTERVAL), 0);
	assert_true(ratelimit_below(&rl, 5 + 2 * INTERVAL, &s));
	assert_int_equal(s, 0);
}

static void test_no_suppression(void **state)
{
	RateLimit rl = RATELIMIT_INIT(INTERVAL, 10);
	uint64_t s;

	/* Spread-out entries are never limited. */
	for (unsigned i = 0; i < 100; i++) {
		assert_true(ratelimit_below(&rl, 1 + i * USEC_PER_SEC, &s));
		assert_int_equal(s, 0);
	}
	assert_int_equal(ratelimit_flush(&rl, UINT64_MAX), 0);
}

static void test_time_zero_and_backwards(void **state)
{
	RateLimit rl = RATELIMIT_INIT(INTERVAL, 1);
	uint64_t s;

	/* now == 0 must still open an interval. */
	assert_true(ratelimit_below(&rl, 0, &s));
	assert_false(ratelimit_below(&rl, 0, &s));
	/* A clock going backwards starts a new interval rather than stalling. */
	assert_true(ratelimit_below(&rl, 500 * USEC_PER_SEC, &s));
	assert_int_equal(s, 1);
	assert_true(ratelimit_below(&rl, 100, &s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_no_suppression),
		cmocka_unit_test(test_time_zero_and_backwards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
