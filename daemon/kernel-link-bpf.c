// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel link over the BPF monitor (bpf/tlob-bpf.h): this process
 * loads it, its bindings, open windows and queued records end with the
 * process (or with kernel_link_free()).
 */
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "kernel-link-internal.h"
#include "macro.h"
#include "manager.h"
#include "sandbox.h"
#include "tlob-bpf.h"

/*
 * Sizes: room for the manager's budgets, with some to spare for the
 * moment a budget is rebound (the new binding comes before the old one
 * goes); windows and records as the module's defaults.
 */
static uint32_t bpf_max_bindings(const Manager *m)
{
	uint64_t n = (uint64_t)m->budgets_max + m->budgets_max / 8 + 16;

	n = MAX(n, (uint64_t)TLOB_BPF_DEFAULT_MAX_BINDINGS);
	return (uint32_t)MIN(n, (uint64_t)TLOB_BPF_MAX_BINDINGS);
}

static int bpf_open(KernelLink *k, int fd)
{
	TlobBpfParams p = { .max_bindings = bpf_max_bindings(k->manager) };
	struct rlimit rl;
	TlobBpf *t;
	int r;

	/*
	 * The kernel makes a uprobe through perf_event_open() for
	 * CAP_SYS_ADMIN only (perf_uprobe_event_init(), 6.1 and 6.12):
	 * without it the monitor loads and every binding fails.
	 */
	if (!sandbox_capable(CAP_SYS_ADMIN))
		return -EACCES;
	/*
	 * A binding holds four fds (two perf events, two links): for 1024
	 * budgets more than the usual soft limit of 1024. Nothing here uses
	 * select(): take the hard limit, as systemd advises.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	r = tlob_bpf_new(&p, &t);
	if (r < 0)
		return r;
	k->data = t;
	k->fd = tlob_bpf_fd(t);
	return 0;
}

static void bpf_close(KernelLink *k)
{
	/* Detaches and unloads: every binding and open window goes. */
	tlob_bpf_free(k->data);
}

static int bpf_bind(KernelLink *k, struct tlob_bind_args *args)
{
	return tlob_bpf_bind(k->data, args);
}

static int bpf_unbind(KernelLink *k, uint32_t id)
{
	return tlob_bpf_unbind(k->data, id);
}

static int bpf_stats(KernelLink *k, uint32_t id,
		     struct tlob_binding_stats *ret)
{
	return tlob_bpf_binding_stats(k->data, id, ret);
}

static int bpf_info(void *userdata, struct tlob_binding_info *info)
{
	return tlob_bpf_binding_info(((KernelLink *)userdata)->data, info);
}

static int bpf_list(void *userdata, struct tlob_binding_list *l)
{
	return tlob_bpf_list_bindings(((KernelLink *)userdata)->data, l);
}

static ssize_t bpf_read(KernelLink *k, void *buf, size_t size)
{
	ssize_t r = tlob_bpf_read(k->data, buf, size);

	return r == -EAGAIN ? 0 : r;
}

const KernelLinkVTable kernel_link_bpf_vtable = {
	.backend = KERNEL_BACKEND_BPF,
	.fd_store = false,
	.open = bpf_open,
	.close = bpf_close,
	.bind = bpf_bind,
	.unbind = bpf_unbind,
	.stats = bpf_stats,
	.info = bpf_info,
	.list = bpf_list,
	.read = bpf_read,
};
