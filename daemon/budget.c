// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Budgets: their life, their bindings and their statistics.
 *
 * A budget is bound once, to the cgroup path of its unit
 * (TLOB_BIND_CGROUP_PATH), whether the unit runs or not: the kernel looks
 * the path up when a task hits START, so the unit is measured from its
 * first instruction, across its starts and stops, without rebinding.
 * budget_sync() rebinds only when what the binding measures changed: the
 * unit's cgroup path (a new Slice=), its executable, or the inode behind
 * the probed file (a binary replaced by rename). The new binding is made
 * before the old one is removed, and the statistics of a binding that
 * goes away are kept ("retired", in the state that survives restarts).
 */
#include <sys/stat.h>

#include "actions.h"
#include "budget.h"
#include "bus-errors.h"
#include "elf-resolve.h"
#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager-events.h"
#include "manager.h"
#include "rcstr.h"
#include "state.h"
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
	budget_actions_free(b);
	rcstr_unref(b->unit_name);
	rcstr_unref(b->file);
	free(b->description);
	rcstr_unref(b->binary);
	rcstr_unref(b->cgroup_path);
	if (b->history)
		for (unsigned i = 0; i < b->history->n; i++)
			cause_free(b->history->v[i].cause);
	free(b->history);
	return mfree(b);
}

int budget_note_violation(Budget *b, const struct tlob_event *ev,
			  uint64_t realtime_usec, Cause *cause)
{
	BudgetViolation *v;

	if (!b->history) {
		b->history = calloc(1, sizeof(*b->history));
		if (!b->history) {
			cause_free(cause);
			return -ENOMEM;
		}
	}
	v = &b->history->v[b->history->next];
	cause_free(v->cause);
	*v = (BudgetViolation) { .ev = *ev, .realtime_usec = realtime_usec,
				 .cause = cause };
	b->history->next = (b->history->next + 1) % BUDGET_HISTORY_MAX;
	if (b->history->n < BUDGET_HISTORY_MAX)
		b->history->n++;
	return 0;
}

const BudgetViolation *budget_last_violation(const Budget *b, unsigned i)
{
	const BudgetHistory *h = b->history;

	if (!h || i >= h->n)
		return NULL;
	return &h->v[(h->next + BUDGET_HISTORY_MAX - 1 - i) % BUDGET_HISTORY_MAX];
}

uint64_t budget_cookie(const char *id, const char *unit, const char *probe,
		       uint64_t budget_ns, unsigned salt)
{
	char tail[64];
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[] = { id, "\n", strempty(unit), "\n", probe, tail };

	snprintf(tail, sizeof(tail), "\n%llu\n%u", (unsigned long long)budget_ns,
		 salt);
	/* FNV-1a, 64 bits. */
	for (size_t i = 0; i < ELEMENTSOF(parts); i++)
		for (const char *c = parts[i]; *c; c++) {
			h ^= (unsigned char)*c;
			h *= 0x100000001b3ULL;
		}
	return h ?: 1;
}

int budget_new(Manager *m, char *unit_name, const char *id, const char *probe,
	       uint64_t budget_ns, Budget **ret)
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
	b->cause = true;
	b->budget_ns = budget_ns;
	b->cookie = budget_cookie(id, unit_name, probe, budget_ns, 0);
	b->ratelimit = RATELIMIT_INIT(m->ratelimit_interval_usec,
				      m->ratelimit_burst);
	*ret = b;
	return 0;
}

void budget_actions_free(Budget *b)
{
	if (!b->act)
		return;
	free(b->act->times);
	b->act = mfree(b->act);
}

int budget_set_actions(Budget *b, const TlobActions *a)
{
	bool kernel = (a->mask & TLOB_ACTION_SIGNAL ? a->signal : 0) !=
		      (b->actions.mask & TLOB_ACTION_SIGNAL ? b->actions.signal : 0);
	uint64_t *times = NULL;

	if (tlob_actions_is_default(a)) {
		budget_actions_free(b);
		b->actions = *a;
		return kernel;
	}
	if (!b->act) {
		b->act = calloc(1, sizeof(*b->act));
		if (!b->act)
			return -ENOMEM;
	}
	/* A new N/TIME: the violations counted so far no longer apply. */
	if (a->unit_count != b->actions.unit_count ||
	    a->unit_window_usec != b->actions.unit_window_usec ||
	    !b->act->times) {
		if (a->unit_count > 0) {
			times = calloc(a->unit_count, sizeof(*times));
			if (!times)
				return -ENOMEM;
		}
		free(b->act->times);
		b->act->times = times;
		b->act->n_times = b->act->head = 0;
	}
	b->actions = *a;
	return kernel;
}

bool budget_is_active(const Budget *b)
{
	return b->binding_id != 0 && b->unit && unit_tracker_runs(b->unit);
}

void budget_get_stats(Budget *b, BudgetStats *ret)
{
	const BudgetStats *retired = b->manager->state ?
		state_retired(b->manager->state, b->cookie) : NULL;
	struct tlob_binding_stats s;
	int r;

	*ret = retired ? *retired : (BudgetStats) {};
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
			 uint64_t *ret_stop, struct stat *ret_st,
			 sd_bus_error *error)
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
	if (ret_st)
		*ret_st = st;
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
				  &stop, NULL, NULL);
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

/*
 * Remove binding @id of @b, its statistics added to those @b keeps in the
 * state, so that a SIGKILL at any point counts them once (state.h).
 */
static void retire_binding(Budget *b, uint32_t id)
{
	struct tlob_binding_stats s;
	Manager *m = b->manager;
	KernelLink *k = m->kernel;
	bool pending = false;
	int r;

	if (!k)
		return;
	/*
	 * Records queued before the unbinding (a last violation) are its
	 * own: take them while the binding id still says whose they are.
	 */
	(void)manager_drain(m);
	r = kernel_link_stats(k, id, &s);
	if (r >= 0 && m->state) {
		r = state_retire_begin(m->state, b->cookie, id, &s);
		if (r < 0)
			log_warning_errno(r, "No room to keep the statistics of binding %u of budget %s, ignoring: %m",
					  id, b->id);
		pending = r >= 0;
	}
	r = kernel_link_unbind(k, id);
	if (r < 0 && r != -ENOENT)
		log_warning_errno(r, "Failed to remove binding %u of budget %s, ignoring: %m",
				  id, b->id);
	if (pending)
		state_retire_end(m->state);
	/* Records still queued for it are attributed by its cookie. */
	manager_binding_retired(m, id, b->cookie);
}

void budget_retire(Budget *b, uint32_t id)
{
	if (id && id != b->binding_id)
		retire_binding(b, id);
}

static void clear_binding(Budget *b)
{
	b->binding_id = 0;
	b->binary = rcstr_unref(b->binary);
	b->cgroup_path = rcstr_unref(b->cgroup_path);
	b->dev = b->ino = 0;
	b->bound_signal = 0;
}

void budget_unbind(Budget *b)
{
	if (!b->binding_id)
		return;
	retire_binding(b, b->binding_id);
	log_debug("Budget %s (%s %s) unbound.", b->id, b->unit_name,
		  b->probe_text);
	clear_binding(b);
}

void budget_forget(Budget *b)
{
	budget_unbind(b);
	if (b->manager->state)
		state_retired_drop(b->manager->state, b->cookie);
}

int budget_adopt(Budget *b, uint32_t id, const struct tlob_binding_info *info,
		 const char *cgroup_path)
{
	uint32_t flags = TLOB_BIND_CGROUP_PATH |
			 (b->has_stop ? 0 : TLOB_BIND_STOP_ON_RETURN) |
			 (b->cause ? TLOB_BIND_CAUSE : 0);

	/* Made with another TlobCause= (a predecessor's): made again. */
	if (b->binding_id || info->cookie != b->cookie ||
	    info->threshold_ns != b->budget_ns || info->flags != flags ||
	    !cgroup_path)
		return -ESTALE;
	b->cgroup_path = rcstr_new(cgroup_path);
	if (!b->cgroup_path)
		return -ENOMEM;
	b->binding_id = id;
	b->start_offset = info->start_offset;
	b->stop_offset = info->stop_offset;
	b->stop_on_return = !b->has_stop;
	b->bound_cause = b->cause;
	b->dev = info->dev;
	b->ino = info->ino;
	/* Another signal than @b's actions say: bound again at the sync. */
	b->bound_signal = info->signal;
	/* The file is checked (budget_bind()) once the unit is known. */
	log_debug("Budget %s (%s %s) adopted binding %u.", b->id, b->unit_name,
		  b->probe_text, id);
	return 0;
}

/* Does the binding of @b measure this already? */
static bool binding_is(const Budget *b, const struct stat *st, uint64_t start,
		       uint64_t stop, const char *cgroup_path)
{
	return b->binding_id && b->bound_cause == b->cause &&
	       b->dev == (uint64_t)st->st_dev &&
	       b->ino == (uint64_t)st->st_ino && b->start_offset == start &&
	       b->stop_offset == stop && streq_ptr(b->cgroup_path, cgroup_path);
}

/* The signal @b's binding sends at expiry, 0: none. */
static uint32_t budget_signal(const Budget *b)
{
	return b->actions.mask & TLOB_ACTION_SIGNAL ? b->actions.signal : 0;
}

/* Why binding @b with its signal failed with @r, if the signal is why. */
static int signal_bind_error(const Budget *b, int r, sd_bus_error *error)
{
	if (!budget_signal(b))
		return r;
	if (b->manager->backend == KERNEL_BACKEND_BPF &&
	    IN_SET(r, -EINVAL, -EOPNOTSUPP))
		return sd_bus_error_set(error, TLOB_ERROR_INVALID_ACTION,
					"The BPF backend cannot send signals (signal= action); use the tlob module.");
	if (r == -EPERM)
		return sd_bus_error_set(error, TLOB_ERROR_INVALID_ACTION,
					"The kernel refused the signal= action: tlob-manager lacks CAP_KILL.");
	return r;
}

int budget_bind(Budget *b, sd_bus_error *error)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	_cleanup_close_ int fd = -EBADF;
	struct tlob_bind_args args = {};
	const char *binary = budget_binary(b);
	char *copy, *cgroup_path;
	uint64_t start, stop;
	uint32_t id, old;
	struct stat st;
	int r;

	if (!b->manager->kernel)
		return sd_bus_error_set_errnof(error, -b->manager->kernel_error,
					       "Kernel link unavailable: %m");
	if (!b->unit || !b->unit->cgroup_path)
		return sd_bus_error_set(error, TLOB_ERROR_NO_SUCH_UNIT,
					"Where the unit runs is not known.");
	r = tlob_probe_parse(b->probe_text, &p);
	if (r < 0)
		return r;	/* it was parsed before: only ENOMEM */
	fd = budget_resolve_probe(b->manager->elf_cache, &p, binary, &start,
				  &stop, &st, error);
	if (fd < 0)
		return fd;
	if (!b->has_stop)
		stop = 0;

	if (binding_is(b, &st, start, stop, b->unit->cgroup_path) &&
	    b->bound_signal != budget_signal(b)) {
		/*
		 * Only the signal changed: the kernel takes no second binding
		 * of the same file, offset and cgroup, so this one goes first.
		 */
		retire_binding(b, b->binding_id);
		clear_binding(b);
	}
	if (binding_is(b, &st, start, stop, b->unit->cgroup_path)) {
		/* Adopted, or the same file under another name. */
		if (!streq_ptr(b->binary, binary)) {
			copy = budget_binary_ref(b);
			if (!copy)
				return -ENOMEM;
			rcstr_unref(b->binary);
			b->binary = copy;
		}
		b->bind_error = 0;
		return 0;
	}

	args.flags = TLOB_BIND_CGROUP_PATH |
		     (b->has_stop ? 0 : TLOB_BIND_STOP_ON_RETURN) |
		     (b->cause ? TLOB_BIND_CAUSE : 0);
	args.start_offset = start;
	args.stop_offset = stop;
	args.threshold_ns = b->budget_ns;
	args.cgroup_id = (uint64_t)(uintptr_t)b->unit->cgroup_path;
	args.cookie = b->cookie;
	args.signal = budget_signal(b);
	copy = budget_binary_ref(b);
	cgroup_path = rcstr_ref(b->unit->cgroup_path);
	if (!copy) {
		rcstr_unref(cgroup_path);
		return -ENOMEM;
	}
	/* The new binding first: no window is missed in between. */
	r = kernel_link_bind(b->manager->kernel, fd, &args, &id);
	if (r < 0) {
		rcstr_unref(copy);
		rcstr_unref(cgroup_path);
		return signal_bind_error(b, r, error);
	}
	old = b->binding_id;
	if (old)
		retire_binding(b, old);
	clear_binding(b);
	b->binary = copy;
	b->cgroup_path = cgroup_path;
	b->start_offset = start;
	b->stop_offset = stop;
	b->stop_on_return = !b->has_stop;
	b->bound_cause = b->cause;
	b->dev = (uint64_t)st.st_dev;
	b->ino = (uint64_t)st.st_ino;
	b->binding_id = id;
	b->bound_signal = args.signal;
	b->bind_error = 0;
	log_debug("Budget %s (%s %s) bound as %u (replacing %u): %s 0x%llx..0x%llx cgroup %s.",
		  b->id, b->unit_name, b->probe_text, id, old, binary,
		  (unsigned long long)start, (unsigned long long)stop,
		  cgroup_path);
	return 0;
}

void budget_sync(Budget *b)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	Unit *u = b->unit;
	int r;

	if (!b->manager->kernel)
		return;
	/* A unit that is gone (not found at a reload) is not measured. */
	if (!u || !u->found || !budget_binary(b)) {
		budget_unbind(b);
		return;
	}
	r = budget_bind(b, &e);
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
