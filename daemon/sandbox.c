// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox.h"

#if defined(__x86_64__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

bool sandbox_capable(unsigned int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	return cap < 64 && syscall(SYS_capget, &h, d) >= 0 &&
	       (d[cap / 32].effective & (UINT32_C(1) << (cap % 32)));
}

int sandbox_drop_capabilities(uint64_t drop)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (unsigned int i = 0; i < 2; i++) {
		uint32_t mask = (uint32_t)(drop >> (32 * i));

		d[i].effective &= ~mask;
		d[i].permitted &= ~mask;
		d[i].inheritable &= ~mask;
	}
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int sandbox_deny_tracing_syscalls(void)
{
#ifdef SANDBOX_AUDIT_ARCH
	struct sock_filter filter[] = {
		/* Another ABI (x86's 32-bit ones): nothing of it is needed. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
		/* x32 numbers are the same ones with bit 30 set. */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~UINT32_C(0x40000000)),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_perf_event_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = ELEMENTSOF(filter),
		.filter = filter,
	};

	/*
	 * Without CAP_SYS_ADMIN a filter needs no_new_privs (the unit sets
	 * it too); prctl(), not seccomp(), which the unit's filter denies.
	 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}
