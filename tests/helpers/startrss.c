// SPDX-License-Identifier: GPL-2.0
/*
 * startrss [-a CMD] MARKER PROG ARGS...: run PROG, and report how long it took from exec until
 * a line of its stderr contains MARKER, and the most memory it ever held:
 *
 *     start_ms 12.3 maxrss_kb 4567
 *
 * After the marker, CMD (a shell command, e.g. one that makes drops) runs to its end, then PROG
 * gets SIGINT; maxrss is the child's ru_maxrss from wait4, over its whole life. PROG's stderr
 * is copied to ours up to the marker, its stdout goes to /dev/null. Gives up after 30 s.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	const char *after = NULL, *marker;
	char buf[4096];
	size_t len = 0;
	struct rusage ru;
	double t0, t1 = -1;
	int p[2], status, null;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "-a")) {
		after = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: startrss [-a CMD] MARKER PROG ARGS...\n");
		return 2;
	}
	marker = argv[1];
	if (pipe(p))
		return 1;
	t0 = now_ms();
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	close(p[1]);
	alarm(30);
	while (t1 < 0) {
		ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		fwrite(buf + len, 1, n, stderr);
		len += n;
		buf[len] = '\0';
		if (strstr(buf, marker))
			t1 = now_ms();
		else if (len > sizeof(buf) / 2) {
			/* Keep the tail, where a marker split across reads would be. */
			memmove(buf, buf + len - 256, 256);
			len = 256;
		}
	}
	if (t1 >= 0 && after && system(after) != 0)
		fprintf(stderr, "startrss: '%s' failed\n", after);
	kill(pid, SIGINT);
	/* Drain what it says on the way out, so it never blocks on a full pipe. */
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	if (wait4(pid, &status, 0, &ru) < 0 || t1 < 0) {
		fprintf(stderr, "startrss: no '%s' from %s\n", marker, argv[2]);
		return 1;
	}
	printf("start_ms %.1f maxrss_kb %ld\n", t1 - t0, ru.ru_maxrss);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
