#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A vmlinux BTF the raw reader refuses goes to libbpf's btf__parse (user/btf_scan.c), so that a
# kernel with a BTF kind newer than the reader does not stop the tool. Standing in for one: the
# running kernel's BTF in the other byte order (tests/helpers/btfswap), which the reader refuses
# (-EPROTO) and libbpf reads, over /sys/kernel/btf in a private mount namespace. `version` must
# read the same reasons and features from it, and say under -v that libbpf parsed it.
. "$(dirname "$0")/../lib.sh"
t_need_root
BTF=/sys/kernel/btf/vmlinux
[ -r "$BTF" ] || t_skip_all "this kernel has no BTF ($BTF)"
SWAP=$BUILD/tests/helpers/btfswap
[ -x "$SWAP" ] || t_skip_all "$SWAP is not built (make helpers)"
trap t_cleanup EXIT

"$SWAP" "$BTF" "$T_TMP/vmlinux"
t_is "$?" 0 "the kernel's BTF written in the other byte order"
"$DROPSCOPE" -v version >"$T_TMP/native" 2>"$T_TMP/native.err"
t_check "the native file is read raw (no fallback)" \
	sh -c "! grep -q 'raw BTF reader refused' '$T_TMP/native.err'"
unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && cp '$T_TMP/vmlinux' $BTF &&
	exec '$DROPSCOPE' -v version" >"$T_TMP/swapped" 2>"$T_TMP/swapped.err"
t_is "$?" 0 "version ran on it"
t_check "-v says the raw reader refused it and libbpf parsed it" \
	grep -q "raw BTF reader refused $BTF (Protocol error): libbpf parsed it" "$T_TMP/swapped.err"
for line in "kfree_skb:" "drop reasons in BTF:" "tp_btf header reads:"; do
	t_is "$(grep "^$line" "$T_TMP/swapped")" "$(grep "^$line" "$T_TMP/native")" \
		"'$line' as from the native file"
done
t_check "the drop reasons were read" grep -q "^drop reasons in BTF: [0-9]" "$T_TMP/swapped"
t_done
