/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * What tlob-manager gives up once it has chosen its backend (the unit
 * grants what both backends need, the choice is made at start).
 */

/* Is capability @cap (CAP_*) in the effective set? */
bool sandbox_capable(unsigned int cap);

/*
 * Give up capabilities @drop (CAP_* bits) for good: effective, permitted
 * and inheritable. Needs no capability (capset() only lowers here).
 */
int sandbox_drop_capabilities(uint64_t drop);

/*
 * Make bpf() and perf_event_open() fail with EPERM for the rest of the
 * process's life (a seccomp filter on top of the unit's): what the module
 * backend never needs and CAP_PERFMON would otherwise allow (sampling any
 * process). -EOPNOTSUPP on an architecture it does not know.
 */
int sandbox_deny_tracing_syscalls(void);
