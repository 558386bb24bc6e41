// SPDX-License-Identifier: GPL-2.0
/*
 * tlob-symoff FILE SYMBOL[+OFF]... - print the ELF file offset of each
 * symbol as 0x-prefixed hex, one per line (the offsets uprobes and the
 * tlob monitor file take).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt-util.h"

int main(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: %s FILE SYMBOL[+OFF]...\n", argv[0]);
		return argc < 3 ? 2 : 0;
	}
	for (int i = 2; i < argc; i++) {
		uint64_t off;
		int r = kt_resolve_offset(argv[1], argv[i], &off);

		if (r < 0) {
			fprintf(stderr, "%s: %s in %s: %s\n", argv[0], argv[i],
				argv[1], strerror(-r));
			return 1;
		}
		printf("0x%" PRIx64 "\n", off);
	}
	return 0;
}
