#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# The header only supplies type layouts for CO-RE: field offsets are relocated
# at load time against the BTF of whatever kernel runs the tool, so one header
# per architecture is enough. The kernel it came from is recorded in KERNEL.
set -eu
arch=${1:-$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')}
btf=${BTF:-/sys/kernel/btf/vmlinux}
bpftool=${BPFTOOL:-bpftool}
dir=$(dirname "$0")/$arch
[ -r "$btf" ] || { echo "gen-vmlinux-h: $btf not readable: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF)" >&2; exit 1; }
mkdir -p "$dir"
"$bpftool" btf dump file "$btf" format c > "$dir/vmlinux.h.tmp"
mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
printf '%s\n' "$(uname -srvm)" > "$dir/KERNEL"
echo "wrote $dir/vmlinux.h from $(uname -r)"
