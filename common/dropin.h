/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TlobBudget= in unit drop-ins.
 *
 * A drop-in may carry a section [X-Tlob] (systemd ignores sections whose
 * name starts with "X-") with "TlobBudget=PROBE BUDGET" lines. As for list
 * settings in systemd, an empty "TlobBudget=" clears the list built so far,
 * across files. "TlobAction=LIST" (tlob-action.h) sets the actions of the
 * TlobBudget= lines of the same file, before or after it; its lists add
 * up within the file, an empty one clears them. Drop-ins are found as systemd finds them: in every
 * directory of the unit search path, in the directories "UNIT.d",
 * "TEMPLATE@.TYPE.d", "PREFIX-.TYPE.d" and "TYPE.d"; a file name seen in a
 * directory of higher precedence shadows the same name elsewhere; the
 * remaining files are read in the order of their file names. A drop-in
 * that is a symlink to /dev/null masks that name.
 *
 * "TlobCause=yes|no" (default yes) applies to the TlobBudget= lines of
 * the same file, wherever it stands in it; the last one of a file wins.
 *
 * Files and buffers only: no logging (bad lines go to a callback).
 */
#ifndef TLOB_DROPIN_H
#define TLOB_DROPIN_H

#include <stdint.h>
#include <stdio.h>

#include "strv.h"
#include "tlob-action.h"

typedef struct TlobBudgetEntry {
	char *probe;		/* canonical probe specification */
	uint64_t budget_ns;
	char *file;		/* the drop-in it was read from */
	unsigned line;		/* line of the TlobBudget= assignment */
	bool cause;		/* TlobCause= of its file */
	TlobActions actions;	/* TlobAction= of the same file */
} TlobBudgetEntry;

typedef struct TlobBudgetList {
	TlobBudgetEntry *entries;
	size_t n;
	unsigned n_invalid;	/* assignments skipped as invalid */
} TlobBudgetList;

void tlob_budget_list_done(TlobBudgetList *l);

/*
 * Called for each line that is ignored: @error is the parser's negative
 * errno (-EBADMSG bad probe, -EINVAL bad time span, boolean or syntax, -ERANGE
 * budget out of range, -ENOENT unknown key in [X-Tlob], -E2BIG line too
 * long), @what a short English description.
 */
typedef void (*tlob_dropin_warn_t)(const char *file, unsigned line, int error,
				   const char *what, void *userdata);

/* Longest logical line (continuations joined) accepted. */
#define TLOB_DROPIN_LINE_MAX (64 * 1024)

/*
 * Parse one drop-in from @f (named @fname in entries and warnings),
 * appending to or (empty assignment) clearing @list. Returns 0, or
 * -ENOMEM / -EIO; bad lines are skipped, counted and reported to @warn.
 */
int tlob_dropin_parse(FILE *f, const char *fname, TlobBudgetList *list,
		      tlob_dropin_warn_t warn, void *userdata);

/* systemd's system unit search path, highest precedence first, NULL-ended. */
extern const char *const tlob_unit_search_path[];

/*
 * Names of the drop-in directories of @unit, highest precedence first:
 * "UNIT.d", then "TEMPLATE@.TYPE.d" for an instance, then
 * "PREFIX-.TYPE.d" from the longest prefix to the shortest, then "TYPE.d".
 * NULL-terminated array in *ret, free with tlob_strv_free().
 */
int tlob_dropin_dirnames(const char *unit, char ***ret);

/*
 * The drop-in files of @unit under @root (NULL or "" for "/") and the
 * directories of @search_path, in the order they are applied. Masked
 * names are left out. -ENOMEM, or -EINVAL for an invalid unit name.
 */
int tlob_dropin_find(const char *root, const char *const *search_path,
		     const char *unit, char ***ret);

/* tlob_dropin_find() + tlob_dropin_parse() of each file into a new list. */
int tlob_dropin_load(const char *root, const char *const *search_path,
		     const char *unit, TlobBudgetList *ret,
		     tlob_dropin_warn_t warn, void *userdata);

/*
 * Concrete unit names (no templates, prefixes or types) that have a
 * "UNIT.d" directory in some directory of @search_path, sorted, unique.
 */
int tlob_dropin_units(const char *root, const char *const *search_path,
		      char ***ret);

/*
 * Drop-in directories that apply to several units: templates
 * ("foo@.service"), prefixes ("a-.service") and unit types ("service"),
 * each as the directory name without ".d", if one of its *.conf sets a
 * TlobBudget=; sorted, unique. Which units they concern only systemd knows (its loaded units).
 */
int tlob_dropin_patterns(const char *root, const char *const *search_path,
			 char ***ret);

/* Does the drop-in directory name @pattern (as above) apply to @unit? */
bool tlob_dropin_pattern_matches(const char *pattern, const char *unit);

/* @pattern as a glob for systemd's ListUnitsByPatterns: "foo@*.service". */
char *tlob_dropin_pattern_glob(const char *pattern);

#endif /* TLOB_DROPIN_H */
