/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd's file descriptor store: tlob-manager keeps /dev/rv (FDNAME=rv)
 * and its state memfd (FDNAME=state, state.h) there, so that a restart or
 * a crash of the service loses neither the kernel's bindings, with their
 * statistics and the windows they have open, nor the records queued
 * meanwhile, nor the counters. systemd keeps the store while the unit is
 * restarted (a restart job, or Restart= after a crash) and empties it when
 * the unit stops for good.
 */
#ifndef TLOB_FDSTORE_H
#define TLOB_FDSTORE_H

typedef struct Manager Manager;

/*
 * The fds systemd passed (LISTEN_FDS with LISTEN_FDNAMES): "rv" and
 * "state" to *@ret_rv and *@ret_state (-EBADF when not passed); any other
 * is closed.
 */
void fdstore_take(int *ret_rv, int *ret_state);
/* Have systemd keep @fd under @name; 0 also without a store. */
int fdstore_keep(int fd, const char *name);

/*
 * At the first load, with /dev/rv from the store: the bindings it has are
 * matched to the budgets by cookie. A budget takes the one that measures
 * what it would (budget_adopt()); a second one of the same budget is
 * retired (its statistics kept), one of no budget removed. What a killed
 * predecessor left half done in the state is finished first.
 */
int manager_adopt_bindings(Manager *m);

#endif /* TLOB_FDSTORE_H */
