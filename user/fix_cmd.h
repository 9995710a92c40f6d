/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The writer of every shell command dropscope prints: the counters' fixes, diagnose's advice.
 * Lines are pasted into a root shell, and the names in them are not ours (an interface may be
 * called `v$(reboot)`, a namespace path `it's`): every name goes in through one quoting rule,
 * fix_shell_word, and a line holds no control character. Pure: nothing here runs anything.
 */
#ifndef DS_FIX_CMD_H
#define DS_FIX_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "counters_findings.h"

/*
 * s as one shell word, the quoting rule of every command dropscope prints: as it is when plain,
 * else in single quotes with each ' as '\''. -ENOSPC when it does not fit size, -EINVAL when s
 * holds a control character (a command printed on one line must stay one line).
 */
int fix_shell_word(const char *s, char *buf, size_t size);

/*
 * The fix for a finding id as commands (lines starting "# " explain), using current values from
 * now (sysctls, ring maxima, queue counts, MAC, listeners, sockets) and ifname where the fix is
 * about an interface (NULL: the busiest interface for the host-wide fixes that need one). For a
 * namespace other than the caller's, interface commands are prefixed with `ip netns exec NAME`
 * (or `nsenter --net=PATH`), and per-namespace sysctls say why /etc/sysctl.d does not reach them.
 * Returns the number of lines written (at most max), -ENOENT for an unknown id, -EINVAL for bad
 * arguments.
 */
int finding_fixes(const char *id, const struct host_counters *now, const char *ifname,
		  char (*out)[FINDING_FIX_LEN], int max);

/* The rules' side: f's fix lines (f->fix, f->n_fix) for its id, from the window d. */
void fix_finding(struct finding *f, const struct host_delta *d, const char *ifname);
/* udp_sndbuf_errors, with the qdisc named first when its drops explain the refusals. */
void fix_finding_udp_sndbuf(struct finding *f, const struct host_delta *d, bool explained);
/* tcp_retransmits: host_drops findings of this host may explain them (0: the path). */
void fix_finding_retrans(struct finding *f, const struct host_counters *now, int host_drops);
/* One comment line ("# ...") as f's whole fix. */
void fix_finding_comment(struct finding *f, const char *comment);

/*
 * diagnose: the commands that find the firewall rule dropping the traffic, inside the namespace
 * netns_spec (NULL or "self": ours; a name from 'ip netns'; a path). Lines written (at most max),
 * comments included; a namespace that cannot be one shell word gets a comment instead.
 */
int fix_firewall(const char *netns_spec, char (*out)[FINDING_FIX_LEN], int max);
/*
 * "CMD WORD" with word quoted by the rule (cmd is ours, word is not): "ip route get ADDR".
 * Returns 0, or -EINVAL/-ENOSPC (then line holds a comment that says the word was left out).
 */
int fix_word_command(const char *cmd, const char *word, char *line, size_t size);
/*
 * "CMD WORD" (or "CMD" when word is NULL) run inside the namespace netns_spec (NULL or "self":
 * ours; a name from 'ip netns'; a path), as fix_firewall's commands: "ip netns exec NS ip route
 * get ADDR". Returns 0, or -EINVAL/-ENOSPC (then line holds a comment that says it was left out).
 */
int fix_in_netns(const char *netns_spec, const char *cmd, const char *word, char *line,
		 size_t size);

#endif
