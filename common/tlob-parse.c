// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <strings.h>
#include <linux/tlob.h>

#include "macro.h"
#include "tlob-parse.h"

struct time_unit {
	const char *name;
	uint64_t ns;
};

#define NSEC_PER_MINUTE	(60 * NSEC_PER_SEC)
#define NSEC_PER_HOUR	(60 * NSEC_PER_MINUTE)
#define NSEC_PER_DAY	(24 * NSEC_PER_HOUR)
#define NSEC_PER_WEEK	(7 * NSEC_PER_DAY)
/* As systemd: a month is 30.44 days, a year 365.25 days. */
#define NSEC_PER_MONTH	(2629800ULL * NSEC_PER_SEC)
#define NSEC_PER_YEAR	(31557600ULL * NSEC_PER_SEC)

static const struct time_unit time_units[] = {
	{ "ns", 1 }, { "nsec", 1 },
	{ "us", NSEC_PER_USEC }, { "usec", NSEC_PER_USEC },
	{ "\xc2\xb5s", NSEC_PER_USEC }, { "\xce\xbcs", NSEC_PER_USEC },
	{ "ms", NSEC_PER_MSEC }, { "msec", NSEC_PER_MSEC },
	{ "s", NSEC_PER_SEC }, { "sec", NSEC_PER_SEC },
	{ "second", NSEC_PER_SEC }, { "seconds", NSEC_PER_SEC },
	{ "m", NSEC_PER_MINUTE }, { "min", NSEC_PER_MINUTE },
	{ "minute", NSEC_PER_MINUTE }, { "minutes", NSEC_PER_MINUTE },
	{ "h", NSEC_PER_HOUR }, { "hr", NSEC_PER_HOUR },
	{ "hour", NSEC_PER_HOUR }, { "hours", NSEC_PER_HOUR },
	{ "d", NSEC_PER_DAY }, { "day", NSEC_PER_DAY }, { "days", NSEC_PER_DAY },
	{ "w", NSEC_PER_WEEK }, { "week", NSEC_PER_WEEK },
	{ "weeks", NSEC_PER_WEEK },
	{ "M", NSEC_PER_MONTH }, { "month", NSEC_PER_MONTH },
	{ "months", NSEC_PER_MONTH },
	{ "y", NSEC_PER_YEAR }, { "year", NSEC_PER_YEAR },
	{ "years", NSEC_PER_YEAR },
};

static bool is_unit_char(char c)
{
	/* Letters, and the bytes of the UTF-8 micro signs. */
	return isalpha((unsigned char)c) || (unsigned char)c >= 0x80;
}

static int lookup_time_unit(const char *s, size_t n, uint64_t *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(time_units); i++)
		if (strlen(time_units[i].name) == n &&
		    memcmp(time_units[i].name, s, n) == 0) {
			*ret = time_units[i].ns;
			return 0;
		}
	return -EINVAL;
}

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *ret)
{
	return __builtin_add_overflow(a, b, ret);
}

/* Parse one "NUMBER[.FRACTION][ ]UNIT" at *p, add its value to *sum. */
static int parse_time_component(const char **p, uint64_t *sum)
{
	const char *s = *p, *unit;
	uint64_t whole = 0, frac = 0, frac_div = 1, mult, v;
	bool digits = false;
	int r;

	while (isdigit((unsigned char)*s)) {
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    add_overflows(whole, (uint64_t)(*s - '0'), &whole))
			return -ERANGE;
		digits = true;
		s++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			/* Digits beyond 10^-18 cannot matter for ns. */
			if (frac_div < 1000000000000000000ULL) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				frac_div *= 10;
			}
			digits = true;
			s++;
		}
	}
	if (!digits)
		return -EINVAL;

	while (*s == ' ' || *s == '\t')
		s++;
	unit = s;
	while (is_unit_char(*s))
		s++;
	if (s == unit)
		mult = NSEC_PER_SEC;
	else {
		r = lookup_time_unit(unit, (size_t)(s - unit), &mult);
		if (r < 0)
			return r;
	}
	/*
	 * A component ends at whitespace or the end; "1s20ms" may glue a
	 * number right after a unit, but "1.5.5s" or "1s.5ms" are refused.
	 */
	if (*s && !isspace((unsigned char)*s) &&
	    (s == unit || !isdigit((unsigned char)*s)))
		return -EINVAL;

	if (__builtin_mul_overflow(whole, mult, &v))
		return -ERANGE;
	/*
	 * frac / frac_div * mult, without overflow: frac < frac_div <= 10^18
	 * and mult < 2^55, so use 128-bit arithmetic; truncate below 1 ns.
	 */
	if (add_overflows(v, (uint64_t)((unsigned __int128)frac * mult / frac_div),
			  &v))
		return -ERANGE;
	if (add_overflows(*sum, v, sum))
		return -ERANGE;
	*p = s;
	return 0;
}

int tlob_parse_timespan_ns(const char *s, uint64_t *ret)
{
	uint64_t sum = 0;
	bool any = false;
	int r;

	if (!s)
		return -EINVAL;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		r = parse_time_component(&s, &sum);
		if (r < 0)
			return r;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*ret = sum;
	return 0;
}

/* The units durations are written in, largest first. */
static const struct time_unit format_units[] = {
	{ "d", NSEC_PER_DAY }, { "h", NSEC_PER_HOUR },
	{ "min", NSEC_PER_MINUTE }, { "s", NSEC_PER_SEC },
	{ "ms", NSEC_PER_MSEC }, { "us", NSEC_PER_USEC }, { "ns", 1 },
};

static const struct time_unit *format_unit(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(format_units); i++)
		if (streq(format_units[i].name, name))
			return &format_units[i];
	return NULL;
}

static void format_exact(char *buf, size_t size, uint64_t ns)
{
	size_t n = 0;

	if (ns == 0) {
		snprintf(buf, size, "0");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(format_units) && ns > 0; i++) {
		uint64_t q = ns / format_units[i].ns;
		int k;

		if (q == 0)
			continue;
		ns -= q * format_units[i].ns;
		k = snprintf(buf + n, size - n, "%s%" PRIu64 "%s",
			     n > 0 ? " " : "", q, format_units[i].name);
		if (k < 0 || (size_t)k >= size - n) {
			buf[n] = 0;	/* drop the truncated component */
			break;
		}
		n += (size_t)k;
	}
}

static void format_msec(char *buf, size_t size, uint64_t ns)
{
	const struct time_unit *u = format_unit("ms");
	/* Tenths of the unit, rounded half up. */
	uint64_t tenths = ns / (u->ns / 10) + (ns % (u->ns / 10) >= u->ns / 20);

	snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%s", tenths / 10,
		 tenths % 10, u->name);
}

static void format_short(char *buf, size_t size, uint64_t ns)
{
	/* From seconds down: "min", "h" and "d" are for exact forms only. */
	for (const struct time_unit *u = format_unit("s"); u->ns > 1; u++) {
		uint64_t whole = ns / u->ns, frac = ns % u->ns;

		if (whole == 0)
			continue;
		if (whole >= 100)
			snprintf(buf, size, "%" PRIu64 "%s", whole, u->name);
		else if (whole >= 10)
			snprintf(buf, size, "%" PRIu64 ".%01" PRIu64 "%s", whole,
				 frac * 10 / u->ns, u->name);
		else
			snprintf(buf, size, "%" PRIu64 ".%02" PRIu64 "%s", whole,
				 frac * 100 / u->ns, u->name);
		return;
	}
	snprintf(buf, size, "%" PRIu64 "ns", ns);
}

char *tlob_format_timespan(char *buf, size_t size, uint64_t ns,
			   TlobTimespanStyle style)
{
	if (size == 0)
		return buf;
	buf[0] = 0;
	switch (style) {
	case TLOB_TIMESPAN_EXACT:
		format_exact(buf, size, ns);
		break;
	case TLOB_TIMESPAN_MSEC:
		format_msec(buf, size, ns);
		break;
	case TLOB_TIMESPAN_SHORT:
		format_short(buf, size, ns);
		break;
	}
	return buf;
}

bool tlob_budget_is_valid(uint64_t ns)
{
	return ns > 0 && ns <= TLOB_MAX_THRESHOLD_NS;
}

static bool is_symbol_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

/* Unsigned number, "0x" hex or decimal, the whole of [s, s + n). */
static int parse_u64_n(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned d;

		if (isdigit((unsigned char)s[i]))
			d = (unsigned)(s[i] - '0');
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
		else
			return -EINVAL;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* One probe point, the whole of [s, s + n). */
static int parse_point(const char *s, size_t n, TlobProbePoint *ret)
{
	const char *plus;
	size_t symlen;
	uint64_t off = 0;
	char *sym;
	int r;

	if (n == 0)
		return -EINVAL;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		r = parse_u64_n(s, n, &off);
		if (r < 0)
			return r;
		*ret = (TlobProbePoint) { .symbol = NULL, .offset = off };
		return 0;
	}

	plus = memchr(s, '+', n);
	symlen = plus ? (size_t)(plus - s) : n;
	/* No leading or trailing '.', so "a..b" splits one way only. */
	if (symlen == 0 || isdigit((unsigned char)s[0]) || s[0] == '.' ||
	    s[symlen - 1] == '.')
		return -EINVAL;
	for (size_t i = 0; i < symlen; i++) {
		if (!is_symbol_char(s[i]))
			return -EINVAL;
		if (s[i] == '.' && i + 1 < symlen && s[i + 1] == '.')
			return -EINVAL;
	}
	if (plus) {
		r = parse_u64_n(plus + 1, n - symlen - 1, &off);
		if (r < 0)
			return r;
	}
	sym = strndup(s, symlen);
	if (!sym)
		return -ENOMEM;
	*ret = (TlobProbePoint) { .symbol = sym, .offset = off };
	return 0;
}

void tlob_probe_done(TlobProbe *p)
{
	free(p->path);
	free(p->start.symbol);
	free(p->stop.symbol);
	*p = (TlobProbe) {};
}

int tlob_probe_parse(const char *s, TlobProbe *ret)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	const char *points = s, *colon, *dots;
	size_t len;
	int r;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0 || len >= TLOB_PROBE_MAX)
		return -EINVAL;
	for (const char *c = s; *c; c++)
		if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
			return -EINVAL;

	colon = strrchr(s, ':');
	if (s[0] == '/') {
		if (!colon)
			return -EINVAL;
		/* A path is a file: not "/", not ending in "/". */
		if (colon == s + 1 || colon[-1] == '/' ||
		    (size_t)(colon - s) >= PATH_MAX)
			return -EINVAL;
		p.path = strndup(s, (size_t)(colon - s));
		if (!p.path)
			return -ENOMEM;
		points = colon + 1;
	} else if (colon)
		return -EINVAL;	/* relative paths are ambiguous */

	dots = strstr(points, "..");
	if (dots) {
		r = parse_point(points, (size_t)(dots - points), &p.start);
		if (r < 0)
			return r;
		r = parse_point(dots + 2, strlen(dots + 2), &p.stop);
		if (r < 0)
			return r;
		p.has_stop = true;
	} else {
		r = parse_point(points, strlen(points), &p.start);
		if (r < 0)
			return r;
	}

	*ret = p;
	p = (TlobProbe) {};
	return 0;
}

static int format_point(FILE *f, const TlobProbePoint *pt)
{
	if (!pt->symbol)
		return fprintf(f, "0x%" PRIx64, pt->offset);
	if (pt->offset)
		return fprintf(f, "%s+0x%" PRIx64, pt->symbol, pt->offset);
	return fprintf(f, "%s", pt->symbol);
}

int tlob_probe_format(const TlobProbe *p, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	if (p->path)
		fprintf(f, "%s:", p->path);
	format_point(f, &p->start);
	if (p->has_stop) {
		fputs("..", f);
		format_point(f, &p->stop);
	}
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

int tlob_parse_budget_value(const char *value, char **ret_probe,
			    uint64_t *ret_ns)
{
	_cleanup_(tlob_probe_done) TlobProbe p = {};
	_cleanup_free_ char *word = NULL;
	char *canonical;
	const char *e;
	uint64_t ns;
	int r;

	while (isspace((unsigned char)*value))
		value++;
	e = value;
	while (*e && !isspace((unsigned char)*e))
		e++;
	if (e == value)
		return -EBADMSG;
	for (const char *b = e; !*b || isspace((unsigned char)*b); b++)
		if (!*b)
			return -EBADMSG;	/* no budget */
	word = strndup(value, (size_t)(e - value));
	if (!word)
		return -ENOMEM;
	r = tlob_probe_parse(word, &p);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return -EBADMSG;

	r = tlob_parse_timespan_ns(e, &ns);
	if (r < 0)
		return r;
	if (!tlob_budget_is_valid(ns))
		return -ERANGE;

	r = tlob_probe_format(&p, &canonical);
	if (r < 0)
		return r;
	*ret_probe = canonical;
	*ret_ns = ns;
	return 0;
}

static const char *const unit_types[] = {
	"service", "socket", "target", "device", "mount", "automount",
	"swap", "timer", "path", "slice", "scope",
};

bool tlob_unit_type_is_valid(const char *type)
{
	for (size_t i = 0; i < ELEMENTSOF(unit_types); i++)
		if (streq(type, unit_types[i]))
			return true;
	return false;
}

static bool unit_name_check(const char *name, bool allow_template)
{
	const char *dot, *at;
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len == 0 || len > 255)
		return false;
	dot = strrchr(name, '.');
	if (!dot || dot == name)
		return false;
	if (!tlob_unit_type_is_valid(dot + 1))
		return false;

	for (const char *c = name; c < dot; c++)
		if (!isalnum((unsigned char)*c) && !strchr(":_.\\-@", *c))
			return false;

	at = strchr(name, '@');
	if (at) {
		if (at == name || memchr(at + 1, '@', (size_t)(dot - at - 1)))
			return false;
		if (at + 1 == dot && !allow_template)
			return false;
	}
	return true;
}

bool tlob_unit_name_is_valid(const char *name)
{
	return unit_name_check(name, true);
}

bool tlob_unit_name_is_concrete(const char *name)
{
	return unit_name_check(name, false);
}

bool tlob_budget_id_is_valid(const char *id)
{
	size_t n;

	if (!id)
		return false;
	n = strlen(id);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)id[i]) &&
		    !isdigit((unsigned char)id[i]) && id[i] != '_' &&
		    id[i] != '-')
			return false;
	return true;
}

int tlob_parse_boolean(const char *s)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}
