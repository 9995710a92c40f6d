/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deltas between two host counter snapshots (hostcounters.h): what moved over a window, and the
 * window's raw deltas as JSON and text. Pure logic, unit-tested on snapshots built by hand.
 */
#ifndef DS_HOSTDELTA_H
#define DS_HOSTDELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hostcounters.h"
#include "json.h"

/* ---- deltas ---- */

struct hd_dstat {
	const char *name; /* points into now's iface */
	uint64_t delta;
	struct ethstat_class cls;
};

struct hd_iface {
	size_t idx;  /* index into now->ifaces */
	bool is_new; /* not in the first snapshot: no deltas (counters may predate the window) */
	bool reset;  /* a counter went backwards (device reset): deltas count from zero */
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
	size_t idx; /* index into now->udp */
	uint64_t d_drops;
};

struct hd_cpu {
	int cpu;
	uint64_t processed, dropped, time_squeeze, received_rps, flow_limit_count;
};

struct host_delta {
	double interval_s;
	struct host_counters *now; /* owned copy of the later snapshot: current levels and names */

	bool softnet_ok;
	struct hd_cpu softnet_total;
	size_t n_cpus;
	struct hd_cpu *cpus;

	bool snmp_ok[SNMP__COUNT]; /* present in both snapshots */
	uint64_t snmp[SNMP__COUNT];

	bool ct_ok;
	uint64_t ct[CT_STAT__COUNT];
	bool ct_present[CT_STAT__COUNT];

	size_t n_ifaces;
	struct hd_iface *ifaces;
	size_t n_qdiscs;
	struct hd_qdisc *qdiscs;
	size_t n_udp; /* sockets whose drops moved */
	struct hd_sock *udp;
};

/*
 * Deltas from before to after (after taken later). Interfaces match by ifindex and name, CPUs by
 * CPU id (row number on kernels before 5.10), qdiscs by ifindex, handle and parent, sockets by
 * inode. 32-bit counters that wrapped are unwrapped; a 64-bit counter that went backwards marks a
 * reset. The errors of both snapshots are in d->now->errors. Returns 0 with *out allocated
 * (free with host_delta_free), or -ENOMEM/-EINVAL.
 */
int host_counters_delta(const struct host_counters *before, const struct host_counters *after,
			struct host_delta **out);
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
