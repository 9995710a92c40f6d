// SPDX-License-Identifier: GPL-2.0
/*
 * The prober as a library, the way `dropscope diagnose` uses it: options, prober_open, prober_run
 * in a thread of its own with a deadline, the report, the probe list (CLOCK_MONOTONIC send times),
 * the identity, and prober_classify_packet on packets rebuilt from the list.
 *
 * The option parsing needs nothing; the rest needs root, and runs in a network namespace of this
 * process's own (unshare) against its loopback: no traffic leaves it (and the nft table and the
 * sysctl the window test sets are that namespace's).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_child.h"
#include "prober.h"
#include "tap.h"
#include "util.h"

static void test_options(void)
{
	struct probe_config c;

	probe_config_init(&c);
	is_int(probe_config_option(&c, 'c', "20"), 0, "-c 20 taken");
	is_int(c.count, 20, "count set");
	is_int(probe_config_option(&c, PROBE_OPT_PROTO, "udp"), 0, "--proto udp taken");
	is_int(probe_config_option(&c, PROBE_OPT_PROTO, "sctp"), -EINVAL, "--proto sctp refused");
	is_int(probe_config_option(&c, 'c', "-1"), -EINVAL, "-c -1 refused");
	is_int(probe_config_option(&c, 'i', "5ms"), -EINVAL, "--interval 5ms refused (< 10ms)");
	is_int(probe_config_option(&c, 'i', "250ms"), 0, "--interval 250ms taken");
	ok(c.interval_s > 0.2499 && c.interval_s < 0.2501, "interval 0.25 s");
	is_int(probe_config_option(&c, 'x', NULL), 1, "not a probe option: 1");
	is_int(probe_config_option(&c, '6', NULL), 0, "-6 taken");
	is_int(probe_config_option(&c, '4', NULL), -EINVAL, "-4 after -6 refused");
	is_int(probe_config_finish(&c), -EINVAL, "no target: refused");
	snprintf(c.target, sizeof(c.target), "::1");
	is_int(probe_config_finish(&c), 0, "finish");
	is_int(c.port, PROBE_DEFAULT_UDP_PORT, "udp default port");
	is_int(c.size, PROBE_DEFAULT_SIZE, "default size");

	probe_config_init(&c);
	snprintf(c.target, sizeof(c.target), "x");
	is_int(probe_config_finish(&c), 0, "defaults finish");
	is_int(c.count, PROBE_DEFAULT_COUNT, "icmp: default count");
	is_int(c.port, 0, "icmp: no port");
	probe_config_init(&c);
	snprintf(c.target, sizeof(c.target), "x");
	probe_config_option(&c, PROBE_OPT_PROTO, "tcp");
	probe_config_option(&c, PROBE_OPT_DURATION, "2");
	is_int(probe_config_finish(&c), 0, "tcp with a duration");
	is_int(c.count, 0, "duration: no count");
	is_int(c.port, PROBE_DEFAULT_TCP_PORT, "tcp default port");
	probe_config_option(&c, 'c', "5");
	is_int(probe_config_finish(&c), -EINVAL, "count and duration: refused");

	/* prober_open's errors: the user's input (exit 2) or a runtime failure (exit 1). */
	ok(probe_error_is_input(-EINVAL) && probe_error_is_input(-ENOENT) &&
		   probe_error_is_input(-EAFNOSUPPORT) && probe_error_is_input(-ENETUNREACH) &&
		   probe_error_is_input(-EHOSTUNREACH) && probe_error_is_input(-EMSGSIZE),
	   "bad options, unknown host, wrong family, no route, size: input");
	ok(!probe_error_is_input(-EPERM) && !probe_error_is_input(-EACCES) &&
		   !probe_error_is_input(-ENOMEM) && !probe_error_is_input(-EMFILE) &&
		   !probe_error_is_input(-ENOBUFS) && !probe_error_is_input(-EADDRINUSE) &&
		   !probe_error_is_input(-EPROTONOSUPPORT),
	   "not allowed, out of memory or descriptors, socket and bind failures: runtime");
}

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!rc && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

struct run_arg {
	struct prober *p;
	double deadline;
	int rc;
};

static void *run_thread(void *arg)
{
	struct run_arg *a = arg;

	a->rc = prober_run(a->p, a->deadline);
	return NULL;
}

/* Open and run in a thread of its own, as diagnose does. */
static struct prober *run(const char *target, const char *proto, const char *count, uint64_t *t0,
			  uint64_t *t1)
{
	struct probe_config c;
	struct run_arg a = {0};
	pthread_t tid;
	int rc;

	probe_config_init(&c);
	snprintf(c.target, sizeof(c.target), "%s", target);
	c.no_dns = true;
	probe_config_option(&c, PROBE_OPT_PROTO, proto);
	probe_config_option(&c, 'c', count);
	rc = prober_open(&c, &a.p);
	if (!ok(rc == 0, "%s %s: prober_open", target, proto))
		return NULL;
	a.deadline = mono_now() + 20;
	*t0 = mono_ns();
	pthread_create(&tid, NULL, run_thread, &a);
	pthread_join(tid, NULL);
	*t1 = mono_ns();
	is_int(a.rc, 0, "%s %s: prober_run in a thread", target, proto);
	return a.p;
}

static struct probe_flow flow_of(const struct probe_identity *id)
{
	struct probe_flow f;

	memset(&f, 0, sizeof(f));
	f.family = id->family;
	f.proto = id->l4proto == IPPROTO_UDP   ? PROBE_UDP
		  : id->l4proto == IPPROTO_TCP ? PROBE_TCP
					       : PROBE_ICMP;
	memcpy(f.src, id->src, 16);
	memcpy(f.dst, id->dst, 16);
	f.icmp_id = id->icmp_id;
	f.sport = id->sport;
	f.dport = id->dport;
	return f;
}

static void test_icmp4(void)
{
	const struct probe_record *rec;
	const struct probe_report *r;
	struct probe_identity id;
	struct probe_packet pk;
	struct probe_flow f;
	uint8_t pkt[128], err[160];
	bool mono = true, answered = true, classified = true, replies = true;
	uint64_t t0, t1, dropped = 1, dests = 0;
	struct prober *p = run("127.0.0.1", "icmp", "20", &t0, &t1);
	size_t n;

	if (!p)
		return;
	r = prober_report(p);
	ok(r && r->reached, "v4: loopback reached");
	is_int(r->nhops, 1, "v4: one hop, the destination itself");
	ok(r->hops[0].destination && r->hops[0].ttl == 1, "v4: TTL 1 is the destination");
	is_int(r->hops[0].sent, r->hops[0].received, "v4: every probe answered");
	ok(r->hops[0].sent >= 40, "v4: at least the 40 destination probes (%llu)",
	   (unsigned long long)r->hops[0].sent);
	ok(!r->has_origin && !r->interrupted, "v4: no loss origin, not interrupted");
	is_str(r->address, "127.0.0.1", "v4: address");
	is_str(r->source, "127.0.0.1", "v4: source");

	n = prober_probes(p, &rec, &dropped);
	is_int(n, r->probes_sent, "v4: the list holds every probe sent");
	is_int(dropped, 0, "v4: none dropped from the list");
	for (size_t i = 0; i < n; i++) {
		mono &= rec[i].sent_ns >= t0 && rec[i].sent_ns <= t1 &&
			(i == 0 || rec[i].sent_ns >= rec[i - 1].sent_ns);
		answered &= (rec[i].flags & PROBE_REC_ANSWERED) &&
			    rec[i].reply_ns >= rec[i].sent_ns && rec[i].send_errno == 0;
		dests += !!(rec[i].flags & PROBE_REC_DEST);
		if ((rec[i].flags & PROBE_REC_DEST) && rec[i].ttl != PROBE_DEFAULT_MAX_TTL)
			answered = false;
	}
	ok(mono, "v4: send times are CLOCK_MONOTONIC ns, in order, within the run");
	ok(answered, "v4: every record answered, reply after send, no send error");
	is_int(dests, 40, "v4: -c 20: 40 destination probes, flagged, at TTL max_ttl");

	prober_identity(p, &id);
	is_int(id.family, AF_INET, "identity: family");
	is_int(id.l4proto, IPPROTO_ICMP, "identity: protocol");
	ok(id.src[0] == 127 && id.dst[0] == 127 && id.dst[3] == 1, "identity: addresses");
	f = flow_of(&id);
	for (size_t i = 0; i < n; i++) {
		size_t len;

		/* The probe itself, as the kernel tracer would capture it (cut at 28 bytes). */
		probe_build(&f, rec[i].ident, rec[i].ttl, 64, pkt, sizeof(pkt));
		prober_classify_packet(p, pkt, 28, &pk);
		classified &= pk.kind == PROBE_PKT_PROBE && pk.index == (int64_t)i &&
			      pk.ttl == rec[i].ttl;
		/* A time exceeded quoting it. */
		memset(err, 0, 28);
		err[0] = 0x45;
		err[3] = 28 + 28;
		err[8] = 64;
		err[9] = IPPROTO_ICMP;
		err[12] = 10;
		err[15] = 1;
		memcpy(err + 16, id.src, 4);
		err[20] = 11;
		memcpy(err + 28, pkt, 28);
		len = 56;
		prober_classify_packet(p, err, len, &pk);
		replies &= pk.kind == PROBE_PKT_REPLY && pk.reply == PROBE_REPLY_TIME_EXCEEDED &&
			   pk.index == (int64_t)i;
	}
	ok(classified, "classify: every probe in the list recognised, with its index");
	ok(replies, "classify: a time exceeded quoting each probe matched to it");
	memset(pkt, 0, sizeof(pkt));
	prober_classify_packet(p, pkt, sizeof(pkt), &pk);
	ok(pk.kind == PROBE_PKT_NONE && pk.index == -1, "classify: zeros are not ours");
	is_int(prober_classify_packet(NULL, pkt, 20, &pk), -EINVAL, "classify: no prober");
	is_int(prober_run(p, 0), -EALREADY, "a second run is refused");

	{
		char *buf = NULL;
		size_t sz = 0;
		FILE *m = open_memstream(&buf, &sz);
		struct json_writer j;

		json_init(&j, m, false);
		json_object_begin(&j, NULL);
		probe_report_json(r, &j);
		json_object_end(&j);
		json_finish(&j);
		probe_report_text(r, m);
		probe_report_csv(r, m);
		fclose(m);
		ok(buf && strstr(buf, "{\"target\":\"127.0.0.1\",\"address\":\"127.0.0.1\""),
		   "json: the members, into the caller's object");
		ok(buf && strstr(buf, "\"loss_origin\":null"), "json: no loss origin");
		ok(buf && strstr(buf, "HOST: "), "text: the report table");
		ok(buf && strstr(buf, "target,protocol,ttl,"), "csv: the header");
		free(buf);
	}
	prober_close(p);
}

static void test_others(void)
{
	const struct probe_report *r;
	const char *cases[][3] = {
		{"::1", "icmp", "10"},
		{"127.0.0.1", "tcp", "10"},
		{"::1", "tcp", "10"},
		{"127.0.0.1", "udp", "2"},
	};
	uint64_t t0, t1;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct prober *p = run(cases[i][0], cases[i][1], cases[i][2], &t0, &t1);

		if (!p)
			continue;
		r = prober_report(p);
		ok(r && r->reached && r->nhops == 1 && r->hops[0].sent == r->hops[0].received,
		   "%s %s: reached at TTL 1, nothing lost", cases[i][0], cases[i][1]);
		prober_close(p);
	}
}

static void test_deadline_and_errors(void)
{
	struct probe_config c;
	const struct probe_report *r;
	struct prober *p;

	probe_config_init(&c);
	snprintf(c.target, sizeof(c.target), "127.0.0.1");
	c.no_dns = true;
	probe_config_option(&c, PROBE_OPT_DURATION, "60");
	if (ok(prober_open(&c, &p) == 0, "duration run opened")) {
		double t = mono_now();

		is_int(prober_run(p, t + 0.5), 0, "run with a deadline half a second away");
		ok(mono_now() - t < 5, "the deadline ended it");
		r = prober_report(p);
		ok(r && r->interrupted, "the report says interrupted");
		prober_close(p);
	}
	snprintf(c.target, sizeof(c.target), "::1");
	c.family = AF_INET;
	is_int(prober_open(&c, &p), -EAFNOSUPPORT, "::1 with AF_INET: -EAFNOSUPPORT");
	ok(p == NULL, "no prober on failure");
	c.family = AF_UNSPEC;
	c.size = 20;
	c.size_set = true;
	is_int(prober_open(&c, &p), -EINVAL, "size below the headers: -EINVAL");
	prober_close(NULL);
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fputs(s, f) < 0 ? -EIO : 0;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

/*
 * More probes in flight than there are identities: every TTL to 255 each 10 ms, to a target
 * that answers nothing, with a 4 s timeout (~25000 probes a second against 65534 identities),
 * for 9 s: the window fills, then refills as the first probes time out.
 * A round used to go out whole when the window had room for one probe, taking the identities
 * of probes still in flight: those were never settled, the run never ended (the reviewer's
 * --duration 100 --timeout 60 -i 0.01 --max-ttl 255 was still running at 260 s), and their
 * counts were lost. Now rounds wait for room: the run ends on its own, every probe counted.
 *
 * The silent target is this namespace's loopback with echo requests ignored. Its output chain
 * first refuses the probes (EPERM: settled at once, as sent and lost), so that discovery,
 * which goes five TTLs past the farthest settled probe, reaches TTL 255 in half a second.
 */
static void test_window(void)
{
	struct probe_config c;
	const struct probe_report *r;
	const struct probe_record *rec;
	struct run_arg a = {0};
	uint64_t dests = 0, hop1 = 0;
	double t0, elapsed;
	pthread_t tid;
	size_t n;

	if (system("nft add table ip ds_window && nft add chain ip ds_window out "
		   "'{ type filter hook output priority 0; }' && nft add rule ip ds_window out "
		   "icmp type echo-request drop") != 0) {
		printf("# SKIP the in-flight window test: nft cannot refuse the first probes\n");
		return;
	}
	if (!ok(write_file("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1") == 0,
		"window: this namespace ignores echo requests")) {
		system("nft delete table ip ds_window");
		return;
	}
	probe_config_init(&c);
	snprintf(c.target, sizeof(c.target), "127.0.0.1");
	c.no_dns = true;
	probe_config_option(&c, PROBE_OPT_DURATION, "9");
	probe_config_option(&c, 'i', "0.01");
	probe_config_option(&c, PROBE_OPT_TIMEOUT, "4");
	probe_config_option(&c, PROBE_OPT_MAX_TTL, "255");
	if (!ok(prober_open(&c, &a.p) == 0, "window: prober_open"))
		goto cleanup;
	t0 = mono_now();
	a.deadline = t0 + 60;
	pthread_create(&tid, NULL, run_thread, &a);
	usleep(1000000);
	is_int(system("nft delete table ip ds_window"), 0, "window: the probes go out after 1 s");
	pthread_join(tid, NULL);
	elapsed = mono_now() - t0;
	is_int(a.rc, 0, "window: prober_run returns 0");
	r = prober_report(a.p);
	ok(r && !r->interrupted, "window: the run ended on its own, not at the 60 s deadline");
	ok(elapsed < 30, "window: in %.1f s (9 s of probing, then the 4 s timeout)", elapsed);
	if (!r)
		goto cleanup;
	if (r->window_waits)
		ok(1, "window: %llu rounds waited for room (%llu probes sent)",
		   (unsigned long long)r->window_waits, (unsigned long long)r->probes_sent);
	else
		printf("# SKIP window: %llu probes were too few to fill the window on this "
		       "machine; the checks below prove less\n",
		       (unsigned long long)r->probes_sent);
	n = prober_probes(a.p, &rec, NULL);
	for (size_t i = 0; i < n; i++) {
		dests += !!(rec[i].flags & PROBE_REC_DEST);
		hop1 += !(rec[i].flags & PROBE_REC_DEST) && rec[i].ttl == 1;
	}
	is_int(n, r->probes_sent, "window: every probe in the list");
	is_int(r->end_to_end.sent, dests, "window: every destination probe settled and counted");
	ok(r->nhops >= 1 && r->hops[0].ttl == 1 && r->hops[0].all_sent == hop1,
	   "window: every probe to hop 1 settled and counted (%llu)", (unsigned long long)hop1);
	is_int(r->end_to_end.received, 0, "window: nothing answered");
cleanup:
	prober_close(a.p);
	system("nft delete table ip ds_window 2>/dev/null");
	write_file("/proc/sys/net/ipv4/icmp_echo_ignore_all", "0");
}

/* Adopt a copy of s whose sockets are duplicates (the adopted prober closes those, not s's). */
static int adopt_copy(const struct prober_setup *s, struct prober **q)
{
	struct prober_setup c = *s;
	int32_t *fds[3 + PROBE_MAX_FLOWS] = { &c.send_fd, &c.icmp_fd, &c.tcp_fd };
	int err;

	for (size_t i = 0; i < PROBE_MAX_FLOWS; i++)
		fds[3 + i] = &c.port_fd[i];
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			*fds[i] = fcntl(*fds[i], F_DUPFD_CLOEXEC, 0);
	err = prober_adopt(&c, sizeof(c), q);
	if (err)
		for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
			if (*fds[i] >= 0)
				close(*fds[i]);
	return err;
}

/* What crosses the exec to the prober's program: its checks, then the same prober. */
static void test_setup(void)
{
	struct probe_identity a, b;
	struct prober_setup s, bad;
	struct prober *p = NULL, *q = NULL;
	struct probe_config cfg;
	uint8_t longer[sizeof(s) + 8];
	int closed;

	probe_config_init(&cfg);
	snprintf(cfg.target, sizeof(cfg.target), "127.0.0.1");
	cfg.no_dns = true;
	probe_config_option(&cfg, PROBE_OPT_PROTO, "udp");
	probe_config_option(&cfg, PROBE_OPT_FLOWS, "4");
	if (!ok(prober_open(&cfg, &p) == 0, "setup: prober_open (udp, 4 flows)"))
		return;
	prober_setup_fill(p, &s);
	is_int(adopt_copy(&s, &q), 0, "setup: adopted");
	prober_identity(p, &a);
	memset(&b, 0xff, sizeof(b));
	if (q)
		prober_identity(q, &b);
	ok(q && !memcmp(&a, &b, sizeof(a)), "setup: the same flow identity (addresses, ports, flows)");
	prober_close(q);
	q = NULL;

	bad = s;
	bad.magic ^= 1;
	is_int(adopt_copy(&bad, &q), -EPROTO, "setup: a bad magic is refused");
	bad = s;
	bad.version++;
	is_int(adopt_copy(&bad, &q), -EPROTO, "setup: another version is refused");
	bad = s;
	bad.size--;
	is_int(adopt_copy(&bad, &q), -EPROTO, "setup: another size field is refused");
	bad = s;
	bad.layout ^= 1;
	is_int(adopt_copy(&bad, &q), -EPROTO,
	       "setup: another layout (a C library that lays the messages out otherwise) is refused");
	is_int((long)s.layout, (long)prober_layout(), "setup: it carries this build's layout");
	is_int(prober_adopt(&s, sizeof(s) - 1, &q), -EPROTO, "setup: a short one is refused");
	memset(longer, 0, sizeof(longer));
	memcpy(longer, &s, sizeof(s));
	is_int(prober_adopt(longer, sizeof(longer), &q), -EPROTO, "setup: a longer one is refused");
	bad = s;
	bad.flow.family = AF_UNIX;
	is_int(adopt_copy(&bad, &q), -EPROTO, "setup: a family not IPv4 or IPv6 is refused");
	bad = s;
	bad.nflows = bad.flow.nflows = PROBE_MAX_FLOWS + 1;
	is_int(adopt_copy(&bad, &q), -EPROTO, "setup: too many flows are refused");
	bad = s;
	bad.psize = bad.mtu + 1;
	is_int(adopt_copy(&bad, &q), -EPROTO, "setup: probes above the MTU are refused");
	bad = s;
	bad.cfg.max_ttl = PROBE_MAX_TTL + 1;
	is_int(adopt_copy(&bad, &q), -EPROTO, "setup: a TTL above 255 is refused");
	bad = s;
	closed = dup(0);
	close(closed);
	bad.port_fd[3] = closed;
	is_int(prober_adopt(&bad, sizeof(bad), &q), -EPROTO,
	       "setup: a flow's port socket that is not open is refused");
	ok(!q, "setup: and nothing is returned");
	prober_close(p);
}

/*
 * The prober in its unprivileged process: the same answers through the socket pair as in-process,
 * from a child that holds no capability and is not uid 0.
 */
static void test_child(void)
{
	const struct probe_record *rec;
	const struct probe_report *r;
	struct probe_child *c = NULL;
	struct probe_identity id;
	struct probe_config cfg;
	struct probe_packet pk;
	struct prober *p = NULL;
	uint8_t pkt[128];
	char path[64], line[256], self[PATH_MAX], prog[PATH_MAX + 32], exe[PATH_MAX];
	int run_err = -1, rc = 0;
	ssize_t len;
	unsigned uid = 0;
	uint64_t eff = 1, sent;
	FILE *f;
	size_t n;

	/* The prober's program of this test's build: BUILD/tests/unit/../../ (BUILD/san alike). */
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[len > 0 ? len : 0] = 0;
	if (strrchr(self, '/'))
		strrchr(self, '/')[1] = 0;
	snprintf(prog, sizeof(prog), "%s../../%s", self, PROBER_PROGRAM);
	if (!ok(probe_child_set_program(prog) == 0, "child: the prober's program %s", prog))
		return;
	probe_config_init(&cfg);
	snprintf(cfg.target, sizeof(cfg.target), "127.0.0.1");
	cfg.no_dns = true;
	probe_config_option(&cfg, 'c', "10");
	if (!ok(prober_open(&cfg, &p) == 0, "child: prober_open"))
		return;
	prober_identity(p, &id);
	if (!ok(probe_child_start(p, &c) == 0, "child: started"))
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)probe_child_pid(c));
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "Uid: %u", &uid);
		sscanf(line, "CapEff: %" SCNx64, &eff);
	}
	if (f)
		fclose(f);
	ok(uid != 0, "child: not uid 0 (%u)", uid);
	is_int(eff, 0, "child: no effective capability");
	/* The process is the prober's program, not a fork of this one. */
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)probe_child_pid(c));
	len = readlink(path, exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = 0;
	ok(strstr(exe, "/" PROBER_PROGRAM) != NULL, "child: runs %s (%s)", PROBER_PROGRAM, exe);
	ok(probe_child_go(c, mono_now() + 20) == 0, "child: go");
	for (int i = 0; i < 300 && rc == 0; i++)
		rc = probe_child_wait(c, 100, &run_err);
	is_int(rc, 1, "child: the run ended");
	is_int(run_err, 0, "child: prober_run returned 0");
	n = probe_child_probes(c, &rec);
	ok(n >= 20, "child: the probe list, at least the 20 destination probes of -c 10 (%zu)", n);
	ok(n && probe_child_settled(c, 0) && (rec[0].flags & PROBE_REC_ANSWERED),
	   "child: the first is settled and answered");
	r = probe_child_report(c, NULL, 0);
	ok(r && r->reached && r->nhops == 1, "child: the report: loopback reached in one hop");
	is_int(r ? r->probes_sent : 0, n, "child: the report counts the probes of the list");
	sent = r ? r->hops[0].sent : 0;
	ok(r && sent >= 20 && r->hops[0].received == sent, "child: every probe answered (%llu)",
	   (unsigned long long)sent);
	/* (Excluding lost probes through the child: diagnose_scenarios.t, the host firewall.) */
	/* One of our own probes, as the tracer would capture it. */
	if (n) {
		struct probe_flow fl = flow_of(&id);

		probe_build(&fl, rec[n - 1].ident, rec[n - 1].ttl, 64, pkt, sizeof(pkt));
		ok(probe_child_classify(c, pkt, 28, &pk) == 0 && pk.kind == PROBE_PKT_PROBE &&
			   pk.index == (int64_t)(n - 1),
		   "child: classifies our own probe, with its index");
	}
	probe_child_close(c);
}

int main(void)
{
	test_options();
	if (!is_root()) {
		printf("# SKIP the rest: needs root (raw sockets in a network namespace of its "
		       "own)\n");
		return done_testing();
	}
	if (unshare(CLONE_NEWNET) || lo_up()) {
		printf("# SKIP the rest: cannot make a network namespace: %s\n", strerror(errno));
		return done_testing();
	}
	test_icmp4();
	test_others();
	test_deadline_and_errors();
	test_window();
	test_setup();
	test_child();
	return done_testing();
}
