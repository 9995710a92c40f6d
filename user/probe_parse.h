/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prober's packets, built and read without I/O: our own probes (Paris-traceroute style, so
 * that every probe of a run hashes onto the same ECMP path) and the replies that quote them.
 *
 * Every probe of a run carries the same addresses, protocol, ports, ICMP identifier, ICMP
 * checksum and IPv6 flow label: the fields routers hash for ECMP. What tells one probe from the
 * next is a 16-bit identity ("ident", the probe's number modulo PROBE_ID_SPACE) in a field that is
 * not hashed and that every ICMP error quotes (the first 8 bytes of the transport header):
 *   icmp  the echo sequence number; a payload word compensates so the checksum stays constant
 *   udp   the UDP checksum itself (ident + 1), reached by choosing a payload word
 *   tcp   the low 16 bits of the SYN's sequence number (the high 16 bits are fixed per run)
 *
 * Every byte handed to the parsers is untrusted: all reads are bounds-checked, truncated input is
 * fine (the kernel tracer captures at most ~128 bytes), and nothing is assumed about alignment.
 */
#ifndef DS_PROBE_PARSE_H
#define DS_PROBE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Identities run 0..PROBE_ID_SPACE-1: 65535 values, so the UDP checksum ident+1 is never 0. */
#define PROBE_ID_SPACE 65535u

enum probe_proto {
	PROBE_ICMP = 0,
	PROBE_UDP,
	PROBE_TCP,
};

/* Everything that identifies one run's probes; fixed when the prober opens. */
struct probe_flow {
	int family; /* AF_INET or AF_INET6 */
	enum probe_proto proto;
	uint8_t src[16];     /* our source address, network order; IPv4 in the first 4 bytes */
	uint8_t dst[16];     /* the target */
	uint16_t icmp_id;    /* echo identifier (icmp) */
	uint16_t sport;	     /* source port (udp, tcp), host order */
	uint16_t dport;	     /* destination port (udp, tcp), host order */
	uint16_t tcp_seq_hi; /* high half of every TCP probe's sequence number */
	uint16_t tcp_mss;    /* MSS option of the SYN */
	uint32_t flowlabel;  /* IPv6 flow label, 20 bits */
};

enum probe_pkt_kind {
	PROBE_PKT_NONE = 0, /* not ours (or too short to tell) */
	PROBE_PKT_PROBE,    /* one of our outgoing probes */
	PROBE_PKT_REPLY,    /* an answer to one of our probes */
};

enum probe_reply_kind {
	PROBE_REPLY_NONE = 0,
	PROBE_REPLY_TIME_EXCEEDED, /* a router on the path: the TTL ran out there */
	PROBE_REPLY_UNREACH,	   /* ICMP destination unreachable (the code says why) */
	PROBE_REPLY_ECHO,	   /* echo reply: the destination answered an icmp probe */
	PROBE_REPLY_TCP_SYNACK,	   /* the destination's port is open */
	PROBE_REPLY_TCP_RST,	   /* the destination's port is closed */
};

struct probe_packet {
	enum probe_pkt_kind kind;
	enum probe_reply_kind reply; /* for PROBE_PKT_REPLY */
	uint8_t icmp_type;	     /* outer ICMP type and code of a reply, 0 otherwise */
	uint8_t icmp_code;
	uint16_t ident;	  /* the probe's identity, < PROBE_ID_SPACE */
	uint8_t ttl;	  /* probe: its TTL / hop limit; reply: the TTL left in the quote */
	bool terminal;	  /* reply ends the path: echo, TCP answer or unreachable */
	bool from_target; /* reply: its source is the target */
	uint8_t from[16]; /* reply: the responder's address (outer source) */
	int64_t index;	  /* set by prober_classify_packet: the probe's list index, or -1 */
};

/* The smallest probe (whole IP packet) the flow can build, and the fixed size of TCP SYNs. */
size_t probe_min_size(const struct probe_flow *f);

/*
 * Build the whole probe packet (IP header included, for an IPPROTO_RAW socket) of exactly size
 * bytes into buf. size must be at least probe_min_size() (TCP probes have exactly that size).
 * Returns size, or -EINVAL / -ENOSPC.
 */
int probe_build(const struct probe_flow *f, uint16_t ident, uint8_t ttl, size_t size, uint8_t *buf,
		size_t bufsize);

/*
 * Classify a packet that starts at its IPv4 or IPv6 header (a raw IPv4 socket's read, or what the
 * kernel tracer captured). Returns 0 with out->kind set (PROBE_PKT_NONE when it is not ours), or
 * -EINVAL for arguments that make no sense. Never reads past len.
 */
int probe_parse_l3(const struct probe_flow *f, const uint8_t *pkt, size_t len,
		   struct probe_packet *out);

/*
 * Classify a transport payload whose IP header the kernel already removed (a raw IPv6 socket's
 * read): l4proto is the next header, from the sender's address. Same contract as probe_parse_l3.
 */
int probe_parse_l4(const struct probe_flow *f, uint8_t l4proto, const uint8_t *from,
		   const uint8_t *l4, size_t len, struct probe_packet *out);

/* Internet checksum of buf (one's complement of the one's complement sum), seeded with sum. */
uint16_t probe_csum(const uint8_t *buf, size_t len, uint32_t sum);

#endif
