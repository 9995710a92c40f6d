#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope monitor's bad input and faults: a taken --listen port, a missing or read-only
# --textfile directory, pins of an older layout, no bpffs, a busy pin directory, an ICMP drop
# flood read whole, SIGKILL mid-run then a start with --keep that recovers every count, SIGHUP
# reloading the targets without losing counts, -N all's netns label, and a target a reload
# removes no longer probed from then on (not to the segment's end).
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft reason:NETFILTER_DROP
BPFLOAD="${BUILD:-build}/tests/helpers/bpfload"
[ -x "$BPFLOAD" ] || t_skip_all "$BPFLOAD is not built"
trap t_cleanup EXIT

lab_create 1 || t_skip_all "could not build the lab"
PIN=/sys/fs/bpf/dstest-mfault-$$
t_on_exit "\"$DROPSCOPE\" monitor --remove --pin-dir $PIN >/dev/null 2>&1; rm -rf $PIN"

PORT=$(t_free_port 1) || t_skip_all "no free loopback port"

# metric NAME_AND_LABELS: its value in a fresh scrape of the monitor on $PORT.
metric()
{
	curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v s="$1" '$1 == s { print $2 }'
}
DROPS='dropscope_kernel_drops_total{reason="NETFILTER_DROP",category="policy"}'
drops() { lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 "$1" >/dev/null; }
nft_count() { lab_nft_counter host lab_host_output; }

start_monitor() # OUT ARGS...
{
	local out=$1
	shift
	"$DROPSCOPE" monitor -N "$LAB_HOST" --pin-dir "$PIN" --listen "127.0.0.1:$PORT" "$@" \
		>"$out" 2>"$out.err" &
	MON=$!
	t_on_exit "kill -9 $MON"
	t_wait_ready "$out.err"
}

# Bad input: one line, exit 2.
t_bad "a bad --listen" 2 "bad --listen '9377': expected ADDR:PORT" "$DROPSCOPE" monitor --listen 9377
t_bad "a missing --textfile directory" 2 "bad --textfile '$T_TMP/nowhere': not a directory" \
	"$DROPSCOPE" monitor --textfile "$T_TMP/nowhere"
t_bad "an unknown namespace" 2 "unknown network namespace 'dstest-none-$$'" \
	"$DROPSCOPE" monitor -N "dstest-none-$$" --pin-dir "$PIN"
t_bad "--remove with a target" 2 "--remove takes only --pin-dir" "$DROPSCOPE" monitor --remove 192.0.2.1
t_bad "--remove with -N" 2 "--remove takes only --pin-dir" "$DROPSCOPE" monitor --remove -N all --pin-dir "$PIN"
printf 'ok.example\nnot ok\n' >"$T_TMP/bad.conf"
t_bad "a config with a bad target" 2 "$T_TMP/bad.conf: line 2: bad target 'not ok'" \
	"$DROPSCOPE" monitor --config "$T_TMP/bad.conf" --pin-dir "$PIN"
t_bad "a pin directory not on a bpf filesystem" 2 "is not on a bpf filesystem" \
	"$DROPSCOPE" monitor --pin-dir "$T_TMP/pins"
t_check "which was not created" eval "! test -e '$T_TMP/pins'"

# The --listen port taken: one line, exit 1, and the pins made meanwhile are gone again.
"$LAB_TOOL" tcp-listen 127.0.0.1 "$PORT" 1 >"$T_TMP/squat" &
SQUAT=$!
t_on_exit "kill $SQUAT"
lab_wait_file "$T_TMP/squat" ready 5
t_bad "the --listen port taken" 1 "failed to listen on 127.0.0.1:$PORT: the port is taken" \
	"$DROPSCOPE" monitor --listen "127.0.0.1:$PORT" --pin-dir "$PIN"
t_check "leaves no pins" eval "! test -e '$PIN'"
kill "$SQUAT"
wait "$SQUAT" 2>/dev/null

# A read-only textfile directory: one line, exit 1.
mkdir "$T_TMP/ro"
if mount --bind "$T_TMP/ro" "$T_TMP/ro" && mount -o remount,bind,ro "$T_TMP/ro"; then
	t_on_exit "umount '$T_TMP/ro'"
	t_bad "a read-only --textfile directory" 1 "failed to write $T_TMP/ro/dropscope.prom: Read-only file system" \
		"$DROPSCOPE" monitor --textfile "$T_TMP/ro" --pin-dir "$PIN"
	umount "$T_TMP/ro"
	# Going read-only while it runs: said once, and once more when it works again; the
	# monitor goes on serving.
	start_monitor "$T_TMP/midrun" --textfile "$T_TMP/ro" --interval 1
	t_check "the monitor writes its textfile" test -s "$T_TMP/ro/dropscope.prom"
	mount --bind "$T_TMP/ro" "$T_TMP/ro" && mount -o remount,bind,ro "$T_TMP/ro"
	sleep 3.5
	t_is "$(grep -c "failed to write $T_TMP/ro/dropscope.prom: Read-only file system" "$T_TMP/midrun.err")" 1 \
		"a textfile directory that turns read-only is said once in three failed writes"
	t_check "the monitor goes on" t_running "$MON"
	umount "$T_TMP/ro"
	lab_wait_file "$T_TMP/midrun.err" "writing $T_TMP/ro/dropscope.prom again" 5
	t_ok $? "and once more when it can write again"
	kill -TERM "$MON"
	t_wait "$MON" 10
else
	t_diag "skipped the read-only textfile: cannot make a read-only bind mount here"
fi

# The textfile's temporary file is a new one of the monitor's own: a symlink planted where a
# predictable name would be (the monitor's pid is 1 in a pid namespace) is not followed.
if command -v unshare >/dev/null; then
	mkdir "$T_TMP/tf"
	echo mine >"$T_TMP/victim"
	for p in 1 2; do ln -s "$T_TMP/victim" "$T_TMP/tf/.dropscope.prom.$p"; done
	unshare --pid --fork --kill-child "$DROPSCOPE" monitor --pin-dir "$PIN" --textfile "$T_TMP/tf" \
		--interval 1 >"$T_TMP/tf.out" 2>&1 &
	UNS=$!
	t_on_exit "kill -9 $UNS"
	lab_wait_file "$T_TMP/tf.out" attached 10
	sleep 1.5
	kill -TERM "$(pgrep -P "$UNS")" # the monitor, which then removes its pins
	t_wait "$UNS" 10
	t_is "$(cat "$T_TMP/victim")" mine "a planted symlink's target is left alone"
	t_check "the textfile is a regular file" test -f "$T_TMP/tf/dropscope.prom" -a ! -L "$T_TMP/tf/dropscope.prom"
	t_is "$(stat -c %a "$T_TMP/tf/dropscope.prom")" 644 "readable by node_exporter"
	t_is "$(ls -A "$T_TMP/tf" | grep -vc '^\.dropscope\.prom\.[12]$')" 1 "and no temporary file is left"
else
	t_diag "skipped the planted symlink: unshare is missing"
fi

# Pins of an older layout (version 2: no totals map, a shorter stats): --remove removes them,
# saying so once; a monitor replaces them, saying so.
old_pins()
{
	mkdir -m 0700 "$PIN"
	"$BPFLOAD" map "$PIN/meta" array 4 32 ds_meta
	bpftool map update pinned "$PIN/meta" key 0 0 0 0 value 2 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 \
		0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
	"$BPFLOAD" map "$PIN/stats" percpu_array 4 56 ds_stats
}
old_pins
"$DROPSCOPE" monitor --remove --pin-dir "$PIN" >"$T_TMP/rmold" 2>&1
t_is "$?" 0 "--remove over pins of an older layout"
sed 's/^/#   /' "$T_TMP/rmold"
t_check "says it removes them" grep -q "removing the pins in $PIN (meta, stats) of a dropscope with layout version 2" "$T_TMP/rmold"
t_is "$(grep -c "nothing of a monitor's pinned" "$T_TMP/rmold")" 0 "and not that nothing was there"
t_check "and removes them" eval "! test -e '$PIN'"
mkdir -m 0700 "$PIN"
"$BPFLOAD" map "$PIN/meta" array 4 32 ds_meta
bpftool map update pinned "$PIN/meta" key 0 0 0 0 value 2 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 \
	0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
"$BPFLOAD" map "$PIN/stats" percpu_array 4 56 ds_stats
"$BPFLOAD" map "$PIN/drops" percpu_array 4 48 drop_slot
old_id=$(bpftool -j map show pinned "$PIN/stats" | jq -r .id)
lab_host_drop output 'udp dport 9999'
start_monitor "$T_TMP/old"
t_ok $? "a monitor starts over pins of an older layout"
t_check "replacing them, and saying so" grep -q "replacing the pins in $PIN (meta, drops, stats) of a dropscope with layout version 2 (ours is 3)" "$T_TMP/old.err"
t_check "with its own maps" test "$(bpftool -j map show pinned "$PIN/stats" | jq -r .id)" != "$old_id"

# A second monitor on the same pin directory is refused while the first runs.
t_bad "a busy pin directory" 1 "pin directory $PIN is in use by dropscope (pid $MON)" \
	"$DROPSCOPE" monitor --pin-dir "$PIN"

# Watched events: the server's ICMP drops are read from the pinned ring buffer.
lab_host_drop output 'meta l4proto icmp'
lab_exec host ping -c 3 -i 0.2 -W 1 "$LAB_DST4" >/dev/null 2>&1
# The monitor's ring buffer is 256 KiB (README's pinned maps: 2 x 256 KiB of the monitor's RSS,
# the kernel maps its data twice), not trace --events' 1 MiB.
t_is "$(bpftool -j map show pinned "$PIN/events" | jq -r .max_entries)" 262144 \
	"the monitor's events ring buffer holds 256 KiB"
# A flood of them (~100k/s for 2 s, each a watched event): the ring buffer, read in batches and
# woken a quarter full (64 KiB, ~270 events), is drained as it fills, and loses none.
lost0=$(metric dropscope_events_lost_total) read0=$(metric dropscope_monitor_events_read_total)
flood=$(lab_exec host "$LAB_TOOL" icmp-flood "$LAB_DST4" 2 100000)
sent=$(echo "$flood" | awk '{ print $2 }') wall=$(echo "$flood" | awk '{ print $4 }')
if [ -n "$sent" ] && awk -v n="$sent" -v w="$wall" 'BEGIN { exit !(n / w >= 80000) }'; then
	sleep 0.5
	t_is "$(metric dropscope_events_lost_total)" "$lost0" \
		"an ICMP drop flood ($flood) loses no watched event"
	t_ge "$(metric dropscope_monitor_events_read_total)" $((read0 + sent * 9 / 10)) \
		"and the monitor reads them"
else
	t_diag "skipped the ICMP drop flood: this machine sent '$flood', under 80000 a second"
fi
lab_exec host nft delete table inet lab_host_output
lab_host_drop output 'udp dport 9999'
t_ge "$(metric dropscope_monitor_events_read_total)" 3 "the monitor reads the watched events of the server's ICMP drops"
base=$(metric "$DROPS") # those pings were NETFILTER_DROP too

# SIGHUP rereads the config; the counts stay.
drops 7
t_is "$(metric "$DROPS")" $((base + 7)) "the monitor counts the drops"
kill -9 "$MON"
wait "$MON" 2>/dev/null # reaped here, quietly
printf '# two targets\n192.0.2.1\n192.0.2.2 # the second\n' >"$T_TMP/mon.conf"
start_monitor "$T_TMP/hup" --config "$T_TMP/mon.conf" --keep
t_check "a monitor started after a SIGKILL adopts its pins" grep -q "reusing the pins in $PIN" "$T_TMP/hup.err"
t_is "$(metric "$DROPS")" $((base + 7)) "and its counts"
t_is "$(metric dropscope_monitor_targets)" 2 "the config's two targets"
# Its prober process (one for both targets) killed: said once, not once a target.
for i in $(seq 1 50); do
	child=$(pgrep -P "$MON" | head -n1)
	[ -n "$child" ] && break
	sleep 0.1
done
if [ -n "$child" ]; then
	kill -9 "$child"
	lab_wait_file "$T_TMP/hup.err" "the prober's process failed: it ended" 5
	sleep 2.5 # two ticks: each target's segment has seen it
	t_is "$(grep -c prober "$T_TMP/hup.err")" 1 "a killed prober process is said once for its 2 targets" ||
		t_diag "$(grep prober "$T_TMP/hup.err")"
else
	t_diag "skipped the killed prober process: the monitor has no child"
fi
printf '192.0.2.1\n192.0.2.2\n192.0.2.3\n' >"$T_TMP/mon.conf"
kill -HUP "$MON"
lab_wait_file "$T_TMP/hup.err" "reloaded $T_TMP/mon.conf: 3 targets" 5
t_ok $? "SIGHUP rereads the config"
t_is "$(metric dropscope_monitor_targets)" 3 "three targets now"
t_is "$(metric dropscope_monitor_reloads_total)" 1 "one reload counted"
t_check "the monitor still runs" t_running "$MON"
t_is "$(metric "$DROPS")" $((base + 7)) "the drop count survives the reload"
printf '192.0.2.1\nbad target\n' >"$T_TMP/mon.conf"
kill -HUP "$MON"
lab_wait_file "$T_TMP/hup.err" "reload failed: keeping the 3 targets of before" 5
t_ok $? "a bad config on SIGHUP keeps the targets of before, saying so"
t_is "$(metric dropscope_monitor_targets)" 3 "still three"

# SIGKILL mid-run, drops while nothing runs, then a start with --keep: every count is there.
drops 11
kill -9 "$MON"
wait "$MON" 2>/dev/null # reaped here, quietly
drops 13
start_monitor "$T_TMP/kill" --keep
t_check "after SIGKILL, a start with --keep adopts the pins" grep -q "reusing the pins in $PIN" "$T_TMP/kill.err"
t_is "$(nft_count)" 31 "the nft rule dropped 31"
t_is "$(metric "$DROPS")" $((base + 31)) "the monitor has all 31, the 13 made while none ran too"
# The programs' run counts move only while kernel.bpf_stats_enabled is 1 (a global knob:
# restored on exit).
stats0=$(sysctl -n kernel.bpf_stats_enabled)
t_on_exit "sysctl -qw kernel.bpf_stats_enabled=$stats0"
sysctl -qw kernel.bpf_stats_enabled=0
runs0=$(metric 'dropscope_bpf_run_count_total{program="kfree_skb"}')
t_is "$(metric dropscope_bpf_stats_enabled)" 0 "bpf_stats_enabled 0 is said"
sysctl -qw kernel.bpf_stats_enabled=1
t_is "$(metric dropscope_bpf_stats_enabled)" 1 "and 1"
drops 5
t_ge "$(metric 'dropscope_bpf_run_count_total{program="kfree_skb"}')" $((runs0 + 5)) \
	"with bpf_stats_enabled 1, the drop program's run count grows with the drops"
sysctl -qw kernel.bpf_stats_enabled="$stats0"
base=$((base + 5))

# Other tools read the totals map: short, and its reason's entry is the count.
nf=$(t_reason_value NETFILTER_DROP)
bpftool -j map dump pinned "$PIN/totals" >"$T_TMP/totals.json"
t_is "$(jq length "$T_TMP/totals.json")" 512 "bpftool's dump of the totals map has 512 entries"
t_is "$(jq --argjson r "$nf" '[.[] | select(.formatted.key == $r) | .formatted.values[].value.packets] | add' "$T_TMP/totals.json")" \
	$((base + 31)) "and NETFILTER_DROP's, summed over the CPUs, is the count"
kill -TERM "$MON"
t_wait "$MON" 10
t_check "a --keep monitor that stops leaves its pins" test -e "$PIN/link_kfree_skb"
"$DROPSCOPE" show "$PIN" --json >"$T_TMP/show" 2>"$T_TMP/show.err"
t_is "$?" 0 "show reads a kept monitor's pins"
t_is "$(grep -c frozen "$T_TMP/show.err")" 0 "and does not call their counts frozen: the program is still attached"
t_check "and gives the time they cover" test "$(jq -r .duration_s "$T_TMP/show")" != null

# A start that fails on its port or its textfile directory leaves a kept monitor's pins as they
# were: attached, with their counts.
kept_link=$(bpftool -j link show pinned "$PIN/link_kfree_skb" | jq -r .id)
kept_totals=$(bpftool -j map show pinned "$PIN/totals" | jq -r .id)
kept_pins() { # DESCRIPTION
	t_check "$1: the link stays pinned" test "$(bpftool -j link show pinned "$PIN/link_kfree_skb" 2>/dev/null | jq -r .id)" = "$kept_link"
	t_check "$1: and the counts" test "$(bpftool -j map show pinned "$PIN/totals" 2>/dev/null | jq -r .id)" = "$kept_totals"
}
"$LAB_TOOL" tcp-listen 127.0.0.1 "$PORT" 1 >"$T_TMP/squat2" &
SQUAT=$!
t_on_exit "kill $SQUAT"
lab_wait_file "$T_TMP/squat2" ready 5
t_bad "over kept pins, the --listen port taken" 1 "failed to listen on 127.0.0.1:$PORT: the port is taken" \
	"$DROPSCOPE" monitor -N "$LAB_HOST" --listen "127.0.0.1:$PORT" --pin-dir "$PIN"
kept_pins "a start failing on its port"
kill "$SQUAT"
wait "$SQUAT" 2>/dev/null
if mount --bind "$T_TMP/ro" "$T_TMP/ro" && mount -o remount,bind,ro "$T_TMP/ro"; then
	t_bad "over kept pins, a read-only --textfile directory" 1 "failed to write $T_TMP/ro/dropscope.prom: Read-only file system" \
		"$DROPSCOPE" monitor -N "$LAB_HOST" --textfile "$T_TMP/ro" --pin-dir "$PIN"
	umount "$T_TMP/ro"
	kept_pins "a start failing on its textfile directory"
else
	t_diag "skipped the read-only textfile over kept pins: cannot make a read-only bind mount here"
fi

# Another namespace filter: the pins are replaced, saying why; -N all has a netns label.
"$DROPSCOPE" monitor -N all --pin-dir "$PIN" --listen "127.0.0.1:$PORT" >"$T_TMP/all" 2>"$T_TMP/all.err" &
MON=$!
t_on_exit "kill -9 $MON"
t_wait_ready "$T_TMP/all.err"
t_check "pins of another namespace filter are replaced, saying why" grep -q "replacing the pins in $PIN .*: they count namespace" "$T_TMP/all.err"
drops 5
t_is "$(metric "dropscope_kernel_drops_total{netns=\"$LAB_HOST\",reason=\"NETFILTER_DROP\",category=\"policy\"}")" 5 \
	"-N all: the drops carry the namespace's name"
# The pins alone hold the links: removing the drop program's detaches it, and the gauge says so.
t_is "$(metric dropscope_tracer_attached)" 1 "the tracer is attached"
t_is "$(for f in /proc/$MON/fd/*; do readlink "$f"; done | grep -c 'bpf_link')" 0 \
	"the monitor holds no link descriptor of its own"
rm "$PIN/link_kfree_skb"
t_is "$(metric dropscope_tracer_attached)" 0 "its link pin removed, the tracer is no longer attached"
kill -TERM "$MON"
t_wait "$MON" 10
t_is "$(ls -A "$PIN" 2>/dev/null)" "" "a monitor without --keep removes its pins (the directory, not its own, stays)"

# A target a reload removes is probed no more, at once: not to the end of the segment (30 s)
# under way; the other target in the same prober process goes on.
lab_nft host "table inet dstest_to_r1 {
	chain output { type filter hook output priority 0; policy accept;
		ip daddr $LAB_HOP4_1 meta l4proto icmp counter; }
}"
lab_nft host "table inet dstest_to_dst {
	chain output { type filter hook output priority 0; policy accept;
		ip daddr $LAB_DST4 meta l4proto icmp counter; }
}"
printf '%s\n%s\n' "$LAB_DST4" "$LAB_HOP4_1" >"$T_TMP/rm.conf"
DROPSCOPE_SEGMENT_S=30 start_monitor "$T_TMP/rm" --config "$T_TMP/rm.conf"
for i in $(seq 1 50); do
	[ "$(lab_nft_counter host dstest_to_r1)" -ge 20 ] && break
	sleep 0.1
done
t_ge "$(lab_nft_counter host dstest_to_r1)" 20 "r1 is probed"
printf '%s\n' "$LAB_DST4" >"$T_TMP/rm.conf"
kill -HUP "$MON"
lab_wait_file "$T_TMP/rm.err" "reloaded $T_TMP/rm.conf: 1 target" 5
t_ok $? "a reload removes r1"
# Its probes in flight settle (1 s), and the process hears of it at its next second.
sleep 2.5
r1a=$(lab_nft_counter host dstest_to_r1) dsta=$(lab_nft_counter host dstest_to_dst)
sleep 3
t_is "$(lab_nft_counter host dstest_to_r1)" "$r1a" "r1, removed, is probed no more (3 s later)"
t_ge "$(lab_nft_counter host dstest_to_dst)" $((dsta + 20)) "the other target goes on"
t_check "the monitor still runs" t_running "$MON"
kill -TERM "$MON"
t_wait "$MON" 10

# No bpffs mounted: the monitor mounts one (in a mount namespace of this test's own).
if command -v unshare >/dev/null; then
	unshare -m --propagation private sh -c '
		while grep -q " /sys/fs/bpf bpf " /proc/self/mounts; do umount /sys/fs/bpf || exit 9; done
		"$1" monitor --pin-dir /sys/fs/bpf/dstest-nobpffs >"$2" 2>&1 &
		pid=$!
		for i in $(seq 1 100); do grep -q attached "$2" && break; sleep 0.1; done
		grep -q " /sys/fs/bpf bpf " /proc/self/mounts && echo mounted >>"$2"
		kill $pid; wait $pid' _ "$DROPSCOPE" "$T_TMP/nobpffs"
	t_check "without bpffs, the monitor mounts it and starts" grep -q attached "$T_TMP/nobpffs"
	t_check "bpffs is mounted" grep -q '^mounted$' "$T_TMP/nobpffs"
else
	t_diag "skipped no-bpffs: unshare is missing"
fi
t_done
