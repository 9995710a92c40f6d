/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prober's report: what it measured, per hop and end to end, with the loss placed (the
 * model, filled by prober_report), and its forms: mtr's table, CSV, JSON and mtr's JSON. What
 * diagnose includes to print the path; the engine (prober.h) only fills it.
 */
#ifndef DS_PROBE_REPORT_H
#define DS_PROBE_REPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "probe_parse.h"
#include "probe_stats.h"

#define PROBE_MAX_RESPONDERS 8 /* addresses kept per hop; more are counted, not named */

struct probe_host_report {
	char address[INET6_ADDRSTRLEN];
	char name[256];	   /* reverse DNS; "" when unknown or -n */
	uint64_t received; /* answers from this address */
	double last_ms, avg_ms, best_ms, worst_ms, stdev_ms;
	double jitter_ms, jitter_avg_ms, jitter_max_ms, jitter_int_ms;
	enum probe_reply_kind reply; /* the kind of its last answer */
	uint8_t icmp_type, icmp_code;
	uint32_t mtu;	    /* PROBE_REPLY_TOO_BIG: the next-hop MTU it reported */
	unsigned int flows; /* the flows (--flows) this address answered at this hop */
};

struct probe_hop_report {
	unsigned int ttl;
	uint64_t sent, received; /* the probes that describe the hop's loss (paced ones only when
				    rate_limited), answered or timed out; none in flight */
	double loss_pct;	 /* lost/sent*100; NAN when sent is 0 */
	double loss_lo, loss_hi; /* 95% Wilson interval, percent */
	uint64_t all_sent, all_received; /* every probe to this hop, fast and paced */
	uint64_t paced_sent, paced_received;
	bool rate_limited;	/* loss that does not carry on: ICMP rate limiting or filtering */
	bool limiter_confirmed; /* the two-rate test agrees */
	bool destination;	/* the row of the destination (or of the terminal answer) */
	/* What the verdict was decided over: the prober's counts (probe_attribute's input), the
	 * excluded probes out, the tail filled; for what sums rows (monitor_acc). */
	struct hop_counts counts;
	size_t nhosts;
	uint64_t other_replies; /* answers from addresses beyond PROBE_MAX_RESPONDERS */
	struct probe_host_report hosts[PROBE_MAX_RESPONDERS];
	/*
	 * Multipath (MDA's stopping rule, probe_mda_flows): flows_seen flows answered here, and
	 * mda_needed must have for 95% confidence that no next hop beyond the nhosts seen was
	 * missed; complete when flows_seen >= mda_needed.
	 */
	unsigned int flows_seen, mda_needed;
	bool mda_complete;
};

#define PROBE_VIA_NONE 0xff /* a flow's hop that never answered it */

/* One flow's path (address by TTL) and loss. */
struct probe_flow_report {
	unsigned int flow;	 /* 0 .. nflows - 1 */
	unsigned int key;	 /* its source port (udp, tcp) or echo identifier (icmp) */
	enum probe_proto proto; /* the run's, or icmp for an echo flow 0 beside udp or tcp */
	uint64_t sent, received; /* its probes to the last row (the destination's) */
	double loss_pct;	 /* NAN when sent is 0 */
	/* Per row i of hops[]: the index in hops[i].hosts of the address that answered this
	 * flow there (PROBE_VIA_NONE: none), and its probes there. */
	uint8_t via[PROBE_MAX_TTL + 1];
	uint32_t hop_sent[PROBE_MAX_TTL + 1], hop_received[PROBE_MAX_TTL + 1];
};

struct probe_report {
	char target[256];
	char address[INET6_ADDRSTRLEN];
	char source[INET6_ADDRSTRLEN];
	int family;
	enum probe_proto proto;
	unsigned int port;   /* udp/tcp destination port, 0 for icmp */
	unsigned int size;   /* bytes per probe */
	double started_wall; /* CLOCK_REALTIME seconds at the first probe */
	double duration_s;
	bool reached;	      /* the target itself answered */
	bool interrupted;     /* ds_stop or the deadline ended the run early */
	char unreachable[96]; /* e.g. "host unreachable from 10.0.0.1", "" when none */
	/*
	 * Probes of this size do not fit the path: a router answered "packet too big" (ICMPv6,
	 * or ICMP fragmentation needed). Not loss: those answers count as answers.
	 */
	struct {
		bool seen;
		unsigned int ttl; /* the smallest TTL answered so */
		char address[INET6_ADDRSTRLEN];
		unsigned int mtu; /* the next-hop MTU it reported (0: not given) */
	} mtu_limit;
	size_t nhops;
	struct probe_hop_report *hops;
	size_t nflows; /* --flows; 1: one Paris flow, no flows[] in the forms */
	struct probe_flow_report *flows;
	bool multipath;	     /* some hop answered from more than one address */
	bool mda_complete;   /* every hop met MDA's stopping rule */
	uint64_t mda_probes; /* probes sent when it first did (0: never) */
	bool dest_filtered;  /* the target answers the echo flow and never the proto/port flows:
				its loss is the echo flow's alone */
	/*
	 * Loss per branch (probe_branch_attribute): the flows that split onto branch_index of
	 * nbranches next hops at hop ttl lose beyond chance from hop from_ttl on, the others do
	 * not (or less).
	 */
	struct {
		bool seen;
		unsigned int ttl;
		char address[INET6_ADDRSTRLEN];
		unsigned int branch_index, nbranches; /* 1-based */
		unsigned int flows, flows_all;	      /* flows through it, flows grouped at ttl */
		unsigned int from_ttl;
		uint64_t sent, lost, other_sent, other_lost;
		double loss_pct, other_loss_pct, p_value;
	} branch;
	bool has_origin;
	struct {
		unsigned int ttl;
		char address[INET6_ADDRSTRLEN]; /* the hop's first responder, "" if none */
		double loss_pct, loss_lo, loss_hi;
		bool at_destination; /* only the destination hop loses: the host or its last link */
		bool carries_on;     /* a later hop that answers shows the loss too; false when no
					hop after the origin answers (e.g. a silent destination) */
		bool branch;	     /* only the flows of one branch lose (r->branch) */
	} origin;
	struct {
		uint64_t sent, received;
		double loss_pct, loss_lo, loss_hi;
		/* the smallest loss these samples tell from none (probe_min_detectable), % */
		double min_detectable_pct;
	} end_to_end; /* the destination row's counts */
	uint64_t probes_sent, send_errors;
	uint64_t replies_unmatched, replies_duplicate, replies_late;
	/*
	 * Rounds that waited because PROBE_ID_SPACE - 1 probes were in flight (a long timeout at
	 * a short interval): probing slowed down to the answers and timeouts; 0 normally.
	 */
	uint64_t window_waits;
	double timeout_s;
};

/* Loss% of lost in sent (NAN when nothing was sent) and its 95% Wilson interval, in percent. */
void probe_loss_interval(uint64_t sent, uint64_t lost, double *pct, double *lo, double *hi);
/*
 * The report's verdict from probe_attribute over its rows (v[i] for hops[i], origin what it
 * returned): each row's loss-describing counts, loss and rate-limit flags, the loss origin, and
 * end to end: the last row's counts when it is the destination's, else dest_sent and
 * dest_received (the destination's probes, with no row of its own).
 */
void probe_report_set_verdict(struct probe_report *r, const struct hop_verdict *v, int origin,
			      uint64_t dest_sent, uint64_t dest_received);

/* The members of the probe JSON object (README), written into the object the caller opened. */
void probe_report_json(const struct probe_report *r, struct json_writer *j);
/* The report table laid out like `mtr --report`, then the verdict lines. */
void probe_report_text(const struct probe_report *r, FILE *f);
/* With --flows: the flows' keys, MDA's verdict, and where they split, with each branch's loss. */
void probe_report_multipath_text(const struct probe_report *r, FILE *f);
/* One header line and one line per hop and responder (with --flows: its flows, their keys). */
void probe_report_csv(const struct probe_report *r, FILE *f);
const char *probe_proto_name(enum probe_proto proto);

struct probe_config;
/* mtr --json's layout (report.mtr, report.hubs[]), for what parses mtr's output. */
void probe_report_mtr_json(const struct probe_report *r, const struct probe_config *cfg, FILE *f);

#endif
