# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the probe_*.t tests (sourced after tests/lib.sh).

# Clean up on every exit, a skip included (tests/lib.sh made T_TMP already).
trap t_cleanup EXIT

# probe_lab ROUTERS: every lab test's start: root, a lab of ROUTERS routers torn down on exit,
# and O, the file the tests write dropscope's JSON to.
probe_lab()
{
	t_need_root
	t_need nft # the faults are nft rules
	lab_create "$1" || t_skip_all "could not build the lab"
	O=$T_TMP/out.json
}

# probe_json OUT ARGS...: dropscope probe -n --json ARGS from the lab's host into OUT; returns
# dropscope's exit status (stderr goes to OUT.err). A 3 s timeout (the default is 3x the worst
# round trip, 1 s at least): on a loaded machine a reply 1 s late is not the path's loss.
probe_json()
{
	local out=$1
	shift
	lab_exec host "$DROPSCOPE" probe -n --json --timeout 3 "$@" >"$out" 2>"$out.err"
}

# probe_text OUT ARGS...: the same with the text report.
probe_text()
{
	local out=$1
	shift
	lab_exec host "$DROPSCOPE" probe -n --timeout 3 "$@" >"$out" 2>"$out.err"
}

# lacks FILE PATTERN: FILE has no line matching the (basic) regular expression.
lacks() { ! grep -q -- "$2" "$1"; }

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

# paris_watch NODE: sets on NODE's forward hook that collect every distinct value, in what it
# forwards from the host's side, of the fields routers hash for ECMP: addresses and protocol,
# the first four transport bytes (ports; ICMP type, code and checksum), the IPv6 flow label.
paris_watch()
{
	lab_nft "$1" "table inet paris {
		set a4 { typeof ip saddr . ip daddr . meta l4proto; size 4096; }
		set a6 { typeof ip6 saddr . ip6 daddr . meta l4proto; size 4096; }
		set fl { typeof ip6 flowlabel; size 4096; }
		set l4 { typeof @th,0,32; size 4096; }
		chain paris_fw { type filter hook forward priority 0; policy accept;
			iifname \"eth0\" meta nfproto ipv4 add @a4 { ip saddr . ip daddr . meta l4proto }
			iifname \"eth0\" meta nfproto ipv6 add @a6 { ip6 saddr . ip6 daddr . meta l4proto }
			iifname \"eth0\" meta nfproto ipv6 add @fl { ip6 flowlabel }
			iifname \"eth0\" add @l4 { @th,0,32 }
		}
	}"
}

# paris_reset NODE: empty the sets.
paris_reset()
{
	local s
	for s in a4 a6 fl l4; do
		lab_exec "$1" nft flush set inet paris $s
	done
}

# paris_count NODE SET: how many distinct values the set collected.
paris_count()
{
	lab_exec "$1" nft -j list set inet paris "$2" | jq '[.nftables[].set.elem // empty] | add | length'
}
