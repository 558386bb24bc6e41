/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure parts of the BPF loader, without libbpf or a kernel: argument
 * checks as the module makes them, the encoding of a cgroup path for the
 * BPF object, binding ids, the ring buffer's size.  Unit-tested on the
 * host (tests/bpf/test-bpf-util.c).
 */
#ifndef TLOB_BPF_UTIL_H
#define TLOB_BPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>
#include <linux/tlob.h>
#include <linux/types.h>

#include "tlob-bpf-shared.h"

/*
 * The checks TLOB_IOCTL_BIND makes on its arguments before looking at the
 * file: flags, signal, threshold, offsets.  0, -EINVAL, or -EOPNOTSUPP
 * for a signal action (1 to 64), which the BPF monitor cannot take.
 */
int tlob_bpf_check_bind_args(const struct tlob_bind_args *a);

/*
 * A cgroup path as TLOB_BIND_CGROUP_PATH takes it ("a.slice/b.service",
 * relative to the cgroup2 root, no empty, "." or ".." component): -EINVAL
 * if malformed.  Encoded into @b's cg_level, cg_off, cg_len and cg_words
 * (each component NUL-terminated and zero-padded to 8 bytes);
 * -ENAMETOOLONG if it does not fit (more than TLOB_BPF_CG_DEPTH
 * components, a component over 255 bytes, or more than the words hold).
 */
int tlob_bpf_encode_cgroup_path(const char *path, struct tlob_bpf_binding *b);

/*
 * The next binding id after @last, cyclic over 1 .. 2^31 - 1 as the
 * module's, skipping those @in_use says are taken.  0 if every id is.
 */
uint32_t tlob_bpf_next_id(uint32_t last, bool (*in_use)(uint32_t id, void *userdata),
			  void *userdata);

/*
 * Bytes of a BPF ring buffer holding at least @records records (each with
 * its 8-byte header): a power of two, at least @page_size.
 */
uint64_t tlob_bpf_ring_bytes(uint32_t records, uint64_t page_size);

#define TLOB_BPF_MAX_ID		0x7fffffffU

#endif /* TLOB_BPF_UTIL_H */
