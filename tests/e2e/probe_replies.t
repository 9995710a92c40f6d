#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Answers that are not one answer per probe from one address, with exact counts:
#   responders  r2 answers time exceeded from two addresses in turn (nft rewrites the source with
#               numgen inc mod 2): both are shown under hop 2, 10 answers each of 20
#   duplicate   dst's output duplicates every echo reply (nft dup): each is counted once as an
#               answer and once as a duplicate, nothing lost
#   unmatched   ping runs beside the prober to the same target: its 5 echo replies are counted
#               unmatched and change nothing else
#   mtu         IPv6 probes bigger than r2's next link: r2 answers "packet too big"; that is an
#               MTU limit, reported as such, not loss (the host used to refuse every probe after
#               the first answer, and report 90% loss from hop 1)
# Lab: host - r1 - r2 - r3 - dst.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
probe_lab 3

# Responders and duplicates, one run.
ip -n "$(lab_ns r2)" addr add 10.77.1.3/24 dev eth0
lab_nft r2 "table ip lab_alt {
	chain out { type filter hook output priority 0; policy accept;
		icmp type time-exceeded ip saddr set numgen inc mod 2 map { 0 : 10.77.1.2, 1 : 10.77.1.3 }
	}
}" || t_skip_all "nft cannot rewrite source addresses here"
lab_nft dst "table ip lab_dup {
	chain out { type filter hook output priority 0; policy accept;
		icmp type echo-reply dup to $LAB_HOP4_3 device \"eth0\" counter
	}
}" || t_skip_all "nft cannot duplicate packets here (dup)"

probe_json "$O" -c 20 "$LAB_DST4"
t_is "$?" 0 "exit 0"
t_is "$(hop_get "$O" 2 '[.hosts[].address] | join(" ")')" "$LAB_HOP4_2 10.77.1.3" \
	"responders: both of r2's addresses shown at hop 2, first heard first"
t_is "$(hop_get "$O" 2 '[.hosts[].received] | map(tostring) | join(" ")')" "10 10" \
	"responders: 10 answers from each (alternating)"
t_is "$(hop_get "$O" 2 '[.hosts[].sent] | map(tostring) | join(" ")')" "20 20" \
	"responders: each host's sent is the hop's 20 probes"
t_is "$(hop_get "$O" 2 '.all_sent - .all_received')" 0 "responders: hop 2 lost nothing"
dest_answers=$(jq -r '.hops[-1].all_received' "$O")
t_ge "$dest_answers" 40 "duplicate: the destination answered its 40 probes or more"
t_is "$(jq -r .replies_ignored.duplicate "$O")" "$dest_answers" \
	"duplicate: one duplicate per echo reply"
t_is "$(jq -r '[.hops[] | .all_sent - .all_received] | add' "$O")" 0 \
	"duplicate: nothing lost, nothing counted twice"
t_is "$(jq -r '.replies_ignored.unmatched + .replies_ignored.late' "$O")" 0 \
	"duplicate: no unmatched or late answers"
t_is "$(jq -r '.loss_origin' "$O")" null "no loss origin"
probe_text "$T_TMP/out.txt" -c 20 "$LAB_DST4"
t_check "responders: the text report lists the second address under hop 2" \
	grep -qE '^    \|-- 10\.77\.1\.3 +\(10 of the replies\)' "$T_TMP/out.txt"
t_check "duplicate: the text report counts them" \
	grep -qE '^Ignored replies: 0 unmatched, [0-9]+ duplicate, 0 late' "$T_TMP/out.txt"
lab_exec dst nft delete table ip lab_dup
lab_exec r2 nft delete table ip lab_alt

# Unmatched: ping's echo replies come to the prober's raw socket too. ping starts once the
# prober has opened its sockets (its -v line) and is done long before the 4 s run ends.
ip netns exec "$(lab_ns host)" "$DROPSCOPE" -v probe -n --json --timeout 3 --duration 4 \
	"$LAB_DST4" >"$O" 2>"$O.err" &
pid=$!
t_on_exit "kill $pid 2>/dev/null"
if lab_wait_file "$O.err" "probing $LAB_DST4" 10; then
	lab_exec host ping -c 5 -i 0.2 -q "$LAB_DST4" >/dev/null
fi
wait $pid
t_is "$?" 0 "unmatched: exit 0"
t_is "$(jq -r .replies_ignored.unmatched "$O")" 5 "unmatched: ping's 5 echo replies counted"
t_is "$(jq -r '.replies_ignored.duplicate + .replies_ignored.late' "$O")" 0 \
	"unmatched: no duplicate or late answers"
t_is "$(jq -r '[.hops[] | .all_sent - .all_received] | add' "$O")" 0 \
	"unmatched: nothing lost, nothing taken for ours"

# MTU: r2's link toward dst carries 1300 bytes; the probes have 1400.
ip -n "$(lab_ns r2)" link set eth1 mtu 1300
ip -n "$(lab_ns r3)" link set eth0 mtu 1300
probe_json "$O" -6 --size 1400 -c 10 "$LAB_DST6"
t_is "$?" 7 "mtu v6: exit 7, the destination never answered"
t_is "$(jq -r '.hops | length' "$O")" 3 "mtu v6: three rows"
t_is "$(hop_addrs "$O" | tail -n 2 | paste -sd' ')" "$LAB_HOP6_2 $LAB_HOP6_2" \
	"mtu v6: hop 2, then r2 again (it answers the probes it cannot forward)"
t_is "$(jq -r '.hops[-1].hosts[0].reply' "$O")" packet_too_big "mtu v6: the last row is too big"
t_is "$(jq -r '.hops[-1].hosts[0].mtu' "$O")" 1300 "mtu v6: ... with r2's next-hop MTU"
t_is "$(jq -r '[.mtu_limit.ttl, .mtu_limit.address, .mtu_limit.mtu] | map(tostring) | join(" ")' "$O")" \
	"3 $LAB_HOP6_2 1300" "mtu v6: the report's MTU limit: TTL 3, r2, 1300"
t_is "$(jq -r '[.hops[] | .all_sent - .all_received] | add' "$O")" 0 \
	"mtu v6: every probe answered: no loss"
t_is "$(jq -r '.send_errors' "$O")" 0 "mtu v6: the host refused no probe (EMSGSIZE)"
t_is "$(jq -r '.loss_origin' "$O")" null "mtu v6: no loss origin"
t_is "$(jq -r '.reached' "$O")" false "mtu v6: the destination not reached"
# Again, now that the host knows the path MTU (it used to refuse to start, or to send).
probe_text "$T_TMP/out.txt" -6 --size 1400 -c 10 "$LAB_DST6"
t_is "$?" 7 "mtu v6, again: exit 7"
t_check "mtu v6: the text report says it is an MTU limit, not loss" \
	grep -q "^Probes of 1400 bytes do not fit the path: $LAB_HOP6_2 .*An MTU limit, not loss" \
	"$T_TMP/out.txt"
t_check "mtu v6: ... and marks the row" grep -qE '^  3\.\|-- .* too big \(MTU 1300\)' \
	"$T_TMP/out.txt"
# IPv4 probes leave DF clear: r2 fragments them, and they arrive.
probe_json "$O" -4 --size 1400 -c 10 "$LAB_DST4"
t_is "$(jq -r '.reached' "$O")" true "mtu v4: fragmented on the way, the destination answers"
t_is "$(jq -r '[.hops[] | .all_sent - .all_received] | add' "$O")" 0 "mtu v4: no loss"
t_is "$(jq -r '.mtu_limit' "$O")" null "mtu v4: no MTU limit"

t_done
