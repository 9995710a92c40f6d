// SPDX-License-Identifier: GPL-2.0
/* /proc/kallsyms parsing and address lookup. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "kallsyms.h"
#include "tap.h"

static struct ksyms *parse_for(const char *text, const uint64_t *addrs, size_t n)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct ksyms *k = addrs ? ksyms_parse_for(f, addrs, n) : ksyms_parse(f);

	fclose(f);
	return k;
}

static struct ksyms *parse(const char *text)
{
	return parse_for(text, NULL, 0);
}

static const char *const text =
	"ffffffff81000000 T _stext\n"
	"ffffffff81100000 t nf_hook_slow\n"
	"ffffffff81100400 d some_data\n"
	"ffffffff81200000 T nft_do_chain\t[nf_tables]\n"
	"ffffffff81200800 t nft_rule_eval\t[nf_tables]\n"
	"ffffffff81300000 t ipt_do_table\t[ip_tables]\n"
	"garbage line\n"
	"ffffffff81050000 W weak_fn\n";

/* Only the symbols of the wanted addresses: each resolves as in the whole table. */
static void test_parse_for(void)
{
	const uint64_t want[] = { 0xffffffff81200900ull, 0xffffffff81100123ull, 0,
				  0xffffffff81100400ull, 0x1000, 0xffffffff81050001ull,
				  0xffffffff81200900ull, 0xffffffff81300004ull,
				  0xffffffff81200000ull /* a function's first byte */ };
	size_t n = sizeof(want) / sizeof(want[0]);
	struct ksyms *all = parse(text), *some = parse_for(text, want, n);
	char a[64], b[64];
	bool same = some != NULL;

	ok(some != NULL, "parsed for a set of addresses");
	if (!some || !all) {
		ksyms_free(all);
		ksyms_free(some);
		return;
	}
	is_int(some->n, 5, "keeps only the 5 functions that contain them");
	for (size_t i = 0; i < n; i++) {
		const char *x = ksyms_name(all, want[i], a, sizeof(a));
		const char *y = ksyms_name(some, want[i], b, sizeof(b));

		if ((x == NULL) != (y == NULL) || (x && strcmp(x, y)) ||
		    (ksyms_module(all, want[i]) != NULL) != (ksyms_module(some, want[i]) != NULL)) {
			printf("# 0x%llx: '%s' against '%s'\n", (unsigned long long)want[i], x ? x : "-",
			       y ? y : "-");
			same = false;
		}
	}
	ok(same, "each address has the name and module it has in the whole table");
	is_str(ksyms_module(some, 0xffffffff81200900ull), "nf_tables", "the module kept");
	is_str(ksyms_name(some, 0xffffffff81050001ull, b, sizeof(b)), "weak_fn",
	       "a symbol listed last still found (input order does not matter)");
	ksyms_free(all);
	ksyms_free(some);

	some = parse_for(text, want, 0);
	ok(some && some->n == 0, "no addresses: an empty table");
	ksyms_free(some);
	errno = 0;
	some = parse_for("0000000000000000 T a\n", want, n);
	ok(some == NULL && errno == EPERM, "hidden addresses are an error here too");
}

/*
 * Merged functions (one address, several names): the whole table and the table for a few
 * addresses name them alike, by the first name listed.
 */
static void test_merged(void)
{
	static const char *const merged = "ffffffff81000000 T _stext\n"
					  "ffffffff81400000 t merged_a\n"
					  "ffffffff81400000 t merged_b\n"
					  "ffffffff81400000 T merged_c\t[mod]\n"
					  "ffffffff81000040 t early\n"
					  "ffffffff81400000 t merged_d\n"
					  "ffffffff81400100 t after\n";
	const uint64_t want[] = { 0xffffffff81400010ull };
	struct ksyms *all = parse(merged), *some = parse_for(merged, want, 1);
	char a[64], b[64];

	ok(all && some, "parsed a table with merged functions");
	if (!all || !some) {
		ksyms_free(all);
		ksyms_free(some);
		return;
	}
	is_str(ksyms_name(all, want[0], a, sizeof(a)), "merged_a",
	       "the whole table names a merged function by its first name");
	is_str(ksyms_name(some, want[0], b, sizeof(b)), "merged_a", "and so does the table for it");
	is_str(ksyms_module(all, want[0]), NULL, "with that name's module (none)");
	is_int(all->n, 4, "one symbol per address");
	is_str(ksyms_name(all, 0xffffffff81400100ull, a, sizeof(a)), "after", "the next one intact");
	ksyms_free(all);
	ksyms_free(some);
}

/* Write text to path, replacing what it held. */
static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

/* The source reads its file again only for an address it has not read yet, and then keeps
 * every address asked before. */
static void test_source(void)
{
	char path[] = "/tmp/test_kallsyms.XXXXXX";
	const uint64_t a = 0xffffffff81100123ull, b = 0xffffffff81200010ull;
	struct ksyms_source s;
	const struct ksyms *k;
	char buf[64];
	int fd = mkstemp(path);

	if (fd < 0) {
		ok(0, "a temporary file");
		return;
	}
	close(fd);
	write_file(path, text);
	ksyms_source_open(&s, path);
	ok(s.f != NULL, "the source opens its file");
	k = ksyms_source_for(&s, &a, 1);
	is_str(k ? ksyms_name(k, a, buf, sizeof(buf)) : "", "nf_hook_slow", "an address asked: named");
	is_int(k ? k->n : 0, 1, "only its symbol read");
	/* The kernel's symbols change under us (a module loaded): a repeat does not read. */
	write_file(path, "ffffffff81100000 t renamed_fn\nffffffff81200000 T other_fn\n");
	k = ksyms_source_for(&s, &a, 1);
	is_str(k ? ksyms_name(k, a, buf, sizeof(buf)) : "", "nf_hook_slow",
	       "the same address again: not read again");
	k = ksyms_source_for(&s, &b, 1);
	is_str(k ? ksyms_name(k, b, buf, sizeof(buf)) : "", "other_fn", "a new address: read again");
	is_str(k ? ksyms_name(k, a, buf, sizeof(buf)) : "", "renamed_fn",
	       "with the addresses asked before");
	k = ksyms_source_all(&s);
	is_int(k ? k->n : 0, 2, "every symbol, when asked");
	k = ksyms_source_for(&s, &a, 1);
	is_int(k ? k->n : 0, 2, "and a later ask keeps them all");
	ksyms_source_close(&s);
	ok(s.f == NULL && s.k == NULL, "closed");

	ksyms_source_open(&s, "/nonexistent/kallsyms");
	ok(ksyms_source_for(&s, &a, 1) == NULL && ksyms_source_all(&s) == NULL,
	   "no file: no symbols, no crash");
	ksyms_source_close(&s);
	/* A read that fails after one that worked: the table read for other addresses would
	 * name the new one after the symbol below it (nf_hook_slow): no names instead. */
	write_file(path, text);
	ksyms_source_open(&s, path);
	k = ksyms_source_for(&s, &a, 1);
	is_str(k ? ksyms_name(k, a, buf, sizeof(buf)) : "", "nf_hook_slow", "read once");
	write_file(path, "0000000000000000 T a\n");
	k = ksyms_source_for(&s, &b, 1);
	ok(k == NULL, "a failed read for a new address gives no table, not the old one");
	ksyms_source_close(&s);
	write_file(path, "0000000000000000 T a\n");
	ksyms_source_open(&s, path);
	ok(ksyms_source_for(&s, &a, 1) == NULL && s.f == NULL,
	   "hidden addresses: no symbols, and the file is not read again");
	ksyms_source_close(&s);
	unlink(path);
}

int main(void)
{
	struct ksyms *k = parse(text);
	char buf[64];

	ok(k != NULL, "parsed");
	is_int(k->n, 6, "functions only, garbage skipped");
	is_str(ksyms_name(k, 0xffffffff81100123ull, buf, sizeof(buf)), "nf_hook_slow",
	       "an address inside a function");
	is_str(ksyms_name(k, 0xffffffff81100400ull, buf, sizeof(buf)), "nf_hook_slow",
	       "data symbols do not split functions");
	is_str(ksyms_name(k, 0xffffffff81200010ull, buf, sizeof(buf)), "nft_do_chain",
	       "a module's function by its name alone");
	is_str(ksyms_module(k, 0xffffffff81200010ull), "nf_tables", "and its module apart");
	is_str(ksyms_module(k, 0xffffffff81100123ull), NULL, "a built-in function has no module");
	is_str(ksyms_name(k, 0xffffffff81200900ull, buf, sizeof(buf)), "nft_rule_eval",
	       "a module's second function");
	is_str(ksyms_module(k, 0xffffffff81200900ull), "nf_tables", "shares the module's name");
	is_str(ksyms_module(k, 0xffffffff81300004ull), "ip_tables", "another module");
	is_str(ksyms_module(k, 0), NULL, "no location, no module");
	is_str(ksyms_name(k, 0xffffffff81050001ull, buf, sizeof(buf)), "weak_fn",
	       "input order does not matter");
	is_str(ksyms_name(k, 0x1000, buf, sizeof(buf)), "0x1000", "below every symbol: the address");
	ok(ksyms_name(k, 0, buf, sizeof(buf)) == NULL, "0 is no location");
	ksyms_free(k);

	errno = 0;
	k = parse("0000000000000000 T a\n0000000000000000 T b\n");
	ok(k == NULL && errno == EPERM, "addresses hidden by kptr_restrict are an error");
	test_parse_for();
	test_source();
	test_merged();
	return done_testing();
}
