/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See stub-kernel-link.c. */
#ifndef TLOB_STUB_KERNEL_LINK_H
#define TLOB_STUB_KERNEL_LINK_H

#include <stddef.h>

#include <linux/tlob.h>

typedef struct StubBinding {
	struct tlob_bind_args args;
	struct tlob_binding_stats stats;
} StubBinding;

#define STUB_BINDINGS_MAX 64

extern StubBinding stub_bindings[STUB_BINDINGS_MAX];
extern size_t stub_n_bindings;
/* Negative: what kernel_link_bind() fails with. */
extern int stub_bind_result;

#endif /* TLOB_STUB_KERNEL_LINK_H */
