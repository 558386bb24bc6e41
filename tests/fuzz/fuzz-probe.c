// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness: probe specifications and TlobBudget= values. */
#include "fuzz.h"
#include "macro.h"
#include "tlob-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_string(data, size);
	_cleanup_free_ char *out = NULL, *again = NULL, *probe = NULL;
	TlobProbe p = {}, q = {};
	uint64_t ns;

	if (!s)
		return 0;
	if (tlob_probe_parse(s, &p) == 0) {
		/* The canonical form must parse, to the same canonical form. */
		FUZZ_ASSERT(tlob_probe_format(&p, &out) == 0);
		FUZZ_ASSERT(tlob_probe_parse(out, &q) == 0);
		FUZZ_ASSERT(tlob_probe_format(&q, &again) == 0);
		FUZZ_ASSERT(streq(out, again));
		tlob_probe_done(&p);
		tlob_probe_done(&q);
	}
	if (tlob_parse_budget_value(s, &probe, &ns) == 0)
		FUZZ_ASSERT(tlob_budget_is_valid(ns));
	(void)tlob_unit_name_is_valid(s);
	(void)tlob_budget_id_is_valid(s);
	return 0;
}
