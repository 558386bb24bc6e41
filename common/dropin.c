// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "dropin.h"
#include "macro.h"
#include "tlob-parse.h"

const char *const tlob_unit_search_path[] = {
	"/etc/systemd/system.control",
	"/run/systemd/system.control",
	"/run/systemd/transient",
	"/run/systemd/generator.early",
	"/etc/systemd/system",
	"/etc/systemd/system.attached",
	"/run/systemd/system",
	"/run/systemd/system.attached",
	"/run/systemd/generator",
	"/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system",
	"/lib/systemd/system",
	"/run/systemd/generator.late",
	NULL,
};

static void entry_done(TlobBudgetEntry *e)
{
	free(e->probe);
	free(e->file);
}

static void list_clear(TlobBudgetList *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_done(&l->entries[i]);
	free(l->entries);
	l->entries = NULL;
	l->n = 0;
}

void tlob_budget_list_done(TlobBudgetList *l)
{
	list_clear(l);
	l->n_invalid = 0;
}

static int list_append(TlobBudgetList *l, char *probe, uint64_t ns,
		       const char *file, unsigned line)
{
	TlobBudgetEntry *n;
	char *f;

	f = strdup(file);
	if (!f) {
		free(probe);
		return -ENOMEM;
	}
	n = reallocarray(l->entries, l->n + 1, sizeof(*n));
	if (!n) {
		free(probe);
		free(f);
		return -ENOMEM;
	}
	l->entries = n;
	l->entries[l->n++] = (TlobBudgetEntry) {
		.probe = probe, .budget_ns = ns, .file = f, .line = line,
		.cause = true,
	};
	return 0;
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static const char *budget_error_text(int r)
{
	switch (r) {
	case -EBADMSG:
		return "Invalid probe in TlobBudget=";
	case -ERANGE:
		return "Budget out of range (0 < budget <= 1h) in TlobBudget=";
	default:
		return "Invalid time span in TlobBudget=";
	}
}

/* TlobAction=: added to the actions of the file's budgets. */
static void handle_action(const char *value, const char *fname, unsigned line,
			  TlobBudgetList *list, TlobActions *actions,
			  tlob_dropin_warn_t warn, void *userdata)
{
	TlobActionError err;
	char what[160];

	if (tlob_actions_parse(value, actions, &err) >= 0)
		return;
	list->n_invalid++;
	snprintf(what, sizeof(what), "Invalid TlobAction= item \"%s\": %s",
		 err.item, err.why);
	if (warn)
		warn(fname, line, -EINVAL, what, userdata);
}

/* One "key=value" line inside [X-Tlob]. */
static int handle_assignment(char *l, const char *fname, unsigned line,
			     TlobBudgetList *list, int *cause,
			     TlobActions *actions,
			     tlob_dropin_warn_t warn, void *userdata)
{
	char *eq = strchr(l, '='), *key, *value, *probe;
	uint64_t ns;
	int r;

	if (!eq) {
		list->n_invalid++;
		if (warn)
			warn(fname, line, -EINVAL, "Missing '='", userdata);
		return 0;
	}
	*eq = 0;
	key = strip(l);
	value = strip(eq + 1);
	if (streq(key, "TlobCause")) {
		r = tlob_parse_boolean(value);
		if (r >= 0)
			*cause = r;
		else {
			list->n_invalid++;
			if (warn)
				warn(fname, line, r, "Invalid boolean in TlobCause=",
				     userdata);
		}
		return 0;
	}
	if (streq(key, "TlobAction")) {
		handle_action(value, fname, line, list, actions, warn, userdata);
		return 0;
	}
	if (!streq(key, "TlobBudget")) {
		list->n_invalid++;
		if (warn)
			warn(fname, line, -ENOENT, "Unknown key in [X-Tlob]",
			     userdata);
		return 0;
	}
	if (!*value) {
		list_clear(list);
		return 0;
	}
	r = tlob_parse_budget_value(value, &probe, &ns);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		list->n_invalid++;
		if (warn)
			warn(fname, line, r, budget_error_text(r), userdata);
		return 0;
	}
	return list_append(list, probe, ns, fname, line);
}

/*
 * Read one logical line: joins lines ending in a backslash. Returns 1 with
 * *ret set, 0 at EOF, -E2BIG (line consumed) or -ENOMEM.
 */
static int read_logical_line(FILE *f, char **buf, size_t *size, char **ret,
			     unsigned *lineno, unsigned *first)
{
	_cleanup_free_ char *acc = NULL;
	size_t acc_len = 0;
	bool too_long = false;
	ssize_t n;

	for (;;) {
		char *c;

		errno = 0;
		n = getline(buf, size, f);
		if (n < 0) {
			if (errno == ENOMEM)
				return -ENOMEM;
			if (!acc)
				return 0;
			break;	/* continuation at EOF: take what we have */
		}
		(*lineno)++;
		if (!acc)
			*first = *lineno;
		while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
			(*buf)[--n] = 0;
		if (acc_len + (size_t)n + 2 > TLOB_DROPIN_LINE_MAX)
			too_long = true;
		if (!too_long) {
			c = realloc(acc, acc_len + (size_t)n + 2);
			if (!c)
				return -ENOMEM;
			acc = c;
			memcpy(acc + acc_len, *buf, (size_t)n + 1);
			acc_len += (size_t)n;
		} else if (!acc) {
			acc = strdup("");
			if (!acc)
				return -ENOMEM;
		}
		if (n > 0 && (*buf)[n - 1] == '\\') {
			if (!too_long) {
				/* Replace the backslash by a space. */
				acc[acc_len - 1] = ' ';
			}
			continue;
		}
		break;
	}
	if (too_long)
		return -E2BIG;
	*ret = TAKE_PTR(acc);
	return 1;
}

int tlob_dropin_parse(FILE *f, const char *fname, TlobBudgetList *list,
		      tlob_dropin_warn_t warn, void *userdata)
{
	_cleanup_free_ char *buf = NULL;
	unsigned lineno = 0, first = 0;
	bool in_section = false;
	TlobActions actions = {};
	size_t size = 0, own = list->n;	/* this file's entries: [own, n) */
	int r, cause = -1;

	for (;;) {
		_cleanup_free_ char *logical = NULL;
		char *l;

		r = read_logical_line(f, &buf, &size, &logical, &lineno, &first);
		if (r == -E2BIG) {
			if (in_section) {
				list->n_invalid++;
				if (warn)
					warn(fname, first, r, "Line too long",
					     userdata);
			}
			continue;
		}
		if (r < 0)
			return r;
		if (r == 0)
			break;

		l = strip(logical);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			size_t n = strlen(l);

			in_section = n >= 2 && l[n - 1] == ']' &&
				     n - 2 == strlen("X-Tlob") &&
				     strncmp(l + 1, "X-Tlob", n - 2) == 0;
			continue;
		}
		if (!in_section)
			continue;
		r = handle_assignment(l, fname, first, list, &cause, &actions,
				      warn,
				      userdata);
		if (r < 0)
			return r;
		own = MIN(own, list->n);	/* cleared */
	}
	/*
	 * TlobCause= and TlobAction= are the file's: its TlobBudget= lines,
	 * before or after.
	 */
	for (size_t i = own; i < list->n; i++) {
		if (cause >= 0)
			list->entries[i].cause = cause;
		list->entries[i].actions = actions;
	}
	return ferror(f) ? -EIO : 0;
}

int tlob_dropin_dirnames(const char *unit, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ char *head = NULL;
	const char *dot, *at, *type;
	char *s;
	int r;

	if (!tlob_unit_name_is_valid(unit))
		return -EINVAL;
	dot = strrchr(unit, '.');
	type = dot + 1;
	at = strchr(unit, '@');

	if (asprintf(&s, "%s.d", unit) < 0)
		return -ENOMEM;
	r = tlob_strv_consume(&l, s);
	if (r < 0)
		return r;
	if (at && at + 1 != dot) {
		if (asprintf(&s, "%.*s@.%s.d", (int)(at - unit), unit, type) < 0)
			return -ENOMEM;
		r = tlob_strv_consume(&l, s);
		if (r < 0)
			return r;
	}

	/* "a-b-c.service": "a-b-.service.d" then "a-.service.d". */
	head = strndup(unit, (size_t)((at ?: dot) - unit));
	if (!head)
		return -ENOMEM;
	for (char *dash = strrchr(head, '-'); dash; dash = strrchr(head, '-')) {
		*dash = 0;
		if (dash == head)
			break;
		if (asprintf(&s, "%s-.%s.d", head, type) < 0)
			return -ENOMEM;
		r = tlob_strv_consume(&l, s);
		if (r < 0)
			return r;
	}

	if (asprintf(&s, "%s.d", type) < 0)
		return -ENOMEM;
	r = tlob_strv_consume(&l, s);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}

static bool is_masked(const char *path)
{
	struct stat st;

	/* A symlink to /dev/null (or /dev/null itself) masks the name. */
	return stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(1, 3);
}

static bool is_conf_name(const char *name)
{
	return name[0] != '.' && endswith(name, ".conf") &&
	       !streq(name, ".conf");
}

/* Add the *.conf of @dir not yet in @names (paths in @files, or NULL). */
static int collect_dir(const char *dir, char ***names, char ***files)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ?
		       0 : -errno;
	while ((de = readdir(d))) {
		char *path;

		if (!is_conf_name(de->d_name) ||
		    tlob_strv_contains(*names, de->d_name))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = tlob_strv_extend(names, de->d_name);
		if (r < 0) {
			free(path);
			break;
		}
		/* Masked names shadow lower ones but are not read. */
		if (is_masked(path)) {
			free(path);
			r = tlob_strv_extend(files, "");
		} else
			r = tlob_strv_consume(files, path);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

static const char *file_basename(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int cmp_basename(const void *a, const void *b)
{
	return strcmp(file_basename(*(char *const *)a),
		      file_basename(*(char *const *)b));
}

int tlob_dropin_find(const char *root, const char *const *search_path,
		     const char *unit, char ***ret)
{
	_cleanup_strv_free_ char **dirnames = NULL, **names = NULL;
	_cleanup_strv_free_ char **files = NULL, **out = NULL;
	int r;

	r = tlob_dropin_dirnames(unit, &dirnames);
	if (r < 0)
		return r;
	if (isempty(root) || streq(root, "/"))
		root = "";

	for (const char *const *p = search_path; *p; p++)
		for (char **n = dirnames; *n; n++) {
			_cleanup_free_ char *dir = NULL;

			if (asprintf(&dir, "%s%s/%s", root, *p, *n) < 0)
				return -ENOMEM;
			r = collect_dir(dir, &names, &files);
			if (r < 0)
				return r;
		}

	for (char **f = files; f && *f; f++) {
		if (!**f)
			continue;
		r = tlob_strv_extend(&out, *f);
		if (r < 0)
			return r;
	}
	if (out)
		qsort(out, tlob_strv_length(out), sizeof(char *), cmp_basename);
	else {
		out = calloc(1, sizeof(char *));
		if (!out)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int tlob_dropin_load(const char *root, const char *const *search_path,
		     const char *unit, TlobBudgetList *ret,
		     tlob_dropin_warn_t warn, void *userdata)
{
	_cleanup_(tlob_budget_list_done) TlobBudgetList list = {};
	_cleanup_strv_free_ char **files = NULL;
	int r;

	r = tlob_dropin_find(root, search_path, unit, &files);
	if (r < 0)
		return r;
	for (char **f = files; *f; f++) {
		_cleanup_fclose_ FILE *fp = NULL;

		fp = fopen(*f, "re");
		if (!fp) {
			if (errno == ENOENT)
				continue;	/* raced with a removal */
			return -errno;
		}
		r = tlob_dropin_parse(fp, *f, &list, warn, userdata);
		if (r < 0)
			return r;
	}
	*ret = list;
	list = (TlobBudgetList) {};
	return 0;
}

/* A drop-in directory name without ".d" that applies to several units. */
static bool is_pattern(const char *name)
{
	if (tlob_unit_type_is_valid(name))
		return true;
	if (!tlob_unit_name_is_valid(name))
		return false;
	return !tlob_unit_name_is_concrete(name) || strstr(name, "-.");
}

/* Does a *.conf in @path set a TlobBudget=? (Other drop-ins abound.) */
static bool dir_has_budgets(const char *path)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(path);

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		_cleanup_(tlob_budget_list_done) TlobBudgetList l = {};
		_cleanup_fclose_ FILE *f = NULL;
		_cleanup_free_ char *p = NULL;

		if (!is_conf_name(de->d_name) ||
		    asprintf(&p, "%s/%s", path, de->d_name) < 0)
			continue;
		f = fopen(p, "re");
		if (f && tlob_dropin_parse(f, p, &l, NULL, NULL) >= 0)
			found = l.n > 0;
	}
	closedir(d);
	return found;
}

/* Names of the "NAME.d" directories in @search_path that @want. */
static int scan_dirnames(const char *root, const char *const *search_path,
			 bool patterns, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL;
	int r;

	if (isempty(root) || streq(root, "/"))
		root = "";
	for (const char *const *p = search_path; *p; p++) {
		_cleanup_free_ char *dir = NULL;
		struct dirent *de;
		DIR *d;

		if (asprintf(&dir, "%s%s", root, *p) < 0)
			return -ENOMEM;
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			_cleanup_free_ char *name = NULL, *path = NULL;
			const char *sfx = endswith(de->d_name, ".d");
			bool ok;

			if (!sfx)
				continue;
			name = strndup(de->d_name, (size_t)(sfx - de->d_name));
			if (!name) {
				closedir(d);
				return -ENOMEM;
			}
			if (patterns) {
				if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
					closedir(d);
					return -ENOMEM;
				}
				ok = is_pattern(name) && dir_has_budgets(path);
			} else
				/* Not templates, prefixes ("a-.service"), types. */
				ok = tlob_unit_name_is_concrete(name) &&
				     !strstr(name, "-.");
			if (!ok || tlob_strv_contains(names, name))
				continue;
			r = tlob_strv_consume(&names, TAKE_PTR(name));
			if (r < 0) {
				closedir(d);
				return r;
			}
		}
		closedir(d);
	}
	if (!names) {
		names = calloc(1, sizeof(char *));
		if (!names)
			return -ENOMEM;
	}
	tlob_strv_sort(names);
	*ret = TAKE_PTR(names);
	return 0;
}

int tlob_dropin_units(const char *root, const char *const *search_path,
		      char ***ret)
{
	return scan_dirnames(root, search_path, false, ret);
}

int tlob_dropin_patterns(const char *root, const char *const *search_path,
			 char ***ret)
{
	return scan_dirnames(root, search_path, true, ret);
}

bool tlob_dropin_pattern_matches(const char *pattern, const char *unit)
{
	_cleanup_strv_free_ char **dirs = NULL;
	_cleanup_free_ char *want = NULL;

	if (!tlob_unit_name_is_concrete(unit) ||
	    tlob_dropin_dirnames(unit, &dirs) < 0 ||
	    asprintf(&want, "%s.d", pattern) < 0)
		return false;
	/* The unit's own directory is not a pattern. */
	return !streq(dirs[0], want) && tlob_strv_contains(dirs + 1, want);
}

char *tlob_dropin_pattern_glob(const char *pattern)
{
	const char *dot = strrchr(pattern, '.');
	char *s;

	if (tlob_unit_type_is_valid(pattern))
		return asprintf(&s, "*.%s", pattern) < 0 ? NULL : s;
	if (!dot || dot == pattern)
		return NULL;
	/* "foo@.service" and "a-.service": the part before the type. */
	return asprintf(&s, "%.*s*%s", (int)(dot - pattern), pattern, dot) < 0 ?
	       NULL : s;
}
