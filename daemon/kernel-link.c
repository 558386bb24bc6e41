// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel link over /dev/rv. */
#include <fcntl.h>

#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "rv-dev.h"

struct KernelLink {
	Manager *manager;
	int fd;
	sd_event_source *io;
	int error;		/* reading failed: the link is broken */
};

#define EVENT_BATCH 64

/*
 * Read and hand over up to @rounds batches of events. Returns 1 when the
 * ring is empty, 0 when there may be more, or a negative errno when the
 * link broke (then the manager was told).
 */
static int read_events(KernelLink *k, unsigned rounds)
{
	struct tlob_event ev[EVENT_BATCH];
	int n;

	if (k->error < 0)
		return k->error;
	for (unsigned round = 0; round < rounds; round++) {
		n = rv_read_events(k->fd, ev, EVENT_BATCH);
		if (n == -EAGAIN || n == -EINTR || n == 0)
			return 1;
		if (n < 0) {
			k->error = n;
			(void)sd_event_source_set_enabled(k->io, SD_EVENT_OFF);
			manager_kernel_failed(k->manager, n);
			return n;
		}
		for (int i = 0; i < n; i++)
			manager_handle_event(k->manager, &ev[i]);
	}
	return 0;
}

static int on_kernel_events(sd_event_source *s, int fd, uint32_t revents,
			    void *userdata)
{
	/*
	 * Drain a bounded number of batches per wakeup so the bus keeps
	 * being served under a flood; the source stays ready otherwise.
	 */
	(void)read_events(userdata, 64);
	return 0;
}

int kernel_link_drain(KernelLink *k)
{
	/* The ring holds ring_size records: this many batches empty it. */
	int r = read_events(k, 4096 / EVENT_BATCH + 1);

	return r < 0 ? r : 0;
}

int kernel_link_new(Manager *m, KernelLink **ret)
{
	_cleanup_free_ KernelLink *k = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	fd = rv_open(m->rv_path, O_NONBLOCK);
	if (fd < 0)
		return fd;
	r = rv_subscribe(fd, TLOB_SUB_ALL);
	if (r < 0)
		return r;
	r = sd_event_add_io(m->event, &k->io, fd, EPOLLIN, on_kernel_events, k);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(k->io, "kernel-events");
	k->manager = m;
	k->fd = TAKE_FD(fd);
	*ret = TAKE_PTR(k);
	return 0;
}

KernelLink *kernel_link_free(KernelLink *k)
{
	if (!k)
		return NULL;
	sd_event_source_disable_unref(k->io);
	/* Closing the fd removes every binding it made. */
	safe_close(k->fd);
	return mfree(k);
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
