/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path prober: an mtr that does not lie about loss. The engine behind `dropscope probe`, and
 * a library for `dropscope diagnose`, which runs it in a thread while it reads the kernel tracer.
 *
 * Lifecycle: probe_config_init -> (options) -> probe_config_finish -> prober_open (root: resolves
 * the target, opens raw sockets) -> prober_run (once; blocks) -> prober_report / prober_probes /
 * prober_classify_packet -> prober_close.
 *
 * How it probes (README "dropscope probe" has the operator's version):
 *  - Paris-traceroute probes (probe_parse.h): one ECMP path per run.
 *  - Rounds every interval_s: one probe to every hop still probed fast, all TTLs at once; the
 *    destination gets probes of its own twice per round (TTL max_ttl) for end-to-end loss, as
 *    echo replies and TCP answers are not rate-limited. The path length comes from the smallest
 *    TTL the destination (or an unreachable) answers.
 *  - A hop whose loss does not carry on to later hops is suspected of an ICMP rate limiter and is
 *    paced at PROBE_PACED_INTERVAL_S from then on (a Linux router answers ~1/s after a burst of 6);
 *    its fast and paced losses are the two-rate confirmation. So is the last hop that answers
 *    when nothing after it does (a silent destination): there the two rates alone decide. UDP
 *    probes' destination answers (port unreachable) are rate-limited ICMP errors too, so the
 *    destination is paced for UDP.
 *  - At most PROBE_ID_SPACE - 1 probes are in flight: a round that would need more waits.
 *  - With cfg.flows > 1 (--flows), round r is flow r mod flows (probe_parse.h: flow k is flow 0
 *    with the source port or echo identifier + k). Until MDA's stopping rule holds at every hop,
 *    a round skips the hops that have their flows, the path is walked one TTL past the farthest
 *    hop that answered (nothing goes past the destination), hop 1 needs one flow when this
 *    host's route has one next hop (probe_route.h), and the destination waits (flows rounds at
 *    most). Per flow and row the prober keeps the fates and the responder; prober_report adds
 *    the flows' paths, MDA's rule per hop, and the branch that loses (probe_branch_attribute).
 *  - At the end probe_attribute() (probe_stats.h) applies the persistence rule.
 */
#ifndef DS_PROBER_H
#define DS_PROBER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "probe_opts.h"
#include "probe_parse.h"
#include "probe_report.h"

#define PROBE_PACED_INTERVAL_S 1.25 /* under Linux's 1/s ICMP error rate, with margin */

struct prober;

/*
 * Check cfg (probe_config_finish), resolve cfg->target, find the route's source address and MTU,
 * open the raw sockets (needs root or CAP_NET_RAW) and set up reverse DNS unless no_dns (lookup
 * threads start with the first hop heard). Prints its own one-line error and returns -errno.
 * Bad input (probe_error_is_input): -EINVAL bad options, a size below the headers or a target
 * that is not one host (multicast, broadcast, unspecified), -ENOENT
 * unknown host, -EAFNOSUPPORT the target has no address of the family asked for,
 * -ENETUNREACH/-EHOSTUNREACH/-EADDRNOTAVAIL no route, -EMSGSIZE a size above the interface's
 * MTU. Anything else is a runtime failure: -EPERM/-EACCES not allowed to open raw sockets, and
 * whatever a socket or bind failed with (-EMFILE, -ENOBUFS, -EADDRINUSE, ...). Does not
 * drop privileges (the caller may: nothing after it needs them).
 */
int prober_open(const struct probe_config *cfg, struct prober **out);
/* Whether prober_open's error is the user's input (exit 2), not a runtime failure (exit 1). */
bool probe_error_is_input(int err);

/*
 * Probe until the configured rounds or duration are done (then wait for the last answers), until
 * deadline_mono_s (CLOCK_MONOTONIC seconds as mono_now(); 0 = none), or until ds_stop is set.
 * Reads only ds_stop of the program's global state, installs no signal handlers, and may run
 * in a thread of its own. Refused sends (EPERM from the host's own firewall, ENOBUFS, ...) count
 * as sent and lost and never end the run. Closes the sockets when it returns (a socket left open
 * would queue, then drop, other traffic). Returns 0, -EALREADY on a second call, or -errno of
 * a failed poll/receive.
 */
int prober_run(struct prober *p, double deadline_mono_s);
/*
 * As prober_run for n probers at once, in one loop of this thread (the monitor's targets): each
 * keeps its own sockets, pace and budget, and ends as it would alone; returns when all have.
 * -EALREADY if any has run, -ENOMEM, or -errno of a failed poll (then all end).
 */
int prober_run_many(struct prober *const *ps, size_t n, double deadline_mono_s);
/*
 * Echo identifiers for n probers in one process: prober i's echoes use ids[i] to
 * ids[i] + widths[i] - 1 (mod 2^16), and an echo reply is matched on its id alone. Re-draws
 * (draw()) each range that overlaps an earlier one, the first kept; a bounded number of tries.
 */
void probe_ids_spread(uint16_t *ids, const uint16_t *widths, size_t n, uint32_t (*draw)(void));

/*
 * Have prober_run call fn(p, ctx) every every_s seconds while it probes (the first time every_s
 * after it starts): a live view or a progress message. fn runs in prober_run's thread and may
 * call prober_report for the report so far. Set before prober_run.
 */
typedef void (*probe_progress_fn)(struct prober *p, void *ctx);
void prober_on_progress(struct prober *p, probe_progress_fn fn, void *ctx, double every_s);
/*
 * From fn (or between runs): p sends nothing more; its run ends once its probes in flight are
 * answered or given up on (prober_run_many: the others go on).
 */
void prober_stop(struct prober *p);

/* --- the report (probe_report.h: its structs, and its text, CSV and JSON forms) -------- */

/* Per-hop statistics and the verdict; valid after prober_run (also an interrupted one). */
const struct probe_report *prober_report(struct prober *p);
/*
 * The same with the lost probes i marked excluded[i] (i < nexcluded, indexes of the probe list)
 * taken out of the counts, as if never sent: diagnose's way to judge the path without the probes
 * this host dropped itself. The per-hop "all_*" and "paced_*" totals stay as measured. Replaces
 * the report prober_report returned (one report per prober).
 */
const struct probe_report *prober_report_excluding(struct prober *p, const bool *excluded,
						   size_t nexcluded);

/* --- what diagnose needs to recognise the prober's packets in the kernel ------------------- */

enum {
	PROBE_REC_DEST = 1,	/* sent to the destination (TTL max_ttl), not to a hop */
	PROBE_REC_ANSWERED = 2, /* an answer matched it in time */
	PROBE_REC_LATE = 4,	/* an answer came after the timeout (counted as lost) */
	PROBE_REC_PACED = 8,	/* sent while its hop was paced */
};

struct probe_record {
	uint64_t sent_ns;   /* CLOCK_MONOTONIC ns just before the send: bpf_ktime_get_ns's clock */
	uint64_t reply_ns;  /* CLOCK_MONOTONIC ns when the answer was read, 0 if none */
	int16_t send_errno; /* 0, or why the kernel refused the send (EPERM: the host's firewall) */
	uint8_t flow;	    /* which flow (--flows) it was sent on */
	uint8_t pad;
	uint16_t ident; /* identity in the packet: index % PROBE_ID_SPACE */
	uint8_t ttl;
	uint8_t flags; /* PROBE_REC_* */
};

/*
 * Every probe sent, in order (index = position). At most PROBE_MAX_RECORDS are kept; a longer
 * run keeps probing and its statistics, and counts the rest in *dropped (may be NULL).
 */
#define PROBE_MAX_RECORDS (1u << 21)
size_t prober_probes(const struct prober *p, const struct probe_record **list, uint64_t *dropped);

/* Whether probe index of the list was answered or given up on; a probe still in flight when the
 * run ended (Ctrl-C, the deadline) is neither answered nor lost. */
bool prober_probe_settled(const struct prober *p, size_t index);

struct probe_identity {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t l4proto;  /* IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_UDP or IPPROTO_TCP */
	uint8_t src[16];  /* our source address, network order; IPv4 in the first 4 bytes */
	uint8_t dst[16];  /* the target */
	uint16_t icmp_id; /* echo identifier (icmp probes), host order */
	uint16_t sport;	  /* source port (udp, tcp), host order */
	uint16_t dport;	  /* destination port (udp, tcp), host order */
	uint16_t nflows;  /* flows: sport (icmp_id) to sport + nflows - 1 (--flows; 1 at least) */
};

/*
 * Enough for an in-kernel pre-filter: probes are src -> dst with l4proto and the ports / echo id;
 * replies are echo replies or TCP segments dst -> src, or ICMP errors to src quoting a probe.
 */
void prober_identity(const struct prober *p, struct probe_identity *id);

/*
 * Is this L3 packet (from its IPv4/IPv6 header, possibly truncated, e.g. the ~128 bytes the kernel
 * tracer captured from a dropped skb) one of our probes, an answer to one, or neither? Fills out
 * (kind, reply kind, ident, and index: the most recent probe with that identity in the list, or
 * -1). Pure and bounds-checked: the packet is read against what prober_open fixed, and the
 * index comes from the probe list, so call it once prober_run has returned. Identities repeat
 * every PROBE_ID_SPACE probes; a run that long maps a packet to the latest probe that carried its
 * identity. Returns 0, or -EINVAL for bad arguments.
 */
int prober_classify_packet(const struct prober *p, const uint8_t *l3, size_t len,
			   struct probe_packet *out);

/* The open sockets' file descriptors, for a process that keeps only those. */
#define PROBE_MAX_SOCKETS (3 + PROBE_MAX_FLOWS)
size_t prober_socket_fds(const struct prober *p, int fds[PROBE_MAX_SOCKETS]);

/*
 * An opened prober as data, for the prober's own program (dropscope-prober, probe_child.h) to
 * take over across an exec: what prober_open worked out while privileged (the options, the
 * resolved target, the route's source and MTU, the sizes and the flow identity, hop 1's next
 * hops) and the numbers of its sockets, which the program inherits. Flat: no pointers. Both
 * programs come from one build; the magic, version and size refuse anything else.
 */
#define PROBER_SETUP_MAGIC 0x72707364u /* "dspr" */
#define PROBER_SETUP_VERSION 1
struct prober_setup {
	uint32_t magic, version, size; /* PROBER_SETUP_*, sizeof(struct prober_setup) */
	/* How this build lays out what crosses the socket pair (prober_layout): the two programs
	 * are built with different C libraries (dropscope with glibc, the prober's with musl
	 * where installed), whose types (struct sockaddr_storage, enums, size_t) must agree. */
	uint32_t layout;
	int32_t send_fd, icmp_fd, tcp_fd; /* -1: none */
	int32_t port_fd[PROBE_MAX_FLOWS];
	uint32_t nflows, psize, mtu, pmtu;
	uint8_t hop1_single;
	uint8_t pad[3];
	uint32_t dst_salen;
	struct sockaddr_storage dst_sa; /* the target as sent to (an IPv6 scope kept) */
	struct probe_flow flow;
	struct probe_config cfg;
};

/* A digest of the sizes and offsets of every struct that crosses between the two programs. */
uint32_t prober_layout(void);

/* The setup of an opened prober p (before its run). */
void prober_setup_fill(const struct prober *p, struct prober_setup *s);
/*
 * A prober from a setup of len bytes read from the parent (prober_setup_fill there), its
 * sockets the descriptors the setup names: the allocations prober_open makes, and reverse DNS
 * unless the options say no_dns. The prober owns those descriptors from then on. Checked as
 * input: -EPROTO for a setup of another build (magic, version, size) or one that does not hold
 * together (family, flows, sizes, TTLs, a socket that is not open). Prints its own one-line
 * error and returns -errno.
 */
int prober_adopt(const void *setup, size_t len, struct prober **out);

/* Frees everything (closes sockets a run left open; the DNS thread winds down on its own). */
void prober_close(struct prober *p);

#endif
