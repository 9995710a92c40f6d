#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The monitor's systemd unit filters system calls (SystemCallFilter=): every call the monitor
# makes in a whole life must be one the filter lets through, or systemd kills it (or the call
# fails) in the field. The monitor runs under strace through that life -- start with a target
# and -N (the prober's child, the counters' sysfs remount), a scrape, the textfile, SIGHUP, exit
# with --keep, a second start adopting the pins, --remove -- and each call strace saw is looked
# up in the unit's filter, its groups expanded by systemd-analyze.
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v systemd-analyze >/dev/null || t_skip_all "systemd-analyze is missing (Debian's systemd package)"
command -v strace >/dev/null || t_skip_all "strace is missing"
trap t_cleanup EXIT
UNIT="$T_TOP/scripts/dropscope-monitor.service.in"
filter=$(sed -n 's/^SystemCallFilter=//p' "$UNIT" | tr '\n' ' ')
[ -n "$filter" ] || { t_ok 1 "the unit has a SystemCallFilter= line"; t_done; exit; }

# allowed: the system calls the unit's filter names, its @groups expanded.
systemd-analyze syscall-filter 2>/dev/null | awk -v want="$filter" '
/^@/ { g = $1; next }
/^ +#/ { next }
/^ +[-@a-z_0-9]+$/ { m[g] = m[g] " " $1 }
END {
	todo = want
	while (todo != "") {
		n = split(todo, w, " "); todo = ""
		for (i = 1; i <= n; i++) {
			if (w[i] in seen) continue
			seen[w[i]] = 1
			if (substr(w[i], 1, 1) == "@") todo = todo " " m[w[i]]; else print w[i]
		}
	}
}' | sort -u >"$T_TMP/allowed"
t_ge "$(grep -c . "$T_TMP/allowed")" 100 "systemd-analyze expands the unit's filter ($filter)"

lab_create 1 || t_skip_all "could not build the lab"
PIN=/sys/fs/bpf/dstest-msys-$$
t_on_exit "\"$DROPSCOPE\" monitor --remove --pin-dir $PIN >/dev/null 2>&1; rm -rf $PIN"
PORT=$(t_free_port 1) || t_skip_all "no free loopback port"
mkdir -p "$T_TMP/tf"

# traced N ARGS...: the monitor under strace into $T_TMP/strace.N; sets MON (the monitor's pid).
traced()
{
	local n=$1 i
	shift
	strace -f -qq -o "$T_TMP/strace.$n" -- "$DROPSCOPE" monitor -N "$LAB_HOST" --pin-dir "$PIN" \
		--listen "127.0.0.1:$PORT" --textfile "$T_TMP/tf" --keep "$@" >"$T_TMP/out.$n" 2>"$T_TMP/out.$n.err" &
	STRACE=$!
	t_on_exit "kill -9 $STRACE"
	t_wait_ready "$T_TMP/out.$n.err" || return 1
	for i in $(seq 1 50); do
		MON=$(pgrep -P "$STRACE" -x dropscope) && return 0
		sleep 0.1
	done
	return 1
}

traced 1 "$LAB_DST4"
t_is "$?" 0 "the monitor starts under strace"
lab_until 20 test -s "$T_TMP/tf/dropscope.prom" || t_diag "no textfile within 20 s"
curl -sf "http://127.0.0.1:$PORT/metrics" >"$T_TMP/scrape"
t_check "a scrape under strace" grep -q '^dropscope_build_info' "$T_TMP/scrape"
kill -HUP "$MON"
sleep 2
kill -TERM "$MON"
t_wait "$STRACE" 20
t_is "$?" 0 "exits 0 after SIGHUP and SIGTERM"
traced 2
t_is "$?" 0 "a second start adopts the kept pins"
kill -TERM "$MON"
t_wait "$STRACE" 20
strace -f -qq -o "$T_TMP/strace.3" -- "$DROPSCOPE" monitor --remove --pin-dir "$PIN" >/dev/null 2>&1
t_is "$?" 0 "--remove under strace"

awk '{ sub(/^[0-9]+ +/, "") } match($0, /^[a-z_0-9]+\(/) { print substr($0, 1, RLENGTH - 1) }' \
	"$T_TMP"/strace.[0-9] | sort -u >"$T_TMP/used"
t_ge "$(grep -c . "$T_TMP/used")" 30 "strace saw the monitor's calls ($(grep -c . "$T_TMP/used") distinct)"
t_check "among them bpf, and the prober's sendto" sh -c "grep -qx bpf \"$T_TMP/used\" && grep -qx sendto \"$T_TMP/used\""
comm -23 "$T_TMP/used" "$T_TMP/allowed" >"$T_TMP/refused"
sed 's/^/#   refused by the unit: /' "$T_TMP/refused"
t_is "$(grep -c . "$T_TMP/refused")" 0 "every call the monitor made is in the unit's SystemCallFilter"
t_done
