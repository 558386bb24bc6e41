// SPDX-License-Identifier: GPL-2.0
/*
 * A window's life: opening it, stepping its automaton on the task's
 * scheduler events, the deadline rule, and closing it.
 *
 * The deadline rule makes a window violated exactly when its elapsed time
 * reaches its budget, whoever notices first: before any event is applied
 * at a time at or past the deadline, and when the budget timer fires, the
 * window expires at its deadline (tlob_window_expire()).  So a STOP that
 * lands after the budget but before the timer callback ran still reports
 * the violation, with the breakdown at the deadline.
 *
 * Contexts: tlob_window_open() runs in task context (ioctl or uprobe
 * handler) for current.  Scheduler events arrive with interrupts disabled
 * under the runqueue lock, task exit and exec with preemption disabled,
 * the timer in hard interrupt context: those paths only take raw
 * spinlocks, never allocate and never wake a task directly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/percpu.h>
#include <linux/rculist_nulls.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "tlob_internal.h"
#include "tlob_trace.h"

/* tlob_event.state carries the model's state numbers. */
static_assert(running_tlob == TLOB_STATE_RUNNING);
static_assert(waiting_tlob == TLOB_STATE_WAITING);
static_assert(sleeping_tlob == TLOB_STATE_SLEEPING);

static void tlob_result_fill(struct tlob_window_result *res,
			     const struct tlob_window *w, u64 now)
{
	res->elapsed_ns = tlob_clock_elapsed(&w->clk);
	memcpy(res->ns, w->clk.ns, sizeof(res->ns));
	res->timestamp_ns = now;
	res->violated = w->violated;
	res->expiry_state = w->expiry_state;
}

/*
 * The budget expired at @w->deadline: charge up to it in the current
 * state, mark the window violated and report it.  @w->lock held, @w not
 * violated yet, and the time is at or past the deadline.
 */
static void tlob_window_expire(struct tlob_window *w)
{
	struct tlob_cause_event ce, *cep = NULL;
	struct tlob_window_result res;
	u64 t0;

	lockdep_assert_held(&w->lock);
	if (w->stepped)
		tlob_clock_charge(&w->clk, w->deadline);
	else
		tlob_acct_charge(w, w->deadline, ktime_get_ns());
	w->violated = true;
	w->expiry_state = w->clk.state;
	tlob_result_fill(&res, w, w->deadline);
	atomic64_inc(&tlob_counters.violations);
	if (w->signal)
		tlob_signal_queue(w);
	if (w->cause_on) {
		t0 = ktime_get_ns();
		tlob_fill_event(&ce.ev, w, &res, TLOB_EV_CAUSE);
		ce.ev.size = sizeof(ce);
		tlob_cause_capture(w, &ce.cause);
		atomic64_add(ktime_get_ns() - t0, &tlob_counters.cause_ns);
		atomic64_inc(&tlob_counters.causes);
		cep = &ce;
	}

	/*
	 * A self-instrumented window over its owner's self_event_rate is
	 * reported to its own fd only: neither subscribers nor the trace
	 * buffers (instances/tlob shows services' violations) hear of it.
	 */
	if (!w->binding && !w->privileged)
		w->quiet = !tlob_charge_may_forward(w->charge);
	if (!w->quiet) {
		trace_error_env_tlob(w->tid, tlob_state_name(w->clk.state),
				     "budget_exceeded", "clk_elapsed");
		trace_detail_env_tlob(w->tid, w->tgid,
				      w->binding ? w->binding->id : 0,
				      w->threshold_ns, res.ns[running_tlob],
				      res.ns[waiting_tlob],
				      res.ns[sleeping_tlob]);
	}
	/* Under @w->lock: whoever closes @w waits for this report. */
	tlob_report_violation(w, &res, cep);
}

/* The deadline rule, before anything is applied at @now. */
static void tlob_window_check_deadline(struct tlob_window *w, u64 now)
{
	if (!w->violated && now >= w->deadline &&
	    automaton_tlob.invariant_states[w->clk.state])
		tlob_window_expire(w);
}

/* The budget timer fired at @now; @w->lock held. */
void tlob_window_timer_fired(struct tlob_window *w, u64 now)
{
	lockdep_assert_held(&w->lock);
	if (w->live)
		tlob_window_check_deadline(w, now);
}

/*
 * Apply @event at @now; @w->lock held, @w live.  @other is the task
 * switched in (preempt) or the waker (wakeup), for the cause.
 */
static void tlob_window_step(struct tlob_window *w, unsigned int event,
			     u64 now, struct task_struct *other)
{
	unsigned int state = w->clk.state;
	unsigned int next;

	lockdep_assert_held(&w->lock);
	tlob_window_check_deadline(w, now);
	next = tlob_clock_step(&w->clk, event, now);
	if (next == INVALID_STATE_TLOB)
		return;
	if (w->cause_on)
		tlob_cause_step(w, state, next, other);
	trace_event_tlob(w->tid, tlob_state_name(state),
			 tlob_event_name(event), tlob_state_name(next));
}

/*
 * The scheduler probes' memory of the windows of the task last switched
 * in on each CPU, so that switching it out needs no hash lookup.  @task is
 * the task the sched_switch probe last switched in here while a stepped
 * window was open anywhere, or NULL: unknown, walk the hash.  @w is then
 * that task's only stepped window, or NULL if it had none (windows
 * measured with the scheduler's accounting do not count here).  Only the
 * task itself opens windows for it, on the CPU it runs on, and that CPU's
 * entry is updated with interrupts disabled as a stepped window is
 * hashed; windows closed since are found closed (or reused for another
 * task) under their lock.
 * Written with interrupts disabled, by the CPU itself.
 */
struct tlob_cpu_last {
	struct task_struct *task;
	struct tlob_window *w;
};

static DEFINE_PER_CPU(struct tlob_cpu_last, tlob_cpu_last);

/*
 * Forget every CPU's memory: the hooks are being attached, and switches
 * made while they were detached updated none.
 */
void tlob_window_forget_cpus(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		WRITE_ONCE(per_cpu_ptr(&tlob_cpu_last, cpu)->task, NULL);
}

/*
 * Count @w among the open windows (@d 1) or not any more (-1).  A window
 * is counted before it is hashed: the scheduler probes do nothing while
 * the counts are 0, and must not skip its first switch.
 */
static void tlob_window_count(struct tlob_window *w, int d)
{
	atomic_add(d, &tlob_windows_in_use);
	if (w->stepped)
		atomic_add(d, &tlob_stepped_windows);
	if (w->cause_on)
		atomic_add(d, &tlob_cause_windows);
}

/* @w was just hashed for current; interrupts disabled. */
static void tlob_cpu_last_opened(struct tlob_window *w)
{
	struct tlob_cpu_last *last = this_cpu_ptr(&tlob_cpu_last);

	lockdep_assert_irqs_disabled();
	if (last->task == current && !last->w)
		last->w = w;
	else
		last->task = NULL;	/* a second window: walk */
}

/*
 * Open a window for current, in state running.  Returns ERR_PTR(-ENODEV)
 * if the monitor is disabled, ERR_PTR(-ENOSPC) if the pool is exhausted.
 */
struct tlob_window *tlob_window_open(struct tlob_window_args *args)
{
	struct task_struct *task = current;
	struct tlob_window *w;
	unsigned long flags;
	u64 cgid, now;

	if (!READ_ONCE(tlob_enabled))
		return ERR_PTR(-ENODEV);
	w = tlob_pool_get();
	if (!w)
		return ERR_PTR(-ENOSPC);
	/*
	 * A closer that could not wait (task exit or exec) may have left the
	 * slot's last timer callback running: let it finish before the timer
	 * is armed again.  Free when the timer is idle, as it nearly always is.
	 */
	hrtimer_cancel(&w->timer);
	tlob_signal_sync(w);

	rcu_read_lock();
	cgid = cgroup_id(task_dfl_cgroup(task));
	rcu_read_unlock();

	raw_spin_lock_irqsave(&w->lock, flags);
	args->gen = ++w->gen;
	w->task = task;
	w->tid = task->pid;
	w->tgid = task->tgid;
	w->cgroup_id = cgid;
	w->threshold_ns = args->threshold_ns;
	w->cookie = args->cookie;
	w->binding = args->binding;
	w->owner = args->owner;
	w->charge = args->charge;
	w->depth = 1;
	w->sp = args->sp;
	w->violated = false;
	w->quiet = false;
	w->privileged = args->privileged;
	w->cause_on = args->cause;
	w->kaddr_ok = args->binding || args->privileged;
	w->signal = args->signal;
	/* Causes need the probes, and a traced window shows its steps. */
	w->stepped = w->cause_on || trace_event_tlob_enabled() ||
		     !tlob_acct_enabled();
	if (w->cause_on)
		tlob_cause_start(w);
	w->forwarded = 0;
	w->fwd_seq = 0;
	w->expiry_state = running_tlob;
	strscpy_pad(w->comm, task->comm, sizeof(w->comm));
	now = ktime_get_ns();
	tlob_clock_start(&w->clk, now);
	if (!w->stepped)
		tlob_acct_start(w);
	w->deadline = now + args->threshold_ns;
	/*
	 * Hashed and armed under @w->lock: a closer scanning the pool cannot
	 * see the window live before it is hashed and its timer started.
	 */
	tlob_window_count(w, 1);
	if (!tlob_hash_add(w)) {
		tlob_window_count(w, -1);
		w->charge = NULL;	/* the caller keeps it */
		raw_spin_unlock_irqrestore(&w->lock, flags);
		tlob_pool_put(w);
		return ERR_PTR(-ENODEV);
	}
	/* Interrupts off since the hash: no switch in between. */
	if (w->stepped)
		tlob_cpu_last_opened(w);
	w->live = true;
	tlob_timer_arm(w);
	trace_event_tlob(w->tid, tlob_state_name(stopped_tlob),
			 tlob_event_name(start_tlob),
			 tlob_state_name(w->clk.state));
	if (!w->stepped)
		atomic64_inc(&tlob_counters.windows_accounted);
	raw_spin_unlock_irqrestore(&w->lock, flags);

	atomic64_inc(&tlob_counters.windows_started);
	return w;
}

/* The clock of one scheduler event, read once, and only if needed. */
static __always_inline u64 tlob_now(u64 *now)
{
	if (!*now)
		*now = ktime_get_ns();
	return *now;
}

/*
 * Step @w, found for @task, with @event; interrupts disabled.  The lock
 * re-checks that the slot is still @task's live window (it may have been
 * closed, and reused, since it was found).  Returns whether it was.
 */
static __always_inline bool tlob_step_if_mine(struct tlob_window *w,
					      struct task_struct *task,
					      unsigned int event, u64 *now,
					      struct task_struct *other)
{
	bool mine;

	raw_spin_lock(&w->lock);
	mine = w->live && w->task == task && w->stepped;
	if (mine)
		tlob_window_step(w, event, tlob_now(now), other);
	raw_spin_unlock(&w->lock);
	return mine;
}

/*
 * Step every window of @task with @event, walking its bucket; returns how
 * many windows of @task were live, and the last one in @only.  A walk
 * that a reused node led into another bucket starts again: stepping a
 * window twice with one event at one time changes nothing the second
 * time (the event is no longer allowed in the state it led to, or is a
 * self-loop charging nothing).  With @skip_loops, a window whose state
 * @event would not change is left alone without its lock or the clock
 * (the budget timer, not this event, expires it).
 */
static __always_inline unsigned int
tlob_walk_task(struct task_struct *task, unsigned int event, u64 *now,
	       bool skip_loops, struct tlob_window **only,
	       struct task_struct *other)
{
	unsigned int idx = tlob_hash_index(task);
	struct hlist_nulls_node *pos;
	struct tlob_window *w;
	unsigned int n;

again:
	n = 0;
	hlist_nulls_for_each_entry_rcu(w, pos, &tlob_hash[idx], hnode) {
		if (READ_ONCE(w->task) != task || !READ_ONCE(w->stepped))
			continue;
		if (skip_loops &&
		    tlob_next_state(READ_ONCE(w->clk.state), event) ==
		    READ_ONCE(w->clk.state)) {
			n++;
			continue;
		}
		if (tlob_step_if_mine(w, task, event, now, other)) {
			n++;
			*only = w;
		}
	}
	if (get_nulls_value(pos) != idx)
		goto again;
	return n;
}

/*
 * sched_switch: @prev leaves the CPU with @event (preempt or sleep), @next
 * is switched in.  Interrupts disabled (the runqueue lock is held), which
 * is an RCU read-side critical section for the hash walk.  One clock read
 * serves both tasks.
 */
void tlob_window_sched_switch(struct task_struct *prev,
			      struct task_struct *next, unsigned int event)
{
	struct tlob_cpu_last *last = this_cpu_ptr(&tlob_cpu_last);
	struct tlob_window *only = NULL;
	unsigned int n;
	u64 now = 0;

	lockdep_assert_irqs_disabled();
	if (likely(last->task == prev)) {
		if (last->w)
			tlob_step_if_mine(last->w, prev, event, &now, next);
	} else {
		tlob_walk_task(prev, event, &now, false, &only, next);
		only = NULL;
	}

	n = tlob_walk_task(next, switch_in_tlob, &now, false, &only, NULL);
	last->task = n > 1 ? NULL : next;
	last->w = n ? only : NULL;
}

/*
 * sched_wakeup(_new) of @task, in the waker's context.  A wakeup only
 * changes a sleeping window; in running and waiting it is a self-loop,
 * which costs no lock and no clock read unless event_tlob is traced.
 *
 * Interrupts are usually disabled here (the waker holds @task's pi_lock
 * or a runqueue lock), but not always: try_to_wake_up() of current takes
 * no lock, and a softirq that runs with interrupts enabled on the stack
 * of the task it wakes (a timer callback waking the task it interrupted)
 * gets here with interrupts on.  The budget timer's hard-irq callback
 * takes the windows' locks, so they are taken here with interrupts off.
 */
void tlob_window_wakeup(struct task_struct *task)
{
	struct tlob_window *only;
	unsigned long flags;
	u64 now = 0;

	local_irq_save(flags);
	tlob_walk_task(task, wakeup_tlob, &now, !trace_event_tlob_enabled(),
		       &only, current);
	local_irq_restore(flags);
}

/*
 * sched_waking of @task, in the waker's context, while windows capturing
 * causes are open: the sleeping ones among @task's record their waker.
 * The others are passed over without their lock (@cause_on is constant
 * while live; a window that just changed state is found so under it).
 */
void tlob_window_waking(struct task_struct *task)
{
	unsigned int idx = tlob_hash_index(task);
	struct hlist_nulls_node *pos;
	struct tlob_window *w;
	unsigned long flags;

	local_irq_save(flags);
again:
	hlist_nulls_for_each_entry_rcu(w, pos, &tlob_hash[idx], hnode) {
		if (READ_ONCE(w->task) != task || !READ_ONCE(w->cause_on) ||
		    READ_ONCE(w->clk.state) != sleeping_tlob)
			continue;
		raw_spin_lock(&w->lock);
		if (w->live && w->task == task && w->cause_on &&
		    w->clk.state == sleeping_tlob)
			tlob_cause_waking(w);
		raw_spin_unlock(&w->lock);
	}
	if (get_nulls_value(pos) != idx)
		goto again;
	local_irq_restore(flags);
}

/*
 * Close @w if it is still live; @w->lock held.  With @res, the window
 * completes (event "stop", with the deadline rule) and @res receives its
 * measurements; without, it is discarded silently.  Returns true if the
 * caller closed it and must call tlob_window_finish() after dropping the
 * lock.
 */
bool tlob_window_end(struct tlob_window *w, struct tlob_window_result *res)
{
	u64 now;

	lockdep_assert_held(&w->lock);
	if (!w->live)
		return false;
	w->live = false;
	if (res) {
		now = ktime_get_ns();
		if (!w->stepped) {
			tlob_window_check_deadline(w, now);
			tlob_acct_charge(w, now, now);
		}
		tlob_window_step(w, stop_tlob, now, NULL);
		tlob_result_fill(res, w, now);
	}
	return true;
}

/*
 * Second half of closing a window, without its lock: stop the timer,
 * unhash, report a completed window, and give it back to the pool (the
 * scheduler probes and a running timer callback may still see the slot:
 * they re-check it under its lock); a self-instrumented window's charge
 * goes with the slot (tlob_pool.c).
 */
void tlob_window_finish(struct tlob_window *w,
			const struct tlob_window_result *res, bool may_sleep)
{
	tlob_timer_cancel(w, may_sleep);
	tlob_hash_del(w);
	tlob_window_count(w, -1);

	if (res) {
		atomic64_inc(&tlob_counters.windows_completed);
		trace_window_tlob(w->tid, w->binding ? w->binding->id : 0,
				  res->elapsed_ns, res->violated);
		if (w->binding)
			tlob_binding_account(w->binding, res);
		if (res->violated)
			tlob_report_end(w, res);
	} else if (w->violated) {
		tlob_report_discard(w);
	}
	tlob_pool_put(w);
}

/* Close @w silently if still live (task exit or exec, disable, unbind). */
void tlob_window_discard(struct tlob_window *w, bool may_sleep)
{
	unsigned long flags;
	bool closed;

	raw_spin_lock_irqsave(&w->lock, flags);
	closed = tlob_window_end(w, NULL);
	raw_spin_unlock_irqrestore(&w->lock, flags);
	if (closed)
		tlob_window_finish(w, NULL, may_sleep);
}

/*
 * The task exits or execs (@task == current, preemption disabled): its
 * windows end without a report.  A window closed meanwhile may be reused
 * for another task: the task is checked again under the window's lock.
 * The walk survives the removal of the window it stands on
 * (hlist_nulls_del_init_rcu() keeps ->next; a node moved to another
 * bucket sends it back to the start).
 */
void tlob_window_discard_task(struct task_struct *task)
{
	unsigned int idx = tlob_hash_index(task);
	struct hlist_nulls_node *pos;
	struct tlob_window *w;
	unsigned long flags;
	bool closed;

	rcu_read_lock();
again:
	hlist_nulls_for_each_entry_rcu(w, pos, &tlob_hash[idx], hnode) {
		if (READ_ONCE(w->task) != task)
			continue;
		raw_spin_lock_irqsave(&w->lock, flags);
		closed = w->task == task && tlob_window_end(w, NULL);
		raw_spin_unlock_irqrestore(&w->lock, flags);
		if (closed)
			tlob_window_finish(w, NULL, false);
	}
	if (get_nulls_value(pos) != idx)
		goto again;
	rcu_read_unlock();
}

/*
 * A live window's binding is alive (its removal closes it first), so its
 * flags may be read under the window's lock.
 */
static void tlob_close_matching(bool all)
{
	struct tlob_window *w;
	unsigned long flags;
	unsigned int i;
	bool closed;

	for (i = 0; i < tlob_max_windows; i++) {
		w = tlob_pool_slot(i);
		raw_spin_lock_irqsave(&w->lock, flags);
		closed = (all || (w->live && w->binding &&
				  READ_ONCE(w->binding->dying))) &&
			 tlob_window_end(w, NULL);
		raw_spin_unlock_irqrestore(&w->lock, flags);
		if (closed)
			tlob_window_finish(w, NULL, true);
		cond_resched();
	}
}

/* Discard every open window; sleepable.  Call with tlob_enabled false. */
void tlob_close_all(void)
{
	tlob_close_matching(true);
}

/*
 * Discard the windows of the bindings being removed (@dying), whose
 * probes are unregistered and synced: one scan of the pool for a batch.
 */
void tlob_close_dying_windows(void)
{
	tlob_close_matching(false);
}

/*
 * The live window of current opened by @b, returned with its lock held
 * (irq flags in @flags), or NULL.  Call under rcu_read_lock().
 */
struct tlob_window *tlob_find_binding_window(struct tlob_binding *b,
					     unsigned long *flags)
{
	struct task_struct *task = current;
	unsigned int idx = tlob_hash_index(task);
	struct hlist_nulls_node *pos;
	struct tlob_window *w;

again:
	hlist_nulls_for_each_entry_rcu(w, pos, &tlob_hash[idx], hnode) {
		if (READ_ONCE(w->task) != task || READ_ONCE(w->binding) != b)
			continue;
		raw_spin_lock_irqsave(&w->lock, *flags);
		if (w->live && w->task == task && w->binding == b)
			return w;
		raw_spin_unlock_irqrestore(&w->lock, *flags);
	}
	if (get_nulls_value(pos) != idx)
		goto again;
	return NULL;
}
