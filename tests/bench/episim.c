// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: the loss-episode detector's false episodes per hour on simulated paths with a
 * steady loss (0 is a clean path), and how often it catches the two shapes, at a given
 * number of destination probes a second.
 *
 *   episim HOURS RATE [SEED]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../user/monitor_episodes.h"

static uint64_t state;

/* xorshift64*: fixed seeds, the same numbers on every machine. */
static double next_uniform(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return ((state * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

static unsigned int episodes(double secs, unsigned int rate, double base, double bad, double from,
			     double to)
{
	struct episode_rule rule = EPISODE_RULE_DEFAULT;
	struct episode_detector d;
	unsigned int n = 0;

	episode_detector_init(&d, &rule);
	for (double t = 0; t < secs; t++) {
		double p = t >= from && t < to ? bad : base;
		unsigned int lost = 0;

		for (unsigned int i = 0; i < rate; i++)
			lost += next_uniform() < p;
		/* A shape counts only if caught while it lasts. */
		if (episode_feed(&d, t, t + 1, rate, lost) == EPISODE_OPENED &&
		    (to <= from || t < to))
			n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const double steady[] = {0, 0.001, 0.005, 0.01};
	static const struct {
		const char *name;
		double loss, len;
	} shapes[] = {{"20% for 20 s", 0.20, 20}, {"5% for 60 s", 0.05, 60}};
	double hours = argc > 1 ? atof(argv[1]) : 100;
	unsigned int rate = argc > 2 ? atoi(argv[2]) : 15;
	unsigned int tries = 1000;

	state = argc > 3 ? strtoull(argv[3], NULL, 0) : 88172645463325252ull;
	if (hours <= 0 || !rate || !state) {
		fprintf(stderr, "usage: episim HOURS RATE [SEED]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(steady) / sizeof(steady[0]); i++) {
		unsigned int n = episodes(hours * 3600, rate, steady[i], 0, 0, 0);

		printf("steady loss %5.1f%%, %3u probes/s, %6.0f h: %4u episodes, %.4f per hour\n",
		       steady[i] * 100, rate, hours, n, n / hours);
	}
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		unsigned int caught = 0;

		for (unsigned int k = 0; k < tries; k++)
			caught += episodes(300 + shapes[i].len + 60, rate, 0, shapes[i].loss, 300,
					   300 + shapes[i].len) > 0;
		printf("%-12s, %3u probes/s: caught %u of %u\n", shapes[i].name, rate, caught,
		       tries);
	}
	return 0;
}
