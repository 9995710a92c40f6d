// SPDX-License-Identifier: GPL-2.0
/* Loss episodes: two CUSUMs over the destination's loss (monitor_episodes.h has the rule). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "monitor_episodes.h"

int episode_detector_init(struct episode_detector *d, const struct episode_rule *rule)
{
	memset(d, 0, sizeof(*d));
	if (!(rule->p0 > 0 && rule->p0 < rule->p1 && rule->p1 < 1) || !(rule->h_open > 0) ||
	    !(rule->h_close > 0))
		return -EINVAL;
	d->rule = *rule;
	d->w_lost = log(rule->p1 / rule->p0);
	d->w_answered = log((1 - rule->p1) / (1 - rule->p0));
	return 0;
}

enum episode_change episode_feed(struct episode_detector *d, double t0, double t1, uint64_t sent,
				 uint64_t lost)
{
	double w;

	if (lost > sent)
		lost = sent;
	/* Before the first answer there is no path to lose anything on. */
	if (!d->armed && sent > lost)
		d->armed = true;
	if (!d->armed || !sent) {
		if (!d->up)
			d->up_zero_t = t1;
		return EPISODE_SAME;
	}
	w = lost * d->w_lost + (sent - lost) * d->w_answered;

	if (d->open) {
		d->sent += sent;
		d->lost += lost;
		d->down = fmax(0, d->down - w);
		if (d->down == 0)
			d->down_zero_t = t1;
		if (d->down < d->rule.h_close)
			return EPISODE_SAME;
		/* Over: back to watching for the next one from a clean slate. */
		d->open = false;
		d->end = d->down_zero_t;
		d->up = d->down = 0;
		d->up_zero_t = t1;
		d->rise_sent = d->rise_lost = 0;
		return EPISODE_CLOSED;
	}

	if (d->up == 0) {
		d->up_zero_t = t0;
		d->rise_sent = d->rise_lost = 0;
	}
	d->up = fmax(0, d->up + w);
	d->rise_sent += sent;
	d->rise_lost += lost;
	if (d->up == 0) {
		d->up_zero_t = t1;
		d->rise_sent = d->rise_lost = 0;
	}
	if (d->up < d->rule.h_open)
		return EPISODE_SAME;
	d->open = true;
	d->start = d->up_zero_t;
	d->end = 0;
	d->sent = d->rise_sent;
	d->lost = d->rise_lost;
	d->down = 0;
	d->down_zero_t = t1;
	return EPISODE_OPENED;
}
