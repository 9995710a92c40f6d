/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loss episodes, pure: fed each second's count of probes to a target's destination that were
 * settled (answered or given up on) and of those lost, it says when an episode of loss opens and
 * when it closes. No I/O, no clock: the caller passes the times.
 *
 * The rule: two Bernoulli CUSUMs (Page's cumulative sum of the log-likelihood ratio) between
 * p0, the loss a path may have all the time (0.5%), and p1, the smallest loss that must be
 * caught (5%). Each lost probe adds ln(p1/p0) = 2.30, each answered one ln((1-p1)/(1-p0)) =
 * -0.046; the loss where the two balance is 1.97%, above which the sum climbs.
 *  - up = max(0, up + w) opens an episode when it passes h_open (15). Its start is when up
 *    last left 0 (the change point Page's rule estimates).
 *  - down = max(0, down - w), kept while an episode is open, closes it when it passes h_close
 *    (10: 216 answered probes in a row on a clean path). Its end is when down last left 0.
 * A second's counts are added at once, which only clamps less often than probe by probe, so
 * the false-alarm rates computed probe by probe bound it from above. With the default rule
 * (a Markov chain over up, tests/unit/test_monitor_episodes.c checks it by simulation):
 *  - a clean path (no loss) never opens an episode: up only falls;
 *  - a path that loses 0.1% all the time: one false episode per ~1.7e14 probes; 0.5% (p0):
 *    one per ~1.9e8 probes (3400 h at 15 probes/s); 1%: one per ~3.5e5 (6.4 h at 15/s);
 *  - the mean delay to open: ~210 probes at 5% loss, ~37 at 20%. At the monitor's 15
 *    destination probes a second (three quarters of the budget), a 5% loss of 60 s is missed
 *    less than once in 4000 tries and a 20% loss of 20 s never; at 10 a second the 5% one would
 *    be missed once in ~200.
 * Until the destination has answered once, nothing counts: a target that never answers (one
 * that filters the probes, or is down since the start) is not an episode, it is unanswered.
 */
#ifndef DS_MONITOR_EPISODES_H
#define DS_MONITOR_EPISODES_H

#include <stdbool.h>
#include <stdint.h>

struct episode_rule {
	double p0;	/* loss tolerated all the time (a fraction) */
	double p1;	/* the smallest loss to catch; p0 < p1 < 1 */
	double h_open;	/* up's threshold */
	double h_close; /* down's threshold */
};

#define EPISODE_RULE_DEFAULT                                                                       \
	((struct episode_rule){.p0 = 0.005, .p1 = 0.05, .h_open = 15, .h_close = 10})

struct episode_detector {
	struct episode_rule rule;
	double w_lost, w_answered; /* each probe's log-likelihood ratio, p1 against p0 */
	double up, down;
	double up_zero_t, down_zero_t; /* when each was last 0 */
	uint64_t rise_sent, rise_lost; /* since up was last 0 */
	bool armed;		       /* the destination has answered */
	bool open;
	double start, end;   /* the open or last episode's; end 0 while open */
	uint64_t sent, lost; /* its probes, from start to now (or to its close) */
};

enum episode_change {
	EPISODE_SAME,
	EPISODE_OPENED,
	EPISODE_CLOSED,
};

/* Returns 0, or -EINVAL for a rule out of range (then d is not usable). */
int episode_detector_init(struct episode_detector *d, const struct episode_rule *rule);

/*
 * The probes settled in the interval [t0, t1] (seconds on any clock the caller keeps using):
 * sent of them, lost of those (lost > sent is taken as sent). Returns what changed. After
 * EPISODE_OPENED, d->start is the episode's estimated start (<= t0); after EPISODE_CLOSED,
 * d->end its estimated end, and d->sent, d->lost its counts.
 */
enum episode_change episode_feed(struct episode_detector *d, double t0, double t1, uint64_t sent,
				 uint64_t lost);

#endif
