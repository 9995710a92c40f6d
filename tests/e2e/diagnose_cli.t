#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope diagnose outside the demo: --netns from another namespace, IPv6, TCP retransmissions
# to the target, an interrupted run, and bad input (targets that are not one host included).
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft
trap t_cleanup EXIT
lab_create 2 || t_skip_all "could not build the lab"

# --- --netns: run from the root namespace, diagnosing as the lab's host
lab_host_drop input 'meta l4proto icmp' 30
"$DROPSCOPE" diagnose "$LAB_DST4" --netns "$LAB_HOST" -d 5 -n --json >"$T_TMP/ns.json" 2>"$T_TMP/ns.err"
t_is "$?" 3 "--netns: exit 3, loss on this server"
t_is "$(jq -r .verdict "$T_TMP/ns.json")" server "--netns: the host namespace's firewall is this server's loss"
t_is "$(jq -r .server.netns "$T_TMP/ns.json")" "$(lab_netns_inode host)" "--netns: that namespace is the server"
# The advice names the namespace in a command to paste: one shell word, whatever the path holds.
hostile="$T_TMP/ns dir/it's \$(touch pwned)"
mkdir -p "$T_TMP/ns dir" && touch "$hostile" && mount --bind "/run/netns/$LAB_HOST" "$hostile" &&
	t_on_exit "umount $(printf %q "$hostile")"
"$DROPSCOPE" diagnose "$LAB_DST4" --netns "$hostile" -d 3 -n --json >"$T_TMP/hostile.json" 2>/dev/null
line=$(jq -r '.advice[] | select(startswith("nsenter"))' "$T_TMP/hostile.json" | head -n1)
t_check "hostile --netns path: the advice enters it with nsenter" test -n "$line"
words=()
(cd "$T_TMP" && eval "words=( ${line%% nft *} )" && printf '%s\n' "${words[1]}") >"$T_TMP/word"
t_is "$(cat "$T_TMP/word")" "--net=$hostile" "hostile --netns path: quoted as one shell word, as given"
t_check "hostile --netns path: nothing in it runs when the advice is pasted" test ! -e "$T_TMP/pwned"
lab_exec host nft delete table inet lab_host_input

# --- IPv6 on a clean path
lab_exec host "$DROPSCOPE" diagnose -6 "$LAB_DST6" -d 5 -n --json >"$T_TMP/v6.json" 2>"$T_TMP/v6.err"
t_is "$?" 0 "IPv6: ran"
t_is "$(jq -r .verdict "$T_TMP/v6.json")" none "IPv6: a clean path is none"
t_is "$(jq -r .network.address "$T_TMP/v6.json")" "$LAB_DST6" "IPv6: the target's address"

# --- without BTF (the tracer cannot run), a clean path is not "this server drops nothing"
lab_exec host unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$DROPSCOPE' diagnose '$LAB_DST4' -d 5 -n --json" \
	>"$T_TMP/nobtf.json" 2>"$T_TMP/nobtf.err"
t_is "$?" 0 "no BTF: ran without the tracer"
t_check "no BTF: says so on stderr" grep -q "diagnosing without the kernel drop tracer" "$T_TMP/nobtf.err"
t_is "$(jq -r .verdict "$T_TMP/nobtf.json")" none "no BTF: a clean path is still none"
# A BTF file that neither the raw reader nor libbpf can read: the reason, not "no BTF".
lab_exec host unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && echo garbage >/sys/kernel/btf/vmlinux && exec '$DROPSCOPE' diagnose '$LAB_DST4' -d 5 -n --json" \
	>"$T_TMP/badbtf.json" 2>"$T_TMP/badbtf.err"
t_is "$?" 0 "unreadable BTF: ran without the tracer"
t_check "unreadable BTF: says why" grep -q "failed to read the kernel's BTF.*: Invalid argument; diagnosing without" "$T_TMP/badbtf.err"
t_check "no BTF: the sentence does not claim this server drops nothing" \
	sh -c "! jq -r .summary '$T_TMP/nobtf.json' | grep -q 'drops nothing'"
t_check "no BTF: it says this server's drops cannot be ruled out" \
	sh -c "jq -r .summary '$T_TMP/nobtf.json' | grep -q 'No loss on the path.*cannot be ruled out'"
t_diag "$(jq -r .summary "$T_TMP/nobtf.json")"

# --- TCP retransmissions to the target (dst drops the SYNs of port 9100)
lab_nft dst 'table inet lab_syn {
	chain input { type filter hook input priority 0; tcp dport 9100 drop; }
}'
retrans0=$(lab_nstat host TcpRetransSegs)
lab_exec host "$DROPSCOPE" diagnose "$LAB_DST4" -d 5 -n --json >"$T_TMP/tcp.json" 2>"$T_TMP/tcp.err" &
dpid=$!
lab_wait_file "$T_TMP/tcp.err" diagnosing 10
lab_exec host "$LAB_TOOL" tcp-connect "$LAB_DST4" 9100 3 >/dev/null
wait "$dpid"
retrans=$(($(lab_nstat host TcpRetransSegs) - retrans0))
t_ge "$(jq -r .tcp.count "$T_TMP/tcp.json")" 3 "TCP retransmissions to the target are counted"
t_ge "$retrans" "$(jq -r .tcp.count "$T_TMP/tcp.json")" "no more than the kernel's own count ($retrans)"

# --- Ctrl-C ends early and still reports (ip netns exec execs it: $! is dropscope itself)
ip netns exec "$LAB_HOST" "$DROPSCOPE" diagnose "$LAB_DST4" -d 60 -n --json >"$T_TMP/int.json" 2>"$T_TMP/int.err" &
dpid=$!
lab_wait_file "$T_TMP/int.err" diagnosing 10
sleep 3
kill -INT "$dpid"
wait "$dpid"
t_is "$?" 0 "interrupted: exit 0"
t_is "$(jq -r .verdict "$T_TMP/int.json")" none "interrupted: still a verdict from what was measured"
t_check "interrupted: well before the 60 s" test "$(jq -r '.duration_s < 20' "$T_TMP/int.json")" = true

# --- no route at all: an answer (inconclusive), not an error
ip netns add "lab-$LAB_ID-noroute" && LAB_NSES+=("lab-$LAB_ID-noroute")
ip netns exec "lab-$LAB_ID-noroute" "$DROPSCOPE" diagnose 10.9.9.9 -d 2 --json >"$T_TMP/nr.json" 2>/dev/null
t_is "$?" 6 "no route: exit 6, inconclusive"
t_is "$(jq -r .verdict "$T_TMP/nr.json")" inconclusive "no route: inconclusive"
t_check "no route: the why says so" grep -q "no route to 10.9.9.9" <(jq -r .why "$T_TMP/nr.json")

# --- the human report: the verdict first, no colour when it is not a terminal
lab_exec host "$DROPSCOPE" diagnose "$LAB_DST4" -d 3 -n >"$T_TMP/human" 2>/dev/null
t_check "human: the first line is the verdict sentence" grep -q '^No loss' <(head -n1 "$T_TMP/human")
t_check "human: then the verdict and its confidence" grep -q '^verdict: none (confidence ' <(sed -n 2p "$T_TMP/human")
t_check "human: the hop table is there" grep -q 'HOST: .*Loss%' "$T_TMP/human"
t_check "human: no colour through a pipe" sh -c "! grep -q \$'\\033' '$T_TMP/human'"

# --- --all-flows: retransmissions to anyone; a path that only retransmits is still judged
lab_nft dst 'table inet lab_syn2 {
	chain input { type filter hook input priority 0; tcp dport 9200 drop; }
}'
lab_exec host "$DROPSCOPE" diagnose "$LAB_HOP4_1" --all-flows -d 5 -n --json >"$T_TMP/all.json" 2>"$T_TMP/all.err" &
dpid=$!
lab_wait_file "$T_TMP/all.err" diagnosing 10
lab_exec host "$LAB_TOOL" tcp-connect "$LAB_DST4" 9200 6 >/dev/null # one retry each: 6 >= VERDICT_MIN_RETRANS
wait "$dpid"
t_ge "$(jq -r .tcp.count "$T_TMP/all.json")" 6 "--all-flows: retransmissions to another address count"
t_is "$(jq -r .tcp.all_flows "$T_TMP/all.json")" true "--all-flows: said in the JSON"
t_is "$(jq -r .verdict "$T_TMP/all.json")" network "retransmissions while the host drops nothing and the probes lose none: network"

# --- demo --list names every scenario of the tests
"$DROPSCOPE" demo --list >"$T_TMP/list"
for s in healthy router-loss limiter-and-loss limiter host-firewall socket-overflow tiny-qdisc both return-path unreachable; do
	t_check "demo --list names $s" grep -q "^$s " "$T_TMP/list"
done

# --- bad input: one line, non-zero exit
t_bad "no target" 2 "needs a TARGET" "$DROPSCOPE" diagnose
t_bad "two targets" 2 "unexpected argument" "$DROPSCOPE" diagnose a b
t_bad "bad duration" 2 "bad duration" "$DROPSCOPE" diagnose "$LAB_DST4" -d 0
t_bad "unknown namespace" 2 "unknown network namespace" "$DROPSCOPE" diagnose "$LAB_DST4" --netns nope
t_bad "unknown host" 2 "failed to resolve host 'no-such-host.invalid'" lab_exec host "$DROPSCOPE" diagnose no-such-host.invalid -d 2
t_bad "a count" 2 "diagnose measures for --duration" "$DROPSCOPE" diagnose "$LAB_DST4" -c 5
t_bad "not root" 1 "needs CAP_NET_RAW" setpriv --reuid=65534 --regid=65534 --clear-groups "$DROPSCOPE" diagnose "$LAB_DST4"
t_bad "unknown scenario" 2 "unknown scenario" "$DROPSCOPE" demo nope
# Targets that are not one host (today's loopback copies of its own multicast probes looked like
# a server's loss), in the lab's host, whose uplink's subnet has a broadcast address.
for t in 224.0.0.1 ff02::1 255.255.255.255 "${LAB_HOST4%.*}.255" 0.0.0.0 ::; do
	t_bad "$t" 2 "failed to probe .*not one host" lab_exec host "$DROPSCOPE" diagnose "$t" -d 2
done
t_bad "-6 with an IPv4-mapped address" 2 "IPv4-mapped" \
	lab_exec host "$DROPSCOPE" diagnose -6 "::ffff:$LAB_DST4" -d 2
lab_exec host "$DROPSCOPE" diagnose "::ffff:$LAB_DST4" -d 2 -n --json >"$T_TMP/mapped.json" 2>/dev/null
t_is "$?" 0 "IPv4-mapped: ran"
t_is "$(jq -r .network.address "$T_TMP/mapped.json")" "$LAB_DST4" "IPv4-mapped: diagnosed as $LAB_DST4"
t_is "$(jq -r .probes.lost "$T_TMP/mapped.json")" 0 "IPv4-mapped: no probe lost"
t_done
