// SPDX-License-Identifier: GPL-2.0
/*
 * netns_self_inode is the CALLING THREAD's namespace: the monitor's lookup thread asks it while
 * the main thread may be inside the server's namespace (-N), and netns_enter skips setns when
 * the two inodes agree.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "netns.h"
#include "tap.h"

struct seen {
	int err;
	uint32_t before, after, thread;
};

static uint32_t thread_inode(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/net", &st) ? 0 : (uint32_t)st.st_ino;
}

/* A thread that moves into a namespace of its own, as the main thread does under -N. */
static void *other_ns(void *arg)
{
	struct seen *s = arg;

	s->before = netns_self_inode();
	if (unshare(CLONE_NEWNET)) {
		s->err = errno;
		return NULL;
	}
	s->after = netns_self_inode();
	s->thread = thread_inode();
	return NULL;
}

int main(void)
{
	struct seen s = {0};
	pthread_t t;

	ok(netns_self_inode() != 0, "the main thread's namespace has an inode");
	ok(netns_self_inode() == thread_inode(), "the main thread's is its thread's");
	if (pthread_create(&t, NULL, other_ns, &s) || pthread_join(t, NULL)) {
		ok(0, "a thread starts");
		return done_testing();
	}
	is_int(s.before, netns_self_inode(), "a new thread starts in the process's namespace");
	if (s.err) {
		printf("# skip: unshare(CLONE_NEWNET): %s (needs root)\n", strerror(s.err));
		return done_testing();
	}
	ok(s.after != s.before, "after unshare a thread sees its own new namespace");
	is_int(s.after, s.thread, "the one /proc/thread-self/ns/net names");
	ok(netns_self_inode() == s.before, "while the main thread stays where it was");
	return done_testing();
}
