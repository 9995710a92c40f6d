// SPDX-License-Identifier: GPL-2.0
/*
 * dropscope demo [NAME]: build the example network (host - r1 - r2 - r3 - dst, in network
 * namespaces), inject a known fault, run `diagnose` from the host's namespace against dst, and
 * tear everything down. How a new user sees the tool work on a machine with no other network;
 * the scenario tests run the same scenarios and check each verdict against its known truth.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "demo_lab.h"
#include "netns.h"
#include "diagnose.h"
#include "util.h"
#include "diagnose_verdict.h"

#define DEMO_ROUTERS 3

struct scenario {
	const char *name;
	const char *fault;  /* what is injected */
	const char *expect; /* the verdict the tool should reach, and its details */
	enum verdict_kind want;
	int (*inject)(struct demolab *lab, double seconds);
	const char *target; /* NULL: dst */
};

/* Drop pct% of what router r forwards toward dst ("eth0") or toward host ("eth1"). */
static int forward_loss(struct demolab *lab, int r, int pct, const char *from_iface)
{
	char rules[512];

	snprintf(rules, sizeof(rules),
		 "table inet demo_loss {\n"
		 "  chain forward { type filter hook forward priority 0; policy accept;\n"
		 "    %s%s%snumgen random mod 100 < %d drop\n"
		 "  }\n"
		 "}\n",
		 from_iface ? "iifname \"" : "", from_iface ? from_iface : "",
		 from_iface ? "\" " : "", pct);
	return demolab_nft(lab, r, rules);
}

static int inject_none(struct demolab *lab, double seconds)
{
	return 0;
}

static int inject_router_loss(struct demolab *lab, double seconds)
{
	return forward_loss(lab, 2, 30, "eth0");
}

static int inject_limiter(struct demolab *lab, double seconds)
{
	return demolab_icmp_ratelimit(lab, 1, 1000);
}

static int inject_limiter_and_loss(struct demolab *lab, double seconds)
{
	int err = demolab_icmp_ratelimit(lab, 1, 1000);

	return err ? err : forward_loss(lab, 2, 30, "eth0");
}

static int inject_host_firewall(struct demolab *lab, double seconds)
{
	return demolab_nft(lab, DEMOLAB_HOST,
			   "table inet demo_fw {\n"
			   "  chain input { type filter hook input priority 0; policy accept;\n"
			   "    meta l4proto icmp numgen random mod 100 < 30 drop\n"
			   "  }\n"
			   "}\n");
}

/* A UDP service on the host with a 2 KiB buffer, flooded from dst: SOCKET_RCVBUFF. */
static int inject_socket_overflow(struct demolab *lab, double seconds)
{
	int err = demolab_udp_sink(lab, DEMOLAB_HOST, 5555, 2048);

	return err ? err
		   : demolab_udp_flood(lab, DEMOLAB_DST(lab), "10.77.0.1", 5555, 2000, 200,
				       seconds + 10);
}

/* A tiny qdisc on the host's uplink, filled by the host's own bulk traffic: QDISC_DROP. */
static int inject_tiny_qdisc(struct demolab *lab, double seconds)
{
	const char *argv[] = { "tc", "qdisc", "replace", "dev", "eth1", "root", "tbf", "rate",
			       "1mbit", "burst", "1600", "limit", "3000", NULL };
	int err = demolab_exec(lab, DEMOLAB_HOST, NULL, argv);

	/* Twenty times what the qdisc lets through: it stays full, and probes find it so. */
	return err ? err
		   : demolab_udp_flood(lab, DEMOLAB_HOST, lab->dst4, 9, 5000, 500, seconds + 10);
}

static int inject_both(struct demolab *lab, double seconds)
{
	int err = inject_socket_overflow(lab, seconds);

	return err ? err : forward_loss(lab, 2, 30, "eth0");
}

static int inject_return_path(struct demolab *lab, double seconds)
{
	return forward_loss(lab, 2, 30, "eth1");
}

static const struct scenario scenarios[] = {
	{ "healthy", "nothing", "none", VERDICT_NONE, inject_none },
	{ "router-loss", "r2 drops 30% of what it forwards toward dst", "network (hop 3)",
	  VERDICT_NETWORK, inject_router_loss },
	{ "limiter-and-loss", "r1 rate-limits ICMP (1/s), r2 drops 30% toward dst",
	  "network (hop 3), hop 1 excused", VERDICT_NETWORK, inject_limiter_and_loss },
	{ "limiter", "r1 rate-limits its ICMP errors (Linux's default, 1/s)", "none",
	  VERDICT_NONE, inject_limiter },
	{ "host-firewall", "the host's firewall drops 30% of incoming ICMP",
	  "server (NETFILTER_DROP, replies lost on ingress)", VERDICT_SERVER, inject_host_firewall },
	{ "socket-overflow", "a UDP service on the host, 2 KiB buffer, flooded at 2000/s",
	  "server (SOCKET_RCVBUFF at udp:5555)", VERDICT_SERVER, inject_socket_overflow },
	{ "tiny-qdisc", "a 1 Mbit/s tbf qdisc on the host's uplink, and bulk traffic through it",
	  "server (QDISC_DROP)", VERDICT_SERVER, inject_tiny_qdisc },
	{ "both", "the socket overflow and r2's forwarding loss", "both", VERDICT_BOTH, inject_both },
	{ "return-path", "r2 drops 30% of what it forwards back toward the host", "network (hop 3)",
	  VERDICT_NETWORK, inject_return_path },
	{ "unreachable", "a target no router has a route to (10.77.99.1)",
	  "inconclusive (unreachable)", VERDICT_INCONCLUSIVE, inject_none, "10.77.99.1" },
};

#define DEFAULT_SCENARIO "host-firewall"

static const struct scenario *find_scenario(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

enum { OPT_CLEANUP = 0x100 };

static void demo_usage(FILE *f)
{
	fprintf(f,
		"usage: dropscope demo [--list] [NAME] [--duration S] [--json]\n"
		"       dropscope demo --cleanup\n"
		"Build an example network in namespaces, inject a known fault, diagnose it from "
		"the\n"
		"host, and tear it all down (default scenario: %s). A demo that was killed\n"
		"leaves its network behind: the next demo, or --cleanup, removes it.\n\n",
		DEFAULT_SCENARIO);
	ds_options_help(f, demo_options);
}

/*
 * diagnose gives up the privileges it no longer needs, but the demo needs root again to tear
 * its network down: the diagnosis runs in a child process, and this one only waits for it.
 * A signal to us alone (SIGTERM, SIGHUP) is passed on, so the child still reports.
 */
static int run_diagnosis(struct diagnose_opts *o, int lab_lock_fd)
{
	pid_t parent = getpid();
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ds_err("failed to start the diagnosis: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		int rc;

		/* The lab is ours, not the diagnosis's: killed, we leave it to be reaped at once
		 * (its lock is one open file for both of us), and our death ends the diagnosis. */
		if (lab_lock_fd >= 0)
			close(lab_lock_fd);
		if (ds_die_with_parent(parent, SIGTERM))
			_exit(1);
		rc = diagnose_run(o);

		fflush(NULL);
		_exit(rc);
	}
	if (ds_wait_child(pid, &status))
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Remove the labs of demos that are gone; with --cleanup, say so when there were none. */
static int reap(FILE *report)
{
	int n = demolab_reap(report);

	if (n < 0) {
		ds_err("failed to read %s for the labs of killed demos: %s", DEMOLAB_LOCK_DIR,
		       strerror(-n));
		return n;
	}
	if (report == stdout && !n)
		printf("no demo networks left behind\n");
	return 0;
}

/* The command's options: parsing, --help and `dropscope help --options` come from it. */
const struct ds_option demo_options[] = {
	{"list", 'l', no_argument, NULL, "the scenarios"},
	{"duration", 'd', required_argument, "S", "how long diagnose measures (default 10)"},
	{"json", 'j', no_argument, NULL, "diagnose's JSON instead of its report"},
	{"cleanup", OPT_CLEANUP, no_argument, NULL,
	 "only remove the networks of demos that are gone"},
	{"verbose", 'v', no_argument, NULL, "say more on stderr"},
	{"help", 'h', no_argument, NULL, "this text"},
	{0},
};

int cmd_demo(int argc, char **argv)
{
	struct ds_getopt longopts;
	struct diagnose_opts o = { .duration = 10 };
	const struct scenario *s;
	bool cleanup_only = false, list_only = false;
	struct demolab lab;
	int opt, err, saved, rc;

	if (ds_getopt_init(&longopts, demo_options))
		return 1;
	optind = 0;
	while ((opt = ds_getopt(argc, argv, &longopts)) != -1) {
		switch (opt) {
		case 'l':
			list_only = true;
			break;
		case 'd':
			if (parse_duration(optarg, false, &o.duration) || o.duration < 2) {
				ds_err("bad duration '%s': expected seconds >= 2", optarg);
				return 2;
			}
			break;
		case 'j':
			o.json = true;
			break;
		case 'v':
			ds_verbose++;
			break;
		case OPT_CLEANUP:
			cleanup_only = true;
			break;
		case 'h':
			demo_usage(stdout);
			return 0;
		default:
			return ds_option_error("demo", opt, argv, &longopts);
		}
	}
	if (list_only) {
		if (optind < argc) {
			ds_err("unexpected argument '%s': --list runs no scenario", argv[optind]);
			return 2;
		}
		for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
			printf("%-18s %s\n%-18s -> expect %s\n", scenarios[i].name,
			       scenarios[i].fault, "", scenarios[i].expect);
		return 0;
	}
	s = find_scenario(optind < argc ? argv[optind] : DEFAULT_SCENARIO);
	if (!s) {
		ds_err("unknown scenario '%s'; 'dropscope demo --list' names them", argv[optind]);
		return 2;
	}
	if (optind + 1 < argc) {
		ds_err("unexpected argument '%s'; see 'dropscope demo --help'", argv[optind + 1]);
		return 2;
	}
	if (cleanup_only && optind < argc) {
		ds_err("unexpected argument '%s': --cleanup runs no scenario", argv[optind]);
		return 2;
	}
	if (ds_require_root("demo", "network namespaces, BPF"))
		return 1;
	if (cleanup_only)
		return reap(stdout) ? 1 : 0;
	/* Whatever killed demos left behind goes first (reported on stderr, not the report). */
	if (reap(stderr) < 0)
		return 1;
	err = ds_install_signals();
	if (err)
		return 1;
	if (!o.json)
		printf("demo '%s': building host - r1 - r2 - r3 - dst in network namespaces\n"
		       "fault: %s\nexpect: %s\n\n",
		       s->name, s->fault, s->expect);
	fflush(stdout);
	err = demolab_create(&lab, DEMO_ROUTERS);
	if (err) {
		ds_err("failed to build the demo network: %s", strerror(-err));
		return 1;
	}
	/* For whoever watches the machine (and the tests): whose namespaces these are. */
	fprintf(stderr, "dropscope: demo namespaces dsdemo-%s-*\n", lab.tag);
	rc = 1;
	err = s->inject(&lab, o.duration);
	if (err) {
		ds_err("failed to inject the fault of '%s': %s", s->name, strerror(-err));
		goto cleanup;
	}
	probe_config_init(&o.probe);
	o.probe.no_dns = true;
	snprintf(o.probe.target, sizeof(o.probe.target), "%s", s->target ? s->target : lab.dst4);
	if (ds_stop)
		goto cleanup; /* Ctrl-C while building: nothing to diagnose */
	/* diagnose runs as if on the host: its namespace is "this server". */
	err = demolab_enter(&lab, DEMOLAB_HOST, &saved);
	if (err) {
		ds_err("failed to enter the demo's host namespace: %s", strerror(-err));
		goto cleanup;
	}
	rc = run_diagnosis(&o, lab.lock_fd);
	netns_leave(saved);
	/* 0 when the verdict is the scenario's, so that `make demo` and scripts can tell. */
	if (verdict_of_exit_code(rc) >= 0 && verdict_of_exit_code(rc) != (int)s->want)
		ds_err("the verdict is %s; the '%s' scenario expects %s%s",
		       verdict_name(verdict_of_exit_code(rc)), s->name, verdict_name(s->want),
		       ds_stop ? " (from a run cut short: no test of the scenario)" : "");
	rc = verdict_demo_exit(rc, s->want, ds_stop);
cleanup:
	demolab_destroy(&lab);
	if (!o.json)
		printf("\ndemo '%s': network torn down\n", s->name);
	return rc;
}
