/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's records: read in batches into the state's inbox, each
 * attributed to its budget by binding id and cookie, counted, and turned
 * into Violation signals and journal entries (see manager-events.c).
 */
#ifndef TLOB_MANAGER_EVENTS_H
#define TLOB_MANAGER_EVENTS_H

#include <stdint.h>

typedef struct Manager Manager;
typedef struct UserLimit UserLimit;

/*
 * Start handling records, once the budgets are loaded and the bindings a
 * predecessor left adopted: the batch it was killed in the middle of
 * first, then whatever the kernel queued meanwhile.
 */
int manager_events_start(Manager *m);
/* /dev/rv has records: handle a bounded number of batches. */
void manager_kernel_readable(Manager *m);
/*
 * Handle every record queued now (those of a binding about to be
 * removed, while its id still says whose they are). 0, or the negative
 * errno that broke the link.
 */
int manager_drain(Manager *m);
/* Binding @id of the budget with @cookie is being removed. */
void manager_binding_retired(Manager *m, uint32_t id, uint64_t cookie);
/*
 * Reading records failed (@r): the link is broken. Log it, take /dev/rv
 * out of the fd store and end the event loop with the error, so that the
 * service fails and Restart= brings it back with a fresh link, rather
 * than going on without records.
 */
void manager_kernel_failed(Manager *m, int r);
void manager_events_free(Manager *m);

#endif /* TLOB_MANAGER_EVENTS_H */
