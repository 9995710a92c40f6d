// SPDX-License-Identifier: GPL-2.0
/* The probe report's forms: mtr's table, CSV, JSON, and mtr's own JSON. */
#include <arpa/inet.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "prober.h"
#include "probe_report.h"
#include "util.h"

void probe_loss_interval(uint64_t sent, uint64_t lost, double *pct, double *lo, double *hi)
{
	wilson_interval(lost, sent, WILSON_Z95, lo, hi);
	*pct = sent ? loss_pct(lost, sent) : NAN;
	*lo *= 100;
	*hi *= 100;
}

void probe_report_set_verdict(struct probe_report *r, const struct hop_verdict *v, int origin,
			      uint64_t dest_sent, uint64_t dest_received)
{
	size_t n = r->nhops;

	for (size_t i = 0; i < n; i++) {
		struct probe_hop_report *o = &r->hops[i];

		o->sent = v[i].sent;
		o->received = v[i].sent - v[i].lost;
		probe_loss_interval(v[i].sent, v[i].lost, &o->loss_pct, &o->loss_lo, &o->loss_hi);
		o->rate_limited = v[i].rate_limited;
		o->limiter_confirmed = v[i].limiter_confirmed;
	}
	r->has_origin = origin >= 0 && (size_t)origin < n;
	memset(&r->origin, 0, sizeof(r->origin));
	if (r->has_origin) {
		const struct probe_hop_report *o = &r->hops[origin];

		r->origin.ttl = o->ttl;
		if (o->nhosts)
			snprintf(r->origin.address, sizeof(r->origin.address), "%s",
				 o->hosts[0].address);
		r->origin.loss_pct = o->loss_pct;
		r->origin.loss_lo = o->loss_lo;
		r->origin.loss_hi = o->loss_hi;
		r->origin.at_destination = o->destination;
		r->origin.carries_on = v[origin].shown_later;
	}
	if (n && r->hops[n - 1].destination) {
		r->end_to_end.sent = v[n - 1].sent;
		r->end_to_end.received = v[n - 1].sent - v[n - 1].lost;
	} else {
		r->end_to_end.sent = dest_sent;
		r->end_to_end.received = dest_received;
	}
	probe_loss_interval(r->end_to_end.sent, r->end_to_end.sent - r->end_to_end.received,
			    &r->end_to_end.loss_pct, &r->end_to_end.loss_lo,
			    &r->end_to_end.loss_hi);
	r->end_to_end.min_detectable_pct =
		100 * probe_min_detectable(r->end_to_end.sent, PROBE_ALPHA);
}

static double loss_pct_of(uint64_t lost, uint64_t sent)
{
	return sent ? 100.0 * (double)lost / (double)sent : 0;
}

/* The report warns when the destination's samples cannot place loss below this (percent). */
#define FEW_SAMPLES_PCT 20.0

static const char *reply_name(enum probe_reply_kind k)
{
	switch (k) {
	case PROBE_REPLY_TIME_EXCEEDED:
		return "time_exceeded";
	case PROBE_REPLY_UNREACH:
		return "unreachable";
	case PROBE_REPLY_ECHO:
		return "echo_reply";
	case PROBE_REPLY_TCP_SYNACK:
		return "tcp_synack";
	case PROBE_REPLY_TCP_RST:
		return "tcp_rst";
	case PROBE_REPLY_TOO_BIG:
		return "packet_too_big";
	default:
		return NULL;
	}
}

static void json_pct_pair(struct json_writer *j, const char *key, double lo, double hi)
{
	json_array_begin(j, key);
	json_double(j, NULL, lo, 2);
	json_double(j, NULL, hi, 2);
	json_array_end(j);
}

static void json_host(struct json_writer *j, const struct probe_hop_report *h,
		      const struct probe_host_report *o)
{
	json_object_begin(j, NULL);
	json_string(j, "address", o->address);
	json_string(j, "name", o->name[0] ? o->name : NULL);
	/* Every probe to the TTL, and this address's answers to them: received <= sent. */
	json_uint(j, "sent", h->all_sent);
	json_uint(j, "received", o->received);
	json_double(j, "loss_pct", h->loss_pct, 2);
	json_pct_pair(j, "loss_ci95", h->loss_lo, h->loss_hi);
	json_double(j, "last_ms", o->last_ms, 3);
	json_double(j, "avg_ms", o->avg_ms, 3);
	json_double(j, "best_ms", o->best_ms, 3);
	json_double(j, "worst_ms", o->worst_ms, 3);
	json_double(j, "stdev_ms", o->stdev_ms, 3);
	json_double(j, "jitter_ms", o->jitter_ms, 3);
	json_double(j, "jitter_avg_ms", o->jitter_avg_ms, 3);
	json_double(j, "jitter_max_ms", o->jitter_max_ms, 3);
	json_double(j, "jitter_int_ms", o->jitter_int_ms, 3);
	json_string(j, "reply", reply_name(o->reply));
	if (o->reply == PROBE_REPLY_UNREACH)
		json_uint(j, "icmp_code", o->icmp_code);
	if (o->reply == PROBE_REPLY_TOO_BIG)
		json_uint(j, "mtu", o->mtu);
	json_uint(j, "flows", o->flows);
	json_object_end(j);
}

/* The flows' paths (--flows), MDA's rule, and loss per branch: the "multipath" member. */
static void json_multipath(const struct probe_report *r, struct json_writer *j)
{
	if (r->nflows < 2) {
		json_null(j, "multipath");
		return;
	}
	json_object_begin(j, "multipath");
	json_uint(j, "flows", r->nflows);
	json_string(j, "flow_key", r->proto == PROBE_ICMP ? "icmp_id" : "source_port");
	json_bool(j, "branched", r->multipath);
	json_bool(j, "mda_complete", r->mda_complete);
	if (r->mda_probes)
		json_uint(j, "mda_probes", r->mda_probes);
	else
		json_null(j, "mda_probes");
	json_bool(j, "dest_filtered", r->dest_filtered);
	json_array_begin(j, "paths");
	for (size_t f = 0; f < r->nflows; f++) {
		const struct probe_flow_report *o = &r->flows[f];

		json_object_begin(j, NULL);
		json_uint(j, "flow", o->flow);
		json_string(j, "protocol", probe_proto_name(o->proto));
		json_uint(j, "key", o->key);
		json_uint(j, "sent", o->sent);
		json_uint(j, "received", o->received);
		json_double(j, "loss_pct", o->loss_pct, 2);
		json_array_begin(j, "path");
		for (size_t i = 0; i < r->nhops; i++) {
			const struct probe_hop_report *h = &r->hops[i];

			json_object_begin(j, NULL);
			json_uint(j, "ttl", h->ttl);
			json_string(j, "address",
				    o->via[i] == PROBE_VIA_NONE ? NULL
								: h->hosts[o->via[i]].address);
			json_uint(j, "sent", o->hop_sent[i]);
			json_uint(j, "received", o->hop_received[i]);
			json_object_end(j);
		}
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

/* loss_origin.branch: the branch whose flows alone lose, or null. */
static void json_branch(const struct probe_report *r, struct json_writer *j)
{
	if (!r->branch.seen || !r->origin.branch) {
		json_null(j, "branch");
		return;
	}
	json_object_begin(j, "branch");
	json_uint(j, "ttl", r->branch.ttl);
	json_string(j, "address", r->branch.address);
	json_uint(j, "index", r->branch.branch_index);
	json_uint(j, "of", r->branch.nbranches);
	json_uint(j, "flows", r->branch.flows);
	json_uint(j, "flows_grouped", r->branch.flows_all);
	json_uint(j, "sent", r->branch.sent);
	json_uint(j, "lost", r->branch.lost);
	json_double(j, "loss_pct", r->branch.loss_pct, 2);
	json_uint(j, "other_sent", r->branch.other_sent);
	json_uint(j, "other_lost", r->branch.other_lost);
	json_double(j, "other_loss_pct", r->branch.other_loss_pct, 2);
	json_double(j, "p_value", r->branch.p_value, 6);
	json_object_end(j);
}

void probe_report_json(const struct probe_report *r, struct json_writer *j)
{
	char started[64] = "";
	time_t t = (time_t)r->started_wall;
	struct tm tm;

	if (t && gmtime_r(&t, &tm))
		strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_string(j, "target", r->target);
	json_string(j, "address", r->address);
	json_string(j, "source", r->source);
	json_string(j, "family", r->family == AF_INET6 ? "ipv6" : "ipv4");
	json_string(j, "protocol", probe_proto_name(r->proto));
	if (r->port)
		json_uint(j, "port", r->port);
	else
		json_null(j, "port");
	json_uint(j, "size", r->size);
	json_string(j, "started", started[0] ? started : NULL);
	json_double(j, "duration_s", r->duration_s, 3);
	json_bool(j, "reached", r->reached);
	json_bool(j, "interrupted", r->interrupted);
	json_string(j, "unreachable", r->unreachable[0] ? r->unreachable : NULL);
	if (r->mtu_limit.seen) {
		json_object_begin(j, "mtu_limit");
		json_uint(j, "ttl", r->mtu_limit.ttl);
		json_string(j, "address", r->mtu_limit.address);
		json_uint(j, "mtu", r->mtu_limit.mtu);
		json_object_end(j);
	} else {
		json_null(j, "mtu_limit");
	}
	json_array_begin(j, "hops");
	for (size_t i = 0; i < r->nhops; i++) {
		const struct probe_hop_report *h = &r->hops[i];

		json_object_begin(j, NULL);
		json_uint(j, "ttl", h->ttl);
		json_array_begin(j, "hosts");
		for (size_t k = 0; k < h->nhosts; k++)
			json_host(j, h, &h->hosts[k]);
		json_array_end(j);
		json_bool(j, "rate_limited", h->rate_limited);
		json_bool(j, "limiter_confirmed", h->limiter_confirmed);
		json_bool(j, "destination", h->destination);
		json_uint(j, "sent", h->sent);
		json_uint(j, "received", h->received);
		json_double(j, "loss_pct", h->loss_pct, 2);
		json_pct_pair(j, "loss_ci95", h->loss_lo, h->loss_hi);
		json_uint(j, "all_sent", h->all_sent);
		json_uint(j, "all_received", h->all_received);
		json_uint(j, "paced_sent", h->paced_sent);
		json_uint(j, "paced_received", h->paced_received);
		json_uint(j, "other_replies", h->other_replies);
		if (r->nflows > 1) {
			json_uint(j, "flows_seen", h->flows_seen);
			json_uint(j, "mda_flows_needed", h->mda_needed);
			json_bool(j, "mda_complete", h->mda_complete);
		}
		json_object_end(j);
	}
	json_array_end(j);
	json_multipath(r, j);
	if (r->has_origin) {
		json_object_begin(j, "loss_origin");
		json_uint(j, "ttl", r->origin.ttl);
		json_string(j, "address", r->origin.address[0] ? r->origin.address : NULL);
		json_double(j, "loss_pct", r->origin.loss_pct, 2);
		json_pct_pair(j, "loss_ci95", r->origin.loss_lo, r->origin.loss_hi);
		json_bool(j, "at_destination", r->origin.at_destination);
		json_bool(j, "carries_on", r->origin.carries_on);
		json_branch(r, j);
		json_object_end(j);
	} else {
		json_null(j, "loss_origin");
	}
	json_object_begin(j, "end_to_end");
	json_uint(j, "sent", r->end_to_end.sent);
	json_uint(j, "received", r->end_to_end.received);
	json_double(j, "loss_pct", r->end_to_end.loss_pct, 2);
	json_pct_pair(j, "loss_ci95", r->end_to_end.loss_lo, r->end_to_end.loss_hi);
	json_double(j, "min_detectable_loss_pct", r->end_to_end.min_detectable_pct, 1);
	json_object_end(j);
	json_uint(j, "probes_sent", r->probes_sent);
	json_uint(j, "send_errors", r->send_errors);
	json_object_begin(j, "replies_ignored");
	json_uint(j, "unmatched", r->replies_unmatched);
	json_uint(j, "duplicate", r->replies_duplicate);
	json_uint(j, "late", r->replies_late);
	json_object_end(j);
	json_uint(j, "window_waits", r->window_waits);
	json_double(j, "timeout_s", r->timeout_s, 3);
}

static void host_label(const struct probe_host_report *o, char *buf, size_t size)
{
	if (o->name[0])
		snprintf(buf, size, "%s (%s)", o->name, o->address);
	else
		snprintf(buf, size, "%s", o->address);
}

/* mtr's marks for unreachables: !N network, !H host, !P protocol, !X prohibited. */
static const char *unreach_mark(int family, uint8_t code)
{
	if (family == AF_INET6)
		switch (code) {
		case 0:
			return "!N";
		case 1:
			return "!X";
		case 3:
			return "!H";
		case 4:
			return "";
		default:
			return "!";
		}
	switch (code) {
	case 0:
	case 6:
	case 11:
		return "!N";
	case 1:
	case 7:
	case 12:
		return "!H";
	case 2:
		return "!P";
	case 3:
		return "";
	case 9:
	case 10:
	case 13:
		return "!X";
	default:
		return "!";
	}
}

static void fmt_note(const struct probe_report *r, const struct probe_hop_report *h, char *buf,
		     size_t size)
{
	const char *mark = "";
	char big[32];

	if (h->nhosts && h->hosts[0].reply == PROBE_REPLY_UNREACH)
		mark = unreach_mark(r->family, h->hosts[0].icmp_code);
	if (h->nhosts && h->hosts[0].reply == PROBE_REPLY_TOO_BIG) {
		snprintf(big, sizeof(big), "too big (MTU %u)", h->hosts[0].mtu);
		mark = big;
	}
	snprintf(buf, size, "%s%s%s%s", mark, *mark && h->rate_limited ? " " : "",
		 h->rate_limited ? "rate-limited" : "",
		 h->rate_limited && h->limiter_confirmed ? " (confirmed)" : "");
}

void probe_report_text(const struct probe_report *r, FILE *f)
{
	char host[300], label[300], note[64], when[64] = "?";
	time_t t = (time_t)r->started_wall;
	int width = 25;
	struct tm tm;

	for (size_t i = 0; i < r->nhops; i++)
		for (size_t k = 0; k < r->hops[i].nhosts; k++) {
			host_label(&r->hops[i].hosts[k], label, sizeof(label));
			if ((int)strlen(label) > width)
				width = (int)strlen(label);
		}
	if (t && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	fprintf(f, "Start: %s\n", when);
	fprintf(f, "HOST: %-*s %5s %5s %6s %5s %5s %5s %5s %5s %13s  %s\n", width + 2, host,
		"Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev", "Javg", "Loss 95% CI",
		"Note");
	for (size_t i = 0; i < r->nhops; i++) {
		const struct probe_hop_report *h = &r->hops[i];
		const struct probe_host_report *o = h->nhosts ? &h->hosts[0] : NULL;
		char ci[32];

		if (o)
			host_label(o, label, sizeof(label));
		else
			snprintf(label, sizeof(label), "???");
		if (h->sent)
			snprintf(ci, sizeof(ci), "%5.1f-%5.1f%%", h->loss_lo, h->loss_hi);
		else
			snprintf(ci, sizeof(ci), "-");
		fmt_note(r, h, note, sizeof(note));
		fprintf(f, "%3u.|-- %-*s", h->ttl, width, label);
		if (h->sent)
			fprintf(f, "%5.1f%%", h->loss_pct);
		else
			fprintf(f, "%6s", "-");
		fprintf(f, "%6llu %6.1f %5.1f %5.1f %5.1f %5.1f %5.1f %13s%s%s\n",
			(unsigned long long)h->sent, o ? o->last_ms : 0, o ? o->avg_ms : 0,
			o ? o->best_ms : 0, o ? o->worst_ms : 0, o ? o->stdev_ms : 0,
			o ? o->jitter_avg_ms : 0, ci, note[0] ? "  " : "", note);
		for (size_t k = 1; k < h->nhosts; k++) {
			host_label(&h->hosts[k], label, sizeof(label));
			fprintf(f, "    |-- %-*s  (%llu of the replies", width, label,
				(unsigned long long)h->hosts[k].received);
			if (r->nflows > 1)
				fprintf(f, ", %u flow%s", h->hosts[k].flows,
					h->hosts[k].flows == 1 ? "" : "s");
			fprintf(f, ")\n");
		}
	}
	probe_report_multipath_text(r, f);

	for (size_t i = 0; i < r->nhops; i++) {
		const struct probe_hop_report *h = &r->hops[i];

		if (!h->rate_limited)
			continue;
		fprintf(f,
			"Hop %u rations its ICMP replies (rate-limited%s): "
			"%llu of %llu probes lost at the fast rate, %llu of %llu when paced; "
			"not path loss.\n",
			h->ttl, h->limiter_confirmed ? ", confirmed at two rates" : "",
			(unsigned long long)(h->all_sent - h->paced_sent -
					     (h->all_received - h->paced_received)),
			(unsigned long long)(h->all_sent - h->paced_sent),
			(unsigned long long)(h->paced_sent - h->paced_received),
			(unsigned long long)h->paced_sent);
	}
	if (r->has_origin && r->origin.at_destination)
		fprintf(f,
			"Loss only at the destination %s (hop %u): "
			"%.1f%% lost (95%% CI %.1f-%.1f%%); the hops before it do not lose: "
			"the destination or its last link drops probes.\n",
			r->address, r->origin.ttl, r->origin.loss_pct, r->origin.loss_lo,
			r->origin.loss_hi);
	else if (r->has_origin && r->origin.branch)
		fprintf(f,
			"Loss on one branch: flows through %s (hop %u, %u of %u next hops) lose "
			"%.1f%% from hop %u on (%s; 95%% CI %.1f-%.1f%%); %s %.1f%% (exact test "
			"p = %.2g).\n",
			r->branch.address, r->branch.ttl, r->branch.branch_index,
			r->branch.nbranches, r->branch.loss_pct, r->branch.from_ttl,
			r->origin.address[0] ? r->origin.address : "???", r->origin.loss_lo,
			r->origin.loss_hi,
			r->branch.nbranches > 2 ? "the other branches lose"
						: "the other branch loses",
			r->branch.other_loss_pct, r->branch.p_value);
	else if (r->has_origin)
		/* "Carries on" only where a later hop that answers shows it. */
		fprintf(f, "Loss starts at hop %u (%s): %.1f%% lost there (95%% CI %.1f-%.1f%%)%s; "
			   "end-to-end %.1f%%.\n",
			r->origin.ttl, r->origin.address[0] ? r->origin.address : "???",
			r->origin.loss_pct, r->origin.loss_lo, r->origin.loss_hi,
			r->origin.carries_on ? " and it carries on"
					     : "; no hop after it answers, so nothing shows "
					       "whether it carries on",
			r->end_to_end.loss_pct);
	else if (r->end_to_end.sent && r->end_to_end.received == r->end_to_end.sent)
		fprintf(f,
			"No loss to the destination: 0 of %llu probes lost (95%% CI 0.0-%.1f%%).\n",
			(unsigned long long)r->end_to_end.sent, r->end_to_end.loss_hi);
	else if (r->end_to_end.sent && r->end_to_end.received)
		fprintf(f,
			"End-to-end loss %.1f%% (%llu of %llu) is too small to place on a hop "
			"with these samples; probe longer (-c, --duration).\n",
			r->end_to_end.loss_pct,
			(unsigned long long)(r->end_to_end.sent - r->end_to_end.received),
			(unsigned long long)r->end_to_end.sent);
	if (r->end_to_end.sent && r->end_to_end.min_detectable_pct >= FEW_SAMPLES_PCT)
		fprintf(f,
			"Only %llu probes to the destination%s: loss below about %.0f%% there "
			"cannot be told from none; probe longer (-c, --duration)%s.\n",
			(unsigned long long)r->end_to_end.sent,
			r->proto == PROBE_UDP ? " (its udp answers are rate-limited ICMP: it is "
						"probed slowly)"
					      : "",
			r->end_to_end.min_detectable_pct,
			r->proto == PROBE_UDP ? ", or use --proto icmp or tcp" : "");
	if (r->mtu_limit.seen)
		fprintf(f,
			"Probes of %u bytes do not fit the path: %s answers those with TTL %u and "
			"more \"packet too big\" (next-hop MTU %u). An MTU limit, not loss: probes of "
			"that size or less (--size) get through; traffic that cannot shrink (PMTU "
			"discovery blocked) stalls there.\n",
			r->size, r->mtu_limit.address, r->mtu_limit.ttl, r->mtu_limit.mtu);
	else if (!r->reached)
		fprintf(f, "The destination %s did not answer%s%s.\n", r->address,
			r->unreachable[0] ? ": " : "", r->unreachable);
	if (r->interrupted)
		fprintf(f,
			"Interrupted after %.1f s: the report covers the probes settled so far.\n",
			r->duration_s);
	if (r->window_waits)
		fprintf(f,
			"%llu rounds waited for answers or timeouts: %u probes were in flight, as "
			"many as their identities tell apart; a shorter --timeout or a longer "
			"--interval keeps the rounds on time.\n",
			(unsigned long long)r->window_waits, PROBE_ID_SPACE - 1);
	if (r->replies_unmatched || r->replies_duplicate || r->replies_late || r->send_errors)
		fprintf(f,
			"Ignored replies: %llu unmatched, %llu duplicate, %llu late; %llu sends "
			"refused by this host (counted lost).\n",
			(unsigned long long)r->replies_unmatched,
			(unsigned long long)r->replies_duplicate,
			(unsigned long long)r->replies_late, (unsigned long long)r->send_errors);
}

/* Flow numbers through host a of hop row i, as "0 2 5" (cut with "..." when long). */
/* The flows through address a of row i, by number (or by key: source port, echo identifier). */
static void flows_through(const struct probe_report *r, size_t i, size_t a, bool keys, char *buf,
			  size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t f = 0; f < r->nflows && len + 8 < size; f++)
		if (r->flows[f].via[i] == a)
			len += (size_t)snprintf(buf + len, size - len, "%s%u", len ? " " : "",
						keys ? r->flows[f].key : r->flows[f].flow);
	if (len + 8 >= size)
		snprintf(buf + len, size - len, " ...");
}

void probe_report_multipath_text(const struct probe_report *r, FILE *f)
{
	bool any = false;

	if (r->nflows < 2)
		return;
	if (r->flows[0].proto != r->proto)
		fprintf(f, "Flows: %zu (0: icmp echo identifier %u; %s source ports %u-%u)",
			r->nflows, r->flows[0].key, probe_proto_name(r->proto), r->flows[1].key,
			r->flows[r->nflows - 1].key);
	else
		fprintf(f, "Flows: %zu (%s %u-%u)", r->nflows,
			r->proto == PROBE_ICMP ? "echo identifiers" : "source ports",
			r->flows[0].key, r->flows[r->nflows - 1].key);
	if (r->mda_probes)
		fprintf(f, "; every hop's next hops found (MDA, 95%%) after %llu probes.\n",
			(unsigned long long)r->mda_probes);
	else if (r->mda_complete)
		fprintf(f, "; every hop's next hops found (MDA, 95%%).\n");
	else
		fprintf(f,
			"; too few to rule out more next hops (MDA, 95%%): give more --flows.\n");
	if (r->dest_filtered)
		fprintf(f,
			"Note: the target answers the echo flow and no %s/%u probe: it filters "
			"%s/%u, and its loss is the echo flow's.\n",
			probe_proto_name(r->proto), r->port, probe_proto_name(r->proto), r->port);
	for (size_t i = 0; i < r->nhops; i++) {
		const struct probe_hop_report *h = &r->hops[i];
		unsigned int k = 0;

		for (size_t a = 0; a < h->nhosts; a++)
			k += h->hosts[a].flows > 0;
		if (k < 2)
			continue;
		if (!any)
			fprintf(f,
				"Where the flows split (loss past the split of the flows through "
				"each):\n");
		any = true;
		fprintf(f, "  hop %u: %u next hops, %u flows seen, %u needed\n", h->ttl, k,
			h->flows_seen, h->mda_needed);
		for (size_t a = 0; a < h->nhosts; a++) {
			uint64_t sent = 0, recv = 0;
			char list[128];

			if (!h->hosts[a].flows)
				continue;
			/* Their probes past the split: every later row, the destination's too. */
			for (size_t fl = 0; fl < r->nflows; fl++)
				for (size_t k = i + 1; r->flows[fl].via[i] == a && k < r->nhops;
				     k++) {
					sent += r->flows[fl].hop_sent[k];
					recv += r->flows[fl].hop_received[k];
				}
			flows_through(r, i, a, false, list, sizeof(list));
			fprintf(f, "    %-16s %5.1f%% (%llu of %llu)  flows %s\n",
				h->hosts[a].address, loss_pct_of(sent - recv, sent),
				(unsigned long long)(sent - recv), (unsigned long long)sent, list);
		}
	}
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double v, int decimals)
{
	if (isfinite(v))
		fprintf(f, ",%.*f", decimals, v);
	else
		fputs(",", f);
}

void probe_report_csv(const struct probe_report *r, FILE *f)
{
	fprintf(f, "target,protocol,ttl,address,name,sent,received,loss_pct,loss_ci95_lo,"
		   "loss_ci95_hi,last_ms,avg_ms,best_ms,worst_ms,stdev_ms,jitter_avg_ms,"
		   "rate_limited,destination%s\n",
		r->nflows > 1 ? ",flows,flow_keys" : "");
	for (size_t i = 0; i < r->nhops; i++) {
		const struct probe_hop_report *h = &r->hops[i];
		size_t n = h->nhosts ? h->nhosts : 1;

		for (size_t k = 0; k < n; k++) {
			const struct probe_host_report *o = h->nhosts ? &h->hosts[k] : NULL;

			csv_field(f, r->target);
			fprintf(f, ",%s,%u,", probe_proto_name(r->proto), h->ttl);
			csv_field(f, o ? o->address : "");
			fputc(',', f);
			csv_field(f, o ? o->name : "");
			fprintf(f, ",%llu,%llu", (unsigned long long)h->all_sent,
				(unsigned long long)(o ? o->received : 0));
			csv_num(f, h->loss_pct, 2);
			csv_num(f, h->loss_lo, 2);
			csv_num(f, h->loss_hi, 2);
			csv_num(f, o ? o->last_ms : NAN, 3);
			csv_num(f, o ? o->avg_ms : NAN, 3);
			csv_num(f, o ? o->best_ms : NAN, 3);
			csv_num(f, o ? o->worst_ms : NAN, 3);
			csv_num(f, o ? o->stdev_ms : NAN, 3);
			csv_num(f, o ? o->jitter_avg_ms : NAN, 3);
			fprintf(f, ",%s,%s", h->rate_limited ? "true" : "false",
				h->destination ? "true" : "false");
			/* --flows: the flows this responder answered, and their keys. */
			if (r->nflows > 1) {
				char keys[PROBE_MAX_FLOWS * 6 + 8] = "";

				if (o)
					flows_through(r, i, k, true, keys, sizeof(keys));
				fprintf(f, ",%u,%s", o ? o->flows : 0, keys);
			}
			fputc('\n', f);
		}
	}
}

/* --flows, in a hub: every address of the hop, with the keys of the flows it answered. */
static void mtr_json_hosts(const struct probe_report *r, size_t i, struct json_writer *j)
{
	const struct probe_hop_report *h = &r->hops[i];

	json_array_begin(j, "hosts");
	for (size_t a = 0; a < h->nhosts; a++) {
		json_object_begin(j, NULL);
		json_string(j, "host", h->hosts[a].name[0] ? h->hosts[a].name : h->hosts[a].address);
		json_uint(j, "flows", h->hosts[a].flows);
		json_array_begin(j, "flow_keys");
		for (size_t f = 0; f < r->nflows; f++)
			if (r->flows[f].via[i] == a)
				json_uint(j, NULL, r->flows[f].key);
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
}

/*
 * mtr --json's layout (report.mtr and report.hubs[], mtr 0.95), so that what parses mtr's
 * output reads ours: one hub per hop, its first responder, the hop's loss as dropscope judges
 * it (a rate-limited hop's from its paced probes), "???" for a hop that never answered. With
 * --flows, keys of ours beside mtr's: the flows, and each hub's addresses with their flows.
 */
void probe_report_mtr_json(const struct probe_report *r, const struct probe_config *cfg,
				  FILE *f)
{
	struct json_writer j;
	char host[256] = "", size[16];

	gethostname(host, sizeof(host) - 1);
	snprintf(size, sizeof(size), "%u", r->size);
	json_init(&j, f, true);
	json_object_begin(&j, NULL);
	json_object_begin(&j, "report");
	json_object_begin(&j, "mtr");
	json_string(&j, "src", host);
	json_string(&j, "dst", r->target);
	json_int(&j, "tos", 0);
	/* mtr's -c; under --duration, the rounds the first hop got */
	json_uint(&j, "tests", cfg->count ? cfg->count : r->nhops ? r->hops[0].all_sent : 0);
	json_string(&j, "psize", size);
	json_string(&j, "bitpattern", "0x00");
	if (r->nflows > 1)
		json_uint(&j, "flows", r->nflows);
	json_object_end(&j);
	json_array_begin(&j, "hubs");
	for (size_t i = 0; i < r->nhops; i++) {
		const struct probe_hop_report *h = &r->hops[i];
		const struct probe_host_report *o = h->nhosts ? &h->hosts[0] : NULL;

		json_object_begin(&j, NULL);
		json_uint(&j, "count", h->ttl);
		json_string(&j, "host", !o ? "???" : o->name[0] ? o->name : o->address);
		json_double(&j, "Loss%", h->sent ? h->loss_pct : 0.0, 1);
		json_uint(&j, "Snt", h->sent);
		json_double(&j, "Last", o ? o->last_ms : 0, 3);
		json_double(&j, "Avg", o ? o->avg_ms : 0, 3);
		json_double(&j, "Best", o ? o->best_ms : 0, 3);
		json_double(&j, "Wrst", o ? o->worst_ms : 0, 3);
		json_double(&j, "StDev", o ? o->stdev_ms : 0, 3);
		if (r->nflows > 1)
			mtr_json_hosts(r, i, &j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

