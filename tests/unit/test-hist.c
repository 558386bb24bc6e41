// SPDX-License-Identifier: GPL-2.0-or-later
/* log2 histogram buckets and percentiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "tlob-hist.h"

static void test_bounds(void **state)
{
	assert_int_equal(tlob_hist_bucket_upper(0), 2);
	assert_int_equal(tlob_hist_bucket_upper(1), 4);
	assert_int_equal(tlob_hist_bucket_upper(19), 1ULL << 20);
	assert_int_equal(tlob_hist_bucket_upper(38), 1ULL << 39);
	assert_int_equal(tlob_hist_bucket_upper(39), UINT64_MAX);
	assert_int_equal(tlob_hist_bucket_lower(2), 0);
	assert_int_equal(tlob_hist_bucket_lower(4), 2);
	assert_int_equal(tlob_hist_bucket_lower(1ULL << 20), 1ULL << 19);
	assert_int_equal(tlob_hist_bucket_lower(UINT64_MAX), 1ULL << 39);
}

static void test_pairs(void **state)
{
	uint64_t hist[TLOB_HIST_BUCKETS] = {};
	TlobHistPair p[TLOB_HIST_BUCKETS];

	assert_int_equal(tlob_hist_to_pairs(hist, p), 0);
	hist[0] = 1;
	hist[20] = 7;
	hist[39] = 2;
	assert_int_equal(tlob_hist_to_pairs(hist, p), 3);
	assert_int_equal(p[0].upper_ns, 2);
	assert_int_equal(p[0].count, 1);
	assert_int_equal(p[1].upper_ns, 1ULL << 21);
	assert_int_equal(p[1].count, 7);
	assert_int_equal(p[2].upper_ns, UINT64_MAX);
	assert_int_equal(p[2].count, 2);
}

static void test_percentiles(void **state)
{
	/* 90 windows in [1ms, 2ms) ~ bucket 19/20, 9 in bucket 24, 1 in 30. */
	const TlobHistPair p[] = {
		{ 1ULL << 20, 90 }, { 1ULL << 25, 9 }, { 1ULL << 31, 1 },
	};
	uint64_t v;

	assert_int_equal(tlob_hist_percentile(p, 3, 50, 0, &v), 0);
	assert_int_equal(v, 1ULL << 20);
	assert_int_equal(tlob_hist_percentile(p, 3, 90, 0, &v), 0);
	assert_int_equal(v, 1ULL << 20);
	assert_int_equal(tlob_hist_percentile(p, 3, 90.01, 0, &v), 0);
	assert_int_equal(v, 1ULL << 25);
	assert_int_equal(tlob_hist_percentile(p, 3, 99, 0, &v), 0);
	assert_int_equal(v, 1ULL << 25);
	assert_int_equal(tlob_hist_percentile(p, 3, 99.5, 0, &v), 0);
	assert_int_equal(v, 1ULL << 31);
	assert_int_equal(tlob_hist_percentile(p, 3, 100, 0, &v), 0);
	assert_int_equal(v, 1ULL << 31);
	/* Never above the maximum seen. */
	assert_int_equal(tlob_hist_percentile(p, 3, 100, 1500000000, &v), 0);
	assert_int_equal(v, 1500000000);
	assert_int_equal(tlob_hist_percentile(p, 3, 50, 1500000000, &v), 0);
	assert_int_equal(v, 1ULL << 20);
	/* Tiny percentiles pick the first window. */
	assert_int_equal(tlob_hist_percentile(p, 3, 0.0001, 0, &v), 0);
	assert_int_equal(v, 1ULL << 20);
}

static void test_percentile_one(void **state)
{
	const TlobHistPair p[] = { { UINT64_MAX, 1 } };
	uint64_t v;

	assert_int_equal(tlob_hist_percentile(p, 1, 50, 0, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(tlob_hist_percentile(p, 1, 50, 1ULL << 40, &v), 0);
	assert_int_equal(v, 1ULL << 40);
}

static void test_percentile_errors(void **state)
{
	const TlobHistPair p[] = { { 4, 1 }, { 2, 1 } };
	const TlobHistPair z[] = { { 4, 0 } };
	const TlobHistPair big[] = { { 2, UINT64_MAX }, { 4, 1 } };
	uint64_t v = 7;

	assert_int_equal(tlob_hist_percentile(p, 2, 50, 0, &v), -EINVAL);
	assert_int_equal(tlob_hist_percentile(p, 1, 0, 0, &v), -EINVAL);
	assert_int_equal(tlob_hist_percentile(p, 1, -1, 0, &v), -EINVAL);
	assert_int_equal(tlob_hist_percentile(p, 1, 100.5, 0, &v), -EINVAL);
	assert_int_equal(tlob_hist_percentile(p, 1, 0.0 / 0.0, 0, &v), -EINVAL);
	assert_int_equal(tlob_hist_percentile(z, 1, 50, 0, &v), -ENODATA);
	assert_int_equal(tlob_hist_percentile(NULL, 0, 50, 0, &v), -ENODATA);
	assert_int_equal(tlob_hist_percentile(big, 2, 50, 0, &v), -EINVAL);
	assert_int_equal(v, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_percentile_one),
		cmocka_unit_test(test_percentile_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
