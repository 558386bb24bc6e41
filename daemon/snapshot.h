/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The snapshot action: the scheduler's events around a violation, from
 * the tracefs instance "instances/tlob" (the module makes it; with the BPF
 * backend the manager does), saved as
 * STATE_DIRECTORY/snapshots/ID/N.trace (the text of the instance's
 * "trace" file, at most SNAPSHOT_SIZE_MAX bytes; the newest
 * SNAPSHOT_KEEP per budget are kept).
 *
 * sched_switch, sched_wakeup and sched_migrate_task are enabled in the
 * instance (its buffer bounded to SNAPSHOT_BUFFER_KB per CPU) while some
 * budget has the action, and disabled again when none has.
 */
#ifndef TLOB_SNAPSHOT_H
#define TLOB_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct Manager Manager;
typedef struct Budget Budget;

#define SNAPSHOT_KEEP 8
#define SNAPSHOT_SIZE_MAX (16U * 1024 * 1024)
#define SNAPSHOT_BUFFER_KB 1024
/* Least time between two snapshots of a budget. */
#define SNAPSHOT_INTERVAL_USEC (10ULL * 1000000)

typedef struct SnapshotInfo {
	uint64_t index;
	uint64_t timestamp_usec;	/* CLOCK_REALTIME, when it was saved */
	uint64_t size;
} SnapshotInfo;

/* Turn the instance's events on or off as the budgets want; logs. */
void snapshot_sync(Manager *m);
/* Turn them off (at exit), if they are on. */
void snapshot_stop(Manager *m);

/*
 * Save a snapshot for budget @id; its index in *@ret_index. Negative
 * errno (nothing kept) on failure.
 */
int snapshot_take(Manager *m, const char *id, uint64_t *ret_index);

/*
 * The snapshots of budget @id, oldest first, in a new array; -ENOENT
 * when there is no directory of them.
 */
int snapshot_list(Manager *m, const char *id, SnapshotInfo **ret,
		  size_t *ret_n);
/* A read-only fd of snapshot @index of @id; -ENOENT. */
int snapshot_open(Manager *m, const char *id, uint64_t index);

#endif /* TLOB_SNAPSHOT_H */
