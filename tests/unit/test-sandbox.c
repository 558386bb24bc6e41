// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/sandbox.c: after sandbox_deny_tracing_syscalls(), bpf() and
 * perf_event_open() fail with EPERM (before, with what their bad
 * arguments give), and everything else still works. In a child: a
 * seccomp filter stays for life.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox.h"

/* Both with arguments no kernel accepts: the error says who refused. */
static int try_bpf(void)
{
	return syscall(__NR_bpf, -1, NULL, 0) < 0 ? errno : 0;
}

static int try_perf_event_open(void)
{
	return syscall(__NR_perf_event_open, NULL, 0, -1, -1, 0) < 0 ? errno : 0;
}

/* What the child saw, one byte each. */
static void run_child(unsigned char out[5])
{
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned char r[5];

		r[0] = (unsigned char)try_bpf();
		r[1] = (unsigned char)try_perf_event_open();
		r[2] = (unsigned char)-sandbox_deny_tracing_syscalls();
		r[3] = (unsigned char)try_bpf();
		r[4] = (unsigned char)try_perf_event_open();
		_exit(write(p[1], r, sizeof(r)) == sizeof(r) && getppid() > 0 ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], out, 5), 5);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_deny_tracing(void **state)
{
	unsigned char r[5];

	run_child(r);
	/* Before: refused for the arguments (or the caller's rights). */
	assert_int_not_equal(r[0], 0);
	assert_int_not_equal(r[1], 0);
	/* The filter is in place, and both get EPERM. */
	assert_int_equal(r[2], 0);
	assert_int_equal(r[3], EPERM);
	assert_int_equal(r[4], EPERM);
	/* Unless they already did without it, it is the filter's EPERM. */
	if (r[0] == EPERM && r[1] == EPERM)
		skip();
}

static void test_capable(void **state)
{
	/* Out of range: no. */
	assert_false(sandbox_capable(64));
	/* Dropping what one has not is fine and changes nothing. */
	if (!sandbox_capable(21 /* CAP_SYS_ADMIN */))
		assert_int_equal(sandbox_drop_capabilities(UINT64_C(1) << 21), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deny_tracing),
		cmocka_unit_test(test_capable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
