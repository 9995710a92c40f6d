/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side's loader: open -> configure -> load -> attach, with the attach variant chosen
 * at run time, and the maps handed to whoever reads them (trace, diagnose).
 */
#ifndef DS_TRACER_H
#define DS_TRACER_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>
#include "dropscope.h"
#include "reasons.h"

enum attach_mode {
	ATTACH_AUTO = 0,
	ATTACH_TP_BTF = 1,     /* tp_btf/kfree_skb */
	ATTACH_TRACEPOINT = 2, /* tracepoint/skb/kfree_skb */
};

struct tracer_config {
	enum attach_mode mode; /* AUTO: tp_btf, else the classic tracepoint */
	/* Filters, all run in the kernel; 0 means no filter. */
	uint32_t netns;	  /* namespace inode */
	uint32_t ifindex; /* in that namespace */
	uint8_t l4_proto;
	uint16_t port;
	uint8_t family; /* 4 or 6 with addr, 0 for no host filter */
	uint8_t addr[16];
	/* The event stream. */
	bool events;
	uint32_t events_per_sec; /* per CPU; 0: the default */
	bool events_batch;	 /* wake the reader only when the ring is a quarter full */
	uint32_t events_ring;	 /* the ring's bytes, a power of 2 of pages; 0: 1 MiB */
	/*
	 * The prober's packets always become events, not rate-limited (diagnose): a drop is
	 * watched when its source or destination address is watch_addr (unless watch_family is
	 * 0: any address), and it is ICMP or ICMPv6 (echo, and errors quoting a probe), or
	 * watch_l4_proto with either port in [watch_port_lo, watch_port_hi].
	 */
	bool watch;
	uint8_t watch_l4_proto;
	uint16_t watch_port_lo, watch_port_hi;
	uint8_t watch_family;	/* 4, 6, or 0: every address (every ICMP drop is watched) */
	uint8_t watch_addr[16]; /* the prober's source address, network order; IPv4 first 4 */
	bool retransmits;	/* attach the tcp tracepoints too */
	/* Slots of the drops table per CPU, rounded up to a power of two, at most TRACER_MAX_KEYS
	 * (each takes sizeof(struct drop_slot) = 48 bytes of kernel memory per CPU); 0: default */
	uint32_t max_keys;
	bool ignore_reason; /* testing aid: act as on a kernel without drop reasons */
	bool copy_reader;   /* testing aid: tp_btf reads headers by copy even if it could cast */
};

#define TRACER_MAX_KEYS 65536

typedef int (*tracer_event_fn)(void *ctx, const struct drop_event *e);

struct tracer {
	struct drops_bpf *drops;
	bool retrans; /* the TCP retransmit programs are attached (tcp.bpf.c) */
	struct ring_buffer *rb;
	enum attach_mode mode; /* the variant that is attached */
	const char *reader;    /* how it reads packet headers: "cast" or "copy" */
	tracer_event_fn on_event;
	void *event_ctx;
	double attach_ms; /* from tracer_open to attached */
};

/*
 * Load and attach. Prints its own one-line error and returns -errno: -EPERM not root,
 * -ENOENT no BTF, and the loader's errors. on_event (may be NULL) gets every event.
 */
int tracer_open(const struct tracer_config *cfg, const struct reason_table *reasons,
		tracer_event_fn on_event, void *event_ctx, struct tracer **out);
/* Deliver pending events, waiting up to timeout_ms. Returns the number handled or -errno. */
int tracer_poll(struct tracer *t, int timeout_ms);
int tracer_drops_fd(const struct tracer *t);
int tracer_stats_fd(const struct tracer *t);
int tracer_ifnames_fd(const struct tracer *t);
int tracer_retrans_fd(const struct tracer *t); /* -1 without retransmits */
int tracer_meta_fd(const struct tracer *t);
int tracer_totals_fd(const struct tracer *t);
int tracer_events_fd(const struct tracer *t);
/* The attached programs' links: [0] the kfree_skb program's, [1] tcp_retransmit_skb's, [2]
 * tcp_retransmit_synack's (NULL when not attached). */
struct bpf_link;
void tracer_links(const struct tracer *t, struct bpf_link *links[3]);
/* Let tracer_close leave the programs attached (their links pinned, monitor): closes the
 * links' descriptors now, without detaching; the pins hold the links from then on. */
void tracer_disconnect(struct tracer *t);
/* Drops not counted because the program was already running on their CPU (a drop inside a
 * drop's handling): skipped by the kernel (where it counts them) or by the program itself. */
uint64_t tracer_missed(const struct tracer *t);
/* Detach and free everything; safe on NULL. */
void tracer_close(struct tracer *t);

const char *attach_mode_name(enum attach_mode m);

/* Sum a per-CPU stats map (drops object's "stats") into one struct. */
int read_stats(int stats_fd, struct ds_stats *out);

#endif
