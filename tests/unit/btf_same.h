/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The raw BTF reader (btf_scan.h) against libbpf's parser, at the level of the BTF itself: what
 * the reason table and the feature probes read (the enums, their members and values, function
 * names, typedefs and prototypes' arguments) must be what libbpf reads from the same bytes.
 * Header-only, as test_btf_build.h.
 */
#ifndef DS_TEST_BTF_SAME_H
#define DS_TEST_BTF_SAME_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "btf_scan.h"
#include "reasons.h"
#include "tap.h"

static inline int btf_same_str(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Enum y's member i against the scan's: name and value (an ENUM's as unsigned 32 bits). */
static inline int btf_same_member(const struct btf_scan *s, const struct btf_type *x,
				  const struct btf *b, const struct btf_type *y, unsigned i)
{
	const char *name, *want;
	uint64_t v, wantv;

	if (btf_scan_enum_member(s, x, i, &name, &v))
		return 0;
	if (btf_is_enum(y)) {
		want = btf__name_by_offset(b, btf_enum(y)[i].name_off);
		wantv = (uint32_t)btf_enum(y)[i].val;
	} else {
		want = btf__name_by_offset(b, btf_enum64(y)[i].name_off);
		wantv = btf_enum64_value(&btf_enum64(y)[i]);
	}
	return btf_same_str(name, want) && v == wantv;
}

/* A function prototype's parameter i: name and type. */
static inline int btf_same_param(const struct btf_scan *s, const struct btf_type *x,
				 const struct btf *b, const struct btf_type *y, unsigned i)
{
	const struct btf_param *px = (const void *)(x + 1), *py = btf_params(y);

	return px[i].type == py[i].type && btf_same_str(btf_scan_str(s, px[i].name_off),
							btf__name_by_offset(b, py[i].name_off));
}

/* Item i of type y: an enum's member, a prototype's parameter (other kinds' are not read). */
static inline int btf_same_item(const struct btf_scan *s, const struct btf_type *x,
				const struct btf *b, const struct btf_type *y, unsigned i)
{
	if (btf_is_any_enum(y))
		return btf_same_member(s, x, b, y, i);
	if (btf_is_func_proto(y))
		return btf_same_param(s, x, b, y, i);
	return 1;
}

/*
 * Every type of scan s as libbpf's b has it: the count; each type's kind, vlen, size or referred
 * type (a typedef's, a pointer's) and name (a FUNC's); every enum member's name and value; every
 * prototype's parameters (their count is vlen). One ok() naming the first difference.
 */
static inline int btf_same(const struct btf_scan *s, const struct btf *b, const char *what)
{
	uint32_t n = btf__type_cnt(b), enums = 0;
	char diff[256] = "";

	if (btf_scan_type_cnt(s) != n)
		snprintf(diff, sizeof(diff), "%u types, libbpf %u", btf_scan_type_cnt(s), n);
	for (uint32_t id = 1; !diff[0] && id < n; id++) {
		const struct btf_type *x = btf_scan_type(s, id), *y = btf__type_by_id(b, id);
		const char *want = btf__name_by_offset(b, y->name_off);
		unsigned i, vlen = btf_vlen(y);

		if (!x || x->info != y->info || x->size != y->size ||
		    !btf_same_str(btf_scan_str(s, x->name_off), want)) {
			snprintf(diff, sizeof(diff), "type %u (%s): kind, vlen, size or name", id,
				 want ? want : "?");
			break;
		}
		enums += btf_is_any_enum(y);
		for (i = 0; i < vlen; i++)
			if (!btf_same_item(s, x, b, y, i)) {
				snprintf(diff, sizeof(diff), "type %u (%s): member %u", id, want,
					 i);
				break;
			}
	}
	if (!diff[0] && (btf_scan_type(s, 0) || btf_scan_type(s, n)))
		snprintf(diff, sizeof(diff), "void or an id past the end is a type");
	return ok(!diff[0], "%s: %u types (%u enums) read as libbpf reads them%s%s", what, n - 1,
		  enums, diff[0] ? ": " : "", diff);
}

/* The table the tool reads from btf (built with libbpf's btf__add_*): its raw bytes through
 * btf_scan_mem, checked with btf_same, and reasons_from_scan, modules from btf_dir. */
static inline int scan_reasons(const struct btf *btf, const char *btf_dir, const char *what,
			       struct reason_table **out)
{
	struct btf_scan *s;
	const void *raw;
	__u32 size;
	int err;

	*out = NULL;
	raw = btf__raw_data(btf, &size);
	if (!raw)
		return -ENOMEM;
	err = btf_scan_mem(raw, size, NULL, &s);
	if (!err && !btf_same(s, btf, what))
		err = -EINVAL;
	if (!err)
		err = reasons_from_scan(s, btf_dir, out);
	btf_scan_free(s);
	return err;
}

#endif
