#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bash completion for dropscope from the program's own help: the options each command's --help
# lists are the ones completed. Usage: gen-completion.sh BUILD/dropscope
set -eu
ds=$1
cmds="trace show counters probe diagnose demo monitor help version"
cat <<'HEAD'
# bash completion for dropscope(8); generated from 'dropscope help COMMAND'
_dropscope()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd= i opts
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $cmd in
HEAD
printf "\t'') opts='-v --verbose --color= --help --version %s' ;;\n" "$cmds"
for c in trace show counters probe diagnose demo monitor; do
	# The options of the lines that define them ("  -d, --duration S", "      --dev IF")
	# and of the usage lines ("usage: ...", and their continuations "   [--port N] ...").
	text=$("$ds" help "$c") # whole first: set -e does not see a failure inside a pipe
	opts=$(printf '%s\n' "$text" | grep -E '^usage:|^ +(-|\[)' |
		sed -E 's/^ +(-([^ ]| [^ ])*).*/ \1/' |
		grep -oE '(^|[ [,|])--?[a-zA-Z0-9][a-zA-Z0-9-]*' | sed 's/^[ [,|]//' | sort -u |
		tr '\n' ' ')
	printf "\t%s) opts='%s' ;;\n" "$c" "$opts"
done
printf "\thelp) opts='trace show counters probe diagnose demo monitor version' ;;\n"
cat <<'TAIL'
	*) opts= ;;
	esac
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _dropscope dropscope
TAIL
