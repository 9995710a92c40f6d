// SPDX-License-Identifier: GPL-2.0
/* The exposition writer: both formats, escaping, histograms, names it refuses, negotiation. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "metrics.h"
#include "tap.h"

static void text_format(void)
{
	const char *lab[] = {"reason", "NO_SOCKET", "category", "socket", NULL};
	struct metrics m;

	metrics_init(&m, METRICS_TEXT);
	metrics_family(&m, "ds_drops_total", METRIC_COUNTER, "Drops.");
	metrics_counter(&m, lab, 18446744073709551615ull);
	metrics_counter(&m, NULL, 0);
	metrics_counter_f(&m, NULL, 1.5);
	metrics_family(&m, "ds_up", METRIC_GAUGE, "Up.");
	metrics_gauge(&m, NULL, 1);
	metrics_gauge(&m, NULL, 0.25);
	metrics_gauge(&m, NULL, NAN);
	metrics_gauge(&m, NULL, -INFINITY);
	is_int(metrics_finish(&m), 0, "text: finishes");
	is_str(m.buf,
	       "# HELP ds_drops_total Drops.\n"
	       "# TYPE ds_drops_total counter\n"
	       "ds_drops_total{reason=\"NO_SOCKET\",category=\"socket\"} 18446744073709551615\n"
	       "ds_drops_total 0\n"
	       "ds_drops_total 1.5\n"
	       "# HELP ds_up Up.\n"
	       "# TYPE ds_up gauge\n"
	       "ds_up 1\n"
	       "ds_up 0.25\n"
	       "ds_up NaN\n"
	       "ds_up -Inf\n",
	       "text: the 0.0.4 format, counters named with _total in TYPE, no EOF");
	is_int(m.len, strlen(m.buf), "text: len is the string's");
	metrics_free(&m);
}

static void openmetrics_format(void)
{
	const char *lab[] = {"reason", "X", NULL};
	struct metrics m;

	metrics_init(&m, METRICS_OPENMETRICS);
	metrics_family(&m, "ds_drops_total", METRIC_COUNTER, "Say \"drops\".");
	metrics_counter(&m, lab, 7);
	is_int(metrics_finish(&m), 0, "openmetrics: finishes");
	is_str(m.buf,
	       "# HELP ds_drops Say \\\"drops\\\".\n"
	       "# TYPE ds_drops counter\n"
	       "ds_drops_total{reason=\"X\"} 7\n"
	       "# EOF\n",
	       "openmetrics: family without _total, sample with it, quotes escaped in HELP, EOF");
	metrics_free(&m);
}

static void escaping(void)
{
	const char *lab[] = {"target", "a\\b\"c\nd", NULL};
	struct metrics m;

	metrics_init(&m, METRICS_TEXT);
	metrics_family(&m, "ds_x", METRIC_GAUGE, "back\\slash\nnew \"line\"");
	metrics_gauge(&m, lab, 2);
	is_int(metrics_finish(&m), 0, "escaping: finishes");
	is_str(m.buf,
	       "# HELP ds_x back\\\\slash\\nnew \"line\"\n"
	       "# TYPE ds_x gauge\n"
	       "ds_x{target=\"a\\\\b\\\"c\\nd\"} 2\n",
	       "escaping: label value \\ \" newline; HELP \\ and newline (quotes kept in 0.0.4)");
	metrics_free(&m);
}

static void histogram(void)
{
	const char *lab[] = {"target", "t", NULL};
	const double bounds[] = {0.001, 0.5, 2};
	const uint64_t counts[] = {1, 2, 0, 3};
	struct metrics m;

	metrics_init(&m, METRICS_OPENMETRICS);
	metrics_family(&m, "ds_rtt_seconds", METRIC_HISTOGRAM, "RTT.");
	metrics_histogram(&m, lab, bounds, counts, 3, 10.5);
	is_int(metrics_finish(&m), 0, "histogram: finishes");
	is_str(m.buf,
	       "# HELP ds_rtt_seconds RTT.\n"
	       "# TYPE ds_rtt_seconds histogram\n"
	       "ds_rtt_seconds_bucket{target=\"t\",le=\"0.001\"} 1\n"
	       "ds_rtt_seconds_bucket{target=\"t\",le=\"0.5\"} 3\n"
	       "ds_rtt_seconds_bucket{target=\"t\",le=\"2.0\"} 3\n"
	       "ds_rtt_seconds_bucket{target=\"t\",le=\"+Inf\"} 6\n"
	       "ds_rtt_seconds_sum{target=\"t\"} 10.5\n"
	       "ds_rtt_seconds_count{target=\"t\"} 6\n"
	       "# EOF\n",
	       "histogram: cumulative buckets, +Inf, sum, count; le a float in OpenMetrics");
	metrics_free(&m);

	metrics_init(&m, METRICS_TEXT);
	metrics_family(&m, "ds_rtt_seconds", METRIC_HISTOGRAM, "RTT.");
	metrics_histogram(&m, NULL, bounds, counts, 3, 0);
	metrics_finish(&m);
	ok(m.buf && strstr(m.buf, "ds_rtt_seconds_bucket{le=\"2\"} 3\n") &&
		   strstr(m.buf, "ds_rtt_seconds_count 6\n"),
	   "histogram: without labels, le alone");
	metrics_free(&m);
}

static int fails(void (*write)(struct metrics *m))
{
	struct metrics m;
	int err;

	metrics_init(&m, METRICS_TEXT);
	write(&m);
	err = metrics_finish(&m);
	metrics_free(&m);
	return err;
}

static void counter_no_total(struct metrics *m)
{
	metrics_family(m, "ds_drops", METRIC_COUNTER, "x");
}

static void gauge_total(struct metrics *m)
{
	metrics_family(m, "ds_drops_total", METRIC_GAUGE, "x");
}

static void bad_name(struct metrics *m)
{
	metrics_family(m, "1ds", METRIC_GAUGE, "x");
}

static void bad_label(struct metrics *m)
{
	const char *lab[] = {"a-b", "x", NULL};

	metrics_family(m, "ds", METRIC_GAUGE, "x");
	metrics_gauge(m, lab, 1);
}

static void reserved_label(struct metrics *m)
{
	const char *lab[] = {"__name__", "x", NULL};

	metrics_family(m, "ds", METRIC_GAUGE, "x");
	metrics_gauge(m, lab, 1);
}

static void wrong_type(struct metrics *m)
{
	metrics_family(m, "ds", METRIC_GAUGE, "x");
	metrics_counter(m, NULL, 1);
}

static void no_family(struct metrics *m)
{
	metrics_gauge(m, NULL, 1);
}

static void bad_bounds(struct metrics *m)
{
	const double b[] = {1, 1};
	const uint64_t c[] = {0, 0, 0};

	metrics_family(m, "ds_h", METRIC_HISTOGRAM, "x");
	metrics_histogram(m, NULL, b, c, 2, 0);
}

static void negative_counter(struct metrics *m)
{
	metrics_family(m, "ds_s_total", METRIC_COUNTER, "x");
	metrics_counter_f(m, NULL, -1);
}

static void refusals(void)
{
	is_int(fails(counter_no_total), -EINVAL, "refused: a counter not named _total");
	is_int(fails(gauge_total), -EINVAL, "refused: a gauge named _total");
	is_int(fails(bad_name), -EINVAL, "refused: a metric name starting with a digit");
	is_int(fails(bad_label), -EINVAL, "refused: a label name with a dash");
	is_int(fails(reserved_label), -EINVAL, "refused: a reserved label name");
	is_int(fails(wrong_type), -EINVAL, "refused: a counter sample in a gauge family");
	is_int(fails(no_family), -EINVAL, "refused: a sample before any family");
	is_int(fails(bad_bounds), -EINVAL, "refused: histogram bounds not increasing");
	is_int(fails(negative_counter), -EINVAL, "refused: a negative counter");
}

static void growth(void)
{
	char name[64], help[6000];
	struct metrics m;
	int good = 1;

	memset(help, 'h', sizeof(help) - 1);
	help[sizeof(help) - 1] = '\0';
	metrics_init(&m, METRICS_TEXT);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "ds_g%d", i);
		metrics_family(&m, name, METRIC_GAUGE, help);
		metrics_gauge(&m, NULL, i);
	}
	is_int(metrics_finish(&m), 0, "growth: 1.2 MB of families fit");
	for (int i = 0; i < 200 && good; i++) {
		char line[64];

		snprintf(line, sizeof(line), "\nds_g%d %d\n", i, i);
		good = strstr(m.buf, line) != NULL;
	}
	ok(good, "growth: every sample is there after the buffer grew");
	is_int(m.len, strlen(m.buf), "growth: len is the string's");
	metrics_free(&m);
}

static void negotiation(void)
{
	is_int(metrics_negotiate(NULL), METRICS_TEXT, "accept: none -> text");
	is_int(metrics_negotiate("*/*"), METRICS_TEXT, "accept: */* -> text");
	is_int(metrics_negotiate("text/plain;version=0.0.4"), METRICS_TEXT, "accept: text");
	is_int(metrics_negotiate("application/openmetrics-text;version=1.0.0,application/"
				 "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
				 "q=0.5,*/*;q=0.1"),
	       METRICS_OPENMETRICS, "accept: Prometheus' header -> OpenMetrics");
	is_int(metrics_negotiate("text/plain, application/openmetrics-text; q=0"), METRICS_TEXT,
	       "accept: OpenMetrics with q=0 -> text");
	is_int(metrics_negotiate("application/openmetrics-textual"), METRICS_TEXT,
	       "accept: a longer type is not OpenMetrics");
	is_str(metrics_content_type(METRICS_TEXT), "text/plain; version=0.0.4; charset=utf-8",
	       "content type: text");
	ok(!strncmp(metrics_content_type(METRICS_OPENMETRICS),
		    "application/openmetrics-text; version=1.0.0", 43),
	   "content type: OpenMetrics 1.0.0");
}

int main(void)
{
	text_format();
	openmetrics_format();
	escaping();
	histogram();
	refusals();
	growth();
	negotiation();
	return done_testing();
}
