#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The raw BTF reader (user/btf_scan.c: vmlinux and module BTF, read before the tracer loads)
# under libFuzzer (ASan + UBSan, every report fatal), in a bounded run: 10 s or 3 million inputs,
# from the committed seeds (a BTF of every kind, a vmlinux with a module's split BTF,
# tests/fuzz/corpus/fuzz_btf_scan). Any crash, sanitizer report, or broken promise of the reader
# (a type it indexed out of range, a name it checked unreadable: the target aborts) fails.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fuzz_lib.sh"
fuzz_run fuzz_btf_scan 10 3000000 20000
t_done
