/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Thin wrappers over the /dev/rv ioctls of <linux/tlob.h>: each returns 0
 * (or a count) or a negative errno, and never logs.
 */
#ifndef TLOB_RV_DEV_H
#define TLOB_RV_DEV_H

#include <stddef.h>
#include <stdint.h>

#include <linux/tlob.h>

#define RV_DEV_PATH "/dev/rv"

/* Open @path (RV_DEV_PATH if NULL) O_RDWR|O_CLOEXEC, plus @extra_flags. */
int rv_open(const char *path, int extra_flags);
int rv_subscribe(int fd, uint32_t flags);
/* Fills @args->id on success; @args->signal is passed as it is (0: none). */
int rv_bind(int fd, struct tlob_bind_args *args);
int rv_unbind(int fd, uint32_t id);
/* @st->id is the input. */
int rv_binding_stats(int fd, uint32_t id, struct tlob_binding_stats *st);
/*
 * What binding @id measures (TLOB_IOCTL_BINDING_INFO). With @path (room
 * for @path_size bytes) the cgroup path of a TLOB_BIND_CGROUP_PATH
 * binding is copied there ("" for the others); -ERANGE if it does not
 * fit, then @info->cgroup_path_size tells the size needed.
 */
int rv_binding_info(int fd, uint32_t id, struct tlob_binding_info *info,
		    char *path, size_t path_size);
/*
 * The ids of the bindings (@flags TLOB_LIST_OWNED: of this fd only), in
 * increasing order, in a new array *@ret_ids of *@ret_n.
 */
int rv_list_bindings(int fd, uint32_t flags, uint32_t **ret_ids,
		     size_t *ret_n);

/*
 * The same two over another implementation of the ioctl (the BPF
 * monitor's library): @call does what the ioctl does with its argument.
 */
typedef int (*RvBindingInfoCall)(void *userdata, struct tlob_binding_info *info);
typedef int (*RvListBindingsCall)(void *userdata, struct tlob_binding_list *l);
int rv_binding_info_via(RvBindingInfoCall call, void *userdata, uint32_t id,
			struct tlob_binding_info *info, char *path,
			size_t path_size);
int rv_list_bindings_via(RvListBindingsCall call, void *userdata,
			 uint32_t flags, uint32_t **ret_ids, size_t *ret_n);

int rv_trace_start(int fd, uint64_t threshold_ns, uint64_t tag);
/* 0 within budget, -EOVERFLOW over it (@res filled in both cases). */
int rv_trace_stop(int fd, struct tlob_result *res);

/*
 * Read whole records into @ev (room for @n). Returns the number read (0
 * at end of file), -EAGAIN if none is pending on a non-blocking fd,
 * -EPROTO for a partial record or one smaller than the structure we know.
 * Records of a newer, larger ABI are cut to the part this one knows.
 */
int rv_read_events(int fd, struct tlob_event *ev, size_t n);

/*
 * The record at *@off of the @len bytes read(2) gave in @buf, in @ev
 * (cut to the part this ABI knows); *@off moves past it. Returns 1, 0 at
 * the end, or -EPROTO for a partial record or one smaller than ours.
 */
int rv_next_event(const void *buf, size_t len, size_t *off,
		  struct tlob_event *ev);

#endif /* TLOB_RV_DEV_H */
