/* SPDX-License-Identifier: GPL-2.0 */
/* TCP retransmissions as userspace sees them: snapshots of the retrans map, per remote address
 * and per flow. */
#ifndef DS_RETRANS_H
#define DS_RETRANS_H

#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>
#include "dropscope.h"
#include "trace_table.h"
#include "json.h"

struct retrans_row {
	struct retrans_key key;
	uint64_t retransmits, synack;
};

struct retrans_snapshot {
	struct retrans_row *rows; /* sorted by key bytes */
	size_t n, cap;
};

int retrans_snapshot_read(int retrans_fd, struct retrans_snapshot *s);
int retrans_snapshot_add(struct retrans_snapshot *s, const struct retrans_key *k, uint64_t retransmits,
			 uint64_t synack);
/* after - before; flows evicted from the LRU map meanwhile are simply absent. */
int retrans_snapshot_delta(const struct retrans_snapshot *before,
			   const struct retrans_snapshot *after, struct retrans_snapshot *out);
void retrans_snapshot_free(struct retrans_snapshot *s);

/* Retransmissions (data + SYN-ACK) toward one remote address (family 4 or 6), or to all
 * (family 0). */
uint64_t retrans_total(const struct retrans_snapshot *s, int family, const uint8_t *addr);

/* Per remote address, then the top max_flows flows. */
void retrans_text(const struct retrans_snapshot *s, const struct name_ctx *names, int max_flows,
		  FILE *f);
/* "retransmits": [{"daddr", "count", "synack"}...] and "retransmit_flows": [...]. */
void retrans_json(const struct retrans_snapshot *s, struct json_writer *j);

/* Printable address of a key's family ("10.0.0.1", "fd00::1"). */
const char *retrans_addr(uint16_t family, const uint8_t *addr, char *buf, size_t size);

#endif
