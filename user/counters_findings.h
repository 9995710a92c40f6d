/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Findings: what the host counters say about loss over a window, worst first, each with the
 * counter evidence and the fix as commands that persist (written by fix_cmd.c). Pure: deltas
 * in, findings out; nothing here reads the system, and nothing anywhere in dropscope changes it.
 *
 * Finding ids are stable (scripts and `dropscope diagnose` match on them); the list, with what
 * each one means, is finding_kinds[] below (defined in counters_findings.c), and README.md's table.
 */
#ifndef DS_FINDINGS_H
#define DS_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "counters_delta.h"
#include "json.h"

enum finding_severity { SEV_LOW = 1, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* "low", "medium", "high", "critical" */
const char *finding_severity_name(enum finding_severity s);

#define FINDING_MAX_EVIDENCE 16
#define FINDING_MAX_FIXES 10
#define FINDING_FIX_LEN 512

enum evidence_type {
	EV_DELTA, /* a counter's increase over the window */
	EV_VALUE, /* a current value (a sysctl, a ring size, a table count) */
	EV_TEXT,  /* a description (a socket and its numbers) */
};

struct finding_evidence {
	char key[64];
	enum evidence_type type;
	uint64_t u;
	char text[128];
};

struct finding {
	const char *id; /* one of finding_kinds[] (static storage) */
	enum finding_severity severity;
	uint64_t count;	 /* the main counter over the window */
	double rate;	 /* count per second */
	char ifname[16]; /* the interface it concerns, "" for the whole host */
	/* Another finding of the same window that accounts for this one (the qdisc drops behind
	 * UDP SndbufErrors and IP OutDiscards ...), or NULL. Such findings sort right after their
	 * cause. */
	const char *explained_by;
	char summary[256];
	size_t n_evidence;
	struct finding_evidence evidence[FINDING_MAX_EVIDENCE];
	size_t n_fix;
	char fix[FINDING_MAX_FIXES][FINDING_FIX_LEN]; /* commands; lines starting "# " explain */
};

/*
 * The findings a window shows, worst first (by severity, then rate), except that a finding
 * another one explains (explained_by) comes right after its cause whatever its own severity:
 * the cause is what to fix. *out is malloc'd (free()), *n may be 0. Returns 0, -EINVAL or
 * -ENOMEM.
 */
int findings_compute(const struct host_delta *d, struct finding **out, size_t *n);

/* The "findings" array (key "findings" inside an object, NULL inside an array). */
void findings_json(const struct finding *f, size_t n, struct json_writer *j, const char *key);

/* The human report: one block per finding, colour when asked. */
void findings_text(const struct finding *f, size_t n, FILE *out, bool color);

/*
 * The finding id whose fix answers a kernel drop reason (the name without SKB_DROP_REASON_, as
 * the tracer reports it): SOCKET_RCVBUFF -> udp_rcvbuf_errors, CPU_BACKLOG -> softnet_dropped,
 * QDISC_DROP -> qdisc_drops, TCP_LISTEN_OVERFLOW -> tcp_listen_overflows, ... NULL when no
 * counter fix applies (NETFILTER_DROP: the tracer's caller decides whether conntrack caused it
 * and then uses "conntrack_full").
 */
const char *finding_for_drop_reason(const char *reason);

/* Every finding id and a line on what it means; finding_kinds_count entries. */
struct finding_kind {
	const char *id;
	const char *what;
};

extern const struct finding_kind finding_kinds[];
extern const size_t finding_kinds_count;

/* Whether id is one of finding_kinds[]. */
bool finding_id_known(const char *id);

#endif
