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
 * Option parsing shared by `dropscope probe` and `dropscope diagnose`: put PROBE_SHORT_OPTS in the
 * getopt string and PROBE_LONG_OPTS in the option table, then hand every option to
 * probe_config_option(). It returns 0 when it took the option, 1 when the option is not a probe
 * option, -EINVAL after printing a one-line error for a bad value.
 */
#define PROBE_SHORT_OPTS "c:46ni:TuP:m:f:s:a:I:"
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
#define PROBE_LONG_OPTS							\
	{ "count", required_argument, NULL, 'c' },			\
	{ "duration", required_argument, NULL, PROBE_OPT_DURATION },	\
	{ "proto", required_argument, NULL, PROBE_OPT_PROTO },		\
	{ "port", required_argument, NULL, PROBE_OPT_PORT },		\
	{ "max-ttl", required_argument, NULL, PROBE_OPT_MAX_TTL },	\
	{ "first-ttl", required_argument, NULL, PROBE_OPT_FIRST_TTL },	\
	{ "size", required_argument, NULL, PROBE_OPT_SIZE },		\
	{ "psize", required_argument, NULL, PROBE_OPT_SIZE },		\
	{ "tcp", no_argument, NULL, PROBE_OPT_TCP },			\
	{ "address", required_argument, NULL, PROBE_OPT_ADDRESS },	\
	{ "interface", required_argument, NULL, PROBE_OPT_INTERFACE },	\
	{ "udp", no_argument, NULL, PROBE_OPT_UDP },			\
	{ "interval", required_argument, NULL, 'i' },			\
	{ "timeout", required_argument, NULL, PROBE_OPT_TIMEOUT },	\
	{ "flows", required_argument, NULL, PROBE_OPT_FLOWS },		\
	{ "no-dns", no_argument, NULL, 'n' },				\
	{ "ipv4", no_argument, NULL, '4' },				\
	{ "ipv6", no_argument, NULL, '6' }
/* clang-format on */
/* The options' help text, for a command's usage message. */
extern const char probe_options_help[];

int probe_config_option(struct probe_config *cfg, int opt, const char *arg);
/*
 * Checks that need all options (count vs duration, TTL order, size vs protocol); fills defaults.
 * An IPv4-mapped target (::ffff:a.b.c.d) is rewritten to the IPv4 address (-6 refuses it).
 */
int probe_config_finish(struct probe_config *cfg);

#endif
