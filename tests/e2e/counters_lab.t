#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dropscope counters in the lab: provoke qdisc drops in the host namespace, then UDP receive
# buffer overflows and TCP accept queue overflows in the destination namespace, run
# `dropscope counters --netns <namespace>` over each window, and check that the findings name
# them with the kernel's own numbers: read independently before and after each window (nothing
# else moves those counters in a fresh lab), from /proc/net/udp's per-socket drops, and from the
# traffic the test sends.
set -u
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need tbf
[ -x "$LAB_TOOL" ] || t_skip_all "$LAB_TOOL is not built (make helpers)"
command -v jq >/dev/null || t_skip_all "jq is not installed (scripts/deps.sh)"

trap t_cleanup EXIT
if ! lab_create 0; then
	t_ok 1 "lab created"
	t_done
	exit 1
fi
HOST=$(lab_ns host)
DST=$(lab_ns dst)

# ns_counter NS SECTION NAME: a counter from /proc/net/snmp or /proc/net/netstat in NS.
ns_counter()
{
	ip netns exec "$1" awk -v s="$2:" -v n="$3" '
		FNR == 1 { h = 0 }
		$1 == s && !h { for (i = 2; i <= NF; i++) if ($i == n) c = i; h = 1; next }
		$1 == s && h && c { print $c; exit }' /proc/net/snmp /proc/net/netstat
}

# qdisc_dropped NS DEV: the root qdisc's drop count, as tc prints it.
qdisc_dropped()
{
	ip netns exec "$1" tc -s qdisc show dev "$2" | sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' | head -n1
}

# run_counters NS OUT SECONDS [ARGS...]: dropscope counters in the background; returns once it
# has its baseline (its ready marker on stderr).
run_counters()
{
	local ns=$1 out=$2 secs=$3
	shift 3
	t_start_bg "$out" "$DROPSCOPE" counters --netns "$ns" --duration "$secs" --json "$@"
	COUNTERS_PID=$T_BG_PID
	lab_wait_file "$out.err" baseline 10 || { sed 's/^/#   /' "$out.err"; return 1; }
}

jf() { jq -r "$2" "$1"; }
is_json() { jq -e . "$1" >/dev/null 2>&1; }

# ---- 1. qdisc drops on the host's uplink -----------------------------------------------------
# First, while nothing else talks in the lab: every packet the host sends crosses this qdisc.
SENT=300
lab_tiny_qdisc host eth1
q0=$(qdisc_dropped "$HOST" eth1)
s0=$(ns_counter "$HOST" Udp SndbufErrors)
OUT=$T_TMP/host.json
run_counters "$HOST" "$OUT" 2
t_ok $? "counters started in the host namespace"
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9001 "$SENT" 1000 >/dev/null
wait "$COUNTERS_PID"
t_is "$?" 0 "counters exits 0 (host window)"
q1=$(qdisc_dropped "$HOST" eth1)
s1=$(ns_counter "$HOST" Udp SndbufErrors)
lab_exec host tc qdisc del dev eth1 root

t_check "host report is JSON" is_json "$OUT"
t_is "$(jf "$OUT" '.counters.netns')" "$HOST" "the report names the namespace"
drops=$(jf "$OUT" '[.counters.qdiscs[] | select(.dev == "eth1" and .parent == "root")][0].drops')
sent=$(jf "$OUT" '[.counters.qdiscs[] | select(.dev == "eth1" and .parent == "root")][0].packets')
t_is "$(jf "$OUT" '[.counters.qdiscs[] | select(.dev == "eth1" and .parent == "root")][0].kind')" \
	tbf "the tbf qdisc is seen"
t_is "$drops" "$((q1 - q0))" "qdisc drops equal tc's own count ($((q1 - q0)))"
t_ge "$drops" 100 "the tiny qdisc dropped most of the burst"
t_ge "$sent" 1 "and let some through"
t_is "$(jf "$OUT" '[.findings[] | select(.id == "qdisc_drops")][0].interface')" eth1 \
	"finding qdisc_drops on eth1"
t_is "$(jf "$OUT" '[.findings[] | select(.id == "qdisc_drops")][0].count')" "$drops" \
	"qdisc_drops counts every drop"
t_is "$(jf "$OUT" '[.findings[] | select(.id == "qdisc_drops")][0].evidence.drops')" "$drops" \
	"qdisc_drops evidence"
t_is "$(jf "$OUT" '.counters.snmp["Udp.SndbufErrors"]')" "$((s1 - s0))" \
	"Udp.SndbufErrors delta equals the kernel's ($((s1 - s0)))"
out=$(jf "$OUT" '.counters.snmp["Udp.OutDatagrams"]')
t_is "$((out + s1 - s0))" "$SENT" "UDP sent + SndbufErrors = the $SENT datagrams offered"
# Every UDP datagram the qdisc refused failed its send with ENOBUFS, counted as SndbufErrors;
# the qdisc may also have dropped a stray IPv6 router solicitation or MLD report of the host.
t_ge "$drops" "$((s1 - s0))" "each refused datagram is a qdisc drop"
t_ge "$((s1 - s0))" $((drops - 3)) "and nearly all qdisc drops were the test's datagrams"
t_is "$(jf "$OUT" '[.findings[] | select(.id == "udp_sndbuf_errors")][0].explained_by')" \
	qdisc_drops "udp_sndbuf_errors is explained by the qdisc drops"
t_is "$(jf "$OUT" '.findings[0].id')" qdisc_drops "the cause comes first"
# Whatever their severities, what the qdisc drops explain comes right after them.
t_is "$(jf "$OUT" '([.findings[].id] | index("qdisc_drops")) as $c
	| [.findings | to_entries[] | select(.value.explained_by == "qdisc_drops") | .key] as $e
	| ($e | length) > 0 and $e == [range($c + 1; $c + 1 + ($e | length))]')" true \
	"the findings qdisc_drops explains follow it directly"
t_check "the qdisc fix names the shaper" \
	grep -q "tbf on eth1 drops what exceeds" <(jf "$OUT" '.findings[] | select(.id == "qdisc_drops") | .fix[]')

# ---- 2. UDP receive buffers and accept queues in the destination -------------------------------
COUNT=1000
lab_udp_sink dst 9000 2048
lab_tcp_listen dst 8080 2
r0=$(ns_counter "$DST" Udp RcvbufErrors)
e0=$(ns_counter "$DST" Udp InErrors)
l0=$(ns_counter "$DST" TcpExt ListenDrops)
o0=$(ns_counter "$DST" TcpExt ListenOverflows)
OUT=$T_TMP/dst.json
# In steps of 0.5 s (the testing aid for the 10 s steps of long windows): the sums must still
# equal the kernel's own before-and-after numbers.
run_counters "$DST" "$OUT" 4 --step 0.5
t_ok $? "counters started in the destination namespace"
lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9000 "$COUNT" >/dev/null
lab_exec host "$LAB_TOOL" tcp-connect "$LAB_DST4" 8080 20 >/dev/null
wait "$COUNTERS_PID"
t_is "$?" 0 "counters exits 0 (destination window)"
r1=$(ns_counter "$DST" Udp RcvbufErrors)
e1=$(ns_counter "$DST" Udp InErrors)
l1=$(ns_counter "$DST" TcpExt ListenDrops)
o1=$(ns_counter "$DST" TcpExt ListenOverflows)
# The kernel's own per-socket drop count for the sink (port 9000 = 0x2328).
sockdrops=$(ip netns exec "$DST" awk '$2 ~ /:2328$/ { print $NF }' /proc/net/udp)

t_check "destination report is JSON" is_json "$OUT"
t_ge "$(jf "$OUT" '.counters.steps')" 6 "the 4 s window was read in steps of 0.5 s"
rcv=$(jf "$OUT" '[.findings[] | select(.id == "udp_rcvbuf_errors")][0].count')
t_is "$rcv" "$((r1 - r0))" "udp_rcvbuf_errors counts the kernel's RcvbufErrors ($((r1 - r0)))"
t_is "$rcv" "$sockdrops" "and the sink socket's own drop count"
t_is "$((e1 - e0))" "$rcv" "every UDP input error was a receive buffer error"
t_ge "$rcv" $((COUNT - 20)) "all but the few datagrams the tiny buffer holds were dropped"
t_ge "$COUNT" "$rcv" "no more drops than datagrams sent"
t_is "$(jf "$OUT" '.findings[] | select(.id == "udp_rcvbuf_errors") | .evidence["socket 0.0.0.0:9000"]' | sed 's/,.*//')" \
	"drops +$rcv" "evidence names the socket and its drops"
t_is "$(jf "$OUT" '.counters.udp_sockets[0].local')" "0.0.0.0:9000" "the socket is in the raw counters"
t_is "$(jf "$OUT" '[.findings[] | select(.id == "udp_in_errors")] | length')" 0 \
	"no udp_in_errors: every input error was a buffer error"
t_check "the UDP fix is about SO_RCVBUF" \
	grep -q "set SO_RCVBUF on 0.0.0.0:9000" <(jf "$OUT" '.findings[] | select(.id == "udp_rcvbuf_errors") | .fix[]')

lis=$(jf "$OUT" '[.findings[] | select(.id == "tcp_listen_overflows")][0].count')
want=$((l1 - l0))
[ $((o1 - o0)) -gt "$want" ] && want=$((o1 - o0))
t_is "$lis" "$want" "tcp_listen_overflows counts the kernel's ListenDrops ($want)"
t_is "$(jf "$OUT" '.counters.snmp["TcpExt.ListenOverflows"]')" "$((o1 - o0))" \
	"ListenOverflows delta equals the kernel's"
# Backlog 2 admits 3 connections; the other 17 SYNs are dropped at least once each.
t_ge "$((o1 - o0))" 17 "at least the 17 connections beyond the backlog overflowed"
t_is "$(jf "$OUT" '.findings[] | select(.id == "tcp_listen_overflows") | .evidence["listener 0.0.0.0:8080"]')" \
	"accept queue 3/2 (full)" "evidence: the listener's full accept queue (backlog 2 holds 3)"
t_check "the listen fix names the application's backlog" \
	grep -q "asked listen() for a backlog of 2" <(jf "$OUT" '.findings[] | select(.id == "tcp_listen_overflows") | .fix[]')

# Worst first (the findings no other one explains), each explained one after its cause, and
# every finding says what to do.
t_is "$(jf "$OUT" '[.findings[] | select(.explained_by == null) | .severity | {"critical":4,"high":3,"medium":2,"low":1}[.]] | . == (sort | reverse)')" \
	true "findings are sorted worst first"
t_is "$(jf "$OUT" '[.findings[].id] as $ids | [.findings | to_entries[]
	| select(.value.explained_by != null and ($ids | index(.value.explained_by)) != null)
	| .key > ($ids | index(.value.explained_by))] | all')" true "explained findings follow their causes"
t_is "$(jf "$OUT" '[.findings[] | select((.fix | length) == 0)] | length')" 0 "every finding has a fix"

# The veth driver's statistics come through ethtool inside the namespace.
t_is "$(jf "$OUT" '.counters.interfaces[] | select(.name == "eth0") | .driver')" veth \
	"eth0 in the destination is a veth (ethtool driver info)"
t_ge "$(jf "$OUT" '.counters.interfaces[] | select(.name == "eth0") | .driver_stats_count')" 1 \
	"veth driver statistics read (ethtool -S)"
t_done
