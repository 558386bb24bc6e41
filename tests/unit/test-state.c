// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state kept across restarts (daemon/state.c): a memfd taken over by
 * a new State as a restarted tlob-manager takes it from the fd store,
 * with the batch and the retirement a killed one left half done.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "macro.h"
#include "state.h"

/* What a restart gets: the same memfd, through another fd. */
static State *restart(State *s, unsigned n_slots)
{
	int fd = fcntl(state_fd(s), F_DUPFD_CLOEXEC, 3);
	State *n = NULL;

	assert_true(fd >= 0);
	state_free(s);
	assert_int_equal(state_new(fd, n_slots, false, &n), 0);
	return n;
}

static void test_counters(void **state)
{
	StateCounters c = {};
	State *s = NULL;

	assert_int_equal(state_new(-EBADF, 16, false, &s), 0);
	assert_true(state_fd(s) >= 0);
	assert_false(state_adopted(s));
	assert_int_equal(state_counters(s)->violations, 0);
	c.violations = 5;
	c.dropped = 2;
	c.self_violations = 3;
	c.suppressed = 1;
	state_commit(s, &c);
	assert_int_equal(state_counters(s)->violations, 5);
	/* Each commit is a batch. */
	assert_int_equal(state_counters(s)->batch, 1);

	s = restart(s, 16);
	assert_true(state_adopted(s));
	assert_int_equal(state_counters(s)->violations, 5);
	assert_int_equal(state_counters(s)->dropped, 2);
	assert_int_equal(state_counters(s)->self_violations, 3);
	assert_int_equal(state_counters(s)->suppressed, 1);
	assert_int_equal(state_counters(s)->batch, 1);
	state_free(s);
}

static void test_not_ours(void **state)
{
	int fd = memfd_create("junk", MFD_CLOEXEC);
	char junk[8192];
	State *s = NULL;

	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	assert_int_equal(state_new(fd, 16, false, &s), 0);
	assert_false(state_adopted(s));
	assert_int_equal(state_counters(s)->violations, 0);
	assert_null(state_retired(s, 0x5a5a5a5a5a5a5a5aULL));
	state_free(s);
}

static void put_records(void *inbox, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct tlob_event ev = {
			.size = sizeof(ev), .type = TLOB_EV_VIOLATION, .tid = i,
		};

		memcpy((uint8_t *)inbox + i * sizeof(ev), &ev, sizeof(ev));
	}
}

static void test_inbox(void **state)
{
	StateCounters c = {};
	const void *buf;
	State *s = NULL;
	size_t size;
	void *inbox;

	assert_int_equal(state_new(-EBADF, 16, false, &s), 0);
	inbox = state_inbox_begin(s, &size);
	assert_int_equal(size, STATE_INBOX_RECORDS * sizeof(struct tlob_event));
	/* Nothing read yet: nothing pending. */
	assert_int_equal(state_inbox_pending(s, &buf), 0);
	/* read(2) filled it with 3 records... and we were killed. */
	put_records(inbox, 3);
	s = restart(s, 16);
	assert_int_equal(state_inbox_pending(s, &buf),
			 3 * sizeof(struct tlob_event));
	assert_int_equal(((const struct tlob_event *)buf)[2].tid, 2);
	/* Handled and committed this time: not again. */
	c.violations = 3;
	state_commit(s, &c);
	s = restart(s, 16);
	assert_int_equal(state_inbox_pending(s, &buf), 0);
	assert_int_equal(state_counters(s)->violations, 3);

	/* The next batch starts empty, the last records gone from it. */
	inbox = state_inbox_begin(s, &size);
	assert_int_equal(state_inbox_pending(s, &buf), 0);
	put_records(inbox, STATE_INBOX_RECORDS);
	assert_int_equal(state_inbox_pending(s, &buf), size);
	state_free(s);
}

static struct tlob_binding_stats stats(uint64_t windows, uint64_t max)
{
	struct tlob_binding_stats st = {
		.windows = windows, .violations = 1, .max_ns = max,
		.sum_ns = windows * 10,
	};

	st.hist[3] = windows;
	return st;
}

static bool alive_7(uint32_t id, void *userdata)
{
	return id == 7;
}

static bool alive_none(uint32_t id, void *userdata)
{
	return false;
}

static bool used_all(uint64_t cookie, void *userdata)
{
	return true;
}

static bool used_not_b(uint64_t cookie, void *userdata)
{
	return cookie != 0xb;
}

static void test_retire(void **state)
{
	struct tlob_binding_stats st = stats(3, 100);
	const BudgetStats *r;
	State *s = NULL;

	assert_int_equal(state_new(-EBADF, 16, false, &s), 0);
	assert_null(state_retired(s, 0xa));
	assert_int_equal(state_retire_begin(s, 0xa, 7, &st), 0);
	/* Killed before the binding was removed: nothing retired. */
	s = restart(s, 16);
	state_recover(s, alive_7, used_all, NULL);
	r = state_retired(s, 0xa);
	assert_true(!r || r->windows == 0);

	/* Retired properly. */
	assert_int_equal(state_retire_begin(s, 0xa, 7, &st), 0);
	state_retire_end(s);
	assert_int_equal(state_retired(s, 0xa)->windows, 3);
	assert_int_equal(state_retired(s, 0xa)->hist[3], 3);
	state_retire_end(s);	/* nothing pending: nothing added */
	assert_int_equal(state_retired(s, 0xa)->windows, 3);

	/* Killed after the binding was removed: completed at start, once. */
	st = stats(2, 300);
	assert_int_equal(state_retire_begin(s, 0xa, 8, &st), 0);
	s = restart(s, 16);
	state_recover(s, alive_7, used_all, NULL);
	r = state_retired(s, 0xa);
	assert_int_equal(r->windows, 5);
	assert_int_equal(r->violations, 2);
	assert_int_equal(r->max_ns, 300);
	assert_int_equal(r->sum_ns, 50);
	assert_int_equal(r->hist[3], 5);
	s = restart(s, 16);
	state_recover(s, alive_none, used_all, NULL);
	assert_int_equal(state_retired(s, 0xa)->windows, 5);

	/* Slots of budgets that are gone are freed at start. */
	assert_int_equal(state_retire_begin(s, 0xb, 9, &st), 0);
	state_retire_end(s);
	state_recover(s, alive_none, used_not_b, NULL);
	assert_null(state_retired(s, 0xb));
	assert_int_equal(state_retired(s, 0xa)->windows, 5);
	state_retired_drop(s, 0xa);
	assert_null(state_retired(s, 0xa));
	state_free(s);
}

static void test_slots_full(void **state)
{
	struct tlob_binding_stats st = stats(1, 1);
	State *s = NULL;
	unsigned n = 0;

	/* At least as many slots as asked (the file is whole pages). */
	assert_int_equal(state_new(-EBADF, 4, true, &s), 0);
	assert_true(state_fd(s) < 0);
	for (uint64_t c = 1; c < 10000; c++) {
		if (state_retire_begin(s, c, (uint32_t)c, &st) == -ENOSPC)
			break;
		state_retire_end(s);
		n++;
	}
	assert_true(n >= 4 && n < 10000);
	/* One freed: room again. */
	state_retired_drop(s, 2);
	assert_int_equal(state_retire_begin(s, 20000, 1, &st), 0);
	state_retire_end(s);
	assert_int_equal(state_retired(s, 20000)->windows, 1);
	state_free(s);
}

static void test_retired_ids(void **state)
{
	State *s = NULL;

	assert_int_equal(state_new(-EBADF, 4, false, &s), 0);
	assert_int_equal(state_retired_cookie(s, 5), 0);
	for (uint32_t id = 1; id <= 100; id++)
		state_note_retired(s, id, 0x1000 + id);
	s = restart(s, 4);
	/* The last ones are known, after a restart too. */
	assert_int_equal(state_retired_cookie(s, 100), 0x1000 + 100);
	assert_int_equal(state_retired_cookie(s, 60), 0x1000 + 60);
	assert_int_equal(state_retired_cookie(s, 1), 0);
	assert_int_equal(state_retired_cookie(s, 0), 0);
	state_free(s);
}

static void test_fewer_slots_kept(void **state)
{
	struct tlob_binding_stats st = stats(4, 4);
	State *s = NULL;

	assert_int_equal(state_new(-EBADF, 4, false, &s), 0);
	assert_int_equal(state_retire_begin(s, 0xc, 1, &st), 0);
	state_retire_end(s);
	/* More budgets allowed now: the file stays as it is laid out. */
	s = restart(s, 4096);
	assert_true(state_adopted(s));
	assert_int_equal(state_retired(s, 0xc)->windows, 4);
	state_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_inbox),
		cmocka_unit_test(test_retire),
		cmocka_unit_test(test_slots_full),
		cmocka_unit_test(test_retired_ids),
		cmocka_unit_test(test_fewer_slots_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
