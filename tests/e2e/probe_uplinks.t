#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A server with two uplinks chooses where its probes leave and from which address, as with mtr's
# -I and -a: every probe socket (raw send, ICMP, TCP, the UDP/TCP port), IPv4 and IPv6.
#
# Lab: host - r1 - r2 - dst, and a second link host eth2 - r1 eth2 (10.77.50.0/24,
# fd77:0:0:50::/64). The host's routes go by eth1; a default route by eth2 of a higher metric is
# used only by what is bound to eth2.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
probe_lab 2

a="l${LAB_ID}u2"
b="l${LAB_ID}v2"
ip link add "$a" type veth peer name "$b" || t_skip_all "cannot add a second uplink"
ip link set "$a" netns "$LAB_HOST" name eth2
ip link set "$b" netns "$(lab_ns r1)" name eth2
ip -n "$LAB_HOST" addr add 10.77.50.1/24 dev eth2
ip -n "$LAB_HOST" -6 addr add fd77:0:0:50::1/64 dev eth2 nodad
ip -n "$(lab_ns r1)" addr add 10.77.50.2/24 dev eth2
ip -n "$(lab_ns r1)" -6 addr add fd77:0:0:50::2/64 dev eth2 nodad
ip -n "$LAB_HOST" link set eth2 up
ip -n "$(lab_ns r1)" link set eth2 up
ip -n "$LAB_HOST" route add default via 10.77.50.2 dev eth2 metric 100
ip -n "$LAB_HOST" -6 route add default via fd77:0:0:50::2 dev eth2 metric 100
ip -n "$(lab_ns r2)" route add 10.77.50.0/24 via 10.77.1.1
ip -n "$(lab_ns r2)" -6 route add fd77:0:0:50::/64 via fd77:0:0:1::1
lab_until 10 lab_exec host ping -c 1 -W 1 -I eth2 "$LAB_DST4" >/dev/null ||
	t_skip_all "the second uplink does not carry traffic"

hop1() { jq -r '.hops[0].hosts[0].address' "$1"; }
probe_json "$O" -c 10 "$LAB_DST4"
t_is "$(hop1 "$O")" "$LAB_HOP4_1" "by default: out of eth1 (hop 1 is r1's eth0)"

for proto in icmp udp tcp; do
	probe_json "$O" -I eth2 --proto $proto -c 10 "$LAB_DST4"
	t_is "$(jq -r .source "$O")" 10.77.50.1 "-I eth2 $proto: the source is eth2's address"
	t_is "$(hop1 "$O")" 10.77.50.2 "-I eth2 $proto: hop 1 is r1 across eth2"
	t_is "$(jq -r '.reached, .end_to_end.loss_pct' "$O" | tr '\n' ' ')" "true 0 " "-I eth2 $proto: reached, no loss"
done
probe_json "$O" -6 -I eth2 -c 10 "$LAB_DST6"
t_is "$(jq -r .source "$O")" fd77:0:0:50::1 "-I eth2 -6: the source is eth2's address"
t_is "$(hop1 "$O")" fd77:0:0:50::2 "-I eth2 -6: hop 1 is r1 across eth2"
t_is "$(jq -r .reached "$O")" true "-I eth2 -6: reached"

# -a alone: routed by the destination (out of eth1) but from eth2's address; r1 counts them.
lab_nft r1 'table inet lab_src {
	chain c { type filter hook prerouting priority 0; ip saddr 10.77.50.1 iifname "eth0" counter; }
}'
probe_json "$O" -a 10.77.50.1 -c 10 "$LAB_DST4"
t_is "$(jq -r .source "$O")" 10.77.50.1 "-a 10.77.50.1: the source"
t_ge "$(lab_nft_counter r1 lab_src)" 20 "-a 10.77.50.1: the probes carry it (r1 counted them on eth0)"
t_is "$(jq -r .reached "$O")" true "-a 10.77.50.1: reached (the answers come back by eth2)"
probe_json "$O" -6 -a fd77:0:0:50::1 -I eth2 -c 10 "$LAB_DST6"
t_is "$(jq -r '.source, .reached' "$O" | tr '\n' ' ')" "fd77:0:0:50::1 true " "-a and -I together, IPv6"

# Out of eth2 but from eth1's address: the answers come back by eth1 (an asymmetric path); the
# sockets that read them are not bound to eth2, so none is lost.
lab_nft r1 'table inet lab_asym {
	chain c { type filter hook prerouting priority 0; ip saddr 10.77.0.1 iifname "eth2" counter; }
}'
probe_json "$O" -I eth2 -a 10.77.0.1 -c 10 "$LAB_DST4"
t_ge "$(lab_nft_counter r1 lab_asym)" 20 "-I eth2 -a (eth1's address): the probes leave by eth2 (r1 counted them there)"
t_is "$(jq -r '.source, .reached, .end_to_end.loss_pct' "$O" | tr '\n' ' ')" "10.77.0.1 true 0 " \
	"-I eth2 -a (eth1's address): the answers, back by eth1, are all read"

# diagnose takes them too.
lab_exec host "$DROPSCOPE" diagnose -I eth2 -d 3 -n --json "$LAB_DST4" >"$T_TMP/d.json" 2>/dev/null
t_is "$(jq -r '.verdict, .network.hops[0].hosts[0].address' "$T_TMP/d.json" | tr '\n' ' ')" "none 10.77.50.2 " \
	"diagnose -I eth2: probes by eth2, a clean verdict"

t_bad "-I: an interface that is not there" 2 "failed to send by interface 'nosuch0'" \
	lab_exec host "$DROPSCOPE" probe -I nosuch0 -c 1 "$LAB_DST4"
t_bad "-a: an address that is not this host's" 2 "not an address of this host" \
	lab_exec host "$DROPSCOPE" probe -a 10.77.99.9 -c 1 "$LAB_DST4"
t_bad "-a: an IPv6 address with -4" 2 "is IPv6 and -4 asks for IPv4" \
	lab_exec host "$DROPSCOPE" probe -4 -a fd77:0:0:50::1 -c 1 "$LAB_DST4"
t_bad "-a: not an address" 2 "failed to parse --address 'nope'" "$DROPSCOPE" probe -a nope 127.0.0.1

# MDA's first hop (--flows): the host's own route tells its next hops. One next hop: hop 1 needs
# one flow. A route to dst over both uplinks: MDA's flows there, 6 for the one address seen, as
# the host hashes by addresses only (fib_multipath_hash_policy 0, set here: the namespace's
# own, not left to a default), so every flow takes the same uplink and 8 flows meet the rule.
# (With ports in the hash, on a kernel that sees a raw probe's ports, the flows could split, r1
# answer from two addresses, and 8 flows fall short of the 11 that two need.)
lab_sysctl host net.ipv4.fib_multipath_hash_policy 0
t_is "$(lab_exec host sysctl -n net.ipv4.fib_multipath_hash_policy)" 0 \
	"the host namespace hashes multipath routes by addresses only"
probe_json "$O" -T --flows 8 -c 16 "$LAB_DST4"
t_is "$(hop_get "$O" 1 .mda_flows_needed)" 1 \
	"--flows, one next hop in the host's route: hop 1 needs one flow"
ip -n "$LAB_HOST" route add "$LAB_DST4/32" nexthop via "$LAB_HOP4_1" dev eth1 \
	nexthop via 10.77.50.2 dev eth2
probe_json "$O" -T --flows 8 -c 16 "$LAB_DST4"
t_ge "$(hop_get "$O" 1 .mda_flows_needed)" 6 \
	"--flows, a multipath route from the host: hop 1 needs MDA's flows"
t_is "$(jq -r .multipath.mda_complete "$O")" true "and gets them (8 flows)"
t_done
