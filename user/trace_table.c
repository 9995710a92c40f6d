// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace_table.h"
#include "netns.h"
#include "util.h"

/* --- snapshots -------------------------------------------------------------------------- */

int drop_snapshot_add(struct drop_snapshot *s, const struct drop_key *k, uint64_t packets,
		      uint64_t bytes)
{
	struct drop_row *row = sorted_upsert((void **)&s->rows, &s->n, &s->cap, sizeof(*row), k,
					     sizeof(*k));

	if (!row)
		return -ENOMEM;
	row->packets += packets;
	row->bytes += bytes;
	return 0;
}

void drop_snapshot_free(struct drop_snapshot *s)
{
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

int drop_snapshot_from_slots(const struct drop_slot *vals, size_t slots, int ncpu,
			     struct drop_snapshot *s)
{
	size_t used = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < slots * ncpu; i++)
		used += vals[i].packets != 0;
	s->rows = calloc(used + 1, sizeof(*s->rows));
	if (!s->rows)
		return -ENOMEM;
	s->cap = used + 1;
	for (size_t i = 0; i < slots * ncpu; i++) {
		if (!vals[i].packets)
			continue;
		s->rows[s->n].key = vals[i].key;
		s->rows[s->n].packets = vals[i].packets;
		s->rows[s->n].bytes = vals[i].bytes;
		s->n++;
	}
	/* The same key may be in a slot on every CPU: sort once and sum neighbours (inserting
	 * row by row in order would move the whole table per row). */
	s->n = sort_merge_rows(s->rows, s->n, sizeof(*s->rows), sizeof(s->rows->key),
			       offsetof(struct drop_row, packets));
	return 0;
}

int drop_snapshot_read(int drops_fd, struct drop_snapshot *s)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), n, *keys = NULL, batch_out, count;
	struct drop_slot *vals = NULL;
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);

	memset(s, 0, sizeof(*s));
	if (ncpu < 0)
		return ncpu;
	if (bpf_obj_get_info_by_fd(drops_fd, &info, &len))
		return -errno;
	if (info.value_size != sizeof(struct drop_slot) || info.key_size != sizeof(__u32))
		return -EPROTO;
	n = info.max_entries;
	keys = calloc(n, sizeof(*keys));
	vals = calloc((size_t)n * ncpu, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* One batch call reads the whole table (ENOENT: it reached the end); kernels before 5.6
	 * read slot by slot. */
	count = n;
	if (bpf_map_lookup_batch(drops_fd, NULL, &batch_out, keys, vals, &count, &opts) &&
	    errno != ENOENT) {
		for (__u32 i = 0; i < n; i++) {
			if (bpf_map_lookup_elem(drops_fd, &i, &vals[(size_t)i * ncpu])) {
				err = -errno;
				goto cleanup;
			}
		}
		count = n;
	}
	err = drop_snapshot_from_slots(vals, count, ncpu, s);
cleanup:
	free(keys);
	free(vals);
	return err;
}

int drop_snapshot_delta(const struct drop_snapshot *before, const struct drop_snapshot *after,
			struct drop_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < after->n; i++) {
		const struct drop_row *a = &after->rows[i];
		uint64_t p = a->packets, b = a->bytes;
		const struct drop_row *old = before ? sorted_find(before->rows, before->n,
								  sizeof(*old), &a->key,
								  sizeof(a->key))
						    : NULL;
		int err;

		/* Counters only grow; a smaller value means the entry was recreated. */
		if (old && old->packets <= p) {
			p -= old->packets;
			b -= old->bytes;
		}
		if (!p)
			continue;
		err = drop_snapshot_add(out, &a->key, p, b);
		if (err) {
			drop_snapshot_free(out);
			return err;
		}
	}
	return 0;
}

/* --- interface names -------------------------------------------------------------------- */

int ifname_table_read(int ifnames_fd, struct ifname_table *t)
{
	struct ifname_key key, next;
	struct ifname_value val;
	void *prev = NULL;

	memset(t, 0, sizeof(*t));
	while (!bpf_map_get_next_key(ifnames_fd, prev, &next)) {
		struct ifname_entry *v;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(ifnames_fd, &key, &val))
			continue;
		v = realloc(t->v, (t->n + 1) * sizeof(*v));
		if (!v) {
			ifname_table_free(t);
			return -ENOMEM;
		}
		t->v = v;
		t->v[t->n].key = key;
		memcpy(t->v[t->n].name, val.name, sizeof(val.name));
		t->v[t->n].name[sizeof(val.name) - 1] = '\0';
		t->n++;
	}
	return 0;
}

const char *ifname_table_find(const struct ifname_table *t, uint32_t netns, uint32_t ifindex)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (t->v[i].key.netns == netns && t->v[i].key.ifindex == ifindex &&
		    t->v[i].name[0])
			return t->v[i].name;
	return NULL;
}

void ifname_table_free(struct ifname_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* --- names ------------------------------------------------------------------------------ */

const char *protocol_name(uint16_t l3_proto, uint8_t l4_proto, char *buf, size_t size)
{
	switch (l4_proto) {
	case 1:
		return "icmp";
	case 2:
		return "igmp";
	case 4:
		return "ipip";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 41:
		return "ipv6-in-ip";
	case 44:
		return "ipv6-frag";
	case 47:
		return "gre";
	case 50:
		return "esp";
	case 51:
		return "ah";
	case 58:
		return "icmpv6";
	case 112:
		return "vrrp";
	case 132:
		return "sctp";
	case 0:
		break;
	default:
		snprintf(buf, size, "ipproto-%u", l4_proto);
		return buf;
	}
	switch (l3_proto) {
	case 0:
		return NULL;
	case 0x0800:
		return "ipv4";
	case 0x86dd:
		return "ipv6";
	case 0x0806:
		return "arp";
	case 0x88cc:
		return "lldp";
	case 0x8100:
		return "vlan";
	default:
		snprintf(buf, size, "0x%04x", l3_proto);
		return buf;
	}
}

const char *queue_name(uint8_t kind, uint32_t queue, uint8_t l4_proto, char *buf, size_t size)
{
	char pbuf[32];
	const char *proto;

	switch (kind) {
	case DS_Q_RX:
		snprintf(buf, size, "rx%u", queue);
		return buf;
	case DS_Q_TX:
		snprintf(buf, size, "tx%u", queue);
		return buf;
	case DS_Q_CPU:
		snprintf(buf, size, "cpu%u", queue);
		return buf;
	case DS_Q_SOCKET:
		proto = protocol_name(0, l4_proto, pbuf, sizeof(pbuf));
		/* Ports only mean something to TCP, UDP and SCTP sockets. */
		if (l4_proto != 6 && l4_proto != 17 && l4_proto != 132)
			snprintf(buf, size, "%s", proto ? proto : "socket");
		else if (queue)
			snprintf(buf, size, "%s:%u", proto ? proto : "socket", queue);
		else
			snprintf(buf, size, "%s:ephemeral", proto ? proto : "socket");
		return buf;
	default:
		return NULL;
	}
}

const char *group_ifname(const struct name_ctx *names, uint32_t netns, uint32_t ifindex,
			 char *buf, size_t size)
{
	const char *n;

	if (!ifindex)
		return NULL;
	n = ifname_table_find(names->ifnames, netns, ifindex);
	if (n)
		return n;
	if (netns == names->self_netns && size >= IF_NAMESIZE && if_indextoname(ifindex, buf))
		return buf;
	snprintf(buf, size, "if%u", ifindex);
	return buf;
}

const char *netns_label(const struct name_ctx *names, uint32_t netns, char *buf, size_t size)
{
	if (!netns) {
		snprintf(buf, size, "unknown");
		return buf;
	}
	netns_name_of(netns, buf, size);
	if (!buf[0])
		snprintf(buf, size, "netns:%u", netns);
	return buf;
}

/* --- the report ------------------------------------------------------------------------- */

static int cmp_groups(const void *a, const void *b)
{
	const struct drop_group *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	if (x->reason != y->reason)
		return x->reason < y->reason ? -1 : 1;
	return strcmp(x->location, y->location);
}

static int cmp_reasons(const void *a, const void *b)
{
	const struct reason_total *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static int cmp_netns(const void *a, const void *b)
{
	const struct netns_total *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return x->netns < y->netns ? -1 : x->netns > y->netns;
}

/* Order of identity: rows that belong in one group become neighbours. */
static int cmp_identity(const void *a, const void *b)
{
	const struct drop_group *x = a, *y = b;

#define CMP(f)                                                                                     \
	if (x->f != y->f)                                                                          \
		return x->f < y->f ? -1 : 1;
	CMP(reason)
	CMP(netns)
	CMP(ifindex)
	CMP(queue_kind)
	CMP(queue)
	CMP(l3_proto)
	CMP(l4_proto)
	CMP(folded)
#undef CMP
	if (strcmp(x->location, y->location))
		return strcmp(x->location, y->location);
	return strcmp(x->module, y->module);
}

static bool same_identity(const struct drop_group *x, const struct drop_group *y)
{
	return cmp_identity(x, y) == 0;
}

int drop_report_build(const struct drop_snapshot *s, const struct name_ctx *names,
		      struct drop_report *r)
{
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	/* At most one group, reason and namespace per row: size the arrays once. */
	r->groups = calloc(s->n + 1, sizeof(*r->groups));
	r->reasons = calloc(s->n + 1, sizeof(*r->reasons));
	r->netns = calloc(s->n + 1, sizeof(*r->netns));
	if (!r->groups || !r->reasons || !r->netns) {
		drop_report_free(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct drop_key *k = &s->rows[i].key;
		struct drop_group *g = &r->groups[i];
		char abuf[32];
		const char *sym = names->ksyms ? ksyms_name(names->ksyms, k->location, abuf,
							    sizeof(abuf))
					       : NULL;
		const char *mod = names->ksyms ? ksyms_module(names->ksyms, k->location) : NULL;

		g->reason = k->reason;
		g->netns = k->netns;
		g->ifindex = k->ifindex;
		g->queue = k->queue;
		g->queue_kind = k->queue_kind;
		g->l4_proto = k->l4_proto;
		g->l3_proto = k->l3_proto;
		g->folded = k->folded;
		/* Call sites in one function are one location to an operator. */
		if (sym)
			snprintf(g->location, sizeof(g->location), "%s", sym);
		else if (k->location)
			snprintf(g->location, sizeof(g->location), "0x%llx",
				 (unsigned long long)k->location);
		if (mod)
			snprintf(g->module, sizeof(g->module), "%s", mod);
		g->packets = s->rows[i].packets;
		g->bytes = s->rows[i].bytes;
		r->packets += g->packets;
		r->bytes += g->bytes;
	}
	/* Merge neighbours; groups come out sorted by reason, then namespace. */
	qsort(r->groups, s->n, sizeof(*r->groups), cmp_identity);
	for (size_t i = 0; i < s->n; i++) {
		if (n && same_identity(&r->groups[n - 1], &r->groups[i])) {
			r->groups[n - 1].packets += r->groups[i].packets;
			r->groups[n - 1].bytes += r->groups[i].bytes;
		} else {
			r->groups[n++] = r->groups[i];
		}
	}
	r->ngroups = n;

	for (size_t i = 0; i < r->ngroups; i++) {
		const struct drop_group *g = &r->groups[i];

		if (!r->nreasons || r->reasons[r->nreasons - 1].reason != g->reason)
			r->reasons[r->nreasons++].reason = g->reason;
		r->reasons[r->nreasons - 1].packets += g->packets;
		r->reasons[r->nreasons - 1].bytes += g->bytes;
	}

	/* Per namespace and its top reason: groups are sorted by reason, then namespace, so a
	 * (namespace, reason) pair's groups are contiguous. A catch-all entry has no namespace
	 * and is not charged to one. */
	for (size_t i = 0; i < r->ngroups;) {
		const struct drop_group *g = &r->groups[i];
		uint64_t p = 0;
		size_t x, e = i;

		for (; e < r->ngroups && r->groups[e].reason == g->reason &&
		       r->groups[e].netns == g->netns;
		     e++)
			if (!r->groups[e].folded)
				p += r->groups[e].packets;
		i = e;
		if (!p)
			continue;
		for (x = 0; x < r->nnetns && r->netns[x].netns != g->netns; x++)
			;
		if (x == r->nnetns)
			r->netns[r->nnetns++].netns = g->netns;
		r->netns[x].packets += p;
		if (p > r->netns[x].top_packets) {
			r->netns[x].top_packets = p;
			r->netns[x].top_reason = g->reason;
		}
	}
	qsort(r->groups, r->ngroups, sizeof(*r->groups), cmp_groups);
	qsort(r->reasons, r->nreasons, sizeof(*r->reasons), cmp_reasons);
	qsort(r->netns, r->nnetns, sizeof(*r->netns), cmp_netns);
	return 0;
}

void drop_report_free(struct drop_report *r)
{
	free(r->groups);
	free(r->reasons);
	free(r->netns);
	memset(r, 0, sizeof(*r));
}

#define BAR_WIDTH 24

static void bar(FILE *f, double share)
{
	int n = (int)(share * BAR_WIDTH + 0.5);

	if (share > 0 && n == 0)
		n = 1;
	for (int i = 0; i < n; i++)
		fputc('#', f);
}

static const char *cat_color(enum drop_category c)
{
	switch (c) {
	case CAT_CAPACITY:
		return DS_SGR_BOLD_RED;
	case CAT_POLICY:
		return DS_SGR_YELLOW;
	case CAT_CORRUPTION:
		return DS_SGR_MAGENTA;
	case CAT_ROUTING:
		return DS_SGR_CYAN;
	default:
		return "";
	}
}

static uint64_t recent_packets(const struct drop_report *recent, uint32_t reason)
{
	for (size_t i = 0; i < recent->nreasons; i++)
		if (recent->reasons[i].reason == reason)
			return recent->reasons[i].packets;
	return 0;
}

void drop_report_text(const struct drop_report *r, const struct name_ctx *names,
		      const struct text_opts *o, FILE *f)
{
	bool color = o->color;

	if (!r->packets) {
		fprintf(f, "no drops\n");
		return;
	}
	fprintf(f, "%-28s %-17s %10s %10s %6s\n", "REASON", "CATEGORY", "COUNT", "RATE/s",
		"SHARE");
	if (o->max_detail > 0)
		fprintf(f, "    %-22s %-10s %-14s %-8s %10s  %s\n", "NAMESPACE", "INTERFACE", "QUEUE",
			"PROTOCOL", "COUNT", "LOCATION");
	for (size_t i = 0; i < r->nreasons; i++) {
		const struct reason_total *rt = &r->reasons[i];
		enum drop_category cat = reasons_category(names->reasons, rt->reason);
		double share = (double)rt->packets / r->packets, rate = 0;
		char rbuf[64];
		int shown = 0;

		/* The reason's largest group decides a category that depends on the location. */
		for (size_t g = 0; g < r->ngroups; g++)
			if (r->groups[g].reason == rt->reason) {
				cat = reasons_category_at(names->reasons, rt->reason,
							  r->groups[g].location);
				break;
			}
		if (o->recent && o->recent_seconds > 0)
			rate = recent_packets(o->recent, rt->reason) / o->recent_seconds;
		else if (o->seconds > 0)
			rate = rt->packets / o->seconds;

		fprintf(f, "%s%-28s%s %-17s %10llu ", color ? cat_color(cat) : "",
			reasons_label(names->reasons, rt->reason, rbuf, sizeof(rbuf)),
			color && *cat_color(cat) ? DS_SGR_RESET : "", category_label(cat),
			(unsigned long long)rt->packets);
		if (!o->recent && o->seconds < 0)
			fprintf(f, "%10s", "-");
		else
			fprintf(f, "%10.1f", rate);
		fprintf(f, " %5.1f%%", share * 100);
		if (share > 0)
			fputs("  ", f);
		bar(f, share);
		fputc('\n', f);
		for (size_t g = 0; g < r->ngroups && shown < o->max_detail; g++) {
			const struct drop_group *dg = &r->groups[g];
			char nb[256], ib[32], qb[48], pb[32];
			const char *ifn, *q, *p;

			if (dg->reason != rt->reason)
				continue;
			shown++;
			if (dg->folded) {
				fprintf(f, "    %-58s %10llu\n", "(not broken down: drop table full)",
					(unsigned long long)dg->packets);
				continue;
			}
			ifn = group_ifname(names, dg->netns, dg->ifindex, ib, sizeof(ib));
			q = queue_name(dg->queue_kind, dg->queue, dg->l4_proto, qb, sizeof(qb));
			p = protocol_name(dg->l3_proto, dg->l4_proto, pb, sizeof(pb));
			/* Tell IPv4 from IPv6 apart in the table ("udp6"); JSON has l3 separately. */
			if (dg->l3_proto == 0x86dd && (dg->l4_proto == 6 || dg->l4_proto == 17)) {
				snprintf(pb, sizeof(pb), "%s6", p);
				p = pb;
			}
			fprintf(f, "    %-22.22s %-10.10s %-14.14s %-8.8s %10llu  %s%s%s%s\n",
				netns_label(names, dg->netns, nb, sizeof(nb)), ifn ? ifn : "-",
				q ? q : "-", p ? p : "-", (unsigned long long)dg->packets,
				dg->location[0] ? dg->location : "-", dg->module[0] ? " [" : "",
				dg->module, dg->module[0] ? "]" : "");
		}
	}
	if (r->nnetns > 1 || (r->nnetns == 1 && r->netns[0].netns != names->self_netns)) {
		fprintf(f, "\n%-36s %10s  %s\n", "NAMESPACE", "DROPS", "TOP REASON");
		for (size_t i = 0; i < r->nnetns; i++) {
			char nb[256], rbuf[64];

			fprintf(f, "%-36.36s %10llu  %s\n",
				netns_label(names, r->netns[i].netns, nb, sizeof(nb)),
				(unsigned long long)r->netns[i].packets,
				reasons_label(names->reasons, r->netns[i].top_reason, rbuf,
					      sizeof(rbuf)));
		}
	}
}

void drop_report_json(const struct drop_report *r, const struct name_ctx *names,
		      struct json_writer *j, const char *key)
{
	json_array_begin(j, key);
	for (size_t g = 0; g < r->ngroups; g++) {
		const struct drop_group *dg = &r->groups[g];
		char rbuf[64], ib[32], qb[48], pb[32], nb[256];
		enum drop_category cat = reasons_category_at(names->reasons, dg->reason, dg->location);

		json_object_begin(j, NULL);
		json_string(j, "reason", reasons_label(names->reasons, dg->reason, rbuf, sizeof(rbuf)));
		json_uint(j, "reason_value", dg->reason);
		json_string(j, "category", category_name(cat));
		json_uint(j, "count", dg->packets);
		json_uint(j, "bytes", dg->bytes);
		json_uint(j, "netns", dg->netns);
		json_string(j, "netns_name", dg->folded ? NULL
							: netns_label(names, dg->netns, nb, sizeof(nb)));
		json_string(j, "ifname", group_ifname(names, dg->netns, dg->ifindex, ib, sizeof(ib)));
		json_uint(j, "ifindex", dg->ifindex);
		json_string(j, "queue", queue_name(dg->queue_kind, dg->queue, dg->l4_proto, qb,
						   sizeof(qb)));
		json_string(j, "protocol", protocol_name(dg->l3_proto, dg->l4_proto, pb, sizeof(pb)));
		json_string(j, "l3", protocol_name(dg->l3_proto, 0, pb, sizeof(pb)));
		json_string(j, "location", dg->location[0] ? dg->location : NULL);
		json_string(j, "module", dg->module[0] ? dg->module : NULL);
		json_bool(j, "folded", dg->folded);
		json_object_end(j);
	}
	json_array_end(j);
}

void drop_report_netns_json(const struct drop_report *r, const struct name_ctx *names,
			    struct json_writer *j, const char *key)
{
	json_array_begin(j, key);
	for (size_t i = 0; i < r->nnetns; i++) {
		char nb[256], rb[64];

		json_object_begin(j, NULL);
		json_uint(j, "netns", r->netns[i].netns);
		json_string(j, "name", netns_label(names, r->netns[i].netns, nb, sizeof(nb)));
		json_uint(j, "count", r->netns[i].packets);
		json_string(j, "top_reason",
			    reasons_label(names->reasons, r->netns[i].top_reason, rb, sizeof(rb)));
		json_object_end(j);
	}
	json_array_end(j);
}
