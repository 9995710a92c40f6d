// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor's probing half: continuous probing of m->targets, loss episodes and their
 * records, and the probe, hop, verdict and episode families (monitor.h says when each hook is
 * called). Until it lands, the hooks do nothing, and the monitor serves the kernel's families.
 */
#include "monitor.h"

int monitor_probe_start(struct monitor *m)
{
	return 0;
}

int monitor_probe_tick(struct monitor *m, double now)
{
	return 0;
}

int monitor_probe_reload(struct monitor *m)
{
	return 0;
}

void monitor_probe_metrics(struct monitor *m, struct metrics *out)
{
}

void monitor_probe_stop(struct monitor *m)
{
}
