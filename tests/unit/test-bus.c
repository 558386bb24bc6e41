// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sd-bus helpers of common/: reading a{sv} dictionaries
 * (bus-dict.h), on messages built and sealed without a connection, and
 * the errno values of the org.tlob.Error names (bus-errors.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "bus-dict.h"
#include "bus-errors.h"
#include "macro.h"

/* A bus that is started (messages can be made), on a socket nobody reads. */
static sd_bus *bus_new(void)
{
	sd_bus *bus = NULL;
	int s[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
	assert_int_equal(sd_bus_new(&bus), 0);
	assert_int_equal(sd_bus_set_fd(bus, s[0], s[0]), 0);
	assert_int_equal(sd_bus_start(bus), 0);
	close(s[1]);
	return bus;
}

/* A sealed signal message with body @types/...; rewound for reading. */
static sd_bus_message *message(sd_bus *bus, const char *types, ...)
{
	sd_bus_message *m = NULL;
	va_list ap;

	assert_int_equal(sd_bus_message_new_signal(bus, &m, "/t", "org.tlob.Test",
						   "T"), 0);
	va_start(ap, types);
	assert_true(sd_bus_message_appendv(m, types, ap) >= 0);
	va_end(ap);
	assert_true(sd_bus_message_seal(m, 1, 0) >= 0);
	assert_true(sd_bus_message_rewind(m, true) >= 0);
	return m;
}

typedef struct Seen {
	char keys[256];
	uint64_t t;
	const char *s;
	unsigned n;
	unsigned fail_at;	/* entry (1-based) that returns fail_with */
	int fail_with;
} Seen;

static int on_entry(sd_bus_message *m, const char *key, void *userdata)
{
	Seen *s = userdata;

	s->n++;
	strncat(s->keys, key, sizeof(s->keys) - strlen(s->keys) - 2);
	strcat(s->keys, ",");
	if (s->n == s->fail_at)
		return s->fail_with;
	if (streq(key, "T"))
		return sd_bus_message_read(m, "v", "t", &s->t);
	if (streq(key, "S"))
		return sd_bus_message_read(m, "v", "s", &s->s);
	return 0;	/* skipped */
}

static void test_read_dict(void **state)
{
	_cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	Seen s = {};
	uint32_t after = 0;

	bus = bus_new();
	m = message(bus, "a{sv}u", 4, "T", "t", (uint64_t)42, "X", "a(tt)", 2,
		    (uint64_t)1, (uint64_t)2, (uint64_t)3, (uint64_t)4,
		    "S", "s", "text", "Y", "b", 1, 7);
	assert_int_equal(bus_read_dict(m, on_entry, &s), 0);
	assert_string_equal(s.keys, "T,X,S,Y,");
	assert_int_equal(s.t, 42);
	assert_string_equal(s.s, "text");
	/* The message is left right after the dictionary. */
	assert_int_equal(sd_bus_message_read(m, "u", &after), 1);
	assert_int_equal(after, 7);
}

static void test_read_dict_empty_and_errors(void **state)
{
	_cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
	sd_bus_message *m;
	Seen s = {};

	bus = bus_new();
	m = message(bus, "a{sv}", 0);
	assert_int_equal(bus_read_dict(m, on_entry, &s), 0);
	assert_int_equal(s.n, 0);
	sd_bus_message_unref(m);

	/* The callback's error ends the read and is returned. */
	s = (Seen) { .fail_at = 2, .fail_with = -EBADR };
	m = message(bus, "a{sv}", 3, "A", "u", 1, "B", "u", 2, "C", "u", 3);
	assert_int_equal(bus_read_dict(m, on_entry, &s), -EBADR);
	assert_string_equal(s.keys, "A,B,");
	sd_bus_message_unref(m);

	/* Not a dictionary. */
	m = message(bus, "as", 1, "x");
	assert_true(bus_read_dict(m, on_entry, &s) < 0);
	sd_bus_message_unref(m);
}

static void test_error_map(void **state)
{
	static const struct {
		const char *name;
		int errno_value;
	} t[] = {
		{ TLOB_ERROR_INVALID_PROBE, EINVAL },
		{ TLOB_ERROR_NO_SUCH_SYMBOL, ENXIO },
		{ TLOB_ERROR_NO_SUCH_FILE, ENOENT },
		{ TLOB_ERROR_INVALID_BUDGET, ERANGE },
		{ TLOB_ERROR_NO_SUCH_UNIT, ENOENT },
		{ TLOB_ERROR_NO_SUCH_BUDGET, ENOENT },
		{ TLOB_ERROR_EXISTS, EEXIST },
		{ TLOB_ERROR_TOO_MANY, ENOSPC },
		{ TLOB_ERROR_KERNEL_UNAVAILABLE, ENODEV },
		{ TLOB_ERROR_INVALID_ACTION, EINVAL },
	};
	size_t n = 0;

	/* Every name of the contract has its errno, none is left out. */
	for (const sd_bus_error_map *e = tlob_bus_error_map; e->name; e++)
		n++;
	assert_int_equal(n, ELEMENTSOF(t));

	/* Before registering: the generic EIO of unknown names. */
	{
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

		assert_int_equal(sd_bus_error_set(&e, TLOB_ERROR_EXISTS, "x"), -EIO);
	}
	assert_int_equal(tlob_bus_errors_register(), 0);
	assert_int_equal(tlob_bus_errors_register(), 0);	/* twice is fine */
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

		assert_int_equal(sd_bus_error_set(&e, t[i].name, "x"),
				 -t[i].errno_value);
		assert_int_equal(sd_bus_error_get_errno(&e), t[i].errno_value);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_map),
		cmocka_unit_test(test_read_dict),
		cmocka_unit_test(test_read_dict_empty_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
