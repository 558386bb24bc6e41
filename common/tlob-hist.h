/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's log2 histograms (struct tlob_binding_stats.hist) as D-Bus
 * "a(tt)" pairs and the percentiles tlobctl prints.
 *
 * Kernel bucket i counts windows with elapsed time in [2^i, 2^(i+1)) ns;
 * bucket 0 also holds 0-1 ns and the last bucket everything from 2^39 ns
 * up. A pair is (upper bound in ns, count): bucket i has the upper bound
 * 2^(i+1), the last one UINT64_MAX ("no bound").
 */
#ifndef TLOB_HIST_H
#define TLOB_HIST_H

#include <stddef.h>
#include <stdint.h>

#include <linux/tlob.h>

typedef struct TlobHistPair {
	uint64_t upper_ns;
	uint64_t count;
} TlobHistPair;

/* Upper bound of kernel bucket @i (< TLOB_HIST_BUCKETS). */
uint64_t tlob_hist_bucket_upper(unsigned i);

/* Lower bound of the bucket with upper bound @upper_ns. */
uint64_t tlob_hist_bucket_lower(uint64_t upper_ns);

/* Non-empty buckets of @hist into @out, in order; returns their number. */
size_t tlob_hist_to_pairs(const uint64_t hist[TLOB_HIST_BUCKETS],
			  TlobHistPair out[TLOB_HIST_BUCKETS]);

/*
 * The @pct percentile (0 < pct <= 100) of the windows in @pairs (sorted by
 * upper bound): the upper bound of the bucket holding the window of rank
 * ceil(pct/100 * total), but at most @max_ns when @max_ns is not 0 (no
 * window took longer than the maximum). -EINVAL for a bad @pct or unsorted
 * pairs, -ENODATA when there are no windows.
 */
int tlob_hist_percentile(const TlobHistPair *pairs, size_t n, double pct,
			 uint64_t max_ns, uint64_t *ret);

#endif /* TLOB_HIST_H */
