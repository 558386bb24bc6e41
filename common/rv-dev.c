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
	uint8_t *buf = (uint8_t *)ev;
	size_t off = 0, count = 0;
	ssize_t l;

	l = read(fd, buf, n * sizeof(*ev));
	if (l < 0)
		return negative_errno();

	/*
	 * Records carry their size so that the ABI may grow: step by it and
	 * keep the part we know. Record i starts at or after i * sizeof(*ev),
	 * so moving it down to ev[i] never overwrites an unread record.
	 */
	while (off < (size_t)l) {
		uint32_t size;

		if ((size_t)l - off < sizeof(size))
			return -EPROTO;
		memcpy(&size, buf + off, sizeof(size));
		if (size < sizeof(*ev) || size > (size_t)l - off)
			return -EPROTO;
		memmove(&ev[count], buf + off, sizeof(*ev));
		ev[count].size = sizeof(*ev);
		count++;
		off += size;
	}
	return (int)count;
}
