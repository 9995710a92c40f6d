// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the raw BTF reader (user/btf_scan.c): the kernel's BTF is trusted, but
 * the reader must stay in bounds whatever a file says. Byte 0 picks the mode:
 *  0: the rest is one BTF file;
 *  1: bytes 1-2 (little-endian) give the length of a base BTF, and what follows it is a
 *     module's split BTF on that base;
 *  2: bytes 1-2 give the length of a string section, the rest (whole words) is a type section:
 *     the target writes a true header and puts the types last, so that a walk past the type
 *     section reads past the buffer (a file's own header rarely lines up so for the fuzzer).
 * Each part goes into a buffer of exactly its size, so that the sanitizer sees any read past it. A
 * BTF the reader accepts is then asked everything the tool asks, and what the reader promises is
 * checked: every type in range and every type's and enum member's name readable (abort otherwise).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "btf_scan.h"
#include "reasons.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

static void ask(const struct btf_scan *s)
{
	static const char *const enums[] = {"skb_drop_reason", "skb_drop_reason_subsys"};
	struct reason_table *t = NULL;
	const struct btf_type *typ;
	const char *name;
	uint64_t v;
	int id;

	for (uint32_t i = btf_scan_start_id(s); i < btf_scan_type_cnt(s); i++) {
		typ = btf_scan_type(s, i);
		check(typ && btf_scan_str(s, typ->name_off));
		for (unsigned m = 0; btf_scan_is_enum(typ) && m < btf_scan_vlen(typ); m++)
			check(!btf_scan_enum_member(s, typ, m, &name, &v) && name);
	}
	check(!btf_scan_type(s, btf_scan_type_cnt(s)) && !btf_scan_type(s, 0));
	for (size_t i = 0; i < 2; i++)
		btf_scan_find(s, enums[i], BTF_KIND_ENUM);
	btf_scan_find(s, "bpf_rdonly_cast", BTF_KIND_FUNC);
	/* kfree_skb_btf_args' walk: typedef -> pointer -> prototype, any id the file gives. */
	id = btf_scan_find(s, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF);
	typ = id > 0 ? btf_scan_type(s, id) : NULL;
	for (int hop = 0; typ && hop < 2; hop++)
		typ = btf_scan_type(s, typ->type);
	if (!reasons_from_scan(s, "/nonexistent", &t))
		reasons_free(t);
}

/* Mode 2: a true header, slen bytes of strings (padded to a word), then the types, last. */
static int sections(const uint8_t *data, size_t size, size_t slen)
{
	struct btf_header h = {.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h)};
	struct btf_scan *s = NULL;
	size_t spad, tlen;
	uint8_t *buf;

	slen = size ? slen % (size + 1) : 0;
	spad = (slen + 3) & ~(size_t)3;
	tlen = (size - slen) & ~(size_t)3;
	h.str_len = slen;
	h.type_off = spad;
	h.type_len = tlen;
	buf = calloc(1, sizeof(h) + spad + tlen);
	if (!buf)
		return 0;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), data, slen);
	memcpy(buf + sizeof(h) + spad, data + slen, tlen);
	check(!btf_scan_mem(buf, sizeof(h) + spad + tlen, NULL, &s) == !!s);
	if (s)
		ask(s);
	btf_scan_free(s);
	free(buf);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf_scan *base = NULL, *mod = NULL;
	size_t head = 1, blen, mlen = 0;
	void *b, *m = NULL;

	if (size < 3)
		return 0;
	if (data[0] % 3 == 2)
		return sections(data + 3, size - 3, data[1] | data[2] << 8);
	if (data[0] % 3 == 1) {
		head = 3;
		blen = (data[1] | data[2] << 8) % (size - 2);
		mlen = size - head - blen;
	} else {
		blen = size - head;
	}
	b = malloc(blen ? blen : 1);
	m = malloc(mlen ? mlen : 1);
	if (!b || !m)
		goto out;
	memcpy(b, data + head, blen);
	memcpy(m, data + head + blen, mlen);
	check(!btf_scan_mem(b, blen, NULL, &base) == !!base);
	if (!base)
		goto out;
	ask(base);
	if (mlen) {
		check(!btf_scan_mem(m, mlen, base, &mod) == !!mod);
		if (mod) {
			check(btf_scan_start_id(mod) == btf_scan_type_cnt(base));
			ask(mod);
		}
	}
out:
	btf_scan_free(mod);
	btf_scan_free(base);
	free(m);
	free(b);
	return 0;
}
