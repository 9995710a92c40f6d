/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet headers parsed from the skb itself (never from skb->sk: NO_SOCKET drops have none),
 * with every offset checked against the bytes actually copied.
 */
#ifndef DS_SKB_BPF_H
#define DS_SKB_BPF_H

#include <bpf/bpf_endian.h>

/* The userspace unit test includes this file too, where libc has these already. */
#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6 0x86DD
#endif
#ifndef IPPROTO_HOPOPTS
#define IPPROTO_HOPOPTS 0
#endif
#ifndef IPPROTO_ICMP
#define IPPROTO_ICMP 1
#endif
#ifndef IPPROTO_TCP
#define IPPROTO_TCP 6
#endif
#ifndef IPPROTO_UDP
#define IPPROTO_UDP 17
#endif
#ifndef IPPROTO_ROUTING
#define IPPROTO_ROUTING 43
#endif
#ifndef IPPROTO_FRAGMENT
#define IPPROTO_FRAGMENT 44
#endif
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#ifndef IPPROTO_DSTOPTS
#define IPPROTO_DSTOPTS 60
#endif
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/*
 * Header bytes copied from the network header. Each copy is a helper call whose cost grows with
 * its size, so the first copy is just enough for the common case: an IPv4 header without
 * options and the ports (24 bytes), or an IPv6 header and the ports (44, rounded to 48). When
 * the ports lie further (IPv4 options, an IPv6 extension header), they take a second copy.
 */
#define HDR_COPY 64
#define HDR_COPY_V4 24
#define HDR_COPY_V6 48

/* The raw fields of an skb the parsers need, read by whichever attach variant is running. */
struct skb_fields {
	unsigned char *head;
	__u32 len;
	__u32 tail;	  /* offset from head (64-bit kernels: sk_buff_data_t is an offset) */
	__u16 network;	  /* offset of the network header from head */
	__u16 protocol;	  /* skb->protocol, network byte order */
	__u16 queue_mapping;
	__u32 iif;	  /* skb->skb_iif: the interface it arrived on, 0 if locally made */
	__u32 dev_ifindex;
	__u32 netns;
};

struct l3l4 {
	__u8 family; /* 4, 6 or 0 */
	__u8 l4_proto;
	__u16 l3_proto; /* host order */
	__u16 l4_off;	/* where the ports are, when they were past the copy (0: not wanted) */
	__u16 sport;	/* host order; TCP, UDP, SCTP ports; ICMP: type, code */
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

static __always_inline void copy_addr4(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, 4);
}

static __always_inline void copy_addr6(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, 16);
}

/* Protocols with real ports, all in the header's first 4 bytes. */
static __always_inline bool has_real_ports(__u8 l4_proto)
{
	return l4_proto == IPPROTO_TCP || l4_proto == IPPROTO_UDP || l4_proto == IPPROTO_SCTP;
}

/* Protocols whose first 4 header bytes are parsed: ports, or ICMP's type and code. */
static __always_inline bool has_ports(__u8 l4_proto)
{
	return has_real_ports(l4_proto) || l4_proto == IPPROTO_ICMP || l4_proto == IPPROTO_ICMPV6;
}

/* The ports from 4 bytes at the L4 header. */
static __always_inline void ports_from(const __u8 *b, struct l3l4 *p)
{
	if (has_real_ports(p->l4_proto)) {
		p->sport = ((__u16)b[0] << 8) | b[1];
		p->dport = ((__u16)b[2] << 8) | b[3];
	} else if (p->l4_proto == IPPROTO_ICMP || p->l4_proto == IPPROTO_ICMPV6) {
		p->sport = b[0];
		p->dport = b[1];
	}
}

/*
 * Ports (or ICMP type and code) at off in buf, if the copy of copied bytes holds them; if not,
 * l4_off tells the caller where to fetch them, when the packet has them (avail bytes).
 */
static __always_inline void parse_ports(const __u8 *buf, __u32 off, __u32 copied, __u32 avail,
					struct l3l4 *p)
{
	if (!has_ports(p->l4_proto) || off + 4 > avail)
		return;
	if (off > HDR_COPY - 4 || off + 4 > copied) {
		p->l4_off = off;
		return;
	}
	ports_from(buf + off, p);
}

/*
 * Parse IPv4 or IPv6 and the ports from buf, a copy of the first copied (<= HDR_COPY) bytes at
 * the network header of a packet with avail bytes there. A header that does not look like the
 * protocol the skb claims is left unparsed: before the stack sets the network header, its
 * offset means nothing.
 */
static __always_inline void parse_l3l4(const __u8 *buf, __u32 copied, __u32 avail,
				       __u16 protocol, struct l3l4 *p)
{
	__u16 proto = bpf_ntohs(protocol);
	__u32 off;

	p->l3_proto = proto;
	if (copied > HDR_COPY)
		copied = HDR_COPY;
	if (copied > avail)
		copied = avail;
	if (proto == ETH_P_IP || (proto == 0 && copied >= 20 && (buf[0] >> 4) == 4)) {
		__u16 frag = ((__u16)(buf[6] & 0x1f) << 8) | buf[7];

		off = (buf[0] & 0xf) * 4;
		if (copied < 20 || (buf[0] >> 4) != 4 || off < 20)
			return;
		p->l3_proto = ETH_P_IP;
		p->family = 4;
		p->l4_proto = buf[9];
		copy_addr4(p->saddr, buf + 12);
		copy_addr4(p->daddr, buf + 16);
		if (frag)
			return;
	} else if (proto == ETH_P_IPV6 || (proto == 0 && copied >= 40 && (buf[0] >> 4) == 6)) {
		__u8 next;

		if (copied < 40 || (buf[0] >> 4) != 6)
			return;
		p->l3_proto = ETH_P_IPV6;
		p->family = 6;
		copy_addr6(p->saddr, buf + 8);
		copy_addr6(p->daddr, buf + 24);
		next = buf[6];
		off = 40;
		/* At most one extension header fits in the copy; deeper chains keep next header. */
		if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
		    next == IPPROTO_FRAGMENT) {
			/* A fragment other than the first carries no ports. */
			bool later_fragment;

			if (copied < 44) {
				p->l4_proto = next;
				return;
			}
			later_fragment = next == IPPROTO_FRAGMENT &&
					 ((((__u16)buf[42] << 8) | buf[43]) & 0xfff8);
			off += next == IPPROTO_FRAGMENT ? 8 : ((__u32)buf[41] + 1) * 8;
			next = buf[40];
			if (later_fragment) {
				p->l4_proto = next;
				return;
			}
		}
		p->l4_proto = next;
	} else {
		return;
	}
	/* One call for both families: the verifier walks it once, not once for each. */
	parse_ports(buf, off, copied, avail, p);
}

#endif
