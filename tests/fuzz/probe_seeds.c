// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of fuzz_probe_parse into DIR: one valid packet of each kind the parser
 * knows, for IPv4 and IPv6 and each probe protocol, in the fuzz target's raw mode (byte 0: the
 * flow, then the packet). The packets come from the unit tests' builders; each is parsed before
 * it is written, so a seed that is not what its name says stops the generator.
 * Usage: probe_seeds DIR (tests/fuzz/corpus/make.sh runs it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_parse.h"
#include "unit/test_probe_packets.h"

static const char *dir;
static int failed;

static void seed(const struct probe_flow *f, const char *name, const uint8_t *pkt, size_t len,
		 enum probe_pkt_kind kind, enum probe_reply_kind reply)
{
	static const char *const proto[] = {"icmp", "udp", "tcp"};
	uint8_t flow = (uint8_t)((f->family == AF_INET6) | f->proto << 1);
	struct probe_packet pk;
	char path[512];
	FILE *out;

	snprintf(path, sizeof(path), "%s/v%d-%s-%s", dir, f->family == AF_INET ? 4 : 6,
		 proto[f->proto], name);
	if (probe_parse_l3(f, pkt, len, &pk) || pk.kind != kind ||
	    (kind == PROBE_PKT_REPLY && pk.reply != reply) ||
	    (reply == PROBE_REPLY_TOO_BIG && pk.mtu != 1280)) {
		fprintf(stderr, "probe_seeds: %s does not parse as its name says\n", path);
		failed = 1;
		return;
	}
	out = fopen(path, "wb");
	if (!out || fwrite(&flow, 1, 1, out) != 1 || fwrite(pkt, 1, len, out) != len) {
		fprintf(stderr, "probe_seeds: failed to write %s: %s\n", path, strerror(errno));
		failed = 1;
	}
	if (out && fclose(out)) {
		fprintf(stderr, "probe_seeds: failed to write %s: %s\n", path, strerror(errno));
		failed = 1;
	}
}

static void flow_seeds(int family, enum probe_proto proto)
{
	struct probe_flow f = test_flow(family, proto);
	uint8_t router[16] = {0x0a, 5, 5, 5}, probe[128], pkt[256];
	bool v4 = family == AF_INET;
	uint16_t ident = 77;
	size_t size = probe_min_size(&f) + (proto == PROBE_TCP ? 0 : 8), len;

	if (!v4)
		memcpy(router, (uint8_t[]){0xfd, 5, [15] = 5}, 16);
	if (probe_build(&f, ident, 3, size, probe, sizeof(probe)) != (int)size) {
		fprintf(stderr, "probe_seeds: failed to build a probe\n");
		failed = 1;
		return;
	}
	seed(&f, "probe", probe, size, PROBE_PKT_PROBE, PROBE_REPLY_NONE);
	/* A router's time exceeded, quoting the whole probe (RFC 4884 routers do). */
	len = test_icmp_error(&f, router, v4 ? 11 : 3, 0, probe, size, pkt);
	seed(&f, "time-exceeded", pkt, len, PROBE_PKT_REPLY, PROBE_REPLY_TIME_EXCEEDED);
	/* An RFC 792 router, which quotes only the IPv4 header and 8 bytes. */
	if (v4) {
		len = test_icmp_error(&f, router, 11, 0, probe, 28, pkt);
		seed(&f, "time-exceeded-short", pkt, len, PROBE_PKT_REPLY,
		     PROBE_REPLY_TIME_EXCEEDED);
	}
	/* The destination's port unreachable, a router's host unreachable. */
	len = test_icmp_error(&f, f.dst, v4 ? 3 : 1, v4 ? 3 : 4, probe, size, pkt);
	seed(&f, "port-unreachable", pkt, len, PROBE_PKT_REPLY, PROBE_REPLY_UNREACH);
	len = test_icmp_error(&f, router, v4 ? 3 : 1, v4 ? 1 : 3, probe, size, pkt);
	seed(&f, "host-unreachable", pkt, len, PROBE_PKT_REPLY, PROBE_REPLY_UNREACH);
	/* Fragmentation needed / packet too big, next-hop MTU 1280 (in bytes 6-7 of the ICMP
	 * header for IPv4, in bytes 4-7 for IPv6; the others are zero). */
	len = test_icmp_error(&f, router, v4 ? 3 : 2, v4 ? 4 : 0, probe, size, pkt);
	pkt[test_hlen(&f) + 6] = 0x05;
	seed(&f, "too-big", pkt, len, PROBE_PKT_REPLY, PROBE_REPLY_TOO_BIG);
	if (proto == PROBE_ICMP) {
		len = test_echo_reply(&f, f.icmp_id, ident, pkt);
		seed(&f, "echo-reply", pkt, len, PROBE_PKT_REPLY, PROBE_REPLY_ECHO);
	}
	if (proto == PROBE_TCP) {
		uint32_t ack = ((uint32_t)f.tcp_seq_hi << 16 | ident) + 1;

		len = test_tcp_reply(&f, f.dst, 0x12, ack, pkt);
		seed(&f, "syn-ack", pkt, len, PROBE_PKT_REPLY, PROBE_REPLY_TCP_SYNACK);
		len = test_tcp_reply(&f, f.dst, 0x14, ack, pkt);
		seed(&f, "rst", pkt, len, PROBE_PKT_REPLY, PROBE_REPLY_TCP_RST);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: probe_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	for (int family = 0; family < 2; family++)
		for (int proto = PROBE_ICMP; proto <= PROBE_TCP; proto++)
			flow_seeds(family ? AF_INET6 : AF_INET, (enum probe_proto)proto);
	return failed;
}
