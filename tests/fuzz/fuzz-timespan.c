// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer harness: systemd time spans, parse and format round trip. */
#include "fuzz.h"
#include "macro.h"
#include "tlob-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_string(data, size);
	char buf[TLOB_TIMESPAN_MAX], ms[64];
	uint64_t ns, back;

	if (!s || tlob_parse_timespan_ns(s, &ns) < 0)
		return 0;
	tlob_format_timespan(buf, sizeof(buf), ns, TLOB_TIMESPAN_EXACT);
	FUZZ_ASSERT(tlob_parse_timespan_ns(buf, &back) == 0);
	FUZZ_ASSERT(back == ns);
	tlob_format_timespan(ms, sizeof(ms), ns, TLOB_TIMESPAN_MSEC);
	tlob_format_timespan(ms, sizeof(ms), ns, TLOB_TIMESPAN_SHORT);
	return 0;
}
