/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Drop reason names from the running kernel's BTF. The numbers of enum skb_drop_reason are
 * internal and move between kernels; only the names mean something, so they are never compiled
 * in. Subsystem reasons (high 16 bits: openvswitch, mac80211, ...) come from the subsystem's own
 * enum, in vmlinux or in its module's BTF.
 */
#ifndef DS_REASONS_H
#define DS_REASONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "categories.h"

struct reason {
	uint32_t value;
	char name[64]; /* without the SKB_DROP_REASON_ prefix */
	enum drop_category category;
	uint8_t queue_kind;
	uint8_t in_table; /* 0: the category table lacks it; category is the fallback's */
};

struct reason_table {
	struct reason *v; /* sorted by value */
	size_t n, cap;
	uint32_t consumed; /* SKB_CONSUMED: not a drop (0 if absent) */
	int has_reasons;   /* the kernel has enum skb_drop_reason at all (5.17+) */
	struct {
		uint32_t id;   /* enum skb_drop_reason_subsys value */
		char name[40]; /* "OPENVSWITCH", "MAC80211_UNUSABLE" */
	} subsys[32];
	size_t nsubsys;
};

struct btf_scan;

/* Load from the BTF under btf_dir (normally /sys/kernel/btf). Returns 0 or -errno (-EINVAL for
 * a malformed vmlinux; a malformed module's BTF is passed over). */
int reasons_load(const char *btf_dir, struct reason_table **out);
/* The same from an already read vmlinux BTF (modules still come from btf_dir). */
int reasons_from_scan(const struct btf_scan *vmlinux, const char *btf_dir,
		      struct reason_table **out);
struct reason_table *reasons_new(void);
/* Add one reason (name with or without the SKB_DROP_REASON_ prefix). Keeps the table sorted. */
int reasons_add(struct reason_table *t, uint32_t value, const char *name);
const struct reason *reasons_find(const struct reason_table *t, uint32_t value);
/* A printable name for any value: the BTF name, "UNKNOWN" for 0 (a kernel without reasons),
 * a catch-all's label for DS_CATCHALL_REASON(s), or "REASON_<n>" / "SUBSYS_<s>_<n>" for a
 * number the BTF does not name. */
const char *reasons_label(const struct reason_table *t, uint32_t value, char *buf, size_t size);
/* The label of subsystem subsys's catch-all row (bpf/dropscope.h): "SUBSYS_OPENVSWITCH" (or
 * "SUBSYS_<s>" when the BTF does not name it), "OTHER_CORE_REASONS" for subsystem 0. */
const char *reasons_catchall_label(const struct reason_table *t, uint32_t subsys, char *buf,
				   size_t size);
/* A named reason's category (reason_category); CAT_UNSPECIFIED for 0, CAT_UNCLASSIFIED for a
 * number the BTF does not name. */
enum drop_category reasons_category(const struct reason_table *t, uint32_t value);
/* The same, refined by the kernel function that dropped it (reason_category_at). */
enum drop_category reasons_category_at(const struct reason_table *t, uint32_t value,
				       const char *location);
/* How many reasons of t the category table lacks. */
size_t reasons_not_in_table(const struct reason_table *t);
/* For -v: one line saying how many reasons the category table lacks, then one per reason with
 * the category it got ("IPV6_FOO: corruption (from its name)", "BAR: unclassified"), to f. */
void reasons_print_not_in_table(const struct reason_table *t, FILE *f);
void reasons_free(struct reason_table *t);

#endif
