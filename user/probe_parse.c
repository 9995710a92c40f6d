// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_parse.h"

#define IP4_HLEN 20
#define IP6_HLEN 40
#define ICMP_HLEN 8
#define UDP_HLEN 8
#define TCP_SYN_HLEN 24 /* 20 bytes and the MSS option */
#define L4_QUOTE 8	/* what every ICMP error quotes of the transport header, at least */

#define ICMP4_ECHOREPLY 0
#define ICMP4_UNREACH 3
#define ICMP4_UNREACH_NEEDFRAG 4 /* the code of "fragmentation needed and DF set" */
#define ICMP4_ECHO 8
#define ICMP4_TIMXCEED 11
#define ICMP6_UNREACH 1
#define ICMP6_PKT_TOOBIG 2
#define ICMP6_TIMXCEED 3
#define ICMP6_ECHO 128
#define ICMP6_ECHOREPLY 129

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static size_t addr_len(const struct probe_flow *f)
{
	return f->family == AF_INET6 ? 16 : 4;
}

static size_t ip_hlen(const struct probe_flow *f)
{
	return f->family == AF_INET6 ? IP6_HLEN : IP4_HLEN;
}

static uint8_t ip_proto(const struct probe_flow *f, enum probe_proto proto)
{
	switch (proto) {
	case PROBE_UDP:
		return IPPROTO_UDP;
	case PROBE_TCP:
		return IPPROTO_TCP;
	default:
		return f->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	}
}

static uint8_t l4_proto(const struct probe_flow *f)
{
	return ip_proto(f, f->proto);
}

/* Flow k's protocol: an echo flow 0 beside the others (icmp_flow0), or the run's. */
static enum probe_proto proto_of(const struct probe_flow *f, unsigned int k)
{
	return f->icmp_flow0 && k == 0 ? PROBE_ICMP : f->proto;
}

/* The protocol a packet with IP protocol number n would be one of our flows', or -1. */
static int proto_from(const struct probe_flow *f, uint8_t n)
{
	if (n == l4_proto(f))
		return f->proto;
	if (f->icmp_flow0 && n == ip_proto(f, PROBE_ICMP))
		return PROBE_ICMP;
	return -1;
}

/* One's complement sum, 32-bit accumulator (folded by csum_fold). */
static uint32_t csum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += get16(buf + i);
		if (sum > 0xffff)
			sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1) {
		sum += (uint32_t)buf[len - 1] << 8;
		if (sum > 0xffff)
			sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t probe_csum(const uint8_t *buf, size_t len, uint32_t sum)
{
	return (uint16_t)~csum_fold(csum_add(sum, buf, len));
}

/* The transport pseudo-header's sum (ICMPv4 has none). */
static uint32_t pseudo_sum(const struct probe_flow *f, uint8_t proto, size_t l4len)
{
	uint8_t ph[40];

	if (f->family == AF_INET6) {
		memcpy(ph, f->src, 16);
		memcpy(ph + 16, f->dst, 16);
		put32(ph + 32, (uint32_t)l4len);
		put32(ph + 36, proto);
		return csum_add(0, ph, 40);
	}
	if (proto == IPPROTO_ICMP)
		return 0;
	memcpy(ph, f->src, 4);
	memcpy(ph + 4, f->dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)l4len);
	return csum_add(0, ph, 12);
}

size_t probe_min_size(const struct probe_flow *f)
{
	if (f->proto == PROBE_TCP)
		return ip_hlen(f) + TCP_SYN_HLEN;
	/* ICMP and UDP: the 8-byte header and one payload word that keeps the checksum right. */
	return ip_hlen(f) + 8 + 2;
}

static void build_ip(const struct probe_flow *f, uint8_t proto, uint8_t ttl, size_t size,
		     uint8_t *buf)
{
	if (f->family == AF_INET6) {
		put32(buf, 6u << 28 | (f->flowlabel & 0xfffff));
		put16(buf + 4, (uint16_t)(size - IP6_HLEN));
		buf[6] = proto;
		buf[7] = ttl;
		memcpy(buf + 8, f->src, 16);
		memcpy(buf + 24, f->dst, 16);
		return;
	}
	buf[0] = 0x45;
	buf[1] = 0;
	put16(buf + 2, (uint16_t)size);
	/* IP ID 0: the kernel picks one; identity lives in the transport header. */
	put16(buf + 4, 0);
	put16(buf + 6, 0);
	buf[8] = ttl;
	buf[9] = proto;
	put16(buf + 10, 0);
	memcpy(buf + 12, f->src, 4);
	memcpy(buf + 16, f->dst, 4);
	put16(buf + 10, probe_csum(buf, IP4_HLEN, 0));
}

/* How many flows the run has: nflows, or the one flow of a run that set none. */
static unsigned int flows_of(const struct probe_flow *f)
{
	return f->nflows > 1 ? f->nflows : 1;
}

/*
 * The flow of protocol proto whose hashed field (source port, echo identifier) is v, given flow
 * 0's base; -1 when none is.
 */
static int flow_at(const struct probe_flow *f, enum probe_proto proto, uint16_t v, uint16_t base)
{
	uint16_t k = (uint16_t)(v - base);

	return k < flows_of(f) && proto_of(f, k) == proto ? k : -1;
}

int probe_build(const struct probe_flow *f, uint16_t ident, uint8_t ttl, size_t size, uint8_t *buf,
		size_t bufsize)
{
	return probe_build_flow(f, 0, ident, ttl, size, buf, bufsize);
}

int probe_build_flow(const struct probe_flow *f, unsigned int flow, uint16_t ident, uint8_t ttl,
		     size_t size, uint8_t *buf, size_t bufsize)
{
	size_t hl, l4len;
	enum probe_proto proto;
	uint8_t *l4;
	uint32_t sum;

	if (!f || !buf || ident >= PROBE_ID_SPACE || size > 65535 ||
	    (f->family != AF_INET && f->family != AF_INET6) || flow >= flows_of(f))
		return -EINVAL;
	hl = ip_hlen(f);
	proto = proto_of(f, flow);
	/* probe_min_size is the run's: an echo flow 0 beside TCP ones fits the SYNs' size. */
	if (size < probe_min_size(f) || (proto == PROBE_TCP && size != probe_min_size(f)))
		return -EINVAL;
	if (size > bufsize)
		return -ENOSPC;
	memset(buf, 0, size);
	build_ip(f, ip_proto(f, proto), ttl, size, buf);
	l4 = buf + hl;
	l4len = size - hl;

	switch (proto) {
	case PROBE_ICMP:
		l4[0] = f->family == AF_INET6 ? ICMP6_ECHO : ICMP4_ECHO;
		l4[1] = 0;
		put16(l4 + 4, (uint16_t)(f->icmp_id + flow));
		put16(l4 + 6, ident);
		/*
		 * seq + ~seq is 0xffff whatever seq is: with this word beside it the checksum,
		 * which some load balancers hash with the first transport bytes, never moves.
		 */
		put16(l4 + 8, (uint16_t)~ident);
		sum = pseudo_sum(f, ip_proto(f, PROBE_ICMP), l4len);
		put16(l4 + 2, probe_csum(l4, l4len, sum));
		break;
	case PROBE_UDP:
		put16(l4, (uint16_t)(f->sport + flow));
		put16(l4 + 2, f->dport);
		put16(l4 + 4, (uint16_t)l4len);
		/*
		 * The checksum field is the identity. Choose the payload word X so that the
		 * datagram still checks: the one's complement sum of everything must be 0xffff,
		 * and S + ~S is 0xffff for any S.
		 */
		put16(l4 + 6, (uint16_t)(ident + 1));
		sum = csum_add(pseudo_sum(f, IPPROTO_UDP, l4len), l4, l4len);
		put16(l4 + 8, (uint16_t)~csum_fold(sum));
		break;
	case PROBE_TCP:
		put16(l4, (uint16_t)(f->sport + flow));
		put16(l4 + 2, f->dport);
		put32(l4 + 4, (uint32_t)f->tcp_seq_hi << 16 | ident);
		put32(l4 + 8, 0);
		l4[12] = (TCP_SYN_HLEN / 4) << 4;
		l4[13] = TCP_SYN;
		put16(l4 + 14, 64240);
		/* An MSS option, as every real SYN has; bare SYNs are dropped by some filters. */
		l4[20] = 2;
		l4[21] = 4;
		put16(l4 + 22, f->tcp_mss ? f->tcp_mss : 1460);
		sum = pseudo_sum(f, IPPROTO_TCP, l4len);
		put16(l4 + 16, probe_csum(l4, l4len, sum));
		break;
	default:
		return -EINVAL;
	}
	return (int)size;
}

/*
 * The identity in the first 8 transport bytes of one of our probes (quoted or not), or -1; its
 * flow number into *flow.
 */
static int probe_ident(const struct probe_flow *f, uint8_t ipproto, const uint8_t *l4, size_t len,
		       uint8_t *flow)
{
	uint16_t v;
	uint32_t seq;
	int k;

	if (len < L4_QUOTE)
		return -1;
	switch (proto_from(f, ipproto)) {
	case PROBE_ICMP:
		k = flow_at(f, PROBE_ICMP, get16(l4 + 4), f->icmp_id);
		if (l4[0] != (f->family == AF_INET6 ? ICMP6_ECHO : ICMP4_ECHO) || l4[1] != 0 ||
		    k < 0)
			return -1;
		*flow = (uint8_t)k;
		v = get16(l4 + 6);
		return v < PROBE_ID_SPACE ? v : -1;
	case PROBE_UDP:
		k = flow_at(f, PROBE_UDP, get16(l4), f->sport);
		if (k < 0 || get16(l4 + 2) != f->dport)
			return -1;
		*flow = (uint8_t)k;
		v = get16(l4 + 6);
		return v ? v - 1 : -1;
	case PROBE_TCP:
		k = flow_at(f, PROBE_TCP, get16(l4), f->sport);
		if (k < 0 || get16(l4 + 2) != f->dport)
			return -1;
		*flow = (uint8_t)k;
		seq = get32(l4 + 4);
		if (seq >> 16 != f->tcp_seq_hi || (seq & 0xffff) >= PROBE_ID_SPACE)
			return -1;
		/* Only the SYN (its flags lie past the quoted 8 bytes: checked when present). */
		if (len >= 14 && (l4[13] & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
			return -1;
		return (int)(seq & 0xffff);
	}
	return -1;
}

/*
 * The packet an ICMP error quotes: an IP header (ours: no options in v4 would be usual, but any
 * IHL is read) and the first bytes of the transport header. Returns the identity; -1 when the
 * quote is not of a packet from our source to our target with our protocol; -2 when it is, but
 * does not carry our probes' identifying fields (or too little of them to tell).
 */
static int quoted_probe(const struct probe_flow *f, const uint8_t *q, size_t len, uint8_t *ttl,
			uint8_t *flow)
{
	size_t hl, alen = addr_len(f);
	int ident;

	if (f->family == AF_INET) {
		if (len < IP4_HLEN || q[0] >> 4 != 4)
			return -1;
		hl = (size_t)(q[0] & 0x0f) * 4;
		if (hl < IP4_HLEN || hl > len)
			return -1;
		/* A later fragment quotes no transport header. */
		if (get16(q + 6) & 0x1fff)
			return -1;
		if (proto_from(f, q[9]) < 0 || memcmp(q + 12, f->src, alen) ||
		    memcmp(q + 16, f->dst, alen))
			return -1;
		*ttl = q[8];
	} else {
		hl = IP6_HLEN;
		if (len < IP6_HLEN || q[0] >> 4 != 6)
			return -1;
		if (proto_from(f, q[6]) < 0 || memcmp(q + 8, f->src, alen) ||
		    memcmp(q + 24, f->dst, alen))
			return -1;
		*ttl = q[7];
	}
	ident = probe_ident(f, f->family == AF_INET ? q[9] : q[6], q + hl, len - hl, flow);
	return ident >= 0 ? ident : -2;
}

static void reply_init(struct probe_packet *out, const struct probe_flow *f, const uint8_t *from)
{
	out->kind = PROBE_PKT_REPLY;
	if (from) {
		memcpy(out->from, from, addr_len(f));
		out->from_target = !memcmp(from, f->dst, addr_len(f));
	}
}

static int parse_icmp_reply(const struct probe_flow *f, const uint8_t *from, const uint8_t *l4,
			    size_t len, struct probe_packet *out)
{
	bool v6 = f->family == AF_INET6;
	uint8_t type, code, ttl = 0, flow = 0;
	enum probe_reply_kind kind;
	int ident;

	if (len < ICMP_HLEN)
		return 0;
	type = l4[0];
	code = l4[1];
	if (type == (v6 ? ICMP6_ECHOREPLY : ICMP4_ECHOREPLY)) {
		if (f->proto != PROBE_ICMP && !f->icmp_flow0)
			return 0;
		int k = flow_at(f, PROBE_ICMP, get16(l4 + 4), f->icmp_id);

		if (code != 0 || k < 0 || get16(l4 + 6) >= PROBE_ID_SPACE) {
			/* Someone else's echo to our target (ping, mtr), or a mangled one. */
			out->foreign = from && !memcmp(from, f->dst, addr_len(f));
			return 0;
		}
		reply_init(out, f, from);
		out->reply = PROBE_REPLY_ECHO;
		out->icmp_type = type;
		out->ident = get16(l4 + 6);
		out->flow = (uint8_t)k;
		out->terminal = true;
		return 0;
	}
	if (type == (v6 ? ICMP6_TIMXCEED : ICMP4_TIMXCEED) && code == 0)
		kind = PROBE_REPLY_TIME_EXCEEDED;
	else if (v6 ? type == ICMP6_PKT_TOOBIG && code == 0
		    : type == ICMP4_UNREACH && code == ICMP4_UNREACH_NEEDFRAG)
		kind = PROBE_REPLY_TOO_BIG;
	else if (type == (v6 ? ICMP6_UNREACH : ICMP4_UNREACH))
		kind = PROBE_REPLY_UNREACH;
	else
		return 0;
	ident = quoted_probe(f, l4 + ICMP_HLEN, len - ICMP_HLEN, &ttl, &flow);
	if (ident < 0) {
		out->foreign = ident == -2;
		return 0;
	}
	reply_init(out, f, from);
	out->flow = flow;
	out->reply = kind;
	out->icmp_type = type;
	out->icmp_code = code;
	out->ident = (uint16_t)ident;
	out->ttl = ttl;
	out->terminal = kind != PROBE_REPLY_TIME_EXCEEDED;
	/* RFC 4443: a 32-bit MTU; RFC 1191: a 16-bit next-hop MTU in the second half (0 from
	 * routers older than it). */
	if (kind == PROBE_REPLY_TOO_BIG)
		out->mtu = v6 ? get32(l4 + 4) : get16(l4 + 6);
	return 0;
}

static int parse_tcp_reply(const struct probe_flow *f, const uint8_t *from, const uint8_t *l4,
			   size_t len, struct probe_packet *out)
{
	enum probe_reply_kind kind;
	uint32_t seq;
	uint8_t flags;

	int k;

	if (f->proto != PROBE_TCP || len < 20)
		return 0;
	k = flow_at(f, PROBE_TCP, get16(l4 + 2), f->sport);
	if (get16(l4) != f->dport || k < 0)
		return 0;
	flags = l4[13];
	/* An answer to a SYN acknowledges it: ack = our sequence number + 1. */
	if (!(flags & TCP_ACK))
		return 0;
	if ((flags & (TCP_SYN | TCP_RST | TCP_FIN)) == TCP_SYN)
		kind = PROBE_REPLY_TCP_SYNACK;
	else if (flags & TCP_RST)
		kind = PROBE_REPLY_TCP_RST;
	else
		return 0;
	seq = get32(l4 + 8) - 1;
	if (seq >> 16 != f->tcp_seq_hi || (seq & 0xffff) >= PROBE_ID_SPACE) {
		/* Our ports, but it acknowledges nothing we sent. */
		out->foreign = true;
		return 0;
	}
	reply_init(out, f, from);
	out->reply = kind;
	out->ident = (uint16_t)(seq & 0xffff);
	out->flow = (uint8_t)k;
	out->terminal = true;
	return 0;
}

static void packet_init(struct probe_packet *out)
{
	memset(out, 0, sizeof(*out));
	out->index = -1;
}

int probe_parse_l4(const struct probe_flow *f, uint8_t l4proto, const uint8_t *from,
		   const uint8_t *l4, size_t len, struct probe_packet *out)
{
	if (!f || !out || (!l4 && len) || (f->family != AF_INET && f->family != AF_INET6))
		return -EINVAL;
	packet_init(out);
	if (l4proto == (f->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		return parse_icmp_reply(f, from, l4, len, out);
	if (l4proto == IPPROTO_TCP && from && !memcmp(from, f->dst, addr_len(f)))
		return parse_tcp_reply(f, from, l4, len, out);
	return 0;
}

/* Skip IPv6 extension headers to the transport header; false if there is none to read. */
static bool ip6_skip_ext(const uint8_t *pkt, size_t len, size_t *off, uint8_t *nh)
{
	for (int i = 0; i < 8; i++) {
		switch (*nh) {
		case 0:	 /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (*off + 2 > len)
				return false;
			*nh = pkt[*off];
			*off += ((size_t)pkt[*off + 1] + 1) * 8;
			break;
		case 44: /* fragment: only the first one carries the transport header */
			if (*off + 8 > len || (get16(pkt + *off + 2) & 0xfff8))
				return false;
			*nh = pkt[*off];
			*off += 8;
			break;
		default:
			return *off <= len;
		}
	}
	return false;
}

int probe_parse_l3(const struct probe_flow *f, const uint8_t *pkt, size_t len,
		   struct probe_packet *out)
{
	size_t alen, hl, avail;
	const uint8_t *src, *dst;
	uint8_t proto, ttl, flow = 0;
	int ident;

	if (!f || !out || (!pkt && len) || (f->family != AF_INET && f->family != AF_INET6))
		return -EINVAL;
	packet_init(out);
	alen = addr_len(f);
	if (len < 1)
		return 0;
	if (f->family == AF_INET) {
		if (len < IP4_HLEN || pkt[0] >> 4 != 4)
			return 0;
		hl = (size_t)(pkt[0] & 0x0f) * 4;
		avail = get16(pkt + 2);
		if (hl < IP4_HLEN || avail < hl)
			return 0;
		if (avail > len)
			avail = len; /* truncated capture: read what is there */
		if (hl > avail || (get16(pkt + 6) & 0x1fff))
			return 0;
		proto = pkt[9];
		ttl = pkt[8];
		src = pkt + 12;
		dst = pkt + 16;
	} else {
		if (len < IP6_HLEN || pkt[0] >> 4 != 6)
			return 0;
		avail = IP6_HLEN + (size_t)get16(pkt + 4);
		if (avail > len || get16(pkt + 4) == 0)
			avail = len;
		hl = IP6_HLEN;
		proto = pkt[6];
		ttl = pkt[7];
		src = pkt + 8;
		dst = pkt + 24;
		if (!ip6_skip_ext(pkt, avail, &hl, &proto))
			return 0;
	}

	/*
	 * One of our own probes on its way out (or dropped on the way). When the target is this
	 * host, its answers have the same addresses and protocol: only the identity tells.
	 */
	if (proto_from(f, proto) >= 0 && !memcmp(src, f->src, alen) && !memcmp(dst, f->dst, alen)) {
		ident = probe_ident(f, proto, pkt + hl, avail - hl, &flow);
		if (ident >= 0) {
			out->kind = PROBE_PKT_PROBE;
			out->ident = (uint16_t)ident;
			out->flow = flow;
			out->ttl = ttl;
			return 0;
		}
	}
	/* Replies come to our source address. */
	if (memcmp(dst, f->src, alen))
		return 0;
	return probe_parse_l4(f, proto, src, pkt + hl, avail - hl, out);
}

enum probe_match probe_match_reply(const struct probe_slot *sl, const struct probe_packet *pk,
				   uint64_t now_ns, int64_t rx_rt_ns, double timeout_s,
				   double *rtt_ms)
{
	double mono_ms, rtt;

	*rtt_ms = 0;
	if (!sl || !pk || pk->kind != PROBE_PKT_REPLY || !sl->seq1)
		return PROBE_MATCH_UNMATCHED;
	/*
	 * Read after the identity was used again (the socket queued it meanwhile). A realtime
	 * clock stepped back between the send and the answer looks the same; that is rarer
	 * still, and costs one answer counted late.
	 */
	if (rx_rt_ns && rx_rt_ns < sl->tx_rt_ns)
		return PROBE_MATCH_STALE;
	if (sl->flags & PROBE_SLOT_REFUSED)
		return PROBE_MATCH_UNMATCHED;
	if (sl->flags & (PROBE_SLOT_ANSWERED | PROBE_SLOT_LATE))
		return PROBE_MATCH_DUPLICATE;
	mono_ms = now_ns > sl->sent_ns ? (double)(now_ns - sl->sent_ns) / 1e6 : 0;
	rtt = (double)(rx_rt_ns - sl->tx_rt_ns) / 1e6;
	/* The receive stamp is CLOCK_REALTIME: if the clock stepped forward, use ours. */
	if (!rx_rt_ns || rtt > mono_ms + 1e3)
		rtt = mono_ms;
	*rtt_ms = rtt;
	if ((sl->flags & PROBE_SLOT_RESOLVED) || rtt > timeout_s * 1e3)
		return PROBE_MATCH_LATE;
	return PROBE_MATCH_ANSWER;
}
