/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Addresses of a cause (struct tlob_cause) to names, for people:
 *
 * - kernel return addresses through /proc/kallsyms, read when the first
 *   is needed and again when an address falls outside every symbol
 *   known (a module loaded since), at most once a second. Its addresses
 *   are shown only to a reader with CAP_SYSLOG (kallsyms_show_value());
 *   without it every address reads as 0 and frames stay hexadecimal.
 *   The wait channel is the first frame outside the scheduler's own text
 *   [__sched_text_start, __sched_text_end), as /proc/PID/wchan says it.
 * - user instruction pointers through /proc/TGID/maps to the ELF file
 *   mapped there and the offset in it, then that file's symbols
 *   (tlob_elf_symbolize()); hexadecimal once the process is gone. The
 *   last lookups are cached by file (device, inode, size, modification
 *   and change times) and offset.
 *
 * Files only: nothing is logged.
 */
#ifndef TLOB_SYMBOLIZE_H
#define TLOB_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct Symbolizer Symbolizer;

/*
 * @kallsyms: the file to read (NULL: /proc/kallsyms); @proc: where the
 * processes are (NULL: /proc). NULL on OOM.
 */
Symbolizer *symbolizer_new(const char *kallsyms, const char *proc);
Symbolizer *symbolizer_free(Symbolizer *s);
static inline void symbolizer_freep(Symbolizer **s)
{
	symbolizer_free(*s);
}

/*
 * Kernel address @addr as "func+0xoff/0xsize" (" [module]" added for a
 * module's), or "?" when no symbol is known for it (never the address,
 * which would undo KASLR for whoever reads it); -ENOMEM.
 */
int symbolizer_kernel(Symbolizer *s, uint64_t addr, char **ret);
/*
 * The wait channel of the innermost-first frames @stack: the function
 * name of the first frame outside the scheduler's text, in a new string,
 * or NULL (with 0) when the symbols are not known; -ENOMEM.
 */
int symbolizer_wchan(Symbolizer *s, const uint64_t *stack, size_t n,
		     char **ret);
/*
 * User address @ip of process @tgid as "func+0xoff (/path/of/elf)",
 * "/path/of/elf+0xoff" without a symbol, "[vdso]+0xoff" and the like
 * for a mapping without a file, "0x..." when it is in no mapping (or the
 * process is gone); control characters and invalid UTF-8 of the path or
 * the symbol replaced by '?'; -ENOMEM.
 */
int symbolizer_user(Symbolizer *s, pid_t tgid, uint64_t ip, char **ret);

/* How many user lookups read an ELF file (the cache had no answer). */
uint64_t symbolizer_elf_reads(const Symbolizer *s);

/* Whether kallsyms was read and gave addresses (for a one-time notice). */
bool symbolizer_kernel_restricted(Symbolizer *s);

#endif /* TLOB_SYMBOLIZE_H */
