#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (Re)writes the fuzz targets' seed corpora: fuzz_probe_parse/ from $BUILD/fuzz/probe_seeds (valid
# packets of each kind), fuzz_btf_scan/ from $BUILD/fuzz/btf_seeds (BTF files), fuzz_counters_parse/ from the /proc fixtures in tests/fixtures/counters,
# each behind the byte that picks its parser, and fuzz_http_request/ from the requests at the end
# of this file. Usage: make fuzz; tests/fuzz/corpus/make.sh [DIR]
# (DIR defaults to this directory; the fuzz tests write a fresh copy elsewhere and compare).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
out=${1:-$here}
fix=$top/tests/fixtures/counters

for g in probe_seeds btf_seeds; do
	[ -x "$BUILD/fuzz/$g" ] || {
		echo "make.sh: $BUILD/fuzz/$g is not built (make fuzz)" >&2
		exit 1
	}
done
rm -rf "$out/fuzz_probe_parse" "$out/fuzz_counters_parse" "$out/fuzz_btf_scan" "$out/fuzz_http_request"
mkdir -p "$out/fuzz_probe_parse" "$out/fuzz_counters_parse" "$out/fuzz_btf_scan" "$out/fuzz_http_request"
"$BUILD/fuzz/probe_seeds" "$out/fuzz_probe_parse"
"$BUILD/fuzz/btf_seeds" "$out/fuzz_btf_scan"

# seed SELECTOR NAME FILE: the byte fuzz_counters_parse.c switches on (octal), then FILE.
seed()
{
	{
		printf %b "\\0$1"
		cat "$3"
	} >"$out/fuzz_counters_parse/$2"
}
for d in "$fix"/*/; do
	v=$(basename "$d")
	[ "$v" = garbage ] && continue
	[ ! -f "$d/net/softnet_stat" ] || seed 000 "$v-softnet_stat" "$d/net/softnet_stat"
	[ ! -f "$d/net/snmp" ] || seed 001 "$v-snmp" "$d/net/snmp"
	[ ! -f "$d/net/netstat" ] || seed 001 "$v-netstat" "$d/net/netstat"
	[ ! -f "$d/net/snmp6" ] || seed 002 "$v-snmp6" "$d/net/snmp6"
	[ ! -f "$d/net/stat/nf_conntrack" ] || seed 003 "$v-nf_conntrack" "$d/net/stat/nf_conntrack"
done
for f in "$fix"/garbage/*; do
	g=$(basename "$f")
	case "$g" in
	softnet_*) seed 000 "garbage-$g" "$f" ;;
	snmp6_*) seed 002 "garbage-$g" "$f" ;;
	snmp_*) seed 001 "garbage-$g" "$f" ;;
	conntrack_*) seed 003 "garbage-$g" "$f" ;;
	*) seed 004 "garbage-$g" "$f" ;;
	esac
done
# Sysctl values: one number, three numbers (tcp_rmem), and a CPU mask.
for s in core/somaxconn ipv4/tcp_rmem; do
	seed 004 "linux-6.18-$(basename "$s")" "$fix/linux-6.18/sys/net/$s"
done
printf '\004ff,00000003\n' >"$out/fuzz_counters_parse/cpu-mask"

# HTTP requests: what Prometheus and curl send, and one of each kind the parser refuses.
req()
{
	printf %b "$2" >"$out/fuzz_http_request/$1"
}
req prometheus 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9377\r\nUser-Agent: Prometheus/2.42.0\r\nAccept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n'
req curl-pipelined 'GET /metrics?x=1 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\nHEAD /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
req absolute-lf 'GET http://h:9377/metrics HTTP/1.1\nhost: h\naccept: text/plain\naccept: application/openmetrics-text\nconnection: close\n\n'
req body 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello'
req version 'GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n'
req folded 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: a\r\n b\r\n\r\n'
