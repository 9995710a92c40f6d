// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor's probing, the parts that need no root: its settings are checked, its target
 * list is checked and reloaded keeping the targets that stay, and its metric families have one
 * series per target (and per where and verdict) before any probe, none of a dropped target.
 * The events its table has no room for are counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor_probe.h"
#include "tap.h"

static const struct mprobe_host host = {
	.drops_fd = -1, .retrans_fd = -1, .ifnames_fd = -1, .stats_fd = -1};

static char *expose(struct mprobe *m)
{
	struct metrics mx;
	char *s;

	metrics_init(&mx, METRICS_TEXT);
	mprobe_metrics(m, &mx);
	if (metrics_finish(&mx)) {
		metrics_free(&mx);
		return NULL;
	}
	s = strdup(mx.buf);
	metrics_free(&mx);
	return s;
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
		n += !strncmp(l, prefix, strlen(prefix));
	return n;
}

static void test_config(void)
{
	struct mprobe_config cfg;
	struct mprobe *m;

	mprobe_config_init(&cfg);
	is_near(cfg.budget, 20, 0, "default budget: 20 probes a second per target");
	is_near(cfg.budget * cfg.dest_share, 15, 1e-9, "15 of them to the destination");
	is_near(cfg.segment_s, 60, 0, "segments (and records) of a minute");
	is_int(mprobe_new(&cfg, &host, &m), 0, "the defaults are accepted");
	mprobe_free(m);
	cfg.dest_share = 1;
	is_int(mprobe_new(&cfg, &host, &m), -EINVAL,
	       "all of the budget to the destination: refused");
	ok(!m, "and nothing is returned");
	mprobe_config_init(&cfg);
	cfg.budget = 0;
	is_int(mprobe_new(&cfg, &host, &m), -EINVAL, "a zero budget is refused");
	mprobe_config_init(&cfg);
	cfg.segment_s = 1;
	is_int(mprobe_new(&cfg, &host, &m), -EINVAL, "a 1 s segment is refused");
	mprobe_config_init(&cfg);
	cfg.rule.p1 = cfg.rule.p0;
	is_int(mprobe_new(&cfg, &host, &m), -EINVAL, "a bad episode rule is refused");
}

static void test_targets(void)
{
	struct mprobe_config cfg;
	struct mprobe *m;
	const char *ab[] = {"a.example", "b.example"}, *bc[] = {"b.example", "c.example"};
	const char *dup[] = {"a.example", "a.example"}, *empty[] = {""};
	const char *many[MPROBE_MAX_TARGETS + 1];
	char *text;

	mprobe_config_init(&cfg);
	mprobe_new(&cfg, &host, &m);
	is_int(mprobe_set_targets(m, dup, 2), -EINVAL, "a target listed twice is refused");
	is_int(mprobe_set_targets(m, empty, 1), -EINVAL, "an empty target is refused");
	for (size_t i = 0; i <= MPROBE_MAX_TARGETS; i++)
		many[i] = "x";
	is_int(mprobe_set_targets(m, many, MPROBE_MAX_TARGETS + 1), -EINVAL,
	       "more than %d targets are refused", MPROBE_MAX_TARGETS);

	is_int(mprobe_set_targets(m, ab, 2), 0, "two targets");
	text = expose(m);
	ok(text != NULL, "the families are written");
	is_int(count_lines(text, "dropscope_probe_sent_total{"), 2, "a sent series per target");
	is_int(count_lines(text, "dropscope_probe_sent_total{target=\"a.example\"} 0"), 1,
	       "at 0 before any probe");
	is_int(count_lines(text, "dropscope_probe_lost_total{"), 6, "three wheres per target");
	is_int(count_lines(text,
			   "dropscope_probe_lost_total{target=\"a.example\",where=\"network\"}"),
	       1, "one of them network");
	is_int(count_lines(text, "dropscope_episodes_total{"), 10, "five verdicts per target");
	is_int(count_lines(text, "dropscope_verdict{"), 0, "no verdict before the first segment");
	is_int(count_lines(text, "dropscope_hop_sent_total{"), 0, "no hop before a path is known");
	is_int(count_lines(text, "dropscope_probe_rtt_seconds_bucket{target=\"b.example\""), 13,
	       "an RTT histogram per target: 12 bounds and +Inf");
	is_int(count_lines(text, "# TYPE dropscope_probe_rtt_seconds histogram"), 1,
	       "typed histogram");
	free(text);

	is_int(mprobe_set_targets(m, bc, 2), 0, "reloaded: b stays, a goes, c comes");
	text = expose(m);
	is_int(count_lines(text, "dropscope_probe_sent_total{target=\"a.example\"}"), 0,
	       "a's series are gone");
	is_int(count_lines(text, "dropscope_probe_sent_total{target=\"c.example\"}"), 1,
	       "c's are there");
	free(text);
	mprobe_free(m);
}

/* The table of watched events holds 100000 (since the draining segment's start less 2 s): the
 * rest are counted. */
static void test_events_full(void)
{
	const char *a[] = {"a.example"};
	struct mprobe_config cfg;
	struct drop_event e = {.flags = DS_EV_WATCHED, .reason = 2};
	struct mprobe *m = NULL;
	char *text;

	mprobe_config_init(&cfg);
	if (mprobe_new(&cfg, &host, &m) || mprobe_set_targets(m, a, 1)) {
		ok(0, "a monitor for the events");
		return;
	}
	text = expose(m);
	is_int(count_lines(text, "dropscope_events_table_full_total 0"), 1,
	       "no event refused yet: 0");
	free(text);
	for (int i = 0; i < 100000 + 7; i++) {
		e.ts_ns = 1000 + i;
		mprobe_event(m, &e);
	}
	e.flags = 0;
	mprobe_event(m, &e); /* not watched: not the table's */
	text = expose(m);
	is_int(count_lines(text, "dropscope_events_table_full_total 7"), 1,
	       "the 7 events past the table's 100000 are counted");
	is_int(count_lines(text, "# TYPE dropscope_events_table_full_total counter"), 1,
	       "typed counter");
	free(text);
	mprobe_free(m);
}

int main(void)
{
	test_config();
	test_targets();
	test_events_full();
	return done_testing();
}
