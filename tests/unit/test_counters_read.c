// SPDX-License-Identifier: GPL-2.0
/*
 * host_counters_read against fixture trees (DROPSCOPE_PROC_ROOT): a recorded /proc reads whole,
 * and a tree with files that cannot be read or parse still gives everything else, with each
 * failure named. Netlink and ethtool are read live from the test's own namespace (no root
 * needed for that).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "counters_findings.h"
#include "counters_host.h"
#include "counters_delta.h"
#include "netns.h"
#include "tap.h"
#include "test_counters_fixtures.h"

static void put(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void copy(const char *from_rel, const char *dir, const char *rel)
{
	char path[1024], buf[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixtures, from_rel);
	f = fopen(path, "r");
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	put(dir, rel, buf);
}

static const struct hc_error *error_for(const struct host_counters *hc, const char *source)
{
	for (size_t i = 0; i < hc->n_errors; i++)
		if (!strcmp(hc->errors[i].source, source))
			return &hc->errors[i];
	return NULL;
}

static void test_recorded(void)
{
	char root[768];
	struct host_counters *hc = NULL;

	snprintf(root, sizeof(root), "%s/linux-6.18", fixtures);
	setenv("DROPSCOPE_PROC_ROOT", root, 1);
	is_int(host_counters_read(NULL, &hc), 0, "reads the recorded 6.18 tree");
	if (!hc)
		return;
	is_int(hc->softnet_err, 0, "softnet read");
	is_int(hc->softnet.columns, 15, "softnet: 15 columns");
	ok(!hc->snmp_err && !hc->netstat_err && !hc->snmp6_err, "snmp, netstat, snmp6 read");
	ok(hc->snmp.present[SNMP_TCPEXT_LISTEN_OVERFLOWS], "netstat counters present");
	ok(hc->ct_in_use, "conntrack files there: in use");
	is_int(hc->ct_max, 262144, "nf_conntrack_max from the tree");
	is_int(hc->ct_stat_err, 0, "conntrack stats read");
	is_int(hc->sysctl[SYSCTL_NETDEV_MAX_BACKLOG].v[0], 1000,
	       "netdev_max_backlog from the tree");
	is_int(hc->sysctl[SYSCTL_TCP_RMEM].n, 3, "tcp_rmem has 3 values");
	ok(!hc->sysctl[SYSCTL_TCP_RMEM].from_host, "read in the namespace, not the host's");
	ok(host_counters_iface(hc, "lo") != NULL, "the live loopback came from netlink");
	ok(hc->netns_self, "our own namespace");
	is_int(hc->n_errors, 0, "no errors");
	host_counters_free(hc);
}

static void test_broken(void)
{
	char dir[] = "/tmp/dstest-counters-XXXXXX", path[1024], *buf = NULL;
	struct host_counters *a = NULL, *b = NULL;
	struct host_delta *d = NULL;
	const struct hc_error *e;
	struct finding *f = NULL;
	size_t n = 0, len = 0;
	FILE *m;

	if (!mkdtemp(dir)) {
		ok(0, "temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/net", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/net/stat", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys", dir);
	mkdir(path, 0755);
	/* 4.19's softnet and conntrack stats, a directory where snmp belongs, garbage netstat, no
	 * snmp6 (IPv6 off), and conntrack stats but no conntrack sysctls (module unloaded). */
	copy("linux-4.19/net/softnet_stat", dir, "net/softnet_stat");
	copy("linux-4.19/net/stat/nf_conntrack", dir, "net/stat/nf_conntrack");
	copy("garbage/snmp_binary", dir, "net/netstat");
	snprintf(path, sizeof(path), "%s/net/snmp", dir);
	mkdir(path, 0755);
	setenv("DROPSCOPE_PROC_ROOT", dir, 1);

	is_int(host_counters_read(NULL, &a), 0, "a broken tree still gives a snapshot");
	if (!a)
		goto cleanup;
	is_int(a->softnet_err, 0, "softnet still read");
	is_int(a->softnet.columns, 11, "4.19 softnet: 11 columns");
	is_int(a->snmp_err, -EISDIR, "snmp: is a directory");
	is_int(a->netstat_err, -EINVAL, "netstat: garbage");
	is_int(a->snmp6_err, -ENOENT, "snmp6 missing");
	ok(!a->ct_in_use, "no conntrack sysctls: not in use, whatever the stats file says");
	is_int(a->ct_stat_err, -ENOENT, "the stats of an unloaded conntrack are not read");
	ok(!error_for(a, "/proc/net/stat/nf_conntrack"), "nor is their absence an error");
	ok(a->sysctl[SYSCTL_SOMAXCONN].err == -ENOENT, "sysctls missing from the tree");
	e = error_for(a, "/proc/net/snmp");
	ok(e && e->err == -EISDIR, "the snmp failure is listed");
	ok(e && strstr(e->what, "TCP and UDP counters missing"), "with what is missing");
	ok(error_for(a, "/proc/net/netstat") != NULL, "the netstat failure is listed");
	ok(!error_for(a, "/proc/net/snmp6"), "a missing snmp6 (no IPv6) is not a failure");
	ok(host_counters_failed(a), "the snapshot says a source failed");
	m = open_memstream(&buf, &len);
	host_counters_print_errors(a, m);
	fclose(m);
	ok(strstr(buf, "dropscope: failed to read /proc/net/snmp: Is a directory; IP, TCP and UDP "
		       "counters missing\n") != NULL,
	   "one clear line per failure");
	free(buf);

	is_int(host_counters_read(NULL, &b), 0, "second snapshot");
	if (!b)
		goto cleanup;
	is_int(host_counters_delta(a, b, &d), 0, "delta of broken snapshots");
	is_int(findings_compute(d, &f, &n), 0, "findings of broken snapshots");
	ok(d->softnet_ok, "softnet deltas still there");
	ok(!d->snmp_ok[SNMP_UDP_RCVBUF_ERRORS], "no snmp deltas without snmp");
	ok(!d->ct_ok, "no conntrack deltas without conntrack");
	ok(d->softnet_total.processed == 0 && d->softnet_total.dropped == 0 &&
		   d->softnet_total.time_squeeze == 0,
	   "the same recorded softnet twice: nothing moved");
	{
		/* The recorded files did not move, so only the live sources (this namespace's
		 * interfaces and qdiscs) can give a finding, and each of those names its
		 * interface. */
		bool host_wide = false;

		for (size_t i = 0; i < n; i++)
			if (!f[i].ifname[0]) {
				host_wide = true;
				printf("#   unexpected host-wide finding %s: %s\n", f[i].id,
				       f[i].summary);
			}
		ok(!host_wide, "no host-wide finding from files that did not move (%zu findings)",
		   n);
	}

cleanup:
	free(f);
	host_delta_free(d);
	host_counters_free(a);
	host_counters_free(b);
	unsetenv("DROPSCOPE_PROC_ROOT");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path))
		printf("# could not remove %s\n", dir);
}

/* A DROPSCOPE_PROC_ROOT longer than the path buffers: every /proc file fails with
 * ENAMETOOLONG, named, instead of a cut path or a write past the buffer. */
static void test_long_root(void)
{
	char root[1200];
	struct host_counters *hc = NULL;
	bool all_long = true;

	/* Short components, so that only dropscope's buffers, not the kernel's NAME_MAX, can
	 * make the path too long. */
	for (size_t i = 0; i < sizeof(root) - 1; i++)
		root[i] = i % 8 ? 'x' : '/';
	root[sizeof(root) - 1] = '\0';
	/* The sysctl path is the root plus "/sys/net/..."; a root of 500 puts its end beyond
	 * 512 bytes as well. */
	for (size_t len = 500; len < sizeof(root); len += 650) {
		root[len] = '\0';
		setenv("DROPSCOPE_PROC_ROOT", root, 1);
		is_int(host_counters_read(NULL, &hc), 0, "a %zu-byte root: still a snapshot", len);
		if (!hc)
			continue;
		is_int(hc->softnet_err, -ENAMETOOLONG, "softnet path too long: ENAMETOOLONG");
		for (int s = 0; s < SYSCTL__COUNT; s++)
			all_long &= hc->sysctl[s].err == -ENAMETOOLONG;
		ok(all_long, "every sysctl path too long: ENAMETOOLONG");
		ok(error_for(hc, "/proc/net/softnet_stat") &&
			   error_for(hc, "sysctl net.core.netdev_max_backlog"),
		   "the failures are named");
		ok(host_counters_iface(hc, "lo") != NULL, "netlink still read");
		host_counters_free(hc);
		hc = NULL;
		root[len] = 'x';
	}
	unsetenv("DROPSCOPE_PROC_ROOT");
}

static void test_bad_ns(void)
{
	struct netns_ref all = {.all = true, .fd = -1};
	struct host_counters *hc = NULL;

	is_int(host_counters_read(&all, &hc), -EINVAL, "'all' is not one namespace");
	ok(hc == NULL, "nothing returned");
}

int main(void)
{
	FIXTURES_OR_BAIL();
	test_recorded();
	test_broken();
	test_long_root();
	test_bad_ns();
	return done_testing();
}
