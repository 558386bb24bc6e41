/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal logging: messages go to stderr with a "<N>" syslog priority
 * prefix when stderr is connected to the journal (JOURNAL_STREAM set), so
 * journald stores the right PRIORITY=. The maximum level comes from
 * $SYSTEMD_LOG_LEVEL (a name like "debug" or a number), default "info".
 *
 * The log_*_errno() helpers return the (negative) error they were given,
 * so "return log_error_errno(r, ...);" both logs and propagates. "%m" in
 * the format prints that error's strerror().
 */
#ifndef TLOB_LOG_H
#define TLOB_LOG_H

#include <syslog.h>

#include "macro.h"

/* Parse $SYSTEMD_LOG_LEVEL and detect the journal. Call once in main(). */
void log_setup(void);
void log_set_max_level(int level);
int log_get_max_level(void);
/* "emerg".."debug" or "0".."7" -> level, or -EINVAL. */
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *file, int line,
		 const char *format, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) \
	log_internal((level), (error), __FILE__, __LINE__, __VA_ARGS__)

#define log_debug(...)	 log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)	 log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)	 log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)	 log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...)	  log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...)	  log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)	  log_full_errno(LOG_ERR, (e), __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")

#endif /* TLOB_LOG_H */
