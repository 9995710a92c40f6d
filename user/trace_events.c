// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "trace_events.h"
#include "json.h"
#include "util.h"

static bool has_ports(const struct drop_event *e)
{
	return e->l4_proto == 6 || e->l4_proto == 17 || e->l4_proto == 132;
}

void event_endpoints(const struct drop_event *e, char *src, char *dst, size_t size)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = e->family == 6 ? AF_INET6 : AF_INET;

	src[0] = dst[0] = '\0';
	if (e->family != 4 && e->family != 6)
		return;
	inet_ntop(af, e->saddr, a, sizeof(a));
	inet_ntop(af, e->daddr, b, sizeof(b));
	if (!has_ports(e)) {
		snprintf(src, size, "%s", a);
		snprintf(dst, size, "%s", b);
	} else if (af == AF_INET6) {
		snprintf(src, size, "[%s]:%u", a, e->sport);
		snprintf(dst, size, "[%s]:%u", b, e->dport);
	} else {
		snprintf(src, size, "%s:%u", a, e->sport);
		snprintf(dst, size, "%s:%u", b, e->dport);
	}
}

/* Event time on the wall clock: the kernel stamps CLOCK_MONOTONIC. */
static void wall_time(uint64_t ts_ns, char *buf, size_t size)
{
	struct timespec real, mono;
	double t;
	time_t sec;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	t = real.tv_sec + real.tv_nsec / 1e9 - (mono.tv_sec + mono.tv_nsec / 1e9 - ts_ns / 1e9);
	sec = (time_t)t;
	localtime_r(&sec, &tm);
	snprintf(buf, size, "%02d:%02d:%02d.%06d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)((t - sec) * 1e6));
}

void event_print(const struct drop_event *e, const struct name_ctx *names, bool json, FILE *f)
{
	char rbuf[64], abuf[32], nb[256], qb[48], pb[32], ib[32], src[80], dst[80], tb[32];
	const char *reason = reasons_label(names->reasons, e->reason, rbuf, sizeof(rbuf));
	const char *loc = names->ksyms ? ksyms_name(names->ksyms, e->location, abuf, sizeof(abuf))
				       : NULL;
	const char *mod = names->ksyms ? ksyms_module(names->ksyms, e->location) : NULL;
	const char *q = queue_name(e->queue_kind, e->queue, e->l4_proto, qb, sizeof(qb));
	const char *p = protocol_name(e->l3_proto, e->l4_proto, pb, sizeof(pb));
	const char *ifn = e->ifname[0] ? e->ifname : group_ifname(names, e->netns, e->ifindex, ib,
								   sizeof(ib));
	char ifname[17];

	/* The kernel copied at most 16 bytes: terminate our own copy. */
	if (ifn == e->ifname) {
		memcpy(ifname, e->ifname, 16);
		ifname[16] = '\0';
		ifn = ifname;
	}
	event_endpoints(e, src, dst, sizeof(src));
	wall_time(e->ts_ns, tb, sizeof(tb));
	if (json) {
		struct json_writer j;

		json_init(&j, f, false);
		json_object_begin(&j, NULL);
		json_string(&j, "time", tb);
		json_uint(&j, "ts_ns", e->ts_ns);
		json_string(&j, "reason", reason);
		json_string(&j, "category",
			    category_name(reasons_category_at(names->reasons, e->reason, loc)));
		json_string(&j, "location", loc);
		json_string(&j, "module", mod);
		json_uint(&j, "netns", e->netns);
		json_string(&j, "ifname", ifn);
		json_string(&j, "queue", q);
		json_string(&j, "protocol", p);
		json_string(&j, "src", src[0] ? src : NULL);
		json_string(&j, "dst", dst[0] ? dst : NULL);
		/* ICMP has no ports: the kernel side puts its type and code there. */
		if ((e->l4_proto == 1 || e->l4_proto == 58) && (e->family == 4 || e->family == 6)) {
			json_uint(&j, "icmp_type", e->sport);
			json_uint(&j, "icmp_code", e->dport);
		}
		json_uint(&j, "len", e->len);
		json_uint(&j, "cpu", e->cpu);
		json_bool(&j, "watched", e->flags & DS_EV_WATCHED);
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	fprintf(f, "%s %-20s %-24.24s %-22.22s %-8s %-12s %-6s %s%s%s len %u\n", tb, reason,
		loc ? loc : "-", netns_label(names, e->netns, nb, sizeof(nb)), ifn ? ifn : "-",
		q ? q : "-", p ? p : "-", src[0] ? src : "", src[0] ? " > " : "", dst, e->len);
}
