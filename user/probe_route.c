// SPDX-License-Identifier: GPL-2.0
/* The host's own next hops toward the target (probe_route.h): one rtnetlink request. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "probe_route.h"

#ifndef RTM_F_FIB_MATCH
#define RTM_F_FIB_MATCH 0x2000
#endif
#ifndef RTA_NH_ID
#define RTA_NH_ID 30
#endif

/* RTA_MULTIPATH's payload: rtnexthop entries, each rtnh_len long (aligned). */
static int count_nexthops(const uint8_t *p, size_t len)
{
	int n = 0;

	while (len >= sizeof(struct rtnexthop)) {
		struct rtnexthop nh;

		memcpy(&nh, p, sizeof(nh));
		if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > len)
			return -EBADMSG;
		n++;
		if ((size_t)RTNH_ALIGN(nh.rtnh_len) >= len)
			break;
		p += RTNH_ALIGN(nh.rtnh_len);
		len -= RTNH_ALIGN(nh.rtnh_len);
	}
	return n ? n : -EBADMSG;
}

static int parse_route(const uint8_t *p, size_t len)
{
	size_t off = NLMSG_ALIGN(sizeof(struct rtmsg));
	bool nh_id = false, oif = false;

	if (len < off)
		return -EBADMSG;
	while (len - off >= sizeof(struct rtattr)) {
		struct rtattr a;

		memcpy(&a, p + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > len - off)
			return -EBADMSG;
		if (a.rta_type == RTA_MULTIPATH)
			return count_nexthops(p + off + RTA_LENGTH(0), a.rta_len - RTA_LENGTH(0));
		nh_id |= a.rta_type == RTA_NH_ID;
		oif |= a.rta_type == RTA_OIF;
		if ((size_t)RTA_ALIGN(a.rta_len) >= len - off)
			break;
		off += RTA_ALIGN(a.rta_len);
	}
	return nh_id && !oif ? 0 : 1;
}

int probe_route_parse_nexthops(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;

		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
			return -EBADMSG;
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (h.nlmsg_len < NLMSG_LENGTH(sizeof(e)))
				return -EBADMSG;
			memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
			return e.error < 0 ? e.error : -EBADMSG;
		}
		if (h.nlmsg_type == RTM_NEWROUTE)
			return parse_route(p + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN);
		if (NLMSG_ALIGN(h.nlmsg_len) >= len)
			break;
		p += NLMSG_ALIGN(h.nlmsg_len);
		len -= NLMSG_ALIGN(h.nlmsg_len);
	}
	return -EBADMSG;
}

/* Append an attribute to the request h (room checked by the caller's buffer size). */
static void put_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((uint8_t *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len);
}

int probe_route_nexthops(int family, const uint8_t *dst, const uint8_t *src, unsigned int oif)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
		uint8_t attr[2 * RTA_SPACE(16) + RTA_SPACE(4)];
	} req;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 1};
	size_t alen = family == AF_INET6 ? 16 : 4;
	uint32_t oif32 = oif;
	uint8_t buf[8192];
	ssize_t n;
	int fd, err;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.r));
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.r.rtm_family = (unsigned char)family;
	req.r.rtm_dst_len = (unsigned char)(alen * 8);
	req.r.rtm_flags = RTM_F_FIB_MATCH;
	put_attr(&req.h, RTA_DST, dst, alen);
	if (src) {
		req.r.rtm_src_len = (unsigned char)(alen * 8);
		put_attr(&req.h, RTA_SRC, src, alen);
	}
	if (oif)
		put_attr(&req.h, RTA_OIF, &oif32, sizeof(oif32));

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		goto cleanup;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	err = n < 0 ? -errno : probe_route_parse_nexthops(buf, (size_t)n);
cleanup:
	close(fd);
	return err;
}
