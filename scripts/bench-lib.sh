# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The prelude the lab benchmarks share. Source it from bench-*.sh (run from the repository's
# top), then call bench_lab NAME COMMAND...: it sets BUILD (exported), D (the dropscope binary)
# and TMP (a directory removed on exit, with the lab), and exits 1 in one line when dropscope is
# not built or one of the COMMANDs the benchmark compares against is not installed.
. scripts/lab.sh

bench_lab()
{
	local name=$1 c
	shift
	BUILD=${BUILD:-build}
	export BUILD
	D=$BUILD/dropscope
	TMP=$(mktemp -d "/tmp/bench-$name.XXXXXX")
	trap 'lab_destroy; rm -rf "$TMP"' EXIT
	[ -x "$D" ] || { echo "bench-$name: $D is not built" >&2; exit 1; }
	for c in "$@"; do
		command -v "$c" >/dev/null || { echo "bench-$name: $c is not installed (make deps)" >&2; exit 1; }
	done
}
