/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe side of an episode's record, pure: the segments an episode touches are merged one by
 * one (diagnose_merge.h) as they end, and each is added here, so that the record covers the whole
 * episode while memory stays that of one path however long it lasts. What is summed: the probes'
 * fates (each probe belongs to one segment, settled there), the probes lost in the network at
 * each hop (those excused are the ones at the hops judged rate-limited over the sums), and the
 * path: the hops per TTL (the counts, each responder's answers and round trips),
 * and the destination apart, whatever its TTL in each segment (as the prober keeps it in a stream
 * of its own): a path that changed length between segments (a reroute, or an outage in which the
 * prober never learnt the length) must not add the destination's loss to a hop's row. The
 * destination's row is placed after the farthest hop. The path's verdict is decided once over
 * the sums (probe_attribute, as the prober does over one run): which hops only ration their
 * ICMP, and where the loss starts.
 */
#ifndef DS_MONITOR_ACC_H
#define DS_MONITOR_ACC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose_fate.h"
#include "probe_opts.h"
#include "probe_report.h"
#include "probe_stats.h"

/* A TTL's row, summed: the prober's counts, and the report row they came with. */
struct acc_row {
	struct hop_counts c;	   /* the probes that describe its loss, this host's taken out */
	struct probe_hop_report r; /* all_*, paced_*, responders (rtt merged), destination */
	struct rtt_stats rtt[PROBE_MAX_RESPONDERS];
};

struct episode_acc {
	unsigned int segments; /* added so far; 0: empty */
	struct fate_totals fate;
	/* episode_acc_report's: network_at_ttl at the hops it judged rate-limited */
	uint64_t excused;
	uint64_t network_at_ttl[PROBE_MAX_TTL + 1];
	uint64_t egress_most, ingress_most; /* the segment counts behind fate's two reasons */
	/*
	 * The last report, its rows and flows left out, with what it says of the whole: the
	 * counters summed, reached and dest_filtered if any segment's was, mtu_limit the nearest
	 * any found; no branch or MDA (flows are not kept); the rest (address, source,
	 * interrupted, timeout_s) the last segment's.
	 */
	struct probe_report meta;
	struct acc_row *rows; /* the hops': rows[i] is TTL i + 1, nrows of them */
	/* The destination's probes: its rows, and its counts from segments that had none. */
	struct acc_row dest;
	unsigned int dest_ttl; /* the farthest TTL its row had; 0: no segment had one */
	size_t nrows;
	struct probe_report report; /* episode_acc_report's */
};

/*
 * A merged segment as an episode may still want it: the monitor keeps the last one a segment
 * longer, since an episode found during the next one may have started in it. Only what
 * episode_acc_add reads, copied out of the merge, so that the merge's probe list, fates, events,
 * drops and counters go as soon as it is done. report.hops is owned (report.nhops rows);
 * report.flows is NULL (a sum keeps no flows).
 */
struct acc_segment {
	struct fate_totals fate;
	uint64_t network_at_ttl[PROBE_MAX_TTL + 1];
	bool has_report;
	struct probe_report report;
};

/* Copy f, network_at_ttl (NULL: zeros) and r (NULL: no path) into s, which owns them then. 0, or
 * -ENOMEM with s empty. */
int acc_segment_keep(struct acc_segment *s, const struct fate_totals *f,
		     const uint64_t *network_at_ttl, const struct probe_report *r);
/* episode_acc_add with a kept segment. */
int episode_acc_add_kept(struct episode_acc *a, const struct acc_segment *s);
/* Frees s's rows and empties it. Safe on an empty one. */
void acc_segment_free(struct acc_segment *s);

/* An empty accumulator (also what episode_acc_free leaves). */
void episode_acc_init(struct episode_acc *a);
/*
 * Add a segment: its fate totals, its probes lost in the network at each hop's row by TTL
 * (diag's network_at_ttl, PROBE_MAX_TTL + 1 of them; NULL: none) and its report (with this
 * host's losses taken out: diagnose's corrected report; NULL: fates only). 0 or -ENOMEM (a's
 * path then is what it was).
 */
int episode_acc_add(struct episode_acc *a, const struct fate_totals *f,
		    const uint64_t *network_at_ttl, const struct probe_report *r);
/*
 * The summed path as a report, its per-hop loss, rate-limited hops and loss origin decided over
 * the sums, started_wall and duration_s as given; a->excused then the probes lost in the network
 * at the hops it judged rate-limited (as each segment's own verdict would not say). Owned by a,
 * valid until the next add or free; NULL with errno ENOENT when no segment had a path, ENOMEM
 * when out of memory.
 */
const struct probe_report *episode_acc_report(struct episode_acc *a, double started_wall,
					      double duration_s);
void episode_acc_free(struct episode_acc *a);

#endif
