// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace_table.h"
#include "kfeatures.h"
#include "monitor_kernel.h"
#include "pin.h"
#include "privs.h"
#include "trace_bpf.h"
#include "util.h"

/* The programs' label values, by link (pin_link_names). */
static const char *const prog_labels[PIN_LINKS] = {"kfree_skb", "tcp_retransmit_skb",
						   "tcp_retransmit_synack"};

struct monitor_kernel {
	struct pin_claim claim;
	struct pinned_maps maps;
	struct monitor_kernel_maps pub;
	int events_fd; /* the ring buffer, read-write (its consumer position is ours to move) */
	struct ring_buffer *rb;
	void (*event_fn)(void *ctx, const struct drop_event *e);
	void *event_ctx;
	int prog_fds[PIN_LINKS]; /* -1 where not attached */
	struct reason_table *reasons;
	struct name_ctx names; /* for the netns label */
	bool all_ns;
	bool keep; /* --keep: what monitor_kernel_started gives the claim */
	int ncpu;
	struct ds_reason_total *percpu; /* ncpu values: one totals lookup */
};

/* A link's program, by the prog_id its fdinfo gives: the fd stays ours for run time stats. */
static int link_prog_fd(const char *dir, const char *name)
{
	char path[600], info[64], text[1024], *p;
	int fd, prog = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
	if (read_file(info, text, sizeof(text)) > 0 && (p = strstr(text, "\nprog_id:")))
		prog = bpf_prog_get_fd_by_id(strtoul(p + 9, NULL, 10));
	close(fd);
	return prog;
}

/* Whether dir/name still holds a link (read anew at every scrape: removing the pin detaches
 * the program, and nothing else of ours holds the link open). */
static bool link_pinned(const char *dir, const char *name)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	char path[600];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	return !err;
}

#ifndef MONITOR_EVENTS_RING
#define MONITOR_EVENTS_RING (256 * 1024)
#endif

/* Load, attach and pin anew: maps and links, then let the process's copies go. */
static int load_and_pin(struct monitor_kernel *k, uint32_t netns, bool retransmits)
{
	/* Watched: every ICMP drop in the server's namespace becomes an event, so that the
	 * probing half can place its lost probes and answers. In batches: the loop reads the
	 * ring on a timer, and is woken early only by a ring a quarter full. */
	struct tracer_config cfg = {.netns = netns,
				    .retransmits = retransmits,
				    .watch = true,
				    .events_batch = true,
				    .events_ring = MONITOR_EVENTS_RING};
	struct tracer *t = NULL;
	int err;

	err = tracer_open(&cfg, k->reasons, NULL, NULL, &t);
	if (err)
		return err;
	err = pin_maps(t, &k->claim, &cfg);
	if (!err)
		err = pin_links(t, &k->claim);
	/* Pinned, the programs stay attached without the process's descriptors. */
	if (!err)
		tracer_disconnect(t);
	tracer_close(t);
	return err;
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct monitor_kernel *k = ctx;

	if (size >= sizeof(struct drop_event) && k->event_fn)
		k->event_fn(k->event_ctx, data);
	return 0;
}

static int open_events(struct monitor_kernel *k)
{
	char path[600];
	int err;

	snprintf(path, sizeof(path), "%s/events", k->claim.dir);
	k->events_fd = bpf_obj_get(path);
	if (k->events_fd < 0) {
		err = -errno;
		ds_err("failed to open the events ring buffer %s: %s", path, strerror(-err));
		return err;
	}
	k->rb = ring_buffer__new(k->events_fd, on_ringbuf, k, NULL);
	if (!k->rb) {
		err = -errno;
		ds_err("failed to read the events ring buffer %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

const struct monitor_kernel_maps *monitor_kernel_maps(const struct monitor_kernel *k)
{
	return &k->pub;
}

int monitor_kernel_events_fd(const struct monitor_kernel *k)
{
	return ring_buffer__epoll_fd(k->rb);
}

int monitor_kernel_events(struct monitor_kernel *k,
			  void (*fn)(void *ctx, const struct drop_event *e), void *ctx)
{
	k->event_fn = fn;
	k->event_ctx = ctx;
	return ring_buffer__consume(k->rb);
}

int monitor_kernel_open(const char *pin_dir, const struct netns_ref *ns, bool retransmits,
			bool keep, struct monitor_kernel **out)
{
	struct pin_reuse want = {.netns = ns->all ? 0 : ns->inode};
	struct monitor_kernel *k;
	int err;

	*out = NULL;
	if (privs_require(PRIVS_TRACE, "monitor"))
		return -EPERM;
	if (!have_vmlinux_btf()) {
		ds_err("this kernel has no BTF (%s): dropscope needs CONFIG_DEBUG_INFO_BTF=y",
		       VMLINUX_BTF);
		return -ENOENT;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->claim.dir_fd = -1;
	k->events_fd = -1;
	for (int i = 0; i < PIN_LINKS; i++)
		k->prog_fds[i] = -1;
	k->maps.drops = k->maps.stats = k->maps.ifnames = k->maps.retrans = k->maps.meta =
		k->maps.totals = k->maps.events = -1;
	k->all_ns = ns->all;
	k->ncpu = libbpf_num_possible_cpus();
	err = k->ncpu > 0 ? 0 : -EINVAL;
	if (err) {
		ds_err("failed to count the possible CPUs");
		goto fail;
	}
	k->percpu = calloc(k->ncpu, sizeof(*k->percpu));
	/* The copy of vmlinux BTF that tracer_open's feature probes read too: one, not two. */
	err = k->percpu ? 0 : -ENOMEM;
	if (!err)
		err = kernel_btf() ? reasons_from_scan(kernel_btf(), "/sys/kernel/btf", &k->reasons)
				   : -errno;
	if (err) {
		ds_err("failed to read drop reasons from the kernel's BTF: %s", strerror(-err));
		goto fail;
	}
	k->names.reasons = k->reasons;
	k->names.self_netns = netns_self_inode();
	err = pin_claim_reuse(pin_dir, &k->claim, &want);
	if (err)
		goto fail;
	/* Until the monitor has started, a failure leaves the pins it adopted where they were:
	 * another monitor's --keep made them, and its counts are not ours to lose. */
	k->claim.keep = k->claim.reused;
	if (!k->claim.reused) {
		err = load_and_pin(k, want.netns, retransmits);
		if (err)
			goto fail;
	}
	/* tracer_open released it; reused pins never call it. */
	kernel_btf_release();
	err = pinned_open(k->claim.dir, &k->maps);
	if (!err && k->maps.totals < 0) {
		ds_err("failed to open the totals map in %s", k->claim.dir);
		err = -ENOENT;
	}
	if (err)
		goto fail;
	for (int i = 0; i < PIN_LINKS; i++)
		if (k->claim.links & (1u << i))
			k->prog_fds[i] = link_prog_fd(k->claim.dir, pin_link_names[i]);
	err = open_events(k);
	if (err)
		goto fail;
	k->pub = (struct monitor_kernel_maps){k->maps.drops,
					      k->maps.stats,
					      k->maps.ifnames,
					      k->maps.retrans,
					      attach_mode_name(k->maps.info.attach_mode),
					      k->reasons};
	k->keep = keep;
	*out = k;
	return 0;
fail:
	kernel_btf_release();
	monitor_kernel_close(k);
	return err;
}

void monitor_kernel_started(struct monitor_kernel *k)
{
	k->claim.keep = k->keep;
}

void monitor_kernel_close(struct monitor_kernel *k)
{
	if (!k)
		return;
	for (int i = 0; i < PIN_LINKS; i++)
		if (k->prog_fds[i] >= 0)
			close(k->prog_fds[i]);
	ring_buffer__free(k->rb);
	if (k->events_fd >= 0)
		close(k->events_fd);
	pinned_close(&k->maps);
	pin_release(&k->claim);
	reasons_free(k->reasons);
	free(k->percpu);
	free(k);
}

int monitor_kernel_remove(const char *dir)
{
	struct pin_reuse any = {.any = true};
	struct pin_claim c;
	int err;

	err = pin_claim_reuse(dir, &c, &any);
	if (err)
		return err;
	if (!c.pinned && !c.links && !c.cleared)
		fprintf(stderr, "dropscope: nothing of a monitor's pinned in %s\n", c.dir);
	else
		fprintf(stderr, "dropscope: detached the programs and removed the pins in %s\n",
			c.dir);
	/* Adopted or made by the claim, the pins are ours to remove; the directory too when it
	 * is left empty. */
	c.created = true;
	pin_release(&c);
	return 0;
}

/* The label and category of totals index i. */
static const char *total_label(const struct monitor_kernel *k, uint32_t i, char *buf, size_t size,
			       enum drop_category *cat)
{
	if (i < DS_CORE_CATCHALLS) {
		*cat = reasons_category(k->reasons, i);
		return reasons_label(k->reasons, i, buf, size);
	}
	*cat = reasons_category(k->reasons, DS_CATCHALL_REASON(i - DS_CORE_CATCHALLS));
	return reasons_catchall_label(k->reasons, i - DS_CORE_CATCHALLS, buf, size);
}

/* Drops by reason from the totals map: exact, 512 short lookups. */
static void drops_by_reason(struct monitor_kernel *k, struct metrics *out, bool bytes)
{
	metrics_family(
		out, bytes ? "dropscope_kernel_drop_bytes_total" : "dropscope_kernel_drops_total",
		METRIC_COUNTER,
		bytes ? "Bytes of the packets the kernel dropped on this server, by drop reason "
			"(skb->len at the drop)."
		      : "Packets the kernel dropped on this server, by drop reason "
			"(skb:kfree_skb).");
	for (uint32_t i = 0; i < DS_MAX_CORE_REASONS; i++) {
		uint64_t packets = 0, n = 0;
		enum drop_category cat;
		char buf[64];
		const char *reason;

		if (bpf_map_lookup_elem(k->maps.totals, &i, k->percpu))
			continue;
		for (int c = 0; c < k->ncpu; c++) {
			packets += k->percpu[c].packets;
			n += bytes ? k->percpu[c].bytes : k->percpu[c].packets;
		}
		if (!packets)
			continue;
		reason = total_label(k, i, buf, sizeof(buf), &cat);
		{
			const char *lab[] = {"reason", reason, "category", category_name(cat),
					     NULL};

			metrics_counter(out, lab, n);
		}
	}
}

struct ns_reason {
	uint32_t netns, reason; /* the key: sorted, summed */
	uint64_t packets, bytes;
};

/* With -N all: by namespace and reason, from the drops table. Its catch-all slots have no
 * namespace: those drops carry netns="unknown". */
static void drops_by_netns(struct monitor_kernel *k, struct metrics *out)
{
	struct drop_snapshot s = {0};
	struct ns_reason *rows = NULL;
	size_t n = 0, cap = 0;

	if (drop_snapshot_read(k->maps.drops, &s))
		return;
	for (size_t i = 0; i < s.n; i++) {
		struct ns_reason key = {s.rows[i].key.netns, s.rows[i].key.reason}, *r;

		r = sorted_upsert((void **)&rows, &n, &cap, sizeof(*r), &key, 8);
		if (!r)
			break;
		r->packets += s.rows[i].packets;
		r->bytes += s.rows[i].bytes;
	}
	for (int b = 0; b < 2; b++) {
		metrics_family(out,
			       b ? "dropscope_kernel_drop_bytes_total"
				 : "dropscope_kernel_drops_total",
			       METRIC_COUNTER,
			       b ? "Bytes of the packets the kernel dropped, by namespace and drop "
				   "reason (skb->len at the drop)."
				 : "Packets the kernel dropped, by namespace and drop reason "
				   "(skb:kfree_skb).");
		for (size_t i = 0; i < n; i++) {
			char rb[64], nb[64];
			const char *lab[] = {"netns",	 "unknown", "reason", NULL,
					     "category", NULL,	    NULL};

			if (rows[i].netns)
				lab[1] = netns_label(&k->names, rows[i].netns, nb, sizeof(nb));
			lab[3] = reasons_label(k->reasons, rows[i].reason, rb, sizeof(rb));
			lab[5] = category_name(reasons_category(k->reasons, rows[i].reason));
			metrics_counter(out, lab, b ? rows[i].bytes : rows[i].packets);
		}
	}
	free(rows);
	drop_snapshot_free(&s);
}

static bool bpf_stats_enabled(void)
{
	char buf[16];

	return read_file("/proc/sys/kernel/bpf_stats_enabled", buf, sizeof(buf)) > 0 &&
	       buf[0] == '1';
}

void monitor_kernel_metrics(struct monitor_kernel *k, struct metrics *out)
{
	struct bpf_prog_info info[PIN_LINKS];
	struct ds_stats st = {0};
	uint64_t missed;

	if (k->all_ns) {
		drops_by_netns(k, out);
	} else {
		drops_by_reason(k, out, false);
		drops_by_reason(k, out, true);
	}
	read_stats(k->maps.stats, &st);
	metrics_family(out, "dropscope_tcp_retransmits_total", METRIC_COUNTER,
		       "TCP retransmissions on this server (tcp:tcp_retransmit_skb and "
		       "tcp:tcp_retransmit_synack).");
	{
		const char *data[] = {"kind", "data", NULL}, *synack[] = {"kind", "synack", NULL};

		metrics_counter(out, data, st.retransmits);
		metrics_counter(out, synack, st.synack_retransmits);
	}
	metrics_family(out, "dropscope_events_lost_total", METRIC_COUNTER,
		       "Drop events the kernel side's ring buffer had no room for.");
	metrics_counter(out, NULL, st.events_lost);
	missed = st.unaccounted + st.nested;
	for (int i = 0; i < PIN_LINKS; i++) {
		__u32 len = sizeof(info[i]);

		memset(&info[i], 0, sizeof(info[i]));
		if (k->prog_fds[i] >= 0 && bpf_obj_get_info_by_fd(k->prog_fds[i], &info[i], &len))
			memset(&info[i], 0, sizeof(info[i]));
		if (i == 0)
			missed += info[i].recursion_misses;
	}
	metrics_family(out, "dropscope_kernel_drops_uncounted_total", METRIC_COUNTER,
		       "Drops the kernel side could not count: its table full with no catch-all, "
		       "or a drop inside a drop's handling on one CPU.");
	metrics_counter(out, NULL, missed);
	metrics_family(out, "dropscope_bpf_run_time_seconds_total", METRIC_COUNTER,
		       "Time the kernel spent in dropscope's programs (kernel.bpf_stats_enabled=1 "
		       "only; 0 while it is 0).");
	for (int i = 0; i < PIN_LINKS; i++) {
		const char *lab[] = {"program", prog_labels[i], NULL};

		/* A counter of seconds, exact to the nanosecond while under 2^53 ns (104 days). */
		if (k->prog_fds[i] >= 0)
			metrics_counter_f(out, lab, info[i].run_time_ns / 1e9);
	}
	metrics_family(out, "dropscope_bpf_run_count_total", METRIC_COUNTER,
		       "Runs of dropscope's programs (kernel.bpf_stats_enabled=1 only; 0 while it "
		       "is 0).");
	for (int i = 0; i < PIN_LINKS; i++) {
		const char *lab[] = {"program", prog_labels[i], NULL};

		if (k->prog_fds[i] >= 0)
			metrics_counter(out, lab, info[i].run_cnt);
	}
	metrics_family(out, "dropscope_bpf_stats_enabled", METRIC_GAUGE,
		       "1 when kernel.bpf_stats_enabled is 1, so the run time and count move.");
	metrics_gauge(out, NULL, bpf_stats_enabled());
	metrics_family(out, "dropscope_tracer_attached", METRIC_GAUGE,
		       "1 when the drop tracer's program is attached (its link pinned).");
	metrics_gauge(out, NULL, link_pinned(k->claim.dir, pin_link_names[0]));
}
