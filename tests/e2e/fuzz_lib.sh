# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The bounded libFuzzer run the *_fuzz.t tests share (sourced after tests/lib.sh).

trap 'rm -rf "$T_TMP"' EXIT

# Any ASan or UBSan report, or a leak, ends the run with an error (the targets are built with
# -fno-sanitize-recover=undefined; these say the same at run time).
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# fuzz_run TARGET SECONDS RUNS MIN_RUNS: $BUILD/fuzz/TARGET from its committed seed corpus
# (tests/fuzz/corpus/TARGET), for at most SECONDS and RUNS inputs. Fails on a crash, a sanitizer
# report, a broken invariant (the target aborts), an input that takes over 5 s, fewer than
# MIN_RUNS inputs, or a seed corpus that is not what tests/fuzz/corpus/make.sh writes today.
fuzz_run()
{
	local target=$1 secs=$2 runs=$3 min=$4
	local bin=$BUILD/fuzz/$target seeds=$T_TOP/tests/fuzz/corpus/$target n got rc

	[ -x "$bin" ] || t_skip_all "$bin is not built (make fuzz; make test builds it)"
	for g in probe_seeds btf_seeds; do
		[ -x "$BUILD/fuzz/$g" ] || t_skip_all "$BUILD/fuzz/$g is not built (make fuzz)"
	done
	BUILD=$BUILD "$T_TOP/tests/fuzz/corpus/make.sh" "$T_TMP/seeds" >"$T_TMP/seeds.log" 2>&1
	t_is "$?" 0 "$target: tests/fuzz/corpus/make.sh writes the seed corpus"
	t_check "$target: the committed seed corpus is the one make.sh writes" \
		diff -r "$seeds" "$T_TMP/seeds/$target"
	n=$(find "$seeds" -type f | wc -l)

	# New inputs go to the first directory, a scratch one; the seeds are only read.
	mkdir -p "$T_TMP/corpus"
	"$bin" -runs="$runs" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix="$T_TMP/" "$T_TMP/corpus" "$seeds" \
		>"$T_TMP/log" 2>&1
	rc=$?
	t_is "$rc" 0 "$target: $secs s / $runs inputs without a crash or sanitizer report"
	[ "$rc" = 0 ] || tail -n 30 "$T_TMP/log" | sed 's/^/#   /'
	got=$(sed -n 's/^INFO: seed corpus: files: \([0-9]*\).*/\1/p' "$T_TMP/log")
	t_is "${got:-0}" "$n" "$target: started from the $n committed seeds"
	got=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T_TMP/log")
	t_ge "${got:-0}" "$min" "$target: ran (${got:-0} inputs)"
	t_is "$(find "$T_TMP" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' \
		-o -maxdepth 1 -name 'timeout-*' | wc -l)" 0 "$target: no crash, leak or timeout artifact"
}
