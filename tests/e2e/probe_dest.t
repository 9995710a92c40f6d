#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A destination that drops some of the probes itself (nft input rule at dst) is told apart from
# loss on the path: the routers before it lose nothing, and the verdict puts the loss on the
# destination (at_destination), not on a hop.
#
# Lab: host - r1 - r2 - r3 - dst; dst's input drops 40% of the probes (ICMP echo requests, then
# TCP SYNs). Truth: hops 1-3 lose nothing, hop 4 (dst) ~40%, and every probe lost at hop 4 is one
# packet dst's rule counted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
probe_lab 3


# dst_drop MATCH: dst's input drops 40% of what MATCH selects, counted.
dst_drop()
{
	lab_exec dst nft delete table inet lab_dst 2>/dev/null
	lab_nft dst "table inet lab_dst {
		chain input { type filter hook input priority 0; policy accept;
			$1 numgen random mod 100 < 40 counter drop; }
	}"
}

# check NAME
check()
{
	local name=$1
	t_is "$(jq -r '.loss_origin.ttl' "$O")" 4 "$name: loss placed at TTL 4, the destination"
	t_is "$(jq -r '.loss_origin.at_destination' "$O")" true "$name: at_destination"
	t_is "$(jq -r '.hops[-1].destination' "$O")" true "$name: TTL 4 is the destination row"
	for k in 1 2 3; do
		t_is "$(hop_get "$O" $k '.all_sent - .all_received')" 0 "$name: hop $k lost nothing"
	done
	t_is "$(jq -r '[.hops[] | select(.rate_limited)] | length' "$O")" 0 \
		"$name: no hop called rate-limited"
	t_is "$(lost_from "$O" 4)" "$(nft_drops dst lab_dst)" \
		"$name: probes lost at the destination = packets its input dropped"
	t_check "$name: destination loss $(jq -r .end_to_end.loss_pct "$O")% in [20, 60]" \
		in_range "$(jq -r .end_to_end.loss_pct "$O")" 20 60
}

dst_drop 'meta l4proto icmp icmp type echo-request'
probe_json "$O" -c 50 "$LAB_DST4"
t_is "$?" 4 "icmp: exit 4, loss"
check icmp

dst_drop 'meta l4proto icmpv6 icmpv6 type echo-request'
probe_json "$O" -c 50 "$LAB_DST6"
t_is "$?" 4 "icmp v6: exit 4, loss"
check "icmp v6"

dst_drop 'tcp dport 80 tcp flags syn'
probe_json "$O" --proto tcp -c 50 "$LAB_DST4"
t_is "$?" 4 "tcp: exit 4, loss"
check tcp

dst_drop 'meta l4proto icmp icmp type echo-request'
probe_text "$T_TMP/out.txt" -c 50 "$LAB_DST4"
t_check "text report: loss only at the destination" \
	grep -q "^Loss only at the destination $LAB_DST4 (hop 4)" "$T_TMP/out.txt"

t_done
