/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-side builders for the prober's packets: a fixed flow, and the replies routers and
 * destinations send (ICMP errors quoting a probe, echo replies, TCP answers), written byte by
 * byte from the RFCs rather than with the code under test. Used by the parser's unit test and
 * its fuzz target.
 */
#ifndef DS_TEST_PROBE_PACKETS_H
#define DS_TEST_PROBE_PACKETS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_parse.h"

/* 10.0.0.1 -> 10.9.9.9 or fd00::1 -> fd09::9, with fixed ports, ids and label. */
static inline struct probe_flow test_flow(int family, enum probe_proto proto)
{
	struct probe_flow f;

	memset(&f, 0, sizeof(f));
	f.family = family;
	f.proto = proto;
	if (family == AF_INET) {
		inet_pton(AF_INET, "10.0.0.1", f.src);
		inet_pton(AF_INET, "10.9.9.9", f.dst);
	} else {
		inet_pton(AF_INET6, "fd00::1", f.src);
		inet_pton(AF_INET6, "fd09::9", f.dst);
	}
	f.icmp_id = 0xbeef;
	f.sport = 40000;
	f.dport = proto == PROBE_TCP ? 443 : 33434;
	f.tcp_seq_hi = 0x1234;
	f.tcp_mss = 1460;
	f.flowlabel = 0x54321;
	return f;
}

static inline size_t test_hlen(const struct probe_flow *f)
{
	return f->family == AF_INET ? 20 : 40;
}

static inline uint8_t test_icmp_proto(const struct probe_flow *f)
{
	return f->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

/* An IP header src -> dst of total bytes (checksum left 0: the parser does not check it). */
static inline size_t test_put_ip(const struct probe_flow *f, uint8_t *b, const uint8_t *src,
				 const uint8_t *dst, uint8_t proto, size_t total)
{
	memset(b, 0, test_hlen(f));
	if (f->family == AF_INET) {
		b[0] = 0x45;
		b[2] = (uint8_t)(total >> 8);
		b[3] = (uint8_t)total;
		b[8] = 60;
		b[9] = proto;
		memcpy(b + 12, src, 4);
		memcpy(b + 16, dst, 4);
		return 20;
	}
	b[0] = 0x60;
	b[4] = (uint8_t)((total - 40) >> 8);
	b[5] = (uint8_t)(total - 40);
	b[6] = proto;
	b[7] = 60;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	return 40;
}

/* An ICMP error from router to our source, quoting the first qlen bytes of probe. */
static inline size_t test_icmp_error(const struct probe_flow *f, const uint8_t *router,
				     uint8_t type, uint8_t code, const uint8_t *probe, size_t qlen,
				     uint8_t *out)
{
	size_t hl =
		test_put_ip(f, out, router, f->src, test_icmp_proto(f), test_hlen(f) + 8 + qlen);

	memset(out + hl, 0, 8);
	out[hl] = type;
	out[hl + 1] = code;
	memcpy(out + hl + 8, probe, qlen);
	return hl + 8 + qlen;
}

/* The target's echo reply with that identifier and sequence number. */
static inline size_t test_echo_reply(const struct probe_flow *f, uint16_t id, uint16_t seq,
				     uint8_t *out)
{
	size_t hl = test_put_ip(f, out, f->dst, f->src, test_icmp_proto(f), test_hlen(f) + 16);

	memset(out + hl, 0, 16);
	out[hl] = f->family == AF_INET ? 0 : 129;
	out[hl + 4] = (uint8_t)(id >> 8);
	out[hl + 5] = (uint8_t)id;
	out[hl + 6] = (uint8_t)(seq >> 8);
	out[hl + 7] = (uint8_t)seq;
	return hl + 16;
}

/* A TCP segment from -> our source, from our destination port to our source port. */
static inline size_t test_tcp_reply(const struct probe_flow *f, const uint8_t *from, uint8_t flags,
				    uint32_t ack, uint8_t *out)
{
	size_t hl = test_put_ip(f, out, from, f->src, IPPROTO_TCP, test_hlen(f) + 20);
	uint8_t *t = out + hl;

	memset(t, 0, 20);
	t[0] = (uint8_t)(f->dport >> 8);
	t[1] = (uint8_t)f->dport;
	t[2] = (uint8_t)(f->sport >> 8);
	t[3] = (uint8_t)f->sport;
	t[8] = (uint8_t)(ack >> 24);
	t[9] = (uint8_t)(ack >> 16);
	t[10] = (uint8_t)(ack >> 8);
	t[11] = (uint8_t)ack;
	t[12] = 5 << 4;
	t[13] = flags;
	return hl + 20;
}

#endif
