// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

/*
 * The length of the valid UTF-8 sequence at @s (at most @n bytes), with
 * its code point in *@ret; 0 when there is none (overlong forms,
 * surrogates and code points past U+10FFFF are not valid).
 */
static size_t utf8_sequence(const unsigned char *s, size_t n, uint32_t *ret)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		len = 1, cp = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret = cp;
	return len;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

char *tlob_utf8_sanitize(char *dst, size_t dst_size, const char *src,
			 size_t src_len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strnlen(src, src_len), o = 0;

	if (dst_size == 0)
		return dst;
	for (size_t i = 0; i < n && o + 1 < dst_size;) {
		uint32_t cp;
		size_t len = utf8_sequence(s + i, n - i, &cp);

		if (len == 0 || is_control(cp)) {
			dst[o++] = '?';
			i += len ?: 1;
			continue;
		}
		if (o + len >= dst_size)
			break;
		memcpy(dst + o, s + i, len);
		o += len;
		i += len;
	}
	dst[o] = 0;
	return dst;
}
