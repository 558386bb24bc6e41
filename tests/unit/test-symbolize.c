// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/symbolize.c with fixtures: a kallsyms file, and a /proc with a
 * process whose maps map the ELF fixture of test-elf.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "elf-resolve.h"
#include "fixture-dir.h"
#include "macro.h"
#include "symbolize.h"

static char dir[] = "/tmp/tlob-test-symbolize.XXXXXX";

static const char kallsyms[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T __sched_text_start\n"
	"ffffffff81000000 T schedule\n"
	"ffffffff81000080 t __schedule\n"
	"ffffffff81000100 T __sched_text_end\n"
	"ffffffff81000100 t pipe_read\n"
	"ffffffff81000140 d pipe_data\n"
	"ffffffff81000200 T vfs_read\n"
	"ffffffff81000400 T _etext\n"
	"ffffffffc0001080 t foo_write\t[foo]\n"
	"ffffffffc0001000 t foo_read\t[foo]\n"
	"ffffffffc0002000 t bar_poll\t[bar]\n";

static int setup(void **state)
{
	fixture_dir_make(dir);
	return 0;
}

static int teardown(void **state)
{
	return fixture_dir_remove(dir);
}

static Symbolizer *new_symbolizer(void)
{
	_cleanup_free_ char *k = fixture_path(dir, "kallsyms");
	_cleanup_free_ char *proc = fixture_path(dir, "proc");
	Symbolizer *s = symbolizer_new(k, proc);

	assert_non_null(s);
	return s;
}

static void expect_kernel(Symbolizer *s, uint64_t addr, const char *want)
{
	_cleanup_free_ char *got = NULL;

	assert_int_equal(symbolizer_kernel(s, addr, &got), 0);
	assert_string_equal(got, want);
}

static void test_kernel(void **state)
{
	_cleanup_(symbolizer_freep) Symbolizer *s = NULL;
	/* Innermost first: two frames in the scheduler, then the caller. */
	const uint64_t stack[] = {
		0xffffffff81000090, 0xffffffff81000010, 0xffffffff81000123,
		0xffffffff81000210,
	};
	_cleanup_free_ char *wchan = NULL;

	fixture_write(dir, "kallsyms", kallsyms);
	s = new_symbolizer();
	assert_false(symbolizer_kernel_restricted(s));
	expect_kernel(s, 0xffffffff81000010, "schedule+0x10/0x80");
	expect_kernel(s, 0xffffffff81000090, "__schedule+0x10/0x80");
	/* Data symbols do not end functions. */
	expect_kernel(s, 0xffffffff81000150, "pipe_read+0x50/0x100");
	expect_kernel(s, 0xffffffffc0001010, "foo_read+0x10/0x80 [foo]");
	/* A module's last function: its size is not known. */
	expect_kernel(s, 0xffffffffc0001090, "foo_write+0x10 [foo]");
	/* Below every symbol, or too far past a module's last one. */
	expect_kernel(s, 0xffffffff80000000, "?");
	expect_kernel(s, 0xffffffffc0201000, "?");

	assert_int_equal(symbolizer_wchan(s, stack, ELEMENTSOF(stack), &wchan), 0);
	assert_string_equal(wchan, "pipe_read");
	wchan = mfree(wchan);
	assert_int_equal(symbolizer_wchan(s, stack, 2, &wchan), 0);
	assert_null(wchan);
}

static void test_kernel_reload(void **state)
{
	_cleanup_(symbolizer_freep) Symbolizer *s = NULL;

	fixture_write(dir, "kallsyms", "ffffffff81000000 T schedule\n"
			       "ffffffff81000100 T pipe_read\n");
	s = new_symbolizer();
	expect_kernel(s, 0xffffffffc0003010, "?");
	/* A module loaded since: found once kallsyms is read again. */
	fixture_write(dir, "kallsyms", "ffffffff81000000 T schedule\n"
			       "ffffffff81000100 T pipe_read\n"
			       "ffffffffc0003000 t new_fn\t[new]\n"
			       "ffffffffc0003100 t new_fn2\t[new]\n");
	/* Not more often than once a second. */
	expect_kernel(s, 0xffffffffc0003010, "?");
	usleep(1100000);
	expect_kernel(s, 0xffffffffc0003010, "new_fn+0x10/0x100 [new]");
}

static void test_kernel_restricted(void **state)
{
	_cleanup_(symbolizer_freep) Symbolizer *s = NULL;
	const uint64_t stack[] = { 0xffffffff81000010 };
	_cleanup_free_ char *wchan = NULL;

	/* What a reader without CAP_SYSLOG sees. */
	fixture_write(dir, "kallsyms", "0000000000000000 T _stext\n"
			       "0000000000000000 T schedule\n"
			       "0000000000000000 t foo_read\t[foo]\n");
	s = new_symbolizer();
	assert_true(symbolizer_kernel_restricted(s));
	expect_kernel(s, 0xffffffff81000010, "?");
	assert_int_equal(symbolizer_wchan(s, stack, 1, &wchan), 0);
	assert_null(wchan);
}

/* Copy the file @from to @to. */
static void copy_file(const char *from, const char *to)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

static void test_user(void **state)
{
	_cleanup_(symbolizer_freep) Symbolizer *s = NULL;
	_cleanup_free_ char *elf = NULL, *maps = NULL, *got = NULL, *want = NULL;
	_cleanup_free_ char *procdir = fixture_path(dir, "proc/4242");
	_cleanup_free_ char *app = fixture_path(dir, "app");
	TlobProbePoint pt = { .symbol = (char *)"tlob_fixture_stop" };
	const char *fixtures = getenv("TLOB_FIXTURE_DIR");
	uint64_t base = 0x555500000000ULL, off;
	struct stat st;

	assert_non_null(fixtures);
	assert_true(asprintf(&elf, "%s/elf-fixture-pie", fixtures) > 0);
	assert_int_equal(tlob_elf_resolve_path(elf, &pt, &off), 0);
	{
		_cleanup_free_ char *proc = fixture_path(dir, "proc");

		assert_int_equal(mkdir(proc, 0755), 0);
		assert_int_equal(mkdir(procdir, 0755), 0);
	}
	copy_file(elf, app);
	assert_int_equal(stat(app, &st), 0);
	/* The file mapped from offset 0, a heap, the vdso. */
	assert_true(asprintf(&maps,
		"%llx-%llx r-xp 00000000 fe:01 %llu %s\n"
		"555600000000-555600021000 rw-p 00000000 00:00 0 [heap]\n"
		"7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0 [vdso]\n"
		"7ffe00000000-7ffe00001000 r-xp 00000000 00:00 0 [x\033]\377\n",
		(unsigned long long)base,
		(unsigned long long)(base + (uint64_t)st.st_size + 4096),
		(unsigned long long)st.st_ino, app) > 0);
	fixture_write(dir, "proc/4242/maps", maps);
	s = new_symbolizer();

	/* Twice: the file read once, the second answer from the cache. */
	assert_true(asprintf(&want, "tlob_fixture_stop+0x3 (%s)", app) > 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(symbolizer_user(s, 4242, base + off + 3, &got), 0);
		assert_string_equal(got, want);
		got = mfree(got);
		assert_int_equal(symbolizer_elf_reads(s), 1);
	}
	assert_int_equal(symbolizer_user(s, 4242, 0x7ffd00000010, &got), 0);
	assert_string_equal(got, "[vdso]+0x10");
	got = mfree(got);
	assert_int_equal(symbolizer_user(s, 4242, 0x555600000100, &got), 0);
	assert_string_equal(got, "[heap]+0x100");
	got = mfree(got);
	/* Anybody's bytes: no escape, valid UTF-8. */
	assert_int_equal(symbolizer_user(s, 4242, 0x7ffe00000010, &got), 0);
	assert_string_equal(got, "[x?]?+0x10");
	got = mfree(got);
	/* In no mapping; a process that is gone. */
	assert_int_equal(symbolizer_user(s, 4242, 0x1000, &got), 0);
	assert_string_equal(got, "0x1000");
	got = mfree(got);
	assert_int_equal(symbolizer_user(s, 4243, base + off, &got), 0);
	want = mfree(want);
	assert_true(asprintf(&want, "0x%llx", (unsigned long long)(base + off)) > 0);
	assert_string_equal(got, want);
	got = mfree(got);
	/*
	 * The same inode rewritten (size and times change): not the cached
	 * symbol, the file as it is now (no ELF: file and offset).
	 */
	assert_int_equal(truncate(app, 0), 0);
	assert_int_equal(symbolizer_user(s, 4242, base + off + 3, &got), 0);
	want = mfree(want);
	assert_true(asprintf(&want, "%s+0x%llx", app, (unsigned long long)(off + 3)) > 0);
	assert_string_equal(got, want);
	assert_int_equal(symbolizer_elf_reads(s), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel),
		cmocka_unit_test(test_kernel_reload),
		cmocka_unit_test(test_kernel_restricted),
		cmocka_unit_test(test_user),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
