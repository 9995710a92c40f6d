#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope trace stays exact under a drop flood: two sendmmsg floods (one per CPU, where there
# are two) into an nft drop rule for 2 s, and the NETFILTER_DROP count dropscope reports equals
# the rule's own counter, in both attach modes, with nothing folded, unaccounted or missed.
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft reason:NETFILTER_DROP
trap t_cleanup EXIT

# The count is NETFILTER_DROP's: a kernel before 5.17 names no reason (its drops are UNKNOWN).
"$DROPSCOPE" version | grep -q '^kfree_skb: with drop reasons' ||
	t_skip_all "this kernel's kfree_skb has no drop reasons (before 5.17)"
lab_create 1 || t_skip_all "could not build the lab"
NCPU=$(nproc)
[ "$NCPU" -gt 2 ] && NCPU=2

# flood_under MODE OUT [ARGS]: trace the host namespace with attach MODE while it floods.
flood_under()
{
	local mode=$1 out=$2 p pids=() c
	shift 2
	lab_exec host nft flush ruleset
	lab_host_drop output 'udp dport 9'
	"$DROPSCOPE" trace --attach "$mode" --netns "$LAB_HOST" "$@" --json >"$out" 2>"$out.err" &
	p=$!
	t_on_exit "t_running $p && kill $p"
	t_wait_ready "$out.err" || return 1
	for c in $(seq 0 $((NCPU - 1))); do
		lab_exec host taskset -c "$c" "$LAB_TOOL" udp-flood "$LAB_DST4" 9 2 18 >"$out.flood$c" &
		pids+=($!)
	done
	for c in "${pids[@]}"; do wait "$c"; done
	t_stop "$p" || return 1
	lab_nft_counter host lab_host_output >"$out.ref"
}

# tp_btf as run by hand (the TCP retransmit programs linked in and attached), the classic
# tracepoint without them.
for mode in tp_btf tracepoint; do
	f="$T_TMP/$mode.json"
	args=()
	[ "$mode" = tracepoint ] && args=(--no-retrans)
	if ! flood_under "$mode" "$f" "${args[@]}"; then
		t_ok 1 "$mode: trace ran through the flood"
		continue
	fi
	t_ok 0 "$mode: trace ran through the flood"
	t_is "$(jq -r '.attach' "$f")" "$mode" "$mode: the requested mode is the one attached"
	ref=$(cat "$f.ref")
	t_ge "$ref" 10000 "$mode: the rule dropped a flood (at least 10000 datagrams in 2 s)"
	t_is "$(jq -r '[.drops[] | select(.reason == "NETFILTER_DROP" and .protocol == "udp") | .count] | add // 0' "$f")" \
		"$ref" "$mode: dropscope's NETFILTER_DROP count equals the nft rule's counter"
	t_is "$(jq -r '[.folded_drops, .unaccounted_drops, .missed_drops] | map(tostring) | join(",")' "$f")" \
		"0,0,0" "$mode: nothing folded, unaccounted or missed"
done
t_done
