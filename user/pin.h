/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinning the maps in bpffs (`trace --pin`) and reading them back (`show`). The pins live as
 * long as the tracer that made them: other tools read them meanwhile, and they are removed when
 * it stops.
 *
 * One tracer owns a pin directory at a time: it holds an exclusive flock(2) on the directory
 * from before it loads anything until it has removed its pins. The kernel drops the lock when
 * the owner dies, however it dies, so a directory whose lock can be taken holds no live pins;
 * that is also how `show` tells a live tracer from a dead one. Pins a dead tracer left are
 * replaced only when they are provably dropscope's (pin.c's pin_kinds: map type, sizes, BTF
 * value type, and meta's layout version); anything else under our names is refused and left
 * alone. A tracer removes only the pins it made, and the directory only if it created it.
 */
#ifndef DS_PIN_H
#define DS_PIN_H

#include <stdbool.h>

#include "trace_bpf.h"

#define DEFAULT_PIN_DIR "/sys/fs/bpf/dropscope"

struct pin_claim {
	char dir[512];
	int dir_fd;	 /* open on dir and flock()ed while we own it; -1 otherwise */
	unsigned pinned; /* bit i: we pinned map i (pin.c's pin_kinds) */
	bool created;	 /* this process made dir (then mode 0700, and removed at the end) */
};

/*
 * Take dir for this process (before loading anything, so a busy directory fails fast): on a
 * bpffs (mounted if need be), locked; if missing, created mode 0700 (an existing directory
 * keeps its mode). Stale dropscope pins in it are removed, with a line on stderr saying so.
 * Prints its own one-line error: -EBUSY another tracer owns it, -EEXIST it holds something
 * under one of our names that is not provably dropscope's, and the filesystem's errors.
 */
int pin_claim(const char *dir, struct pin_claim *c);
/* Pin the tracer's maps in the claimed directory (each 0600). Prints its own error; on failure
 * the pins it made are removed again. */
int pin_maps(const struct tracer *t, struct pin_claim *c, const struct tracer_config *cfg);
/* Remove the pins this process made, and the directory if it made that, and let it go. Safe
 * to call twice and on a claim that failed. */
void pin_release(struct pin_claim *c);

struct pinned_maps {
	int drops, stats, ifnames, retrans, meta; /* -1 where absent */
	struct ds_meta info;
	int owner_alive; /* a tracer holds the directory's lock */
};

/* Open pinned maps read-only, and tell whether their tracer lives. Prints its own error. */
int pinned_open(const char *dir, struct pinned_maps *m);
void pinned_close(struct pinned_maps *m);

#endif
