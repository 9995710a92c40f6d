// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the host counter parsers: every byte of /proc and of netlink answers is
 * untrusted. The first byte picks the parser; the rest is the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counters_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct softnet_stat sn;
	struct snmp_counters sc;
	struct ct_stats ct;
	struct link_info li;
	struct qdisc_info qi;
	struct sock_info si;
	struct ethstat_class ec;
	int64_t v[3];
	char *text;
	void *raw;

	if (size < 1)
		return 0;
	/* Text parsers get a NUL-terminated copy; netlink parsers an exact-size one, so that the
	 * sanitizer sees any read past the end. */
	text = malloc(size);
	raw = malloc(size - 1 ? size - 1 : 1);
	if (!text || !raw)
		goto out;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	memcpy(raw, data + 1, size - 1);
	memset(&sc, 0, sizeof(sc));
	switch (data[0] % 9) {
	case 0:
		if (!softnet_parse(text, &sn))
			softnet_free(&sn);
		break;
	case 1:
		snmp_parse(text, &sc);
		break;
	case 2:
		snmp6_parse(text, &sc);
		break;
	case 3:
		conntrack_stat_parse(text, &ct);
		break;
	case 4:
		sysctl_parse_values(text, v, 3);
		ethstat_classify(text, &ec);
		cpu_mask_nonzero(text);
		break;
	case 5:
		link_msg_parse(raw, size - 1, &li);
		break;
	case 6:
		qdisc_msg_parse(raw, size - 1, &qi);
		break;
	case 7:
		inet_diag_msg_parse(raw, size - 1, 17, &si);
		break;
	default: {
		char mask[512];

		cpu_mask_hex(size > 1 ? data[1] * 4 + 1 : 1, mask, sizeof(mask));
		break;
	}
	}
out:
	free(text);
	free(raw);
	return 0;
}
