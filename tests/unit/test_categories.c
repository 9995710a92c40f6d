// SPDX-License-Identifier: GPL-2.0
/* Reason names to the categories and queues an operator reads. */
#include <stdbool.h>
#include <stdio.h>

#include <linux/types.h>
#include "categories.h"
#include "dropscope.h"
#include "reasons.h"
#include "tap.h"

int main(void)
{
	static const struct {
		const char *name;
		enum drop_category cat;
		int queue;
	} cases[] = {
		{ "NOT_SPECIFIED", CAT_UNSPECIFIED, DS_Q_NONE },
		{ "QDISC_DROP", CAT_CAPACITY, DS_Q_TX },
		{ "QDISC_OVERLIMIT", CAT_CAPACITY, DS_Q_TX },
		{ "FQ_FLOW_LIMIT", CAT_CAPACITY, DS_Q_TX },
		{ "CPU_BACKLOG", CAT_CAPACITY, DS_Q_CPU },
		{ "SOCKET_RCVBUFF", CAT_CAPACITY, DS_Q_SOCKET },
		{ "TCP_LISTEN_OVERFLOW", CAT_CAPACITY, DS_Q_SOCKET },
		{ "PROTO_MEM", CAT_CAPACITY, DS_Q_SOCKET },
		{ "NOMEM", CAT_CAPACITY, DS_Q_NONE },
		{ "FULL_RING", CAT_CAPACITY, DS_Q_TX },
		{ "NETFILTER_DROP", CAT_POLICY, DS_Q_NONE },
		{ "IP_RPFILTER", CAT_POLICY, DS_Q_NONE },
		{ "XFRM_POLICY", CAT_POLICY, DS_Q_NONE },
		{ "TC_EGRESS", CAT_POLICY, DS_Q_TX },
		{ "TC_INGRESS", CAT_POLICY, DS_Q_RX },
		{ "TC_CHAIN_NOTFOUND", CAT_POLICY, DS_Q_NONE },
		{ "TCP_MD5NOTFOUND", CAT_POLICY, DS_Q_SOCKET },
		{ "TCP_CSUM", CAT_CORRUPTION, DS_Q_SOCKET },
		{ "IP_CSUM", CAT_CORRUPTION, DS_Q_NONE },
		{ "IP_INHDR", CAT_CORRUPTION, DS_Q_NONE },
		{ "IPV6_NDISC_BAD_CODE", CAT_CORRUPTION, DS_Q_NONE },
		{ "IPV6_NDISC_NS_OTHERHOST", CAT_NORMAL, DS_Q_NONE },
		{ "NEIGH_FAILED", CAT_ROUTING, DS_Q_NONE },
		{ "NEIGH_QUEUEFULL", CAT_CAPACITY, DS_Q_NONE },
		{ "IP_OUTNOROUTES", CAT_ROUTING, DS_Q_NONE },
		{ "NO_SOCKET", CAT_NORMAL, DS_Q_SOCKET },
		{ "OTHERHOST", CAT_NORMAL, DS_Q_NONE },
		{ "TCP_OLD_DATA", CAT_NORMAL, DS_Q_SOCKET },
		{ "TCP_RFC7323_PAWS", CAT_NORMAL, DS_Q_SOCKET },
		{ "SKB_GSO_SEG", CAT_CORRUPTION, DS_Q_NONE },
		{ "SKB_UCOPY_FAULT", CAT_NORMAL, DS_Q_NONE },
		{ "PACKET_SOCK_ERROR", CAT_ROUTING, DS_Q_NONE },
		{ "VXLAN_ENTRY_EXISTS", CAT_POLICY, DS_Q_NONE },
		{ "RECURSION_LIMIT", CAT_ROUTING, DS_Q_NONE },
		{ "OVS_DROP_EXPLICIT", CAT_POLICY, DS_Q_NONE },
		{ "OVS_DROP_DEFERRED_LIMIT", CAT_CAPACITY, DS_Q_NONE },
		{ "OVS_DROP_IP_TTL", CAT_NORMAL, DS_Q_NONE },
		{ "OVS_DROP_FRAG_INVALID_PROTO", CAT_CORRUPTION, DS_Q_NONE },
		{ "RX_DROP_U_DECRYPT_FAIL", CAT_CORRUPTION, DS_Q_NONE },
		{ "RX_DROP_M_BAD_BCN_KEYIDX", CAT_NORMAL, DS_Q_NONE },
		{ "SOME_FUTURE_REASON", CAT_UNCLASSIFIED, DS_Q_NONE },
	};
	/* Made-up names, one per fallback rule. */
	static const struct {
		const char *name;
		enum drop_category cat;
	} shapes[] = {
		{ "GRE_CSUM", CAT_CORRUPTION },		{ "IPV6_BAD_HBH_HDR", CAT_CORRUPTION },
		{ "GSO_TRUNC", CAT_CORRUPTION },	{ "QUIC_MALFORMED", CAT_CORRUPTION },
		{ "ARP_TOO_SMALL", CAT_CORRUPTION },	{ "LIN_INVALID_FRAME", CAT_CORRUPTION },
		{ "PAGE_POOL_NOMEM", CAT_CAPACITY },	{ "SCTP_MEM", CAT_CAPACITY },
		{ "SKB_MEMALLOC", CAT_CAPACITY },	{ "XSK_QUEUE_FULL", CAT_CAPACITY },
		{ "GRO_OVERFLOW", CAT_CAPACITY },	{ "POLICER_OVERLIMIT", CAT_CAPACITY },
		{ "NAPI_BACKLOG", CAT_CAPACITY },	{ "RAW_RCVBUF", CAT_CAPACITY },
		{ "BRIDGE_NETFILTER", CAT_POLICY },	{ "SECPATH_POLICY", CAT_POLICY },
		{ "BRIDGE_VLAN_FILTER", CAT_POLICY },	{ "BPF_LWT", CAT_POLICY },
		{ "LSM_SECURITY", CAT_POLICY },		{ "SRV6_NOROUTE", CAT_ROUTING },
		{ "BOND_NEIGH_LOST", CAT_ROUTING },	{ "WIDGET_WOBBLE", CAT_UNCLASSIFIED },
		{ "MEMBER_LEFT", CAT_UNCLASSIFIED },	{ "SOME_FUTURE_REASON", CAT_UNCLASSIFIED },
	};
	struct reason_table *k = NULL;
	int err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(reason_category(cases[i].name), cases[i].cat, "%s is %s", cases[i].name,
		       category_name(cases[i].cat));
		is_int(reason_queue_kind(cases[i].name), cases[i].queue, "%s queue kind %d",
		       cases[i].name, cases[i].queue);
	}
	is_str(category_name(CAT_CAPACITY), "capacity", "JSON spelling");
	is_str(category_label(CAT_ROUTING), "routing/neighbour", "human spelling");
	is_int(reason_category(NULL), CAT_UNCLASSIFIED, "no name is unclassified");
	is_int(reason_category_at("IP_INHDR", "ip_forward"), CAT_NORMAL,
	       "IP_INHDR in ip_forward is a TTL running out: protocol-normal");
	is_int(reason_category_at("IP_INHDR", "ip6_forward"), CAT_NORMAL, "so in ip6_forward");
	is_int(reason_category_at("IP_INHDR", "ip_rcv_core"), CAT_CORRUPTION,
	       "IP_INHDR elsewhere is a bad header");
	is_int(reason_category_at("QDISC_DROP", NULL), CAT_CAPACITY, "no location: by name");

	is_str(category_name(CAT_UNCLASSIFIED), "unclassified", "unclassified: its JSON spelling");
	is_str(category_label(CAT_UNCLASSIFIED), "unclassified", "and its human one");
	is_str(category_name(CAT_COUNT), "unclassified", "an out-of-range category too");

	/* 6.18's two reasons the table lacked. */
	ok(reason_in_table("IPV6_TOO_MANY_EXTHDRS") &&
	       reason_category("IPV6_TOO_MANY_EXTHDRS") == CAT_CORRUPTION,
	   "IPV6_TOO_MANY_EXTHDRS: in the table, corruption");
	ok(reason_in_table("SKB_RX_HEADROOM") && reason_category("SKB_RX_HEADROOM") == CAT_CAPACITY,
	   "SKB_RX_HEADROOM: in the table, host capacity");

	/* The fallback for names the table lacks, rule by rule (README, "Reading it"). */
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		ok(!reason_in_table(shapes[i].name), "%s is not in the table", shapes[i].name);
		is_str(category_name(reason_category(shapes[i].name)), category_name(shapes[i].cat),
		       "%s falls back to %s", shapes[i].name, category_name(shapes[i].cat));
	}
	ok(reason_in_table("TCP_SOMETHING_NEW"), "a new TCP_ reason is the table's (TCP_*)");
	is_int(reason_category_by_shape("TCP_AUTH_HDR"), CAT_CORRUPTION,
	       "the fallback alone would call TCP_AUTH_HDR corruption");
	is_int(reason_category("TCP_AUTH_HDR"), CAT_POLICY, "but the table comes first");
	is_int(reason_category_by_shape(NULL), CAT_UNCLASSIFIED, "no name: unclassified");

	ok(category_is_loss(CAT_CAPACITY) && category_is_loss(CAT_CORRUPTION) &&
	       category_is_loss(CAT_ROUTING),
	   "loss to diagnose: capacity, corruption, routing");
	ok(!category_is_loss(CAT_POLICY) && !category_is_loss(CAT_NORMAL) &&
	       !category_is_loss(CAT_UNSPECIFIED) && !category_is_loss(CAT_UNCLASSIFIED),
	   "not loss by itself: policy, normal, unspecified, unclassified");

	/* The running kernel is reported on, never judged: a newer kernel has reasons the table
	 * lacks, and that is no failure (test_reason_lists checks recorded lists). */
	err = reasons_load("/sys/kernel/btf", &k);
	if (err || !k->has_reasons) {
		printf("# the running kernel's reasons: %s\n",
		       err ? "no readable kernel BTF (/sys/kernel/btf/vmlinux)"
			   : "none (before 5.17)");
	} else {
		printf("# the running kernel has %zu drop reasons, %zu not in the category table\n",
		       k->n, reasons_not_in_table(k));
		for (size_t i = 0; i < k->n; i++)
			if (!k->v[i].in_table)
				printf("#   %s: %s\n", k->v[i].name, category_name(k->v[i].category));
		reasons_free(k);
	}
	return done_testing();
}
