// SPDX-License-Identifier: GPL-2.0
/* Deltas and the findings rules on snapshots built by hand: what is found, how bad, in what
 * order, with which evidence and which fixes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_sched.h>
#include <net/if.h>

#include "counters_findings.h"
#include "counters_host.h"
#include "counters_delta.h"
#include "fix_cmd.h"
#include "tap.h"
#include "util.h"

static struct host_counters *hc_new(double t)
{
	struct host_counters *hc = calloc(1, sizeof(*hc));
	static const int64_t defaults[SYSCTL__COUNT] = {
		[SYSCTL_NETDEV_MAX_BACKLOG] = 1000,  [SYSCTL_NETDEV_BUDGET] = 300,
		[SYSCTL_NETDEV_BUDGET_USECS] = 2000, [SYSCTL_RMEM_MAX] = 212992,
		[SYSCTL_WMEM_MAX] = 212992,	     [SYSCTL_RMEM_DEFAULT] = 212992,
		[SYSCTL_WMEM_DEFAULT] = 212992,	     [SYSCTL_SOMAXCONN] = 4096,
		[SYSCTL_RPS_SOCK_FLOW_ENTRIES] = 0,  [SYSCTL_FLOW_LIMIT_TABLE_LEN] = 4096,
		[SYSCTL_TCP_MAX_SYN_BACKLOG] = 1024, [SYSCTL_IPFRAG_HIGH_THRESH] = 4194304,
		[SYSCTL_NF_CONNTRACK_MAX] = 100000,  [SYSCTL_NF_CONNTRACK_BUCKETS] = 16384,
	};

	hc->t = t;
	snprintf(hc->netns, sizeof(hc->netns), "self");
	hc->netns_self = true;
	hc->ncpus = 4;
	for (int s = 0; s < SYSCTL__COUNT; s++) {
		hc->sysctl[s].n = 1;
		hc->sysctl[s].v[0] = defaults[s];
	}
	hc->sysctl[SYSCTL_TCP_RMEM].n = 3;
	hc->sysctl[SYSCTL_TCP_RMEM].v[0] = 4096;
	hc->sysctl[SYSCTL_TCP_RMEM].v[1] = 131072;
	hc->sysctl[SYSCTL_TCP_RMEM].v[2] = 6291456;
	hc->sysctl[SYSCTL_UDP_MEM].n = 3;
	hc->sysctl[SYSCTL_UDP_MEM].v[0] = 1000;
	hc->sysctl[SYSCTL_UDP_MEM].v[1] = 2000;
	hc->sysctl[SYSCTL_UDP_MEM].v[2] = 3000;
	/* Every snmp counter present and zero, as on a current kernel. */
	for (int c = 0; c < SNMP__COUNT; c++)
		hc->snmp.present[c] = true;
	return hc;
}

static struct hc_iface *add_iface(struct host_counters *hc, int ifindex, const char *name)
{
	struct hc_iface *ifc;

	hc->ifaces = realloc(hc->ifaces, (hc->n_ifaces + 1) * sizeof(*hc->ifaces));
	ifc = &hc->ifaces[hc->n_ifaces++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->link.ifindex = ifindex;
	snprintf(ifc->link.name, sizeof(ifc->link.name), "%s", name);
	ifc->link.n_stats = LS__COUNT;
	ifc->link.flags = IFF_UP;
	ifc->link.txqlen = 1000;
	ifc->link.num_rx_queues = 4;
	ifc->link.addr_len = 6;
	memcpy(ifc->link.addr, "\x02\x00\x00\x00\x00\x01", 6);
	ifc->ring_err = -EOPNOTSUPP;
	ifc->chan_err = -EOPNOTSUPP;
	ifc->dstats_err = -EOPNOTSUPP;
	ifc->queues_err = -ENOENT;
	return ifc;
}

/* Two snapshots 10 s apart, each with eth0 (ifindex 2). */
static void eth0_pair(struct host_counters **a, struct host_counters **b, struct hc_iface **ia,
		      struct hc_iface **ib)
{
	*a = hc_new(0);
	*b = hc_new(10);
	*ia = add_iface(*a, 2, "eth0");
	*ib = add_iface(*b, 2, "eth0");
}

static void set_dstat(struct hc_iface *ifc, const char *name, uint64_t v)
{
	for (size_t i = 0; i < ifc->n_dstats; i++)
		if (!strcmp(ifc->dstats[i].name, name)) {
			ifc->dstats[i].value = v;
			return;
		}
	ifc->dstats = realloc(ifc->dstats, (ifc->n_dstats + 1) * sizeof(*ifc->dstats));
	snprintf(ifc->dstats[ifc->n_dstats].name, sizeof(ifc->dstats[0].name), "%s", name);
	ifc->dstats[ifc->n_dstats].value = v;
	ifc->n_dstats++;
	ifc->dstats_err = 0;
}

static void set_rxq(struct hc_iface *ifc, size_t n, const char *mask)
{
	ifc->rxq = calloc(n, sizeof(*ifc->rxq));
	for (size_t i = 0; i < n; i++)
		ifc->rxq[i].cpus = strdup(mask);
	ifc->n_rxq = n;
	ifc->queues_err = 0;
}

static void set_softnet(struct host_counters *hc, size_t n, const int *ids, const uint64_t *dropped,
			const uint64_t *squeeze, bool known)
{
	hc->softnet.cpus = calloc(n, sizeof(*hc->softnet.cpus));
	hc->softnet.n = n;
	hc->softnet.columns = known ? 13 : 11;
	hc->softnet.cpu_known = known;
	for (size_t i = 0; i < n; i++) {
		hc->softnet.cpus[i].cpu = ids[i];
		hc->softnet.cpus[i].dropped = dropped[i];
		hc->softnet.cpus[i].time_squeeze = squeeze ? squeeze[i] : 0;
		hc->softnet.cpus[i].processed = 1000000;
	}
}

static struct qdisc_info *add_qdisc(struct host_counters *hc, int ifindex, const char *kind,
				    uint32_t parent, uint32_t drops, uint32_t packets)
{
	struct qdisc_info *q;

	hc->qdiscs = realloc(hc->qdiscs, (hc->n_qdiscs + 1) * sizeof(*hc->qdiscs));
	q = &hc->qdiscs[hc->n_qdiscs++];
	memset(q, 0, sizeof(*q));
	q->ifindex = ifindex;
	q->handle = parent == TC_H_ROOT ? 0x10000 : 0x20000;
	q->parent = parent;
	snprintf(q->kind, sizeof(q->kind), "%s", kind);
	q->has_stats = true;
	q->drops = drops;
	q->packets = packets;
	return q;
}

static const struct finding *find(const struct finding *f, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].id, id))
			return &f[i];
	return NULL;
}

static int count_id(const struct finding *f, size_t n, const char *id)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += !strcmp(f[i].id, id);
	return c;
}

static bool fix_has(const struct finding *f, const char *needle)
{
	for (size_t i = 0; f && i < f->n_fix; i++)
		if (strstr(f->fix[i], needle))
			return true;
	return false;
}

static const struct finding_evidence *ev(const struct finding *f, const char *key)
{
	for (size_t i = 0; f && i < f->n_evidence; i++)
		if (!strcmp(f->evidence[i].key, key))
			return &f->evidence[i];
	return NULL;
}

static uint64_t ev_u(const struct finding *f, const char *key)
{
	const struct finding_evidence *e = ev(f, key);

	return e ? e->u : (uint64_t)-1;
}

static void dump(const struct finding *f, size_t n)
{
	findings_text(f, n, stdout, false);
}

/* Delta and findings of a pair; frees the pair. DS_TEST_DUMP=1 shows every report. */
static struct host_delta *run(struct host_counters *a, struct host_counters *b, struct finding **f,
			      size_t *n)
{
	struct host_delta *d = NULL;

	*f = NULL;
	*n = 0;
	if (host_counters_delta(a, b, &d) || findings_compute(d, f, n)) {
		ok(0, "delta and findings computed");
		d = NULL;
	}
	if (getenv("DS_TEST_DUMP"))
		dump(*f, *n);
	host_counters_free(a);
	host_counters_free(b);
	return d;
}

static void test_quiet(void)
{
	struct host_counters *a = hc_new(1), *b = hc_new(11);
	struct host_delta *d;
	struct finding *f;
	size_t n;

	add_iface(a, 1, "lo");
	add_iface(b, 1, "lo");
	add_iface(a, 2, "eth0")->link.stats[LS_RX_PACKETS] = 100;
	add_iface(b, 2, "eth0")->link.stats[LS_RX_PACKETS] = 200;
	d = run(a, b, &f, &n);
	is_int(n, 0, "nothing lost: no findings");
	is_near(d->interval_s, 10, 1e-9, "interval from the snapshots");
	is_int(d->ifaces[1].d[LS_RX_PACKETS], 100, "rx_packets delta");
	free(f);
	host_delta_free(d);
}

static void test_udp_rcvbuf(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	a->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 100;
	a->snmp.val[SNMP_UDP_IN_DATAGRAMS] = 1000;
	b->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 1100;
	b->snmp.val[SNMP_UDP_IN_DATAGRAMS] = 1010;
	b->snmp.val[SNMP_UDP6_RCVBUF_ERRORS] = 0;
	b->udp = calloc(1, sizeof(*b->udp));
	b->n_udp = 1;
	snprintf(b->udp[0].local, sizeof(b->udp[0].local), "0.0.0.0:53");
	b->udp[0].inode = 5;
	b->udp[0].drops = 1000;
	b->udp[0].rcvbuf = 212992;
	b->udp[0].has_meminfo = true;
	d = run(a, b, &f, &n);
	x = find(f, n, "udp_rcvbuf_errors");
	ok(x != NULL, "udp_rcvbuf_errors found");
	if (!x) {
		dump(f, n);
		goto out;
	}
	is_int(x->count, 1000, "count is the RcvbufErrors delta");
	is_near(x->rate, 100, 1e-9, "rate per second");
	is_str(finding_severity_name(x->severity), "critical", "99%% of UDP lost is critical");
	is_int(ev_u(x, "Udp.RcvbufErrors"), 1000, "evidence: Udp.RcvbufErrors +1000");
	is_int(ev_u(x, "net.core.rmem_max"), 212992, "evidence: rmem_max value");
	ok(ev(x, "socket 0.0.0.0:53") && strstr(ev(x, "socket 0.0.0.0:53")->text, "drops +1000"),
	   "evidence names the socket and its drops");
	ok(fix_has(x, "uses the default buffer"), "the socket never set SO_RCVBUF: said so");
	ok(fix_has(x, "printf 'net.core.rmem_max = 16777216\\n' > "
		      "/etc/sysctl.d/90-dropscope-udp-rcvbuf.conf && sysctl -p "
		      "/etc/sysctl.d/90-dropscope-udp-rcvbuf.conf"),
	   "the fix persists in /etc/sysctl.d");
	is_int(d->n_udp, 1, "one socket moved");
out:
	free(f);
	host_delta_free(d);
}

static void test_ring(void)
{
	struct host_counters *a, *b;
	struct hc_iface *ia, *ib;
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	eth0_pair(&a, &b, &ia, &ib);
	ia->link.stats[LS_RX_MISSED_ERRORS] = 10;
	ib->link.stats[LS_RX_MISSED_ERRORS] = 5010;
	ib->link.stats[LS_RX_PACKETS] = 1000000;
	set_dstat(ia, "rx_queue_0_drops", 0);
	set_dstat(ib, "rx_queue_0_drops", 7000);
	set_dstat(ia, "rx_packets", 0);
	set_dstat(ib, "rx_packets", 1000000);
	ib->ring_err = 0;
	ib->rx_ring = 512;
	ib->rx_ring_max = 4096;
	d = run(a, b, &f, &n);
	x = find(f, n, "nic_rx_missed");
	ok(x != NULL, "nic_rx_missed found");
	if (!x) {
		dump(f, n);
		goto out;
	}
	is_str(x->ifname, "eth0", "on eth0");
	is_int(x->count, 7000, "count: the larger of hardware and driver counters, not their sum");
	is_int(ev_u(x, "rx_missed_errors"), 5000, "evidence: rx_missed_errors");
	is_int(ev_u(x, "ethtool rx_queue_0_drops"), 7000, "evidence: the per-queue driver counter");
	ok(!ev(x, "ethtool rx_packets"), "driver counters that are not drops stay out");
	is_int(ev_u(x, "rx_ring_max"), 4096, "evidence: ring maximum");
	ok(fix_has(x, "ethtool -G eth0 rx 4096"), "fix: ring to its maximum");
	ok(fix_has(x, "ATTR{address}==\"02:00:00:00:00:01\", RUN+=\"/usr/sbin/ethtool -G $name rx "
		      "4096\"' > /etc/udev/rules.d/60-dropscope-ring-eth0.rules"),
	   "fix persists with a udev rule matching the MAC");
	free(f);
	host_delta_free(d);

	/* The ring is already at its maximum: more queues and RPS instead. */
	a = hc_new(0);
	b = hc_new(10);
	add_iface(a, 2, "eth0");
	ib = add_iface(b, 2, "eth0");
	ib->link.stats[LS_RX_FIFO_ERRORS] = 50;
	ib->ring_err = 0;
	ib->rx_ring = ib->rx_ring_max = 4096;
	ib->chan_err = 0;
	ib->combined_ch = 4;
	ib->combined_ch_max = 8;
	set_rxq(ib, 4, "0");
	d = run(a, b, &f, &n);
	x = find(f, n, "nic_rx_missed");
	ok(x && fix_has(x, "already at its maximum (4096)"), "ring at maximum said");
	ok(fix_has(x, "ethtool -L eth0 combined 8"), "fix: more channels");
	ok(fix_has(x, "for q in /sys/class/net/eth0/queues/rx-*; do echo f > $q/rps_cpus; done"),
	   "fix: RPS over the 4 CPUs (mask f)");
	ok(fix_has(x, "echo 8192 > $q/rps_flow_cnt"), "fix: RFS flow count per queue (32768/4)");
	ok(fix_has(x, "net.core.rps_sock_flow_entries = 32768"), "fix: RFS table in sysctl.d");
	ok(fix_has(x, "SUBSYSTEM==\"queues\""), "RPS persists with a udev rule");
out:
	free(f);
	host_delta_free(d);
}

/* Per-queue driver counters count their own queue's packets: the loss is their sum. */
static void test_queue_sum(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct hc_iface *ia, *ib;
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;
	char name[32];

	ia = add_iface(a, 2, "eth0");
	ib = add_iface(b, 2, "eth0");
	ib->link.stats[LS_RX_PACKETS] = 10000000;
	ib->link.stats[LS_RX_MISSED_ERRORS] = 3000; /* the hardware saw fewer */
	for (int q = 0; q < 8; q++) {
		snprintf(name, sizeof(name), "rx_queue_%d_drops", q);
		set_dstat(ia, name, 100);
		set_dstat(ib, name, 1100);
		/* Another per-queue statistic of the same kind, smaller: not added on top. */
		snprintf(name, sizeof(name), "rx_queue_%d_alloc_fail", q);
		set_dstat(ia, name, 0);
		set_dstat(ib, name, 200);
	}
	/* tx per-queue drops in another naming scheme */
	for (int q = 0; q < 3; q++) {
		snprintf(name, sizeof(name), "tx%d_dropped", q);
		set_dstat(ia, name, 0);
		set_dstat(ib, name, 5);
	}
	d = run(a, b, &f, &n);
	x = find(f, n, "nic_rx_missed");
	ok(x != NULL, "nic_rx_missed found");
	is_int(x ? x->count : 0, 8000, "8 queues x 1000: 8000, not the largest queue's 1000");
	is_int(x ? ev_u(x, "ethtool rx_queue_*_drops (8 queues)") : 0, 8000,
	       "evidence: the per-queue sum, named");
	is_int(x ? ev_u(x, "rx_missed_errors") : 0, 3000, "and the hardware counter");
	x = find(f, n, "nic_tx_dropped");
	is_int(x ? x->count : 0, 15, "tx0_dropped..tx2_dropped summed");
	free(f);
	host_delta_free(d);

	/* A device-wide driver counter larger than the per-queue sum wins. */
	eth0_pair(&a, &b, &ia, &ib);
	set_dstat(ia, "rx_queue_0_drops", 0);
	set_dstat(ib, "rx_queue_0_drops", 40);
	set_dstat(ia, "rx_queue_1_drops", 0);
	set_dstat(ib, "rx_queue_1_drops", 50);
	set_dstat(ia, "rx_missed_errors", 0);
	set_dstat(ib, "rx_missed_errors", 120);
	d = run(a, b, &f, &n);
	x = find(f, n, "nic_rx_missed");
	is_int(x ? x->count : 0, 120, "the larger of the device counter (120) and the sum (90)");
	free(f);
	host_delta_free(d);
}

static void test_softnet(void)
{
	static const int ids[] = {0, 1, 2, 3};
	static const uint64_t before[] = {0, 0xfffffff0, 0, 0}, after[] = {0, 0x10, 300, 0};
	static const uint64_t sq0[] = {0, 0, 0, 0}, sq1[] = {2, 0, 0, 0};
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	add_iface(a, 2, "eth0");
	add_iface(b, 2, "eth0")->link.stats[LS_RX_PACKETS] = 5;
	set_softnet(a, 4, ids, before, sq0, true);
	set_softnet(b, 4, ids, after, sq1, true);
	d = run(a, b, &f, &n);
	is_int(d->softnet_total.dropped, 332, "softnet dropped summed, the 32-bit wrap unwrapped");
	x = find(f, n, "softnet_dropped");
	ok(x != NULL, "softnet_dropped found");
	if (!x) {
		dump(f, n);
		goto out;
	}
	ok(strstr(x->summary, "most on CPU 2") != NULL, "names the CPU with most drops");
	is_int(ev_u(x, "cpu1 dropped"), 32, "per-CPU evidence across the wrap");
	ok(fix_has(x, "net.core.netdev_max_backlog = 10000"), "fix: a longer backlog");
	ok(fix_has(x, "echo f > $q/rps_cpus"), "fix: RPS");
	x = find(f, n, "softnet_time_squeeze");
	ok(x && x->severity == SEV_MEDIUM, "time_squeeze with drops is medium");
	ok(x && fix_has(x, "net.core.netdev_budget = 600\\nnet.core.netdev_budget_usecs = 4000"),
	   "time_squeeze fix: budget and usecs doubled in one file");
out:
	free(f);
	host_delta_free(d);
}

static void test_cpu_matching(void)
{
	static const int ids_a[] = {0, 1, 3}, ids_b[] = {0, 1, 2, 3};
	static const uint64_t da[] = {1, 2, 3}, db[] = {1, 2, 100, 10};
	struct host_counters *a = hc_new(0), *b = hc_new(1);
	struct host_delta *d = NULL;

	set_softnet(a, 3, ids_a, da, NULL, true);
	set_softnet(b, 4, ids_b, db, NULL, true);
	host_counters_delta(a, b, &d);
	is_int(d->n_cpus, 3, "a CPU that came online is left out");
	is_int(d->softnet_total.dropped, 7, "CPU 3 matched by id across the new row");
	host_delta_free(d);
	host_counters_free(a);
	host_counters_free(b);

	/* Without ids (before 5.10) rows are matched in order. */
	a = hc_new(0);
	b = hc_new(1);
	set_softnet(a, 3, ids_a, da, NULL, false);
	set_softnet(b, 3, ids_a, db, NULL, false);
	host_counters_delta(a, b, &d);
	is_int(d->softnet_total.dropped, 97, "rows matched by position");
	host_delta_free(d);
	host_counters_free(a);
	host_counters_free(b);
}

static void test_iface_delta(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	struct finding *f;
	size_t n;

	add_iface(a, 2, "eth0")->link.stats[LS_RX_DROPPED] = 500;
	add_iface(b, 2, "eth0")->link.stats[LS_RX_DROPPED] = 20;    /* went backwards: reset */
	add_iface(b, 3, "eth1")->link.stats[LS_RX_DROPPED] = 99999; /* new during the window */
	add_iface(a, 4, "old")->link.stats[LS_RX_DROPPED] = 1;
	add_iface(b, 4, "new")->link.stats[LS_RX_DROPPED] = 1000; /* renamed: not the same one */
	a->ifaces[0].link.stats[LS_RX_PACKETS] = 100;
	b->ifaces[0].link.stats[LS_RX_PACKETS] = 130;
	d = run(a, b, &f, &n);
	ok(d->ifaces[0].reset, "a counter going backwards marks a reset");
	ok(d->ifaces[0].stat_reset[LS_RX_DROPPED], "and flags that counter");
	is_int(d->ifaces[0].d[LS_RX_DROPPED], 0, "a counter that went backwards counts nothing");
	ok(!d->ifaces[0].stat_reset[LS_RX_PACKETS],
	   "the interface's other counters are not tainted");
	is_int(d->ifaces[0].d[LS_RX_PACKETS], 30, "and still count");
	ok(d->ifaces[1].is_new, "an interface that appeared is new");
	ok(d->ifaces[2].is_new, "a renamed interface is new");
	is_int(n, 0,
	       "no finding: neither the reset nor the new interfaces lost anything we know of");
	is_int(host_delta_link_total(d, LS_RX_DROPPED), 0, "totals skip new interfaces");
	is_int(host_delta_link_total(d, LS_RX_PACKETS), 30, "totals of the known counters");
	free(f);
	host_delta_free(d);
}

/* Two snapshots with conntrack in use: max 100000, count now, every stat column present. */
static void ct_pair(uint64_t count, struct host_counters **a, struct host_counters **b)
{
	*a = hc_new(0);
	*b = hc_new(10);
	(*a)->ct_in_use = (*b)->ct_in_use = true;
	(*a)->ct_max = (*b)->ct_max = 100000;
	(*b)->ct_count = count;
	for (int s = 0; s < CT_STAT__COUNT; s++)
		(*a)->ct.present[s] = (*b)->ct.present[s] = true;
}

static bool went_backwards(const struct host_delta *d, const char *name)
{
	for (size_t i = 0; i < d->n_backwards; i++)
		if (!strcmp(d->backwards[i], name))
			return true;
	return false;
}

/* Each counter on its own: 32-bit wraps unwrapped, anything else that went backwards counts 0
 * and is named, never its whole value. */
static void test_wraps_and_resets(void)
{
	struct host_counters *a, *b;
	struct hc_iface *ia, *ib;
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	eth0_pair(&a, &b, &ia, &ib);
	/* The review's case: a driver's 32-bit rx_bytes wrapped, rx_missed_errors (5000 since
	 * boot) did not move. That once gave a critical nic_rx_missed of 5000. */
	ia->link.stats[LS_RX_BYTES] = 0xffffff00;
	ib->link.stats[LS_RX_BYTES] = 0x100;
	ia->link.stats[LS_RX_MISSED_ERRORS] = ib->link.stats[LS_RX_MISSED_ERRORS] = 5000;
	ia->link.stats[LS_RX_PACKETS] = 0xf0000000;
	ib->link.stats[LS_RX_PACKETS] = 0x10000000;
	/* 500 -> 20 is a reset, not a wrap of 4 billion; above 32 bits there is no wrap at all. */
	ia->link.stats[LS_RX_DROPPED] = 500;
	ib->link.stats[LS_RX_DROPPED] = 20;
	ia->link.stats[LS_TX_PACKETS] = 0x100000005ULL;
	ib->link.stats[LS_TX_PACKETS] = 3;
	set_dstat(ia, "rx_queue_0_drops", 0xfffffffe);
	set_dstat(ib, "rx_queue_0_drops", 3);
	set_dstat(ia, "rx_queue_1_drops", 9000);
	set_dstat(ib, "rx_queue_1_drops", 10);
	set_dstat(ia, "queue_0_depth", 40); /* a gauge */
	set_dstat(ib, "queue_0_depth", 4);
	a->snmp.val[SNMP_UDP_IN_ERRORS] = 1000;
	b->snmp.val[SNMP_UDP_IN_ERRORS] = 10;
	a->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 0xfffffff0; /* a 32-bit kernel's counter */
	b->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 5;
	/* A qdisc replaced under the same handle starts again from 0. */
	add_qdisc(a, 2, "pfifo_fast", TC_H_ROOT, 500, 1000);
	add_qdisc(b, 2, "pfifo_fast", TC_H_ROOT, 20, 1100);
	/* Conntrack statistics are per-CPU 32-bit counters summed: CPU 0 wrapped (+5), CPU 1
	 * moved by 2. */
	a->ct_in_use = b->ct_in_use = true;
	a->ct_max = b->ct_max = 100000;
	for (int s = 0; s < CT_STAT__COUNT; s++)
		a->ct.present[s] = b->ct.present[s] = true;
	a->ct.val[CT_STAT_DROP] = 0xfffffffeULL + 0x10;
	b->ct.val[CT_STAT_DROP] = 0x3 + 0x12;
	d = run(a, b, &f, &n);

	is_int(d->ifaces[0].d[LS_RX_BYTES], 0x200, "rx_bytes: the 32-bit wrap unwrapped");
	is_int(d->ifaces[0].d[LS_RX_PACKETS], 0x20000000, "rx_packets: unwrapped");
	is_int(d->ifaces[0].d[LS_RX_MISSED_ERRORS], 0, "rx_missed_errors did not move");
	is_int(d->ifaces[0].d[LS_RX_DROPPED], 0, "rx_dropped went backwards: 0, not 20");
	ok(d->ifaces[0].stat_reset[LS_RX_DROPPED] && d->ifaces[0].stat_reset[LS_TX_PACKETS] &&
		   !d->ifaces[0].stat_reset[LS_RX_BYTES],
	   "only the counters that went backwards are flagged");
	ok(went_backwards(d, "eth0 rx_dropped") && went_backwards(d, "eth0 tx_packets"),
	   "and named");
	ok(went_backwards(d, "eth0 ethtool rx_queue_1_drops"), "a driver loss counter is named");
	ok(!went_backwards(d, "eth0 ethtool queue_0_depth"), "a gauge going down is not");
	x = find(f, n, "nic_rx_missed");
	ok(x && x->count == 5, "nic_rx_missed counts the wrapped queue's 5 drops, nothing else");
	ok(x && x->severity == SEV_LOW, "5 in 536 million packets: low, not critical");
	is_int(d->snmp[SNMP_UDP_IN_ERRORS], 0, "Udp.InErrors went backwards: 0");
	ok(d->snmp_reset[SNMP_UDP_IN_ERRORS] && went_backwards(d, "Udp.InErrors"),
	   "flagged and named");
	x = find(f, n, "udp_rcvbuf_errors");
	ok(x && x->count == 21, "a 32-bit kernel's RcvbufErrors wrap is unwrapped (21)");
	is_int(d->qdiscs[0].d_drops, 0, "a replaced qdisc's drops count nothing");
	is_int(d->qdiscs[0].d_packets, 100, "its packets still count");
	ok(went_backwards(d, "qdisc eth0 1: drops"), "its drops are named");
	ok(!find(f, n, "qdisc_drops"), "and give no finding");
	is_int(d->ct[CT_STAT_DROP], 7, "conntrack drop summed over CPUs across a wrap");
	x = find(f, n, "conntrack_full");
	ok(x && ev_u(x, "drop") == 7, "conntrack_full with drop +7");
	ok(!find(f, n, "nic_rx_dropped") && !find(f, n, "nic_tx_dropped"),
	   "no finding from a counter that went backwards");
	{
		struct json_writer j;
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		json_init(&j, m, false);
		host_delta_json(d, &j, NULL);
		json_finish(&j);
		host_delta_text(d, m, 100);
		fclose(m);
		ok(strstr(buf, "\"went_backwards\":[\"") && strstr(buf, "\"Udp.InErrors\""),
		   "JSON names what went backwards");
		ok(strstr(buf, "\"reset\":true,\"reset_stats\":[\"tx_packets\",\"rx_dropped\"]"),
		   "JSON: the interface's counters that went backwards");
		ok(strstr(buf, "  backwards    ") && strstr(buf, "eth0 rx_dropped"),
		   "the text report has a backwards line");
		free(buf);
	}
	free(f);
	host_delta_free(d);
}

static void add_udp(struct host_counters *hc, uint32_t inode, const char *local, uint32_t drops)
{
	struct sock_info *s;

	hc->udp = realloc(hc->udp, (hc->n_udp + 1) * sizeof(*hc->udp));
	s = &hc->udp[hc->n_udp++];
	memset(s, 0, sizeof(*s));
	s->inode = inode;
	snprintf(s->local, sizeof(s->local), "%s", local);
	s->drops = drops;
	s->rcvbuf = 4096;
	s->has_meminfo = true;
}

/* A socket missing from the first snapshot's list counts from 0 only if that list was whole. */
static void test_udp_truncated(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	const struct finding *x;
	const struct finding_evidence *e;
	struct finding *f;
	size_t n;

	a->udp_truncated = true; /* more sockets had dropped than the list holds */
	add_udp(a, 1, "0.0.0.0:53", 100);
	add_udp(b, 1, "0.0.0.0:53", 150);
	add_udp(b, 2, "0.0.0.0:514", 5000); /* 5000 since it was made, not in the list before */
	b->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 50;
	d = run(a, b, &f, &n);
	is_int(d->n_udp, 2, "both sockets reported");
	ok(d->udp_truncated, "the delta says the list was cut short");
	ok(d->n_udp == 2 && !d->udp[0].is_new && d->udp[0].d_drops == 50,
	   "a socket in both lists: its drops in the window");
	ok(d->n_udp == 2 && d->udp[1].is_new && d->udp[1].d_drops == 0,
	   "a socket missing from the cut list: new, no delta (not its 5000 lifetime drops)");
	x = find(f, n, "udp_rcvbuf_errors");
	e = x ? ev(x, "socket 0.0.0.0:514") : NULL;
	ok(e && strstr(e->text, "drops unknown"), "its evidence says the drops are unknown");
	e = x ? ev(x, "socket 0.0.0.0:53") : NULL;
	ok(e && strstr(e->text, "drops +50,"), "the other one's drops are the window's");
	ok(x && fix_has(x, "0.0.0.0:53"), "the fix is about the socket that dropped");
	free(f);
	host_delta_free(d);

	/* The whole list: a socket not in it had no drops then (or did not exist). */
	a = hc_new(0);
	b = hc_new(10);
	add_udp(a, 1, "0.0.0.0:53", 100);
	add_udp(b, 2, "0.0.0.0:514", 5000);
	d = run(a, b, &f, &n);
	ok(d->n_udp == 1 && !d->udp[0].is_new && d->udp[0].d_drops == 5000,
	   "a complete first list: a new socket's drops are all the window's");
	free(f);
	host_delta_free(d);
}

/* A copy of hc taken dt seconds later, for building a series of snapshots. */
static struct host_counters *later(const struct host_counters *hc, double dt)
{
	struct host_counters *c = host_counters_dup(hc);

	c->t += dt;
	return c;
}

/* A long window in steps: 32-bit counters that wrap between two far-apart snapshots are
 * counted exactly when the steps are added up. */
static void test_extend_wraps(void)
{
	static const int ids[] = {0};
	static const uint64_t zero[] = {0};
	struct host_counters *s[5];
	struct host_delta *d = NULL, *direct = NULL;
	const uint64_t step = 0x60000000; /* below 2^31, but four of them exceed 2^32 */

	s[0] = hc_new(0);
	set_softnet(s[0], 1, ids, zero, NULL, true);
	add_iface(s[0], 2, "eth0");
	add_qdisc(s[0], 2, "pfifo_fast", TC_H_ROOT, 0, 0);
	add_udp(s[0], 7, "0.0.0.0:53", 1);
	for (int i = 1; i < 5; i++) {
		s[i] = later(s[i - 1], 10);
		s[i]->softnet.cpus[0].dropped =
			(s[i - 1]->softnet.cpus[0].dropped + step) & 0xffffffff;
		s[i]->qdiscs[0].drops = (uint32_t)(s[i - 1]->qdiscs[0].drops + step);
		s[i]->udp[0].drops = (uint32_t)(s[i - 1]->udp[0].drops + step);
	}
	host_counters_delta(s[0], s[1], &d);
	for (int i = 2; i < 5; i++)
		is_int(host_delta_extend(d, s[i]), 0, "extended to snapshot %d", i);
	is_int(d->steps, 4, "four steps");
	is_near(d->interval_s, 40, 1e-9, "the window is first to last");
	is_int(d->softnet_total.dropped, 4 * step, "softnet dropped: 4 x 0x60000000, past 2^32");
	is_int(d->cpus[0].dropped, 4 * step, "per CPU too");
	is_int(d->qdiscs[0].d_drops, 4 * step, "qdisc drops past 2^32");
	ok(d->n_udp == 1 && d->udp[0].d_drops == 4 * step, "socket drops past 2^32");
	is_int(d->n_backwards, 0, "nothing went backwards");
	/* What one delta over the same window would have said. */
	host_counters_delta(s[0], s[4], &direct);
	ok(direct->softnet_total.dropped != 4 * step,
	   "a single first-to-last delta cannot see it (%llu)",
	   (unsigned long long)direct->softnet_total.dropped);
	host_delta_free(direct);
	host_delta_free(d);
	for (int i = 0; i < 5; i++)
		host_counters_free(s[i]);
}

/* Steps added up equal the first-to-last delta where no counter wraps: every kind of counter,
 * an interface that appears (new over the whole window) and one that goes away. */
static void test_extend_equals_direct(void)
{
	static const int ids[] = {0, 1};
	static const uint64_t d0[] = {10, 20}, d1[] = {15, 20}, d2[] = {15, 90};
	struct host_counters *s0 = hc_new(0), *s1, *s2;
	struct host_delta *d = NULL, *direct = NULL;
	bool same = true;

	set_softnet(s0, 2, ids, d0, NULL, true);
	add_iface(s0, 2, "eth0");
	add_iface(s0, 3, "gone");
	add_qdisc(s0, 2, "fq_codel", TC_H_ROOT, 5, 100);
	add_udp(s0, 7, "0.0.0.0:53", 1);
	set_dstat(&s0->ifaces[0], "rx_queue_0_drops", 1);
	set_dstat(&s0->ifaces[0], "rx_queue_1_drops", 1);
	s0->ct_in_use = true;
	s0->ct_max = 1000;
	for (int k = 0; k < CT_STAT__COUNT; k++)
		s0->ct.present[k] = true;

	s1 = later(s0, 10);
	s1->softnet.cpus[0].dropped = d1[0];
	s1->softnet.cpus[1].dropped = d1[1];
	s1->ifaces[0].link.stats[LS_RX_PACKETS] = 1000;
	s1->ifaces[0].link.stats[LS_RX_MISSED_ERRORS] = 7;
	s1->ifaces[0].dstats[0].value = 30; /* moves in the first step only */
	s1->qdiscs[0].drops = 50;
	s1->udp[0].drops = 41;
	s1->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 40;
	s1->ct.val[CT_STAT_DROP] = 2;
	add_iface(s1, 4, "veth9"); /* appears */
	s1->n_errors = 1;
	snprintf(s1->errors[0].source, sizeof(s1->errors[0].source), "ethtool -S eth0");
	s1->errors[0].err = -EIO;

	s2 = later(s1, 10);
	s2->n_errors = 0;
	s2->softnet.cpus[0].dropped = d2[0];
	s2->softnet.cpus[1].dropped = d2[1];
	s2->ifaces[0].link.stats[LS_RX_PACKETS] = 3000;
	s2->ifaces[0].dstats[1].value = 9;	      /* moves in the second step only */
	s2->ifaces[2].link.stats[LS_RX_DROPPED] = 77; /* the new one */
	s2->n_ifaces = 2;			      /* "gone" went away: drop it, keep veth9 */
	s2->ifaces[1] = s2->ifaces[2];
	s2->qdiscs[0].drops = 80;
	s2->udp[0].drops = 61;
	s2->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 100;
	s2->snmp.val[SNMP_TCP_RETRANS_SEGS] = 3;
	s2->ct.val[CT_STAT_DROP] = 9;

	host_counters_delta(s0, s1, &d);
	is_int(host_delta_extend(d, s2), 0, "extended");
	host_counters_delta(s0, s2, &direct);
	is_near(d->interval_s, direct->interval_s, 1e-9, "same window");
	is_int(d->n_ifaces, direct->n_ifaces, "same interfaces");
	for (size_t i = 0; i < d->n_ifaces && i < direct->n_ifaces; i++) {
		const struct hd_iface *x = &d->ifaces[i], *y = &direct->ifaces[i];

		same &= x->idx == y->idx && x->is_new == y->is_new && x->n_dstats == y->n_dstats &&
			!memcmp(x->d, y->d, sizeof(x->d));
		/* The order of driver statistics may differ: match them by name. */
		for (size_t k = 0; k < x->n_dstats; k++) {
			bool found = false;

			for (size_t m = 0; m < y->n_dstats; m++)
				found |= !strcmp(x->dstats[k].name, y->dstats[m].name) &&
					 x->dstats[k].delta == y->dstats[m].delta;
			same &= found;
		}
	}
	ok(same, "interface and driver deltas equal first to last");
	ok(d->n_ifaces == 2 && d->ifaces[1].is_new && d->ifaces[1].d[LS_RX_DROPPED] == 0,
	   "an interface that appeared is new over the whole window");
	is_int(d->ifaces[0].n_dstats, 2, "driver statistics that moved in either step");
	ok(!memcmp(d->snmp, direct->snmp, sizeof(d->snmp)) &&
		   !memcmp(d->snmp_ok, direct->snmp_ok, sizeof(d->snmp_ok)),
	   "snmp deltas equal");
	ok(d->softnet_ok && d->n_cpus == 2 && d->softnet_total.dropped == 75 &&
		   d->cpus[0].dropped == direct->cpus[0].dropped &&
		   d->cpus[1].dropped == direct->cpus[1].dropped,
	   "softnet equal (75)");
	ok(d->ct_ok && d->ct[CT_STAT_DROP] == 9 && direct->ct[CT_STAT_DROP] == 9,
	   "conntrack equal");
	ok(d->n_qdiscs == 1 && d->qdiscs[0].d_drops == 75 && direct->qdiscs[0].d_drops == 75,
	   "qdisc drops equal");
	ok(d->n_udp == 1 && d->udp[0].d_drops == 60 && direct->udp[0].d_drops == 60,
	   "socket drops equal");
	ok(d->now->n_errors == 1 && !strcmp(d->now->errors[0].source, "ethtool -S eth0"),
	   "a source that failed in the middle snapshot is still named");
	host_delta_free(direct);
	host_delta_free(d);
	host_counters_free(s0);
	host_counters_free(s1);
	host_counters_free(s2);
}

static int index_of(const struct finding *f, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].id, id))
			return (int)i;
	return -1;
}

/* An explained finding follows its cause even when it is the more severe of the two. */
static void test_cause_order(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	struct finding *f;
	size_t n;
	int iq, is, io, il;

	add_iface(a, 2, "eth0");
	add_iface(b, 2, "eth0");
	/* 500 qdisc drops in 1000000 packets: 50/s, 0.05%: high. */
	add_qdisc(a, 2, "pfifo_fast", TC_H_ROOT, 0, 0);
	add_qdisc(b, 2, "pfifo_fast", TC_H_ROOT, 500, 1000000);
	/* 20000 refused UDP sends: 2000/s, critical, explained by the qdisc drops. */
	b->snmp.val[SNMP_UDP_SNDBUF_ERRORS] = 20000;
	b->snmp.val[SNMP_UDP_OUT_DATAGRAMS] = 1000000;
	b->snmp.val[SNMP_IP_OUT_DISCARDS] = 20;
	b->snmp.val[SNMP_IP_OUT_REQUESTS] = 1000000;
	/* And an unrelated critical finding. */
	b->snmp.val[SNMP_TCPEXT_LISTEN_DROPS] = 100000;
	d = run(a, b, &f, &n);
	iq = index_of(f, n, "qdisc_drops");
	is = index_of(f, n, "udp_sndbuf_errors");
	io = index_of(f, n, "ip_out_discards");
	il = index_of(f, n, "tcp_listen_overflows");
	ok(iq >= 0 && is >= 0 && io >= 0 && il >= 0, "all four found");
	if (iq >= 0 && is >= 0) {
		is_str(finding_severity_name(f[is].severity), "critical", "SndbufErrors: critical");
		is_str(finding_severity_name(f[iq].severity), "high", "its cause: high");
	}
	is_int(is, iq + 1, "the critical finding comes right after its high cause");
	is_int(io, iq + 2, "and the other finding it explains after that");
	is_int(il, 0, "an unexplained critical finding still comes first");
	free(f);
	host_delta_free(d);
}

/* A share says something only over a few drops: 1 output discard of 189 packets sent in 12 s
 * (0.53%, as a quiet monitor segment saw) is not serious; 10 of 1890 (the same share) are. */
static void test_small_counts(void)
{
	static const uint64_t discards[] = {1, 10}, sent[] = {189, 1890};
	static const char *const want[] = {"low", "high"};

	for (int i = 0; i < 2; i++) {
		struct host_counters *a = hc_new(0), *b = hc_new(12);
		struct host_delta *d;
		struct finding *f;
		const struct finding *x;
		size_t n;

		b->snmp.val[SNMP_IP_OUT_DISCARDS] = discards[i];
		b->snmp.val[SNMP_IP_OUT_REQUESTS] = sent[i];
		d = run(a, b, &f, &n);
		x = find(f, n, "ip_out_discards");
		ok(x != NULL, "%llu OutDiscards of %llu: a finding", (unsigned long long)discards[i],
		   (unsigned long long)sent[i]);
		is_str(x ? finding_severity_name(x->severity) : "none", want[i],
		       "%llu OutDiscards of %llu (0.53%%): %s", (unsigned long long)discards[i],
		       (unsigned long long)sent[i], want[i]);
		free(f);
		host_delta_free(d);
	}
}

/* Input error totals: what the specific counters do not explain is a finding of its own. */
static void test_in_errors(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	b->snmp.val[SNMP_UDP_IN_DATAGRAMS] = 100000;
	b->snmp.val[SNMP_UDP_IN_ERRORS] = 100; /* 60 buffer, 5 checksum, 35 other */
	b->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 60;
	b->snmp.val[SNMP_UDP_IN_CSUM_ERRORS] = 5;
	b->snmp.val[SNMP_UDP6_IN_ERRORS] = 10; /* all other */
	b->snmp.val[SNMP_TCP_IN_SEGS] = 100000;
	b->snmp.val[SNMP_TCP_IN_ERRS] = 30; /* 5 checksum, 25 bad */
	b->snmp.val[SNMP_TCP_IN_CSUM_ERRORS] = 5;
	d = run(a, b, &f, &n);
	x = find(f, n, "udp_in_errors");
	is_int(x ? x->count : 0, 45, "udp_in_errors: InErrors beyond buffer and checksum errors");
	is_int(x ? ev_u(x, "Udp.InErrors") : 0, 100, "evidence: Udp.InErrors");
	is_int(x ? ev_u(x, "Udp6InErrors") : 0, 10, "evidence: Udp6InErrors");
	ok(x && fix_has(x, "dropscope trace"), "fix: the drop reasons");
	x = find(f, n, "tcp_in_errors");
	is_int(x ? x->count : 0, 25, "tcp_in_errors: InErrs beyond checksum errors");
	is_int(x ? ev_u(x, "Tcp.InErrs") : 0, 30, "evidence: Tcp.InErrs");
	x = find(f, n, "checksum_errors");
	is_int(x ? x->count : 0, 10, "the checksum errors have their own finding");
	is_int(x ? ev_u(x, "Tcp.InErrs") : 0, 30, "with the error totals as evidence");
	x = find(f, n, "udp_rcvbuf_errors");
	is_int(x ? ev_u(x, "Udp.InErrors") : 0, 100, "the buffer finding shows InErrors too");
	free(f);
	host_delta_free(d);

	/* Every input error a buffer error (the lab's case): no extra finding. */
	a = hc_new(0);
	b = hc_new(10);
	b->snmp.val[SNMP_UDP_IN_ERRORS] = 996;
	b->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 996;
	b->snmp.val[SNMP_TCP_IN_ERRS] = 3;
	b->snmp.val[SNMP_TCP_IN_CSUM_ERRORS] = 3;
	d = run(a, b, &f, &n);
	ok(!find(f, n, "udp_in_errors"), "InErrors all RcvbufErrors: no udp_in_errors");
	ok(!find(f, n, "tcp_in_errors"), "InErrs all checksum errors: no tcp_in_errors");
	ok(find(f, n, "udp_rcvbuf_errors") && find(f, n, "checksum_errors"),
	   "each moving counter still in a finding");
	free(f);
	host_delta_free(d);
}

/* README.md's table names every finding id (the table in counters_findings.c is the source). */
static void test_readme_ids(void)
{
	FILE *m = fopen("README.md", "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	bool all = true;

	if (!m) {
		printf("# skip: README.md not found from %s (run from the top of the tree)\n",
		       getenv("PWD") ? getenv("PWD") : ".");
		return;
	}
	len = getdelim(&buf, &cap, '\0', m);
	fclose(m);
	for (size_t i = 0; len > 0 && i < finding_kinds_count; i++) {
		char pat[64];

		snprintf(pat, sizeof(pat), "`%s`", finding_kinds[i].id);
		if (!strstr(buf, pat)) {
			printf("#   README.md lacks %s\n", pat);
			all = false;
		}
	}
	ok(len > 0 && all, "README.md documents every finding id");
	free(buf);
}

/*
 * Enough of the POSIX shell's word splitting to check a fix line: quotes removed, operators
 * as words of their own, and whether a command substitution could run ($( or ` outside single
 * quotes) or a quote was left open.
 */
struct sh_words {
	int n;
	char w[48][FINDING_FIX_LEN];
	bool subst, open;
};

static void sh_split(const char *s, struct sh_words *o)
{
	char cur[FINDING_FIX_LEN];
	size_t n = 0;
	bool word = false;

	memset(o, 0, sizeof(*o));
#define PUSH()                                                                                     \
	do {                                                                                       \
		if (word && o->n < 48) {                                                           \
			cur[n] = '\0';                                                             \
			memcpy(o->w[o->n++], cur, n + 1);                                          \
		}                                                                                  \
		n = 0;                                                                             \
		word = false;                                                                      \
	} while (0)
	for (; *s && n < sizeof(cur) - 2; s++) {
		if (*s == '\'') {
			word = true;
			for (s++; *s && *s != '\'' && n < sizeof(cur) - 2; s++)
				cur[n++] = *s;
			if (*s != '\'') {
				o->open = true;
				break;
			}
		} else if (*s == '"') {
			word = true;
			for (s++; *s && *s != '"' && n < sizeof(cur) - 2; s++) {
				if (*s == '`' || (*s == '$' && s[1] == '('))
					o->subst = true;
				if (*s == '\\' && s[1])
					s++;
				cur[n++] = *s;
			}
			if (*s != '"') {
				o->open = true;
				break;
			}
		} else if (*s == '\\' && s[1]) {
			word = true;
			cur[n++] = *++s;
		} else if (*s == ' ' || *s == '\t') {
			PUSH();
		} else if (strchr(";|&<>()", *s)) {
			if (*s == '(' || *s == ')')
				o->subst = true; /* our commands never use subshells */
			PUSH();
			word = true;
			cur[n++] = *s;
			PUSH();
		} else {
			if (*s == '`' || (*s == '$' && s[1] == '('))
				o->subst = true;
			word = true;
			cur[n++] = *s;
		}
	}
	PUSH();
#undef PUSH
}

/* Checks one command (and the bodies it runs with sh -c); sets *bad, and *seen when name
 * arrives whole in some word. */
static void check_cmd(const char *cmd, int depth, const char *name, bool *bad, bool *seen)
{
	struct sh_words *w = malloc(sizeof(*w));

	sh_split(cmd, w);
	if (w->open || w->subst) {
		*bad = true;
		printf("#   unsafe when pasted: %s\n", cmd);
	}
	for (int i = 0; i < w->n; i++) {
		if (strstr(w->w[i], name))
			*seen = true;
		if (strstr(w->w[i], "/etc/udev/rules.d/") && strpbrk(w->w[i], "'$()` ")) {
			*bad = true;
			printf("#   a file name with shell characters: %s\n", w->w[i]);
		}
		if (depth < 2 && i + 2 < w->n && !strcmp(w->w[i], "sh") &&
		    !strcmp(w->w[i + 1], "-c"))
			check_cmd(w->w[i + 2], depth + 1, name, bad, seen);
	}
	free(w);
}

/* Interface and namespace names that would run code, or break the quoting, if pasted as they
 * are. Every fix line of every finding, in our namespace, a named one and one given by path. */
static void test_hostile_names(void)
{
	static const char *const ifnames[] = {"v$(id)", "it's", "x`id`", "a;b\\c"};
	static const char *const nsnames[] = {"self", "ns$(id)", "o'ns", "/proc/1/ns/n$(id)'"};
	char fix[FINDING_MAX_FIXES][FINDING_FIX_LEN];

	for (size_t ni = 0; ni < ARRAY_SIZE(nsnames); ni++) {
		for (size_t ii = 0; ii < ARRAY_SIZE(ifnames); ii++) {
			struct host_counters *hc = hc_new(0);
			struct hc_iface *ifc = add_iface(hc, 2, ifnames[ii]);
			bool bad = false, seen_if = false, seen_ns = false, udev_name = false;

			if (strcmp(nsnames[ni], "self")) {
				snprintf(hc->netns, sizeof(hc->netns), "%s", nsnames[ni]);
				hc->netns_self = false;
			}
			ifc->link.addr_len = 0; /* no MAC: a udev rule would match by name */
			ifc->ring_err = ifc->chan_err = 0;
			ifc->rx_ring = ifc->tx_ring = 256;
			ifc->rx_ring_max = ifc->tx_ring_max = 4096;
			ifc->combined_ch = 1;
			ifc->combined_ch_max = 4;
			add_qdisc(hc, 2, "pfifo_fast", TC_H_ROOT, 0, 0);
			for (size_t i = 0; i < finding_kinds_count; i++) {
				int k = finding_fixes(finding_kinds[i].id, hc, ifnames[ii], fix,
						      FINDING_MAX_FIXES);

				for (int l = 0; l < k; l++) {
					if (strchr(fix[l], '\n'))
						bad = true;
					if (fix[l][0] == '#')
						continue;
					check_cmd(fix[l], 0, ifnames[ii], &bad, &seen_if);
					if (strcmp(nsnames[ni], "self"))
						check_cmd(fix[l], 0, nsnames[ni], &bad, &seen_ns);
					udev_name |= strstr(fix[l], "KERNEL==") &&
						     strstr(fix[l], "/etc/udev/") &&
						     !strstr(fix[l], "KERNEL==\"rx-*\"");
				}
			}
			ok(!bad, "interface '%s', namespace '%s': every command is safe to paste",
			   ifnames[ii], nsnames[ni]);
			ok(seen_if, "interface '%s': its name reaches the commands whole",
			   ifnames[ii]);
			if (strcmp(nsnames[ni], "self"))
				ok(seen_ns, "namespace '%s': its name reaches the commands whole",
				   nsnames[ni]);
			ok(!udev_name, "no udev rule matches '%s' by name", ifnames[ii]);
			host_counters_free(hc);
		}
	}
}

static void test_listen(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	b->snmp.val[SNMP_TCPEXT_LISTEN_OVERFLOWS] = 50;
	b->snmp.val[SNMP_TCPEXT_LISTEN_DROPS] = 52;
	b->snmp.val[SNMP_TCPEXT_TCP_REQQ_FULL_DROP] = 3;
	b->listen = calloc(2, sizeof(*b->listen));
	b->n_listen = 2;
	snprintf(b->listen[0].local, sizeof(b->listen[0].local), "0.0.0.0:80");
	b->listen[0].rqueue = 129;
	b->listen[0].wqueue = 128;
	snprintf(b->listen[1].local, sizeof(b->listen[1].local), "[::]:443");
	b->listen[1].rqueue = 4097;
	b->listen[1].wqueue = 4096;
	d = run(a, b, &f, &n);
	x = find(f, n, "tcp_listen_overflows");
	ok(x != NULL, "tcp_listen_overflows found");
	if (!x) {
		dump(f, n);
		goto out;
	}
	is_int(x->count, 52, "count: ListenDrops (it includes the overflows)");
	is_int(ev_u(x, "TcpExt.ListenOverflows"), 50, "evidence: ListenOverflows");
	ok(ev(x, "listener 0.0.0.0:80") &&
		   !strcmp(ev(x, "listener 0.0.0.0:80")->text, "accept queue 129/128 (full)"),
	   "evidence: the full listener");
	ok(fix_has(x, "asked listen() for a backlog of 128"), "fix: the application's backlog");
	ok(fix_has(x, "capped by net.core.somaxconn (4096)"), "fix: somaxconn caps the other");
	ok(fix_has(x, "net.core.somaxconn = 8192"), "fix: somaxconn raised in sysctl.d");
	ok(fix_has(x, "net.ipv4.tcp_max_syn_backlog = 4096"), "fix: SYN backlog when ReqQFullDrop");
out:
	free(f);
	host_delta_free(d);
}

static void test_conntrack(void)
{
	struct host_counters *a, *b;
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	ct_pair(95000, &a, &b);
	d = run(a, b, &f, &n);
	x = find(f, n, "conntrack_full");
	ok(x && x->severity == SEV_HIGH, "95%% full: conntrack_full, high");
	ok(x && fix_has(x, "net.netfilter.nf_conntrack_max = 262144"), "fix: a larger table");
	ok(x && fix_has(x, "options nf_conntrack hashsize=65536"), "fix: hash size persists");
	ok(x && fix_has(x, "echo nf_conntrack > /etc/modules-load.d/90-dropscope-conntrack.conf"),
	   "fix: the module loads at boot, before sysctl.d is applied, so the size sticks");
	free(f);
	host_delta_free(d);

	ct_pair(1000, &a, &b);
	b->ct.val[CT_STAT_DROP] = 5;
	d = run(a, b, &f, &n);
	x = find(f, n, "conntrack_full");
	ok(x && x->severity == SEV_CRITICAL, "drops counted: critical");
	is_int(x ? ev_u(x, "drop") : 0, 5, "evidence: drop +5");
	free(f);
	host_delta_free(d);

	ct_pair(0, &a, &b);
	b->ct.val[CT_STAT_INSERT_FAILED] = 40;
	d = run(a, b, &f, &n);
	ok(!find(f, n, "conntrack_full"), "insert_failed with room is not a full table");
	x = find(f, n, "conntrack_insert_failed");
	ok(x && x->count == 40, "conntrack_insert_failed found");
	ok(x && fix_has(x, "single-request-reopen"), "fix: the resolver race");
	free(f);
	host_delta_free(d);

	a = hc_new(0);
	b = hc_new(10);
	d = run(a, b, &f, &n);
	is_int(n, 0, "conntrack not in use: nothing");
	free(f);
	host_delta_free(d);
}

static void test_qdisc_and_causes(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	add_iface(a, 2, "eth0");
	add_iface(b, 2, "eth0");
	add_qdisc(a, 2, "pfifo_fast", TC_H_ROOT, 0, 0);
	add_qdisc(b, 2, "pfifo_fast", TC_H_ROOT, 100, 900);
	add_qdisc(a, 2, "ingress", TC_H_INGRESS, 0, 0);
	add_qdisc(b, 2, "ingress", TC_H_INGRESS, 50, 0);
	b->snmp.val[SNMP_UDP_SNDBUF_ERRORS] = 100;
	b->snmp.val[SNMP_UDP_OUT_DATAGRAMS] = 900;
	b->snmp.val[SNMP_IP_OUT_DISCARDS] = 100;
	b->snmp.val[SNMP_IP_OUT_REQUESTS] = 1000;
	d = run(a, b, &f, &n);
	x = find(f, n, "qdisc_drops");
	ok(x != NULL, "qdisc_drops found");
	if (!x) {
		dump(f, n);
		goto out;
	}
	is_int(x->count, 100, "the root qdisc's drops");
	is_int(count_id(f, n, "qdisc_drops"), 1, "ingress drops are policy, not a full queue");
	is_str(x->ifname, "eth0", "on eth0");
	ok(fix_has(x, "ip link set dev eth0 txqueuelen 10000"), "fix: txqueuelen");
	ok(fix_has(x, "ATTR{tx_queue_len}=\"10000\""), "txqueuelen persists in a udev rule");
	is_str(f[0].id, "qdisc_drops", "the cause sorts first");
	x = find(f, n, "udp_sndbuf_errors");
	ok(x && x->explained_by && !strcmp(x->explained_by, "qdisc_drops"),
	   "SndbufErrors explained by the qdisc drops");
	ok(x && fix_has(x, "fix the qdisc first"), "and the fix says so");
	x = find(f, n, "ip_out_discards");
	ok(x && x->explained_by && !strcmp(x->explained_by, "qdisc_drops"),
	   "OutDiscards explained by the qdisc drops");
out:
	free(f);
	host_delta_free(d);

	a = hc_new(0);
	b = hc_new(10);
	add_iface(a, 2, "eth0");
	add_iface(b, 2, "eth0");
	add_qdisc(a, 2, "tbf", TC_H_ROOT, 0, 0);
	add_qdisc(b, 2, "tbf", TC_H_ROOT, 10, 10);
	d = run(a, b, &f, &n);
	x = find(f, n, "qdisc_drops");
	ok(x && fix_has(x, "that is shaping, not a fault"), "a shaper's drops are called shaping");
	ok(x && fix_has(x, "tc -s qdisc show dev eth0"), "with the command to look at it");
	free(f);
	host_delta_free(d);
}

static void test_retrans(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;

	b->snmp.val[SNMP_TCP_RETRANS_SEGS] = 600;
	b->snmp.val[SNMP_TCP_OUT_SEGS] = 10000;
	d = run(a, b, &f, &n);
	x = find(f, n, "tcp_retransmits");
	ok(x && x->severity == SEV_HIGH, "6%% retransmitted: high");
	ok(x && strstr(x->summary, "the loss is on the path"), "no host drops: the path");
	ok(x && fix_has(x, "dropscope probe"), "fix: probe the path");
	ok(x && !x->explained_by, "nothing on the host explains it");
	free(f);
	host_delta_free(d);

	a = hc_new(0);
	b = hc_new(10);
	b->snmp.val[SNMP_TCP_RETRANS_SEGS] = 5;
	b->snmp.val[SNMP_TCP_OUT_SEGS] = 10000;
	d = run(a, b, &f, &n);
	ok(!find(f, n, "tcp_retransmits"), "0.05%% retransmitted is normal: no finding");
	free(f);
	host_delta_free(d);

	a = hc_new(0);
	b = hc_new(10);
	b->snmp.val[SNMP_TCP_RETRANS_SEGS] = 600;
	b->snmp.val[SNMP_TCP_OUT_SEGS] = 10000;
	b->snmp.val[SNMP_TCPEXT_TCP_BACKLOG_DROP] = 400;
	d = run(a, b, &f, &n);
	x = find(f, n, "tcp_retransmits");
	ok(x && x->explained_by && !strcmp(x->explained_by, "tcp_backlog_drop"),
	   "host drops named as the cause");
	ok(x && fix_has(x, "fix those first"), "fix: the host's drops first");
	x = find(f, n, "tcp_backlog_drop");
	ok(x && fix_has(x, "net.ipv4.tcp_rmem = 4096 131072 16777216"),
	   "backlog drop fix: tcp_rmem maximum raised");
	free(f);
	host_delta_free(d);
}

static void test_missing_counters(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	struct finding *f;
	size_t n;

	/* An old kernel without TCPRcvQDrop: a value in one snapshot only is no delta. */
	a->snmp.present[SNMP_TCPEXT_TCP_RCVQ_DROP] = false;
	b->snmp.val[SNMP_TCPEXT_TCP_RCVQ_DROP] = 100;
	/* A source that failed in the first snapshot only is still named. */
	a->n_errors = 1;
	snprintf(a->errors[0].source, sizeof(a->errors[0].source), "/proc/net/netstat");
	a->errors[0].err = -EIO;
	b->n_errors = 1;
	snprintf(b->errors[0].source, sizeof(b->errors[0].source), "ethtool -S eth0");
	b->errors[0].err = -EIO;
	d = run(a, b, &f, &n);
	ok(!d->snmp_ok[SNMP_TCPEXT_TCP_RCVQ_DROP], "counter missing before: no delta");
	ok(!find(f, n, "tcp_rcvq_drop"), "and no finding from it");
	is_int(d->now->n_errors, 2, "errors of both snapshots are named");
	ok(host_counters_failed(d->now), "and the delta says a source failed");
	free(f);
	host_delta_free(d);
}

static void test_namespaces(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	const struct finding *x;
	struct finding *f;
	size_t n;
	char fix[FINDING_MAX_FIXES][FINDING_FIX_LEN];
	int k;

	snprintf(b->netns, sizeof(b->netns), "lab-x");
	b->netns_self = false;
	add_iface(a, 2, "eth0");
	add_iface(b, 2, "eth0")->link.stats[LS_RX_MISSED_ERRORS] = 10;
	b->ifaces[0].ring_err = 0;
	b->ifaces[0].rx_ring = 256;
	b->ifaces[0].rx_ring_max = 1024;
	b->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 10;
	d = run(a, b, &f, &n);
	x = find(f, n, "nic_rx_missed");
	ok(x && fix_has(x, "ip netns exec lab-x ethtool -G eth0 rx 1024"),
	   "interface commands run in the namespace");
	ok(x && !fix_has(x, "/etc/udev/rules.d"), "no udev rule for a namespace's interface");
	x = find(f, n, "udp_rcvbuf_errors");
	ok(x && fix_has(x, "ip netns exec lab-x sysctl -w net.core.rmem_max=16777216"),
	   "a per-namespace sysctl is set inside it");
	ok(x && fix_has(x, "/etc/sysctl.d reaches only the initial namespace"),
	   "and says why sysctl.d is not enough");

	k = finding_fixes("softnet_dropped", d->now, NULL, fix, FINDING_MAX_FIXES);
	ok(k > 0, "finding_fixes for softnet_dropped");
	{
		bool global = false, ns_rps = false;

		for (int i = 0; i < k; i++) {
			global |=
				strstr(fix[i], "printf 'net.core.netdev_max_backlog = 10000\\n' > "
					       "/etc/sysctl.d/90-dropscope-backlog.conf") != NULL;
			ns_rps |= strstr(fix[i], "ip netns exec lab-x sh -c 'for q in "
						 "/sys/class/net/eth0/queues/rx-*") != NULL;
		}
		ok(global, "a global knob goes to sysctl.d even for a namespace");
		ok(ns_rps, "RPS is written with sysfs of the namespace");
	}
	snprintf(d->now->netns, sizeof(d->now->netns), "/proc/123/ns/net");
	k = finding_fixes("nic_rx_missed", d->now, "eth0", fix, FINDING_MAX_FIXES);
	ok(k > 0 && strstr(fix[1], "nsenter --net=/proc/123/ns/net ethtool -G eth0 rx 1024"),
	   "a namespace given by path uses nsenter");
	free(f);
	host_delta_free(d);
}

static void test_fix_api(void)
{
	struct host_counters *hc = hc_new(0);
	char fix[FINDING_MAX_FIXES][FINDING_FIX_LEN];
	int k;

	add_iface(hc, 2, "eth0");
	is_int(finding_fixes("no_such_finding", hc, NULL, fix, FINDING_MAX_FIXES), -ENOENT,
	       "unknown id");
	is_int(finding_fixes(NULL, hc, NULL, fix, FINDING_MAX_FIXES), -EINVAL, "NULL id");
	is_int(finding_fixes("udp_rcvbuf_errors", hc, NULL, fix, 1), 1, "max lines respected");
	k = finding_fixes("qdisc_drops", hc, "eth0", fix, FINDING_MAX_FIXES);
	ok(k > 0 && strstr(fix[1], "ip link set dev eth0 txqueuelen 10000"),
	   "qdisc fix without a qdisc seen: txqueuelen");
	is_int(finding_kinds_count, 25, "25 finding ids");
	for (size_t i = 0; i < finding_kinds_count; i++) {
		const char *id = finding_kinds[i].id;

		k = finding_fixes(id, hc, NULL, fix, FINDING_MAX_FIXES);
		ok(k > 0 && finding_id_known(id) && finding_kinds[i].what[0],
		   "finding_fixes(%s) gives lines", id);
		for (size_t m = 0; m < i; m++)
			if (!strcmp(finding_kinds[m].id, id))
				ok(0, "%s listed twice", id);
	}
	/* 1024 CPUs: the longest masks still fit, no command is cut. */
	hc->ncpus = 1024;
	snprintf(hc->netns, sizeof(hc->netns), "/proc/123456/ns/net");
	hc->netns_self = false;
	k = finding_fixes("softnet_dropped", hc, "eth0", fix, FINDING_MAX_FIXES);
	{
		bool cut = false, mask = false;

		for (int i = 0; i < k; i++) {
			cut |= strstr(fix[i], "too long to print") != NULL;
			mask |= strstr(fix[i], "ffffffff,ffffffff,ffffffff") != NULL;
		}
		ok(!cut && mask, "a 1024-CPU mask fits the fix lines");
	}
	host_counters_free(hc);

	is_str(finding_for_drop_reason("SOCKET_RCVBUFF"), "udp_rcvbuf_errors", "SOCKET_RCVBUFF");
	is_str(finding_for_drop_reason("SKB_DROP_REASON_CPU_BACKLOG"), "softnet_dropped",
	       "CPU_BACKLOG, with the enum prefix");
	is_str(finding_for_drop_reason("QDISC_DROP"), "qdisc_drops", "QDISC_DROP");
	is_str(finding_for_drop_reason("TCP_LISTEN_OVERFLOW"), "tcp_listen_overflows",
	       "TCP_LISTEN_OVERFLOW");
	ok(finding_for_drop_reason("NETFILTER_DROP") == NULL, "NETFILTER_DROP: the caller decides");
	ok(finding_for_drop_reason(NULL) == NULL, "NULL reason");
}

/* Balanced braces and brackets outside strings: the writer's output is one JSON value. */
static bool json_balanced(const char *s)
{
	int depth = 0;
	bool str = false;

	for (; *s; s++) {
		if (str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				str = false;
			continue;
		}
		if (*s == '"')
			str = true;
		else if (*s == '{' || *s == '[')
			depth++;
		else if (*s == '}' || *s == ']')
			depth--;
		if (depth < 0)
			return false;
	}
	return depth == 0 && !str;
}

static void test_output(void)
{
	struct host_counters *a = hc_new(0), *b = hc_new(10);
	struct host_delta *d;
	struct finding *f;
	struct json_writer j;
	char *buf = NULL;
	size_t n, len = 0;
	FILE *m;

	add_iface(a, 2, "eth0");
	add_iface(b, 2, "eth0");
	b->snmp.val[SNMP_UDP_RCVBUF_ERRORS] = 10;
	b->snmp.val[SNMP_TCPEXT_LISTEN_DROPS] = 10000;
	d = run(a, b, &f, &n);
	is_str(f[0].id, "tcp_listen_overflows", "worst first: 1000/s before 1/s");

	m = open_memstream(&buf, &len);
	json_init(&j, m, false);
	json_object_begin(&j, NULL);
	findings_json(f, n, &j, "findings");
	host_delta_json(d, &j, "counters");
	json_object_end(&j);
	json_finish(&j);
	fclose(m);
	ok(json_balanced(buf), "findings and counters JSON is balanced");
	ok(strstr(buf, "\"id\":\"udp_rcvbuf_errors\",\"severity\":\"medium\"") != NULL,
	   "JSON finding id and severity");
	ok(strstr(buf, "\"Udp.RcvbufErrors\":10") != NULL, "JSON evidence");
	ok(strstr(buf, "\"fix\":[\"#") != NULL, "JSON fix array");
	ok(strstr(buf, "\"counters\":{\"interval_s\":10") != NULL, "JSON counters object");
	ok(strstr(buf, "\"snmp\":{") && strstr(buf, "\"TcpExt.ListenDrops\":10000"),
	   "JSON raw snmp deltas");
	free(buf);

	buf = NULL;
	m = open_memstream(&buf, &len);
	findings_text(f, n, m, false);
	fclose(m);
	ok(strstr(buf, "CRITICAL tcp_listen_overflows") != NULL, "text: severity and id");
	ok(strstr(buf, "      $ printf 'net.core.somaxconn") != NULL, "text: commands with $");
	ok(!strstr(buf, "\033["), "no colour when not asked");
	free(buf);

	buf = NULL;
	m = open_memstream(&buf, &len);
	host_delta_text(d, m, 100);
	fclose(m);
	ok(strstr(buf, "Udp.RcvbufErrors +10") != NULL, "moved counters listed");
	free(buf);
	free(f);
	host_delta_free(d);
}

int main(void)
{
	test_quiet();
	test_udp_rcvbuf();
	test_ring();
	test_queue_sum();
	test_softnet();
	test_cpu_matching();
	test_iface_delta();
	test_wraps_and_resets();
	test_udp_truncated();
	test_extend_wraps();
	test_extend_equals_direct();
	test_listen();
	test_conntrack();
	test_qdisc_and_causes();
	test_retrans();
	test_missing_counters();
	test_namespaces();
	test_fix_api();
	test_cause_order();
	test_small_counts();
	test_in_errors();
	test_readme_ids();
	test_hostile_names();
	test_output();
	return done_testing();
}
