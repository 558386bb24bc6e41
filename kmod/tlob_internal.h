/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlob - task latency over budget: data structures shared by the module's
 * files, and their locking rules.
 *
 * Lock order (outer to inner):
 *   tlob_bind_mutex -> tlob_fd.lock -> tlob_window.lock -> tlob_fd.ring_lock
 *   tlob_bind_mutex, tlob_fd.lock -> tlob_hooks_mutex (tracepoint locks)
 *   tlob_window.lock -> tlob_hash_lock, tlob_binding.stats_lock
 *   tlob_hash_lock and tlob_pool_lock are leaves.
 * Every lock reachable from a tracepoint probe or the hrtimer is a
 * raw_spinlock_t, so the module is correct on PREEMPT_RT too.
 */
#ifndef _TLOB_INTERNAL_H
#define _TLOB_INTERNAL_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include "include/uapi/linux/tlob.h"
#include "tlob_compat.h"
#include "tlob_model.h"

/* Module parameters (tlob_main.c). */
extern unsigned int tlob_max_windows;
extern unsigned int tlob_max_user_windows;
extern unsigned int tlob_max_bindings;
extern unsigned int tlob_ring_size;

/* /sys/kernel/tlob/enable; written under tlob_hash_lock, read lock-free. */
extern bool tlob_enabled;

/* Counters of /sys/kernel/tlob/stats. */
struct tlob_counters {
	atomic64_t windows_started;
	atomic64_t windows_completed;
	atomic64_t violations;
	atomic64_t events_dropped;
	atomic_t windows_in_use;
};

extern struct tlob_counters tlob_counters;

struct tlob_fd;
struct tlob_binding;
struct tlob_uid_charge;

/*
 * One measurement window, taken from a pool preallocated at load.
 *
 * A window is "live" from tlob_window_open() until whoever clears @live
 * under @lock (stop, task exit, disable, unbind, fd release); that caller
 * then owns its teardown: cancel the timer, unhash it, give it back to the
 * pool after an RCU grace period.  Readers find windows in the task hash
 * under RCU and must re-check @live and @task under @lock; @gen tells a
 * reused slot from the window a /dev/rv fd opened.
 */
struct tlob_window {
	raw_spinlock_t lock;
	/* Protected by @lock. */
	bool live;
	bool violated;
	unsigned int expiry_state;	/* state when the budget expired */
	unsigned int depth;		/* nested START hits of @binding */
	struct tlob_clock clk;
	/* Set before the window is hashed, constant while live. */
	u32 gen;
	struct task_struct *task;	/* key; the exit hook closes it first */
	pid_t tid;
	pid_t tgid;
	u64 cgroup_id;
	u64 threshold_ns;
	u64 cookie;			/* binding cookie or TRACE_START tag */
	char comm[TASK_COMM_LEN];
	struct tlob_binding *binding;	/* NULL: self-instrumented */
	struct tlob_fd *owner;		/* /dev/rv fd receiving its records */
	struct tlob_uid_charge *charge;	/* max_user_windows, or NULL */

	struct hrtimer timer;		/* HRTIMER_MODE_REL_HARD */
	struct hlist_node hnode;	/* tlob_hash; under tlob_hash_lock */
	struct list_head free_node;	/* pool free list; tlob_pool_lock */
	struct rcu_head rcu;
};

/* What a window measured, captured when it closed. */
struct tlob_window_result {
	u64 elapsed_ns;
	u64 ns[state_max_tlob];
	u64 timestamp_ns;
	bool violated;
	unsigned int expiry_state;
};

/* tlob_pool.c: the window pool and the task hash. */
int tlob_pool_init(void);
void tlob_pool_exit(void);
struct tlob_window *tlob_pool_get(bool may_sleep);
void tlob_pool_put(struct tlob_window *w);
struct tlob_window *tlob_pool_slot(unsigned int i);
struct hlist_head *tlob_hash_bucket(const struct task_struct *task);
bool tlob_hash_add(struct tlob_window *w);
void tlob_hash_del(struct tlob_window *w);
bool tlob_set_enabled(bool on);

/* tlob_monitor.c: the automaton, time accounting, timer and hooks. */
struct tlob_window_args {
	struct tlob_binding *binding;
	struct tlob_fd *owner;
	u64 threshold_ns;
	u64 cookie;
	struct tlob_uid_charge *charge;	/* handed to the window if opened */
	u32 gen;		/* out: tlob_window.gen of the new window */
};

struct tlob_window *tlob_window_open(struct tlob_window_args *args,
				     bool may_sleep);
bool tlob_window_end(struct tlob_window *w, struct tlob_window_result *res);
void tlob_window_finish(struct tlob_window *w,
			const struct tlob_window_result *res, bool may_sleep);
void tlob_window_discard(struct tlob_window *w, bool may_sleep);
void tlob_close_all(void);
void tlob_close_binding_windows(struct tlob_binding *b);
struct tlob_window *tlob_find_binding_window(struct tlob_binding *b,
					     unsigned long *flags);
void tlob_fill_event(struct tlob_event *ev, const struct tlob_window *w,
		     const struct tlob_window_result *res, u16 type);
void tlob_monitor_init_window(struct tlob_window *w);
int tlob_hooks_init(void);
int tlob_hooks_get(void);
void tlob_hooks_put(void);
void tlob_hooks_exit(void);

/*
 * A uprobe binding: START (and STOP) probes on one ELF file.
 * Created and destroyed under tlob_bind_mutex; the uprobe handlers reach it
 * through their consumer, which cannot run after unregistration.
 */
struct tlob_binding {
	u32 id;
	bool on_return;			/* STOP is the return of START */
	u64 start_offset;
	u64 stop_offset;
	u64 threshold_ns;
	u64 cookie;
	u64 cgroup_id;			/* 0: any task */
	struct cgroup *cgroup;		/* reference held, NULL: any task */
	struct path path;		/* reference held until destroyed */
	struct inode *inode;		/* d_real_inode() of @path */
	char *pathname;
	struct tlob_fd *owner;		/* NULL: made through sysfs */
	struct list_head owner_node;	/* owner->bindings */
	struct tlob_uprobe start_probe;
	struct tlob_uprobe stop_probe;	/* unused if @on_return */

	raw_spinlock_t stats_lock;
	/* Protected by @stats_lock. */
	struct tlob_binding_stats stats;
};

/* tlob_uprobe.c: binding registry and uprobe handlers. */
struct tlob_bind_spec {
	const struct path *path;
	bool on_return;
	u64 start_offset;
	u64 stop_offset;
	u64 threshold_ns;
	u64 cgroup_id;
	u64 cookie;
	struct tlob_fd *owner;
};

int tlob_binding_add(const struct tlob_bind_spec *spec, u32 *id);
int tlob_binding_remove(u32 id, struct tlob_fd *owner);
int tlob_binding_remove_sysfs(const char *name, const struct path *path,
			      u64 start, u64 cgroup_id, bool any_cgroup);
void tlob_binding_remove_owned(struct tlob_fd *owner);
void tlob_binding_remove_all(void);
int tlob_binding_get_stats(struct tlob_binding_stats *st);
void tlob_binding_account(struct tlob_binding *b,
			  const struct tlob_window_result *res);
unsigned int tlob_binding_count(void);
char *tlob_binding_list(size_t *len);
void tlob_bindings_exit(void);

/*
 * An open /dev/rv file.  @lock serialises its ioctls and release.  The ring
 * is filled from the hrtimer and the uprobe handlers and emptied by read().
 */
struct tlob_fd {
	/* Serialises the ioctls, poll() and release of this file. */
	struct mutex lock;
	/* Protected by @lock. */
	struct tlob_window *self;	/* self-instrumented window, or NULL */
	u32 self_gen;			/* its tlob_window.gen */
	bool hooks_held;		/* holds a tlob_hooks_get() reference */
	/* Protected by tlob_bind_mutex. */
	struct list_head bindings;
	/* Protected by tlob_sub_mutex; RCU readers. */
	struct list_head sub_node;
	bool subscribed;

	raw_spinlock_t ring_lock;
	/* Protected by @ring_lock. */
	struct tlob_event *ring;	/* NULL until first needed */
	u32 ring_size;
	u32 ring_head;
	u32 ring_count;
	u64 ring_lost;

	/* Serialises readers. */
	struct mutex read_lock;
	wait_queue_head_t wq;
	struct irq_work wakeup_work;	/* wakes @wq from any context */
};

/* tlob_dev.c: /dev/rv. */
int tlob_dev_init(void);
void tlob_dev_exit(void);
void tlob_report(struct tlob_fd *owner, const struct tlob_event *ev);
void tlob_uid_uncharge(struct tlob_uid_charge *c);
void tlob_uid_charges_free(void);

/* tlob_sysfs.c: /sys/kernel/tlob. */
int tlob_sysfs_init(void);
void tlob_sysfs_exit(void);

#endif /* _TLOB_INTERNAL_H */
