#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The monitor's systemd unit: make install puts it (with this install's paths) and the targets'
# config in place, systemd-analyze verify passes on it, it is hardened, and its reload is the
# SIGHUP the monitor rereads its config on.
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v systemd-analyze >/dev/null || t_skip_all "systemd-analyze is missing (Debian's systemd package)"
cd "$T_TOP" || exit 1
P="$T_TMP/prefix"
# A real prefix (no DESTDIR), so that the unit's ExecStart names a binary that is there.
make -s BUILD="${BUILD:-build}" PREFIX="$P" SYSCONFDIR="$P/etc" UNITDIR="$P/lib/systemd/system" install >"$T_TMP/install.out" 2>&1
t_is "$?" 0 "make install with the unit"
U="$P/lib/systemd/system/dropscope-monitor.service"
t_check "installs the unit" test -s "$U"
t_check "and the targets' config" test -s "$P/etc/dropscope/monitor.conf"
t_check "whose ExecStart is this install's binary" grep -q "^ExecStart=$P/sbin/dropscope monitor --config $P/etc/dropscope/monitor.conf " "$U"
# systemd-analyze looks the Documentation= man page up with man(1).
MANPATH="$P/share/man" SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$U" >"$T_TMP/verify.out" 2>&1
t_is "$?" 0 "systemd-analyze verify passes"
sed 's/^/#   /' "$T_TMP/verify.out"
t_is "$(grep -c . "$T_TMP/verify.out")" 0 "without a warning"
for k in CapabilityBoundingSet=CAP_ ProtectSystem=strict NoNewPrivileges=yes ReadWritePaths=/sys/fs/bpf \
	ProtectHome=yes PrivateTmp=yes RestrictAddressFamilies= SystemCallFilter=@system-service 'ExecReload=/bin/kill -HUP $MAINPID'; do
	t_check "hardened: $k" grep -qF "$k" "$U"
done
# The monitor takes the config the unit gives it.
"$P/sbin/dropscope" help monitor | grep -q -- '--config FILE' 
t_is "$?" 0 "the monitor has the --config the unit passes"
printf 'keep me\n' >"$P/etc/dropscope/monitor.conf"
make -s BUILD="${BUILD:-build}" PREFIX="$P" SYSCONFDIR="$P/etc" UNITDIR="$P/lib/systemd/system" install >/dev/null 2>&1
t_is "$(cat "$P/etc/dropscope/monitor.conf")" "keep me" "a second install keeps the operator's config"
# Under the unit's capability bounding set, the prober's child can still drop to nobody:
# 'probe' forks that child and drops its privileges as the monitor's prober does.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$U" | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ \+/,+/g')
if [ -z "$caps" ]; then
	t_ok 1 "the unit has a CapabilityBoundingSet line"
else
	timeout 30 setpriv --bounding-set "-all,+$caps" "$P/sbin/dropscope" probe 127.0.0.1 -c 2 >"$T_TMP/probe.out" 2>&1
	r=$?
	sed 's/^/#   /' "$T_TMP/probe.out"
	t_is "$r" 0 "probe runs under the unit's bounding set (+$caps)"
	t_check "its child dropped privileges" sh -c "! grep -q 'drop privileges' '$T_TMP/probe.out'"
fi
make -s BUILD="${BUILD:-build}" PREFIX="$P" SYSCONFDIR="$P/etc" UNITDIR="$P/lib/systemd/system" uninstall >/dev/null 2>&1
t_check "make uninstall removes the unit" test ! -e "$U"
t_done
