// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel packet drops: skb:kfree_skb, counted in the kernel by reason, namespace, interface,
 * queue, protocol and location, with an optional rate-limited event stream.
 *
 * One handler, three attach variants; the loader picks one at run time:
 *   tp_btf/kfree_skb     typed arguments; headers read with plain loads through
 *                        bpf_rdonly_cast() (6.2+): no helper call on the hot path
 *   tp_btf/kfree_skb     the same, headers copied with bpf_probe_read_kernel (5.8 - 6.1)
 *   tracepoint/skb/...   the classic tracepoint, for kernels without tp_btf; copes with a
 *                        record that has no reason (before 5.17)
 * The oldest kernel is 5.8: the events ring buffer (BPF_MAP_TYPE_RINGBUF) arrived then.
 *
 * The hot path costs what it must and no more (see scripts/bench-trace.sh): counts live in a
 * per-CPU open-addressed table in an array map (lookups the verifier inlines, no hashing
 * helper), the stats map is touched only when something rare happens, and packet headers are
 * read in one go.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "dropscope.h"
#include "skb.bpf.h"
#include "ratelimit.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load; constant for the verifier, so unused paths cost nothing. */
const volatile __u32 filter_netns;
const volatile __u32 filter_ifindex;
const volatile __u8 filter_l4_proto;
const volatile __u16 filter_port;
const volatile __u8 filter_family; /* 0: no host filter */
const volatile __u8 filter_addr[16];
const volatile __u16 ephemeral_lo = 32768, ephemeral_hi = 60999;
const volatile bool has_reason;	   /* tp_btf: kfree_skb has the reason argument (5.17+) */
const volatile bool has_rx_sk;	   /* tp_btf: kfree_skb has the rx_sk argument (6.11+) */
const volatile bool ignore_reason; /* testing aid: behave as on a kernel before 5.17 */
const volatile bool nest_guard;	   /* see struct running below */
const volatile __u32 consumed_reason; /* SKB_CONSUMED: not a drop (0 if the kernel has none) */
const volatile __u32 slot_mask = DS_DEFAULT_SLOTS - 1; /* slots - 1, slots a power of two */
const volatile bool events_on;
const volatile __u32 events_per_sec = 1000; /* per CPU */
const volatile __u32 events_burst = 100;
/* Wake the reader only once the ring holds events_wake_at bytes (a quarter of it); it reads
 * on a timer too (monitor). The ring's size is userspace's (bpf_map__set_max_entries). */
#define EVENTS_RING (1 << 20)
const volatile bool events_batch;
const volatile __u32 events_wake_at = EVENTS_RING / 4;
/* The watch filter: packets of the prober, and replies to them, always become events. */
const volatile bool watch_on;
const volatile __u8 watch_family; /* 0: any address */
const volatile __u8 watch_addr[16];
const volatile __u8 watch_l4_proto;
const volatile __u16 watch_port_lo, watch_port_hi;
const volatile __u8 reason_queue_kind[DS_MAX_CORE_REASONS];

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DS_DEFAULT_SLOTS + DS_MAX_CORE_REASONS);
	__type(key, __u32);
	__type(value, struct drop_slot);
} drops SEC(".maps");

#include "stats.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DS_MAX_CORE_REASONS);
	__type(key, __u32);
	__type(value, struct ds_reason_total);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ifname_key);
	__type(value, struct ifname_value);
} ifnames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EVENTS_RING);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_meta);
} meta SEC(".maps");

/* Token bucket for the event stream, one per CPU (bpf/ratelimit.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_bucket);
} event_buckets SEC(".maps");

/*
 * Whether the program is running on this CPU. A kernel that has the raw tracepoint recursion
 * guard (commit 05b24ff9b2cf, "bpf: Prevent bpf program recursion for raw tracepoint probes":
 * mainline 6.1, and stable kernels that took it) never starts tp_btf programs on a CPU where
 * they already run, and counts the run it skipped (bpf_prog_info.recursion_misses); the classic
 * tracepoint has bpf_prog_active on every kernel. Elsewhere a drop in an interrupt (a softirq
 * run on the way out of a hard interrupt) can start this program while it is halfway through
 * writing a slot or the token bucket on the same CPU. So the tp_btf variants (nest_guard) mark
 * the CPU busy for the whole run and count a nested run in ds_stats.nested instead of doing it:
 * nothing here is ever written by two runs at once. The flag is set before any slot is touched
 * and cleared after the last write; a nested run that slips in between reading it and setting
 * it runs to its end before the outer run goes on, so it interleaves with nothing.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} running SEC(".maps");

static __always_inline bool addr_eq(const __u8 *a, const volatile __u8 *b, __u8 family)
{
	int n = family == 4 ? 4 : 16;

	for (int i = 0; i < 16; i++)
		if (i < n && a[i] != b[i])
			return false;
	return true;
}

static __always_inline bool passes_filters(__u32 ifindex, const struct l3l4 *p)
{
	if (filter_ifindex && ifindex != filter_ifindex)
		return false;
	if (filter_l4_proto && p->l4_proto != filter_l4_proto)
		return false;
	/* Only protocols with ports match a port: ICMP's type and code are not ports. */
	if (filter_port && (!has_real_ports(p->l4_proto) ||
			    (p->sport != filter_port && p->dport != filter_port)))
		return false;
	if (filter_family && (p->family != filter_family ||
			      (!addr_eq(p->saddr, filter_addr, filter_family) &&
			       !addr_eq(p->daddr, filter_addr, filter_family))))
		return false;
	return true;
}

/*
 * The prober's packets and the answers to them: from or to its source address (when it is
 * given), and ICMP (echo, and the errors that quote a probe), or its protocol with one of its
 * ports. Without an address, every ICMP drop in every namespace is watched, and watched events
 * are not rate-limited.
 */
static __always_inline bool is_watched(const struct l3l4 *p)
{
	if (!watch_on)
		return false;
	if (watch_family && (p->family != watch_family ||
			     (!addr_eq(p->saddr, watch_addr, watch_family) &&
			      !addr_eq(p->daddr, watch_addr, watch_family))))
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

	return b && bucket_take(b, bpf_ktime_get_ns(), events_per_sec, events_burst);
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
		/* Only TCP, UDP and SCTP have ports; ICMP's "ports" are its type and code. */
		if (!has_real_ports(p->l4_proto) || (port >= ephemeral_lo && port <= ephemeral_hi))
			port = 0;
		key->queue = port;
		break;
	}
}

static __always_inline bool key_eq(const struct drop_key *a, const struct drop_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	/* Four branches, each walked by the verifier on every probe of the table; one (the
	 * words xor-ed and or-ed) saves it 0.4 ms of 3 but costs a drop 1 to 3 ns. */
	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* Add one drop to slot s if it is free or holds key; false if it holds another key. */
static __always_inline bool add_to_slot(struct drop_slot *s, const struct drop_key *key,
					__u32 len, bool *is_new)
{
	if (!s->packets) {
		s->key = *key;
		*is_new = true;
	} else if (!key_eq(&s->key, key)) {
		return false;
	}
	/* Per-CPU slot: no other CPU writes it, and no other run on this one (struct running). */
	s->packets++;
	s->bytes += len;
	return true;
}

/*
 * Count one drop under key in this CPU's table: linear probing from a multiplicative hash of
 * the key; when DS_PROBES slots are taken by other keys, the reason's catch-all slot after the
 * table. Returns true when the key is new on this CPU.
 */
static __always_inline bool count_drop(const struct drop_key *key, __u32 len)
{
	__u32 h = key->reason * 0x9E3779B1u ^ (__u32)(key->location >> 2) * 0x85EBCA77u ^
		  key->netns * 0xC2B2AE3Du ^ key->ifindex * 0x27D4EB2Fu ^
		  key->queue * 0x165667B1u ^ ((__u32)key->l4_proto << 16 | key->l3_proto);
	struct drop_key folded = { .folded = 1 };
	struct drop_slot *s;
	bool is_new = false;
	__u32 idx;

	h ^= h >> 15;
	for (int i = 0; i < DS_PROBES; i++) {
		idx = (h + i) & slot_mask;
		s = bpf_map_lookup_elem(&drops, &idx);
		/* Never NULL (idx <= slot_mask); leaving the loop, not going on to the next
		 * probe, lets the verifier prune this path at once instead of walking it on. */
		if (!s)
			break;
		if (add_to_slot(s, key, len, &is_new))
			return is_new;
	}
	/* Table full here: the totals stay exact in the reason's (or subsystem's) catch-all. */
	if (key->reason < DS_CORE_CATCHALLS) {
		folded.reason = key->reason;
		idx = slot_mask + 1 + key->reason;
	} else {
		folded.reason = DS_CATCHALL_REASON(key->reason >> 16);
		idx = slot_mask + 1 + DS_CORE_CATCHALLS + (key->reason >> 16) % DS_SUBSYS_CATCHALLS;
	}
	s = bpf_map_lookup_elem(&drops, &idx);
	if (s && add_to_slot(s, &folded, len, &is_new)) {
		STAT_INC(folded);
		return false;
	}
	STAT_INC(unaccounted);
	return false;
}

/* The reason's total, before the table: exact however full the table is. Per-CPU, and no
 * other run on this CPU writes it (struct running). */
static __always_inline void count_total(__u32 reason, __u32 len)
{
	__u32 idx = reason < DS_CORE_CATCHALLS
			    ? reason
			    : DS_CORE_CATCHALLS + (reason >> 16) % DS_SUBSYS_CATCHALLS;
	struct ds_reason_total *t = bpf_map_lookup_elem(&totals, &idx);

	if (t) {
		t->packets++;
		t->bytes += len;
	}
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

static __always_inline void emit_event(const struct skb_fields *f, const struct drop_key *key,
				       const struct l3l4 *p, struct net_device *dev, bool watched)
{
	struct drop_event *e;
	__u64 n;

	if (!watched && !take_event_token()) {
		STAT_INC(events_shed);
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		STAT_INC(events_lost);
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
	/* The bytes the packet has, no more: a fixed-size copy would run past its end, and fail
	 * outright where the buffer ends a page. */
	n = f->tail > f->network ? f->tail - f->network : 0;
	/* 64-bit and opaque to the compiler, so that the bound the verifier sees is on the very
	 * register handed to the helper. */
	asm volatile("" : "+r"(n));
	if (n > DS_EVENT_DATA)
		n = DS_EVENT_DATA;
	if (bpf_probe_read_kernel(e->data, n, f->head + f->network))
		n = 0;
	e->data_len = n;
	bpf_ringbuf_submit(e, !events_batch ? 0
			      : bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > events_wake_at
				      ? BPF_RB_FORCE_WAKEUP
				      : BPF_RB_NO_WAKEUP);
	STAT_INC(events_sent);
}

/* Headers by copy: one bpf_probe_read_kernel sized for the protocol, and one more for ports
 * that lie past it. Any kernel. */
static __always_inline void read_headers_copy(const struct skb_fields *f, __u32 avail,
					      struct l3l4 *p)
{
	const unsigned char *nh = f->head + f->network;
	__u8 buf[HDR_COPY];
	__u32 copied;
	long err;

	if (f->protocol == bpf_htons(ETH_P_IPV6)) {
		copied = HDR_COPY_V6;
		err = bpf_probe_read_kernel(buf, HDR_COPY_V6, nh);
	} else {
		copied = HDR_COPY_V4;
		err = bpf_probe_read_kernel(buf, HDR_COPY_V4, nh);
	}
	if (err) {
		p->l3_proto = bpf_ntohs(f->protocol);
		return;
	}
	parse_l3l4(buf, copied, avail, f->protocol, p);
	if (p->l4_off) {
		__u8 ports[4];

		if (!bpf_probe_read_kernel(ports, sizeof(ports), nh + p->l4_off))
			ports_from(ports, p);
	}
}

/* 6.2+: a read-only typed view of any kernel memory, read with plain loads (a bad address reads
 * as zero, as with bpf_probe_read_kernel). Weak: the variant using it is loaded only when the
 * kernel has it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define RDONLY(type, ptr) ((const type *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))

/*
 * The header bytes at p, read through one kernel type: struct sk_buff's cb[], 48 scratch bytes
 * that the verifier lets a program read at any offset and width (it names skb->cb as the reason
 * it allows that), laid over the packet. The wire headers have fixed layouts (RFC 791, 8200,
 * 768, 792), so per-header kernel types would buy nothing, and each cost libbpf a scan of all of
 * vmlinux's BTF at load to find its id; sk_buff is relocated for the skb's own fields already.
 * Every read through a window ends by byte 44 (IPv6's header and the ports); the verifier checks
 * each against cb's end, so a kernel with a smaller cb fails the load and gets the copying reader.
 */
static __always_inline const __u8 *header_window(const unsigned char *p)
{
	const struct sk_buff *w = bpf_rdonly_cast(p - bpf_core_field_offset(struct sk_buff, cb),
						  bpf_core_type_id_kernel(struct sk_buff));

	return (const __u8 *)w->cb;
}

/* Headers by typed loads: the same result as read_headers_copy, without a helper call. Rare
 * shapes (IPv4 options are fine; IPv6 extension headers, a missing skb->protocol) are left to
 * the copying reader: false then, with p untouched. One call of that reader, not one for each
 * shape, so that the verifier walks it once. */
static __always_inline bool read_headers_cast(const struct skb_fields *f, __u32 avail,
					      struct l3l4 *p)
{
	const unsigned char *nh = f->head + f->network;
	const __u8 *h, *l4;
	__u32 off;

	if (f->protocol == bpf_htons(ETH_P_IP)) {
		h = header_window(nh);
		p->l3_proto = ETH_P_IP;
		/* version and IHL share the first byte, version in the high nibble */
		if (avail < 20 || h[0] >> 4 != 4)
			return true;
		off = (h[0] & 0xf) * 4;
		if (off < 20)
			return true;
		p->family = 4;
		p->l4_proto = h[9];
		*(__u32 *)p->saddr = *(const __u32 *)(h + 12);
		*(__u32 *)p->daddr = *(const __u32 *)(h + 16);
		/* A fragment other than the first carries no ports (the offset: 13 bits at 6). */
		if (*(const __u16 *)(h + 6) & bpf_htons(0x1fff))
			return true;
	} else if (f->protocol == bpf_htons(ETH_P_IPV6)) {
		__u8 next;

		if (avail < 40)
			return false;
		h = header_window(nh);
		next = h[6];
		if (h[0] >> 4 != 6 || next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
		    next == IPPROTO_DSTOPTS || next == IPPROTO_FRAGMENT)
			return false;
		p->l3_proto = ETH_P_IPV6;
		p->family = 6;
		p->l4_proto = next;
		/* In words: a byte-wise copy would be 32 guarded loads */
		for (int i = 0; i < 4; i++) {
			((__u32 *)p->saddr)[i] = ((const __u32 *)h)[2 + i];
			((__u32 *)p->daddr)[i] = ((const __u32 *)h)[6 + i];
		}
		off = 40;
	} else {
		return false;
	}
	if (!has_ports(p->l4_proto) || off + 4 > avail)
		return true;
	/* TCP, UDP and SCTP start with the two ports; ICMP and ICMPv6 with type and code. */
	l4 = header_window(nh + off);
	if (has_real_ports(p->l4_proto)) {
		p->sport = bpf_ntohs(*(const __u16 *)l4);
		p->dport = bpf_ntohs(*(const __u16 *)(l4 + 2));
	} else {
		p->sport = l4[0];
		p->dport = l4[1];
	}
	return true;
}

/* The common path: f is filled by the attach variant; cast picks the header reader. */
static __always_inline int handle_drop(const struct skb_fields *f, __u64 location, __u32 reason,
				       struct net_device *dev, bool cast)
{
	struct drop_key key = {};
	struct l3l4 p = {};
	__u32 avail, ifindex;
	bool watched;

	if (reason && reason == consumed_reason)
		return 0;
	if (filter_netns && f->netns != filter_netns)
		return 0;
	ifindex = f->dev_ifindex ? f->dev_ifindex : f->iif;

	avail = f->tail > f->network ? f->tail - f->network : 0;
	p.l3_proto = bpf_ntohs(f->protocol);
	if (avail && (!cast || !read_headers_cast(f, avail, &p)))
		read_headers_copy(f, avail, &p);
	if (!passes_filters(ifindex, &p))
		return 0;

	key.reason = reason;
	key.netns = f->netns;
	key.ifindex = ifindex;
	key.location = location;
	key.l3_proto = p.l3_proto;
	key.l4_proto = p.l4_proto;
	queue_of(f, reason, &p, &key);
	count_total(reason, f->len);
	if (count_drop(&key, f->len))
		record_ifname(&key, dev);

	watched = is_watched(&p);
	if (events_on || watched)
		emit_event(f, &key, &p, dev, watched);
	return 0;
}

/*
 * The arguments past skb and location, read only where the kernel has them: the verifier
 * rejects a load past the tracepoint's last argument, even in a branch never taken, unless the
 * branch is pruned, which a rodata constant does. 5.17 added the reason; 6.11 the socket the
 * packet was delivered to, for drops after skb->sk was released.
 */
#define REASON(ctx) (has_reason ? (__u32)(ctx)[2] : 0)
#define RX_SK(ctx) (has_rx_sk ? (struct sock *)(ctx)[3] : NULL)

/* The skb's fields by typed loads (tp_btf). */
static __always_inline void fields_btf(struct sk_buff *skb, unsigned long long *ctx,
				       struct skb_fields *f, struct net_device **devp, bool cast)
{
	/* The cast variant reads skb->dev and skb->sk, and the socket, through untrusted views:
	 * the verifier searches vmlinux BTF for no __safe_* type on those loads. */
	const struct sk_buff *v = cast ? RDONLY(struct sk_buff, skb) : skb;
	struct net_device *dev;
	struct sock *sk;

	f->head = skb->head;
	f->len = skb->len;
	f->tail = skb->tail;
	f->network = skb->network_header;
	f->protocol = skb->protocol;
	f->queue_mapping = skb->queue_mapping;
	f->iif = skb->skb_iif;
	dev = v->dev;
	if (dev) {
		f->dev_ifindex = dev->ifindex;
		f->netns = dev->nd_net.net->ns.inum;
	} else {
		sk = v->sk ?: RX_SK(ctx);
		if (sk) {
			const struct sock *s = cast ? RDONLY(struct sock, sk) : sk;

			f->netns = s->__sk_common.skc_net.net->ns.inum;
		}
	}
	*devp = dev;
}

/* Run one tp_btf drop, unless this program is already running on this CPU (struct running). */
static __always_inline int btf_drop(unsigned long long *ctx, struct sk_buff *skb, void *location,
				    bool cast)
{
	struct skb_fields f = {};
	struct net_device *dev;
	__u32 zero = 0, *busy = NULL;

	if (nest_guard) {
		busy = bpf_map_lookup_elem(&running, &zero);
		if (!busy)
			return 0;
		if (*(volatile __u32 *)busy) {
			STAT_INC(nested);
			return 0;
		}
		*(volatile __u32 *)busy = 1;
		asm volatile("" ::: "memory");
	}
	fields_btf(skb, ctx, &f, &dev, cast);
	handle_drop(&f, (__u64)location, REASON(ctx), dev, cast);
	if (busy) {
		asm volatile("" ::: "memory");
		*(volatile __u32 *)busy = 0;
	}
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, struct sk_buff *skb, void *location)
{
	return btf_drop(ctx, skb, location, true);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf_copy, struct sk_buff *skb, void *location)
{
	return btf_drop(ctx, skb, location, false);
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
	struct sock *sk;
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
	return handle_drop(&f, (__u64)BPF_CORE_READ(ctx, location), reason, dev, false);
}
