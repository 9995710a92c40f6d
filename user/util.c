// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

volatile sig_atomic_t ds_stop;
int ds_verbose;

static void on_stop_signal(int sig)
{
	ds_stop = sig;
}

int ds_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* A hangup (a dropped ssh session) must not lose a long run's report: as SIGTERM. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	/* A closed pipe (dropscope ... | head) must not kill us before the summary. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void vmsg(const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "dropscope: %s\n", line);
}

void ds_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void ds_debug(const char *fmt, ...)
{
	va_list ap;

	if (!ds_verbose)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* Length of the plain decimal ("30", "2.5", ".5", "2.") at the start of s, 0 if there is none:
 * what strtod would also read as hex ("0x10"), an exponent ("1e2"), "inf" or "nan" is not one. */
static size_t decimal_len(const char *s)
{
	size_t n = strspn(s, "0123456789"), frac = 0;

	if (s[n] == '.')
		frac = 1 + strspn(s + n + 1, "0123456789");
	return n + frac > 1 || (n && !frac) ? n + frac : 0;
}

int parse_duration(const char *s, bool allow_zero, double *out)
{
	char *end;
	double v, scale = 1;
	size_t len;

	if (!s || !(len = decimal_len(s)))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end != s + len || !isfinite(v))
		return -EINVAL;
	if (!strcmp(end, "ms"))
		scale = 0.001;
	else if (!strcmp(end, "s") || !*end)
		scale = 1;
	else if (!strcmp(end, "m"))
		scale = 60;
	else if (!strcmp(end, "h"))
		scale = 3600;
	else
		return -EINVAL;
	v *= scale;
	if (v < 0 || (v == 0 && !allow_zero) || v > 86400)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

double mono_now(void)
{
	return mono_ns() / 1e9;
}

int sleep_until(double deadline)
{
	while (!ds_stop) {
		double left = deadline - mono_now();
		struct timespec ts;

		if (left <= 0)
			return 0;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
	return -EINTR;
}

enum ds_color_mode ds_color_mode = DS_COLOR_AUTO;

int parse_color_mode(const char *s)
{
	if (!strcmp(s, "auto"))
		ds_color_mode = DS_COLOR_AUTO;
	else if (!strcmp(s, "always"))
		ds_color_mode = DS_COLOR_ALWAYS;
	else if (!strcmp(s, "never"))
		ds_color_mode = DS_COLOR_NEVER;
	else
		return -EINVAL;
	return 0;
}

bool use_color(void)
{
	const char *nc = getenv("NO_COLOR");

	if (ds_color_mode != DS_COLOR_AUTO)
		return ds_color_mode == DS_COLOR_ALWAYS;
	return isatty(STDOUT_FILENO) && !(nc && *nc);
}

const char *plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

int array_reserve(void **arr, size_t *cap, size_t n, size_t elem_size)
{
	size_t c = *cap ? *cap : 16;
	void *v;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	v = realloc(*arr, c * elem_size);
	if (!v)
		return -ENOMEM;
	*arr = v;
	*cap = c;
	return 0;
}

/* Index of key, or of where it would go; *found says which. */
static size_t sorted_pos(const void *rows, size_t n, size_t row_size, const void *key,
			 size_t key_size, bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp((const char *)rows + mid * row_size, key, key_size);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

void *sorted_find(const void *rows, size_t n, size_t row_size, const void *key, size_t key_size)
{
	bool found;
	size_t pos = sorted_pos(rows, n, row_size, key, key_size, &found);

	return found ? (char *)rows + pos * row_size : NULL;
}

void *sorted_upsert(void **rows, size_t *n, size_t *cap, size_t row_size, const void *key,
		    size_t key_size)
{
	bool found;
	size_t pos = sorted_pos(*rows, *n, row_size, key, key_size, &found);
	char *r;

	if (found)
		return (char *)*rows + pos * row_size;
	if (array_reserve(rows, cap, *n + 1, row_size))
		return NULL;
	r = (char *)*rows + pos * row_size;
	memmove(r + row_size, r, (*n - pos) * row_size);
	memset(r, 0, row_size);
	memcpy(r, key, key_size);
	(*n)++;
	return r;
}

static int cmp_key(const void *a, const void *b, void *key_size)
{
	return memcmp(a, b, *(size_t *)key_size);
}

size_t sort_merge_rows(void *rows, size_t n, size_t row_size, size_t key_size,
		       size_t counters_off)
{
	char *r = rows;
	size_t out = 0;

	if (!n)
		return 0;
	qsort_r(rows, n, row_size, cmp_key, &key_size);
	for (size_t i = 1; i < n; i++) {
		char *dst = r + out * row_size, *src = r + i * row_size;

		if (!memcmp(dst, src, key_size)) {
			for (size_t off = counters_off; off + sizeof(uint64_t) <= row_size;
			     off += sizeof(uint64_t)) {
				uint64_t a, b;

				memcpy(&a, dst + off, sizeof(a));
				memcpy(&b, src + off, sizeof(b));
				a += b;
				memcpy(dst + off, &a, sizeof(a));
			}
		} else if (++out != i) {
			memcpy(r + out * row_size, src, row_size);
		}
	}
	return out + 1;
}

bool is_root(void)
{
	return geteuid() == 0;
}

int ds_require_root(const char *cmd, const char *why)
{
	if (is_root())
		return 0;
	ds_err("%s needs root (%s): run it with sudo", cmd, why);
	return -EPERM;
}

int ds_wait_child(pid_t pid, int *status)
{
	bool passed_on = false;

	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
		if (ds_stop && !passed_on) {
			kill(pid, SIGTERM);
			passed_on = true;
		}
	}
	return 0;
}

int ds_die_with_parent(pid_t parent, int sig)
{
	if (prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0))
		return -errno;
	return getppid() == parent ? 0 : -ESRCH;
}
