#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A demo killed with SIGKILL cannot tear its network down. Its lab's lock (an flock its owner
# holds for the lab's life, /run/dropscope/demo-TAG.lock) is then free, so `demo --cleanup` and
# the next `demo` remove its namespaces, even when its pid has been reused; a lab whose demo
# still runs is left alone by both.
. "$(dirname "$0")/../lib.sh"
t_need_root
trap t_cleanup EXIT
t_on_exit t_demo_cleanup

# demo NAME ARGS...: `dropscope demo ARGS` in the background (stdout to $T_TMP/NAME, stderr to
# $T_TMP/NAME.err), once it diagnoses; sets PID and TAG.
demo()
{
	local name=$1
	shift
	"$DROPSCOPE" demo "$@" >"$T_TMP/$name" 2>"$T_TMP/$name.err" &
	PID=$!
	t_on_exit "kill -9 $PID 2>/dev/null"
	lab_wait_file "$T_TMP/$name.err" diagnosing 30 || sed 's/^/#   /' "$T_TMP/$name.err"
	TAG=$(sed -n 's/.*demo namespaces dsdemo-\([0-9a-f]*\)-.*/\1/p' "$T_TMP/$name.err")
}

# killed NAME: a demo killed with SIGKILL while it diagnoses; sets TAG.
killed()
{
	demo "$1" healthy --json --duration 60
	kill -9 "$PID"
	t_wait "$PID" 30 >/dev/null 2>&1
	t_is "$(t_demo_ns "$TAG")" 5 "$1: a demo killed with SIGKILL leaves its 5 namespaces ($TAG)"
}

# (A demo starting removes orphans: the running one starts before the first is killed.)
demo live healthy --json --duration 60
live=$TAG
live_pid=$PID
t_is "$(t_demo_ns "$live")" 5 "a demo runs ($live)"

killed dead1
dead1=$TAG
# Its pid, written in the lock file for people to read, now names a live process (this shell):
# a reused pid. Liveness is the lock, so it changes nothing.
echo $$ >"/run/dropscope/demo-$dead1.lock"

"$DROPSCOPE" demo --cleanup >"$T_TMP/c1" 2>"$T_TMP/c1.err"
t_is "$?" 0 "--cleanup: exit 0"
t_is "$(t_demo_ns "$dead1")" 0 "--cleanup: the killed demo's namespaces are removed"
t_check "--cleanup: and its lock file" test ! -e "/run/dropscope/demo-$dead1.lock"
t_check "--cleanup: says which network it removed" grep -q "dsdemo-$dead1-" "$T_TMP/c1"
t_is "$(t_demo_ns "$live")" 5 "--cleanup: the running demo's namespaces are left alone"
t_check "--cleanup: and its lock file" test -e "/run/dropscope/demo-$live.lock"

# The next demo cleans up first, and leaves the running one alone too.
killed dead2
dead2=$TAG
"$DROPSCOPE" demo healthy --json --duration 2 >"$T_TMP/next" 2>"$T_TMP/next.err"
t_is "$?" 0 "the next demo: exit 0"
t_is "$(t_demo_ns "$dead2")" 0 "the next demo removes the killed one's namespaces"
t_check "the next demo: says so on stderr" grep -q "removed the network of a demo that is gone: dsdemo-$dead2-" "$T_TMP/next.err"
t_is "$(t_demo_ns "$live")" 5 "the next demo leaves the running demo's namespaces alone"
t_is "$(jq -r '.verdict | type' "$T_TMP/next")" string "the next demo: its report is intact"

kill -TERM "$live_pid"
t_wait "$live_pid" 30
t_is "$?" 0 "the running demo ends on SIGTERM: exit 0"
t_is "$(t_demo_ns "$live")" 0 "it removes its own namespaces"
t_check "and its lock file" test ! -e "/run/dropscope/demo-$live.lock"

# A demo killed while it built its network: a namespace, and a veth pair still in ours (made
# here by hand, down: no traffic), behind a free lock.
tag=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
t_on_exit "ip link del d${tag}a0; ip netns del dsdemo-$tag-host; rm -f /run/dropscope/demo-$tag.lock"
ip netns add "dsdemo-$tag-host"
ip link add "d${tag}a0" type veth peer name "d${tag}b0"
echo 1 >"/run/dropscope/demo-$tag.lock"
"$DROPSCOPE" demo --cleanup >"$T_TMP/c2" 2>"$T_TMP/c2.err"
t_is "$?" 0 "cut build: --cleanup exits 0"
t_is "$(t_demo_ns "$tag")" 0 "cut build: its namespace is removed"
t_check "cut build: its veth pair in our namespace is removed" \
	sh -c "! ip link show d${tag}a0 && ! ip link show d${tag}b0" 2>/dev/null
t_check "cut build: its lock file is removed" test ! -e "/run/dropscope/demo-$tag.lock"

t_bad "--cleanup with a scenario" 2 "runs no scenario" "$DROPSCOPE" demo healthy --cleanup
t_done
