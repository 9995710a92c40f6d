#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dropscope counters: bad input gets one clear line and the right exit status; a source that
# cannot be read is named and the rest of the report still prints; windows, intervals and
# Ctrl-C behave as documented; another namespace's sysfs (RPS) and ethtool are its own.
set -u
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v jq >/dev/null || t_skip_all "jq is not installed (scripts/deps.sh)"
trap t_cleanup EXIT

FIX="$T_TOP/tests/fixtures/counters"
jf() { jq -r "$2" "$1"; }
is_json() { jq -e . "$1" >/dev/null 2>&1; }

# usage_error DESCRIPTION PATTERN ARGS...: exit 2, one line on stderr matching PATTERN.
usage_error()
{
	local d=$1 pat=$2 rc
	shift 2
	"$DROPSCOPE" counters "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
	t_is "$rc" 2 "$d: exit 2"
	t_is "$(wc -l <"$T_TMP/err")" 1 "$d: one line"
	t_check "$d: says '$pat'" grep -q -- "$pat" "$T_TMP/err"
	[ -s "$T_TMP/out" ] && sed 's/^/#   stdout: /' "$T_TMP/out"
}

"$DROPSCOPE" counters --help >"$T_TMP/help"
t_is "$?" 0 "--help exits 0"
t_check "--help prints the usage to stdout" grep -q "usage: dropscope counters" "$T_TMP/help"

usage_error "unknown namespace" \
	"unknown network namespace 'dstest-nosuch-$$': not a name in /run/netns ('ip netns list')" \
	--netns "dstest-nosuch-$$" --duration 1
usage_error "interval 0" "invalid --interval '0': give a positive duration" --interval 0
usage_error "negative interval" "invalid --interval '-1'" --interval -1
usage_error "negative duration" "invalid --duration '-5'" --duration -5
usage_error "garbage duration" "invalid --duration '3x'" --duration 3x
usage_error "interval longer than duration" "is longer than --duration" --interval 3 --duration 1
usage_error "all namespaces" "counters reads one namespace at a time" --netns all
usage_error "stray argument" "unexpected argument 'eth0'" eth0
usage_error "a file as namespace" "failed to open network namespace '/etc/hostname': Invalid argument" \
	--netns /etc/hostname
usage_error "step too long" "invalid --step '11'" --step 11

# ---- a source that cannot be read ---------------------------------------------------------
# A copy of the recorded 6.18 /proc with a directory where /proc/net/snmp belongs and no
# conntrack (DROPSCOPE_PROC_ROOT, the testing aid).
ROOT=$T_TMP/proc
cp -r "$FIX/linux-6.18" "$ROOT"
rm -f "$ROOT/net/snmp" "$ROOT/sys/net/netfilter/nf_conntrack_count"
mkdir "$ROOT/net/snmp"
DROPSCOPE_PROC_ROOT=$ROOT "$DROPSCOPE" counters --duration 0.2 >"$T_TMP/out" 2>"$T_TMP/err"
t_is "$?" 1 "an unreadable source: exit 1"
t_check "the failure is named in one line" \
	grep -qx "dropscope: failed to read /proc/net/snmp: Is a directory; IP, TCP and UDP counters missing" "$T_TMP/err"
t_is "$(grep -c 'failed to read' "$T_TMP/err")" 1 "only the broken source is reported"
t_check "the report still prints" grep -q "^dropscope counters: namespace self, window" "$T_TMP/out"
t_check "with the counters that were read" grep -q "^Counters that moved:" "$T_TMP/out"
t_check "conntrack absent: 'not in use', not an error" grep -qx "conntrack: not in use" "$T_TMP/out"

DROPSCOPE_PROC_ROOT=$ROOT "$DROPSCOPE" counters --duration 0.2 --json >"$T_TMP/j" 2>/dev/null
t_is "$?" 1 "an unreadable source with --json: exit 1"
t_check "JSON still printed" is_json "$T_TMP/j"
t_is "$(jf "$T_TMP/j" '.counters.errors[0].source')" /proc/net/snmp "JSON names the source"
t_is "$(jf "$T_TMP/j" '.counters.errors[0].error')" "Is a directory" "JSON gives the error"
t_is "$(jf "$T_TMP/j" '.counters.softnet.columns')" 15 "softnet was still read (15 columns)"
t_is "$(jf "$T_TMP/j" '.counters.conntrack.in_use')" false "conntrack not in use"
t_is "$(jf "$T_TMP/j" '.counters.sysctls["net.core.netdev_max_backlog"]')" 1000 \
	"sysctls read from the tree"
t_is "$(jf "$T_TMP/j" '.counters.snmp | has("TcpExt.ListenOverflows")')" true \
	"netstat counters still read"
t_is "$(jf "$T_TMP/j" '.counters.snmp | has("Udp.RcvbufErrors")')" false \
	"no snmp counters without /proc/net/snmp"

# ---- windows and intervals ------------------------------------------------------------------
"$DROPSCOPE" counters --interval 0.3 --duration 1 --json >"$T_TMP/iv" 2>/dev/null
t_is "$?" 0 "--interval with --duration exits 0"
t_is "$(jf "$T_TMP/iv" '.intervals | length')" 4 "0.3 s intervals over 1 s: 0.3, 0.6, 0.9, 1.0"
t_is "$(jf "$T_TMP/iv" '.interval_s >= 0.95 and .interval_s < 1.5')" true \
	"the summary covers the whole window"
t_is "$(jf "$T_TMP/iv" '.intervals[3].interval_s < 0.2')" true "the last interval is cut at the end"
t_is "$(jf "$T_TMP/iv" '.counters.steps')" 4 "one snapshot per interval, added up in the summary"
t_is "$(jf "$T_TMP/iv" 'keys_unsorted | join(",")')" "netns,intervals,interval_s,findings,counters" \
	"the intervals are written first, as they end, then the summary"

"$DROPSCOPE" counters --interval 0.2 --duration 0.4 >"$T_TMP/ivt" 2>/dev/null
t_check "text intervals are reported as they end" grep -q "interval 2 (" "$T_TMP/ivt"
t_check "then the summary" grep -q "^dropscope counters: namespace self, window 0.4" "$T_TMP/ivt"

# Ctrl-C ends the window early and still prints the report.
"$DROPSCOPE" counters --duration 60 --json >"$T_TMP/int" 2>"$T_TMP/int.err" &
pid=$!
t_on_exit "kill $pid"
lab_wait_file "$T_TMP/int.err" baseline 10
sleep 0.3
kill -INT "$pid"
wait "$pid"
t_is "$?" 0 "SIGINT: exit 0"
t_check "SIGINT: the report is printed" is_json "$T_TMP/int"
t_is "$(jf "$T_TMP/int" '.interval_s < 10')" true "SIGINT: the window ends at the signal"

# ---- another namespace: its own ethtool and sysfs --------------------------------------------
if lab_create 0; then
	DST=$(lab_ns dst)
	m0=$(grep -c sysfs /proc/self/mountinfo)
	# RPS on in the destination only: the report must show the namespace's sysfs, not ours.
	lab_exec dst sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus'
	want=$(lab_exec dst cat /sys/class/net/eth0/queues/rx-0/rps_cpus)
	"$DROPSCOPE" counters --netns "$DST" --duration 0.2 --json >"$T_TMP/ns" 2>"$T_TMP/ns.err"
	t_is "$?" 0 "--netns NAME exits 0"
	t_is "$(jf "$T_TMP/ns" '.counters.interfaces[] | select(.name == "eth0") | .rx_queues[0].rps_cpus')" \
		"$want" "RPS mask read from the namespace's own sysfs"
	t_is "$(jf "$T_TMP/ns" '[.counters.interfaces[].name] | sort | join(",")')" "eth0,lo" \
		"only the namespace's interfaces"
	t_is "$(jf "$T_TMP/ns" '.counters.interfaces[] | select(.name == "eth0") | .driver')" veth \
		"ethtool answers for the namespace's eth0"
	t_is "$(jf "$T_TMP/ns" '.counters.errors | length')" 0 "nothing failed"
	"$DROPSCOPE" counters --netns "/run/netns/$DST" --duration 0.2 --json >"$T_TMP/ns2" 2>/dev/null
	t_is "$(jf "$T_TMP/ns2" '[.counters.interfaces[].name] | sort | join(",")')" "eth0,lo" \
		"--netns PATH reads the same namespace"
	t_is "$(grep -c sysfs /proc/self/mountinfo)" "$m0" \
		"the private sysfs mounts left nothing behind in ours"

	# ---- a run changes nothing ----
	# The namespace's sysctls (nobody else touches them), the global knobs the report reads,
	# and the directories its fixes would write to; and, where strace is installed, not one
	# file opened for writing.
	state()
	{
		ip netns exec "$DST" sysctl -a -r '^net\.' 2>/dev/null | grep -v nf_conntrack_count
		for k in $(jf "$T_TMP/ns" '.counters.sysctls | keys[]'); do
			echo "$k = $(sysctl -n "$k" 2>/dev/null)"
		done
		for d in /etc/sysctl.d /etc/udev/rules.d /etc/modules-load.d /etc/modprobe.d; do
			[ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec md5sum {} +
		done
	}
	state >"$T_TMP/state0"
	t_ge "$(grep -c '^net\.' "$T_TMP/state0")" 100 "the namespace's sysctls are read for the comparison"
	"$DROPSCOPE" counters --netns "$DST" --duration 0.3 >/dev/null 2>&1
	"$DROPSCOPE" counters --netns "$DST" --duration 0.3 --json >/dev/null 2>&1
	state >"$T_TMP/state1"
	t_check "the sysctls and sysctl.d/udev/modules-load.d/modprobe.d are unchanged by a run" \
		cmp -s "$T_TMP/state0" "$T_TMP/state1"
	cmp -s "$T_TMP/state0" "$T_TMP/state1" || diff "$T_TMP/state0" "$T_TMP/state1" | sed 's/^/#   /'
	if command -v strace >/dev/null; then
		strace -f -qq -o "$T_TMP/strace" -e trace=open,openat,creat,truncate,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir,chmod,fchmodat,chown,fchownat,symlink,symlinkat,link,linkat \
			"$DROPSCOPE" counters --netns "$DST" --duration 0.3 --json >/dev/null 2>&1
		t_ge "$(grep -c 'open' "$T_TMP/strace")" 10 "strace saw the files the run reads"
		writes=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|unlink|rename|mkdir|rmdir|chmod|chown|symlink|link\(|truncate|creat\(' "$T_TMP/strace")
		t_is "$writes" "" "not one file opened for writing, created or removed"
	else
		t_diag "strace is not installed: the syscall check is skipped"
	fi

	# ---- interfaces that come and go while the counters are read ----
	# An interface removed or renamed between the netlink dump and its sysfs read is gone, not
	# sysfs of another namespace: no error, exit 0. A rename is instant (a deletion waits for
	# RCU and rarely falls between the two reads), so four veth pairs are renamed to ever new
	# names, one ip process (-batch) as fast as it goes, while snapshots run back to back.
	for i in 1 2 3 4; do
		ip -n "$DST" link add dsr${i}x0 type veth peer name dsr${i}y0 || t_diag "veth $i not made"
	done
	(
		for n in $(seq 1 1500); do
			for i in 1 2 3 4; do
				echo "link set dsr${i}x$((n - 1)) name dsr${i}x$n"
				echo "link set dsr${i}y$((n - 1)) name dsr${i}y$n"
			done
		done | ip -n "$DST" -force -batch - >/dev/null 2>&1
	) &
	churn=$!
	t_on_exit "kill $churn 2>/dev/null"
	"$DROPSCOPE" counters --netns "$DST" --interval 0.01 --duration 1 --json \
		>"$T_TMP/churn" 2>"$T_TMP/churn.err"
	rc=$?
	still=$(kill -0 "$churn" 2>/dev/null && echo yes || echo no)
	wait "$churn"
	t_diag "renames still running when the run ended: $still; last name: $(ip -n "$DST" -o link show | grep -o 'dsr1x[0-9]*' | head -n1)"
	t_is "$rc" 0 "interfaces renamed all the time: exit 0"
	t_is "$(jf "$T_TMP/churn" '.counters.errors | length')" 0 "and no error in any snapshot"
	[ -s "$T_TMP/churn.err" ] && sed 's/^/#   /' "$T_TMP/churn.err" | grep -v baseline
else
	t_ok 1 "lab created"
fi
t_done
