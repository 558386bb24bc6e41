// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers shared by the tlob kernel selftest programs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kt-util.h"

int kt_parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int kt_parse_duration(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "min", 60e9 }, { "h", 3600e9 }, { "", 1 },
	};
	char *end;
	double v;
	size_t i;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	/* Plain integers are taken exactly, without going through double. */
	if (kt_parse_u64(s, ret) == 0)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			*ret = (uint64_t)(v * units[i].mult + 0.5);
			return 0;
		}
	}
	return -EINVAL;
}

int kt_errno_from_name(const char *name)
{
	int i;

	if (strcmp(name, "0") == 0 || strcmp(name, "OK") == 0)
		return 0;
	for (i = 1; i < 256; i++) {
		const char *n = strerrorname_np(i);

		if (n && strcmp(n, name) == 0)
			return i;
	}
	return -EINVAL;
}

const char *kt_errno_name(int err)
{
	const char *n;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "0";
	n = strerrorname_np(err);
	return n ? n : "E?";
}

uint64_t kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * KT_NSEC_PER_SEC + ts.tv_nsec;
}

uint64_t kt_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * KT_NSEC_PER_SEC + ts.tv_nsec;
}

void kt_sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = ns / KT_NSEC_PER_SEC,
		.tv_nsec = ns % KT_NSEC_PER_SEC,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int elf_find_symbol(Elf *elf, const char *name, uint64_t *vaddr)
{
	Elf_Scn *scn = NULL;
	int found = -ENOENT;
	GElf_Shdr shdr;

	/* .symtab first: it also names local (static) functions. */
	for (int pass = 0; pass < 2 && found < 0; pass++) {
		Elf32_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;

		scn = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			Elf_Data *data;
			size_t n;

			if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != want ||
			    !shdr.sh_entsize)
				continue;
			data = elf_getdata(scn, NULL);
			if (!data)
				continue;
			n = shdr.sh_size / shdr.sh_entsize;
			for (size_t i = 0; i < n; i++) {
				GElf_Sym sym;
				const char *s;

				if (!gelf_getsym(data, (int)i, &sym) ||
				    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
				    sym.st_shndx == SHN_UNDEF)
					continue;
				s = elf_strptr(elf, shdr.sh_link, sym.st_name);
				if (s && strcmp(s, name) == 0) {
					*vaddr = sym.st_value;
					found = 0;
					break;
				}
			}
			if (found == 0)
				break;
		}
	}
	return found;
}

static int elf_vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t phnum;

	if (elf_getphdrnum(elf, &phnum) < 0)
		return -EINVAL;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ERANGE;
}

int kt_resolve_offset(const char *file, const char *spec, uint64_t *ret)
{
	uint64_t vaddr, add = 0;
	char *name, *plus;
	Elf *elf;
	int fd, r;

	if (kt_parse_u64(spec, ret) == 0)
		return 0;
	name = strdup(spec);
	if (!name)
		return -ENOMEM;
	plus = strchr(name, '+');
	if (plus) {
		*plus++ = '\0';
		r = kt_parse_u64(plus, &add);
		if (r < 0)
			goto out_free;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		r = -EINVAL;
		goto out_free;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out_free;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		r = -EINVAL;
		goto out_close;
	}
	r = elf_find_symbol(elf, name, &vaddr);
	if (r == 0)
		r = elf_vaddr_to_offset(elf, vaddr, ret);
	if (r == 0)
		*ret += add;
	elf_end(elf);
out_close:
	close(fd);
out_free:
	free(name);
	return r;
}
