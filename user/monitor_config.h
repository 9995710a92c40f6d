/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The monitor's config file (--config FILE, reread on SIGHUP): one target per line, a host
 * name or an address; blank lines and everything from '#' to the end of a line are ignored;
 * spaces around a target are trimmed. Pure: parsed from a string, unit-tested.
 */
#ifndef DS_MONITOR_CONFIG_H
#define DS_MONITOR_CONFIG_H

#include <stddef.h>

/* Longest target name (a DNS name's limit). */
#define MONITOR_TARGET_MAX 253
/* Most targets: each is a label value of the probe families, so their number is bounded. */
#define MONITOR_MAX_TARGETS 64

/* Whether s is a plausible target: 1-253 bytes of letters, digits and . - _ : % (a name, an
 * IPv4 or IPv6 address, a scoped address). The prober resolves it. */
int monitor_target_valid(const char *s);

/*
 * Targets: first the n given ones (cli, may be NULL), then those of text (may be NULL), each
 * once, in that order, into a new array of new strings (*out, *nout; free with
 * monitor_targets_free). Returns 0; -EINVAL with a message in err (up to size bytes: "line N:
 * ...") for a bad target or too many; -ENOMEM.
 */
int monitor_targets_build(char *const *cli, size_t n, const char *text, char ***out, size_t *nout,
			  char *err, size_t size);
void monitor_targets_free(char **targets, size_t n);

#endif
