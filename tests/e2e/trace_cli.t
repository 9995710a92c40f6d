#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope trace beyond the counts: the event stream and its rate limit, pinned maps and
# `show`, TCP retransmissions, clean exits on signals, the no-reason fallback, filters, and one
# clear line plus a non-zero exit for every bad input.
. "$(dirname "$0")/../lib.sh"
t_need_root
trap t_cleanup EXIT

lab_create 1 || t_skip_all "could not build the lab"
PIN="/sys/fs/bpf/dstest-$LAB_ID"
t_on_exit "rm -rf $PIN"
lab_host_drop output 'udp dport 9999'

# start OUT ARGS...: dropscope trace in the background, waiting for its ready marker.
start()
{
	local out=$1
	shift
	t_start_bg "$out" "$DROPSCOPE" trace "$@"
	t_wait_ready "$out.err"
}

# --- events: every drop, addresses parsed from the packet; the rate limit sheds, counts stay exact
start "$T_TMP/ev" --netns "$LAB_HOST" --proto udp --events --json
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 7 >/dev/null
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST6" 9999 3 >/dev/null
sleep 0.3
t_stop "$T_BG_PID"
t_is "$(grep '"ts_ns"' "$T_TMP/ev" | grep -c '"reason":"NETFILTER_DROP"')" 10 "--events prints one line per drop (10 drops)"
t_is "$(grep -c '"dst":"10.77.1.2:9999"' "$T_TMP/ev")" 7 "events carry the IPv4 destination and port from the packet"
t_is "$(grep -c '"dst":"\[fd77:0:0:1::2\]:9999"' "$T_TMP/ev")" 3 "events carry the IPv6 destination and port"
t_is "$(tail -n1 "$T_TMP/ev" | jq -r '.total')" 10 "the summary follows the events"

start "$T_TMP/rl" --netns "$LAB_HOST" --proto udp --events --events-rate 5 --json
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 300 >/dev/null
sleep 0.3
t_stop "$T_BG_PID"
ev=$(grep '"ts_ns"' "$T_TMP/rl" | grep -c '"reason":"NETFILTER_DROP"')
t_ge "$ev" 1 "with a rate limit, some events are still shown"
t_ge $((5 * $(nproc) + 5)) "$ev" "the rate limit (5/s per CPU) lets about one burst per CPU through ($ev events)"
t_is "$(tail -n1 "$T_TMP/rl" | jq -r '.total')" 300 "the histogram stays exact while events are shed"
t_is "$(tail -n1 "$T_TMP/rl" | jq -r '.shed_events')" "$((300 - ev))" \
	"every event not printed is counted as shed"

# --- pinned maps: layout with field names, `show`, busy and stale directories, clean removal
start "$T_TMP/pin" --netns "$LAB_HOST" --pin "$PIN"
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 42 >/dev/null
sleep 0.3
t_is "$(stat -c %a "$PIN/drops")" 600 "pinned maps are root-only (0600)"
t_check "bpftool prints the drops map with its field names" \
	sh -c "bpftool map dump pinned '$PIN/drops' | grep -q '\"reason\":'"
"$DROPSCOPE" show "$PIN" --json >"$T_TMP/show" 2>"$T_TMP/show.err"
t_is "$?" 0 "show reads the pinned maps"
t_is "$(jq -r '[.drops[] | select(.reason == "NETFILTER_DROP") | .count] | add' "$T_TMP/show")" 42 \
	"show counts the 42 drops the running tracer counted"
"$DROPSCOPE" trace --pin "$PIN" -d 1 >/dev/null 2>"$T_TMP/busy.err"
t_is "$?" 1 "a second tracer on the same pin directory fails"
t_check "and says the directory is in use, by whom" grep -q "in use by dropscope (pid $T_BG_PID)" "$T_TMP/busy.err"
t_is "$(wc -l <"$T_TMP/busy.err")" 1 "in one line"
t_check "the first tracer's pins survive the refused second one" test -e "$PIN/drops"
t_stop "$T_BG_PID"
t_check "pins are removed when the tracer stops" test ! -e "$PIN"
"$DROPSCOPE" show "$PIN" >/dev/null 2>"$T_TMP/noshow.err"
t_is "$?" 1 "show without pins fails"
t_check "and says how to make them" grep -q "start 'dropscope trace --pin" "$T_TMP/noshow.err"

# A tracer killed with SIGKILL leaves stale pins; the next one replaces them.
"$DROPSCOPE" trace --pin "$PIN" >/dev/null 2>"$T_TMP/k.err" &
kpid=$!
t_wait_ready "$T_TMP/k.err"
kill -9 "$kpid"
wait "$kpid" 2>/dev/null
start "$T_TMP/stale" --pin "$PIN" -d 1
t_check "stale pins of a killed tracer are replaced" grep -q "maps pinned in $PIN" "$T_TMP/stale.err"
wait "$T_BG_PID"

# --- TCP retransmissions: SYNs to a host that drops them, counted against the kernel's counter
lab_nft dst 'table inet lab_syn {
	chain input { type filter hook input priority 0; tcp dport 9100 drop; }
}'
retrans0=$(lab_nstat host TcpRetransSegs)
start "$T_TMP/rt" --netns "$LAB_HOST" --json
lab_exec host "$LAB_TOOL" tcp-connect "$LAB_DST4" 9100 2 >/dev/null # held 2 s: SYN retried at 1 s
sleep 0.2
t_stop "$T_BG_PID"
retrans=$(($(lab_nstat host TcpRetransSegs) - retrans0))
t_ge "$retrans" 2 "the kernel retransmitted the unanswered SYNs ($retrans)"
t_is "$(jq -r '[.retransmits[] | select(.daddr == "10.77.1.2") | .count] | add // 0' "$T_TMP/rt")" "$retrans" \
	"retransmissions to 10.77.1.2 equal the kernel's TcpRetransSegs"
t_is "$(jq -r '[.retransmit_flows[] | select(.dport == 9100)] | length' "$T_TMP/rt")" 2 "both flows are listed"

# --- a full drop table: 600 distinct drops (closed ports 2000-2599) into 256 slots per CPU.
# Details of the drops that found no slot are folded, but the per-reason total stays exact.
start "$T_TMP/full" --netns "$LAB_HOST" --max-keys 256 --json
for port in $(seq 2000 2599); do echo "$port"; done |
	lab_exec dst xargs -P 8 -I{} "$LAB_TOOL" udp-send "$LAB_HOST4" {} 1 >/dev/null
sleep 0.3
t_stop "$T_BG_PID"
t_is "$(jq -r '[.drops[] | select(.reason == "NO_SOCKET") | .count] | add' "$T_TMP/full")" 600 \
	"a full table keeps the per-reason total exact (600 NO_SOCKET)"
t_ge "$(jq -r '.folded_drops' "$T_TMP/full")" 1 "drops folded into the catch-all are counted"
t_is "$(jq -r '[.drops[] | select(.folded) | .count] | add' "$T_TMP/full")" "$(jq -r '.folded_drops' "$T_TMP/full")" \
	"the catch-all rows hold exactly the folded drops"
t_is "$(jq -r '.unaccounted_drops' "$T_TMP/full")" 0 "no drop goes uncounted"

# --- signals: SIGTERM and SIGINT detach cleanly and print the summary
our_progs() { bpftool prog show | grep -cE 'name kfree_skb_(btf|tp)'; }
progs0=$(our_progs)
for sig in TERM INT; do
	start "$T_TMP/sig$sig" --netns "$LAB_HOST" --json
	lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 5 >/dev/null
	sleep 0.2
	kill -"$sig" "$T_BG_PID"
	wait "$T_BG_PID"
	t_is "$?" 0 "SIG$sig: exit status 0"
	t_is "$(jq -r '.total' "$T_TMP/sig$sig")" 5 "SIG$sig: the summary is printed with what was counted"
done
# Programs are freed after an RCU grace period: give the kernel a moment.
for i in $(seq 1 20); do [ "$(our_progs)" -le "$progs0" ] && break; sleep 0.1; done
t_is "$(our_progs)" "$progs0" "no program is left loaded"

# --- the fallback for kernels without drop reasons (< 5.17): counted by location
DROPSCOPE_NO_REASON=1 start "$T_TMP/nr" --netns "$LAB_HOST" --proto udp --json
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 12 >/dev/null
sleep 0.2
t_stop "$T_BG_PID"
t_is "$(jq -c '[.drops[] | select(.count == 12) | {reason, location}]' "$T_TMP/nr")" \
	'[{"reason":"UNKNOWN","location":"nft_do_chain"}]' "without reasons, drops are told apart by their location"

# --- filters run in the kernel: port and host
start "$T_TMP/flt" --netns "$LAB_HOST" --port 9999 --host "$LAB_DST4" --json
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 4 >/dev/null
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST6" 9999 6 >/dev/null
lab_exec dst "$LAB_TOOL" udp-send "$LAB_HOST4" 5999 8 >/dev/null
sleep 0.2
t_stop "$T_BG_PID"
t_is "$(jq -r '.total' "$T_TMP/flt")" 4 "--port and --host keep only matching drops"
start "$T_TMP/dev" --netns "$LAB_HOST" --dev eth1 --json
lab_exec dst "$LAB_TOOL" udp-send "$LAB_HOST4" 5999 8 >/dev/null
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 4 >/dev/null # dropped before any device
sleep 0.2
t_stop "$T_BG_PID"
t_is "$(jq -r '[.drops[] | select(.reason == "NO_SOCKET") | .count] | add' "$T_TMP/dev")" 8 "--dev keeps drops on that interface"
t_is "$(jq -r '[.drops[] | select(.reason == "NETFILTER_DROP")] | length' "$T_TMP/dev")" 0 "--dev leaves out drops on no interface"

# --- missing filesystems: the tool mounts bpffs and tracefs itself (in a private mount namespace)
unshare -m sh -c "umount /sys/fs/bpf 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null;
	umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null;
	'$DROPSCOPE' trace --attach tracepoint --pin '$PIN' -d 0.5 --json" >"$T_TMP/mnt" 2>"$T_TMP/mnt.err"
t_is "$?" 0 "with bpffs and tracefs unmounted, trace mounts them and runs"
t_is "$(jq -r '.attach' "$T_TMP/mnt")" tracepoint "and the classic tracepoint attached"

# --- bad input: one line, non-zero exit
bad() # DESCRIPTION EXPECTED-STATUS PATTERN ARGS...
{
	local d=$1 want=$2 pat=$3
	shift 3
	"$@" >"$T_TMP/bad.out" 2>"$T_TMP/bad.err"
	local rc=$?
	t_is "$rc" "$want" "$d: exit $want"
	if [ "$(wc -l <"$T_TMP/bad.err")" -eq 1 ] && grep -q -- "$pat" "$T_TMP/bad.err"; then
		t_ok 0 "$d: one line naming the problem"
	else
		t_ok 1 "$d: one line naming the problem"
		sed 's/^/#   /' "$T_TMP/bad.err"
	fi
}
bad "unknown namespace" 2 "unknown network namespace 'nope'" "$DROPSCOPE" trace --netns nope -d 1
bad "unknown interface" 2 "no interface 'nope0'" "$DROPSCOPE" trace --netns "$LAB_HOST" --dev nope0 -d 1
bad "bad duration" 2 "bad duration '-3'" "$DROPSCOPE" trace -d -3
bad "zero duration" 2 "bad duration '0'" "$DROPSCOPE" trace -d 0
bad "bad interval" 2 "bad interval 'x'" "$DROPSCOPE" trace -i x
bad "bad port" 2 "bad port '70000'" "$DROPSCOPE" trace --port 70000
bad "bad protocol" 2 "unknown protocol 'foo'" "$DROPSCOPE" trace --proto foo
bad "stray argument" 2 "unexpected argument 'extra'" "$DROPSCOPE" trace extra
bad "not root" 1 "needs root" setpriv --reuid=65534 --regid=65534 --clear-groups "$DROPSCOPE" trace -d 1
bad "pin outside bpffs" 1 "is not on a bpf filesystem" "$DROPSCOPE" trace --pin "$T_TMP/pins" -d 1
bad "no BTF" 1 "has no BTF" unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$DROPSCOPE' trace -d 1"

t_done
