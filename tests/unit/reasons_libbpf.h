/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reason table as dropscope read it before btf_scan.h: through libbpf's btf__parse and
 * btf__parse_split. Kept only as the tests' reference, so that the raw reader's table can be
 * compared with it, entry by entry, on the running kernel and on every recorded list.
 */
#ifndef DS_TEST_REASONS_LIBBPF_H
#define DS_TEST_REASONS_LIBBPF_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "btf_scan.h"
#include "reasons.h"
#include "tap.h"
#include "util.h"

/* Value of enum member i (plain or 64-bit enum). */
static uint64_t ref_enum_value(const struct btf_type *t, int i)
{
	if (btf_is_enum(t))
		return (uint32_t)btf_enum(t)[i].val;
	return btf_enum64_value(&btf_enum64(t)[i]);
}

static const char *ref_enum_member_name(const struct btf *btf, const struct btf_type *t, int i)
{
	if (btf_is_enum(t))
		return btf__name_by_offset(btf, btf_enum(t)[i].name_off);
	return btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
}

static const struct btf_type *ref_find_enum(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);

	if (id < 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM64);
	return id < 0 ? NULL : btf__type_by_id(btf, id);
}

static int ref_add_core_reasons(struct reason_table *tbl, const struct btf *btf)
{
	const struct btf_type *t = ref_find_enum(btf, "skb_drop_reason");

	if (!t)
		return 0; /* before 5.17 */
	tbl->has_reasons = 1;
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name = ref_enum_member_name(btf, t, i);
		uint64_t v = ref_enum_value(t, i);
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

static bool ref_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/*
 * Whether member (name, value) of a subsystem's enum is one of its reasons. Such an enum also
 * holds core values (mac80211's RX_CONTINUE and RX_QUEUED are SKB_CONSUMED and
 * SKB_NOT_DROPPED_YET), a marker for its first value (__OVS_DROP_REASON) and a count
 * (OVS_DROP_MAX); its own reasons are the rest.
 */
static bool ref_is_subsys_reason(const char *name, uint64_t value)
{
	return (value >> 16) != 0 && value <= UINT32_MAX && name && name[0] != '_' &&
	       !ref_ends_with(name, "_MAX") && !ref_ends_with(name, "_NUM");
}

/* The index of subsystem subsys in ids, if it is one still missing (found[k] == 0). */
static int ref_missing_subsys(uint32_t subsys, const uint32_t *ids, const int *found, int nids)
{
	for (int k = 0; k < nids; k++)
		if (ids[k] == subsys && !found[k])
			return k;
	return -1;
}

/*
 * A subsystem's reasons live in an enum of its own (enum ovs_drop_reason, enum
 * mac80211_drop_reason, ...), its values carrying the subsystem id in the high 16 bits; one
 * enum may hold two subsystems (mac80211's UNUSABLE and MONITOR). Their names are fixed by no
 * interface, so: every enum named *drop_reason (but the core one, and mac80211's internal
 * ___mac80211_drop_reason, whose members carry ___ prefixes), its reasons grouped by
 * subsystem, each subsystem taken from the first enum that has it; found[k] records which were.
 */
static int ref_add_subsys_reasons(struct reason_table *tbl, const struct btf *btf,
				  const uint32_t *ids, int *found, int nids)
{
	uint32_t n = btf__type_cnt(btf);

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		int took[32] = {0};
		const char *name;
		int i, k, vlen;

		if (!btf_is_any_enum(t) || !(vlen = btf_vlen(t)))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || name[0] == '_' || !ref_ends_with(name, "drop_reason") ||
		    !strcmp(name, "skb_drop_reason"))
			continue;
		for (i = 0; i < vlen; i++) {
			const char *m = ref_enum_member_name(btf, t, i);
			uint64_t v = ref_enum_value(t, i);
			int err;

			if (!ref_is_subsys_reason(m, v))
				continue;
			k = ref_missing_subsys((uint32_t)(v >> 16), ids, found, nids);
			if (k < 0)
				continue;
			took[k] = 1;
			err = reasons_add(tbl, (uint32_t)v, m);
			if (err)
				return err;
		}
		for (k = 0; k < nids; k++)
			found[k] |= took[k];
	}
	return 0;
}

static int ref_add_all_subsys_reasons(struct reason_table *tbl, const struct btf *vmlinux,
				      const char *btf_dir)
{
	const struct btf_type *subsys = ref_find_enum(vmlinux, "skb_drop_reason_subsys");
	uint32_t ids[32];
	int found[32] = {0}, nids = 0, missing, err;
	struct dirent *de;
	char path[512];
	DIR *d;

	for (int i = 0; subsys && i < btf_vlen(subsys) && nids < 32; i++) {
		uint32_t id = (uint32_t)ref_enum_value(subsys, i);
		const char *m = ref_enum_member_name(vmlinux, subsys, i);

		if (id == 0 || !m || ref_ends_with(m, "_NUM"))
			continue;
		ids[nids++] = id;
		/* The name, for the subsystem's catch-all row (SUBSYS_OPENVSWITCH). */
		if (tbl->nsubsys < ARRAY_SIZE(tbl->subsys)) {
			if (!strncmp(m, "SKB_DROP_REASON_SUBSYS_", 23))
				m += 23;
			tbl->subsys[tbl->nsubsys].id = id;
			snprintf(tbl->subsys[tbl->nsubsys].name, sizeof(tbl->subsys[0].name), "%s",
				 m);
			tbl->nsubsys++;
		}
	}
	if (!nids)
		return 0;
	err = ref_add_subsys_reasons(tbl, vmlinux, ids, found, nids);
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
		err = ref_add_subsys_reasons(tbl, mod, ids, found, nids);
		btf__free(mod);
	}
	if (d)
		closedir(d);
	return err;
}

static int ref_reasons_from_btf(const struct btf *vmlinux, const char *btf_dir,
				struct reason_table **out)
{
	struct reason_table *tbl = reasons_new();
	int err;

	*out = NULL;
	if (!tbl)
		return -ENOMEM;
	err = ref_add_core_reasons(tbl, vmlinux);
	if (!err)
		err = ref_add_all_subsys_reasons(tbl, vmlinux, btf_dir);
	if (err) {
		reasons_free(tbl);
		return err;
	}
	*out = tbl;
	return 0;
}

static inline int ref_reasons_load(const char *btf_dir, struct reason_table **out)
{
	struct btf *vmlinux;
	char path[512];
	int err;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/vmlinux", btf_dir);
	vmlinux = btf__parse(path, NULL);
	if (!vmlinux)
		return -errno;
	err = ref_reasons_from_btf(vmlinux, btf_dir, out);
	btf__free(vmlinux);
	return err;
}

/* The table the tool reads from btf (built with libbpf's btf__add_*): its raw bytes through
 * btf_scan_mem and reasons_from_scan, modules from btf_dir. */
static inline int scan_reasons(const struct btf *btf, const char *btf_dir,
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
	if (!err)
		err = reasons_from_scan(s, btf_dir, out);
	btf_scan_free(s);
	return err;
}

/* A and b hold the same reasons (value, name, category, queue, in_table), SKB_CONSUMED and
 * subsystems: one ok() saying the first difference. */
static inline int tables_same(const struct reason_table *a, const struct reason_table *b,
			      const char *what)
{
	char diff[256] = "";

	if (!a || !b)
		snprintf(diff, sizeof(diff), "a table is missing (%p, %p)", (void *)a, (void *)b);
	else if (a->n != b->n || a->consumed != b->consumed || a->has_reasons != b->has_reasons ||
		 a->nsubsys != b->nsubsys)
		snprintf(diff, sizeof(diff), "%zu/%zu reasons, consumed %u/%u, %zu/%zu subsystems",
			 a->n, b->n, a->consumed, b->consumed, a->nsubsys, b->nsubsys);
	for (size_t i = 0; !diff[0] && i < a->n; i++) {
		const struct reason *x = &a->v[i], *y = &b->v[i];

		if (x->value != y->value || strcmp(x->name, y->name) ||
		    x->category != y->category || x->queue_kind != y->queue_kind ||
		    x->in_table != y->in_table)
			snprintf(diff, sizeof(diff), "reason %zu: %s=%u / %s=%u", i, x->name,
				 x->value, y->name, y->value);
	}
	for (size_t i = 0; !diff[0] && i < a->nsubsys; i++)
		if (a->subsys[i].id != b->subsys[i].id ||
		    strcmp(a->subsys[i].name, b->subsys[i].name))
			snprintf(diff, sizeof(diff), "subsystem %zu: %s / %s", i, a->subsys[i].name,
				 b->subsys[i].name);
	return ok(!diff[0], "%s: the same table as libbpf's reading (%zu reasons)%s%s", what,
		  a ? a->n : 0, diff[0] ? ": " : "", diff);
}

#endif
