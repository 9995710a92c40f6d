#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The prober's reply parser under libFuzzer (ASan + UBSan), in a bounded run: 10 s of mutations
# from an empty corpus (tests/fuzz/fuzz_probe_parse.c builds valid replies itself in its
# structured mode). Any crash, sanitizer report or broken invariant fails the test.
. "$(dirname "$0")/../lib.sh"
trap 'rm -rf "$T_TMP"' EXIT
FUZZ=$BUILD/fuzz/fuzz_probe_parse
[ -x "$FUZZ" ] || t_skip_all "$FUZZ is not built (make fuzz; make test builds it)"

mkdir -p "$T_TMP/corpus"
"$FUZZ" -max_total_time=10 -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$T_TMP/" "$T_TMP/corpus" >"$T_TMP/log" 2>&1
rc=$?
t_is "$rc" 0 "fuzz_probe_parse: 10 s without a crash or sanitizer report"
[ "$rc" = 0 ] || tail -n 30 "$T_TMP/log" | sed 's/^/#   /'
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T_TMP/log")
t_ge "${runs:-0}" 100000 "fuzz_probe_parse: ran (${runs:-0} inputs)"
t_is "$(ls "$T_TMP" | grep -c '^crash-\|^leak-\|^timeout-')" 0 "no crash, leak or timeout artifact"
t_done
