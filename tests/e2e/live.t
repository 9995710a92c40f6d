#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Live progress on a terminal: probe redraws its hop table while it probes (as mtr does) and
# diagnose redraws a status line each second; neither appears in a pipe or with --json. The
# terminal is a pseudo-terminal from script(1); the probes go to loopback only.
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v script >/dev/null || t_skip_all "script(1) is missing (bsdutils)"

# on_tty OUT CMD...: CMD with its stdout on a terminal, everything it wrote into OUT.
on_tty()
{
	local out=$1
	shift
	timeout 60 script -qec "$(printf '%q ' "$@")" /dev/null >"$out" 2>&1 </dev/null
}

on_tty "$T_TMP/p.tty" "$DROPSCOPE" probe -n -c 20 127.0.0.1
t_ge "$(grep -c 'dropscope probe 127.0.0.1: ' "$T_TMP/p.tty")" 2 "probe on a terminal: the table redrawn while it probes"
t_check "probe on a terminal: the final report last" grep -q 'No loss to the destination' <(tail -n 3 "$T_TMP/p.tty")
"$DROPSCOPE" probe -n -c 10 127.0.0.1 >"$T_TMP/p.pipe" 2>/dev/null
t_is "$(grep -c 'dropscope probe 127.0.0.1: ' "$T_TMP/p.pipe")" 0 "probe in a pipe: no live view"
t_is "$(grep -c $'\033' "$T_TMP/p.pipe")" 0 "probe in a pipe: no escape sequence"
on_tty "$T_TMP/pj.tty" "$DROPSCOPE" probe -n -c 10 --json 127.0.0.1
t_is "$(grep -c 'dropscope probe 127.0.0.1: ' "$T_TMP/pj.tty")" 0 "probe --json on a terminal: no live view"

on_tty "$T_TMP/d.tty" "$DROPSCOPE" diagnose -n -d 4 127.0.0.1
t_ge "$(grep -o '\[ *[0-9]* s of 4\] [0-9]* probes\? sent, [0-9]* of [0-9]* to the destination lost; this server dropped [0-9]* of the prober.s packets; so far: ' "$T_TMP/d.tty" | wc -l)" 2 \
	"diagnose on a terminal: a status line each second"
t_check "diagnose on a terminal: the probes sent grow" \
	test "$(grep -o '[0-9]* probes sent' "$T_TMP/d.tty" | tail -n1 | cut -d' ' -f1)" -gt 0
t_check "diagnose on a terminal: then the report" grep -q '^verdict: none' <(tr -d '\r' <"$T_TMP/d.tty")
"$DROPSCOPE" diagnose -n -d 2 127.0.0.1 >"$T_TMP/d.pipe" 2>/dev/null
t_is "$(grep -c 'so far: ' "$T_TMP/d.pipe")" 0 "diagnose in a pipe: no status line"
on_tty "$T_TMP/dj.tty" "$DROPSCOPE" diagnose -n -d 2 --json 127.0.0.1
t_is "$(grep -c 'so far: ' "$T_TMP/dj.tty")" 0 "diagnose --json on a terminal: no status line"

t_done
