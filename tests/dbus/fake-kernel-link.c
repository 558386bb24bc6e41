// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fake kernel link for the D-Bus tests: the interface of
 * daemon/kernel-link.h without the module.
 *
 * Bindings are kept in memory and written, after every change, to the
 * file named by $TLOB_FAKE_KERNEL_STATE, one per line:
 *   ID PATH START_OFFSET STOP_OFFSET FLAGS THRESHOLD_NS CGROUP_ID COOKIE
 * (offsets in hex with 0x, the rest decimal, cookie hex).
 *
 * The test drives "the kernel" by writing lines to the FIFO named by
 * $TLOB_FAKE_KERNEL_FIFO. BINDING is a binding id, or @COOKIE (the hex
 * budget id, which tlob-manager uses as the cookie):
 *   violation BINDING TID ELAPSED_NS STATE [PID [COMM]]
 *             a VIOLATION event (STATE 1 running, 2 waiting, 3 sleeping)
 *   burst BINDING N        N violation events
 *   window BINDING ELAPSED_NS
 *             a completed window, counted in the binding's statistics
 *   self PID TID THRESHOLD_NS ELAPSED_NS STATE CGROUP_ID COMM
 *             a violation of a self-instrumented window
 *   lost N    a LOST event
 *   read-error ERRNO
 *             reading the device failed with ERRNO
 * With $TLOB_FAKE_KERNEL_UNAVAILABLE set, opening fails with ENOENT, as
 * without the module; $TLOB_FAKE_KERNEL_MAX limits the bindings (ENOSPC).
 */
#include <fcntl.h>
#include <time.h>

#include "kernel-link.h"
#include "manager.h"
#include "rcstr.h"
#include "log.h"
#include "macro.h"

typedef struct FakeBinding {
	uint32_t id;
	char *path;		/* rcstr: one copy per file */
	struct tlob_bind_args args;
	/* Allocated by the first "window": the module keeps no statistics
	 * in the manager either, so tests/dbus/rss-budgets.sh measures the
	 * daemon, not the fake. */
	struct tlob_binding_stats *stats;
} FakeBinding;

struct KernelLink {
	Manager *manager;
	int fd;
	sd_event_source *io;
	char buf[4096];
	size_t len;
	FakeBinding *bindings;
	size_t n_bindings;
	uint32_t next_id;
	size_t max_bindings;
	const char *state_path;
};

static void write_state(KernelLink *k)
{
	_cleanup_free_ char *tmp = NULL;
	FILE *f;

	if (!k->state_path || asprintf(&tmp, "%s.tmp", k->state_path) < 0)
		return;
	f = fopen(tmp, "we");
	if (!f)
		return;
	for (size_t i = 0; i < k->n_bindings; i++) {
		const FakeBinding *b = &k->bindings[i];

		fprintf(f, "%u %s 0x%llx 0x%llx %u %llu %llu %llx\n", b->id,
			b->path, (unsigned long long)b->args.start_offset,
			(unsigned long long)b->args.stop_offset, b->args.flags,
			(unsigned long long)b->args.threshold_ns,
			(unsigned long long)b->args.cgroup_id,
			(unsigned long long)b->args.cookie);
	}
	fclose(f);
	(void)rename(tmp, k->state_path);
}

static FakeBinding *find_binding(KernelLink *k, const char *spec)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(spec[0] == '@' ? spec + 1 : spec, &end,
		     spec[0] == '@' ? 16 : 10);
	if (errno || *end)
		return NULL;
	for (size_t i = 0; i < k->n_bindings; i++)
		if (spec[0] == '@' ? k->bindings[i].args.cookie == v :
				     k->bindings[i].id == v)
			return &k->bindings[i];
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void emit(KernelLink *k, uint16_t type, const FakeBinding *b,
		 uint32_t pid, uint32_t tid, uint64_t threshold,
		 uint64_t elapsed, uint16_t state, uint64_t cgroup,
		 const char *comm, uint64_t lost)
{
	struct tlob_event ev = {
		.size = sizeof(ev),
		.type = type,
		.state = state,
		.tgid = pid,
		.tid = tid,
		.binding_id = b ? b->id : 0,
		.cookie = b ? b->args.cookie : 0,
		.cgroup_id = b ? b->args.cgroup_id : cgroup,
		.threshold_ns = b ? b->args.threshold_ns : threshold,
		.elapsed_ns = elapsed,
		.timestamp_ns = now_ns(),
		.lost = lost,
	};

	/* A plausible split of the elapsed time. */
	ev.running_ns = elapsed / 4;
	ev.waiting_ns = elapsed / 4;
	ev.sleeping_ns = elapsed - ev.running_ns - ev.waiting_ns;
	strncpy(ev.comm, comm ?: "", sizeof(ev.comm) - 1);
	manager_handle_event(k->manager, &ev);
}

static unsigned hist_bucket(uint64_t ns)
{
	unsigned i = 0;

	while (i < TLOB_HIST_BUCKETS - 1 && ns >= (2ULL << i))
		i++;
	return i;
}

static void handle_command(KernelLink *k, char *line)
{
	char *argv[9] = {};
	unsigned argc = 0;
	FakeBinding *b;

	for (char *t = strtok(line, " \t"); t && argc < ELEMENTSOF(argv);
	     t = strtok(NULL, " \t"))
		argv[argc++] = t;
	if (argc == 0)
		return;

	if (streq(argv[0], "violation") && argc >= 5) {
		b = find_binding(k, argv[1]);
		if (!b) {
			log_error("fake kernel: no binding %s", argv[1]);
			return;
		}
		emit(k, TLOB_EV_VIOLATION, b,
		     argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) :
				(uint32_t)strtoul(argv[2], NULL, 10),
		     (uint32_t)strtoul(argv[2], NULL, 10), 0,
		     strtoull(argv[3], NULL, 10),
		     (uint16_t)strtoul(argv[4], NULL, 10), 0,
		     argc > 6 ? argv[6] : "fake", 0);
	} else if (streq(argv[0], "burst") && argc == 3) {
		unsigned long n = strtoul(argv[2], NULL, 10);

		b = find_binding(k, argv[1]);
		if (!b) {
			log_error("fake kernel: no binding %s", argv[1]);
			return;
		}
		for (unsigned long i = 0; i < n; i++)
			emit(k, TLOB_EV_VIOLATION, b, 4242, 4242, 0,
			     b->args.threshold_ns + 1 + i, TLOB_STATE_RUNNING,
			     0, "burst", 0);
	} else if (streq(argv[0], "window") && argc == 3) {
		uint64_t e = strtoull(argv[2], NULL, 10);

		b = find_binding(k, argv[1]);
		if (!b) {
			log_error("fake kernel: no binding %s", argv[1]);
			return;
		}
		if (!b->stats)
			b->stats = calloc(1, sizeof(*b->stats));
		if (!b->stats) {
			log_oom();
			return;
		}
		b->stats->windows++;
		b->stats->sum_ns += e;
		b->stats->max_ns = MAX(b->stats->max_ns, e);
		b->stats->hist[hist_bucket(e)]++;
		if (e >= b->args.threshold_ns)
			b->stats->violations++;
	} else if (streq(argv[0], "self") && argc == 8) {
		emit(k, TLOB_EV_VIOLATION, NULL,
		     (uint32_t)strtoul(argv[1], NULL, 10),
		     (uint32_t)strtoul(argv[2], NULL, 10),
		     strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10),
		     (uint16_t)strtoul(argv[5], NULL, 10),
		     strtoull(argv[6], NULL, 10), argv[7], 0);
	} else if (streq(argv[0], "read-error") && argc == 2) {
		(void)sd_event_source_set_enabled(k->io, SD_EVENT_OFF);
		manager_kernel_failed(k->manager, -(int)strtol(argv[1], NULL, 10));
	} else if (streq(argv[0], "lost") && argc == 2) {
		emit(k, TLOB_EV_LOST, NULL, 0, 0, 0, 0, 0, 0, "",
		     strtoull(argv[1], NULL, 10));
	} else
		log_error("fake kernel: bad command \"%s\"", argv[0]);
}

static int on_fifo(sd_event_source *s, int fd, uint32_t revents,
		   void *userdata)
{
	KernelLink *k = userdata;
	ssize_t n;
	char *nl;

	n = read(fd, k->buf + k->len, sizeof(k->buf) - k->len - 1);
	if (n <= 0)
		return 0;
	k->len += (size_t)n;
	k->buf[k->len] = 0;
	while ((nl = strchr(k->buf, '\n'))) {
		*nl = 0;
		handle_command(k, k->buf);
		k->len -= (size_t)(nl + 1 - k->buf);
		memmove(k->buf, nl + 1, k->len + 1);
	}
	if (k->len == sizeof(k->buf) - 1)
		k->len = 0;	/* an overlong line: drop it */
	return 0;
}

int kernel_link_new(Manager *m, KernelLink **ret)
{
	_cleanup_free_ KernelLink *k = NULL;
	const char *fifo = getenv("TLOB_FAKE_KERNEL_FIFO");
	const char *max = getenv("TLOB_FAKE_KERNEL_MAX");
	int r;

	if (getenv("TLOB_FAKE_KERNEL_UNAVAILABLE") || !fifo)
		return -ENOENT;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->manager = m;
	k->next_id = 1;
	k->max_bindings = max ? strtoul(max, NULL, 10) : 1024;
	k->state_path = getenv("TLOB_FAKE_KERNEL_STATE");
	/* O_RDWR: the FIFO never reports EOF when a writer goes away. */
	k->fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	r = sd_event_add_io(m->event, &k->io, k->fd, EPOLLIN, on_fifo, k);
	if (r < 0) {
		safe_close(k->fd);
		return r;
	}
	(void)sd_event_source_set_description(k->io, "fake-kernel-fifo");
	write_state(k);
	*ret = TAKE_PTR(k);
	return 0;
}

KernelLink *kernel_link_free(KernelLink *k)
{
	if (!k)
		return NULL;
	sd_event_source_disable_unref(k->io);
	safe_close(k->fd);
	for (size_t i = 0; i < k->n_bindings; i++) {
		rcstr_unref(k->bindings[i].path);
		free(k->bindings[i].stats);
	}
	free(k->bindings);
	return mfree(k);
}

int kernel_link_bind(KernelLink *k, int elf_fd, struct tlob_bind_args *args,
		     uint32_t *ret_id)
{
	char proc[64], path[4096], *shared = NULL;
	FakeBinding *l;
	ssize_t n;

	if (args->flags & ~TLOB_BIND_FLAGS_ALL || args->reserved ||
	    !tlob_budget_is_valid(args->threshold_ns) ||
	    ((args->flags & TLOB_BIND_STOP_ON_RETURN) && args->stop_offset))
		return -EINVAL;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", elf_fd);
	n = readlink(proc, path, sizeof(path) - 1);
	if (n < 0)
		return -EBADF;
	path[n] = 0;
	for (size_t i = 0; i < k->n_bindings; i++) {
		if (!streq(k->bindings[i].path, path))
			continue;
		if (k->bindings[i].args.start_offset == args->start_offset &&
		    k->bindings[i].args.cgroup_id == args->cgroup_id)
			return -EEXIST;
		shared = k->bindings[i].path;
	}
	if (k->n_bindings >= k->max_bindings)
		return -ENOSPC;
	l = reallocarray(k->bindings, k->n_bindings + 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	k->bindings = l;
	l[k->n_bindings] = (FakeBinding) {
		.id = k->next_id++,
		.path = shared ? rcstr_ref(shared) : rcstr_new(path),
		.args = *args,
	};
	if (!l[k->n_bindings].path)
		return -ENOMEM;
	args->id = l[k->n_bindings].id;
	l[k->n_bindings].args.id = args->id;
	k->n_bindings++;
	*ret_id = args->id;
	write_state(k);
	return 0;
}

int kernel_link_drain(KernelLink *k)
{
	/* Commands are handled as they are read: nothing waits. */
	return 0;
}

int kernel_link_unbind(KernelLink *k, uint32_t id)
{
	for (size_t i = 0; i < k->n_bindings; i++)
		if (k->bindings[i].id == id) {
			rcstr_unref(k->bindings[i].path);
			free(k->bindings[i].stats);
			memmove(k->bindings + i, k->bindings + i + 1,
				(k->n_bindings - i - 1) * sizeof(*k->bindings));
			k->n_bindings--;
			write_state(k);
			return 0;
		}
	return -ENOENT;
}

int kernel_link_stats(KernelLink *k, uint32_t id,
		      struct tlob_binding_stats *ret)
{
	for (size_t i = 0; i < k->n_bindings; i++)
		if (k->bindings[i].id == id) {
			if (k->bindings[i].stats)
				*ret = *k->bindings[i].stats;
			else
				*ret = (struct tlob_binding_stats) {};
			ret->id = id;
			return 0;
		}
	return -ENOENT;
}
