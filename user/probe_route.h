/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How many next hops this host's own routing table gives toward the target: MDA's stopping rule
 * asks at every hop how many next hops the previous one has, and for the first hop the previous
 * one is this host, whose answer is exact (prober.c spends no flows to estimate it then).
 */
#ifndef DS_PROBE_ROUTE_H
#define DS_PROBE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Ask the kernel for the route entry that matches dst from src (may be NULL) out of interface
 * oif (0: any) (RTM_GETROUTE with RTM_F_FIB_MATCH, Linux 4.13: the entry itself, all of a
 * multipath route's next hops, not the one picked for this flow). Addresses are 4 or 16 bytes by
 * family. Returns the number of next hops (1 or more), 0 if the reply does not say (a nexthop
 * group the kernel does not expand), or -errno. Prints nothing.
 */
int probe_route_nexthops(int family, const uint8_t *dst, const uint8_t *src, unsigned int oif);

/*
 * Pure: the next hops in a netlink reply to that request (buf, len as received): RTA_MULTIPATH's
 * entries, or 1 for a route without it; 0 if it names a nexthop object (RTA_NH_ID) and neither
 * its next hops nor an output interface; the netlink error (negative) of an NLMSG_ERROR; -EBADMSG
 * for a truncated or malformed reply, or one with no route in it.
 */
int probe_route_parse_nexthops(const void *buf, size_t len);

#endif
