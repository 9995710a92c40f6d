// SPDX-License-Identifier: GPL-2.0
/* Deltas between two host counter snapshots, and their JSON and text. Pure: no I/O but the
 * FILE the caller gives. See counters_delta.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/pkt_sched.h>

#include "counters_delta.h"
#include "util.h"

/* ---- deltas ---- */

/* A counter the kernel keeps in 32 bits: modulo 2^32, unless the step is too large to be one
 * (see counters_delta.h). false: went backwards, *out 0. */
static bool delta_narrow(uint64_t before, uint64_t after, uint64_t *out)
{
	uint64_t x = (after - before) & 0xffffffffu;

	*out = x < (1u << 31) ? x : 0;
	return x < (1u << 31);
}

/* A counter passed in 64 bits, maybe 32 underneath: a 32-bit wrap from the upper half to the
 * lower half is unwrapped; any other decrease is unknown. */
static bool delta_wide(uint64_t before, uint64_t after, uint64_t *out)
{
	if (after >= before) {
		*out = after - before;
		return true;
	}
	if (before <= 0xffffffffu)
		return delta_narrow(before, after, out);
	*out = 0;
	return false;
}

static void __attribute__((format(printf, 2, 3)))
backwards(struct host_delta *d, const char *fmt, ...)
{
	char name[sizeof(d->backwards[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < d->n_backwards; i++)
		if (!strcmp(d->backwards[i], name))
			return;
	if (d->n_backwards < HD_MAX_BACKWARDS)
		memcpy(d->backwards[d->n_backwards++], name, sizeof(name));
	else
		d->n_backwards_dropped++;
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

/* One per-CPU softnet column (32 bits in the kernel). */
static uint64_t cpu_delta(struct host_delta *d, int cpu, const char *what, uint64_t before,
			  uint64_t after)
{
	uint64_t v;

	if (!delta_narrow(before, after, &v))
		backwards(d, "cpu%d %s", cpu, what);
	return v;
}

static void cpu_add(struct hd_cpu *to, const struct hd_cpu *c)
{
	to->processed += c->processed;
	to->dropped += c->dropped;
	to->time_squeeze += c->time_squeeze;
	to->received_rps += c->received_rps;
	to->flow_limit_count += c->flow_limit_count;
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
		c->processed = cpu_delta(d, c->cpu, "processed", x->processed, y->processed);
		c->dropped = cpu_delta(d, c->cpu, "dropped", x->dropped, y->dropped);
		c->time_squeeze =
			cpu_delta(d, c->cpu, "time_squeeze", x->time_squeeze, y->time_squeeze);
		c->received_rps =
			cpu_delta(d, c->cpu, "received_rps", x->received_rps, y->received_rps);
		c->flow_limit_count = cpu_delta(d, c->cpu, "flow_limit_count", x->flow_limit_count,
						y->flow_limit_count);
		cpu_add(&d->softnet_total, c);
		d->n_cpus++;
	}
	d->softnet_total.cpu = -1;
	d->softnet_ok = true;
	return 0;
}

static bool same_iface(const struct hc_iface *a, const struct hc_iface *b)
{
	return a->link.ifindex == b->link.ifindex && !strcmp(a->link.name, b->link.name);
}

static const struct hc_iface *find_iface(const struct host_counters *hc,
					 const struct hc_iface *like)
{
	for (size_t i = 0; i < hc->n_ifaces; i++)
		if (same_iface(&hc->ifaces[i], like))
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

static int delta_iface(struct host_delta *d, const struct hc_iface *x, const struct hc_iface *y,
		       struct hd_iface *o)
{
	int n = x->link.n_stats < y->link.n_stats ? x->link.n_stats : y->link.n_stats;
	size_t moved = 0;

	for (int s = 0; s < n; s++) {
		if (delta_wide(x->link.stats[s], y->link.stats[s], &o->d[s]))
			continue;
		o->stat_reset[s] = o->reset = true;
		backwards(d, "%s %s", y->link.name, link_stat_name(s));
	}
	for (size_t i = 0; i < y->n_dstats; i++) {
		const struct hc_dstat *b = find_dstat(x, i, y->dstats[i].name);
		uint64_t v;

		if (b && delta_wide(b->value, y->dstats[i].value, &v) && v)
			moved++;
	}
	o->dstats = moved ? calloc(moved, sizeof(*o->dstats)) : NULL;
	if (moved && !o->dstats)
		return -ENOMEM;
	for (size_t i = 0; i < y->n_dstats; i++) {
		const struct hc_dstat *b = find_dstat(x, i, y->dstats[i].name);
		struct ethstat_class cls;
		uint64_t v;

		if (!b)
			continue;
		ethstat_classify(y->dstats[i].name, &cls);
		/* Driver statistics include gauges (queue lengths ...) that go down by design: only
		 * a loss counter going backwards is worth naming. */
		if (!delta_wide(b->value, y->dstats[i].value, &v) && cls.kind != ETHSTAT_OTHER)
			backwards(d, "%s ethtool %s", y->link.name, y->dstats[i].name);
		if (!v || o->n_dstats >= moved)
			continue;
		o->dstats[o->n_dstats].name = y->dstats[i].name;
		o->dstats[o->n_dstats].delta = v;
		o->dstats[o->n_dstats].cls = cls;
		o->n_dstats++;
	}
	return 0;
}

static bool same_qdisc(const struct qdisc_info *a, const struct qdisc_info *b)
{
	return a->ifindex == b->ifindex && a->handle == b->handle && a->parent == b->parent &&
	       !strcmp(a->kind, b->kind);
}

static const struct qdisc_info *find_qdisc(const struct host_counters *hc,
					   const struct qdisc_info *like)
{
	for (size_t i = 0; i < hc->n_qdiscs; i++)
		if (same_qdisc(&hc->qdiscs[i], like))
			return &hc->qdiscs[i];
	return NULL;
}

/* "eth0 1:" for the names of a qdisc's counters. */
static void qdisc_label(const struct host_counters *hc, const struct qdisc_info *q, char *buf,
			size_t size)
{
	const char *dev = NULL;

	for (size_t i = 0; i < hc->n_ifaces && !dev; i++)
		if (hc->ifaces[i].link.ifindex == q->ifindex)
			dev = hc->ifaces[i].link.name;
	snprintf(buf, size, "%s %x:", dev ? dev : "?", q->handle >> 16);
}

static void delta_qdisc(struct host_delta *d, const struct qdisc_info *x,
			const struct qdisc_info *y, struct hd_qdisc *o)
{
	static const char *const names[] = {"bytes", "packets", "drops", "requeues", "overlimits"};
	bool ok[5];
	char label[48];

	ok[0] = delta_wide(x->bytes, y->bytes, &o->d_bytes);
	ok[1] = delta_narrow(x->packets, y->packets, &o->d_packets);
	ok[2] = delta_narrow(x->drops, y->drops, &o->d_drops);
	ok[3] = delta_narrow(x->requeues, y->requeues, &o->d_requeues);
	ok[4] = delta_narrow(x->overlimits, y->overlimits, &o->d_overlimits);
	for (int i = 0; i < 5; i++)
		if (!ok[i]) {
			qdisc_label(d->now, y, label, sizeof(label));
			backwards(d, "qdisc %s %s", label, names[i]);
		}
}

static const struct sock_info *find_sock(const struct sock_info *s, size_t n, uint32_t inode)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].inode == inode)
			return &s[i];
	return NULL;
}

static int delta_udp(const struct host_counters *before, struct host_delta *d)
{
	const struct host_counters *now = d->now;

	d->udp = calloc(now->n_udp ? now->n_udp : 1, sizeof(*d->udp));
	if (!d->udp)
		return -ENOMEM;
	d->udp_truncated = before->udp_truncated || now->udp_truncated;
	for (size_t i = 0; i < now->n_udp; i++) {
		const struct sock_info *y = &now->udp[i];
		const struct sock_info *x = find_sock(before->udp, before->n_udp, y->inode);
		struct hd_sock *o = &d->udp[d->n_udp];
		uint64_t v = 0;

		if (x) {
			if (!delta_narrow(x->drops, y->drops, &v))
				backwards(d, "socket %s drops", y->local);
		} else if (before->udp_truncated) {
			/* It may have dropped before and been left out of the list. */
			o->is_new = true;
		} else {
			/* Every socket that had dropped was in the list: this one had not (or
			 * did not exist yet). */
			delta_narrow(0, y->drops, &v);
		}
		if (!v && !o->is_new)
			continue;
		o->sock = *y;
		o->d_drops = v;
		d->n_udp++;
	}
	return 0;
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
	d->steps = 1;
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
			host_counters_add_error(now, before->errors[i].source,
						before->errors[i].err, before->errors[i].what);
	}
	d->interval_s = after->t - before->t;
	if (d->interval_s < 0)
		d->interval_s = 0;

	err = delta_softnet(before, now, d);
	if (err)
		goto cleanup;

	for (int c = 0; c < SNMP__COUNT; c++) {
		d->snmp_ok[c] = before->snmp.present[c] && now->snmp.present[c];
		if (d->snmp_ok[c] &&
		    !delta_wide(before->snmp.val[c], now->snmp.val[c], &d->snmp[c])) {
			d->snmp_reset[c] = true;
			backwards(d, "%s", snmp_counter_name(c));
		}
	}

	/* Per-CPU 32-bit counters summed: the sum's delta modulo 2^32 is right. */
	d->ct_ok = before->ct_in_use && now->ct_in_use && !before->ct_stat_err && !now->ct_stat_err;
	for (int s = 0; d->ct_ok && s < CT_STAT__COUNT; s++) {
		d->ct_present[s] = before->ct.present[s] && now->ct.present[s];
		if (d->ct_present[s] && !delta_narrow(before->ct.val[s], now->ct.val[s], &d->ct[s]))
			backwards(d, "conntrack %s", ct_stat_name(s));
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
		if (x && delta_iface(d, x, &now->ifaces[i], o))
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
		if (x && x->has_stats && y->has_stats)
			delta_qdisc(d, x, y, o);
	}

	if (delta_udp(before, d))
		goto cleanup;
	*out = d;
	return 0;
cleanup:
	host_delta_free(d);
	return err;
}

/* ---- adding up steps ---- */

/* The accumulated interface matching step interface o, whose snapshot is now. */
static const struct hd_iface *acc_iface(const struct host_delta *acc, const struct hc_iface *like)
{
	for (size_t i = 0; i < acc->n_ifaces; i++)
		if (same_iface(&acc->now->ifaces[acc->ifaces[i].idx], like))
			return &acc->ifaces[i];
	return NULL;
}

/* o (a step's interface, names in its now, ifc) += x (the same interface, accumulated). */
static int merge_iface(struct hd_iface *o, const struct hc_iface *ifc, const struct hd_iface *x)
{
	size_t extra = 0;
	struct hd_dstat *ds;

	for (int s = 0; s < LS__COUNT; s++) {
		o->d[s] += x->d[s];
		o->stat_reset[s] |= x->stat_reset[s];
	}
	o->reset |= x->reset;
	for (size_t i = 0; i < x->n_dstats; i++) {
		bool found = false;

		for (size_t k = 0; k < o->n_dstats && !found; k++)
			if (!strcmp(o->dstats[k].name, x->dstats[i].name)) {
				o->dstats[k].delta += x->dstats[i].delta;
				found = true;
			}
		extra += !found;
	}
	if (!extra)
		return 0;
	ds = realloc(o->dstats, (o->n_dstats + extra) * sizeof(*ds));
	if (!ds)
		return -ENOMEM;
	o->dstats = ds;
	/* Statistics that moved in earlier steps only: named from the newest snapshot (a
	 * statistic the driver no longer has is left out, like a vanished interface). */
	for (size_t i = 0; i < x->n_dstats; i++) {
		const struct hc_dstat *now = find_dstat(ifc, 0, x->dstats[i].name);
		bool found = false;

		for (size_t k = 0; k < o->n_dstats && !found; k++)
			found = !strcmp(o->dstats[k].name, x->dstats[i].name);
		if (found || !now)
			continue;
		ds[o->n_dstats] = x->dstats[i];
		ds[o->n_dstats].name = now->name;
		o->n_dstats++;
	}
	return 0;
}

static void merge_softnet(struct host_delta *s, const struct host_delta *acc)
{
	s->softnet_ok = s->softnet_ok && acc->softnet_ok;
	if (!s->softnet_ok)
		return;
	/* The step's CPUs are a subset of its snapshot's; a CPU gone offline meanwhile keeps the
	 * drops it counted, so it is added at the end (cpus has room: see host_delta_extend). */
	for (size_t i = 0; i < acc->n_cpus; i++) {
		const struct hd_cpu *x = &acc->cpus[i];
		struct hd_cpu *c = NULL;

		for (size_t k = 0; k < s->n_cpus && !c; k++)
			if (s->cpus[k].cpu == x->cpu)
				c = &s->cpus[k];
		if (c)
			cpu_add(c, x);
		else
			s->cpus[s->n_cpus++] = *x;
	}
	cpu_add(&s->softnet_total, &acc->softnet_total);
}

/* s (the step from acc->now to a later snapshot) += acc. */
static int merge_step(struct host_delta *s, const struct host_delta *acc)
{
	s->interval_s += acc->interval_s;
	s->steps += acc->steps;
	merge_softnet(s, acc);
	for (int c = 0; c < SNMP__COUNT; c++) {
		s->snmp_ok[c] = s->snmp_ok[c] && acc->snmp_ok[c];
		s->snmp_reset[c] |= acc->snmp_reset[c];
		s->snmp[c] += acc->snmp[c];
	}
	s->ct_ok = s->ct_ok && acc->ct_ok;
	for (int c = 0; c < CT_STAT__COUNT; c++) {
		s->ct_present[c] = s->ct_present[c] && acc->ct_present[c];
		s->ct[c] += acc->ct[c];
	}
	for (size_t i = 0; i < s->n_ifaces; i++) {
		struct hd_iface *o = &s->ifaces[i];
		const struct hc_iface *ifc = &s->now->ifaces[o->idx];
		const struct hd_iface *x = o->is_new ? NULL : acc_iface(acc, ifc);

		if (!x || !x->is_new) {
			if (x && merge_iface(o, ifc, x))
				return -ENOMEM;
			continue;
		}
		/* New in an earlier step: still new over the whole window. */
		free(o->dstats);
		*o = (struct hd_iface){.idx = o->idx, .is_new = true};
	}
	for (size_t i = 0; i < s->n_qdiscs; i++) {
		struct hd_qdisc *o = &s->qdiscs[i];
		const struct qdisc_info *q = &s->now->qdiscs[o->idx];

		if (o->is_new)
			continue;
		for (size_t k = 0; k < acc->n_qdiscs; k++) {
			const struct hd_qdisc *x = &acc->qdiscs[k];

			if (!same_qdisc(&acc->now->qdiscs[x->idx], q))
				continue;
			o->is_new = x->is_new;
			o->d_bytes = o->is_new ? 0 : o->d_bytes + x->d_bytes;
			o->d_packets = o->is_new ? 0 : o->d_packets + x->d_packets;
			o->d_drops = o->is_new ? 0 : o->d_drops + x->d_drops;
			o->d_requeues = o->is_new ? 0 : o->d_requeues + x->d_requeues;
			o->d_overlimits = o->is_new ? 0 : o->d_overlimits + x->d_overlimits;
			break;
		}
	}
	/* Sockets: every one either side counted (udp has room: see host_delta_extend). */
	for (size_t i = 0; i < acc->n_udp; i++) {
		const struct hd_sock *x = &acc->udp[i];
		struct hd_sock *o = NULL;

		for (size_t k = 0; k < s->n_udp && !o; k++)
			if (s->udp[k].sock.inode == x->sock.inode)
				o = &s->udp[k];
		if (!o) {
			s->udp[s->n_udp++] = *x;
			continue;
		}
		o->d_drops += x->d_drops;
		o->is_new |= x->is_new;
	}
	s->udp_truncated |= acc->udp_truncated;
	for (size_t i = 0; i < acc->n_backwards; i++)
		backwards(s, "%s", acc->backwards[i]);
	s->n_backwards_dropped += acc->n_backwards_dropped;
	return 0;
}

int host_delta_extend(struct host_delta *d, const struct host_counters *after)
{
	struct host_delta *s = NULL, tmp;
	void *p;
	int err;

	if (!d || !d->now || !after)
		return -EINVAL;
	err = host_counters_delta(d->now, after, &s);
	if (err)
		return err;
	/* Room for what only the accumulated side has: CPUs gone offline, sockets gone. */
	err = -ENOMEM;
	p = realloc(s->cpus, (s->n_cpus + d->n_cpus + 1) * sizeof(*s->cpus));
	if (!p)
		goto cleanup;
	s->cpus = p;
	p = realloc(s->udp, (s->n_udp + d->n_udp + 1) * sizeof(*s->udp));
	if (!p)
		goto cleanup;
	s->udp = p;
	err = merge_step(s, d);
	if (err)
		goto cleanup;
	tmp = *d;
	*d = *s;
	*s = tmp; /* the old contents, freed below */
cleanup:
	host_delta_free(s);
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
	json_array_begin(j, "reset_stats");
	for (int s = 0; s < l->n_stats; s++)
		if (o->stat_reset[s])
			json_string(j, NULL, link_stat_name(s));
	json_array_end(j);
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
	json_int(j, "steps", d->steps);
	json_string(j, "netns", hc->netns);
	json_int(j, "ncpus", hc->ncpus);
	json_array_begin(j, "went_backwards");
	for (size_t i = 0; i < d->n_backwards; i++)
		json_string(j, NULL, d->backwards[i]);
	json_array_end(j);
	json_uint(j, "went_backwards_more", d->n_backwards_dropped);

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
		const struct hd_sock *o = &d->udp[i];

		json_object_begin(j, NULL);
		json_string(j, "local", o->sock.local);
		json_uint(j, "inode", o->sock.inode);
		json_bool(j, "new", o->is_new);
		if (o->is_new && !o->d_drops)
			json_null(j, "drops");
		else
			json_uint(j, "drops", o->d_drops);
		json_uint(j, "rcvbuf", o->sock.rcvbuf);
		json_uint(j, "rmem_alloc", o->sock.rmem_alloc);
		json_object_end(j);
	}
	json_array_end(j);
	json_bool(j, "udp_sockets_truncated", d->udp_truncated);

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

/* "name +delta", or the name alone when delta is NULL. */
static void tg_add_item(struct text_group *t, const char *name, const uint64_t *delta)
{
	char item[96];
	int n = delta ? snprintf(item, sizeof(item), "%s +%llu", name, (unsigned long long)*delta)
		      : snprintf(item, sizeof(item), "%s", name);

	if (n < 0)
		return;
	if (t->len && t->len + 2 + (size_t)n >= sizeof(t->buf))
		tg_flush(t);
	t->len += snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s%s", t->len ? "  " : "",
			   item);
}

static void tg_add(struct text_group *t, const char *name, uint64_t delta)
{
	tg_add_item(t, name, &delta);
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
	if (d->n_backwards) {
		t.label = "backwards";
		t.first = true;
		for (size_t i = 0; i < d->n_backwards; i++)
			tg_add_item(&t, d->backwards[i], NULL);
		tg_flush(&t);
	}
	if (!lines)
		fprintf(f, "  (nothing moved)\n");
}
