// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Streaming JSON writer, see json.h.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"

int json_format_from_string(const char *s, JsonFormat *ret)
{
	if (strcmp(s, "short") == 0)
		*ret = JSON_SHORT;
	else if (strcmp(s, "pretty") == 0)
		*ret = JSON_PRETTY;
	else if (strcmp(s, "off") == 0)
		*ret = JSON_OFF;
	else
		return -EINVAL;
	return 0;
}

void json_writer_init(JsonWriter *w, FILE *f, JsonFormat format)
{
	*w = (JsonWriter) {
		.f = f,
		.format = format,
	};
	w->first[0] = true;
}

static void json_indent(JsonWriter *w, unsigned depth)
{
	fputc('\n', w->f);
	for (unsigned i = 0; i < depth; i++)
		fputs("  ", w->f);
}

/* Separator and indentation before a value or a key. */
static void json_prefix(JsonWriter *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->f);
	if (w->format == JSON_PRETTY && w->depth > 0)
		json_indent(w, w->depth);
	w->first[w->depth] = false;
}

static void json_begin(JsonWriter *w, char c)
{
	json_prefix(w);
	fputc(c, w->f);
	assert(w->depth < JSON_DEPTH_MAX);
	w->depth++;
	w->first[w->depth] = true;
}

static void json_end(JsonWriter *w, char c)
{
	assert(w->depth > 0);
	if (!w->first[w->depth] && w->format == JSON_PRETTY)
		json_indent(w, w->depth - 1);
	w->depth--;
	fputc(c, w->f);
}

void json_begin_object(JsonWriter *w)
{
	json_begin(w, '{');
}

void json_end_object(JsonWriter *w)
{
	json_end(w, '}');
}

void json_begin_array(JsonWriter *w)
{
	json_begin(w, '[');
}

void json_end_array(JsonWriter *w)
{
	json_end(w, ']');
}

void json_key(JsonWriter *w, const char *key)
{
	json_prefix(w);
	json_write_escaped(w->f, key);
	fputs(w->format == JSON_PRETTY ? ": " : ":", w->f);
	w->after_key = true;
}

void json_string(JsonWriter *w, const char *s)
{
	json_prefix(w);
	json_write_escaped(w->f, s ?: "");
}

void json_u64(JsonWriter *w, uint64_t v)
{
	json_prefix(w);
	fprintf(w->f, "%" PRIu64, v);
}

void json_bool(JsonWriter *w, bool b)
{
	json_prefix(w);
	fputs(b ? "true" : "false", w->f);
}

void json_null(JsonWriter *w)
{
	json_prefix(w);
	fputs("null", w->f);
}

void json_finish(JsonWriter *w)
{
	assert(w->depth == 0);
	fputc('\n', w->f);
	w->first[0] = true;
}

/*
 * Length of the valid UTF-8 sequence at @s (1-4), or 0 if it is not one:
 * overlong forms, surrogates and code points above U+10FFFF are invalid.
 */
static size_t utf8_sequence_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;

	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void json_write_escaped(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n;

		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			n = utf8_sequence_len(s);
			if (n == 0) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', f);
}
