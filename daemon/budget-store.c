// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The budget store: budgets come from [X-Tlob] TlobBudget= in unit
 * drop-ins, the only source of truth. AddBudget() writes a drop-in as
 * "systemctl set-property" does:
 * /etc/systemd/system.control/UNIT.d/50-TlobBudget-ID.conf (runtime ones
 * under /run/systemd/system.control), so "systemctl cat UNIT" shows it.
 *
 * The units looked at are those with a "UNIT.d" directory, the templates
 * whose "foo@.service.d" sets budgets, plus the ones the caller names:
 * loaded units (from systemd) that drop-in directories of prefixes or
 * types apply to. A template's budget is one budget of unit
 * "foo@.service" that measures every instance; the instances' own budgets
 * are those of their other drop-ins (the template's entries are left out
 * of their lists, they are the template's budget).
 *
 * Ids: a budget of such a file has the file's ID and source "api" or
 * "runtime"; any other TlobBudget= line gets an id hashed from its unit,
 * probe and rank among equal (unit, probe) lines, stable across reloads,
 * and source "dropin".
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "actions.h"
#include "budget-store.h"
#include "dropin.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "rcstr.h"
#include "strv.h"

#define API_DIR		"/etc/systemd/system.control"
#define RUNTIME_DIR	"/run/systemd/system.control"
#define FILE_PREFIX	"50-TlobBudget-"
#define DESCRIPTION_TAG	"# Description: "
#define TMP_SUFFIX	".tmp"

static const char *root_of(const Manager *m)
{
	return m->root ?: "";
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static bool id_taken(Budget **l, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (streq(l[i]->id, id))
			return true;
	return false;
}

/* A stable id for a hand-written TlobBudget= line. */
static int dropin_id(const char *unit, const char *probe, Budget **l, size_t n,
		     char **ret)
{
	for (unsigned rank = 0;; rank++) {
		uint64_t h = 0xcbf29ce484222325ULL;
		char salt[16];
		char *id;

		h = fnv1a(unit, h);
		h = fnv1a("\n", h);
		h = fnv1a(probe, h);
		snprintf(salt, sizeof(salt), "\n%u", rank);
		h = fnv1a(salt, h);
		if (asprintf(&id, "%08x", (unsigned)(h ^ (h >> 32))) < 0)
			return -ENOMEM;
		if (!id_taken(l, n, id)) {
			*ret = id;
			return 0;
		}
		free(id);
	}
}

/* Is @file one of ours? Sets the source and the id from its name. */
static int classify_file(const Manager *m, const char *file,
			 BudgetSource *ret_source, char **ret_id)
{
	_cleanup_free_ char *api = NULL, *rt = NULL;
	const char *base = strrchr(file, '/'), *idp, *end;
	char *id;

	base = base ? base + 1 : file;
	idp = startswith(base, FILE_PREFIX);
	end = endswith(base, ".conf");
	if (!idp || !end || end <= idp)
		return 0;
	if (asprintf(&api, "%s" API_DIR "/", root_of(m)) < 0 ||
	    asprintf(&rt, "%s" RUNTIME_DIR "/", root_of(m)) < 0)
		return -ENOMEM;
	if (startswith(file, api))
		*ret_source = BUDGET_SOURCE_API;
	else if (startswith(file, rt))
		*ret_source = BUDGET_SOURCE_RUNTIME;
	else
		return 0;
	id = strndup(idp, (size_t)(end - idp));
	if (!id)
		return -ENOMEM;
	if (!tlob_budget_id_is_valid(id)) {
		free(id);
		return 0;
	}
	*ret_id = id;
	return 1;
}

/* The "# Description: " comment of a file written by budget_store_write(). */
static char *read_description(const char *file)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if (!f)
		return NULL;
	while ((n = getline(&line, &size, f)) > 0) {
		const char *d = startswith(line, DESCRIPTION_TAG);

		if (line[0] == '[')
			break;
		if (!d)
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = 0;
		return strdup(d);
	}
	return NULL;
}

static void warn_line(const char *file, unsigned line, int error,
		      const char *what, void *userdata)
{
	log_warning("%s:%u: %s, ignoring.", file, line, what);
}

/*
 * A budget of @unit (rcstr) from @e. @file is an rcstr of the drop-in path
 * of the previous entry, replaced when this one comes from another file:
 * the budgets of a file share one copy.
 */
static int budget_from_entry(Manager *m, char *unit, const TlobBudgetEntry *e,
			     Budget **l, size_t n, char **file, Budget **ret)
{
	_cleanup_(budget_freep) Budget *b = NULL;
	_cleanup_free_ char *id = NULL;
	BudgetSource source = BUDGET_SOURCE_DROPIN;
	int r;

	if (!*file || !streq(*file, e->file)) {
		rcstr_unref(*file);
		*file = rcstr_new(e->file);
		if (!*file)
			return -ENOMEM;
	}

	r = classify_file(m, e->file, &source, &id);
	if (r < 0)
		return r;
	if (r == 0 || id_taken(l, n, id)) {
		id = mfree(id);
		source = BUDGET_SOURCE_DROPIN;
		r = dropin_id(unit, e->probe, l, n, &id);
		if (r < 0)
			return r;
	}
	r = budget_new(m, unit, id, e->probe, e->budget_ns, &b);
	if (r < 0)
		return r;	/* the parser gave us this text: only ENOMEM */
	b->file = rcstr_ref(*file);
	b->source = source;
	b->cause = e->cause;
	r = budget_set_actions(b, &e->actions);
	if (r < 0)
		return r;
	if (source != BUDGET_SOURCE_DROPIN)
		b->description = read_description(e->file);
	*ret = TAKE_PTR(b);
	return 0;
}

/* Is @file in a directory named @dirname? */
static bool file_in_dir(const char *file, const char *dirname)
{
	const char *slash = strrchr(file, '/'), *start = slash;
	size_t n = strlen(dirname);

	if (!slash)
		return false;
	while (start > file && start[-1] != '/')
		start--;
	return (size_t)(slash - start) == n && strncmp(start, dirname, n) == 0;
}

/*
 * Keep the entries of @list for @unit: a template's are those of its own
 * "foo@.service.d" directories, an instance's those of its others.
 */
static void filter_entries(const char *unit, TlobBudgetList *list)
{
	_cleanup_free_ char *tdir = NULL;
	const char *at = strchr(unit, '@'), *dot = strrchr(unit, '.');
	bool template = at && at + 1 == dot;
	size_t k = 0;

	if (!at || !dot ||
	    asprintf(&tdir, "%.*s@%s.d", (int)(at - unit), unit, dot) < 0)
		return;
	for (size_t i = 0; i < list->n; i++) {
		TlobBudgetEntry *e = &list->entries[i];

		if (file_in_dir(e->file, tdir) == template) {
			list->entries[k++] = *e;
			continue;
		}
		free(e->probe);
		free(e->file);
	}
	list->n = k;
}

int budget_store_load(Manager *m, char **extra_units, Budget ***ret,
		      size_t *ret_n)
{
	_cleanup_strv_free_ char **units = NULL;
	Budget **l = NULL;
	size_t n = 0;
	int r;

	r = tlob_dropin_units(root_of(m), tlob_unit_search_path, &units);
	if (r < 0)
		return r;
	/* Templates with budgets of their own (the manager's patterns). */
	for (char **p = m->patterns; p && *p; p++) {
		const char *at = strchr(*p, '@');

		if (!at || at[1] != '.' || tlob_strv_contains(units, *p))
			continue;
		r = tlob_strv_extend(&units, *p);
		if (r < 0)
			return r;
	}
	for (char **u = extra_units; u && *u; u++) {
		if (!tlob_unit_name_is_concrete(*u) ||
		    tlob_strv_contains(units, *u))
			continue;
		r = tlob_strv_extend(&units, *u);
		if (r < 0)
			return r;
	}
	tlob_strv_sort(units);

	for (char **u = units; *u; u++) {
		_cleanup_(tlob_budget_list_done) TlobBudgetList list = {};
		_cleanup_(rcstr_unrefp) char *unit = NULL, *file = NULL;
		Budget **nl;

		r = tlob_dropin_load(root_of(m), tlob_unit_search_path, *u,
				     &list, warn_line, m);
		if (r == -ENOMEM)
			goto fail;
		if (r < 0) {
			log_warning_errno(r, "Failed to read drop-ins of %s, ignoring: %m",
					  *u);
			continue;
		}
		filter_entries(*u, &list);
		if (list.n == 0)
			continue;
		unit = rcstr_new(*u);
		nl = reallocarray(l, n + list.n, sizeof(*l));
		if (nl)
			l = nl;
		if (!unit || !nl) {
			r = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < list.n; i++) {
			r = budget_from_entry(m, unit, &list.entries[i], l, n,
					      &file, &l[n]);
			if (r < 0)
				goto fail;
			n++;
		}
	}
	*ret = l;
	*ret_n = n;
	return 0;

fail:
	for (size_t i = 0; i < n; i++)
		budget_free(l[i]);
	free(l);
	return r;
}

int budget_store_new_id(Budget **l, size_t n, char **ret)
{
	for (unsigned tries = 0; tries < 64; tries++) {
		uint32_t v;
		char *id;

		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			return -errno;
		if (asprintf(&id, "%08x", v) < 0)
			return -ENOMEM;
		if (!id_taken(l, n, id)) {
			*ret = id;
			return 0;
		}
		free(id);
	}
	return -EBUSY;
}

/*
 * fsync() the directory holding @path (its last component cut off), and
 * with @parent_too the one above it, so that a rename, unlink, mkdir or
 * rmdir done in them is on disk.
 */
static int fsync_dirs_of(const char *path, bool parent_too)
{
	_cleanup_free_ char *dir = strdup(path);
	int r = 0;

	if (!dir)
		return -ENOMEM;
	for (unsigned level = 0; level < (parent_too ? 2U : 1U); level++) {
		_cleanup_close_ int fd = -EBADF;
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir)
			break;
		*slash = 0;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			r = r ?: -errno;
	}
	return r;
}

static int mkdir_parents(char *path, mode_t mode)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		if (mkdir(path, mode) < 0 && errno != EEXIST) {
			int r = -errno;

			*s = '/';
			return r;
		}
		*s = '/';
	}
	return 0;
}

int budget_store_write(const char *root, const char *unit, const char *id,
		       const char *probe, uint64_t budget_ns, bool runtime,
		       const char *description, bool cause,
		       const TlobActions *actions, char **ret_file)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL, *action_text = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char span[TLOB_TIMESPAN_MAX];
	int fd, r;

	if (asprintf(&path, "%s%s/%s.d/" FILE_PREFIX "%s.conf", strempty(root),
		     runtime ? RUNTIME_DIR : API_DIR, unit, id) < 0 ||
	    asprintf(&tmp, "%s" TMP_SUFFIX, path) < 0)
		return -ENOMEM;
	if (actions && !tlob_actions_is_default(actions) &&
	    tlob_actions_format(actions, &action_text) < 0)
		return -ENOMEM;
	r = mkdir_parents(path, 0755);
	if (r < 0)
		return r;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		safe_close(fd);
		goto fail;
	}
	fprintf(f, "# Budget %s of %s, made by tlob-manager (AddBudget, \"tlobctl add\").\n"
		"# \"tlobctl remove %s\" removes it.\n", id, unit, id);
	if (!isempty(description))
		fprintf(f, DESCRIPTION_TAG "%s\n", description);
	fprintf(f, "[X-Tlob]\nTlobBudget=%s %s\n", probe,
		tlob_format_timespan(span, sizeof(span), budget_ns,
				     TLOB_TIMESPAN_EXACT));
	if (!cause)
		fputs("TlobCause=no\n", f);
	/* For this file's budget only (tlob-manager(8)). */
	if (action_text)
		fprintf(f, "TlobAction=%s\n", action_text);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
		r = negative_errno();
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	/* The rename, and UNIT.d if it is new, survive a crash too. */
	r = fsync_dirs_of(path, true);
	if (r < 0)
		log_warning_errno(r, "Failed to sync the directory of %s, ignoring: %m",
				  path);
	*ret_file = TAKE_PTR(path);
	return 0;

fail:
	(void)unlink(tmp);
	return r;
}

int budget_store_remove(const Budget *b)
{
	_cleanup_free_ char *dir = NULL;
	bool dir_gone = false;
	char *slash;

	if (b->source == BUDGET_SOURCE_DROPIN)
		return -EPERM;
	if (unlink(b->file) < 0 && errno != ENOENT)
		return -errno;
	/* Leave no empty UNIT.d behind. */
	dir = strdup(b->file);
	if (!dir)
		return 0;
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		dir_gone = rmdir(dir) >= 0;
	}
	(void)fsync_dirs_of(dir_gone ? dir : b->file, false);
	return 0;
}

/* Remove the stale FILE_PREFIX*.conf.tmp files of one UNIT.d. */
static unsigned clean_unit_dir(const char *path)
{
	_cleanup_(closedirp) DIR *d = opendir(path);
	unsigned n = 0;
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		const char *rest = startswith(de->d_name, FILE_PREFIX);

		if (!rest || !endswith(rest, ".conf" TMP_SUFFIX))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			log_warning_errno(-errno, "Failed to remove %s/%s, ignoring: %m",
					  path, de->d_name);
			continue;
		}
		log_info("Removed %s/%s, left behind by a crash.", path,
			 de->d_name);
		n++;
	}
	if (n > 0)
		(void)fsync(dirfd(d));
	return n;
}

int budget_store_clean(const char *root)
{
	static const char *const dirs[] = { API_DIR, RUNTIME_DIR };
	unsigned n = 0;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *top = NULL;
		_cleanup_(closedirp) DIR *d = NULL;
		struct dirent *de;

		if (asprintf(&top, "%s%s", strempty(root), dirs[i]) < 0)
			return -ENOMEM;
		d = opendir(top);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			_cleanup_free_ char *sub = NULL;
			unsigned k;

			if (!endswith(de->d_name, ".d") || de->d_name[0] == '.')
				continue;
			if (asprintf(&sub, "%s/%s", top, de->d_name) < 0)
				return -ENOMEM;
			k = clean_unit_dir(sub);
			/* An AddBudget that failed early may leave UNIT.d empty. */
			if (k > 0 && rmdir(sub) >= 0)
				(void)fsync(dirfd(d));
			n += k;
		}
	}
	return (int)n;
}
