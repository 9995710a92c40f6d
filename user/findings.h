/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Findings: what the host counters say about loss over a window, worst first, each with the
 * counter evidence and the fix as commands that persist. Pure: deltas in, findings out; nothing
 * here reads the system, and nothing anywhere in dropscope changes it.
 *
 * Finding ids (stable: scripts and `dropscope diagnose` match on them):
 *   nic_rx_missed          the NIC ran out of RX ring buffers (rx_missed/fifo/over_errors, driver
 *                          rx_*drop*, no_buffer, out_of_buffer ...) -> ethtool -G IF rx MAX
 *   nic_rx_dropped         the interface's rx_dropped rose (kernel dropped at the device)
 *   nic_rx_errors          damaged frames (CRC, frame, length) -> cabling, optics, duplex
 *   nic_tx_dropped         the interface's tx_dropped or driver TX drops rose -> tx ring
 *   nic_tx_errors          carrier/aborted/fifo TX errors -> link
 *   softnet_dropped        per-CPU backlog full -> net.core.netdev_max_backlog, RPS/RFS
 *   softnet_time_squeeze   softirq ran out of budget with work left -> netdev_budget(_usecs), RPS
 *   udp_rcvbuf_errors      UDP socket receive buffers full -> SO_RCVBUF, net.core.rmem_max
 *   udp_sndbuf_errors      UDP sends refused -> SO_SNDBUF, net.core.wmem_max (and qdisc drops)
 *   udp_mem_errors         UDP memory limit reached -> net.ipv4.udp_mem
 *   tcp_listen_overflows   accept queues full (ListenOverflows/ListenDrops) -> listen() backlog,
 *                          net.core.somaxconn, net.ipv4.tcp_max_syn_backlog
 *   tcp_backlog_drop       TCPBacklogDrop: socket backlog full while the application held it
 *   tcp_rcvq_drop          TCPRcvQDrop, RcvPruned, TCPZeroWindowDrop: receive queue full
 *   tcp_ofo_drop           TCPOFODrop: out-of-order queue could not grow
 *   tcp_mem_pressure       TCP memory pressure or aborts on memory -> net.ipv4.tcp_mem
 *   tcp_retransmits        retransmitted segments: a symptom; names the host drops if any,
 *                          otherwise points at the path
 *   ip_in_discards         Ip(6) InDiscards
 *   ip_out_discards        Ip(6) OutDiscards
 *   ip_reasm_fails         fragments that could not be reassembled -> ipfrag_high_thresh, MTU
 *   checksum_errors        InCsumErrors (IP, TCP, UDP, ICMP, v4 and v6) -> corruption
 *   conntrack_full         conntrack table near full, or drop/early_drop rising -> nf_conntrack_max
 *   conntrack_insert_failed insert_failed rising while the table has room (insert races)
 *   qdisc_drops            a qdisc dropped packets -> its limit / txqueuelen
 */
#ifndef DS_FINDINGS_H
#define DS_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hostdelta.h"
#include "json.h"

enum finding_severity { SEV_LOW = 1, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* "low", "medium", "high", "critical" */
const char *finding_severity_name(enum finding_severity s);

#define FINDING_MAX_EVIDENCE 16
#define FINDING_MAX_FIXES 10
#define FINDING_FIX_LEN 512

enum evidence_type {
	EV_DELTA, /* a counter's increase over the window */
	EV_VALUE, /* a current value (a sysctl, a ring size, a table count) */
	EV_TEXT,  /* a description (a socket and its numbers) */
};

struct finding_evidence {
	char key[64];
	enum evidence_type type;
	uint64_t u;
	char text[128];
};

struct finding {
	const char *id; /* one of the ids above (static storage) */
	enum finding_severity severity;
	uint64_t count;	 /* the main counter over the window */
	double rate;	 /* count per second */
	char ifname[16]; /* the interface it concerns, "" for the whole host */
	/* Another finding of the same window that accounts for this one (the qdisc drops behind
	 * UDP SndbufErrors and IP OutDiscards ...), or NULL. Such findings sort after their cause.
	 */
	const char *explained_by;
	char summary[256];
	size_t n_evidence;
	struct finding_evidence evidence[FINDING_MAX_EVIDENCE];
	size_t n_fix;
	char fix[FINDING_MAX_FIXES][FINDING_FIX_LEN]; /* commands; lines starting "# " explain */
};

/*
 * The findings a window shows, worst first: by severity, causes before the findings they explain,
 * then by rate. *out is malloc'd (free()), *n may be 0. Returns 0, -EINVAL or -ENOMEM.
 */
int findings_compute(const struct host_delta *d, struct finding **out, size_t *n);

/* The "findings" array (key "findings" inside an object, NULL inside an array). */
void findings_json(const struct finding *f, size_t n, struct json_writer *j, const char *key);

/* The human report: one block per finding, colour when asked. */
void findings_text(const struct finding *f, size_t n, FILE *out, bool color);

/*
 * The fix for a finding id as commands (lines starting "# " explain), using current values from
 * now (sysctls, ring maxima, queue counts, MAC, listeners, sockets) and ifname where the fix is
 * about an interface (NULL: the busiest interface for the host-wide fixes that need one). For a
 * namespace other than the caller's, interface commands are prefixed with `ip netns exec NAME`
 * (or `nsenter --net=PATH`), and per-namespace sysctls say why /etc/sysctl.d does not reach them.
 * Returns the number of lines written (at most max), -ENOENT for an unknown id, -EINVAL for bad
 * arguments.
 */
int finding_fixes(const char *id, const struct host_counters *now, const char *ifname,
		  char (*out)[FINDING_FIX_LEN], int max);

/*
 * The finding id whose fix answers a kernel drop reason (the name without SKB_DROP_REASON_, as
 * the tracer reports it): SOCKET_RCVBUFF -> udp_rcvbuf_errors, CPU_BACKLOG -> softnet_dropped,
 * QDISC_DROP -> qdisc_drops, TCP_LISTEN_OVERFLOW -> tcp_listen_overflows, ... NULL when no
 * counter fix applies (NETFILTER_DROP: the tracer's caller decides whether conntrack caused it
 * and then uses "conntrack_full").
 */
const char *finding_for_drop_reason(const char *reason);

/* Whether id is one of the ids above. */
bool finding_id_known(const char *id);

#endif
