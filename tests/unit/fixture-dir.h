/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test program's fixture files in a temporary directory of its own:
 * made by its group setup, removed by its group teardown. Failures are
 * cmocka assertions.
 */
#ifndef TLOB_TEST_FIXTURE_DIR_H
#define TLOB_TEST_FIXTURE_DIR_H

/* Make the directory named by the mkdtemp() template @tmpl, in place. */
void fixture_dir_make(char *tmpl);
/* Remove @dir and everything in it: 0, or -1. */
int fixture_dir_remove(const char *dir);
/* "@dir/@rel", in a new string. */
char *fixture_path(const char *dir, const char *rel);
/* Write @text to the file @rel of @dir (its directory must exist). */
void fixture_write(const char *dir, const char *rel, const char *text);

#endif /* TLOB_TEST_FIXTURE_DIR_H */
