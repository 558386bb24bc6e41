// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Asynchronous polkit checks, in the manner of systemd's
 * bus_verify_polkit_async(): the first time a method asks, a
 * CheckAuthorization call goes out and the method returns without a
 * reply; when polkit answers, the original message is queued again
 * (sd_bus_enqueue_for_read) and the method runs again, now finding the
 * answer. Callers with effective uid 0 are always allowed, without
 * asking polkit. Without polkit on the bus, everybody else is refused.
 *
 * A refusal is InteractiveAuthorizationRequired when polkit could ask the
 * user (a challenge) but the caller did not allow interaction, so that
 * retrying with ALLOW_INTERACTIVE_AUTHORIZATION makes sense; else (also
 * when interaction was allowed and still did not authorize) AccessDenied.
 */
#include "log.h"
#include "macro.h"
#include "manager-polkit.h"
#include "manager.h"

#define POLKIT_DEST	"org.freedesktop.PolicyKit1"
#define POLKIT_PATH	"/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE	"org.freedesktop.PolicyKit1.Authority"
#define POLKIT_ALLOW_INTERACTION 1U

struct PolkitQuery {
	PolkitQuery *next;
	Manager *manager;
	sd_bus_message *request;
	sd_bus_slot *slot;
	char *action;
	bool done;
	bool interactive;		/* the caller allowed interaction */
	bool authorized;
	bool challenge;
	sd_bus_error error;		/* the CheckAuthorization call failed */
};

static PolkitQuery *query_free(PolkitQuery *q)
{
	if (!q)
		return NULL;
	sd_bus_slot_unref(q->slot);
	sd_bus_message_unref(q->request);
	sd_bus_error_free(&q->error);
	free(q->action);
	return mfree(q);
}

static void query_unlink(Manager *m, PolkitQuery *q)
{
	for (PolkitQuery **p = &m->polkit_queries; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			return;
		}
}

void manager_polkit_free_all(Manager *m)
{
	while (m->polkit_queries) {
		PolkitQuery *q = m->polkit_queries;

		m->polkit_queries = q->next;
		query_free(q);
	}
}

static int parse_reply(PolkitQuery *q, sd_bus_message *reply)
{
	int authorized, challenge, r;

	r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0)
		return r;
	q->authorized = authorized;
	q->challenge = challenge;
	return 0;
}

static int on_check_reply(sd_bus_message *reply, void *userdata,
			  sd_bus_error *ret_error)
{
	PolkitQuery *q = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	int r;

	q->slot = sd_bus_slot_unref(q->slot);
	q->done = true;
	if (e) {
		log_debug("polkit CheckAuthorization failed: %s", e->message);
		sd_bus_error_copy(&q->error, e);
	} else {
		r = parse_reply(q, reply);
		if (r < 0)
			sd_bus_error_set_errnof(&q->error, -r,
						"Bad reply from polkit: %m");
	}

	/* Run the method again; it will find the answer. */
	r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request),
				    q->request);
	if (r < 0) {
		log_error_errno(r, "Failed to requeue a polkit-checked call: %m");
		(void)sd_bus_reply_method_errnof(q->request, -r,
						 "Failed to requeue the call: %m");
		query_unlink(q->manager, q);
		query_free(q);
	}
	return 0;
}

static PolkitQuery *find_query(Manager *m, sd_bus_message *call,
			       const char *action)
{
	for (PolkitQuery *q = m->polkit_queries; q; q = q->next)
		if (q->request == call && streq(q->action, action))
			return q;
	return NULL;
}

static int query_result(Manager *m, PolkitQuery *q, sd_bus_error *error)
{
	int r;

	query_unlink(m, q);
	if (sd_bus_error_is_set(&q->error))
		r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
				      "Not authorized to %s: polkit failed (%s).",
				      q->action, q->error.message);
	else if (q->authorized)
		r = 1;
	else if (q->challenge && !q->interactive)
		/* As the D-Bus spec means it: retrying with interaction allowed may work. */
		r = sd_bus_error_set(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
				     "Interactive authentication required.");
	else
		r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
				      "Not authorized to %s.", q->action);
	query_free(q);
	return r;
}

int manager_polkit_check(Manager *m, sd_bus_message *call, const char *action,
			 sd_bus_error *error)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	PolkitQuery *q;
	uid_t uid;
	unsigned flags = 0;
	int r;

	r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds);
	if (r < 0)
		return r;
	r = sd_bus_creds_get_euid(creds, &uid);
	if (r < 0)
		return r;
	if (uid == 0)
		return 1;

	q = find_query(m, call, action);
	if (q)
		return q->done ? query_result(m, q, error) : 0;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->manager = m;
	q->action = strdup(action);
	if (!q->action) {
		query_free(q);
		return -ENOMEM;
	}
	q->interactive = sd_bus_message_get_allow_interactive_authorization(call) > 0;
	if (q->interactive)
		flags |= POLKIT_ALLOW_INTERACTION;

	r = sd_bus_call_method_async(sd_bus_message_get_bus(call), &q->slot,
				     POLKIT_DEST, POLKIT_PATH, POLKIT_IFACE,
				     "CheckAuthorization", on_check_reply, q,
				     "(sa{sv})sa{ss}us", "system-bus-name", 1,
				     "name", "s", sd_bus_message_get_sender(call),
				     action, 0, flags, "");
	if (r < 0) {
		query_free(q);
		return r;
	}
	q->request = sd_bus_message_ref(call);
	q->next = m->polkit_queries;
	m->polkit_queries = q;
	return 0;
}
