/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The drops map as userspace sees it: snapshots (per-CPU values summed), deltas between
 * snapshots, the grouping an operator reads (per reason; per reason, namespace, interface,
 * queue, protocol and function), and its text and JSON renderings. Used by trace, show and
 * diagnose, on a live tracer's maps or on pinned ones.
 */
#ifndef DS_DROPTABLE_H
#define DS_DROPTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>
#include "dropscope.h"
#include "json.h"
#include "kallsyms.h"
#include "reasons.h"

struct drop_row {
	struct drop_key key;
	uint64_t packets, bytes;
};

struct drop_snapshot {
	struct drop_row *rows; /* sorted by key bytes */
	size_t n, cap;
};

/* Read the whole drops map, summing the per-CPU values. Returns 0 or -errno. */
int drop_snapshot_read(int drops_fd, struct drop_snapshot *s);
/* The same from the values already read: slots * ncpu drop_slot values, slot-major (as
 * BPF_MAP_LOOKUP_BATCH returns them). Sorts once: O(n log n) in the rows. */
int drop_snapshot_from_slots(const struct drop_slot *vals, size_t slots, int ncpu,
			     struct drop_snapshot *s);
/* Add one row (keys kept sorted; a key already present is summed). Cheap when keys come in
 * order (a delta, a split); to build from unordered keys, use drop_snapshot_from_slots. */
int drop_snapshot_add(struct drop_snapshot *s, const struct drop_key *k, uint64_t packets,
		      uint64_t bytes);
/* after - before, row by row; rows that did not move are left out. */
int drop_snapshot_delta(const struct drop_snapshot *before, const struct drop_snapshot *after,
			struct drop_snapshot *out);
void drop_snapshot_free(struct drop_snapshot *s);

/* Interface names recorded by the kernel side (ifnames map), for rows whose device is gone. */
struct ifname_entry {
	struct ifname_key key;
	char name[16];
};

struct ifname_table {
	struct ifname_entry *v;
	size_t n;
};

int ifname_table_read(int ifnames_fd, struct ifname_table *t);
/* The name, or NULL if unknown. */
const char *ifname_table_find(const struct ifname_table *t, uint32_t netns, uint32_t ifindex);
void ifname_table_free(struct ifname_table *t);

/* Everything the renderings need to turn numbers into names. */
struct name_ctx {
	const struct reason_table *reasons;
	const struct ksyms *ksyms;	     /* NULL: locations print as addresses */
	const struct ifname_table *ifnames;  /* NULL: resolve in our own namespace only */
	uint32_t self_netns;
};

/* One line of the report: drops that share reason, namespace, interface, queue, protocol and
 * the function that freed them. */
struct drop_group {
	uint32_t reason;
	uint32_t netns;
	uint32_t ifindex;
	uint32_t queue;
	uint8_t queue_kind;
	uint8_t l4_proto;
	uint16_t l3_proto;
	bool folded;
	char location[128]; /* function name, "" when unknown */
	char module[64];    /* the function's module, "" when built in or unknown */
	uint64_t packets, bytes;
};

struct reason_total {
	uint32_t reason;
	uint64_t packets, bytes;
};

struct netns_total {
	uint32_t netns;
	uint64_t packets;
	uint32_t top_reason;
	uint64_t top_packets;
};

struct drop_report {
	struct drop_group *groups; /* most packets first */
	size_t ngroups;
	struct reason_total *reasons; /* most packets first */
	size_t nreasons;
	struct netns_total *netns; /* most packets first */
	size_t nnetns;
	uint64_t packets, bytes;
};

int drop_report_build(const struct drop_snapshot *s, const struct name_ctx *names,
		      struct drop_report *r);
void drop_report_free(struct drop_report *r);

/* "udp", "tcp", "icmp", "arp", "ipv6", ..., or NULL when nothing is known. */
const char *protocol_name(uint16_t l3_proto, uint8_t l4_proto, char *buf, size_t size);
/* "rx0", "tx1", "cpu3", "udp:9999", "tcp:ephemeral", or NULL for DS_Q_NONE. */
const char *queue_name(uint8_t kind, uint32_t queue, uint8_t l4_proto, char *buf, size_t size);
/* The interface's name, or NULL when the drop has none. */
const char *group_ifname(const struct name_ctx *names, uint32_t netns, uint32_t ifindex,
			 char *buf, size_t size);
/* "self", the /run/netns name, or "netns:<inode>". */
const char *netns_label(const struct name_ctx *names, uint32_t netns, char *buf, size_t size);

struct text_opts {
	double seconds;			  /* what r covers: rates are count / seconds; < 0: the
					   * time is unknown, and so are the rates ("-") */
	const struct drop_report *recent; /* if set, rates come from it instead (live view) */
	double recent_seconds;
	int max_detail; /* groups shown under each reason */
	bool color;
};

/*
 * The human table: reasons with count, rate, share and a bar, each followed by its top
 * groups (namespace, interface, queue, protocol, location), then the namespaces.
 */
void drop_report_text(const struct drop_report *r, const struct name_ctx *names,
		      const struct text_opts *o, FILE *f);
/* The JSON "drops" array (one object per group), written under key. */
void drop_report_json(const struct drop_report *r, const struct name_ctx *names,
		      struct json_writer *j, const char *key);
/* The JSON array of namespaces (netns, name, count, top_reason), written under key: trace's
 * "netns", diagnose's "other_namespaces". */
void drop_report_netns_json(const struct drop_report *r, const struct name_ctx *names,
			    struct json_writer *j, const char *key);

#endif
