/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Probe points to ELF file offsets (what uprobes and TLOB_IOCTL_BIND take),
 * with libelf.
 *
 * A symbol is looked up in .symtab, then .dynsym (a stripped binary has
 * only the latter); only defined symbols with an address count, functions
 * first. Its virtual address plus the addend is turned into a file offset
 * through the PT_LOAD program headers, which works for PIE and non-PIE
 * executables and shared libraries alike. "SYMBOL+OFF" must stay inside
 * the symbol when its size is known. A raw offset must lie in an
 * executable PT_LOAD segment.
 */
#ifndef TLOB_ELF_RESOLVE_H
#define TLOB_ELF_RESOLVE_H

#include <stdint.h>

#include "tlob-parse.h"

/*
 * Resolve @pt in the ELF file open at @fd. Returns 0 with *@ret set, or:
 * -ENOEXEC not an ELF file (or no program headers), -ENXIO no such
 * symbol, -ERANGE offset outside the symbol or outside executable code,
 * -EIO libelf failed.
 */
int tlob_elf_resolve(int fd, const TlobProbePoint *pt, uint64_t *ret);

/* Same for a path; -errno of open() too. */
int tlob_elf_resolve_path(const char *path, const TlobProbePoint *pt,
			  uint64_t *ret);

#endif /* TLOB_ELF_RESOLVE_H */
