// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlob-demo: a small workload for the end-to-end tests and the demo.
 *
 *   tlob-demo request US [COUNT [PERIOD_US]] [--wait-file PATH] [--stay]
 *		     [--log-signals]
 *	calls demo_handle(US) COUNT times (0: forever), PERIOD_US apart;
 *	demo_handle() calls demo_request(), which sleeps US microseconds,
 *	so a TlobBudget= on "demo_request" shorter than that is blown on
 *	every call (two functions: two budgets on different offsets). With
 *	--wait-file it first waits until PATH exists (so a test can make
 *	sure the binding is in place before the first call); with --stay it
 *	stays, idle, once done (a service that keeps running). With
 *	--log-signals, SIGQUIT and SIGUSR1 are handled: each prints
 *	"tlob-demo: SIGQUIT in thread TID of PID" on stdout (the journal),
 *	and the request goes on (the signal= action's test).
 *   tlob-demo serve
 *	forever: a 1 ms request every 100 ms, and a 30 ms one every 20th
 *	time: blows a 10 ms budget now and then.
 *   tlob-demo self BUDGET_US SLEEP_US [COUNT]
 *	self-instrumentation: COUNT windows opened with TRACE_START on
 *	/dev/rv with a budget of BUDGET_US, each sleeping SLEEP_US; prints
 *	each window's result, and stays alive one second after the last
 *	one so the journal can still attribute the process to its unit.
 *   tlob-demo flood BUDGET_US SLEEP_US COUNT
 *	the same as fast as it goes, printing only the totals:
 *	"windows=N violated=V enospc=E" (what TRACE_STOP_RESULT said, and
 *	how often TRACE_START found the user's share of windows taken and
 *	was tried again a little later).
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/tlob.h>

/* What the budgets probe: must stay real, exported functions. */
__attribute__((noinline, used)) unsigned demo_request(unsigned us);
__attribute__((noinline, used)) unsigned demo_handle(unsigned us);

__attribute__((noinline, used)) unsigned demo_request(unsigned us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	/* keep the call from being folded into the caller */
	__asm__ volatile("" ::: "memory");
	return us;
}

__attribute__((noinline, used)) unsigned demo_handle(unsigned us)
{
	unsigned r = demo_request(us);

	__asm__ volatile("" ::: "memory");
	return r + 1;
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int parse_u(const char *s, unsigned *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-') {
		fprintf(stderr, "tlob-demo: bad number '%s'\n", s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int wait_file(const char *path)
{
	while (access(path, F_OK) < 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "tlob-demo: %s: %s\n", path, strerror(errno));
			return -errno;
		}
		sleep_us(20000);
	}
	return 0;
}

/* Decimal @v at the end of @buf (size 12 at least), async-signal-safe. */
static char *utoa(unsigned long v, char *end)
{
	*--end = 0;
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

static void on_signal(int sig)
{
	char line[96], tid[24], pid[24];
	const char *name = sig == SIGQUIT ? "SIGQUIT" : "SIGUSR1";
	int saved = errno;
	size_t n;

	/* Only async-signal-safe calls: no stdio. */
	strcpy(line, "tlob-demo: ");
	strcat(line, name);
	strcat(line, " in thread ");
	strcat(line, utoa((unsigned long)syscall(SYS_gettid), tid + sizeof(tid)));
	strcat(line, " of ");
	strcat(line, utoa((unsigned long)getpid(), pid + sizeof(pid)));
	strcat(line, "\n");
	n = strlen(line);
	if (write(STDOUT_FILENO, line, n) != (ssize_t)n)
		(void)0;
	errno = saved;
}

static int log_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGQUIT, &sa, NULL) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0) {
		fprintf(stderr, "tlob-demo: sigaction: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

static int cmd_request(int argc, char *argv[])
{
	unsigned us, count = 0, period = 0;
	const char *wait = NULL;
	int n = 0, stay = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--log-signals") == 0) {
			if (log_signals() < 0)
				return -EIO;
			continue;
		}
		if (strcmp(argv[i], "--wait-file") == 0 && i + 1 < argc) {
			wait = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--stay") == 0) {
			stay = 1;
			continue;
		}
		argv[n++] = argv[i];
	}
	if (n < 1 || n > 3 || parse_u(argv[0], &us) < 0 ||
	    (n > 1 && parse_u(argv[1], &count) < 0) ||
	    (n > 2 && parse_u(argv[2], &period) < 0))
		return -EINVAL;
	if (wait && wait_file(wait) < 0)
		return -EIO;

	for (unsigned i = 0; count == 0 || i < count; i++) {
		demo_handle(us);
		if (period)
			sleep_us(period);
	}
	while (stay)
		pause();
	return 0;
}

static int cmd_serve(void)
{
	for (unsigned i = 1;; i++) {
		demo_handle(i % 20 == 0 ? 30000 : 1000);
		sleep_us(100000);
	}
	return 0;
}

/*
 * @count windows of @budget us around a sleep of @sleep us on @fd; each
 * result printed with @verbose; the violated ones counted in @ret, the
 * starts retried for ENOSPC (with @retry) in @ret_enospc.
 */
static int windows(int fd, unsigned budget, unsigned sleep, unsigned count,
		   int verbose, int retry, unsigned *ret, unsigned *ret_enospc)
{
	*ret = *ret_enospc = 0;
	for (unsigned i = 0; i < count; i++) {
		struct tlob_start_args start = { .threshold_ns = budget * 1000ULL, .tag = i };
		struct tlob_result res = {};
		int r;

		if (ioctl(fd, TLOB_IOCTL_TRACE_START, &start) < 0) {
			if (retry && errno == ENOSPC) {
				(*ret_enospc)++;
				sleep_us(200);
				i--;
				continue;
			}
			fprintf(stderr, "tlob-demo: TRACE_START: %s\n", strerror(errno));
			return -errno;
		}
		if (sleep)
			sleep_us(sleep);
		r = ioctl(fd, TLOB_IOCTL_TRACE_STOP_RESULT, &res);
		if (r < 0 && errno != EOVERFLOW) {
			fprintf(stderr, "tlob-demo: TRACE_STOP_RESULT: %s\n", strerror(errno));
			return -errno;
		}
		*ret += res.violated != 0;
		if (verbose)
			printf("window %u: elapsed_ns=%" PRIu64 " violated=%u\n", i,
			       (uint64_t)res.elapsed_ns, res.violated);
	}
	return 0;
}

static int cmd_self(int argc, char *argv[], int flood)
{
	unsigned budget, sleep, count = 1, violated, enospc;
	int fd, r;

	if (argc < 2 || argc > 3 || (flood && argc != 3) ||
	    parse_u(argv[0], &budget) < 0 || parse_u(argv[1], &sleep) < 0 ||
	    (argc > 2 && parse_u(argv[2], &count) < 0))
		return -EINVAL;

	fd = open("/dev/rv", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tlob-demo: /dev/rv: %s\n", strerror(errno));
		return -errno;
	}
	r = windows(fd, budget, sleep, count, !flood, flood, &violated, &enospc);
	close(fd);
	if (r < 0)
		return r;
	if (flood) {
		printf("windows=%u violated=%u enospc=%u\n", count, violated, enospc);
		return 0;
	}
	fflush(stdout);
	sleep_us(1000000);
	return 0;
}

int main(int argc, char *argv[])
{
	int r;

	if (argc >= 2 && strcmp(argv[1], "request") == 0)
		r = cmd_request(argc - 2, argv + 2);
	else if (argc == 2 && strcmp(argv[1], "serve") == 0)
		r = cmd_serve();
	else if (argc >= 2 && strcmp(argv[1], "self") == 0)
		r = cmd_self(argc - 2, argv + 2, 0);
	else if (argc >= 2 && strcmp(argv[1], "flood") == 0)
		r = cmd_self(argc - 2, argv + 2, 1);
	else
		r = -EINVAL;
	if (r == -EINVAL)
		fprintf(stderr, "usage: tlob-demo request US [COUNT [PERIOD_US]] [--wait-file PATH] [--stay]\n"
				"       tlob-demo serve\n"
				"       tlob-demo self BUDGET_US SLEEP_US [COUNT]\n"
				"       tlob-demo flood BUDGET_US SLEEP_US COUNT\n");
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
