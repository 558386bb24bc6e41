// SPDX-License-Identifier: GPL-2.0
/*
 * Writes to /sys/kernel/tlob/monitor, applied whole or rejected whole.
 *
 * A write carries one command per line.  Its commands are applied in
 * order under tlob_bind_mutex; the first that fails undoes what the write
 * did (the bindings it added are removed, the ones it removed were only
 * doomed and stay) and its error is the write's.
 *
 * sysfs hands a write(2) to the file at most one page at a time and
 * returns short counts for longer ones, which the writer completes with
 * further write(2) calls at the following offsets.  To see such a write
 * whole, a full page is accepted one byte short: then every write(2) of
 * any length ends with a piece shorter than a page, and only such a piece
 * ends a write.  Pieces before it are staged per open file (the file is
 * only compared, never dereferenced) and applied with it.  A staged write
 * whose writer went away is dropped after TLOB_TXN_TIMEOUT, by the next
 * write, or at unload; at most TLOB_TXN_MAX are staged, TLOB_TXN_BYTES
 * each (E2BIG beyond).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/magic.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "tlob_internal.h"
#include "tlob_parse.h"

#define TLOB_TXN_MAX		16
#define TLOB_TXN_BYTES		(4U << 20)
#define TLOB_TXN_TIMEOUT	(30 * HZ)

struct tlob_txn {
	struct list_head node;		/* tlob_txns */
	const struct file *file;	/* identity only */
	loff_t end;			/* offset of the next piece */
	unsigned long stamp;		/* jiffies of the last piece */
	char *text;
	size_t len;
	size_t size;
};

static DEFINE_MUTEX(tlob_txn_mutex);
static LIST_HEAD(tlob_txns);		/* under tlob_txn_mutex */
static unsigned int tlob_nr_txns;	/* under tlob_txn_mutex */

static void tlob_txn_free(struct tlob_txn *t)
{
	lockdep_assert_held(&tlob_txn_mutex);
	list_del(&t->node);
	tlob_nr_txns--;
	kvfree(t->text);
	kfree(t);
}

/* Resolve a cgroup v2 directory to its id (the directory's inode). */
static int tlob_txn_cgroup_dir(const char *name, u64 *id)
{
	struct path path;
	int ret;

	ret = kern_path(name, LOOKUP_FOLLOW, &path);
	if (ret)
		return -ENOENT;
	if (path.dentry->d_sb->s_magic != CGROUP2_SUPER_MAGIC ||
	    !d_is_dir(path.dentry))
		ret = -ENOENT;
	else
		*id = d_inode(path.dentry)->i_ino;
	path_put(&path);
	return ret;
}

static int tlob_txn_add(const struct tlob_cmd *cmd, const struct path *path,
			u64 cgroup_id, struct list_head *added)
{
	struct tlob_bind_spec spec = {
		.path = path,
		.start_offset = cmd->start,
		.stop_offset = cmd->stop,
		.threshold_ns = cmd->threshold,
		.cgroup_id = cgroup_id,
		.cgroup_path = cmd->cgroup_path,
	};
	struct tlob_binding *b;
	int ret;

	if (cmd->op == TLOB_CMD_RETURN)
		spec.flags |= TLOB_BIND_STOP_ON_RETURN;
	if (cmd->cgroup_path)
		spec.flags |= TLOB_BIND_CGROUP_PATH;
	b = tlob_binding_create(&spec);
	if (IS_ERR(b))
		return PTR_ERR(b);
	ret = tlob_binding_register(b);
	if (ret) {
		tlob_binding_free(b);
		return ret;
	}
	list_add_tail(&b->txn_node, added);
	return 0;
}

/* One command of a write; tlob_bind_mutex held. */
static int tlob_txn_cmd(const struct tlob_cmd *cmd, struct list_head *added,
			struct list_head *doomed)
{
	u64 cgroup_id = cmd->cgroup_id;
	struct path path;
	bool found;
	int ret;

	if (cmd->cgroup_dir) {
		ret = tlob_txn_cgroup_dir(cmd->cgroup_dir, &cgroup_id);
		if (ret)
			return ret;
	}
	found = !kern_path(cmd->path, LOOKUP_FOLLOW, &path);
	if (cmd->op == TLOB_CMD_REMOVE) {
		/* A removal also finds a binding of a deleted file. */
		ret = tlob_binding_doom_sysfs(cmd->path, found ? &path : NULL,
					      cmd->start, !cmd->has_cgroup,
					      cgroup_id, cmd->cgroup_path,
					      added, doomed);
	} else {
		ret = found ? tlob_txn_add(cmd, &path, cgroup_id, added) :
			      -ENOENT;
	}
	if (found)
		path_put(&path);
	return ret;
}

/* Apply every line of @text, or none. */
static int tlob_txn_apply(char *text)
{
	LIST_HEAD(added);
	LIST_HEAD(doomed);
	struct tlob_cmd cmd;
	char *line, *next;
	int ret = 0;

	mutex_lock(&tlob_bind_mutex);
	for (line = text; line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ret = tlob_parse_cmd(line, &cmd);
		if (!ret && cmd.op != TLOB_CMD_NONE)
			ret = tlob_txn_cmd(&cmd, &added, &doomed);
	}
	tlob_binding_txn_end(&added, &doomed, !ret);
	mutex_unlock(&tlob_bind_mutex);
	return ret;
}

/* Drop staged writes nobody finished; tlob_txn_mutex held. */
static void tlob_txn_expire(void)
{
	struct tlob_txn *t, *tmp;

	list_for_each_entry_safe(t, tmp, &tlob_txns, node) {
		if (time_after(jiffies, t->stamp + TLOB_TXN_TIMEOUT))
			tlob_txn_free(t);
	}
}

static struct tlob_txn *tlob_txn_find(const struct file *file)
{
	struct tlob_txn *t;

	list_for_each_entry(t, &tlob_txns, node) {
		if (t->file == file)
			return t;
	}
	return NULL;
}

static int tlob_txn_append(struct tlob_txn *t, const char *buf, size_t count)
{
	size_t size;
	char *text;

	if (t->len + count + 1 > TLOB_TXN_BYTES)
		return -E2BIG;
	if (t->len + count + 1 > t->size) {
		size = max_t(size_t, 2 * t->size, t->len + count + 1);
		size = min_t(size_t, size, TLOB_TXN_BYTES);
		text = kvmalloc(size, GFP_KERNEL);
		if (!text)
			return -ENOMEM;
		memcpy(text, t->text, t->len);
		kvfree(t->text);
		t->text = text;
		t->size = size;
	}
	memcpy(t->text + t->len, buf, count);
	t->len += count;
	t->text[t->len] = '\0';
	return 0;
}

/*
 * Stage the piece @buf of a write at @off (a full page: all but its last
 * byte).  Returns how much was taken, or a negative errno; with
 * @ret_text, the piece ended the write, whose text is handed over.
 */
static ssize_t tlob_txn_stage(const struct file *file, const char *buf,
			      loff_t off, size_t count, char **ret_text)
{
	bool last = count < PAGE_SIZE;
	struct tlob_txn *t;
	ssize_t ret;

	mutex_lock(&tlob_txn_mutex);
	tlob_txn_expire();
	t = tlob_txn_find(file);
	if (t && t->end != off) {
		/* Not a continuation: a new write on the same file. */
		tlob_txn_free(t);
		t = NULL;
	}
	if (!t) {
		ret = -EBUSY;
		if (tlob_nr_txns >= TLOB_TXN_MAX)
			goto out_unlock;
		ret = -ENOMEM;
		t = kzalloc(sizeof(*t), GFP_KERNEL);
		if (!t)
			goto out_unlock;
		t->file = file;
		list_add(&t->node, &tlob_txns);
		tlob_nr_txns++;
	}
	if (!last)
		count--;
	ret = tlob_txn_append(t, buf, count);
	if (ret) {
		tlob_txn_free(t);
		goto out_unlock;
	}
	t->end = off + count;
	t->stamp = jiffies;
	if (last) {
		*ret_text = t->text;
		t->text = NULL;
		tlob_txn_free(t);
	}
	ret = count;
out_unlock:
	mutex_unlock(&tlob_txn_mutex);
	return ret;
}

ssize_t tlob_txn_write(const struct file *file, const char *buf,
		       loff_t off, size_t count)
{
	char *text = NULL;
	ssize_t ret;
	int err;

	if (!count)
		return 0;
	/* The common case: a write shorter than a page, not continued. */
	if (count < PAGE_SIZE && !off) {
		text = kmemdup_nul(buf, count, GFP_KERNEL);
		if (!text)
			return -ENOMEM;
		ret = count;
	} else {
		ret = tlob_txn_stage(file, buf, off, count, &text);
		if (ret < 0 || !text)
			return ret;
	}
	err = tlob_txn_apply(text);
	kvfree(text);
	return err ? err : ret;
}

/* Unload: drop what is staged. */
void tlob_txn_exit(void)
{
	struct tlob_txn *t, *tmp;

	mutex_lock(&tlob_txn_mutex);
	list_for_each_entry_safe(t, tmp, &tlob_txns, node)
		tlob_txn_free(t);
	mutex_unlock(&tlob_txn_mutex);
}
