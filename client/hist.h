/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The log2 latency histogram of a budget, as GetBudget's "Histogram"
 * a(tt) gives it (bucket upper bound in ns, count; non-empty buckets),
 * turned back into the kernel's TLOB_HIST_BUCKETS buckets (see
 * tlob-hist.h) and printed. Percentiles come from tlob_hist_percentile().
 */
#ifndef TLOBCTL_HIST_H
#define TLOBCTL_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/tlob.h>

#include "tlob-hist.h"

typedef struct Log2Hist {
	uint64_t count[TLOB_HIST_BUCKETS];
} Log2Hist;

/*
 * Bucket of an upper bound, inclusive (2^(i+1) - 1) or exclusive
 * (2^(i+1)) alike; bounds past the last bucket land in the last one.
 */
unsigned log2_hist_bucket_of_bound(uint64_t upper_ns);

/* Sums the pairs into @ret; -EOVERFLOW if a count overflows. */
int log2_hist_from_pairs(const TlobHistPair *pairs, size_t n, Log2Hist *ret);

uint64_t log2_hist_total(const Log2Hist *h);

/*
 * Prints the histogram like bcc's print_log2_hist ("low -> high : count
 * |****|"), from the first to the last non-empty bucket, stars scaled to
 * the largest count. Nothing if empty.
 */
void log2_hist_print(const Log2Hist *h, FILE *f);

#endif /* TLOBCTL_HIST_H */
