// SPDX-License-Identifier: GPL-2.0
/*
 * Bindings: START/STOP uprobes on an ELF file that open and close windows
 * of the tasks hitting them.
 *
 * The registry (an IDR, ids from 1) and each binding's life are under
 * tlob_bind_mutex.  The uprobe handlers run in the context of the probed
 * task and reach their binding through the consumer embedded in it; a
 * binding is freed only after its consumers are unregistered and synced,
 * so no handler can still run, and after its windows are closed, so no
 * timer can still report for it.  Handlers never register or unregister
 * probes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "tlob_internal.h"

static DEFINE_MUTEX(tlob_bind_mutex);
static DEFINE_IDR(tlob_bindings);	/* under tlob_bind_mutex */
static unsigned int tlob_nr_bindings;	/* under tlob_bind_mutex */

/* Is current in the binding's cgroup (or a descendant)? */
static bool tlob_cgroup_match(const struct tlob_binding *b)
{
	bool match;

	if (!b->cgroup)
		return true;
	rcu_read_lock();
	match = cgroup_is_descendant(task_dfl_cgroup(current), b->cgroup);
	rcu_read_unlock();
	return match;
}

static void tlob_binding_start(struct tlob_binding *b)
{
	struct tlob_window_args args = {
		.binding = b,
		.owner = b->owner,
		.threshold_ns = b->threshold_ns,
		.cookie = b->cookie,
	};
	struct tlob_window *w;
	unsigned long flags;

	if (!READ_ONCE(tlob_enabled) || !tlob_cgroup_match(b))
		return;

	rcu_read_lock();
	w = tlob_find_binding_window(b, &flags);
	if (w) {
		/* Recursion: only the outermost START/STOP pair counts. */
		w->depth++;
		raw_spin_unlock_irqrestore(&w->lock, flags);
		rcu_read_unlock();
		return;
	}
	rcu_read_unlock();

	w = tlob_window_open(&args, false);
	if (PTR_ERR_OR_ZERO(w) == -ENOSPC)
		atomic64_inc(&tlob_counters.events_dropped);
}

static void tlob_binding_stop(struct tlob_binding *b)
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
	if (!--w->depth)
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
	tlob_binding_start(container_of(uc, struct tlob_binding,
					start_probe.uc));
	return 0;
}

static int tlob_stop_handler(struct uprobe_consumer *uc,
			     struct pt_regs *regs)
{
	tlob_binding_stop(container_of(uc, struct tlob_binding,
				       stop_probe.uc));
	return 0;
}

static int tlob_ret_handler(struct uprobe_consumer *uc, unsigned long func,
			    struct pt_regs *regs)
{
	tlob_binding_stop(container_of(uc, struct tlob_binding,
				       start_probe.uc));
	return 0;
}

/* Statistics of a completed window of @b. */
void tlob_binding_account(struct tlob_binding *b,
			  const struct tlob_window_result *res)
{
	struct tlob_binding_stats *st = &b->stats;
	unsigned long flags;

	raw_spin_lock_irqsave(&b->stats_lock, flags);
	st->windows++;
	if (res->violated)
		st->violations++;
	st->max_ns = max(st->max_ns, res->elapsed_ns);
	st->sum_ns += res->elapsed_ns;
	st->hist[tlob_hist_bucket(res->elapsed_ns, TLOB_HIST_BUCKETS)]++;
	raw_spin_unlock_irqrestore(&b->stats_lock, flags);
}

static void tlob_binding_free(struct tlob_binding *b)
{
	if (b->cgroup)
		cgroup_put(b->cgroup);
	kfree(b->pathname);
	path_put(&b->path);
	kfree(b);
}

static int tlob_binding_set_pathname(struct tlob_binding *b)
{
	char *buf, *name;
	int ret = 0;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	name = d_path(&b->path, buf, PATH_MAX);
	if (IS_ERR(name))
		ret = PTR_ERR(name);
	else
		b->pathname = kstrdup(name, GFP_KERNEL);
	kfree(buf);
	if (!ret && !b->pathname)
		ret = -ENOMEM;
	return ret;
}

static struct tlob_binding *tlob_binding_alloc(const struct tlob_bind_spec *spec)
{
	struct tlob_binding *b;
	struct cgroup *cgrp;
	int ret;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&b->stats_lock);
	INIT_LIST_HEAD(&b->owner_node);
	b->on_return = spec->on_return;
	b->start_offset = spec->start_offset;
	b->stop_offset = spec->stop_offset;
	b->threshold_ns = spec->threshold_ns;
	b->cookie = spec->cookie;
	b->cgroup_id = spec->cgroup_id;
	b->owner = spec->owner;
	b->start_probe.uc.handler = tlob_start_handler;
	if (b->on_return)
		b->start_probe.uc.ret_handler = tlob_ret_handler;
	else
		b->stop_probe.uc.handler = tlob_stop_handler;
	b->path = *spec->path;
	path_get(&b->path);
	/* Overlayfs: probe the inode that holds the data. */
	b->inode = d_real_inode(b->path.dentry);

	ret = tlob_binding_set_pathname(b);
	if (ret)
		goto err_free;
	if (spec->cgroup_id) {
		cgrp = cgroup_get_from_id(spec->cgroup_id);
		if (IS_ERR(cgrp)) {
			ret = -ENOENT;
			goto err_free;
		}
		b->cgroup = cgrp;
	}
	return b;

err_free:
	tlob_binding_free(b);
	return ERR_PTR(ret);
}

/* May @b join the registry?  tlob_bind_mutex held. */
static int tlob_binding_check(const struct tlob_binding *b)
{
	struct tlob_binding *other;
	int id;

	lockdep_assert_held(&tlob_bind_mutex);
	if (tlob_nr_bindings >= tlob_max_bindings)
		return -ENOSPC;
	idr_for_each_entry(&tlob_bindings, other, id) {
		if (other->inode == b->inode &&
		    other->start_offset == b->start_offset &&
		    other->cgroup_id == b->cgroup_id)
			return -EEXIST;
	}
	return 0;
}

static int tlob_binding_arm(struct tlob_binding *b)
{
	int ret;

	ret = tlob_uprobe_register(&b->start_probe, b->inode, b->start_offset);
	if (ret || b->on_return)
		return ret;
	ret = tlob_uprobe_register(&b->stop_probe, b->inode, b->stop_offset);
	if (ret) {
		tlob_uprobe_unregister(&b->start_probe);
		tlob_uprobe_unregister_sync();
		tlob_close_binding_windows(b);
	}
	return ret;
}

static void tlob_binding_disarm(struct tlob_binding *b)
{
	tlob_uprobe_unregister(&b->start_probe);
	if (!b->on_return)
		tlob_uprobe_unregister(&b->stop_probe);
	tlob_uprobe_unregister_sync();
	/* No handler runs any more: close what it left open. */
	tlob_close_binding_windows(b);
}

/* Probe offsets must lie inside the file. */
static bool tlob_offsets_valid(const struct tlob_bind_spec *spec)
{
	loff_t size = i_size_read(d_real_inode(spec->path->dentry));

	if (spec->start_offset >= size)
		return false;
	return spec->on_return || spec->stop_offset < size;
}

/* Create a binding and arm its probes; its id goes to @id. */
int tlob_binding_add(const struct tlob_bind_spec *spec, u32 *id)
{
	struct tlob_binding *b;
	int ret;

	if (!d_is_reg(spec->path->dentry) || !tlob_offsets_valid(spec))
		return -EINVAL;
	b = tlob_binding_alloc(spec);
	if (IS_ERR(b))
		return PTR_ERR(b);
	ret = tlob_hooks_get();
	if (ret) {
		tlob_binding_free(b);
		return ret;
	}

	mutex_lock(&tlob_bind_mutex);
	ret = tlob_binding_check(b);
	if (ret)
		goto err_unlock;
	ret = idr_alloc(&tlob_bindings, b, 1, 0, GFP_KERNEL);
	if (ret < 0)
		goto err_unlock;
	b->id = ret;
	ret = tlob_binding_arm(b);
	if (ret)
		goto err_remove_id;
	tlob_nr_bindings++;
	if (b->owner)
		list_add_tail(&b->owner_node, &b->owner->bindings);
	*id = b->id;
	mutex_unlock(&tlob_bind_mutex);
	return 0;

err_remove_id:
	idr_remove(&tlob_bindings, b->id);
err_unlock:
	mutex_unlock(&tlob_bind_mutex);
	tlob_hooks_put();
	tlob_binding_free(b);
	return ret;
}

static void tlob_binding_destroy(struct tlob_binding *b)
{
	lockdep_assert_held(&tlob_bind_mutex);
	idr_remove(&tlob_bindings, b->id);
	list_del_init(&b->owner_node);
	tlob_nr_bindings--;
	tlob_binding_disarm(b);
	tlob_binding_free(b);
	tlob_hooks_put();
}

/* TLOB_IOCTL_UNBIND: only the owner fd may remove its binding. */
int tlob_binding_remove(u32 id, struct tlob_fd *owner)
{
	struct tlob_binding *b;
	int ret = -ENOENT;

	mutex_lock(&tlob_bind_mutex);
	b = idr_find(&tlob_bindings, id);
	if (b && b->owner == owner) {
		tlob_binding_destroy(b);
		ret = 0;
	}
	mutex_unlock(&tlob_bind_mutex);
	return ret;
}

/*
 * "-PATH:START [cgroup=C]" in sysfs: remove the sysfs bindings of that
 * file and offset (and cgroup, unless @any_cgroup).  The file is the one
 * @path (if it still resolves, else NULL) leads to, or the one listed as
 * @name, so a binding stays removable as listed after its file is
 * renamed or deleted.  -EPERM if only bindings owned by a /dev/rv fd
 * match, -ENOENT if none does.
 */
int tlob_binding_remove_sysfs(const char *name, const struct path *path,
			      u64 start, u64 cgroup_id, bool any_cgroup)
{
	struct inode *inode = path ? d_real_inode(path->dentry) : NULL;
	struct tlob_binding *b;
	bool owned = false;
	int removed = 0;
	int id;

	mutex_lock(&tlob_bind_mutex);
	idr_for_each_entry(&tlob_bindings, b, id) {
		if (b->start_offset != start)
			continue;
		if (b->inode != inode && strcmp(b->pathname, name))
			continue;
		if (!any_cgroup && b->cgroup_id != cgroup_id)
			continue;
		if (b->owner) {
			owned = true;
			continue;
		}
		tlob_binding_destroy(b);
		removed++;
	}
	mutex_unlock(&tlob_bind_mutex);
	if (removed)
		return 0;
	return owned ? -EPERM : -ENOENT;
}

/* Release of a /dev/rv fd: remove the bindings it made. */
void tlob_binding_remove_owned(struct tlob_fd *owner)
{
	struct tlob_binding *b, *tmp;

	mutex_lock(&tlob_bind_mutex);
	list_for_each_entry_safe(b, tmp, &owner->bindings, owner_node)
		tlob_binding_destroy(b);
	mutex_unlock(&tlob_bind_mutex);
}

void tlob_binding_remove_all(void)
{
	struct tlob_binding *b;
	int id;

	mutex_lock(&tlob_bind_mutex);
	idr_for_each_entry(&tlob_bindings, b, id)
		tlob_binding_destroy(b);
	mutex_unlock(&tlob_bind_mutex);
}

/* TLOB_IOCTL_BINDING_STATS: @st->id selects the binding. */
int tlob_binding_get_stats(struct tlob_binding_stats *st)
{
	struct tlob_binding *b;
	unsigned long flags;
	u32 id = st->id;
	int ret = -ENOENT;

	mutex_lock(&tlob_bind_mutex);
	b = idr_find(&tlob_bindings, id);
	if (b) {
		raw_spin_lock_irqsave(&b->stats_lock, flags);
		*st = b->stats;
		raw_spin_unlock_irqrestore(&b->stats_lock, flags);
		st->id = id;
		st->reserved = 0;
		ret = 0;
	}
	mutex_unlock(&tlob_bind_mutex);
	return ret;
}

unsigned int tlob_binding_count(void)
{
	unsigned int n;

	mutex_lock(&tlob_bind_mutex);
	n = tlob_nr_bindings;
	mutex_unlock(&tlob_bind_mutex);
	return n;
}

/* One line of the monitor file, in the syntax it accepts. */
static size_t tlob_binding_format(struct tlob_binding *b, char *buf,
				  size_t size)
{
	unsigned long flags;
	u64 windows, violations;
	size_t n;

	raw_spin_lock_irqsave(&b->stats_lock, flags);
	windows = b->stats.windows;
	violations = b->stats.violations;
	raw_spin_unlock_irqrestore(&b->stats_lock, flags);

	n = scnprintf(buf, size, "%c %s:0x%llx", b->on_return ? 'r' : 'p',
		      b->pathname, b->start_offset);
	if (!b->on_return)
		n += scnprintf(buf + n, size - n, " 0x%llx", b->stop_offset);
	n += scnprintf(buf + n, size - n, " threshold=%llu", b->threshold_ns);
	if (b->cgroup_id)
		n += scnprintf(buf + n, size - n, " cgroup=%llu",
			       b->cgroup_id);
	n += scnprintf(buf + n, size - n,
		       "  # id=%u%s windows=%llu violations=%llu\n",
		       b->id, b->owner ? " owner=fd" : "", windows,
		       violations);
	return n;
}

/* The monitor file's text, kvmalloc()ed; its length in @len. */
char *tlob_binding_list(size_t *len)
{
	struct tlob_binding *b;
	size_t size = 1, n = 0;
	char *buf;
	int id;

	mutex_lock(&tlob_bind_mutex);
	idr_for_each_entry(&tlob_bindings, b, id)
		size += strlen(b->pathname) + 256;
	buf = kvmalloc(size, GFP_KERNEL);
	if (buf) {
		buf[0] = '\0';
		idr_for_each_entry(&tlob_bindings, b, id)
			n += tlob_binding_format(b, buf + n, size - n);
	}
	mutex_unlock(&tlob_bind_mutex);
	*len = n;
	return buf;
}

void tlob_bindings_exit(void)
{
	idr_destroy(&tlob_bindings);
}
