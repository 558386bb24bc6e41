// SPDX-License-Identifier: GPL-2.0
/*
 * The cause of a violation, captured when the budget expires, and the
 * signal action.
 *
 * A window that captures causes (TLOB_BIND_CAUSE, TLOB_START_CAUSE) keeps,
 * under its lock, the task's switch counters at START and the last task
 * that preempted it and that woke it (from the scheduler probes).  When
 * the budget expires -- in the timer's hard-interrupt callback, or in
 * whatever context the deadline rule expires it -- it adds what the task
 * is doing at that moment: its kernel stack if it is off its CPU, the
 * user instruction pointer, and the task running on its CPU.  Nothing is
 * allocated and nothing sleeps: the stack is unwound into the record on
 * the stack of the caller, at most TLOB_CAUSE_KSTACK_MAX frames.
 *
 * The task running on each CPU is the one the sched_switch probe last
 * switched in there (@tlob_cpu_curr), written on every switch while the
 * probes are attached and forgotten when they are attached again.  A task
 * is freed an RCU grace period after its last switch, which replaced it
 * there first: read with interrupts disabled, the pointer is a task that
 * is still allocated.
 *
 * A signal cannot be sent from every place a window expires (the
 * sched_switch probe holds the runqueue lock, which waking the target may
 * need; on PREEMPT_RT the siglock sleeps): it is queued to an irq_work of
 * the window, which sends it as soon as interrupts are enabled again (on
 * PREEMPT_RT, from the irq_work thread), with a reference to the thread's
 * struct pid.  One expiry per window: one signal per window at most.
 */
#include <linux/irq_work.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <asm/irq_regs.h>
#ifdef CONFIG_X86
#include <asm/unwind.h>
#endif

#include "tlob_internal.h"

DEFINE_PER_CPU(struct task_struct *, tlob_cpu_curr);

/* Open windows that capture causes: the sched_waking probe needs them. */
atomic_t tlob_cause_windows = ATOMIC_INIT(0);

/* The probes are being attached: switches made meanwhile updated none. */
void tlob_cause_forget_cpus(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		WRITE_ONCE(*per_cpu_ptr(&tlob_cpu_curr, cpu), NULL);
}

static void tlob_ref_task(struct tlob_task_ref *ref, struct task_struct *t)
{
	ref->pid = t->pid;
	ref->tgid = t->tgid;
	/* As the sched_switch trace event does: racy against a rename. */
	memcpy(ref->comm, t->comm, sizeof(ref->comm));
	ref->comm[sizeof(ref->comm) - 1] = '\0';
}

/* A window capturing causes opens for current; @w->lock held. */
void tlob_cause_start(struct tlob_window *w)
{
	struct tlob_window_cause *wc = &w->cause;

	wc->valid = 0;
	wc->nvcsw = current->nvcsw;
	wc->nivcsw = current->nivcsw;
	wc->migrations = current->se.nr_migrations;
}

/*
 * @w goes from @state to @next; @other is the task switched in (preempt)
 * or the waker (wakeup).  @w->lock held.
 */
void tlob_cause_step(struct tlob_window *w, unsigned int state,
		     unsigned int next, struct task_struct *other)
{
	struct tlob_window_cause *wc = &w->cause;

	if (!other)
		return;
	if (state == running_tlob && next == waiting_tlob) {
		tlob_ref_task(&wc->preemptor, other);
		wc->valid |= TLOB_CAUSE_PREEMPTOR;
	}
}

/*
 * sched_waking of the task of @w, sleeping, in the waker's context
 * (sched_wakeup may come later from the target CPU's interrupt, where the
 * waker is no longer known); @w->lock held.
 */
void tlob_cause_waking(struct tlob_window *w)
{
	struct tlob_window_cause *wc = &w->cause;

	tlob_ref_task(&wc->waker, current);
	wc->valid |= TLOB_CAUSE_WAKER;
	if (in_task())
		wc->valid &= ~TLOB_CAUSE_WAKER_IRQ;
	else
		wc->valid |= TLOB_CAUSE_WAKER_IRQ;
}

/*
 * The kernel stack of @task, off its CPU.  The ORC unwinder (Debian's
 * kernels have no other) reads a foreign stack defensively, as
 * /proc/PID/stack does; the task cannot exit meanwhile (its exit probe
 * takes the window's lock, held by the caller).  stack_trace_save_tsk()
 * is not exported on 6.1, the unwinder is on both.
 */
static unsigned int tlob_kstack(struct task_struct *task, u64 *out,
				unsigned int max)
{
	unsigned int n = 0;
#ifdef CONFIG_X86
	struct unwind_state state;
	unsigned long addr;

	for (unwind_start(&state, task, NULL, NULL);
	     !unwind_done(&state) && n < max; unwind_next_frame(&state)) {
		addr = unwind_get_return_address(&state);
		if (!addr)
			break;
		out[n++] = addr;
	}
#endif
	return n;
}

/* Where the task is in user space: interrupted there, or its last entry. */
static void tlob_cause_user(struct task_struct *task, struct tlob_cause *c)
{
	struct pt_regs *regs = NULL;

	if (task->flags & PF_KTHREAD)
		return;
	if (task == current && in_hardirq()) {
		regs = get_irq_regs();
		if (regs && !user_mode(regs))
			regs = NULL;
	}
	if (regs) {
		c->valid |= TLOB_CAUSE_USER_IP;
	} else {
		regs = task_pt_regs(task);
		c->valid |= TLOB_CAUSE_USER_ENTRY;
	}
	c->user_ip = READ_ONCE(regs->ip);
	c->user_sp = READ_ONCE(regs->sp);
}

/*
 * The budget of @w expired (@w->lock held, @w live, in any context the
 * deadline rule runs in): fill @c.  The state is the one at expiry.
 */
void tlob_cause_capture(struct tlob_window *w, struct tlob_cause *c)
{
	struct tlob_window_cause *wc = &w->cause;
	struct task_struct *task = w->task;
	struct task_struct *curr;
	unsigned int cpu;

	lockdep_assert_held(&w->lock);
	memset(c, 0, sizeof(*c));
	c->valid = wc->valid;
	c->preemptor = wc->preemptor;
	c->waker = wc->waker;
	c->nvcsw = READ_ONCE(task->nvcsw) - wc->nvcsw;
	c->nivcsw = READ_ONCE(task->nivcsw) - wc->nivcsw;
	c->migrations = READ_ONCE(task->se.nr_migrations) - wc->migrations;
	cpu = task_cpu(task);
	c->cpu = cpu;
	c->signal = w->signal;

	tlob_cause_user(task, c);

	if (w->clk.state == running_tlob)
		return;
	/* Off its CPU: who runs there, and where the task waits. */
	rcu_read_lock();
	curr = READ_ONCE(*per_cpu_ptr(&tlob_cpu_curr, cpu));
	if (curr && curr != task) {
		tlob_ref_task(&c->curr, curr);
		c->valid |= TLOB_CAUSE_CURR;
	}
	rcu_read_unlock();
	/*
	 * A task just switched out may still be on its CPU until the switch
	 * completes: its stack is moving, leave it.
	 */
	if (w->kaddr_ok && task != current && !READ_ONCE(task->on_cpu)) {
		c->nr_kstack = tlob_kstack(task, c->kstack,
					   TLOB_CAUSE_KSTACK_MAX);
		if (c->nr_kstack)
			c->valid |= TLOB_CAUSE_KSTACK;
	}
}

static void tlob_signal_fn(struct irq_work *work)
{
	struct tlob_window *w = container_of(work, struct tlob_window,
					     sig_work);
	struct task_struct *task;
	unsigned long flags;
	struct pid *pid;
	int sig, ret = -ESRCH;

	raw_spin_lock_irqsave(&w->lock, flags);
	pid = w->sig_pid;
	sig = w->sig_num;
	w->sig_pid = NULL;
	raw_spin_unlock_irqrestore(&w->lock, flags);
	if (!pid)
		return;
	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_PID);
	if (task)
		ret = send_sig_info(sig, SEND_SIG_PRIV, task);
	rcu_read_unlock();
	put_pid(pid);
	if (ret)
		atomic64_inc(&tlob_counters.signals_failed);
}

/* Once, for the life of the pool. */
void tlob_signal_init(struct tlob_window *w)
{
	init_irq_work(&w->sig_work, tlob_signal_fn);
}

/*
 * Before a slot is opened again, and at unload: the signal of its last
 * expiry is sent.  Sleeps (PREEMPT_RT) or spins.
 */
void tlob_signal_sync(struct tlob_window *w)
{
	irq_work_sync(&w->sig_work);
}

/* @w expired with a signal action; @w->lock held. */
void tlob_signal_queue(struct tlob_window *w)
{
	lockdep_assert_held(&w->lock);
	if (w->sig_pid)
		return;		/* one per window */
	w->sig_pid = get_pid(task_pid(w->task));
	w->sig_num = w->signal;
	atomic64_inc(&tlob_counters.signals);
	if (w->binding)
		tlob_binding_signalled(w->binding);
	irq_work_queue(&w->sig_work);
}
