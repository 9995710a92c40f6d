// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics.h"

void metrics_init(struct metrics *m, enum metrics_format format)
{
	memset(m, 0, sizeof(*m));
	m->format = format;
}

void metrics_free(struct metrics *m)
{
	free(m->buf);
	m->buf = NULL;
	m->len = m->cap = 0;
}

static int reserve(struct metrics *m, size_t more)
{
	size_t cap = m->cap ? m->cap : 4096;
	char *p;

	if (m->err)
		return m->err;
	while (cap - m->len < more + 1)
		cap *= 2;
	if (cap == m->cap)
		return 0;
	p = realloc(m->buf, cap);
	if (!p)
		return m->err = -ENOMEM;
	m->buf = p;
	m->cap = cap;
	return 0;
}

static void put(struct metrics *m, const char *s, size_t n)
{
	if (reserve(m, n))
		return;
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

static void puts_(struct metrics *m, const char *s)
{
	put(m, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) putf(struct metrics *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(m, n))
		return;
	va_start(ap, fmt);
	vsnprintf(m->buf + m->len, n + 1, fmt, ap);
	va_end(ap);
	m->len += n;
}

/* Escape backslash and newline, and the double quote where quote says (label values, and
 * OpenMetrics' HELP text). */
static void put_escaped(struct metrics *m, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(m, "\\\\");
		else if (*s == '\n')
			puts_(m, "\\n");
		else if (*s == '"' && quote)
			puts_(m, "\\\"");
		else
			put(m, s, 1);
	}
}

static int valid_name(const char *s, int colon)
{
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			    (colon && *p == ':');

		if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
			return 0;
	}
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static const char *const type_names[] = {"counter", "gauge", "histogram"};

void metrics_family(struct metrics *m, const char *name, enum metric_type type, const char *help)
{
	size_t len = strlen(name);

	if (m->err)
		return;
	if (!valid_name(name, 1) || len >= sizeof(m->family) - 16 ||
	    (type == METRIC_COUNTER) != ends_with(name, "_total")) {
		m->err = -EINVAL;
		return;
	}
	snprintf(m->family, sizeof(m->family), "%s", name);
	m->type = type;
	m->in_family = 1;
	/* OpenMetrics names a counter's family without the suffix its samples carry. */
	if (m->format == METRICS_OPENMETRICS && type == METRIC_COUNTER)
		len -= strlen("_total");
	putf(m, "# HELP %.*s ", (int)len, name);
	put_escaped(m, help, m->format == METRICS_OPENMETRICS);
	putf(m, "\n# TYPE %.*s %s\n", (int)len, name, type_names[type]);
}

/* name{labels[,extra="value"]} ; extra may be NULL. */
static void put_series(struct metrics *m, const char *suffix, const char *const *labels,
		       const char *extra, const char *extra_value)
{
	int first = 1;

	for (const char *const *l = labels; l && l[0]; l += 2)
		if (!l[1] || !valid_name(l[0], 0) || !strncmp(l[0], "__", 2)) {
			m->err = m->err ? m->err : -EINVAL;
			return;
		}
	putf(m, "%s%s", m->family, suffix);
	for (const char *const *l = labels; l && l[0]; l += 2) {
		putf(m, "%s%s=\"", first ? "{" : ",", l[0]);
		put_escaped(m, l[1], 1);
		puts_(m, "\"");
		first = 0;
	}
	if (extra) {
		putf(m, "%s%s=\"%s\"", first ? "{" : ",", extra, extra_value);
		first = 0;
	}
	if (!first)
		puts_(m, "}");
}

/* A float as both formats spell it: integers without exponent where exact, else %.17g. */
static void fmt_double(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "NaN");
	else if (isinf(v))
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.17g", v);
}

static int sample_ok(struct metrics *m, enum metric_type type)
{
	if (m->err)
		return 0;
	if (!m->in_family || m->type != type) {
		m->err = -EINVAL;
		return 0;
	}
	return 1;
}

void metrics_counter(struct metrics *m, const char *const *labels, uint64_t value)
{
	if (!sample_ok(m, METRIC_COUNTER))
		return;
	/* The family's name already ends in _total, as both formats want the sample named. */
	put_series(m, "", labels, NULL, NULL);
	putf(m, " %llu\n", (unsigned long long)value);
}

void metrics_counter_f(struct metrics *m, const char *const *labels, double value)
{
	char v[40];

	if (!sample_ok(m, METRIC_COUNTER))
		return;
	if (!(value >= 0)) {
		m->err = -EINVAL;
		return;
	}
	fmt_double(v, sizeof(v), value);
	put_series(m, "", labels, NULL, NULL);
	putf(m, " %s\n", v);
}

void metrics_gauge(struct metrics *m, const char *const *labels, double value)
{
	char v[40];

	if (!sample_ok(m, METRIC_GAUGE))
		return;
	fmt_double(v, sizeof(v), value);
	put_series(m, "", labels, NULL, NULL);
	putf(m, " %s\n", v);
}

void metrics_histogram(struct metrics *m, const char *const *labels, const double *bounds,
		       const uint64_t *counts, size_t n, double sum)
{
	unsigned long long cum = 0;
	char le[40];

	if (!sample_ok(m, METRIC_HISTOGRAM))
		return;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1])) {
			m->err = -EINVAL;
			return;
		}
	}
	for (size_t i = 0; i <= n; i++) {
		cum += counts[i];
		if (i < n)
			fmt_double(le, sizeof(le), bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		/* OpenMetrics wants le as a float ("1.0"), the text format takes either. */
		if (m->format == METRICS_OPENMETRICS && i < n && !strpbrk(le, ".e"))
			strcat(le, ".0");
		put_series(m, "_bucket", labels, "le", le);
		putf(m, " %llu\n", cum);
	}
	fmt_double(le, sizeof(le), sum);
	put_series(m, "_sum", labels, NULL, NULL);
	putf(m, " %s\n", le);
	put_series(m, "_count", labels, NULL, NULL);
	putf(m, " %llu\n", cum);
}

int metrics_finish(struct metrics *m)
{
	if (m->format == METRICS_OPENMETRICS)
		puts_(m, "# EOF\n");
	/* An empty exposition is still a string. */
	reserve(m, 0);
	if (!m->err && m->buf)
		m->buf[m->len] = '\0';
	return m->err;
}

const char *metrics_content_type(enum metrics_format format)
{
	return format == METRICS_OPENMETRICS
		       ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		       : "text/plain; version=0.0.4; charset=utf-8";
}

/* The q of one media range's parameters ("; version=1.0.0; q=0.5"): 1 when absent. */
static double range_q(const char *params, size_t len)
{
	const char *p = params, *end = params + len;

	while (p < end) {
		const char *semi = memchr(p, ';', end - p);

		p = semi ? semi + 1 : end;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
			return strtod(p + 2, NULL);
	}
	return 1;
}

enum metrics_format metrics_negotiate(const char *accept)
{
	const char *p = accept, *om = "application/openmetrics-text";

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		if (len >= strlen(om) && !strncasecmp(p, om, strlen(om)) &&
		    (len == strlen(om) || p[strlen(om)] == ';' || p[strlen(om)] == ' ') &&
		    range_q(p + strlen(om), len - strlen(om)) > 0)
			return METRICS_OPENMETRICS;
		p = comma ? comma + 1 : NULL;
	}
	return METRICS_TEXT;
}
