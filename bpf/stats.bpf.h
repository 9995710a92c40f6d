/* SPDX-License-Identifier: GPL-2.0 */
/* The stats map (struct ds_stats, bpf/dropscope.h), defined by drops.bpf.c and shared with
 * tcp.bpf.c (DS_STATS_EXTERN), which is linked into the same object. */
#ifndef DS_STATS_BPF_H
#define DS_STATS_BPF_H

#ifdef DS_STATS_EXTERN
extern
#endif
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ds_stats);
} stats SEC(".maps");

/*
 * Only touched when something rare happens: the hot path stays lean. Atomic, although the map
 * is per CPU: a program that runs in an interrupt while another one on this CPU is between its
 * load and store must not lose a count. (An add whose result is unused is BPF_XADD, which every
 * kernel has.)
 */
#define STAT_INC(field)                                                                            \
	do {                                                                                       \
		__u32 zero_ = 0;                                                                   \
		struct ds_stats *st_ = bpf_map_lookup_elem(&stats, &zero_);                        \
		if (st_)                                                                           \
			__sync_fetch_and_add(&st_->field, 1);                                      \
	} while (0)

#endif
