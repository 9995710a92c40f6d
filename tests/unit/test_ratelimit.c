// SPDX-License-Identifier: GPL-2.0
/*
 * The event stream's token bucket (bpf/ratelimit.bpf.h), compiled here as plain C: over any
 * pattern of drops, at most burst + rate * T events pass in T seconds, and when drops come
 * faster than the rate, no fewer than rate * T (a fraction of a token is never thrown away).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#include "ratelimit.bpf.h"
#include "tap.h"

#define NS 1000000000ull

/* Drops every gap_ns (jittered by up to jitter_ns) from start_ns for seconds; events passed. */
static uint64_t run(struct event_bucket *b, uint64_t start_ns, double seconds, uint64_t gap_ns,
		    uint64_t jitter_ns, uint32_t rate, uint32_t burst, unsigned seed)
{
	uint64_t t = start_ns, end = start_ns + (uint64_t)(seconds * NS), n = 0;

	srand(seed);
	while (t < end) {
		n += bucket_take(b, t, rate, burst);
		t += gap_ns + (jitter_ns ? (uint64_t)rand() % jitter_ns : 0);
	}
	return n;
}

int main(void)
{
	struct event_bucket b = { 0 };
	uint64_t n;

	/* Drops arriving just under 1/rate apart: a bucket that reset its clock at each refill
	 * would lose almost a whole token each time and let through half the rate. */
	n = run(&b, 5 * NS, 10, NS / 50 * 99 / 100, 0, 50, 1, 1);
	ok(n >= 499 && n <= 501, "drops 0.99/rate apart, 10 s at 50/s, burst 1: %llu events (500)",
	   (unsigned long long)n);

	/* A flood: a full bucket, then exactly the rate. */
	memset(&b, 0, sizeof(b));
	n = run(&b, 5 * NS, 2, 1000, 0, 50, 50, 1);
	ok(n >= 149 && n <= 151, "a 2 s flood at 50/s, burst 50: %llu events (50 + 2 x 50)",
	   (unsigned long long)n);

	/* Drops 0.6/rate apart, with jitter: still the rate. */
	memset(&b, 0, sizeof(b));
	n = run(&b, 5 * NS, 20, NS / 1000 * 6 / 10, NS / 1000 / 2, 1000, 100, 7);
	ok(n >= 20000 + 100 - 2 && n <= 20000 + 100 + 1,
	   "jittered drops faster than 1000/s for 20 s, burst 100: %llu events (20100)",
	   (unsigned long long)n);

	/* Drops slower than the rate all pass. */
	memset(&b, 0, sizeof(b));
	n = run(&b, 5 * NS, 10, NS / 40, 0, 50, 1, 1);
	is_int(n, 400, "drops at 40/s under a 50/s limit all pass");

	/* Quiet for a second or more: full again; never beyond burst. */
	memset(&b, 0, sizeof(b));
	n = run(&b, 5 * NS, 1, 1000, 0, 10, 10, 1);
	ok(n >= 19 && n <= 21, "1 s flood at 10/s: burst 10 + 10 (%llu)", (unsigned long long)n);
	n = run(&b, 60 * NS, 0.001, 1000, 0, 10, 10, 1);
	is_int(n, 10, "after a long quiet spell, one burst");
	n = run(&b, 60 * NS + NS / 2, 0.001, 1000, 0, 10, 10, 1);
	is_int(n, 5, "half a second later, half a second's worth");

	/* The first drop ever (last_ns 0, now anywhere): a full bucket, no overflow. */
	memset(&b, 0, sizeof(b));
	ok(bucket_take(&b, 1ull << 62, 1000000, 1000000), "first call at a huge clock value passes");
	is_int(b.tokens, 999999, "and starts from a full bucket");
	ok(!bucket_take(&b, 1, 0, 0), "rate 0 passes nothing");
	return done_testing();
}
