/* SPDX-License-Identifier: GPL-2.0 */
/* Network namespaces named the way operators name them: self, all, a name under /run/netns, a path. */
#ifndef DS_NETNS_H
#define DS_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netns_ref {
	bool all;	/* "all": no single namespace; fd is -1 and inode 0 */
	int fd;		/* open namespace file, or -1 */
	uint32_t inode; /* the namespace's inode number: what the kernel side reports */
	char name[256]; /* what the user gave, for messages */
};

/*
 * Resolve "self" (or NULL), "all", a name from `ip netns` (/run/netns/NAME) or a path such as
 * /proc/PID/ns/net. Returns 0, or -ENOENT / -EINVAL / -errno; the caller prints the message.
 */
int netns_resolve(const char *spec, struct netns_ref *out);
/*
 * The one message for a namespace that cannot be used, err from netns_resolve (verb "open") or
 * netns_enter ("enter"): "unknown network namespace 'X': ..." when there is no such name or
 * file, else "failed to VERB network namespace 'X': <why>" and what to do.
 */
void netns_report(const char *verb, const char *spec, int err);
void netns_close(struct netns_ref *ns);

/* The calling thread's own network namespace inode (threads may sit in different ones). */
uint32_t netns_self_inode(void);

/*
 * Move the calling thread into ns (no-op for self/all); *saved gets a handle to return with
 * netns_leave. Both return 0 or -errno.
 */
int netns_enter(const struct netns_ref *ns, int *saved);
int netns_leave(int saved);

/* A name for a namespace inode: "self" for our own, its /run/netns name, or "" if unnamed. */
void netns_name_of(uint32_t inode, char *buf, size_t size);

#endif
