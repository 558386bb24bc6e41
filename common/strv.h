/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NULL-terminated string arrays, as systemd's strv. */
#ifndef TLOB_STRV_H
#define TLOB_STRV_H

#include <stdbool.h>
#include <stddef.h>

void tlob_strv_free(char **l);
static inline void tlob_strv_freep(char ***l)
{
	tlob_strv_free(*l);
}

#define _cleanup_strv_free_ __attribute__((cleanup(tlob_strv_freep)))

size_t tlob_strv_length(char *const *l);
/* Append a copy of @s to *@l (which may be NULL); -ENOMEM. */
int tlob_strv_extend(char ***l, const char *s);
/* Append @s itself, taking ownership even on failure; -ENOMEM. */
int tlob_strv_consume(char ***l, char *s);
bool tlob_strv_contains(char *const *l, const char *s);
/* Sort in strcmp() order. */
void tlob_strv_sort(char **l);

#endif /* TLOB_STRV_H */
