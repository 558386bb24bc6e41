// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel link (daemon/kernel-link.h) for unit tests of daemon files
 * that bind budgets: bindings live in an array the test can inspect
 * (stub_bindings), nothing reaches a kernel. Also the few functions of
 * the manager and the unit tracker that budget.c calls.
 */
#include "kernel-link.h"
#include "macro.h"
#include "manager-events.h"
#include "stub-kernel-link.h"
#include "unit-tracker.h"

StubBinding stub_bindings[STUB_BINDINGS_MAX];
size_t stub_n_bindings;
int stub_bind_result;
static uint32_t next_id = 1;

int kernel_link_new(Manager *m, KernelBackend backend, int fd,
		    KernelLink **ret)
{
	return -ENODEV;
}

KernelBackend kernel_link_backend(const KernelLink *k)
{
	return KERNEL_BACKEND_KMOD;
}

int kernel_link_start(KernelLink *k)
{
	return 0;
}

int kernel_link_fd(KernelLink *k)
{
	return -EBADF;
}

int kernel_link_list_owned(KernelLink *k, uint32_t **ret_ids, size_t *ret_n)
{
	*ret_ids = NULL;
	*ret_n = 0;
	return 0;
}

int kernel_link_info(KernelLink *k, uint32_t id,
		     struct tlob_binding_info *ret, char **ret_cgroup_path)
{
	return -ENOENT;
}

ssize_t kernel_link_read(KernelLink *k, void *buf, size_t size)
{
	return 0;
}

int manager_drain(Manager *m)
{
	return 0;
}

void manager_binding_retired(Manager *m, uint32_t id, uint64_t cookie)
{
}

bool unit_tracker_runs(Unit *u)
{
	return u->active;
}

KernelLink *kernel_link_free(KernelLink *k)
{
	return NULL;
}

int kernel_link_bind(KernelLink *k, int elf_fd, struct tlob_bind_args *args,
		     uint32_t *ret_id)
{
	if (stub_bind_result < 0)
		return stub_bind_result;
	if (stub_n_bindings >= STUB_BINDINGS_MAX)
		return -ENOSPC;
	args->fd = elf_fd;
	args->id = next_id++;
	stub_bindings[stub_n_bindings++] = (StubBinding) { .args = *args };
	*ret_id = args->id;
	return 0;
}

int kernel_link_unbind(KernelLink *k, uint32_t id)
{
	for (size_t i = 0; i < stub_n_bindings; i++)
		if (stub_bindings[i].args.id == id) {
			memmove(stub_bindings + i, stub_bindings + i + 1,
				(stub_n_bindings - i - 1) * sizeof(*stub_bindings));
			stub_n_bindings--;
			return 0;
		}
	return -ENOENT;
}

int kernel_link_stats(KernelLink *k, uint32_t id,
		      struct tlob_binding_stats *ret)
{
	for (size_t i = 0; i < stub_n_bindings; i++)
		if (stub_bindings[i].args.id == id) {
			*ret = stub_bindings[i].stats;
			ret->id = id;
			return 0;
		}
	return -ENOENT;
}
