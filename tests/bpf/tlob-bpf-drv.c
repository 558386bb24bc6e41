// SPDX-License-Identifier: GPL-2.0
/*
 * tlob-bpf-drv - drive the BPF monitor (bpf/tlob-bpf.h) from the command
 * line for the BPF selftests, as tests/kmod/tlob-drv drives /dev/rv.
 *
 * usage: tlob-bpf-drv OP[:ARG,ARG,...] [=EXPECT] OP... (see --help)
 *
 * Runs the operations in order in one process. Each prints "NAME: RESULT"
 * (RESULT an errno name or 0) plus its own key=value lines, in the formats
 * of tlob-drv (so tests/kmod/lib.sh reads them). An operation followed by
 * "=ERRNO" (or "=E1|E2", "=0", "=any") must end that way; without one it
 * must succeed. The first mismatch ends the program with status 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/tlob.h>

#include "kt-records.h"
#include "kt-util.h"
#include "tlob-bpf.h"

#define DRV_MAX_BINDS	64
#define DRV_MAX_ARGS	32
#define DRV_MAX_SPAWN	32

struct drv {
	TlobBpf *bpf;
	TlobBpfParams params;
	uint32_t bind_id[DRV_MAX_BINDS];
	unsigned int nbind;
	pid_t spawned[DRV_MAX_SPAWN];
	unsigned int nspawn;
};

struct op {
	const char *name;
	int (*fn)(struct drv *d, char **args, int nargs);
	int min_args;
	const char *help;
};

static int handle(struct drv *d, TlobBpf **ret)
{
	int r;

	if (!d->bpf) {
		r = tlob_bpf_new(&d->params, &d->bpf);
		if (r < 0)
			return r;
	}
	*ret = d->bpf;
	return 0;
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

/* --- the handle ------------------------------------------------------------ */

/* open[:max_windows=N,max_bindings=N,ring=N]: load the object now. */
static int op_open(struct drv *d, char **args, int nargs)
{
	uint64_t v;
	TlobBpf *t;

	if (d->bpf)
		return -EALREADY;
	d->params = (TlobBpfParams) {};
	if (opt_u64(args, nargs, "max_windows", &v) > 0)
		d->params.max_windows = (uint32_t)v;
	if (opt_u64(args, nargs, "max_bindings", &v) > 0)
		d->params.max_bindings = (uint32_t)v;
	if (opt_u64(args, nargs, "ring", &v) > 0)
		d->params.ring_size = (uint32_t)v;
	return handle(d, &t);
}

static int op_close(struct drv *d, char **args, int nargs)
{
	if (!d->bpf)
		return -EBADF;
	d->bpf = tlob_bpf_free(d->bpf);
	return 0;
}

/* --- bindings ------------------------------------------------------------ */

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

static int op_bind(struct drv *d, char **args, int nargs)
{
	struct tlob_bind_args a = { 0 };
	const char *s;
	int file_fd = -1, r;
	TlobBpf *t;
	uint64_t v;

	r = handle(d, &t);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		r = kt_resolve_offset(args[0], args[1 + i], &v);
		if (r < 0) {
			fprintf(stderr, "tlob-bpf-drv: %s in %s: %s\n", args[1 + i],
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
	if (opt(args + 4, nargs - 4, "cause"))
		a.flags |= TLOB_BIND_CAUSE;
	v = 0;
	if (opt_u64(args + 4, nargs - 4, "flags", &v) < 0)
		return -EINVAL;
	a.flags |= (uint32_t)v;
	v = 0;
	if (opt_u64(args + 4, nargs - 4, "reserved", &v) < 0)
		return -EINVAL;
	a.reserved = (uint32_t)v;
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
	s = opt(args + 4, nargs - 4, "fd");
	if (s && s[0] != '/') {
		int64_t n;
		char *end;

		n = strtoll(s, &end, 0);
		if (*end || !*s)
			return -EINVAL;
		a.fd = (int)n;
	} else {
		file_fd = open(s ? s : args[0], O_RDONLY | O_CLOEXEC);
		if (file_fd < 0)
			return -errno;
		a.fd = file_fd;
	}
	r = tlob_bpf_bind(t, &a);
	if (file_fd >= 0)
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
	uint32_t id;
	TlobBpf *t;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (parse_bind_id(d, args[0], &id) < 0)
		return -EINVAL;
	return tlob_bpf_unbind(t, id);
}

static int op_bstats(struct drv *d, char **args, int nargs)
{
	struct tlob_binding_stats st;
	uint64_t hsum = 0;
	int top = -1, r;
	uint32_t id;
	TlobBpf *t;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (parse_bind_id(d, args[0], &id) < 0)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	r = tlob_bpf_binding_stats(t, id, &st);
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

static int op_missed(struct drv *d, char **args, int nargs)
{
	uint64_t missed;
	uint32_t id;
	TlobBpf *t;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (parse_bind_id(d, args[0], &id) < 0)
		return -EINVAL;
	r = tlob_bpf_binding_missed(t, id, &missed);
	if (r < 0)
		return r;
	printf("missed id=%u missed=%" PRIu64 "\n", id, missed);
	return 0;
}

/* list[:owned,flags=N,room=N]: with room for 4096 ids. */
static int op_list(struct drv *d, char **args, int nargs)
{
	static uint32_t ids[4096];
	struct tlob_binding_list l = { .count = 4096, .ids = (uintptr_t)ids };
	uint64_t v = 0;
	uint32_t room;
	TlobBpf *t;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (opt(args, nargs, "owned"))
		l.flags |= TLOB_LIST_OWNED;
	if (opt_u64(args, nargs, "flags", &v) < 0)
		return -EINVAL;
	l.flags |= (uint32_t)v;
	if (opt_u64(args, nargs, "room", &v) > 0) {
		if (v > 4096)
			return -EINVAL;
		l.count = (uint32_t)v;
	}
	room = l.count;
	r = tlob_bpf_list_bindings(t, &l);
	if (r < 0)
		return r;
	printf("list count=%u ids=", l.count);
	for (uint32_t i = 0; i < l.count && i < room; i++)
		printf("%s%u", i ? "," : "", ids[i]);
	printf("\n");
	return 0;
}

/* info:ID|@K[,room=N,reserved=N] */
static int op_info(struct drv *d, char **args, int nargs)
{
	struct tlob_binding_info info = { 0 };
	char path[4096] = "";
	uint64_t room = sizeof(path), v = 0;
	TlobBpf *t;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (parse_bind_id(d, args[0], &info.id) < 0 ||
	    opt_u64(args + 1, nargs - 1, "room", &room) < 0 ||
	    opt_u64(args + 1, nargs - 1, "reserved", &v) < 0 ||
	    room > sizeof(path))
		return -EINVAL;
	info.reserved = v;
	info.cgroup_path = (uintptr_t)path;
	info.cgroup_path_size = (uint32_t)room;
	r = tlob_bpf_binding_info(t, &info);
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

/* --- events ---------------------------------------------------------------- */

/*
 * Read records until WANT arrived or TIMEOUT passed with none. Returns the
 * number read, or -errno.
 */
static long read_events(TlobBpf *t, uint64_t want, uint64_t timeout_ns,
			bool exact)
{
	union {
		struct tlob_event ev[64];
		struct tlob_cause_event ce;
	} buf;
	uint64_t got = 0, deadline = kt_now_ns() + timeout_ns;

	while (!exact || got < want || want == 0) {
		struct pollfd pfd = { .fd = tlob_bpf_fd(t), .events = POLLIN };
		uint64_t now = kt_now_ns(), room;
		ssize_t n;
		int r;

		/*
		 * What is queued first: LOST counts come without a wakeup,
		 * and records a small buffer left behind too.
		 */
		room = exact && want > got ? want - got : 64;
		if (room > 64)
			room = 64;
		n = tlob_bpf_read(t, &buf, room * sizeof(buf.ev[0]));
		/* The next record is a CAUSE, larger than the room left. */
		if (n == -EINVAL && room * sizeof(buf.ev[0]) < sizeof(buf.ce))
			n = tlob_bpf_read(t, &buf, sizeof(buf.ce));
		if (n < 0 && n != -EAGAIN)
			return (long)n;
		if (n > 0) {
			got += kt_print_records(&buf, (size_t)n);
			if (!exact)
				deadline = kt_now_ns() + timeout_ns;
			continue;
		}
		if (now >= deadline)
			break;
		r = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
	}
	return (long)got;
}

/* read:N[,timeout=DUR]: exactly N records (N=0: none within the timeout). */
static int op_read(struct drv *d, char **args, int nargs)
{
	uint64_t want, timeout = 5 * KT_NSEC_PER_SEC;
	TlobBpf *t;
	long got;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (kt_parse_u64(args[0], &want) < 0 ||
	    opt_duration(args + 1, nargs - 1, "timeout", &timeout) < 0)
		return -EINVAL;
	got = read_events(t, want, timeout, true);
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
	TlobBpf *t;
	long got;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (opt_duration(args, nargs, "timeout", &timeout) < 0)
		return -EINVAL;
	got = read_events(t, 0, timeout, false);
	if (got < 0)
		return (int)got;
	printf("drain count=%ld\n", got);
	return 0;
}

/* poll:DUR: 0 if POLLIN came within DUR, ETIMEDOUT if nothing did. */
static int op_poll(struct drv *d, char **args, int nargs)
{
	struct pollfd pfd = { .events = POLLIN };
	uint64_t timeout, t0;
	TlobBpf *t;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (kt_parse_duration(args[0], &timeout) < 0)
		return -EINVAL;
	pfd.fd = tlob_bpf_fd(t);
	t0 = kt_now_ns();
	do {
		r = poll(&pfd, 1, (int)(timeout / KT_NSEC_PER_MSEC));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	printf("poll revents=%s%s waited_ns=%" PRIu64 "\n",
	       pfd.revents & POLLIN ? "IN," : "", pfd.revents & POLLERR ? "ERR," : "",
	       kt_now_ns() - t0);
	if (r == 0)
		return -ETIMEDOUT;
	return pfd.revents & POLLIN ? 0 : -EIO;
}

/* --- counters -------------------------------------------------------------- */

static int get_counter(TlobBpf *t, const char *key, uint64_t *val)
{
	TlobBpfCounters c;
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
#define K(f) { #f, offsetof(TlobBpfCounters, f) }
		K(windows_started), K(windows_completed), K(violations),
		K(events_dropped), K(windows_in_use), K(windows_max),
		K(bindings), K(windows_missed), K(probes_dropped),
		K(windows_reaped), K(causes), K(cause_ns), K(stacks),
		K(stack_ns),
#undef K
	};

	tlob_bpf_get_counters(t, &c);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!strcmp(keys[i].name, key)) {
			memcpy(val, (char *)&c + keys[i].off, sizeof(*val));
			return 0;
		}
	}
	return -ENOENT;
}

/* stats: every counter, "stats KEY=VALUE ..." */
static int op_stats(struct drv *d, char **args, int nargs)
{
	TlobBpfCounters c;
	TlobBpf *t;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	tlob_bpf_get_counters(t, &c);
	printf("stats windows_started=%" PRIu64 " windows_completed=%" PRIu64
	       " violations=%" PRIu64 " events_dropped=%" PRIu64
	       " windows_in_use=%" PRIu64 " windows_max=%" PRIu64
	       " bindings=%" PRIu64 " windows_missed=%" PRIu64
	       " probes_dropped=%" PRIu64 " windows_reaped=%" PRIu64
	       " causes=%" PRIu64 " cause_ns=%" PRIu64 " stacks=%" PRIu64
	       " stack_ns=%" PRIu64 "\n",
	       c.windows_started, c.windows_completed, c.violations,
	       c.events_dropped, c.windows_in_use, c.windows_max, c.bindings,
	       c.windows_missed, c.probes_dropped, c.windows_reaped,
	       c.causes, c.cause_ns, c.stacks, c.stack_ns);
	return 0;
}

/* statwait:KEY=VALUE[,timeout=DUR]: wait until the counter says so. */
static int op_statwait(struct drv *d, char **args, int nargs)
{
	uint64_t want, cur = 0, timeout = 3 * KT_NSEC_PER_SEC, end;
	char *eq = strchr(args[0], '=');
	TlobBpf *t;
	int r;

	r = handle(d, &t);
	if (r < 0)
		return r;
	if (!eq || kt_parse_u64(eq + 1, &want) < 0 ||
	    opt_duration(args + 1, nargs - 1, "timeout", &timeout) < 0)
		return -EINVAL;
	*eq = '\0';
	end = kt_now_ns() + timeout;
	for (;;) {
		r = get_counter(t, args[0], &cur);
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

/* --- work, processes, files ------------------------------------------------ */

static int op_sleep(struct drv *d, char **args, int nargs)
{
	uint64_t ns;

	if (kt_parse_duration(args[0], &ns) < 0)
		return -EINVAL;
	kt_sleep_ns(ns);
	return 0;
}

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

static int op_spawncg(struct drv *d, char **args, int nargs)
{
	return start_child(d, args[0], args + 1, nargs - 1, false);
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

static int op_pid(struct drv *d, char **args, int nargs)
{
	printf("pid tgid=%d tid=%d\n", getpid(), (int)syscall(SYS_gettid));
	return 0;
}

static const struct op ops[] = {
	{ "open", op_open, 0, "open[:max_windows=N,max_bindings=N,ring=N]  load now (else at first use, defaults)" },
	{ "close", op_close, 0, "close            unload (every binding goes)" },
	{ "bind", op_bind, 4, "bind:FILE,START,STOP,DUR[,ret,cause,cgroup=ID|PATH,cgpath=REL,cookie=N,flags=N,reserved=N,fd=N|PATH]" },
	{ "unbind", op_unbind, 1, "unbind:ID|@K     (@K: the K-th bind of this run)" },
	{ "bstats", op_bstats, 1, "bstats:ID|@K     binding statistics" },
	{ "missed", op_missed, 1, "missed:ID|@K     windows a binding could not open" },
	{ "list", op_list, 0, "list[:owned,flags=N,room=N]" },
	{ "info", op_info, 1, "info:ID|@K[,room=N,reserved=N]" },
	{ "read", op_read, 1, "read:N[,timeout=DUR]  exactly N records (0: none)" },
	{ "drain", op_drain, 0, "drain[:timeout=DUR]   all records until quiet" },
	{ "poll", op_poll, 1, "poll:DUR         POLLIN within DUR" },
	{ "stats", op_stats, 0, "stats            print the counters" },
	{ "statwait", op_statwait, 1, "statwait:KEY=N[,timeout=DUR]  wait for a counter value" },
	{ "sleep", op_sleep, 1, "sleep:DUR" },
	{ "run", op_run, 1, "run:PROG,ARG...  run and wait" },
	{ "runcg", op_runcg, 2, "runcg:CGDIR,PROG,ARG...  run in cgroup CGDIR and wait" },
	{ "spawn", op_spawn, 1, "spawn:PROG,ARG...  run in the background" },
	{ "spawncg", op_spawncg, 2, "spawncg:CGDIR,PROG,ARG...  run in CGDIR in the background" },
	{ "wait", op_wait, 0, "wait             wait for the spawned children" },
	{ "touch", op_touch, 1, "touch:PATH" },
	{ "waitfile", op_waitfile, 1, "waitfile:PATH[,timeout=DUR]" },
	{ "pid", op_pid, 0, "pid              print tgid and tid" },
};

static void help(void)
{
	printf("usage: tlob-bpf-drv OP[:ARG,...] [=ERRNO[|ERRNO...]|=0|=any] OP...\n"
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
			fprintf(stderr, "tlob-bpf-drv: unknown errno name %s\n", tok);
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
		fprintf(stderr, "tlob-bpf-drv: unknown operation %s (see --help)\n", token);
		return 2;
	}
	if (nargs < op->min_args) {
		fprintf(stderr, "tlob-bpf-drv: %s needs %d arguments\n", token, op->min_args);
		return 2;
	}
	r = op->fn(d, args, nargs);
	printf("%s: %s\n", token, kt_errno_name(r));
	if (expect ? !expect_matches(expect, r) : r != 0) {
		fflush(stdout);
		fprintf(stderr, "tlob-bpf-drv: %s: expected %s, got %s\n", token,
			expect ? expect : "0", kt_errno_name(r));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct drv d = { .nbind = 0 };
	int i, r = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help();
		return argc < 2 ? 2 : 0;
	}
	for (i = 1; i < argc && !r; i++) {
		const char *expect = NULL;
		char *token = argv[i];

		if (i + 1 < argc && argv[i + 1][0] == '=')
			expect = argv[++i] + 1;
		r = run_op(&d, token, expect);
	}
	tlob_bpf_free(d.bpf);
	return r;
}
