# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The namespace lab: a chain of network namespaces joined by veth pairs,
#
#     host --- r1 --- r2 --- ... --- rN --- dst
#
# with its own addresses, routes and forwarding, and helpers that inject faults.
# Source it from bash, then:
#
#     lab_create 3            # three routers; sets the LAB_* variables below
#     trap lab_destroy EXIT   # always tear down, even on failure
#     lab_fwd_loss r2 20      # 20% forwarding loss at r2
#
# Link k joins node k and node k+1 (node 0 is host, node N+1 is dst) and has the subnets
# 10.77.k.0/24 and fd77:0:0:k::/64, the left end .1 / ::1, the right end .2 / ::2.
# In every namespace the interface toward host is eth0 and the one toward dst is eth1
# (host has only eth1, its uplink; dst has only eth0).
#
# Variables set by lab_create:
#   LAB_ID           unique tag, part of every namespace name
#   LAB_ROUTERS      number of routers
#   LAB_HOST         host namespace name;  LAB_DST  destination namespace name
#   LAB_NS_<node>    namespace of host, r1..rN, dst (use lab_ns NODE)
#   LAB_DST4 LAB_DST6  the destination's addresses;  LAB_HOST4 LAB_HOST6 the host's
#   LAB_HOP4_<k>     the address of hop k as seen by traceroute from host (router k's eth0)
#
# Nothing here sends traffic anywhere but inside these namespaces. Every namespace, process and
# rule the lab makes lives inside it and disappears with lab_destroy.

LAB_PIDS=()
LAB_NSES=()

lab_log() { [ -n "${LAB_VERBOSE:-}" ] && echo "# lab: $*" >&2; return 0; }

# lab_ns NODE: the namespace name of host, dst, or rK.
lab_ns()
{
	case "$1" in
	host) echo "$LAB_HOST" ;;
	dst) echo "$LAB_DST" ;;
	r[0-9]* | p[0-9]* | j[0-9]*) echo "lab-$LAB_ID-$1" ;;
	*) echo "lab_ns: unknown node '$1'" >&2; return 1 ;;
	esac
}

# lab_exec NODE CMD...: run a command inside NODE's namespace.
lab_exec()
{
	local ns
	ns=$(lab_ns "$1") || return 1
	shift
	ip netns exec "$ns" "$@"
}

# lab_node_name INDEX: 0 -> host, N+1 -> dst, k -> rk
lab_node_name()
{
	if [ "$1" -eq 0 ]; then echo host
	elif [ "$1" -eq $((LAB_ROUTERS + 1)) ]; then echo dst
	else echo "r$1"
	fi
}

lab_sysctl() # NODE KEY VALUE (quiet; keys absent on old kernels are ignored)
{
	lab_exec "$1" sysctl -qw "$2=$3" 2>/dev/null || true
}

# lab_create [ROUTERS]: build the chain (default 3 routers). On failure nothing is left behind.
lab_create()
{
	lab_build "$@" && return 0
	lab_destroy
	return 1
}

lab_build()
{
	local n=${1:-3} k left right lns rns a b
	LAB_ROUTERS=$n
	LAB_ID="$(printf '%x%04x' $$ $((RANDOM)))"
	LAB_HOST="lab-$LAB_ID-host"
	LAB_DST="lab-$LAB_ID-dst"
	LAB_PIDS=()
	LAB_NSES=()

	for k in $(seq 0 $((n + 1))); do
		lns=$(lab_ns "$(lab_node_name "$k")")
		LAB_NSES+=("$lns")
		ip netns add "$lns" || { echo "lab: cannot create namespace $lns" >&2; return 1; }
		ip -n "$lns" link set lo up
		lab_sysctl "$(lab_node_name "$k")" net.ipv6.conf.all.accept_dad 0
		lab_sysctl "$(lab_node_name "$k")" net.ipv6.conf.default.accept_dad 0
		# A healthy lab: no ICMP rate limiting unless a test asks for it.
		lab_icmp_ratelimit "$(lab_node_name "$k")" 0
	done

	for k in $(seq 0 "$n"); do
		left=$(lab_node_name "$k")
		right=$(lab_node_name $((k + 1)))
		lns=$(lab_ns "$left")
		rns=$(lab_ns "$right")
		a="l${LAB_ID}a$k"
		b="l${LAB_ID}b$k"
		ip link add "$a" type veth peer name "$b" || return 1
		ip link set "$a" netns "$lns" name eth1
		ip link set "$b" netns "$rns" name eth0
		ip -n "$lns" addr add "10.77.$k.1/24" dev eth1
		ip -n "$rns" addr add "10.77.$k.2/24" dev eth0
		ip -n "$lns" -6 addr add "fd77:0:0:$k::1/64" dev eth1 nodad
		ip -n "$rns" -6 addr add "fd77:0:0:$k::2/64" dev eth0 nodad
		ip -n "$lns" link set eth1 up
		ip -n "$rns" link set eth0 up
		eval "LAB_HOP4_$((k + 1))=10.77.$k.2"
		eval "LAB_HOP6_$((k + 1))=fd77:0:0:$k::2"
	done

	LAB_HOST4=10.77.0.1
	LAB_HOST6=fd77:0:0:0::1
	LAB_DST4="10.77.$n.2"
	LAB_DST6="fd77:0:0:$n::2"

	ip -n "$LAB_HOST" route add default via 10.77.0.2
	ip -n "$LAB_HOST" -6 route add default via fd77:0:0:0::2
	ip -n "$LAB_DST" route add default via "10.77.$n.1"
	ip -n "$LAB_DST" -6 route add default via "fd77:0:0:$n::1"
	for k in $(seq 1 "$n"); do
		lns=$(lab_ns "r$k")
		lab_sysctl "r$k" net.ipv4.ip_forward 1
		lab_sysctl "r$k" net.ipv6.conf.all.forwarding 1
		for j in $(seq 0 "$n"); do
			if [ "$j" -lt $((k - 1)) ]; then
				ip -n "$lns" route add "10.77.$j.0/24" via "10.77.$((k - 1)).1"
				ip -n "$lns" -6 route add "fd77:0:0:$j::/64" via "fd77:0:0:$((k - 1))::1"
			elif [ "$j" -gt "$k" ]; then
				ip -n "$lns" route add "10.77.$j.0/24" via "10.77.$k.2"
				ip -n "$lns" -6 route add "fd77:0:0:$j::/64" via "fd77:0:0:$k::2"
			fi
		done
	done
	lab_log "created $LAB_ID with $n routers"
	lab_wait_ready
}

# Wait until the destination answers over IPv4 and IPv6 (links up, neighbours resolvable).
lab_wait_ready()
{
	local i
	for i in $(seq 1 50); do
		if lab_exec host ping -c1 -W1 -q "$LAB_DST4" >/dev/null 2>&1 &&
			lab_exec host ping -6 -c1 -W1 -q "$LAB_DST6" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "lab: destination $LAB_DST4 not reachable after setup" >&2
	return 1
}

# lab_destroy: kill the lab's background processes and delete its namespaces. Idempotent.
lab_destroy()
{
	local p ns
	for p in "${LAB_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${LAB_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	LAB_PIDS=()
	for ns in "${LAB_NSES[@]}"; do
		# Processes still inside (started by hand) would keep it alive: kill them first.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	LAB_NSES=()
}

# lab_bg NODE CMD...: run CMD in NODE's namespace in the background; killed by lab_destroy.
# Sets LAB_LAST_PID.
lab_bg()
{
	local ns
	ns=$(lab_ns "$1") || return 1
	shift
	ip netns exec "$ns" "$@" &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
}

# --- ECMP: a router that splits flows over parallel routers, which rejoin ---------------------
#
#     host --- r1 --- ... --- rS ==< p1, p2, ... pW >== j1 --- ... --- jJ --- dst
#
# lab_create_ecmp S W [J]: S routers in a chain, the last of them (rS) splitting flows by an
# L4 hash (fib_multipath_hash_policy=1, set in rS's namespace: a per-namespace sysctl) over W
# parallel routers p1..pW, which rejoin at j1; J routers (default 1) then lead to dst. Hop k
# (k <= S) is rk; hop S+1 is one of the p's; hop S+2 is j1; dst is hop S+J+2.
# Answers come back by one branch, p1 (LAB_ECMP_RETURN): j1's route to the host.
# Every node has eth0 toward host and eth1 toward dst (rS has b1..bW toward the p's, j1 has
# b1..bW toward them), so lab_fwd_loss works on every node.
#
# Addresses: the chain host..rS 10.78.k.0/24 (link k joins node k and k+1, .1 left, .2 right);
# rS - pi 10.79.i.0/24 (rS .1, pi .2); pi - j1 10.80.i.0/24 (pi .1, j1 .2); j1 .. dst
# 10.81.k.0/24 (link k joins jk and the next). IPv6 the same in fd78:0:0:k::/64, fd79:0:0:i::/64
# and fd81:0:0:k::/64 (::1 and ::2), pi - j1 by link-local addresses only (fe80::1, fe80::2: j1
# answers from its eth1, fd81:0:0:1::1), when the kernel hashes IPv6 flows by their ports too
# (net.ipv6.fib_multipath_hash_policy=1 in rS; LAB_DST6 is empty otherwise). LAB_ECMP_V6 says
# which: "yes", "no-hash" (the sysctl is missing: the kernel cannot), or "broken" (the sysctl
# took, but the IPv6 routes or the first ping failed: a fault in the lab, not the kernel's).
# Sets LAB_ID, LAB_HOST, LAB_DST, LAB_HOST4, LAB_DST4, LAB_HOST6, LAB_DST6, LAB_ECMP_SPLIT (= S),
# LAB_ECMP_WAYS, LAB_ECMP_BRANCH4_<i> and LAB_ECMP_BRANCH6_<i> (pi's address as a hop),
# LAB_ECMP_JOIN4 and LAB_ECMP_JOIN6 (j1's address as a hop).
lab_create_ecmp()
{
	lab_build_ecmp "$@" && return 0
	lab_destroy
	return 1
}

# lab_link LEFT LIFNAME LADDR RIGHT RIFNAME RADDR [LADDR6 RADDR6]: a veth pair between two
# nodes, /24 addresses (and /64 ones).
lab_link()
{
	local lns rns a b
	lns=$(lab_ns "$1") || return 1
	rns=$(lab_ns "$4") || return 1
	LAB_NLINK=$((${LAB_NLINK:-0} + 1))
	a="l${LAB_ID}a$LAB_NLINK"
	b="l${LAB_ID}b$LAB_NLINK"
	ip link add "$a" type veth peer name "$b" || return 1
	ip link set "$a" netns "$lns" name "$2" || return 1
	ip link set "$b" netns "$rns" name "$5" || return 1
	ip -n "$lns" addr add "$3/24" dev "$2"
	ip -n "$rns" addr add "$6/24" dev "$5"
	if [ -n "${7:-}" ]; then
		ip -n "$lns" -6 addr add "$7/64" dev "$2" nodad
		ip -n "$rns" -6 addr add "$8/64" dev "$5" nodad
	fi
	ip -n "$lns" link set "$2" up
	ip -n "$rns" link set "$5" up
}

lab_build_ecmp()
{
	local s=$1 w=$2 jn=${3:-1} k i node nodes=() hops lns nh
	[ "$s" -ge 1 ] && [ "$w" -ge 2 ] && [ "$jn" -ge 1 ] ||
		{ echo "lab_create_ecmp: give S >= 1 routers, W >= 2 ways, J >= 1" >&2; return 1; }
	LAB_ID="$(printf '%x%04x' $$ $((RANDOM)))"
	LAB_HOST="lab-$LAB_ID-host"
	LAB_DST="lab-$LAB_ID-dst"
	LAB_PIDS=()
	LAB_NSES=()
	LAB_NLINK=0
	LAB_ROUTERS=$s
	LAB_ECMP_SPLIT=$s
	LAB_ECMP_WAYS=$w
	LAB_ECMP_RETURN=1
	nodes=(host)
	for k in $(seq 1 "$s"); do nodes+=("r$k"); done
	for i in $(seq 1 "$w"); do nodes+=("p$i"); done
	for k in $(seq 1 "$jn"); do nodes+=("j$k"); done
	nodes+=(dst)
	for node in "${nodes[@]}"; do
		lns=$(lab_ns "$node")
		LAB_NSES+=("$lns")
		ip netns add "$lns" || { echo "lab: cannot create namespace $lns" >&2; return 1; }
		ip -n "$lns" link set lo up
		lab_icmp_ratelimit "$node" 0
		lab_sysctl "$node" net.ipv6.conf.all.accept_dad 0
		lab_sysctl "$node" net.ipv6.conf.default.accept_dad 0
		[ "$node" = host ] || [ "$node" = dst ] && continue
		lab_sysctl "$node" net.ipv4.ip_forward 1
		lab_sysctl "$node" net.ipv6.conf.all.forwarding 1
	done
	# The chain to the splitting router.
	for k in $(seq 0 $((s - 1))); do
		lab_link "$(lab_node_name "$k")" eth1 "10.78.$k.1" "r$((k + 1))" eth0 "10.78.$k.2" \
			"fd78:0:0:$k::1" "fd78:0:0:$k::2" || return 1
		eval "LAB_HOP4_$((k + 1))=10.78.$k.2"
		eval "LAB_HOP6_$((k + 1))=fd78:0:0:$k::2"
	done
	# The parallel routers, and where they rejoin.
	for i in $(seq 1 "$w"); do
		lab_link "r$s" "b$i" "10.79.$i.1" "p$i" eth0 "10.79.$i.2" \
			"fd79:0:0:$i::1" "fd79:0:0:$i::2" || return 1
		# IPv6: link-local only on j1's side, so that j1 answers from one address
		# (Linux sources ICMPv6 errors from the interface the packet came in by).
		lab_link "p$i" eth1 "10.80.$i.1" j1 "b$i" "10.80.$i.2" fe80::1 fe80::2 || return 1
		eval "LAB_ECMP_BRANCH4_$i=10.79.$i.2"
		eval "LAB_ECMP_BRANCH6_$i=fd79:0:0:$i::2"
	done
	LAB_ECMP_JOIN4=10.80.$LAB_ECMP_RETURN.2
	LAB_ECMP_JOIN6=fd81:0:0:1::1
	# The tail to dst.
	for k in $(seq 1 "$jn"); do
		if [ "$k" -eq "$jn" ]; then node=dst; else node="j$((k + 1))"; fi
		lab_link "j$k" eth1 "10.81.$k.1" "$node" eth0 "10.81.$k.2" \
			"fd81:0:0:$k::1" "fd81:0:0:$k::2" || return 1
	done
	LAB_HOST4=10.78.0.1
	LAB_DST4=10.81.$jn.2
	LAB_HOST6=fd78:0:0:0::1
	LAB_DST6=fd81:0:0:$jn::2

	# Toward dst: a default route at every node; toward host: 10.78.0.0/24 back the way it came.
	ip -n "$LAB_HOST" route add default via 10.78.0.2
	for k in $(seq 1 "$s"); do
		# rk's eth0 is on link k-1: back through its left end (r1 is on the host's link).
		[ "$k" -gt 1 ] && ip -n "$(lab_ns "r$k")" route add 10.78.0.0/24 via "10.78.$((k - 1)).1"
		[ "$k" -lt "$s" ] && ip -n "$(lab_ns "r$k")" route add default via "10.78.$k.2"
	done
	nh=()
	for i in $(seq 1 "$w"); do nh+=(nexthop via "10.79.$i.2" dev "b$i"); done
	ip -n "$(lab_ns "r$s")" route add default "${nh[@]}" || return 1
	lab_sysctl "r$s" net.ipv4.fib_multipath_hash_policy 1
	[ "$(lab_exec "r$s" sysctl -n net.ipv4.fib_multipath_hash_policy)" = 1 ] ||
		{ echo "lab: this kernel has no L4 multipath hashing" >&2; return 1; }
	for i in $(seq 1 "$w"); do
		ip -n "$(lab_ns "p$i")" route add default via "10.80.$i.2"
		ip -n "$(lab_ns "p$i")" route add 10.78.0.0/24 via "10.79.$i.1"
	done
	ip -n "$(lab_ns j1)" route add 10.78.0.0/24 via "10.80.$LAB_ECMP_RETURN.1"
	for k in $(seq 1 "$jn"); do
		[ "$k" -lt "$jn" ] && ip -n "$(lab_ns "j$k")" route add default via "10.81.$k.2"
		[ "$k" -gt 1 ] && ip -n "$(lab_ns "j$k")" route add 10.78.0.0/24 via "10.81.$((k - 1)).1"
	done
	ip -n "$LAB_DST" route add default via "10.81.$jn.1"
	LAB_ECMP_V6=yes
	lab_ecmp_routes6 "$s" "$w" "$jn" || LAB_DST6=
	lab_log "created ECMP lab $LAB_ID: $s routers, $w ways, $jn after, IPv6: $LAB_ECMP_V6"
	lab_wait_answer -4 "$LAB_DST4" || return 1
	[ -z "$LAB_DST6" ] || lab_wait_answer -6 "$LAB_DST6" || { LAB_DST6=; LAB_ECMP_V6=broken; }
}

# The ECMP lab's IPv6 routes, as its IPv4 ones; fails if rS cannot hash IPv6 flows' ports
# (LAB_ECMP_V6=no-hash) or a route cannot be added (LAB_ECMP_V6=broken).
lab_ecmp_routes6()
{
	local s=$1 w=$2 jn=$3
	lab_sysctl "r$s" net.ipv6.fib_multipath_hash_policy 1
	[ "$(lab_exec "r$s" sysctl -n net.ipv6.fib_multipath_hash_policy 2>/dev/null)" = 1 ] ||
		{ LAB_ECMP_V6=no-hash; return 1; }
	LAB_ECMP_V6=broken
	lab_ecmp_routes6_add "$s" "$w" "$jn" || return 1
	LAB_ECMP_V6=yes
}

# lab_route6 NODE ROUTE...: ip -6 route add ROUTE in NODE, or say which failed.
lab_route6()
{
	local ns
	ns=$(lab_ns "$1") || return 1
	shift
	ip -n "$ns" -6 route add "$@" && return 0
	echo "lab: ip -6 route add $* in $ns failed" >&2
	return 1
}

lab_ecmp_routes6_add()
{
	local s=$1 w=$2 jn=$3 k i nh
	lab_route6 host default via fd78:0:0:0::2 || return 1
	for k in $(seq 1 "$s"); do
		if [ "$k" -gt 1 ]; then
			lab_route6 "r$k" fd78:0:0:0::/64 via "fd78:0:0:$((k - 1))::1" || return 1
		fi
		if [ "$k" -lt "$s" ]; then
			lab_route6 "r$k" default via "fd78:0:0:$k::2" || return 1
		fi
	done
	nh=()
	for i in $(seq 1 "$w"); do nh+=(nexthop via "fd79:0:0:$i::2" dev "b$i"); done
	lab_route6 "r$s" default "${nh[@]}" || return 1
	for i in $(seq 1 "$w"); do
		lab_route6 "p$i" default via fe80::2 dev eth1 || return 1
		lab_route6 "p$i" fd78:0:0:0::/64 via "fd79:0:0:$i::1" || return 1
	done
	lab_route6 j1 fd78:0:0:0::/64 via fe80::1 dev "b$LAB_ECMP_RETURN" || return 1
	for k in $(seq 1 "$jn"); do
		if [ "$k" -lt "$jn" ]; then
			lab_route6 "j$k" default via "fd81:0:0:$k::2" || return 1
		fi
		if [ "$k" -gt 1 ]; then
			lab_route6 "j$k" fd78:0:0:0::/64 via "fd81:0:0:$((k - 1))::1" || return 1
		fi
	done
	lab_route6 dst default via "fd81:0:0:$jn::1"
}


# Wait until the destination answers over IPv4.
lab_wait_answer() # -4|-6 ADDRESS
{
	local i
	for i in $(seq 1 50); do
		lab_exec host ping "$1" -c1 -W1 -q "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "lab: destination $2 not reachable after setup" >&2
	return 1
}

# --- faults ---------------------------------------------------------------------------------

# lab_nft NODE RULESET: load an nft ruleset into NODE's namespace.
lab_nft()
{
	printf '%s\n' "$2" | lab_exec "$1" nft -f -
}

# lab_fwd_loss ROUTER PERCENT [fwd|rev|both]: drop PERCENT% of the packets ROUTER forwards,
# toward dst (fwd), toward host (rev), or both ways (default).
lab_fwd_loss()
{
	local node=$1 pct=$2 dir=${3:-both} match
	case "$dir" in
	fwd) match='iifname "eth0" ' ;;
	rev) match='iifname "eth1" ' ;;
	both) match='' ;;
	*) echo "lab_fwd_loss: direction must be fwd, rev or both" >&2; return 1 ;;
	esac
	lab_nft "$node" "table inet lab_loss {
		chain forward { type filter hook forward priority 0; policy accept;
			${match}numgen random mod 100 < $pct counter drop; }
	}"
}

# lab_host_drop CHAIN MATCH [PERCENT]: in the host namespace, drop packets matching MATCH
# (an nft expression, e.g. 'meta l4proto icmp') in the input or output chain; all of them, or
# PERCENT% at random.
lab_host_drop()
{
	local chain=$1 match=$2 pct=${3:-100} rnd=''
	[ "$pct" -lt 100 ] && rnd="numgen random mod 100 < $pct "
	lab_nft host "table inet lab_host_$chain {
		chain $chain { type filter hook $chain priority 0; policy accept;
			$match ${rnd}counter drop; }
	}"
}

# lab_nft_counter NODE TABLE: packets counted by the first counter in TABLE (for exact asserts).
lab_nft_counter()
{
	lab_exec "$1" nft list table inet "$2" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -n1
}

# lab_icmp_ratelimit NODE MS: Linux's ICMP error limiter (per destination, burst of about 6),
# for IPv4 and IPv6. 0 disables it; 1000 is the kernel's default.
lab_icmp_ratelimit()
{
	lab_sysctl "$1" net.ipv4.icmp_ratelimit "$2"
	lab_sysctl "$1" net.ipv6.icmp.ratelimit "$2"
	if [ "$2" -eq 0 ]; then
		# The global token bucket too, so that a healthy lab answers every probe.
		lab_sysctl "$1" net.ipv4.icmp_msgs_per_sec 100000
		lab_sysctl "$1" net.ipv4.icmp_msgs_burst 100000
	fi
}

# lab_tiny_qdisc NODE DEV: a tbf qdisc so small that bursts overflow it (QDISC_DROP).
lab_tiny_qdisc()
{
	lab_exec "$1" tc qdisc replace dev "$2" root tbf rate 1mbit burst 1600 limit 1600
}

# The C helpers built by make (tests/helpers/*.c).
LAB_TOOL="${BUILD:-build}/tests/helpers/labtool"

# lab_udp_sink NODE PORT RCVBUF: a UDP socket that never reads, with a tiny receive buffer
# (SOCKET_RCVBUFF once it is full). Waits until it is bound.
lab_udp_sink()
{
	local f
	f=$(mktemp)
	lab_bg "$1" "$LAB_TOOL" udp-sink 0.0.0.0 "$2" "$3" >"$f"
	lab_wait_file "$f" ready 5 || { rm -f "$f"; return 1; }
	rm -f "$f"
}

# lab_tcp_listen NODE PORT BACKLOG: a TCP listener that never accepts (listen queue overflows).
lab_tcp_listen()
{
	local f
	f=$(mktemp)
	lab_bg "$1" "$LAB_TOOL" tcp-listen 0.0.0.0 "$2" "$3" >"$f"
	lab_wait_file "$f" ready 5 || { rm -f "$f"; return 1; }
	rm -f "$f"
}

# lab_wait_file FILE PATTERN SECONDS: wait for PATTERN to appear in FILE.
lab_wait_file()
{
	local i
	for i in $(seq 1 $(($3 * 20))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "lab: '$2' did not appear in $1 within $3 s" >&2
	return 1
}

# lab_netns_inode NODE: the namespace's inode number, as dropscope reports it.
lab_netns_inode()
{
	stat -L -c %i "/run/netns/$(lab_ns "$1")"
}

# lab_listen_overflow PORT: make TCP_LISTEN_OVERFLOW happen at a listener on host:PORT.
# A SYN that finds the accept queue full is consumed, not dropped; the overflow drop happens
# when a handshake's last ACK arrives after the queue filled up. So: stall three handshakes
# from dst (its ACKs dropped in dst), fill the accept queue with three connections from r1
# (SYN cookies, the SYN queue being full), then let dst's ACKs through: each retransmitted
# SYN-ACK is answered by an ACK that overflows. Needs lab_create with at least 1 router.
lab_listen_overflow()
{
	local port=$1
	lab_tcp_listen host "$port" 2 || return 1
	lab_nft dst "table inet lab_stall {
		chain output { type filter hook output priority 0;
			tcp dport $port tcp flags & (syn|ack) == ack drop
		}
	}"
	lab_exec dst "$LAB_TOOL" tcp-connect "$LAB_HOST4" "$port" 3 >/dev/null &
	LAB_PIDS+=($!)
	# The state, not a guess at how long it takes: the three stalled handshakes ...
	lab_until 5 lab_syn_recv_at_least "$port" 3 ||
		{ echo "lab: the stalled handshakes to port $port did not appear" >&2; return 1; }
	lab_exec r1 "$LAB_TOOL" tcp-connect "$LAB_HOST4" "$port" 3 >/dev/null &
	LAB_PIDS+=($!)
	# ... then an accept queue that holds more than its backlog: full.
	lab_until 5 lab_accept_queue_full "$port" ||
		{ echo "lab: the accept queue of port $port did not fill" >&2; return 1; }
	lab_exec dst nft delete table inet lab_stall
}

# lab_nstat NODE COUNTER: a SNMP/netstat counter's absolute value in NODE (nstat -az names).
lab_nstat()
{
	lab_exec "$1" nstat -asz "$2" 2>/dev/null | awk -v c="$2" '$1 == c { print $2 }'
}

# lab_until SECONDS CMD...: run CMD every 50 ms until it succeeds (0), or SECONDS pass (1).
lab_until()
{
	local i
	for i in $(seq 1 $(($1 * 20))); do
		"${@:2}" && return 0
		sleep 0.05
	done
	return 1
}

# lab_syn_recv_at_least PORT N: host's listener on PORT has N handshakes in SYN-RECV.
lab_syn_recv_at_least()
{
	[ "$(lab_exec host ss -Htn state syn-recv "( sport = :$1 )" | wc -l)" -ge "$2" ]
}

# lab_accept_queue_full PORT: host's listener on PORT holds more connections than its backlog
# (ss: Recv-Q, the queue, over Send-Q, the backlog), so the next one overflows.
lab_accept_queue_full()
{
	lab_exec host ss -Hltn "( sport = :$1 )" | awk '$2 > $3 { found = 1 } END { exit !found }'
}
