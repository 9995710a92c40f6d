/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prober in a process of its own, without privileges (mtr's split of mtr-packet from the
 * UI): a command that must keep some of its privileges (diagnose: the tracer's maps, the
 * counters of another namespace) opens the prober's raw sockets, then hands the prober to a
 * child process, which runs a small program of its own (dropscope-prober: the prober crosses
 * the exec as a struct prober_setup and inherited sockets) and gives up every privilege
 * (privs_drop_all: uid nobody, no capability) before it reads a single reply. The child sends the probes, parses the replies, does the
 * reverse DNS and keeps the statistics; the parent asks it for the results over a socket pair,
 * and checks every answer's bounds as it would any untrusted input.
 *
 * Lifecycle: prober_open (privileged) -> probe_child_start -> probe_child_go -> probe_child_wait
 * until done ->
 * probe_child_probes / _settled / _classify / _report -> probe_child_close.
 */
#ifndef DS_PROBE_CHILD_H
#define DS_PROBE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "prober.h"

/* The protocol over the socket pair: messages of a header and len bytes of payload (the tests
 * play a hostile child with it). */
enum probe_child_msg {
	PROBE_MSG_FAILED = 1, /* child -> parent: int32 -errno, it could not drop its privileges */
	PROBE_MSG_READY,	/* child -> parent: int32 0, privileges dropped, waiting for PROBE_MSG_GO */
	PROBE_MSG_GO,		/* request: double, the deadline (CLOCK_MONOTONIC s); starts the run */
	PROBE_MSG_DONE,	/* child -> parent: int32, what prober_run returned */
	PROBE_MSG_PROBES,	/* request: none; answer: u64 n, n records, n settled bytes */
	PROBE_MSG_CLASSIFY,	/* request: the packet; answer: int32 rc, struct probe_packet */
	PROBE_MSG_REPORT,	/* request: n excluded bytes (none: the plain report); answer: int32 0 or
			   -errno, then struct probe_report and its nhops hop rows */
	PROBE_MSG_QUIT,	/* request: none; the child exits */
	PROBE_MSG_PROGRESS, /* child -> parent, each second of the run: struct probe_progress */
	PROBE_MSG_SETUP,    /* parent -> child, first: struct prober_setup (prober.h) */
	PROBE_MSG_NOSTART,  /* child -> parent: int32 -errno, the program did not start (exec,
			       setup) */
};

struct probe_child_header {
	uint32_t type;
	uint32_t len;
};

/*
 * How the run goes, so far: every probe sent, and the destination's probes sent and lost (end to
 * end, the ones that say whether anything is lost: a hop's own unanswered probes may be its
 * ICMP rate limit). Probes still in flight are neither sent here nor lost.
 */
struct probe_progress {
	double seconds;
	uint64_t sent;
	uint64_t dest_sent, dest_lost;
};

struct probe_child;

/*
 * Fork the opened prober p into a child that closes every descriptor but the prober's sockets
 * and runs the prober's program (below), which drops every privilege and waits for
 * probe_child_go. p is freed in the parent (its copies of the raw sockets closed) whatever the
 * outcome; fill *id (prober_identity) first if you need it.
 * Prints its own one-line error and returns -errno: no prober's program, the fork failed, or
 * the child could not run the program or drop its privileges (it has then sent no probe and
 * ended).
 */
int probe_child_start(struct prober *p, struct probe_child **out);
/*
 * As probe_child_start for n probers in ONE child process (the monitor's targets: one process
 * and one loop for all, not one each): out[i] is prober i's handle, used as any other; the
 * process ends when the last handle is closed. Every probe_child_go is awaited before the run
 * starts, which ends at the latest deadline given; a handle closed before its go drops its
 * prober. On failure every prober is freed and no handle is left.
 */
int probe_child_start_many(struct prober **ps, size_t n, struct probe_child **out);
/*
 * The child's process runs a program of its own, PROBER_PROGRAM: small (a static build of the
 * prober alone) where a fork of the caller would hold a copy of its page tables and heap. It
 * is looked for beside the running executable (the build tree), then in PROBER_LIBEXEC from
 * the executable's directory (make install's PREFIX/sbin -> PREFIX/libexec/dropscope), and
 * opened (O_PATH) once, at the first call, while the caller still holds its privileges: a
 * later start looks nothing up. Prints where it looked and returns -errno if
 * neither is there or runnable. probe_child_start calls it; the caller may call it earlier.
 */
#define PROBER_PROGRAM "dropscope-prober"
/* Its arguments before the probers' descriptors (prober_main.c), and the one that asks it for
 * struct prober_build on its standard output instead: dropscope compares it with its own at
 * the start, so that a program of another build is refused once, not at every segment. */
#define PROBER_ARGS 5
#define PROBER_ASK_BUILD "--build"
struct prober_build {
	uint32_t layout;  /* prober_layout() */
	uint32_t version; /* PROBER_SETUP_VERSION */
	uint32_t size;	  /* sizeof(struct prober_setup) */
	uint32_t args;	  /* PROBER_ARGS */
};
void prober_build_of_ours(struct prober_build *b);
#define PROBER_LIBEXEC "../libexec/dropscope/"
int probe_child_program(void);
/* For tests: run the program at path instead (a unit test is not beside it). 0 or -errno. */
int probe_child_set_program(const char *path);
/*
 * The program's side (user/prober_main.c): fds are the probers' ends of the socket pairs, each
 * with its setup first (prober_adopt), stop_fd the stop pipe, parent the pid to die with. Takes
 * the probers over, drops every privilege (privs_set_nobody first), then answers until the
 * parent lets go. Never returns.
 */
void __attribute__((noreturn)) probe_child_main(int *fds, size_t n, int stop_fd, pid_t parent);

/* Start the run: prober_run(p, deadline_mono_s) in the child. Returns 0 or -errno (printed). */
int probe_child_go(struct probe_child *c, double deadline_mono_s);

/* The child's pid (for tests and messages). */
pid_t probe_child_pid(const struct probe_child *c);
/* The parent's end of the socket pair: readable when the child sent something (a loop polls
 * it to follow the run as it ends; probe_child_wait reads it). */
int probe_child_fd(const struct probe_child *c);

/*
 * Wait up to timeout_ms for the run to end. Returns 1 when it has ended (*run_err: what
 * prober_run returned), 0 while it runs, -errno if the child died or broke the protocol (it
 * prints the error). Ends the run early (SIGTERM to the child) once ds_stop is set.
 */
int probe_child_wait(struct probe_child *c, int timeout_ms, int *run_err);

/* The last progress the child sent (zeroes before the first); after probe_child_wait. */
struct probe_progress probe_child_progress(const struct probe_child *c);

/* As prober_probes and prober_probe_settled, after the run ended. 0 probes if the child fails. */
size_t probe_child_probes(struct probe_child *c, const struct probe_record **list);
bool probe_child_settled(struct probe_child *c, size_t index);

/* As prober_classify_packet, done by the child; out->index is checked against the probe list. */
int probe_child_classify(struct probe_child *c, const uint8_t *l3, size_t len,
			 struct probe_packet *out);

/*
 * As prober_report_excluding (excluded NULL: prober_report). The report is the child's, checked:
 * bounded counts, terminated strings. Valid until the next call or probe_child_close; NULL with
 * a printed error if the child failed.
 */
const struct probe_report *probe_child_report(struct probe_child *c, const bool *excluded,
					      size_t nexcluded);

/*
 * For tests: the parent's end of the protocol over fd (the other end plays the child, already
 * past PROBE_MSG_READY), and a shorter timeout for one exchange (default 10 s).
 */
struct probe_child *probe_child_from_fd(int fd, pid_t pid);
void probe_child_set_timeout(struct probe_child *c, double seconds);

/*
 * Done with the child: tell it to end (its process goes with the last handle on it) and reap
 * it. What was fetched already (the probe list, the last report) stays readable until
 * probe_child_close; anything more fails as with a child that has gone. Safe on NULL.
 */
void probe_child_release(struct probe_child *c);
/* Release the child and free everything. Safe on NULL. */
void probe_child_close(struct probe_child *c);

#endif
