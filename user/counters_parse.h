/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure parsers for the host counters: /proc/net/softnet_stat, /proc/net/snmp, /proc/net/netstat,
 * /proc/net/snmp6, /proc/net/stat/nf_conntrack, sysctl values, ethtool statistic names, and the
 * netlink messages of RTM_GETLINK, RTM_GETQDISC and sock_diag. No I/O here: every function takes
 * the bytes the kernel gave and treats them as untrusted (bounded, checked, never trusted to be
 * NUL-terminated beyond the length given where a length is given).
 */
#ifndef DS_COUNTERS_PARSE_H
#define DS_COUNTERS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- /proc/net/softnet_stat ---- */

/*
 * One row per online CPU, hex columns. The layout grew over time, so columns are taken by
 * position and whatever a kernel does not print stays 0:
 *   1 processed, 2 dropped (backlog full), 3 time_squeeze, 4-8 zero, 9 cpu_collision (zero
 *   since 4.x), 10 received_rps (2.6.35), 11 flow_limit_count (3.11), 12 backlog length (5.10,
 *   a gauge), 13 CPU id (5.10), 14 input_pkt_queue length and 15 process_queue length (6.4).
 * Older kernels skip offline CPUs without naming the row, so before 5.10 the row number is not
 * necessarily the CPU id: cpu_known says which one `cpu` is.
 */
struct softnet_cpu {
	int cpu;
	uint64_t processed;
	uint64_t dropped;
	uint64_t time_squeeze;
	uint64_t received_rps;
	uint64_t flow_limit_count;
	uint64_t backlog_len; /* gauge: packets waiting at the time of reading */
};

struct softnet_stat {
	int columns;	/* columns per row: 9, 10, 11, 13, 15, or more on future kernels */
	bool cpu_known; /* rows carry the CPU id (13 columns or more) */
	size_t n;
	struct softnet_cpu *cpus; /* n rows, malloc'd; free with softnet_free */
};

/* Parse the whole file. 0, -EINVAL (garbage, ragged rows, fewer than 3 columns), -ENODATA (empty
 * file), -ENOMEM. On error *out is empty. */
int softnet_parse(const char *buf, struct softnet_stat *out);
void softnet_free(struct softnet_stat *s);

/* ---- /proc/net/snmp, /proc/net/netstat, /proc/net/snmp6 ---- */

/*
 * The counters dropscope reads. Names are the kernel's: "Section.Name" for snmp and netstat
 * (pairs of "Section: names" / "Section: values" lines), the flat name for snmp6.
 */
enum snmp_counter {
	SNMP_IP_IN_RECEIVES,
	SNMP_IP_IN_HDR_ERRORS,
	SNMP_IP_IN_ADDR_ERRORS,
	SNMP_IP_FORW_DATAGRAMS,
	SNMP_IP_IN_DISCARDS,
	SNMP_IP_IN_DELIVERS,
	SNMP_IP_OUT_REQUESTS,
	SNMP_IP_OUT_DISCARDS,
	SNMP_IP_OUT_NO_ROUTES,
	SNMP_IP_REASM_FAILS,
	SNMP_IP_FRAG_FAILS,
	SNMP_IPEXT_IN_NO_ROUTES,
	SNMP_IPEXT_IN_TRUNCATED,
	SNMP_IPEXT_IN_CSUM_ERRORS,
	SNMP_ICMP_IN_ERRORS,
	SNMP_ICMP_IN_CSUM_ERRORS,
	SNMP_ICMP_OUT_RATELIMIT_GLOBAL,
	SNMP_ICMP_OUT_RATELIMIT_HOST,
	SNMP_TCP_ACTIVE_OPENS,
	SNMP_TCP_PASSIVE_OPENS,
	SNMP_TCP_ATTEMPT_FAILS,
	SNMP_TCP_ESTAB_RESETS,
	SNMP_TCP_IN_SEGS,
	SNMP_TCP_OUT_SEGS,
	SNMP_TCP_RETRANS_SEGS,
	SNMP_TCP_IN_ERRS,
	SNMP_TCP_OUT_RSTS,
	SNMP_TCP_IN_CSUM_ERRORS,
	SNMP_UDP_IN_DATAGRAMS,
	SNMP_UDP_NO_PORTS,
	SNMP_UDP_IN_ERRORS,
	SNMP_UDP_OUT_DATAGRAMS,
	SNMP_UDP_RCVBUF_ERRORS,
	SNMP_UDP_SNDBUF_ERRORS,
	SNMP_UDP_IN_CSUM_ERRORS,
	SNMP_UDP_MEM_ERRORS,
	SNMP_TCPEXT_PRUNE_CALLED,
	SNMP_TCPEXT_RCV_PRUNED,
	SNMP_TCPEXT_OFO_PRUNED,
	SNMP_TCPEXT_LISTEN_OVERFLOWS,
	SNMP_TCPEXT_LISTEN_DROPS,
	SNMP_TCPEXT_TCP_TIMEOUTS,
	SNMP_TCPEXT_TCP_LOSS_PROBES,
	SNMP_TCPEXT_TCP_FAST_RETRANS,
	SNMP_TCPEXT_TCP_SYN_RETRANS,
	SNMP_TCPEXT_TCP_ABORT_ON_MEMORY,
	SNMP_TCPEXT_TCP_MEMORY_PRESSURES,
	SNMP_TCPEXT_TCP_BACKLOG_DROP,
	SNMP_TCPEXT_PFMEMALLOC_DROP,
	SNMP_TCPEXT_TCP_MINTTL_DROP,
	SNMP_TCPEXT_TCP_REQQ_FULL_DO_COOKIES,
	SNMP_TCPEXT_TCP_REQQ_FULL_DROP,
	SNMP_TCPEXT_SYNCOOKIES_SENT,
	SNMP_TCPEXT_TCP_OFO_DROP,
	SNMP_TCPEXT_TCP_ZERO_WINDOW_DROP,
	SNMP_TCPEXT_TCP_RCVQ_DROP,
	SNMP_IP6_IN_RECEIVES,
	SNMP_IP6_IN_HDR_ERRORS,
	SNMP_IP6_IN_ADDR_ERRORS,
	SNMP_IP6_IN_NO_ROUTES,
	SNMP_IP6_IN_TRUNCATED,
	SNMP_IP6_IN_DISCARDS,
	SNMP_IP6_OUT_DISCARDS,
	SNMP_IP6_OUT_NO_ROUTES,
	SNMP_IP6_REASM_FAILS,
	SNMP_ICMP6_IN_ERRORS,
	SNMP_ICMP6_IN_CSUM_ERRORS,
	SNMP_ICMP6_OUT_RATELIMIT_HOST,
	SNMP_UDP6_IN_DATAGRAMS,
	SNMP_UDP6_NO_PORTS,
	SNMP_UDP6_IN_ERRORS,
	SNMP_UDP6_OUT_DATAGRAMS,
	SNMP_UDP6_RCVBUF_ERRORS,
	SNMP_UDP6_SNDBUF_ERRORS,
	SNMP_UDP6_IN_CSUM_ERRORS,
	SNMP_UDP6_MEM_ERRORS,
	SNMP__COUNT
};

/* Which file a counter comes from. */
enum snmp_file { SNMP_FILE_SNMP, SNMP_FILE_NETSTAT, SNMP_FILE_SNMP6 };

struct snmp_counters {
	uint64_t val[SNMP__COUNT];
	bool present[SNMP__COUNT]; /* the running kernel prints it */
	int malformed;		   /* sections or lines skipped as malformed */
};

/* "Tcp.RetransSegs", "TcpExt.ListenOverflows", "Udp6RcvbufErrors"; NULL when out of range. */
const char *snmp_counter_name(enum snmp_counter c);
enum snmp_file snmp_counter_file(enum snmp_counter c);

/*
 * Parse /proc/net/snmp or /proc/net/netstat (same format) into *out, which the caller zeroes
 * once and may fill from several files. A section whose header and value lines do not match is
 * skipped and counted in out->malformed. Returns 0 when at least one section parsed, -ENODATA for
 * an empty file, -EINVAL when nothing in it parses.
 */
int snmp_parse(const char *buf, struct snmp_counters *out);
/* /proc/net/snmp6: "Name value" lines. Same return values. */
int snmp6_parse(const char *buf, struct snmp_counters *out);

/* ---- /proc/net/stat/nf_conntrack ---- */

/* The columns are named by the header line, which changed between kernels ("searched" became
 * "clashres", "delete_list" became "chainlength"); the ones dropscope needs are found by name. */
enum ct_stat {
	CT_STAT_INVALID,
	CT_STAT_INSERT_FAILED,
	CT_STAT_DROP,
	CT_STAT_EARLY_DROP,
	CT_STAT_SEARCH_RESTART,
	CT_STAT_CLASH_RESOLVE,
	CT_STAT_ICMP_ERROR,
	CT_STAT__COUNT
};

struct ct_stats {
	uint64_t val[CT_STAT__COUNT]; /* summed over the per-CPU rows */
	bool present[CT_STAT__COUNT];
	uint64_t entries; /* the "entries" column (the table's count), from the first row */
	bool have_entries;
	int cpus; /* rows summed */
};

/* The kernel's column name for s ("insert_failed"...). */
const char *ct_stat_name(enum ct_stat s);
/* 0, -ENODATA (empty), -EINVAL (no header, ragged or non-hex rows). */
int conntrack_stat_parse(const char *buf, struct ct_stats *out);

/* ---- sysctl values ---- */

/* Whitespace-separated decimal integers ("4096\t131072\t6291456\n"); returns how many (at most
 * max) or -EINVAL for anything else, -ENODATA for an empty value. */
int sysctl_parse_values(const char *buf, int64_t *vals, int max);

/* ---- ethtool -S names ---- */

/*
 * Driver statistics have no standard names. This sorts a name into what matters for loss:
 *   ETHSTAT_RX_DROP   the NIC or driver dropped received packets for lack of buffers/ring space
 *                     (rx_missed_errors, rx_no_buffer_count, rx_fifo_errors, rx_queue_0_drops,
 *                     rx_out_of_buffer, rx_discards, rx0_drops ...)
 *   ETHSTAT_RX_ERROR  damaged frames (crc, frame, length, symbol, jabber ...)
 *   ETHSTAT_TX_DROP   transmit drops, errors and timeouts
 *   ETHSTAT_XDP_DROP  an XDP program's verdicts and XDP ring drops (by design, not the NIC)
 *   ETHSTAT_OTHER     everything else
 * and finds the queue number in per-queue names (rx_queue_3_drops, rx3_dropped, queue_3_rx_drops,
 * rxq3_..., [3]: rx_discards), or -1.
 */
enum ethstat_kind {
	ETHSTAT_OTHER,
	ETHSTAT_RX_DROP,
	ETHSTAT_RX_ERROR,
	ETHSTAT_TX_DROP,
	ETHSTAT_XDP_DROP
};

struct ethstat_class {
	enum ethstat_kind kind;
	int queue;
};

void ethstat_classify(const char *name, struct ethstat_class *out);
const char *ethstat_kind_name(enum ethstat_kind k);

/* ---- netlink messages ---- */

/* struct rtnl_link_stats64, field by field: the kernel only ever appends, so a short attribute
 * from an older kernel fills a prefix. */
enum link_stat {
	LS_RX_PACKETS,
	LS_TX_PACKETS,
	LS_RX_BYTES,
	LS_TX_BYTES,
	LS_RX_ERRORS,
	LS_TX_ERRORS,
	LS_RX_DROPPED,
	LS_TX_DROPPED,
	LS_MULTICAST,
	LS_COLLISIONS,
	LS_RX_LENGTH_ERRORS,
	LS_RX_OVER_ERRORS,
	LS_RX_CRC_ERRORS,
	LS_RX_FRAME_ERRORS,
	LS_RX_FIFO_ERRORS,
	LS_RX_MISSED_ERRORS,
	LS_TX_ABORTED_ERRORS,
	LS_TX_CARRIER_ERRORS,
	LS_TX_FIFO_ERRORS,
	LS_TX_HEARTBEAT_ERRORS,
	LS_TX_WINDOW_ERRORS,
	LS_RX_COMPRESSED,
	LS_TX_COMPRESSED,
	LS_RX_NOHANDLER,
	LS_RX_OTHERHOST_DROPPED,
	LS__COUNT
};

/* "rx_dropped"... as in rtnl_link_stats64 and `ip -s -s link`. */
const char *link_stat_name(enum link_stat s);

#define DS_IFNAMSIZ 16

struct link_info {
	int ifindex;
	char name[DS_IFNAMSIZ];
	char kind[24];	/* IFLA_INFO_KIND: veth, bridge, vlan ...; "" for a physical NIC */
	char qdisc[24]; /* IFLA_QDISC */
	uint8_t addr[32];
	int addr_len;
	uint32_t mtu, txqlen, num_rx_queues, num_tx_queues;
	uint32_t flags; /* IFF_* */
	uint8_t operstate;
	int link;   /* IFLA_LINK: the peer or lower device, 0 if none */
	int master; /* IFLA_MASTER */
	uint64_t stats[LS__COUNT];
	int n_stats; /* fields the kernel gave (IFLA_STATS64 length / 8); 0 if no stats */
};

/* One RTM_NEWLINK message (nlmsghdr included), len bytes. 0, or -EINVAL if malformed or not
 * RTM_NEWLINK. */
int link_msg_parse(const void *msg, size_t len, struct link_info *out);

struct qdisc_info {
	int ifindex;
	uint32_t handle, parent;
	char kind[24];
	bool has_stats;
	uint64_t bytes, packets;
	uint32_t qlen, backlog, drops, requeues, overlimits;
};

/* One RTM_NEWQDISC message; stats from TCA_STATS2 (or the old TCA_STATS). 0 or -EINVAL. */
int qdisc_msg_parse(const void *msg, size_t len, struct qdisc_info *out);

struct sock_info {
	uint8_t family, protocol, state;
	char local[64]; /* "0.0.0.0:53", "[::]:8080" */
	uint16_t port;
	uint32_t inode;
	uint32_t rqueue, wqueue; /* for a listener: accept queue length and its limit (backlog) */
	bool has_meminfo;
	uint32_t rmem_alloc, rcvbuf, sndbuf, drops;
};

/* One SOCK_DIAG_BY_FAMILY answer (inet_diag_msg + attributes). protocol is what was asked for
 * (the message does not say). 0 or -EINVAL. */
int inet_diag_msg_parse(const void *msg, size_t len, uint8_t protocol, struct sock_info *out);

/* ---- small helpers shared by the fix texts ---- */

/* The hex CPU mask sysfs takes in rps_cpus/xps_cpus for CPUs 0..ncpus-1, comma-separated in
 * 32-bit groups as the kernel prints it ("3", "ffffffff,ffffffff"). -ENOSPC if it does not fit. */
int cpu_mask_hex(int ncpus, char *buf, size_t size);

/* Whether a sysfs CPU mask ("00000000,00000003") has any bit set; false for garbage. */
bool cpu_mask_nonzero(const char *mask);

#endif
