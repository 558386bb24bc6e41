// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Corpus replay without libFuzzer (gcc builds): feed every file of the
 * directories (or files) given on the command line to the harness once.
 * Prints TAP, one test point per input.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "macro.h"
#include "strv.h"

static int read_all(const char *path, uint8_t **ret, size_t *ret_size)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	uint8_t *buf = NULL;
	size_t size = 0, n;
	uint8_t chunk[4096];

	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		uint8_t *b = realloc(buf, size + n);

		if (!b) {
			free(buf);
			return -ENOMEM;
		}
		buf = b;
		memcpy(buf + size, chunk, n);
		size += n;
	}
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	*ret_size = size;
	return 0;
}

static int collect(const char *arg, char ***files)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (stat(arg, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return tlob_strv_extend(files, arg);
	d = opendir(arg);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && r >= 0) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", arg, de->d_name) < 0)
			r = -ENOMEM;
		else
			r = tlob_strv_consume(files, p);
	}
	closedir(d);
	return r;
}

int main(int argc, char *argv[])
{
	_cleanup_strv_free_ char **files = NULL;
	unsigned n = 0;
	int r;

	for (int i = 1; i < argc; i++) {
		r = collect(argv[i], &files);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
			return 1;
		}
	}
	tlob_strv_sort(files);
	printf("1..%zu\n", tlob_strv_length(files));
	for (char **f = files; f && *f; f++) {
		_cleanup_free_ uint8_t *data = NULL;
		size_t size = 0;

		r = read_all(*f, &data, &size);
		if (r < 0) {
			printf("not ok %u - %s: %s\n", ++n, *f, strerror(-r));
			continue;
		}
		/* A failed property aborts the whole run, as under libFuzzer. */
		LLVMFuzzerTestOneInput(data, size);
		printf("ok %u - %s\n", ++n, *f);
	}
	return 0;
}
