#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The host counter parsers (/proc files, netlink answers) under libFuzzer (ASan + UBSan, every
# report fatal), in a bounded run: 10 s or 3 million inputs, from the committed seeds (the /proc
# fixtures of tests/fixtures/counters behind the byte that picks the parser). Any crash or
# sanitizer report fails the test.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fuzz_lib.sh"
fuzz_run fuzz_counters_parse 10 3000000 50000
t_done
