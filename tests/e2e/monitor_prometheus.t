#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dropscope monitor with the real components: Debian's Prometheus scrapes a monitor whose
# server is the lab's host namespace; its HTTP API gives the NETFILTER_DROP count, which must be
# the nft rule's counter, and increase() over a window that spans a restart with --keep, which
# must be the drops made in that window. Debian's node_exporter reads the --textfile output.
# promtool checks the text exposition; Prometheus' own parser takes the OpenMetrics one.
. "$(dirname "$0")/../lib.sh"
t_need_root
t_need nft reason:NETFILTER_DROP
command -v prometheus >/dev/null || t_skip_all "prometheus is not installed (scripts/deps.sh)"
command -v promtool >/dev/null || t_skip_all "promtool is not installed (scripts/deps.sh)"
NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter) ||
	t_skip_all "prometheus-node-exporter is not installed (scripts/deps.sh)"
trap t_cleanup EXIT

lab_create 1 || t_skip_all "could not build the lab"
PIN=/sys/fs/bpf/dstest-prom-$$
t_on_exit "\"$DROPSCOPE\" monitor --remove --pin-dir $PIN >/dev/null 2>&1"

MPORT=$(t_free_port 1) && PPORT=$(t_free_port 2) && NPORT=$(t_free_port 3) || t_skip_all "no free loopback port"
[ "$MPORT" != "$PPORT" ] && [ "$PPORT" != "$NPORT" ] && [ "$MPORT" != "$NPORT" ] ||
	t_skip_all "no three distinct free ports"
mkdir -p "$T_TMP/textfile" "$T_TMP/prom"

start_monitor() # OUT
{
	"$DROPSCOPE" -v monitor -N "$LAB_HOST" --pin-dir "$PIN" --keep --listen "127.0.0.1:$MPORT" \
		--textfile "$T_TMP/textfile" --interval 1 >"$1" 2>"$1.err" &
	MON=$!
	t_on_exit "kill $MON"
	t_wait_ready "$1.err"
}

# prom_query EXPR [TIME]: the value of an instant query's first series ("" if none).
prom_query()
{
	curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" \
		${2:+--data-urlencode "time=$2"} | jq -r '.data.result[0].value[1] // ""'
}

# prom_wait EXPR VALUE SECONDS: until the query gives VALUE.
prom_wait()
{
	local i v
	for i in $(seq 1 $(($3 * 4))); do
		v=$(prom_query "$1")
		[ "$v" = "$2" ] && return 0
		sleep 0.25
	done
	echo "$v"
	return 1
}

drops() # N: N datagrams the host's nft rule drops (NETFILTER_DROP)
{
	lab_exec host "$LAB_TOOL" udp-send "$LAB_DST4" 9999 "$1" >/dev/null
}

SERIES='dropscope_kernel_drops_total{reason="NETFILTER_DROP"}'
lab_host_drop output 'udp dport 9999'
start_monitor "$T_TMP/mon1" || { t_ok 1 "the monitor starts"; t_done; exit; }
t_ok 0 "the monitor starts, with -N the lab's host namespace"

# The expositions, checked before Prometheus comes.
drops 10
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$T_TMP/text.prom"
t_is "$?" 0 "GET /metrics answers"
promtool check metrics <"$T_TMP/text.prom" >"$T_TMP/promtool.out" 2>&1
t_is "$?" 0 "promtool check metrics passes on the text format"
sed 's/^/#   /' "$T_TMP/promtool.out"
t_check "the text format names a counter's family with _total" \
	grep -q '^# TYPE dropscope_kernel_drops_total counter$' "$T_TMP/text.prom"
t_check "the drops so far are there" grep -q '^dropscope_kernel_drops_total{reason="NETFILTER_DROP",category="policy"} 10$' "$T_TMP/text.prom"
curl -sf -D "$T_TMP/om.headers" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
	"http://127.0.0.1:$MPORT/metrics" >"$T_TMP/om.prom"
t_check "OpenMetrics when the Accept header asks for it" grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$T_TMP/om.headers"
t_is "$(tail -n1 "$T_TMP/om.prom")" "# EOF" "which ends with # EOF"
t_check "and names the counter's family without _total" grep -q '^# TYPE dropscope_kernel_drops counter$' "$T_TMP/om.prom"
# promtool's linter reads the text format only: the OpenMetrics exposition, less what differs
# (the family names in HELP and TYPE, # EOF), must have the text one's series, one for one.
# Not their values, nor the drop reasons' series: between the two scrapes the lab's own IPv6
# multicast drops may move a count or bring a new reason.
t_is "$(grep -v '^#' "$T_TMP/om.prom" | grep -v '^dropscope_kernel_drop' | sed 's/ [^ ]*$//' | md5sum)" \
	"$(grep -v '^#' "$T_TMP/text.prom" | grep -v '^dropscope_kernel_drop' | sed 's/ [^ ]*$//' | md5sum)" \
	"the OpenMetrics series are the text format's"
t_check "with the same count of the drops made" grep -q '^dropscope_kernel_drops_total{reason="NETFILTER_DROP",category="policy"} 10$' "$T_TMP/om.prom"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nothing")" 404 "another path is 404"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")" 405 "a POST is 405"

# Prometheus: its own config, storage and port; scraped every second; killed at the end.
cat >"$T_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: dropscope
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
prometheus --config.file="$T_TMP/prometheus.yml" --storage.tsdb.path="$T_TMP/prom" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$T_TMP/prometheus.log" 2>&1 &
PROM=$!
t_on_exit "kill $PROM; wait $PROM"
for i in $(seq 1 80); do
	curl -sf "http://127.0.0.1:$PPORT/-/ready" >/dev/null && break
	sleep 0.25
done
t_is "$(prom_wait 'up{job="dropscope"}' 1 20)" "" "Prometheus scrapes the monitor (up = 1)"
t_is "$(curl -sf "http://127.0.0.1:$PPORT/api/v1/targets" | jq -r '.data.activeTargets[0].lastError')" "" \
	"with no scrape error"
t_check "Prometheus asked for OpenMetrics, and its parser took it" grep -q "served /metrics as OpenMetrics" "$T_TMP/mon1.err"

# The count Prometheus has is the nft rule's.
drops 90
nft_count=$(lab_nft_counter host lab_host_output)
t_is "$nft_count" 100 "the nft rule dropped the 100 datagrams sent"
t_is "$(prom_wait "$SERIES" "$nft_count" 20)" "" "Prometheus' NETFILTER_DROP count is the nft rule's counter ($nft_count)"

# A window across a restart: drops before it, while no monitor runs (the programs stay
# attached through the pins), and after it. increase() over exactly the span between two
# scrapes (no extrapolation then) must be those drops.
sleep 2
t0=$(date +%s.%N)
sleep 3 # a few scrapes (one a second) before the window's drops, even on a busy machine
drops 40
prom_wait "$SERIES" $((nft_count + 40)) 20 >/dev/null
kill -TERM "$MON"
t_wait "$MON" 10
t_check "a --keep monitor leaves the program's link pinned" test -e "$PIN/link_kfree_skb"
drops 30
start_monitor "$T_TMP/mon2"
t_check "the new monitor adopts the pins" grep -q "reusing the pins in $PIN" "$T_TMP/mon2.err"
drops 20
want=$((nft_count + 90))
t_is "$(lab_nft_counter host lab_host_output)" "$want" "the rule has dropped 90 more"
t_is "$(prom_wait "$SERIES" "$want" 20)" "" "Prometheus has every drop, those made while no monitor ran too"
sleep 1.5
t1=$(date +%s.%N)
# The samples in [t0, t1]: the first (before any of the 90) and the last (after all).
curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=${SERIES}[5m]" \
	--data-urlencode "time=$t1" >"$T_TMP/range.json"
first=$(jq -r --argjson t0 "$t0" '[.data.result[0].values[] | select(.[0] >= $t0)][0][0]' "$T_TMP/range.json")
last=$(jq -r '.data.result[0].values[-1][0]' "$T_TMP/range.json")
t_is "$(jq -r --argjson t0 "$t0" '[.data.result[0].values[] | select(.[0] >= $t0)][0][1]' "$T_TMP/range.json")" \
	"$nft_count" "the window's first sample is before its drops"
ms=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%d", (b - a) * 1000 + 0.5 }')
t_is "$(prom_query "increase(${SERIES}[${ms}ms])" "$last")" 90 \
	"increase() over the window across the restart is the 90 drops made in it"
t_is "$(prom_query "resets(${SERIES}[5m])")" 0 "and the counter never reset"

# node_exporter reads the textfile.
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$NPORT" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$T_TMP/textfile" >"$T_TMP/node.log" 2>&1 &
NODE=$!
t_on_exit "kill $NODE; wait $NODE"
for i in $(seq 1 40); do
	curl -sf "http://127.0.0.1:$NPORT/metrics" >"$T_TMP/node.prom" && break
	sleep 0.25
done
t_check "node_exporter serves the textfile's drop counter" \
	grep -q "^dropscope_kernel_drops_total{category=\"policy\",reason=\"NETFILTER_DROP\"} $want\$" "$T_TMP/node.prom"
t_check "with no textfile error" grep -q '^node_textfile_scrape_error 0$' "$T_TMP/node.prom"
promtool check metrics <"$T_TMP/textfile/dropscope.prom" >"$T_TMP/promtool2.out" 2>&1
t_is "$?" 0 "promtool check metrics passes on the textfile"
# The monitor rewrites it every second: a temporary file may be there during a write, so look
# a few times; one left behind is there every time.
for i in 1 2 3 4 5; do
	files=$(ls -a "$T_TMP/textfile" | grep -vc '^\.\.\?$')
	[ "$files" = 1 ] && break
	sleep 0.2
done
t_is "$files" 1 "the textfile directory holds dropscope.prom alone (no temporary file left)"

kill -TERM "$MON"
t_wait "$MON" 10
"$DROPSCOPE" monitor --remove --pin-dir "$PIN" 2>"$T_TMP/remove.err"
t_is "$?" 0 "monitor --remove"
t_check "detaches and removes the pins" eval "! test -e '$PIN'"
t_done
