#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the tracer asks of the kernel's BTF at load, and what it reads with it. libbpf scans all
# of vmlinux's BTF once for each kernel type the programs relocate (issue 12): the header reads
# and the TCP programs relocate no type of their own. Each reader (typed loads, copies, the
# classic tracepoint) gives the packets' exact addresses and ports, with 40 bytes of IPv4
# options and over IPv6 too; TCP retransmissions and SYN-ACK retransmissions name their exact
# flows in both families (privs.t checks they are traced with CAP_BPF and CAP_PERFMON alone).
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft
trap t_cleanup EXIT

lab_create 1 || t_skip_all "could not build the lab"
HOST_NS=$(lab_netns_inode host)
# Addresses as inet_ntop writes them (the lab's are not all written so).
HOST6=$(lab_exec host ip -6 -o addr show dev eth1 scope global | awk '{ sub("/.*", "", $4); print $4; exit }')
DST6=$(lab_exec dst ip -6 -o addr show dev eth0 scope global | awk '{ sub("/.*", "", $4); print $4; exit }')

# In the host namespace (the tracer watches it alone: other labs, and their drops, may run
# beside): its UDP datagrams and pings are dropped on the way out; the SYN-ACKs of dst's
# listeners on the way in, so that the host retransmits its SYNs; fragments but the first
# before reassembly (priority -500 comes before defragmentation's -400); and the last ACKs of dst's
# connections to the host's listeners, so that the host retransmits its SYN-ACKs.
lab_nft host 'table inet lab_core {
	chain pre { type filter hook prerouting priority -500;
		ip frag-off & 0x1fff != 0 drop; }
	chain output { type filter hook output priority 0;
		udp dport 9999 drop; icmp type echo-request drop; icmpv6 type echo-request drop; }
	chain input { type filter hook input priority 0;
		tcp sport { 9200, 9201 } drop;
		tcp dport { 9300, 9301 } tcp flags & (syn | ack) == ack drop; }
}'
listen()
{
	local f
	f=$(mktemp)
	lab_bg "$1" "$LAB_TOOL" tcp-listen "$2" "$3" 16 >"$f"
	lab_wait_file "$f" ready 5
	local st=$?
	rm -f "$f"
	return $st
}
for l in "dst 0.0.0.0 9200" "dst :: 9201" "host 0.0.0.0 9300" "host :: 9301"; do
	# shellcheck disable=SC2086
	listen $l || t_skip_all "no TCP listener in the lab ($l)"
done

# --- a retransmission is an attempt that sent: from 6.17 tcp_retransmit_skb fires on failed
# attempts too (with their err), which TcpRetransSegs does not count. Run first, while nothing
# else retransmits in the host namespace. The host's data to dst:9210 is never acked (dst's
# ACKs dropped on the way in, not its SYN-ACK), so it is retransmitted: sent at first, then,
# once dst is unreachable by route, failing with EHOSTUNREACH every 0.5 s.
listen dst 0.0.0.0 9210 || t_skip_all "no TCP listener in the lab (dst 0.0.0.0 9210)"
out="$T_TMP/rtx"
t_start_bg "$out" "$DROPSCOPE" -v trace -N "$LAB_HOST" --json
if t_wait_ready "$out.err"; then
	lab_nft host 'table inet lab_rtx { chain input { type filter hook input priority 0;
		tcp sport 9210 tcp flags & (syn | ack) == ack drop; }
	}'
	segs0=$(lab_nstat host TcpRetransSegs)
	fail0=$(lab_nstat host TcpExtTCPRetransFail)
	lab_bg host bash -c "exec 3<>/dev/tcp/$LAB_DST4/9210 && echo connected >'$out.conn' &&
		printf '%100s' '' >&3 && sleep 8"
	holder=$LAB_LAST_PID
	lab_wait_file "$out.conn" connected 5
	# Two or three retransmissions go out (RTO 0.2, 0.6, 1.4 s), then none can.
	sleep 1
	lab_exec host ip route add unreachable "$LAB_DST4/32"
	sleep 3.5
	segs1=$(lab_nstat host TcpRetransSegs)
	fail1=$(lab_nstat host TcpExtTCPRetransFail)
	t_stop "$T_BG_PID"
	lab_exec host ip route del unreachable "$LAB_DST4/32"
	lab_exec host nft delete table inet lab_rtx
	t_wait "$holder" 10 >/dev/null
	if grep -q 'TCP retransmits traced (attempts that failed left out)' "$out.err"; then
		t_diag "tcp_retransmit_skb reports failed attempts here (6.17+): they are left out"
	else
		t_diag "tcp_retransmit_skb has no err here (before 6.17): it fires only on attempts that sent"
	fi
	# (Not every failure is counted there: EHOSTUNREACH from the route lookup is not.)
	t_diag "TCPRetransFail $fail0 -> $fail1"
	t_ge "$((segs1 - segs0))" 1 "and some went out before: RetransSegs $segs0 -> $segs1"
	t_is "$(jq -r '[.retransmits[] | .count] | add // 0' <<<"$(tail -n1 "$out")")" "$((segs1 - segs0))" \
		"TCP retransmissions traced: as many as TcpRetransSegs counted, none that failed"
else
	t_check "the tracer started for the retransmit failures" false
fi

has_cast=
"$DROPSCOPE" version | grep -q '^tp_btf header reads: typed loads' && has_cast=1

# run_variant KEY READER ARGS...: the tracer, with -v -v, through the traffic.
run_variant()
{
	local reader=$2 out="$T_TMP/$1"
	shift 2
	DROPSCOPE_READER=$reader t_start_bg "$out" "$DROPSCOPE" -v -v trace -N "$LAB_HOST" \
		--events --events-rate 100000 --json "$@"
	t_wait_ready "$out.err" || return 1
	LABTOOL_SPORT=40001 lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 2 >/dev/null
	LABTOOL_SPORT=40002 LABTOOL_IPOPTS=40 lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 2 >/dev/null
	LABTOOL_SPORT=40003 lab_exec host "$LAB_TOOL" udp-send "$DST6" 9999 2 >/dev/null
	# A hop-by-hop header: the typed-load reader leaves it to the copying reader.
	LABTOOL_SPORT=40004 LABTOOL_IPOPTS=16 lab_exec host "$LAB_TOOL" udp-send "$DST6" 9999 2 >/dev/null
	# 3000 bytes in 3 fragments: the second and third carry no ports.
	lab_exec dst "$LAB_TOOL" udp-send "$LAB_HOST4" 9997 1 3000 >/dev/null
	lab_exec host ping -c 2 -i 0.2 -W 0.3 -q "$LAB_DST4" >/dev/null 2>&1
	lab_exec host ping -6 -c 2 -i 0.2 -W 0.3 -q "$DST6" >/dev/null 2>&1
	# Held 2 s: the first SYN or SYN-ACK, and its retransmission 1 s later.
	local c pids=()
	for c in "host $LAB_DST4 9200" "host $DST6 9201" "dst $LAB_HOST4 9300" "dst $HOST6 9301"; do
		# shellcheck disable=SC2086
		set -- $c
		lab_exec "$1" "$LAB_TOOL" tcp-connect "$2" "$3" 1 >/dev/null &
		pids+=($!)
	done
	sleep 0.5
	# This run's sockets (the earlier runs' are closing, but the host still retransmits their
	# SYN-ACKs): the host's still connecting, dst's established (its last ACK dropped).
	lab_exec host ss -Htn state syn-sent >"$out.ss"
	lab_exec dst ss -Htn state established >"$out.dst.ss"
	for c in "${pids[@]}"; do
		t_wait "$c" 10
	done
	sleep 0.2
	t_stop "$T_BG_PID"
}

# reloc_types LOG PROGS: the kernel types libbpf relocated in the programs named by the regex
# PROGS, from its debug log.
reloc_types()
{
	sed -En "s/^libbpf: prog '($2)': relo #[0-9]+: <[a-z_0-9]+> \[[0-9]+\] (struct|union|enum|typedef) ([A-Za-z0-9_]+).*/\3/p" "$1" |
		sort -u
}

# port_of SS-FILE PEER: the local port of the TCP socket to PEER (an address:port), from ss with
# one state (no state column).
port_of() { awk -v p="$2" '$4 == p { n = split($3, a, ":"); print a[n]; exit }' "$1"; }

# check_variant KEY NAME ATTACH READER: run_variant KEY's results.
check_variant()
{
	local out="$T_TMP/$1" name=$2 attach=$3 reader=$4 ev kfree tcp p4 p6 q4 q6 sum
	ev="$out.ev"
	grep '"ts_ns"' "$out" >"$ev"
	sum=$(tail -n1 "$out")
	t_check "$name: attached as asked, TCP retransmissions traced" \
		grep -q "attached skb:kfree_skb via $attach, reading headers by $reader; TCP retransmits traced" "$out.err"

	# --- what the load relocated
	kfree=$(reloc_types "$out.err" 'kfree_skb[a-z_]*')
	tcp=$(reloc_types "$out.err" 'tcp_retransmit_[a-z]*')
	if [ -z "$kfree" ]; then
		t_diag "$name: this libbpf logs no CO-RE relocation: the types relocated cannot be checked"
	else
		t_diag "$name: the drop program relocates: $(tr '\n' ' ' <<<"$kfree")"
		t_is "$(grep -Ex 'iphdr|ipv6hdr|udphdr|tcphdr|icmphdr|icmp6hdr' <<<"$kfree" | tr '\n' ' ')" "" \
			"$name: the header reads relocate no header type"
		t_is "$(comm -23 <(echo "$tcp") <(echo "$kfree") | tr '\n' ' ')" "" \
			"$name: the TCP programs relocate no type the drop program does not"
		t_check "$name: they relocate struct sock (their flows' fields)" grep -qx sock <<<"$tcp"
	fi

	# --- headers: exact addresses and ports, in the host namespace's drops
	t_is "$(jq -r '.shed_events + .lost_events' <<<"$sum")" 0 "$name: every drop an event (none shed or lost)"
	n() { jq -r --argjson ns "$HOST_NS" --arg s "$1" --arg d "$2" \
		'select(.netns == $ns and .src == $s and .dst == $d) | .protocol' "$ev" | sort | uniq -c | awk '{ print $1 " " $2 }'; }
	t_is "$(n "$LAB_HOST4:40001" "$LAB_DST4:9999")" "2 udp" "$name: IPv4 UDP: both datagrams, exact addresses and ports"
	t_is "$(n "$LAB_HOST4:40002" "$LAB_DST4:9999")" "2 udp" "$name: IPv4 UDP with 40 bytes of IP options (the most): the ports past them"
	len_of() { jq -r --arg s "$LAB_HOST4:$1" 'select(.src == $s) | .len' "$ev" | sort -u | tr '\n' ' '; }
	t_is "$(len_of 40002)" "$(($(len_of 40001) + 40)) " "$name: and the options are in those packets (40 bytes longer)"
	t_is "$(n "[$HOST6]:40003" "[$DST6]:9999")" "2 udp" "$name: IPv6 UDP: exact addresses and ports"
	t_is "$(n "[$HOST6]:40004" "[$DST6]:9999")" "2 udp" "$name: IPv6 UDP after a hop-by-hop header: exact addresses and ports"
	t_is "$(n "$LAB_DST4:0" "$LAB_HOST4:0")" "2 udp" "$name: IPv4 fragments past the first: exact addresses, no ports"
	t_is "$(n "$LAB_HOST4" "$LAB_DST4")" "2 icmp" "$name: IPv4 pings: exact addresses"
	t_is "$(n "$HOST6" "$DST6")" "2 icmpv6" "$name: IPv6 pings: exact addresses"
	icmp() { jq -r --arg s "$1" --arg d "$2" 'select(.src == $s and .dst == $d and (.protocol | startswith("icmp"))) |
		"\(.icmp_type)/\(.icmp_code)"' "$ev" | sort | uniq -c | awk '{ print $1 " " $2 }'; }
	t_is "$(icmp "$LAB_HOST4" "$LAB_DST4")" "2 8/0" "$name: IPv4 pings: ICMP type and code (echo request)"
	t_is "$(icmp "$HOST6" "$DST6")" "2 128/0" "$name: IPv6 pings: ICMPv6 type and code (echo request)"
	p4=$(port_of "$out.ss" "$LAB_DST4:9200")
	p6=$(port_of "$out.ss" "[$DST6]:9201")
	q4=$(port_of "$out.dst.ss" "$LAB_HOST4:9300")
	q6=$(port_of "$out.dst.ss" "[$HOST6]:9301")
	t_check "$name: the connecting sockets' ports ($p4, $p6, $q4, $q6)" \
		test -n "$p4" -a -n "$p6" -a -n "$q4" -a -n "$q6"
	tcp_drops() { n "$1" "$2" | awk '$2 == "tcp" { print $1 }'; }
	t_ge "$(tcp_drops "$LAB_DST4:9200" "$LAB_HOST4:$p4")" 1 "$name: IPv4 SYN-ACKs dropped: exact addresses and ports"
	t_ge "$(tcp_drops "[$DST6]:9201" "[$HOST6]:$p6")" 1 "$name: IPv6 SYN-ACKs dropped: exact addresses and ports"
	t_ge "$(tcp_drops "$LAB_DST4:$q4" "$LAB_HOST4:9300")" 1 "$name: IPv4 ACKs dropped: exact addresses and ports"
	t_ge "$(tcp_drops "[$DST6]:$q6" "[$HOST6]:9301")" 1 "$name: IPv6 ACKs dropped: exact addresses and ports"

	# --- retransmissions: the exact flows
	flow() { jq -r --arg s "$1" --argjson sp "$2" --arg d "$3" --argjson dp "$4" \
		"[.retransmit_flows[] | select(.saddr == \$s and .sport == \$sp and .daddr == \$d and .dport == \$dp) | .$5] | add // 0" <<<"$sum"; }
	t_ge "$(flow "$LAB_HOST4" "${p4:-0}" "$LAB_DST4" 9200 count)" 1 "$name: a SYN retransmitted: its IPv4 flow exact"
	t_ge "$(flow "$HOST6" "${p6:-0}" "$DST6" 9201 count)" 1 "$name: a SYN retransmitted: its IPv6 flow exact"
	t_ge "$(flow "$LAB_HOST4" 9300 "$LAB_DST4" "${q4:-0}" synack)" 1 "$name: a SYN-ACK retransmitted: its IPv4 flow exact"
	t_ge "$(flow "$HOST6" 9301 "$DST6" "${q6:-0}" synack)" 1 "$name: a SYN-ACK retransmitted: its IPv6 flow exact"
	t_is "$(jq -r '[.retransmit_flows[] | select(.netns != '"$HOST_NS"')] | length' <<<"$sum")" 0 \
		"$name: and only the host namespace's"
	[ "$T_FAILED" -eq 0 ] || jq -c '.retransmit_flows[]' <<<"$sum" | sed "s/^/# $name: /" >&2
}

if [ -n "$has_cast" ]; then
	run_variant cast cast
	check_variant cast "tp_btf (cast)" tp_btf cast
else
	t_diag "this kernel has no bpf_rdonly_cast: the typed-load reader cannot be tested here"
fi
run_variant copy copy
check_variant copy "tp_btf (copy)" tp_btf copy
run_variant tp copy --attach tracepoint
check_variant tp tracepoint tracepoint copy

t_done
