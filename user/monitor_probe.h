/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The monitor's probing: every target probed all the time within a budget, loss episodes
 * detected (monitor_episodes.h), a record of each (the diagnose merge over its window), and
 * the probe side's metric families.
 *
 * How it probes: in segments of segment_s (60 s), the same for every target, each a run of
 * `probe`'s engine: prober_open opens each target's raw sockets, then ONE unprivileged child
 * (probe_child_start_many) drops every privilege and probes every target for the segment in one
 * loop (prober_run_many), reporting each second on each target's own socket pair. A segment's
 * next starts as it stops sending, while its answers drain; its process ends once every
 * target's segment in it is merged. Names are looked up in a thread, a round a segment: a
 * segment probes the last round's address, so no lookup holds up the loop or the others.
 * The budget (20 probes/s per target, all hops together) is split: dest_share (3/4) goes to
 * the destination's own probes, 15/s, which are what the episode detector reads; the rest to
 * the hops (the prober's hop_budget), so a round of every hop comes each path_len / 5 s.
 * Hops that look rate-limited are paced as in `probe`, never faster than the rounds. UDP's
 * destination answers are rate-limited ICMP, so with -u the destination is paced too (0.8/s) and
 * episodes take longer to show.
 *
 * Faults stay with their target: a name that does not (or no longer) resolves, or a target
 * with no route, prints one line and is tried again at the next segment; the other targets go
 * on. A child that fails loses the segment of every target in it.
 *
 * At the end of each segment of a target, the diagnose merge (diagnose_merge.h) runs over it:
 * the tracer's watched events (mprobe_event) place every lost probe, the drops and counters
 * over the segment (read at its boundaries) judge this host. Its counts go into the metrics.
 * The segments an episode touches (from the one holding its start) are summed as they are
 * merged (monitor_acc.h), and its record is the merge over them all, decided once: printed at
 * each segment's end while it lasts (a JSON line, or a short text block, and a line on
 * stderr), and once more with the end. A window whose destination loss is certain (95%
 * interval above 1%) while its few hop probes cannot place it is judged network loss, the hop
 * unknown, not "no loss".
 */
#ifndef DS_MONITOR_PROBE_H
#define DS_MONITOR_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "trace_table.h"
#include "kallsyms.h"
#include "metrics.h"
#include "monitor_episodes.h"
#include "netns.h"
#include "prober.h"
#include "reasons.h"

#define MPROBE_DEFAULT_BUDGET 20.0
#define MPROBE_DEFAULT_DEST_SHARE 0.75
#define MPROBE_DEFAULT_SEGMENT_S 60.0
#define MPROBE_MAX_TARGETS 64

/* What this host offers the merge: its namespace and the tracer's maps (by descriptor). */
struct mprobe_host {
	const struct netns_ref
		*ns;		/* this server: the probes' sockets, its counters (NULL: ours) */
	const char *netns_spec; /* as the user gave it, for the advice (NULL: ours) */
	int drops_fd, retrans_fd, ifnames_fd, stats_fd; /* -1: none (no tracer) */
	const char *tracer_name;			/* its attach mode, NULL without a tracer */
	const struct reason_table *reasons;
	struct ksyms_source *ksyms_src; /* the kernel's symbols, read for records; may be NULL */
	/* Reads the events ring buffer's pending events (into mprobe_event): a merge at a stop
	 * wants them all. NULL: none. */
	void (*read_events)(void *ctx);
	void *events_ctx;
};

struct mprobe_config {
	struct probe_config probe; /* protocol, port, size, max_ttl, ... (target unused) */
	double budget;		   /* probes a second per target, all hops together */
	double dest_share;	   /* of it, to the destination, in (0, 1) */
	double segment_s;	   /* a segment: the merge's window, the records' period */
	bool json;		   /* records as JSON lines */
	struct episode_rule rule;
};

/* Defaults; then set what the options say (each segment's probe_config_finish checks them). */
void mprobe_config_init(struct mprobe_config *cfg);

struct mprobe;

/* Returns 0 or -errno (-EINVAL: a bad budget, share, segment or rule; printed). host is kept
 * by reference and must outlive m. */
int mprobe_new(const struct mprobe_config *cfg, const struct mprobe_host *host,
	       struct mprobe **out);
/*
 * The targets (host names or addresses, at most MPROBE_MAX_TARGETS, each shorter than 256
 * bytes): a target already probed keeps its counts, its episode and its running segment; one
 * no longer listed loses its series and is probed no more (the shared process stops its
 * prober within a second, prober_stop; the others go on); a
 * new one starts at the next segment (a name, at the one after its first lookup).
 * Returns 0 or -EINVAL (printed).
 */
int mprobe_set_targets(struct mprobe *m, const char *const *targets, size_t n);
/* Do what is due: start, follow and end segments, feed the detector, print records. Call it
 * every 100 ms or so (it does not block). Needs CAP_NET_RAW (and CAP_SYS_ADMIN to enter
 * host->ns) when a segment starts. */
void mprobe_tick(struct mprobe *m);
/* A drop event the tracer flagged DS_EV_WATCHED (a probe or an answer, any target's). */
void mprobe_event(struct mprobe *m, const struct drop_event *e);
/* The probe side's families (README "Monitoring"), into mx. */
void mprobe_metrics(const struct mprobe *m, struct metrics *mx);
/*
 * At a stop (ds_stop set): the records still owed, of the episodes open (printed open, end
 * null) or closed but not yet recorded, with the segments under way cut at the stop (their
 * process has FINISH_WAIT_S, 3 s, to report). Nothing to do otherwise.
 */
void mprobe_finish(struct mprobe *m);
/* Ends every child and frees everything. Safe on NULL. */
void mprobe_free(struct mprobe *m);

#endif
