// SPDX-License-Identifier: GPL-2.0
/*
 * The uprobes of a binding: START opens a window of the task that hits it,
 * STOP (or the return from START) closes it.
 *
 * The handlers run in the context of the probed task and reach their
 * binding through the consumer embedded in it; they may sleep but never
 * allocate, and never register or unregister probes.
 *
 * A binding with a cgroup has breakpoints only in the processes of that
 * cgroup: the consumers' filter asks tlob_binding_match_mm() for each
 * process mapping the file, when the probe is registered and when a
 * process maps the file (exec).  A process that left the cgroup has its
 * breakpoint removed at its next hit (the handler answers
 * UPROBE_HANDLER_REMOVE); one that moved in gets them from
 * tlob_uprobe_kick(), which tlob_cgroup.c calls after cgroup moves.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/uprobes.h>

#include "tlob_internal.h"

/*
 * START: open a window of current, unless it has one of this binding
 * already.  Recursion counts only the outermost START/STOP pair: with an
 * entry-to-entry binding by nesting depth; with an entry-to-return one by
 * the user stack pointer, so that a return the kernel did not report (a
 * longjmp or an exception out of the function, uretprobe nesting limits)
 * cannot keep a window open: a START above the frame the window was
 * opened in finds that frame gone, ends the window without a report and
 * opens a new one.
 */
static int tlob_uprobe_start(struct tlob_binding *b, struct pt_regs *regs)
{
	struct tlob_window_args args = {
		.binding = b,
		.owner = b->owner,
		.threshold_ns = b->threshold_ns,
		.cookie = b->cookie,
		.cause = b->flags & TLOB_BIND_CAUSE,
		.signal = b->signal,
		.sp = user_stack_pointer(regs),
	};
	struct tlob_window *w;
	unsigned long flags;
	bool stale;

	if (!tlob_binding_match_task(b))
		return tlob_binding_match_mm(b, current->mm) ?
		       0 : UPROBE_HANDLER_REMOVE;
	if (!READ_ONCE(b->active) || !READ_ONCE(tlob_enabled))
		return 0;

	rcu_read_lock();
	w = tlob_find_binding_window(b, &flags);
	if (w) {
		/* A call at or above the window's frame: that frame is gone. */
		stale = tlob_binding_on_return(b) && args.sp >= w->sp;
		if (!stale)
			w->depth++;
		else
			stale = tlob_window_end(w, NULL);
		raw_spin_unlock_irqrestore(&w->lock, flags);
		rcu_read_unlock();
		if (!stale)
			return 0;
		tlob_window_finish(w, NULL, true);
	} else {
		rcu_read_unlock();
	}

	w = tlob_window_open(&args);
	if (PTR_ERR_OR_ZERO(w) == -ENOSPC)
		tlob_binding_missed(b);
	return 0;
}

/* STOP, or (@ret) a return from START: close the outermost window. */
static void tlob_uprobe_stop(struct tlob_binding *b, struct pt_regs *regs,
			     bool ret)
{
	struct tlob_window_result res;
	struct tlob_window *w;
	unsigned long flags;
	bool closed = false;

	rcu_read_lock();
	w = tlob_find_binding_window(b, &flags);
	if (!w) {
		rcu_read_unlock();
		return;
	}
	/* A return pops the frame: above the window's only for its own. */
	if (ret ? user_stack_pointer(regs) > w->sp : !--w->depth)
		closed = tlob_window_end(w, &res);
	raw_spin_unlock_irqrestore(&w->lock, flags);
	rcu_read_unlock();
	/* Having closed it, we own @w until tlob_window_finish(). */
	if (closed)
		tlob_window_finish(w, &res, true);
}

static int tlob_start_handler(struct uprobe_consumer *uc,
			      struct pt_regs *regs)
{
	return tlob_uprobe_start(container_of(uc, struct tlob_binding,
					      start_probe.uc), regs);
}

static int tlob_stop_handler(struct uprobe_consumer *uc,
			     struct pt_regs *regs)
{
	struct tlob_binding *b = container_of(uc, struct tlob_binding,
					      stop_probe.uc);

	if (tlob_binding_has_cgroup(b) && !tlob_binding_match_task(b) &&
	    !tlob_binding_match_mm(b, current->mm))
		return UPROBE_HANDLER_REMOVE;
	tlob_uprobe_stop(b, regs, false);
	return 0;
}

static int tlob_ret_handler(struct uprobe_consumer *uc, unsigned long func,
			    struct pt_regs *regs)
{
	tlob_uprobe_stop(container_of(uc, struct tlob_binding,
				      start_probe.uc), regs, true);
	return 0;
}

/* A kick consumer only installs breakpoints; it measures nothing. */
static int tlob_kick_handler(struct uprobe_consumer *uc, struct pt_regs *regs)
{
	return 0;
}

/* Uprobe filter: breakpoints only in processes of the binding's cgroup. */
bool tlob_uprobe_filter_mm(struct uprobe_consumer *uc, struct mm_struct *mm)
{
	struct tlob_uprobe *p = container_of(uc, struct tlob_uprobe, uc);

	return tlob_binding_match_mm(p->priv, mm);
}

static void tlob_uprobe_init(struct tlob_uprobe *p, struct tlob_binding *b)
{
	p->priv = b;
	if (tlob_binding_has_cgroup(b))
		p->uc.filter = tlob_uprobe_filter;
}

/* After the binding's cgroup filter is set. */
void tlob_uprobe_init_binding(struct tlob_binding *b)
{
	tlob_uprobe_init(&b->start_probe, b);
	tlob_uprobe_init(&b->stop_probe, b);
	tlob_uprobe_init(&b->kick_start, b);
	tlob_uprobe_init(&b->kick_stop, b);
	b->start_probe.uc.handler = tlob_start_handler;
	if (tlob_binding_on_return(b))
		b->start_probe.uc.ret_handler = tlob_ret_handler;
	else
		b->stop_probe.uc.handler = tlob_stop_handler;
	b->kick_start.uc.handler = tlob_kick_handler;
	b->kick_stop.uc.handler = tlob_kick_handler;
}

/*
 * Install @b's breakpoints in the processes its filter now accepts (some
 * moved into its cgroup): registering a consumer with the same filter
 * installs them where it says yes, and unregistering it removes them only
 * where no consumer of the probe wants them any more.  STOP first, so that
 * no window opens that could not close.  tlob_bind_mutex held; the caller
 * syncs (tlob_uprobe_unregister_sync()) before the next kick or the
 * binding's removal.
 */
void tlob_uprobe_kick(struct tlob_binding *b)
{
	lockdep_assert_held(&tlob_bind_mutex);
	if (!tlob_binding_on_return(b) &&
	    !tlob_uprobe_register(&b->kick_stop, b->inode, b->stop_offset))
		tlob_uprobe_unregister(&b->kick_stop);
	if (!tlob_uprobe_register(&b->kick_start, b->inode, b->start_offset))
		tlob_uprobe_unregister(&b->kick_start);
}

/* Probe offsets must lie inside the file. */
static bool tlob_uprobe_offsets_valid(const struct tlob_binding *b)
{
	loff_t size = i_size_read(b->inode);

	if (b->start_offset >= size)
		return false;
	return tlob_binding_on_return(b) || b->stop_offset < size;
}

int tlob_uprobe_arm(struct tlob_binding *b)
{
	int ret;

	if (!tlob_uprobe_offsets_valid(b))
		return -EINVAL;
	ret = tlob_uprobe_register(&b->start_probe, b->inode, b->start_offset);
	if (ret || tlob_binding_on_return(b))
		return ret;
	ret = tlob_uprobe_register(&b->stop_probe, b->inode, b->stop_offset);
	if (ret) {
		tlob_uprobe_unregister(&b->start_probe);
		tlob_uprobe_unregister_sync();
		/* No handler runs any more: close what START opened. */
		WRITE_ONCE(b->dying, true);
		tlob_close_dying_windows();
	}
	return ret;
}

/*
 * Unregister @b's probes.  Its handlers may still run until
 * tlob_uprobe_unregister_sync(), which one batch of removals calls once.
 */
void tlob_uprobe_disarm_nosync(struct tlob_binding *b)
{
	tlob_uprobe_unregister(&b->start_probe);
	if (!tlob_binding_on_return(b))
		tlob_uprobe_unregister(&b->stop_probe);
}
