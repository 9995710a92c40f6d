// SPDX-License-Identifier: GPL-2.0
/*
 * The path prober's engine: sockets, the send/receive loop, pacing, flows. Its options are in
 * probe_opts.c, its resolvers (target, reverse DNS) in probe_resolve.c, its report's forms in
 * probe_report.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <math.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "prober.h"
#include "probe_resolve.h"
#include "probe_route.h"
#include "probe_stats.h"
#include "util.h"

/* <linux/icmp.h> clashes with glibc's headers; this is all of it we need. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

#define RT_ALPHA 1e-4	  /* real-time suspicion of a limiter: stricter, it is tested often */
#define RT_MIN_SENT 8	  /* ... and only once the hop has this many fast probes settled */
#define RT_CHECK_S 0.1	  /* ... at most this often */
#define RT_PRESUME_S 0.25 /* ... counting probes unanswered this long (at least) as lost */
/*
 * A paced hop gets this many probes before a count-bound run ends: with 6, a Linux limiter (14 of
 * 22 fast probes lost, typically, its burst of 6 answered) is confirmed at PROBE_ALPHA_CONFIRM by
 * 0 of 6 paced ones lost.
 */
#define MIN_PACED 6
#define PACED_EXTRA_S 8.0 /* ... but the run waits at most this long for them */
/*
 * Rounds probe at most this many TTLs past the farthest hop already settled, so that the probes
 * overshooting the destination before its TTL is known stay few: a UDP destination answers with
 * rate-limited port unreachables, and thirty at once would drain its limiter. While MDA discovers
 * the branches (--flows) the path is walked instead, one TTL past the farthest that answered
 * (sent as soon as it does, see walk_due), so that no probe goes past the destination; past a
 * silent hop it still looks this far ahead.
 */
#define DISCOVERY_AHEAD 4
#define MAX_POLL_S 0.1	   /* ds_stop is noticed within this */
#define DNS_WAIT_S 1.0	   /* after the run, pending reverse lookups get this long */
#define RECV_BURST 64	   /* packets read per socket per wake-up */
#define RCVBUF_BYTES (1 << 20)

/* --- state ---------------------------------------------------------------------------- */

/* A probe in flight (or recently settled), found by its identity: probe_parse.h's slot. */
enum {
	SLOT_DEST = PROBE_SLOT_DEST,
	SLOT_PACED = PROBE_SLOT_PACED,
	SLOT_LATE = PROBE_SLOT_LATE,
	SLOT_REFUSED = PROBE_SLOT_REFUSED,
	SLOT_RESOLVED = PROBE_SLOT_RESOLVED,
	SLOT_ANSWERED = PROBE_SLOT_ANSWERED,
};
_Static_assert((int)PROBE_SLOT_DEST == (int)PROBE_REC_DEST &&
		       (int)PROBE_SLOT_PACED == (int)PROBE_REC_PACED,
	       "records take these flags from the slot");

struct host_entry {
	uint8_t addr[16];
	uint64_t received;
	struct rtt_stats rtt;
	enum probe_reply_kind reply;
	uint8_t icmp_type, icmp_code;
	uint32_t mtu;
};

/*
 * One flow at one row (--flows): its probes' fates, and who answered it there. Paris flows keep
 * their path, so one address is expected; another (per-packet balancing, a route change) is
 * counted in moved.
 */
struct flow_cell {
	struct hop_counts c;
	uint8_t addr[16];
	bool known; /* addr answered */
	uint32_t moved;
	uint64_t issued; /* probes sent on it: more than settled ones while some are in flight */
};

/* One row of the report: a hop's TTL, or the destination. */
struct stream {
	struct hop_counts c;
	bool paced;
	uint64_t paced_issued;
	double next_send;
	size_t nhosts;
	uint64_t other_replies;
	struct host_entry hosts[PROBE_MAX_RESPONDERS];
};

struct prober {
	struct probe_config cfg;
	struct probe_flow flow;
	char address[INET6_ADDRSTRLEN], source[INET6_ADDRSTRLEN];
	struct sockaddr_storage dst_sa;
	socklen_t dst_salen;
	size_t alen;
	unsigned int size, mtu, pmtu; /* mtu: the largest probe we send; pmtu: the path's */
	int send_fd, icmp_fd, tcp_fd;
	int port_fd[PROBE_MAX_FLOWS]; /* the flows' source ports, reserved (udp, tcp) */
	unsigned int nflows;
	struct flow_cell *cells; /* nflows x (PROBE_MAX_TTL + 1): flow f's row t at f * ROWS + t */
	uint64_t mda_probes;	 /* probes sent when MDA's rule first held at every hop, or 0 */
	bool hop1_single;	 /* this host's route has one next hop: hop 1's is known */
	unsigned int walked;	 /* TTLs below it went out on the latest round's flow */
	struct resolver *dns;
	uint8_t *pkt;

	bool ran, interrupted, sending;
	double start, end, started_wall, worst_rtt_s;
	uint64_t next_index, oldest, inflight;
	struct probe_slot *slots; /* PROBE_ID_SPACE of them, mapped apart (slots_map) */
	size_t page;		  /* the system's page size */
	uint64_t released;	  /* the slots of the probes before it gave their pages back */
	struct probe_record *rec;
	size_t nrec, rec_cap;
	uint64_t rec_dropped;

	unsigned int path_len; /* TTLs below it are hops; the destination's row is path_len */
	unsigned int horizon;  /* highest TTL probed so far as a hop (discovery) */
	bool terminal_seen, reached;
	char unreachable[96];
	bool mtu_seen; /* a router answered "too big": the nearest one */
	unsigned int mtu_ttl;
	uint32_t mtu_next;
	uint8_t mtu_from[16];
	struct stream hops[PROBE_MAX_TTL + 1];
	struct stream dest;
	double next_round, last_check;
	uint64_t rounds, dest_issued;
	double count_done_at;

	uint64_t probes_sent, send_errors, unmatched, duplicate, late;
	probe_progress_fn progress; /* prober_on_progress */
	bool quit;		    /* prober_stop: send nothing more */
	void *progress_ctx;
	double progress_every, next_progress;
	bool window_blocked, round_waiting; /* see send_due */
	uint64_t window_waits;
	struct probe_report report;
};

static struct stream *stream_of(struct prober *p, uint8_t ttl, uint8_t flags)
{
	if ((flags & SLOT_DEST) || ttl >= p->path_len)
		return &p->dest;
	return &p->hops[ttl];
}

#define ROWS (PROBE_MAX_TTL + 1)
/* A settled probe's slot is kept this long after its send, to tell a late answer (release_settled). */
#define SLOT_KEEP_S 10.0

static struct flow_cell *cell_of(struct prober *p, unsigned int flow, unsigned int row)
{
	return &p->cells[(size_t)flow * ROWS + row];
}

/* The row a probe counts in: its TTL's, or the destination's (path_len). */
static unsigned int row_of(const struct prober *p, uint8_t ttl, uint8_t flags)
{
	return (flags & SLOT_DEST) || ttl >= p->path_len ? p->path_len : ttl;
}

/* Index of addr among the row's responders, or PROBE_VIA_NONE. */
static uint8_t via_of(const struct prober *p, const struct stream *s, const struct flow_cell *fc)
{
	if (!fc->known)
		return PROBE_VIA_NONE;
	for (size_t k = 0; k < s->nhosts; k++)
		if (!memcmp(s->hosts[k].addr, fc->addr, p->alen))
			return (uint8_t)k;
	return PROBE_VIA_NONE;
}

/*
 * The flows hop t needs, k addresses seen there (MDA's rule: probe_mda_flows). Hop 1's next hops
 * are this host's, which its routing table gives exactly: one flow that answered is enough when
 * it has one next hop (prober_open asks it) and one address answered.
 */
static unsigned int mda_needed(const struct prober *p, unsigned int t, unsigned int k)
{
	if (t == 1 && k == 1 && p->hop1_single)
		return 1;
	return probe_mda_flows(k ? k : 1, PROBE_MDA_ALPHA);
}

/*
 * MDA's stopping rule (probe_mda_flows) at every hop that answered before the destination (the
 * target itself is the one address there): enough flows reached each that no next hop beyond
 * those seen was missed, at 95%.
 */
static bool mda_row_done(const struct prober *p, unsigned int t)
{
	const struct stream *s = &p->hops[t];
	bool used[PROBE_MAX_RESPONDERS] = {false};
	unsigned int seen = 0, k = 0;

	for (unsigned int f = 0; f < p->nflows; f++) {
		const struct flow_cell *fc = &p->cells[(size_t)f * (PROBE_MAX_TTL + 1) + t];
		uint8_t v = via_of(p, s, fc);

		/*
		 * A flow still in flight here with no address yet may show another next hop:
		 * judging by the flows answered so far would favour the quicker branches. One
		 * that answered keeps its path (Paris), so its probes lost under way (in flight
		 * until the timeout) need not be waited for: under sustained loss they would hold
		 * discovery, and starve the hops before the split, for the whole run.
		 */
		if (v == PROBE_VIA_NONE && fc->issued > fc->c.fast_sent + fc->c.paced_sent)
			return false;
		if (v == PROBE_VIA_NONE)
			continue;
		seen++;
		k += !used[v];
		used[v] = true;
	}
	return k && seen >= mda_needed(p, t, k);
}

static bool mda_holds(const struct prober *p)
{
	if (!p->terminal_seen)
		return false;
	for (unsigned int t = p->cfg.first_ttl; t < p->path_len; t++)
		/* A hop silent so far has nothing to enumerate. */
		if (p->hops[t].nhosts && !mda_row_done(p, t))
			return false;
	return true;
}

/*
 * Discovery (--flows, until MDA's rule holds everywhere): a round probes only the hops that still
 * need flows, and the destination waits (for nflows rounds at most: a silent one would never end
 * discovery), so that enumerating the branches costs few probes. Then every round is whole.
 */
static bool discovering(const struct prober *p)
{
	/* 2 * nflows rounds at most: every flow twice, the rule unmet (a silent or lossy row). */
	return p->nflows > 1 && !p->mda_probes && p->rounds < 2 * (uint64_t)p->nflows;
}

/* Rounds go on until the count (or the duration) is done. */
static bool rounds_due(const struct prober *p)
{
	return p->cfg.duration_s > 0 || p->rounds < p->cfg.count;
}

/* The destination's probes wait while discovering, nflows rounds at most, and no longer than the
 * rounds go on (-c below --flows: discovery cannot finish, and the run must end). */
static bool dest_held(const struct prober *p)
{
	return discovering(p) && p->rounds < p->nflows && rounds_due(p);
}

/* Note when MDA's rule first holds: the probes it took (after discovery's cap too). */
static void mda_check(struct prober *p)
{
	if (p->nflows < 2 || p->mda_probes || !mda_holds(p))
		return;
	p->mda_probes = p->probes_sent;
	ds_debug("every hop's next hops found (MDA, 95%%) after %llu probes",
		 (unsigned long long)p->mda_probes);
}

static void counts_add(struct hop_counts *d, const struct hop_counts *s)
{
	d->fast_sent += s->fast_sent;
	d->fast_lost += s->fast_lost;
	d->paced_sent += s->paced_sent;
	d->paced_lost += s->paced_lost;
	d->replied |= s->replied;
}

static struct host_entry *host_of(struct prober *p, struct stream *s, const uint8_t *addr)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (!memcmp(s->hosts[i].addr, addr, p->alen))
			return &s->hosts[i];
	if (s->nhosts == PROBE_MAX_RESPONDERS)
		return NULL;
	memset(&s->hosts[s->nhosts], 0, sizeof(s->hosts[0]));
	memcpy(s->hosts[s->nhosts].addr, addr, p->alen);
	resolver_request(p->dns, addr, p->alen);
	return &s->hosts[s->nhosts++];
}

/* The destination answered at a smaller TTL than we thought: fold those rows into it. */
static void shorten_path(struct prober *p, unsigned int ttl)
{
	struct stream *d = &p->dest;

	for (unsigned int t = ttl; t < p->path_len && t <= PROBE_MAX_TTL; t++) {
		struct stream *s = &p->hops[t];

		counts_add(&d->c, &s->c);
		d->other_replies += s->other_replies;
		for (size_t i = 0; i < s->nhosts; i++) {
			struct host_entry *h = host_of(p, d, s->hosts[i].addr);

			if (!h) {
				d->other_replies += s->hosts[i].received;
				continue;
			}
			h->received += s->hosts[i].received;
			rtt_merge(&h->rtt, &s->hosts[i].rtt);
			h->reply = s->hosts[i].reply;
			h->icmp_type = s->hosts[i].icmp_type;
			h->icmp_code = s->hosts[i].icmp_code;
			h->mtu = s->hosts[i].mtu;
		}
		memset(s, 0, sizeof(*s));
	}
	/* The flows' rows the same way: ttl becomes their destination row. */
	for (unsigned int f = 0; f < p->nflows; f++) {
		struct flow_cell *to = cell_of(p, f, ttl);

		for (unsigned int t = ttl + 1; t <= p->path_len && t <= PROBE_MAX_TTL; t++) {
			struct flow_cell *from = cell_of(p, f, t);

			counts_add(&to->c, &from->c);
			to->issued += from->issued;
			if (!to->known && from->known) {
				memcpy(to->addr, from->addr, sizeof(to->addr));
				to->known = true;
			}
			memset(from, 0, sizeof(*from));
		}
	}
	p->path_len = ttl;
}

static void settle(struct prober *p, struct probe_slot *sl, bool answered)
{
	struct stream *s = stream_of(p, sl->ttl, sl->flags);
	struct hop_counts *fc = &cell_of(p, sl->flow, row_of(p, sl->ttl, sl->flags))->c;
	unsigned int reach = sl->ttl + 1u;

	/* Discovery walks the path: one TTL past a hop that answered, further past a silent one. */
	if (!discovering(p) || !answered)
		reach += DISCOVERY_AHEAD;
	if (!(sl->flags & SLOT_DEST) && reach > p->horizon)
		p->horizon = reach < p->cfg.max_ttl ? reach : p->cfg.max_ttl;

	sl->flags |= SLOT_RESOLVED | (answered ? SLOT_ANSWERED : 0);
	if (sl->flags & SLOT_PACED) {
		s->c.paced_sent++;
		s->c.paced_lost += !answered;
		fc->paced_sent++;
		fc->paced_lost += !answered;
	} else {
		s->c.fast_sent++;
		s->c.fast_lost += !answered;
		fc->fast_sent++;
		fc->fast_lost += !answered;
	}
	fc->replied |= answered;
	if (p->inflight)
		p->inflight--;
}

static struct probe_record *record_of(struct prober *p, uint64_t index)
{
	return index < p->nrec ? &p->rec[index] : NULL;
}

static void record_append(struct prober *p, const struct probe_slot *sl, uint16_t ident, int err)
{
	struct probe_record *r;

	if (p->nrec == p->rec_cap) {
		size_t cap = p->rec_cap ? p->rec_cap * 2 : 4096;
		void *n;

		if (cap > PROBE_MAX_RECORDS)
			cap = PROBE_MAX_RECORDS;
		n = cap > p->rec_cap ? realloc(p->rec, cap * sizeof(*p->rec)) : NULL;
		if (!n) {
			p->rec_dropped++;
			return;
		}
		p->rec = n;
		p->rec_cap = cap;
	}
	r = &p->rec[p->nrec++];
	memset(r, 0, sizeof(*r));
	r->sent_ns = sl->sent_ns;
	r->send_errno = err;
	r->ident = ident;
	r->ttl = sl->ttl;
	r->flags = sl->flags & (SLOT_DEST | SLOT_PACED);
	r->flow = sl->flow;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void send_probe(struct prober *p, unsigned int ttl, bool dest, bool paced,
		       unsigned int flow)
{
	uint64_t index = p->next_index;
	uint16_t ident = (uint16_t)(index % PROBE_ID_SPACE);
	struct probe_slot *sl = &p->slots[ident];
	int len, err = 0;
	ssize_t n;

	len = probe_build_flow(&p->flow, flow, ident, (uint8_t)ttl, p->size, p->pkt, p->size);
	if (len < 0)
		return;
	/*
	 * send_due keeps fewer than PROBE_ID_SPACE probes in flight, so the probe that had this
	 * identity is settled. Should it not be, it is given up as lost rather than forgotten: a
	 * forgotten probe would stay in flight for ever, and the run would never end.
	 */
	if (sl->seq1 && !(sl->flags & SLOT_RESOLVED))
		settle(p, sl, false);
	memset(sl, 0, sizeof(*sl));
	sl->seq1 = index + 1;
	sl->ttl = (uint8_t)ttl;
	sl->flags = (dest ? SLOT_DEST : 0) | (paced ? SLOT_PACED : 0);
	sl->flow = (uint8_t)flow;
	cell_of(p, flow, row_of(p, sl->ttl, sl->flags))->issued++;
	sl->tx_rt_ns = realtime_ns();
	sl->sent_ns = mono_ns();
	for (int tries = 0; tries < 3; tries++) {
		n = sendto(p->send_fd, p->pkt, (size_t)len, 0, (struct sockaddr *)&p->dst_sa,
			   p->dst_salen);
		err = n < 0 ? errno : 0;
		if (err != EINTR)
			break;
	}
	/* Record index = probe index: once one is missing, none is recorded any more. */
	if (p->nrec == index && p->nrec < PROBE_MAX_RECORDS)
		record_append(p, sl, ident, err);
	else
		p->rec_dropped++;
	p->next_index++;
	p->probes_sent++;
	p->inflight++;
	if (err) {
		/* Sent and lost: the host itself refused it (a firewall, a full queue). */
		sl->flags |= SLOT_REFUSED;
		p->send_errors++;
		if (p->send_errors == 1)
			ds_debug("probe send refused: %s", strerror(err));
		settle(p, sl, false);
	}
}

/* --timeout, or 3x the worst round trip seen (5 s before any answer), from 1 s to 5 s. */
static double probe_timeout(const struct prober *p)
{
	double t;

	if (p->cfg.timeout_s > 0)
		return p->cfg.timeout_s;
	if (p->worst_rtt_s <= 0)
		return 5.0;
	t = 3 * p->worst_rtt_s;
	return t < 1.0 ? 1.0 : t > 5.0 ? 5.0 : t;
}

/*
 * Give back the pages of slots whose probes are settled and were sent over SLOT_KEEP_S ago: a
 * slot is written once per PROBE_ID_SPACE probes, so at the monitor's 20 probes a second a
 * target's slots would otherwise grow by a page every 6 s of its segment and keep them. A
 * page given back reads as zeroes, slots never used: an answer that comes so late is
 * unmatched, not late.
 */
static void release_settled(struct prober *p, uint64_t now_ns)
{
	const uint64_t keep_ns = (uint64_t)(SLOT_KEEP_S * 1e9);
	const size_t per_page = p->page / sizeof(*p->slots);

	while (p->released < p->oldest) {
		const struct probe_slot *sl = &p->slots[p->released % PROBE_ID_SPACE];
		size_t pos, page;

		if (sl->seq1 == p->released + 1 && now_ns - sl->sent_ns < keep_ns)
			break;
		p->released++;
		pos = (size_t)(p->released % PROBE_ID_SPACE);
		if (pos % per_page)
			continue;
		/* The cursor left a page (at a wrap, the last, partly used one), unless probes sent
		 * since have come round to it again (a rate of thousands a second). */
		page = pos ? pos / per_page - 1 : (PROBE_ID_SPACE - 1) / per_page;
		if (p->next_index + per_page < p->released + PROBE_ID_SPACE)
			madvise(p->slots + page * per_page, p->page, MADV_DONTNEED);
	}
}

/* Settle every probe that waited longer than the timeout, oldest first. */
static void expire(struct prober *p, uint64_t now_ns)
{
	uint64_t tmo = (uint64_t)(probe_timeout(p) * 1e9);

	while (p->oldest < p->next_index) {
		struct probe_slot *sl = &p->slots[p->oldest % PROBE_ID_SPACE];

		if (sl->seq1 != p->oldest + 1 || (sl->flags & SLOT_RESOLVED)) {
			p->oldest++;
			continue;
		}
		if (now_ns - sl->sent_ns < tmo)
			break;
		settle(p, sl, false);
		p->oldest++;
	}
	release_settled(p, now_ns);
}

static const char *unreach_name(int family, uint8_t code)
{
	static const char *v4[] = {"network unreachable",      "host unreachable",
				   "protocol unreachable",     "port unreachable",
				   "fragmentation needed",     "source route failed",
				   "network unknown",	       "host unknown",
				   "source host isolated",     "network prohibited",
				   "host prohibited",	       "network unreachable for TOS",
				   "host unreachable for TOS", "administratively prohibited"};
	static const char *v6[] = {"no route",
				   "administratively prohibited",
				   "beyond scope of source",
				   "address unreachable",
				   "port unreachable",
				   "source address failed policy",
				   "reject route"};

	if (family == AF_INET6)
		return code < ARRAY_SIZE(v6) ? v6[code] : "unreachable";
	return code < ARRAY_SIZE(v4) ? v4[code] : "unreachable";
}

static bool is_port_unreach(int family, uint8_t code)
{
	return family == AF_INET6 ? code == 4 : code == 3;
}

static void handle_reply(struct prober *p, const struct probe_packet *pk, int64_t rx_rt_ns)
{
	struct probe_slot *sl = &p->slots[pk->ident];
	struct probe_record *rec = NULL;
	struct flow_cell *fcell;
	struct host_entry *h;
	struct stream *s;
	uint64_t now = mono_ns();
	enum probe_match m;
	double rtt_ms;

	m = probe_match_reply(sl, pk, now, rx_rt_ns, probe_timeout(p), &rtt_ms);
	/* Its identity, but another flow's ports: not an answer to this probe. */
	if (m == PROBE_MATCH_UNMATCHED || pk->flow != sl->flow) {
		p->unmatched++;
		return;
	}
	if (m == PROBE_MATCH_DUPLICATE) {
		p->duplicate++;
		return;
	}
	if (m == PROBE_MATCH_STALE) {
		p->late++;
		return;
	}
	rec = record_of(p, sl->seq1 - 1);
	/* Even a late answer tells how long the path takes: the timeout adapts to it. */
	if (rtt_ms / 1e3 > p->worst_rtt_s)
		p->worst_rtt_s = rtt_ms / 1e3;
	if (m == PROBE_MATCH_LATE) {
		/* After the timeout: counted lost, reported late. */
		if (!(sl->flags & SLOT_RESOLVED))
			settle(p, sl, false);
		sl->flags |= SLOT_LATE;
		p->late++;
		if (rec)
			rec->flags |= PROBE_REC_LATE;
		return;
	}
	if (pk->terminal && sl->ttl < p->path_len && !(sl->flags & SLOT_DEST) &&
	    sl->ttl >= p->cfg.first_ttl)
		shorten_path(p, sl->ttl);
	s = stream_of(p, sl->ttl, sl->flags);
	fcell = cell_of(p, sl->flow, row_of(p, sl->ttl, sl->flags));
	settle(p, sl, true);
	if (!fcell->known) {
		memcpy(fcell->addr, pk->from, p->alen);
		fcell->known = true;
	} else if (memcmp(fcell->addr, pk->from, p->alen)) {
		fcell->moved++;
	}
	if (rec) {
		rec->flags |= PROBE_REC_ANSWERED;
		rec->reply_ns = now;
	}
	s->c.replied = true;
	h = host_of(p, s, pk->from);
	if (h) {
		h->received++;
		rtt_add(&h->rtt, rtt_ms);
		h->reply = pk->reply;
		h->icmp_type = pk->icmp_type;
		h->icmp_code = pk->icmp_code;
		h->mtu = pk->mtu;
	} else {
		s->other_replies++;
	}
	if (pk->reply == PROBE_REPLY_TOO_BIG && (!p->mtu_seen || sl->ttl < p->mtu_ttl)) {
		/* The nearest router that cannot forward our probes: an MTU limit, not loss. */
		p->mtu_seen = true;
		p->mtu_ttl = sl->ttl;
		p->mtu_next = pk->mtu;
		memcpy(p->mtu_from, pk->from, p->alen);
	}
	if (pk->terminal) {
		p->terminal_seen = true;
		if (pk->from_target && pk->reply != PROBE_REPLY_TOO_BIG &&
		    (pk->reply != PROBE_REPLY_UNREACH ||
		     (p->flow.proto == PROBE_UDP && is_port_unreach(p->flow.family, pk->icmp_code))))
			p->reached = true;
		else if (pk->reply == PROBE_REPLY_UNREACH || pk->reply == PROBE_REPLY_TOO_BIG) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(p->flow.family, pk->from, a, sizeof(a));
			if (pk->reply == PROBE_REPLY_TOO_BIG)
				snprintf(p->unreachable, sizeof(p->unreachable),
					 "packet too big (next-hop MTU %u) from %s", pk->mtu, a);
			else
				snprintf(p->unreachable, sizeof(p->unreachable), "%s from %s",
					 unreach_name(p->flow.family, pk->icmp_code), a);
		}
	}
}

/* Parse a packet read from fd for p, and count it. */
static void deliver(struct prober *p, int fd, const uint8_t *buf, size_t n,
		    const struct sockaddr_storage *from, int64_t rx)
{
	struct probe_packet pk;

	if (p->flow.family == AF_INET) {
		probe_parse_l3(&p->flow, buf, n, &pk);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)from;

		if (from->ss_family != AF_INET6)
			return;
		probe_parse_l4(&p->flow, fd == p->tcp_fd ? IPPROTO_TCP : IPPROTO_ICMPV6,
			       (const uint8_t *)&s6->sin6_addr, buf, n, &pk);
	}
	if (pk.kind == PROBE_PKT_REPLY)
		handle_reply(p, &pk, rx);
	else if (pk.foreign)
		p->unmatched++;
}

/*
 * Read what came on fd, each packet for every prober of ps[0..n) that is live (live NULL: all):
 * probers that share an ICMP socket (prober_run_many), each finding its own answers in it.
 */
static void receive_into(struct prober *const *ps, size_t n, const bool *live, int fd)
{
	uint8_t buf[2048];
	char ctrl[256];

	for (int i = 0; i < RECV_BURST; i++) {
		struct sockaddr_storage from;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr msg = {.msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctrl,
				     .msg_controllen = sizeof(ctrl)};
		struct cmsghdr *cm;
		int64_t rx = 0;
		ssize_t len;

		len = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (len < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				rx = (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
			}
		}
		for (size_t k = 0; k < n; k++)
			if (!live || live[k])
				deliver(ps[k], fd, buf, (size_t)len, &from, rx);
	}
}

static void receive(struct prober *p, int fd)
{
	receive_into(&p, 1, NULL, fd);
}

/* Rows first_ttl..path_len: the hops as counts, in order, for the decision rules. */
/* Probes a filtered port must have gone unanswered on before it is called filtered, not lossy. */
#define FILTERED_MIN_PROBES 20

/*
 * The echo flow beside TCP flows: a target that answers echo but never the port (a firewall that
 * drops tcp/PORT) would otherwise show the port's probes as its own loss. Then the destination's
 * loss is taken from the echo flow alone.
 */
static bool dest_filtered(const struct prober *p)
{
	uint64_t sent = 0;

	if (!p->flow.icmp_flow0 || p->nflows < 2 || !p->cells[p->path_len].known)
		return false;
	for (unsigned int f = 1; f < p->nflows; f++) {
		const struct flow_cell *fc = &p->cells[(size_t)f * ROWS + p->path_len];

		if (fc->known)
			return false;
		sent += fc->c.fast_sent + fc->c.paced_sent;
	}
	return sent >= FILTERED_MIN_PROBES;
}

static size_t gather_counts(struct prober *p, struct hop_counts *hc, unsigned int last)
{
	size_t n = 0;

	for (unsigned int t = p->cfg.first_ttl; t <= last; t++) {
		struct stream *s = t >= p->path_len ? &p->dest : &p->hops[t];

		hc[n] = s == &p->dest && dest_filtered(p) ? cell_of(p, 0, p->path_len)->c : s->c;
		hc[n].paced = s->paced;
		n++;
		if (s == &p->dest)
			break;
	}
	return n;
}

/*
 * For the suspicion only: probes unanswered for 3x the worst RTT (at least RT_PRESUME_S) count
 * as lost, so that a limiter is paced without waiting out the timeout. The statistics wait.
 */
static void add_presumed_lost(struct prober *p, struct hop_counts *hc, size_t n, uint64_t now_ns)
{
	double presume = 3 * p->worst_rtt_s;
	uint64_t age;

	if (presume < RT_PRESUME_S)
		presume = RT_PRESUME_S;
	age = (uint64_t)(presume * 1e9);
	for (uint64_t i = p->oldest; i < p->next_index; i++) {
		const struct probe_slot *sl = &p->slots[i % PROBE_ID_SPACE];
		unsigned int row;

		if (sl->seq1 != i + 1 || (sl->flags & (SLOT_RESOLVED | SLOT_PACED)))
			continue;
		if (now_ns - sl->sent_ns < age)
			break;
		row = (sl->flags & SLOT_DEST) || sl->ttl >= p->path_len ? p->path_len : sl->ttl;
		if (row < p->cfg.first_ttl || row - p->cfg.first_ttl >= n)
			continue;
		hc[row - p->cfg.first_ttl].fast_sent++;
		hc[row - p->cfg.first_ttl].fast_lost++;
	}
}

/* A hop that loses more than later hops is rationing its ICMP: slow down, and watch. */
static void check_limiters(struct prober *p, double now)
{
	struct hop_counts hc[PROBE_MAX_TTL + 1];
	size_t n;

	if (now - p->last_check < RT_CHECK_S)
		return;
	p->last_check = now;
	mda_check(p);
	n = gather_counts(p, hc, p->path_len);
	add_presumed_lost(p, hc, n, mono_ns());
	for (size_t k = 0; k + 1 < n; k++) {
		struct stream *s = &p->hops[p->cfg.first_ttl + k];

		if (s->paced || !probe_limiter_suspect(hc, n, k, RT_MIN_SENT, RT_ALPHA))
			continue;
		s->paced = true;
		s->next_send = now + PROBE_PACED_INTERVAL_S;
		hc[k].paced = true;
		ds_debug("hop %u loses more than the hops behind it: pacing it",
			 p->cfg.first_ttl + (unsigned int)k);
	}
}

static bool need_paced_samples(const struct prober *p)
{
	for (unsigned int t = p->cfg.first_ttl; t < p->path_len; t++)
		if (p->hops[t].paced && p->hops[t].paced_issued < MIN_PACED && p->hops[t].c.replied)
			return true;
	return false;
}

/* The hops probed in a round: up to the destination, and within the discovery horizon. */
static unsigned int hop_end(const struct prober *p)
{
	return p->path_len < p->horizon + 1 ? p->path_len : p->horizon + 1;
}

/* The destination gets two probes a round, or its own pace while the rounds last. */
static bool dest_due(const struct prober *p)
{
	if (p->cfg.duration_s > 0 || p->dest.paced)
		return rounds_due(p);
	return p->dest_issued < 2ull * p->cfg.count;
}

/* Whether the run should send more; also records when the count was reached. */
static bool still_sending(struct prober *p, double now)
{
	if (p->cfg.duration_s > 0)
		return now < p->start + p->cfg.duration_s;
	if (rounds_due(p) || dest_due(p))
		return true;
	if (p->count_done_at == 0)
		p->count_done_at = now;
	return need_paced_samples(p) && now < p->count_done_at + PACED_EXTRA_S;
}

/*
 * How many more probes can go out before one would take the identity of a probe still in
 * flight: PROBE_ID_SPACE - 1 from the oldest unsettled one (a long --timeout at a short
 * --interval gets there: 257 probes a round every 10 ms, unanswered for 60 s).
 */
static uint64_t window_room(const struct prober *p)
{
	uint64_t used = p->next_index - p->oldest;

	return used >= PROBE_ID_SPACE - 1 ? 0 : PROBE_ID_SPACE - 1 - used;
}

/* The probes the next round sends: every hop not paced, up to the discovery horizon. */
static unsigned int round_size(const struct prober *p)
{
	unsigned int n = 0;

	for (unsigned int t = p->cfg.first_ttl; t < hop_end(p); t++)
		n += !p->hops[t].paced;
	return n;
}

/* A paced hop keeps its pace while the rounds last, then until it has MIN_PACED probes. */
static bool paced_active(const struct prober *p, const struct stream *s)
{
	if (!s->paced)
		return false;
	return rounds_due(p) || (s->paced_issued < MIN_PACED && s->c.replied);
}

/* Whether a round sends to hop t: not paced, and while discovering, short of MDA's flows. */
static bool round_probes(const struct prober *p, unsigned int t)
{
	return !p->hops[t].paced && !(discovering(p) && mda_row_done(p, t));
}

/*
 * Discovery's walk: the TTLs that came into the horizon since the latest round went out (a hop
 * answered), sent at once on that round's flow. Returns false if the window has no room.
 */
static bool walk_due(struct prober *p)
{
	unsigned int end = hop_end(p), n = 0;

	if (!discovering(p) || !p->rounds || p->walked >= end)
		return true;
	for (unsigned int t = p->walked; t < end; t++)
		n += round_probes(p, t);
	if (window_room(p) < n)
		return false;
	for (unsigned int t = p->walked; t < end; t++)
		if (round_probes(p, t))
			send_probe(p, t, false, false, (unsigned int)((p->rounds - 1) % p->nflows));
	p->walked = end;
	/* The round's probes, sent later: within the hops' budget as the round's own (send_due). */
	if (p->cfg.hop_budget > 0)
		p->next_round += n / p->cfg.hop_budget;
	return true;
}

/*
 * Send what is due, as far as the window of identities allows (window_room): a round goes out
 * whole or waits, and whatever waits is sent as soon as answers or timeouts make room.
 */
static void send_due(struct prober *p, double now)
{
	double dest_period, gap;
	unsigned int sent = 0;

	p->window_blocked = false;
	/* A round: every hop probed fast, all TTLs at once. */
	if (rounds_due(p) && now >= p->next_round) {
		if (window_room(p) < round_size(p)) {
			p->window_blocked = true;
			if (!p->round_waiting) {
				p->round_waiting = true;
				p->window_waits++;
				ds_debug("%llu probes in flight: the next round waits for room",
					 (unsigned long long)(p->next_index - p->oldest));
			}
			return;
		}
		p->round_waiting = false;
		mda_check(p);
		/* Flows in rotation: a round is one flow's, every hop probed on it. */
		for (unsigned int t = p->cfg.first_ttl; t < hop_end(p); t++)
			if (round_probes(p, t)) {
				send_probe(p, t, false, false,
					   (unsigned int)(p->rounds % p->nflows));
				sent++;
			}
		p->walked = hop_end(p);
		p->rounds++;
		/* Within the hops' budget whatever the path's length (the monitor's). */
		gap = p->cfg.hop_budget > 0 ? fmax(p->cfg.interval_s, sent / p->cfg.hop_budget) :
					      p->cfg.interval_s;
		p->next_round += gap;
		if (p->next_round < now)
			p->next_round = now + gap;
	}
	if (rounds_due(p) && !walk_due(p)) {
		p->window_blocked = true;
		return;
	}
	for (unsigned int t = p->cfg.first_ttl; t < p->path_len; t++) {
		struct stream *s = &p->hops[t];

		if (!paced_active(p, s) || now < s->next_send)
			continue;
		if (!window_room(p)) {
			p->window_blocked = true;
			return;
		}
		send_probe(p, t, false, true, (unsigned int)(s->paced_issued % p->nflows));
		s->paced_issued++;
		/* Paced is never faster than the rounds (the monitor's can be seconds apart). */
		s->next_send = now + fmax(PROBE_PACED_INTERVAL_S, p->cfg.interval_s);
	}
	dest_period = p->dest.paced			 ? PROBE_PACED_INTERVAL_S :
		      p->cfg.dest_interval_s > 0 ? p->cfg.dest_interval_s :
						   p->cfg.interval_s / 2;
	if (dest_due(p) && now >= p->dest.next_send && !dest_held(p)) {
		if (!window_room(p)) {
			p->window_blocked = true;
			return;
		}
		send_probe(p, p->cfg.max_ttl, true, p->dest.paced,
			   (unsigned int)(p->dest_issued % p->nflows));
		p->dest_issued++;
		p->dest.next_send += dest_period;
		if (p->dest.next_send < now)
			p->dest.next_send = now + dest_period;
	}
}

static double next_wake(const struct prober *p, bool sending, double now, double deadline)
{
	double wake = now + MAX_POLL_S;

	/* Waiting for room in the window: an answer or the next timeout wakes the loop. */
	if (sending && !p->window_blocked) {
		if (rounds_due(p) && p->next_round < wake)
			wake = p->next_round;
		if (dest_due(p) && !dest_held(p) && p->dest.next_send < wake)
			wake = p->dest.next_send;
		for (unsigned int t = p->cfg.first_ttl; t < p->path_len; t++)
			if (paced_active(p, &p->hops[t]) && p->hops[t].next_send < wake)
				wake = p->hops[t].next_send;
	}
	if (p->oldest < p->next_index) {
		const struct probe_slot *sl = &p->slots[p->oldest % PROBE_ID_SPACE];
		double exp = (double)sl->sent_ns / 1e9 + probe_timeout(p);

		if (exp < wake)
			wake = exp;
	}
	if (deadline > 0 && deadline < wake)
		wake = deadline;
	return wake;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void close_ports(struct prober *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(p->port_fd); i++)
		close_fd(&p->port_fd[i]);
}

void prober_stop(struct prober *p)
{
	p->quit = true;
}

void prober_on_progress(struct prober *p, probe_progress_fn fn, void *ctx, double every_s)
{
	p->progress = fn;
	p->progress_ctx = ctx;
	p->progress_every = every_s > 0.05 ? every_s : 0.05;
}

/* The run's start: its clocks, the first round and destination probe due at once. */
static void run_begin(struct prober *p)
{
	p->ran = true;
	p->sending = true;
	p->start = mono_now();
	p->started_wall = (double)realtime_ns() / 1e9;
	p->next_round = p->start;
	p->dest.next_send = p->start;
	p->dest.paced = p->flow.proto == PROBE_UDP;
	p->last_check = p->start;
	p->next_progress = p->start + p->progress_every;
}

/* One turn of p's run at now (its ICMP answers read already): read its TCP answers, settle,
 * send what is due. false once it has ended. */
static bool run_turn(struct prober *p, double now)
{
	if (p->tcp_fd >= 0)
		receive(p, p->tcp_fd);
	expire(p, mono_ns());
	if (p->sending && (p->quit || !still_sending(p, now)))
		p->sending = false;
	if (p->sending)
		send_due(p, now);
	if (!p->sending && p->inflight == 0)
		return false;
	check_limiters(p, now);
	if (p->progress && now >= p->next_progress) {
		p->next_progress = now + p->progress_every;
		p->progress(p, p->progress_ctx);
	}
	return true;
}

/* The run has ended; its ICMP socket goes with the last prober that reads through it. */
static void run_end(struct prober *p, bool interrupted)
{
	p->interrupted = interrupted;
	p->end = mono_now();
	close_fd(&p->tcp_fd);
	close_fd(&p->send_fd);
	close_ports(p);
}

/* Whether a and b can read their answers from one ICMP socket: bound to the same source. */
static bool same_icmp(const struct prober *a, const struct prober *b)
{
	return a->flow.family == b->flow.family && !memcmp(a->flow.src, b->flow.src, a->alen);
}

int prober_run(struct prober *p, double deadline)
{
	return prober_run_many(&p, 1, deadline);
}

static uint32_t random_u32(void);

/* Whether [a, a + wa) and [b, b + wb) share an id, the ranges wrapping at 2^16. */
static bool ids_overlap(uint16_t a, uint16_t wa, uint16_t b, uint16_t wb)
{
	return (uint16_t)(b - a) < (wa ? wa : 1) || (uint16_t)(a - b) < (wb ? wb : 1);
}

void probe_ids_spread(uint16_t *ids, const uint16_t *widths, size_t n, uint32_t (*draw)(void))
{
	for (size_t i = 1; i < n; i++)
		for (int tries = 0; tries < 1000; tries++) {
			size_t j = 0;

			while (j < i && !ids_overlap(ids[i], widths[i], ids[j], widths[j]))
				j++;
			if (j == i)
				break;
			ids[i] = (uint16_t)draw();
		}
}

/* Spread the probers' echo ids (probe_ids_spread): one's answers are not another's. */
static int spread_icmp_ids(struct prober *const *ps, size_t n)
{
	uint16_t *ids = calloc(n + 1, sizeof(*ids)), *widths = calloc(n + 1, sizeof(*widths));

	if (!ids || !widths) {
		free(ids);
		free(widths);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		ids[i] = ps[i]->flow.icmp_id;
		widths[i] = ps[i]->flow.nflows > 1 ? ps[i]->flow.nflows : 1;
	}
	probe_ids_spread(ids, widths, n, random_u32);
	for (size_t i = 0; i < n; i++)
		ps[i]->flow.icmp_id = ids[i];
	free(ids);
	free(widths);
	return 0;
}

int prober_run_many(struct prober *const *ps, size_t n, double deadline)
{
	struct pollfd *pfd = calloc(2 * n + 1, sizeof(*pfd));
	size_t *owner = calloc(2 * n + 1, sizeof(*owner)), *reader = calloc(n + 1, sizeof(*reader));
	bool *live = calloc(n + 1, sizeof(*live)), *group = calloc(n + 1, sizeof(*group));
	size_t nlive = n;
	int err = 0;

	for (size_t i = 0; i < n; i++)
		if (ps[i]->ran)
			err = -EALREADY;
	if (!err && (!pfd || !owner || !reader || !live || !group))
		err = -ENOMEM;
	if (!err && n > 1)
		err = spread_icmp_ids(ps, n);
	if (err)
		goto out;
	/*
	 * Every raw ICMP socket gets a copy of every ICMP packet: n sockets would have each
	 * answer read n times. Probers bound to the same source read through the first one's
	 * (reader), and theirs close now, before anything is queued on them to drop.
	 */
	for (size_t i = 0; i < n; i++) {
		reader[i] = i;
		for (size_t j = 0; j < i && reader[i] == i; j++)
			if (reader[j] == j && same_icmp(ps[i], ps[j]))
				reader[i] = j;
		if (reader[i] != i)
			close_fd(&ps[i]->icmp_fd);
		run_begin(ps[i]);
		live[i] = true;
	}
	/* The targets in one loop: one wakeup serves every prober whose answer or send is due. */
	while (nlive) {
		double now = mono_now(), wake = now + MAX_POLL_S;
		nfds_t nfd = 0;
		int ms, rc;

		if (ds_stop || (deadline > 0 && now >= deadline)) {
			for (size_t i = 0; i < n; i++)
				if (live[i])
					run_end(ps[i], true);
			break;
		}
		/* Answers already queued are read before anything is given up as lost. */
		for (size_t r = 0; r < n; r++) {
			if (reader[r] != r || ps[r]->icmp_fd < 0)
				continue;
			for (size_t i = 0; i < n; i++)
				group[i] = live[i] && reader[i] == r;
			receive_into(ps, n, group, ps[r]->icmp_fd);
		}
		for (size_t i = 0; i < n; i++) {
			struct prober *p = ps[i];
			double w;

			if (!live[i])
				continue;
			if (!run_turn(p, now)) {
				run_end(p, false);
				live[i] = false;
				nlive--;
				continue;
			}
			w = next_wake(p, p->sending, now, deadline);
			if (p->progress && p->next_progress < w)
				w = p->next_progress;
			if (w < wake)
				wake = w;
			if (p->tcp_fd >= 0) {
				owner[nfd] = i;
				pfd[nfd++] = (struct pollfd){.fd = p->tcp_fd, .events = POLLIN};
			}
		}
		/* Nothing reads a socket whose probers have all ended: left open it would queue,
		 * then drop, others' ICMP. */
		for (size_t r = 0; r < n; r++) {
			bool used = false;

			if (reader[r] != r || ps[r]->icmp_fd < 0)
				continue;
			for (size_t i = 0; i < n; i++)
				used |= live[i] && reader[i] == r;
			if (!used) {
				close_fd(&ps[r]->icmp_fd);
				continue;
			}
			owner[nfd] = r;
			pfd[nfd++] = (struct pollfd){.fd = ps[r]->icmp_fd, .events = POLLIN};
		}
		if (!nlive)
			break;
		ms = (int)ceil((wake - mono_now()) * 1e3);
		if (ms < 0)
			ms = 0;
		rc = poll(pfd, nfd, ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			ds_err("failed to wait for probe replies: %s", strerror(errno));
			for (size_t i = 0; i < n; i++)
				if (live[i])
					run_end(ps[i], false);
			break;
		}
		for (nfds_t k = 0; k < nfd; k++) {
			size_t o = owner[k];

			if (!(pfd[k].revents & POLLIN))
				continue;
			if (pfd[k].fd != ps[o]->icmp_fd) {
				receive(ps[o], pfd[k].fd);
				continue;
			}
			for (size_t i = 0; i < n; i++)
				group[i] = live[i] && reader[i] == o;
			receive_into(ps, n, group, pfd[k].fd);
		}
	}
	for (size_t i = 0; i < n; i++) {
		double dl = mono_now() + DNS_WAIT_S;

		close_fd(&ps[i]->icmp_fd);
		if (!ps[i]->interrupted)
			resolver_wait(ps[i]->dns, deadline > 0 && deadline < dl ? deadline : dl);
	}
out:
	free(pfd);
	free(owner);
	free(reader);
	free(live);
	free(group);
	return err;
}

/* --- opening ------------------------------------------------------------------------------ */

/* The MTU of the interface that holds addr (the route's source address), or 0 if none does. */
static unsigned int iface_mtu(int family, const uint8_t *addr)
{
	struct ifaddrs *all, *i;
	unsigned int mtu = 0;
	struct ifreq ifr;
	int fd;

	if (getifaddrs(&all))
		return 0;
	for (i = all; i && !mtu; i = i->ifa_next) {
		const void *a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != family)
			continue;
		a = family == AF_INET6
			    ? (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr
			    : (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		if (memcmp(a, addr, family == AF_INET6 ? 16 : 4))
			continue;
		fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->ifa_name);
		if (!ioctl(fd, SIOCGIFMTU, &ifr) && ifr.ifr_mtu > 0)
			mtu = (unsigned int)ifr.ifr_mtu;
		close(fd);
	}
	freeifaddrs(all);
	return mtu;
}

/*
 * The route's source address and MTUs, from a connected UDP socket (nothing is sent): the path
 * MTU this host knows (the TCP probes' MSS), and the largest probe it will send, its interface's
 * MTU. A path MTU learned from an earlier "packet too big" does not limit the probes (they are
 * sent with IPV6_PMTUDISC_PROBE, or fragmented for IPv4), so that they find where it shrinks.
 */
/*
 * -I and -a on a socket. device: out of that interface only (SO_BINDTODEVICE) - the sockets
 * that send, never those that receive, which would lose the answers of a return path by
 * another interface. address: bind -a's address (the route lookup, and the ICMP socket, which
 * then takes only answers to it; the raw send socket writes it in its headers). Prints its own
 * error: -ENODEV no such interface, -EADDRNOTAVAIL not an address of this host (both the
 * user's input), or the socket call's.
 */
static int bind_source(const struct prober *p, int fd, bool device, bool address)
{
	if (device && p->cfg.iface[0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p->cfg.iface,
		       (socklen_t)strlen(p->cfg.iface) + 1)) {
		int err = -errno;

		ds_err("failed to send by interface '%s': %s", p->cfg.iface,
		       err == -ENODEV ? "no such interface here" : strerror(-err));
		return err;
	}
	if (address && p->cfg.source[0]) {
		struct sockaddr_storage ss;
		socklen_t len;
		uint8_t a[16] = { 0 };

		inet_pton(p->flow.family, p->cfg.source, a);
		probe_sockaddr(p->flow.family, a, &ss, &len);
		/* A link-local address means something only on its link: -I's. */
		if (p->flow.family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)a)) {
			if (!p->cfg.iface[0]) {
				ds_err("failed to send from %s: a link-local address needs -I, the "
				       "interface of its link",
				       p->cfg.source);
				return -EINVAL;
			}
			((struct sockaddr_in6 *)&ss)->sin6_scope_id = if_nametoindex(p->cfg.iface);
		}
		if (bind(fd, (struct sockaddr *)&ss, len)) {
			int err = -errno;

			ds_err("failed to send from %s: %s", p->cfg.source,
			       err == -EADDRNOTAVAIL ? "not an address of this host"
						     : strerror(-err));
			return err;
		}
	}
	return 0;
}

static int route_lookup(struct prober *p)
{
	struct sockaddr_storage src, dst = p->dst_sa;
	socklen_t len = sizeof(src);
	int fd, rc, mtu = 0, err = 0;
	socklen_t ml = sizeof(mtu);
	unsigned int dev_mtu;

	fd = socket(p->flow.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		ds_err("failed to open a socket to look up the route: %s", strerror(-err));
		return err;
	}
	if (p->flow.family == AF_INET6)
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(9);
	else
		((struct sockaddr_in *)&dst)->sin_port = htons(9);
	err = bind_source(p, fd, true, true);
	if (err)
		goto cleanup;
	rc = connect(fd, (struct sockaddr *)&dst, p->dst_salen);
	if (rc && errno == EACCES && p->flow.family == AF_INET) {
		int one = 1;

		/*
		 * The kernel refuses to connect to a broadcast route (a local subnet's broadcast
		 * address) without SO_BROADCAST: if it lets us with it, the route is one, and the
		 * target is every host of that subnet.
		 */
		if (!setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) &&
		    !connect(fd, (struct sockaddr *)&dst, p->dst_salen)) {
			ds_err("failed to probe %s (the broadcast address of a local subnet, not "
			       "one host); give a host's address",
			       p->cfg.target);
			err = -EINVAL;
			goto cleanup;
		}
		errno = EACCES;
	}
	if (rc || getsockname(fd, (struct sockaddr *)&src, &len)) {
		err = -errno;
		ds_err("failed to find a route to %s (%s): %s; check the address and the routing "
		       "table",
		       p->cfg.target, p->address, strerror(-err));
		goto cleanup;
	}
	if (p->flow.family == AF_INET6) {
		memcpy(p->flow.src, &((struct sockaddr_in6 *)&src)->sin6_addr, 16);
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &ml))
			mtu = 1280;
	} else {
		memcpy(p->flow.src, &((struct sockaddr_in *)&src)->sin_addr, 4);
		if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &ml))
			mtu = 576;
	}
	p->pmtu = mtu > 0 ? (unsigned int)mtu : 576;
	dev_mtu = iface_mtu(p->flow.family, p->flow.src);
	p->mtu = dev_mtu > p->pmtu ? dev_mtu : p->pmtu;
cleanup:
	close(fd);
	return err;
}

static int open_raw(const struct prober *p, int proto, int flags)
{
	int fd = socket(p->flow.family, SOCK_RAW | SOCK_CLOEXEC | flags, proto);

	if (fd < 0) {
		int err = errno;

		if (err == EPERM || err == EACCES)
			ds_err("failed to open a raw socket: %s; dropscope probe needs root "
			       "(or CAP_NET_RAW)",
			       strerror(err));
		else
			ds_err("failed to open a raw socket: %s", strerror(err));
		return -err;
	}
	return fd;
}

static void set_rcvbuf(int fd)
{
	int v = RCVBUF_BYTES, one = 1;

	/* A full receive queue would be a drop the kernel tracer sees: make room. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
}

static uint32_t random_u32(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)getpid() ^ (uint32_t)mono_ns();
	return v;
}

/* A socket bound to port (0: any) of me, sending as -I says. Returns the fd or -errno. */
static int reserve_port(const struct prober *p, struct sockaddr_storage *me, socklen_t melen,
			uint16_t port)
{
	int fd, err;

	fd = socket(p->flow.family,
		    (p->flow.proto == PROBE_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = bind_source(p, fd, true, false);
	if (err) {
		close(fd);
		return err;
	}
	if (p->flow.family == AF_INET6)
		((struct sockaddr_in6 *)me)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)me)->sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)me, melen) ||
	    getsockname(fd, (struct sockaddr *)me, &melen)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

#define PORT_TRIES 64
#define PORT_LO 32768 /* the flows' ports are drawn from Linux's default ephemeral range */
#define PORT_HI 60999

/*
 * Reserve the flows' source ports, so that no real connection of this host shares a flow:
 * one port the kernel picks for one flow; for several, nflows consecutive ones (a range an
 * in-kernel filter can match) from a random start, another start when one is taken.
 */
static int reserve_ports(struct prober *p, struct sockaddr_storage *me, socklen_t melen)
{
	int fd, err = 0;

	if (p->nflows == 1) {
		fd = reserve_port(p, me, melen, 0);
		if (fd < 0)
			goto fail;
		p->port_fd[0] = fd;
		p->flow.sport =
			ntohs(p->flow.family == AF_INET6 ? ((struct sockaddr_in6 *)me)->sin6_port
							 : ((struct sockaddr_in *)me)->sin_port);
		return 0;
	}
	for (int tries = 0; tries < PORT_TRIES; tries++) {
		uint16_t base =
			(uint16_t)(PORT_LO + random_u32() % (PORT_HI - PORT_LO - p->nflows));
		unsigned int k;

		for (k = 0; k < p->nflows; k++) {
			fd = reserve_port(p, me, melen, (uint16_t)(base + k));
			if (fd < 0)
				break;
			p->port_fd[k] = fd;
		}
		if (k == p->nflows) {
			p->flow.sport = base;
			return 0;
		}
		close_ports(p);
		if (fd != -EADDRINUSE)
			goto fail;
	}
fail:
	err = fd < 0 ? fd : -EADDRINUSE;
	ds_err("failed to reserve %u source port%s: %s", p->nflows, p->nflows > 1 ? "s" : "",
	       strerror(-err));
	return err;
}

static int open_sockets(struct prober *p)
{
	struct sockaddr_storage me;
	socklen_t melen;
	bool v6 = p->flow.family == AF_INET6;
	int fd, err;

	fd = open_raw(p, IPPROTO_RAW, 0);
	if (fd < 0)
		return fd;
	p->send_fd = fd;
	err = bind_source(p, fd, true, false);
	if (err)
		return err;
	if (v6) {
		int probe = IPV6_PMTUDISC_PROBE;

		/*
		 * Once a router says "packet too big", the kernel would refuse our probes of that
		 * size (EMSGSIZE) to every hop, hop 1 included: false loss everywhere. Sent by
		 * the device's MTU, they go on reaching that router, which goes on answering:
		 * the report shows where the MTU shrinks. (IPv4 probes leave DF clear: routers
		 * fragment them.)
		 */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe, sizeof(probe)))
			ds_debug("failed to set IPV6_PMTUDISC_PROBE: %s", strerror(errno));
	}
	fd = open_raw(p, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, SOCK_NONBLOCK);
	if (fd < 0)
		return fd;
	p->icmp_fd = fd;
	err = bind_source(p, fd, false, true);
	if (err)
		return err;
	set_rcvbuf(fd);
	/* Only the ICMP types that can answer a probe; the kernel filters before queueing. */
	if (v6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		uint32_t mask = ~((1u << 0) | (1u << 3) | (1u << 11));

		setsockopt(fd, SOL_RAW, ICMP_FILTER, &mask, sizeof(mask));
	}

	probe_sockaddr(p->flow.family, p->flow.src, &me, &melen);
	if (p->flow.proto != PROBE_ICMP) {
		err = reserve_ports(p, &me, melen);
		if (err)
			return err;
	}
	if (p->flow.proto == PROBE_TCP) {
		fd = open_raw(p, IPPROTO_TCP, SOCK_NONBLOCK);
		if (fd < 0)
			return fd;
		p->tcp_fd = fd;
		set_rcvbuf(fd);
		probe_sockaddr(p->flow.family, p->flow.src, &me, &melen);
		/* Connected: the kernel hands us only segments from the target. */
		if (bind(fd, (struct sockaddr *)&me, melen) ||
		    connect(fd, (struct sockaddr *)&p->dst_sa, p->dst_salen)) {
			int err = -errno;

			ds_err("failed to set up the TCP reply socket: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The slots' bytes, in whole pages. */
static size_t slots_size(const struct prober *p)
{
	size_t n = (size_t)PROBE_ID_SPACE * sizeof(*p->slots);

	return (n + p->page - 1) / p->page * p->page;
}

/* The slots, zeroed: mapped apart, so that release_settled can give pages back. NULL if not. */
static struct probe_slot *slots_map(struct prober *p)
{
	long page = sysconf(_SC_PAGESIZE);
	void *m;

	p->page = page > 0 && page % sizeof(*p->slots) == 0 ? (size_t)page : 4096;
	m = mmap(NULL, slots_size(p), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

/*
 * What prober_open and prober_adopt both make once the flow and the sockets are there: the
 * packet buffer, the probe slots and flow cells, discovery's first horizon, reverse DNS.
 */
static int prober_state(struct prober *p)
{
	p->pkt = malloc(p->size);
	p->slots = slots_map(p);
	p->cells = calloc((size_t)p->nflows * ROWS, sizeof(*p->cells));
	if (!p->pkt || !p->slots || !p->cells) {
		ds_err("failed to allocate the prober's state: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	p->path_len = p->cfg.max_ttl;
	/* With flows, discovery walks the path from the first TTL (DISCOVERY_AHEAD). */
	p->horizon = p->cfg.first_ttl + (p->nflows > 1 ? 0 : DISCOVERY_AHEAD);
	if (p->horizon > p->cfg.max_ttl)
		p->horizon = p->cfg.max_ttl;
	if (!p->cfg.no_dns && resolver_start(p->flow.family, &p->dns))
		ds_debug("no reverse DNS: out of memory");
	return 0;
}

int prober_open(const struct probe_config *cfg, struct prober **out)
{
	struct probe_config c = *cfg;
	struct prober *p;
	size_t min;
	int err;

	*out = NULL;
	if (probe_config_finish(&c))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = c;
	p->send_fd = p->icmp_fd = p->tcp_fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(p->port_fd); i++)
		p->port_fd[i] = -1;
	p->nflows = c.flows ? c.flows : 1;
	err = probe_resolve_target(&c, &p->dst_sa, &p->dst_salen);
	if (err)
		goto cleanup;
	p->flow.family = p->dst_sa.ss_family;
	p->flow.proto = c.proto;
	p->alen = p->flow.family == AF_INET6 ? 16 : 4;
	if (p->flow.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->dst_sa;

		memcpy(p->flow.dst, &s6->sin6_addr, 16);
		/* For IPPROTO_RAW the port field must be zero. */
		s6->sin6_port = 0;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&p->dst_sa;

		memcpy(p->flow.dst, &s4->sin_addr, 4);
		s4->sin_port = 0;
	}
	inet_ntop(p->flow.family, p->flow.dst, p->address, sizeof(p->address));
	err = route_lookup(p);
	if (err)
		goto cleanup;
	inet_ntop(p->flow.family, p->flow.src, p->source, sizeof(p->source));

	p->flow.dport = (uint16_t)c.port;
	p->flow.nflows = (uint16_t)p->nflows;
	p->flow.icmp_flow0 = c.icmp_beside && p->nflows > 1 && c.proto != PROBE_ICMP;
	p->flow.icmp_id = (uint16_t)random_u32();
	p->flow.tcp_seq_hi = (uint16_t)random_u32();
	p->flow.flowlabel = (random_u32() & 0xfffff) | 1;
	p->flow.tcp_mss = (uint16_t)(p->pmtu - (p->flow.family == AF_INET6 ? 60 : 40));
	min = probe_min_size(&p->flow);
	p->size = c.proto == PROBE_TCP ? (unsigned int)min : c.size;
	if (p->size < min) {
		ds_err("failed to use --size %u: %s %s probes need at least %zu bytes", p->size,
		       p->flow.family == AF_INET6 ? "IPv6" : "IPv4", probe_proto_name(c.proto),
		       min);
		err = -EINVAL;
		goto cleanup;
	}
	if (p->size > p->mtu) {
		ds_err("failed to use --size %u: the interface toward %s carries at most %u bytes "
		       "(its MTU); give a smaller size",
		       p->size, p->address, p->mtu);
		err = -EMSGSIZE;
		goto cleanup;
	}
	err = open_sockets(p);
	if (err)
		goto cleanup;
	err = prober_state(p);
	if (err)
		goto cleanup;
	if (p->nflows > 1 && c.first_ttl == 1) {
		/* The route the probes take: from their source, out of -I's interface. */
		unsigned int oif = c.iface[0] ? if_nametoindex(c.iface) : 0;
		int nh = probe_route_nexthops(p->flow.family, p->flow.dst, p->flow.src, oif);

		p->hop1_single = nh == 1 && (oif || !c.iface[0]);
		ds_debug("this host's route to %s: %d next hops%s", p->address, nh,
			 p->hop1_single ? " (hop 1 needs one flow)" : "");
	}
	ds_debug("probing %s (%s) from %s, %s, %u bytes, path MTU %u (interface %u)", c.target,
		 p->address, p->source, probe_proto_name(c.proto), p->size, p->pmtu, p->mtu);
	*out = p;
	return 0;
cleanup:
	prober_close(p);
	return err;
}

uint32_t prober_layout(void)
{
	/* Each struct's size, and where the members that hold C library types sit. */
	const size_t v[] = {
		sizeof(struct prober_setup),
		offsetof(struct prober_setup, dst_sa),
		offsetof(struct prober_setup, flow),
		offsetof(struct prober_setup, cfg),
		sizeof(struct sockaddr_storage),
		sizeof(struct probe_config),
		offsetof(struct probe_config, proto),
		sizeof(struct probe_flow),
		sizeof(struct probe_record),
		sizeof(struct probe_packet),
		offsetof(struct probe_packet, reply),
		sizeof(struct probe_host_report),
		sizeof(struct probe_hop_report),
		offsetof(struct probe_hop_report, nhosts),
		sizeof(struct probe_flow_report),
		sizeof(struct probe_report),
		offsetof(struct probe_report, nhops),
		offsetof(struct probe_report, nflows),
		sizeof(size_t),
		sizeof(enum probe_proto),
	};
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		h ^= (uint32_t)v[i];
		h *= 16777619u;
	}
	return h;
}

void prober_setup_fill(const struct prober *p, struct prober_setup *s)
{
	memset(s, 0, sizeof(*s));
	s->magic = PROBER_SETUP_MAGIC;
	s->version = PROBER_SETUP_VERSION;
	s->size = sizeof(*s);
	s->layout = prober_layout();
	s->send_fd = p->send_fd;
	s->icmp_fd = p->icmp_fd;
	s->tcp_fd = p->tcp_fd;
	for (size_t i = 0; i < ARRAY_SIZE(s->port_fd); i++)
		s->port_fd[i] = p->port_fd[i];
	s->nflows = p->nflows;
	s->psize = p->size;
	s->mtu = p->mtu;
	s->pmtu = p->pmtu;
	s->hop1_single = p->hop1_single;
	s->dst_sa = p->dst_sa;
	s->dst_salen = p->dst_salen;
	s->flow = p->flow;
	s->cfg = p->cfg;
}

static bool fd_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

/* Whether a setup holds together: what prober_open would have refused, it refuses too. */
static bool setup_sane(const struct prober_setup *s)
{
	const struct probe_config *c = &s->cfg;
	bool ports = s->flow.proto != PROBE_ICMP;

	if ((s->flow.family != AF_INET && s->flow.family != AF_INET6) ||
	    (unsigned)s->flow.proto > PROBE_TCP || s->flow.proto != c->proto || !s->nflows ||
	    s->nflows > PROBE_MAX_FLOWS || s->flow.nflows != s->nflows ||
	    s->nflows != (c->flows ? c->flows : 1u) || s->dst_sa.ss_family != s->flow.family ||
	    s->dst_salen > sizeof(s->dst_sa) || !c->first_ttl ||
	    c->first_ttl > c->max_ttl || c->max_ttl > PROBE_MAX_TTL ||
	    s->psize < probe_min_size(&s->flow) || s->psize > s->mtu || s->psize > 65535 ||
	    !memchr(c->target, 0, sizeof(c->target)) || !memchr(c->iface, 0, sizeof(c->iface)) ||
	    !memchr(c->source, 0, sizeof(c->source)))
		return false;
	if (!fd_open(s->send_fd) || !fd_open(s->icmp_fd) ||
	    (s->flow.proto == PROBE_TCP) != fd_open(s->tcp_fd))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(s->port_fd); i++)
		if ((ports && i < s->nflows) != fd_open(s->port_fd[i]))
			return false;
	return true;
}

int prober_adopt(const void *setup, size_t len, struct prober **out)
{
	struct prober_setup s;
	struct prober *p;
	int err;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	memcpy(&s, setup, len < sizeof(s) ? len : sizeof(s));
	if (len != sizeof(s) || s.magic != PROBER_SETUP_MAGIC || s.version != PROBER_SETUP_VERSION ||
	    s.size != sizeof(s) || s.layout != prober_layout()) {
		ds_err("failed to take over the prober: its setup is not this build's (%zu bytes, "
		       "magic 0x%08x, version %u, size %u, layout 0x%08x, ours 0x%08x); install "
		       "dropscope and dropscope-prober from one build",
		       len, s.magic, s.version, s.size, s.layout, prober_layout());
		return -EPROTO;
	}
	if (!setup_sane(&s)) {
		ds_err("failed to take over the prober: its setup does not hold together");
		return -EPROTO;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ds_err("failed to allocate the prober's state: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	p->cfg = s.cfg;
	p->flow = s.flow;
	p->nflows = s.nflows;
	p->size = s.psize;
	p->mtu = s.mtu;
	p->pmtu = s.pmtu;
	p->hop1_single = s.hop1_single != 0;
	p->send_fd = s.send_fd;
	p->icmp_fd = s.icmp_fd;
	p->tcp_fd = s.tcp_fd;
	for (size_t i = 0; i < ARRAY_SIZE(p->port_fd); i++)
		p->port_fd[i] = s.port_fd[i];
	p->alen = p->flow.family == AF_INET6 ? 16 : 4;
	p->dst_sa = s.dst_sa;
	p->dst_salen = s.dst_salen;
	inet_ntop(p->flow.family, p->flow.dst, p->address, sizeof(p->address));
	inet_ntop(p->flow.family, p->flow.src, p->source, sizeof(p->source));
	err = prober_state(p);
	if (err) {
		prober_close(p);
		return err;
	}
	*out = p;
	return 0;
}

bool probe_error_is_input(int err)
{
	switch (err) {
	case -EINVAL:
	case -ENOENT:
	case -EAFNOSUPPORT:
	case -ENETUNREACH:
	case -EHOSTUNREACH:
	case -EADDRNOTAVAIL:
	case -EMSGSIZE:
	case -ENODEV:
		return true;
	default:
		return false;
	}
}

/* --- results ------------------------------------------------------------------------------ */

const char *probe_proto_name(enum probe_proto proto)
{
	switch (proto) {
	case PROBE_UDP:
		return "udp";
	case PROBE_TCP:
		return "tcp";
	default:
		return "icmp";
	}
}

static void fill_host(struct prober *p, struct probe_host_report *o, const struct host_entry *h)
{
	memset(o, 0, sizeof(*o));
	inet_ntop(p->flow.family, h->addr, o->address, sizeof(o->address));
	resolver_name(p->dns, h->addr, p->alen, o->name, sizeof(o->name));
	o->received = h->received;
	o->last_ms = h->rtt.last;
	o->avg_ms = h->rtt.mean;
	o->best_ms = h->rtt.best;
	o->worst_ms = h->rtt.worst;
	o->stdev_ms = rtt_stdev(&h->rtt);
	o->jitter_ms = h->rtt.jitter;
	o->jitter_avg_ms = h->rtt.jitter_avg;
	o->jitter_max_ms = h->rtt.jitter_max;
	o->jitter_int_ms = h->rtt.jitter_int;
	o->reply = h->reply;
	o->icmp_type = h->icmp_type;
	o->icmp_code = h->icmp_code;
	o->mtu = h->mtu;
}

/* The last row to show: the destination's, or one past the farthest hop that answered. */
static unsigned int last_row(const struct prober *p)
{
	unsigned int last = 0;

	if (p->terminal_seen || p->path_len < p->cfg.max_ttl)
		return p->path_len;
	for (unsigned int t = p->cfg.first_ttl; t < p->path_len; t++)
		if (p->hops[t].c.replied)
			last = t;
	if (p->dest.c.replied)
		return p->path_len;
	last = last ? last + 1 : p->cfg.first_ttl;
	return last > p->cfg.max_ttl ? p->cfg.max_ttl : last;
}

/* Probe i of the list has been answered or given up on (an overwritten slot is long settled). */
static bool rec_settled(const struct prober *p, uint64_t i)
{
	const struct probe_slot *sl = &p->slots[i % PROBE_ID_SPACE];

	return sl->seq1 != i + 1 || (sl->flags & SLOT_RESOLVED);
}

/*
 * For each paced hop, its fast probes sent after its first lost fast one (the two-rate test's
 * fast side), from the probe list; left unknown if the list was cut short.
 */
static void fill_tails(const struct prober *p, struct hop_counts *hc, size_t n,
		       const bool *excluded, size_t nexcluded)
{
	bool seen_loss[PROBE_MAX_TTL + 1] = {false};

	if (p->rec_dropped)
		return;
	for (size_t i = 0; i < p->nrec; i++) {
		const struct probe_record *r = &p->rec[i];
		size_t row = (size_t)r->ttl - p->cfg.first_ttl;
		bool lost;

		if ((r->flags & (PROBE_REC_DEST | PROBE_REC_PACED)) || r->ttl >= p->path_len ||
		    r->ttl < p->cfg.first_ttl || row >= n || !hc[row].paced || !rec_settled(p, i))
			continue;
		lost = !(r->flags & PROBE_REC_ANSWERED);
		if (lost && i < nexcluded && excluded[i])
			continue;
		if (seen_loss[r->ttl]) {
			hc[row].tail_sent++;
			hc[row].tail_lost += lost;
		}
		seen_loss[r->ttl] |= lost;
	}
}

/*
 * Take the lost probes marked in excluded out of the counts, as if never sent: their fate on
 * the path is unknown. dest is the destination's counts, used when it has no row.
 */
static void exclude_probes(const struct prober *p, struct hop_counts *hc, size_t n, bool dest_row,
			   struct hop_counts *dest, const bool *excluded, size_t nexcluded,
			   int flow)
{
	for (size_t i = 0; i < nexcluded && i < p->nrec; i++) {
		const struct probe_record *r = &p->rec[i];
		struct hop_counts *c;

		if (!excluded[i] || (r->flags & PROBE_REC_ANSWERED) || !rec_settled(p, i) ||
		    (flow >= 0 && r->flow != flow))
			continue;
		if ((r->flags & PROBE_REC_DEST) || r->ttl >= p->path_len)
			c = dest_row && n ? &hc[n - 1] : dest;
		else if (r->ttl >= p->cfg.first_ttl && (size_t)(r->ttl - p->cfg.first_ttl) < n)
			c = &hc[r->ttl - p->cfg.first_ttl];
		else
			continue;
		if ((r->flags & PROBE_REC_PACED) && c->paced_sent && c->paced_lost) {
			c->paced_sent--;
			c->paced_lost--;
		} else if (c->fast_sent && c->fast_lost) {
			c->fast_sent--;
			c->fast_lost--;
		}
	}
}

/* Flow f's rows as the report's: row i is TTL first_ttl + i, the last maybe the destination. */
static void flow_counts(struct prober *p, unsigned int f, struct hop_counts *hc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int t = p->cfg.first_ttl + (unsigned int)i;
		unsigned int row = t >= p->path_len ? p->path_len : t;

		hc[i] = cell_of(p, f, row)->c;
		hc[i].paced = (row == p->path_len ? &p->dest : &p->hops[row])->paced;
	}
}

/*
 * The flows' paths and losses, each hop's flows per address and MDA's rule, and loss per
 * branch: at every hop where the flows split, they are grouped by the address they take, and
 * probe_branch_attribute names a group that loses beyond chance (the most significant split).
 */
static int fill_flows(struct prober *p, struct probe_report *r, bool dest_row, const bool *excluded,
		      size_t nexcluded)
{
	size_t n = r->nhops, nf = p->nflows;
	struct hop_counts *fhc, *ghc, dummy;
	struct probe_flow_report *flows;
	struct branch_verdict best = {.group = -1, .p = 1};
	size_t best_row = 0, best_groups = 0;
	unsigned int best_flows = 0, best_all = 0;
	bool filtered = dest_filtered(p);
	int err = 0;

	flows = realloc(r->flows, nf * sizeof(*flows));
	if (!flows)
		return -ENOMEM;
	r->flows = flows;
	r->nflows = nf;
	if (!n)
		return 0;
	fhc = calloc(nf * n, sizeof(*fhc));
	ghc = calloc(PROBE_MAX_RESPONDERS * n, sizeof(*ghc));
	if (!fhc || !ghc) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (unsigned int f = 0; f < nf; f++) {
		struct probe_flow_report *o = &flows[f];
		struct hop_counts *hc = fhc + f * n;
		uint64_t lost;

		memset(o, 0, sizeof(*o));
		o->flow = f;
		o->proto = p->flow.icmp_flow0 && f == 0 ? PROBE_ICMP : p->flow.proto;
		o->key = (uint16_t)((o->proto == PROBE_ICMP ? p->flow.icmp_id : p->flow.sport) + f);
		flow_counts(p, f, hc, n);
		if (excluded)
			exclude_probes(p, hc, n, dest_row, &dummy, excluded, nexcluded, (int)f);
		for (size_t i = 0; i < n; i++) {
			unsigned int t = r->hops[i].ttl;
			unsigned int row = t >= p->path_len ? p->path_len : t;
			const struct stream *s = row == p->path_len ? &p->dest : &p->hops[row];

			o->via[i] = via_of(p, s, cell_of(p, f, row));
			o->hop_sent[i] = (uint32_t)(hc[i].fast_sent + hc[i].paced_sent);
			o->hop_received[i] =
				o->hop_sent[i] - (uint32_t)(hc[i].fast_lost + hc[i].paced_lost);
			if (o->via[i] != PROBE_VIA_NONE) {
				r->hops[i].hosts[o->via[i]].flows++;
				r->hops[i].flows_seen++;
			}
		}
		o->sent = o->hop_sent[n - 1];
		lost = o->sent - o->hop_received[n - 1];
		o->received = o->hop_received[n - 1];
		o->loss_pct = o->sent ? loss_pct(lost, o->sent) : NAN;
	}
	r->mda_complete = true;
	for (size_t i = 0; i < n; i++) {
		struct probe_hop_report *h = &r->hops[i];
		unsigned int k = 0;

		for (size_t a = 0; a < h->nhosts; a++)
			k += h->hosts[a].flows > 0;
		r->multipath |= k > 1;
		h->mda_needed = mda_needed(p, h->ttl, k);
		h->mda_complete = h->flows_seen >= h->mda_needed;
		/* A hop that never answers (???) has nothing to enumerate, the target no more. */
		if (h->nhosts && !h->mda_complete && !h->destination)
			r->mda_complete = false;
	}
	r->mda_probes = p->mda_probes;
	r->dest_filtered = filtered;

	/* Loss per branch, at every hop where the flows split. */
	for (size_t i = 0; i + 1 < n; i++) {
		const struct probe_hop_report *h = &r->hops[i];
		struct branch_verdict b;
		unsigned int ngroups = 0, grouped = 0;
		int8_t group_of[PROBE_MAX_RESPONDERS];

		if (h->nhosts < 2)
			continue;
		memset(ghc, 0, PROBE_MAX_RESPONDERS * n * sizeof(*ghc));
		for (size_t a = 0; a < h->nhosts; a++)
			group_of[a] = h->hosts[a].flows ? (int8_t)ngroups++ : -1;
		if (ngroups < 2)
			continue;
		for (unsigned int f = 0; f < nf; f++) {
			uint8_t v = flows[f].via[i];

			if (v == PROBE_VIA_NONE || group_of[v] < 0)
				continue;
			grouped++;
			for (size_t k = 0; k < n; k++) {
				struct hop_counts *g = &ghc[(size_t)group_of[v] * n + k];

				/* A filtered port's probes at the target are no loss. */
				if (filtered && f && dest_row && k + 1 == n)
					continue;

				counts_add(g, &fhc[f * n + k]);
				g->paced = fhc[f * n + k].paced;
			}
		}
		if (probe_branch_attribute(ghc, ngroups, n, PROBE_ALPHA, &b) < 0 || b.p >= best.p)
			continue;
		best = b;
		best_row = i;
		best_groups = ngroups;
		best_all = grouped;
		for (size_t a = 0; a < h->nhosts; a++)
			if (group_of[a] == b.group)
				best_flows = h->hosts[a].flows;
	}
	if (best.group >= 0) {
		const struct probe_hop_report *h = &r->hops[best_row];
		const struct probe_hop_report *from = &r->hops[best.origin];
		size_t a;

		for (a = 0; a < h->nhosts; a++)
			if (h->hosts[a].flows && !best.group--)
				break;
		r->branch.seen = true;
		r->branch.ttl = h->ttl;
		snprintf(r->branch.address, sizeof(r->branch.address), "%s", h->hosts[a].address);
		r->branch.branch_index = (unsigned int)a + 1;
		r->branch.nbranches = (unsigned int)best_groups;
		r->branch.flows = best_flows;
		r->branch.flows_all = best_all;
		r->branch.from_ttl = from->ttl;
		r->branch.sent = best.sent;
		r->branch.lost = best.lost;
		r->branch.other_sent = best.other_sent;
		r->branch.other_lost = best.other_lost;
		r->branch.loss_pct = loss_pct(best.lost, best.sent);
		r->branch.other_loss_pct =
			best.other_sent ? loss_pct(best.other_lost, best.other_sent) : NAN;
		r->branch.p_value = best.p;
		/* The branch is the finer explanation of loss that starts at or after its split. */
		if (!r->has_origin || r->origin.ttl >= h->ttl) {
			r->has_origin = true;
			r->origin.ttl = from->ttl;
			r->origin.address[0] = '\0';
			for (unsigned int f = 0; f < nf; f++) {
				uint8_t v = flows[f].via[best.origin];

				if (flows[f].via[best_row] == a && v != PROBE_VIA_NONE) {
					snprintf(r->origin.address, sizeof(r->origin.address), "%s",
						 from->hosts[v].address);
					break;
				}
			}
			probe_loss_interval(best.sent, best.lost, &r->origin.loss_pct,
					    &r->origin.loss_lo, &r->origin.loss_hi);
			r->origin.at_destination = from->destination;
			r->origin.carries_on = true;
			r->origin.branch = true;
		}
	}
cleanup:
	free(ghc);
	free(fhc);
	return err;
}

const struct probe_report *prober_report(struct prober *p)
{
	return prober_report_excluding(p, NULL, 0);
}

const struct probe_report *prober_report_excluding(struct prober *p, const bool *excluded,
						   size_t nexcluded)
{
	struct hop_counts hc[PROBE_MAX_TTL + 1], dest = p->dest.c;
	struct hop_verdict v[PROBE_MAX_TTL + 1];
	struct probe_report *r = &p->report;
	struct probe_flow_report *flows = r->flows;
	unsigned int last = last_row(p);
	struct probe_hop_report *hops;
	bool dest_row;
	size_t n;
	int origin;

	n = gather_counts(p, hc, last);
	dest_row = last >= p->path_len;
	if (excluded)
		exclude_probes(p, hc, n, dest_row, &dest, excluded, nexcluded, -1);
	fill_tails(p, hc, n, excluded, nexcluded);
	hops = realloc(r->hops, (n ? n : 1) * sizeof(*hops));
	if (!hops)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->flows = flows;
	r->hops = hops;
	snprintf(r->target, sizeof(r->target), "%s", p->cfg.target);
	snprintf(r->address, sizeof(r->address), "%s", p->address);
	snprintf(r->source, sizeof(r->source), "%s", p->source);
	snprintf(r->unreachable, sizeof(r->unreachable), "%s", p->reached ? "" : p->unreachable);
	r->family = p->flow.family;
	r->proto = p->flow.proto;
	r->port = p->flow.proto == PROBE_ICMP ? 0 : p->flow.dport;
	r->size = p->size;
	r->started_wall = p->started_wall;
	r->duration_s = p->ran ? (p->end > 0 ? p->end : mono_now()) - p->start : 0;
	r->reached = p->reached;
	r->interrupted = p->interrupted;
	r->probes_sent = p->probes_sent;
	r->send_errors = p->send_errors;
	r->replies_unmatched = p->unmatched;
	r->replies_duplicate = p->duplicate;
	r->replies_late = p->late;
	r->window_waits = p->window_waits;
	if (p->mtu_seen) {
		r->mtu_limit.seen = true;
		r->mtu_limit.ttl = p->mtu_ttl;
		r->mtu_limit.mtu = p->mtu_next;
		inet_ntop(p->flow.family, p->mtu_from, r->mtu_limit.address,
			  sizeof(r->mtu_limit.address));
	}
	r->timeout_s = probe_timeout(p);

	origin = probe_attribute(hc, n, PROBE_ALPHA, v);
	r->nhops = n;
	for (size_t i = 0; i < n; i++) {
		struct probe_hop_report *o = &hops[i];
		unsigned int ttl = p->cfg.first_ttl + (unsigned int)i;
		struct stream *s = ttl >= p->path_len ? &p->dest : &p->hops[ttl];

		memset(o, 0, sizeof(*o));
		o->ttl = ttl;
		o->all_sent = s->c.fast_sent + s->c.paced_sent;
		o->all_received = o->all_sent - s->c.fast_lost - s->c.paced_lost;
		o->paced_sent = s->c.paced_sent;
		o->paced_received = s->c.paced_sent - s->c.paced_lost;
		o->destination = dest_row && i + 1 == n;
		o->counts = hc[i];
		o->other_replies = s->other_replies;
		o->nhosts = s->nhosts;
		for (size_t k = 0; k < s->nhosts; k++)
			fill_host(p, &o->hosts[k], &s->hosts[k]);
	}
	probe_report_set_verdict(r, v, origin, dest.fast_sent + dest.paced_sent,
				 dest.fast_sent + dest.paced_sent - dest.fast_lost -
					 dest.paced_lost);
	if (p->nflows > 1 && fill_flows(p, r, dest_row, excluded, nexcluded))
		return NULL;
	return r;
}

bool prober_probe_settled(const struct prober *p, size_t index)
{
	return index < p->nrec && rec_settled(p, index);
}

size_t prober_probes(const struct prober *p, const struct probe_record **list, uint64_t *dropped)
{
	*list = p->rec;
	if (dropped)
		*dropped = p->rec_dropped;
	return p->nrec;
}

void prober_identity(const struct prober *p, struct probe_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->family = p->flow.family;
	switch (p->flow.proto) {
	case PROBE_UDP:
		id->l4proto = IPPROTO_UDP;
		break;
	case PROBE_TCP:
		id->l4proto = IPPROTO_TCP;
		break;
	default:
		id->l4proto = p->flow.family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	}
	memcpy(id->src, p->flow.src, 16);
	memcpy(id->dst, p->flow.dst, 16);
	id->icmp_id = p->flow.proto == PROBE_ICMP || p->flow.icmp_flow0 ? p->flow.icmp_id : 0;
	id->sport = p->flow.sport;
	id->dport = p->flow.dport;
	id->nflows = p->flow.nflows > 1 ? p->flow.nflows : 1;
}

int prober_classify_packet(const struct prober *p, const uint8_t *l3, size_t len,
			   struct probe_packet *out)
{
	uint64_t last, idx;
	int rc;

	if (!p)
		return -EINVAL;
	rc = probe_parse_l3(&p->flow, l3, len, out);
	if (rc || out->kind == PROBE_PKT_NONE || p->next_index == 0)
		return rc;
	/* The most recent probe that carried this identity. */
	last = p->next_index - 1;
	idx = last - last % PROBE_ID_SPACE + out->ident;
	if (idx > last) {
		if (idx < PROBE_ID_SPACE)
			return 0;
		idx -= PROBE_ID_SPACE;
	}
	if (idx < p->nrec)
		out->index = (int64_t)idx;
	return 0;
}

size_t prober_socket_fds(const struct prober *p, int fds[PROBE_MAX_SOCKETS])
{
	const int all[] = { p->send_fd, p->icmp_fd, p->tcp_fd };
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i] >= 0)
			fds[n++] = all[i];
	for (size_t i = 0; i < ARRAY_SIZE(p->port_fd); i++)
		if (p->port_fd[i] >= 0)
			fds[n++] = p->port_fd[i];
	return n;
}

void prober_close(struct prober *p)
{
	if (!p)
		return;
	close_fd(&p->icmp_fd);
	close_fd(&p->tcp_fd);
	close_fd(&p->send_fd);
	close_ports(p);
	if (p->dns)
		resolver_put(p->dns);
	free(p->report.hops);
	free(p->report.flows);
	free(p->rec);
	if (p->slots)
		munmap(p->slots, slots_size(p));
	free(p->cells);
	free(p->pkt);
	free(p);
}
