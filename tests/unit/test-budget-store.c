// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The budget store (daemon/budget-store.c) on a scratch root: drop-ins
 * written as AddBudget() does, persistent and runtime, read back with
 * their ids and sources, removed; and the journal entries' text
 * (daemon/journal-format.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>

#include "budget-store.h"
#include "dropin.h"
#include "journal-format.h"
#include "macro.h"
#include "manager.h"
#include "rcstr.h"
#include "strv.h"

static char root[] = "/tmp/tlob-test-store-XXXXXX";

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

static int setup_root(void **state)
{
	strcpy(root + strlen(root) - 6, "XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown_root(void **state)
{
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *path_of(const char *rel)
{
	char *p;

	assert_true(asprintf(&p, "%s%s", root, rel) > 0);
	return p;
}

static char *read_all(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf = calloc(1, 4096);

	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 4095, f) > 0);
	return buf;
}

static void write_file(const char *rel, const char *text)
{
	_cleanup_free_ char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s%s", root, rel) > 0);
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static Manager *fake_manager(void)
{
	Manager *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->root = strdup(root);
	assert_non_null(m->root);
	m->ratelimit_interval_usec = 10 * USEC_PER_SEC;
	m->ratelimit_burst = 10;
	return m;
}

static void fake_manager_free(Manager *m)
{
	free(m->root);
	free(m);
}

static void free_list(Budget **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		budget_free(l[i]);
	free(l);
}

static Budget *find(Budget **l, size_t n, const char *probe)
{
	for (size_t i = 0; i < n; i++)
		if (streq(l[i]->probe_text, probe))
			return l[i];
	return NULL;
}

static void test_write_persistent(void **state)
{
	_cleanup_free_ char *file = NULL, *want = NULL, *text = NULL,
			    *tmp = NULL;

	assert_int_equal(budget_store_write(root, "nginx.service", "0123abcd",
					    "getaddrinfo", 100 * NSEC_PER_MSEC,
					    false, "DNS lookups", true, NULL, &file), 0);
	want = path_of("/etc/systemd/system.control/nginx.service.d/50-TlobBudget-0123abcd.conf");
	assert_string_equal(file, want);
	text = read_all(file);
	assert_non_null(strstr(text, "\n# Description: DNS lookups\n"));
	assert_non_null(strstr(text, "[X-Tlob]\nTlobBudget=getaddrinfo 100ms\n"));
	/* set-property style: nothing but the budget in the section */
	assert_string_equal(strstr(text, "[X-Tlob]"),
			    "[X-Tlob]\nTlobBudget=getaddrinfo 100ms\n");
	assert_true(asprintf(&tmp, "%s.tmp", file) > 0);
	assert_int_equal(access(tmp, F_OK), -1);
}

static void test_write_runtime(void **state)
{
	_cleanup_free_ char *file = NULL, *want = NULL, *text = NULL;

	assert_int_equal(budget_store_write(root, "a@1.service", "r1",
					    "/usr/bin/x:main..exit",
					    1500 * NSEC_PER_MSEC, true, NULL,
					    true, NULL, &file), 0);
	want = path_of("/run/systemd/system.control/a@1.service.d/50-TlobBudget-r1.conf");
	assert_string_equal(file, want);
	text = read_all(file);
	assert_null(strstr(text, "# Description:"));
	assert_string_equal(strstr(text, "[X-Tlob]"),
			    "[X-Tlob]\nTlobBudget=/usr/bin/x:main..exit 1s 500ms\n");
	file = mfree(file);
	text = mfree(text);
	/* Not the default: said in the file. */
	assert_int_equal(budget_store_write(root, "a@1.service", "r2",
					    "/usr/bin/x:main", NSEC_PER_MSEC,
					    true, NULL, false, NULL, &file), 0);
	text = read_all(file);
	assert_string_equal(strstr(text, "[X-Tlob]"),
			    "[X-Tlob]\nTlobBudget=/usr/bin/x:main 1ms\nTlobCause=no\n");
}

static void test_write_fails(void **state)
{
	_cleanup_free_ char *file = NULL;

	/* A file where the directory would be. */
	write_file("/etc/systemd/system.control/blocked.service.d", "");
	assert_int_equal(budget_store_write(root, "blocked.service", "b1",
					    "f", NSEC_PER_MSEC, false, NULL,
					    true, NULL, &file), -ENOTDIR);
	assert_null(file);
}

static void test_load_sources_and_ids(void **state)
{
	Manager *m = fake_manager();
	_cleanup_free_ char *file = NULL, *file2 = NULL;
	Budget **l = NULL, **l2 = NULL, *b;
	size_t n = 0, n2 = 0;

	assert_int_equal(budget_store_write(root, "web.service", "api1",
					    "handle", 20 * NSEC_PER_MSEC, false,
					    "requests", true, NULL, &file), 0);
	assert_int_equal(budget_store_write(root, "web.service", "rt1",
					    "parse..parse_end", NSEC_PER_MSEC,
					    true, NULL, false, NULL, &file2), 0);
	write_file("/etc/systemd/system/web.service.d/tlob.conf",
		   "[X-Tlob]\n"
		   "TlobBudget=/usr/lib/libc.so.6:getaddrinfo 100ms\n"
		   "TlobBudget=accept 5ms\n");

	assert_int_equal(budget_store_load(m, NULL, &l, &n), 0);
	assert_int_equal(n, 4);

	b = find(l, n, "handle");
	assert_non_null(b);
	assert_string_equal(b->id, "api1");
	assert_int_equal(b->source, BUDGET_SOURCE_API);
	assert_string_equal(b->description, "requests");
	assert_string_equal(b->file, file);
	assert_string_equal(b->unit_name, "web.service");
	assert_int_equal(b->budget_ns, 20 * NSEC_PER_MSEC);
	assert_false(b->has_stop);
	assert_null(b->probe_path);
	assert_true(b->cause);

	/* Written with TlobCause=no, read back so. */
	b = find(l, n, "parse..parse_end");
	assert_non_null(b);
	assert_string_equal(b->id, "rt1");
	assert_int_equal(b->source, BUDGET_SOURCE_RUNTIME);
	assert_null(b->description);
	assert_true(b->has_stop);
	assert_false(b->cause);

	b = find(l, n, "/usr/lib/libc.so.6:getaddrinfo");
	assert_non_null(b);
	assert_int_equal(b->source, BUDGET_SOURCE_DROPIN);
	assert_string_equal(b->probe_path, "/usr/lib/libc.so.6");
	assert_int_equal(strlen(b->id), 8);
	assert_int_equal(strspn(b->id, "0123456789abcdef"), 8);
	/* Budgets of one file share its path and their unit's name. */
	assert_ptr_equal(b->file, find(l, n, "accept")->file);
	assert_ptr_equal(b->unit_name, find(l, n, "accept")->unit_name);
	assert_string_not_equal(b->id, find(l, n, "accept")->id);

	/* Hand-written lines keep their ids from one load to the next. */
	assert_int_equal(budget_store_load(m, NULL, &l2, &n2), 0);
	assert_int_equal(n2, n);
	for (size_t i = 0; i < n; i++) {
		Budget *o = find(l2, n2, l[i]->probe_text);

		assert_non_null(o);
		assert_string_equal(o->id, l[i]->id);
	}
	free_list(l, n);
	free_list(l2, n2);
	fake_manager_free(m);
}

static void test_load_templates(void **state)
{
	Manager *m = fake_manager();
	char *extra[] = { (char *)"job@2.service", (char *)"job@.service", NULL };
	Budget **l = NULL;
	const Budget *b;
	size_t n = 0;

	write_file("/etc/systemd/system/job@.service.d/tlob.conf",
		   "[X-Tlob]\nTlobBudget=step 1s\n");
	write_file("/etc/systemd/system/job@1.service.d/tlob.conf",
		   "[X-Tlob]\nTlobBudget=own 2s\n");
	/* The manager's patterns: the template directory with budgets. */
	assert_int_equal(tlob_dropin_patterns(root, tlob_unit_search_path,
					      &m->patterns), 0);
	assert_true(tlob_strv_contains(m->patterns, "job@.service"));
	assert_int_equal(budget_store_load(m, extra, &l, &n), 0);
	/*
	 * One budget of the template itself for all its instances; an
	 * instance's own drop-in adds its own, and leaves the template's
	 * out of its list (job@1 and job@2 get no second "step").
	 */
	assert_int_equal(n, 2);
	b = find(l, n, "step");
	assert_non_null(b);
	assert_string_equal(b->unit_name, "job@.service");
	assert_int_equal(b->budget_ns, NSEC_PER_SEC);
	assert_int_equal(b->source, BUDGET_SOURCE_DROPIN);
	b = find(l, n, "own");
	assert_non_null(b);
	assert_string_equal(b->unit_name, "job@1.service");
	free_list(l, n);
	tlob_strv_free(m->patterns);
	fake_manager_free(m);
}

static void test_id_clash_falls_back(void **state)
{
	Manager *m = fake_manager();
	_cleanup_free_ char *f1 = NULL, *f2 = NULL;
	Budget **l = NULL;
	size_t n = 0;

	/* The same id for two units: the second gets a hashed one. */
	assert_int_equal(budget_store_write(root, "one.service", "same", "a",
					    NSEC_PER_MSEC, false, NULL, true, NULL, &f1), 0);
	assert_int_equal(budget_store_write(root, "two.service", "same", "b",
					    NSEC_PER_MSEC, false, NULL, true, NULL, &f2), 0);
	assert_int_equal(budget_store_load(m, NULL, &l, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0]->id, "same");
	assert_int_equal(l[0]->source, BUDGET_SOURCE_API);
	assert_string_not_equal(l[1]->id, "same");
	assert_int_equal(l[1]->source, BUDGET_SOURCE_DROPIN);
	free_list(l, n);
	fake_manager_free(m);
}

static void test_remove(void **state)
{
	Manager *m = fake_manager();
	_cleanup_free_ char *file = NULL, *dir = NULL, *hand = NULL;
	Budget **l = NULL;
	size_t n = 0;

	assert_int_equal(budget_store_write(root, "rm.service", "gone", "f",
					    NSEC_PER_MSEC, false, NULL, true, NULL, &file), 0);
	write_file("/etc/systemd/system/keep.service.d/tlob.conf",
		   "[X-Tlob]\nTlobBudget=g 1ms\n");
	assert_int_equal(budget_store_load(m, NULL, &l, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(budget_store_remove(find(l, n, "f")), 0);
	assert_int_equal(access(file, F_OK), -1);
	dir = path_of("/etc/systemd/system.control/rm.service.d");
	assert_int_equal(access(dir, F_OK), -1);
	/* Gone already: not an error. */
	assert_int_equal(budget_store_remove(find(l, n, "f")), 0);

	/* The administrator's drop-ins are not ours to delete. */
	assert_int_equal(budget_store_remove(find(l, n, "g")), -EPERM);
	hand = path_of("/etc/systemd/system/keep.service.d/tlob.conf");
	assert_int_equal(access(hand, F_OK), 0);
	free_list(l, n);
	fake_manager_free(m);
}

static void test_clean(void **state)
{
	_cleanup_free_ char *file = NULL, *stale = NULL, *stale_rt = NULL,
			    *other = NULL, *hand = NULL, *lone_dir = NULL;

	/* A budget, the .tmp files of two interrupted writes, and files
	 * that are not ours. */
	assert_int_equal(budget_store_write(root, "keep.service", "k1", "f",
					    NSEC_PER_MSEC, false, NULL, true, NULL, &file), 0);
	write_file("/etc/systemd/system.control/keep.service.d/50-TlobBudget-k2.conf.tmp",
		   "[X-Tlob]\nTlobBudget=f 1");
	write_file("/run/systemd/system.control/lone.service.d/50-TlobBudget-r9.conf.tmp", "");
	write_file("/etc/systemd/system.control/keep.service.d/50-CPUQuota.conf.tmp", "");
	write_file("/etc/systemd/system/keep.service.d/50-TlobBudget-x.conf.tmp", "");
	stale = path_of("/etc/systemd/system.control/keep.service.d/50-TlobBudget-k2.conf.tmp");
	stale_rt = path_of("/run/systemd/system.control/lone.service.d/50-TlobBudget-r9.conf.tmp");
	lone_dir = path_of("/run/systemd/system.control/lone.service.d");
	other = path_of("/etc/systemd/system.control/keep.service.d/50-CPUQuota.conf.tmp");
	hand = path_of("/etc/systemd/system/keep.service.d/50-TlobBudget-x.conf.tmp");

	assert_int_equal(budget_store_clean(root), 2);
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(stale_rt, F_OK), -1);
	/* A directory left empty goes too. */
	assert_int_equal(access(lone_dir, F_OK), -1);
	/* Only ours, only in the set-property directories. */
	assert_int_equal(access(file, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(access(hand, F_OK), 0);
	assert_int_equal(budget_store_clean(root), 0);
	/* Nothing to clean in a root without the directories. */
	assert_int_equal(budget_store_clean("/nonexistent"), 0);
}

static void test_new_id(void **state)
{
	Manager *m = fake_manager();
	Budget *b;
	char *id, *other;

	assert_int_equal(budget_store_new_id(NULL, 0, &id), 0);
	assert_int_equal(strlen(id), 8);
	assert_int_equal(strspn(id, "0123456789abcdef"), 8);
	assert_true(tlob_budget_id_is_valid(id));

	assert_int_equal(budget_new(m, NULL, id, "f", 1000, &b), 0);
	for (unsigned i = 0; i < 100; i++) {
		assert_int_equal(budget_store_new_id(&b, 1, &other), 0);
		assert_string_not_equal(other, id);
		free(other);
	}
	budget_free(b);
	free(id);
	fake_manager_free(m);
}

static void test_budget_new(void **state)
{
	Manager *m = fake_manager();
	char *unit = rcstr_new("u.service");
	Budget *b;

	assert_int_equal(budget_new(m, unit, "x1", "/bin/true:main+0x4..0x1000",
				    5000, &b), 0);
	assert_string_equal(b->id, "x1");
	assert_int_equal(b->budget_ns, 5000);
	/* The cookie: a function of id, unit, probe and budget alone. */
	assert_true(b->cookie != 0);
	assert_true(b->cookie == budget_cookie("x1", "u.service",
					       "/bin/true:main+0x4..0x1000", 5000, 0));
	assert_true(b->cookie != budget_cookie("x1", "u.service",
					       "/bin/true:main+0x4..0x1000", 5001, 0));
	assert_true(b->cookie != budget_cookie("x2", "u.service",
					       "/bin/true:main+0x4..0x1000", 5000, 0));
	assert_true(b->cookie != budget_cookie("x1", "v.service",
					       "/bin/true:main+0x4..0x1000", 5000, 0));
	assert_true(b->cookie != budget_cookie("x1", "u.service",
					       "/bin/true:main+0x4", 5000, 0));
	assert_true(b->cookie != budget_cookie("x1", "u.service",
					       "/bin/true:main+0x4..0x1000", 5000, 1));
	assert_string_equal(b->probe_text, "/bin/true:main+0x4..0x1000");
	assert_string_equal(b->probe_path, "/bin/true");
	assert_true(b->has_stop);
	assert_ptr_equal(b->unit_name, unit);
	assert_ptr_equal(b->manager, m);
	budget_free(b);
	assert_int_equal(budget_new(m, unit, "x2", "not a probe", 5000, &b), -EINVAL);
	/* Our reference is still good after the budget's was dropped. */
	assert_string_equal(unit, "u.service");
	rcstr_unref(unit);
	fake_manager_free(m);
}

/* --- journal entries ---------------------------------------------------- */

static struct tlob_event event(void)
{
	struct tlob_event ev = {
		.type = TLOB_EV_VIOLATION,
		.state = TLOB_STATE_SLEEPING,
		.tgid = 812,
		.tid = 813,
		.threshold_ns = 100 * NSEC_PER_MSEC,
		.elapsed_ns = 100 * NSEC_PER_MSEC,
		.running_ns = 400 * NSEC_PER_USEC,
		.waiting_ns = 100 * NSEC_PER_USEC,
		.sleeping_ns = 99500 * NSEC_PER_USEC,
		.cookie = 0xab,
	};

	memcpy(ev.comm, "nginx", 5);
	return ev;
}

static void test_journal_violation(void **state)
{
	static const char *const want[] = {
		"MESSAGE_ID=b80203fec96a437b96bd4ceb44fba08e",
		"PRIORITY=4",
		"MESSAGE=nginx.service: getaddrinfo exceeded its 100ms budget (running 0.4ms, waiting 0.1ms, sleeping 99.5ms; pid 812 nginx)",
		"OBJECT_PID=812",
		"OBJECT_SYSTEMD_UNIT=nginx.service",
		"TLOB_BUDGET_ID=0123abcd",
		"TLOB_UNIT=nginx.service",
		"TLOB_PROBE=/usr/lib/x86_64-linux-gnu/libc.so.6:getaddrinfo",
		"TLOB_BUDGET_NSEC=100000000",
		"TLOB_ELAPSED_NSEC=100000000",
		"TLOB_RUNNING_NSEC=400000",
		"TLOB_WAITING_NSEC=100000",
		"TLOB_SLEEPING_NSEC=99500000",
		"TLOB_STATE=sleeping",
		"TLOB_TID=813",
		"TLOB_COMM=nginx",
	};
	const char *probe = "/usr/lib/x86_64-linux-gnu/libc.so.6:getaddrinfo";
	struct tlob_event ev = event();
	_cleanup_strv_free_ char **l = NULL;

	assert_int_equal(journal_format_violation("nginx.service",
			 journal_probe_label(probe, "/usr/lib/x86_64-linux-gnu/libc.so.6"),
			 "0123abcd", probe, &ev, NULL, &l), 0);
	assert_int_equal(tlob_strv_length(l), ELEMENTSOF(want));
	for (size_t i = 0; i < ELEMENTSOF(want); i++)
		assert_string_equal(l[i], want[i]);
}

static void test_journal_self(void **state)
{
	struct tlob_event ev = event();
	_cleanup_strv_free_ char **l = NULL;

	/* A full comm has no NUL of its own. */
	memcpy(ev.comm, "0123456789abcdef", sizeof(ev.comm));
	ev.state = TLOB_STATE_RUNNING;
	ev.threshold_ns = 1500 * NSEC_PER_USEC;
	assert_int_equal(journal_format_violation("", "self-instrumented window (tag 0xab)",
						  "", "", &ev, NULL, &l), 0);
	assert_string_equal(l[2], "MESSAGE=self-instrumented window (tag 0xab) exceeded its 1ms 500us budget (running 0.4ms, waiting 0.1ms, sleeping 99.5ms; pid 812 0123456789abcdef)");
	assert_string_equal(l[4], "TLOB_BUDGET_ID=");
	assert_string_equal(l[5], "TLOB_UNIT=");
	assert_string_equal(l[6], "TLOB_PROBE=");
	assert_string_equal(l[12], "TLOB_STATE=running");
	assert_string_equal(l[14], "TLOB_COMM=0123456789abcdef");
	/* Unknown unit: no OBJECT_SYSTEMD_UNIT= (15 fields, not 16). */
	assert_int_equal(tlob_strv_length(l), 15);
}

static void test_journal_comm_sanitized(void **state)
{
	struct tlob_event ev = event();
	_cleanup_strv_free_ char **l = NULL;

	/* A task may name itself an escape sequence, or bytes. */
	memcpy(ev.comm, "\x1b[2J\nx\xff", 8);
	assert_int_equal(journal_format_violation("nginx.service", "accept", "0123abcd",
						  "accept", &ev, NULL, &l), 0);
	assert_string_equal(l[2], "MESSAGE=nginx.service: accept exceeded its 100ms budget (running 0.4ms, waiting 0.1ms, sleeping 99.5ms; pid 812 ?[2J?x?)");
	assert_string_equal(l[4], "OBJECT_SYSTEMD_UNIT=nginx.service");
	assert_string_equal(l[15], "TLOB_COMM=?[2J?x?");
}

static void test_journal_cause(void **state)
{
	static const char *const want[] = {
		"TLOB_KSTACK=pipe_read+0x2f1/0x430\nvfs_read+0x12a/0x390",
		"TLOB_WCHAN=pipe_read",
		"TLOB_USER_IP=0x7f0012345678",
		"TLOB_USER_IP_EXACT=0",
		"TLOB_USER_LOCATION=read+0x12 (/usr/lib/libc.so.6)",
		"TLOB_CPU=1",
		"TLOB_PREEMPTOR_PID=99",
		"TLOB_PREEMPTOR_COMM=hog",
		"TLOB_PREEMPTOR_UNIT=hog.service",
		"TLOB_WAKER_PID=7",
		"TLOB_WAKER_COMM=writer",
		"TLOB_WAKER_FROM_IRQ=1",
		"TLOB_NVCSW=3",
		"TLOB_NIVCSW=1",
		"TLOB_MIGRATIONS=0",
		"TLOB_SIGNAL=SIGABRT",
	};
	char *stack[] = { "pipe_read+0x2f1/0x430", "vfs_read+0x12a/0x390", NULL };
	Cause c = {
		.valid = TLOB_CAUSE_KSTACK | TLOB_CAUSE_USER_ENTRY |
			 TLOB_CAUSE_PREEMPTOR | TLOB_CAUSE_WAKER |
			 TLOB_CAUSE_WAKER_IRQ,
		.state = TLOB_STATE_SLEEPING,
		.cpu = 1, .signal = 6, .nvcsw = 3, .nivcsw = 1,
		.kstack = stack, .wchan = "pipe_read",
		.user_ip = 0x7f0012345678,
		.user_location = "read+0x12 (/usr/lib/libc.so.6)",
		.preemptor = { .pid = 99, .comm = "hog", .unit = "hog.service" },
		.waker = { .pid = 7, .comm = "writer" },
	};
	struct tlob_event ev = event();
	_cleanup_strv_free_ char **l = NULL;

	assert_int_equal(journal_format_violation("nginx.service", "accept", "0123abcd",
						  "accept", &ev, &c, &l), 0);
	/* The violation's 16 fields, then the cause's, as captured. */
	assert_int_equal(tlob_strv_length(l), 16 + ELEMENTSOF(want));
	for (size_t i = 0; i < ELEMENTSOF(want); i++)
		assert_string_equal(l[16 + i], want[i]);
}

static void test_journal_summary(void **state)
{
	_cleanup_strv_free_ char **l = NULL, **l2 = NULL;

	assert_int_equal(journal_format_summary("nginx.service", "accept", "0123abcd",
						812, 990, &l), 0);
	assert_int_equal(tlob_strv_length(l), 7);
	assert_string_equal(l[0], "PRIORITY=4");
	assert_string_equal(l[1], "MESSAGE=nginx.service: accept: 990 more violation(s) not logged (rate limit).");
	assert_string_equal(l[2], "OBJECT_PID=812");
	assert_string_equal(l[3], "OBJECT_SYSTEMD_UNIT=nginx.service");
	assert_string_equal(l[4], "TLOB_BUDGET_ID=0123abcd");
	assert_string_equal(l[5], "TLOB_UNIT=nginx.service");
	assert_string_equal(l[6], "TLOB_SUPPRESSED=990");
	for (char **f = l; *f; f++)
		assert_null(startswith(*f, "MESSAGE_ID="));

	/* Self-instrumented: no unit, no pid. */
	assert_int_equal(journal_format_summary("", "self-instrumented windows", "",
						0, 1, &l2), 0);
	assert_int_equal(tlob_strv_length(l2), 5);
	assert_string_equal(l2[1], "MESSAGE=self-instrumented windows: 1 more violation(s) not logged (rate limit).");
	assert_string_equal(l2[2], "TLOB_BUDGET_ID=");
}

static void test_journal_label_state(void **state)
{
	assert_string_equal(journal_probe_label("getaddrinfo", NULL), "getaddrinfo");
	assert_string_equal(journal_probe_label("/a/b:f..g", "/a/b"), "f..g");
	/* Not its prefix: the whole text. */
	assert_string_equal(journal_probe_label("/x:f", "/a/b"), "/x:f");
	assert_string_equal(tlob_state_to_string(TLOB_STATE_WAITING), "waiting");
	assert_string_equal(tlob_state_to_string(0), "unknown");
	assert_string_equal(tlob_state_to_string(999), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_persistent, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_write_runtime, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_write_fails, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_load_sources_and_ids, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_load_templates, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_id_clash_falls_back, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_remove, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_clean, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_new_id, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_budget_new, setup_root, teardown_root),
		cmocka_unit_test(test_journal_violation),
		cmocka_unit_test(test_journal_self),
		cmocka_unit_test(test_journal_comm_sanitized),
		cmocka_unit_test(test_journal_cause),
		cmocka_unit_test(test_journal_summary),
		cmocka_unit_test(test_journal_label_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
