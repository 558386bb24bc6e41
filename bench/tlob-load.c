// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlob-load: probe targets for bench/daemon-bench.
 *
 *   tlob-load burst SECONDS [THREADS [SLEEP_US]]
 *	THREADS threads (default 1) call load_burst() in a loop for SECONDS;
 *	load_burst() sleeps for SLEEP_US (default 20) microseconds, so a
 *	budget of 1 us on it (entry to return) is exceeded by every call,
 *	while the CPUs stay free for the daemon under test. Prints calls=N.
 *   tlob-load idle
 *	sleeps until killed; load_sled() is never run. load_sled is a run of
 *	4096 one-byte NOPs, so load_sled+1 ... load_sled+4095 are all valid
 *	instruction boundaries: distinct probe offsets for many budgets
 *	(START load_sled+N, STOP load_sled_end), bound but never hit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What the budgets probe: must stay real, exported functions. */
__attribute__((noinline, used)) void load_burst(long sleep_ns);
__attribute__((noinline, used)) void load_sled(void);
__attribute__((noinline, used)) void load_sled_end(void);

__attribute__((noinline, used)) void load_burst(long sleep_ns)
{
	struct timespec ts = {
		.tv_sec = sleep_ns / 1000000000L,
		.tv_nsec = sleep_ns % 1000000000L,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline, used)) void load_sled(void)
{
	__asm__ volatile(".rept 4096\n\tnop\n\t.endr" ::: "memory");
}

__attribute__((noinline, used)) void load_sled_end(void)
{
	__asm__ volatile("" ::: "memory");
}

static atomic_bool stop;
static atomic_ulong calls;
static long burst_sleep_ns = 20000;

static void *burst_thread(void *arg)
{
	unsigned long n = 0;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		load_burst(burst_sleep_ns);
		n++;
	}
	atomic_fetch_add(&calls, n);
	return NULL;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-' || *out == 0 || *out > max)
		return -EINVAL;
	return 0;
}

static int cmd_burst(int argc, char **argv)
{
	unsigned long seconds, nthreads = 1, sleep_us = 20, i;
	pthread_t *threads;
	int r;

	if (argc < 1 || argc > 3 || parse_uint(argv[0], 3600, &seconds) < 0 ||
	    (argc >= 2 && parse_uint(argv[1], 256, &nthreads) < 0) ||
	    (argc == 3 && parse_uint(argv[2], 1000000, &sleep_us) < 0))
		return -EINVAL;
	burst_sleep_ns = (long)sleep_us * 1000;

	threads = calloc(nthreads, sizeof(*threads));
	if (!threads) {
		fprintf(stderr, "tlob-load: out of memory\n");
		return -ENOMEM;
	}
	for (i = 0; i < nthreads; i++) {
		r = pthread_create(&threads[i], NULL, burst_thread, NULL);
		if (r) {
			fprintf(stderr, "tlob-load: pthread_create: %s\n", strerror(r));
			atomic_store(&stop, true);
			nthreads = i;
			break;
		}
	}
	if (!atomic_load(&stop))
		sleep((unsigned int)seconds);
	atomic_store(&stop, true);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	printf("calls=%lu\n", atomic_load(&calls));
	return 0;
}

int main(int argc, char **argv)
{
	int r = -EINVAL;

	if (argc >= 2 && strcmp(argv[1], "burst") == 0)
		r = cmd_burst(argc - 2, argv + 2);
	else if (argc == 2 && strcmp(argv[1], "idle") == 0)
		for (;;)
			pause();
	if (r == -EINVAL)
		fprintf(stderr, "usage: tlob-load burst SECONDS [THREADS [SLEEP_US]]\n"
				"       tlob-load idle\n");
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
