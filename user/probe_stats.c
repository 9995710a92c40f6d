// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "probe_stats.h"

void rtt_add(struct rtt_stats *s, double ms)
{
	double old;

	if (s->n == 0) {
		s->best = s->worst = ms;
		s->mean = s->ssd = 0;
		s->jitter = s->jitter_avg = s->jitter_max = s->jitter_int = 0;
	} else {
		s->jitter = fabs(ms - s->last);
	}
	if (ms < s->best)
		s->best = ms;
	if (ms > s->worst)
		s->worst = ms;
	if (s->jitter > s->jitter_max)
		s->jitter_max = s->jitter;
	s->last = ms;
	s->n++;
	old = s->mean;
	s->mean += (ms - old) / s->n;
	s->ssd += (ms - old) * (ms - s->mean);
	s->jitter_avg += (s->jitter - s->jitter_avg) / s->n;
	if (s->n > 1)
		s->jitter_int += (s->jitter - s->jitter_int) / 16;
}

double rtt_stdev(const struct rtt_stats *s)
{
	return s->n > 1 ? sqrt(s->ssd / (s->n - 1.0)) : 0;
}

void rtt_merge(struct rtt_stats *dst, const struct rtt_stats *src)
{
	double n, delta;

	if (src->n == 0)
		return;
	if (dst->n == 0) {
		*dst = *src;
		return;
	}
	/* Chan et al.'s pairwise update of the mean and the sum of squared deviations. */
	n = (double)dst->n + src->n;
	delta = src->mean - dst->mean;
	dst->ssd += src->ssd + delta * delta * dst->n * src->n / n;
	dst->mean += delta * src->n / n;
	dst->jitter_avg = (dst->jitter_avg * dst->n + src->jitter_avg * src->n) / n;
	dst->n += src->n;
	if (src->best < dst->best)
		dst->best = src->best;
	if (src->worst > dst->worst)
		dst->worst = src->worst;
	if (src->jitter_max > dst->jitter_max)
		dst->jitter_max = src->jitter_max;
	dst->last = src->last;
}

double loss_pct(uint64_t lost, uint64_t sent)
{
	return sent ? 100.0 * (double)lost / (double)sent : 0;
}

void wilson_interval(uint64_t k, uint64_t n, double z, double *lo, double *hi)
{
	double p, z2n, den, center, half;

	if (n == 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	if (k > n)
		k = n;
	p = (double)k / n;
	z2n = z * z / n;
	den = 1 + z2n;
	center = (p + z2n / 2) / den;
	half = z / den * sqrt(p * (1 - p) / n + z2n / (4.0 * n));
	*lo = center - half;
	*hi = center + half;
	/* Exact at the ends, where rounding would leave a hair of the other side. */
	if (k == 0 || *lo < 0)
		*lo = 0;
	if (k == n || *hi > 1)
		*hi = 1;
}

static double log_choose(double n, double k)
{
	int sign;

	/* lgamma_r: no shared signgam, the prober runs in its own thread. */
	return lgamma_r(n + 1, &sign) - lgamma_r(k + 1, &sign) - lgamma_r(n - k + 1, &sign);
}

/* P(i+1) / P(i) of a distribution on whole numbers; prm holds its parameters. */
typedef double (*pmf_ratio)(const double *prm, double i);

/*
 * The sum of P(lo..hi) of a unimodal distribution, relative to P(s) for s in [lo, hi]: the terms
 * are walked from s outward, each from its neighbour. Started at the largest term of the range
 * (the mode, clamped into it), no term that matters can underflow: a tail far below the mode
 * starts at the mode, where P is at least 1 / (support size), and one far above it starts at
 * its own first term, which is then the largest and so underflows only if the tail does.
 */
static double relative_sum(pmf_ratio ratio, const double *prm, uint64_t lo, uint64_t hi,
			   uint64_t s)
{
	double sum = 0, term = 1;

	for (uint64_t i = s;; i++) {
		sum += term;
		if (i == hi)
			break;
		term *= ratio(prm, (double)i);
		/* Log-concave: once this small, the rest of the terms add nothing. */
		if (term < sum * 1e-17)
			break;
	}
	term = 1;
	for (uint64_t i = s; i > lo; i--) {
		term /= ratio(prm, (double)i - 1);
		sum += term;
		if (term < sum * 1e-17)
			break;
	}
	return sum;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* prm: K lost of N probes, n1 in group 1. */
static double hyper_ratio(const double *prm, double i)
{
	double K = prm[0], N = prm[1], n1 = prm[2];

	return (K - i) * (n1 - i) / ((i + 1) * (N - K - n1 + i + 1));
}

double fisher_greater(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2)
{
	double N, K, prm[3], lp, sum;
	uint64_t hi, mode;

	if (n1 == 0 || n2 == 0)
		return 1;
	if (x1 > n1)
		x1 = n1;
	if (x2 > n2)
		x2 = n2;
	if (x1 == 0)
		return 1;
	N = (double)n1 + n2;
	K = (double)x1 + x2;
	/*
	 * X ~ hypergeometric: X lost in group 1 when K of the N probes were lost. x1 is in its
	 * support (x2 <= n2), and so is the whole upper tail x1..min(K, n1).
	 */
	hi = x1 + x2 < n1 ? x1 + x2 : n1;
	mode = (uint64_t)floor(((double)n1 + 1) * (K + 1) / (N + 2));
	mode = clamp_u64(mode, x1, hi);
	prm[0] = K;
	prm[1] = N;
	prm[2] = (double)n1;
	lp = log_choose(K, (double)mode) + log_choose(N - K, (double)(n1 - mode)) -
	     log_choose(N, (double)n1);
	sum = relative_sum(hyper_ratio, prm, x1, hi, mode);
	lp += log(sum);
	return lp >= 0 ? 1 : exp(lp);
}

/* prm: n trials, odds p / (1 - p). */
static double binom_ratio(const double *prm, double i)
{
	return (prm[0] - i) / (i + 1) * prm[1];
}

double binom_greater(uint64_t x, uint64_t n, double p)
{
	double prm[2], lp, sum;
	uint64_t mode;

	if (x == 0)
		return 1;
	if (x > n || p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	mode = clamp_u64((uint64_t)floor(((double)n + 1) * p), x, n);
	prm[0] = (double)n;
	prm[1] = p / (1 - p);
	lp = log_choose((double)n, (double)mode) + (double)mode * log(p) +
	     (double)(n - mode) * log1p(-p);
	sum = relative_sum(binom_ratio, prm, x, n, mode);
	lp += log(sum);
	return lp >= 0 ? 1 : exp(lp);
}

double probe_min_detectable(uint64_t n, double alpha)
{
	uint64_t lo = 1, hi = n;

	if (n == 0 || binom_greater(n, n, PROBE_BACKGROUND_LOSS) >= alpha)
		return 1;
	/* The tail shrinks as k grows: the first k below alpha, by bisection. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (binom_greater(mid, n, PROBE_BACKGROUND_LOSS) < alpha)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (double)lo / (double)n;
}

static void add_counts(uint64_t *sent, uint64_t *lost, uint64_t s, uint64_t l)
{
	*sent += s;
	*lost += l;
}

/* Significantly more loss than some later trusted hop? */
static bool loses_more_than_later(const struct hop_verdict *v, size_t n, size_t k, uint64_t sent,
				  uint64_t lost, double alpha)
{
	for (size_t j = k + 1; j < n; j++) {
		if (!v[j].trusted)
			continue;
		if (fisher_greater(lost, sent, v[j].lost, v[j].sent) < alpha)
			return true;
	}
	return false;
}

int probe_attribute(const struct hop_counts *h, size_t n, double alpha, struct hop_verdict *v)
{
	/* Each hop meets every later hop: a stricter level keeps false flags on real loss rare. */
	double alpha_persist = alpha / 10;
	uint64_t pool_sent = 0, pool_lost = 0;
	bool trusted_after = false;
	int origin = -1;

	memset(v, 0, n * sizeof(*v));
	/* From the far end back, so that each hop is judged against later hops already judged. */
	for (size_t i = n; i-- > 0;) {
		const struct hop_counts *c = &h[i];
		struct hop_verdict *o = &v[i];
		bool fast_nonpersist = false;

		o->p_rise = 1;
		o->shown_later = trusted_after;
		if (!c->replied) {
			/* Never answered (mtr's ???): it says nothing about the path. */
			o->sent = c->fast_sent + c->paced_sent;
			o->lost = c->fast_lost + c->paced_lost;
			continue;
		}
		if (c->paced) {
			bool tail = c->tail_sent > 0;

			o->limiter_confirmed =
				fisher_greater(tail ? c->tail_lost : c->fast_lost,
					       tail ? c->tail_sent : c->fast_sent, c->paced_lost,
					       c->paced_sent) < PROBE_ALPHA_CONFIRM;
			fast_nonpersist = loses_more_than_later(v, n, i, c->fast_sent, c->fast_lost,
								alpha_persist);
		}
		if (c->paced && (o->limiter_confirmed || fast_nonpersist)) {
			/* The fast probes measured the limiter, not the path. */
			o->rate_limited = true;
			o->sent = c->paced_sent;
			o->lost = c->paced_lost;
		} else {
			o->sent = c->fast_sent + c->paced_sent;
			o->lost = c->fast_lost + c->paced_lost;
		}
		if (o->sent == 0)
			continue;
		if (loses_more_than_later(v, n, i, o->sent, o->lost, alpha_persist)) {
			o->rate_limited = true;
			continue;
		}
		o->trusted = true;
		trusted_after = true;
	}

	for (size_t i = 0; i < n; i++) {
		if (!v[i].trusted)
			continue;
		v[i].p_rise = fisher_greater(v[i].lost, v[i].sent, pool_lost, pool_sent);
		if (pool_lost == 0) {
			/* Nothing lost so far: the baseline is zero, known, not a sample. */
			double p = binom_greater(v[i].lost, v[i].sent, PROBE_BACKGROUND_LOSS);

			if (p < v[i].p_rise)
				v[i].p_rise = p;
		}
		if (v[i].p_rise < alpha) {
			origin = (int)i;
			break;
		}
		add_counts(&pool_sent, &pool_lost, v[i].sent, v[i].lost);
	}
	return origin;
}

bool probe_limiter_suspect(const struct hop_counts *h, size_t n, size_t k, uint64_t min_sent,
			   double alpha)
{
	bool later_replied = false, later_silent = false;

	if (k >= n || h[k].fast_sent < min_sent || h[k].fast_lost == 0)
		return false;
	for (size_t j = k + 1; j < n; j++) {
		/* A paced hop is compared by its paced probes: its fast ones met a limiter. */
		uint64_t sent = h[j].paced ? h[j].paced_sent : h[j].fast_sent;
		uint64_t lost = h[j].paced ? h[j].paced_lost : h[j].fast_lost;

		if (!h[j].replied) {
			later_silent |= h[j].fast_sent + h[j].paced_sent >= min_sent;
			continue;
		}
		later_replied = true;
		if (!sent)
			continue;
		if (fisher_greater(h[k].fast_lost, h[k].fast_sent, lost, sent) < alpha)
			return true;
	}
	/*
	 * The last hop that answers, in front of hops that do not: nothing later can show
	 * whether its loss carries on, so pacing it is the only test there is (the two-rate
	 * one). It waits for 3 * min_sent fast probes, so that the fast side of that test has
	 * the probes after the first loss it needs.
	 */
	if (h[k].replied && !later_replied && later_silent && h[k].fast_sent >= 3 * min_sent)
		return binom_greater(h[k].fast_lost, h[k].fast_sent, PROBE_BACKGROUND_LOSS) < alpha;
	return false;
}

/* P(n flows shared evenly by m next hops miss at least one of them), by inclusion-exclusion. */
static double mda_miss(unsigned int m, unsigned int n)
{
	double p = 0, binom = 1;

	for (unsigned int j = 1; j <= m; j++) {
		binom = binom * (m - j + 1) / j;
		p += (j & 1 ? 1 : -1) * binom * pow((double)(m - j) / m, n);
	}
	return p;
}

unsigned int probe_mda_flows(unsigned int k, double alpha)
{
	unsigned int n = 1;

	if (k == 0)
		return 1;
	if (alpha <= 0 || alpha >= 1 || k > 32)
		return 0;
	while (n < 1000 && mda_miss(k + 1, n) > alpha)
		n++;
	return n;
}

int probe_branch_attribute(const struct hop_counts *h, size_t ngroups, size_t n, double alpha,
			   struct branch_verdict *out)
{
	struct hop_verdict *v;

	memset(out, 0, sizeof(*out));
	out->group = -1;
	out->p = 1;
	if (ngroups < 2 || n == 0)
		return -1;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -1;
	for (size_t g = 0; g < ngroups; g++) {
		uint64_t sent = 0, lost = 0, osent = 0, olost = 0;
		int origin = probe_attribute(h + g * n, n, alpha, v);
		double p;

		if (origin < 0)
			continue;
		for (size_t k = (size_t)origin; k < n; k++) {
			if (!v[k].trusted)
				continue;
			sent += v[k].sent;
			lost += v[k].lost;
			for (size_t o = 0; o < ngroups; o++) {
				const struct hop_counts *c = &h[o * n + k];

				if (o == g)
					continue;
				/* The others' loss by all their probes: a limiter there only adds.
				 */
				osent += c->fast_sent + c->paced_sent;
				olost += c->fast_lost + c->paced_lost;
			}
		}
		p = fisher_greater(lost, sent, olost, osent);
		if (p < alpha / (double)ngroups && p < out->p) {
			out->group = (int)g;
			out->origin = origin;
			out->sent = sent;
			out->lost = lost;
			out->other_sent = osent;
			out->other_lost = olost;
			out->p = p;
		}
	}
	free(v);
	return out->group;
}
