// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlob-e2e-getbudget: times org.tlob.Manager's GetBudget from one
 * connection, so that what is measured is the manager's answer, not the
 * start of a process (slow in an emulated VM).
 *
 *   tlob-e2e-getbudget ID COUNT
 *	COUNT calls of GetBudget(ID), each followed by a ListBudgets;
 *	prints "getbudget_max_us=M getbudget_avg_us=A listbudgets_max_us=L".
 *   tlob-e2e-getbudget ID 0
 *	calls GetBudget(ID) in a loop until killed (a busy caller).
 *   tlob-e2e-getbudget --bound ID...
 *	prints how many of the budgets have a binding (BindingId > 0),
 *	from one process: cheap to poll for a hundred of them.
 *
 * Exit status 0, or 1 when a call failed (its error on stderr).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#define DEST	"org.tlob.Manager"
#define PATH	"/org/tlob/Manager"
#define IFACE	"org.tlob.Manager"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* One call; its duration in µs, or 0 with the error printed. */
static uint64_t timed_call(sd_bus *bus, const char *member, const char *id)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	uint64_t t0 = now_usec(), t;
	int r;

	if (id)
		r = sd_bus_call_method(bus, DEST, PATH, IFACE, member, &e, &reply,
				       "s", id);
	else
		r = sd_bus_call_method(bus, DEST, PATH, IFACE, member, &e, &reply,
				       "");
	t = now_usec() - t0;
	sd_bus_message_unref(reply);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", member, e.message ?: e.name ?: "failed");
		sd_bus_error_free(&e);
		return 0;
	}
	return t ?: 1;
}

/* BindingId of budget @id, or -1 with the error printed. */
static int64_t binding_id(sd_bus *bus, const char *id)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int64_t ret = -1;
	const char *key;
	int r;

	r = sd_bus_call_method(bus, DEST, PATH, IFACE, "GetBudget", &e, &reply,
			       "s", id);
	if (r < 0) {
		fprintf(stderr, "GetBudget %s: %s\n", id, e.message ?: "failed");
		sd_bus_error_free(&e);
		return -1;
	}
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r > 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		uint32_t v;

		r = sd_bus_message_read(reply, "s", &key);
		if (r >= 0 && strcmp(key, "BindingId") == 0 &&
		    sd_bus_message_read(reply, "v", "u", &v) >= 0)
			ret = v;
		else if (r >= 0)
			r = sd_bus_message_skip(reply, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	sd_bus_message_unref(reply);
	if (ret < 0)
		fprintf(stderr, "GetBudget %s: no BindingId\n", id);
	return ret;
}

int main(int argc, char *argv[])
{
	uint64_t get_max = 0, get_sum = 0, list_max = 0, t;
	sd_bus *bus = NULL;
	long count;

	if (argc >= 2 && strcmp(argv[1], "--bound") == 0) {
		unsigned bound = 0;

		if (sd_bus_open_system(&bus) < 0)
			return EXIT_FAILURE;
		for (int i = 2; i < argc; i++) {
			int64_t b = binding_id(bus, argv[i]);

			if (b < 0)
				return EXIT_FAILURE;
			bound += b > 0;
		}
		printf("%u\n", bound);
		sd_bus_flush_close_unref(bus);
		return EXIT_SUCCESS;
	}

	if (argc != 3 || (count = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: tlob-e2e-getbudget ID COUNT\n");
		return EXIT_FAILURE;
	}
	if (sd_bus_open_system(&bus) < 0) {
		fprintf(stderr, "cannot connect to the system bus\n");
		return EXIT_FAILURE;
	}
	for (long i = 0; count == 0 || i < count; i++) {
		t = timed_call(bus, "GetBudget", argv[1]);
		if (t == 0)
			return EXIT_FAILURE;
		get_max = t > get_max ? t : get_max;
		get_sum += t;
		if (count == 0)
			continue;
		t = timed_call(bus, "ListBudgets", NULL);
		if (t == 0)
			return EXIT_FAILURE;
		list_max = t > list_max ? t : list_max;
	}
	printf("getbudget_max_us=%" PRIu64 " getbudget_avg_us=%" PRIu64
	       " listbudgets_max_us=%" PRIu64 "\n", get_max,
	       get_sum / (uint64_t)count, list_max);
	sd_bus_flush_close_unref(bus);
	return EXIT_SUCCESS;
}
