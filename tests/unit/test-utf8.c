// SPDX-License-Identifier: GPL-2.0-or-later
/* tlob_utf8_sanitize() (common/utf8.c) on what a task may call itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "utf8.h"

static void check(const char *in, size_t len, const char *want)
{
	char out[64];

	assert_string_equal(tlob_utf8_sanitize(out, sizeof(out), in, len), want);
}

static void test_sanitize(void **state)
{
	/* Plain names, and valid UTF-8 of any length, stay. */
	check("nginx", 16, "nginx");
	check("\xc3\x9cnic\xc3\xb8" "de", 16, "\xc3\x9cnic\xc3\xb8" "de");
	check("\xe2\x82\xac" "\xf0\x9f\x90\xa7", 16, "\xe2\x82\xac" "\xf0\x9f\x90\xa7");
	/* Control characters: C0, DEL, and C1 (one '?' for its two bytes). */
	check("a\nb\tc\x1b[31m", 16, "a?b?c?[31m");
	check("x\x7fy\xc2\x85z", 16, "x?y?z");
	/* Bytes that are not UTF-8: one '?' each. */
	check("\xff\xfe" "ok", 16, "??ok");
	check("\xc0\xaf", 16, "??");			/* overlong '/' */
	check("\xed\xa0\x80", 16, "???");		/* a surrogate */
	check("\xf4\x90\x80\x80", 16, "????");		/* past U+10FFFF */
	/* A sequence cut by the kernel's 15-byte limit. */
	check("abcdefghijklmn\xc3", 16, "abcdefghijklmn?");
	/* No NUL within the length: all of it, no more. */
	check("0123456789abcdefXYZ", 16, "0123456789abcdef");
	check("", 16, "");
}

static void test_sanitize_small_buffer(void **state)
{
	char out[4];

	/* Never more than fits; never half a character. */
	assert_string_equal(tlob_utf8_sanitize(out, sizeof(out), "abcdef", 6), "abc");
	assert_string_equal(tlob_utf8_sanitize(out, sizeof(out), "ab\xe2\x82\xac", 5), "ab");
	assert_string_equal(tlob_utf8_sanitize(out, 1, "abc", 3), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_sanitize_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
