/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deltas between two host counter snapshots (counters_host.h): what moved over a window, and the
 * window's raw deltas as JSON and text. Pure logic, unit-tested on snapshots built by hand.
 */
#ifndef DS_HOSTDELTA_H
#define DS_HOSTDELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "counters_host.h"
#include "json.h"

/*
 * How counters are subtracted. Each counter on its own: one that went backwards taints nothing
 * else.
 *   - A counter the kernel keeps in 32 bits (softnet, qdisc packets and drops, socket drops,
 *     conntrack statistics) is taken modulo 2^32: a wrap is the normal course of things. A step
 *     of 2^31 or more cannot be told from going backwards, so it counts as going backwards; the
 *     counters command snapshots at least every 10 s to stay well below that.
 *   - A counter the kernel passes in 64 bits (interface statistics, driver statistics, /proc
 *     counters) may still be 32 bits underneath (a driver's hardware counter, a 32-bit kernel):
 *     going from the upper half of the 32-bit range to the lower half is a wrap and unwrapped.
 *   - Anything else that went backwards (a device or driver reset, a qdisc replaced under the
 *     same handle) is unknown: it adds 0, the counter is flagged (stat_reset, snmp_reset) and
 *     named in `backwards`. It never counts its full value as if it were the window's.
 */

struct hd_dstat {
	const char *name; /* points into now's iface */
	uint64_t delta;
	struct ethstat_class cls;
};

struct hd_iface {
	size_t idx;  /* index into now->ifaces */
	bool is_new; /* not in the first snapshot: no deltas (counters may predate the window) */
	bool reset;  /* at least one counter went backwards (see stat_reset) */
	bool stat_reset[LS__COUNT]; /* went backwards: d[] counts only the steps where it did not */
	uint64_t d[LS__COUNT];
	size_t n_dstats; /* driver statistics that moved */
	struct hd_dstat *dstats;
};

struct hd_qdisc {
	size_t idx; /* index into now->qdiscs */
	bool is_new;
	uint64_t d_bytes, d_packets, d_drops, d_requeues, d_overlimits;
};

struct hd_sock {
	struct sock_info sock; /* as last seen (it may be gone from now->udp) */
	/* Not in an earlier snapshot whose socket list was cut short (HC_MAX_SOCKS, a failed
	 * dump): its drops then are unknown, so d_drops leaves out those steps (0 for one step). */
	bool is_new;
	uint64_t d_drops;
};

struct hd_cpu {
	int cpu;
	uint64_t processed, dropped, time_squeeze, received_rps, flow_limit_count;
};

#define HD_MAX_BACKWARDS 16

struct host_delta {
	double interval_s;
	int steps;		   /* snapshot pairs added up: 1, more after host_delta_extend */
	struct host_counters *now; /* owned copy of the later snapshot: current levels and names */

	bool softnet_ok;
	struct hd_cpu softnet_total;
	size_t n_cpus;
	struct hd_cpu *cpus;

	bool snmp_ok[SNMP__COUNT];    /* present in every snapshot */
	bool snmp_reset[SNMP__COUNT]; /* went backwards in some step */
	uint64_t snmp[SNMP__COUNT];

	bool ct_ok;
	uint64_t ct[CT_STAT__COUNT];
	bool ct_present[CT_STAT__COUNT];

	size_t n_ifaces;
	struct hd_iface *ifaces;
	size_t n_qdiscs;
	struct hd_qdisc *qdiscs;
	size_t n_udp; /* sockets whose drops moved, or new (is_new) */
	struct hd_sock *udp;
	bool udp_truncated; /* some snapshot's socket list was cut short: sockets may be missing */

	/* Counters that went backwards, by name ("eth0 rx_dropped", "Udp.InErrors", "cpu1
	 * dropped", "qdisc eth0 1: drops"); beyond HD_MAX_BACKWARDS only counted. */
	size_t n_backwards, n_backwards_dropped;
	char backwards[HD_MAX_BACKWARDS][64];
};

/*
 * Deltas from before to after (after taken later). Interfaces match by ifindex and name, CPUs by
 * CPU id (row number on kernels before 5.10), qdiscs by ifindex, handle, parent and kind,
 * sockets by inode. The errors of both snapshots are in d->now->errors. Returns 0 with *out
 * allocated (free with host_delta_free), or -ENOMEM/-EINVAL.
 */
int host_counters_delta(const struct host_counters *before, const struct host_counters *after,
			struct host_delta **out);

/*
 * Extend d (before .. d->now) to after, a snapshot taken later: d becomes before .. after, the
 * sum of its steps. Summing short steps keeps 32-bit counters from wrapping more than once
 * unseen over a long window. What the first-to-last delta would hold, d holds: interfaces and
 * qdiscs that appeared meanwhile are new, those that went away are left out (sockets keep their
 * drops: they carry their own description); a source missing from any snapshot is missing
 * from the sum; the errors of every snapshot are kept. On error d is unchanged. 0, -ENOMEM,
 * -EINVAL.
 */
int host_delta_extend(struct host_delta *d, const struct host_counters *after);

void host_delta_free(struct host_delta *d);

/* Sum of a link statistic over all interfaces but loopback. */
uint64_t host_delta_link_total(const struct host_delta *d, enum link_stat s);

/*
 * Write the raw deltas as the object "counters" (key "counters" inside an object, or NULL inside
 * an array). The schema is in README.md under "JSON schemas".
 */
void host_delta_json(const struct host_delta *d, struct json_writer *j, const char *key);

/* Print the counters that moved (for the human report), at most max_lines lines. */
void host_delta_text(const struct host_delta *d, FILE *f, int max_lines);

#endif
