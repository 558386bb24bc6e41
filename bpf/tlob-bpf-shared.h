/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF object (tlob.bpf.c) and its loader (tlob-bpf.c) share: the
 * maps' layouts the loader writes or reads, the counters, the cookie of a
 * probe.  Event records are struct tlob_event of <linux/tlob.h> as they
 * are: the ring buffer carries the UAPI records.
 *
 * The BPF side includes it after vmlinux.h, the loader after
 * <linux/types.h> and <linux/bpf.h> (struct bpf_spin_lock).
 */
#ifndef TLOB_BPF_SHARED_H
#define TLOB_BPF_SHARED_H

/* Windows one task may have open at once (bindings nesting on it). */
#define TLOB_BPF_TASK_WINDOWS	8
/* Probe hits of one breakpoint (or return) handed to the uprobe's exit. */
#define TLOB_BPF_PENDING	16

/*
 * A cgroup path filter: at most TLOB_BPF_CG_DEPTH components, each stored
 * NUL-terminated and zero-padded to a multiple of 8 bytes, in
 * TLOB_BPF_CG_WORDS words (a power of two) in all.
 */
#define TLOB_BPF_CG_DEPTH	32
#define TLOB_BPF_CG_WORDS	128
#define TLOB_BPF_CG_NAME_WORDS	32	/* NAME_MAX + 1 = 256 bytes */

/*
 * The cookie of a probe (bpf_get_attach_cookie()): the binding's id, its
 * slot in the maps, and which probe it is.
 */
#define TLOB_BPF_ROLE_START	0
#define TLOB_BPF_ROLE_STOP	1	/* entry of STOP (entry->entry) */
#define TLOB_BPF_ROLE_RET	2	/* return from START (entry->return) */
#define TLOB_BPF_COOKIE(id, slot, role) \
	(((__u64)(id) << 32) | ((__u64)(slot) << 2) | (role))
#define TLOB_BPF_COOKIE_ID(c)	((__u32)((c) >> 32))
#define TLOB_BPF_COOKIE_SLOT(c)	((__u32)(c) >> 2)
#define TLOB_BPF_COOKIE_ROLE(c)	((__u32)(c) & 3)

/*
 * tlob_bindings[slot]: a binding, written whole by the loader while no
 * probe of it is attached; @id is 0 in a free slot.  Ids are never
 * reused (cyclic over 2^31), so a reader checking @id before and after
 * reading the rest never takes a newer binding in the slot for its own.
 */
struct tlob_bpf_binding {
	__u32 id;
	__u32 flags;			/* TLOB_BIND_* */
	__u64 threshold_ns;
	__u64 cookie;			/* tlob_event.cookie */
	__u64 cgroup_id;		/* filter by id: this cgroup or below */
	__u32 cg_level;			/* by id: its level; by path: components */
	__u32 pad;
	__u64 missed;			/* windows not opened (BPF, atomic) */
	__u16 cg_off[TLOB_BPF_CG_DEPTH];	/* by path: first word of each */
	__u16 cg_len[TLOB_BPF_CG_DEPTH];	/* its length without the NUL */
	__u64 cg_words[TLOB_BPF_CG_WORDS];
};

/*
 * tlob_stats[slot]: the statistics of a binding's completed windows, as
 * struct tlob_binding_stats; updated under @lock, read by the loader with
 * BPF_F_LOCK, reset by it (with BPF_F_LOCK) when the slot gets a binding.
 */
struct tlob_bpf_stats {
	struct bpf_spin_lock lock;
	__u32 id;			/* binding these belong to */
	__u64 windows;
	__u64 violations;
	__u64 max_ns;
	__u64 sum_ns;
	__u64 hist[40];			/* TLOB_HIST_BUCKETS */
};

/* Global counters, in the object's .bss (atomic updates). */
struct tlob_bpf_counters {
	__u64 windows_started;
	__u64 windows_completed;
	__u64 violations;
	__u64 events_dropped;		/* records that found the ring full */
	__u64 windows_missed;		/* no window slot, task list or storage */
	__u64 windows_in_use;
	__u64 lost_pending;		/* dropped, not reported by a LOST yet */
	__u64 probes_dropped;		/* hits beyond TLOB_BPF_PENDING */
	__u64 windows_reaped;		/* closed by unbind */
	__u64 cause_windows;		/* open windows that capture causes */
	__u64 causes;			/* causes captured at expiry */
	__u64 cause_ns;			/* ... and the time that took */
	__u64 stacks;			/* kernel stacks taken at a switch out */
	__u64 stack_ns;			/* ... and the time they took */
};

#endif /* TLOB_BPF_SHARED_H */
