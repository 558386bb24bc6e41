// SPDX-License-Identifier: GPL-2.0-or-later
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rcstr.h"

typedef struct RcStr {
	unsigned n_ref;
	char s[];
} RcStr;

static RcStr *rcstr_of(char *s)
{
	return (RcStr *)(s - offsetof(RcStr, s));
}

char *rcstr_new(const char *s)
{
	size_t n;
	RcStr *r;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	r = malloc(offsetof(RcStr, s) + n);
	if (!r)
		return NULL;
	r->n_ref = 1;
	memcpy(r->s, s, n);
	return r->s;
}

char *rcstr_ref(char *s)
{
	if (s)
		rcstr_of(s)->n_ref++;
	return s;
}

char *rcstr_unref(char *s)
{
	RcStr *r;

	if (!s)
		return NULL;
	r = rcstr_of(s);
	if (--r->n_ref == 0)
		free(r);
	return NULL;
}
