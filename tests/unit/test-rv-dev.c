// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing the records read() returns, on a pipe standing in for /dev/rv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>

#include "macro.h"
#include "rv-dev.h"

static struct tlob_event make_event(uint32_t tid)
{
	struct tlob_event ev = {
		.size = sizeof(ev),
		.type = TLOB_EV_VIOLATION,
		.state = TLOB_STATE_SLEEPING,
		.tgid = 100,
		.tid = tid,
		.binding_id = 7,
		.threshold_ns = 1000,
		.elapsed_ns = 2000,
	};

	strcpy(ev.comm, "worker");
	return ev;
}

static void make_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void test_records(void **state)
{
	struct tlob_event in[3] = { make_event(1), make_event(2), make_event(3) };
	struct tlob_event out[8];
	int p[2];

	make_pipe(p);
	assert_int_equal(write(p[1], in, sizeof(in)), sizeof(in));
	assert_int_equal(rv_read_events(p[0], out, ELEMENTSOF(out)), 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(out[i].tid, i + 1);
		assert_int_equal(out[i].elapsed_ns, 2000);
		assert_string_equal(out[i].comm, "worker");
	}
	/* Nothing pending. */
	assert_int_equal(rv_read_events(p[0], out, ELEMENTSOF(out)), -EAGAIN);
	close(p[1]);
	assert_int_equal(rv_read_events(p[0], out, ELEMENTSOF(out)), 0);
	close(p[0]);
}

static void test_larger_records(void **state)
{
	/* A newer kernel's records, 16 bytes longer: steps by .size. */
	uint8_t buf[2 * (sizeof(struct tlob_event) + 16)] = {};
	struct tlob_event ev, out[4];
	size_t rec = sizeof(ev) + 16;
	int p[2];

	for (unsigned i = 0; i < 2; i++) {
		ev = make_event(10 + i);
		ev.size = (uint32_t)rec;
		memcpy(buf + i * rec, &ev, sizeof(ev));
		memset(buf + i * rec + sizeof(ev), 0xee, 16);
	}
	make_pipe(p);
	assert_int_equal(write(p[1], buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(rv_read_events(p[0], out, ELEMENTSOF(out)), 2);
	assert_int_equal(out[0].tid, 10);
	assert_int_equal(out[1].tid, 11);
	assert_int_equal(out[1].size, sizeof(ev));
	close(p[0]);
	close(p[1]);
}

static void test_bad_records(void **state)
{
	struct tlob_event ev = make_event(1), out[4];
	int p[2];

	/* A partial record. */
	make_pipe(p);
	assert_int_equal(write(p[1], &ev, sizeof(ev) - 8), (ssize_t)sizeof(ev) - 8);
	assert_int_equal(rv_read_events(p[0], out, ELEMENTSOF(out)), -EPROTO);
	/* A record claiming to be smaller than the structure. */
	ev.size = 16;
	assert_int_equal(write(p[1], &ev, sizeof(ev)), sizeof(ev));
	assert_int_equal(rv_read_events(p[0], out, ELEMENTSOF(out)), -EPROTO);
	/* Or larger than what was read. */
	ev.size = sizeof(ev) * 2;
	assert_int_equal(write(p[1], &ev, sizeof(ev)), sizeof(ev));
	assert_int_equal(rv_read_events(p[0], out, ELEMENTSOF(out)), -EPROTO);
	close(p[0]);
	close(p[1]);
}

static void test_next_event(void **state)
{
	struct tlob_event in[2] = { make_event(5), make_event(6) }, ev;
	uint8_t buf[sizeof(in) + 8];
	size_t off = 0;

	/* Records in a buffer (an inbox a restart reads again), one by one. */
	memcpy(buf, in, sizeof(in));
	assert_int_equal(rv_next_event(buf, sizeof(in), &off, &ev), 1);
	assert_int_equal(ev.tid, 5);
	assert_int_equal(off, sizeof(ev));
	assert_int_equal(rv_next_event(buf, sizeof(in), &off, &ev), 1);
	assert_int_equal(ev.tid, 6);
	assert_int_equal(rv_next_event(buf, sizeof(in), &off, &ev), 0);
	/* A partial record at the end. */
	off = sizeof(in) - 8;
	assert_int_equal(rv_next_event(buf, sizeof(in), &off, &ev), -EPROTO);
	off = 0;
	assert_int_equal(rv_next_event(buf, 2, &off, &ev), -EPROTO);
}

static void test_ioctl_on_non_device(void **state)
{
	struct tlob_bind_args a = {};
	struct tlob_binding_stats st;
	struct tlob_binding_info info;
	struct tlob_result res;
	uint32_t *ids = NULL;
	char path[16];
	size_t n;
	int p[2];

	/* The wrappers hand back the ioctl's errno, negative. */
	make_pipe(p);
	assert_int_equal(rv_subscribe(p[0], TLOB_SUB_ALL), -ENOTTY);
	assert_int_equal(rv_bind(p[0], &a), -ENOTTY);
	assert_int_equal(rv_unbind(p[0], 1), -ENOTTY);
	assert_int_equal(rv_binding_stats(p[0], 1, &st), -ENOTTY);
	assert_int_equal(rv_trace_start(p[0], 1000, 0), -ENOTTY);
	assert_int_equal(rv_trace_stop(p[0], &res), -ENOTTY);
	assert_int_equal(rv_binding_info(p[0], 1, &info, path, sizeof(path)), -ENOTTY);
	assert_int_equal(info.id, 1);
	assert_int_equal(info.cgroup_path_size, sizeof(path));
	assert_string_equal(path, "");
	assert_int_equal(rv_list_bindings(p[0], TLOB_LIST_OWNED, &ids, &n), -ENOTTY);
	assert_null(ids);
	close(p[0]);
	close(p[1]);
	assert_int_equal(rv_subscribe(p[0], TLOB_SUB_ALL), -EBADF);
	assert_int_equal(rv_open("/nonexistent/rv", 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_larger_records),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_next_event),
		cmocka_unit_test(test_ioctl_on_non_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
