#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope trace beyond the counts: the event stream and its rate limit, pinned maps and
# `show`, TCP retransmissions, clean exits on signals, the no-reason fallback, filters, and one
# clear line plus a non-zero exit for every bad input.
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft reason:NETFILTER_DROP reason:NO_SOCKET
trap t_cleanup EXIT

lab_create 1 || t_skip_all "could not build the lab"
PIN="/sys/fs/bpf/dstest-$LAB_ID"
PIN2="$PIN-2"
t_on_exit "rm -rf $PIN $PIN2"
BPFLOAD="$BUILD/tests/helpers/bpfload"
lab_host_drop output 'udp dport 9999'

# start OUT ARGS...: dropscope trace in the background, waiting for its ready marker.
start()
{
	local out=$1
	shift
	t_start_bg "$out" "$DROPSCOPE" trace "$@"
	t_wait_ready "$out.err"
}

# locations_named DESC LOCATION...: each is a kernel function's name, as /proc/kallsyms lists
# it (an +offset or [module] the tool might add is stripped), not a bare 0x address.
awk '{ print $3 }' /proc/kallsyms >"$T_TMP/ksyms"
locations_named()
{
	local d=$1 l bad=
	shift
	for l in "$@"; do
		l=${l%%+*}
		l=${l%% *}
		[[ $l != 0x* && $l != null ]] && grep -qxF -- "$l" "$T_TMP/ksyms" || bad="$bad $l"
	done
	[ $# -gt 0 ] && [ -z "$bad" ]
	t_ok $? "$d (${*:-no location}${bad:+; not function names:$bad})"
}

# prog_ids PID: the BPF programs process PID holds (program and link fds say which).
prog_ids() { grep -h '^prog_id' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u; }

# ctx_offsets PID: the offsets PID's tp_btf program loads from its context (argument i at
# 8 i), from the verified program: the register the context is kept in is the one the
# first instruction copies r1 to.
ctx_offsets()
{
	local id ctx
	for id in $(prog_ids "$1"); do
		[ "$(bpftool -j prog show id "$id" | jq -r .name)" = kfree_skb_btf ] || continue
		bpftool prog dump xlated id "$id" >"$T_TMP/xlated"
		ctx=$(sed -n 's/^ *0: (bf) \(r[0-9]*\) = r1$/\1/p' "$T_TMP/xlated")
		[ -n "$ctx" ] || ctx=r1
		sed -n "s/.*= \*(u64 \*)($ctx +\([0-9]*\))\$/\1/p" "$T_TMP/xlated" | sort -un | tr '\n' ' '
	done
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
locations_named "events name the function that dropped" \
	$(grep '"ts_ns"' "$T_TMP/ev" | jq -r 'select(.reason == "NETFILTER_DROP") | .location' | sort -u)
locations_named "and so does the summary" \
	$(tail -n1 "$T_TMP/ev" | jq -r '.drops[] | select(.reason == "NETFILTER_DROP") | .location' | sort -u)

start "$T_TMP/nev" --netns "$LAB_HOST" --proto udp --json
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 5 >/dev/null
sleep 0.3
t_stop "$T_BG_PID"
locations_named "trace --json names the function that dropped" \
	$(tail -n1 "$T_TMP/nev" | jq -r '.drops[] | select(.reason == "NETFILTER_DROP") | .location' | sort -u)

# A live table whose second location first shows after some refreshes (it reads the names
# of its locations as they come): each location as a run that read them all at its end has it.
start "$T_TMP/live" --netns "$LAB_HOST" --proto udp -i 0.1
LIVE=$T_BG_PID
start "$T_TMP/livej" --netns "$LAB_HOST" --proto udp --json
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 5 >/dev/null
sleep 0.5
lab_exec dst "$LAB_TOOL" udp-send "$LAB_HOST4" 5999 3 >/dev/null
sleep 0.5
t_stop "$LIVE"
t_stop "$T_BG_PID"
got=$(awk '/^REASON/ { f = 1; next } f && /^$/ { exit } f && /^[A-Z]/ { r = $1 }
	f && /^    / && !/LOCATION/ && (r == "NETFILTER_DROP" || r == "NO_SOCKET") { print r, $NF }' "$T_TMP/live" | sort -u)
want=$(jq -r '.drops[] | select(.reason == "NETFILTER_DROP" or .reason == "NO_SOCKET") | "\(.reason) \(.location)"' \
	"$T_TMP/livej" | sort -u)
t_is "$(wc -l <<<"$got")" 2 "the live table has the two drops' locations"
t_is "$got" "$want" "each named as a run that read all names at its end names it"
locations_named "names of kernel functions" $(awk '{ print $2 }' <<<"$got")

# Without CAP_SYSLOG, kernel addresses read as 0: locations print as addresses, and the run
# still succeeds.
if ! setpriv --bounding-set=-syslog true 2>/dev/null; then
	t_diag "skipped locations without CAP_SYSLOG: setpriv cannot drop it from the bounding set"
elif [ "$(setpriv --bounding-set=-syslog awk 'NR == 1 { print $1 }' /proc/kallsyms | tr -d 0)" ]; then
	t_diag "skipped locations without CAP_SYSLOG: this kernel shows addresses without it (kptr_restrict)"
else
	t_start_bg "$T_TMP/nosys" setpriv --bounding-set=-syslog "$DROPSCOPE" trace --netns "$LAB_HOST" \
		--proto udp --json
	t_wait_ready "$T_TMP/nosys.err"
	lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 5 >/dev/null
	sleep 0.3
	t_stop "$T_BG_PID"
	wait "$T_BG_PID"
	t_is "$?" 0 "without CAP_SYSLOG, trace still succeeds"
	loc=$(tail -n1 "$T_TMP/nosys" | jq -r '.drops[] | select(.reason == "NETFILTER_DROP") | .location' | sort -u)
	t_check "and prints the location as an address ($loc)" grep -Eqx '0x[0-9a-f]+' <<<"$loc"
fi

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

# The rate itself: a 2 s flood on one CPU lets through one burst (a second's worth) and then
# exactly the rate, however the drops are spaced.
start "$T_TMP/rate" --netns "$LAB_HOST" --proto udp --events --events-rate 50 --json
flood=$(lab_exec host taskset -c 0 "$LAB_TOOL" udp-flood "$LAB_DST4" 9999 2)
t_stop "$T_BG_PID"
wall=$(echo "$flood" | awk '{ print $6 }')
ev=$(grep -c '"ts_ns"' "$T_TMP/rate")
want=$(awk -v w="$wall" 'BEGIN { printf "%d", 50 + 50 * w }')
t_is "$(grep '"ts_ns"' "$T_TMP/rate" | jq -r .cpu | sort -u | tr '\n' ' ')" "0 " "the flood dropped on CPU 0"
t_ge "$ev" $((want - 5)) "--events-rate 50 for a ${wall} s flood: $ev events, about $want (burst + rate x time)"
t_ge $((want + 5)) "$ev" "and no more than that"
t_is $(($(tail -n1 "$T_TMP/rate" | jq -r '.shed_events') + ev)) "$(tail -n1 "$T_TMP/rate" | jq -r '.total')" \
	"events printed plus shed are every drop"

# --- pinned maps: layout with field names, `show`, busy and stale directories, clean removal
mkdir -m 0755 "$PIN" # someone's: the tracer uses it as it is
start "$T_TMP/pin" --netns "$LAB_HOST" --pin "$PIN"
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 42 >/dev/null
sleep 0.3
t_is "$(stat -c %a "$PIN")" 755 "a pin directory that existed keeps its mode (0755)"
t_is "$(stat -c %a "$PIN/drops")" 600 "the pins themselves are root-only (0600)"
t_check "bpftool prints the drops map with its field names" \
	sh -c "bpftool map dump pinned '$PIN/drops' | grep -q '\"reason\":'"
"$DROPSCOPE" show "$PIN" --json >"$T_TMP/show" 2>"$T_TMP/show.err"
t_is "$?" 0 "show reads the pinned maps"
t_is "$(jq -r '[.drops[] | select(.reason == "NETFILTER_DROP") | .count] | add' "$T_TMP/show")" 42 \
	"show counts the 42 drops the running tracer counted"
locations_named "show names the function that dropped" \
	$(jq -r '.drops[] | select(.reason == "NETFILTER_DROP") | .location' "$T_TMP/show" | sort -u)
"$DROPSCOPE" trace --pin "$PIN" -d 1 >/dev/null 2>"$T_TMP/busy.err"
t_is "$?" 1 "a second tracer on the same pin directory fails"
t_check "and says the directory is in use, by whom" grep -q "in use by dropscope (pid $T_BG_PID)" "$T_TMP/busy.err"
t_is "$(wc -l <"$T_TMP/busy.err")" 1 "in one line"
t_check "it fails before loading anything" sh -c "! grep -q attached '$T_TMP/busy.err'"
t_check "the first tracer's pins survive the refused second one" test -e "$PIN/drops"
# Read-only: show needs no write access to the pins (here, without the capabilities that
# let root write anyway).
chmod 0400 "$PIN"/*
setpriv --bounding-set=-dac_override,-dac_read_search "$DROPSCOPE" show "$PIN" --json \
	>"$T_TMP/ro" 2>"$T_TMP/ro.err"
t_is "$?" 0 "show reads pins it may only read (it opens them read-only)"
t_is "$(jq -r '.total' "$T_TMP/ro")" 42 "and counts the 42 drops"
t_stop "$T_BG_PID"
t_check "pins are removed when the tracer stops" test -z "$(ls -A "$PIN")"
t_check "but not a directory it did not create" test -d "$PIN"
t_is "$(stat -c %a "$PIN")" 755 "which still has its mode"
rmdir "$PIN"

# Two tracers started at once on one directory: exactly one wins, and the loser's exit does
# not take the winner's pins with it. A few rounds, since it is a race.
for round in 1 2 3 4; do
	"$DROPSCOPE" trace --pin "$PIN" -d 4 >/dev/null 2>"$T_TMP/c1.err" &
	c1=$!
	"$DROPSCOPE" trace --pin "$PIN" -d 4 >/dev/null 2>"$T_TMP/c2.err" &
	c2=$!
	t_on_exit "kill $c1 $c2"
	for i in $(seq 1 100); do
		kill -0 "$c1" 2>/dev/null && kill -0 "$c2" 2>/dev/null || break
		sleep 0.05
	done
	if ! kill -0 "$c1" 2>/dev/null; then loser=$c1 lerr=c1 winner=$c2 werr=c2; else loser=$c2 lerr=c2 winner=$c1 werr=c1; fi
	wait "$loser"
	t_is "$?" 1 "round $round: of two tracers started at once, one fails"
	t_check "round $round: it says the directory is in use" grep -q "is in use by" "$T_TMP/$lerr.err"
	t_check "round $round: the other one runs" kill -0 "$winner"
	t_wait_ready "$T_TMP/$werr.err" >/dev/null 2>&1
	lab_wait_file "$T_TMP/$werr.err" "maps pinned" 5 2>/dev/null
	t_check "round $round: the winner's pins survive the loser's exit" test -e "$PIN/drops" -a -e "$PIN/meta"
	"$DROPSCOPE" show "$PIN" --json >/dev/null 2>&1
	t_is "$?" 0 "round $round: show reads the winner's maps"
	kill -INT "$winner"
	wait "$winner"
	t_check "round $round: the winner removes its pins when it stops" test ! -e "$PIN"
done

# A tracer in a directory it created makes it root-only and removes it when it stops.
start "$T_TMP/own" --pin "$PIN" -d 1
lab_wait_file "$T_TMP/own.err" "maps pinned" 5
t_is "$(stat -c %a "$PIN")" 700 "a pin directory the tracer creates is root-only (0700)"
wait "$T_BG_PID"
t_check "and removed when it stops" test ! -e "$PIN"

# Someone else's pins under other names are left alone, and so is their directory.
mkdir -m 0750 "$PIN2"
bpftool map create "$PIN2/theirs" type array key 4 value 4 entries 1 name theirs
"$DROPSCOPE" trace --pin "$PIN2" -d 1 >/dev/null 2>"$T_TMP/other.err"
t_is "$?" 0 "a pin directory holding someone else's pins under other names is shared"
t_check "their pin is left alone" test -e "$PIN2/theirs"
t_is "$(ls "$PIN2")" theirs "ours are gone"
t_is "$(stat -c %a "$PIN2")" 750 "and the directory stays, with its mode"
rm -rf "$PIN2"

# Under one of our names, a map that is not provably ours is a clash: refused, left alone.
mkdir -m 0750 "$PIN2"
bpftool map create "$PIN2/stats" type array key 4 value 8 entries 1 name foreign
id=$(bpftool -j map show pinned "$PIN2/stats" | jq -r .id)
"$DROPSCOPE" trace --pin "$PIN2" -d 1 >/dev/null 2>"$T_TMP/foreign.err"
t_is "$?" 1 "a foreign map pinned as DIR/stats is refused"
t_is "$(wc -l <"$T_TMP/foreign.err")" 1 "in one line"
t_check "naming the clash" grep -q "already holds 'stats', which is not dropscope's" "$T_TMP/foreign.err"
t_is "$(bpftool -j map show pinned "$PIN2/stats" | jq -r .id)" "$id" "the foreign map survives"
t_is "$(stat -c %a "$PIN2")" 750 "and so does the directory, with its mode"
# One that looks like ours in all but its BTF, beside a convincing meta, is not ours either.
rm -f "$PIN2/stats"
"$BPFLOAD" map "$PIN2/meta" array 4 32 ds_meta
# abi_version 3, pid 1
bpftool map update pinned "$PIN2/meta" key 0 0 0 0 value 3 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 \
	0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
"$BPFLOAD" map "$PIN2/stats" percpu_array 4 72 their_stats
id=$(bpftool -j map show pinned "$PIN2/stats" | jq -r .id)
"$DROPSCOPE" trace --pin "$PIN2" -d 1 >/dev/null 2>"$T_TMP/foreign2.err"
t_is "$?" 1 "a map of our shape whose BTF names another struct is refused"
t_check "naming it and why" grep -q "holds 'stats', which is not dropscope's (its value is 'their_stats'" "$T_TMP/foreign2.err"
t_is "$(bpftool -j map show pinned "$PIN2/stats" | jq -r .id)" "$id" "and it survives"
t_check "as does the meta beside it" test -e "$PIN2/meta"
rm -rf "$PIN2"

# A show that cannot read the maps says so and fails; it does not print a summary of zeros.
mkdir -m 0700 "$PIN2"
bpftool map create "$PIN2/drops" type array key 4 value 8 entries 4 name drops
bpftool map create "$PIN2/stats" type percpu_array key 4 value 72 entries 1 name stats
bpftool map create "$PIN2/meta" type array key 4 value 32 entries 1 name meta
# abi_version 3, pid 1; alive: its lock is held (by flock(1) here)
bpftool map update pinned "$PIN2/meta" key 0 0 0 0 value 3 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 \
	0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
flock -x "$PIN2" "$DROPSCOPE" show "$PIN2" --json >"$T_TMP/badshow" 2>"$T_TMP/badshow.err"
t_is "$?" 1 "show over a drops map it cannot read fails"
t_is "$(cat "$T_TMP/badshow.err")" "dropscope: failed to read the drops map: Protocol error" \
	"with one line saying which map"
t_is "$(wc -c <"$T_TMP/badshow")" 0 "and prints no summary"
# A meta that says its tracer started after now (boot time 2^64 - 1) is not believed.
rm -f "$PIN2/drops"
bpftool map create "$PIN2/drops" type percpu_array key 4 value 48 entries 8 name drops
bpftool map update pinned "$PIN2/meta" key 0 0 0 0 value 3 0 0 0 1 0 0 0 255 255 255 255 \
	255 255 255 255 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
flock -x "$PIN2" "$DROPSCOPE" show "$PIN2" --json >"$T_TMP/future" 2>"$T_TMP/future.err"
t_is "$?" 0 "show reads maps whose meta says they were pinned in the future"
t_check "says the time is unknown" grep -q "say their tracer started after now" "$T_TMP/future.err"
t_is "$(jq -r .duration_s "$T_TMP/future")" null "and gives no duration"
rm -rf "$PIN2"
"$DROPSCOPE" show "$PIN" >/dev/null 2>"$T_TMP/noshow.err"
t_is "$?" 1 "show without pins fails"
t_check "and says how to make them" grep -q "start a tracer first: dropscope trace --pin" "$T_TMP/noshow.err"

# A tracer killed with SIGKILL leaves stale pins; show reads them (counts frozen, rates
# unknown); the next tracer replaces them.
"$DROPSCOPE" trace --netns "$LAB_HOST" --pin "$PIN" >/dev/null 2>"$T_TMP/k.err" &
kpid=$!
t_wait_ready "$T_TMP/k.err"
lab_wait_file "$T_TMP/k.err" "maps pinned" 5
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 9 >/dev/null
# Both processes: the keeper that holds the pins and the tracer (its child) that counts.
ktracer=$(pgrep -P "$kpid" | tr '\n' ' ')
kill -9 "$kpid" $ktracer
t_wait "$kpid" 10 2>/dev/null
for p in $ktracer; do for _ in $(seq 50); do t_running "$p" || break; sleep 0.1; done; done
"$DROPSCOPE" show "$PIN" --json >"$T_TMP/dead" 2>"$T_TMP/dead.err"
t_is "$?" 0 "show reads the pins of a killed tracer"
t_check "and says it is gone" grep -q "(pid $kpid) is gone" "$T_TMP/dead.err"
t_is "$(jq -r '.total' "$T_TMP/dead")" 9 "with the 9 drops it counted"
t_is "$(jq -r '.duration_s' "$T_TMP/dead")" null "and no duration: it is unknown when the tracer died"
"$DROPSCOPE" show "$PIN" >"$T_TMP/dead.txt" 2>/dev/null
t_check "the table says the rates are unknown" grep -q "over an unknown time (rates unknown)" "$T_TMP/dead.txt"
t_check "and shows no rate for the reason" grep -qE '^NETFILTER_DROP +policy +9 +- ' "$T_TMP/dead.txt"
start "$T_TMP/stale" --pin "$PIN" -d 1
lab_wait_file "$T_TMP/stale.err" "maps pinned" 5
t_check "stale pins of a killed tracer are replaced" grep -q "maps pinned in $PIN" "$T_TMP/stale.err"
t_check "saying so without -v" grep -q "replacing the stale pins in $PIN (meta, drops, stats, ifnames, retrans, totals, events) of a dropscope that is gone (pid $kpid)" "$T_TMP/stale.err"
wait "$T_BG_PID"
t_check "and removed when that tracer stops" test -z "$(ls -A "$PIN")"
rmdir "$PIN"

# Whether the tracer lives comes from its lock on the directory, not from its pid: a tracer in
# another PID namespace has a pid that means nothing here (1: always alive, to kill(2)).
unshare -p -f --mount-proc --kill-child "$DROPSCOPE" trace --pin "$PIN" >/dev/null 2>"$T_TMP/pidns.err" &
upid=$!
t_on_exit "kill -9 $upid"
t_wait_ready "$T_TMP/pidns.err"
lab_wait_file "$T_TMP/pidns.err" "maps pinned" 5
"$DROPSCOPE" show "$PIN" --json >"$T_TMP/pidns" 2>"$T_TMP/pidns.show"
t_is "$?:$(cat "$T_TMP/pidns.show")" 0: "show reads a live tracer's pins from another PID namespace, with no complaint"
t_check "and gives their duration (it lives)" test "$(jq -r .duration_s "$T_TMP/pidns")" != null
inner=$(pgrep -P "$upid")
t_check "the tracer runs as pid 1 of its namespace ($inner here)" grep -q 'pinned by pid 1' <("$DROPSCOPE" show "$PIN" 2>/dev/null)
kill -9 "$inner"
wait "$upid" 2>/dev/null
"$DROPSCOPE" show "$PIN" --json >"$T_TMP/pidns" 2>"$T_TMP/pidns.show"
t_is "$?" 0 "show reads the pins it left when killed"
t_check "and says it is gone, though pid 1 lives" grep -q "(pid 1) is gone" "$T_TMP/pidns.show"
t_is "$(jq -r .duration_s "$T_TMP/pidns")" null "so the counts are frozen, over an unknown time"
rm -rf "$PIN"

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
held=
for sig in TERM INT; do
	start "$T_TMP/sig$sig" --netns "$LAB_HOST" --json
	held="$held $(prog_ids "$T_BG_PID")"
	lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 5 >/dev/null
	sleep 0.2
	kill -"$sig" "$T_BG_PID"
	wait "$T_BG_PID"
	t_is "$?" 0 "SIG$sig: exit status 0"
	t_is "$(jq -r '.total' "$T_TMP/sig$sig")" 5 "SIG$sig: the summary is printed with what was counted"
done
# The programs these two tracers loaded (by id: other tracers may run on this machine) are
# gone once they exit; the kernel frees them after an RCU grace period.
t_ge "$(echo $held | wc -w)" 4 "the tracers held their programs ($(echo $held))"
for i in $(seq 1 40); do
	left=0
	for id in $held; do bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
	[ "$left" -eq 0 ] && break
	sleep 0.1
done
t_is "$left" 0 "no program of a stopped tracer is left loaded"

# --- the fallback for kernels without drop reasons (< 5.17): counted by location, where the
# tp_btf run with reasons (the events run above) found the same drops.
DROPSCOPE_NO_REASON=1 start "$T_TMP/nr" --netns "$LAB_HOST" --proto udp --json
nr_offsets=$(ctx_offsets "$T_BG_PID")
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 12 >/dev/null
sleep 0.2
t_stop "$T_BG_PID"
# (jq 1.6 reads "module" as a keyword: spell the key out.)
want=$(tail -n1 "$T_TMP/ev" | jq -c '[.drops[] | select(.reason == "NETFILTER_DROP") | {reason: "UNKNOWN", location, "module": .module}] | unique')
t_check "the tp_btf run found the firewall drops at one location ($want)" \
	test "$(jq length <<<"$want")" = 1 -a "$(jq -r '.[0].location' <<<"$want")" != null
t_is "$(jq -c '[.drops[] | select(.count == 12) | {reason, location, "module": .module}]' "$T_TMP/nr")" "$want" \
	"without reasons, drops are told apart by their location (as tp_btf with reasons saw it)"
t_check "a location is a function's name alone (a module goes in its own field)" \
	sh -c "! jq -r '.drops[].location' '$T_TMP/nr' | grep -q ' '"
# Before 5.17 the tracepoint has two arguments and the verifier rejects any read of a third:
# without reasons, the tp_btf program must not read ctx[2] (offset 16) at all.
start "$T_TMP/wr" --netns "$LAB_HOST" -d 1
wr_offsets=$(ctx_offsets "$T_BG_PID")
wait "$T_BG_PID"
t_check "with reasons, tp_btf reads the reason (offset 16; it read: $wr_offsets)" \
	grep -qw 16 <<<"$wr_offsets"
t_is "$nr_offsets" "$(tr ' ' '\n' <<<"$wr_offsets" | grep -vx -e 16 -e '' | tr '\n' ' ')" \
	"without, it reads the same but never the reason's slot"

# --- filters run in the kernel: port and host
start "$T_TMP/flt" --netns "$LAB_HOST" --port 9999 --host "$LAB_DST4" --json
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 4 >/dev/null
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST6" 9999 6 >/dev/null
lab_exec dst "$LAB_TOOL" udp-send "$LAB_HOST4" 5999 8 >/dev/null
sleep 0.2
t_stop "$T_BG_PID"
t_is "$(jq -r '.total' "$T_TMP/flt")" 4 "--port and --host keep only matching drops"
# ICMP's type and code are not ports: --port 8 keeps UDP to port 8, not echo requests (type 8).
lab_nft host 'table inet lab_p8 {
	chain output { type filter hook output priority 0; meta l4proto icmp drop; udp dport 8 drop; }
}'
start "$T_TMP/p8" --netns "$LAB_HOST" --port 8 --json
lab_exec host ping -c 3 -i 0.2 -W 0.3 -q "$LAB_DST4" >/dev/null 2>&1
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 8 2 >/dev/null
sleep 0.2
t_stop "$T_BG_PID"
lab_exec host nft delete table inet lab_p8
t_is "$(jq -c '[.drops[] | {protocol, count}]' "$T_TMP/p8")" '[{"protocol":"udp","count":2}]' \
	"--port 8 counts the 2 datagrams to port 8, not the 3 dropped pings (ICMP type 8)"

# --- the watch filter (diagnose's): the prober's packets, from or to its address, become
# events; other ICMP drops do not. dst drops echo requests from host and from r1.
lab_nft dst 'table inet lab_watch {
	chain input { type filter hook input priority 0; icmp type echo-request drop; }
}'
for watch in "$LAB_HOST4" any; do
	DROPSCOPE_WATCH=$watch start "$T_TMP/w-$watch" --netns "$LAB_DST" --json
	lab_exec host ping -c 3 -i 0.2 -W 0.3 -q "$LAB_DST4" >/dev/null 2>&1
	lab_exec r1 ping -c 4 -i 0.2 -W 0.3 -q "$LAB_DST4" >/dev/null 2>&1
	sleep 0.2
	t_stop "$T_BG_PID"
done
f="$T_TMP/w-$LAB_HOST4"
t_is "$(jq -r '[.drops[] | select(.reason == "NETFILTER_DROP") | .count] | add' <(tail -n1 "$f"))" 7 \
	"dst dropped the 7 echo requests"
t_is "$(grep -c '"watched":true' "$f")" 3 "watching $LAB_HOST4: its 3 pings are events"
t_is "$(grep '"ts_ns"' "$f" | grep -c '"src":"10.77.1.1"')" 0 "r1's pings to the same host are not"
f="$T_TMP/w-any"
t_is "$(grep '"watched":true' "$f" | grep -c '"reason":"NETFILTER_DROP"')" 7 "watching any address: every ICMP drop is"
lab_exec dst nft delete table inet lab_watch
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

# -v says which of this kernel's reasons the category table lacks (none, or a list): any
# kernel passes, a newer one just has a longer list.
"$DROPSCOPE" trace -v -d 0.2 --netns "$LAB_HOST" >/dev/null 2>"$T_TMP/verbose"
t_check "-v reports the reasons the category table lacks" \
	grep -Eq 'the category table knows all [0-9]+ drop reasons|[0-9]+ of this kernel.s [0-9]+ drop reasons are not in the category table' "$T_TMP/verbose"
grep -E 'category table|^dropscope:   ' "$T_TMP/verbose" | sed 's/^/# /'

# -v -v -v shows the verifier's statistics for each program loaded (BPF_LOG_STATS, 5.2+), the
# drop program's among them, whichever variant this kernel takes; -v -v does not ask for them,
# so that a failed load still gets libbpf's retry with the whole log (a kernel that rejects a
# variant, where the tracer falls back to the next, shows that log: it is not counted).
"$DROPSCOPE" trace -v -v -v -d 0.2 --netns "$LAB_HOST" >/dev/null 2>"$T_TMP/vvv"
t_check "-v -v -v prints the verifier's statistics of the drop program" \
	awk '/prog .kfree_skb_[a-z_]*.: -- BEGIN PROG LOAD LOG --/ { in_log = 1; next }
	     /-- END PROG LOAD LOG --/ { in_log = 0 }
	     in_log && /^processed [0-9]+ insns/ { found = 1 }
	     END { exit !found }' "$T_TMP/vvv"
grep -E '^processed [0-9]+ insns|BEGIN PROG LOAD LOG|^verification time' "$T_TMP/vvv" | sed 's/^/# /'
"$DROPSCOPE" trace -v -v -d 0.2 --netns "$LAB_HOST" >/dev/null 2>"$T_TMP/vv"
# logs_of_loaded FILE: how many verifier logs in libbpf's output are of programs that loaded.
logs_of_loaded()
{
	awk 'match($0, /prog \047[^\047]*\047/) { p = substr($0, RSTART + 6, RLENGTH - 7) }
	     /BPF program load failed/ { failed[p] = 1 }
	     /BEGIN PROG LOAD LOG/ { if (!failed[p]) n++; failed[p] = 0 }
	     END { print n + 0 }' "$1"
}
t_is "$(logs_of_loaded "$T_TMP/vv")" 0 "-v -v does not ask the verifier for them (logs of loads that failed aside)"
t_ge "$(logs_of_loaded "$T_TMP/vvv")" 1 "(which tells the logs of loaded programs apart)"

# --- bad input: one line, non-zero exit
t_bad "unknown namespace" 2 "unknown network namespace 'nope'" "$DROPSCOPE" trace --netns nope -d 1
t_bad "unknown interface" 2 "no interface 'nope0'" "$DROPSCOPE" trace --netns "$LAB_HOST" --dev nope0 -d 1
t_bad "bad duration" 2 "bad duration '-3'" "$DROPSCOPE" trace -d -3
t_bad "zero duration" 2 "bad duration '0'" "$DROPSCOPE" trace -d 0
t_bad "hex duration" 2 "bad duration '0x10'" "$DROPSCOPE" trace -d 0x10
t_bad "duration with an exponent" 2 "bad duration '1e2'" "$DROPSCOPE" trace -d 1e2
t_bad "bad interval" 2 "bad interval 'x'" "$DROPSCOPE" trace -i x
t_bad "bad port" 2 "bad port '70000'" "$DROPSCOPE" trace --port 70000
t_bad "bad protocol" 2 "unknown protocol 'foo'" "$DROPSCOPE" trace --proto foo
t_bad "stray argument" 2 "unexpected argument 'extra'" "$DROPSCOPE" trace extra
t_bad "too many keys" 2 "bad --max-keys '65537'" "$DROPSCOPE" trace --max-keys 65537 -d 1
t_bad "bad watch" 2 "bad DROPSCOPE_WATCH" env DROPSCOPE_WATCH=10.0.0.1,udp "$DROPSCOPE" trace -d 1
t_bad "empty pin directory" 2 "bad --pin ''" "$DROPSCOPE" trace --pin= -d 1
t_bad "show of an empty directory name" 2 "bad pin directory ''" "$DROPSCOPE" show ""
# The build may sit where nobody but root can reach it (a checkout under /root): run a copy.
NOBODY_DIR=$(mktemp -d /tmp/dsnobody.XXXXXX)
t_on_exit "rm -rf $NOBODY_DIR"
chmod 0755 "$NOBODY_DIR"
install -m 0755 "$DROPSCOPE" "$NOBODY_DIR/dropscope"
t_bad "not root" 1 "needs CAP_PERFMON and CAP_BPF" setpriv --reuid=65534 --regid=65534 --clear-groups "$NOBODY_DIR/dropscope" trace -d 1
t_bad "pin outside bpffs" 1 "is not on a bpf filesystem" "$DROPSCOPE" trace --pin "$T_TMP/pins" -d 1
t_bad "no BTF" 1 "has no BTF" unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$DROPSCOPE' trace -d 1"

t_done
