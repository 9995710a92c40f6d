#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The monitor's HTTP request parser under libFuzzer (ASan + UBSan, every report fatal), in a
# bounded run: 10 s or 3 million inputs, from the committed seeds (requests as Prometheus and
# curl send them, and one of each kind the parser refuses). Any crash, sanitizer report or broken
# invariant (tests/fuzz/fuzz_http_request.c aborts) fails the test.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fuzz_lib.sh"
fuzz_run fuzz_http_request 10 3000000 50000
t_done
