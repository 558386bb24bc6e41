// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Budgets: their life, their bindings and their statistics.
 *
 * A budget is bound while its unit runs in a control group: the binding
 * carries that cgroup's id so only the unit's tasks open windows. When the
 * unit tracker reports a change (start, restart, stop), budget_sync()
 * rebinds or unbinds; the statistics of a binding that goes away are kept
 * ("retired") so counters survive restarts.
 */
#include <sys/stat.h>

#include "budget.h"
#include "bus-errors.h"
#include "elf-resolve.h"
#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "rcstr.h"
#include "unit-tracker.h"

static const char *const budget_source_table[] = {
	[BUDGET_SOURCE_DROPIN] = "dropin",
	[BUDGET_SOURCE_API] = "api",
	[BUDGET_SOURCE_RUNTIME] = "runtime",
};

const char *budget_source_to_string(BudgetSource s)
{
	return s < ELEMENTSOF(budget_source_table) ? budget_source_table[s] : NULL;
}

Budget *budget_free(Budget *b)
{
	if (!b)
		return NULL;
	sd_event_source_disable_unref(b->ratelimit_source);
	rcstr_unref(b->unit_name);
	rcstr_unref(b->file);
	free(b->description);
	rcstr_unref(b->binary);
	free(b->retired);
	return mfree(b);
}

int budget_new(Manager *m, char *unit_name, const char *id, const char *probe,
	       Budget **ret)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	size_t id_len = strlen(id) + 1, probe_len = strlen(probe) + 1;
	size_t path_len;
	Budget *b;
	char *t;
	int r;

	r = tlob_probe_parse(probe, &p);
	if (r < 0)
		return r;
	path_len = p.path ? strlen(p.path) + 1 : 0;
	b = calloc(1, sizeof(*b) + id_len + probe_len + path_len);
	if (!b)
		return -ENOMEM;
	b->manager = m;
	b->unit_name = rcstr_ref(unit_name);
	t = b->text;
	b->id = memcpy(t, id, id_len);
	t += id_len;
	b->probe_text = memcpy(t, probe, probe_len);
	t += probe_len;
	if (p.path)
		b->probe_path = memcpy(t, p.path, path_len);
	b->has_stop = p.has_stop;
	b->ratelimit = RATELIMIT_INIT(m->ratelimit_interval_usec,
				      m->ratelimit_burst);
	*ret = b;
	return 0;
}

bool budget_is_active(const Budget *b)
{
	return b->binding_id != 0;
}

void budget_get_stats(Budget *b, BudgetStats *ret)
{
	struct tlob_binding_stats s;
	int r;

	*ret = b->retired ? *b->retired : (BudgetStats) {};
	if (!b->binding_id || !b->manager->kernel)
		return;
	r = kernel_link_stats(b->manager->kernel, b->binding_id, &s);
	if (r < 0) {
		log_debug_errno(r, "Failed to get statistics of binding %u, ignoring: %m",
				b->binding_id);
		return;
	}
	budget_stats_add(ret, &s);
}

/* The ELF file the probe is in: its own PATH or the unit's executable. */
static const char *budget_binary(const Budget *b)
{
	if (b->probe_path)
		return b->probe_path;
	return b->unit ? b->unit->exec_path : NULL;
}

int budget_resolve_probe(TlobElfCache *cache, const TlobProbe *probe,
			 const char *binary, uint64_t *ret_start,
			 uint64_t *ret_stop, sd_bus_error *error)
{
	_cleanup_close_ int fd = -EBADF;
	const TlobProbePoint *pt = &probe->start;
	uint64_t start = 0, stop = 0;
	struct stat st;
	int r;

	if (!binary)
		return sd_bus_error_set(error, TLOB_ERROR_INVALID_PROBE,
					"The unit has no main executable (no ExecStart=); give the probe a PATH.");
	/* Never blocks: a FIFO or a device is refused before it is opened. */
	fd = tlob_elf_open(binary, &st);
	if (fd == -EBADFD)
		return sd_bus_error_setf(error, TLOB_ERROR_INVALID_PROBE,
					 "%s is %s, not an executable or library.",
					 binary, tlob_file_type_name(st.st_mode));
	if (fd < 0) {
		r = fd;
		if (IN_SET(r, -ENOENT, -ENOTDIR, -EACCES, -ELOOP, -ENAMETOOLONG))
			return sd_bus_error_setf(error, TLOB_ERROR_NO_SUCH_FILE,
						 "Cannot open %s: %s", binary,
						 strerror(-r));
		return sd_bus_error_set_errnof(error, -r, "Cannot open %s: %m",
					       binary);
	}
	/* An unchanged file is not parsed again. */
	r = tlob_elf_cache_resolve(cache, fd, &st, pt, &start);
	if (r >= 0 && probe->has_stop) {
		pt = &probe->stop;
		r = tlob_elf_cache_resolve(cache, fd, &st, pt, &stop);
	}
	switch (r) {
	case 0:
		break;
	case -ENXIO:
		return sd_bus_error_setf(error, TLOB_ERROR_NO_SUCH_SYMBOL,
					 "No function %s in %s.", pt->symbol,
					 binary);
	case -ENOEXEC:
		return sd_bus_error_setf(error, TLOB_ERROR_INVALID_PROBE,
					 "%s is not an ELF executable or library.",
					 binary);
	case -ERANGE:
		return sd_bus_error_setf(error, TLOB_ERROR_INVALID_PROBE,
					 "Offset 0x%llx is outside %s in %s.",
					 (unsigned long long)pt->offset,
					 pt->symbol ?: "the executable code",
					 binary);
	default:
		return sd_bus_error_set_errnof(error, -r,
					       "Failed to read %s: %m", binary);
	}
	if (probe->has_stop && stop == start)
		return sd_bus_error_setf(error, TLOB_ERROR_INVALID_PROBE,
					 "START and STOP are the same point of %s.",
					 binary);
	*ret_start = start;
	*ret_stop = stop;
	return TAKE_FD(fd);
}

/* The ELF path of @b as an rcstr: shared with its unit when it is the
 * unit's executable. */
static char *budget_binary_ref(const Budget *b)
{
	if (b->probe_path)
		return rcstr_new(b->probe_path);
	return rcstr_ref(b->unit ? b->unit->exec_path : NULL);
}

void budget_refresh_offsets(Budget *b)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	_cleanup_close_ int fd = -EBADF;
	const char *binary = budget_binary(b);
	uint64_t start, stop;
	char *copy;

	/* A bound budget shows what the kernel has. */
	if (b->binding_id || !binary)
		return;
	if (tlob_probe_parse(b->probe_text, &p) < 0)
		return;
	fd = budget_resolve_probe(b->manager->elf_cache, &p, binary, &start,
				  &stop, NULL);
	if (fd < 0)
		return;
	copy = budget_binary_ref(b);
	if (!copy)
		return;
	rcstr_unref(b->binary);
	b->binary = copy;
	b->start_offset = start;
	b->stop_offset = b->has_stop ? stop : 0;
	b->stop_on_return = !b->has_stop;
}

void budget_unbind(Budget *b)
{
	struct tlob_binding_stats s;
	KernelLink *k = b->manager->kernel;
	int r;

	if (!b->binding_id)
		return;
	if (k) {
		/*
		 * Records queued before the unbinding (a unit's last
		 * violation before it stopped) are its own: take them
		 * while the binding id still says whose they are.
		 */
		(void)kernel_link_drain(k);
		/* Keep what the binding measured. */
		if (!b->retired)
			b->retired = calloc(1, sizeof(*b->retired));
		if (!b->retired)
			log_oom();
		else if (kernel_link_stats(k, b->binding_id, &s) >= 0)
			budget_stats_add(b->retired, &s);
		r = kernel_link_unbind(k, b->binding_id);
		if (r < 0 && r != -ENOENT)
			log_warning_errno(r, "Failed to remove binding %u of budget %s, ignoring: %m",
					  b->binding_id, b->id);
	}
	log_debug("Budget %s (%s %s) unbound.", b->id, b->unit_name,
		  b->probe_text);
	b->binding_id = 0;
	b->cgroup_id = 0;
}

int budget_bind(Budget *b, uint64_t cgroup_id, sd_bus_error *error)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	_cleanup_close_ int fd = -EBADF;
	struct tlob_bind_args args = {};
	const char *binary = budget_binary(b);
	uint64_t start, stop;
	char *copy;
	uint32_t id;
	int r;

	if (!b->manager->kernel)
		return sd_bus_error_set_errnof(error, -b->manager->kernel_error,
					       "Kernel link unavailable: %m");
	r = tlob_probe_parse(b->probe_text, &p);
	if (r < 0)
		return r;	/* it was parsed before: only ENOMEM */
	fd = budget_resolve_probe(b->manager->elf_cache, &p, binary, &start,
				  &stop, error);
	if (fd < 0)
		return fd;

	args.flags = b->has_stop ? 0 : TLOB_BIND_STOP_ON_RETURN;
	args.start_offset = start;
	args.stop_offset = b->has_stop ? stop : 0;
	args.threshold_ns = b->budget_ns;
	args.cgroup_id = cgroup_id;
	args.cookie = (uint64_t)strtoull(b->id, NULL, 16);
	r = kernel_link_bind(b->manager->kernel, fd, &args, &id);
	if (r < 0)
		return r;

	copy = budget_binary_ref(b);
	if (!copy) {
		(void)kernel_link_unbind(b->manager->kernel, id);
		return -ENOMEM;
	}
	rcstr_unref(b->binary);
	b->binary = copy;
	b->start_offset = start;
	b->stop_offset = args.stop_offset;
	b->stop_on_return = !b->has_stop;
	b->binding_id = id;
	b->cgroup_id = cgroup_id;
	b->bind_error = 0;
	log_debug("Budget %s (%s %s) bound as %u: %s 0x%llx..0x%llx cgroup %llu.",
		  b->id, b->unit_name, b->probe_text, id, binary,
		  (unsigned long long)start, (unsigned long long)args.stop_offset,
		  (unsigned long long)cgroup_id);
	return 0;
}

void budget_sync(Budget *b)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	Unit *u = b->unit;
	bool want = u && u->active && u->cgroup_id != 0 && b->manager->kernel;
	int r;

	if (b->binding_id && (!want || b->cgroup_id != u->cgroup_id ||
			      !streq_ptr(b->binary, budget_binary(b))))
		budget_unbind(b);
	if (!want || b->binding_id)
		return;

	r = budget_bind(b, u->cgroup_id, &e);
	if (r < 0) {
		/* Log a failure once, not on every restart of the unit. */
		if (r != b->bind_error)
			log_warning_errno(r, "Failed to bind budget %s (%s %s): %s",
					  b->id, b->unit_name, b->probe_text,
					  sd_bus_error_is_set(&e) ? e.message :
					  strerror(-r));
		b->bind_error = r;
	}
}

int budget_bind_error(int r, sd_bus_error *error)
{
	if (sd_bus_error_is_set(error))
		return r;
	switch (r) {
	case -EEXIST:
		return sd_bus_error_set(error, TLOB_ERROR_EXISTS,
					"The kernel already has a binding of this file, offset and cgroup.");
	case -ENOSPC:
		return sd_bus_error_set(error, TLOB_ERROR_TOO_MANY,
					"The kernel has no room for another binding.");
	case -ENOENT:
		return sd_bus_error_set(error, TLOB_ERROR_NO_SUCH_UNIT,
					"The unit's control group is gone.");
	default:
		return sd_bus_error_set_errnof(error, -r,
					       "Failed to bind the probe: %m");
	}
}
