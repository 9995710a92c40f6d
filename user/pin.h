/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinning the maps in bpffs (`trace --pin`) and reading them back (`show`). The pins live as
 * long as the tracer that made them: other tools read them meanwhile, and they are removed when
 * it stops.
 *
 * One tracer owns a pin directory at a time: it holds an exclusive flock(2) on the directory
 * from before it loads anything until it has removed its pins. The kernel drops the lock when
 * the owner dies, however it dies, so a directory whose lock can be taken holds nothing but
 * stale pins (of a tracer that was killed), which the next tracer removes; and a tracer only
 * ever unlinks the pins it made itself, or stale ones while it holds the lock.
 */
#ifndef DS_PIN_H
#define DS_PIN_H

#include <stdbool.h>

#include "tracer.h"

#define DEFAULT_PIN_DIR "/sys/fs/bpf/dropscope"

struct pin_claim {
	char dir[512];
	int dir_fd;	 /* open on dir and flock()ed while we own it; -1 otherwise */
	unsigned pinned; /* bit i: we pinned map i (pin.c's pin_names) */
};

/*
 * Take dir for this process (before loading anything, so a busy directory fails fast): on a
 * bpffs (mounted if need be), created if missing, mode 0700, locked, stale pins removed.
 * Prints its own one-line error: -EBUSY another tracer owns it, -EEXIST it holds files that
 * are not dropscope's, and the filesystem's errors.
 */
int pin_claim(const char *dir, struct pin_claim *c);
/* Pin the tracer's maps in the claimed directory (each 0600). Prints its own error; on failure
 * the pins it made are removed again. */
int pin_maps(const struct tracer *t, struct pin_claim *c, const struct tracer_config *cfg);
/* Remove the pins this process made and the directory, and let it go. Safe to call twice and
 * on a claim that failed. */
void pin_release(struct pin_claim *c);

struct pinned_maps {
	int drops, stats, ifnames, retrans, meta; /* -1 where absent */
	struct ds_meta info;
	int owner_alive;
};

/* Open pinned maps for reading. Prints its own error. */
int pinned_open(const char *dir, struct pinned_maps *m);
void pinned_close(struct pinned_maps *m);

#endif
