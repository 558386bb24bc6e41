// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlob-calls: call two empty functions in a loop and time it: what a
 * probe on them costs a process that calls them.
 *
 * calls_begin() then calls_end(), N times. With no probe on them a pair
 * costs a few instructions; with a tlob binding calls_begin..calls_end
 * every pair is a window (two uprobe hits), and with a binding scoped to
 * a cgroup this process is not in, the pair should cost what it costs
 * without a binding (no breakpoint installed here).
 *
 * Usage: tlob-calls [N]   (default 100000)
 *
 * Prints one line: calls=N ns_per_call=T calls_per_sec=R (a call is one
 * calls_begin() + calls_end() pair).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CALLS_HOOK __attribute__((noinline, used, visibility("default")))

volatile unsigned long calls_counter[2];

CALLS_HOOK void calls_begin(void);
CALLS_HOOK void calls_end(void);

CALLS_HOOK void calls_begin(void)
{
	calls_counter[0]++;
}

CALLS_HOOK void calls_end(void)
{
	calls_counter[1]++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long n = 100000, i;
	uint64_t t0, t1;
	char *end;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "Usage: tlob-calls [N]\n"
			"Call calls_begin() then calls_end() N times (default 100000)\n"
			"and print the time per pair.\n");
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (argc == 2) {
		errno = 0;
		n = strtoul(argv[1], &end, 10);
		if (errno || *end || end == argv[1] || n == 0) {
			fprintf(stderr, "tlob-calls: bad N '%s'\n", argv[1]);
			return 2;
		}
	}

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		calls_begin();
		calls_end();
	}
	t1 = now_ns();
	if (t1 == t0)
		t1 = t0 + 1;
	printf("calls=%lu ns_per_call=%.3f calls_per_sec=%.0f\n", n,
	       (double)(t1 - t0) / (double)n, (double)n * 1e9 / (double)(t1 - t0));
	return 0;
}
