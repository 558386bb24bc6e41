// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fake kernel link for the D-Bus tests: the interface of
 * daemon/kernel-link.h without the module, as either backend.
 *
 * The "device" is a memfd holding what the module keeps per open file:
 * the bindings (with their cookie, cgroup path, file identity and
 * statistics) and the ring of records. tlob-manager keeps it in the fd
 * store like /dev/rv, so a restarted manager finds the bindings and the
 * records queued meanwhile, as with the module. It is read and written
 * with pread/pwrite, never mapped: the memory of the manager's process
 * stays the manager's (tests/dbus/rss-budgets.sh).
 *
 * After every change of the bindings they are listed in the file named by
 * $TLOB_FAKE_KERNEL_STATE, one per line:
 *   ID PATH START_OFFSET STOP_OFFSET FLAGS THRESHOLD_NS CGROUP COOKIE
 *   [signal=SIGNAL]
 * (offsets in hex with 0x, CGROUP the cgroup path or "-", cookie hex, the
 * rest decimal; the signal of a binding that sends one at expiry). As
 * the module, the kmod backend takes signals 1 to 64; as libtlob_bpf,
 * the bpf backend refuses any (EINVAL, its reserved field).
 *
 * The test drives "the kernel" by writing lines to the FIFO named by
 * $TLOB_FAKE_KERNEL_FIFO. BINDING is a binding id, or @ID: the binding of
 * the budget with that id:
 *   violation BINDING TID ELAPSED_NS STATE [PID [COMM [CGROUP]]]
 *             a VIOLATION record (STATE 1 running, 2 waiting, 3
 *             sleeping) of a task in CGROUP (a path below the cgroup root,
 *             default the binding's own)
 *   burst BINDING N
 *             N violations, each a completed violated window
 *   flood BINDING N
 *             N violations of BINDING, made up as the manager reads them
 *             (no time goes to queueing them: bench/manager-throughput),
 *             after what the ring holds; tid 4242, comm "flood-N" with N
 *             the record's number from 0, elapsed the budget + 1 + N ns;
 *             not counted in the binding's statistics and not kept across
 *             a restart of the manager
 *   flood-self PID N
 *             the same, as violations of self-instrumented windows of
 *             process PID (tid PID, budget 1000 ns, cgroup id 0)
 *   window BINDING ELAPSED_NS
 *             a completed window, counted in the binding's statistics
 *   raw ID COOKIE TID ELAPSED_NS
 *             a VIOLATION record with that binding id and cookie (hex),
 *             whatever the bindings are
 *   self PID TID THRESHOLD_NS ELAPSED_NS STATE CGROUP_ID COMM
 *             a violation of a self-instrumented window
 *   cause BINDING TID PID USER_IP MODE
 *             a VIOLATION (sleeping, comm "demo", elapsed twice the budget)
 *             of a binding made with TLOB_BIND_CAUSE and its CAUSE: kernel
 *             stack 0xffffffff81000010 0xffffffff81000120
 *             0xffffffffc0001010, user IP USER_IP (hex, from the syscall
 *             entry), cpu 1, current task PID "hog", preemptor PID
 *             "hog", waker 1 "waker" from an interrupt, 3 voluntary / 1
 *             involuntary switches, 2 migrations, signal 6. MODE "next":
 *             a read ends after the VIOLATION (its CAUSE comes with the
 *             next), "lost": the CAUSE is counted lost (a LOST record
 *             follows), else both are read together.
 *   lost N    a LOST record
 *   suppressed N
 *             a SUPPRESSED record
 *   read-error ERRNO
 *             reading the device fails with ERRNO
 *   crash-after-read N
 *             the Nth read from now that returns records takes them from
 *             the ring, then the process gets SIGKILL (before it can
 *             handle them)
 * With $TLOB_FAKE_KERNEL_UNAVAILABLE set, opening the kmod backend fails
 * with ENOENT, as without the module; with $TLOB_FAKE_BPF_UNAVAILABLE
 * set to an errno number, loading the bpf backend fails with it (EPERM
 * for any other value). $TLOB_FAKE_KERNEL_MAX limits the bindings
 * (ENOSPC).
 *
 * The manager names kernel addresses from tests/dbus/kallsyms (or the file
 * $TLOB_FAKE_KALLSYMS names) rather than /proc/kallsyms.
 *
 * As the bpf backend, the memfd is the process's own and never offered
 * to the fd store (kernel_link_fd() is -EBADF): its bindings and records
 * end with the process, as the BPF monitor's do.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager-events.h"
#include "manager.h"
#include "symbolize.h"

#define FAKE_MAGIC	0x6b6e6c6b6166ULL
#define FAKE_BINDINGS	1024
#define FAKE_RING	4096

typedef struct FakeBinding {
	uint32_t id;
	uint32_t flags;
	uint64_t start_offset;
	uint64_t stop_offset;
	uint64_t threshold_ns;
	uint64_t cookie;
	uint64_t dev, ino;
	uint32_t signal;
	uint32_t reserved;
	char path[256];
	char cgroup[128];
} FakeBinding;

/* The memfd: a header, then the bindings, their statistics, the ring. */
typedef struct FakeHeader {
	uint64_t magic;
	uint32_t next_id;
	uint32_t n_bindings;
	uint64_t head, tail;		/* records [head, tail) are queued */
	uint64_t lost;			/* dropped, not reported yet */
} FakeHeader;

#define OFF_BINDING(i)	(sizeof(FakeHeader) + (size_t)(i) * sizeof(FakeBinding))
#define OFF_STATS(i)	(OFF_BINDING(FAKE_BINDINGS) + \
			 (size_t)(i) * sizeof(struct tlob_binding_stats))
#define OFF_RING(i)	(OFF_STATS(FAKE_BINDINGS) + \
			 (size_t)((i) % FAKE_RING) * sizeof(struct tlob_cause_event))
#define FAKE_SIZE	OFF_RING(FAKE_RING)

struct KernelLink {
	Manager *manager;
	KernelBackend backend;
	int dev;			/* the memfd */
	int fifo;
	sd_event_source *io;		/* the FIFO */
	sd_event_source *ready;		/* records queued, started */
	bool started;
	FakeHeader h;			/* a copy of the memfd's */
	char buf[4096];
	size_t len;
	size_t max_bindings;
	const char *state_path;
	int read_error;
	unsigned crash_after;		/* reads until SIGKILL, 0: never */
	FakeBinding flood;		/* of the flood command */
	uint32_t flood_pid;
	uint64_t flood_next, flood_end;	/* records [next, end) to make */
};

static void dev_read(KernelLink *k, size_t off, void *p, size_t n)
{
	if (pread(k->dev, p, n, (off_t)off) != (ssize_t)n)
		memset(p, 0, n);
}

static void dev_write(KernelLink *k, size_t off, const void *p, size_t n)
{
	if (pwrite(k->dev, p, n, (off_t)off) != (ssize_t)n)
		log_error_errno(-EIO, "fake kernel: cannot write its memfd: %m");
}

static void put_header(KernelLink *k)
{
	dev_write(k, 0, &k->h, sizeof(k->h));
}

static void get_binding(KernelLink *k, uint32_t i, FakeBinding *b)
{
	dev_read(k, OFF_BINDING(i), b, sizeof(*b));
}

static void write_state(KernelLink *k)
{
	_cleanup_free_ char *tmp = NULL;
	FILE *f;

	if (!k->state_path || asprintf(&tmp, "%s.tmp", k->state_path) < 0)
		return;
	f = fopen(tmp, "we");
	if (!f)
		return;
	for (uint32_t i = 0; i < k->h.n_bindings; i++) {
		FakeBinding b;

		get_binding(k, i, &b);
		fprintf(f, "%u %s 0x%llx 0x%llx %u %llu %s %llx", b.id,
			b.path, (unsigned long long)b.start_offset,
			(unsigned long long)b.stop_offset, b.flags,
			(unsigned long long)b.threshold_ns,
			b.cgroup[0] ? b.cgroup : "-",
			(unsigned long long)b.cookie);
		if (b.signal)
			fprintf(f, " signal=%u", b.signal);
		fputc('\n', f);
	}
	fclose(f);
	(void)rename(tmp, k->state_path);
}

/* The index of binding @id, or -1. */
static int find_index(KernelLink *k, uint32_t id)
{
	for (uint32_t i = 0; i < k->h.n_bindings; i++) {
		FakeBinding b;

		get_binding(k, i, &b);
		if (b.id == id)
			return (int)i;
	}
	return -1;
}

/* BINDING of a command: an id, or @ID of a budget. */
static int find_spec(KernelLink *k, const char *spec, FakeBinding *ret)
{
	unsigned long v;
	char *end;
	int i;

	if (spec[0] == '@') {
		Budget *b = manager_find_budget(k->manager, spec + 1);

		v = b ? b->binding_id : 0;
	} else {
		errno = 0;
		v = strtoul(spec, &end, 10);
		if (errno || *end)
			v = 0;
	}
	i = v ? find_index(k, (uint32_t)v) : -1;
	if (i < 0) {
		log_error("fake kernel: no binding %s", spec);
		return -ENOENT;
	}
	get_binding(k, (uint32_t)i, ret);
	return i;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void update_ready(KernelLink *k)
{
	(void)sd_event_source_set_enabled(k->ready, k->started &&
					  (k->h.tail > k->h.head || k->read_error ||
					   k->flood_next < k->flood_end) ?
					  SD_EVENT_ON : SD_EVENT_OFF);
}

/*
 * Queue @ev (its @size bytes: a CAUSE is longer), or count it lost when
 * the ring is full (as the module). A VIOLATION with @reserved 1 ends a
 * read (the fake's mark, cleared when read).
 */
static void push(KernelLink *k, struct tlob_event *ev)
{
	if (k->h.lost && k->h.tail - k->h.head < FAKE_RING) {
		struct tlob_event lost = {
			.size = sizeof(lost),
			.type = TLOB_EV_LOST,
			.lost = k->h.lost,
			.timestamp_ns = now_ns(),
		};

		dev_write(k, OFF_RING(k->h.tail), &lost, sizeof(lost));
		k->h.tail++;
		k->h.lost = 0;
	}
	if (k->h.tail - k->h.head >= FAKE_RING) {
		k->h.lost++;
	} else {
		dev_write(k, OFF_RING(k->h.tail), ev, ev->size);
		k->h.tail++;
	}
	put_header(k);
	update_ready(k);
}

static uint64_t cgroup_id_of(KernelLink *k, const char *path)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (!path || asprintf(&p, "%s/%s", k->manager->cgroup_root, path) < 0 ||
	    stat(p, &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
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
		.cookie = b ? b->cookie : 0,
		.cgroup_id = cgroup,
		.threshold_ns = b ? b->threshold_ns : threshold,
		.elapsed_ns = elapsed,
		.timestamp_ns = now_ns(),
		.lost = lost,
	};

	/* A plausible split of the elapsed time. */
	ev.running_ns = elapsed / 4;
	ev.waiting_ns = elapsed / 4;
	ev.sleeping_ns = elapsed - ev.running_ns - ev.waiting_ns;
	strncpy(ev.comm, comm ?: "", sizeof(ev.comm) - 1);
	push(k, &ev);
}

/* The "cause" command. */
static void emit_cause(KernelLink *k, const FakeBinding *b, char **argv)
{
	static const uint64_t stack[] = {
		0xffffffff81000010ULL, 0xffffffff81000120ULL, 0xffffffffc0001010ULL,
	};
	uint32_t pid = (uint32_t)strtoul(argv[3], NULL, 10);
	struct tlob_cause_event ce = {
		.ev = {
			.size = sizeof(struct tlob_event),
			.type = TLOB_EV_VIOLATION,
			.state = TLOB_STATE_SLEEPING,
			.tgid = pid,
			.tid = (uint32_t)strtoul(argv[2], NULL, 10),
			.binding_id = b->id,
			.cookie = b->cookie,
			.cgroup_id = cgroup_id_of(k, b->cgroup),
			.threshold_ns = b->threshold_ns,
			.elapsed_ns = 2 * b->threshold_ns,
			.sleeping_ns = 2 * b->threshold_ns,
			.timestamp_ns = now_ns(),
			.reserved = streq(argv[5], "next"),
			.comm = "demo",
		},
		.cause = {
			.valid = TLOB_CAUSE_KSTACK | TLOB_CAUSE_USER_ENTRY |
				 TLOB_CAUSE_CURR | TLOB_CAUSE_PREEMPTOR |
				 TLOB_CAUSE_WAKER | TLOB_CAUSE_WAKER_IRQ,
			.cpu = 1,
			.nr_kstack = ELEMENTSOF(stack),
			.signal = SIGABRT,
			.nvcsw = 3, .nivcsw = 1, .migrations = 2,
			.user_ip = strtoull(argv[4], NULL, 16),
			.curr = { .pid = pid, .tgid = pid, .comm = "hog" },
			.preemptor = { .pid = pid, .tgid = pid, .comm = "hog" },
			.waker = { .pid = 1, .tgid = 1, .comm = "waker" },
		},
	};

	if (!(b->flags & TLOB_BIND_CAUSE)) {
		log_error("fake kernel: binding %u captures no cause", b->id);
		return;
	}
	memcpy(ce.cause.kstack, stack, sizeof(stack));
	push(k, &ce.ev);
	ce.ev.type = TLOB_EV_CAUSE;
	ce.ev.size = sizeof(ce);
	ce.ev.reserved = 0;
	if (streq(argv[5], "lost")) {
		emit(k, TLOB_EV_LOST, NULL, 0, 0, 0, 0, 0, 0, "", 1);
		return;
	}
	push(k, &ce.ev);
}

static unsigned hist_bucket(uint64_t ns)
{
	unsigned i = 0;

	while (i < TLOB_HIST_BUCKETS - 1 && ns >= (2ULL << i))
		i++;
	return i;
}

/* A completed window of binding number @i. */
static void account(KernelLink *k, int i, const FakeBinding *b, uint64_t e)
{
	struct tlob_binding_stats st;

	dev_read(k, OFF_STATS(i), &st, sizeof(st));
	st.windows++;
	st.sum_ns += e;
	st.max_ns = MAX(st.max_ns, e);
	st.hist[hist_bucket(e)]++;
	if (e >= b->threshold_ns)
		st.violations++;
	dev_write(k, OFF_STATS(i), &st, sizeof(st));
}

static void handle_command(KernelLink *k, char *line)
{
	char *argv[9] = {};
	unsigned argc = 0;
	FakeBinding b;
	int i;

	for (char *t = strtok(line, " \t"); t && argc < ELEMENTSOF(argv);
	     t = strtok(NULL, " \t"))
		argv[argc++] = t;
	if (argc == 0)
		return;

	if (streq(argv[0], "violation") && argc >= 5) {
		if (find_spec(k, argv[1], &b) < 0)
			return;
		emit(k, TLOB_EV_VIOLATION, &b,
		     argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) :
				(uint32_t)strtoul(argv[2], NULL, 10),
		     (uint32_t)strtoul(argv[2], NULL, 10), 0,
		     strtoull(argv[3], NULL, 10),
		     (uint16_t)strtoul(argv[4], NULL, 10),
		     cgroup_id_of(k, argc > 7 ? argv[7] : b.cgroup),
		     argc > 6 ? argv[6] : "fake", 0);
	} else if (streq(argv[0], "burst") && argc == 3) {
		unsigned long n = strtoul(argv[2], NULL, 10);

		i = find_spec(k, argv[1], &b);
		if (i < 0)
			return;
		for (unsigned long j = 0; j < n; j++) {
			emit(k, TLOB_EV_VIOLATION, &b, 4242, 4242, 0,
			     b.threshold_ns + 1 + j, TLOB_STATE_RUNNING,
			     cgroup_id_of(k, b.cgroup), "burst", 0);
			account(k, i, &b, b.threshold_ns + 1 + j);
		}
	} else if (streq(argv[0], "flood") && argc == 3) {
		if (find_spec(k, argv[1], &k->flood) < 0)
			return;
		k->flood_pid = 4242;
		k->flood_next = 0;
		k->flood_end = strtoull(argv[2], NULL, 10);
		update_ready(k);
	} else if (streq(argv[0], "flood-self") && argc == 3) {
		k->flood = (FakeBinding) { .threshold_ns = 1000 };
		k->flood_pid = (uint32_t)strtoul(argv[1], NULL, 10);
		k->flood_next = 0;
		k->flood_end = strtoull(argv[2], NULL, 10);
		update_ready(k);
	} else if (streq(argv[0], "window") && argc == 3) {
		i = find_spec(k, argv[1], &b);
		if (i < 0)
			return;
		account(k, i, &b, strtoull(argv[2], NULL, 10));
	} else if (streq(argv[0], "raw") && argc == 5) {
		b = (FakeBinding) {
			.id = (uint32_t)strtoul(argv[1], NULL, 10),
			.cookie = strtoull(argv[2], NULL, 16),
			.threshold_ns = 1000,
		};
		emit(k, TLOB_EV_VIOLATION, &b, 4343,
		     (uint32_t)strtoul(argv[3], NULL, 10), 0,
		     strtoull(argv[4], NULL, 10), TLOB_STATE_RUNNING, 0, "raw", 0);
	} else if (streq(argv[0], "self") && argc == 8) {
		emit(k, TLOB_EV_VIOLATION, NULL,
		     (uint32_t)strtoul(argv[1], NULL, 10),
		     (uint32_t)strtoul(argv[2], NULL, 10),
		     strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10),
		     (uint16_t)strtoul(argv[5], NULL, 10),
		     strtoull(argv[6], NULL, 10), argv[7], 0);
	} else if (streq(argv[0], "read-error") && argc == 2) {
		k->read_error = -(int)strtol(argv[1], NULL, 10);
		update_ready(k);
	} else if (streq(argv[0], "cause") && argc == 6) {
		if (find_spec(k, argv[1], &b) < 0)
			return;
		emit_cause(k, &b, argv);
	} else if (streq(argv[0], "lost") && argc == 2) {
		emit(k, TLOB_EV_LOST, NULL, 0, 0, 0, 0, 0, 0, "",
		     strtoull(argv[1], NULL, 10));
	} else if (streq(argv[0], "suppressed") && argc == 2) {
		emit(k, TLOB_EV_SUPPRESSED, NULL, 0, 0, 0, 0, 0, 0, "",
		     strtoull(argv[1], NULL, 10));
	} else if (streq(argv[0], "crash-after-read") && argc == 2) {
		k->crash_after = (unsigned)strtoul(argv[1], NULL, 10);
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

static int on_ready(sd_event_source *s, void *userdata)
{
	KernelLink *k = userdata;

	/* Level-triggered, like POLLIN: as long as records are queued. */
	manager_kernel_readable(k->manager);
	return 0;
}

/* Whether @backend can be opened here: 0, or the negative errno. */
static int fake_backend_available(KernelBackend backend, int fd)
{
	const char *e;
	int r;

	switch (backend) {
	case KERNEL_BACKEND_KMOD:
		return getenv("TLOB_FAKE_KERNEL_UNAVAILABLE") ? -ENOENT : 0;
	case KERNEL_BACKEND_BPF:
		if (fd >= 0)
			return -EBADF;
		e = getenv("TLOB_FAKE_BPF_UNAVAILABLE");
		if (!e)
			return 0;
		r = atoi(e);
		return r > 0 ? -r : -EPERM;
	default:
		return -ENOSYS;
	}
}

int kernel_link_new(Manager *m, KernelBackend backend, int fd,
		    KernelLink **ret)
{
	_cleanup_close_ int dev = fd;
	_cleanup_free_ KernelLink *k = NULL;
	const char *fifo = getenv("TLOB_FAKE_KERNEL_FIFO");
	const char *max = getenv("TLOB_FAKE_KERNEL_MAX");
	int r;

	if (!fifo)
		return -ENOENT;
	r = fake_backend_available(backend, fd);
	if (r < 0)
		return r;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->manager = m;
	k->backend = backend;
	k->fifo = -EBADF;
	k->max_bindings = max ? strtoul(max, NULL, 10) : FAKE_BINDINGS;
	k->max_bindings = MIN(k->max_bindings, (size_t)FAKE_BINDINGS);
	k->state_path = getenv("TLOB_FAKE_KERNEL_STATE");
	if (!m->symbolizer) {
		m->symbolizer = symbolizer_new(getenv("TLOB_FAKE_KALLSYMS") ?: FAKE_KALLSYMS,
					       NULL);
		if (!m->symbolizer)
			return -ENOMEM;
	}
	if (dev < 0) {
		dev = memfd_create("fake-rv", MFD_CLOEXEC);
		if (dev < 0 || ftruncate(dev, (off_t)FAKE_SIZE) < 0)
			return -errno;
	}
	k->dev = dev;
	dev_read(k, 0, &k->h, sizeof(k->h));
	if (k->h.magic != FAKE_MAGIC) {
		/* A new device (or something else than ours: the same). */
		k->h = (FakeHeader) { .magic = FAKE_MAGIC, .next_id = 1 };
		put_header(k);
	}
	/* O_RDWR: the FIFO never reports EOF when a writer goes away. */
	k->fifo = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (k->fifo < 0)
		return -errno;
	r = sd_event_add_io(m->event, &k->io, k->fifo, EPOLLIN, on_fifo, k);
	if (r >= 0)
		r = sd_event_add_defer(m->event, &k->ready, on_ready, k);
	if (r < 0) {
		sd_event_source_disable_unref(k->io);
		safe_close(k->fifo);
		return r;
	}
	(void)sd_event_source_set_description(k->io, "fake-kernel-fifo");
	(void)sd_event_source_set_description(k->ready, "fake-kernel-records");
	(void)sd_event_source_set_enabled(k->ready, SD_EVENT_OFF);
	write_state(k);
	TAKE_FD(dev);
	*ret = TAKE_PTR(k);
	return 0;
}

KernelLink *kernel_link_free(KernelLink *k)
{
	if (!k)
		return NULL;
	sd_event_source_disable_unref(k->io);
	sd_event_source_disable_unref(k->ready);
	safe_close(k->fifo);
	safe_close(k->dev);
	return mfree(k);
}

int kernel_link_start(KernelLink *k)
{
	k->started = true;
	update_ready(k);
	return 0;
}

KernelBackend kernel_link_backend(const KernelLink *k)
{
	return k->backend;
}

int kernel_link_fd(KernelLink *k)
{
	return k->backend == KERNEL_BACKEND_KMOD ? k->dev : -EBADF;
}

int kernel_link_bind(KernelLink *k, int elf_fd, struct tlob_bind_args *args,
		     uint32_t *ret_id)
{
	const char *cg = (const char *)(uintptr_t)args->cgroup_id;
	char proc[64], path[4096];
	FakeBinding b = {};
	struct stat st;
	ssize_t n;

	if (args->flags & ~TLOB_BIND_FLAGS_ALL || args->signal > 64 ||
	    (args->signal && k->backend == KERNEL_BACKEND_BPF) ||
	    !tlob_budget_is_valid(args->threshold_ns) ||
	    ((args->flags & TLOB_BIND_STOP_ON_RETURN) && args->stop_offset))
		return -EINVAL;
	if (!(args->flags & TLOB_BIND_CGROUP_PATH))
		cg = NULL;
	else if (!cg || !*cg || *cg == '/' || strlen(cg) >= sizeof(b.cgroup))
		return -EINVAL;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", elf_fd);
	n = readlink(proc, path, sizeof(path) - 1);
	if (n < 0 || fstat(elf_fd, &st) < 0)
		return -EBADF;
	path[n] = 0;
	if ((size_t)n >= sizeof(b.path))
		return -ENAMETOOLONG;
	for (uint32_t i = 0; i < k->h.n_bindings; i++) {
		FakeBinding o;

		get_binding(k, i, &o);
		if (o.dev == (uint64_t)st.st_dev && o.ino == (uint64_t)st.st_ino &&
		    o.start_offset == args->start_offset &&
		    streq(o.cgroup, strempty(cg)))
			return -EEXIST;
	}
	if (k->h.n_bindings >= k->max_bindings)
		return -ENOSPC;
	b = (FakeBinding) {
		.id = k->h.next_id++,
		.flags = args->flags,
		.start_offset = args->start_offset,
		.stop_offset = args->stop_offset,
		.threshold_ns = args->threshold_ns,
		.cookie = args->cookie,
		.dev = (uint64_t)st.st_dev,
		.ino = (uint64_t)st.st_ino,
		.signal = args->signal,
	};
	memcpy(b.path, path, (size_t)n + 1);
	strcpy(b.cgroup, strempty(cg));
	dev_write(k, OFF_BINDING(k->h.n_bindings), &b, sizeof(b));
	dev_write(k, OFF_STATS(k->h.n_bindings),
		  &(struct tlob_binding_stats) { .id = b.id },
		  sizeof(struct tlob_binding_stats));
	k->h.n_bindings++;
	put_header(k);
	args->id = b.id;
	*ret_id = b.id;
	write_state(k);
	return 0;
}

int kernel_link_unbind(KernelLink *k, uint32_t id)
{
	int i = find_index(k, id);

	if (i < 0)
		return -ENOENT;
	/* The last one takes its place. */
	if ((uint32_t)i + 1 < k->h.n_bindings) {
		FakeBinding last;
		struct tlob_binding_stats st;

		get_binding(k, k->h.n_bindings - 1, &last);
		dev_read(k, OFF_STATS(k->h.n_bindings - 1), &st, sizeof(st));
		dev_write(k, OFF_BINDING(i), &last, sizeof(last));
		dev_write(k, OFF_STATS(i), &st, sizeof(st));
	}
	k->h.n_bindings--;
	put_header(k);
	write_state(k);
	return 0;
}

int kernel_link_stats(KernelLink *k, uint32_t id,
		      struct tlob_binding_stats *ret)
{
	int i = find_index(k, id);

	if (i < 0)
		return -ENOENT;
	dev_read(k, OFF_STATS(i), ret, sizeof(*ret));
	ret->id = id;
	return 0;
}

int kernel_link_list_owned(KernelLink *k, uint32_t **ret_ids, size_t *ret_n)
{
	uint32_t *ids = calloc(k->h.n_bindings + 1, sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (uint32_t i = 0; i < k->h.n_bindings; i++) {
		FakeBinding b;

		get_binding(k, i, &b);
		ids[i] = b.id;
	}
	/* In increasing order, as the module lists them. */
	for (uint32_t i = 1; i < k->h.n_bindings; i++)
		for (uint32_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint32_t t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	*ret_ids = ids;
	*ret_n = k->h.n_bindings;
	return 0;
}

int kernel_link_info(KernelLink *k, uint32_t id,
		     struct tlob_binding_info *ret, char **ret_cgroup_path)
{
	int i = find_index(k, id);
	FakeBinding b;

	if (i < 0)
		return -ENOENT;
	get_binding(k, (uint32_t)i, &b);
	*ret = (struct tlob_binding_info) {
		.id = id,
		.flags = b.flags,
		.start_offset = b.start_offset,
		.stop_offset = b.stop_offset,
		.threshold_ns = b.threshold_ns,
		.cookie = b.cookie,
		.dev = b.dev,
		.ino = b.ino,
		.owner = TLOB_OWNER_THIS_FD,
		.signal = b.signal,
	};
	*ret_cgroup_path = NULL;
	if ((b.flags & TLOB_BIND_CGROUP_PATH) &&
	    !(*ret_cgroup_path = strdup(b.cgroup)))
		return -ENOMEM;
	return 0;
}

ssize_t kernel_link_read(KernelLink *k, void *buf, size_t size)
{
	size_t n = 0, len = 0;

	if (k->read_error)
		return k->read_error;
	/* Whole records, as many as fit; a VIOLATION marked ends the read. */
	while (k->h.head < k->h.tail) {
		struct tlob_event *ev = (struct tlob_event *)((uint8_t *)buf + len);
		uint32_t rsize;

		dev_read(k, OFF_RING(k->h.head), &rsize, sizeof(rsize));
		if (len + rsize > size)
			break;
		dev_read(k, OFF_RING(k->h.head), ev, rsize);
		k->h.head++;
		n++;
		len += rsize;
		if (ev->type == TLOB_EV_VIOLATION && ev->reserved) {
			ev->reserved = 0;
			break;
		}
	}
	put_header(k);
	/* Then the flood's, made up now. */
	for (uint64_t ts = now_ns(); k->flood_next < k->flood_end &&
	     len + sizeof(struct tlob_event) <= size;
	     n++, len += sizeof(struct tlob_event)) {
		struct tlob_event *ev = (struct tlob_event *)((uint8_t *)buf + len);
		uint64_t elapsed = k->flood.threshold_ns + 1 + k->flood_next;

		*ev = (struct tlob_event) {
			.size = sizeof(*ev),
			.type = TLOB_EV_VIOLATION,
			.state = TLOB_STATE_RUNNING,
			.tgid = k->flood_pid,
			.tid = k->flood_pid,
			.binding_id = k->flood.id,
			.cookie = k->flood.cookie,
			.threshold_ns = k->flood.threshold_ns,
			.elapsed_ns = elapsed,
			.running_ns = elapsed / 4,
			.waiting_ns = elapsed / 4,
			.sleeping_ns = elapsed - elapsed / 4 * 2,
			.timestamp_ns = ts,
		};
		snprintf(ev->comm, sizeof(ev->comm), "flood-%llu",
			 (unsigned long long)k->flood_next++);
	}
	update_ready(k);
	/* Taken from the ring: a process killed now must not lose them. */
	if (n > 0 && k->crash_after > 0 && --k->crash_after == 0)
		raise(SIGKILL);
	return (ssize_t)len;
}
