// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel link over /dev/rv. */
#include <fcntl.h>

#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager-events.h"
#include "manager.h"
#include "rv-dev.h"

struct KernelLink {
	Manager *manager;
	int fd;
	sd_event_source *io;
};

static int on_kernel_events(sd_event_source *s, int fd, uint32_t revents,
			    void *userdata)
{
	KernelLink *k = userdata;

	manager_kernel_readable(k->manager);
	return 0;
}

int kernel_link_new(Manager *m, int fd, KernelLink **ret)
{
	_cleanup_free_ KernelLink *k = NULL;
	_cleanup_close_ int owned = fd;
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (owned < 0) {
		owned = rv_open(m->rv_path, O_NONBLOCK);
		if (owned < 0)
			return owned;
	} else {
		/* From the fd store: it is ours, make sure it does not block. */
		r = fcntl(owned, F_GETFL);
		if (r < 0 || fcntl(owned, F_SETFL, r | O_NONBLOCK) < 0)
			return -errno;
	}
	/* Again for an adopted fd: harmless, and proves it is /dev/rv. */
	r = rv_subscribe(owned, TLOB_SUB_ALL);
	if (r < 0)
		return r;
	r = sd_event_add_io(m->event, &k->io, owned, EPOLLIN, on_kernel_events, k);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(k->io, "kernel-events");
	(void)sd_event_source_set_enabled(k->io, SD_EVENT_OFF);
	k->manager = m;
	k->fd = TAKE_FD(owned);
	*ret = TAKE_PTR(k);
	return 0;
}

KernelLink *kernel_link_free(KernelLink *k)
{
	if (!k)
		return NULL;
	sd_event_source_disable_unref(k->io);
	/*
	 * Closing the fd removes every binding it made, unless systemd
	 * keeps another reference in the fd store.
	 */
	safe_close(k->fd);
	return mfree(k);
}

int kernel_link_start(KernelLink *k)
{
	return sd_event_source_set_enabled(k->io, SD_EVENT_ON);
}

int kernel_link_fd(KernelLink *k)
{
	return k->fd;
}

int kernel_link_bind(KernelLink *k, int elf_fd, struct tlob_bind_args *args,
		     uint32_t *ret_id)
{
	int r;

	args->fd = elf_fd;
	r = rv_bind(k->fd, args);
	if (r < 0)
		return r;
	*ret_id = args->id;
	return 0;
}

int kernel_link_unbind(KernelLink *k, uint32_t id)
{
	return rv_unbind(k->fd, id);
}

int kernel_link_stats(KernelLink *k, uint32_t id,
		      struct tlob_binding_stats *ret)
{
	return rv_binding_stats(k->fd, id, ret);
}

int kernel_link_list_owned(KernelLink *k, uint32_t **ret_ids, size_t *ret_n)
{
	return rv_list_bindings(k->fd, TLOB_LIST_OWNED, ret_ids, ret_n);
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
		r = rv_binding_info(k->fd, id, ret, path, size);
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
	ssize_t n = read(k->fd, buf, size);

	if (n < 0 && IN_SET(errno, EAGAIN, EINTR))
		return 0;
	return n < 0 ? -errno : n;
}
