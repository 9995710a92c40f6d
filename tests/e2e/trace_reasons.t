#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope trace, in the lab: every injected fault is reported with its exact reason (and its
# exact count where the test controls the packets, or the kernel's own counter of it where it
# does not), with the right queue; drops in other namespaces stay out of a namespace filter;
# both attach variants (tp_btf and the classic tracepoint) agree.
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft tbf reason:NETFILTER_DROP reason:NO_SOCKET 'reason:QDISC_*'
trap t_cleanup EXIT

lab_create 1 || t_skip_all "could not build the lab"
HOST_NS=$(lab_netns_inode host)
DST_NS=$(lab_netns_inode dst)

# run_faults MODE OUT: trace the host namespace with attach MODE while every fault happens;
# also trace all namespaces (same mode) into OUT.all. Counters the kernel keeps go to OUT.ref.
run_faults()
{
	local mode=${1%-copy} out=$2 p_host p_all
	local rcvbuf0 listen0 qdisc0
	"$DROPSCOPE" trace --attach "$mode" --netns "$LAB_HOST" --json >"$out" 2>"$out.err" &
	p_host=$!
	"$DROPSCOPE" trace --attach "$mode" --netns all --json >"$out.all" 2>"$out.all.err" &
	p_all=$!
	t_on_exit "kill $p_host $p_all"
	t_wait_ready "$out.err" && t_wait_ready "$out.all.err" || return 1

	rcvbuf0=$(lab_nstat host UdpRcvbufErrors)
	listen0=$(lab_nstat host TcpExtListenOverflows)

	# 1. The host's own firewall drops 100 outgoing datagrams (NETFILTER_DROP).
	lab_host_drop output 'udp dport 9999'
	lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 100 >/dev/null
	# 2. 30 datagrams to a closed port of the host (NO_SOCKET).
	lab_exec dst "$LAB_TOOL" udp-send "$LAB_HOST4" 5556 30 >/dev/null
	# 3. 50 datagrams to a closed port of dst: another namespace's drops.
	lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 7777 50 >/dev/null
	# 4. A socket that never reads, with a tiny buffer (SOCKET_RCVBUFF).
	lab_udp_sink host 5555 1024
	lab_exec dst "$LAB_TOOL" udp-send "$LAB_HOST4" 5555 200 500 >/dev/null
	# 5. A tiny qdisc on the host's uplink (QDISC_DROP).
	lab_tiny_qdisc host eth1
	lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 8888 300 1400 >/dev/null
	# 6. A listener whose accept queue overflows (TCP_LISTEN_OVERFLOW): with the first
	# retransmitted SYN-ACK, 1 s after the SYNs.
	lab_listen_overflow 8080 || return 1
	lab_until 10 overflowed "$listen0" || t_diag "$1: no listen overflow within 10 s"

	# The two tracers stop one after the other: nothing may drop in between. So stop what
	# would go on dropping (the SYN-ACKs are retried for half a minute), then wait until the
	# host's packet counters stand still for 1.5 s (15 s at most).
	lab_destroy_bg
	host_quiet 15 || t_diag "$1: the host namespace did not fall quiet within 15 s"
	kill -INT "$p_host" "$p_all"
	wait "$p_host"
	wait "$p_all"
	# The kernel's own counters of the same events.
	qdisc0=$(lab_exec host tc -s qdisc show dev eth1 | sed -n 's/.*dropped \([0-9]*\).*/\1/p' | head -n1)
	echo "rcvbuf $(($(lab_nstat host UdpRcvbufErrors) - rcvbuf0))" >"$out.ref"
	echo "listen $(($(lab_nstat host TcpExtListenOverflows) - listen0))" >>"$out.ref"
	echo "qdisc $qdisc0" >>"$out.ref"
	# Reset the faults for the next variant.
	lab_exec host nft flush ruleset
	lab_exec host tc qdisc del dev eth1 root
	lab_destroy_bg
}

overflowed() { [ "$(lab_nstat host TcpExtListenOverflows)" -gt "$1" ]; }

# host_quiet SECONDS: wait until the host namespace's IP, ICMP, TCP and UDP counters have not
# moved for 1.5 s: no packet came or went, so none was dropped.
host_quiet()
{
	local prev cur still=0 i
	prev=$(lab_exec host cat /proc/net/snmp /proc/net/snmp6 /proc/net/netstat | md5sum)
	for i in $(seq 1 $(($1 * 4))); do
		sleep 0.25
		cur=$(lab_exec host cat /proc/net/snmp /proc/net/snmp6 /proc/net/netstat | md5sum)
		if [ "$cur" = "$prev" ]; then
			still=$((still + 1))
			[ "$still" -ge 6 ] && return 0
		else
			still=0
			prev=$cur
		fi
	done
	return 1
}

# Stop the sinks and listeners of one run (the lab itself stays).
lab_destroy_bg()
{
	local p
	for p in "${LAB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${LAB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	LAB_PIDS=()
}

count() # FILE REASON [JQ-FILTER]: summed count of REASON's drops matching the filter
{
	jq -r --arg r "$2" "[.drops[] | select(.reason == \$r) ${3:+| select($3)} | .count] | add // 0" "$1"
}

field() # FILE REASON FIELD: the distinct values of FIELD among REASON's drops
{
	jq -r --arg r "$2" "[.drops[] | select(.reason == \$r) | .$3 | tostring] | unique | join(\",\")" "$1"
}

# count_like / field_like FILE REGEX ...: the same over the reasons matching REGEX. Which
# QDISC_* reason a qdisc gives moves between kernels (QDISC_OVERLIMIT and QDISC_CONGESTED
# came after 6.14): the total is the qdisc's own count whatever the names.
count_like() { jq -r --arg r "$2" '[.drops[] | select(.reason | test($r)) | .count] | add // 0' "$1"; }
field_like() { jq -r --arg r "$2" "[.drops[] | select(.reason | test(\$r)) | .$3 | tostring] | unique | join(\",\")" "$1"; }

ref() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

check_run()
{
	local mode=$1 f=$2
	t_is "$(count "$f" NETFILTER_DROP '.protocol == "udp"')" 100 "$mode: 100 firewall drops are NETFILTER_DROP, udp"
	t_is "$(field "$f" NETFILTER_DROP category)" policy "$mode: NETFILTER_DROP is policy"
	t_is "$(count "$f" NO_SOCKET '.queue == "udp:5556"')" 30 "$mode: 30 datagrams to a closed port are NO_SOCKET at udp:5556"
	t_is "$(count "$f" NO_SOCKET '.queue == "udp:7777"')" 0 "$mode: another namespace's NO_SOCKET drops stay out of the host filter"
	t_is "$(count "$f" SOCKET_RCVBUFF)" "$(ref "$f.ref" rcvbuf)" "$mode: SOCKET_RCVBUFF equals the kernel's UdpRcvbufErrors"
	t_ge "$(count "$f" SOCKET_RCVBUFF)" 100 "$mode: a full socket buffer dropped most of 200 datagrams"
	t_is "$(field "$f" SOCKET_RCVBUFF queue)" "udp:5555" "$mode: the socket queue is the receiving socket, udp:5555"
	t_is "$(count_like "$f" '^QDISC_')" "$(ref "$f.ref" qdisc)" \
		"$mode: QDISC_* drops ($(field_like "$f" '^QDISC_' reason)) equal the qdisc's own drop counter"
	t_ge "$(count_like "$f" '^QDISC_')" 1 "$mode: the tiny qdisc dropped packets"
	t_is "$(field_like "$f" '^QDISC_' queue)" "tx0" "$mode: qdisc drops are on transmit queue tx0"
	t_is "$(field_like "$f" '^QDISC_' ifname)" "eth1" "$mode: qdisc drops are on the uplink eth1"
	t_is "$(field_like "$f" '^QDISC_' category)" capacity "$mode: QDISC_* is host capacity"
	# ListenOverflows also counts SYNs refused for a full accept queue, which the kernel
	# consumes rather than drops: the drops are at least one and at most that counter.
	t_ge "$(count "$f" TCP_LISTEN_OVERFLOW)" 1 "$mode: the listener overflowed (TCP_LISTEN_OVERFLOW)"
	t_ge "$(ref "$f.ref" listen)" "$(count "$f" TCP_LISTEN_OVERFLOW)" "$mode: TCP_LISTEN_OVERFLOW drops are within ListenOverflows"
	t_is "$(field "$f" TCP_LISTEN_OVERFLOW queue)" "tcp:8080" "$mode: the overflowing socket is tcp:8080"
	t_is "$(jq -r '[.drops[].netns] | unique | join(",")' "$f")" "$HOST_NS" "$mode: every drop is in the host namespace"
	t_ge "$(jq -r --arg h "$LAB_DST4" '[.retransmits[] | select(.daddr == "10.77.1.2") | .count] | add // 0' "$f")" 1 \
		"$mode: SYN-ACK retransmissions to the stalled client are counted"
	t_is "$(jq -r --argjson n "$DST_NS" '[.drops[] | select(.netns == $n and .reason == "NO_SOCKET" and .queue == "udp:7777") | .count] | add // 0' "$f.all")" 50 \
		"$mode: with --netns all, dst's 50 NO_SOCKET drops are charged to dst"
	t_is "$(jq -r --argjson n "$HOST_NS" '[.netns[] | select(.netns == $n) | .count] | add // 0' "$f.all")" \
		"$(jq -r '.total' "$f")" "$mode: with --netns all, the host's share equals the host-filtered total"
	t_is "$(jq -r '.attach + "/" + .reader' "$f")" "$3" "$mode: the requested variant is the one attached"
}

# tp_btf reads headers with typed loads where the kernel allows (bpf_rdonly_cast, 6.2+), else
# by copy; the classic tracepoint always copies. All three are run where the kernel has them.
DROPSCOPE_READER=copy run_faults tp_btf-copy "$T_TMP/btfcopy.json"
t_ok $? "tp_btf, copying headers: trace ran through all faults"
check_run "tp_btf (copy)" "$T_TMP/btfcopy.json" tp_btf/copy

if bpftool btf dump file /sys/kernel/btf/vmlinux | grep -q "FUNC 'bpf_rdonly_cast'"; then
	run_faults tp_btf "$T_TMP/btf.json"
	t_ok $? "tp_btf: trace ran through all faults"
	check_run tp_btf "$T_TMP/btf.json" tp_btf/cast
else
	t_diag "this kernel has no bpf_rdonly_cast: the typed-load variant cannot be tested here;" \
		"the copying one stands in for it below"
	cp "$T_TMP/btfcopy.json" "$T_TMP/btf.json"
fi

run_faults tracepoint "$T_TMP/tp.json"
t_ok $? "tracepoint: trace ran through all faults"
check_run tracepoint "$T_TMP/tp.json" tracepoint/copy

# The two variants saw the same controlled drops the same way.
summary() { jq -c '[.drops[] | select(.reason == "NETFILTER_DROP" or .reason == "NO_SOCKET") | {reason, count, queue, protocol, ifname, location}] | sort_by(.reason, .queue)' "$1"; }
t_is "$(summary "$T_TMP/tp.json")" "$(summary "$T_TMP/btf.json")" "the tracepoint variant agrees with tp_btf on reasons, queues, protocols and locations"
t_is "$(summary "$T_TMP/btfcopy.json")" "$(summary "$T_TMP/btf.json")" "copying headers agrees with typed loads"

t_done
