// SPDX-License-Identifier: GPL-2.0
/*
 * The text read from /sys/kernel/tlob/monitor: one binding per line, in
 * the syntax the file accepts, so that a line (or the whole listing) can
 * be written back as is, followed by a comment with its id, owner and
 * counters:
 *
 *   r /usr/bin/app:0x12a0 threshold=5000000  # id=2 windows=7 violations=1 missed=0
 *
 * Path names are escaped as /proc/PID/mountinfo escapes them (space, tab,
 * newline and backslash as \ooo), and so are the other bytes the parser
 * takes for blanks (\r, \v, \f): no file name can break a line or a
 * token, and the parser decodes them.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/string_helpers.h>

#include "tlob_internal.h"

#define TLOB_ESCAPED		" \t\n\r\v\f\\"
/* Worst case of an escaped name, and of the rest of a line. */
#define TLOB_ESCAPED_LEN(s)	(4 * strlen(s))
#define TLOB_LINE_FIXED		256

static size_t tlob_listing_escape(char *buf, size_t size, const char *s)
{
	return string_escape_mem(s, strlen(s), buf, size, ESCAPE_OCTAL,
				 TLOB_ESCAPED);
}

/* One line; @size is enough (tlob_listing_line_size()). */
static size_t tlob_listing_line(struct tlob_binding *b, char *buf,
				size_t size)
{
	u64 windows, violations, missed, signals;
	unsigned long flags;
	size_t n;

	raw_spin_lock_irqsave(&b->stats_lock, flags);
	windows = b->stats.windows;
	violations = b->stats.violations;
	missed = b->missed;
	signals = b->signals;
	raw_spin_unlock_irqrestore(&b->stats_lock, flags);

	n = scnprintf(buf, size, "%c ", tlob_binding_on_return(b) ? 'r' : 'p');
	n += tlob_listing_escape(buf + n, size - n, b->pathname);
	n += scnprintf(buf + n, size - n, ":0x%llx", b->start_offset);
	if (!tlob_binding_on_return(b))
		n += scnprintf(buf + n, size - n, " 0x%llx", b->stop_offset);
	n += scnprintf(buf + n, size - n, " threshold=%llu", b->threshold_ns);
	if (b->cgroup_path) {
		n += scnprintf(buf + n, size - n, " cgroup_path=");
		n += tlob_listing_escape(buf + n, size - n,
					 b->cgroup_path + 1);
	} else if (b->cgroup_id) {
		n += scnprintf(buf + n, size - n, " cgroup=%llu",
			       b->cgroup_id);
	}
	if (b->flags & TLOB_BIND_CAUSE)
		n += scnprintf(buf + n, size - n, " cause");
	if (b->signal)
		n += scnprintf(buf + n, size - n, " signal=%u", b->signal);
	n += scnprintf(buf + n, size - n,
		       "  # id=%u%s windows=%llu violations=%llu missed=%llu",
		       b->id, b->owner ? " owner=fd" : "", windows,
		       violations, missed);
	if (b->signal)
		n += scnprintf(buf + n, size - n, " signals=%llu", signals);
	n += scnprintf(buf + n, size - n, "\n");
	return n;
}

static size_t tlob_listing_line_size(const struct tlob_binding *b)
{
	return TLOB_ESCAPED_LEN(b->pathname) + TLOB_LINE_FIXED +
	       (b->cgroup_path ? TLOB_ESCAPED_LEN(b->cgroup_path) : 0);
}

/* The monitor file's text, kvmalloc()ed; its length in @len. */
char *tlob_listing(size_t *len)
{
	struct tlob_binding *b;
	size_t size = 1, n = 0;
	char *buf;
	int id;

	mutex_lock(&tlob_bind_mutex);
	for (id = 0; (b = tlob_binding_next(&id)); id++)
		size += tlob_listing_line_size(b);
	buf = kvmalloc(size, GFP_KERNEL);
	if (buf) {
		buf[0] = '\0';
		for (id = 0; (b = tlob_binding_next(&id)); id++)
			n += tlob_listing_line(b, buf + n, size - n);
	}
	mutex_unlock(&tlob_bind_mutex);
	*len = n;
	return buf;
}
