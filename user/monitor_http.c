// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "monitor_http.h"
#include "monitor_mhd.h"
#include "util.h"

struct monitor_http {
	struct monitor *m;
	struct MHD_Daemon *d;
	int listen_fd;
	int epoll_fd;
};

int monitor_parse_listen(const char *s, char *host, size_t size, unsigned *port)
{
	const char *colon, *h = s;
	size_t hlen;
	unsigned long p;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		h = s + 1;
		hlen = end - h;
		colon = end + 1;
		if (!hlen)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', colon - s))
			return -EINVAL;
		hlen = colon - s;
	}
	if (hlen >= size || parse_ulong(colon + 1, 1, 65535, &p))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = p;
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "dropscope: not found; the metrics are at /metrics\n";
	static char only_get[] = "dropscope: only GET\n";
	struct monitor_http *h = cls;
	struct metrics out;
	enum MHD_Result ret;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", only_get,
			     strlen(only_get), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
			     MHD_RESPMEM_PERSISTENT);
	metrics_init(&out, metrics_negotiate(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
									 MHD_HTTP_HEADER_ACCEPT)));
	if (monitor_write_metrics(h->m, &out)) {
		static char failed[] = "dropscope: failed to write the metrics\n";

		metrics_free(&out);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     strlen(failed), MHD_RESPMEM_PERSISTENT);
	}
	/* The response owns the buffer now. */
	ret = reply(c, MHD_HTTP_OK, metrics_content_type(out.format), out.buf, out.len,
		    MHD_RESPMEM_MUST_FREE);
	if (ret == MHD_NO)
		metrics_free(&out);
	h->m->scrapes++;
	ds_debug("served /metrics as %s",
		 out.format == METRICS_OPENMETRICS ? "OpenMetrics 1.0.0" : "text 0.0.4");
	return ret;
}

/* Our own socket, so that a taken port is our one clear line, not the library's. */
static int listen_on(const char *spec, int *out)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res, *ai;
	char host[256], port_s[8];
	unsigned port;
	int fd = -1, err, one = 1;

	if (monitor_parse_listen(spec, host, sizeof(host), &port)) {
		ds_err("bad --listen '%s': expected ADDR:PORT, e.g. 127.0.0.1:9377, [::1]:9377 or "
		       ":9377",
		       spec);
		return -EINVAL;
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	err = getaddrinfo(*host ? host : NULL, port_s, &hints, &res);
	if (err) {
		ds_err("bad --listen '%s': cannot resolve '%s': %s", spec, host, gai_strerror(err));
		return -EINVAL;
	}
	err = -EADDRNOTAVAIL;
	/* Every address: IPv6 if it can, which takes IPv4 too; else the first that binds. */
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 16)) {
			err = 0;
			break;
		}
		err = -errno;
		close(fd);
		fd = -1;
		if (err == -EADDRINUSE)
			break;
	}
	freeaddrinfo(res);
	if (err == -EADDRINUSE)
		ds_err("failed to listen on %s: the port is taken (another exporter?); stop it, or "
		       "choose another --listen ADDR:PORT",
		       spec);
	else if (err)
		ds_err("failed to listen on %s: %s", spec, strerror(-err));
	*out = fd;
	return err;
}

int monitor_http_open(struct monitor *m, const char *spec, struct monitor_http **out)
{
	struct monitor_http *h;
	const union MHD_DaemonInfo *info;
	int err;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->m = m;
	h->epoll_fd = -1;
	err = listen_on(spec, &h->listen_fd);
	if (err)
		goto fail;
	err = mhd_load();
	if (err) {
		ds_err("failed to start the HTTP server on %s: %s", spec, mhd_error());
		goto fail;
	}
	/* One thread: libmicrohttpd's epoll descriptor goes into the monitor's loop. */
	h->d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, handle, h, MHD_OPTION_LISTEN_SOCKET,
				h->listen_fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (!h->d) {
		err = -EIO;
		ds_err("failed to start the HTTP server on %s", spec);
		goto fail;
	}
	h->listen_fd = -1; /* the daemon's now */
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		err = -EIO;
		ds_err("failed to start the HTTP server on %s: no epoll descriptor", spec);
		goto fail;
	}
	h->epoll_fd = info->epoll_fd;
	*out = h;
	return 0;
fail:
	monitor_http_close(h);
	return err;
}

int monitor_http_fd(const struct monitor_http *h)
{
	return h->epoll_fd;
}

void monitor_http_run(struct monitor_http *h)
{
	MHD_run(h->d);
}

void monitor_http_close(struct monitor_http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h);
}

/* A new file of our own in dir, named so that node_exporter skips it (not *.prom): its path
 * in tmp, the descriptor returned, or -errno. */
static int textfile_tmp(const char *dir, char *tmp, size_t size)
{
	int fd;

	if ((size_t)snprintf(tmp, size, "%s/.dropscope.XXXXXX", dir) >= size)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int monitor_textfile_check(const char *dir)
{
	char tmp[4096];
	int fd = textfile_tmp(dir, tmp, sizeof(tmp));

	if (fd < 0) {
		ds_err("failed to write %s/dropscope.prom: %s", dir, strerror(-fd));
		return fd;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

int monitor_textfile_write(struct monitor *m, const char *dir, int quiet)
{
	char tmp[4096], path[4096];
	struct metrics out;
	ssize_t n = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/dropscope.prom", dir);
	metrics_init(&out, METRICS_TEXT);
	err = monitor_write_metrics(m, &out);
	if (err) {
		if (!quiet)
			ds_err("failed to write the metrics: %s", strerror(-err));
		metrics_free(&out);
		return err;
	}
	/* A new file of ours (mkstemp: O_EXCL, an unpredictable name), never one put there. */
	fd = textfile_tmp(dir, tmp, sizeof(tmp));
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	/* Readable by node_exporter, whatever the umask. */
	if (fchmod(fd, 0644))
		err = -errno;
	for (size_t off = 0; !err && off < out.len; off += n) {
		n = write(fd, out.buf + off, out.len - off);
		if (n < 0)
			err = -errno;
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
fail:
	metrics_free(&out);
	if (err && !quiet) {
		if (err == -ENOENT)
			ds_err("failed to write %s: the directory %s does not exist; create it, or "
			       "choose another --textfile DIR",
			       path, dir);
		else
			ds_err("failed to write %s: %s", path, strerror(-err));
	}
	return err;
}
