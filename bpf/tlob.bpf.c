// SPDX-License-Identifier: GPL-2.0
/*
 * tlob's monitor as one BPF object: the same windows, automaton, deadline
 * rule, statistics and records as tlob.ko (docs/kmod.md), for kernels
 * that do not load the module.  Loaded by tlob-bpf.c.
 *
 * Where things happen:
 * - tlob_probe (uprobe, attached by the loader per binding with a cookie
 *   naming the binding and the probe): the START filter (cgroup), then the
 *   hit, its time and user stack pointer, go into the task's storage.
 *   Uprobe programs may use neither bpf_timer nor bpf_spin_lock, so...
 * - tlob_uprobe_done (fexit of uprobe_notify_resume(), and of
 *   uprobe_handle_trampoline() where returns are a system call) runs in
 *   the same task right after the probe handlers and does the work: open
 *   a window (or nest), close one (deadline rule, statistics, records).
 * - tp_btf sched_switch / sched_wakeup(_new) step the automaton of the
 *   task's windows; sched_process_exit / sched_process_exec end them
 *   without a report.
 * - A bpf_timer per window, armed at the deadline: the VIOLATION is
 *   queued when the budget expires, while the section still runs.
 * - tlob_reap (fentry of bpf_fentry_test1(), run by the loader through
 *   BPF_PROG_TEST_RUN): closes the windows of a binding being removed.
 *
 * Windows live in an array map with a bpf_spin_lock and a bpf_timer each
 * (timers may only live in array and hash maps); free ones in a queue
 * map, so nothing is allocated once a task has its storage.  A window's
 * slot is never freed, only reused: whoever found it through a task's list
 * re-checks its generation, task and liveness under its lock.
 *
 * Records are struct tlob_event of <linux/tlob.h> in a BPF ring buffer.
 * Order: whoever may expire a window (timer, scheduler event) reserves
 * its record before taking the lock; whoever closes one reserves after
 * dropping it.  So a window's VIOLATION always precedes its WINDOW_END.
 * Records that find the ring full are counted, and reported by one
 * TLOB_EV_LOST record before the next record that fits (or by the loader
 * when it has emptied the ring).
 *
 * Causes (TLOB_BIND_CAUSE, docs/bpf.md "Cause at expiry"): a window of
 * such a binding keeps its task's switch counters at START, the last task
 * that preempted it (sched_switch), woke it (tp_btf sched_waking, in the
 * waker's context) and its kernel stack at its last switch out
 * (bpf_get_stack() in sched_switch, where the task is still current: a
 * task off its CPU keeps that stack until it runs again).  Whoever
 * expires it fills a TLOB_EV_CAUSE right behind the VIOLATION in one ring
 * record, which the loader hands out as the two records; what the task is
 * doing at that moment (its CPU, the task running there, its user
 * registers) is read after the lock through the task pointer kept at
 * START.
 *
 * Kernel 6.1 quirk: in callbacks (timer, for_each) the value argument
 * cannot be locked (the verifier loses the lock); the callbacks look the
 * value up again by its key and lock that.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* <linux/tlob.h> includes userspace headers whose types vmlinux.h has. */
#define _LINUX_TYPES_H
#define _LINUX_IOCTL_H
#include <linux/tlob.h>

#include "tlob-bpf-shared.h"
#include "tlob-bpf-window.h"

char LICENSE[] SEC("license") = "GPL";

/* No <linux/compiler.h> here, and clang 14 has no BPF atomic loads. */
#define READ_ONCE(x)		(*(volatile typeof(x) *)&(x))
#define TLOB_CLOCK_MONOTONIC	1
#define TLOB_TASK_RUNNING	0
/* preempt_count() bits of NMI, hard and soft interrupt context. */
#define TLOB_IRQ_MASK		0x00ff0100

/* Kernel stack frames taken at a switch out; those before __schedule go. */
#define TLOB_BPF_RAW_STACK	32

/* The scheduler's text: the first frame in it is __schedule(). */
extern const void __sched_text_start __ksym __weak;
extern const void __sched_text_end __ksym __weak;
/* The run queues: who runs on a CPU. */
extern const struct rq runqueues __ksym __weak;
/* preempt_count(): a per-CPU int up to 6.1, a field of pcpu_hot 6.2-6.14. */
extern const int __preempt_count __ksym __weak;
struct pcpu_hot___tlob {
	int preempt_count;
} __attribute__((preserve_access_index));
extern const struct pcpu_hot___tlob pcpu_hot __ksym __weak;

/* Set by the loader once loaded: the process allowed to reap. */
__u32 tlob_loader_tgid;

/* Counters (struct tlob_bpf_counters), read by the loader. */
struct tlob_bpf_counters tlob_counters;
/* The binding tlob_reap closes the windows of, set by the loader. */
__u32 tlob_reap_id;

struct tlob_bpf_window {
	struct bpf_spin_lock lock;
	__u32 gen;			/* bumped at each open, under @lock */
	struct bpf_timer timer;		/* armed at the deadline */
	/* Under @lock. */
	__u32 live;
	__u32 depth;			/* nested START hits (entry->entry) */
	__u64 sp;			/* user stack pointer at START */
	struct tlob_bpf_clock clk;
	/* Set at open under @lock, constant while live. */
	__u32 tid;
	__u32 tgid;
	__u32 binding_id;
	__u32 binding_slot;
	__u64 threshold_ns;
	__u64 cookie;
	__u64 cgroup_id;
	char comm[16];
	/* The cause (TLOB_BIND_CAUSE): set at open, constant while live. */
	__u32 cause;
	__u32 c_valid;			/* under @lock: TLOB_CAUSE_PREEMPTOR, _WAKER, _WAKER_IRQ */
	__u64 c_task;			/* its task_struct */
	__u64 c_regs;			/* its user registers, task_pt_regs() */
	__u64 c_nvcsw;			/* switch counters at START */
	__u64 c_nivcsw;
	__u64 c_migrations;
	/* Under @lock. */
	__u32 c_nr_kstack;		/* of its last switch out in the window */
	__u32 c_pad;
	__u64 c_kstack[TLOB_CAUSE_KSTACK_MAX];
	struct tlob_task_ref c_preemptor;
	struct tlob_task_ref c_waker;
};

/* A task's windows (slot and generation; 0: none) and pending hits. */
struct tlob_bpf_task_win {
	__u32 idx;
	__u32 gen;
};

struct tlob_bpf_pending {
	__u64 cookie;
	__u64 time;
	__u64 sp;
};

struct tlob_bpf_task {
	struct tlob_bpf_task_win win[TLOB_BPF_TASK_WINDOWS];
	__u32 npending;
	__u32 pad;
	struct tlob_bpf_pending pending[TLOB_BPF_PENDING];
};

/* What a closed or expired window reports, copied under its lock. */
struct tlob_bpf_snap {
	__u32 tid;
	__u32 tgid;
	__u32 binding_id;
	__u32 binding_slot;
	__u64 threshold_ns;
	__u64 cookie;
	__u64 cgroup_id;
	char comm[16];
	__u32 violated;
	__u32 expiry_state;
	__u64 deadline;
	__u64 elapsed;
	__u64 t_end;
	__u64 exp_ns[TLOB_BPF_NR_STATES];
	__u64 ns[TLOB_BPF_NR_STATES];
	__u64 task;			/* the cause's task_struct and registers */
	__u64 regs;
};

/*
 * A VIOLATION and its TLOB_EV_CAUSE, reserved as one ring record so that
 * nothing comes between them; the loader splits it.
 */
struct tlob_bpf_expiry {
	struct tlob_event ev;
	struct tlob_cause_event ce;
};

/*
 * The records an expiry may fill: one of them, or none (a full ring).
 * Which one is in @kind: 6.1's verifier cannot test a reserved record
 * for NULL a second time (it would take the NULL branch with the record
 * still held), so each is tested once, when reserved.
 */
#define TLOB_BPF_RECS_NONE	0
#define TLOB_BPF_RECS_EV	1
#define TLOB_BPF_RECS_REC	2

struct tlob_bpf_expiry_recs {
	struct tlob_event *ev;		/* the VIOLATION alone */
	struct tlob_bpf_expiry *rec;	/* with its cause */
	__u64 kind;			/* TLOB_BPF_RECS_* */
};

/* The kernel stack of the task switching out, trimmed to __schedule(). */
struct tlob_bpf_stack {
	__u64 raw[TLOB_BPF_RAW_STACK];
	__u64 ips[TLOB_CAUSE_KSTACK_MAX];
	__u32 nr;
	__u32 first;			/* index in @raw of __schedule() */
};

/* Sizes are set by the loader before loading. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tlob_bpf_window);
} tlob_windows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1);
	__type(value, __u32);
} tlob_free_windows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tlob_bpf_binding);
} tlob_bindings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tlob_bpf_stats);
} tlob_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tlob_bpf_task);
} tlob_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tlob_bpf_stack);
} tlob_stack_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} tlob_events SEC(".maps");

/* --- records ------------------------------------------------------------- */

static __always_inline void tlob_count_lost(void)
{
	__sync_fetch_and_add(&tlob_counters.events_dropped, 1);
	__sync_fetch_and_add(&tlob_counters.lost_pending, 1);
}

/* Report the records dropped since the last LOST, if one fits now. */
static __noinline int tlob_flush_lost(void)
{
	struct tlob_event *ev;
	__u64 n;

	if (!READ_ONCE(tlob_counters.lost_pending))
		return 0;
	ev = bpf_ringbuf_reserve(&tlob_events, sizeof(*ev), 0);
	if (!ev)
		return 0;
	n = __sync_lock_test_and_set(&tlob_counters.lost_pending, 0);
	if (!n) {
		bpf_ringbuf_discard(ev, 0);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = TLOB_EV_LOST;
	ev->lost = n;
	ev->timestamp_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

static __always_inline struct tlob_event *tlob_reserve(void)
{
	tlob_flush_lost();
	return bpf_ringbuf_reserve(&tlob_events, sizeof(struct tlob_event), 0);
}

/* Copy what @w reports; @w->lock held. */
static __always_inline void tlob_snap(struct tlob_bpf_snap *s,
				      const struct tlob_bpf_window *w)
{
	__u32 i;

	s->tid = w->tid;
	s->tgid = w->tgid;
	s->binding_id = w->binding_id;
	s->binding_slot = w->binding_slot;
	s->threshold_ns = w->threshold_ns;
	s->cookie = w->cookie;
	s->cgroup_id = w->cgroup_id;
	__builtin_memcpy(s->comm, w->comm, sizeof(s->comm));
	s->violated = w->clk.violated;
	s->expiry_state = w->clk.expiry_state;
	s->deadline = w->clk.deadline;
	s->elapsed = tlob_bpf_clock_elapsed(&w->clk);
	s->t_end = w->clk.t_last;
	for (i = 0; i < TLOB_BPF_NR_STATES; i++) {
		s->exp_ns[i] = w->clk.exp_ns[i];
		s->ns[i] = w->clk.ns[i];
	}
	s->task = w->cause ? w->c_task : 0;
	s->regs = w->c_regs;
}

/*
 * Fill @ev from @s: a VIOLATION with the figures at the deadline (elapsed
 * is the budget, the breakdown sums to it, stamped at the deadline), or a
 * WINDOW_END with the final ones, stamped @now.
 */
static __always_inline void tlob_fill(struct tlob_event *ev,
				      const struct tlob_bpf_snap *s,
				      __u16 type, __u64 now)
{
	int violation = type == TLOB_EV_VIOLATION;

	__builtin_memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = type;
	ev->state = s->expiry_state;
	ev->tgid = s->tgid;
	ev->tid = s->tid;
	ev->binding_id = s->binding_id;
	ev->cookie = s->cookie;
	ev->cgroup_id = s->cgroup_id;
	ev->threshold_ns = s->threshold_ns;
	if (violation) {
		ev->elapsed_ns = s->threshold_ns;
		ev->running_ns = s->exp_ns[TLOB_BPF_RUNNING];
		ev->waiting_ns = s->exp_ns[TLOB_BPF_WAITING];
		ev->sleeping_ns = s->exp_ns[TLOB_BPF_SLEEPING];
		ev->timestamp_ns = s->deadline;
	} else {
		ev->elapsed_ns = s->elapsed;
		ev->running_ns = s->ns[TLOB_BPF_RUNNING];
		ev->waiting_ns = s->ns[TLOB_BPF_WAITING];
		ev->sleeping_ns = s->ns[TLOB_BPF_SLEEPING];
		ev->timestamp_ns = now;
	}
	__builtin_memcpy(ev->comm, s->comm, sizeof(ev->comm));
}

/*
 * Before taking the lock of a window that may expire: room for its
 * VIOLATION, and for its cause too if it captures one (@cause, read
 * without the lock; tlob_report_expiry() copes with a stale one).
 */
static __always_inline void tlob_reserve_expiry(struct tlob_bpf_expiry_recs *r,
						int cause)
{
	struct tlob_bpf_expiry *rec;
	struct tlob_event *ev;

	tlob_flush_lost();
	r->kind = TLOB_BPF_RECS_NONE;
	if (cause) {
		rec = bpf_ringbuf_reserve(&tlob_events,
					  sizeof(struct tlob_bpf_expiry), 0);
		if (rec) {
			r->rec = rec;
			r->kind = TLOB_BPF_RECS_REC;
			return;
		}
	}
	ev = bpf_ringbuf_reserve(&tlob_events, sizeof(struct tlob_event), 0);
	if (ev) {
		r->ev = ev;
		r->kind = TLOB_BPF_RECS_EV;
	}
}

/* Give back what tlob_reserve_expiry() reserved: nothing expired. */
static __always_inline void tlob_unreserve_expiry(struct tlob_bpf_expiry_recs *r)
{
	if (r->kind == TLOB_BPF_RECS_REC)
		bpf_ringbuf_discard(r->rec, 0);
	else if (r->kind == TLOB_BPF_RECS_EV)
		bpf_ringbuf_discard(r->ev, 0);
}

/*
 * What the window keeps for its cause, into the record; @w->lock held,
 * @w just expired.  The counters at START go into the deltas' places.
 */
static __always_inline void tlob_cause_locked(struct tlob_cause *c,
					      const struct tlob_bpf_window *w)
{
	__u32 i;

	__builtin_memset(c, 0, sizeof(*c));
	c->valid = w->c_valid;
	c->nvcsw = w->c_nvcsw;
	c->nivcsw = w->c_nivcsw;
	c->migrations = w->c_migrations;
	__builtin_memcpy(&c->preemptor, &w->c_preemptor, sizeof(c->preemptor));
	__builtin_memcpy(&c->waker, &w->c_waker, sizeof(c->waker));
	/* Off its CPU, the task is where it switched out last. */
	if (w->clk.expiry_state != TLOB_BPF_RUNNING && w->c_nr_kstack) {
		c->nr_kstack = w->c_nr_kstack;
		for (i = 0; i < TLOB_CAUSE_KSTACK_MAX; i++)
			c->kstack[i] = w->c_kstack[i];
		c->valid |= TLOB_CAUSE_KSTACK;
	}
}

/* The task @ref names is @t (a BTF pointer, CO-RE reads). */
static __always_inline void tlob_ref_task(struct tlob_task_ref *ref,
					  struct task_struct *t)
{
	ref->pid = BPF_CORE_READ(t, pid);
	ref->tgid = BPF_CORE_READ(t, tgid);
	bpf_core_read(ref->comm, sizeof(ref->comm), &t->comm);
	ref->comm[sizeof(ref->comm) - 1] = '\0';
}

/*
 * The rest of the cause, read now, after the lock: the task's CPU and
 * switch counters, its user registers, the task running on its CPU.
 * @from_timer: the budget timer expired it, in the softirq of the
 * interrupt that stopped whatever ran on this CPU.
 */
static __noinline int tlob_cause_finish(struct tlob_bpf_expiry *rec,
					const struct tlob_bpf_snap *s,
					int from_timer)
{
	struct task_struct *task = (struct task_struct *)s->task;
	struct pt_regs *regs = (struct pt_regs *)s->regs;
	struct tlob_cause *c = &rec->ce.cause;
	struct task_struct *curr;
	__u64 t0 = bpf_ktime_get_ns();
	__s64 orig_ax;
	struct rq *rq;
	__u32 cpu;

	__builtin_memcpy(&rec->ce.ev, &rec->ev, sizeof(rec->ce.ev));
	rec->ce.ev.type = TLOB_EV_CAUSE;
	rec->ce.ev.size = sizeof(rec->ce);

	cpu = BPF_CORE_READ(task, thread_info.cpu);
	c->cpu = cpu;
	c->nvcsw = BPF_CORE_READ(task, nvcsw) - c->nvcsw;
	c->nivcsw = BPF_CORE_READ(task, nivcsw) - c->nivcsw;
	c->migrations = BPF_CORE_READ(task, se.nr_migrations) - c->migrations;

	/*
	 * Its registers at its last entry into the kernel; exact where it
	 * was interrupted in user space if that entry is the interrupt this
	 * timer softirq runs on the exit of (no error code: orig_ax -1; a
	 * system call's is its number).
	 */
	if (regs) {
		c->user_ip = BPF_CORE_READ(regs, ip);
		c->user_sp = BPF_CORE_READ(regs, sp);
		orig_ax = (__s64)BPF_CORE_READ(regs, orig_ax);
		if (from_timer && s->expiry_state == TLOB_BPF_RUNNING &&
		    (__u32)bpf_get_current_pid_tgid() == s->tid && orig_ax < 0)
			c->valid |= TLOB_CAUSE_USER_IP;
		else
			c->valid |= TLOB_CAUSE_USER_ENTRY;
	}

	if (s->expiry_state != TLOB_BPF_RUNNING) {
		rq = &runqueues ? bpf_per_cpu_ptr(&runqueues, cpu) : NULL;
		curr = rq ? rq->curr : NULL;
		if (curr && BPF_CORE_READ(curr, pid) != s->tid) {
			tlob_ref_task(&c->curr, curr);
			c->valid |= TLOB_CAUSE_CURR;
		}
	}
	__sync_fetch_and_add(&tlob_counters.causes, 1);
	__sync_fetch_and_add(&tlob_counters.cause_ns, bpf_ktime_get_ns() - t0);
	return 0;
}

/* A record reserved now, after the window's lock was dropped. */
static __noinline int tlob_emit(const struct tlob_bpf_snap *s, __u16 type,
				__u64 now)
{
	struct tlob_event *ev = tlob_reserve();

	if (!ev) {
		tlob_count_lost();
		return 0;
	}
	tlob_fill(ev, s, type, now);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/*
 * The window of @s expired by this caller (@expired), whose records @r
 * were reserved before taking the lock; @cause: it captures causes (the
 * part kept under the lock is in @r->rec already).  A CAUSE that found no
 * room is counted lost, as a VIOLATION that found none.
 */
static __always_inline void tlob_report_expiry(struct tlob_bpf_expiry_recs *r,
					       int expired, int cause,
					       const struct tlob_bpf_snap *s,
					       int from_timer)
{
	if (!expired) {
		tlob_unreserve_expiry(r);
		return;
	}
	__sync_fetch_and_add(&tlob_counters.violations, 1);
	if (r->kind == TLOB_BPF_RECS_REC) {
		if (cause) {
			tlob_fill(&r->rec->ev, s, TLOB_EV_VIOLATION, 0);
			tlob_cause_finish(r->rec, s, from_timer);
			bpf_ringbuf_submit(r->rec, 0);
			return;
		}
		/* The slot was reused meanwhile, without causes. */
		bpf_ringbuf_discard(r->rec, 0);
		tlob_emit(s, TLOB_EV_VIOLATION, 0);
		return;
	}
	if (r->kind != TLOB_BPF_RECS_EV) {
		tlob_count_lost();
		return;
	}
	tlob_fill(r->ev, s, TLOB_EV_VIOLATION, 0);
	bpf_ringbuf_submit(r->ev, 0);
	if (cause)
		tlob_count_lost();
}

/* --- windows ------------------------------------------------------------- */

/*
 * The budget timer of window @key fired: expire it at its deadline if it
 * is still open and within budget.
 */
static int tlob_timer_fired(void *map, __u32 *key,
			    struct tlob_bpf_window *unused)
{
	struct tlob_bpf_expiry_recs r;
	struct tlob_bpf_snap s = {};
	struct tlob_bpf_window *w;
	__u64 now, rearm = 0;
	__u32 idx = *key;
	int expired = 0, cause = 0;

	w = bpf_map_lookup_elem(&tlob_windows, &idx);
	if (!w)
		return 0;
	tlob_reserve_expiry(&r, READ_ONCE(w->cause));
	now = bpf_ktime_get_ns();
	bpf_spin_lock(&w->lock);
	if (w->live && !w->clk.violated) {
		expired = tlob_bpf_clock_check_deadline(&w->clk, now);
		if (expired) {
			tlob_snap(&s, w);
			cause = w->cause;
			if (cause && r.kind == TLOB_BPF_RECS_REC)
				tlob_cause_locked(&r.rec->ce.cause, w);
		} else if (now < w->clk.deadline) {
			rearm = w->clk.deadline - now;	/* never seen */
		}
	}
	bpf_spin_unlock(&w->lock);
	tlob_report_expiry(&r, expired, cause, &s, 1);
	if (rearm)
		bpf_timer_start(&w->timer, rearm, 0);
	return 0;
}

/* Back to the pool: the closer owns @w, whose lock is not held. */
static __noinline int tlob_release(struct tlob_bpf_window *w, __u32 idx)
{
	if (!w)
		return 0;
	bpf_timer_cancel(&w->timer);
	if (READ_ONCE(w->cause))
		__sync_fetch_and_sub(&tlob_counters.cause_windows, 1);
	__sync_fetch_and_sub(&tlob_counters.windows_in_use, 1);
	bpf_map_push_elem(&tlob_free_windows, &idx, 0);
	return 0;
}

/*
 * A scheduler event for the windows of one task (@win, copied from its
 * storage): what it is, and for windows that capture causes the task
 * switched in when it is a preemption (@other) and the stack the task
 * switched out with (@stack).
 */
struct tlob_bpf_step {
	__u32 tid;
	__u32 event;
	__u64 now;
	__u32 has_other;
	__u32 pad;
	struct tlob_task_ref other;
	struct tlob_bpf_stack *stack;
	struct tlob_bpf_task_win win[TLOB_BPF_TASK_WINDOWS];
};

/* The cause's part of @st in @w, whose state was @before; @w->lock held. */
static __always_inline void tlob_cause_step(struct tlob_bpf_window *w,
					    const struct tlob_bpf_step *st,
					    __u32 before)
{
	struct tlob_bpf_stack *stack = st->stack;
	__u32 i;

	if (st->event == TLOB_BPF_EV_PREEMPT || st->event == TLOB_BPF_EV_SLEEP) {
		w->c_nr_kstack = 0;
		if (stack) {
			for (i = 0; i < TLOB_CAUSE_KSTACK_MAX; i++)
				w->c_kstack[i] = stack->ips[i];
			w->c_nr_kstack = stack->nr;
		}
	}
	if (st->has_other && before == TLOB_BPF_RUNNING &&
	    w->clk.state == TLOB_BPF_WAITING) {
		__builtin_memcpy(&w->c_preemptor, &st->other, sizeof(w->c_preemptor));
		w->c_valid |= TLOB_CAUSE_PREEMPTOR;
	}
}

/* Apply @st to window @idx if it is still (@gen, tid)'s. */
static __noinline int tlob_window_event(const struct tlob_bpf_step *st,
					__u32 idx, __u32 gen)
{
	struct tlob_bpf_expiry_recs r = {};
	struct tlob_bpf_snap s = {};
	struct tlob_bpf_window *w;
	int expired = 0, cause = 0;
	__u32 before;

	w = bpf_map_lookup_elem(&tlob_windows, &idx);
	if (!w)
		return 0;
	/* Records are reserved only if this event may expire the window. */
	if (!READ_ONCE(w->clk.violated) && st->now >= READ_ONCE(w->clk.deadline))
		tlob_reserve_expiry(&r, READ_ONCE(w->cause));
	bpf_spin_lock(&w->lock);
	if (w->live && w->gen == gen && w->tid == st->tid) {
		before = w->clk.state;
		expired = tlob_bpf_clock_step(&w->clk, st->event, st->now);
		/* As in the module: captured at expiry, before this event. */
		if (expired) {
			tlob_snap(&s, w);
			cause = w->cause;
			if (cause && r.kind == TLOB_BPF_RECS_REC)
				tlob_cause_locked(&r.rec->ce.cause, w);
		}
		if (w->cause)
			tlob_cause_step(w, st, before);
	}
	bpf_spin_unlock(&w->lock);
	tlob_report_expiry(&r, expired, cause, &s, 0);
	return 0;
}

/* Window @i of a step (a bpf_loop() callback: verified once, not 8 times). */
static long tlob_step_one(__u32 i, struct tlob_bpf_step *st)
{
	if (i >= TLOB_BPF_TASK_WINDOWS)
		return 1;
	if (st->win[i].gen)
		tlob_window_event(st, st->win[i].idx, st->win[i].gen);
	return 0;
}

/*
 * A scheduler event of @p: step every window of @p.  @other: the task
 * switched in when @p is preempted; @stack: @p's stack as it switches out.
 */
static __always_inline void tlob_task_event(struct task_struct *p, __u32 event,
					    struct task_struct *other,
					    struct tlob_bpf_stack *stack)
{
	struct tlob_bpf_step st = {};
	struct tlob_bpf_task *t;
	int i, any = 0;

	if (!READ_ONCE(tlob_counters.windows_in_use))
		return;
	t = bpf_task_storage_get(&tlob_tasks, p, 0, 0);
	if (!t)
		return;
	for (i = 0; i < TLOB_BPF_TASK_WINDOWS; i++) {
		st.win[i] = t->win[i];
		any |= st.win[i].gen;
	}
	if (!any)
		return;
	st.tid = BPF_CORE_READ(p, pid);
	st.event = event;
	st.now = bpf_ktime_get_ns();
	st.stack = stack;
	if (other && READ_ONCE(tlob_counters.cause_windows)) {
		tlob_ref_task(&st.other, other);
		st.has_other = 1;
	}
	bpf_loop(TLOB_BPF_TASK_WINDOWS, tlob_step_one, &st, 0);
}

/* The waker @ref (@irq: from an interrupt) of a sleeping window's task. */
static __noinline int tlob_window_waking(__u32 idx, __u32 gen, __u32 tid,
					 const struct tlob_task_ref *ref,
					 __u32 irq)
{
	struct tlob_bpf_window *w;

	w = bpf_map_lookup_elem(&tlob_windows, &idx);
	if (!w || !READ_ONCE(w->cause))
		return 0;
	bpf_spin_lock(&w->lock);
	if (w->live && w->gen == gen && w->tid == tid && w->cause &&
	    w->clk.state == TLOB_BPF_SLEEPING) {
		__builtin_memcpy(&w->c_waker, ref, sizeof(w->c_waker));
		w->c_valid |= TLOB_CAUSE_WAKER;
		if (irq)
			w->c_valid |= TLOB_CAUSE_WAKER_IRQ;
		else
			w->c_valid &= ~TLOB_CAUSE_WAKER_IRQ;
	}
	bpf_spin_unlock(&w->lock);
	return 0;
}

/* preempt_count() of this CPU, where the kernel says where it is. */
static __always_inline __u32 tlob_preempt_count(void)
{
	const int *pc;

	if (&__preempt_count) {
		pc = bpf_this_cpu_ptr(&__preempt_count);
		return *pc;
	}
	if (&pcpu_hot) {
		const struct pcpu_hot___tlob *hot = bpf_this_cpu_ptr(&pcpu_hot);

		return BPF_CORE_READ(hot, preempt_count);
	}
	return 0;
}

/*
 * The kernel stack of current, which is switching out: innermost first,
 * from __schedule() on (the frames above it are this program and the
 * tracepoint), at most TLOB_CAUSE_KSTACK_MAX of them.  NULL if it could
 * not be had.  bpf_get_stack() zeroes what it did not fill, so the loops
 * need not know how many frames there are; indices go through the map
 * value, so that the verifier does not walk one path per frame count.
 */
static __noinline struct tlob_bpf_stack *tlob_switch_stack(void *ctx)
{
	__u64 lo = (__u64)&__sched_text_start, hi = (__u64)&__sched_text_end;
	struct tlob_bpf_stack *st;
	__u64 t0 = bpf_ktime_get_ns();
	__u32 key = 0, i, first;

	st = bpf_map_lookup_elem(&tlob_stack_scratch, &key);
	if (!st || !lo || hi <= lo)
		return NULL;
	if (bpf_get_stack(ctx, st->raw, sizeof(st->raw), 0) <= 0)
		return NULL;
	st->first = TLOB_BPF_RAW_STACK;
	for (i = 0; i < TLOB_BPF_RAW_STACK; i++) {
		if (st->raw[i] >= lo && st->raw[i] < hi) {
			st->first = i;
			break;
		}
	}
	first = READ_ONCE(st->first);
	if (first >= TLOB_BPF_RAW_STACK)
		return NULL;
	st->nr = 0;
	for (i = 0; i < TLOB_CAUSE_KSTACK_MAX; i++) {
		__u32 j = first + i;

		st->ips[i] = j < TLOB_BPF_RAW_STACK ?
			     st->raw[j & (TLOB_BPF_RAW_STACK - 1)] : 0;
		if (st->ips[i])
			st->nr = i + 1;
	}
	__sync_fetch_and_add(&tlob_counters.stacks, 1);
	__sync_fetch_and_add(&tlob_counters.stack_ns, bpf_ktime_get_ns() - t0);
	return st;
}

/* @p's windows, if it may have any that capture causes, else NULL. */
static __always_inline struct tlob_bpf_task *tlob_cause_task(struct task_struct *p)
{
	if (!READ_ONCE(tlob_counters.cause_windows))
		return NULL;
	return bpf_task_storage_get(&tlob_tasks, p, 0, 0);
}

/* Does @p have an open window that captures causes? */
static __always_inline int tlob_task_wants_cause(struct task_struct *p)
{
	struct tlob_bpf_task *t = tlob_cause_task(p);
	struct tlob_bpf_window *w;
	__u32 idx;
	int i;

	if (!t)
		return 0;
	for (i = 0; i < TLOB_BPF_TASK_WINDOWS; i++) {
		idx = t->win[i].idx;
		if (!t->win[i].gen)
			continue;
		w = bpf_map_lookup_elem(&tlob_windows, &idx);
		if (w && READ_ONCE(w->cause) && READ_ONCE(w->gen) == t->win[i].gen)
			return 1;
	}
	return 0;
}

/* Close window @i of @t silently if it still is @t's (exit, exec). */
static __noinline int tlob_discard(struct tlob_bpf_task *t, __u32 i, __u32 tid)
{
	struct tlob_bpf_window *w;
	__u32 idx, gen;
	int closed = 0;

	if (i >= TLOB_BPF_TASK_WINDOWS)
		return 0;
	gen = t->win[i].gen;
	idx = t->win[i].idx;
	if (!gen)
		return 0;
	t->win[i].gen = 0;
	w = bpf_map_lookup_elem(&tlob_windows, &idx);
	if (!w)
		return 0;
	bpf_spin_lock(&w->lock);
	if (w->live && w->gen == gen && w->tid == tid) {
		w->live = 0;
		closed = 1;
	}
	bpf_spin_unlock(&w->lock);
	if (closed)
		tlob_release(w, idx);
	return 0;
}

static __always_inline void tlob_task_discard(struct task_struct *p)
{
	struct tlob_bpf_task *t;
	__u32 tid;
	int i;

	if (!READ_ONCE(tlob_counters.windows_in_use))
		return;
	t = bpf_task_storage_get(&tlob_tasks, p, 0, 0);
	if (!t)
		return;
	tid = BPF_CORE_READ(p, pid);
	for (i = 0; i < TLOB_BPF_TASK_WINDOWS; i++)
		tlob_discard(t, i, tid);
	t->npending = 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tlob_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	struct tlob_bpf_stack *stack = NULL;
	/*
	 * prev stays runnable if it was preempted, or if it tried to sleep
	 * with a signal pending: __schedule() then set it back to
	 * TASK_RUNNING before this tracepoint (prev_state still shows the
	 * sleep it tried).  It waits on the runqueue either way.
	 */
	bool runnable = preempt ||
			BPF_CORE_READ(prev, __state) == TLOB_TASK_RUNNING;

	/* prev is current here: its stack is the one it sleeps with. */
	if (tlob_task_wants_cause(prev))
		stack = tlob_switch_stack(ctx);
	tlob_task_event(prev, runnable ? TLOB_BPF_EV_PREEMPT : TLOB_BPF_EV_SLEEP,
			runnable ? next : NULL, stack);
	tlob_task_event(next, TLOB_BPF_EV_SWITCH_IN, NULL, NULL);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(tlob_sched_wakeup, struct task_struct *p)
{
	tlob_task_event(p, TLOB_BPF_EV_WAKEUP, NULL, NULL);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(tlob_sched_wakeup_new, struct task_struct *p)
{
	tlob_task_event(p, TLOB_BPF_EV_WAKEUP, NULL, NULL);
	return 0;
}

/*
 * The waker of a task whose windows capture causes, in its own context
 * (sched_wakeup may run later in the target CPU's interrupt, where the
 * waker is no longer known); from an interrupt it is the task it
 * interrupted.  Nothing but a counter read while no such window is open.
 */
SEC("tp_btf/sched_waking")
int BPF_PROG(tlob_sched_waking, struct task_struct *p)
{
	struct tlob_bpf_task *t = tlob_cause_task(p);
	struct tlob_task_ref ref = {};
	__u64 pid_tgid;
	__u32 tid, irq;
	int i;

	if (!t)
		return 0;
	tid = BPF_CORE_READ(p, pid);
	pid_tgid = bpf_get_current_pid_tgid();
	ref.pid = (__u32)pid_tgid;
	ref.tgid = pid_tgid >> 32;
	bpf_get_current_comm(ref.comm, sizeof(ref.comm));
	irq = (tlob_preempt_count() & TLOB_IRQ_MASK) != 0;
	for (i = 0; i < TLOB_BPF_TASK_WINDOWS; i++) {
		__u32 gen = t->win[i].gen;

		if (gen)
			tlob_window_waking(t->win[i].idx, gen, tid, &ref, irq);
	}
	return 0;
}

/* The task exits (p == current): its windows end without a report. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tlob_sched_process_exit, struct task_struct *p)
{
	tlob_task_discard(p);
	return 0;
}

/*
 * The task replaced its program: a window must not time another program
 * than the one it was opened in.  As at exit, no report.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(tlob_sched_process_exec, struct task_struct *p)
{
	tlob_task_discard(p);
	return 0;
}

/* --- bindings: START and STOP ------------------------------------------------ */

static __noinline int tlob_missed(__u32 slot, __u32 id)
{
	struct tlob_bpf_binding *b = bpf_map_lookup_elem(&tlob_bindings, &slot);

	__sync_fetch_and_add(&tlob_counters.windows_missed, 1);
	if (b && b->id == id)
		__sync_fetch_and_add(&b->missed, 1);
	return 0;
}

/*
 * Is current's cgroup at the path of @b, or below it?  The names of its
 * ancestors at levels 1..n are compared with the n components: the
 * cgroup need not exist when the binding is made, and a cgroup created
 * again at that path (a service restarted) matches again.
 */
static __noinline int tlob_cgroup_path_match(const struct tlob_bpf_binding *b)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 name[TLOB_BPF_CG_NAME_WORDS];
	struct cgroup *cg;
	__u32 n = b->cg_level;
	int level, i, j;

	cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	level = BPF_CORE_READ(cg, level);
	if (!n || n > TLOB_BPF_CG_DEPTH || level < (int)n)
		return 0;
	for (i = 0; i < TLOB_BPF_CG_DEPTH; i++) {
		struct cgroup *anc = NULL;
		const char *kname;
		__u32 off, len, words;
		long got;

		if (i >= n)
			break;
		if (bpf_core_read(&anc, sizeof(anc), &cg->ancestors[i + 1]) || !anc)
			return 0;
		kname = BPF_CORE_READ(anc, kn, name);
		__builtin_memset(name, 0, sizeof(name));
		got = bpf_probe_read_kernel_str(name, sizeof(name), kname);
		len = b->cg_len[i];
		off = b->cg_off[i];
		if (got != (long)len + 1)
			return 0;
		words = (len + 8) / 8;
		for (j = 0; j < TLOB_BPF_CG_NAME_WORDS; j++) {
			if (j >= words)
				break;
			if (name[j] != b->cg_words[(off + j) & (TLOB_BPF_CG_WORDS - 1)])
				return 0;
		}
	}
	return 1;
}

/* Does @b measure current? */
static __always_inline int tlob_cgroup_match(const struct tlob_bpf_binding *b)
{
	if (b->flags & TLOB_BIND_CGROUP_PATH)
		return tlob_cgroup_path_match(b);
	if (b->cgroup_id)
		return bpf_get_current_ancestor_cgroup_id(b->cg_level) ==
		       b->cgroup_id;
	return 1;
}

/*
 * A probe of a binding was hit (uprobe context, current is the task).
 * Uprobe programs can use neither timers nor spin locks: note the hit,
 * with its time and the user stack pointer, for tlob_uprobe_done(), which
 * runs in this task as soon as the probe handlers are done.
 */
SEC("uprobe")
int tlob_probe(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 slot = TLOB_BPF_COOKIE_SLOT(cookie);
	__u32 id = TLOB_BPF_COOKIE_ID(cookie);
	struct task_struct *task = bpf_get_current_task_btf();
	struct tlob_bpf_binding *b;
	struct tlob_bpf_task *t;
	__u32 n;

	if (TLOB_BPF_COOKIE_ROLE(cookie) == TLOB_BPF_ROLE_START) {
		b = bpf_map_lookup_elem(&tlob_bindings, &slot);
		if (!b || b->id != id || !tlob_cgroup_match(b))
			return 0;
		t = bpf_task_storage_get(&tlob_tasks, task, 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!t) {
			__sync_fetch_and_add(&tlob_counters.windows_missed, 1);
			__sync_fetch_and_add(&b->missed, 1);
			return 0;
		}
	} else {
		/* A task without storage has no window to stop. */
		t = bpf_task_storage_get(&tlob_tasks, task, 0, 0);
		if (!t)
			return 0;
	}
	n = t->npending;
	if (n >= TLOB_BPF_PENDING) {
		__sync_fetch_and_add(&tlob_counters.probes_dropped, 1);
		return 0;
	}
	t->pending[n].cookie = cookie;
	t->pending[n].time = bpf_ktime_get_ns();
	t->pending[n].sp = PT_REGS_SP(ctx);
	t->npending = n + 1;
	return 0;
}

/*
 * START of binding (@slot, @id) at @now with the user stack pointer @sp:
 * nest in the task's open window of it, or open one.  As in the module,
 * an entry->return window counts recursion by the stack: a START at or
 * above the frame the window was opened in finds that frame gone (a
 * longjmp, an exception), ends the window without a report and opens a
 * new one.
 */
static __noinline int tlob_start(struct tlob_bpf_task *t, __u32 slot,
				 __u32 id, __u64 now, __u64 sp)
{
	struct tlob_bpf_binding *b = bpf_map_lookup_elem(&tlob_bindings, &slot);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid, tgid = pid_tgid >> 32;
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 threshold, cookie, cgid, comm[2] = {}, rel, t_now, regs;
	__u64 nvcsw, nivcsw, migrations;
	__u32 idx, gen, place = TLOB_BPF_TASK_WINDOWS;
	struct tlob_bpf_window *w;
	int on_return, cause, i;

	if (!b || b->id != id)
		return 0;
	threshold = b->threshold_ns;
	cookie = b->cookie;
	on_return = b->flags & TLOB_BIND_STOP_ON_RETURN;
	cause = !!(b->flags & TLOB_BIND_CAUSE);
	if (READ_ONCE(b->id) != id)
		return 0;

	for (i = 0; i < TLOB_BPF_TASK_WINDOWS; i++) {
		int found = 0, stale = 0;

		gen = t->win[i].gen;
		idx = t->win[i].idx;
		if (!gen)
			continue;
		w = bpf_map_lookup_elem(&tlob_windows, &idx);
		if (!w)
			continue;
		bpf_spin_lock(&w->lock);
		if (w->live && w->gen == gen && w->tid == tid &&
		    w->binding_id == id) {
			found = 1;
			if (on_return && sp >= w->sp) {
				stale = 1;
				w->live = 0;
			} else {
				w->depth++;
			}
		}
		bpf_spin_unlock(&w->lock);
		if (!found)
			continue;
		if (!stale)
			return 0;
		t->win[i].gen = 0;
		tlob_release(w, idx);
		break;
	}

	/* A free place in the task's list; one whose window was reaped is. */
	for (i = 0; i < TLOB_BPF_TASK_WINDOWS; i++) {
		gen = t->win[i].gen;
		idx = t->win[i].idx;
		if (!gen) {
			place = i;
			break;
		}
		w = bpf_map_lookup_elem(&tlob_windows, &idx);
		if (!w || READ_ONCE(w->gen) != gen || !READ_ONCE(w->live)) {
			place = i;
			break;
		}
	}
	if (place >= TLOB_BPF_TASK_WINDOWS ||
	    bpf_map_pop_elem(&tlob_free_windows, &idx))
		return tlob_missed(slot, id);
	w = bpf_map_lookup_elem(&tlob_windows, &idx);
	if (!w) {
		bpf_map_push_elem(&tlob_free_windows, &idx, 0);
		return tlob_missed(slot, id);
	}
	/* Once per slot; later calls find it set up (-EBUSY). */
	bpf_timer_init(&w->timer, &tlob_windows, TLOB_CLOCK_MONOTONIC);
	bpf_timer_set_callback(&w->timer, tlob_timer_fired);
	bpf_get_current_comm(comm, sizeof(comm));
	cgid = bpf_get_current_cgroup_id();
	/* Where its registers are kept, and its counters, for the cause. */
	regs = (__u64)bpf_task_pt_regs(task);
	nvcsw = task->nvcsw;
	nivcsw = task->nivcsw;
	migrations = task->se.nr_migrations;

	bpf_spin_lock(&w->lock);
	gen = w->gen + 1;
	if (!gen)
		gen = 1;
	w->gen = gen;
	w->tid = tid;
	w->tgid = tgid;
	w->binding_id = id;
	w->binding_slot = slot;
	w->threshold_ns = threshold;
	w->cookie = cookie;
	w->cgroup_id = cgid;
	__builtin_memcpy(w->comm, comm, sizeof(w->comm));
	w->depth = 1;
	w->sp = sp;
	w->cause = cause;
	w->c_valid = 0;
	w->c_task = (__u64)task;
	w->c_regs = regs;
	w->c_nvcsw = nvcsw;
	w->c_nivcsw = nivcsw;
	w->c_migrations = migrations;
	w->c_nr_kstack = 0;
	tlob_bpf_clock_start(&w->clk, now, threshold);
	w->live = 1;
	bpf_spin_unlock(&w->lock);

	/* Counted before the scheduler hooks can find it in the list. */
	if (cause)
		__sync_fetch_and_add(&tlob_counters.cause_windows, 1);
	__sync_fetch_and_add(&tlob_counters.windows_in_use, 1);
	__sync_fetch_and_add(&tlob_counters.windows_started, 1);
	t->win[place & (TLOB_BPF_TASK_WINDOWS - 1)].idx = idx;
	t->win[place & (TLOB_BPF_TASK_WINDOWS - 1)].gen = gen;

	t_now = bpf_ktime_get_ns();
	rel = now + threshold > t_now ? now + threshold - t_now : 1;
	bpf_timer_start(&w->timer, rel, 0);

	/*
	 * The binding went away meanwhile: its windows were reaped, maybe
	 * before this one existed.  Close it as the reaper would have.
	 */
	if (READ_ONCE(b->id) != id)
		tlob_discard(t, place, tid);
	return 0;
}

/* Statistics of a completed window of binding (@slot, @id). */
static __noinline int tlob_account(const struct tlob_bpf_snap *s)
{
	__u32 slot = s->binding_slot, bucket;
	struct tlob_bpf_stats *st;
	__u64 elapsed = s->elapsed;

	bucket = tlob_bpf_hist_bucket(elapsed);
	if (bucket >= TLOB_BPF_HIST_BUCKETS)
		bucket = TLOB_BPF_HIST_BUCKETS - 1;
	st = bpf_map_lookup_elem(&tlob_stats, &slot);
	if (!st)
		return 0;
	bpf_spin_lock(&st->lock);
	if (st->id == s->binding_id) {
		st->windows++;
		st->violations += s->violated;
		if (elapsed > st->max_ns)
			st->max_ns = elapsed;
		st->sum_ns += elapsed;
		st->hist[bucket]++;
	}
	bpf_spin_unlock(&st->lock);
	return 0;
}

/*
 * STOP of binding @id at @now, or (@ret) the return from START with the
 * user stack pointer @sp: close the task's outermost window of it.
 */
static __noinline int tlob_stop(struct tlob_bpf_task *t, __u32 id, __u64 now,
				__u64 sp, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tlob_bpf_expiry_recs r;
	struct tlob_bpf_snap s = {};
	struct tlob_bpf_window *w;
	int i, expired = 0, cause = 0;
	__u32 idx, gen;

	for (i = 0; i < TLOB_BPF_TASK_WINDOWS; i++) {
		int found = 0, closing = 0;

		gen = t->win[i].gen;
		idx = t->win[i].idx;
		if (!gen)
			continue;
		w = bpf_map_lookup_elem(&tlob_windows, &idx);
		if (!w)
			continue;
		/* A STOP past the deadline before the timer expires it. */
		r.kind = TLOB_BPF_RECS_NONE;
		if (READ_ONCE(w->binding_id) == id && !READ_ONCE(w->clk.violated) &&
		    now >= READ_ONCE(w->clk.deadline))
			tlob_reserve_expiry(&r, READ_ONCE(w->cause));
		bpf_spin_lock(&w->lock);
		if (w->live && w->gen == gen && w->tid == tid &&
		    w->binding_id == id) {
			found = 1;
			/* A return pops the frame: above the window's only for its own. */
			if (ret ? sp > w->sp : !--w->depth) {
				closing = 1;
				expired = tlob_bpf_clock_step(&w->clk, TLOB_BPF_EV_STOP, now);
				w->live = 0;
				tlob_snap(&s, w);
				cause = w->cause;
				if (expired && cause && r.kind == TLOB_BPF_RECS_REC)
					tlob_cause_locked(&r.rec->ce.cause, w);
			}
		}
		bpf_spin_unlock(&w->lock);
		if (!closing) {
			/* Nothing expired: what was reserved goes. */
			tlob_unreserve_expiry(&r);
			if (found)
				return 0;
			continue;
		}
		t->win[i].gen = 0;
		tlob_report_expiry(&r, expired, cause, &s, 0);
		tlob_release(w, idx);
		__sync_fetch_and_add(&tlob_counters.windows_completed, 1);
		tlob_account(&s);
		if (s.violated)
			tlob_emit(&s, TLOB_EV_WINDOW_END, bpf_ktime_get_ns());
		return 0;
	}
	return 0;
}

/*
 * Hit @i of those tlob_probe noted for current (a bpf_loop() callback:
 * verified once, however many hits a breakpoint may bring).
 */
static long tlob_pending_one(__u32 i, void *unused)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tlob_bpf_task *t;
	__u64 cookie, time, sp;
	__u32 role;

	t = bpf_task_storage_get(&tlob_tasks, task, 0, 0);
	if (!t || i >= t->npending || i >= TLOB_BPF_PENDING)
		return 1;
	cookie = t->pending[i].cookie;
	time = t->pending[i].time;
	sp = t->pending[i].sp;
	role = TLOB_BPF_COOKIE_ROLE(cookie);
	if (role == TLOB_BPF_ROLE_START)
		tlob_start(t, TLOB_BPF_COOKIE_SLOT(cookie),
			   TLOB_BPF_COOKIE_ID(cookie), time, sp);
	else
		tlob_stop(t, TLOB_BPF_COOKIE_ID(cookie), time, sp,
			  role == TLOB_BPF_ROLE_RET);
	return 0;
}

/* The hits tlob_probe noted for current, in order. */
static __always_inline void tlob_uprobe_done(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tlob_bpf_task *t;
	__u32 n;

	t = bpf_task_storage_get(&tlob_tasks, task, 0, 0);
	if (!t || !t->npending)
		return;
	n = t->npending;
	bpf_loop(n < TLOB_BPF_PENDING ? n : TLOB_BPF_PENDING, tlob_pending_one,
		 NULL, 0);
	t->npending = 0;
}

/* Breakpoint hits (and, before 6.11, returns) end here. */
SEC("fexit/uprobe_notify_resume")
int BPF_PROG(tlob_uprobe_notify_done, struct pt_regs *regs)
{
	tlob_uprobe_done();
	return 0;
}

/* Returns through the uretprobe system call (x86-64, 6.11 and later). */
SEC("fexit/uprobe_handle_trampoline")
int BPF_PROG(tlob_uprobe_trampoline_done, struct pt_regs *regs)
{
	tlob_uprobe_done();
	return 0;
}

/* --- unbind ------------------------------------------------------------------ */

struct tlob_reap_ctx {
	__u32 id;
	__u32 reaped;
};

static long tlob_reap_one(struct bpf_map *map, __u32 *key,
			  struct tlob_bpf_window *unused, struct tlob_reap_ctx *c)
{
	struct tlob_bpf_window *w;
	__u32 idx = *key;
	int closed = 0;

	w = bpf_map_lookup_elem(&tlob_windows, &idx);
	if (!w)
		return 0;
	bpf_spin_lock(&w->lock);
	if (w->live && w->binding_id == c->id) {
		w->live = 0;
		closed = 1;
	}
	bpf_spin_unlock(&w->lock);
	if (closed) {
		tlob_release(w, idx);
		c->reaped++;
	}
	return 0;
}

/*
 * Close, without a report, every window of the binding tlob_reap_id (its
 * probes are detached).  The loader runs this synchronously with
 * BPF_PROG_TEST_RUN, which calls bpf_fentry_test1(); others running
 * tests of their own trigger nothing.
 */
SEC("fentry/bpf_fentry_test1")
int BPF_PROG(tlob_reap, int a)
{
	struct tlob_reap_ctx c = {};

	if ((bpf_get_current_pid_tgid() >> 32) != tlob_loader_tgid)
		return 0;
	c.id = READ_ONCE(tlob_reap_id);
	if (!c.id)
		return 0;
	bpf_for_each_map_elem(&tlob_windows, tlob_reap_one, &c, 0);
	__sync_fetch_and_add(&tlob_counters.windows_reaped, c.reaped);
	return 0;
}
