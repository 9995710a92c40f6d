/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where each of the prober's lost probes was lost, pure: the kernel tracer saw some of the
 * prober's packets dropped (classified by the prober as one of its probes or an answer to one);
 * the rest of the lost probes were lost outside this host. mtr cannot tell these apart: a host
 * whose firewall drops the replies looks to it like loss at the first hop.
 */
#ifndef DS_PROBEFATE_H
#define DS_PROBEFATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum probe_fate {
	FATE_ANSWERED = 0,
	FATE_NETWORK,	  /* lost, and no drop of it or its answer was seen here */
	FATE_EGRESS,	  /* dropped by this host on the way out */
	FATE_INGRESS,	  /* its answer was dropped by this host on the way in */
	FATE_OTHER_NS,	  /* dropped in another namespace of this kernel (a container, a bridge) */
	FATE_REFUSED,	  /* the kernel refused to send it (send error) with no drop seen */
	FATE_IN_FLIGHT,	  /* neither answered nor given up on when the run ended: not counted */
	FATE_FILTERED,	  /* unanswered at a target that filters its port: no loss (sent only) */
};

/* One drop of a prober packet the tracer saw. */
struct seen_drop {
	int64_t index;	 /* the probe (list index) it belongs to */
	bool reply;	 /* an answer to the probe, not the probe itself */
	bool here;	 /* in this host's namespace */
	uint32_t netns;	 /* the namespace that dropped it (inode number) */
	uint32_t reason; /* kernel drop reason */
};

struct probe_info {
	bool settled;	 /* answered, or given up on (timed out) */
	bool lost;	 /* settled without an answer in time */
	int send_errno;	 /* the kernel refused the send */
};

struct fate_totals {
	uint64_t sent, lost; /* settled probes only */
	uint64_t in_flight;
	uint64_t egress, ingress, other_ns, refused, network;
	uint64_t filtered; /* probe_fates_filtered: sent, neither lost nor answered */
	uint32_t egress_reason, ingress_reason; /* the most frequent (0: none seen) */
};

/*
 * Decide fate[i] for probes 0..n-1 from the drops seen, and add up the totals. A lost probe
 * seen dropped here on the way out is egress; else one whose answer was dropped here is
 * ingress; else one dropped in another namespace is other_ns; else a refused send is refused;
 * else network. An answered probe stays answered whatever else was seen (a duplicate answer
 * dropped, say); a probe not settled when the run ended is in flight and counted nowhere else.
 * Drops with an index outside 0..n-1 are ignored.
 */
void probe_fates(const struct probe_info *probes, size_t n, const struct seen_drop *drops,
		 size_t ndrops, enum probe_fate *fate, struct fate_totals *t);

/*
 * The target answers one flow (diagnose's echo flow) and never another's port (the path report's
 * dest_filtered): the probes at_target[i] marks (the other flows' probes that reached the target's
 * row) lost in the network, or dropped in another namespace that is the target's own, are its
 * filter, not loss. Each becomes FATE_FILTERED, out of the lost and network (other_ns) totals,
 * counted in filtered; a drop seen on this host stays its fate. A router on the path is another
 * namespace too, in a lab or between containers: a namespace that dropped any probe at_target
 * leaves unmarked (one short of the target, or of the flow the target answers) or any answer is
 * on the path, and what it dropped stays lost (other_ns). drops are probe_fates' (NULL if ndrops
 * is 0); on ENOMEM no other-namespace drop is relabelled.
 */
void probe_fates_filtered(const bool *at_target, size_t n, const struct seen_drop *drops,
			  size_t ndrops, enum probe_fate *fate, struct fate_totals *t);

const char *probe_fate_name(enum probe_fate f);

#endif
