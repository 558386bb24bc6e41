// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel link: what its backends share (kernel-link-internal.h). */
#include "kernel-link-internal.h"
#include "log.h"
#include "macro.h"
#include "manager-events.h"
#include "manager.h"

static const KernelLinkVTable *const vtables[_KERNEL_BACKEND_MAX] = {
	[KERNEL_BACKEND_KMOD] = &kernel_link_kmod_vtable,
#if HAVE_BPF
	[KERNEL_BACKEND_BPF] = &kernel_link_bpf_vtable,
#endif
};

static int on_kernel_events(sd_event_source *s, int fd, uint32_t revents,
			    void *userdata)
{
	KernelLink *k = userdata;

	manager_kernel_readable(k->manager);
	return 0;
}

int kernel_link_new(Manager *m, KernelBackend backend, int fd,
		    KernelLink **ret)
{
	_cleanup_close_ int owned = fd;
	KernelLink *k;
	int r;

	if (backend < 0 || backend >= _KERNEL_BACKEND_MAX || !vtables[backend])
		return -ENOSYS;
	if (fd >= 0 && !vtables[backend]->fd_store)
		return -EBADF;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->vtable = vtables[backend];
	k->manager = m;
	r = k->vtable->open(k, TAKE_FD(owned));
	if (r < 0) {
		free(k);
		return r;
	}
	r = sd_event_add_io(m->event, &k->io, k->fd, EPOLLIN, on_kernel_events, k);
	if (r < 0) {
		kernel_link_free(k);
		return r;
	}
	(void)sd_event_source_set_description(k->io, "kernel-events");
	(void)sd_event_source_set_enabled(k->io, SD_EVENT_OFF);
	*ret = k;
	return 0;
}

KernelLink *kernel_link_free(KernelLink *k)
{
	if (!k)
		return NULL;
	sd_event_source_disable_unref(k->io);
	k->vtable->close(k);
	return mfree(k);
}

KernelBackend kernel_link_backend(const KernelLink *k)
{
	return k->vtable->backend;
}

int kernel_link_start(KernelLink *k)
{
	return sd_event_source_set_enabled(k->io, SD_EVENT_ON);
}

int kernel_link_fd(KernelLink *k)
{
	return k->vtable->fd_store ? k->fd : -EBADF;
}

int kernel_link_bind(KernelLink *k, int elf_fd, struct tlob_bind_args *args,
		     uint32_t *ret_id)
{
	int r;

	args->fd = elf_fd;
	r = k->vtable->bind(k, args);
	if (r < 0)
		return r;
	*ret_id = args->id;
	return 0;
}

int kernel_link_unbind(KernelLink *k, uint32_t id)
{
	return k->vtable->unbind(k, id);
}

int kernel_link_stats(KernelLink *k, uint32_t id,
		      struct tlob_binding_stats *ret)
{
	return k->vtable->stats(k, id, ret);
}

int kernel_link_list_owned(KernelLink *k, uint32_t **ret_ids, size_t *ret_n)
{
	return rv_list_bindings_via(k->vtable->list, k, TLOB_LIST_OWNED,
				    ret_ids, ret_n);
}

int kernel_link_info(KernelLink *k, uint32_t id,
		     struct tlob_binding_info *ret, char **ret_cgroup_path)
{
	_cleanup_free_ char *path = NULL;
	size_t size = 256;
	int r;

	for (;;) {
		free(path);
		path = malloc(size);
		if (!path)
			return -ENOMEM;
		r = rv_binding_info_via(k->vtable->info, k, id, ret, path, size);
		if (r != -ERANGE)
			break;
		size = ret->cgroup_path_size;
	}
	if (r < 0)
		return r;
	*ret_cgroup_path = (ret->flags & TLOB_BIND_CGROUP_PATH) ? TAKE_PTR(path) : NULL;
	return 0;
}

ssize_t kernel_link_read(KernelLink *k, void *buf, size_t size)
{
	return k->vtable->read(k, buf, size);
}
