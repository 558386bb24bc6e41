// SPDX-License-Identifier: GPL-2.0-or-later
#include "macro.h"
#include "strv.h"

void tlob_strv_free(char **l)
{
	if (!l)
		return;
	for (char **i = l; *i; i++)
		free(*i);
	free(l);
}

size_t tlob_strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

int tlob_strv_consume(char ***l, char *s)
{
	size_t n = tlob_strv_length(*l);
	char **c;

	if (!s)
		return -ENOMEM;
	c = reallocarray(*l, n + 2, sizeof(char *));
	if (!c) {
		free(s);
		return -ENOMEM;
	}
	c[n] = s;
	c[n + 1] = NULL;
	*l = c;
	return 0;
}

int tlob_strv_extend(char ***l, const char *s)
{
	return tlob_strv_consume(l, strdup(s));
}

bool tlob_strv_contains(char *const *l, const char *s)
{
	for (; l && *l; l++)
		if (streq(*l, s))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tlob_strv_sort(char **l)
{
	size_t n = tlob_strv_length(l);

	if (n > 1)
		qsort(l, n, sizeof(char *), cmp_str);
}
