/* SPDX-License-Identifier: GPL-2.0 */
/* dropscope diagnose: the tracer, the counters and the prober at once, merged into a verdict. */
#ifndef DS_DIAGNOSE_H
#define DS_DIAGNOSE_H

#include <stdbool.h>

#include "prober.h"

#define DIAGNOSE_DEFAULT_DURATION 30 /* seconds */
/*
 * diagnose probes this many flows unless --flows says otherwise: one ICMP echo flow and, unless
 * --proto, -T, -u, --size or --flows 1 is given, TCP SYN flows beside it, whose ports the routers
 * that split traffic (ECMP) hash, so that loss on one of parallel links shows. 16: MDA rules out
 * a third next hop after two (11) with some to spare.
 */
#define DIAGNOSE_DEFAULT_FLOWS 16

struct diagnose_opts {
	struct probe_config probe; /* target and how to probe it */
	double duration;	   /* seconds */
	const char *netns_spec;	   /* the namespace that is "this server" (NULL: ours) */
	bool all_flows;		   /* TCP retransmissions to everyone, not just the target */
	bool json;
	bool attach_tracepoint;	   /* testing aid: force the classic tracepoint */
};

/* Run a whole diagnosis and print it. Returns the exit code: the verdict's (verdict_exit_code),
 * 1 a failure, 2 bad input. */
int diagnose_run(struct diagnose_opts *o);

#endif
