// SPDX-License-Identifier: GPL-2.0-or-later
/* The action lists of budgets (tlob-action.h). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "tlob-action.h"
#include "tlob-parse.h"

/* Signals a signal= action may name: the kernel's 1-64. */
#define SIGNAL_MAX 64U

static const char *const action_names[] = {
	"signal", "restart", "stop", "snapshot",
};

const char *tlob_action_name(unsigned bit)
{
	for (unsigned i = 0; i < ELEMENTSOF(action_names); i++)
		if (bit == 1U << i)
			return action_names[i];
	return NULL;
}

const char *tlob_signal_to_string(uint32_t sig, char *buf, size_t size)
{
	const char *abbrev = sig > 0 && sig < 32 ? sigabbrev_np((int)sig) : NULL;

	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "%u", sig);
	return buf;
}

int tlob_signal_from_string(const char *s, uint32_t *ret)
{
	const char *name = s;
	char *end;
	unsigned long v;

	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || *end || v < 1 || v > SIGNAL_MAX)
			return -EINVAL;
		*ret = (uint32_t)v;
		return 0;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (int sig = 1; sig < 32; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev && strcasecmp(abbrev, name) == 0) {
			*ret = (uint32_t)sig;
			return 0;
		}
	}
	return -EINVAL;
}

static int fail(TlobActionError *err, const char *item, size_t n,
		const char *why)
{
	if (err) {
		snprintf(err->item, sizeof(err->item), "%.*s", (int)n, item);
		err->why = why;
	}
	return -EINVAL;
}

/* "N/TIME", "N" or "" (1/0) of restart= and stop=. */
static int parse_count_window(const char *v, size_t n, uint32_t *ret_count,
			      uint64_t *ret_usec)
{
	char buf[64], *slash, *end;
	unsigned long count = 1;
	uint64_t ns = 0;

	if (n == 0)
		goto done;
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v, n);
	buf[n] = 0;
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (!isdigit((unsigned char)buf[0]))
		return -EINVAL;
	errno = 0;
	count = strtoul(buf, &end, 10);
	if (errno || *end || count < 1 || count > TLOB_ACTION_COUNT_MAX)
		return -EINVAL;
	if (slash && tlob_parse_timespan_ns(slash + 1, &ns) < 0)
		return -EINVAL;
	if (ns / NSEC_PER_USEC > TLOB_ACTION_WINDOW_MAX_USEC)
		return -ERANGE;
done:
	*ret_count = (uint32_t)count;
	*ret_usec = ns / NSEC_PER_USEC;
	return 0;
}

/* One item, [item, item + n), applied to @a. */
static int parse_item(const char *item, size_t n, TlobActions *a,
		      TlobActionError *err)
{
	const char *eq = memchr(item, '=', n);
	size_t key = eq ? (size_t)(eq - item) : n;
	const char *v = eq ? eq + 1 : NULL;
	size_t vn = eq ? n - key - 1 : 0;
	unsigned bit;
	int r;

#define KEY_IS(s) (key == strlen(s) && strncmp(item, s, key) == 0)
	if (KEY_IS("log") && !eq)
		return 0;
	if (KEY_IS("snapshot") && !eq) {
		a->mask |= TLOB_ACTION_SNAPSHOT;
		return 0;
	}
	if (KEY_IS("signal")) {
		char name[32];
		uint32_t sig;

		if (!eq || vn == 0 || vn >= sizeof(name))
			return fail(err, item, n, "expected signal=SIGNAME");
		memcpy(name, v, vn);
		name[vn] = 0;
		if (tlob_signal_from_string(name, &sig) < 0)
			return fail(err, item, n, "unknown signal (a name of signal(7) or 1-64)");
		if (sig == SIGKILL || sig == SIGSTOP)
			return fail(err, item, n, "SIGKILL and SIGSTOP are refused: use stop or restart");
		a->mask |= TLOB_ACTION_SIGNAL;
		a->signal = sig;
		return 0;
	}
	if (KEY_IS("restart") || KEY_IS("stop")) {
		uint32_t count;
		uint64_t usec;

		bit = KEY_IS("restart") ? TLOB_ACTION_RESTART : TLOB_ACTION_STOP;
		if (eq && vn == 0)
			return fail(err, item, n, "expected N/TIME after '='");
		r = parse_count_window(v, vn, &count, &usec);
		if (r == -ERANGE)
			return fail(err, item, n, "TIME is over 1 day");
		if (r < 0)
			return fail(err, item, n, "expected N/TIME: N from 1 to 100, TIME a time span");
		a->mask &= ~(TLOB_ACTION_RESTART | TLOB_ACTION_STOP);
		a->mask |= bit;
		a->unit_count = count;
		a->unit_window_usec = usec;
		return 0;
	}
#undef KEY_IS
	return fail(err, item, n, "unknown action (log, signal=, restart, stop, snapshot)");
}

int tlob_actions_parse(const char *s, TlobActions *a, TlobActionError *err)
{
	TlobActions t = *a;
	bool empty = true;
	int r;

	for (const char *p = s;;) {
		size_t n;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		n = strcspn(p, " \t\n\r\f\v");
		r = parse_item(p, n, &t, err);
		if (r < 0)
			return r;
		empty = false;
		p += n;
	}
	*a = empty ? (TlobActions) {} : t;
	return 0;
}

bool tlob_actions_equal(const TlobActions *a, const TlobActions *b)
{
	bool unit = a->mask & (TLOB_ACTION_RESTART | TLOB_ACTION_STOP);

	return a->mask == b->mask &&
	       (!(a->mask & TLOB_ACTION_SIGNAL) || a->signal == b->signal) &&
	       (!unit || (a->unit_count == b->unit_count &&
			  a->unit_window_usec == b->unit_window_usec));
}

int tlob_actions_format(const TlobActions *a, char **ret)
{
	char sig[16], span[TLOB_TIMESPAN_MAX], *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	if (!f)
		return -ENOMEM;
	fputs("log", f);
	if (a->mask & TLOB_ACTION_SIGNAL)
		fprintf(f, " signal=%s",
			tlob_signal_to_string(a->signal, sig, sizeof(sig)));
	if (a->mask & (TLOB_ACTION_RESTART | TLOB_ACTION_STOP)) {
		const char *name = a->mask & TLOB_ACTION_RESTART ? "restart" : "stop";

		if (a->unit_count == 1 && a->unit_window_usec == 0) {
			fprintf(f, " %s", name);
		} else {
			char *w = span;

			tlob_format_timespan(span, sizeof(span),
					     a->unit_window_usec * NSEC_PER_USEC,
					     TLOB_TIMESPAN_EXACT);
			/* One item: "1min 30s" as "1min30s", which parses. */
			for (char *c = span; *c; c++)
				if (*c != ' ')
					*w++ = *c;
			*w = 0;
			fprintf(f, " %s=%u/%s", name, a->unit_count, span);
		}
	}
	if (a->mask & TLOB_ACTION_SNAPSHOT)
		fputs(" snapshot", f);
	if (fclose(f) != 0) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}
