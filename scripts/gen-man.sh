#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dropscope(8) from the program's own help: each command's section is what 'dropscope help
# CMD' prints, so the page and --help cannot disagree. Usage: gen-man.sh BUILD/dropscope
set -eu
ds=$1
cmds="trace show counters probe diagnose demo monitor"
# roff: a leading dot or quote would be a request; backslashes are escapes.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

cat <<'HEAD'
.TH DROPSCOPE 8 "" "dropscope" "System Administration"
.SH NAME
dropscope \- where a Linux server's packet loss happens: on this host (and why) or in the network (and at which hop)
.SH SYNOPSIS
.B dropscope
.RB [ \-v ]
.RB [ \-\-color=auto|always|never ]
.I COMMAND
.RI [ OPTIONS ]
.br
.B dropscope help
.RI [ COMMAND ]
.br
.B dropscope version
.SH DESCRIPTION
dropscope tells the operator of a Linux server where its packet loss happens. It counts the
kernel's own drops by reason (eBPF on skb:kfree_skb, names from the running kernel's BTF),
reads the host's loss counters, probes the path hop by hop like mtr without mistaking ICMP
rate limiting for loss, and merges all of it into a verdict:
.BR server ,
.BR network ,
.BR both ,
.B none
or
.BR inconclusive .
.SH COMMANDS
HEAD
# (set -e does not see a failure on the left of a pipe: each help is taken whole first.)
help=$("$ds" help)
printf '%s\n' "$help" | esc | sed -n 's/^  \([a-z]*\)  *\(.*\)$/.TP\n.B \1\n\2/p'
for c in $cmds; do
	text=$("$ds" help "$c")
	printf '.SS dropscope %s\n.nf\n' "$c"
	printf '%s\n' "$text" | esc
	printf '.fi\n'
done
cat <<'TAIL'
.SH EXIT STATUS
The same in every command, so that a script can act on what was found:
.TP
.B 0
no loss found (diagnose: verdict none; probe: no loss on the path; demo: the verdict its
scenario expects); success
.TP
.B 1
a failure while running
.TP
.B 2
bad usage or input (one line on standard error says which)
.TP
.B 3
diagnose: loss on this server
.TP
.B 4
diagnose: loss in the network; probe: loss on the path
.TP
.B 5
diagnose: loss on both
.TP
.B 6
diagnose: inconclusive
.TP
.B 7
probe: the destination never answered, and no loss was shown
.TP
.B 8
demo: a whole run reached another verdict than its scenario expects
.SH SIGNALS
SIGINT, SIGTERM and SIGHUP end every command that runs for a while the same way: the report
of what was measured so far, then cleanup (pins removed, namespaces deleted). monitor is the
exception to SIGHUP: it rereads its \-\-config (the targets) and goes on, its counts kept.
.SH PRIVILEGES
trace needs CAP_BPF and CAP_PERFMON, probe and diagnose CAP_NET_RAW, demo root; once a
command holds what it needs it gives up the rest, and what reads the network runs without
any capability and not as uid 0.
.SH ENVIRONMENT
.TP
.B NO_COLOR
set and not empty: no colour, whatever the terminal (--color=always overrides it).
.SH FILES
.TP
.I /sys/fs/bpf/dropscope
the maps pinned by trace \-\-pin and monitor, and monitor's links (README, "Pinned maps"):
.B meta
(array, 1 entry: struct ds_meta {abi_version, pid, start_boottime_ns, filter_netns,
filter_ifindex, attach_mode, pad}),
.B drops
(per-CPU array: struct drop_slot, an open-addressed table by drop key),
.B totals
(per-CPU array of 512: struct ds_reason_total {packets, bytes} at the reason's number;
subsystem reasons at 496 + subsystem % 16),
.B stats
(per-CPU array, 1 entry: struct ds_stats),
.B ifnames
(hash: {netns, ifindex} to a name),
.B retrans
(LRU hash: per-flow TCP retransmissions),
.B events
(ring buffer of struct drop_event), and from monitor
.BR link_kfree_skb ,
.B link_tcp_retransmit_skb
and
.B link_tcp_retransmit_synack
(the programs' links: removing one detaches its program). The layout is bpf/dropscope.h,
version DS_ABI_VERSION (3); the maps carry BTF.
.TP
.I /etc/dropscope/monitor.conf
monitor's targets (dropscope-monitor.service passes it with \-\-config): one host name or
address per line, '#' comments; SIGHUP (systemctl reload) rereads it.
.TP
.I /run/dropscope/demo-*.lock
the locks of running demos' networks.
.SH SEE ALSO
.BR mtr (8),
.BR bpftool (8),
.BR ip-netns (8),
.BR ethtool (8);
the README in /usr/share/doc/dropscope (or the install's share/doc) has the JSON schemas,
the pinned maps' layout and how to read the verdict.
TAIL
