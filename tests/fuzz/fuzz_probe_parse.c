// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the prober's packet parsers (user/probe_parse.c), which read bytes from
 * the network and from the kernel tracer's captures.
 *
 * Byte 0 picks the flow (IPv4/IPv6 x icmp/udp/tcp) and the mode:
 *   raw         the rest is a packet: parse it as L3, and as the transport part of an ICMP /
 *               TCP packet (the raw IPv6 socket path)
 *   structured  the rest describes a valid reply (identity, TTL, kind, quote length) and then
 *               byte edits (offset, xor) to it, so mutations reach the quote parsing quickly
 * Invariants checked besides memory safety: identities stay in range; a parsed probe rebuilt
 * from its identity parses back the same.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_parse.h"

static struct probe_flow make_flow(unsigned int sel)
{
	struct probe_flow f;

	memset(&f, 0, sizeof(f));
	f.family = sel & 1 ? AF_INET6 : AF_INET;
	f.proto = (enum probe_proto)((sel >> 1) % 3);
	if (f.family == AF_INET) {
		inet_pton(AF_INET, "10.0.0.1", f.src);
		inet_pton(AF_INET, "10.9.9.9", f.dst);
	} else {
		inet_pton(AF_INET6, "fd00::1", f.src);
		inet_pton(AF_INET6, "fd09::9", f.dst);
	}
	f.icmp_id = 0xbeef;
	f.sport = 40000;
	f.dport = 33434;
	f.tcp_seq_hi = 0x1234;
	f.tcp_mss = 1460;
	f.flowlabel = 0x54321;
	return f;
}

static void check(const struct probe_flow *f, const struct probe_packet *pk)
{
	uint8_t buf[128];
	struct probe_packet again;
	size_t size;

	if (pk->kind == PROBE_PKT_NONE)
		return;
	if (pk->ident >= PROBE_ID_SPACE || pk->index != -1)
		abort();
	if (pk->kind != PROBE_PKT_PROBE)
		return;
	size = probe_min_size(f) + (f->proto == PROBE_TCP ? 0 : 6);
	if (probe_build(f, pk->ident, pk->ttl, size, buf, sizeof(buf)) != (int)size)
		abort();
	if (probe_parse_l3(f, buf, size, &again) || again.kind != PROBE_PKT_PROBE ||
	    again.ident != pk->ident || again.ttl != pk->ttl)
		abort();
}

static void parse_all(const struct probe_flow *f, const uint8_t *p, size_t n)
{
	struct probe_packet pk;
	uint8_t *copy = malloc(n ? n : 1);

	/* An exact-size heap copy, so that ASan sees any read past the end. */
	if (!copy)
		return;
	memcpy(copy, p, n);
	if (probe_parse_l3(f, copy, n, &pk))
		abort();
	check(f, &pk);
	probe_parse_l4(f, f->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, f->src, copy, n,
		       &pk);
	check(f, &pk);
	probe_parse_l4(f, IPPROTO_TCP, f->dst, copy, n, &pk);
	check(f, &pk);
	free(copy);
}

static size_t put_ip(const struct probe_flow *f, uint8_t *b, const uint8_t *src, uint8_t proto,
		     size_t total)
{
	if (f->family == AF_INET) {
		memset(b, 0, 20);
		b[0] = 0x45;
		b[2] = (uint8_t)(total >> 8);
		b[3] = (uint8_t)total;
		b[8] = 64;
		b[9] = proto;
		memcpy(b + 12, src, 4);
		memcpy(b + 16, f->src, 4);
		return 20;
	}
	memset(b, 0, 40);
	b[0] = 0x60;
	b[4] = (uint8_t)((total - 40) >> 8);
	b[5] = (uint8_t)(total - 40);
	b[6] = proto;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, f->src, 16);
	return 40;
}

static void structured(const struct probe_flow *f, const uint8_t *d, size_t n)
{
	uint8_t probe[128], pkt[256];
	uint16_t ident;
	uint8_t icmp = f->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	size_t size = probe_min_size(f), len, hl, q;
	uint8_t router[16] = {0x0a, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};

	if (n < 5)
		return;
	ident = (uint16_t)((d[0] << 8 | d[1]) % PROBE_ID_SPACE);
	if (f->proto != PROBE_TCP)
		size += d[3] % 32;
	if (probe_build(f, ident, d[2], size, probe, sizeof(probe)) != (int)size)
		abort();
	q = (size_t)d[4] % (size + 1);
	switch (d[3] >> 6) {
	case 0: /* time exceeded quoting q bytes of the probe */
	case 1: /* unreachable */
		hl = put_ip(f, pkt, router, icmp, (f->family == AF_INET ? 28 : 48) + q);
		memset(pkt + hl, 0, 8);
		pkt[hl] = d[3] >> 6 ? (f->family == AF_INET ? 3 : 1)
				    : (f->family == AF_INET ? 11 : 3);
		memcpy(pkt + hl + 8, probe, q);
		len = hl + 8 + q;
		break;
	case 2: /* echo reply */
		hl = put_ip(f, pkt, f->dst, icmp, (f->family == AF_INET ? 28 : 48));
		memset(pkt + hl, 0, 8);
		pkt[hl] = f->family == AF_INET ? 0 : 129;
		pkt[hl + 4] = f->icmp_id >> 8;
		pkt[hl + 5] = f->icmp_id & 0xff;
		pkt[hl + 6] = ident >> 8;
		pkt[hl + 7] = ident & 0xff;
		len = hl + 8;
		break;
	default: /* TCP answer */
		hl = put_ip(f, pkt, f->dst, IPPROTO_TCP, (f->family == AF_INET ? 40 : 60));
		memset(pkt + hl, 0, 20);
		pkt[hl] = f->dport >> 8;
		pkt[hl + 1] = f->dport & 0xff;
		pkt[hl + 2] = f->sport >> 8;
		pkt[hl + 3] = f->sport & 0xff;
		pkt[hl + 8] = f->tcp_seq_hi >> 8;
		pkt[hl + 9] = f->tcp_seq_hi & 0xff;
		pkt[hl + 10] = (uint8_t)((ident + 1) >> 8);
		pkt[hl + 11] = (uint8_t)(ident + 1);
		pkt[hl + 12] = 0x50;
		pkt[hl + 13] = d[4] & 1 ? 0x14 : 0x12;
		len = hl + 20;
	}
	/* Byte edits: (offset, xor) pairs, then a final cut. */
	for (size_t i = 5; i + 1 < n; i += 2)
		pkt[d[i] % len] ^= d[i + 1];
	if (n % 2 == 0 && n > 5)
		len = (size_t)d[n - 1] % (len + 1);
	parse_all(f, pkt, len);
	parse_all(f, probe, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_flow f;

	if (size < 1)
		return 0;
	f = make_flow(data[0] & 0x0f);
	if (data[0] & 0x80)
		structured(&f, data + 1, size - 1);
	else
		parse_all(&f, data + 1, size - 1);
	return 0;
}
