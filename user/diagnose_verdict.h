/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verdict of `dropscope diagnose`, pure: from the evidence of the tracer, the counters and
 * the prober (already merged into numbers), where the loss is, how sure we are, and one sentence
 * that says it.
 */
#ifndef DS_VERDICT_H
#define DS_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum verdict_kind {
	VERDICT_NONE,
	VERDICT_SERVER,
	VERDICT_NETWORK,
	VERDICT_BOTH,
	VERDICT_INCONCLUSIVE,
};

enum confidence {
	CONF_LOW,
	CONF_MEDIUM,
	CONF_HIGH,
};

/* Below these, evidence is too thin to call. */
#define VERDICT_MIN_DEST_PROBES 10  /* destination probes with a known fate */
#define VERDICT_MIN_HOST_DROPS 10   /* drops of this host that count as loss */
#define VERDICT_MIN_RETRANS 5	    /* TCP retransmissions to the target */
#define VERDICT_MIN_PROBE_DROPS 3   /* of the prober's packets dropped here, and 1% of them */

/* One cause of this host's loss, for the sentence: the largest. */
struct host_cause {
	char reason[64]; /* "SOCKET_RCVBUFF" or a counters finding id */
	char where[96];	 /* "udp:5555", "eth0 tx0", "" */
	uint64_t count;
	double rate;	 /* per second */
};

struct verdict_input {
	double duration_s;

	/* The path, after the prober's losses that this host caused are taken out. */
	bool reached;		 /* the target answered */
	bool any_hop_answered;
	char unreachable[128];	 /* the prober's "network unreachable from ..." or "" */
	bool path_unmeasured;	 /* the prober failed (its process died or got stuck) */
	uint64_t dest_sent, dest_lost;
	double dest_loss_lo, dest_loss_hi; /* 95% Wilson interval, percent */
	bool network_loss;	 /* the prober's attribution found an origin */
	unsigned int origin_ttl;
	char origin_addr[64];
	double origin_loss_pct;
	bool origin_at_destination; /* only the destination itself loses */
	unsigned int rate_limited_hops;

	/* The prober's probes. */
	uint64_t probes_sent, probes_lost;
	uint64_t lost_on_egress, replies_lost_on_ingress; /* egress includes refused sends */
	const char *egress_reason, *ingress_reason; /* the most frequent reason of each */

	/* How much the tracer saw: without it, this host's drops cannot be ruled out. */
	bool tracer_ok;
	uint64_t events_lost; /* drops of the prober's packets the tracer could not report */

	/* This host: drops in its namespace that are loss (capacity, corruption, routing; policy
	 * drops count through the prober's packets above), and counters findings. */
	uint64_t host_drops;
	struct host_cause cause;
	size_t serious_findings; /* counters findings, high or critical, not explained by another */
	const char *finding_id;	 /* the worst of them */

	/* TCP: retransmissions to the target (or to all, --all-flows), and the segments this host
	 * sent meanwhile (0 if unknown): with all flows, retransmissions count as a share. */
	uint64_t retransmits;
	uint64_t tcp_out_segs;
	bool all_flows;
};

struct verdict {
	enum verdict_kind kind;
	enum confidence confidence;
	char summary[640]; /* one sentence: the verdict */
	char why[256];	   /* inconclusive: why */
};

void verdict_decide(const struct verdict_input *in, struct verdict *out);

const char *verdict_name(enum verdict_kind k);
/* The exit code of a verdict (util.h's enum ds_exit), and back (-1: not a verdict's). */
int verdict_exit_code(enum verdict_kind k);
int verdict_of_exit_code(int code);
/*
 * demo's exit code from its diagnosis's (rc): 0 when the verdict is the scenario's (want),
 * DS_EXIT_UNEXPECTED when a whole run reached another one, the verdict's own code when the run
 * was interrupted (a partial run's verdict is no test of the scenario), and 1 or 2 as they are.
 */
int verdict_demo_exit(int rc, enum verdict_kind want, bool interrupted);	 /* "none", "server", ... */
const char *confidence_name(enum confidence c); /* "low", "medium", "high" */

#endif
