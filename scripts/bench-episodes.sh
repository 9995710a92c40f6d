#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark (make bench, not a test): false loss episodes per hour on a clean path, the target
# being 0. Simulated hours through the monitor's detector (user/monitor_episodes.c) at the
# monitor's 15 destination probes a second, and at 10 for comparison: steady losses of 0 (a
# clean path), 0.1%, 0.5% (the rule's tolerated baseline) and 1%, and how often each of the
# issue's shapes (20% for 20 s, 5% for 60 s) is caught in 1000 tries.
# BENCH_EPISODES_HOURS sets the simulated hours (default 1000).
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
	echo "PASS: 0 false episodes per hour on a clean path; both shapes caught in every try"
else
	echo "FAIL: clean path $clean episodes per hour, shapes all caught: $caught"
	exit 1
fi
