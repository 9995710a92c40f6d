// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side's header parser (bpf/skb.bpf.h), compiled here as plain C: it must read
 * addresses, protocols and ports right, and never read past the bytes it was given.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#include "skb.bpf.h"
#include "tap.h"

static void ipv4(__u8 *b, __u8 proto, int ihl, int frag)
{
	memset(b, 0, HDR_COPY);
	b[0] = 0x40 | ihl;
	b[6] = frag >> 8;
	b[7] = frag & 0xff;
	b[9] = proto;
	inet_pton(AF_INET, "10.0.0.1", b + 12);
	inet_pton(AF_INET, "10.0.0.2", b + 16);
	b[ihl * 4] = 0x13; /* port 5000 */
	b[ihl * 4 + 1] = 0x88;
	b[ihl * 4 + 2] = 0x00; /* port 53 */
	b[ihl * 4 + 3] = 53;
}

static void ipv6(__u8 *b, __u8 next)
{
	memset(b, 0, HDR_COPY);
	b[0] = 0x60;
	b[6] = next;
	inet_pton(AF_INET6, "fd00::1", b + 8);
	inet_pton(AF_INET6, "fd00::2", b + 24);
}

int main(void)
{
	__u16 ip = htons(ETH_P_IP), ip6 = htons(ETH_P_IPV6);
	__u8 b[HDR_COPY], want[16];
	struct l3l4 p;

	ipv4(b, IPPROTO_UDP, 5, 0);
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip, &p);
	is_int(p.family, 4, "IPv4");
	is_int(p.l4_proto, IPPROTO_UDP, "UDP");
	is_int(p.sport, 5000, "source port");
	is_int(p.dport, 53, "destination port");
	inet_pton(AF_INET, "10.0.0.2", want);
	ok(!memcmp(p.daddr, want, 4), "destination address");

	ipv4(b, IPPROTO_TCP, 7, 0);
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip, &p);
	is_int(p.dport, 53, "IPv4 options are skipped by the header length");

	ipv4(b, IPPROTO_UDP, 5, 0x20 << 8 | 0x10);
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip, &p);
	is_int(p.l4_proto, IPPROTO_UDP, "a later fragment keeps its protocol");
	is_int(p.dport, 0, "a later fragment has no ports");

	ipv4(b, IPPROTO_UDP, 5, 0);
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, 22, 22, ip, &p);
	is_int(p.family, 4, "a short copy still gives the addresses");
	is_int(p.dport, 0, "ports past the copied bytes are not read");

	ipv4(b, IPPROTO_UDP, 3, 0);
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip, &p);
	is_int(p.family, 0, "a header length below 20 is not IPv4");

	ipv4(b, IPPROTO_UDP, 5, 0);
	b[0] = 0x60;
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip, &p);
	is_int(p.family, 0, "an skb that claims IPv4 but holds something else is left unparsed");

	ipv4(b, IPPROTO_ICMP, 5, 0);
	b[20] = 11; /* time exceeded */
	b[21] = 0;
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip, &p);
	is_int(p.sport, 11, "ICMP type in sport");
	ok(!has_real_ports(p.l4_proto), "but ICMP has no real ports (a port filter skips it)");

	ipv4(b, IPPROTO_SCTP, 5, 0);
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip, &p);
	is_int(p.sport, 5000, "SCTP source port");
	is_int(p.dport, 53, "SCTP destination port");
	ok(has_real_ports(IPPROTO_SCTP) && has_real_ports(IPPROTO_TCP) && has_real_ports(IPPROTO_UDP),
	   "TCP, UDP and SCTP have real ports");

	ipv4(b, IPPROTO_UDP, 5, 0);
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), 0, &p);
	is_int(p.family, 4, "no skb protocol: the version nibble decides");

	ipv6(b, IPPROTO_TCP);
	b[40] = 0x01; /* port 443 */
	b[41] = 0xbb;
	b[42] = 0x1f; /* port 8080 */
	b[43] = 0x90;
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip6, &p);
	is_int(p.family, 6, "IPv6");
	is_int(p.sport, 443, "IPv6 source port");
	is_int(p.dport, 8080, "IPv6 destination port");
	inet_pton(AF_INET6, "fd00::2", want);
	ok(!memcmp(p.daddr, want, 16), "IPv6 destination address");

	ipv6(b, IPPROTO_HOPOPTS);
	b[40] = IPPROTO_UDP;
	b[41] = 0; /* 8 bytes */
	b[48] = 0x00;
	b[49] = 0x35; /* 53 */
	b[50] = 0x00;
	b[51] = 0x44; /* 68 */
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip6, &p);
	is_int(p.l4_proto, IPPROTO_UDP, "through a hop-by-hop header");
	is_int(p.dport, 68, "ports after the extension header");

	ipv6(b, IPPROTO_FRAGMENT);
	b[40] = IPPROTO_UDP;
	b[42] = 0x01; /* offset != 0 */
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip6, &p);
	is_int(p.l4_proto, IPPROTO_UDP, "a later IPv6 fragment keeps its protocol");
	is_int(p.dport, 0, "and has no ports");

	ipv6(b, IPPROTO_DSTOPTS);
	b[40] = IPPROTO_UDP;
	b[41] = 200; /* far beyond the copy */
	memset(&p, 0, sizeof(p));
	parse_l3l4(b, sizeof(b), sizeof(b), ip6, &p);
	is_int(p.dport, 0, "an extension header longer than the copy stops the parse");

	memset(&p, 0, sizeof(p));
	parse_l3l4(b, 10, 10, ip6, &p);
	is_int(p.family, 0, "an IPv6 header cut short is not parsed");
	is_int(p.l3_proto, ETH_P_IPV6, "but the ethertype is kept");
	return done_testing();
}
