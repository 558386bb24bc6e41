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

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tlob-parse.h"

/*
 * Resolve @pt in the ELF file open at @fd. Returns 0 with *@ret set, or:
 * -ENOEXEC not an ELF file (or no program headers), -ENXIO no such
 * symbol, -ERANGE offset outside the symbol or outside executable code,
 * -EIO libelf failed.
 */
int tlob_elf_resolve(int fd, const TlobProbePoint *pt, uint64_t *ret);

/*
 * Open @path to read its symbols, never blocking and with no side effect:
 * it is opened with O_PATH and fstat()ed first; anything but a regular
 * file (a FIFO, a device, a socket, a directory) is refused with
 * -EBADFD, before any real open(). The file is then reopened
 * O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_NOCTTY. Returns the fd with *@ret_st
 * its fstat(); on -EBADFD *@ret_st says what the file is. Else -errno
 * of open() or fstat().
 */
int tlob_elf_open(const char *path, struct stat *ret_st);

/*
 * The reverse of tlob_elf_resolve(): the function at file offset @offset
 * of the ELF file open at @fd (as /proc/PID/maps gives it: address minus
 * start plus the mapping's offset), from .symtab, else .dynsym. The
 * symbol that contains it (or, for one without a size, the nearest below
 * it in the same section) in a new string *@ret_name, and the offset into
 * it in *@ret_off. -ENOEXEC not ELF, -ERANGE in no PT_LOAD segment,
 * -ENXIO no symbol covers it, -ENOMEM, -EIO.
 */
int tlob_elf_symbolize(int fd, uint64_t offset, char **ret_name,
		       uint64_t *ret_off);

/* "a FIFO", "a directory", "a character device"... for messages. */
const char *tlob_file_type_name(mode_t mode);

/* tlob_elf_resolve() of the file at @path (tlob_elf_open()'s errors too). */
int tlob_elf_resolve_path(const char *path, const TlobProbePoint *pt,
			  uint64_t *ret);

/*
 * A cache of resolved points, so that an unchanged file is not parsed
 * again: keyed by the file's identity and version as fstat() gives them
 * (st_dev, st_ino, st_size, st_mtim, st_ctim) and by the point. Answers
 * that depend on the file only are kept (an offset, -ENOEXEC, -ENXIO,
 * -ERANGE), at most @max of them: past that the oldest is replaced.
 */
typedef struct TlobElfCache TlobElfCache;

/* NULL on OOM or when @max is 0. */
TlobElfCache *tlob_elf_cache_new(size_t max);
TlobElfCache *tlob_elf_cache_free(TlobElfCache *c);
/* Forget every entry. */
void tlob_elf_cache_clear(TlobElfCache *c);
/*
 * tlob_elf_resolve() of @pt in the file open at @fd, whose fstat() is
 * @st, through the cache @c (NULL: no cache).
 */
int tlob_elf_cache_resolve(TlobElfCache *c, int fd, const struct stat *st,
			   const TlobProbePoint *pt, uint64_t *ret);
/* Entries held; lookups answered from the cache and not. */
size_t tlob_elf_cache_size(const TlobElfCache *c);
void tlob_elf_cache_stats(const TlobElfCache *c, uint64_t *ret_hits,
			  uint64_t *ret_misses);

#endif /* TLOB_ELF_RESOLVE_H */
