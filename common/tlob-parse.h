/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsers shared by tlob-manager and tlobctl: systemd time spans, probe
 * specifications and unit names. Pure functions: no I/O, no logging.
 * Every parser returns 0 or a negative errno and leaves its output
 * untouched on failure.
 */
#ifndef TLOB_PARSE_H
#define TLOB_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Time spans, systemd syntax: one or more "NUMBER[UNIT]" components,
 * optionally separated by whitespace, summed: "20ms", "1s 20ms", "1s20ms",
 * "1.5s", "500us", "2min". Units: ns nsec, us usec µs, ms msec, s sec
 * second(s), m min minute(s), h hr hour(s), d day(s), w week(s), M month(s),
 * y year(s). A number without unit is seconds, as in systemd's parse_sec().
 * Fractions are exact to the nanosecond.
 *
 * Returns -EINVAL when malformed, -ERANGE when it does not fit in u64 ns.
 */
int tlob_parse_timespan_ns(const char *s, uint64_t *ret);

/* Longest output of tlob_format_timespan(), including the NUL. */
#define TLOB_TIMESPAN_MAX 96

/* How tlob_format_timespan() writes a duration. */
typedef enum TlobTimespanStyle {
	/*
	 * Exact and re-parseable, for files: the non-zero components from
	 * days down to nanoseconds separated by a space, "1s 20ms",
	 * "500us", "0" for zero.
	 */
	TLOB_TIMESPAN_EXACT,
	/*
	 * For people, in the journal's MESSAGE: milliseconds with one
	 * decimal, rounded half up: "0.4ms", "99.5ms", "1500.0ms".
	 */
	TLOB_TIMESPAN_MSEC,
	/*
	 * For people, in tables: the largest of s, ms, us, ns that is not
	 * zero, three significant digits, truncated: "1.23us", "20.1ms",
	 * "999ms", "3600s", "999ns".
	 */
	TLOB_TIMESPAN_SHORT,
} TlobTimespanStyle;

/*
 * The one formatter of durations (@ns nanoseconds) of tlob, in @style.
 * Writes at most @size bytes, NUL included (an EXACT form that does not
 * fit is cut after its last whole component). Returns @buf.
 */
char *tlob_format_timespan(char *buf, size_t size, uint64_t ns,
			   TlobTimespanStyle style);

/* A budget must be > 0 and at most TLOB_MAX_THRESHOLD_NS (1 hour). */
bool tlob_budget_is_valid(uint64_t ns);

/*
 * A boolean as systemd spells them: 1/yes/y/true/t/on and 0/no/n/false/
 * f/off, any case. 1 or 0, -EINVAL for anything else.
 */
int tlob_parse_boolean(const char *s);

/*
 * Probe specifications: [PATH:]START[..STOP]
 *
 * PATH is absolute and may itself contain ':' (the last ':' separates it);
 * START and STOP are each "SYMBOL", "SYMBOL+OFF" (OFF hex with 0x or
 * decimal) or a raw ELF file offset "0xHEX". SYMBOL is made of
 * [A-Za-z0-9_.$], starts with neither a digit nor '.', does not end in
 * '.' and has no "..". No
 * whitespace anywhere.
 */
typedef struct TlobProbePoint {
	char *symbol;		/* NULL: @offset is a raw ELF file offset */
	uint64_t offset;	/* addend to @symbol, or the file offset */
} TlobProbePoint;

typedef struct TlobProbe {
	char *path;		/* NULL: the unit's main executable */
	TlobProbePoint start;
	TlobProbePoint stop;
	bool has_stop;		/* false: window ends on return from START */
} TlobProbe;

/* Longest probe specification accepted (PATH_MAX plus two points). */
#define TLOB_PROBE_MAX 4352

/* -EINVAL when malformed, -ENOMEM. */
int tlob_probe_parse(const char *s, TlobProbe *ret);
/* Frees the members and zeroes @p; safe on a zeroed probe. */
void tlob_probe_done(TlobProbe *p);
/* Canonical text form ("/bin/x:main+0x10..0x1f00"); -ENOMEM. */
int tlob_probe_format(const TlobProbe *p, char **ret);

/*
 * The value of a "TlobBudget=" line: "PROBE BUDGET". The probe is the
 * first whitespace-separated word, the budget is the rest (a time span
 * that may contain spaces). -EBADMSG: bad probe (or no budget);
 * -EINVAL: bad time span; -ERANGE: budget out of range.
 * @ret_probe gets the probe text in canonical form.
 */
int tlob_parse_budget_value(const char *value, char **ret_probe,
			    uint64_t *ret_ns);

/*
 * systemd unit names: "NAME.TYPE" with NAME of [A-Za-z0-9:_.\\-] and at
 * most one '@' (template "foo@.service" or instance "foo@bar.service"),
 * TYPE one of systemd's unit types, at most 255 characters.
 */
bool tlob_unit_name_is_valid(const char *name);
/* Like the above but a template ("foo@.service") is refused. */
bool tlob_unit_name_is_concrete(const char *name);

/* One of systemd's unit types: "service", "socket", ... */
bool tlob_unit_type_is_valid(const char *type);

/* Budget ids: 1-64 characters of [a-z0-9_-]. */
bool tlob_budget_id_is_valid(const char *id);

#endif /* TLOB_PARSE_H */
