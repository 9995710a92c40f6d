// SPDX-License-Identifier: GPL-2.0
/* The verdict from constructed evidence: each outcome, its confidence, and its sentence. */
#include "tap.h"
#include "diagnose_verdict.h"

static struct verdict_input healthy(void)
{
	struct verdict_input in;

	memset(&in, 0, sizeof(in));
	in.duration_s = 10;
	in.reached = true;
	in.any_hop_answered = true;
	in.dest_sent = 200;
	in.dest_loss_lo = 0;
	in.dest_loss_hi = 1.9;
	in.probes_sent = 260;
	in.tracer_ok = true;
	return in;
}

static struct verdict decide(const struct verdict_input *in)
{
	struct verdict v;

	verdict_decide(in, &v);
	return v;
}

int main(void)
{
	struct verdict_input in = healthy();
	struct verdict v = decide(&in);

	is_str(verdict_name(v.kind), "none", "a clean path and a quiet host: none");
	is_str(confidence_name(v.confidence), "high", "200 answered probes: high confidence");
	ok(strstr(v.summary, "No loss") != NULL, "the sentence says so: %s", v.summary);

	in.rate_limited_hops = 1;
	v = decide(&in);
	is_str(verdict_name(v.kind), "none", "a rate-limiting hop alone is no loss");
	ok(strstr(v.summary, "rate-limits its ICMP") != NULL, "and is named as such");

	/* Without the tracer (no BTF), this host's drops were never looked at. */
	in = healthy();
	in.tracer_ok = false;
	v = decide(&in);
	is_str(verdict_name(v.kind), "none", "no tracer, a clean path: still none");
	ok(!strstr(v.summary, "drops nothing"), "but it does not claim this server drops nothing: %s",
	   v.summary);
	ok(strstr(v.summary, "No loss on the path") && strstr(v.summary, "cannot be ruled out"),
	   "it says the path is clean and this server's drops are unknown");
	is_str(confidence_name(v.confidence), "medium", "so high confidence is not earned");
	in.retransmits = 30;
	v = decide(&in);
	is_str(verdict_name(v.kind), "network", "no tracer, retransmissions: network");
	ok(!strstr(v.summary, "dropped nothing") && !strstr(v.summary, "drops none"),
	   "without claiming this server dropped nothing: %s", v.summary);
	in = healthy();
	in.events_lost = 3;
	v = decide(&in);
	ok(!strstr(v.summary, "drops nothing") && strstr(v.summary, "fully ruled out"),
	   "lost tracer reports: no claim of nothing either: %s", v.summary);

	in = healthy();
	in.network_loss = true;
	in.dest_lost = 60;
	in.dest_loss_lo = 24;
	in.dest_loss_hi = 36;
	in.origin_ttl = 3;
	snprintf(in.origin_addr, sizeof(in.origin_addr), "10.77.2.2");
	in.origin_loss_pct = 30;
	v = decide(&in);
	is_str(verdict_name(v.kind), "network", "loss from hop 3 on: network");
	is_str(confidence_name(v.confidence), "high", "60 of 200 lost: high");
	ok(strstr(v.summary, "hop 3 (10.77.2.2)") != NULL, "the hop is named: %s", v.summary);

	in.replies_lost_on_ingress = 40;
	in.ingress_reason = "NETFILTER_DROP";
	v = decide(&in);
	is_str(verdict_name(v.kind), "both", "host drops plus path loss: both");
	ok(strstr(v.summary, "NETFILTER_DROP") && strstr(v.summary, "hop 3"),
	   "both causes are named: %s", v.summary);

	in = healthy();
	in.replies_lost_on_ingress = 40;
	in.ingress_reason = "NETFILTER_DROP";
	in.host_drops = 40;
	v = decide(&in);
	is_str(verdict_name(v.kind), "server", "replies dropped by this host's firewall: server");
	ok(strstr(v.summary, "40 replies on the way in (NETFILTER_DROP)") != NULL,
	   "the replies and the reason: %s", v.summary);

	in = healthy();
	in.lost_on_egress = 2;
	in.egress_reason = "QDISC_DROP";
	v = decide(&in);
	is_str(verdict_name(v.kind), "none", "a stray drop or two of the probes is no verdict");
	in.lost_on_egress = 5;
	v = decide(&in);
	is_str(verdict_name(v.kind), "server", "five of 260 probes dropped here are this host's loss");
	is_str(confidence_name(v.confidence), "medium", "with medium confidence");
	in.probes_sent = 1000;
	v = decide(&in);
	is_str(verdict_name(v.kind), "none", "but not five of 1000 (under 1%%)");

	/* Without the tracer, a loss from hop 1 may be this host dropping replies. */
	in = healthy();
	in.network_loss = true;
	in.dest_lost = 60;
	in.dest_loss_lo = 24;
	in.origin_ttl = 1;
	in.origin_loss_pct = 30;
	in.tracer_ok = false;
	v = decide(&in);
	is_str(verdict_name(v.kind), "network", "no tracer: the path is still blamed");
	is_str(confidence_name(v.confidence), "low", "but loss from hop 1 gets low confidence");
	ok(strstr(v.summary, "cannot be ruled out") != NULL, "and says why: %s", v.summary);
	in.origin_ttl = 3;
	v = decide(&in);
	is_str(confidence_name(v.confidence), "medium", "from hop 3: medium at most");
	in.tracer_ok = true;
	in.events_lost = 4;
	v = decide(&in);
	is_str(confidence_name(v.confidence), "medium", "lost tracer reports cap it too");

	/* A target that never answers, behind a path that loses. */
	in = healthy();
	in.reached = false;
	in.network_loss = true;
	in.dest_lost = 60;
	in.origin_ttl = 2;
	in.origin_loss_pct = 40;
	v = decide(&in);
	is_str(verdict_name(v.kind), "network", "the path's loss stands when the target is silent");
	ok(strstr(v.summary, "never answered") != NULL, "and the silence is said: %s", v.summary);
	snprintf(in.unreachable, sizeof(in.unreachable), "network unreachable from 10.77.0.2");
	v = decide(&in);
	is_str(verdict_name(v.kind), "inconclusive",
	       "an unreachable target stays inconclusive whatever the rows before it show");

	/* With all flows, retransmissions count as a share of what was sent. */
	in = healthy();
	in.all_flows = true;
	in.retransmits = 30;
	in.tcp_out_segs = 100000;
	v = decide(&in);
	is_str(verdict_name(v.kind), "none", "30 of 100000 segments retransmitted: background");
	in.tcp_out_segs = 2000;
	v = decide(&in);
	is_str(verdict_name(v.kind), "network", "30 of 2000 (1.5%%): the path");

	in = healthy();
	in.host_drops = 500;
	snprintf(in.cause.reason, sizeof(in.cause.reason), "SOCKET_RCVBUFF");
	snprintf(in.cause.where, sizeof(in.cause.where), "udp:5555");
	in.cause.count = 500;
	in.cause.rate = 50;
	v = decide(&in);
	is_str(verdict_name(v.kind), "server", "a socket overflowing on a clean path: server");
	ok(strstr(v.summary, "SOCKET_RCVBUFF (500, 50.0/s at udp:5555)") != NULL,
	   "the reason, rate and socket: %s", v.summary);

	in = healthy();
	in.host_drops = VERDICT_MIN_HOST_DROPS - 1;
	v = decide(&in);
	is_str(verdict_name(v.kind), "none", "a handful of drops is below the threshold");

	in = healthy();
	in.serious_findings = 1;
	in.finding_id = "nic_rx_missed";
	v = decide(&in);
	is_str(verdict_name(v.kind), "server", "a NIC dropping in hardware is this host's loss");
	ok(strstr(v.summary, "nic_rx_missed") != NULL, "named by its finding");

	in = healthy();
	in.retransmits = 30;
	v = decide(&in);
	is_str(verdict_name(v.kind), "network", "retransmissions while the host drops nothing");
	is_str(confidence_name(v.confidence), "low", "with low confidence without probe loss");
	in.host_drops = 50;
	v = decide(&in);
	is_str(verdict_name(v.kind), "server", "retransmissions with host drops point at the host");

	in = healthy();
	in.reached = false;
	in.any_hop_answered = true;
	snprintf(in.unreachable, sizeof(in.unreachable), "network unreachable from 10.77.0.2");
	v = decide(&in);
	is_str(verdict_name(v.kind), "inconclusive", "unreachable target: inconclusive");
	ok(strstr(v.why, "network unreachable from 10.77.0.2") != NULL, "why: %s", v.why);
	in.unreachable[0] = '\0';
	in.any_hop_answered = false;
	v = decide(&in);
	ok(strstr(v.why, "no hop answered") != NULL, "no answer at all: %s", v.why);
	in.path_unmeasured = true;
	v = decide(&in);
	is_str(verdict_name(v.kind), "inconclusive", "a failed prober: inconclusive");
	ok(strstr(v.why, "not measured") != NULL && !strstr(v.why, "unreachable"),
	   "and it says the path was not measured, not that the target is unreachable: %s", v.why);
	in.path_unmeasured = false;
	in.replies_lost_on_ingress = 200;
	in.ingress_reason = "NETFILTER_DROP";
	v = decide(&in);
	is_str(verdict_name(v.kind), "server", "no answer because this host drops them all: server");

	in = healthy();
	in.dest_sent = 4;
	v = decide(&in);
	is_str(verdict_name(v.kind), "inconclusive", "too few probes: inconclusive");
	ok(strstr(v.why, "too few probes") != NULL, "why: %s", v.why);

	in = healthy();
	in.network_loss = true;
	in.origin_at_destination = true;
	in.origin_ttl = 4;
	snprintf(in.origin_addr, sizeof(in.origin_addr), "10.77.3.2");
	in.origin_loss_pct = 20;
	in.dest_lost = 40;
	in.dest_loss_lo = 15;
	v = decide(&in);
	is_str(verdict_name(v.kind), "network", "a lossy destination is network-side");
	ok(strstr(v.summary, "destination 10.77.3.2 itself") != NULL, "and says it: %s", v.summary);
	/* Exit codes: one per verdict, distinct, above 2 but for none, and back. */
	is_int(verdict_exit_code(VERDICT_NONE), 0, "exit: none is 0");
	is_int(verdict_exit_code(VERDICT_SERVER), 3, "exit: server is 3");
	is_int(verdict_exit_code(VERDICT_NETWORK), 4, "exit: network is 4");
	is_int(verdict_exit_code(VERDICT_BOTH), 5, "exit: both is 5");
	is_int(verdict_exit_code(VERDICT_INCONCLUSIVE), 6, "exit: inconclusive is 6");
	for (int k = VERDICT_NONE; k <= VERDICT_INCONCLUSIVE; k++)
		is_int(verdict_of_exit_code(verdict_exit_code(k)), k, "exit: %s and back",
		       verdict_name(k));
	is_int(verdict_of_exit_code(1), -1, "exit: 1 (a failure) is no verdict");
	is_int(verdict_of_exit_code(2), -1, "exit: 2 (bad input) is no verdict");
	/* demo: 0 for its scenario's verdict, 8 for another after a whole run, the verdict's own
	 * code after a run cut short, failures as they are. */
	is_int(verdict_demo_exit(3, VERDICT_SERVER, false), 0, "demo: the expected verdict: 0");
	is_int(verdict_demo_exit(0, VERDICT_SERVER, false), 8, "demo: another verdict: 8");
	is_int(verdict_demo_exit(6, VERDICT_SERVER, true), 6,
	       "demo: another verdict from a run cut short: its own code, not 8");
	is_int(verdict_demo_exit(3, VERDICT_SERVER, true), 0, "demo: cut short, yet expected: 0");
	is_int(verdict_demo_exit(1, VERDICT_NONE, false), 1, "demo: a failure stays 1");
	is_int(verdict_demo_exit(2, VERDICT_NONE, false), 2, "demo: bad input stays 2");
	return done_testing();
}
