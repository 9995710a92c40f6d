// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of fuzz_btf_scan into DIR: a BTF with every kind the reader walks
 * (mode byte 0), its string and type sections alone (mode 2, then the strings' length), and a
 * vmlinux with a module's split BTF (mode byte 1, then the base's length, little-endian, then
 * both), built by the unit tests' builders (tests/unit/test_btf_build.h).
 * Each seed is read back with btf_scan_mem before it is written, so a seed the reader refuses
 * stops the generator. Usage: btf_seeds DIR (tests/fuzz/corpus/make.sh runs it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_scan.h"
#include "unit/test_btf_build.h"

static int failed;

/* Whether the reader accepts raw (with base, for a split BTF). */
static int reads(const void *raw, size_t n, const struct btf_scan *base, struct btf_scan **out)
{
	void *copy = malloc(n);
	struct btf_scan *s = NULL;
	int err;

	memcpy(copy, raw, n);
	err = btf_scan_mem(copy, n, base, &s);
	if (out && !err) {
		*out = s;
		return 0; /* copy lives as long as the base it backs: the generator exits soon */
	}
	btf_scan_free(s);
	free(copy);
	return err;
}

static void seed(const char *dir, const char *name, const uint8_t *head, size_t hlen, const void *a,
		 size_t alen, const void *b, size_t blen)
{
	char path[512];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = fopen(path, "wb");
	if (!out || fwrite(head, 1, hlen, out) != hlen || fwrite(a, 1, alen, out) != alen ||
	    (blen && fwrite(b, 1, blen, out) != blen) || fclose(out)) {
		fprintf(stderr, "btf_seeds: failed to write %s: %s\n", path, strerror(errno));
		failed = 1;
	}
}

int main(int argc, char **argv)
{
	struct btf *all = all_kinds_btf(), *base, *mod;
	struct btf_scan *sb = NULL;
	const void *ra, *rb;
	__u32 na, nb;

	if (argc != 2) {
		fprintf(stderr, "usage: btf_seeds DIR\n");
		return 2;
	}
	ra = btf__raw_data(all, &na);
	if (!ra || reads(ra, na, NULL, NULL)) {
		fprintf(stderr, "btf_seeds: the every-kind BTF is not read\n");
		return 1;
	}
	seed(argv[1], "every-kind", (const uint8_t[]){0}, 1, ra, na, NULL, 0);
	{
		/* Its sections alone, strings first, for the target's mode 2. */
		const struct btf_header *h = ra;
		const uint8_t *sec = (const uint8_t *)ra + h->hdr_len;

		seed(argv[1], "every-kind-sections",
		     (const uint8_t[]){2, h->str_len & 0xff, h->str_len >> 8}, 3, sec + h->str_off,
		     h->str_len, sec + h->type_off, h->type_len);
	}

	split_pair(&base, &mod);
	ra = btf__raw_data(base, &na);
	rb = btf__raw_data(mod, &nb);
	if (!ra || !rb || na > 0xffff || reads(ra, na, NULL, &sb) || reads(rb, nb, sb, NULL)) {
		fprintf(stderr, "btf_seeds: the split pair is not read\n");
		return 1;
	}
	seed(argv[1], "vmlinux-and-module", (const uint8_t[]){1, na & 0xff, na >> 8}, 3, ra, na, rb,
	     nb);
	btf__free(all);
	btf__free(mod);
	btf__free(base);
	return failed;
}
