/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A streaming JSON writer for tlobctl's --json=short|pretty output.
 *
 * Calls must nest correctly (begin/end pairs, a key before every value
 * inside an object); the writer adds the separators and, in pretty mode,
 * the line breaks and indentation. Strings are escaped; bytes that are
 * not valid UTF-8 are written as U+FFFD, so the output is always valid
 * JSON whatever a process put in its comm.
 */
#ifndef TLOBCTL_JSON_H
#define TLOBCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

typedef enum JsonFormat {
	JSON_OFF,
	JSON_SHORT,
	JSON_PRETTY,
} JsonFormat;

typedef struct JsonWriter {
	FILE *f;
	JsonFormat format;
	unsigned depth;
	bool after_key;
	/* first[d]: nothing written yet inside the container at depth d */
	bool first[JSON_DEPTH_MAX + 1];
} JsonWriter;

/* "short", "pretty" -> format; "off" too; else -EINVAL. */
int json_format_from_string(const char *s, JsonFormat *ret);

void json_writer_init(JsonWriter *w, FILE *f, JsonFormat format);

void json_begin_object(JsonWriter *w);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w);
void json_end_array(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);
void json_string(JsonWriter *w, const char *s);
void json_u64(JsonWriter *w, uint64_t v);
void json_bool(JsonWriter *w, bool b);
void json_null(JsonWriter *w);
/* Ends a top-level value with a newline. */
void json_finish(JsonWriter *w);

/* Writes @s to @f as a JSON string literal, quotes included. */
void json_write_escaped(FILE *f, const char *s);

#endif /* TLOBCTL_JSON_H */
