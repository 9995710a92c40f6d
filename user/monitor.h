/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dropscope monitor: the daemon. The kernel side stays attached through pinned links
 * (monitor_kernel.c), the metrics are served over HTTP or written for node_exporter
 * (monitor_http.c), and the targets are probed (monitor_probe.c, the probing half).
 *
 * The main loop (monitor.c) is one thread: it polls its own descriptors (signals, a one-second
 * tick, the HTTP server's epoll descriptor) and those the probing half adds with monitor_add_fd,
 * so nothing here needs a lock. A scrape runs inside the loop: every family is written then,
 * from the kernel maps' absolute values and the probing half's state.
 *
 * The probing half's hooks, called by the loop (monitor_probe.c defines them):
 *	monitor_probe_start	once, after the kernel side is up and the targets are known; it
 *				may set m->tick_s and m->on_event
 *	monitor_probe_tick	every m->tick_s (default 1 s; it may add descriptors of its own)
 *	monitor_probe_reload	after SIGHUP changed m->targets (the counts must survive)
 *	monitor_probe_metrics	at every scrape and textfile write: its families
 *	monitor_probe_stop	once, at the end
 * Each returns 0 or a negative errno and prints its own error; an error from start ends the
 * monitor (exit 1), from the others it is reported and the loop goes on.
 */
#ifndef DS_MONITOR_H
#define DS_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "netns.h"

struct drop_event;
struct monitor;
struct monitor_kernel;
struct monitor_http;
struct monitor_probe;

struct monitor_opts {
	char **cli_targets; /* TARGET... on the command line (argv: not owned) */
	size_t ncli_targets;
	const char *config;	/* --config FILE, or NULL */
	const char *listen;	/* --listen ADDR:PORT, or NULL */
	const char *textfile;	/* --textfile DIR, or NULL */
	const char *pin_dir;	/* --pin-dir DIR */
	const char *netns_spec; /* -N: "self" (default), "all", a name or a path */
	double interval;	/* textfile rewrite period, seconds */
	bool keep;		/* --keep: leave the programs attached at exit */
	bool json;		/* --json: episode records as JSON lines on stdout */
	bool retransmits;	/* trace TCP retransmissions (default) */
};

struct monitor_fd {
	int fd;
	void (*ready)(struct monitor *m, int fd, void *ctx); /* called when fd is readable */
	void *ctx;
};

struct monitor {
	const struct monitor_opts *o;
	/* The targets: the command line's, then the config file's, duplicates dropped. Replaced
	 * as a whole by a reload; owned. */
	char **targets;
	size_t ntargets;
	struct netns_ref ns; /* the server: -N (all: ns.all) */
	struct monitor_kernel *kernel;
	struct monitor_http *http;
	struct monitor_probe *probe; /* the probing half's state, its own to allocate */
	struct monitor_fd fds[16];   /* descriptors the loop polls for the probing half */
	size_t nfds;
	double tick_s; /* monitor_probe_tick's period, read after monitor_probe_start */
	/* Each watched drop event (monitor_kernel.h), as it comes; NULL: none wanted. The
	 * kernel side's maps for the merge: monitor_kernel_maps(m->kernel). */
	void (*on_event)(struct monitor *m, const struct drop_event *e);
	double started; /* mono_now() at start */
	uint64_t scrapes, reloads, events_read;
};

/* Poll fd in the main loop and call ready when it is readable, until monitor_del_fd. Returns 0,
 * or -ENOSPC past 16 descriptors. */
int monitor_add_fd(struct monitor *m, int fd, void (*ready)(struct monitor *m, int fd, void *ctx),
		   void *ctx);
void monitor_del_fd(struct monitor *m, int fd);

/* The whole exposition into out (metrics_init'ed by the caller): the kernel families, the
 * monitor's own, then the probing half's. Returns 0 or -errno (out->err). */
int monitor_write_metrics(struct monitor *m, struct metrics *out);

/* The probing half (monitor_probe.c). */
int monitor_probe_start(struct monitor *m);
int monitor_probe_tick(struct monitor *m, double now);
int monitor_probe_reload(struct monitor *m);
void monitor_probe_metrics(struct monitor *m, struct metrics *out);
void monitor_probe_stop(struct monitor *m);
/* Read the events ring buffer's pending events now, each to on_event (ctx: the monitor). */
void monitor_read_events(void *ctx);

#endif
