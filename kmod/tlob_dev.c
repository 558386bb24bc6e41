// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/rv: self-instrumentation, fd-owned bindings and the event rings.
 *
 * Each open file has a ring of struct tlob_event records, filled by
 * tlob_report() from the budget timer (hard interrupt) and the uprobe
 * handlers, under a raw spinlock; wakeups of readers go through irq_work so
 * that the timer never takes a sleeping lock, even on PREEMPT_RT.  Files
 * subscribed with TLOB_SUB_ALL are on an RCU list; release takes the file
 * off it and waits for a grace period before freeing the ring.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "tlob_internal.h"

static DEFINE_MUTEX(tlob_sub_mutex);
static LIST_HEAD(tlob_subscribers);	/* under tlob_sub_mutex, RCU */

/*
 * Self-instrumented windows open for each non-root user, against
 * max_user_windows.  An entry is created (sleepable, under tlob_uid_mutex)
 * the first time a uid opens a window and lives until unload; its count is
 * atomic because a window is uncharged by whoever closes it, which may be
 * the task-exit probe.
 */
struct tlob_uid_charge {
	struct hlist_node node;		/* under tlob_uid_mutex */
	kuid_t uid;
	atomic_t count;
};

static DEFINE_MUTEX(tlob_uid_mutex);
static DEFINE_HASHTABLE(tlob_uid_charges, 6);	/* under tlob_uid_mutex */

static struct tlob_uid_charge *tlob_uid_get(kuid_t uid)
{
	struct tlob_uid_charge *c;

	mutex_lock(&tlob_uid_mutex);
	hash_for_each_possible(tlob_uid_charges, c, node, __kuid_val(uid)) {
		if (uid_eq(c->uid, uid))
			goto out_unlock;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (c) {
		c->uid = uid;
		hash_add(tlob_uid_charges, &c->node, __kuid_val(uid));
	}
out_unlock:
	mutex_unlock(&tlob_uid_mutex);
	return c;
}

/* Count one more open window for @uid; its window uncharges it. */
static int tlob_uid_charge(kuid_t uid, struct tlob_uid_charge **charge)
{
	struct tlob_uid_charge *c = tlob_uid_get(uid);
	int old;

	if (!c)
		return -ENOMEM;
	old = atomic_read(&c->count);
	do {
		if (old >= READ_ONCE(tlob_max_user_windows))
			return -ENOSPC;
	} while (!atomic_try_cmpxchg(&c->count, &old, old + 1));
	*charge = c;
	return 0;
}

/* Any context. */
void tlob_uid_uncharge(struct tlob_uid_charge *c)
{
	atomic_dec(&c->count);
}

/* Unload, once every window is closed. */
void tlob_uid_charges_free(void)
{
	struct tlob_uid_charge *c;
	struct hlist_node *tmp;
	int bkt;

	hash_for_each_safe(tlob_uid_charges, bkt, tmp, c, node) {
		hash_del(&c->node);
		kfree(c);
	}
}

/* Ring: records [head, head + count) modulo size.  @ctx->ring_lock held. */
static struct tlob_event *tlob_ring_tail(struct tlob_fd *ctx)
{
	return &ctx->ring[(ctx->ring_head + ctx->ring_count) % ctx->ring_size];
}

/* Report drops with one LOST record as soon as there is room. */
static void tlob_ring_flush_lost(struct tlob_fd *ctx)
{
	struct tlob_event *ev;

	lockdep_assert_held(&ctx->ring_lock);
	if (!ctx->ring || !ctx->ring_lost ||
	    ctx->ring_count == ctx->ring_size)
		return;
	ev = tlob_ring_tail(ctx);
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = TLOB_EV_LOST;
	ev->lost = ctx->ring_lost;
	ev->timestamp_ns = ktime_get_ns();
	ctx->ring_lost = 0;
	ctx->ring_count++;
}

static void tlob_ring_push(struct tlob_fd *ctx, const struct tlob_event *ev)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ctx->ring_lock, flags);
	tlob_ring_flush_lost(ctx);
	if (ctx->ring && ctx->ring_count < ctx->ring_size) {
		*tlob_ring_tail(ctx) = *ev;
		ctx->ring_count++;
	} else {
		ctx->ring_lost++;
		atomic64_inc(&tlob_counters.events_dropped);
	}
	raw_spin_unlock_irqrestore(&ctx->ring_lock, flags);
	irq_work_queue(&ctx->wakeup_work);
}

/*
 * The ring is allocated by the first ioctl that can make records arrive
 * (TRACE_START, BIND, SUBSCRIBE), so idle open files cost little memory.
 */
static int tlob_ring_alloc(struct tlob_fd *ctx)
{
	struct tlob_event *ring;
	unsigned long flags;

	if (READ_ONCE(ctx->ring))
		return 0;
	ring = kvcalloc(ctx->ring_size, sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return -ENOMEM;
	raw_spin_lock_irqsave(&ctx->ring_lock, flags);
	if (!ctx->ring)
		swap(ctx->ring, ring);
	raw_spin_unlock_irqrestore(&ctx->ring_lock, flags);
	kvfree(ring);
	return 0;
}

static bool tlob_ring_pop(struct tlob_fd *ctx, struct tlob_event *ev)
{
	unsigned long flags;
	bool found = false;

	raw_spin_lock_irqsave(&ctx->ring_lock, flags);
	tlob_ring_flush_lost(ctx);
	if (ctx->ring_count) {
		*ev = ctx->ring[ctx->ring_head];
		ctx->ring_head = (ctx->ring_head + 1) % ctx->ring_size;
		ctx->ring_count--;
		found = true;
	}
	raw_spin_unlock_irqrestore(&ctx->ring_lock, flags);
	return found;
}

static bool tlob_ring_pending(struct tlob_fd *ctx)
{
	unsigned long flags;
	bool pending;

	raw_spin_lock_irqsave(&ctx->ring_lock, flags);
	pending = ctx->ring_count || ctx->ring_lost;
	raw_spin_unlock_irqrestore(&ctx->ring_lock, flags);
	return pending;
}

/*
 * Queue @ev for @owner (may be NULL) and every TLOB_SUB_ALL subscriber.
 * Any context.  Callers guarantee @owner stays alive: they hold the lock
 * of a live window of it, or run in a uprobe handler of its binding.
 */
void tlob_report(struct tlob_fd *owner, const struct tlob_event *ev)
{
	struct tlob_fd *ctx;

	if (owner)
		tlob_ring_push(owner, ev);
	rcu_read_lock();
	list_for_each_entry_rcu(ctx, &tlob_subscribers, sub_node) {
		if (ctx != owner)
			tlob_ring_push(ctx, ev);
	}
	rcu_read_unlock();
}

static void tlob_wakeup_fn(struct irq_work *work)
{
	struct tlob_fd *ctx = container_of(work, struct tlob_fd, wakeup_work);

	wake_up_interruptible_poll(&ctx->wq, EPOLLIN | EPOLLRDNORM | EPOLLPRI);
}

static void tlob_self_forget(struct tlob_fd *ctx)
{
	lockdep_assert_held(&ctx->lock);
	ctx->self = NULL;
}

/*
 * The fd's self-instrumented window, locked, if it is still open; it may
 * have been closed behind the fd's back (task exit, disable).
 */
static struct tlob_window *tlob_self_lock(struct tlob_fd *ctx,
					  unsigned long *flags)
{
	struct tlob_window *w = ctx->self;

	lockdep_assert_held(&ctx->lock);
	if (!w)
		return NULL;
	raw_spin_lock_irqsave(&w->lock, *flags);
	if (w->live && w->gen == ctx->self_gen && w->owner == ctx &&
	    !w->binding)
		return w;
	raw_spin_unlock_irqrestore(&w->lock, *flags);
	tlob_self_forget(ctx);
	return NULL;
}

static long tlob_ioctl_trace_start(struct tlob_fd *ctx,
				   struct tlob_start_args __user *uarg)
{
	struct tlob_window_args args = { .owner = ctx };
	struct tlob_start_args a;
	struct tlob_window *w;
	unsigned long flags;
	kuid_t uid = current_uid();
	bool charge = !uid_eq(uid, GLOBAL_ROOT_UID);
	long ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.reserved)
		return -EINVAL;
	if (!a.threshold_ns || a.threshold_ns > TLOB_MAX_THRESHOLD_NS)
		return -ERANGE;
	if (!READ_ONCE(tlob_enabled))
		return -ENODEV;
	args.threshold_ns = a.threshold_ns;
	args.cookie = a.tag;

	mutex_lock(&ctx->lock);
	w = tlob_self_lock(ctx, &flags);
	if (w) {
		raw_spin_unlock_irqrestore(&w->lock, flags);
		ret = -EALREADY;
		goto out_unlock;
	}
	ret = tlob_ring_alloc(ctx);
	if (ret)
		goto out_unlock;
	if (charge) {
		ret = tlob_uid_charge(uid, &args.charge);
		if (ret)
			goto out_unlock;
	}
	if (!ctx->hooks_held) {
		ret = tlob_hooks_get();
		if (ret)
			goto out_uncharge;
		ctx->hooks_held = true;
	}
	w = tlob_window_open(&args, true);
	if (IS_ERR(w)) {
		ret = PTR_ERR(w);
		goto out_uncharge;
	}
	ctx->self = w;
	ctx->self_gen = args.gen;
	mutex_unlock(&ctx->lock);
	return 0;

out_uncharge:
	if (args.charge)
		tlob_uid_uncharge(args.charge);
out_unlock:
	mutex_unlock(&ctx->lock);
	return ret;
}

/* TRACE_STOP (@uarg NULL) and TRACE_STOP_RESULT. */
static long tlob_ioctl_trace_stop(struct tlob_fd *ctx,
				  struct tlob_result __user *uarg)
{
	struct tlob_window_result res;
	struct tlob_result r = { };
	struct tlob_window *w;
	unsigned long flags;
	long ret;

	mutex_lock(&ctx->lock);
	w = tlob_self_lock(ctx, &flags);
	if (!w) {
		mutex_unlock(&ctx->lock);
		return -EINVAL;
	}
	if (w->task != current) {
		raw_spin_unlock_irqrestore(&w->lock, flags);
		mutex_unlock(&ctx->lock);
		return -EPERM;
	}
	r.threshold_ns = w->threshold_ns;
	tlob_window_end(w, &res);
	raw_spin_unlock_irqrestore(&w->lock, flags);
	tlob_window_finish(w, &res, true);
	tlob_self_forget(ctx);
	mutex_unlock(&ctx->lock);

	ret = res.violated ? -EOVERFLOW : 0;
	if (uarg) {
		r.elapsed_ns = res.elapsed_ns;
		r.running_ns = res.ns[running_tlob];
		r.waiting_ns = res.ns[waiting_tlob];
		r.sleeping_ns = res.ns[sleeping_tlob];
		r.violated = res.violated;
		if (copy_to_user(uarg, &r, sizeof(r)))
			ret = -EFAULT;
	}
	return ret;
}

static long tlob_ioctl_bind(struct tlob_fd *ctx,
			    struct tlob_bind_args __user *uarg)
{
	struct tlob_bind_spec spec = { .owner = ctx };
	struct tlob_bind_args a;
	struct file *file;
	u32 id;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~TLOB_BIND_FLAGS_ALL) || a.reserved)
		return -EINVAL;
	ret = tlob_ring_alloc(ctx);
	if (ret)
		return ret;
	if (!a.threshold_ns || a.threshold_ns > TLOB_MAX_THRESHOLD_NS)
		return -EINVAL;
	spec.on_return = a.flags & TLOB_BIND_STOP_ON_RETURN;
	if (spec.on_return ? a.stop_offset != 0 :
			     a.stop_offset == a.start_offset)
		return -EINVAL;

	file = fget(a.fd);
	if (!file)
		return -EBADF;
	spec.path = &file->f_path;
	spec.start_offset = a.start_offset;
	spec.stop_offset = a.stop_offset;
	spec.threshold_ns = a.threshold_ns;
	spec.cgroup_id = a.cgroup_id;
	spec.cookie = a.cookie;
	ret = tlob_binding_add(&spec, &id);
	fput(file);
	if (ret)
		return ret;

	a.id = id;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		tlob_binding_remove(id, ctx);
		return -EFAULT;
	}
	return 0;
}

static long tlob_ioctl_unbind(struct tlob_fd *ctx, u32 __user *uarg)
{
	u32 id;

	if (get_user(id, uarg))
		return -EFAULT;
	return tlob_binding_remove(id, ctx);
}

static long tlob_ioctl_binding_stats(struct tlob_binding_stats __user *uarg)
{
	struct tlob_binding_stats st;
	int ret;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (st.reserved)
		return -EINVAL;
	ret = tlob_binding_get_stats(&st);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static void tlob_unsubscribe(struct tlob_fd *ctx)
{
	bool was_subscribed;

	mutex_lock(&tlob_sub_mutex);
	was_subscribed = ctx->subscribed;
	if (was_subscribed) {
		list_del_rcu(&ctx->sub_node);
		ctx->subscribed = false;
	}
	mutex_unlock(&tlob_sub_mutex);
	/*
	 * Pairs with rcu_read_lock() in tlob_report(): no reporter still
	 * walks over @ctx once this returns, so it may be re-added or freed.
	 */
	if (was_subscribed)
		synchronize_rcu();
}

static long tlob_ioctl_subscribe(struct tlob_fd *ctx, u32 __user *uarg)
{
	u32 flags;
	int ret;

	if (get_user(flags, uarg))
		return -EFAULT;
	if (flags & ~TLOB_SUB_FLAGS_ALL)
		return -EINVAL;
	if (!(flags & TLOB_SUB_ALL)) {
		tlob_unsubscribe(ctx);
		return 0;
	}
	ret = tlob_ring_alloc(ctx);
	if (ret)
		return ret;
	mutex_lock(&tlob_sub_mutex);
	if (!ctx->subscribed) {
		list_add_tail_rcu(&ctx->sub_node, &tlob_subscribers);
		ctx->subscribed = true;
	}
	mutex_unlock(&tlob_sub_mutex);
	return 0;
}

static long tlob_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct tlob_fd *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case TLOB_IOCTL_TRACE_START:
		return tlob_ioctl_trace_start(ctx, uarg);
	case TLOB_IOCTL_TRACE_STOP:
		return tlob_ioctl_trace_stop(ctx, NULL);
	case TLOB_IOCTL_TRACE_STOP_RESULT:
		return tlob_ioctl_trace_stop(ctx, uarg);
	case TLOB_IOCTL_BIND:
	case TLOB_IOCTL_UNBIND:
	case TLOB_IOCTL_BINDING_STATS:
	case TLOB_IOCTL_SUBSCRIBE:
		break;
	default:
		return -ENOTTY;
	}

	/* Management: CAP_PERFMON or CAP_SYS_ADMIN. */
	if (!perfmon_capable())
		return -EPERM;
	switch (cmd) {
	case TLOB_IOCTL_BIND:
		return tlob_ioctl_bind(ctx, uarg);
	case TLOB_IOCTL_UNBIND:
		return tlob_ioctl_unbind(ctx, uarg);
	case TLOB_IOCTL_BINDING_STATS:
		return tlob_ioctl_binding_stats(uarg);
	default:
		return tlob_ioctl_subscribe(ctx, uarg);
	}
}

static ssize_t tlob_dev_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct tlob_fd *ctx = file->private_data;
	struct tlob_event ev;
	ssize_t done = 0;
	int ret = 0;

	if (count < sizeof(ev))
		return -EINVAL;
	if (mutex_lock_interruptible(&ctx->read_lock))
		return -ERESTARTSYS;
	while (!tlob_ring_pending(ctx)) {
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		ret = wait_event_interruptible(ctx->wq, tlob_ring_pending(ctx));
		if (ret)
			goto out_unlock;
	}
	while (count - done >= sizeof(ev) && tlob_ring_pop(ctx, &ev)) {
		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			ret = -EFAULT;
			break;
		}
		done += sizeof(ev);
	}
out_unlock:
	mutex_unlock(&ctx->read_lock);
	return done ? done : ret;
}

static __poll_t tlob_dev_poll(struct file *file, poll_table *pt)
{
	struct tlob_fd *ctx = file->private_data;
	struct tlob_window *w;
	unsigned long flags;
	__poll_t mask = 0;

	poll_wait(file, &ctx->wq, pt);
	if (tlob_ring_pending(ctx))
		mask |= EPOLLIN | EPOLLRDNORM;
	mutex_lock(&ctx->lock);
	w = tlob_self_lock(ctx, &flags);
	if (w) {
		if (w->violated)
			mask |= EPOLLIN | EPOLLRDNORM | EPOLLPRI;
		raw_spin_unlock_irqrestore(&w->lock, flags);
	}
	mutex_unlock(&ctx->lock);
	return mask;
}

static int tlob_dev_open(struct inode *inode, struct file *file)
{
	struct tlob_fd *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->ring_size = READ_ONCE(tlob_ring_size);
	mutex_init(&ctx->lock);
	mutex_init(&ctx->read_lock);
	INIT_LIST_HEAD(&ctx->bindings);
	INIT_LIST_HEAD(&ctx->sub_node);
	raw_spin_lock_init(&ctx->ring_lock);
	init_waitqueue_head(&ctx->wq);
	init_irq_work(&ctx->wakeup_work, tlob_wakeup_fn);
	file->private_data = ctx;
	return stream_open(inode, file);
}

static int tlob_dev_release(struct inode *inode, struct file *file)
{
	struct tlob_fd *ctx = file->private_data;
	struct tlob_window *w;
	unsigned long flags;

	mutex_lock(&ctx->lock);
	w = tlob_self_lock(ctx, &flags);
	if (w) {
		tlob_window_end(w, NULL);
		raw_spin_unlock_irqrestore(&w->lock, flags);
		tlob_window_finish(w, NULL, true);
		tlob_self_forget(ctx);
	}
	mutex_unlock(&ctx->lock);

	/* No window reports to this fd after these two. */
	tlob_binding_remove_owned(ctx);
	tlob_unsubscribe(ctx);
	irq_work_sync(&ctx->wakeup_work);

	if (ctx->hooks_held)
		tlob_hooks_put();
	mutex_destroy(&ctx->read_lock);
	mutex_destroy(&ctx->lock);
	kvfree(ctx->ring);
	kfree(ctx);
	return 0;
}

static const struct file_operations tlob_dev_fops = {
	.owner = THIS_MODULE,
	.open = tlob_dev_open,
	.release = tlob_dev_release,
	.read = tlob_dev_read,
	.poll = tlob_dev_poll,
	.unlocked_ioctl = tlob_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice tlob_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "rv",
	.fops = &tlob_dev_fops,
	.mode = 0666,
};

int tlob_dev_init(void)
{
	return misc_register(&tlob_miscdev);
}

void tlob_dev_exit(void)
{
	misc_deregister(&tlob_miscdev);
}
