// SPDX-License-Identifier: GPL-2.0
/* dropscope trace: the kernel's drops, live; dropscope show: the same from pinned maps. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "trace_table.h"
#include "trace_events.h"
#include "kallsyms.h"
#include "kfeatures.h"
#include "netns.h"
#include "pin.h"
#include "privs.h"
#include "trace_retrans.h"
#include "trace_opts.h"
#include "trace_bpf.h"
#include "util.h"

#define MAX_DETAIL 5

static void trace_usage(FILE *f)
{
	fprintf(f, "usage: dropscope trace [OPTIONS]\n"
		   "Count the kernel's packet drops by reason, namespace, interface and queue, "
		   "live.\n\n");
	ds_options_help(f, trace_options);
	fprintf(f, "\nEach --max-keys slot takes %zu bytes of kernel memory per CPU.\n",
		sizeof(struct drop_slot));
}

enum {
	OPT_PIN = OPT_FILTER_LAST + 1,
	OPT_NO_RETRANS,
	OPT_ATTACH,
	OPT_MAX_KEYS,
	OPT_EVENTS_RATE,
};

int parse_protocol(const char *s, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t num;
	} protos[] = { { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 },
		       { "sctp", 132 }, { "gre", 47 }, { "esp", 50 } };
	unsigned long n;

	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (!strcasecmp(s, protos[i].name)) {
			*out = protos[i].num;
			return 0;
		}
	if (parse_ulong(s, 1, 255, &n))
		return -EINVAL;
	*out = (uint8_t)n;
	return 0;
}

int parse_host(const char *s, uint8_t *family, uint8_t addr[16])
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return 0;
	}
	if (getaddrinfo(s, NULL, &hints, &res))
		return -ENOENT;
	if (res->ai_family == AF_INET) {
		*family = 4;
		memcpy(addr, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
	} else {
		*family = 6;
		memcpy(addr, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
	}
	freeaddrinfo(res);
	return 0;
}

/* Index of an interface inside a namespace. */
static int ifindex_in(const struct netns_ref *ns, const char *ifname, uint32_t *out)
{
	int saved, err;

	err = netns_enter(ns, &saved);
	if (err)
		return err;
	*out = if_nametoindex(ifname);
	err = *out ? 0 : -ENODEV;
	netns_leave(saved);
	return err;
}

int trace_opts_resolve(struct trace_opts *o)
{
	int err;

	err = netns_resolve(o->netns_spec, &o->ns);
	if (err) {
		netns_report("open", o->netns_spec, err);
		return err;
	}
	o->cfg.netns = o->ns.all ? 0 : o->ns.inode;
	if (o->dev) {
		struct netns_ref self;
		const struct netns_ref *where = &o->ns;

		if (o->ns.all) {
			/* An interface index means something only inside one namespace. */
			netns_resolve("self", &self);
			where = &self;
			o->cfg.netns = self.inode;
		}
		err = ifindex_in(where, o->dev, &o->cfg.ifindex);
		if (where != &o->ns)
			netns_close(&self);
		if (err) {
			ds_err("no interface '%s' in network namespace '%s'", o->dev,
			       o->ns.all ? "self" : o->netns_spec);
			return err;
		}
	}
	return 0;
}

/*
 * DROPSCOPE_WATCH (a testing aid: diagnose sets the same through struct tracer_config): "any"
 * watches every ICMP drop, "ADDR" the ICMP drops from or to ADDR, "ADDR,PROTO,LO-HI" also
 * PROTO's with a port in LO-HI. Watched drops are printed as events, not rate-limited.
 */
static int parse_watch(const char *s, struct tracer_config *cfg)
{
	char buf[128], *proto, *ports, *dash;
	unsigned long lo, hi;

	cfg->watch = true;
	if (!strcmp(s, "any"))
		return 0;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	proto = strchr(buf, ',');
	if (proto) {
		*proto++ = '\0';
		ports = strchr(proto, ',');
		if (!ports)
			return -EINVAL;
		*ports++ = '\0';
		dash = strchr(ports, '-');
		if (!dash)
			return -EINVAL;
		*dash++ = '\0';
		if (parse_protocol(proto, &cfg->watch_l4_proto) || parse_ulong(ports, 1, 65535, &lo) ||
		    parse_ulong(dash, lo, 65535, &hi))
			return -EINVAL;
		cfg->watch_port_lo = lo;
		cfg->watch_port_hi = hi;
	}
	return parse_host(buf, &cfg->watch_family, cfg->watch_addr);
}

int trace_opts_parse_filter(struct trace_opts *o, int opt, const char *arg)
{
	unsigned long n;

	switch (opt) {
	case 'N':
		o->netns_spec = arg;
		return 0;
	case OPT_DEV:
		if (!*arg || strlen(arg) >= IF_NAMESIZE) {
			ds_err("bad interface name '%s'", arg);
			return -EINVAL;
		}
		o->dev = arg;
		return 0;
	case OPT_PROTO:
		if (parse_protocol(arg, &o->cfg.l4_proto)) {
			ds_err("unknown protocol '%s': use tcp, udp, icmp, icmpv6, sctp or a number",
			       arg);
			return -EINVAL;
		}
		return 0;
	case OPT_HOST:
		if (parse_host(arg, &o->cfg.family, o->cfg.addr)) {
			ds_err("unknown host '%s'", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_PORT:
		if (parse_ulong(arg, 1, 65535, &n)) {
			ds_err("bad port '%s': expected 1-65535", arg);
			return -EINVAL;
		}
		o->cfg.port = (uint16_t)n;
		return 0;
	}
	return -ENOENT;
}

/* --- the run ---------------------------------------------------------------------------- */

struct trace_run {
	struct trace_opts *o;
	struct tracer *t;
	struct name_ctx names;
	struct ksyms_source ksyms; /* opened while we may read kernel addresses */
	struct ifname_table ifnames;
	struct drop_snapshot last;
	double start, last_t;
	uint64_t events_printed;
};

/* Every symbol, for events, whose locations come one at a time. */
static void load_all_names(struct trace_run *r)
{
	r->names.ksyms = ksyms_source_all(&r->ksyms);
}

/* The symbols of a snapshot's locations: read again only when a location is new. */
static void load_names(struct trace_run *r, const struct drop_snapshot *s)
{
	uint64_t *addrs = malloc((s->n ? s->n : 1) * sizeof(*addrs));

	if (!addrs)
		return;
	for (size_t i = 0; i < s->n; i++)
		addrs[i] = s->rows[i].key.location;
	r->names.ksyms = ksyms_source_for(&r->ksyms, addrs, s->n);
	free(addrs);
}

/*
 * Attached, the tracer needs only its descriptors: everything else goes, and it becomes nobody
 * when it was root. Kernels before 6.5 with unprivileged BPF disabled refuse map reads without
 * CAP_BPF even by descriptor: then that is kept.
 */
static int drop_privileges(struct trace_run *r)
{
	bool maps_need_cap = !privs_unprivileged_map_read(tracer_stats_fd(r->t));
	int err;

	err = maps_need_cap ? privs_keep_only(PRIVS_MAP_READ) : privs_drop_all();
	if (err)
		ds_err("failed to give up the privileges trace no longer needs: %s",
		       strerror(-err));
	else
		ds_debug("attached: now uid %u with capabilities 0x%llx%s", (unsigned)geteuid(),
			 (unsigned long long)privs_effective(),
			 maps_need_cap ? " (this kernel reads maps only with CAP_BPF)" : "");
	return err;
}

/*
 * With pins, the tracer goes on in a child process without privileges, and this one stays root
 * only to remove the pins when the child ends, however it ends (SIGKILL included): it waits,
 * passes a SIGTERM or SIGHUP sent to it alone on, then lets the caller release the claim.
 * Returns 0 in the child, which forgets the pins (the keeper removes them; the directory's lock
 * stays held through the keeper's descriptor), 1 in the keeper with the child's exit code in
 * *code, or -errno.
 */
static int keep_pins(struct pin_claim *claim, int *code)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* The pins are the keeper's to remove; the lock (one open file for both of us)
		 * stays held as long as either lives. */
		claim->pinned = 0;
		claim->created = false;
		return 0;
	}
	if (ds_wait_child(pid, &status)) {
		*code = 1;
		return 1;
	}
	if (WIFSIGNALED(status))
		ds_err("the tracer was killed (%s); removing its pins", strsignal(WTERMSIG(status)));
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	return 1;
}

static void refresh_ifnames(struct trace_run *r, int fd)
{
	ifname_table_free(&r->ifnames);
	if (fd >= 0)
		ifname_table_read(fd, &r->ifnames);
	r->names.ifnames = &r->ifnames;
}

static int on_event(void *ctx, const struct drop_event *e)
{
	struct trace_run *r = ctx;

	/* Watched drops come without --events only under DROPSCOPE_WATCH (a testing aid). */
	if (!r->o->cfg.events && !(e->flags & DS_EV_WATCHED))
		return 0;
	load_all_names(r);
	event_print(e, &r->names, r->o->json, stdout);
	r->events_printed++;
	return 0;
}

/* The retransmissions so far, in one line under the live table. */
static void live_retransmits(struct trace_run *r)
{
	struct retrans_snapshot rs;
	uint64_t n;

	if (tracer_retrans_fd(r->t) < 0 || retrans_snapshot_read(tracer_retrans_fd(r->t), &rs))
		return;
	n = retrans_total(&rs, 0, NULL);
	printf("\nTCP retransmissions: %llu in %zu flows\n", (unsigned long long)n, rs.n);
	retrans_snapshot_free(&rs);
}

/* One refresh of the live view. */
static void live_refresh(struct trace_run *r)
{
	struct drop_snapshot now, delta;
	struct drop_report total, recent;
	double t = mono_now();
	bool tty = isatty(STDOUT_FILENO);

	if (drop_snapshot_read(tracer_drops_fd(r->t), &now))
		return;
	if (drop_snapshot_delta(&r->last, &now, &delta)) {
		drop_snapshot_free(&now);
		return;
	}
	load_names(r, &now);
	refresh_ifnames(r, tracer_ifnames_fd(r->t));
	if (!drop_report_build(&now, &r->names, &total) &&
	    !drop_report_build(&delta, &r->names, &recent)) {
		if (tty) {
			struct text_opts to = { .seconds = t - r->start, .recent = &recent,
						.recent_seconds = t - r->last_t,
						.max_detail = MAX_DETAIL, .color = use_color() };

			/* top-like: redraw in place. */
			printf(DS_TERM_CLEAR);
			printf("dropscope trace: %.0f s, %llu drop%s, %.1f/s now (%s) - Ctrl-C to stop\n\n",
			       t - r->start, (unsigned long long)total.packets, plural(total.packets),
			       recent.packets / (t - r->last_t), attach_mode_name(r->t->mode));
			drop_report_text(&total, &r->names, &to, stdout);
			live_retransmits(r);
		} else {
			char rb[64];

			printf("[%7.1f s] +%llu drop%s (%.1f/s), %llu in all%s%s\n", t - r->start,
			       (unsigned long long)recent.packets, plural(recent.packets),
			       recent.packets / (t - r->last_t),
			       (unsigned long long)total.packets, recent.nreasons ? ", top " : "",
			       recent.nreasons ? reasons_label(r->names.reasons,
							       recent.reasons[0].reason, rb,
							       sizeof(rb))
					       : "");
		}
		fflush(stdout);
	}
	drop_report_free(&total);
	drop_report_free(&recent);
	drop_snapshot_free(&delta);
	drop_snapshot_free(&r->last);
	r->last = now;
	r->last_t = t;
}

/*
 * The summary: JSON or the table. seconds < 0: the time the counts cover is unknown (a pinned
 * tracer that is gone), and so are the rates. Returns 0, or -errno when a map cannot be read
 * (then nothing is printed but the one-line error: a summary of zeros would be a lie).
 */
static int print_summary(struct trace_run *r, int drops_fd, int stats_fd, int retrans_fd,
			 double seconds, const char *mode, const char *reader, uint64_t missed)
{
	struct drop_snapshot snap = { 0 };
	struct retrans_snapshot rs = { 0 };
	struct drop_report rep = { 0 };
	struct ds_stats st = { 0 };
	bool json = r->o->json;
	const char *what;
	int err;

	what = "the drops map";
	err = drop_snapshot_read(drops_fd, &snap);
	if (!err)
		load_names(r, &snap);
	if (!err) {
		what = "the retransmissions map";
		err = retrans_snapshot_read(retrans_fd, &rs);
	}
	if (!err) {
		what = "the stats map";
		err = read_stats(stats_fd, &st);
	}
	if (!err) {
		what = "the drops";
		err = drop_report_build(&snap, &r->names, &rep);
	}
	if (err) {
		ds_err("failed to read %s: %s", what, strerror(-err));
		goto cleanup;
	}

	if (json) {
		struct json_writer j;

		json_init(&j, stdout, false);
		json_object_begin(&j, NULL);
		if (seconds < 0)
			json_null(&j, "duration_s");
		else
			json_double(&j, "duration_s", seconds, 3);
		json_uint(&j, "total", rep.packets);
		json_uint(&j, "lost_events", st.events_lost);
		json_uint(&j, "shed_events", st.events_shed);
		json_uint(&j, "folded_drops", st.folded);
		json_uint(&j, "unaccounted_drops", st.unaccounted);
		json_uint(&j, "missed_drops", missed);
		json_string(&j, "attach", mode);
		json_string(&j, "reader", reader);
		drop_report_json(&rep, &r->names, &j, "drops");
		drop_report_netns_json(&rep, &r->names, &j, "netns");
		retrans_json(&rs, &j);
		json_object_end(&j);
		json_finish(&j);
	} else {
		struct text_opts to = { .seconds = seconds, .max_detail = MAX_DETAIL,
					.color = use_color() };

		if (isatty(STDOUT_FILENO) && !r->o->cfg.events)
			printf(DS_TERM_CLEAR);
		if (seconds < 0)
			printf("\ndropscope: %llu drop%s over an unknown time (rates unknown), %zu "
			       "reason%s, %zu namespace%s (%s)\n\n",
			       (unsigned long long)rep.packets, plural(rep.packets), rep.nreasons,
			       plural(rep.nreasons), rep.nnetns, plural(rep.nnetns), mode);
		else
			printf("\ndropscope: %.1f s, %llu drop%s (%.1f/s), %zu reason%s, %zu namespace%s "
			       "(%s)\n\n",
			       seconds, (unsigned long long)rep.packets, plural(rep.packets),
			       seconds > 0 ? rep.packets / seconds : 0, rep.nreasons,
			       plural(rep.nreasons), rep.nnetns, plural(rep.nnetns), mode);
		drop_report_text(&rep, &r->names, &to, stdout);
		if (retrans_fd >= 0) {
			printf("\n");
			retrans_text(&rs, &r->names, 10, stdout);
		}
		if (st.folded || st.unaccounted)
			printf("\nThe drop table was full: %llu drop%s counted per reason only, %llu not "
			       "counted (raise --max-keys).\n",
			       (unsigned long long)st.folded, plural(st.folded),
			       (unsigned long long)st.unaccounted);
		if (missed)
			printf("\n%llu drop%s happened while the program was already running on their "
			       "CPU and %s not counted.\n",
			       (unsigned long long)missed, plural(missed), missed == 1 ? "was" : "were");
		if (r->o->cfg.events || st.events_shed || st.events_lost)
			printf("\nEvents: %llu printed, %llu shed by the rate limit, %llu lost (ring "
			       "buffer full); the counts above are exact.\n",
			       (unsigned long long)r->events_printed,
			       (unsigned long long)st.events_shed, (unsigned long long)st.events_lost);
	}
	fflush(stdout);
cleanup:
	drop_report_free(&rep);
	drop_snapshot_free(&snap);
	retrans_snapshot_free(&rs);
	return err;
}

static void trace_run_free(struct trace_run *r)
{
	drop_snapshot_free(&r->last);
	ifname_table_free(&r->ifnames);
	ksyms_source_close(&r->ksyms);
	reasons_free((struct reason_table *)r->names.reasons);
}

static int load_reasons(struct trace_run *r)
{
	struct reason_table *reasons;
	int err;

	if (!have_vmlinux_btf()) {
		ds_err("this kernel has no BTF (%s): dropscope needs CONFIG_DEBUG_INFO_BTF=y",
		       VMLINUX_BTF);
		return -ENOENT;
	}
	err = kernel_btf() ? reasons_from_scan(kernel_btf(), "/sys/kernel/btf", &reasons) : -errno;
	if (err) {
		ds_err("failed to read drop reasons from the kernel's BTF: %s", strerror(-err));
		return err;
	}
	if (ds_verbose)
		reasons_print_not_in_table(reasons, stderr);
	r->names.reasons = reasons;
	r->names.self_netns = netns_self_inode();
	return 0;
}

/* The command's options: parsing, --help and `dropscope help --options` come from it. */
const struct ds_option trace_options[] = {
	{"duration", 'd', required_argument, "S", "stop after S seconds (default: until Ctrl-C)"},
	{"interval", 'i', required_argument, "S",
	 "refresh interval: redraw the live table every S seconds\n(default 1)"},
	{"netns", 'N', required_argument, "NS",
	 "self, all (default), a name from 'ip netns', or a path\n"
	 "(a namespace filter leaves out drops whose namespace is\n"
	 "unknown: no device and no socket)"},
	{"dev", OPT_DEV, required_argument, "IF",
	 "only drops on interface IF (in the namespace of --netns);\n"
	 "TCP retransmissions are not filtered by it (sockets have\n"
	 "no device)"},
	{"proto", OPT_PROTO, required_argument, "P",
	 "only tcp, udp, icmp, icmpv6, sctp, or a protocol number"},
	{"host", OPT_HOST, required_argument, "ADDR", "only packets from or to ADDR"},
	{"port", OPT_PORT, required_argument, "N",
	 "only TCP, UDP or SCTP packets from or to port N"},
	{"events", 'e', no_argument, NULL,
	 "print every drop as it happens (rate-limited in the kernel)"},
	{"events-rate", OPT_EVENTS_RATE, required_argument, "N",
	 "events per second and CPU before shedding (default 1000)"},
	{"json", 'j', no_argument, NULL,
	 "print one JSON object at the end (with --events: one per line)"},
	{"verbose", 'v', no_argument, NULL,
	 "say more on stderr (the attach variant, what the table lacks)"},
	{"help", 'h', no_argument, NULL, "this text"},
	{"pin", OPT_PIN, optional_argument, "[DIR]",
	 "pin the maps under DIR (default " DEFAULT_PIN_DIR ") while tracing"},
	{"no-retrans", OPT_NO_RETRANS, no_argument, NULL, "do not trace TCP retransmissions"},
	{"max-keys", OPT_MAX_KEYS, required_argument, "N",
	 "distinct drops counted apart, per CPU, before folding\n"
	 "(default " DS_STR(DS_DEFAULT_SLOTS) ", at most " DS_STR(TRACER_MAX_KEYS) ")"},
	{"attach", OPT_ATTACH, required_argument, "MODE", "auto, tp_btf or tracepoint", true},
	{0},
};

int cmd_trace(int argc, char **argv)
{
	struct ds_getopt longopts;
	struct trace_opts o = { .netns_spec = "all", .interval = 1 };
	struct trace_run r = { .o = &o };
	struct pin_claim claim = { .dir_fd = -1 };
	const char *env;
	double end;
	unsigned long n;
	int opt, err, rc = 1;
	pid_t keeper;

	o.cfg.retransmits = true;
	env = getenv("DROPSCOPE_WATCH");
	if (env && parse_watch(env, &o.cfg)) {
		ds_err("bad DROPSCOPE_WATCH '%s': expected any, or ADDR[,PROTO,LO-HI]", env);
		return 2;
	}
	env = getenv("DROPSCOPE_ATTACH");
	if (env && !strcmp(env, "tracepoint"))
		o.cfg.mode = ATTACH_TRACEPOINT;
	env = getenv("DROPSCOPE_NO_REASON");
	o.cfg.ignore_reason = env && *env == '1';
	env = getenv("DROPSCOPE_READER");
	o.cfg.copy_reader = env && !strcmp(env, "copy");

	if (ds_getopt_init(&longopts, trace_options))
		return 1;
	optind = 0;
	while ((opt = ds_getopt(argc, argv, &longopts)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_duration(optarg, false, &o.duration)) {
				ds_err("bad duration '%s': expected seconds > 0, e.g. 30, 2.5, 500ms, 5m",
				       optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_duration(optarg, false, &o.interval) || o.interval < 0.05) {
				ds_err("bad interval '%s': expected seconds >= 0.05", optarg);
				return 2;
			}
			break;
		case 'e':
			o.cfg.events = true;
			break;
		case OPT_EVENTS_RATE:
			if (parse_ulong(optarg, 1, 1000000, &n)) {
				ds_err("bad events rate '%s': expected 1-1000000", optarg);
				return 2;
			}
			o.cfg.events_per_sec = n;
			break;
		case 'j':
			o.json = true;
			break;
		case OPT_PIN:
			/* --pin DIR as well as --pin=DIR: the next word, if it is a path. */
			if (!optarg && optind < argc && argv[optind][0] == '/')
				optarg = argv[optind++];
			o.pin_dir = optarg ? optarg : DEFAULT_PIN_DIR;
			if (!*o.pin_dir) {
				ds_err("bad --pin '': expected a directory on a bpf filesystem, e.g. "
				       "%s",
				       DEFAULT_PIN_DIR);
				return 2;
			}
			break;
		case OPT_NO_RETRANS:
			o.cfg.retransmits = false;
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "auto"))
				o.cfg.mode = ATTACH_AUTO;
			else if (!strcmp(optarg, "tp_btf"))
				o.cfg.mode = ATTACH_TP_BTF;
			else if (!strcmp(optarg, "tracepoint"))
				o.cfg.mode = ATTACH_TRACEPOINT;
			else {
				ds_err("bad attach mode '%s': expected auto, tp_btf or tracepoint",
				       optarg);
				return 2;
			}
			break;
		case OPT_MAX_KEYS:
			if (parse_ulong(optarg, 256, TRACER_MAX_KEYS, &n)) {
				ds_err("bad --max-keys '%s': expected 256-%d", optarg, TRACER_MAX_KEYS);
				return 2;
			}
			o.cfg.max_keys = n;
			break;
		case 'v':
			ds_verbose++;
			break;
		case 'h':
			trace_usage(stdout);
			return 0;
		case '?':
		case ':':
			return ds_option_error("trace", opt, argv, &longopts);
		default:
			if (trace_opts_parse_filter(&o, opt, optarg) == 0)
				break;
			return 2;
		}
	}
	if (optind < argc) {
		ds_err("unexpected argument '%s'; see 'dropscope trace --help'", argv[optind]);
		return 2;
	}
	if (o.cfg.l4_proto && o.cfg.l4_proto != 6)
		o.cfg.retransmits = false;
	if (trace_opts_resolve(&o))
		return 2;
	if (privs_require(PRIVS_TRACE, "trace"))
		goto cleanup;
	err = load_reasons(&r);
	if (err)
		goto cleanup;
	err = ds_install_signals();
	if (err)
		goto cleanup;
	/* A busy pin directory fails before anything is loaded. */
	if (o.pin_dir && pin_claim(o.pin_dir, &claim))
		goto cleanup;
	err = tracer_open(&o.cfg, r.names.reasons, on_event, &r, &r.t);
	if (err)
		goto cleanup;
	if (o.pin_dir && pin_maps(r.t, &claim, &o.cfg))
		goto cleanup;
	ksyms_source_open(&r.ksyms, KALLSYMS); /* reading kernel addresses needs CAP_SYSLOG: before it goes */
	keeper = getpid();
	if (o.pin_dir) {
		err = keep_pins(&claim, &rc);
		if (err < 0) {
			ds_err("failed to start the tracer's process: %s", strerror(-err));
			goto cleanup;
		}
		if (err > 0)
			goto cleanup; /* the keeper: the child's run is over */
	}
	if (drop_privileges(&r))
		goto cleanup;
	/* A keeper killed with SIGKILL ends us too (set after the uid change, which clears it). */
	if (o.pin_dir && ds_die_with_parent(keeper, SIGTERM))
		goto cleanup;

	r.start = r.last_t = mono_now();
	fprintf(stderr, "dropscope: attached via %s in %.0f ms; tracing drops in %s%s; Ctrl-C to stop\n",
		attach_mode_name(r.t->mode), r.t->attach_ms,
		o.ns.all && !o.dev ? "all namespaces" : "namespace ",
		o.ns.all && !o.dev ? "" : (o.ns.all ? "self" : o.netns_spec));
	if (o.pin_dir)
		fprintf(stderr, "dropscope: maps pinned in %s\n", o.pin_dir);
	/* Events name every location: read them all now, after the ready marker but not in the
	 * first event's callback (~70 ms, while the ring buffer fills). */
	if (o.cfg.events)
		load_all_names(&r);

	end = o.duration > 0 ? r.start + o.duration : 0;
	{
		double next = r.start + o.interval;

		while (!ds_stop) {
			double now = mono_now(), wait = next - now;

			if (end && now >= end)
				break;
			if (end && end < next)
				wait = end - now;
			if (wait > 0) {
				err = tracer_poll(r.t, (int)(wait * 1000) + 1 > 100 ? 100
										: (int)(wait * 1000) + 1);
				if (err < 0 && err != -EINTR) {
					ds_err("failed to read events: %s", strerror(-err));
					break;
				}
				continue;
			}
			next += o.interval;
			if (!o.json && !o.cfg.events)
				live_refresh(&r);
		}
	}
	/* Events still in the ring buffer belong to the run. */
	tracer_poll(r.t, 0);
	refresh_ifnames(&r, tracer_ifnames_fd(r.t));
	if (!print_summary(&r, tracer_drops_fd(r.t), tracer_stats_fd(r.t), tracer_retrans_fd(r.t),
			   mono_now() - r.start, attach_mode_name(r.t->mode), r.t->reader,
			   tracer_missed(r.t)))
		rc = 0;
cleanup:
	pin_release(&claim);
	tracer_close(r.t);
	trace_run_free(&r);
	netns_close(&o.ns);
	return rc;
}

/* The command's options: parsing, --help and `dropscope help --options` come from it. */
const struct ds_option show_options[] = {
	{"json", 'j', no_argument, NULL, "one JSON object, as trace --json prints"},
	{"verbose", 'v', no_argument, NULL, "say more on stderr"},
	{"help", 'h', no_argument, NULL, "this text"},
	{0},
};

int cmd_show(int argc, char **argv)
{
	struct ds_getopt longopts;
	struct trace_opts o = { 0 };
	struct trace_run r = { .o = &o };
	struct pinned_maps m;
	const char *dir = DEFAULT_PIN_DIR;
	struct timespec ts;
	double seconds;
	uint64_t now;
	char mode[64];
	int opt, rc;

	if (ds_getopt_init(&longopts, show_options))
		return 1;
	optind = 0;
	while ((opt = ds_getopt(argc, argv, &longopts)) != -1) {
		switch (opt) {
		case 'j':
			o.json = true;
			break;
		case 'v':
			ds_verbose++;
			break;
		case 'h':
			printf("usage: dropscope show [DIR] [-j|--json] [-v|--verbose] "
			       "[-h|--help]\n"
			       "Print the drops counted by a running 'dropscope trace --pin' from "
			       "its\n"
			       "pinned maps (default %s), without loading anything.\n\n",
			       DEFAULT_PIN_DIR);
			ds_options_help(stdout, show_options);
			return 0;
		default:
			return ds_option_error("show", opt, argv, &longopts);
		}
	}
	if (optind < argc)
		dir = argv[optind++];
	if (!*dir) {
		ds_err("bad pin directory '': expected the DIR of 'dropscope trace --pin DIR', e.g. "
		       "%s",
		       DEFAULT_PIN_DIR);
		return 2;
	}
	if (optind < argc) {
		ds_err("unexpected argument '%s'; see 'dropscope show --help'", argv[optind]);
		return 2;
	}
	if (ds_require_root("show", "to open pinned maps"))
		return 1;
	if (pinned_open(dir, &m))
		return 1;
	if (load_reasons(&r)) {
		pinned_close(&m);
		return 1;
	}
	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	/* A tracer that is gone counted until some moment we cannot know: no rates then. */
	seconds = -1;
	if (!m.owner_alive && !m.attached)
		ds_err("the tracer that pinned %s (pid %u) is gone: these counts are frozen, over an "
		       "unknown time",
		       dir, m.info.pid);
	else if (m.info.start_boottime_ns > now)
		ds_err("the maps in %s say their tracer started after now: the time they cover is "
		       "unknown",
		       dir);
	else
		seconds = (now - m.info.start_boottime_ns) / 1e9;
	snprintf(mode, sizeof(mode), "%s, pinned by pid %u",
		 attach_mode_name((enum attach_mode)m.info.attach_mode), m.info.pid);
	refresh_ifnames(&r, m.ifnames);
	ksyms_source_open(&r.ksyms, KALLSYMS);
	rc = print_summary(&r, m.drops, m.stats, m.retrans, seconds, mode, NULL, 0) ? 1 : 0;
	trace_run_free(&r);
	pinned_close(&m);
	return rc;
}
