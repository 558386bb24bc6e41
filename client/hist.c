// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Log2 latency histograms for tlobctl status, see hist.h.
 */
#include <errno.h>
#include <inttypes.h>

#include "hist.h"
#include "macro.h"

#define HIST_LAST	(TLOB_HIST_BUCKETS - 1)
#define HIST_STARS	40

unsigned log2_hist_bucket_of_bound(uint64_t upper_ns)
{
	unsigned i;

	if (upper_ns <= 1)
		return 0;
	/* floor(log2(u - 1)): 2^(i+1) and 2^(i+1) - 1 both give i */
	i = 63 - __builtin_clzll(upper_ns - 1);
	return MIN(i, (unsigned)HIST_LAST);
}

int log2_hist_from_pairs(const TlobHistPair *pairs, size_t n, Log2Hist *ret)
{
	Log2Hist h = {};

	for (size_t i = 0; i < n; i++) {
		unsigned b = log2_hist_bucket_of_bound(pairs[i].upper_ns);

		if (__builtin_add_overflow(h.count[b], pairs[i].count, &h.count[b]))
			return -EOVERFLOW;
	}
	*ret = h;
	return 0;
}

uint64_t log2_hist_total(const Log2Hist *h)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < TLOB_HIST_BUCKETS; i++)
		total += h->count[i];
	return total;
}

static uint64_t bucket_low(unsigned i)
{
	return i == 0 ? 0 : 1ULL << i;
}

static uint64_t bucket_high(unsigned i)
{
	return i == HIST_LAST ? UINT64_MAX : (1ULL << (i + 1)) - 1;
}

static void print_stars(FILE *f, uint64_t val, uint64_t val_max)
{
	uint64_t n = val_max ? val * HIST_STARS / val_max : 0;

	for (uint64_t i = 0; i < HIST_STARS; i++)
		fputc(i < n ? '*' : ' ', f);
}

void log2_hist_print(const Log2Hist *h, FILE *f)
{
	unsigned first = TLOB_HIST_BUCKETS, last = 0;
	uint64_t val_max = 0;

	for (unsigned i = 0; i < TLOB_HIST_BUCKETS; i++) {
		if (!h->count[i])
			continue;
		first = MIN(first, i);
		last = i;
		val_max = MAX(val_max, h->count[i]);
	}
	if (first == TLOB_HIST_BUCKETS)
		return;

	fprintf(f, "%*s%-*s : count    distribution\n", 8, "", 23, "nsecs");
	for (unsigned i = first; i <= last; i++) {
		if (i == HIST_LAST)
			fprintf(f, "%13" PRIu64 " -> %-13s", bucket_low(i), "inf");
		else
			fprintf(f, "%13" PRIu64 " -> %-13" PRIu64, bucket_low(i),
				bucket_high(i));
		fprintf(f, " : %-8" PRIu64 " |", h->count[i]);
		print_stars(f, h->count[i], val_max);
		fputs("|\n", f);
	}
}
