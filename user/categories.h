/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a drop reason means to an operator: its category, and which queue the packet was waiting
 * in. Decided from the reason's name, which is stable across kernels (its number is not).
 */
#ifndef DS_CATEGORIES_H
#define DS_CATEGORIES_H

#include <stdbool.h>
#include <stdint.h>

enum drop_category {
	CAT_CAPACITY,	 /* the host ran out of room: ring, backlog, socket buffer, memory, qdisc,
			  * listen queue */
	CAT_POLICY,	 /* something here chose to drop: netfilter, BPF, rp_filter, xfrm, tc */
	CAT_CORRUPTION,	 /* checksums, bad or truncated headers */
	CAT_ROUTING,	 /* no route, neighbour (ARP/ND) failures, martians, device down */
	CAT_NORMAL,	 /* protocol-normal: duplicates, closed sockets, other host, old data */
	CAT_UNSPECIFIED, /* NOT_SPECIFIED: the kernel gave no reason; see the location */
	CAT_UNCLASSIFIED, /* a reason neither the table nor the fallback of its name's shape
			   * knows, or a number BTF does not name */
	CAT_COUNT
};

/* "capacity", "policy", ...: the JSON spelling. */
const char *category_name(enum drop_category c);
/* "host capacity", "routing/neighbour", ...: the human spelling. */
const char *category_label(enum drop_category c);

/*
 * Category of a reason name without the SKB_DROP_REASON_ prefix ("QDISC_DROP"): from the
 * table, else from the shape of the name (reason_category_by_shape), else CAT_UNCLASSIFIED.
 * Never an error: kernels add reasons faster than the table learns them.
 */
enum drop_category reason_category(const char *name);
/* Whether the table has a rule for the name (exact, or a prefix such as TCP_*). */
bool reason_in_table(const char *name);
/*
 * The fallback for a name the table lacks, from words in it (README, "Reading it"), tried in
 * this order: *CSUM*, *HDR*, *TRUNC*, *MALFORMED*, *TOO_SMALL*, *INVALID_FRAME* corruption;
 * *NOMEM*, *_MEM, *MEMALLOC*, *FULL*, *OVERFLOW*, *OVERLIMIT*, *BACKLOG*, *RCVBUF* host
 * capacity; *NETFILTER*, *POLICY*, *FILTER*, *BPF*, *SECURITY* policy; *ROUTE*, *NEIGH*
 * routing. Never protocol-normal, which would hide a drop from diagnose. CAT_UNCLASSIFIED when
 * nothing matches.
 */
enum drop_category reason_category_by_shape(const char *name);
/*
 * The category of a drop given where it happened too (the kernel function, or NULL): some
 * reasons cover two things. IP_INHDR is a bad header, but also a TTL (hop limit) that ran out
 * while forwarding, which ip_forward and ip6_forward report under the same reason: that is
 * traceroute working, not corruption.
 */
enum drop_category reason_category_at(const char *name, const char *location);
/*
 * Whether diagnose counts drops of this category as this host's loss: host capacity,
 * corruption, routing. Policy and unclassified drops count only when they hit the prober's
 * packets (a reason newer than the table must not make a healthy host look lossy);
 * protocol-normal and unspecified never.
 */
bool category_is_loss(enum drop_category c);
/* enum ds_queue_kind (bpf/dropscope.h) of a reason name. */
uint8_t reason_queue_kind(const char *name);

#endif
