/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel offers, and the filesystems the tool needs: every probe of the
 * kernel's features lives here, so the choices the loader makes are in one place.
 */
#ifndef DS_KFEATURES_H
#define DS_KFEATURES_H

#include <stdbool.h>

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define BPFFS_ROOT "/sys/fs/bpf"
#define TRACEFS_ROOT "/sys/kernel/tracing"

struct btf_scan;

/* The kernel exposes its BTF (CONFIG_DEBUG_INFO_BTF). */
bool have_vmlinux_btf(void);
/* libbpf's messages on stderr under -v (its debug ones under -vv), not by default. */
void libbpf_print_verbose(void);
/* The kernel's BTF, mapped and indexed on first use (btf_scan.h) and kept until
 * kernel_btf_release(); NULL with errno set. */
const struct btf_scan *kernel_btf(void);
/* Unmap it before libbpf parses its own copy to load the programs, so that the peak memory holds
 * one BTF, not two. Pointers into it (type names) die with it. */
void kernel_btf_release(void);

/*
 * Arguments of the kfree_skb tracepoint as its BTF declares them (btf_trace_kfree_skb, without
 * the leading context): 2 before 5.17 (skb, location), 3 with the reason, 4 with rx_sk (6.11).
 * Returns -errno if it cannot tell.
 */
int kfree_skb_btf_args(void);

/*
 * Arguments of the tcp_retransmit_skb tracepoint as its BTF declares them (without the leading
 * context): 2 (sk, skb), 3 from 6.17, whose err is the attempt's result: the tracepoint fires on
 * failed attempts too, which send nothing. Returns -errno if it cannot tell.
 */
int tcp_retransmit_skb_btf_args(void);

/* The kernel's BTF has a function of this name (a kfunc the verifier may allow). */
bool kernel_has_func(const char *name);

/* tracefs is reachable (classic tracepoints need it); mounts it at TRACEFS_ROOT if not. */
int ensure_tracefs(void);

/* dir lies on a bpffs; when dir is under BPFFS_ROOT and nothing is mounted there, mount it. */
int ensure_bpffs(const char *dir);

/* The range the kernel picks ephemeral ports from, in our namespace (32768-60999 if unknown). */
void ephemeral_port_range(unsigned *lo, unsigned *hi);

#endif
