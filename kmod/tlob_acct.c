// SPDX-License-Identifier: GPL-2.0
/*
 * Windows measured with the scheduler's own accounting.
 *
 * A window that is not traced (event_tlob off when it opens) and does not
 * capture causes need not be stepped on every context switch of its task:
 * the scheduler keeps what the automaton would add up.  The task's
 * se.sum_exec_runtime is the time it ran, its sched_info.run_delay the
 * time it waited on a runqueue (kept whenever CONFIG_SCHED_INFO is set,
 * as in Debian's kernels); their growth between START and the expiry or
 * STOP is the window's running and waiting time, and the rest of its
 * elapsed time is sleeping.  The stretch in progress is added: the time
 * since exec_start while the task is on a CPU, since last_queued while it
 * waits on a runqueue.  The scheduler probes then leave such a window
 * alone: it costs its task's context switches nothing.
 *
 * What this trades (docs/kmod.md):
 * - running and waiting are measured with the runqueues' clock,
 *   sched_clock_cpu(), the elapsed time with CLOCK_MONOTONIC like every
 *   window: the difference of their rates (NTP slews the latter by at
 *   most 0.05%) lands in sleeping;
 * - the fields are read without the runqueue lock, again until none
 *   changed in between; a read that falls between two stores of one
 *   update on another CPU can still miss what that update adds (the
 *   stores are a few instructions apart);
 * - the state at expiry is read from the task (queued on a runqueue, on a
 *   CPU, or neither), not from an automaton: during a switch or a
 *   migration it can read as sleeping for a few microseconds.
 *
 * It holds only where the scheduler keeps those fields exactly:
 * - a runqueue's task clock must be its clock (exec_start is in the
 *   former, last_queued in the latter): no CONFIG_IRQ_TIME_ACCOUNTING or
 *   CONFIG_PARAVIRT_TIME_ACCOUNTING;
 * - a task preempted before it could block (its state no longer
 *   TASK_RUNNING) waits on its runqueue unstamped: with a preemptible
 *   kernel (preempt=full, PREEMPT_RT) that wait would count as sleeping;
 * - from 6.12, a task that blocked is left on its runqueue until picked
 *   ("delayed dequeue"), and migrating it stamps last_queued, which its
 *   next wakeup then turns into run_delay: a sleep would count as waiting.
 * Elsewhere, and with the sched_accounting parameter off, every window is
 * stepped.
 */
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>

#include "tlob_compat.h"
#include "tlob_internal.h"

#if defined(CONFIG_SCHED_INFO) && defined(CONFIG_SMP) && \
	!defined(CONFIG_IRQ_TIME_ACCOUNTING) && \
	!defined(CONFIG_PARAVIRT_TIME_ACCOUNTING) && !TLOB_DELAYED_DEQUEUE
#define TLOB_ACCT_BUILT	1
#else
#define TLOB_ACCT_BUILT	0
#endif

/* Does the scheduler of this kernel, as booted, keep the fields exactly? */
static bool tlob_acct_usable(void)
{
	return TLOB_ACCT_BUILT && !preempt_model_preemptible();
}

bool tlob_sched_accounting;	/* default set at load: tlob_acct_init() */
static bool tlob_acct_given;	/* given to insmod, or written since */

static int tlob_param_acct_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	if (on && !tlob_acct_usable())
		return -EINVAL;
	WRITE_ONCE(tlob_sched_accounting, on);
	tlob_acct_given = true;
	return 0;
}

const struct kernel_param_ops tlob_param_acct_ops = {
	.set = tlob_param_acct_set,
	.get = param_get_bool,
};

/* At load, before any window: on wherever it is exact, unless given. */
void tlob_acct_init(void)
{
	if (!tlob_acct_given)
		tlob_sched_accounting = tlob_acct_usable();
}

/* May a window opening now be measured with the scheduler's accounting? */
bool tlob_acct_enabled(void)
{
	return READ_ONCE(tlob_sched_accounting);
}

/* @now - @then, or 0 if @then is not before @now. */
static u64 tlob_since(u64 now, u64 then)
{
	return now > then ? now - then : 0;
}

struct tlob_acct_sample {
	u64 run;		/* CPU time so far */
	u64 delay;		/* runqueue wait so far */
	unsigned int state;	/* what the task does now */
};

#if TLOB_ACCT_BUILT
static void tlob_acct_read(struct task_struct *t, struct tlob_acct_sample *s)
{
	u64 sum, delay, exec, queued, clk;
	unsigned int tries = 0;
	bool on_cpu;
	int cpu;

	/*
	 * The scheduler updates these under the runqueue lock, not taken
	 * here: read them all, then all again (the barriers keep the two
	 * rounds apart), until an update on another CPU no longer changes
	 * any of them in between.
	 */
	do {
		on_cpu = READ_ONCE(t->on_cpu);
		queued = READ_ONCE(t->sched_info.last_queued);
		exec = READ_ONCE(t->se.exec_start);
		sum = READ_ONCE(t->se.sum_exec_runtime);
		delay = READ_ONCE(t->sched_info.run_delay);
		cpu = task_cpu(t);
		smp_rmb();	/* the first round before the second */
	} while ((READ_ONCE(t->on_cpu) != on_cpu ||
		  READ_ONCE(t->sched_info.last_queued) != queued ||
		  READ_ONCE(t->se.exec_start) != exec ||
		  READ_ONCE(t->se.sum_exec_runtime) != sum ||
		  READ_ONCE(t->sched_info.run_delay) != delay) && ++tries < 8);

	/* Now on the clock the task's runqueue stamps from. */
	clk = sched_clock_cpu(cpu);
	s->run = sum;
	s->delay = delay;
	/*
	 * Current runs this code: a wait it might show has not begun.  Any
	 * other task preempted or woken is queued, possibly still on its CPU.
	 */
	if (t == current || (on_cpu && !queued)) {
		s->state = running_tlob;
		s->run += tlob_since(clk, exec);
	} else if (queued) {
		s->state = waiting_tlob;
		s->delay += tlob_since(clk, queued);
	} else {
		s->state = sleeping_tlob;
	}
}
#else
static void tlob_acct_read(struct task_struct *t, struct tlob_acct_sample *s)
{
	/* Not reached: tlob_sched_accounting is never on. */
	s->run = 0;
	s->delay = 0;
	s->state = running_tlob;
}
#endif

/* @w opens for current, not stepped; @w->lock held. */
void tlob_acct_start(struct tlob_window *w)
{
	struct tlob_acct_sample s;

	lockdep_assert_held(&w->lock);
	tlob_acct_read(current, &s);
	w->acct_run = s.run;
	w->acct_delay = s.delay;
}

/*
 * Bring the clock of @w, not stepped, to @upto (window clock) from what
 * the scheduler measured by @now (@upto <= @now): its breakdown, which
 * sums to its elapsed time, and its state.  What the task did after @upto
 * is taken off the state it is in at @now.  @w->lock held.
 */
void tlob_acct_charge(struct tlob_window *w, u64 upto, u64 now)
{
	struct tlob_clock *clk = &w->clk;
	struct tlob_acct_sample s;
	u64 elapsed, run, delay, late;

	lockdep_assert_held(&w->lock);
	if (upto <= clk->t_last)
		return;
	tlob_acct_read(w->task, &s);
	run = tlob_since(s.run, w->acct_run);
	delay = tlob_since(s.delay, w->acct_delay);
	late = tlob_since(now, upto);
	if (s.state == running_tlob)
		run -= min(run, late);
	else if (s.state == waiting_tlob)
		delay -= min(delay, late);

	elapsed = upto - clk->t_start;
	run = min(run, elapsed);
	delay = min(delay, elapsed - run);
	memset(clk->ns, 0, sizeof(clk->ns));
	clk->ns[running_tlob] = run;
	clk->ns[waiting_tlob] = delay;
	clk->ns[sleeping_tlob] = elapsed - run - delay;
	clk->t_last = upto;
	clk->state = s.state;
}
