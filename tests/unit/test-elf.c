// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ELF resolver on fixtures built by meson from elf-fixture.c: for each
 * kind of file, the bytes at the resolved offset must be the marker the
 * symbol starts with. $TLOB_FIXTURE_DIR names the directory holding them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>

#include "elf-resolve.h"
#include "macro.h"

static const char *const fixtures[] = {
	"elf-fixture-pie",
	"elf-fixture-nopie",
	"libelf-fixture.so",
	"elf-fixture-stripped",
};

static char *fixture_path(const char *name)
{
	const char *dir = getenv("TLOB_FIXTURE_DIR");
	char *p;

	assert_non_null(dir);
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static int resolve(const char *file, const char *sym, uint64_t add,
		   uint64_t *ret)
{
	_cleanup_free_ char *p = fixture_path(file);
	TlobProbePoint pt = { .symbol = (char *)sym, .offset = add };

	return tlob_elf_resolve_path(p, &pt, ret);
}

static void expect_bytes(const char *file, uint64_t off, const char *want)
{
	_cleanup_free_ char *p = fixture_path(file);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	char buf[16] = {};
	size_t n = strlen(want);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, n, (off_t)off), (ssize_t)n);
	if (memcmp(buf, want, n) != 0)
		fail_msg("%s at 0x%llx: \"%.*s\", expected \"%s\"", file,
			 (unsigned long long)off, (int)n, buf, want);
}

static void test_symbols(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
		const char *f = fixtures[i];
		uint64_t off;

		assert_int_equal(resolve(f, "tlob_fixture_start", 0, &off), 0);
		expect_bytes(f, off, "TLOBSTAR");
		assert_int_equal(resolve(f, "tlob_fixture_start", 4, &off), 0);
		expect_bytes(f, off, "STAR");
		assert_int_equal(resolve(f, "tlob_fixture_start", 7, &off), 0);
		expect_bytes(f, off, "R");
		assert_int_equal(resolve(f, "tlob_fixture_stop", 0, &off), 0);
		expect_bytes(f, off, "TLOBSTOP");

		/* Past the end of the symbol. */
		assert_int_equal(resolve(f, "tlob_fixture_start", 8, &off), -ERANGE);
		assert_int_equal(resolve(f, "tlob_fixture_start", UINT64_MAX, &off),
				 -ERANGE);
		assert_int_equal(resolve(f, "no_such_function", 0, &off), -ENXIO);
		assert_int_equal(resolve(f, "tlob_fixture", 0, &off), -ENXIO);
		/* Data objects are not probe points. */
		assert_int_equal(resolve(f, "tlob_fixture_data", 0, &off), -ENXIO);
	}
}

static void test_symtab_vs_dynsym(void **state)
{
	uint64_t off;

	/* A local symbol lives in .symtab only: gone once stripped. */
	assert_int_equal(resolve("elf-fixture-pie", "tlob_fixture_local", 0, &off), 0);
	expect_bytes("elf-fixture-pie", off, "TLOBLOCL");
	assert_int_equal(resolve("elf-fixture-nopie", "tlob_fixture_local", 0, &off), 0);
	expect_bytes("elf-fixture-nopie", off, "TLOBLOCL");
	assert_int_equal(resolve("elf-fixture-stripped", "tlob_fixture_local", 0, &off),
			 -ENXIO);

	/* A label without type or size: found, but no offset can be added. */
	assert_int_equal(resolve("libelf-fixture.so", "tlob_fixture_label", 0, &off), 0);
	expect_bytes("libelf-fixture.so", off, "TLOBLABL");
	assert_int_equal(resolve("libelf-fixture.so", "tlob_fixture_label", 1, &off),
			 -ERANGE);
}

static void test_raw_offsets(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
		_cleanup_free_ char *p = fixture_path(fixtures[i]);
		TlobProbePoint pt = {};
		uint64_t start, off;

		assert_int_equal(resolve(fixtures[i], "tlob_fixture_start", 0, &start), 0);
		pt.offset = start + 2;
		assert_int_equal(tlob_elf_resolve_path(p, &pt, &off), 0);
		assert_int_equal(off, start + 2);
		pt.offset = 0xffffffffffULL;
		assert_int_equal(tlob_elf_resolve_path(p, &pt, &off), -ERANGE);
	}
}

static void test_bad_files(void **state)
{
	TlobProbePoint pt = { .symbol = (char *)"main" };
	char empty[] = "/tmp/tlob-test-elf-XXXXXX";
	_cleanup_close_ int fd = -EBADF;
	uint64_t off;

	assert_int_equal(tlob_elf_resolve_path("/nonexistent/file", &pt, &off),
			 -ENOENT);
	assert_int_equal(tlob_elf_resolve_path("/", &pt, &off), -ENOEXEC);

	fd = mkstemp(empty);
	assert_true(fd >= 0);
	unlink(empty);
	assert_int_equal(tlob_elf_resolve(fd, &pt, &off), -ENOEXEC);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	assert_int_equal(tlob_elf_resolve(fd, &pt, &off), -ENOEXEC);
	/* An ELF magic followed by garbage. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "\177ELF\2\1\1\0garbage-garbage-garbage", 31, 0), 31);
	assert_true(tlob_elf_resolve(fd, &pt, &off) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_symtab_vs_dynsym),
		cmocka_unit_test(test_raw_offsets),
		cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
