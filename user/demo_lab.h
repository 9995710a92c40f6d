/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The demo's example network, built with the system's own tools (ip, nft, tc, sysctl): a chain
 * of network namespaces joined by veth pairs,
 *
 *     host --- r1 --- r2 --- ... --- rN --- dst
 *
 * laid out like the test lab (scripts/lab.sh): link k is 10.77.k.0/24, its left end .1 and its
 * right end .2; in each namespace eth0 faces host and eth1 faces dst. Nothing in it talks to
 * anything outside; everything it makes is removed by demolab_destroy.
 *
 * A demo killed with SIGKILL cannot tear its lab down, so every lab has a lock file,
 * DEMOLAB_LOCK_DIR/demo-TAG.lock, that its owner holds an exclusive flock(2) on for the lab's
 * whole life. The kernel releases the lock however the owner dies, so a lab whose lock is free
 * is an orphan, whatever became of its owner's pid, and demolab_reap removes it.
 */
#ifndef DS_DEMOLAB_H
#define DS_DEMOLAB_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define DEMOLAB_MAX_ROUTERS 4
#define DEMOLAB_MAX_CHILDREN 8

struct demolab {
	int routers;
	char tag[24];						/* unique part of every name */
	int lock_fd;						/* flock held while the lab lives */
	char ns[DEMOLAB_MAX_ROUTERS + 2][48];			/* host, r1..rN, dst */
	int nns;						/* namespaces made so far */
	pid_t children[DEMOLAB_MAX_CHILDREN];			/* traffic generators */
	int nchildren;
	char dst4[16];						/* the destination's address */
};

/* Node index: 0 host, 1..routers the routers, routers + 1 dst. */
#define DEMOLAB_HOST 0
#define DEMOLAB_DST(lab) ((lab)->routers + 1)

#define DEMOLAB_LOCK_DIR "/run/dropscope"

/*
 * Take the lab's lock, then build the chain (routers 1..DEMOLAB_MAX_ROUTERS). On failure,
 * nothing is left behind; errors are printed.
 */
int demolab_create(struct demolab *lab, int routers);
/* Kill the traffic generators, delete the namespaces, then drop the lock. Idempotent. */
void demolab_destroy(struct demolab *lab);
/*
 * Remove the labs of demos that are gone (their lock is free): namespaces, veths left in ours,
 * the lock file. Live labs are left alone. Names each lab removed on report (NULL: quiet).
 * Returns how many were removed, or -errno if the lock directory cannot be read.
 */
int demolab_reap(FILE *report);

/* Run a command (argv, NULL-terminated) inside node's namespace; stdin_text may be NULL. */
int demolab_exec(struct demolab *lab, int node, const char *stdin_text, const char *const argv[]);
/* Load an nft ruleset into a node. */
int demolab_nft(struct demolab *lab, int node, const char *ruleset);
/* Linux's ICMP error rate limit at a node, in ms (0 off; 1000 is the kernel's default). */
int demolab_icmp_ratelimit(struct demolab *lab, int node, int ms);

/* Traffic, in child processes that live until demolab_destroy (or max_s seconds). */
int demolab_udp_sink(struct demolab *lab, int node, int port, int rcvbuf);
int demolab_udp_flood(struct demolab *lab, int node, const char *dst, int port, int pps,
		      int size, double max_s);

/* Enter / leave a node's namespace on the calling thread. */
int demolab_enter(struct demolab *lab, int node, int *saved);

#endif
