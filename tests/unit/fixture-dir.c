// SPDX-License-Identifier: GPL-2.0-or-later
/* fixture-dir.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "fixture-dir.h"
#include "macro.h"

void fixture_dir_make(char *tmpl)
{
	assert_non_null(mkdtemp(tmpl));
}

int fixture_dir_remove(const char *dir)
{
	_cleanup_free_ char *cmd = NULL;

	assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	return system(cmd) == 0 ? 0 : -1;
}

char *fixture_path(const char *dir, const char *rel)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	return p;
}

void fixture_write(const char *dir, const char *rel, const char *text)
{
	_cleanup_free_ char *p = fixture_path(dir, rel);
	FILE *f = fopen(p, "we");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}
