// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include "btf_scan.h"
#include "dropscope.h"
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
	r->in_table = reason_in_table(r->name);
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
	else if ((value & 0xffff) == 0xffff)
		return reasons_catchall_label(t, value >> 16, buf, size);
	else if (value >> 16)
		snprintf(buf, size, "SUBSYS_%u_%u", value >> 16, value & 0xffff);
	else
		snprintf(buf, size, "REASON_%u", value);
	return buf;
}

const char *reasons_catchall_label(const struct reason_table *t, uint32_t subsys, char *buf,
				   size_t size)
{
	if (subsys == 0) {
		snprintf(buf, size, "OTHER_CORE_REASONS");
		return buf;
	}
	for (size_t i = 0; t && i < t->nsubsys; i++)
		if (t->subsys[i].id == subsys) {
			snprintf(buf, size, "SUBSYS_%s", t->subsys[i].name);
			return buf;
		}
	snprintf(buf, size, "SUBSYS_%u", subsys);
	return buf;
}

enum drop_category reasons_category(const struct reason_table *t, uint32_t value)
{
	const struct reason *r = reasons_find(t, value);

	if (r)
		return r->category;
	return value == 0 ? CAT_UNSPECIFIED : CAT_UNCLASSIFIED;
}

size_t reasons_not_in_table(const struct reason_table *t)
{
	size_t n = 0;

	for (size_t i = 0; t && i < t->n; i++)
		n += !t->v[i].in_table;
	return n;
}

void reasons_print_not_in_table(const struct reason_table *t, FILE *f)
{
	size_t n = reasons_not_in_table(t);

	if (!t)
		return;
	if (!n) {
		fprintf(f,
			"dropscope: the category table knows all %zu drop reasons of this kernel\n",
			t->n);
		return;
	}
	fprintf(f,
		"dropscope: %zu of this kernel's %zu drop reasons are not in the category table; "
		"they are counted and named all the same:\n",
		n, t->n);
	for (size_t i = 0; i < t->n; i++) {
		const struct reason *r = &t->v[i];

		if (r->in_table)
			continue;
		fprintf(f, "dropscope:   %s (%u): %s%s\n", r->name, r->value,
			category_label(r->category),
			r->category == CAT_UNCLASSIFIED ? "" : " (from its name)");
	}
}

enum drop_category reasons_category_at(const struct reason_table *t, uint32_t value,
				       const char *location)
{
	const struct reason *r = reasons_find(t, value);

	return r ? reason_category_at(r->name, location) : reasons_category(t, value);
}

static const struct btf_type *find_enum(const struct btf_scan *btf, const char *name)
{
	int id = btf_scan_find(btf, name, BTF_KIND_ENUM);

	if (id < 0)
		id = btf_scan_find(btf, name, BTF_KIND_ENUM64);
	return id < 0 ? NULL : btf_scan_type(btf, id);
}

static int add_core_reasons(struct reason_table *tbl, const struct btf_scan *btf)
{
	const struct btf_type *t = find_enum(btf, "skb_drop_reason");

	if (!t)
		return 0; /* before 5.17 */
	tbl->has_reasons = 1;
	for (unsigned i = 0; i < btf_scan_vlen(t); i++) {
		const char *name;
		uint64_t v;
		int err = btf_scan_enum_member(btf, t, i, &name, &v);

		if (err)
			return err;
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

static bool ends_with(const char *s, const char *suffix)
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
static bool is_subsys_reason(const char *name, uint64_t value)
{
	return (value >> 16) != 0 && value <= UINT32_MAX && name && name[0] != '_' &&
	       !ends_with(name, "_MAX") && !ends_with(name, "_NUM");
}

/* The index of subsystem subsys in ids, if it is one still missing (found[k] == 0). */
static int missing_subsys(uint32_t subsys, const uint32_t *ids, const int *found, int nids)
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
static int add_subsys_reasons(struct reason_table *tbl, const struct btf_scan *btf,
			      const uint32_t *ids, int *found, int nids)
{
	uint32_t n = btf_scan_type_cnt(btf);

	/* A module's split BTF: its own types (the base's were read with vmlinux). */
	for (uint32_t id = btf_scan_start_id(btf); id < n; id++) {
		const struct btf_type *t = btf_scan_type(btf, id);
		int took[32];
		const char *name;
		unsigned i, vlen;
		int k;

		if (!btf_scan_is_enum(t) || !(vlen = btf_scan_vlen(t)))
			continue;
		name = btf_scan_str(btf, t->name_off);
		if (!name || name[0] == '_' || !ends_with(name, "drop_reason") ||
		    !strcmp(name, "skb_drop_reason"))
			continue;
		/* Cleared here, not for each of vmlinux's 125k types: that was 3/4 of the time. */
		memset(took, 0, sizeof(took));
		for (i = 0; i < vlen; i++) {
			const char *m;
			uint64_t v;
			int err = btf_scan_enum_member(btf, t, i, &m, &v);

			if (err)
				return err;
			if (!is_subsys_reason(m, v))
				continue;
			k = missing_subsys((uint32_t)(v >> 16), ids, found, nids);
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

static int add_all_subsys_reasons(struct reason_table *tbl, const struct btf_scan *vmlinux,
				  const char *btf_dir)
{
	const struct btf_type *subsys = find_enum(vmlinux, "skb_drop_reason_subsys");
	uint32_t ids[32];
	int found[32] = { 0 }, nids = 0, missing, err;
	struct dirent *de;
	char path[512];
	DIR *d;

	for (unsigned i = 0; subsys && i < btf_scan_vlen(subsys) && nids < 32; i++) {
		const char *m;
		uint64_t v;
		uint32_t id;

		err = btf_scan_enum_member(vmlinux, subsys, i, &m, &v);
		if (err)
			return err;
		id = (uint32_t)v;
		if (id == 0 || ends_with(m, "_NUM"))
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
	err = add_subsys_reasons(tbl, vmlinux, ids, found, nids);
	/* The rest are in their modules' BTF, if those modules are loaded. */
	d = opendir(btf_dir);
	while (!err && d && (de = readdir(d))) {
		struct btf_scan *mod;

		missing = 0;
		for (int k = 0; k < nids; k++)
			missing += !found[k];
		if (!missing)
			break;
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", btf_dir, de->d_name);
		if (btf_scan_open(path, vmlinux, &mod))
			continue;
		err = add_subsys_reasons(tbl, mod, ids, found, nids);
		btf_scan_free(mod);
	}
	if (d)
		closedir(d);
	return err;
}

int reasons_from_scan(const struct btf_scan *vmlinux, const char *btf_dir,
		      struct reason_table **out)
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
	struct btf_scan *vmlinux;
	char path[512];
	int err;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/vmlinux", btf_dir);
	err = btf_scan_open(path, NULL, &vmlinux);
	if (err)
		return err;
	err = reasons_from_scan(vmlinux, btf_dir, out);
	btf_scan_free(vmlinux);
	return err;
}
