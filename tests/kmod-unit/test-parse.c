// SPDX-License-Identifier: GPL-2.0
/*
 * Table test of the monitor-line parser (kmod/tlob_parse.c), built from
 * the module's own source.  Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tlob_parse.h"
#include "tap.h"

struct parse_case {
	const char *line;
	int ret;
	enum tlob_cmd_op op;
	const char *path;
	u64 start, stop, threshold;
	bool has_cgroup;
	u64 cgroup_id;
	const char *cgroup_dir;
	const char *cgroup_path;
	bool cause;
	u32 signal;
};

static const struct parse_case cases[] = {
	{ "p /usr/bin/app:0x12a0 0x1300 threshold=5000000", 0,
	  TLOB_CMD_ENTRY, "/usr/bin/app", 0x12a0, 0x1300, 5000000 },
	{ "r /usr/bin/app:0x12a0 threshold=5000000\n", 0,
	  TLOB_CMD_RETURN, "/usr/bin/app", 0x12a0, 0, 5000000 },
	{ "r /usr/bin/app:4768 threshold=1", 0,
	  TLOB_CMD_RETURN, "/usr/bin/app", 4768, 0, 1 },
	{ "\tr\t/x:0X1F   threshold=0x10  ", 0,
	  TLOB_CMD_RETURN, "/x", 31, 0, 16 },
	{ "p /opt/a:b/app:0x10 32 threshold=3600000000000 cgroup=1234", 0,
	  TLOB_CMD_ENTRY, "/opt/a:b/app", 0x10, 32, 3600000000000ULL,
	  true, 1234 },
	{ "r /x::7 threshold=10 cgroup=/sys/fs/cgroup/a:b", 0,
	  TLOB_CMD_RETURN, "/x:", 7, 0, 10, true, 0, "/sys/fs/cgroup/a:b" },
	{ "p /x:0 0x0000000000000001 threshold=007", 0,
	  TLOB_CMD_ENTRY, "/x", 0, 1, 7 },
	{ "-/usr/bin/app:0x12a0", 0, TLOB_CMD_REMOVE, "/usr/bin/app", 0x12a0 },
	{ "-/a:b:0x10 cgroup=5\n", 0, TLOB_CMD_REMOVE, "/a:b", 0x10, 0, 0,
	  true, 5 },
	/* What reading the monitor file prints must parse again. */
	{ "r /usr/bin/app:0x12a0 threshold=5000000  # id=1 windows=3 violations=0",
	  0, TLOB_CMD_RETURN, "/usr/bin/app", 0x12a0, 0, 5000000 },
	{ "p /a:0x1 0x2 threshold=9 cgroup=77  # id=2 windows=0 violations=0\n",
	  0, TLOB_CMD_ENTRY, "/a", 1, 2, 9, true, 77 },
	/* Bindings of /dev/rv fds, listed, are skipped when written back. */
	{ "p /a:0x1 0x2 threshold=9 cgroup=77  # id=2 owner=fd windows=0 violations=0\n",
	  0, TLOB_CMD_NONE },
	{ "this is not parsed # owner=fd", 0, TLOB_CMD_NONE },
	{ "p /a:0x1 0x2 threshold=9  # owner=fdx", 0, TLOB_CMD_ENTRY, "/a",
	  1, 2, 9 },
	{ "p /a:0x1 0x2 threshold=9  # xowner=fd", 0, TLOB_CMD_ENTRY, "/a",
	  1, 2, 9 },
	{ "", 0, TLOB_CMD_NONE },
	{ "\n", 0, TLOB_CMD_NONE },
	{ "   # a comment", 0, TLOB_CMD_NONE },
	{ "r /p#q:1 threshold=5", 0, TLOB_CMD_RETURN, "/p#q", 1, 0, 5 },
	/* Escapes as the listing writes them (mountinfo style). */
	{ "r /a\\040b\\011c\\012d\\134e:1 threshold=5", 0,
	  TLOB_CMD_RETURN, "/a b\tc\nd\\e", 1, 0, 5 },
	{ "-/x\\040(deleted):0x10", 0, TLOB_CMD_REMOVE, "/x (deleted)",
	  0x10 },
	{ "r /a:1 threshold=5 cgroup=/sys/fs/cgroup/a\\040b", 0,
	  TLOB_CMD_RETURN, "/a", 1, 0, 5, true, 0, "/sys/fs/cgroup/a b" },
	{ "r /a:1 threshold=5 cgroup_path=system.slice/app.service", 0,
	  TLOB_CMD_RETURN, "/a", 1, 0, 5, true, 0, NULL,
	  "system.slice/app.service" },
	{ "p /a:1 2 threshold=5 cgroup_path=x\\040y.slice  # id=3 windows=0 violations=0 missed=0",
	  0, TLOB_CMD_ENTRY, "/a", 1, 2, 5, true, 0, NULL, "x y.slice" },
	{ "-/a:1 cgroup_path=s.slice", 0, TLOB_CMD_REMOVE, "/a", 1, 0, 0,
	  true, 0, NULL, "s.slice" },

	{ "x /a:1 threshold=1", -EINVAL },
	{ "pp /a:1 2 threshold=1", -EINVAL },
	{ "p /a:1 threshold=1", -EINVAL },
	{ "p /a:1 2", -EINVAL },
	{ "p /a:5 5 threshold=1", -EINVAL },
	{ "p /a:5 0x5 threshold=1", -EINVAL },
	{ "p /a:1 2x threshold=1", -EINVAL },
	{ "r /a:1", -EINVAL },
	{ "r /a:1 threshold=0", -EINVAL },
	{ "r /a:1 threshold=3600000000001", -EINVAL },
	{ "r /a:1 threshold=", -EINVAL },
	{ "r /a:1 threshold=-5", -EINVAL },
	{ "r /a:1 threshold=1ms", -EINVAL },
	{ "r a:1 threshold=5", -EINVAL },
	{ "r /a threshold=5", -EINVAL },
	{ "r /a: threshold=5", -EINVAL },
	{ "r :1 threshold=5", -EINVAL },
	/* Actions. */
	{ "r /a:1 threshold=5 cause", 0, TLOB_CMD_RETURN, "/a", 1, 0, 5,
	  .cause = true },
	{ "p /a:1 2 threshold=5 cgroup_path=s.slice cause signal=6  # id=4 windows=0 violations=0 missed=0 signals=0",
	  0, TLOB_CMD_ENTRY, "/a", 1, 2, 5, true, 0, NULL, "s.slice",
	  true, 6 },
	{ "r /a:1 signal=64 threshold=5", 0, TLOB_CMD_RETURN, "/a", 1, 0, 5,
	  .signal = 64 },
	{ "r /a:1 threshold=5 signal=1", 0, TLOB_CMD_RETURN, "/a", 1, 0, 5,
	  .signal = 1 },
	{ "r /a:1 threshold=5 signal=0", -EINVAL },
	{ "r /a:1 threshold=5 signal=65", -EINVAL },
	{ "r /a:1 threshold=5 signal=06", -EINVAL },
	{ "r /a:1 threshold=5 signal=0x6", -EINVAL },
	{ "r /a:1 threshold=5 signal=", -EINVAL },
	{ "r /a:1 threshold=5 signal=SIGABRT", -EINVAL },
	{ "r /a:1 threshold=5 signal=6 signal=6", -EINVAL },
	{ "r /a:1 threshold=5 cause cause", -EINVAL },
	{ "r /a:1 threshold=5 causes", -EINVAL },
	{ "-/a:1 cause", -EINVAL },
	{ "-/a:1 signal=6", -EINVAL },
	{ "r /a:0x threshold=5", -EINVAL },
	{ "r /a:12z threshold=5", -EINVAL },
	{ "r /a:+1 threshold=5", -EINVAL },
	{ "r /a:18446744073709551616 threshold=5", -EINVAL },
	{ "r /a:0x10000000000000000 threshold=5", -EINVAL },
	{ "r /a:1 threshold=5 threshold=6", -EINVAL },
	{ "r /a:1 threshold=5 cgroup=1 cgroup=2", -EINVAL },
	{ "r /a:1 threshold=5 cgroup=abc", -EINVAL },
	{ "r /a:1 threshold=5 cgroup=0", -EINVAL },
	{ "r /a:1 threshold=5 cgroup=0x10", -EINVAL },
	{ "r /a:1 threshold=5 cgroup=", -EINVAL },
	{ "r /a:1 threshold=5 cgroup_path=", -EINVAL },
	{ "r /a:1 threshold=5 cgroup_path=/abs", -EINVAL },
	{ "r /a:1 threshold=5 cgroup_path=a/", -EINVAL },
	{ "r /a:1 threshold=5 cgroup_path=a//b", -EINVAL },
	{ "r /a:1 threshold=5 cgroup_path=a/../b", -EINVAL },
	{ "r /a:1 threshold=5 cgroup_path=./b", -EINVAL },
	{ "r /a:1 threshold=5 cgroup_path=a cgroup=5", -EINVAL },
	{ "r /a:1 threshold=5 cgroup=5 cgroup_path=a", -EINVAL },
	{ "r /a\\04:1 threshold=5", -EINVAL },
	{ "r /a\\400:1 threshold=5", -EINVAL },
	{ "r /a\\000:1 threshold=5", -EINVAL },
	{ "r /a\\x:1 threshold=5", -EINVAL },
	{ "r /a\\:1 threshold=5", -EINVAL },
	{ "r /a:1 threshold=5 foo=1", -EINVAL },
	{ "r /a:1 threshold=5 extra", -EINVAL },
	{ "r /a:1 threshold=5 a b c d e f", -EINVAL },
	{ "-/a:1 threshold=5", -EINVAL },
	{ "- /a:1", -EINVAL },
	{ "-", -EINVAL },
	{ "-a:1", -EINVAL },
	{ "r", -EINVAL },
	{ "p", -EINVAL },
	{ "P /a:1 2 threshold=1", -EINVAL },
};

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static void check_case(const struct parse_case *c)
{
	struct tlob_cmd cmd;
	char *buf = strdup(c->line);
	int ret;
	bool ok;

	if (!buf)
		abort();
	ret = tlob_parse_cmd(buf, &cmd);
	ok = ret == c->ret;
	if (ok && !ret) {
		ok = cmd.op == c->op && str_eq(cmd.path, c->path) &&
		     cmd.start == c->start && cmd.stop == c->stop &&
		     cmd.threshold == c->threshold &&
		     cmd.has_cgroup == c->has_cgroup &&
		     cmd.cgroup_id == c->cgroup_id &&
		     str_eq(cmd.cgroup_dir, c->cgroup_dir) &&
		     str_eq(cmd.cgroup_path, c->cgroup_path) &&
		     cmd.cause == c->cause && cmd.signal == c->signal;
		if (!ok)
			printf("# got op %d path %s start %llu stop %llu threshold %llu\n",
			       cmd.op, cmd.path ? cmd.path : "(null)",
			       (unsigned long long)cmd.start,
			       (unsigned long long)cmd.stop,
			       (unsigned long long)cmd.threshold);
		if (!ok)
			printf("# got cgroup %d/%llu/%s/%s\n", cmd.has_cgroup,
			       (unsigned long long)cmd.cgroup_id,
			       cmd.cgroup_dir ? cmd.cgroup_dir : "(null)",
			       cmd.cgroup_path ? cmd.cgroup_path : "(null)");
	}
	if (ret != c->ret)
		printf("# returned %d, expected %d\n", ret, c->ret);
	tap_ok(ok, "\"%.*s\" -> %d", (int)strcspn(c->line, "\n"), c->line,
	       c->ret);
	free(buf);
}

/* "r /aaa...:1 threshold=5" of @len bytes, plus @nl. */
static char *long_line(size_t len, const char *nl)
{
	static const char tail[] = ":1 threshold=5";
	char *buf = malloc(len + strlen(nl) + 1);
	size_t fill = len - 3 - strlen(tail);

	if (!buf)
		abort();
	memcpy(buf, "r /", 3);
	memset(buf + 3, 'a', fill);
	strcpy(buf + 3 + fill, tail);
	strcat(buf, nl);
	return buf;
}

/* Lines of TLOB_LINE_MAX bytes parse; one byte more is E2BIG. */
static void check_length(void)
{
	struct tlob_cmd cmd;
	char *buf;
	int ret;

	buf = long_line(TLOB_LINE_MAX, "");
	ret = tlob_parse_cmd(buf, &cmd);
	tap_ok(!ret && cmd.op == TLOB_CMD_RETURN &&
	       strlen(cmd.path) == TLOB_LINE_MAX - 16,
	       "line of %d bytes is accepted (got %d)", TLOB_LINE_MAX, ret);
	free(buf);

	buf = long_line(TLOB_LINE_MAX, "\n");
	ret = tlob_parse_cmd(buf, &cmd);
	tap_ok(!ret, "line of %d bytes plus newline is accepted (got %d)",
	       TLOB_LINE_MAX, ret);
	free(buf);

	buf = long_line(TLOB_LINE_MAX + 1, "\n");
	ret = tlob_parse_cmd(buf, &cmd);
	tap_ok(ret == -E2BIG, "line of %d bytes is E2BIG (got %d)",
	       TLOB_LINE_MAX + 1, ret);
	free(buf);

	/* The listing's comment after a command of the limit is fine. */
	buf = long_line(TLOB_LINE_MAX, "  # id=1 windows=0 violations=0 missed=0\n");
	ret = tlob_parse_cmd(buf, &cmd);
	tap_ok(!ret && cmd.op == TLOB_CMD_RETURN,
	       "command of %d bytes with a comment is accepted (got %d)",
	       TLOB_LINE_MAX, ret);
	free(buf);
}

static void check_numbers(void)
{
	static const struct {
		const char *s;
		int ret;
		u64 val;
	} nums[] = {
		{ "0", 0, 0 },
		{ "42", 0, 42 },
		{ "0x2a", 0, 42 },
		{ "0X2A", 0, 42 },
		{ "010", 0, 10 },
		{ "18446744073709551615", 0, ~0ULL },
		{ "0xffffffffffffffff", 0, ~0ULL },
		{ "18446744073709551616", -EINVAL },
		{ "", -EINVAL },
		{ "0x", -EINVAL },
		{ "-1", -EINVAL },
		{ "+1", -EINVAL },
		{ " 1", -EINVAL },
		{ "1 ", -EINVAL },
		{ "0b1", -EINVAL },
		{ "0xg", -EINVAL },
	};
	unsigned int i;
	u64 v;
	int ret;

	for (i = 0; i < ARRAY_SIZE(nums); i++) {
		v = 0;
		ret = tlob_parse_u64(nums[i].s, &v);
		tap_ok(ret == nums[i].ret && (ret || v == nums[i].val),
		       "number \"%s\" -> %d", nums[i].s, nums[i].ret);
	}
}

int main(void)
{
	unsigned int i;

	printf("TAP version 13\n");
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
	check_length();
	check_numbers();
	return tap_done();
}
