# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the probe_*.t tests (sourced after tests/lib.sh).

# probe_lab ROUTERS: every lab test's start: root, a lab of ROUTERS routers torn down on exit,
# and O, the file the tests write dropscope's JSON to.
probe_lab()
{
	t_need_root
	trap t_cleanup EXIT
	lab_create "$1" || t_skip_all "could not build the lab"
	O=$T_TMP/out.json
}

# probe_json OUT ARGS...: dropscope probe -n --json ARGS from the lab's host into OUT; returns
# dropscope's exit status (stderr goes to OUT.err).
probe_json()
{
	local out=$1
	shift
	lab_exec host "$DROPSCOPE" probe -n --json "$@" >"$out" 2>"$out.err"
}

# hop_get OUT TTL JQ-EXPR: a field of the hop with that TTL (e.g. '.rate_limited').
hop_get() { jq -r --argjson t "$2" ".hops[] | select(.ttl == \$t) | $3" "$1"; }

# hop_addrs OUT: the first responder of every hop, one per line ("???" for a silent hop).
hop_addrs() { jq -r '.hops[] | (.hosts[0].address // "???")' "$1"; }

# lost_from OUT TTL: probes lost at that TTL and beyond (all of them, fast and paced).
lost_from()
{
	jq -r --argjson t "$2" '[.hops[] | select(.ttl >= $t) | .all_sent - .all_received] | add' "$1"
}

# in_range VALUE LO HI: a (possibly fractional) number within [LO, HI].
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; }

# nft_drops NODE TABLE: packets the table's (first) counter dropped.
nft_drops() { lab_nft_counter "$1" "$2"; }

# mtr_hops FAMILY-FLAG TARGET: the hop addresses mtr -n --report finds ("???" as mtr prints).
mtr_hops()
{
	lab_exec host mtr "$1" -n --report -c 3 -i 0.2 "$2" |
		awk '/\|--/ { print $2 }'
}
