// SPDX-License-Identifier: GPL-2.0
/*
 * Probe packets and reply parsing: checksums right, the ECMP-hashed fields constant across a run
 * (Paris traceroute), identities round-trip, replies matched from their quotes, and everything
 * that is not ours or is cut short refused without reading past the end; answers about our
 * target that are not ours marked foreign; and the matching of answers to probes in flight.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probe_parse.h"
#include "tap.h"
#include "test_probe_packets.h"
#include "util.h"

static const char *name(const struct probe_flow *f)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%s/%s", f->family == AF_INET ? "v4" : "v6",
		 f->proto == PROBE_ICMP	 ? "icmp"
		 : f->proto == PROBE_UDP ? "udp"
					 : "tcp");
	return buf;
}

/* An independent one's complement sum, for checking. */
static uint32_t sum16(const uint8_t *b, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i++)
		s += i & 1 ? b[i] : (uint32_t)b[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint8_t proto_num(const struct probe_flow *f)
{
	if (f->proto == PROBE_UDP)
		return IPPROTO_UDP;
	if (f->proto == PROBE_TCP)
		return IPPROTO_TCP;
	return f->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

/* Transport checksum verifies: the sum over pseudo-header and segment is 0xffff. */
static bool l4_csum_ok(const struct probe_flow *f, const uint8_t *pkt, size_t len)
{
	size_t hl = test_hlen(f), l4 = len - hl;
	uint8_t ph[40] = {0};
	uint32_t s = 0;

	if (f->family == AF_INET6) {
		memcpy(ph, f->src, 16);
		memcpy(ph + 16, f->dst, 16);
		ph[34] = (uint8_t)(l4 >> 8);
		ph[35] = (uint8_t)l4;
		ph[39] = proto_num(f);
		s = sum16(ph, 40, 0);
	} else if (f->proto != PROBE_ICMP) {
		memcpy(ph, f->src, 4);
		memcpy(ph + 4, f->dst, 4);
		ph[9] = proto_num(f);
		ph[10] = (uint8_t)(l4 >> 8);
		ph[11] = (uint8_t)l4;
		s = sum16(ph, 12, 0);
	}
	return sum16(pkt + hl, l4, s) == 0xffff;
}

static void test_build(int family, enum probe_proto proto)
{
	struct probe_flow f = test_flow(family, proto);
	const uint16_t idents[] = {0, 1, 2, 0x1234, 40000, PROBE_ID_SPACE - 1};
	size_t size = proto == PROBE_TCP ? probe_min_size(&f) : 64, hl = test_hlen(&f);
	uint8_t pkt[128], first[128];
	bool csum_ok = true, same = true, round = true;

	for (size_t i = 0; i < ARRAY_SIZE(idents); i++) {
		struct probe_packet pk;

		if (!ok(probe_build(&f, idents[i], (uint8_t)(i + 1), size, pkt, sizeof(pkt)) ==
				(int)size,
			"%s: build ident %u", name(&f), idents[i]))
			return;
		csum_ok &= l4_csum_ok(&f, pkt, size);
		if (family == AF_INET)
			csum_ok &= sum16(pkt, 20, 0) == 0xffff;
		if (i == 0)
			memcpy(first, pkt, size);
		/* Paris: the hashed fields never change. v4: addresses, protocol; v6: the flow
		 * label too. */
		if (family == AF_INET)
			same &= !memcmp(pkt + 9, first + 9, 1) && !memcmp(pkt + 12, first + 12, 8);
		else
			same &= !memcmp(pkt, first, 4) && pkt[6] == first[6] &&
				!memcmp(pkt + 8, first + 8, 32);
		/* ... and the first four transport bytes: ports, or ICMP type, code, checksum. */
		same &= !memcmp(pkt + hl, first + hl, 4);
		probe_parse_l3(&f, pkt, size, &pk);
		round &= pk.kind == PROBE_PKT_PROBE && pk.ident == idents[i] && pk.ttl == i + 1;
	}
	ok(csum_ok, "%s: every probe's checksums verify", name(&f));
	ok(same, "%s: hashed fields constant across identities", name(&f));
	ok(round, "%s: our own probes parse back to their identity and TTL", name(&f));
	is_int(probe_build(&f, PROBE_ID_SPACE, 1, size, pkt, sizeof(pkt)), -EINVAL,
	       "%s: identity out of range refused", name(&f));
	is_int(probe_build(&f, 1, 1, probe_min_size(&f) - 1, pkt, sizeof(pkt)), -EINVAL,
	       "%s: size below the minimum refused", name(&f));
	is_int(probe_build(&f, 1, 1, size, pkt, size - 1), -ENOSPC, "%s: short buffer refused",
	       name(&f));
}

/*
 * --flows: flow k differs from flow 0 in the hashed field only (the source port, the echo
 * identifier), stays Paris within itself, and every probe and answer tells its flow; a flow the
 * run does not have is neither built nor taken.
 */
static void test_flows(int family, enum probe_proto proto)
{
	struct probe_flow f = test_flow(family, proto);
	size_t size = proto == PROBE_TCP ? probe_min_size(&f) : 64, hl = test_hlen(&f), n;
	uint8_t p0[128], pk3[128], again[128], pkt[256], router[16] = {0};
	uint8_t te = family == AF_INET ? 11 : 3;
	size_t keyoff = proto == PROBE_ICMP ? 4 : 0;
	struct probe_packet pk;
	uint16_t k0, k3;

	inet_pton(family, family == AF_INET ? "10.5.5.5" : "fd05::5", router);
	f.nflows = 4;
	probe_build_flow(&f, 0, 5, 3, size, p0, sizeof(p0));
	probe_build_flow(&f, 3, 5, 3, size, pk3, sizeof(pk3));
	probe_build_flow(&f, 3, 900, 7, size, again, sizeof(again));
	k0 = (uint16_t)(p0[hl + keyoff] << 8 | p0[hl + keyoff + 1]);
	k3 = (uint16_t)(pk3[hl + keyoff] << 8 | pk3[hl + keyoff + 1]);
	is_int(k3 - k0, 3, "%s: flow 3's %s is flow 0's + 3", name(&f),
	       proto == PROBE_ICMP ? "echo identifier" : "source port");
	ok(l4_csum_ok(&f, pk3, size), "%s: flow 3's checksums verify", name(&f));
	ok(!memcmp(pk3 + hl, again + hl, 4),
	   "%s: flow 3 is Paris: its first 4 transport bytes "
	   "stay across identities",
	   name(&f));
	probe_parse_l3(&f, pk3, size, &pk);
	ok(pk.kind == PROBE_PKT_PROBE && pk.flow == 3 && pk.ident == 5,
	   "%s: flow 3's probe parses back to flow 3", name(&f));
	pk3[family == AF_INET ? 8 : 7] = 1; /* the TTL a router quotes */
	n = test_icmp_error(&f, router, te, 0, pk3, hl + 8, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.flow == 3 && pk.ident == 5,
	   "%s: an answer quoting flow 3 names flow 3", name(&f));
	if (proto == PROBE_ICMP) {
		n = test_echo_reply(&f, (uint16_t)(f.icmp_id + 2), 8, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		ok(pk.kind == PROBE_PKT_REPLY && pk.flow == 2 && pk.ident == 8,
		   "%s: flow 2's echo reply names flow 2", name(&f));
	}
	is_int(probe_build_flow(&f, 4, 5, 3, size, pkt, sizeof(pkt)), -EINVAL,
	       "%s: flow 4 of 4 not built", name(&f));
	f.nflows = 3;
	n = test_icmp_error(&f, router, te, 0, pk3, hl + 8, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind != PROBE_PKT_REPLY, "%s: with 3 flows, an answer about a 4th is not ours",
	   name(&f));
}

/* diagnose's flows: an echo flow 0 beside tcp or udp flows 1.., each answer to its own flow. */
static void test_icmp_beside(int family, enum probe_proto proto)
{
	struct probe_flow f = test_flow(family, proto), fi;
	size_t size = probe_min_size(&f), hl = test_hlen(&f), n;
	uint8_t p0[128], p2[128], pkt[256], router[16] = { 0 };
	uint8_t te = family == AF_INET ? 11 : 3;
	struct probe_packet pk;

	inet_pton(family, family == AF_INET ? "10.5.5.5" : "fd05::5", router);
	f.nflows = 3;
	f.icmp_flow0 = true;
	ok(probe_build_flow(&f, 0, 9, 2, size, p0, sizeof(p0)) == (int)size &&
		   probe_build_flow(&f, 2, 10, 2, size, p2, sizeof(p2)) == (int)size,
	   "%s beside icmp: both flows built at the run's size", name(&f));
	is_int(p0[family == AF_INET ? 9 : 6], test_icmp_proto(&f), "%s beside icmp: flow 0 is icmp",
	       name(&f));
	fi = f;
	fi.proto = PROBE_ICMP;
	ok(l4_csum_ok(&fi, p0, size), "%s beside icmp: the echo's checksum verifies", name(&f));
	ok(l4_csum_ok(&f, p2, size), "%s beside icmp: flow 2's checksum verifies", name(&f));
	is_int(p2[family == AF_INET ? 9 : 6], proto == PROBE_TCP ? IPPROTO_TCP : IPPROTO_UDP,
	       "%s beside icmp: flow 2 is %s", name(&f), proto == PROBE_TCP ? "tcp" : "udp");
	probe_parse_l3(&f, p0, size, &pk);
	ok(pk.kind == PROBE_PKT_PROBE && pk.flow == 0 && pk.ident == 9,
	   "%s beside icmp: the echo probe parses back to flow 0", name(&f));
	p0[family == AF_INET ? 8 : 7] = 1;
	p2[family == AF_INET ? 8 : 7] = 1;
	n = test_icmp_error(&f, router, te, 0, p0, hl + 8, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.flow == 0 && pk.ident == 9,
	   "%s beside icmp: time exceeded quoting the echo: flow 0", name(&f));
	n = test_icmp_error(&f, router, te, 0, p2, hl + 8, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.flow == 2 && pk.ident == 10,
	   "%s beside icmp: time exceeded quoting flow 2: flow 2", name(&f));
	n = test_echo_reply(&f, f.icmp_id, 9, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.flow == 0 && pk.reply == PROBE_REPLY_ECHO,
	   "%s beside icmp: the target's echo reply: flow 0", name(&f));
	n = test_echo_reply(&f, (uint16_t)(f.icmp_id + 1), 9, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_NONE, "%s beside icmp: an echo reply with flow 1's identifier is "
	   "not ours (flow 1 is not icmp)", name(&f));
}

/* Every prefix of a packet parses without reading past it; none shorter than need is a reply. */
static bool prefixes_safe(const struct probe_flow *f, const uint8_t *pkt, size_t len, size_t need)
{
	uint8_t copy[256];

	for (size_t n = 0; n < len; n++) {
		struct probe_packet pk;

		/* Exactly n bytes on the heap-free stack: ASan/UBSan in the fuzz build check it. */
		memcpy(copy, pkt, n);
		if (probe_parse_l3(f, copy, n, &pk))
			return false;
		if (n < need && pk.kind != PROBE_PKT_NONE)
			return false;
	}
	return true;
}

static void test_replies(int family, enum probe_proto proto)
{
	struct probe_flow f = test_flow(family, proto);
	size_t size = proto == PROBE_TCP ? probe_min_size(&f) : 64, hl = test_hlen(&f), n;
	uint8_t probe[128], pkt[256], router[16] = {0}, other[16] = {0};
	uint8_t te = family == AF_INET ? 11 : 3, un = family == AF_INET ? 3 : 1;
	uint8_t port_code = family == AF_INET ? 3 : 4;
	struct probe_packet pk;

	inet_pton(family, family == AF_INET ? "10.5.5.5" : "fd05::5", router);
	inet_pton(family, family == AF_INET ? "10.6.6.6" : "fd06::6", other);
	probe_build(&f, 777, 3, size, probe, sizeof(probe));
	/* What a router quotes: the IP header the probe left with, TTL down to 1. */
	if (family == AF_INET)
		probe[8] = 1;
	else
		probe[7] = 1;

	/* Time exceeded quoting the whole IP header and 8 transport bytes (RFC 792's minimum). */
	n = test_icmp_error(&f, router, te, 0, probe, hl + 8, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_TIME_EXCEEDED && pk.ident == 777,
	   "%s: time exceeded with an 8-byte quote matched", name(&f));
	ok(!memcmp(pk.from, router, family == AF_INET ? 4 : 16) && !pk.from_target && !pk.terminal,
	   "%s: time exceeded comes from the router and is not terminal", name(&f));
	ok(!pk.foreign && pk.mtu == 0, "%s: a reply of ours is not foreign", name(&f));
	is_int(pk.ttl, 1, "%s: the quoted TTL", name(&f));
	ok(prefixes_safe(&f, pkt, n, n), "%s: every truncation of it is refused safely", name(&f));

	/* The raw IPv6 socket path: the transport part alone. */
	probe_parse_l4(&f, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, router, pkt + hl,
		       n - hl, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.ident == 777, "%s: same reply via parse_l4", name(&f));

	/* Linux quotes the whole probe. */
	n = test_icmp_error(&f, router, te, 0, probe, size, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.ident == 777, "%s: full quote matched", name(&f));

	/* Time exceeded during reassembly (code 1) is not about TTL. */
	n = test_icmp_error(&f, router, te, 1, probe, hl + 8, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	is_int(pk.kind, PROBE_PKT_NONE, "%s: reassembly time exceeded ignored", name(&f));

	/* The destination's port unreachable / a router's unreachable: terminal. */
	n = test_icmp_error(&f, f.dst, un, port_code, probe, hl + 8, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_UNREACH && pk.terminal &&
		   pk.from_target && pk.icmp_code == port_code,
	   "%s: unreachable from the target matched, terminal", name(&f));

	/* Quotes of someone else's packet. */
	{
		uint8_t q[128];

		memcpy(q, probe, size);
		memcpy(q + (family == AF_INET ? 16 : 24), other, family == AF_INET ? 4 : 16);
		n = test_icmp_error(&f, router, te, 0, q, hl + 8, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "%s: quote to another destination ignored",
		       name(&f));
		ok(!pk.foreign, "%s: ... and not about our target: not counted", name(&f));
		memcpy(q, probe, size);
		memcpy(q + (family == AF_INET ? 12 : 8), other, family == AF_INET ? 4 : 16);
		n = test_icmp_error(&f, router, te, 0, q, hl + 8, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "%s: quote from another source ignored", name(&f));
		ok(!pk.foreign, "%s: ... and not counted", name(&f));
		memcpy(q, probe, size);
		q[hl + 1] ^= 0x01; /* ICMP code, or the low byte of the source port */
		n = test_icmp_error(&f, router, te, 0, q, hl + 8, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "%s: quote of another flow ignored", name(&f));
		ok(pk.foreign, "%s: ... but from us to our target: foreign (unmatched)", name(&f));
		/* A quote with less of the transport header than RFC 792's 8 bytes. */
		n = test_icmp_error(&f, router, te, 0, probe, hl + 4, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		ok(pk.kind == PROBE_PKT_NONE && pk.foreign,
		   "%s: a quote too short to identify is foreign (unmatched)", name(&f));
	}

	/* "Packet too big": ICMPv6 type 2 (a 32-bit MTU), ICMP frag needed (16 bits, RFC 1191). */
	n = test_icmp_error(&f, router, family == AF_INET ? 3 : 2, family == AF_INET ? 4 : 0, probe,
			    size, pkt);
	/* 1400 in the low 16 bits: of the 32-bit MTU (v6) and of the next-hop MTU (v4) alike. */
	pkt[hl + 6] = 1400 >> 8;
	pkt[hl + 7] = 1400 & 0xff;
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_TOO_BIG && pk.ident == 777 &&
		   pk.terminal && !pk.from_target,
	   "%s: packet too big matched, terminal", name(&f));
	is_int(pk.mtu, 1400, "%s: packet too big carries the next-hop MTU", name(&f));
	ok(prefixes_safe(&f, pkt, n, hl + 8 + hl + 8), "%s: truncated packet too big safe",
	   name(&f));
	if (family == AF_INET6) {
		pkt[hl + 5] = 1; /* jumbo links: the MTU field is 32 bits wide */
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.mtu, 65536 + 1400, "v6: packet too big's MTU is 32 bits");
		pkt[hl + 1] = 1;
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "v6: packet too big with code 1 ignored");
		pkt[hl] = 1; /* type 1 code 1: administratively prohibited */
		probe_parse_l3(&f, pkt, n, &pk);
		ok(pk.reply == PROBE_REPLY_UNREACH && pk.mtu == 0, "v6: unreachables carry no MTU");
	}

	/* An error to another local address is not ours. */
	n = test_icmp_error(&f, router, te, 0, probe, hl + 8, pkt);
	memcpy(pkt + (family == AF_INET ? 16 : 24), other, family == AF_INET ? 4 : 16);
	probe_parse_l3(&f, pkt, n, &pk);
	is_int(pk.kind, PROBE_PKT_NONE, "%s: reply to another address ignored", name(&f));

	if (proto == PROBE_ICMP) {
		n = test_echo_reply(&f, f.icmp_id, 777, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		ok(pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_ECHO && pk.ident == 777 &&
			   pk.terminal && pk.from_target,
		   "%s: echo reply matched", name(&f));
		ok(prefixes_safe(&f, pkt, n, hl + 8), "%s: truncated echo replies safe", name(&f));
		n = test_echo_reply(&f, f.icmp_id ^ 1, 777, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "%s: someone else's echo reply ignored", name(&f));
		ok(pk.foreign, "%s: ... from our target: foreign (a ping beside us)", name(&f));
		memcpy(pkt + (family == AF_INET ? 12 : 8), other, family == AF_INET ? 4 : 16);
		probe_parse_l3(&f, pkt, n, &pk);
		ok(pk.kind == PROBE_PKT_NONE && !pk.foreign,
		   "%s: someone else's echo reply from elsewhere: not counted", name(&f));
		n = test_echo_reply(&f, f.icmp_id, 0xffff, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "%s: sequence outside our identities ignored",
		       name(&f));
		ok(pk.foreign, "%s: ... foreign", name(&f));
	}
	if (proto == PROBE_TCP) {
		uint32_t seq = (uint32_t)f.tcp_seq_hi << 16 | 777;

		n = test_tcp_reply(&f, f.dst, 0x12, seq + 1, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		ok(pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_TCP_SYNACK &&
			   pk.ident == 777 && pk.terminal,
		   "%s: SYN-ACK matched by its ack", name(&f));
		n = test_tcp_reply(&f, f.dst, 0x14, seq + 1, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		ok(pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_TCP_RST && pk.ident == 777,
		   "%s: RST+ACK matched", name(&f));
		ok(prefixes_safe(&f, pkt, n, n), "%s: truncated TCP replies safe", name(&f));
		n = test_tcp_reply(&f, f.dst, 0x12, seq + 1 + 0x10000, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "%s: ack of another run's sequence ignored",
		       name(&f));
		ok(pk.foreign, "%s: ... foreign (our ports)", name(&f));
		n = test_tcp_reply(&f, f.dst, 0x04, seq + 1, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "%s: RST without ACK ignored", name(&f));
		n = test_tcp_reply(&f, other, 0x12, seq + 1, pkt);
		probe_parse_l3(&f, pkt, n, &pk);
		is_int(pk.kind, PROBE_PKT_NONE, "%s: TCP from another host ignored", name(&f));
		ok(!pk.foreign, "%s: ... not counted", name(&f));
	}
}

static void test_v4_specifics(void)
{
	struct probe_flow f = test_flow(AF_INET, PROBE_UDP);
	uint8_t probe[64], q[80], pkt[160], router[4] = {10, 5, 5, 5};
	struct probe_packet pk;
	size_t n;

	probe_build(&f, 4242, 2, 64, probe, sizeof(probe));
	/* A quote whose IP header carries options (IHL 6). */
	memcpy(q, probe, 20);
	q[0] = 0x46;
	memset(q + 20, 1, 4);
	memcpy(q + 24, probe + 20, 8);
	n = test_icmp_error(&f, router, 11, 0, q, 32, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.ident == 4242, "v4: quote with IP options matched");
	/* A quoted later fragment has no transport header to read. */
	memcpy(q, probe, 28);
	q[7] = 0x10;
	n = test_icmp_error(&f, router, 11, 0, q, 28, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	is_int(pk.kind, PROBE_PKT_NONE, "v4: quoted non-first fragment ignored");
	/* IHL below 5, total length below the header: garbage. */
	memcpy(pkt, probe, 64);
	pkt[0] = 0x44;
	probe_parse_l3(&f, pkt, 64, &pk);
	is_int(pk.kind, PROBE_PKT_NONE, "v4: IHL < 5 refused");
	memcpy(pkt, probe, 64);
	pkt[2] = 0;
	pkt[3] = 10;
	probe_parse_l3(&f, pkt, 64, &pk);
	is_int(pk.kind, PROBE_PKT_NONE, "v4: total length below the header refused");
	/* A capture cut at 28 bytes still identifies the probe (what a tracer may hold). */
	probe_parse_l3(&f, probe, 28, &pk);
	ok(pk.kind == PROBE_PKT_PROBE && pk.ident == 4242 && pk.ttl == 2,
	   "v4: probe truncated to 28 bytes identified");
	/* UDP checksum 0 means "none": never one of ours. */
	memcpy(pkt, probe, 64);
	pkt[26] = pkt[27] = 0;
	probe_parse_l3(&f, pkt, 64, &pk);
	is_int(pk.kind, PROBE_PKT_NONE, "v4: UDP without checksum is not ours");
	/* Wrong version nibble. */
	memcpy(pkt, probe, 64);
	pkt[0] = 0x65;
	probe_parse_l3(&f, pkt, 64, &pk);
	is_int(pk.kind, PROBE_PKT_NONE, "v4 flow: IPv6 header refused");
}

static void test_v6_specifics(void)
{
	struct probe_flow f = test_flow(AF_INET6, PROBE_ICMP);
	uint8_t probe[64], pkt[200], router[16];
	struct probe_packet pk;
	size_t n;

	inet_pton(AF_INET6, "fd05::5", router);
	probe_build(&f, 99, 5, 64, probe, sizeof(probe));
	/* An outer hop-by-hop options header before the ICMPv6 error. */
	n = test_icmp_error(&f, router, 3, 0, probe, 48, pkt);
	memmove(pkt + 48, pkt + 40, n - 40);
	memset(pkt + 40, 0, 8);
	pkt[40] = 58; /* next: ICMPv6 */
	pkt[6] = 0;   /* hop-by-hop */
	pkt[5] = (uint8_t)(n + 8 - 40);
	probe_parse_l3(&f, pkt, n + 8, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.ident == 99, "v6: reply behind an extension header");
	ok(prefixes_safe(&f, pkt, n + 8, 48 + 8 + 48), "v6: its truncations are safe");
	/* A fragment header with a non-zero offset: no transport header. */
	pkt[6] = 44;
	pkt[40] = 58;
	pkt[42] = 0;
	pkt[43] = 8;
	probe_parse_l3(&f, pkt, n + 8, &pk);
	is_int(pk.kind, PROBE_PKT_NONE, "v6: non-first fragment ignored");
	/* Payload length 0 (jumbogram or bogus): read what was captured. */
	probe_parse_l3(&f, probe, 64, &pk);
	ok(pk.kind == PROBE_PKT_PROBE && pk.ident == 99, "v6: our probe identified");
	ok((probe[1] & 0x0f) == 0x05 && probe[2] == 0x43 && probe[3] == 0x21,
	   "v6: the flow label is the flow's");
	probe[4] = probe[5] = 0;
	probe_parse_l3(&f, probe, 64, &pk);
	ok(pk.kind == PROBE_PKT_PROBE, "v6: zero payload length tolerated");
}

/* Probing this host itself: answers come from and to the same address as the probes. */
static void test_self(void)
{
	struct probe_flow f = test_flow(AF_INET, PROBE_ICMP);
	uint8_t pkt[128];
	struct probe_packet pk;
	size_t n;

	memcpy(f.dst, f.src, 4);
	n = test_echo_reply(&f, f.icmp_id, 5, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_ECHO && pk.ident == 5,
	   "self: echo reply with our own addresses is a reply");
	probe_build(&f, 5, 1, 64, pkt, sizeof(pkt));
	probe_parse_l3(&f, pkt, 64, &pk);
	ok(pk.kind == PROBE_PKT_PROBE && pk.ident == 5, "self: the request is still our probe");
	f = test_flow(AF_INET6, PROBE_TCP);
	memcpy(f.dst, f.src, 16);
	n = test_tcp_reply(&f, f.dst, 0x14, ((uint32_t)f.tcp_seq_hi << 16 | 9) + 1, pkt);
	probe_parse_l3(&f, pkt, n, &pk);
	ok(pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_TCP_RST && pk.ident == 9,
	   "self: RST with our own addresses is a reply");
}

/* Matching an answer to the slot of its identity: every way it can go. */
static void test_match(void)
{
	const uint64_t t0 = 5000000000ull; /* the send, CLOCK_MONOTONIC ns */
	const int64_t rt0 = 1700000000000000000ll; /* the send, CLOCK_REALTIME ns */
	struct probe_slot sl = {.seq1 = 42, .sent_ns = t0, .tx_rt_ns = rt0, .ttl = 3};
	struct probe_slot unused = {0};
	struct probe_packet pk = {.kind = PROBE_PKT_REPLY, .reply = PROBE_REPLY_TIME_EXCEEDED};
	struct probe_packet foreign = {.kind = PROBE_PKT_NONE, .foreign = true};
	double rtt;

	/* 5 ms by the kernel's stamp; our clock read it 7 ms after the send. */
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, rt0 + 5000000, 1.0, &rtt),
	       PROBE_MATCH_ANSWER, "match: an answer in time");
	is_near(rtt, 5.0, 1e-9, "match: its round trip is the kernel's receive stamp's");
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, 0, 1.0, &rtt), PROBE_MATCH_ANSWER,
	       "match: without a stamp");
	is_near(rtt, 7.0, 1e-9, "match: ... the round trip is our clock's");
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, rt0 + 3600000000000ll, 1.0, &rtt),
	       PROBE_MATCH_ANSWER, "match: the realtime clock stepped forward an hour");
	is_near(rtt, 7.0, 1e-9, "match: ... our clock's round trip, not an hour");

	is_int(probe_match_reply(&unused, &pk, t0, rt0, 1.0, &rtt), PROBE_MATCH_UNMATCHED,
	       "match: an identity never used is unmatched");
	is_int(probe_match_reply(&sl, &foreign, t0, rt0, 1.0, &rtt), PROBE_MATCH_UNMATCHED,
	       "match: a foreign answer is unmatched");
	is_int(probe_match_reply(&sl, &pk, t0 + 2000000000ull, rt0 + 1500000000ll, 1.0, &rtt),
	       PROBE_MATCH_LATE, "match: 1.5 s with a 1 s timeout: late");
	is_near(rtt, 1500.0, 1e-6, "match: ... with its round trip (the timeout adapts)");

	sl.flags = PROBE_SLOT_RESOLVED;
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, rt0 + 5000000, 1.0, &rtt),
	       PROBE_MATCH_LATE, "match: its probe timed out already: late");
	sl.flags = PROBE_SLOT_RESOLVED | PROBE_SLOT_LATE;
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, rt0 + 5000000, 1.0, &rtt),
	       PROBE_MATCH_DUPLICATE, "match: a second late answer is a duplicate");
	sl.flags = PROBE_SLOT_RESOLVED | PROBE_SLOT_ANSWERED;
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, rt0 + 5000000, 1.0, &rtt),
	       PROBE_MATCH_DUPLICATE, "match: a second answer is a duplicate");
	sl.flags = PROBE_SLOT_RESOLVED | PROBE_SLOT_REFUSED;
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, rt0 + 5000000, 1.0, &rtt),
	       PROBE_MATCH_UNMATCHED, "match: its send was refused: nothing it can answer");
	sl.flags = 0;
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, rt0 - 1000, 1.0, &rtt),
	       PROBE_MATCH_STALE, "match: received before the send: an earlier probe's, late");
	sl.flags = PROBE_SLOT_ANSWERED | PROBE_SLOT_RESOLVED;
	is_int(probe_match_reply(&sl, &pk, t0 + 7000000, rt0 - 1000, 1.0, &rtt),
	       PROBE_MATCH_STALE, "match: ... even when the new probe is answered");
	is_int(probe_match_reply(NULL, &pk, t0, rt0, 1.0, &rtt), PROBE_MATCH_UNMATCHED,
	       "match: no slot");
}

static void test_args(void)
{
	struct probe_flow f = test_flow(AF_INET, PROBE_ICMP);
	struct probe_packet pk;
	uint8_t b[4] = {0};

	is_int(probe_parse_l3(&f, NULL, 0, &pk), 0, "empty packet: fine, not ours");
	is_int(pk.kind, PROBE_PKT_NONE, "empty packet: not ours");
	is_int(pk.index, -1, "index starts at -1");
	is_int(probe_parse_l3(NULL, b, 4, &pk), -EINVAL, "no flow: -EINVAL");
	is_int(probe_parse_l3(&f, NULL, 4, &pk), -EINVAL, "no bytes but a length: -EINVAL");
	f.family = AF_UNIX;
	is_int(probe_parse_l3(&f, b, 4, &pk), -EINVAL, "bad family: -EINVAL");
	is_int(probe_parse_l4(&f, 1, NULL, b, 4, &pk), -EINVAL, "parse_l4 bad family: -EINVAL");
	is_int(probe_build(NULL, 1, 1, 64, b, sizeof(b)), -EINVAL, "build: no flow: -EINVAL");
	f = test_flow(AF_INET, PROBE_TCP);
	is_int((int)probe_min_size(&f), 44, "v4 SYN: 20 + 20 + MSS option");
	f = test_flow(AF_INET6, PROBE_UDP);
	is_int((int)probe_min_size(&f), 50, "v6 UDP: 40 + 8 + the checksum word");
}

int main(void)
{
	for (int fam = 0; fam < 2; fam++)
		for (int pr = PROBE_ICMP; pr <= PROBE_TCP; pr++)
			test_flows(fam ? AF_INET6 : AF_INET, (enum probe_proto)pr);
	for (int fam = 0; fam < 2; fam++) {
		test_icmp_beside(fam ? AF_INET6 : AF_INET, PROBE_TCP);
		test_icmp_beside(fam ? AF_INET6 : AF_INET, PROBE_UDP);
	}
	const int fams[] = {AF_INET, AF_INET6};

	for (size_t i = 0; i < 2; i++)
		for (int p = PROBE_ICMP; p <= PROBE_TCP; p++) {
			test_build(fams[i], p);
			test_replies(fams[i], p);
		}
	test_v4_specifics();
	test_v6_specifics();
	test_self();
	test_match();
	test_args();
	return done_testing();
}
