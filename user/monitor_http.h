/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The monitor's two ways out for its metrics: GET /metrics over HTTP (--listen; a small
 * HTTP/1.1 server of our own, driven from the monitor's own loop through one epoll descriptor,
 * so a scrape runs in the loop's thread; http_request.c parses the requests), and
 * DIR/dropscope.prom for node_exporter's textfile collector (--textfile),
 * replaced atomically.
 */
#ifndef DS_MONITOR_HTTP_H
#define DS_MONITOR_HTTP_H

#include <stddef.h>

#include "monitor.h"

/*
 * Split ADDR:PORT ("127.0.0.1:9377", "[::1]:9377", ":9377" for every address, "localhost:9377")
 * into host (empty for every address) and port 1-65535. Returns 0 or -EINVAL. Pure.
 */
int monitor_parse_listen(const char *s, char *host, size_t size, unsigned *port);

/*
 * Listen on ADDR:PORT and serve m's metrics. Prints its own one-line error: -EINVAL a bad
 * ADDR:PORT (exit 2), -EADDRINUSE the port is taken, and the socket's other errors (exit 1).
 */
int monitor_http_open(struct monitor *m, const char *listen, struct monitor_http **out);
/* The descriptor to poll: readable when monitor_http_run has work. */
int monitor_http_fd(const struct monitor_http *h);
/*
 * Serve what is pending, without blocking, and close the connections past their timeouts
 * (10 s idle; 10 s from a request's first byte to its reply's last): call it on every turn of
 * the loop, at least every second, not only when the descriptor is readable.
 */
void monitor_http_run(struct monitor_http *h);
void monitor_http_close(struct monitor_http *h);

/*
 * Write m's metrics (text format 0.0.4) to DIR/dropscope.prom: into a temporary file in DIR
 * (not named *.prom, which node_exporter would read), then renamed over it. Returns 0 or
 * -errno; prints its own one-line error unless quiet.
 */
int monitor_textfile_write(struct monitor *m, const char *dir, int quiet);
/* Whether we can write files in dir (before the kernel side opens); prints its error. */
int monitor_textfile_check(const char *dir);

#endif
