// SPDX-License-Identifier: GPL-2.0
/*
 * The prober's statistics: mtr's RTT formulas (ui/net.c: Welford mean, sample StDev over the
 * replies received, jitter), the Wilson interval and Fisher's exact test, against values computed
 * independently (Python's math.comb and statistics.stdev; the large ones exactly, with mpmath).
 */
#include <math.h>

#include "probe_stats.h"
#include "tap.h"
#include "util.h"

static const double samples[] = {0.231, 0.198, 0.402, 0.355, 0.120, 0.287, 1.5, 0.301};

static void test_rtt(void)
{
	struct rtt_stats s = {0}, a = {0}, b = {0};
	double mean = 0, ss = 0;
	size_t n = ARRAY_SIZE(samples);

	is_near(rtt_stdev(&s), 0, 0, "no replies: StDev 0");
	rtt_add(&s, 5.0);
	is_near(rtt_stdev(&s), 0, 0, "one reply: StDev 0, as mtr (needs two)");
	is_near(s.jitter_avg, 0, 0, "one reply: jitter 0");
	memset(&s, 0, sizeof(s));

	for (size_t i = 0; i < n; i++)
		rtt_add(&s, samples[i]);
	/* Two-pass, the textbook definition, to check the running (Welford) one. */
	for (size_t i = 0; i < n; i++)
		mean += samples[i] / n;
	for (size_t i = 0; i < n; i++)
		ss += (samples[i] - mean) * (samples[i] - mean);
	is_int(s.n, 8, "eight replies counted");
	is_near(s.mean, 0.42425, 1e-12, "Avg is the mean");
	is_near(s.mean, mean, 1e-12, "Avg equals the two-pass mean");
	is_near(rtt_stdev(&s), 0.4436310403928021, 1e-12, "StDev is the sample deviation (n-1)");
	is_near(rtt_stdev(&s), sqrt(ss / (n - 1)), 1e-12,
		"StDev equals the two-pass sample deviation");
	ok(fabs(rtt_stdev(&s) - sqrt(ss / n)) > 1e-3, "StDev is not the population deviation (n)");
	is_near(s.best, 0.120, 0, "Best is the minimum");
	is_near(s.worst, 1.5, 0, "Wrst is the maximum");
	is_near(s.last, 0.301, 0, "Last is the last reply");
	is_near(s.jitter, fabs(0.301 - 1.5), 1e-12, "Jttr is |last - previous|");
	is_near(s.jitter_avg, 0.38725, 1e-12,
		"Javg: mean jitter, the first reply counting 0 (mtr)");
	is_near(s.jitter_max, 1.213, 1e-12, "Jmax is the largest jitter");
	is_near(s.jitter_int, 0.18019038486853245, 1e-12, "Jint: RFC 3550 J += (|D| - J) / 16");

	for (size_t i = 0; i < n; i++)
		rtt_add(i < 3 ? &a : &b, samples[i]);
	rtt_merge(&a, &b);
	is_int(a.n, 8, "merge: counts add");
	is_near(a.mean, s.mean, 1e-12, "merge: same mean as one stream");
	is_near(rtt_stdev(&a), rtt_stdev(&s), 1e-12, "merge: same StDev as one stream");
	is_near(a.best, 0.120, 0, "merge: best");
	is_near(a.worst, 1.5, 0, "merge: worst");
	is_near(a.last, 0.301, 0, "merge: last comes from the later stream");
	memset(&b, 0, sizeof(b));
	rtt_merge(&b, &s);
	is_near(rtt_stdev(&b), rtt_stdev(&s), 0, "merge into empty copies");
}

static void test_loss(void)
{
	double lo, hi;

	is_near(loss_pct(0, 0), 0, 0, "Loss%% of nothing sent is 0 (mtr)");
	is_near(loss_pct(3, 10), 30, 1e-12, "Loss%% = lost / sent");
	is_near(loss_pct(10, 10), 100, 0, "all lost");

	wilson_interval(0, 10, WILSON_Z95, &lo, &hi);
	is_near(lo, 0, 0, "Wilson 0/10 low");
	is_near(hi, 0.2775327999, 1e-9, "Wilson 0/10 high");
	wilson_interval(5, 10, WILSON_Z95, &lo, &hi);
	is_near(lo, 0.2365930905, 1e-9, "Wilson 5/10 low");
	is_near(hi, 0.7634069095, 1e-9, "Wilson 5/10 high");
	wilson_interval(40, 100, WILSON_Z95, &lo, &hi);
	is_near(lo, 0.3094012864, 1e-9, "Wilson 40/100 low");
	is_near(hi, 0.4979974132, 1e-9, "Wilson 40/100 high");
	wilson_interval(10, 10, WILSON_Z95, &lo, &hi);
	is_near(lo, 0.7224672001, 1e-9, "Wilson 10/10 low");
	is_near(hi, 1, 0, "Wilson 10/10 high is exactly 1");
	wilson_interval(1, 1000, WILSON_Z95, &lo, &hi);
	is_near(lo, 0.0001765464, 1e-9, "Wilson 1/1000 low");
	is_near(hi, 0.0056425586, 1e-9, "Wilson 1/1000 high");
	wilson_interval(0, 0, WILSON_Z95, &lo, &hi);
	ok(lo == 0 && hi == 1, "Wilson with no samples is [0, 1]");
	wilson_interval(12, 10, WILSON_Z95, &lo, &hi);
	ok(lo >= 0 && hi == 1, "Wilson clamps k > n");
}

static void test_fisher(void)
{
	is_near(fisher_greater(3, 3, 0, 3), 0.05, 1e-12, "Fisher 3/3 vs 0/3");
	is_near(fisher_greater(15, 23, 0, 6), 0.00632183908046, 1e-12, "Fisher 15/23 vs 0/6");
	is_near(fisher_greater(14, 22, 0, 6), 0.00797101449275, 1e-12, "Fisher 14/22 vs 0/6");
	is_near(fisher_greater(40, 100, 20, 100), 0.00159590841296, 1e-12,
		"Fisher 40/100 vs 20/100");
	is_near(fisher_greater(20, 50, 40, 100), 0.56857600368, 1e-10, "Fisher 20/50 vs 40/100");
	is_near(fisher_greater(1, 3, 0, 50), 0.0566037735849, 1e-12, "Fisher 1/3 vs 0/50");
	is_near(fisher_greater(9, 15, 0, 30), 5.64794426931e-06, 1e-15, "Fisher 9/15 vs 0/30");
	is_near(fisher_greater(500, 1000, 450, 1000), 0.0141017844521, 1e-10,
		"Fisher 500/1000 vs 450/1000 (large counts)");
	is_near(fisher_greater(0, 10, 5, 10), 1, 1e-12, "no loss in group 1: p = 1");
	is_near(fisher_greater(5, 0, 1, 10), 1, 0, "empty group 1: p = 1");
	is_near(fisher_greater(5, 10, 1, 0), 1, 0, "empty group 2: p = 1");
	ok(fisher_greater(100000, 100000, 0, 100000) < 1e-300, "huge counts do not overflow");

	/*
	 * A long run: a tail far below its expectation is nearly certain. Summed from its own
	 * first term, which underflows to 0 here, it came out 0 ("significant") instead.
	 */
	is_near(fisher_greater(0, 3000, 1500, 3000), 1, 1e-12, "Fisher 0/3000 vs 1500/3000 is 1");
	is_near(fisher_greater(1, 3000, 1500, 3000), 1, 1e-12, "Fisher 1/3000 vs 1500/3000 is 1");
	is_near(fisher_greater(0, 3000, 900, 3000), 1, 1e-12, "Fisher 0/3000 vs 900/3000 is 1");
	is_near(fisher_greater(900, 3000, 1800, 6000), 0.509299699521218, 1e-10,
		"Fisher 900/3000 vs 1800/6000 (equal rates) is about a half");
	is_near(fisher_greater(2, 80000, 0, 6000), 0.865331857563514, 1e-10,
		"Fisher 2/80000 vs 0/6000");
	is_near(fisher_greater(1000, 100000, 30, 6000), 2.04867242616129e-05, 1e-13,
		"Fisher 1000/100000 vs 30/6000");
	is_near(fisher_greater(900, 3000, 0, 3000) / 2.79124110759427e-306, 1, 1e-8,
		"Fisher 900/3000 vs 0/3000: tiny, not flushed to 0");
}

static void test_binom(void)
{
	is_near(binom_greater(8, 30, 0.01), 4.81023596498e-10, 1e-19, "binomial 8 of 30 at 1%%");
	is_near(binom_greater(1, 100, 0.01), 0.633967658727, 1e-11, "binomial 1 of 100 at 1%%");
	is_near(binom_greater(3, 100, 0.01), 0.0793732022522, 1e-12, "binomial 3 of 100 at 1%%");
	is_near(binom_greater(5, 50, 0.01), 0.000145689268072, 1e-15, "binomial 5 of 50 at 1%%");
	is_near(binom_greater(10, 10, 0.5), 0.0009765625, 1e-15, "binomial 10 of 10 at 50%%");
	is_near(binom_greater(40, 100, 0.01), 7.63412293455e-53, 1e-62,
		"binomial 40 of 100 at 1%%");
	is_near(binom_greater(0, 10, 0.01), 1, 0, "binomial: at least 0 is certain");
	is_near(binom_greater(11, 10, 0.5), 0, 0, "binomial: more than n is impossible");
	is_near(binom_greater(3, 10, 0), 0, 0, "binomial: nothing happens at p = 0");

	/*
	 * Long runs: counts far below the mean are nearly certain, not 0 (underflow). At these
	 * sizes lgamma's differences carry ~1e-10 of rounding: the tolerance says so.
	 */
	is_near(binom_greater(1, 100000, 0.01), 1, 1e-9, "binomial 1 of 100000 at 1%% is 1");
	is_near(binom_greater(2, 80000, 0.01), 1, 1e-9, "binomial 2 of 80000 at 1%% is 1");
	is_near(binom_greater(900, 100000, 0.01), 0.999410951054519, 1e-9,
		"binomial 900 of 100000 at 1%%");
	is_near(binom_greater(1000, 100000, 0.01), 0.504268687972112, 1e-9,
		"binomial 1000 of 100000 at 1%% (the mean)");
	is_near(binom_greater(1100, 100000, 0.01), 0.000911780341245109, 1e-13,
		"binomial 1100 of 100000 at 1%%");
}

static void test_detectable(void)
{
	/* P(X >= 3) = 5.4e-5 for 8 probes at 1%, P(X >= 2) = 2.7e-3: 3 of 8. */
	is_near(probe_min_detectable(8, 1e-3), 3 / 8.0, 1e-12,
		"8 probes (udp's default at the destination): 3 lost, 37.5%%");
	is_near(probe_min_detectable(200, 1e-3), 9 / 200.0, 1e-12,
		"200 probes (icmp's default): 9 lost, 4.5%%");
	is_near(probe_min_detectable(100, 1e-3), 6 / 100.0, 1e-12, "100 probes: 6 lost");
	is_near(probe_min_detectable(1, 1e-3), 1, 0, "1 probe: nothing can be told");
	is_near(probe_min_detectable(0, 1e-3), 1, 0, "no probes: nothing");
	ok(probe_min_detectable(1000000, 1e-3) < 0.0105, "a million probes: just above 1%%");
}

int main(void)
{
	test_rtt();
	test_loss();
	test_fisher();
	test_binom();
	test_detectable();
	return done_testing();
}
