// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Manager: the list of budgets (loaded from the store, added and
 * removed over D-Bus), their units, and the kernel's events. How a budget
 * is bound is budget.c's business; this file decides when.
 */
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <time.h>

#include "budget-store.h"
#include "bus-errors.h"
#include "dropin.h"
#include "journal.h"
#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager-bus.h"
#include "manager.h"
#include "rcstr.h"
#include "strv.h"

int manager_new(Manager **ret)
{
	_cleanup_(manager_freep) Manager *m = NULL;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ratelimit_interval_usec = 10 * USEC_PER_SEC;
	m->ratelimit_burst = 10;
	m->self_ratelimit = RATELIMIT_INIT(m->ratelimit_interval_usec,
					   m->ratelimit_burst);
	m->kernel_error = -ENODEV;
	m->rv_path = "/dev/rv";
	m->root = strdup("");
	m->cgroup_root = strdup("/sys/fs/cgroup");
	m->elf_cache = tlob_elf_cache_new(MANAGER_ELF_CACHE_MAX);
	if (!m->root || !m->cgroup_root || !m->elf_cache)
		return -ENOMEM;

	r = sd_event_default(&m->event);
	if (r < 0)
		return r;
	/* Pings systemd by itself when the unit sets WatchdogSec=. */
	r = sd_event_set_watchdog(m->event, true);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m);
	return 0;
}

static void budget_detach(Manager *m, Budget *b);

Manager *manager_free(Manager *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n_budgets; i++) {
		budget_detach(m, m->budgets[i]);
		budget_free(m->budgets[i]);
	}
	free(m->budgets);
	unit_tracker_free_all(m);
	manager_polkit_free_all(m);
	for (size_t i = 0; i < ELEMENTSOF(m->match_slots); i++)
		sd_bus_slot_unref(m->match_slots[i]);
	sd_bus_slot_unref(m->daemon_reload_slot);
	sd_event_source_disable_unref(m->self_ratelimit_source);
	kernel_link_free(m->kernel);
	sd_bus_flush_close_unref(m->bus);
	sd_event_unref(m->event);
	tlob_elf_cache_free(m->elf_cache);
	free(m->root);
	free(m->cgroup_root);
	tlob_strv_free(m->patterns);
	return mfree(m);
}

Budget *manager_find_budget(Manager *m, const char *id)
{
	for (size_t i = 0; i < m->n_budgets; i++)
		if (streq(m->budgets[i]->id, id))
			return m->budgets[i];
	return NULL;
}

Budget *manager_find_budget_by_probe(Manager *m, const char *unit,
				     const char *probe)
{
	for (size_t i = 0; i < m->n_budgets; i++)
		if (streq(m->budgets[i]->unit_name, unit) &&
		    streq(m->budgets[i]->probe_text, probe))
			return m->budgets[i];
	return NULL;
}

static Budget *find_budget_by_binding(Manager *m, uint32_t id)
{
	if (id == 0)
		return NULL;
	for (size_t i = 0; i < m->n_budgets; i++)
		if (m->budgets[i]->binding_id == id)
			return m->budgets[i];
	return NULL;
}

void manager_unit_changed(Manager *m, Unit *u)
{
	unsigned n = 0;

	for (size_t i = 0; i < m->n_budgets; i++)
		if (m->budgets[i]->unit == u) {
			budget_sync(m->budgets[i]);
			n++;
		}
	/*
	 * Resolving probes (libelf) churns the heap between the long-lived
	 * allocations of the bindings: give the free pages back after a
	 * unit with many budgets (re)started.
	 */
	if (n >= 16)
		(void)malloc_trim(0);
}

/* Give @b its Unit, tracking the unit if it is new. */
static int budget_attach(Manager *m, Budget *b)
{
	Unit *u = unit_tracker_get(m, b->unit_name);

	if (!u)
		return -ENOMEM;
	b->unit = u;
	u->n_budgets++;
	return 0;
}

static void budget_detach(Manager *m, Budget *b)
{
	Unit *u = b->unit;

	budget_unbind(b);
	if (!u)
		return;
	b->unit = NULL;
	u->n_budgets--;
	unit_tracker_unref(m, u);
}

static int manager_append_budget(Manager *m, Budget *b)
{
	Budget **l;

	/* Grow by halves, not one by one: a reload appends hundreds. */
	if (m->n_budgets >= m->n_budgets_allocated) {
		size_t n = MAX(m->n_budgets + m->n_budgets / 2, (size_t)16);

		l = reallocarray(m->budgets, n, sizeof(*l));
		if (!l)
			return -ENOMEM;
		m->budgets = l;
		m->n_budgets_allocated = n;
	}
	m->budgets[m->n_budgets++] = b;
	return 0;
}

static void manager_drop_budget(Manager *m, Budget *b)
{
	for (size_t i = 0; i < m->n_budgets; i++)
		if (m->budgets[i] == b) {
			memmove(m->budgets + i, m->budgets + i + 1,
				(m->n_budgets - i - 1) * sizeof(*m->budgets));
			m->n_budgets--;
			break;
		}
	budget_detach(m, b);
	budget_free(b);
}

static bool budget_same(const Budget *a, const Budget *b)
{
	return streq(a->unit_name, b->unit_name) &&
	       streq(a->probe_text, b->probe_text) &&
	       a->budget_ns == b->budget_ns && a->source == b->source;
}

static void try_open_kernel(Manager *m)
{
	int r;

	if (m->kernel)
		return;
	r = kernel_link_new(m, &m->kernel);
	if (r < 0) {
		if (r != m->kernel_error)
			log_warning_errno(r, "Failed to open %s, budgets will not be measured: %m",
					  m->rv_path);
		m->kernel_error = r;
		m->kernel = NULL;
		return;
	}
	m->kernel_error = 0;
	log_debug("Kernel link open on %s.", m->rv_path);
	/* The module may have come late: bind what runs already. */
	for (size_t i = 0; i < m->n_units; i++)
		(void)unit_tracker_refresh(m->units[i]);
}

/*
 * Units to look at besides those with their own drop-in directory: the
 * ones we track already, and the loaded ones that drop-ins of templates,
 * prefixes or types apply to.
 */
static int units_to_load(Manager *m, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL, **patterns = NULL;
	int r;

	r = tlob_dropin_patterns(m->root, tlob_unit_search_path, &patterns);
	if (r < 0)
		return r;
	if (patterns[0]) {
		r = unit_tracker_list_matching(m, patterns, &l);
		if (r < 0)
			log_warning_errno(r, "Failed to list the units of template drop-ins, ignoring: %m");
	}
	for (size_t i = 0; i < m->n_units; i++) {
		r = tlob_strv_extend(&l, m->units[i]->name);
		if (r < 0)
			return r;
	}
	tlob_strv_free(m->patterns);
	m->patterns = TAKE_PTR(patterns);
	*ret = TAKE_PTR(l);
	return 0;
}

bool manager_unit_wanted(Manager *m, const char *unit)
{
	for (char **p = m->patterns; p && *p; p++)
		if (tlob_dropin_pattern_matches(*p, unit))
			return true;
	return false;
}

int manager_reload(Manager *m)
{
	_cleanup_strv_free_ char **extra = NULL;
	Budget **fresh = NULL;
	size_t n_fresh = 0, before = m->n_budgets;
	int r;

	try_open_kernel(m);
	/* Files may have changed without changing their stat: read anew. */
	tlob_elf_cache_clear(m->elf_cache);
	r = units_to_load(m, &extra);
	if (r < 0)
		return r;
	r = budget_store_load(m, extra, &fresh, &n_fresh);
	if (r < 0)
		return r;

	/* Drop the budgets that are gone or changed... */
	for (size_t i = m->n_budgets; i > 0; i--) {
		Budget *b = m->budgets[i - 1];
		bool keep = false;

		for (size_t j = 0; j < n_fresh && !keep; j++)
			keep = fresh[j] && streq(fresh[j]->id, b->id) &&
			       budget_same(fresh[j], b);
		if (!keep)
			manager_drop_budget(m, b);
	}
	/* ...and add the new ones, keeping unchanged ones (and counters). */
	for (size_t j = 0; j < n_fresh; j++) {
		Budget *old = manager_find_budget(m, fresh[j]->id);

		if (old) {
			/* Same budget; the file or description may be new. */
			rcstr_unref(old->file);
			old->file = TAKE_PTR(fresh[j]->file);
			free(old->description);
			old->description = TAKE_PTR(fresh[j]->description);
			budget_free(fresh[j]);
			continue;
		}
		r = budget_attach(m, fresh[j]);
		if (r >= 0)
			r = manager_append_budget(m, fresh[j]);
		if (r < 0) {
			for (size_t k = j; k < n_fresh; k++)
				budget_free(fresh[k]);
			free(fresh);
			return r;
		}
	}
	free(fresh);

	/* Learn the state of every unit again; replies bind the budgets. */
	for (size_t i = 0; i < m->n_units; i++) {
		r = unit_tracker_refresh(m->units[i]);
		if (r < 0)
			log_debug_errno(r, "Failed to query unit %s, ignoring: %m",
					m->units[i]->name);
	}
	log_info("Loaded %zu budget(s) of %zu unit(s).", m->n_budgets,
		 m->n_units);
	/* Parsing drop-ins and ELF files churns the heap: give it back. */
	(void)malloc_trim(0);
	if (m->n_budgets != before)
		manager_emit_budget_count_changed(m);
	return 0;
}

void manager_systemd_reloaded(Manager *m)
{
	int r;

	log_debug("systemd reloaded, re-reading drop-ins.");
	r = manager_reload(m);
	if (r < 0)
		log_error_errno(r, "Failed to reload budgets: %m");
}

/* Our drop-ins changed: systemd should see them too. */
static void manager_tell_systemd(Manager *m)
{
	int r = unit_tracker_daemon_reload(m);

	if (r < 0)
		log_warning_errno(r, "Failed to ask systemd to reload, ignoring: %m");
}

int manager_add_budget(Manager *m, const char *unit, const char *probe,
		       uint64_t budget_ns, bool runtime,
		       const char *description, char **ret_id,
		       sd_bus_error *error)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	_cleanup_free_ char *canonical = NULL, *id = NULL, *file = NULL;
	_cleanup_(rcstr_unrefp) char *name = NULL;
	_cleanup_close_ int fd = -EBADF;
	uint64_t start, stop;
	Budget *b = NULL;
	Unit *u;
	int r;

	if (!m->kernel)
		try_open_kernel(m);
	if (!m->kernel)
		return sd_bus_error_setf(error, TLOB_ERROR_KERNEL_UNAVAILABLE,
					 "Cannot use %s: %s (is the tlob module loaded?)",
					 m->rv_path, strerror(-m->kernel_error));
	if (m->n_budgets >= MANAGER_BUDGETS_MAX)
		return sd_bus_error_setf(error, TLOB_ERROR_TOO_MANY,
					 "There are already %u budgets.",
					 MANAGER_BUDGETS_MAX);

	r = tlob_probe_parse(probe, &p);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return sd_bus_error_setf(error, TLOB_ERROR_INVALID_PROBE,
					 "Invalid probe \"%s\": expected [PATH:]START[..STOP].",
					 probe);
	r = tlob_probe_format(&p, &canonical);
	if (r < 0)
		return r;
	if (manager_find_budget_by_probe(m, unit, canonical))
		return sd_bus_error_setf(error, TLOB_ERROR_EXISTS,
					 "%s already has a budget for %s.",
					 unit, canonical);

	/* Does the unit exist, and what is its main executable? */
	u = unit_tracker_get(m, unit);
	if (!u)
		return -ENOMEM;
	r = unit_tracker_load_sync(m, u, error);
	if (r < 0) {
		unit_tracker_unref(m, u);
		return r;
	}
	fd = budget_resolve_probe(m->elf_cache, &p, p.path ?: u->exec_path,
				  &start, &stop, error);
	if (fd < 0) {
		unit_tracker_unref(m, u);
		return fd;
	}

	/* The kernel binds a file offset once per cgroup. */
	for (size_t i = 0; i < m->n_budgets; i++) {
		Budget *o = m->budgets[i];

		if (o->unit != u)
			continue;
		budget_refresh_offsets(o);
		if (o->binary && streq(o->binary, p.path ?: u->exec_path) &&
		    o->start_offset == start) {
			unit_tracker_unref(m, u);
			return sd_bus_error_setf(error, TLOB_ERROR_EXISTS,
						 "Budget %s of %s already starts at this point (%s).",
						 o->id, unit, o->probe_text);
		}
	}

	r = budget_store_new_id(m->budgets, m->n_budgets, &id);
	if (r >= 0)
		r = budget_store_write(m->root, unit, id, canonical, budget_ns,
				       runtime, description, &file);
	if (r < 0) {
		unit_tracker_unref(m, u);
		return sd_bus_error_set_errnof(error, -r,
					       "Failed to write the drop-in: %m");
	}

	name = rcstr_new(unit);
	if (!name || budget_new(m, name, id, canonical, &b) < 0)
		goto oom;
	b->budget_ns = budget_ns;
	b->source = runtime ? BUDGET_SOURCE_RUNTIME : BUDGET_SOURCE_API;
	b->file = rcstr_new(file);
	b->description = isempty(description) ? NULL : strdup(description);
	if (!b->file || (!isempty(description) && !b->description))
		goto oom;
	r = manager_append_budget(m, b);
	if (r < 0)
		goto oom;
	b->unit = u;
	u->n_budgets++;

	if (u->active && u->cgroup_id) {
		r = budget_bind(b, u->cgroup_id, error);
		if (r < 0) {
			r = budget_bind_error(r, error);
			(void)budget_store_remove(b);
			manager_drop_budget(m, b);
			return r;
		}
	}
	/* Follow the unit from now on (a no-op refresh if it is known). */
	(void)unit_tracker_refresh(u);

	log_info("Added budget %s: %s %s %llu ns%s.", id, unit, b->probe_text,
		 (unsigned long long)budget_ns, runtime ? " (runtime)" : "");
	manager_tell_systemd(m);
	manager_emit_budget_count_changed(m);
	*ret_id = TAKE_PTR(id);
	return 0;

oom:
	/* Nothing refers to @b yet. */
	(void)unlink(file);
	budget_free(b);
	unit_tracker_unref(m, u);
	return -ENOMEM;
}

int manager_remove_budget(Manager *m, Budget *b, sd_bus_error *error)
{
	int r;

	r = budget_store_remove(b);
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r,
					       "Failed to remove %s: %m", b->file);
	log_info("Removed budget %s: %s %s.", b->id, b->unit_name,
		 b->probe_text);
	manager_drop_budget(m, b);
	manager_tell_systemd(m);
	manager_emit_budget_count_changed(m);
	return 0;
}

static void handle_violation(Manager *m, const struct tlob_event *ev)
{
	_cleanup_free_ char *self_unit = NULL;
	Budget *b = find_budget_by_binding(m, ev->binding_id);
	const char *unit;
	int r;

	m->n_violations++;
	if (b) {
		b->n_violations++;
		unit = b->unit_name;
	} else {
		/* Self-instrumented, or a binding not made by us. */
		self_unit = unit_tracker_unit_of_pid(m, ev->tgid, ev->cgroup_id);
		unit = strempty(self_unit);
	}

	r = manager_emit_violation(m, b, unit, ev);
	if (r < 0)
		log_debug_errno(r, "Failed to send Violation signal, ignoring: %m");
	journal_log_violation(m, b, unit, ev);
}

void manager_handle_event(Manager *m, const struct tlob_event *ev)
{
	switch (ev->type) {
	case TLOB_EV_VIOLATION:
		handle_violation(m, ev);
		break;
	case TLOB_EV_WINDOW_END:
		log_debug("Violated window of binding %u (tid %u) ended after %llu ns.",
			  ev->binding_id, ev->tid,
			  (unsigned long long)ev->elapsed_ns);
		break;
	case TLOB_EV_LOST:
		m->n_dropped += ev->lost;
		log_warning("The kernel dropped %llu event(s): reading too slowly.",
			    (unsigned long long)ev->lost);
		break;
	default:
		log_debug("Unknown kernel event type %u, ignoring.", ev->type);
	}
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	Manager *m = userdata;
	int r;

	log_info("Reloading on SIGHUP.");
	r = manager_reload(m);
	if (r < 0)
		log_error_errno(r, "Failed to reload budgets: %m");
	return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si,
			  void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

int manager_start(Manager *m)
{
	sd_event_source *s;
	int r;

	r = sd_event_add_signal(m->event, &s, SIGHUP, on_sighup, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(s, "signal-hup");
	(void)sd_event_source_set_floating(s, true);
	sd_event_source_unref(s);
	r = sd_event_add_signal(m->event, &s, SIGTERM, on_exit_signal, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(s, "signal-term");
	(void)sd_event_source_set_floating(s, true);
	sd_event_source_unref(s);
	r = sd_event_add_signal(m->event, &s, SIGINT, on_exit_signal, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(s, "signal-int");
	(void)sd_event_source_set_floating(s, true);
	sd_event_source_unref(s);

	r = manager_bus_setup(m);
	if (r < 0)
		return r;
	r = unit_tracker_start(m);
	if (r < 0)
		return r;
	return manager_reload(m);
}
