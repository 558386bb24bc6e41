// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness: action lists, parse and canonical text round trip. */
#include "fuzz.h"
#include "macro.h"
#include "tlob-action.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_string(data, size), *text = NULL;
	_cleanup_free_ char *again = NULL;
	TlobActions a = {}, b = {};
	TlobActionError e;

	if (!s)
		return 0;
	if (tlob_actions_parse(s, &a, &e) < 0) {
		FUZZ_ASSERT(e.why && e.item[0]);
		return 0;
	}
	FUZZ_ASSERT(tlob_actions_format(&a, &text) == 0);
	FUZZ_ASSERT(tlob_actions_parse(text, &b, NULL) == 0);
	FUZZ_ASSERT(tlob_actions_equal(&a, &b));
	FUZZ_ASSERT(tlob_actions_format(&b, &again) == 0);
	FUZZ_ASSERT(streq(text, again));
	return 0;
}
