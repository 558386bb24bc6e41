// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Manager: the list of budgets (loaded from the store, added and
 * removed over D-Bus), their units, and the kernel's events. How a budget
 * is bound is budget.c's business; this file decides when.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <malloc.h>
#include <signal.h>
#include <sys/syscall.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "budget-store.h"
#include "bus-errors.h"
#include "dropin.h"
#include "fdstore.h"
#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager-bus.h"
#include "manager-events.h"
#include "manager.h"
#include "symbolize.h"
#include "rcstr.h"
#include "sandbox.h"
#include "snapshot.h"
#include "state.h"
#include "strv.h"

/*
 * An AddBudget() call waiting for systemd to say whether its unit exists
 * and what its main executable is; it is answered once that came.
 */
struct AddRequest {
	Manager *manager;
	AddRequest *next;
	sd_bus_message *call;
	UnitQuery *query;
	char *unit;
	char *probe;			/* canonical */
	char *description;
	bool cause;
	uint64_t budget_ns;
	bool runtime;
	TlobActions actions;
};

static const char *const kernel_backend_table[_KERNEL_BACKEND_MAX] = {
	[KERNEL_BACKEND_AUTO] = "auto",
	[KERNEL_BACKEND_KMOD] = "kmod",
	[KERNEL_BACKEND_BPF] = "bpf",
};

const char *kernel_backend_to_string(KernelBackend b)
{
	return b >= 0 && b < _KERNEL_BACKEND_MAX ? kernel_backend_table[b] : NULL;
}

KernelBackend kernel_backend_from_string(const char *s)
{
	for (KernelBackend b = 0; b < _KERNEL_BACKEND_MAX; b++)
		if (streq_ptr(s, kernel_backend_table[b]))
			return b;
	return _KERNEL_BACKEND_INVALID;
}

const char *manager_kernel_name(const Manager *m)
{
	return m->backend == KERNEL_BACKEND_BPF ? "the BPF monitor" : m->rv_path;
}

int manager_new(Manager **ret)
{
	_cleanup_(manager_freep) Manager *m = NULL;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	manager_set_log_ratelimit(m, 10 * USEC_PER_SEC, 10);
	m->kernel_error = -ENODEV;
	m->backend_wanted = KERNEL_BACKEND_AUTO;
	m->backend = KERNEL_BACKEND_KMOD;
	m->budgets_max = MANAGER_BUDGETS_MAX;
	m->rv_path = "/dev/rv";
	m->root = strdup("");
	m->cgroup_root = strdup("/sys/fs/cgroup");
	m->tracefs = strdup("/sys/kernel/tracing");
	/* StateDirectory=tlob-manager of the unit. */
	if (asprintf(&m->snapshot_dir, "%s/snapshots",
		     getenv("STATE_DIRECTORY") ?: "/var/lib/tlob-manager") < 0)
		m->snapshot_dir = NULL;
	m->elf_cache = tlob_elf_cache_new(MANAGER_ELF_CACHE_MAX);
	if (!m->root || !m->cgroup_root || !m->tracefs || !m->snapshot_dir ||
	    !m->elf_cache)
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

void manager_set_log_ratelimit(Manager *m, uint64_t interval_usec,
			       unsigned burst)
{
	m->ratelimit_interval_usec = interval_usec;
	m->ratelimit_burst = burst;
	/* Kernel messages: one warning per interval is plenty. */
	m->lost_ratelimit = RATELIMIT_INIT(interval_usec, 1);
}

static AddRequest *add_request_free(AddRequest *a);
static void message_list_done(MessageList *l);

Manager *manager_free(Manager *m)
{
	if (!m)
		return NULL;
	/*
	 * No unbinding one by one, and no records handled on the way out:
	 * the bindings stay with the /dev/rv fd kept in the fd store, for
	 * the next instance, and its records in its ring; without a store,
	 * closing it removes them all at once.
	 */
	m->kernel = kernel_link_free(m->kernel);
	snapshot_stop(m);
	/* Units go all at once below: no refresh of one another. */
	for (size_t i = 0; i < m->n_budgets; i++)
		budget_free(m->budgets[i]);
	free(m->budgets);
	while (m->add_requests) {
		AddRequest *a = m->add_requests;

		m->add_requests = a->next;
		add_request_free(a);
	}
	sd_bus_slot_unref(m->reload_slot);
	message_list_done(&m->reload_waiters);
	message_list_done(&m->reload_next);
	sd_bus_slot_unref(m->name_slot);
	unit_tracker_free_all(m);
	manager_polkit_free_all(m);
	for (size_t i = 0; i < ELEMENTSOF(m->match_slots); i++)
		sd_bus_slot_unref(m->match_slots[i]);
	sd_bus_slot_unref(m->daemon_reload_slot);
	manager_events_free(m);
	sd_event_source_disable_unref(m->lost_ratelimit_source);
	sd_event_source_disable_unref(m->props_source);
	sd_bus_flush_close_unref(m->bus);
	sd_event_unref(m->event);
	tlob_elf_cache_free(m->elf_cache);
	symbolizer_free(m->symbolizer);
	free(m->root);
	free(m->cgroup_root);
	free(m->tracefs);
	free(m->snapshot_dir);
	tlob_strv_free(m->patterns);
	state_free(m->state);
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

Budget *manager_find_budget_by_cookie(Manager *m, uint64_t cookie)
{
	for (size_t i = 0; i < m->n_budgets; i++)
		if (m->budgets[i]->cookie == cookie)
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

	/* Cookies tell budgets apart: a clash (64 bits...) gets another. */
	for (unsigned salt = 1; manager_find_budget_by_cookie(m, b->cookie); salt++)
		b->cookie = budget_cookie(b->id, b->unit_name, b->probe_text,
					  b->budget_ns, salt);

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
	/* Gone for good: its binding, and what its bindings measured. */
	budget_forget(b);
	budget_detach(m, b);
	budget_free(b);
}

static bool budget_same(const Budget *a, const Budget *b)
{
	return streq(a->unit_name, b->unit_name) &&
	       streq(a->probe_text, b->probe_text) &&
	       a->budget_ns == b->budget_ns && a->source == b->source;
}

/* Open the kernel link of m->backend; the negative errno, also kept. */
static int open_kernel(Manager *m)
{
	int r;

	r = kernel_link_new(m, m->backend, -EBADF, &m->kernel);
	if (r < 0) {
		m->kernel = NULL;
		return (m->kernel_error = r);
	}
	m->kernel_error = 0;
	log_debug("Kernel link open on %s.", manager_kernel_name(m));
	/* Our bindings outlive us in the fd store (the module's). */
	if (kernel_link_fd(m->kernel) >= 0) {
		r = fdstore_keep(kernel_link_fd(m->kernel), "rv");
		if (r < 0)
			log_warning_errno(r, "Failed to keep %s in the fd store, a restart will lose the bindings: %m",
					  m->rv_path);
	}
	if (!m->loaded)
		return 0;	/* the first load binds, records are read once serving */
	if (m->serving) {
		r = manager_events_start(m);
		if (r < 0)
			log_warning_errno(r, "Failed to watch %s, ignoring: %m",
					  m->rv_path);
	}
	/* The module may have come late: bind every budget now. */
	for (size_t i = 0; i < m->n_units; i++)
		(void)unit_tracker_refresh(m->units[i], true);
	return 0;
}

static void try_open_kernel(Manager *m)
{
	int old = m->kernel_error, r;

	if (m->kernel)
		return;
	r = open_kernel(m);
	if (r < 0 && r != old)
		log_warning_errno(r, "Failed to open %s, budgets will not be measured: %m",
				  manager_kernel_name(m));
}

/* A template's budget covers all its instances: they are not tracked. */
static bool pattern_is_template(const char *pattern)
{
	const char *at = strchr(pattern, '@');

	return at && at[1] == '.';
}

bool manager_unit_wanted(Manager *m, const char *unit)
{
	if (unit_is_query_instance(unit))
		return false;
	for (char **p = m->patterns; p && *p; p++)
		if (!pattern_is_template(*p) &&
		    tlob_dropin_pattern_matches(*p, unit))
			return true;
	return false;
}

/* --- reloading ---------------------------------------------------------- */

static int message_list_add(MessageList *l, sd_bus_message *msg)
{
	sd_bus_message **n = reallocarray(l->msgs, l->n + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	l->msgs = n;
	l->msgs[l->n++] = sd_bus_message_ref(msg);
	return 0;
}

static void message_list_done(MessageList *l)
{
	for (size_t i = 0; i < l->n; i++)
		sd_bus_message_unref(l->msgs[i]);
	l->msgs = mfree(l->msgs);
	l->n = 0;
}

/* Answer each Reload() call of @l: success, or the error @r. */
static void message_list_reply(MessageList *l, int r)
{
	for (size_t i = 0; i < l->n; i++) {
		int k = r < 0 ?
			sd_bus_reply_method_errnof(l->msgs[i], r,
						   "Failed to reload budgets: %m") :
			sd_bus_reply_method_return(l->msgs[i], NULL);

		if (k < 0)
			log_debug_errno(k, "Failed to reply to Reload(), ignoring: %m");
	}
	message_list_done(l);
}

/*
 * The second half of a reload: the units to look at besides those with
 * their own drop-in directory and the templates with budgets are the
 * loaded ones that drop-ins of prefixes or types apply to (@matching);
 * read their drop-ins and reconcile the budget list. A unit of those that
 * systemd unloaded has no budgets until it is loaded again (UnitNew).
 */
static int reload_apply(Manager *m, char **matching)
{
	Budget **fresh = NULL;
	size_t n_fresh = 0, before = m->n_budgets;
	unsigned refused = 0, refused_before = m->n_refused;
	bool requery;
	int r;

	r = budget_store_load(m, matching, &fresh, &n_fresh);
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
			/*
			 * Same budget; the file, description, actions or
			 * TlobCause= may be new (a new signal: rebound with
			 * its unit below; another TlobCause= is another
			 * binding).
			 */
			r = budget_set_actions(old, &fresh[j]->actions);
			if (r < 0) {
				for (size_t k = j; k < n_fresh; k++)
					budget_free(fresh[k]);
				free(fresh);
				return r;
			}
			if (old->cause != fresh[j]->cause) {
				old->cause = fresh[j]->cause;
				if (old->binding_id)
					budget_sync(old);
			}
			rcstr_unref(old->file);
			old->file = TAKE_PTR(fresh[j]->file);
			free(old->description);
			old->description = TAKE_PTR(fresh[j]->description);
			budget_free(fresh[j]);
			continue;
		}
		/* Over the limit: those loaded first, and those kept, stay. */
		if (m->n_budgets >= m->budgets_max) {
			Budget *b = fresh[j];

			log_full_errno(refused < MANAGER_REFUSED_LOGGED ? LOG_WARNING : LOG_DEBUG, 0,
				       "%s: budget of %s for %s refused, there are already %u budgets (--max-budgets=).",
				       b->file, b->unit_name, b->probe_text,
				       m->budgets_max);
			refused++;
			budget_free(b);
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

	/* The bindings a predecessor left; its records once serving. */
	if (!m->loaded)
		(void)manager_adopt_bindings(m);
	/*
	 * Learn the state of the new units (all of them after systemd
	 * reloaded: their unit files may have changed), loading those that
	 * do not run: the replies bind the budgets, before their units
	 * start. What we know of the others is kept up to date by systemd's
	 * signals (when subscribed): their new budgets are bound from it. A
	 * unit systemd did not find may have a unit file by now: asked.
	 */
	requery = m->units_stale || !m->systemd_tracking;
	m->units_stale = false;
	for (size_t i = 0; i < m->n_units; i++) {
		Unit *u = m->units[i];

		if (!requery && u->known && u->found) {
			manager_unit_changed(m, u);
			continue;
		}
		r = unit_tracker_refresh(u, true);
		if (r < 0)
			log_debug_errno(r, "Failed to query unit %s, ignoring: %m",
					u->name);
	}
	log_info("Loaded %zu budget(s) of %zu unit(s).", m->n_budgets,
		 m->n_units);
	snapshot_sync(m);
	if (refused > MANAGER_REFUSED_LOGGED)
		log_warning("%u more budget(s) refused, over the limit of %u.",
			    refused - MANAGER_REFUSED_LOGGED, m->budgets_max);
	m->n_refused = refused;
	/* Parsing drop-ins and ELF files churns the heap: give it back. */
	(void)malloc_trim(0);
	if (m->n_budgets != before || m->n_refused != refused_before)
		manager_emit_budget_count_changed(m);
	return 0;
}

static void reload_start(Manager *m);

static void reload_finish(Manager *m, char **matching, int r)
{
	if (r >= 0)
		r = reload_apply(m, matching);
	if (r < 0)
		log_error_errno(r, "Failed to reload budgets: %m");
	message_list_reply(&m->reload_waiters, r);

	if (!m->loaded) {
		/* The first load: now serve the bus. */
		m->loaded = true;
		if (r >= 0)
			r = manager_bus_request_name(m);
		if (r < 0) {
			(void)sd_event_exit(m->event, r);
			return;
		}
	}
	if (m->reload_again) {
		m->reload_again = false;
		m->reload_waiters = m->reload_next;
		m->reload_next = (MessageList) {};
		reload_start(m);
	}
}

static void on_reload_listed(Manager *m, int r, char **units)
{
	m->reload_slot = sd_bus_slot_unref(m->reload_slot);
	if (r < 0)
		log_warning_errno(r, "Failed to list the units of prefix and type drop-ins, ignoring: %m");
	reload_finish(m, r < 0 ? NULL : units, 0);
}

static void reload_start(Manager *m)
{
	_cleanup_strv_free_ char **patterns = NULL, **others = NULL;
	int r;

	try_open_kernel(m);
	/* A reload reads everything anew, ELF files too. */
	tlob_elf_cache_clear(m->elf_cache);
	r = tlob_dropin_patterns(m->root, tlob_unit_search_path, &patterns);
	if (r < 0)
		return reload_finish(m, NULL, r);
	tlob_strv_free(m->patterns);
	m->patterns = TAKE_PTR(patterns);
	/* Templates have budgets of their own; prefixes and types not. */
	for (char **p = m->patterns; *p; p++)
		if (!pattern_is_template(*p)) {
			r = tlob_strv_extend(&others, *p);
			if (r < 0)
				return reload_finish(m, NULL, r);
		}
	if (others && m->bus) {
		/* Which units do they apply to? Asked without waiting. */
		r = unit_tracker_list_matching(m, others, on_reload_listed,
					       &m->reload_slot);
		if (r >= 0)
			return;
		log_warning_errno(r, "Failed to list the units of prefix and type drop-ins, ignoring: %m");
	}
	reload_finish(m, NULL, 0);
}

int manager_reload(Manager *m, sd_bus_message *call)
{
	int r;

	if (m->reload_slot) {
		/* One runs: another one follows it, for what changed since. */
		m->reload_again = true;
		return call ? message_list_add(&m->reload_next, call) : 0;
	}
	if (call) {
		r = message_list_add(&m->reload_waiters, call);
		if (r < 0)
			return r;
	}
	reload_start(m);
	return 0;
}

void manager_systemd_reloaded(Manager *m)
{
	int r;

	log_debug("systemd reloaded, re-reading drop-ins.");
	m->units_stale = true;
	r = manager_reload(m, NULL);
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

/* --- AddBudget ---------------------------------------------------------- */

static AddRequest *add_request_free(AddRequest *a)
{
	if (!a)
		return NULL;
	unit_query_free(a->query);
	sd_bus_message_unref(a->call);
	free(a->unit);
	free(a->probe);
	free(a->description);
	return mfree(a);
}

static void add_request_unlink(Manager *m, AddRequest *a)
{
	for (AddRequest **p = &m->add_requests; *p; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			return;
		}
}

/* What can be checked at once, before and again after asking systemd. */
static int add_check(Manager *m, const char *unit, const char *probe,
		     sd_bus_error *error)
{
	if (!m->kernel)
		try_open_kernel(m);
	if (!m->kernel)
		return sd_bus_error_setf(error, TLOB_ERROR_KERNEL_UNAVAILABLE,
					 "Cannot use %s: %s (is the tlob module loaded?)",
					 manager_kernel_name(m), strerror(-m->kernel_error));
	if (m->n_budgets >= m->budgets_max)
		return sd_bus_error_setf(error, TLOB_ERROR_TOO_MANY,
					 "There are already %u budgets.",
					 m->budgets_max);
	if (manager_find_budget_by_probe(m, unit, probe))
		return sd_bus_error_setf(error, TLOB_ERROR_EXISTS,
					 "%s already has a budget for %s.",
					 unit, probe);
	return 0;
}

/*
 * Add the budget of @a, its unit's state known (@state; NULL without
 * systemd on the bus): resolve the probe, write the drop-in, bind.
 */
static int add_budget_now(Manager *m, AddRequest *a, UnitState *state,
			  char **ret_id, sd_bus_error *error)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	_cleanup_free_ char *id = NULL, *file = NULL;
	_cleanup_(rcstr_unrefp) char *name = NULL;
	_cleanup_close_ int fd = -EBADF;
	uint64_t start, stop;
	Budget *b = NULL;
	Unit *u;
	int r;

	/* Things may have changed while systemd was asked. */
	r = add_check(m, a->unit, a->probe, error);
	if (r < 0)
		return r;
	r = tlob_probe_parse(a->probe, &p);
	if (r < 0)
		return r;	/* it was parsed before: only ENOMEM */

	u = unit_tracker_get(m, a->unit);
	if (!u)
		return -ENOMEM;
	r = state ? unit_tracker_update(u, state) : 0;
	if (r < 0) {
		unit_tracker_unref(m, u);
		return r;
	}
	fd = budget_resolve_probe(m->elf_cache, &p, p.path ?: u->exec_path,
				  &start, &stop, NULL, error);
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
						 o->id, a->unit, o->probe_text);
		}
	}

	r = budget_store_new_id(m->budgets, m->n_budgets, &id);
	if (r >= 0)
		r = budget_store_write(m->root, a->unit, id, a->probe,
				       a->budget_ns, a->runtime, a->description,
				       a->cause, &a->actions, &file);
	if (r < 0) {
		unit_tracker_unref(m, u);
		return sd_bus_error_set_errnof(error, -r,
					       "Failed to write the drop-in: %m");
	}

	name = rcstr_new(a->unit);
	if (!name || budget_new(m, name, id, a->probe, a->budget_ns, &b) < 0)
		goto oom;
	b->source = a->runtime ? BUDGET_SOURCE_RUNTIME : BUDGET_SOURCE_API;
	b->cause = a->cause;
	b->file = rcstr_new(file);
	b->description = isempty(a->description) ? NULL : strdup(a->description);
	if (!b->file || (!isempty(a->description) && !b->description) ||
	    budget_set_actions(b, &a->actions) < 0)
		goto oom;
	r = manager_append_budget(m, b);
	if (r < 0)
		goto oom;
	b->unit = u;
	u->n_budgets++;

	/* Bound at once, whether the unit runs or not. */
	r = budget_bind(b, error);
	if (r < 0) {
		r = budget_bind_error(r, error);
		(void)budget_store_remove(b);
		manager_drop_budget(m, b);
		return r;
	}
	/* Follow the unit from now on: its state as of now (GetUnit). */
	(void)unit_tracker_refresh(u, false);

	log_info("Added budget %s: %s %s %llu ns%s.", id, a->unit,
		 b->probe_text, (unsigned long long)a->budget_ns,
		 a->runtime ? " (runtime)" : "");
	snapshot_sync(m);
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

static void on_add_unit_known(UnitQuery *q, int r, UnitState *state,
			      const sd_bus_error *e, void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *id = NULL;
	AddRequest *a = userdata;
	Manager *m = a->manager;

	if (r == -ENOENT || (r >= 0 && !state->found))
		r = sd_bus_error_setf(&error, TLOB_ERROR_NO_SUCH_UNIT,
				      "Unit %s does not exist.", a->unit);
	else if (r < 0 && bus_error_systemd_absent(e))
		/* No systemd (a test bus): nothing to check against. */
		r = add_budget_now(m, a, NULL, &id, &error);
	else if (r < 0)
		r = sd_bus_error_setf(&error, SD_BUS_ERROR_FAILED,
				      "Failed to load unit %s: %s", a->unit,
				      e && e->message ? e->message : strerror(-r));
	else
		r = add_budget_now(m, a, state, &id, &error);

	if (r < 0) {
		if (!sd_bus_error_is_set(&error))
			sd_bus_error_set_errnof(&error, -r,
						"Failed to add the budget: %m");
		r = sd_bus_reply_method_error(a->call, &error);
	} else {
		r = sd_bus_reply_method_return(a->call, "s", id);
	}
	if (r < 0)
		log_debug_errno(r, "Failed to reply to AddBudget(), ignoring: %m");
	add_request_unlink(m, a);
	add_request_free(a);
}

int manager_add_budget(Manager *m, sd_bus_message *call, const char *unit,
		       const char *probe, uint64_t budget_ns, bool runtime,
		       const char *description, bool cause,
		       const TlobActions *actions, sd_bus_error *error)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	_cleanup_free_ char *canonical = NULL;
	AddRequest *a;
	int r;

	r = tlob_probe_parse(probe, &p);
	if (r < 0)
		return r;	/* validated by the caller: only ENOMEM */
	r = tlob_probe_format(&p, &canonical);
	if (r < 0)
		return r;
	r = add_check(m, unit, canonical, error);
	if (r < 0)
		return r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (AddRequest) {
		.manager = m,
		.unit = strdup(unit),
		.probe = TAKE_PTR(canonical),
		.description = isempty(description) ? NULL : strdup(description),
		.budget_ns = budget_ns,
		.runtime = runtime,
		.cause = cause,
		.actions = *actions,
	};
	if (!a->unit || (!isempty(description) && !a->description)) {
		add_request_free(a);
		return -ENOMEM;
	}
	/* Does the unit exist, and what is its main executable? */
	r = unit_query_new(m, unit, true, on_add_unit_known, a, &a->query);
	if (r < 0) {
		add_request_free(a);
		return sd_bus_error_set_errnof(error, -r,
					       "Failed to ask systemd about %s: %m",
					       unit);
	}
	a->call = sd_bus_message_ref(call);
	a->next = m->add_requests;
	m->add_requests = a;
	return 0;
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
	snapshot_sync(m);
	manager_tell_systemd(m);
	manager_emit_budget_count_changed(m);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	Manager *m = userdata;
	int r;

	log_info("Reloading on SIGHUP.");
	r = manager_reload(m, NULL);
	if (r < 0)
		log_error_errno(r, "Failed to reload budgets: %m");
	return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si,
			  void *userdata)
{
	Manager *m = userdata;

	/*
	 * Bindings that end with this process (the BPF monitor's): their
	 * records are handled and their statistics folded into the state
	 * now, so that a restart (the state is in the fd store) continues
	 * them. The module's stay with /dev/rv in the fd store.
	 */
	if (m->kernel && kernel_link_fd(m->kernel) < 0) {
		log_debug("Removing the bindings before exiting, their statistics kept.");
		for (size_t i = 0; i < m->n_budgets; i++)
			budget_unbind(m->budgets[i]);
	}
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/*
 * What a predecessor kept in the fd store: the state, and /dev/rv with
 * its bindings (adopted at the first load). Else a new state, kept there.
 */
static int manager_take_fd_store(Manager *m)
{
	int rv, fd, r;

	fdstore_take(&rv, &fd);
	r = state_new(fd, m->budgets_max, false, &m->state);
	if (r < 0) {
		log_warning_errno(r, "Failed to make the state memfd, counters will not survive a restart: %m");
		r = state_new(-EBADF, m->budgets_max, true, &m->state);
		if (r < 0)
			return r;
	} else if (fd < 0) {
		r = fdstore_keep(state_fd(m->state), "state");
		if (r < 0)
			log_warning_errno(r, "Failed to keep the state in the fd store, ignoring: %m");
	}
	m->counters = *state_counters(m->state);
	if (state_adopted(m->state))
		log_info("Continuing the counters of a previous instance: %llu violation(s), %llu dropped record(s).",
			 (unsigned long long)m->counters.violations,
			 (unsigned long long)m->counters.dropped);
	if (rv < 0)
		return 0;
	if (m->backend_wanted == KERNEL_BACKEND_BPF) {
		log_info("Dropping the %s kept in the fd store, and its bindings: the BPF backend was asked for.",
			 m->rv_path);
		(void)sd_notify(false, "FDSTOREREMOVE=1\nFDNAME=rv");
		safe_close(rv);
		return 0;
	}
	r = kernel_link_new(m, KERNEL_BACKEND_KMOD, rv, &m->kernel);
	if (r < 0) {
		log_warning_errno(r, "Failed to take %s from the fd store, opening it anew: %m",
				  m->rv_path);
		(void)sd_notify(false, "FDSTOREREMOVE=1\nFDNAME=rv");
		return 0;
	}
	m->kernel_adopted = true;
	m->kernel_error = 0;
	return 0;
}

/* One line on why the BPF monitor cannot be loaded. */
static const char *bpf_failure_cause(int r)
{
	switch (-r) {
	case EPERM:
		return "not permitted: it needs CAP_SYS_ADMIN, and bpf() and perf_event_open() allowed by the system call filter, an LSM and kernel lockdown";
	case EACCES:
		return "no CAP_SYS_ADMIN, without which the kernel makes no uprobe through perf_event_open()";
	case EOPNOTSUPP:
		return "the kernel has no BTF (/sys/kernel/btf/vmlinux) or lacks the functions the monitor hooks";
	case ENOSYS:
		return "this tlob-manager was built without it (meson -Dbpf)";
	default:
		return NULL;
	}
}

/*
 * The backend, once at start (a running manager never switches): what
 * was asked for, or with "auto" the module when its device opens (it is
 * loaded at boot by modules-load.d, before this service starts), else
 * the BPF monitor, else the module again, awaited as before (a late
 * module is opened at the next reload or AddBudget()).
 */
static int manager_choose_backend(Manager *m)
{
	const char *cause, *kmod_why = "not loaded";
	int r;

	if (m->kernel) {	/* /dev/rv from the fd store */
		m->backend = KERNEL_BACKEND_KMOD;
		goto chosen;
	}
	m->backend = KERNEL_BACKEND_KMOD;
	if (m->backend_wanted == KERNEL_BACKEND_KMOD) {
		try_open_kernel(m);
		goto chosen;
	}
	if (m->backend_wanted == KERNEL_BACKEND_AUTO) {
		r = open_kernel(m);
		if (r >= 0)
			goto chosen;
		/* A module that is there but cannot be used is worth a word. */
		if (IN_SET(-r, ENOENT, ENODEV, ENXIO))
			log_debug_errno(r, "Cannot open %s (%m), trying the BPF monitor.",
					m->rv_path);
		else
			log_warning_errno(r, "Cannot use the tlob module (%s: %m), trying the BPF monitor.",
					  m->rv_path);
		kmod_why = strerror(-r);
	}
	m->backend = KERNEL_BACKEND_BPF;
	r = kernel_link_new(m, KERNEL_BACKEND_BPF, -EBADF, &m->kernel);
	if (r >= 0) {
		m->kernel_error = 0;
		goto chosen;
	}
	cause = bpf_failure_cause(r);
	if (m->backend_wanted == KERNEL_BACKEND_BPF) {
		m->start_error_logged = true;
		if (cause)
			return log_error_errno(r, "Cannot load the BPF monitor (backend bpf): %s.", cause);
		return log_error_errno(r, "Cannot load the BPF monitor (backend bpf): %m");
	}
	if (cause)
		log_warning_errno(r, "No tlob module (%s: %s), and the BPF monitor cannot be loaded: %s. Waiting for the module.",
				  m->rv_path, kmod_why, cause);
	else
		log_warning_errno(r, "No tlob module (%s: %s), and the BPF monitor cannot be loaded: %m. Waiting for the module.",
				  m->rv_path, kmod_why);
	m->backend = KERNEL_BACKEND_KMOD;
chosen:
	log_info("Backend: %s%s.", kernel_backend_to_string(m->backend),
		 m->kernel ? "" : " (not available yet)");
	/*
	 * The unit grants what both need, the choice being made here: with
	 * the module, what only BPF needs goes (CAP_SYS_ADMIN,
	 * which the kernel requires to create a uprobe through perf); with
	 * BPF, what only the module needs (CAP_KILL, for signal=).
	 */
	if (m->backend == KERNEL_BACKEND_KMOD) {
		r = sandbox_drop_capabilities(UINT64_C(1) << CAP_SYS_ADMIN);
		if (r < 0)
			log_warning_errno(r, "Failed to drop CAP_SYS_ADMIN, ignoring: %m");
		r = sandbox_deny_tracing_syscalls();
		if (r < 0)
			log_warning_errno(r, "Failed to deny bpf() and perf_event_open() to myself, ignoring: %m");
	} else {
		/* Only the module sends signals (the signal= action). */
		r = sandbox_drop_capabilities(UINT64_C(1) << CAP_KILL);
		if (r < 0)
			log_warning_errno(r, "Failed to drop CAP_KILL, ignoring: %m");
	}
	return 0;
}

void manager_serving(Manager *m)
{
	int r;

	m->serving = true;
	r = manager_events_start(m);
	if (r < 0)
		log_warning_errno(r, "Failed to watch %s, ignoring: %m",
				  manager_kernel_name(m));
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
	r = budget_store_clean(m->root);
	if (r < 0)
		log_warning_errno(r, "Failed to remove stale drop-ins, ignoring: %m");
	r = manager_take_fd_store(m);
	if (r < 0)
		return r;
	r = manager_choose_backend(m);
	if (r < 0)
		return r;
	/* Once loaded, the bus name is taken and READY=1 sent. */
	return manager_reload(m, NULL);
}
