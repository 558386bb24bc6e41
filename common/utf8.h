/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text from the kernel (a task's comm) made fit for the journal's MESSAGE
 * and for D-Bus strings, which must be valid UTF-8.
 */
#ifndef TLOB_UTF8_H
#define TLOB_UTF8_H

#include <stddef.h>

/*
 * Copy the text @src (at most @src_len bytes, less if it has a NUL) to
 * @dst, replacing each control character (C0, DEL, C1) and each byte
 * that is not part of a valid UTF-8 sequence (a sequence cut short by the
 * kernel's truncation too) by '?'. The result is never longer than the
 * input, and always NUL-terminated: @dst_size > @src_len suffices.
 * Returns @dst.
 */
char *tlob_utf8_sanitize(char *dst, size_t dst_size, const char *src,
			 size_t src_len);

#endif /* TLOB_UTF8_H */
