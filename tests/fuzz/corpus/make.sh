#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (Re)writes the fuzz targets' seed corpora: fuzz_probe_parse/ from $BUILD/fuzz/probe_seeds (valid
# packets of each kind), fuzz_btf_scan/ from $BUILD/fuzz/btf_seeds (BTF files), fuzz_counters_parse/ from the /proc fixtures in tests/fixtures/counters,
# each behind the byte that picks its parser. Usage: make fuzz; tests/fuzz/corpus/make.sh [DIR]
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
rm -rf "$out/fuzz_probe_parse" "$out/fuzz_counters_parse" "$out/fuzz_btf_scan"
mkdir -p "$out/fuzz_probe_parse" "$out/fuzz_counters_parse" "$out/fuzz_btf_scan"
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
