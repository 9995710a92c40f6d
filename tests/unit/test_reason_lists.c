// SPDX-License-Identifier: GPL-2.0
/*
 * The category table against recorded reason lists (tests/fixtures/reasons, README.md there):
 * each list goes through a BTF built from it and reasons_from_scan, the path the running
 * kernel's names take, whose reader reads that BTF as libbpf does (btf_same.h). Every recorded
 * kernel's reasons are in the table; a list with reasons the table lacks (future-made-up) gets them counted, named, categorised from the shape of
 * their names or as unclassified, and shown in the text and JSON reports and under -v.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "trace_table.h"
#include "reasons.h"
#include "btf_same.h"
#include "tap.h"
#include "test_report_render.h"

static char dir[PATH_MAX];

/* tests/fixtures/reasons under the current directory (make runs the tests from the top), else
 * under the tree this binary was built in (BUILD/tests/unit/X). */
static bool find_dir(void)
{
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;

	if (realpath("tests/fixtures/reasons", dir))
		return true;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (int up = 0; up < 4 && (slash = strrchr(exe, '/')); up++)
		*slash = '\0';
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/reasons", exe);
	return access(dir, R_OK) == 0;
}

/* A BTF with the list's enum skb_drop_reason, as the kernel's would have it; *nreasons: the
 * members that are reasons (not SKB_NOT_DROPPED_YET, SKB_CONSUMED, MAX or SUBSYS_*). */
static struct btf *btf_from_list(const char *name, size_t *nreasons)
{
	char path[PATH_MAX + 64], line[256], member[128];
	long long value;
	struct btf *btf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	btf = btf__new_empty();
	btf__add_enum(btf, "skb_drop_reason", 4);
	*nreasons = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %127[A-Z0-9_] = %lld,", member, &value) != 2)
			continue;
		btf__add_enum_value(btf, member, value);
		*nreasons += !strncmp(member, "SKB_DROP_REASON_", 16) && !strstr(member, "MAX") &&
			     !strstr(member, "SUBSYS");
	}
	fclose(f);
	return btf;
}

/* The list's table as the tool reads it (scan_reasons checks the BTF reads as libbpf's). */
static struct reason_table *load_list(const char *name, size_t *nreasons)
{
	struct btf *btf = btf_from_list(name, nreasons);
	struct reason_table *t = NULL;

	if (!btf || scan_reasons(btf, "/nonexistent", name, &t))
		t = NULL;
	btf__free(btf);
	return t;
}

static const struct reason *by_name(const struct reason_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

static void recorded_kernels(void)
{
	static const char *const lists[] = {
		"linux-5.18",	      "torvalds-545dbcd1",   "linux-6.6", "linux-6.14",
		"linux-6.18.44-v669", "linux-6.18.44-v1252", "linux-6.19",
	};

	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		size_t want = 0, missing = 0, unspec = 0;
		struct reason_table *t = load_list(lists[l], &want);

		if (!ok(t != NULL, "%s: read through BTF", lists[l]))
			continue;
		ok(want > 10 && t->n == want, "%s: all %zu reasons named (%zu)", lists[l], want, t->n);
		for (size_t i = 0; i < t->n; i++) {
			const struct reason *r = &t->v[i];

			if (!r->in_table) {
				printf("# %s: %s is not in the category table (%s)\n", lists[l],
				       r->name, category_name(r->category));
				missing++;
			}
			unspec += r->category == CAT_UNSPECIFIED;
		}
		is_int(missing, 0, "%s: the category table has every reason", lists[l]);
		is_int(reasons_not_in_table(t), 0, "%s: and says so", lists[l]);
		ok(unspec == 1 && by_name(t, "NOT_SPECIFIED")->category == CAT_UNSPECIFIED,
		   "%s: unspecified is NOT_SPECIFIED's alone", lists[l]);
		reasons_free(t);
	}
}

/* A kernel newer than the table: its extra reasons are never an error. */
static void newer_kernel(void)
{
	static const struct {
		const char *name;
		enum drop_category cat;
	} extra[] = {
		{ "GENEVE_OPT_CSUM", CAT_CORRUPTION },	 { "PAGE_POOL_NOMEM", CAT_CAPACITY },
		{ "BRIDGE_VLAN_FILTER", CAT_POLICY },	 { "SRV6_NOROUTE", CAT_ROUTING },
		{ "WIDGET_WOBBLE", CAT_UNCLASSIFIED },
	};
	size_t want = 0, len = 0;
	struct reason_table *t = load_list("future-made-up", &want);
	struct name_ctx names = { .reasons = t, .self_netns = 1 };
	struct drop_snapshot s = { 0 };
	struct drop_report rep;
	const struct reason *wobble;
	char *out = NULL, buf[64];
	FILE *f;

	if (!ok(t != NULL, "future-made-up: read through BTF"))
		return;
	is_int(t->n, want, "every reason is named, the %d the table lacks too", 5);
	is_int(reasons_not_in_table(t), 5, "five are not in the table");
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		const struct reason *r = by_name(t, extra[i].name);

		if (!ok(r != NULL, "%s is named from BTF", extra[i].name))
			continue;
		ok(!r->in_table, "%s is not in the table", r->name);
		is_str(category_name(r->category), category_name(extra[i].cat), "%s: %s%s", r->name,
		       category_name(extra[i].cat),
		       extra[i].cat == CAT_UNCLASSIFIED ? ", no fallback fits" : ", by its name");
	}
	ok(by_name(t, "SKB_RX_HEADROOM")->in_table && by_name(t, "IPV6_TOO_MANY_EXTHDRS")->in_table,
	   "6.18's new reasons are in the table");
	wobble = by_name(t, "WIDGET_WOBBLE");
	if (!wobble) {
		reasons_free(t);
		return;
	}
	is_str(reasons_label(t, wobble->value, buf, sizeof(buf)), "WIDGET_WOBBLE",
	       "labelled by its BTF name");
	ok(!category_is_loss(CAT_UNCLASSIFIED),
	   "diagnose counts an unclassified drop as loss only where it hits the prober's packets");

	/* -v */
	f = open_memstream(&out, &len);
	reasons_print_not_in_table(t, f);
	fclose(f);
	ok(strstr(out, "5 of this kernel's 133 drop reasons are not in the category table") != NULL,
	   "-v says how many the table lacks: %.80s", out);
	ok(strstr(out, "WIDGET_WOBBLE (134): unclassified\n") != NULL, "and lists the unclassified");
	ok(strstr(out, "GENEVE_OPT_CSUM (130): corruption (from its name)\n") != NULL,
	   "and the ones categorised by name, saying so");
	ok(!strstr(out, "NO_SOCKET"), "but not the reasons the table has");
	free(out);

	/* trace and diagnose: counted and shown in the table and the JSON. */
	{
		struct drop_key k = { .reason = wobble->value, .netns = 1, .l3_proto = 0x0800 };
		struct drop_key c = { .reason = by_name(t, "GENEVE_OPT_CSUM")->value, .netns = 1 };

		drop_snapshot_add(&s, &k, 42, 4200);
		drop_snapshot_add(&s, &c, 7, 700);
	}
	if (ok(drop_report_build(&s, &names, &rep) == 0, "a report with them")) {
		is_int(rep.packets, 49, "their drops are counted");
		out = render_text(&rep, &names, 10);
		ok(strstr(out, "WIDGET_WOBBLE") && strstr(out, "unclassified"),
		   "the table shows the name and 'unclassified'");
		ok(strstr(out, "GENEVE_OPT_CSUM") && strstr(out, "corruption"),
		   "and the fallback's category");
		free(out);
		out = render_json(&rep, &names);
		ok(strstr(out, "\"reason\":\"WIDGET_WOBBLE\",\"reason_value\":134,"
			       "\"category\":\"unclassified\",\"count\":42") != NULL,
		   "JSON: name, number, category unclassified, count: %.160s", out);
		free(out);
		drop_report_free(&rep);
	}
	drop_snapshot_free(&s);
	reasons_free(t);
}

int main(void)
{
	if (!find_dir()) {
		ok(0, "tests/fixtures/reasons not found (run from the top of the tree)");
		return done_testing();
	}
	recorded_kernels();
	newer_kernel();
	return done_testing();
}
