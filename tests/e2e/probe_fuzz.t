#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The prober's reply parser under libFuzzer (ASan + UBSan, every report fatal), in a bounded run:
# 10 s or 3 million inputs, from the committed seeds (a valid packet of each kind,
# tests/fuzz/corpus/fuzz_probe_parse); tests/fuzz/fuzz_probe_parse.c also builds valid replies
# itself in its structured mode. Any crash, sanitizer report or broken invariant fails the test.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fuzz_lib.sh"
fuzz_run fuzz_probe_parse 10 3000000 100000
t_done
