// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "diagnose_fate.h"

const char *probe_fate_name(enum probe_fate f)
{
	switch (f) {
	case FATE_ANSWERED:
		return "answered";
	case FATE_NETWORK:
		return "network";
	case FATE_EGRESS:
		return "host egress";
	case FATE_INGRESS:
		return "host ingress";
	case FATE_OTHER_NS:
		return "other namespace";
	case FATE_IN_FLIGHT:
		return "in flight";
	case FATE_FILTERED:
		return "filtered by the target";
	default:
		return "refused";
	}
}

/* What a drop says about its probe, strongest first. */
static enum probe_fate drop_fate(const struct seen_drop *d)
{
	return !d->here ? FATE_OTHER_NS : d->reply ? FATE_INGRESS : FATE_EGRESS;
}

static int rank(enum probe_fate f)
{
	return f == FATE_EGRESS ? 3 : f == FATE_INGRESS ? 2 : f == FATE_OTHER_NS ? 1 : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The most frequent value of v[0..n-1] (sorted in place); 0 when n is 0. */
static uint32_t most_frequent(uint32_t *v, size_t n)
{
	uint32_t best = 0;
	size_t best_run = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && v[j] == v[i]; j++)
			;
		if (j - i > best_run) {
			best_run = j - i;
			best = v[i];
		}
	}
	return best;
}

void probe_fates(const struct probe_info *probes, size_t n, const struct seen_drop *drops,
		 size_t ndrops, enum probe_fate *fate, struct fate_totals *t)
{
	uint32_t *egress = calloc(ndrops + 1, sizeof(*egress));
	uint32_t *ingress = calloc(ndrops + 1, sizeof(*ingress));
	size_t ne = 0, ni = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++)
		fate[i] = !probes[i].settled ? FATE_IN_FLIGHT
			  : probes[i].lost   ? FATE_NETWORK
					     : FATE_ANSWERED;
	for (size_t k = 0; k < ndrops; k++) {
		const struct seen_drop *d = &drops[k];
		enum probe_fate f = drop_fate(d);

		/* An answered probe stays answered: a dropped duplicate lost nothing. */
		if (d->index < 0 || (size_t)d->index >= n || fate[d->index] == FATE_ANSWERED ||
		    fate[d->index] == FATE_IN_FLIGHT)
			continue;
		if (rank(f) > rank(fate[d->index]))
			fate[d->index] = f;
	}
	for (size_t k = 0; k < ndrops; k++) {
		const struct seen_drop *d = &drops[k];

		if (d->index < 0 || (size_t)d->index >= n || fate[d->index] != drop_fate(d))
			continue;
		if (fate[d->index] == FATE_EGRESS && egress)
			egress[ne++] = d->reason;
		else if (fate[d->index] == FATE_INGRESS && ingress)
			ingress[ni++] = d->reason;
	}
	for (size_t i = 0; i < n; i++) {
		if (fate[i] == FATE_IN_FLIGHT) {
			t->in_flight++;
			continue;
		}
		if (fate[i] == FATE_NETWORK && probes[i].send_errno)
			fate[i] = FATE_REFUSED;
		t->sent++;
		t->lost += fate[i] != FATE_ANSWERED;
		t->egress += fate[i] == FATE_EGRESS;
		t->ingress += fate[i] == FATE_INGRESS;
		t->other_ns += fate[i] == FATE_OTHER_NS;
		t->refused += fate[i] == FATE_REFUSED;
		t->network += fate[i] == FATE_NETWORK;
	}
	t->egress_reason = most_frequent(egress, ne);
	t->ingress_reason = most_frequent(ingress, ni);
	free(egress);
	free(ingress);
}

static bool has_ns(const uint32_t *ns, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (ns[i] == x)
			return true;
	return false;
}

void probe_fates_filtered(const bool *at_target, size_t n, const struct seen_drop *drops,
			  size_t ndrops, enum probe_fate *fate, struct fate_totals *t)
{
	uint32_t *path = calloc(ndrops + 1, sizeof(*path));
	bool *on_path = calloc(n + 1, sizeof(*on_path));
	size_t npath = 0;

	/* The namespaces that dropped what the target would not have: routers on the way. */
	for (size_t k = 0; path && k < ndrops; k++) {
		const struct seen_drop *d = &drops[k];

		if (d->here || d->index < 0 || (size_t)d->index >= n)
			continue;
		if ((d->reply || !at_target[d->index]) && !has_ns(path, npath, d->netns))
			path[npath++] = d->netns;
	}
	for (size_t k = 0; path && on_path && k < ndrops; k++) {
		const struct seen_drop *d = &drops[k];

		if (!d->here && d->index >= 0 && (size_t)d->index < n &&
		    has_ns(path, npath, d->netns))
			on_path[d->index] = true;
	}
	for (size_t i = 0; i < n; i++) {
		if (!at_target[i] || (fate[i] != FATE_NETWORK && fate[i] != FATE_OTHER_NS))
			continue;
		/* Dropped in another namespace: the target's own (a lab, a container) unless it is
		 * one on the path. */
		if (fate[i] == FATE_OTHER_NS && (!path || !on_path || on_path[i]))
			continue;
		t->network -= fate[i] == FATE_NETWORK;
		t->other_ns -= fate[i] == FATE_OTHER_NS;
		fate[i] = FATE_FILTERED;
		t->lost--;
		t->filtered++;
	}
	free(on_path);
	free(path);
}
