// SPDX-License-Identifier: GPL-2.0
/* Deltas between two host counter snapshots, and their JSON and text. Pure: no I/O but the
 * FILE the caller gives. See hostdelta.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/pkt_sched.h>

#include "hostdelta.h"
#include "util.h"

/* ---- deltas ---- */

/* Counters the kernel keeps in 32 bits wrap; unwrap one wrap over the window. */
static uint64_t delta32(uint64_t before, uint64_t after)
{
	return (after - before) & 0xffffffffu;
}

/* /proc counters are unsigned long: 64 bits here, 32 on 32-bit kernels. Going backwards past a
 * 32-bit value is a wrap; anything else is a reset, which counts nothing. */
static uint64_t delta_ulong(uint64_t before, uint64_t after)
{
	if (after >= before)
		return after - before;
	if (before <= 0xffffffffu)
		return delta32(before, after);
	return 0;
}

static const struct softnet_cpu *find_cpu(const struct softnet_stat *s, size_t row, int cpu,
					  bool by_id)
{
	if (!by_id)
		return row < s->n ? &s->cpus[row] : NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->cpus[i].cpu == cpu)
			return &s->cpus[i];
	return NULL;
}

static int delta_softnet(const struct host_counters *b, const struct host_counters *a,
			 struct host_delta *d)
{
	bool by_id = b->softnet.cpu_known && a->softnet.cpu_known;

	if (b->softnet_err || a->softnet_err || !a->softnet.n)
		return 0;
	d->cpus = calloc(a->softnet.n, sizeof(*d->cpus));
	if (!d->cpus)
		return -ENOMEM;
	for (size_t i = 0; i < a->softnet.n; i++) {
		const struct softnet_cpu *y = &a->softnet.cpus[i];
		const struct softnet_cpu *x = find_cpu(&b->softnet, i, y->cpu, by_id);
		struct hd_cpu *c = &d->cpus[d->n_cpus];

		if (!x)
			continue; /* a CPU that came online during the window */
		c->cpu = y->cpu;
		c->processed = delta32(x->processed, y->processed);
		c->dropped = delta32(x->dropped, y->dropped);
		c->time_squeeze = delta32(x->time_squeeze, y->time_squeeze);
		c->received_rps = delta32(x->received_rps, y->received_rps);
		c->flow_limit_count = delta32(x->flow_limit_count, y->flow_limit_count);
		d->softnet_total.processed += c->processed;
		d->softnet_total.dropped += c->dropped;
		d->softnet_total.time_squeeze += c->time_squeeze;
		d->softnet_total.received_rps += c->received_rps;
		d->softnet_total.flow_limit_count += c->flow_limit_count;
		d->n_cpus++;
	}
	d->softnet_total.cpu = -1;
	d->softnet_ok = true;
	return 0;
}

static const struct hc_iface *find_iface(const struct host_counters *hc,
					 const struct hc_iface *like)
{
	for (size_t i = 0; i < hc->n_ifaces; i++)
		if (hc->ifaces[i].link.ifindex == like->link.ifindex &&
		    !strcmp(hc->ifaces[i].link.name, like->link.name))
			return &hc->ifaces[i];
	return NULL;
}

static const struct hc_dstat *find_dstat(const struct hc_iface *ifc, size_t hint, const char *name)
{
	if (hint < ifc->n_dstats && !strcmp(ifc->dstats[hint].name, name))
		return &ifc->dstats[hint];
	for (size_t i = 0; i < ifc->n_dstats; i++)
		if (!strcmp(ifc->dstats[i].name, name))
			return &ifc->dstats[i];
	return NULL;
}

static int delta_iface(const struct hc_iface *x, const struct hc_iface *y, struct hd_iface *o)
{
	int n = x->link.n_stats < y->link.n_stats ? x->link.n_stats : y->link.n_stats;
	size_t moved = 0;

	for (int s = 0; s < n; s++)
		if (y->link.stats[s] < x->link.stats[s])
			o->reset = true;
	for (int s = 0; s < n; s++)
		o->d[s] = o->reset ? y->link.stats[s] : y->link.stats[s] - x->link.stats[s];
	for (size_t i = 0; i < y->n_dstats; i++) {
		const struct hc_dstat *b = find_dstat(x, i, y->dstats[i].name);

		if (b && y->dstats[i].value > b->value)
			moved++;
	}
	if (!moved)
		return 0;
	o->dstats = calloc(moved, sizeof(*o->dstats));
	if (!o->dstats)
		return -ENOMEM;
	for (size_t i = 0; i < y->n_dstats; i++) {
		const struct hc_dstat *b = find_dstat(x, i, y->dstats[i].name);
		struct hd_dstat *ds;

		/* Going down is a gauge or a driver reset: neither is loss in this window. */
		if (!b || y->dstats[i].value <= b->value)
			continue;
		ds = &o->dstats[o->n_dstats++];
		ds->name = y->dstats[i].name;
		ds->delta = y->dstats[i].value - b->value;
		ethstat_classify(ds->name, &ds->cls);
	}
	return 0;
}

static const struct qdisc_info *find_qdisc(const struct host_counters *hc,
					   const struct qdisc_info *like)
{
	for (size_t i = 0; i < hc->n_qdiscs; i++) {
		const struct qdisc_info *q = &hc->qdiscs[i];

		if (q->ifindex == like->ifindex && q->handle == like->handle &&
		    q->parent == like->parent && !strcmp(q->kind, like->kind))
			return q;
	}
	return NULL;
}

int host_counters_delta(const struct host_counters *before, const struct host_counters *after,
			struct host_delta **out)
{
	struct host_delta *d;
	struct host_counters *now = NULL;
	int err = -ENOMEM;

	*out = NULL;
	if (!before || !after)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	now = host_counters_dup(after);
	if (!now)
		goto cleanup;
	d->now = now;
	/* What either snapshot could not read is missing from the deltas: name it all. */
	for (size_t i = 0; i < before->n_errors; i++) {
		bool seen = false;

		for (size_t k = 0; k < now->n_errors; k++)
			seen |= !strcmp(now->errors[k].source, before->errors[i].source);
		if (!seen)
			host_counters_add_error(now, before->errors[i].source, before->errors[i].err,
				  before->errors[i].what);
	}
	d->interval_s = after->t - before->t;
	if (d->interval_s < 0)
		d->interval_s = 0;

	err = delta_softnet(before, now, d);
	if (err)
		goto cleanup;

	for (int c = 0; c < SNMP__COUNT; c++) {
		d->snmp_ok[c] = before->snmp.present[c] && now->snmp.present[c];
		if (d->snmp_ok[c])
			d->snmp[c] = delta_ulong(before->snmp.val[c], now->snmp.val[c]);
	}

	d->ct_ok = before->ct_in_use && now->ct_in_use && !before->ct_stat_err && !now->ct_stat_err;
	for (int s = 0; d->ct_ok && s < CT_STAT__COUNT; s++) {
		d->ct_present[s] = before->ct.present[s] && now->ct.present[s];
		if (d->ct_present[s])
			d->ct[s] = delta_ulong(before->ct.val[s], now->ct.val[s]);
	}

	err = -ENOMEM;
	d->ifaces = calloc(now->n_ifaces ? now->n_ifaces : 1, sizeof(*d->ifaces));
	if (!d->ifaces)
		goto cleanup;
	for (size_t i = 0; i < now->n_ifaces; i++) {
		const struct hc_iface *x = find_iface(before, &now->ifaces[i]);
		struct hd_iface *o = &d->ifaces[d->n_ifaces++];

		o->idx = i;
		o->is_new = !x;
		if (x && delta_iface(x, &now->ifaces[i], o))
			goto cleanup;
	}

	d->qdiscs = calloc(now->n_qdiscs ? now->n_qdiscs : 1, sizeof(*d->qdiscs));
	if (!d->qdiscs)
		goto cleanup;
	for (size_t i = 0; i < now->n_qdiscs; i++) {
		const struct qdisc_info *y = &now->qdiscs[i], *x = find_qdisc(before, y);
		struct hd_qdisc *o = &d->qdiscs[d->n_qdiscs++];

		o->idx = i;
		o->is_new = !x;
		if (!x || !x->has_stats || !y->has_stats)
			continue;
		o->d_bytes = y->bytes >= x->bytes ? y->bytes - x->bytes : 0;
		o->d_packets = delta32(x->packets, y->packets);
		o->d_drops = delta32(x->drops, y->drops);
		o->d_requeues = delta32(x->requeues, y->requeues);
		o->d_overlimits = delta32(x->overlimits, y->overlimits);
	}

	d->udp = calloc(now->n_udp ? now->n_udp : 1, sizeof(*d->udp));
	if (!d->udp)
		goto cleanup;
	for (size_t i = 0; i < now->n_udp; i++) {
		const struct sock_info *y = &now->udp[i];
		uint64_t before_drops = 0;

		/* Not in the first snapshot: it had no drops then (or did not exist). */
		for (size_t k = 0; k < before->n_udp; k++)
			if (before->udp[k].inode == y->inode)
				before_drops = before->udp[k].drops;
		if (y->drops == before_drops)
			continue;
		d->udp[d->n_udp].idx = i;
		d->udp[d->n_udp].d_drops = delta32(before_drops, y->drops);
		d->n_udp++;
	}
	*out = d;
	return 0;
cleanup:
	host_delta_free(d);
	return err;
}

void host_delta_free(struct host_delta *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_ifaces; i++)
		free(d->ifaces[i].dstats);
	free(d->ifaces);
	free(d->qdiscs);
	free(d->udp);
	free(d->cpus);
	host_counters_free(d->now);
	free(d);
}

uint64_t host_delta_link_total(const struct host_delta *d, enum link_stat s)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct hc_iface *ifc = &d->now->ifaces[d->ifaces[i].idx];

		if (!(ifc->link.flags & IFF_LOOPBACK) && !d->ifaces[i].is_new)
			sum += d->ifaces[i].d[s];
	}
	return sum;
}

/* ---- JSON ---- */

static const char *err_str(int err)
{
	return err ? strerror(-err) : NULL;
}

/* "1:", "root", "ffff:fff1" the way tc prints handles. */
static void tc_handle(uint32_t h, char *buf, size_t size)
{
	if (h == TC_H_ROOT)
		snprintf(buf, size, "root");
	else if (h == TC_H_INGRESS)
		snprintf(buf, size, "ingress");
	else if (TC_H_MIN(h))
		snprintf(buf, size, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	else
		snprintf(buf, size, "%x:", TC_H_MAJ(h) >> 16);
}

static const char *iface_name(const struct host_counters *hc, int ifindex)
{
	for (size_t i = 0; i < hc->n_ifaces; i++)
		if (hc->ifaces[i].link.ifindex == ifindex)
			return hc->ifaces[i].link.name;
	return NULL;
}

static void json_sysctls(const struct host_counters *hc, struct json_writer *j)
{
	json_object_begin(j, "sysctls");
	for (int s = 0; s < SYSCTL__COUNT; s++) {
		const struct hc_sysctl_val *v = &hc->sysctl[s];

		if (v->err) {
			json_null(j, hc_sysctl_name(s));
		} else if (v->n == 1) {
			json_int(j, hc_sysctl_name(s), v->v[0]);
		} else {
			json_array_begin(j, hc_sysctl_name(s));
			for (int i = 0; i < v->n; i++)
				json_int(j, NULL, v->v[i]);
			json_array_end(j);
		}
	}
	json_object_end(j);
}

static void json_cpu(struct json_writer *j, const char *key, const struct hd_cpu *c)
{
	json_object_begin(j, key);
	if (c->cpu >= 0)
		json_int(j, "cpu", c->cpu);
	json_uint(j, "processed", c->processed);
	json_uint(j, "dropped", c->dropped);
	json_uint(j, "time_squeeze", c->time_squeeze);
	json_uint(j, "received_rps", c->received_rps);
	json_uint(j, "flow_limit_count", c->flow_limit_count);
	json_object_end(j);
}

static void json_queues(struct json_writer *j, const char *key, const struct hc_queue *q, size_t n,
			bool rx)
{
	json_array_begin(j, key);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(j, NULL);
		json_int(j, "queue", (int64_t)i);
		json_string(j, rx ? "rps_cpus" : "xps_cpus", q[i].cpus);
		if (rx)
			json_uint(j, "rps_flow_cnt", q[i].rps_flow_cnt);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_iface(const struct host_delta *d, const struct hd_iface *o, struct json_writer *j)
{
	const struct hc_iface *ifc = &d->now->ifaces[o->idx];
	const struct link_info *l = &ifc->link;

	json_object_begin(j, NULL);
	json_string(j, "name", l->name);
	json_int(j, "ifindex", l->ifindex);
	json_string(j, "kind", l->kind[0] ? l->kind : NULL);
	json_string(j, "driver", ifc->driver[0] ? ifc->driver : NULL);
	json_bool(j, "up", l->flags & IFF_UP);
	json_bool(j, "new", o->is_new);
	json_bool(j, "reset", o->reset);
	json_object_begin(j, "stats");
	for (int s = 0; s < l->n_stats; s++)
		json_uint(j, link_stat_name(s), o->d[s]);
	json_object_end(j);
	json_int(j, "driver_stats_count", (int64_t)ifc->n_dstats);
	json_string(j, "driver_stats_error", err_str(ifc->dstats_err));
	json_object_begin(j, "driver_stats");
	for (size_t i = 0; i < o->n_dstats; i++)
		json_uint(j, o->dstats[i].name, o->dstats[i].delta);
	json_object_end(j);
	if (ifc->ring_err) {
		json_null(j, "ring");
	} else {
		json_object_begin(j, "ring");
		json_uint(j, "rx", ifc->rx_ring);
		json_uint(j, "rx_max", ifc->rx_ring_max);
		json_uint(j, "tx", ifc->tx_ring);
		json_uint(j, "tx_max", ifc->tx_ring_max);
		json_object_end(j);
	}
	if (ifc->chan_err) {
		json_null(j, "channels");
	} else {
		json_object_begin(j, "channels");
		json_uint(j, "rx", ifc->rx_ch);
		json_uint(j, "tx", ifc->tx_ch);
		json_uint(j, "combined", ifc->combined_ch);
		json_uint(j, "rx_max", ifc->rx_ch_max);
		json_uint(j, "tx_max", ifc->tx_ch_max);
		json_uint(j, "combined_max", ifc->combined_ch_max);
		json_object_end(j);
	}
	json_uint(j, "txqlen", l->txqlen);
	json_string(j, "qdisc", l->qdisc[0] ? l->qdisc : NULL);
	json_uint(j, "num_rx_queues", l->num_rx_queues);
	json_uint(j, "num_tx_queues", l->num_tx_queues);
	if (ifc->queues_err) {
		json_null(j, "rx_queues");
		json_null(j, "tx_queues");
	} else {
		json_queues(j, "rx_queues", ifc->rxq, ifc->n_rxq, true);
		json_queues(j, "tx_queues", ifc->txq, ifc->n_txq, false);
	}
	json_string(j, "queues_error", err_str(ifc->queues_err));
	json_object_end(j);
}

void host_delta_json(const struct host_delta *d, struct json_writer *j, const char *key)
{
	const struct host_counters *hc = d->now;
	char h[32], p[32];

	json_object_begin(j, key);
	json_double(j, "interval_s", d->interval_s, 3);
	json_string(j, "netns", hc->netns);
	json_int(j, "ncpus", hc->ncpus);

	if (!d->softnet_ok) {
		json_null(j, "softnet");
	} else {
		json_object_begin(j, "softnet");
		json_int(j, "columns", hc->softnet.columns);
		json_bool(j, "cpu_ids", hc->softnet.cpu_known);
		json_cpu(j, "total", &d->softnet_total);
		json_array_begin(j, "per_cpu");
		for (size_t i = 0; i < d->n_cpus; i++)
			json_cpu(j, NULL, &d->cpus[i]);
		json_array_end(j);
		json_object_end(j);
	}

	json_object_begin(j, "snmp");
	for (int c = 0; c < SNMP__COUNT; c++)
		if (d->snmp_ok[c])
			json_uint(j, snmp_counter_name(c), d->snmp[c]);
	json_object_end(j);

	json_object_begin(j, "conntrack");
	json_bool(j, "in_use", hc->ct_in_use);
	if (hc->ct_in_use && !hc->ct_err) {
		json_uint(j, "count", hc->ct_count);
		json_uint(j, "max", hc->ct_max);
	} else {
		json_null(j, "count");
		json_null(j, "max");
	}
	if (d->ct_ok) {
		json_object_begin(j, "stats");
		for (int s = 0; s < CT_STAT__COUNT; s++)
			if (d->ct_present[s])
				json_uint(j, ct_stat_name(s), d->ct[s]);
		json_object_end(j);
	} else {
		json_null(j, "stats");
	}
	json_object_end(j);

	json_sysctls(hc, j);

	json_array_begin(j, "interfaces");
	for (size_t i = 0; i < d->n_ifaces; i++)
		json_iface(d, &d->ifaces[i], j);
	json_array_end(j);

	json_array_begin(j, "qdiscs");
	for (size_t i = 0; i < d->n_qdiscs; i++) {
		const struct hd_qdisc *o = &d->qdiscs[i];
		const struct qdisc_info *q = &hc->qdiscs[o->idx];

		tc_handle(q->handle, h, sizeof(h));
		tc_handle(q->parent, p, sizeof(p));
		json_object_begin(j, NULL);
		json_string(j, "dev", iface_name(hc, q->ifindex));
		json_int(j, "ifindex", q->ifindex);
		json_string(j, "kind", q->kind);
		json_string(j, "handle", h);
		json_string(j, "parent", p);
		json_bool(j, "new", o->is_new);
		json_uint(j, "drops", o->d_drops);
		json_uint(j, "overlimits", o->d_overlimits);
		json_uint(j, "requeues", o->d_requeues);
		json_uint(j, "packets", o->d_packets);
		json_uint(j, "bytes", o->d_bytes);
		json_uint(j, "qlen", q->qlen);
		json_uint(j, "backlog_bytes", q->backlog);
		json_object_end(j);
	}
	json_array_end(j);

	json_array_begin(j, "udp_sockets");
	for (size_t i = 0; i < d->n_udp; i++) {
		const struct sock_info *s = &hc->udp[d->udp[i].idx];

		json_object_begin(j, NULL);
		json_string(j, "local", s->local);
		json_uint(j, "inode", s->inode);
		json_uint(j, "drops", d->udp[i].d_drops);
		json_uint(j, "rcvbuf", s->rcvbuf);
		json_uint(j, "rmem_alloc", s->rmem_alloc);
		json_object_end(j);
	}
	json_array_end(j);

	json_array_begin(j, "listeners");
	for (size_t i = 0; i < hc->n_listen; i++) {
		const struct sock_info *s = &hc->listen[i];

		json_object_begin(j, NULL);
		json_string(j, "local", s->local);
		json_uint(j, "inode", s->inode);
		json_uint(j, "accept_queue", s->rqueue);
		json_uint(j, "backlog", s->wqueue);
		json_bool(j, "full", s->rqueue > s->wqueue);
		json_object_end(j);
	}
	json_array_end(j);

	json_array_begin(j, "errors");
	for (size_t i = 0; i < hc->n_errors; i++) {
		json_object_begin(j, NULL);
		json_string(j, "source", hc->errors[i].source);
		json_string(j, "error", strerror(-hc->errors[i].err));
		json_string(j, "missing", hc->errors[i].what);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

/* ---- text ---- */

/* Word-wrapped "label  name +N name +N ..." lines, bounded in number. */
struct text_group {
	FILE *f;
	const char *label;
	char buf[112];
	size_t len;
	bool first;
	int *lines, max_lines;
};

static void tg_flush(struct text_group *t)
{
	if (!t->len)
		return;
	if (*t->lines < t->max_lines)
		fprintf(t->f, "  %-12s %s\n", t->first ? t->label : "", t->buf);
	else if (*t->lines == t->max_lines)
		fprintf(t->f, "  ...\n");
	(*t->lines)++;
	t->first = false;
	t->len = 0;
	t->buf[0] = '\0';
}

static void tg_add(struct text_group *t, const char *name, uint64_t delta)
{
	char item[96];
	int n = snprintf(item, sizeof(item), "%s +%llu", name, (unsigned long long)delta);

	if (n < 0)
		return;
	if (t->len && t->len + 2 + (size_t)n >= sizeof(t->buf))
		tg_flush(t);
	t->len += snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s%s", t->len ? "  " : "",
			   item);
}

void host_delta_text(const struct host_delta *d, FILE *f, int max_lines)
{
	const struct host_counters *hc = d->now;
	int lines = 0;
	struct text_group t = {.f = f, .lines = &lines, .max_lines = max_lines};

	for (size_t i = 0; i < d->n_ifaces; i++) {
		const struct hd_iface *o = &d->ifaces[i];
		const struct hc_iface *ifc = &hc->ifaces[o->idx];

		if (o->is_new)
			continue;
		t.label = ifc->link.name;
		t.first = true;
		for (int s = 0; s < ifc->link.n_stats; s++)
			if (o->d[s] && s != LS_RX_BYTES && s != LS_TX_BYTES)
				tg_add(&t, link_stat_name(s), o->d[s]);
		for (size_t k = 0; k < o->n_dstats; k++)
			if (o->dstats[k].cls.kind != ETHSTAT_OTHER)
				tg_add(&t, o->dstats[k].name, o->dstats[k].delta);
		tg_flush(&t);
	}
	if (d->softnet_ok) {
		t.label = "softnet";
		t.first = true;
		if (d->softnet_total.processed)
			tg_add(&t, "processed", d->softnet_total.processed);
		if (d->softnet_total.dropped)
			tg_add(&t, "dropped", d->softnet_total.dropped);
		if (d->softnet_total.time_squeeze)
			tg_add(&t, "time_squeeze", d->softnet_total.time_squeeze);
		if (d->softnet_total.received_rps)
			tg_add(&t, "received_rps", d->softnet_total.received_rps);
		if (d->softnet_total.flow_limit_count)
			tg_add(&t, "flow_limit_count", d->softnet_total.flow_limit_count);
		tg_flush(&t);
	}
	t.label = "snmp";
	t.first = true;
	for (int c = 0; c < SNMP__COUNT; c++)
		if (d->snmp_ok[c] && d->snmp[c])
			tg_add(&t, snmp_counter_name(c), d->snmp[c]);
	tg_flush(&t);
	if (d->ct_ok) {
		t.label = "conntrack";
		t.first = true;
		for (int s = 0; s < CT_STAT__COUNT; s++)
			if (d->ct_present[s] && d->ct[s])
				tg_add(&t, ct_stat_name(s), d->ct[s]);
		tg_flush(&t);
	}
	for (size_t i = 0; i < d->n_qdiscs; i++) {
		const struct hd_qdisc *o = &d->qdiscs[i];
		const struct qdisc_info *q = &hc->qdiscs[o->idx];
		const char *dev = iface_name(hc, q->ifindex);
		char label[48];

		if (!o->d_drops && !o->d_requeues && !o->d_overlimits)
			continue;
		snprintf(label, sizeof(label), "qdisc %s/%s", dev ? dev : "?", q->kind);
		t.label = label;
		t.first = true;
		tg_add(&t, "drops", o->d_drops);
		tg_add(&t, "overlimits", o->d_overlimits);
		tg_add(&t, "requeues", o->d_requeues);
		tg_add(&t, "packets", o->d_packets);
		tg_flush(&t);
	}
	if (!lines)
		fprintf(f, "  (nothing moved)\n");
}
