// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <string.h>

#include <linux/types.h>
#include "dropscope.h"
#include "categories.h"
#include "util.h"

static const char *const names[CAT_COUNT] = {
	[CAT_CAPACITY] = "capacity",	   [CAT_POLICY] = "policy",
	[CAT_CORRUPTION] = "corruption",   [CAT_ROUTING] = "routing",
	[CAT_NORMAL] = "normal",	   [CAT_UNSPECIFIED] = "unspecified",
	[CAT_UNCLASSIFIED] = "unclassified",
};

static const char *const labels[CAT_COUNT] = {
	[CAT_CAPACITY] = "host capacity",  [CAT_POLICY] = "policy",
	[CAT_CORRUPTION] = "corruption",   [CAT_ROUTING] = "routing/neighbour",
	[CAT_NORMAL] = "protocol-normal",  [CAT_UNSPECIFIED] = "unspecified",
	[CAT_UNCLASSIFIED] = "unclassified",
};

const char *category_name(enum drop_category c)
{
	return c < CAT_COUNT ? names[c] : "unclassified";
}

const char *category_label(enum drop_category c)
{
	return c < CAT_COUNT ? labels[c] : "unclassified";
}

bool category_is_loss(enum drop_category c)
{
	return c == CAT_CAPACITY || c == CAT_CORRUPTION || c == CAT_ROUTING;
}

/* A rule matches a whole name, or a prefix when it ends in '*'. First match wins. */
struct rule {
	const char *pattern;
	enum drop_category cat;
	uint8_t queue;
};

static const struct rule rules[] = {
	{ "NOT_SPECIFIED", CAT_UNSPECIFIED, DS_Q_NONE },

	/* Host capacity: where a queue or buffer of this host was full. */
	{ "QDISC_*", CAT_CAPACITY, DS_Q_TX },
	{ "FQ_*", CAT_CAPACITY, DS_Q_TX },
	{ "CAKE_FLOOD", CAT_CAPACITY, DS_Q_TX },
	{ "DUALPI2_STEP_DROP", CAT_CAPACITY, DS_Q_TX },
	{ "FULL_RING", CAT_CAPACITY, DS_Q_TX },
	{ "CPU_BACKLOG", CAT_CAPACITY, DS_Q_CPU },
	{ "SOCKET_RCVBUFF", CAT_CAPACITY, DS_Q_SOCKET },
	{ "SOCKET_BACKLOG", CAT_CAPACITY, DS_Q_SOCKET },
	{ "PROTO_MEM", CAT_CAPACITY, DS_Q_SOCKET },
	{ "TCP_LISTEN_OVERFLOW", CAT_CAPACITY, DS_Q_SOCKET },
	{ "TCP_ZEROWINDOW", CAT_CAPACITY, DS_Q_SOCKET },
	{ "TCP_OFO_QUEUE_PRUNE", CAT_CAPACITY, DS_Q_SOCKET },
	{ "TCP_OFO_DROP", CAT_CAPACITY, DS_Q_SOCKET },
	{ "NOMEM", CAT_CAPACITY, DS_Q_NONE },
	{ "PFMEMALLOC", CAT_CAPACITY, DS_Q_NONE },
	{ "NEIGH_QUEUEFULL", CAT_CAPACITY, DS_Q_NONE },
	{ "OVS_DROP_DEFERRED_LIMIT", CAT_CAPACITY, DS_Q_NONE },
	/* Receive could not get the headroom it needed (6.18): growing an skb's head is an
	 * allocation, so this is memory, like NOMEM. */
	{ "SKB_RX_HEADROOM", CAT_CAPACITY, DS_Q_NONE },

	/* Policy: a rule or program of this host decided. */
	{ "NETFILTER_DROP", CAT_POLICY, DS_Q_NONE },
	{ "SOCKET_FILTER", CAT_POLICY, DS_Q_SOCKET },
	{ "IP_RPFILTER", CAT_POLICY, DS_Q_NONE },
	{ "XFRM_POLICY", CAT_POLICY, DS_Q_NONE },
	{ "BPF_CGROUP_EGRESS", CAT_POLICY, DS_Q_NONE },
	{ "TC_EGRESS", CAT_POLICY, DS_Q_TX },
	{ "TC_INGRESS", CAT_POLICY, DS_Q_RX },
	{ "TC_*", CAT_POLICY, DS_Q_NONE },
	{ "XDP", CAT_POLICY, DS_Q_RX },
	{ "SECURITY_HOOK", CAT_POLICY, DS_Q_NONE },
	{ "TAP_*", CAT_POLICY, DS_Q_NONE },
	{ "TCP_MD5*", CAT_POLICY, DS_Q_SOCKET },
	{ "TCP_AO*", CAT_POLICY, DS_Q_SOCKET },
	{ "TCP_AUTH_HDR", CAT_POLICY, DS_Q_SOCKET },
	{ "TCP_MINTTL", CAT_POLICY, DS_Q_SOCKET },
	{ "IPV6DISABLED", CAT_POLICY, DS_Q_NONE },
	{ "MAC_INVALID_SOURCE", CAT_POLICY, DS_Q_NONE },
	{ "ARP_PVLAN_DISABLE", CAT_POLICY, DS_Q_NONE },
	{ "BRIDGE_INGRESS_STP_STATE", CAT_POLICY, DS_Q_NONE },
	{ "PSP_*", CAT_POLICY, DS_Q_NONE },
	/* A static VXLAN forwarding entry refused to move. */
	{ "VXLAN_ENTRY_EXISTS", CAT_POLICY, DS_Q_NONE },

	/* Corruption: the packet itself was bad. */
	{ "TCP_CSUM", CAT_CORRUPTION, DS_Q_SOCKET },
	{ "UDP_CSUM", CAT_CORRUPTION, DS_Q_SOCKET },
	{ "IP_CSUM", CAT_CORRUPTION, DS_Q_NONE },
	{ "ICMP_CSUM", CAT_CORRUPTION, DS_Q_NONE },
	{ "SKB_CSUM", CAT_CORRUPTION, DS_Q_NONE },
	{ "PKT_TOO_SMALL", CAT_CORRUPTION, DS_Q_NONE },
	{ "IP_INHDR", CAT_CORRUPTION, DS_Q_NONE },
	{ "HDR_TRUNC", CAT_CORRUPTION, DS_Q_NONE },
	{ "INVALID_PROTO", CAT_CORRUPTION, DS_Q_NONE },
	{ "DEV_HDR", CAT_CORRUPTION, DS_Q_NONE },
	{ "TCP_FLAGS", CAT_CORRUPTION, DS_Q_SOCKET },
	{ "IPV6_BAD_EXTHDR", CAT_CORRUPTION, DS_Q_NONE },
	{ "IPV6_NDISC_NS_OTHERHOST", CAT_NORMAL, DS_Q_NONE },
	{ "IPV6_NDISC_*", CAT_CORRUPTION, DS_Q_NONE },
	{ "IP_TUNNEL_ECN", CAT_CORRUPTION, DS_Q_NONE },
	{ "VXLAN_INVALID_HDR", CAT_CORRUPTION, DS_Q_NONE },
	{ "CAN*", CAT_CORRUPTION, DS_Q_NONE },
	/* More extension headers than the kernel walks (IP6_MAX_EXT_HDRS_CNT, 6.18): a crafted
	 * or broken header chain. */
	{ "IPV6_TOO_MANY_EXTHDRS", CAT_CORRUPTION, DS_Q_NONE },
	/* A GSO packet that could not be cut into segments: a malformed or offload-broken one. */
	{ "SKB_GSO_SEG", CAT_CORRUPTION, DS_Q_NONE },
	{ "OVS_DROP_FRAG_*", CAT_CORRUPTION, DS_Q_NONE },
	/* 802.11 frames that cannot be used: bad MIC, replays, decryption failures. Duplicates
	 * are the protocol at work. */
	{ "RX_DROP_U_DUP", CAT_NORMAL, DS_Q_NONE },
	{ "RX_DROP_U_*", CAT_CORRUPTION, DS_Q_NONE },
	{ "RX_DROP_UNUSABLE", CAT_CORRUPTION, DS_Q_NONE },

	/* Routing and neighbours: nowhere to send it, or nobody answered ARP/ND. */
	{ "IP_OUTNOROUTES", CAT_ROUTING, DS_Q_NONE },
	{ "IP_INNOROUTES", CAT_ROUTING, DS_Q_NONE },
	{ "IP_INADDRERRORS", CAT_ROUTING, DS_Q_NONE },
	{ "IP_LOCAL_SOURCE", CAT_ROUTING, DS_Q_NONE },
	{ "IP_INVALID_SOURCE", CAT_ROUTING, DS_Q_NONE },
	{ "IP_LOCALNET", CAT_ROUTING, DS_Q_NONE },
	{ "IP_INVALID_DEST", CAT_ROUTING, DS_Q_NONE },
	{ "PKT_TOO_BIG", CAT_ROUTING, DS_Q_NONE },
	{ "NEIGH_*", CAT_ROUTING, DS_Q_NONE },
	{ "DEV_READY", CAT_ROUTING, DS_Q_TX },
	{ "NO_TX_TARGET", CAT_ROUTING, DS_Q_TX },
	{ "TUNNEL_TXINFO", CAT_ROUTING, DS_Q_NONE },
	{ "VXLAN_VNI_NOT_FOUND", CAT_ROUTING, DS_Q_NONE },
	/* A packet looping through virtual devices (or OVS recursion): a forwarding loop. */
	{ "RECURSION_LIMIT", CAT_ROUTING, DS_Q_NONE },
	{ "OVS_DROP_RECURSION_LIMIT", CAT_ROUTING, DS_Q_NONE },
	/* An AF_PACKET send that failed, mostly on a device that is down. */
	{ "PACKET_SOCK_ERROR", CAT_ROUTING, DS_Q_NONE },

	/* Protocol-normal: the stack doing its job. */
	{ "NO_SOCKET", CAT_NORMAL, DS_Q_SOCKET },
	{ "SOCKET_CLOSE", CAT_NORMAL, DS_Q_SOCKET },
	{ "UNIX_*", CAT_NORMAL, DS_Q_NONE },
	{ "OTHERHOST", CAT_NORMAL, DS_Q_NONE },
	{ "UNICAST_IN_L2_MULTICAST", CAT_NORMAL, DS_Q_NONE },
	{ "IP_NOPROTO", CAT_NORMAL, DS_Q_NONE },
	{ "UNHANDLED_PROTO", CAT_NORMAL, DS_Q_NONE },
	{ "DUP_FRAG", CAT_NORMAL, DS_Q_NONE },
	{ "FRAG_*", CAT_NORMAL, DS_Q_NONE },
	{ "QUEUE_PURGE", CAT_NORMAL, DS_Q_NONE },
	{ "LOCAL_MAC", CAT_NORMAL, DS_Q_NONE },
	{ "MAC_IEEE_MAC_CONTROL", CAT_NORMAL, DS_Q_NONE },
	/* A sender's own buffer could not be read (EFAULT): the application's error, not loss. */
	{ "SKB_UCOPY_FAULT", CAT_NORMAL, DS_Q_NONE },
	/* TTL expired in the OVS datapath: as in ip_forward, traceroute at work. */
	{ "OVS_DROP_IP_TTL", CAT_NORMAL, DS_Q_NONE },
	/* 802.11 frames still shown to monitor interfaces, dropped for normal reception. */
	{ "RX_DROP_M*", CAT_NORMAL, DS_Q_NONE },
	{ "TCP_*", CAT_NORMAL, DS_Q_SOCKET },
	/* The rest of Open vSwitch's: its flow table (or conntrack, or a meter) decided. */
	{ "OVS_DROP_*", CAT_POLICY, DS_Q_NONE },
};

/* "X" the whole name, "X*" a prefix, "*X" a suffix, "*X*" anywhere in it. */
static bool matches(const char *pattern, const char *name)
{
	size_t n = strlen(pattern), len = strlen(name);
	bool head = n && pattern[0] == '*', tail = n > 1 && pattern[n - 1] == '*';
	char word[64];

	if (!head && !tail)
		return !strcmp(pattern, name);
	if (!head)
		return !strncmp(pattern, name, n - 1);
	n -= 1 + tail;
	if (!tail)
		return len >= n && !strcmp(name + len - n, pattern + 1);
	if (n >= sizeof(word))
		return false;
	memcpy(word, pattern + 1, n);
	word[n] = '\0';
	return strstr(name, word) != NULL;
}

/*
 * The fallback for names the table lacks: the words kernel reasons use for each category, from
 * the table above. First match wins, so a name that says both (NOMEM in a header parser) takes
 * the earlier category: the packet before the host.
 */
static const struct rule shapes[] = {
	{ "*CSUM*", CAT_CORRUPTION },	 { "*HDR*", CAT_CORRUPTION },
	{ "*TRUNC*", CAT_CORRUPTION },	 { "*MALFORMED*", CAT_CORRUPTION },
	{ "*TOO_SMALL*", CAT_CORRUPTION }, { "*INVALID_FRAME*", CAT_CORRUPTION },
	{ "*NOMEM*", CAT_CAPACITY },	 { "*_MEM", CAT_CAPACITY },
	{ "*MEMALLOC*", CAT_CAPACITY },	 { "*FULL*", CAT_CAPACITY },
	{ "*OVERFLOW*", CAT_CAPACITY },	 { "*OVERLIMIT*", CAT_CAPACITY },
	{ "*BACKLOG*", CAT_CAPACITY },	 { "*RCVBUF*", CAT_CAPACITY },
	{ "*NETFILTER*", CAT_POLICY },	 { "*POLICY*", CAT_POLICY },
	{ "*FILTER*", CAT_POLICY },	 { "*BPF*", CAT_POLICY },
	{ "*SECURITY*", CAT_POLICY },	 { "*ROUTE*", CAT_ROUTING },
	{ "*NEIGH*", CAT_ROUTING },
};

enum drop_category reason_category_by_shape(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(shapes); i++)
		if (matches(shapes[i].pattern, name))
			return shapes[i].cat;
	return CAT_UNCLASSIFIED;
}

static const struct rule *find_rule(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (matches(rules[i].pattern, name))
			return &rules[i];
	return NULL;
}

enum drop_category reason_category(const char *name)
{
	const struct rule *r = name ? find_rule(name) : NULL;

	return r ? r->cat : reason_category_by_shape(name);
}

bool reason_in_table(const char *name)
{
	return name && find_rule(name);
}

uint8_t reason_queue_kind(const char *name)
{
	const struct rule *r = name ? find_rule(name) : NULL;

	return r ? r->queue : DS_Q_NONE;
}

enum drop_category reason_category_at(const char *name, const char *location)
{
	if (name && location && !strcmp(name, "IP_INHDR") &&
	    (!strncmp(location, "ip_forward", 10) || !strncmp(location, "ip6_forward", 11)))
		return CAT_NORMAL;
	return reason_category(name);
}
