/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI between dropscope's BPF programs and userspace, and the layout of the maps that
 * `dropscope trace --pin` leaves in bpffs for other tools. It is a public interface: fields are
 * only ever added at the end of a struct, with DS_ABI_VERSION bumped; nothing is reordered.
 * Only fixed-size integers, fixed arrays and explicit padding; every integer is in host byte
 * order unless its comment says otherwise.
 */
#ifndef DROPSCOPE_ABI_H
#define DROPSCOPE_ABI_H

#define DS_ABI_VERSION 3

/* Reasons below this value are core reasons (enum skb_drop_reason); the per-reason tables in
 * the kernel side are this big. Subsystem reasons (high 16 bits set) are counted all the same. */
#define DS_MAX_CORE_REASONS 512

/*
 * The catch-all slots after the table (see the drops map below): core reasons below
 * DS_CORE_CATCHALLS have one each; subsystem s (reason >> 16; 0 for core reasons at or above
 * DS_CORE_CATCHALLS) has slot DS_CORE_CATCHALLS + s % DS_SUBSYS_CATCHALLS, whose key holds
 * DS_CATCHALL_REASON(s): the subsystem, not one of its reasons, since they share it.
 */
#define DS_CORE_CATCHALLS 496
#define DS_SUBSYS_CATCHALLS (DS_MAX_CORE_REASONS - DS_CORE_CATCHALLS)
#define DS_CATCHALL_REASON(s) (((__u32)(s) << 16) | 0xffff)

/* Bytes of each event's packet copy, from the network header on. */
#define DS_EVENT_DATA 128

/* Where the packet was waiting when it was dropped (drop_key.queue_kind). */
enum ds_queue_kind {
	DS_Q_NONE = 0,
	DS_Q_RX = 1,	 /* device receive queue: queue = RX queue index */
	DS_Q_TX = 2,	 /* device transmit queue / qdisc: queue = TX queue index */
	DS_Q_CPU = 3,	 /* per-CPU backlog: queue = CPU number */
	DS_Q_SOCKET = 4, /* local socket: queue = local port (0: an ephemeral port, folded) */
};

/*
 * drops map: a per-CPU array used as an open-addressed table, one slot per distinct drop on
 * that CPU. Slots 0 .. S-1 (S a power of two, DS_DEFAULT_SLOTS unless --max-keys says
 * otherwise) hold drops by key; a key goes to the first free-or-equal slot among DS_PROBES
 * from a hash of it. When all DS_PROBES are taken by other keys, the drop is counted in a
 * catch-all slot after the table, whose key has folded = 1 and every other field but reason
 * zero: core reason r < DS_CORE_CATCHALLS in slot S + r (its key's reason is r, so per-reason
 * totals stay exact), any other reason in slot S + DS_CORE_CATCHALLS + (r >> 16) % 16 (its
 * key's reason is DS_CATCHALL_REASON(r >> 16), so per-subsystem totals stay exact; two
 * subsystems 16 apart would share one, and the second one's drops go to ds_stats.unaccounted).
 * A slot is in use when packets > 0. A reader sums the slots of all CPUs by key: the same key
 * may sit in different slots on different CPUs.
 */
#define DS_DEFAULT_SLOTS 4096
#define DS_PROBES 8

struct drop_key {
	__u32 reason;	 /* enum skb_drop_reason value, subsystem in the high 16 bits;
			  * 0 when the kernel has no reason (before 5.17) */
	__u32 netns;	 /* network namespace inode (0: unknown) */
	__u32 ifindex;	 /* interface index in that namespace (0: none) */
	__u32 queue;	 /* see enum ds_queue_kind */
	__u64 location;	 /* kernel address that freed the skb */
	__u16 l3_proto;	 /* ethertype: 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, ... */
	__u8 l4_proto;	 /* IPPROTO_*, 0 if not IP or not parsed */
	__u8 queue_kind; /* enum ds_queue_kind */
	__u8 folded;	 /* 1: a reason's catch-all slot */
	__u8 pad[3];
};

struct drop_slot {
	struct drop_key key;
	__u64 packets; /* 0: the slot is free */
	__u64 bytes;   /* skb->len at the drop */
};

/* stats map (per-CPU array, one entry): what the kernel side itself could not do. (The drops
 * it counted are the sum of the drops map: the hot path keeps no other counter.) */
struct ds_stats {
	__u64 folded;	      /* drops counted in a catch-all entry because the map was full */
	__u64 unaccounted;    /* drops not counted at all (map full, no catch-all) */
	__u64 events_sent;    /* events written to the ring buffer */
	__u64 events_shed;    /* events skipped by the rate limit (counts stay exact) */
	__u64 events_lost;    /* events the ring buffer had no room for */
	__u64 retrans_flows;  /* new flows entered in the retrans map (LRU: beyond its size,
			       * old flows were evicted) */
	__u64 nested;	      /* drops not counted because the program was already running on
			       * their CPU (an interrupt's drop during a drop's handling), on
			       * kernels that do not skip such a run themselves (ABI 2) */
	__u64 retransmits;    /* TCP retransmissions counted (tcp_retransmit_skb), exact
			       * however many flows the retrans map evicts (ABI 3) */
	__u64 synack_retransmits; /* the same for SYN-ACKs (tcp_retransmit_synack; ABI 3) */
};

/*
 * totals map (per-CPU array, DS_MAX_CORE_REASONS entries; ABI 3): every counted drop by
 * reason, whatever the drops table does, so a reader needs 512 lookups, not the table. Index:
 * a core reason r < DS_CORE_CATCHALLS at r; any other reason at DS_CORE_CATCHALLS +
 * (r >> 16) % DS_SUBSYS_CATCHALLS (core reasons at or above DS_CORE_CATCHALLS there too, as
 * subsystem 0): per subsystem, as the drops table's catch-alls. Sum the CPUs' values.
 */
struct ds_reason_total {
	__u64 packets;
	__u64 bytes; /* skb->len at the drop */
};

/* ifnames map (hash): interface names, recorded when a drop on them is first counted. */
struct ifname_key {
	__u32 netns;
	__u32 ifindex;
};

struct ifname_value {
	char name[16];
};

/* Event flags. */
#define DS_EV_WATCHED 0x1 /* matched the watch filter (the prober's packets and replies) */

/* events ring buffer: one record per drop, when events are on (rate-limited) or watched. */
struct drop_event {
	__u64 ts_ns;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 location;
	__u32 reason;
	__u32 netns;
	__u32 ifindex;
	__u32 queue;
	__u32 len;	/* skb->len */
	__u16 l3_proto;
	__u8 l4_proto;
	__u8 queue_kind;
	__u8 family;	/* 4, 6, or 0 when the addresses are not known */
	__u8 flags;	/* DS_EV_* */
	__u16 data_len; /* valid bytes in data: the packet's linear bytes from its network
			 * header, at most DS_EVENT_DATA; the rest of data is undefined */
	__u16 sport;	/* TCP, UDP, SCTP ports (ICMP: type in sport, code in dport) */
	__u16 dport;
	__u32 cpu;
	__u8 saddr[16]; /* network byte order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
	char ifname[16];
	__u8 data[DS_EVENT_DATA]; /* the packet from its network header on */
};

/* retrans map (LRU hash): TCP retransmissions per flow, from the tcp tracepoints. */
struct retrans_key {
	__u32 netns;
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 sport;  /* local port */
	__u16 dport;  /* remote port */
	__u16 pad;
	__u8 saddr[16]; /* local address, network byte order */
	__u8 daddr[16]; /* remote address */
};

struct retrans_value {
	__u64 retransmits; /* tcp_retransmit_skb */
	__u64 synack;	   /* tcp_retransmit_synack */
};

/*
 * `dropscope monitor` also pins the programs' links beside the maps (ABI 3), so that they stay
 * attached after it exits (--keep): link_kfree_skb, and link_tcp_retransmit_skb and
 * link_tcp_retransmit_synack when TCP retransmissions are traced. Removing a link's pin
 * detaches its program.
 */

/* meta map (array, one entry): who pinned the maps, for `dropscope show` and other readers. */
struct ds_meta {
	__u32 abi_version;
	__u32 pid;		/* the dropscope process that owns the pins */
	__u64 start_boottime_ns; /* when it attached, CLOCK_BOOTTIME */
	__u32 filter_netns;
	__u32 filter_ifindex;
	__u32 attach_mode; /* 1 tp_btf, 2 classic tracepoint */
	__u32 pad;
};

#endif
