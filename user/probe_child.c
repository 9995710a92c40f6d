// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"
#include "probe_child.h"
#include "util.h"

/* The messages, each a header and len bytes of payload. */
enum {
	MSG_FAILED = 1, /* child -> parent: int32 -errno, it could not drop its privileges */
	MSG_READY,	/* child -> parent: int32 0, privileges dropped, waiting for MSG_GO */
	MSG_GO,		/* request: double, the deadline (CLOCK_MONOTONIC s); starts the run */
	MSG_DONE,	/* child -> parent: int32, what prober_run returned */
	MSG_PROBES,	/* request: none; answer: u64 n, n records, n settled bytes */
	MSG_CLASSIFY,	/* request: the packet; answer: int32 rc, struct probe_packet */
	MSG_REPORT,	/* request: n excluded bytes (none: the plain report); answer: int32 0 or
			   -errno, then struct probe_report and its nhops hop rows */
	MSG_QUIT,	/* request: none; the child exits */
};

struct msg_header {
	uint32_t type;
	uint32_t len;
};

#define REPLY_TIMEOUT_MS 30000 /* the child answers at once; past this it is stuck */
#define MAX_PACKET 65535
#define MAX_HOPS (PROBE_MAX_TTL + 1)

struct probe_child {
	pid_t pid;
	int fd;
	int stop_fd; /* closing it ends the child's run early */
	bool done, stopped, broken;
	int run_err;
	struct probe_record *rec;
	uint8_t *settled;
	size_t nrec;
	bool have_probes;
	struct probe_report report;
	struct probe_hop_report *hops;
};

/* --- both sides: whole messages over a stream ------------------------------------------- */

/* timeout_ms < 0: block (the child); the parent always bounds its waits. */
static int read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n;

		if (timeout_ms >= 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int r = poll(&pfd, 1, timeout_ms);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
		}
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_msg(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	struct msg_header h = { .type = type, .len = (uint32_t)(alen + blen) };
	int err = write_full(fd, &h, sizeof(h));

	if (!err && alen)
		err = write_full(fd, a, alen);
	if (!err && blen)
		err = write_full(fd, b, blen);
	return err;
}

/* --- the child: no privileges, the prober, then answers -------------------------------- */

static void serve_probes(struct prober *p, int fd)
{
	const struct probe_record *rec;
	uint64_t n = prober_probes(p, &rec, NULL);
	uint8_t *settled = malloc(n + 1);
	struct msg_header h = { MSG_PROBES, (uint32_t)(sizeof(n) + n * sizeof(*rec) + n) };

	if (!settled)
		n = 0, h.len = sizeof(n);
	for (uint64_t i = 0; i < n; i++)
		settled[i] = prober_probe_settled(p, i);
	if (!write_full(fd, &h, sizeof(h)) && !write_full(fd, &n, sizeof(n)) &&
	    !write_full(fd, rec, n * sizeof(*rec)))
		write_full(fd, settled, n);
	free(settled);
}

static void serve_report(struct prober *p, int fd, const uint8_t *excluded, size_t n)
{
	const struct probe_report *r;
	bool *ex = NULL;
	int32_t rc = 0;

	if (n) {
		ex = calloc(n, sizeof(*ex));
		for (size_t i = 0; ex && i < n; i++)
			ex[i] = excluded[i] != 0;
	}
	r = n && ex ? prober_report_excluding(p, ex, n) : prober_report(p);
	free(ex);
	if (!r) {
		rc = -ENOMEM;
		send_msg(fd, MSG_REPORT, &rc, sizeof(rc), NULL, 0);
		return;
	}
	{
		struct msg_header h = { MSG_REPORT, (uint32_t)(sizeof(rc) + sizeof(*r) +
							r->nhops * sizeof(*r->hops)) };

		if (!write_full(fd, &h, sizeof(h)) && !write_full(fd, &rc, sizeof(rc)) &&
		    !write_full(fd, r, sizeof(*r)))
			write_full(fd, r->hops, r->nhops * sizeof(*r->hops));
	}
}

static void serve(struct prober *p, int fd)
{
	for (;;) {
		struct msg_header h;
		uint8_t *buf = NULL;

		if (read_full(fd, &h, sizeof(h), -1))
			return;
		if (h.len > PROBE_MAX_RECORDS + MAX_PACKET)
			return;
		if (h.len) {
			buf = malloc(h.len);
			if (!buf || read_full(fd, buf, h.len, -1)) {
				free(buf);
				return;
			}
		}
		switch (h.type) {
		case MSG_PROBES:
			serve_probes(p, fd);
			break;
		case MSG_CLASSIFY: {
			struct probe_packet pk;
			int32_t rc;

			memset(&pk, 0, sizeof(pk));
			rc = prober_classify_packet(p, buf, h.len, &pk);
			send_msg(fd, MSG_CLASSIFY, &rc, sizeof(rc), &pk, sizeof(pk));
			break;
		}
		case MSG_REPORT:
			serve_report(p, fd, buf, h.len);
			break;
		default:
			free(buf);
			return;
		}
		free(buf);
	}
}

/* Close every descriptor the parent had open (the tracer's maps, a namespace) but stdio, the
 * socket to the parent and the prober's sockets: while /proc/self is still ours to read. */
static int close_others(const struct prober *p, int fd, int stop_fd)
{
	int keep[9] = { 0, 1, 2, fd, stop_fd };
	size_t nkeep = 5 + prober_socket_fds(p, keep + 5);
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int dfd;

	if (!dir)
		return -errno;
	dfd = dirfd(dir);
	while ((de = readdir(dir))) {
		unsigned long v;
		bool kept = false;

		if (de->d_name[0] == '.' || parse_ulong(de->d_name, 0, INT32_MAX, &v) ||
		    (int)v == dfd)
			continue;
		for (size_t i = 0; i < nkeep; i++)
			kept |= keep[i] == (int)v;
		if (!kept)
			close((int)v);
	}
	closedir(dir);
	return 0;
}

/*
 * The parent keeps no capability to signal us with (we are another user now): it ends our run
 * by closing its end of a pipe, as its death does.
 */
static void *stop_watch(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	ds_stop = 1;
	return NULL;
}

static void __attribute__((noreturn)) child_main(struct prober *p, int fd, int stop_fd,
						  pid_t parent)
{
	pthread_t watcher;
	struct msg_header h;
	double deadline;
	int32_t err;

	err = close_others(p, fd, stop_fd);
	if (!err)
		err = privs_drop_all();
	if (err) {
		send_msg(fd, MSG_FAILED, &err, sizeof(err), NULL, 0);
		_exit(1);
	}
	/* The parent's death ends us (set after the uid change, which clears it). */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() != parent || send_msg(fd, MSG_READY, &err, sizeof(err), NULL, 0))
		_exit(0);
	if (read_full(fd, &h, sizeof(h), -1) || h.type != MSG_GO || h.len != sizeof(deadline) ||
	    read_full(fd, &deadline, sizeof(deadline), -1))
		_exit(0);
	if (pthread_create(&watcher, NULL, stop_watch, (void *)(intptr_t)stop_fd))
		_exit(1);
	err = prober_run(p, deadline);
	if (send_msg(fd, MSG_DONE, &err, sizeof(err), NULL, 0))
		_exit(1);
	serve(p, fd);
	_exit(0);
}

/* --- the parent ------------------------------------------------------------------------- */

int probe_child_start(struct prober *p, struct probe_child **out)
{
	struct probe_child *c = calloc(1, sizeof(*c));
	pid_t parent = getpid();
	struct msg_header h;
	int sv[2], stop[2], err;
	int32_t v;

	*out = NULL;
	if (!c || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		err = c ? -errno : -ENOMEM;
		ds_err("failed to start the prober's process: %s", strerror(-err));
		free(c);
		prober_close(p);
		return err;
	}
	if (pipe2(stop, O_CLOEXEC)) {
		err = -errno;
		ds_err("failed to start the prober's process: %s", strerror(-err));
		close(sv[0]);
		close(sv[1]);
		free(c);
		prober_close(p);
		return err;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0) {
		close(sv[0]);
		close(stop[1]);
		child_main(p, sv[1], stop[0], parent);
	}
	close(sv[1]);
	close(stop[0]);
	c->stop_fd = stop[1];
	/* Our copies of the raw sockets go now: only the child reads the network. */
	prober_close(p);
	if (c->pid < 0) {
		err = -errno;

		ds_err("failed to start the prober's process: %s", strerror(-err));
		close(sv[0]);
		close(stop[1]);
		free(c);
		return err;
	}
	c->fd = sv[0];
	err = read_full(c->fd, &h, sizeof(h), REPLY_TIMEOUT_MS);
	if (!err && ((h.type != MSG_READY && h.type != MSG_FAILED) || h.len != sizeof(v)))
		err = -EPROTO;
	if (!err)
		err = read_full(c->fd, &v, sizeof(v), REPLY_TIMEOUT_MS);
	if (!err && h.type == MSG_FAILED) {
		err = v < 0 ? v : -EPERM;
		ds_err("failed to drop privileges in the prober's process: %s; refusing to read "
		       "the network with them",
		       strerror(-err));
	} else if (err) {
		ds_err("failed to start the prober's process: %s",
		       err == -EPIPE ? "it ended" : strerror(-err));
	}
	if (err) {
		c->broken = true;
		probe_child_close(c);
		return err;
	}
	*out = c;
	return 0;
}

int probe_child_go(struct probe_child *c, double deadline_mono_s)
{
	int err = send_msg(c->fd, MSG_GO, &deadline_mono_s, sizeof(deadline_mono_s), NULL, 0);

	if (err) {
		c->broken = true;
		ds_err("failed to start the prober's process: %s", strerror(-err));
	}
	return err;
}

pid_t probe_child_pid(const struct probe_child *c)
{
	return c->pid;
}

/* A message from the child, of the type expected: its header is checked, the payload's length
 * given back in *len (at most max), the payload read by the caller. */
static int expect(struct probe_child *c, uint32_t type, uint32_t min, uint32_t max, uint32_t *len)
{
	struct msg_header h;
	int err;

	if (c->broken)
		return -EPIPE;
	err = read_full(c->fd, &h, sizeof(h), REPLY_TIMEOUT_MS);
	if (!err && (h.type != type || h.len < min || h.len > max))
		err = -EPROTO;
	if (err) {
		c->broken = true;
		ds_err("the prober's process failed: %s",
		       err == -EPIPE ? "it ended" : strerror(-err));
		return err;
	}
	*len = h.len;
	return 0;
}

static int payload(struct probe_child *c, void *buf, size_t len)
{
	int err = read_full(c->fd, buf, len, REPLY_TIMEOUT_MS);

	if (err) {
		c->broken = true;
		ds_err("the prober's process failed: %s",
		       err == -EPIPE ? "it ended" : strerror(-err));
	}
	return err;
}

int probe_child_wait(struct probe_child *c, int timeout_ms, int *run_err)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct msg_header h;
	int32_t v;
	int err, r;

	if (c->done) {
		*run_err = c->run_err;
		return 1;
	}
	if (c->broken)
		return -EPIPE;
	if (ds_stop && !c->stopped) {
		/* A signal sent to us alone (SIGTERM, SIGHUP) ends the child's run too; its
		 * answers still drain before it reports. */
		close(c->stop_fd);
		c->stop_fd = -1;
		c->stopped = true;
	}
	r = poll(&pfd, 1, timeout_ms);
	if (r <= 0)
		return r < 0 && errno != EINTR ? -errno : 0;
	err = read_full(c->fd, &h, sizeof(h), REPLY_TIMEOUT_MS);
	if (!err && (h.type != MSG_DONE || h.len != sizeof(v)))
		err = -EPROTO;
	if (!err)
		err = read_full(c->fd, &v, sizeof(v), REPLY_TIMEOUT_MS);
	if (err) {
		ds_err("the prober's process failed: %s",
		       err == -EPIPE ? "it ended" : strerror(-err));
	}
	if (err) {
		c->broken = true;
		return err;
	}
	c->done = true;
	c->run_err = v;
	*run_err = v;
	return 1;
}

static int fetch_probes(struct probe_child *c)
{
	uint32_t len;
	uint64_t n;

	if (c->have_probes)
		return 0;
	c->have_probes = true;
	if (send_msg(c->fd, MSG_PROBES, NULL, 0, NULL, 0) ||
	    expect(c, MSG_PROBES, sizeof(n), UINT32_MAX, &len) || payload(c, &n, sizeof(n)))
		return -EPIPE;
	if (n > PROBE_MAX_RECORDS || len != sizeof(n) + n * (sizeof(*c->rec) + 1)) {
		c->broken = true;
		ds_err("the prober's process failed: %s", strerror(EPROTO));
		return -EPROTO;
	}
	c->rec = calloc(n + 1, sizeof(*c->rec));
	c->settled = calloc(n + 1, 1);
	if (!c->rec || !c->settled) {
		c->broken = true;
		ds_err("failed to read the prober's results: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (payload(c, c->rec, n * sizeof(*c->rec)) || payload(c, c->settled, n))
		return -EPIPE;
	c->nrec = n;
	return 0;
}

size_t probe_child_probes(struct probe_child *c, const struct probe_record **list)
{
	*list = c->rec;
	if (fetch_probes(c))
		return 0;
	*list = c->rec;
	return c->nrec;
}

bool probe_child_settled(struct probe_child *c, size_t index)
{
	return !fetch_probes(c) && index < c->nrec && c->settled[index];
}

int probe_child_classify(struct probe_child *c, const uint8_t *l3, size_t len,
			 struct probe_packet *out)
{
	uint32_t rlen;
	int32_t rc;

	memset(out, 0, sizeof(*out));
	out->index = -1;
	if (!l3 || !len || len > MAX_PACKET || fetch_probes(c))
		return -EINVAL;
	if (send_msg(c->fd, MSG_CLASSIFY, l3, len, NULL, 0) ||
	    expect(c, MSG_CLASSIFY, sizeof(rc) + sizeof(*out), sizeof(rc) + sizeof(*out), &rlen) ||
	    payload(c, &rc, sizeof(rc)) || payload(c, out, sizeof(*out)))
		return -EPIPE;
	/* What the child says is checked as any input would be. */
	if (out->kind > PROBE_PKT_REPLY || out->reply > PROBE_REPLY_TOO_BIG ||
	    out->index >= (int64_t)c->nrec || out->index < -1) {
		memset(out, 0, sizeof(*out));
		out->index = -1;
		return -EPROTO;
	}
	return rc;
}

#define TERMINATE(s) ((s)[sizeof(s) - 1] = 0)

static void check_report(struct probe_report *r)
{
	TERMINATE(r->target);
	TERMINATE(r->address);
	TERMINATE(r->source);
	TERMINATE(r->unreachable);
	TERMINATE(r->mtu_limit.address);
	TERMINATE(r->origin.address);
	if ((unsigned)r->proto > PROBE_TCP)
		r->proto = PROBE_ICMP;
	for (size_t i = 0; i < r->nhops; i++) {
		struct probe_hop_report *h = &r->hops[i];

		if (h->nhosts > PROBE_MAX_RESPONDERS)
			h->nhosts = PROBE_MAX_RESPONDERS;
		for (size_t k = 0; k < PROBE_MAX_RESPONDERS; k++) {
			TERMINATE(h->hosts[k].address);
			TERMINATE(h->hosts[k].name);
			if ((unsigned)h->hosts[k].reply > PROBE_REPLY_TOO_BIG)
				h->hosts[k].reply = PROBE_REPLY_NONE;
		}
	}
}

const struct probe_report *probe_child_report(struct probe_child *c, const bool *excluded,
					      size_t nexcluded)
{
	uint8_t *ex = NULL;
	uint32_t len;
	int32_t rc;
	int err;

	if (excluded && nexcluded) {
		if (nexcluded > PROBE_MAX_RECORDS)
			return NULL;
		ex = malloc(nexcluded);
		if (!ex) {
			ds_err("failed to build the report: %s", strerror(ENOMEM));
			return NULL;
		}
		for (size_t i = 0; i < nexcluded; i++)
			ex[i] = excluded[i];
	}
	err = send_msg(c->fd, MSG_REPORT, ex, ex ? nexcluded : 0, NULL, 0);
	free(ex);
	if (err || expect(c, MSG_REPORT, sizeof(rc), UINT32_MAX, &len) ||
	    payload(c, &rc, sizeof(rc)))
		return NULL;
	if (rc) {
		ds_err("failed to build the report: %s", strerror(rc < 0 ? -rc : EIO));
		return NULL;
	}
	free(c->hops);
	c->hops = NULL;
	if (len < sizeof(rc) + sizeof(c->report) || payload(c, &c->report, sizeof(c->report)))
		goto broken;
	if (c->report.nhops > MAX_HOPS ||
	    len != sizeof(rc) + sizeof(c->report) + c->report.nhops * sizeof(*c->hops))
		goto broken;
	c->hops = calloc(c->report.nhops + 1, sizeof(*c->hops));
	if (!c->hops || payload(c, c->hops, c->report.nhops * sizeof(*c->hops)))
		goto broken;
	c->report.hops = c->hops;
	check_report(&c->report);
	return &c->report;
broken:
	c->broken = true;
	memset(&c->report, 0, sizeof(c->report));
	ds_err("the prober's process failed: %s", strerror(EPROTO));
	return NULL;
}

void probe_child_close(struct probe_child *c)
{
	int status;

	if (!c)
		return;
	if (!c->broken)
		send_msg(c->fd, MSG_QUIT, NULL, 0, NULL, 0);
	close(c->fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	/* It exits on QUIT, or on the closed socket; a stuck one is ended. */
	for (int i = 0; i < 50; i++) {
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		if (r == c->pid || (r < 0 && errno != EINTR))
			break;
		if (i == 49) {
			/* (Without CAP_KILL we may not: it ends with its closed socket.) */
			if (!kill(c->pid, SIGKILL))
				waitpid(c->pid, &status, 0);
			break;
		}
		usleep(20000);
	}
	free(c->rec);
	free(c->settled);
	free(c->hops);
	free(c);
}
