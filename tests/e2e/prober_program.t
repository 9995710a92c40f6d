#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The prober's process runs a program of its own (dropscope-prober), not a fork of dropscope:
# the monitor's child and diagnose's are that program, as nobody with no capability; without
# the program (or with one that cannot run) dropscope says where it looked, on one line.
. "$(dirname "$0")/../lib.sh"
t_need_root
trap t_cleanup EXIT
lab_create 1 || t_skip_all "could not build the lab"
PIN=/sys/fs/bpf/dstest-prober-$$
t_on_exit "\"$DROPSCOPE\" monitor --remove --pin-dir $PIN >/dev/null 2>&1; rm -rf $PIN"
PORT=$(t_free_port 1) || t_skip_all "no free loopback port"

# A child of $1 that has become nobody: the prober's process past its privilege drop.
nobody_child()
{
	local c
	for _ in $(seq 1 100); do
		for c in $(pgrep -P "$1"); do
			[ "$(awk '/^Uid:/ { print $2 }' "/proc/$c/status" 2>/dev/null)" = 65534 ] &&
				echo "$c" && return 0
		done
		sleep 0.1
	done
	return 1
}
caps_of() { awk '/^Cap(Eff|Prm|Inh|Amb):/ { printf "%s ", $2 }' "/proc/$1/status"; }
NONE="0000000000000000 0000000000000000 0000000000000000 0000000000000000 "

# --- the monitor's prober process
"$DROPSCOPE" monitor "$LAB_DST4" -N "$LAB_HOST" --pin-dir "$PIN" --listen "127.0.0.1:$PORT" \
	>"$T_TMP/mon.out" 2>"$T_TMP/mon.err" &
MON=$!
t_on_exit "kill -9 $MON"
t_wait_ready "$T_TMP/mon.err"
child=$(nobody_child "$MON")
t_check "monitor: a child that became nobody" test -n "$child"
t_is "$(basename "$(readlink "/proc/${child:-0}/exe" 2>/dev/null)")" dropscope-prober \
	"monitor: it runs the prober's program, not a fork of dropscope"
t_is "$(caps_of "${child:-0}")" "$NONE" "monitor: with no capability in any set"
t_is "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/${child:-0}/status" 2>/dev/null)" \
	"65534 65534 65534 65534" "monitor: every uid nobody's"
# The monitor blocks SIGTERM for its signalfd; the exec keeps a mask, and the program clears
# it: its parent's death (SIGTERM) must reach it.
t_is "$(awk '/^SigBlk:/ { print $2 }' "/proc/${child:-0}/status" 2>/dev/null)" 0000000000000000 \
	"monitor: no signal blocked in it"
kill -TERM "$MON"
t_wait "$MON" 20
t_is "$?" 0 "monitor: ends cleanly with its prober's process"

# --- diagnose's
"$DROPSCOPE" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 3 -n --json >"$T_TMP/d.json" 2>"$T_TMP/d.err" &
dpid=$!
t_on_exit "kill $dpid"
child=$(nobody_child "$dpid")
t_is "$(basename "$(readlink "/proc/${child:-0}/exe" 2>/dev/null)")" dropscope-prober \
	"diagnose: its prober's process runs the prober's program"
t_wait "$dpid" 30
t_is "$?" 0 "diagnose: and its report comes ($(jq -r .verdict "$T_TMP/d.json" 2>/dev/null))"
t_ge "$(jq -r .probes.sent "$T_TMP/d.json" 2>/dev/null)" 10 "diagnose: with the program's probes counted"

# --- dropscope alone, without its program: one line naming where it looked, exit 1
mkdir "$T_TMP/alone"
cp "$DROPSCOPE" "$T_TMP/alone/dropscope"
t_bad "diagnose without the prober's program" 1 \
	"failed to find the prober's program: $T_TMP/alone/dropscope-prober: No such file or directory, $T_TMP/alone/../libexec/dropscope/dropscope-prober: No such file" \
	"$T_TMP/alone/dropscope" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 2 -n
t_bad "monitor without the prober's program" 1 \
	"failed to find the prober's program: $T_TMP/alone/dropscope-prober: No such file" \
	"$T_TMP/alone/dropscope" monitor "$LAB_DST4" -N "$LAB_HOST" --pin-dir "$PIN"
t_check "monitor: which made no pins" eval "! test -e '$PIN'"
install -m 0644 "$BUILD/dropscope-prober" "$T_TMP/alone/dropscope-prober"
t_bad "diagnose with a prober's program that is not executable" 1 \
	"$T_TMP/alone/dropscope-prober: Permission denied" \
	"$T_TMP/alone/dropscope" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 2 -n
# A program of another build: refused at the start, on one line, by what it says when asked
# (the monitor too, before its pins). Stand-ins made with the C compiler.
if command -v cc >/dev/null; then
	printf '#include <unistd.h>\nint main(void) { unsigned b[4] = { 1, 1, 1, 5 }; return write(1, b, 16) != 16; }\n' |
		cc -x c - -o "$T_TMP/alone/dropscope-prober"
	t_bad "diagnose with a program of another build" 1 \
		"the prober's program $T_TMP/alone/dropscope-prober is not of this dropscope's build (layout 00000001, version 1, setup 1 bytes, 5 arguments; ours " \
		"$T_TMP/alone/dropscope" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 2 -n
	t_bad "monitor with a program of another build" 1 "is not of this dropscope's build" \
		timeout -s INT 20 "$T_TMP/alone/dropscope" monitor "$LAB_DST4" -N "$LAB_HOST" --pin-dir "$PIN"
	t_check "monitor: which made no pins" eval "! test -e '$PIN'"
	printf 'int main(void) { return 2; }\n' | cc -x c - -o "$T_TMP/alone/dropscope-prober"
	t_bad "diagnose with a program that does not say its build" 1 \
		"is not of this dropscope's build (asked with --build, it does not say" \
		"$T_TMP/alone/dropscope" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 2 -n
	rm -f "$T_TMP/alone/dropscope-prober"
else
	t_diag "skipped the programs of another build: no C compiler (cc) for the stand-ins"
fi
# Not a file (a directory here): refused as execve would refuse it.
rm -f "$T_TMP/alone/dropscope-prober"
mkdir "$T_TMP/alone/dropscope-prober"
t_bad "diagnose with a directory where the program should be" 1 \
	"$T_TMP/alone/dropscope-prober: Permission denied" \
	"$T_TMP/alone/dropscope" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 2 -n
rmdir "$T_TMP/alone/dropscope-prober"
# Where make install puts it (PREFIX/sbin/dropscope, PREFIX/libexec/dropscope/): found there.
mkdir -p "$T_TMP/prefix/sbin" "$T_TMP/prefix/libexec/dropscope"
cp "$DROPSCOPE" "$T_TMP/prefix/sbin/dropscope"
cp "$BUILD/dropscope-prober" "$T_TMP/prefix/libexec/dropscope/dropscope-prober"
"$T_TMP/prefix/sbin/dropscope" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 2 -n --json \
	>"$T_TMP/inst.json" 2>"$T_TMP/inst.err"
t_is "$?" 0 "diagnose finds the program in PREFIX/libexec/dropscope"
t_ge "$(jq -r .probes.sent "$T_TMP/inst.json" 2>/dev/null)" 5 "and probes with it"
# One that does not start (a script: run from a close-on-exec descriptor, it cannot be read).
printf '#!/bin/sh\nexit 0\n' >"$T_TMP/alone/dropscope-prober"
chmod 0755 "$T_TMP/alone/dropscope-prober"
t_bad "diagnose with a prober's program that does not start" 1 \
	"failed to start the prober's program $T_TMP/alone/dropscope-prober: " \
	"$T_TMP/alone/dropscope" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 2 -n
t_done
