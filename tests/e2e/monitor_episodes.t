#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope monitor's probing half in the lab (host - r1 - r2 - r3 - dst), one monitor with
# -N the lab host and 12 s segments (DROPSCOPE_SEGMENT_S), five targets:
#   dst    r2 drops half of what it forwards toward dst for 16 s: an episode whose record says
#          network, from hop 3 (r3, the first hop behind r2); it spans two segments at least,
#          and its record at the end is the merge over all of them (its probes are the sum of
#          the segments', its duration and rates over their span)
#   r1     once dst's is recorded, the host's own firewall drops 30% of the probes to r1 for
#          16 s: an episode whose record says server, the probes lost on the way out, and this
#          server's NETFILTER_DROP drops over the episode exactly the rule's counter
#   r2     clean all along: no episode
#   a name that does not resolve, and an address with no host behind it: no episode, and the
#          other targets go on
#   r1's link-local address, scoped (fe80::...%eth1): probed as it is written
#   localhost, a name: probed from the first segment on (its lookup waited for)
# All of them are probed by one process a segment. Then the textfile's probe families: promtool
# checks them, the episodes are counted by verdict, the lost probes by where. Last, an episode
# open at a stop gets its record then. About 90 s.
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft
command -v jq >/dev/null || t_skip_all "jq is missing"
trap t_cleanup EXIT

lab_create 3 || t_skip_all "could not build the lab"
lab_wait_ready || t_skip_all "the lab's destination does not answer"
PIN=/sys/fs/bpf/dstest-mep-$$
TF=$T_TMP/textfile
mkdir -p "$TF"
t_on_exit "\"$DROPSCOPE\" monitor --remove --pin-dir $PIN >/dev/null 2>&1; rm -rf $PIN"
DST=$LAB_DST4 R1=$LAB_HOP4_1 R2=$LAB_HOP4_2 NONAME=no-such-host.invalid NOHOST=192.0.2.77
OUT=$T_TMP/mon
# r1's link-local address on the link to the host, once its duplicate detection is over.
for i in $(seq 1 50); do
	LL=$(lab_exec r1 ip -6 -o addr show dev eth0 scope link | grep -v tentative |
		awk '{ sub("/.*", "", $4); print $4; exit }')
	[ -n "$LL" ] && break
	sleep 0.1
done
[ -n "$LL" ] && LL=$LL%eth1
NAME=
getent hosts localhost >/dev/null && NAME=localhost

# record TARGET: its episode records, one JSON object a line.
record() { jq -c --arg t "$1" 'select(.episode.target == $t)' "$OUT"; }
# closing TARGET: its record with an end.
closing() { record "$1" | jq -c 'select(.episode.end != null)'; }
# metric SERIES: its value in the textfile.
metric() { awk -v s="$1" '$1 == s { print $2 }' "$TF/dropscope.prom"; }
# hop_sums TARGET: its probes sent and lost so far, every hop together (they move once a
# segment, at its end).
hop_sums()
{
	awk -v p="{target=\"$1\"," '
		index($1, "dropscope_hop_sent_total" p) == 1 { s += $2 }
		index($1, "dropscope_hop_received_total" p) == 1 { r += $2 }
		END { print s + 0, s - r }' "$TF/dropscope.prom" 2>/dev/null
}

DROPSCOPE_SEGMENT_S=12 t_start_bg "$OUT" "$DROPSCOPE" monitor -N "$LAB_HOST" --pin-dir "$PIN" \
	--json --textfile "$TF" --interval 2 "$DST" "$R1" "$R2" "$NONAME" "$NOHOST" ${LL:+"$LL"} \
	${NAME:+"$NAME"}
MON=$T_BG_PID
t_wait_ready "$OUT.err" || t_skip_all "the monitor did not start"
# The first segment's counts (r2's, a literal, first non-zero): the name's, looked up at the
# start, are among them. Watched in the background, 40 s at most.
if [ -n "$NAME" ]; then
	(for i in $(seq 1 200); do
		r2=$(metric "dropscope_probe_sent_total{target=\"$R2\"}")
		if [ "${r2:-0}" -gt 0 ]; then
			echo "${r2} $(metric "dropscope_probe_sent_total{target=\"$NAME\"}")" >"$T_TMP/first"
			break
		fi
		sleep 0.2
	done) &
	t_on_exit "kill $! 2>/dev/null"
fi
start=$(date +%s)
# dst's sums each time they move: a line a segment (the textfile is rewritten every 2 s, a
# segment lasts 12 s). 300 s at most.
(last=
for i in $(seq 1 1500); do
	now=$(hop_sums "$DST")
	[ -n "$now" ] && [ "$now" != "$last" ] && echo "$now" >>"$T_TMP/dst_sums" && last=$now
	sleep 0.2
done) &
t_on_exit "kill $! 2>/dev/null"
# Episodes are looked for once a segment has shown each target answers: after the first.
sleep 14
# One prober process a segment for all targets (not one each): this segment's, and the last
# one's while its answers drain.
nproc=$(ps -o pid= --ppid "$MON" | grep -c .)
t_check "one prober process a segment for the targets it can probe ($nproc running)" \
	test "$nproc" -ge 1 -a "$nproc" -le 2

lab_fwd_loss r2 50 fwd
sleep 16
lab_exec r2 nft delete table inet lab_loss
# dst's episode ends some 15 s later, and its record comes with the segment's end; r1's loss
# starts after it, out of dst's window.
lab_wait_file "$OUT" "\"target\":\"$DST\",\"start\":\"[^\"]*\",\"end\":\"" 45
t_ok $? "dst's episode ended and was recorded (after $(($(date +%s) - start)) s)"
# The destination's probes only (TTL above 1): their drops are the episode's.
lab_host_drop output "ip daddr $R1 ip ttl > 1 meta l4proto icmp" 30
sleep 16
NFT_DROPPED=$(lab_nft_counter host lab_host_output)
lab_exec host nft delete table inet lab_host_output
lab_wait_file "$OUT" "\"target\":\"$R1\",\"start\":\"[^\"]*\",\"end\":\"" 45
t_ok $? "r1's episode ended and was recorded (after $(($(date +%s) - start)) s)"
sleep 3
t_check "the monitor still runs" t_running "$MON"

c=$(closing "$DST")
t_is "$(echo "$c" | grep -c .)" 1 "dst: one episode, recorded at its end"
v=$(echo "$c" | jq -r .verdict)
t_is "$v" network "dst: verdict network"
[ "$v" = network ] || t_diag "the record: $c"
t_is "$(echo "$c" | jq -r .network.loss_origin.ttl)" 3 "dst: the loss starts at hop 3"
t_is "$(echo "$c" | jq -r .network.loss_origin.address)" "$LAB_HOP4_3" "dst: which is r3"
t_is "$(echo "$c" | jq -r .probes.lost_on_host_egress)" 0 "dst: no probe lost on this server"
t_ge "$(record "$DST" | jq -r 'select(.episode.end == null) | .verdict' | grep -c network)" 1 \
	"dst: a record while it lasted, with the same verdict"
s=$(echo "$c" | jq -r .episode.start) e=$(echo "$c" | jq -r .episode.end)
t_check "dst: start and end are RFC 3339 UTC, start first" \
	test "$(date -u -d "$s" +%Y-%m-%dT%H:%M:%SZ)" = "$s" -a "$(date -d "$e" +%s)" -gt "$(date -d "$s" +%s)"
# The record's counts are whole segments': its duration_s is their span, from its path's start
# (at or before the episode's; the times are whole seconds, so within 1 s) to at or after the
# episode's end.
dur=$(echo "$c" | jq -r .duration_s)
from=$(date -d "$(echo "$c" | jq -r .network.started)" +%s)
t_check "dst: the record's counted span holds the episode ($dur s from $(echo "$c" | jq -r .network.started), episode $s..$e)" \
	awk -v d="$dur" -v f="$from" -v s="$(date -d "$s" +%s)" -v e="$(date -d "$e" +%s)" \
	'BEGIN { exit !(f <= s + 1 && f + d >= e - 1) }'
t_is "$(echo "$c" | jq -r .network.duration_s)" "$dur" "dst: its path's duration is the record's"
# Its probes: the sum over a run of consecutive segments (2 at least: the loss lasted 16 s of
# 12 s segments), each segment's from the metrics' moves. One segment's merge alone (the record
# before) matches a run of 1.
sent=$(echo "$c" | jq -r .probes.sent) lost=$(echo "$c" | jq -r .probes.lost)
run=$(awk -v S="$sent" -v L="$lost" '
	{ s[NR] = $1; l[NR] = $2 }
	END {
		best = s[0] = l[0] = 0
		for (i = 0; i < NR; i++)
			for (j = i + 1; j <= NR; j++)
				if (s[j] - s[i] == S && l[j] - l[i] == L && j - i > best)
					best = j - i
		print best
	}' "$T_TMP/dst_sums" 2>/dev/null)
t_ge "${run:-0}" 2 "dst: the record's $sent probes sent, $lost lost, are the sum of ${run:-0} segments' (2 at least)" ||
	t_diag "the segments' sums (sent lost): $(tr '\n' ' ' <"$T_TMP/dst_sums" 2>/dev/null)"
t_ge "$lost" 20 "dst: its lost probes are counted"
t_ge "$(echo "$c" | jq -r .episode.segments)" 2 "dst: its record says it sums 2 segments or more"
t_is "$(echo "$c" | jq -r .episode.segments_left_out)" 0 "dst: and left none out"
# Every rate is over that span: the record's probes a second are the segments' (a steady budget;
# each segment's probes over its 12 s, the median one), 15% more at most (over the episode's
# shorter window they would be far more); less when a loaded machine makes boundaries late.
seg_rate=$(awk 'NR > 1 { print ($1 - s) / 12 } { s = $1 }' "$T_TMP/dst_sums" 2>/dev/null | sort -n |
	awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
t_check "dst: its $sent probes over its $dur s are the segments' rate ($seg_rate/s)" \
	awk -v n="$sent" -v d="$dur" -v r="$seg_rate" 'BEGIN { exit !(d > 0 && r > 0 && n / d > r * 0.7 && n / d < r * 1.15) }'
# The records while it lasted are the episode so far: each has the one before's probes and more.
sofar=$(record "$DST" | jq -r 'select(.episode.start == "'"$s"'") | .probes.sent' | tr '\n' ' ')
t_check "dst: its records grow to the last, the episode so far each ($sofar)" \
	awk -v l="$sofar" 'BEGIN { n = split(l, v, " "); for (i = 2; i <= n; i++) if (v[i] + 0 < v[i - 1] + 0) exit 1; exit !(n >= 2 && v[n] > v[1]) }'

c=$(closing "$R1")
t_is "$(echo "$c" | grep -c .)" 1 "r1: one episode, recorded at its end"
t_is "$(echo "$c" | jq -r .verdict)" server "r1: verdict server"
t_ge "$(echo "$c" | jq -r .probes.lost_on_host_egress)" 1 "r1: probes lost on this server's way out"
# The reason's name is the kernel's (5.17 on); before that the drop is still this server's.
if t_has_reason NETFILTER_DROP; then
	t_is "$(echo "$c" | jq -r .probes.egress_reason)" NETFILTER_DROP "r1: by its firewall"
else
	t_diag "skip: this kernel's BTF has no NETFILTER_DROP drop reason"
fi
t_is "$(echo "$c" | jq -r .probes.lost_in_network)" 0 "r1: none in the network"
# This server's drops over the episode's window: every one the rule made (its first drop is in
# the segment holding the episode's start, its last in the one holding its end).
if t_has_reason NETFILTER_DROP; then
	t_is "$(echo "$c" | jq '[.server.drops[] | select(.reason == "NETFILTER_DROP") | .count] | add // 0')" \
		"$NFT_DROPPED" "r1: the record's NETFILTER_DROP drops are the rule's counter ($NFT_DROPPED)"
	# The symbols are read for each record's locations, not all held from the start.
	if [ "$(awk '$3 == "T" || $3 == "t" { print $1; exit }' /proc/kallsyms)" = 0000000000000000 ]; then
		t_diag "skip: kernel addresses are hidden from root here (kptr_restrict)"
	else
		t_is "$(echo "$c" | jq '[.server.drops[] | select(.reason == "NETFILTER_DROP") | .location | test("^[A-Za-z_][A-Za-z0-9_.]*$")] | all')" \
			true "r1: the record's drops are at named functions, not addresses"
	fi
fi

t_is "$(record "$R2" | grep -c .)" 0 "r2, clean: no episode"
t_is "$(record "$NONAME" | grep -c .)" 0 "a name that does not resolve: no episode"
t_is "$(record "$NOHOST" | grep -c .)" 0 "an address nobody answers for: no episode"
t_check "the name that does not resolve is said, and the others go on" \
	grep -q "$NONAME: not probed for the next 12 s; the other targets go on" "$OUT.err"
t_check "the journal has a line for each record" \
	grep -q "dropscope: episode $R1 .*: verdict server" "$OUT.err"

# The textfile (rewritten every 2 s).
sleep 3
promtool_out=$(promtool check metrics <"$TF/dropscope.prom" 2>&1)
t_is "$?" 0 "promtool check metrics passes on the textfile" || t_diag "$promtool_out"
t_is "$(metric "dropscope_episodes_total{target=\"$DST\",verdict=\"network\"}")" 1 \
	"dst: one episode counted, network"
t_is "$(metric "dropscope_episodes_total{target=\"$R1\",verdict=\"server\"}")" 1 \
	"r1: one episode counted, server"
t_is "$(awk -v t="$R2" 'index($1, "dropscope_episodes_total{target=\"" t "\"") == 1 { n += $2 } END { print n + 0 }' "$TF/dropscope.prom")" 0 \
	"r2: no episode counted"
t_is "$(metric "dropscope_episode_open{target=\"$R2\"}")" 0 "r2: none open"
t_ge "$(metric "dropscope_probe_lost_total{target=\"$DST\",where=\"network\"}")" 20 \
	"dst: probes lost in the network counted"
t_is "$(metric "dropscope_probe_lost_total{target=\"$DST\",where=\"host_egress\"}")" 0 \
	"dst: none on this server"
eg=$(metric "dropscope_probe_lost_total{target=\"$R1\",where=\"host_egress\"}")
t_ge "$eg" 5 "r1: probes lost on this server's way out counted"
# The nft rule also drops the probes to hop 1, which is r1: at least as many as the metric.
t_ge "$NFT_DROPPED" "$eg" \
	"no more than the firewall dropped"
t_ge "$(metric "dropscope_probe_sent_total{target=\"$R2\"}")" 500 "r2: its probes counted"
if [ -n "$LL" ]; then
	t_ge "$(metric "dropscope_probe_sent_total{target=\"$LL\"}")" 500 \
		"a scoped link-local target ($LL) is probed"
	t_ge "$(metric "dropscope_hop_received_total{target=\"$LL\",ttl=\"1\"}")" 1 "and answers"
else
	t_diag "skipped the link-local target: r1 has no link-local address on eth0"
fi
if [ -n "$NAME" ]; then
	t_ge "$(awk '{ print $2 + 0 }' "$T_TMP/first" 2>/dev/null)" 1 \
		"a name ($NAME) is probed in the first segment (r2 sent, $NAME sent: $(cat "$T_TMP/first" 2>/dev/null))"
else
	t_diag "skipped the named target: localhost does not resolve here"
fi
t_is "$(metric "dropscope_hop_received_total{target=\"$DST\",ttl=\"1\"}")" \
	"$(metric "dropscope_hop_sent_total{target=\"$DST\",ttl=\"1\"}")" "dst: hop 1 answers every probe"
t_ge "$(metric "dropscope_probe_rtt_seconds_count{target=\"$DST\"}")" 500 "dst: round trips counted"

# An episode still open when the monitor stops: its record comes with the stop, from the segment
# under way cut there, still open (end null).
before=$(record "$DST" | grep -c .)
lab_fwd_loss r2 50 fwd
for i in $(seq 1 100); do
	[ "$(grep -c "loss episode on $DST:" "$OUT.err")" -ge 2 ] && break
	sleep 0.2
done
t_stop "$MON"
t_ok $? "the monitor stopped"
lab_exec r2 nft delete table inet lab_loss
last=$(record "$DST" | tail -n 1)
t_ge "$(record "$DST" | grep -c .)" $((before + 1)) "dst: a record more"
t_is "$(echo "$last" | jq -r .network.interrupted)" true \
	"dst: the last one printed at the stop, of the segment it cut"
t_is "$(echo "$last" | jq -r .episode.end)" null "dst: the episode still open"
# (The segment the stop cut may have begun after the loss that opened the episode: then the one
# before holds it, recorded at its end or at the stop.)
t_ge "$(record "$DST" | tail -n +$((before + 1)) | jq .probes.lost_in_network | sort -n | tail -n 1)" 1 \
	"dst: its lost probes in the records since, in the network"
t_done
