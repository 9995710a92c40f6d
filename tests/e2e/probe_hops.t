#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope probe on a healthy lab (host - r1 - r2 - r3 - dst, ICMP rate limiting off): the hop
# list equals what mtr -n --report finds, over IPv4 and IPv6 and with every probe protocol; no
# loss anywhere, so every probe is answered, no hop is flagged and there is no loss origin.
# On the wire, every probe r1 forwards carries the same ECMP-hashed fields (Paris traceroute).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
command -v mtr >/dev/null || t_skip_all "mtr is not installed (scripts/deps.sh installs mtr-tiny)"
probe_lab 3
paris_watch r1 || t_skip_all "nft cannot build the dynamic sets the Paris check needs"

# The check can fail: ping varies its ICMP checksum from one echo request to the next.
lab_exec host ping -c 3 -i 0.2 -q "$LAB_DST4" >/dev/null
t_ge "$(paris_count r1 l4)" 2 "ping: the Paris check sees its varying checksums"


for fam in 4 6; do
	if [ $fam = 4 ]; then dst=$LAB_DST4; else dst=$LAB_DST6; fi
	want=$(mtr_hops -$fam "$dst" | paste -sd' ')
	t_diag "mtr -$fam: $want"
	# (The lab's own IPv6 variables are not in canonical form; count, and check IPv4 exactly.)
	t_is "$(echo "$want" | wc -w)" 4 "v$fam: mtr finds the lab's four hops (the reference)"
	[ $fam = 4 ] && t_is "$want" "$LAB_HOP4_1 $LAB_HOP4_2 $LAB_HOP4_3 $LAB_DST4" \
		"v4: mtr's hops are the lab's routers and destination"

	for proto in icmp udp tcp; do
		case $proto in
		udp) count=30 want_dst=2 ;; # the destination is paced for udp
		*) count=20 want_dst=40 ;;  # two destination probes a round
		esac
		paris_reset r1
		probe_json "$O" -$fam --proto $proto -c $count "$dst"
		t_is "$?" 0 "v$fam $proto: exit 0"
		t_is "$(paris_count r1 a$fam) $(paris_count r1 l4)" "1 1" \
			"v$fam $proto: one address/protocol and one transport-header tuple on the wire"
		[ $fam = 6 ] && t_is "$(paris_count r1 fl)" 1 "v6 $proto: one flow label on the wire"
		got=$(hop_addrs "$O" | paste -sd' ')
		t_is "$got" "$want" "v$fam $proto: hop list equals mtr's"
		t_is "$(jq -r '.reached' "$O")" true "v$fam $proto: destination reached"
		t_is "$(jq -r '.protocol' "$O")" $proto "v$fam $proto: protocol reported"
		t_is "$(jq -r '.family' "$O")" ipv$fam "v$fam $proto: family reported"
		t_is "$(jq -r '[.hops[] | .all_sent - .all_received] | add' "$O")" 0 \
			"v$fam $proto: healthy lab: every probe answered"
		t_is "$(jq -r '[.hops[] | select(.rate_limited)] | length' "$O")" 0 \
			"v$fam $proto: no hop flagged rate-limited"
		t_is "$(jq -r '.loss_origin' "$O")" null "v$fam $proto: no loss origin"
		t_is "$(jq -r '.hops[-1].destination' "$O")" true "v$fam $proto: last row is the destination"
		t_ge "$(jq -r '.end_to_end.sent' "$O")" $want_dst \
			"v$fam $proto: at least $want_dst destination probes"
		t_is "$(hop_get "$O" 1 '.sent')" $count "v$fam $proto: hop 1 probed once a round"
		t_is "$(jq -r '[.replies_ignored[]] | add' "$O")" 0 \
			"v$fam $proto: no unmatched, duplicate or late replies"
		t_is "$(jq -r '.hops[0].hosts[0].reply' "$O")" time_exceeded \
			"v$fam $proto: hop 1 answers time exceeded"
		case $proto in
		icmp) want_reply=echo_reply ;;
		udp) want_reply=unreachable ;;
		tcp) want_reply=tcp_rst ;; # nothing listens on port 80
		esac
		t_is "$(jq -r '.hops[-1].hosts[0].reply' "$O")" $want_reply \
			"v$fam $proto: the destination answers $want_reply"
		[ $proto = udp ] && t_is "$(jq -r '.hops[-1].hosts[0].icmp_code' "$O")" \
			$([ $fam = 4 ] && echo 3 || echo 4) "v$fam udp: port unreachable code"
		# udp's paced destination gets few samples: the report says what they can tell.
		if [ $proto = udp ]; then
			t_check "v$fam udp: few destination samples, only large loss detectable" \
				in_range "$(jq -r .end_to_end.min_detectable_loss_pct "$O")" 20 100
		else
			t_check "v$fam $proto: 40 destination samples tell 10% loss from none" \
				in_range "$(jq -r .end_to_end.min_detectable_loss_pct "$O")" 0 10
		fi
	done
done

# The text report warns when the destination's samples are that few (udp).
probe_text "$T_TMP/out.txt" --proto udp -c 20 "$LAB_DST4"
t_check "udp: the text report warns that the destination samples are few" \
	grep -qE '^Only [0-9]+ probes to the destination \(its udp answers are rate-limited ICMP.*--proto icmp or tcp\.$' \
	"$T_TMP/out.txt"
probe_text "$T_TMP/out.txt" -c 20 "$LAB_DST4"
t_check "icmp: no such warning with 40 samples" lacks "$T_TMP/out.txt" "^Only "

# --first-ttl / --max-ttl: rows start at the first TTL; a path longer than max-ttl is not reached.
probe_json "$O" --first-ttl 2 -c 10 "$LAB_DST4"
t_is "$(jq -r '[.hops[].ttl] | map(tostring) | join(" ")' "$O")" "2 3 4" "--first-ttl 2: rows 2..4"
probe_json "$O" --max-ttl 2 -c 10 "$LAB_DST4"
t_is "$(jq -r '.reached' "$O")" false "--max-ttl 2: destination not reached"
t_is "$(hop_addrs "$O" | paste -sd' ')" "$LAB_HOP4_1 $LAB_HOP4_2" "--max-ttl 2: the two hops"

t_done
