#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The monitor's budget (issue 10, Required 7), with the tracer attached and 10 targets:
#   idle CPU   user + system time over IDLE seconds (default 150: two segment ends) of a monitor scraped every
#              15 s, as a share of one core; target under 1%. The whole process tree: the
#              probing runs in a forked child (one a segment for all targets), so the monitor's
#              own time, its reaped children's (cutime, cstime) and its live descendants'.
#   memory     the tree's resident set (VmRSS summed over its processes: shared pages counted
#              in each), sampled every 0.25 s over the IDLE seconds (segment ends included,
#              where the last segment's prober process lives on while its answers drain): the
#              maximum, judged, and the median, each against one `dropscope trace`'s; target at
#              most 1.5x (issue 10 budgets RSS). The proportional set (PSS, smaps_rollup: a
#              shared page divided among its processes) is printed too, not judged: a trace's
#              is mostly its share of libraries every process on the machine maps, so the
#              ratio moves with what else runs.
#   scrape     GET /metrics on loopback, SCRAPES times (default 200), median, p95 and max of
#              curl's total time; target at most 10 ms
# The server is the host of a lab (scripts/lab.sh: host - r1 - r2 - r3 - dst, with -N): the 10
# targets are the three routers, dst, and six more addresses of dst, so every probe stays in
# the lab's namespaces. Exits non-zero on a FAIL.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DS="$BUILD/dropscope"
IDLE=${IDLE:-150}
SCRAPES=${SCRAPES:-200}
PIN=/sys/fs/bpf/dsbench-monitor-$$
PORT=${PORT:-$((30000 + $$ % 20000))}
TMP=$(mktemp -d)

[ "$(id -u)" -eq 0 ] || { echo "bench-monitor: needs root (BPF)" >&2; exit 1; }
[ -x "$DS" ] || { echo "bench-monitor: $DS is not built (make)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench-monitor: needs curl" >&2; exit 1; }

# shellcheck source=scripts/lab.sh
. scripts/lab.sh

pids=()
cleanup()
{
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$DS" monitor --remove --pin-dir "$PIN" >/dev/null 2>&1
	lab_destroy
	rm -rf "$TMP"
}
trap cleanup EXIT
lab_create 3 || { echo "bench-monitor: could not build the lab" >&2; exit 1; }

# tree PID: PID and its live descendants, one a line.
tree()
{
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ kids[$2] = kids[$2] " " $1 }
		END { q[1] = root; n = 1
		      for (i = 1; i <= n; i++) { print q[i]; m = split(kids[q[i]], k, " ")
						 for (j = 1; j <= m; j++) q[++n] = k[j] } }'
}
# cpu_ticks PID: utime + stime + cutime + cstime of PID and its live descendants, in clock
# ticks (a reaped child's time is in its parent's cutime and cstime). The fields after comm,
# which may hold spaces.
cpu_ticks()
{
	local p
	for p in $(tree "$1"); do
		sed 's/.*) //' "/proc/$p/stat" 2>/dev/null
	done | awk '{ t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}
# tree_kb PID FILE KEY: KEY (kB) of /proc/P/FILE summed over PID's tree.
tree_kb()
{
	local p
	for p in $(tree "$1"); do
		cat "/proc/$p/$2" 2>/dev/null
	done | awk -v k="$3:" '$1 == k { t += $2 } END { print t + 0 }'
}
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
wait_for() # FILE PATTERN
{
	local i
	for i in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	echo "bench-monitor: '$2' did not appear in $1" >&2
	return 1
}

targets="$LAB_HOP4_1 $LAB_HOP4_2 $LAB_HOP4_3 $LAB_DST4"
for i in 3 4 5 6 7 8; do
	ip -n "$(lab_ns dst)" addr add "10.77.3.$i/24" dev eth0 || exit 1
	targets="$targets 10.77.3.$i"
done
# shellcheck disable=SC2086
"$DS" monitor $targets -N "$LAB_HOST" --pin-dir "$PIN" --listen "127.0.0.1:$PORT" \
	2>"$TMP/mon.err" &
mon=$!
pids+=("$mon")
wait_for "$TMP/mon.err" attached || exit 1
"$DS" trace >/dev/null 2>"$TMP/trace.err" &
trace=$!
pids+=("$trace")
wait_for "$TMP/trace.err" attached || exit 1
# The probing half is in when its families are.
probing=$(curl -sf "http://127.0.0.1:$PORT/metrics" | grep -c '^dropscope_probe_sent_total')
echo "monitor with 10 targets in a lab (probing half: $([ "$probing" -gt 0 ] && echo in || echo 'not in: targets taken, nothing sent')), $(nproc) CPUs, $IDLE s idle"

# sample: every 0.25 s until $TMP/stop, a line "monitor-PSS monitor-RSS trace-PSS trace-RSS
# processes" (kB), the monitor's tree and the trace's.
sample()
{
	while [ ! -e "$TMP/stop" ]; do
		echo "$(tree_kb "$mon" smaps_rollup Pss) $(tree_kb "$mon" status VmRSS)" \
			"$(tree_kb "$trace" smaps_rollup Pss) $(tree_kb "$trace" status VmRSS)" \
			"$(tree "$mon" | wc -l)"
		sleep 0.25
	done >"$TMP/mem"
}
# col N max|med: column N of the samples.
col()
{
	awk -v c="$1" '{ print $c }' "$TMP/mem" | sort -n |
		awk -v w="$2" '{ v[NR] = $1 } END { print w == "max" ? v[NR] : v[int((NR + 1) / 2)] }'
}

hz=$(getconf CLK_TCK)
sample &
sampler=$!
pids+=("$sampler")
t0=$(cpu_ticks "$mon")
start=$(date +%s.%N)
end=$(( $(date +%s) + IDLE ))
while [ "$(date +%s)" -lt "$end" ]; do
	curl -sf "http://127.0.0.1:$PORT/metrics" >/dev/null
	sleep 15 &
	wait $! 2>/dev/null
done
t1=$(cpu_ticks "$mon")
secs=$(echo "$(date +%s.%N) - $start" | bc -l)
cpu=$(echo "($t1 - $t0) / $hz / $secs * 100" | bc -l)
touch "$TMP/stop"
wait "$sampler"
nsamples=$(wc -l <"$TMP/mem")
mhwm=$(status_kb "$mon" VmHWM)
thwm=$(status_kb "$trace" VmHWM)

for i in $(seq 1 "$SCRAPES"); do
	curl -sf -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/metrics"
done | sort -n >"$TMP/scrapes"
pct() { awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; printf "%.2f", v[i] * 1000 }' "$TMP/scrapes"; }
med=$(pct 50); p95=$(pct 95); max=$(pct 100)
size=$(curl -sf "http://127.0.0.1:$PORT/metrics" | wc -c)

rc=0
judge() # VALUE TARGET (both numbers; PASS when VALUE <= TARGET)
{
	if [ "$(echo "$1 <= $2" | bc -l)" -eq 1 ]; then echo PASS; else rc=1; echo FAIL; fi
}
printf 'idle CPU     %.3f%% of a core over %.0f s (%d ticks, the monitor and its children)   target < 1%%   %s\n' \
	"$cpu" "$secs" $((t1 - t0)) "$(judge "$cpu" 0.999)"
echo "memory: $nsamples samples, 0.25 s apart; the monitor tree had $(col 5 med) processes (median), $(col 5 max) at most"
# memory: the monitor tree's maximum against the trace's, judged or shown; the medians.
memory() # KIND MCOL TCOL judged|shown
{
	local ratio med verdict='(not judged)'
	ratio=$(echo "$(col "$2" max) / $(col "$3" max)" | bc -l)
	med=$(echo "$(col "$2" med) / $(col "$3" med)" | bc -l)
	[ "$4" = judged ] && verdict="target <= 1.5x   $(judge "$ratio" 1.5)"
	printf 'memory %s   max: monitor tree %d kB, trace %d kB: %.2fx (median %d kB / %d kB: %.2fx)   %s\n' \
		"$1" "$(col "$2" max)" "$(col "$3" max)" "$ratio" "$(col "$2" med)" "$(col "$3" med)" \
		"$med" "$verdict"
}
memory RSS 2 4 judged
memory PSS 1 3 shown
echo "             (peak RSS: monitor main process $mhwm kB, trace $thwm kB)"
printf 'scrape       median %s ms, p95 %s ms, max %s ms over %d (%d bytes)   target <= 10 ms   %s\n' \
	"$med" "$p95" "$max" "$SCRAPES" "$size" "$(judge "$p95" 10)"
exit $rc
