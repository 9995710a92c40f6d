#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's BTF is read once by the tool itself, and mapped, not copied (user/btf_scan.c):
# libbpf parses its own copy when it loads the programs, and a second btf__parse of ours cost a
# quarter of the tracer's start. Under strace: `version` maps /sys/kernel/btf/vmlinux once and
# reads none of it; `trace` maps it once and reads one file's worth (libbpf's: under 1.5 files,
# as its stdio reads of sysfs may return the last bytes twice), where it read two before.
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v strace >/dev/null || t_skip_all "strace is not installed"
BTF=/sys/kernel/btf/vmlinux
[ -r "$BTF" ] || t_skip_all "this kernel has no BTF ($BTF)"
trap t_cleanup EXIT
size=$(stat -c %s "$BTF")

# traced CMD...: CMD under strace; prints "TRIED MAPS BYTES": its mmaps of $BTF, those that
# worked, and the bytes it read from it (strace -y names each descriptor's file).
traced()
{
	timeout 60 strace -f -y -e trace=mmap,read,pread64 -o "$T_TMP/strace" "$@" >/dev/null 2>&1
	awk -v f="<$BTF>" '
		index($0, f) && /mmap\(/ { tried++; if ($NF !~ /^-1/) maps++ }
		index($0, f) && /(pread64|read)\(/ && $NF ~ /^[0-9]+$/ { bytes += $NF }
		END { print tried + 0, maps + 0, bytes + 0 }' "$T_TMP/strace"
}

read -r tried maps bytes < <(traced "$DROPSCOPE" version)
[ "$tried" -ge 1 ] && [ "$maps" = 0 ] &&
	t_skip_all "this kernel does not let $BTF be mapped (before 6.16): the tool reads it, as libbpf does"
t_is "$maps" 1 "version: vmlinux BTF mapped once"
t_is "$bytes" 0 "version: and none of it read (copied)"

read -r tried maps bytes < <(traced "$DROPSCOPE" trace --duration 0.2 -N self)
t_is "$maps" 1 "trace: vmlinux BTF mapped once, for the reasons and the feature probes"
t_check "trace: one copy read, libbpf's ($bytes bytes of a $size-byte file)" \
	[ "$((bytes * 2))" -lt "$((size * 3))" ]
t_done
