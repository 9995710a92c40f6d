// SPDX-License-Identifier: GPL-2.0
/*
 * labtool: the traffic the lab tests need, run inside a lab namespace.
 *
 *   labtool udp-sink ADDR PORT RCVBUF          bound UDP socket that never reads
 *   labtool udp-send ADDR PORT COUNT [SIZE]     send exactly COUNT datagrams, then exit; from
 *                                               port $LABTOOL_SPORT when set, and with
 *                                               $LABTOOL_IPOPTS bytes of NOP IP options (IPv4)
 *                                               or of hop-by-hop header (IPv6)
 *   labtool udp-flood ADDR PORT SECONDS [SIZE]  sendmmsg as fast as possible; prints
 *                                               "packets N cpu_s X wall_s Y"
 *   labtool icmp-flood ADDR SECONDS RATE        ICMP echo requests at RATE a second (raw
 *                                               socket); prints "packets N wall_s Y"
 *   labtool tcp-listen ADDR PORT BACKLOG        listener that never accepts
 *   labtool tcp-connect ADDR PORT COUNT         COUNT non-blocking connects, held 2 s
 *
 * Every loop is bounded in count and time: a sink or listener exits after 600 s on its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIFETIME_S 600

static int parse_addr(const char *host, const char *port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(p);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		*len = sizeof(*in6);
		return 0;
	}
	fprintf(stderr, "labtool: bad address '%s'\n", host);
	exit(2);
}

static int sock_for(const char *host, const char *port, int type, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	int fd;

	parse_addr(host, port, ss, len);
	fd = socket(ss->ss_family, type, 0);
	if (fd < 0) {
		perror("labtool: socket");
		exit(1);
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hold(void)
{
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < MAX_LIFETIME_S; i++)
		sleep(1);
}

static int udp_sink(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = sock_for(argv[0], argv[1], SOCK_DGRAM, &ss, &len);
	int rcvbuf = atoi(argv[2]);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		perror("labtool: udp-sink");
		return 1;
	}
	hold();
	return 0;
}

#define BATCH 64

static int udp_send_batch(int fd, const struct sockaddr_storage *ss, socklen_t len, char *buf,
			  size_t size, int n)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	for (int i = 0; i < n; i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = size;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = (void *)ss;
		msgs[i].msg_hdr.msg_namelen = len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return sendmmsg(fd, msgs, n, 0);
}

/* The number in environment variable name, in [lo, hi] with step dividing it (0 when unset);
 * -1 after a one-line error when it is not one. */
static long env_num(const char *name, long lo, long hi, long step)
{
	const char *s = getenv(name);
	char *end;
	long n;

	if (!s)
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < lo || n > hi || n % step) {
		if (step > 1)
			fprintf(stderr,
				"labtool: %s must be a multiple of %ld in [%ld, %ld], not '%s'\n",
				name, step, lo, hi, s);
		else
			fprintf(stderr, "labtool: %s must be a number in [%ld, %ld], not '%s'\n",
				name, lo, hi, s);
		return -1;
	}
	return n;
}

/* IPv4: n bytes of NOP options. IPv6: a hop-by-hop header of n bytes, one PadN option. */
static int set_ipopts(int fd, int family, long n)
{
	unsigned char opts[40] = { 0 };

	if (family == AF_INET) {
		memset(opts, 1, sizeof(opts)); /* IPOPT_NOOP */
		if (setsockopt(fd, IPPROTO_IP, IP_OPTIONS, opts, n)) {
			perror("labtool: IP_OPTIONS");
			return 1;
		}
		return 0;
	}
	if (n % 8) {
		fprintf(stderr, "labtool: LABTOOL_IPOPTS must be a multiple of 8 for IPv6\n");
		return 2;
	}
	/* next header (the kernel's), length in 8 bytes past the first, PadN over the rest */
	opts[1] = n / 8 - 1;
	opts[2] = 1;
	opts[3] = n - 4;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_HOPOPTS, opts, n)) {
		perror("labtool: IPV6_HOPOPTS");
		return 1;
	}
	return 0;
}

/*
 * The source port and IP options of udp-send, from the environment (tests that assert the exact
 * ports and parse past a longer IP header): bind to $LABTOOL_SPORT, and add $LABTOOL_IPOPTS
 * bytes (a multiple of 4, at most 40; of 8 for IPv6) of no-op options to the packets.
 */
static int udp_send_setup(int fd, int family)
{
	long n = env_num("LABTOOL_IPOPTS", 0, 40, 4), port = env_num("LABTOOL_SPORT", 0, 65535, 1);
	int err;

	if (n < 0 || port < 0)
		return 2;
	if (n) {
		err = set_ipopts(fd, family, n);
		if (err)
			return err;
	}
	if (port) {
		struct sockaddr_storage local;
		char buf[8];
		socklen_t len;

		snprintf(buf, sizeof(buf), "%ld", port);
		parse_addr(family == AF_INET ? "0.0.0.0" : "::", buf, &local, &len);
		if (bind(fd, (struct sockaddr *)&local, len)) {
			perror("labtool: bind");
			return 1;
		}
	}
	return 0;
}

/* Exactly COUNT datagrams leave the socket: a send refused by the host (EPERM from a firewall
 * drop, ENOBUFS from a full qdisc) still counts as one packet handed to the kernel. */
static int udp_send(char **argv, int argc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = sock_for(argv[0], argv[1], SOCK_DGRAM, &ss, &len);
	long count = atol(argv[2]);
	size_t size = argc > 3 ? (size_t)atol(argv[3]) : 32;
	char buf[65536] = { 0 };
	long sent = 0;
	int err = udp_send_setup(fd, ss.ss_family);

	if (err)
		return err;
	if (size > sizeof(buf))
		size = sizeof(buf);
	/* Not zeros: ports read by mistake from a later fragment's payload must not look like
	 * the zeros a reader gives it. */
	memset(buf, 0xa5, size);
	while (sent < count) {
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&ss, len) < 0 && errno != EPERM &&
		    errno != ENOBUFS && errno != ECONNREFUSED) {
			perror("labtool: sendto");
			return 1;
		}
		sent++;
	}
	printf("sent %ld\n", sent);
	return 0;
}

static int udp_flood(char **argv, int argc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = sock_for(argv[0], argv[1], SOCK_DGRAM, &ss, &len);
	double seconds = atof(argv[2]), start, wall;
	size_t size = argc > 3 ? (size_t)atol(argv[3]) : 18;
	char buf[2048] = { 0 };
	long packets = 0;
	struct rusage ru;

	if (seconds <= 0 || seconds > 120 || size > sizeof(buf)) {
		fprintf(stderr, "labtool: udp-flood: seconds must be in (0, 120]\n");
		return 2;
	}
	start = now();
	while (now() - start < seconds) {
		for (int i = 0; i < 16; i++) {
			int n = udp_send_batch(fd, &ss, len, buf, size, BATCH);

			/* A firewall drop fails the first message of the batch with EPERM. */
			if (n < 0 && errno != EPERM && errno != ENOBUFS) {
				perror("labtool: sendmmsg");
				return 1;
			}
			packets += n < 0 ? 1 : n;
		}
	}
	wall = now() - start;
	getrusage(RUSAGE_SELF, &ru);
	printf("packets %ld cpu_s %.6f wall_s %.6f\n", packets,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		       ru.ru_stime.tv_usec / 1e6,
	       wall);
	return 0;
}

/* Paced, one a send: a firewall's drop at output fails each send (EPERM), so batches gain nothing.
 */
static int icmp_flood(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	double seconds = atof(argv[1]), rate = atof(argv[2]), start, t;
	unsigned char echo[16] = {0};
	long packets = 0, slot = 0;
	int fd;

	if (seconds <= 0 || seconds > 120 || rate <= 0 || rate > 1e7) {
		fprintf(stderr, "labtool: icmp-flood: seconds in (0, 120], rate in (0, 1e7]\n");
		return 2;
	}
	parse_addr(argv[0], "0", &ss, &len);
	fd = socket(ss.ss_family, SOCK_RAW,
		    ss.ss_family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0) {
		perror("labtool: socket");
		return 1;
	}
	echo[0] = ss.ss_family == AF_INET ? 8 : 128; /* echo request */
	start = now();
	while ((t = now() - start) < seconds) {
		/* Those due by now (slot), but at most a millisecond's worth behind: a slow
		 * machine sends fewer, and says so in its count. */
		long due = (long)(t * rate);

		if (due - slot > rate / 1000 + 1)
			slot = due - (long)(rate / 1000) - 1;
		for (; slot < due; slot++) {
			if (sendto(fd, echo, sizeof(echo), 0, (struct sockaddr *)&ss, len) < 0 &&
			    errno != EPERM && errno != ENOBUFS) {
				perror("labtool: sendto");
				return 1;
			}
			packets++;
		}
	}
	printf("packets %ld wall_s %.6f\n", packets, now() - start);
	return 0;
}

static int tcp_listen(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = sock_for(argv[0], argv[1], SOCK_STREAM, &ss, &len);
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, atoi(argv[2]))) {
		perror("labtool: tcp-listen");
		return 1;
	}
	hold();
	return 0;
}

static int tcp_connect(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long count = atol(argv[2]);

	if (count < 1 || count > 4096) {
		fprintf(stderr, "labtool: tcp-connect: COUNT must be in [1, 4096]\n");
		return 2;
	}
	for (long i = 0; i < count; i++) {
		int fd = sock_for(argv[0], argv[1], SOCK_STREAM, &ss, &len);

		fcntl(fd, F_SETFL, O_NONBLOCK);
		if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
			perror("labtool: connect");
			return 1;
		}
	}
	/* Keep the sockets open while the SYNs and their retries are dropped. */
	sleep(2);
	printf("connected %ld\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "udp-sink"))
		return udp_sink(argv + 2);
	if (argc >= 5 && !strcmp(argv[1], "udp-send"))
		return udp_send(argv + 2, argc - 2);
	if (argc >= 5 && !strcmp(argv[1], "udp-flood"))
		return udp_flood(argv + 2, argc - 2);
	if (argc >= 5 && !strcmp(argv[1], "icmp-flood"))
		return icmp_flood(argv + 2);
	if (argc >= 5 && !strcmp(argv[1], "tcp-listen"))
		return tcp_listen(argv + 2);
	if (argc >= 5 && !strcmp(argv[1], "tcp-connect"))
		return tcp_connect(argv + 2);
	fprintf(stderr, "usage: labtool "
			"udp-sink|udp-send|udp-flood|icmp-flood|tcp-listen|tcp-connect ...\n");
	return 2;
}
