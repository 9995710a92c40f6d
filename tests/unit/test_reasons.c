// SPDX-License-Identifier: GPL-2.0
/* The reason table: names from BTF, sorted lookups, labels for numbers BTF does not name. */
#include <stdlib.h>

#include "reasons.h"
#include "tap.h"

int main(void)
{
	struct reason_table *t = reasons_new(), *k = NULL;
	char buf[64];
	int err;

	reasons_add(t, 12, "SKB_DROP_REASON_NETFILTER_DROP");
	reasons_add(t, 2, "SKB_DROP_REASON_NOT_SPECIFIED");
	reasons_add(t, (2u << 16) | 3, "OVS_DROP_FLOW");
	reasons_add(t, 12, "SKB_DROP_REASON_ALIAS");
	is_int(t->n, 3, "three reasons, an alias of a known value ignored");
	is_str(reasons_find(t, 12)->name, "NETFILTER_DROP", "prefix removed");
	is_int(reasons_find(t, 12)->category, CAT_POLICY, "category attached");
	is_str(reasons_label(t, (2u << 16) | 3, buf, sizeof(buf)), "OVS_DROP_FLOW",
	       "subsystem reason by its own name");
	is_str(reasons_label(t, 0, buf, sizeof(buf)), "UNKNOWN", "0: a kernel without reasons");
	is_str(reasons_label(t, 77, buf, sizeof(buf)), "REASON_77", "an unnamed core value");
	is_str(reasons_label(t, (5u << 16) | 9, buf, sizeof(buf)), "SUBSYS_5_9",
	       "an unnamed subsystem value");
	is_int(reasons_category(t, 0), CAT_UNSPECIFIED, "no reason is unspecified");
	is_int(reasons_category(t, 77), CAT_OTHER, "an unnamed reason is other");
	ok(t->v[0].value < t->v[1].value && t->v[1].value < t->v[2].value, "sorted by value");
	reasons_free(t);

	/* The running kernel's own BTF, where it has one. */
	err = reasons_load("/sys/kernel/btf", &k);
	if (err) {
		printf("# skipping: no readable kernel BTF (%d)\n", err);
	} else {
		const struct reason *r;
		int found = 0;

		for (size_t i = 0; i < k->n; i++) {
			r = &k->v[i];
			found += !strcmp(r->name, "NOT_SPECIFIED") || !strcmp(r->name, "NO_SOCKET");
		}
		if (k->has_reasons) {
			is_int(found, 2, "this kernel's BTF names NOT_SPECIFIED and NO_SOCKET");
			ok(k->consumed != 0, "SKB_CONSUMED is known, so it is never counted");
			for (size_t i = 0; i < k->n; i++)
				if (!strncmp(k->v[i].name, "SKB_DROP_REASON_", 16) ||
				    !strcmp(k->v[i].name, "MAX") || strstr(k->v[i].name, "SUBSYS") ||
				    !strcmp(k->v[i].name, "SKB_CONSUMED"))
					ok(0, "no prefixes or markers: %s", k->v[i].name);
		}
		reasons_free(k);
	}
	return done_testing();
}
