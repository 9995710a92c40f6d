#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The command line every command shares: one line and exit 2 for an unknown option or a missing
# value; -N is --netns (-n is mtr's --no-dns); -v and -j where they mean something; `dropscope
# help [CMD]` and `dropscope version`.
. "$(dirname "$0")/../lib.sh"
t_need_root

for cmd in trace show counters probe diagnose demo; do
	t_bad "$cmd: an unknown option" 2 "unknown option '--bogus'; see 'dropscope $cmd --help'" \
		"$DROPSCOPE" "$cmd" --bogus
	t_bad "$cmd: an unknown letter" 2 "unknown option '-Q'" "$DROPSCOPE" "$cmd" -Q
	"$DROPSCOPE" help "$cmd" >"$T_TMP/help.$cmd"
	t_is "$?" 0 "help $cmd: exit 0"
	"$DROPSCOPE" "$cmd" --help >"$T_TMP/dash.$cmd"
	t_check "help $cmd is $cmd --help" cmp -s "$T_TMP/help.$cmd" "$T_TMP/dash.$cmd"
	t_check "$cmd -h is $cmd --help" cmp -s <("$DROPSCOPE" "$cmd" -h) "$T_TMP/dash.$cmd"
done
for cmd in trace counters diagnose; do
	t_check "$cmd: --help names -N, --netns" grep -q -- '-N, --netns' "$T_TMP/dash.$cmd"
done
t_bad "trace: -N needs a value" 2 "option '-N' needs a value" "$DROPSCOPE" trace -N
t_bad "counters: -n is not --netns" 2 "unknown option '-n'" "$DROPSCOPE" counters -n self
t_bad "counters -N: an unknown namespace" 2 "no-such-ns" "$DROPSCOPE" counters -N no-such-ns -d 1
t_bad "probe: -c needs a value" 2 "option '-c' needs a value" "$DROPSCOPE" probe -c
t_bad "diagnose: --duration needs a value" 2 "option '--duration' needs a value" \
	"$DROPSCOPE" diagnose 127.0.0.1 --duration
t_bad "help of an unknown command" 2 "unknown command 'nope'" "$DROPSCOPE" help nope
t_bad "an unknown letter in a group, after a long option" 2 "unknown option '-Q'" \
	"$DROPSCOPE" trace --json -Qj
t_bad "a value for an option that takes none" 2 "option '--json' takes no value" \
	"$DROPSCOPE" probe --json=1 127.0.0.1
t_bad "an ambiguous prefix" 2 "ambiguous option '--d'" "$DROPSCOPE" trace --d 1
# Abbreviations getopt accepts are named in full, never as a letter they do not have.
t_bad "an abbreviation missing its value" 2 "option '--dev' needs a value" "$DROPSCOPE" trace --de
t_bad "an abbreviation whose option has a letter" 2 "option '--duration' needs a value" \
	"$DROPSCOPE" trace --dur
t_bad "an abbreviation given a value it takes none of" 2 "option '--no-retrans' takes no value" \
	"$DROPSCOPE" trace --no-r=1
t_bad "probe: an abbreviation missing its value" 2 "option '--output' needs a value" \
	"$DROPSCOPE" probe --outp
t_bad "help --options takes one command" 2 "unexpected argument 'extra'" \
	"$DROPSCOPE" help --options trace extra
t_bad "demo --list with an unknown option" 2 "unknown option '--bogus'" "$DROPSCOPE" demo --list --bogus
t_bad "demo --list runs no scenario" 2 "unexpected argument 'x'" "$DROPSCOPE" demo -l x
t_bad "version takes no argument" 2 "unexpected argument 'x'" "$DROPSCOPE" version x
t_bad "help takes one command" 2 "unexpected argument 'y'" "$DROPSCOPE" help trace y
"$DROPSCOPE" help help >/dev/null
t_is "$?" 0 "help help: exit 0"
"$DROPSCOPE" help version >/dev/null
t_is "$?" 0 "help version: exit 0"
"$DROPSCOPE" show -v /nonexistent-dir 2>"$T_TMP/showv.err"
t_check "show takes -v" eval "! grep -q \"unknown option\" \"$T_TMP/showv.err\""

"$DROPSCOPE" help >"$T_TMP/help"
t_is "$?" 0 "help: exit 0"
for cmd in trace show counters probe diagnose demo help version; do
	t_check "help names $cmd" grep -q "^  $cmd " "$T_TMP/help"
done

"$DROPSCOPE" version >"$T_TMP/version"
t_is "$?" 0 "version: exit 0"
t_check "version: dropscope's" grep -q '^dropscope [0-9]' "$T_TMP/version"
t_check "version: libbpf's" grep -q '^libbpf ' "$T_TMP/version"
t_check "version: the kernel's BTF" grep -q '^kernel BTF: ' "$T_TMP/version"
t_check "--version is version" cmp -s <("$DROPSCOPE" --version) "$T_TMP/version"

# -j and -v where they mean something (probe to loopback only).
"$DROPSCOPE" probe -j -v -n -c 2 127.0.0.1 >"$T_TMP/p.json" 2>/dev/null
t_is "$?" 0 "probe -j -v: exit 0 (loopback loses nothing)"
t_is "$(jq -r .address "$T_TMP/p.json")" 127.0.0.1 "probe -j: JSON"
"$DROPSCOPE" counters -v -j -d 0.5 >"$T_TMP/c.json" 2>/dev/null
t_is "$?" 0 "counters -v: accepted"
t_check "counters -j: JSON" jq -e . "$T_TMP/c.json"

t_done
