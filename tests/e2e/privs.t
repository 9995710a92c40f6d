#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Privileges: what reads the network (probe replies, reverse DNS) runs without any capability
# and not as uid 0, in probe and diagnose; trace gives up what it does not need once attached;
# a process that is not root but holds the capabilities that suffice is accepted.
. "$(dirname "$0")/../lib.sh"
t_need_root
trap t_cleanup EXIT
command -v setpriv >/dev/null || t_skip_all "setpriv (util-linux) is missing"
lab_create 2 || t_skip_all "could not build the lab"

NOBODY=65534
CAP_NET_RAW_BIT=13
# capability bits CAP_SYS_ADMIN (21), CAP_PERFMON (38), CAP_BPF (39)
BPF_CAPS=$(((1 << 21) | (1 << 38) | (1 << 39)))

cap_eff() { awk '/^CapEff:/ { print $2 }' "/proc/$1/status"; }
# Every capability set, and no_new_privs: "CapEff CapPrm CapInh CapAmb NoNewPrivs".
caps_of()
{
	awk '/^Cap(Eff|Prm|Inh|Amb):/ { c[$1] = $2 } /^NoNewPrivs:/ { n = $2 }
	     END { print c["CapEff:"], c["CapPrm:"], c["CapInh:"], c["CapAmb:"], n }' "/proc/$1/status"
}
NONE="0000000000000000 0000000000000000 0000000000000000 0000000000000000 1"
uids() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }
# The inodes of the raw sockets open in the lab host's namespace.
raw_inodes() { ip netns exec "$LAB_HOST" awk 'FNR > 1 { print $10 }' /proc/net/raw /proc/net/raw6 | sort -u; }
# The pids among $@ that hold one of those sockets.
raw_holders()
{
	local inodes pid
	inodes=$(raw_inodes)
	for pid in "$@"; do
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | tr -dc '0-9\n' |
			grep -qxF -f <(echo "$inodes") && echo "$pid"
	done
}
# A process's capabilities are none, or (a kernel that reads maps only with CAP_BPF, as it
# said under -v) only BPF's; from 6.5 on no kernel needs them for that.
caps_none_or_bpf()
{
	local eff=$((16#$1)) maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	if [ "$maj" -gt 6 ] || { [ "$maj" -eq 6 ] && [ "${min%%[!0-9]*}" -ge 5 ]; }; then
		[ "$eff" -eq 0 ]
		return
	fi
	[ "$eff" -eq 0 ] || { [ "$2" = bpf ] && [ $((eff & ~BPF_CAPS)) -eq 0 ]; }
}

# --- diagnose: the process with the raw sockets has no capability and is not uid 0
"$DROPSCOPE" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 6 -n --json >"$T_TMP/d.json" 2>"$T_TMP/d.err" &
dpid=$!
t_on_exit "kill $dpid"
lab_wait_file "$T_TMP/d.err" diagnosing 15
sleep 1
kids=$(pgrep -P "$dpid" | tr '\n' ' ')
holders=$(raw_holders "$dpid" $kids)
t_is "$(echo "$holders" | grep -c .)" 1 "diagnose: one process holds the raw sockets"
t_check "diagnose: not the main process (which keeps the tracer)" test -n "$holders" -a "$holders" != "$dpid"
if [ -n "$holders" ]; then
	h=$(echo "$holders" | head -n1)
	t_is "$(caps_of "$h")" "$NONE" "diagnose: the prober's process has no capability in any set, and no_new_privs"
	read -r u1 u2 u3 u4 <<<"$(uids "$h")"
	t_check "diagnose: the prober's process is not uid 0 (uids $u1 $u2 $u3 $u4)" \
		test "$u1" -ne 0 -a "$u2" -ne 0 -a "$u3" -ne 0 -a "$u4" -ne 0
else
	t_ok 1 "diagnose: the prober's process has no capability in any set, and no_new_privs"
	t_ok 1 "diagnose: the prober's process is not uid 0"
fi
eff=$((16#$(cap_eff "$dpid")))
t_is "$(((eff >> CAP_NET_RAW_BIT) & 1))" 0 "diagnose: the main process gave up CAP_NET_RAW"
t_wait "$dpid" 60
t_is "$?" 0 "diagnose: the split run still ends in a report"
t_is "$(jq -r .verdict "$T_TMP/d.json")" none "diagnose: and its verdict (a clean path: none)"
t_ge "$(jq -r .probes.sent "$T_TMP/d.json")" 20 "diagnose: with the child's probes counted"
t_is "$(jq -r '.network.hops | length' "$T_TMP/d.json")" 3 "diagnose: and the child's hop list"

# --- probe started as nobody with ambient CAP_NET_RAW (as file capabilities would give):
# it opens its sockets, then holds nothing
ip netns exec "$LAB_HOST" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
	--inh-caps=+net_raw --ambient-caps=+net_raw \
	"$DROPSCOPE" probe "$LAB_DST4" -c 40 -n --json >"$T_TMP/p.json" 2>"$T_TMP/p.err" &
ppid=$!
t_on_exit "kill $ppid"
for _ in $(seq 50); do [ -n "$(raw_holders "$ppid")" ] && break; sleep 0.1; done
for _ in $(seq 50); do [ "$(caps_of "$ppid")" = "$NONE" ] && break; sleep 0.1; done # dropped just after
t_is "$(raw_holders "$ppid")" "$ppid" "probe with capabilities: it holds the raw sockets"
t_is "$(caps_of "$ppid")" "$NONE" "probe with capabilities: none left in any set while it reads replies"
t_wait "$ppid" 60
t_is "$?" 0 "probe with capabilities: accepted, and a report"
t_is "$(jq -r '.hops[-1].hosts[0].address' "$T_TMP/p.json")" "$LAB_DST4" "probe with capabilities: the path to the target"

# --- probe as root: nobody, no capability, while it runs
ip netns exec "$LAB_HOST" "$DROPSCOPE" probe "$LAB_DST4" -c 40 -n >"$T_TMP/pr.out" 2>&1 &
ppid=$!
t_on_exit "kill $ppid"
for _ in $(seq 50); do [ -n "$(raw_holders "$ppid")" ] && break; sleep 0.1; done
for _ in $(seq 50); do [ "$(caps_of "$ppid")" = "$NONE" ] && break; sleep 0.1; done # dropped just after
t_is "$(caps_of "$ppid")" "$NONE" "probe as root: no capability in any set while it reads replies"
read -r u1 _ _ _ <<<"$(uids "$ppid")"
t_check "probe as root: not uid 0 while it reads replies ($u1)" test "$u1" -ne 0
t_wait "$ppid" 60
t_is "$?" 0 "probe as root: a report"

# --- probe as nobody without CAP_NET_RAW: one line, exit 1
t_bad "probe without CAP_NET_RAW" 1 "CAP_NET_RAW" \
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$DROPSCOPE" probe 127.0.0.1 -c 1

# --- trace: once attached, only its descriptors
"$DROPSCOPE" -v trace -d 4 >"$T_TMP/t.out" 2>"$T_TMP/t.err" &
tpid=$!
t_on_exit "kill $tpid"
lab_wait_file "$T_TMP/t.err" 'attached via' 10
sleep 0.5
mode=none
grep -q 'reads maps only with CAP_BPF' "$T_TMP/t.err" && mode=bpf
t_check "trace: no capability left once attached ($(cap_eff "$tpid"), $mode)" caps_none_or_bpf "$(cap_eff "$tpid")" $mode
read -r u1 _ _ _ <<<"$(uids "$tpid")"
t_check "trace: not uid 0 once attached ($u1)" test "$u1" -ne 0
t_wait "$tpid" 60
t_is "$?" 0 "trace: still prints its summary"
t_check "trace: the summary is there" grep -q 'REASON\|no drops' "$T_TMP/t.out"

# --- trace --pin: the tracer holds no capability either; a root keeper removes the pins when it
# ends, however it ends
pdir=/sys/fs/bpf/dstest-privs-$$
"$DROPSCOPE" -v trace -d 3 --pin "$pdir" >"$T_TMP/tp.out" 2>"$T_TMP/tp.err" &
tpid=$!
t_on_exit "kill $tpid; rm -rf $pdir"
lab_wait_file "$T_TMP/tp.err" 'attached via' 10
sleep 0.5
mode=none
grep -q 'reads maps only with CAP_BPF' "$T_TMP/tp.err" && mode=bpf
tracer=$(pgrep -P "$tpid" | head -n1)
t_check "trace --pin: the tracer runs in a child of the keeper" test -n "$tracer"
t_check "trace --pin: the tracer has no capability once attached" caps_none_or_bpf "$(cap_eff "${tracer:-$tpid}")" $mode
read -r u1 _ _ _ <<<"$(uids "${tracer:-$tpid}")"
t_check "trace --pin: the tracer is not uid 0 ($u1)" test "$u1" -ne 0
t_check "trace --pin: the pins are there meanwhile" test -e "$pdir/stats"
t_wait "$tpid" 60
t_is "$?" 0 "trace --pin: a clean exit"
t_check "trace --pin: the tracer's summary" grep -q 'REASON\|no drops' "$T_TMP/tp.out"
t_check "trace --pin: its pins are gone after it" test ! -e "$pdir/stats"
t_check "trace --pin: and the directory it made" test ! -e "$pdir"

"$DROPSCOPE" trace -d 30 --pin "$pdir" >"$T_TMP/tk.out" 2>"$T_TMP/tk.err" &
tpid=$!
t_on_exit "kill $tpid; rm -rf $pdir"
lab_wait_file "$T_TMP/tk.err" 'attached via' 10
tracer=$(pgrep -P "$tpid" | head -n1)
[ -n "$tracer" ] && kill -KILL "$tracer"
t_wait "$tpid" 60
t_check "trace --pin: a tracer killed with SIGKILL: its keeper says so" grep -q 'tracer was killed' "$T_TMP/tk.err"
t_check "trace --pin: and removes the pins" test ! -e "$pdir/stats"

# --- a keeper killed with SIGKILL takes its tracer with it (the tracer would otherwise count on,
# unseen, its lock freed for another tracer to "replace" live pins)
"$DROPSCOPE" trace -d 60 --pin "$pdir" >"$T_TMP/tk2.out" 2>"$T_TMP/tk2.err" &
tpid=$!
t_on_exit "kill -9 $tpid; rm -rf $pdir"
lab_wait_file "$T_TMP/tk2.err" 'attached via' 10
tracer=$(pgrep -P "$tpid" | head -n1)
kill -KILL "$tpid"
t_wait "$tpid" 10 >/dev/null 2>&1
for _ in $(seq 100); do t_running "${tracer:-0}" || break; sleep 0.1; done
t_check "trace --pin: a keeper killed with SIGKILL: its tracer ends too" eval '[ -n "$tracer" ] && ! t_running "$tracer"'
rm -rf "$pdir"

# --- a drop that fails is never silent: one line, exit 1, and nothing read with privileges
t_bad "probe whose privileges cannot be dropped" 1 "failed to drop privileges" \
	ip netns exec "$LAB_HOST" setpriv --bounding-set=-setuid,-setgid "$DROPSCOPE" probe "$LAB_DST4" -c 2 -n
# (setpriv on the whole command: the prober's process inherits the bounding set)
setpriv --bounding-set=-setuid,-setgid "$DROPSCOPE" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 2 -n \
	>"$T_TMP/df.out" 2>"$T_TMP/df.err"
t_is "$?" 1 "diagnose whose prober cannot drop privileges: exit 1"
t_check "diagnose: and says so" grep -q "failed to drop privileges in the prober's process" "$T_TMP/df.err"
t_is "$(wc -c <"$T_TMP/df.out")" 0 "diagnose: and measures nothing with them"

# --- trace as nobody holding CAP_BPF and CAP_PERFMON: accepted (5.8+: the capabilities exist)
if [ "$(cat /proc/sys/kernel/cap_last_cap)" -ge 39 ] && setpriv --inh-caps=+bpf,+perfmon true 2>/dev/null; then
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=+bpf,+perfmon \
		--ambient-caps=+bpf,+perfmon "$DROPSCOPE" -v trace -d 1 >"$T_TMP/tc.out" 2>"$T_TMP/tc.err"
	t_is "$?" 0 "trace with CAP_BPF and CAP_PERFMON, not root: accepted"
	# The TCP programs too: they used to need CAP_SYS_ADMIN, to look through the modules' BTF
	# for the tracepoint record type the kernel lacks.
	t_check "and it traces TCP retransmissions" grep -q "TCP retransmits traced" "$T_TMP/tc.err"
	t_bad "trace without them" 1 "needs CAP_PERFMON and CAP_BPF" \
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$DROPSCOPE" trace -d 1
else
	t_diag "skipped: no CAP_BPF on this kernel (before 5.8) or setpriv does not know it"
fi

t_done
