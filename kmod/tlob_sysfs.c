// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/tlob: enable, monitor (the text binding interface) and stats.
 *
 * monitor is a binary attribute only so that its listing is not limited to
 * one page; its content is text.  A write carries one command per line,
 * each line at most TLOB_LINE_MAX bytes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "tlob_internal.h"
#include "tlob_parse.h"

static struct kobject *tlob_kobj;
static DEFINE_MUTEX(tlob_enable_mutex);	/* serialises enable writes */

static ssize_t enable_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(tlob_enabled));
}

static ssize_t enable_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	bool on;
	int ret;

	ret = kstrtobool(buf, &on);
	if (ret)
		return ret;
	mutex_lock(&tlob_enable_mutex);
	/* Disabling: no window can open any more, close those that are. */
	if (tlob_set_enabled(on) && !on)
		tlob_close_all();
	mutex_unlock(&tlob_enable_mutex);
	return count;
}

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct tlob_counters *c = &tlob_counters;

	return sysfs_emit(buf,
			  "windows_started %lld\n"
			  "windows_completed %lld\n"
			  "violations %lld\n"
			  "events_dropped %lld\n"
			  "windows_in_use %d\n"
			  "windows_max %u\n"
			  "bindings %u\n",
			  atomic64_read(&c->windows_started),
			  atomic64_read(&c->windows_completed),
			  atomic64_read(&c->violations),
			  atomic64_read(&c->events_dropped),
			  atomic_read(&c->windows_in_use),
			  tlob_max_windows, tlob_binding_count());
}

static struct kobj_attribute tlob_enable_attr = __ATTR_RW(enable);
static struct kobj_attribute tlob_stats_attr = __ATTR_RO(stats);

/* Resolve a cgroup v2 directory to its id (the directory's inode). */
static int tlob_cgroup_path_id(const char *name, u64 *id)
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

static int tlob_monitor_remove(const struct tlob_cmd *cmd, struct path *path,
			       u64 cgroup_id)
{
	int ret;

	ret = tlob_binding_remove_sysfs(cmd->path, path, cmd->start, cgroup_id,
					!cmd->has_cgroup);
	if (path)
		path_put(path);
	return ret;
}

/* Apply one parsed command; a removal also accepts a deleted file. */
static int tlob_monitor_apply(const struct tlob_cmd *cmd)
{
	struct tlob_bind_spec spec = { };
	struct path path;
	u64 cgroup_id = cmd->cgroup_id;
	u32 id;
	int ret;

	if (cmd->cgroup_path) {
		ret = tlob_cgroup_path_id(cmd->cgroup_path, &cgroup_id);
		if (ret)
			return ret;
	}
	ret = kern_path(cmd->path, LOOKUP_FOLLOW, &path);
	if (cmd->op == TLOB_CMD_REMOVE)
		return tlob_monitor_remove(cmd, ret ? NULL : &path, cgroup_id);
	if (ret)
		return -ENOENT;

	spec.path = &path;
	spec.on_return = cmd->op == TLOB_CMD_RETURN;
	spec.start_offset = cmd->start;
	spec.stop_offset = cmd->stop;
	spec.threshold_ns = cmd->threshold;
	spec.cgroup_id = cgroup_id;
	ret = tlob_binding_add(&spec, &id);
	path_put(&path);
	return ret;
}

static ssize_t monitor_write(struct file *file, struct kobject *kobj,
			     struct bin_attribute *attr, char *buf,
			     loff_t off, size_t count)
{
	struct tlob_cmd cmd;
	char *text, *line, *next;
	int ret = 0;

	/*
	 * sysfs hands over at most one page per write() call: a full page
	 * not ending a line is the start of a line longer than we accept.
	 */
	if (count >= PAGE_SIZE && buf[count - 1] != '\n')
		return -E2BIG;
	text = kmemdup_nul(buf, count, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	for (line = text; line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ret = tlob_parse_cmd(line, &cmd);
		if (!ret && cmd.op != TLOB_CMD_NONE)
			ret = tlob_monitor_apply(&cmd);
	}
	kfree(text);
	return ret ? ret : count;
}

static ssize_t monitor_read(struct file *file, struct kobject *kobj,
			    struct bin_attribute *attr, char *buf,
			    loff_t off, size_t count)
{
	size_t len;
	char *text;

	text = tlob_binding_list(&len);
	if (!text)
		return -ENOMEM;
	if (off >= len) {
		count = 0;
	} else {
		count = min_t(size_t, count, len - off);
		memcpy(buf, text + off, count);
	}
	kvfree(text);
	return count;
}

static struct bin_attribute tlob_monitor_attr = {
	.attr = { .name = "monitor", .mode = 0600 },
	.read = monitor_read,
	.write = monitor_write,
};

static struct attribute *tlob_attrs[] = {
	&tlob_enable_attr.attr,
	&tlob_stats_attr.attr,
	NULL,
};

static struct bin_attribute *tlob_bin_attrs[] = {
	&tlob_monitor_attr,
	NULL,
};

static const struct attribute_group tlob_attr_group = {
	.attrs = tlob_attrs,
	.bin_attrs = tlob_bin_attrs,
};

int tlob_sysfs_init(void)
{
	int ret;

	tlob_kobj = kobject_create_and_add("tlob", kernel_kobj);
	if (!tlob_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(tlob_kobj, &tlob_attr_group);
	if (ret)
		kobject_put(tlob_kobj);
	return ret;
}

void tlob_sysfs_exit(void)
{
	sysfs_remove_group(tlob_kobj, &tlob_attr_group);
	kobject_put(tlob_kobj);
}
