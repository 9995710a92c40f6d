// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"
#include "probe_child.h"
#include "util.h"

#define REPLY_TIMEOUT_S 10.0 /* the child answers at once: past this it is stuck */
#define RUN_GRACE_S 10.0     /* past its deadline (or a stop) the run has to end */
#define MAX_PACKET 65535
#define MAX_HOPS (PROBE_MAX_TTL + 1)
#define SETUP_MAX 65536 /* a setup longer than this is no setup (prober_adopt says whose) */

/* The prober's program, opened once (O_PATH) while we may still look it up: probe_child_program. */
static int prog_fd = -1;
static char prog_path[PATH_MAX];


/* --- both sides: whole messages over a stream ------------------------------------------- */

/* until < 0: block (the child); the parent always bounds an exchange by an absolute deadline
 * (CLOCK_MONOTONIC seconds), so a child that trickles bytes cannot hold it either. */
static int read_full(int fd, void *buf, size_t len, double until)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n;

		if (until >= 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			double left = until - mono_now();
			int r;

			if (left <= 0)
				return -ETIMEDOUT;
			r = poll(&pfd, 1, (int)(left * 1000) + 1);
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
	struct probe_child_header h = { .type = type, .len = (uint32_t)(alen + blen) };
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
	struct probe_child_header h = { PROBE_MSG_PROBES, (uint32_t)(sizeof(n) + n * sizeof(*rec) + n) };

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
		send_msg(fd, PROBE_MSG_REPORT, &rc, sizeof(rc), NULL, 0);
		return;
	}
	{
		struct probe_child_header h = { PROBE_MSG_REPORT, (uint32_t)(sizeof(rc) + sizeof(*r) +
							r->nhops * sizeof(*r->hops) +
							r->nflows * sizeof(*r->flows)) };

		if (!write_full(fd, &h, sizeof(h)) && !write_full(fd, &rc, sizeof(rc)) &&
		    !write_full(fd, r, sizeof(*r)) &&
		    !write_full(fd, r->hops, r->nhops * sizeof(*r->hops)) && r->nflows)
			write_full(fd, r->flows, r->nflows * sizeof(*r->flows));
	}
}

/* Answer one request on fd; false once the parent quit or went, or broke the protocol. */
static bool serve_one(struct prober *p, int fd)
{
	struct probe_child_header h;
	uint8_t *buf = NULL;
	bool ok = true;

	if (read_full(fd, &h, sizeof(h), -1.0))
		return false;
	if (h.len > PROBE_MAX_RECORDS + MAX_PACKET)
		return false;
	if (h.len) {
		buf = malloc(h.len);
		if (!buf || read_full(fd, buf, h.len, -1.0)) {
			free(buf);
			return false;
		}
	}
	switch (h.type) {
	case PROBE_MSG_PROBES:
		serve_probes(p, fd);
		break;
	case PROBE_MSG_CLASSIFY: {
		struct probe_packet pk;
		int32_t rc;

		memset(&pk, 0, sizeof(pk));
		rc = prober_classify_packet(p, buf, h.len, &pk);
		send_msg(fd, PROBE_MSG_CLASSIFY, &rc, sizeof(rc), &pk, sizeof(pk));
		break;
	}
	case PROBE_MSG_REPORT:
		serve_report(p, fd, buf, h.len);
		break;
	default:
		ok = false;
	}
	free(buf);
	return ok;
}

/* Answer each prober's parent end until all have quit; a prober goes with its end. */
static void serve(struct prober **ps, const int *fds, size_t n)
{
	struct pollfd *pfd = calloc(n + 1, sizeof(*pfd));
	size_t open = n;

	if (!pfd)
		return;
	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	while (open) {
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (!serve_one(ps[i], pfd[i].fd)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				prober_close(ps[i]);
				ps[i] = NULL;
				open--;
			}
		}
	}
	free(pfd);
}

/*
 * Close every descriptor the parent had open (the tracer's maps, a namespace, the terminal) but
 * the socket to the parent, the stop pipe and the prober's sockets, while /proc/self is still
 * ours to read. Standard input and output become /dev/null and standard error the pipe the
 * parent copies to its own: no terminal to type into, no output file to write or truncate.
 */
static int close_others(struct prober *const *ps, const int *fds, size_t n, int stop_fd, int err_fd,
			int exec_fd)
{
	int *keep = calloc(5 + n * (1 + PROBE_MAX_SOCKETS), sizeof(*keep));
	size_t nkeep = 4;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (!keep || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(err_fd, 2) < 0) {
		free(keep);
		return keep ? -errno : -ENOMEM;
	}
	keep[1] = 1;
	keep[2] = 2;
	keep[3] = stop_fd;
	for (size_t i = 0; i < n; i++) {
		keep[nkeep++] = fds[i];
		nkeep += prober_socket_fds(ps[i], keep + nkeep);
	}
	close(null);
	close(err_fd);
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int dfd;

	if (!dir) {
		free(keep);
		return -errno;
	}
	dfd = dirfd(dir);
	while ((de = readdir(dir))) {
		unsigned long v;
		bool kept = false;

		if (de->d_name[0] == '.' || parse_ulong(de->d_name, 0, INT32_MAX, &v) ||
		    (int)v == dfd)
			continue;
		for (size_t i = 0; i < nkeep; i++)
			kept |= keep[i] == (int)v;
		if (!kept && (int)v != exec_fd)
			close((int)v);
	}
	closedir(dir);
	/* What crosses the exec: the socket pair's ends, the stop pipe, the raw sockets. */
	for (size_t i = 3; i < nkeep; i++)
		if (fcntl(keep[i], F_SETFD, 0)) {
			int err = -errno;

			free(keep);
			return err;
		}
	free(keep);
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

/*
 * Whether the parent let go of this prober during the run (nothing else comes before DONE): a
 * QUIT waiting, or its end closed. The monitor's target a reload removed stops being probed
 * now, not at the segment's end, while the process's other probers go on. The message stays
 * for serve().
 */
static bool parent_let_go(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	struct probe_child_header h;
	ssize_t n;

	if (poll(&pf, 1, 0) <= 0)
		return false;
	n = recv(fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n == (ssize_t)sizeof(h) && h.type == PROBE_MSG_QUIT) ||
	       (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Each second of the run: how many probes went out and how many are lost so far. */
static void send_progress(struct prober *p, void *ctx)
{
	const struct probe_report *r = prober_report(p);
	struct probe_progress pr = { 0 };

	if (!r)
		return;
	pr.seconds = r->duration_s;
	pr.sent = r->probes_sent;
	pr.dest_sent = r->end_to_end.sent;
	pr.dest_lost = r->end_to_end.sent - r->end_to_end.received;
	send_msg(*(int *)ctx, PROBE_MSG_PROGRESS, &pr, sizeof(pr), NULL, 0);
	if (parent_let_go(*(int *)ctx))
		prober_stop(p);
}

/* Tell the parent on every end why the process cannot go on (type, int32 -errno), and end. */
static void __attribute__((noreturn)) give_up(const int *fds, size_t n, uint32_t type, int32_t err)
{
	for (size_t i = 0; i < n; i++)
		send_msg(fds[i], type, &err, sizeof(err), NULL, 0);
	_exit(1);
}

/*
 * In the forked child: keep only what the prober's program needs (the socket pair's ends, the
 * stop pipe, the raw sockets; standard error the parent's relay) and become that program, small
 * (its own few pages, not a copy of the parent's page tables and heap). Its arguments: the
 * verbosity, our parent's pid, the stop pipe, nobody's uid and gid, then each prober's end.
 */
static void __attribute__((noreturn))
child_exec(struct prober *const *ps, const int *fds, size_t n, int stop_fd, int err_fd,
	   pid_t parent)
{
	char **argv = calloc(n + 8, sizeof(*argv));
	char *nums = calloc(n + 6, 24);
	uid_t uid;
	gid_t gid;
	int32_t err;

	privs_nobody(&uid, &gid);
	/* A session of our own: no controlling terminal (TIOCSTI), no signals from it. */
	err = setsid() < 0 ? -errno : close_others(ps, fds, n, stop_fd, err_fd, prog_fd);
	if (!err && (!argv || !nums))
		err = -ENOMEM;
	if (err)
		give_up(fds, n, PROBE_MSG_NOSTART, err);
	argv[0] = (char *)PROBER_PROGRAM;
	for (size_t i = 0; i < n + 5; i++) {
		long long v = i == 0   ? ds_verbose
			      : i == 1 ? parent
			      : i == 2 ? stop_fd
			      : i == 3 ? (long long)uid
			      : i == 4 ? (long long)gid
				       : fds[i - 5];

		argv[i + 1] = nums + 24 * i;
		snprintf(argv[i + 1], 24, "%lld", v);
	}
	/* Nothing effective across the exec: with CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE the
	 * kernel would find the program readable and leave the process dumpable (refuse_readable);
	 * root, file and ambient capabilities come back as the exec gives them. */
	privs_clear_effective();
	/* An empty environment: the program reads none, and nothing of the caller's steers it. */
	fexecve(prog_fd, argv, (char *[]){ NULL });
	give_up(fds, n, PROBE_MSG_NOSTART, -errno);
}

/* Take over prober i from the setup its parent end sent first (blocking: it is there). */
static int adopt_one(int fd, struct prober **out)
{
	struct probe_child_header h;
	uint8_t *buf;
	int err;

	*out = NULL;
	err = read_full(fd, &h, sizeof(h), -1.0);
	if (err)
		return err;
	if (h.type != PROBE_MSG_SETUP || h.len > SETUP_MAX)
		return -EPROTO;
	buf = malloc(h.len + 1);
	if (!buf)
		return -ENOMEM;
	err = read_full(fd, buf, h.len, -1.0);
	if (!err)
		err = prober_adopt(buf, h.len, out);
	free(buf);
	return err;
}

void probe_child_main(int *fds, size_t n, int stop_fd, pid_t parent)
{
	struct prober **ps = calloc(n + 1, sizeof(*ps));
	pthread_t watcher;
	struct probe_child_header h;
	double deadline = 0, d;
	size_t k = 0;
	int32_t err = ps ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < n; i++)
		err = adopt_one(fds[i], &ps[i]);
	if (err)
		give_up(fds, n, PROBE_MSG_NOSTART, err);
	/* Before a single reply is read. */
	err = privs_drop_all();
	if (err)
		give_up(fds, n, PROBE_MSG_FAILED, err);
	/* The parent's death ends us (set after the uid change, which clears it). */
	if (ds_die_with_parent(parent, SIGTERM))
		_exit(0);
	for (size_t i = 0; i < n; i++)
		if (send_msg(fds[i], PROBE_MSG_READY, &err, sizeof(err), NULL, 0))
			_exit(0);
	/* Each prober's go; one whose parent end went (or said anything else) does not run. */
	for (size_t i = 0; i < n; i++) {
		if (read_full(fds[i], &h, sizeof(h), -1.0) || h.type != PROBE_MSG_GO ||
		    h.len != sizeof(d) || read_full(fds[i], &d, sizeof(d), -1.0)) {
			prober_close(ps[i]);
			close(fds[i]);
			continue;
		}
		if (d > deadline)
			deadline = d;
		ps[k] = ps[i];
		fds[k++] = fds[i];
	}
	if (!k)
		_exit(0);
	if (pthread_create(&watcher, NULL, stop_watch, (void *)(intptr_t)stop_fd))
		_exit(1);
	for (size_t i = 0; i < k; i++)
		prober_on_progress(ps[i], send_progress, &fds[i], 1.0);
	err = prober_run_many(ps, k, deadline);
	for (size_t i = 0; i < k; i++)
		send_msg(fds[i], PROBE_MSG_DONE, &err, sizeof(err), NULL, 0);
	serve(ps, fds, k);
	_exit(0);
}

/* --- the parent ------------------------------------------------------------------------- */

struct probe_child {
	pid_t pid;
	/* Shared by the handles on one process (probe_child_start_many): [0] how many, [1] its
	 * end said (once for all of them). NULL: one handle. */
	int *refs;
	int fd;
	int stop_fd;	 /* closing it ends the child's run early */
	bool done, stopped, broken;
	double give_up;	 /* CLOCK_MONOTONIC s: a run not ended by then is abandoned */
	double timeout;	 /* for one exchange */
	struct probe_progress progress;
	int run_err;
	struct probe_record *rec;
	uint8_t *settled;
	size_t nrec;
	bool have_probes;
	struct probe_report report;
	struct probe_hop_report *hops;
	struct probe_flow_report *flows;
};

static void fail(struct probe_child *c, int err)
{
	/* A process that ended is said once, not once for each of its probers. */
	bool said = err == -EPIPE && c->refs && c->refs[1];

	if (!c->broken && !said)
		ds_err("the prober's process failed: %s", err == -EPIPE ? "it ended" : strerror(-err));
	if (err == -EPIPE && c->refs)
		c->refs[1] = 1;
	c->broken = true;
}

/* Copies the child's standard error to ours, line by line as it comes, until it ends. */
static void *relay_stderr(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[512];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && write(2, buf, (size_t)n) < 0)
			break;
	close(fd);
	return NULL;
}

struct probe_child *probe_child_from_fd(int fd, pid_t pid)
{
	struct probe_child *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->pid = pid;
	c->stop_fd = -1;
	c->timeout = REPLY_TIMEOUT_S;
	c->give_up = mono_now() + 3600;
	return c;
}

void probe_child_set_timeout(struct probe_child *c, double seconds)
{
	c->timeout = seconds;
}

/* Read one whole payload of an exchange begun at `until - timeout`. */
static int payload(struct probe_child *c, void *buf, size_t len, double until)
{
	int err = c->broken ? -EPIPE : read_full(c->fd, buf, len, until);

	if (err)
		fail(c, err);
	return err;
}

/* A message of the type expected, its header checked: the payload's length in *len. */
static int expect(struct probe_child *c, uint32_t type, uint32_t min, uint32_t max, uint32_t *len,
		  double until)
{
	struct probe_child_header h;
	int err = payload(c, &h, sizeof(h), until);

	if (err)
		return err;
	if (h.type != type || h.len < min || h.len > max) {
		fail(c, -EPROTO);
		return -EPROTO;
	}
	*len = h.len;
	return 0;
}

static int request(struct probe_child *c, uint32_t type, const void *a, size_t alen)
{
	int err = c->broken ? -EPIPE : send_msg(c->fd, type, a, alen, NULL, 0);

	if (err)
		fail(c, err);
	return err;
}

/* Its first word on c: privileges dropped (0), or why not (printed). */
static int child_ready(struct probe_child *c)
{
	double until = mono_now() + c->timeout;
	struct probe_child_header h;
	int32_t v;
	int err;

	err = payload(c, &h, sizeof(h), until);
	if (!err &&
	    ((h.type != PROBE_MSG_READY && h.type != PROBE_MSG_FAILED &&
	      h.type != PROBE_MSG_NOSTART) ||
	     h.len != sizeof(v)))
		err = -EPROTO;
	if (!err)
		err = payload(c, &v, sizeof(v), until);
	if (!err && h.type == PROBE_MSG_NOSTART) {
		err = v < 0 && v > -4096 ? v : -EIO;
		ds_err("failed to start the prober's program %s: %s", prog_path, strerror(-err));
		c->broken = true;
	} else if (!err && h.type == PROBE_MSG_FAILED) {
		err = v < 0 && v > -4096 ? v : -EPERM;
		ds_err("failed to drop privileges in the prober's process: %s; refusing to "
		       "read the network with them",
		       strerror(-err));
		c->broken = true;
	} else if (err) {
		fail(c, err);
	}
	return err;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Is the file open at fd (O_PATH) a program we may run? 0 or -errno. */
static int runnable(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	/* execve's answer for a directory, a device or a pipe as for a file without x */
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return st.st_mode & 0111 ? 0 : -EACCES;
}

/*
 * A program its caller may read is refused when the caller is not root (file or ambient
 * capabilities): an exec of a file the user can read leaves the process dumpable until the
 * program gives that up, and in that window any process of the user could take the raw sockets
 * over ptrace or pidfd_getfd. The kernel makes the exec non-dumpable when the user cannot read
 * the file: installed 0711 (make install, and the build's own) it cannot. access() asks for the
 * real uid, without our capabilities; asked of the descriptor's file, the one we will run.
 */
static int refuse_readable(const char *path)
{
	char self[64];

	if (!getuid())
		return 0;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", prog_fd);
	if (access(self, R_OK))
		return 0;
	close(prog_fd);
	prog_fd = -1;
	ds_err("refusing to run the prober's program %s: it is readable by uid %u, so its process "
	       "could be taken over (its raw sockets) before it gives up its privileges; make it "
	       "unreadable to that user: chown root %s && chmod 0711 %s",
	       path, (unsigned)getuid(), path, path);
	return -EPERM;
}

void prober_build_of_ours(struct prober_build *b)
{
	b->layout = prober_layout();
	b->version = PROBER_SETUP_VERSION;
	b->size = sizeof(struct prober_setup);
	b->args = PROBER_ARGS;
}

/*
 * Is the program at prog_fd of our build? It is run once with PROBER_ASK_BUILD (its output a
 * pipe, its standard error /dev/null: another build may not know the argument) and answers
 * within 5 s. Our descriptors are close-on-exec (the raw sockets among them). 0, or one line
 * and -EPROTO (-errno when it cannot be run at all).
 */
static int same_build(const char *path)
{
	struct prober_build ours, theirs = { 0 };
	int p[2], err, status = 0;
	pid_t pid;

	prober_build_of_ours(&ours);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (dup2(p[1], 1) < 0 || null < 0 || dup2(null, 2) < 0)
			_exit(127);
		privs_clear_effective();
		fexecve(prog_fd, (char *[]){ (char *)PROBER_PROGRAM, (char *)PROBER_ASK_BUILD, NULL },
			(char *[]){ NULL });
		_exit(127);
	}
	err = pid < 0 ? -errno : 0;
	close(p[1]);
	if (!err)
		err = read_full(p[0], &theirs, sizeof(theirs), mono_now() + 5.0);
	close(p[0]);
	if (pid > 0) {
		if (err)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (pid < 0)
		return err;
	if (!err && !memcmp(&ours, &theirs, sizeof(ours)))
		return 0;
	if (err && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		ds_err("failed to start the prober's program %s: its exec failed (not a program "
		       "this system runs from a descriptor)",
		       path);
	else if (err)
		ds_err("the prober's program %s is not of this dropscope's build (asked with %s, it "
		       "does not say: %s): install both together ('make install')",
		       path, PROBER_ASK_BUILD, strerror(-err));
	else
		ds_err("the prober's program %s is not of this dropscope's build (layout %08x, "
		       "version %u, setup %u bytes, %u arguments; ours %08x, %u, %u, %u): install "
		       "both together ('make install')",
		       path, theirs.layout, theirs.version, theirs.size, theirs.args, ours.layout,
		       ours.version, ours.size, ours.args);
	return -EPROTO;
}

/* Open path for exec (O_PATH, close-on-exec: fexecve runs it still). 0 or -errno. */
static int open_program(const char *path)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = runnable(fd);
	if (err) {
		close(fd);
		return err;
	}
	if (prog_fd >= 0)
		close(prog_fd);
	prog_fd = fd;
	snprintf(prog_path, sizeof(prog_path), "%s", path);
	return 0;
}

/* The program just opened, readable or of another build: let go (a later call looks again). */
static int checked(const char *path)
{
	int err = refuse_readable(path);

	if (!err)
		err = same_build(path);
	if (err && prog_fd >= 0) {
		close(prog_fd);
		prog_fd = -1;
	}
	return err;
}

int probe_child_program(void)
{
	char dir[PATH_MAX], near[PATH_MAX + 32], installed[PATH_MAX + 64];
	ssize_t len;
	char *slash;
	int err, err2;

	if (prog_fd >= 0)
		return 0;
	/* Beside our own executable (the build tree), then where make install puts it. */
	len = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (len <= 0 || len >= (ssize_t)sizeof(dir) - 1 || dir[0] != '/') {
		err = len < 0 ? -errno : -ENAMETOOLONG;
		ds_err("failed to find the prober's program: cannot read /proc/self/exe: %s "
		       "(is /proc mounted?)",
		       strerror(-err));
		return err;
	}
	dir[len] = 0;
	slash = strrchr(dir, '/');
	*slash = 0;
	snprintf(near, sizeof(near), "%s/%s", dir, PROBER_PROGRAM);
	snprintf(installed, sizeof(installed), "%s/%s%s", dir, PROBER_LIBEXEC, PROBER_PROGRAM);
	err = open_program(near);
	if (!err)
		return checked(near);
	err2 = open_program(installed);
	if (!err2)
		return checked(installed);
	ds_err("failed to find the prober's program: %s: %s, %s: %s; install it with dropscope "
	       "('make install')",
	       near, strerror(-err), installed, strerror(-err2));
	return err2 == -ENOENT ? err : err2;
}

int probe_child_set_program(const char *path)
{
	return open_program(path);
}

int probe_child_start(struct prober *p, struct probe_child **out)
{
	return probe_child_start_many(&p, 1, out);
}

int probe_child_start_many(struct prober **ps, size_t n, struct probe_child **out)
{
	pid_t parent = getpid(), pid = -1;
	int stop[2] = {-1, -1}, errp[2] = {-1, -1}, err = 0;
	int *mine = calloc(n + 1, sizeof(int)), *theirs = calloc(n + 1, sizeof(int));
	int *refs = calloc(2, sizeof(*refs));
	size_t made = 0;
	pthread_t relay;

	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	err = probe_child_program(); /* prints where it looked */
	if (err) {
		for (size_t i = 0; i < n; i++)
			prober_close(ps[i]);
		free(mine);
		free(theirs);
		free(refs);
		return err;
	}
	privs_lookup_nobody(); /* here: the password database may open files and sockets */
	if (!mine || !theirs || !refs)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < n; i++) {
		struct prober_setup setup;
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
			err = -errno;
			break;
		}
		mine[i] = sv[0];
		theirs[i] = sv[1];
		made++;
		/* What the program takes the prober over from, first on its end. */
		prober_setup_fill(ps[i], &setup);
		err = send_msg(mine[i], PROBE_MSG_SETUP, &setup, sizeof(setup), NULL, 0);
	}
	if (!err && (pipe2(stop, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)))
		err = -errno;
	if (!err) {
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			err = -errno;
	}
	if (pid == 0) {
		close_fds(mine, made);
		close(stop[1]);
		close(errp[0]);
		child_exec(ps, theirs, n, stop[0], errp[1], parent);
	}
	/* Our copies of the raw sockets go now: only the child reads the network. */
	for (size_t i = 0; i < n; i++)
		prober_close(ps[i]);
	if (theirs)
		close_fds(theirs, made);
	if (stop[0] >= 0)
		close(stop[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	/* A handle for each prober; each holds a copy of the stop pipe (the run ends when all
	 * are closed) and the process goes with the last. */
	for (size_t i = 0; !err && i < n; i++) {
		out[i] = probe_child_from_fd(mine[i], pid);
		if (!out[i]) {
			err = -ENOMEM;
			break;
		}
		mine[i] = -1;
		out[i]->refs = refs;
		(*refs)++;
		out[i]->stop_fd = i ? fcntl(stop[1], F_DUPFD_CLOEXEC, 0) : stop[1];
		if (out[i]->stop_fd < 0) {
			err = -errno;
			break;
		}
	}
	if (err) {
		ds_err("failed to start the prober's process: %s", strerror(-err));
		if (mine)
			close_fds(mine, made);
		if (pid <= 0) {
			/* No child: the handles hold only our ends (and the stop pipe's). */
			if (!refs || !*refs) {
				if (stop[1] >= 0)
					close(stop[1]);
				free(refs);
			}
			if (errp[0] >= 0)
				close(errp[0]);
		} else {
			close(errp[0]);
			if (!*refs) {
				close(stop[1]);
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				free(refs);
			}
		}
		for (size_t i = 0; i < n; i++) {
			probe_child_close(out[i]);
			out[i] = NULL;
		}
		free(mine);
		free(theirs);
		return err;
	}
	free(mine);
	free(theirs);
	if (pthread_create(&relay, NULL, relay_stderr, (void *)(intptr_t)errp[0]))
		close(errp[0]); /* then the child's messages are lost, not its work */
	else
		pthread_detach(relay);
	for (size_t i = 0; i < n; i++) {
		err = child_ready(out[i]);
		if (err)
			break;
	}
	if (err) {
		for (size_t i = 0; i < n; i++) {
			probe_child_close(out[i]);
			out[i] = NULL;
		}
		return err;
	}
	return 0;
}

int probe_child_go(struct probe_child *c, double deadline_mono_s)
{
	int err = request(c, PROBE_MSG_GO, &deadline_mono_s, sizeof(deadline_mono_s));

	c->give_up = deadline_mono_s + RUN_GRACE_S;
	return err;
}

struct probe_progress probe_child_progress(const struct probe_child *c)
{
	return c->progress;
}

int probe_child_fd(const struct probe_child *c)
{
	return c->fd;
}

pid_t probe_child_pid(const struct probe_child *c)
{
	return c->pid;
}

int probe_child_wait(struct probe_child *c, int timeout_ms, int *run_err)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct probe_child_header h;
	double now = mono_now();
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
		if (c->stop_fd >= 0)
			close(c->stop_fd);
		c->stop_fd = -1;
		c->stopped = true;
		if (c->give_up > now + RUN_GRACE_S)
			c->give_up = now + RUN_GRACE_S;
	}
	if (now > c->give_up) {
		/* Stopped, or stuck: its run is over for us, whatever it does. */
		fail(c, -ETIMEDOUT);
		return -ETIMEDOUT;
	}
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0 && errno != EINTR) {
		err = -errno;
		fail(c, err);
		return err;
	}
	if (r <= 0)
		return 0;
	err = payload(c, &h, sizeof(h), now + c->timeout);
	if (!err && h.type == PROBE_MSG_PROGRESS && h.len == sizeof(c->progress)) {
		struct probe_progress pr;

		if (payload(c, &pr, sizeof(pr), now + c->timeout))
			return -EPIPE;
		/* Checked as any input: counts that only grow, lost within sent. */
		if (pr.sent >= c->progress.sent && pr.dest_sent <= pr.sent &&
		    pr.dest_lost <= pr.dest_sent && pr.seconds >= 0 && pr.seconds < 1e7)
			c->progress = pr;
		return 0;
	}
	if (!err && (h.type != PROBE_MSG_DONE || h.len != sizeof(v))) {
		fail(c, -EPROTO);
		err = -EPROTO;
	}
	if (!err)
		err = payload(c, &v, sizeof(v), now + c->timeout);
	if (err)
		return err;
	c->done = true;
	c->run_err = v <= 0 && v > -4096 ? v : -EIO;
	*run_err = c->run_err;
	return 1;
}

static int fetch_probes(struct probe_child *c)
{
	double until = mono_now() + c->timeout;
	uint32_t len;
	uint64_t n;

	if (c->have_probes)
		return c->broken && !c->nrec ? -EPIPE : 0;
	c->have_probes = true;
	if (request(c, PROBE_MSG_PROBES, NULL, 0) ||
	    expect(c, PROBE_MSG_PROBES, sizeof(n), UINT32_MAX, &len, until) ||
	    payload(c, &n, sizeof(n), until))
		return -EPIPE;
	if (n > PROBE_MAX_RECORDS || len != sizeof(n) + n * (sizeof(*c->rec) + 1)) {
		fail(c, -EPROTO);
		return -EPROTO;
	}
	c->rec = calloc(n + 1, sizeof(*c->rec));
	c->settled = calloc(n + 1, 1);
	if (!c->rec || !c->settled) {
		fail(c, -ENOMEM);
		return -ENOMEM;
	}
	if (payload(c, c->rec, n * sizeof(*c->rec), until) || payload(c, c->settled, n, until)) {
		memset(c->rec, 0, n * sizeof(*c->rec));
		return -EPIPE;
	}
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
	double until = mono_now() + c->timeout;
	uint8_t b;
	uint32_t rlen;
	int32_t rc;

	memset(out, 0, sizeof(*out));
	out->index = -1;
	if (!l3 || !len || len > MAX_PACKET || fetch_probes(c))
		return -EINVAL;
	if (request(c, PROBE_MSG_CLASSIFY, l3, len) ||
	    expect(c, PROBE_MSG_CLASSIFY, sizeof(rc) + sizeof(*out), sizeof(rc) + sizeof(*out), &rlen,
		   until) ||
	    payload(c, &rc, sizeof(rc), until) || payload(c, out, sizeof(*out), until)) {
		memset(out, 0, sizeof(*out));
		out->index = -1;
		return -EPIPE;
	}
	/* What the child says is checked as any input would be; bools are read as bytes. */
	memcpy(&b, &out->terminal, 1);
	out->terminal = b != 0;
	memcpy(&b, &out->from_target, 1);
	out->from_target = b != 0;
	if ((unsigned)out->kind > PROBE_PKT_REPLY || (unsigned)out->reply > PROBE_REPLY_TOO_BIG ||
	    out->index >= (int64_t)c->nrec || out->index < -1) {
		memset(out, 0, sizeof(*out));
		out->index = -1;
		return -EPROTO;
	}
	return rc;
}

#define TERMINATE(s) ((s)[sizeof(s) - 1] = 0)
/* A bool from another process may hold any byte: read it as one. */
#define FIX_BOOL(b)                                                                                \
	do {                                                                                       \
		uint8_t _v;                                                                        \
		memcpy(&_v, &(b), 1);                                                              \
		(b) = _v != 0;                                                                     \
	} while (0)

/* A count of answers the child says exceeds what was sent: no more than sent. */
#define CLAMP(x, max) ((x) = (x) > (max) ? (max) : (x))

static void check_report(struct probe_report *r)
{
	TERMINATE(r->target);
	TERMINATE(r->address);
	TERMINATE(r->source);
	TERMINATE(r->unreachable);
	TERMINATE(r->mtu_limit.address);
	TERMINATE(r->origin.address);
	FIX_BOOL(r->reached);
	FIX_BOOL(r->interrupted);
	FIX_BOOL(r->mtu_limit.seen);
	FIX_BOOL(r->has_origin);
	FIX_BOOL(r->origin.at_destination);
	FIX_BOOL(r->origin.carries_on);
	FIX_BOOL(r->origin.branch);
	FIX_BOOL(r->multipath);
	FIX_BOOL(r->mda_complete);
	FIX_BOOL(r->dest_filtered);
	FIX_BOOL(r->branch.seen);
	TERMINATE(r->branch.address);
	if ((unsigned)r->proto > PROBE_TCP)
		r->proto = PROBE_ICMP;
	/* A branch is one of its split's next hops (1-based), and loses no more than it sent. */
	if (r->branch.nbranches < 2 || r->branch.nbranches > PROBE_MAX_RESPONDERS ||
	    r->branch.branch_index < 1 || r->branch.branch_index > r->branch.nbranches) {
		r->branch.seen = false;
		r->origin.branch = false;
	}
	CLAMP(r->branch.lost, r->branch.sent);
	CLAMP(r->branch.other_lost, r->branch.other_sent);
	CLAMP(r->branch.flows, r->branch.flows_all);
	for (size_t f = 0; f < r->nflows; f++) {
		struct probe_flow_report *o = &r->flows[f];

		if ((unsigned)o->proto > PROBE_TCP)
			o->proto = PROBE_ICMP;
		CLAMP(o->received, o->sent);
		o->loss_pct = o->sent ? 100.0 * (double)(o->sent - o->received) / (double)o->sent
				      : NAN;
		for (size_t i = 0; i < r->nhops; i++)
			CLAMP(o->hop_received[i], o->hop_sent[i]);
	}
	for (size_t i = 0; i < r->nhops; i++) {
		struct probe_hop_report *h = &r->hops[i];

		FIX_BOOL(h->rate_limited);
		FIX_BOOL(h->limiter_confirmed);
		FIX_BOOL(h->destination);
		FIX_BOOL(h->mda_complete);
		if (h->nhosts > PROBE_MAX_RESPONDERS)
			h->nhosts = PROBE_MAX_RESPONDERS;
		/* A flow's hop names one of the row's responders, or none. */
		for (size_t f = 0; f < r->nflows; f++)
			if (r->flows[f].via[i] >= h->nhosts)
				r->flows[f].via[i] = PROBE_VIA_NONE;
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
	double until = mono_now() + c->timeout;
	uint8_t *ex = NULL;
	uint32_t len;
	int32_t rc;
	int err;

	if (excluded && nexcluded) {
		if (nexcluded > PROBE_MAX_RECORDS) {
			ds_err("failed to build the report: %s", strerror(E2BIG));
			return NULL;
		}
		ex = malloc(nexcluded);
		if (!ex) {
			ds_err("failed to build the report: %s", strerror(ENOMEM));
			return NULL;
		}
		for (size_t i = 0; i < nexcluded; i++)
			ex[i] = excluded[i];
	}
	err = request(c, PROBE_MSG_REPORT, ex, ex ? nexcluded : 0);
	free(ex);
	if (err || expect(c, PROBE_MSG_REPORT, sizeof(rc), UINT32_MAX, &len, until) ||
	    payload(c, &rc, sizeof(rc), until))
		return NULL;
	if (rc) {
		/* A failure is all it says: anything more is out of step. */
		if (len != sizeof(rc))
			fail(c, -EPROTO);
		else
			ds_err("failed to build the report: %s",
			       strerror(rc < 0 && rc > -4096 ? -rc : EIO));
		return NULL;
	}
	free(c->hops);
	c->hops = NULL;
	free(c->flows);
	c->flows = NULL;
	if (len < sizeof(rc) + sizeof(c->report) ||
	    payload(c, &c->report, sizeof(c->report), until))
		goto broken;
	if (c->report.nhops > MAX_HOPS || c->report.nflows > PROBE_MAX_FLOWS ||
	    len != sizeof(rc) + sizeof(c->report) + c->report.nhops * sizeof(*c->hops) +
			    c->report.nflows * sizeof(*c->flows))
		goto broken;
	c->hops = calloc(c->report.nhops + 1, sizeof(*c->hops));
	c->flows = calloc(c->report.nflows + 1, sizeof(*c->flows));
	if (!c->hops || !c->flows ||
	    payload(c, c->hops, c->report.nhops * sizeof(*c->hops), until) ||
	    payload(c, c->flows, c->report.nflows * sizeof(*c->flows), until))
		goto broken;
	c->report.hops = c->hops;
	c->report.flows = c->flows;
	check_report(&c->report);
	return &c->report;
broken:
	memset(&c->report, 0, sizeof(c->report));
	fail(c, -EPROTO);
	return NULL;
}

void probe_child_release(struct probe_child *c)
{
	int status;

	if (!c || c->fd < 0)
		return;
	if (!c->broken)
		send_msg(c->fd, PROBE_MSG_QUIT, NULL, 0, NULL, 0);
	close(c->fd);
	c->fd = -1;
	c->broken = true; /* asked for more, it answers nothing, silently */
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	c->stop_fd = -1;
	/* The process serves the other handles on it still. */
	if (c->refs && --*c->refs > 0)
		c->pid = -1;
	else
		free(c->refs);
	c->refs = NULL;
	/* It exits on QUIT, on the closed socket or the closed stop pipe: give it a second. */
	for (int i = 0; c->pid > 0 && i < 50; i++) {
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		if (r == c->pid || (r < 0 && errno != EINTR))
			break;
		if (i == 49) {
			/* (Without CAP_KILL we may not; then the kernel reaps it when we end.) */
			if (!kill(c->pid, SIGKILL))
				waitpid(c->pid, &status, 0);
			break;
		}
		usleep(20000);
	}
	c->pid = -1;
}

void probe_child_close(struct probe_child *c)
{
	if (!c)
		return;
	probe_child_release(c);
	free(c->rec);
	free(c->settled);
	free(c->hops);
	free(c->flows);
	free(c);
}
