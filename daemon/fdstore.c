// SPDX-License-Identifier: GPL-2.0-or-later
/* The fd store, and the bindings found on the /dev/rv kept there. */
#include <systemd/sd-daemon.h>

#include "fdstore.h"
#include "kernel-link.h"
#include "log.h"
#include "macro.h"
#include "manager-events.h"
#include "manager.h"
#include "state.h"

void fdstore_take(int *ret_rv, int *ret_state)
{
	char **names = NULL;
	int n;

	*ret_rv = *ret_state = -EBADF;
	n = sd_listen_fds_with_names(true, &names);
	if (n < 0)
		log_warning_errno(n, "Failed to take the fds systemd passed, ignoring: %m");
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names ? names[i] : "";

		if (streq(name, "rv") && *ret_rv < 0)
			*ret_rv = fd;
		else if (streq(name, "state") && *ret_state < 0)
			*ret_state = fd;
		else {
			log_debug("Closing fd %d (%s) systemd passed.", fd, name);
			safe_close(fd);
			continue;
		}
		log_debug("Took fd %d (%s) from the fd store.", fd, name);
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

int fdstore_keep(int fd, const char *name)
{
	_cleanup_free_ char *msg = NULL;
	int r;

	if (asprintf(&msg, "FDSTORE=1\nFDNAME=%s", name) < 0)
		return -ENOMEM;
	r = sd_pid_notify_with_fds(0, false, msg, &fd, 1);
	if (r < 0)
		return r;
	if (r > 0)
		log_debug("Keeping %s in the fd store.", name);
	return 0;
}

typedef struct Owned {
	uint32_t *ids;
	size_t n;
} Owned;

static bool binding_alive(uint32_t id, void *userdata)
{
	const Owned *o = userdata;

	for (size_t i = 0; i < o->n; i++)
		if (o->ids[i] == id)
			return true;
	return false;
}

typedef struct RecoverArgs {
	Manager *manager;
	Owned owned;
} RecoverArgs;

static bool recover_alive(uint32_t id, void *userdata)
{
	return binding_alive(id, &((RecoverArgs *)userdata)->owned);
}

static bool recover_used(uint64_t cookie, void *userdata)
{
	return manager_find_budget_by_cookie(((RecoverArgs *)userdata)->manager,
					     cookie);
}

int manager_adopt_bindings(Manager *m)
{
	RecoverArgs a = { .manager = m };
	unsigned kept = 0, retired = 0, removed = 0;
	int r = 0;

	if (m->kernel && m->kernel_adopted) {
		r = kernel_link_list_owned(m->kernel, &a.owned.ids, &a.owned.n);
		if (r < 0)
			log_warning_errno(r, "Failed to list the bindings kept in the fd store, ignoring them: %m");
	}
	/* A retirement half done by a killed predecessor, forgotten budgets. */
	state_recover(m->state, recover_alive, recover_used, &a);

	/* Newest first: of two of one budget, the later is the likelier right. */
	for (size_t i = a.owned.n; i > 0; i--) {
		_cleanup_free_ char *path = NULL;
		struct tlob_binding_info info;
		uint32_t id = a.owned.ids[i - 1];
		Budget *b;

		r = kernel_link_info(m->kernel, id, &info, &path);
		if (r < 0) {
			log_debug_errno(r, "Failed to describe binding %u, ignoring: %m", id);
			continue;
		}
		b = manager_find_budget_by_cookie(m, info.cookie);
		if (b && budget_adopt(b, id, &info, path) >= 0) {
			kept++;
			continue;
		}
		if (b) {
			budget_retire(b, id);
			retired++;
			continue;
		}
		/* Its records, still queued, are known as ours and dropped. */
		manager_binding_retired(m, id, info.cookie);
		r = kernel_link_unbind(m->kernel, id);
		if (r < 0)
			log_debug_errno(r, "Failed to remove binding %u, ignoring: %m", id);
		removed++;
	}
	if (m->kernel_adopted)
		log_info("Took over %u binding(s) from the fd store, retired %u, removed %u of budgets that are gone.",
			 kept, retired, removed);
	free(a.owned.ids);
	return 0;
}
