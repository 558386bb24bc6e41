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
 * instance while some budget has the action, and disabled again when none
 * has. Its buffer is sized so that its text fits in a snapshot: a cut
 * snapshot would lose the newest events, the ones around the violation
 * (snapshot_buffer_kb()).
 */
#ifndef TLOB_SNAPSHOT_H
#define TLOB_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct Manager Manager;
typedef struct Budget Budget;

#define SNAPSHOT_KEEP 8
#define SNAPSHOT_SIZE_MAX (16U * 1024 * 1024)
/* The instance's buffer per CPU, at most and at least. */
#define SNAPSHOT_BUFFER_KB_MAX 1024U
#define SNAPSHOT_BUFFER_KB_MIN 4U
/*
 * Bytes of text ("trace") per byte of ring buffer, rounded up: a
 * sched_switch line is about 2.5 times its binary event.
 */
#define SNAPSHOT_TEXT_RATIO 4U
/* Least time between two snapshots of a budget. */
#define SNAPSHOT_INTERVAL_USEC (10ULL * 1000000)

typedef struct SnapshotInfo {
	uint64_t index;
	uint64_t timestamp_usec;	/* CLOCK_REALTIME, when it was saved */
	uint64_t size;
} SnapshotInfo;

/*
 * The instance's buffer per CPU for @ncpus CPUs: all of it, as text, in
 * SNAPSHOT_SIZE_MAX; within [SNAPSHOT_BUFFER_KB_MIN, _MAX].
 */
unsigned int snapshot_buffer_kb(unsigned int ncpus);

/* Turn the instance's events on or off as the budgets want; logs. */
void snapshot_sync(Manager *m);
/* Turn them off (at exit), if they are on. */
void snapshot_stop(Manager *m);

/*
 * Save a snapshot for budget @id; its index in *@ret_index. 0, or 1 when
 * it was cut at SNAPSHOT_SIZE_MAX (kept, logged); negative errno
 * (nothing kept) on failure.
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
