// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include "tlob-bpf-util.h"

int tlob_bpf_check_bind_args(const struct tlob_bind_args *a)
{
	if ((a->flags & ~TLOB_BIND_FLAGS_ALL) || a->signal > 64)
		return -EINVAL;
	/* A BPF timer cannot signal another task than current. */
	if (a->signal)
		return -EOPNOTSUPP;
	if (!a->threshold_ns || a->threshold_ns > TLOB_MAX_THRESHOLD_NS)
		return -EINVAL;
	if (a->flags & TLOB_BIND_STOP_ON_RETURN ? a->stop_offset != 0 :
						  a->stop_offset == a->start_offset)
		return -EINVAL;
	return 0;
}

int tlob_bpf_encode_cgroup_path(const char *path, struct tlob_bpf_binding *b)
{
	const char *c = path;
	unsigned int level = 0, word = 0;

	if (!*path)
		return -EINVAL;
	memset(b->cg_off, 0, sizeof(b->cg_off));
	memset(b->cg_len, 0, sizeof(b->cg_len));
	memset(b->cg_words, 0, sizeof(b->cg_words));
	b->cg_level = 0;
	for (;;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);
		unsigned int words = (unsigned int)(n + 8) / 8;

		/* As the module's parser (tlob_parse_cgroup_path()). */
		if (!n || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		if (level >= TLOB_BPF_CG_DEPTH || n > 255 ||
		    word + words > TLOB_BPF_CG_WORDS)
			return -ENAMETOOLONG;
		b->cg_off[level] = (__u16)word;
		b->cg_len[level] = (__u16)n;
		memcpy((char *)&b->cg_words[word], c, n);
		word += words;
		level++;
		if (!end)
			break;
		c = end + 1;
	}
	b->cg_level = level;
	return 0;
}

uint32_t tlob_bpf_next_id(uint32_t last, bool (*in_use)(uint32_t id, void *userdata),
			  void *userdata)
{
	uint32_t id = last;

	for (uint32_t tries = 0; tries < TLOB_BPF_MAX_ID; tries++) {
		id = id >= TLOB_BPF_MAX_ID ? 1 : id + 1;
		if (!in_use || !in_use(id, userdata))
			return id;
	}
	return 0;
}

uint64_t tlob_bpf_ring_bytes(uint32_t records, uint64_t page_size)
{
	uint64_t need = (uint64_t)records * (sizeof(struct tlob_event) + 8);
	uint64_t bytes = page_size;

	while (bytes < need)
		bytes <<= 1;
	return bytes;
}
