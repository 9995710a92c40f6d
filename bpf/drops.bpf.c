// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel packet drops: skb:kfree_skb, counted in the kernel by reason, namespace, interface,
 * queue, protocol and location, with an optional rate-limited event stream.
 *
 * Two attach variants of the same handler; the loader picks one at run time:
 *   tp_btf/kfree_skb            typed arguments, direct (cheap) loads from the skb
 *   tracepoint/skb/kfree_skb    the classic tracepoint, for kernels without tp_btf; reads via
 *                               bpf_probe_read_kernel, and copes with no reason field (< 5.17)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "dropscope.h"
#include "skb.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load; constant for the verifier, so unused paths cost nothing. */
const volatile __u32 filter_netns;
const volatile __u32 filter_ifindex;
const volatile __u8 filter_l4_proto;
const volatile __u16 filter_port;
const volatile __u8 filter_family; /* 0: no host filter */
const volatile __u8 filter_addr[16];
const volatile __u16 ephemeral_lo = 32768, ephemeral_hi = 60999;
const volatile bool has_rx_sk;	/* tp_btf: kfree_skb has the rx_sk argument (6.11+) */
const volatile bool ignore_reason; /* testing aid: behave as on a kernel before 5.17 */
const volatile __u32 consumed_reason; /* SKB_CONSUMED: not a drop (0 if the kernel has none) */
const volatile bool events_on;
const volatile __u32 events_per_sec = 1000; /* per CPU */
const volatile __u32 events_burst = 100;
/* The watch filter: packets of the prober, and replies to them, always become events. */
const volatile bool watch_on;
const volatile __u8 watch_l4_proto;
const volatile __u16 watch_port_lo, watch_port_hi;
const volatile __u8 reason_queue_kind[DS_MAX_CORE_REASONS];

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct drop_key);
	__type(value, struct drop_value);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ifname_key);
	__type(value, struct ifname_value);
} ifnames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_meta);
} meta SEC(".maps");

/* Token bucket for the event stream, one per CPU. */
struct event_bucket {
	__u64 last_ns;
	__u64 tokens;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_bucket);
} event_buckets SEC(".maps");

static __always_inline bool addr_eq(const __u8 *a, const volatile __u8 *b, __u8 family)
{
	int n = family == 4 ? 4 : 16;

	for (int i = 0; i < 16; i++)
		if (i < n && a[i] != b[i])
			return false;
	return true;
}

static __always_inline bool passes_filters(const struct skb_fields *f, __u32 ifindex,
					   const struct l3l4 *p)
{
	if (filter_netns && f->netns != filter_netns)
		return false;
	if (filter_ifindex && ifindex != filter_ifindex)
		return false;
	if (filter_l4_proto && p->l4_proto != filter_l4_proto)
		return false;
	if (filter_port && p->sport != filter_port && p->dport != filter_port)
		return false;
	if (filter_family && (p->family != filter_family ||
			      (!addr_eq(p->saddr, filter_addr, filter_family) &&
			       !addr_eq(p->daddr, filter_addr, filter_family))))
		return false;
	return true;
}

static __always_inline bool is_watched(const struct l3l4 *p)
{
	if (!watch_on)
		return false;
	if (p->l4_proto == IPPROTO_ICMP || p->l4_proto == IPPROTO_ICMPV6)
		return true;
	return watch_l4_proto && p->l4_proto == watch_l4_proto &&
	       ((p->sport >= watch_port_lo && p->sport <= watch_port_hi) ||
		(p->dport >= watch_port_lo && p->dport <= watch_port_hi));
}

static __always_inline bool take_event_token(void)
{
	__u32 zero = 0;
	struct event_bucket *b = bpf_map_lookup_elem(&event_buckets, &zero);
	__u64 now, refill;

	if (!b)
		return false;
	now = bpf_ktime_get_ns();
	refill = (now - b->last_ns) * events_per_sec / 1000000000ull;
	if (refill) {
		b->tokens += refill;
		if (b->tokens > events_burst)
			b->tokens = events_burst;
		b->last_ns = now;
	}
	if (!b->tokens)
		return false;
	b->tokens--;
	return true;
}

static __always_inline void queue_of(const struct skb_fields *f, __u32 reason,
				     const struct l3l4 *p, struct drop_key *key)
{
	__u8 kind = reason < DS_MAX_CORE_REASONS ? reason_queue_kind[reason] : DS_Q_NONE;
	__u16 port;

	key->queue_kind = kind;
	switch (kind) {
	case DS_Q_TX:
		key->queue = f->queue_mapping;
		break;
	case DS_Q_RX:
		/* skb_record_rx_queue() stores queue + 1; 0 means not recorded. */
		key->queue = f->queue_mapping ? f->queue_mapping - 1 : 0;
		break;
	case DS_Q_CPU:
		key->queue = bpf_get_smp_processor_id();
		break;
	case DS_Q_SOCKET:
		/* The local end: the destination port of what arrived, the source of what we sent. */
		port = f->iif ? p->dport : p->sport;
		if (port >= ephemeral_lo && port <= ephemeral_hi)
			port = 0;
		key->queue = port;
		break;
	}
}

/* Count one drop under key; returns true when the key is new. */
static __always_inline bool count_drop(struct ds_stats *st, struct drop_key *key, __u32 len)
{
	struct drop_value *v, init = { .packets = 1, .bytes = len };
	struct drop_key folded = {};
	long err;

	v = bpf_map_lookup_elem(&drops, key);
	if (!v) {
		/* A per-CPU update from BPF sets this CPU's value and zeroes the others. */
		err = bpf_map_update_elem(&drops, key, &init, BPF_NOEXIST);
		if (!err)
			return true;
		/* EEXIST: another CPU inserted it first. Otherwise the map is full, and the
		 * reason's catch-all entry keeps the totals exact. */
		if (err == -17)
			v = bpf_map_lookup_elem(&drops, key);
		if (!v) {
			folded.reason = key->reason;
			folded.folded = 1;
			v = bpf_map_lookup_elem(&drops, &folded);
			if (!v) {
				if (st)
					st->unaccounted++;
				return false;
			}
			if (st)
				st->folded++;
		}
	}
	/* Per-CPU value: no other CPU writes it. */
	v->packets++;
	v->bytes += len;
	return false;
}

/* Interface names, while the device is at hand: userspace may look after it is gone. */
static __always_inline void record_ifname(const struct drop_key *key, struct net_device *dev)
{
	struct ifname_key ik = { .netns = key->netns, .ifindex = key->ifindex };
	struct ifname_value iv = {};

	if (!dev || !key->ifindex)
		return;
	bpf_probe_read_kernel_str(iv.name, sizeof(iv.name), dev->name);
	bpf_map_update_elem(&ifnames, &ik, &iv, BPF_ANY);
}

static __always_inline void emit_event(struct ds_stats *st, const struct skb_fields *f,
				       const struct drop_key *key, const struct l3l4 *p,
				       struct net_device *dev, bool watched)
{
	struct drop_event *e;
	__u32 avail;

	if (!watched && !take_event_token()) {
		if (st)
			st->events_shed++;
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if (st)
			st->events_lost++;
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->location = key->location;
	e->reason = key->reason;
	e->netns = key->netns;
	e->ifindex = key->ifindex;
	e->queue = key->queue;
	e->len = f->len;
	e->l3_proto = key->l3_proto;
	e->l4_proto = key->l4_proto;
	e->queue_kind = key->queue_kind;
	e->family = p->family;
	e->flags = watched ? DS_EV_WATCHED : 0;
	e->sport = p->sport;
	e->dport = p->dport;
	e->cpu = bpf_get_smp_processor_id();
	__builtin_memcpy(e->saddr, p->saddr, 16);
	__builtin_memcpy(e->daddr, p->daddr, 16);
	__builtin_memset(e->ifname, 0, sizeof(e->ifname));
	if (dev)
		bpf_probe_read_kernel_str(e->ifname, sizeof(e->ifname), dev->name);
	avail = f->tail > f->network ? f->tail - f->network : 0;
	e->data_len = avail > DS_EVENT_DATA ? DS_EVENT_DATA : avail;
	if (bpf_probe_read_kernel(e->data, DS_EVENT_DATA, f->head + f->network))
		e->data_len = 0;
	bpf_ringbuf_submit(e, 0);
	if (st)
		st->events_sent++;
}

/* The common path: f is filled by the attach variant. */
static __always_inline int handle_drop(struct skb_fields *f, __u64 location, __u32 reason,
				       struct net_device *dev)
{
	__u32 zero = 0, avail, ifindex;
	struct ds_stats *st = bpf_map_lookup_elem(&stats, &zero);
	struct drop_key key = {};
	struct l3l4 p = {};
	__u8 buf[HDR_COPY];
	bool watched;

	if (reason && reason == consumed_reason)
		return 0;
	if (st)
		st->seen++;
	ifindex = f->dev_ifindex ? f->dev_ifindex : f->iif;
	if (filter_netns && f->netns != filter_netns)
		return 0;

	avail = f->tail > f->network ? f->tail - f->network : 0;
	if (avail && !bpf_probe_read_kernel(buf, sizeof(buf), f->head + f->network))
		parse_l3l4(buf, avail, f->protocol, &p);
	else
		p.l3_proto = bpf_ntohs(f->protocol);

	if (!passes_filters(f, ifindex, &p))
		return 0;
	if (st)
		st->matched++;

	key.reason = reason;
	key.netns = f->netns;
	key.ifindex = ifindex;
	key.location = location;
	key.l3_proto = p.l3_proto;
	key.l4_proto = p.l4_proto;
	queue_of(f, reason, &p, &key);
	if (count_drop(st, &key, f->len))
		record_ifname(&key, dev);

	watched = is_watched(&p);
	if (events_on || watched)
		emit_event(st, f, &key, &p, dev, watched);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct skb_fields f = {};
	struct net_device *dev = skb->dev;
	struct sock *sk = skb->sk;

	if (has_rx_sk && !sk)
		/* 6.11 added the socket the packet was delivered to, when skb->sk is not set. */
		sk = (struct sock *)ctx[3];

	f.head = skb->head;
	f.len = skb->len;
	f.tail = skb->tail;
	f.network = skb->network_header;
	f.protocol = skb->protocol;
	f.queue_mapping = skb->queue_mapping;
	f.iif = skb->skb_iif;
	if (dev) {
		f.dev_ifindex = dev->ifindex;
		f.netns = dev->nd_net.net->ns.inum;
	} else if (sk) {
		f.netns = sk->__sk_common.skc_net.net->ns.inum;
	}
	return handle_drop(&f, (__u64)location, ignore_reason ? 0 : reason, dev);
}

/* The classic tracepoint's record before 6.11 has no rx_sk, and before 5.17 no reason. */
struct trace_event_raw_kfree_skb___ds {
	void *skbaddr;
	void *location;
	void *rx_sk;
	unsigned short protocol;
	enum skb_drop_reason reason; /* CO-RE matches enum to enum, not to an integer */
} __attribute__((preserve_access_index));

SEC("tracepoint/skb/kfree_skb")
int kfree_skb_tp(struct trace_event_raw_kfree_skb___ds *ctx)
{
	struct sk_buff *skb = BPF_CORE_READ(ctx, skbaddr);
	struct skb_fields f = {};
	struct net_device *dev;
	struct sock *sk = NULL;
	__u32 reason = 0;

	if (bpf_core_field_exists(ctx->reason) && !ignore_reason)
		reason = BPF_CORE_READ(ctx, reason);
	if (!skb)
		return 0;
	dev = BPF_CORE_READ(skb, dev);
	sk = BPF_CORE_READ(skb, sk);
	if (!sk && bpf_core_field_exists(ctx->rx_sk))
		sk = BPF_CORE_READ(ctx, rx_sk);
	f.head = BPF_CORE_READ(skb, head);
	f.len = BPF_CORE_READ(skb, len);
	f.tail = BPF_CORE_READ(skb, tail);
	f.network = BPF_CORE_READ(skb, network_header);
	f.protocol = BPF_CORE_READ(skb, protocol);
	f.queue_mapping = BPF_CORE_READ(skb, queue_mapping);
	f.iif = BPF_CORE_READ(skb, skb_iif);
	if (dev) {
		f.dev_ifindex = BPF_CORE_READ(dev, ifindex);
		f.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	} else if (sk) {
		f.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	}
	return handle_drop(&f, (__u64)BPF_CORE_READ(ctx, location), reason, dev);
}
