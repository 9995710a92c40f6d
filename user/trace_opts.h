/* SPDX-License-Identifier: GPL-2.0 */
/* The tracer's command-line filters, shared by trace and diagnose. */
#ifndef DS_TRACE_OPTS_H
#define DS_TRACE_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "netns.h"
#include "trace_bpf.h"

/* getopt values of the filter options; commands number their own options after these. */
enum {
	OPT_DEV = 256,
	OPT_PROTO,
	OPT_HOST,
	OPT_PORT,
	OPT_FILTER_LAST = OPT_PORT,
};

struct trace_opts {
	struct tracer_config cfg;
	const char *netns_spec; /* "all", "self", a name or a path */
	const char *dev;
	struct netns_ref ns;
	double duration, interval;
	bool json;
	const char *pin_dir;
};

/* "tcp", "udp", "icmp", "icmpv6", "sctp", ... or a number 1-255. */
int parse_protocol(const char *s, uint8_t *out);
/* An IPv4/IPv6 literal or a host name; family 4 or 6. */
int parse_host(const char *s, uint8_t *family, uint8_t addr[16]);
/* Handle one of the filter options (-N, --dev, --proto, --host, --port); -ENOENT if opt is not
 * one of them. Prints its own error. */
int trace_opts_parse_filter(struct trace_opts *o, int opt, const char *arg);
/* Resolve --netns and --dev into the tracer's filters. Prints its own error. */
int trace_opts_resolve(struct trace_opts *o);

#endif
