// SPDX-License-Identifier: GPL-2.0
/*
 * tlob-drv - drive /dev/rv from the command line for the tlob selftests.
 *
 * usage: tlob-drv OP[:ARG,ARG,...] [=EXPECT] OP... (see --help)
 *
 * Runs the operations in order in one process. Each prints "NAME: RESULT"
 * (RESULT an errno name or 0) plus its own key=value lines. An operation
 * followed by "=ERRNO" (or "=E1|E2", "=0", "=any") must end that way;
 * without one it must succeed. The first mismatch ends the program with
 * status 1 and a message on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/futex.h>
#include <linux/tlob.h>

#include "kt-records.h"
#include "kt-util.h"

#define DRV_MAX_FDS	16
#define DRV_MAX_BINDS	64
#define DRV_MAX_ARGS	32
#define DRV_MAX_SPAWN	32
#define DRV_DEV		"/dev/rv"
#define DRV_STATS	"/sys/kernel/tlob/stats"

struct drv {
	int fd[DRV_MAX_FDS];		/* -1: not open yet */
	int cur;			/* index into fd[] */
	uint32_t bind_id[DRV_MAX_BINDS];
	unsigned int nbind;
	int *multi;			/* fds opened by multistart */
	size_t nmulti;
	pid_t spawned[DRV_MAX_SPAWN];
	unsigned int nspawn;
	const char *text;		/* the token after write:PATH */
};

struct op {
	const char *name;
	int (*fn)(struct drv *d, char **args, int nargs);
	int min_args;
	const char *help;
};

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int cur_fd(struct drv *d)
{
	int fd = d->fd[d->cur];

	if (fd >= 0)
		return fd;
	fd = open(DRV_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d->fd[d->cur] = fd;
	return fd;
}

/* Value of "key=value" among the arguments, "" for a bare "key", or NULL. */
static const char *opt(char **args, int nargs, const char *key)
{
	size_t len = strlen(key);

	for (int i = 0; i < nargs; i++) {
		if (strncmp(args[i], key, len))
			continue;
		if (args[i][len] == '=')
			return args[i] + len + 1;
		if (args[i][len] == '\0')
			return "";
	}
	return NULL;
}

static int opt_u64(char **args, int nargs, const char *key, uint64_t *v)
{
	const char *s = opt(args, nargs, key);

	if (!s)
		return 0;
	return kt_parse_u64(s, v) < 0 ? -EINVAL : 1;
}

static int opt_duration(char **args, int nargs, const char *key, uint64_t *v)
{
	const char *s = opt(args, nargs, key);

	if (!s)
		return 0;
	return kt_parse_duration(s, v) < 0 ? -EINVAL : 1;
}

static int ioctl_ret(int r)
{
	return r < 0 ? -errno : 0;
}

static void print_result(const struct tlob_result *r)
{
	printf("result threshold_ns=%" PRIu64 " elapsed_ns=%" PRIu64
	       " running_ns=%" PRIu64 " waiting_ns=%" PRIu64 " sleeping_ns=%" PRIu64
	       " violated=%u reserved=%u\n",
	       (uint64_t)r->threshold_ns, (uint64_t)r->elapsed_ns,
	       (uint64_t)r->running_ns, (uint64_t)r->waiting_ns,
	       (uint64_t)r->sleeping_ns, r->violated, r->reserved);
}

/* --- self-instrumentation ------------------------------------------------ */

static int do_start(int fd, char **args, int nargs)
{
	struct tlob_start_args a = { 0 };
	uint64_t v;
	int r;

	if (kt_parse_duration(args[0], &v) < 0)
		return -EINVAL;
	a.threshold_ns = v;
	v = 0;
	r = opt_u64(args, nargs, "tag", &v);
	if (r < 0)
		return r;
	a.tag = v;
	v = 0;
	r = opt_u64(args, nargs, "flags", &v);
	if (r < 0)
		return r;
	a.flags = (uint32_t)v;
	v = 0;
	r = opt_u64(args, nargs, "reserved", &v);
	if (r < 0)
		return r;
	r = opt_u64(args, nargs, "signal", &v);
	if (r < 0)
		return r;
	a.signal = (uint32_t)v;
	return ioctl_ret(ioctl(fd, TLOB_IOCTL_TRACE_START, &a));
}

static int op_start(struct drv *d, char **args, int nargs)
{
	int fd = cur_fd(d);

	if (fd < 0)
		return fd;
	printf("start tid=%d tgid=%d start_ns=%" PRIu64 "\n", gettid_(), getpid(),
	       kt_now_ns());
	return do_start(fd, args, nargs);
}

static int op_startbad(struct drv *d, char **args, int nargs)
{
	int fd = cur_fd(d);

	if (fd < 0)
		return fd;
	return ioctl_ret(ioctl(fd, TLOB_IOCTL_TRACE_START, (void *)16));
}

/* An ioctl command of tlob's magic that does not exist. */
static int op_badioctl(struct drv *d, char **args, int nargs)
{
	int fd = cur_fd(d);

	if (fd < 0)
		return fd;
	return ioctl_ret(ioctl(fd, _IO(TLOB_IOCTL_MAGIC, 0x7f)));
}

static int op_stop(struct drv *d, char **args, int nargs)
{
	int fd = cur_fd(d);

	if (fd < 0)
		return fd;
	return ioctl_ret(ioctl(fd, TLOB_IOCTL_TRACE_STOP));
}

static int do_result(int fd)
{
	struct tlob_result res;
	int r;

	memset(&res, 0, sizeof(res));
	r = ioctl_ret(ioctl(fd, TLOB_IOCTL_TRACE_STOP_RESULT, &res));
	if (r == 0 || r == -EOVERFLOW)
		print_result(&res);
	return r;
}

static int op_result(struct drv *d, char **args, int nargs)
{
	int fd = cur_fd(d);

	if (fd < 0)
		return fd;
	return do_result(fd);
}

struct thread_job {
	int fd;
	int what;		/* 0 stop, 1 result, 2 start and exit */
	char **args;
	int nargs;
	int ret;
};

static void *job_thread(void *p)
{
	struct thread_job *j = p;

	if (j->what == 0)
		j->ret = ioctl_ret(ioctl(j->fd, TLOB_IOCTL_TRACE_STOP));
	else if (j->what == 1)
		j->ret = do_result(j->fd);
	else
		j->ret = do_start(j->fd, j->args, j->nargs);
	return NULL;
}

static int run_job(struct drv *d, int what, char **args, int nargs)
{
	struct thread_job j = { .what = what, .args = args, .nargs = nargs };
	pthread_t t;
	int r;

	j.fd = cur_fd(d);
	if (j.fd < 0)
		return j.fd;
	r = pthread_create(&t, NULL, job_thread, &j);
	if (r)
		return -r;
	pthread_join(t, NULL);
	return j.ret;
}

static int op_stop_thread(struct drv *d, char **args, int nargs)
{
	return run_job(d, 0, args, nargs);
}

static int op_result_thread(struct drv *d, char **args, int nargs)
{
	return run_job(d, 1, args, nargs);
}

static int op_thread_exit(struct drv *d, char **args, int nargs)
{
	return run_job(d, 2, args, nargs);
}

static int op_multistart(struct drv *d, char **args, int nargs)
{
	uint64_t n;
	size_t started = 0;
	int r = 0;

	if (kt_parse_u64(args[0], &n) < 0 || n > 100000)
		return -EINVAL;
	for (; started < n; started++) {
		int *m, fd;

		fd = open(DRV_DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		r = do_start(fd, args + 1, nargs - 1);
		if (!r && opt(args + 1, nargs - 1, "stop") &&
		    ioctl(fd, TLOB_IOCTL_TRACE_STOP) < 0 && errno != EOVERFLOW)
			r = -errno;
		if (r < 0) {
			close(fd);
			break;
		}
		m = realloc(d->multi, (d->nmulti + 1) * sizeof(*m));
		if (!m) {
			close(fd);
			r = -ENOMEM;
			break;
		}
		d->multi = m;
		d->multi[d->nmulti++] = fd;
	}
	printf("multistart started=%zu\n", started);
	return r;
}

/* openmany:N: N more fds of /dev/rv, doing nothing with them. */
static int op_openmany(struct drv *d, char **args, int nargs)
{
	size_t opened = 0;
	uint64_t n;
	int r = 0;

	if (kt_parse_u64(args[0], &n) < 0 || n > 100000)
		return -EINVAL;
	for (; opened < n; opened++) {
		int *m, fd = open(DRV_DEV, O_RDWR | O_CLOEXEC);

		if (fd < 0) {
			r = -errno;
			break;
		}
		m = realloc(d->multi, (d->nmulti + 1) * sizeof(*m));
		if (!m) {
			close(fd);
			r = -ENOMEM;
			break;
		}
		d->multi = m;
		d->multi[d->nmulti++] = fd;
	}
	printf("openmany opened=%zu\n", opened);
	return r;
}

static int op_closeall(struct drv *d, char **args, int nargs)
{
	for (size_t i = 0; i < d->nmulti; i++)
		close(d->multi[i]);
	d->nmulti = 0;
	return 0;
}

static int op_loop(struct drv *d, char **args, int nargs)
{
	unsigned int ok = 0, over = 0;
	uint64_t n, budget, nap;
	int fd = cur_fd(d);

	if (fd < 0)
		return fd;
	if (kt_parse_u64(args[0], &n) < 0 || kt_parse_duration(args[2], &nap) < 0)
		return -EINVAL;
	if (kt_parse_duration(args[1], &budget) < 0)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		struct tlob_start_args a = { .threshold_ns = budget, .tag = i };
		int r = ioctl_ret(ioctl(fd, TLOB_IOCTL_TRACE_START, &a));

		if (r < 0)
			return r;
		kt_sleep_ns(nap);
		r = ioctl_ret(ioctl(fd, TLOB_IOCTL_TRACE_STOP));
		if (r == 0)
			ok++;
		else if (r == -EOVERFLOW)
			over++;
		else
			return r;
	}
	printf("loop within=%u over=%u\n", ok, over);
	return 0;
}

/*
 * flood:SECONDS[,DUR]: windows of budget DUR (default 1ns) opened and
 * closed back to back on the current fd for SECONDS; every one of them
 * must give a result, and those over budget EOVERFLOW.
 */
static int op_flood(struct drv *d, char **args, int nargs)
{
	uint64_t secs, budget = 1, end, n = 0, over = 0;
	struct tlob_result res;
	int fd = cur_fd(d), r;

	if (fd < 0)
		return fd;
	if (kt_parse_u64(args[0], &secs) < 0 ||
	    (nargs > 1 && kt_parse_duration(args[1], &budget) < 0))
		return -EINVAL;
	end = kt_now_ns() + secs * KT_NSEC_PER_SEC;
	while (kt_now_ns() < end) {
		struct tlob_start_args a = { .threshold_ns = budget, .tag = n };

		r = ioctl_ret(ioctl(fd, TLOB_IOCTL_TRACE_START, &a));
		if (r < 0)
			return r;
		r = ioctl_ret(ioctl(fd, TLOB_IOCTL_TRACE_STOP_RESULT, &res));
		if (r == -EOVERFLOW)
			over++;
		else if (r < 0)
			return r;
		if ((r == -EOVERFLOW) != (res.elapsed_ns >= res.threshold_ns)) {
			print_result(&res);
			return -EPROTO;
		}
		n++;
	}
	printf("flood windows=%" PRIu64 " over=%" PRIu64 "\n", n, over);
	return 0;
}

/*
 * uidwindows:N,UID,DUR: N children, the i-th as uid UID+i, each opening
 * one window of budget DUR on a fd of its own and holding it until all
 * have tried; prints how many opened and how many got ENOSPC.
 */
static int op_uidwindows(struct drv *d, char **args, int nargs)
{
	uint64_t n, uid, budget, opened = 0, enospc = 0, other = 0;
	int ready[2], go[2];
	pid_t pids[256];

	if (kt_parse_u64(args[0], &n) < 0 || n > 256 ||
	    kt_parse_u64(args[1], &uid) < 0 ||
	    kt_parse_duration(args[2], &budget) < 0)
		return -EINVAL;
	if (pipe(ready) < 0 || pipe(go) < 0)
		return -errno;
	for (uint64_t i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return -errno;
		if (!pids[i]) {
			struct tlob_start_args a = { .threshold_ns = budget };
			char res = 'e', c;
			int fd;

			close(ready[0]);
			close(go[1]);
			if (setresgid(uid + i, uid + i, uid + i) == 0 &&
			    setresuid(uid + i, uid + i, uid + i) == 0) {
				fd = open(DRV_DEV, O_RDWR | O_CLOEXEC);
				if (fd >= 0 &&
				    ioctl(fd, TLOB_IOCTL_TRACE_START, &a) == 0)
					res = 'o';
				else if (errno == ENOSPC)
					res = 'n';
			}
			if (write(ready[1], &res, 1) != 1)
				_exit(1);
			if (read(go[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (uint64_t i = 0; i < n; i++) {
		char c;

		if (read(ready[0], &c, 1) != 1)
			return -EIO;
		if (c == 'o')
			opened++;
		else if (c == 'n')
			enospc++;
		else
			other++;
	}
	close(go[1]);
	for (uint64_t i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	close(ready[0]);
	printf("uidwindows opened=%" PRIu64 " enospc=%" PRIu64 " failed=%" PRIu64 "\n",
	       opened, enospc, other);
	return other ? -EIO : 0;
}

/* --- work ---------------------------------------------------------------- */

static int op_sleep(struct drv *d, char **args, int nargs)
{
	uint64_t ns;

	if (kt_parse_duration(args[0], &ns) < 0)
		return -EINVAL;
	kt_sleep_ns(ns);
	return 0;
}

/* A thread that waits, then wakes the op's thread up (pipe or futex). */
struct waker_arg {
	uint64_t ns;
	int fd;			/* pipe: write end, or -1 */
	uint32_t *futex;
	pid_t tid;
};

static void *waker_thread(void *p)
{
	struct waker_arg *a = p;

	a->tid = gettid_();
	kt_sleep_ns(a->ns);
	if (a->fd >= 0) {
		if (write(a->fd, "x", 1) != 1)
			perror("tlob-drv: waker write");
	} else {
		__atomic_store_n(a->futex, 1, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, a->futex, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	return NULL;
}

/* piperead:DUR / futexwait:DUR: block in read() of a pipe or a futex. */
static int block_on(char **args, bool pipe_)
{
	struct waker_arg a = { .fd = -1 };
	uint32_t futex = 0;
	pthread_t th;
	int p[2] = { -1, -1 }, r = 0;
	char c;

	if (kt_parse_duration(args[0], &a.ns) < 0)
		return -EINVAL;
	if (pipe_) {
		if (pipe(p) < 0)
			return -errno;
		a.fd = p[1];
	}
	a.futex = &futex;
	r = -pthread_create(&th, NULL, waker_thread, &a);
	if (r < 0)
		goto out;
	if (pipe_) {
		if (read(p[0], &c, 1) != 1)
			r = -EIO;
	} else {
		while (!__atomic_load_n(&futex, __ATOMIC_SEQ_CST))
			syscall(SYS_futex, &futex, FUTEX_WAIT, 0, NULL, NULL, 0);
	}
	pthread_join(th, NULL);
	printf("waker tid=%d\n", a.tid);
out:
	if (pipe_) {
		close(p[0]);
		close(p[1]);
	}
	return r;
}

static int op_piperead(struct drv *d, char **args, int nargs)
{
	return block_on(args, true);
}

static int op_futexwait(struct drv *d, char **args, int nargs)
{
	return block_on(args, false);
}

/*
 * fileread:PATH[,chunk=N,max=N]: read PATH, CHUNK bytes (1 MiB) per read(),
 * up to MAX bytes (all), with O_DIRECT if it can.
 */
static int op_fileread(struct drv *d, char **args, int nargs)
{
	static char buf[1 << 20] __attribute__((aligned(4096)));
	uint64_t total = 0, chunk = sizeof(buf), max = UINT64_MAX;
	ssize_t n = 0;
	int fd;

	if (opt_u64(args + 1, nargs - 1, "chunk", &chunk) < 0 ||
	    opt_u64(args + 1, nargs - 1, "max", &max) < 0 ||
	    !chunk || chunk > sizeof(buf))
		return -EINVAL;
	fd = open(args[0], O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		fd = open(args[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (total < max && (n = read(fd, buf, chunk)) > 0)
		total += (uint64_t)n;
	if (n < 0)
		n = -errno;
	close(fd);
	printf("fileread bytes=%" PRIu64 "\n", total);
	return n < 0 ? (int)n : 0;
}

/* The thread's CPU time, e.g. right after START and before STOP. */
static int op_cpu(struct drv *d, char **args, int nargs)
{
	printf("cpu cpu_ns=%" PRIu64 "\n", kt_thread_cpu_ns());
	return 0;
}

static int op_busy(struct drv *d, char **args, int nargs)
{
	uint64_t ns, end;

	if (kt_parse_duration(args[0], &ns) < 0)
		return -EINVAL;
	end = kt_now_ns() + ns;
	while (kt_now_ns() < end)
		;
	return 0;
}

static int op_yield(struct drv *d, char **args, int nargs)
{
	uint64_t ns, end;

	if (kt_parse_duration(args[0], &ns) < 0)
		return -EINVAL;
	end = kt_now_ns() + ns;
	while (kt_now_ns() < end)
		sched_yield();
	return 0;
}

/* --- management ---------------------------------------------------------- */

static int parse_cgroup(const char *s, uint64_t *id)
{
	struct stat st;

	if (s[0] != '/')
		return kt_parse_u64(s, id) < 0 ? -EINVAL : 0;
	if (stat(s, &st) < 0)
		return -errno;
	*id = st.st_ino;
	return 0;
}

static int bind_file_fd(const char *file, const char *fdopt, int *fd)
{
	int64_t v;
	char *end;

	if (!fdopt) {
		*fd = open(file, O_RDONLY | O_CLOEXEC);
		return *fd < 0 ? -errno : 1;
	}
	if (fdopt[0] == '/') {
		*fd = open(fdopt, O_RDONLY | O_CLOEXEC);
		return *fd < 0 ? -errno : 1;
	}
	v = strtoll(fdopt, &end, 0);
	if (*end || !*fdopt)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

static int op_bind(struct drv *d, char **args, int nargs)
{
	struct tlob_bind_args a = { 0 };
	const char *s;
	int fd, file_fd, owned, r;
	uint64_t v;

	fd = cur_fd(d);
	if (fd < 0)
		return fd;
	for (int i = 0; i < 2; i++) {
		r = kt_resolve_offset(args[0], args[1 + i], &v);
		if (r < 0) {
			fprintf(stderr, "tlob-drv: %s in %s: %s\n", args[1 + i],
				args[0], strerror(-r));
			return -EINVAL;
		}
		if (i == 0)
			a.start_offset = v;
		else
			a.stop_offset = v;
	}
	if (kt_parse_duration(args[3], &v) < 0)
		return -EINVAL;
	a.threshold_ns = v;
	if (opt(args + 4, nargs - 4, "ret"))
		a.flags |= TLOB_BIND_STOP_ON_RETURN;
	v = 0;
	if (opt_u64(args + 4, nargs - 4, "flags", &v) < 0)
		return -EINVAL;
	a.flags |= (uint32_t)v;
	v = 0;
	if (opt_u64(args + 4, nargs - 4, "reserved", &v) < 0)
		return -EINVAL;
	if (opt_u64(args + 4, nargs - 4, "signal", &v) < 0)
		return -EINVAL;
	a.signal = (uint32_t)v;
	if (opt(args + 4, nargs - 4, "cause"))
		a.flags |= TLOB_BIND_CAUSE;
	v = 0;
	if (opt_u64(args + 4, nargs - 4, "cookie", &v) < 0)
		return -EINVAL;
	a.cookie = v;
	s = opt(args + 4, nargs - 4, "cgroup");
	if (s) {
		r = parse_cgroup(s, &v);
		if (r < 0)
			return r;
		a.cgroup_id = v;
	}
	s = opt(args + 4, nargs - 4, "cgpath");
	if (s) {
		a.flags |= TLOB_BIND_CGROUP_PATH;
		a.cgroup_id = (uintptr_t)s;
	}
	owned = bind_file_fd(args[0], opt(args + 4, nargs - 4, "fd"), &file_fd);
	if (owned < 0)
		return owned;
	a.fd = file_fd;
	r = ioctl_ret(ioctl(fd, TLOB_IOCTL_BIND, &a));
	if (owned)
		close(file_fd);
	if (r < 0)
		return r;
	printf("bind id=%u start=0x%" PRIx64 " stop=0x%" PRIx64 "\n", a.id,
	       (uint64_t)a.start_offset, (uint64_t)a.stop_offset);
	if (d->nbind < DRV_MAX_BINDS)
		d->bind_id[d->nbind++] = a.id;
	return 0;
}

static int parse_bind_id(struct drv *d, const char *s, uint32_t *id)
{
	uint64_t v;

	if (s[0] == '@') {
		if (kt_parse_u64(s + 1, &v) < 0 || v < 1 || v > d->nbind)
			return -EINVAL;
		*id = d->bind_id[v - 1];
		return 0;
	}
	if (kt_parse_u64(s, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

static int op_unbind(struct drv *d, char **args, int nargs)
{
	int fd = cur_fd(d);
	uint32_t id;

	if (fd < 0)
		return fd;
	if (parse_bind_id(d, args[0], &id) < 0)
		return -EINVAL;
	return ioctl_ret(ioctl(fd, TLOB_IOCTL_UNBIND, &id));
}

static int op_bstats(struct drv *d, char **args, int nargs)
{
	struct tlob_binding_stats st;
	uint64_t hsum = 0, v = 0;
	int fd = cur_fd(d), top = -1, r;

	if (fd < 0)
		return fd;
	memset(&st, 0, sizeof(st));
	if (parse_bind_id(d, args[0], &st.id) < 0 ||
	    opt_u64(args + 1, nargs - 1, "reserved", &v) < 0)
		return -EINVAL;
	st.reserved = (uint32_t)v;
	r = ioctl_ret(ioctl(fd, TLOB_IOCTL_BINDING_STATS, &st));
	if (r < 0)
		return r;
	printf("bstats id=%u windows=%" PRIu64 " violations=%" PRIu64
	       " max_ns=%" PRIu64 " sum_ns=%" PRIu64 " hist=", st.id,
	       (uint64_t)st.windows, (uint64_t)st.violations,
	       (uint64_t)st.max_ns, (uint64_t)st.sum_ns);
	for (int i = 0; i < TLOB_HIST_BUCKETS; i++) {
		if (!st.hist[i])
			continue;
		printf("%s%d:%" PRIu64, top < 0 ? "" : ";", i, (uint64_t)st.hist[i]);
		hsum += st.hist[i];
		top = i;
	}
	printf(" hist_sum=%" PRIu64 " hist_top=%d\n", hsum, top);
	return 0;
}

/* list[:owned]: TLOB_IOCTL_LIST_BINDINGS, with room for 4096 ids. */
static int op_list(struct drv *d, char **args, int nargs)
{
	static uint32_t ids[4096];
	struct tlob_binding_list l = { .count = 4096,
				       .ids = (uintptr_t)ids };
	uint64_t v = 0;
	int fd = cur_fd(d), r;

	if (fd < 0)
		return fd;
	if (opt(args, nargs, "owned"))
		l.flags |= TLOB_LIST_OWNED;
	if (opt_u64(args, nargs, "flags", &v) < 0)
		return -EINVAL;
	l.flags |= (uint32_t)v;
	if (opt_u64(args, nargs, "room", &v) > 0)
		l.count = (uint32_t)v;
	r = ioctl_ret(ioctl(fd, TLOB_IOCTL_LIST_BINDINGS, &l));
	if (r < 0)
		return r;
	printf("list count=%u ids=", l.count);
	for (uint32_t i = 0; i < l.count && i < 4096; i++)
		printf("%s%u", i ? "," : "", ids[i]);
	printf("\n");
	return 0;
}

/* info:ID|@K[,room=N]: TLOB_IOCTL_BINDING_INFO. */
static int op_info(struct drv *d, char **args, int nargs)
{
	struct tlob_binding_info info = { 0 };
	char path[4096] = "";
	uint64_t room = sizeof(path);
	int fd = cur_fd(d), r;

	if (fd < 0)
		return fd;
	if (parse_bind_id(d, args[0], &info.id) < 0 ||
	    opt_u64(args + 1, nargs - 1, "room", &room) < 0 ||
	    room > sizeof(path))
		return -EINVAL;
	info.cgroup_path = (uintptr_t)path;
	info.cgroup_path_size = (uint32_t)room;
	r = ioctl_ret(ioctl(fd, TLOB_IOCTL_BINDING_INFO, &info));
	if (r < 0 && r != -ERANGE)
		return r;
	printf("info id=%u flags=%u start=0x%" PRIx64 " stop=0x%" PRIx64
	       " threshold_ns=%" PRIu64 " cgroup=%" PRIu64 " cookie=%" PRIu64
	       " dev=%" PRIu64 " ino=%" PRIu64 " owner=%u cgroup_path_size=%u"
	       " cgroup_path=%s\n",
	       info.id, info.flags, (uint64_t)info.start_offset,
	       (uint64_t)info.stop_offset, (uint64_t)info.threshold_ns,
	       (uint64_t)info.cgroup_id, (uint64_t)info.cookie,
	       (uint64_t)info.dev, (uint64_t)info.ino, info.owner,
	       info.cgroup_path_size, r ? "" : path);
	return r;
}

static int op_sub(struct drv *d, char **args, int nargs)
{
	int fd = cur_fd(d);
	uint64_t v;
	uint32_t flags;

	if (fd < 0)
		return fd;
	if (strcmp(args[0], "all") == 0)
		v = TLOB_SUB_ALL;
	else if (strcmp(args[0], "cause") == 0)
		v = TLOB_SUB_ALL | TLOB_SUB_CAUSE;
	else if (kt_parse_u64(args[0], &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	flags = (uint32_t)v;
	return ioctl_ret(ioctl(fd, TLOB_IOCTL_SUBSCRIBE, &flags));
}

/* --- events -------------------------------------------------------------- */

/*
 * Read records until WANT arrived or TIMEOUT passed with none. Returns the
 * number read, or -errno.
 */
static long read_events(int fd, uint64_t want, uint64_t timeout_ns, bool exact)
{
	struct tlob_event ev[64];
	uint64_t got = 0, deadline = kt_now_ns() + timeout_ns;

	while (!exact || got < want || want == 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = kt_now_ns(), room;
		ssize_t n;
		int r;

		if (now >= deadline)
			break;
		r = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		room = exact && want > got ? want - got : 64;
		if (room > 64)
			room = 64;
		n = read(fd, ev, room * sizeof(ev[0]));
		/* The next record is a CAUSE, larger than the room left. */
		if (n < 0 && errno == EINVAL &&
		    room * sizeof(ev[0]) < sizeof(struct tlob_cause_event))
			n = read(fd, ev, sizeof(struct tlob_cause_event));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		got += kt_print_records(ev, (size_t)n);
		if (!exact)
			deadline = kt_now_ns() + timeout_ns;
	}
	return (long)got;
}

/* read:N[,timeout=DUR]: exactly N records (N=0: none within the timeout). */
static int op_read(struct drv *d, char **args, int nargs)
{
	uint64_t want, timeout = 5 * KT_NSEC_PER_SEC;
	int fd = cur_fd(d);
	long got;

	if (fd < 0)
		return fd;
	if (kt_parse_u64(args[0], &want) < 0 ||
	    opt_duration(args + 1, nargs - 1, "timeout", &timeout) < 0)
		return -EINVAL;
	got = read_events(fd, want, timeout, true);
	if (got < 0)
		return (int)got;
	printf("read count=%ld\n", got);
	if ((uint64_t)got < want)
		return -ETIMEDOUT;
	return (uint64_t)got > want ? -E2BIG : 0;
}

/* drain[:timeout=DUR]: everything until none arrived for the timeout. */
static int op_drain(struct drv *d, char **args, int nargs)
{
	uint64_t timeout = KT_NSEC_PER_SEC;
	int fd = cur_fd(d);
	long got;

	if (fd < 0)
		return fd;
	if (opt_duration(args, nargs, "timeout", &timeout) < 0)
		return -EINVAL;
	got = read_events(fd, 0, timeout, false);
	if (got < 0)
		return (int)got;
	printf("drain count=%ld\n", got);
	return 0;
}

/* readraw:SIZE[,nonblock]: one read() of SIZE bytes ("ev": one record). */
static int op_readraw(struct drv *d, char **args, int nargs)
{
	struct tlob_event ev[4];
	int fd = cur_fd(d), fl = 0, r = 0;
	uint64_t size;
	bool nb;
	ssize_t n;

	if (fd < 0)
		return fd;
	if (strcmp(args[0], "ev") == 0)
		size = sizeof(ev[0]);
	else if (kt_parse_u64(args[0], &size) < 0 || size > sizeof(ev))
		return -EINVAL;
	nb = opt(args + 1, nargs - 1, "nonblock");
	if (nb) {
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return -errno;
	}
	n = read(fd, ev, size);
	if (n < 0)
		r = -errno;
	if (nb)
		fcntl(fd, F_SETFL, fl);
	if (n > 0)
		kt_print_records(ev, (size_t)n);
	if (n >= 0)
		printf("readraw bytes=%zd\n", n);
	return r;
}

/* poll:DUR: 0 if POLLIN came within DUR, ETIMEDOUT if nothing did. */
static int op_poll(struct drv *d, char **args, int nargs)
{
	struct pollfd pfd = { .events = POLLIN | POLLPRI };
	uint64_t timeout, t0;
	int fd = cur_fd(d), r;

	if (fd < 0)
		return fd;
	if (kt_parse_duration(args[0], &timeout) < 0)
		return -EINVAL;
	pfd.fd = fd;
	t0 = kt_now_ns();
	do {
		r = poll(&pfd, 1, (int)(timeout / KT_NSEC_PER_MSEC));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	printf("poll revents=%s%s%s%s waited_ns=%" PRIu64 "\n",
	       pfd.revents & POLLIN ? "IN," : "", pfd.revents & POLLPRI ? "PRI," : "",
	       pfd.revents & POLLERR ? "ERR," : "", pfd.revents & POLLHUP ? "HUP," : "",
	       kt_now_ns() - t0);
	if (r == 0)
		return -ETIMEDOUT;
	return pfd.revents & POLLIN ? 0 : -EIO;
}

/*
 * pollev:in|pri|inpri,DUR: poll() for those events only; 0 if one came
 * within DUR (0: do not wait), ETIMEDOUT if none did.
 */
static int op_pollev(struct drv *d, char **args, int nargs)
{
	struct pollfd pfd = { 0 };
	uint64_t timeout;
	int fd = cur_fd(d), r;

	if (fd < 0)
		return fd;
	if (!strcmp(args[0], "in"))
		pfd.events = POLLIN;
	else if (!strcmp(args[0], "pri"))
		pfd.events = POLLPRI;
	else if (!strcmp(args[0], "inpri"))
		pfd.events = POLLIN | POLLPRI;
	else
		return -EINVAL;
	if (nargs < 2 || kt_parse_duration(args[1], &timeout) < 0)
		return -EINVAL;
	pfd.fd = fd;
	do {
		r = poll(&pfd, 1, (int)(timeout / KT_NSEC_PER_MSEC));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	printf("pollev revents=%s%s%s\n", pfd.revents & POLLIN ? "IN," : "",
	       pfd.revents & POLLPRI ? "PRI," : "", r ? "" : "none");
	return r ? 0 : -ETIMEDOUT;
}

/* --- processes, files ---------------------------------------------------- */

static pid_t spawn(const char *cgdir, char **argv)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	if (cgdir) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cgdir);
		f = fopen(path, "we");
		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0) {
			perror(path);
			_exit(126);
		}
	}
	execv(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	printf("exit pid=%d status=%d signal=%d\n", pid,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static int start_child(struct drv *d, const char *cgdir, char **args, int nargs,
		       bool wait)
{
	char *argv[DRV_MAX_ARGS + 1];
	pid_t pid;

	for (int i = 0; i < nargs; i++)
		argv[i] = args[i];
	argv[nargs] = NULL;
	fflush(stdout);
	pid = spawn(cgdir, argv);
	if (pid < 0)
		return pid;
	printf("run pid=%d\n", pid);
	if (wait)
		return wait_child(pid);
	if (d->nspawn >= DRV_MAX_SPAWN)
		return -E2BIG;
	d->spawned[d->nspawn++] = pid;
	return 0;
}

static int op_run(struct drv *d, char **args, int nargs)
{
	return start_child(d, NULL, args, nargs, true);
}

static int op_runcg(struct drv *d, char **args, int nargs)
{
	return start_child(d, args[0], args + 1, nargs - 1, true);
}

static int op_spawn(struct drv *d, char **args, int nargs)
{
	return start_child(d, NULL, args, nargs, false);
}

static int op_wait(struct drv *d, char **args, int nargs)
{
	int r = 0;

	for (unsigned int i = 0; i < d->nspawn; i++) {
		int q = wait_child(d->spawned[i]);

		if (q < 0 && r == 0)
			r = q;
	}
	d->nspawn = 0;
	return r;
}

static int op_touch(struct drv *d, char **args, int nargs)
{
	int fd = open(args[0], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int op_waitfile(struct drv *d, char **args, int nargs)
{
	uint64_t timeout = 60 * KT_NSEC_PER_SEC, end;

	if (opt_duration(args + 1, nargs - 1, "timeout", &timeout) < 0)
		return -EINVAL;
	end = kt_now_ns() + timeout;
	while (access(args[0], F_OK) < 0) {
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		kt_sleep_ns(10 * KT_NSEC_PER_MSEC);
	}
	return 0;
}

/* write:PATH TEXT: TEXT (the next token, verbatim) in one write(). */
static int op_write(struct drv *d, char **args, int nargs)
{
	size_t len = strlen(d->text);
	ssize_t n;
	int fd;

	fd = open(args[0], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* As any writer does: complete short writes. */
	for (size_t done = 0; done < len; done += (size_t)n) {
		n = write(fd, d->text + done, len - done);
		if (n <= 0) {
			n = n < 0 ? -errno : -EIO;
			close(fd);
			return (int)n;
		}
	}
	close(fd);
	return 0;
}

static int read_stat(const char *key, uint64_t *val)
{
	char line[256], k[128];
	int r = -ENOENT;
	FILE *f;

	f = fopen(DRV_STATS, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "%127s %llu", k, &v) == 2 && strcmp(k, key) == 0) {
			*val = v;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* statwait:KEY=VALUE[,timeout=DUR]: wait until the stats file says so. */
static int op_statwait(struct drv *d, char **args, int nargs)
{
	uint64_t want, cur = 0, timeout = 3 * KT_NSEC_PER_SEC, end;
	char *eq = strchr(args[0], '=');
	int r;

	if (!eq || kt_parse_u64(eq + 1, &want) < 0 ||
	    opt_duration(args + 1, nargs - 1, "timeout", &timeout) < 0)
		return -EINVAL;
	*eq = '\0';
	end = kt_now_ns() + timeout;
	for (;;) {
		r = read_stat(args[0], &cur);
		if (r < 0 || cur == want || kt_now_ns() > end)
			break;
		kt_sleep_ns(20 * KT_NSEC_PER_MSEC);
	}
	printf("stat %s=%" PRIu64 "\n", args[0], cur);
	*eq = '=';
	if (r < 0)
		return r;
	return cur == want ? 0 : -ETIMEDOUT;
}

static void on_alarm(int sig)
{
}

/* alarm:DUR: SIGALRM after DUR, interrupting (not restarting) a syscall. */
static int op_alarm(struct drv *d, char **args, int nargs)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	uint64_t ns;

	if (kt_parse_duration(args[0], &ns) < 0 || ns == 0)
		return -EINVAL;
	it.it_value.tv_sec = (time_t)(ns / KT_NSEC_PER_SEC);
	it.it_value.tv_usec = (suseconds_t)(ns % KT_NSEC_PER_SEC / 1000);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0)
		return -errno;
	return 0;
}

static int op_pid(struct drv *d, char **args, int nargs)
{
	printf("pid tgid=%d tid=%d\n", getpid(), gettid_());
	return 0;
}

/* --- stress -------------------------------------------------------------- */

struct stress_thread {
	pthread_t t;
	uint64_t end;
	unsigned int seed;
	unsigned long windows, over, nodev, nospc, lost_window, bad;
	int bad_errno;
	const char *bad_op;
};

static void stress_bad(struct stress_thread *s, const char *op, int r)
{
	s->bad++;
	if (!s->bad_op) {
		s->bad_op = op;
		s->bad_errno = r;
	}
}

static void *stress_exit_thread(void *p)
{
	struct tlob_start_args a = { .threshold_ns = KT_NSEC_PER_MSEC };
	int fd = *(int *)p;

	/* Exit with the window open: the module must free it. */
	ioctl(fd, TLOB_IOCTL_TRACE_START, &a);
	return NULL;
}

static void stress_work(struct stress_thread *s)
{
	uint64_t ns = (rand_r(&s->seed) % 3000) * 1000ULL, end;

	switch (rand_r(&s->seed) % 3) {
	case 0:
		kt_sleep_ns(ns);
		break;
	case 1:
		end = kt_now_ns() + ns;
		while (kt_now_ns() < end)
			sched_yield();
		break;
	default:
		end = kt_now_ns() + ns;
		while (kt_now_ns() < end)
			;
		break;
	}
}

static void stress_step(struct stress_thread *s, int *fd)
{
	struct tlob_start_args a = {
		.threshold_ns = (1 + rand_r(&s->seed) % 4000) * 1000ULL,
		.tag = s->windows,
	};
	unsigned int dice = rand_r(&s->seed) % 100;
	int r;

	r = ioctl_ret(ioctl(*fd, TLOB_IOCTL_TRACE_START, &a));
	if (r == -ENODEV) {
		s->nodev++;
		kt_sleep_ns(KT_NSEC_PER_MSEC);
		return;
	}
	if (r == -ENOSPC) {
		s->nospc++;
		kt_sleep_ns(KT_NSEC_PER_MSEC);
		return;
	}
	if (r < 0) {
		stress_bad(s, "start", r);
		return;
	}
	s->windows++;
	stress_work(s);
	if (dice < 3) {
		/* Close the fd with the window open, and carry on with a new one. */
		close(*fd);
		*fd = open(DRV_DEV, O_RDWR | O_CLOEXEC);
		if (*fd < 0)
			stress_bad(s, "open", -errno);
		return;
	}
	if (dice < 5) {
		pthread_t t;
		int tfd = open(DRV_DEV, O_RDWR | O_CLOEXEC);

		if (tfd >= 0 && pthread_create(&t, NULL, stress_exit_thread, &tfd) == 0)
			pthread_join(t, NULL);
		if (tfd >= 0)
			close(tfd);
	}
	r = ioctl_ret(ioctl(*fd, TLOB_IOCTL_TRACE_STOP));
	if (r == -EOVERFLOW)
		s->over++;
	else if (r == -EINVAL)
		s->lost_window++;	/* enable was toggled off meanwhile */
	else if (r < 0)
		stress_bad(s, "stop", r);
}

static void *stress_thread_fn(void *p)
{
	struct stress_thread *s = p;
	int fd = open(DRV_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		stress_bad(s, "open", -errno);
		return NULL;
	}
	while (kt_now_ns() < s->end && fd >= 0)
		stress_step(s, &fd);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* stress:THREADS,SECONDS: threads opening/closing windows at random. */
static int op_stress(struct drv *d, char **args, int nargs)
{
	unsigned long windows = 0, over = 0, nodev = 0, nospc = 0, lost = 0, bad = 0;
	struct stress_thread *st;
	uint64_t n, secs;
	int r = 0;

	if (kt_parse_u64(args[0], &n) < 0 || n == 0 || n > 1024 ||
	    kt_parse_u64(args[1], &secs) < 0)
		return -EINVAL;
	st = calloc(n, sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		st[i].end = kt_now_ns() + secs * KT_NSEC_PER_SEC;
		st[i].seed = (unsigned int)(getpid() * 131 + i);
		r = -pthread_create(&st[i].t, NULL, stress_thread_fn, &st[i]);
		if (r < 0) {
			n = i;
			break;
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		pthread_join(st[i].t, NULL);
		windows += st[i].windows;
		over += st[i].over;
		nodev += st[i].nodev;
		nospc += st[i].nospc;
		lost += st[i].lost_window;
		bad += st[i].bad;
		if (st[i].bad_op) {
			fprintf(stderr, "tlob-drv: stress thread %" PRIu64 ": %s: %s\n",
				i, st[i].bad_op, kt_errno_name(st[i].bad_errno));
			r = st[i].bad_errno;
		}
	}
	printf("stress threads=%" PRIu64 " windows=%lu over=%lu enodev=%lu enospc=%lu "
	       "closed_by_disable=%lu unexpected=%lu\n", n, windows, over, nodev,
	       nospc, lost, bad);
	free(st);
	if (r == 0 && windows == 0)
		r = -ENODATA;
	return r;
}

/* usefd:N|env: take inherited fd N (or $TLOB_DRV_FD) as the current fd. */
static int op_usefd(struct drv *d, char **args, int nargs)
{
	const char *s = args[0];
	uint64_t n;

	if (!strcmp(s, "env"))
		s = getenv("TLOB_DRV_FD");
	if (!s || kt_parse_u64(s, &n) < 0 || n > INT32_MAX)
		return -EINVAL;
	if (fcntl((int)n, F_GETFD) < 0)
		return -errno;
	d->fd[d->cur] = (int)n;
	return 0;
}

/*
 * exec:PROG,ARG...: replace this program, the current fd kept open
 * (printed as "exec fd=N" first, for the new program's usefd:N).
 */
static int op_exec(struct drv *d, char **args, int nargs)
{
	char *argv[DRV_MAX_ARGS + 1], num[16];
	int fd = cur_fd(d);

	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFD, 0) < 0)
		return -errno;
	snprintf(num, sizeof(num), "%d", fd);
	if (setenv("TLOB_DRV_FD", num, 1) < 0)
		return -errno;
	printf("exec fd=%d\n", fd);
	fflush(stdout);
	for (int i = 0; i < nargs; i++)
		argv[i] = args[i];
	argv[nargs] = NULL;
	execv(argv[0], argv);
	return -errno;
}

/* --- main ---------------------------------------------------------------- */

static int op_fd(struct drv *d, char **args, int nargs)
{
	uint64_t i;
	int fd;

	if (kt_parse_u64(args[0], &i) < 0 || i >= DRV_MAX_FDS)
		return -EINVAL;
	d->cur = (int)i;
	fd = cur_fd(d);
	return fd < 0 ? fd : 0;
}

static int op_close(struct drv *d, char **args, int nargs)
{
	if (d->fd[d->cur] < 0)
		return -EBADF;
	close(d->fd[d->cur]);
	d->fd[d->cur] = -1;
	return 0;
}

static const struct op ops[] = {
	{ "fd", op_fd, 1, "fd:N             use fd N (opened on first use), default 0" },
	{ "close", op_close, 0, "close            close the current fd" },
	{ "start", op_start, 1, "start:DUR[,tag=N,flags=N,reserved=N|signal=N]  TRACE_START" },
	{ "startbad", op_startbad, 0, "startbad         TRACE_START with a bad pointer" },
	{ "badioctl", op_badioctl, 0, "badioctl         an unknown ioctl command" },
	{ "stop", op_stop, 0, "stop             TRACE_STOP" },
	{ "result", op_result, 0, "result           TRACE_STOP_RESULT, prints the result" },
	{ "stop-thread", op_stop_thread, 0, "stop-thread      TRACE_STOP from another thread" },
	{ "result-thread", op_result_thread, 0, "result-thread    TRACE_STOP_RESULT from another thread" },
	{ "thread-exit", op_thread_exit, 1, "thread-exit:DUR  a thread opens a window and exits" },
	{ "multistart", op_multistart, 2, "multistart:N,DUR[,stop]  open N fds with a window each (stopped at once)" },
	{ "openmany", op_openmany, 1, "openmany:N       open N more fds, nothing else" },
	{ "closeall", op_closeall, 0, "closeall         close the multistart/openmany fds" },
	{ "loop", op_loop, 3, "loop:N,DUR,SLEEP N windows of budget DUR sleeping SLEEP" },
	{ "flood", op_flood, 1, "flood:SECONDS[,DUR]  windows of budget DUR (1ns) back to back" },
	{ "uidwindows", op_uidwindows, 3, "uidwindows:N,UID,DUR  N children as UID+i open a window each" },
	{ "sleep", op_sleep, 1, "sleep:DUR" },
	{ "busy", op_busy, 1, "busy:DUR" },
	{ "cpu", op_cpu, 0, "cpu (print the thread's CPU time)" },
	{ "piperead", op_piperead, 1, "piperead:DUR     read() a pipe a thread writes after DUR" },
	{ "futexwait", op_futexwait, 1, "futexwait:DUR    FUTEX_WAIT until a thread wakes it after DUR" },
	{ "fileread", op_fileread, 1, "fileread:PATH[,chunk=N,max=N]  read PATH (O_DIRECT if possible)" },
	{ "yield", op_yield, 1, "yield:DUR" },
	{ "bind", op_bind, 4, "bind:FILE,START,STOP,DUR[,ret,cause,signal=N,cgroup=ID|PATH,cgpath=REL,cookie=N,flags=N,reserved=N,fd=N|PATH]" },
	{ "unbind", op_unbind, 1, "unbind:ID|@K     (@K: the K-th bind of this run)" },
	{ "bstats", op_bstats, 1, "bstats:ID|@K[,reserved=N]  BINDING_STATS" },
	{ "list", op_list, 0, "list[:owned,flags=N,room=N]  LIST_BINDINGS" },
	{ "info", op_info, 1, "info:ID|@K[,room=N]  BINDING_INFO" },
	{ "sub", op_sub, 1, "sub:all|cause|FLAGS  SUBSCRIBE (cause: with TLOB_SUB_CAUSE)" },
	{ "read", op_read, 1, "read:N[,timeout=DUR]  exactly N records (0: none)" },
	{ "drain", op_drain, 0, "drain[:timeout=DUR]   all records until quiet" },
	{ "readraw", op_readraw, 1, "readraw:SIZE|ev[,nonblock]  one read()" },
	{ "poll", op_poll, 1, "poll:DUR         POLLIN within DUR" },
	{ "pollev", op_pollev, 2, "pollev:in|pri|inpri,DUR  poll() for those events" },
	{ "run", op_run, 1, "run:PROG,ARG...  run and wait" },
	{ "runcg", op_runcg, 2, "runcg:CGDIR,PROG,ARG...  run in cgroup CGDIR and wait" },
	{ "spawn", op_spawn, 1, "spawn:PROG,ARG...  run in the background" },
	{ "wait", op_wait, 0, "wait             wait for the spawned children" },
	{ "touch", op_touch, 1, "touch:PATH" },
	{ "waitfile", op_waitfile, 1, "waitfile:PATH[,timeout=DUR]" },
	{ "write", op_write, 1, "write:PATH TEXT  TEXT in one write(2), completed if short" },
	{ "statwait", op_statwait, 1, "statwait:KEY=N[,timeout=DUR]  wait for a stats value" },
	{ "pid", op_pid, 0, "pid              print tgid and tid" },
	{ "alarm", op_alarm, 1, "alarm:DUR        SIGALRM after DUR (interrupts a blocking call)" },
	{ "stress", op_stress, 2, "stress:THREADS,SECONDS" },
	{ "usefd", op_usefd, 1, "usefd:N|env      inherited fd N ($TLOB_DRV_FD) as the current fd" },
	{ "exec", op_exec, 1, "exec:PROG,ARG... exec, the current fd kept open as $TLOB_DRV_FD" },
};

static void help(void)
{
	printf("usage: tlob-drv OP[:ARG,...] [=ERRNO[|ERRNO...]|=0|=any] OP...\n"
	       "DUR: 20ms, 1.5s, 300us, 100ns or plain ns\n");
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		printf("  %s\n", ops[i].help);
}

static const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

static bool expect_matches(const char *expect, int r)
{
	char *list = strdup(expect), *tok, *save = NULL;
	bool match = false;

	if (!list)
		return false;
	if (strcmp(expect, "any") == 0)
		match = true;
	for (tok = strtok_r(list, "|", &save); tok && !match;
	     tok = strtok_r(NULL, "|", &save)) {
		int e = kt_errno_from_name(tok);

		if (e < 0)
			fprintf(stderr, "tlob-drv: unknown errno name %s\n", tok);
		else if (e == -r)
			match = true;
	}
	free(list);
	return match;
}

static int run_op(struct drv *d, char *token, const char *expect)
{
	char *args[DRV_MAX_ARGS], *colon, *save = NULL, *a;
	const struct op *op;
	int nargs = 0, r;

	colon = strchr(token, ':');
	if (colon) {
		*colon = '\0';
		for (a = strtok_r(colon + 1, ",", &save); a && nargs < DRV_MAX_ARGS;
		     a = strtok_r(NULL, ",", &save))
			args[nargs++] = a;
	}
	op = find_op(token);
	if (!op) {
		fprintf(stderr, "tlob-drv: unknown operation %s (see --help)\n", token);
		return 2;
	}
	if (nargs < op->min_args) {
		fprintf(stderr, "tlob-drv: %s needs %d arguments\n", token, op->min_args);
		return 2;
	}
	r = op->fn(d, args, nargs);
	printf("%s: %s\n", token, kt_errno_name(r));
	if (expect ? !expect_matches(expect, r) : r != 0) {
		fflush(stdout);
		fprintf(stderr, "tlob-drv: %s: expected %s, got %s\n", token,
			expect ? expect : "0", kt_errno_name(r));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct drv d = { .nbind = 0 };
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help();
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < DRV_MAX_FDS; i++)
		d.fd[i] = -1;
	for (i = 1; i < argc; i++) {
		const char *expect = NULL;
		char *token = argv[i];
		int r;

		if (strncmp(token, "write:", 6) == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tlob-drv: write needs TEXT\n");
				return 2;
			}
			d.text = argv[++i];
		}
		if (i + 1 < argc && argv[i + 1][0] == '=')
			expect = argv[++i] + 1;
		r = run_op(&d, token, expect);
		if (r)
			return r;
	}
	return 0;
}
