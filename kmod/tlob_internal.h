/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlob - task latency over budget: data structures shared by the module's
 * files, their locking rules, and what each file offers the others.
 *
 * Lock order (outer to inner):
 *   tlob_mfile_mutex -> tlob_bind_mutex (a listing read)
 *   tlob_bind_mutex -> tlob_hooks_mutex, tlob_window.lock
 *   tlob_fd.lock -> tlob_window.lock, tlob_hooks_mutex, tlob_charge_mutex
 *   tlob_enable_mutex -> tlob_window.lock
 *   tlob_window.lock -> tlob_ring.lock, tlob_charge.rate_lock,
 *                       tlob_hash_lock
 *   tlob_fd.read_lock -> tlob_ring.lock
 *   tlob_binding.stats_lock, tlob_binding.cg_mutex, tlob_hash_lock,
 *   tlob_pool_lock and tlob_sub_mutex are leaves.
 * tlob_fd.lock and tlob_bind_mutex may be held across grace-period waits
 * (uprobe unregistration); tlob_hooks_mutex across tracepoint changes
 * (the probes, the trace instance's events).
 * Every lock reachable from a tracepoint probe or the hrtimer is a
 * raw_spinlock_t, so the module is correct on PREEMPT_RT too.
 */
#ifndef _TLOB_INTERNAL_H
#define _TLOB_INTERNAL_H

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/rculist_nulls.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "include/uapi/linux/tlob.h"
#include "tlob_clock.h"
#include "tlob_compat.h"

/* Module parameters (tlob_main.c). */
extern unsigned int tlob_max_windows;
extern unsigned int tlob_max_self_windows;
extern unsigned int tlob_max_user_windows;
extern unsigned int tlob_max_bindings;
extern unsigned int tlob_ring_size;
extern unsigned int tlob_self_event_rate;

/* Counters of /sys/kernel/tlob/stats. */
struct tlob_counters {
	atomic64_t windows_started;
	atomic64_t windows_completed;
	atomic64_t violations;
	atomic64_t events_dropped;	/* records that found a ring full */
	atomic64_t events_suppressed;	/* self records withheld (isolation) */
	atomic64_t windows_missed;	/* binding windows not opened: no slot */
	atomic64_t causes;		/* causes captured */
	atomic64_t cause_ns;		/* time spent capturing them */
	atomic64_t signals;		/* signals queued at expiry */
	atomic64_t signals_failed;	/* not sent: the thread was gone */
	atomic64_t windows_accounted;	/* opened not stepped (tlob_acct.c) */
};

extern struct tlob_counters tlob_counters;

/*
 * Open windows (stats: windows_in_use).  Read by the exit and exec
 * probes, so it has a cache line of its own, apart from the counters
 * above that every window's open and close write.
 */
extern atomic_t tlob_windows_in_use;

/*
 * Open windows the scheduler probes step (tlob_acct.c: the others are
 * measured with the scheduler's accounting); the probes do nothing while
 * it is 0.  Its own cache line too.
 */
extern atomic_t tlob_stepped_windows;

struct tlob_fd;
struct tlob_binding;
struct tlob_charge;

/*
 * What a window capturing causes gathers before its expiry (under its
 * lock): the switch counters at START, its last preemptor and waker.
 */
struct tlob_window_cause {
	u32 valid;			/* TLOB_CAUSE_PREEMPTOR, _WAKER... */
	u64 nvcsw;
	u64 nivcsw;
	u64 migrations;
	struct tlob_task_ref preemptor;
	struct tlob_task_ref waker;
};

/*
 * One measurement window, taken from a pool preallocated at load.
 *
 * A window is "live" from tlob_window_open() until whoever clears @live
 * under @lock (stop, task exit or exec, disable, unbind, fd release); that
 * caller then owns its teardown, tlob_window_finish(): cancel the timer,
 * unhash, report, give it back to the pool, where it is free at once.
 *
 * Slots are reused without waiting for an RCU grace period, with the
 * semantics of SLAB_TYPESAFE_BY_RCU: a reader that found a window under
 * RCU (the task hash, the scheduler probes' per-CPU memory) or a timer
 * callback still running may stand on a slot that was closed and opened
 * again, for another task or binding.  The memory stays a window, its
 * lock stays a lock; so every reader takes @lock and re-checks @live and
 * the key it looked for (@task, @binding, @gen) before it uses anything,
 * and a hash walk led into another bucket by a reused node starts again
 * (hlist_nulls).  @gen tells a reused slot from the window a /dev/rv fd
 * opened.
 */
struct tlob_window {
	raw_spinlock_t lock;
	/* Protected by @lock. */
	bool live;
	bool violated;
	unsigned int expiry_state;	/* state when the budget expired */
	unsigned int depth;		/* nested START hits of @binding */
	unsigned long sp;		/* user stack pointer at START */
	u64 deadline;			/* clk.t_start + threshold_ns */
	bool quiet;			/* self: over self_event_rate */
	bool privileged;		/* self: opened with CAP_PERFMON */
	u64 forwarded;			/* subscriber slots given its VIOLATION */
	u64 fwd_seq;			/* latest sub_seq among them */
	struct tlob_clock clk;
	struct tlob_window_cause cause;	/* with @cause_on */
	struct pid *sig_pid;		/* signal queued to @sig_work */
	int sig_num;
	/* Set before the window is hashed, constant while live. */
	u32 gen;
	struct task_struct *task;	/* key; exit and exec close it first */
	pid_t tid;
	pid_t tgid;
	u64 cgroup_id;
	u64 threshold_ns;
	u64 cookie;			/* binding cookie or TRACE_START tag */
	char comm[TASK_COMM_LEN];
	struct tlob_binding *binding;	/* NULL: self-instrumented */
	struct tlob_fd *owner;		/* /dev/rv fd receiving its records */
	struct tlob_charge *charge;	/* self-instrumented: its owner's */
	bool cause_on;			/* capture the cause at expiry */
	bool stepped;			/* by the probes, else tlob_acct.c */
	bool kaddr_ok;			/* its records may show kernel addresses */
	unsigned int signal;		/* sent at expiry, 0: none */
	u64 acct_run;			/* not @stepped: CPU time at START */
	u64 acct_delay;			/* and runqueue wait */

	struct hrtimer timer;		/* HRTIMER_MODE_ABS_HARD, @deadline */
	struct irq_work sig_work;	/* sends @sig_num to @sig_pid */
	struct hlist_nulls_node hnode;	/* tlob_hash; under tlob_hash_lock */
	struct list_head free_node;	/* free list; under tlob_pool_lock */
};

/* What a window measured, at its expiry or when it closed. */
struct tlob_window_result {
	u64 elapsed_ns;
	u64 ns[state_max_tlob];
	u64 timestamp_ns;
	bool violated;
	unsigned int expiry_state;
};

/* tlob_pool.c: the preallocated windows. */
int tlob_pool_init(void);
void tlob_pool_exit(void);
struct tlob_window *tlob_pool_get(void);
void tlob_pool_put(struct tlob_window *w);
struct tlob_window *tlob_pool_slot(unsigned int i);

/* tlob_hash.c: the task hash and the enable switch that gates it. */
extern bool tlob_enabled;
extern struct hlist_nulls_head *tlob_hash;
extern unsigned int tlob_hash_bits;
int tlob_hash_init(void);
void tlob_hash_exit(void);

/* The bucket of @task; its nulls value is its index. */
static inline unsigned int tlob_hash_index(const struct task_struct *task)
{
	return hash_ptr(task, tlob_hash_bits);
}

bool tlob_hash_add(struct tlob_window *w);
void tlob_hash_del(struct tlob_window *w);
bool tlob_set_enabled(bool on);

/* tlob_window.c: a window's life and its automaton. */
struct tlob_window_args {
	struct tlob_binding *binding;
	struct tlob_fd *owner;
	u64 threshold_ns;
	u64 cookie;
	struct tlob_charge *charge;	/* handed to the window if opened */
	bool privileged;		/* CAP_PERFMON: no self_event_rate */
	bool cause;			/* capture the cause at expiry */
	unsigned int signal;		/* sent at expiry, 0: none */
	unsigned long sp;		/* user stack pointer at START */
	u32 gen;		/* out: tlob_window.gen of the new window */
};

struct tlob_window *tlob_window_open(struct tlob_window_args *args);
void tlob_window_sched_switch(struct task_struct *prev,
			      struct task_struct *next, unsigned int event);
void tlob_window_wakeup(struct task_struct *task);
void tlob_window_forget_cpus(void);
void tlob_window_timer_fired(struct tlob_window *w, u64 now);
bool tlob_window_end(struct tlob_window *w, struct tlob_window_result *res);
void tlob_window_finish(struct tlob_window *w,
			const struct tlob_window_result *res, bool may_sleep);
void tlob_window_discard(struct tlob_window *w, bool may_sleep);
void tlob_window_discard_task(struct task_struct *task);
void tlob_close_all(void);
void tlob_close_dying_windows(void);
struct tlob_window *tlob_find_binding_window(struct tlob_binding *b,
					     unsigned long *flags);

/* tlob_acct.c: windows measured with the scheduler's accounting. */
extern bool tlob_sched_accounting;
extern const struct kernel_param_ops tlob_param_acct_ops;
void tlob_acct_init(void);
bool tlob_acct_enabled(void);
void tlob_acct_start(struct tlob_window *w);
void tlob_acct_charge(struct tlob_window *w, u64 upto, u64 now);

/* tlob_cause.c: the cause of a violation, and the signal action. */
DECLARE_PER_CPU(struct task_struct *, tlob_cpu_curr);

/* sched_switch, whether or not a window is open: @next runs here. */
static __always_inline void tlob_cause_switch(struct task_struct *next)
{
	this_cpu_write(tlob_cpu_curr, next);
}

extern atomic_t tlob_cause_windows;
void tlob_cause_forget_cpus(void);
void tlob_cause_waking(struct tlob_window *w);
void tlob_window_waking(struct task_struct *task);
void tlob_cause_start(struct tlob_window *w);
void tlob_cause_step(struct tlob_window *w, unsigned int state,
		     unsigned int next, struct task_struct *other);
void tlob_cause_capture(struct tlob_window *w, struct tlob_cause *c);
void tlob_signal_init(struct tlob_window *w);
void tlob_signal_sync(struct tlob_window *w);
void tlob_signal_queue(struct tlob_window *w);

/* tlob_timer.c: the budget timer of a window. */
void tlob_timer_init(struct tlob_window *w);
void tlob_timer_arm(struct tlob_window *w);
void tlob_timer_cancel(struct tlob_window *w, bool may_sleep);

/* tlob_main.c: the trace instance's events, enabled while hooked. */
void tlob_instance_events(bool on);

/* tlob_hooks.c: the scheduler tracepoints, attached while needed. */
int tlob_hooks_init(void);
int tlob_hooks_get(void);
void tlob_hooks_put(void);
void tlob_hooks_exit(void);

/* Cgroup ids a binding filtered by path remembers (tlob_cgroup.c). */
#define TLOB_CG_YES		2
#define TLOB_CG_NO		6

/*
 * A uprobe binding: START (and STOP) probes on one ELF file.
 * Created and destroyed under tlob_bind_mutex; the uprobe handlers reach it
 * through their consumer, which cannot run after unregistration.
 */
struct tlob_binding {
	u32 id;
	u32 flags;			/* TLOB_BIND_* */
	bool active;			/* opens windows (handlers: READ_ONCE) */
	bool doomed;			/* removal pending (tlob_bind_mutex) */
	bool dying;			/* being removed: its windows close */
	u64 start_offset;
	u64 stop_offset;
	u64 threshold_ns;
	u64 cookie;
	u64 cgroup_id;			/* 0: any task, or see @cgroup_path */
	unsigned int signal;		/* sent at expiry, 0: none */
	struct cgroup *cgroup;		/* by id: reference held */
	char *cgroup_path;		/* by path: "/a.slice/b.service" */
	size_t cg_len;			/* strlen(@cgroup_path) */
	int cg_level;			/* its depth below the root */
	u64 cg_yes[TLOB_CG_YES];	/* ids last found at @cgroup_path */
	u64 cg_no[TLOB_CG_NO];		/* ids last found not at it */
	atomic_t cg_yes_next;		/* slots to replace next */
	atomic_t cg_no_next;
	struct mutex cg_mutex;		/* protects @cg_buf */
	char *cg_buf;			/* @cg_len + 2 bytes */
	struct path path;		/* reference held until destroyed */
	struct inode *inode;		/* d_real_inode() of @path */
	char *pathname;
	struct tlob_fd *owner;		/* NULL: made through sysfs */
	struct list_head owner_node;	/* owner->bindings */
	struct list_head txn_node;	/* a monitor write's added or doomed */
	struct list_head dead_node;	/* a batch being removed */
	struct tlob_uprobe start_probe;
	struct tlob_uprobe stop_probe;	/* unused with TLOB_BIND_STOP_ON_RETURN */
	/* Registered for a moment to install breakpoints (tlob_cgroup.c). */
	struct tlob_uprobe kick_start;
	struct tlob_uprobe kick_stop;

	raw_spinlock_t stats_lock;
	/* Protected by @stats_lock. */
	struct tlob_binding_stats stats;
	u64 missed;			/* windows not opened: pool empty */
	u64 signals;			/* signals queued at expiry */
};

static inline bool tlob_binding_on_return(const struct tlob_binding *b)
{
	return b->flags & TLOB_BIND_STOP_ON_RETURN;
}

static inline bool tlob_binding_has_cgroup(const struct tlob_binding *b)
{
	return b->cgroup || b->cgroup_path;
}

/* tlob_binding.c: the registry of bindings. */
struct tlob_bind_spec {
	const struct path *path;
	u32 flags;			/* TLOB_BIND_* */
	u64 start_offset;
	u64 stop_offset;
	u64 threshold_ns;
	u64 cgroup_id;
	const char *cgroup_path;	/* with TLOB_BIND_CGROUP_PATH */
	u64 cookie;
	unsigned int signal;
	struct tlob_fd *owner;
};

extern struct mutex tlob_bind_mutex;
struct tlob_binding *tlob_binding_create(const struct tlob_bind_spec *spec);
void tlob_binding_free(struct tlob_binding *b);
int tlob_binding_register(struct tlob_binding *b, bool active);
void tlob_binding_destroy(struct tlob_binding *b);
int tlob_binding_add(const struct tlob_bind_spec *spec, u32 *id);
int tlob_binding_remove(u32 id, struct tlob_fd *owner);
int tlob_binding_doom_sysfs(const char *name, const struct path *path,
			    u64 start, bool any_cgroup, u64 cgroup_id,
			    const char *cgroup_path, struct list_head *added,
			    struct list_head *doomed);
void tlob_binding_txn_end(struct list_head *added, struct list_head *doomed,
			  bool commit);
void tlob_binding_remove_owned(struct tlob_fd *owner);
void tlob_binding_remove_all(void);
int tlob_binding_get_stats(struct tlob_binding_stats *st);
int tlob_binding_get_info(struct tlob_binding_info *info,
			  const struct tlob_fd *ctx, char **cgroup_path);
int tlob_binding_list_ids(const struct tlob_fd *ctx, u32 flags, u32 *ids,
			  u32 room, u32 *count);
void tlob_binding_account(struct tlob_binding *b,
			  const struct tlob_window_result *res);
void tlob_binding_missed(struct tlob_binding *b);
void tlob_binding_signalled(struct tlob_binding *b);
unsigned int tlob_binding_count(void);
struct tlob_binding *tlob_binding_next(int *id);
void tlob_bindings_exit(void);

/* tlob_cgroup.c: the cgroup filter of a binding. */
int tlob_cgroup_set_path(struct tlob_binding *b, const char *rel);
bool tlob_binding_match_task(struct tlob_binding *b);
bool tlob_binding_match_mm(struct tlob_binding *b, struct mm_struct *mm);
void tlob_cgroup_binding_added(struct tlob_binding *b);
void tlob_cgroup_binding_removed(struct tlob_binding *b);
void tlob_cgroup_attach(void *data, struct cgroup *dst_cgrp,
			const char *path, struct task_struct *task,
			bool threadgroup);
void tlob_cgroup_exit(void);

/* tlob_uprobe.c: the probes of a binding. */
void tlob_uprobe_init_binding(struct tlob_binding *b);
int tlob_uprobe_arm(struct tlob_binding *b);
void tlob_uprobe_disarm_nosync(struct tlob_binding *b);
void tlob_uprobe_kick(struct tlob_binding *b);

/* tlob_listing.c: the text of /sys/kernel/tlob/monitor. */
char *tlob_listing(size_t *len);

/* tlob_monfile.c: reads and writes of /sys/kernel/tlob/monitor. */
ssize_t tlob_monfile_read(struct file *file, char *buf, loff_t off,
			  size_t count);
ssize_t tlob_monfile_write(struct file *file, const char *buf, loff_t off,
			   size_t count);
void tlob_monfile_exit(void);

/*
 * A ring of event records (tlob_ring.c).  Small and embedded for files
 * that only self-instrument; BIND and SUBSCRIBE give it ring_size records.
 */
#define TLOB_SMALL_RING		4
/* ... and for a file whose windows capture causes (TLOB_START_CAUSE). */
#define TLOB_CAUSE_RING		16

struct tlob_ring {
	raw_spinlock_t lock;
	/* Protected by @lock. */
	struct tlob_event *rec;		/* @small or allocated */
	u32 size;
	u32 self_count;			/* self-instrumented records queued */
	u32 self_reserved;		/* WINDOW_ENDs promised a place */
	u64 head;			/* number of the next record to read */
	u64 tail;			/* number of the next record queued */
	u64 lost;			/* dropped, reported at @lost_seq */
	u64 lost_seq;
	u64 suppressed;			/* withheld, reported at @supp_seq */
	u64 supp_seq;
	struct tlob_event small[TLOB_SMALL_RING];
};

void tlob_ring_init(struct tlob_ring *r);
int tlob_ring_grow(struct tlob_ring *r, u32 size);
void tlob_ring_free(struct tlob_ring *r);
bool tlob_ring_push(struct tlob_ring *r, const struct tlob_event *ev);
bool tlob_ring_push_violation(struct tlob_ring *r, const struct tlob_event *ev,
			      const struct tlob_cause_event *ce);
bool tlob_ring_push_self_violation(struct tlob_ring *r,
				   const struct tlob_event *ev,
				   const struct tlob_cause_event *ce,
				   bool *wake);
bool tlob_ring_push_self_end(struct tlob_ring *r, const struct tlob_event *ev);
void tlob_ring_unreserve(struct tlob_ring *r);
void tlob_ring_reset_reservations(struct tlob_ring *r);
bool tlob_ring_suppress(struct tlob_ring *r);
int tlob_ring_pop(struct tlob_ring *r, struct tlob_event *ev, size_t room);
bool tlob_ring_pending(struct tlob_ring *r);

/*
 * An open /dev/rv file.  @lock serialises its ioctls, poll() and release.
 * The ring is filled from the budget timer, the scheduler probes and the
 * uprobe handlers, and emptied by read().
 */
struct tlob_fd {
	struct mutex lock;		/* ioctls, poll() and release */
	/* Protected by @lock. */
	struct tlob_window *self;	/* self-instrumented window, or NULL */
	u32 self_gen;			/* its tlob_window.gen */
	struct tlob_charge *charge;	/* of the last TRACE_START's owner */
	bool hooks_held;		/* holds a tlob_hooks_get() reference */
	/* Protected by tlob_bind_mutex. */
	struct list_head bindings;
	/* Protected by tlob_sub_mutex; @sub_seq read under RCU. */
	int sub_slot;			/* TLOB_SUB_ALL slot, or -1 */
	u64 sub_seq;			/* order of subscription */
	bool sub_cause;			/* TLOB_SUB_CAUSE (READ_ONCE) */

	struct tlob_ring ring;
	struct mutex read_lock;		/* serialises readers */
	wait_queue_head_t wq;
	struct irq_work wakeup_work;	/* wakes @wq from any context */
};

/* tlob_report.c: where records go, and the subscribers. */
#define TLOB_MAX_SUBSCRIBERS	64

void tlob_report_violation(struct tlob_window *w,
			   const struct tlob_window_result *res,
			   const struct tlob_cause_event *ce);
void tlob_report_end(struct tlob_window *w,
		     const struct tlob_window_result *res);
void tlob_report_discard(struct tlob_window *w);
int tlob_subscribe(struct tlob_fd *ctx, bool cause);
void tlob_unsubscribe(struct tlob_fd *ctx);
void tlob_fill_event(struct tlob_event *ev, const struct tlob_window *w,
		     const struct tlob_window_result *res, u16 type);

/* tlob_charge.c: what self-instrumentation may take, per owner. */
struct tlob_charge *tlob_charge_lookup(struct tlob_charge *cached);
int tlob_charge_take(struct tlob_charge *c);
void tlob_uncharge_self_window(struct tlob_charge *c);
bool tlob_charge_may_forward(struct tlob_charge *c);
unsigned int tlob_self_windows_in_use(void);
void tlob_charges_free(void);

/* tlob_dev.c: /dev/rv. */
int tlob_dev_init(void);
void tlob_dev_exit(void);
void tlob_fd_wake(struct tlob_fd *ctx);

/* tlob_sysfs.c: /sys/kernel/tlob. */
int tlob_sysfs_init(void);
void tlob_sysfs_exit(void);
bool tlob_file_capable(const struct file *file);

#endif /* _TLOB_INTERNAL_H */
