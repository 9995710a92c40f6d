#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# SIGHUP (a dropped ssh session) ends every command that runs for a while as SIGTERM does: the
# report of what was measured, the same exit status, and the cleanup (trace's pins removed, the
# demo's namespaces and lock file removed). Each command runs in the background with its output
# in a file, as a long run under a redirect would, and gets SIGTERM, then SIGHUP. (`show` reads
# the pins once and exits at once: nothing to interrupt.)
. "$(dirname "$0")/../lib.sh"
t_need_root
trap t_cleanup EXIT
t_on_exit t_demo_cleanup
lab_create 2 || t_skip_all "could not build the lab"
PIN="/sys/fs/bpf/dstest-sig-$LAB_ID"
t_on_exit "rm -rf $PIN"

# signal NAME SIG READY DELAY CMD...: run CMD in the background (stdout to $T_TMP/NAME.SIG, stderr
# to that .err), wait for READY on its stderr (if given), DELAY seconds more, send SIG and wait.
# Sets RC to its exit status. CMD must be the process itself (ip netns exec execs its command).
signal()
{
	local name=$1 sig=$2 ready=$3 delay=$4 pid
	shift 4
	OUT=$T_TMP/$name.$sig
	"$@" >"$OUT" 2>"$OUT.err" &
	pid=$!
	t_on_exit "kill -9 $pid 2>/dev/null"
	[ -z "$ready" ] || lab_wait_file "$OUT.err" "$ready" 20 || sed 's/^/#   /' "$OUT.err"
	sleep "$delay"
	kill -"$sig" "$pid"
	t_wait "$pid" 30
	RC=$?
}

for sig in TERM HUP; do
	# trace: the summary of the drops counted so far; the pins go.
	signal trace $sig attached 0 "$DROPSCOPE" trace --netns "$LAB_HOST" --json --pin "$PIN"
	t_is "$RC" 0 "trace, SIG$sig: exit 0"
	t_is "$(jq -r '.total | type' "$OUT")" number "trace, SIG$sig: the summary is printed"
	t_check "trace, SIG$sig: the pins are removed" test ! -e "$PIN"

	# counters: the window ends at the signal and is reported.
	signal counters $sig baseline 0.3 ip netns exec "$LAB_HOST" "$DROPSCOPE" counters --duration 60 --json
	t_is "$RC" 0 "counters, SIG$sig: exit 0"
	t_is "$(jq -r '.interval_s < 10' "$OUT")" true "counters, SIG$sig: the window ends at the signal"

	# probe: the report so far (it prints no ready marker without -v: it starts at once).
	signal probe $sig "" 2 ip netns exec "$LAB_HOST" "$DROPSCOPE" probe -n --json --duration 60 "$LAB_DST4"
	t_is "$RC" 0 "probe, SIG$sig: exit 0"
	t_is "$(jq -r .interrupted "$OUT")" true "probe, SIG$sig: the report says interrupted"
	t_ge "$(jq -r .end_to_end.sent "$OUT")" 10 "probe, SIG$sig: the probes so far are counted"

	# diagnose: a verdict from what was measured.
	signal diagnose $sig diagnosing 2 ip netns exec "$LAB_HOST" "$DROPSCOPE" diagnose "$LAB_DST4" -d 60 -n --json
	t_is "$RC" 0 "diagnose, SIG$sig: exit 0"
	t_is "$(jq -r .verdict "$OUT")" none "diagnose, SIG$sig: a verdict from what was measured"
	t_is "$(jq -r .network.interrupted "$OUT")" true "diagnose, SIG$sig: the report says interrupted"

	# demo: diagnose's report, then the network torn down.
	signal demo $sig diagnosing 2 "$DROPSCOPE" demo healthy --json --duration 60
	tag=$(sed -n 's/.*demo namespaces dsdemo-\([0-9a-f]*\)-.*/\1/p' "$OUT.err")
	t_is "$RC" 0 "demo, SIG$sig: exit 0"
	t_is "$(jq -r .network.interrupted "$OUT")" true "demo, SIG$sig: diagnose's report, interrupted"
	t_check "demo, SIG$sig: named its namespaces ($tag)" test -n "$tag"
	t_is "$(t_demo_ns "$tag")" 0 "demo, SIG$sig: its namespaces are removed"
	t_check "demo, SIG$sig: its lock file is removed" test ! -e "/run/dropscope/demo-$tag.lock"
done
t_done
