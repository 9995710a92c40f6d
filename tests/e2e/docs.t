#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The man page and the bash completion agree with the program: the page renders (man -l), has a
# section per command holding that command's help, and names every option each --help lists;
# the completion offers every one of them.
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v man >/dev/null || t_skip_all "man (man-db) is missing"
PAGE="$BUILD/dropscope.8"
COMP="$BUILD/dropscope.bash"
[ -s "$PAGE" ] && [ -s "$COMP" ] || t_skip_all "the man page and completion are not built ('make')"

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
	"$DROPSCOPE" help "$cmd" | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u >"$T_TMP/$cmd.opts"
	missing=
	while read -r opt; do
		grep -q -- "$opt" "$T_TMP/page" || missing="$missing $opt"
	done <"$T_TMP/$cmd.opts"
	t_is "$missing" "" "the page names every option of '$cmd --help'"
	missing=
	while read -r opt; do
		grep -qx -- "$opt" <(complete_word "$cmd" "$opt") || missing="$missing $opt"
	done < <(grep -vx -- '--pin\|--help' "$T_TMP/$cmd.opts" | { [ "$cmd" = show ] && grep -v -- '--pin' || cat; })
	t_is "$missing" "" "the completion offers every option of '$cmd --help'"
done
t_is "$(complete_word "" di)" diagnose "the completion offers the commands"
t_is "$(complete_word help pro)" probe "and 'help' the commands"
t_done
