/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel link: tlob-manager's only contact with the module. It owns the
 * /dev/rv fd (subscribed with TLOB_SUB_ALL), makes and removes bindings,
 * fetches their statistics, and hands every event to
 * manager_handle_event(). tests/dbus/fake-kernel-link.c implements the
 * same interface for the D-Bus tests.
 */
#ifndef TLOB_KERNEL_LINK_H
#define TLOB_KERNEL_LINK_H

#include <stdint.h>

#include <linux/tlob.h>

typedef struct Manager Manager;
typedef struct KernelLink KernelLink;

/* Open the device (@m->rv_path), subscribe, watch it in @m->event. */
int kernel_link_new(Manager *m, KernelLink **ret);
KernelLink *kernel_link_free(KernelLink *k);

/*
 * Bind @elf_fd per @args (fd is filled in here); returns 0 with *ret_id,
 * or the ioctl's negative errno.
 */
int kernel_link_bind(KernelLink *k, int elf_fd, struct tlob_bind_args *args,
		     uint32_t *ret_id);
int kernel_link_unbind(KernelLink *k, uint32_t id);
/*
 * Hand over, now, the events the kernel has queued (those of a binding
 * about to be removed, for instance, while it can still be told whose
 * they are). 0 or the negative errno that broke the link.
 */
int kernel_link_drain(KernelLink *k);
int kernel_link_stats(KernelLink *k, uint32_t id,
		      struct tlob_binding_stats *ret);

#endif /* TLOB_KERNEL_LINK_H */
