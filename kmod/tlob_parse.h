/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parser of the lines written to /sys/kernel/tlob/monitor.
 *
 * Pure C: compiled into the module and, through a small shim providing the
 * kernel types, into userspace unit tests and a fuzz harness.
 */
#ifndef _TLOB_PARSE_H
#define _TLOB_PARSE_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

/* Largest signal number of signal=N (_NSIG on x86). */
#define TLOB_SIGNAL_MAX		64

/* Longest accepted command (a line without its comment and newline). */
#define TLOB_LINE_MAX		4096

enum tlob_cmd_op {
	TLOB_CMD_NONE = 0,	/* empty line or comment */
	TLOB_CMD_ENTRY,		/* p PATH:START STOP threshold=NS [CG] [ACT] */
	TLOB_CMD_RETURN,	/* r PATH:START threshold=NS [CG] [ACT] */
	TLOB_CMD_REMOVE,	/* -PATH:START [CG] */
};

/*
 * A parsed command.  @path, @cgroup_dir and @cgroup_path point into the
 * buffer given to tlob_parse_cmd(), which is modified in place (escapes
 * decoded).  CG is "cgroup=ID", "cgroup=DIR" (an absolute path, looked up
 * when the command is applied) or "cgroup_path=PATH" (relative to the
 * cgroup2 root, looked up when a task hits START).  ACT are "cause"
 * (capture the cause of violations) and "signal=N" (send signal N, 1 to
 * 64, to the violating thread at expiry), each at most once.
 */
struct tlob_cmd {
	enum tlob_cmd_op op;
	const char *path;
	u64 start;
	u64 stop;		/* TLOB_CMD_ENTRY only */
	u64 threshold;		/* not for TLOB_CMD_REMOVE */
	bool has_cgroup;
	u64 cgroup_id;		/* cgroup=ID */
	const char *cgroup_dir;	/* cgroup=DIR, or NULL */
	const char *cgroup_path;/* cgroup_path=PATH, or NULL */
	bool cause;		/* "cause": capture causes (not for REMOVE) */
	u32 signal;		/* signal=N, 1 to 64; 0 none (not for REMOVE) */
};

int tlob_parse_u64(const char *s, u64 *val);
int tlob_parse_unescape(char *s);
int tlob_parse_cgroup_path(const char *s);
int tlob_parse_cmd(char *line, struct tlob_cmd *cmd);

#endif /* _TLOB_PARSE_H */
