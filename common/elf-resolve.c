// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>

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

/* Virtual address -> file offset via the PT_LOAD headers. */
static int vaddr_to_offset(Elf *e, uint64_t vaddr, bool need_exec,
			   uint64_t *ret)
{
	size_t n;

	if (elf_getphdrnum(e, &n) != 0 || n == 0)
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (need_exec && !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*ret = vaddr - ph.p_vaddr + ph.p_offset;
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
 * Search the symbol table of type @sh_type. 1 found, 0 not found.
 * A function wins over a non-typed label of the same name.
 */
static int find_in_table(Elf *e, Elf64_Word sh_type, const char *name,
			 GElf_Sym *ret)
{
	Elf_Scn *scn = NULL;
	bool found = false;

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
			if (!n || !streq(n, name))
				continue;
			if (!found || GELF_ST_TYPE(s.st_info) != STT_NOTYPE)
				*ret = s;
			found = true;
			if (GELF_ST_TYPE(s.st_info) != STT_NOTYPE)
				return 1;
		}
	}
	return found;
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

	r = vaddr_to_offset(e, sym.st_value + pt->offset, true, &off);
	if (r < 0)
		return r;
	*ret = off;
	return 0;
}

int tlob_elf_resolve_path(const char *path, const TlobProbePoint *pt,
			  uint64_t *ret)
{
	_cleanup_close_ int fd = -EBADF;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return tlob_elf_resolve(fd, pt, ret);
}
