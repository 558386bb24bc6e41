// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Snapshots of the "tlob" tracefs instance (snapshot.h). tracefs is
 * reached through Manager.tracefs: /sys/kernel/tracing, or where the
 * unit binds it writable (ProtectKernelTunables= makes /sys read-only).
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "manager.h"
#include "snapshot.h"

static const char *const sched_events[] = {
	"sched/sched_switch", "sched/sched_wakeup", "sched/sched_migrate_task",
};

/* Write @value to the file @rel of the instance. */
static int instance_write(Manager *m, const char *rel, const char *value)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t n = strlen(value);

	if (asprintf(&p, "%s/instances/tlob/%s", m->tracefs, rel) < 0)
		return -ENOMEM;
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (write(fd, value, n) != (ssize_t)n)
		return negative_errno();
	return 0;
}

unsigned int snapshot_buffer_kb(unsigned int ncpus)
{
	unsigned int kb = SNAPSHOT_SIZE_MAX / 1024 / SNAPSHOT_TEXT_RATIO /
			  MAX(ncpus, 1U);

	return MIN(MAX(kb, SNAPSHOT_BUFFER_KB_MIN), SNAPSHOT_BUFFER_KB_MAX);
}

static bool snapshot_wanted(Manager *m)
{
	for (size_t i = 0; i < m->n_budgets; i++)
		if (m->budgets[i]->actions.mask & TLOB_ACTION_SNAPSHOT)
			return true;
	return false;
}

static int events_set(Manager *m, bool on)
{
	_cleanup_free_ char *dir = NULL;
	char buf[16];
	int r;

	if (on) {
		/* The module made it; the BPF backend has none of its own. */
		if (asprintf(&dir, "%s/instances/tlob", m->tracefs) < 0)
			return -ENOMEM;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		/*
		 * The CPUs present; the size is per CPU, so one that comes
		 * online later adds its share beyond the cap's arithmetic.
		 */
		snprintf(buf, sizeof(buf), "%u",
			 snapshot_buffer_kb((unsigned int)MAX(sysconf(_SC_NPROCESSORS_CONF), 1L)));
		r = instance_write(m, "buffer_size_kb", buf);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(sched_events); i++) {
		_cleanup_free_ char *rel = NULL;

		if (asprintf(&rel, "events/%s/enable", sched_events[i]) < 0)
			return -ENOMEM;
		r = instance_write(m, rel, on ? "1" : "0");
		if (r < 0)
			return r;
	}
	return on ? instance_write(m, "tracing_on", "1") : 0;
}

void snapshot_sync(Manager *m)
{
	bool want = snapshot_wanted(m);
	int r;

	if (want == m->snapshot_events)
		return;
	r = events_set(m, want);
	if (r < 0) {
		log_warning_errno(r, "Failed to %s the scheduler events of %s/instances/tlob, ignoring: %m",
				  want ? "enable" : "disable", m->tracefs);
		/* Off: tried again at the next change. On: all the same. */
		if (want)
			return;
	}
	m->snapshot_events = want;
	log_debug("Scheduler events of the tlob trace instance %s.",
		  want ? "enabled" : "disabled");
}

void snapshot_stop(Manager *m)
{
	if (m->snapshot_events && events_set(m, false) >= 0)
		m->snapshot_events = false;
}

static char *budget_dir(Manager *m, const char *id)
{
	char *p;

	return asprintf(&p, "%s/%s", m->snapshot_dir, id) < 0 ? NULL : p;
}

/* "N.trace" -> N. */
static bool parse_name(const char *name, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)name[0]))
		return false;
	errno = 0;
	v = strtoull(name, &end, 10);
	if (errno || !streq(end, ".trace"))
		return false;
	*ret = v;
	return true;
}

static int cmp_info(const void *a, const void *b)
{
	const SnapshotInfo *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

int snapshot_list(Manager *m, const char *id, SnapshotInfo **ret,
		  size_t *ret_n)
{
	_cleanup_free_ char *dir = budget_dir(m, id);
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_free_ SnapshotInfo *l = NULL;
	struct dirent *de;
	size_t n = 0;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		SnapshotInfo *nl;
		struct stat st;
		uint64_t index;

		if (!parse_name(de->d_name, &index) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		nl = reallocarray(l, n + 1, sizeof(*l));
		if (!nl)
			return -ENOMEM;
		l = nl;
		l[n++] = (SnapshotInfo) {
			.index = index,
			.timestamp_usec = (uint64_t)st.st_mtim.tv_sec * USEC_PER_SEC +
					  (uint64_t)st.st_mtim.tv_nsec / NSEC_PER_USEC,
			.size = (uint64_t)st.st_size,
		};
	}
	if (n > 0)
		qsort(l, n, sizeof(*l), cmp_info);
	*ret = TAKE_PTR(l);
	*ret_n = n;
	return 0;
}

int snapshot_open(Manager *m, const char *id, uint64_t index)
{
	_cleanup_free_ char *p = NULL;
	int fd;

	if (asprintf(&p, "%s/%s/%llu.trace", m->snapshot_dir, id,
		     (unsigned long long)index) < 0)
		return -ENOMEM;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

/*
 * Copy at most SNAPSHOT_SIZE_MAX bytes of @from to @to; 1 when that cut
 * it short.
 */
static int copy_capped(int from, int to)
{
	char buf[65536];
	size_t total = 0;

	while (total < SNAPSHOT_SIZE_MAX) {
		size_t want = MIN(sizeof(buf), SNAPSHOT_SIZE_MAX - total);
		ssize_t n = read(from, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if (write(to, buf, (size_t)n) != n)
			return negative_errno();
		total += (size_t)n;
	}
	if (total < SNAPSHOT_SIZE_MAX)
		return 0;
	/* One more byte? An error here: the copy may lack some, cut. */
	for (;;) {
		ssize_t n = read(from, buf, 1);

		if (n < 0 && errno == EINTR)
			continue;
		return n != 0;
	}
}

/* Keep the newest SNAPSHOT_KEEP of @id. */
static void prune(Manager *m, const char *id, const char *dir)
{
	_cleanup_free_ SnapshotInfo *l = NULL;
	size_t n = 0;

	if (snapshot_list(m, id, &l, &n) < 0)
		return;
	for (size_t i = 0; i + SNAPSHOT_KEEP < n; i++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%llu.trace", dir,
			     (unsigned long long)l[i].index) >= 0)
			(void)unlink(p);
	}
}

/* Copy the instance's trace, frozen, to @path. */
static int save_trace(Manager *m, const char *path)
{
	_cleanup_free_ char *src = NULL, *tmp = NULL;
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	int r, k;

	if (asprintf(&src, "%s/instances/tlob/trace", m->tracefs) < 0 ||
	    asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	/* Frozen while it is read: the events around the violation stay. */
	r = instance_write(m, "tracing_on", "0");
	if (r < 0)
		return r;
	in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		r = -errno;
	else {
		out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			   0600);
		r = out < 0 ? -errno : copy_capped(in, out);
	}
	k = instance_write(m, "tracing_on", "1");
	if (k < 0)
		log_warning_errno(k, "Failed to turn tracing on again in %s/instances/tlob, ignoring: %m",
				  m->tracefs);
	if (r > 0)
		log_warning("Snapshot %s cut at %u MiB: the newest events, the ones around the violation, are missing.",
			    path, SNAPSHOT_SIZE_MAX >> 20);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int snapshot_take(Manager *m, const char *id, uint64_t *ret_index)
{
	_cleanup_free_ char *dir = budget_dir(m, id), *path = NULL;
	_cleanup_free_ SnapshotInfo *l = NULL;
	uint64_t index = 1;
	size_t n = 0;
	int r;

	if (!dir)
		return -ENOMEM;
	/* Trace data shows every task of the system: root's only. */
	if (mkdir(m->snapshot_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	r = snapshot_list(m, id, &l, &n);
	if (r < 0)
		return r;
	if (n > 0)
		index = l[n - 1].index + 1;
	if (asprintf(&path, "%s/%llu.trace", dir, (unsigned long long)index) < 0)
		return -ENOMEM;
	r = save_trace(m, path);
	if (r < 0)
		return r;
	prune(m, id, dir);
	*ret_index = index;
	return r;
}
