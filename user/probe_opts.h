/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prober's options (struct probe_config): the table entries, help text, parsing and checks
 * that `dropscope probe` and `dropscope diagnose` share. Pure: no I/O beyond the one-line errors.
 */
#ifndef DS_PROBE_OPTS_H
#define DS_PROBE_OPTS_H

#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "options.h"
#include "probe_parse.h"

#define PROBE_MAX_TTL 255
#define PROBE_DEFAULT_COUNT 100 /* rounds, as mtr's -c: ~10 s at the default interval */
#define PROBE_DEFAULT_SIZE 64	/* bytes, whole IP packet, as mtr */
#define PROBE_DEFAULT_INTERVAL_S 0.1
#define PROBE_DEFAULT_MAX_TTL 30
#define PROBE_DEFAULT_UDP_PORT 33434
#define PROBE_DEFAULT_TCP_PORT 80

struct probe_config {
	char target[256]; /* host name or address */
	int family;	  /* AF_UNSPEC (the resolver's first answer), AF_INET or AF_INET6 */
	enum probe_proto proto;
	unsigned int port;  /* udp/tcp destination port; 0: the protocol's default */
	unsigned int count; /* rounds: probes per hop; 0 with duration_s (both 0: default) */
	double duration_s;  /* or: probe for this long */
	unsigned int first_ttl, max_ttl;
	unsigned int size; /* whole IP packet in bytes; 0: default (TCP SYNs have a fixed size) */
	double interval_s; /* between rounds: a hop probed fast gets one probe per round */
	double dest_interval_s; /* between the destination's own probes; 0: interval_s / 2 (the
				   monitor gives it most of its budget: loss is seen there) */
	double hop_budget; /* probes a second to the hops, all together: a round of n hops waits
			      n / hop_budget s if that is longer than interval_s; 0: no limit */
	double timeout_s;  /* unanswered this long = lost; 0: 3x the worst RTT, 1 s to 5 s */
	bool no_dns;	   /* -n: no reverse DNS */
	char source[INET6_ADDRSTRLEN]; /* -a: the probes' source address ("": the route's) */
	char iface[16];		       /* -I: the interface every probe leaves by ("": any) */
	unsigned int flows; /* --flows: Paris flows probed in rotation (0: one) */
	/* With flows of udp or tcp: flow 0 an ICMP echo flow beside them (diagnose's default) */
	bool icmp_beside;
	bool count_set, size_set, proto_set;
};

/* Defaults: icmp, any family, 30 hops, 64 bytes, 0.1 s rounds, count decided by _finish. */
void probe_config_init(struct probe_config *cfg);

/*
 * Option parsing shared by `dropscope probe` and `dropscope diagnose`: put PROBE_DS_OPTIONS in the
 * command's option table (options.h), then hand every option to probe_config_option(). It
 * returns 0 when it took the option, 1 when the option is not a probe option, -EINVAL after
 * printing a one-line error for a bad value.
 */
enum {
	/* mtr's letters where mtr has the option */
	PROBE_OPT_PORT = 'P',
	PROBE_OPT_MAX_TTL = 'm',
	PROBE_OPT_FIRST_TTL = 'f',
	PROBE_OPT_SIZE = 's',
	PROBE_OPT_TCP = 'T',
	PROBE_OPT_UDP = 'u',
	PROBE_OPT_ADDRESS = 'a',
	PROBE_OPT_INTERFACE = 'I',
	PROBE_OPT_DURATION = 0x5000,
	PROBE_OPT_PROTO,
	PROBE_OPT_TIMEOUT,
	PROBE_OPT_FLOWS,
};
/* clang-format off */
#define PROBE_DS_OPTIONS											\
	{ "count", 'c', required_argument, "N", "rounds: probes per hop, as mtr's -c (default 100, ~10 s);\n"	\
		"the destination gets two a round" },							\
	{ "duration", PROBE_OPT_DURATION, required_argument, "S", "probe for S seconds instead (e.g. 30, 2m)" },	\
	{ "proto", PROBE_OPT_PROTO, required_argument, "P", "icmp (default), udp or tcp (SYN) probes" },	\
	{ "tcp", PROBE_OPT_TCP, no_argument, NULL, "tcp SYN probes (--proto tcp, as mtr's -T)" },		\
	{ "udp", PROBE_OPT_UDP, no_argument, NULL, "udp probes (--proto udp, as mtr's -u)" },			\
	{ "port", PROBE_OPT_PORT, required_argument, "N", "udp/tcp destination port (default 33434 udp, 80 tcp)" }, \
	{ "ipv4", '4', no_argument, NULL, "use IPv4 only" },							\
	{ "ipv6", '6', no_argument, NULL, "use IPv6 only" },							\
	{ "first-ttl", PROBE_OPT_FIRST_TTL, required_argument, "N", "first hop to probe (default 1)" },	\
	{ "max-ttl", PROBE_OPT_MAX_TTL, required_argument, "N", "last hop to probe (default 30)" },		\
	{ "size", PROBE_OPT_SIZE, required_argument, "BYTES",						\
		"probe size, IP header included (default 64; not for tcp)" },				\
	{ "psize", PROBE_OPT_SIZE, required_argument, NULL, NULL },					\
	{ "interval", 'i', required_argument, "S",							\
		"probe interval: time between rounds, each fast hop probed\n"				\
		"once (default 0.1)" },									\
	{ "timeout", PROBE_OPT_TIMEOUT, required_argument, "S",						\
		"a probe unanswered this long is lost (default: 3x the worst\n"			\
		"round trip, 1 to 5 s)" },								\
	{ "flows", PROBE_OPT_FLOWS, required_argument, "N",						\
		"probe N flows (1 to 64) in rotation, each a fixed 5-tuple, to\n"			\
		"find every path of a load-balanced (ECMP) route and the branch\n"			\
		"that loses (default 1: one path)" },							\
	{ "no-dns", 'n', no_argument, NULL, "do not look up hop names" },					\
	{ "address", PROBE_OPT_ADDRESS, required_argument, "ADDR", "send from this address of the host (mtr's -a)" }, \
	{ "interface", PROBE_OPT_INTERFACE, required_argument, "IF", "send every probe out of this interface (mtr's -I)" }
/* clang-format on */

int probe_config_option(struct probe_config *cfg, int opt, const char *arg);
/*
 * Checks that need all options (count vs duration, TTL order, size vs protocol); fills defaults.
 * An IPv4-mapped target (::ffff:a.b.c.d) is rewritten to the IPv4 address (-6 refuses it).
 */
int probe_config_finish(struct probe_config *cfg);

#endif
