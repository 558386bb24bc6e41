/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference tlob depends on, in one place.
 * Supported: Debian 12's 6.1 and 6.12 from bookworm-backports.
 */
#ifndef _TLOB_COMPAT_H
#define _TLOB_COMPAT_H

#include <linux/version.h>
#include <linux/uprobes.h>
#include <linux/trace.h>

/* 6.12: uprobe_register() returns a handle, unregistering is split. */
#define TLOB_UPROBE_HANDLE	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))
/* 6.10: __assign_str() takes the destination only. */
#define TLOB_ASSIGN_STR_1	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0))
/* 6.7: trace_array_get_by_name() takes the systems to enable. */
#define TLOB_TA_GET_SYSTEMS	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0))
/*
 * 6.12: a blocked task may stay queued until picked (DELAY_DEQUEUE), and
 * migrating it then stamps sched_info.last_queued (tlob_acct.c).
 */
#define TLOB_DELAYED_DEQUEUE	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))

/*
 * One uprobe consumer and what unregistering it needs.  6.12 returns a
 * handle from uprobe_register() and splits unregistering into a per-probe
 * _nosync part and one global synchronisation; 6.1 unregisters by inode
 * and offset and waits for running handlers itself.
 */
struct tlob_uprobe {
	struct uprobe_consumer uc;
	void *priv;			/* the binding, for the filter */
	struct inode *inode;
	loff_t offset;
#if TLOB_UPROBE_HANDLE
	struct uprobe *uprobe;
#endif
};

static inline int tlob_uprobe_register(struct tlob_uprobe *p,
				       struct inode *inode, loff_t offset)
{
	p->inode = inode;
	p->offset = offset;
#if TLOB_UPROBE_HANDLE
	p->uprobe = uprobe_register(inode, offset, 0, &p->uc);
	return PTR_ERR_OR_ZERO(p->uprobe);
#else
	return uprobe_register(inode, offset, &p->uc);
#endif
}

/* Follow with tlob_uprobe_unregister_sync() before freeing @p. */
static inline void tlob_uprobe_unregister(struct tlob_uprobe *p)
{
#if TLOB_UPROBE_HANDLE
	uprobe_unregister_nosync(p->uprobe, &p->uc);
#else
	uprobe_unregister(p->inode, p->offset, &p->uc);
#endif
}

/* After it, no handler of an unregistered consumer runs any more. */
static inline void tlob_uprobe_unregister_sync(void)
{
#if TLOB_UPROBE_HANDLE
	uprobe_unregister_sync();
#endif
}

/*
 * The consumer's filter: may the probe have breakpoints in @mm?  6.12
 * dropped the context argument (register, unregister, mmap).
 */
bool tlob_uprobe_filter_mm(struct uprobe_consumer *uc, struct mm_struct *mm);

#if TLOB_UPROBE_HANDLE
static inline bool tlob_uprobe_filter(struct uprobe_consumer *uc,
				      struct mm_struct *mm)
{
	return tlob_uprobe_filter_mm(uc, mm);
}
#else
static inline bool tlob_uprobe_filter(struct uprobe_consumer *uc,
				      enum uprobe_filter_ctx ctx,
				      struct mm_struct *mm)
{
	return tlob_uprobe_filter_mm(uc, mm);
}
#endif

static inline struct trace_array *tlob_trace_array_get(const char *name)
{
#if TLOB_TA_GET_SYSTEMS
	return trace_array_get_by_name(name, NULL);
#else
	return trace_array_get_by_name(name);
#endif
}

#if TLOB_ASSIGN_STR_1
#define tlob_assign_str(dst, src)	__assign_str(dst)
#else
#define tlob_assign_str(dst, src)	__assign_str(dst, src)
#endif

#endif /* _TLOB_COMPAT_H */
