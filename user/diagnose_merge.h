/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The merge behind diagnose's verdict, apart from how the window was measured, so that
 * `dropscope diagnose` (one window of --duration) and `dropscope monitor` (an episode's window)
 * place the lost probes, judge the path and the host and print the same verdict the same way.
 */
#ifndef DS_DIAGNOSE_MERGE_H
#define DS_DIAGNOSE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose.h"
#include "trace_table.h"
#include "counters_findings.h"
#include "counters_host.h"
#include "counters_delta.h"
#include "kallsyms.h"
#include "netns.h"
#include "probe_child.h"
#include "diagnose_fate.h"
#include "reasons.h"
#include "trace_retrans.h"
#include "diagnose_verdict.h"

/* A loss episode a record is about (monitor): its target and its wall-clock times. */
struct diag_episode {
	const char *target;
	double start; /* CLOCK_REALTIME seconds */
	double end;   /* 0 while it lasts */
	/* Its segments summed, and those left out (out of memory): the record says so. */
	unsigned int segments, left_out;
};

#define MAX_ADVICE 48

/*
 * Everything one window gathers: diagnose's --duration, or a stretch of the monitor's probing.
 * The caller fills the inputs (the prober, ended; the tracer's watched events and its drop and
 * retransmission counts over the window; the counters before and after); the merge fills the
 * rest.
 */
struct diag {
	struct diagnose_opts *o;
	struct netns_ref ns;
	uint32_t self_netns; /* the namespace that is "this server" */

	struct probe_child *prober;	   /* the prober, in its unprivileged process */
	struct probe_identity id;	   /* its packets, for the tracer's watch filter */
	const struct probe_report *report; /* with the losses this host caused taken out */
	int prober_err;

	struct tracer *tracer;	 /* diagnose's own; the merge reads only tracer_name */
	const char *tracer_name; /* how the tracer is attached, NULL without one */
	struct reason_table *reasons;
	struct ksyms_source ksyms_own;	/* diagnose's own */
	struct ksyms_source *ksyms_src; /* read by the merge for the window's locations */
	const struct ksyms *ksyms;	/* what it read: the merge sets it */
	struct ifname_table ifnames;
	struct name_ctx names;
	struct drop_event *events; /* the prober's packets the kernel dropped */
	size_t nevents, cap_events;
	uint64_t events_missed;	   /* more than we keep */

	struct host_counters *before, *after;
	struct host_delta *delta;
	struct finding *findings;
	size_t nfindings;

	struct drop_snapshot drops;
	struct drop_report here, others; /* this host's drops; other namespaces' */
	struct retrans_snapshot retrans;

	enum probe_fate *fates;
	struct seen_drop *seen; /* the drops placed on probes (fates' evidence) */
	size_t nseen;
	struct fate_totals fate;
	uint64_t excused; /* lost at hops that only rate-limit their ICMP */
	/* Lost in the network at each hop's row by TTL (not the destination's): what excused is
	 * counted from, so that a sum of windows (monitor_acc) counts it over its own verdict. */
	uint64_t network_at_ttl[PROBE_MAX_TTL + 1];

	struct verdict_input vin;
	/* What vin.egress_reason / ingress_reason point to: the labels outlive later lookups. */
	char egress_label[64], ingress_label[64];
	struct verdict verdict;
	char advice[MAX_ADVICE][FINDING_FIX_LEN];
	int nadvice;
	double start, seconds;
	const struct diag_episode *episode; /* the monitor's: the records carry it */
};


/*
 * Place every lost probe (diagnose_fate.c), judge the path again without the probes this host
 * lost, split this host's drops from other namespaces', and fill d->vin. Needs d->prober ended,
 * d->events, d->drops, d->retrans, d->before/after/delta/findings and d->names. Returns 0, or
 * -ENOMEM after printing the error.
 */
int diagnose_merge(struct diag *d);
/*
 * The same for probes placed already: d->fate, d->excused and d->report given (the monitor's
 * episode, its segments merged one by one and summed; d->prober NULL); this host's drops,
 * retransmissions and counters judged as diagnose_merge does. 0 or -ENOMEM (printed).
 */
/* Free what the window's host side and the merge allocated: the findings, the counters'
 * delta, the drops and their reports, the retransmissions. The caller's own (tracer, prober,
 * events, counters, names) stay. */
void diagnose_free_merged(struct diag *d);
int diagnose_merge_placed(struct diag *d);

/*
 * Decide the verdict from d->vin, gather the advice, and print: one JSON object on stdout with
 * o->json (with d->episode, its "episode" member), the full report otherwise, or with
 * d->episode the short text block of a monitor's record.
 */
void diagnose_decide_and_print(struct diag *d);
/* Its two halves: the verdict and advice only (the monitor's windows without an episode), and
 * the printing. */
void diagnose_decide(struct diag *d);
void diagnose_print(struct diag *d);

#endif
