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
 *   tlob-demo cause KIND [DEVICE]
 *	forever, once a second: demo_cause(), which spends CAUSE_MS (400 ms)
 *	in one way, for the causes a budget on it captures: "nanosleep";
 *	"pipe" (read() on an empty pipe that a child fills); "futex" (a
 *	FUTEX_WAIT a child ends with FUTEX_WAKE); "disk" (an O_DIRECT read
 *	of 4 KiB of DEVICE, a slow block device); "hog" (pinned to CPU 0,
 *	it wakes a SCHED_FIFO child "hog", pinned there too, that spins);
 *	"busy" (a loop in demo_busy_loop()).
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
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

/* --- tlob-demo cause ------------------------------------------------------ */

#define CAUSE_MS 400

__attribute__((noinline, used)) unsigned long demo_busy_loop(unsigned ms);
__attribute__((noinline, used)) int demo_cause(void);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Spins for @ms, in this function (the clock read now and then only). */
__attribute__((noinline, used)) unsigned long demo_busy_loop(unsigned ms)
{
	uint64_t end = now_ms() + ms;
	volatile unsigned long n = 0;

	do {
		for (unsigned i = 0; i < 100000; i++)
			n++;
	} while (now_ms() < end);
	return n;
}

static struct {
	const char *kind;
	int go, done;		/* pipes to and from the child */
	int fd;			/* disk */
	void *buf;
	uint32_t *futex;	/* shared with the child */
} cause;

static long futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "tlob-demo: sched_setaffinity: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* The child: for each byte on @go, CAUSE_MS of sleep (or spin), then answer. */
static void cause_child(int go, int done)
{
	struct sched_param sp = { .sched_priority = 10 };
	char c;

	if (strcmp(cause.kind, "hog") == 0) {
		prctl(PR_SET_NAME, "hog");
		if (pin_cpu0() < 0 || sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
			fprintf(stderr, "tlob-demo: hog: %s\n", strerror(errno));
			_exit(1);
		}
	}
	while (read(go, &c, 1) == 1) {
		if (strcmp(cause.kind, "hog") == 0) {
			demo_busy_loop(CAUSE_MS);
			continue;
		}
		sleep_us(CAUSE_MS * 1000);
		if (strcmp(cause.kind, "futex") == 0) {
			__atomic_store_n(cause.futex, 1, __ATOMIC_SEQ_CST);
			futex(cause.futex, FUTEX_WAKE, 1);
		} else if (write(done, "x", 1) != 1) {
			_exit(1);
		}
	}
	_exit(0);
}

/* The window: CAUSE_MS of cause.kind. */
__attribute__((noinline, used)) int demo_cause(void)
{
	const char *k = cause.kind;
	char c;

	if (strcmp(k, "nanosleep") == 0) {
		sleep_us(CAUSE_MS * 1000);
	} else if (strcmp(k, "busy") == 0) {
		demo_busy_loop(CAUSE_MS);
	} else if (strcmp(k, "disk") == 0) {
		if (pread(cause.fd, cause.buf, 4096, 0) != 4096)
			return -EIO;
	} else if (strcmp(k, "futex") == 0) {
		__atomic_store_n(cause.futex, 0, __ATOMIC_SEQ_CST);
		if (write(cause.go, "x", 1) != 1)
			return -EIO;
		while (__atomic_load_n(cause.futex, __ATOMIC_SEQ_CST) == 0)
			futex(cause.futex, FUTEX_WAIT, 0);
	} else {
		/* pipe: waits in read(); hog: the child preempts us at once */
		if (write(cause.go, "x", 1) != 1)
			return -EIO;
		if (strcmp(k, "pipe") == 0 && read(cause.done, &c, 1) != 1)
			return -EIO;
	}
	__asm__ volatile("" ::: "memory");
	return 0;
}

static int cmd_cause(int argc, char *argv[])
{
	int go[2], done[2];

	if (argc < 1 || argc > 2)
		return -EINVAL;
	cause.kind = argv[0];
	if (strcmp(cause.kind, "disk") == 0) {
		if (argc != 2)
			return -EINVAL;
		cause.fd = open(argv[1], O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (cause.fd < 0 || posix_memalign(&cause.buf, 4096, 4096) != 0) {
			fprintf(stderr, "tlob-demo: %s: %s\n", argv[1], strerror(errno));
			return -EIO;
		}
	} else if (argc != 1) {
		return -EINVAL;
	}
	if (strcmp(cause.kind, "pipe") == 0 || strcmp(cause.kind, "futex") == 0 ||
	    strcmp(cause.kind, "hog") == 0) {
		cause.futex = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (cause.futex == MAP_FAILED || pipe(go) < 0 || pipe(done) < 0)
			return -EIO;
		switch (fork()) {
		case -1:
			return -EIO;
		case 0:
			close(go[1]);
			close(done[0]);
			cause_child(go[0], done[1]);
		}
		close(go[0]);
		close(done[1]);
		cause.go = go[1];
		cause.done = done[0];
		if (strcmp(cause.kind, "hog") == 0 && pin_cpu0() < 0)
			return -EIO;
	} else if (strcmp(cause.kind, "nanosleep") != 0 &&
		   strcmp(cause.kind, "busy") != 0 && strcmp(cause.kind, "disk") != 0) {
		return -EINVAL;
	}
	for (;;) {
		if (demo_cause() < 0) {
			fprintf(stderr, "tlob-demo: %s: %s\n", cause.kind, strerror(errno));
			return -EIO;
		}
		sleep_us(1000000);
	}
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
	else if (argc >= 2 && strcmp(argv[1], "cause") == 0)
		r = cmd_cause(argc - 2, argv + 2);
	else
		r = -EINVAL;
	if (r == -EINVAL)
		fprintf(stderr, "usage: tlob-demo request US [COUNT [PERIOD_US]] [--wait-file PATH] [--stay]\n"
				"       tlob-demo serve\n"
				"       tlob-demo self BUDGET_US SLEEP_US [COUNT]\n"
				"       tlob-demo flood BUDGET_US SLEEP_US COUNT\n"
				"       tlob-demo cause nanosleep|pipe|futex|disk DEVICE|hog|busy\n");
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
