// SPDX-License-Identifier: GPL-2.0
/* Every shell command dropscope prints, with one quoting rule. See fix_cmd.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/pkt_sched.h>

#include "fix_cmd.h"
#include "util.h"

#define MIB (1024 * 1024)

/*
 * Fix lines are pasted into a root shell, and interface and namespace names are not ours: an
 * interface may be called `v$(reboot)` or `it's`. Every name goes into a command through q()
 * (one shell word, single-quoted when it is not plain), a name inside a `sh -c` body is quoted
 * once for the body and the body again for the outer shell, and a name that cannot be written
 * safely into a udev rule gets a comment instead of the rule.
 */
#define FIX_QSLOTS 4

struct fixbuf {
	char (*out)[FINDING_FIX_LEN];
	int n, max;
	/* Quoted words for the next fx() call (at most FIX_QSLOTS of them); fx() recycles them. */
	char qs[FIX_QSLOTS][FINDING_FIX_LEN];
	int qi;
	bool toolong; /* a word did not fit its slot: the next line is left out */
};

/* Whether s is non-empty and made only of letters, digits and the characters in extra. */
static bool only_chars(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

/* Characters a shell takes literally (and that need no quoting in a word). */
#define SH_PLAIN "_.@:/,=+%-"
/* Characters a udev rule's match (and a file name) can hold as they are. */
#define UDEV_SAFE "_.@:-"

int fix_shell_word(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return -EINVAL;

	if (only_chars(s, SH_PLAIN)) {
		if (strlen(s) >= size)
			return -ENOSPC;
		strcpy(buf, s);
		return 0;
	}
	if (size < 3)
		return -ENOSPC;
	buf[n++] = '\'';
	for (; *s; s++) {
		const char *piece = *s == '\'' ? "'\\''" : NULL;
		size_t len = piece ? 4 : 1;

		if (n + len + 2 > size)
			return -ENOSPC;
		if (piece)
			memcpy(buf + n, piece, len);
		else
			buf[n] = *s;
		n += len;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return 0;
}

/* s quoted as one shell word, valid until the next fx(). */
static const char *q(struct fixbuf *fb, const char *s)
{
	char *b;

	if (fb->qi >= FIX_QSLOTS) { /* a line with more words than slots: a bug, never cut */
		fb->toolong = true;
		return "";
	}
	b = fb->qs[fb->qi++];
	if (fix_shell_word(s, b, FINDING_FIX_LEN)) {
		fb->toolong = true;
		b[0] = '\0';
	}
	return b;
}

/* name for a file name: what is not UDEV_SAFE becomes '_'. */
static void file_part(const char *name, char *buf, size_t size)
{
	size_t n = 0;

	for (; *name && n + 1 < size; name++) {
		char one[2] = {*name, '\0'};

		buf[n++] = only_chars(one, UDEV_SAFE) ? *name : '_';
	}
	buf[n] = '\0';
}

static void __attribute__((format(printf, 2, 3))) fx(struct fixbuf *fb, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int len;

	if (fb->n >= fb->max) {
		fb->toolong = false;
		fb->qi = 0;
		return;
	}
	line = fb->out[fb->n];
	va_start(ap, fmt);
	len = vsnprintf(line, FINDING_FIX_LEN, fmt, ap);
	va_end(ap);
	/* A cut command is worse than none: never print one. */
	if (len < 0 || len >= FINDING_FIX_LEN || fb->toolong)
		snprintf(line, FINDING_FIX_LEN, "# (a command too long to print was left out)");
	/* One line each, even if a name (inside quotes, or in a comment) held a newline. */
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fb->n++;
	fb->toolong = false;
	fb->qi = 0;
}

enum ns_kind { NS_SELF, NS_NAMED, NS_PATH };

static enum ns_kind ns_kind_of(const char *netns, bool self)
{
	if (self)
		return NS_SELF;
	return strchr(netns, '/') ? NS_PATH : NS_NAMED;
}

static enum ns_kind ns_kind(const struct host_counters *now)
{
	return ns_kind_of(now->netns, now->netns_self);
}

/* The prefix that runs a command in namespace netns ("" for our own), valid until the next
 * fx(): `ip netns exec NAME ` or `nsenter --net=PATH `. */
static const char *ns_pre_of(struct fixbuf *fb, const char *netns, bool self)
{
	size_t n;
	char *b;

	if (ns_kind_of(netns, self) == NS_SELF)
		return "";
	if (fb->qi >= FIX_QSLOTS) {
		fb->toolong = true;
		return "";
	}
	b = fb->qs[fb->qi++];
	n = (size_t)snprintf(b, FINDING_FIX_LEN, "%s",
			     ns_kind_of(netns, self) == NS_NAMED ? "ip netns exec " : "nsenter --net=");
	if (fix_shell_word(netns, b + n, FINDING_FIX_LEN - n - 1)) {
		fb->toolong = true;
		return "";
	}
	strcat(b, " ");
	return b;
}

/* The same for the report's namespace. */
static const char *ns_pre(struct fixbuf *fb, const struct host_counters *now)
{
	return ns_pre_of(fb, now->netns, now->netns_self);
}

/* A shell command that writes under /sys/class/net in the report's namespace: sysfs must be
 * mounted from inside it (ip netns exec does that; nsenter needs a mount namespace of its own).
 * The body's own words are quoted already; the body is quoted again for `sh -c`. */
static void fx_sysfs(struct fixbuf *fb, const struct host_counters *now, const char *body)
{
	char inner[FINDING_FIX_LEN];

	switch (ns_kind(now)) {
	case NS_SELF:
		fx(fb, "%s", body);
		break;
	case NS_NAMED:
		fx(fb, "%ssh -c %s", ns_pre(fb, now), q(fb, body));
		break;
	case NS_PATH:
		snprintf(inner, sizeof(inner), "mount -t sysfs sysfs /sys && %s", body);
		fx(fb, "nsenter --net=%s unshare -m sh -c %s", q(fb, now->netns), q(fb, inner));
		break;
	}
}

/* Knobs that exist once per host: /etc/sysctl.d is right for them whatever the namespace. */
static bool sysctl_global(const struct host_counters *now, enum hc_sysctl s)
{
	switch (s) {
	case SYSCTL_NETDEV_MAX_BACKLOG:
	case SYSCTL_NETDEV_BUDGET:
	case SYSCTL_NETDEV_BUDGET_USECS:
	case SYSCTL_RPS_SOCK_FLOW_ENTRIES:
	case SYSCTL_FLOW_LIMIT_TABLE_LEN:
	case SYSCTL_TCP_MEM:
	case SYSCTL_UDP_MEM:
	case SYSCTL_NF_CONNTRACK_MAX:
	case SYSCTL_NF_CONNTRACK_BUCKETS:
		return true;
	default:
		return now->netns_self || now->sysctl[s].from_host;
	}
}

struct kv {
	enum hc_sysctl s;
	char val[64];
};

/*
 * Sysctl settings as commands that persist: a file in /etc/sysctl.d applied at once for the
 * host's knobs; for a namespace's own knobs, sysctl -w inside it and a word on where to make it
 * stick (sysctl.d is applied to the initial namespace only).
 */
static void fx_sysctls(struct fixbuf *fb, const struct host_counters *now, const char *tag,
		       const struct kv *kv, int n)
{
	char file[128], content[FINDING_FIX_LEN / 2], local[FINDING_FIX_LEN / 2];
	size_t cl = 0, ll = 0;

	content[0] = local[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *name = hc_sysctl_name(kv[i].s);
		bool quote = strchr(kv[i].val, ' ') != NULL;

		/* cl and ll stay below the sizes (clamped below), so the sizes left are > 0. */
		if (sysctl_global(now, kv[i].s))
			cl += snprintf(content + cl, sizeof(content) - cl, "%s = %s\\n", name,
				       kv[i].val);
		else
			ll += snprintf(local + ll, sizeof(local) - ll, " %s=%s%s%s", name,
				       quote ? "'" : "", kv[i].val, quote ? "'" : "");
		if (cl >= sizeof(content))
			cl = sizeof(content) - 1;
		if (ll >= sizeof(local))
			ll = sizeof(local) - 1;
	}
	snprintf(file, sizeof(file), "/etc/sysctl.d/90-dropscope-%s.conf", tag);
	if (cl)
		fx(fb, "printf '%s' > %s && sysctl -p %s", content, file, file);
	if (ll) {
		fx(fb, "%ssysctl -w%s", ns_pre(fb, now), local);
		fx(fb,
		   "# /etc/sysctl.d reaches only the initial namespace: set these where this "
		   "namespace is made (docker run --sysctl, a pod's securityContext.sysctls, or "
		   "its setup script)");
	}
}

static int64_t sysctl_v(const struct host_counters *now, enum hc_sysctl s, int i, int64_t dflt)
{
	const struct hc_sysctl_val *v = &now->sysctl[s];

	return !v->err && i < v->n ? v->v[i] : dflt;
}

/* Double the current value, at least floor, at most cap (but never below the current one). */
static int64_t raise_to(int64_t cur, int64_t floor, int64_t cap)
{
	int64_t v = cur > 0 ? cur * 2 : floor;

	if (v < floor)
		v = floor;
	if (v > cap)
		v = cap > cur ? cap : cur;
	return v;
}

static void kv_set(struct kv *kv, enum hc_sysctl s, int64_t v)
{
	kv->s = s;
	snprintf(kv->val, sizeof(kv->val), "%lld", (long long)v);
}

/* The interface fixes default to: the busiest non-loopback interface by packets received. */
static const struct hc_iface *fix_iface(const struct host_counters *now, const char *ifname)
{
	return ifname ? host_counters_iface(now, ifname) : host_counters_busiest(now);
}

static bool has_mac(const struct hc_iface *ifc)
{
	return ifc->link.addr_len == 6;
}

static void mac_str(const struct hc_iface *ifc, char *buf, size_t size)
{
	const uint8_t *a = ifc->link.addr;

	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* A udev rule that re-applies a setting whenever the interface appears (boot, driver reload):
 * the rule is one quoted word for echo, and the interface's name goes into it only when udev
 * and the shell both take it as it is. */
static void fx_udev_iface(struct fixbuf *fb, const struct host_counters *now,
			  const struct hc_iface *ifc, const char *what, const char *action)
{
	char match[96], rule[FINDING_FIX_LEN], file[DS_IFNAMSIZ];

	if (!now->netns_self) {
		fx(fb, "# interfaces in a namespace are recreated by whatever makes the namespace: "
		       "add the command above to its setup");
		return;
	}
	if (has_mac(ifc)) {
		char mac[24];

		mac_str(ifc, mac, sizeof(mac));
		snprintf(match, sizeof(match), "ATTR{address}==\"%s\"", mac);
	} else if (only_chars(ifc->link.name, UDEV_SAFE)) {
		snprintf(match, sizeof(match), "KERNEL==\"%s\"", ifc->link.name);
	} else {
		fx(fb,
		   "# the interface's name has characters a udev rule cannot match as they are: "
		   "re-apply the command above from the script that sets the interface up");
		return;
	}
	snprintf(rule, sizeof(rule), "ACTION==\"add\", SUBSYSTEM==\"net\", %s, %s", match, action);
	file_part(ifc->link.name, file, sizeof(file));
	fx(fb, "echo %s > /etc/udev/rules.d/60-dropscope-%s-%s.rules", q(fb, rule), what, file);
}

/* RPS spreads one queue's packets over the CPUs; RFS steers them to the consuming CPU. */
static void fx_rps(struct fixbuf *fb, const struct host_counters *now, const struct hc_iface *ifc)
{
	char mask[320], body[FINDING_FIX_LEN];
	int64_t entries;
	size_t nq;
	uint64_t per_q;

	if (!ifc) {
		fx(fb, "# no interface to spread: RPS/RFS are set per interface under "
		       "/sys/class/net/IF/queues/rx-N/rps_cpus");
		return;
	}
	if (now->ncpus < 2) {
		fx(fb,
		   "# one CPU online: RPS has nowhere to spread packets; the host needs more CPU "
		   "for its packet rate");
		return;
	}
	if (cpu_mask_hex(now->ncpus, mask, sizeof(mask)))
		return;
	nq = ifc->n_rxq ? ifc->n_rxq : (ifc->link.num_rx_queues ? ifc->link.num_rx_queues : 1);
	if (hc_iface_rps_on(ifc))
		fx(fb,
		   "# RPS is already on for %s (rps_cpus %s); RFS below steers flows to the CPU "
		   "that reads them",
		   ifc->link.name, ifc->rxq[0].cpus);
	else
		fx(fb,
		   "# spread %s's receive work over all %d CPUs with RPS, and steer each flow to "
		   "its reader with RFS:",
		   ifc->link.name, now->ncpus);
	if (!hc_iface_rps_on(ifc)) {
		snprintf(body, sizeof(body),
			 "for q in /sys/class/net/%s/queues/rx-*; do echo %s > $q/rps_cpus; done",
			 q(fb, ifc->link.name), mask);
		fx_sysfs(fb, now, body);
	}
	entries = sysctl_v(now, SYSCTL_RPS_SOCK_FLOW_ENTRIES, 0, 0);
	if (entries < 32768)
		entries = 32768;
	per_q = (uint64_t)entries / nq;
	{
		struct kv kv;

		kv_set(&kv, SYSCTL_RPS_SOCK_FLOW_ENTRIES, entries);
		fx_sysctls(fb, now, "rfs", &kv, 1);
	}
	snprintf(body, sizeof(body),
		 "for q in /sys/class/net/%s/queues/rx-*; do echo %llu > $q/rps_flow_cnt; done",
		 q(fb, ifc->link.name), (unsigned long long)per_q);
	fx_sysfs(fb, now, body);
	if (now->netns_self && only_chars(ifc->link.name, UDEV_SAFE)) {
		snprintf(body, sizeof(body),
			 "ACTION==\"add\", SUBSYSTEM==\"queues\", KERNEL==\"rx-*\", "
			 "DEVPATH==\"*/net/%s/queues/*\", ATTR{rps_cpus}=\"%s\", "
			 "ATTR{rps_flow_cnt}=\"%llu\"",
			 ifc->link.name, mask, (unsigned long long)per_q);
		fx(fb, "echo %s > /etc/udev/rules.d/60-dropscope-rps-%s.rules", q(fb, body),
		   ifc->link.name);
	} else if (now->netns_self) {
		fx(fb,
		   "# the interface's name has characters a udev rule cannot match as they are: "
		   "re-apply the commands above from the script that sets the interface up");
	}
	if (now->netns_self) {
		fx(fb,
		   "# on a NUMA host prefer the NIC's own CPUs: cat /sys/class/net/%s/device/"
		   "local_cpus",
		   ifc->link.name);
	} else {
		fx(fb,
		   "# add these to the setup of the namespace: they are lost with its interfaces");
	}
}

/* ---- fixes per finding ---- */

static void fix_ring(struct fixbuf *fb, const struct host_counters *now, const struct hc_iface *ifc)
{
	char action[160];

	if (!ifc) {
		fx(fb,
		   "# interface not found: ethtool -g IF shows its ring sizes, ethtool -G IF rx "
		   "MAX raises them");
		return;
	}
	if (ifc->ring_err) {
		fx(fb,
		   "# %s's driver does not report ring sizes (ethtool -g %s): see its "
		   "documentation "
		   "for the RX ring size",
		   ifc->link.name, ifc->link.name);
	} else if (ifc->rx_ring < ifc->rx_ring_max) {
		fx(fb, "# raise %s's RX ring from %u to its maximum %u:", ifc->link.name,
		   ifc->rx_ring, ifc->rx_ring_max);
		fx(fb, "%sethtool -G %s rx %u", ns_pre(fb, now), q(fb, ifc->link.name),
		   ifc->rx_ring_max);
		snprintf(action, sizeof(action), "RUN+=\"/usr/sbin/ethtool -G $name rx %u\"",
			 ifc->rx_ring_max);
		fx_udev_iface(fb, now, ifc, "ring", action);
		if (now->netns_self)
			fx(fb,
			   "# with NetworkManager instead: nmcli connection modify <connection> "
			   "ethtool.ring-rx %u",
			   ifc->rx_ring_max);
		return;
	} else {
		fx(fb,
		   "# %s's RX ring is already at its maximum (%u): spread the load over more "
		   "queues and CPUs",
		   ifc->link.name, ifc->rx_ring_max);
	}
	if (!ifc->chan_err && ifc->combined_ch_max > ifc->combined_ch && ifc->combined_ch) {
		fx(fb, "%sethtool -L %s combined %u", ns_pre(fb, now), q(fb, ifc->link.name),
		   ifc->combined_ch_max);
		snprintf(action, sizeof(action), "RUN+=\"/usr/sbin/ethtool -L $name combined %u\"",
			 ifc->combined_ch_max);
		fx_udev_iface(fb, now, ifc, "channels", action);
	} else if (!ifc->chan_err && ifc->rx_ch_max > ifc->rx_ch && ifc->rx_ch) {
		fx(fb, "%sethtool -L %s rx %u", ns_pre(fb, now), q(fb, ifc->link.name),
		   ifc->rx_ch_max);
		snprintf(action, sizeof(action), "RUN+=\"/usr/sbin/ethtool -L $name rx %u\"",
			 ifc->rx_ch_max);
		fx_udev_iface(fb, now, ifc, "channels", action);
	}
	fx_rps(fb, now, ifc);
}

static void fix_softnet_dropped(struct fixbuf *fb, const struct host_counters *now,
				const struct hc_iface *ifc, bool flow_limited)
{
	int64_t cur = sysctl_v(now, SYSCTL_NETDEV_MAX_BACKLOG, 0, 1000);
	struct kv kv;

	fx(fb,
	   "# a CPU's input backlog (net.core.netdev_max_backlog = %lld) overflowed: make it "
	   "longer",
	   (long long)cur);
	kv_set(&kv, SYSCTL_NETDEV_MAX_BACKLOG, raise_to(cur, 10000, 1000000));
	fx_sysctls(fb, now, "backlog", &kv, 1);
	if (flow_limited)
		fx(fb, "# flow_limit_count rose: flow limiting (net.core.flow_limit_cpu_bitmap) "
		       "drops the heaviest flows first; clear that bitmap if this is not wanted");
	fx_rps(fb, now, ifc);
}

static void fix_time_squeeze(struct fixbuf *fb, const struct host_counters *now,
			     const struct hc_iface *ifc)
{
	int64_t budget = sysctl_v(now, SYSCTL_NETDEV_BUDGET, 0, 300);
	int64_t usecs = sysctl_v(now, SYSCTL_NETDEV_BUDGET_USECS, 0, 2000);
	struct kv kv[2];

	fx(fb,
	   "# the receive softirq ran out of its budget (%lld packets, %lld us) with packets "
	   "left: give it more, and spread the work",
	   (long long)budget, (long long)usecs);
	kv_set(&kv[0], SYSCTL_NETDEV_BUDGET, raise_to(budget, 600, 3000));
	kv_set(&kv[1], SYSCTL_NETDEV_BUDGET_USECS, raise_to(usecs, 4000, 20000));
	fx_sysctls(fb, now, "budget", kv, 2);
	fx_rps(fb, now, ifc);
}

/* The UDP socket that dropped the most: in the window when a delta is given, else ever. */
static const struct sock_info *worst_udp(const struct host_counters *now,
					 const struct host_delta *d)
{
	if (d && d->n_udp) {
		size_t best = 0;

		for (size_t i = 1; i < d->n_udp; i++)
			if (d->udp[i].d_drops > d->udp[best].d_drops)
				best = i;
		return &d->udp[best].sock;
	}
	if (!d && now->n_udp)
		return &now->udp[0];
	return NULL;
}

static void fix_udp_rcvbuf(struct fixbuf *fb, const struct host_counters *now,
			   const struct host_delta *d)
{
	const struct sock_info *s = worst_udp(now, d);
	int64_t rmax = sysctl_v(now, SYSCTL_RMEM_MAX, 0, 212992);
	int64_t rdef = sysctl_v(now, SYSCTL_RMEM_DEFAULT, 0, 212992);
	int64_t want = rmax < 16 * MIB ? 16 * MIB : raise_to(rmax, 16 * MIB, 1024 * MIB);
	struct kv kv;

	if (s && s->has_meminfo && s->rcvbuf >= 2 * (uint64_t)rmax) {
		fx(fb,
		   "# %s's buffer (%u bytes) is capped by net.core.rmem_max (%lld): raise the cap, "
		   "then let the application ask for more with SO_RCVBUF",
		   s->local, s->rcvbuf, (long long)rmax);
	} else if (s && s->has_meminfo && s->rcvbuf == (uint64_t)rdef) {
		fx(fb,
		   "# %s uses the default buffer (net.core.rmem_default = %lld): have the "
		   "application set SO_RCVBUF (e.g. 8388608), and allow it:",
		   s->local, (long long)rdef);
	} else if (s && s->has_meminfo) {
		fx(fb,
		   "# the application set SO_RCVBUF on %s to about %u bytes (the kernel doubles "
		   "it to %u): ask for more, e.g. setsockopt(SO_RCVBUF, 8388608); the cap is "
		   "net.core.rmem_max (%lld)",
		   s->local, s->rcvbuf / 2, s->rcvbuf, (long long)rmax);
	} else {
		fx(fb,
		   "# UDP sockets receive faster than their applications read: raise SO_RCVBUF in "
		   "the application and the cap net.core.rmem_max (%lld)",
		   (long long)rmax);
	}
	kv_set(&kv, SYSCTL_RMEM_MAX, want);
	fx_sysctls(fb, now, "udp-rcvbuf", &kv, 1);
	fx(fb,
	   "# if the application cannot be changed, the default for new sockets is "
	   "net.core.rmem_default (%lld); raising it costs memory on every socket",
	   (long long)rdef);
}

static void fix_udp_sndbuf(struct fixbuf *fb, const struct host_counters *now,
			   const struct host_delta *d, bool qdisc_drops)
{
	int64_t wmax = sysctl_v(now, SYSCTL_WMEM_MAX, 0, 212992);
	struct kv kv;

	if (qdisc_drops)
		fx(fb, "# a qdisc dropped packets in the same window (qdisc_drops): UDP counts the "
		       "sends it refused (ENOBUFS) as SndbufErrors; fix the qdisc first");
	fx(fb,
	   "# UDP sends found the socket's send buffer full: raise SO_SNDBUF in the "
	   "application and the cap net.core.wmem_max (%lld)",
	   (long long)wmax);
	kv_set(&kv, SYSCTL_WMEM_MAX,
	       wmax < 16 * MIB ? 16 * MIB : raise_to(wmax, 16 * MIB, 1024 * MIB));
	fx_sysctls(fb, now, "udp-sndbuf", &kv, 1);
}

static void fix_triple(struct fixbuf *fb, const struct host_counters *now, enum hc_sysctl s,
		       const char *tag, int64_t floor_max)
{
	int64_t a = sysctl_v(now, s, 0, 0), b = sysctl_v(now, s, 1, 0), c = sysctl_v(now, s, 2, 0);
	struct kv kv;

	if (!a && !b && !c) {
		fx(fb, "# %s could not be read; raise its third value", hc_sysctl_name(s));
		return;
	}
	kv.s = s;
	if (floor_max) /* a buffer size: only the maximum needs to grow */
		snprintf(kv.val, sizeof(kv.val), "%lld %lld %lld", (long long)a, (long long)b,
			 (long long)raise_to(c, floor_max, 1024LL * MIB));
	else /* a memory limit in pages: all three thresholds move together */
		snprintf(kv.val, sizeof(kv.val), "%lld %lld %lld", (long long)a * 2,
			 (long long)b * 2, (long long)c * 2);
	fx_sysctls(fb, now, tag, &kv, 1);
}

static void fix_udp_mem(struct fixbuf *fb, const struct host_counters *now)
{
	fx(fb, "# all UDP sockets together reached net.ipv4.udp_mem (pages): raise the limits, "
	       "or find the sockets that never read (ss -uam)");
	fix_triple(fb, now, SYSCTL_UDP_MEM, "udp-mem", 0);
}

static void fix_listen(struct fixbuf *fb, const struct host_counters *now,
		       const struct host_delta *d)
{
	int64_t somax = sysctl_v(now, SYSCTL_SOMAXCONN, 0, 4096);
	bool capped = false, any = false;
	struct kv kv;
	int shown = 0;

	for (size_t i = 0; i < now->n_listen && shown < 3; i++) {
		const struct sock_info *s = &now->listen[i];

		if (s->rqueue <= s->wqueue)
			continue;
		any = true;
		shown++;
		if (s->wqueue >= somax) {
			capped = true;
			fx(fb,
			   "# %s: accept queue full (%u/%u), its backlog capped by "
			   "net.core.somaxconn (%lld)",
			   s->local, s->rqueue, s->wqueue, (long long)somax);
		} else {
			fx(fb,
			   "# %s: accept queue full (%u/%u): the application asked listen() for a "
			   "backlog of %u; raise it there (e.g. listen(fd, 4096), nginx "
			   "'listen ... backlog=4096') and make sure it calls accept() fast enough",
			   s->local, s->rqueue, s->wqueue, s->wqueue);
		}
	}
	if (!any)
		fx(fb,
		   "# accept queues overflowed: raise the listen() backlog of the application "
		   "(ss -ltn shows each listener's Send-Q backlog) and net.core.somaxconn (%lld) "
		   "that caps it",
		   (long long)somax);
	if (capped || !any) {
		kv_set(&kv, SYSCTL_SOMAXCONN, raise_to(somax, 4096, 65535));
		fx_sysctls(fb, now, "somaxconn", &kv, 1);
	}
	if (d && d->snmp_ok[SNMP_TCPEXT_TCP_REQQ_FULL_DROP] &&
	    d->snmp[SNMP_TCPEXT_TCP_REQQ_FULL_DROP]) {
		int64_t syn = sysctl_v(now, SYSCTL_TCP_MAX_SYN_BACKLOG, 0, 1024);

		fx(fb,
		   "# SYNs were dropped with the SYN queue full and no syncookies: raise "
		   "net.ipv4.tcp_max_syn_backlog (%lld) or enable net.ipv4.tcp_syncookies",
		   (long long)syn);
		kv_set(&kv, SYSCTL_TCP_MAX_SYN_BACKLOG, raise_to(syn, 4096, 262144));
		fx_sysctls(fb, now, "synbacklog", &kv, 1);
	}
}

static void fix_tcp_rmem(struct fixbuf *fb, const struct host_counters *now, const char *why)
{
	fx(fb, "# %s", why);
	fix_triple(fb, now, SYSCTL_TCP_RMEM, "tcp-rmem", 16 * MIB);
}

static void fix_tcp_mem(struct fixbuf *fb, const struct host_counters *now)
{
	fx(fb, "# TCP as a whole reached net.ipv4.tcp_mem (pages): raise the limits if the host "
	       "has the memory, or find sockets that hold data unread (ss -tm)");
	fix_triple(fb, now, SYSCTL_TCP_MEM, "tcp-mem", 0);
}

static void fix_retrans(struct fixbuf *fb, const struct host_counters *now, int host_drops)
{
	if (host_drops > 0) {
		fx(fb,
		   "# retransmissions follow the drops this host made (the findings above): fix "
		   "those first");
		return;
	}
	fx(fb,
	   "# %s dropped nothing in this window, the loss is on the path or at the peer; "
	   "find the hop:",
	   host_drops < 0 ? "if this host" : "this host");
	fx(fb, "dropscope probe <peer address>");
	fx(fb, "%sss -tin state established | grep -B1 retrans", ns_pre(fb, now));
}

static void fix_trace(struct fixbuf *fb, const struct host_counters *now, const char *what)
{
	fx(fb, "# %s: the kernel's drop reasons tell which one", what);
	if (now->netns_self)
		fx(fb, "dropscope trace");
	else
		fx(fb, "dropscope trace --netns %s", q(fb, now->netns));
}

static void fix_reasm(struct fixbuf *fb, const struct host_counters *now)
{
	int64_t cur = sysctl_v(now, SYSCTL_IPFRAG_HIGH_THRESH, 0, 4 * MIB);
	struct kv kv;

	fx(fb,
	   "# fragments were lost or timed out before reassembly; best avoid fragmenting "
	   "(a smaller MTU/MSS, EDNS buffer size 1232 for DNS), else give reassembly more memory");
	kv_set(&kv, SYSCTL_IPFRAG_HIGH_THRESH, raise_to(cur, 8 * MIB, 256 * MIB));
	fx_sysctls(fb, now, "ipfrag", &kv, 1);
}

static void fix_checksum(struct fixbuf *fb, const struct host_counters *now,
			 const struct hc_iface *ifc)
{
	fx(fb, "# packets arrive corrupted: a bad cable, optic or port, a faulty NIC or driver "
	       "offload, or a broken middlebox; compare with the peer's counters");
	if (ifc) {
		fx(fb, "%sethtool -S %s | grep -iE 'crc|csum|err'", ns_pre(fb, now),
		   q(fb, ifc->link.name));
		fx(fb, "%sethtool -k %s | grep -i checksum", ns_pre(fb, now),
		   q(fb, ifc->link.name));
	}
}

static void fix_link_errors(struct fixbuf *fb, const struct host_counters *now,
			    const struct hc_iface *ifc, bool tx)
{
	const char *name = ifc ? ifc->link.name : "IF";

	fx(fb,
	   "# %s: check the cable, optic and switch port, and that both ends agree on speed "
	   "and duplex",
	   tx ? "transmit errors (carrier, aborted) point at the link"
	      : "damaged frames arrive (CRC, frame, length errors)");
	fx(fb, "%sethtool %s", ns_pre(fb, now), q(fb, name));
	fx(fb, "%sethtool -S %s | grep -iE 'err|crc|carrier'", ns_pre(fb, now), q(fb, name));
}

static void fix_tx_dropped(struct fixbuf *fb, const struct host_counters *now,
			   const struct hc_iface *ifc)
{
	char action[160];

	if (ifc && !ifc->ring_err && ifc->tx_ring < ifc->tx_ring_max) {
		fx(fb, "# raise %s's TX ring from %u to its maximum %u:", ifc->link.name,
		   ifc->tx_ring, ifc->tx_ring_max);
		fx(fb, "%sethtool -G %s tx %u", ns_pre(fb, now), q(fb, ifc->link.name),
		   ifc->tx_ring_max);
		snprintf(action, sizeof(action), "RUN+=\"/usr/sbin/ethtool -G $name tx %u\"",
			 ifc->tx_ring_max);
		fx_udev_iface(fb, now, ifc, "txring", action);
	}
	if (ifc && !strcmp(ifc->link.kind, "veth"))
		fx(fb,
		   "# a veth drops on transmit when its peer cannot take the packet (peer down, "
		   "its backlog or XDP ring full): look at the peer's counters");
	fix_trace(fb, now, "the device dropped packets it was given to send");
}

static const struct qdisc_info *root_qdisc(const struct host_counters *now, int ifindex)
{
	for (size_t i = 0; i < now->n_qdiscs; i++)
		if (now->qdiscs[i].ifindex == ifindex && now->qdiscs[i].parent == TC_H_ROOT)
			return &now->qdiscs[i];
	return NULL;
}

static bool fifo_kind(const char *kind)
{
	return !strcmp(kind, "pfifo_fast") || !strcmp(kind, "pfifo") || !strcmp(kind, "bfifo") ||
	       !strcmp(kind, "mq") || !strcmp(kind, "pfifo_head_drop");
}

static void fix_qdisc(struct fixbuf *fb, const struct host_counters *now,
		      const struct hc_iface *ifc)
{
	const struct qdisc_info *qd = ifc ? root_qdisc(now, ifc->link.ifindex) : NULL;
	char action[96];
	const char *name = ifc ? ifc->link.name : "IF";
	uint32_t txq = ifc ? ifc->link.txqlen : 1000;
	int64_t want = raise_to(txq, 10000, 1000000);

	if (!qd || fifo_kind(qd->kind)) {
		fx(fb, "# the %s queue of %s overflowed: its length is txqueuelen (%u packets)",
		   qd ? qd->kind : "transmit", name, txq);
		fx(fb, "%sip link set dev %s txqueuelen %lld", ns_pre(fb, now), q(fb, name),
		   (long long)want);
		if (ifc) {
			snprintf(action, sizeof(action), "ATTR{tx_queue_len}=\"%lld\"",
				 (long long)want);
			fx_udev_iface(fb, now, ifc, "txqlen", action);
		}
		fx(fb, "# if the link itself is saturated, a longer queue only adds delay: add "
		       "capacity "
		       "or shape the senders");
		return;
	}
	if (!strcmp(qd->kind, "fq_codel") || !strcmp(qd->kind, "fq") || !strcmp(qd->kind, "cake") ||
	    !strcmp(qd->kind, "codel") || !strcmp(qd->kind, "fq_pie") || !strcmp(qd->kind, "pie")) {
		fx(fb,
		   "# %s on %s drops on purpose to keep queues short when the link is saturated "
		   "(AQM); raise its limit only if bursts overflow it:",
		   qd->kind, name);
		fx(fb, "%stc -s qdisc show dev %s", ns_pre(fb, now), q(fb, name));
		fx(fb, "%stc qdisc change dev %s root %s limit %lld", ns_pre(fb, now), q(fb, name),
		   q(fb, qd->kind), (long long)(!strcmp(qd->kind, "fq_codel") ? 20480 : 20000));
	} else {
		fx(fb,
		   "# %s on %s drops what exceeds its configured rate or queue: that is shaping, "
		   "not a fault; raise its rate, or its limit if bursts overflow it:",
		   qd->kind, name);
		fx(fb, "%stc -s qdisc show dev %s", ns_pre(fb, now), q(fb, name));
		fx(fb, "# then: %stc qdisc change dev %s root %s <its parameters> limit <larger>",
		   ns_pre(fb, now), q(fb, name), q(fb, qd->kind));
	}
	fx(fb,
	   "# tc settings are lost at reboot: keep them in the script, systemd-networkd "
	   "[QDisc] section or ifupdown hook that sets up %s",
	   name);
}

static void fix_conntrack(struct fixbuf *fb, const struct host_counters *now)
{
	uint64_t want = now->ct_max * 2 > now->ct_count * 2 ? now->ct_max * 2 : now->ct_count * 2;
	int64_t buckets = sysctl_v(now, SYSCTL_NF_CONNTRACK_BUCKETS, 0, 0);
	struct kv kv;

	if (want < 262144)
		want = 262144;
	fx(fb,
	   "# the conntrack table (%llu of %llu entries) drops new flows when full: make it "
	   "larger (each entry costs about 320 bytes)",
	   (unsigned long long)now->ct_count, (unsigned long long)now->ct_max);
	kv_set(&kv, SYSCTL_NF_CONNTRACK_MAX, (int64_t)want);
	fx_sysctls(fb, now, "conntrack", &kv, 1);
	/* systemd-sysctl applies /etc/sysctl.d early at boot; nf_conntrack is often loaded later
	 * (by the first firewall rule that needs it), and then its sysctl file was applied to
	 * nothing. Loading the module with the modules systemd loads first makes it stick. */
	fx(fb, "# nf_conntrack_max only exists once the module is loaded: load it at boot, "
	       "before /etc/sysctl.d is applied");
	fx(fb, "echo nf_conntrack > /etc/modules-load.d/90-dropscope-conntrack.conf");
	if (buckets > 0 && (uint64_t)buckets * 4 < want) {
		fx(fb, "echo %llu > /sys/module/nf_conntrack/parameters/hashsize",
		   (unsigned long long)want / 4);
		fx(fb,
		   "echo 'options nf_conntrack hashsize=%llu' > "
		   "/etc/modprobe.d/90-dropscope-conntrack.conf",
		   (unsigned long long)want / 4);
	}
	fx(fb, "# or track less: exempt busy stateless traffic (nft: notrack in a raw/prerouting "
	       "chain) and shorten timeouts (net.netfilter.nf_conntrack_*_timeout)");
}

static void fix_ct_insert(struct fixbuf *fb, const struct host_counters *now)
{
	fx(fb, "# conntrack insertions failed while the table had room: packets of one new flow "
	       "raced on two CPUs (typically DNS A and AAAA from one socket)");
	fx(fb, "# for glibc resolvers: add 'options single-request-reopen' to /etc/resolv.conf");
	fx(fb, "%sconntrack -S", ns_pre(fb, now));
}

/* Everything but the retransmission text, which needs the window's other findings. */
static int build_fixes(const char *id, const struct host_counters *now, const char *ifname,
		       const struct host_delta *d, struct fixbuf *fb)
{
	const struct hc_iface *ifc = fix_iface(now, ifname);
	bool flow = d && d->softnet_ok && d->softnet_total.flow_limit_count;

	if (!finding_id_known(id))
		return -ENOENT;
	if (!strcmp(id, "nic_rx_missed"))
		fix_ring(fb, now, ifc);
	else if (!strcmp(id, "nic_rx_dropped"))
		fix_trace(fb, now,
			  "the kernel dropped packets at the device (unknown protocol or "
			  "VLAN, backlog full, inactive bond slave ...)");
	else if (!strcmp(id, "nic_rx_errors"))
		fix_link_errors(fb, now, ifc, false);
	else if (!strcmp(id, "nic_tx_dropped"))
		fix_tx_dropped(fb, now, ifc);
	else if (!strcmp(id, "nic_tx_errors"))
		fix_link_errors(fb, now, ifc, true);
	else if (!strcmp(id, "softnet_dropped"))
		fix_softnet_dropped(fb, now, ifc, flow);
	else if (!strcmp(id, "softnet_time_squeeze"))
		fix_time_squeeze(fb, now, ifc);
	else if (!strcmp(id, "udp_rcvbuf_errors"))
		fix_udp_rcvbuf(fb, now, d);
	else if (!strcmp(id, "udp_sndbuf_errors"))
		fix_udp_sndbuf(fb, now, d, false);
	else if (!strcmp(id, "udp_mem_errors"))
		fix_udp_mem(fb, now);
	else if (!strcmp(id, "udp_in_errors"))
		fix_trace(fb, now,
			  "UDP dropped datagrams for another reason than a full buffer or a bad "
			  "checksum (a socket filter, IPsec policy, a bad length)");
	else if (!strcmp(id, "tcp_in_errors"))
		fix_trace(fb, now,
			  "TCP dropped segments it judged bad (a bad header length, a SYN inside a "
			  "connection's window)");
	else if (!strcmp(id, "tcp_listen_overflows"))
		fix_listen(fb, now, d);
	else if (!strcmp(id, "tcp_backlog_drop"))
		fix_tcp_rmem(fb, now,
			     "segments arrived while the application held the socket and its "
			     "backlog was full: let the buffers grow, and check the "
			     "application is not stalled inside socket calls");
	else if (!strcmp(id, "tcp_rcvq_drop"))
		fix_tcp_rmem(fb, now,
			     "receive queues were full: the application reads too slowly, "
			     "or the buffers cannot grow");
	else if (!strcmp(id, "tcp_ofo_drop"))
		fix_tcp_rmem(fb, now,
			     "out-of-order segments found no room (loss upstream makes them): "
			     "let the receive buffers grow");
	else if (!strcmp(id, "tcp_mem_pressure"))
		fix_tcp_mem(fb, now);
	else if (!strcmp(id, "tcp_retransmits"))
		fix_retrans(fb, now, -1);
	else if (!strcmp(id, "ip_in_discards"))
		fix_trace(fb, now,
			  "IP discarded received packets (no memory, a disabled protocol, "
			  "policy)");
	else if (!strcmp(id, "ip_out_discards"))
		fix_trace(fb, now,
			  "IP discarded packets to send (no memory, a full queue, policy)");
	else if (!strcmp(id, "ip_reasm_fails"))
		fix_reasm(fb, now);
	else if (!strcmp(id, "checksum_errors"))
		fix_checksum(fb, now, ifc);
	else if (!strcmp(id, "conntrack_full"))
		fix_conntrack(fb, now);
	else if (!strcmp(id, "conntrack_insert_failed"))
		fix_ct_insert(fb, now);
	else if (!strcmp(id, "qdisc_drops"))
		fix_qdisc(fb, now, ifc);
	return fb->n;
}

int finding_fixes(const char *id, const struct host_counters *now, const char *ifname,
		  char (*out)[FINDING_FIX_LEN], int max)
{
	struct fixbuf fb = {.out = out, .max = max};

	if (!id || !now || !out || max < 0)
		return -EINVAL;
	return build_fixes(id, now, ifname, NULL, &fb);
}

void fix_finding(struct finding *f, const struct host_delta *d, const char *ifname)
{
	struct fixbuf fb = {.out = f->fix, .max = FINDING_MAX_FIXES};

	build_fixes(f->id, d->now, ifname, d, &fb);
	f->n_fix = fb.n;
}

void fix_finding_udp_sndbuf(struct finding *f, const struct host_delta *d, bool explained)
{
	struct fixbuf fb = {.out = f->fix, .max = FINDING_MAX_FIXES};

	fix_udp_sndbuf(&fb, d->now, d, explained);
	f->n_fix = fb.n;
}

void fix_finding_retrans(struct finding *f, const struct host_counters *now, int host_drops)
{
	struct fixbuf fb = {.out = f->fix, .max = FINDING_MAX_FIXES};

	fix_retrans(&fb, now, host_drops);
	f->n_fix = fb.n;
}

void fix_finding_comment(struct finding *f, const char *comment)
{
	struct fixbuf fb = {.out = f->fix, .max = FINDING_MAX_FIXES};

	fx(&fb, "%s", comment);
	f->n_fix = fb.n;
}

int fix_firewall(const char *netns_spec, char (*out)[FINDING_FIX_LEN], int max)
{
	struct fixbuf fb = {.out = out, .max = max};
	bool self = !netns_spec || !strcmp(netns_spec, "self");
	char word[FINDING_FIX_LEN];

	if (!out || max < 0)
		return -EINVAL;
	if (!self && fix_shell_word(netns_spec, word, sizeof(word))) {
		fx(&fb, "# this server's own firewall drops the traffic: list its rules inside the "
			"namespace given by --netns (its name cannot be printed as one shell word)");
		return fb.n;
	}
	fx(&fb, "# this server's own firewall drops the traffic: find the rule by its counters, "
		"and change it if the drop is not meant");
	fx(&fb, "%snft list ruleset | grep -n -B2 -E 'drop|reject'",
	   ns_pre_of(&fb, netns_spec, self));
	fx(&fb, "%siptables-save -c | grep -E 'DROP|REJECT'", ns_pre_of(&fb, netns_spec, self));
	return fb.n;
}

int fix_in_netns(const char *netns_spec, const char *cmd, const char *word, char *line,
		 size_t size)
{
	char out[1][FINDING_FIX_LEN];
	struct fixbuf fb = {.out = out, .max = 1};
	bool self = !netns_spec || !strcmp(netns_spec, "self");
	const char *pre = ns_pre_of(&fb, netns_spec, self);
	bool left_out;

	if (word)
		fx(&fb, "%s%s %s", pre, cmd, q(&fb, word));
	else
		fx(&fb, "%s%s", pre, cmd);
	left_out = out[0][0] == '#';
	if (left_out || (size_t)snprintf(line, size, "%s", out[0]) >= size) {
		snprintf(line, size, "# (%s: a name that cannot be one shell word was left out)", cmd);
		return left_out ? -EINVAL : -ENOSPC;
	}
	return 0;
}

int fix_word_command(const char *cmd, const char *word, char *line, size_t size)
{
	char w[FINDING_FIX_LEN];
	int err = fix_shell_word(word, w, sizeof(w));

	if (!err && (size_t)snprintf(line, size, "%s %s", cmd, w) >= size)
		err = -ENOSPC;
	if (err)
		snprintf(line, size, "# (%s: a name that cannot be one shell word was left out)", cmd);
	return err;
}
