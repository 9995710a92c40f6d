#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# diagnose's default flows (an ICMP echo flow beside TCP SYN flows to port 80) at a target that
# silently drops tcp/80, as firewalled hosts do: the SYNs it never answers are its filter, not
# loss. The verdict must not be network; the report says the target filters tcp/80 and takes
# the destination's loss from the echo flow, and the probe counts put the SYNs apart.
#
# Lab: host - r1 - r2 - r3 - dst, clean; dst's input drops every TCP packet to port 80. Then r2
# loses 15% of what it forwards toward dst.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
probe_lab 3

lab_nft dst "table inet lab_dst {
	chain input { type filter hook input priority 0; policy accept;
		tcp dport 80 counter drop; }
}"

J=$T_TMP/diag.json
lab_exec host "$DROPSCOPE" diagnose "$LAB_DST4" -d 10 -n --json >"$J" 2>"$T_TMP/diag.err"
rc=$?
t_diag "$(jq -r .summary "$J" 2>/dev/null)"
t_is "$(jq -r .verdict "$J")" none "a target filtering tcp/80 on a clean path: verdict none"
t_is "$rc" 0 "exit 0"
t_ge "$(nft_drops dst lab_dst)" 20 "dst's rule dropped the SYNs (the case under test happened)"
t_is "$(jq -r .network.multipath.dest_filtered "$J")" true "JSON: the target filters the port"
t_is "$(jq -r .network.loss_origin "$J")" null "no loss origin"
# The SYNs dst's rule dropped are its filter: not lost in the network, nor lost at all.
t_is "$(jq -r .probes.lost_in_network "$J")" 0 "no probe lost in the network (the filter is not)"
t_is "$(jq -r .probes.lost "$J")" 0 "no probe lost"
t_is "$(jq -r .probes.filtered_by_target "$J")" "$(nft_drops dst lab_dst)" \
	"filtered_by_target: the SYNs dst's rule dropped"

lab_exec host "$DROPSCOPE" diagnose "$LAB_DST4" -d 4 -n >"$T_TMP/human" 2>/dev/null
t_check "text: the note names tcp/80" grep -q "no tcp/80 probe: it filters tcp/80" "$T_TMP/human"

# A router that loses packets on the way is another namespace too, and the SYNs it drops past
# the target's TTL are loss, not the target's filter: only dst's drops are filtered.
dst_before=$(nft_drops dst lab_dst)
lab_fwd_loss r2 15 fwd
J=$T_TMP/diag_loss.json
lab_exec host "$DROPSCOPE" diagnose "$LAB_DST4" -d 10 -n --json >"$J" 2>"$T_TMP/diag_loss.err"
t_diag "$(jq -r .summary "$J" 2>/dev/null)"
t_ge "$(nft_drops r2 lab_loss)" 10 "r2 dropped probes (the case under test happened)"
t_is "$(jq -r .probes.filtered_by_target "$J")" "$(($(nft_drops dst lab_dst) - dst_before))" \
	"a lossy router on the path: filtered_by_target is still the SYNs dst's rule dropped"
t_is "$(jq -r .probes.dropped_in_other_namespaces "$J")" "$(nft_drops r2 lab_loss)" \
	"dropped_in_other_namespaces: every probe r2 dropped"

t_done
