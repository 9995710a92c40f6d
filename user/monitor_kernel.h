/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The monitor's kernel side: the tracer's programs attached through links pinned beside its
 * maps (pin.h), adopted from a monitor before it when they are compatible, and their counts
 * as Prometheus families: always the absolute values in the maps, so the counters stay
 * monotonic across restarts of the monitor.
 */
#ifndef DS_MONITOR_KERNEL_H
#define DS_MONITOR_KERNEL_H

#include <stdbool.h>

#include "metrics.h"
#include "netns.h"

struct monitor_kernel;
struct drop_event;
struct reason_table;

/* What the probing half's merge reads of the kernel side (descriptors owned by the kernel
 * side; -1 where absent). */
struct monitor_kernel_maps {
	int drops, stats, ifnames, retrans;
	const char *attach_mode; /* "tp_btf" or "tracepoint" */
	const struct reason_table *reasons;
};

/*
 * Claim pin_dir, adopt the pins there or load, attach and pin anew, and open the maps to read.
 * ns is the server (ns->all: every namespace, with a netns label). keep: monitor_kernel_close
 * leaves the programs attached once monitor_kernel_started; before it, only the pins this call
 * made are removed, never adopted ones. Prints its own one-line errors; returns 0 or -errno
 * (-EBUSY the directory is another monitor's, -EEXIST it holds what is not dropscope's, -EPERM).
 */
int monitor_kernel_open(const char *pin_dir, const struct netns_ref *ns, bool retransmits,
			bool keep, struct monitor_kernel **out);
/* The monitor has started: from now on monitor_kernel_close obeys keep for adopted pins too. */
void monitor_kernel_started(struct monitor_kernel *k);
const struct monitor_kernel_maps *monitor_kernel_maps(const struct monitor_kernel *k);

/*
 * The watched drop events (bpf/dropscope.h: every ICMP and ICMPv6 drop in the server's
 * namespace, the probes' and their answers'), read from the pinned ring buffer: the descriptor
 * to poll, and the call that hands what is pending to fn (returns how many, or -errno).
 */
int monitor_kernel_events_fd(const struct monitor_kernel *k);
int monitor_kernel_events(struct monitor_kernel *k,
			  void (*fn)(void *ctx, const struct drop_event *e), void *ctx);
/* The kernel families: drops and bytes by reason, TCP retransmissions, the programs' run time
 * and count, lost events, whether the tracer is attached. */
void monitor_kernel_metrics(struct monitor_kernel *k, struct metrics *out);
/* Detach and remove the pins, unless keep; safe on NULL. */
void monitor_kernel_close(struct monitor_kernel *k);
/* monitor --remove: detach and remove the pins a monitor left in dir. Prints what it did or
 * its error; returns 0 or -errno. */
int monitor_kernel_remove(const char *dir);

#endif
