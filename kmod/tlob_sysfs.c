// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/tlob: enable, monitor (the text binding interface) and stats.
 *
 * monitor is a binary attribute only so that its listing is not limited to
 * one page; its content is text (tlob_listing.c), read as one snapshot and
 * written in transactions (tlob_monfile.c).  It needs the capabilities of
 * the /dev/rv management ioctls, from the writer and from whoever opened
 * it; so does writing enable.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>

#include "tlob_internal.h"

static struct kobject *tlob_kobj;
static DEFINE_MUTEX(tlob_enable_mutex);	/* serialises enable writes */

/* CAP_PERFMON or CAP_SYS_ADMIN, of current and of @file's opener. */
bool tlob_file_capable(const struct file *file)
{
	return perfmon_capable() &&
	       (file_ns_capable(file, &init_user_ns, CAP_PERFMON) ||
		file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN));
}

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

	/* Closing every window blinds the monitor: as much as binding. */
	if (!perfmon_capable())
		return -EPERM;
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
			  "bindings %u\n"
			  "events_suppressed %lld\n"
			  "windows_missed %lld\n"
			  "self_windows_in_use %u\n"
			  "self_windows_max %u\n"
			  "causes %lld\n"
			  "cause_ns %lld\n"
			  "signals %lld\n"
			  "signals_failed %lld\n"
			  "windows_accounted %lld\n",
			  atomic64_read(&c->windows_started),
			  atomic64_read(&c->windows_completed),
			  atomic64_read(&c->violations),
			  atomic64_read(&c->events_dropped),
			  atomic_read(&tlob_windows_in_use),
			  tlob_max_windows, tlob_binding_count(),
			  atomic64_read(&c->events_suppressed),
			  atomic64_read(&c->windows_missed),
			  tlob_self_windows_in_use(),
			  READ_ONCE(tlob_max_self_windows),
			  atomic64_read(&c->causes),
			  atomic64_read(&c->cause_ns),
			  atomic64_read(&c->signals),
			  atomic64_read(&c->signals_failed),
			  atomic64_read(&c->windows_accounted));
}

static struct kobj_attribute tlob_enable_attr = __ATTR_RW(enable);
static struct kobj_attribute tlob_stats_attr = __ATTR_RO(stats);

static ssize_t monitor_write(struct file *file, struct kobject *kobj,
			     struct bin_attribute *attr, char *buf,
			     loff_t off, size_t count)
{
	if (!tlob_file_capable(file))
		return -EPERM;
	return tlob_monfile_write(file, buf, off, count);
}

static ssize_t monitor_read(struct file *file, struct kobject *kobj,
			    struct bin_attribute *attr, char *buf,
			    loff_t off, size_t count)
{
	if (!tlob_file_capable(file))
		return -EPERM;
	return tlob_monfile_read(file, buf, off, count);
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
