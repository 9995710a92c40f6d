// SPDX-License-Identifier: GPL-2.0
/* Where each lost probe was lost, from the drops the tracer saw. */
#include "diagnose_fate.h"
#include "tap.h"

int main(void)
{
	struct probe_info p[9] = {
		{ .settled = true },
		{ .settled = true, .lost = true },
		{ .settled = true, .lost = true },
		{ .settled = true, .lost = true },
		{ .settled = true, .lost = true },
		{ .settled = true, .lost = true },
		{ .settled = true },
		{ .settled = true, .lost = true, .send_errno = 1 },
		{ .settled = false }, /* still in flight when the run ended */
	};
	struct seen_drop d[] = {
		{ .index = 1, .reply = false, .here = true, .reason = 64 }, /* probe 1 out: qdisc */
		{ .index = 1, .reply = true, .here = true, .reason = 12 },  /* and an answer: weaker */
		{ .index = 2, .reply = true, .here = true, .reason = 12 },  /* answer dropped in */
		{ .index = 3, .reply = true, .here = true, .reason = 12 },
		{ .index = 4, .reply = false, .here = false, .netns = 7, .reason = 12 }, /* another ns */
		{ .index = 6, .reply = true, .here = true, .reason = 12 },  /* answered: a duplicate */
		{ .index = 42, .reply = false, .here = true, .reason = 64 }, /* not a probe of ours */
		{ .index = -1, .reply = false, .here = true, .reason = 64 },
		{ .index = 3, .reply = true, .here = true, .reason = 6 },
		{ .index = 8, .reply = true, .here = true, .reason = 12 }, /* in flight: no fate */
	};
	enum probe_fate f[9];
	struct fate_totals t;

	probe_fates(p, 9, d, sizeof(d) / sizeof(d[0]), f, &t);
	is_int(f[0], FATE_ANSWERED, "answered");
	is_int(f[1], FATE_EGRESS, "dropped on the way out beats its answer dropped on the way in");
	is_int(f[2], FATE_INGRESS, "the answer dropped on the way in");
	is_int(f[4], FATE_OTHER_NS, "dropped in another namespace");
	is_int(f[5], FATE_NETWORK, "lost with nothing seen: the network");
	is_int(f[6], FATE_ANSWERED, "an answered probe stays answered");
	is_int(f[7], FATE_REFUSED, "a refused send with no drop seen");
	is_int(f[8], FATE_IN_FLIGHT, "a probe in flight at the end stays in flight");
	is_int(t.in_flight, 1, "and is counted apart");
	is_int(t.sent, 8, "sent: settled probes only");
	is_int(t.lost, 6, "lost");
	is_int(t.egress, 1, "egress");
	is_int(t.ingress, 2, "ingress");
	is_int(t.other_ns, 1, "other namespaces");
	is_int(t.network, 1, "network");
	is_int(t.refused, 1, "refused");
	is_int(t.egress_reason, 64, "egress reason");
	is_int(t.ingress_reason, 12, "the most frequent ingress reason");
	is_str(probe_fate_name(FATE_INGRESS), "host ingress", "names");

	probe_fates(p, 9, NULL, 0, f, &t);
	is_int(t.network, 5, "no drops seen: every loss but the refused send is the network's");
	is_int(t.egress_reason, 0, "no reason");

	/* A target that filters the other flows' port: marked probes lost in the network are not. */
	{
		bool at_target[9] = { [0] = true, [1] = true, [4] = true, [5] = true, [7] = true,
				      [8] = true };

		probe_fates(p, 9, d, sizeof(d) / sizeof(d[0]), f, &t);
		probe_fates_filtered(at_target, 9, d, sizeof(d) / sizeof(d[0]), f, &t);
		is_int(f[5], FATE_FILTERED, "lost at a filtering target, nothing seen: filtered");
		is_int(f[4], FATE_FILTERED, "dropped in another namespace (the target's): filtered");
		is_int(f[0], FATE_ANSWERED, "an answered probe there stays answered");
		is_int(f[1], FATE_EGRESS, "one this host dropped stays this host's");
		is_int(f[7], FATE_REFUSED, "a refused send stays refused");
		is_int(f[8], FATE_IN_FLIGHT, "one in flight stays in flight");
		is_int(f[3], FATE_INGRESS, "an unmarked probe keeps its fate");
		is_int(t.filtered, 2, "filtered: 2");
		is_int(t.network, 0, "out of the network's");
		is_int(t.other_ns, 0, "and the other namespaces'");
		is_int(t.lost, 4, "and out of lost");
		is_int(t.sent, 8, "still sent");
		is_str(probe_fate_name(FATE_FILTERED), "filtered by the target", "its name");
	}
	/*
	 * A router on the path is another namespace too (netns 5): it drops a probe one short of
	 * the target (1) and one at the target's row (2); the target (netns 9) drops its filtered
	 * port (3); nothing is seen of 4. Only the target's drop is its filter; the router's stays
	 * loss.
	 */
	{
		struct seen_drop r[] = {
			{ .index = 1, .netns = 5, .reason = 6 },
			{ .index = 2, .netns = 5, .reason = 6 },
			{ .index = 3, .netns = 9, .reason = 6 },
		};
		bool at_target[5] = { [2] = true, [3] = true, [4] = true };
		enum probe_fate g[5];

		probe_fates(p, 5, r, 3, g, &t); /* p[0] answered, p[1..4] lost */
		probe_fates_filtered(at_target, 5, r, 3, g, &t);
		is_int(g[2], FATE_OTHER_NS, "at the target's row, dropped by a router on the path: loss");
		is_int(g[3], FATE_FILTERED, "dropped by the target's namespace: filtered");
		is_int(g[4], FATE_FILTERED, "at the target's row, nothing seen: filtered");
		is_int(g[1], FATE_OTHER_NS, "short of the target: loss");
		is_int(t.other_ns, 2, "other namespaces: the router's 2");
		is_int(t.filtered, 2, "filtered: 2");
		is_int(t.lost, 2, "lost: 2");

		/* An answer dropped by a namespace puts it on the path too. */
		r[0] = (struct seen_drop){ .index = 1, .reply = true, .netns = 9, .reason = 6 };
		probe_fates(p, 5, r, 3, g, &t); /* p[0] answered, p[1..4] lost */
		probe_fates_filtered(at_target, 5, r, 3, g, &t);
		is_int(g[3], FATE_OTHER_NS, "a namespace that dropped an answer is on the path");
	}
	return done_testing();
}
