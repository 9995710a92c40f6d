// SPDX-License-Identifier: GPL-2.0
/* Pure parsers of the host counters: see counters_parse.h. Nothing here does I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/gen_stats.h>
#include <linux/sock_diag.h>

#include "counters_parse.h"
#include "util.h"

/* ---- tokens on a const buffer ---- */

struct span {
	const char *p;
	size_t len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next line of [*p, end) without its newline; false at the end. */
static bool next_line(const char **p, const char *end, struct span *line)
{
	const char *s = *p, *nl;

	if (s >= end)
		return false;
	nl = memchr(s, '\n', end - s);
	line->p = s;
	line->len = nl ? (size_t)(nl - s) : (size_t)(end - s);
	*p = nl ? nl + 1 : end;
	return true;
}

/* The next blank-separated token of a line; false when none is left. */
static bool next_token(struct span *rest, struct span *tok)
{
	while (rest->len && is_blank(*rest->p)) {
		rest->p++;
		rest->len--;
	}
	if (!rest->len)
		return false;
	tok->p = rest->p;
	while (rest->len && !is_blank(*rest->p)) {
		rest->p++;
		rest->len--;
	}
	tok->len = rest->p - tok->p;
	return true;
}

static bool span_is_blank(struct span s)
{
	struct span t;

	return !next_token(&s, &t);
}

static bool span_eq(struct span s, const char *str)
{
	size_t n = strlen(str);

	return s.len == n && !memcmp(s.p, str, n);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 to 16 hex digits. */
static bool parse_hex(struct span t, uint64_t *out)
{
	uint64_t v = 0;

	if (t.len == 0 || t.len > 16)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		int h = hexval(t.p[i]);

		if (h < 0)
			return false;
		v = v << 4 | (uint64_t)h;
	}
	*out = v;
	return true;
}

/* Optional '-' and 1 to 20 decimal digits, no overflow. Negative values (Tcp MaxConn is -1) are
 * valid tokens but flagged, since no counter dropscope reads can be negative. */
static bool parse_dec(struct span t, uint64_t *out, bool *negative)
{
	uint64_t v = 0;
	size_t i = 0;

	*negative = false;
	if (t.len && t.p[0] == '-') {
		*negative = true;
		i = 1;
	}
	if (i >= t.len || t.len - i > 20)
		return false;
	for (; i < t.len; i++) {
		unsigned d;

		if (t.p[i] < '0' || t.p[i] > '9')
			return false;
		d = t.p[i] - '0';
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* ---- softnet_stat ---- */

void softnet_free(struct softnet_stat *s)
{
	free(s->cpus);
	memset(s, 0, sizeof(*s));
}

int softnet_parse(const char *buf, struct softnet_stat *out)
{
	const char *p = buf, *end = buf + strlen(buf);
	size_t cap = 0, row = 0;
	struct span line;
	int err = 0;

	memset(out, 0, sizeof(*out));
	while (next_line(&p, end, &line)) {
		struct softnet_cpu c = {.cpu = (int)row};
		uint64_t col[16] = {0};
		struct span tok;
		int ncol = 0;

		if (span_is_blank(line))
			continue;
		while (next_token(&line, &tok)) {
			uint64_t v;

			if (!parse_hex(tok, &v)) {
				err = -EINVAL;
				goto cleanup;
			}
			if (ncol < (int)ARRAY_SIZE(col))
				col[ncol] = v;
			ncol++;
			if (ncol > 64) { /* no kernel prints that many: garbage */
				err = -EINVAL;
				goto cleanup;
			}
		}
		/* Every kernel prints at least processed, dropped and time_squeeze, and every row
		 * of one file has the same width. */
		if (ncol < 3 || (out->columns && ncol != out->columns)) {
			err = -EINVAL;
			goto cleanup;
		}
		out->columns = ncol;
		c.processed = col[0];
		c.dropped = col[1];
		c.time_squeeze = col[2];
		if (ncol >= 10)
			c.received_rps = col[9];
		if (ncol >= 11)
			c.flow_limit_count = col[10];
		if (ncol >= 12)
			c.backlog_len = col[11];
		if (ncol >= 13) {
			if (col[12] > 65535) { /* a CPU id, not a counter */
				err = -EINVAL;
				goto cleanup;
			}
			c.cpu = (int)col[12];
		}
		if (row == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct softnet_cpu *n;

			if (ncap > 65536) {
				err = -EINVAL;
				goto cleanup;
			}
			n = realloc(out->cpus, ncap * sizeof(*n));
			if (!n) {
				err = -ENOMEM;
				goto cleanup;
			}
			out->cpus = n;
			cap = ncap;
		}
		out->cpus[row++] = c;
	}
	if (!row) {
		err = -ENODATA;
		goto cleanup;
	}
	out->n = row;
	out->cpu_known = out->columns >= 13;
	return 0;
cleanup:
	softnet_free(out);
	return err;
}

/* ---- snmp / netstat / snmp6 ---- */

struct snmp_def {
	enum snmp_file file;
	const char *section; /* NULL for snmp6 */
	const char *name;
	const char *full; /* "Section.Name", or the snmp6 name */
};

/* Constant names: callers on several threads may ask for them at once. */
#define SNMP(f, sec, nm)                                                                           \
	{                                                                                          \
		f, sec, nm, sec "." nm                                                             \
	}
#define SNMP6(nm)                                                                                  \
	{                                                                                          \
		SNMP_FILE_SNMP6, NULL, nm, nm                                                      \
	}

static const struct snmp_def snmp_defs[SNMP__COUNT] = {
	[SNMP_IP_IN_RECEIVES] = SNMP(SNMP_FILE_SNMP, "Ip", "InReceives"),
	[SNMP_IP_IN_HDR_ERRORS] = SNMP(SNMP_FILE_SNMP, "Ip", "InHdrErrors"),
	[SNMP_IP_IN_ADDR_ERRORS] = SNMP(SNMP_FILE_SNMP, "Ip", "InAddrErrors"),
	[SNMP_IP_FORW_DATAGRAMS] = SNMP(SNMP_FILE_SNMP, "Ip", "ForwDatagrams"),
	[SNMP_IP_IN_DISCARDS] = SNMP(SNMP_FILE_SNMP, "Ip", "InDiscards"),
	[SNMP_IP_IN_DELIVERS] = SNMP(SNMP_FILE_SNMP, "Ip", "InDelivers"),
	[SNMP_IP_OUT_REQUESTS] = SNMP(SNMP_FILE_SNMP, "Ip", "OutRequests"),
	[SNMP_IP_OUT_DISCARDS] = SNMP(SNMP_FILE_SNMP, "Ip", "OutDiscards"),
	[SNMP_IP_OUT_NO_ROUTES] = SNMP(SNMP_FILE_SNMP, "Ip", "OutNoRoutes"),
	[SNMP_IP_REASM_FAILS] = SNMP(SNMP_FILE_SNMP, "Ip", "ReasmFails"),
	[SNMP_IP_FRAG_FAILS] = SNMP(SNMP_FILE_SNMP, "Ip", "FragFails"),
	[SNMP_IPEXT_IN_NO_ROUTES] = SNMP(SNMP_FILE_NETSTAT, "IpExt", "InNoRoutes"),
	[SNMP_IPEXT_IN_TRUNCATED] = SNMP(SNMP_FILE_NETSTAT, "IpExt", "InTruncatedPkts"),
	[SNMP_IPEXT_IN_CSUM_ERRORS] = SNMP(SNMP_FILE_NETSTAT, "IpExt", "InCsumErrors"),
	[SNMP_ICMP_IN_ERRORS] = SNMP(SNMP_FILE_SNMP, "Icmp", "InErrors"),
	[SNMP_ICMP_IN_CSUM_ERRORS] = SNMP(SNMP_FILE_SNMP, "Icmp", "InCsumErrors"),
	[SNMP_ICMP_OUT_RATELIMIT_GLOBAL] = SNMP(SNMP_FILE_SNMP, "Icmp", "OutRateLimitGlobal"),
	[SNMP_ICMP_OUT_RATELIMIT_HOST] = SNMP(SNMP_FILE_SNMP, "Icmp", "OutRateLimitHost"),
	[SNMP_TCP_ACTIVE_OPENS] = SNMP(SNMP_FILE_SNMP, "Tcp", "ActiveOpens"),
	[SNMP_TCP_PASSIVE_OPENS] = SNMP(SNMP_FILE_SNMP, "Tcp", "PassiveOpens"),
	[SNMP_TCP_ATTEMPT_FAILS] = SNMP(SNMP_FILE_SNMP, "Tcp", "AttemptFails"),
	[SNMP_TCP_ESTAB_RESETS] = SNMP(SNMP_FILE_SNMP, "Tcp", "EstabResets"),
	[SNMP_TCP_IN_SEGS] = SNMP(SNMP_FILE_SNMP, "Tcp", "InSegs"),
	[SNMP_TCP_OUT_SEGS] = SNMP(SNMP_FILE_SNMP, "Tcp", "OutSegs"),
	[SNMP_TCP_RETRANS_SEGS] = SNMP(SNMP_FILE_SNMP, "Tcp", "RetransSegs"),
	[SNMP_TCP_IN_ERRS] = SNMP(SNMP_FILE_SNMP, "Tcp", "InErrs"),
	[SNMP_TCP_OUT_RSTS] = SNMP(SNMP_FILE_SNMP, "Tcp", "OutRsts"),
	[SNMP_TCP_IN_CSUM_ERRORS] = SNMP(SNMP_FILE_SNMP, "Tcp", "InCsumErrors"),
	[SNMP_UDP_IN_DATAGRAMS] = SNMP(SNMP_FILE_SNMP, "Udp", "InDatagrams"),
	[SNMP_UDP_NO_PORTS] = SNMP(SNMP_FILE_SNMP, "Udp", "NoPorts"),
	[SNMP_UDP_IN_ERRORS] = SNMP(SNMP_FILE_SNMP, "Udp", "InErrors"),
	[SNMP_UDP_OUT_DATAGRAMS] = SNMP(SNMP_FILE_SNMP, "Udp", "OutDatagrams"),
	[SNMP_UDP_RCVBUF_ERRORS] = SNMP(SNMP_FILE_SNMP, "Udp", "RcvbufErrors"),
	[SNMP_UDP_SNDBUF_ERRORS] = SNMP(SNMP_FILE_SNMP, "Udp", "SndbufErrors"),
	[SNMP_UDP_IN_CSUM_ERRORS] = SNMP(SNMP_FILE_SNMP, "Udp", "InCsumErrors"),
	[SNMP_UDP_MEM_ERRORS] = SNMP(SNMP_FILE_SNMP, "Udp", "MemErrors"),
	[SNMP_TCPEXT_PRUNE_CALLED] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "PruneCalled"),
	[SNMP_TCPEXT_RCV_PRUNED] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "RcvPruned"),
	[SNMP_TCPEXT_OFO_PRUNED] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "OfoPruned"),
	[SNMP_TCPEXT_LISTEN_OVERFLOWS] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "ListenOverflows"),
	[SNMP_TCPEXT_LISTEN_DROPS] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "ListenDrops"),
	[SNMP_TCPEXT_TCP_TIMEOUTS] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPTimeouts"),
	[SNMP_TCPEXT_TCP_LOSS_PROBES] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPLossProbes"),
	[SNMP_TCPEXT_TCP_FAST_RETRANS] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPFastRetrans"),
	[SNMP_TCPEXT_TCP_SYN_RETRANS] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPSynRetrans"),
	[SNMP_TCPEXT_TCP_ABORT_ON_MEMORY] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPAbortOnMemory"),
	[SNMP_TCPEXT_TCP_MEMORY_PRESSURES] =
		SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPMemoryPressures"),
	[SNMP_TCPEXT_TCP_BACKLOG_DROP] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPBacklogDrop"),
	[SNMP_TCPEXT_PFMEMALLOC_DROP] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "PFMemallocDrop"),
	[SNMP_TCPEXT_TCP_MINTTL_DROP] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPMinTTLDrop"),
	[SNMP_TCPEXT_TCP_REQQ_FULL_DO_COOKIES] =
		SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPReqQFullDoCookies"),
	[SNMP_TCPEXT_TCP_REQQ_FULL_DROP] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPReqQFullDrop"),
	[SNMP_TCPEXT_SYNCOOKIES_SENT] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "SyncookiesSent"),
	[SNMP_TCPEXT_TCP_OFO_DROP] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPOFODrop"),
	[SNMP_TCPEXT_TCP_ZERO_WINDOW_DROP] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPZeroWindowDrop"),
	[SNMP_TCPEXT_TCP_RCVQ_DROP] = SNMP(SNMP_FILE_NETSTAT, "TcpExt", "TCPRcvQDrop"),
	[SNMP_IP6_IN_RECEIVES] = SNMP6("Ip6InReceives"),
	[SNMP_IP6_IN_HDR_ERRORS] = SNMP6("Ip6InHdrErrors"),
	[SNMP_IP6_IN_ADDR_ERRORS] = SNMP6("Ip6InAddrErrors"),
	[SNMP_IP6_IN_NO_ROUTES] = SNMP6("Ip6InNoRoutes"),
	[SNMP_IP6_IN_TRUNCATED] = SNMP6("Ip6InTruncatedPkts"),
	[SNMP_IP6_IN_DISCARDS] = SNMP6("Ip6InDiscards"),
	[SNMP_IP6_OUT_DISCARDS] = SNMP6("Ip6OutDiscards"),
	[SNMP_IP6_OUT_NO_ROUTES] = SNMP6("Ip6OutNoRoutes"),
	[SNMP_IP6_REASM_FAILS] = SNMP6("Ip6ReasmFails"),
	[SNMP_ICMP6_IN_ERRORS] = SNMP6("Icmp6InErrors"),
	[SNMP_ICMP6_IN_CSUM_ERRORS] = SNMP6("Icmp6InCsumErrors"),
	[SNMP_ICMP6_OUT_RATELIMIT_HOST] = SNMP6("Icmp6OutRateLimitHost"),
	[SNMP_UDP6_IN_DATAGRAMS] = SNMP6("Udp6InDatagrams"),
	[SNMP_UDP6_NO_PORTS] = SNMP6("Udp6NoPorts"),
	[SNMP_UDP6_IN_ERRORS] = SNMP6("Udp6InErrors"),
	[SNMP_UDP6_OUT_DATAGRAMS] = SNMP6("Udp6OutDatagrams"),
	[SNMP_UDP6_RCVBUF_ERRORS] = SNMP6("Udp6RcvbufErrors"),
	[SNMP_UDP6_SNDBUF_ERRORS] = SNMP6("Udp6SndbufErrors"),
	[SNMP_UDP6_IN_CSUM_ERRORS] = SNMP6("Udp6InCsumErrors"),
	[SNMP_UDP6_MEM_ERRORS] = SNMP6("Udp6MemErrors"),
};

const char *snmp_counter_name(enum snmp_counter c)
{
	return (unsigned)c < SNMP__COUNT ? snmp_defs[c].full : NULL;
}

enum snmp_file snmp_counter_file(enum snmp_counter c)
{
	return (unsigned)c < SNMP__COUNT ? snmp_defs[c].file : SNMP_FILE_SNMP;
}

/* The "Section:" prefix of a line, without the colon; false if there is none. */
static bool line_section(struct span line, struct span *sec, struct span *rest)
{
	const char *colon = memchr(line.p, ':', line.len);

	if (!colon || colon == line.p)
		return false;
	sec->p = line.p;
	sec->len = colon - line.p;
	for (size_t i = 0; i < sec->len; i++)
		if (is_blank(sec->p[i]))
			return false;
	rest->p = colon + 1;
	rest->len = line.len - sec->len - 1;
	return true;
}

/* Match one header/value line pair; false if it is malformed. */
static bool snmp_pair(struct span sec, struct span names, struct span values,
		      struct snmp_counters *out)
{
	int want[SNMP__COUNT], nwant = 0;
	struct span n, v, nn = names, vv = values;
	int ntok = 0;

	for (int c = 0; c < SNMP__COUNT; c++)
		if (snmp_defs[c].section && span_eq(sec, snmp_defs[c].section))
			want[nwant++] = c;
	/* Validate the whole pair first: a ragged or non-numeric pair is skipped entirely. */
	for (;;) {
		bool hn = next_token(&nn, &n), hv = next_token(&vv, &v), neg;
		uint64_t val;

		if (hn != hv)
			return false;
		if (!hn)
			break;
		if (!parse_dec(v, &val, &neg))
			return false;
		ntok++;
	}
	if (!ntok)
		return false;
	nn = names;
	vv = values;
	while (next_token(&nn, &n) && next_token(&vv, &v)) {
		uint64_t val;
		bool neg;

		parse_dec(v, &val, &neg);
		for (int i = 0; i < nwant; i++) {
			if (!span_eq(n, snmp_defs[want[i]].name))
				continue;
			if (!neg) {
				out->val[want[i]] = val;
				out->present[want[i]] = true;
			}
			break;
		}
	}
	return true;
}

int snmp_parse(const char *buf, struct snmp_counters *out)
{
	const char *p = buf, *end = buf + strlen(buf);
	struct span line, next;
	int parsed = 0, lines = 0;

	while (next_line(&p, end, &line)) {
		struct span sec, rest, sec2, rest2;
		const char *save = p;

		if (span_is_blank(line))
			continue;
		lines++;
		if (!line_section(line, &sec, &rest)) {
			out->malformed++;
			continue;
		}
		/* The value line must follow with the same section name. */
		if (!next_line(&p, end, &next) || !line_section(next, &sec2, &rest2) ||
		    sec.len != sec2.len || memcmp(sec.p, sec2.p, sec.len)) {
			out->malformed++;
			p = save;
			continue;
		}
		if (snmp_pair(sec, rest, rest2, out))
			parsed++;
		else
			out->malformed++;
	}
	if (!lines)
		return -ENODATA;
	return parsed ? 0 : -EINVAL;
}

int snmp6_parse(const char *buf, struct snmp_counters *out)
{
	const char *p = buf, *end = buf + strlen(buf);
	struct span line;
	int parsed = 0, lines = 0;

	while (next_line(&p, end, &line)) {
		struct span name, val, extra;
		uint64_t v;
		bool neg;

		if (span_is_blank(line))
			continue;
		lines++;
		if (!next_token(&line, &name) || !next_token(&line, &val) ||
		    next_token(&line, &extra) || !parse_dec(val, &v, &neg)) {
			out->malformed++;
			continue;
		}
		parsed++;
		if (neg)
			continue;
		for (int c = 0; c < SNMP__COUNT; c++) {
			if (snmp_defs[c].file == SNMP_FILE_SNMP6 &&
			    span_eq(name, snmp_defs[c].name)) {
				out->val[c] = v;
				out->present[c] = true;
				break;
			}
		}
	}
	if (!lines)
		return -ENODATA;
	return parsed ? 0 : -EINVAL;
}

/* ---- nf_conntrack stats ---- */

static const char *const ct_names[CT_STAT__COUNT] = {
	[CT_STAT_INVALID] = "invalid",
	[CT_STAT_INSERT_FAILED] = "insert_failed",
	[CT_STAT_DROP] = "drop",
	[CT_STAT_EARLY_DROP] = "early_drop",
	[CT_STAT_SEARCH_RESTART] = "search_restart",
	[CT_STAT_CLASH_RESOLVE] = "clashres",
	[CT_STAT_ICMP_ERROR] = "icmp_error",
};

const char *ct_stat_name(enum ct_stat s)
{
	return (unsigned)s < CT_STAT__COUNT ? ct_names[s] : NULL;
}

#define CT_MAX_COLUMNS 64

int conntrack_stat_parse(const char *buf, struct ct_stats *out)
{
	const char *p = buf, *end = buf + strlen(buf);
	int colmap[CT_MAX_COLUMNS]; /* column -> ct_stat, -1 unused, -2 "entries" */
	int ncols = 0;
	struct span line, tok;
	bool header = false;

	memset(out, 0, sizeof(*out));
	while (next_line(&p, end, &line)) {
		int col = 0;

		if (span_is_blank(line))
			continue;
		if (!header) {
			while (next_token(&line, &tok)) {
				if (ncols == CT_MAX_COLUMNS)
					return -EINVAL;
				colmap[ncols] = -1;
				/* A header is names, never numbers. */
				if (tok.len && ((tok.p[0] >= '0' && tok.p[0] <= '9')))
					return -EINVAL;
				if (span_eq(tok, "entries"))
					colmap[ncols] = -2;
				for (int s = 0; s < CT_STAT__COUNT; s++)
					if (span_eq(tok, ct_names[s]))
						colmap[ncols] = s;
				ncols++;
			}
			header = true;
			continue;
		}
		/* Validate before summing, so that a bad row leaves no partial sums behind. */
		{
			struct span chk = line;
			uint64_t v;

			while (next_token(&chk, &tok)) {
				if (!parse_hex(tok, &v))
					return -EINVAL;
				col++;
			}
			if (col != ncols)
				return -EINVAL;
		}
		col = 0;
		while (next_token(&line, &tok)) {
			uint64_t v = 0;

			parse_hex(tok, &v);
			if (colmap[col] == -2 && !out->have_entries) {
				out->entries = v;
				out->have_entries = true;
			} else if (colmap[col] >= 0) {
				out->val[colmap[col]] += v;
				out->present[colmap[col]] = true;
			}
			col++;
		}
		out->cpus++;
	}
	if (!header)
		return -ENODATA;
	if (!out->cpus)
		return -EINVAL;
	return 0;
}

/* ---- sysctl values ---- */

int sysctl_parse_values(const char *buf, int64_t *vals, int max)
{
	struct span rest = {buf, strlen(buf)}, tok;
	int n = 0;

	while (rest.len && (rest.p[rest.len - 1] == '\n'))
		rest.len--;
	for (size_t i = 0; i < rest.len; i++)
		if (rest.p[i] == '\n')
			return -EINVAL;
	while (next_token(&rest, &tok)) {
		uint64_t v;
		bool neg;

		if (!parse_dec(tok, &v, &neg) || v > (uint64_t)INT64_MAX)
			return -EINVAL;
		if (n < max)
			vals[n] = neg ? -(int64_t)v : (int64_t)v;
		n++;
	}
	if (!n)
		return -ENODATA;
	return n < max ? n : max;
}

/* ---- ethtool statistic names ---- */

static bool has(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The queue number of a per-queue name, or -1. Splits at '_', '.', '-', '[', ']', ':', ' '. */
static int stat_queue(const char *lname)
{
	char tok[8][32];
	int ntok = 0;
	const char *p = lname;

	while (*p && ntok < 8) {
		size_t n = strcspn(p, "_.-[]: ");

		if (n) {
			if (n >= sizeof(tok[0]))
				n = sizeof(tok[0]) - 1;
			memcpy(tok[ntok], p, n);
			tok[ntok][n] = '\0';
			ntok++;
			p += strcspn(p, "_.-[]: ");
		}
		if (*p)
			p++;
	}
	for (int i = 0; i < ntok; i++) {
		static const char *const prefixes[] = {"rxq",	"txq", "rx", "tx",
						       "queue", "q",   "ch", "ring"};
		const char *t = tok[i];
		size_t len = strlen(t);

		/* "queue_3", "rx_3", "ch_3", or a lone leading number "[3]" */
		if (all_digits(t, len)) {
			const char *prev = i ? tok[i - 1] : "";

			if (i == 0 && lname[0] == '[')
				return atoi(t) > 65535 ? -1 : atoi(t);
			for (size_t k = 0; k < ARRAY_SIZE(prefixes); k++)
				if (!strcmp(prev, prefixes[k]))
					return atoi(t) > 65535 ? -1 : atoi(t);
			continue;
		}
		/* "rx3", "rxq3", "q3" */
		for (size_t k = 0; k < ARRAY_SIZE(prefixes); k++) {
			size_t pl = strlen(prefixes[k]);

			if (len > pl && len - pl <= 5 && !strncmp(t, prefixes[k], pl) &&
			    all_digits(t + pl, len - pl))
				return atoi(t + pl);
		}
	}
	return -1;
}

void ethstat_classify(const char *name, struct ethstat_class *out)
{
	char l[64];
	size_t i;
	bool rx, tx, drop, error;

	for (i = 0; name[i] && i < sizeof(l) - 1; i++)
		l[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] - 'A' + 'a' : name[i];
	l[i] = '\0';
	out->kind = ETHSTAT_OTHER;
	out->queue = stat_queue(l);

	rx = !strncmp(l, "rx", 2) || has(l, "_rx") || has(l, ".rx") || has(l, " rx") ||
	     has(l, "rx_") || !strncmp(l, "port_rx", 7);
	tx = !strncmp(l, "tx", 2) || has(l, "_tx") || has(l, ".tx") || has(l, " tx") ||
	     has(l, "tx_");
	/* Names that say the packet was lost for want of a buffer, a ring slot or bus time. */
	drop = has(l, "drop") || has(l, "discard") || has(l, "miss") || has(l, "no_buf") ||
	       has(l, "nobuf") || has(l, "no_buffer") || has(l, "out_of_buffer") ||
	       has(l, "no_dma") || has(l, "nodesc") || has(l, "no_desc") || has(l, "fifo") ||
	       has(l, "overrun") || has(l, "over_err") || has(l, "ring_full") ||
	       has(l, "alloc_fail") || has(l, "buf_err") || has(l, "buff_err");
	error = has(l, "crc") || has(l, "frame_err") || has(l, "align") || has(l, "length_err") ||
		has(l, "undersize") || has(l, "oversize") || has(l, "fragment") ||
		has(l, "jabber") || has(l, "symbol") || has(l, "csum_err") ||
		has(l, "checksum_err") || has(l, "fcs");

	if (has(l, "xdp")) {
		/* XDP_DROP verdicts and XDP ring drops: the program decided, not the NIC. */
		if (drop || has(l, "err"))
			out->kind = ETHSTAT_XDP_DROP;
		return;
	}
	if (rx && !tx) {
		if (error)
			out->kind = ETHSTAT_RX_ERROR;
		else if (drop)
			out->kind = ETHSTAT_RX_DROP;
		return;
	}
	if (tx && !rx) {
		if (drop || has(l, "timeout") || has(l, "err"))
			out->kind = ETHSTAT_TX_DROP;
		return;
	}
	/* Names that say neither, like "missed_errors" or "port.rx_discards" with both. */
	if (!tx && (has(l, "miss") || has(l, "no_buf") || has(l, "no_buffer") || has(l, "no_dma")))
		out->kind = ETHSTAT_RX_DROP;
}

const char *ethstat_kind_name(enum ethstat_kind k)
{
	switch (k) {
	case ETHSTAT_RX_DROP:
		return "rx_drop";
	case ETHSTAT_RX_ERROR:
		return "rx_error";
	case ETHSTAT_TX_DROP:
		return "tx_drop";
	case ETHSTAT_XDP_DROP:
		return "xdp_drop";
	default:
		return "other";
	}
}

/* ---- netlink ---- */

static const char *const link_stat_names[LS__COUNT] = {
	"rx_packets",
	"tx_packets",
	"rx_bytes",
	"tx_bytes",
	"rx_errors",
	"tx_errors",
	"rx_dropped",
	"tx_dropped",
	"multicast",
	"collisions",
	"rx_length_errors",
	"rx_over_errors",
	"rx_crc_errors",
	"rx_frame_errors",
	"rx_fifo_errors",
	"rx_missed_errors",
	"tx_aborted_errors",
	"tx_carrier_errors",
	"tx_fifo_errors",
	"tx_heartbeat_errors",
	"tx_window_errors",
	"rx_compressed",
	"tx_compressed",
	"rx_nohandler",
	"rx_otherhost_dropped",
};

const char *link_stat_name(enum link_stat s)
{
	return (unsigned)s < LS__COUNT ? link_stat_names[s] : NULL;
}

/* Copy an attribute's payload as a string, however it ends. */
static void rta_string(const struct rtattr *rta, char *dst, size_t size)
{
	size_t n = RTA_PAYLOAD(rta);
	const char *src = RTA_DATA(rta);
	const char *nul = memchr(src, '\0', n);

	if (nul)
		n = nul - src;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool rta_u32(const struct rtattr *rta, uint32_t *v)
{
	if (RTA_PAYLOAD(rta) < sizeof(*v))
		return false;
	memcpy(v, RTA_DATA(rta), sizeof(*v));
	return true;
}

/*
 * Open one netlink message of the given type: its fixed header copied to hdr, and its attributes
 * copied to a malloc'd buffer (*attrs, *alen bytes; free() it). The copy is aligned: the kernel
 * aligns attributes, a fuzzer's buffer need not be. 0, -EINVAL if the lengths do not hold
 * together or the type is wrong, -ENOMEM.
 */
static int nl_msg_open(const void *msg, size_t len, uint16_t type, void *hdr, size_t hdr_len,
		       char **attrs, int *alen)
{
	struct nlmsghdr nh;
	const char *payload;
	size_t plen;

	*attrs = NULL;
	*alen = 0;
	if (len < sizeof(nh))
		return -EINVAL;
	memcpy(&nh, msg, sizeof(nh));
	if (nh.nlmsg_type != type || nh.nlmsg_len < NLMSG_LENGTH(hdr_len) || nh.nlmsg_len > len)
		return -EINVAL;
	payload = (const char *)msg + NLMSG_HDRLEN;
	plen = nh.nlmsg_len - NLMSG_HDRLEN;
	if (plen < NLMSG_ALIGN(hdr_len))
		return -EINVAL;
	memcpy(hdr, payload, hdr_len);
	*alen = (int)(plen - NLMSG_ALIGN(hdr_len));
	*attrs = malloc(*alen ? *alen : 1);
	if (!*attrs)
		return -ENOMEM;
	memcpy(*attrs, payload + NLMSG_ALIGN(hdr_len), *alen);
	return 0;
}

int link_msg_parse(const void *msg, size_t len, struct link_info *out)
{
	struct ifinfomsg ifi;
	const struct rtattr *rta;
	char *copy;
	int alen, err;

	memset(out, 0, sizeof(*out));
	err = nl_msg_open(msg, len, RTM_NEWLINK, &ifi, sizeof(ifi), &copy, &alen);
	if (err)
		return err;
	out->ifindex = ifi.ifi_index;
	out->flags = ifi.ifi_flags;
	for (rta = (const struct rtattr *)copy; RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		switch (rta->rta_type) {
		case IFLA_IFNAME:
			rta_string(rta, out->name, sizeof(out->name));
			break;
		case IFLA_QDISC:
			rta_string(rta, out->qdisc, sizeof(out->qdisc));
			break;
		case IFLA_ADDRESS: {
			size_t n = RTA_PAYLOAD(rta);

			if (n > sizeof(out->addr))
				n = sizeof(out->addr);
			memcpy(out->addr, RTA_DATA(rta), n);
			out->addr_len = (int)n;
			break;
		}
		case IFLA_MTU:
			rta_u32(rta, &out->mtu);
			break;
		case IFLA_TXQLEN:
			rta_u32(rta, &out->txqlen);
			break;
		case IFLA_NUM_RX_QUEUES:
			rta_u32(rta, &out->num_rx_queues);
			break;
		case IFLA_NUM_TX_QUEUES:
			rta_u32(rta, &out->num_tx_queues);
			break;
		case IFLA_LINK: {
			uint32_t v;

			if (rta_u32(rta, &v))
				out->link = (int)v;
			break;
		}
		case IFLA_MASTER: {
			uint32_t v;

			if (rta_u32(rta, &v))
				out->master = (int)v;
			break;
		}
		case IFLA_OPERSTATE:
			if (RTA_PAYLOAD(rta) >= 1)
				out->operstate = *(const uint8_t *)RTA_DATA(rta);
			break;
		case IFLA_STATS64: {
			size_t n = RTA_PAYLOAD(rta) / sizeof(uint64_t);

			if (n > LS__COUNT)
				n = LS__COUNT;
			memcpy(out->stats, RTA_DATA(rta), n * sizeof(uint64_t));
			out->n_stats = (int)n;
			break;
		}
		case IFLA_LINKINFO: {
			const struct rtattr *in = RTA_DATA(rta);
			int ilen = (int)RTA_PAYLOAD(rta);

			for (; RTA_OK(in, ilen); in = RTA_NEXT(in, ilen))
				if (in->rta_type == IFLA_INFO_KIND)
					rta_string(in, out->kind, sizeof(out->kind));
			break;
		}
		default:
			break;
		}
	}
	if (!out->name[0] || out->ifindex <= 0)
		err = -EINVAL;
	free(copy);
	return err;
}

int qdisc_msg_parse(const void *msg, size_t len, struct qdisc_info *out)
{
	struct tcmsg tcm;
	const struct rtattr *rta;
	bool have_stats2 = false;
	char *copy;
	int alen, err;

	memset(out, 0, sizeof(*out));
	err = nl_msg_open(msg, len, RTM_NEWQDISC, &tcm, sizeof(tcm), &copy, &alen);
	if (err)
		return err;
	out->ifindex = tcm.tcm_ifindex;
	out->handle = tcm.tcm_handle;
	out->parent = tcm.tcm_parent;
	for (rta = (const struct rtattr *)copy; RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		if (rta->rta_type == TCA_KIND) {
			rta_string(rta, out->kind, sizeof(out->kind));
		} else if (rta->rta_type == TCA_STATS2) {
			const struct rtattr *in = RTA_DATA(rta);
			int ilen = (int)RTA_PAYLOAD(rta);

			for (; RTA_OK(in, ilen); in = RTA_NEXT(in, ilen)) {
				if (in->rta_type == TCA_STATS_BASIC &&
				    RTA_PAYLOAD(in) >= sizeof(struct gnet_stats_basic)) {
					struct gnet_stats_basic b;

					memcpy(&b, RTA_DATA(in), sizeof(b));
					out->bytes = b.bytes;
					out->packets = b.packets;
					have_stats2 = true;
				} else if (in->rta_type == TCA_STATS_QUEUE &&
					   RTA_PAYLOAD(in) >= sizeof(struct gnet_stats_queue)) {
					struct gnet_stats_queue q;

					memcpy(&q, RTA_DATA(in), sizeof(q));
					out->qlen = q.qlen;
					out->backlog = q.backlog;
					out->drops = q.drops;
					out->requeues = q.requeues;
					out->overlimits = q.overlimits;
					have_stats2 = true;
				}
			}
		} else if (rta->rta_type == TCA_STATS && !have_stats2 &&
			   RTA_PAYLOAD(rta) >= sizeof(struct tc_stats)) {
			struct tc_stats s;

			memcpy(&s, RTA_DATA(rta), sizeof(s));
			out->bytes = s.bytes;
			out->packets = s.packets;
			out->drops = s.drops;
			out->overlimits = s.overlimits;
			out->qlen = s.qlen;
			out->backlog = s.backlog;
			out->has_stats = true;
		}
	}
	if (have_stats2)
		out->has_stats = true;
	free(copy);
	return out->kind[0] ? 0 : -EINVAL;
}

int inet_diag_msg_parse(const void *msg, size_t len, uint8_t protocol, struct sock_info *out)
{
	struct inet_diag_msg m;
	const struct rtattr *rta;
	char *copy, addr[INET6_ADDRSTRLEN];
	int alen, err;

	memset(out, 0, sizeof(*out));
	err = nl_msg_open(msg, len, SOCK_DIAG_BY_FAMILY, &m, sizeof(m), &copy, &alen);
	if (err)
		return err;
	err = -EINVAL;
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		goto cleanup;
	out->family = m.idiag_family;
	out->protocol = protocol;
	out->state = m.idiag_state;
	out->port = ntohs(m.id.idiag_sport);
	out->inode = m.idiag_inode;
	out->rqueue = m.idiag_rqueue;
	out->wqueue = m.idiag_wqueue;
	if (!inet_ntop(m.idiag_family, m.id.idiag_src, addr, sizeof(addr)))
		goto cleanup;
	if (m.idiag_family == AF_INET6)
		snprintf(out->local, sizeof(out->local), "[%s]:%u", addr, out->port);
	else
		snprintf(out->local, sizeof(out->local), "%s:%u", addr, out->port);
	for (rta = (const struct rtattr *)copy; RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		uint32_t mem[SK_MEMINFO_VARS] = {0};
		size_t n;

		if (rta->rta_type != INET_DIAG_SKMEMINFO)
			continue;
		n = RTA_PAYLOAD(rta);
		if (n > sizeof(mem))
			n = sizeof(mem);
		/* SK_MEMINFO_DROPS is the last of the nine; older kernels gave fewer. */
		memcpy(mem, RTA_DATA(rta), n);
		if (n < (SK_MEMINFO_RCVBUF + 1) * sizeof(uint32_t))
			continue;
		out->has_meminfo = true;
		out->rmem_alloc = mem[SK_MEMINFO_RMEM_ALLOC];
		out->rcvbuf = mem[SK_MEMINFO_RCVBUF];
		out->sndbuf = mem[SK_MEMINFO_SNDBUF];
		out->drops =
			n >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t) ? mem[SK_MEMINFO_DROPS] : 0;
	}
	err = 0;
cleanup:
	free(copy);
	return err;
}

/* ---- CPU masks ---- */

int cpu_mask_hex(int ncpus, char *buf, size_t size)
{
	int groups, top_bits;
	size_t off = 0;

	if (ncpus < 1 || ncpus > 65536 || !size)
		return -EINVAL;
	groups = (ncpus + 31) / 32;
	top_bits = ncpus - (groups - 1) * 32;
	for (int g = groups - 1; g >= 0; g--) {
		uint32_t v = g == groups - 1 && top_bits < 32 ? (1u << top_bits) - 1 : 0xffffffffu;
		int n = snprintf(buf + off, size - off, g == groups - 1 ? "%x" : ",%08x", v);

		if (n < 0 || (size_t)n >= size - off)
			return -ENOSPC;
		off += n;
	}
	return 0;
}

bool cpu_mask_nonzero(const char *mask)
{
	bool any = false, digits = false;

	for (const char *p = mask; *p && *p != '\n'; p++) {
		int h = hexval(*p);

		if (*p == ',')
			continue;
		if (h < 0)
			return false;
		digits = true;
		if (h)
			any = true;
	}
	return digits && any;
}
