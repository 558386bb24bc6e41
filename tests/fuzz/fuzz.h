/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared bits of the libFuzzer harnesses. */
#ifndef TLOB_FUZZ_H
#define TLOB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the parsers promise; abort() so the fuzzer records a crash. */
#define FUZZ_ASSERT(x)							\
	do {								\
		if (!(x)) {						\
			fprintf(stderr, "%s:%d: %s failed\n", __FILE__,	\
				__LINE__, #x);				\
			abort();					\
		}							\
	} while (0)

/* The input as a NUL-terminated string; NULL if it holds a NUL. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s;

	if (memchr(data, 0, size))
		return NULL;
	s = malloc(size + 1);
	if (!s)
		return NULL;
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

#endif /* TLOB_FUZZ_H */
