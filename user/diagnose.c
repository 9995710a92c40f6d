// SPDX-License-Identifier: GPL-2.0
/*
 * dropscope diagnose TARGET: for --duration seconds, the kernel drop tracer (all namespaces,
 * watching the prober's packets), the host counters and the path prober run at once; then:
 *  - every lost probe is placed: dropped here on the way out, its answer dropped here on the way
 *    in, or lost outside (diagnose_fate.c);
 *  - the path's loss is attributed again without the probes this host lost (mtr would blame the
 *    first hop for a host that drops its replies);
 *  - this host's own drops and counters, other namespaces apart, and TCP retransmissions;
 *  - the verdict (diagnose_verdict.c), the evidence, and what to do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "diagnose.h"
#include "trace_table.h"
#include "counters_findings.h"
#include "counters_host.h"
#include "kallsyms.h"
#include "kfeatures.h"
#include "netns.h"
#include "privs.h"
#include "probe_child.h"
#include "probe_report.h"
#include "diagnose_fate.h"
#include "trace_retrans.h"
#include "trace_bpf.h"
#include "util.h"
#include "diagnose_verdict.h"
#include "fix_cmd.h"

#define MAX_ADVICE 48

/* Everything one run gathers. */
struct diag {
	struct diagnose_opts *o;
	struct netns_ref ns;
	uint32_t self_netns; /* the namespace that is "this server" */

	struct probe_child *prober;	   /* the prober, in its unprivileged process */
	struct probe_identity id;	   /* its packets, for the tracer's watch filter */
	const struct probe_report *report; /* with the losses this host caused taken out */
	int prober_err;

	struct tracer *tracer;
	struct reason_table *reasons;
	struct ksyms *ksyms;
	struct ifname_table ifnames;
	struct name_ctx names;
	struct drop_event *events; /* the prober's packets the kernel dropped */
	size_t nevents, cap_events;
	uint64_t events_missed;	   /* more than we keep */

	struct host_counters *before, *after;
	struct host_delta *delta;
	struct finding *findings;
	size_t nfindings;

	struct drop_snapshot drops;
	struct drop_report here, others; /* this host's drops; other namespaces' */
	struct retrans_snapshot retrans;

	enum probe_fate *fates;
	struct fate_totals fate;
	uint64_t excused; /* lost at hops that only rate-limit their ICMP */

	struct verdict_input vin;
	/* What vin.egress_reason / ingress_reason point to: the labels outlive later lookups. */
	char egress_label[64], ingress_label[64];
	struct verdict verdict;
	char advice[MAX_ADVICE][FINDING_FIX_LEN];
	int nadvice;
	double start, seconds;
};

#define MAX_EVENTS 200000

static int on_event(void *ctx, const struct drop_event *e)
{
	struct diag *d = ctx;

	if (!(e->flags & DS_EV_WATCHED))
		return 0;
	if (d->nevents >= MAX_EVENTS ||
	    array_reserve((void **)&d->events, &d->cap_events, d->nevents + 1, sizeof(*e))) {
		d->events_missed++;
		return 0;
	}
	d->events[d->nevents++] = *e;
	return 0;
}

/* --- merging ---------------------------------------------------------------------------- */

/*
 * The probe a drop belongs to: the classifier names the latest probe with the packet's
 * identity; identities repeat every PROBE_ID_SPACE probes, so step back to the latest one sent
 * before the drop (the records and the kernel share CLOCK_MONOTONIC).
 */
static int64_t probe_at(const struct probe_record *rec, int64_t index, uint64_t ts_ns)
{
	while (index >= 0 && rec[index].sent_ns > ts_ns)
		index -= PROBE_ID_SPACE;
	return index;
}

/* Which probe each watched drop belongs to, then each probe's fate. */
static int place_probes(struct diag *d)
{
	const struct probe_record *rec;
	size_t n = probe_child_probes(d->prober, &rec);
	struct probe_info *info = calloc(n + 1, sizeof(*info));
	struct seen_drop *seen = calloc(d->nevents + 1, sizeof(*seen));
	size_t nseen = 0;

	d->fates = calloc(n + 1, sizeof(*d->fates));
	if (!info || !seen || !d->fates) {
		free(info);
		free(seen);
		ds_err("failed to account for the probes: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		info[i].settled = probe_child_settled(d->prober, i);
		info[i].lost = !(rec[i].flags & PROBE_REC_ANSWERED);
		info[i].send_errno = rec[i].send_errno;
	}
	for (size_t k = 0; k < d->nevents; k++) {
		const struct drop_event *e = &d->events[k];
		struct probe_packet pkt;
		char abuf[32];

		/* Protocol-normal drops lose nothing: the kernel drops the destination's answers as
		 * NO_SOCKET after the prober's raw socket took its copy. */
		if (reasons_category_at(d->reasons, e->reason,
					ksyms_name(d->ksyms, e->location, abuf, sizeof(abuf))) ==
		    CAT_NORMAL)
			continue;
		if (probe_child_classify(d->prober, e->data, e->data_len, &pkt) ||
		    pkt.kind == PROBE_PKT_NONE || pkt.index < 0)
			continue;
		seen[nseen].index = probe_at(rec, pkt.index, e->ts_ns);
		seen[nseen].reply = pkt.kind == PROBE_PKT_REPLY;
		seen[nseen].here = e->netns == d->self_netns;
		seen[nseen].reason = e->reason;
		nseen++;
	}
	probe_fates(info, n, seen, nseen, d->fates, &d->fate);
	free(info);
	free(seen);
	return 0;
}

/* The path's report without the probes this host lost (dropped here, or refused by the kernel:
 * either way their fate on the path is unknown). Drops in other namespaces stay: to this host
 * they are as much the network as any router. */
static void correct_path(struct diag *d)
{
	const struct probe_record *rec;
	size_t n = probe_child_probes(d->prober, &rec);
	bool *excluded = calloc(n + 1, sizeof(*excluded));

	for (size_t i = 0; excluded && i < n; i++)
		excluded[i] = d->fates[i] == FATE_EGRESS || d->fates[i] == FATE_INGRESS ||
			      d->fates[i] == FATE_REFUSED;
	d->report = probe_child_report(d->prober, excluded, excluded ? n : 0);
	free(excluded);
	if (!d->report)
		return;
	/* Losses at hops that only ration their ICMP are no one's loss. */
	for (size_t i = 0; i < n; i++) {
		if (d->fates[i] != FATE_NETWORK || (rec[i].flags & PROBE_REC_DEST))
			continue;
		for (size_t h = 0; h < d->report->nhops; h++)
			if (d->report->hops[h].ttl == rec[i].ttl && d->report->hops[h].rate_limited &&
			    !d->report->hops[h].destination)
				d->excused++;
	}
}

static int split_drops(struct diag *d)
{
	struct drop_snapshot here = { 0 }, others = { 0 };
	int err = 0;

	for (size_t i = 0; i < d->drops.n && !err; i++) {
		const struct drop_row *r = &d->drops.rows[i];
		/* A reason's catch-all row has no namespace: it is nobody's loss in particular, and is
		 * listed with the other namespaces' (as "unknown"). */
		bool mine = r->key.netns == d->self_netns && !r->key.folded;

		err = drop_snapshot_add(mine ? &here : &others, &r->key, r->packets, r->bytes);
	}
	if (!err)
		err = drop_report_build(&here, &d->names, &d->here);
	if (!err)
		err = drop_report_build(&others, &d->names, &d->others);
	drop_snapshot_free(&here);
	drop_snapshot_free(&others);
	return err;
}

/* A reason's name; for a number the BTF does not name, in one of two rotating buffers, so copy
 * it if it must outlive the next two calls. */
static const char *reason_label(struct diag *d, uint32_t reason)
{
	static char buf[2][64];
	static int k;

	k ^= 1;
	return reasons_label(d->reasons, reason, buf[k], sizeof(buf[k]));
}

/* Why the kernel refused a send, for the sentence. */
static const char *refused_label(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "send refused: EPERM, a firewall";
	case ENOBUFS:
		return "send refused: ENOBUFS, a full queue";
	default:
		return "send refused by the kernel";
	}
}

static void fill_probe_evidence(struct diag *d, struct verdict_input *in)
{
	const struct probe_record *rec;
	size_t n = probe_child_probes(d->prober, &rec);

	in->probes_sent = d->fate.sent;
	in->probes_lost = d->fate.lost;
	/* A refused send is this host dropping the probe on its way out. */
	in->lost_on_egress = d->fate.egress + d->fate.refused;
	in->replies_lost_on_ingress = d->fate.ingress;
	if (d->fate.ingress_reason) {
		snprintf(d->ingress_label, sizeof(d->ingress_label), "%s",
			 reason_label(d, d->fate.ingress_reason));
		in->ingress_reason = d->ingress_label;
	}
	if (d->fate.egress_reason) {
		snprintf(d->egress_label, sizeof(d->egress_label), "%s",
			 reason_label(d, d->fate.egress_reason));
		in->egress_reason = d->egress_label;
	} else {
		for (size_t i = 0; i < n && !in->egress_reason; i++)
			if (d->fates[i] == FATE_REFUSED)
				in->egress_reason = refused_label(rec[i].send_errno);
	}
}

static void fill_host_evidence(struct diag *d, struct verdict_input *in)
{
	for (size_t g = 0; g < d->here.ngroups; g++) {
		const struct drop_group *dg = &d->here.groups[g];
		char qb[48], ib[32];
		const char *q, *ifn;

		if (!category_is_loss(reasons_category_at(d->reasons, dg->reason, dg->location)))
			continue;
		in->host_drops += dg->packets;
		if (in->cause.count >= dg->packets)
			continue;
		/* Groups are sorted, most first: the first loss group is the cause. */
		snprintf(in->cause.reason, sizeof(in->cause.reason), "%s", reason_label(d, dg->reason));
		q = queue_name(dg->queue_kind, dg->queue, dg->l4_proto, qb, sizeof(qb));
		ifn = group_ifname(&d->names, dg->netns, dg->ifindex, ib, sizeof(ib));
		snprintf(in->cause.where, sizeof(in->cause.where), "%s%s%s", ifn ? ifn : "",
			 ifn && q ? " " : "", q ? q : "");
		in->cause.count = dg->packets;
		in->cause.rate = d->seconds > 0 ? dg->packets / d->seconds : 0;
	}
	for (size_t i = 0; i < d->nfindings; i++) {
		const struct finding *f = &d->findings[i];

		/* Retransmissions are a symptom, judged below with the path. */
		if (f->severity < SEV_HIGH || f->explained_by ||
		    !strcmp(f->id, "tcp_retransmits"))
			continue;
		if (!in->serious_findings++)
			in->finding_id = f->id;
	}
}

static void fill_path_evidence(struct diag *d, struct verdict_input *in)
{
	const struct probe_report *r = d->report;

	if (!r)
		return;
	in->reached = r->reached;
	snprintf(in->unreachable, sizeof(in->unreachable), "%s", r->unreachable);
	for (size_t h = 0; h < r->nhops; h++) {
		in->any_hop_answered |= r->hops[h].received > 0;
		in->rate_limited_hops += r->hops[h].rate_limited;
	}
	in->dest_sent = r->end_to_end.sent;
	in->dest_lost = r->end_to_end.sent - r->end_to_end.received;
	in->dest_loss_lo = r->end_to_end.loss_lo;
	in->dest_loss_hi = r->end_to_end.loss_hi;
	in->network_loss = r->has_origin;
	in->origin_ttl = r->origin.ttl;
	snprintf(in->origin_addr, sizeof(in->origin_addr), "%s", r->origin.address);
	in->origin_loss_pct = r->origin.loss_pct;
	in->origin_at_destination = r->origin.at_destination;
}

static void retrans_target(struct diag *d, struct verdict_input *in)
{
	uint8_t addr[16] = { 0 };
	struct retrans_snapshot mine = { 0 };
	int family;

	/* This host's flows only: other namespaces' retransmissions are theirs. */
	for (size_t i = 0; i < d->retrans.n; i++)
		if (d->retrans.rows[i].key.netns == d->self_netns)
			retrans_snapshot_add(&mine, &d->retrans.rows[i].key,
					     d->retrans.rows[i].retransmits, d->retrans.rows[i].synack);
	family = d->report && d->report->family == AF_INET6 ? 6 : 4;
	if (d->report)
		inet_pton(family == 6 ? AF_INET6 : AF_INET, d->report->address, addr);
	in->retransmits = retrans_total(&mine, d->o->all_flows ? 0 : family, addr);
	in->all_flows = d->o->all_flows;
	if (d->delta && d->delta->snmp_ok[SNMP_TCP_OUT_SEGS])
		in->tcp_out_segs = d->delta->snmp[SNMP_TCP_OUT_SEGS];
	retrans_snapshot_free(&d->retrans);
	d->retrans = mine;
}

/* --- advice ----------------------------------------------------------------------------- */

static void advise(struct diag *d, const char *line)
{
	for (int i = 0; i < d->nadvice; i++)
		if (!strcmp(d->advice[i], line))
			return;
	if (d->nadvice < MAX_ADVICE)
		snprintf(d->advice[d->nadvice++], FINDING_FIX_LEN, "%s", line);
}

static void advise_finding(struct diag *d, const char *id, const char *ifname)
{
	char fixes[16][FINDING_FIX_LEN];
	int n;

	for (int i = 0; i < d->nadvice; i++)
		if (strstr(d->advice[i], id))
			return;
	n = finding_fixes(id, d->after, ifname, fixes, 16);
	for (int i = 0; i < n; i++)
		advise(d, fixes[i]);
}

/* The fix for a drop reason of this host's. */
static void advise_reason(struct diag *d, uint32_t reason, const char *ifname)
{
	const char *name = reason_label(d, reason);
	const char *id = finding_for_drop_reason(name);
	char line[FINDING_FIX_LEN];

	if (id) {
		advise_finding(d, id, ifname);
		return;
	}
	if (!strcmp(name, "NETFILTER_DROP")) {
		/* In another namespace, its own rules: ip netns exec (or nsenter for a path). */
		char fw[4][FINDING_FIX_LEN];
		int n = fix_firewall(d->o->netns_spec, fw, ARRAY_SIZE(fw));

		for (int i = 0; i < n; i++)
			advise(d, fw[i]);
		return;
	}
	snprintf(line, sizeof(line), "# %s drops: the tracer shows where in the kernel", name);
	advise(d, line);
	fix_word_command("dropscope trace --netns",
			 d->o->netns_spec ? d->o->netns_spec : "self", line, sizeof(line));
	advise(d, line);
}

static void build_advice(struct diag *d)
{
	enum verdict_kind k = d->verdict.kind;
	char line[FINDING_FIX_LEN];

	if (k == VERDICT_SERVER || k == VERDICT_BOTH) {
		if (d->fate.egress_reason)
			advise_reason(d, d->fate.egress_reason, NULL);
		if (d->fate.ingress_reason)
			advise_reason(d, d->fate.ingress_reason, NULL);
		for (size_t g = 0; g < d->here.ngroups && g < 8; g++) {
			const struct drop_group *dg = &d->here.groups[g];
			char ib[32];

			if (category_is_loss(reasons_category_at(d->reasons, dg->reason, dg->location)) &&
			    dg->packets >= 2)
				advise_reason(d, dg->reason,
					      group_ifname(&d->names, dg->netns, dg->ifindex, ib,
							   sizeof(ib)));
		}
		for (size_t i = 0; i < d->nfindings; i++)
			if (d->findings[i].severity >= SEV_HIGH && !d->findings[i].explained_by)
				advise_finding(d, d->findings[i].id, d->findings[i].ifname[0]
									     ? d->findings[i].ifname
									     : NULL);
	}
	if ((k == VERDICT_NETWORK || k == VERDICT_BOTH) && d->report && d->report->has_origin) {
		snprintf(line, sizeof(line),
			 "# the loss starts at hop %u (%s): send the path report above to the "
			 "provider who runs it, with the time of the test",
			 d->report->origin.ttl,
			 d->report->origin.address[0] ? d->report->origin.address : "no answer");
		advise(d, line);
		fix_in_netns(d->o->netns_spec, "mtr -n --report --report-cycles 100",
			     d->report->address, line, sizeof(line));
		advise(d, line);
	}
	if (k == VERDICT_NETWORK && d->report && !d->report->has_origin)
		advise(d, "# TCP retransmits without probe loss: probe the port the application uses "
			  "(--proto tcp --port N) and for longer (--duration 120)");
	if (k == VERDICT_INCONCLUSIVE) {
		if ((d->report && !d->report->reached && d->report->unreachable[0]) || !d->report) {
			fix_in_netns(d->o->netns_spec, "ip route get",
				     d->report ? d->report->address : d->o->probe.target, line,
				     sizeof(line));
			advise(d, "# no route to the target from here: check the routing table");
			advise(d, line);
		} else if (d->report && !d->report->reached) {
			advise(d, "# the target may filter ICMP: try --proto tcp --port 443");
		} else {
			advise(d, "# run longer: --duration 60");
		}
	}
}

/* --- output ----------------------------------------------------------------------------- */

static void probes_json(struct diag *d, struct json_writer *j)
{
	json_object_begin(j, "probes");
	json_uint(j, "sent", d->fate.sent);
	json_uint(j, "lost", d->fate.lost);
	json_uint(j, "lost_on_host_egress", d->vin.lost_on_egress);
	json_uint(j, "replies_lost_on_host_ingress", d->fate.ingress);
	json_uint(j, "lost_in_network", d->fate.network + d->fate.other_ns);
	json_uint(j, "dropped_in_other_namespaces", d->fate.other_ns);
	json_uint(j, "refused_by_kernel", d->fate.refused);
	json_uint(j, "excused_rate_limited", d->excused);
	json_uint(j, "in_flight_at_end", d->fate.in_flight);
	json_string(j, "egress_reason", d->vin.egress_reason);
	json_string(j, "ingress_reason", d->vin.ingress_reason);
	json_object_end(j);
}

static void print_json(struct diag *d)
{
	struct json_writer j;
	char *provider = NULL;
	size_t len = 0;
	FILE *pf;

	json_init(&j, stdout, false);
	json_object_begin(&j, NULL);
	json_string(&j, "target", d->o->probe.target);
	json_double(&j, "duration_s", d->seconds, 3);
	json_string(&j, "verdict", verdict_name(d->verdict.kind));
	json_string(&j, "confidence", confidence_name(d->verdict.confidence));
	json_string(&j, "summary", d->verdict.summary);
	json_string(&j, "why", d->verdict.why[0] ? d->verdict.why : NULL);
	json_object_begin(&j, "server");
	json_uint(&j, "netns", d->self_netns);
	json_uint(&j, "loss_drops", d->vin.host_drops);
	drop_report_json(&d->here, &d->names, &j, "drops");
	findings_json(d->findings, d->nfindings, &j, "findings");
	drop_report_netns_json(&d->others, &d->names, &j, "other_namespaces");
	json_string(&j, "tracer", d->tracer ? attach_mode_name(d->tracer->mode) : NULL);
	json_uint(&j, "tracer_events_lost", d->vin.events_lost);
	json_object_end(&j);

	json_object_begin(&j, "network");
	if (d->report) {
		probe_report_json(d->report, &j);
		json_array_begin(&j, "rate_limited_hops");
		for (size_t h = 0; h < d->report->nhops; h++)
			if (d->report->hops[h].rate_limited)
				json_uint(&j, NULL, d->report->hops[h].ttl);
		json_array_end(&j);
		pf = open_memstream(&provider, &len);
		if (pf) {
			probe_report_text(d->report, pf);
			fclose(pf);
		}
		json_string(&j, "provider_report", provider);
		free(provider);
	} else {
		json_null(&j, "loss_origin");
		json_array_begin(&j, "rate_limited_hops");
		json_array_end(&j);
		json_array_begin(&j, "hops");
		json_array_end(&j);
	}
	json_object_end(&j);

	probes_json(d, &j);
	json_object_begin(&j, "tcp");
	json_uint(&j, "count", d->vin.retransmits); /* to the target, or to all with all_flows */
	json_bool(&j, "all_flows", d->o->all_flows);
	retrans_json(&d->retrans, &j);
	json_object_end(&j);
	json_array_begin(&j, "advice");
	for (int i = 0; i < d->nadvice; i++)
		json_string(&j, NULL, d->advice[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

static const char *verdict_color(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_NONE:
		return DS_SGR_BOLD_GREEN;
	case VERDICT_INCONCLUSIVE:
		return DS_SGR_BOLD_YELLOW;
	default:
		return DS_SGR_BOLD_RED;
	}
}

static void print_text(struct diag *d)
{
	bool color = use_color();
	struct text_opts to = { .seconds = d->seconds, .max_detail = 3, .color = color };

	printf("%s%s%s\n", color ? verdict_color(d->verdict.kind) : "", d->verdict.summary,
	       color ? DS_SGR_RESET : "");
	printf("verdict: %s (confidence %s), %s for %.1f s\n\n", verdict_name(d->verdict.kind),
	       confidence_name(d->verdict.confidence), d->o->probe.target, d->seconds);

	if (!d->report)
		goto advice; /* nothing was measured: the verdict says why */
	printf("== The probes\n");
	printf("%llu sent, %llu lost: %llu dropped by this server on the way out, %llu replies "
	       "dropped on the way in, %llu lost in the network",
	       (unsigned long long)d->fate.sent, (unsigned long long)d->fate.lost,
	       (unsigned long long)d->vin.lost_on_egress, (unsigned long long)d->fate.ingress,
	       (unsigned long long)(d->fate.network + d->fate.other_ns));
	if (d->excused)
		printf(" (%llu of them at hops that rate-limit ICMP)", (unsigned long long)d->excused);
	if (d->fate.refused)
		printf(" (%llu of those out were refused sends)", (unsigned long long)d->fate.refused);
	if (d->fate.in_flight)
		printf("; %llu still in flight at the end, not counted",
		       (unsigned long long)d->fate.in_flight);
	printf(".\n\n== The path\n");
	if (d->report)
		probe_report_text(d->report, stdout);
	else
		printf("no path report\n");

	printf("\n== This server's drops (namespace %s)\n",
	       d->o->netns_spec ? d->o->netns_spec : "self");
	if (!d->tracer)
		printf("the kernel tracer could not run: see the message above\n");
	else
		drop_report_text(&d->here, &d->names, &to, stdout);
	if (d->others.packets) {
		printf("\n== Other namespaces on this kernel (not this server's verdict)\n");
		for (size_t i = 0; i < d->others.nnetns && i < 8; i++) {
			char nb[256];

			printf("  %-36.36s %8llu drops, most %s\n",
			       netns_label(&d->names, d->others.netns[i].netns, nb, sizeof(nb)),
			       (unsigned long long)d->others.netns[i].packets,
			       reason_label(d, d->others.netns[i].top_reason));
		}
	}
	printf("\n== TCP retransmissions%s: %llu\n", d->o->all_flows ? "" : " to the target",
	       (unsigned long long)d->vin.retransmits);
	printf("\n== Counters\n");
	if (d->nfindings)
		findings_text(d->findings, d->nfindings, stdout, color);
	else
		printf("no counter moved that matters\n");
advice:
	if (d->nadvice) {
		printf("\n== What to do\n");
		for (int i = 0; i < d->nadvice; i++)
			printf("%s%s\n", d->advice[i][0] == '#' ? "" : "  $ ", d->advice[i]);
	}
	fflush(stdout);
}

/* --- the run ---------------------------------------------------------------------------- */

static void decide_and_print(struct diag *d)
{
	verdict_decide(&d->vin, &d->verdict);
	build_advice(d);
	if (d->o->json)
		print_json(d);
	else
		print_text(d);
}

static int start_tracer(struct diag *d)
{
	struct tracer_config cfg = { .watch = true, .retransmits = true };
	const struct probe_identity id = d->id;
	int err;

	if (!have_vmlinux_btf() || !kernel_btf()) {
		ds_err("this kernel has no BTF (%s): diagnosing without the kernel drop tracer",
		       VMLINUX_BTF);
		return -ENOENT;
	}
	err = reasons_from_btf(kernel_btf(), "/sys/kernel/btf", &d->reasons);
	if (err) {
		ds_err("failed to read drop reasons from the kernel's BTF: %s", strerror(-err));
		return err;
	}
	if (ds_verbose)
		reasons_print_not_in_table(d->reasons, stderr);
	cfg.mode = d->o->attach_tracepoint ? ATTACH_TRACEPOINT : ATTACH_AUTO;
	/* Only packets from or to the prober's address: ICMP (probes, answers, errors quoting
	 * them), and UDP or TCP probes and their answers by our source port. Anything wider would
	 * flood the ring buffer on a busy host and lose the very drops that matter. */
	cfg.watch_family = id.family == AF_INET6 ? 6 : 4;
	memcpy(cfg.watch_addr, id.src, 16);
	cfg.watch_l4_proto = id.l4proto;
	cfg.watch_port_lo = cfg.watch_port_hi = id.sport;
	err = tracer_open(&cfg, d->reasons, on_event, d, &d->tracer);
	if (err)
		ds_err("diagnosing without the kernel drop tracer");
	return err;
}

static void gather(struct diag *d)
{
	int err;

	if (d->tracer) {
		struct ds_stats st;

		tracer_poll(d->tracer, 0);
		if (!read_stats(tracer_stats_fd(d->tracer), &st))
			d->vin.events_lost = st.events_lost + d->events_missed;
		if (d->vin.events_lost)
			ds_err("the tracer lost %llu reports of the prober's packets (ring buffer full): "
			       "this server's drops may be undercounted",
			       (unsigned long long)d->vin.events_lost);
		drop_snapshot_read(tracer_drops_fd(d->tracer), &d->drops);
		retrans_snapshot_read(tracer_retrans_fd(d->tracer), &d->retrans);
		ifname_table_read(tracer_ifnames_fd(d->tracer), &d->ifnames);
	}
	d->names.reasons = d->reasons;
	d->names.ksyms = d->ksyms;
	d->names.ifnames = &d->ifnames;
	d->names.self_netns = d->self_netns;

	err = host_counters_read(&d->ns, &d->after);
	if (!err && d->before && !host_counters_delta(d->before, d->after, &d->delta))
		findings_compute(d->delta, &d->findings, &d->nfindings);
	if (d->after && host_counters_failed(d->after))
		host_counters_print_errors(d->after, stderr);
}

static void diag_free(struct diag *d)
{
	tracer_close(d->tracer);
	probe_child_close(d->prober);
	free(d->events);
	free(d->fates);
	free(d->findings);
	host_delta_free(d->delta);
	host_counters_free(d->before);
	host_counters_free(d->after);
	drop_snapshot_free(&d->drops);
	drop_report_free(&d->here);
	drop_report_free(&d->others);
	retrans_snapshot_free(&d->retrans);
	ifname_table_free(&d->ifnames);
	ksyms_free(d->ksyms);
	reasons_free(d->reasons);
	netns_close(&d->ns);
}

/*
 * On a terminal, one line redrawn each second while the run goes: the time, the probes sent and
 * lost, how many of the prober's packets this host dropped, and what that points to so far
 * (the verdict itself needs the whole run: the merge, the path's statistics, the counters).
 */
static void print_status(struct diag *d)
{
	struct probe_progress pr = probe_child_progress(d->prober);
	uint64_t here = 0;
	const char *so_far;

	for (size_t i = 0; i < d->nevents; i++) {
		enum drop_category c = reasons_category(d->reasons, d->events[i].reason);

		here += d->events[i].netns == d->self_netns && c != CAT_NORMAL &&
			c != CAT_UNSPECIFIED;
	}
	/* Loss is what reaches the destination; "here" counts the prober's packets this host
	 * dropped, probes and answers, so it points at this server, not at a share. */
	if (!pr.dest_lost && !here)
		so_far = "no loss";
	else if (here && pr.dest_lost > here)
		so_far = "loss here and beyond";
	else if (here)
		so_far = "loss on this server";
	else
		so_far = "loss beyond this server";
	printf(DS_TERM_CLEAR_LINE
	       "[%4.0f s of %.0f] %llu probe%s sent, %llu of %llu to the destination lost; "
	       "this server dropped %llu of the prober's packets; so far: %s",
	       mono_now() - d->start, d->o->duration, (unsigned long long)pr.sent, plural(pr.sent),
	       (unsigned long long)pr.dest_lost, (unsigned long long)pr.dest_sent,
	       (unsigned long long)here, so_far);
	fflush(stdout);
}

/*
 * What the rest of the run needs of our privileges: the tracer's maps (by descriptor; kernels
 * before 6.5 with unprivileged BPF disabled want CAP_BPF even then), and, for the counters of a
 * namespace that is not ours (or whose /sys we do not see), entering it and mounting sysfs
 * (CAP_SYS_ADMIN). Everything else goes, and the kernel symbols are read while we may.
 */
static int drop_privileges(struct diag *d)
{
	uint64_t keep = 0;
	int err;

	if (d->tracer) {
		d->ksyms = ksyms_load();
		if (!privs_unprivileged_map_read(tracer_stats_fd(d->tracer)))
			keep |= PRIVS_MAP_READ;
	}
	if (d->before && d->before->entered)
		keep |= PRIV_CAP(CAP_SYS_ADMIN);
	err = privs_keep_only(keep);
	if (err)
		ds_err("failed to give up the privileges diagnose no longer needs: %s",
		       strerror(-err));
	else
		ds_debug("kept capabilities 0x%llx", (unsigned long long)privs_effective());
	return err;
}

int diagnose_run(struct diagnose_opts *o)
{
	struct diag d = { .o = o };
	struct prober *prober = NULL;
	double next_status;
	bool live;
	int err, saved, rc = 1;

	if (privs_require(PRIVS_PROBE, "diagnose"))
		return 1;
	err = netns_resolve(o->netns_spec, &d.ns);
	if (err) {
		netns_report("open", o->netns_spec, err);
		return 2;
	}
	d.self_netns = d.ns.inode;
	o->probe.duration_s = o->duration;
	o->probe.count = 0;
	if (probe_config_finish(&o->probe)) {
		rc = 2;
		goto cleanup;
	}

	/* The prober's sockets belong to the namespace that is "this server". */
	err = netns_enter(&d.ns, &saved);
	if (err) {
		netns_report("enter", o->netns_spec, err);
		goto cleanup;
	}
	err = prober_open(&o->probe, &prober);
	netns_leave(saved);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH) {
		/* No route at all is an answer, not a usage error. */
		snprintf(d.vin.unreachable, sizeof(d.vin.unreachable),
			 "no route to %s from this host", o->probe.target);
		d.vin.tracer_ok = true;
		decide_and_print(&d);
		rc = verdict_exit_code(d.verdict.kind);
		goto cleanup;
	}
	if (err) {
		/* What the user gave is wrong (2), or the machine would not let us (1). */
		rc = probe_error_is_input(err) ? 2 : 1;
		goto cleanup;
	}
	err = ds_install_signals();
	if (err) {
		prober_close(prober);
		goto cleanup;
	}
	/* The prober reads the network in a process of its own, without privileges; it is
	 * started before the tracer so that it inherits none of the tracer's descriptors. */
	prober_identity(prober, &d.id);
	err = probe_child_start(prober, &d.prober);
	if (err)
		goto cleanup;
	start_tracer(&d); /* without it the diagnosis still runs, on the path and the counters */
	err = host_counters_read(&d.ns, &d.before);
	if (err)
		ds_err("failed to read the host counters: %s", strerror(-err));
	err = drop_privileges(&d);
	if (err)
		goto cleanup;

	d.start = mono_now();
	fprintf(stderr, "dropscope: diagnosing %s for %.0f s: tracer %s, probing with %s; Ctrl-C "
			"ends early and still reports\n",
		o->probe.target, o->duration,
		d.tracer ? "attached" : "unavailable", probe_proto_name(o->probe.proto));
	if (probe_child_go(d.prober, d.start + o->duration + 5))
		goto cleanup;
	live = !o->json && isatty(STDOUT_FILENO);
	next_status = d.start + 1;
	for (;;) {
		/* ds_stop ends the prober too; its answers still drain before it reports. */
		err = probe_child_wait(d.prober, d.tracer ? 0 : 100, &d.prober_err);
		if (err)
			break;
		if (d.tracer)
			tracer_poll(d.tracer, 100);
		if (live && mono_now() >= next_status) {
			next_status = mono_now() + 1;
			print_status(&d);
		}
	}
	if (live)
		printf(DS_TERM_CLEAR_LINE); /* the report replaces the status line */
	/* A prober that died or got stuck leaves no path: the rest is still worth a report. */
	if (err < 0) {
		ds_err("reporting without the path: the prober's results are lost");
		d.vin.path_unmeasured = true;
	}
	d.seconds = mono_now() - d.start;
	if (d.prober_err)
		ds_err("the prober stopped early: %s", strerror(-d.prober_err));

	gather(&d);
	if (place_probes(&d))
		goto cleanup;
	correct_path(&d);
	if (split_drops(&d)) {
		ds_err("failed to sort the drops: %s", strerror(ENOMEM));
		goto cleanup;
	}

	d.vin.duration_s = d.seconds;
	d.vin.tracer_ok = d.tracer != NULL;
	fill_path_evidence(&d, &d.vin);
	fill_host_evidence(&d, &d.vin);
	fill_probe_evidence(&d, &d.vin);
	retrans_target(&d, &d.vin);
	decide_and_print(&d);
	rc = verdict_exit_code(d.verdict.kind);
cleanup:
	diag_free(&d);
	return rc;
}

/* --- the command ------------------------------------------------------------------------ */

enum { OPT_ALL_FLOWS = 0x6000, OPT_ATTACH };

static void diagnose_usage(FILE *f)
{
	fprintf(f, "usage: dropscope diagnose TARGET [OPTIONS]\n"
		   "Is the loss on this server or in the network, where, why, and what to do.\n\n");
	ds_options_help(f, diagnose_options);
}

/* The command's options: parsing, --help and `dropscope help --options` come from it. */
const struct ds_option diagnose_options[] = {
	/* Before the prober's own --duration and --count: here the run's length is --duration. */
	{"duration", 'd', required_argument, "S",
	 "how long to measure (default " DS_STR(
		 DIAGNOSE_DEFAULT_DURATION) " s; Ctrl-C ends early)"},
	{"count", 'c', required_argument, "N", "refused: diagnose measures for --duration", true},
	{"netns", 'N', required_argument, "NS",
	 "the namespace that is this server (default: ours)"},
	{"all-flows", OPT_ALL_FLOWS, no_argument, NULL,
	 "count TCP retransmissions to everyone, not just TARGET"},
	{"json", 'j', no_argument, NULL, "one JSON object"},
	{"verbose", 'v', no_argument, NULL, "say more on stderr"},
	{"help", 'h', no_argument, NULL, "this text"},
	{"attach", OPT_ATTACH, required_argument, "MODE", "auto or tracepoint", true},
	{NULL, 0, 0, NULL, "probing:"},
	PROBE_DS_OPTIONS,
	{0},
};

int cmd_diagnose(int argc, char **argv)
{
	struct ds_getopt longopts;
	struct diagnose_opts o = { .duration = DIAGNOSE_DEFAULT_DURATION };
	int opt;

	probe_config_init(&o.probe);
	if (ds_getopt_init(&longopts, diagnose_options))
		return 1;
	optind = 0;
	while ((opt = ds_getopt(argc, argv, &longopts)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_duration(optarg, false, &o.duration) || o.duration < 1) {
				ds_err("bad duration '%s': expected seconds >= 1, e.g. 30, 2m", optarg);
				return 2;
			}
			break;
		case 'N':
			o.netns_spec = optarg;
			break;
		case OPT_ALL_FLOWS:
			o.all_flows = true;
			break;
		case 'j':
			o.json = true;
			break;
		case OPT_ATTACH:
			if (strcmp(optarg, "auto") && strcmp(optarg, "tracepoint")) {
				ds_err("bad attach mode '%s': expected auto or tracepoint", optarg);
				return 2;
			}
			o.attach_tracepoint = !strcmp(optarg, "tracepoint");
			break;
		case 'v':
			ds_verbose++;
			break;
		case 'h':
			diagnose_usage(stdout);
			return 0;
		case 'c':
			ds_err("diagnose measures for --duration; -c (a count of rounds) is for "
			       "'dropscope probe'");
			return 2;
		case '?':
		case ':':
			return ds_option_error("diagnose", opt, argv, &longopts);
		default:
			if (probe_config_option(&o.probe, opt, optarg))
				return 2;
		}
	}
	if (optind >= argc) {
		ds_err("diagnose needs a TARGET (a host name or address); see 'dropscope diagnose "
		       "--help'");
		return 2;
	}
	if (optind + 1 < argc) {
		ds_err("unexpected argument '%s'; see 'dropscope diagnose --help'", argv[optind + 1]);
		return 2;
	}
	if (strlen(argv[optind]) >= sizeof(o.probe.target)) {
		ds_err("target name too long");
		return 2;
	}
	snprintf(o.probe.target, sizeof(o.probe.target), "%s", argv[optind]);
	return diagnose_run(&o);
}
