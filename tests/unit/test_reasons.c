// SPDX-License-Identifier: GPL-2.0
/* The reason table: names from BTF, sorted lookups, labels for numbers BTF does not name. */
#include <stdlib.h>

#include <bpf/btf.h>

#include <linux/types.h>
#include "dropscope.h"
#include "reasons.h"
#include "btf_same.h"
#include "tap.h"

struct member {
	const char *name;
	long long value;
};

static void add_enum(struct btf *btf, const char *name, const struct member *m, size_t n)
{
	btf__add_enum(btf, name, 4);
	for (size_t i = 0; i < n; i++)
		btf__add_enum_value(btf, m[i].name, m[i].value);
}

#define ENUM(btf, name, ...)                                                                       \
	do {                                                                                       \
		static const struct member m_[] = { __VA_ARGS__ };                                 \
		add_enum(btf, name, m_, sizeof(m_) / sizeof(m_[0]));                               \
	} while (0)

/*
 * A kernel's BTF as 6.x builds it, with the subsystems' enums as mac80211 and openvswitch
 * declare them: mac80211's public enum starts with core values (RX_CONTINUE is SKB_CONSUMED)
 * and holds two subsystems; its internal twin has ___ names; openvswitch's has a first-value
 * marker and a count.
 */
static struct btf *kernel_like_btf(void)
{
	struct btf *btf = btf__new_empty();

	ENUM(btf, "skb_drop_reason", { "SKB_NOT_DROPPED_YET", 0 }, { "SKB_CONSUMED", 1 },
	     { "SKB_DROP_REASON_NOT_SPECIFIED", 2 }, { "SKB_DROP_REASON_NO_SOCKET", 3 },
	     { "SKB_DROP_REASON_MAX", 4 }, { "SKB_DROP_REASON_SUBSYS_MASK", 0xffff0000ll });
	ENUM(btf, "skb_drop_reason_subsys", { "SKB_DROP_REASON_SUBSYS_CORE", 0 },
	     { "SKB_DROP_REASON_SUBSYS_MAC80211_UNUSABLE", 1 },
	     { "SKB_DROP_REASON_SUBSYS_MAC80211_MONITOR", 2 },
	     { "SKB_DROP_REASON_SUBSYS_OPENVSWITCH", 3 }, { "SKB_DROP_REASON_SUBSYS_NUM", 4 });
	ENUM(btf, "___mac80211_drop_reason", { "___RX_CONTINUE", 1 }, { "___RX_QUEUED", 0 },
	     { "___RX_DROP_MONITOR", 2 << 16 }, { "___RX_DROP_M_UNEXPECTED_4ADDR_FRAME", (2 << 16) | 1 },
	     { "___RX_DROP_UNUSABLE", 1 << 16 }, { "___RX_DROP_U_MIC_FAIL", (1 << 16) | 1 },
	     { "___RX_DROP_U_DUP", (1 << 16) | 2 });
	ENUM(btf, "mac80211_drop_reason", { "RX_CONTINUE", 1 }, { "RX_QUEUED", 0 },
	     { "RX_DROP_MONITOR", 2 << 16 }, { "RX_DROP_UNUSABLE", 1 << 16 },
	     { "RX_DROP_M_UNEXPECTED_4ADDR_FRAME", (2 << 16) | 1 },
	     { "RX_DROP_U_MIC_FAIL", (1 << 16) | 1 }, { "RX_DROP_U_DUP", (1 << 16) | 2 });
	ENUM(btf, "ovs_drop_reason", { "__OVS_DROP_REASON", 3 << 16 },
	     { "OVS_DROP_LAST_ACTION", (3 << 16) | 1 }, { "OVS_DROP_METER", (3 << 16) | 2 },
	     { "OVS_DROP_MAX", (3 << 16) | 3 });
	/* Not a drop reason enum at all. */
	ENUM(btf, "some_other_reason", { "OTHER_A", 3 << 16 });
	return btf;
}

/* The value of member in enum name of btf, or -1. */
static long long enum_member_value(const struct btf *btf, const char *name, const char *member)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, btf_enum(t)[i].name_off), member))
			return btf_enum(t)[i].val;
	return -1;
}

int main(void)
{
	struct reason_table *t = reasons_new(), *k = NULL;
	char buf[64];
	int err;

	reasons_add(t, 12, "SKB_DROP_REASON_NETFILTER_DROP");
	reasons_add(t, 2, "SKB_DROP_REASON_NOT_SPECIFIED");
	reasons_add(t, (2u << 16) | 3, "OVS_DROP_FLOW");
	reasons_add(t, 12, "SKB_DROP_REASON_ALIAS");
	is_int(t->n, 3, "three reasons, an alias of a known value ignored");
	is_str(reasons_find(t, 12)->name, "NETFILTER_DROP", "prefix removed");
	is_int(reasons_find(t, 12)->category, CAT_POLICY, "category attached");
	is_str(reasons_label(t, (2u << 16) | 3, buf, sizeof(buf)), "OVS_DROP_FLOW",
	       "subsystem reason by its own name");
	is_str(reasons_label(t, 0, buf, sizeof(buf)), "UNKNOWN", "0: a kernel without reasons");
	is_str(reasons_label(t, 77, buf, sizeof(buf)), "REASON_77", "an unnamed core value");
	is_str(reasons_label(t, (5u << 16) | 9, buf, sizeof(buf)), "SUBSYS_5_9",
	       "an unnamed subsystem value");
	is_int(reasons_category(t, 0), CAT_UNSPECIFIED, "no reason is unspecified");
	is_int(reasons_category(t, 77), CAT_UNCLASSIFIED, "an unnamed reason is unclassified");
	ok(t->v[0].value < t->v[1].value && t->v[1].value < t->v[2].value, "sorted by value");
	reasons_free(t);

	/* Subsystem reasons from a constructed BTF (mac80211 and openvswitch are modules this
	 * machine may not have). */
	{
		struct btf *btf = kernel_like_btf();
		struct reason_table *c = NULL;

		is_int(scan_reasons(btf, "/nonexistent", "a kernel-like BTF", &c), 0,
		       "reasons from a kernel-like BTF");
		is_str(reasons_label(c, 3, buf, sizeof(buf)), "NO_SOCKET", "a core reason");
		is_int(c->consumed, 1, "SKB_CONSUMED found");
		is_str(reasons_label(c, (1 << 16) | 1, buf, sizeof(buf)), "RX_DROP_U_MIC_FAIL",
		       "mac80211's reasons are named, although its enum starts with RX_CONTINUE");
		is_str(reasons_label(c, 1 << 16, buf, sizeof(buf)), "RX_DROP_UNUSABLE",
		       "its generic unusable-frame reason");
		is_str(reasons_label(c, (2 << 16) | 1, buf, sizeof(buf)),
		       "RX_DROP_M_UNEXPECTED_4ADDR_FRAME", "a second subsystem in the same enum");
		is_str(reasons_label(c, (3 << 16) | 2, buf, sizeof(buf)), "OVS_DROP_METER",
		       "openvswitch's reasons");
		ok(!reasons_find(c, 3 << 16), "openvswitch's first-value marker is not a reason");
		ok(!reasons_find(c, (3 << 16) | 3), "nor its count");
		is_str(reasons_label(c, 1, buf, sizeof(buf)), "REASON_1",
		       "core values in a subsystem's enum are not taken as its reasons");
		ok(reasons_find(c, 0) == NULL, "nor RX_QUEUED (0)");
		for (size_t i = 0; i < c->n; i++)
			if (c->v[i].name[0] == '_')
				ok(0, "no ___ names from mac80211's internal enum: %s", c->v[i].name);
		is_int(reasons_category(c, (1 << 16) | 1), CAT_CORRUPTION,
		       "RX_DROP_U_MIC_FAIL is corruption");
		is_int(reasons_category(c, (1 << 16) | 2), CAT_NORMAL, "RX_DROP_U_DUP is normal");
		is_int(reasons_category(c, (3 << 16) | 1), CAT_POLICY, "OVS_DROP_LAST_ACTION is policy");
		is_str(reasons_label(c, DS_CATCHALL_REASON(3), buf, sizeof(buf)), "SUBSYS_OPENVSWITCH",
		       "a subsystem's catch-all row by the subsystem's name");
		is_str(reasons_label(c, DS_CATCHALL_REASON(0), buf, sizeof(buf)),
		       "OTHER_CORE_REASONS", "the catch-all of core reasons past the table");
		is_str(reasons_label(c, DS_CATCHALL_REASON(9), buf, sizeof(buf)), "SUBSYS_9",
		       "an unnamed subsystem's catch-all");
		reasons_free(c);
		btf__free(btf);
	}

	/* The running kernel's own BTF, where it has one. */
	err = reasons_load("/sys/kernel/btf", &k);
	if (err) {
		printf("# skipping: no readable kernel BTF (%d)\n", err);
	} else {
		const struct reason *r;
		int found = 0;

		for (size_t i = 0; i < k->n; i++) {
			r = &k->v[i];
			found += !strcmp(r->name, "NOT_SPECIFIED") || !strcmp(r->name, "NO_SOCKET");
		}
		if (k->has_reasons) {
			struct btf *vm = btf__parse("/sys/kernel/btf/vmlinux", NULL);
			long long consumed = vm ? enum_member_value(vm, "skb_drop_reason",
								     "SKB_CONSUMED")
						: -1;

			is_int(found, 2, "this kernel's BTF names NOT_SPECIFIED and NO_SOCKET");
			/* SKB_CONSUMED arrived in 6.0: 5.17 to 5.19 have none. */
			if (consumed < 0)
				printf("# this kernel has no SKB_CONSUMED (before 6.0)\n");
			else
				is_int(k->consumed, consumed,
				       "SKB_CONSUMED is known (%lld), so it is never counted", consumed);
			btf__free(vm);
			for (size_t i = 0; i < k->n; i++)
				if (!strncmp(k->v[i].name, "SKB_DROP_REASON_", 16) ||
				    !strcmp(k->v[i].name, "MAX") || strstr(k->v[i].name, "SUBSYS") ||
				    !strcmp(k->v[i].name, "SKB_CONSUMED"))
					ok(0, "no prefixes or markers: %s", k->v[i].name);
		}
		reasons_free(k);
	}
	return done_testing();
}
