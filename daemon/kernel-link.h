/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel link: tlob-manager's only contact with the kernel's monitor.
 * It makes, lists, describes and removes bindings, fetches their
 * statistics, and reads the records the monitor queues, telling the
 * manager when there are some (manager_kernel_readable()).
 *
 * Two backends implement it (kernel-link.c holds what they share):
 *   kmod  /dev/rv of tlob.ko, subscribed with TLOB_SUB_ALL
 *         (kernel-link-kmod.c); the fd may come from systemd's fd
 *         store, with the bindings a previous tlob-manager made on it;
 *   bpf   the BPF monitor loaded by this process through libtlob_bpf
 *         (bpf/tlob-bpf.h, kernel-link-bpf.c); its bindings end with the
 *         process, there is nothing to keep in the fd store.
 * tests/dbus/fake-kernel-link.c implements the same interface (either
 * backend) for the D-Bus tests, tests/unit/stub-kernel-link.c for unit
 * tests.
 */
#ifndef TLOB_KERNEL_LINK_H
#define TLOB_KERNEL_LINK_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/tlob.h>

typedef struct Manager Manager;
typedef struct KernelLink KernelLink;

typedef enum KernelBackend {
	KERNEL_BACKEND_AUTO,	/* a choice, not a backend (tlob-manager(8)) */
	KERNEL_BACKEND_KMOD,
	KERNEL_BACKEND_BPF,
	_KERNEL_BACKEND_MAX,
	_KERNEL_BACKEND_INVALID = -EINVAL,
} KernelBackend;

/*
 * Open a link to @backend (KMOD or BPF): the device (@m->rv_path), or
 * with @fd >= 0 that one (kmod only: kept in the fd store, so already
 * subscribed, with its bindings and its queued records); or load the BPF
 * monitor. Watched in @m->event, disabled until kernel_link_start().
 * -ENOSYS for a backend this build does not have.
 */
int kernel_link_new(Manager *m, KernelBackend backend, int fd,
		    KernelLink **ret);
KernelLink *kernel_link_free(KernelLink *k);
KernelBackend kernel_link_backend(const KernelLink *k);
/* Start telling the manager about records. */
int kernel_link_start(KernelLink *k);
/*
 * The fd to keep in the fd store, where the bindings outlive this
 * process; -EBADF when the backend has none (bpf).
 */
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
/* The ids of the bindings this link made, in a new array. */
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
