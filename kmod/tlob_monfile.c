// SPDX-License-Identifier: GPL-2.0
/*
 * Reads and writes of /sys/kernel/tlob/monitor, each consistent as a
 * whole: a listing read in several read(2) calls is one snapshot, and a
 * write is applied whole or rejected whole.
 *
 * A write carries one command per line.  Its commands are applied in
 * order under tlob_bind_mutex; the first that fails undoes what the write
 * did (the bindings it added are removed, never having opened a window;
 * the ones it removed were only doomed and stay) and its error is the
 * write's.
 *
 * sysfs hands a read(2) or write(2) of the file at most one page at a
 * time, and returns short counts for longer ones, which the caller
 * continues at the following offsets.  So:
 * - a read at offset 0 takes a snapshot of the listing, and reads further
 *   on the same open file are served from it until its end;
 * - a write is seen whole by accepting a full page one byte short: then
 *   every write(2), whatever its length, ends with a piece shorter than a
 *   page, and the pieces before it are staged.  A write(2) shorter than a
 *   page is applied as it is; a longer one must end a line (else EINVAL,
 *   or E2BIG if its last line is too long already): a writer that cuts a
 *   long text into write(2) calls of its own, as cat does every 128 KiB,
 *   must not get a line applied cut, which could still parse.
 * The state of an open file (snapshot, staged text) holds a reference on
 * it, so that it cannot be taken for another, and is dropped when done,
 * or TLOB_MFILE_TIMEOUT after its last use.  At most TLOB_MFILE_MAX files
 * have state (a write that needs some beyond gets EBUSY), each at most
 * TLOB_MFILE_BYTES of staged text (E2BIG beyond).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "tlob_internal.h"
#include "tlob_parse.h"

#define TLOB_MFILE_MAX		16
#define TLOB_MFILE_BYTES	(4U << 20)
#define TLOB_MFILE_TIMEOUT	(30 * HZ)

struct tlob_mfile {
	struct list_head node;		/* tlob_mfiles */
	struct file *file;		/* reference held */
	unsigned long stamp;		/* jiffies of the last use */
	/* A read snapshot, or NULL. */
	char *snap;
	size_t snap_len;
	/* Staged text of a write, or NULL; the next piece at @end. */
	char *text;
	size_t len;
	size_t size;
	loff_t end;
};

static DEFINE_MUTEX(tlob_mfile_mutex);
static LIST_HEAD(tlob_mfiles);		/* under tlob_mfile_mutex */
static unsigned int tlob_nr_mfiles;	/* under tlob_mfile_mutex */

static void tlob_mfile_expire_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(tlob_mfile_expire_work, tlob_mfile_expire_fn);

static void tlob_mfile_free(struct tlob_mfile *m)
{
	lockdep_assert_held(&tlob_mfile_mutex);
	list_del(&m->node);
	tlob_nr_mfiles--;
	fput(m->file);
	kvfree(m->snap);
	kvfree(m->text);
	kfree(m);
}

/* Drop the state of a file once it has neither snapshot nor staged text. */
static void tlob_mfile_put(struct tlob_mfile *m)
{
	if (!m->snap && !m->text)
		tlob_mfile_free(m);
}

static void tlob_mfile_expire_fn(struct work_struct *work)
{
	struct tlob_mfile *m, *tmp;

	mutex_lock(&tlob_mfile_mutex);
	list_for_each_entry_safe(m, tmp, &tlob_mfiles, node) {
		if (time_after(jiffies, m->stamp + TLOB_MFILE_TIMEOUT))
			tlob_mfile_free(m);
	}
	if (tlob_nr_mfiles)
		schedule_delayed_work(&tlob_mfile_expire_work,
				      TLOB_MFILE_TIMEOUT / 2);
	mutex_unlock(&tlob_mfile_mutex);
}

static struct tlob_mfile *tlob_mfile_find(struct file *file)
{
	struct tlob_mfile *m;

	lockdep_assert_held(&tlob_mfile_mutex);
	list_for_each_entry(m, &tlob_mfiles, node) {
		if (m->file == file) {
			m->stamp = jiffies;
			return m;
		}
	}
	return NULL;
}

/* The state of @file, made if needed; NULL if none can be. */
static struct tlob_mfile *tlob_mfile_get(struct file *file)
{
	struct tlob_mfile *m = tlob_mfile_find(file);

	if (m || tlob_nr_mfiles >= TLOB_MFILE_MAX)
		return m;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return NULL;
	m->file = get_file(file);
	m->stamp = jiffies;
	list_add(&m->node, &tlob_mfiles);
	if (!tlob_nr_mfiles++)
		schedule_delayed_work(&tlob_mfile_expire_work,
				      TLOB_MFILE_TIMEOUT / 2);
	return m;
}

/* --- reads -------------------------------------------------------------- */

static ssize_t tlob_mfile_copy(const char *text, size_t len, char *buf,
			       loff_t off, size_t count)
{
	if (off >= len)
		return 0;
	count = min_t(size_t, count, len - off);
	memcpy(buf, text + off, count);
	return count;
}

ssize_t tlob_monfile_read(struct file *file, char *buf, loff_t off,
			  size_t count)
{
	struct tlob_mfile *m;
	ssize_t ret;
	size_t len;
	char *text;

	mutex_lock(&tlob_mfile_mutex);
	m = tlob_mfile_find(file);
	if (m && m->snap && off) {
		ret = tlob_mfile_copy(m->snap, m->snap_len, buf, off, count);
		if (!ret) {
			/* The reader got to the end. */
			kvfree(m->snap);
			m->snap = NULL;
			tlob_mfile_put(m);
		}
		goto out_unlock;
	}
	text = tlob_listing(&len);
	ret = -ENOMEM;
	if (!text)
		goto out_unlock;
	ret = tlob_mfile_copy(text, len, buf, off, count);
	/* A listing longer than this read: keep it for the next ones. */
	if (!off && len > count && !m)
		m = tlob_mfile_get(file);
	if (!off && len > count && m) {
		kvfree(m->snap);
		m->snap = text;
		m->snap_len = len;
		text = NULL;
	}
	kvfree(text);
out_unlock:
	mutex_unlock(&tlob_mfile_mutex);
	return ret;
}

/* --- writes ------------------------------------------------------------- */

/* Resolve a cgroup v2 directory to its id (the directory's inode). */
static int tlob_mfile_cgroup_dir(const char *name, u64 *id)
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
			u64 cgroup_id, struct list_head *added, bool may_kill)
{
	struct tlob_bind_spec spec = {
		.path = path,
		.start_offset = cmd->start,
		.stop_offset = cmd->stop,
		.threshold_ns = cmd->threshold,
		.cgroup_id = cgroup_id,
		.cgroup_path = cmd->cgroup_path,
		.signal = cmd->signal,
	};
	struct tlob_binding *b;
	int ret;

	if (cmd->signal && !may_kill)
		return -EPERM;
	if (cmd->cause)
		spec.flags |= TLOB_BIND_CAUSE;
	if (cmd->op == TLOB_CMD_RETURN)
		spec.flags |= TLOB_BIND_STOP_ON_RETURN;
	if (cmd->cgroup_path)
		spec.flags |= TLOB_BIND_CGROUP_PATH;
	b = tlob_binding_create(&spec);
	if (IS_ERR(b))
		return PTR_ERR(b);
	ret = tlob_binding_register(b, false);
	if (ret) {
		tlob_binding_free(b);
		return ret;
	}
	list_add_tail(&b->txn_node, added);
	return 0;
}

/* One command of a write; tlob_bind_mutex held. */
static int tlob_txn_cmd(const struct tlob_cmd *cmd, struct list_head *added,
			struct list_head *doomed, bool may_kill)
{
	u64 cgroup_id = cmd->cgroup_id;
	struct path path;
	bool found;
	int ret;

	if (cmd->cgroup_dir) {
		ret = tlob_mfile_cgroup_dir(cmd->cgroup_dir, &cgroup_id);
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
		ret = found ? tlob_txn_add(cmd, &path, cgroup_id, added,
					      may_kill) :
			      -ENOENT;
	}
	if (found)
		path_put(&path);
	return ret;
}

/*
 * Apply every line of @text, or none.  A signal action needs CAP_KILL
 * (@may_kill) besides the file's capabilities.
 */
static int tlob_txn_apply(char *text, bool may_kill)
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
			ret = tlob_txn_cmd(&cmd, &added, &doomed, may_kill);
	}
	tlob_binding_txn_end(&added, &doomed, !ret);
	mutex_unlock(&tlob_bind_mutex);
	return ret;
}

/*
 * A write longer than a page that does not end a line: its last line may
 * be cut.  E2BIG if that line is too long already, else EINVAL.
 */
static int tlob_txn_unterminated(const char *text, size_t len)
{
	const char *last = strrchr(text, '\n');

	last = last ? last + 1 : text;
	return text + len - last > TLOB_LINE_MAX ? -E2BIG : -EINVAL;
}

static int tlob_mfile_append(struct tlob_mfile *m, const char *buf,
			     size_t count)
{
	size_t size;
	char *text;

	if (m->len + count + 1 > TLOB_MFILE_BYTES)
		return -E2BIG;
	if (m->len + count + 1 > m->size) {
		size = max_t(size_t, 2 * m->size, m->len + count + 1);
		size = min_t(size_t, size, TLOB_MFILE_BYTES);
		text = kvmalloc(size, GFP_KERNEL);
		if (!text)
			return -ENOMEM;
		if (m->text)
			memcpy(text, m->text, m->len);
		kvfree(m->text);
		m->text = text;
		m->size = size;
	}
	memcpy(m->text + m->len, buf, count);
	m->len += count;
	m->text[m->len] = '\0';
	return 0;
}

/*
 * Stage the piece @buf at @off (a full page: all but its last byte).
 * Returns how much was taken, or a negative errno; with *@ret_text, the
 * piece ended the write, whose text is handed over.
 */
static ssize_t tlob_mfile_stage(struct file *file, const char *buf,
				loff_t off, size_t count, char **ret_text,
				size_t *ret_len)
{
	bool short_piece = count < PAGE_SIZE;
	struct tlob_mfile *m;
	ssize_t ret;

	mutex_lock(&tlob_mfile_mutex);
	m = tlob_mfile_find(file);
	if (m && m->text && m->end != off) {
		/* Not a continuation: a new write on the same file. */
		kvfree(m->text);
		m->text = NULL;
		m->len = 0;
		m->size = 0;
	}
	if (short_piece && (!m || !m->text)) {
		/* A write(2) shorter than a page, nothing staged: whole. */
		ret = -ENOMEM;
		*ret_text = kmemdup_nul(buf, count, GFP_KERNEL);
		*ret_len = count;
		if (*ret_text)
			ret = count;
		if (m)
			tlob_mfile_put(m);
		goto out_unlock;
	}
	if (!m)
		m = tlob_mfile_get(file);
	ret = -EBUSY;
	if (!m)
		goto out_unlock;
	if (!short_piece)
		count--;
	ret = tlob_mfile_append(m, buf, count);
	if (ret) {
		kvfree(m->text);
		m->text = NULL;
		m->len = 0;
		m->size = 0;
		tlob_mfile_put(m);
		goto out_unlock;
	}
	m->end = off + count;
	if (short_piece) {
		*ret_text = m->text;
		*ret_len = m->len;
		m->text = NULL;
		m->len = 0;
		m->size = 0;
		tlob_mfile_put(m);
	}
	ret = count;
out_unlock:
	mutex_unlock(&tlob_mfile_mutex);
	return ret;
}

ssize_t tlob_monfile_write(struct file *file, const char *buf, loff_t off,
			   size_t count)
{
	char *text = NULL;
	size_t len = 0;
	ssize_t ret;
	int err;

	if (!count)
		return 0;
	ret = tlob_mfile_stage(file, buf, off, count, &text, &len);
	if (ret < 0 || !text)
		return ret;
	if (len >= PAGE_SIZE && text[len - 1] != '\n')
		err = tlob_txn_unterminated(text, len);
	else
		err = tlob_txn_apply(text, capable(CAP_KILL) &&
				     file_ns_capable(file, &init_user_ns,
						     CAP_KILL));
	kvfree(text);
	return err ? err : ret;
}

/* Unload (after the file is gone): drop every state. */
void tlob_monfile_exit(void)
{
	struct tlob_mfile *m, *tmp;

	cancel_delayed_work_sync(&tlob_mfile_expire_work);
	mutex_lock(&tlob_mfile_mutex);
	list_for_each_entry_safe(m, tmp, &tlob_mfiles, node)
		tlob_mfile_free(m);
	mutex_unlock(&tlob_mfile_mutex);
}
