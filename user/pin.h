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
#include <stdint.h>

#include "trace_bpf.h"

#define DEFAULT_PIN_DIR "/sys/fs/bpf/dropscope"

struct pin_claim {
	char dir[512];
	int dir_fd;	 /* open on dir and flock()ed while we own it; -1 otherwise */
	unsigned pinned; /* bit i: we pinned map i (pin.c's pin_kinds) */
	unsigned links;	 /* bit i: we pinned link i (pin_link_names) */
	bool created;	 /* this process made dir (then mode 0700, and removed at the end) */
	bool reused;	 /* the pins were there and compatible: adopted, not made (monitor) */
	bool keep;	 /* pin_release leaves the pins and the directory (monitor --keep) */
	bool cleared;	 /* the claim removed stale pins or those of another layout */
};

/* The links `monitor` pins beside the maps (bpf/dropscope.h): the kfree_skb program's, then the
 * TCP retransmit programs'. Removing one detaches its program. */
#define PIN_LINKS 3
extern const char *const pin_link_names[PIN_LINKS];

/* What pins pin_claim_reuse may adopt instead of replacing. */
struct pin_reuse {
	uint32_t netns; /* the namespace filter they must have (0: all namespaces) */
	bool any;	/* adopt any filter (monitor --remove) */
};

/*
 * Take dir for this process (before loading anything, so a busy directory fails fast): on a
 * bpffs (mounted if need be), locked; if missing, created mode 0700 (an existing directory
 * keeps its mode). Stale dropscope pins in it are removed, with a line on stderr saying so.
 * Prints its own one-line error: -EBUSY another tracer owns it, -EEXIST it holds something
 * under one of our names that is not provably dropscope's, and the filesystem's errors.
 */
int pin_claim(const char *dir, struct pin_claim *c);
/*
 * The same, but pins that a monitor left attached (--keep, or killed) are adopted when they are
 * compatible: this layout version, every map of ours in it, link_kfree_skb, and the namespace
 * filter want asks for; then c->reused is set, c->pinned and c->links say what is there, meta's
 * pid becomes ours, and a line on stderr says so. Incompatible ones (an older layout, another
 * filter) are replaced, with a line saying why.
 */
int pin_claim_reuse(const char *dir, struct pin_claim *c, const struct pin_reuse *want);
/* Pin the tracer's maps in the claimed directory (each 0600). Prints its own error; on failure
 * the pins it made are removed again. */
int pin_maps(const struct tracer *t, struct pin_claim *c, const struct tracer_config *cfg);
/* Pin the tracer's links beside its maps (each 0600), so the programs stay attached when the
 * process ends (monitor). Prints its own error; on failure the links it pinned are removed. */
int pin_links(const struct tracer *t, struct pin_claim *c);
/* Remove the pins this process made (or adopted), and the directory if it made that, and let it
 * go; with c->keep set, leave them and only let go. Safe to call twice and on a claim that
 * failed. */
void pin_release(struct pin_claim *c);

struct pinned_maps {
	int drops, stats, ifnames, retrans, meta, totals, events; /* -1 where absent */
	struct ds_meta info;
	int owner_alive; /* a tracer holds the directory's lock */
	bool attached;	 /* a monitor's program link is pinned: the counts go on without it */
};

/* Open pinned maps read-only, and tell whether their tracer lives. Prints its own error. */
int pinned_open(const char *dir, struct pinned_maps *m);
void pinned_close(struct pinned_maps *m);

#endif
