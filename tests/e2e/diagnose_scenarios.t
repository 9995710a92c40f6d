#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope diagnose in each built-in scenario (dropscope demo NAME: the example network, a known
# fault, diagnose run from the host's namespace): the verdict and its details must match the
# known truth in every run. Loss rates (30%) and durations (8 s: ~160 destination probes) are
# chosen so that the statistics hold with a wide margin.
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft tbf reason:NETFILTER_DROP reason:SOCKET_RCVBUFF
trap t_cleanup EXIT
DURATION=${DIAGNOSE_TEST_DURATION:-8}

# run NAME: the scenario's JSON into $T_TMP/NAME.json
run()
{
	"$DROPSCOPE" demo "$1" --json --duration "$DURATION" >"$T_TMP/$1.json" 2>"$T_TMP/$1.err"
	local rc=$?
	t_is "$rc" 0 "$1: exit 0, the verdict its scenario expects"
	[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T_TMP/$1.err"
	jq -e . "$T_TMP/$1.json" >/dev/null 2>&1 || { t_ok 1 "$1: JSON"; return 1; }
	t_diag "$1: $(jq -r '.summary' "$T_TMP/$1.json")"
}

j() { jq -r "$2" "$T_TMP/$1.json"; }

run healthy
t_is "$(j healthy .verdict)" none "healthy: none"
t_is "$(j healthy .network.loss_origin)" null "healthy: no loss origin"
t_ge "$(j healthy .probes.sent)" 100 "healthy: enough probes sent"

run router-loss
t_is "$(j router-loss .verdict)" network "forwarding loss at r2: network"
t_is "$(j router-loss .network.loss_origin.ttl)" 3 "the loss starts at hop 3, the first after r2"
t_is "$(j router-loss .network.loss_origin.address)" 10.77.2.2 "hop 3 is 10.77.2.2"
t_is "$(j router-loss '.probes.lost_on_host_egress + .probes.replies_lost_on_host_ingress')" 0 \
	"router-loss: the host lost none of the probes"
t_ge "$(j router-loss .probes.lost_in_network)" 10 "router-loss: the lost probes are the network's"

run limiter-and-loss
t_is "$(j limiter-and-loss .verdict)" network "limiter before the loss: network"
t_is "$(j limiter-and-loss .network.loss_origin.ttl)" 3 "limiter-and-loss: the loss starts at hop 3"
t_is "$(j limiter-and-loss '.network.rate_limited_hops | index(1) != null')" true \
	"limiter-and-loss: hop 1 is excused as rate-limited"

run limiter
t_is "$(j limiter .verdict)" none "a rate-limiting router alone: none"
t_is "$(j limiter '.network.rate_limited_hops | index(1) != null')" true "limiter: hop 1 is flagged rate-limited"

run host-firewall
t_is "$(j host-firewall .verdict)" server "the host's firewall drops replies: server, not network"
t_ge "$(j host-firewall .probes.replies_lost_on_host_ingress)" 10 "host-firewall: replies lost on ingress"
t_is "$(j host-firewall .probes.ingress_reason)" NETFILTER_DROP "host-firewall: by NETFILTER_DROP"
t_is "$(j host-firewall .network.loss_origin)" null "host-firewall: once those are set apart, the path loses nothing"
t_is "$(j host-firewall '[.server.drops[] | select(.reason == "NETFILTER_DROP")] | length > 0')" true \
	"host-firewall: the drops are listed"
# The symbols are read at the merge, after the privileges went (kallsyms opened before).
if [ "$(awk '$3 == "T" || $3 == "t" { print $1; exit }' /proc/kallsyms)" = 0000000000000000 ]; then
	t_diag "skip: kernel addresses are hidden from root here (kptr_restrict)"
else
	t_is "$(j host-firewall '[.server.drops[] | select(.reason == "NETFILTER_DROP") | .location | test("^[A-Za-z_][A-Za-z0-9_.]*$")] | all')" true \
		"host-firewall: the drops' locations are named functions, not addresses"
fi

run socket-overflow
t_is "$(j socket-overflow .verdict)" server "a UDP socket overflowing on a clean path: server"
t_ge "$(j socket-overflow '[.server.drops[] | select(.reason == "SOCKET_RCVBUFF" and .queue == "udp:5555") | .count] | add // 0')" 100 \
	"socket-overflow: SOCKET_RCVBUFF at the socket udp:5555"
t_check "socket-overflow: the summary names the socket" grep -q 'udp:5555' <(j socket-overflow .summary)
t_check "socket-overflow: advice about the receive buffer" grep -q 'rmem_max' <(j socket-overflow '.advice[]')

run tiny-qdisc
t_is "$(j tiny-qdisc .verdict)" server "a tiny qdisc on the uplink: server"
# (QDISC_DROP here; which QDISC_* reason tbf gives is the kernel's choice.)
t_check "tiny-qdisc: probes dropped on the way out by a qdisc ($(j tiny-qdisc .probes.egress_reason))" \
	grep -q '^QDISC_' <(j tiny-qdisc .probes.egress_reason)
t_ge "$(j tiny-qdisc .probes.lost_on_host_egress)" 5 "tiny-qdisc: probes lost on egress"

run both
t_is "$(j both .verdict)" both "host drops and path loss: both"
t_is "$(j both .network.loss_origin.ttl)" 3 "both: the path's loss starts at hop 3"
t_ge "$(j both '[.server.drops[] | select(.reason == "SOCKET_RCVBUFF") | .count] | add // 0')" 100 "both: the host's SOCKET_RCVBUFF drops"

run return-path
t_is "$(j return-path .verdict)" network "loss on the return path only: network"
t_is "$(j return-path .network.loss_origin.ttl)" 3 "return-path: from hop 3 on"
t_is "$(j return-path '.probes.lost_on_host_egress + .probes.replies_lost_on_host_ingress')" 0 \
	"return-path: the host lost none of the probes"

run unreachable
t_is "$(j unreachable .verdict)" inconclusive "unreachable target: inconclusive"
t_check "unreachable: why says unreachable" grep -q 'unreachable' <(j unreachable .why)

# Each run named its namespaces on stderr; none of them may be left.
left=0
for f in "$T_TMP"/*.err; do
	tag=$(sed -n 's/.*demo namespaces \(dsdemo-[0-9a-f]*-\).*/\1/p' "$f")
	[ -n "$tag" ] || continue
	left=$((left + $(ip netns list | grep -c "^$tag")))
done
t_is "$left" 0 "every demo removed the namespaces it made"
t_done
