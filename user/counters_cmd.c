// SPDX-License-Identifier: GPL-2.0
/*
 * dropscope counters: what the host's own counters say about loss over a window, worst first,
 * with evidence and fixes. Reads only; changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "commands.h"
#include "counters_findings.h"
#include "counters_host.h"
#include "counters_delta.h"
#include "json.h"
#include "netns.h"
#include "util.h"

#define DEFAULT_WINDOW_S 5 /* seconds */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dropscope counters [--interval S] [--duration S] [--netns NS] [--json] "
		"[--all]\n"
		"\n"
		"Reads the host's loss counters (interfaces and their drivers, softnet, SNMP, "
		"conntrack,\n"
		"qdiscs, sockets, and the tuning that governs them) at the start and the end of a "
		"window\n"
		"(and at least every 10 s between, so that 32-bit counters cannot wrap unseen), "
		"and "
		"reports\n"
		"what moved: findings worst first, each with its counter evidence and the fix as "
		"commands\n"
		"that persist. Nothing is changed.\n"
		"\n");
	ds_options_help(f, counters_options);
	fprintf(f, "\nCtrl-C ends the window early and still prints the report. Exit status: 0, 1 "
		   "if a\n"
		   "source could not be read (the rest is still reported), 2 for bad usage.\n");
}

/*
 * Internal snapshots are at most this far apart, whatever the window: a 32-bit counter (softnet,
 * qdisc drops, socket drops) must not wrap twice, or by half its range, between two of them.
 * The steps are added up (host_delta_extend), so the report still covers the whole window.
 */
#define MAX_STEP_S 10.0

static void print_interval_text(const struct finding *f, size_t n, double end_s, size_t idx,
				double interval_s, bool color)
{
	printf("[%6.1fs] interval %zu (%.2f s): %s\n", end_s, idx, interval_s,
	       n ? "" : "nothing lost");
	for (size_t i = 0; i < n; i++) {
		const char *sev = finding_severity_name(f[i].severity);

		printf("  %s%-8s%s %s: %s\n", color ? DS_SGR_BOLD : "", sev,
		       color ? DS_SGR_RESET : "", f[i].id, f[i].summary);
	}
	fflush(stdout);
}

static void print_report_text(const struct host_delta *d, const struct finding *f, size_t n,
			      bool all, bool color)
{
	const struct host_counters *hc = d->now;

	printf("dropscope counters: namespace %s, window %.2f s\n\n", hc->netns, d->interval_s);
	if (n)
		findings_text(f, n, stdout, color);
	else
		printf("No loss: no drop or error counter moved in this window.\n");
	if (!hc->ct_in_use)
		printf("\nconntrack: not in use\n");
	else if (!hc->ct_err && hc->ct_max)
		printf("\nconntrack: %llu of %llu entries (%.1f%%)\n",
		       (unsigned long long)hc->ct_count, (unsigned long long)hc->ct_max,
		       100.0 * (double)hc->ct_count / (double)hc->ct_max);
	printf("\nCounters that moved:\n");
	host_delta_text(d, stdout, all ? 1000000 : 24);
}

/* The end of the JSON document: the summary over the whole window. */
static void print_summary_json(struct json_writer *j, const struct host_delta *d,
			       const struct finding *f, size_t n)
{
	json_double(j, "interval_s", d->interval_s, 3);
	findings_json(f, n, j, "findings");
	host_delta_json(d, j, "counters");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The benchmarking aid (scripts/bench-counters.sh): time N snapshots, then one delta. */
static int bench(const struct netns_ref *ns, unsigned long n)
{
	struct host_counters *a = NULL, *b = NULL;
	struct host_delta *d = NULL;
	struct finding *f = NULL;
	size_t nf = 0, nif = 0, bytes = 0;
	double *ms = calloc(n, sizeof(*ms)), t0, delta_ms;
	struct rusage ru;
	int err = 0;

	if (!ms)
		return 1;
	for (unsigned long i = 0; i < n && !ds_stop; i++) {
		t0 = mono_now();
		err = host_counters_read(ns, &b);
		if (err) {
			ds_err("failed to read the counters: %s", strerror(-err));
			goto cleanup;
		}
		ms[i] = (mono_now() - t0) * 1000;
		nif = b->n_ifaces;
		bytes = host_counters_size(b);
		if (a)
			host_counters_free(a);
		a = b;
		b = NULL;
	}
	err = host_counters_read(ns, &b);
	if (err)
		goto cleanup;
	t0 = mono_now();
	err = host_counters_delta(a, b, &d);
	if (!err)
		err = findings_compute(d, &f, &nf);
	delta_ms = (mono_now() - t0) * 1000;
	if (err)
		goto cleanup;
	qsort(ms, n, sizeof(*ms), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("reads %lu interfaces %zu median_ms %.3f p95_ms %.3f max_ms %.3f "
	       "delta_findings_ms %.3f snapshot_kb %.1f maxrss_kb %ld errors %zu\n",
	       n, nif, ms[n / 2], ms[(size_t)((n - 1) * 0.95)], ms[n - 1], delta_ms, bytes / 1024.0,
	       ru.ru_maxrss, a->n_errors);
cleanup:
	free(ms);
	free(f);
	host_delta_free(d);
	host_counters_free(a);
	host_counters_free(b);
	return err ? 1 : 0;
}

/* *acc, a delta up to before, extended to after (or made from before to after). */
static int add_step(struct host_delta **acc, const struct host_counters *before,
		    const struct host_counters *after)
{
	return *acc ? host_delta_extend(*acc, after) : host_counters_delta(before, after, acc);
}

static int read_or_report(const struct netns_ref *ns, struct host_counters **out)
{
	int err = host_counters_read(ns, out);

	if (err == -EPERM)
		netns_report("enter", ns->name, err);
	else if (err)
		ds_err("failed to read the host counters in namespace '%s': %s", ns->name,
		       strerror(-err));
	return err;
}

enum { OPT_ALL = 0x100, OPT_BENCH, OPT_STEP };

/* The command's options: parsing, --help and `dropscope help --options` come from it. */
const struct ds_option counters_options[] = {
	{"duration", 'd', required_argument, "S",
	 "length of the window (default " DS_STR(DEFAULT_WINDOW_S) " s; 500ms, 2s, 1m ...)"},
	{"interval", 'i', required_argument, "S",
	 "refresh interval: also report every S seconds while the\n"
	 "window runs; without --duration, run until Ctrl-C. The\n"
	 "summary covers the whole window."},
	{"netns", 'N', required_argument, "NS",
	 "the namespace to read: self (default), a name from\n"
	 "'ip netns', or a path such as /proc/PID/ns/net"},
	{"json", 'j', no_argument, NULL, "one JSON document (schema in README.md)"},
	{"all", OPT_ALL, no_argument, NULL,
	 "list every counter that moved, not only the first lines"},
	{"verbose", 'v', no_argument, NULL, "say more on stderr"},
	{"help", 'h', no_argument, NULL, "this text"},
	{"bench", OPT_BENCH, required_argument, "N", "time N reads of the counters", true},
	{"step", OPT_STEP, required_argument, "S", "the longest step between snapshots", true},
	{0},
};

int cmd_counters(int argc, char **argv)
{
	struct ds_getopt opts;
	const char *ns_spec = "self";
	double interval = 0, duration = 0;
	bool json = false, all = false, intervals, color;
	unsigned long bench_n = 0;
	double max_step = MAX_STEP_S;
	struct netns_ref ns = {.fd = -1};
	struct host_counters *last = NULL, *cur = NULL;
	struct host_delta *total = NULL, *ivd = NULL;
	struct finding *f = NULL;
	struct json_writer j;
	size_t nf = 0, n_iv = 0;
	double start, end, iv_start, next_report;
	int c, err = 0, rc = 0;

	if (ds_getopt_init(&opts, counters_options))
		return 1;
	optind = 0;
	while ((c = ds_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case 'i':
			if (parse_duration(optarg, false, &interval)) {
				ds_err("invalid --interval '%s': give a positive duration such as "
				       "1, "
				       "500ms or 2s",
				       optarg);
				return 2;
			}
			break;
		case 'd':
			if (parse_duration(optarg, false, &duration)) {
				ds_err("invalid --duration '%s': give a positive duration such as "
				       "5, "
				       "10s or 1m",
				       optarg);
				return 2;
			}
			break;
		case 'N':
			ns_spec = optarg;
			break;
		case 'v':
			ds_verbose++;
			break;
		case 'j':
			json = true;
			break;
		case OPT_ALL:
			all = true;
			break;
		case OPT_BENCH:
			if (parse_ulong(optarg, 1, 1000000, &bench_n)) {
				ds_err("invalid --bench '%s': give a count of reads", optarg);
				return 2;
			}
			break;
		case OPT_STEP:
			/* Testing aid: the steps, shorter than MAX_STEP_S, in a short test. */
			if (parse_duration(optarg, false, &max_step) || max_step > MAX_STEP_S) {
				ds_err("invalid --step '%s': give a duration up to %.0f s", optarg,
				       MAX_STEP_S);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return ds_option_error("counters", c, argv, &opts);
		}
	}
	if (optind < argc) {
		ds_err("unexpected argument '%s'; see 'dropscope counters --help'", argv[optind]);
		return 2;
	}
	if (interval && duration && interval > duration) {
		ds_err("--interval (%g s) is longer than --duration (%g s): make it shorter",
		       interval, duration);
		return 2;
	}
	intervals = interval > 0;
	if (!duration && !intervals)
		duration = DEFAULT_WINDOW_S;

	err = netns_resolve(ns_spec, &ns);
	if (!err && ns.all) {
		ds_err("counters reads one namespace at a time: give --netns self, a name or a "
		       "path");
		netns_close(&ns);
		return 2;
	}
	if (err) {
		netns_report("open", ns_spec, err);
		return 2;
	}
	ds_install_signals();
	if (bench_n) {
		rc = bench(&ns, bench_n);
		goto cleanup;
	}

	color = !json && use_color();
	if (read_or_report(&ns, &last)) {
		rc = 1;
		goto cleanup;
	}
	start = last->t;
	end = duration ? start + duration : 0;
	if (duration)
		fprintf(stderr,
			"dropscope: counters: baseline taken in namespace %s; measuring for "
			"%.2f s\n",
			ns.name, duration);
	else
		fprintf(stderr,
			"dropscope: counters: baseline taken in namespace %s; reporting "
			"every %.2f s until Ctrl-C\n",
			ns.name, interval);
	if (json) {
		/* With intervals the document is written as they end, so that a run of any
		 * length holds one interval in memory, not all of them. */
		json_init(&j, stdout, isatty(STDOUT_FILENO));
		json_object_begin(&j, NULL);
		json_string(&j, "netns", last->netns);
		if (intervals)
			json_array_begin(&j, "intervals");
	}

	iv_start = start;
	next_report = intervals ? start + interval : end;
	if (end && next_report > end)
		next_report = end;
	while (!ds_stop) {
		double deadline = next_report;
		bool done, report;

		if (last->t + max_step < deadline)
			deadline = last->t + max_step;
		sleep_until(deadline);
		if (read_or_report(&ns, &cur)) {
			rc = 1;
			break;
		}
		err = add_step(&total, last, cur);
		if (!err && intervals)
			err = add_step(&ivd, last, cur);
		host_counters_free(last);
		last = cur;
		cur = NULL;
		if (err) {
			ds_err("failed to add up the counters: %s", strerror(-err));
			rc = 1;
			break;
		}
		done = ds_stop || (end && last->t >= end - 1e-6);
		report = intervals && (done || last->t >= next_report - 1e-6);
		if (report) {
			err = findings_compute(ivd, &f, &nf);
			if (err) {
				ds_err("failed to compute the interval's findings: %s",
				       strerror(-err));
				rc = 1;
				break;
			}
			n_iv++;
			if (json) {
				json_object_begin(&j, NULL);
				json_double(&j, "start_s", iv_start - start, 3);
				json_double(&j, "interval_s", ivd->interval_s, 3);
				findings_json(f, nf, &j, "findings");
				json_object_end(&j);
				fflush(stdout);
			} else {
				print_interval_text(f, nf, last->t - start, n_iv, ivd->interval_s,
						    color);
			}
			free(f);
			f = NULL;
			nf = 0;
			host_delta_free(ivd);
			ivd = NULL;
			iv_start = last->t;
			next_report = start + (double)(n_iv + 1) * interval;
			if (end && next_report > end)
				next_report = end;
		}
		if (done)
			break;
	}

	if (total) {
		err = findings_compute(total, &f, &nf);
		if (err) {
			ds_err("failed to compute the findings: %s", strerror(-err));
			rc = 1;
		} else {
			/* What could not be read, then the report: a missing source never hides
			 * the rest. */
			host_counters_print_errors(total->now, stderr);
			if (host_counters_failed(total->now))
				rc = rc ? rc : 1;
		}
	} else {
		ds_err("stopped before anything was measured");
		rc = 1;
	}
	if (json) {
		if (intervals)
			json_array_end(&j);
		if (total && !err)
			print_summary_json(&j, total, f, nf);
		else
			json_string(&j, "error", "nothing measured");
		json_object_end(&j);
		json_finish(&j);
		fflush(stdout);
	} else if (total && !err) {
		if (intervals)
			printf("\n");
		print_report_text(total, f, nf, all, color);
	}
cleanup:
	free(f);
	host_delta_free(total);
	host_delta_free(ivd);
	host_counters_free(last);
	host_counters_free(cur);
	netns_close(&ns);
	return rc;
}
