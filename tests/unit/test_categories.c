// SPDX-License-Identifier: GPL-2.0
/* Reason names to the categories and queues an operator reads. */
#include <stdbool.h>

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
		{ "SOME_FUTURE_REASON", CAT_OTHER, DS_Q_NONE },
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
	is_int(reason_category(NULL), CAT_OTHER, "no name is other");
	is_int(reason_category_at("IP_INHDR", "ip_forward"), CAT_NORMAL,
	       "IP_INHDR in ip_forward is a TTL running out: protocol-normal");
	is_int(reason_category_at("IP_INHDR", "ip6_forward"), CAT_NORMAL, "so in ip6_forward");
	is_int(reason_category_at("IP_INHDR", "ip_rcv_core"), CAT_CORRUPTION,
	       "IP_INHDR elsewhere is a bad header");
	is_int(reason_category_at("QDISC_DROP", NULL), CAT_CAPACITY, "no location: by name");

	/* Every reason this kernel names has a category an operator can act on; "unspecified"
	 * is NOT_SPECIFIED's alone. */
	err = reasons_load("/sys/kernel/btf", &k);
	if (err || !k->has_reasons) {
		printf("# skipping the running kernel's reasons: %s\n",
		       err ? "no readable kernel BTF (/sys/kernel/btf/vmlinux)"
			   : "this kernel has no drop reasons (before 5.17)");
	} else {
		size_t bad = 0;

		for (size_t i = 0; i < k->n; i++) {
			const struct reason *r = &k->v[i];
			bool unspec = !strcmp(r->name, "NOT_SPECIFIED");

			if (r->category == CAT_OTHER || (r->category == CAT_UNSPECIFIED) != unspec) {
				ok(0, "%s has category %s", r->name, category_name(r->category));
				bad++;
			}
		}
		ok(bad == 0, "all %zu reasons of this kernel are capacity, policy, corruption, "
			     "routing or normal (NOT_SPECIFIED: unspecified)", k->n);
		reasons_free(k);
	}
	return done_testing();
}
