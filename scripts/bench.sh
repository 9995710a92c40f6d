#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: every scripts/bench-*.sh in turn (root). Benchmarks measure and report; they are
# not tests, and their targets are judged by reading the report.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces and BPF)" >&2; exit 1; }
rc=0
only=${BENCH:-}
for b in scripts/bench-*.sh; do
	[ -e "$b" ] || continue
	name=$(basename "$b" .sh)
	[ -n "$only" ] && [ "${name#bench-}" != "$only" ] && continue
	echo "=== $name"
	"$b" || { echo "$name: failed" >&2; rc=1; }
done
exit $rc
