// SPDX-License-Identifier: GPL-2.0
/* The pure parsers of the host counters, on recorded and constructed files of several kernels
 * (tests/fixtures/counters/README.md says which), garbage, and hand-built netlink messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/gen_stats.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "counters_parse.h"
#include "tap.h"
#include "test_counters_fixtures.h"

static char *slurp(const char *rel)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", fixtures, rel);
	f = fopen(path, "rb");
	if (!f) {
		printf("# cannot open %s\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Row i, or a zero row when the parse failed: a failed parse fails the test, never crashes it. */
static const struct softnet_cpu *CPU(const struct softnet_stat *s, size_t i)
{
	static const struct softnet_cpu zero = {.cpu = -1};

	return i < s->n ? &s->cpus[i] : &zero;
}

static int softnet_file(const char *rel, struct softnet_stat *s)
{
	char *buf = slurp(rel);
	int err;

	memset(s, 0, sizeof(*s));
	if (!buf)
		return -ENOENT;
	err = softnet_parse(buf, s);
	free(buf);
	return err;
}

static void test_softnet(void)
{
	struct softnet_stat s;

	is_int(softnet_file("linux-3.10/net/softnet_stat", &s), 0, "3.10 softnet_stat parses");
	is_int(s.columns, 10, "3.10: 10 columns");
	ok(!s.cpu_known, "3.10: rows do not name their CPU");
	is_int(s.n, 4, "3.10: 4 CPUs");
	is_int(CPU(&s, 0)->time_squeeze, 0x1a, "3.10: cpu0 time_squeeze");
	is_int(CPU(&s, 1)->dropped, 2, "3.10: cpu1 dropped");
	is_int(CPU(&s, 1)->cpu, 1, "3.10: CPU taken from the row number");
	is_int(CPU(&s, 3)->flow_limit_count, 0, "3.10: no flow_limit_count column");
	softnet_free(&s);

	is_int(softnet_file("linux-4.19/net/softnet_stat", &s), 0, "4.19 softnet_stat parses");
	is_int(s.columns, 11, "4.19: 11 columns");
	is_int(CPU(&s, 0)->dropped, 0x11d, "4.19: cpu0 dropped");
	is_int(CPU(&s, 0)->processed, 0x8a12f3c0, "4.19: cpu0 processed (high bit set)");
	is_int(CPU(&s, 1)->received_rps, 0x8812, "4.19: cpu1 received_rps");
	softnet_free(&s);

	is_int(softnet_file("linux-5.15/net/softnet_stat", &s), 0, "5.15 softnet_stat parses");
	is_int(s.columns, 13, "5.15: 13 columns");
	ok(s.cpu_known, "5.15: rows name their CPU");
	is_int(s.n, 8, "5.15: 8 CPUs");
	is_int(CPU(&s, 2)->flow_limit_count, 3, "5.15: cpu2 flow_limit_count");
	is_int(CPU(&s, 1)->backlog_len, 2, "5.15: cpu1 backlog length");
	is_int(CPU(&s, 7)->cpu, 7, "5.15: last row is CPU 7");
	softnet_free(&s);

	is_int(softnet_file("linux-5.15-cpu2-offline/net/softnet_stat", &s), 0,
	       "offline CPU file parses");
	is_int(s.n, 3, "offline: 3 rows");
	is_int(CPU(&s, 2)->cpu, 3, "offline: the third row is CPU 3, not 2");
	is_int(CPU(&s, 2)->dropped, 5, "offline: CPU 3 dropped");
	softnet_free(&s);

	is_int(softnet_file("linux-6.18/net/softnet_stat", &s), 0, "6.18 (recorded) parses");
	is_int(s.columns, 15, "6.18: 15 columns");
	is_int(s.n, 2, "6.18: 2 CPUs");
	is_int(CPU(&s, 0)->processed, 0x41d9, "6.18: cpu0 processed");
	is_int(CPU(&s, 1)->cpu, 1, "6.18: CPU id column");
	softnet_free(&s);

	is_int(softnet_file("future-17col/net/softnet_stat", &s), 0, "17 columns parse");
	is_int(s.columns, 17, "future: 17 columns");
	is_int(CPU(&s, 0)->dropped, 0x10, "future: dropped still column 2");
	is_int(CPU(&s, 0)->time_squeeze, 0x20, "future: time_squeeze still column 3");
	softnet_free(&s);

	is_int(softnet_file("garbage/softnet_ragged", &s), -EINVAL, "ragged rows rejected");
	ok(!s.cpus && !s.n, "nothing kept from a rejected file");
	is_int(softnet_file("garbage/softnet_nonhex", &s), -EINVAL, "non-hex rejected");
	is_int(softnet_file("garbage/softnet_short", &s), -EINVAL, "two columns rejected");
	is_int(softnet_file("garbage/softnet_empty", &s), -ENODATA, "empty file: no data");
	is_int(softnet_file("garbage/softnet_toolong_hex", &s), -EINVAL, "20 hex digits rejected");
	is_int(softnet_parse("\n\n", &s), -ENODATA, "blank lines only: no data");
}

static int snmp_files(const char *dir, struct snmp_counters *c, int *e1, int *e2, int *e3)
{
	char rel[256], *buf;

	memset(c, 0, sizeof(*c));
	snprintf(rel, sizeof(rel), "%s/net/snmp", dir);
	buf = slurp(rel);
	*e1 = buf ? snmp_parse(buf, c) : -ENOENT;
	free(buf);
	snprintf(rel, sizeof(rel), "%s/net/netstat", dir);
	buf = slurp(rel);
	*e2 = buf ? snmp_parse(buf, c) : -ENOENT;
	free(buf);
	snprintf(rel, sizeof(rel), "%s/net/snmp6", dir);
	buf = slurp(rel);
	*e3 = buf ? snmp6_parse(buf, c) : -ENOENT;
	free(buf);
	return *e1 || *e2 || *e3;
}

static void test_snmp(void)
{
	struct snmp_counters c;
	int e1, e2, e3;
	char *buf;

	is_str(snmp_counter_name(SNMP_TCPEXT_LISTEN_OVERFLOWS), "TcpExt.ListenOverflows",
	       "counter names are Section.Name");
	is_str(snmp_counter_name(SNMP_UDP6_RCVBUF_ERRORS), "Udp6RcvbufErrors",
	       "snmp6 names are flat");
	ok(snmp_counter_name(SNMP__COUNT) == NULL, "out of range name is NULL");

	snmp_files("linux-3.10", &c, &e1, &e2, &e3);
	ok(!e1 && !e2 && !e3, "3.10 snmp, netstat, snmp6 parse");
	is_int(c.malformed, 0, "3.10: nothing malformed");
	is_int(c.val[SNMP_UDP_RCVBUF_ERRORS], 4410, "3.10: Udp.RcvbufErrors");
	is_int(c.val[SNMP_TCP_RETRANS_SEGS], 40211, "3.10: Tcp.RetransSegs");
	is_int(c.val[SNMP_TCP_IN_CSUM_ERRORS], 3, "3.10: Tcp.InCsumErrors");
	is_int(c.val[SNMP_TCPEXT_LISTEN_OVERFLOWS], 338, "3.10: ListenOverflows");
	is_int(c.val[SNMP_TCPEXT_LISTEN_DROPS], 340, "3.10: ListenDrops");
	is_int(c.val[SNMP_IPEXT_IN_CSUM_ERRORS], 2, "3.10: IpExt.InCsumErrors");
	ok(!c.present[SNMP_UDP_MEM_ERRORS], "3.10: no Udp.MemErrors");
	ok(!c.present[SNMP_TCPEXT_TCP_RCVQ_DROP], "3.10: no TCPRcvQDrop");
	ok(!c.present[SNMP_ICMP_OUT_RATELIMIT_GLOBAL], "3.10: no ICMP rate limit counters");
	is_int(c.val[SNMP_UDP6_RCVBUF_ERRORS], 9, "3.10: Udp6RcvbufErrors");
	ok(c.present[SNMP_TCPEXT_PFMEMALLOC_DROP], "3.10: PFMemallocDrop printed");

	snmp_files("linux-4.19", &c, &e1, &e2, &e3);
	ok(!e1 && !e2 && !e3, "4.19 files parse");
	is_int(c.val[SNMP_TCPEXT_TCP_BACKLOG_DROP], 1717, "4.19: TCPBacklogDrop");
	is_int(c.val[SNMP_TCPEXT_TCP_REQQ_FULL_DROP], 9, "4.19: TCPReqQFullDrop");
	is_int(c.val[SNMP_UDP_SNDBUF_ERRORS], 17, "4.19: Udp.SndbufErrors");
	is_int(c.val[SNMP_IP_OUT_DISCARDS], 221, "4.19: Ip.OutDiscards");
	is_int(c.val[SNMP_IP_REASM_FAILS], 4, "4.19: Ip.ReasmFails");
	ok(!c.present[SNMP_UDP_MEM_ERRORS], "4.19: no Udp.MemErrors");
	ok(!c.present[SNMP_TCPEXT_TCP_RCVQ_DROP], "4.19: no TCPRcvQDrop (5.1)");
	ok(!c.present[SNMP_TCPEXT_TCP_ZERO_WINDOW_DROP], "4.19: no TCPZeroWindowDrop (5.1)");
	is_int(c.val[SNMP_UDP6_RCVBUF_ERRORS], 119, "4.19: Udp6RcvbufErrors");
	is_int(c.val[SNMP_IP6_IN_DISCARDS], 33, "4.19: Ip6InDiscards");
	ok(!c.present[SNMP_UDP6_MEM_ERRORS], "4.19: no Udp6MemErrors");

	snmp_files("linux-5.15", &c, &e1, &e2, &e3);
	ok(!e1 && !e2 && !e3, "5.15 files parse");
	is_int(c.val[SNMP_UDP_MEM_ERRORS], 5, "5.15: Udp.MemErrors");
	is_int(c.val[SNMP_TCPEXT_TCP_RCVQ_DROP], 4412, "5.15: TCPRcvQDrop");
	is_int(c.val[SNMP_TCPEXT_TCP_ZERO_WINDOW_DROP], 31, "5.15: TCPZeroWindowDrop");
	is_int(c.val[SNMP_TCPEXT_RCV_PRUNED], 177,
	       "5.15: TcpExt.RcvPruned, not MPTcpExt's counter of the same name");
	is_int(c.val[SNMP_UDP6_MEM_ERRORS], 2, "5.15: Udp6MemErrors");
	is_int(c.val[SNMP_TCP_RETRANS_SEGS], 8940211, "5.15: RetransSegs");

	snmp_files("linux-6.18", &c, &e1, &e2, &e3);
	ok(!e1 && !e2 && !e3, "6.18 (recorded) files parse");
	is_int(c.malformed, 0, "6.18: nothing malformed (MaxConn -1, IcmpMsg pairs)");
	ok(c.present[SNMP_ICMP_OUT_RATELIMIT_GLOBAL], "6.18: ICMP rate limit counters");
	ok(c.present[SNMP_TCPEXT_TCP_RCVQ_DROP], "6.18: TCPRcvQDrop present");
	is_int(c.val[SNMP_UDP_IN_DATAGRAMS], 26, "6.18: Udp.InDatagrams");
	ok(c.present[SNMP_IP6_OUT_DISCARDS], "6.18: Ip6OutDiscards present");

	memset(&c, 0, sizeof(c));
	buf = slurp("garbage/snmp_mismatch");
	is_int(snmp_parse(buf, &c), 0, "mismatched pair: the rest still parses");
	is_int(c.malformed, 1, "mismatched pair counted");
	is_int(c.val[SNMP_UDP_RCVBUF_ERRORS], 3, "Udp after a bad Tcp pair");
	ok(!c.present[SNMP_TCP_RETRANS_SEGS], "nothing taken from the bad pair");
	free(buf);

	memset(&c, 0, sizeof(c));
	buf = slurp("garbage/snmp_binary");
	is_int(snmp_parse(buf, &c), -EINVAL, "binary junk: nothing parses");
	free(buf);

	memset(&c, 0, sizeof(c));
	buf = slurp("garbage/snmp_orphan_header");
	is_int(snmp_parse(buf, &c), 0, "orphan header skipped");
	is_int(c.malformed, 1, "orphan header counted");
	is_int(c.val[SNMP_TCP_RETRANS_SEGS], 5, "the pair after an orphan header parses");
	ok(!c.present[SNMP_UDP_RCVBUF_ERRORS], "orphan header gives no values");
	free(buf);

	memset(&c, 0, sizeof(c));
	buf = slurp("garbage/snmp_overflow");
	is_int(snmp_parse(buf, &c), -EINVAL, "a 23-digit value is rejected");
	free(buf);

	memset(&c, 0, sizeof(c));
	is_int(snmp_parse("", &c), -ENODATA, "empty snmp: no data");

	memset(&c, 0, sizeof(c));
	buf = slurp("garbage/snmp6_bad");
	is_int(snmp6_parse(buf, &c), 0, "snmp6 with bad lines: good lines still count");
	is_int(c.val[SNMP_UDP6_RCVBUF_ERRORS], 12, "snmp6: the good line");
	is_int(c.malformed, 2, "snmp6: two malformed lines");
	ok(!c.present[SNMP_UDP6_NO_PORTS], "snmp6: a negative counter is not taken");
	free(buf);
}

static int ct_file(const char *rel, struct ct_stats *s)
{
	char *buf = slurp(rel);
	int err;

	memset(s, 0, sizeof(*s));
	if (!buf)
		return -ENOENT;
	err = conntrack_stat_parse(buf, s);
	free(buf);
	return err;
}

static void test_conntrack(void)
{
	struct ct_stats s;

	is_int(ct_file("linux-3.10/net/stat/nf_conntrack", &s), 0, "3.10 conntrack stats parse");
	is_int(s.cpus, 4, "3.10: 4 rows summed");
	is_int(s.entries, 0x1f2a, "3.10: entries from the first row, not summed");
	is_int(s.val[CT_STAT_INSERT_FAILED], 1, "3.10: insert_failed");
	is_int(s.val[CT_STAT_ICMP_ERROR], 4, "3.10: icmp_error");
	is_int(s.val[CT_STAT_SEARCH_RESTART], 27, "3.10: search_restart");
	is_int(s.val[CT_STAT_INVALID], 0x12 + 9 + 3 + 1, "3.10: invalid");
	ok(!s.present[CT_STAT_CLASH_RESOLVE], "3.10: 'searched', no clashres");

	is_int(ct_file("linux-4.19/net/stat/nf_conntrack", &s), 0, "4.19 conntrack stats parse");
	is_int(s.val[CT_STAT_INSERT_FAILED], 7, "4.19: insert_failed");
	is_int(s.val[CT_STAT_DROP], 63, "4.19: drop");
	is_int(s.val[CT_STAT_EARLY_DROP], 13, "4.19: early_drop");
	is_int(s.val[CT_STAT_SEARCH_RESTART], 1307, "4.19: search_restart");
	is_int(s.entries, 0x3a2f1, "4.19: entries");

	is_int(ct_file("linux-5.15/net/stat/nf_conntrack", &s), 0, "5.15 conntrack stats parse");
	ok(s.present[CT_STAT_CLASH_RESOLVE], "5.15: clashres column");
	is_int(s.val[CT_STAT_CLASH_RESOLVE], 108, "5.15: clashres");
	is_int(s.val[CT_STAT_INSERT_FAILED], 71, "5.15: insert_failed");
	is_int(s.val[CT_STAT_DROP], 1087, "5.15: drop");
	is_int(s.val[CT_STAT_EARLY_DROP], 77, "5.15: early_drop");

	is_int(ct_file("linux-6.18/net/stat/nf_conntrack", &s), 0, "6.18 (recorded) parses");
	is_int(s.cpus, 2, "6.18: 2 rows");
	is_int(s.val[CT_STAT_DROP], 0, "6.18: no drops");

	is_int(ct_file("garbage/conntrack_no_rows", &s), -EINVAL, "header without rows rejected");
	is_int(ct_file("garbage/conntrack_ragged", &s), -EINVAL, "ragged row rejected");
	is_int(ct_file("garbage/conntrack_numbers_header", &s), -EINVAL,
	       "numbers where the header belongs rejected");
	is_int(conntrack_stat_parse("", &s), -ENODATA, "empty conntrack stats: no data");
}

static void test_sysctl(void)
{
	int64_t v[3] = {0};

	is_int(sysctl_parse_values("4096\t131072\t6291456\n", v, 3), 3, "tcp_rmem: 3 values");
	is_int(v[2], 6291456, "tcp_rmem: max");
	is_int(sysctl_parse_values("1000\n", v, 3), 1, "one value");
	is_int(v[0], 1000, "the value");
	is_int(sysctl_parse_values("-1\n", v, 1), 1, "negative value");
	is_int(v[0], -1, "negative value read");
	is_int(sysctl_parse_values("", v, 3), -ENODATA, "empty value");
	is_int(sysctl_parse_values("not a number\n", v, 3), -EINVAL, "text rejected");
	is_int(sysctl_parse_values("1 2\n3\n", v, 3), -EINVAL, "two lines rejected");
	is_int(sysctl_parse_values("99999999999999999999\n", v, 3), -EINVAL, "overflow rejected");
	is_int(sysctl_parse_values("1 2 3 4\n", v, 3), 3, "extra values capped at max");
}

static void classify(const char *name, enum ethstat_kind kind, int queue)
{
	struct ethstat_class c;

	ethstat_classify(name, &c);
	if (!ok(c.kind == kind && c.queue == queue, "ethtool stat '%s' is %s, queue %d", name,
		ethstat_kind_name(kind), queue))
		printf("#   got %s, queue %d\n", ethstat_kind_name(c.kind), c.queue);
}

static void test_ethstat(void)
{
	classify("rx_missed_errors", ETHSTAT_RX_DROP, -1);
	classify("rx_no_buffer_count", ETHSTAT_RX_DROP, -1);
	classify("rx_fifo_errors", ETHSTAT_RX_DROP, -1);
	classify("rx_queue_3_drops", ETHSTAT_RX_DROP, 3);
	classify("rx0_drops", ETHSTAT_RX_DROP, 0);
	classify("rx_drops", ETHSTAT_RX_DROP, -1);
	classify("queue_2_rx_drops", ETHSTAT_RX_DROP, 2);
	classify("rx_out_of_buffer", ETHSTAT_RX_DROP, -1);
	classify("rx_discards_phy", ETHSTAT_RX_DROP, -1);
	classify("port.rx_dropped", ETHSTAT_RX_DROP, -1);
	classify("[5]: rx_discards", ETHSTAT_RX_DROP, 5);
	classify("rx_no_dma_resources", ETHSTAT_RX_DROP, -1);
	classify("rx_queue_0_xdp_drops", ETHSTAT_XDP_DROP, 0);
	classify("tx_queue_1_xdp_xmit_errors", ETHSTAT_XDP_DROP, 1);
	classify("rx_crc_errors", ETHSTAT_RX_ERROR, -1);
	classify("rx_oversize_packets", ETHSTAT_RX_ERROR, -1);
	classify("tx_timeout_count", ETHSTAT_TX_DROP, -1);
	classify("tx_dropped", ETHSTAT_TX_DROP, -1);
	classify("rx_packets", ETHSTAT_OTHER, -1);
	classify("rx_kicks", ETHSTAT_OTHER, -1);
	classify("peer_ifindex", ETHSTAT_OTHER, -1);
	classify("rxq12_bytes", ETHSTAT_OTHER, 12);
	classify("rx_queue_70000_drops", ETHSTAT_RX_DROP, -1);
	classify("", ETHSTAT_OTHER, -1);
}

static void test_cpu_mask(void)
{
	char b[64];

	is_int(cpu_mask_hex(1, b, sizeof(b)), 0, "mask of 1 CPU");
	is_str(b, "1", "1 CPU: 1");
	cpu_mask_hex(2, b, sizeof(b));
	is_str(b, "3", "2 CPUs: 3");
	cpu_mask_hex(4, b, sizeof(b));
	is_str(b, "f", "4 CPUs: f");
	cpu_mask_hex(32, b, sizeof(b));
	is_str(b, "ffffffff", "32 CPUs: one group");
	cpu_mask_hex(33, b, sizeof(b));
	is_str(b, "1,ffffffff", "33 CPUs: two groups");
	cpu_mask_hex(64, b, sizeof(b));
	is_str(b, "ffffffff,ffffffff", "64 CPUs");
	is_int(cpu_mask_hex(0, b, sizeof(b)), -EINVAL, "0 CPUs rejected");
	is_int(cpu_mask_hex(64, b, 8), -ENOSPC, "too small a buffer");
	ok(cpu_mask_nonzero("00000000,00000003\n"), "nonzero mask");
	ok(!cpu_mask_nonzero("0\n"), "zero mask");
	ok(!cpu_mask_nonzero("00000000,00000000"), "zero mask in groups");
	ok(!cpu_mask_nonzero(""), "empty mask");
	ok(!cpu_mask_nonzero("zz"), "garbage mask");
}

/* ---- netlink messages built by hand ---- */

struct msgbuf {
	char b[4096] __attribute__((aligned(8)));
	size_t len;
};

static struct rtattr *put_attr(struct msgbuf *m, unsigned short type, const void *data, size_t n)
{
	struct rtattr *rta = (struct rtattr *)(m->b + m->len);

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(n);
	if (n)
		memcpy(RTA_DATA(rta), data, n);
	m->len += RTA_ALIGN(rta->rta_len);
	return rta;
}

static void finish(struct msgbuf *m)
{
	((struct nlmsghdr *)m->b)->nlmsg_len = m->len;
}

static void build_link(struct msgbuf *m, int nstats, bool name)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->b;
	struct ifinfomsg *ifi;
	uint64_t st[LS__COUNT];
	uint32_t txq = 1000, nrx = 4;
	uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
	struct rtattr *li;
	size_t start;

	memset(m, 0, sizeof(*m));
	nh->nlmsg_type = RTM_NEWLINK;
	m->len = NLMSG_HDRLEN;
	ifi = (struct ifinfomsg *)(m->b + m->len);
	ifi->ifi_index = 7;
	ifi->ifi_flags = 1; /* IFF_UP */
	m->len += NLMSG_ALIGN(sizeof(*ifi));
	if (name)
		put_attr(m, IFLA_IFNAME, "eth9", 5);
	put_attr(m, IFLA_TXQLEN, &txq, 4);
	put_attr(m, IFLA_NUM_RX_QUEUES, &nrx, 4);
	put_attr(m, IFLA_ADDRESS, mac, 6);
	put_attr(m, IFLA_QDISC, "mq", 3);
	for (int i = 0; i < LS__COUNT; i++)
		st[i] = 1000 + i;
	put_attr(m, IFLA_STATS64, st, nstats * sizeof(uint64_t));
	start = m->len;
	li = put_attr(m, IFLA_LINKINFO, NULL, 0);
	put_attr(m, IFLA_INFO_KIND, "veth", 5);
	li->rta_len = m->len - start;
	finish(m);
}

static void test_link_msg(void)
{
	struct msgbuf m;
	struct link_info li;

	build_link(&m, LS__COUNT, true);
	is_int(link_msg_parse(m.b, m.len, &li), 0, "RTM_NEWLINK parses");
	is_str(li.name, "eth9", "link name");
	is_int(li.ifindex, 7, "link index");
	is_str(li.kind, "veth", "nested IFLA_INFO_KIND");
	is_str(li.qdisc, "mq", "qdisc name");
	is_int(li.txqlen, 1000, "txqlen");
	is_int(li.num_rx_queues, 4, "rx queues");
	is_int(li.addr_len, 6, "MAC length");
	is_int(li.n_stats, LS__COUNT, "all stats64 fields");
	is_int(li.stats[LS_RX_MISSED_ERRORS], 1000 + LS_RX_MISSED_ERRORS, "rx_missed_errors");
	is_int(li.stats[LS_RX_OTHERHOST_DROPPED], 1000 + LS_RX_OTHERHOST_DROPPED,
	       "rx_otherhost_dropped");

	build_link(&m, 23, true);
	is_int(link_msg_parse(m.b, m.len, &li), 0, "older kernel's shorter stats64 parses");
	is_int(li.n_stats, 23, "23 fields (before rx_nohandler)");
	is_int(li.stats[LS_RX_NOHANDLER], 0, "missing field stays 0");

	build_link(&m, LS__COUNT, false);
	is_int(link_msg_parse(m.b, m.len, &li), -EINVAL, "a link without a name is rejected");

	build_link(&m, LS__COUNT, true);
	is_int(link_msg_parse(m.b, m.len - 8, &li), -EINVAL, "message longer than the buffer");
	is_int(link_msg_parse(m.b, 10, &li), -EINVAL, "truncated header");
	((struct nlmsghdr *)m.b)->nlmsg_type = RTM_NEWADDR;
	is_int(link_msg_parse(m.b, m.len, &li), -EINVAL, "wrong message type");

	/* An attribute claiming more than the message holds stops the walk, nothing more. */
	build_link(&m, LS__COUNT, true);
	{
		struct rtattr *first = (struct rtattr *)(m.b + NLMSG_HDRLEN +
							 NLMSG_ALIGN(sizeof(struct ifinfomsg)));

		first = (struct rtattr *)((char *)first + RTA_ALIGN(first->rta_len));
		first->rta_len = 60000;
	}
	is_int(link_msg_parse(m.b, m.len, &li), 0, "oversized attribute: walk stops safely");
	is_str(li.name, "eth9", "attributes before it kept");
	is_int(li.n_stats, 0, "attributes after it ignored");
}

static void test_qdisc_msg(void)
{
	struct msgbuf m;
	struct nlmsghdr *nh = (struct nlmsghdr *)m.b;
	struct tcmsg *tcm;
	struct gnet_stats_basic gb = {.bytes = 123456, .packets = 118};
	struct gnet_stats_queue gq = {
		.qlen = 1, .backlog = 1028, .drops = 998, .requeues = 2, .overlimits = 1111};
	struct tc_stats ts = {.bytes = 10, .packets = 5, .drops = 3, .overlimits = 4};
	struct qdisc_info q;
	struct rtattr *s2;
	size_t start;

	memset(&m, 0, sizeof(m));
	nh->nlmsg_type = RTM_NEWQDISC;
	m.len = NLMSG_HDRLEN;
	tcm = (struct tcmsg *)(m.b + m.len);
	tcm->tcm_ifindex = 3;
	tcm->tcm_handle = 0x80010000;
	tcm->tcm_parent = TC_H_ROOT;
	m.len += NLMSG_ALIGN(sizeof(*tcm));
	put_attr(&m, TCA_KIND, "tbf", 4);
	start = m.len;
	s2 = put_attr(&m, TCA_STATS2, NULL, 0);
	put_attr(&m, TCA_STATS_BASIC, &gb, sizeof(gb));
	put_attr(&m, TCA_STATS_QUEUE, &gq, sizeof(gq));
	s2->rta_len = m.len - start;
	put_attr(&m, TCA_STATS, &ts, sizeof(ts));
	finish(&m);
	is_int(qdisc_msg_parse(m.b, m.len, &q), 0, "RTM_NEWQDISC parses");
	is_str(q.kind, "tbf", "qdisc kind");
	ok(q.has_stats, "has stats");
	is_int(q.drops, 998, "TCA_STATS2 drops win over the old TCA_STATS");
	is_int(q.packets, 118, "packets");
	is_int(q.overlimits, 1111, "overlimits");
	is_int(q.parent, TC_H_ROOT, "root parent");
	is_int(q.ifindex, 3, "ifindex");

	/* Only the old struct tc_stats. */
	memset(&m, 0, sizeof(m));
	nh->nlmsg_type = RTM_NEWQDISC;
	m.len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*tcm));
	put_attr(&m, TCA_KIND, "pfifo_fast", 11);
	put_attr(&m, TCA_STATS, &ts, sizeof(ts));
	finish(&m);
	is_int(qdisc_msg_parse(m.b, m.len, &q), 0, "old TCA_STATS only parses");
	is_int(q.drops, 3, "old drops");

	/* A truncated TCA_STATS_QUEUE is ignored, not read past. */
	memset(&m, 0, sizeof(m));
	nh->nlmsg_type = RTM_NEWQDISC;
	m.len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*tcm));
	put_attr(&m, TCA_KIND, "fq", 3);
	start = m.len;
	s2 = put_attr(&m, TCA_STATS2, NULL, 0);
	put_attr(&m, TCA_STATS_QUEUE, &gq, 8);
	s2->rta_len = m.len - start;
	finish(&m);
	is_int(qdisc_msg_parse(m.b, m.len, &q), 0, "short queue stats parse");
	ok(!q.has_stats && q.drops == 0, "short queue stats ignored");

	memset(&m, 0, sizeof(m));
	nh->nlmsg_type = RTM_NEWQDISC;
	m.len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*tcm));
	finish(&m);
	is_int(qdisc_msg_parse(m.b, m.len, &q), -EINVAL, "a qdisc without a kind is rejected");
}

static void build_diag(struct msgbuf *m, int family, const char *addr, uint16_t port, int nmem)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->b;
	struct inet_diag_msg *d;
	uint32_t mem[SK_MEMINFO_VARS] = {0};

	memset(m, 0, sizeof(*m));
	nh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->len = NLMSG_HDRLEN;
	d = (struct inet_diag_msg *)(m->b + m->len);
	d->idiag_family = family;
	d->idiag_state = 10;
	d->id.idiag_sport = htons(port);
	inet_pton(family, addr, d->id.idiag_src);
	d->idiag_inode = 77;
	d->idiag_rqueue = 3;
	d->idiag_wqueue = 2;
	m->len += NLMSG_ALIGN(sizeof(*d));
	mem[SK_MEMINFO_RMEM_ALLOC] = 2304;
	mem[SK_MEMINFO_RCVBUF] = 4608;
	mem[SK_MEMINFO_DROPS] = 12;
	if (nmem)
		put_attr(m, INET_DIAG_SKMEMINFO, mem, nmem * sizeof(uint32_t));
	finish(m);
}

static void test_diag_msg(void)
{
	struct msgbuf m;
	struct sock_info s;

	build_diag(&m, AF_INET, "10.0.0.1", 9000, SK_MEMINFO_VARS);
	is_int(inet_diag_msg_parse(m.b, m.len, 17, &s), 0, "inet_diag message parses");
	is_str(s.local, "10.0.0.1:9000", "IPv4 local address");
	is_int(s.inode, 77, "inode");
	is_int(s.rqueue, 3, "rqueue");
	is_int(s.wqueue, 2, "wqueue");
	ok(s.has_meminfo, "meminfo");
	is_int(s.drops, 12, "socket drops");
	is_int(s.rcvbuf, 4608, "rcvbuf");

	build_diag(&m, AF_INET6, "fd00::1", 53, SK_MEMINFO_VARS);
	is_int(inet_diag_msg_parse(m.b, m.len, 17, &s), 0, "IPv6 message parses");
	is_str(s.local, "[fd00::1]:53", "IPv6 local address in brackets");

	build_diag(&m, AF_INET, "10.0.0.1", 9000, 1);
	is_int(inet_diag_msg_parse(m.b, m.len, 17, &s), 0, "short meminfo parses");
	ok(!s.has_meminfo, "one meminfo field is not enough");

	build_diag(&m, AF_INET, "10.0.0.1", 9000, 4);
	inet_diag_msg_parse(m.b, m.len, 17, &s);
	ok(s.has_meminfo && s.drops == 0, "meminfo of an old kernel: no drops field");

	build_diag(&m, AF_INET, "10.0.0.1", 9000, 0);
	((struct inet_diag_msg *)(m.b + NLMSG_HDRLEN))->idiag_family = AF_UNIX;
	is_int(inet_diag_msg_parse(m.b, m.len, 17, &s), -EINVAL, "non-inet family rejected");
	is_int(inet_diag_msg_parse(m.b, 20, 17, &s), -EINVAL, "truncated message rejected");
}

int main(void)
{
	FIXTURES_OR_BAIL();
	test_softnet();
	test_snmp();
	test_conntrack();
	test_sysctl();
	test_ethstat();
	test_cpu_mask();
	test_link_msg();
	test_qdisc_msg();
	test_diag_msg();
	return done_testing();
}
