#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark (make bench, not a test): multipath discovery and loss per branch, dropscope probe
# --flows against scamper's tracelb (MDA, Augustin et al.) on the same ECMP lab (lab_create_ecmp):
#
#   2-way   host - r1 ==< p1, p2 >== j1 - dst          the split at hop 2
#   3-way   host - r1 - r2 ==< p1, p2, p3 >== j1 - dst  the split at hop 3
#
# Both with TCP SYN flows (tracelb -P tcp-sport; dropscope -T), at 95% confidence.
#  - branches found at the split (truth: 2, 3), and probes spent until MDA's rule held (tracelb:
#    its probe count; dropscope: multipath.mda_probes, every probe sent until then), the median
#    of BENCH_ECMP_RUNS runs (default 3). Target: all branches, no more probes than tracelb.
#  - time to detect 10% outbound loss on p1 (one of two branches): the shortest --duration, of
#    5, 10, 15, 20, 30 s, at which every one of BENCH_ECMP_RUNS runs names p1's branch as the loss
#    origin. Target: at most 30 s.
set -u
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
bench_lab ecmp scamper
RUNS=${BENCH_ECMP_RUNS:-3}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'; }

# discovery NAME S W FLOWS: branches and probes, tracelb and dropscope, RUNS runs each.
discovery()
{
	local name=$1 s=$2 w=$3 flows=$4 split i hop tb_br=() tb_pr=() ds_br=() ds_pr=()
	lab_create_ecmp "$s" "$w" 1 || { echo "bench-ecmp: lab_create_ecmp failed" >&2; return 1; }
	split=$((s + 1))
	for i in $(seq 1 "$w"); do eval echo "\$LAB_ECMP_BRANCH4_$i"; done >"$TMP/branches"
	for i in $(seq 1 "$RUNS"); do
		(cd "$TMP" && lab_exec host scamper -O json -c "tracelb -P tcp-sport -d 80" \
			-i "$LAB_DST4") >"$TMP/tlb.json" 2>/dev/null
		tb_pr+=("$(jq -r 'select(.type == "tracelb") | .probec' "$TMP/tlb.json")")
		# Its branches: the lab's branch routers it names anywhere (as nodes, or as hops
		# of the links it draws between nodes).
		tb_br+=("$(jq -r 'select(.type == "tracelb") | [.. | .addr? // empty] | unique[]' \
			"$TMP/tlb.json" | grep -cxF -f "$TMP/branches")")
		lab_exec host "$D" probe -n --json --timeout 3 -T --flows "$flows" -c 40 \
			"$LAB_DST4" >"$TMP/ds.json" 2>/dev/null
		hop=$(jq -r --argjson t "$split" '.hops[] | select(.ttl == $t) | .hosts | length' \
			"$TMP/ds.json")
		ds_br+=("$hop")
		ds_pr+=("$(jq -r '.multipath.mda_probes // "never"' "$TMP/ds.json")")
	done
	lab_destroy
	local tb_b tb_p ds_b ds_p verdict
	tb_b=$(printf '%s\n' "${tb_br[@]}" | median)
	tb_p=$(printf '%s\n' "${tb_pr[@]}" | median)
	ds_b=$(printf '%s\n' "${ds_br[@]}" | median)
	ds_p=$(printf '%s\n' "${ds_pr[@]}" | median)
	verdict=FAIL
	[ "$ds_b" = "$w" ] && [ "$ds_p" != never ] && [ "$ds_p" -le "$tb_p" ] && verdict=PASS
	printf '%-7s truth %d branches at hop %d\n' "$name" "$w" "$split"
	printf '  %-28s branches %s (runs: %s)  probes %s (runs: %s)\n' \
		"tracelb -P tcp-sport" "$tb_b" "${tb_br[*]}" "$tb_p" "${tb_pr[*]}"
	printf '  %-28s branches %s (runs: %s)  probes %s (runs: %s)\n' \
		"dropscope -T --flows $flows" "$ds_b" "${ds_br[*]}" "$ds_p" "${ds_pr[*]}"
	printf '  target: all branches, probes <= tracelb: %s\n' "$verdict"
}

# detection: the shortest duration at which every run names p1's branch.
detection()
{
	local d i hits found=
	lab_create_ecmp 1 2 1 || { echo "bench-ecmp: lab_create_ecmp failed" >&2; return 1; }
	lab_fwd_loss p1 10 fwd
	for d in 5 10 15 20 30; do
		hits=0
		for i in $(seq 1 "$RUNS"); do
			lab_exec host "$D" probe -n --json --timeout 3 -T --flows 16 --duration "$d" \
				"$LAB_DST4" >"$TMP/det.json" 2>/dev/null
			[ "$(jq -r '.loss_origin.branch.address' "$TMP/det.json")" = \
				"$LAB_ECMP_BRANCH4_1" ] && hits=$((hits + 1))
		done
		printf '  --duration %2d s: p1 named in %d of %d runs\n' "$d" "$hits" "$RUNS"
		[ "$hits" -eq "$RUNS" ] && { found=$d; break; }
	done
	lab_destroy
	if [ -n "$found" ]; then
		printf '  time to detect 10%% loss on one of two branches: %d s; target <= 30 s: PASS\n' \
			"$found"
	else
		printf '  time to detect 10%% loss on one of two branches: > 30 s; target <= 30 s: FAIL\n'
	fi
}

discovery 2-way 1 2 16
discovery 3-way 2 3 24
echo "detection (10% outbound loss on p1, 2-way split, dropscope -T --flows 16)"
detection
