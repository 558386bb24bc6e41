// SPDX-License-Identifier: GPL-2.0
/*
 * tlob-bpf-bench - what the BPF monitor costs, measured from inside a
 * process whose functions the benchmark binds (tests/bpf/selftest.sh).
 *
 * usage: tlob-bpf-bench pingpong LOOPS [both]
 *        tlob-bpf-bench pairs N
 *
 * pingpong: the ping-pong of `perf bench sched pipe`: two processes pass a
 *   byte back and forth through two pipes LOOPS times, two context
 *   switches per round trip on each. The parent (with "both", the child
 *   too) calls bench_begin() before its loop and bench_end() after it: a
 *   binding bench_begin..bench_end puts it inside a window all along, so
 *   the scheduler hooks do their whole work at every switch. Prints
 *   "pingpong loops=N ns_per_op=T" (an op is one round trip).
 * pairs: N calls of bench_begin() then bench_end(), timed: with a binding
 *   on them, the cost of a START and a STOP uprobe hit with their window.
 *   Prints "pairs n=N ns_per_pair=T".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_FN	__attribute__((noinline, used, visibility("default")))

volatile unsigned long bench_counter[2];

BENCH_FN void bench_begin(void);
BENCH_FN void bench_end(void);

BENCH_FN void bench_begin(void)
{
	bench_counter[0]++;
}

BENCH_FN void bench_end(void)
{
	bench_counter[1]++;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static int pingpong(unsigned long loops, int both)
{
	unsigned long long t0, t1;
	int ab[2], ba[2], status;
	char c = 0;
	pid_t pid;

	if (pipe(ab) < 0 || pipe(ba) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (both)
			bench_begin();
		for (unsigned long i = 0; i < loops; i++) {
			if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
				_exit(1);
		}
		if (both)
			bench_end();
		_exit(0);
	}
	bench_begin();
	t0 = now_ns();
	for (unsigned long i = 0; i < loops; i++) {
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			return -EIO;
	}
	t1 = now_ns();
	bench_end();
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -ECHILD;
	printf("pingpong loops=%lu ns_per_op=%llu\n", loops, (t1 - t0) / loops);
	return 0;
}

static int pairs(unsigned long n)
{
	unsigned long long t0, t1;

	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		bench_begin();
		bench_end();
	}
	t1 = now_ns();
	printf("pairs n=%lu ns_per_pair=%llu\n", n, (t1 - t0) / n);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n;
	int r;

	if (argc < 3 || (n = strtoul(argv[2], NULL, 0)) == 0) {
		fprintf(stderr, "usage: %s pingpong LOOPS [both] | pairs N\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "pingpong"))
		r = pingpong(n, argc > 3 && !strcmp(argv[3], "both"));
	else if (!strcmp(argv[1], "pairs"))
		r = pairs(n);
	else
		r = -EINVAL;
	if (r < 0) {
		fprintf(stderr, "%s %s: %s\n", argv[0], argv[1], strerror(-r));
		return 1;
	}
	return 0;
}
