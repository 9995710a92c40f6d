// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo_lab.h"
#include "util.h"

/* Run argv (NULL-terminated), optionally feeding stdin_text; quiet unless -v. Returns 0 or
 * -EIO with the command's name in a message. */
static int run(const char *stdin_text, const char *const argv[])
{
	int in[2] = { -1, -1 }, status;
	pid_t pid;

	if (stdin_text && pipe(in))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		if (stdin_text) {
			close(in[0]);
			close(in[1]);
		}
		return err;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (stdin_text) {
			dup2(in[0], 0);
			close(in[0]);
			close(in[1]);
		} else {
			dup2(null, 0);
		}
		dup2(null, 1);
		if (!ds_verbose)
			dup2(null, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (stdin_text) {
		size_t len = strlen(stdin_text);

		close(in[0]);
		if (write(in[1], stdin_text, len) != (ssize_t)len)
			ds_debug("short write to %s", argv[0]);
		close(in[1]);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		ds_err("failed to run %s: not installed? ('make deps' installs it)", argv[0]);
	else
		ds_debug("'%s %s %s ...' failed", argv[0], argv[1] ? argv[1] : "",
			 argv[1] && argv[2] ? argv[2] : "");
	return -EIO;
}

/* Build an argv from words in a printf-formatted string (no quoting: lab names have none). */
static int runf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int runf(const char *fmt, ...)
{
	char line[512], *words[32], *save = NULL, *w;
	int n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (w = strtok_r(line, " ", &save); w && n < 31; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	words[n] = NULL;
	return run(NULL, (const char *const *)words);
}

int demolab_exec(struct demolab *lab, int node, const char *stdin_text, const char *const argv[])
{
	const char *full[40] = { "ip", "netns", "exec", lab->ns[node] };
	int n = 4;

	for (int i = 0; argv[i] && n < 39; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	return run(stdin_text, full);
}

int demolab_nft(struct demolab *lab, int node, const char *ruleset)
{
	const char *argv[] = { "nft", "-f", "-", NULL };

	return demolab_exec(lab, node, ruleset, argv);
}

static int sysctl_in(struct demolab *lab, int node, const char *kv)
{
	const char *argv[] = { "sysctl", "-qw", kv, NULL };

	return demolab_exec(lab, node, NULL, argv);
}

int demolab_icmp_ratelimit(struct demolab *lab, int node, int ms)
{
	char kv[64];
	int err;

	snprintf(kv, sizeof(kv), "net.ipv4.icmp_ratelimit=%d", ms);
	err = sysctl_in(lab, node, kv);
	if (!err && ms == 0) {
		/* The global token bucket too, so that a healthy network answers every probe. */
		sysctl_in(lab, node, "net.ipv4.icmp_msgs_per_sec=100000");
		sysctl_in(lab, node, "net.ipv4.icmp_msgs_burst=100000");
	}
	return err;
}

static int build(struct demolab *lab)
{
	int n = lab->routers, err;

	for (int k = 0; k <= n + 1; k++) {
		if (k == 0)
			snprintf(lab->ns[k], sizeof(lab->ns[k]), "dsdemo-%s-host", lab->tag);
		else if (k == n + 1)
			snprintf(lab->ns[k], sizeof(lab->ns[k]), "dsdemo-%s-dst", lab->tag);
		else
			snprintf(lab->ns[k], sizeof(lab->ns[k]), "dsdemo-%s-r%d", lab->tag, k);
		err = runf("ip netns add %s", lab->ns[k]);
		if (err) {
			ds_err("failed to create network namespace %s (needs root and iproute2)",
			       lab->ns[k]);
			return err;
		}
		lab->nns++;
		err = runf("ip -n %s link set lo up", lab->ns[k]);
		if (!err)
			err = demolab_icmp_ratelimit(lab, k, 0);
		if (err)
			return err;
	}
	for (int k = 0; k <= n; k++) {
		/* Under IF_NAMESIZE: the tag is 8 hex digits. */
		char a[48], b[48];

		snprintf(a, sizeof(a), "d%sa%d", lab->tag, k);
		snprintf(b, sizeof(b), "d%sb%d", lab->tag, k);
		err = runf("ip link add %s type veth peer name %s", a, b);
		if (!err)
			err = runf("ip link set %s netns %s name eth1", a, lab->ns[k]);
		if (!err)
			err = runf("ip link set %s netns %s name eth0", b, lab->ns[k + 1]);
		if (!err)
			err = runf("ip -n %s addr add 10.77.%d.1/24 dev eth1", lab->ns[k], k);
		if (!err)
			err = runf("ip -n %s addr add 10.77.%d.2/24 dev eth0", lab->ns[k + 1], k);
		if (!err)
			err = runf("ip -n %s link set eth1 up", lab->ns[k]);
		if (!err)
			err = runf("ip -n %s link set eth0 up", lab->ns[k + 1]);
		if (err)
			return err;
	}
	err = runf("ip -n %s route add default via 10.77.0.2", lab->ns[0]);
	if (!err)
		err = runf("ip -n %s route add default via 10.77.%d.1", lab->ns[n + 1], n);
	for (int k = 1; k <= n && !err; k++) {
		err = sysctl_in(lab, k, "net.ipv4.ip_forward=1");
		for (int j = 0; j <= n && !err; j++) {
			if (j < k - 1)
				err = runf("ip -n %s route add 10.77.%d.0/24 via 10.77.%d.1", lab->ns[k],
					   j, k - 1);
			else if (j > k)
				err = runf("ip -n %s route add 10.77.%d.0/24 via 10.77.%d.2", lab->ns[k],
					   j, k);
		}
	}
	snprintf(lab->dst4, sizeof(lab->dst4), "10.77.%d.2", n);
	return err;
}

static void lock_path(const char *tag, char *buf, size_t size)
{
	snprintf(buf, size, DEMOLAB_LOCK_DIR "/demo-%s.lock", tag);
}

/*
 * Pick the lab's tag and create its lock file, locked. The file is made under a temporary name
 * and linked to its own once locked, so that a concurrent reaper never finds a live lab's lock
 * free. The tag is random, not the pid: a reused pid must not name, or keep alive, another's
 * lab.
 */
static int lock_lab(struct demolab *lab)
{
	char tmp[128], path[128];
	uint32_t r;
	int fd, err;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)getpid() ^ (uint32_t)mono_ns();
	snprintf(lab->tag, sizeof(lab->tag), "%08x", r);
	snprintf(tmp, sizeof(tmp), DEMOLAB_LOCK_DIR "/.demo-%s.new", lab->tag);
	lock_path(lab->tag, path, sizeof(path));
	if (mkdir(DEMOLAB_LOCK_DIR, 0755) && errno != EEXIST) {
		err = -errno;
		ds_err("failed to create %s: %s", DEMOLAB_LOCK_DIR, strerror(-err));
		return err;
	}
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		ds_err("failed to create the demo's lock file %s: %s", tmp, strerror(-err));
		return err;
	}
	/* link, not rename: never replace another lab's lock (tags are random, not unique). */
	if (flock(fd, LOCK_EX | LOCK_NB) || link(tmp, path)) {
		err = -errno;
		ds_err("failed to set up the demo's lock file %s: %s", path, strerror(-err));
		unlink(tmp);
		close(fd);
		return err;
	}
	unlink(tmp);
	/* For whoever looks; liveness is the lock, never this pid. */
	dprintf(fd, "%d\n", (int)getpid());
	lab->lock_fd = fd;
	return 0;
}

int demolab_create(struct demolab *lab, int routers)
{
	int err;

	memset(lab, 0, sizeof(*lab));
	lab->lock_fd = -1;
	if (routers < 1 || routers > DEMOLAB_MAX_ROUTERS)
		return -EINVAL;
	lab->routers = routers;
	err = lock_lab(lab);
	if (err)
		return err;
	err = build(lab);
	if (err)
		demolab_destroy(lab);
	return err;
}

void demolab_destroy(struct demolab *lab)
{
	char path[128];

	for (int i = 0; i < lab->nchildren; i++)
		kill(lab->children[i], SIGKILL);
	for (int i = 0; i < lab->nchildren; i++)
		waitpid(lab->children[i], NULL, 0);
	lab->nchildren = 0;
	/* Deleting a namespace removes its veth ends, and with them their peers. */
	for (int k = lab->nns - 1; k >= 0; k--)
		runf("ip netns del %s", lab->ns[k]);
	lab->nns = 0;
	/* Last: killed before this, the lab is an orphan for demolab_reap. */
	if (lab->lock_fd >= 0) {
		lock_path(lab->tag, path, sizeof(path));
		unlink(path);
		close(lab->lock_fd);
		lab->lock_fd = -1;
	}
}

/* The tag in a lock file's name ("demo-TAG.lock", or ".demo-TAG.new" before it is linked). */
static bool lock_name_tag(const char *name, char *tag, size_t size, bool *pending)
{
	const char *end;
	size_t len;

	*pending = name[0] == '.';
	if (*pending)
		name++;
	if (strncmp(name, "demo-", 5))
		return false;
	name += 5;
	end = strchr(name, '.');
	len = end ? (size_t)(end - name) : 0;
	if (!len || len >= size || len > 12 || strspn(name, "0123456789abcdef") != len ||
	    strcmp(end, *pending ? ".new" : ".lock"))
		return false;
	memcpy(tag, name, len);
	tag[len] = '\0';
	return true;
}

/* Delete a dead lab's namespaces, and the veths of a build cut short in ours. */
static void remove_lab(const char *tag)
{
	char prefix[48], name[48];
	struct dirent *e;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "dsdemo-%s-", tag);
	d = opendir("/run/netns");
	while (d && (e = readdir(d))) {
		const char *argv[] = { "ip", "netns", "del", e->d_name, NULL };

		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			run(NULL, argv);
	}
	if (d)
		closedir(d);
	for (int k = 0; k <= DEMOLAB_MAX_ROUTERS; k++) {
		for (const char *end = "ab"; *end; end++) {
			snprintf(name, sizeof(name), "d%s%c%d", tag, *end, k);
			if (if_nametoindex(name))
				runf("ip link del %s", name);
		}
	}
}

int demolab_reap(FILE *report)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir(DEMOLAB_LOCK_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char tag[24], path[300];
		struct stat st;
		bool pending;
		int fd;

		if (!lock_name_tag(e->d_name, tag, sizeof(tag), &pending))
			continue;
		snprintf(path, sizeof(path), DEMOLAB_LOCK_DIR "/%s", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		/* Held: its demo runs. Unlinked once we hold it: another reaper was first. */
		if (flock(fd, LOCK_EX | LOCK_NB) || fstat(fd, &st) || !st.st_nlink) {
			close(fd);
			continue;
		}
		if (!pending) {
			remove_lab(tag);
			if (report)
				fprintf(report, "%sremoved the network of a demo that is gone: "
					"dsdemo-%s-*\n",
					report == stderr ? "dropscope: " : "", tag);
			n++;
		}
		unlink(path);
		close(fd);
	}
	closedir(d);
	return n;
}

int demolab_enter(struct demolab *lab, int node, int *saved)
{
	char path[128];
	int fd, err = 0;

	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", lab->ns[node]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*saved < 0 || fd < 0 || setns(fd, CLONE_NEWNET))
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/* Fork a child already inside node's namespace; returns its pid in the parent, 0 in the child. */
static pid_t fork_in(struct demolab *lab, int node)
{
	pid_t pid;
	int saved;

	if (lab->nchildren == DEMOLAB_MAX_CHILDREN)
		return -ENOSPC;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* The terminal's signals are the demo's to handle; ours is only the lab's lock. */
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		close(lab->lock_fd);
		/* Die with the demo, however it ends: a generator must not outlive its network. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1 || demolab_enter(lab, node, &saved))
			_exit(1);
		return 0;
	}
	lab->children[lab->nchildren++] = pid;
	return pid;
}

int demolab_udp_sink(struct demolab *lab, int node, int port, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int ready[2], fd;
	pid_t pid;
	char c;

	if (pipe(ready))
		return -errno;
	pid = fork_in(lab, node);
	if (pid < 0) {
		close(ready[0]);
		close(ready[1]);
		return pid;
	}
	if (pid > 0) {
		close(ready[1]);
		/* Bound before the caller goes on. */
		pid = read(ready[0], &c, 1) == 1 ? 0 : -EIO;
		close(ready[0]);
		return pid;
	}
	close(ready[0]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)))
		_exit(1);
	if (write(ready[1], "r", 1) != 1)
		_exit(1);
	/* Never reads: the buffer fills and the kernel drops the rest (SOCKET_RCVBUFF). */
	for (int i = 0; i < 600; i++)
		sleep(1);
	_exit(0);
}

int demolab_udp_flood(struct demolab *lab, int node, const char *dst, int port, int pps,
		      int size, double max_s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char buf[1500] = { 0 };
	double start, next;
	pid_t pid;
	int fd;

	if (inet_pton(AF_INET, dst, &a.sin_addr) != 1 || pps <= 0 || size > (int)sizeof(buf))
		return -EINVAL;
	pid = fork_in(lab, node);
	if (pid)
		return pid < 0 ? pid : 0;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		_exit(1);
	start = next = mono_now();
	/* Paced in small bursts so the rate holds on a busy machine. */
	while (mono_now() - start < max_s) {
		for (int i = 0; i < 10; i++)
			sendto(fd, buf, size, 0, (struct sockaddr *)&a, sizeof(a));
		next += 10.0 / pps;
		sleep_until(next);
	}
	_exit(0);
}
