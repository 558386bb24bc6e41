// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness: [X-Tlob] drop-in files. */
#include "dropin.h"
#include "fuzz.h"
#include "macro.h"
#include "tlob-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TlobBudgetList l = {};
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (tlob_dropin_parse(f, "fuzz.conf", &l, NULL, NULL) == 0)
		for (size_t i = 0; i < l.n; i++) {
			TlobProbe p = {};

			/* Whatever was accepted is valid and canonical. */
			FUZZ_ASSERT(tlob_budget_is_valid(l.entries[i].budget_ns));
			FUZZ_ASSERT(tlob_probe_parse(l.entries[i].probe, &p) == 0);
			tlob_probe_done(&p);
		}
	fclose(f);
	tlob_budget_list_done(&l);
	return 0;
}
