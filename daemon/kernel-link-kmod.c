// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel link over /dev/rv of tlob.ko. */
#include <fcntl.h>
#include <sys/ioctl.h>

#include "kernel-link-internal.h"
#include "macro.h"
#include "manager.h"

static int kmod_open(KernelLink *k, int fd)
{
	_cleanup_close_ int owned = fd;
	int r;

	if (owned < 0) {
		owned = rv_open(k->manager->rv_path, O_NONBLOCK);
		if (owned < 0)
			return owned;
	} else {
		/* From the fd store: it is ours, make sure it does not block. */
		r = fcntl(owned, F_GETFL);
		if (r < 0 || fcntl(owned, F_SETFL, r | O_NONBLOCK) < 0)
			return -errno;
	}
	/*
	 * Again for an adopted fd: it proves it is /dev/rv, and a second
	 * SUBSCRIBE keeps the fd's subscription (its slot, its queued
	 * records) and sets whether it gets causes, so that an fd a
	 * predecessor subscribed without TLOB_SUB_CAUSE gets them now.
	 * Causes of our own bindings come anyway (we made them); this is
	 * for those of other bindings and self-instrumented windows.
	 */
	r = rv_subscribe(owned, TLOB_SUB_ALL | TLOB_SUB_CAUSE);
	if (r < 0)
		return r;
	k->fd = TAKE_FD(owned);
	return 0;
}

static void kmod_close(KernelLink *k)
{
	/*
	 * Closing the fd removes every binding it made, unless systemd
	 * keeps another reference in the fd store.
	 */
	safe_close(k->fd);
}

static int kmod_bind(KernelLink *k, struct tlob_bind_args *args)
{
	return rv_bind(k->fd, args);
}

static int kmod_unbind(KernelLink *k, uint32_t id)
{
	return rv_unbind(k->fd, id);
}

static int kmod_stats(KernelLink *k, uint32_t id,
		      struct tlob_binding_stats *ret)
{
	return rv_binding_stats(k->fd, id, ret);
}

static int kmod_ioctl(void *userdata, unsigned long req, void *arg)
{
	KernelLink *k = userdata;

	return ioctl(k->fd, req, arg) < 0 ? negative_errno() : 0;
}

static int kmod_info(void *userdata, struct tlob_binding_info *info)
{
	return kmod_ioctl(userdata, TLOB_IOCTL_BINDING_INFO, info);
}

static int kmod_list(void *userdata, struct tlob_binding_list *l)
{
	return kmod_ioctl(userdata, TLOB_IOCTL_LIST_BINDINGS, l);
}

static ssize_t kmod_read(KernelLink *k, void *buf, size_t size)
{
	ssize_t n = read(k->fd, buf, size);

	if (n < 0 && IN_SET(errno, EAGAIN, EINTR))
		return 0;
	return n < 0 ? -errno : n;
}

const KernelLinkVTable kernel_link_kmod_vtable = {
	.backend = KERNEL_BACKEND_KMOD,
	.fd_store = true,
	.open = kmod_open,
	.close = kmod_close,
	.bind = kmod_bind,
	.unbind = kmod_unbind,
	.stats = kmod_stats,
	.info = kmod_info,
	.list = kmod_list,
	.read = kmod_read,
};
