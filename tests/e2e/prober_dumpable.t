#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# With file capabilities (a user who is not root running a dropscope that holds cap_net_raw),
# the prober's program must not be dumpable while it holds the raw sockets: a program its user
# can read is refused (one line, exit 1), one it cannot (0711, as built and installed) runs,
# and another process of that user gets none of its descriptors (pidfd_getfd) during a run.
. "$(dirname "$0")/../lib.sh"
t_need_root
trap t_cleanup EXIT
command -v setcap >/dev/null || t_skip_all "setcap (libcap2-bin) is missing"
command -v setpriv >/dev/null || t_skip_all "setpriv (util-linux) is missing"
USER_ID=12345 # any uid but root's: setpriv needs no account for it

# A directory the test user can reach, with a copy of dropscope holding cap_net_raw.
D=$(mktemp -d /tmp/dsdump.XXXXXX)
t_on_exit "rm -rf $D"
chmod 0755 "$D"
mkdir "$D/u" && chown $USER_ID "$D/u" # the user's own
cp "$DROPSCOPE" "$D/dropscope"
setcap cap_net_raw+ep "$D/dropscope" 2>/dev/null || t_skip_all "setcap failed on $D (no xattrs?)"
as_user() { setpriv --reuid=$USER_ID --regid=$USER_ID --clear-groups "$@"; }
run() { as_user timeout 30 "$D/dropscope" diagnose 127.0.0.1 -d 1 -n; }

# --- a program the user can read: refused, with why and what to do
install -m 0755 "$BUILD/dropscope-prober" "$D/dropscope-prober"
run >"$T_TMP/r.out" 2>"$T_TMP/r.err"
t_is "$?" 1 "readable program: exit 1"
t_is "$(grep -c "refusing to run the prober's program $D/dropscope-prober: it is readable by uid $USER_ID.*chown root $D/dropscope-prober && chmod 0711 $D/dropscope-prober\$" "$T_TMP/r.err")" 1 \
	"readable program: one line saying why and how"
t_is "$(tail -n1 "$T_TMP/r.err" | grep -c refusing)" 1 "readable program: the last line, nothing run after it"
t_is "$(grep -c verdict -i "$T_TMP/r.out")" 0 "readable program: no report"

# --- 0711: it runs
# Owned by that user, 0711 is still readable to it (its owner): refused too.
chmod 0711 "$D/dropscope-prober"
chown $USER_ID "$D/dropscope-prober"
run >/dev/null 2>"$T_TMP/own.err"
t_is "$?/$(grep -c "readable by uid $USER_ID" "$T_TMP/own.err")" 1/1 "0711 but the user's own: refused"
chown root "$D/dropscope-prober"
run >"$T_TMP/ok.out" 2>"$T_TMP/ok.err"
t_is "$?" 0 "0711 program: diagnose runs and reports"
t_is "$(grep -c refusing "$T_TMP/ok.err")" 0 "0711 program: not refused"

# --- the build's own program (as make leaves it): a same-uid process that loops on
# pidfd_open + pidfd_getfd over the prober's descriptors 3..40 during six runs gets none (on the
# old code, whose program was 0755, it took some in 2 of 3 three-run tries).
STEAL="$BUILD/tests/helpers/fdsteal"
if [ ! -x "$STEAL" ]; then
	t_diag "skipped the pidfd_getfd attempt: $STEAL is not built (make helpers)"
	t_done
	exit
fi
cp -p "$BUILD/dropscope-prober" "$D/dropscope-prober"
cp "$STEAL" "$D/fdsteal"
steal_check() # LABEL: six runs under fdsteal
{
	local rcs= got tries spid
	rm -f "$D/u/ready"
	as_user timeout 30 "$D/fdsteal" 11 "$D/u/ready" >"$T_TMP/steal.out" 2>"$T_TMP/steal.err" &
	spid=$!
	t_on_exit "kill $spid"
	for _ in $(seq 50); do [ -e "$D/u/ready" ] && break; sleep 0.1; done
	for _ in 1 2 3 4 5 6; do
		run >/dev/null 2>"$T_TMP/s.err"
		rcs="$rcs$?"
	done
	t_is "$rcs" 000000 "$1: six runs with it"
	t_wait "$spid" 30
	read -r got tries <"$T_TMP/steal.out"
	t_ge "${tries:-0}" 1 "$1: pidfd_getfd tried on the program's descriptors ($tries tries)"
	t_is "${got:-x}" 0 "$1: the same user took none of them"
}
steal_check "build's program"
# With CAP_DAC_READ_SEARCH too the program is readable to the exec unless dropscope has no
# capability effective when it runs it.
setcap cap_net_raw,cap_dac_read_search+ep "$D/dropscope"
steal_check "with cap_dac_read_search too"
t_done
