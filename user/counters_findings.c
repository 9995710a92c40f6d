// SPDX-License-Identifier: GPL-2.0
/* Findings from host counter deltas: the rules and the evidence (the fixes: fix_cmd.c). See
 * counters_findings.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/pkt_sched.h>

#include "counters_findings.h"
#include "fix_cmd.h"
#include "util.h"

#define MIB (1024 * 1024)

const char *finding_severity_name(enum finding_severity s)
{
	switch (s) {
	case SEV_CRITICAL:
		return "critical";
	case SEV_HIGH:
		return "high";
	case SEV_MEDIUM:
		return "medium";
	default:
		return "low";
	}
}

const struct finding_kind finding_kinds[] = {
	{"nic_rx_missed", "the NIC ran out of RX ring buffers (rx_missed/fifo/over_errors, driver "
			  "rx_*drop*, no_buffer, per-queue drops summed) -> ethtool -G IF rx MAX"},
	{"nic_rx_dropped", "the interface's rx_dropped rose (the kernel dropped at the device)"},
	{"nic_rx_errors", "damaged frames (CRC, frame, length) -> cabling, optics, duplex"},
	{"nic_tx_dropped", "the interface's tx_dropped or driver TX drops rose -> TX ring"},
	{"nic_tx_errors", "carrier/aborted/fifo TX errors -> the link"},
	{"softnet_dropped", "per-CPU backlog full -> net.core.netdev_max_backlog, RPS/RFS"},
	{"softnet_time_squeeze",
	 "the receive softirq ran out of budget with work left -> netdev_budget(_usecs), RPS"},
	{"udp_rcvbuf_errors", "UDP socket receive buffers full -> SO_RCVBUF, net.core.rmem_max"},
	{"udp_sndbuf_errors", "UDP sends refused -> SO_SNDBUF, net.core.wmem_max (or qdisc drops)"},
	{"udp_mem_errors", "the UDP memory limit reached -> net.ipv4.udp_mem"},
	{"udp_in_errors", "UDP input errors no other counter explains (socket filters, IPsec "
			  "policy, bad lengths) -> dropscope trace"},
	{"tcp_listen_overflows", "accept queues full (ListenOverflows/ListenDrops) -> listen() "
				 "backlog, net.core.somaxconn, net.ipv4.tcp_max_syn_backlog"},
	{"tcp_backlog_drop", "TCPBacklogDrop: socket backlog full while the application held it"},
	{"tcp_rcvq_drop", "TCPRcvQDrop, RcvPruned, TCPZeroWindowDrop: receive queue full"},
	{"tcp_ofo_drop", "TCPOFODrop: the out-of-order queue could not grow"},
	{"tcp_mem_pressure", "TCP memory pressure or aborts on memory -> net.ipv4.tcp_mem"},
	{"tcp_in_errors", "TCP segments dropped as bad (InErrs beyond checksum errors: bad header "
			  "length, SYNs in window) -> dropscope trace"},
	{"tcp_retransmits", "retransmitted segments: a symptom; names the host's drops if any, "
			    "otherwise points at the path"},
	{"ip_in_discards", "Ip(6) InDiscards"},
	{"ip_out_discards", "Ip(6) OutDiscards"},
	{"ip_reasm_fails", "fragments that could not be reassembled -> ipfrag_high_thresh, MTU"},
	{"checksum_errors", "InCsumErrors (IP, TCP, UDP, ICMP, v4 and v6) -> corruption"},
	{"conntrack_full", "conntrack table near full, or drop/early_drop rising -> "
			   "nf_conntrack_max"},
	{"conntrack_insert_failed", "insert_failed rising while the table has room (insert races)"},
	{"qdisc_drops", "a qdisc dropped packets -> its limit / txqueuelen"},
};

const size_t finding_kinds_count = ARRAY_SIZE(finding_kinds);

/* The canonical static string for an id, or NULL. */
static const char *canonical_id(const char *id)
{
	for (size_t i = 0; id && i < ARRAY_SIZE(finding_kinds); i++)
		if (!strcmp(id, finding_kinds[i].id))
			return finding_kinds[i].id;
	return NULL;
}

bool finding_id_known(const char *id)
{
	return canonical_id(id) != NULL;
}

/* ---- the rules ---- */

struct flist {
	struct finding *f;
	size_t n, cap;
	bool nomem;
};

static struct finding *add_finding(struct flist *l, const char *id, const char *ifname,
				   uint64_t count, double interval)
{
	struct finding *f;

	if (l->nomem)
		return NULL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct finding *n = realloc(l->f, cap * sizeof(*n));

		if (!n) {
			l->nomem = true;
			return NULL;
		}
		l->f = n;
		l->cap = cap;
	}
	f = &l->f[l->n++];
	memset(f, 0, sizeof(*f));
	f->id = canonical_id(id);
	f->count = count;
	f->rate = interval > 0 ? count / interval : 0;
	snprintf(f->ifname, sizeof(f->ifname), "%s", ifname ? ifname : "");
	return f;
}

static void ev_add(struct finding *f, const char *key, enum evidence_type t, uint64_t u,
		   const char *text)
{
	struct finding_evidence *e;

	if (f->n_evidence >= FINDING_MAX_EVIDENCE)
		return;
	for (size_t i = 0; i < f->n_evidence; i++)
		if (!strcmp(f->evidence[i].key, key))
			return; /* keys are unique: the first word stands */
	e = &f->evidence[f->n_evidence++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->type = t;
	e->u = u;
	snprintf(e->text, sizeof(e->text), "%s", text ? text : "");
}

static void ev_delta(struct finding *f, const char *key, uint64_t v)
{
	ev_add(f, key, EV_DELTA, v, NULL);
}

static void ev_value(struct finding *f, const char *key, uint64_t v)
{
	ev_add(f, key, EV_VALUE, v, NULL);
}

static void __attribute__((format(printf, 3, 4)))
ev_text(struct finding *f, const char *key, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ev_add(f, key, EV_TEXT, 0, buf);
}

/* Evidence of snmp counters that moved (and always the first, the finding's own). */
static void ev_snmp(struct finding *f, const struct host_delta *d, enum snmp_counter c, bool always)
{
	if (d->snmp_ok[c] && (always || d->snmp[c]))
		ev_delta(f, snmp_counter_name(c), d->snmp[c]);
}

static void ev_sysctl(struct finding *f, const struct host_counters *now, enum hc_sysctl s)
{
	const struct hc_sysctl_val *v = &now->sysctl[s];

	if (v->err)
		return;
	if (v->n == 1)
		ev_value(f, hc_sysctl_name(s), (uint64_t)v->v[0]);
	else if (v->n == 3)
		ev_text(f, hc_sysctl_name(s), "%lld %lld %lld", (long long)v->v[0],
			(long long)v->v[1], (long long)v->v[2]);
}

static uint64_t snmp_sum(const struct host_delta *d, enum snmp_counter a, enum snmp_counter b)
{
	return (d->snmp_ok[a] ? d->snmp[a] : 0) + ((int)b >= 0 && d->snmp_ok[b] ? d->snmp[b] : 0);
}

static bool snmp_known(const struct host_delta *d, enum snmp_counter a, enum snmp_counter b)
{
	return d->snmp_ok[a] || ((int)b >= 0 && d->snmp_ok[b]);
}

/*
 * Severity of a loss counter: by rate, by share of the traffic (fraction < 0 when unknown) and
 * by count. A handful of drops is worth a look; a steady rate or a visible share is not a
 * rounding error.
 */
/* A share of the traffic says something only over a few drops: 1 discard of 189 packets sent in
 * a quiet window is 0.53%, and chance (a monitor's 12 s segment called it "both" so). */
#define SEVERITY_MIN_SHARE_COUNT 10

static enum finding_severity drop_severity(uint64_t count, double rate, double fraction)
{
	bool shared = count >= SEVERITY_MIN_SHARE_COUNT;

	if (rate >= 1000 || (shared && fraction >= 0.05))
		return SEV_CRITICAL;
	if (rate >= 10 || (shared && fraction >= 0.005) || count >= 1000)
		return SEV_HIGH;
	if (count >= 10 || rate >= 1)
		return SEV_MEDIUM;
	return SEV_LOW;
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : -1;
}

static void pct_text(char *buf, size_t size, double fraction, const char *of)
{
	if (fraction < 0)
		buf[0] = '\0';
	else if (fraction < 0.0001)
		snprintf(buf, size, ", <0.01%% of %s", of);
	else
		snprintf(buf, size, ", %.2f%% of %s", fraction * 100, of);
}

/*
 * A finding about n packets lost in the window (NULL when n is 0): severity from the count, the
 * rate and the share of the traffic (whole: the packets that made it, 0 when unknown), and the
 * summary "[IF: ]WHAT: N (R/s[, P% of OF])".
 */
static struct finding *loss_finding(struct flist *l, const struct host_delta *d, const char *id,
				    const char *ifname, uint64_t n, uint64_t whole, const char *of,
				    const char *what)
{
	struct finding *f;
	char pct[64];
	double fr;

	if (!n || !(f = add_finding(l, id, ifname, n, d->interval_s)))
		return NULL;
	fr = whole ? share(n, whole + n) : -1;
	f->severity = drop_severity(n, f->rate, fr);
	pct_text(pct, sizeof(pct), fr, of);
	snprintf(f->summary, sizeof(f->summary), "%s%s%s: %llu (%.1f/s%s)", ifname ? ifname : "",
		 ifname ? ": " : "", what, (unsigned long long)n, f->rate, pct);
	return f;
}

static void set_fixes(struct finding *f, const struct host_delta *d, const char *ifname)
{
	fix_finding(f, d, ifname && *ifname ? ifname : NULL);
}

/* The same statistic of different queues: the names match with their digit runs left out
 * ("rx_queue_3_drops", "rx_queue_12_drops"). */
static bool same_family(const char *a, const char *b)
{
	while (*a && *b) {
		bool da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';

		if (da != db)
			return false;
		if (da) {
			while (*a >= '0' && *a <= '9')
				a++;
			while (*b >= '0' && *b <= '9')
				b++;
		} else if (*a++ != *b++) {
			return false;
		}
	}
	return !*a && !*b;
}

/* What the driver's statistics of one kind say was lost, and which statistic says it. */
struct dloss {
	uint64_t n;
	const char *name; /* the statistic (the first queue's for a per-queue one), or NULL */
	int queues;	  /* queues summed; 0 for a statistic of the whole device */
};

/*
 * A per-queue statistic (rx_queue_N_drops) counts only its queue's packets, so it is summed over
 * the queues. Different statistics (rx_missed_errors, rx_no_buffer_count, the per-queue sum)
 * often count the same packets, so of those the largest is taken, never their sum.
 */
static struct dloss dstat_loss(const struct hd_iface *o, enum ethstat_kind k)
{
	struct dloss best = {0};

	for (size_t i = 0; i < o->n_dstats; i++) {
		const struct hd_dstat *s = &o->dstats[i];
		uint64_t sum = s->delta;
		int nq = 1;
		bool seen = false;

		if (s->cls.kind != k)
			continue;
		if (s->cls.queue >= 0) {
			for (size_t j = 0; j < o->n_dstats; j++) {
				const struct hd_dstat *t = &o->dstats[j];

				if (j == i || t->cls.kind != k || t->cls.queue < 0 ||
				    !same_family(t->name, s->name))
					continue;
				if (j < i) {
					seen = true; /* summed with the first of its family */
					break;
				}
				sum += t->delta;
				nq++;
			}
		}
		if (seen || sum <= best.n)
			continue;
		best.n = sum;
		best.name = s->name;
		best.queues = s->cls.queue >= 0 ? nq : 0;
	}
	return best;
}

/* The larger of a hardware counter's n and the driver's statistics' l. */
static uint64_t max_loss(uint64_t n, struct dloss l)
{
	return l.n > n ? l.n : n;
}

static void ev_dstats(struct finding *f, const struct hd_iface *o, enum ethstat_kind k,
		      struct dloss l)
{
	/* A per-queue sum first ("ethtool rx_queue_*_drops (8 queues)"): with many queues
	 * the individual ones may not all fit the evidence. */
	if (l.queues) {
		char key[64], fam[40];
		size_t n = 0;

		for (const char *p = l.name; *p && n < sizeof(fam) - 1; p++) {
			if (*p >= '0' && *p <= '9') {
				while (p[1] >= '0' && p[1] <= '9')
					p++;
				fam[n++] = '*';
			} else {
				fam[n++] = *p;
			}
		}
		fam[n] = '\0';
		snprintf(key, sizeof(key), "ethtool %s (%d queue%s)", fam, l.queues,
			 l.queues > 1 ? "s" : "");
		ev_delta(f, key, l.n);
	}
	for (size_t i = 0; i < o->n_dstats; i++)
		if (o->dstats[i].cls.kind == k) {
			char key[64];

			snprintf(key, sizeof(key), "ethtool %s", o->dstats[i].name);
			ev_delta(f, key, o->dstats[i].delta);
		}
}

static void ev_nonzero(struct finding *f, const char *key, uint64_t v)
{
	if (v)
		ev_delta(f, key, v);
}

/* The interface counters a finding rests on that went backwards (a device reset): counted as 0
 * in the steps where they did, which the evidence says. */
static void ev_iface_reset(struct finding *f, const struct hd_iface *o, const enum link_stat *s,
			   int n)
{
	char text[128];
	size_t len = 0;

	text[0] = '\0';
	for (int i = 0; i < n; i++)
		if (o->stat_reset[s[i]] && len < sizeof(text))
			len += snprintf(text + len, sizeof(text) - len, "%s%s", len ? ", " : "",
					link_stat_name(s[i]));
	if (len)
		ev_text(f, "went backwards (not counted)", "%s", text);
}

/* A counter's delta when it is a trustworthy denominator (0, unknown, when it went backwards). */
static uint64_t known_delta(const struct hd_iface *o, enum link_stat s)
{
	return o->stat_reset[s] ? 0 : o->d[s];
}

static void rules_iface(struct flist *l, const struct host_delta *d, const struct hd_iface *o)
{
	static const enum link_stat missed[] = {LS_RX_MISSED_ERRORS, LS_RX_FIFO_ERRORS,
						LS_RX_OVER_ERRORS, LS_RX_PACKETS};
	static const enum link_stat rxerr[] = {LS_RX_CRC_ERRORS, LS_RX_FRAME_ERRORS,
					       LS_RX_LENGTH_ERRORS, LS_RX_ERRORS};
	static const enum link_stat txdrop[] = {LS_TX_DROPPED, LS_TX_PACKETS};
	static const enum link_stat txerr[] = {LS_TX_ERRORS, LS_TX_PACKETS};
	static const enum link_stat rxdrop[] = {LS_RX_DROPPED, LS_RX_PACKETS};
	const struct hc_iface *ifc = &d->now->ifaces[o->idx];
	const char *name = ifc->link.name;
	const uint64_t *x = o->d;
	struct finding *f;
	struct dloss dl;
	uint64_t n;

	if (o->is_new)
		return;

	/* The NIC had no buffer: the hardware counters, or the driver's own, whichever is more
	 * (they often count the same packets, so they are not added up). */
	n = x[LS_RX_MISSED_ERRORS];
	if (x[LS_RX_FIFO_ERRORS] > n)
		n = x[LS_RX_FIFO_ERRORS];
	if (x[LS_RX_OVER_ERRORS] > n)
		n = x[LS_RX_OVER_ERRORS];
	dl = dstat_loss(o, ETHSTAT_RX_DROP);
	n = max_loss(n, dl);
	f = loss_finding(l, d, "nic_rx_missed", name, n, known_delta(o, LS_RX_PACKETS), "received",
			 "RX ring full, packets lost in the NIC");
	if (f) {
		ev_nonzero(f, "rx_missed_errors", x[LS_RX_MISSED_ERRORS]);
		ev_nonzero(f, "rx_fifo_errors", x[LS_RX_FIFO_ERRORS]);
		ev_nonzero(f, "rx_over_errors", x[LS_RX_OVER_ERRORS]);
		ev_dstats(f, o, ETHSTAT_RX_DROP, dl);
		ev_delta(f, "rx_packets", x[LS_RX_PACKETS]);
		if (!ifc->ring_err) {
			ev_value(f, "rx_ring", ifc->rx_ring);
			ev_value(f, "rx_ring_max", ifc->rx_ring_max);
		}
		if (ifc->n_rxq)
			ev_value(f, "rx_queues", ifc->n_rxq);
		ev_iface_reset(f, o, missed, ARRAY_SIZE(missed));
		set_fixes(f, d, name);
	}

	f = loss_finding(l, d, "nic_rx_dropped", name, x[LS_RX_DROPPED],
			 known_delta(o, LS_RX_PACKETS), "received",
			 "received packets dropped by the kernel at the device");
	if (f) {
		ev_delta(f, "rx_dropped", x[LS_RX_DROPPED]);
		ev_delta(f, "rx_packets", x[LS_RX_PACKETS]);
		ev_nonzero(f, "rx_nohandler", x[LS_RX_NOHANDLER]);
		ev_nonzero(f, "rx_otherhost_dropped", x[LS_RX_OTHERHOST_DROPPED]);
		if (d->softnet_ok && d->softnet_total.dropped) {
			/* Backlog drops are also counted as the device's rx_dropped. */
			ev_delta(f, "softnet dropped", d->softnet_total.dropped);
			f->explained_by = "softnet_dropped";
		}
		ev_iface_reset(f, o, rxdrop, ARRAY_SIZE(rxdrop));
		set_fixes(f, d, name);
	}

	n = x[LS_RX_CRC_ERRORS] + x[LS_RX_FRAME_ERRORS] + x[LS_RX_LENGTH_ERRORS];
	dl = dstat_loss(o, ETHSTAT_RX_ERROR);
	n = max_loss(n, dl);
	f = loss_finding(l, d, "nic_rx_errors", name, n, known_delta(o, LS_RX_PACKETS), "received",
			 "damaged frames received (CRC, frame, length)");
	if (f) {
		ev_nonzero(f, "rx_crc_errors", x[LS_RX_CRC_ERRORS]);
		ev_nonzero(f, "rx_frame_errors", x[LS_RX_FRAME_ERRORS]);
		ev_nonzero(f, "rx_length_errors", x[LS_RX_LENGTH_ERRORS]);
		ev_dstats(f, o, ETHSTAT_RX_ERROR, dl);
		ev_delta(f, "rx_errors", x[LS_RX_ERRORS]);
		ev_iface_reset(f, o, rxerr, ARRAY_SIZE(rxerr));
		set_fixes(f, d, name);
	}

	dl = dstat_loss(o, ETHSTAT_TX_DROP);
	n = max_loss(x[LS_TX_DROPPED], dl);
	f = loss_finding(l, d, "nic_tx_dropped", name, n, known_delta(o, LS_TX_PACKETS), "sent",
			 "packets dropped on transmit by the device");
	if (f) {
		ev_delta(f, "tx_dropped", x[LS_TX_DROPPED]);
		ev_dstats(f, o, ETHSTAT_TX_DROP, dl);
		ev_delta(f, "tx_packets", x[LS_TX_PACKETS]);
		if (!ifc->ring_err) {
			ev_value(f, "tx_ring", ifc->tx_ring);
			ev_value(f, "tx_ring_max", ifc->tx_ring_max);
		}
		ev_iface_reset(f, o, txdrop, ARRAY_SIZE(txdrop));
		set_fixes(f, d, name);
	}

	f = loss_finding(l, d, "nic_tx_errors", name, x[LS_TX_ERRORS],
			 known_delta(o, LS_TX_PACKETS), "sent", "transmit errors");
	if (f) {
		ev_delta(f, "tx_errors", x[LS_TX_ERRORS]);
		ev_nonzero(f, "tx_carrier_errors", x[LS_TX_CARRIER_ERRORS]);
		ev_nonzero(f, "tx_aborted_errors", x[LS_TX_ABORTED_ERRORS]);
		ev_nonzero(f, "tx_fifo_errors", x[LS_TX_FIFO_ERRORS]);
		ev_nonzero(f, "tx_heartbeat_errors", x[LS_TX_HEARTBEAT_ERRORS]);
		ev_nonzero(f, "tx_window_errors", x[LS_TX_WINDOW_ERRORS]);
		ev_iface_reset(f, o, txerr, ARRAY_SIZE(txerr));
		set_fixes(f, d, name);
	}
}

static void rules_qdisc(struct flist *l, const struct host_delta *d)
{
	const struct host_counters *now = d->now;

	/* Per interface, the root qdisc's numbers: classful and multiqueue roots (htb, mq) count
	 * their children's drops too. Ingress and clsact drop by policy, not for lack of room. */
	for (size_t i = 0; i < d->n_qdiscs; i++) {
		const struct hd_qdisc *o = &d->qdiscs[i];
		const struct qdisc_info *q = &now->qdiscs[o->idx];
		const struct hc_iface *ifc = NULL;
		struct finding *f;
		char what[64];

		if (o->is_new || !o->d_drops || q->parent != TC_H_ROOT)
			continue;
		for (size_t k = 0; k < now->n_ifaces; k++)
			if (now->ifaces[k].link.ifindex == q->ifindex)
				ifc = &now->ifaces[k];
		snprintf(what, sizeof(what), "packets dropped by the %s qdisc", q->kind);
		f = loss_finding(l, d, "qdisc_drops", ifc ? ifc->link.name : "?", o->d_drops,
				 o->d_packets, "offered", what);
		if (!f)
			return;
		ev_text(f, "qdisc", "%s %x: root", q->kind, q->handle >> 16);
		ev_delta(f, "drops", o->d_drops);
		ev_delta(f, "overlimits", o->d_overlimits);
		ev_delta(f, "requeues", o->d_requeues);
		ev_delta(f, "sent_packets", o->d_packets);
		ev_value(f, "qlen_now", q->qlen);
		if (ifc)
			ev_value(f, "txqueuelen", ifc->link.txqlen);
		set_fixes(f, d, ifc ? ifc->link.name : NULL);
	}
}

static void rules_softnet(struct flist *l, const struct host_delta *d)
{
	const struct hd_cpu *tot = &d->softnet_total;
	const struct hc_iface *busy = host_counters_busiest(d->now);
	struct finding *f;

	if (!d->softnet_ok)
		return;
	f = loss_finding(l, d, "softnet_dropped", NULL, tot->dropped, tot->processed, "processed",
			 "CPU input backlog full (host-wide), packets dropped");
	if (f) {
		size_t worst = 0, len = strlen(f->summary);

		for (size_t i = 1; i < d->n_cpus; i++)
			if (d->cpus[i].dropped > d->cpus[worst].dropped)
				worst = i;
		snprintf(f->summary + len, sizeof(f->summary) - len, ", most on CPU %d",
			 d->cpus[worst].cpu);
		ev_delta(f, "softnet dropped", tot->dropped);
		ev_delta(f, "softnet processed", tot->processed);
		for (size_t i = 0; i < d->n_cpus; i++) {
			char key[32];

			if (!d->cpus[i].dropped)
				continue;
			snprintf(key, sizeof(key), "cpu%d dropped", d->cpus[i].cpu);
			ev_delta(f, key, d->cpus[i].dropped);
		}
		ev_nonzero(f, "flow_limit_count", tot->flow_limit_count);
		ev_nonzero(f, "received_rps", tot->received_rps);
		ev_sysctl(f, d->now, SYSCTL_NETDEV_MAX_BACKLOG);
		ev_value(f, "cpus", d->now->ncpus);
		if (busy)
			ev_text(f, "rps", "%s %s", busy->link.name, hc_iface_rps_on(busy) ? "on" : "off");
		set_fixes(f, d, NULL);
	}
	if (tot->time_squeeze &&
	    (f = add_finding(l, "softnet_time_squeeze", NULL, tot->time_squeeze, d->interval_s))) {
		/* A symptom: the work was left for later, not lost. */
		f->severity = f->rate >= 100 || tot->dropped ? SEV_MEDIUM : SEV_LOW;
		snprintf(f->summary, sizeof(f->summary),
			 "receive softirq ran out of budget %llu times with work left (host-wide, "
			 "%.1f/s)",
			 (unsigned long long)tot->time_squeeze, f->rate);
		ev_delta(f, "time_squeeze", tot->time_squeeze);
		ev_delta(f, "softnet processed", tot->processed);
		ev_sysctl(f, d->now, SYSCTL_NETDEV_BUDGET);
		ev_sysctl(f, d->now, SYSCTL_NETDEV_BUDGET_USECS);
		if (busy)
			ev_text(f, "rps", "%s %s", busy->link.name, hc_iface_rps_on(busy) ? "on" : "off");
		set_fixes(f, d, NULL);
	}
}

/* A host-wide drop finding from snmp counters a (+ b, the IPv6 twin; -1 for none). */
static struct finding *snmp_finding(struct flist *l, const struct host_delta *d, const char *id,
				    enum snmp_counter a, int b, uint64_t whole, const char *of,
				    const char *what)
{
	struct finding *f;

	if (!snmp_known(d, a, b))
		return NULL;
	f = loss_finding(l, d, id, NULL, snmp_sum(d, a, b), whole, of, what);
	if (f) {
		ev_snmp(f, d, a, true);
		if (b >= 0)
			ev_snmp(f, d, b, false);
		if (d->snmp_reset[a] || (b >= 0 && d->snmp_reset[b]))
			ev_text(f, "went backwards (not counted)", "%s%s%s",
				d->snmp_reset[a] ? snmp_counter_name(a) : "",
				d->snmp_reset[a] && b >= 0 && d->snmp_reset[b] ? ", " : "",
				b >= 0 && d->snmp_reset[b] ? snmp_counter_name(b) : "");
	}
	return f;
}

/* The (at most 4) sockets that dropped most in the window; those whose drops are unknown (new,
 * see hd_sock) only when there is room left. */
static void ev_udp_sockets(struct finding *f, const struct host_delta *d)
{
	size_t pick[4];
	int n = 0;

	for (; n < 4; n++) {
		size_t best = d->n_udp;

		for (size_t i = 0; i < d->n_udp; i++) {
			bool taken = false;

			for (int k = 0; k < n; k++)
				taken |= pick[k] == i;
			if (!taken &&
			    (best == d->n_udp || d->udp[i].d_drops > d->udp[best].d_drops))
				best = i;
		}
		if (best == d->n_udp)
			break;
		pick[n] = best;
	}
	for (int k = 0; k < n; k++) {
		const struct hd_sock *o = &d->udp[pick[k]];
		char key[80];

		snprintf(key, sizeof(key), "socket %s", o->sock.local);
		if (o->is_new && !o->d_drops)
			ev_text(f, key,
				"drops unknown (not in the first snapshot's list), rcvbuf %u",
				o->sock.rcvbuf);
		else
			ev_text(f, key, "drops +%llu%s, rcvbuf %u, queued %u bytes",
				(unsigned long long)o->d_drops, o->is_new ? " or more" : "",
				o->sock.rcvbuf, o->sock.rmem_alloc);
	}
}

static bool qdisc_dropped(const struct host_delta *d)
{
	for (size_t i = 0; i < d->n_qdiscs; i++)
		if (d->qdiscs[i].d_drops && d->now->qdiscs[d->qdiscs[i].idx].parent == TC_H_ROOT)
			return true;
	return false;
}

/*
 * Udp(6) InErrors also counts every RcvbufErrors, MemErrors and InCsumErrors (net/ipv4/udp.c
 * charges those twice): findings of their own. What is left over are datagrams dropped by a
 * socket filter, IPsec policy, or for a bad length, which no other counter names.
 */
static void rules_udp_in_errors(struct flist *l, const struct host_delta *d, uint64_t in)
{
	uint64_t all = snmp_sum(d, SNMP_UDP_IN_ERRORS, SNMP_UDP6_IN_ERRORS);
	uint64_t known = snmp_sum(d, SNMP_UDP_RCVBUF_ERRORS, SNMP_UDP6_RCVBUF_ERRORS) +
			 snmp_sum(d, SNMP_UDP_MEM_ERRORS, SNMP_UDP6_MEM_ERRORS) +
			 snmp_sum(d, SNMP_UDP_IN_CSUM_ERRORS, SNMP_UDP6_IN_CSUM_ERRORS);
	struct finding *f;

	if (!snmp_known(d, SNMP_UDP_IN_ERRORS, SNMP_UDP6_IN_ERRORS) || all <= known)
		return;
	f = loss_finding(l, d, "udp_in_errors", NULL, all - known, in, "UDP received",
			 "UDP datagrams dropped on input for other reasons (socket filter, IPsec "
			 "policy, bad length)");
	if (!f)
		return;
	ev_snmp(f, d, SNMP_UDP_IN_ERRORS, true);
	ev_snmp(f, d, SNMP_UDP6_IN_ERRORS, false);
	ev_snmp(f, d, SNMP_UDP_RCVBUF_ERRORS, false);
	ev_snmp(f, d, SNMP_UDP6_RCVBUF_ERRORS, false);
	ev_snmp(f, d, SNMP_UDP_MEM_ERRORS, false);
	ev_snmp(f, d, SNMP_UDP6_MEM_ERRORS, false);
	ev_snmp(f, d, SNMP_UDP_IN_CSUM_ERRORS, false);
	ev_snmp(f, d, SNMP_UDP6_IN_CSUM_ERRORS, false);
	set_fixes(f, d, NULL);
}

/* Tcp.InErrs counts checksum errors (checksum_errors) and segments dropped as bad: a header
 * length that does not fit, a SYN inside an established window (RFC 5961). The rest is ours. */
static void rules_tcp_in_errors(struct flist *l, const struct host_delta *d)
{
	uint64_t all = snmp_sum(d, SNMP_TCP_IN_ERRS, -1);
	uint64_t csum = snmp_sum(d, SNMP_TCP_IN_CSUM_ERRORS, -1);
	struct finding *f;

	if (!d->snmp_ok[SNMP_TCP_IN_ERRS] || all <= csum)
		return;
	f = loss_finding(l, d, "tcp_in_errors", NULL, all - csum, snmp_sum(d, SNMP_TCP_IN_SEGS, -1),
			 "segments received",
			 "TCP segments dropped as bad (header length, SYN in window)");
	if (!f)
		return;
	ev_snmp(f, d, SNMP_TCP_IN_ERRS, true);
	ev_snmp(f, d, SNMP_TCP_IN_CSUM_ERRORS, true);
	ev_snmp(f, d, SNMP_TCP_IN_SEGS, true);
	set_fixes(f, d, NULL);
}

static void rules_udp(struct flist *l, const struct host_delta *d)
{
	uint64_t in = snmp_sum(d, SNMP_UDP_IN_DATAGRAMS, SNMP_UDP6_IN_DATAGRAMS);
	uint64_t out = snmp_sum(d, SNMP_UDP_OUT_DATAGRAMS, SNMP_UDP6_OUT_DATAGRAMS);
	struct finding *f;

	f = snmp_finding(l, d, "udp_rcvbuf_errors", SNMP_UDP_RCVBUF_ERRORS, SNMP_UDP6_RCVBUF_ERRORS,
			 in, "UDP received", "UDP receive buffers full, datagrams dropped");
	if (f) {
		ev_snmp(f, d, SNMP_UDP_IN_DATAGRAMS, true);
		ev_snmp(f, d, SNMP_UDP6_IN_DATAGRAMS, false);
		ev_snmp(f, d, SNMP_UDP_IN_ERRORS, false);
		ev_snmp(f, d, SNMP_UDP6_IN_ERRORS, false);
		ev_sysctl(f, d->now, SYSCTL_RMEM_MAX);
		ev_sysctl(f, d->now, SYSCTL_RMEM_DEFAULT);
		ev_udp_sockets(f, d);
		set_fixes(f, d, NULL);
	}
	f = snmp_finding(l, d, "udp_sndbuf_errors", SNMP_UDP_SNDBUF_ERRORS, SNMP_UDP6_SNDBUF_ERRORS,
			 out, "UDP sent", "UDP sends refused, datagrams dropped");
	if (f) {
		ev_snmp(f, d, SNMP_UDP_OUT_DATAGRAMS, true);
		ev_sysctl(f, d->now, SYSCTL_WMEM_MAX);
		if (qdisc_dropped(d))
			f->explained_by = "qdisc_drops";
		fix_finding_udp_sndbuf(f, d, qdisc_dropped(d));
	}
	f = snmp_finding(l, d, "udp_mem_errors", SNMP_UDP_MEM_ERRORS, SNMP_UDP6_MEM_ERRORS, in,
			 "UDP received", "UDP memory limit reached, datagrams dropped");
	if (f) {
		ev_snmp(f, d, SNMP_UDP_IN_ERRORS, false);
		ev_snmp(f, d, SNMP_UDP6_IN_ERRORS, false);
		ev_sysctl(f, d->now, SYSCTL_UDP_MEM);
		set_fixes(f, d, NULL);
	}
	rules_udp_in_errors(l, d, in);
}

static void rules_tcp(struct flist *l, const struct host_delta *d)
{
	const struct host_counters *now = d->now;
	struct finding *f;
	uint64_t n;

	/* ListenDrops counts every SYN or ACK dropped at a listener, overflows included. */
	n = d->snmp_ok[SNMP_TCPEXT_LISTEN_DROPS] ? d->snmp[SNMP_TCPEXT_LISTEN_DROPS] : 0;
	if (d->snmp_ok[SNMP_TCPEXT_LISTEN_OVERFLOWS] && d->snmp[SNMP_TCPEXT_LISTEN_OVERFLOWS] > n)
		n = d->snmp[SNMP_TCPEXT_LISTEN_OVERFLOWS];
	f = loss_finding(l, d, "tcp_listen_overflows", NULL, n,
			 d->snmp_ok[SNMP_TCP_PASSIVE_OPENS] ? d->snmp[SNMP_TCP_PASSIVE_OPENS] : 0,
			 "connections opened",
			 "TCP accept queues full, connection attempts dropped at listeners");
	if (f) {
		int shown = 0;

		ev_snmp(f, d, SNMP_TCPEXT_LISTEN_OVERFLOWS, true);
		ev_snmp(f, d, SNMP_TCPEXT_LISTEN_DROPS, true);
		ev_snmp(f, d, SNMP_TCPEXT_TCP_REQQ_FULL_DROP, false);
		ev_snmp(f, d, SNMP_TCPEXT_TCP_REQQ_FULL_DO_COOKIES, false);
		ev_snmp(f, d, SNMP_TCPEXT_SYNCOOKIES_SENT, false);
		ev_snmp(f, d, SNMP_TCP_PASSIVE_OPENS, true);
		ev_sysctl(f, now, SYSCTL_SOMAXCONN);
		ev_sysctl(f, now, SYSCTL_TCP_MAX_SYN_BACKLOG);
		for (size_t i = 0; i < now->n_listen && shown < 4; i++) {
			const struct sock_info *s = &now->listen[i];
			char key[80];

			if (s->rqueue <= s->wqueue)
				continue;
			snprintf(key, sizeof(key), "listener %s", s->local);
			ev_text(f, key, "accept queue %u/%u (full)", s->rqueue, s->wqueue);
			shown++;
		}
		set_fixes(f, d, NULL);
	}

	f = snmp_finding(l, d, "tcp_backlog_drop", SNMP_TCPEXT_TCP_BACKLOG_DROP, -1, 0, NULL,
			 "TCP socket backlog full, segments dropped");
	if (f) {
		ev_sysctl(f, now, SYSCTL_TCP_RMEM);
		set_fixes(f, d, NULL);
	}

	n = snmp_sum(d, SNMP_TCPEXT_TCP_RCVQ_DROP, SNMP_TCPEXT_RCV_PRUNED) +
	    snmp_sum(d, SNMP_TCPEXT_TCP_ZERO_WINDOW_DROP, -1);
	f = loss_finding(l, d, "tcp_rcvq_drop", NULL, n, 0, NULL,
			 "TCP receive queues full, segments dropped");
	if (f) {
		ev_snmp(f, d, SNMP_TCPEXT_TCP_RCVQ_DROP, true);
		ev_snmp(f, d, SNMP_TCPEXT_RCV_PRUNED, false);
		ev_snmp(f, d, SNMP_TCPEXT_TCP_ZERO_WINDOW_DROP, false);
		ev_snmp(f, d, SNMP_TCPEXT_PRUNE_CALLED, false);
		ev_sysctl(f, now, SYSCTL_TCP_RMEM);
		set_fixes(f, d, NULL);
	}

	f = snmp_finding(l, d, "tcp_ofo_drop", SNMP_TCPEXT_TCP_OFO_DROP, SNMP_TCPEXT_OFO_PRUNED, 0,
			 NULL, "TCP out-of-order queue full, segments dropped");
	if (f) {
		ev_sysctl(f, now, SYSCTL_TCP_RMEM);
		set_fixes(f, d, NULL);
	}

	n = snmp_sum(d, SNMP_TCPEXT_TCP_MEMORY_PRESSURES, SNMP_TCPEXT_TCP_ABORT_ON_MEMORY);
	if (n && (f = add_finding(l, "tcp_mem_pressure", NULL, n, d->interval_s))) {
		bool aborts = d->snmp_ok[SNMP_TCPEXT_TCP_ABORT_ON_MEMORY] &&
			      d->snmp[SNMP_TCPEXT_TCP_ABORT_ON_MEMORY];

		f->severity = aborts ? SEV_HIGH : SEV_MEDIUM;
		snprintf(f->summary, sizeof(f->summary),
			 "TCP under memory pressure: %llu times entered%s", (unsigned long long)n,
			 aborts ? ", connections aborted" : "");
		ev_snmp(f, d, SNMP_TCPEXT_TCP_MEMORY_PRESSURES, true);
		ev_snmp(f, d, SNMP_TCPEXT_TCP_ABORT_ON_MEMORY, true);
		ev_sysctl(f, now, SYSCTL_TCP_MEM);
		set_fixes(f, d, NULL);
	}
	rules_tcp_in_errors(l, d);
}

static void rules_ip(struct flist *l, const struct host_delta *d)
{
	uint64_t in = snmp_sum(d, SNMP_IP_IN_RECEIVES, SNMP_IP6_IN_RECEIVES);
	uint64_t out = d->snmp_ok[SNMP_IP_OUT_REQUESTS] ? d->snmp[SNMP_IP_OUT_REQUESTS] : 0;
	struct finding *f;
	uint64_t n;

	f = snmp_finding(l, d, "ip_in_discards", SNMP_IP_IN_DISCARDS, SNMP_IP6_IN_DISCARDS, in,
			 "received", "IP discarded received packets");
	if (f) {
		ev_snmp(f, d, SNMP_IP_IN_RECEIVES, true);
		set_fixes(f, d, NULL);
	}
	f = snmp_finding(l, d, "ip_out_discards", SNMP_IP_OUT_DISCARDS, SNMP_IP6_OUT_DISCARDS, out,
			 "sent", "IP discarded packets to send");
	if (f) {
		ev_snmp(f, d, SNMP_IP_OUT_REQUESTS, true);
		if (qdisc_dropped(d)) {
			/* A qdisc refusing a packet is an output discard to IP. */
			f->explained_by = "qdisc_drops";
			fix_finding_comment(f, "# a qdisc dropped packets in the same window "
					       "(qdisc_drops): IP counts those as OutDiscards; fix "
					       "the qdisc first");
		} else {
			set_fixes(f, d, NULL);
		}
	}
	f = snmp_finding(l, d, "ip_reasm_fails", SNMP_IP_REASM_FAILS, SNMP_IP6_REASM_FAILS, 0, NULL,
			 "IP fragment reassembly failed");
	if (f) {
		ev_sysctl(f, d->now, SYSCTL_IPFRAG_HIGH_THRESH);
		set_fixes(f, d, NULL);
	}

	n = snmp_sum(d, SNMP_IPEXT_IN_CSUM_ERRORS, SNMP_TCP_IN_CSUM_ERRORS) +
	    snmp_sum(d, SNMP_UDP_IN_CSUM_ERRORS, SNMP_UDP6_IN_CSUM_ERRORS) +
	    snmp_sum(d, SNMP_ICMP_IN_CSUM_ERRORS, SNMP_ICMP6_IN_CSUM_ERRORS);
	if (n && (f = add_finding(l, "checksum_errors", NULL, n, d->interval_s))) {
		const struct hc_iface *busy = host_counters_busiest(d->now);

		f->severity = drop_severity(n, f->rate, share(n, in + n));
		snprintf(f->summary, sizeof(f->summary),
			 "%llu packets arrived with bad checksums and were dropped (%.1f/s)",
			 (unsigned long long)n, f->rate);
		ev_snmp(f, d, SNMP_IPEXT_IN_CSUM_ERRORS, false);
		ev_snmp(f, d, SNMP_TCP_IN_CSUM_ERRORS, false);
		ev_snmp(f, d, SNMP_UDP_IN_CSUM_ERRORS, false);
		ev_snmp(f, d, SNMP_UDP6_IN_CSUM_ERRORS, false);
		ev_snmp(f, d, SNMP_ICMP_IN_CSUM_ERRORS, false);
		ev_snmp(f, d, SNMP_ICMP6_IN_CSUM_ERRORS, false);
		/* The same packets in the protocols' error totals. */
		ev_snmp(f, d, SNMP_TCP_IN_ERRS, false);
		ev_snmp(f, d, SNMP_UDP_IN_ERRORS, false);
		ev_snmp(f, d, SNMP_UDP6_IN_ERRORS, false);
		set_fixes(f, d, busy ? busy->link.name : NULL);
	}
}

static void rules_conntrack(struct flist *l, const struct host_delta *d)
{
	const struct host_counters *now = d->now;
	uint64_t drop = 0, early = 0, insfail = 0;
	double fill;
	struct finding *f;

	if (!now->ct_in_use || now->ct_err || !now->ct_max)
		return;
	if (d->ct_ok) {
		drop = d->ct_present[CT_STAT_DROP] ? d->ct[CT_STAT_DROP] : 0;
		early = d->ct_present[CT_STAT_EARLY_DROP] ? d->ct[CT_STAT_EARLY_DROP] : 0;
		insfail = d->ct_present[CT_STAT_INSERT_FAILED] ? d->ct[CT_STAT_INSERT_FAILED] : 0;
	}
	fill = (double)now->ct_count / (double)now->ct_max;
	if (drop || early || fill >= 0.75) {
		f = add_finding(l, "conntrack_full", NULL, drop + early, d->interval_s);
		if (!f)
			return;
		if (drop || fill >= 1.0)
			f->severity = SEV_CRITICAL;
		else if (early || fill >= 0.9)
			f->severity = SEV_HIGH;
		else
			f->severity = SEV_MEDIUM;
		snprintf(f->summary, sizeof(f->summary),
			 "conntrack table %.0f%% full (%llu of %llu)%s", fill * 100,
			 (unsigned long long)now->ct_count, (unsigned long long)now->ct_max,
			 drop	 ? ", new flows dropped"
			 : early ? ", entries evicted early"
				 : "");
		ev_value(f, "nf_conntrack_count", now->ct_count);
		ev_value(f, "nf_conntrack_max", now->ct_max);
		if (d->ct_ok) {
			ev_delta(f, "drop", drop);
			ev_delta(f, "early_drop", early);
			ev_delta(f, "insert_failed", insfail);
		}
		set_fixes(f, d, NULL);
	} else if ((f = loss_finding(l, d, "conntrack_insert_failed", NULL, insfail, 0, NULL,
				     "conntrack insertions failed with room in the table, packets "
				     "dropped"))) {
		ev_delta(f, "insert_failed", insfail);
		if (d->ct_present[CT_STAT_CLASH_RESOLVE])
			ev_delta(f, "clashres", d->ct[CT_STAT_CLASH_RESOLVE]);
		ev_value(f, "nf_conntrack_count", now->ct_count);
		ev_value(f, "nf_conntrack_max", now->ct_max);
		set_fixes(f, d, NULL);
	}
}

/* Retransmissions last: what they point at depends on the host's own drops above. */
static void rules_retrans(struct flist *l, const struct host_delta *d)
{
	uint64_t r = d->snmp_ok[SNMP_TCP_RETRANS_SEGS] ? d->snmp[SNMP_TCP_RETRANS_SEGS] : 0;
	uint64_t out = d->snmp_ok[SNMP_TCP_OUT_SEGS] ? d->snmp[SNMP_TCP_OUT_SEGS] : 0;
	double ratio = out ? (double)r / (double)out : -1;
	int host_drops = 0;
	const struct finding *w = NULL;
	const char *worst;
	struct finding *f;

	/* A retransmission in a thousand segments is the normal life of TCP. */
	if (!r || (ratio >= 0 && ratio < 0.001))
		return;

	/* The host's own losses that matter: the worst of them is named as the likely cause. */
	for (size_t i = 0; i < l->n; i++) {
		const struct finding *x = &l->f[i];

		if (x->severity < SEV_MEDIUM || !strcmp(x->id, "softnet_time_squeeze"))
			continue;
		if (!w || x->severity > w->severity ||
		    (x->severity == w->severity && x->rate > w->rate))
			w = x;
		host_drops++;
	}
	worst = w ? w->id : NULL;
	f = add_finding(l, "tcp_retransmits", NULL, r, d->interval_s);
	if (!f)
		return;
	f->explained_by = worst;
	f->severity = ratio >= 0.05 ? SEV_HIGH : ratio >= 0.01 ? SEV_MEDIUM : SEV_LOW;
	if (ratio >= 0)
		snprintf(f->summary, sizeof(f->summary),
			 "TCP retransmitted %llu segments (%.2f%% of sent): %s",
			 (unsigned long long)r, ratio * 100,
			 host_drops ? "this host's drops above explain at least part"
				    : "no drops on this host, so the loss is on the path");
	else
		snprintf(f->summary, sizeof(f->summary), "TCP retransmitted %llu segments: %s",
			 (unsigned long long)r,
			 host_drops ? "this host's drops above explain at least part"
				    : "no drops on this host, so the loss is on the path");
	ev_snmp(f, d, SNMP_TCP_RETRANS_SEGS, true);
	ev_snmp(f, d, SNMP_TCP_OUT_SEGS, true);
	ev_snmp(f, d, SNMP_TCPEXT_TCP_TIMEOUTS, false);
	ev_snmp(f, d, SNMP_TCPEXT_TCP_SYN_RETRANS, false);
	ev_snmp(f, d, SNMP_TCPEXT_TCP_FAST_RETRANS, false);
	ev_snmp(f, d, SNMP_TCPEXT_TCP_LOSS_PROBES, false);
	fix_finding_retrans(f, d->now, host_drops);
}

static int cmp_findings(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->severity != y->severity)
		return y->severity - x->severity;
	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->id, y->id);
}

/* The index of the finding that explains f[j] (the first, so the worst, with that id), or -1. */
static long cause_of(const struct finding *f, size_t n, size_t j)
{
	for (size_t i = 0; f[j].explained_by && i < n; i++)
		if (i != j && !strcmp(f[i].id, f[j].explained_by))
			return (long)i;
	return -1;
}

/*
 * f sorted worst first; then every finding another one explains moves right after its cause,
 * whatever its own severity (UDP SndbufErrors at critical still follows the high qdisc drops
 * that caused them): the cause is what to fix. Chains keep their order; findings in a cycle of
 * explanations stay where the sort put them, at the end. 0 or -ENOMEM.
 */
static int order_causes(struct finding *f, size_t n)
{
	struct finding *out = malloc(n * sizeof(*out));
	size_t *stack = malloc(n * sizeof(*stack));
	bool *done = calloc(n, sizeof(*done));
	size_t k = 0;
	int err = -ENOMEM;

	if (!out || !stack || !done)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		size_t top = 0;

		if (done[i] || cause_of(f, n, i) >= 0)
			continue;
		stack[top++] = i;
		done[i] = true;
		while (top) {
			size_t c = stack[--top];

			out[k++] = f[c];
			/* Pushed in reverse so that the worst explained one comes out first. */
			for (size_t j = n; j-- > 0;)
				if (!done[j] && cause_of(f, n, j) == (long)c) {
					done[j] = true;
					stack[top++] = j;
				}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!done[i])
			out[k++] = f[i];
	memcpy(f, out, n * sizeof(*f));
	err = 0;
cleanup:
	free(out);
	free(stack);
	free(done);
	return err;
}

int findings_compute(const struct host_delta *d, struct finding **out, size_t *n)
{
	struct flist l = {0};

	*out = NULL;
	*n = 0;
	if (!d || !d->now)
		return -EINVAL;
	for (size_t i = 0; i < d->n_ifaces; i++)
		rules_iface(&l, d, &d->ifaces[i]);
	rules_qdisc(&l, d);
	rules_softnet(&l, d);
	rules_udp(&l, d);
	rules_tcp(&l, d);
	rules_ip(&l, d);
	rules_conntrack(&l, d);
	rules_retrans(&l, d);
	if (l.nomem) {
		free(l.f);
		return -ENOMEM;
	}
	if (l.n > 1) {
		qsort(l.f, l.n, sizeof(*l.f), cmp_findings);
		if (order_causes(l.f, l.n)) {
			free(l.f);
			return -ENOMEM;
		}
	}
	*out = l.f;
	*n = l.n;
	return 0;
}

/* ---- output ---- */

void findings_json(const struct finding *f, size_t n, struct json_writer *j, const char *key)
{
	json_array_begin(j, key);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(j, NULL);
		json_string(j, "id", f[i].id);
		json_string(j, "severity", finding_severity_name(f[i].severity));
		json_string(j, "interface", f[i].ifname[0] ? f[i].ifname : NULL);
		json_string(j, "explained_by", f[i].explained_by);
		json_uint(j, "count", f[i].count);
		json_double(j, "rate_per_s", f[i].rate, 3);
		json_string(j, "summary", f[i].summary);
		json_object_begin(j, "evidence");
		for (size_t e = 0; e < f[i].n_evidence; e++) {
			const struct finding_evidence *ev = &f[i].evidence[e];

			if (ev->type == EV_TEXT)
				json_string(j, ev->key, ev->text);
			else
				json_uint(j, ev->key, ev->u);
		}
		json_object_end(j);
		json_array_begin(j, "fix");
		for (size_t k = 0; k < f[i].n_fix; k++)
			json_string(j, NULL, f[i].fix[k]);
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
}

static const char *sev_color(enum finding_severity s)
{
	switch (s) {
	case SEV_CRITICAL:
		return DS_SGR_BOLD_RED;
	case SEV_HIGH:
		return DS_SGR_RED;
	case SEV_MEDIUM:
		return DS_SGR_YELLOW;
	default:
		return DS_SGR_CYAN;
	}
}

void findings_text(const struct finding *f, size_t n, FILE *out, bool color)
{
	for (size_t i = 0; i < n; i++) {
		char sev[16];
		size_t col = 0;

		snprintf(sev, sizeof(sev), "%s", finding_severity_name(f[i].severity));
		for (char *p = sev; *p; p++)
			*p = (char)(*p - 'a' + 'A');
		fprintf(out, "%s%-8s%s %s\n", color ? sev_color(f[i].severity) : "", sev,
			color ? DS_SGR_RESET : "", f[i].id);
		fprintf(out, "    %s\n", f[i].summary);
		if (f[i].explained_by)
			fprintf(out, "    (follows from %s)\n", f[i].explained_by);
		fprintf(out, "    evidence:");
		col = 13;
		for (size_t e = 0; e < f[i].n_evidence; e++) {
			const struct finding_evidence *ev = &f[i].evidence[e];
			char item[224];
			int len;

			if (ev->type == EV_DELTA)
				len = snprintf(item, sizeof(item), "%s +%llu", ev->key,
					       (unsigned long long)ev->u);
			else if (ev->type == EV_VALUE)
				len = snprintf(item, sizeof(item), "%s=%llu", ev->key,
					       (unsigned long long)ev->u);
			else
				len = snprintf(item, sizeof(item), "%s: %s", ev->key, ev->text);
			if (len < 0)
				continue;
			if (col + 2 + len > 100 && col > 13) {
				fprintf(out, "\n             ");
				col = 13;
			}
			fprintf(out, "%s%s", col > 13 ? ", " : " ", item);
			col += 2 + len;
		}
		fprintf(out, "\n");
		if (f[i].n_fix) {
			fprintf(out, "    fix:\n");
			for (size_t k = 0; k < f[i].n_fix; k++)
				fprintf(out, "      %s%s\n", f[i].fix[k][0] == '#' ? "" : "$ ",
					f[i].fix[k]);
		}
		if (i + 1 < n)
			fprintf(out, "\n");
	}
}

/* ---- kernel drop reasons -> findings ---- */

static const struct {
	const char *reason;
	const char *id;
} reason_map[] = {
	{"SOCKET_RCVBUFF", "udp_rcvbuf_errors"},
	{"SOCKET_BACKLOG", "tcp_backlog_drop"},
	{"CPU_BACKLOG", "softnet_dropped"},
	{"QDISC_DROP", "qdisc_drops"},
	{"QDISC_OVERLIMIT", "qdisc_drops"},
	{"QDISC_CONGESTED", "qdisc_drops"},
	{"CAKE_FLOOD", "qdisc_drops"},
	{"FQ_BAND_LIMIT", "qdisc_drops"},
	{"FQ_HORIZON_LIMIT", "qdisc_drops"},
	{"FQ_FLOW_LIMIT", "qdisc_drops"},
	{"TCP_LISTEN_OVERFLOW", "tcp_listen_overflows"},
	{"TCP_REQQFULLDROP", "tcp_listen_overflows"},
	{"TCP_OFO_DROP", "tcp_ofo_drop"},
	{"TCP_OFO_QUEUE_PRUNE", "tcp_ofo_drop"},
	{"TCP_OFOMERGE", "tcp_ofo_drop"},
	{"TCP_ZEROWINDOW", "tcp_rcvq_drop"},
	{"PROTO_MEM", "tcp_rcvq_drop"},
	{"TCP_CSUM", "checksum_errors"},
	{"UDP_CSUM", "checksum_errors"},
	{"IP_CSUM", "checksum_errors"},
	{"ICMP_CSUM", "checksum_errors"},
	{"SKB_CSUM", "checksum_errors"},
	{"FULL_RING", "nic_rx_missed"},
	{"FRAG_REASM_TIMEOUT", "ip_reasm_fails"},
	{"FRAG_TOO_FAR", "ip_reasm_fails"},
};

const char *finding_for_drop_reason(const char *reason)
{
	if (!reason)
		return NULL;
	if (!strncmp(reason, "SKB_DROP_REASON_", 16))
		reason += 16;
	for (size_t i = 0; i < ARRAY_SIZE(reason_map); i++)
		if (!strcmp(reason, reason_map[i].reason))
			return reason_map[i].id;
	return NULL;
}
