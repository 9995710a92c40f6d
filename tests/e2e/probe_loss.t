#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Forwarding loss at one router is attributed to the right hop, in each direction, over IPv4
# and IPv6.
#
# Lab: host - r1 - r2 - r3 - dst; r2 drops 40% of what it forwards (lab_fwd_loss). A probe whose
# TTL expires at r2 is answered by r2 itself and never forwarded, so the loss first shows at hop 3:
#   fwd   r2 drops probes going out (TTL >= 3)             -> hops 3, 4 lose ~40%
#   rev   r2 drops answers coming back from r3 and dst      -> hops 3, 4 lose ~40%
#   both  either                                            -> hops 3, 4 lose ~64%
# so the truth is: loss origin at TTL 3, hops 1 and 2 lose nothing at all. The exact check: every
# probe lost at TTL >= 3 is one packet r2's nft rule counted (one probe, at most one answer).
# With -c 50 a hop gets 50 probes and the destination ~100: 40% loss against 0 is far beyond
# the tests' significance levels (the unit test simulates these sizes).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
probe_lab 3


# check NAME LO HI: the assertions shared by every scenario (loss expected in [LO, HI] percent).
check()
{
	local name=$1 lo=$2 hi=$3 drops
	drops=$(nft_drops r2 lab_loss)
	t_is "$(jq -r '.loss_origin.ttl' "$O")" 3 "$name: loss origin is hop 3"
	t_is "$(jq -r '.loss_origin.at_destination' "$O")" false "$name: not put on the destination"
	t_is "$(hop_get "$O" 1 '.all_sent - .all_received')" 0 "$name: hop 1 lost nothing"
	t_is "$(hop_get "$O" 2 '.all_sent - .all_received')" 0 "$name: hop 2 lost nothing"
	t_is "$(jq -r '[.hops[] | select(.rate_limited)] | length' "$O")" 0 \
		"$name: no hop called rate-limited"
	t_is "$(lost_from "$O" 3)" "$drops" "$name: probes lost from hop 3 on = packets r2 dropped"
	t_check "$name: hop 3 loss $(hop_get "$O" 3 .loss_pct)% in [$lo, $hi]" \
		in_range "$(hop_get "$O" 3 .loss_pct)" "$lo" "$hi"
	t_check "$name: end-to-end loss $(jq -r .end_to_end.loss_pct "$O")% in [$lo, $hi]" \
		in_range "$(jq -r .end_to_end.loss_pct "$O")" "$lo" "$hi"
	t_ge "$(jq -r '.end_to_end.sent' "$O")" 100 "$name: at least 100 destination samples"
}

# scenario NAME DIR FAMILY TARGET LO HI [ARGS...]
scenario()
{
	local name=$1 dir=$2 fam=$3 dst=$4 lo=$5 hi=$6
	shift 6
	lab_exec r2 nft delete table inet lab_loss 2>/dev/null
	lab_fwd_loss r2 40 "$dir"
	probe_json "$O" -c 50 "-$fam" "$@" "$dst"
	t_is "$?" 4 "$name: exit 4, loss on the path"
	check "$name" "$lo" "$hi"
}

scenario "v4 fwd" fwd 4 "$LAB_DST4" 10 70
scenario "v4 rev" rev 4 "$LAB_DST4" 10 70
scenario "v6 fwd" fwd 6 "$LAB_DST6" 10 70
scenario "v6 rev" rev 6 "$LAB_DST6" 10 70
scenario "v4 both" both 4 "$LAB_DST4" 30 95
scenario "v4 tcp rev" rev 4 "$LAB_DST4" 10 70 --proto tcp

# The text report says the same to a human.
lab_exec r2 nft delete table inet lab_loss
lab_fwd_loss r2 40 fwd
probe_text "$T_TMP/out.txt" -c 50 "$LAB_DST4"
t_check "text report names hop 3 as the start of the loss" \
	grep -q "^Loss starts at hop 3 ($LAB_HOP4_3)" "$T_TMP/out.txt"
t_check "text report is laid out like mtr --report" \
	grep -qE '^HOST: .*Loss%   Snt   Last   Avg  Best  Wrst StDev' "$T_TMP/out.txt"
t_check "text report has a row per hop" \
	grep -qE "^  3\.\|-- $LAB_HOP4_3 +[0-9.]+%" "$T_TMP/out.txt"

t_done
