#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mtr's habits: its letters (-T -u -P -s -m -f -r) mean in probe what they mean in mtr, and
# --output mtr-json has the layout of mtr --json (Debian's mtr-tiny, run on the same lab path),
# so that what parses mtr's output reads ours.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_lib.sh"
command -v mtr >/dev/null || t_skip_all "mtr is missing (mtr-tiny)"
probe_lab 3

lab_exec host mtr -n -j -c 10 -i 0.1 "$LAB_DST4" >"$T_TMP/mtr.json" 2>"$T_TMP/mtr.err"
t_is "$?" 0 "mtr --json ran on the lab path"
lab_exec host "$DROPSCOPE" probe -n -c 10 --output mtr-json "$LAB_DST4" >"$T_TMP/ds.json" 2>"$T_TMP/ds.err"
t_is "$?" 0 "probe --output mtr-json: exit 0"
keys() { jq -r "$2 | keys | join(\",\")" "$1"; }
t_is "$(keys "$T_TMP/ds.json" .report.mtr)" "$(keys "$T_TMP/mtr.json" .report.mtr)" "report.mtr: mtr's keys"
t_is "$(keys "$T_TMP/ds.json" '.report.hubs[0]')" "$(keys "$T_TMP/mtr.json" '.report.hubs[0]')" "report.hubs[]: mtr's keys"
t_is "$(jq -r '[.report.hubs[] | .host] | join(" ")' "$T_TMP/ds.json")" \
	"$(jq -r '[.report.hubs[] | .host] | join(" ")' "$T_TMP/mtr.json")" "the same hops as mtr's, in order"
t_is "$(jq -r '[.report.hubs[] | .count] | join(" ")' "$T_TMP/ds.json")" "1 2 3 4" "count is the hop number"
t_is "$(jq -r '.report.mtr.dst' "$T_TMP/ds.json")" "$LAB_DST4" "report.mtr.dst is the target"
t_is "$(jq -r '.report.mtr.tests' "$T_TMP/ds.json")" 10 "report.mtr.tests is -c"
t_is "$(jq -r '[.report.hubs[] | ."Loss%" | type] | unique | join(",")' "$T_TMP/ds.json")" number "Loss% is a number"

# mtr's letters.
probe_json "$O" -T -P 22 -m 3 -f 2 -c 5 "$LAB_DST4"
t_is "$(jq -r '.protocol, .port, .hops[0].ttl, (.hops | length)' "$O" | tr '\n' ' ')" "tcp 22 2 2 " \
	"-T -P 22 -f 2 -m 3: tcp to port 22, hops 2 and 3"
probe_json "$O" -u -s 100 -c 5 "$LAB_DST4"
t_is "$(jq -r '.protocol, .size' "$O" | tr '\n' ' ')" "udp 100 " "-u -s 100: udp probes of 100 bytes"
lab_exec host "$DROPSCOPE" probe -n -r -c 5 "$LAB_DST4" >"$T_TMP/r.txt" 2>/dev/null
t_check "-r: the report table" grep -q '^HOST: .*Loss%' "$T_TMP/r.txt"
t_bad "--output: a format it does not know" 2 "bad --output 'xml'" "$DROPSCOPE" probe --output xml 127.0.0.1
t_done
