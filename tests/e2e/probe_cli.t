#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope probe's command line: bad input gives one clear line and exit 2 (not root, or out of
# descriptors: exit 1), a target that is not one host (multicast, broadcast, unspecified)
# included; an IPv4-mapped IPv6 target is probed as the IPv4 host;
# Ctrl-C and SIGTERM print the report so far; reverse DNS names hops without stalling the
# probing; the host's own firewall refusing probes counts them as sent and lost; --csv, --report.
#
# Name lookups stay inside the lab: `ip netns exec` bind-mounts /etc/netns/NS/{hosts,resolv.conf}
# over /etc, so the host namespace gets a hosts file and a name server that is the lab's dst.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
probe_lab 3

O=$T_TMP/out
NSDIR=/etc/netns/$(lab_ns host)
mkdir -p "$NSDIR"
# /etc/netns itself goes too if this made it (rmdir leaves it when others use it).
t_on_exit "rm -rf '$NSDIR'; rmdir /etc/netns 2>/dev/null"
printf '%s r1.lab.test\n%s r3.lab.test\n' "$LAB_HOP4_1" "$LAB_HOP4_3" >"$NSDIR/hosts"
# First a name server that refuses at once (nothing listens on the namespace's loopback).
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$NSDIR/resolv.conf"
lab_nft dst "table inet lab_dns {
	chain input { type filter hook input priority 0; policy accept;
		udp dport 53 drop; tcp dport 53 drop; }
}"

# bad EXPECTED-RC DESCRIPTION ARGS...: one line on stderr, starting "dropscope: ", that exit code.
bad()
{
	local want=$1 desc=$2 rc lines
	shift 2
	lab_exec host "$DROPSCOPE" probe "$@" >"$O.stdout" 2>"$O.stderr"
	rc=$?
	lines=$(wc -l <"$O.stderr")
	t_is "$rc" "$want" "$desc: exit $want"
	if [ "$lines" = 1 ] && grep -q '^dropscope: ' "$O.stderr" && [ ! -s "$O.stdout" ]; then
		t_ok 0 "$desc: one line: $(cat "$O.stderr")"
	else
		t_ok 1 "$desc: one error line, nothing on stdout"
		sed 's/^/#   /' "$O.stderr"
	fi
}

bad 2 "no target"
bad 2 "two targets" a b
bad 2 "unknown option" --bogus "$LAB_DST4"
bad 2 "-c 0" -c 0 "$LAB_DST4"
bad 2 "-c not a number" -c many "$LAB_DST4"
bad 2 "-c and --duration" -c 5 --duration 3 "$LAB_DST4"
bad 2 "--duration garbage" --duration 3x "$LAB_DST4"
bad 2 "--max-ttl 0" --max-ttl 0 "$LAB_DST4"
bad 2 "--max-ttl 256" --max-ttl 256 "$LAB_DST4"
bad 2 "--first-ttl beyond --max-ttl" --first-ttl 9 --max-ttl 3 "$LAB_DST4"
bad 2 "--proto unknown" --proto sctp "$LAB_DST4"
bad 2 "--port 0" --proto udp --port 0 "$LAB_DST4"
bad 2 "--port with icmp" --port 53 "$LAB_DST4"
bad 2 "--size with tcp" --proto tcp --size 100 "$LAB_DST4"
bad 2 "--size below the headers" --size 20 "$LAB_DST4"
bad 2 "--size above the path MTU" --size 1600 "$LAB_DST4"
bad 2 "--interval too short" -i 0.001 "$LAB_DST4"
bad 2 "-4 with an IPv6 address" -4 "$LAB_DST6"
bad 2 "-6 with an IPv4 address" -6 "$LAB_DST4"
bad 2 "-4 and -6" -4 -6 "$LAB_DST4"
bad 2 "--json and --csv" --json --csv "$LAB_DST4"
bad 2 "-6 for a name with only an IPv4 address" -6 r1.lab.test
bad 2 "unknown host" no-such-host.lab.test
t_check "unknown host: says it could not resolve it" grep -q "failed to resolve host" "$O.stderr"
# Targets that are not one host: what answers is every listener, or this host itself.
bad 2 "IPv4 multicast" 224.0.0.1
bad 2 "IPv6 multicast" ff02::1
bad 2 "the broadcast address" 255.255.255.255
bad 2 "the host's subnet's broadcast address" "${LAB_HOST4%.*}.255"
bad 2 "0.0.0.0" 0.0.0.0
bad 2 "0.0.0.0/8, this network" 0.1.2.3
bad 2 "::" ::
bad 2 "-6 with an IPv4-mapped address" -6 "::ffff:$LAB_DST4"
# r1 has routes to the lab's subnets only.
lab_exec r1 "$DROPSCOPE" probe 192.0.2.1 >"$O.stdout" 2>"$O.stderr"
t_is "$?" 2 "no route: exit 2"
t_check "no route: says so" grep -q "failed to find a route to 192.0.2.1" "$O.stderr"
lab_exec host setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$DROPSCOPE" probe "$LAB_DST4" >"$O.stdout" 2>"$O.stderr"
t_is "$?" 1 "not root: exit 1"
t_check "not root: says CAP_NET_RAW or root is needed" grep -q "needs CAP_NET_RAW (or root)" "$O.stderr"
t_is "$(wc -l <"$O.stderr")" 1 "not root: one line"

# A socket that cannot be opened for want of descriptors is a runtime failure, not bad input.
lab_exec host bash -c "ulimit -n 4 && exec '$DROPSCOPE' probe -n '$LAB_DST4'" \
	>"$O.stdout" 2>"$O.stderr"
t_is "$?" 1 "out of file descriptors: exit 1"
t_check "out of file descriptors: says which socket failed and why" \
	grep -q "^dropscope: failed to .*: Too many open files" "$O.stderr"
t_is "$(wc -l <"$O.stderr")" 1 "out of file descriptors: one line"

# An IPv4-mapped address is the IPv4 host: probed and reported as such (-4 takes it too).
for fam in "" -4; do
	lab_exec host "$DROPSCOPE" probe $fam -n --json -c 5 "::ffff:$LAB_DST4" >"$O.json" 2>"$O.err"
	t_is "$?" 0 "mapped${fam:+ $fam}: exit 0"
	t_is "$(jq -r .address "$O.json")" "$LAB_DST4" "mapped${fam:+ $fam}: probed as $LAB_DST4"
	t_is "$(jq -r .end_to_end.loss_pct "$O.json")" 0 "mapped${fam:+ $fam}: no loss"
	t_is "$(jq -r '[.hops[].hosts[0].address] | join(" ")' "$O.json")" \
		"$LAB_HOP4_1 $LAB_HOP4_2 $LAB_HOP4_3 $LAB_DST4" "mapped${fam:+ $fam}: the IPv4 hops"
done

lab_exec host "$DROPSCOPE" probe --help >"$O.stdout" 2>&1
t_is "$?" 0 "--help: exit 0"
t_check "--help: usage on stdout" grep -q '^usage: dropscope probe TARGET' "$O.stdout"

# Ctrl-C and SIGTERM: the report of what was measured, and exit 0.
for sig in INT TERM; do
	ip netns exec "$(lab_ns host)" "$DROPSCOPE" probe -n --json --duration 60 "$LAB_DST4" \
		>"$O.json" 2>"$O.err" &
	pid=$!
	t_on_exit "kill $pid 2>/dev/null"
	sleep 2
	kill -$sig $pid
	wait $pid
	t_is "$?" 0 "SIG$sig: exit 0"
	t_is "$(jq -r .interrupted "$O.json")" true "SIG$sig: report says interrupted"
	t_is "$(jq -r '.hops | length' "$O.json")" 4 "SIG$sig: all four hops in the report"
	t_ge "$(jq -r .end_to_end.sent "$O.json")" 10 "SIG$sig: the probes so far are counted"
	t_is "$(jq -r '[.hops[] | .all_sent - .all_received] | add' "$O.json")" 0 \
		"SIG$sig: probes still in flight are not counted as lost"
	t_check "SIG$sig: stopped early ($(jq -r .duration_s "$O.json") s)" \
		in_range "$(jq -r .duration_s "$O.json")" 1 30
done
ip netns exec "$(lab_ns host)" "$DROPSCOPE" probe -n --duration 60 "$LAB_DST4" >"$O.txt" 2>&1 &
pid=$!
t_on_exit "kill $pid 2>/dev/null"
sleep 1.5
kill -INT $pid
wait $pid
t_check "Ctrl-C: the text report ends with the interruption" grep -q '^Interrupted after' "$O.txt"

# Reverse DNS: names from the hosts file; the others wait on a dead name server (6 s a lookup),
# which must not hold up the probing: the run ends ~1 s after its 2 s of probing.
printf 'nameserver %s\noptions timeout:3 attempts:2\n' "$LAB_DST4" >"$NSDIR/resolv.conf"
start=$(date +%s.%N)
lab_exec host "$DROPSCOPE" probe --json -c 20 "$LAB_DST4" >"$O.json" 2>"$O.err"
rc=$?
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
t_is "$rc" 0 "dns: exit 0"
t_is "$(hop_get "$O.json" 1 '.hosts[0].name')" r1.lab.test "dns: hop 1 named from the hosts file"
t_is "$(hop_get "$O.json" 3 '.hosts[0].name')" r3.lab.test "dns: hop 3 named from the hosts file"
t_is "$(hop_get "$O.json" 2 '.hosts[0].name')" null "dns: hop 2 has no name (lookup pending)"
t_is "$(hop_get "$O.json" 2 .sent)" 20 "dns: hop 2 probed in every round regardless"
t_check "dns: a dead name server did not stall the run (${elapsed}s)" in_range "$elapsed" 0 5.5
lab_exec host "$DROPSCOPE" probe -c 10 "$LAB_DST4" >"$O.txt" 2>&1
t_check "dns: the text report shows name and address" \
	grep -qE "^  1\.\|-- r1\.lab\.test \($LAB_HOP4_1\) " "$O.txt"

# The host's own firewall refuses 40% of the probes (EPERM): sent and lost, never fatal.
lab_host_drop output 'meta l4proto icmp' 40
probe_json "$O.json" -c 30 "$LAB_DST4"
t_is "$?" 4 "firewall: exit 4, loss (from hop 1)"
t_is "$(jq -r .send_errors "$O.json")" "$(nft_drops host lab_host_output)" \
	"firewall: refused sends = packets the host's output chain dropped"
t_is "$(jq -r '[.hops[] | .all_sent - .all_received] | add' "$O.json")" \
	"$(jq -r .send_errors "$O.json")" "firewall: each refused send is a lost probe"
t_is "$(jq -r .loss_origin.ttl "$O.json")" 1 "firewall: the loss starts at hop 1"
lab_exec host "$DROPSCOPE" probe -n -c 10 "$LAB_DST4" >"$O.txt" 2>&1
t_check "firewall: the text report counts refused sends" grep -q 'sends refused by this host' "$O.txt"
lab_exec host nft delete table inet lab_host_output

# --csv and --report.
lab_exec host "$DROPSCOPE" probe -n --csv -c 10 "$LAB_DST4" >"$O.csv" 2>"$O.err"
t_is "$?" 0 "csv: exit 0"
t_check "csv: header" grep -q '^target,protocol,ttl,address,name,sent,received,loss_pct,' "$O.csv"
t_is "$(wc -l <"$O.csv")" 5 "csv: a header and four hops"
t_is "$(awk -F, 'NR > 1 { print NF }' "$O.csv" | sort -u)" 18 "csv: 18 fields on every line"
t_is "$(awk -F, 'NR == 5 { print $3, $4, $8, $18 }' "$O.csv")" "4 $LAB_DST4 0.00 true" \
	"csv: the destination's line"
lab_exec host "$DROPSCOPE" probe -n --report -c 10 "$LAB_DST4" >"$O.txt" 2>"$O.err"
t_check "--report: mtr's header" grep -q '^Start: ' "$O.txt"
t_is "$(grep -cE '^ +[0-9]+\.\|-- ' "$O.txt")" 4 "--report: four hop rows"

t_done
