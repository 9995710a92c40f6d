// SPDX-License-Identifier: GPL-2.0
/* Host counters: one snapshot in one namespace, and deltas. See counters_host.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>

#include "counters_host.h"
#include "util.h"

/* ---- sysctls ---- */

static const char *const sysctl_names[SYSCTL__COUNT] = {
	[SYSCTL_NETDEV_MAX_BACKLOG] = "net.core.netdev_max_backlog",
	[SYSCTL_NETDEV_BUDGET] = "net.core.netdev_budget",
	[SYSCTL_NETDEV_BUDGET_USECS] = "net.core.netdev_budget_usecs",
	[SYSCTL_RMEM_MAX] = "net.core.rmem_max",
	[SYSCTL_WMEM_MAX] = "net.core.wmem_max",
	[SYSCTL_RMEM_DEFAULT] = "net.core.rmem_default",
	[SYSCTL_WMEM_DEFAULT] = "net.core.wmem_default",
	[SYSCTL_SOMAXCONN] = "net.core.somaxconn",
	[SYSCTL_RPS_SOCK_FLOW_ENTRIES] = "net.core.rps_sock_flow_entries",
	[SYSCTL_FLOW_LIMIT_TABLE_LEN] = "net.core.flow_limit_table_len",
	[SYSCTL_TCP_RMEM] = "net.ipv4.tcp_rmem",
	[SYSCTL_TCP_WMEM] = "net.ipv4.tcp_wmem",
	[SYSCTL_TCP_MEM] = "net.ipv4.tcp_mem",
	[SYSCTL_UDP_MEM] = "net.ipv4.udp_mem",
	[SYSCTL_TCP_MAX_SYN_BACKLOG] = "net.ipv4.tcp_max_syn_backlog",
	[SYSCTL_IPFRAG_HIGH_THRESH] = "net.ipv4.ipfrag_high_thresh",
	[SYSCTL_NF_CONNTRACK_MAX] = "net.netfilter.nf_conntrack_max",
	[SYSCTL_NF_CONNTRACK_BUCKETS] = "net.netfilter.nf_conntrack_buckets",
};

const char *hc_sysctl_name(enum hc_sysctl s)
{
	return (unsigned)s < SYSCTL__COUNT ? sysctl_names[s] : NULL;
}

/* ---- files ---- */

/* The testing aid: a directory standing in for /proc (see counters_host.h). */
static const char *proc_root(void)
{
	const char *r = getenv("DROPSCOPE_PROC_ROOT");

	return r && *r ? r : NULL;
}

/* /proc/thread-self/net/<rel>: /proc/self/net would show the thread group leader's namespace.
 * -ENAMETOOLONG when the path does not fit (a long DROPSCOPE_PROC_ROOT). */
static int net_path(char *buf, size_t size, const char *rel)
{
	const char *root = proc_root();
	int n;

	if (root)
		n = snprintf(buf, size, "%s/net/%s", root, rel);
	else
		n = snprintf(buf, size, "/proc/thread-self/net/%s", rel);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* /proc/sys follows the reading task's namespace by itself. Same return values. */
static int sys_path(char *buf, size_t size, const char *dotted)
{
	const char *root = proc_root();
	int n = snprintf(buf, size, "%s/sys/%s", root ? root : "/proc", dotted);

	/* A cut path would name another file, and n would point past the buffer. */
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	for (char *p = buf + n - strlen(dotted); *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

#define READ_ALL_MAX (8u << 20)

/* Read a whole file into a malloc'd, NUL-terminated buffer; -errno on failure. */
static int read_all(const char *path, char **out)
{
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	int fd, err = 0;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= READ_ALL_MAX) {
				err = -EFBIG;
				goto cleanup;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += n;
	}
	/* /proc text never holds NUL bytes: one would cut the parse short, so call it garbage. */
	if (memchr(buf, '\0', len)) {
		err = -EINVAL;
		goto cleanup;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

/*
 * A small attribute (sysctl, sysfs) in one read: their handlers hand over the whole value at
 * once, so a read that does not fill the buffer has it all. Saves the second read that finds
 * EOF, which counts with 64 interfaces. Returns the length or -errno.
 */
static ssize_t read_small_at(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	else if ((size_t)n == size - 1)
		n = -EFBIG; /* not small after all */
	else if (memchr(buf, '\0', n))
		n = -EINVAL;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

static ssize_t read_small(const char *path, char *buf, size_t size)
{
	return read_small_at(AT_FDCWD, path, buf, size);
}

void host_counters_add_error(struct host_counters *hc, const char *source, int err,
			     const char *what)
{
	struct hc_error *e;

	if (hc->n_errors >= HC_MAX_ERRORS) {
		hc->n_errors_dropped++;
		return;
	}
	e = &hc->errors[hc->n_errors++];
	snprintf(e->source, sizeof(e->source), "%s", source);
	e->err = err;
	snprintf(e->what, sizeof(e->what), "%s", what);
}

/* Read and parse one /proc/net file; errors are recorded with what the report lacks. */
static int read_net_file(struct host_counters *hc, const char *rel, const char *what,
			 bool missing_ok, int (*parse)(const char *, void *), void *arg)
{
	char path[512], label[96], *buf = NULL;
	int err;

	snprintf(label, sizeof(label), "/proc/net/%s", rel);
	err = net_path(path, sizeof(path), rel);
	if (!err)
		err = read_all(path, &buf);
	if (!err)
		err = parse(buf, arg);
	free(buf);
	if (err && !(missing_ok && err == -ENOENT))
		host_counters_add_error(hc, label, err, what);
	return err;
}

static int parse_softnet(const char *buf, void *arg)
{
	return softnet_parse(buf, arg);
}

static int parse_snmp(const char *buf, void *arg)
{
	return snmp_parse(buf, arg);
}

static int parse_snmp6(const char *buf, void *arg)
{
	return snmp6_parse(buf, arg);
}

static int parse_ct(const char *buf, void *arg)
{
	return conntrack_stat_parse(buf, arg);
}

static int read_sysctl(enum hc_sysctl s, struct hc_sysctl_val *v)
{
	char path[512], buf[256];
	ssize_t len;
	int n;

	memset(v, 0, sizeof(*v));
	len = sys_path(path, sizeof(path), sysctl_names[s]);
	if (!len)
		len = read_small(path, buf, sizeof(buf));
	if (len < 0) {
		v->err = (int)len;
		return v->err;
	}
	n = sysctl_parse_values(buf, v->v, 3);
	if (n < 0)
		v->err = n;
	else
		v->n = n;
	return v->err;
}

/* Every sysctl; the ones this kernel lacks (-ENOENT) are facts, any other failure is named in
 * one error (a long DROPSCOPE_PROC_ROOT fails them all at once). */
static void read_sysctls(struct host_counters *hc)
{
	int failed = 0, first = -1;
	char what[128];

	for (int s = 0; s < SYSCTL__COUNT; s++) {
		int err = read_sysctl(s, &hc->sysctl[s]);

		if (err && err != -ENOENT && !failed++)
			first = s;
	}
	if (failed) {
		char source[96];

		snprintf(source, sizeof(source), "sysctl %s", sysctl_names[first]);
		snprintf(what, sizeof(what),
			 "%d tuning value%s missing from the report and its fixes", failed,
			 failed > 1 ? "s" : "");
		host_counters_add_error(hc, source, hc->sysctl[first].err, what);
	}
}

static int read_u64_at(int dirfd, const char *path, uint64_t *out)
{
	char buf[64];
	ssize_t len = read_small_at(dirfd, path, buf, sizeof(buf));
	int64_t v;
	int n;

	if (len < 0)
		return (int)len;
	n = sysctl_parse_values(buf, &v, 1);
	if (n < 0)
		return n;
	if (n != 1 || v < 0)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

static int read_u64_file(const char *path, uint64_t *out)
{
	return read_u64_at(AT_FDCWD, path, out);
}

static void read_conntrack(struct host_counters *hc)
{
	char path[512];
	int err;

	err = sys_path(path, sizeof(path), "net.netfilter.nf_conntrack_count");
	if (!err)
		err = read_u64_file(path, &hc->ct_count);
	if (err == -ENOENT) {
		/* No conntrack in this kernel or namespace: not an error, just not in use. */
		hc->ct_in_use = false;
		hc->ct_err = 0;
		hc->ct_stat_err = -ENOENT;
		return;
	}
	hc->ct_in_use = true;
	hc->ct_err = err;
	if (err)
		host_counters_add_error(hc, "/proc/sys/net/netfilter/nf_conntrack_count", err,
					"conntrack table usage unknown");
	err = sys_path(path, sizeof(path), "net.netfilter.nf_conntrack_max");
	if (!err)
		err = read_u64_file(path, &hc->ct_max);
	if (err) {
		hc->ct_err = hc->ct_err ? hc->ct_err : err;
		host_counters_add_error(hc, "/proc/sys/net/netfilter/nf_conntrack_max", err,
					"conntrack table size unknown");
	}
	hc->ct_stat_err =
		read_net_file(hc, "stat/nf_conntrack", "conntrack drop statistics missing", false,
			      parse_ct, &hc->ct);
}

/* ---- netlink ---- */

#define NL_BUF_SIZE 65536

static int nl_open(int proto)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	struct timeval tv = {.tv_sec = 2};

	if (fd < 0)
		return -errno;
	/* A dump never takes seconds; do not hang forever on a broken kernel. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* NLMSG_OK without its signed/unsigned comparison, which clang -Wsign-compare rejects. */
static bool nl_msg_ok(const struct nlmsghdr *nh, int len)
{
	return len >= (int)sizeof(*nh) && nh->nlmsg_len >= sizeof(*nh) &&
	       nh->nlmsg_len <= (unsigned int)len;
}

/*
 * Send a dump request and call cb for every message of the answer. The dump ends with NLMSG_DONE;
 * NLMSG_ERROR carries the kernel's errno.
 */
static int nl_dump(int fd, void *req, size_t req_len, uint32_t seq,
		   int (*cb)(const struct nlmsghdr *nh, void *arg), void *arg)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	char *buf;
	int err = 0;

	if (sendto(fd, req, req_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	buf = malloc(NL_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct iovec iov = {buf, NL_BUF_SIZE};
		struct msghdr msg = {.msg_name = &sa,
				     .msg_namelen = sizeof(sa),
				     .msg_iov = &iov,
				     .msg_iovlen = 1};
		ssize_t n = recvmsg(fd, &msg, 0);
		struct nlmsghdr *nh;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			err = -EMSGSIZE;
			goto cleanup;
		}
		len = (int)n;
		for (nh = (struct nlmsghdr *)buf; nl_msg_ok(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				goto cleanup;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					err = -EBADMSG;
				else
					err = e->error ? e->error : 0;
				goto cleanup;
			}
			if (!err)
				err = cb(nh, arg);
			/* Keep reading to the end of the dump even after a callback failed. */
		}
		if (n == 0) {
			err = err ? err : -EBADMSG;
			goto cleanup;
		}
	}
cleanup:
	free(buf);
	return err;
}

/* Room for element n of a growing array (grown 16 at a time); 0 or -ENOMEM. */
static int grow(void *arrp, size_t n, size_t elem)
{
	void **arr = arrp;
	void *p;

	if (n % 16)
		return 0;
	p = realloc(*arr, (n + 16) * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static int add_link_cb(const struct nlmsghdr *nh, void *arg)
{
	struct host_counters *hc = arg;
	struct link_info li;
	struct hc_iface *n;

	if (nh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (link_msg_parse(nh, nh->nlmsg_len, &li))
		return 0; /* one odd message must not cost the others */
	if (grow(&hc->ifaces, hc->n_ifaces, sizeof(*hc->ifaces)))
		return -ENOMEM;
	n = &hc->ifaces[hc->n_ifaces++];
	memset(n, 0, sizeof(*n));
	n->link = li;
	n->dstats_err = n->ring_err = n->chan_err = n->queues_err = -ENODATA;
	return 0;
}

static int add_qdisc_cb(const struct nlmsghdr *nh, void *arg)
{
	struct host_counters *hc = arg;
	struct qdisc_info q;

	if (nh->nlmsg_type != RTM_NEWQDISC || qdisc_msg_parse(nh, nh->nlmsg_len, &q))
		return 0;
	if (grow(&hc->qdiscs, hc->n_qdiscs, sizeof(*hc->qdiscs)))
		return -ENOMEM;
	hc->qdiscs[hc->n_qdiscs++] = q;
	return 0;
}

/* Dump every object of one rtnetlink type. The request is the header and a zeroed family header
 * (ifinfomsg, tcmsg) whose first field, the family, is AF_UNSPEC: all of them. */
static int rtnl_dump_all(int fd, uint16_t type, size_t hdr_len, uint32_t seq,
			 int (*cb)(const struct nlmsghdr *nh, void *arg), void *arg)
{
	struct {
		struct nlmsghdr nh;
		char hdr[32];
	} req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(hdr_len);
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = seq;
	return nl_dump(fd, &req, req.nh.nlmsg_len, seq, cb, arg);
}

/* Sockets looked at per snapshot, of which HC_MAX_SOCKS are kept (the worst first). */
#define HC_SCAN_SOCKS 8192

struct sock_scan {
	uint8_t protocol;
	bool listeners;
	bool truncated; /* more sockets matched than HC_SCAN_SOCKS */
	size_t n;
	struct sock_info *s;
	int err;
};

static int add_sock_cb(const struct nlmsghdr *nh, void *arg)
{
	struct sock_scan *sc = arg;
	struct sock_info si;

	if (inet_diag_msg_parse(nh, nh->nlmsg_len, sc->protocol, &si))
		return 0;
	if (sc->listeners ? si.rqueue == 0 : !(si.has_meminfo && si.drops))
		return 0;
	if (sc->n >= HC_SCAN_SOCKS) {
		sc->truncated = true;
		return 0;
	}
	if (grow(&sc->s, sc->n, sizeof(*sc->s)))
		return -ENOMEM;
	sc->s[sc->n++] = si;
	return 0;
}

static int sock_dump(int fd, uint8_t family, uint8_t protocol, uint32_t states, uint32_t seq,
		     struct sock_scan *sc)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = seq},
		.r = {.sdiag_family = family,
		      .sdiag_protocol = protocol,
		      .idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1),
		      .idiag_states = states},
	};

	return nl_dump(fd, &req, sizeof(req), seq, add_sock_cb, sc);
}

static int cmp_drops(const void *a, const void *b)
{
	const struct sock_info *x = a, *y = b;

	return x->drops < y->drops ? 1 : x->drops > y->drops ? -1 : 0;
}

static int cmp_rqueue(const void *a, const void *b)
{
	const struct sock_info *x = a, *y = b;

	return x->rqueue < y->rqueue ? 1 : x->rqueue > y->rqueue ? -1 : 0;
}

static void read_sockets(struct host_counters *hc)
{
	struct sock_scan udp = {.protocol = IPPROTO_UDP},
			 lis = {.protocol = IPPROTO_TCP, .listeners = true};
	int fd = nl_open(NETLINK_SOCK_DIAG), err = 0, e;

	if (fd < 0) {
		hc->sock_err = fd;
		hc->udp_truncated = true;
		host_counters_add_error(hc, "sock_diag", fd,
					"per-socket drops and listen queues missing");
		return;
	}
	for (int i = 0; i < 2; i++) {
		uint8_t fam = i ? AF_INET6 : AF_INET;

		e = sock_dump(fd, fam, IPPROTO_UDP, ~0u, 10 + i, &udp);
		/* Without udp_diag the kernel says ENOENT: only the UDP socket detail is missing.
		 */
		if (e && e != -ENOENT && !err)
			err = e;
		e = sock_dump(fd, fam, IPPROTO_TCP, 1u << 10 /* TCP_LISTEN */, 20 + i, &lis);
		if (e && !err)
			err = e;
	}
	close(fd);
	/* qsort's arrays must not be NULL, even for no elements. */
	if (udp.n > 1)
		qsort(udp.s, udp.n, sizeof(*udp.s), cmp_drops);
	if (lis.n > 1)
		qsort(lis.s, lis.n, sizeof(*lis.s), cmp_rqueue);
	hc->udp = udp.s;
	hc->n_udp = udp.n < HC_MAX_SOCKS ? udp.n : HC_MAX_SOCKS;
	hc->listen = lis.s;
	hc->n_listen = lis.n < HC_MAX_SOCKS ? lis.n : HC_MAX_SOCKS;
	hc->sock_err = err;
	/* Without the whole list a socket missing from it may still have dropped: the deltas
	 * must not count such a socket from zero. */
	hc->udp_truncated = udp.truncated || udp.n > HC_MAX_SOCKS || err;
	if (err)
		host_counters_add_error(hc, "sock_diag", err,
					"per-socket drops and listen queues incomplete");
}

/* ---- ethtool ---- */

static int ethtool_ioctl(int fd, const char *ifname, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

#define HC_MAX_DSTATS 16384

static int read_dstats(int fd, struct hc_iface *ifc)
{
	union {
		struct ethtool_sset_info hdr;
		char buf[sizeof(struct ethtool_sset_info) + sizeof(uint32_t)];
	} sset;
	struct ethtool_gstrings *strs = NULL;
	struct ethtool_stats *st = NULL;
	uint32_t count, slack;
	int err;

	memset(&sset, 0, sizeof(sset));
	sset.hdr.cmd = ETHTOOL_GSSET_INFO;
	sset.hdr.sset_mask = 1ULL << ETH_SS_STATS;
	err = ethtool_ioctl(fd, ifc->link.name, &sset);
	if (err)
		return err;
	if (!(sset.hdr.sset_mask & (1ULL << ETH_SS_STATS)))
		return -EOPNOTSUPP;
	memcpy(&count, sset.buf + sizeof(struct ethtool_sset_info), sizeof(count));
	if (count == 0)
		return -EOPNOTSUPP;
	if (count > HC_MAX_DSTATS)
		return -E2BIG;
	/* The kernel writes as many values as the driver has now, trusting the count we asked
	 * for; leave room in case it grew since (channels reconfigured between the calls). */
	slack = count + 256;
	strs = calloc(1, sizeof(*strs) + (size_t)slack * ETH_GSTRING_LEN);
	st = calloc(1, sizeof(*st) + (size_t)slack * sizeof(uint64_t));
	if (!strs || !st) {
		err = -ENOMEM;
		goto cleanup;
	}
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_STATS;
	strs->len = count;
	err = ethtool_ioctl(fd, ifc->link.name, strs);
	if (err)
		goto cleanup;
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = count;
	err = ethtool_ioctl(fd, ifc->link.name, st);
	if (err)
		goto cleanup;
	if (strs->len != count || st->n_stats != count) {
		err = -EAGAIN; /* the set changed under us: better none than misnamed values */
		goto cleanup;
	}
	ifc->dstats = calloc(count, sizeof(*ifc->dstats));
	if (!ifc->dstats) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (uint32_t i = 0; i < count; i++) {
		const char *s = (const char *)strs->data + (size_t)i * ETH_GSTRING_LEN;
		size_t n = strnlen(s, ETH_GSTRING_LEN);

		if (n >= sizeof(ifc->dstats[i].name))
			n = sizeof(ifc->dstats[i].name) - 1;
		memcpy(ifc->dstats[i].name, s, n);
		ifc->dstats[i].name[n] = '\0';
		ifc->dstats[i].value = st->data[i];
	}
	ifc->n_dstats = count;
cleanup:
	free(strs);
	free(st);
	return err;
}

static void read_ethtool(struct host_counters *hc, int fd, struct hc_iface *ifc)
{
	struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};
	struct ethtool_ringparam rp = {.cmd = ETHTOOL_GRINGPARAM};
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	char label[64];

	if (!ethtool_ioctl(fd, ifc->link.name, &di)) {
		size_t n = strnlen(di.driver, sizeof(di.driver));

		if (n >= sizeof(ifc->driver))
			n = sizeof(ifc->driver) - 1;
		memcpy(ifc->driver, di.driver, n);
		ifc->driver[n] = '\0';
	}
	ifc->dstats_err = read_dstats(fd, ifc);
	ifc->ring_err = ethtool_ioctl(fd, ifc->link.name, &rp);
	if (!ifc->ring_err) {
		ifc->rx_ring = rp.rx_pending;
		ifc->rx_ring_max = rp.rx_max_pending;
		ifc->tx_ring = rp.tx_pending;
		ifc->tx_ring_max = rp.tx_max_pending;
	}
	ifc->chan_err = ethtool_ioctl(fd, ifc->link.name, &ch);
	if (!ifc->chan_err) {
		ifc->rx_ch = ch.rx_count;
		ifc->tx_ch = ch.tx_count;
		ifc->combined_ch = ch.combined_count;
		ifc->rx_ch_max = ch.max_rx;
		ifc->tx_ch_max = ch.max_tx;
		ifc->combined_ch_max = ch.max_combined;
	}
	/* Drivers without statistics say EOPNOTSUPP; a device gone meanwhile says ENODEV. Those
	 * are facts about the device, not failures of ours. */
	if (ifc->dstats_err && ifc->dstats_err != -EOPNOTSUPP && ifc->dstats_err != -ENODEV &&
	    ifc->dstats_err != -EINVAL) {
		snprintf(label, sizeof(label), "ethtool -S %s", ifc->link.name);
		host_counters_add_error(hc, label, ifc->dstats_err, "driver statistics missing");
	}
}

/* ---- sysfs queues ---- */

/* A sysfs value without its newline, malloc'd; NULL (and *err) if unreadable. */
static char *read_trimmed_at(int dirfd, const char *path, int *err)
{
	char buf[1024];
	ssize_t n = read_small_at(dirfd, path, buf, sizeof(buf));
	char *dup;

	if (n < 0) {
		*err = (int)n;
		return NULL;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	dup = strdup(buf);
	*err = dup ? 0 : -ENOMEM;
	return dup;
}

/* Queue directories are rx-N / tx-N; returns N or -1. */
static long queue_num(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);
	char *end;
	long v;

	if (strncmp(name, prefix, pl) || !name[pl])
		return -1;
	v = strtol(name + pl, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -1;
	return v;
}

/*
 * Whether sysfs failed to show an interface because it is gone (removed or renamed since the
 * netlink dump: -ENODEV) or because sysfs belongs to another namespace (-EXDEV): ask this
 * thread's namespace whether the name still has the index.
 */
static int missing_why(const struct hc_iface *ifc)
{
	return if_nametoindex(ifc->link.name) == (unsigned)ifc->link.ifindex ? -EXDEV : -ENODEV;
}

/*
 * The interface's sysfs directory, relative to /sys/class/net (netfd), if it is this
 * namespace's interface: sysfs may show another namespace's, so its ifindex must match. Paths
 * are walked from directory descriptors: with 64 interfaces, walking /sys/class/net/IF/... from
 * the root for every file was half the cost of a snapshot. -EXDEV for a foreign directory,
 * -ENODEV for an interface that went away after the netlink dump.
 */
static int iface_dir(int netfd, const struct hc_iface *ifc)
{
	const char *name = ifc->link.name;
	uint64_t idx;
	int fd, err;

	/* A name from the kernel never holds '/', nor is "." or ".."; check anyway. */
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	fd = openat(netfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? missing_why(ifc) : -errno;
	err = read_u64_at(fd, "ifindex", &idx);
	if (err || idx != (uint64_t)ifc->link.ifindex) {
		close(fd);
		return missing_why(ifc);
	}
	return fd;
}

static int read_queues(int ifd, struct hc_iface *ifc)
{
	char path[64];
	struct dirent *de;
	size_t nrx = 0, ntx = 0;
	int qfd, err = 0;
	DIR *d;

	qfd = openat(ifd, "queues", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (qfd < 0)
		return -errno;
	d = fdopendir(qfd);
	if (!d) {
		err = -errno;
		close(qfd);
		return err;
	}
	/* Count first: the directory holds the real (active) queues. */
	while ((de = readdir(d))) {
		long q;

		if ((q = queue_num(de->d_name, "rx-")) >= 0 && (size_t)q + 1 > nrx)
			nrx = q + 1;
		if ((q = queue_num(de->d_name, "tx-")) >= 0 && (size_t)q + 1 > ntx)
			ntx = q + 1;
	}
	ifc->rxq = nrx ? calloc(nrx, sizeof(*ifc->rxq)) : NULL;
	ifc->txq = ntx ? calloc(ntx, sizeof(*ifc->txq)) : NULL;
	if ((nrx && !ifc->rxq) || (ntx && !ifc->txq)) {
		err = -ENOMEM;
		goto cleanup;
	}
	ifc->n_rxq = nrx;
	ifc->n_txq = ntx;
	for (size_t q = 0; q < nrx; q++) {
		uint64_t cnt = 0;
		int e;

		snprintf(path, sizeof(path), "rx-%zu/rps_cpus", q);
		ifc->rxq[q].cpus = read_trimmed_at(qfd, path, &e);
		snprintf(path, sizeof(path), "rx-%zu/rps_flow_cnt", q);
		if (!read_u64_at(qfd, path, &cnt) && cnt <= UINT32_MAX)
			ifc->rxq[q].rps_flow_cnt = (uint32_t)cnt;
	}
	for (size_t q = 0; q < ntx; q++) {
		int e;

		snprintf(path, sizeof(path), "tx-%zu/xps_cpus", q);
		/* Single-queue devices have no XPS map: NULL says "not set". */
		ifc->txq[q].cpus = read_trimmed_at(qfd, path, &e);
	}
cleanup:
	closedir(d);
	return err;
}

/* Show this thread's namespace in /sys: a private mount namespace with sysfs mounted afresh.
 * Only for a thread that ends right after; the process's own mounts are not touched. */
static int remount_sysfs(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	/* Slave first, so that nothing mounted here propagates back to the host. */
	if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL))
		return -errno;
	if (mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	return 0;
}

/* Returns how many interfaces sysfs showed from another namespace. */
static size_t read_all_queues(struct host_counters *hc)
{
	char label[64];
	size_t foreign = 0;
	int netfd = open("/sys/class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (netfd < 0) {
		int err = -errno;

		for (size_t i = 0; i < hc->n_ifaces; i++)
			hc->ifaces[i].queues_err = err;
		host_counters_add_error(hc, "/sys/class/net", err, "RPS/XPS settings missing");
		return 0;
	}
	for (size_t i = 0; i < hc->n_ifaces; i++) {
		struct hc_iface *ifc = &hc->ifaces[i];
		int ifd = iface_dir(netfd, ifc);

		if (ifd == -EXDEV)
			foreign++;
		/* -ENODEV: gone since the dump; nothing to read and nothing failed. */
		if (ifd < 0) {
			ifc->queues_err = ifd;
			continue;
		}
		ifc->queues_err = read_queues(ifd, ifc);
		close(ifd);
		if (ifc->queues_err && ifc->queues_err != -ENOENT) {
			snprintf(label, sizeof(label), "/sys/class/net/%s/queues", ifc->link.name);
			host_counters_add_error(hc, label, ifc->queues_err,
						"RPS/XPS settings missing");
		}
	}
	close(netfd);
	return foreign;
}

static void free_queues(struct hc_iface *ifc)
{
	for (size_t q = 0; q < ifc->n_rxq; q++)
		free(ifc->rxq[q].cpus);
	for (size_t q = 0; q < ifc->n_txq; q++)
		free(ifc->txq[q].cpus);
	free(ifc->rxq);
	free(ifc->txq);
	ifc->rxq = ifc->txq = NULL;
	ifc->n_rxq = ifc->n_txq = 0;
}

/* ---- one snapshot, inside the namespace ---- */

static void read_proc(struct host_counters *hc)
{
	hc->softnet_err =
		read_net_file(hc, "softnet_stat", "per-CPU backlog drops and squeezes missing",
			      false, parse_softnet, &hc->softnet);
	hc->snmp_err = read_net_file(hc, "snmp", "IP, TCP and UDP counters missing", false,
				     parse_snmp, &hc->snmp);
	hc->netstat_err = read_net_file(
		hc, "netstat", "TCP extended counters (listen overflows, backlog drops) missing",
		false, parse_snmp, &hc->snmp);
	/* No snmp6 without IPv6: nothing to report then. */
	hc->snmp6_err =
		read_net_file(hc, "snmp6", "IPv6 counters missing", true, parse_snmp6, &hc->snmp);
	read_conntrack(hc);
	read_sysctls(hc);
}

static int cmp_ifindex(const void *a, const void *b)
{
	const struct hc_iface *x = a, *y = b;

	return x->link.ifindex - y->link.ifindex;
}

static void read_net(struct host_counters *hc)
{
	int fd, sfd;

	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0) {
		hc->links_err = hc->qdisc_err = fd;
		host_counters_add_error(hc, "rtnetlink", fd,
					"interface and qdisc statistics missing");
	} else {
		hc->links_err = rtnl_dump_all(fd, RTM_GETLINK, sizeof(struct ifinfomsg), 1,
					      add_link_cb, hc);
		if (hc->links_err)
			host_counters_add_error(hc, "rtnetlink links", hc->links_err,
						"interface statistics missing or incomplete");
		hc->qdisc_err =
			rtnl_dump_all(fd, RTM_GETQDISC, sizeof(struct tcmsg), 2, add_qdisc_cb, hc);
		if (hc->qdisc_err)
			host_counters_add_error(hc, "rtnetlink qdiscs", hc->qdisc_err,
						"qdisc statistics missing or incomplete");
		close(fd);
	}
	if (hc->n_ifaces > 1)
		qsort(hc->ifaces, hc->n_ifaces, sizeof(*hc->ifaces), cmp_ifindex);
	/* The ethtool socket's namespace is the one the ioctl looks the name up in. */
	sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sfd < 0)
		sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sfd < 0) {
		host_counters_add_error(hc, "ethtool", -errno,
					"driver statistics and ring sizes missing");
	} else {
		for (size_t i = 0; i < hc->n_ifaces; i++)
			read_ethtool(hc, sfd, &hc->ifaces[i]);
		close(sfd);
	}
	read_sockets(hc);
}

struct reader {
	const struct netns_ref *ns; /* NULL: stay in the caller's namespace, only remount sysfs */
	struct host_counters *hc;
	int err;
};

/* Runs in its own thread: enters the namespace, reads, and ends (taking any private mount
 * namespace with it). */
static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	sigset_t all;
	int saved = -1, err;

	/* Signals go to the caller's threads; ours would only see EINTR. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (r->ns) {
		r->err = netns_enter(r->ns, &saved);
		if (r->err)
			return NULL;
		read_proc(r->hc);
		read_net(r->hc);
	}
	err = remount_sysfs();
	if (err) {
		for (size_t i = 0; i < r->hc->n_ifaces; i++)
			r->hc->ifaces[i].queues_err = err;
		host_counters_add_error(
			r->hc, "sysfs", err,
			"RPS/XPS settings of this namespace unavailable (needs CAP_SYS_ADMIN to "
			"mount "
			"sysfs privately)");
	} else if (read_all_queues(r->hc)) {
		host_counters_add_error(
			r->hc, "sysfs", -EXDEV,
			"RPS/XPS settings unavailable: sysfs does not match the namespace");
	}
	if (saved >= 0)
		close(saved); /* the thread ends in the namespace; no need to go back */
	return NULL;
}

static int run_reader(struct reader *r)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, reader_thread, r);

	if (err)
		return -err;
	pthread_join(t, NULL);
	return r->err;
}

int host_counters_read(const struct netns_ref *ns, struct host_counters **out)
{
	struct host_counters *hc;
	bool self;
	long ncpu;
	int err = 0;

	*out = NULL;
	if (ns && ns->all)
		return -EINVAL;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return -ENOMEM;
	self = !ns || ns->fd < 0 || ns->inode == netns_self_inode();
	snprintf(hc->netns, sizeof(hc->netns), "%s", ns ? ns->name : "self");
	hc->netns_self = self;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	hc->ncpus = ncpu > 0 ? (int)ncpu : 1;
	hc->t = mono_now();

	if (self) {
		read_proc(hc);
		read_net(hc);
		/* Our own /sys may still belong to another namespace (nsenter --net without a new
		 * mount namespace): then mount it privately, as for any other namespace. */
		if (read_all_queues(hc)) {
			struct reader r = {.hc = hc};

			for (size_t i = 0; i < hc->n_ifaces; i++)
				free_queues(&hc->ifaces[i]);
			hc->entered = true;
			run_reader(&r);
		}
	} else {
		struct reader r = {.ns = ns, .hc = hc};

		hc->entered = true;
		err = run_reader(&r);
		if (err)
			goto cleanup;
		/* Knobs a namespace does not show are global: read them here, in our own. */
		for (int s = 0; s < SYSCTL__COUNT; s++) {
			if (hc->sysctl[s].err != -ENOENT || proc_root())
				continue;
			if (!read_sysctl(s, &hc->sysctl[s]))
				hc->sysctl[s].from_host = true;
		}
	}
	err = 0;
	*out = hc;
	hc = NULL;
cleanup:
	host_counters_free(hc);
	return err;
}

static void free_iface(struct hc_iface *ifc)
{
	free(ifc->dstats);
	free_queues(ifc);
}

void host_counters_free(struct host_counters *hc)
{
	if (!hc)
		return;
	softnet_free(&hc->softnet);
	for (size_t i = 0; i < hc->n_ifaces; i++)
		free_iface(&hc->ifaces[i]);
	free(hc->ifaces);
	free(hc->qdiscs);
	free(hc->udp);
	free(hc->listen);
	free(hc);
}

static void *dup_mem(const void *p, size_t n, bool *fail)
{
	void *c;

	if (!p || !n)
		return NULL;
	c = malloc(n);
	if (!c)
		*fail = true;
	else
		memcpy(c, p, n);
	return c;
}

static struct hc_queue *dup_queues(const struct hc_queue *q, size_t n, bool *fail)
{
	struct hc_queue *c = dup_mem(q, n * sizeof(*q), fail);

	for (size_t i = 0; c && i < n; i++) {
		c[i].cpus = q[i].cpus ? strdup(q[i].cpus) : NULL;
		if (q[i].cpus && !c[i].cpus)
			*fail = true;
	}
	return c;
}

struct host_counters *host_counters_dup(const struct host_counters *hc)
{
	struct host_counters *c = malloc(sizeof(*c));
	bool fail = false;

	if (!c)
		return NULL;
	*c = *hc;
	c->softnet.cpus =
		dup_mem(hc->softnet.cpus, hc->softnet.n * sizeof(*hc->softnet.cpus), &fail);
	c->qdiscs = dup_mem(hc->qdiscs, hc->n_qdiscs * sizeof(*hc->qdiscs), &fail);
	c->udp = dup_mem(hc->udp, hc->n_udp * sizeof(*hc->udp), &fail);
	c->listen = dup_mem(hc->listen, hc->n_listen * sizeof(*hc->listen), &fail);
	c->ifaces = calloc(hc->n_ifaces ? hc->n_ifaces : 1, sizeof(*c->ifaces));
	if (!c->ifaces) {
		c->n_ifaces = 0;
		fail = true;
	}
	for (size_t i = 0; c->ifaces && i < hc->n_ifaces; i++) {
		const struct hc_iface *s = &hc->ifaces[i];
		struct hc_iface *d = &c->ifaces[i];

		*d = *s;
		d->dstats = dup_mem(s->dstats, s->n_dstats * sizeof(*s->dstats), &fail);
		d->rxq = dup_queues(s->rxq, s->n_rxq, &fail);
		d->txq = dup_queues(s->txq, s->n_txq, &fail);
		if (!d->rxq)
			d->n_rxq = 0;
		if (!d->txq)
			d->n_txq = 0;
	}
	if (fail) {
		host_counters_free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

const struct hc_iface *host_counters_iface(const struct host_counters *hc, const char *ifname)
{
	for (size_t i = 0; hc && ifname && i < hc->n_ifaces; i++)
		if (!strcmp(hc->ifaces[i].link.name, ifname))
			return &hc->ifaces[i];
	return NULL;
}

const struct hc_iface *host_counters_busiest(const struct host_counters *now)
{
	const struct hc_iface *best = NULL;

	for (size_t i = 0; i < now->n_ifaces; i++) {
		const struct hc_iface *ifc = &now->ifaces[i];

		if (ifc->link.flags & IFF_LOOPBACK)
			continue;
		if (!best || ifc->link.stats[LS_RX_PACKETS] > best->link.stats[LS_RX_PACKETS])
			best = ifc;
	}
	return best;
}

bool hc_iface_rps_on(const struct hc_iface *ifc)
{
	if (ifc->queues_err || !ifc->n_rxq)
		return false;
	for (size_t q = 0; q < ifc->n_rxq; q++)
		if (!ifc->rxq[q].cpus || !cpu_mask_nonzero(ifc->rxq[q].cpus))
			return false;
	return true;
}

bool host_counters_failed(const struct host_counters *hc)
{
	return hc->n_errors > 0;
}

void host_counters_print_errors(const struct host_counters *hc, FILE *f)
{
	for (size_t i = 0; i < hc->n_errors; i++) {
		const struct hc_error *e = &hc->errors[i];
		const char *hint = e->err == -EACCES || e->err == -EPERM ? "; run as root" : "";

		fprintf(f, "dropscope: failed to read %s: %s; %s%s\n", e->source, strerror(-e->err),
			e->what, hint);
	}
	if (hc->n_errors_dropped)
		fprintf(f, "dropscope: ... and %zu more sources could not be read\n",
			hc->n_errors_dropped);
}

size_t host_counters_size(const struct host_counters *hc)
{
	size_t n = sizeof(*hc) + hc->softnet.n * sizeof(*hc->softnet.cpus) +
		   hc->n_qdiscs * sizeof(*hc->qdiscs) +
		   (hc->n_udp + hc->n_listen) * sizeof(*hc->udp);

	for (size_t i = 0; i < hc->n_ifaces; i++) {
		const struct hc_iface *ifc = &hc->ifaces[i];

		n += sizeof(*ifc) + ifc->n_dstats * sizeof(*ifc->dstats) +
		     (ifc->n_rxq + ifc->n_txq) * (sizeof(struct hc_queue) + 16);
	}
	return n;
}
