// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The loader of the BPF monitor: loads tlob.bpf.c (its skeleton is built
 * into this library), makes and removes bindings, reads statistics and
 * records.  See tlob-bpf.h for the API and tlob.bpf.c for the object.
 *
 * A binding is a slot of the object's binding and statistics maps, written
 * while no probe of it is attached, and one or two uprobes (libbpf perf
 * links whose cookie names the binding, its slot and the probe).  The
 * scheduler and uprobe-exit hooks are attached with the first binding and
 * stay until the object is freed.  Unbinding zeroes the slot, detaches the
 * probes, then has the object close the binding's windows (tlob_reap, run
 * synchronously); freed slots are reused oldest first.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tlob-bpf.h"
#include "tlob-bpf-util.h"
#include "tlob.skel.h"

_Static_assert(sizeof(((struct tlob_bpf_stats *)0)->hist) ==
	       sizeof(((struct tlob_binding_stats *)0)->hist),
	       "the BPF statistics have the UAPI's histogram");

/* What tlob_bpf_binding_info() returns, kept from the bind. */
typedef struct TlobBpfBinding {
	uint32_t id;
	uint32_t slot;
	uint32_t flags;
	uint64_t start_offset;
	uint64_t stop_offset;
	uint64_t threshold_ns;
	uint64_t cgroup_id;
	uint64_t cookie;
	char *cgroup_path;
	uint64_t dev;
	uint64_t ino;
	struct bpf_link *start_link;
	struct bpf_link *stop_link;
} TlobBpfBinding;

#define TLOB_BPF_NR_HOOKS	8

/* A VIOLATION and its CAUSE, as the object queues them: one ring record. */
#define TLOB_BPF_EXPIRY_SIZE \
	(sizeof(struct tlob_event) + sizeof(struct tlob_cause_event))

struct TlobBpf {
	struct tlob_mon *skel;
	struct ring_buffer *ring;
	TlobBpfParams params;
	TlobBpfBinding **slots;		/* [max_bindings] */
	uint32_t *free_slots;		/* FIFO of free slots */
	uint32_t free_head;
	uint32_t free_count;
	uint32_t nbindings;
	uint32_t last_id;
	bool hooks_attached;
	struct bpf_link *hooks[TLOB_BPF_NR_HOOKS];
	struct bpf_link *reap_link;
	/* Where the ring buffer callback puts records. */
	uint8_t *out;
	size_t out_len;
	size_t out_size;
	int out_error;
	/*
	 * Records taken from the ring that the caller's buffer had no room
	 * for (a buffer smaller than TLOB_BPF_EXPIRY_SIZE): handed out first
	 * by the next read.
	 */
	uint8_t held[TLOB_BPF_EXPIRY_SIZE];
	size_t held_len;
};

/* The ring buffer callback's "stop here": the caller's buffer is full. */
#define TLOB_BPF_OUT_FULL	(-ENOBUFS)

static int tlob_bpf_libbpf_print(enum libbpf_print_level level,
				 const char *fmt, va_list ap)
{
	static int debug = -1;

	if (debug < 0) {
		const char *e = getenv("TLOB_BPF_DEBUG");

		debug = e && (strcmp(e, "1") == 0 || strcmp(e, "2") == 0);
	}
	return debug ? vfprintf(stderr, fmt, ap) : 0;
}

/* --- records ----------------------------------------------------------------- */

/* One record into the caller's buffer, or held back if it has no room. */
static void tlob_bpf_put(TlobBpf *t, const void *rec, size_t size)
{
	if (!t->held_len && t->out_len + size <= t->out_size) {
		memcpy(t->out + t->out_len, rec, size);
		t->out_len += size;
		return;
	}
	memcpy(t->held + t->held_len, rec, size);
	t->held_len += size;
}

static int tlob_bpf_on_record(void *ctx, void *data, size_t size)
{
	TlobBpf *t = ctx;

	if (size == sizeof(struct tlob_event)) {
		tlob_bpf_put(t, data, size);
	} else if (size == TLOB_BPF_EXPIRY_SIZE) {
		/* A VIOLATION and its CAUSE: two records, adjacent. */
		tlob_bpf_put(t, data, sizeof(struct tlob_event));
		tlob_bpf_put(t, (uint8_t *)data + sizeof(struct tlob_event),
			     sizeof(struct tlob_cause_event));
	} else {
		t->out_error = -EPROTO;
		return -EPROTO;
	}
	/* Stop while any record still fits whole: nothing is held back then. */
	return t->held_len || t->out_size - t->out_len < TLOB_BPF_EXPIRY_SIZE ?
	       TLOB_BPF_OUT_FULL : 0;
}

/* Hand out the records held back by the previous read, as many as fit. */
static int tlob_bpf_put_held(TlobBpf *t)
{
	size_t off = 0;

	while (off < t->held_len) {
		const struct tlob_event *e = (const void *)(t->held + off);

		if (e->size > t->out_size - t->out_len)
			break;
		memcpy(t->out + t->out_len, e, e->size);
		t->out_len += e->size;
		off += e->size;
	}
	if (!off)
		return -EINVAL;		/* the next record does not fit */
	memmove(t->held, t->held + off, t->held_len - off);
	t->held_len -= off;
	return 0;
}

static uint64_t tlob_bpf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

ssize_t tlob_bpf_read(TlobBpf *t, void *buf, size_t size)
{
	int r;

	if (size < sizeof(struct tlob_event))
		return -EINVAL;
	t->out = buf;
	t->out_len = 0;
	t->out_size = size;
	t->out_error = 0;
	if (t->held_len) {
		r = tlob_bpf_put_held(t);
		if (r < 0)
			return r;
		if (t->held_len)
			return (ssize_t)t->out_len;
	}
	r = ring_buffer__consume(t->ring);
	if (t->out_error)
		return t->out_error;
	if (r < 0 && r != TLOB_BPF_OUT_FULL)
		return r;
	/*
	 * The ring is empty now (or the caller's buffer full): records it
	 * dropped that the object could not report itself yet are reported
	 * here, after all that were queued before them.
	 */
	if (r != TLOB_BPF_OUT_FULL &&
	    t->out_size - t->out_len >= sizeof(struct tlob_event)) {
		uint64_t lost = __atomic_exchange_n(
			&t->skel->bss->tlob_counters.lost_pending, 0,
			__ATOMIC_SEQ_CST);

		if (lost) {
			struct tlob_event l = {
				.size = sizeof(l),
				.type = TLOB_EV_LOST,
				.lost = lost,
				.timestamp_ns = tlob_bpf_now_ns(),
			};

			memcpy(t->out + t->out_len, &l, sizeof(l));
			t->out_len += sizeof(l);
		}
	}
	return t->out_len ? (ssize_t)t->out_len : -EAGAIN;
}

int tlob_bpf_fd(const TlobBpf *t)
{
	return ring_buffer__epoll_fd(t->ring);
}

/* --- loading ------------------------------------------------------------------- */

static int tlob_bpf_check_params(const TlobBpfParams *in, TlobBpfParams *out)
{
	*out = in ? *in : (TlobBpfParams) {};
	if (!out->max_windows)
		out->max_windows = TLOB_BPF_DEFAULT_MAX_WINDOWS;
	if (!out->max_bindings)
		out->max_bindings = TLOB_BPF_DEFAULT_MAX_BINDINGS;
	if (!out->ring_size)
		out->ring_size = TLOB_BPF_DEFAULT_RING_SIZE;
	if (out->max_windows > TLOB_BPF_MAX_WINDOWS ||
	    out->max_bindings > TLOB_BPF_MAX_BINDINGS ||
	    out->ring_size > TLOB_BPF_MAX_RING_SIZE)
		return -EINVAL;
	return 0;
}

/* The kernel functions the object hooks, or -EOPNOTSUPP. */
static int tlob_bpf_check_kernel(struct tlob_mon *skel)
{
	if (libbpf_find_vmlinux_btf_id("uprobe_notify_resume",
				       BPF_TRACE_FEXIT) < 0)
		return -EOPNOTSUPP;
	if (libbpf_find_vmlinux_btf_id("bpf_fentry_test1", BPF_TRACE_FENTRY) < 0)
		return -EOPNOTSUPP;
	/* Returns are a system call on x86-64 from 6.11: hook it there. */
	if (libbpf_find_vmlinux_btf_id("uprobe_handle_trampoline",
				       BPF_TRACE_FEXIT) < 0)
		bpf_program__set_autoload(skel->progs.tlob_uprobe_trampoline_done,
					  false);
	return 0;
}

static int tlob_bpf_size_maps(struct tlob_mon *skel, const TlobBpfParams *p)
{
	long page = sysconf(_SC_PAGESIZE);
	int r;

	r = bpf_map__set_max_entries(skel->maps.tlob_windows, p->max_windows);
	if (!r)
		r = bpf_map__set_max_entries(skel->maps.tlob_free_windows,
					     p->max_windows);
	if (!r)
		r = bpf_map__set_max_entries(skel->maps.tlob_bindings,
					     p->max_bindings);
	if (!r)
		r = bpf_map__set_max_entries(skel->maps.tlob_stats,
					     p->max_bindings);
	if (!r)
		r = bpf_map__set_max_entries(skel->maps.tlob_events,
			(uint32_t)tlob_bpf_ring_bytes(p->ring_size,
						      page > 0 ? (uint64_t)page : 4096));
	return r;
}

int tlob_bpf_new(const TlobBpfParams *params, TlobBpf **ret)
{
	const char *debug = getenv("TLOB_BPF_DEBUG");
	/* TLOB_BPF_DEBUG=2: the verifier's statistics of every program. */
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .kernel_log_level = debug && strcmp(debug, "2") == 0 ? 4 : 0);
	TlobBpf *t;
	int fd, r;

	libbpf_set_print(tlob_bpf_libbpf_print);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = tlob_bpf_check_params(params, &t->params);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	t->slots = calloc(t->params.max_bindings, sizeof(*t->slots));
	t->free_slots = calloc(t->params.max_bindings, sizeof(*t->free_slots));
	if (!t->slots || !t->free_slots)
		goto fail;
	for (uint32_t i = 0; i < t->params.max_bindings; i++)
		t->free_slots[i] = i;
	t->free_count = t->params.max_bindings;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		r = errno == ENOENT ? -EOPNOTSUPP : -errno;
		goto fail;
	}
	t->skel = tlob_mon__open_opts(&open_opts);
	if (!t->skel) {
		r = -errno;
		goto fail;
	}
	r = tlob_bpf_check_kernel(t->skel);
	if (r < 0)
		goto fail;
	r = tlob_bpf_size_maps(t->skel, &t->params);
	if (r < 0)
		goto fail;
	r = tlob_mon__load(t->skel);
	if (r < 0)
		goto fail;
	t->skel->bss->tlob_loader_tgid = (uint32_t)getpid();

	/* Every window is free. */
	fd = bpf_map__fd(t->skel->maps.tlob_free_windows);
	for (uint32_t i = 0; i < t->params.max_windows; i++) {
		r = bpf_map_update_elem(fd, NULL, &i, BPF_ANY);
		if (r < 0)
			goto fail;
	}
	t->reap_link = bpf_program__attach(t->skel->progs.tlob_reap);
	if (!t->reap_link) {
		r = -errno;
		goto fail;
	}
	t->ring = ring_buffer__new(bpf_map__fd(t->skel->maps.tlob_events),
				   tlob_bpf_on_record, t, NULL);
	if (!t->ring) {
		r = -errno;
		goto fail;
	}
	*ret = t;
	return 0;

fail:
	tlob_bpf_free(t);
	return r < 0 ? r : -EIO;
}

static void tlob_bpf_binding_free(TlobBpfBinding *b)
{
	if (!b)
		return;
	bpf_link__destroy(b->start_link);
	bpf_link__destroy(b->stop_link);
	free(b->cgroup_path);
	free(b);
}

TlobBpf *tlob_bpf_free(TlobBpf *t)
{
	if (!t)
		return NULL;
	for (uint32_t i = 0; t->slots && i < t->params.max_bindings; i++)
		tlob_bpf_binding_free(t->slots[i]);
	for (unsigned int i = 0; i < TLOB_BPF_NR_HOOKS; i++)
		bpf_link__destroy(t->hooks[i]);
	bpf_link__destroy(t->reap_link);
	ring_buffer__free(t->ring);
	/* Freeing the maps cancels the windows' timers. */
	tlob_mon__destroy(t->skel);
	free(t->slots);
	free(t->free_slots);
	free(t);
	return NULL;
}

/* The scheduler hooks and the uprobe exits, with the first binding. */
static int tlob_bpf_attach_hooks(TlobBpf *t)
{
	struct bpf_program *progs[TLOB_BPF_NR_HOOKS] = {
		t->skel->progs.tlob_sched_switch,
		t->skel->progs.tlob_sched_wakeup,
		t->skel->progs.tlob_sched_wakeup_new,
		t->skel->progs.tlob_sched_waking,
		t->skel->progs.tlob_sched_process_exit,
		t->skel->progs.tlob_sched_process_exec,
		t->skel->progs.tlob_uprobe_notify_done,
		t->skel->progs.tlob_uprobe_trampoline_done,
	};
	int r;

	if (t->hooks_attached)
		return 0;
	for (unsigned int i = 0; i < TLOB_BPF_NR_HOOKS; i++) {
		if (!bpf_program__autoload(progs[i]))
			continue;
		t->hooks[i] = bpf_program__attach(progs[i]);
		if (!t->hooks[i]) {
			r = -errno;
			while (i-- > 0) {
				bpf_link__destroy(t->hooks[i]);
				t->hooks[i] = NULL;
			}
			return r;
		}
	}
	t->hooks_attached = true;
	return 0;
}

/* --- bindings ------------------------------------------------------------------ */

static TlobBpfBinding *tlob_bpf_find(TlobBpf *t, uint32_t id)
{
	if (!id)
		return NULL;
	for (uint32_t i = 0; i < t->params.max_bindings; i++) {
		if (t->slots[i] && t->slots[i]->id == id)
			return t->slots[i];
	}
	return NULL;
}

static bool tlob_bpf_id_in_use(uint32_t id, void *userdata)
{
	return tlob_bpf_find(userdata, id) != NULL;
}

/* The cgroup2 mount the ids are looked up under. */
static const char *tlob_bpf_cgroup_root(void)
{
	static const char *const roots[] = {
		"/sys/fs/cgroup", "/sys/fs/cgroup/unified",
	};
	struct statfs fs;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (statfs(roots[i], &fs) == 0 &&
		    fs.f_type == CGROUP2_SUPER_MAGIC)
			return roots[i];
	}
	return NULL;
}

static uint64_t tlob_bpf_walk_id;
static int tlob_bpf_walk_level;

static int tlob_bpf_walk_one(const char *path, const struct stat *st,
			     int type, struct FTW *ftw)
{
	if (type == FTW_D && (uint64_t)st->st_ino == tlob_bpf_walk_id) {
		tlob_bpf_walk_level = ftw->level;
		return FTW_STOP;
	}
	return FTW_CONTINUE;
}

/*
 * The level of the cgroup with id @id (its depth below the root): a
 * cgroup's id is the inode number of its directory.  -ENOENT if there is
 * none.
 */
static int tlob_bpf_cgroup_level(uint64_t id, uint32_t *level)
{
	const char *root = tlob_bpf_cgroup_root();
	int r;

	if (!root)
		return -ENOENT;
	tlob_bpf_walk_id = id;
	tlob_bpf_walk_level = -1;
	r = nftw(root, tlob_bpf_walk_one, 32,
		 FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL);
	if (r < 0)
		return -errno;
	if (tlob_bpf_walk_level < 0)
		return -ENOENT;
	*level = (uint32_t)tlob_bpf_walk_level;
	return 0;
}

static bool tlob_bpf_same_cgroup(const TlobBpfBinding *b, uint32_t flags,
				 uint64_t cgroup_id, const char *path)
{
	if (!(b->flags & TLOB_BIND_CGROUP_PATH) != !(flags & TLOB_BIND_CGROUP_PATH))
		return false;
	if (flags & TLOB_BIND_CGROUP_PATH)
		return strcmp(b->cgroup_path, path) == 0;
	return b->cgroup_id == cgroup_id;
}

/* A uprobe of the binding in @slot, on the file of @fd. */
static struct bpf_link *tlob_bpf_attach_probe(TlobBpf *t, int fd,
					      uint64_t offset, uint64_t cookie,
					      bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie,
		    .retprobe = retprobe);
	char path[64];

	/* The kernel resolves the path: the very file the caller opened. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return bpf_program__attach_uprobe_opts(t->skel->progs.tlob_probe, -1,
					       path, (size_t)offset, &opts);
}

static int tlob_bpf_write_slot(TlobBpf *t, uint32_t slot,
			       const struct tlob_bpf_binding *bb, uint32_t id)
{
	struct tlob_bpf_stats st = { .id = id };
	int r;

	/* Statistics first: a window of the binding may end at once. */
	r = bpf_map_update_elem(bpf_map__fd(t->skel->maps.tlob_stats), &slot,
				&st, BPF_F_LOCK);
	if (r < 0)
		return r;
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.tlob_bindings),
				   &slot, bb, BPF_ANY);
}

static void tlob_bpf_clear_slot(TlobBpf *t, uint32_t slot)
{
	struct tlob_bpf_binding bb = {};

	(void)bpf_map_update_elem(bpf_map__fd(t->skel->maps.tlob_bindings),
				  &slot, &bb, BPF_ANY);
}

/* Close the windows of binding @id, whose probes are detached. */
static int tlob_bpf_reap(TlobBpf *t, uint32_t id)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int r;

	t->skel->bss->tlob_reap_id = id;
	r = bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.tlob_reap),
				   &opts);
	t->skel->bss->tlob_reap_id = 0;
	return r;
}

static void tlob_bpf_release_slot(TlobBpf *t, uint32_t slot)
{
	uint32_t tail = (t->free_head + t->free_count) % t->params.max_bindings;

	t->free_slots[tail] = slot;
	t->free_count++;
}

int tlob_bpf_bind(TlobBpf *t, struct tlob_bind_args *a)
{
	struct tlob_bpf_binding bb = {};
	TlobBpfBinding *b;
	const char *path = NULL;
	struct stat st;
	uint32_t slot, id;
	int r;

	r = tlob_bpf_check_bind_args(a);
	if (r < 0)
		return r;
	if (a->flags & TLOB_BIND_CGROUP_PATH) {
		path = (const char *)(uintptr_t)a->cgroup_id;
		if (!path)
			return -EFAULT;
		if (strnlen(path, PATH_MAX) >= PATH_MAX)
			return -EINVAL;
		r = tlob_bpf_encode_cgroup_path(path, &bb);
		if (r < 0)
			return r;
	}
	if (fstat(a->fd, &st) < 0)
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	/* Probe offsets must lie inside the file. */
	if (a->start_offset >= (uint64_t)st.st_size ||
	    (!(a->flags & TLOB_BIND_STOP_ON_RETURN) &&
	     a->stop_offset >= (uint64_t)st.st_size))
		return -EINVAL;
	if (!path && a->cgroup_id) {
		r = tlob_bpf_cgroup_level(a->cgroup_id, &bb.cg_level);
		if (r < 0)
			return r;
	}
	for (uint32_t i = 0; i < t->params.max_bindings; i++) {
		TlobBpfBinding *o = t->slots[i];

		if (o && o->dev == (uint64_t)st.st_dev &&
		    o->ino == (uint64_t)st.st_ino &&
		    o->start_offset == a->start_offset &&
		    tlob_bpf_same_cgroup(o, a->flags, a->cgroup_id, path))
			return -EEXIST;
	}
	if (!t->free_count)
		return -ENOSPC;
	id = tlob_bpf_next_id(t->last_id, tlob_bpf_id_in_use, t);
	if (!id)
		return -ENOSPC;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	if (path) {
		b->cgroup_path = strdup(path);
		if (!b->cgroup_path) {
			free(b);
			return -ENOMEM;
		}
	}
	slot = t->free_slots[t->free_head];
	b->id = id;
	b->slot = slot;
	b->flags = a->flags;
	b->start_offset = a->start_offset;
	b->stop_offset = a->stop_offset;
	b->threshold_ns = a->threshold_ns;
	b->cgroup_id = path ? 0 : a->cgroup_id;
	b->cookie = a->cookie;
	b->dev = (uint64_t)st.st_dev;
	b->ino = (uint64_t)st.st_ino;

	bb.id = id;
	bb.flags = a->flags;
	bb.threshold_ns = a->threshold_ns;
	bb.cookie = a->cookie;
	bb.cgroup_id = b->cgroup_id;

	r = tlob_bpf_attach_hooks(t);
	if (r < 0)
		goto fail;
	r = tlob_bpf_write_slot(t, slot, &bb, id);
	if (r < 0)
		goto fail_clear;
	b->start_link = tlob_bpf_attach_probe(t, a->fd, a->start_offset,
		TLOB_BPF_COOKIE(id, slot, TLOB_BPF_ROLE_START), false);
	if (!b->start_link) {
		r = -errno;
		goto fail_clear;
	}
	if (a->flags & TLOB_BIND_STOP_ON_RETURN)
		b->stop_link = tlob_bpf_attach_probe(t, a->fd, a->start_offset,
			TLOB_BPF_COOKIE(id, slot, TLOB_BPF_ROLE_RET), true);
	else
		b->stop_link = tlob_bpf_attach_probe(t, a->fd, a->stop_offset,
			TLOB_BPF_COOKIE(id, slot, TLOB_BPF_ROLE_STOP), false);
	if (!b->stop_link) {
		r = -errno;
		goto fail_clear;
	}

	t->slots[slot] = b;
	t->free_head = (t->free_head + 1) % t->params.max_bindings;
	t->free_count--;
	t->nbindings++;
	t->last_id = id;
	a->id = id;
	return 0;

fail_clear:
	tlob_bpf_clear_slot(t, slot);
	bpf_link__destroy(b->start_link);
	b->start_link = NULL;
	(void)tlob_bpf_reap(t, id);
	t->last_id = id;	/* the id may have opened windows: not again */
fail:
	tlob_bpf_binding_free(b);
	return r < 0 ? r : -EIO;
}

int tlob_bpf_unbind(TlobBpf *t, uint32_t id)
{
	TlobBpfBinding *b = tlob_bpf_find(t, id);
	struct tlob_bpf_stats st = {};
	uint32_t slot;

	if (!b)
		return -ENOENT;
	slot = b->slot;
	/* No new window: a START in flight finds the slot empty. */
	tlob_bpf_clear_slot(t, slot);
	bpf_link__destroy(b->start_link);
	bpf_link__destroy(b->stop_link);
	b->start_link = b->stop_link = NULL;
	(void)tlob_bpf_reap(t, id);
	(void)bpf_map_update_elem(bpf_map__fd(t->skel->maps.tlob_stats), &slot,
				  &st, BPF_F_LOCK);
	t->slots[slot] = NULL;
	tlob_bpf_binding_free(b);
	tlob_bpf_release_slot(t, slot);
	t->nbindings--;
	return 0;
}

int tlob_bpf_binding_stats(TlobBpf *t, uint32_t id,
			   struct tlob_binding_stats *ret)
{
	TlobBpfBinding *b = tlob_bpf_find(t, id);
	struct tlob_bpf_stats st;
	int r;

	if (!b)
		return -ENOENT;
	r = bpf_map_lookup_elem_flags(bpf_map__fd(t->skel->maps.tlob_stats),
				      &b->slot, &st, BPF_F_LOCK);
	if (r < 0)
		return r;
	if (st.id != id)
		return -ENOENT;
	*ret = (struct tlob_binding_stats) {
		.id = id,
		.windows = st.windows,
		.violations = st.violations,
		.max_ns = st.max_ns,
		.sum_ns = st.sum_ns,
	};
	memcpy(ret->hist, st.hist, sizeof(ret->hist));
	return 0;
}

int tlob_bpf_binding_missed(TlobBpf *t, uint32_t id, uint64_t *ret)
{
	TlobBpfBinding *b = tlob_bpf_find(t, id);
	struct tlob_bpf_binding bb;
	int r;

	if (!b)
		return -ENOENT;
	r = bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tlob_bindings),
				&b->slot, &bb);
	if (r < 0)
		return r;
	if (bb.id != id)
		return -ENOENT;
	*ret = bb.missed;
	return 0;
}

int tlob_bpf_binding_info(TlobBpf *t, struct tlob_binding_info *info)
{
	TlobBpfBinding *b;
	uint64_t buf = info->cgroup_path;
	uint32_t room = buf ? info->cgroup_path_size : 0, need = 0;
	int r = 0;

	if (info->reserved)
		return -EINVAL;
	b = tlob_bpf_find(t, info->id);
	if (!b)
		return -ENOENT;
	if (b->cgroup_path) {
		need = (uint32_t)strlen(b->cgroup_path) + 1;
		if (need > room)
			r = -ERANGE;
		else
			memcpy((char *)(uintptr_t)buf, b->cgroup_path, need);
	}
	info->flags = b->flags;
	info->start_offset = b->start_offset;
	info->stop_offset = b->stop_offset;
	info->threshold_ns = b->threshold_ns;
	info->cgroup_id = b->cgroup_id;
	info->cookie = b->cookie;
	info->dev = b->dev;
	info->ino = b->ino;
	info->owner = TLOB_OWNER_THIS_FD;
	info->cgroup_path_size = need;
	return r;
}

static int tlob_bpf_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int tlob_bpf_list_bindings(TlobBpf *t, struct tlob_binding_list *list)
{
	uint32_t *ids, n = 0, room;

	if (list->flags & ~TLOB_LIST_FLAGS_ALL)
		return -EINVAL;
	ids = calloc(t->nbindings ? t->nbindings : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->params.max_bindings; i++) {
		if (t->slots[i])
			ids[n++] = t->slots[i]->id;
	}
	qsort(ids, n, sizeof(*ids), tlob_bpf_cmp_u32);
	room = list->count < TLOB_LIST_MAX ? list->count : TLOB_LIST_MAX;
	if (room && list->ids)
		memcpy((void *)(uintptr_t)list->ids, ids,
		       (room < n ? room : n) * sizeof(*ids));
	list->count = n;
	free(ids);
	return 0;
}

int tlob_bpf_get_counters(TlobBpf *t, TlobBpfCounters *ret)
{
	const struct tlob_bpf_counters *c = &t->skel->bss->tlob_counters;

	*ret = (TlobBpfCounters) {
		.windows_started = __atomic_load_n(&c->windows_started, __ATOMIC_RELAXED),
		.windows_completed = __atomic_load_n(&c->windows_completed, __ATOMIC_RELAXED),
		.violations = __atomic_load_n(&c->violations, __ATOMIC_RELAXED),
		.events_dropped = __atomic_load_n(&c->events_dropped, __ATOMIC_RELAXED),
		.windows_in_use = __atomic_load_n(&c->windows_in_use, __ATOMIC_RELAXED),
		.windows_max = t->params.max_windows,
		.bindings = t->nbindings,
		.windows_missed = __atomic_load_n(&c->windows_missed, __ATOMIC_RELAXED),
		.probes_dropped = __atomic_load_n(&c->probes_dropped, __ATOMIC_RELAXED),
		.windows_reaped = __atomic_load_n(&c->windows_reaped, __ATOMIC_RELAXED),
		.causes = __atomic_load_n(&c->causes, __ATOMIC_RELAXED),
		.cause_ns = __atomic_load_n(&c->cause_ns, __ATOMIC_RELAXED),
		.stacks = __atomic_load_n(&c->stacks, __ATOMIC_RELAXED),
		.stack_ns = __atomic_load_n(&c->stack_ns, __ATOMIC_RELAXED),
	};
	return 0;
}
