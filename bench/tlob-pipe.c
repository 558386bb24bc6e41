// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlob-pipe: the ping-pong of `perf bench sched pipe`, optionally with the
 * ping-pong tasks inside tlob self-instrumented windows.
 *
 * Two processes pass a token back and forth through two pipes LOOPS times,
 * so every round trip is two context switches on each task (sleep on
 * read, wakeup, switch in). With --window, the parent (or both tasks)
 * first opens a window with a one-hour budget through /dev/rv, so the
 * module's sched_switch and sched_wakeup hooks do their full work on
 * every switch; the window is closed after the loop and its breakdown is
 * printed, as a check that the hooks really were active.
 *
 * The parent calls pipe_begin() right before its loop and pipe_end()
 * right after it, the child pipe_child_begin() and pipe_child_end(): a
 * tlob binding (or a tracer's uprobe) on them puts a task inside a window
 * for the whole loop, as --window does, without the program's help.
 * With --pid-file, the parent writes "PARENT CHILD" (the pids, each task
 * being one thread) to the file once both tasks exist and stops itself
 * (SIGSTOP) before its loop, so that a tracer can be started for those
 * pids and the loop resumed (SIGCONT) once it is attached.
 *
 * Prints one line of key=value pairs: loops, usecs_per_op, ops_per_sec
 * (an op is one round trip, as in perf), then one line per window.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/tlob.h>

#define RV_DEVICE "/dev/rv"

/* Distinct, out-of-line functions whose entries can be probed. */
#define PIPE_HOOK __attribute__((noinline, used, visibility("default")))

volatile unsigned long pipe_hook_calls[4];

PIPE_HOOK void pipe_begin(void);
PIPE_HOOK void pipe_end(void);
PIPE_HOOK void pipe_child_begin(void);
PIPE_HOOK void pipe_child_end(void);

PIPE_HOOK void pipe_begin(void)
{
	pipe_hook_calls[0]++;
}

PIPE_HOOK void pipe_end(void)
{
	pipe_hook_calls[1]++;
}

PIPE_HOOK void pipe_child_begin(void)
{
	pipe_hook_calls[2]++;
}

PIPE_HOOK void pipe_child_end(void)
{
	pipe_hook_calls[3]++;
}

enum window_mode {
	WINDOW_NONE,
	WINDOW_ONE,	/* the parent only */
	WINDOW_BOTH,	/* parent and child */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Open /dev/rv and start a window on the calling thread; returns the fd. */
static int window_open(uint64_t tag)
{
	struct tlob_start_args args = {
		.threshold_ns = TLOB_MAX_THRESHOLD_NS,
		.tag = tag,
	};
	int fd;

	fd = open(RV_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TLOB_IOCTL_TRACE_START, &args) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Stop the window of fd and print what it measured. */
static int window_close(int fd, const char *who)
{
	struct tlob_result res;
	int r = 0;

	memset(&res, 0, sizeof(res));
	if (ioctl(fd, TLOB_IOCTL_TRACE_STOP_RESULT, &res) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return r;
	printf("window=%s elapsed_ns=%" PRIu64 " running_ns=%" PRIu64
	       " waiting_ns=%" PRIu64 " sleeping_ns=%" PRIu64 " violated=%" PRIu32 "\n",
	       who, (uint64_t)res.elapsed_ns, (uint64_t)res.running_ns,
	       (uint64_t)res.waiting_ns, (uint64_t)res.sleeping_ns,
	       (uint32_t)res.violated);
	return 0;
}

static int full_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPIPE;
}

static int full_write(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPIPE;
}

/* The child's side: echo every token back until the parent is done. */
static int run_child(int in, int out, unsigned long loops, bool window)
{
	int wfd = -1, r = 0, token;
	unsigned long i;

	if (window) {
		wfd = window_open(2);
		if (wfd < 0) {
			fprintf(stderr, "tlob-pipe: child: cannot open a window: %s\n",
				strerror(-wfd));
			return 1;
		}
	}
	pipe_child_begin();
	for (i = 0; i < loops; i++) {
		r = full_read(in, &token, sizeof(token));
		if (r < 0)
			break;
		r = full_write(out, &token, sizeof(token));
		if (r < 0)
			break;
	}
	pipe_child_end();
	if (r < 0)
		fprintf(stderr, "tlob-pipe: child: pipe: %s\n", strerror(-r));
	if (wfd >= 0) {
		/* Print after the parent's numbers: it waits for us first. */
		int q = window_close(wfd, "child");

		if (q < 0) {
			fprintf(stderr, "tlob-pipe: child: TRACE_STOP_RESULT: %s\n",
				strerror(-q));
			r = q;
		}
	}
	fflush(stdout);
	return r < 0 ? 1 : 0;
}

/* Write "PARENT CHILD" to path, atomically (a reader polls for it). */
static int write_pids(const char *path, pid_t child)
{
	char tmp[4096];
	FILE *f;
	int r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%d %d\n", (int)getpid(), (int)child);
	if (fclose(f) != 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	return r;
}

static int run(unsigned long loops, enum window_mode mode, const char *pid_file)
{
	int to_child[2], to_parent[2], wfd = -1, status, r = 0, token = 0;
	uint64_t t0, t1;
	unsigned long i;
	pid_t pid;

	if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(to_parent, O_CLOEXEC) < 0) {
		fprintf(stderr, "tlob-pipe: pipe: %m\n");
		return 1;
	}

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tlob-pipe: fork: %m\n");
		return 1;
	}
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		_exit(run_child(to_child[0], to_parent[1], loops,
				mode == WINDOW_BOTH));
	}
	close(to_child[0]);
	close(to_parent[1]);

	if (mode != WINDOW_NONE) {
		wfd = window_open(1);
		if (wfd < 0) {
			fprintf(stderr, "tlob-pipe: cannot open a window on %s: %s\n",
				RV_DEVICE, strerror(-wfd));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
	}

	if (pid_file) {
		r = write_pids(pid_file, pid);
		if (r < 0) {
			fprintf(stderr, "tlob-pipe: %s: %s\n", pid_file, strerror(-r));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
		raise(SIGSTOP);
	}

	pipe_begin();
	t0 = now_ns();
	for (i = 0; i < loops; i++) {
		r = full_write(to_child[1], &token, sizeof(token));
		if (r < 0)
			break;
		r = full_read(to_parent[0], &token, sizeof(token));
		if (r < 0)
			break;
	}
	t1 = now_ns();
	pipe_end();

	close(to_child[1]);
	close(to_parent[0]);
	if (r < 0)
		fprintf(stderr, "tlob-pipe: pipe: %s\n", strerror(-r));
	else
		printf("loops=%lu usecs_per_op=%.3f ops_per_sec=%.0f\n", loops,
		       (double)(t1 - t0) / 1000.0 / (double)loops,
		       (double)loops * 1e9 / (double)(t1 - t0));
	fflush(stdout);

	if (waitpid(pid, &status, 0) < 0) {
		fprintf(stderr, "tlob-pipe: waitpid: %m\n");
		r = -ECHILD;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = -ECHILD;
	}

	if (wfd >= 0) {
		int q = window_close(wfd, "parent");

		if (q < 0) {
			fprintf(stderr, "tlob-pipe: TRACE_STOP_RESULT: %s\n",
				strerror(-q));
			r = q;
		}
	}
	return r < 0 ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tlob-pipe [--loops N] [--window none|one|both] [--pid-file FILE]\n"
		"\n"
		"Pipe ping-pong between two processes, like `perf bench sched pipe`;\n"
		"with --window one (the parent) or both tasks inside a tlob\n"
		"self-instrumented window with a one-hour budget (needs tlob.ko).\n"
		"\n"
		"  -l, --loops N      round trips (default 100000)\n"
		"  -w, --window MODE  none (default), one or both\n"
		"  -p, --pid-file FILE  write \"PARENT CHILD\" to FILE, then stop\n"
		"                     (SIGSTOP) until continued, before the loop\n"
		"  -h, --help         show this help\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "loops", required_argument, NULL, 'l' },
		{ "window", required_argument, NULL, 'w' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	enum window_mode mode = WINDOW_NONE;
	const char *pid_file = NULL;
	unsigned long loops = 100000;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "l:w:p:h", options, NULL)) >= 0) {
		switch (c) {
		case 'l':
			errno = 0;
			loops = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || loops == 0 ||
			    optarg[0] == '-') {
				fprintf(stderr, "tlob-pipe: bad --loops '%s'\n", optarg);
				return 2;
			}
			break;
		case 'w':
			if (strcmp(optarg, "none") == 0) {
				mode = WINDOW_NONE;
			} else if (strcmp(optarg, "one") == 0) {
				mode = WINDOW_ONE;
			} else if (strcmp(optarg, "both") == 0) {
				mode = WINDOW_BOTH;
			} else {
				fprintf(stderr, "tlob-pipe: bad --window '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			pid_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tlob-pipe: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return run(loops, mode, pid_file);
}
