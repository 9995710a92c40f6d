/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream's token bucket, one per CPU. Plain C on plain integers, so that the unit
 * test (tests/unit/test_ratelimit.c) runs the very code the kernel side runs.
 */
#ifndef DS_RATELIMIT_BPF_H
#define DS_RATELIMIT_BPF_H

#define DS_NSEC_PER_SEC 1000000000ull

struct event_bucket {
	__u64 last_ns; /* the time up to which tokens have been credited (0: never) */
	__u64 tokens;
};

/*
 * Take a token at time now (ns) from a bucket refilled at rate tokens per second, holding at
 * most burst (burst <= rate: a second's worth at most). Credit is exact: last_ns moves by the
 * time the added tokens stand for, not to now, so a fraction of a token carries over to the
 * next call instead of being lost (which, with drops arriving just under 1/rate apart, would
 * halve the rate). A second or more since the last credit fills the bucket outright, which
 * also keeps elapsed * rate far from overflowing.
 */
static __always_inline bool bucket_take(struct event_bucket *b, __u64 now, __u32 rate,
					__u32 burst)
{
	__u64 elapsed = now - b->last_ns, refill;

	if (!rate)
		return false;
	if (!b->last_ns || now < b->last_ns || elapsed >= DS_NSEC_PER_SEC) {
		b->tokens = burst;
		b->last_ns = now;
	} else {
		refill = elapsed * rate / DS_NSEC_PER_SEC;
		if (refill) {
			b->tokens += refill;
			if (b->tokens > burst)
				b->tokens = burst;
			b->last_ns += refill * DS_NSEC_PER_SEC / rate;
		}
	}
	if (!b->tokens)
		return false;
	b->tokens--;
	return true;
}

#endif
