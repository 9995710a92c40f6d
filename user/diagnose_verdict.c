// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "diagnose_verdict.h"

const char *verdict_name(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_NONE:
		return "none";
	case VERDICT_SERVER:
		return "server";
	case VERDICT_NETWORK:
		return "network";
	case VERDICT_BOTH:
		return "both";
	default:
		return "inconclusive";
	}
}

const char *confidence_name(enum confidence c)
{
	return c == CONF_HIGH ? "high" : c == CONF_MEDIUM ? "medium" : "low";
}

static uint64_t probe_host_losses(const struct verdict_input *in)
{
	return in->lost_on_egress + in->replies_lost_on_ingress;
}

/* Enough of the prober's packets dropped here to be more than a stray drop: at least a few,
 * and 1% of the probes. */
static bool probe_losses_matter(const struct verdict_input *in)
{
	uint64_t p = probe_host_losses(in);

	return p >= VERDICT_MIN_PROBE_DROPS && p * 100 >= in->probes_sent;
}

/* Loss this host causes: the prober's own packets dropped here, drops that are loss, or a
 * counter that says so (a NIC ring drops in hardware, unseen by the tracer). */
static bool host_side(const struct verdict_input *in)
{
	return probe_losses_matter(in) || in->host_drops >= VERDICT_MIN_HOST_DROPS ||
	       in->serious_findings > 0;
}

/* TCP retransmissions that point at the path: enough of them, and with all flows a share of
 * what was sent (any busy host retransmits a few). */
static bool retransmits_matter(const struct verdict_input *in)
{
	if (in->retransmits < VERDICT_MIN_RETRANS)
		return false;
	return !in->all_flows || !in->tcp_out_segs || in->retransmits * 100 >= in->tcp_out_segs;
}

static enum confidence host_confidence(const struct verdict_input *in)
{
	uint64_t p = probe_host_losses(in);

	if (p >= 10 || in->host_drops >= 100)
		return CONF_HIGH;
	if (p >= 3 || in->host_drops >= VERDICT_MIN_HOST_DROPS || in->serious_findings)
		return CONF_MEDIUM;
	return CONF_LOW;
}

static enum confidence network_confidence(const struct verdict_input *in)
{
	enum confidence c;

	if (!in->network_loss)
		return CONF_LOW; /* retransmissions alone */
	if (in->dest_lost >= 10 && in->dest_loss_lo >= 1.0)
		c = CONF_HIGH;
	else
		c = in->dest_lost >= 3 ? CONF_MEDIUM : CONF_LOW;
	/* Without the tracer (or with its reports lost), this host's own drops of the prober's
	 * packets look like path loss: loss from the first hop may well be this host's. */
	if (!in->tracer_ok || in->events_lost) {
		enum confidence cap = in->origin_ttl <= 1 ? CONF_LOW : CONF_MEDIUM;

		if (c > cap)
			c = cap;
	}
	return c;
}

static enum confidence none_confidence(const struct verdict_input *in)
{
	enum confidence c = in->dest_sent >= 30 ? CONF_MEDIUM : CONF_LOW;

	if (in->dest_sent >= 100 && in->dest_loss_hi < 5.0)
		c = CONF_HIGH;
	/* Half the claim (this host drops nothing) rests on the tracer: without all of its
	 * reports, only the path was measured. */
	if ((!in->tracer_ok || in->events_lost) && c > CONF_MEDIUM)
		c = CONF_MEDIUM;
	return c;
}

/* "this server drops SOCKET_RCVBUFF (120.0/s at udp:5555)" and the like, into buf. */
static void describe_host(const struct verdict_input *in, char *buf, size_t size)
{
	uint64_t p = probe_host_losses(in);
	int n = 0;

	if (probe_losses_matter(in)) {
		n = snprintf(buf, size, "this server dropped %llu of the prober's packets",
			     (unsigned long long)p);
		if (in->lost_on_egress && in->egress_reason)
			n += snprintf(buf + n, size - n, ", %llu probes on the way out (%s)",
				      (unsigned long long)in->lost_on_egress, in->egress_reason);
		if (in->replies_lost_on_ingress && in->ingress_reason && (size_t)n < size)
			n += snprintf(buf + n, size - n, ", %llu replies on the way in (%s)",
				      (unsigned long long)in->replies_lost_on_ingress,
				      in->ingress_reason);
	}
	if ((size_t)n >= size)
		return;
	if (in->host_drops >= VERDICT_MIN_HOST_DROPS && in->cause.count) {
		n += snprintf(buf + n, size - n, "%sthis server drops %s (%llu, %.1f/s%s%s)",
			      n ? "; " : "", in->cause.reason, (unsigned long long)in->cause.count,
			      in->cause.rate, in->cause.where[0] ? " at " : "", in->cause.where);
	} else if (!probe_losses_matter(in) && in->serious_findings && in->finding_id) {
		n += snprintf(buf + n, size - n, "this server's counters show %s", in->finding_id);
	}
	(void)n;
}

static void describe_network(const struct verdict_input *in, char *buf, size_t size)
{
	int n;

	if (!in->network_loss) {
		/* Without the tracer, host_clause says this server was not looked at. */
		snprintf(buf, size,
			 "%llu TCP retransmissions%s point to the path, though the probes saw no loss",
			 (unsigned long long)in->retransmits,
			 in->tracer_ok ? " while this server dropped nothing" : "");
		return;
	}
	if (in->origin_at_destination)
		n = snprintf(buf, size, "the destination %s itself loses %.1f%% of the probes (hop "
			     "%u); the path before it does not",
			     in->origin_addr[0] ? in->origin_addr : "?", in->origin_loss_pct,
			     in->origin_ttl);
	else
		n = snprintf(buf, size, "the path loses %.1f%% of the probes from hop %u (%s) on",
			     in->origin_loss_pct, in->origin_ttl,
			     in->origin_addr[0] ? in->origin_addr : "no answer");
	if (!in->reached && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - n, " (the target itself never answered)");
}

/* What this host's side looks like when the path is blamed (what), or when nothing is (NULL:
 * "nothing that matters"); never "none" unless the tracer saw everything. */
static const char *host_clause(const struct verdict_input *in, const char *what)
{
	if (!in->tracer_ok)
		return "the kernel tracer did not run, so this server's own drops cannot be ruled out";
	if (in->events_lost)
		return "some of the tracer's reports were lost, so this server's own drops cannot be "
		       "fully ruled out";
	return what ? what : "this server drops nothing that matters";
}

void verdict_decide(const struct verdict_input *in, struct verdict *out)
{
	bool host = host_side(in);
	bool net = in->network_loss || (retransmits_matter(in) && !host);
	char h[320] = "", n[256] = "", limited[96] = "";

	memset(out, 0, sizeof(*out));
	if (in->rate_limited_hops)
		snprintf(limited, sizeof(limited), "; %u hop%s only rate-limit%s ICMP, not loss",
			 in->rate_limited_hops, in->rate_limited_hops == 1 ? "" : "s",
			 in->rate_limited_hops == 1 ? "s its" : " their");

	/* Unreachable, or silent with nothing here or on the path to explain it: the path cannot
	 * be judged. (A silent target behind a path that loses is the path's loss.) */
	if (!in->reached && !host && (in->unreachable[0] || !in->network_loss)) {
		out->kind = VERDICT_INCONCLUSIVE;
		out->confidence = CONF_LOW;
		if (in->path_unmeasured)
			snprintf(out->why, sizeof(out->why),
				 "the path was not measured: the prober's process failed");
		else if (in->unreachable[0])
			snprintf(out->why, sizeof(out->why), "target unreachable: %s", in->unreachable);
		else if (!in->any_hop_answered)
			snprintf(out->why, sizeof(out->why),
				 "target unreachable: no hop answered");
		else
			snprintf(out->why, sizeof(out->why),
				 "the target never answered (it may filter the probes: try --proto "
				 "tcp --port 443)");
		snprintf(out->summary, sizeof(out->summary), "Inconclusive: %s.", out->why);
		return;
	}
	if (!host && !net && in->dest_sent < VERDICT_MIN_DEST_PROBES) {
		out->kind = VERDICT_INCONCLUSIVE;
		out->confidence = CONF_LOW;
		snprintf(out->why, sizeof(out->why),
			 "too few probes: %llu to the destination, %d needed (run longer)",
			 (unsigned long long)in->dest_sent, VERDICT_MIN_DEST_PROBES);
		snprintf(out->summary, sizeof(out->summary), "Inconclusive: %s.", out->why);
		return;
	}

	if (host)
		describe_host(in, h, sizeof(h));
	if (net)
		describe_network(in, n, sizeof(n));
	if (host && net) {
		enum confidence a = host_confidence(in), b = network_confidence(in);

		out->kind = VERDICT_BOTH;
		out->confidence = a < b ? a : b;
		snprintf(out->summary, sizeof(out->summary), "Loss on both sides: %s; and %s%s.", h,
			 n, limited);
	} else if (host) {
		out->kind = VERDICT_SERVER;
		out->confidence = host_confidence(in);
		snprintf(out->summary, sizeof(out->summary),
			 "Loss is on this server: %s; the network path loses %s%s.", h,
			 in->dest_lost ? "nothing beyond that" : "nothing", limited);
	} else if (net) {
		out->kind = VERDICT_NETWORK;
		out->confidence = network_confidence(in);
		snprintf(out->summary, sizeof(out->summary), "Loss is in the network: %s%s; %s.", n,
			 limited, host_clause(in, "this server drops none of it"));
	} else {
		out->kind = VERDICT_NONE;
		out->confidence = none_confidence(in);
		snprintf(out->summary, sizeof(out->summary),
			 "No loss%s: %llu of %llu probes to the destination answered (loss under "
			 "%.1f%% at 95%%), and %s%s.",
			 in->tracer_ok && !in->events_lost ? "" : " on the path",
			 (unsigned long long)(in->dest_sent - in->dest_lost),
			 (unsigned long long)in->dest_sent, in->dest_loss_hi, host_clause(in, NULL),
			 limited);
	}
}

int verdict_exit_code(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_SERVER:
		return DS_EXIT_SERVER;
	case VERDICT_NETWORK:
		return DS_EXIT_NETWORK;
	case VERDICT_BOTH:
		return DS_EXIT_BOTH;
	case VERDICT_INCONCLUSIVE:
		return DS_EXIT_INCONCLUSIVE;
	default:
		return DS_EXIT_OK;
	}
}

int verdict_of_exit_code(int code)
{
	for (int k = VERDICT_NONE; k <= VERDICT_INCONCLUSIVE; k++)
		if (verdict_exit_code(k) == code)
			return k;
	return -1;
}

int verdict_demo_exit(int rc, enum verdict_kind want, bool interrupted)
{
	int k = verdict_of_exit_code(rc);

	if (k < 0)
		return rc;
	if ((enum verdict_kind)k == want)
		return DS_EXIT_OK;
	return interrupted ? rc : DS_EXIT_UNEXPECTED;
}
