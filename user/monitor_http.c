// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "http_request.h"
#include "metrics.h"
#include "monitor_http.h"
#include "util.h"

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

/*
 * The server: one endpoint, inside the monitor's one-threaded loop. The listening socket and
 * every connection are in an epoll descriptor of our own, which the loop polls; each turn of
 * the loop (at least every 0.1 s: it reads the events ring so often) runs monitor_http_run,
 * which serves what is ready, without blocking, and keeps the timeouts. A connection reads a
 * request head (http_request.c parses it), writes the whole reply as the socket takes it, then
 * reads the next request.
 *
 * A turn's work is bounded, so that no client holds the loop (its signals, its ring, its
 * probes): a connection gets at most one request answered per turn, and an exposition is built
 * at most once per turn and format, shared by the replies of that turn. A connection that
 * still holds a request (pipelined) waits for its socket to be writable as well as readable:
 * the epoll descriptor stays readable, and the loop comes back at once for the next one.
 */
#define HTTP_CONNS_MAX 32
#define HTTP_IDLE_S 10	  /* no byte read or written for this long: closed */
#define HTTP_REQUEST_S 10 /* from a request's first byte to its reply's last */
#define HTTP_LINGER_S 2	  /* after a reply that closes, the client's bytes read and dropped */
#define HTTP_LINGER_MAX 65536
#define HTTP_ACCEPT_PAUSE_S 0.5 /* out of descriptors: no accept for this long */

enum conn_state {
	CONN_READ,   /* reading a request head, or holding one to answer on the next turn */
	CONN_WRITE,  /* writing a reply */
	CONN_LINGER, /* replied and shut down for writing: reading what the client still sends,
		      * so that closing with unread bytes (a reset) does not destroy the reply */
};

/* An exposition, shared by the replies of one turn; freed with the last that holds it. */
struct http_body {
	unsigned refs;
	size_t len;
	char *buf;
};

struct conn {
	int fd;
	enum conn_state state;
	bool close_after;
	bool eof;	/* the client sent all it will: what c->in holds is answered, then closed */
	double last_io; /* the last byte read or written, or the accept */
	double started; /* the current request's first byte; 0 between requests */
	double lingering; /* CONN_LINGER since */
	size_t lingered;
	/* The reply: its head, then its body (none for HEAD), sent written bytes of both. */
	char head[512];
	size_t head_len;
	const char *body;
	struct http_body *shared; /* what holds body, when it is an exposition */
	size_t body_len, sent;
	size_t in_len;
	char in[HTTP_HEAD_MAX];
};

struct monitor_http {
	struct monitor *m;
	int listen_fd;
	int epoll_fd;
	double accept_paused; /* 0, or since when the listening socket is out of the epoll set */
	struct conn *conns[HTTP_CONNS_MAX];
	/* This turn's expositions, per format, built by the first reply that wants one. */
	struct http_body *turn[METRICS_OPENMETRICS + 1];
	bool turn_failed[METRICS_OPENMETRICS + 1];
};

static const char *reason_phrase(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

/* RFC 9110 6.6.1: an origin server with a clock sends Date, in IMF-fixdate (not the locale's). */
static void http_date(char *buf, size_t size)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm)) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, size, "Date: %s, %02d %s %d %02d:%02d:%02d GMT\r\n", days[tm.tm_wday % 7],
		 tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
}

/* A reply's head into buf (512 bytes hold any); returns its length. */
static size_t http_head(char *buf, size_t size, unsigned status, const char *type, size_t body_len,
			bool close_after, int minor)
{
	char date[64];
	const char *conn = close_after	? "Connection: close\r\n"
			   : minor == 0 ? "Connection: keep-alive\r\n"
					: "";
	int n;

	http_date(date, sizeof(date));
	n = snprintf(buf, size,
		     "HTTP/1.1 %u %s\r\n%sContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
		     status, reason_phrase(status), date, type, body_len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "", conn);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* The reply's head into c->head; the body is c->body's. */
static void reply_head(struct conn *c, unsigned status, const char *type, int minor)
{
	c->head_len = http_head(c->head, sizeof(c->head), status, type, c->body_len, c->close_after,
				minor);
	c->sent = 0;
}

static void reply_text(struct conn *c, unsigned status, const char *text, int minor)
{
	c->body = text;
	c->body_len = strlen(text);
	reply_head(c, status, "text/plain; charset=utf-8", minor);
}

static void body_put(struct http_body *b)
{
	if (b && !--b->refs) {
		free(b->buf);
		free(b);
	}
}

/* This turn's exposition in format f: built by the first reply of the turn that wants it. NULL
 * when it cannot be built (tried once a turn). The turn holds a reference until its end. */
static struct http_body *turn_body(struct monitor_http *h, enum metrics_format f)
{
	struct http_body *b;
	struct metrics out;

	if (h->turn[f] || h->turn_failed[f])
		return h->turn[f];
	metrics_init(&out, f);
	b = malloc(sizeof(*b));
	if (!b || monitor_write_metrics(h->m, &out)) {
		free(b);
		metrics_free(&out);
		h->turn_failed[f] = true;
		return NULL;
	}
	/* The buffer is the body's now. */
	*b = (struct http_body){.refs = 1, .len = out.len, .buf = out.buf};
	h->turn[f] = b;
	return b;
}

static void conn_free_body(struct conn *c)
{
	body_put(c->shared);
	c->shared = NULL;
	c->body = NULL;
	c->body_len = 0;
}

/* The reply to the request r, whose head is in c->in. */
static void answer(struct monitor_http *h, struct conn *c, const struct http_request *r)
{
	int minor = r->status ? 1 : r->minor;

	c->close_after = !r->keep_alive;
	if (r->status == 400)
		reply_text(c, 400, "dropscope: malformed request\n", minor);
	else if (r->status == 413)
		reply_text(c, 413, "dropscope: a request with a body; /metrics takes none\n",
			   minor);
	else if (r->status == 431)
		reply_text(c, 431, "dropscope: request head over 8 KiB\n", minor);
	else if (r->status == 505)
		reply_text(c, 505, "dropscope: only HTTP/1.0 and HTTP/1.1\n", minor);
	else if (r->status)
		reply_text(c, 500, "dropscope: failed to parse the request\n", minor);
	else if (r->method == HTTP_OTHER)
		reply_text(c, 405, "dropscope: only GET and HEAD\n", minor);
	else if (r->path_len != strlen("/metrics") ||
		 memcmp(c->in + r->path, "/metrics", r->path_len))
		reply_text(c, 404, "dropscope: not found; the metrics are at /metrics\n", minor);
	else {
		enum metrics_format f = metrics_negotiate(r->has_accept ? r->accept : NULL);
		struct http_body *b = turn_body(h, f);

		if (!b) {
			reply_text(c, 500, "dropscope: failed to write the metrics\n", minor);
		} else {
			b->refs++;
			c->shared = b;
			c->body = b->buf;
			c->body_len = b->len;
			reply_head(c, 200, metrics_content_type(f), minor);
			h->m->scrapes++;
			ds_debug("served /metrics as %s",
				 f == METRICS_OPENMETRICS ? "OpenMetrics 1.0.0" : "text 0.0.4");
		}
	}
	/* HEAD: the length GET would have, no body. */
	if (r->method == HTTP_HEAD)
		conn_free_body(c);
}

static void conn_close(struct monitor_http *h, struct conn *c)
{
	for (size_t i = 0; i < HTTP_CONNS_MAX; i++)
		if (h->conns[i] == c)
			h->conns[i] = NULL;
	/* close() takes it out of the epoll set: no other descriptor refers to the socket. */
	close(c->fd);
	conn_free_body(c);
	free(c);
}

static int conn_watch(struct monitor_http *h, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	return epoll_ctl(h->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what the socket takes. Returns 1 when the reply is all written, 0 when the socket is
 * full, -1 when the connection is gone. */
static int conn_write(struct conn *c, double now)
{
	size_t total = c->head_len + c->body_len;

	while (c->sent < total) {
		struct iovec iov[2];
		struct msghdr msg = {.msg_iov = iov};
		ssize_t n;

		if (c->sent < c->head_len) {
			iov[msg.msg_iovlen++] =
				(struct iovec){c->head + c->sent, c->head_len - c->sent};
			if (c->body_len)
				iov[msg.msg_iovlen++] =
					(struct iovec){(char *)c->body, c->body_len};
		} else {
			iov[msg.msg_iovlen++] = (struct iovec){
				(char *)c->body + (c->sent - c->head_len), total - c->sent};
		}
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->sent += n;
		c->last_io = now;
	}
	return 1;
}

/*
 * Go on with the reply: write what the socket takes, and once it is all written, linger (a
 * reply that closes) or go back to reading. A request c already holds is not answered now but
 * on the next turn, which its socket's room for the reply brings at once. Returns 0, or -1
 * when c is to be closed.
 */
static int conn_reply(struct monitor_http *h, struct conn *c, double now)
{
	int w = conn_write(c, now);

	if (w <= 0)
		return w < 0 || conn_watch(h, c, EPOLLOUT) ? -1 : 0;
	conn_free_body(c);
	if (c->close_after) {
		if (shutdown(c->fd, SHUT_WR) || conn_watch(h, c, EPOLLIN))
			return -1;
		c->state = CONN_LINGER;
		c->lingering = now;
		return 0;
	}
	c->state = CONN_READ;
	/* The next request, pipelined, started no later than now. */
	c->started = c->in_len ? now : 0;
	if (!c->in_len)
		return c->eof || conn_watch(h, c, EPOLLIN) ? -1 : 0;
	return conn_watch(h, c, EPOLLOUT | (c->eof ? 0 : EPOLLIN)) ? -1 : 0;
}

/* Answer the first request c->in holds, if it holds a whole one; else wait for more bytes.
 * Returns 0, or -1 when c is to be closed. */
static int conn_answer(struct monitor_http *h, struct conn *c, double now)
{
	struct http_request r;
	size_t used = http_request_parse(c->in, c->in_len, &r);

	if (!used)
		return c->eof || conn_watch(h, c, EPOLLIN) ? -1 : 0;
	answer(h, c, &r);
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	c->state = CONN_WRITE;
	return conn_reply(h, c, now);
}

/* One turn of c's: what its socket's events allow, one request answered at most. */
static void conn_ready(struct monitor_http *h, struct conn *c, uint32_t events, double now)
{
	ssize_t n;

	if (c->state == CONN_LINGER) {
		char drop[4096];

		while ((n = recv(c->fd, drop, sizeof(drop), MSG_DONTWAIT)) > 0)
			c->lingered += n;
		if (!n || (n < 0 && errno != EAGAIN && errno != EINTR) ||
		    c->lingered > HTTP_LINGER_MAX)
			conn_close(h, c);
		return;
	}
	if (c->state == CONN_WRITE) {
		if ((events & (EPOLLERR | EPOLLHUP)) || conn_reply(h, c, now))
			conn_close(h, c);
		return;
	}
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !c->eof && c->in_len < sizeof(c->in)) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(h, c);
			return;
		}
		/* An end of input: the requests read already are still answered. */
		c->eof = !n;
		if (n > 0) {
			if (!c->in_len)
				c->started = now;
			c->in_len += n;
			c->last_io = now;
		}
	}
	if (conn_answer(h, c, now))
		conn_close(h, c);
}

static int listen_watch(struct monitor_http *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = NULL};

	return epoll_ctl(h->epoll_fd, EPOLL_CTL_MOD, h->listen_fd, &ev);
}

/* A connection we do not take: told why in a 503, if its socket takes it, and closed. */
static void refuse(int fd, const char *why)
{
	char buf[1024], drop[1024];
	size_t len =
		http_head(buf, sizeof(buf), 503, "text/plain; charset=utf-8", strlen(why), true, 1);

	len += snprintf(buf + len, sizeof(buf) - len, "%s", why);
	/* What it sent already is read first: closing over unread bytes sends a reset, which
	 * may destroy the reply before the client reads it. */
	for (int j = 0; j < 16 && recv(fd, drop, sizeof(drop), MSG_DONTWAIT) > 0; j++)
		;
	if (send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		shutdown(fd, SHUT_WR);
	close(fd);
}

/* A slot for a new connection: a free one, else that of the connection lingering longest
 * (replied to already), closed; -1 when all 32 are busy. */
static int conn_slot(struct monitor_http *h)
{
	int oldest = -1;

	for (int i = 0; i < HTTP_CONNS_MAX; i++) {
		struct conn *c = h->conns[i];

		if (!c)
			return i;
		if (c->state == CONN_LINGER &&
		    (oldest < 0 || c->lingering < h->conns[oldest]->lingering))
			oldest = i;
	}
	if (oldest >= 0)
		conn_close(h, h->conns[oldest]);
	return oldest;
}

static void accept_all(struct monitor_http *h, double now)
{
	/* Bounded: a flood of connections does not keep the loop here. */
	for (int k = 0; k < 64; k++) {
		struct epoll_event ev = {.events = EPOLLIN};
		char why[64];
		struct conn *c;
		int i, fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The listening socket stays readable: out of the set for a while,
				 * or the loop would spin. */
				if (!listen_watch(h, 0))
					h->accept_paused = now;
				ds_debug("failed to accept a connection: %s", strerror(errno));
			}
			return;
		}
		i = conn_slot(h);
		if (i < 0) {
			snprintf(why, sizeof(why), "dropscope: too many connections (%d)\n",
				 HTTP_CONNS_MAX);
			refuse(fd, why);
			continue;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			refuse(fd, "dropscope: out of memory\n");
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = fd;
		c->last_io = now;
		ev.data.ptr = c;
		if (epoll_ctl(h->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		h->conns[i] = c;
	}
}

/* Close what has waited too long: idle, a request (head and reply) too slow, a linger done. */
static void expire(struct monitor_http *h, double now)
{
	for (size_t i = 0; i < HTTP_CONNS_MAX; i++) {
		struct conn *c = h->conns[i];
		bool idle, slow;

		if (!c)
			continue;
		if (c->state == CONN_LINGER) {
			if (now - c->lingering >= HTTP_LINGER_S)
				conn_close(h, c);
			continue;
		}
		idle = now - c->last_io >= HTTP_IDLE_S;
		slow = c->started && now - c->started >= HTTP_REQUEST_S;
		if (!idle && !slow)
			continue;
		if (idle)
			ds_debug("closed an HTTP connection: idle for %d s", HTTP_IDLE_S);
		else
			ds_debug("closed an HTTP connection: a request not done in %d s",
				 HTTP_REQUEST_S);
		conn_close(h, c);
	}
	if (h->accept_paused && now - h->accept_paused >= HTTP_ACCEPT_PAUSE_S &&
	    !listen_watch(h, EPOLLIN))
		h->accept_paused = 0;
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
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct monitor_http *h;
	int err;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->m = m;
	h->listen_fd = -1;
	h->epoll_fd = -1;
	err = listen_on(spec, &h->listen_fd);
	if (err)
		goto fail;
	h->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epoll_fd < 0 || epoll_ctl(h->epoll_fd, EPOLL_CTL_ADD, h->listen_fd, &ev)) {
		err = -errno;
		ds_err("failed to start the HTTP server on %s: %s", spec, strerror(errno));
		goto fail;
	}
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
	struct epoll_event ev[HTTP_CONNS_MAX + 1];
	double now = mono_now();
	int n = epoll_wait(h->epoll_fd, ev, HTTP_CONNS_MAX + 1, 0);
	bool listener = false;

	/* Each descriptor is in ev once: a connection closed here is not met again. New ones
	 * come after, as taking one may close a lingering connection that ev holds. */
	for (int i = 0; i < n; i++) {
		if (!ev[i].data.ptr)
			listener = true;
		else
			conn_ready(h, ev[i].data.ptr, ev[i].events, now);
	}
	if (listener)
		accept_all(h, now);
	expire(h, now);
	for (size_t f = 0; f < ARRAY_SIZE(h->turn); f++) {
		body_put(h->turn[f]);
		h->turn[f] = NULL;
		h->turn_failed[f] = false;
	}
}

void monitor_http_close(struct monitor_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < HTTP_CONNS_MAX; i++)
		if (h->conns[i])
			conn_close(h, h->conns[i]);
	if (h->epoll_fd >= 0)
		close(h->epoll_fd);
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
