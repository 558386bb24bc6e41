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
 *   spin MS                   tgt_start(); tgt_spin() for MS, a loop that calls
 *                             nothing; tgt_stop(); prints "spin tgt_spin=ADDR"
 *                             (its address in this process)
 *   sig MS N                  a thread makes N pair windows of MS (sleep) with
 *                             SIGUSR1 and SIGABRT caught; prints "sig tid=TID
 *                             n=N" then "sigwin i=I got=COUNT stid=TID
 *                             at_ns=NS start_ns=NS stop_ns=NS" per window
 *   sleepspin SLEEP MS        as spin, sleeping SLEEP ms in the window first
 *   pipe MS SLEEP             tgt_start(); read() a pipe a thread writes
 *                             after MS; sleep SLEEP ms; tgt_stop(); prints
 *                             "waker tid=TID" (the writer)
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
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <signal.h>
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
TGT_FN void tgt_spin(void);

static volatile sig_atomic_t tgt_spin_done;

/* Loops without calling anything until SIGALRM sets tgt_spin_done. */
TGT_FN void tgt_spin(void)
{
	while (!tgt_spin_done)
		tgt_counter[7]++;
}

static void spin_alarm(int sig)
{
	tgt_spin_done = 1;
}

/* The window sleeps @sleep_ms, then spins until @sleep_ms + @ms. */
static int spin(unsigned int sleep_ms, unsigned int ms)
{
	unsigned int end = sleep_ms + ms;
	struct itimerval it = { .it_value.tv_sec = end / 1000,
				.it_value.tv_usec = (end % 1000) * 1000 };

	printf("spin tgt_spin=%p\n", (void *)tgt_spin);
	fflush(stdout);
	if (signal(SIGALRM, spin_alarm) == SIG_ERR ||
	    setitimer(ITIMER_REAL, &it, NULL) < 0)
		return -errno;
	tgt_start();
	if (sleep_ms)
		kt_sleep_ns(sleep_ms * KT_NSEC_PER_MSEC);
	tgt_spin();
	tgt_stop();
	return 0;
}

/* What the signal handler saw: count, thread, time of the last one. */
static volatile sig_atomic_t sig_count;
static volatile pid_t sig_tid;
static volatile uint64_t sig_at_ns;

static void sig_handler(int sig)
{
	sig_count++;
	sig_tid = (pid_t)syscall(SYS_gettid);
	sig_at_ns = kt_now_ns();
}

struct sig_arg {
	unsigned int ms, n;
};

static void *sig_thread(void *p)
{
	struct sig_arg *a = p;

	printf("sig tid=%ld n=%u\n", (long)syscall(SYS_gettid), a->n);
	for (unsigned int i = 0; i < a->n; i++) {
		uint64_t t0, t1;

		sig_count = 0;
		sig_tid = 0;
		sig_at_ns = 0;
		t0 = kt_now_ns();
		tgt_start();
		tgt_work(a->ms, MODE_SLEEP);
		tgt_stop();
		t1 = kt_now_ns();
		/* A late signal would show up here. */
		kt_sleep_ns(50 * KT_NSEC_PER_MSEC);
		printf("sigwin i=%u got=%d stid=%d at_ns=%" PRIu64 " start_ns=%"
		       PRIu64 " stop_ns=%" PRIu64 "\n", i, (int)sig_count,
		       (int)sig_tid, (uint64_t)sig_at_ns, t0, t1);
	}
	return NULL;
}

/* The windows are opened by a second thread: the signal must go to it. */
struct pipe_waker {
	int fd;
	unsigned int ms;
	pid_t tid;
};

static void *pipe_waker_thread(void *p)
{
	struct pipe_waker *a = p;

	a->tid = (pid_t)syscall(SYS_gettid);
	kt_sleep_ns(a->ms * KT_NSEC_PER_MSEC);
	if (write(a->fd, "x", 1) != 1)
		perror("tlob-target: pipe write");
	return NULL;
}

/* A window that blocks in pipe_read() for @ms, then sleeps @sleep_ms. */
static int pipe_window(unsigned int ms, unsigned int sleep_ms)
{
	struct pipe_waker a = { .ms = ms };
	int p[2], r;
	pthread_t th;
	char c;

	if (pipe(p) < 0)
		return -errno;
	a.fd = p[1];
	tgt_start();
	r = -pthread_create(&th, NULL, pipe_waker_thread, &a);
	if (r == 0) {
		if (read(p[0], &c, 1) != 1)
			r = -EIO;
		kt_sleep_ns(sleep_ms * KT_NSEC_PER_MSEC);
	}
	tgt_stop();
	if (r == 0) {
		pthread_join(th, NULL);
		printf("waker tid=%d\n", a.tid);
	}
	close(p[0]);
	close(p[1]);
	return r;
}

static int sig_windows(unsigned int ms, unsigned int n)
{
	struct sig_arg a = { .ms = ms, .n = n };
	struct sigaction sa = { .sa_handler = sig_handler };
	pthread_t th;
	int r;

	if (sigaction(SIGUSR1, &sa, NULL) < 0 ||
	    sigaction(SIGABRT, &sa, NULL) < 0)
		return -errno;
	r = pthread_create(&th, NULL, sig_thread, &a);
	if (r)
		return -r;
	pthread_join(th, NULL);
	return 0;
}

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

		/* Named, so that a cause can be seen to name it. */
		prctl(PR_SET_NAME, "tlob-hog");
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
		"thread-exit-in|exec-in|jumpy|rt-preempt|loop|hot|peek|spin|sleepspin|sig|pipe ARGS... (see the source)\n", prog);
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
	} else if (!strcmp(cmd, "spin")) {
		r = spin(0, a);
	} else if (!strcmp(cmd, "sleepspin")) {
		if (argc < 4 || parse_uint(argv[3], &b) < 0)
			return usage(argv[0]);
		r = spin(a, b);
	} else if (!strcmp(cmd, "pipe")) {
		if (argc < 4 || parse_uint(argv[3], &b) < 0)
			return usage(argv[0]);
		r = pipe_window(a, b);
	} else if (!strcmp(cmd, "sig")) {
		if (argc < 4 || parse_uint(argv[3], &b) < 0)
			return usage(argv[0]);
		r = sig_windows(a, b);
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
