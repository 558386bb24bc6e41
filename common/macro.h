/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers in the style of systemd's basic/macro.h: cleanup
 * attributes, ownership transfer and a few string tests. libsystemd does
 * not export its internal helpers, so tlob carries its own.
 */
#ifndef TLOB_MACRO_H
#define TLOB_MACRO_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)	__attribute__((cleanup(f)))
#define _unused_	__attribute__((unused))
#define _printf_(a, b)	__attribute__((format(printf, a, b)))
#define _pure_		__attribute__((pure))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x)	(sizeof(x) / sizeof((x)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL
#define USEC_PER_SEC	1000000ULL

/* Is @x one of the following values? */
#define IN_SET(x, ...)							\
	({								\
		const typeof(x) _in_set_v_[] = { __VA_ARGS__ };		\
		bool _in_set_found_ = false;				\
		for (size_t _i_ = 0; _i_ < ELEMENTSOF(_in_set_v_); _i_++) \
			if (_in_set_v_[_i_] == (x))			\
				_in_set_found_ = true;			\
		_in_set_found_;						\
	})

/* Return the value of a pointer variable and set the variable to NULL. */
#define TAKE_PTR(p)				\
	({					\
		typeof(p) _p_ = (p);		\
		(p) = NULL;			\
		_p_;				\
	})

/* Same for file descriptors, which are "unset" at -EBADF. */
#define TAKE_FD(fd)				\
	({					\
		int _fd_ = (fd);		\
		(fd) = -EBADF;			\
		_fd_;				\
	})

/* Declare a cleanup function calling @func on a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)		\
	static inline void func##p(type *p)		\
	{						\
		if (*p)					\
			func(*p);			\
	}

static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -EBADF;
}

static inline void closep(int *fd)
{
	safe_close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_free_	 _cleanup_(freep)
#define _cleanup_close_	 _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

static inline bool isempty(const char *s)
{
	return !s || !s[0];
}

static inline const char *strempty(const char *s)
{
	return s ?: "";
}

/* If @s starts with @prefix, return the rest of @s, else NULL. */
static inline const char *startswith(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);

	return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

static inline const char *endswith(const char *s, const char *suffix)
{
	size_t sl = strlen(s), xl = strlen(suffix);

	if (xl > sl)
		return NULL;
	return streq(s + sl - xl, suffix) ? s + sl - xl : NULL;
}

/* errno as a negative value, never 0 (for calls that "fail" with errno 0). */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif /* TLOB_MACRO_H */
