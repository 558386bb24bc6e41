// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup filter of a binding: only tasks in a cgroup v2 (or below it)
 * open windows.  The cgroup is given by id (it must exist, a reference is
 * held), or by path: "system.slice/app.service" relative to the cgroup2
 * root, which need not exist yet and may be removed and created again (a
 * service restarted).
 *
 * A path is matched in the uprobe handler, which may sleep but must not
 * allocate: the task's ancestor at the path's depth is compared by id with
 * the few ids last found at the path, then with those last found
 * elsewhere; only an id in neither (the service started again, a cgroup
 * not seen lately) has its path built, into the binding's buffer, and
 * compared.  A cgroup renamed while remembered keeps its answer until
 * newer ids push it out.
 *
 * The same filter decides which processes get the binding's breakpoints
 * at all (tlob_uprobe.c): a process is judged by the cgroup of its mm's
 * owner (its thread-group leader, as long as that lives), so a process
 * outside the cgroup calling the probed function does not trap.  Tasks
 * moving between cgroups are followed through the cgroup_attach_task
 * tracepoint: shortly after a move (a burst of moves counts once), every
 * binding with a cgroup installs its breakpoints in the processes that
 * now belong to it; one that left has them removed at its next hit.
 */
#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/mm_types.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "tlob_internal.h"

/* A filter by path "a/b" (checked by tlob_parse_cgroup_path()): "/a/b". */
int tlob_cgroup_set_path(struct tlob_binding *b, const char *rel)
{
	const char *p;

	b->cg_len = strlen(rel) + 1;
	b->cgroup_path = kmalloc(b->cg_len + 1, GFP_KERNEL);
	b->cg_buf = kmalloc(b->cg_len + 2, GFP_KERNEL);
	if (!b->cgroup_path || !b->cg_buf)
		return -ENOMEM;
	b->cgroup_path[0] = '/';
	strscpy(b->cgroup_path + 1, rel, b->cg_len);
	b->cg_level = 1;
	for (p = rel; *p; p++)
		b->cg_level += *p == '/';
	return 0;
}

static bool tlob_cgroup_seen(const u64 *ids, unsigned int n, u64 id)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (READ_ONCE(ids[i]) == id)
			return true;
	}
	return false;
}

static void tlob_cgroup_remember(u64 *ids, unsigned int n, atomic_t *next,
				 u64 id)
{
	WRITE_ONCE(ids[(unsigned int)atomic_inc_return(next) % n], id);
}

/* Is the path of the cgroup of @kn @b's?  Sleeps on @b->cg_mutex. */
static bool tlob_cgroup_path_is(struct tlob_binding *b,
				struct kernfs_node *kn)
{
	bool match;

	mutex_lock(&b->cg_mutex);
	match = kernfs_path(kn, b->cg_buf, b->cg_len + 2) == (int)b->cg_len &&
		!strcmp(b->cg_buf, b->cgroup_path);
	mutex_unlock(&b->cg_mutex);
	return match;
}

static bool tlob_cgroup_path_match(struct tlob_binding *b,
				   struct task_struct *task)
{
	struct kernfs_node *kn;
	struct cgroup *cgrp;
	bool match;
	u64 id;

	rcu_read_lock();
	cgrp = task_dfl_cgroup(task);
	if (cgrp->level < b->cg_level) {
		rcu_read_unlock();
		return false;
	}
	cgrp = cgrp->ancestors[b->cg_level];
	id = cgroup_id(cgrp);
	if (tlob_cgroup_seen(b->cg_yes, TLOB_CG_YES, id)) {
		rcu_read_unlock();
		return true;
	}
	if (tlob_cgroup_seen(b->cg_no, TLOB_CG_NO, id)) {
		rcu_read_unlock();
		return false;
	}
	/* The RCU section keeps the cgroup, and so its node, alive. */
	kn = cgrp->kn;
	kernfs_get(kn);
	rcu_read_unlock();

	match = tlob_cgroup_path_is(b, kn);
	kernfs_put(kn);
	if (match)
		tlob_cgroup_remember(b->cg_yes, TLOB_CG_YES, &b->cg_yes_next,
				     id);
	else
		tlob_cgroup_remember(b->cg_no, TLOB_CG_NO, &b->cg_no_next, id);
	return match;
}

/* Does @b measure @task?  May sleep. */
static bool tlob_binding_match(struct tlob_binding *b,
			       struct task_struct *task)
{
	bool match;

	if (b->cgroup_path)
		return tlob_cgroup_path_match(b, task);
	if (!b->cgroup)
		return true;
	rcu_read_lock();
	match = cgroup_is_descendant(task_dfl_cgroup(task), b->cgroup);
	rcu_read_unlock();
	return match;
}

/* Does @b measure current?  Uprobe handler context. */
bool tlob_binding_match_task(struct tlob_binding *b)
{
	return tlob_binding_match(b, current);
}

/*
 * Does @b want breakpoints in @mm: is the process in its cgroup?  Asked
 * by the uprobe filter (the uprobe's locks and maybe @mm's mmap lock
 * held, may sleep) and by the handlers.  Without a known owner, yes: the
 * handler decides at the first hit.
 */
bool tlob_binding_match_mm(struct tlob_binding *b, struct mm_struct *mm)
{
	bool match = true;
#ifdef CONFIG_MEMCG
	struct task_struct *owner;

	if (!tlob_binding_has_cgroup(b) || !mm)
		return true;
	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner)
		get_task_struct(owner);
	rcu_read_unlock();
	if (owner) {
		match = tlob_binding_match(b, owner);
		put_task_struct(owner);
	}
#endif
	return match;
}

/* Bindings with a cgroup: the moves of tasks matter only while any exist. */
static atomic_t tlob_cg_bindings;

/* tlob_bind_mutex held. */
void tlob_cgroup_binding_added(struct tlob_binding *b)
{
	if (tlob_binding_has_cgroup(b))
		atomic_inc(&tlob_cg_bindings);
}

void tlob_cgroup_binding_removed(struct tlob_binding *b)
{
	if (tlob_binding_has_cgroup(b))
		atomic_dec(&tlob_cg_bindings);
}

/* Install the breakpoints of every binding with a cgroup where it wants. */
static void tlob_cgroup_kick_fn(struct work_struct *work)
{
	struct tlob_binding *b;
	bool kicked = false;
	int id = 0;

	mutex_lock(&tlob_bind_mutex);
	while ((b = tlob_binding_next(&id))) {
		if (tlob_binding_has_cgroup(b)) {
			tlob_uprobe_kick(b);
			kicked = true;
		}
		id++;
	}
	/* The kick consumers may be registered again after this. */
	if (kicked)
		tlob_uprobe_unregister_sync();
	mutex_unlock(&tlob_bind_mutex);
}

static DECLARE_DELAYED_WORK(tlob_cgroup_kick_work, tlob_cgroup_kick_fn);

/*
 * The cgroup_attach_task tracepoint (tlob_hooks.c attaches it): @task,
 * and its thread group with @threadgroup, moved to @dst_cgrp.  Called
 * with a spinlock held: defer the work, a twentieth of a second, so that
 * a burst of moves (a service starting) costs one round of kicks.
 */
void tlob_cgroup_attach(void *data, struct cgroup *dst_cgrp,
			const char *path, struct task_struct *task,
			bool threadgroup)
{
	if (atomic_read(&tlob_cg_bindings))
		queue_delayed_work(system_wq, &tlob_cgroup_kick_work, HZ / 20);
}

/* Unload: the tracepoint is detached and every binding gone. */
void tlob_cgroup_exit(void)
{
	cancel_delayed_work_sync(&tlob_cgroup_kick_work);
}
