// SPDX-License-Identifier: GPL-2.0
/*
 * The merge of one window (diagnose_merge.h): every lost probe is placed (dropped here on the way
 * out, its answer dropped here on the way in, or lost outside); the path is attributed again
 * without the probes this host lost (mtr would blame the first hop for a host that drops its
 * replies); this host's own drops and counters, other namespaces apart, and TCP
 * retransmissions; then the verdict (diagnose_verdict.c), the evidence, and what to do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "diagnose_merge.h"
#include "json.h"
#include "probe_report.h"
#include "trace_bpf.h"
#include "fix_cmd.h"
#include "util.h"

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
		seen[nseen].netns = e->netns;
		seen[nseen].reason = e->reason;
		nseen++;
	}
	probe_fates(info, n, seen, nseen, d->fates, &d->fate);
	free(info);
	d->seen = seen;
	d->nseen = nseen;
	return 0;
}

/*
 * A target that answers the echo flow and filters the port of the others (dest_filtered): their
 * probes unanswered at its row are its filter, as the path's report already counts them.
 */
static void filtered_probes(struct diag *d, const struct probe_record *rec, size_t n)
{
	const struct probe_report *r = d->report;
	unsigned int dest_ttl;
	bool *at_target;

	if (!r->dest_filtered || !r->nhops || !r->hops[r->nhops - 1].destination)
		return;
	at_target = calloc(n + 1, sizeof(*at_target));
	if (!at_target)
		return;
	dest_ttl = r->hops[r->nhops - 1].ttl;
	for (size_t i = 0; i < n; i++)
		at_target[i] = rec[i].flow != 0 &&
			       ((rec[i].flags & PROBE_REC_DEST) || rec[i].ttl >= dest_ttl);
	probe_fates_filtered(at_target, n, d->seen, d->nseen, d->fates, &d->fate);
	free(at_target);
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
	filtered_probes(d, rec, n);
	/* Losses at hops that only ration their ICMP are no one's loss. */
	for (size_t i = 0; i < n; i++) {
		if (d->fates[i] != FATE_NETWORK || (rec[i].flags & PROBE_REC_DEST))
			continue;
		for (size_t h = 0; h < d->report->nhops; h++) {
			const struct probe_hop_report *o = &d->report->hops[h];

			if (o->ttl != rec[i].ttl || o->destination)
				continue;
			d->network_at_ttl[o->ttl]++;
			d->excused += o->rate_limited;
		}
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
	const struct probe_record *rec = NULL;
	size_t n = d->prober ? probe_child_probes(d->prober, &rec) : 0;

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
		/* Placed already (summed): the sends' errors are not at hand. */
		if (!d->prober && d->fate.refused)
			in->egress_reason = refused_label(0);
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

/* The kernel symbols of the window's drop locations, read now (ksyms_source). */
static void read_names(struct diag *d)
{
	size_t n = d->nevents + d->drops.n;
	uint64_t *addrs;

	if (!d->ksyms_src || !(addrs = malloc((n ? n : 1) * sizeof(*addrs))))
		return;
	for (size_t i = 0; i < d->nevents; i++)
		addrs[i] = d->events[i].location;
	for (size_t i = 0; i < d->drops.n; i++)
		addrs[d->nevents + i] = d->drops.rows[i].key.location;
	d->ksyms = ksyms_source_for(d->ksyms_src, addrs, n);
	d->names.ksyms = d->ksyms;
	free(addrs);
}

int diagnose_merge(struct diag *d)
{
	int err;

	read_names(d);
	err = place_probes(d);

	if (err)
		return err;
	correct_path(d);
	return diagnose_merge_placed(d);
}

void diagnose_free_merged(struct diag *d)
{
	free(d->findings);
	host_delta_free(d->delta);
	drop_snapshot_free(&d->drops);
	drop_report_free(&d->here);
	drop_report_free(&d->others);
	retrans_snapshot_free(&d->retrans);
}

int diagnose_merge_placed(struct diag *d)
{
	if (!d->ksyms)
		read_names(d); /* diagnose_merge read them already */
	if (split_drops(d)) {
		ds_err("failed to sort the drops: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	d->vin.duration_s = d->seconds;
	d->vin.tracer_ok = d->tracer_name != NULL;
	fill_path_evidence(d, &d->vin);
	fill_host_evidence(d, &d->vin);
	fill_probe_evidence(d, &d->vin);
	retrans_target(d, &d->vin);
	return 0;
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
	json_uint(j, "filtered_by_target", d->fate.filtered);
	json_uint(j, "excused_rate_limited", d->excused);
	json_uint(j, "in_flight_at_end", d->fate.in_flight);
	json_string(j, "egress_reason", d->vin.egress_reason);
	json_string(j, "ingress_reason", d->vin.ingress_reason);
	json_object_end(j);
}

/* A wall-clock time as RFC 3339, UTC, to the second. */
static const char *rfc3339(double t, char *buf, size_t size)
{
	time_t sec = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&sec, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "1970-01-01T00:00:00Z");
	return buf;
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
	json_string(&j, "tracer", d->tracer_name);
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
	if (d->episode) {
		char t[32];

		json_object_begin(&j, "episode");
		json_string(&j, "target", d->episode->target);
		json_string(&j, "start", rfc3339(d->episode->start, t, sizeof(t)));
		if (d->episode->end)
			json_string(&j, "end", rfc3339(d->episode->end, t, sizeof(t)));
		else
			json_null(&j, "end");
		json_uint(&j, "segments", d->episode->segments);
		json_uint(&j, "segments_left_out", d->episode->left_out);
		json_object_end(&j);
	}
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
	if (d->fate.filtered)
		printf("; %llu unanswered at a target that filters their port, not counted as lost",
		       (unsigned long long)d->fate.filtered);
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
	if (!d->tracer_name)
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

/* A monitor's record in text: the verdict first, then a line each for the probes, the path
 * and this host, and the first commands to run. */
static void print_episode_text(struct diag *d)
{
	const struct diag_episode *ep = d->episode;
	char a[32], b[32];

	printf("%s\n", d->verdict.summary);
	printf("  episode: %s from %s to %s, verdict %s (confidence %s)\n", ep->target,
	       rfc3339(ep->start, a, sizeof(a)), ep->end ? rfc3339(ep->end, b, sizeof(b)) : "now",
	       verdict_name(d->verdict.kind), confidence_name(d->verdict.confidence));
	if (ep->left_out)
		printf("  %u of its %u segments left out: out of memory\n", ep->left_out,
		       ep->segments + ep->left_out);
	printf("  probes: %llu sent, %llu lost: %llu on this server's way out, %llu replies on its "
	       "way in, %llu in the network\n",
	       (unsigned long long)d->fate.sent, (unsigned long long)d->fate.lost,
	       (unsigned long long)d->vin.lost_on_egress, (unsigned long long)d->fate.ingress,
	       (unsigned long long)(d->fate.network + d->fate.other_ns));
	if (d->vin.network_loss && d->vin.origin_ttl)
		printf("  path: loss starts at hop %u (%s)\n", d->vin.origin_ttl,
		       d->vin.origin_addr[0] ? d->vin.origin_addr : "?");
	if (d->vin.host_drops)
		printf("  this server: %llu drops, most %s%s%s\n",
		       (unsigned long long)d->vin.host_drops, d->vin.cause.reason,
		       d->vin.cause.where[0] ? " at " : "", d->vin.cause.where);
	/* The commands only: the advice's prose speaks of a report this block does not show. */
	for (int i = 0, n = 0; i < d->nadvice && n < 3; i++)
		if (d->advice[i][0] != '#') {
			printf("  $ %s\n", d->advice[i]);
			n++;
		}
	fflush(stdout);
}

/* The record's line for the journal. */
static void episode_journal(struct diag *d)
{
	const struct diag_episode *ep = d->episode;
	char a[32], b[32];

	fprintf(stderr,
		"dropscope: episode %s %s..%s: verdict %s, %llu of %llu probes lost (%llu on this "
		"server, %llu in the network)%s%s\n",
		ep->target, rfc3339(ep->start, a, sizeof(a)),
		ep->end ? rfc3339(ep->end, b, sizeof(b)) : "now", verdict_name(d->verdict.kind),
		(unsigned long long)d->fate.lost, (unsigned long long)d->fate.sent,
		(unsigned long long)(d->vin.lost_on_egress + d->fate.ingress),
		(unsigned long long)(d->fate.network + d->fate.other_ns),
		d->vin.network_loss && d->vin.origin_ttl ? ", from hop " : "",
		d->vin.network_loss && d->vin.origin_ttl ? d->vin.origin_addr : "");
}

void diagnose_decide(struct diag *d)
{
	verdict_decide(&d->vin, &d->verdict);
	build_advice(d);
}

void diagnose_print(struct diag *d)
{
	if (d->o->json)
		print_json(d);
	else if (d->episode)
		print_episode_text(d);
	else
		print_text(d);
	if (d->episode)
		episode_journal(d);
}

void diagnose_decide_and_print(struct diag *d)
{
	diagnose_decide(d);
	diagnose_print(d);
}
