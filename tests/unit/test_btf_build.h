/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BTF built with libbpf's btf__add_*, for test_btf_scan and the fuzz target's seeds
 * (tests/fuzz/btf_seeds.c): every kind the raw reader walks, and a vmlinux with a module's split
 * BTF. Header-only, as test_probe_packets.h.
 */
#ifndef DS_TEST_BTF_BUILD_H
#define DS_TEST_BTF_BUILD_H

#include <byteswap.h>
#include <stdint.h>

#include <bpf/btf.h>

/* A BTF with every kind the reader walks, the drop reason enums (one of them an ENUM64) and the
 * kfree_skb tracepoint's typedef with 4 arguments, as 6.11+ has it. */
static inline struct btf *all_kinds_btf(void)
{
	struct btf *b = btf__new_empty();
	int i32, ptr, st, proto, var;

	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	ptr = btf__add_ptr(b, i32);
	btf__add_array(b, i32, i32, 8);
	st = btf__add_struct(b, "sk_buff", 16);
	btf__add_field(b, "len", i32, 0, 0);
	btf__add_field(b, "next", ptr, 64, 0);
	btf__add_union(b, "u", 4);
	btf__add_field(b, "a", i32, 0, 0);
	btf__add_fwd(b, "sock", BTF_FWD_STRUCT);
	btf__add_volatile(b, i32);
	btf__add_const(b, i32);
	btf__add_restrict(b, ptr);
	btf__add_float(b, "double", 8);
	btf__add_type_tag(b, "user", i32);
	btf__add_decl_tag(b, "tag", st, 0);
	btf__add_enum(b, "skb_drop_reason", 4);
	btf__add_enum_value(b, "SKB_NOT_DROPPED_YET", 0);
	btf__add_enum_value(b, "SKB_CONSUMED", 1);
	btf__add_enum_value(b, "SKB_DROP_REASON_NOT_SPECIFIED", 2);
	btf__add_enum_value(b, "SKB_DROP_REASON_NO_SOCKET", 3);
	btf__add_enum_value(b, "SKB_DROP_REASON_MAX", 4);
	btf__add_enum(b, "skb_drop_reason_subsys", 4);
	btf__add_enum_value(b, "SKB_DROP_REASON_SUBSYS_CORE", 0);
	btf__add_enum_value(b, "SKB_DROP_REASON_SUBSYS_OPENVSWITCH", 3);
	btf__add_enum_value(b, "SKB_DROP_REASON_SUBSYS_WIDGET", 5);
	btf__add_enum_value(b, "SKB_DROP_REASON_SUBSYS_NUM", 6);
	/* A signed enum (kflag set): the reader gives its values as unsigned 32 bits. */
	btf__add_enum(b, "signed_enum", 4);
	btf__add_enum_value(b, "MINUS_ONE", -1);
	/* A 64-bit enum of subsystem 5: its values must come out whole. */
	btf__add_enum64(b, "widget_drop_reason", 8, false);
	btf__add_enum64_value(b, "WIDGET_DROP_FOO", (5ull << 16) | 1);
	btf__add_enum64_value(b, "WIDGET_DROP_BAR", (5ull << 16) | 2);
	btf__add_enum64_value(b, "WIDGET_DROP_HUGE", 1ull << 40);
	proto = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "__data", ptr);
	btf__add_func_param(b, "skb", ptr);
	btf__add_func_param(b, "location", ptr);
	btf__add_func_param(b, "reason", i32);
	btf__add_func_param(b, "rx_sk", ptr);
	btf__add_typedef(b, "btf_trace_kfree_skb", btf__add_ptr(b, proto));
	btf__add_func(b, "bpf_rdonly_cast", BTF_FUNC_GLOBAL, proto);
	var = btf__add_var(b, "counter", BTF_VAR_GLOBAL_ALLOCATED, i32);
	btf__add_datasec(b, ".data", 4);
	btf__add_datasec_var_info(b, var, 0, 4);
	return b;
}

/* A vmlinux with the core reasons and openvswitch's subsystem id, and openvswitch's split BTF
 * with its enum (and a type whose name is one of the base's strings). */
static inline void split_pair(struct btf **basep, struct btf **modp)
{
	struct btf *base = btf__new_empty(), *mod;
	int i32;

	i32 = btf__add_int(base, "int", 4, BTF_INT_SIGNED);
	btf__add_enum(base, "skb_drop_reason", 4);
	btf__add_enum_value(base, "SKB_CONSUMED", 1);
	btf__add_enum_value(base, "SKB_DROP_REASON_NOT_SPECIFIED", 2);
	btf__add_enum(base, "skb_drop_reason_subsys", 4);
	btf__add_enum_value(base, "SKB_DROP_REASON_SUBSYS_CORE", 0);
	btf__add_enum_value(base, "SKB_DROP_REASON_SUBSYS_OPENVSWITCH", 3);
	mod = btf__new_empty_split(base);
	btf__add_struct(mod, "int", 4); /* a name already in the base's strings */
	btf__add_field(mod, "x", i32, 0, 0);
	btf__add_enum(mod, "ovs_drop_reason", 4);
	btf__add_enum_value(mod, "__OVS_DROP_REASON", 3 << 16);
	btf__add_enum_value(mod, "OVS_DROP_LAST_ACTION", (3 << 16) | 1);
	btf__add_enum_value(mod, "OVS_DROP_MAX", (3 << 16) | 2);
	*basep = base;
	*modp = mod;
}

/* A native BTF's raw bytes (4-byte aligned, bounds already checked) turned into the other byte
 * order in place: the header's fields and every 32-bit word of the type section (each kind's
 * data is made of them), not the strings. The raw reader refuses it (-EPROTO); libbpf reads it. */
static inline void btf_swap_raw(void *raw)
{
	struct btf_header *h = raw;
	uint32_t *w = (void *)((uint8_t *)raw + h->hdr_len + h->type_off);

	for (uint32_t i = 0; i < h->type_len / 4; i++)
		w[i] = bswap_32(w[i]);
	h->magic = bswap_16(h->magic);
	h->hdr_len = bswap_32(h->hdr_len);
	h->type_off = bswap_32(h->type_off);
	h->type_len = bswap_32(h->type_len);
	h->str_off = bswap_32(h->str_off);
	h->str_len = bswap_32(h->str_len);
}

#endif
