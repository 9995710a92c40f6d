// SPDX-License-Identifier: GPL-2.0
/* /proc/kallsyms parsing and address lookup. */
#include <errno.h>
#include <stdlib.h>

#include "kallsyms.h"
#include "tap.h"

static struct ksyms *parse(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct ksyms *k = ksyms_parse(f);

	fclose(f);
	return k;
}

int main(void)
{
	struct ksyms *k = parse("ffffffff81000000 T _stext\n"
				"ffffffff81100000 t nf_hook_slow\n"
				"ffffffff81100400 d some_data\n"
				"ffffffff81200000 T nft_do_chain\t[nf_tables]\n"
				"ffffffff81200800 t nft_rule_eval\t[nf_tables]\n"
				"ffffffff81300000 t ipt_do_table\t[ip_tables]\n"
				"garbage line\n"
				"ffffffff81050000 W weak_fn\n");
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
	return done_testing();
}
