// SPDX-License-Identifier: GPL-2.0
/*
 * The parent's side of the prober's process, against a child that lies: everything it sends
 * back is checked (counts, lengths, indexes, bools, strings), and one that trickles, stalls or
 * dies costs a bounded wait and a clear failure, never a hang or a read out of bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_child.h"
#include "tap.h"
#include "util.h"

static int child_end;

static struct probe_child *pair(void)
{
	int sv[2];
	struct probe_child *c;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return NULL;
	c = probe_child_from_fd(sv[0], -1);
	probe_child_set_timeout(c, 0.3);
	child_end = sv[1];
	return c;
}

static void say(uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
		uint32_t claimed_len)
{
	struct probe_child_header h = { type, claimed_len };

	if (write(child_end, &h, sizeof(h)) != sizeof(h) ||
	    (alen && write(child_end, a, alen) != (ssize_t)alen) ||
	    (blen && write(child_end, b, blen) != (ssize_t)blen))
		printf("# write to the fake child's end failed\n");
}

static void say_probes(uint64_t n, size_t really)
{
	struct probe_record *rec = calloc(really + 1, sizeof(*rec));
	uint8_t *settled = calloc(really + 1, 1);
	uint32_t len = sizeof(n) + n * (sizeof(*rec) + 1);
	struct probe_child_header h = { PROBE_MSG_PROBES, len };

	for (size_t i = 0; i < really; i++) {
		rec[i].flags = PROBE_REC_ANSWERED;
		settled[i] = 1;
	}
	if (write(child_end, &h, sizeof(h)) < 0 || write(child_end, &n, sizeof(n)) < 0 ||
	    write(child_end, rec, really * sizeof(*rec)) < 0 || write(child_end, settled, really) < 0)
		printf("# write failed\n");
	free(rec);
	free(settled);
}

static void say_report(struct probe_report *r, struct probe_hop_report *hops, size_t nhops,
		       int extra)
{
	int32_t rc = 0;
	uint32_t len = sizeof(rc) + sizeof(*r) + nhops * sizeof(*hops) + extra;
	struct probe_child_header h = { PROBE_MSG_REPORT, len };

	if (write(child_end, &h, sizeof(h)) < 0 || write(child_end, &rc, sizeof(rc)) < 0 ||
	    write(child_end, r, sizeof(*r)) < 0 ||
	    (nhops && write(child_end, hops, nhops * sizeof(*hops)) < 0))
		printf("# write failed\n");
}

static void test_report_checked(void)
{
	struct probe_child *c = pair();
	struct probe_hop_report hops[2];
	const struct probe_report *got;
	struct probe_report r;
	uint8_t seven = 7;

	memset(&r, 0, sizeof(r));
	memset(hops, 0, sizeof(hops));
	r.nhops = 2;
	memset(r.target, 'A', sizeof(r.target));	      /* no terminating NUL */
	memset(hops[1].hosts[0].name, 'B', sizeof(hops[1].hosts[0].name));
	memcpy(&r.reached, &seven, 1);			      /* a bool that is neither 0 nor 1 */
	memcpy(&hops[0].rate_limited, &seven, 1);
	hops[0].nhosts = 1000;				      /* beyond the array */
	r.proto = 77;
	hops[1].hosts[0].reply = 99;
	say_report(&r, hops, 2, 0);
	got = probe_child_report(c, NULL, 0);
	ok(got != NULL, "a well-formed report is taken");
	if (got) {
		is_int(strlen(got->target), sizeof(got->target) - 1, "an unterminated string is cut");
		is_int(strlen(got->hops[1].hosts[0].name), sizeof(got->hops[1].hosts[0].name) - 1,
		       "a host's name too");
		uint8_t b;

		memcpy(&b, &got->reached, 1);
		is_int(b, 1, "a bool byte of 7 becomes true (1)");
		memcpy(&b, &got->hops[0].rate_limited, 1);
		is_int(b, 1, "a hop's bool too");
		is_int(got->hops[0].nhosts, PROBE_MAX_RESPONDERS, "nhosts is bounded by the array");
		is_int(got->proto, PROBE_ICMP, "an unknown protocol is not used as an index");
		is_int(got->hops[1].hosts[0].reply, PROBE_REPLY_NONE, "nor an unknown reply kind");
	}
	probe_child_close(c);
	close(child_end);
}

/* Whether a report naming branch INDEX of OF keeps it. */
static bool branch_kept(unsigned int index, unsigned int of)
{
	struct probe_child *c = pair();
	struct probe_hop_report hops[2];
	const struct probe_report *got;
	struct probe_report r;
	bool kept;

	memset(&r, 0, sizeof(r));
	memset(hops, 0, sizeof(hops));
	r.nhops = 2;
	r.branch.seen = true;
	r.branch.branch_index = index;
	r.branch.nbranches = of;
	say_report(&r, hops, 2, 0);
	got = probe_child_report(c, NULL, 0);
	kept = got && got->branch.seen;
	probe_child_close(c);
	close(child_end);
	return kept;
}

/* A hostile child's per-flow numbers and branch: more answers than probes, a branch out of range. */
static void test_flows_checked(void)
{
	struct probe_child *c = pair();
	struct probe_hop_report hops[2];
	struct probe_flow_report flows[2];
	const struct probe_report *got;
	struct probe_report r;

	memset(&r, 0, sizeof(r));
	memset(hops, 0, sizeof(hops));
	memset(flows, 0, sizeof(flows));
	r.nhops = 2;
	r.nflows = 2;
	flows[0].sent = 10;
	flows[0].received = 1000;
	flows[0].loss_pct = -9900; /* what 1000 of 10 would give */
	flows[0].hop_sent[1] = 5;
	flows[0].hop_received[1] = 9;
	flows[1].proto = 99;
	r.branch.seen = true;
	r.origin.branch = true;
	r.branch.branch_index = 3;
	r.branch.nbranches = 2;
	r.branch.sent = 4;
	r.branch.lost = 40;
	say_report(&r, hops, 2, (int)sizeof(flows));
	if (write(child_end, flows, sizeof(flows)) < 0)
		printf("# write failed\n");
	got = probe_child_report(c, NULL, 0);
	ok(got != NULL, "a report with flows is taken");
	if (got) {
		is_int((int)got->flows[0].received, 10, "a flow's answers above its probes: clamped");
		ok(got->flows[0].loss_pct == 0, "and its loss follows (0%%, not negative)");
		is_int((int)got->flows[0].hop_received[1], 5, "a flow's answers at a hop: clamped");
		is_int(got->flows[1].proto, PROBE_ICMP, "a flow's unknown protocol is not used");
		ok(!got->branch.seen && !got->origin.branch, "branch 3 of 2: refused");
		is_int((int)got->branch.lost, 4, "a branch's loss above its probes: clamped");
	}
	probe_child_close(c);
	close(child_end);

	ok(!branch_kept(0, 2), "branch 0 (they count from 1): refused");
	ok(!branch_kept(1, 1000), "more branches than a hop has addresses: refused");
	ok(branch_kept(2, 3), "branch 2 of 3 stands");
}

static void test_report_lies(void)
{
	struct probe_child *c = pair();
	struct probe_report r;

	memset(&r, 0, sizeof(r));
	r.nhops = 100000; /* far beyond any TTL */
	say_report(&r, NULL, 0, 0);
	ok(probe_child_report(c, NULL, 0) == NULL, "nhops beyond 256: refused");
	ok(probe_child_report(c, NULL, 0) == NULL, "and the child is not asked again");
	probe_child_close(c);
	close(child_end);

	c = pair();
	r.nhops = 1;
	say_report(&r, NULL, 0, 0); /* claims one hop, sends none: the length does not match */
	ok(probe_child_report(c, NULL, 0) == NULL, "a length that does not match nhops: refused");
	probe_child_close(c);
	close(child_end);

	c = pair();
	{
		int32_t rc = -ENOMEM;

		say(PROBE_MSG_REPORT, &rc, sizeof(rc), "junk", 4, sizeof(rc) + 4);
		ok(probe_child_report(c, NULL, 0) == NULL, "a failure with a payload: refused");
		ok(probe_child_report(c, NULL, 0) == NULL, "and the stream is not read out of step");
	}
	probe_child_close(c);
	close(child_end);
}

static void test_probes_and_classify(void)
{
	struct probe_child *c = pair();
	const struct probe_record *rec;
	struct probe_packet pk;
	uint8_t pkt[28] = { 0x45 };
	int32_t rc = 0;

	say_probes(3, 3);
	is_int(probe_child_probes(c, &rec), 3, "three probes");
	ok(probe_child_settled(c, 2) && !probe_child_settled(c, 3), "settled only within the list");
	memset(&pk, 0, sizeof(pk));
	pk.kind = PROBE_PKT_REPLY;
	pk.index = 3; /* one past the list */
	say(PROBE_MSG_CLASSIFY, &rc, sizeof(rc), &pk, sizeof(pk), sizeof(rc) + sizeof(pk));
	is_int(probe_child_classify(c, pkt, sizeof(pkt), &pk), -EPROTO,
	       "an index past the probe list: refused");
	is_int(pk.index, -1, "and no index given");
	memset(&pk, 0, sizeof(pk));
	pk.kind = 9;
	say(PROBE_MSG_CLASSIFY, &rc, sizeof(rc), &pk, sizeof(pk), sizeof(rc) + sizeof(pk));
	is_int(probe_child_classify(c, pkt, sizeof(pkt), &pk), -EPROTO, "an unknown kind: refused");
	probe_child_close(c);
	close(child_end);

	c = pair();
	say_probes(1000, 10); /* says 1000, sends 10, then ends */
	close(child_end);
	is_int(probe_child_probes(c, &rec), 0, "a list cut short: no probes, not garbage");
	probe_child_close(c);

	c = pair();
	say_probes(PROBE_MAX_RECORDS + 1ull, 0);
	is_int(probe_child_probes(c, &rec), 0, "more records than ever kept: refused");
	probe_child_close(c);
	close(child_end);
}

static void test_stalls(void)
{
	struct probe_child *c = pair();
	const struct probe_report *r;
	struct probe_child_header h = { PROBE_MSG_REPORT, 1000 };
	double t0 = mono_now();
	int run_err;

	r = probe_child_report(c, NULL, 0); /* silence */
	ok(!r && mono_now() - t0 < 2, "a child that says nothing: given up in %.2f s",
	   mono_now() - t0);
	probe_child_close(c);
	close(child_end);

	/* One byte at a time, each in time for a per-read timeout but not for the exchange. */
	c = pair();
	t0 = mono_now();
	if (fork() == 0) {
		const uint8_t *b = (const uint8_t *)&h;

		for (size_t i = 0; i < sizeof(h); i++) {
			usleep(100000);
			if (write(child_end, b + i, 1) < 0)
				break;
		}
		_exit(0);
	}
	r = probe_child_report(c, NULL, 0);
	ok(!r && mono_now() - t0 < 0.6, "a child that trickles: given up at the exchange's deadline "
					 "(%.2f s)",
	   mono_now() - t0);
	probe_child_close(c);
	close(child_end);

	/* A run that never ends: abandoned at the deadline's grace, not waited for forever. */
	c = pair();
	probe_child_go(c, mono_now() - 100);
	ok(probe_child_wait(c, 10, &run_err) < 0, "a run past its deadline and grace: abandoned");
	probe_child_close(c);
	close(child_end);

	/* A child that ends in the middle of its run. */
	c = pair();
	probe_child_go(c, mono_now() + 60);
	close(child_end);
	ok(probe_child_wait(c, 100, &run_err) < 0, "a child that died: a failure, not a hang");
	probe_child_close(c);

	/* Progress during the run: taken when it makes sense, ignored when it does not. */
	c = pair();
	{
		struct probe_progress good = { 1.0, 20, 8, 2 }, bad = { 2.0, 25, 9, 10 };

		probe_child_go(c, mono_now() + 60);
		say(PROBE_MSG_PROGRESS, &good, sizeof(good), NULL, 0, sizeof(good));
		say(PROBE_MSG_PROGRESS, &bad, sizeof(bad), NULL, 0, sizeof(bad));
		is_int(probe_child_wait(c, 100, &run_err), 0, "progress: the run goes on");
		is_int(probe_child_wait(c, 100, &run_err), 0, "progress: still");
		ok(probe_child_progress(c).sent == 20 && probe_child_progress(c).dest_lost == 2,
		   "progress: counts that lose more than were sent are ignored");
	}
	probe_child_close(c);
	close(child_end);

	/* A run's result outside errno's range. */
	c = pair();
	{
		int32_t v = 5000;

		probe_child_go(c, mono_now() + 60);
		say(PROBE_MSG_DONE, &v, sizeof(v), NULL, 0, sizeof(v));
		ok(probe_child_wait(c, 100, &run_err) == 1 && run_err == -EIO,
		   "a run result that is no errno: -EIO");
	}
	probe_child_close(c);
	close(child_end);
}

int main(void)
{
	test_report_checked();
	test_flows_checked();
	test_report_lies();
	test_probes_and_classify();
	test_stalls();
	return done_testing();
}
