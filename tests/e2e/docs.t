#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --help, the man page and the bash completion agree with the program's own option tables
# (`dropscope help --options CMD`, every option getopt_long accepts): each option is in the
# command's --help, in the rendered page (man -l) and offered by the completion, but for the
# testing knobs the table marks hidden, which none of them shows and README's "For developers"
# lists.
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v man >/dev/null || t_skip_all "man (man-db) is missing"
PAGE="$BUILD/dropscope.8"
COMP="$BUILD/dropscope.bash"
[ -s "$PAGE" ] && [ -s "$COMP" ] || t_skip_all "the man page and completion are not built ('make docs')"
# The testing knobs: the rows the option table marks hidden (`help --options CMD` prints
# "--name hidden"); accepted, shown nowhere, documented in README's "For developers".
hidden()
{
	"$DROPSCOPE" help --options "$1" | awk '$2 == "hidden" { print $1 }'
}
sed -n '/^## For developers/,/^## /p' "$T_TOP/README.md" >"$T_TMP/developers"
t_check "README has a 'For developers' section" test -s "$T_TMP/developers"

MANWIDTH=200 man -l -P cat "$PAGE" >"$T_TMP/page" 2>"$T_TMP/page.err"
t_is "$?" 0 "man -l renders dropscope(8)"
t_is "$(grep -c . "$T_TMP/page.err")" 0 "without a warning"
for sec in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" SIGNALS ENVIRONMENT FILES "SEE ALSO"; do
	t_check "the page has $sec" grep -q "^$sec" "$T_TMP/page"
done
# complete CMD WORD: what the completion offers for WORD after 'dropscope CMD'.
complete_word()
{
	bash -c 'source "$1"; COMP_WORDS=(dropscope $2 "$3"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ));
		_dropscope; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$1" "$2"
}
for cmd in trace show counters probe diagnose demo; do
	t_check "the page has a section for $cmd" grep -q "^ *dropscope $cmd\$" "$T_TMP/page"
	"$DROPSCOPE" help --options "$cmd" | awk 'NF == 1 { print $1 }' | sort -u >"$T_TMP/$cmd.opts"
	t_ge "$(wc -l <"$T_TMP/$cmd.opts")" 3 "$cmd: its option table"
	"$DROPSCOPE" help "$cmd" >"$T_TMP/$cmd.help"
	for where in help page completion; do
		missing=
		while read -r opt; do
			case $where in
			help) grep -q -- "$opt\b" "$T_TMP/$cmd.help" ;;
			page) grep -q -- "$opt\b" "$T_TMP/page" ;;
			completion) grep -qx -- "$opt" <(complete_word "$cmd" "$opt") ;;
			esac || missing="$missing $opt"
		done <"$T_TMP/$cmd.opts"
		t_is "$missing" "" "$cmd: every option it accepts is in its $where"
	done
	for opt in $(hidden "$cmd"); do
		t_check "$cmd: the testing knob $opt is not in --help" eval "! grep -q -- '$opt' '$T_TMP/$cmd.help'"
		t_check "$cmd: the testing knob $opt is in README's 'For developers'" \
			grep -q -- "$cmd $opt\b" "$T_TMP/developers"
	done
done
t_is "$(complete_word "" di)" diagnose "the completion offers the commands"
t_is "$(complete_word help pro)" probe "and 'help' the commands"
t_done
