// SPDX-License-Identifier: GPL-2.0-or-later
/* Addresses of causes to names (symbolize.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "elf-resolve.h"
#include "macro.h"
#include "symbolize.h"
#include "utf8.h"

/* A kernel text symbol: its name and module (0: none) in @names. */
typedef struct KSym {
	uint64_t addr;
	uint32_t name, module;
} KSym;

/*
 * A user address already looked up in an ELF file: which file (device,
 * inode, size, modification and change times), where in it, and what it
 * is. A burst of violations in one loop asks for the same few.
 */
typedef struct USym {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uint64_t off;
	char *name;			/* NULL: slot unused */
	uint64_t sym_off;
} USym;

#define USYM_CACHE 32
/* A longer symbol name (anybody's file) is cut: the cache keeps them. */
#define USYM_NAME_MAX 512

struct Symbolizer {
	char *kallsyms_path;
	char *proc;

	USym usyms[USYM_CACHE];
	unsigned int usym_next;		/* the slot replaced next */
	uint64_t elf_reads;		/* lookups the cache did not answer */

	KSym *syms;
	size_t n_syms;
	char *names;			/* "\0name\0module\0..." */
	size_t names_len;
	uint64_t sched_start, sched_end;
	bool loaded;			/* read at least once */
	bool restricted;		/* ... and every address was 0 */
	uint64_t loaded_at;		/* CLOCK_MONOTONIC ns */
};

/* Read kallsyms again after a miss, but not more often. */
#define RELOAD_INTERVAL_NS NSEC_PER_SEC
/* The last function of a module has no known end: up to this far. */
#define MODULE_TAIL_MAX 0x10000

Symbolizer *symbolizer_new(const char *kallsyms, const char *proc)
{
	Symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kallsyms_path = strdup(kallsyms ?: "/proc/kallsyms");
	s->proc = strdup(proc ?: "/proc");
	if (!s->kallsyms_path || !s->proc)
		return symbolizer_free(s);
	return s;
}

static void ksyms_clear(Symbolizer *s)
{
	s->syms = mfree(s->syms);
	s->names = mfree(s->names);
	s->n_syms = s->names_len = 0;
	s->sched_start = s->sched_end = 0;
}

Symbolizer *symbolizer_free(Symbolizer *s)
{
	if (!s)
		return NULL;
	ksyms_clear(s);
	for (size_t i = 0; i < USYM_CACHE; i++)
		free(s->usyms[i].name);
	free(s->kallsyms_path);
	free(s->proc);
	return mfree(s);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Append @str to the names; its offset in *@ret. */
static int names_add(Symbolizer *s, size_t *allocated, const char *str,
		     uint32_t *ret)
{
	size_t l = strlen(str) + 1;

	if (s->names_len + l > *allocated) {
		size_t n = MAX(*allocated * 2, s->names_len + l + 4096);
		char *p = realloc(s->names, n);

		if (!p)
			return -ENOMEM;
		s->names = p;
		*allocated = n;
	}
	memcpy(s->names + s->names_len, str, l);
	*ret = (uint32_t)s->names_len;
	s->names_len += l;
	return 0;
}

static int ksym_cmp(const void *a, const void *b)
{
	const KSym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Read kallsyms: its text symbols, sorted by address. */
static int ksyms_load(Symbolizer *s)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t size = 0, allocated = 0, names_allocated = 0;
	char last_module[64] = "";
	uint32_t module = 0;
	bool nonzero = false;
	int r;

	ksyms_clear(s);
	s->loaded = true;
	s->loaded_at = now_ns();
	f = fopen(s->kallsyms_path, "re");
	if (!f)
		return -errno;
	/* Offset 0 is the empty string: "no module". */
	r = names_add(s, &names_allocated, "", &module);
	if (r < 0)
		return r;
	while (getline(&line, &size, f) > 0) {
		char type, name[256], mod[64] = "";
		unsigned long long addr;
		uint32_t n;
		int k;

		k = sscanf(line, "%llx %c %255s [%63[^]]]", &addr, &type, name, mod);
		if (k < 3 || !strchr("tTwW", type))
			continue;
		if (addr != 0)
			nonzero = true;
		if (streq(name, "__sched_text_start")) {
			s->sched_start = addr;
			continue;
		}
		if (streq(name, "__sched_text_end")) {
			s->sched_end = addr;
			continue;
		}
		if (s->n_syms == allocated) {
			size_t na = MAX(allocated * 2, (size_t)4096);
			KSym *p = reallocarray(s->syms, na, sizeof(*p));

			if (!p)
				return -ENOMEM;
			s->syms = p;
			allocated = na;
		}
		r = names_add(s, &names_allocated, name, &n);
		if (r < 0)
			return r;
		/* Modules' symbols come grouped: their name once per group. */
		if (!*mod)
			module = 0;
		else if (!streq(mod, last_module) || module == 0) {
			r = names_add(s, &names_allocated, mod, &module);
			if (r < 0)
				return r;
			snprintf(last_module, sizeof(last_module), "%s", mod);
		}
		s->syms[s->n_syms++] = (KSym) { .addr = addr, .name = n, .module = module };
	}
	s->restricted = !nonzero;
	if (s->restricted) {
		/* Nothing to look up in: keep no memory for it. */
		ksyms_clear(s);
		return 0;
	}
	qsort(s->syms, s->n_syms, sizeof(*s->syms), ksym_cmp);
	return 0;
}

/*
 * The symbol holding @addr and its size (0: unknown), or NULL when none
 * known does.
 */
static const KSym *ksyms_find(const Symbolizer *s, uint64_t addr,
			      uint64_t *ret_size)
{
	size_t lo = 0, hi = s->n_syms;
	const KSym *k, *next;

	if (s->n_syms == 0 || addr < s->syms[0].addr)
		return NULL;
	/* The last symbol at or below @addr. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	k = &s->syms[lo];
	next = lo + 1 < s->n_syms ? &s->syms[lo + 1] : NULL;
	/* Where a module's text ends is not in kallsyms. */
	if (!next || !streq(s->names + next->module, s->names + k->module)) {
		if (!k->module || addr - k->addr >= MODULE_TAIL_MAX)
			return NULL;
		*ret_size = 0;
		return k;
	}
	*ret_size = next->addr - k->addr;
	return k;
}

/* Look @addr up, reading kallsyms first or again if needed. */
static const KSym *ksyms_lookup(Symbolizer *s, uint64_t addr,
				uint64_t *ret_size)
{
	const KSym *k;

	if (!s->loaded)
		(void)ksyms_load(s);
	k = ksyms_find(s, addr, ret_size);
	if (k || s->restricted || now_ns() - s->loaded_at < RELOAD_INTERVAL_NS)
		return k;
	/* A module loaded since? */
	(void)ksyms_load(s);
	return ksyms_find(s, addr, ret_size);
}

int symbolizer_kernel(Symbolizer *s, uint64_t addr, char **ret)
{
	uint64_t size = 0;
	const KSym *k = ksyms_lookup(s, addr, &size);
	const char *module;
	char sz[32] = "";
	int r;

	/* Never the address: it would undo KASLR for whoever reads it. */
	if (!k)
		r = (*ret = strdup("?")) ? 0 : -1;
	else {
		module = s->names + k->module;
		if (size > 0)
			snprintf(sz, sizeof(sz), "/0x%" PRIx64, size);
		r = asprintf(ret, "%s+0x%" PRIx64 "%s%s%s%s", s->names + k->name,
			     addr - k->addr, sz, *module ? " [" : "", module,
			     *module ? "]" : "");
	}
	return r < 0 ? -ENOMEM : 0;
}

int symbolizer_wchan(Symbolizer *s, const uint64_t *stack, size_t n,
		     char **ret)
{
	uint64_t size;

	*ret = NULL;
	if (!s->loaded)
		(void)ksyms_load(s);
	if (s->restricted || s->sched_end <= s->sched_start)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const KSym *k;

		if (stack[i] >= s->sched_start && stack[i] < s->sched_end)
			continue;
		k = ksyms_lookup(s, stack[i], &size);
		if (!k)
			return 0;
		*ret = strdup(s->names + k->name);
		return *ret ? 0 : -ENOMEM;
	}
	return 0;
}

bool symbolizer_kernel_restricted(Symbolizer *s)
{
	if (!s->loaded)
		(void)ksyms_load(s);
	return s->restricted;
}

/* --- user space ---------------------------------------------------------- */

static bool timespec_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool usym_matches(const USym *u, const struct stat *st, uint64_t off)
{
	return u->name && u->dev == st->st_dev && u->ino == st->st_ino &&
	       u->size == st->st_size && timespec_eq(&u->mtime, &st->st_mtim) &&
	       timespec_eq(&u->ctime, &st->st_ctim) && u->off == off;
}

/*
 * The ELF symbol of @off in the file open at @fd (@st), from the cache or
 * the file, in *@ret_name (the cache's) and *@ret_off.
 */
static int usym_lookup(Symbolizer *s, int fd, const struct stat *st,
		       uint64_t off, const char **ret_name, uint64_t *ret_off)
{
	_cleanup_free_ char *found = NULL;
	char *name;
	uint64_t sym_off;
	USym *u;
	int r;

	for (size_t i = 0; i < USYM_CACHE; i++)
		if (usym_matches(&s->usyms[i], st, off)) {
			*ret_name = s->usyms[i].name;
			*ret_off = s->usyms[i].sym_off;
			return 0;
		}
	s->elf_reads++;
	r = tlob_elf_symbolize(fd, off, &found, &sym_off);
	if (r < 0)
		return r;
	name = strndup(found, USYM_NAME_MAX);
	if (!name)
		return -ENOMEM;
	u = &s->usyms[s->usym_next];
	s->usym_next = (s->usym_next + 1) % USYM_CACHE;
	free(u->name);
	*u = (USym) {
		.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
		.mtime = st->st_mtim, .ctime = st->st_ctim,
		.off = off, .name = name, .sym_off = sym_off,
	};
	*ret_name = u->name;
	*ret_off = sym_off;
	return 0;
}

uint64_t symbolizer_elf_reads(const Symbolizer *s)
{
	return s->elf_reads;
}

/* The ELF symbol of @off in @path, if the file is still the inode @ino. */
static int user_symbol(Symbolizer *s, const char *path, uint64_t ino,
		       uint64_t off, char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	const char *name;
	uint64_t sym_off;
	struct stat st;
	int r;

	fd = tlob_elf_open(path, &st);
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_ino != ino)
		return -ESTALE;
	r = usym_lookup(s, fd, &st, off, &name, &sym_off);
	if (r < 0)
		return r;
	return asprintf(ret, "%s+0x%" PRIx64 " (%s)", name, sym_off, path) < 0 ?
	       -ENOMEM : 0;
}

/*
 * @ret made fit for D-Bus and a terminal: the path (from the maps) and the
 * symbol (from the ELF file) are anybody's bytes.
 */
static int sanitized(int r, char **ret)
{
	char *clean;
	size_t n;

	if (r < 0 || !*ret)
		return r;
	n = strlen(*ret);
	clean = malloc(n + 1);
	if (!clean) {
		*ret = mfree(*ret);
		return -ENOMEM;
	}
	tlob_utf8_sanitize(clean, n + 1, *ret, n);
	free(*ret);
	*ret = clean;
	return r;
}

static int symbolizer_user_raw(Symbolizer *s, pid_t tgid, uint64_t ip,
			       char **ret)
{
	_cleanup_free_ char *maps = NULL, *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t size = 0;

	if (asprintf(&maps, "%s/%d/maps", s->proc, (int)tgid) < 0)
		return -ENOMEM;
	f = tgid > 0 ? fopen(maps, "re") : NULL;
	while (f && getline(&line, &size, f) > 0) {
		unsigned long long start, end, pgoff, ino;
		char perms[8], *path, *nl;
		uint64_t off;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %llu %n", &start, &end,
			   perms, &pgoff, &ino, &pos) < 5 || pos == 0)
			continue;
		if (ip < start || ip >= end)
			continue;
		path = line + pos;
		nl = strchr(path, '\n');
		if (nl)
			*nl = 0;
		off = ip - start + pgoff;
		if (path[0] == '/' && user_symbol(s, path, ino, off, ret) == 0)
			return 0;
		if (!*path)
			break;
		/* No symbol (or a file without one): the file and offset. */
		return asprintf(ret, "%s+0x%" PRIx64, path,
				path[0] == '/' ? off : (uint64_t)(ip - start)) < 0 ?
		       -ENOMEM : 0;
	}
	return asprintf(ret, "0x%" PRIx64, ip) < 0 ? -ENOMEM : 0;
}

int symbolizer_user(Symbolizer *s, pid_t tgid, uint64_t ip, char **ret)
{
	*ret = NULL;
	return sanitized(symbolizer_user_raw(s, tgid, ip, ret), ret);
}
