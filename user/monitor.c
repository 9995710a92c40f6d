// SPDX-License-Identifier: GPL-2.0
/* `dropscope monitor`: the daemon's options and its loop (monitor.h). */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "commands.h"
#include "kfeatures.h"
#include "monitor.h"
#include "monitor_config.h"
#include "monitor_http.h"
#include "monitor_kernel.h"
#include "options.h"
#include "pin.h"
#include "probe_child.h"
#include "util.h"

#ifndef DS_VERSION
#define DS_VERSION "0.1"
#endif

/* The config file's largest size: targets, not data. */
#define CONFIG_MAX (256 * 1024)
#define EVENTS_GAP_S 0.1	    /* the ring buffer is read at most this often */
#define MMAP_THRESHOLD (128 * 1024) /* glibc's default, kept fixed */

enum {
	OPT_CONFIG = 0x7000,
	OPT_LISTEN,
	OPT_TEXTFILE,
	OPT_PIN_DIR,
	OPT_KEEP,
	OPT_REMOVE,
	OPT_INTERVAL,
	OPT_NO_RETRANS,
};

/* The command's table (options.h): parsing, --help and `dropscope help --options`. */
const struct ds_option monitor_options[] = {
	{"config", OPT_CONFIG, required_argument, "FILE",
	 "targets, one per line ('#' comments); reread on SIGHUP"},
	{"listen", OPT_LISTEN, required_argument, "ADDR:PORT",
	 "serve GET /metrics: text 0.0.4, or OpenMetrics when\nasked (127.0.0.1:9377, [::1]:9377, "
	 ":9377)"},
	{"textfile", OPT_TEXTFILE, required_argument, "DIR",
	 "write DIR/dropscope.prom for node_exporter's textfile\ncollector, every --interval"},
	{"interval", OPT_INTERVAL, required_argument, "S",
	 "how often to rewrite the textfile (default 15)"},
	{"pin-dir", OPT_PIN_DIR, required_argument, "DIR",
	 "the maps and links under DIR (default\n" DEFAULT_PIN_DIR ")"},
	{"keep", OPT_KEEP, no_argument, NULL,
	 "leave the programs attached at exit: a restart loses\nno drop"},
	{"remove", OPT_REMOVE, no_argument, NULL,
	 "detach and remove the pins a --keep monitor left,\nand exit"},
	{"netns", 'N', required_argument, "NS",
	 "this server: self (default), a name from 'ip netns',\na path, or all (every namespace, "
	 "with a netns\nlabel); the pins stay in the caller's bpffs"},
	{"no-retrans", OPT_NO_RETRANS, no_argument, NULL, "do not count TCP retransmissions"},
	{"json", 'j', no_argument, NULL, "episode records as JSON lines on stdout"},
	{"verbose", 'v', no_argument, NULL, "say more on stderr"},
	{"help", 'h', no_argument, NULL, "this text"},
	{0},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dropscope monitor [TARGET...] [--config FILE] [--listen ADDR:PORT]\n"
		   "                         [--textfile DIR] [--pin-dir DIR] [--keep] [--json] "
		   "[-N NS]\n"
		   "       dropscope monitor --remove [--pin-dir DIR]\n\n"
		   "Watch all the time: count this server's drops in the kernel, probe the\n"
		   "targets, and feed Prometheus. The programs stay attached through links\n"
		   "pinned beside the maps, so the counts are absolute and go on across\n"
		   "restarts. SIGHUP rereads --config.\n\noptions:\n");
	ds_options_help(f, monitor_options);
}

int monitor_add_fd(struct monitor *m, int fd, void (*ready)(struct monitor *m, int fd, void *ctx),
		   void *ctx)
{
	if (m->nfds >= ARRAY_SIZE(m->fds))
		return -ENOSPC;
	m->fds[m->nfds++] = (struct monitor_fd){fd, ready, ctx};
	return 0;
}

void monitor_del_fd(struct monitor *m, int fd)
{
	for (size_t i = 0; i < m->nfds; i++)
		if (m->fds[i].fd == fd) {
			m->fds[i] = m->fds[--m->nfds];
			return;
		}
}

int monitor_write_metrics(struct monitor *m, struct metrics *out)
{
	const char *build[] = {"version", DS_VERSION, NULL};

	monitor_kernel_metrics(m->kernel, out);
	metrics_family(out, "dropscope_build_info", METRIC_GAUGE,
		       "1, with the version of dropscope that serves these metrics.");
	metrics_gauge(out, build, 1);
	metrics_family(out, "dropscope_monitor_targets", METRIC_GAUGE,
		       "The targets the monitor probes (command line and --config).");
	metrics_gauge(out, NULL, m->ntargets);
	metrics_family(out, "dropscope_monitor_reloads_total", METRIC_COUNTER,
		       "Configuration reloads (SIGHUP) that took effect.");
	metrics_counter(out, NULL, m->reloads);
	metrics_family(out, "dropscope_monitor_events_read_total", METRIC_COUNTER,
		       "Watched drop events (ICMP drops: probes and their answers) read from the "
		       "kernel side's ring buffer.");
	metrics_counter(out, NULL, m->events_read);
	monitor_probe_metrics(m, out);
	return metrics_finish(out);
}

/* The targets: the command line's, then the config file's. Prints its own error. */
static int load_targets(const struct monitor_opts *o, char ***targets, size_t *n)
{
	char *text = NULL, err[256];
	ssize_t len;
	int rc;

	if (o->config) {
		text = malloc(CONFIG_MAX + 1);
		if (!text)
			return -ENOMEM;
		len = read_file(o->config, text, CONFIG_MAX + 1);
		if (len < 0 || len > CONFIG_MAX) {
			ds_err("failed to read --config %s: %s", o->config,
			       len < 0 ? strerror(-len) : "larger than 256 KiB");
			free(text);
			return len < 0 ? (int)len : -EFBIG;
		}
	}
	rc = monitor_targets_build(o->cli_targets, o->ncli_targets, text, targets, n, err,
				   sizeof(err));
	if (rc == -EINVAL)
		ds_err("%s%s%s", o->config && strstr(err, "line ") == err ? o->config : "",
		       o->config && strstr(err, "line ") == err ? ": " : "", err);
	free(text);
	return rc;
}

/* SIGHUP: the new targets, or the old ones kept when the file is bad. Counts are untouched:
 * they live in the kernel's maps and the probing half's state. */
static void reload(struct monitor *m)
{
	char **targets;
	size_t n;

	if (load_targets(m->o, &targets, &n)) {
		ds_err("reload failed: keeping the %zu target%s of before", m->ntargets,
		       plural(m->ntargets));
		return;
	}
	monitor_targets_free(m->targets, m->ntargets);
	m->targets = targets;
	m->ntargets = n;
	m->reloads++;
	fprintf(stderr, "dropscope: reloaded %s: %zu target%s\n",
		m->o->config ? m->o->config : "the targets", n, plural(n));
	monitor_probe_reload(m);
}

/* A missing textfile directory is the user's to fix (2); one we cannot write, the system's. */
static int textfile_exit(int err)
{
	return err == -ENOENT || err == -ENOTDIR ? DS_EXIT_USAGE : DS_EXIT_ERROR;
}

static void deliver_event(void *ctx, const struct drop_event *e)
{
	struct monitor *m = ctx;

	m->events_read++;
	if (m->on_event)
		m->on_event(m, e);
}

void monitor_read_events(void *ctx)
{
	struct monitor *m = ctx;

	if (m->kernel)
		monitor_kernel_events(m->kernel, deliver_event, m);
}

static int run(struct monitor *m)
{
	const struct monitor_opts *o = m->o;
	struct itimerspec tick;
	double next_textfile = 0, events_due = 0;
	int sfd = -1, tfd = -1, rc = DS_EXIT_ERROR, textfile_err = 0;
	sigset_t set;

	if (monitor_probe_start(m))
		return DS_EXIT_ERROR;
	if (!(m->tick_s >= 0.01))
		m->tick_s = 1;
	tick.it_interval.tv_sec = (time_t)m->tick_s;
	tick.it_interval.tv_nsec = (long)((m->tick_s - (time_t)m->tick_s) * 1e9);
	tick.it_value = tick.it_interval;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    timerfd_settime(tfd, 0, &tick, NULL)) {
		ds_err("failed to set up the monitor's loop: %s", strerror(errno));
		goto out;
	}
	fprintf(stderr, "dropscope: attached; monitoring %s%s with %zu target%s; pins in %s%s\n",
		m->ns.all ? "all namespaces" : "namespace ", m->ns.all ? "" : m->ns.name,
		m->ntargets, plural(m->ntargets), o->pin_dir, o->keep ? " (kept at exit)" : "");
	while (!ds_stop) {
		struct pollfd p[4 + ARRAY_SIZE(m->fds)];
		size_t n = 0, nfds = m->nfds;
		double now = mono_now();
		bool read_events;

		if (o->textfile && now >= next_textfile) {
			int err = monitor_textfile_write(m, o->textfile, textfile_err != 0);

			/* Said once when it starts failing, and once when it works again. */
			if (!err && textfile_err)
				fprintf(stderr, "dropscope: writing %s/dropscope.prom again\n",
					o->textfile);
			textfile_err = err;
			next_textfile = now + o->interval;
		}
		p[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = tfd, .events = POLLIN};
		/*
		 * Events in batches, read every EVENTS_GAP_S: a wakeup per event (each probe's
		 * answer is one) cost more than the rest of the loop together. The programs wake
		 * this descriptor only once the ring is a quarter full (a flood), to be read at
		 * once.
		 */
		p[n++] = (struct pollfd){.fd = monitor_kernel_events_fd(m->kernel),
					 .events = POLLIN};
		if (m->http)
			p[n++] = (struct pollfd){.fd = monitor_http_fd(m->http), .events = POLLIN};
		for (size_t i = 0; i < nfds; i++)
			p[n++] = (struct pollfd){.fd = m->fds[i].fd, .events = POLLIN};
		if (poll(p, n, now >= events_due ? 0 : (int)ceil((events_due - now) * 1e3)) < 0) {
			if (errno == EINTR)
				continue;
			ds_err("failed to wait: %s", strerror(errno));
			goto out;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					reload(m);
				else
					ds_stop = 1;
			}
		}
		/* Events first: a tick's merge wants those that came before it. */
		now = mono_now();
		read_events = p[2].revents || now >= events_due;
		if (read_events) {
			monitor_read_events(m);
			events_due = now + EVENTS_GAP_S;
		}
		if (p[1].revents) {
			uint64_t expirations;

			if (read(tfd, &expirations, sizeof(expirations)) > 0) {
				if (!read_events)
					monitor_read_events(m);
				monitor_probe_tick(m, mono_now());
			}
		}
		/* The HTTP server also has timeouts to keep: run it on every turn. */
		if (m->http)
			monitor_http_run(m->http);
		for (size_t i = 0; i < nfds; i++) {
			struct monitor_fd *f = &m->fds[i];

			/* A callback may remove descriptors: only those still there. */
			if (p[n - nfds + i].revents && i < m->nfds && f->fd == p[n - nfds + i].fd)
				f->ready(m, f->fd, f->ctx);
		}
	}
	rc = DS_EXIT_OK;
out:
	monitor_probe_stop(m);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return rc;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor_opts o = {.pin_dir = DEFAULT_PIN_DIR,
				 .netns_spec = "self",
				 .interval = 15,
				 .retransmits = true};
	struct monitor m = {.o = &o, .ns = {.fd = -1}};
	struct ds_getopt longopts;
	bool remove = false;
	int opt, err, rc = DS_EXIT_ERROR;

	/*
	 * Each segment's probers (a table of 2 MB each) are allocated, forked into the prober's
	 * process and freed. glibc raises its mmap threshold past the size of each freed block:
	 * from the second segment on they would come from the heap, zeroed page by page, and each
	 * prober's process would carry them all. A fixed threshold keeps them mmapped: untouched
	 * pages cost nothing, and the heap stays small.
	 */
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	if (ds_getopt_init(&longopts, monitor_options))
		return DS_EXIT_ERROR;
	optind = 0;
	while ((opt = ds_getopt(argc, argv, &longopts)) != -1) {
		switch (opt) {
		case OPT_CONFIG:
			o.config = optarg;
			break;
		case OPT_LISTEN:
			o.listen = optarg;
			break;
		case OPT_TEXTFILE:
			o.textfile = optarg;
			break;
		case OPT_PIN_DIR:
			if (!*optarg) {
				ds_err("bad --pin-dir '': expected a directory on a bpf "
				       "filesystem, "
				       "e.g. %s",
				       DEFAULT_PIN_DIR);
				return DS_EXIT_USAGE;
			}
			o.pin_dir = optarg;
			break;
		case OPT_KEEP:
			o.keep = true;
			break;
		case OPT_REMOVE:
			remove = true;
			break;
		case 'N':
			o.netns_spec = optarg;
			break;
		case OPT_INTERVAL:
			if (parse_duration(optarg, false, &o.interval) || o.interval < 1) {
				ds_err("bad --interval '%s': expected seconds >= 1", optarg);
				return DS_EXIT_USAGE;
			}
			break;
		case OPT_NO_RETRANS:
			o.retransmits = false;
			break;
		case 'j':
			o.json = true;
			break;
		case 'v':
			ds_verbose++;
			break;
		case 'h':
			usage(stdout);
			return DS_EXIT_OK;
		default:
			return ds_option_error("monitor", opt, argv, &longopts);
		}
	}
	o.cli_targets = argv + optind;
	o.ncli_targets = argc - optind;
	if (remove) {
		if (o.ncli_targets || o.config || o.listen || o.textfile || o.keep || o.json ||
		    strcmp(o.netns_spec, "self")) {
			ds_err("--remove takes only --pin-dir; see 'dropscope monitor --help'");
			return DS_EXIT_USAGE;
		}
		return monitor_kernel_remove(o.pin_dir) ? DS_EXIT_ERROR : DS_EXIT_OK;
	}
	if (o.textfile) {
		struct stat st;

		if (stat(o.textfile, &st) || !S_ISDIR(st.st_mode)) {
			ds_err("bad --textfile '%s': not a directory; create it (node_exporter's "
			       "--collector.textfile.directory), or choose another",
			       o.textfile);
			return DS_EXIT_USAGE;
		}
	}
	if (o.listen) {
		char host[256];
		unsigned port;

		if (monitor_parse_listen(o.listen, host, sizeof(host), &port)) {
			ds_err("bad --listen '%s': expected ADDR:PORT, e.g. 127.0.0.1:9377, "
			       "[::1]:9377 or :9377",
			       o.listen);
			return DS_EXIT_USAGE;
		}
	}
	err = load_targets(&o, &m.targets, &m.ntargets);
	if (err)
		return err == -EINVAL || err == -ENOENT ? DS_EXIT_USAGE : DS_EXIT_ERROR;
	if (netns_resolve(o.netns_spec, &m.ns)) {
		ds_err("unknown network namespace '%s': not a name in /run/netns ('ip netns list') "
		       "nor a namespace file",
		       o.netns_spec);
		rc = DS_EXIT_USAGE;
		goto cleanup;
	}
	m.started = mono_now();
	/* The prober's program, looked up once and now: missing, the monitor would probe nothing. */
	if (probe_child_program()) {
		rc = DS_EXIT_ERROR;
		goto cleanup;
	}
	/* A --pin-dir off bpffs is the user's to fix (2); the rest of the kernel side's
	 * failures are the system's (1). */
	err = ensure_bpffs(o.pin_dir);
	if (err) {
		rc = err == -EINVAL ? DS_EXIT_USAGE : DS_EXIT_ERROR;
		goto cleanup;
	}
	/* The listener and the textfile directory before the pins: a port taken or a directory
	 * we cannot write fails the start before it touches another monitor's kept pins. */
	if (o.listen) {
		err = monitor_http_open(&m, o.listen, &m.http);
		if (err) {
			rc = err == -EINVAL ? DS_EXIT_USAGE : DS_EXIT_ERROR;
			goto cleanup;
		}
	}
	if (o.textfile) {
		err = monitor_textfile_check(o.textfile);
		if (err) {
			rc = textfile_exit(err);
			goto cleanup;
		}
	}
	err = monitor_kernel_open(o.pin_dir, &m.ns, o.retransmits, o.keep, &m.kernel);
	if (err)
		goto cleanup;
	/* The first textfile now, with the counts. */
	if (o.textfile) {
		err = monitor_textfile_write(&m, o.textfile, 0);
		if (err) {
			rc = textfile_exit(err);
			goto cleanup;
		}
	}
	monitor_kernel_started(m.kernel);
	rc = run(&m);
cleanup:
	monitor_http_close(m.http);
	monitor_kernel_close(m.kernel);
	monitor_targets_free(m.targets, m.ntargets);
	netns_close(&m.ns);
	return rc;
}
