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
#include <sys/stat.h>
#include <time.h>

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

/* tlob_elf_symbolize() of the offset of @sym, plus @add, in @file. */
static void expect_symbol(const char *file, const char *sym, uint64_t add,
			  const char *want, uint64_t want_off)
{
	_cleanup_free_ char *p = fixture_path(file), *name = NULL;
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	uint64_t off, sym_off;

	assert_true(fd >= 0);
	assert_int_equal(resolve(file, sym, 0, &off), 0);
	assert_int_equal(tlob_elf_symbolize(fd, off + add, &name, &sym_off), 0);
	if (!streq(name, want) || sym_off != want_off)
		fail_msg("%s: %s+0x%llx came back as %s+0x%llx", file, sym,
			 (unsigned long long)add, name, (unsigned long long)sym_off);
}

static void test_symbolize(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
		_cleanup_free_ char *p = fixture_path(fixtures[i]), *name = NULL;
		_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
		uint64_t off;

		expect_symbol(fixtures[i], "tlob_fixture_start", 0, "tlob_fixture_start", 0);
		expect_symbol(fixtures[i], "tlob_fixture_stop", 7, "tlob_fixture_stop", 7);
		expect_symbol(fixtures[i], "tlob_fixture_sled", 0x800, "tlob_fixture_sled", 0x800);
		/* A label without a size: the nearest one below. */
		expect_symbol(fixtures[i], "tlob_fixture_label", 5, "tlob_fixture_label", 5);
		/* A local function is in .symtab only. */
		if (!streq(fixtures[i], "elf-fixture-stripped"))
			expect_symbol(fixtures[i], "tlob_fixture_local", 3, "tlob_fixture_local", 3);
		/* Past the end of the file: in no segment. */
		assert_true(fd >= 0);
		assert_int_equal(tlob_elf_symbolize(fd, UINT64_MAX / 2, &name, &off), -ERANGE);
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
	/* Not a regular file: refused before it is opened. */
	assert_int_equal(tlob_elf_resolve_path("/", &pt, &off), -EBADFD);

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

static void test_open_refuses_non_regular(void **state)
{
	char dir[] = "/tmp/tlob-test-elf-XXXXXX";
	_cleanup_free_ char *fifo = NULL, *exe = fixture_path("elf-fixture-pie");
	_cleanup_close_ int fd = -EBADF;
	struct timespec t0, t1;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&fifo, "%s/fifo", dir) > 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	/* A FIFO without writer: answered at once, nothing waits. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(tlob_elf_open(fifo, &st), -EBADFD);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(S_ISFIFO(st.st_mode));
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	assert_string_equal(tlob_file_type_name(st.st_mode), "a FIFO");

	assert_int_equal(tlob_elf_open(dir, &st), -EBADFD);
	assert_string_equal(tlob_file_type_name(st.st_mode), "a directory");
	assert_int_equal(tlob_elf_open("/dev/null", &st), -EBADFD);
	assert_string_equal(tlob_file_type_name(st.st_mode), "a character device");
	assert_int_equal(tlob_elf_open("/nonexistent/file", &st), -ENOENT);

	/* A regular file: open for reading, non-blocking, close-on-exec. */
	fd = tlob_elf_open(exe, &st);
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	unlink(fifo);
	rmdir(dir);
}

/* Resolve through @c; the fixture is opened the way the daemon does. */
static int cached(TlobElfCache *c, const char *path, const char *sym,
		  uint64_t *ret)
{
	TlobProbePoint pt = { .symbol = (char *)sym };
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = tlob_elf_open(path, &st);
	assert_true(fd >= 0);
	return tlob_elf_cache_resolve(c, fd, &st, &pt, ret);
}

static void test_cache(void **state)
{
	_cleanup_free_ char *src = fixture_path("elf-fixture-pie");
	char copy[] = "/tmp/tlob-test-elf-XXXXXX";
	TlobElfCache *c = tlob_elf_cache_new(3);
	uint64_t off, off2, hits, misses;
	struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = 12345 } };
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	char buf[65536];
	ssize_t n;

	assert_non_null(c);
	assert_null(tlob_elf_cache_new(0));
	/* A copy of the fixture, so that it can be touched. */
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = mkstemp(copy);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);

	assert_int_equal(cached(c, copy, "tlob_fixture_start", &off), 0);
	assert_int_equal(cached(c, copy, "tlob_fixture_start", &off2), 0);
	assert_int_equal(off2, off);
	tlob_elf_cache_stats(c, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);
	/* Answers about the file are remembered too. */
	assert_int_equal(cached(c, copy, "no_such_function", &off2), -ENXIO);
	assert_int_equal(cached(c, copy, "no_such_function", &off2), -ENXIO);
	tlob_elf_cache_stats(c, &hits, &misses);
	assert_int_equal(hits, 2);
	assert_int_equal(misses, 2);
	assert_int_equal(tlob_elf_cache_size(c), 2);

	/* A file that changed (here: its mtime) is read again. */
	assert_int_equal(futimens(out, times), 0);
	assert_int_equal(cached(c, copy, "tlob_fixture_start", &off2), 0);
	assert_int_equal(off2, off);
	tlob_elf_cache_stats(c, &hits, &misses);
	assert_int_equal(misses, 3);

	/* Bounded: the oldest entry makes room. */
	assert_int_equal(cached(c, copy, "tlob_fixture_stop", &off2), 0);
	assert_int_equal(tlob_elf_cache_size(c), 3);
	assert_int_equal(cached(c, copy, "tlob_fixture_local", &off2), 0);
	assert_int_equal(tlob_elf_cache_size(c), 3);

	tlob_elf_cache_clear(c);
	assert_int_equal(tlob_elf_cache_size(c), 0);
	assert_int_equal(cached(c, copy, "tlob_fixture_start", &off2), 0);
	tlob_elf_cache_stats(c, &hits, &misses);
	assert_int_equal(misses, 6);

	/* Without a cache: the plain resolver. */
	assert_int_equal(cached(NULL, copy, "tlob_fixture_start", &off2), 0);
	assert_int_equal(off2, off);
	tlob_elf_cache_free(c);
	unlink(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_refuses_non_regular),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_symtab_vs_dynsym),
		cmocka_unit_test(test_raw_offsets),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_symbolize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
