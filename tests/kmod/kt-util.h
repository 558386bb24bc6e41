/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the tlob kernel selftest programs: duration and
 * number parsing, errno names, ELF symbol to file offset resolution.
 */
#ifndef TLOB_KT_UTIL_H
#define TLOB_KT_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#define KT_NSEC_PER_SEC		1000000000ULL
#define KT_NSEC_PER_MSEC	1000000ULL

/* "20ms", "1.5s", "300us", "100ns", "7" (ns) -> nanoseconds. */
int kt_parse_duration(const char *s, uint64_t *ret);
/* Decimal, 0x hex or 0 octal, the whole string. */
int kt_parse_u64(const char *s, uint64_t *ret);
/* "ERANGE" -> ERANGE, "0" or "OK" -> 0; -EINVAL if unknown. */
int kt_errno_from_name(const char *name);
/* ERANGE -> "ERANGE", 0 -> "0". */
const char *kt_errno_name(int err);
uint64_t kt_now_ns(void);
/* The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), in ns. */
uint64_t kt_thread_cpu_ns(void);
void kt_sleep_ns(uint64_t ns);
/*
 * "sym", "sym+0x10" or a number: the ELF file offset of that symbol in
 * FILE (searched in .symtab, then .dynsym), as uprobe_events wants it.
 */
int kt_resolve_offset(const char *file, const char *spec, uint64_t *ret);

#endif
