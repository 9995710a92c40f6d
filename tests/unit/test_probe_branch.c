// SPDX-License-Identifier: GPL-2.0
/*
 * Multipath statistics: MDA's stopping rule against the published table, and loss per branch
 * (probe_branch_attribute) on constructed counts: a lossy branch is named with where its loss
 * starts, chance differences and a branch whose router rations its ICMP are not.
 */
#include <stdint.h>

#include "probe_stats.h"
#include "tap.h"

#define ROWS 4

/* Group g's row k: sent fast probes, lost of them. */
static void cell(struct hop_counts *h, size_t g, size_t k, uint64_t sent, uint64_t lost)
{
	struct hop_counts *c = &h[g * ROWS + k];

	memset(c, 0, sizeof(*c));
	c->fast_sent = sent;
	c->fast_lost = lost;
	c->replied = lost < sent;
}

/* Every group clean on every row. */
static void clean(struct hop_counts *h, size_t ngroups, uint64_t sent)
{
	for (size_t g = 0; g < ngroups; g++)
		for (size_t k = 0; k < ROWS; k++)
			cell(h, g, k, k + 1 == ROWS ? 2 * sent : sent, 0);
}

static void test_mda(void)
{
	/* Augustin et al.'s table at 95%: the flows to see before ruling out one more next hop. */
	static const unsigned int table[] = {1, 6, 11, 16, 21, 27, 33, 38, 44, 51, 57};

	for (unsigned int k = 0; k < sizeof(table) / sizeof(table[0]); k++)
		is_int(probe_mda_flows(k, PROBE_MDA_ALPHA), table[k],
		       "MDA: %u next hops seen: %u flows", k, table[k]);
	is_int(probe_mda_flows(1, 0.01), 8, "MDA at 99%%: 8 flows to rule out a second next hop");
	is_int(probe_mda_flows(1, 0), 0, "MDA: no confidence level, no answer");
}

static void test_branch(void)
{
	struct hop_counts h[3 * ROWS];
	struct branch_verdict b;

	/* Two branches split at row 1 (hop 2); group 0 loses 15% from row 2 (hop 3) on. */
	clean(h, 2, 200);
	cell(h, 0, 2, 200, 30);
	cell(h, 0, 3, 400, 60);
	is_int(probe_branch_attribute(h, 2, ROWS, 1e-3, &b), 0,
	       "15%% on one of two: branch 0 named");
	is_int(b.origin, 2, "its loss starts at row 2");
	is_int((int)b.lost, 90, "its lost probes from there on counted");
	is_int((int)b.other_lost, 0, "the other branch lost none");
	ok(b.p < 1e-3 / 2, "significant beyond the level for two groups (p %g)", b.p);

	/* The same loss on the second of three. */
	clean(h, 3, 200);
	cell(h, 1, 2, 200, 30);
	cell(h, 1, 3, 400, 60);
	is_int(probe_branch_attribute(h, 3, ROWS, 1e-3, &b), 1, "one of three: branch 1 named");

	/* Both lose alike (the loss is after the join, or everywhere): no branch to name. */
	clean(h, 2, 200);
	for (size_t g = 0; g < 2; g++) {
		cell(h, g, 2, 200, 30);
		cell(h, g, 3, 400, 60);
	}
	is_int(probe_branch_attribute(h, 2, ROWS, 1e-3, &b), -1, "equal loss on both: none named");

	/* Chance: 2 of 200 against 0. */
	clean(h, 2, 200);
	cell(h, 0, 3, 400, 3);
	is_int(probe_branch_attribute(h, 2, ROWS, 1e-3, &b), -1, "3 of 400 against 0: chance");

	/* Branch 0's router rations its ICMP: its own row loses, nothing after it does. */
	clean(h, 2, 200);
	cell(h, 0, 1, 200, 120);
	is_int(probe_branch_attribute(h, 2, ROWS, 1e-3, &b), -1,
	       "a rate-limited router on one branch: not loss");

	/* Too few probes per branch to tell 15% from none. */
	clean(h, 2, 10);
	cell(h, 0, 2, 10, 1);
	cell(h, 0, 3, 20, 3);
	is_int(probe_branch_attribute(h, 2, ROWS, 1e-3, &b), -1, "10 probes a branch: no verdict");

	is_int(probe_branch_attribute(h, 1, ROWS, 1e-3, &b), -1, "one group: nothing to compare");
}

int main(void)
{
	test_mda();
	test_branch();
	return done_testing();
}
