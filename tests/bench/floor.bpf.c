// SPDX-License-Identifier: GPL-2.0
/* The benchmark's floor: an empty program on the same hook dropscope uses. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/kfree_skb")
int BPF_PROG(floor_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return 0;
}
