// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF loader's pure parts (bpf/tlob-bpf-util.c): the bind argument
 * checks against the module's, the cgroup path encoding the BPF object
 * compares with, binding ids, the ring buffer's size.  Prints TAP.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tlob-bpf-util.h"
#include "tap.h"

static void check_bind_args(void)
{
	struct tlob_bind_args ok = { .start_offset = 0x10, .stop_offset = 0x20,
				     .threshold_ns = 1000 }, a;

	tap_ok(tlob_bpf_check_bind_args(&ok) == 0, "bind: valid entry->entry");
	a = ok;
	a.flags = TLOB_BIND_STOP_ON_RETURN;
	tap_ok(tlob_bpf_check_bind_args(&a) == -EINVAL,
	       "bind: STOP_ON_RETURN with a stop offset");
	a.stop_offset = 0;
	tap_ok(tlob_bpf_check_bind_args(&a) == 0, "bind: valid entry->return");
	a = ok;
	a.stop_offset = a.start_offset;
	tap_ok(tlob_bpf_check_bind_args(&a) == -EINVAL, "bind: STOP == START");
	a = ok;
	a.flags = 1U << 7;
	tap_ok(tlob_bpf_check_bind_args(&a) == -EINVAL, "bind: unknown flag");
	a = ok;
	a.signal = 65;
	tap_ok(tlob_bpf_check_bind_args(&a) == -EINVAL, "bind: signal 65");
	a = ok;
	a.signal = 6;
	tap_ok(tlob_bpf_check_bind_args(&a) == -EOPNOTSUPP, "bind: a signal action");
	a = ok;
	a.flags = TLOB_BIND_CAUSE;
	tap_ok(tlob_bpf_check_bind_args(&a) == 0, "bind: causes");
	a = ok;
	a.threshold_ns = 0;
	tap_ok(tlob_bpf_check_bind_args(&a) == -EINVAL, "bind: threshold 0");
	a.threshold_ns = TLOB_MAX_THRESHOLD_NS;
	tap_ok(tlob_bpf_check_bind_args(&a) == 0, "bind: threshold one hour");
	a.threshold_ns = TLOB_MAX_THRESHOLD_NS + 1;
	tap_ok(tlob_bpf_check_bind_args(&a) == -EINVAL, "bind: threshold over an hour");
}

/* Component @i of @b as a string. */
static const char *component(const struct tlob_bpf_binding *b, unsigned int i)
{
	return (const char *)&b->cg_words[b->cg_off[i]];
}

static void check_cgroup_path(void)
{
	static const char *const bad[] = {
		"", "/", "/a", "a/", "a//b", ".", "..", "a/./b", "a/../b", "a/.",
	};
	static struct tlob_bpf_binding b;
	char path[4096], name[300];
	bool ok = true;
	int r;

	r = tlob_bpf_encode_cgroup_path("system.slice/app.service", &b);
	tap_ok(r == 0 && b.cg_level == 2 && b.cg_len[0] == 12 && b.cg_len[1] == 11 &&
	       b.cg_off[0] == 0 && b.cg_off[1] == 2 &&
	       !strcmp(component(&b, 0), "system.slice") &&
	       !strcmp(component(&b, 1), "app.service"),
	       "path: two components, each NUL-terminated at an 8-byte boundary");
	tap_ok(((const char *)&b.cg_words[1])[4] == 0 &&
	       ((const char *)&b.cg_words[3])[7] == 0,
	       "path: padding is zero");
	r = tlob_bpf_encode_cgroup_path("abcdefg/abcdefgh/x", &b);
	tap_ok(r == 0 && b.cg_off[1] == 1 && b.cg_off[2] == 3,
	       "path: a 7-byte name takes one word, an 8-byte one two");
	r = tlob_bpf_encode_cgroup_path("..a/b..", &b);
	tap_ok(r == 0 && b.cg_level == 2, "path: dots inside names are fine");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (tlob_bpf_encode_cgroup_path(bad[i], &b) != -EINVAL) {
			printf("# '%s' accepted\n", bad[i]);
			ok = false;
		}
	}
	tap_ok(ok, "path: empty, absolute, empty, . and .. components are EINVAL");

	path[0] = 0;
	for (int i = 0; i < TLOB_BPF_CG_DEPTH; i++)
		strcat(path, i ? "/x" : "x");
	tap_ok(tlob_bpf_encode_cgroup_path(path, &b) == 0 &&
	       b.cg_level == TLOB_BPF_CG_DEPTH, "path: %d levels fit", TLOB_BPF_CG_DEPTH);
	strcat(path, "/x");
	tap_ok(tlob_bpf_encode_cgroup_path(path, &b) == -ENAMETOOLONG,
	       "path: one more level is ENAMETOOLONG");
	memset(name, 'n', 255);
	name[255] = 0;
	tap_ok(tlob_bpf_encode_cgroup_path(name, &b) == 0 && b.cg_len[0] == 255,
	       "path: a 255-byte name fits");
	name[255] = 'n';
	name[256] = 0;
	tap_ok(tlob_bpf_encode_cgroup_path(name, &b) == -ENAMETOOLONG,
	       "path: a 256-byte name is ENAMETOOLONG");
	/* 4 names of 255 bytes take 4 * 32 = 128 words: all there is. */
	name[255] = 0;
	snprintf(path, sizeof(path), "%s/%s/%s/%s", name, name, name, name);
	tap_ok(tlob_bpf_encode_cgroup_path(path, &b) == 0, "path: 128 words fit");
	strcat(path, "/y");
	tap_ok(tlob_bpf_encode_cgroup_path(path, &b) == -ENAMETOOLONG,
	       "path: one word more is ENAMETOOLONG");
}

static bool odd_in_use(uint32_t id, void *userdata)
{
	return id % 2;
}

static bool all_in_use(uint32_t id, void *userdata)
{
	return true;
}

static void check_ids(void)
{
	tap_ok(tlob_bpf_next_id(0, NULL, NULL) == 1, "ids start at 1");
	tap_ok(tlob_bpf_next_id(41, NULL, NULL) == 42, "ids grow");
	tap_ok(tlob_bpf_next_id(TLOB_BPF_MAX_ID, NULL, NULL) == 1,
	       "ids wrap after 2^31 - 1, skipping 0");
	tap_ok(tlob_bpf_next_id(10, odd_in_use, NULL) == 12, "ids in use are skipped");
	tap_ok(tlob_bpf_next_id(TLOB_BPF_MAX_ID - 1, odd_in_use, NULL) == 2,
	       "skipping across the wrap");
	tap_ok(tlob_bpf_next_id(5, all_in_use, NULL) == 0, "0 when every id is taken");
}

static void check_ring(void)
{
	uint64_t rec = sizeof(struct tlob_event) + 8;

	tap_ok(tlob_bpf_ring_bytes(1, 4096) == 4096, "ring: at least a page");
	tap_ok(tlob_bpf_ring_bytes(4096, 4096) == 524288 &&
	       524288 / rec >= 4096, "ring: 4096 records in 512 KiB");
	tap_ok(tlob_bpf_ring_bytes(34, 4096) == 4096 &&
	       tlob_bpf_ring_bytes(35, 4096) == 8192, "ring: a page holds 34 records");
}

int main(void)
{
	check_bind_args();
	check_cgroup_path();
	check_ids();
	check_ring();
	return tap_done();
}
