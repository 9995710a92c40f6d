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

/*
 * Claim pin_dir, adopt the pins there or load, attach and pin anew, and open the maps to read.
 * ns is the server (ns->all: every namespace, with a netns label). keep: monitor_kernel_close
 * leaves the programs attached. Prints its own one-line errors; returns 0 or -errno (-EBUSY the
 * directory is another monitor's, -EEXIST it holds what is not dropscope's, -EPERM).
 */
int monitor_kernel_open(const char *pin_dir, const struct netns_ref *ns, bool retransmits,
			bool keep, struct monitor_kernel **out);
/* The kernel families: drops and bytes by reason, TCP retransmissions, the programs' run time
 * and count, lost events, whether the tracer is attached. */
void monitor_kernel_metrics(struct monitor_kernel *k, struct metrics *out);
/* Detach and remove the pins, unless keep; safe on NULL. */
void monitor_kernel_close(struct monitor_kernel *k);
/* monitor --remove: detach and remove the pins a monitor left in dir. Prints what it did or
 * its error; returns 0 or -errno. */
int monitor_kernel_remove(const char *dir);

#endif
