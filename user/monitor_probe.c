// SPDX-License-Identifier: GPL-2.0
/* The monitor's continuous probing, episodes, records and probe metrics (monitor_probe.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diagnose_merge.h"
#include "monitor.h"
#include "monitor_acc.h"
#include "monitor_kernel.h"
#include "monitor_probe.h"
#include "probe_child.h"
#include "probe_resolve.h"
#include "probe_stats.h"
#include "trace_bpf.h"
#include "util.h"

/* Round trips to the destination, seconds: from a LAN to another continent. */
static const double rtt_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				    0.05,   0.1,   0.25,   0.5,	  1,	2.5};
#define RTT_BUCKETS (sizeof(rtt_bounds) / sizeof(rtt_bounds[0]))
#define MAX_EVENTS 100000
#define DRAIN_S 10.0	  /* a segment's answers may come this long after it stops sending */
#define LOOKUP_WAIT_S 2.0 /* a segment's start waits this long for names never looked up */
#define FINISH_WAIT_S 3.0 /* at a stop, the segments under way have this long to report */
#define HEARD_S 2.0 /* a settled probe reaches the detector: progress each 1 s, feed each 1 s */
#define NVERDICTS (VERDICT_INCONCLUSIVE + 1)

enum { WHERE_EGRESS, WHERE_INGRESS, WHERE_NETWORK, NWHERE };
static const char *const where_names[NWHERE] = {"host_egress", "host_ingress", "network"};

/* This host's counts at a segment boundary, shared by the segments that end and start there. */
struct host_snap {
	struct drop_snapshot drops;
	struct retrans_snapshot retrans;
	struct host_counters *hc;
	uint64_t events_lost;
	double mono;
	int refs;
};

struct segment {
	struct probe_child *child; /* NULL: none */
	double start;		   /* CLOCK_MONOTONIC s */
	struct host_snap *before, *after;
	struct probe_progress seen; /* the last progress counted */
	/* The events the main process's table refused during it, kept at its end (the count
	 * starts again at each boundary, before the segment has drained and been merged). */
	uint64_t events_missed;
	bool ended;
};

/* A segment's merge (diagnose's), for as long as segment_finish reads it. */
struct merge {
	struct probe_child *child; /* d.report and d.prober are its */
	struct diagnose_opts o;
	struct diag d;
	struct ifname_table ifnames;
};

/*
 * A segment merged, kept a segment longer: an episode found during the next one may have
 * started in it. Only what acc_add reads (its probe list, fates, events, drops and the merge's
 * 29 KB are freed once it is merged: ten targets kept 0.8 MB of them).
 */
struct window {
	double start, end; /* CLOCK_MONOTONIC s */
	struct host_snap *before, *after;
	uint64_t events_missed; /* its segment's */
	struct acc_segment seg;
};

/* A TTL's counts in the hop families. */
struct hop_totals {
	uint64_t sent, received;
	bool limited; /* the last segment's */
};

struct target {
	char name[256];
	bool listed;
	bool literal;		     /* name is an address */
	bool looked_up;		     /* a lookup of the name has come back */
	char addr[INET6_ADDRSTRLEN]; /* the name's address at the last lookup; "": none */
	struct segment cur, prev;    /* the one probing, the one draining */
	struct window *last;
	/*
	 * The episode's segments, summed as each is merged (from the one holding its start): its
	 * record's probes and path (NULL until an episode has a segment: 8 KB a target otherwise);
	 * this host's counts from the first one's before to the last one's after.
	 */
	struct episode_acc *acc;
	struct host_snap *acc_before, *acc_after;
	uint64_t acc_missed;
	unsigned int acc_left_out; /* segments episode_acc_add could not add */
	struct episode_detector det;
	uint64_t pend_sent, pend_lost; /* destination probes settled since the last feed */
	double last_feed;
	bool reached;		 /* the target itself answered in a segment */
	bool closed_unrecorded;	 /* an episode closed; its record comes with the segment's end */
	double ep_start, ep_end; /* CLOCK_REALTIME s */

	/* The metrics. */
	uint64_t sent, lost[NWHERE];
	struct hop_totals *hops;   /* by TTL, 0 .. max_ttl_seen; NULL: no hop seen yet */
	unsigned int max_ttl_seen; /* the farthest TTL seen, <= PROBE_MAX_TTL */
	uint64_t rtt_counts[RTT_BUCKETS + 1];
	double rtt_sum;
	int verdict; /* the last segment's, -1 before the first */
	uint64_t episodes[NVERDICTS];
};

struct mprobe {
	struct mprobe_config cfg;
	const struct mprobe_host *host;
	struct target *t[MPROBE_MAX_TARGETS];
	size_t n;
	bool started;
	double seg_end, next_feed;
	struct host_snap *snap; /* at the current segment's start */
	double real_off;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct drop_event *events;
	size_t nevents, cap_events;
	uint64_t events_missed;	 /* refused since the last segment boundary (then the segment's) */
	uint64_t events_refused; /* refused since the start: a metric */
	struct lookup *lookup; /* the names' lookup under way, NULL: none */
};

void mprobe_config_init(struct mprobe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	probe_config_init(&cfg->probe);
	cfg->budget = MPROBE_DEFAULT_BUDGET;
	cfg->dest_share = MPROBE_DEFAULT_DEST_SHARE;
	cfg->segment_s = MPROBE_DEFAULT_SEGMENT_S;
	cfg->rule = EPISODE_RULE_DEFAULT;
}

static double real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int mprobe_new(const struct mprobe_config *cfg, const struct mprobe_host *host, struct mprobe **out)
{
	struct episode_detector probe_rule;
	struct mprobe *m;

	*out = NULL;
	if (!(cfg->budget >= 1 && cfg->budget <= 1000) ||
	    !(cfg->dest_share > 0 && cfg->dest_share < 1) ||
	    !(cfg->segment_s >= 5 && cfg->segment_s <= 3600) ||
	    episode_detector_init(&probe_rule, &cfg->rule)) {
		ds_err("bad probing budget, share, segment or episode rule");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	m->host = host;
	m->real_off = real_now() - mono_now();
	*out = m;
	return 0;
}

/* --- this host's counts at the boundaries ------------------------------------------------ */

static void snap_put(struct host_snap *s)
{
	if (!s || --s->refs > 0)
		return;
	drop_snapshot_free(&s->drops);
	retrans_snapshot_free(&s->retrans);
	host_counters_free(s->hc);
	free(s);
}

static struct host_snap *snap_get(struct host_snap *s)
{
	if (s)
		s->refs++;
	return s;
}

static struct host_snap *snap_take(struct mprobe *m)
{
	const struct mprobe_host *h = m->host;
	struct host_snap *s = calloc(1, sizeof(*s));
	struct ds_stats st;

	if (!s)
		return NULL;
	s->refs = 1;
	s->mono = mono_now();
	if (h->drops_fd >= 0)
		drop_snapshot_read(h->drops_fd, &s->drops);
	if (h->retrans_fd >= 0)
		retrans_snapshot_read(h->retrans_fd, &s->retrans);
	if (h->stats_fd >= 0 && !read_stats(h->stats_fd, &st))
		s->events_lost = st.events_lost;
	if (h->ns)
		host_counters_read(h->ns, &s->hc);
	return s;
}

/* --- segments ----------------------------------------------------------------------------- */

static void segment_clear(struct segment *s)
{
	probe_child_close(s->child);
	snap_put(s->before);
	snap_put(s->after);
	memset(s, 0, sizeof(*s));
}

/* The probes to the destination settled so far, counted once: the detector's input. */
static void count_progress(struct target *t, struct segment *s, uint64_t sent, uint64_t lost)
{
	if (sent > s->seen.dest_sent)
		t->pend_sent += sent - s->seen.dest_sent;
	if (lost > s->seen.dest_lost)
		t->pend_lost += lost - s->seen.dest_lost;
	if (sent > s->seen.dest_sent)
		s->seen.dest_sent = sent;
	if (lost > s->seen.dest_lost)
		s->seen.dest_lost = lost;
}

/* --- names, looked up off the loop ------------------------------------------------------ */

/*
 * The targets given as names are looked up in a thread, a round each segment: a slow or dead
 * DNS server holds up neither the others' probing (one process probes them all, started once
 * every prober is open) nor the loop (scrapes). A segment probes a name's address of the last
 * round; a name not (or no longer) resolving is not probed and says so.
 */
struct lookup {
	pthread_t thread;
	int done;		 /* set by the thread when its round is over */
	int refs;		 /* the thread's and the owner's */
	struct probe_config cfg; /* family */
	struct netns_ref ns;	 /* fd our own copy, -1: ours */
	size_t n;
	char name[MPROBE_MAX_TARGETS][256];
	char addr[MPROBE_MAX_TARGETS][INET6_ADDRSTRLEN]; /* "": did not resolve */
};

static void lookup_put(struct lookup *l)
{
	if (__atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (l->ns.fd >= 0)
		close(l->ns.fd);
	free(l);
}

static void *lookup_run(void *arg)
{
	struct lookup *l = arg;
	int saved = -1;
	bool in = l->ns.fd < 0 || !netns_enter(&l->ns, &saved);

	for (size_t i = 0; i < l->n; i++) {
		struct probe_config c = l->cfg;
		struct sockaddr_storage ss;
		socklen_t len;

		l->addr[i][0] = 0;
		snprintf(c.target, sizeof(c.target), "%s", l->name[i]);
		if (!in || probe_resolve_target(&c, &ss, &len)) /* prints why not */
			continue;
		inet_ntop(ss.ss_family,
			  ss.ss_family == AF_INET6
				  ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
				  : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
			  l->addr[i], sizeof(l->addr[i]));
	}
	if (saved >= 0)
		netns_leave(saved);
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	lookup_put(l);
	return NULL;
}

/* A round of lookups of the names among the targets, unless one is under way. */
static void lookup_start(struct mprobe *m)
{
	struct lookup *l;

	if (m->lookup)
		return;
	l = calloc(1, sizeof(*l));
	if (!l)
		return;
	l->cfg = m->cfg.probe;
	l->ns.fd = -1;
	if (m->host->ns && m->host->ns->fd >= 0) {
		l->ns = *m->host->ns;
		l->ns.fd = fcntl(m->host->ns->fd, F_DUPFD_CLOEXEC, 0);
	}
	for (size_t i = 0; i < m->n; i++)
		if (!m->t[i]->literal)
			snprintf(l->name[l->n++], sizeof(l->name[0]), "%s", m->t[i]->name);
	l->refs = 2;
	if (!l->n || (m->host->ns && m->host->ns->fd >= 0 && l->ns.fd < 0) ||
	    pthread_create(&l->thread, NULL, lookup_run, l)) {
		l->refs = 1;
		lookup_put(l);
		return;
	}
	pthread_detach(l->thread);
	m->lookup = l;
}

/* The round's answers, once it is over, to the targets still listed. */
static void lookup_collect(struct mprobe *m)
{
	struct lookup *l = m->lookup;

	if (!l || !__atomic_load_n(&l->done, __ATOMIC_ACQUIRE))
		return;
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < m->n; j++)
			if (!strcmp(m->t[j]->name, l->name[i])) {
				memcpy(m->t[j]->addr, l->addr[i], sizeof(m->t[j]->addr));
				m->t[j]->looked_up = true;
			}
	m->lookup = NULL;
	lookup_put(l);
}

/*
 * A name never looked up (a start, a reload) would not be probed for a whole segment: wait for
 * the round under way (started now if none is), LOOKUP_WAIT_S at most (it holds up the loop,
 * once a new name).
 */
static void lookup_wait(struct mprobe *m)
{
	double until = mono_now() + LOOKUP_WAIT_S;
	bool need = false;

	for (size_t i = 0; i < m->n; i++)
		need |= !m->t[i]->literal && !m->t[i]->looked_up;
	if (need)
		lookup_start(m);
	if (!need || !m->lookup)
		return;
	while (!__atomic_load_n(&m->lookup->done, __ATOMIC_ACQUIRE) && mono_now() < until)
		usleep(10000);
}

/* What to probe for t: its address, or NULL (said) while its name has none. */
static const char *target_address(struct mprobe *m, const struct target *t)
{
	if (t->literal)
		return t->name;
	if (t->addr[0])
		return t->addr;
	if (t->looked_up)
		ds_err("monitor: %s: not probed for the next %.0f s; the other targets go on",
		       t->name, m->cfg.segment_s);
	return NULL;
}

/* Open t's prober for a segment (in the server's namespace, entered by the caller); NULL if
 * it cannot be probed now (printed). */
static struct prober *segment_open(struct mprobe *m, struct target *t, const char *address)
{
	struct probe_config cfg = m->cfg.probe;
	struct prober *p = NULL;

	snprintf(cfg.target, sizeof(cfg.target), "%s", address);
	cfg.count = 0;
	cfg.count_set = false;
	cfg.duration_s = m->cfg.segment_s;
	cfg.no_dns = true; /* a lookup a minute per hop is no one's business */
	cfg.dest_interval_s = 1 / (m->cfg.budget * m->cfg.dest_share);
	/* A round of every hop as often as the hops' share allows, whatever the path's length. */
	cfg.hop_budget = m->cfg.budget * (1 - m->cfg.dest_share);
	cfg.interval_s = 0.05;
	if (probe_config_finish(&cfg))
		return NULL;
	if (prober_open(&cfg, &p)) { /* prints why it failed */
		ds_err("monitor: %s: not probed for the next %.0f s; the other targets go on",
		       t->name, m->cfg.segment_s);
		return NULL;
	}
	return p;
}

/*
 * A segment for every target, all probed in ONE unprivileged process (a loop over their
 * probers, each within its own budget): one fork a segment, not one per target, and one
 * wakeup serves every target whose answer or send is due.
 */
static void segments_start(struct mprobe *m, double now)
{
	const struct mprobe_host *h = m->host;
	struct prober *ps[MPROBE_MAX_TARGETS];
	struct target *ts[MPROBE_MAX_TARGETS];
	struct probe_child *cs[MPROBE_MAX_TARGETS];
	size_t k = 0;
	int err, saved = -1;

	lookup_wait(m);
	lookup_collect(m);
	lookup_start(m);
	if (!m->n)
		return;
	if (h->ns) {
		err = netns_enter(h->ns, &saved);
		if (err) {
			ds_err("monitor: failed to enter the namespace: %s; no probing for the "
			       "next "
			       "%.0f s",
			       strerror(-err), m->cfg.segment_s);
			return;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		const char *address = target_address(m, m->t[i]);

		ps[k] = address ? segment_open(m, m->t[i], address) : NULL;
		if (ps[k])
			ts[k++] = m->t[i];
	}
	if (h->ns)
		netns_leave(saved);
	if (!k || probe_child_start_many(ps, k, cs))
		return;
	for (size_t i = 0; i < k; i++) {
		if (probe_child_go(cs[i], now + m->cfg.segment_s + DRAIN_S)) {
			probe_child_close(cs[i]);
			continue;
		}
		ts[i]->cur.child = cs[i];
		ts[i]->cur.start = now;
		ts[i]->cur.before = snap_get(m->snap);
	}
}

/* --- records and metrics ----------------------------------------------------------------- */

static void flush_closed(struct mprobe *m, struct target *t);
static void acc_reset(struct target *t);

static void feed(struct mprobe *m, struct target *t, double now)
{
	enum episode_change c;

	if (!t->last_feed)
		t->last_feed = now;
	/* Until a segment shows the target itself answers (not a router's unreachable), its
	 * silence is no episode. */
	if (!t->reached)
		t->pend_sent = t->pend_lost = 0;
	c = episode_feed(&t->det, t->last_feed, now, t->pend_sent, t->pend_lost);
	t->last_feed = now;
	t->pend_sent = t->pend_lost = 0;
	if (c == EPISODE_OPENED) {
		/* Another began before the last one's record was due: that one's first. */
		if (t->closed_unrecorded)
			flush_closed(m, t);
		acc_reset(t);
		t->ep_start = t->det.start + m->real_off;
		t->ep_end = 0;
		t->closed_unrecorded = false;
		fprintf(stderr,
			"dropscope: loss episode on %s: %llu of %llu probes lost since %.0f s "
			"ago; its record comes at the end of the segment\n",
			t->name, (unsigned long long)t->det.lost, (unsigned long long)t->det.sent,
			now - t->det.start);
	} else if (c == EPISODE_CLOSED) {
		t->ep_end = t->det.end + m->real_off;
		t->closed_unrecorded = true;
	}
}

/* The events in the segment's window: its probes' drops and their answers'. */
static size_t window_events(struct mprobe *m, double from, struct drop_event **out)
{
	uint64_t from_ns = from > 1 ? (uint64_t)((from - 1) * 1e9) : 0;
	size_t n = 0;

	*out = malloc((m->nevents + 1) * sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < m->nevents; i++)
		if (m->events[i].ts_ns >= from_ns)
			(*out)[n++] = m->events[i];
	return n;
}

/* Room in t->hops up to ttl (zeroes): 0 or -ENOMEM. */
static int hops_reserve(struct target *t, unsigned int ttl)
{
	size_t had = t->hops ? t->max_ttl_seen + 1 : 0;
	struct hop_totals *hops;

	if (ttl < had)
		return 0;
	hops = realloc(t->hops, (ttl + 1) * sizeof(*hops));
	if (!hops)
		return -ENOMEM;
	memset(hops + had, 0, (ttl + 1 - had) * sizeof(*hops));
	t->hops = hops;
	t->max_ttl_seen = ttl;
	return 0;
}

static void hop_metrics(struct target *t, const struct probe_report *r)
{
	unsigned int far = 0;

	for (size_t h = 0; h < r->nhops; h++)
		if (r->hops[h].ttl <= PROBE_MAX_TTL && r->hops[h].ttl > far)
			far = r->hops[h].ttl;
	if (far && hops_reserve(t, far)) {
		ds_err("monitor: %s: failed to count its hops' probes: %s", t->name,
		       strerror(ENOMEM));
		return;
	}
	for (size_t ttl = 0; t->hops && ttl <= t->max_ttl_seen; ttl++)
		t->hops[ttl].limited = false;
	for (size_t h = 0; h < r->nhops && t->hops; h++) {
		unsigned int ttl = r->hops[h].ttl;

		if (ttl > PROBE_MAX_TTL)
			continue;
		t->hops[ttl].sent += r->hops[h].all_sent;
		t->hops[ttl].received += r->hops[h].all_received;
		t->hops[ttl].limited = r->hops[h].rate_limited;
	}
}

/* The destination's probes of the segment, by fate: its counters and round trips. */
static void dest_metrics(struct target *t, struct diag *d)
{
	const struct probe_record *rec;
	size_t n = probe_child_probes(d->prober, &rec);

	for (size_t i = 0; i < n && d->fates; i++) {
		double rtt;
		size_t b;

		/* A port the target filters is not loss (diagnose_fate.h). */
		if (!(rec[i].flags & PROBE_REC_DEST) || d->fates[i] == FATE_IN_FLIGHT ||
		    d->fates[i] == FATE_FILTERED)
			continue;
		t->sent++;
		switch (d->fates[i]) {
		case FATE_ANSWERED:
			rtt = rec[i].reply_ns > rec[i].sent_ns
				      ? (rec[i].reply_ns - rec[i].sent_ns) / 1e9
				      : 0;
			for (b = 0; b < RTT_BUCKETS && rtt > rtt_bounds[b]; b++)
				;
			t->rtt_counts[b]++;
			t->rtt_sum += rtt;
			break;
		case FATE_EGRESS:
		case FATE_REFUSED:
			t->lost[WHERE_EGRESS]++;
			break;
		case FATE_INGRESS:
			t->lost[WHERE_INGRESS]++;
			break;
		default:
			t->lost[WHERE_NETWORK]++;
		}
	}
}

static void diag_host_free(struct diag *d, struct ifname_table *ifnames);

static void merge_free(struct merge *mg)
{
	if (!mg)
		return;
	free(mg->d.events);
	free(mg->d.fates);
	free(mg->d.seen);
	diag_host_free(&mg->d, &mg->ifnames);
	probe_child_close(mg->child);
	free(mg);
}

static void window_free(struct window *w)
{
	if (!w)
		return;
	acc_segment_free(&w->seg);
	snap_put(w->before);
	snap_put(w->after);
	free(w);
}

/* The record's options: what diagnose's command line would give. */
static void record_opts(const struct mprobe *m, const struct target *t, struct diagnose_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->json = m->cfg.json;
	o->netns_spec = m->host->netns_spec;
	_Static_assert(sizeof(o->probe.target) == sizeof(t->name), "a target fits");
	memcpy(o->probe.target, t->name, sizeof(t->name));
}

/*
 * The merge's inputs about this host over [before, after]: its namespace, names, drops,
 * retransmissions, counters and their findings, and the events the tracer lost (missed: those
 * the main process's table refused).
 */
static void diag_host(const struct mprobe *m, struct diag *d, struct ifname_table *ifnames,
		      const struct host_snap *before, const struct host_snap *after,
		      uint64_t missed)
{
	const struct mprobe_host *h = m->host;

	d->self_netns = h->ns ? h->ns->inode : 0;
	d->reasons = (struct reason_table *)h->reasons;
	d->ksyms_src = h->ksyms_src; /* the merge reads the window's locations' names */
	d->tracer_name = h->tracer_name;
	if (h->ifnames_fd >= 0)
		ifname_table_read(h->ifnames_fd, ifnames);
	d->names.reasons = h->reasons;
	d->names.ifnames = ifnames;
	d->names.self_netns = d->self_netns;
	d->before = before->hc;
	d->after = after->hc;
	if (d->before && d->after && !host_counters_delta(d->before, d->after, &d->delta))
		findings_compute(d->delta, &d->findings, &d->nfindings);
	drop_snapshot_delta(&before->drops, &after->drops, &d->drops);
	retrans_snapshot_delta(&before->retrans, &after->retrans, &d->retrans);
	d->vin.events_lost = after->events_lost - before->events_lost + missed;
}

/* What diag_host and the merge allocated. */
static void diag_host_free(struct diag *d, struct ifname_table *ifnames)
{
	diagnose_free_merged(d);
	ifname_table_free(ifnames);
}

/*
 * A window has 3 destination probes for each hop's 1: the destination's loss can be certain
 * (its 95% interval above PROBE_BACKGROUND_LOSS) while the hops are too few to say where it
 * starts. That loss is still the path's, not "no loss".
 */
static void unplaced_loss(struct diag *d)
{
	if (!d->vin.network_loss && d->report && d->report->reached &&
	    d->vin.dest_loss_lo > PROBE_BACKGROUND_LOSS * 100) {
		d->vin.network_loss = true;
		d->vin.origin_ttl = 0;
		d->vin.origin_loss_pct = d->report->end_to_end.loss_pct;
	}
}

/* The merge over a segment that has ended and drained; takes its child. 0 or -errno. */
static int segment_merge(struct mprobe *m, struct target *t, struct segment *s, struct merge *mg)
{
	struct diag *d = &mg->d;

	mg->child = s->child;
	s->child = NULL;
	record_opts(m, t, &mg->o);
	d->o = &mg->o;
	d->prober = mg->child;
	diag_host(m, d, &mg->ifnames, s->before, s->after, s->events_missed);
	d->nevents = window_events(m, s->start, &d->events);
	d->start = s->start;
	d->seconds = s->after->mono - s->start;
	if (diagnose_merge(d))
		return -ENOMEM;
	unplaced_loss(d);
	diagnose_decide(d);
	return 0;
}

static void acc_reset(struct target *t)
{
	if (t->acc)
		episode_acc_free(t->acc);
	free(t->acc);
	t->acc = NULL;
	snap_put(t->acc_before);
	snap_put(t->acc_after);
	t->acc_before = t->acc_after = NULL;
	t->acc_missed = 0;
	t->acc_left_out = 0;
}

/* What is kept of a merged segment; NULL when out of memory. */
static struct window *window_keep(const struct segment *s, const struct diag *d)
{
	struct window *w = calloc(1, sizeof(*w));

	if (!w || acc_segment_keep(&w->seg, &d->fate, d->network_at_ttl, d->report)) {
		free(w);
		return NULL;
	}
	w->start = s->start;
	w->end = s->after->mono;
	w->before = snap_get(s->before);
	w->after = snap_get(s->after);
	w->events_missed = s->events_missed;
	return w;
}

/* Add a merged segment to the episode's record. */
static void acc_add(struct target *t, const struct window *w)
{
	if (!t->acc)
		t->acc = calloc(1, sizeof(*t->acc)); /* episode_acc_init's empty one */
	if (!t->acc || episode_acc_add_kept(t->acc, &w->seg)) {
		ds_err("monitor: %s: failed to add a segment to its episode's record: %s", t->name,
		       strerror(ENOMEM));
		t->acc_left_out++;
		return;
	}
	if (!t->acc_before)
		t->acc_before = snap_get(w->before);
	snap_put(t->acc_after);
	t->acc_after = snap_get(w->after);
	t->acc_missed += w->events_missed;
}

/*
 * The episode's record: the merge over every segment it has touched so far (t->acc), decided
 * once over the whole. Its counts (probes, drops, retransmissions, counters) are those of the
 * segments, from the first one's start to the last one's end: its duration and every rate are
 * over that span; the episode's own times (to its end, or open while it lasts) are its
 * "episode". Returns the verdict, or -1 when there is nothing to print (no segment merged yet).
 */
static int print_episode(struct mprobe *m, struct target *t, bool ended)
{
	struct diag_episode ep = {.target = t->name, .start = t->ep_start};
	struct ifname_table ifnames = {0};
	struct diagnose_opts o;
	struct diag *d;
	int kind = -1;

	if (!t->acc || !t->acc->segments || !t->acc_before || !t->acc_after)
		return -1;
	d = calloc(1, sizeof(*d));
	if (!d) {
		ds_err("monitor: %s: failed to make the episode's record: %s", t->name,
		       strerror(ENOMEM));
		return -1;
	}
	record_opts(m, t, &o);
	d->o = &o;
	diag_host(m, d, &ifnames, t->acc_before, t->acc_after, t->acc_missed);
	d->fate = t->acc->fate;
	d->start = t->acc_before->mono;
	d->seconds = t->acc_after->mono > d->start ? t->acc_after->mono - d->start : 0;
	d->report = episode_acc_report(t->acc, d->start + m->real_off, d->seconds);
	d->excused = d->report ? t->acc->excused : 0;
	if (!d->report && errno == ENOMEM) {
		/* Without its path the record would say the path lost nothing. */
		ds_err("monitor: %s: failed to sum the episode's path (no record): %s", t->name,
		       strerror(ENOMEM));
	} else if (!diagnose_merge_placed(d)) {
		unplaced_loss(d);
		diagnose_decide(d);
		ep.end = ended ? t->ep_end : 0;
		ep.segments = t->acc->segments;
		ep.left_out = t->acc_left_out;
		d->episode = &ep;
		diagnose_print(d);
		kind = d->verdict.kind;
	}
	diag_host_free(d, &ifnames);
	free(d);
	return kind;
}

/* The record of an episode that has ended: over its whole window, with the end; counted. */
static void flush_closed(struct mprobe *m, struct target *t)
{
	int kind = print_episode(m, t, true);

	t->closed_unrecorded = false;
	/* kind -1: it opened and closed between two segments' ends, nothing merged */
	if (kind >= 0)
		t->episodes[kind]++;
	acc_reset(t);
}

/*
 * A segment has ended and drained: count it, merge it, and print the record it owes (an open
 * episode's only with record: at a stop, the segment cut there prints it, with this one).
 */
static void segment_finish(struct mprobe *m, struct target *t, struct segment *s, double now,
			   bool record)
{
	const struct probe_report *r = probe_child_report(s->child, NULL, 0);
	struct window *w;
	struct merge *mg;
	double timeout_s;

	if (r) {
		count_progress(t, s, r->end_to_end.sent,
			       r->end_to_end.sent - r->end_to_end.received);
		hop_metrics(t, r);
		t->reached |= r->reached;
	}
	feed(m, t, now);
	mg = r && s->before && s->after ? calloc(1, sizeof(*mg)) : NULL;
	if (!mg || segment_merge(m, t, s, mg)) {
		merge_free(mg);
		segment_clear(s);
		return;
	}
	dest_metrics(t, &mg->d);
	t->verdict = mg->d.verdict.kind;
	timeout_s = mg->d.report ? mg->d.report->timeout_s : 0;
	w = window_keep(s, &mg->d);
	/* What the record needs is copied: the merge goes, and with it the process of the
	 * segment (it goes once every target's segment in it has ended). */
	merge_free(mg);
	if (!w)
		ds_err("monitor: %s: failed to keep the segment for its episode's record: %s",
		       t->name, strerror(ENOMEM));
	if (t->det.open || t->closed_unrecorded) {
		/*
		 * The segments from the one holding its start to the one holding its end: the
		 * segment before may hold the start (found during this one); its close is found
		 * some 15 s after its end, maybe in a segment that began after it. The detector
		 * reads probes as they settle, a timeout after they were sent (and dropped), and
		 * hears of them up to HEARD_S later.
		 */
		double from = t->det.start - HEARD_S - timeout_s;
		double until = t->det.open ? now : t->det.end;

		if ((!t->acc || !t->acc->segments) && t->last && t->last->end >= from &&
		    t->last->start <= until)
			acc_add(t, t->last);
		/* s's times are the kept window's (window_keep), which may have failed. */
		if (s->start <= until && s->after->mono >= from) {
			if (w)
				acc_add(t, w);
			else
				t->acc_left_out++;
		}
	}
	if (t->det.open && record)
		print_episode(m, t, false);
	else if (t->closed_unrecorded)
		flush_closed(m, t);
	window_free(t->last);
	t->last = w;
	segment_clear(s);
}

/* --- the loop ------------------------------------------------------------------------------ */

/* Read what a segment's child sent; 1 once its run has ended. */
static int follow(struct target *t, struct segment *s)
{
	struct probe_progress pr;
	int run_err = 0, rc = 0;

	if (!s->child)
		return 0;
	/* One message a call: read until nothing new came (a tick may be a second late). */
	for (int i = 0; i < 64 && !s->ended; i++) {
		double before = probe_child_progress(s->child).seconds;

		rc = probe_child_wait(s->child, 0, &run_err);
		/* A failed process is said once, for all its targets (probe_child). */
		if (rc > 0 && run_err)
			ds_err("monitor: %s: the prober stopped early", t->name);
		s->ended = rc != 0;
		if (!s->ended && probe_child_progress(s->child).seconds == before)
			break;
	}
	pr = probe_child_progress(s->child);
	count_progress(t, s, pr.dest_sent, pr.dest_lost);
	return s->ended;
}

static void prune_events(struct mprobe *m)
{
	double oldest = mono_now();
	uint64_t keep_ns;
	size_t k = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (m->t[i]->prev.child && m->t[i]->prev.start < oldest)
			oldest = m->t[i]->prev.start;
		if (m->t[i]->cur.child && m->t[i]->cur.start < oldest)
			oldest = m->t[i]->cur.start;
	}
	keep_ns = oldest > 2 ? (uint64_t)((oldest - 2) * 1e9) : 0;
	for (size_t i = 0; i < m->nevents; i++)
		if (m->events[i].ts_ns >= keep_ns)
			m->events[k++] = m->events[i];
	m->nevents = k;
	m->events_missed = 0;
}

/* A new segment for every target: the running one drains, a new one starts. */
static void boundary(struct mprobe *m, double now)
{
	struct host_snap *snap = snap_take(m);

	for (size_t i = 0; i < m->n; i++) {
		struct target *t = m->t[i];

		if (t->prev.child) {
			/* Still not done a whole segment later: its child is stuck. */
			ds_err("monitor: %s: the prober did not finish its segment; dropped",
			       t->name);
			segment_clear(&t->prev);
		}
		if (t->cur.child) {
			t->prev = t->cur;
			t->prev.after = snap_get(snap);
			t->prev.events_missed = m->events_missed;
			memset(&t->cur, 0, sizeof(t->cur));
		}
	}
	snap_put(m->snap);
	m->snap = snap;
	prune_events(m);
	segments_start(m, now);
	m->seg_end = now + m->cfg.segment_s;
}

/* Merge the draining segments whose run has ended. */
static void finish_drained(struct mprobe *m, double now)
{
	bool merged = false;

	for (size_t i = 0; i < m->n; i++) {
		struct target *t = m->t[i];

		if (follow(t, &t->prev)) {
			segment_finish(m, t, &t->prev, now, true);
			merged = true;
		}
	}
	/*
	 * The merges' memory (their struct diag, probe lists, fates) is freed between what they
	 * keep, which glibc cannot give back from the middle of the heap by itself: 0.2 MB of the
	 * heap's 0.48 MB after two segments with 10 targets, freed and resident.
	 */
	if (merged)
		malloc_trim(0);
}

/*
 * A draining segment's end to watch, or -1: its process ends the run with DONE on every
 * target's end at once, so one end tells for all.
 */
static int drain_fd(const struct mprobe *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i]->prev.child)
			return probe_child_fd(m->t[i]->prev.child);
	return -1;
}

void mprobe_tick(struct mprobe *m)
{
	double now = mono_now();

	if (!m->started || now >= m->seg_end) {
		m->started = true;
		m->next_feed = now + 1;
		boundary(m, now);
	}
	for (size_t i = 0; i < m->n; i++)
		follow(m->t[i], &m->t[i]->cur);
	finish_drained(m, now);
	if (now >= m->next_feed) {
		m->next_feed = now + 0.9; /* the monitor ticks each second */
		for (size_t i = 0; i < m->n; i++)
			feed(m, m->t[i], now);
	}
}

/* Whether t owes a record: an episode open, or closed and not yet recorded. */
static bool owes_record(const struct target *t)
{
	return t->det.open || t->closed_unrecorded;
}

void mprobe_finish(struct mprobe *m)
{
	struct host_snap *snap;
	double until = mono_now() + FINISH_WAIT_S, now;
	bool owed = false, waiting = true;

	for (size_t i = 0; i < m->n; i++)
		owed |= owes_record(m->t[i]) && (m->t[i]->cur.child || m->t[i]->prev.child);
	if (!owed || !ds_stop)
		return;
	/* ds_stop ends the process's run once every handle has seen it: follow them all. */
	while (waiting && mono_now() < until) {
		waiting = false;
		for (size_t i = 0; i < m->n; i++) {
			struct target *t = m->t[i];

			if (t->prev.child && !t->prev.ended)
				waiting |= !follow(t, &t->prev);
			if (t->cur.child && !t->cur.ended)
				waiting |= !follow(t, &t->cur);
		}
		if (waiting)
			usleep(20000);
	}
	/* The drops of the probes' last answers, still in the ring buffer, before the merges. */
	if (m->host->read_events)
		m->host->read_events(m->host->events_ctx);
	snap = snap_take(m);
	now = mono_now();
	for (size_t i = 0; i < m->n; i++) {
		struct target *t = m->t[i];

		if (t->prev.child && t->prev.ended)
			segment_finish(m, t, &t->prev, now, !(t->cur.child && t->cur.ended));
		if (!t->cur.child || !t->cur.ended || !owes_record(t))
			continue;
		t->cur.after = snap_get(snap);
		t->cur.events_missed = m->events_missed;
		segment_finish(m, t, &t->cur, now, true);
	}
	snap_put(snap);
}

void mprobe_event(struct mprobe *m, const struct drop_event *e)
{
	if (!(e->flags & DS_EV_WATCHED))
		return;
	/* Protocol-normal drops lose nothing (the merge skips them too): most are the answers the
	 * kernel drops as NO_SOCKET once the raw socket has its copy, one a probe. */
	if (m->host->reasons && reasons_category(m->host->reasons, e->reason) == CAT_NORMAL)
		return;
	if (m->nevents >= MAX_EVENTS ||
	    array_reserve((void **)&m->events, &m->cap_events, m->nevents + 1, sizeof(*e))) {
		m->events_missed++;
		m->events_refused++;
		return;
	}
	m->events[m->nevents++] = *e;
}

static void target_free(struct target *t)
{
	if (!t)
		return;
	segment_clear(&t->cur);
	segment_clear(&t->prev);
	window_free(t->last);
	acc_reset(t);
	free(t->hops);
	free(t);
}

/* A target going away (a reload) with an episode open or unrecorded: its last record now, of
 * the segments merged so far. */
static void target_owed_record(struct mprobe *m, struct target *t)
{
	if (t->closed_unrecorded)
		flush_closed(m, t);
	else if (t->det.open)
		print_episode(m, t, false);
}

/*
 * An address, passed to the prober as it is; fe80::1%eth1 too (inet_pton refuses the scope, and
 * a lookup's address would lose it), the prober resolving the interface in the server's namespace.
 */
static bool is_address(const char *s)
{
	const char *pct = strchr(s, '%');
	char a6[INET6_ADDRSTRLEN];
	uint8_t a[16];

	if (pct) {
		if (pct == s || !pct[1] || (size_t)(pct - s) >= sizeof(a6))
			return false;
		snprintf(a6, sizeof(a6), "%.*s", (int)(pct - s), s);
		return inet_pton(AF_INET6, a6, a) == 1;
	}
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

int mprobe_set_targets(struct mprobe *m, const char *const *targets, size_t n)
{
	struct target *keep[MPROBE_MAX_TARGETS];
	size_t nkeep = 0;

	if (n > MPROBE_MAX_TARGETS) {
		ds_err("too many targets: %zu, at most %d", n, MPROBE_MAX_TARGETS);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!targets[i][0] || strlen(targets[i]) >= sizeof(keep[0]->name)) {
			ds_err("bad target '%s': empty or too long", targets[i]);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(targets[i], targets[j])) {
				ds_err("target '%s' is listed twice", targets[i]);
				return -EINVAL;
			}
	}
	for (size_t i = 0; i < m->n; i++)
		m->t[i]->listed = false;
	for (size_t i = 0; i < n; i++) {
		struct target *t = NULL;

		for (size_t j = 0; j < m->n && !t; j++)
			if (!strcmp(m->t[j]->name, targets[i]))
				t = m->t[j];
		if (!t) {
			t = calloc(1, sizeof(*t));
			if (!t) {
				for (size_t k = 0; k < nkeep; k++)
					if (!keep[k]->listed)
						target_free(keep[k]);
				return -ENOMEM;
			}
			snprintf(t->name, sizeof(t->name), "%s", targets[i]);
			t->literal = is_address(t->name);
			episode_detector_init(&t->det, &m->cfg.rule);
			t->verdict = -1;
		}
		t->listed = true;
		keep[nkeep++] = t;
	}
	for (size_t i = 0; i < m->n; i++)
		if (!m->t[i]->listed) {
			target_owed_record(m, m->t[i]);
			target_free(m->t[i]);
		}
	memcpy(m->t, keep, nkeep * sizeof(keep[0]));
	m->n = nkeep;
	/* A reload's new names are looked up now, for the next segment's start (lookup_wait);
	 * at the start, by the first segment's (no lookup before the monitor runs). */
	if (m->started) {
		lookup_collect(m);
		lookup_start(m);
	}
	return 0;
}

void mprobe_free(struct mprobe *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		target_free(m->t[i]);
	if (m->lookup)
		lookup_put(m->lookup); /* the thread frees it when its lookups are over */
	snap_put(m->snap);
	free(m->events);
	free(m);
}

/* --- the metric families ------------------------------------------------------------------ */

enum hop_value { HOP_SENT, HOP_RECEIVED, HOP_LIMITED };

/* A hop family's series: every TTL up to the farthest seen (<= max_ttl), per target. */
static void hop_series(const struct mprobe *m, struct metrics *mx, enum hop_value which)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct target *t = m->t[i];

		for (unsigned int ttl = 1; ttl <= t->max_ttl_seen; ttl++) {
			char tb[8];
			const char *lab[] = {"target", t->name, "ttl", tb, NULL};

			snprintf(tb, sizeof(tb), "%u", ttl);
			if (which == HOP_LIMITED)
				metrics_gauge(mx, lab, t->hops[ttl].limited);
			else
				metrics_counter(mx, lab,
						which == HOP_SENT ? t->hops[ttl].sent
								  : t->hops[ttl].received);
		}
	}
}

void mprobe_metrics(const struct mprobe *m, struct metrics *mx)
{
	size_t i;

	metrics_family(
		mx, "dropscope_probe_sent_total", METRIC_COUNTER,
		"Probes to the target itself, answered or given up on, counted at the end of "
		"each segment");
	for (i = 0; i < m->n; i++) {
		const char *lab[] = {"target", m->t[i]->name, NULL};

		metrics_counter(mx, lab, m->t[i]->sent);
	}
	metrics_family(
		mx, "dropscope_probe_lost_total", METRIC_COUNTER,
		"Probes to the target lost, by where: dropped by this server on the way out, "
		"their answers dropped by it on the way in, or lost in the network");
	for (i = 0; i < m->n; i++)
		for (int w = 0; w < NWHERE; w++) {
			const char *lab[] = {"target", m->t[i]->name, "where", where_names[w],
					     NULL};

			metrics_counter(mx, lab, m->t[i]->lost[w]);
		}
	metrics_family(mx, "dropscope_hop_sent_total", METRIC_COUNTER,
		       "Probes sent with this TTL, fast and paced");
	hop_series(m, mx, HOP_SENT);
	metrics_family(
		mx, "dropscope_hop_received_total", METRIC_COUNTER,
		"Probes with this TTL answered (time exceeded, or the destination's answer)");
	hop_series(m, mx, HOP_RECEIVED);
	metrics_family(mx, "dropscope_hop_rate_limited", METRIC_GAUGE,
		       "1 when the last segment found this hop's loss does not carry on to later "
		       "hops (ICMP rate limiting): its own loss is no one's loss");
	hop_series(m, mx, HOP_LIMITED);
	metrics_family(mx, "dropscope_probe_rtt_seconds", METRIC_HISTOGRAM,
		       "Round trips of the probes to the target that were answered");
	for (i = 0; i < m->n; i++) {
		const char *lab[] = {"target", m->t[i]->name, NULL};

		metrics_histogram(mx, lab, rtt_bounds, m->t[i]->rtt_counts, RTT_BUCKETS,
				  m->t[i]->rtt_sum);
	}
	metrics_family(
		mx, "dropscope_verdict", METRIC_GAUGE,
		"1 for the verdict of the target's last segment (diagnose's merge), 0 for the "
		"others");
	for (i = 0; i < m->n; i++)
		for (int v = 0; v < NVERDICTS && m->t[i]->verdict >= 0; v++) {
			const char *lab[] = {"target", m->t[i]->name, "verdict", verdict_name(v),
					     NULL};

			metrics_gauge(mx, lab, m->t[i]->verdict == v);
		}
	metrics_family(mx, "dropscope_episodes_total", METRIC_COUNTER,
		       "Loss episodes that ended, by the verdict of their last record");
	for (i = 0; i < m->n; i++)
		for (int v = 0; v < NVERDICTS; v++) {
			const char *lab[] = {"target", m->t[i]->name, "verdict", verdict_name(v),
					     NULL};

			metrics_counter(mx, lab, m->t[i]->episodes[v]);
		}
	metrics_family(
		mx, "dropscope_events_table_full_total", METRIC_COUNTER,
		"Watched drop events (the probes' and their answers') the monitor had no room "
		"for: their probes' fates are unknown, counted as lost in the network");
	metrics_counter(mx, NULL, m->events_refused);
	metrics_family(mx, "dropscope_episode_open", METRIC_GAUGE,
		       "1 while a loss episode to the target lasts");
	for (i = 0; i < m->n; i++) {
		const char *lab[] = {"target", m->t[i]->name, NULL};

		metrics_gauge(mx, lab, m->t[i]->det.open);
	}
}

/* --- the monitor's hooks (monitor.h) -------------------------------------------------------- */

/*
 * The kernel side (monitor_kernel.h) watches every ICMP drop in the server's namespace and hands
 * each to on_event: the probes' drops, for the merge; its maps give each segment's drops and
 * retransmissions.
 */
struct monitor_probe {
	struct mprobe *mp;
	int drain_fd; /* the draining segment's end the loop polls (drain_watch), or -1 */
	struct mprobe_host host;
	struct ksyms_source ksyms; /* opened at setup, read for each record's locations */
	struct netns_ref self; /* with -N all, probes leave from our own namespace */
};

static void on_event(struct monitor *m, const struct drop_event *e)
{
	if (m->probe)
		mprobe_event(m->probe->mp, e);
}

static void drain_ready(struct monitor *m, int fd, void *ctx);

/*
 * Have the loop poll the draining segment's end (or nothing): a segment's process lives on
 * past the segment's end beside the next one's until its answers are in and its segment is
 * merged; followed only at the next tick, both processes lived for a second at each segment's
 * end, the drained one at its largest. Run after anything that may start, end or drop a
 * segment: the descriptor watched may have been closed.
 */
static void drain_watch(struct monitor *m)
{
	struct monitor_probe *p = m->probe;
	int fd = p && p->mp ? drain_fd(p->mp) : -1;

	if (!p || fd == p->drain_fd)
		return;
	if (p->drain_fd >= 0)
		monitor_del_fd(m, p->drain_fd);
	p->drain_fd = -1;
	/* No room: the tick follows it, as before. */
	if (fd >= 0 && !monitor_add_fd(m, fd, drain_ready, NULL))
		p->drain_fd = fd;
}

static void drain_ready(struct monitor *m, int fd, void *ctx)
{
	(void)fd;
	(void)ctx;
	if (m->probe) {
		/* As at a tick: the merge wants the events that came before it. */
		monitor_read_events(m);
		finish_drained(m->probe->mp, mono_now());
		drain_watch(m);
	}
}

static void probe_teardown(struct monitor *m)
{
	struct monitor_probe *p = m->probe;

	if (!p)
		return;
	if (p->drain_fd >= 0)
		monitor_del_fd(m, p->drain_fd);
	m->on_event = NULL;
	mprobe_free(p->mp);
	ksyms_source_close(&p->ksyms);
	netns_close(&p->self);
	free(p);
	m->probe = NULL;
}

/* The segment's length: DROPSCOPE_SEGMENT_S, a testing knob (README, "For developers"). */
static double segment_seconds(void)
{
	const char *s = getenv("DROPSCOPE_SEGMENT_S");
	double v;

	if (!s || parse_duration(s, false, &v) || v < 5 || v > 3600)
		return MPROBE_DEFAULT_SEGMENT_S;
	return v;
}

/* Set up the first time there are targets. */
static int probe_setup(struct monitor *m)
{
	const struct monitor_kernel_maps *km = m->kernel ? monitor_kernel_maps(m->kernel) : NULL;
	struct mprobe_config cfg;
	struct monitor_probe *p;
	int err;

	if (m->probe || !m->ntargets)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	m->probe = p;
	p->self.fd = -1;
	p->drain_fd = -1;
	p->host.drops_fd = p->host.retrans_fd = p->host.ifnames_fd = p->host.stats_fd = -1;
	p->host.netns_spec = m->o->netns_spec;
	if (m->ns.all) {
		err = netns_resolve("self", &p->self);
		if (err)
			goto fail;
		p->host.ns = &p->self;
	} else {
		p->host.ns = &m->ns;
	}
	if (km) {
		p->host.drops_fd = km->drops;
		p->host.retrans_fd = km->retrans;
		p->host.ifnames_fd = km->ifnames;
		p->host.stats_fd = km->stats;
		p->host.tracer_name = km->attach_mode;
		p->host.read_events = monitor_read_events;
		p->host.events_ctx = m;
		p->host.reasons = km->reasons;
		ksyms_source_open(&p->ksyms, KALLSYMS);
		p->host.ksyms_src = &p->ksyms;
	}
	mprobe_config_init(&cfg);
	cfg.json = m->o->json;
	cfg.segment_s = segment_seconds();
	err = mprobe_new(&cfg, &p->host, &p->mp);
	if (err)
		goto fail;
	err = mprobe_set_targets(p->mp, (const char *const *)m->targets, m->ntargets);
	if (err)
		goto fail;
	m->on_event = on_event;
	return 0;
fail:
	ds_err("failed to start probing: %s", strerror(-err));
	probe_teardown(m);
	return err;
}

int monitor_probe_start(struct monitor *m)
{
	return probe_setup(m);
}

int monitor_probe_tick(struct monitor *m, double now)
{
	(void)now;
	if (m->probe)
		mprobe_tick(m->probe->mp);
	drain_watch(m);
	return 0;
}

int monitor_probe_reload(struct monitor *m)
{
	int err;

	if (!m->probe)
		return probe_setup(m);
	err = mprobe_set_targets(m->probe->mp, (const char *const *)m->targets, m->ntargets);
	drain_watch(m);
	return err;
}

void monitor_probe_metrics(struct monitor *m, struct metrics *out)
{
	if (m->probe)
		mprobe_metrics(m->probe->mp, out);
}

void monitor_probe_stop(struct monitor *m)
{
	/* An episode open (or closed, its record not yet out) at a stop: its record, with the
	 * segment under way, before the process goes. */
	if (m->probe)
		mprobe_finish(m->probe->mp);
	probe_teardown(m);
}
