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
 * from its identity parses back the same; foreign answers are never taken for ours; only a
 * "packet too big" answer carries an MTU.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_parse.h"
#include "../unit/test_probe_packets.h"

static void check(const struct probe_flow *f, const struct probe_packet *pk)
{
	uint8_t buf[128];
	struct probe_packet again;
	size_t size;

	/* Foreign answers are not ours; only "too big" carries an MTU. */
	if (pk->foreign && pk->kind != PROBE_PKT_NONE)
		abort();
	if (pk->mtu && pk->reply != PROBE_REPLY_TOO_BIG)
		abort();
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

static void structured(const struct probe_flow *f, const uint8_t *d, size_t n)
{
	uint8_t probe[128], pkt[256];
	uint8_t router[16] = {0x0a, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
	size_t size = probe_min_size(f), len, q;
	bool v4 = f->family == AF_INET;
	uint16_t ident;

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
		len = test_icmp_error(f, router, v4 ? 11 : 3, 0, probe, q, pkt);
		break;
	case 1: /* unreachable, or packet too big (frag needed) with an MTU */
		if (d[4] & 16) {
			len = test_icmp_error(f, router, v4 ? 3 : 2, v4 ? 4 : 0, probe, q, pkt);
			pkt[test_hlen(f) + 6] = d[2];
			pkt[test_hlen(f) + 7] = d[1];
		} else {
			len = test_icmp_error(f, router, v4 ? 3 : 1, d[4] & 15, probe, q, pkt);
		}
		break;
	case 2:
		len = test_echo_reply(f, f->icmp_id, ident, pkt);
		break;
	default: /* TCP answer: SYN-ACK or RST-ACK */
		len = test_tcp_reply(f, f->dst, d[4] & 1 ? 0x14 : 0x12,
				     ((uint32_t)f->tcp_seq_hi << 16 | ident) + 1, pkt);
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
	f = test_flow(data[0] & 1 ? AF_INET6 : AF_INET, (enum probe_proto)((data[0] >> 1 & 7) % 3));
	if (data[0] & 0x80)
		structured(&f, data + 1, size - 1);
	else
		parse_all(&f, data + 1, size - 1);
	return 0;
}
