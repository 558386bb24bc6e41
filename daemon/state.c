// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state kept across restarts (see state.h for what and why). The
 * memfd holds one StateFile: a header, two copies of the counters and a
 * selector, the inbox, a pending retirement, and the slots of retired
 * statistics, each with two copies and a selector too. Every switch of a
 * selector is one aligned 64-bit store made after the copy it selects is
 * complete; a process killed at any instruction leaves a consistent file.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "macro.h"
#include "state.h"

#define STATE_MAGIC	0x74626f6c73746174ULL	/* "tatslobt" */
#define STATE_VERSION	1

typedef struct RetiredCopy {
	uint64_t seq;			/* the retirement it includes last */
	BudgetStats stats;
} RetiredCopy;

/* The statistics of slot i; its cookie is cookies[i] (0: free). */
typedef struct RetiredSlot {
	uint64_t sel;			/* copy[sel & 1] is valid */
	RetiredCopy copy[2];
} RetiredSlot;

typedef struct PendingRetire {
	uint64_t valid;			/* set last, cleared once folded */
	uint64_t seq;
	uint64_t cookie;
	uint64_t binding_id;
	struct tlob_binding_stats stats;
} PendingRetire;

/* Retired binding ids kept (state_note_retired()). */
#define RETIRED_IDS 64

typedef struct RetiredId {
	uint64_t id;			/* 0 while being written */
	uint64_t cookie;
} RetiredId;

typedef struct StateFile {
	uint64_t magic;
	uint64_t version;
	uint64_t n_slots;
	uint64_t retire_seq;		/* of the last retirement begun */
	uint64_t sel;			/* counters[sel & 1] is valid */
	StateCounters counters[2];
	uint64_t inbox_batch;		/* the batch the inbox holds */
	uint8_t inbox[STATE_INBOX_RECORDS * sizeof(struct tlob_event)];
	PendingRetire pending;
	uint64_t retired_next;
	RetiredId retired_ids[RETIRED_IDS];
	/*
	 * Then uint64_t cookies[n_slots] and RetiredSlot slots[n_slots]: the
	 * cookies apart, so that looking one up touches a few pages only.
	 */
} StateFile;

struct State {
	int fd;
	StateFile *file;
	size_t size;
	bool adopted;
};

#define SLOT_SIZE (sizeof(uint64_t) + sizeof(RetiredSlot))

static size_t file_size(uint64_t n_slots)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = sizeof(StateFile) + n_slots * SLOT_SIZE;

	return (n + page - 1) / page * page;
}

static uint64_t *cookies(const State *s)
{
	return (uint64_t *)(s->file + 1);
}

static RetiredSlot *slot_at(const State *s, uint64_t i)
{
	return (RetiredSlot *)(cookies(s) + s->file->n_slots) + i;
}

/* Make the other copy current: the store readers (and a restart) see. */
static void publish(uint64_t *sel)
{
	__atomic_store_n(sel, *sel + 1, __ATOMIC_RELEASE);
}

static bool file_valid(const StateFile *f, size_t size)
{
	return size >= sizeof(*f) && f->magic == STATE_MAGIC &&
	       f->version == STATE_VERSION &&
	       file_size(f->n_slots) <= size;
}

static int map(State *s, size_t size)
{
	void *p;

	if (s->fd < 0) {
		p = calloc(1, size);
		if (!p)
			return -ENOMEM;
	} else {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
		if (p == MAP_FAILED)
			return -errno;
	}
	s->file = p;
	s->size = size;
	return 0;
}

static void unmap(State *s)
{
	if (!s->file)
		return;
	if (s->fd < 0)
		free(s->file);
	else
		(void)munmap(s->file, s->size);
	s->file = NULL;
}

State *state_free(State *s)
{
	if (!s)
		return NULL;
	unmap(s);
	safe_close(s->fd);
	return mfree(s);
}

int state_new(int fd, unsigned n_slots, bool anonymous, State **ret)
{
	_cleanup_(state_freep) State *s = NULL;
	size_t size = file_size(n_slots), have = 0;
	bool keep = false;
	struct stat st;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = fd;
	if (fd < 0 && !anonymous) {
		s->fd = memfd_create("tlob-manager-state", MFD_CLOEXEC);
		if (s->fd < 0)
			return -errno;
	}
	if (s->fd >= 0) {
		if (fstat(s->fd, &st) < 0)
			return -errno;
		have = (size_t)st.st_size;
		/* What a predecessor left, if it is ours. */
		if (have >= sizeof(StateFile)) {
			r = map(s, have);
			if (r < 0)
				return r;
			keep = file_valid(s->file, s->size);
			unmap(s);
		}
		/*
		 * Kept as it is laid out, even if it has fewer slots than
		 * budgets are allowed now (--max-budgets= raised): a
		 * retirement finding no free slot is logged.
		 */
		if (keep)
			size = have;
		else if (ftruncate(s->fd, 0) < 0 ||
			 ftruncate(s->fd, (off_t)size) < 0)
			return -errno;
	}
	r = map(s, size);
	if (r < 0)
		return r;
	if (!keep) {
		s->file->magic = STATE_MAGIC;
		s->file->version = STATE_VERSION;
	}
	if (!keep)
		s->file->n_slots = (s->size - sizeof(StateFile)) / SLOT_SIZE;
	s->adopted = keep;
	*ret = TAKE_PTR(s);
	return 0;
}

int state_fd(const State *s)
{
	return s->fd >= 0 ? s->fd : -EBADF;
}

bool state_adopted(const State *s)
{
	return s->adopted;
}

const StateCounters *state_counters(const State *s)
{
	return &s->file->counters[__atomic_load_n(&s->file->sel, __ATOMIC_ACQUIRE) & 1];
}

void *state_inbox_begin(State *s, size_t *ret_size)
{
	StateFile *f = s->file;

	/* Zeroed first: after a SIGKILL, a record's size tells it is there. */
	memset(f->inbox, 0, sizeof(f->inbox));
	__atomic_store_n(&f->inbox_batch, state_counters(s)->batch + 1,
			 __ATOMIC_RELEASE);
	*ret_size = sizeof(f->inbox);
	return f->inbox;
}

size_t state_inbox_pending(State *s, const void **ret_buf)
{
	StateFile *f = s->file;
	size_t off = 0;

	if (f->inbox_batch != state_counters(s)->batch + 1)
		return 0;
	/* Whole records, as read(2) gave them, up to the first empty one. */
	while (off + sizeof(struct tlob_event) <= sizeof(f->inbox)) {
		uint32_t size;

		memcpy(&size, f->inbox + off, sizeof(size));
		if (size < sizeof(struct tlob_event) || size > sizeof(f->inbox) - off)
			break;
		off += size;
	}
	*ret_buf = f->inbox;
	return off;
}

void state_commit(State *s, const StateCounters *c)
{
	StateFile *f = s->file;
	uint64_t cur = f->sel & 1;

	f->counters[!cur] = *c;
	/* The inbox's batch (state_inbox_begin()), handled now. */
	f->counters[!cur].batch = f->counters[cur].batch + 1;
	publish(&f->sel);
}

/* The index of the slot of @cookie (0: a free one), or -1. */
static int64_t slot_index(const State *s, uint64_t cookie)
{
	for (uint64_t i = 0; i < s->file->n_slots; i++)
		if (cookies(s)[i] == cookie)
			return (int64_t)i;
	return -1;
}

static RetiredSlot *slot_find(const State *s, uint64_t cookie)
{
	int64_t i = cookie ? slot_index(s, cookie) : -1;

	return i < 0 ? NULL : slot_at(s, (uint64_t)i);
}

static const RetiredCopy *slot_current(const RetiredSlot *slot)
{
	return &slot->copy[__atomic_load_n(&slot->sel, __ATOMIC_ACQUIRE) & 1];
}

const BudgetStats *state_retired(const State *s, uint64_t cookie)
{
	const RetiredSlot *slot = slot_find(s, cookie);

	return slot ? &slot_current(slot)->stats : NULL;
}

int state_retire_begin(State *s, uint64_t cookie, uint32_t id,
		       const struct tlob_binding_stats *st)
{
	PendingRetire *p = &s->file->pending;
	RetiredSlot *slot = slot_find(s, cookie);

	if (!slot) {
		/* A free slot, claimed by one store of the cookie. */
		int64_t i = slot_index(s, 0);

		if (i < 0)
			return -ENOSPC;
		slot = slot_at(s, (uint64_t)i);
		memset(slot->copy, 0, sizeof(slot->copy));
		__atomic_store_n(&cookies(s)[i], cookie, __ATOMIC_RELEASE);
	}
	p->seq = ++s->file->retire_seq;
	p->cookie = cookie;
	p->binding_id = id;
	p->stats = *st;
	__atomic_store_n(&p->valid, 1, __ATOMIC_RELEASE);
	return 0;
}

void state_retire_end(State *s)
{
	PendingRetire *p = &s->file->pending;
	RetiredSlot *slot;

	if (!p->valid)
		return;
	slot = slot_find(s, p->cookie);
	/* Folded already, if the copy in use says so (a restart redoes it). */
	if (slot && slot_current(slot)->seq != p->seq) {
		const RetiredCopy *cur = slot_current(slot);
		RetiredCopy *next = &slot->copy[!(slot->sel & 1)];

		*next = *cur;
		budget_stats_add(&next->stats, &p->stats);
		next->seq = p->seq;
		publish(&slot->sel);
	}
	__atomic_store_n(&p->valid, 0, __ATOMIC_RELEASE);
}

void state_note_retired(State *s, uint32_t id, uint64_t cookie)
{
	RetiredId *e = &s->file->retired_ids[s->file->retired_next++ % RETIRED_IDS];

	/* Never a half-written pair: the id goes last. */
	__atomic_store_n(&e->id, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->cookie, cookie, __ATOMIC_RELEASE);
	__atomic_store_n(&e->id, id, __ATOMIC_RELEASE);
}

uint64_t state_retired_cookie(const State *s, uint32_t id)
{
	for (unsigned i = 0; id && i < RETIRED_IDS; i++)
		if (s->file->retired_ids[i].id == id)
			return s->file->retired_ids[i].cookie;
	return 0;
}

void state_retired_drop(State *s, uint64_t cookie)
{
	int64_t i = cookie ? slot_index(s, cookie) : -1;

	if (i >= 0)
		__atomic_store_n(&cookies(s)[i], 0, __ATOMIC_RELEASE);
}

void state_recover(State *s, bool (*binding_alive)(uint32_t id, void *userdata),
		   bool (*cookie_used)(uint64_t cookie, void *userdata),
		   void *userdata)
{
	PendingRetire *p = &s->file->pending;

	if (p->valid) {
		if (binding_alive((uint32_t)p->binding_id, userdata))
			/* Killed before the unbinding: nothing was retired. */
			__atomic_store_n(&p->valid, 0, __ATOMIC_RELEASE);
		else
			state_retire_end(s);
	}
	for (uint64_t i = 0; i < s->file->n_slots; i++) {
		uint64_t c = cookies(s)[i];

		if (c && !cookie_used(c, userdata))
			__atomic_store_n(&cookies(s)[i], 0, __ATOMIC_RELEASE);
	}
}
