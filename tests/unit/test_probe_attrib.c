// SPDX-License-Identifier: GPL-2.0
/*
 * The persistence rule and the loss origin (probe_attribute) on constructed counts, the real-time
 * limiter suspicion, and a seeded simulation of the lab's scenarios at the sample sizes a default
 * run collects, to check that the significance levels give the right verdict nearly every time.
 */
#include <stdint.h>

#include "probe_stats.h"
#include "tap.h"

#define MAXH 8

struct scen {
	struct hop_counts h[MAXH];
	struct hop_verdict v[MAXH];
	size_t n;
};

static void hop(struct scen *s, uint64_t sent, uint64_t lost)
{
	struct hop_counts *c = &s->h[s->n++];

	memset(c, 0, sizeof(*c));
	c->fast_sent = sent;
	c->fast_lost = lost;
	c->replied = lost < sent;
}

static void paced_hop(struct scen *s, uint64_t fs, uint64_t fl, uint64_t ps, uint64_t pl)
{
	hop(s, fs, fl);
	s->h[s->n - 1].paced = true;
	s->h[s->n - 1].paced_sent = ps;
	s->h[s->n - 1].paced_lost = pl;
	s->h[s->n - 1].replied = fl < fs || pl < ps;
}

static int run(struct scen *s)
{
	return probe_attribute(s->h, s->n, PROBE_ALPHA, s->v);
}

static int nflagged(const struct scen *s)
{
	int n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].rate_limited;
	return n;
}

static void test_rules(void)
{
	struct scen s = {0};

	/* A clean path. */
	hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 100, 0);
	is_int(run(&s), -1, "clean path: no origin");
	is_int(nflagged(&s), 0, "clean path: nothing rate-limited");
	ok(s.v[0].trusted && s.v[3].trusted, "clean path: hops trusted");

	/* Forwarding loss at router 2: hops 3 and on lose ~40%. */
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 50, 20), hop(&s, 50, 21), hop(&s, 100, 41);
	is_int(run(&s), 2, "loss from hop 3 on: origin is hop 3");
	is_int(nflagged(&s), 0, "carried loss is not rate-limited");
	ok(s.v[2].p_rise < PROBE_ALPHA, "hop 3's rise is significant");
	ok(s.v[1].p_rise >= PROBE_ALPHA, "hop 2 does not rise");

	/* The same loss with hop 1 already losing: the virtual hop 0 (no loss) is the baseline. */
	s.n = 0;
	hop(&s, 100, 40), hop(&s, 50, 20), hop(&s, 100, 41);
	is_int(run(&s), 0, "loss from hop 1 on: origin is hop 1");

	/* A Linux limiter at hop 2: most fast probes lost, none when paced; nothing later. */
	s.n = 0;
	hop(&s, 50, 0), paced_hop(&s, 23, 15, 6, 0), hop(&s, 50, 0), hop(&s, 100, 0);
	is_int(run(&s), -1, "rate-limited hop alone: no origin");
	ok(s.v[1].rate_limited, "rate-limited hop flagged");
	ok(s.v[1].limiter_confirmed, "two rates: 15/23 vs 0/6 confirms it");
	is_int(s.v[1].sent, 6, "its loss is described by the paced probes only");
	is_int(s.v[1].lost, 0, "... which lost nothing");
	ok(s.v[1].trusted, "its paced probes carry on: trusted");
	is_int(nflagged(&s), 1, "only that hop is flagged");

	/* The limiter in front of real loss: the loss behind it is still found. */
	s.n = 0;
	hop(&s, 50, 0), paced_hop(&s, 23, 15, 6, 0), hop(&s, 50, 0), hop(&s, 50, 19),
		hop(&s, 100, 42);
	is_int(run(&s), 3, "loss behind a limiter: origin is hop 4");
	ok(s.v[1].rate_limited && !s.v[3].rate_limited, "the limiter flagged, the lossy hop not");

	/* Never paced, but losing far more than later hops (mtr's classic false loss). */
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 40), hop(&s, 50, 0), hop(&s, 100, 0);
	is_int(run(&s), -1, "unpaced ICMP artefact: no origin");
	ok(s.v[1].rate_limited && !s.v[1].trusted, "unpaced artefact: rate-limited, not trusted");
	ok(!s.v[1].limiter_confirmed, "not confirmed: it was never probed at two rates");
	is_int(s.v[1].sent, 50, "unpaced hop keeps all its probes");

	/* Artefact on top of real loss: hop 2 loses 90% while the path loses 40% from hop 2. */
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 45), hop(&s, 50, 20), hop(&s, 100, 40);
	is_int(run(&s), 2, "artefact over real loss: origin at the next trusted hop");
	ok(s.v[1].rate_limited, "the hop losing more than the rest is flagged");

	/* Only the destination loses: the destination or its last link. */
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 100, 40);
	is_int(run(&s), 3, "destination-only loss: origin is the destination row");
	is_int(nflagged(&s), 0, "the destination is not flagged (no hop after it)");

	/* A hop that never answers (???) says nothing. */
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 50), hop(&s, 50, 0), hop(&s, 100, 0);
	is_int(run(&s), -1, "silent hop: no origin");
	ok(!s.v[1].rate_limited && !s.v[1].trusted, "silent hop: neither rate-limited nor trusted");
	is_int(s.v[1].lost, 50, "silent hop: all its probes lost (mtr's 100%%)");

	/* Silent hop in front of real loss. */
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 50), hop(&s, 50, 20), hop(&s, 100, 40);
	is_int(run(&s), 2, "silent hop then loss: origin after it");

	/* Loss from hop 1 at small samples: the baseline before hop 1 is zero, not a sample. */
	s.n = 0;
	hop(&s, 30, 8), hop(&s, 30, 11), hop(&s, 60, 19);
	is_int(run(&s), 0, "8 of 30 lost at hop 1, carried on: origin is hop 1");

	/* ... and behind a few paced, loss-free probes. */
	s.n = 0;
	paced_hop(&s, 20, 14, 5, 0), hop(&s, 30, 8), hop(&s, 60, 19);
	is_int(run(&s), 1, "behind 0 of 5 paced: origin is hop 2");

	/* One lost probe in a hundred is not enough to place anything. */
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 100, 1);
	is_int(run(&s), -1, "1%% end-to-end: not significant");
	s.n = 0;
	hop(&s, 400, 0), hop(&s, 400, 0), hop(&s, 100, 3);
	is_int(run(&s), -1, "3%% of 100 at the end: background, not placed");

	/* Two steps: 10% from hop 2, 40% from hop 4: the first rise is the origin. */
	s.n = 0;
	hop(&s, 400, 0), hop(&s, 400, 41), hop(&s, 400, 38), hop(&s, 400, 165), hop(&s, 800, 330);
	is_int(run(&s), 1, "two rises: the first is the origin");

	/*
	 * The two-rate test holds the paced probes against the fast ones sent after the first
	 * loss: the limiter's burst of answered probes does not water it down.
	 */
	s.n = 0;
	hop(&s, 50, 0), paced_hop(&s, 17, 10, 6, 0), hop(&s, 50, 0), hop(&s, 100, 0);
	run(&s);
	ok(s.v[1].rate_limited && !s.v[1].limiter_confirmed,
	   "10/17 fast vs 0/6 paced: flagged, but not confirmed (p = 0.017)");
	s.h[1].tail_sent = 10;
	s.h[1].tail_lost = 9;
	run(&s);
	ok(s.v[1].rate_limited && s.v[1].limiter_confirmed,
	   "9/10 fast after the first loss vs 0/6 paced: confirmed (p = 0.0009)");
	s.h[1].tail_lost = 3;
	run(&s);
	ok(!s.v[1].limiter_confirmed, "3/10 after the first loss vs 0/6: not confirmed");
	ok(s.v[1].rate_limited, "... still flagged: its fast loss does not carry on");

	/* A paced hop whose paced probes still lose (policing, not a burst limiter). */
	s.n = 0;
	hop(&s, 50, 0), paced_hop(&s, 20, 15, 6, 5), hop(&s, 50, 0), hop(&s, 100, 0);
	run(&s);
	ok(s.v[1].rate_limited && !s.v[1].trusted, "paced yet lossy hop: rate-limited, untrusted");
	ok(!s.v[1].limiter_confirmed, "paced yet lossy: not confirmed as a rate limiter");

	/* A hop paced by a false alarm: equal loss at both rates, carried on. */
	s.n = 0;
	hop(&s, 50, 0), paced_hop(&s, 30, 12, 6, 2), hop(&s, 50, 21), hop(&s, 100, 40);
	is_int(run(&s), 1, "false alarm: the paced hop keeps all probes and is the origin");
	ok(!s.v[1].rate_limited, "false alarm: not rate-limited");
	is_int(s.v[1].sent, 36, "false alarm: fast and paced probes both count");

	/*
	 * A 5-minute run (-i 0.1 --duration 300): 30% loss from hop 3. Hops 1 and 2 lose nothing,
	 * far below the later hops: that is no evidence of anything, least of all of a limiter
	 * (the tail sums used to underflow to p = 0 here and flag them).
	 */
	s.n = 0;
	hop(&s, 3000, 0), hop(&s, 3000, 0), hop(&s, 3000, 900), hop(&s, 6000, 1800);
	is_int(run(&s), 2, "5-minute run, 30%% from hop 3: origin is hop 3");
	is_int(nflagged(&s), 0, "5-minute run: hops 1 and 2 not flagged rate-limited");
	ok(s.v[0].trusted && s.v[1].trusted, "5-minute run: hops 1 and 2 trusted");

	/* A long run where the destination loses 2 of 80000: background, not an origin. */
	s.n = 0;
	hop(&s, 40000, 0), hop(&s, 40000, 0), hop(&s, 40000, 0), hop(&s, 80000, 2);
	is_int(run(&s), -1, "2 of 80000 lost at the destination: no origin");
	is_int(nflagged(&s), 0, "2 of 80000: nothing flagged");

	/* ... but 1.5% of 80000 behind lossless hops is (significantly above 1%). */
	s.h[3].fast_lost = 1200;
	is_int(run(&s), 3, "1200 of 80000 at the destination: placed there");

	/*
	 * The last hop that answers rations its ICMP and the destination is silent (drops every
	 * probe): nothing later shows whether the loss carries on, so the two rates decide.
	 */
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 0), paced_hop(&s, 22, 14, 6, 0), hop(&s, 100, 100);
	s.h[2].tail_sent = 15;
	s.h[2].tail_lost = 14;
	is_int(run(&s), -1, "limiter at the last answering hop, silent destination: no origin");
	ok(s.v[2].rate_limited && s.v[2].limiter_confirmed,
	   "... the limiter is flagged, confirmed at two rates");
	is_int(s.v[2].sent, 6, "... its loss is its paced probes'");
	ok(!s.v[3].trusted && !s.v[3].rate_limited, "... the silent destination says nothing");

	/* The same hop losing at both rates: real loss, though nothing shows it carry on. */
	s.h[2].fast_lost = 9, s.h[2].paced_lost = 2;
	s.h[2].tail_sent = 20, s.h[2].tail_lost = 8;
	is_int(run(&s), 2, "loss at both rates at the last answering hop: origin there");
	ok(!s.v[2].rate_limited && !s.v[2].limiter_confirmed, "... not a limiter");
	ok(!s.v[2].shown_later, "... and no later hop shows it carry on");
	s.n = 0;
	hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 50, 20), hop(&s, 100, 41);
	run(&s);
	ok(s.v[2].shown_later, "loss from hop 3 with the destination answering: shown later");

	/* Empty input. */
	is_int(probe_attribute(s.h, 0, PROBE_ALPHA, s.v), -1, "no hops: no origin");
}

static void test_suspect(void)
{
	struct scen s = {0};

	hop(&s, 13, 6), hop(&s, 13, 0), hop(&s, 40, 0);
	ok(probe_limiter_suspect(s.h, s.n, 0, 8, 1e-4), "6/13 lost vs 0/40 later: suspect");
	ok(!probe_limiter_suspect(s.h, s.n, 0, 14, 1e-4), "... not before min_sent probes");
	ok(!probe_limiter_suspect(s.h, s.n, 1, 8, 1e-4), "a hop without loss is not suspect");
	ok(!probe_limiter_suspect(s.h, s.n, 2, 8, 1e-4),
	   "the last hop has nothing to compare with");
	s.n = 0;
	hop(&s, 10, 4), hop(&s, 40, 16);
	ok(!probe_limiter_suspect(s.h, s.n, 0, 8, 1e-4), "loss that carries on is not suspect");
	s.n = 0;
	hop(&s, 20, 12), paced_hop(&s, 20, 15, 4, 0), hop(&s, 20, 12);
	ok(!probe_limiter_suspect(s.h, s.n, 0, 8, 1e-4), "equal loss later: not suspect");
	s.h[2].fast_lost = 0;
	ok(probe_limiter_suspect(s.h, s.n, 0, 8, 1e-4),
	   "a paced later hop counts by its paced probes");

	/* The last hop that answers, before a silent destination. */
	s.n = 0;
	hop(&s, 24, 0), hop(&s, 24, 16), hop(&s, 40, 40);
	ok(probe_limiter_suspect(s.h, s.n, 1, 8, 1e-4),
	   "16/24 lost at the last answering hop, 0/40 answered later: suspect");
	s.h[1].fast_sent = 23, s.h[1].fast_lost = 15;
	ok(!probe_limiter_suspect(s.h, s.n, 1, 8, 1e-4),
	   "... not before 3 * min_sent fast probes (the two-rate test needs them)");
	s.h[1].fast_sent = 24, s.h[1].fast_lost = 1;
	ok(!probe_limiter_suspect(s.h, s.n, 1, 8, 1e-4), "... nor with background loss (1/24)");
	s.h[1].fast_lost = 16;
	s.h[2].fast_sent = s.h[2].fast_lost = 5;
	ok(!probe_limiter_suspect(s.h, s.n, 1, 8, 1e-4),
	   "... nor while the hops after it are barely probed (5 < min_sent)");
	s.h[2].fast_sent = s.h[2].fast_lost = 40;
	ok(!probe_limiter_suspect(s.h, s.n, 0, 8, 1e-4),
	   "a lossless hop before it is not suspect");
	s.h[1].fast_lost = 24;
	s.h[1].replied = false;
	ok(!probe_limiter_suspect(s.h, s.n, 1, 8, 1e-4),
	   "a hop that never answered, before silent ones: nothing to pace");
}

/* xorshift64*: a fixed seed, so the simulation is the same on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double uniform(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static uint64_t binomial(uint64_t n, double p)
{
	uint64_t k = 0;

	for (uint64_t i = 0; i < n; i++)
		k += uniform() < p;
	return k;
}

/*
 * The e2e tests' scenarios at a default run's sample sizes (50 per hop, 100 at the destination,
 * 6 paced): the verdict must come out right in essentially every run.
 */
static void test_simulated(void)
{
	const int runs = 4000;
	int good_fwd = 0, good_rl = 0, good_dst = 0, good_both = 0, good_last = 0;

	for (int r = 0; r < runs; r++) {
		struct scen s = {0};

		/* 40% loss from hop 3 (forwarding loss at router 2). */
		hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 50, binomial(50, 0.4)),
			hop(&s, 100, binomial(100, 0.4));
		good_fwd += run(&s) == 2 && nflagged(&s) == 0;

		/* The same, both ways: 64% from hop 3. */
		s.n = 0;
		hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 50, binomial(50, 0.64)),
			hop(&s, 100, binomial(100, 0.64));
		good_both += run(&s) == 2 && nflagged(&s) == 0;

		/*
		 * Limiter at hop 2 (burst of 6, then 1/s of 10/s: ~10 of 17 lost), 40% loss from
		 * hop 4.
		 */
		s.n = 0;
		hop(&s, 50, 0), paced_hop(&s, 17, 9 + binomial(2, 0.5), 6, 0), hop(&s, 50, 0),
			hop(&s, 50, binomial(50, 0.4)), hop(&s, 100, binomial(100, 0.4));
		good_rl += run(&s) == 3 && s.v[1].rate_limited && nflagged(&s) == 1;

		/* The destination drops 40%. */
		s.n = 0;
		hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 50, 0), hop(&s, 100, binomial(100, 0.4));
		good_dst += run(&s) == 3 && nflagged(&s) == 0;

		/*
		 * Limiter at the last answering hop (burst of 6 answered, then ~9 in 10 lost at
		 * 10/s), paced after 3 * 8 fast probes settle (~27 sent by then), 6 paced
		 * probes; the destination silent.
		 */
		s.n = 0;
		hop(&s, 50, 0), hop(&s, 50, 0), paced_hop(&s, 27, 0, 6, 0), hop(&s, 100, 100);
		for (int i = 0; i < 27; i++) {
			bool lost = i >= 6 && uniform() < 0.9;

			if (s.h[2].fast_lost) {
				s.h[2].tail_sent++;
				s.h[2].tail_lost += lost;
			}
			s.h[2].fast_lost += lost;
		}
		good_last += run(&s) == -1 && s.v[2].rate_limited && nflagged(&s) == 1;
	}
	ok(good_fwd >= runs - 4, "simulated 40%% loss from hop 3: right %d of %d times", good_fwd,
	   runs);
	ok(good_both >= runs - 4, "simulated 64%% loss from hop 3: right %d of %d times", good_both,
	   runs);
	ok(good_rl >= runs - 4, "simulated limiter + loss behind it: right %d of %d times", good_rl,
	   runs);
	ok(good_dst >= runs - 4, "simulated destination loss: right %d of %d times", good_dst,
	   runs);
	ok(good_last >= runs - 4,
	   "simulated limiter at the last answering hop, silent destination: right %d of %d times",
	   good_last, runs);
}

int main(void)
{
	test_rules();
	test_suspect();
	test_simulated();
	return done_testing();
}
