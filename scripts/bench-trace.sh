#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The tracer's cost under a drop flood: sendmmsg of small UDP datagrams into an nft drop rule,
# inside a lab namespace, with
#   none       no tracer
#   floor      an empty BPF program on tp_btf/kfree_skb (the least any tracer can cost)
#   dropscope  dropscope trace (all namespaces, no events)
#   bpftrace   tracepoint:skb:kfree_skb { @[args->reason] = count(); }
# in interleaved rounds (the order rotates each round), reporting packets per second, CPU per
# packet of the flooding process (the drop happens in its context), and each tracer's overhead
# (its CPU per packet minus none's) as ratios. Also: time from start to attached, and memory.
#
# Targets: dropscope's overhead <= 1.5x the floor's, and < 1/3 of bpftrace's.
# ROUNDS and BENCH_SECONDS can be set in the environment.
#
# CPU time per packet is noisy in a VM; a second measure is each BPF program's own run time per
# drop from kernel.bpf_stats_enabled (restored afterwards), which excludes how the hook is
# dispatched (tp_btf trampoline vs perf tracepoint) but is steady.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. scripts/lab.sh
ROUNDS=${ROUNDS:-7}
SECONDS_PER_RUN=${BENCH_SECONDS:-3} # not SECONDS: bash keeps its own clock in that name
DS="$BUILD/dropscope"
TMP=$(mktemp -d /tmp/dsbench.XXXXXX)
CPU=$(($(nproc) - 1))
TRACER_PID=

STATS0=$(sysctl -n kernel.bpf_stats_enabled)
cleanup()
{
	sysctl -qw kernel.bpf_stats_enabled="$STATS0"
	[ -n "$TRACER_PID" ] && kill "$TRACER_PID" 2>/dev/null && wait "$TRACER_PID" 2>/dev/null
	lab_destroy
	rm -rf "$TMP"
}
trap cleanup EXIT

command -v bpftrace >/dev/null || { echo "bench-trace: bpftrace is not installed (make deps)" >&2; exit 1; }
lab_create 1 || exit 1
lab_host_drop output 'udp dport 9'

# start_tracer CONFIG: start it and wait until it is attached; sets TRACER_PID.
start_tracer()
{
	local log="$TMP/$1.log" i
	TRACER_PID=
	case "$1" in
	none) return 0 ;;
	floor) "$BUILD/tests/helpers/bpfload" "$BUILD/bench/floor.bpf.o" 2>"$log" & ;;
	dropscope) "$DS" trace --no-retrans --json >/dev/null 2>"$log" & ;;
	bpftrace) bpftrace -e 'tracepoint:skb:kfree_skb { @[args->reason] = count(); }' >"$log" 2>&1 & ;;
	esac
	TRACER_PID=$!
	for i in $(seq 1 300); do
		grep -q -i 'attached\|Attaching' "$log" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "bench-trace: $1 did not attach" >&2
	cat "$log" >&2
	return 1
}

stop_tracer()
{
	[ -z "$TRACER_PID" ] && return
	kill -INT "$TRACER_PID" 2>/dev/null
	wait "$TRACER_PID" 2>/dev/null
	TRACER_PID=
}

# run CONFIG: one flood; appends "config packets cpu_s wall_s" to results.
run()
{
	local out
	start_tracer "$1" || exit 1
	out=$(lab_exec host taskset -c "$CPU" "$LAB_TOOL" udp-flood "$LAB_DST4" 9 "$SECONDS_PER_RUN" 18)
	stop_tracer
	case "$out" in
	packets*) ;;
	*) echo "bench-trace: the flood under $1 failed" >&2; exit 1 ;;
	esac
	echo "$1 ${out#packets }" | awk '{ print $1, $2, $4, $6 }' >>"$TMP/results"
}

configs=(none floor dropscope bpftrace)
echo "drop flood: $ROUNDS rounds x ${#configs[@]} configurations x $SECONDS_PER_RUN s, flood on CPU $CPU"
for r in $(seq 1 "$ROUNDS"); do
	for i in $(seq 0 $((${#configs[@]} - 1))); do
		run "${configs[$(((i + r) % ${#configs[@]}))]}"
	done
done

# Medians per configuration, then overheads and ratios.
awk '
{ pps[$1] = pps[$1] " " $2 / $4; cpp[$1] = cpp[$1] " " $3 / $2 * 1e9 }
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	printf "%-10s %12s %14s %14s\n", "config", "pps", "cpu ns/pkt", "overhead ns"
	split("none floor dropscope bpftrace", order, " ")
	base = median(cpp["none"])
	for (k = 1; k <= 4; k++) {
		c = order[k]; m[c] = median(cpp[c]); o[c] = m[c] - base
		printf "%-10s %12.0f %14.1f %14.1f\n", c, median(pps[c]), m[c], o[c]
	}
	# Parenthesised: a bare ">" after printf would redirect its output to a file.
	if (o["floor"] <= 0 || o["bpftrace"] <= 0) {
		print "\nthe overheads were lost in the noise of this run: the ratios cannot be told"
		exit 0
	}
	r1 = o["dropscope"] / o["floor"]
	r2 = o["dropscope"] / o["bpftrace"]
	printf "\ndropscope overhead / floor overhead    = %.2f  (target <= 1.5: %s)\n", r1, (r1 <= 1.5) ? "met" : "not met"
	printf "dropscope overhead / bpftrace overhead = %.2f  (target < 0.33: %s)\n", r2, (r2 < 1 / 3) ? "met" : "not met"
}' "$TMP/results"

# Each program's own cost per drop (bpf_stats), with the flood alone on its CPU.
echo
echo "BPF program run time per drop (kernel.bpf_stats_enabled):"
sysctl -qw kernel.bpf_stats_enabled=1
for c in floor dropscope bpftrace; do
	before=$(bpftool prog show -j | jq -r '.[].id' | sort)
	start_tracer "$c" || exit 1
	ids=$(comm -13 <(echo "$before") <(bpftool prog show -j | jq -r '.[].id' | sort))
	lab_exec host taskset -c "$CPU" "$LAB_TOOL" udp-flood "$LAB_DST4" 9 "$SECONDS_PER_RUN" 18 >/dev/null
	for id in $ids; do
		bpftool prog show id "$id" -j
	done | jq -s --arg c "$c" '[.[] | select(.run_cnt > 1000)] | map({n: .name, t: .run_time_ns, c: .run_cnt}) |
		"\($c): " + (map("\(.n) \((.t / .c * 10 | round) / 10) ns/run over \(.c) runs") | join(", "))' -r
	stop_tracer
done
sysctl -qw kernel.bpf_stats_enabled="$STATS0"

# Start-up and memory: five starts, time from exec to the ready marker.
echo
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	"$DS" trace --json >/dev/null 2>"$TMP/start.log" &
	p=$!
	for _ in $(seq 1 2000); do grep -q attached "$TMP/start.log" 2>/dev/null && break; sleep 0.005; done
	t1=$(date +%s%N)
	lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9 10000 >/dev/null
	sleep 0.5
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$p/status")
	kill -INT "$p"
	wait "$p"
	echo "start-to-attached $(((t1 - t0) / 1000000)) ms, peak RSS $rss kB"
done | sort -n -k2 | awk '{ a[NR] = $0 } END { print "median of 5: " a[3] }'
