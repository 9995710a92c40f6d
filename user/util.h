/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers every command uses: messages, number and duration parsing, clocks, signals.
 *
 * The error convention, everywhere in user/: a function returns 0 or a negative errno (a
 * pointer function NULL with errno set); its header comment says whether it prints its own
 * one-line message ("dropscope: failed to <verb> <what>: <why>", via ds_err) or leaves that to
 * its caller, which then prints it; a command turns the error into its exit code (enum
 * ds_exit: 1 a failure while running, 2 the user's input).
 */
#ifndef DS_UTIL_H
#define DS_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A number macro as a string literal, for help text: DS_STR(TRACER_MAX_KEYS) is "65536". */
#define DS_STR_(x) #x
#define DS_STR(x) DS_STR_(x)

/*
 * Exit codes, the same in every command (README "Exit codes"): 0 no loss found, 1 a failure
 * while running, 2 bad usage or input; above 2 what was found, for scripts.
 */
enum ds_exit {
	DS_EXIT_OK = 0,		  /* no loss found (diagnose: verdict none; demo: the verdict
				     its scenario expects) */
	DS_EXIT_ERROR = 1,	  /* a failure while running */
	DS_EXIT_USAGE = 2,	  /* bad usage or input */
	DS_EXIT_SERVER = 3,	  /* diagnose: loss on this server */
	DS_EXIT_NETWORK = 4,	  /* diagnose: loss in the network; probe: loss on the path */
	DS_EXIT_BOTH = 5,	  /* diagnose: both */
	DS_EXIT_INCONCLUSIVE = 6, /* diagnose: inconclusive */
	DS_EXIT_NO_ANSWER = 7,	  /* probe: the destination never answered */
	DS_EXIT_UNEXPECTED = 8,	  /* demo: the verdict is not the one its scenario expects */
};

/* Set by SIGINT, SIGTERM and SIGHUP: every loop that waits checks it and ends cleanly. */
extern volatile sig_atomic_t ds_stop;
extern int ds_verbose;

/*
 * A process that waits for a child doing the work (demo's diagnosis, trace --pin's tracer):
 * waitpid, passing a SIGTERM on once ds_stop is set (a signal sent to the waiter alone). Returns
 * 0 with *status, or -errno.
 */
int ds_wait_child(pid_t pid, int *status);
/*
 * In a child: end with sig when the parent (whose pid is parent) dies, however it dies. Call it
 * after any uid change (which clears the setting). Returns 0, or -ESRCH if the parent is
 * already gone.
 */
int ds_die_with_parent(pid_t parent, int sig);

/* Catch SIGINT/SIGTERM/SIGHUP into ds_stop (no SA_RESTART, so blocking calls return EINTR). */
int ds_install_signals(void);

/* "dropscope: <message>" on stderr, one line. */
void ds_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, only with -v. */
void ds_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Seconds from "30", "2.5", "500ms", "2s", "3m", "1h": a plain decimal number and a unit.
 * Rejects signs, hex ("0x10"), exponents ("1e2"), NaN and infinity, zero (unless allow_zero),
 * trailing garbage and values over a day.
 */
int parse_duration(const char *s, bool allow_zero, double *out);
/* Decimal unsigned integer in [min, max]; rejects sign, garbage and overflow. */
int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* CLOCK_MONOTONIC in seconds and in nanoseconds. */
double mono_now(void);
uint64_t mono_ns(void);
/* Sleep until a monotonic deadline or ds_stop; returns -EINTR if stopped. */
int sleep_until(double deadline);

/*
 * The terminal's escape codes, in one place: SGR colours (printed only where use_color() says)
 * and the redraws of the live views (only on a terminal).
 */
#define DS_SGR_RESET "\033[0m"
#define DS_SGR_BOLD "\033[1m"
#define DS_SGR_RED "\033[31m"
#define DS_SGR_BOLD_RED "\033[1;31m"
#define DS_SGR_YELLOW "\033[33m"
#define DS_SGR_BOLD_YELLOW "\033[1;33m"
#define DS_SGR_BOLD_GREEN "\033[1;32m"
#define DS_SGR_MAGENTA "\033[35m"
#define DS_SGR_CYAN "\033[36m"
#define DS_TERM_CLEAR "\033[H\033[2J" /* cursor home, screen cleared: a redraw */
#define DS_TERM_CLEAR_LINE "\r\033[K" /* back to the start of the line, cleared */

/* --color: auto (a terminal, and NO_COLOR unset or empty), always, never. */
enum ds_color_mode { DS_COLOR_AUTO, DS_COLOR_ALWAYS, DS_COLOR_NEVER };
extern enum ds_color_mode ds_color_mode;
/* Parse "auto", "always" or "never" into ds_color_mode; -EINVAL otherwise. */
int parse_color_mode(const char *s);
/* Whether to colour stdout, by ds_color_mode. */
bool use_color(void);
/* "s" unless n is 1: printf("%llu drop%s", n, plural(n)). */
const char *plural(unsigned long long n);

/* Read a whole small file (procfs/sysfs) into buf, NUL-terminated; returns length or -errno. */
ssize_t read_file(const char *path, char *buf, size_t size);

/* Make room for n elements of elem_size in *arr (capacity *cap, doubled as needed).
 * Returns 0 or -ENOMEM (then *arr is unchanged). */
int array_reserve(void **arr, size_t *cap, size_t n, size_t elem_size);

/*
 * Rows sorted by a key of key_size bytes at the start of each row (memcmp order): the snapshots
 * of BPF maps. sorted_upsert returns the row for key, inserting a zeroed one with the key if it
 * is not there; NULL on ENOMEM. sorted_find returns NULL if key is absent.
 */
void *sorted_upsert(void **rows, size_t *n, size_t *cap, size_t row_size, const void *key,
		    size_t key_size);
void *sorted_find(const void *rows, size_t n, size_t row_size, const void *key, size_t key_size);
/*
 * Sort n rows by their key (the first key_size bytes, memcmp order) and merge rows with equal
 * keys into one, summing their uint64_t counters (from byte counters_off to the row's end).
 * O(n log n). Returns the number of rows left.
 */
size_t sort_merge_rows(void *rows, size_t n, size_t row_size, size_t key_size,
		       size_t counters_off);

/* Whether the process runs with root's capabilities (euid 0). */
bool is_root(void);
/* The root check of the commands that need root itself, not capabilities (privs.h is for
 * those): prints "CMD needs root (WHY): run it with sudo" and returns -EPERM when not root. */
int ds_require_root(const char *cmd, const char *why);

#endif
