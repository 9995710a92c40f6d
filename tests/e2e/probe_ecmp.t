#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every path (--flows): an ECMP lab where a router splits flows by an L4 hash over 2 or 3
# parallel routers that rejoin (scripts/lab.sh, lab_create_ecmp).
#  - the branches are found (MDA's 95% rule met), each flow keeps one path, and the flows each
#    branch router forwarded (an nft set of their source ports) are exactly those the report
#    puts through it;
#  - a clean ECMP path gives no loss;
#  - loss on one branch, outbound only and both ways, names that branch, where its loss starts,
#    and counts exactly the packets the branch's nft rule dropped;
#  - a branch router that rations its ICMP is not loss;
#  - diagnose, with its default flows (icmp and tcp), calls the branch's loss the network's.
# TCP SYN probes: routers hash their ports, and the destination's answers (RSTs) are not
# rate-limited, so every flow gets end-to-end samples. Sizes: 16 flows for a 2-way split (MDA
# needs 11), 24 for 3 ways (16); 150 rounds put ~200 probes past the split on each branch:
# outbound, 15% against none is p < 1e-6, far below the level (1e-3 / branches), in every run.
# Both ways is weaker: every answer returns via p1, so p1's flows lose ~28% (1 - 0.85^2) against
# ~15% for p2's. 800 rounds put ~1200 probes past the split on each branch: z ~ 7.5 expected,
# and a miss (z under ~3.3) needs a shortfall of over 4 standard deviations (p ~ 1e-5).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
t_need_root
t_need nft
t_need jq
O=$T_TMP/out.json

# ecmp_lab S W: the lab, torn down on exit (t_cleanup); a set of forwarded source ports on
# every branch router.
ecmp_lab()
{
	local i
	lab_destroy
	if ! lab_create_ecmp "$1" "$2" 1; then
		# Only the first lab may skip: after tests ran, a lab that fails is a failure.
		[ "$T_N" -eq 0 ] && t_skip_all "could not build the ECMP lab (L4 multipath hashing)"
		t_check "the ECMP lab ($1 routers, $2 ways) builds" false
		t_done
		exit
	fi
	for i in $(seq 1 "$2"); do
		lab_nft "p$i" "table inet seen {
			set ports { type inet_service; size 1024; }
			chain fw { type filter hook forward priority -10; policy accept;
				iifname \"eth0\" meta l4proto tcp add @ports { tcp sport }
			}
		}"
	done
}

# ports_seen NODE: the source ports NODE forwarded toward dst, sorted.
ports_seen()
{
	lab_exec "$1" nft -j list set inet seen ports |
		jq -r '.nftables[].set.elem // empty | .[]' | sort -n | tr '\n' ' '
}

# flows_via OUT TTL ADDR: the keys (source ports) of the flows the report puts through ADDR at TTL.
flows_via()
{
	jq -r --argjson t "$2" --arg a "$3" \
		'.multipath.paths[] | select(any(.path[]; .ttl == $t and .address == $a)) | .key' \
		"$1" | sort -n | tr '\n' ' '
}

# lost_after OUT TTL ADDR: probes lost past TTL by the flows through ADDR there.
lost_after()
{
	jq -r --argjson t "$2" --arg a "$3" \
		'[.multipath.paths[] | select(any(.path[]; .ttl == $t and .address == $a)) |
		  .path[] | select(.ttl > $t) | .sent - .received] | add // 0' "$1"
}

# split_checks NAME TTL WAYS: the branches at TTL are the lab's, and the flows are where the
# routers say they went.
split_checks()
{
	local name=$1 ttl=$2 w=$3 i want=() got
	for i in $(seq 1 "$w"); do want+=("$(eval echo "\$LAB_ECMP_BRANCH4_$i")"); done
	got=$(hop_get "$O" "$ttl" '[.hosts[] | .address] | sort | join(" ")')
	t_is "$got" "$(printf '%s\n' "${want[@]}" | sort | tr '\n' ' ' | sed 's/ $//')" \
		"$name: hop $ttl shows the $w branch routers"
	t_is "$(hop_get "$O" "$ttl" '.mda_complete')" true "$name: MDA's rule met at hop $ttl"
	t_is "$(jq -r '.multipath.mda_complete' "$O")" true "$name: and at every hop"
	t_is "$(jq -r '[.hops[] | select(.ttl != '"$ttl"') | .hosts | length] | max' "$O")" 1 \
		"$name: every other hop has one address"
	t_is "$(jq -r '[.hops[].hosts[].address] | map(select(. != null)) | length' "$O")" \
		"$(jq -r '.hops | length + '"$((w - 1))" "$O")" "$name: no other address anywhere"
	t_is "$(jq -r "[.multipath.paths[].path[] | select(.ttl == $ttl and .address == null)] |
		length" "$O")" 0 "$name: every flow has its branch"
	for i in $(seq 1 "$w"); do
		a=$(eval echo "\$LAB_ECMP_BRANCH4_$i")
		t_is "$(flows_via "$O" "$ttl" "$a")" "$(ports_seen "p$i")" \
			"$name: the flows through p$i are the ports p$i forwarded"
	done
}

# before_split NAME SPLIT COUNT FLOWS: the hops up to the split got -c probes but for the rounds
# of discovery (2 * FLOWS at most) that skipped them: lost probes in flight must not hold
# discovery for the whole run, starving them.
before_split()
{
	local name=$1 split=$2 c=$3 nf=$4 t
	for t in $(seq 1 "$split"); do
		t_ge "$(hop_get "$O" "$t" .all_sent)" $((c - 2 * nf)) \
			"$name: hop $t got -c probes less discovery's rounds at most"
	done
}

# --- a 2-way split at hop 2 ------------------------------------------------------------------
ecmp_lab 1 2
probe_json "$O" -T --flows 16 -c 150 "$LAB_DST4"
t_is "$?" 0 "2-way clean: exit 0, no loss"
split_checks "2-way clean" 2 2
t_is "$(jq -r '.loss_origin' "$O")" null "2-way clean: no loss origin"
t_is "$(jq -r '[.multipath.paths[] | .sent - .received] | add' "$O")" 0 \
	"2-way clean: no flow lost a probe"
t_ge "$(jq -r '.multipath.mda_probes' "$O")" 1 "2-way clean: the probes MDA took are counted"

# Outbound loss on p1: its flows lose from hop 3 on, the other branch's lose nothing.
lab_fwd_loss p1 15 fwd
probe_json "$O" -T --flows 16 -c 150 "$LAB_DST4"
t_is "$?" 4 "2-way, p1 loses 15% outbound: exit 4"
t_is "$(jq -r '.loss_origin.branch.address' "$O")" "$LAB_ECMP_BRANCH4_1" \
	"2-way outbound: the losing branch is p1 ($LAB_ECMP_BRANCH4_1)"
t_is "$(jq -r '.loss_origin.branch.ttl' "$O")" 2 "2-way outbound: it splits at hop 2"
t_is "$(jq -r '.loss_origin.branch.of' "$O")" 2 "2-way outbound: 1 of 2 next hops"
t_is "$(jq -r '.loss_origin.ttl' "$O")" 3 "2-way outbound: its loss starts at hop 3"
t_is "$(lost_after "$O" 2 "$LAB_ECMP_BRANCH4_2")" 0 "2-way outbound: p2's flows lost nothing"
t_is "$(lost_after "$O" 2 "$LAB_ECMP_BRANCH4_1")" "$(nft_drops p1 lab_loss)" \
	"2-way outbound: p1's flows lost exactly what p1's rule dropped"
t_is "$(hop_get "$O" 2 '.all_sent - .all_received')" 0 "2-way outbound: hop 2 lost nothing"
before_split "2-way outbound" 2 150 16
lab_exec host "$DROPSCOPE" probe -n --timeout 3 -T --flows 16 -c 150 "$LAB_DST4" \
	>"$T_TMP/out.txt" 2>&1
t_check "2-way outbound: the text names the branch" grep -q \
	"^Loss on one branch: flows through $LAB_ECMP_BRANCH4_1 (hop 2, [12] of 2 next hops) lose" \
	"$T_TMP/out.txt"
t_check "2-way outbound: the text shows where the flows split" \
	grep -q "^  hop 2: 2 next hops, 16 flows seen, 11 needed" "$T_TMP/out.txt"

# Both ways: answers come back through p1 (the lab's return branch), so every flow loses some
# on the way back; p1's flows lose on the way out too.
lab_exec p1 nft delete table inet lab_loss
lab_fwd_loss p1 15 both
probe_json "$O" -T --flows 16 -c 800 -i 0.03 "$LAB_DST4"
t_is "$?" 4 "2-way, p1 loses 15% both ways: exit 4"
before_split "2-way both ways" 2 800 16
t_is "$(jq -r '.loss_origin.branch.address' "$O")" "$LAB_ECMP_BRANCH4_1" \
	"2-way both ways: the losing branch is p1"
t_is "$(jq -r '.loss_origin.ttl' "$O")" 3 "2-way both ways: loss starts at hop 3"
t_is "$(lost_from "$O" 3)" "$(nft_drops p1 lab_loss)" \
	"2-way both ways: probes lost from hop 3 on = packets p1 dropped"
lab_exec p1 nft delete table inet lab_loss

# diagnose probes an ICMP flow and 15 TCP flows by default: the same loss is the network's, on
# that branch, and this server drops none of the probes.
lab_fwd_loss p1 15 fwd
lab_exec host "$DROPSCOPE" diagnose -n --json -d 20 "$LAB_DST4" >"$T_TMP/diag.json" 2>"$T_TMP/diag.err"
t_is "$(jq -r .verdict "$T_TMP/diag.json")" network "diagnose, p1 loses 15%: verdict network"
t_is "$(jq -r '.network.multipath.paths | map(.protocol) | unique | join(" ")' "$T_TMP/diag.json")" \
	"icmp tcp" "diagnose: flows of icmp and tcp by default"
t_is "$(jq -r '.network.loss_origin.branch.address' "$T_TMP/diag.json")" "$LAB_ECMP_BRANCH4_1" \
	"diagnose: the origin is the branch through p1"
t_is "$(jq -r '.network.loss_origin.ttl' "$T_TMP/diag.json")" 3 "diagnose: from hop 3 on"
t_is "$(jq -r '.probes.lost_on_host_egress + .probes.replies_lost_on_host_ingress' \
	"$T_TMP/diag.json")" 0 "diagnose: this server lost none of the probes"
t_is "$(jq -r '.probes.lost_in_network' "$T_TMP/diag.json")" "$(nft_drops p1 lab_loss)" \
	"diagnose: the probes lost in the network are the packets p1 dropped"
lab_exec p1 nft delete table inet lab_loss

# A branch router that rations its ICMP: its flows' hop 2 loses, nothing after it does.
lab_icmp_ratelimit p1 1000
probe_json "$O" -T --flows 16 -c 150 "$LAB_DST4"
t_is "$?" 0 "2-way, p1 rate-limits its ICMP: exit 0, no loss"
t_is "$(jq -r '.loss_origin' "$O")" null "2-way rate-limited branch: no loss origin"
t_is "$(jq -r '[.multipath.paths[] | .sent - .received] | add' "$O")" 0 \
	"2-way rate-limited branch: no flow lost a probe end to end"
t_is "$(hop_get "$O" 2 .rate_limited)" true "2-way rate-limited branch: hop 2 is rate-limited"

# --- a 3-way split at hop 3 ------------------------------------------------------------------
ecmp_lab 2 3
probe_json "$O" -T --flows 24 -c 150 "$LAB_DST4"
t_is "$?" 0 "3-way clean: exit 0, no loss"
split_checks "3-way clean" 3 3
t_is "$(jq -r '.loss_origin' "$O")" null "3-way clean: no loss origin"

lab_fwd_loss p2 15 fwd
probe_json "$O" -T --flows 24 -c 150 "$LAB_DST4"
t_is "$?" 4 "3-way, p2 loses 15% outbound: exit 4"
t_is "$(jq -r '.loss_origin.branch.address' "$O")" "$LAB_ECMP_BRANCH4_2" \
	"3-way outbound: the losing branch is p2 ($LAB_ECMP_BRANCH4_2)"
t_is "$(jq -r '.loss_origin.branch | "\(.ttl) \(.of)"' "$O")" "3 3" \
	"3-way outbound: it splits at hop 3 over 3 next hops"
t_is "$(jq -r '.loss_origin.ttl' "$O")" 4 "3-way outbound: its loss starts at hop 4"
t_is "$(lost_after "$O" 3 "$LAB_ECMP_BRANCH4_2")" "$(nft_drops p2 lab_loss)" \
	"3-way outbound: p2's flows lost exactly what p2's rule dropped"
t_is "$(( $(lost_after "$O" 3 "$LAB_ECMP_BRANCH4_1") + $(lost_after "$O" 3 "$LAB_ECMP_BRANCH4_3") ))" \
	0 "3-way outbound: p1's and p3's flows lost nothing"
before_split "3-way outbound" 3 150 24

t_done
