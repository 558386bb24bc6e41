/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between kernel-link.c and the backends. A backend is a vtable of the
 * operations that differ; kernel-link.c keeps what they share (the event
 * source on the fd that is readable while records wait, the retry loops
 * of the list and info calls) and calls the vtable's operations. A table
 * rather than a switch on the backend in every function: each backend is
 * one file, and a build without libbpf simply has no BPF table.
 */
#ifndef TLOB_KERNEL_LINK_INTERNAL_H
#define TLOB_KERNEL_LINK_INTERNAL_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "kernel-link.h"
#include "rv-dev.h"

typedef struct KernelLinkVTable {
	KernelBackend backend;
	/*
	 * The bindings outlive the process in the fd store with the fd
	 * (kmod); else they end with it and the fd is not kept.
	 */
	bool fd_store;
	/*
	 * Set k->fd (polled for EPOLLIN: records wait) and k->data; @fd
	 * is one from the fd store or -EBADF. Undone by close().
	 */
	int (*open)(KernelLink *k, int fd);
	void (*close)(KernelLink *k);
	/* As the ioctls of <linux/tlob.h>, @args->fd set. */
	int (*bind)(KernelLink *k, struct tlob_bind_args *args);
	int (*unbind)(KernelLink *k, uint32_t id);
	int (*stats)(KernelLink *k, uint32_t id, struct tlob_binding_stats *ret);
	RvBindingInfoCall info;		/* called with k */
	RvListBindingsCall list;	/* called with k */
	/* As kernel_link_read(). */
	ssize_t (*read)(KernelLink *k, void *buf, size_t size);
} KernelLinkVTable;

struct KernelLink {
	const KernelLinkVTable *vtable;
	Manager *manager;
	int fd;
	void *data;
	sd_event_source *io;
};

extern const KernelLinkVTable kernel_link_kmod_vtable;
extern const KernelLinkVTable kernel_link_bpf_vtable;

#endif /* TLOB_KERNEL_LINK_INTERNAL_H */
