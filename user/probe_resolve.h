/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prober's resolvers: the target's name to one host's address (probe_resolve_target), and
 * reverse DNS of the hops, in threads of its own so that a slow DNS server never holds up probing.
 */
#ifndef DS_PROBE_RESOLVE_H
#define DS_PROBE_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probe_opts.h"

/* Whether a v6 address is IPv4-mapped (::ffff:a.b.c.d): an IPv4 host, written as IPv6. */
bool probe_is_v4mapped(const uint8_t *a);

/* addr (4 or 16 bytes by family) as a socket address with port 0; *len its length. */
void probe_sockaddr(int family, const uint8_t *addr, struct sockaddr_storage *ss, socklen_t *len);

/*
 * cfg->target to one address of cfg->family (AF_UNSPEC: the resolver's first answer), an
 * IPv4-mapped answer unmapped. Prints its own one-line error: -EAFNOSUPPORT no address of the
 * family asked for, -ENOENT unknown host, -EINVAL not one host (multicast, broadcast,
 * unspecified). 0 on success.
 */
int probe_resolve_target(const struct probe_config *cfg, struct sockaddr_storage *ss,
			 socklen_t *len);

/*
 * Reverse DNS. The prober holds one reference and each lookup thread another; whoever drops the
 * last frees it, so resolver_put never waits on a slow DNS server.
 */
struct resolver;

/* 0, or -ENOMEM. No thread starts before the first request. */
int resolver_start(int family, struct resolver **out);
/* Ask for addr's name (once per address; at most a few hundred addresses are kept). r may be NULL.
 */
void resolver_request(struct resolver *r, const uint8_t *addr, size_t alen);
/* addr's name into buf, "" when not (yet) known or r is NULL. */
void resolver_name(struct resolver *r, const uint8_t *addr, size_t alen, char *buf, size_t size);
/* Wait until every lookup asked for is answered, ds_stop, or deadline (mono_now() seconds). */
void resolver_wait(struct resolver *r, double deadline);
/* Drop the caller's reference; the threads wind down on their own. */
void resolver_put(struct resolver *r);

#endif
