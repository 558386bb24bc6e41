// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cgroup paths of units (daemon/unit-cgroup.c), as systemd's system
 * manager lays them out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "unit-cgroup.h"

static void check(int (*f)(const char *, char **), const char *in,
		  const char *want)
{
	_cleanup_free_ char *out = NULL;
	int r = f(in, &out);

	if (!want) {
		if (r != -EINVAL)
			fail_msg("%s: got %d \"%s\", expected EINVAL", in, r,
				 strempty(out));
		return;
	}
	if (r < 0)
		fail_msg("%s: %s", in, strerror(-r));
	if (!streq(out, want))
		fail_msg("%s: got \"%s\", expected \"%s\"", in, out, want);
}

static void test_escape(void **state)
{
	check(unit_cgroup_escape, "foo.service", "foo.service");
	check(unit_cgroup_escape, "cpu.service", "_cpu.service");
	check(unit_cgroup_escape, "memory.slice", "_memory.slice");
	check(unit_cgroup_escape, "bpf-firewall.service", "_bpf-firewall.service");
	check(unit_cgroup_escape, "cpux.service", "cpux.service");
	check(unit_cgroup_escape, "_x.service", "__x.service");
	check(unit_cgroup_escape, "tasks", "_tasks");
	check(unit_cgroup_escape, "cgroup.procs", "_cgroup.procs");
}

static void test_slice_path(void **state)
{
	check(unit_cgroup_slice_path, "-.slice", "");
	check(unit_cgroup_slice_path, "system.slice", "system.slice");
	check(unit_cgroup_slice_path, "system-getty.slice",
	      "system.slice/system-getty.slice");
	check(unit_cgroup_slice_path, "a-b-c.slice", "a.slice/a-b.slice/a-b-c.slice");
	check(unit_cgroup_slice_path, "user-1000.slice", "user.slice/user-1000.slice");
	check(unit_cgroup_slice_path, "cpu-x.slice", "_cpu.slice/cpu-x.slice");
	check(unit_cgroup_slice_path, "foo.service", NULL);
	check(unit_cgroup_slice_path, "a--b.slice", NULL);
	check(unit_cgroup_slice_path, "-a.slice", NULL);
	check(unit_cgroup_slice_path, "a-.slice", NULL);
	check(unit_cgroup_slice_path, ".slice", NULL);
}

static void test_default_slice(void **state)
{
	check(unit_cgroup_default_slice, "nginx.service", "system.slice");
	check(unit_cgroup_default_slice, "getty@tty1.service", "system-getty.slice");
	check(unit_cgroup_default_slice, "getty@.service", "system-getty.slice");
	check(unit_cgroup_default_slice, "foo-bar@x.service",
	      "system-foo\\x2dbar.slice");
	check(unit_cgroup_default_slice, "a.slice", "-.slice");
	check(unit_cgroup_default_slice, "a-b.slice", "a.slice");
	check(unit_cgroup_default_slice, "-.slice", NULL);
	check(unit_cgroup_default_slice, "nope", NULL);
}

static void path(const char *unit, const char *cg, const char *slice,
		 const char *want)
{
	_cleanup_free_ char *out = NULL;

	assert_int_equal(unit_cgroup_path(unit, cg, slice, &out), 0);
	if (!streq(out, want))
		fail_msg("%s (%s, %s): got \"%s\", expected \"%s\"", unit,
			 strempty(cg), strempty(slice), out, want);
}

static void test_path(void **state)
{
	/* ControlGroup wins while it is there. */
	path("foo.service", "/system.slice/foo.service", "system.slice",
	     "system.slice/foo.service");
	path("foo.service", "/custom.slice/foo.service", NULL,
	     "custom.slice/foo.service");
	/* Else Slice=, else the default. */
	path("foo.service", "", "a-b.slice", "a.slice/a-b.slice/foo.service");
	path("foo.service", NULL, NULL, "system.slice/foo.service");
	path("cpu.service", NULL, NULL, "system.slice/_cpu.service");
	path("x@1.service", NULL, NULL, "system.slice/system-x.slice/x@1.service");
	path("init.scope", NULL, "-.slice", "init.scope");
	path("a-b.slice", NULL, NULL, "a.slice/a-b.slice");
	/* A template: the slice of its instances, whatever ControlGroup. */
	path("web@.service", NULL, NULL, "system.slice/system-web.slice");
	path("web@.service", "/system.slice/system-web.slice/web@q.service",
	     "system-web.slice", "system.slice/system-web.slice");
	path("web@.service", NULL, "web.slice", "web.slice");
}

static void child(const char *base, const char *cg, const char *want)
{
	_cleanup_free_ char *out = NULL;
	int r = unit_cgroup_child(base, cg, &out);

	if (!want) {
		assert_int_equal(r, -ENXIO);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(out, want);
}

static void test_child(void **state)
{
	child("system.slice/system-web.slice",
	      "/system.slice/system-web.slice/web@a.service", "web@a.service");
	child("system.slice/system-web.slice",
	      "/system.slice/system-web.slice/web@a.service/sub/x", "web@a.service");
	child("/system.slice/system-web.slice",
	      "system.slice/system-web.slice/_cpu@1.service", "cpu@1.service");
	child("system.slice/system-web.slice", "/system.slice/system-web.slice", NULL);
	child("system.slice/system-web.slice", "/system.slice/system-webx.slice/a", NULL);
	child("system.slice/system-web.slice", "/user.slice/x", NULL);
	child("", "/init.scope", "init.scope");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_slice_path),
		cmocka_unit_test(test_default_slice),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
