// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>

#include "elf-resolve.h"
#include "macro.h"

static void elf_endp(Elf **e)
{
	if (*e)
		elf_end(*e);
}

static int elf_open(int fd, Elf **ret)
{
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EIO;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return -ENOEXEC;
	if (elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return -ENOEXEC;
	}
	*ret = e;
	return 0;
}

/*
 * Through the PT_LOAD headers: virtual address @x -> file offset, or
 * with @to_vaddr file offset @x -> virtual address.
 */
static int load_map(Elf *e, uint64_t x, bool to_vaddr, bool need_exec,
		    uint64_t *ret)
{
	size_t n;

	if (elf_getphdrnum(e, &n) != 0 || n == 0)
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		uint64_t from, to;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (need_exec && !(ph.p_flags & PF_X))
			continue;
		from = to_vaddr ? ph.p_offset : ph.p_vaddr;
		to = to_vaddr ? ph.p_vaddr : ph.p_offset;
		if (x >= from && x - from < ph.p_filesz) {
			*ret = x - from + to;
			return 0;
		}
	}
	return -ERANGE;
}

/* Is @off inside the file range of an executable PT_LOAD segment? */
static int check_exec_offset(Elf *e, uint64_t off)
{
	size_t n;

	if (elf_getphdrnum(e, &n) != 0 || n == 0)
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X))
			continue;
		if (off >= ph.p_offset && off - ph.p_offset < ph.p_filesz)
			return 0;
	}
	return -ERANGE;
}

static bool sym_is_candidate(const GElf_Sym *s)
{
	unsigned type = GELF_ST_TYPE(s->st_info);

	return s->st_shndx != SHN_UNDEF && s->st_value != 0 &&
	       (type == STT_FUNC || type == STT_GNU_IFUNC ||
		type == STT_NOTYPE);
}

/*
 * Call @visit with each candidate symbol (sym_is_candidate()) of the
 * tables of type @sh_type and its name, until it returns true.
 */
typedef bool (*SymVisit)(const GElf_Sym *s, const char *name, void *userdata);

static void visit_symbols(Elf *e, Elf64_Word sh_type, SymVisit visit,
			  void *userdata)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t count;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != sh_type ||
		    sh.sh_entsize == 0)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 1; i < count; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(data, (int)i, &s) || !sym_is_candidate(&s))
				continue;
			n = elf_strptr(e, sh.sh_link, s.st_name);
			if (n && visit(&s, n, userdata))
				return;
		}
	}
}

typedef struct SymSearch {
	const char *name;	/* by name */
	uint64_t vaddr;		/* or by address */
	GElf_Sym sym;
	const char *found;
	int score;		/* by address: how well sym fits */
} SymSearch;

/* A function wins over a non-typed label of the same name. */
static bool visit_by_name(const GElf_Sym *s, const char *name, void *userdata)
{
	SymSearch *q = userdata;

	if (!streq(name, q->name))
		return false;
	if (!q->found || GELF_ST_TYPE(s->st_info) != STT_NOTYPE)
		q->sym = *s;
	q->found = name;
	return GELF_ST_TYPE(s->st_info) != STT_NOTYPE;
}

/* Search the symbol table of type @sh_type. 1 found, 0 not found. */
static int find_in_table(Elf *e, Elf64_Word sh_type, const char *name,
			 GElf_Sym *ret)
{
	SymSearch q = { .name = name };

	visit_symbols(e, sh_type, visit_by_name, &q);
	if (q.found)
		*ret = q.sym;
	return !!q.found;
}

int tlob_elf_resolve(int fd, const TlobProbePoint *pt, uint64_t *ret)
{
	_cleanup_(elf_endp) Elf *e = NULL;
	GElf_Sym sym;
	uint64_t off;
	int r;

	r = elf_open(fd, &e);
	if (r < 0)
		return r;

	if (!pt->symbol) {
		r = check_exec_offset(e, pt->offset);
		if (r < 0)
			return r;
		*ret = pt->offset;
		return 0;
	}

	if (find_in_table(e, SHT_SYMTAB, pt->symbol, &sym) <= 0 &&
	    find_in_table(e, SHT_DYNSYM, pt->symbol, &sym) <= 0)
		return -ENXIO;
	if (sym.st_size > 0 && pt->offset >= sym.st_size)
		return -ERANGE;
	if (sym.st_size == 0 && pt->offset > 0)
		return -ERANGE;

	r = load_map(e, sym.st_value + pt->offset, false, true, &off);
	if (r < 0)
		return r;
	*ret = off;
	return 0;
}

/*
 * For @vaddr: a function whose range holds it (3), else any symbol whose
 * range does (2), else the nearest one below it without a size (1).
 */
static bool visit_by_address(const GElf_Sym *s, const char *name,
			     void *userdata)
{
	SymSearch *q = userdata;
	int score;

	if (!*name || s->st_value > q->vaddr)
		return false;
	if (s->st_size > 0 && q->vaddr - s->st_value < s->st_size)
		score = GELF_ST_TYPE(s->st_info) == STT_NOTYPE ? 2 : 3;
	else if (s->st_size == 0)
		score = 1;
	else
		return false;
	if (score < q->score ||
	    (score == q->score && (score > 1 || s->st_value <= q->sym.st_value)))
		return false;
	q->sym = *s;
	q->found = name;
	q->score = score;
	return false;
}

int tlob_elf_symbolize(int fd, uint64_t offset, char **ret_name,
		       uint64_t *ret_off)
{
	_cleanup_(elf_endp) Elf *e = NULL;
	SymSearch q = {};
	char *copy;
	int r;

	r = elf_open(fd, &e);
	if (r < 0)
		return r;
	r = load_map(e, offset, true, false, &q.vaddr);
	if (r < 0)
		return r;
	visit_symbols(e, SHT_SYMTAB, visit_by_address, &q);
	if (!q.found)
		visit_symbols(e, SHT_DYNSYM, visit_by_address, &q);
	if (!q.found)
		return -ENXIO;
	copy = strdup(q.found);
	if (!copy)
		return -ENOMEM;
	*ret_name = copy;
	*ret_off = q.vaddr - q.sym.st_value;
	return 0;
}

int tlob_elf_open(const char *path, struct stat *ret_st)
{
	_cleanup_close_ int pfd = -EBADF, fd = -EBADF;
	char proc[sizeof("/proc/self/fd/") + 12];
	struct stat st, st2;

	/*
	 * O_PATH opens nothing: no FIFO waits for a writer, no device
	 * driver's open() runs (a watchdog would start ticking).
	 */
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0)
		return -errno;
	*ret_st = st;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;

	/* Reopen that very inode for reading. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)	/* no /proc: by name, and check */
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st2) < 0)
		return -errno;
	*ret_st = st2;
	if (!S_ISREG(st2.st_mode))
		return -EBADFD;
	if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
		return -ESTALE;
	return TAKE_FD(fd);
}

const char *tlob_file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "a file of unknown type";
	}
}

int tlob_elf_resolve_path(const char *path, const TlobProbePoint *pt,
			  uint64_t *ret)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = tlob_elf_open(path, &st);
	if (fd < 0)
		return fd;
	return tlob_elf_resolve(fd, pt, ret);
}

/* --- the cache ------------------------------------------------------- */

/* Kept small: a daemon with a thousand budgets holds a thousand. */
typedef struct CacheEntry {
	/* The file, as it was when resolved. */
	uint64_t dev, ino, size;
	uint64_t mtime_ns, ctime_ns;
	/* The point. */
	char *symbol;
	uint64_t offset;
	/* The answer of tlob_elf_resolve(). */
	uint64_t value;
	int result;
} CacheEntry;

struct TlobElfCache {
	CacheEntry *entries;	/* grown as needed, up to max */
	size_t n, allocated, max;
	size_t next;		/* the slot to reuse once full: the oldest */
	uint64_t hits, misses;
};

TlobElfCache *tlob_elf_cache_new(size_t max)
{
	TlobElfCache *c;

	if (max == 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->max = max;
	return c;
}

void tlob_elf_cache_clear(TlobElfCache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->entries[i].symbol);
	/* Give the memory back: a reload may be followed by fewer budgets. */
	c->entries = mfree(c->entries);
	c->n = c->allocated = 0;
	c->next = 0;
}

TlobElfCache *tlob_elf_cache_free(TlobElfCache *c)
{
	if (!c)
		return NULL;
	tlob_elf_cache_clear(c);
	free(c->entries);
	return mfree(c);
}

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static bool entry_matches(const CacheEntry *e, const struct stat *st,
			  const TlobProbePoint *pt)
{
	return e->dev == (uint64_t)st->st_dev && e->ino == (uint64_t)st->st_ino &&
	       e->size == (uint64_t)st->st_size &&
	       e->mtime_ns == timespec_ns(&st->st_mtim) &&
	       e->ctime_ns == timespec_ns(&st->st_ctim) &&
	       e->offset == pt->offset && streq_ptr(e->symbol, pt->symbol);
}

static void cache_store(TlobElfCache *c, const struct stat *st,
			const TlobProbePoint *pt, int result, uint64_t value)
{
	char *symbol = NULL;
	CacheEntry *e;

	if (c->n == c->allocated && c->n < c->max) {
		size_t n = MIN(MAX(c->allocated * 2, (size_t)16), c->max);

		e = reallocarray(c->entries, n, sizeof(*e));
		if (!e)
			return;		/* not remembered, no harm */
		c->entries = e;
		c->allocated = n;
	}
	if (pt->symbol) {
		symbol = strdup(pt->symbol);
		if (!symbol)
			return;
	}
	if (c->n < c->max) {
		e = &c->entries[c->n++];
	} else {
		e = &c->entries[c->next];
		c->next = (c->next + 1) % c->max;
		free(e->symbol);
	}
	*e = (CacheEntry) {
		.dev = st->st_dev, .ino = st->st_ino, .size = (uint64_t)st->st_size,
		.mtime_ns = timespec_ns(&st->st_mtim),
		.ctime_ns = timespec_ns(&st->st_ctim),
		.symbol = symbol, .offset = pt->offset,
		.value = value, .result = result,
	};
}

int tlob_elf_cache_resolve(TlobElfCache *c, int fd, const struct stat *st,
			   const TlobProbePoint *pt, uint64_t *ret)
{
	uint64_t value = 0;
	int r;

	for (size_t i = 0; c && i < c->n; i++) {
		const CacheEntry *e = &c->entries[i];

		if (!entry_matches(e, st, pt))
			continue;
		c->hits++;
		if (e->result < 0)
			return e->result;
		*ret = e->value;
		return 0;
	}
	if (c)
		c->misses++;
	r = tlob_elf_resolve(fd, pt, &value);
	/* What the file says, not what went wrong reading it this time. */
	if (c && IN_SET(r, 0, -ENOEXEC, -ENXIO, -ERANGE))
		cache_store(c, st, pt, r, value);
	if (r < 0)
		return r;
	*ret = value;
	return 0;
}

size_t tlob_elf_cache_size(const TlobElfCache *c)
{
	return c ? c->n : 0;
}

void tlob_elf_cache_stats(const TlobElfCache *c, uint64_t *ret_hits,
			  uint64_t *ret_misses)
{
	*ret_hits = c ? c->hits : 0;
	*ret_misses = c ? c->misses : 0;
}
