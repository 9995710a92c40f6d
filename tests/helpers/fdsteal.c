// SPDX-License-Identifier: GPL-2.0
/*
 * fdsteal SECONDS READYFILE: for SECONDS, try to take the descriptors 3..40 of every dropscope
 * process of our real uid (pidfd_getfd), as another process of a user running dropscope with
 * file capabilities could. Each dropscope is seen by a scan of /proc every millisecond; the
 * 16 pids after it are tried at every turn, so that its forked child is held (a pidfd) from
 * before its exec of the prober's program to its end. Creates READYFILE once started; prints
 * "GOT TRIES": the descriptors taken (0 when the processes are not dumpable) and the attempts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#define MAXP 256

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A dropscope (before or after its exec: "dropscope", "dropscope-probe") whose real uid is ours. */
static int ours(int pid)
{
	char path[64], buf[4096];
	unsigned uid = ~0u;
	FILE *f;
	int named = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "Name:\tdropscope", 15))
			named = 1;
		sscanf(buf, "Uid:\t%u", &uid);
	}
	fclose(f);
	return named && uid == getuid();
}

int main(int argc, char **argv)
{
	static char seen[1 << 22];
	int want[MAXP], held[MAXP], nwant = 0, nheld = 0;
	long got = 0, tries = 0;
	double end, scan = 0;
	FILE *ready;

	if (argc != 3)
		return 2;
	end = now() + atof(argv[1]);
	ready = fopen(argv[2], "w");
	if (!ready)
		return 1;
	fclose(ready);
	while (now() < end) {
		if (now() > scan) {
			DIR *d = opendir("/proc");
			struct dirent *e;

			scan = now() + 0.001;
			while (d && (e = readdir(d))) {
				int pid = atoi(e->d_name);

				if (pid <= 0 || pid >= (int)sizeof(seen) || seen[pid])
					continue;
				seen[pid] = 1;
				for (int k = 0; ours(pid) && k < 16 && nwant < MAXP; k++)
					want[nwant++] = pid + k;
			}
			if (d)
				closedir(d);
		}
		for (int i = 0; i < nwant; i++) {
			int fd = syscall(SYS_pidfd_open, want[i], 0);

			if (fd < 0 && errno == ESRCH)
				continue; /* not yet */
			if (fd >= 0 && ours(want[i]) && nheld < MAXP) {
				held[nheld++] = fd;
			} else if (fd >= 0) {
				close(fd);
			}
			want[i--] = want[--nwant];
		}
		for (int i = 0; i < nheld; i++) {
			for (int t = 3; t <= 40; t++) {
				int fd = syscall(SYS_pidfd_getfd, held[i], t, 0);

				tries++;
				if (fd >= 0) {
					got++;
					close(fd);
				} else if (errno == ESRCH) {
					close(held[i]);
					held[i] = held[--nheld];
					i--;
					break;
				}
			}
		}
	}
	printf("%ld %ld\n", got, tries);
	return 0;
}
