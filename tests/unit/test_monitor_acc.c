// SPDX-License-Identifier: GPL-2.0
/*
 * An episode's segments summed (monitor_acc.h): the probes' fates add up, the path's rows add up
 * per TTL (responders by address, their round trips merged), and the path's verdict is decided
 * over the sums: the loss origin and the rate-limited hops of the whole, not of one segment.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "monitor_acc.h"
#include "tap.h"

/* A row: sent/received describe its loss; every probe was fast (none paced), none excluded. */
static void row(struct probe_hop_report *h, unsigned int ttl, uint64_t sent, uint64_t received,
		const char *addr, double avg_ms, bool dest)
{
	memset(h, 0, sizeof(*h));
	h->ttl = ttl;
	h->sent = h->all_sent = sent;
	h->received = h->all_received = received;
	h->destination = dest;
	h->counts.fast_sent = sent;
	h->counts.fast_lost = sent - received;
	h->counts.replied = received > 0;
	if (addr && received) {
		h->nhosts = 1;
		snprintf(h->hosts[0].address, sizeof(h->hosts[0].address), "%s", addr);
		h->hosts[0].received = received;
		h->hosts[0].avg_ms = h->hosts[0].best_ms = h->hosts[0].worst_ms = avg_ms;
		h->hosts[0].last_ms = avg_ms;
	}
}

static void report(struct probe_report *r, struct probe_hop_report *hops, size_t n)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->target, sizeof(r->target), "10.77.3.2");
	snprintf(r->address, sizeof(r->address), "10.77.3.2");
	r->nhops = n;
	r->hops = hops;
	r->nflows = 1;
	r->reached = true;
	r->end_to_end.sent = hops[n - 1].sent;
	r->end_to_end.received = hops[n - 1].received;
	r->probes_sent = 100;
}

/*
 * Segment x: the destination at TTL 3 loses 20% (hops 1 and 2 clean); segment y: clean, one hop
 * longer (the destination at TTL 4, behind a router at TTL 3). Added in either order (the path
 * grew or shrank), the destination's loss is the destination's, not that router's.
 */
static void changed_length(bool grew)
{
	struct probe_hop_report x[3], y[4];
	struct probe_report rx, ry;
	struct fate_totals f = {.sent = 300};
	struct episode_acc acc;
	const struct probe_report *r;
	const char *how = grew ? "grew" : "shrank";

	row(&x[0], 1, 100, 100, "10.77.0.1", 1.0, false);
	row(&x[1], 2, 100, 100, "10.77.1.2", 2.0, false);
	row(&x[2], 3, 300, 240, "10.77.3.2", 3.0, true);
	report(&rx, x, 3);
	row(&y[0], 1, 100, 100, "10.77.0.1", 1.0, false);
	row(&y[1], 2, 100, 100, "10.77.1.2", 2.0, false);
	row(&y[2], 3, 100, 100, "10.77.2.2", 2.5, false);
	row(&y[3], 4, 300, 300, "10.77.3.2", 3.0, true);
	report(&ry, y, 4);
	episode_acc_init(&acc);
	episode_acc_add(&acc, &f, NULL, grew ? &rx : &ry);
	episode_acc_add(&acc, &f, NULL, grew ? &ry : &rx);
	r = episode_acc_report(&acc, 0, 60);
	ok(r && r->nhops == 4 && r->hops[3].destination, "path %s: the destination after hop 3",
	   how);
	if (r && r->nhops == 4) {
		is_int(r->end_to_end.sent, 600, "path %s: end to end: both segments' probes", how);
		is_int(r->end_to_end.received, 540, "path %s: end to end: the 60 lost", how);
		ok(!r->hops[2].rate_limited && r->hops[2].sent == 100 && r->hops[2].received == 100,
		   "path %s: hop 3 is the router's row alone, not rate-limited", how);
		ok(r->has_origin && r->origin.ttl == 4 && r->origin.at_destination,
		   "path %s: the loss placed at the destination", how);
	}
	episode_acc_free(&acc);
}

/*
 * An outage past hop 2 for a whole segment: the prober never learnt the path's length, so the
 * segment has no destination row, its destination's probes only end to end; with a segment
 * that did reach it, the destination's row has both.
 */
static void no_destination_row(void)
{
	struct probe_hop_report x[2], y[3];
	struct probe_report rx, ry;
	struct fate_totals f = {.sent = 300};
	struct episode_acc acc;
	const struct probe_report *r;

	row(&x[0], 1, 100, 100, "10.77.0.1", 1.0, false);
	row(&x[1], 2, 100, 100, "10.77.1.2", 2.0, false);
	report(&rx, x, 2);
	rx.reached = false;
	rx.end_to_end.sent = 300;
	rx.end_to_end.received = 0;
	row(&y[0], 1, 100, 100, "10.77.0.1", 1.0, false);
	row(&y[1], 2, 100, 100, "10.77.1.2", 2.0, false);
	row(&y[2], 3, 300, 240, "10.77.3.2", 3.0, true);
	report(&ry, y, 3);
	episode_acc_init(&acc);
	episode_acc_add(&acc, &f, NULL, &rx);
	episode_acc_add(&acc, &f, NULL, &ry);
	r = episode_acc_report(&acc, 0, 60);
	ok(r && r->nhops == 3 && r->hops[2].destination, "outage: the destination's row at TTL 3");
	if (r && r->nhops == 3) {
		is_int(r->end_to_end.sent, 600, "outage: end to end: both segments' probes");
		is_int(r->end_to_end.received, 240, "outage: end to end: 360 lost");
		ok(!r->hops[2].rate_limited, "outage: the destination is not rate-limited");
		ok(r->has_origin && r->origin.ttl == 3, "outage: the loss starts at TTL 3");
	}
	episode_acc_free(&acc);
	/* The outage alone: no destination row, end to end its probes. */
	episode_acc_init(&acc);
	episode_acc_add(&acc, &f, NULL, &rx);
	r = episode_acc_report(&acc, 0, 30);
	ok(r && r->nhops == 2 && !r->hops[1].destination, "outage alone: the hops' rows only");
	ok(r && r->end_to_end.sent == 300 && r->end_to_end.received == 0,
	   "outage alone: end to end its destination's probes");
	episode_acc_free(&acc);
}

/*
 * Hop 1 rations its ICMP (paced): 14 fast probes, 6 lost, all 6 after its first loss (the
 * limiter's steady state, past its answered burst), its 10 paced ones answered. In segment y this
 * host also dropped 5 of its fast probes: out of the counts the verdict uses.
 */
static void limiter(void)
{
	struct probe_hop_report x[2], y[2];
	struct probe_report rx, ry;
	struct fate_totals f = {.sent = 124};
	struct episode_acc acc;
	const struct probe_report *r;

	row(&x[0], 1, 10, 10, "10.77.0.1", 1.0, false);
	x[0].all_sent = 24;
	x[0].all_received = 18;
	x[0].paced_sent = x[0].paced_received = 10;
	x[0].rate_limited = true;
	x[0].counts = (struct hop_counts){.fast_sent = 14,
					  .fast_lost = 6,
					  .paced_sent = 10,
					  .tail_sent = 6,
					  .tail_lost = 6,
					  .paced = true,
					  .replied = true};
	row(&x[1], 2, 100, 100, "10.77.3.2", 2.0, true);
	report(&rx, x, 2);
	y[0] = x[0];
	y[0].all_sent = 29; /* and 5 more lost here, taken out of counts */
	y[1] = x[1];
	report(&ry, y, 2);
	episode_acc_init(&acc);
	episode_acc_add(&acc, &f, NULL, &rx);
	r = episode_acc_report(&acc, 0, 30);
	ok(r && r->hops[0].rate_limited && r->hops[0].limiter_confirmed,
	   "limiter: confirmed by its tail (6 of 6) against its paced probes (0 of 10)");
	episode_acc_add(&acc, &f, NULL, &ry);
	is_int(acc.rows[0].c.tail_sent, 12, "limiter: the tails summed (sent)");
	is_int(acc.rows[0].c.tail_lost, 12, "limiter: the tails summed (lost)");
	is_int(acc.rows[0].c.fast_sent, 28, "limiter: fast probes summed without this host's");
	is_int(acc.rows[0].c.fast_lost, 12, "limiter: fast losses summed without this host's");
	r = episode_acc_report(&acc, 0, 60);
	ok(r && r->hops[0].rate_limited && r->hops[0].sent == 20 && r->hops[0].received == 20,
	   "limiter: its loss over both is its paced probes'");
	episode_acc_free(&acc);
}

/*
 * Segment x: hop 1 and the destination lose 10% each (it carries on: path loss, nothing
 * excused); segment y: hop 1 alone loses half (rate-limited, its 50 excused). Over the sums hop 1
 * loses 30% against the destination's 5%: rate-limited, so x's 10 are excused too.
 */
static void excused_over_sums(void)
{
	struct probe_hop_report x[2], y[2];
	struct probe_report rx, ry;
	struct fate_totals f = {.sent = 400};
	uint64_t nx[PROBE_MAX_TTL + 1] = {[1] = 10}, ny[PROBE_MAX_TTL + 1] = {[1] = 50};
	struct episode_acc acc;
	uint64_t ex, ey;

	row(&x[0], 1, 100, 90, "10.77.0.1", 1.0, false);
	row(&x[1], 2, 300, 270, "10.77.3.2", 2.0, true);
	report(&rx, x, 2);
	row(&y[0], 1, 100, 50, "10.77.0.1", 1.0, false);
	row(&y[1], 2, 300, 300, "10.77.3.2", 2.0, true);
	report(&ry, y, 2);
	episode_acc_init(&acc);
	episode_acc_add(&acc, &f, nx, &rx);
	episode_acc_report(&acc, 0, 30);
	ex = acc.excused;
	episode_acc_free(&acc);
	episode_acc_add(&acc, &f, ny, &ry);
	episode_acc_report(&acc, 0, 30);
	ey = acc.excused;
	ok(ex == 0 && ey == 50, "excused: x alone none, y alone its 50 (%llu, %llu)",
	   (unsigned long long)ex, (unsigned long long)ey);
	episode_acc_add(&acc, &f, nx, &rx);
	ok(episode_acc_report(&acc, 0, 60) && acc.report.hops[0].rate_limited,
	   "excused: hop 1 rate-limited over the sums");
	is_int(acc.excused, 60, "excused: both segments' losses there, not the segments' own 50");
	episode_acc_free(&acc);
}

/* What a report says beside its rows: the nearest MTU limit any segment found, not the last's. */
static void meta_fields(void)
{
	struct probe_hop_report x[2], y[2];
	struct probe_report rx, ry;
	struct fate_totals f = {.sent = 100};
	struct episode_acc acc;
	const struct probe_report *r;

	row(&x[0], 1, 100, 100, "10.77.0.1", 1.0, false);
	row(&x[1], 2, 100, 100, "10.77.3.2", 2.0, true);
	report(&rx, x, 2);
	rx.mtu_limit.seen = true;
	rx.mtu_limit.ttl = 2;
	rx.mtu_limit.mtu = 1400;
	rx.dest_filtered = true;
	rx.branch.seen = true;
	rx.mda_probes = 50;
	memcpy(y, x, sizeof(y));
	report(&ry, y, 2);
	episode_acc_init(&acc);
	episode_acc_add(&acc, &f, NULL, &rx);
	episode_acc_add(&acc, &f, NULL, &ry);
	r = episode_acc_report(&acc, 0, 60);
	ok(r && r->mtu_limit.seen && r->mtu_limit.ttl == 2 && r->mtu_limit.mtu == 1400,
	   "meta: the MTU limit of the first segment, none in the last");
	ok(r && r->dest_filtered, "meta: the destination filtered in one segment");
	ok(r && !r->branch.seen && !r->mda_probes, "meta: no branch or MDA (no flows kept)");
	episode_acc_free(&acc);
}

/*
 * Segment a: clean. Segment b: hop 1 drops half of its own ICMP (no later hop shows it), and the
 * loss (5%) starts at hop 2, which also answers from a second address.
 */
static void segments_ab(struct probe_hop_report *a, struct probe_hop_report *b,
			struct probe_report *ra, struct probe_report *rb)
{
	row(&a[0], 1, 100, 100, "10.77.0.1", 1.0, false);
	row(&a[1], 2, 100, 100, "10.77.1.2", 2.0, false);
	row(&a[2], 3, 300, 298, "10.77.3.2", 3.0, true);
	report(ra, a, 3);
	row(&b[0], 1, 100, 50, "10.77.0.1", 3.0, false);
	row(&b[1], 2, 100, 90, "10.77.1.3", 2.0, false);
	row(&b[2], 3, 300, 270, "10.77.3.2", 3.0, true);
	report(rb, b, 3);
}

/*
 * A kept segment (what the monitor holds of the last one, its merge freed) owns copies: the
 * report's rows, fates and per-TTL losses it was made from may go, and adding it sums as adding
 * them did.
 */
static void kept_segments(void)
{
	struct probe_hop_report a[3], b[3];
	struct probe_report ra, rb;
	struct fate_totals fa = {.sent = 300, .lost = 2, .egress = 2, .egress_reason = 7};
	struct fate_totals fb = {.sent = 300, .lost = 30, .network = 30};
	uint64_t na[PROBE_MAX_TTL + 1] = {0}, nb[PROBE_MAX_TTL + 1] = {[1] = 20, [2] = 5};
	struct acc_segment ka, kb, kn;
	struct episode_acc direct, kept;
	const struct probe_report *r1, *r2;
	double lo1, hi1;
	bool same = true;

	segments_ab(a, b, &ra, &rb);
	rb.nflows = 4;
	rb.flows = (struct probe_flow_report *)b; /* not to be kept (nor read) */
	episode_acc_init(&direct);
	episode_acc_add(&direct, &fa, na, &ra);
	episode_acc_add(&direct, &fb, nb, &rb);
	r1 = episode_acc_report(&direct, 1000, 120);

	is_int(acc_segment_keep(&ka, &fa, na, &ra), 0, "kept: segment a");
	is_int(acc_segment_keep(&kb, &fb, nb, &rb), 0, "kept: segment b");
	ok(kb.has_report && kb.report.nhops == 3 && kb.report.hops && kb.report.hops != b,
	   "kept: its own copy of the rows");
	ok(!kb.report.flows && kb.report.nflows == 1, "kept: no flows");
	/* The merge's report, fates and losses go (freed, reused): the kept ones stay. */
	memset(a, 0xa5, sizeof(a));
	memset(b, 0xa5, sizeof(b));
	memset(&ra, 0xa5, sizeof(ra));
	memset(&rb, 0xa5, sizeof(rb));
	memset(&fa, 0xa5, sizeof(fa));
	memset(&fb, 0xa5, sizeof(fb));
	memset(nb, 0xa5, sizeof(nb));
	episode_acc_init(&kept);
	is_int(episode_acc_add_kept(&kept, &ka), 0, "kept a added");
	is_int(episode_acc_add_kept(&kept, &kb), 0, "kept b added");
	r2 = episode_acc_report(&kept, 1000, 120);
	ok(r1 && r2, "both sums give a report");
	if (!r1 || !r2) {
		episode_acc_free(&direct);
		episode_acc_free(&kept);
		return;
	}
	is_int(kept.segments, 2, "kept: two segments");
	ok(!memcmp(&kept.fate, &direct.fate, sizeof(kept.fate)), "kept: the same fates");
	is_int(kept.excused, direct.excused, "kept: the same excused (per-TTL losses kept)");
	is_int(r2->nhops, r1->nhops, "kept: as many rows");
	for (size_t i = 0; i < r1->nhops && i < r2->nhops; i++)
		same &= r1->hops[i].ttl == r2->hops[i].ttl &&
			r1->hops[i].sent == r2->hops[i].sent &&
			r1->hops[i].received == r2->hops[i].received &&
			r1->hops[i].all_sent == r2->hops[i].all_sent &&
			r1->hops[i].nhosts == r2->hops[i].nhosts &&
			r1->hops[i].rate_limited == r2->hops[i].rate_limited &&
			r1->hops[i].destination == r2->hops[i].destination &&
			!strcmp(r1->hops[i].hosts[0].address, r2->hops[i].hosts[0].address);
	ok(same, "kept: the same rows, responders and rate-limited hops");
	ok(r2->end_to_end.sent == r1->end_to_end.sent &&
		   r2->end_to_end.received == r1->end_to_end.received &&
		   r2->has_origin == r1->has_origin && r2->origin.ttl == r1->origin.ttl,
	   "kept: the same end to end and loss origin");
	is_str(r2->target, "10.77.3.2", "kept: the report's own fields");
	lo1 = r1->end_to_end.loss_lo;
	hi1 = r1->end_to_end.loss_hi;
	is_near(r2->end_to_end.loss_lo, lo1, 1e-12, "kept: the same interval (low)");
	is_near(r2->end_to_end.loss_hi, hi1, 1e-12, "kept: the same interval (high)");

	/* Fates without a path, and no per-TTL losses. */
	is_int(acc_segment_keep(&kn, &(struct fate_totals){.sent = 10, .lost = 10, .network = 10},
				NULL, NULL),
	       0, "kept: a segment without a report");
	ok(!kn.has_report && !kn.report.hops, "kept: no path");
	is_int(episode_acc_add_kept(&kept, &kn), 0, "kept: added");
	is_int(kept.fate.lost, direct.fate.lost + 10, "kept: its fates counted");
	r2 = episode_acc_report(&kept, 1000, 130);
	is_int(r2 ? r2->hops[1].sent : 0, 200, "kept: the path unchanged");
	acc_segment_free(&ka);
	acc_segment_free(&kb);
	acc_segment_free(&kn);
	ok(!kb.has_report && !kb.report.hops && !kb.report.nhops, "kept: freed, empty");
	acc_segment_free(&kb); /* twice: harmless */
	episode_acc_free(&direct);
	episode_acc_free(&kept);
}

int main(void)
{
	struct probe_hop_report a[3], b[3];
	struct probe_report ra, rb;
	struct fate_totals fa = {
		.sent = 300, .lost = 2, .egress = 2, .network = 0, .egress_reason = 7};
	struct fate_totals fb = {.sent = 300,
				 .lost = 30,
				 .egress = 5,
				 .network = 25,
				 .in_flight = 3,
				 .egress_reason = 9};
	/* By TTL, the probes lost in the network at each hop's row. */
	uint64_t na[PROBE_MAX_TTL + 1] = {0}, nb[PROBE_MAX_TTL + 1] = {[1] = 20, [2] = 5};
	struct episode_acc acc;
	const struct probe_report *r;

	segments_ab(a, b, &ra, &rb);
	rb.interrupted = true;

	episode_acc_init(&acc);
	errno = 0;
	ok(episode_acc_report(&acc, 0, 0) == NULL && errno == ENOENT,
	   "empty: no report, ENOENT (not out of memory)");
	is_int(episode_acc_add(&acc, &fa, na, &ra), 0, "segment a added");
	is_int(episode_acc_add(&acc, &fb, nb, &rb), 0, "segment b added");
	is_int(acc.segments, 2, "two segments");
	is_int(acc.fate.sent, 600, "probes sent summed");
	is_int(acc.fate.lost, 32, "lost summed");
	is_int(acc.fate.egress, 7, "lost on the way out summed");
	is_int(acc.fate.network, 25, "lost in the network summed");
	is_int(acc.fate.in_flight, 3, "in flight summed");
	is_int(acc.fate.egress_reason, 9, "the reason of the segment that lost the most that way");

	r = episode_acc_report(&acc, 1000, 75);
	ok(r != NULL, "a report");
	if (!r)
		return done_testing();
	is_int(r->nhops, 3, "three rows");
	is_near(r->started_wall, 1000, 0, "started when the episode did");
	is_near(r->duration_s, 75, 0, "as long as the episode");
	is_int(r->probes_sent, 200, "probes_sent summed");
	ok(r->interrupted, "interrupted: the last segment's");
	is_int(r->hops[0].all_sent, 200, "hop 1: all probes summed");
	is_int(r->hops[0].all_received, 150, "hop 1: all answers summed");
	ok(r->hops[0].rate_limited,
	   "hop 1: its loss does not carry on over the sums: rate-limited");
	is_int(r->hops[1].sent, 200, "hop 2: sent summed");
	is_int(r->hops[1].received, 190, "hop 2: received summed");
	is_near(r->hops[1].loss_pct, 5, 1e-9, "hop 2: loss over the sums");
	is_int(r->hops[1].nhosts, 2, "hop 2: both responders");
	is_int(r->hops[0].nhosts, 1, "hop 1: one responder, merged by address");
	is_int(r->hops[0].hosts[0].received, 150, "hop 1: its answers summed");
	is_near(r->hops[0].hosts[0].avg_ms, (100 * 1.0 + 50 * 3.0) / 150, 1e-9,
		"hop 1: mean round trip weighted");
	is_near(r->hops[0].hosts[0].best_ms, 1.0, 1e-9, "hop 1: best of both");
	is_near(r->hops[0].hosts[0].worst_ms, 3.0, 1e-9, "hop 1: worst of both");
	/* Sum of squared deviations: 0 + 0 + (3-1)^2 * 100 * 50 / 150. */
	is_near(r->hops[0].hosts[0].stdev_ms, sqrt(4.0 * 100 * 50 / 150 / 149), 1e-9,
		"hop 1: standard deviation of both");
	ok(r->hops[2].destination && !r->hops[1].destination, "the destination's row is the last");
	is_int(r->end_to_end.sent, 600, "end to end: sent summed");
	is_int(r->end_to_end.received, 568, "end to end: received summed");
	ok(r->end_to_end.loss_lo > 3 && r->end_to_end.loss_hi < 8,
	   "end to end: its interval over the sums (%.1f..%.1f%%)", r->end_to_end.loss_lo,
	   r->end_to_end.loss_hi);
	is_int(acc.excused, 20, "excused: the network losses at hop 1, rate-limited over the sums");
	ok(r->has_origin, "a loss origin over the sums");
	is_int(r->origin.ttl, 2, "at hop 2");
	is_str(r->origin.address, "10.77.1.2", "its first responder");

	/* A third segment, one hop further (the path grew): a row more, the destination's. */
	{
		struct probe_hop_report c[4];
		struct probe_report rc;
		struct fate_totals fc = {.sent = 300, .lost = 0};

		row(&c[0], 1, 100, 100, "10.77.0.1", 1.0, false);
		row(&c[1], 2, 100, 100, "10.77.1.2", 2.0, false);
		row(&c[2], 3, 100, 100, "10.77.2.2", 2.5, false);
		row(&c[3], 4, 300, 300, "10.77.3.2", 3.0, true);
		report(&rc, c, 4);
		is_int(episode_acc_add(&acc, &fc, NULL, &rc), 0, "segment c added");
		r = episode_acc_report(&acc, 1000, 135);
		is_int(r ? r->nhops : 0, 4, "four rows");
		ok(r && r->hops[3].destination && !r->hops[2].destination,
		   "only the farthest row is the destination's");
		is_int(acc.fate.sent, 900, "probes sent summed over three");
		ok(r && !r->interrupted, "interrupted: the last segment's, now not");
	}
	/* Fates without a path (a segment whose report failed): counted, the path unchanged. */
	{
		struct fate_totals fd = {.sent = 10, .lost = 10, .network = 10};

		is_int(episode_acc_add(&acc, &fd, NULL, NULL), 0, "a segment without a report");
		is_int(acc.fate.lost, 42, "its fates counted");
		r = episode_acc_report(&acc, 1000, 140);
		is_int(r ? r->hops[1].sent : 0, 300, "the path unchanged");
	}
	episode_acc_free(&acc);
	is_int(acc.segments, 0, "freed: empty again");
	ok(episode_acc_report(&acc, 0, 0) == NULL, "and no report");
	changed_length(true);
	changed_length(false);
	no_destination_row();
	limiter();
	excused_over_sums();
	meta_fields();
	kept_segments();
	return done_testing();
}
