// SPDX-License-Identifier: GPL-2.0
/*
 * tlob - task latency over budget.
 *
 * Measures the wall-clock time a task spends between a START and a STOP
 * point (uprobes on an unmodified binary, or ioctls of the task itself on
 * /dev/rv) and reports, at the moment the budget expires, when it exceeds
 * its budget, with the time split into running, waiting and sleeping.
 *
 * This file: module parameters, load and unload, the trace instance.
 * Each concept has the file named after it: the window (tlob_window.c),
 * its timer (tlob_timer.c), the scheduler hooks (tlob_hooks.c), the pool
 * and the task hash (tlob_pool.c, tlob_hash.c), bindings and their
 * uprobes (tlob_binding.c, tlob_uprobe.c), /dev/rv (tlob_dev.c), its
 * rings, where records go and what self-instrumentation may take
 * (tlob_ring.c, tlob_report.c, tlob_charge.c), and /sys/kernel/tlob
 * (tlob_sysfs.c, tlob_listing.c, tlob_monfile.c, tlob_parse.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/trace.h>

#include "tlob_internal.h"

#define CREATE_TRACE_POINTS
#include "tlob_trace.h"

unsigned int tlob_max_windows = 4096;
module_param_named(max_windows, tlob_max_windows, uint, 0444);
MODULE_PARM_DESC(max_windows, "Windows preallocated at load (1-1048576)");

/* Set once the pool is made: max_self_windows is then checked on writes. */
static bool tlob_loaded;

unsigned int tlob_max_self_windows;

static int tlob_param_set_self_windows(const char *val,
				       const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (READ_ONCE(tlob_loaded) && v > tlob_max_windows)
		return -EINVAL;
	WRITE_ONCE(tlob_max_self_windows, v);
	return 0;
}

static const struct kernel_param_ops tlob_param_self_windows_ops = {
	.set = tlob_param_set_self_windows,
	.get = param_get_uint,
};

module_param_cb(max_self_windows, &tlob_param_self_windows_ops,
		&tlob_max_self_windows, 0644);
MODULE_PARM_DESC(max_self_windows,
		 "Windows self-instrumentation may hold, all users together (at load, 0: a quarter of max_windows; at most max_windows)");

unsigned int tlob_max_user_windows = 64;
module_param_named(max_user_windows, tlob_max_user_windows, uint, 0644);
MODULE_PARM_DESC(max_user_windows,
		 "Open self-instrumented windows per user without CAP_PERFMON");

unsigned int tlob_self_event_rate = 100;
module_param_named(self_event_rate, tlob_self_event_rate, uint, 0644);
MODULE_PARM_DESC(self_event_rate,
		 "Self-instrumented violations per second and user passed to subscribers");

unsigned int tlob_max_bindings = 1024;
module_param_named(max_bindings, tlob_max_bindings, uint, 0644);
MODULE_PARM_DESC(max_bindings, "Most bindings at a time");

module_param_cb(sched_accounting, &tlob_param_acct_ops,
		&tlob_sched_accounting, 0644);
MODULE_PARM_DESC(sched_accounting,
		 "Measure windows that are neither traced nor capturing causes with the scheduler's accounting, not on every switch (on by default where it is exact; EINVAL elsewhere)");

unsigned int tlob_ring_size = 4096;
module_param_named(ring_size, tlob_ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size, "Event records per /dev/rv file (1-1048576)");

struct tlob_counters tlob_counters __cacheline_aligned_in_smp;
atomic_t tlob_windows_in_use __cacheline_aligned_in_smp;
atomic_t tlob_stepped_windows __cacheline_aligned_in_smp;

#define TLOB_PARAM_MAX		SZ_1M

static struct trace_array *tlob_tr;

static const char * const tlob_instance_event_names[] = {
	"error_env_tlob",
	"detail_env_tlob",
};

/*
 * instances/tlob shows violations without the global trace buffer.  Its
 * events are enabled only while the scheduler hooks are attached, that is
 * while a window can open (tlob_hooks.c): enabling an event in an
 * instance turns on ftrace's recording of command names (the instance's
 * options/record-cmd, on by default), a probe on every context switch of
 * the machine, which a loaded but unused module must not cost.
 */
static int tlob_instance_create(void)
{
	tlob_tr = tlob_trace_array_get("tlob");
	return tlob_tr ? 0 : -ENOMEM;
}

/* Under tlob_hooks_mutex, as the hooks attach (@on) or detach. */
void tlob_instance_events(bool on)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(tlob_instance_event_names); i++) {
		ret = trace_array_set_clr_event(tlob_tr, "tlob",
						tlob_instance_event_names[i], on);
		if (ret)
			pr_warn_once("cannot %s %s in instances/tlob: %d\n",
				     on ? "enable" : "disable",
				     tlob_instance_event_names[i], ret);
	}
}

static void tlob_instance_destroy(void)
{
	trace_array_put(tlob_tr);
	trace_array_destroy(tlob_tr);
}

static int tlob_check_params(void)
{
	if (!tlob_max_windows || tlob_max_windows > TLOB_PARAM_MAX ||
	    !tlob_ring_size || tlob_ring_size > TLOB_PARAM_MAX) {
		pr_err("max_windows and ring_size must be 1-%u\n",
		       TLOB_PARAM_MAX);
		return -EINVAL;
	}
	if (tlob_max_self_windows > tlob_max_windows) {
		pr_err("max_self_windows must not exceed max_windows\n");
		return -EINVAL;
	}
	/* Bindings keep the rest of the pool. */
	if (!tlob_max_self_windows)
		tlob_max_self_windows = max(tlob_max_windows / 4, 1U);
	return 0;
}

static int __init tlob_init(void)
{
	int ret;

	ret = tlob_check_params();
	if (ret)
		return ret;
	tlob_acct_init();
	ret = tlob_hash_init();
	if (ret)
		return ret;
	ret = tlob_pool_init();
	if (ret)
		goto err_hash;
	ret = tlob_instance_create();
	if (ret)
		goto err_pool;
	ret = tlob_hooks_init();
	if (ret)
		goto err_instance;
	ret = tlob_dev_init();
	if (ret)
		goto err_instance;
	ret = tlob_sysfs_init();
	if (ret)
		goto err_dev;
	WRITE_ONCE(tlob_loaded, true);
	return 0;

err_dev:
	tlob_dev_exit();
err_instance:
	tlob_instance_destroy();
err_pool:
	tlob_pool_exit();
err_hash:
	tlob_hash_exit();
	return ret;
}

/*
 * No /dev/rv file is open (each holds a module reference).  Remove the
 * control files, then every binding (no uprobe handler runs after that),
 * then the remaining windows, then the scheduler hooks if still attached.
 */
static void __exit tlob_exit(void)
{
	tlob_sysfs_exit();
	tlob_dev_exit();
	tlob_monfile_exit();
	tlob_binding_remove_all();
	tlob_set_enabled(false);
	tlob_close_all();
	tlob_hooks_exit();
	tlob_cgroup_exit();
	tlob_instance_destroy();
	tlob_bindings_exit();
	tlob_pool_exit();
	tlob_charges_free();
	tlob_hash_exit();
}

module_init(tlob_init);
module_exit(tlob_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tlob: task latency over budget monitor");
MODULE_AUTHOR("The tlob authors");
