// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <sys/ioctl.h>

#include "macro.h"
#include "rv-dev.h"

int rv_open(const char *path, int extra_flags)
{
	int fd = open(path ?: RV_DEV_PATH, O_RDWR | O_CLOEXEC | extra_flags);

	return fd < 0 ? -errno : fd;
}

static int rv_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? negative_errno() : 0;
}

int rv_subscribe(int fd, uint32_t flags)
{
	return rv_ioctl(fd, TLOB_IOCTL_SUBSCRIBE, &flags);
}

int rv_bind(int fd, struct tlob_bind_args *args)
{
	/* @args->signal (the former reserved field) as the caller set it. */
	return rv_ioctl(fd, TLOB_IOCTL_BIND, args);
}

int rv_unbind(int fd, uint32_t id)
{
	return rv_ioctl(fd, TLOB_IOCTL_UNBIND, &id);
}

int rv_binding_stats(int fd, uint32_t id, struct tlob_binding_stats *st)
{
	*st = (struct tlob_binding_stats) { .id = id };
	return rv_ioctl(fd, TLOB_IOCTL_BINDING_STATS, st);
}

static int rv_info_ioctl(void *userdata, struct tlob_binding_info *info)
{
	return rv_ioctl(*(int *)userdata, TLOB_IOCTL_BINDING_INFO, info);
}

int rv_binding_info_via(RvBindingInfoCall call, void *userdata, uint32_t id,
			struct tlob_binding_info *info, char *path,
			size_t path_size)
{
	*info = (struct tlob_binding_info) {
		.id = id,
		.cgroup_path = (uint64_t)(uintptr_t)(path_size ? path : NULL),
		.cgroup_path_size = (uint32_t)MIN(path_size, (size_t)UINT32_MAX),
	};
	if (path_size)
		path[0] = 0;
	return call(userdata, info);
}

int rv_binding_info(int fd, uint32_t id, struct tlob_binding_info *info,
		    char *path, size_t path_size)
{
	return rv_binding_info_via(rv_info_ioctl, &fd, id, info, path, path_size);
}

static int rv_list_ioctl(void *userdata, struct tlob_binding_list *l)
{
	return rv_ioctl(*(int *)userdata, TLOB_IOCTL_LIST_BINDINGS, l);
}

int rv_list_bindings(int fd, uint32_t flags, uint32_t **ret_ids,
		     size_t *ret_n)
{
	return rv_list_bindings_via(rv_list_ioctl, &fd, flags, ret_ids, ret_n);
}

int rv_list_bindings_via(RvListBindingsCall call, void *userdata,
			 uint32_t flags, uint32_t **ret_ids, size_t *ret_n)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct tlob_binding_list l = { .flags = flags };
	int r;

	/* Bindings may come and go between the calls: ask until all fit. */
	for (;;) {
		uint32_t room = l.count;

		l.ids = (uint64_t)(uintptr_t)ids;
		r = call(userdata, &l);
		if (r < 0)
			return r;
		if (l.count <= room)
			break;
		if (l.count > TLOB_LIST_MAX)
			return -E2BIG;
		free(ids);
		/* A little more room, for those added meanwhile. */
		l.count = MIN(l.count + 16, TLOB_LIST_MAX);
		ids = calloc(l.count, sizeof(*ids));
		if (!ids)
			return -ENOMEM;
	}
	*ret_n = l.count;
	*ret_ids = TAKE_PTR(ids);
	return 0;
}

int rv_trace_start(int fd, uint64_t threshold_ns, uint64_t tag)
{
	struct tlob_start_args a = { .threshold_ns = threshold_ns, .tag = tag };

	return rv_ioctl(fd, TLOB_IOCTL_TRACE_START, &a);
}

int rv_trace_stop(int fd, struct tlob_result *res)
{
	*res = (struct tlob_result) {};
	return rv_ioctl(fd, TLOB_IOCTL_TRACE_STOP_RESULT, res);
}

int rv_next_event(const void *buf, size_t len, size_t *off,
		  struct tlob_event *ev)
{
	const uint8_t *p = (const uint8_t *)buf + *off;
	size_t left = len - *off;
	uint32_t size;

	if (*off >= len)
		return 0;
	/* Records carry their size so that the ABI may grow: step by it. */
	if (left < sizeof(size))
		return -EPROTO;
	memcpy(&size, p, sizeof(size));
	if (size < sizeof(*ev) || size > left)
		return -EPROTO;
	memmove(ev, p, sizeof(*ev));	/* may overlap: rv_read_events() */
	ev->size = sizeof(*ev);
	*off += size;
	return 1;
}

int rv_read_events(int fd, struct tlob_event *ev, size_t n)
{
	size_t off = 0, count = 0;
	ssize_t l;
	int r;

	l = read(fd, ev, n * sizeof(*ev));
	if (l < 0)
		return negative_errno();

	/*
	 * Record i starts at or after i * sizeof(*ev), so moving it down to
	 * ev[i] never overwrites an unread record.
	 */
	while ((r = rv_next_event(ev, (size_t)l, &off, &ev[count])) > 0)
		count++;
	return r < 0 ? r : (int)count;
}
