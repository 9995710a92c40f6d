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
#  - diagnose, with its default flows (icmp and tcp), calls the branch's loss the network's;
#  - over IPv6 too (the 3-way split, clean and with loss on one branch) where the kernel hashes
#    IPv6 flows by their ports;
#  - fewer rounds than flows (-c 8 --flows 24) ends.
# TCP SYN probes: routers hash their ports, and the destination's answers (RSTs) are not
# rate-limited, so every flow gets end-to-end samples. Sizes: 16 flows for a 2-way split (MDA
# needs 11), 24 for 3 ways (16). Clean runs: every flow twice, and MDA's rule holds within
# tracelb's probes. That count holds only if no round probes a hop again while its answer is on
# the way, so they go at -i 0.3, not the default 0.1: the lab's answers take well under a
# millisecond, and a loaded machine (the suite runs three e2e tests at once) would have to hold
# one back three times as long to change the count. Lossy runs: the statistics count rounds, not
# seconds, so they go 10 times faster (-i 0.01). Outbound, 800 rounds: where the lossy branch's
# loss starts (the first hop behind it) is a hop its flows reach once a round each, and a branch
# may have as few as a quarter of the flows: ~200 probes there, ~30 lost expected, and the hop is
# the origin once its loss is beyond 1% background at 1e-3 (about 9 lost): a miss is p ~ 1e-5.
# (150 rounds, ~40 probes there, put the start a hop late in about one run of ten.) The branch
# against the other, 15% against none over every hop behind the split, is then far below the
# level (1e-3 / branches). Both ways is weaker: every answer returns via p1, so p1's flows lose ~28% (1 - 0.85^2) against
# ~15% for p2's. 800 rounds put ~1200 probes past the split on each branch: z ~ 7.5 expected,
# and a miss (z under ~3.3) needs a shortfall of over 4 standard deviations (p ~ 1e-5).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
t_need_root
t_need nft
t_need jq
O=$T_TMP/out.json

# The cases run in three labs at once: the 2-way cases that need the lab to themselves (clean,
# outbound, the rate-limited branch) here; both ways then diagnose in a second 2-way lab, and the
# 3-way cases in a third, each in the background (in_lab). Every probe run is bounded by -c or -d.

# ecmp_lab S W: an ECMP lab (this shell's lab variables), with a set of the forwarded source ports
# on every branch router.
ecmp_lab()
{
	local i
	lab_create_ecmp "$1" "$2" 1 || return 1
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

# save_split DIR W [4|6]: what split_checks needs once the lab is gone: the branch routers'
# addresses (IPv4 or IPv6), and the ports each forwarded so far (right after a lab's first run,
# or the sets' flush: later runs add theirs).
save_split()
{
	local i
	mkdir -p "$1"
	for i in $(seq 1 "$2"); do
		eval echo "\$LAB_ECMP_BRANCH${3:-4}_$i" >"$1/branch$i"
		ports_seen "p$i" >"$1/ports$i"
	done
}

# in_lab NAME S W FN: FN DIR, in a subshell of its own with its own ECMP lab (S routers, W ways),
# in the background; DIR ($T_TMP/NAME) gets FN's files, "built" once the lab is, and the lab's
# namespaces, which exit deletes should the subshell not (in_lab_wait kills it past its bound).
in_lab()
{
	local dir=$T_TMP/$1
	mkdir -p "$dir"
	(
		RANDOM=$BASHPID # a lab id of its own
		trap lab_destroy EXIT
		trap 'exit 143' TERM
		ecmp_lab "$2" "$3" || exit 1
		printf '%s\n' "${LAB_NSES[@]}" >"$dir/nses"
		touch "$dir/built"
		"$4" "$dir"
	) >"$dir/log" 2>&1 &
	eval "BG_$1=$!"
	t_on_exit "kill $!; wait $!; xargs -r -n1 ip netns del <'$dir/nses'"
}

# in_lab_wait NAME WHAT: wait for in_lab NAME's subshell (120 s at most); the test "WHAT builds"
# passes if its lab did, and so does the return status.
in_lab_wait()
{
	local pid
	pid=$(eval echo "\$BG_$1")
	t_wait "$pid" 120
	wait "$pid"
	[ -e "$T_TMP/$1/built" ] || sed 's/^/#   /' "$T_TMP/$1/log"
	t_check "$2 builds" test -e "$T_TMP/$1/built"
	[ -e "$T_TMP/$1/built" ]
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

# split_checks NAME OUT DIR TTL WAYS: the branches at TTL are the lab's, and the flows are where
# the routers say they went (save_split's DIR).
split_checks()
{
	local name=$1 out=$2 dir=$3 ttl=$4 w=$5 i a want got
	want=$(cat "$dir"/branch* | sort | tr '\n' ' ' | sed 's/ $//')
	got=$(hop_get "$out" "$ttl" '[.hosts[] | .address] | sort | join(" ")')
	t_is "$got" "$want" "$name: hop $ttl shows the $w branch routers"
	t_is "$(hop_get "$out" "$ttl" '.mda_complete')" true "$name: MDA's rule met at hop $ttl"
	t_is "$(jq -r '.multipath.mda_complete' "$out")" true "$name: and at every hop"
	t_is "$(jq -r '[.hops[] | select(.ttl != '"$ttl"') | .hosts | length] | max' "$out")" 1 \
		"$name: every other hop has one address"
	t_is "$(jq -r '[.hops[].hosts[].address] | map(select(. != null)) | length' "$out")" \
		"$(jq -r '.hops | length + '"$((w - 1))" "$out")" "$name: no other address anywhere"
	t_is "$(jq -r "[.multipath.paths[].path[] | select(.ttl == $ttl and .address == null)] |
		length" "$out")" 0 "$name: every flow has its branch"
	for i in $(seq 1 "$w"); do
		a=$(cat "$dir/branch$i")
		t_is "$(flows_via "$out" "$ttl" "$a")" "$(cat "$dir/ports$i")" \
			"$name: the flows through p$i are the ports p$i forwarded"
	done
}

# before_split NAME OUT SPLIT COUNT FLOWS: the hops up to the split got -c probes but for the
# rounds of discovery (2 * FLOWS at most) that skipped them: lost probes in flight must not hold
# discovery for the whole run, starving them.
before_split()
{
	local name=$1 out=$2 split=$3 c=$4 nf=$5 t
	for t in $(seq 1 "$split"); do
		t_ge "$(hop_get "$out" "$t" .all_sent)" $((c - 2 * nf)) \
			"$name: hop $t got -c probes less discovery's rounds at most"
	done
}

# mda_within NAME OUT MAX: MDA's rule held after MAX probes at most. This host's route has one next
# hop, so hop 1 needs one flow; every other hop before the target needs MDA's flows for the next
# hops it has (6 for 1, 11 for 2, 16 for 3), and the walk sends nothing past the target: tracelb's
# count on the same lab (19 at the 2-way split: 1 + 11 + 6 + 1).
mda_within()
{
	local got
	got=$(jq -r '.multipath.mda_probes' "$2")
	t_check "$1: MDA's rule held after $got probes, $3 at most" \
		test "$got" != null -a "$got" -le "$3"
}

# --- in the background: 3 ways at hop 3 -------------------------------------------------------
three_way()
{
	local d=$1 i
	lab_exec host "$DROPSCOPE" probe -n --json --timeout 3 -T --flows 24 -c 48 -i 0.3 \
		"$LAB_DST4" >"$d/clean.json" 2>"$d/clean.err"
	echo $? >"$d/clean.rc"
	save_split "$d" 3
	lab_fwd_loss p2 15 fwd
	lab_exec host "$DROPSCOPE" probe -n --json --timeout 3 -T --flows 24 -c 800 -i 0.01 \
		"$LAB_DST4" >"$d/loss.json" 2>"$d/loss.err"
	echo $? >"$d/loss.rc"
	nft_drops p2 lab_loss >"$d/drops"

	# The same over IPv6, when the lab has it (rS hashes IPv6 flows' ports): v6 says whether
	# it has, or why not (lab.sh's LAB_ECMP_V6).
	echo "$LAB_ECMP_V6" >"$d/v6.status"
	[ -n "$LAB_DST6" ] || return 0
	lab_exec p2 nft delete table inet lab_loss
	for i in 1 2 3; do lab_exec "p$i" nft flush set inet seen ports; done
	lab_exec host "$DROPSCOPE" probe -n --json --timeout 3 -6 -T --flows 24 -c 48 -i 0.3 \
		"$LAB_DST6" >"$d/clean6.json" 2>"$d/clean6.err"
	echo $? >"$d/clean6.rc"
	save_split "$d/v6" 3 6
	lab_fwd_loss p2 15 fwd
	lab_exec host "$DROPSCOPE" probe -n --json --timeout 3 -6 -T --flows 24 -c 800 -i 0.01 \
		"$LAB_DST6" >"$d/loss6.json" 2>"$d/loss6.err"
	echo $? >"$d/loss6.rc"
	nft_drops p2 lab_loss >"$d/drops6"
}

# --- in the background: 2 ways, p1 lossy both ways, then outbound: diagnose, the text report --
both_then_diagnose()
{
	local d=$1
	lab_fwd_loss p1 15 both
	lab_exec host "$DROPSCOPE" probe -n --json --timeout 3 -T --flows 16 -c 800 -i 0.01 \
		"$LAB_DST4" >"$d/both.json" 2>"$d/both.err"
	echo $? >"$d/both.rc"
	nft_drops p1 lab_loss >"$d/both.drops"
	lab_exec p1 nft delete table inet lab_loss
	lab_fwd_loss p1 15 fwd
	lab_exec host "$DROPSCOPE" diagnose -n --json -d 8 -i 0.01 "$LAB_DST4" \
		>"$d/diag.json" 2>"$d/diag.err"
	nft_drops p1 lab_loss >"$d/diag.drops"
	lab_exec host "$DROPSCOPE" probe -n --timeout 3 -T --flows 16 -c 800 -i 0.01 "$LAB_DST4" \
		>"$d/out.txt" 2>&1
}

in_lab three 2 3 three_way
in_lab both 1 2 both_then_diagnose

# --- here: 2 ways at hop 2 ------------------------------------------------------------------
ecmp_lab 1 2 || t_skip_all "could not build the ECMP lab (L4 multipath hashing)"
A=$T_TMP/a
mkdir -p "$A"
probe_json "$O" -T --flows 16 -c 32 -i 0.3 "$LAB_DST4"
t_is "$?" 0 "2-way clean: exit 0, no loss"
save_split "$A" 2
split_checks "2-way clean" "$O" "$A" 2 2
t_is "$(jq -r '.loss_origin' "$O")" null "2-way clean: no loss origin"
t_is "$(jq -r '[.multipath.paths[] | .sent - .received] | add' "$O")" 0 \
	"2-way clean: no flow lost a probe"
mda_within "2-way clean" "$O" 19
t_is "$(hop_get "$O" 1 .mda_flows_needed)" 1 \
	"2-way clean: hop 1 needs one flow (this host's route has one next hop)"

# Fewer rounds than flows: discovery cannot finish, and the destination, held while it goes on,
# must still get its probes and the run end (timeout bounds the old hang).
lab_exec host timeout 30 "$DROPSCOPE" probe -n --json --timeout 3 -T --flows 24 -c 8 \
	"$LAB_DST4" >"$O" 2>"$O.err"
t_is "$?" 0 "-c 8 --flows 24: the run ends, exit 0 (124: still running after 30 s)"
t_ge "$(jq -r '.hops[-1].all_received' "$O")" 1 "-c 8 --flows 24: the destination answered"

# Outbound loss on p1: its flows lose from hop 3 on, the other branch's lose nothing.
lab_fwd_loss p1 15 fwd
probe_json "$O" -T --flows 16 -c 800 -i 0.01 "$LAB_DST4"
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
before_split "2-way outbound" "$O" 2 800 16
lab_exec p1 nft delete table inet lab_loss

# A branch router that rations its ICMP: its flows' hop 2 loses, nothing after it does.
lab_icmp_ratelimit p1 1000
probe_json "$O" -T --flows 16 -c 150 -i 0.02 "$LAB_DST4"
t_is "$?" 0 "2-way, p1 rate-limits its ICMP: exit 0, no loss"
t_is "$(jq -r '.loss_origin' "$O")" null "2-way rate-limited branch: no loss origin"
t_is "$(jq -r '[.multipath.paths[] | .sent - .received] | add' "$O")" 0 \
	"2-way rate-limited branch: no flow lost a probe end to end"
t_is "$(hop_get "$O" 2 .rate_limited)" true "2-way rate-limited branch: hop 2 is rate-limited"
lab_destroy

# --- both ways, and diagnose (the second 2-way lab) -------------------------------------------
# Answers come back through p1 (the lab's return branch), so every flow loses some on the way
# back; p1's flows lose on the way out too.
if in_lab_wait both "the second 2-way lab"; then
	B=$T_TMP/both
	t_is "$(cat "$B/both.rc")" 4 "2-way, p1 loses 15% both ways: exit 4"
	before_split "2-way both ways" "$B/both.json" 2 800 16
	t_is "$(jq -r '.loss_origin.branch.address' "$B/both.json")" "$LAB_ECMP_BRANCH4_1" \
		"2-way both ways: the losing branch is p1"
	t_is "$(jq -r '.loss_origin.ttl' "$B/both.json")" 3 "2-way both ways: loss starts at hop 3"
	t_is "$(lost_from "$B/both.json" 3)" "$(cat "$B/both.drops")" \
		"2-way both ways: probes lost from hop 3 on = packets p1 dropped"

	# diagnose probes an ICMP flow and 15 TCP flows by default: the same loss is the network's,
	# on that branch, and this server drops none of the probes.
	J=$B/diag.json
	t_is "$(jq -r .verdict "$J")" network "diagnose, p1 loses 15%: verdict network"
	t_is "$(jq -r '.network.multipath.paths | map(.protocol) | unique | join(" ")' "$J")" \
		"icmp tcp" "diagnose: flows of icmp and tcp by default"
	t_is "$(jq -r '.network.loss_origin.branch.address' "$J")" "$LAB_ECMP_BRANCH4_1" \
		"diagnose: the origin is the branch through p1"
	t_is "$(jq -r '.network.loss_origin.ttl' "$J")" 3 "diagnose: from hop 3 on"
	t_is "$(jq -r '.probes.lost_on_host_egress + .probes.replies_lost_on_host_ingress' "$J")" \
		0 "diagnose: this server lost none of the probes"
	t_is "$(jq -r '.probes.lost_in_network' "$J")" "$(cat "$B/diag.drops")" \
		"diagnose: the probes lost in the network are the packets p1 dropped"

	t_check "2-way outbound: the text names the branch" grep -q \
		"^Loss on one branch: flows through $LAB_ECMP_BRANCH4_1 (hop 2, [12] of 2 next hops) lose" \
		"$B/out.txt"
	t_check "2-way outbound: the text shows where the flows split" \
		grep -q "^  hop 2: 2 next hops, 16 flows seen, 11 needed" "$B/out.txt"
fi

# --- a 3-way split at hop 3 (the third lab) ---------------------------------------------------
if in_lab_wait three "the 3-way lab"; then
	C=$T_TMP/three
	t_is "$(cat "$C/clean.rc")" 0 "3-way clean: exit 0, no loss"
	split_checks "3-way clean" "$C/clean.json" "$C" 3 3
	t_is "$(jq -r '.loss_origin' "$C/clean.json")" null "3-way clean: no loss origin"
	mda_within "3-way clean" "$C/clean.json" 30

	O=$C/loss.json
	t_is "$(cat "$C/loss.rc")" 4 "3-way, p2 loses 15% outbound: exit 4"
	t_is "$(jq -r '.loss_origin.branch.address' "$O")" "$(cat "$C/branch2")" \
		"3-way outbound: the losing branch is p2 ($(cat "$C/branch2"))"
	t_is "$(jq -r '.loss_origin.branch | "\(.ttl) \(.of)"' "$O")" "3 3" \
		"3-way outbound: it splits at hop 3 over 3 next hops"
	t_is "$(jq -r '.loss_origin.ttl' "$O")" 4 "3-way outbound: its loss starts at hop 4"
	t_is "$(lost_after "$O" 3 "$(cat "$C/branch2")")" "$(cat "$C/drops")" \
		"3-way outbound: p2's flows lost exactly what p2's rule dropped"
	t_is "$(( $(lost_after "$O" 3 "$(cat "$C/branch1")") + \
		$(lost_after "$O" 3 "$(cat "$C/branch3")") ))" \
		0 "3-way outbound: p1's and p3's flows lost nothing"
	before_split "3-way outbound" "$O" 3 800 24

	# Only a kernel that cannot hash IPv6 flows' ports skips them: a lab whose IPv6 routes or
	# first ping failed is a failure, as is a run that printed nothing.
	V6=$(cat "$C/v6.status" 2>/dev/null)
	if [ "$V6" = no-hash ]; then
		t_diag "this kernel does not hash IPv6 flows by their ports (the lab's rS): no IPv6 cases"
	elif [ "$V6" != yes ]; then
		t_is "$V6" yes "IPv6 3-way: the lab's IPv6 routes and first ping work"
	else
		O=$C/clean6.json
		t_is "$(cat "$C/clean6.rc")" 0 "IPv6 3-way clean: exit 0, no loss"
		split_checks "IPv6 3-way clean" "$O" "$C/v6" 3 3
		mda_within "IPv6 3-way clean" "$O" 30

		O=$C/loss6.json
		t_is "$(cat "$C/loss6.rc")" 4 "IPv6 3-way, p2 loses 15% outbound: exit 4"
		t_is "$(jq -r '.loss_origin.branch | "\(.address) \(.ttl) \(.of)"' "$O")" \
			"$(cat "$C/v6/branch2") 3 3" "IPv6 3-way outbound: the losing branch is p2's"
		t_is "$(jq -r '.loss_origin.ttl' "$O")" 4 "IPv6 3-way outbound: its loss starts at hop 4"
		t_is "$(lost_after "$O" 3 "$(cat "$C/v6/branch2")")" "$(cat "$C/drops6")" \
			"IPv6 3-way outbound: p2's flows lost exactly what p2's rule dropped"
	fi
fi

t_done
