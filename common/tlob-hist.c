// SPDX-License-Identifier: GPL-2.0-or-later
#include <math.h>

#include "macro.h"
#include "tlob-hist.h"

uint64_t tlob_hist_bucket_upper(unsigned i)
{
	if (i >= TLOB_HIST_BUCKETS - 1)
		return UINT64_MAX;
	return 1ULL << (i + 1);
}

uint64_t tlob_hist_bucket_lower(uint64_t upper_ns)
{
	if (upper_ns == UINT64_MAX)
		return 1ULL << (TLOB_HIST_BUCKETS - 1);
	return upper_ns <= 2 ? 0 : upper_ns / 2;
}

size_t tlob_hist_to_pairs(const uint64_t hist[TLOB_HIST_BUCKETS],
			  TlobHistPair out[TLOB_HIST_BUCKETS])
{
	size_t n = 0;

	for (unsigned i = 0; i < TLOB_HIST_BUCKETS; i++)
		if (hist[i])
			out[n++] = (TlobHistPair) {
				.upper_ns = tlob_hist_bucket_upper(i),
				.count = hist[i],
			};
	return n;
}

int tlob_hist_percentile(const TlobHistPair *pairs, size_t n, double pct,
			 uint64_t max_ns, uint64_t *ret)
{
	uint64_t total = 0, rank, seen = 0;
	long double want;

	if (!(pct > 0 && pct <= 100))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && pairs[i].upper_ns <= pairs[i - 1].upper_ns)
			return -EINVAL;
		if (__builtin_add_overflow(total, pairs[i].count, &total))
			return -EINVAL;
	}
	if (total == 0)
		return -ENODATA;

	want = ceill((long double)total * pct / 100.0L);
	rank = want < 1 ? 1 : want > total ? total : (uint64_t)want;
	for (size_t i = 0; i < n; i++) {
		seen += pairs[i].count;
		if (seen >= rank) {
			uint64_t v = pairs[i].upper_ns;

			*ret = max_ns && max_ns < v ? max_ns : v;
			return 0;
		}
	}
	return -EINVAL;	/* not reached: seen == total >= rank */
}
