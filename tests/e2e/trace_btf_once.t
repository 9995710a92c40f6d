#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's BTF is read once by the tool itself (user/btf_scan.c): libbpf parses its own copy
# when it loads the programs, and a second btf__parse of ours cost a quarter of the tracer's
# start. Under strace, copies of /sys/kernel/btf/vmlinux are counted by either route: a
# mapping is one (ours from 6.16, libbpf's own from 1.6 on 6.16), and so is a file's worth of
# reads (ours where sysfs refuses mmap, libbpf's before 1.6: its stdio reads of sysfs may
# return the last bytes twice, hence the rounding). `version` makes one copy, ours; `trace`
# two, ours and libbpf's, where the old code made two and three; so does a `monitor` that loads
# the programs (it made three: reasons_load's, tracer_open's and libbpf's), and one that reuses
# another's pins makes one, for its reason names.
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v strace >/dev/null || t_skip_all "strace is not installed"
BTF=/sys/kernel/btf/vmlinux
[ -r "$BTF" ] || t_skip_all "this kernel has no BTF ($BTF)"
trap t_cleanup EXIT
size=$(stat -c %s "$BTF")

# copies FILE: the counts below from an strace log.
copies()
{
	awk -v f="<$BTF>" -v size="$size" '
		index($0, f) && /mmap\(/ { tried++; if ($NF !~ /^-1/) maps++ }
		index($0, f) && /(pread64|read)\(/ && $NF ~ /^[0-9]+$/ { bytes += $NF }
		END { print tried + 0, maps + 0, bytes + 0, maps + int(bytes / size + 0.5) }' "$1"
}

# traced CMD...: CMD under strace; prints "TRIED MAPS BYTES COPIES": its mmaps of $BTF, those
# that worked, the bytes it read from it (strace -y names each descriptor's file), and the
# copies both routes made.
traced()
{
	timeout 60 strace -f -y -e trace=mmap,read,pread64 -o "$T_TMP/strace" "$@" >/dev/null 2>&1
	copies "$T_TMP/strace"
}

# monitor_traced N: a monitor under strace, until it has started, then SIGINT; its copies.
monitor_traced()
{
	local pid
	timeout 60 strace -f -y -e trace=mmap,read,pread64 -o "$T_TMP/strace.$1" \
		sh -c 'echo $$ >"$0"; exec "$@"' "$T_TMP/pid.$1" "$DROPSCOPE" monitor \
		--pin-dir "$PIN" --keep >/dev/null 2>"$T_TMP/mon.$1" &
	pid=$!
	lab_wait_file "$T_TMP/mon.$1" 'attached; monitoring' 30 >&2 || sed 's/^/#   /' "$T_TMP/mon.$1" >&2
	kill -INT "$(cat "$T_TMP/pid.$1")" 2>/dev/null
	wait "$pid"
	copies "$T_TMP/strace.$1"
}

read -r tried maps bytes copies < <(traced "$DROPSCOPE" version)
t_is "$copies" 1 "version: one copy of vmlinux BTF, ours ($maps mapped, $bytes bytes read)"
t_ge "$tried" 1 "version: it tries to map the file rather than copy it"
mappable=$maps
if [ "$maps" -ge 1 ]; then
	t_is "$bytes" 0 "version: mapped, and none of it read (copied)"
else
	t_diag "this kernel does not let $BTF be mapped (before 6.16): the tool reads it"
fi

read -r tried maps bytes copies < <(traced "$DROPSCOPE" trace --duration 0.2 -N self)
t_is "$copies" 2 "trace: two copies of vmlinux BTF, ours and libbpf's ($maps mapped, $bytes of $size bytes read)"
[ "$mappable" -ge 1 ] && t_ge "$maps" 1 "trace: ours mapped, for the reasons and the feature probes"

PIN=/sys/fs/bpf/dstest-btfonce-$$
t_on_exit "\"$DROPSCOPE\" monitor --remove --pin-dir $PIN >/dev/null 2>&1"
read -r tried maps bytes copies < <(monitor_traced 1)
t_is "$copies" 2 "monitor, loading the programs: two copies, ours and libbpf's ($maps mapped, $bytes bytes read)"
read -r tried maps bytes copies < <(monitor_traced 2)
t_check "monitor: the second reused the first's pins" grep -q "reusing the pins" "$T_TMP/mon.2"
t_is "$copies" 1 "monitor, reusing pins: one copy, ours ($maps mapped, $bytes bytes read)"
t_done
