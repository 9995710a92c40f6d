// SPDX-License-Identifier: GPL-2.0
/*
 * The host's next hops toward the target from an rtnetlink reply (probe_route_parse_nexthops),
 * on replies built here as the kernel writes them: a plain route, a multipath one, a nexthop
 * object it does not expand, an error, and truncated or malformed ones. Then the kernel's own
 * answer for loopback (one next hop), when netlink is there to ask.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_route.h"
#include "tap.h"

static uint8_t buf[1024];
static size_t len;

/* A reply: one RTM_NEWROUTE message, attributes appended by attr(). */
static void reply(void)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;

	memset(buf, 0, sizeof(buf));
	len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg));
	h->nlmsg_type = RTM_NEWROUTE;
	h->nlmsg_len = (uint32_t)len;
}

static void attr(unsigned short type, const void *data, size_t n)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct rtattr *a = (struct rtattr *)(buf + len);

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	memcpy(RTA_DATA(a), data, n);
	len += RTA_SPACE(n);
	h->nlmsg_len = (uint32_t)len;
}

/* RTA_MULTIPATH with n next hops, each with an RTA_GATEWAY inside. */
static void multipath(int n)
{
	uint8_t nhs[256] = {0};
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		struct rtnexthop *nh = (struct rtnexthop *)(nhs + off);
		struct rtattr *gw = (struct rtattr *)(nhs + off + RTNH_LENGTH(0));
		uint8_t a[4] = {10, 0, 0, (uint8_t)(i + 1)};

		nh->rtnh_len = (unsigned short)RTNH_LENGTH(RTA_SPACE(4));
		nh->rtnh_ifindex = i + 2;
		gw->rta_type = RTA_GATEWAY;
		gw->rta_len = RTA_LENGTH(4);
		memcpy(RTA_DATA(gw), a, 4);
		off += RTNH_ALIGN(nh->rtnh_len);
	}
	attr(RTA_MULTIPATH, nhs, off);
}

int main(void)
{
	uint32_t oif = 2, nh_id = 7, table = 254;
	uint8_t dst[4] = {192, 0, 2, 1}, gw[4] = {10, 0, 0, 1}, lo[4] = {127, 0, 0, 1};
	struct nlmsgerr *e;
	int n;

	reply();
	attr(RTA_TABLE, &table, 4);
	attr(RTA_DST, dst, 4);
	attr(RTA_GATEWAY, gw, 4);
	attr(RTA_OIF, &oif, 4);
	is_int(probe_route_parse_nexthops(buf, len), 1, "a route with one gateway: 1 next hop");

	reply();
	attr(RTA_TABLE, &table, 4);
	multipath(2);
	is_int(probe_route_parse_nexthops(buf, len), 2, "RTA_MULTIPATH with 2 next hops: 2");
	reply();
	multipath(3);
	attr(RTA_TABLE, &table, 4);
	is_int(probe_route_parse_nexthops(buf, len), 3, "3 next hops, another attribute after");

	reply();
	attr(RTA_NH_ID, &nh_id, 4);
	is_int(probe_route_parse_nexthops(buf, len), 0,
	       "a nexthop object the kernel does not expand: unknown (0), not 1");
	reply();
	attr(RTA_NH_ID, &nh_id, 4);
	attr(RTA_OIF, &oif, 4);
	is_int(probe_route_parse_nexthops(buf, len), 1,
	       "a nexthop object expanded to one interface: 1");

	reply();
	multipath(2);
	is_int(probe_route_parse_nexthops(buf, len - 4), -EBADMSG,
	       "a reply shorter than its header says: -EBADMSG");
	((struct rtnexthop *)(buf + len - RTNH_ALIGN(RTNH_LENGTH(RTA_SPACE(4))) -
			      0))->rtnh_len = 200;
	is_int(probe_route_parse_nexthops(buf, len), -EBADMSG,
	       "a next hop longer than its attribute: -EBADMSG");
	reply();
	attr(RTA_DST, dst, 4);
	((struct rtattr *)(buf + len - RTA_SPACE(4)))->rta_len = 2;
	is_int(probe_route_parse_nexthops(buf, len), -EBADMSG,
	       "an attribute shorter than its header: -EBADMSG");
	is_int(probe_route_parse_nexthops(buf, 3), -EBADMSG, "3 bytes: -EBADMSG");

	memset(buf, 0, sizeof(buf));
	((struct nlmsghdr *)buf)->nlmsg_type = NLMSG_ERROR;
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	e = NLMSG_DATA((struct nlmsghdr *)buf);
	e->error = -ENETUNREACH;
	is_int(probe_route_parse_nexthops(buf, NLMSG_LENGTH(sizeof(*e))), -ENETUNREACH,
	       "the kernel's error: returned as it is");

	/* Unit tests run anywhere: without rtnetlink, or loopback down (a fresh namespace), the
	 * kernel has no route to ask about; a route it gives must be loopback's one next hop. */
	n = probe_route_nexthops(AF_INET, lo, lo, 0);
	if (n < 0)
		printf("# no route to 127.0.0.1 here (%s): the kernel's answer is not checked\n",
		       strerror(-n));
	else
		is_int(n, 1, "the kernel's route to 127.0.0.1 has one next hop");
	return done_testing();
}
