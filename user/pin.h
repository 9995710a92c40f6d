/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinning the maps in bpffs (`trace --pin`) and reading them back (`show`). The pins live as
 * long as the tracer that made them: other tools read them meanwhile, and they are removed when
 * it stops. Pins left by a tracer that was killed are recognised as stale (their owner's pid is
 * gone) and replaced.
 */
#ifndef DS_PIN_H
#define DS_PIN_H

#include "tracer.h"

#define DEFAULT_PIN_DIR "/sys/fs/bpf/dropscope"

struct pinned_maps {
	int drops, stats, ifnames, retrans, meta; /* -1 where absent */
	struct ds_meta info;
	int owner_alive;
};

/* Pin the tracer's maps under dir (mode 0600, dir 0700). Prints its own error. */
int pin_maps(const struct tracer *t, const char *dir, const struct tracer_config *cfg);
/* Remove what pin_maps made. */
void unpin_maps(const char *dir);
/* Open pinned maps for reading. Prints its own error. */
int pinned_open(const char *dir, struct pinned_maps *m);
void pinned_close(struct pinned_maps *m);

#endif
