// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stands in for libsystemd's sd_journal_sendv() in the D-Bus test build of
 * tlob-manager (a definition in the executable wins over the library's):
 * entries are appended to $TLOB_FAKE_JOURNAL in journal export style, one
 * FIELD=value per line and an empty line after each entry.
 */
#include <fcntl.h>
#include <sys/uio.h>
/* Plain sd_journal_sendv(): no CODE_FILE= etc. of this file. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "macro.h"

int sd_journal_sendv(const struct iovec *iov, int n)
{
	const char *path = getenv("TLOB_FAKE_JOURNAL");
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t len = 0, off = 0;

	if (!path)
		return -ENOENT;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len + 1;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
		buf[off++] = '\n';
	}
	buf[off++] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* One write, so concurrent readers never see half an entry. */
	if (write(fd, buf, off) != (ssize_t)off)
		return -EIO;
	return 0;
}
