// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <strings.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool prefix_priority;

static const char *const level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

int log_level_from_string(const char *s)
{
	char *end;
	long v;

	if (isempty(s))
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < LOG_EMERG || v > LOG_DEBUG)
		return -EINVAL;
	return (int)v;
}

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_setup(void)
{
	const char *e = getenv("SYSTEMD_LOG_LEVEL");
	int l;

	if (e) {
		l = log_level_from_string(e);
		if (l >= 0)
			max_level = l;
	}
	prefix_priority = !!getenv("JOURNAL_STREAM");
}

int log_internal(int level, int error, const char *file, int line,
		 const char *format, ...)
{
	char buf[2048];
	va_list ap;

	if (level > max_level)
		return error < 0 ? error : -error;

	/* "%m" must print the error we were given, not the current errno. */
	if (error)
		errno = error < 0 ? -error : error;
	va_start(ap, format);
	vsnprintf(buf, sizeof(buf), format, ap);
	va_end(ap);

	if (prefix_priority)
		fprintf(stderr, "<%d>%s\n", level, buf);
	else if (max_level >= LOG_DEBUG)
		fprintf(stderr, "%s:%d: %s\n", file, line, buf);
	else
		fprintf(stderr, "%s\n", buf);

	return error < 0 ? error : -error;
}
