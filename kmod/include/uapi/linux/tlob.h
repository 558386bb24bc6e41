/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tlob - task latency over budget: userspace API of /dev/rv.
 *
 * Every structure uses fixed-width fields and has no implicit padding;
 * flags and reserved fields must be zero or the ioctl fails with EINVAL.
 * See docs/kmod.md for the semantics of each call.
 */
#ifndef _UAPI_LINUX_TLOB_H
#define _UAPI_LINUX_TLOB_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define TLOB_IOCTL_MAGIC	0xB9

/* Largest budget a window may have: one hour. */
#define TLOB_MAX_THRESHOLD_NS	(3600ULL * 1000000000ULL)

/* Number of log2 buckets in struct tlob_binding_stats. */
#define TLOB_HIST_BUCKETS	40

/* TLOB_IOCTL_TRACE_START: open a window for the calling thread. */
struct tlob_start_args {
	__u64 threshold_ns;
	__u64 tag;		/* copied to tlob_event.cookie */
	__u32 flags;		/* must be 0 */
	__u32 reserved;		/* must be 0 */
};

/* TLOB_IOCTL_TRACE_STOP_RESULT: what the closed window measured. */
struct tlob_result {
	__u64 threshold_ns;
	__u64 elapsed_ns;
	__u64 running_ns;
	__u64 waiting_ns;
	__u64 sleeping_ns;
	__u32 violated;
	__u32 reserved;
};

/* tlob_bind_args.flags */
#define TLOB_BIND_STOP_ON_RETURN	(1U << 0)
#define TLOB_BIND_FLAGS_ALL		(TLOB_BIND_STOP_ON_RETURN)

/* TLOB_IOCTL_BIND: bind START/STOP uprobes of an ELF file. */
struct tlob_bind_args {
	__s32 fd;		/* open fd of the ELF file */
	__u32 flags;		/* TLOB_BIND_* */
	__u64 start_offset;	/* ELF file offset of START */
	__u64 stop_offset;	/* ELF file offset of STOP, 0 with STOP_ON_RETURN */
	__u64 threshold_ns;
	__u64 cgroup_id;	/* cgroup v2 id, 0 for any task */
	__u64 cookie;		/* copied to tlob_event.cookie */
	__u32 id;		/* out: binding id */
	__u32 reserved;		/* must be 0 */
};

/* TLOB_IOCTL_BINDING_STATS: statistics of completed windows. */
struct tlob_binding_stats {
	__u32 id;		/* in: binding id */
	__u32 reserved;		/* must be 0 */
	__u64 windows;
	__u64 violations;
	__u64 max_ns;
	__u64 sum_ns;
	/* hist[i]: elapsed in [2^i, 2^(i+1)) ns; [0] also 0-1 ns, [39] 2^39 up */
	__u64 hist[TLOB_HIST_BUCKETS];
};

/* TLOB_IOCTL_SUBSCRIBE flags */
#define TLOB_SUB_ALL		(1U << 0)
#define TLOB_SUB_FLAGS_ALL	(TLOB_SUB_ALL)

/* tlob_event.type */
#define TLOB_EV_VIOLATION	1
#define TLOB_EV_WINDOW_END	2
#define TLOB_EV_LOST		3

/* tlob_event.state */
#define TLOB_STATE_RUNNING	1
#define TLOB_STATE_WAITING	2
#define TLOB_STATE_SLEEPING	3

/* One record returned by read() on /dev/rv. */
struct tlob_event {
	__u32 size;		/* sizeof(struct tlob_event) */
	__u16 type;		/* TLOB_EV_* */
	__u16 state;		/* TLOB_STATE_* at expiry */
	__u32 tgid;
	__u32 tid;
	__u32 binding_id;	/* 0 for self-instrumented windows */
	__u32 reserved;
	__u64 cookie;		/* binding cookie or TRACE_START tag */
	__u64 cgroup_id;	/* cgroup v2 id of the task */
	__u64 threshold_ns;
	__u64 elapsed_ns;	/* at expiry (VIOLATION) or final (WINDOW_END) */
	__u64 running_ns;
	__u64 waiting_ns;
	__u64 sleeping_ns;
	__u64 timestamp_ns;	/* CLOCK_MONOTONIC */
	__u64 lost;		/* TLOB_EV_LOST: records dropped since the last one */
	char comm[16];
};

#define TLOB_IOCTL_TRACE_START		_IOW(TLOB_IOCTL_MAGIC, 0x01, struct tlob_start_args)
#define TLOB_IOCTL_TRACE_STOP		_IO(TLOB_IOCTL_MAGIC, 0x02)
#define TLOB_IOCTL_TRACE_STOP_RESULT	_IOR(TLOB_IOCTL_MAGIC, 0x03, struct tlob_result)
#define TLOB_IOCTL_BIND			_IOWR(TLOB_IOCTL_MAGIC, 0x10, struct tlob_bind_args)
#define TLOB_IOCTL_UNBIND		_IOW(TLOB_IOCTL_MAGIC, 0x11, __u32)
#define TLOB_IOCTL_BINDING_STATS	_IOWR(TLOB_IOCTL_MAGIC, 0x12, struct tlob_binding_stats)
#define TLOB_IOCTL_SUBSCRIBE		_IOW(TLOB_IOCTL_MAGIC, 0x13, __u32)

#endif /* _UAPI_LINUX_TLOB_H */
