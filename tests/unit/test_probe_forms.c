// SPDX-License-Identifier: GPL-2.0
/*
 * The report's CSV and mtr JSON with --flows: a hop where three flows split over two addresses
 * (flows 0 and 2 through the first, 1 through the second) and a silent hop. The CSV gains the
 * columns flows and flow_keys, the mtr JSON a flow count and each hub's hosts with their flows'
 * keys; with one flow both keep their old columns and keys.
 */
#include <stdlib.h>
#include <string.h>

#include "probe_opts.h"
#include "probe_report.h"
#include "tap.h"

static struct probe_hop_report hops[3];
static struct probe_flow_report flows[3];
static struct probe_report r;

static char *render(bool mtr)
{
	struct probe_config cfg = { .count = 10 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (mtr)
		probe_report_mtr_json(&r, &cfg, f);
	else
		probe_report_csv(&r, f);
	fclose(f);
	return buf;
}

/* Line n (0-based) of s, in a static buffer. */
static const char *line(const char *s, int n)
{
	static char out[512];
	const char *e;

	while (n-- > 0 && s && (s = strchr(s, '\n')))
		s++;
	if (!s)
		return "";
	e = strchr(s, '\n');
	snprintf(out, sizeof(out), "%.*s", (int)(e ? e - s : (long)strlen(s)), s);
	return out;
}

/* The last n fields of a CSV line (no quoted commas in these). */
static const char *tail(const char *l, int n)
{
	const char *p = l + strlen(l);

	while (p > l && n > 0)
		if (*--p == ',')
			n--;
	return n ? l : p + 1;
}

static void setup(void)
{
	memset(&r, 0, sizeof(r));
	memset(hops, 0, sizeof(hops));
	snprintf(r.target, sizeof(r.target), "t");
	r.proto = PROBE_TCP;
	r.hops = hops;
	r.nhops = 3;
	for (int i = 0; i < 3; i++) {
		hops[i].ttl = (unsigned int)i + 1;
		hops[i].all_sent = hops[i].sent = 10;
	}
	hops[0].nhosts = 2;
	snprintf(hops[0].hosts[0].address, INET6_ADDRSTRLEN, "10.0.0.1");
	snprintf(hops[0].hosts[1].address, INET6_ADDRSTRLEN, "10.0.0.2");
	hops[0].hosts[0].flows = 2;
	hops[0].hosts[1].flows = 1;
	/* hops[1] silent */
	hops[2].nhosts = 1;
	hops[2].destination = true;
	hops[2].hosts[0].flows = 3;
	snprintf(hops[2].hosts[0].address, INET6_ADDRSTRLEN, "10.0.0.9");
	r.flows = flows;
	r.nflows = 3;
	for (unsigned int f = 0; f < 3; f++) {
		memset(&flows[f], 0, sizeof(flows[f]));
		memset(flows[f].via, PROBE_VIA_NONE, sizeof(flows[f].via));
		flows[f].flow = f;
		flows[f].key = 40000 + f;
		flows[f].via[0] = f == 1 ? 1 : 0;
		flows[f].via[2] = 0;
	}
}

int main(void)
{
	char *s;

	setup();
	s = render(false);
	ok(strstr(line(s, 0), ",rate_limited,destination,flows,flow_keys") != NULL,
	   "csv with flows: the header ends with flows,flow_keys");
	is_str(tail(line(s, 1), 3), "false,2,40000 40002",
	       "hop 1's first address: 2 flows, their keys");
	is_str(tail(line(s, 2), 3), "false,1,40001", "its second address: 1 flow");
	is_str(tail(line(s, 3), 3), "false,0,", "a silent hop: no flows");
	is_str(tail(line(s, 4), 3), "true,3,40000 40001 40002", "the destination: every flow");
	free(s);

	s = render(true);
	ok(strstr(s, "\"flows\": 3") != NULL, "mtr json: the number of flows in report.mtr");
	ok(strstr(s, "\"host\": \"10.0.0.2\",\n            \"flows\": 1,\n            "
		     "\"flow_keys\": [\n              40001\n            ]") != NULL ||
		   strstr(s, "\"host\":\"10.0.0.2\",\"flows\":1,\"flow_keys\":[40001]") != NULL,
	   "a hub's second address, with its flow's key");
	ok(strstr(s, "\"Snt\"") != NULL, "mtr's keys stay");
	free(s);

	r.nflows = 1;
	r.flows = NULL;
	s = render(false);
	ok(strstr(line(s, 0), "flows") == NULL, "csv with one flow: no flows columns");
	is_str(tail(line(s, 1), 1), "false", "a line ends with destination");
	free(s);
	s = render(true);
	ok(strstr(s, "flow") == NULL, "mtr json with one flow: nothing about flows");
	free(s);
	return done_testing();
}
