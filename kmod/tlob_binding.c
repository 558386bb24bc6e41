// SPDX-License-Identifier: GPL-2.0
/*
 * Bindings: START/STOP uprobes on an ELF file that open and close windows
 * of the tasks hitting them, optionally only tasks of one cgroup
 * (tlob_cgroup.c).
 *
 * The registry (an IDR) and each binding's life are under tlob_bind_mutex.
 * Ids are allocated cyclically, so an id is not reused while records of an
 * earlier binding with it may still be queued.  A binding is freed only
 * after its probes are unregistered and synced, so no handler can still
 * run, and after its windows are closed, so no timer can still report for
 * it.  A write to the monitor file removes bindings only when it commits:
 * until then they are "doomed", still armed, and invisible to the
 * duplicate and limit checks (tlob_monfile.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kdev_t.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/string.h>

#include "tlob_internal.h"

/* Serialises the registry and every binding's creation and removal. */
DEFINE_MUTEX(tlob_bind_mutex);
static DEFINE_IDR(tlob_bindings);	/* under tlob_bind_mutex */
static unsigned int tlob_nr_bindings;	/* registered, under tlob_bind_mutex */
static unsigned int tlob_nr_doomed;	/* of which doomed */

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

/* A window of @b could not open: the pool had no free window. */
void tlob_binding_missed(struct tlob_binding *b)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&b->stats_lock, flags);
	b->missed++;
	raw_spin_unlock_irqrestore(&b->stats_lock, flags);
	atomic64_inc(&tlob_counters.windows_missed);
}

/* A window of @b expired and queued its signal; @b is alive. */
void tlob_binding_signalled(struct tlob_binding *b)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&b->stats_lock, flags);
	b->signals++;
	raw_spin_unlock_irqrestore(&b->stats_lock, flags);
}

void tlob_binding_free(struct tlob_binding *b)
{
	if (b->cgroup)
		cgroup_put(b->cgroup);
	mutex_destroy(&b->cg_mutex);
	kfree(b->cg_buf);
	kfree(b->cgroup_path);
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

/* A binding as @spec says, not registered yet.  Sleeps. */
struct tlob_binding *tlob_binding_create(const struct tlob_bind_spec *spec)
{
	struct tlob_binding *b;
	struct cgroup *cgrp;
	int ret;

	if (!d_is_reg(spec->path->dentry))
		return ERR_PTR(-EINVAL);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&b->stats_lock);
	mutex_init(&b->cg_mutex);
	INIT_LIST_HEAD(&b->owner_node);
	INIT_LIST_HEAD(&b->txn_node);
	INIT_LIST_HEAD(&b->dead_node);
	b->flags = spec->flags;
	b->start_offset = spec->start_offset;
	b->stop_offset = spec->stop_offset;
	b->threshold_ns = spec->threshold_ns;
	b->cookie = spec->cookie;
	b->signal = spec->signal;
	b->owner = spec->owner;
	b->path = *spec->path;
	path_get(&b->path);
	/* Overlayfs: probe the inode that holds the data. */
	b->inode = d_real_inode(b->path.dentry);

	ret = tlob_binding_set_pathname(b);
	if (ret)
		goto err_free;
	if (spec->flags & TLOB_BIND_CGROUP_PATH) {
		ret = tlob_cgroup_set_path(b, spec->cgroup_path);
		if (ret)
			goto err_free;
	} else if (spec->cgroup_id) {
		cgrp = cgroup_get_from_id(spec->cgroup_id);
		if (IS_ERR(cgrp)) {
			ret = -ENOENT;
			goto err_free;
		}
		b->cgroup = cgrp;
		b->cgroup_id = spec->cgroup_id;
	}
	tlob_uprobe_init_binding(b);
	return b;

err_free:
	tlob_binding_free(b);
	return ERR_PTR(ret);
}

static bool tlob_binding_same_cgroup(const struct tlob_binding *a,
				     const struct tlob_binding *b)
{
	if (!a->cgroup_path != !b->cgroup_path)
		return false;
	if (a->cgroup_path)
		return !strcmp(a->cgroup_path, b->cgroup_path);
	return a->cgroup_id == b->cgroup_id;
}

/* May @b join the registry?  Doomed bindings do not count. */
static int tlob_binding_check(const struct tlob_binding *b)
{
	struct tlob_binding *other;
	int id;

	lockdep_assert_held(&tlob_bind_mutex);
	if (tlob_nr_bindings - tlob_nr_doomed >= READ_ONCE(tlob_max_bindings))
		return -ENOSPC;
	idr_for_each_entry(&tlob_bindings, other, id) {
		if (!other->doomed && other->inode == b->inode &&
		    other->start_offset == b->start_offset &&
		    tlob_binding_same_cgroup(other, b))
			return -EEXIST;
	}
	return 0;
}

/*
 * Give @b an id and arm its probes; tlob_bind_mutex held.  An inactive
 * binding (one a monitor write adds) opens no window until it commits.
 */
int tlob_binding_register(struct tlob_binding *b, bool active)
{
	int ret;

	lockdep_assert_held(&tlob_bind_mutex);
	ret = tlob_binding_check(b);
	if (ret)
		return ret;
	ret = tlob_hooks_get();
	if (ret)
		return ret;
	ret = idr_alloc_cyclic(&tlob_bindings, b, 1, 0, GFP_KERNEL);
	if (ret < 0)
		goto err_put_hooks;
	b->id = ret;
	WRITE_ONCE(b->active, active);
	ret = tlob_uprobe_arm(b);
	if (ret)
		goto err_remove_id;
	tlob_nr_bindings++;
	tlob_cgroup_binding_added(b);
	if (b->owner)
		list_add_tail(&b->owner_node, &b->owner->bindings);
	return 0;

err_remove_id:
	idr_remove(&tlob_bindings, b->id);
err_put_hooks:
	tlob_hooks_put();
	return ret;
}

/*
 * Removing bindings goes in batches: each binding of the batch leaves the
 * registry and has its probes unregistered (tlob_binding_unlink()), then
 * one synchronisation waits for their handlers, one scan of the pool
 * closes their windows, and they are freed (tlob_bindings_reap()).  So
 * closing an fd with many bindings, a monitor write removing many, or
 * rmmod costs one uprobe synchronisation (a few RCU grace periods on
 * 6.12) and one scan, not one of each per binding.
 */
static void tlob_binding_unlink(struct tlob_binding *b, struct list_head *dead)
{
	lockdep_assert_held(&tlob_bind_mutex);
	idr_remove(&tlob_bindings, b->id);
	list_del_init(&b->owner_node);
	list_del_init(&b->txn_node);
	tlob_nr_bindings--;
	if (b->doomed)
		tlob_nr_doomed--;
	tlob_cgroup_binding_removed(b);
	tlob_uprobe_disarm_nosync(b);
	list_add_tail(&b->dead_node, dead);
}

static void tlob_bindings_reap(struct list_head *dead)
{
	struct tlob_binding *b, *tmp;

	lockdep_assert_held(&tlob_bind_mutex);
	if (list_empty(dead))
		return;
	tlob_uprobe_unregister_sync();
	/* No handler runs any more: close what they left open. */
	list_for_each_entry(b, dead, dead_node)
		WRITE_ONCE(b->dying, true);
	tlob_close_dying_windows();
	list_for_each_entry_safe(b, tmp, dead, dead_node) {
		tlob_binding_free(b);
		tlob_hooks_put();
	}
}

/* Unregister and free @b; tlob_bind_mutex held. */
void tlob_binding_destroy(struct tlob_binding *b)
{
	LIST_HEAD(dead);

	tlob_binding_unlink(b, &dead);
	tlob_bindings_reap(&dead);
}

/* Create and register a binding (TLOB_IOCTL_BIND); its id to @id. */
int tlob_binding_add(const struct tlob_bind_spec *spec, u32 *id)
{
	struct tlob_binding *b;
	int ret;

	b = tlob_binding_create(spec);
	if (IS_ERR(b))
		return PTR_ERR(b);
	mutex_lock(&tlob_bind_mutex);
	ret = tlob_binding_register(b, true);
	if (!ret)
		*id = b->id;
	mutex_unlock(&tlob_bind_mutex);
	if (ret)
		tlob_binding_free(b);
	return ret;
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
 * "-PATH:START [cgroup=C]" in a monitor write: doom the sysfs bindings of
 * that file and offset (and cgroup, unless @any_cgroup).  The file is the
 * one @path (if it still resolves, else NULL) leads to, or the one listed
 * as @name, so a binding stays removable as listed after its file is
 * renamed or deleted.  A binding added by the same write (on @added) goes
 * at once; the others wait on @doomed for the write to commit.  -EPERM if
 * only bindings owned by a /dev/rv fd match, -ENOENT if none does.
 */
int tlob_binding_doom_sysfs(const char *name, const struct path *path,
			    u64 start, bool any_cgroup, u64 cgroup_id,
			    const char *cgroup_path, struct list_head *added,
			    struct list_head *doomed)
{
	struct inode *inode = path ? d_real_inode(path->dentry) : NULL;
	struct tlob_binding *b;
	bool owned = false;
	int found = 0;
	int id;

	lockdep_assert_held(&tlob_bind_mutex);
	idr_for_each_entry(&tlob_bindings, b, id) {
		if (b->doomed || b->start_offset != start)
			continue;
		if (b->inode != inode && strcmp(b->pathname, name))
			continue;
		if (!any_cgroup &&
		    (cgroup_path ? !b->cgroup_path ||
				   strcmp(b->cgroup_path + 1, cgroup_path) :
				   b->cgroup_path || b->cgroup_id != cgroup_id))
			continue;
		if (b->owner) {
			owned = true;
			continue;
		}
		found++;
		if (!list_empty(&b->txn_node)) {
			tlob_binding_destroy(b);
			continue;
		}
		b->doomed = true;
		tlob_nr_doomed++;
		list_add_tail(&b->txn_node, doomed);
	}
	if (found)
		return 0;
	return owned ? -EPERM : -ENOENT;
}

/*
 * End a monitor write: commit (the doomed bindings go, then the added
 * ones start opening windows) or roll back (the added ones go, never
 * having opened one; the doomed ones stay).  tlob_bind_mutex held.
 */
void tlob_binding_txn_end(struct list_head *added, struct list_head *doomed,
			  bool commit)
{
	struct tlob_binding *b, *tmp;
	LIST_HEAD(dead);

	lockdep_assert_held(&tlob_bind_mutex);
	list_for_each_entry_safe(b, tmp, commit ? doomed : added, txn_node)
		tlob_binding_unlink(b, &dead);
	tlob_bindings_reap(&dead);
	list_for_each_entry_safe(b, tmp, commit ? added : doomed, txn_node) {
		list_del_init(&b->txn_node);
		if (b->doomed) {
			b->doomed = false;
			tlob_nr_doomed--;
		}
		WRITE_ONCE(b->active, true);
	}
}

/* Release of a /dev/rv fd: remove the bindings it made. */
void tlob_binding_remove_owned(struct tlob_fd *owner)
{
	struct tlob_binding *b, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&tlob_bind_mutex);
	list_for_each_entry_safe(b, tmp, &owner->bindings, owner_node)
		tlob_binding_unlink(b, &dead);
	tlob_bindings_reap(&dead);
	mutex_unlock(&tlob_bind_mutex);
}

void tlob_binding_remove_all(void)
{
	struct tlob_binding *b;
	LIST_HEAD(dead);
	int id;

	mutex_lock(&tlob_bind_mutex);
	idr_for_each_entry(&tlob_bindings, b, id)
		tlob_binding_unlink(b, &dead);
	tlob_bindings_reap(&dead);
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

/*
 * TLOB_IOCTL_BINDING_INFO: @info->id selects the binding; @ctx is the fd
 * asking.  A binding filtered by cgroup path hands a copy of the path
 * (without its leading '/') to @cgroup_path, for the caller to free.
 */
int tlob_binding_get_info(struct tlob_binding_info *info,
			  const struct tlob_fd *ctx, char **cgroup_path)
{
	struct tlob_binding *b;
	struct kstat stat;
	int ret = -ENOENT;

	*cgroup_path = NULL;
	mutex_lock(&tlob_bind_mutex);
	b = idr_find(&tlob_bindings, info->id);
	if (!b)
		goto out_unlock;
	ret = vfs_getattr(&b->path, &stat, STATX_INO,
			  AT_STATX_SYNC_AS_STAT);
	if (ret)
		goto out_unlock;
	if (b->cgroup_path) {
		*cgroup_path = kstrdup(b->cgroup_path + 1, GFP_KERNEL);
		if (!*cgroup_path) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	info->flags = b->flags;
	info->start_offset = b->start_offset;
	info->stop_offset = b->stop_offset;
	info->threshold_ns = b->threshold_ns;
	info->cgroup_id = b->cgroup_id;
	info->cookie = b->cookie;
	info->signal = b->signal;
	info->reserved2 = 0;
	info->dev = new_encode_dev(stat.dev);
	info->ino = stat.ino;
	if (!b->owner)
		info->owner = TLOB_OWNER_SYSFS;
	else if (b->owner == ctx)
		info->owner = TLOB_OWNER_THIS_FD;
	else
		info->owner = TLOB_OWNER_OTHER_FD;
out_unlock:
	mutex_unlock(&tlob_bind_mutex);
	return ret;
}

/*
 * TLOB_IOCTL_LIST_BINDINGS: the ids of every binding, or of those @ctx
 * owns, in increasing order; the first @room go to @ids, the number of
 * them all to @count.
 */
int tlob_binding_list_ids(const struct tlob_fd *ctx, u32 flags, u32 *ids,
			  u32 room, u32 *count)
{
	struct tlob_binding *b;
	u32 n = 0;
	int id;

	mutex_lock(&tlob_bind_mutex);
	idr_for_each_entry(&tlob_bindings, b, id) {
		if ((flags & TLOB_LIST_OWNED) && b->owner != ctx)
			continue;
		if (n < room)
			ids[n] = id;
		n++;
	}
	mutex_unlock(&tlob_bind_mutex);
	*count = n;
	return 0;
}

unsigned int tlob_binding_count(void)
{
	unsigned int n;

	mutex_lock(&tlob_bind_mutex);
	n = tlob_nr_bindings;
	mutex_unlock(&tlob_bind_mutex);
	return n;
}

/* The binding with the smallest id >= *@id, or NULL; tlob_bind_mutex held. */
struct tlob_binding *tlob_binding_next(int *id)
{
	lockdep_assert_held(&tlob_bind_mutex);
	return idr_get_next(&tlob_bindings, id);
}

void tlob_bindings_exit(void)
{
	idr_destroy(&tlob_bindings);
}
