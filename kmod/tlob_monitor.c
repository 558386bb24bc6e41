// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor: opening and closing windows, stepping their automaton from
 * the scheduler tracepoints, and the per-window budget timer.
 *
 * Contexts: tlob_window_open() runs in task context (ioctl or uprobe
 * handler) for current.  The sched_switch and sched_wakeup probes run with
 * interrupts disabled under the runqueue lock, the sched_process_exit probe
 * with preemption disabled, the timer in hard interrupt context: those
 * paths only take raw spinlocks, never allocate and never wake a task
 * directly (tlob_report() defers wakeups to irq_work).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/rculist.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "tlob_internal.h"
#include "tlob_trace.h"

/* tlob_event.state carries the model's state numbers. */
static_assert(running_tlob == TLOB_STATE_RUNNING);
static_assert(waiting_tlob == TLOB_STATE_WAITING);
static_assert(sleeping_tlob == TLOB_STATE_SLEEPING);

/* Apply one event; @w->lock held, @w live. */
static void __tlob_window_step(struct tlob_window *w, unsigned int event,
			       u64 now)
{
	unsigned int state = w->clk.state;
	unsigned int next;

	next = tlob_clock_step(&w->clk, event, now);
	if (next == INVALID_STATE_TLOB)
		return;
	trace_event_tlob(w->tid, tlob_state_name(state),
			 tlob_event_name(event), tlob_state_name(next));
}

/*
 * Apply @event.  A task the model believes sleeping can be switched in (or
 * stop its window) without a wakeup event: __schedule() keeps a task that
 * tried to sleep with a signal pending on the runqueue, and reports it with
 * its sleeping state.  Such a task was runnable all along, so the missing
 * wakeup (and switch_in) are applied first, at the same instant.
 */
static void tlob_window_step(struct tlob_window *w, unsigned int event,
			     u64 now)
{
	lockdep_assert_held(&w->lock);

	if (event == switch_in_tlob || event == stop_tlob) {
		if (w->clk.state == sleeping_tlob)
			__tlob_window_step(w, wakeup_tlob, now);
		if (event == stop_tlob && w->clk.state == waiting_tlob)
			__tlob_window_step(w, switch_in_tlob, now);
	}
	__tlob_window_step(w, event, now);
}

static void tlob_result_fill(struct tlob_window_result *res,
			     const struct tlob_window *w, u64 now)
{
	res->elapsed_ns = tlob_clock_elapsed(&w->clk);
	memcpy(res->ns, w->clk.ns, sizeof(res->ns));
	res->timestamp_ns = now;
	res->violated = w->violated;
	res->expiry_state = w->expiry_state;
}

void tlob_fill_event(struct tlob_event *ev, const struct tlob_window *w,
		     const struct tlob_window_result *res, u16 type)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = type;
	ev->state = res->expiry_state;
	ev->tgid = w->tgid;
	ev->tid = w->tid;
	ev->binding_id = w->binding ? w->binding->id : 0;
	ev->cookie = w->cookie;
	ev->cgroup_id = w->cgroup_id;
	ev->threshold_ns = w->threshold_ns;
	ev->elapsed_ns = res->elapsed_ns;
	ev->running_ns = res->ns[running_tlob];
	ev->waiting_ns = res->ns[waiting_tlob];
	ev->sleeping_ns = res->ns[sleeping_tlob];
	ev->timestamp_ns = res->timestamp_ns;
	memcpy(ev->comm, w->comm, sizeof(ev->comm));
}

/* The budget expired: hard interrupt context. */
static enum hrtimer_restart tlob_timer_fn(struct hrtimer *timer)
{
	struct tlob_window *w = container_of(timer, struct tlob_window, timer);
	struct tlob_window_result res;
	struct tlob_event ev;
	unsigned long flags;
	u64 now;

	raw_spin_lock_irqsave(&w->lock, flags);
	if (!w->live || w->violated)
		goto out_unlock;

	now = ktime_get_ns();
	tlob_clock_charge(&w->clk, now);
	w->violated = true;
	w->expiry_state = w->clk.state;
	tlob_result_fill(&res, w, now);
	atomic64_inc(&tlob_counters.violations);

	trace_error_env_tlob(w->tid, tlob_state_name(w->clk.state),
			     "budget_exceeded", "clk_elapsed");
	trace_detail_env_tlob(w->tid, w->tgid,
			      w->binding ? w->binding->id : 0,
			      w->threshold_ns, res.ns[running_tlob],
			      res.ns[waiting_tlob], res.ns[sleeping_tlob]);

	/* Under @w->lock: whoever closes @w waits for this report. */
	tlob_fill_event(&ev, w, &res, TLOB_EV_VIOLATION);
	tlob_report(w->owner, &ev);
out_unlock:
	raw_spin_unlock_irqrestore(&w->lock, flags);
	return HRTIMER_NORESTART;
}

/*
 * Open a window for current, in state running.  Returns ERR_PTR(-ENODEV)
 * if the monitor is disabled, ERR_PTR(-ENOSPC) if the pool is exhausted.
 */
struct tlob_window *tlob_window_open(struct tlob_window_args *args,
				     bool may_sleep)
{
	struct task_struct *task = current;
	struct tlob_window *w;
	unsigned long flags;
	u64 cgid;

	if (!READ_ONCE(tlob_enabled))
		return ERR_PTR(-ENODEV);
	w = tlob_pool_get(may_sleep);
	if (!w)
		return ERR_PTR(-ENOSPC);

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
	w->violated = false;
	w->expiry_state = running_tlob;
	strscpy_pad(w->comm, task->comm, sizeof(w->comm));
	tlob_clock_start(&w->clk, ktime_get_ns());
	/*
	 * Hashed and armed under @w->lock: a closer scanning the pool cannot
	 * see the window live before it is hashed and its timer started.
	 */
	if (!tlob_hash_add(w)) {
		raw_spin_unlock_irqrestore(&w->lock, flags);
		tlob_pool_put(w);
		return ERR_PTR(-ENODEV);
	}
	w->live = true;
	hrtimer_start(&w->timer, ns_to_ktime(args->threshold_ns),
		      HRTIMER_MODE_REL_HARD);
	trace_event_tlob(w->tid, tlob_state_name(stopped_tlob),
			 tlob_event_name(start_tlob),
			 tlob_state_name(running_tlob));
	raw_spin_unlock_irqrestore(&w->lock, flags);

	atomic_inc(&tlob_counters.windows_in_use);
	atomic64_inc(&tlob_counters.windows_started);
	return w;
}

/*
 * Close @w if it is still live; @w->lock held.  With @res, the window
 * completes (event "stop") and @res receives its measurements; without,
 * it is discarded silently.  Returns true if the caller closed it and must
 * call tlob_window_finish() after dropping the lock.
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
		tlob_window_step(w, stop_tlob, now);
		tlob_result_fill(res, w, now);
	}
	return true;
}

/*
 * Second half of closing a window, without its lock: stop the timer,
 * unhash, report a completed window, and recycle it after a grace period
 * (the scheduler hooks and a running timer callback may still see it).
 */
void tlob_window_finish(struct tlob_window *w,
			const struct tlob_window_result *res, bool may_sleep)
{
	struct tlob_event ev;

	if (may_sleep)
		hrtimer_cancel(&w->timer);
	else
		hrtimer_try_to_cancel(&w->timer);
	tlob_hash_del(w);
	atomic_dec(&tlob_counters.windows_in_use);
	if (w->charge)
		tlob_uid_uncharge(w->charge);

	if (res) {
		atomic64_inc(&tlob_counters.windows_completed);
		trace_window_tlob(w->tid, w->binding ? w->binding->id : 0,
				  res->elapsed_ns, res->violated);
		if (w->binding)
			tlob_binding_account(w->binding, res);
		if (res->violated) {
			tlob_fill_event(&ev, w, res, TLOB_EV_WINDOW_END);
			tlob_report(w->owner, &ev);
		}
	}
	tlob_pool_put(w);
}

/* Close @w silently if still live (task exit, disable, unbind, close). */
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

static void tlob_close_matching(struct tlob_binding *b, bool all)
{
	struct tlob_window *w;
	unsigned long flags;
	unsigned int i;
	bool closed;

	for (i = 0; i < tlob_max_windows; i++) {
		w = tlob_pool_slot(i);
		raw_spin_lock_irqsave(&w->lock, flags);
		closed = (all || w->binding == b) && tlob_window_end(w, NULL);
		raw_spin_unlock_irqrestore(&w->lock, flags);
		if (closed)
			tlob_window_finish(w, NULL, true);
		cond_resched();
	}
}

/* Discard every open window; sleepable.  Call with tlob_enabled false. */
void tlob_close_all(void)
{
	tlob_close_matching(NULL, true);
}

/* Discard the windows of @b, whose probes are already unregistered. */
void tlob_close_binding_windows(struct tlob_binding *b)
{
	tlob_close_matching(b, false);
}

/*
 * The live window of current opened by @b, returned with its lock held
 * (irq flags in @flags), or NULL.  Call under rcu_read_lock().
 */
struct tlob_window *tlob_find_binding_window(struct tlob_binding *b,
					     unsigned long *flags)
{
	struct task_struct *task = current;
	struct tlob_window *w;

	hlist_for_each_entry_rcu(w, tlob_hash_bucket(task), hnode) {
		if (READ_ONCE(w->task) != task || READ_ONCE(w->binding) != b)
			continue;
		raw_spin_lock_irqsave(&w->lock, *flags);
		if (w->live && w->task == task && w->binding == b)
			return w;
		raw_spin_unlock_irqrestore(&w->lock, *flags);
	}
	return NULL;
}

/*
 * Step every window of @task.  Scheduler context: the sched_switch and
 * sched_wakeup probes run with interrupts disabled, which is an RCU
 * read-side critical section for the hash walk (the grace period before
 * a closed window is reused waits for it).
 */
static void tlob_task_event(struct task_struct *task, unsigned int event)
{
	struct tlob_window *w;
	u64 now = 0;

	lockdep_assert_irqs_disabled();
	hlist_for_each_entry_rcu(w, tlob_hash_bucket(task), hnode) {
		if (READ_ONCE(w->task) != task)
			continue;
		raw_spin_lock(&w->lock);
		if (w->live && w->task == task) {
			if (!now)
				now = ktime_get_ns();
			tlob_window_step(w, event, now);
		}
		raw_spin_unlock(&w->lock);
	}
}

/* Cheap exit for the common case: no window anywhere. */
static inline bool tlob_hooks_idle(void)
{
	return !atomic_read(&tlob_counters.windows_in_use);
}

static void tlob_sched_switch(void *data, bool preempt,
			      struct task_struct *prev,
			      struct task_struct *next,
			      unsigned int prev_state)
{
	if (tlob_hooks_idle())
		return;
	/* prev_state is the raw __state: 0 (TASK_RUNNING) means preempted. */
	tlob_task_event(prev, preempt || prev_state == TASK_RUNNING ?
			      preempt_tlob : sleep_tlob);
	tlob_task_event(next, switch_in_tlob);
}

static void tlob_sched_wakeup(void *data, struct task_struct *p)
{
	if (tlob_hooks_idle())
		return;
	tlob_task_event(p, wakeup_tlob);
}

/* The task is exiting (p == current): free its windows without report. */
static void tlob_sched_process_exit(void *data, struct task_struct *p)
{
	struct tlob_window *w;

	if (tlob_hooks_idle())
		return;
	rcu_read_lock();
	hlist_for_each_entry_rcu(w, tlob_hash_bucket(p), hnode) {
		if (READ_ONCE(w->task) == p)
			tlob_window_discard(w, false);
	}
	rcu_read_unlock();
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
	{ .name = "sched_process_exit", .probe = tlob_sched_process_exit },
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
 * The scheduler hooks are attached only while something can open a
 * window: a binding exists or a /dev/rv file has used TRACE_START.  A
 * loaded but unused module then costs the scheduler nothing.  Detaching
 * waits a second after the last user left, so that open/close churn does
 * not attach and detach (and patch kernel text) every time.
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
	for (i = 0; i < ARRAY_SIZE(tlob_tracepoints); i++) {
		ret = tracepoint_probe_register(tlob_tracepoints[i].tp,
						tlob_tracepoints[i].probe,
						NULL);
		if (ret) {
			tlob_hooks_detach_from(i);
			return ret;
		}
	}
	return 0;
}

static void tlob_hooks_idle_fn(struct work_struct *work)
{
	mutex_lock(&tlob_hooks_mutex);
	/* No user: no window can be open, none can open. */
	if (!tlob_hooks_users && tlob_hooks_attached) {
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

/* Timers are set up once, for the life of the pool. */
void tlob_monitor_init_window(struct tlob_window *w)
{
	hrtimer_init(&w->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	w->timer.function = tlob_timer_fn;
}
