// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/snapshot.c against a tracefs of fixtures: the instance's buffer
 * sized to fit a snapshot, the events turned on and off, snapshots saved
 * whole (or cut at the cap, tracing on again either way), the newest
 * SNAPSHOT_KEEP kept.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture-dir.h"
#include "macro.h"
#include "manager.h"
#include "snapshot.h"

static char dir[] = "/tmp/tlob-test-snapshot.XXXXXX";

static char *read_file(const char *name)
{
	_cleanup_free_ char *p = fixture_path(dir, name);
	char *text = NULL;
	size_t n = 0;
	FILE *f = fopen(p, "re");

	assert_non_null(f);
	assert_true(getdelim(&text, &n, '\0', f) >= 0);
	fclose(f);
	return text;
}

static void mkdirs(const char *rel)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", dir, rel);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	fixture_dir_make(dir);
	mkdirs("tracing/instances/tlob/events/sched/sched_switch");
	mkdirs("tracing/instances/tlob/events/sched/sched_wakeup");
	mkdirs("tracing/instances/tlob/events/sched/sched_migrate_task");
	fixture_write(dir, "tracing/instances/tlob/buffer_size_kb", "7\n");
	fixture_write(dir, "tracing/instances/tlob/tracing_on", "0\n");
	fixture_write(dir, "tracing/instances/tlob/events/sched/sched_switch/enable", "0\n");
	fixture_write(dir, "tracing/instances/tlob/events/sched/sched_wakeup/enable", "0\n");
	fixture_write(dir, "tracing/instances/tlob/events/sched/sched_migrate_task/enable", "0\n");
	return 0;
}

static int teardown(void **state)
{
	return fixture_dir_remove(dir);
}

static void test_buffer_kb(void **state)
{
	/* All of it as text in the cap, from 1 MiB a CPU down to a page. */
	assert_int_equal(snapshot_buffer_kb(0), SNAPSHOT_BUFFER_KB_MAX);
	assert_int_equal(snapshot_buffer_kb(1), SNAPSHOT_BUFFER_KB_MAX);
	assert_int_equal(snapshot_buffer_kb(4), SNAPSHOT_BUFFER_KB_MAX);
	assert_int_equal(snapshot_buffer_kb(8), 512);
	assert_int_equal(snapshot_buffer_kb(256), 16);
	assert_int_equal(snapshot_buffer_kb(1024), SNAPSHOT_BUFFER_KB_MIN);
	assert_int_equal(snapshot_buffer_kb(8192), SNAPSHOT_BUFFER_KB_MIN);
	for (unsigned int n = 1; n <= 1024; n++)
		assert_true((uint64_t)snapshot_buffer_kb(n) * 1024 * n *
			    SNAPSHOT_TEXT_RATIO <= SNAPSHOT_SIZE_MAX);
}

static void test_sync(void **state)
{
	_cleanup_free_ char *tracefs = fixture_path(dir, "tracing");
	_cleanup_free_ char *kb = NULL, *on = NULL, *ev = NULL, *want = NULL;
	Budget b = { .actions.mask = TLOB_ACTION_SNAPSHOT };
	Budget *budgets[] = { &b };
	Manager m = { .tracefs = tracefs, .budgets = budgets, .n_budgets = 1 };
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);

	snapshot_sync(&m);
	assert_true(m.snapshot_events);
	kb = read_file("tracing/instances/tlob/buffer_size_kb");
	assert_true(asprintf(&want, "%u", snapshot_buffer_kb((unsigned int)ncpus)) > 0);
	assert_string_equal(kb, want);
	on = read_file("tracing/instances/tlob/tracing_on");
	assert_string_equal(on, "1");
	ev = read_file("tracing/instances/tlob/events/sched/sched_wakeup/enable");
	assert_string_equal(ev, "1");
	ev = mfree(ev);

	/* No budget wants it any more. */
	b.actions.mask = 0;
	snapshot_sync(&m);
	assert_false(m.snapshot_events);
	ev = read_file("tracing/instances/tlob/events/sched/sched_switch/enable");
	assert_string_equal(ev, "0");
}

/* A trace of @size bytes, its last line "last\n". */
static void make_trace(size_t size)
{
	_cleanup_free_ char *p = fixture_path(dir, "tracing/instances/tlob/trace");
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char line[64];

	assert_true(fd >= 0);
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	for (size_t done = 0; done + 5 < size; ) {
		size_t n = MIN(sizeof(line), size - 5 - done);

		assert_int_equal(write(fd, line, n), (ssize_t)n);
		done += n;
	}
	assert_int_equal(write(fd, "last\n", 5), 5);
}

static void test_take(void **state)
{
	_cleanup_free_ char *tracefs = fixture_path(dir, "tracing");
	_cleanup_free_ char *snapdir = fixture_path(dir, "snapshots");
	_cleanup_free_ SnapshotInfo *l = NULL;
	_cleanup_free_ char *on = NULL;
	Manager m = { .tracefs = tracefs, .snapshot_dir = snapdir };
	uint64_t index;
	size_t n;

	assert_int_equal(snapshot_list(&m, "b1", &l, &n), -ENOENT);
	/* Whole, and tracing on again. */
	make_trace(100000);
	fixture_write(dir, "tracing/instances/tlob/tracing_on", "1");
	assert_int_equal(snapshot_take(&m, "b1", &index), 0);
	assert_int_equal(index, 1);
	on = read_file("tracing/instances/tlob/tracing_on");
	assert_string_equal(on, "1");
	assert_int_equal(snapshot_list(&m, "b1", &l, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].size, 100000);
	l = mfree(l);

	/* Over the cap by one byte: cut there, said so, still saved. */
	make_trace(SNAPSHOT_SIZE_MAX + 1);
	assert_int_equal(snapshot_take(&m, "b1", &index), 1);
	assert_int_equal(index, 2);
	assert_int_equal(snapshot_list(&m, "b1", &l, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(l[1].size, SNAPSHOT_SIZE_MAX);
	l = mfree(l);
	on = mfree(on);
	on = read_file("tracing/instances/tlob/tracing_on");
	assert_string_equal(on, "1");
	/* Exactly the cap: whole. */
	make_trace(SNAPSHOT_SIZE_MAX);
	assert_int_equal(snapshot_take(&m, "b1", &index), 0);
	assert_int_equal(index, 3);

	/* The newest SNAPSHOT_KEEP of them, numbered on. */
	make_trace(1000);
	for (int i = 0; i < SNAPSHOT_KEEP + 2; i++)
		assert_int_equal(snapshot_take(&m, "b1", &index), 0);
	assert_int_equal(index, SNAPSHOT_KEEP + 5);
	assert_int_equal(snapshot_list(&m, "b1", &l, &n), 0);
	assert_int_equal(n, SNAPSHOT_KEEP);
	assert_int_equal(l[0].index, 6);
	assert_int_equal(l[n - 1].index, SNAPSHOT_KEEP + 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(l[i].size, 1000);
	{
		_cleanup_close_ int fd = snapshot_open(&m, "b1", 6);

		assert_true(fd >= 0);
		assert_int_equal(snapshot_open(&m, "b1", 5), -ENOENT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffer_kb),
		cmocka_unit_test(test_sync),
		cmocka_unit_test(test_take),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
