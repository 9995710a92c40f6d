// SPDX-License-Identifier: GPL-2.0
/*
 * btfswap IN OUT: write IN's BTF to OUT in the other byte order (the header's fields and every
 * 32-bit word of the type section, which is all each kind's data is made of; the strings stay),
 * as a BTF file the raw reader refuses (-EPROTO) and libbpf reads: tests/e2e/btf_fallback.t.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/test_btf_build.h"

int main(int argc, char **argv)
{
	struct btf_header *h;
	uint8_t *p;
	FILE *f;
	long n;

	if (argc != 3) {
		fprintf(stderr, "usage: btfswap IN OUT\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	p = malloc(64 << 20);
	n = f && p ? (long)fread(p, 1, 64 << 20, f) : -1;
	if (f)
		fclose(f);
	h = (void *)p;
	if (n < (long)sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > n ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > (uint64_t)n ||
	    ((h->hdr_len + h->type_off) & 3)) {
		fprintf(stderr, "btfswap: %s is not a native BTF file\n", argv[1]);
		return 1;
	}
	btf_swap_raw(p);
	f = fopen(argv[2], "wb");
	if (!f || fwrite(p, 1, n, f) != (size_t)n || fclose(f)) {
		fprintf(stderr, "btfswap: cannot write %s\n", argv[2]);
		return 1;
	}
	free(p);
	return 0;
}
