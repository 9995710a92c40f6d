#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How long one host counters snapshot takes on a host with 64 interfaces (target: well under
# 10 ms). Makes a namespace with 32 veth pairs (64 interfaces, each with ethtool statistics and
# sysfs queues), then times `dropscope counters --bench N` (N snapshots back to back, then one
# delta and the findings) two ways:
#   self   run inside the namespace (ip netns exec): the plain path
#   netns  run outside with --netns: the reading thread, setns, and the private sysfs mount
# and reports median, p95 and max per snapshot, the snapshot's size and the peak RSS.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DS="$BUILD/dropscope"
READS=${READS:-300}
PAIRS=32
NS="dsbench-counters-$$-$RANDOM"

[ "$(id -u)" -eq 0 ] || { echo "bench-counters: needs root (namespaces)" >&2; exit 1; }
[ -x "$DS" ] || { echo "bench-counters: $DS is not built (make)" >&2; exit 1; }

cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT

ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
for i in $(seq 1 $PAIRS); do
	ip -n "$NS" link add "va$i" type veth peer name "vb$i" || exit 1
	ip -n "$NS" link set "va$i" up
	ip -n "$NS" link set "vb$i" up
done
n=$(ip -n "$NS" -o link show | grep -vc ' lo:')
echo "namespace $NS: $n veth interfaces (+ lo), $(nproc) CPUs, $READS snapshots per run"

rc=0
for mode in self netns; do
	if [ "$mode" = self ]; then
		out=$(ip netns exec "$NS" "$DS" counters --bench "$READS")
	else
		out=$("$DS" counters --netns "$NS" --bench "$READS")
	fi
	[ -n "$out" ] || { echo "$mode: the benchmark run failed" >&2; rc=1; continue; }
	echo "$mode: $out"
	med=$(echo "$out" | sed -n 's/.*median_ms \([0-9.]*\).*/\1/p')
	if awk -v m="$med" 'BEGIN { exit !(m < 10) }'; then
		echo "$mode: median $med ms per snapshot: under the 10 ms target"
	else
		echo "$mode: median $med ms per snapshot: OVER the 10 ms target" >&2
		rc=1
	fi
done
exit $rc
