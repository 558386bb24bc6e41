// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/rv: the file operations and the ioctls.
 *
 * Self-instrumentation (TRACE_START/STOP) is open to every user and only
 * ever affects the calling thread; what it may take is charged before it
 * is taken (tlob_charge.c), and its file keeps only a small embedded ring.
 * Management (BIND, UNBIND, BINDING_STATS, BINDING_INFO, LIST_BINDINGS,
 * SUBSCRIBE) needs CAP_PERFMON or CAP_SYS_ADMIN; BIND and SUBSCRIBE give
 * the file a ring of ring_size records.  Each handler: copy_from_user,
 * validate, act through the file that owns the concept, copy_to_user.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "tlob_internal.h"
#include "tlob_parse.h"

/* The UAPI structures have the sizes userspace was built with. */
static_assert(sizeof(struct tlob_start_args) == 24);
static_assert(sizeof(struct tlob_result) == 48);
static_assert(sizeof(struct tlob_bind_args) == 56);
static_assert(sizeof(struct tlob_binding_stats) == 360);
static_assert(sizeof(struct tlob_binding_info) == 88);
static_assert(sizeof(struct tlob_binding_list) == 16);
static_assert(sizeof(struct tlob_event) == 112);
static_assert(sizeof(struct tlob_cause) == 256);
static_assert(sizeof(struct tlob_cause_event) == 368);

/* A signal an action may send: 1 to _NSIG (64), or 0 for none. */
static bool tlob_signal_valid(u32 sig)
{
	return valid_signal(sig);
}

void tlob_fd_wake(struct tlob_fd *ctx)
{
	irq_work_queue(&ctx->wakeup_work);
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
 * have been closed behind the fd's back (task exit or exec, disable).
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
	long ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~TLOB_START_FLAGS_ALL) || !tlob_signal_valid(a.signal))
		return -EINVAL;
	if (!a.threshold_ns || a.threshold_ns > TLOB_MAX_THRESHOLD_NS)
		return -ERANGE;
	if (!READ_ONCE(tlob_enabled))
		return -ENODEV;
	args.threshold_ns = a.threshold_ns;
	args.cookie = a.tag;
	args.privileged = perfmon_capable();
	args.cause = a.flags & TLOB_START_CAUSE;
	/* Only ever the calling thread: no permission beyond its own. */
	args.signal = a.signal;

	mutex_lock(&ctx->lock);
	w = tlob_self_lock(ctx, &flags);
	if (w) {
		raw_spin_unlock_irqrestore(&w->lock, flags);
		ret = -EALREADY;
		goto out_unlock;
	}
	ctx->charge = tlob_charge_lookup(ctx->charge);
	if (!ctx->charge) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	/* VIOLATION, CAUSE and WINDOW_END of this window and the last. */
	if (args.cause) {
		ret = tlob_ring_grow(&ctx->ring, TLOB_CAUSE_RING);
		if (ret)
			goto out_unlock;
	}
	args.charge = ctx->charge;
	ret = tlob_charge_take(args.charge);
	if (ret)
		goto out_unlock;
	if (!ctx->hooks_held) {
		ret = tlob_hooks_get();
		if (ret)
			goto out_uncharge;
		ctx->hooks_held = true;
	}
	w = tlob_window_open(&args);
	if (IS_ERR(w)) {
		ret = PTR_ERR(w);
		goto out_uncharge;
	}
	ctx->self = w;
	ctx->self_gen = args.gen;
	mutex_unlock(&ctx->lock);
	return 0;

out_uncharge:
	tlob_uncharge_self_window(args.charge);
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

/* BIND and SUBSCRIBE: records of many windows will arrive. */
static int tlob_fd_big_ring(struct tlob_fd *ctx)
{
	int ret;

	mutex_lock(&ctx->lock);
	ret = tlob_ring_grow(&ctx->ring, READ_ONCE(tlob_ring_size));
	mutex_unlock(&ctx->lock);
	return ret;
}

/* The cgroup path of a TLOB_BIND_CGROUP_PATH binding, from userspace. */
static char *tlob_bind_cgroup_path(u64 uptr)
{
	char *path;

	path = strndup_user(u64_to_user_ptr(uptr), PATH_MAX);
	if (IS_ERR(path))
		return path;
	if (tlob_parse_cgroup_path(path)) {
		kfree(path);
		return ERR_PTR(-EINVAL);
	}
	return path;
}

static long tlob_ioctl_bind(struct tlob_fd *ctx,
			    struct tlob_bind_args __user *uarg)
{
	struct tlob_bind_spec spec = { .owner = ctx };
	struct tlob_bind_args a;
	char *cgroup_path = NULL;
	struct file *file;
	u32 id;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~TLOB_BIND_FLAGS_ALL) || !tlob_signal_valid(a.signal))
		return -EINVAL;
	/* Any thread of any user that runs the file may get the signal. */
	if (a.signal && !capable(CAP_KILL))
		return -EPERM;
	if (!a.threshold_ns || a.threshold_ns > TLOB_MAX_THRESHOLD_NS)
		return -EINVAL;
	spec.flags = a.flags;
	if ((a.flags & TLOB_BIND_STOP_ON_RETURN) ? a.stop_offset != 0 :
						    a.stop_offset == a.start_offset)
		return -EINVAL;
	ret = tlob_fd_big_ring(ctx);
	if (ret)
		return ret;
	if (a.flags & TLOB_BIND_CGROUP_PATH) {
		cgroup_path = tlob_bind_cgroup_path(a.cgroup_id);
		if (IS_ERR(cgroup_path))
			return PTR_ERR(cgroup_path);
	}

	file = fget(a.fd);
	if (!file) {
		ret = -EBADF;
		goto out_free;
	}
	spec.path = &file->f_path;
	spec.start_offset = a.start_offset;
	spec.stop_offset = a.stop_offset;
	spec.threshold_ns = a.threshold_ns;
	spec.cgroup_id = cgroup_path ? 0 : a.cgroup_id;
	spec.cgroup_path = cgroup_path;
	spec.cookie = a.cookie;
	spec.signal = a.signal;
	ret = tlob_binding_add(&spec, &id);
	fput(file);
	if (ret)
		goto out_free;

	a.id = id;
	if (copy_to_user(&uarg->id, &a.id, sizeof(a.id))) {
		tlob_binding_remove(id, ctx);
		ret = -EFAULT;
	}
out_free:
	kfree(cgroup_path);
	return ret;
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

static long tlob_ioctl_binding_info(struct tlob_fd *ctx,
				    struct tlob_binding_info __user *uarg)
{
	struct tlob_binding_info info;
	char *cgroup_path;
	u32 room, need = 0;
	long ret;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.reserved)
		return -EINVAL;
	room = info.cgroup_path ? info.cgroup_path_size : 0;
	ret = tlob_binding_get_info(&info, ctx, &cgroup_path);
	if (ret)
		return ret;
	if (cgroup_path) {
		need = strlen(cgroup_path) + 1;
		if (need > room)
			ret = -ERANGE;
		else if (copy_to_user(u64_to_user_ptr(info.cgroup_path),
				      cgroup_path, need))
			ret = -EFAULT;
		kfree(cgroup_path);
	}
	info.cgroup_path_size = need;
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return ret;
}

static long tlob_ioctl_list_bindings(struct tlob_fd *ctx,
				     struct tlob_binding_list __user *uarg)
{
	struct tlob_binding_list l;
	u32 *ids = NULL, room;
	long ret;

	if (copy_from_user(&l, uarg, sizeof(l)))
		return -EFAULT;
	if (l.flags & ~TLOB_LIST_FLAGS_ALL)
		return -EINVAL;
	room = min(l.count, TLOB_LIST_MAX);
	if (room) {
		ids = kvcalloc(room, sizeof(*ids), GFP_KERNEL);
		if (!ids)
			return -ENOMEM;
	}
	ret = tlob_binding_list_ids(ctx, l.flags, ids, room, &l.count);
	if (!ret && room &&
	    copy_to_user(u64_to_user_ptr(l.ids), ids,
			 min(room, l.count) * sizeof(*ids)))
		ret = -EFAULT;
	kvfree(ids);
	if (!ret && put_user(l.count, &uarg->count))
		ret = -EFAULT;
	return ret;
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
		if (flags)
			return -EINVAL;
		tlob_unsubscribe(ctx);
		return 0;
	}
	ret = tlob_fd_big_ring(ctx);
	if (ret)
		return ret;
	return tlob_subscribe(ctx, flags & TLOB_SUB_CAUSE);
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
	case TLOB_IOCTL_BINDING_INFO:
	case TLOB_IOCTL_LIST_BINDINGS:
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
	case TLOB_IOCTL_BINDING_INFO:
		return tlob_ioctl_binding_info(ctx, uarg);
	case TLOB_IOCTL_LIST_BINDINGS:
		return tlob_ioctl_list_bindings(ctx, uarg);
	default:
		return tlob_ioctl_subscribe(ctx, uarg);
	}
}

static ssize_t tlob_dev_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct tlob_fd *ctx = file->private_data;
	union {
		struct tlob_event ev;
		struct tlob_cause_event ce;
	} rec;
	ssize_t done = 0;
	int ret = 0, n;

	if (count < sizeof(rec.ev))
		return -EINVAL;
	if (mutex_lock_interruptible(&ctx->read_lock))
		return -ERESTARTSYS;
	while (!tlob_ring_pending(&ctx->ring)) {
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		ret = wait_event_interruptible(ctx->wq,
					       tlob_ring_pending(&ctx->ring));
		if (ret)
			goto out_unlock;
	}
	/* Whole records; one too big for what is left stays queued. */
	while (count - done >= sizeof(rec.ev)) {
		n = tlob_ring_pop(&ctx->ring, &rec.ev,
				  min(count - done, sizeof(rec)));
		if (n <= 0) {
			if (n < 0)
				ret = -EINVAL;
			break;
		}
		if (copy_to_user(buf + done, &rec, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
	}
out_unlock:
	mutex_unlock(&ctx->read_lock);
	return done ? done : ret;
}

/*
 * POLLIN while records are queued; POLLPRI while the fd's current
 * self-instrumented window is over its budget.
 */
static __poll_t tlob_dev_poll(struct file *file, poll_table *pt)
{
	struct tlob_fd *ctx = file->private_data;
	struct tlob_window *w;
	unsigned long flags;
	__poll_t mask = 0;

	poll_wait(file, &ctx->wq, pt);
	if (tlob_ring_pending(&ctx->ring))
		mask |= EPOLLIN | EPOLLRDNORM;
	mutex_lock(&ctx->lock);
	w = tlob_self_lock(ctx, &flags);
	if (w) {
		if (w->violated)
			mask |= EPOLLPRI;
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
	mutex_init(&ctx->lock);
	mutex_init(&ctx->read_lock);
	INIT_LIST_HEAD(&ctx->bindings);
	ctx->sub_slot = -1;
	tlob_ring_init(&ctx->ring);
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
	tlob_ring_free(&ctx->ring);
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
