/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The BPF monitor (tlob.bpf.c) from userspace: the same operations, with
 * the same structures and errors, as a /dev/rv file of tlob.ko that binds
 * and reads records (docs/kmod.md), for kernels without the module.
 *
 * One TlobBpf is one loaded copy of the BPF object: its bindings, its
 * windows, its statistics and its ring of records are its own, and go
 * with it.  It is what tlob-manager's kernel link does with /dev/rv:
 *
 *   /dev/rv (common/rv-dev.h)            TlobBpf
 *   rv_open() + rv_subscribe(TLOB_SUB_ALL)  tlob_bpf_new()
 *   rv_bind()                             tlob_bpf_bind()
 *   rv_unbind()                           tlob_bpf_unbind()
 *   rv_binding_stats()                    tlob_bpf_binding_stats()
 *   TLOB_IOCTL_BINDING_INFO                tlob_bpf_binding_info()
 *   TLOB_IOCTL_LIST_BINDINGS               tlob_bpf_list_bindings()
 *   poll() for POLLIN on the fd            poll() on tlob_bpf_fd()
 *   read()                                tlob_bpf_read()
 *   close()                               tlob_bpf_free()
 *
 * Every record of this TlobBpf's bindings is delivered (as to a /dev/rv
 * file that made them); there is no self-instrumentation.  Functions
 * return 0 (or a count) or a negative errno and never log; libbpf's own
 * messages are silenced unless TLOB_BPF_DEBUG=1 is in the environment.
 * Not thread-safe: one thread uses a TlobBpf at a time, in the process
 * that made it (not in a child after fork()).
 *
 * Needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) to load, and
 * CAP_SYS_ADMIN to bind (the kernel makes a uprobe through
 * perf_event_open() for it only: -EACCES otherwise), a kernel with BTF,
 * and the kernel functions the object hooks (see docs/bpf.md).
 */
#ifndef TLOB_BPF_H
#define TLOB_BPF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/tlob.h>

typedef struct TlobBpf TlobBpf;

/* Sizes, as the module's parameters; 0 takes the default. */
typedef struct TlobBpfParams {
	uint32_t max_windows;	/* windows open at once (4096) */
	uint32_t max_bindings;	/* bindings at a time (1024) */
	uint32_t ring_size;	/* records the ring holds at least (4096) */
} TlobBpfParams;

#define TLOB_BPF_DEFAULT_MAX_WINDOWS	4096U
#define TLOB_BPF_DEFAULT_MAX_BINDINGS	1024U
#define TLOB_BPF_DEFAULT_RING_SIZE	4096U
#define TLOB_BPF_MAX_WINDOWS		1048576U
#define TLOB_BPF_MAX_BINDINGS		65536U
#define TLOB_BPF_MAX_RING_SIZE		1048576U

/* The counters of /sys/kernel/tlob/stats that apply, and a few more. */
typedef struct TlobBpfCounters {
	uint64_t windows_started;
	uint64_t windows_completed;
	uint64_t violations;
	uint64_t events_dropped;	/* records that found the ring full */
	uint64_t windows_in_use;
	uint64_t windows_max;
	uint64_t bindings;
	uint64_t windows_missed;	/* not opened: no free window */
	uint64_t probes_dropped;	/* probe hits beyond what one hit holds */
	uint64_t windows_reaped;	/* closed by tlob_bpf_unbind() */
	uint64_t causes;		/* causes captured at expiry */
	uint64_t cause_ns;		/* time their capture at expiry took */
	uint64_t stacks;		/* kernel stacks taken at a switch out
					 * of a window that captures causes */
	uint64_t stack_ns;		/* time those took */
} TlobBpfCounters;

/*
 * Load and verify the BPF object with @params (NULL: defaults); nothing
 * is attached until the first binding.  -EINVAL for a size out of range,
 * -EPERM without the capabilities, -EOPNOTSUPP on a kernel without BTF
 * or without the hooks, else what loading failed with.
 */
int tlob_bpf_new(const TlobBpfParams *params, TlobBpf **ret);
/* Detach and unload: every binding and open window goes.  NULL is fine. */
TlobBpf *tlob_bpf_free(TlobBpf *t);

/* POLLIN (EPOLLIN) while records are waiting: poll it, read them. */
int tlob_bpf_fd(const TlobBpf *t);

/*
 * TLOB_IOCTL_BIND: @args->fd is an open fd of the ELF file (it may be
 * closed afterwards), the rest as for the ioctl, TLOB_BIND_CGROUP_PATH
 * and TLOB_BIND_CAUSE included (the parts of the cause BPF can take:
 * docs/bpf.md); fills in @args->id.  Errors as the ioctl's: -EBADF,
 * -EINVAL (bad flags, signal above 64, threshold, offsets, not a regular
 * file, malformed cgroup path), -ENOENT (unknown cgroup id), -EEXIST
 * (same file, start offset and cgroup), -ENOSPC (max_bindings); and
 * -ENAMETOOLONG for a cgroup path deeper than 32 levels or over about
 * 1000 bytes, -EOPNOTSUPP for a signal action (@args->signal not 0).
 */
int tlob_bpf_bind(TlobBpf *t, struct tlob_bind_args *args);
/*
 * TLOB_IOCTL_UNBIND: detach its probes, then close its open windows
 * without a report (records already queued stay).  -ENOENT if unknown.
 */
int tlob_bpf_unbind(TlobBpf *t, uint32_t id);
/* TLOB_IOCTL_BINDING_STATS of binding @id into @st.  -ENOENT. */
int tlob_bpf_binding_stats(TlobBpf *t, uint32_t id,
			   struct tlob_binding_stats *st);
/*
 * TLOB_IOCTL_BINDING_INFO: @info->id in, the cgroup_path buffer and its
 * size as for the ioctl (-ERANGE when too small, the size needed in
 * cgroup_path_size).  owner is always TLOB_OWNER_THIS_FD.  -EINVAL for a
 * non-zero reserved, -ENOENT.
 */
int tlob_bpf_binding_info(TlobBpf *t, struct tlob_binding_info *info);
/*
 * TLOB_IOCTL_LIST_BINDINGS: the ids in increasing order (every binding is
 * this TlobBpf's: TLOB_LIST_OWNED changes nothing).  -EINVAL for an
 * unknown flag.
 */
int tlob_bpf_list_bindings(TlobBpf *t, struct tlob_binding_list *list);

/*
 * read() on /dev/rv: move the queued records that fit whole into the
 * @size bytes at @buf, in the order they were queued, each stepped over
 * by its size: TLOB_EV_VIOLATION at expiry, right after it the
 * TLOB_EV_CAUSE of a binding made with TLOB_BIND_CAUSE (struct
 * tlob_cause_event), TLOB_EV_WINDOW_END when a violated window ends,
 * TLOB_EV_LOST with the number of records the full ring dropped.
 * Returns the bytes written (> 0), -EAGAIN when none is queued, -EINVAL
 * when the next record does not fit (as the module, it stays queued).
 *
 * A buffer of at least sizeof(struct tlob_event) +
 * sizeof(struct tlob_cause_event) bytes never leaves one behind; a
 * smaller one may, taken out of the ring with the record before it:
 * poll() does not report it, read again until -EAGAIN before polling.
 */
ssize_t tlob_bpf_read(TlobBpf *t, void *buf, size_t size);

int tlob_bpf_get_counters(TlobBpf *t, TlobBpfCounters *ret);

/*
 * Binding @id's windows not opened (no free window, the task's list of
 * windows full, no task storage), as the module's monitor line "missed=".
 */
int tlob_bpf_binding_missed(TlobBpf *t, uint32_t id, uint64_t *ret);

#endif /* TLOB_BPF_H */
