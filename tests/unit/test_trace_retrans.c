// SPDX-License-Identifier: GPL-2.0
/*
 * The retransmission report: empty (the common case, every --json run of a quiet host) and with
 * flows. The empty case once copied from a NULL row array, which the sanitizer run of this test
 * (build/san) turns into a failure.
 */
#include <stdlib.h>
#include <string.h>

#include "trace_retrans.h"
#include "tap.h"

static char *render_json(const struct retrans_snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer j;

	json_init(&j, f, false);
	json_object_begin(&j, NULL);
	retrans_json(s, &j);
	json_object_end(&j);
	fclose(f);
	return buf;
}

static char *render_text(const struct retrans_snapshot *s)
{
	struct name_ctx names = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	retrans_text(s, &names, 10, f);
	fclose(f);
	return buf;
}

int main(void)
{
	struct retrans_snapshot empty = {0}, s = {0};
	struct retrans_key k = {.family = 2, .sport = 40000, .dport = 80};
	char *out;

	out = render_json(&empty);
	is_str(out, "{\"retransmits\":[],\"retransmit_flows\":[]}",
	       "no retransmissions: empty JSON arrays");
	free(out);
	out = render_text(&empty);
	is_str(out, "no TCP retransmissions\n", "no retransmissions: one line of text");
	free(out);

	k.saddr[0] = 10, k.saddr[3] = 1;
	k.daddr[0] = 10, k.daddr[3] = 2;
	retrans_snapshot_add(&s, &k, 3, 0);
	k.sport = 40001;
	retrans_snapshot_add(&s, &k, 1, 2);
	out = render_json(&s);
	ok(out && strstr(out, "\"retransmits\":[{\"daddr\":\"10.0.0.2\",\"count\":6,\"synack\":2,"
			      "\"flows\":2}]"),
	   "two flows to one address: one remote with their sum");
	ok(out && strstr(out, "\"sport\":40000") && strstr(out, "\"sport\":40001"),
	   "and both flows listed");
	free(out);
	out = render_text(&s);
	ok(out && strstr(out, "10.0.0.1:40000 -> 10.0.0.2:80"), "text names the flow");
	free(out);
	retrans_snapshot_free(&s);
	return done_testing();
}
