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

/*
 * Flows (--flows): a run may probe up to PROBE_MAX_FLOWS Paris flows in rotation, each with its own
 * fixed 5-tuple, so that routers that split traffic by a hash of it send them down different
 * paths. Flow k differs from flow 0 only in the field routers hash beside the addresses: the
 * source port + k (udp, tcp), the echo identifier + k (icmp; its checksum, constant within the
 * flow, moves with it). Consecutive values: one port range for an in-kernel filter. With
 * icmp_flow0, flow 0 is an ICMP echo flow beside udp or tcp flows 1..nflows-1 (diagnose's
 * default: routers that hash ports split the others, and echo replies are not rate-limited).
 */
#define PROBE_MAX_FLOWS 64

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
	uint16_t nflows;     /* flows probed: sport/icmp_id + 0..nflows-1; 0 or 1: one */
	bool icmp_flow0;     /* flow 0 is an echo flow (icmp_id) beside the others' proto */
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
	PROBE_REPLY_TOO_BIG,	   /* ICMPv6 packet too big, ICMP fragmentation needed: the probe
				      does not fit the next link (mtu says how big may go) */
};

struct probe_packet {
	enum probe_pkt_kind kind;
	enum probe_reply_kind reply; /* for PROBE_PKT_REPLY */
	uint8_t icmp_type;	     /* outer ICMP type and code of a reply, 0 otherwise */
	uint8_t icmp_code;
	uint16_t ident;	  /* the probe's identity, < PROBE_ID_SPACE */
	uint8_t flow;	  /* which of the flow's nflows flows it is (or quotes), 0 with one */
	uint8_t ttl;	  /* probe: its TTL / hop limit; reply: the TTL left in the quote */
	bool terminal;	  /* reply ends the path: echo, TCP answer or unreachable */
	bool from_target; /* reply: its source is the target */
	uint8_t from[16]; /* reply: the responder's address (outer source) */
	int64_t index;	  /* set by prober_classify_packet: the probe's list index, or -1 */
	uint32_t mtu;	  /* PROBE_REPLY_TOO_BIG: the next-hop MTU the router reports (0: none) */
	/*
	 * kind NONE, yet an answer about our source, target and protocol: an echo reply from the
	 * target, or an ICMP error quoting a packet from us to the target, whose identifying
	 * fields (echo identifier, ports, sequence number) are not our probes' or cannot be read.
	 * Another tool probing the same target (ping, mtr), or a quote altered on the way.
	 */
	bool foreign;
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
/* The same for flow number flow (< nflows, or 0): -EINVAL for a flow the run does not have. */
int probe_build_flow(const struct probe_flow *f, unsigned int flow, uint16_t ident, uint8_t ttl,
		     size_t size, uint8_t *buf, size_t bufsize);

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

/* --- matching an answer to the probe it answers (pure: the prober's table, a reply, clocks) */

enum {
	PROBE_SLOT_DEST = 1,	    /* sent to the destination (prober.h's PROBE_REC_DEST) */
	PROBE_SLOT_PACED = 8,	    /* sent while its hop was paced (PROBE_REC_PACED) */
	PROBE_SLOT_LATE = 0x10,	    /* an answer came after the timeout */
	PROBE_SLOT_REFUSED = 0x20,  /* the send failed: nothing went out */
	PROBE_SLOT_RESOLVED = 0x40, /* answered, timed out or refused: counted */
	PROBE_SLOT_ANSWERED = 0x80, /* answered in time */
};

/* What the prober keeps of the last probe sent with an identity (a table of PROBE_ID_SPACE). */
struct probe_slot {
	uint64_t seq1;	  /* probe index + 1; 0: the identity was never used */
	uint64_t sent_ns; /* CLOCK_MONOTONIC just before the send */
	int64_t tx_rt_ns; /* CLOCK_REALTIME at the send, to pair with the kernel's receive stamp */
	uint8_t ttl;
	uint8_t flags; /* PROBE_SLOT_* */
	uint8_t flow;  /* the flow it was sent on: an answer quoting another is not its answer */
};

enum probe_match {
	PROBE_MATCH_ANSWER = 0,	 /* the first answer to its probe, in time */
	PROBE_MATCH_UNMATCHED,	 /* no probe of ours explains it */
	PROBE_MATCH_DUPLICATE,	 /* its probe was answered already (or answered late already) */
	PROBE_MATCH_LATE,	 /* after its probe's timeout: that probe is lost */
	PROBE_MATCH_STALE,	 /* received before the probe now holding its identity was sent:
				    a late answer to an earlier probe with that identity */
};

/*
 * Match what probe_parse_* made of a packet to sl, the slot its identity names. A reply's
 * round trip is the kernel's receive stamp rx_rt_ns (CLOCK_REALTIME, 0 if none) minus the
 * send's, or the monotonic now_ns minus sent_ns when there is no stamp or the realtime clock
 * stepped; it goes to *rtt_ms for ANSWER and LATE (a late answer still tells how long the path
 * takes). Counting:
 *  - UNMATCHED: not a reply (pk->foreign: another tool's answer about our target, or one whose
 *    identifying fields were altered), an identity never used, or one whose last send was
 *    refused (nothing went out);
 *  - STALE: the stamp is before the send of the probe holding the identity now;
 *  - DUPLICATE: the probe was answered (in time or late) before;
 *  - LATE: the probe timed out already, or the round trip exceeds timeout_s.
 */
enum probe_match probe_match_reply(const struct probe_slot *sl, const struct probe_packet *pk,
				   uint64_t now_ns, int64_t rx_rt_ns, double timeout_s,
				   double *rtt_ms);

/* Internet checksum of buf (one's complement of the one's complement sum), seeded with sum. */
uint16_t probe_csum(const uint8_t *buf, size_t len, uint32_t sum);

#endif
