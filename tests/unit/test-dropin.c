// SPDX-License-Identifier: GPL-2.0-or-later
/* [X-Tlob] TlobBudget= parsing, drop-in discovery and precedence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>

#include "dropin.h"
#include "macro.h"

struct warnings {
	unsigned n;
	int errors[16];
	unsigned lines[16];
};

static void record_warning(const char *file, unsigned line, int error,
			   const char *what, void *userdata)
{
	struct warnings *w = userdata;

	assert_non_null(file);
	assert_non_null(what);
	if (w->n < ELEMENTSOF(w->errors)) {
		w->errors[w->n] = error;
		w->lines[w->n] = line;
	}
	w->n++;
}

static int parse_string(const char *text, TlobBudgetList *l,
			struct warnings *w)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	r = tlob_dropin_parse(f, "test.conf", l, record_warning, w);
	fclose(f);
	return r;
}

static void test_parse_basic(void **state)
{
	TlobBudgetList l = {};
	struct warnings w = {};

	assert_int_equal(parse_string(
		"# comment\n"
		"[Service]\n"
		"TlobBudget=ignored 1s\n"
		"ExecStart=/bin/true\n"
		"[X-Tlob]\n"
		"; another comment\n"
		"TlobBudget=ngx_http_process_request_line 20ms\n"
		"  TlobBudget = /usr/lib/x86_64-linux-gnu/libc.so.6:getaddrinfo 100ms  \n"
		"TlobBudget=a..b \\\n"
		"  1s 20ms\n"
		"\n"
		"[X-Other]\n"
		"TlobBudget=ignored 1s\n", &l, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(l.n_invalid, 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.entries[0].probe, "ngx_http_process_request_line");
	assert_int_equal(l.entries[0].budget_ns, 20 * NSEC_PER_MSEC);
	assert_int_equal(l.entries[0].line, 7);
	assert_string_equal(l.entries[0].file, "test.conf");
	assert_string_equal(l.entries[1].probe,
			    "/usr/lib/x86_64-linux-gnu/libc.so.6:getaddrinfo");
	assert_int_equal(l.entries[1].budget_ns, 100 * NSEC_PER_MSEC);
	assert_string_equal(l.entries[2].probe, "a..b");
	assert_int_equal(l.entries[2].budget_ns, NSEC_PER_SEC + 20 * NSEC_PER_MSEC);
	assert_int_equal(l.entries[2].line, 9);
	tlob_budget_list_done(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.entries);
}

static void test_parse_reset(void **state)
{
	TlobBudgetList l = {};
	struct warnings w = {};

	assert_int_equal(parse_string(
		"[X-Tlob]\n"
		"TlobBudget=a 1ms\n"
		"TlobBudget=b 2ms\n"
		"TlobBudget=\n"
		"TlobBudget=c 3ms\n", &l, &w), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.entries[0].probe, "c");

	/* A reset in a later file clears what earlier files set. */
	assert_int_equal(parse_string("[X-Tlob]\nTlobBudget=   \n", &l, &w), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse_string("[X-Tlob]\nTlobBudget=d 4ms\n", &l, &w), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.entries[0].probe, "d");
	assert_int_equal(w.n, 0);
	tlob_budget_list_done(&l);
}

static void test_parse_bad(void **state)
{
	TlobBudgetList l = {};
	struct warnings w = {};

	assert_int_equal(parse_string(
		"[X-Tlob]\n"
		"TlobBudget=main\n"			/* 2: no budget */
		"TlobBudget=1main 2ms\n"		/* 3: bad probe */
		"TlobBudget=main 2 fortnights\n"	/* 4: bad span */
		"TlobBudget=main 0\n"			/* 5: zero */
		"TlobBudget=main 2h\n"			/* 6: > 1h */
		"TlobBudgets=main 2ms\n"		/* 7: unknown key */
		"garbage\n"				/* 8: no '=' */
		"TlobBudget=ok 1ms\n"			/* 9: fine */
		"[X-Tlob\n"				/* 10: not our section */
		"TlobBudget=after 1ms\n", &l, &w), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.entries[0].probe, "ok");
	assert_int_equal(l.n_invalid, 7);
	assert_int_equal(w.n, 7);
	assert_int_equal(w.errors[0], -EBADMSG);
	assert_int_equal(w.lines[0], 2);
	assert_int_equal(w.errors[1], -EBADMSG);
	assert_int_equal(w.errors[2], -EINVAL);
	assert_int_equal(w.errors[3], -ERANGE);
	assert_int_equal(w.errors[4], -ERANGE);
	assert_int_equal(w.errors[5], -ENOENT);
	assert_int_equal(w.errors[6], -EINVAL);
	assert_int_equal(w.lines[6], 8);
	tlob_budget_list_done(&l);
}

/* TlobAction= sets the actions of the TlobBudget= lines of its own file. */
static void test_parse_actions(void **state)
{
	TlobBudgetList l = {};
	struct warnings w = {};

	assert_int_equal(parse_string(
		"[X-Tlob]\n"
		"TlobBudget=a 1ms\n"
		"TlobAction=signal=SIGQUIT\n"		/* 3 */
		"TlobAction=restart=2/1min bogus\n"	/* 4: refused whole */
		"TlobAction=snapshot\n"			/* 5 */
		"TlobBudget=b 2ms\n", &l, &w), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.errors[0], -EINVAL);
	assert_int_equal(w.lines[0], 4);
	assert_int_equal(l.n_invalid, 1);
	/* Before and after the TlobAction= lines alike. */
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(l.entries[i].actions.mask,
				 TLOB_ACTION_SIGNAL | TLOB_ACTION_SNAPSHOT);
		assert_int_equal(l.entries[i].actions.signal, 3);
	}

	/* Another file: its own actions (none), the first one's kept. */
	assert_int_equal(parse_string("[X-Tlob]\nTlobBudget=c 3ms\n", &l, &w), 0);
	assert_int_equal(l.n, 3);
	assert_true(tlob_actions_is_default(&l.entries[2].actions));
	assert_int_equal(l.entries[0].actions.mask,
			 TLOB_ACTION_SIGNAL | TLOB_ACTION_SNAPSHOT);

	/* An empty TlobAction= clears; a reset of the list keeps the file's. */
	assert_int_equal(parse_string(
		"[X-Tlob]\n"
		"TlobAction=stop\n"
		"TlobBudget=\n"
		"TlobBudget=d 4ms\n"
		"TlobAction=\n"
		"TlobAction=restart=3/10s\n", &l, &w), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.entries[0].probe, "d");
	assert_int_equal(l.entries[0].actions.mask, TLOB_ACTION_RESTART);
	assert_int_equal(l.entries[0].actions.unit_count, 3);
	assert_int_equal(l.entries[0].actions.unit_window_usec, 10000000);
	tlob_budget_list_done(&l);
}

static void test_parse_long_and_binary(void **state)
{
	TlobBudgetList l = {};
	struct warnings w = {};
	size_t n = TLOB_DROPIN_LINE_MAX + 100;
	char *text = malloc(n + 64);

	assert_non_null(text);
	strcpy(text, "[X-Tlob]\nTlobBudget=");
	memset(text + strlen(text), 'a', n);
	strcpy(text + 20 + n, " 1ms\nTlobBudget=x 1ms\n");
	assert_int_equal(parse_string(text, &l, &w), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.errors[0], -E2BIG);
	assert_int_equal(w.lines[0], 2);
	assert_int_equal(l.entries[0].line, 3);
	free(text);
	tlob_budget_list_done(&l);

	/* No trailing newline, CRLF, a continuation at EOF. */
	w = (struct warnings) {};
	assert_int_equal(parse_string("[X-Tlob]\r\nTlobBudget=y 1ms\r\nTlobBudget=z \\",
				      &l, &w), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(w.n, 1);
	tlob_budget_list_done(&l);
}

static void test_parse_cause(void **state)
{
	_cleanup_(tlob_budget_list_done) TlobBudgetList l = {};
	struct warnings w = {};
	FILE *f;

	/* Default yes; "no" anywhere in a file is for its TlobBudget= lines. */
	assert_int_equal(parse_string("[X-Tlob]\nTlobBudget=a 1ms\n", &l, &w), 0);
	assert_int_equal(parse_string("[X-Tlob]\nTlobBudget=b 1ms\n"
				      "TlobBudget=c 1ms\n", &l, &w), 0);
	assert_int_equal(l.n, 3);
	for (size_t i = 0; i < l.n; i++)
		assert_true(l.entries[i].cause);
	/* Another file: only its own lines, before and after the key. */
	f = fmemopen((void *)"[X-Tlob]\nTlobBudget=d 1ms\nTlobCause=no\n"
			     "TlobBudget=e 1ms\nTlobCause=maybe\n", 72, "r");
	assert_non_null(f);
	assert_int_equal(tlob_dropin_parse(f, "other.conf", &l, record_warning, &w), 0);
	fclose(f);
	assert_int_equal(l.n, 5);
	assert_true(l.entries[0].cause);
	assert_true(l.entries[2].cause);
	assert_false(l.entries[3].cause);
	assert_false(l.entries[4].cause);
	/* The bad boolean is warned about and ignored. */
	assert_int_equal(w.n, 1);
	assert_int_equal(w.errors[0], -EINVAL);
	assert_int_equal(w.lines[0], 5);
	assert_int_equal(l.n_invalid, 1);
}

static void test_dirnames(void **state)
{
	char **l = NULL;

	assert_int_equal(tlob_dropin_dirnames("a-b-c.service", &l), 0);
	assert_int_equal(tlob_strv_length(l), 4);
	assert_string_equal(l[0], "a-b-c.service.d");
	assert_string_equal(l[1], "a-b-.service.d");
	assert_string_equal(l[2], "a-.service.d");
	assert_string_equal(l[3], "service.d");
	tlob_strv_free(l);

	assert_int_equal(tlob_dropin_dirnames("get-ty@tty1.service", &l), 0);
	assert_int_equal(tlob_strv_length(l), 4);
	assert_string_equal(l[0], "get-ty@tty1.service.d");
	assert_string_equal(l[1], "get-ty@.service.d");
	assert_string_equal(l[2], "get-.service.d");
	assert_string_equal(l[3], "service.d");
	tlob_strv_free(l);

	assert_int_equal(tlob_dropin_dirnames("nginx.service", &l), 0);
	assert_int_equal(tlob_strv_length(l), 2);
	tlob_strv_free(l);

	assert_int_equal(tlob_dropin_dirnames("not a unit", &l), -EINVAL);
}

static char root[] = "/tmp/tlob-test-dropin-XXXXXX";

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

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int setup_root(void **state)
{
	return mkdtemp(root) ? 0 : -1;
}

static int teardown_root(void **state)
{
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *rel(const char *path)
{
	return path + strlen(root);
}

static void test_precedence(void **state)
{
	_cleanup_free_ char *masked = NULL;
	TlobBudgetList l = {};
	char **files = NULL;

	/* Same name: /etc beats /usr/lib; system.control beats /etc. */
	write_file("/usr/lib/systemd/system/app.service.d/10-a.conf",
		   "[X-Tlob]\nTlobBudget=vendor 1ms\n");
	write_file("/etc/systemd/system/app.service.d/10-a.conf",
		   "[X-Tlob]\nTlobBudget=admin 2ms\n");
	/* Order by file name across directories. */
	write_file("/run/systemd/system/app.service.d/05-first.conf",
		   "[X-Tlob]\nTlobBudget=first 3ms\n");
	write_file("/etc/systemd/system.control/app.service.d/50-TlobBudget-x1.conf",
		   "[X-Tlob]\nTlobBudget=api 4ms\n");
	/* Type-level drop-ins apply too, in name order. */
	write_file("/usr/lib/systemd/system/service.d/01-all.conf",
		   "[X-Tlob]\nTlobBudget=everyone 5ms\n");
	/* Not a .conf: ignored. */
	write_file("/etc/systemd/system/app.service.d/99-z.conf.bak",
		   "[X-Tlob]\nTlobBudget=never 1ms\n");
	/* Masked by a /dev/null symlink in /etc: vendor file not read. */
	write_file("/usr/lib/systemd/system/app.service.d/20-masked.conf",
		   "[X-Tlob]\nTlobBudget=masked 1ms\n");
	assert_true(asprintf(&masked, "%s/etc/systemd/system/app.service.d/20-masked.conf",
			     root) > 0);
	assert_int_equal(symlink("/dev/null", masked), 0);

	assert_int_equal(tlob_dropin_find(root, tlob_unit_search_path,
					  "app.service", &files), 0);
	assert_int_equal(tlob_strv_length(files), 4);
	assert_string_equal(rel(files[0]),
			    "/usr/lib/systemd/system/service.d/01-all.conf");
	assert_string_equal(rel(files[1]),
			    "/run/systemd/system/app.service.d/05-first.conf");
	assert_string_equal(rel(files[2]),
			    "/etc/systemd/system/app.service.d/10-a.conf");
	assert_string_equal(rel(files[3]),
			    "/etc/systemd/system.control/app.service.d/50-TlobBudget-x1.conf");
	tlob_strv_free(files);

	assert_int_equal(tlob_dropin_load(root, tlob_unit_search_path,
					  "app.service", &l, NULL, NULL), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.entries[0].probe, "everyone");
	assert_string_equal(l.entries[1].probe, "first");
	assert_string_equal(l.entries[2].probe, "admin");
	assert_string_equal(l.entries[3].probe, "api");
	assert_string_equal(rel(l.entries[3].file),
			    "/etc/systemd/system.control/app.service.d/50-TlobBudget-x1.conf");
	tlob_budget_list_done(&l);

	/* A reset in a later file drops the earlier ones. */
	write_file("/run/systemd/system.control/app.service.d/30-reset.conf",
		   "[X-Tlob]\nTlobBudget=\nTlobBudget=fresh 6ms\n");
	assert_int_equal(tlob_dropin_load(root, tlob_unit_search_path,
					  "app.service", &l, NULL, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.entries[0].probe, "fresh");
	assert_string_equal(l.entries[1].probe, "api");
	tlob_budget_list_done(&l);

	/* Other units see only the type-level drop-in. */
	assert_int_equal(tlob_dropin_load(root, tlob_unit_search_path,
					  "other.service", &l, NULL, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.entries[0].probe, "everyone");
	tlob_budget_list_done(&l);
	assert_int_equal(tlob_dropin_load(root, tlob_unit_search_path,
					  "other.socket", &l, NULL, NULL), 0);
	assert_int_equal(l.n, 0);
	tlob_budget_list_done(&l);
}

static void test_template_prefix(void **state)
{
	TlobBudgetList l = {};

	write_file("/etc/systemd/system/web@.service.d/10-t.conf",
		   "[X-Tlob]\nTlobBudget=tmpl 1ms\n");
	write_file("/etc/systemd/system/web@blue.service.d/10-t.conf",
		   "[X-Tlob]\nTlobBudget=inst 2ms\n");
	write_file("/etc/systemd/system/web-.service.d/20-p.conf",
		   "[X-Tlob]\nTlobBudget=pfx 3ms\n");
	write_file("/etc/systemd/system/web-api-v2.service.d/30-u.conf",
		   "[X-Tlob]\nTlobBudget=own 4ms\n");

	/* The instance's own 10-t.conf shadows the template's. */
	assert_int_equal(tlob_dropin_load(root, tlob_unit_search_path,
					  "web@blue.service", &l, NULL, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.entries[1].probe, "inst");
	tlob_budget_list_done(&l);
	assert_int_equal(tlob_dropin_load(root, tlob_unit_search_path,
					  "web@red.service", &l, NULL, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.entries[1].probe, "tmpl");
	tlob_budget_list_done(&l);
	assert_int_equal(tlob_dropin_load(root, tlob_unit_search_path,
					  "web-api-v2.service", &l, NULL, NULL), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.entries[1].probe, "pfx");
	assert_string_equal(l.entries[2].probe, "own");
	tlob_budget_list_done(&l);
}

static void test_units(void **state)
{
	char **u = NULL;

	assert_int_equal(tlob_dropin_units(root, tlob_unit_search_path, &u), 0);
	/* Concrete names only: no "web@.service", "web-.service", "service". */
	assert_int_equal(tlob_strv_length(u), 3);
	assert_string_equal(u[0], "app.service");
	assert_string_equal(u[1], "web-api-v2.service");
	assert_string_equal(u[2], "web@blue.service");
	tlob_strv_free(u);

	assert_int_equal(tlob_dropin_units("/nonexistent-root", tlob_unit_search_path,
					   &u), 0);
	assert_int_equal(tlob_strv_length(u), 0);
	tlob_strv_free(u);
}

static void test_patterns(void **state)
{
	char **p = NULL;
	char *g;

	assert_int_equal(tlob_dropin_patterns(root, tlob_unit_search_path, &p), 0);
	assert_int_equal(tlob_strv_length(p), 3);
	assert_string_equal(p[0], "service");
	assert_string_equal(p[1], "web-.service");
	assert_string_equal(p[2], "web@.service");
	tlob_strv_free(p);

	assert_true(tlob_dropin_pattern_matches("service", "x.service"));
	assert_false(tlob_dropin_pattern_matches("service", "x.socket"));
	assert_true(tlob_dropin_pattern_matches("web@.service", "web@blue.service"));
	assert_false(tlob_dropin_pattern_matches("web@.service", "web@.service"));
	assert_false(tlob_dropin_pattern_matches("web@.service", "webx@blue.service"));
	assert_false(tlob_dropin_pattern_matches("web@.service", "web@blue.socket"));
	assert_true(tlob_dropin_pattern_matches("web-.service", "web-api-v2.service"));
	assert_true(tlob_dropin_pattern_matches("web-api-.service", "web-api-v2.service"));
	assert_false(tlob_dropin_pattern_matches("web-.service", "web.service"));
	assert_false(tlob_dropin_pattern_matches("web-.service", "webby.service"));
	/* A unit's own directory is not a pattern of it. */
	assert_false(tlob_dropin_pattern_matches("web.service", "web.service"));
	assert_false(tlob_dropin_pattern_matches("service", "not a unit"));

	g = tlob_dropin_pattern_glob("web@.service");
	assert_string_equal(g, "web@*.service");
	free(g);
	g = tlob_dropin_pattern_glob("web-.service");
	assert_string_equal(g, "web-*.service");
	free(g);
	g = tlob_dropin_pattern_glob("service");
	assert_string_equal(g, "*.service");
	free(g);

	/* Pattern directories without budgets do not count. */
	{
		_cleanup_free_ char *d = NULL;

		assert_true(asprintf(&d, "%s/etc/systemd/system/empty@.service.d", root) > 0);
		assert_int_equal(mkdir(d, 0755), 0);
		write_file("/usr/lib/systemd/system/socket.d/10-timeout.conf",
			   "[Socket]\nTimeoutSec=5\n[X-Tlob]\nTlobBudget=\n");
		assert_int_equal(tlob_dropin_patterns(root, tlob_unit_search_path, &p), 0);
		assert_false(tlob_strv_contains(p, "empty@.service"));
		assert_false(tlob_strv_contains(p, "socket"));
		assert_int_equal(tlob_strv_length(p), 3);
		tlob_strv_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_reset),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_actions),
		cmocka_unit_test(test_parse_long_and_binary),
		cmocka_unit_test(test_parse_cause),
		cmocka_unit_test(test_dirnames),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_template_prefix),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_patterns),
	};

	return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
