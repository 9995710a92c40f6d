// SPDX-License-Identifier: GPL-2.0
/* The prober's resolvers: the target's address, and reverse DNS of the hops in threads. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "probe_resolve.h"
#include "util.h"

#define RESOLVER_MAX 512   /* addresses the resolver keeps */
#define RESOLVER_THREADS 8 /* lookups at once */

bool probe_is_v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};

	return !memcmp(a, prefix, sizeof(prefix));
}

/* --- the target ------------------------------------------------------------------------- */

/*
 * A target that is not one host cannot be probed: what answers a multicast or broadcast probe is
 * every listener (or this host's own looped-back copy), and the unspecified address means this
 * host. NULL when addr is a host's address (as far as the address alone tells; a subnet's
 * broadcast address is found by the route lookup).
 */
static const char *not_a_host(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (family == AF_INET6) {
		if (!memcmp(a, zero, 16))
			return "the unspecified address";
		if (a[0] == 0xff)
			return "a multicast address";
		return NULL;
	}
	if (!memcmp(a, zero, 4))
		return "the unspecified address";
	if (a[0] == 0) /* 0.0.0.0/8, "this network": a source, never a destination (RFC 1122) */
		return "an address of 'this network' (0.0.0.0/8)";
	if (!memcmp(a, "\xff\xff\xff\xff", 4))
		return "the broadcast address";
	if ((a[0] & 0xf0) == 0xe0)
		return "a multicast address";
	return NULL;
}

/* Refuse a target that is not one host (one line, -EINVAL: bad input). */
static int check_target(const char *target, const struct sockaddr_storage *ss)
{
	const uint8_t *a = ss->ss_family == AF_INET6
				   ? ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr
				   : (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	const char *what = not_a_host(ss->ss_family, a);
	char text[INET6_ADDRSTRLEN];

	if (!what)
		return 0;
	inet_ntop(ss->ss_family, a, text, sizeof(text));
	ds_err("failed to probe %s (%s%s%s, not one host); give a host's address", target,
	       strcmp(target, text) ? text : "", strcmp(target, text) ? ": " : "", what);
	return -EINVAL;
}

/* Turn an IPv4-mapped IPv6 address into the IPv4 address it is. */
static void unmap_v4(struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET};

	memcpy(&s4.sin_addr, ((struct sockaddr_in6 *)ss)->sin6_addr.s6_addr + 12, 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
	*len = sizeof(s4);
}

int probe_resolve_target(const struct probe_config *cfg, struct sockaddr_storage *ss,
			 socklen_t *len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
	uint8_t tmp[16];
	int rc;

	/* An address literal of the other family is a usage error, whatever DNS says. */
	if (cfg->family == AF_INET && inet_pton(AF_INET6, cfg->target, tmp) == 1) {
		ds_err("failed to probe %s: it is an IPv6 address and -4 asks for IPv4; drop -4",
		       cfg->target);
		return -EAFNOSUPPORT;
	}
	if (cfg->family == AF_INET6 && inet_pton(AF_INET, cfg->target, tmp) == 1) {
		ds_err("failed to probe %s: it is an IPv4 address and -6 asks for IPv6; drop -6",
		       cfg->target);
		return -EAFNOSUPPORT;
	}
	hints.ai_family = cfg->family;
	rc = getaddrinfo(cfg->target, NULL, &hints, &res);
	if (rc && cfg->family != AF_UNSPEC && rc != EAI_SYSTEM && rc != EAI_AGAIN) {
		struct addrinfo *any = NULL;

		hints.ai_family = AF_UNSPEC;
		if (!getaddrinfo(cfg->target, NULL, &hints, &any)) {
			freeaddrinfo(any);
			ds_err("failed to resolve %s: it has no %s address; drop %s", cfg->target,
			       cfg->family == AF_INET ? "IPv4" : "IPv6",
			       cfg->family == AF_INET ? "-4" : "-6");
			return -EAFNOSUPPORT;
		}
	}
	if (rc) {
		int err = errno;

		ds_err("failed to resolve host '%s': %s; check the name or give an address",
		       cfg->target, rc == EAI_SYSTEM ? strerror(err) : gai_strerror(rc));
		return -ENOENT;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET6 &&
	    probe_is_v4mapped(((struct sockaddr_in6 *)ss)->sin6_addr.s6_addr)) {
		/* A name whose AAAA record is IPv4-mapped (literals were unmapped already). */
		if (cfg->family == AF_INET6) {
			ds_err("failed to probe %s: its address is IPv4 (IPv4-mapped) and -6 asks "
			       "for IPv6; drop -6",
			       cfg->target);
			return -EAFNOSUPPORT;
		}
		unmap_v4(ss, len);
	}
	return check_target(cfg->target, ss);
}

/* --- reverse DNS in threads of its own --------------------------------------------------- */

enum { DNS_PENDING, DNS_BUSY, DNS_DONE };

struct dns_entry {
	uint8_t addr[16];
	int state;
	char name[256];
};

/*
 * Shared by the prober and its lookup threads; whoever drops the last reference frees it, so
 * that prober_close never waits on a slow DNS server. Up to RESOLVER_THREADS lookups run at once:
 * one name that times out must not hold up the names after it.
 */
struct resolver {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	int refs;	     /* the prober's and one per thread */
	int threads, idle;
	bool quit;
	int family;
	size_t n, next;
	struct dns_entry e[RESOLVER_MAX];
};

void resolver_put(struct resolver *r)
{
	bool last;

	pthread_mutex_lock(&r->lock);
	last = --r->refs == 0;
	r->quit = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (last) {
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		free(r);
	}
}

void probe_sockaddr(int family, const uint8_t *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr, 4);
		*len = sizeof(*s4);
	}
}

static void *resolver_main(void *arg)
{
	struct resolver *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len;
		char name[256];
		size_t i;
		int rc;

		r->idle++;
		while (!r->quit && r->next == r->n)
			pthread_cond_wait(&r->cond, &r->lock);
		r->idle--;
		if (r->quit)
			break;
		i = r->next++;
		r->e[i].state = DNS_BUSY;
		probe_sockaddr(r->family, r->e[i].addr, &ss, &len);
		pthread_mutex_unlock(&r->lock);
		rc = getnameinfo((struct sockaddr *)&ss, len, name, sizeof(name), NULL, 0,
				 NI_NAMEREQD);
		pthread_mutex_lock(&r->lock);
		if (rc == 0)
			snprintf(r->e[i].name, sizeof(r->e[i].name), "%s", name);
		r->e[i].state = DNS_DONE;
		pthread_cond_broadcast(&r->cond);
	}
	r->threads--;
	pthread_mutex_unlock(&r->lock);
	resolver_put(r);
	return NULL;
}

/* One more lookup thread, with the lock held. Signals stay with the threads that check ds_stop. */
static void resolver_spawn(struct resolver *r)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t tid;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!pthread_create(&tid, &attr, resolver_main, r)) {
		r->refs++;
		r->threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

int resolver_start(int family, struct resolver **out)
{
	pthread_condattr_t ca;
	struct resolver *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->family = family;
	r->refs = 1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = r;
	return 0;
}

void resolver_request(struct resolver *r, const uint8_t *addr, size_t alen)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++)
		if (!memcmp(r->e[i].addr, addr, alen))
			goto out;
	if (r->n < RESOLVER_MAX) {
		memset(&r->e[r->n], 0, sizeof(r->e[r->n]));
		memcpy(r->e[r->n].addr, addr, alen);
		r->n++;
		if (r->idle == 0 && r->threads < RESOLVER_THREADS)
			resolver_spawn(r);
		pthread_cond_broadcast(&r->cond);
	}
out:
	pthread_mutex_unlock(&r->lock);
}

void resolver_name(struct resolver *r, const uint8_t *addr, size_t alen, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n; i++)
		if (!memcmp(r->e[i].addr, addr, alen) && r->e[i].state == DNS_DONE)
			snprintf(buf, size, "%s", r->e[i].name);
	pthread_mutex_unlock(&r->lock);
}

/* Wait until every lookup asked for is answered, or the monotonic deadline. */
void resolver_wait(struct resolver *r, double deadline)
{
	struct timespec ts;

	if (!r)
		return;
	ts.tv_sec = (time_t)deadline;
	ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&r->lock);
	for (;;) {
		bool busy = r->next < r->n;

		for (size_t i = 0; i < r->n && !busy; i++)
			busy = r->e[i].state != DNS_DONE;
		if (!busy || ds_stop)
			break;
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&r->lock);
}
