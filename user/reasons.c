// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "reasons.h"
#include "util.h"

#define CORE_PREFIX "SKB_DROP_REASON_"

struct reason_table *reasons_new(void)
{
	return calloc(1, sizeof(struct reason_table));
}

void reasons_free(struct reason_table *t)
{
	if (!t)
		return;
	free(t->v);
	free(t);
}

int reasons_add(struct reason_table *t, uint32_t value, const char *name)
{
	size_t lo = 0, hi = t->n;
	struct reason *r;

	if (!strncmp(name, CORE_PREFIX, strlen(CORE_PREFIX)))
		name += strlen(CORE_PREFIX);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid].value < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n && t->v[lo].value == value)
		return 0; /* first name wins: enums may carry aliases */
	if (array_reserve((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v)))
		return -ENOMEM;
	memmove(&t->v[lo + 1], &t->v[lo], (t->n - lo) * sizeof(*r));
	r = &t->v[lo];
	memset(r, 0, sizeof(*r));
	r->value = value;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->category = reason_category(r->name);
	r->queue_kind = reason_queue_kind(r->name);
	t->n++;
	return 0;
}

const struct reason *reasons_find(const struct reason_table *t, uint32_t value)
{
	size_t lo = 0, hi = t ? t->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid].value == value)
			return &t->v[mid];
		if (t->v[mid].value < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *reasons_label(const struct reason_table *t, uint32_t value, char *buf, size_t size)
{
	const struct reason *r = reasons_find(t, value);

	if (r)
		return r->name;
	if (value == 0)
		snprintf(buf, size, "UNKNOWN");
	else if (value >> 16)
		snprintf(buf, size, "SUBSYS_%u_%u", value >> 16, value & 0xffff);
	else
		snprintf(buf, size, "REASON_%u", value);
	return buf;
}

enum drop_category reasons_category(const struct reason_table *t, uint32_t value)
{
	const struct reason *r = reasons_find(t, value);

	if (r)
		return r->category;
	return value == 0 ? CAT_UNSPECIFIED : CAT_OTHER;
}

enum drop_category reasons_category_at(const struct reason_table *t, uint32_t value,
				       const char *location)
{
	const struct reason *r = reasons_find(t, value);

	return r ? reason_category_at(r->name, location) : reasons_category(t, value);
}

/* Value of enum member i (plain or 64-bit enum). */
static uint64_t enum_value(const struct btf_type *t, int i)
{
	if (btf_is_enum(t))
		return (uint32_t)btf_enum(t)[i].val;
	return btf_enum64_value(&btf_enum64(t)[i]);
}

static const char *enum_member_name(const struct btf *btf, const struct btf_type *t, int i)
{
	if (btf_is_enum(t))
		return btf__name_by_offset(btf, btf_enum(t)[i].name_off);
	return btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
}

static const struct btf_type *find_enum(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);

	if (id < 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM64);
	return id < 0 ? NULL : btf__type_by_id(btf, id);
}

static int add_core_reasons(struct reason_table *tbl, const struct btf *btf)
{
	const struct btf_type *t = find_enum(btf, "skb_drop_reason");

	if (!t)
		return 0; /* before 5.17 */
	tbl->has_reasons = 1;
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name = enum_member_name(btf, t, i);
		uint64_t v = enum_value(t, i);
		int err;

		if (!strcmp(name, "SKB_CONSUMED")) {
			tbl->consumed = (uint32_t)v;
			continue;
		}
		/* Not reasons: markers and masks. */
		if (!strcmp(name, "SKB_NOT_DROPPED_YET") || strstr(name, "REASON_MAX") ||
		    strstr(name, "SUBSYS"))
			continue;
		err = reasons_add(tbl, (uint32_t)v, name);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A subsystem's reasons live in an enum of its own whose values all carry the subsystem id in
 * the high 16 bits (enum ovs_drop_reason, enum mac80211_drop_reason, ...). Its name is not
 * fixed by any interface, so take any enum named *drop_reason whose values all fit one of the
 * subsystems still missing; found[i] records which were.
 */
static int add_subsys_reasons(struct reason_table *tbl, const struct btf *btf, const uint32_t *ids,
			      int *found, int nids)
{
	uint32_t n = btf__type_cnt(btf);

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		uint32_t subsys;
		size_t len;
		int i, k, vlen;

		if (!btf_is_any_enum(t) || !(vlen = btf_vlen(t)))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		len = name ? strlen(name) : 0;
		if (len < 11 || strcmp(name + len - 11, "drop_reason") ||
		    !strcmp(name, "skb_drop_reason"))
			continue;
		subsys = (uint32_t)(enum_value(t, 0) >> 16);
		for (k = 0; k < nids && (ids[k] != subsys || found[k]); k++)
			;
		if (k == nids)
			continue;
		for (i = 0; i < vlen; i++)
			if ((enum_value(t, i) >> 16) != subsys)
				break;
		if (i < vlen)
			continue;
		found[k] = 1;
		for (i = 0; i < vlen; i++) {
			const char *m = enum_member_name(btf, t, i);
			int err;

			/* Each subsystem enum ends with its own count marker. */
			if (strstr(m, "_MAX") || strstr(m, "_NUM"))
				continue;
			err = reasons_add(tbl, (uint32_t)enum_value(t, i), m);
			if (err)
				return err;
		}
	}
	return 0;
}

static int add_all_subsys_reasons(struct reason_table *tbl, const struct btf *vmlinux,
				  const char *btf_dir)
{
	const struct btf_type *subsys = find_enum(vmlinux, "skb_drop_reason_subsys");
	uint32_t ids[32];
	int found[32] = { 0 }, nids = 0, missing, err;
	struct dirent *de;
	char path[512];
	DIR *d;

	for (int i = 0; subsys && i < btf_vlen(subsys) && nids < 32; i++) {
		uint32_t id = (uint32_t)enum_value(subsys, i);

		if (id != 0 && !strstr(enum_member_name(vmlinux, subsys, i), "_NUM"))
			ids[nids++] = id;
	}
	if (!nids)
		return 0;
	err = add_subsys_reasons(tbl, vmlinux, ids, found, nids);
	/* The rest are in their modules' BTF, if those modules are loaded. */
	d = opendir(btf_dir);
	while (!err && d && (de = readdir(d))) {
		struct btf *mod;

		missing = 0;
		for (int k = 0; k < nids; k++)
			missing += !found[k];
		if (!missing)
			break;
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", btf_dir, de->d_name);
		mod = btf__parse_split(path, (struct btf *)vmlinux);
		if (!mod)
			continue;
		err = add_subsys_reasons(tbl, mod, ids, found, nids);
		btf__free(mod);
	}
	if (d)
		closedir(d);
	return err;
}

int reasons_from_btf(const struct btf *vmlinux, const char *btf_dir, struct reason_table **out)
{
	struct reason_table *tbl = reasons_new();
	int err;

	*out = NULL;
	if (!tbl)
		return -ENOMEM;
	err = add_core_reasons(tbl, vmlinux);
	if (!err)
		err = add_all_subsys_reasons(tbl, vmlinux, btf_dir);
	if (err) {
		reasons_free(tbl);
		return err;
	}
	*out = tbl;
	return 0;
}

int reasons_load(const char *btf_dir, struct reason_table **out)
{
	struct btf *vmlinux;
	char path[512];
	int err;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/vmlinux", btf_dir);
	vmlinux = btf__parse(path, NULL);
	if (!vmlinux)
		return -errno;
	err = reasons_from_btf(vmlinux, btf_dir, out);
	btf__free(vmlinux);
	return err;
}
