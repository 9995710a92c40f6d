// SPDX-License-Identifier: GPL-2.0
/*
 * dropscope diagnose TARGET: for --duration seconds, the kernel drop tracer (all namespaces,
 * watching the prober's packets), the host counters and the path prober run at once; then:
 *  - every lost probe is placed: dropped here on the way out, its answer dropped here on the way
 *    in, or lost outside (diagnose_fate.c);
 *  - the path's loss is attributed again without the probes this host lost (mtr would blame the
 *    first hop for a host that drops its replies);
 *  - this host's own drops and counters, other namespaces apart, and TCP retransmissions;
 *  - the verdict (diagnose_verdict.c), the evidence, and what to do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "diagnose.h"
#include "diagnose_merge.h"
#include "trace_table.h"
#include "counters_findings.h"
#include "counters_host.h"
#include "kallsyms.h"
#include "kfeatures.h"
#include "netns.h"
#include "privs.h"
#include "probe_child.h"
#include "probe_report.h"
#include "diagnose_fate.h"
#include "trace_retrans.h"
#include "trace_bpf.h"
#include "util.h"
#include "diagnose_verdict.h"
#include "fix_cmd.h"

#define MAX_EVENTS 200000

static int on_event(void *ctx, const struct drop_event *e)
{
	struct diag *d = ctx;

	if (!(e->flags & DS_EV_WATCHED))
		return 0;
	if (d->nevents >= MAX_EVENTS ||
	    array_reserve((void **)&d->events, &d->cap_events, d->nevents + 1, sizeof(*e))) {
		d->events_missed++;
		return 0;
	}
	d->events[d->nevents++] = *e;
	return 0;
}


static int start_tracer(struct diag *d)
{
	struct tracer_config cfg = { .watch = true, .retransmits = true };
	const struct probe_identity id = d->id;
	int err;

	if (!have_vmlinux_btf()) {
		ds_err("this kernel has no BTF (%s): diagnosing without the kernel drop tracer",
		       VMLINUX_BTF);
		return -ENOENT;
	}
	if (!kernel_btf()) {
		err = -errno;
		ds_err("failed to read the kernel's BTF (%s): %s; diagnosing without the "
		       "kernel drop tracer",
		       VMLINUX_BTF, strerror(-err));
		return err;
	}
	err = reasons_from_scan(kernel_btf(), "/sys/kernel/btf", &d->reasons);
	if (err) {
		ds_err("failed to read drop reasons from the kernel's BTF: %s", strerror(-err));
		return err;
	}
	if (ds_verbose)
		reasons_print_not_in_table(d->reasons, stderr);
	cfg.mode = d->o->attach_tracepoint ? ATTACH_TRACEPOINT : ATTACH_AUTO;
	/* Only packets from or to the prober's address: ICMP (probes, answers, errors quoting
	 * them), and UDP or TCP probes and their answers by our source port. Anything wider would
	 * flood the ring buffer on a busy host and lose the very drops that matter. */
	cfg.watch_family = id.family == AF_INET6 ? 6 : 4;
	memcpy(cfg.watch_addr, id.src, 16);
	cfg.watch_l4_proto = id.l4proto;
	cfg.watch_port_lo = id.sport;
	cfg.watch_port_hi = (uint16_t)(id.sport + (id.nflows ? id.nflows - 1 : 0));
	err = tracer_open(&cfg, d->reasons, on_event, d, &d->tracer);
	if (!err)
		d->tracer_name = attach_mode_name(d->tracer->mode);
	if (err)
		ds_err("diagnosing without the kernel drop tracer");
	return err;
}

static void gather(struct diag *d)
{
	int err;

	if (d->tracer) {
		struct ds_stats st;

		tracer_poll(d->tracer, 0);
		if (!read_stats(tracer_stats_fd(d->tracer), &st))
			d->vin.events_lost = st.events_lost + d->events_missed;
		if (d->vin.events_lost)
			ds_err("the tracer lost %llu reports of the prober's packets (ring buffer full): "
			       "this server's drops may be undercounted",
			       (unsigned long long)d->vin.events_lost);
		drop_snapshot_read(tracer_drops_fd(d->tracer), &d->drops);
		retrans_snapshot_read(tracer_retrans_fd(d->tracer), &d->retrans);
		ifname_table_read(tracer_ifnames_fd(d->tracer), &d->ifnames);
	}
	d->names.reasons = d->reasons;
	d->names.ifnames = &d->ifnames;
	d->names.self_netns = d->self_netns;

	err = host_counters_read(&d->ns, &d->after);
	if (!err && d->before && !host_counters_delta(d->before, d->after, &d->delta))
		findings_compute(d->delta, &d->findings, &d->nfindings);
	if (d->after && host_counters_failed(d->after))
		host_counters_print_errors(d->after, stderr);
}

static void diag_free(struct diag *d)
{
	tracer_close(d->tracer);
	probe_child_close(d->prober);
	free(d->events);
	free(d->fates);
	free(d->seen);
	diagnose_free_merged(d);
	host_counters_free(d->before);
	host_counters_free(d->after);
	ifname_table_free(&d->ifnames);
	ksyms_source_close(&d->ksyms_own);
	reasons_free(d->reasons);
	netns_close(&d->ns);
}

/*
 * On a terminal, one line redrawn each second while the run goes: the time, the probes sent and
 * lost, how many of the prober's packets this host dropped, and what that points to so far
 * (the verdict itself needs the whole run: the merge, the path's statistics, the counters).
 */
static void print_status(struct diag *d)
{
	struct probe_progress pr = probe_child_progress(d->prober);
	uint64_t here = 0;
	const char *so_far;

	for (size_t i = 0; i < d->nevents; i++) {
		enum drop_category c = reasons_category(d->reasons, d->events[i].reason);

		here += d->events[i].netns == d->self_netns && c != CAT_NORMAL &&
			c != CAT_UNSPECIFIED;
	}
	/* Loss is what reaches the destination; "here" counts the prober's packets this host
	 * dropped, probes and answers, so it points at this server, not at a share. */
	if (!pr.dest_lost && !here)
		so_far = "no loss";
	else if (here && pr.dest_lost > here)
		so_far = "loss here and beyond";
	else if (here)
		so_far = "loss on this server";
	else
		so_far = "loss beyond this server";
	printf(DS_TERM_CLEAR_LINE
	       "[%4.0f s of %.0f] %llu probe%s sent, %llu of %llu to the destination lost; "
	       "this server dropped %llu of the prober's packets; so far: %s",
	       mono_now() - d->start, d->o->duration, (unsigned long long)pr.sent, plural(pr.sent),
	       (unsigned long long)pr.dest_lost, (unsigned long long)pr.dest_sent,
	       (unsigned long long)here, so_far);
	fflush(stdout);
}

/*
 * What the rest of the run needs of our privileges: the tracer's maps (by descriptor; kernels
 * before 6.5 with unprivileged BPF disabled want CAP_BPF even then), and, for the counters of a
 * namespace that is not ours (or whose /sys we do not see), entering it and mounting sysfs
 * (CAP_SYS_ADMIN). Everything else goes, and the kernel symbols are opened while we may.
 */
static int drop_privileges(struct diag *d)
{
	uint64_t keep = 0;
	int err;

	if (d->tracer) {
		ksyms_source_open(&d->ksyms_own, KALLSYMS);
		d->ksyms_src = &d->ksyms_own;
		if (!privs_unprivileged_map_read(tracer_stats_fd(d->tracer)))
			keep |= PRIVS_MAP_READ;
	}
	if (d->before && d->before->entered)
		keep |= PRIV_CAP(CAP_SYS_ADMIN);
	err = privs_keep_only(keep);
	if (err)
		ds_err("failed to give up the privileges diagnose no longer needs: %s",
		       strerror(-err));
	else
		ds_debug("kept capabilities 0x%llx", (unsigned long long)privs_effective());
	return err;
}

int diagnose_run(struct diagnose_opts *o)
{
	struct diag d = { .o = o };
	struct prober *prober = NULL;
	double next_status;
	bool live;
	int err, saved, rc = 1;

	if (privs_require(PRIVS_PROBE, "diagnose"))
		return 1;
	err = netns_resolve(o->netns_spec, &d.ns);
	if (err) {
		netns_report("open", o->netns_spec, err);
		return 2;
	}
	d.self_netns = d.ns.inode;
	o->probe.duration_s = o->duration;
	o->probe.count = 0;
	if (!o->probe.proto_set && !o->probe.size_set && o->probe.flows != 1) {
		o->probe.proto = PROBE_TCP;
		o->probe.icmp_beside = true;
	}
	if (!o->probe.flows)
		o->probe.flows = DIAGNOSE_DEFAULT_FLOWS;
	if (probe_config_finish(&o->probe)) {
		rc = 2;
		goto cleanup;
	}

	/* The prober's sockets belong to the namespace that is "this server". */
	err = netns_enter(&d.ns, &saved);
	if (err) {
		netns_report("enter", o->netns_spec, err);
		goto cleanup;
	}
	err = prober_open(&o->probe, &prober);
	netns_leave(saved);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH) {
		/* No route at all is an answer, not a usage error. */
		snprintf(d.vin.unreachable, sizeof(d.vin.unreachable),
			 "no route to %s from this host", o->probe.target);
		d.vin.tracer_ok = true;
		diagnose_decide_and_print(&d);
		rc = verdict_exit_code(d.verdict.kind);
		goto cleanup;
	}
	if (err) {
		/* What the user gave is wrong (2), or the machine would not let us (1). */
		rc = probe_error_is_input(err) ? 2 : 1;
		goto cleanup;
	}
	err = ds_install_signals();
	if (err) {
		prober_close(prober);
		goto cleanup;
	}
	/* The prober reads the network in a process of its own, without privileges; it is
	 * started before the tracer so that it inherits none of the tracer's descriptors. */
	prober_identity(prober, &d.id);
	err = probe_child_start(prober, &d.prober);
	if (err)
		goto cleanup;
	start_tracer(&d); /* without it the diagnosis still runs, on the path and the counters */
	err = host_counters_read(&d.ns, &d.before);
	if (err)
		ds_err("failed to read the host counters: %s", strerror(-err));
	err = drop_privileges(&d);
	if (err)
		goto cleanup;

	d.start = mono_now();
	fprintf(stderr,
		"dropscope: diagnosing %s for %.0f s: tracer %s, probing with %s%s, %u flow%s; "
		"Ctrl-C ends early and still reports\n",
		o->probe.target, o->duration, d.tracer ? "attached" : "unavailable",
		o->probe.icmp_beside ? "icmp and " : "", probe_proto_name(o->probe.proto),
		o->probe.flows, o->probe.flows == 1 ? "" : "s");
	if (probe_child_go(d.prober, d.start + o->duration + 5))
		goto cleanup;
	live = !o->json && isatty(STDOUT_FILENO);
	next_status = d.start + 1;
	for (;;) {
		/* ds_stop ends the prober too; its answers still drain before it reports. */
		err = probe_child_wait(d.prober, d.tracer ? 0 : 100, &d.prober_err);
		if (err)
			break;
		if (d.tracer)
			tracer_poll(d.tracer, 100);
		if (live && mono_now() >= next_status) {
			next_status = mono_now() + 1;
			print_status(&d);
		}
	}
	if (live)
		printf(DS_TERM_CLEAR_LINE); /* the report replaces the status line */
	/* A prober that died or got stuck leaves no path: the rest is still worth a report. */
	if (err < 0) {
		ds_err("reporting without the path: the prober's results are lost");
		d.vin.path_unmeasured = true;
	}
	d.seconds = mono_now() - d.start;
	if (d.prober_err)
		ds_err("the prober stopped early: %s", strerror(-d.prober_err));

	gather(&d);
	if (diagnose_merge(&d))
		goto cleanup;
	diagnose_decide_and_print(&d);
	rc = verdict_exit_code(d.verdict.kind);
cleanup:
	diag_free(&d);
	return rc;
}

/* --- the command ------------------------------------------------------------------------ */

enum { OPT_ALL_FLOWS = 0x6000, OPT_ATTACH };

static void diagnose_usage(FILE *f)
{
	fprintf(f, "usage: dropscope diagnose TARGET [OPTIONS]\n"
		   "Is the loss on this server or in the network, where, why, and what to do.\n\n");
	ds_options_help(f, diagnose_options);
}

/* The command's options: parsing, --help and `dropscope help --options` come from it. */
const struct ds_option diagnose_options[] = {
	/* Before the prober's own --duration and --count: here the run's length is --duration. */
	{"duration", 'd', required_argument, "S",
	 "how long to measure (default " DS_STR(
		 DIAGNOSE_DEFAULT_DURATION) " s; Ctrl-C ends early)"},
	{"count", 'c', required_argument, "N", "refused: diagnose measures for --duration", true},
	/* Before the prober's --flows: diagnose's default differs. */
	{"flows", PROBE_OPT_FLOWS, required_argument, "N",
	 "probe N flows (1 to 64) in rotation (default " DS_STR(
		 DIAGNOSE_DEFAULT_FLOWS) ": one ICMP echo\n"
					 "flow and TCP SYN flows, which ECMP routers hash)"},
	{"netns", 'N', required_argument, "NS",
	 "the namespace that is this server (default: ours)"},
	{"all-flows", OPT_ALL_FLOWS, no_argument, NULL,
	 "count TCP retransmissions to everyone, not just TARGET"},
	{"json", 'j', no_argument, NULL, "one JSON object"},
	{"verbose", 'v', no_argument, NULL, "say more on stderr"},
	{"help", 'h', no_argument, NULL, "this text"},
	{"attach", OPT_ATTACH, required_argument, "MODE", "auto or tracepoint", true},
	{NULL, 0, 0, NULL, "probing:"},
	PROBE_DS_OPTIONS,
	{0},
};

int cmd_diagnose(int argc, char **argv)
{
	struct ds_getopt longopts;
	struct diagnose_opts o = { .duration = DIAGNOSE_DEFAULT_DURATION };
	int opt;

	probe_config_init(&o.probe);
	if (ds_getopt_init(&longopts, diagnose_options))
		return 1;
	optind = 0;
	while ((opt = ds_getopt(argc, argv, &longopts)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_duration(optarg, false, &o.duration) || o.duration < 1) {
				ds_err("bad duration '%s': expected seconds >= 1, e.g. 30, 2m", optarg);
				return 2;
			}
			break;
		case 'N':
			o.netns_spec = optarg;
			break;
		case OPT_ALL_FLOWS:
			o.all_flows = true;
			break;
		case 'j':
			o.json = true;
			break;
		case OPT_ATTACH:
			if (strcmp(optarg, "auto") && strcmp(optarg, "tracepoint")) {
				ds_err("bad attach mode '%s': expected auto or tracepoint", optarg);
				return 2;
			}
			o.attach_tracepoint = !strcmp(optarg, "tracepoint");
			break;
		case 'v':
			ds_verbose++;
			break;
		case 'h':
			diagnose_usage(stdout);
			return 0;
		case 'c':
			ds_err("diagnose measures for --duration; -c (a count of rounds) is for "
			       "'dropscope probe'");
			return 2;
		case '?':
		case ':':
			return ds_option_error("diagnose", opt, argv, &longopts);
		default:
			if (probe_config_option(&o.probe, opt, optarg))
				return 2;
		}
	}
	if (optind >= argc) {
		ds_err("diagnose needs a TARGET (a host name or address); see 'dropscope diagnose "
		       "--help'");
		return 2;
	}
	if (optind + 1 < argc) {
		ds_err("unexpected argument '%s'; see 'dropscope diagnose --help'", argv[optind + 1]);
		return 2;
	}
	if (strlen(argv[optind]) >= sizeof(o.probe.target)) {
		ds_err("target name too long");
		return 2;
	}
	snprintf(o.probe.target, sizeof(o.probe.target), "%s", argv[optind]);
	return diagnose_run(&o);
}
