// SPDX-License-Identifier: GPL-2.0-or-later
#include "ratelimit.h"

static bool interval_over(const RateLimit *rl, uint64_t now)
{
	return !rl->active || now < rl->begin ||
	       now - rl->begin >= rl->interval_usec;
}

bool ratelimit_below(RateLimit *rl, uint64_t now, uint64_t *ret_suppressed)
{
	uint64_t s = 0;

	if (interval_over(rl, now)) {
		s = rl->suppressed;
		rl->begin = now;
		rl->active = true;
		rl->num = 0;
		rl->suppressed = 0;
	}
	if (ret_suppressed)
		*ret_suppressed = s;
	if (rl->num < rl->burst) {
		rl->num++;
		return true;
	}
	rl->suppressed++;
	return false;
}

uint64_t ratelimit_flush(RateLimit *rl, uint64_t now)
{
	uint64_t s;

	if (rl->suppressed == 0 || !interval_over(rl, now))
		return 0;
	s = rl->suppressed;
	rl->active = false;
	rl->num = 0;
	rl->suppressed = 0;
	return s;
}

uint64_t ratelimit_end(const RateLimit *rl)
{
	return rl->begin + rl->interval_usec;
}
