/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tlob - task latency over budget: userspace API of /dev/rv.
 *
 * Every structure uses fixed-width fields and has no implicit padding;
 * flags and reserved fields must be zero or the ioctl fails with EINVAL.
 * See docs/kmod.md for the semantics of each call.
 *
 * What a program may rely on:
 * - A window is violated if and only if its elapsed time reached its
 *   budget (elapsed_ns >= threshold_ns), wherever TRACE_STOP or the STOP
 *   probe lands relative to the budget timer; the result of TRACE_STOP,
 *   the records, the statistics and the trace events agree.
 * - A window ends without a record when its task exits or calls execve()
 *   (a TRACE_STOP on its fd afterwards fails with EINVAL).
 * - poll() on an fd: POLLPRI while the fd's own current self-instrumented
 *   window is over its budget; POLLIN (and POLLRDNORM) while records are
 *   queued.  Records of earlier windows make POLLIN, not POLLPRI, ready: a
 *   program waiting for its current window to blow polls for POLLPRI.
 * - Binding ids are allocated cyclically from 1 to 2^31 - 1: an id is not
 *   reused before every other id has been used, so records queued before
 *   an unbind are not taken for records of a later binding.  The cookie
 *   tells bindings apart for good.
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

/*
 * tlob_start_args.flags
 * TLOB_START_CAUSE: capture the cause when the budget expires; a
 *   TLOB_EV_CAUSE record follows the window's VIOLATION on this fd (whose
 *   ring then holds 16 record slots instead of 4).  The kernel stack is
 *   captured only for a caller with CAP_PERFMON or CAP_SYS_ADMIN.
 */
#define TLOB_START_CAUSE	(1U << 0)
#define TLOB_START_FLAGS_ALL	(TLOB_START_CAUSE)

/* TLOB_IOCTL_TRACE_START: open a window for the calling thread. */
struct tlob_start_args {
	__u64 threshold_ns;
	__u64 tag;		/* copied to tlob_event.cookie */
	__u32 flags;		/* TLOB_START_* */
	union {
		__u32 reserved;	/* older name of @signal */
		__u32 signal;	/* sent to the calling thread when the budget
				 * expires; 0: none (1 to 64) */
	};
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

/*
 * tlob_bind_args.flags
 * TLOB_BIND_STOP_ON_RETURN: the window ends on return from the function at
 *   start_offset; stop_offset must be 0.
 * TLOB_BIND_CGROUP_PATH: cgroup_id holds a pointer to a NUL-terminated
 *   path of a cgroup v2, relative to the cgroup2 root (for example
 *   "system.slice/app.service"); only tasks in that cgroup or below it open
 *   windows.  The cgroup need not exist: it is looked up when a task hits
 *   START, so a binding made before a service starts measures it from its
 *   first instruction, across restarts.
 * TLOB_BIND_CAUSE: capture the cause when a window's budget expires; a
 *   TLOB_EV_CAUSE record follows its VIOLATION on the binding's fd and on
 *   subscribers that asked for causes (TLOB_SUB_CAUSE).
 */
#define TLOB_BIND_STOP_ON_RETURN	(1U << 0)
#define TLOB_BIND_CGROUP_PATH		(1U << 1)
#define TLOB_BIND_CAUSE			(1U << 2)
#define TLOB_BIND_FLAGS_ALL		(TLOB_BIND_STOP_ON_RETURN | \
					 TLOB_BIND_CGROUP_PATH | \
					 TLOB_BIND_CAUSE)

/* TLOB_IOCTL_BIND: bind START/STOP uprobes of an ELF file. */
struct tlob_bind_args {
	__s32 fd;		/* open fd of the ELF file */
	__u32 flags;		/* TLOB_BIND_* */
	__u64 start_offset;	/* ELF file offset of START */
	__u64 stop_offset;	/* ELF file offset of STOP, 0 with STOP_ON_RETURN */
	__u64 threshold_ns;
	__u64 cgroup_id;	/* cgroup v2 id, 0 for any task; or a
				 * pointer with TLOB_BIND_CGROUP_PATH */
	__u64 cookie;		/* copied to tlob_event.cookie */
	__u32 id;		/* out: binding id */
	union {
		__u32 reserved;	/* older name of @signal */
		__u32 signal;	/* sent to the violating thread when the
				 * budget expires, at most once per window;
				 * 0: none (1 to 64); needs CAP_KILL too */
	};
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

/* TLOB_IOCTL_BINDING_INFO: what a binding measures. */
struct tlob_binding_info {
	__u32 id;		/* in: binding id */
	__u32 flags;		/* TLOB_BIND_* it was made with */
	__u64 start_offset;
	__u64 stop_offset;
	__u64 threshold_ns;
	__u64 cgroup_id;	/* 0: none, or filtered by path */
	__u64 cookie;
	__u64 dev;		/* st_dev of the probed file */
	__u64 ino;		/* st_ino of the probed file */
	__u64 cgroup_path;	/* in: pointer to a buffer, or 0 */
	__u32 cgroup_path_size;	/* in: its size; out: bytes needed (with the
				 * NUL), 0 without TLOB_BIND_CGROUP_PATH;
				 * ERANGE if the buffer is too small */
	__u32 owner;		/* TLOB_OWNER_* */
	union {
		__u64 reserved;	/* in: must be 0 */
		struct {
			__u32 signal;	/* out: as in tlob_bind_args */
			__u32 reserved2;
		};
	};
};

/* tlob_binding_info.owner */
#define TLOB_OWNER_SYSFS	0	/* /sys/kernel/tlob/monitor */
#define TLOB_OWNER_THIS_FD	1	/* the fd the ioctl was made on */
#define TLOB_OWNER_OTHER_FD	2	/* another /dev/rv fd */

/* TLOB_IOCTL_LIST_BINDINGS: the ids of bindings, in increasing order. */
struct tlob_binding_list {
	__u32 flags;		/* TLOB_LIST_* */
	__u32 count;		/* in: room in @ids (at most
				 * TLOB_LIST_MAX are written); out: how many
				 * there are */
	__u64 ids;		/* pointer to __u32[count] */
};

#define TLOB_LIST_OWNED		(1U << 0)	/* only this fd's bindings */
#define TLOB_LIST_FLAGS_ALL	(TLOB_LIST_OWNED)
#define TLOB_LIST_MAX		(1U << 20)

/*
 * TLOB_IOCTL_SUBSCRIBE flags
 * TLOB_SUB_CAUSE (with TLOB_SUB_ALL): also receive the TLOB_EV_CAUSE
 *   records of bindings made with TLOB_BIND_CAUSE and of self-instrumented
 *   windows opened with TLOB_START_CAUSE.  Without it no TLOB_EV_CAUSE
 *   record reaches the subscriber, so that readers built before that type
 *   existed never see one.
 */
#define TLOB_SUB_ALL		(1U << 0)
#define TLOB_SUB_CAUSE		(1U << 1)
#define TLOB_SUB_FLAGS_ALL	(TLOB_SUB_ALL | TLOB_SUB_CAUSE)

/*
 * tlob_event.type
 * TLOB_EV_LOST: lost records were dropped because this fd's ring was full.
 * TLOB_EV_SUPPRESSED: lost self-instrumented windows violated their budget
 *   but their VIOLATION and WINDOW_END records were withheld from this
 *   TLOB_SUB_ALL subscriber: their owner exceeded its rate
 *   (self_event_rate), or self-instrumented records already held the share
 *   of the ring they may take (records of bindings always keep the rest).
 *   Readers that count violations add @lost.
 * TLOB_EV_CAUSE: struct tlob_cause_event, right after the VIOLATION it
 *   explains (same tid, binding_id, cookie, timestamp_ns), for windows
 *   that capture causes, and only on fds that asked for them (the fd that
 *   made the binding or opened the window, TLOB_SUB_CAUSE subscribers).
 *   Its @size is sizeof(struct tlob_cause_event): read() buffers must hold
 *   it (a buffer too small for the next record is EINVAL).  If the ring
 *   has room for the VIOLATION only, the CAUSE is counted lost.
 * Records are read whole; a reader steps by @size and skips types it does
 * not know.
 */
#define TLOB_EV_VIOLATION	1
#define TLOB_EV_WINDOW_END	2
#define TLOB_EV_LOST		3
#define TLOB_EV_SUPPRESSED	4
#define TLOB_EV_CAUSE		5

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
	__u64 lost;		/* TLOB_EV_LOST, _SUPPRESSED: count since
				 * the previous record of that type */
	char comm[16];
};

/* Frames of the kernel stack in struct tlob_cause. */
#define TLOB_CAUSE_KSTACK_MAX	16

/*
 * tlob_cause.valid: which parts of the cause were captured.
 * TLOB_CAUSE_KSTACK: @kstack holds @nr_kstack return addresses, innermost
 *   first, of a task that was off its CPU (sleeping or waiting): raw kernel
 *   addresses, to resolve with /proc/kallsyms.  The wait channel is the
 *   first of them outside [__sched_text_start, __sched_text_end), as
 *   /proc/PID/wchan tells it.  Not captured for a task on a CPU, nor for
 *   self-instrumented windows opened without CAP_PERFMON (KASLR).
 * TLOB_CAUSE_USER_IP: @user_ip and @user_sp are where the running task
 *   was interrupted in user space by the budget timer (exact).
 * TLOB_CAUSE_USER_ENTRY: they are from the task's last entry into the
 *   kernel: the system call it is blocked in, or, for a task running on
 *   another CPU, its last interrupt (within a scheduler tick, 4 ms at
 *   HZ=250).
 * TLOB_CAUSE_CURR: @curr ran on @cpu, the task's CPU, at expiry.
 * TLOB_CAUSE_PREEMPTOR: @preemptor last preempted the task in the window.
 * TLOB_CAUSE_WAKER: @waker last woke the task in the window.
 * TLOB_CAUSE_WAKER_IRQ: that wakeup came from interrupt context; @waker is
 *   the task it interrupted.
 */
#define TLOB_CAUSE_KSTACK	(1U << 0)
#define TLOB_CAUSE_USER_IP	(1U << 1)
#define TLOB_CAUSE_USER_ENTRY	(1U << 2)
#define TLOB_CAUSE_CURR		(1U << 3)
#define TLOB_CAUSE_PREEMPTOR	(1U << 4)
#define TLOB_CAUSE_WAKER	(1U << 5)
#define TLOB_CAUSE_WAKER_IRQ	(1U << 6)

/* A task named in a cause. */
struct tlob_task_ref {
	__u32 pid;		/* thread id */
	__u32 tgid;
	char comm[16];
};

/* Why a budget expired, captured when it did. */
struct tlob_cause {
	__u32 valid;		/* TLOB_CAUSE_* */
	__u32 cpu;		/* the task's CPU at expiry */
	__u32 nr_kstack;	/* entries of @kstack */
	__u32 signal;		/* signal queued for the thread, 0: none */
	/* In the window until expiry: */
	__u64 nvcsw;		/* voluntary context switches */
	__u64 nivcsw;		/* involuntary ones (preemptions) */
	__u64 migrations;	/* moves to another CPU */
	__u64 user_ip;
	__u64 user_sp;
	__u64 kstack[TLOB_CAUSE_KSTACK_MAX];
	struct tlob_task_ref curr;
	struct tlob_task_ref preemptor;
	struct tlob_task_ref waker;
};

/*
 * TLOB_EV_CAUSE: @ev has the VIOLATION's fields but its type; @ev.size is
 * sizeof(struct tlob_cause_event).
 */
struct tlob_cause_event {
	struct tlob_event ev;
	struct tlob_cause cause;
};

#define TLOB_IOCTL_TRACE_START		_IOW(TLOB_IOCTL_MAGIC, 0x01, struct tlob_start_args)
#define TLOB_IOCTL_TRACE_STOP		_IO(TLOB_IOCTL_MAGIC, 0x02)
#define TLOB_IOCTL_TRACE_STOP_RESULT	_IOR(TLOB_IOCTL_MAGIC, 0x03, struct tlob_result)
#define TLOB_IOCTL_BIND			_IOWR(TLOB_IOCTL_MAGIC, 0x10, struct tlob_bind_args)
#define TLOB_IOCTL_UNBIND		_IOW(TLOB_IOCTL_MAGIC, 0x11, __u32)
#define TLOB_IOCTL_BINDING_STATS	_IOWR(TLOB_IOCTL_MAGIC, 0x12, struct tlob_binding_stats)
#define TLOB_IOCTL_SUBSCRIBE		_IOW(TLOB_IOCTL_MAGIC, 0x13, __u32)
#define TLOB_IOCTL_BINDING_INFO		_IOWR(TLOB_IOCTL_MAGIC, 0x14, struct tlob_binding_info)
#define TLOB_IOCTL_LIST_BINDINGS	_IOWR(TLOB_IOCTL_MAGIC, 0x15, struct tlob_binding_list)

#endif /* _UAPI_LINUX_TLOB_H */
