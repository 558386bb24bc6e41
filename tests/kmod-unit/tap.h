/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP output for the kmod unit tests. */
#ifndef TLOB_TAP_H
#define TLOB_TAP_H

#include <stdarg.h>
#include <stdio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static unsigned int tap_n, tap_failed;

static inline void __attribute__((format(printf, 2, 3)))
tap_ok(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		tap_failed++;
}

static inline int tap_done(void)
{
	printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
