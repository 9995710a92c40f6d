// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "drops.skel.h"
#include "kfeatures.h"
#include "privs.h"
#include "trace_bpf.h"
#include "util.h"

const char *attach_mode_name(enum attach_mode m)
{
	switch (m) {
	case ATTACH_TP_BTF:
		return "tp_btf";
	case ATTACH_TRACEPOINT:
		return "tracepoint";
	default:
		return "auto";
	}
}

/* The slots of the drops table: a power of two, 256 to TRACER_MAX_KEYS. */
static uint32_t table_slots(uint32_t want)
{
	uint32_t n = 256;

	if (!want)
		return DS_DEFAULT_SLOTS;
	while (n < want && n < TRACER_MAX_KEYS)
		n <<= 1;
	return n;
}

static bool is_tcp_prog(const struct drops_bpf *skel, const struct bpf_program *p)
{
	return p == skel->progs.tcp_retransmit_skb || p == skel->progs.tcp_retransmit_synack;
}

/* The filters (rodata) are shared with the tcp programs, which tcp.bpf.c links in. */
static void configure_drops(struct drops_bpf *skel, const struct tracer_config *cfg,
			    const struct reason_table *reasons, struct bpf_program *prog,
			    int tp_args, int tcp_args, bool retrans)
{
	uint32_t slots = table_slots(cfg->max_keys);
	struct bpf_program *p;
	unsigned lo, hi;

	skel->rodata->filter_netns = cfg->netns;
	skel->rodata->filter_ifindex = cfg->ifindex;
	skel->rodata->filter_l4_proto = cfg->l4_proto;
	skel->rodata->filter_port = cfg->port;
	skel->rodata->filter_family = cfg->family;
	memcpy((void *)skel->rodata->filter_addr, cfg->addr, 16);
	ephemeral_port_range(&lo, &hi);
	skel->rodata->ephemeral_lo = lo;
	skel->rodata->ephemeral_hi = hi;
	skel->rodata->has_reason = tp_args >= 3 && !cfg->ignore_reason;
	skel->rodata->has_rx_sk = tp_args >= 4;
	skel->rodata->retransmit_has_err = tcp_args >= 3;
	skel->rodata->ignore_reason = cfg->ignore_reason;
	/* The classic tracepoint never nests (bpf_prog_active); tp_btf may (drops.bpf.c). */
	skel->rodata->nest_guard = prog != skel->progs.kfree_skb_tp;
	skel->rodata->consumed_reason = reasons ? reasons->consumed : 0;
	skel->rodata->slot_mask = slots - 1;
	bpf_map__set_max_entries(skel->maps.drops, slots + DS_MAX_CORE_REASONS);
	skel->rodata->events_on = cfg->events;
	skel->rodata->events_batch = cfg->events_batch;
	if (cfg->events_per_sec) {
		skel->rodata->events_per_sec = cfg->events_per_sec;
		/* One second's worth (the bucket's most): a burst right after a quiet spell is
		 * shown whole. */
		skel->rodata->events_burst = cfg->events_per_sec;
	}
	skel->rodata->watch_on = cfg->watch;
	skel->rodata->watch_family = cfg->watch ? cfg->watch_family : 0;
	memcpy((void *)skel->rodata->watch_addr, cfg->watch_addr, 16);
	skel->rodata->watch_l4_proto = cfg->watch_l4_proto;
	skel->rodata->watch_port_lo = cfg->watch_port_lo;
	skel->rodata->watch_port_hi = cfg->watch_port_hi;
	for (size_t i = 0; reasons && i < reasons->n; i++)
		if (reasons->v[i].value < DS_MAX_CORE_REASONS)
			((volatile __u8 *)skel->rodata->reason_queue_kind)[reasons->v[i].value] =
				reasons->v[i].queue_kind;
	/* A ring buffer nobody reads costs a page; keep it small unless events are on. */
	if (!cfg->events && !cfg->watch)
		bpf_map__set_max_entries(skel->maps.events, 4096);
	else if (cfg->events_ring)
		bpf_map__set_max_entries(skel->maps.events, cfg->events_ring);
	skel->rodata->events_wake_at = bpf_map__max_entries(skel->maps.events) / 4;
	/* An LRU map preallocates its entries: keep the unused one small. */
	if (!retrans)
		bpf_map__set_max_entries(skel->maps.retrans, 1);
	bpf_object__for_each_program(p, skel->obj) {
		bpf_program__set_autoload(p, p == prog || (retrans && is_tcp_prog(skel, p)));
		/* -v -v -v: the verifier's statistics (BPF_LOG_STATS: its time, the instructions
		 * and states it walked), which libbpf prints at debug level after the load. Not
		 * at -v -v: a failed load then shows only the error, where libbpf would retry
		 * it for the whole log. */
		if (ds_verbose >= 3)
			bpf_program__set_log_level(p, 4);
	}
}

/* The program of a variant; NULL when the kernel cannot have it. */
static struct bpf_program *variant_prog(struct drops_bpf *skel, enum attach_mode mode, bool cast)
{
	if (mode == ATTACH_TRACEPOINT)
		return skel->progs.kfree_skb_tp;
	return cast ? skel->progs.kfree_skb_btf : skel->progs.kfree_skb_btf_copy;
}

static int load_variant(const struct tracer_config *cfg, const struct reason_table *reasons,
			enum attach_mode mode, bool cast, int tp_args, int tcp_args, bool retrans,
			struct drops_bpf **out)
{
	struct drops_bpf *skel;
	int err;

	*out = NULL;
	/* The classic tracepoint needs tracefs; the TCP programs are raw tracepoints. */
	if (mode == ATTACH_TRACEPOINT) {
		err = ensure_tracefs();
		if (err)
			return err;
	}
	skel = drops_bpf__open();
	if (!skel)
		return -errno;
	configure_drops(skel, cfg, reasons, variant_prog(skel, mode, cast), tp_args, tcp_args,
			retrans);
	err = drops_bpf__load(skel);
	if (!err)
		err = drops_bpf__attach(skel);
	if (err) {
		drops_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* A variant with the TCP retransmit programs when they are asked for, else (or when they fail)
 * without them: drops still tell most of the story. */
static int load_drops(struct tracer *t, const struct tracer_config *cfg,
		      const struct reason_table *reasons, bool cast, int tp_args, int tcp_args)
{
	int err, tcp_err = 0;

	t->retrans = false;
	if (cfg->retransmits) {
		tcp_err = load_variant(cfg, reasons, t->mode, cast, tp_args, tcp_args, true,
				       &t->drops);
		if (!tcp_err) {
			t->retrans = true;
			return 0;
		}
	}
	err = load_variant(cfg, reasons, t->mode, cast, tp_args, tcp_args, false, &t->drops);
	if (!err && tcp_err)
		ds_err("TCP retransmit tracing unavailable: %s; continuing without it",
		       strerror(-tcp_err));
	return err;
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	if (size < sizeof(struct drop_event) || !t->on_event)
		return 0;
	return t->on_event(t->event_ctx, data);
}

int tracer_open(const struct tracer_config *cfg, const struct reason_table *reasons,
		tracer_event_fn on_event, void *event_ctx, struct tracer **out)
{
	double start = mono_now();
	struct tracer *t;
	int err, tp_args, tcp_args;
	bool can_cast;

	*out = NULL;
	if (privs_require(PRIVS_TRACE, "tracing"))
		return -EPERM;
	if (!have_vmlinux_btf()) {
		ds_err("this kernel has no BTF (%s): dropscope needs CONFIG_DEBUG_INFO_BTF=y",
		       VMLINUX_BTF);
		return -ENOENT;
	}
	libbpf_print_verbose();
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->on_event = on_event;
	t->event_ctx = event_ctx;

	/* Cheapest first: tp_btf with typed header loads, tp_btf copying headers, then the
	 * classic tracepoint. */
	t->mode = cfg->mode == ATTACH_AUTO ? ATTACH_TP_BTF : cfg->mode;
	tp_args = kfree_skb_btf_args();
	tcp_args = tcp_retransmit_skb_btf_args();
	can_cast = kernel_has_func("bpf_rdonly_cast");
	/* Asked all we need of it: the peak memory is one parsed BTF, libbpf's, not two. */
	kernel_btf_release();
	err = -ENOENT;
	if (t->mode == ATTACH_TP_BTF && !cfg->copy_reader && can_cast) {
		t->reader = "cast";
		err = load_drops(t, cfg, reasons, true, tp_args, tcp_args);
		if (err)
			ds_debug("tp_btf with bpf_rdonly_cast failed (%s)", strerror(-err));
	}
	if (err) {
		t->reader = "copy";
		err = load_drops(t, cfg, reasons, false, tp_args, tcp_args);
	}
	if (err && cfg->mode == ATTACH_AUTO) {
		ds_debug("tp_btf/kfree_skb unavailable (%s); using the classic tracepoint",
			 strerror(-err));
		t->mode = ATTACH_TRACEPOINT;
		err = load_drops(t, cfg, reasons, false, tp_args, tcp_args);
	}
	if (err) {
		ds_err("failed to load the drop tracer (%s): %s; run with -v -v for the verifier's log",
		       attach_mode_name(t->mode), strerror(-err));
		goto cleanup;
	}
	ds_debug("attached skb:kfree_skb via %s, reading headers by %s; TCP retransmits %s",
		 attach_mode_name(t->mode), t->reader,
		 !t->retrans	 ? "not traced"
		 : tcp_args >= 3 ? "traced (attempts that failed left out)"
				 : "traced");

	if (cfg->events || cfg->watch) {
		t->rb = ring_buffer__new(bpf_map__fd(t->drops->maps.events), on_ringbuf, t, NULL);
		if (!t->rb) {
			err = -errno;
			ds_err("failed to open the event ring buffer: %s", strerror(-err));
			goto cleanup;
		}
	}
	t->attach_ms = (mono_now() - start) * 1000;
	*out = t;
	return 0;
cleanup:
	tracer_close(t);
	return err;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n;

	if (!t->rb) {
		if (timeout_ms > 0)
			usleep(timeout_ms * 1000);
		return 0;
	}
	n = ring_buffer__poll(t->rb, timeout_ms);
	return n == -EINTR ? 0 : n;
}

int tracer_drops_fd(const struct tracer *t)
{
	return bpf_map__fd(t->drops->maps.drops);
}

int tracer_stats_fd(const struct tracer *t)
{
	return bpf_map__fd(t->drops->maps.stats);
}

int tracer_ifnames_fd(const struct tracer *t)
{
	return bpf_map__fd(t->drops->maps.ifnames);
}

int tracer_retrans_fd(const struct tracer *t)
{
	return t->retrans ? bpf_map__fd(t->drops->maps.retrans) : -1;
}

int tracer_meta_fd(const struct tracer *t)
{
	return bpf_map__fd(t->drops->maps.meta);
}

int tracer_totals_fd(const struct tracer *t)
{
	return bpf_map__fd(t->drops->maps.totals);
}

int tracer_events_fd(const struct tracer *t)
{
	return bpf_map__fd(t->drops->maps.events);
}

void tracer_links(const struct tracer *t, struct bpf_link *links[3])
{
	const struct drops_bpf *s = t->drops;

	links[0] = s->links.kfree_skb_btf     ? s->links.kfree_skb_btf
		   : s->links.kfree_skb_btf_copy ? s->links.kfree_skb_btf_copy
						 : s->links.kfree_skb_tp;
	links[1] = t->retrans ? s->links.tcp_retransmit_skb : NULL;
	links[2] = t->retrans ? s->links.tcp_retransmit_synack : NULL;
}

void tracer_disconnect(struct tracer *t)
{
	struct bpf_link *links[3];

	tracer_links(t, links);
	for (int i = 0; i < 3; i++) {
		if (!links[i])
			continue;
		/* libbpf's destroy of a disconnected link leaves its descriptor open: close it
		 * here, so that the pin alone keeps the program attached. */
		bpf_link__disconnect(links[i]);
		if (bpf_link__fd(links[i]) >= 0)
			close(bpf_link__fd(links[i]));
	}
}

uint64_t tracer_missed(const struct tracer *t)
{
	struct bpf_prog_info info = { 0 };
	struct bpf_program *p;
	__u32 len = sizeof(info);
	struct ds_stats st;
	uint64_t n = 0;

	/* Runs the program skipped itself, on kernels that do not (drops.bpf.c). */
	if (!read_stats(tracer_stats_fd(t), &st))
		n = st.nested;
	bpf_object__for_each_program(p, t->drops->obj)
	{
		int fd = is_tcp_prog(t->drops, p) ? -1 : bpf_program__fd(p);

		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	drops_bpf__destroy(t->drops);
	free(t);
}

int read_stats(int stats_fd, struct ds_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ds_stats *per_cpu;
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu < 0)
		return ncpu;
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(stats_fd, &zero, per_cpu)) {
		int err = -errno;

		free(per_cpu);
		return err;
	}
	for (int i = 0; i < ncpu; i++) {
		out->folded += per_cpu[i].folded;
		out->unaccounted += per_cpu[i].unaccounted;
		out->events_sent += per_cpu[i].events_sent;
		out->events_shed += per_cpu[i].events_shed;
		out->events_lost += per_cpu[i].events_lost;
		out->retrans_flows += per_cpu[i].retrans_flows;
		out->nested += per_cpu[i].nested;
		out->retransmits += per_cpu[i].retransmits;
		out->synack_retransmits += per_cpu[i].synack_retransmits;
	}
	free(per_cpu);
	return 0;
}
