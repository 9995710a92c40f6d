#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark (make bench, not a test): false loss episodes per hour on a clean path, the target
# being 0. Simulated hours through the monitor's detector (user/monitor_episodes.c) at the
# monitor's 15 destination probes a second, and at 10 for comparison: steady losses of 0 (a
# clean path), 0.1%, 0.5% (the rule's tolerated baseline) and 1%, and how often each of the
# issue's shapes (20% for 20 s, 5% for 60 s) is caught in 1000 tries. Then a real clean lab path
# (below). BENCH_EPISODES_HOURS sets the simulated hours (default 1000).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIM=$BUILD/bench/episim
HOURS=${BENCH_EPISODES_HOURS:-1000}
[ -x "$SIM" ] || { echo "bench-episodes: $SIM is not built" >&2; exit 1; }
out=$("$SIM" "$HOURS" 15) || exit 1
echo "$out"
"$SIM" "$HOURS" 10 || exit 1
clean=$(echo "$out" | awk '/steady loss +0.0%/ { print $(NF-2) }')
caught=$(echo "$out" | awk '/caught/ { if ($(NF-2) != $NF) bad = 1 } END { print bad ? "no" : "yes" }')
if [ "$clean" = 0.0000 ] && [ "$caught" = yes ]; then
	echo "PASS: 0 false episodes per hour on a simulated clean path; both shapes caught in every try"
else
	echo "FAIL: clean path $clean episodes per hour, shapes all caught: $caught"
	exit 1
fi

# A real clean path: the monitor probing the lab's destination (host - r1 - r2 - r3 - dst, no
# fault) for BENCH_EPISODES_LAB_S seconds (default 120): its episodes (the target is 0), and
# the probes it sent a second, all hops together (the budget is 20).
[ "$(id -u)" -eq 0 ] || { echo "bench-episodes: the lab part needs root" >&2; exit 1; }
. scripts/lab.sh
LAB_S=$(( ${BENCH_EPISODES_LAB_S:-120} / 15 * 15 )) # whole segments
[ "$LAB_S" -ge 15 ] || LAB_S=15
TMP=$(mktemp -d /tmp/bench-episodes.XXXXXX)
PIN=/sys/fs/bpf/dsbench-ep-$$
trap 'kill $MON 2>/dev/null; wait $MON 2>/dev/null; "$BUILD/dropscope" monitor --remove --pin-dir $PIN >/dev/null 2>&1; rm -rf $PIN; lab_destroy; rm -rf "$TMP"' EXIT
lab_create 3 >/dev/null && lab_wait_ready || { echo "bench-episodes: no lab" >&2; exit 1; }
DROPSCOPE_SEGMENT_S=15 "$BUILD/dropscope" monitor -N "$LAB_HOST" --pin-dir "$PIN" --json \
	--textfile "$TMP" --interval 2 "$LAB_DST4" >"$TMP/records" 2>"$TMP/err" &
MON=$!
sleep "$LAB_S"
sleep 9 # the monitor starts, its last segment drains, then the textfile is written
kill -TERM "$MON"
wait "$MON"
sent=$(awk -v t="$LAB_DST4" 'index($1, "dropscope_hop_sent_total{target=\"" t "\"") == 1 { n += $2 } END { print n + 0 }' "$TMP/dropscope.prom")
dest=$(awk -v t="$LAB_DST4" '$1 == "dropscope_probe_sent_total{target=\"" t "\"}" { print $2 }' "$TMP/dropscope.prom")
episodes=$(grep -c . "$TMP/records")
# Counted at each segment's end: LAB_S / 15 whole segments.
secs=$LAB_S
echo "real clean lab path, $LAB_S s: $episodes episode records; $sent probes in $secs s of whole segments: $(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.1f", n / s }') a second (budget 20), $(awk -v n="$dest" -v s="$secs" 'BEGIN { printf "%.1f", n / s }') to the destination"
[ "$episodes" -eq 0 ] && [ "$(awk -v n="$sent" -v s="$secs" 'BEGIN { print (n / s <= 20.5) }')" = 1 ] ||
	{ echo "FAIL: a clean lab path gave episodes, or the budget was exceeded"; exit 1; }
echo "PASS: no episode on a clean lab path, within the budget"
