// SPDX-License-Identifier: GPL-2.0
/*
 * dropscope-prober: the prober's process (probe_child.h), started by dropscope alone. A program
 * of its own so that this process, which lives beside the monitor for its whole life, holds
 * its own few pages and not a copy of the parent's page tables, heap and libraries: built
 * static, it links the prober and libc, not libbpf, libelf or zlib.
 *
 * Arguments (probe_child.c's child_exec writes them): the verbosity, the parent's pid, the stop
 * pipe, nobody's uid and gid, then the descriptor of each prober's end of its socket pair.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privs.h"
#include "probe_child.h"
#include "util.h"

#define MAX_PROBERS 4096
#define FIXED_ARGS PROBER_ARGS

int main(int argc, char **argv)
{
	unsigned long v[FIXED_ARGS], fd;
	static const unsigned long max[FIXED_ARGS] = { 16, INT32_MAX, INT32_MAX, UINT32_MAX - 1,
						       UINT32_MAX - 1 };
	size_t n = argc > FIXED_ARGS + 1 ? (size_t)argc - FIXED_ARGS - 1 : 0;
	int *fds;
	bool bad;
	sigset_t none;

	/* First: not dumpable, so that no process of our user takes the raw sockets (ptrace,
	 * pidfd_getfd) before privs_drop_all. The exec made us so already where the user cannot
	 * read this program (dropscope refuses to run it otherwise); this is in case it did not. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (argc == 2 && !strcmp(argv[1], PROBER_ASK_BUILD)) {
		struct prober_build b;

		prober_build_of_ours(&b);
		return write(1, &b, sizeof(b)) == (ssize_t)sizeof(b) ? 0 : 1;
	}
	fds = calloc(n + 1, sizeof(*fds));
	bad = !n || n > MAX_PROBERS || !fds;
	for (size_t i = 0; !bad && i < FIXED_ARGS; i++)
		bad = parse_ulong(argv[i + 1], 0, max[i], &v[i]) != 0;
	for (size_t i = 0; !bad && i < n; i++) {
		bad = parse_ulong(argv[FIXED_ARGS + 1 + i], 3, INT32_MAX, &fd) != 0;
		fds[i] = (int)fd;
	}
	if (bad) {
		ds_err("%s runs the prober for dropscope (diagnose, monitor), which starts it; it is "
		       "not a command",
		       PROBER_PROGRAM);
		return 2;
	}
	ds_verbose = (int)v[0];
	/* As in dropscope: a signal ends the run, whose answers are still given. The mask the
	 * exec kept is the forking thread's (the monitor blocks SIGTERM for its signalfd), so
	 * unblock them: the parent's death (SIGTERM) must reach us. */
	sigemptyset(&none);
	if (ds_install_signals() || sigprocmask(SIG_SETMASK, &none, NULL))
		return 1;
	privs_set_nobody((uid_t)v[3], (gid_t)v[4]);
	probe_child_main(fds, n, (int)v[2], (pid_t)v[1]);
}
