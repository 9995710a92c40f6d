# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# TAP helpers for the end-to-end tests (run by prove). Source after setting nothing.
# Every e2e test: t_need_root; lab_create; trap t_cleanup EXIT; ... ; t_done

T_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$T_TOP/$BUILD" ;; esac
DROPSCOPE="$BUILD/dropscope"
# shellcheck source=../scripts/lab.sh
. "$T_TOP/scripts/lab.sh"

T_N=0
T_FAILED=0
T_TMP=$(mktemp -d /tmp/dstest.XXXXXX)
T_CLEANUPS=()

t_ok() # COND-STATUS DESCRIPTION: t_ok "$([ x = y ]; echo $?)" ... is awkward; use t_check
{
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		# On stderr too, as Test::More does: prove shows it without -v (CI's log).
		echo "#   failed test $T_N - $2" >&2
		T_FAILED=$((T_FAILED + 1))
	fi
}

# t_check DESCRIPTION CMD...: passes if CMD succeeds.
t_check()
{
	local d=$1
	shift
	"$@"
	t_ok $? "$d"
}

# t_is GOT WANT DESCRIPTION
t_is()
{
	if [ "$1" = "$2" ]; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		echo "#   got '$1', want '$2'" >&2
	fi
}

# t_ge GOT MIN DESCRIPTION (integers)
t_ge()
{
	if [ -n "$1" ] && [ "$1" -ge "$2" ] 2>/dev/null; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		echo "#   got '$1', want >= $2" >&2
	fi
}

t_diag() { printf '# %s\n' "$@"; }

t_skip_all() { echo "1..0 # SKIP $*"; exit 0; }

t_need_root()
{
	[ "$(id -u)" -eq 0 ] || t_skip_all "needs root (network namespaces and BPF)"
	[ -x "$DROPSCOPE" ] || t_skip_all "$DROPSCOPE is not built"
}

t_on_exit() { T_CLEANUPS+=("$*"); }

t_cleanup()
{
	local i
	for ((i = ${#T_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${T_CLEANUPS[$i]}" 2>/dev/null
	done
	lab_destroy
	rm -rf "$T_TMP"
}

t_done()
{
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

# t_start_bg OUTFILE CMD...: start dropscope (or anything) in the background, stdout to OUTFILE,
# stderr to OUTFILE.err; sets T_BG_PID. It is stopped with SIGTERM on exit.
t_start_bg()
{
	local out=$1
	shift
	"$@" >"$out" 2>"$out.err" &
	T_BG_PID=$!
	t_on_exit "kill $T_BG_PID; wait $T_BG_PID"
}

# t_wait_ready FILE: wait for dropscope's ready marker on its stderr (10 s at most).
t_wait_ready()
{
	lab_wait_file "$1" 'attached' 10 || { sed 's/^/#   /' "$1" >&2; return 1; }
}

# t_stop PID: SIGINT and wait (the tool prints its summary on the way out).
t_stop()
{
	kill -INT "$1" 2>/dev/null
	t_wait "$1" 30
}

# t_json FILE EXPR: evaluate a jq expression (jq is installed by scripts/deps.sh).
t_json() { jq -r "$2" "$1"; }

# t_bad DESCRIPTION EXPECTED-STATUS PATTERN CMD...: a bad input gets exactly one line on stderr
# that matches PATTERN, and the expected exit status.
t_bad()
{
	local d=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >"$T_TMP/bad.out" 2>"$T_TMP/bad.err"
	rc=$?
	t_is "$rc" "$want" "$d: exit $want"
	if [ "$(wc -l <"$T_TMP/bad.err")" -eq 1 ] && grep -q -- "$pat" "$T_TMP/bad.err"; then
		t_ok 0 "$d: one line naming the problem"
	else
		t_ok 1 "$d: one line naming the problem"
		sed 's/^/#   /' "$T_TMP/bad.err"
	fi
}

# t_demo_tags: the tags of the demos this test ran ("demo namespaces dsdemo-TAG-*" on their
# stderr, in files under $T_TMP ending .err).
t_demo_tags()
{
	sed -n 's/.*demo namespaces dsdemo-\([0-9a-f]*\)-.*/\1/p' "$T_TMP"/*.err 2>/dev/null | sort -u
}

# t_demo_ns TAG: how many namespaces of that demo exist.
t_demo_ns() { ip netns list | grep -c "^dsdemo-$1-"; }

# t_demo_cleanup: remove whatever the demos this test ran left (register with t_on_exit before
# starting any, so it runs after the demos are killed).
t_demo_cleanup()
{
	local tag ns
	for tag in $(t_demo_tags); do
		for ns in $(ip netns list | awk -v p="dsdemo-$tag-" 'index($1, p) == 1 { print $1 }'); do
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		done
		rm -f "/run/dropscope/demo-$tag.lock"
	done
}

# t_need FEATURE...: skip the whole test, saying why, when this kernel (or its tools) lacks
# what the test's faults are made of: nft (nf_tables with numgen, counter and drop), tbf (the
# token bucket qdisc), reason:NAME (the drop reason SKB_DROP_REASON_NAME in the running kernel's
# BTF; NETFILTER_DROP and NO_SOCKET came with 5.17, others later, and a kernel may lack any),
# reason:PREFIX* (any reason that starts so).
# Tried in a namespace of its own, removed at once.
# The running kernel's drop reasons, from its BTF: "NAME VALUE" lines, read once per test.
T_REASONS=
t_reasons()
{
	[ -n "$T_REASONS" ] || T_REASONS=$(bpftool btf dump file /sys/kernel/btf/vmlinux format raw 2>/dev/null |
		sed -n "s/.*'SKB_DROP_REASON_\([A-Z0-9_]*\)' val=\([0-9]*\).*/\1 \2/p")
	printf '%s\n' "$T_REASONS"
}

# t_has_reason NAME: the kernel's BTF has drop reason NAME; NAME* for any that starts so.
t_has_reason()
{
	case "$1" in
	*'*') t_reasons | awk -v p="${1%'*'}" 'index($1, p) == 1 { f = 1 } END { exit !f }' ;;
	*) t_reasons | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }' ;;
	esac
}

# t_reason_value NAME: drop reason NAME's number in this kernel (nothing if it has none).
t_reason_value() { t_reasons | awk -v n="$1" '$1 == n { print $2; exit }'; }

# t_free_port K: a TCP port free on this host, from a range that depends on the test's pid and
# K (so that tests running side by side, and the K-th port of one test, do not pick the same).
t_free_port()
{
	local p base=$((20000 + ($$ * 13 + $1 * 97) % 20000))
	for p in $(seq "$base" $((base + 50))); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

t_need()
{
	local ns="dsfeat-$$" f why=
	ip netns add "$ns" 2>/dev/null || t_skip_all "cannot create a network namespace"
	for f in "$@"; do
		case "$f" in
		reason:*) # reason:NAME, or reason:PREFIX* for any reason that starts so
			t_has_reason "${f#reason:}" || why="this kernel's BTF has no drop reason ${f#reason:}"
			;;
		nft)
			printf '%s\n' 'table inet dsfeat {' 'chain c {' \
				'type filter hook input priority 0;' \
				'numgen random mod 100 < 10 counter drop' '}' '}' |
				ip netns exec "$ns" nft -f - >/dev/null 2>&1 ||
				why="nf_tables (nft with numgen, counter and drop) is not available"
			;;
		tbf)
			{ ip netns exec "$ns" ip link add dsfeat0 type veth peer name dsfeat1 &&
				ip netns exec "$ns" tc qdisc add dev dsfeat0 root tbf rate 1mbit burst 1540 latency 10ms; } >/dev/null 2>&1 ||
				why="the tbf qdisc is not available"
			;;
		esac
		[ -n "$why" ] && break
	done
	ip netns del "$ns" 2>/dev/null
	[ -z "$why" ] || t_skip_all "$why"
}

# t_wait PID [SECONDS]: wait for a background command, at most SECONDS (default 30); past
# that it is killed and the status is 124 (a regression that hangs fails instead of hanging).
t_running() # PID: alive and not yet a zombie waiting to be reaped
{
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}
t_wait()
{
	local pid=$1 n=$((${2:-30} * 10))
	while [ "$n" -gt 0 ] && t_running "$pid"; do
		sleep 0.1
		n=$((n - 1))
	done
	if t_running "$pid"; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "# $pid did not end in ${2:-30} s: killed"
		return 124
	fi
	wait "$pid"
}
