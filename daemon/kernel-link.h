/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel link: tlob-manager's only contact with the module. It owns the
 * /dev/rv fd (subscribed with TLOB_SUB_ALL), makes, lists, describes and
 * removes bindings, fetches their statistics, and reads the records the
 * kernel queues, telling the manager when there are some
 * (manager_kernel_readable()). The fd may come from systemd's fd store,
 * with the bindings a previous tlob-manager made on it.
 * tests/dbus/fake-kernel-link.c implements the same interface for the
 * D-Bus tests, tests/unit/stub-kernel-link.c for unit tests.
 */
#ifndef TLOB_KERNEL_LINK_H
#define TLOB_KERNEL_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/tlob.h>

typedef struct Manager Manager;
typedef struct KernelLink KernelLink;

/*
 * Open the device (@m->rv_path), or with @fd >= 0 take that one (kept in
 * the fd store, so already subscribed, with its bindings and its queued
 * records); subscribe; watch it in @m->event, disabled until
 * kernel_link_start().
 */
int kernel_link_new(Manager *m, int fd, KernelLink **ret);
KernelLink *kernel_link_free(KernelLink *k);
/* Start telling the manager about records. */
int kernel_link_start(KernelLink *k);
/* The device's fd, for the fd store. */
int kernel_link_fd(KernelLink *k);

/*
 * Bind @elf_fd per @args (fd is filled in here); returns 0 with *ret_id,
 * or the ioctl's negative errno.
 */
int kernel_link_bind(KernelLink *k, int elf_fd, struct tlob_bind_args *args,
		     uint32_t *ret_id);
int kernel_link_unbind(KernelLink *k, uint32_t id);
int kernel_link_stats(KernelLink *k, uint32_t id,
		      struct tlob_binding_stats *ret);
/* The ids of the bindings this fd made, in a new array. */
int kernel_link_list_owned(KernelLink *k, uint32_t **ret_ids, size_t *ret_n);
/*
 * What binding @id measures; its cgroup path (TLOB_BIND_CGROUP_PATH) in
 * a new string *@ret_cgroup_path, NULL for none.
 */
int kernel_link_info(KernelLink *k, uint32_t id,
		     struct tlob_binding_info *ret, char **ret_cgroup_path);

/*
 * Read queued records into @buf (whole records, each with its size):
 * the number of bytes, 0 when none is queued, or the negative errno that
 * broke the link.
 */
ssize_t kernel_link_read(KernelLink *k, void *buf, size_t size);

#endif /* TLOB_KERNEL_LINK_H */
