// SPDX-License-Identifier: GPL-2.0
/*
 * TCP retransmissions per flow, from the tcp:tcp_retransmit_skb and tcp:tcp_retransmit_synack
 * tracepoints, attached raw (no tracefs): the symptom of loss that the sender sees, whoever
 * dropped the packet.
 *
 * Linked into the drops object (see the Makefile): one object, so libbpf parses the kernel's
 * BTF once at load. The filters and the stats map are the drops object's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "dropscope.h"

#define AF_INET 2
#define AF_INET6 10

extern const volatile __u32 filter_netns;
extern const volatile __u16 filter_port;
extern const volatile __u8 filter_family; /* 0: no host filter; 4 or 6 */
extern const volatile __u8 filter_addr[16];
/* tcp_retransmit_skb has the attempt's err (6.17+, "tcp: trace retransmit failures in
 * tcp_retransmit_skb"): the loader reads it from the tracepoint's BTF. A rodata constant, so
 * that the verifier prunes the read of an argument the kernel lacks (which fails the attach). */
const volatile bool retransmit_has_err;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct retrans_key);
	__type(value, struct retrans_value);
} retrans SEC(".maps");

#define DS_STATS_EXTERN
#include "stats.bpf.h"

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

/*
 * The flow, from the socket's common part, where the tracepoints' records take it too: from sk
 * (retransmit_skb) or from the request sock (synack), which begins with a struct sock_common.
 * Read from the raw tracepoints' arguments, which have stayed (sk, skb) and (sk, req) since the
 * tracepoints came (retransmit_skb 4.15, synack 4.16; 6.17 appended an err to retransmit_skb's),
 * it needs no kernel types but struct sock and struct net, which the drop programs relocate
 * already (a request sock's namespace is its listener's, as the record's skaddr's was). The
 * records' types moved (retransmit_skb's was the shared trace_event_raw_tcp_event_sk_skb before
 * 6.17): their three flavours cost libbpf a scan of all of vmlinux's BTF each at load, and the
 * flavour this kernel lacks a look through every module's BTF too, which without CAP_SYS_ADMIN
 * failed the load.
 * retransmit_skb's record takes sport and the IPv4 source from struct inet_sock (inet_sport,
 * inet_saddr); TCP sets them to skc_num and skc_rcv_saddr when it binds, connects or accepts.
 */
static __always_inline void key_from_sock(struct retrans_key *k, const struct sock *sk)
{
	k->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	k->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	k->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	k->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* skc_v6_* exist only with CONFIG_IPV6, and only an AF_INET6 socket has them */
	if (k->family == AF_INET6 && bpf_core_field_exists(sk->__sk_common.skc_v6_daddr)) {
		BPF_CORE_READ_INTO(&k->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&k->daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)k->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)k->daddr, sk, __sk_common.skc_daddr);
	}
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb, const struct sock *sk)
{
	struct retrans_key k = {};

	/* From 6.17 the tracepoint fires on every attempt, also on those that send nothing
	 * (-EHOSTUNREACH, -EBUSY, -EAGAIN, -ENOMEM): a retransmission is one with err 0, as
	 * TcpRetransSegs counts. The kernel counts the failed ones (TcpExtTCPRetransFail). */
	if (retransmit_has_err && (int)ctx[2])
		return 0;
	key_from_sock(&k, sk);
	return count_retransmit(&k, false);
}

/* req is a struct request_sock, whose first member is its struct sock_common. Declared struct
 * sock on purpose: __sk_common sits at offset 0 in both, so key_from_sock reads it through
 * struct sock's relocations, which the drop programs need already, and naming struct
 * request_sock would cost libbpf one more scan of vmlinux's BTF at load. */
SEC("raw_tp/tcp_retransmit_synack")
int BPF_PROG(tcp_retransmit_synack, const struct sock *sk, const struct sock *req)
{
	struct retrans_key k = {};

	key_from_sock(&k, req);
	return count_retransmit(&k, true);
}
