/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel definitions kmod's pure-C files need, for building them
 * in userspace (force-included with -include).
 */
#ifndef TLOB_KSHIM_H
#define TLOB_KSHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#endif
