// SPDX-License-Identifier: GPL-2.0
/*
 * TCP retransmissions per flow, from the tcp:tcp_retransmit_skb and tcp:tcp_retransmit_synack
 * tracepoints: the symptom of loss that the sender sees, whoever dropped the packet.
 *
 * Linked into the drops object (see the Makefile): one object, so libbpf parses the kernel's
 * BTF once at load. The filters and the stats map are the drops object's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "dropscope.h"

#define AF_INET 2
#define AF_INET6 10

extern const volatile __u32 filter_netns;
extern const volatile __u16 filter_port;
extern const volatile __u8 filter_family; /* 0: no host filter; 4 or 6 */
extern const volatile __u8 filter_addr[16];

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct retrans_key);
	__type(value, struct retrans_value);
} retrans SEC(".maps");

#define DS_STATS_EXTERN
#include "stats.bpf.h"

/*
 * The records as this code reads them; CO-RE finds the fields wherever the kernel put them.
 * tcp_retransmit_skb's record was struct trace_event_raw_tcp_event_sk_skb, shared with other
 * events, until it got its own struct trace_event_raw_tcp_retransmit_skb (6.8, with err).
 * All carry the same fields under the same names.
 */
#define TCP_RECORD(name)                                                                           \
	struct name {                                                                              \
		const void *skaddr;                                                                \
		__u16 sport;                                                                       \
		__u16 dport;                                                                       \
		__u16 family;                                                                      \
		__u8 saddr[4];                                                                     \
		__u8 daddr[4];                                                                     \
		__u8 saddr_v6[16];                                                                 \
		__u8 daddr_v6[16];                                                                 \
	} __attribute__((preserve_access_index))

TCP_RECORD(trace_event_raw_tcp_retransmit_skb___ds);
TCP_RECORD(trace_event_raw_tcp_event_sk_skb___ds);
TCP_RECORD(trace_event_raw_tcp_retransmit_synack___ds);

static __always_inline bool addr_match(const __u8 *a, int n)
{
	for (int i = 0; i < 16; i++)
		if (i < n && a[i] != filter_addr[i])
			return false;
	return true;
}

static __always_inline int count_retransmit(struct retrans_key *k, bool synack)
{
	struct retrans_value *v, init = {};

	if (filter_netns && k->netns != filter_netns)
		return 0;
	if (filter_port && k->sport != filter_port && k->dport != filter_port)
		return 0;
	if (filter_family &&
	    ((filter_family == 4 && (k->family != AF_INET || !addr_match(k->daddr, 4))) ||
	     (filter_family == 6 && (k->family != AF_INET6 || !addr_match(k->daddr, 16)))))
		return 0;

	if (synack)
		STAT_INC(synack_retransmits);
	else
		STAT_INC(retransmits);
	v = bpf_map_lookup_elem(&retrans, k);
	if (!v) {
		if (synack)
			init.synack = 1;
		else
			init.retransmits = 1;
		if (!bpf_map_update_elem(&retrans, k, &init, BPF_NOEXIST)) {
			STAT_INC(retrans_flows);
			return 0;
		}
		v = bpf_map_lookup_elem(&retrans, k);
		if (!v)
			return 0;
	}
	if (synack)
		__sync_fetch_and_add(&v->synack, 1);
	else
		__sync_fetch_and_add(&v->retransmits, 1);
	return 0;
}

/* Both records carry the same fields under the same names. */
#define FILL_KEY(k, ctx)                                                                           \
	do {                                                                                       \
		const struct sock *sk = BPF_CORE_READ(ctx, skaddr);                                \
		(k)->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);                   \
		(k)->family = bpf_core_field_exists(ctx->family) ? BPF_CORE_READ(ctx, family)      \
								 : AF_INET;                        \
		(k)->sport = BPF_CORE_READ(ctx, sport);                                            \
		(k)->dport = BPF_CORE_READ(ctx, dport);                                            \
		if ((k)->family == AF_INET6) {                                                     \
			BPF_CORE_READ_INTO(&(k)->saddr, ctx, saddr_v6);                            \
			BPF_CORE_READ_INTO(&(k)->daddr, ctx, daddr_v6);                            \
		} else {                                                                           \
			bpf_probe_read_kernel((k)->saddr, 4, &ctx->saddr);                         \
			bpf_probe_read_kernel((k)->daddr, 4, &ctx->daddr);                         \
		}                                                                                  \
	} while (0)

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tcp_retransmit_skb(void *ctx)
{
	struct retrans_key k = {};

	if (bpf_core_type_exists(struct trace_event_raw_tcp_retransmit_skb)) {
		struct trace_event_raw_tcp_retransmit_skb___ds *c = ctx;

		FILL_KEY(&k, c);
	} else {
		struct trace_event_raw_tcp_event_sk_skb___ds *c = ctx;

		FILL_KEY(&k, c);
	}
	return count_retransmit(&k, false);
}

SEC("tracepoint/tcp/tcp_retransmit_synack")
int tcp_retransmit_synack(struct trace_event_raw_tcp_retransmit_synack___ds *ctx)
{
	struct retrans_key k = {};

	FILL_KEY(&k, ctx);
	return count_retransmit(&k, true);
}
