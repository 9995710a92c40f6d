// SPDX-License-Identifier: GPL-2.0
/*
 * probe_ids_spread: the echo ids of the probers in one process (prober_run_many) do not
 * overlap, an echo reply being matched on its id alone.
 */
#include <stdint.h>
#include <stdlib.h>

#include "prober.h"
#include "tap.h"

static const uint32_t *seq;
static size_t nseq, drawn;

/* The next of seq, then a fixed far value. */
static uint32_t draw(void)
{
	return drawn < nseq ? seq[drawn++] : (drawn++, 40000);
}

static uint32_t rnd(void)
{
	return (uint32_t)rand();
}

static int overlap(uint16_t a, uint16_t wa, uint16_t b, uint16_t wb)
{
	for (unsigned int i = 0; i < wa; i++)
		for (unsigned int j = 0; j < wb; j++)
			if ((uint16_t)(a + i) == (uint16_t)(b + j))
				return 1;
	return 0;
}

static int any_overlap(const uint16_t *ids, const uint16_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (overlap(ids[i], w[i], ids[j], w[j]))
				return 1;
	return 0;
}

int main(void)
{
	{
		uint16_t ids[] = {100, 200, 300}, w[] = {1, 1, 1};

		seq = NULL, nseq = 0, drawn = 0;
		probe_ids_spread(ids, w, 3, draw);
		is_int(drawn, 0, "distinct ids: nothing drawn");
		ok(ids[0] == 100 && ids[1] == 200 && ids[2] == 300, "and nothing changed");
	}
	{
		/* Equal ids; then a range that overlaps the first's 4 flows from inside. */
		static const uint32_t s[] = {102, 500};
		uint16_t ids[] = {100, 100, 900}, w[] = {4, 1, 1};

		seq = s, nseq = 2, drawn = 0;
		probe_ids_spread(ids, w, 3, draw);
		is_int(ids[0], 100, "the first keeps its id");
		is_int(ids[1], 500,
		       "an equal id is drawn again until it overlaps none (102 is in 100..103)");
		is_int(ids[2], 900, "one that overlapped none keeps its own");
		ok(!any_overlap(ids, w, 3), "no two ranges overlap");
	}
	{
		/* Ranges that wrap at 65535. */
		static const uint32_t s[] = {65535, 3};
		uint16_t ids[] = {65534, 1}, w[] = {4, 2};

		seq = s, nseq = 2, drawn = 0;
		probe_ids_spread(ids, w, 2, draw);
		ok(!any_overlap(ids, w, 2), "a range wrapping past 65535 is seen to overlap");
		is_int(ids[1], 3, "and the draw past its end is kept (65534..1, then 3..4)");
		is_int(drawn, 2, "two draws: 1 and 65535 fell in 65534..1");
	}
	{
		/* Many probers of many flows: random draws, none left overlapping. */
		uint16_t ids[16], w[16];

		seq = NULL, nseq = 0, drawn = 0;
		srand(7);
		for (int i = 0; i < 16; i++) {
			ids[i] = (uint16_t)(i * 3); /* every range overlaps the next */
			w[i] = 8;
		}
		probe_ids_spread(ids, w, 16, rnd);
		ok(!any_overlap(ids, w, 16), "16 probers of 8 flows, overlapping, end spread");
	}
	return done_testing();
}
