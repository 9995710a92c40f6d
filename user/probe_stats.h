/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prober's statistics, pure: mtr's per-hop round-trip numbers, the Wilson interval for a
 * loss rate, Fisher's exact one-sided test, and the rules that turn per-hop counts into a verdict:
 * which hops only look lossy because they ration their ICMP (rate_limited), and where loss that
 * reaches the destination starts (the loss origin).
 */
#ifndef DS_PROBE_STATS_H
#define DS_PROBE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Round-trip statistics of one responder, with mtr's definitions (ui/net.c): Avg is the mean,
 * StDev the sample standard deviation (n - 1) over the replies received, Jttr the absolute
 * difference between the last two RTTs, Javg its running mean over all replies (the first reply
 * counts as jitter 0), Jmax its maximum. jitter_int is RFC 3550's interarrival jitter estimate
 * J += (|D| - J) / 16. All in milliseconds.
 */
struct rtt_stats {
	uint64_t n;
	double last, best, worst;
	double mean, ssd; /* Welford: running mean, sum of squared deviations from it */
	double jitter, jitter_avg, jitter_max, jitter_int;
};

void rtt_add(struct rtt_stats *s, double ms);
/* Sample standard deviation; 0 with fewer than two replies (as mtr). */
double rtt_stdev(const struct rtt_stats *s);
/*
 * Fold src into dst as if src's replies had come after dst's (exact for count, mean, StDev, best
 * and worst; jitter keeps dst's running values and the larger maximum).
 */
void rtt_merge(struct rtt_stats *dst, const struct rtt_stats *src);

/* Loss% as mtr computes it: lost / sent * 100, 0 when nothing was sent. */
double loss_pct(uint64_t lost, uint64_t sent);

/*
 * Wilson score interval for a proportion k/n at normal quantile z (1.959964 for 95%), as
 * fractions in [0, 1]. n == 0 gives [0, 1].
 */
void wilson_interval(uint64_t k, uint64_t n, double z, double *lo, double *hi);
#define WILSON_Z95 1.959963984540054

/*
 * Fisher's exact test, one-sided: the p-value for "group 1 loses more than group 2" given x1 of n1
 * and x2 of n2 lost, i.e. P(X >= x1) for X hypergeometric with the table's margins. 1 when either
 * group is empty.
 */
double fisher_greater(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2);

/* Binomial upper tail P(X >= x) for X ~ Bin(n, p): is x of n lost more than rate p explains? */
double binom_greater(uint64_t x, uint64_t n, double p);

/*
 * Loss below this rate is background, not a hop's doing: the loss origin must lose significantly
 * more than this when nothing before it lost anything.
 */
#define PROBE_BACKGROUND_LOSS 0.01

/*
 * The smallest loss rate n probes can tell from background: k/n for the smallest k lost whose
 * binomial upper tail at PROBE_BACKGROUND_LOSS is below alpha; 1 when not even n of n is (or
 * n is 0). Loss well below it cannot be placed with these samples.
 */
double probe_min_detectable(uint64_t n, double alpha);

/*
 * What the prober knows about one hop (one TTL; the destination is the last one): probes whose
 * fate is known, split by the rate they were sent at. A hop starts "fast"; when its loss does not
 * carry on to later hops the prober suspects an ICMP rate limiter and switches it to "paced"
 * (slower than a Linux router's 1/s limit), which doubles as the two-rate confirmation.
 */
struct hop_counts {
	uint64_t fast_sent, fast_lost;
	uint64_t paced_sent, paced_lost;
	/*
	 * The fast probes sent after the hop's first lost one (0 and 0: unknown, use all fast
	 * ones). With loss independent of the rate these are as random as any; behind a token
	 * bucket they are its steady state, without the answered burst: the fair rate to hold
	 * against the paced one.
	 */
	uint64_t tail_sent, tail_lost;
	bool paced;   /* the hop was switched to pacing */
	bool replied; /* something answered at this hop at least once */
};

struct hop_verdict {
	uint64_t sent, lost;	/* the probes that describe the hop's loss (see probe_attribute) */
	bool rate_limited;	/* its loss does not carry on: an ICMP artefact, not path loss */
	bool limiter_confirmed; /* the slow rate lost significantly less than the fast one */
	bool trusted;		/* its loss is path loss, usable to place the origin */
	bool shown_later;	/* a trusted hop after it: its loss, if any, is seen to carry on */
	double p_rise;		/* p-value of its rise over the hops before it (1 if untested) */
};

/* The significance level of the tests behind a verdict: rate_limited, trusted, the origin. */
#define PROBE_ALPHA 1e-3
/*
 * The two-rate confirmation's level: it rests on the few paced probes a short run can afford
 * (9 of 10 lost fast vs 0 of 6 paced is p = 0.0009), and the persistence rule alone already
 * flags the hop; the confirmation adds that the loss depends on the rate.
 */
#define PROBE_ALPHA_CONFIRM 1e-2

/*
 * The persistence rule over hops h[0..n-1] (in TTL order, the last one the destination or the
 * farthest hop probed), with one-sided Fisher tests at level alpha (alpha / 10 where a hop is
 * compared with each later hop, so that sampling noise rarely flags a hop that really loses):
 *  - a hop that never answered (mtr's ???) is neither trusted nor rate-limited;
 *  - a hop whose loss is significantly higher than that of a later trusted hop does not carry on:
 *    rate_limited, and not trusted; so is a paced hop whose fast-rate loss did not carry on, or
 *    whose fast-rate loss after its first loss (tail_*) was significantly higher than its paced
 *    loss (limiter_confirmed, at level PROBE_ALPHA_CONFIRM): with no trusted hop after it (the
 *    last hop that answers), that two-rate test alone decides;
 *  - a rate-limited hop's loss is described by its paced probes only (the fast ones measured
 *    the limiter); any other hop's by all its probes;
 *  - the loss origin is the first trusted hop whose loss is significantly higher than that of the
 *    trusted hops before it, pooled; while those lost nothing (and before the first hop, where
 *    nothing is lost by definition) also a hop whose loss is significantly above
 *    PROBE_BACKGROUND_LOSS. Loss that does not carry on cannot be an origin: it is not trusted.
 * Fills v[0..n-1]; returns the origin's index, or -1 when no hop's loss rises significantly.
 */
int probe_attribute(const struct hop_counts *h, size_t n, double alpha, struct hop_verdict *v);

/*
 * The prober's real-time suspicion, before it switches hop k to pacing: hop k's fast-rate loss
 * (at least min_sent probes) is significantly higher (level alpha) than that of a later hop that
 * replied (a paced later hop by its paced probes). When no later hop replied although some was
 * probed (min_sent probes, none answered: a silent destination behind the last router that
 * answers), nothing can show whether hop k's loss carries on: then hop k is suspect when it
 * answered at least once, has at least 3 * min_sent fast probes, and loses significantly more
 * than PROBE_BACKGROUND_LOSS; pacing it lets the two-rate test decide.
 */
bool probe_limiter_suspect(const struct hop_counts *h, size_t n, size_t k, uint64_t min_sent,
			   double alpha);

/* --- multipath (--flows) ---------------------------------------------------------------- */

/*
 * MDA's stopping rule (Augustin et al., "Multipath tracing with Paris traceroute"): having seen k
 * next hops at a hop, the flows that must reach it before one can say, with confidence
 * 1 - alpha, that no (k+1)-th next hop, sharing the flows evenly with the others, was missed:
 * the smallest n for which n flows over k + 1 next hops miss one with probability <= alpha.
 * At alpha 0.05: 6, 11, 16, 21, 27, 33, 38, 44, 51, 57 for k = 1..10 (the published table). k 0
 * gives 1 (one flow must answer before anything is seen); 0 for alpha outside (0, 1) or k > 32.
 */
unsigned int probe_mda_flows(unsigned int k, double alpha);
#define PROBE_MDA_ALPHA 0.05

struct branch_verdict {
	int group;	     /* the group (branch) that loses beyond chance, -1 when none does */
	int origin;	     /* its loss starts at this row (probe_attribute over its flows) */
	uint64_t sent, lost; /* its probes from origin on, in the rows trusted for it */
	uint64_t other_sent, other_lost; /* the other groups' probes in the same rows */
	double p;			 /* one-sided Fisher p-value, group against the others */
};

/*
 * Loss per branch: the flows grouped by the next hop they take where the path splits; h holds
 * ngroups x n rows, group g's rows at h[g * n] (the counts of its flows, pooled, in TTL order,
 * the last row the destination's). A group loses beyond chance when probe_attribute places an
 * origin within its rows, and its probes from there on (in the rows trusted for it) lose
 * significantly more than the other groups' in the same rows: one-sided Fisher at alpha divided
 * by the number of groups (each is tested). The most significant such group is named. A branch
 * whose own ICMP is rate-limited is not trusted by probe_attribute, so never named. Returns
 * out->group.
 */
int probe_branch_attribute(const struct hop_counts *h, size_t ngroups, size_t n, double alpha,
			   struct branch_verdict *out);

#endif
