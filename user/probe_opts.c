// SPDX-License-Identifier: GPL-2.0
/* The prober's options, shared by `dropscope probe` and `dropscope diagnose`. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_opts.h"
#include "probe_resolve.h"
#include "util.h"

void probe_config_init(struct probe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->family = AF_UNSPEC;
	cfg->proto = PROBE_ICMP;
	cfg->first_ttl = 1;
	cfg->max_ttl = PROBE_DEFAULT_MAX_TTL;
	cfg->interval_s = PROBE_DEFAULT_INTERVAL_S;
}

static int opt_ulong(const char *name, const char *arg, unsigned long min, unsigned long max,
		     unsigned int *out)
{
	unsigned long v;

	if (parse_ulong(arg, min, max, &v)) {
		ds_err("failed to parse %s '%s': give a whole number from %lu to %lu", name, arg,
		       min, max);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

static int opt_seconds(const char *name, const char *arg, double min, double max, double *out)
{
	double v;

	if (parse_duration(arg, false, &v) || v < min || v > max) {
		ds_err("failed to parse %s '%s': give seconds from %g to %g (e.g. 0.5, 500ms, 2m)",
		       name, arg, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int probe_config_option(struct probe_config *cfg, int opt, const char *arg)
{
	switch (opt) {
	case 'c':
		cfg->count_set = true;
		return opt_ulong("--count", arg, 1, 1000000, &cfg->count);
	case PROBE_OPT_DURATION:
		return opt_seconds("--duration", arg, 0.1, 86400, &cfg->duration_s);
	case 'i':
		return opt_seconds("--interval", arg, 0.01, 60, &cfg->interval_s);
	case PROBE_OPT_FLOWS:
		return opt_ulong("--flows", arg, 1, PROBE_MAX_FLOWS, &cfg->flows);
	case PROBE_OPT_TIMEOUT:
		return opt_seconds("--timeout", arg, 0.01, 60, &cfg->timeout_s);
	case '4':
	case '6':
		if (cfg->family != AF_UNSPEC && cfg->family != (opt == '4' ? AF_INET : AF_INET6)) {
			ds_err("-4 and -6 exclude each other: give one");
			return -EINVAL;
		}
		cfg->family = opt == '4' ? AF_INET : AF_INET6;
		return 0;
	case 'n':
		cfg->no_dns = true;
		return 0;
	case PROBE_OPT_PROTO:
		cfg->proto_set = true;
		if (!strcmp(arg, "icmp")) {
			cfg->proto = PROBE_ICMP;
		} else if (!strcmp(arg, "udp")) {
			cfg->proto = PROBE_UDP;
		} else if (!strcmp(arg, "tcp")) {
			cfg->proto = PROBE_TCP;
		} else {
			ds_err("failed to parse --proto '%s': give icmp, udp or tcp", arg);
			return -EINVAL;
		}
		return 0;
	case PROBE_OPT_ADDRESS: {
		uint8_t a[16];

		if (strlen(arg) >= sizeof(cfg->source) ||
		    (inet_pton(AF_INET, arg, a) != 1 && inet_pton(AF_INET6, arg, a) != 1)) {
			ds_err("failed to parse --address '%s': give an IPv4 or IPv6 address of "
			       "this host",
			       arg);
			return -EINVAL;
		}
		snprintf(cfg->source, sizeof(cfg->source), "%s", arg);
		return 0;
	}
	case PROBE_OPT_INTERFACE:
		if (!*arg || strlen(arg) >= sizeof(cfg->iface) || strchr(arg, '/')) {
			ds_err("failed to parse --interface '%s': give an interface's name", arg);
			return -EINVAL;
		}
		snprintf(cfg->iface, sizeof(cfg->iface), "%s", arg);
		return 0;
	case PROBE_OPT_TCP:
		cfg->proto_set = true;
		cfg->proto = PROBE_TCP;
		return 0;
	case PROBE_OPT_UDP:
		cfg->proto_set = true;
		cfg->proto = PROBE_UDP;
		return 0;
	case PROBE_OPT_PORT:
		return opt_ulong("--port", arg, 1, 65535, &cfg->port);
	case PROBE_OPT_MAX_TTL:
		return opt_ulong("--max-ttl", arg, 1, PROBE_MAX_TTL, &cfg->max_ttl);
	case PROBE_OPT_FIRST_TTL:
		return opt_ulong("--first-ttl", arg, 1, PROBE_MAX_TTL, &cfg->first_ttl);
	case PROBE_OPT_SIZE:
		cfg->size_set = true;
		return opt_ulong("--size", arg, 1, 65535, &cfg->size);
	}
	return 1;
}

int probe_config_finish(struct probe_config *cfg)
{
	uint8_t a[16];

	if (!cfg->target[0]) {
		ds_err("failed to start probing: no TARGET given (a host name or address)");
		return -EINVAL;
	}
	if (inet_pton(AF_INET6, cfg->target, a) == 1 && probe_is_v4mapped(a)) {
		if (cfg->family == AF_INET6) {
			ds_err("failed to probe %s: it is an IPv4 address (IPv4-mapped) and -6 "
			       "asks "
			       "for IPv6; drop -6",
			       cfg->target);
			return -EINVAL;
		}
		/* Probed, and reported, as the IPv4 address it is. */
		inet_ntop(AF_INET, a + 12, cfg->target, sizeof(cfg->target));
	}
	if (cfg->source[0]) {
		int fam = strchr(cfg->source, ':') ? AF_INET6 : AF_INET;

		if (cfg->family != AF_UNSPEC && cfg->family != fam) {
			ds_err("failed to start probing: --address %s is %s and -%c asks for %s",
			       cfg->source, fam == AF_INET ? "IPv4" : "IPv6",
			       cfg->family == AF_INET ? '4' : '6',
			       cfg->family == AF_INET ? "IPv4" : "IPv6");
			return -EINVAL;
		}
		cfg->family = fam; /* the target's address of the source's family */
	}
	if (cfg->count_set && cfg->duration_s > 0) {
		ds_err("failed to start probing: give -c/--count or --duration, not both");
		return -EINVAL;
	}
	if (!cfg->count_set && cfg->duration_s <= 0)
		cfg->count = PROBE_DEFAULT_COUNT;
	if (cfg->duration_s > 0)
		cfg->count = 0;
	if (cfg->first_ttl > cfg->max_ttl) {
		ds_err("failed to start probing: --first-ttl %u is beyond --max-ttl %u",
		       cfg->first_ttl, cfg->max_ttl);
		return -EINVAL;
	}
	if (cfg->size_set && cfg->proto == PROBE_TCP) {
		ds_err("failed to start probing: --size does not apply to tcp probes (SYNs have a "
		       "fixed size)");
		return -EINVAL;
	}
	if (cfg->port && cfg->proto == PROBE_ICMP) {
		ds_err("failed to start probing: --port needs --proto udp or --proto tcp");
		return -EINVAL;
	}
	if (!cfg->port && cfg->proto != PROBE_ICMP)
		cfg->port =
			cfg->proto == PROBE_UDP ? PROBE_DEFAULT_UDP_PORT : PROBE_DEFAULT_TCP_PORT;
	if (!cfg->size_set)
		cfg->size = PROBE_DEFAULT_SIZE;
	if (!cfg->flows)
		cfg->flows = 1;
	return 0;
}
