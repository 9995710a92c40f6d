/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host counters: one snapshot of everything the host counts about loss, in one network
 * namespace. The deltas between two snapshots are in counters_delta.h.
 *
 * What a snapshot holds, and where it comes from:
 *   softnet     /proc/net/softnet_stat (per CPU; global, the same in every namespace)
 *   snmp        /proc/net/snmp, /proc/net/netstat, /proc/net/snmp6 (per namespace)
 *   conntrack   /proc/sys/net/netfilter/nf_conntrack_{count,max,buckets},
 *               /proc/net/stat/nf_conntrack (per namespace; absent when conntrack is not loaded)
 *   sysctls     /proc/sys/net/... (read in the namespace; the ones a namespace does not show,
 *               such as net.core.netdev_max_backlog, are global and read in the caller's own)
 *   interfaces  rtnetlink RTM_GETLINK (IFLA_STATS64 ...), ethtool ioctls (driver statistics,
 *               rings, channels, driver name) on sockets made inside the namespace, and
 *               /sys/class/net/IF/queues (RPS/XPS): sysfs shows the namespace of whoever mounted
 *               it, so for another namespace a private mount namespace with sysfs mounted afresh
 *               is used (in a short-lived thread); when that fails they are reported unavailable
 *   qdiscs      rtnetlink RTM_GETQDISC, TCA_STATS2 (the `tc -s qdisc` numbers)
 *   sockets     sock_diag: UDP sockets that have dropped (SK_MEMINFO_DROPS) and TCP listeners
 *               with a non-empty accept queue (length and backlog)
 *
 * /proc is read through /proc/thread-self so that it follows the reading thread's namespace.
 * Testing aid: when the environment variable DROPSCOPE_PROC_ROOT is set, the /proc files above
 * are read under that directory instead ($ROOT/net/snmp, $ROOT/sys/net/core/somaxconn ...);
 * netlink, ethtool and sysfs are still read live. The tests point it at recorded fixtures.
 *
 * A snapshot never fails as a whole because one source failed: every source keeps its own error
 * (0, or a negative errno) and the `errors` list names, in words, what could not be read.
 */
#ifndef DS_HOSTCOUNTERS_H
#define DS_HOSTCOUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "counters_parse.h"
#include "netns.h"

/* The sysctls read with every snapshot. */
enum hc_sysctl {
	SYSCTL_NETDEV_MAX_BACKLOG,
	SYSCTL_NETDEV_BUDGET,
	SYSCTL_NETDEV_BUDGET_USECS,
	SYSCTL_RMEM_MAX,
	SYSCTL_WMEM_MAX,
	SYSCTL_RMEM_DEFAULT,
	SYSCTL_WMEM_DEFAULT,
	SYSCTL_SOMAXCONN,
	SYSCTL_RPS_SOCK_FLOW_ENTRIES,
	SYSCTL_FLOW_LIMIT_TABLE_LEN,
	SYSCTL_TCP_RMEM,
	SYSCTL_TCP_WMEM,
	SYSCTL_TCP_MEM,
	SYSCTL_UDP_MEM,
	SYSCTL_TCP_MAX_SYN_BACKLOG,
	SYSCTL_IPFRAG_HIGH_THRESH,
	SYSCTL_NF_CONNTRACK_MAX,
	SYSCTL_NF_CONNTRACK_BUCKETS,
	SYSCTL__COUNT
};

/* "net.core.netdev_max_backlog" ... */
const char *hc_sysctl_name(enum hc_sysctl s);

struct hc_sysctl_val {
	int err; /* 0, or -errno: -ENOENT when this kernel has no such knob */
	int n;	 /* values (tcp_rmem has 3) */
	int64_t v[3];
	bool from_host; /* global knob the namespace does not show: read in the caller's namespace
			 */
};

/* One driver statistic (ethtool -S). */
struct hc_dstat {
	char name[32];
	uint64_t value;
};

/* RPS/XPS of one queue, from /sys/class/net/IF/queues/{rx,tx}-N. */
struct hc_queue {
	char *cpus; /* rps_cpus or xps_cpus as the kernel prints it; NULL if unreadable */
	uint32_t rps_flow_cnt; /* rx queues only */
};

struct hc_iface {
	struct link_info link; /* netlink: name, index, stats64, queue counts, qdisc, MAC */

	char driver[32]; /* ETHTOOL_GDRVINFO; "" if the device has no ethtool support */

	int dstats_err; /* 0, or -errno (-EOPNOTSUPP: the driver has no statistics) */
	size_t n_dstats;
	struct hc_dstat *dstats;

	int ring_err; /* ETHTOOL_GRINGPARAM */
	uint32_t rx_ring, rx_ring_max, tx_ring, tx_ring_max;

	int chan_err; /* ETHTOOL_GCHANNELS */
	uint32_t rx_ch, tx_ch, combined_ch, rx_ch_max, tx_ch_max, combined_ch_max;

	int queues_err; /* sysfs queues: -EXDEV when sysfs could not be shown for the namespace */
	size_t n_rxq, n_txq;
	struct hc_queue *rxq, *txq;
};

struct hc_error {
	char source[96]; /* "/proc/net/snmp", "ethtool eth0", "rtnetlink links" ... */
	int err;	 /* negative errno */
	char what[128];	 /* what the report lacks because of it */
};

#define HC_MAX_ERRORS 32
/* Sockets kept per snapshot (the UDP sockets with most drops, the fullest listeners). */
#define HC_MAX_SOCKS 256

struct host_counters {
	double t; /* CLOCK_MONOTONIC seconds, when the snapshot was taken */
	char netns[256];
	bool netns_self; /* the caller's own namespace */
	bool entered;	 /* read by entering the namespace or mounting sysfs (CAP_SYS_ADMIN) */
	int ncpus;	 /* online CPUs */

	int softnet_err;
	struct softnet_stat softnet;

	int snmp_err, netstat_err, snmp6_err;
	struct snmp_counters snmp;

	/* conntrack: in_use is false when the kernel has no conntrack (module not loaded) */
	bool ct_in_use;
	int ct_err;
	uint64_t ct_count, ct_max;
	int ct_stat_err;
	struct ct_stats ct;

	struct hc_sysctl_val sysctl[SYSCTL__COUNT];

	int links_err;
	size_t n_ifaces;
	struct hc_iface *ifaces;

	int qdisc_err;
	size_t n_qdiscs;
	struct qdisc_info *qdiscs;

	int sock_err;
	size_t n_udp; /* UDP sockets whose drop counter is non-zero (the others cannot explain
		       * loss), most drops first */
	struct sock_info *udp;
	/* udp does not hold every socket that ever dropped (more than HC_MAX_SOCKS, or the dump
	 * failed): a socket absent from it may have had drops. */
	bool udp_truncated;
	size_t n_listen; /* TCP listeners with a non-empty accept queue */
	struct sock_info *listen;

	size_t n_errors;
	size_t n_errors_dropped; /* errors beyond HC_MAX_ERRORS */
	struct hc_error errors[HC_MAX_ERRORS];
};

/*
 * Take one snapshot in namespace ns (NULL or "self" for the caller's own; "all" is refused with
 * -EINVAL). The calling thread never changes namespace: for another namespace the work runs in a
 * short-lived thread. Returns 0 with *out allocated (free with host_counters_free) even when some
 * sources failed (see errors); -ENOMEM, -EINVAL, or the errno of entering the namespace
 * otherwise.
 */
int host_counters_read(const struct netns_ref *ns, struct host_counters **out);
void host_counters_free(struct host_counters *hc);
/* A deep copy; NULL and errno on failure. */
struct host_counters *host_counters_dup(const struct host_counters *hc);

/* The interface named ifname, or NULL. */
const struct hc_iface *host_counters_iface(const struct host_counters *hc, const char *ifname);
/* The busiest interface by packets received, loopback left out; NULL if there is none. */
const struct hc_iface *host_counters_busiest(const struct host_counters *now);
/* Whether RPS is on for every receive queue of ifc. */
bool hc_iface_rps_on(const struct hc_iface *ifc);
/* Whether any source failed for a reason other than "not there on this host" (a file that
 * cannot be read, a netlink dump that failed ...): callers exit 1 after printing the report. */
bool host_counters_failed(const struct host_counters *hc);
/* One line per error on f ("dropscope: failed to read /proc/net/snmp: ...; ..."). */
void host_counters_print_errors(const struct host_counters *hc, FILE *f);
/* Record that source failed with err (negative errno) and what the report lacks because of it;
 * beyond HC_MAX_ERRORS errors are only counted. */
void host_counters_add_error(struct host_counters *hc, const char *source, int err,
			     const char *what);
/* Approximate bytes a snapshot holds (for the benchmark). */
size_t host_counters_size(const struct host_counters *hc);

#endif
