// SPDX-License-Identifier: GPL-2.0
/*
 * Parser of the monitor command language (see tlob_parse.h):
 *
 *   p PATH:START STOP threshold=NS [CG] [cause] [signal=N]
 *   r PATH:START threshold=NS [CG] [cause] [signal=N]
 *   -PATH:START [CG]
 *   CG: cgroup=ID | cgroup=DIR | cgroup_path=PATH
 *
 * Tokens are separated by blanks; a token starting with '#' starts a
 * comment.  PATH may contain ':' (the last one separates START).  In
 * paths, \ooo (three octal digits) stands for that byte, as in
 * /proc/PID/mountinfo: the listing writes blanks and backslashes so.
 * Numbers are decimal or hexadecimal with a 0x prefix.
 * ID is a cgroup v2 id (decimal), DIR an absolute path, PATH a path
 * relative to the cgroup2 root.  Errors: -EINVAL malformed, -E2BIG line
 * longer than TLOB_LINE_MAX.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#endif

#include "include/uapi/linux/tlob.h"
#include "tlob_parse.h"

#define TLOB_MAX_TOKENS		8

static bool tlob_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

static int tlob_digit(char c, unsigned int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < (int)base ? d : -1;
}

/* Decimal, or hexadecimal with 0x/0X; the whole string must be a number. */
int tlob_parse_u64(const char *s, u64 *val)
{
	unsigned int base = 10;
	u64 v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		d = tlob_digit(*s, base);
		if (d < 0)
			return -EINVAL;
		if (v > (~0ULL - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*val = v;
	return 0;
}

static bool tlob_is_odigit(char c)
{
	return c >= '0' && c <= '7';
}

/*
 * Decode the \ooo escapes of @s in place.  -EINVAL for a backslash not
 * followed by three octal digits, a value over 0377, or a NUL byte.
 */
int tlob_parse_unescape(char *s)
{
	char *out = s;
	unsigned int v;

	for (; *s; s++) {
		if (*s != '\\') {
			*out++ = *s;
			continue;
		}
		if (!tlob_is_odigit(s[1]) || !tlob_is_odigit(s[2]) ||
		    !tlob_is_odigit(s[3]))
			return -EINVAL;
		v = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
		if (!v || v > 0377)
			return -EINVAL;
		*out++ = (char)v;
		s += 3;
	}
	*out = '\0';
	return 0;
}

/*
 * A cgroup path relative to the cgroup2 root ("system.slice/app.service"):
 * not empty, no leading or trailing '/', no empty, "." or ".." component.
 */
int tlob_parse_cgroup_path(const char *s)
{
	const char *c = s, *end;
	size_t n;

	if (!*s)
		return -EINVAL;
	for (;;) {
		end = strchr(c, '/');
		n = end ? (size_t)(end - c) : strlen(c);
		if (!n || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		if (!end)
			return 0;
		c = end + 1;
	}
}

/* Where the comment of @line starts (a token starting with '#'), or NULL. */
static char *tlob_comment(char *line)
{
	char *p = line;

	for (;;) {
		while (tlob_is_blank(*p))
			p++;
		if (!*p)
			return NULL;
		if (*p == '#')
			return p;
		while (*p && !tlob_is_blank(*p))
			p++;
	}
}

/* Does the comment @c mark a binding owned by a /dev/rv fd? */
static bool tlob_comment_owner_fd(const char *c)
{
	const char *p = c;

	while ((p = strstr(p, "owner=fd"))) {
		if (tlob_is_blank(p[-1]) && (!p[8] || tlob_is_blank(p[8])))
			return true;
		p += 8;
	}
	return false;
}

/* Split @line into blank-separated tokens, up to a '#' comment. */
static int tlob_tokenize(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (tlob_is_blank(*p))
			p++;
		if (!*p || *p == '#')
			return argc;
		if (argc == max)
			return -EINVAL;
		argv[argc++] = p;
		while (*p && !tlob_is_blank(*p))
			p++;
		if (!*p)
			return argc;
		*p++ = '\0';
	}
}

/* "PATH:START" with the last ':' as separator; PATH must be absolute. */
static int tlob_parse_location(char *s, struct tlob_cmd *cmd)
{
	char *colon = strrchr(s, ':');

	if (!colon || colon == s || s[0] != '/')
		return -EINVAL;
	*colon = '\0';
	cmd->path = s;
	if (tlob_parse_unescape(s))
		return -EINVAL;
	return tlob_parse_u64(colon + 1, &cmd->start);
}

static int tlob_parse_cgroup(char *s, struct tlob_cmd *cmd)
{
	if (cmd->has_cgroup)
		return -EINVAL;
	cmd->has_cgroup = true;
	if (s[0] == '/') {
		cmd->cgroup_dir = s;
		return tlob_parse_unescape(s);
	}
	if (s[0] < '0' || s[0] > '9' || s[1] == 'x' || s[1] == 'X')
		return -EINVAL;
	if (tlob_parse_u64(s, &cmd->cgroup_id) || !cmd->cgroup_id)
		return -EINVAL;
	return 0;
}

static int tlob_parse_option(char *s, struct tlob_cmd *cmd, bool *threshold)
{
	if (!strncmp(s, "threshold=", 10)) {
		if (*threshold || cmd->op == TLOB_CMD_REMOVE)
			return -EINVAL;
		*threshold = true;
		if (tlob_parse_u64(s + 10, &cmd->threshold))
			return -EINVAL;
		if (!cmd->threshold || cmd->threshold > TLOB_MAX_THRESHOLD_NS)
			return -EINVAL;
		return 0;
	}
	if (!strcmp(s, "cause")) {
		if (cmd->cause || cmd->op == TLOB_CMD_REMOVE)
			return -EINVAL;
		cmd->cause = true;
		return 0;
	}
	if (!strncmp(s, "signal=", 7)) {
		u64 sig;

		if (cmd->signal || cmd->op == TLOB_CMD_REMOVE)
			return -EINVAL;
		if (s[7] < '1' || s[7] > '9' || tlob_parse_u64(s + 7, &sig) ||
		    sig > TLOB_SIGNAL_MAX)
			return -EINVAL;
		cmd->signal = sig;
		return 0;
	}
	if (!strncmp(s, "cgroup=", 7))
		return tlob_parse_cgroup(s + 7, cmd);
	if (!strncmp(s, "cgroup_path=", 12)) {
		if (cmd->has_cgroup)
			return -EINVAL;
		cmd->has_cgroup = true;
		cmd->cgroup_path = s + 12;
		if (tlob_parse_unescape(s + 12))
			return -EINVAL;
		return tlob_parse_cgroup_path(s + 12);
	}
	return -EINVAL;
}

static int tlob_parse_args(char **argv, int argc, struct tlob_cmd *cmd)
{
	bool threshold = false;
	int i = 0, ret;

	if (cmd->op == TLOB_CMD_REMOVE) {
		ret = tlob_parse_location(argv[0] + 1, cmd);
	} else {
		if (argc < 2)
			return -EINVAL;
		ret = tlob_parse_location(argv[1], cmd);
		i = 1;
	}
	if (ret)
		return ret;
	i++;
	if (cmd->op == TLOB_CMD_ENTRY) {
		if (i >= argc || tlob_parse_u64(argv[i], &cmd->stop))
			return -EINVAL;
		if (cmd->stop == cmd->start)
			return -EINVAL;
		i++;
	}
	for (; i < argc; i++) {
		ret = tlob_parse_option(argv[i], cmd, &threshold);
		if (ret)
			return ret;
	}
	if (cmd->op != TLOB_CMD_REMOVE && !threshold)
		return -EINVAL;
	return 0;
}

/*
 * Parse one NUL-terminated line (a trailing newline is allowed) into @cmd.
 * Returns 0 (cmd->op is TLOB_CMD_NONE for a blank or comment line, and for
 * a line whose comment says owner=fd), -E2BIG (the command before the
 * comment over TLOB_LINE_MAX bytes) or -EINVAL.  @line is modified.
 */
int tlob_parse_cmd(char *line, struct tlob_cmd *cmd)
{
	char *argv[TLOB_MAX_TOKENS];
	char *comment = tlob_comment(line);
	size_t len;
	int argc;

	memset(cmd, 0, sizeof(*cmd));
	/* The command is limited, not the comment the listing appends. */
	len = comment ? (size_t)(comment - line) : strlen(line);
	while (len && tlob_is_blank(line[len - 1]))
		len--;
	if (len > TLOB_LINE_MAX)
		return -E2BIG;
	/*
	 * A listed binding of a /dev/rv fd is that fd's: writing the listing
	 * back leaves it alone rather than making a duplicate of it.
	 */
	if (comment && tlob_comment_owner_fd(comment))
		return 0;
	argc = tlob_tokenize(line, argv, TLOB_MAX_TOKENS);
	if (argc < 0)
		return argc;
	if (!argc)
		return 0;

	if (!strcmp(argv[0], "p"))
		cmd->op = TLOB_CMD_ENTRY;
	else if (!strcmp(argv[0], "r"))
		cmd->op = TLOB_CMD_RETURN;
	else if (argv[0][0] == '-')
		cmd->op = TLOB_CMD_REMOVE;
	else
		return -EINVAL;

	if (tlob_parse_args(argv, argc, cmd)) {
		memset(cmd, 0, sizeof(*cmd));
		return -EINVAL;
	}
	return 0;
}
