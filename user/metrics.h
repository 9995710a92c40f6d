/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus exposition writer: families of counters, gauges and histograms, written into
 * a growable buffer in the text format 0.0.4 or in OpenMetrics 1.0. Pure: no I/O, so it is
 * unit-tested; monitor.c serves or writes the buffer.
 *
 * Use:
 *	struct metrics m;
 *	const char *lab[] = { "reason", "NO_SOCKET", "category", "socket", NULL };
 *
 *	metrics_init(&m, METRICS_TEXT);
 *	metrics_family(&m, "dropscope_kernel_drops_total", METRIC_COUNTER, "Packets the kernel...");
 *	metrics_counter(&m, lab, 42);
 *	...
 *	if (metrics_finish(&m))	   (-ENOMEM or -EINVAL: see m.err)
 *		...
 *	write(fd, m.buf, m.len);
 *	metrics_free(&m);
 *
 * Names: a family is named as in the text format 0.0.4, so a counter's name ends in "_total"
 * (metrics_family refuses one that does not); in OpenMetrics its metadata names the family
 * without the suffix and its samples keep it, as that format wants. Metric and label names must
 * match [a-zA-Z_:][a-zA-Z0-9_:]* ([a-zA-Z_][a-zA-Z0-9_]* for labels); a bad name sets m.err to
 * -EINVAL (a programming error, caught by the tests) and writes nothing. Label values are any
 * bytes: backslash, double quote and newline are escaped. The writer does not check that a
 * family is written once or that its label sets differ: the caller's families are fixed.
 *
 * Errors are sticky: after the first failure (m.err < 0) every call does nothing, and
 * metrics_finish returns it. So a caller writes everything and checks once.
 */
#ifndef DS_METRICS_H
#define DS_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metrics_format {
	METRICS_TEXT,	     /* text/plain; version=0.0.4 */
	METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metrics {
	char *buf; /* NUL-terminated; owned, freed by metrics_free */
	size_t len, cap;
	int err; /* 0, or the first failure: -ENOMEM, -EINVAL */
	enum metrics_format format;
	/* The family being written: samples use its name and are checked against its type. */
	char family[128];
	enum metric_type type;
	int in_family;
};

void metrics_init(struct metrics *m, enum metrics_format format);
/*
 * Start a family: its "# HELP" and "# TYPE" lines. name as in 0.0.4 (counters end in
 * "_total"); help is one line of plain text (backslashes and newlines are escaped).
 */
void metrics_family(struct metrics *m, const char *name, enum metric_type type, const char *help);
/*
 * One sample of the current family, with labels: a NULL-terminated list of name, value pairs
 * (NULL itself for none). metrics_counter for a counter (an exact integer), metrics_gauge for a
 * gauge (NaN and infinities are written as the formats spell them). A sample of the wrong type
 * sets -EINVAL.
 */
void metrics_counter(struct metrics *m, const char *const *labels, uint64_t value);
/* A counter of a quantity that is not a count (seconds): not negative, not NaN. */
void metrics_counter_f(struct metrics *m, const char *const *labels, double value);
void metrics_gauge(struct metrics *m, const char *const *labels, double value);
/*
 * One histogram of the current family: n upper bounds (increasing, finite), and n + 1 counts
 * of observations per bucket, not cumulative: counts[i] those in (bounds[i-1], bounds[i]],
 * counts[n] those above the last bound. Writes the cumulative _bucket{le=...} series with
 * "+Inf", then _sum and _count.
 */
void metrics_histogram(struct metrics *m, const char *const *labels, const double *bounds,
		       const uint64_t *counts, size_t n, double sum);
/* End the exposition (OpenMetrics: "# EOF"). Returns 0 or m->err. */
int metrics_finish(struct metrics *m);
void metrics_free(struct metrics *m);

/* The Content-Type header for a format. */
const char *metrics_content_type(enum metrics_format format);
/*
 * The format to answer an HTTP Accept header with (NULL: none sent): OpenMetrics when it
 * names application/openmetrics-text with a q above 0, the text format otherwise, whatever
 * the q values of the rest (Prometheus asks for both and prefers OpenMetrics).
 */
enum metrics_format metrics_negotiate(const char *accept);

#endif
