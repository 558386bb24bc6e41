// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cgroup paths of units, as systemd's system manager makes them
 * (unit_default_cgroup_path(), cg_slice_to_path(), cg_escape() in its
 * sources).
 */
#include <ctype.h>

#include "macro.h"
#include "tlob-parse.h"
#include "unit-cgroup.h"

/* systemd 252's cgroup controllers: "cpu.service" would clash with them. */
static const char *const controllers[] = {
	"cpu", "cpuacct", "cpuset", "io", "blkio", "memory", "devices", "pids",
	"bpf-firewall", "bpf-devices", "bpf-foreign", "bpf-socket-bind",
	"bpf-restrict-network-interfaces",
};

static bool needs_prefix(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (IN_SET(name[0], 0, '_', '.') || streq(name, "notify_on_release") ||
	    streq(name, "release_agent") || streq(name, "tasks") ||
	    startswith(name, "cgroup."))
		return true;
	if (!dot)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(controllers); i++)
		if (strlen(controllers[i]) == (size_t)(dot - name) &&
		    strncmp(name, controllers[i], (size_t)(dot - name)) == 0)
			return true;
	return false;
}

int unit_cgroup_escape(const char *name, char **ret)
{
	char *s;

	if (asprintf(&s, "%s%s", needs_prefix(name) ? "_" : "", name) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* Append "/" (unless @path is empty) and the escaped @name to *@path. */
static int path_append(char **path, const char *name)
{
	_cleanup_free_ char *e = NULL;
	char *s;
	int r;

	r = unit_cgroup_escape(name, &e);
	if (r < 0)
		return r;
	if (asprintf(&s, "%s%s%s", *path, **path ? "/" : "", e) < 0)
		return -ENOMEM;
	free(*path);
	*path = s;
	return 0;
}

int unit_cgroup_slice_path(const char *slice, char **ret)
{
	_cleanup_free_ char *path = strdup(""), *name = NULL;
	const char *end = endswith(slice, ".slice");
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	if (!end || !tlob_unit_name_is_concrete(slice))
		return -EINVAL;
	if (streq(slice, "-.slice")) {
		*ret = TAKE_PTR(path);
		return 0;
	}
	len = (size_t)(end - slice);
	/* "a-b-c": no empty part, so no leading, trailing or double dash. */
	if (len == 0 || slice[0] == '-' || slice[len - 1] == '-' ||
	    strstr(slice, "--"))
		return -EINVAL;
	/* "a.slice", "a-b.slice", "a-b-c.slice": each prefix up to a dash. */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && slice[i] != '-')
			continue;
		free(name);
		if (asprintf(&name, "%.*s.slice", (int)i, slice) < 0)
			return -ENOMEM;
		r = path_append(&path, name);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(path);
	return 0;
}

/* systemd's unit_name_escape() of a prefix: '-' and '\' as \xNN. */
static char *escape_prefix(const char *s, size_t len)
{
	char *out = malloc(len * 4 + 1), *t = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/')
			*t++ = '-';
		else if (c == '-' || c == '\\' || (i == 0 && c == '.') ||
			 !(isalnum(c) || strchr(":_.", c)))
			t += sprintf(t, "\\x%02x", c);
		else
			*t++ = (char)c;
	}
	*t = 0;
	return out;
}

int unit_cgroup_default_slice(const char *unit, char **ret)
{
	const char *at = strchr(unit, '@'), *dot = strrchr(unit, '.');
	_cleanup_free_ char *prefix = NULL;
	char *s;

	if (!dot || !tlob_unit_name_is_valid(unit))
		return -EINVAL;
	if (streq(dot, ".slice")) {
		const char *dash = strrchr(unit, '-');

		/* "a-b.slice" is in "a.slice", "a.slice" in "-.slice". */
		if (streq(unit, "-.slice"))
			return -EINVAL;
		if (!dash || dash == unit)
			s = strdup("-.slice");
		else if (asprintf(&s, "%.*s.slice", (int)(dash - unit), unit) < 0)
			s = NULL;
	} else if (at) {
		prefix = escape_prefix(unit, (size_t)(at - unit));
		if (!prefix || asprintf(&s, "system-%s.slice", prefix) < 0)
			s = NULL;
	} else
		s = strdup("system.slice");
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static bool is_template(const char *unit)
{
	const char *at = strchr(unit, '@');

	return at && at[1] == '.';
}

int unit_cgroup_path(const char *unit, const char *control_group,
		     const char *slice, char **ret)
{
	_cleanup_free_ char *def = NULL, *path = NULL;
	int r;

	if (!isempty(control_group) && !is_template(unit)) {
		while (*control_group == '/')
			control_group++;
		path = strdup(control_group);
		if (!path)
			return -ENOMEM;
		*ret = TAKE_PTR(path);
		return 0;
	}
	/* A slice is its own directory. */
	if (endswith(unit, ".slice"))
		return unit_cgroup_slice_path(unit, ret);
	if (isempty(slice)) {
		r = unit_cgroup_default_slice(unit, &def);
		if (r < 0)
			return r;
		slice = def;
	}
	r = unit_cgroup_slice_path(slice, &path);
	if (r < 0)
		return r;
	/* A template's instances are below its slice, each in its own. */
	if (!is_template(unit)) {
		r = path_append(&path, unit);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(path);
	return 0;
}

int unit_cgroup_child(const char *base, const char *path, char **ret)
{
	size_t n;
	const char *rest;
	char *s;

	while (*base == '/')
		base++;
	while (*path == '/')
		path++;
	n = strlen(base);
	if (n > 0) {
		if (strncmp(path, base, n) != 0 || path[n] != '/')
			return -ENXIO;
		path += n + 1;
	}
	rest = strchrnul(path, '/');
	if (rest == path)
		return -ENXIO;
	/* cg_unescape(): one leading '_' was added by cg_escape(). */
	if (path[0] == '_')
		path++;
	s = strndup(path, (size_t)(rest - path));
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}
