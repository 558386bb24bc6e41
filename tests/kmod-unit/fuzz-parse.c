// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz harness of the monitor-line parser (kmod/tlob_parse.c).
 *
 * Properties: the parser never reads or writes out of bounds (ASan),
 * returns only 0, -EINVAL or -E2BIG, and an accepted command satisfies
 * every constraint of the syntax; printing it the way the module lists
 * bindings and parsing that again gives the same command.
 *
 * Built with -DTLOB_LIBFUZZER and -fsanitize=fuzzer for libFuzzer;
 * otherwise main() replays the files and directories given as arguments
 * (TAP, one test point per input).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "include/uapi/linux/tlob.h"
#include "tlob_parse.h"
#include "tap.h"
#include "../fuzz/fuzz.h"

static bool in_buf(const char *p, const char *buf, size_t size)
{
	return p >= buf && p < buf + size;
}

static void check_cmd(const struct tlob_cmd *cmd, const char *buf,
		      size_t size)
{
	if (cmd->op == TLOB_CMD_NONE)
		return;
	FUZZ_ASSERT(cmd->path && in_buf(cmd->path, buf, size));
	FUZZ_ASSERT(cmd->path[0] == '/');
	if (cmd->op != TLOB_CMD_REMOVE)
		FUZZ_ASSERT(cmd->threshold >= 1 &&
			    cmd->threshold <= TLOB_MAX_THRESHOLD_NS);
	if (cmd->op == TLOB_CMD_ENTRY)
		FUZZ_ASSERT(cmd->stop != cmd->start);
	else
		FUZZ_ASSERT(!cmd->stop);
	FUZZ_ASSERT(!(cmd->cgroup_dir && cmd->cgroup_path));
	if (cmd->cgroup_dir)
		FUZZ_ASSERT(cmd->has_cgroup && cmd->cgroup_dir[0] == '/' &&
			    in_buf(cmd->cgroup_dir, buf, size));
	else if (cmd->cgroup_path)
		FUZZ_ASSERT(cmd->has_cgroup &&
			    !tlob_parse_cgroup_path(cmd->cgroup_path) &&
			    in_buf(cmd->cgroup_path, buf, size));
	else if (cmd->has_cgroup)
		FUZZ_ASSERT(cmd->cgroup_id);
}

/*
 * Append @s to @line escaped as the module's listing escapes names (the
 * bytes the parser takes for blanks, and backslash, as \ooo); returns the
 * new length.
 */
static int escape_into(char *line, int n, size_t size, const char *s)
{
	for (; *s; s++) {
		if (strchr(" \t\n\r\v\f\\", *s))
			n += snprintf(line + n, size - n, "\\%03o",
				      (unsigned char)*s);
		else
			n += snprintf(line + n, size - n, "%c", *s);
	}
	return n;
}

/* Print @cmd as the module lists bindings, parse it again, compare. */
static void check_roundtrip(const struct tlob_cmd *cmd)
{
	struct tlob_cmd again;
	const char *cg = cmd->cgroup_dir ? cmd->cgroup_dir : cmd->cgroup_path;
	size_t size = 4 * strlen(cmd->path) + 256 + (cg ? 4 * strlen(cg) : 0);
	char *line = malloc(size);
	int n;

	FUZZ_ASSERT(line);
	if (cmd->op == TLOB_CMD_REMOVE)
		n = snprintf(line, size, "-");
	else
		n = snprintf(line, size, "%c ",
			     cmd->op == TLOB_CMD_ENTRY ? 'p' : 'r');
	n = escape_into(line, n, size, cmd->path);
	n += snprintf(line + n, size - n, ":0x%llx",
		      (unsigned long long)cmd->start);
	if (cmd->op == TLOB_CMD_ENTRY)
		n += snprintf(line + n, size - n, " 0x%llx",
			      (unsigned long long)cmd->stop);
	if (cmd->op != TLOB_CMD_REMOVE)
		n += snprintf(line + n, size - n, " threshold=%llu",
			      (unsigned long long)cmd->threshold);
	if (cg) {
		n += snprintf(line + n, size - n, cmd->cgroup_dir ?
			      " cgroup=" : " cgroup_path=");
		n = escape_into(line, n, size, cg);
	} else if (cmd->has_cgroup)
		n += snprintf(line + n, size - n, " cgroup=%llu",
			      (unsigned long long)cmd->cgroup_id);
	snprintf(line + n, size - n,
		 "  # id=1 windows=0 violations=0 missed=0\n");

	if (strlen(line) - 1 <= TLOB_LINE_MAX) {
		FUZZ_ASSERT(!tlob_parse_cmd(line, &again));
		FUZZ_ASSERT(again.op == cmd->op);
		FUZZ_ASSERT(!strcmp(again.path, cmd->path));
		FUZZ_ASSERT(again.start == cmd->start);
		FUZZ_ASSERT(again.stop == cmd->stop);
		FUZZ_ASSERT(again.threshold == cmd->threshold);
		FUZZ_ASSERT(again.has_cgroup == cmd->has_cgroup);
		FUZZ_ASSERT(again.cgroup_id == cmd->cgroup_id);
		FUZZ_ASSERT(!again.cgroup_dir == !cmd->cgroup_dir);
		FUZZ_ASSERT(!again.cgroup_path == !cmd->cgroup_path);
		if (cmd->cgroup_dir)
			FUZZ_ASSERT(!strcmp(again.cgroup_dir, cmd->cgroup_dir));
		if (cmd->cgroup_path)
			FUZZ_ASSERT(!strcmp(again.cgroup_path,
					    cmd->cgroup_path));
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlob_cmd cmd;
	char *buf = malloc(size + 1);
	int ret;

	FUZZ_ASSERT(buf);
	memcpy(buf, data, size);
	buf[size] = '\0';
	ret = tlob_parse_cmd(buf, &cmd);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -E2BIG);
	if (!ret) {
		check_cmd(&cmd, buf, size + 1);
		if (cmd.op != TLOB_CMD_NONE)
			check_roundtrip(&cmd);
	} else {
		FUZZ_ASSERT(cmd.op == TLOB_CMD_NONE);
	}
	free(buf);
	return 0;
}

#ifndef TLOB_LIBFUZZER
static int replay_file(const char *path)
{
	uint8_t *data = NULL;
	size_t size = 0, n;
	uint8_t chunk[4096];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		uint8_t *d = realloc(data, size + n);

		if (!d)
			abort();
		data = d;
		memcpy(data + size, chunk, n);
		size += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data ? data : (const uint8_t *)"", size);
	free(data);
	return 0;
}

static void replay(const char *path)
{
	char child[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (stat(path, &st) < 0) {
		tap_ok(false, "%s: cannot stat", path);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		tap_ok(!replay_file(path), "%s", path);
		return;
	}
	d = opendir(path);
	if (!d) {
		tap_ok(false, "%s: cannot open", path);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		replay(child);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	int i;

	printf("TAP version 13\n");
	for (i = 1; i < argc; i++)
		replay(argv[i]);
	if (!tap_n)
		tap_ok(false, "no corpus given");
	return tap_done();
}
#endif
