// SPDX-License-Identifier: GPL-2.0
/* Snapshots, deltas and the grouped report built from drops-map rows. */
#include <stdlib.h>

#include "trace_table.h"
#include "trace_retrans.h"
#include "tap.h"
#include "test_report_render.h"
#include "util.h"

static struct drop_key key(uint32_t reason, uint32_t netns, uint32_t ifindex, uint64_t loc,
			   uint8_t l4, uint8_t qkind, uint32_t q)
{
	struct drop_key k;

	memset(&k, 0, sizeof(k));
	k.reason = reason;
	k.netns = netns;
	k.ifindex = ifindex;
	k.location = loc;
	k.l3_proto = 0x0800;
	k.l4_proto = l4;
	k.queue_kind = qkind;
	k.queue = q;
	return k;
}

int main(void)
{
	struct reason_table *reasons = reasons_new();
	struct ksyms ks = { 0 };
	struct ksym syms[] = { { 0x1000, "nf_hook_slow", NULL },
			       { 0x2000, "udp_queue_rcv_one_skb", NULL },
			       { 0x3000, "nft_do_chain", "nf_tables" } };
	struct ifname_entry ifn = { .key = { .netns = 7, .ifindex = 3 }, .name = "eth1" };
	struct ifname_table ift = { .v = &ifn, .n = 1 };
	struct name_ctx names = { .reasons = reasons, .ksyms = &ks, .ifnames = &ift,
				  .self_netns = 1 };
	struct drop_snapshot a = { 0 }, b = { 0 }, d = { 0 };
	struct drop_report r;
	struct drop_key k1 = key(12, 7, 0, 0x1010, 17, DS_Q_NONE, 0);
	struct drop_key k1b = key(12, 7, 0, 0x1020, 17, DS_Q_NONE, 0); /* same function */
	struct drop_key k2 = key(6, 7, 3, 0x2004, 17, DS_Q_SOCKET, 5555);
	struct drop_key k3 = key(6, 9, 3, 0x2004, 17, DS_Q_SOCKET, 0);
	struct drop_key fold = { .reason = 6, .folded = 1 };
	char buf[64], *json;

	ks.syms = syms;
	ks.n = 3;
	reasons_add(reasons, 12, "NETFILTER_DROP");
	reasons_add(reasons, 6, "SOCKET_RCVBUFF");

	drop_snapshot_add(&a, &k1, 10, 600);
	drop_snapshot_add(&a, &k2, 5, 2500);
	drop_snapshot_add(&b, &k2, 8, 4000);
	drop_snapshot_add(&b, &k1, 10, 600);
	drop_snapshot_add(&b, &k1b, 4, 240);
	drop_snapshot_add(&b, &k3, 1, 500);
	drop_snapshot_add(&b, &fold, 2, 1000);
	drop_snapshot_add(&b, &k3, 1, 500);
	is_int(b.n, 5, "a repeated key is summed, not added");

	is_int(drop_snapshot_delta(&a, &b, &d), 0, "delta");
	is_int(d.n, 4, "the row that did not move is left out");
	is_int(drop_report_build(&d, &names, &r), 0, "report over the delta");
	is_int(r.packets, 3 + 4 + 2 + 2, "delta total");
	drop_report_free(&r);
	drop_snapshot_free(&d);

	is_int(drop_report_build(&b, &names, &r), 0, "report");
	is_int(r.packets, 10 + 8 + 4 + 2 + 2, "total packets");
	is_int(r.nreasons, 2, "two reasons");
	is_int(r.reasons[0].reason, 12, "most drops first: NETFILTER_DROP (14)");
	is_int(r.reasons[0].packets, 14, "two call sites in one function are one location");
	is_int(r.reasons[1].packets, 12, "SOCKET_RCVBUFF, catch-all included");
	is_int(r.ngroups, 4, "groups: nf_hook_slow, socket 5555, socket ephemeral, catch-all");
	is_str(r.groups[0].location, "nf_hook_slow", "location symbolised");
	is_int(r.nnetns, 2, "two namespaces; the catch-all is charged to none");
	is_int(r.netns[0].netns, 7, "namespace 7 has the most");
	is_int(r.netns[0].packets, 22, "14 + 8 in namespace 7");
	is_int(r.netns[0].top_reason, 12, "its top reason");

	json = render_json(&r, &names);
	ok(strstr(json, "\"reason\":\"SOCKET_RCVBUFF\"") && strstr(json, "\"queue\":\"udp:5555\"") &&
		   strstr(json, "\"ifname\":\"eth1\""),
	   "JSON names the reason, the socket and the interface");
	ok(strstr(json, "\"queue\":\"udp:ephemeral\"") != NULL, "folded ephemeral port");
	ok(strstr(json, "\"folded\":true") != NULL, "the catch-all is marked");
	ok(strstr(json, "\"category\":\"capacity\"") && strstr(json, "\"category\":\"policy\""),
	   "categories");
	ok(strstr(json, "\"location\":\"nf_hook_slow\",\"module\":null") != NULL,
	   "a built-in function: module null");
	free(json);
	json = render_text(&r, &names, 2);
	ok(strstr(json, "        7.0") != NULL, "text: a known duration gives rates (14 in 2 s)");
	ok(!strstr(json, " \n"), "text: no line ends in a space");
	ok(strstr(json, "\n    NAMESPACE              INTERFACE  QUEUE          PROTOCOL      COUNT  "
			"LOCATION\n") != NULL,
	   "text: the sub-rows have a header of their own");
	free(json);
	{
		struct text_opts o = { .seconds = 2, .max_detail = 5, .color = true };
		char *buf = NULL, *p;
		size_t len = 0, resets = 0, colours = 0;
		FILE *f = open_memstream(&buf, &len);

		drop_report_text(&r, &names, &o, f);
		fclose(f);
		for (p = buf; (p = strstr(p, "\033[")); p++)
			*(p + 2) == '0' ? resets++ : colours++;
		ok(colours > 0 && resets == colours,
		   "colour: a reset for every colour, and none stray (%zu, %zu)", colours, resets);
		free(buf);
	}
	is_str(plural(1), "", "plural: 1 drop");
	is_str(plural(0), "s", "plural: 0 drops");
	is_str(plural(2), "s", "plural: 2 drops");
	json = render_text(&r, &names, -1);
	ok(strstr(json, "7.0") == NULL && strstr(json, "         14          -  ") != NULL,
	   "text: an unknown duration gives no rate, a dash");
	free(json);
	drop_report_free(&r);

	/* A module's function: the name in location, the module apart. */
	{
		struct drop_snapshot m = { 0 };
		struct drop_key km = key(12, 7, 0, 0x3010, 17, DS_Q_NONE, 0);

		drop_snapshot_add(&m, &km, 3, 180);
		drop_report_build(&m, &names, &r);
		json = render_json(&r, &names);
		ok(strstr(json, "\"location\":\"nft_do_chain\",\"module\":\"nf_tables\"") != NULL,
		   "location is the function, module its module");
		free(json);
		drop_report_free(&r);
		drop_snapshot_free(&m);
	}

	/* The map as read: one slot per CPU and index; the same key in several slots (on
	 * several CPUs, or at different indexes on one) is one row. */
	{
		struct drop_slot v[4 * 2];
		struct drop_snapshot m;
		struct drop_key sub = { .reason = DS_CATCHALL_REASON(2), .folded = 1 };

		memset(v, 0, sizeof(v));
		v[0].key = k2, v[0].packets = 1, v[0].bytes = 10;   /* slot 0, CPU 0 */
		v[1].key = k1, v[1].packets = 2, v[1].bytes = 20;   /* slot 0, CPU 1 */
		v[3].key = k2, v[3].packets = 4, v[3].bytes = 40;   /* slot 1, CPU 1 */
		v[6].key = sub, v[6].packets = 8, v[6].bytes = 80;  /* slot 3, CPU 0 */
		v[7].key = k1, v[7].packets = 16, v[7].bytes = 160; /* slot 3, CPU 1 */
		is_int(drop_snapshot_from_slots(v, 4, 2, &m), 0, "snapshot from the slots of 2 CPUs");
		is_int(m.n, 3, "three keys");
		ok(m.rows[0].key.reason <= m.rows[1].key.reason &&
			   memcmp(&m.rows[0].key, &m.rows[1].key, sizeof(k1)) < 0 &&
			   memcmp(&m.rows[1].key, &m.rows[2].key, sizeof(k1)) < 0,
		   "rows sorted by key");
		for (size_t i = 0; i < m.n; i++) {
			if (!memcmp(&m.rows[i].key, &k1, sizeof(k1)))
				ok(m.rows[i].packets == 18 && m.rows[i].bytes == 180,
				   "k1 summed over CPUs");
			if (!memcmp(&m.rows[i].key, &k2, sizeof(k2)))
				ok(m.rows[i].packets == 5 && m.rows[i].bytes == 50, "k2 summed over slots");
		}
		ok(sorted_find(m.rows, m.n, sizeof(*m.rows), &k2, sizeof(k2)) != NULL,
		   "the snapshot can be searched (drop_snapshot_delta)");
		drop_report_build(&m, &names, &r);
		json = render_json(&r, &names);
		ok(strstr(json, "\"reason\":\"SUBSYS_2\"") != NULL && strstr(json, "\"folded\":true"),
		   "a subsystem's catch-all row is labelled by its subsystem");
		free(json);
		drop_report_free(&r);
		drop_snapshot_free(&m);
	}

	is_str(queue_name(DS_Q_TX, 2, 0, buf, sizeof(buf)), "tx2", "transmit queue");
	is_str(queue_name(DS_Q_RX, 0, 0, buf, sizeof(buf)), "rx0", "receive queue");
	is_str(queue_name(DS_Q_CPU, 1, 0, buf, sizeof(buf)), "cpu1", "backlog of a CPU");
	is_str(queue_name(DS_Q_SOCKET, 80, 6, buf, sizeof(buf)), "tcp:80", "a socket");
	is_str(queue_name(DS_Q_SOCKET, 0, 1, buf, sizeof(buf)), "icmp", "ICMP sockets have no port");
	ok(queue_name(DS_Q_NONE, 0, 0, buf, sizeof(buf)) == NULL, "no queue");
	is_str(protocol_name(0x0806, 0, buf, sizeof(buf)), "arp", "ARP");
	is_str(protocol_name(0x86dd, 58, buf, sizeof(buf)), "icmpv6", "ICMPv6");
	is_str(protocol_name(0x0800, 0, buf, sizeof(buf)), "ipv4", "IPv4 without L4");
	is_str(protocol_name(0x88b5, 0, buf, sizeof(buf)), "0x88b5", "unknown ethertype");
	is_str(protocol_name(0x0800, 253, buf, sizeof(buf)), "ipproto-253", "unknown L4");
	ok(protocol_name(0, 0, buf, sizeof(buf)) == NULL, "nothing known");

	/* Counters that went backwards: the entry was recreated; count it whole. */
	drop_snapshot_free(&a);
	drop_snapshot_add(&a, &k2, 100, 1);
	is_int(drop_snapshot_delta(&a, &b, &d), 0, "delta over a recreated entry");
	for (size_t i = 0; i < d.n; i++)
		if (!memcmp(&d.rows[i].key, &k2, sizeof(k2)))
			is_int(d.rows[i].packets, 8, "a reborn entry counts from zero");
	drop_snapshot_free(&d);
	drop_snapshot_free(&a);
	drop_snapshot_free(&b);

	{
		struct retrans_snapshot s = { 0 }, s2 = { 0 }, sd;
		struct retrans_key rk = { .family = 2, .sport = 40000, .dport = 80 };
		uint8_t addr[16] = { 10, 0, 0, 2 };

		memcpy(rk.daddr, addr, 4);
		retrans_snapshot_add(&s, &rk, 3, 0);
		rk.sport = 40001;
		retrans_snapshot_add(&s, &rk, 1, 2);
		is_int(retrans_total(&s, 4, addr), 6, "retransmissions to one address, all flows");
		is_int(retrans_total(&s, 0, addr), 6, "to everyone");
		addr[3] = 3;
		is_int(retrans_total(&s, 4, addr), 0, "not to another address");
		/* Before: flow 40000 as now, flow 40001 one SYN-ACK short. */
		retrans_snapshot_add(&s2, &rk, 1, 1);
		rk.sport = 40000;
		retrans_snapshot_add(&s2, &rk, 3, 0);
		retrans_snapshot_delta(&s2, &s, &sd);
		is_int(sd.n, 1, "only the flow that moved");
		is_int(sd.rows[0].key.sport, 40001, "flow 40001");
		is_int(sd.rows[0].synack, 1, "by one SYN-ACK");
		retrans_snapshot_free(&sd);
		retrans_snapshot_free(&s);
		retrans_snapshot_free(&s2);
	}
	reasons_free(reasons);
	return done_testing();
}
