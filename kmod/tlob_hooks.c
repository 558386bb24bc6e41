// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler hooks: probes on sched_switch, sched_wakeup(_new),
 * sched_process_exit and sched_process_exec that step the automaton of
 * the windows of the tasks involved, attached only while something can
 * open a window.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/binfmts.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "tlob_internal.h"

/* Cheap exits for the common cases: no window anywhere, */
static __always_inline bool tlob_hooks_idle(void)
{
	return !atomic_read(&tlob_windows_in_use);
}

/* none that the switch and wakeup probes step (tlob_acct.c). */
static __always_inline bool tlob_hooks_unstepped(void)
{
	return !atomic_read(&tlob_stepped_windows);
}

static void tlob_sched_switch(void *data, bool preempt,
			      struct task_struct *prev,
			      struct task_struct *next,
			      unsigned int prev_state)
{
	bool runnable;

	tlob_cause_switch(next);
	if (tlob_hooks_unstepped())
		return;
	/*
	 * prev stays runnable if it was preempted, or if it tried to sleep
	 * with a signal pending: __schedule() then set it back to
	 * TASK_RUNNING before this tracepoint, while prev_state still shows
	 * the sleep it tried.  It waits on the runqueue either way.
	 */
	runnable = preempt || READ_ONCE(prev->__state) == TASK_RUNNING;
	tlob_window_sched_switch(prev, next,
				 runnable ? preempt_tlob : sleep_tlob);
}

static void tlob_sched_wakeup(void *data, struct task_struct *p)
{
	if (tlob_hooks_unstepped())
		return;
	tlob_window_wakeup(p);
}

/* sched_waking, in the waker's context: the waker of a cause. */
static void tlob_sched_waking(void *data, struct task_struct *p)
{
	if (!atomic_read(&tlob_cause_windows))
		return;
	tlob_window_waking(p);
}

/* The task is exiting (p == current): free its windows without report. */
static void tlob_sched_process_exit(void *data, struct task_struct *p)
{
	if (tlob_hooks_idle())
		return;
	tlob_window_discard_task(p);
}

/*
 * The task replaced its program (p == current): a window must not time
 * another program than the one it was opened in.  Its windows end
 * without report, as at exit.
 */
static void tlob_sched_process_exec(void *data, struct task_struct *p,
				    pid_t old_pid, struct linux_binprm *bprm)
{
	if (tlob_hooks_idle())
		return;
	tlob_window_discard_task(p);
}

struct tlob_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static struct tlob_tracepoint tlob_tracepoints[] = {
	{ .name = "sched_switch", .probe = tlob_sched_switch },
	{ .name = "sched_wakeup", .probe = tlob_sched_wakeup },
	{ .name = "sched_wakeup_new", .probe = tlob_sched_wakeup },
	{ .name = "sched_waking", .probe = tlob_sched_waking },
	{ .name = "sched_process_exit", .probe = tlob_sched_process_exit },
	{ .name = "sched_process_exec", .probe = tlob_sched_process_exec },
	/* Not the scheduler's: cgroup moves, for bindings' uprobe filters. */
	{ .name = "cgroup_attach_task", .probe = tlob_cgroup_attach },
};

static void tlob_tracepoint_lookup(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tlob_tracepoints); i++) {
		if (!strcmp(tp->name, tlob_tracepoints[i].name))
			tlob_tracepoints[i].tp = tp;
	}
}

/*
 * The hooks are attached only while something can open a window: a
 * binding exists or a /dev/rv file has used TRACE_START.  A loaded but
 * unused module then costs the scheduler nothing; the events of
 * instances/tlob are enabled with them (tlob_main.c).  Detaching waits a
 * second after the last user left, so that open/close churn does not
 * attach and detach (and patch kernel text) every time.
 */
static DEFINE_MUTEX(tlob_hooks_mutex);
static unsigned int tlob_hooks_users;	/* under tlob_hooks_mutex */
static bool tlob_hooks_attached;	/* under tlob_hooks_mutex */

static void tlob_hooks_detach_from(unsigned int n)
{
	while (n--)
		tracepoint_probe_unregister(tlob_tracepoints[n].tp,
					    tlob_tracepoints[n].probe, NULL);
	/* No probe runs any more once this returns. */
	tracepoint_synchronize_unregister();
}

static int tlob_hooks_attach(void)
{
	unsigned int i;
	int ret;

	lockdep_assert_held(&tlob_hooks_mutex);
	tlob_window_forget_cpus();
	tlob_cause_forget_cpus();
	for (i = 0; i < ARRAY_SIZE(tlob_tracepoints); i++) {
		ret = tracepoint_probe_register(tlob_tracepoints[i].tp,
						tlob_tracepoints[i].probe,
						NULL);
		if (ret) {
			tlob_hooks_detach_from(i);
			return ret;
		}
	}
	tlob_instance_events(true);
	return 0;
}

static void tlob_hooks_idle_fn(struct work_struct *work)
{
	mutex_lock(&tlob_hooks_mutex);
	/* No user: no window can be open, none can open. */
	if (!tlob_hooks_users && tlob_hooks_attached) {
		tlob_instance_events(false);
		tlob_hooks_detach_from(ARRAY_SIZE(tlob_tracepoints));
		tlob_hooks_attached = false;
	}
	mutex_unlock(&tlob_hooks_mutex);
}

static DECLARE_DELAYED_WORK(tlob_hooks_idle_work, tlob_hooks_idle_fn);

/* Find the tracepoints at load, so that a kernel without them fails it. */
int tlob_hooks_init(void)
{
	unsigned int i;

	for_each_kernel_tracepoint(tlob_tracepoint_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(tlob_tracepoints); i++) {
		if (!tlob_tracepoints[i].tp) {
			pr_err("tracepoint %s not found\n",
			       tlob_tracepoints[i].name);
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * Take a reference on the hooks before anything that may open windows;
 * they are attached when this returns 0.  Sleeps.
 */
int tlob_hooks_get(void)
{
	int ret = 0;

	mutex_lock(&tlob_hooks_mutex);
	if (!tlob_hooks_attached) {
		ret = tlob_hooks_attach();
		tlob_hooks_attached = !ret;
	}
	if (!ret)
		tlob_hooks_users++;
	mutex_unlock(&tlob_hooks_mutex);
	return ret;
}

/* Drop it once the windows it allowed are closed.  Sleeps. */
void tlob_hooks_put(void)
{
	mutex_lock(&tlob_hooks_mutex);
	if (!--tlob_hooks_users)
		mod_delayed_work(system_wq, &tlob_hooks_idle_work, HZ);
	mutex_unlock(&tlob_hooks_mutex);
}

/* Unload: every user is gone; detach now if still attached. */
void tlob_hooks_exit(void)
{
	cancel_delayed_work_sync(&tlob_hooks_idle_work);
	tlob_hooks_idle_fn(NULL);
}
