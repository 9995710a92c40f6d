// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "trace_retrans.h"
#include "util.h"

int retrans_snapshot_add(struct retrans_snapshot *s, const struct retrans_key *k,
			 uint64_t retransmits, uint64_t synack)
{
	struct retrans_row *row = sorted_upsert((void **)&s->rows, &s->n, &s->cap, sizeof(*row), k,
						sizeof(*k));

	if (!row)
		return -ENOMEM;
	row->retransmits += retransmits;
	row->synack += synack;
	return 0;
}

void retrans_snapshot_free(struct retrans_snapshot *s)
{
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

int retrans_snapshot_read(int fd, struct retrans_snapshot *s)
{
	struct retrans_key key, next;
	struct retrans_value v;
	void *prev = NULL;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct retrans_row *row;

		key = next;
		prev = &key;
		/* Gone meanwhile (LRU eviction): not an error. */
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (array_reserve((void **)&s->rows, &s->cap, s->n + 1, sizeof(*s->rows))) {
			err = -ENOMEM;
			goto cleanup;
		}
		row = &s->rows[s->n++];
		memset(row, 0, sizeof(*row));
		row->key = key;
		row->retransmits = v.retransmits;
		row->synack = v.synack;
	}
	if (errno != ENOENT) {
		err = -errno;
		goto cleanup;
	}
	/* Sorted once, not row by row: a full map is thousands of flows. */
	s->n = sort_merge_rows(s->rows, s->n, sizeof(*s->rows), sizeof(s->rows->key),
			       offsetof(struct retrans_row, retransmits));
	return 0;
cleanup:
	retrans_snapshot_free(s);
	return err;
}

int retrans_snapshot_delta(const struct retrans_snapshot *before,
			   const struct retrans_snapshot *after, struct retrans_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < after->n; i++) {
		const struct retrans_row *a = &after->rows[i];
		uint64_t r = a->retransmits, y = a->synack;
		const struct retrans_row *old = before ? sorted_find(before->rows, before->n,
								     sizeof(*old), &a->key,
								     sizeof(a->key))
						       : NULL;

		/* Values only grow while an entry lives; smaller means it was evicted and reborn. */
		if (old && old->retransmits <= r && old->synack <= y) {
			r -= old->retransmits;
			y -= old->synack;
		}
		if (!r && !y)
			continue;
		if (retrans_snapshot_add(out, &a->key, r, y)) {
			retrans_snapshot_free(out);
			return -ENOMEM;
		}
	}
	return 0;
}

uint64_t retrans_total(const struct retrans_snapshot *s, int family, const uint8_t *addr)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct retrans_key *k = &s->rows[i].key;

		if (family == 4 && (k->family != AF_INET || memcmp(k->daddr, addr, 4)))
			continue;
		if (family == 6 && (k->family != AF_INET6 || memcmp(k->daddr, addr, 16)))
			continue;
		n += s->rows[i].retransmits + s->rows[i].synack;
	}
	return n;
}

const char *retrans_addr(uint16_t family, const uint8_t *addr, char *buf, size_t size)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

struct remote {
	uint16_t family;
	uint8_t addr[16];
	uint64_t retransmits, synack;
	size_t flows;
};

static int cmp_remote(const void *a, const void *b)
{
	const struct remote *x = a, *y = b;
	uint64_t nx = x->retransmits + x->synack, ny = y->retransmits + y->synack;

	return nx == ny ? memcmp(x->addr, y->addr, 16) : nx > ny ? -1 : 1;
}

static int cmp_flow(const void *a, const void *b)
{
	const struct retrans_row *x = a, *y = b;
	uint64_t nx = x->retransmits + x->synack, ny = y->retransmits + y->synack;

	return nx == ny ? memcmp(&x->key, &y->key, sizeof(x->key)) : nx > ny ? -1 : 1;
}

/* Per remote address, most retransmissions first; *n gets the count. */
static struct remote *by_remote(const struct retrans_snapshot *s, size_t *n)
{
	struct remote *r = calloc(s->n + 1, sizeof(*r));

	*n = 0;
	if (!r)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct retrans_key *k = &s->rows[i].key;
		size_t x;

		for (x = 0; x < *n; x++)
			if (r[x].family == k->family && !memcmp(r[x].addr, k->daddr, 16))
				break;
		if (x == *n) {
			r[x].family = k->family;
			memcpy(r[x].addr, k->daddr, 16);
			(*n)++;
		}
		r[x].retransmits += s->rows[i].retransmits;
		r[x].synack += s->rows[i].synack;
		r[x].flows++;
	}
	qsort(r, *n, sizeof(*r), cmp_remote);
	return r;
}

static struct retrans_row *sorted_flows(const struct retrans_snapshot *s)
{
	struct retrans_row *f = malloc((s->n + 1) * sizeof(*f));

	if (!f)
		return NULL;
	/* An empty snapshot has no rows array: memcpy from NULL is undefined even for 0 bytes. */
	if (s->n)
		memcpy(f, s->rows, s->n * sizeof(*f));
	qsort(f, s->n, sizeof(*f), cmp_flow);
	return f;
}

void retrans_text(const struct retrans_snapshot *s, const struct name_ctx *names, int max_flows,
		  FILE *f)
{
	struct retrans_row *flows;
	struct remote *r;
	size_t n;

	if (!s->n) {
		fprintf(f, "no TCP retransmissions\n");
		return;
	}
	r = by_remote(s, &n);
	flows = sorted_flows(s);
	if (!r || !flows)
		goto cleanup;
	fprintf(f, "%-40s %12s %8s %6s\n", "REMOTE", "RETRANSMITS", "SYN-ACK", "FLOWS");
	for (size_t i = 0; i < n; i++) {
		char a[64];

		fprintf(f, "%-40s %12llu %8llu %6zu\n", retrans_addr(r[i].family, r[i].addr, a, sizeof(a)),
			(unsigned long long)r[i].retransmits, (unsigned long long)r[i].synack,
			r[i].flows);
	}
	fprintf(f, "\n%-58s %-16s %8s\n", "FLOW (local -> remote)", "NAMESPACE", "COUNT");
	for (size_t i = 0; i < s->n && (int)i < max_flows; i++) {
		const struct retrans_key *k = &flows[i].key;
		char a[64], b[64], flow[160], nb[256];

		snprintf(flow, sizeof(flow), "%s:%u -> %s:%u",
			 retrans_addr(k->family, k->saddr, a, sizeof(a)), k->sport,
			 retrans_addr(k->family, k->daddr, b, sizeof(b)), k->dport);
		fprintf(f, "%-58s %-16.16s %8llu\n", flow, netns_label(names, k->netns, nb, sizeof(nb)),
			(unsigned long long)(flows[i].retransmits + flows[i].synack));
	}
cleanup:
	free(r);
	free(flows);
}

void retrans_json(const struct retrans_snapshot *s, struct json_writer *j)
{
	struct retrans_row *flows = sorted_flows(s);
	size_t n = 0;
	struct remote *r = by_remote(s, &n);
	char a[64], b[64];

	json_array_begin(j, "retransmits");
	for (size_t i = 0; r && i < n; i++) {
		json_object_begin(j, NULL);
		json_string(j, "daddr", retrans_addr(r[i].family, r[i].addr, a, sizeof(a)));
		json_uint(j, "count", r[i].retransmits + r[i].synack);
		json_uint(j, "synack", r[i].synack);
		json_uint(j, "flows", r[i].flows);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "retransmit_flows");
	for (size_t i = 0; flows && i < s->n; i++) {
		const struct retrans_key *k = &flows[i].key;

		json_object_begin(j, NULL);
		json_string(j, "saddr", retrans_addr(k->family, k->saddr, a, sizeof(a)));
		json_uint(j, "sport", k->sport);
		json_string(j, "daddr", retrans_addr(k->family, k->daddr, b, sizeof(b)));
		json_uint(j, "dport", k->dport);
		json_uint(j, "netns", k->netns);
		json_uint(j, "count", flows[i].retransmits + flows[i].synack);
		json_uint(j, "synack", flows[i].synack);
		json_object_end(j);
	}
	json_array_end(j);
	free(r);
	free(flows);
}
