// SPDX-License-Identifier: GPL-2.0
/* `dropscope probe`: the path, hop by hop (the report's forms: probe_report.c). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "json.h"
#include "options.h"
#include "privs.h"
#include "prober.h"
#include "util.h"

enum { OUT_REPORT, OUT_JSON, OUT_CSV, OUT_MTR_JSON };

enum {
	OPT_CSV = 0x6000,
	OPT_OUTPUT,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dropscope probe TARGET [-c COUNT | --duration S] [--proto icmp|udp|tcp | "
		"-T | -u]\n"
		"                       [-P PORT] [-4|-6] [-m MAX_TTL] [-f FIRST_TTL] [-s BYTES]\n"
		"                       [-a ADDR] [-I IFACE] [-n] [-v]\n"
		"                       [-r | -w | -j | --csv | --output FORMAT]\n"
		"\n"
		"Probe the path to TARGET hop by hop, like mtr, and say where loss starts.\n"
		"Hops that ration their ICMP replies (rate-limited) are flagged,\n"
		"not called lossy.\n"
		"Needs CAP_NET_RAW (or root). Ctrl-C prints the report so far.\n"
		"\n"
		"options:\n");
	ds_options_help(f, probe_options);
}

static int output_format(const char *s)
{
	static const char *const names[] = { "report", "json", "csv", "mtr-json" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return (int)i; /* enum OUT_* order */
	return -1;
}

#define PROBE_REDRAW_S 0.5 /* a redraw per round (0.1 s) would only flicker */

static void redraw(struct prober *p, void *ctx)
{
	const struct probe_config *cfg = ctx;
	const struct probe_report *r = prober_report(p);

	if (!r)
		return;
	printf(DS_TERM_CLEAR);
	printf("dropscope probe %s: %.0f s, %llu probes sent; Ctrl-C for the report so far\n\n",
	       cfg->target, r->duration_s, (unsigned long long)r->probes_sent);
	probe_report_text(r, stdout);
	fflush(stdout);
}

/* The command's options: parsing, --help and `dropscope help --options` come from it. */
const struct ds_option probe_options[] = {
	PROBE_DS_OPTIONS,
	{"report", 'r', no_argument, NULL, "the mtr --report style table (the default)"},
	{"report-wide", 'w', no_argument, NULL, "the same: host names are never cut (mtr's -w)"},
	{"output", OPT_OUTPUT, required_argument, "FORMAT",
	 "report, json, csv, or mtr-json (mtr --json's layout:\n"
	 "report.mtr and report.hubs[], for mtr's parsers)"},
	{"json", 'j', no_argument, NULL, "one JSON object (README.md has the schema)"},
	{"csv", OPT_CSV, no_argument, NULL, "one line per hop and responder"},
	{"verbose", 'v', no_argument, NULL, "say more on stderr"},
	{"help", 'h', no_argument, NULL, "this text"},
	{0},
};

int cmd_probe(int argc, char **argv)
{
	struct ds_getopt opts;
	const struct probe_report *r;
	struct probe_config cfg;
	struct json_writer j;
	struct prober *p = NULL;
	int c, rc, out = -1;

	probe_config_init(&cfg);
	if (ds_getopt_init(&opts, probe_options))
		return 1;
	optind = 0;
	while ((c = ds_getopt(argc, argv, &opts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			ds_verbose++;
			break;
		case 'j':
		case 'w': /* names are never cut: the report is always mtr's wide one */
		case 'r':
		case OPT_OUTPUT:
		case OPT_CSV: {
			int want = c == 'j' ? OUT_JSON
				   : c == OPT_CSV	     ? OUT_CSV
							     : OUT_REPORT;

			if (c == OPT_OUTPUT) {
				want = output_format(optarg);
				if (want < 0) {
					ds_err("bad --output '%s': give report, json, csv or mtr-json",
					       optarg);
					return 2;
				}
			}
			if (out >= 0 && out != want) {
				ds_err("--json, --csv, --report and --output exclude each other: give "
				       "one");
				return 2;
			}
			out = want;
			break;
		}
		case '?':
		case ':':
			return ds_option_error("probe", c, argv, &opts);
		default:
			rc = probe_config_option(&cfg, c, optarg);
			if (rc)
				return 2;
		}
	}
	if (optind >= argc) {
		ds_err("failed to start probing: no TARGET given; see 'dropscope probe --help'");
		return 2;
	}
	if (optind + 1 < argc) {
		ds_err("failed to start probing: one TARGET only, got '%s' and '%s'", argv[optind],
		       argv[optind + 1]);
		return 2;
	}
	if (strlen(argv[optind]) >= sizeof(cfg.target)) {
		ds_err("failed to start probing: TARGET is longer than %zu characters",
		       sizeof(cfg.target) - 1);
		return 2;
	}
	snprintf(cfg.target, sizeof(cfg.target), "%s", argv[optind]);
	if (probe_config_finish(&cfg))
		return 2;
	if (out < 0)
		out = OUT_REPORT;
	rc = ds_install_signals();
	if (rc) {
		ds_err("failed to install signal handlers: %s", strerror(-rc));
		return 1;
	}
	if (privs_require(PRIVS_PROBE, "probe"))
		return 1;
	rc = prober_open(&cfg, &p);
	if (rc)
		return probe_error_is_input(rc) ? 2 : 1;
	/* The raw sockets are open: what reads the replies and resolves names needs nothing
	 * more. Never read the network with privileges: a failed drop ends the run. */
	rc = privs_drop_all();
	if (rc) {
		ds_err("failed to drop privileges after opening the raw sockets: %s; refusing to "
		       "read the network with them",
		       strerror(-rc));
		prober_close(p);
		return 1;
	}
	/* On a terminal, the table redrawn as it fills, as mtr does; never in a pipe or a file. */
	if (out == OUT_REPORT && isatty(STDOUT_FILENO))
		prober_on_progress(p, redraw, &cfg, PROBE_REDRAW_S);
	rc = prober_run(p, 0);
	if (out == OUT_REPORT && isatty(STDOUT_FILENO))
		printf(DS_TERM_CLEAR); /* the final report replaces the live one */
	r = prober_report(p);
	if (!r) {
		ds_err("failed to build the report: %s", strerror(ENOMEM));
		prober_close(p);
		return 1;
	}
	if (out == OUT_JSON) {
		json_init(&j, stdout, false);
		json_object_begin(&j, NULL);
		probe_report_json(r, &j);
		json_object_end(&j);
		json_finish(&j);
	} else if (out == OUT_CSV) {
		probe_report_csv(r, stdout);
	} else if (out == OUT_MTR_JSON) {
		probe_report_mtr_json(r, &cfg, stdout);
	} else {
		probe_report_text(r, stdout);
	}
	fflush(stdout);
	if (rc)
		rc = DS_EXIT_ERROR;
	else if (r->has_origin)
		rc = DS_EXIT_NETWORK; /* loss that rises significantly somewhere on the path */
	else if (!r->reached)
		rc = DS_EXIT_NO_ANSWER; /* ping's "no reply": no loss shown, and no answer */
	else
		rc = DS_EXIT_OK;
	prober_close(p);
	return rc;
}
