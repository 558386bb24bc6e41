// SPDX-License-Identifier: GPL-2.0
/*
 * tlob-target - a program with functions for the tlob selftests to probe.
 *
 * Every tgt_* function is non-static, never inlined and has a side effect
 * of its own, so each has a distinct symbol and entry address; the tests
 * resolve them to ELF file offsets with tlob-symoff.
 *
 * usage: tlob-target COMMAND ARGS...   (MS: milliseconds, MODE: busy|sleep|yield)
 *   work MS MODE [N]          N times tgt_work()             (entry->return)
 *   pair MS MODE [N]          N times tgt_start(); tgt_work(); tgt_stop()
 *   alt MS MODE [N]           the same with tgt_alt_start()/tgt_alt_stop()
 *   both MS MODE              one pair window, then one alt window
 *   nest MS MODE              tgt_start() twice, then tgt_stop() twice
 *   recurse DEPTH MS MODE     tgt_recurse(DEPTH): work at the deepest call
 *   threads N MS MODE         N threads, each one pair window
 *   exit-in MS                tgt_start(), sleep MS, exit without tgt_stop()
 *   thread-exit-in N MS       N threads tgt_start() and exit; main sleeps MS
 *   exec-in PROG ARG...       tgt_start(), then execv(PROG, ARG...)
 *   jumpy MS N                N times tgt_jumpy() that longjmp()s out after
 *                             MS, then once that returns (entry->return)
 *   rt-preempt MS             on CPU 0: tgt_start(), a SCHED_FIFO child spins
 *                             MS on the same CPU, then tgt_stop()
 *   hot N SECONDS             N threads call tgt_start(); tgt_stop() in a loop
 *                             for SECONDS; prints "hot calls=TOTAL"
 *   peek MS N [call]          N times: print "peek start=0xXX stop=0xXX", the
 *                             first byte of tgt_start and tgt_stop as this
 *                             process sees them (0xcc: a uprobe's breakpoint
 *                             is installed in it), [call tgt_start();
 *                             tgt_stop()], sleep MS
 *   loop SECONDS              pair windows of random length for SECONDS
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt-util.h"

#define TGT_FN	__attribute__((noinline, used, visibility("default")))

enum work_mode { MODE_BUSY, MODE_SLEEP, MODE_YIELD };

volatile unsigned long tgt_counter[8];

TGT_FN void tgt_start(void);
TGT_FN void tgt_stop(void);
TGT_FN void tgt_alt_start(void);
TGT_FN void tgt_alt_stop(void);
TGT_FN void tgt_work(unsigned int ms, int mode);
TGT_FN unsigned long tgt_recurse(unsigned int depth, unsigned int ms, int mode);
TGT_FN void tgt_jumpy(unsigned int ms, int jump);

static jmp_buf tgt_jump_env;

/* Leaves by longjmp() when @jump: its return never happens. */
TGT_FN void tgt_jumpy(unsigned int ms, int jump)
{
	tgt_counter[5]++;
	kt_sleep_ns(ms * KT_NSEC_PER_MSEC);
	if (jump)
		longjmp(tgt_jump_env, 1);
}

/* @n calls of tgt_jumpy() left by longjmp(), then one that returns. */
static void jumpy(unsigned int ms, unsigned int n)
{
	volatile unsigned int i;

	for (i = 0; i < n; i++) {
		if (!setjmp(tgt_jump_env))
			tgt_jumpy(ms, 1);
	}
	tgt_jumpy(ms, 0);
}

TGT_FN void tgt_start(void)
{
	tgt_counter[0]++;
}

TGT_FN void tgt_stop(void)
{
	tgt_counter[1]++;
}

TGT_FN void tgt_alt_start(void)
{
	tgt_counter[2]++;
}

TGT_FN void tgt_alt_stop(void)
{
	tgt_counter[3]++;
}

TGT_FN void tgt_work(unsigned int ms, int mode)
{
	uint64_t end = kt_now_ns() + ms * KT_NSEC_PER_MSEC;

	tgt_counter[4]++;
	switch (mode) {
	case MODE_SLEEP:
		kt_sleep_ns(ms * KT_NSEC_PER_MSEC);
		break;
	case MODE_YIELD:
		while (kt_now_ns() < end)
			sched_yield();
		break;
	default:
		while (kt_now_ns() < end)
			tgt_counter[7]++;
		break;
	}
}

TGT_FN unsigned long tgt_recurse(unsigned int depth, unsigned int ms, int mode)
{
	tgt_counter[5]++;
	if (depth > 1)
		return tgt_recurse(depth - 1, ms, mode) + 1;
	tgt_work(ms, mode);
	return 1;
}

static int parse_mode(const char *s)
{
	if (strcmp(s, "busy") == 0)
		return MODE_BUSY;
	if (strcmp(s, "sleep") == 0)
		return MODE_SLEEP;
	if (strcmp(s, "yield") == 0)
		return MODE_YIELD;
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned int *ret)
{
	uint64_t v;

	if (kt_parse_u64(s, &v) < 0 || v > 1000000)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

struct thread_arg {
	unsigned int ms;
	int mode;
	bool exit_inside;
};

static void *pair_thread(void *p)
{
	struct thread_arg *a = p;

	tgt_start();
	if (a->exit_inside)
		pthread_exit(NULL);
	tgt_work(a->ms, a->mode);
	tgt_stop();
	return NULL;
}

static int run_threads(unsigned int n, struct thread_arg *a)
{
	pthread_t *t = calloc(n, sizeof(*t));
	unsigned int i;
	int r = 0;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		r = -pthread_create(&t[i], NULL, pair_thread, a);
		if (r < 0)
			break;
	}
	while (i-- > 0)
		pthread_join(t[i], NULL);
	free(t);
	return r;
}

static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

/*
 * Open a window on CPU 0, then let a SCHED_FIFO child hog CPU 0 for MS:
 * the window spends its time runnable but preempted (waiting).
 */
static int rt_preempt(unsigned int ms)
{
	int status, r;
	pid_t pid;

	r = pin_cpu0();
	if (r < 0)
		return r;
	tgt_start();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct sched_param sp = { .sched_priority = 10 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			_exit(3);
		tgt_work(ms, MODE_BUSY);
		_exit(0);
	}
	/* Stay runnable (never block) until the child is done. */
	while ((r = waitpid(pid, &status, WNOHANG)) == 0)
		tgt_counter[6]++;
	tgt_stop();
	if (r < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

struct hot_arg {
	uint64_t end;
	uint64_t calls;
};

static void *hot_thread(void *p)
{
	struct hot_arg *a = p;

	while (kt_now_ns() < a->end) {
		tgt_start();
		tgt_stop();
		a->calls++;
	}
	return NULL;
}

/* @n threads calling a bound pair as fast as they can for @seconds. */
static int hot(unsigned int n, unsigned int seconds)
{
	uint64_t end = kt_now_ns() + seconds * KT_NSEC_PER_SEC, total = 0;
	struct hot_arg *a = calloc(n, sizeof(*a));
	pthread_t *t = calloc(n, sizeof(*t));
	unsigned int i;
	int r = 0;

	if (!a || !t) {
		free(a);
		free(t);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		a[i].end = end;
		r = -pthread_create(&t[i], NULL, hot_thread, &a[i]);
		if (r < 0)
			break;
	}
	while (i-- > 0) {
		pthread_join(t[i], NULL);
		total += a[i].calls;
	}
	free(a);
	free(t);
	if (r == 0)
		printf("hot calls=%" PRIu64 "\n", total);
	return r;
}

static unsigned int first_byte(void (*fn)(void))
{
	unsigned char c;

	memcpy(&c, (const void *)(uintptr_t)fn, 1);
	return c;
}

static int peek(unsigned int ms, unsigned int n, bool call)
{
	for (unsigned int i = 0; i < n; i++) {
		printf("peek start=0x%02x stop=0x%02x\n", first_byte(tgt_start),
		       first_byte(tgt_stop));
		fflush(stdout);
		if (call) {
			tgt_start();
			tgt_stop();
		}
		kt_sleep_ns(ms * KT_NSEC_PER_MSEC);
	}
	return 0;
}

static int loop(unsigned int seconds)
{
	uint64_t end = kt_now_ns() + seconds * KT_NSEC_PER_SEC;
	unsigned int seed = (unsigned int)getpid();

	while (kt_now_ns() < end) {
		tgt_start();
		tgt_work(rand_r(&seed) % 4, rand_r(&seed) % 3);
		tgt_stop();
		tgt_alt_start();
		tgt_work(rand_r(&seed) % 3, rand_r(&seed) % 3);
		tgt_alt_stop();
		tgt_recurse(1 + rand_r(&seed) % 3, rand_r(&seed) % 2, MODE_SLEEP);
	}
	return 0;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s work|pair|alt|both|nest|recurse|threads|exit-in|"
		"thread-exit-in|exec-in|jumpy|rt-preempt|loop|hot|peek ARGS... (see the source)\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned int a = 0, b = 0, n = 1;
	const char *cmd;
	int mode = MODE_SLEEP, r = 0;

	if (argc < 3)
		return usage(argv[0]);
	cmd = argv[1];
	if (!strcmp(cmd, "exec-in")) {
		tgt_start();
		execv(argv[2], argv + 2);
		fprintf(stderr, "%s exec-in %s: %s\n", argv[0], argv[2],
			strerror(errno));
		return 1;
	}
	if (parse_uint(argv[2], &a) < 0)
		return usage(argv[0]);

	if (!strcmp(cmd, "work") || !strcmp(cmd, "pair") || !strcmp(cmd, "alt") ||
	    !strcmp(cmd, "both") || !strcmp(cmd, "nest")) {
		if (argc < 4 || (mode = parse_mode(argv[3])) < 0)
			return usage(argv[0]);
		if (argc > 4 && parse_uint(argv[4], &n) < 0)
			return usage(argv[0]);
		for (unsigned int i = 0; i < n; i++) {
			if (!strcmp(cmd, "work")) {
				tgt_work(a, mode);
			} else if (!strcmp(cmd, "alt")) {
				tgt_alt_start();
				tgt_work(a, mode);
				tgt_alt_stop();
			} else if (!strcmp(cmd, "nest")) {
				tgt_start();
				tgt_work(a, mode);
				tgt_start();
				tgt_work(a, mode);
				tgt_stop();
				tgt_work(a, mode);
				tgt_stop();
			} else {
				tgt_start();
				tgt_work(a, mode);
				tgt_stop();
			}
			if (!strcmp(cmd, "both")) {
				tgt_alt_start();
				tgt_work(a, mode);
				tgt_alt_stop();
			}
		}
	} else if (!strcmp(cmd, "recurse")) {
		if (argc < 5 || parse_uint(argv[3], &b) < 0 ||
		    (mode = parse_mode(argv[4])) < 0)
			return usage(argv[0]);
		tgt_recurse(a, b, mode);
	} else if (!strcmp(cmd, "threads") || !strcmp(cmd, "thread-exit-in")) {
		struct thread_arg ta = { .mode = MODE_SLEEP };

		if (argc < 4 || parse_uint(argv[3], &b) < 0)
			return usage(argv[0]);
		if (!strcmp(cmd, "threads")) {
			if (argc < 5 || (ta.mode = parse_mode(argv[4])) < 0)
				return usage(argv[0]);
			ta.ms = b;
		} else {
			ta.exit_inside = true;
		}
		r = run_threads(a, &ta);
		if (ta.exit_inside)
			kt_sleep_ns(b * KT_NSEC_PER_MSEC);
	} else if (!strcmp(cmd, "jumpy")) {
		if (argc > 3 && parse_uint(argv[3], &n) < 0)
			return usage(argv[0]);
		jumpy(a, n);
	} else if (!strcmp(cmd, "exit-in")) {
		tgt_start();
		kt_sleep_ns(a * KT_NSEC_PER_MSEC);
		_exit(0);
	} else if (!strcmp(cmd, "rt-preempt")) {
		r = rt_preempt(a);
	} else if (!strcmp(cmd, "loop")) {
		r = loop(a);
	} else if (!strcmp(cmd, "hot") || !strcmp(cmd, "peek")) {
		if (argc < 4 || parse_uint(argv[3], &b) < 0)
			return usage(argv[0]);
		if (!strcmp(cmd, "hot"))
			r = hot(a, b);
		else
			r = peek(a, b, argc > 4 && !strcmp(argv[4], "call"));
	} else {
		return usage(argv[0]);
	}
	if (r < 0) {
		fprintf(stderr, "%s %s: %s\n", argv[0], cmd, strerror(-r));
		return 1;
	}
	return 0;
}
