// SPDX-License-Identifier: GPL-2.0
/* An episode's segments summed (monitor_acc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor_acc.h"

void episode_acc_init(struct episode_acc *a)
{
	memset(a, 0, sizeof(*a));
}

void episode_acc_free(struct episode_acc *a)
{
	free(a->rows);
	free(a->report.hops);
	episode_acc_init(a);
}

/* A responder's round trips as the running statistics they were computed from. */
static struct rtt_stats host_rtt(const struct probe_host_report *h)
{
	struct rtt_stats s = {
		.n = h->received,
		.last = h->last_ms,
		.best = h->best_ms,
		.worst = h->worst_ms,
		.mean = h->avg_ms,
		.jitter = h->jitter_ms,
		.jitter_avg = h->jitter_avg_ms,
		.jitter_max = h->jitter_max_ms,
		.jitter_int = h->jitter_int_ms,
	};

	s.ssd = h->received > 1 ? h->stdev_ms * h->stdev_ms * (double)(h->received - 1) : 0;
	return s;
}

static void add_hosts(struct acc_row *row, const struct probe_hop_report *o)
{
	struct probe_hop_report *r = &row->r;

	r->other_replies += o->other_replies;
	for (size_t k = 0; k < o->nhosts && k < PROBE_MAX_RESPONDERS; k++) {
		const struct probe_host_report *h = &o->hosts[k];
		struct rtt_stats s = host_rtt(h);
		size_t j;

		for (j = 0; j < r->nhosts && strcmp(r->hosts[j].address, h->address); j++)
			;
		if (j == r->nhosts) {
			if (r->nhosts == PROBE_MAX_RESPONDERS) {
				r->other_replies += h->received;
				continue;
			}
			r->nhosts++;
			memset(&row->rtt[j], 0, sizeof(row->rtt[j]));
		}
		rtt_merge(&row->rtt[j], &s);
		/* Its last answer's kind and name are the latest segment's. */
		r->hosts[j] = *h;
		r->hosts[j].received = row->rtt[j].n;
	}
}

/* The prober's counts behind a report row, as it decided over them (this host's losses out). */
static void add_counts(struct hop_counts *c, const struct hop_counts *o)
{
	c->fast_sent += o->fast_sent;
	c->fast_lost += o->fast_lost;
	c->paced_sent += o->paced_sent;
	c->paced_lost += o->paced_lost;
	c->tail_sent += o->tail_sent;
	c->tail_lost += o->tail_lost;
	c->paced |= o->paced;
	c->replied |= o->replied;
}

static void add_row(struct acc_row *row, const struct probe_hop_report *o)
{
	add_counts(&row->c, &o->counts);
	row->r.ttl = o->ttl;
	row->r.all_sent += o->all_sent;
	row->r.all_received += o->all_received;
	row->r.paced_sent += o->paced_sent;
	row->r.paced_received += o->paced_received;
	add_hosts(row, o);
}

static int add_path(struct episode_acc *a, const struct probe_report *r)
{
	bool dest_row = false;
	size_t need = 0;

	for (size_t h = 0; h < r->nhops; h++)
		if (!r->hops[h].destination && r->hops[h].ttl > need &&
		    r->hops[h].ttl <= PROBE_MAX_TTL)
			need = r->hops[h].ttl;
	if (need > a->nrows) {
		struct acc_row *rows = realloc(a->rows, need * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		memset(rows + a->nrows, 0, (need - a->nrows) * sizeof(*rows));
		a->rows = rows;
		a->nrows = need;
	}
	for (size_t h = 0; h < r->nhops; h++) {
		const struct probe_hop_report *o = &r->hops[h];

		if (!o->ttl || o->ttl > PROBE_MAX_TTL)
			continue;
		if (!o->destination) {
			add_row(&a->rows[o->ttl - 1], o);
			continue;
		}
		add_row(&a->dest, o);
		dest_row = true;
		if (o->ttl > a->dest_ttl)
			a->dest_ttl = o->ttl;
	}
	/* No row: the path's length never learnt; its probes went on in their own stream. */
	if (!dest_row) {
		a->dest.c.fast_sent += r->end_to_end.sent;
		a->dest.c.fast_lost += r->end_to_end.sent - r->end_to_end.received;
	}
	return 0;
}

int episode_acc_add(struct episode_acc *a, const struct fate_totals *f,
		    const uint64_t *network_at_ttl, const struct probe_report *r)
{
	struct fate_totals *t = &a->fate;

	if (r) {
		struct probe_report m = *r;

		if (add_path(a, r))
			return -ENOMEM;
		m.hops = NULL;
		m.nhops = 0;
		m.flows = NULL;
		m.nflows = 1;
		m.reached |= a->meta.reached;
		if (m.reached)
			m.unreachable[0] = 0;
		m.probes_sent += a->meta.probes_sent;
		m.send_errors += a->meta.send_errors;
		m.replies_unmatched += a->meta.replies_unmatched;
		m.replies_duplicate += a->meta.replies_duplicate;
		m.replies_late += a->meta.replies_late;
		m.window_waits += a->meta.window_waits;
		m.dest_filtered |= a->meta.dest_filtered;
		/* The nearest hop any segment found too small for the probes. */
		if (a->meta.mtu_limit.seen &&
		    (!m.mtu_limit.seen || a->meta.mtu_limit.ttl <= m.mtu_limit.ttl))
			m.mtu_limit = a->meta.mtu_limit;
		/* Of one segment's flows, which the sum does not keep. */
		memset(&m.branch, 0, sizeof(m.branch));
		m.mda_complete = false;
		m.mda_probes = 0;
		a->meta = m;
	}
	t->sent += f->sent;
	t->lost += f->lost;
	t->in_flight += f->in_flight;
	t->egress += f->egress;
	t->ingress += f->ingress;
	t->other_ns += f->other_ns;
	t->refused += f->refused;
	t->network += f->network;
	t->filtered += f->filtered;
	/* The reason of the segment that lost the most that way (each segment's is its most
	 * frequent). */
	if (f->egress_reason && f->egress > a->egress_most) {
		t->egress_reason = f->egress_reason;
		a->egress_most = f->egress;
	}
	if (f->ingress_reason && f->ingress > a->ingress_most) {
		t->ingress_reason = f->ingress_reason;
		a->ingress_most = f->ingress;
	}
	for (size_t i = 0; network_at_ttl && i <= PROBE_MAX_TTL; i++)
		a->network_at_ttl[i] += network_at_ttl[i];
	a->segments++;
	return 0;
}

/* The row at TTL ttl of the report (dttl: the destination's, 0: none); NULL: nothing there. */
static const struct acc_row *row_at(const struct episode_acc *a, size_t ttl, size_t dttl)
{
	if (ttl == dttl)
		return &a->dest;
	if (ttl > a->nrows || !a->rows[ttl - 1].r.ttl)
		return NULL;
	return &a->rows[ttl - 1];
}

const struct probe_report *episode_acc_report(struct episode_acc *a, double started_wall,
					      double duration_s)
{
	struct hop_counts hc[PROBE_MAX_TTL + 1];
	struct hop_verdict v[PROBE_MAX_TTL + 1];
	struct probe_report *r = &a->report;
	struct probe_hop_report *hops;
	size_t first = 1, last = 0, dttl = 0, n;
	int origin;

	for (size_t i = 0; i < a->nrows; i++)
		if (a->rows[i].r.ttl)
			last = i + 1;
	/* The destination after the farthest hop any segment had, at its farthest TTL at least. */
	if (a->dest_ttl)
		dttl = a->dest_ttl > last ? a->dest_ttl : last + 1;
	if (dttl > last)
		last = dttl;
	while (first <= last && !row_at(a, first, dttl))
		first++;
	if (first > last) {
		errno = ENOENT;
		return NULL;
	}
	n = last - first + 1;
	hops = realloc(r->hops, n * sizeof(*hops));
	if (!hops) {
		errno = ENOMEM;
		return NULL;
	}
	*r = a->meta;
	r->hops = hops;
	r->nhops = n;
	r->started_wall = started_wall;
	r->duration_s = duration_s;
	for (size_t i = 0; i < n; i++) {
		const struct acc_row *row = row_at(a, first + i, dttl);

		memset(&hops[i], 0, sizeof(hops[i]));
		memset(&hc[i], 0, sizeof(hc[i]));
		/* A row between two probed ones that no segment had: nothing sent there. */
		hops[i].ttl = (unsigned int)(first + i);
		if (!row)
			continue;
		hc[i] = row->c;
		hops[i] = row->r;
		hops[i].counts = row->c;
		hops[i].ttl = (unsigned int)(first + i);
		hops[i].destination = row == &a->dest;
		if (hops[i].nhosts > 1)
			r->multipath = true;
		for (size_t k = 0; k < hops[i].nhosts; k++) {
			const struct rtt_stats *s = &row->rtt[k];

			hops[i].hosts[k].received = s->n;
			hops[i].hosts[k].avg_ms = s->mean;
			hops[i].hosts[k].best_ms = s->best;
			hops[i].hosts[k].worst_ms = s->worst;
			hops[i].hosts[k].last_ms = s->last;
			hops[i].hosts[k].stdev_ms = rtt_stdev(s);
			hops[i].hosts[k].jitter_avg_ms = s->jitter_avg;
			hops[i].hosts[k].jitter_max_ms = s->jitter_max;
		}
	}
	origin = probe_attribute(hc, n, PROBE_ALPHA, v);
	a->excused = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].rate_limited && !hops[i].destination && hops[i].ttl <= PROBE_MAX_TTL)
			a->excused += a->network_at_ttl[hops[i].ttl];
	/* With no row of its own, end to end is its probes' counts (dest.c: fast ones). */
	probe_report_set_verdict(r, v, origin, a->dest.c.fast_sent + a->dest.c.paced_sent,
				 a->dest.c.fast_sent + a->dest.c.paced_sent - a->dest.c.fast_lost -
					 a->dest.c.paced_lost);
	return r;
}

int acc_segment_keep(struct acc_segment *s, const struct fate_totals *f,
		     const uint64_t *network_at_ttl, const struct probe_report *r)
{
	memset(s, 0, sizeof(*s));
	s->fate = *f;
	if (network_at_ttl)
		memcpy(s->network_at_ttl, network_at_ttl, sizeof(s->network_at_ttl));
	if (!r)
		return 0;
	s->report = *r;
	s->report.hops = NULL;
	s->report.flows = NULL;
	s->report.nflows = 1;
	if (r->nhops) {
		s->report.hops = malloc(r->nhops * sizeof(*r->hops));
		if (!s->report.hops) {
			memset(s, 0, sizeof(*s));
			return -ENOMEM;
		}
		memcpy(s->report.hops, r->hops, r->nhops * sizeof(*r->hops));
	}
	s->has_report = true;
	return 0;
}

int episode_acc_add_kept(struct episode_acc *a, const struct acc_segment *s)
{
	return episode_acc_add(a, &s->fate, s->network_at_ttl, s->has_report ? &s->report : NULL);
}

void acc_segment_free(struct acc_segment *s)
{
	free(s->report.hops);
	memset(s, 0, sizeof(*s));
}
