#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A destination that answers nothing (its input drops every packet), behind routers that do: no
# hop after the last one that answers can show whether its loss carries on.
#
# Lab: host - r1 - r2 - r3 - dst, dst's input drops everything.
#   limiter  r3 rations its ICMP (icmp_ratelimit=1000, Linux's default): the last hop that answers
#            is paced, and the two rates tell it is a limiter: flagged, no loss origin (it used
#            to be reported as "Loss starts at hop 3: 80% lost ... and it carries on").
#   loss     r2 drops 40% of what it forwards toward dst: hop 3 loses 40% at both rates; that is
#            loss (origin hop 3), but the report must not claim it carries on: nothing shows it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
probe_lab 3

lab_nft dst "table inet lab_silent {
	chain input { type filter hook input priority 0; policy accept; counter drop; }
}"

# The limiter at the last answering hop.
lab_icmp_ratelimit r3 1000
probe_json "$O" -c 50 "$LAB_DST4"
t_is "$?" 7 "limiter: exit 7, the destination never answered (and no loss shown)"
t_is "$(jq -r .reached "$O")" false "limiter: the destination did not answer"
t_is "$(jq -r '.hops[-1].ttl' "$O")" 4 "limiter: rows up to one past the last hop that answered"
t_is "$(hop_get "$O" 3 .rate_limited)" true "limiter: hop 3 is flagged rate-limited"
t_is "$(hop_get "$O" 3 .limiter_confirmed)" true "limiter: confirmed at two rates"
t_ge "$(hop_get "$O" 3 .paced_sent)" 6 "limiter: hop 3 got at least 6 paced probes"
t_is "$(hop_get "$O" 3 '.paced_sent - .paced_received')" 0 "limiter: every paced probe answered"
t_ge "$(hop_get "$O" 3 '.all_sent - .all_received')" 10 \
	"limiter: the limiter ate fast probes (the fast side of the two rates)"
t_diag "hop 3: $(hop_get "$O" 3 '"\(.all_sent - .paced_sent) fast (\(.all_sent - .all_received) lost), \(.paced_sent) paced"')"
t_is "$(jq -r '.loss_origin' "$O")" null "limiter: no loss origin"
for k in 1 2; do
	t_is "$(hop_get "$O" $k '.all_sent - .all_received')" 0 "limiter: hop $k lost nothing"
done
t_is "$(jq -r '[.hops[] | select(.rate_limited) | .ttl] | map(tostring) | join(" ")' "$O")" 3 \
	"limiter: no other hop flagged"

probe_text "$T_TMP/out.txt" -c 50 "$LAB_DST4"
t_check "limiter: the text report says hop 3 rations its replies" \
	grep -q "^Hop 3 rations its ICMP replies (rate-limited, confirmed" "$T_TMP/out.txt"
t_check "limiter: the text report names no loss origin" \
	lacks "$T_TMP/out.txt" "^Loss starts"
t_check "limiter: the text report says the destination did not answer" \
	grep -q "^The destination $LAB_DST4 did not answer" "$T_TMP/out.txt"

# Real loss in front of the last answering hop: placed there, but not said to carry on.
lab_icmp_ratelimit r3 0
lab_fwd_loss r2 40 fwd
probe_json "$O" -c 50 "$LAB_DST4"
t_is "$?" 4 "loss: exit 4, loss on the path"
t_is "$(jq -r .loss_origin.ttl "$O")" 3 "loss: the loss origin is hop 3"
t_is "$(jq -r .loss_origin.carries_on "$O")" false "loss: not said to carry on"
t_is "$(hop_get "$O" 3 .rate_limited)" false "loss: hop 3 is not called rate-limited"
t_diag "hop 3: $(hop_get "$O" 3 '"\(.all_sent - .paced_sent) fast, \(.paced_sent) paced (\(.paced_sent - .paced_received) lost), loss \(.loss_pct)%"')"
probe_text "$T_TMP/out.txt" -c 50 "$LAB_DST4"
t_check "loss: the text report puts the start at hop 3" \
	grep -q "^Loss starts at hop 3 ($LAB_HOP4_3)" "$T_TMP/out.txt"
t_check "loss: ... without claiming it carries on" lacks "$T_TMP/out.txt" "and it carries on"
t_check "loss: ... and says no hop after it answers" \
	grep -q "no hop after it answers" "$T_TMP/out.txt"

t_done
