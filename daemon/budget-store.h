/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The budget store: budgets as unit drop-ins (see budget-store.c).
 */
#ifndef TLOB_BUDGET_STORE_H
#define TLOB_BUDGET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budget.h"

/*
 * Every budget of the drop-ins of the units that have a drop-in directory
 * and of @extra_units (NULL-ended, may be NULL), in a new array.
 */
int budget_store_load(Manager *m, char **extra_units, Budget ***ret,
		      size_t *ret_n);
/*
 * Write the drop-in of budget @id as AddBudget() does, under @root ("" or
 * NULL: /): ROOT/etc/systemd/system.control/UNIT.d/50-TlobBudget-ID.conf,
 * or under ROOT/run/systemd/system.control when @runtime; directories are
 * made as needed, the file replaced atomically; "TlobCause=no" in it
 * without @cause; @actions (NULL: log only) go in a TlobAction= line when
 * not the default. Returns its path.
 */
int budget_store_write(const char *root, const char *unit, const char *id,
		       const char *probe, uint64_t budget_ns, bool runtime,
		       const char *description, bool cause,
		       const TlobActions *actions, char **ret_file);
/* Delete the drop-in of an "api" or "runtime" budget (-EPERM for others),
 * and its UNIT.d directory when that is left empty. */
int budget_store_remove(const Budget *b);
/*
 * Remove the FILE.conf.tmp files budget_store_write() leaves behind when
 * it is interrupted (a crash between write and rename), under @root.
 * Returns how many, or -ENOMEM.
 */
int budget_store_clean(const char *root);
/* A random id that none of the @n budgets of @l has. */
int budget_store_new_id(Budget **l, size_t n, char **ret);

#endif /* TLOB_BUDGET_STORE_H */
