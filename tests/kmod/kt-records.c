// SPDX-License-Identifier: GPL-2.0
/*
 * The records of <linux/tlob.h> printed as the selftests read them
 * (tests/kmod/lib.sh, cause.sh): one "event" line per record, and a
 * "cause" line after a TLOB_EV_CAUSE.  Shared by tlob-drv (/dev/rv) and
 * tlob-bpf-drv (the BPF monitor).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt-records.h"
#include "kt-util.h"

static const char *type_name(unsigned int t)
{
	switch (t) {
	case TLOB_EV_VIOLATION:
		return "violation";
	case TLOB_EV_WINDOW_END:
		return "window_end";
	case TLOB_EV_LOST:
		return "lost";
	case TLOB_EV_SUPPRESSED:
		return "suppressed";
	case TLOB_EV_CAUSE:
		return "cause";
	default:
		return "unknown";
	}
}

static const char *state_name(unsigned int s)
{
	switch (s) {
	case TLOB_STATE_RUNNING:
		return "running";
	case TLOB_STATE_WAITING:
		return "waiting";
	case TLOB_STATE_SLEEPING:
		return "sleeping";
	default:
		return "none";
	}
}

void kt_print_event(const struct tlob_event *e)
{
	char comm[sizeof(e->comm) + 1];

	memcpy(comm, e->comm, sizeof(e->comm));
	comm[sizeof(e->comm)] = '\0';
	printf("event type=%s state=%s size=%u tgid=%u tid=%u binding=%u reserved=%u "
	       "cookie=%" PRIu64 " cgroup=%" PRIu64 " threshold_ns=%" PRIu64
	       " elapsed_ns=%" PRIu64 " running_ns=%" PRIu64 " waiting_ns=%" PRIu64
	       " sleeping_ns=%" PRIu64 " timestamp_ns=%" PRIu64 " lost=%" PRIu64
	       " now_ns=%" PRIu64 " comm=%s\n",
	       type_name(e->type), state_name(e->state), e->size, e->tgid, e->tid,
	       e->binding_id, e->reserved, (uint64_t)e->cookie,
	       (uint64_t)e->cgroup_id, (uint64_t)e->threshold_ns,
	       (uint64_t)e->elapsed_ns, (uint64_t)e->running_ns,
	       (uint64_t)e->waiting_ns, (uint64_t)e->sleeping_ns,
	       (uint64_t)e->timestamp_ns, (uint64_t)e->lost, kt_now_ns(), comm);
}

static void print_task_ref(const char *name, const struct tlob_task_ref *t)
{
	char comm[sizeof(t->comm) + 1];

	memcpy(comm, t->comm, sizeof(t->comm));
	comm[sizeof(t->comm)] = '\0';
	for (char *c = comm; *c; c++)
		if (*c == ' ' || *c == '=' || *c == '/')
			*c = '_';
	printf(" %s=%u/%u/%s", name, t->pid, t->tgid, comm[0] ? comm : "-");
}

/*
 * "cause ..." after the event line of a TLOB_EV_CAUSE record: kernel
 * addresses as 16 hex digits, comma-separated, innermost first.
 */
void kt_print_cause(const struct tlob_cause_event *ce)
{
	const struct tlob_cause *c = &ce->cause;

	printf("cause tid=%u valid=0x%x cpu=%u signal=%u nvcsw=%" PRIu64
	       " nivcsw=%" PRIu64 " migrations=%" PRIu64 " user_ip=0x%" PRIx64
	       " user_sp=0x%" PRIx64 " nr_kstack=%u kstack=",
	       ce->ev.tid, c->valid, c->cpu, c->signal, (uint64_t)c->nvcsw,
	       (uint64_t)c->nivcsw, (uint64_t)c->migrations,
	       (uint64_t)c->user_ip, (uint64_t)c->user_sp, c->nr_kstack);
	for (unsigned int i = 0; i < c->nr_kstack && i < TLOB_CAUSE_KSTACK_MAX; i++)
		printf("%s%016" PRIx64, i ? "," : "", (uint64_t)c->kstack[i]);
	if (!c->nr_kstack)
		printf("-");
	print_task_ref("curr", &c->curr);
	print_task_ref("preemptor", &c->preemptor);
	print_task_ref("waker", &c->waker);
	printf("\n");
}

/*
 * Print the records of @n bytes read into @buf, stepping by their size;
 * returns how many there were.
 */
size_t kt_print_records(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t off = 0, count = 0;
	struct tlob_event e;
	union {
		struct tlob_event ev;
		struct tlob_cause_event ce;
	} u;

	while (n - off >= sizeof(e)) {
		memcpy(&e, p + off, sizeof(e));
		if (e.size < sizeof(e) || e.size > n - off) {
			fprintf(stderr, "%s: record of %u bytes at %zu of %zu\n",
				program_invocation_short_name, e.size, off, n);
			break;
		}
		kt_print_event(&e);
		if (e.type == TLOB_EV_CAUSE) {
			memset(&u, 0, sizeof(u));
			memcpy(&u, p + off, e.size < sizeof(u) ? e.size : sizeof(u));
			kt_print_cause(&u.ce);
		}
		off += e.size;
		count++;
	}
	if (off != n)
		fprintf(stderr, "%s: read returned %zu bytes, %zu parsed\n",
			program_invocation_short_name, n, off);
	return count;
}
