/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Immutable reference-counted strings, for text that many objects share:
 * the unit name, drop-in path and executable of a thousand budgets of one
 * unit are then one copy each. An rcstr is a plain "char *" to read, but
 * only rcstr_ref()/rcstr_unref() may keep or drop it (never free()).
 */
#ifndef TLOB_RCSTR_H
#define TLOB_RCSTR_H

/* A copy of @s with one reference; NULL when @s is NULL or on ENOMEM. */
char *rcstr_new(const char *s);
/* Another reference to @s (NULL stays NULL). */
char *rcstr_ref(char *s);
/* Drop a reference, freeing @s with the last; returns NULL. */
char *rcstr_unref(char *s);

static inline void rcstr_unrefp(char **s)
{
	rcstr_unref(*s);
}

#endif /* TLOB_RCSTR_H */
