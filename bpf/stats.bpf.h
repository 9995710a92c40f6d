/* SPDX-License-Identifier: GPL-2.0 */
/* The stats map (struct ds_stats, bpf/dropscope.h), shared by the drops and tcp objects: the
 * loader gives both the same map. */
#ifndef DS_STATS_BPF_H
#define DS_STATS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_stats);
} stats SEC(".maps");

/* Only touched when something rare happens: the hot path stays lean. */
#define STAT_INC(field)                                                                            \
	do {                                                                                       \
		__u32 zero_ = 0;                                                                   \
		struct ds_stats *st_ = bpf_map_lookup_elem(&stats, &zero_);                        \
		if (st_)                                                                           \
			st_->field++;                                                              \
	} while (0)

#endif
