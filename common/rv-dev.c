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
	args->reserved = 0;
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

int rv_read_events(int fd, struct tlob_event *ev, size_t n)
{
	ssize_t l;
	size_t count;

	l = read(fd, ev, n * sizeof(*ev));
	if (l < 0)
		return negative_errno();
	if (l == 0)
		return 0;
	if ((size_t)l % sizeof(*ev) != 0)
		return -EPROTO;
	count = (size_t)l / sizeof(*ev);
	for (size_t i = 0; i < count; i++)
		if (ev[i].size < sizeof(*ev))
			return -EPROTO;
	return (int)count;
}
